"""Subscriptions and alerts in the bot: /subscribe, /subscriptions, /unsubscribe, their buttons, the alert job.

The engine (``index.alerts``) decides what to send and records it; this module turns pending alerts
into Telegram messages and follows the outbox protocol for each message: ``claim`` (commit) →
``sendMessage`` → ``mark_sent`` with Telegram's message id (commit). Why a crash in between is
settled as "possibly sent" rather than resent is explained in ``index.alerts``.

One alert round (``alert_job``; every ``ARSHIF_ALERT_INTERVAL`` seconds, first after ~1 s, and at
once after an in-process ingest via ``trigger_alerts``) runs under a lock, so rounds never overlap:
settle sends interrupted by a crash → resume chats that came back → ``collect_alerts`` → send
what is pending, chat by chat. Telegram's answers decide what happens to a message:

- ``Forbidden`` (the user blocked the bot, or it left the group): the chat's subscriptions pause
  (``/subscriptions`` shows it); they resume when the user talks to the bot again. The alert stays
  pending and is sent then.
- ``RetryAfter`` (flood control; ``AIORateLimiter`` has already retried): sending stops until the
  time Telegram gave, and the round resumes then. Nothing is dropped.
- ``TimedOut`` (no answer: the message may or may not have arrived): recorded as possibly sent,
  like a crash, so it is never duplicated.
- any other error: the alert stays pending for the next round; after ``MAX_ATTEMPTS`` refusals it is
  marked failed and logged at ERROR.

Buttons: ``a:<article>`` opens an article (the core's own "open" button, reused), ``mute:<sub>``,
``unsub:<sub>`` and ``sub:on:<sub>`` (unmute) act on a subscription; all stay under 64 bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from arshif.index import alerts as engine
from arshif.index import store
from arshif.index.errors import ArchiveError, LimitError, QuerySyntaxError
from arshif.index.models import Hit
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from . import render
from .access import Decision, decide
from .config import Settings
from .texts import TEXTS, language_for, t

__all__ = ["ALERTS_KEY", "COMMANDS", "alert_job", "db_call", "register", "trigger_alerts"]

log = logging.getLogger(__name__)

ALERTS_KEY = "arshif_alerts"
STATE_KEY = "arshif"  # bot.telegram_app.STATE_KEY (not imported: that module imports this one)
MENU_KEY = "menu_commands"  # bot.telegram_app.MENU_KEY
DIGEST_PAGE = 10  # alerts listed in one digest message
OPEN_BUTTONS_PER_ROW = 5
MUTE_BUTTONS = 3  # at most this many subscriptions get a mute button under one message
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
PAUSED_NO_ACCESS = "no access"
CALLBACK = re.compile(r"(?P<action>mute|unsub|sub:on):(?P<id>\d{1,12})")

# (command, usage, Arabic, English): joins the bot's menu and /help through MENU_KEY.
COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    ("subscribe", " <كلمات | words>", "اشترك في تنبيه بالمقالات الجديدة", "Get alerts for new articles"),
    ("subscriptions", "", "اشتراكاتك في التنبيهات", "Your alert subscriptions"),
    ("unsubscribe", " <id>", "ألغ اشتراكا برقمه", "Delete a subscription by its number"),
)




# --- state and plumbing ---------------------------------------------------------------------------


@dataclass
class AlertState:
    """What the alert job keeps between rounds: its lock, a rerun flag, flood-control pause, and
    sends Telegram accepted whose recording failed (retried first in the next round)."""

    db_path: str | Path
    settings: Settings
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    rerun: bool = False
    paused_until: float = 0.0  # time.monotonic() before which nothing is sent (RetryAfter)
    unrecorded: list[tuple[str, int | None]] = field(default_factory=list)  # (attempt, message_id)
    stop: threading.Event = field(default_factory=threading.Event)
    _local: threading.local = field(default_factory=threading.local)
    _conns: list[sqlite3.Connection] = field(default_factory=list)

    def conn(self) -> sqlite3.Connection:
        """Returns this worker thread's connection (SQLite connections are not shared by threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = store.connect(self.db_path)
            self._local.conn = conn
            self._conns.append(conn)
        return conn

    def close(self) -> None:
        """Closes the connections the worker threads opened."""
        conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(sqlite3.ProgrammingError):
                conn.close()


