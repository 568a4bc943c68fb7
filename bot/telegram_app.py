"""The Telegram face of arshif: a thin adapter around the conversation core (``bot.core``).

``build_application`` registers every handler, in one place: a CommandHandler for each command the
core knows (``bot.core.COMMAND_HANDLERS``), plain text, documents, button presses, the error handler
and the jobs (``bot.jobs``: alerts, feeds). Each handler turns an update into a ``Who`` and a call of
the core, and everything then goes through one path, ``_serve``: the per-user incoming rate limit
(the user is told once when over it), one update per chat at a time (a follow-up sees the memory its
question left), the core run off the event loop (worker processes, or threads of this process, each
with its own SQLite connection), and delivery of the reply rendered by ``bot.render``.

Telegram-specific duties live here and nowhere else: group etiquette (commands, mentions and
replies to the bot only), ``AIORateLimiter`` for outgoing messages (which also waits out
``RetryAfter``), users who blocked the bot (``Forbidden`` is recorded, not raised), editing a
message in place when a paging button is pressed, answering every button press, and the one error
handler.
"""

from __future__ import annotations

import os

# PTB 22 represents durations (RetryAfter.retry_after, ...) as timedelta only with this set;
# without it, it warns on every such value. Set before telegram is imported.
os.environ.setdefault("PTB_TIMEDELTA", "1")

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import weakref
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from . import render
from .access import RateLimiter
from .admin import private_allowed
from .config import Settings, derive_file_url
from .core import COMMAND_HANDLERS, Conversation, Reply, Who
from .jobs import Jobs, markup
from .logs import loggable_text
from .texts import command_menu, language_for, t
from .webhook import serve_webhook

__all__ = ["STATE_KEY", "BotState", "build_application", "engine_processes", "run"]

log = logging.getLogger(__name__)
T = TypeVar("T")

STATE_KEY = "arshif"  # bot_data entry holding the BotState
CONCURRENT_UPDATES = 64
TYPING_AFTER_S = 1.0  # show "typing…" only when an answer takes a noticeable time
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# Engine calls running at once; the rest queue. The engine is mostly Python, so more threads only
# fight over the GIL: on 2 cores under a heavy load (tests/bench/bench_bot.py --think 1) p95 was
# 392 ms with 1 thread, 531 ms with 2 and 788 ms with 4, at the same 14 replies/s. Two rather than
# one, so that a write waiting on an ingest's lock (busy_timeout) does not stall every reader.
ENGINE_THREADS = 2


