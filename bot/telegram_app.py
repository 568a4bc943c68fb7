"""The Telegram face of arshif: every handler registered in ``build_application``, polling in ``run``.

Handlers are thin: they turn an update into a ``Who`` and a text, run ``bot.core.Conversation`` in
a worker thread (``asyncio.to_thread``: SQLite blocks, the event loop must not), and deliver the
reply rendered by ``bot.render``. What each handler shows the user is in its docstring.

Telegram-specific duties live here and nowhere else: group etiquette (commands, mentions and
replies to the bot only), the per-user incoming rate limit, ``AIORateLimiter`` for outgoing
messages (which also waits out ``RetryAfter``), users who blocked the bot (``Forbidden`` is recorded,
not raised), editing a message in place when a paging button is pressed, and the one error handler.
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
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
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
    MessageHandler,
    filters,
)

from . import alerts, render
from .access import RateLimiter
from .config import Settings, derive_file_url
from .core import Conversation, Reply, Who
from .logs import loggable_text
from .texts import COMMANDS, command_menu, language_for, t
from .webhook import serve_webhook

__all__ = ["STATE_KEY", "BotState", "build_application", "engine_processes", "run", "serve_webhook"]

log = logging.getLogger(__name__)
T = TypeVar("T")

STATE_KEY = "arshif"
# Other modules (bot.alerts) may append (command, usage, Arabic, English) here before post_init
# runs, so their commands join the menu and /help.
MENU_KEY = "menu_commands"
CONCURRENT_UPDATES = 64
TYPING_AFTER_S = 1.0  # show "typing…" only when an answer takes a noticeable time
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# Engine calls running at once; the rest queue. The engine is mostly Python, so more threads only
# fight over the GIL: on 2 cores under a heavy load (tests/bench/bench_bot.py --think 1) p95 was
# 392 ms with 1 thread, 531 ms with 2 and 788 ms with 4, at the same 14 replies/s. Two rather than
# one, so that a write waiting on an ingest's lock (busy_timeout) does not stall every reader.
ENGINE_THREADS = 2
# My commands in order; CommandHandlers are registered for each.
COMMAND_NAMES = tuple(c for c, *_ in COMMANDS)


@dataclass
class BotState:
    """What the handlers share: the conversation core, settings, the rate limiter, per-chat locks."""

    conv: Conversation
    settings: Settings
    limiter: RateLimiter
    locks: weakref.WeakValueDictionary[int, asyncio.Lock] = field(default_factory=weakref.WeakValueDictionary)
    engine_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(ENGINE_THREADS))
    processes: int = 0  # engine processes; 0 runs the conversation in threads of this process
    pool: ProcessPoolExecutor | None = None

    async def engine(self, fn: Callable[..., T], *args: object) -> T:
        """Runs blocking engine work in a thread, at most ENGINE_THREADS at once."""
        async with self.engine_slots:
            return await asyncio.to_thread(fn, *args)

    async def converse(self, method: str, *args: object) -> Reply:
        """Runs a ``Conversation`` method (``handle``, ``command``, ``callback``) off the event loop.

        With engine processes the work runs in a worker process (both cores answer; the engine
        is Python, so threads of one process share one core); otherwise in a thread here.
        """
        if self.pool is None:
            return await self.engine(getattr(self.conv, method), *args)
        async with self.engine_slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.pool, _pooled, method, self.conv.bot_username,
                                              self.conv.extra_commands, args)

    def start_pool(self, db_path: str | Path) -> None:
        """Starts the engine processes (spawned: no state is inherited from the event loop's process)."""
        if self.processes <= 0 or self.pool is not None:
            return
        self.pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_pool_init, initargs=(str(db_path), self.settings))
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


def _pool_init(db_path: str, settings: Settings) -> None:
    """Runs once in each engine process: its own conversation core and database connection."""
    global _POOL_CONV
    _POOL_CONV = Conversation(db_path, settings)
    _POOL_CONV.conn()