T = TypeVar("T")


def _state(application: Application) -> AlertState:
    return application.bot_data[ALERTS_KEY]


async def db_call(application: Application, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs ``fn(conn, *args)`` in a worker thread with that thread's connection."""
    st = _state(application)
    return await asyncio.to_thread(lambda: fn(st.conn(), *args, **kwargs))


def _decide(conn: sqlite3.Connection, settings: Settings, user_id: int, chat_id: int) -> Decision:
    return decide(settings, conn, user_id, chat_id)


def _welcome_back(conn: sqlite3.Connection, user_id: int) -> int:
    """Resumes a user's subscriptions paused because they had blocked the bot; returns how many.

    They are writing to the bot, so they unblocked it. The subscriptions resume before the blocked
    flag is cleared: the alert round resumes users whose flag is clear, and doing it in this order
    keeps the two from racing for the same subscriptions.
    """
    n = engine.resume_user(conn, user_id, engine.PAUSED_BLOCKED)
    row = store.get_user(conn, user_id)
    if row is not None and row["blocked"]:
        store.set_user_blocked(conn, user_id, False)
    return n


def _lang(update: Update, text: str | None = None) -> str:
    user = update.effective_user
    return language_for(user.language_code if user else None, text)


async def _allowed(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str) -> bool:
    """Checks the bot's access rules (``bot.access.decide``); refuses strangers with the core's sentence."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is None or chat is None:
        return False
    st = _state(context.application)
    decision = await db_call(context.application, _decide, st.settings, user.id, chat.id)
    if decision.allowed:
        return True
    if message is not None:
        if decision.reason == "denied":
            text = t("denied", lang, user_id=user.id)
        else:
            key = "stranger" if chat.type == "private" else "stranger_group"
            text = t(key, lang, user_id=user.id, chat_id=chat.id)
        await message.reply_text(text)
    return False


def _rate_ok(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> bool:
    """Shares the bot's per-user rate limit when the core is there (admins are never limited)."""
    core = context.application.bot_data.get(STATE_KEY)
    st = _state(context.application)
    if core is None or st.settings.is_admin(user_id):
        return True
    return core.limiter.check(user_id) == "ok"


def _link(title: str, url: str | None) -> str:
    if url and re.match(r"https?://", url) and len(url) <= render.MAX_LINK_CHARS:
        return f'<a href="{html.escape(url, quote=True)}">{render.escape(title)}</a>'
    return render.escape(title)


def _meta(published: str | None, sources: Sequence[str], article_id: int) -> str:
    bits = [b for b in (published, "، ".join(sources) if sources else None) if b]
    bits.append(f"#{article_id}")
    return " · ".join(render.escape(b) for b in bits)


def _markup(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    rows = [[(label, data) for label, data in row if render.callback_data_ok(data)] for row in rows]
    rows = [row for row in rows if row]
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in rows])


# --- rendering ------------------------------------------------------------------------------------