@dataclass
class BotState:
    """What the handlers share: the conversation core, settings, the rate limiter, per-chat locks,
    the engine processes and the jobs."""

    conv: Conversation
    settings: Settings
    limiter: RateLimiter
    jobs: Jobs
    locks: weakref.WeakValueDictionary[int, asyncio.Lock] = field(default_factory=weakref.WeakValueDictionary)
    engine_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(ENGINE_THREADS))
    processes: int = 0  # engine processes; 0 runs the conversation in threads of this process
    pool: ProcessPoolExecutor | None = None

    async def engine(self, fn: Callable[..., T], *args: object) -> T:
        """Runs blocking engine work in a thread, at most ENGINE_THREADS at once."""
        async with self.engine_slots:
            return await asyncio.to_thread(fn, *args)

    async def converse(self, method: str, *args: object) -> Any:
        """Runs a ``Conversation`` method (``handle``, ``command``, ``callback``) off the event loop.

        With engine processes the work runs in a worker process (both cores answer; the engine
        is Python, so threads of one process share one core); otherwise in a thread here.
        """
        if self.pool is None:
            return await self.engine(getattr(self.conv, method), *args)
        async with self.engine_slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.pool, _pooled, method, self.conv.bot_username, args)

    def start_pool(self, db_path: str | Path) -> None:
        """Starts the engine processes (spawned: no state is inherited from the event loop's process)."""
        if self.processes <= 0 or self.pool is not None:
            return
        self.pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_pool_init,
                                        initargs=(str(db_path), self.settings, self.conv.allow_private_urls))
        self.engine_slots = asyncio.Semaphore(self.processes)

    def stop_pool(self) -> None:
        """Stops the engine processes (at shutdown)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def lock(self, chat_id: int) -> asyncio.Lock:
        """Returns the chat's lock: one update per chat at a time, so a follow-up sees the memory
        its question left."""
        lock = self.locks.get(chat_id)
        if lock is None:
            lock = asyncio.Lock()
            self.locks[chat_id] = lock
        return lock


_POOL_CONV: Conversation | None = None


def _pool_init(db_path: str, settings: Settings, allow_private_urls: bool) -> None:
    """Runs once in each engine process: its own conversation core and database connection."""
    global _POOL_CONV
    _POOL_CONV = Conversation(db_path, settings, allow_private_urls=allow_private_urls)
    _POOL_CONV.conn()


def _pooled(method: str, bot_username: str | None, args: tuple) -> Any:
    """Runs one conversation method in an engine process."""
    assert _POOL_CONV is not None, "engine process not initialised"
    _POOL_CONV.bot_username = bot_username
    return getattr(_POOL_CONV, method)(*args)


def engine_processes(settings: Settings) -> int:
    """Returns how many engine processes to run: ARSHIF_ENGINE_PROCESSES, or one per core (max 4)."""
    if settings.engine_processes >= 0:
        return settings.engine_processes
    cores = os.cpu_count() or 1
    return min(cores, 4) if cores > 1 else 0


def _state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.application.bot_data[STATE_KEY]


def _who(update: Update) -> Who | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    return Who(user.id, chat.id, user.language_code, chat.type, user.first_name)


def _is_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


def _addressed(message: Message, bot_id: int, username: str | None) -> tuple[bool, str]:
    """Returns whether a group message is meant for the bot, and its text without the mention."""
    text = message.text or ""
    mentioned = False
    for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            mentioned = True
        elif username and value.lower() == f"@{username.lower()}":
            mentioned = True
            text = text.replace(value, " ")
    replied = message.reply_to_message
    to_bot = bool(replied and replied.from_user and replied.from_user.id == bot_id)
    return mentioned or to_bot, " ".join(text.split())


# --- delivery -------------------------------------------------------------------------------------


async def _deliver(context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply, *,
                   reply_to: int | None = None, edit: Message | None = None) -> None:
    """Sends (or edits in place) a reply; a user who blocked the bot is recorded, not raised."""
    bot = context.bot
    keyboard = markup(reply.buttons)
    try:
        if reply.photo is not None:
            await bot.send_photo(
                chat_id, photo=reply.photo.content, filename=reply.photo.filename,
                caption=render.render_caption(reply), parse_mode=ParseMode.HTML, reply_markup=keyboard,
                reply_parameters=_reply_params(reply_to),
            )
            return
        if reply.document is not None:
            await bot.send_document(
                chat_id, document=reply.document.content, filename=reply.document.filename,
                caption=render.render_caption(reply), parse_mode=ParseMode.HTML, reply_markup=keyboard,
                reply_parameters=_reply_params(reply_to),
            )
            return
        parts = render.render_html(reply)
        if edit is not None and reply.edit and len(parts) == 1:
            try:
                await edit.edit_text(parts[0], parse_mode=ParseMode.HTML, reply_markup=keyboard,
                                     link_preview_options=NO_PREVIEW)
            except BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    raise
            return
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            await bot.send_message(
                chat_id, part, parse_mode=ParseMode.HTML, reply_markup=keyboard if last else None,
                link_preview_options=NO_PREVIEW, reply_parameters=_reply_params(reply_to) if i == 0 else None,
            )
        for notice in reply.notices:
            with contextlib.suppress(TelegramError):  # the user may never have opened the bot
                await bot.send_message(notice.chat_id, render.escape(notice.text), parse_mode=ParseMode.HTML)
    except Forbidden:
        await _blocked(context, chat_id)
    except RetryAfter as exc:  # AIORateLimiter already retried: give up on this reply, keep serving
        log.warning("flood control: dropped a reply to chat %s (retry after %s)", chat_id, exc.retry_after)


def _reply_params(message_id: int | None) -> ReplyParameters | None:
    return ReplyParameters(message_id, allow_sending_without_reply=True) if message_id else None


async def _blocked(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    """Records that a user blocked the bot (private chats: the chat id is the user id)."""
    log.info("chat %s blocked the bot or removed it", chat_id)
    if chat_id > 0:
        await _state(context).engine(_state(context).conv.set_blocked, chat_id, True)


async def _typing_later(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    await asyncio.sleep(TYPING_AFTER_S)
    with contextlib.suppress(TelegramError):
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING)


async def _answer(query: CallbackQuery, text: str | None = None) -> None:
    """Answers a callback query; one pressed long ago can no longer be answered, and that is fine."""
    try:
        await query.answer(text)
    except BadRequest as exc:
        log.info("callback query not answered: %s", exc.message)


Work = Callable[[BotState, Who], Awaitable[Reply | None]]


async def _serve(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, work: Work) -> None:
    """The one path of every update: rate limit, per-chat order, the core off the event loop,
    delivery (and answering the button press), then the alert round when the reply asks for it."""
    state = _state(context)
    who = _who(update)
    query = update.callback_query
    message = update.effective_message
    if who is None or (message is None and query is None):
        return
    if state.conv.bot_username is None:
        state.conv.bot_username = context.bot.username
    log.info("%s from user %s in chat %s: %s", "button" if query else "message", who.user_id, who.chat_id,
             loggable_text(text, log_messages=state.settings.debug_log_messages))
    verdict = "ok" if state.settings.is_admin(who.user_id) else state.limiter.check(who.user_id)
    reply_to = message.message_id if message is not None and query is None and _is_group(update) else None
    if verdict != "ok":
        warning = t("rate_limited", language_for(who.language_code, text)) if verdict == "warn" else None
        if query is not None:  # answer even a refused press: until answered, the button keeps spinning
            await _answer(query, warning)
        elif warning is not None:
            await _deliver(context, who.chat_id, Reply(lead=warning, lang=language_for(who.language_code, text)),
                           reply_to=reply_to)
        return
    async with state.lock(who.chat_id):
        typing = asyncio.create_task(_typing_later(context, who.chat_id)) if query is None else None
        try:
            reply = await work(state, who)
        finally:
            if typing is not None:
                typing.cancel()
        if query is not None:
            await _answer(query, reply.toast if reply is not None else None)
        if reply is None or reply.kind == "toast":
            return
        edit = None
        if query is not None:
            if query.message is None and reply.edit:  # an inaccessible old message: send anew
                reply = Reply(reply.lang, lead=t("stale_button", reply.lang), kind="stale")
            edit = query.message if isinstance(query.message, Message) else None
        await _deliver(context, who.chat_id, reply, reply_to=reply_to, edit=edit)
    if reply.alerts_due:
        state.jobs.trigger()


def _call(method: str, *args: object) -> Work:
    async def work(state: BotState, who: Who) -> Reply | None:
        return await state.converse(method, who, *args)

    return work


# --- handlers -------------------------------------------------------------------------------------


async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replies to every command the core knows (``bot.core.COMMAND_HANDLERS``): /start, /help, /ask,
    /search, /latest, /article, /subscribe, /subscriptions, /unsubscribe and the admins' /allow,
    /deny, /users, /add, /feeds, /stats. Strangers get one sentence with their id."""
    message = update.effective_message
    if message is None or not message.text:
        return
    head, *rest = message.text.split(maxsplit=1)
    name = head[1:].split("@", 1)[0].lower()
    args = rest[0].strip() if rest else ""
    await _serve(update, context, args, _call("command", name, args))


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replies to plain text: an answer when it reads like a question, else search results. In
    groups only messages that mention the bot or reply to it are answered; the rest is ignored."""
    message = update.effective_message
    if message is None or not message.text:
        return
    text = message.text
    if _is_group(update):
        addressed, text = _addressed(message, context.bot.id, context.bot.username)
        if not addressed:
            return
    await _serve(update, context, text, _call("handle", text))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replies "unknown command, see /help" to a command no handler took (private chats only)."""
    if _is_group(update):
        return
    await _serve(update, context, "", _call("command", "", ""))


