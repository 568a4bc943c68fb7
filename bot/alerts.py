"""Subscriptions and alerts, Telegram-free: the replies of /subscribe, /subscriptions, /unsubscribe and
their buttons, the alert messages, and the database side of an alert round.

``bot.core`` calls the ``*_reply`` functions (so the bot and ``arshif chat`` say the same);
``bot.jobs`` calls ``prepare_round`` and ``outgoing`` and does the sending. The engine
(``index.alerts``) decides what to send and records it; why a send is claimed before it is made is
explained there.

Buttons: ``a:<article>`` opens an article (the core's own "open" button, reused), ``mute:<sub>``,
``unsub:<sub>`` and ``sub:on:<sub>`` (unmute) act on a subscription; all stay under 64 bytes.
"""

from __future__ import annotations

import html
import logging
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from arshif.index import alerts as engine
from arshif.index import store
from arshif.index.models import Hit

from . import render
from .access import decide
from .config import Settings
from .replies import Button, Item, Reply, SourceLine, Who
from .texts import TEXTS, language_for, t

__all__ = [
    "CALLBACK",
    "Outgoing",
    "button_reply",
    "outgoing",
    "pause_chat",
    "prepare_round",
    "render_alert",
    "render_digest",
    "subscribe_reply",
    "subscriptions_reply",
    "unsubscribe_reply",
    "welcome_back",
]

log = logging.getLogger(__name__)

DIGEST_PAGE = 10  # alerts listed in one digest message
OPEN_BUTTONS_PER_ROW = 5
MUTE_BUTTONS = 3  # at most this many subscriptions get a mute button under one message
PAUSED_NO_ACCESS = "no access"
CALLBACK = re.compile(r"(?P<action>mute|unsub|sub:on):(?P<id>\d{1,12})")


# --- the user's side: replies ---------------------------------------------------------------------


def subscribe_reply(conn: sqlite3.Connection, settings: Settings, who: Who, query: str, lang: str) -> Reply:
    """Returns the reply to /subscribe: the new subscription, how many archived articles match it
    now and the newest of them (open and delete buttons); engine refusals propagate (ArchiveError)."""
    if not query.strip():
        return Reply(lang, lead=t("subscribe_usage", lang))
    sub, total, example = engine.subscribe(conn, who.user_id, who.chat_id, query, limit=settings.max_subscriptions)
    lead = [t("subscribed", lang, id=sub.id, query=sub.query)]
    buttons: list[Button] = []
    items: tuple[Item, ...] = ()
    if example is not None:
        lead.append(t("matches_now", lang, n=total))
        items = (_hit_item(example),)
        buttons.append(Button(t("alert_button_open", lang), f"a:{example.article_id}"))
    else:
        lead.append(t("no_matches_now", lang))
    buttons.append(Button(t("button_delete", lang, id=sub.id), f"unsub:{sub.id}"))
    return Reply(lang, lead="\n\n".join(lead), items=items, buttons=(tuple(buttons),))


def subscriptions_reply(conn: sqlite3.Connection, settings: Settings, who: Who, lang: str, *,
                        edit: bool = False, toast: str | None = None) -> Reply:
    """Returns /subscriptions: every subscription with its state (active, muted, paused), each with
    a delete button and a mute/unmute button."""
    subs = engine.list_subscriptions(conn, who.user_id)
    if not subs:
        return Reply(lang, lead=t("list_empty", lang), edit=edit, toast=toast)
    lines, rows = [], []
    for s in subs:
        key = "status_running" if s.running else f"status_{s.paused}"
        status = t(key if key in TEXTS else "status_other", lang)
        lines.append(f"#{s.id} «{s.query}» — {status}")
        toggle = (Button(t("button_unmute", lang, id=s.id), f"sub:on:{s.id}") if s.paused == engine.PAUSED_MUTED
                  else Button(t("button_mute", lang, id=s.id), f"mute:{s.id}"))
        rows.append((Button(t("button_delete", lang, id=s.id), f"unsub:{s.id}"), toggle))
    title = t("list_header", lang, n=len(subs), limit=settings.max_subscriptions)
    return Reply(lang, title=title, lead="\n".join(lines), buttons=tuple(rows), edit=edit, toast=toast)