def _hit_html(hit: Hit | engine.Alert, sources: Sequence[str]) -> str:
    lines = [f"<b>{_link(hit.title, hit.url)}</b>", _meta(hit.published, sources, hit.article_id)]
    if hit.excerpt:
        lines.append(render.mark(hit.excerpt, hit.highlights))
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Telegram message (maybe split in parts) and the deliveries it settles."""

    parts: tuple[str, ...]
    markup: InlineKeyboardMarkup | None
    keys: tuple[tuple[int, int], ...]


def _chat_lang(chat: engine.ChatAlerts) -> str:
    first = chat.alerts[0].subscriptions[0][1]
    return language_for(None, first)


def _mute_row(subs: Sequence[tuple[int, str]], lang: str) -> list[tuple[str, str]]:
    ids = list(dict.fromkeys(s for s, _ in subs))[:MUTE_BUTTONS]
    return [(t("button_mute", lang, id=s), f"mute:{s}") for s in ids]


def render_alert(alert: engine.Alert, lang: str) -> Outgoing:
    """Returns one alert: the subscription, title (linked), date · sources, excerpt with matched words marked."""
    sub_id, query = alert.subscriptions[0]
    blocks = [f"<i>{render.escape(t('alert_header', lang, id=sub_id, query=query))}</i>",
              _hit_html(alert, alert.sources)]
    others = [(s, u) for s, u in alert.also if u or s]
    if others:
        links = "، ".join(_link(s or u or "", u) for s, u in others)
        blocks.append(f"{render.escape(t('also_from', lang))} {links}")
    markup = _markup([[(t("alert_button_open", lang), f"a:{alert.article_id}"), *_mute_row(alert.subscriptions, lang)]])
    parts = render.split_html(render.apply_bidi("\n\n".join(blocks), lang))
    return Outgoing(tuple(parts), markup, alert.keys)


def render_digest(items: Sequence[engine.Alert], lang: str) -> Outgoing:
    """Returns one digest message: numbered titles (linked) with date · sources, open buttons, mute buttons."""
    subs = [s for a in items for s in a.subscriptions]
    queries = "، ".join(f"«{q}»" for q in dict.fromkeys(q for _, q in subs))
    lines = [f"<b>{render.escape(t('digest_header', lang, n=len(items), queries=queries))}</b>"]
    for n, a in enumerate(items, 1):
        lines.append(f"<b>{n}.</b> {_link(a.title, a.url)}\n{_meta(a.published, a.sources, a.article_id)}")
    opens = [(f"📄 {n}", f"a:{a.article_id}") for n, a in enumerate(items, 1)]
    rows = [opens[i:i + OPEN_BUTTONS_PER_ROW] for i in range(0, len(opens), OPEN_BUTTONS_PER_ROW)]
    rows.append(_mute_row(subs, lang))
    parts = render.split_html(render.apply_bidi("\n\n".join(lines), lang))
    return Outgoing(tuple(parts), _markup(rows), tuple(k for a in items for k in a.keys))


def outgoing(chat: engine.ChatAlerts) -> list[Outgoing]:
    """Returns the messages for a chat's pending alerts: one each, or digests of ``DIGEST_PAGE``."""
    lang = _chat_lang(chat)
    if not chat.digest:
        return [render_alert(a, lang) for a in chat.alerts]
    return [render_digest(chat.alerts[i:i + DIGEST_PAGE], lang) for i in range(0, len(chat.alerts), DIGEST_PAGE)]


# --- the alert job --------------------------------------------------------------------------------


def _prepare(conn: sqlite3.Connection, st: AlertState) -> list[engine.ChatAlerts]:
    """Settles unrecorded and interrupted sends, resumes chats, matches, returns what to send."""
    while st.unrecorded:
        attempt, message_id = st.unrecorded[0]
        engine.mark_sent(conn, attempt, message_id)
        st.unrecorded.pop(0)
    engine.recover_interrupted(conn)
    for user_id in store.blocked_users_back(conn):
        engine.resume_user(conn, user_id, engine.PAUSED_BLOCKED)
    for sub in store.subscriptions_paused(conn, PAUSED_NO_ACCESS):
        if decide(st.settings, conn, sub["user_id"], sub["chat_id"]).allowed:
            engine.resume_user(conn, sub["user_id"], PAUSED_NO_ACCESS)
    engine.collect_alerts(conn)
    chats = []
    for chat in engine.pending_deliveries(conn):
        if decide(st.settings, conn, chat.user_id, chat.chat_id).allowed:
            chats.append(chat)
        else:  # an admin shut the user out since they subscribed
            engine.pause_user(conn, chat.user_id, PAUSED_NO_ACCESS)
    return chats