def _pooled(method: str, bot_username: str | None, extra_commands: tuple, args: tuple) -> Reply:
    """Runs one conversation method in an engine process."""
    assert _POOL_CONV is not None, "engine process not initialised"
    _POOL_CONV.bot_username = bot_username
    _POOL_CONV.extra_commands = extra_commands
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


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in reply.buttons if row]
    )


# --- delivery -------------------------------------------------------------------------------------


async def _deliver(context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply, *,
                   reply_to: int | None = None, edit: Message | None = None) -> None:
    """Sends (or edits in place) a reply; a user who blocked the bot is recorded, not raised."""
    bot = context.bot
    markup = _markup(reply)
    try:
        if reply.document is not None:
            await bot.send_document(
                chat_id, document=reply.document.content, filename=reply.document.filename,
                caption=render.render_caption(reply), parse_mode=ParseMode.HTML, reply_markup=markup,
                reply_parameters=_reply_params(reply_to),
            )
            return
        parts = render.render_html(reply)
        if edit is not None and reply.edit and len(parts) == 1:
            try:
                await edit.edit_text(parts[0], parse_mode=ParseMode.HTML, reply_markup=markup,
                                     link_preview_options=NO_PREVIEW)
            except BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    raise
            return
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            await bot.send_message(
                chat_id, part, parse_mode=ParseMode.HTML, reply_markup=markup if last else None,
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


async def _respond(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, method: str,
                   *args: str) -> None:
    """Runs a conversation method for an update off the event loop, with rate limit, per-chat
    order and delivery."""
    state = _state(context)
    who = _who(update)
    message = update.effective_message
    if who is None or message is None:
        return
    if state.conv.bot_username is None:
        state.conv.bot_username = context.bot.username
    log.info("message from user %s in chat %s: %s", who.user_id, who.chat_id,
             loggable_text(text, log_messages=state.settings.debug_log_messages))
    verdict = "ok" if state.settings.is_admin(who.user_id) else state.limiter.check(who.user_id)
    reply_to = message.message_id if _is_group(update) else None
    if verdict == "drop":
        return
    if verdict == "warn":
        lang = language_for(who.language_code, text)
        await _deliver(context, who.chat_id, Reply(lang, lead=t("rate_limited", lang)), reply_to=reply_to)
        return
    async with state.lock(who.chat_id):
        typing = asyncio.create_task(_typing_later(context, who.chat_id))
        try:
            reply = await state.converse(method, who, *args)
        finally:
            typing.cancel()
        await _deliver(context, who.chat_id, reply, reply_to=reply_to)


# --- handlers -------------------------------------------------------------------------------------


async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replies to /start (greeting), /help (how to ask, the commands), /ask (an answer), /search
    (a page of results with ◀ ▶ and open buttons), /latest, /article <id> (the whole article, or a
    .txt file), and the admins' /allow, /deny, /users. Strangers get one sentence with their id."""
    message = update.effective_message
    if message is None or not message.text:
        return
    head, *rest = message.text.split(maxsplit=1)
    name = head[1:].split("@", 1)[0].lower()
    args = rest[0].strip() if rest else ""
    await _respond(update, context, args, "command", name, args)


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
    await _respond(update, context, text, "handle", text)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replies "unknown command, see /help" to a command no handler took (private chats only)."""
    if _is_group(update) or _handled_elsewhere(context.application, update, group=FALLBACK_GROUP):
        return
    await _respond(update, context, "", "command", "", "")


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handles a button press: pages a result list in place (◀ ▶), opens an article, or lists
    articles like one. A stale or forged button gets a polite "expired" message."""
    query = update.callback_query
    who = _who(update)
    if query is None or who is None:
        return
    state = _state(context)
    verdict = "ok" if state.settings.is_admin(who.user_id) else state.limiter.check(who.user_id)
    if verdict != "ok":
        # Answer even a refused press: until answered, the user's button keeps spinning.
        await _answer(query, t("rate_limited", language_for(who.language_code)) if verdict == "warn" else None)
        return
    await _answer(query)  # stop the spinner now; the reply (an edit or a new message) follows
    async with state.lock(who.chat_id):
        reply = await state.converse("callback", who, query.data or "")
        if query.message is None and reply.edit:  # an inaccessible old message: send anew
            reply = Reply(reply.lang, lead=t("stale_button", reply.lang), kind="stale")
        edit = query.message if isinstance(query.message, Message) else None
        await _deliver(context, who.chat_id, reply, edit=edit)


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers a press on a button no handler knows with "this button has expired"."""
    query = update.callback_query
    if query is None or _handled_elsewhere(context.application, update, group=FALLBACK_GROUP):
        return
    who = _who(update)
    await _answer(query, t("stale_button", language_for(who.language_code if who else None)))


async def _answer(query: CallbackQuery, text: str | None = None) -> None:
    """Answers a callback query; one pressed long ago can no longer be answered, and that is fine."""
    try:
        await query.answer(text)
    except BadRequest as exc:
        log.info("callback query not answered: %s", exc.message)


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


FALLBACK_GROUP = 50  # after every other module's handlers (bot.alerts uses the default group 0)


def _handled_elsewhere(application: Application, update: Update, *, group: int) -> bool:
    """True when a handler outside ``group`` takes this update (so the fallback stays quiet)."""
    for number, handlers in application.handlers.items():
        if number == group:
            continue
        for handler in handlers:
            check = handler.check_update(update)
            if check is not None and check is not False:
                return True
    return False


# --- lifecycle ------------------------------------------------------------------------------------


async def post_init(application: Application) -> None:
    """Sets the command menu in Arabic (the default and "ar") and English ("en")."""
    state: BotState = application.bot_data[STATE_KEY]
    state.conv.bot_username = application.bot.username
    extra = tuple(application.bot_data.get(MENU_KEY, ()))
    state.conv.extra_commands = extra
    state.start_pool(state.conv.db_path)
    for language in ("", "ar", "en"):
        menu = [BotCommand(c, d) for c, d in command_menu(language or "ar", extra)]
        await application.bot.set_my_commands(menu, language_code=language or None)


async def post_shutdown(application: Application) -> None:
    """Closes the database connections the worker threads opened."""
    state: BotState | None = application.bot_data.get(STATE_KEY)
    if state is not None:
        state.stop_pool()
        state.conv.close()


def build_application(settings: Settings, db_path: str | Path | None = None, *,
                      base_url: str | None = None) -> Application:
    """Returns the configured Application: every handler, the error handler, limits, lifecycle hooks.

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
        .post_shutdown(post_shutdown)
        .build()
    )
    conv = Conversation(db_path or settings.db, settings)
    application.bot_data[STATE_KEY] = BotState(conv, settings, RateLimiter(settings.rate_limit),
                                               processes=engine_processes(settings))
    application.bot_data.setdefault(MENU_KEY, [])

    new_messages = filters.UpdateType.MESSAGE  # edits of old messages are not new questions
    application.add_handler(CommandHandler(COMMAND_NAMES, command, filters=new_messages))
    application.add_handler(MessageHandler(new_messages & filters.TEXT & ~filters.COMMAND, text_message))
    application.add_handler(CallbackQueryHandler(button, pattern=r"^(?:[aml]|s):"))
    application.add_handler(MessageHandler(new_messages & filters.COMMAND, unknown_command), group=FALLBACK_GROUP)
    application.add_handler(CallbackQueryHandler(unknown_button), group=FALLBACK_GROUP)
    application.add_error_handler(on_error)
    alerts.register(application, settings)
    return application


def run(settings: Settings, db_path: str | Path | None = None) -> None:
    """Serves until SIGINT/SIGTERM: long polling by default, a webhook when ARSHIF_WEBHOOK_URL is set."""
    application = build_application(settings, db_path)
    if settings.webhook_mode:
        serve_webhook(application, settings)
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