def unsubscribe_reply(conn: sqlite3.Connection, who: Who, args: str, lang: str) -> Reply:
    """Returns the reply to /unsubscribe <id>: "deleted", or that the user has no such subscription."""
    m = re.fullmatch(r"#?(\d{1,12})", args.strip())
    if m is None:
        return Reply(lang, lead=t("unsubscribe_usage", lang))
    sub_id = int(m.group(1))
    done = engine.unsubscribe(conn, who.user_id, sub_id)
    return Reply(lang, lead=t("unsubscribed" if done else "not_yours", lang, id=sub_id))


def button_reply(conn: sqlite3.Connection, settings: Settings, who: Who, data: str, lang: str,
                 keyboard: Sequence[Sequence[str]] = ()) -> Reply | None:
    """Returns the reply to 🗑 (delete), 🔕 (mute) or 🔔 (unmute), or None when ``data`` is not one.

    The confirmation is a toast; pressed under a /subscriptions list (``keyboard``: the callback
    data of the message's buttons), the list is redrawn in place.
    """
    m = CALLBACK.fullmatch(data)
    if m is None:
        return None
    action, sub_id = m.group("action"), int(m.group("id"))
    fn, key = {"unsub": (engine.unsubscribe, "unsubscribed"), "mute": (engine.mute, "muted"),
               "sub:on": (engine.unmute, "unmuted")}[action]
    done = fn(conn, who.user_id, sub_id)
    toast = t(key if done else "not_yours", lang, id=sub_id)[:200]
    if done and _is_listing(keyboard):
        return subscriptions_reply(conn, settings, who, lang, edit=True, toast=toast)
    return Reply(lang, kind="toast", toast=toast)


def _is_listing(keyboard: Sequence[Sequence[str]]) -> bool:
    """True for a /subscriptions list (every row has a delete and a toggle button)."""
    return bool(keyboard) and all(
        len(row) == 2 and row[0].startswith("unsub:") and row[1].startswith(("mute:", "sub:on:")) for row in keyboard
    )


def _hit_item(hit: Hit) -> Item:
    excerpt, spans = render.flatten(hit.excerpt, hit.highlights)
    return Item(SourceLine(hit.article_id, hit.title, hit.url, hit.published, hit.source), excerpt, spans)


def welcome_back(conn: sqlite3.Connection, user_id: int) -> int:
    """Resumes a user's subscriptions paused because they had blocked the bot; returns how many.

    They are writing to the bot, so they unblocked it. The subscriptions resume before the blocked
    flag is cleared: the alert round resumes users whose flag is clear, and doing it in this order
    keeps the two from racing for the same subscriptions.
    """
    n = engine.resume_user(conn, user_id, engine.PAUSED_BLOCKED)
    store.set_user_blocked(conn, user_id, False)
    return n


# --- the alert round's database side --------------------------------------------------------------


def prepare_round(conn: sqlite3.Connection, settings: Settings,
                  unrecorded: list[tuple[str, int | None]]) -> list[engine.ChatAlerts]:
    """Settles unrecorded and interrupted sends, resumes chats, matches, returns what to send.

    ``unrecorded`` holds sends Telegram accepted whose recording failed last round; they are
    recorded first (and removed from the list). Chats an admin shut out since they subscribed are
    paused instead of alerted. The terminal chat (chat 0) has no Telegram chat to send to.
    """
    while unrecorded:
        attempt, message_id = unrecorded[0]
        engine.mark_sent(conn, attempt, message_id)
        unrecorded.pop(0)
    engine.recover_interrupted(conn)
    for user_id in store.blocked_users_back(conn):
        engine.resume_user(conn, user_id, engine.PAUSED_BLOCKED)
    for sub in store.subscriptions_paused(conn, PAUSED_NO_ACCESS):
        if decide(settings, conn, sub.user_id, sub.chat_id).allowed:
            engine.resume_user(conn, sub.user_id, PAUSED_NO_ACCESS)
    engine.collect_alerts(conn)
    chats = []
    for chat in engine.pending_deliveries(conn):
        if chat.chat_id == 0:
            continue
        if decide(settings, conn, chat.user_id, chat.chat_id).allowed:
            chats.append(chat)
        else:
            engine.pause_user(conn, chat.user_id, PAUSED_NO_ACCESS)
    return chats