async def _send(application: Application, chat: engine.ChatAlerts, message: Outgoing) -> bool:
    """Sends one message by the outbox protocol; returns False when the round must stop."""
    st = _state(application)
    attempt, claimed = await db_call(application, engine.claim, message.keys)
    if not claimed:
        return True
    try:
        sent: Message | None = None
        for i, part in enumerate(message.parts):
            last = i == len(message.parts) - 1
            sent = await application.bot.send_message(
                chat.chat_id, part, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
                reply_markup=message.markup if last else None,
            )
    except Forbidden as exc:
        log.info("chat %s cannot receive alerts (%s): its subscriptions pause", chat.chat_id, exc.message)
        await db_call(application, engine.release, attempt, exc.message, count_attempt=False)
        await db_call(application, _pause_chat, chat.chat_id)
        return True
    except RetryAfter as exc:
        wait = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else float(exc.retry_after)
        log.warning("flood control: alerts wait %.0f s", wait)
        await db_call(application, engine.release, attempt, "flood control", count_attempt=False)
        st.paused_until = time.monotonic() + wait
        if application.job_queue is not None:
            application.job_queue.run_once(alert_job, wait + 0.5, name="alerts-after-flood")
        return False
    except TimedOut as exc:
        # Telegram may have shown it: never resend (see index.alerts).
        log.warning("alert send to chat %s timed out; recorded as possibly sent: %s", chat.chat_id, exc)
        await db_call(application, engine.mark_sent, attempt, None, note=engine.UNCONFIRMED_NOTE)
        return True
    except BadRequest as exc:
        log.error("Telegram refused an alert to chat %s: %s", chat.chat_id, exc.message)
        await db_call(application, engine.release, attempt, exc.message)
        return True
    except (NetworkError, TelegramError) as exc:  # not reached Telegram: try again next round
        log.warning("alert send to chat %s failed, kept pending: %s", chat.chat_id, exc)
        await db_call(application, engine.release, attempt, str(exc), count_attempt=False)
        return False
    message_id = sent.message_id if sent is not None else None
    try:
        await db_call(application, engine.mark_sent, attempt, message_id)
    except Exception:  # e.g. the database stayed locked: keep the id, record it first thing next round
        log.exception("alert sent (message %s) but not recorded yet; will record it next round", message_id)
        st.unrecorded.append((attempt, message_id))
        return False
    return True


def _pause_chat(conn: sqlite3.Connection, chat_id: int) -> None:
    engine.pause_chat(conn, chat_id, engine.PAUSED_BLOCKED)
    if chat_id > 0:  # a private chat: the user blocked the bot; the core clears this when they write
        store.set_user_blocked(conn, chat_id, True)


async def _round(application: Application) -> None:
    st = _state(application)
    started = time.perf_counter()
    chats = await db_call(application, _prepare, st)
    if time.monotonic() < st.paused_until:
        return
    sent = 0
    for chat in chats:
        for message in outgoing(chat):
            if not await _send(application, chat, message):
                return
            sent += 1
    if sent:
        log.info("alerts: %d messages to %d chats in %.2f s", sent, len(chats), time.perf_counter() - started)


async def alert_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs one alert round (or asks the running one to go again): users receive their new alerts."""
    application = context.application
    st = _state(application)
    if st.lock.locked():
        st.rerun = True  # an ingest finished during this round: look again right after it
        return
    async with st.lock:
        while True:
            st.rerun = False
            try:
                await _round(application)
            except sqlite3.OperationalError as exc:  # busy database: the next round retries
                log.warning("alert round skipped: %s", exc)
                return
            if not st.rerun:
                return


def trigger_alerts(application: Application) -> None:
    """Runs the alert job now (after an ingest in this process) instead of waiting for the interval."""
    if application.job_queue is not None:
        application.job_queue.run_once(alert_job, 0, name="alerts-now")


async def feed_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Polls every feed once (in a worker thread), then runs the alert job if articles arrived."""
    try:
        from arshif.index import feeds
    except ImportError:
        log.warning("feed polling is configured but index.feeds is not available")
        return
    st = _state(context.application)

    def poll() -> int:
        results = feeds.poll_all(st.conn(), stop=st.stop, allow_private=st.settings.allow_private_urls)
        return sum(len(r.added_ids) for r in results)

    added = await asyncio.to_thread(poll)
    if added:
        log.info("feeds added %d articles", added)
        trigger_alerts(context.application)


# --- commands and buttons -------------------------------------------------------------------------


def _archive_error(exc: ArchiveError, lang: str, limit: int) -> str:
    if isinstance(exc, engine.AlreadySubscribed):
        m = re.search(r"#(\d+)", str(exc))
        return t("already", lang, id=m.group(1) if m else "?")
    if isinstance(exc, LimitError) and "subscriptions" in str(exc):
        return t("limit", lang, limit=limit)
    if isinstance(exc, QuerySyntaxError) and lang == "ar":
        return t("bad_query", lang)
    return str(exc)