async def document_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ingests a document an admin sends in a private chat (.txt .md .html .json .jsonl .zip) and
    replies with the summary; others are told that adding articles is for admins."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    document = message.document
    name = Path(document.file_name or "upload.txt").name

    async def work(state: BotState, who: Who) -> Reply | None:
        refusal = await state.converse("upload", who, name, None, document.file_size)
        if refusal is not None:
            return refusal
        buffer = BytesIO()
        await (await document.get_file()).download_to_memory(buffer)
        return await state.converse("upload", who, name, buffer.getvalue())

    await _serve(update, context, message.caption or "", work)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handles a button press: pages a result list in place (◀ ▶), opens an article, lists articles
    like one, deletes/mutes/unmutes a subscription (a short confirmation pops up). A stale or forged
    button gets a polite "expired"."""
    query = update.callback_query
    if query is None:
        return
    pressed = query.message.reply_markup if isinstance(query.message, Message) else None
    keyboard = tuple(tuple(str(b.callback_data or "") for b in row) for row in pressed.inline_keyboard) \
        if pressed is not None else ()
    await _serve(update, context, "", _call("callback", query.data or "", keyboard))


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers ``@bot words`` typed in any chat: the answer to a question with its source, then the
    best matching articles (title, date, source, excerpt), to share there. Users who are not let in
    get no results, only a button that opens the bot (which tells them how to ask for access)."""
    query = update.inline_query
    if query is None:
        return
    state = _state(context)
    user = query.from_user
    who = Who(user.id, user.id, user.language_code, "private", user.first_name)
    log.info("inline query from user %s: %s", user.id,
             loggable_text(query.query, log_messages=state.settings.debug_log_messages))
    answer = await state.converse("inline", who, query.query or "")
    results = [
        InlineQueryResultArticle(
            r.id, r.title, InputTextMessageContent(r.message_html, parse_mode=ParseMode.HTML,
                                                   link_preview_options=NO_PREVIEW),
            description=r.description, url=r.url,
        )
        for r in answer.results
    ]
    button = InlineQueryResultsButton(answer.refused, start_parameter="access") if answer.refused else None
    try:
        # is_personal: what a user may see depends on who they are (strangers get nothing).
        await query.answer(results, cache_time=answer.cache_seconds, is_personal=True, button=button)
    except BadRequest as exc:  # typed on: Telegram dropped the query before we answered
        log.info("inline query not answered: %s", exc.message)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Logs the traceback, tells the user "Something went wrong; the admin has been notified." and
    sends the admins one line naming the error (never the message text)."""
    error = context.error
    if isinstance(error, NetworkError) and not isinstance(update, Update):
        log.warning("network trouble talking to Telegram: %s", error)  # polling retries by itself
        return
    log.error("error while handling an update", exc_info=error)
    if not isinstance(update, Update):
        return
    who = _who(update)
    chat = update.effective_chat
    if chat is not None:
        lang = language_for(who.language_code if who else None)
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(chat.id, t("error", lang))
    settings = _state(context).settings
    summary = t("admin_error", "en", user_id=who.user_id if who else "?", chat_id=chat.id if chat else "?",
                error=type(error).__name__)
    for admin in settings.admins:
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(admin, summary)


# --- lifecycle ------------------------------------------------------------------------------------


async def post_init(application: Application) -> None:
    """Sets the command menu in Arabic (the default and "ar") and English ("en"); starts the engine
    processes and the jobs."""
    state: BotState = application.bot_data[STATE_KEY]
    state.conv.bot_username = application.bot.username
    state.start_pool(state.conv.db_path)
    for language in ("", "ar", "en"):
        menu = [BotCommand(c, d) for c, d in command_menu(language or "ar")]
        await application.bot.set_my_commands(menu, language_code=language or None)


async def post_stop(application: Application) -> None:
    """Ends a feed round between two feeds."""
    application.bot_data[STATE_KEY].jobs.stop.set()


async def post_shutdown(application: Application) -> None:
    """Stops the engine processes and closes the database connections the worker threads opened."""
    state: BotState | None = application.bot_data.get(STATE_KEY)
    if state is not None:
        state.stop_pool()
        state.conv.close()


def build_application(settings: Settings, db_path: str | Path | None = None, *,
                      base_url: str | None = None) -> Application:
    """Returns the configured Application: every handler, the error handler, the jobs, limits, hooks.

    ``base_url`` overrides ``settings.api_base_url`` (tests point it at a fake Bot API server).
    """
    api = base_url or settings.api_base_url
    # load_settings derives the file URL from TELEGRAM_API_BASE_URL; an explicit base_url does the same.
    file_url = derive_file_url(api) if base_url else settings.api_file_url
    application = (
        Application.builder()
        .token(settings.token)
        .base_url(api)
        .base_file_url(file_url)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    conv = Conversation(db_path or settings.db, settings, allow_private_urls=private_allowed(settings, api))
    state = BotState(conv, settings, RateLimiter(settings.rate_limit), Jobs(conv),
                     processes=engine_processes(settings))
    application.bot_data[STATE_KEY] = state

    new_messages = filters.UpdateType.MESSAGE  # edits of old messages are not new questions
    application.add_handler(CommandHandler(tuple(COMMAND_HANDLERS), command, filters=new_messages))
    application.add_handler(MessageHandler(new_messages & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(new_messages & filters.TEXT & ~filters.COMMAND, text_message))
    application.add_handler(MessageHandler(new_messages & filters.ChatType.PRIVATE & filters.Document.ALL,
                                           document_message))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(InlineQueryHandler(inline_query))
    application.add_error_handler(on_error)
    state.jobs.schedule(application)
    return application


def run(settings: Settings, db_path: str | Path | None = None) -> None:
    """Serves until SIGINT/SIGTERM: long polling by default, a webhook when ARSHIF_WEBHOOK_URL is set."""
    application = build_application(settings, db_path)
    if settings.webhook_mode:
        serve_webhook(application, settings, db_path or settings.db)
        return
    log.info("arshif bot polling for updates (database %s)", db_path or settings.db)
    try:
        application.run_polling(allowed_updates=Update.ALL_TYPES, stop_signals=(signal.SIGINT, signal.SIGTERM))
    except InvalidToken:
        log.error("Telegram refused the bot token; check TELEGRAM_BOT_TOKEN (BotFather sends it again with /token).")
        raise SystemExit(1) from None
    except NetworkError as exc:
        log.error("Cannot reach the Bot API at %s (%s); check the network or TELEGRAM_API_BASE_URL.",
                  settings.api_base_url, exc)
        raise SystemExit(1) from None