def pause_chat(conn: sqlite3.Connection, chat_id: int) -> None:
    """Pauses a chat Telegram refused (Forbidden); a private chat's user is marked as blocking us."""
    engine.pause_chat(conn, chat_id, engine.PAUSED_BLOCKED)
    if chat_id > 0:  # a private chat: the user blocked the bot; the core clears this when they write
        store.set_user_blocked(conn, chat_id, True)


# --- alert messages -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One alert message (maybe split in parts), its buttons and the deliveries it settles."""

    parts: tuple[str, ...]
    buttons: tuple[tuple[Button, ...], ...]
    keys: tuple[tuple[int, int], ...]


def _link(title: str, url: str | None) -> str:
    if url and re.match(r"https?://", url) and len(url) <= render.MAX_LINK_CHARS:
        return f'<a href="{html.escape(url, quote=True)}">{render.escape(title)}</a>'
    return render.escape(title)


def _meta(published: str | None, sources: Sequence[str], article_id: int) -> str:
    bits = [b for b in (published, "، ".join(sources) if sources else None) if b]
    bits.append(f"#{article_id}")
    return " · ".join(render.escape(b) for b in bits)


def _rows(rows: Sequence[Sequence[Button]]) -> tuple[tuple[Button, ...], ...]:
    kept = (tuple(b for b in row if render.callback_data_ok(b.data)) for row in rows)
    return tuple(row for row in kept if row)


def _mute_row(subs: Sequence[tuple[int, str]], lang: str) -> list[Button]:
    ids = list(dict.fromkeys(s for s, _ in subs))[:MUTE_BUTTONS]
    return [Button(t("button_mute", lang, id=s), f"mute:{s}") for s in ids]


def render_alert(alert: engine.Alert, lang: str) -> Outgoing:
    """Returns one alert: the subscription, title (linked), date · sources, excerpt with matched words marked."""
    sub_id, query = alert.subscriptions[0]
    lines = [f"<b>{_link(alert.title, alert.url)}</b>", _meta(alert.published, alert.sources, alert.article_id)]
    if alert.excerpt:
        lines.append(render.mark(alert.excerpt, alert.highlights))
    blocks = [f"<i>{render.escape(t('alert_header', lang, id=sub_id, query=query))}</i>", "\n".join(lines)]
    others = [(s, u) for s, u in alert.also if u or s]
    if others:
        links = "، ".join(_link(s or u or "", u) for s, u in others)
        blocks.append(f"{render.escape(t('also_from', lang))} {links}")
    buttons = [[Button(t("alert_button_open", lang), f"a:{alert.article_id}"), *_mute_row(alert.subscriptions, lang)]]
    parts = render.split_html(render.apply_bidi("\n\n".join(blocks), lang))
    return Outgoing(tuple(parts), _rows(buttons), alert.keys)


def render_digest(items: Sequence[engine.Alert], lang: str) -> Outgoing:
    """Returns one digest message: numbered titles (linked) with date · sources, open buttons, mute buttons."""
    subs = [s for a in items for s in a.subscriptions]
    queries = "، ".join(f"«{q}»" for q in dict.fromkeys(q for _, q in subs))
    lines = [f"<b>{render.escape(t('digest_header', lang, n=len(items), queries=queries))}</b>"]
    for n, a in enumerate(items, 1):
        lines.append(f"<b>{n}.</b> {_link(a.title, a.url)}\n{_meta(a.published, a.sources, a.article_id)}")
    opens = [Button(f"📄 {n}", f"a:{a.article_id}") for n, a in enumerate(items, 1)]
    rows = [opens[i:i + OPEN_BUTTONS_PER_ROW] for i in range(0, len(opens), OPEN_BUTTONS_PER_ROW)]
    rows.append(_mute_row(subs, lang))
    parts = render.split_html(render.apply_bidi("\n\n".join(lines), lang))
    return Outgoing(tuple(parts), _rows(rows), tuple(k for a in items for k in a.keys))


def outgoing(chat: engine.ChatAlerts) -> list[Outgoing]:
    """Returns the messages for a chat's pending alerts: one each, or digests of ``DIGEST_PAGE``."""
    lang = language_for(None, chat.alerts[0].subscriptions[0][1])
    if not chat.digest:
        return [render_alert(a, lang) for a in chat.alerts]
    return [render_digest(chat.alerts[i:i + DIGEST_PAGE], lang) for i in range(0, len(chat.alerts), DIGEST_PAGE)]