async def subscribe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replies to /subscribe <query>: the new subscription's number, how many archived articles
    match it now and the newest of them (with open and delete buttons); or why it cannot be saved."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None or not _rate_ok(context, user.id):
        return
    query = " ".join(context.args or [])
    lang = _lang(update, query or None)
    if not await _allowed(update, context, lang):
        return
    if not query:
        await message.reply_text(t("subscribe_usage", lang))
        return
    st = _state(context.application)
    if await db_call(context.application, _welcome_back, user.id):
        trigger_alerts(context.application)
    try:
        sub, total, example = await db_call(context.application, engine.subscribe, user.id, chat.id, query,
                                        limit=st.settings.max_subscriptions)
    except ArchiveError as exc:
        await message.reply_text(_archive_error(exc, lang, st.settings.max_subscriptions))
        return
    blocks = [render.escape(t("subscribed", lang, id=sub.id, query=sub.query))]
    buttons: list[tuple[str, str]] = []
    if example is not None:
        blocks.append(render.escape(t("matches_now", lang, n=total)))
        blocks.append(_hit_html(example, [example.source] if example.source else []))
        buttons.append((t("alert_button_open", lang), f"a:{example.article_id}"))
    else:
        blocks.append(render.escape(t("no_matches_now", lang)))
    buttons.append((t("button_delete", lang, id=sub.id), f"unsub:{sub.id}"))
    parts = render.split_html(render.apply_bidi("\n\n".join(blocks), lang))
    for i, part in enumerate(parts):
        await message.reply_html(part, link_preview_options=NO_PREVIEW,
                                 reply_markup=_markup([buttons]) if i == len(parts) - 1 else None)


def _listing(subs: Sequence[engine.Subscription], lang: str, limit: int) -> tuple[str, InlineKeyboardMarkup | None]:
    if not subs:
        return render.escape(t("list_empty", lang)), None
    lines = [f"<b>{render.escape(t('list_header', lang, n=len(subs), limit=limit))}</b>"]
    rows = []
    for s in subs:
        key = "status_running" if s.running else f"status_{s.paused}"
        status = t(key if key in TEXTS else "status_other", lang)
        lines.append(f"<b>#{s.id}</b> «{render.escape(s.query)}» — {render.escape(status)}")
        toggle = ((t("button_unmute", lang, id=s.id), f"sub:on:{s.id}") if s.paused == engine.PAUSED_MUTED
                  else (t("button_mute", lang, id=s.id), f"mute:{s.id}"))
        rows.append([(t("button_delete", lang, id=s.id), f"unsub:{s.id}"), toggle])
    return render.apply_bidi("\n".join(lines), lang), _markup(rows)


async def subscriptions_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replies to /subscriptions with the user's subscriptions and their state (active, muted,
    paused), each with a delete button and a mute/unmute button."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not _rate_ok(context, user.id):
        return
    lang = _lang(update)
    if not await _allowed(update, context, lang):
        return
    st = _state(context.application)
    resumed = await db_call(context.application, _welcome_back, user.id)
    subs = await db_call(context.application, engine.list_subscriptions, user.id)
    text, markup = _listing(subs, lang, st.settings.max_subscriptions)
    if resumed:  # they had blocked the bot; writing to it again undoes the pause
        text = f"<i>{render.escape(t('resumed', lang, n=resumed))}</i>\n\n{text}"
        trigger_alerts(context.application)
    await message.reply_html(text, reply_markup=markup)


async def unsubscribe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replies to /unsubscribe <id>: "deleted", or that the user has no such subscription."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not _rate_ok(context, user.id):
        return
    args = " ".join(context.args or [])
    lang = _lang(update, args or None)
    if not await _allowed(update, context, lang):
        return
    m = re.fullmatch(r"#?(\d{1,12})", args.strip())
    if m is None:
        await message.reply_text(t("unsubscribe_usage", lang))
        return
    sub_id = int(m.group(1))
    done = await db_call(context.application, engine.unsubscribe, user.id, sub_id)
    await message.reply_text(t("unsubscribed" if done else "not_yours", lang, id=sub_id))


async def subscription_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handles 🗑 (delete), 🔕 (mute) and 🔔 (unmute) on a subscription: a short confirmation pops
    up, and a /subscriptions list the button belongs to is redrawn in place."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    lang = _lang(update)
    m = CALLBACK.fullmatch(query.data or "")
    if m is None:
        await query.answer(t("stale_button", lang))
        return
    st = _state(context.application)
    decision = await db_call(context.application, _decide, st.settings, user.id,
                         update.effective_chat.id if update.effective_chat else user.id)
    if not decision.allowed:
        await query.answer(t("stranger", lang, user_id=user.id)[:200], show_alert=True)
        return
    action, sub_id = m.group("action"), int(m.group("id"))
    await db_call(context.application, _welcome_back, user.id)
    fn, key = {"unsub": (engine.unsubscribe, "unsubscribed"), "mute": (engine.mute, "muted"),
               "sub:on": (engine.unmute, "unmuted")}[action]
    done = await db_call(context.application, fn, user.id, sub_id)
    # Answer first: until answered the user's button keeps spinning.
    await query.answer(t(key if done else "not_yours", lang, id=sub_id)[:200])
    if done and isinstance(query.message, Message) and _is_listing(query.message):
        subs = await db_call(context.application, engine.list_subscriptions, user.id)
        text, markup = _listing(subs, lang, st.settings.max_subscriptions)
        with contextlib.suppress(BadRequest):  # "message is not modified"
            await query.message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


def _is_listing(message: Message) -> bool:
    """True for a /subscriptions list (every row has a delete and a toggle button)."""
    markup = message.reply_markup
    if markup is None or not markup.inline_keyboard:
        return False
    return all(len(row) == 2 and str(row[0].callback_data or "").startswith("unsub:")
               and str(row[1].callback_data or "").startswith(("mute:", "sub:on:"))
               for row in markup.inline_keyboard)


# --- registration ---------------------------------------------------------------------------------


def register(application: Application, settings: Settings) -> None:
    """Adds the subscription commands, their buttons, admin ingestion, the alert job and feed polling."""
    core = application.bot_data.get(STATE_KEY)
    db_path = core.conv.db_path if core is not None else settings.db
    st = AlertState(db_path, settings)
    application.bot_data[ALERTS_KEY] = st
    new_messages = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("subscribe", subscribe_command, filters=new_messages))
    application.add_handler(CommandHandler("subscriptions", subscriptions_command, filters=new_messages))
    application.add_handler(CommandHandler("unsubscribe", unsubscribe_command, filters=new_messages))
    application.add_handler(CallbackQueryHandler(subscription_button, pattern=r"^(?:mute|unsub|sub):"))
    menu = application.bot_data.setdefault(MENU_KEY, [])
    menu.extend(c for c in COMMANDS if c not in menu)

    from . import admin  # here, not at the top: admin imports trigger_alerts from this module

    admin.register(application, settings)

    jobs = application.job_queue
    if jobs is None:
        log.warning("no JobQueue (install python-telegram-bot[job-queue]): alerts are not sent")
        return
    # Extra instances only meet the lock and set the rerun flag, instead of APScheduler's "skipped" warning.
    job_kwargs = {"max_instances": 4, "coalesce": True}
    jobs.run_repeating(alert_job, interval=max(0.1, settings.alert_interval), first=1.0, name="alerts",
                       job_kwargs=job_kwargs)
    if settings.feed_interval > 0:
        jobs.run_repeating(feed_job, interval=settings.feed_interval, first=5.0, name="feeds",
                           job_kwargs={"max_instances": 1, "coalesce": True})
    previous_stop = application.post_stop

    async def post_stop(app: Application) -> None:
        st.stop.set()  # ends a feed round between two feeds
        if previous_stop is not None:
            await previous_stop(app)

    application.post_stop = post_stop
    previous_shutdown = application.post_shutdown

    async def post_shutdown(app: Application) -> None:
        if previous_shutdown is not None:
            await previous_shutdown(app)
        st.close()

    application.post_shutdown = post_shutdown
