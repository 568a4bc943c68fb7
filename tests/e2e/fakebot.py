"""A fake Telegram Bot API HTTP server for end-to-end tests.

Why: unit tests with mocked ``Bot`` objects never exercise PTB's real request
encoding, response parsing, polling loop or error mapping.  This server speaks
the Bot API over real HTTP on 127.0.0.1, so a real ``telegram.ext.Application``
can run against it unchanged, while the test injects user updates and inspects
every call the bot made.

It runs inside the test's own event loop (asyncio + stdlib only), which keeps
scheduling deterministic: no threads, no cross-loop futures.

Typical use::

    async with FakeBotServer() as server:
        app = server.application_builder().build()
        app.add_handler(CommandHandler("start", start))
        async with server.polling(app):
            server.send_text(42, "/start")
            await server.wait_for("sendMessage", lambda c: c.chat_id == 42)
            assert server.last_text(42) == "hello"

Behaviour deliberately mirrors real Telegram where it catches bugs: HTML
``parse_mode`` is parsed (bad markup is a 400), texts are trimmed and limited to
4096 characters, editing a message without ``reply_markup`` removes its inline
keyboard, an identical edit is "message is not modified", unknown chats are
"chat not found", and a callback query can be answered only once.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import json
import mimetypes
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.telegram_html import BadMarkup, utf16_len
from tests.telegram_html import parse_html as _parse_html
from tests.telegram_html import trim as trim_entities

if TYPE_CHECKING:
    from telegram import Message
    from telegram.ext import Application, ApplicationBuilder

__all__ = [
    "DEFAULT_TOKEN",
    "BotAPIError",
    "Call",
    "FakeBotServer",
    "UploadedFile",
    "auto_entities",
    "parse_html",
    "utf16_len",
]

JSONDict = dict[str, Any]

DEFAULT_TOKEN = "123456789:AAFakeTokenForArshifEndToEndTests"

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024

# Update types delivered when getUpdates never set allowed_updates (Bot API default).
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post",
        "business_connection", "business_message", "edited_business_message",
        "deleted_business_messages", "inline_query", "chosen_inline_result", "callback_query",
        "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
        "my_chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
    }
)

CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)

# Form/multipart values of these parameters are plain strings; every other value is
# JSON-decoded when possible (PTB json.dumps()es ints, bools, lists and objects).
_STRING_PARAMS = frozenset(
    {
        "text", "caption", "callback_query_id", "inline_query_id", "inline_message_id",
        "file_id", "url", "title", "description", "short_description", "name", "query", "data",
        "parse_mode", "language_code", "action", "secret_token", "emoji", "question",
        "explanation", "first_name", "last_name", "phone_number", "address", "custom_emoji_id",
        "business_connection_id", "message_effect_id", "document", "photo", "audio", "video",
        "voice", "animation", "sticker", "thumbnail", "ip_address",
    }
)

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    429: "Too Many Requests: retry after {retry_after}",
    502: "Bad Gateway",
}

# Lets a parked getUpdates notice that its client hung up (PTB cancels the long poll on stop).
_CLIENT_GONE: contextvars.ContextVar[Callable[[], bool]] = contextvars.ContextVar(
    "_CLIENT_GONE", default=lambda: False
)

_MESSAGE_METHODS = ("sendMessage", "editMessageText", "sendDocument", "sendPhoto")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
MAX_PHOTO_SIZE = 10 * 1024 * 1024
MAX_INLINE_RESULTS = 50

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class _ClientGone(Exception):
    """The HTTP client disconnected before the response was ready."""


class BotAPIError(Exception):
    """Raised by method handlers to produce a Bot API error response."""

    def __init__(self, error_code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(f"{error_code}: {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def envelope(self) -> JSONDict:
        """The JSON body Telegram would answer with."""
        body: JSONDict = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(detail: str) -> BotAPIError:
    return BotAPIError(400, f"Bad Request: {detail}")


@dataclass
class UploadedFile:
    """A file part of a multipart request, kept verbatim so tests can inspect uploads."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass
class Call:
    """One Bot API request as the server saw it (``time`` is ``time.monotonic()``)."""

    method: str
    params: dict[str, Any]
    time: float
    status: int | None = None
    response: JSONDict | None = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded (False while it is still in flight)."""
        return bool(self.response and self.response.get("ok"))

    @property
    def done(self) -> bool:
        """Whether a response has been produced."""
        return self.response is not None

    @property
    def result(self) -> Any:
        """The ``result`` field of a successful response, else None."""
        return self.response.get("result") if self.response else None

    @property
    def chat_id(self) -> int | str | None:
        """The target chat, if the method has one."""
        value = self.params.get("chat_id")
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            return int(value)
        return value

    @property
    def text(self) -> str | None:
        """Text/caption the user sees (markup parsed) for message calls, else the raw text param."""
        result = self.result
        if isinstance(result, dict):
            return result.get("text", result.get("caption"))
        value = self.params.get("text", self.params.get("caption"))
        return value if isinstance(value, str) else None


@dataclass
class _Failure:
    method: str
    error: BotAPIError
    chat_id: int | str | None
    remaining: int


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str

    def document(self) -> JSONDict:
        doc: JSONDict = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc


@dataclass
class _Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool = True


# --------------------------------------------------------------------------- HTML


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Text and entities of a message sent with parse_mode HTML; bad markup is Telegram's 400."""
    try:
        return _parse_html(source)
    except BadMarkup as exc:
        raise _bad_request(str(exc)) from None


# ------------------------------------------------------------------ auto entities

_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?![\w@])")
_URL_RE = re.compile(r"(?<![\w@])(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}'\"،؛؟»"


def auto_entities(text: str) -> list[JSONDict]:
    """Entities Telegram's clients/server attach to a user's plain text message.

    Why: PTB's CommandHandler only fires when a ``bot_command`` entity starts the
    message, and filters such as ``filters.Entity("url")`` rely on them too.
    """
    spans: list[tuple[int, int, str]] = []
    for match in _COMMAND_RE.finditer(text):
        spans.append((match.start(), match.end(), "bot_command"))
    for match in _URL_RE.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in _URL_TRAILING:
            end -= 1
        spans.append((match.start(), end, "url"))
    for match in _MENTION_RE.finditer(text):
        if not any(s <= match.start() < e for s, e, _ in spans):
            spans.append((match.start(), match.end(), "mention"))
    spans.sort()
    entities = []
    for start, end, kind in spans:
        entities.append(
            {"type": kind, "offset": utf16_len(text[:start]), "length": utf16_len(text[start:end])}
        )
    return entities


# ------------------------------------------------------------------ body parsing


def _decode_value(key: str, value: str) -> Any:
    if key in _STRING_PARAMS or not value:
        return value
    if value[0] not in '{["-0123456789tfn':
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    if isinstance(decoded, float) and decoded != decoded:  # NaN
        return value
    return decoded


def _unescape_form_param(value: str) -> str:
    # httpx writes '"' as %22, control characters as %XX and '\' as '\\'.
    value = re.sub(r"%(22|[01][0-9A-Fa-f])", lambda m: chr(int(m.group(1), 16)), value)
    return value.replace("\\\\", "\\")


def _parse_multipart(body: bytes, boundary: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    for raw in (b"\r\n" + body).split(delimiter)[1:]:
        if raw.startswith(b"--"):
            break
        part = raw.split(b"\r\n", 1)[1] if b"\r\n" in raw else b""
        head, _, data = part.partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, sep, val = line.partition(":")
            if sep:
                headers[key.strip().lower()] = val.strip()
        disposition = dict(
            (k.lower(), _unescape_form_param(v))
            for k, v in re.findall(r'(\w+)="([^"]*)"', headers.get("content-disposition", ""))
        )
        name = disposition.get("name")
        if name is None:
            continue
        if "filename" in disposition:
            params[name] = UploadedFile(
                filename=disposition["filename"],
                content=data,
                content_type=headers.get("content-type", "application/octet-stream"),
            )
        else:
            params[name] = _decode_value(name, data.decode("utf-8", "replace"))
    return params


def _parse_params(request: _Request) -> dict[str, Any]:
    params: dict[str, Any] = {
        key: _decode_value(key, value) for key, value in parse_qsl(request.query, keep_blank_values=True)
    }
    content_type = request.headers.get("content-type", "")
    mime = content_type.split(";", 1)[0].strip().lower()
    if not request.body:
        return params
    if mime == "application/json":
        data = json.loads(request.body.decode("utf-8"))
        if isinstance(data, dict):
            params.update(
                {k: _decode_value(k, v) if isinstance(v, str) else v for k, v in data.items()}
            )
    elif mime == "multipart/form-data":
        match = re.search(r'boundary="?([^";]+)"?', content_type)
        if match:
            params.update(_parse_multipart(request.body, match.group(1)))
    else:
        pairs = parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        params.update({key: _decode_value(key, value) for key, value in pairs})
    return params


def _buttons(markup: Any) -> Iterable[JSONDict]:
    if isinstance(markup, dict):
        for row in markup.get("inline_keyboard", []):
            yield from row


# ------------------------------------------------------------------ the server


Handler = Callable[[dict[str, Any]], Any]


class FakeBotServer:
    """In-process fake of api.telegram.org for one bot token.

    Use as ``async with FakeBotServer() as server`` inside a pytest-asyncio test, so
    the server shares the event loop with the PTB Application under test.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "arshif_test_bot",
        bot_first_name: str = "Arshif",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456789
        self.bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.errors: list[Exception] = []  # exceptions raised by handlers (fake-server bugs)
        self.updates: list[JSONDict] = []  # queued, not yet confirmed by an offset
        self.dropped_updates: list[JSONDict] = []  # filtered out by allowed_updates
        self.allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self.webhook: JSONDict | None = None
        self.my_commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.blocked: set[int | str] = set()
        self._chats: dict[int | str, JSONDict] = {}
        self._users: dict[int, JSONDict] = {}
        self._messages: dict[tuple[int | str, int], JSONDict] = {}
        self._next_message_id: dict[int | str, int] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._callback_queries: dict[str, bool] = {}  # id -> answered
        self._inline_queries: dict[str, bool] = {}  # id -> answered
        self._failures: list[_Failure] = []
        self._handlers: dict[str, Handler] = {}
        self._canonical: dict[str, str] = {}
        self._update_ids = itertools.count(1)
        self._ids = itertools.count(1)
        self._update_waiters: list[tuple[asyncio.Future[str], Callable[[], bool]]] = []
        self._call_waiters: list[asyncio.Future[None]] = []
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        for name, handler in self._builtin_handlers().items():
            self.on(name, handler)

    # ----------------------------------------------------------- lifecycle

    async def __aenter__(self) -> FakeBotServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free one; read it back from ``self.port``)."""
        self._server = await asyncio.start_server(self._serve_connection, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listener and every open connection, including parked long polls."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for waiter, _ in self._update_waiters:
            if not waiter.done():
                waiter.cancel()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    @property
    def url(self) -> str:
        """Root URL of the server."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_url`` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder.base_file_url`` (PTB appends the token)."""
        return f"{self.url}/file/bot"

    def application_builder(self) -> ApplicationBuilder:
        """An ``Application.builder()`` already pointed at this server."""
        from telegram.ext import Application

        return self.configure(Application.builder())

    def configure(self, builder: ApplicationBuilder) -> ApplicationBuilder:
        """Point an existing builder at this server (token, base_url, base_file_url)."""
        return builder.token(self.token).base_url(self.base_url).base_file_url(self.base_file_url)

    @contextlib.asynccontextmanager
    async def polling(
        self, application: Application, *, timeout: int = 1, **start_polling_kwargs: Any
    ) -> AsyncIterator[Application]:
        """Run ``application`` with long polling against this server, and stop it cleanly."""
        updater = application.updater
        if updater is None:
            raise ValueError("the application was built without an Updater")
        async with application:
            await application.start()
            try:
                await updater.start_polling(poll_interval=0.0, timeout=timeout, **start_polling_kwargs)
                yield application
            finally:
                if updater.running:
                    await updater.stop()
                if application.running:
                    await application.stop()

    # ----------------------------------------------------------- inspecting calls

    def calls_of(self, method: str, chat_id: int | str | None = None) -> list[Call]:
        """Completed and in-flight calls of ``method`` (case-insensitive), optionally for one chat."""
        name = method.lower()
        return [
            c
            for c in self.calls
            if c.method.lower() == name and (chat_id is None or c.chat_id == chat_id)
        ]

    def mark(self) -> int:
        """Current call count; pass it as ``wait_for(since=...)`` to ignore earlier calls."""
        return len(self.calls)

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        count: int = 1,
        timeout: float = 10,
        *,
        since: int = 0,
    ) -> list[Call]:
        """Wait until ``count`` completed calls of ``method`` match, and return all matches.

        Counts from ``self.calls[since:]`` so calls made before the wait are not missed;
        raises TimeoutError listing the calls seen, to make failures readable.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        name = method.lower()
        while True:
            matches = [
                c
                for c in self.calls[since:]
                if c.done and c.method.lower() == name and (predicate is None or predicate(c))
            ]
            if len(matches) >= count:
                return matches
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = ", ".join(
                    f"{c.method}({c.chat_id})->{c.status}" for c in self.calls[since:][-15:]
                )
                raise TimeoutError(
                    f"waited {timeout}s for {count} x {method}, matched {len(matches)}; "
                    f"recent calls: [{seen}]"
                )
            future: asyncio.Future[None] = loop.create_future()
            self._call_waiters.append(future)
            try:
                await asyncio.wait({future}, timeout=remaining)
            finally:
                with contextlib.suppress(ValueError):
                    self._call_waiters.remove(future)

    async def wait_until(
        self, condition: Callable[[], bool], timeout: float = 10, interval: float = 0.01
    ) -> None:
        """Poll ``condition`` until true (raises TimeoutError).

        Why: ``wait_for`` returns as soon as the server has answered, while the
        handler that made the call may still be running; use this to wait for the
        handler's own side effects (database rows, bot_data, ...).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            if loop.time() >= deadline:
                raise TimeoutError(f"condition still false after {timeout}s")
            await asyncio.sleep(interval)

    def messages_to(self, chat_id: int | str) -> list[Call]:
        """Successful sendMessage/editMessageText/sendDocument/sendPhoto calls to ``chat_id``, in order."""
        names = {m.lower() for m in _MESSAGE_METHODS}
        return [
            c
            for c in self.calls
            if c.ok
            and c.method.lower() in names
            and chat_id in (c.chat_id, (c.result.get("chat") or {}).get("id"))
        ]

    def last_text(self, chat_id: int | str) -> str | None:
        """Text (or document caption) of the last message sent or edited in ``chat_id``."""
        sent = self.messages_to(chat_id)
        return sent[-1].text if sent else None

    def message(self, chat_id: int | str, message_id: int) -> JSONDict | None:
        """Current state of a stored message (after edits), or None if unknown/deleted."""
        return self._messages.get((chat_id, message_id))

    def commands(self, language_code: str = "", scope: JSONDict | None = None) -> list[JSONDict]:
        """Commands stored by setMyCommands for a scope (default scope) and language."""
        return self.my_commands.get((self._scope_key(scope), language_code), [])

    # ----------------------------------------------------------- behaviour hooks

    def on(self, method: str, handler: Handler) -> None:
        """Install or replace a method handler: ``handler(params) -> result`` (sync or async).

        Raise BotAPIError inside it to answer with an error.
        """
        self._handlers[method] = handler
        self._canonical[method.lower()] = method

    def fail_next(
        self,
        method: str,
        error_code: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        *,
        chat_id: int | str | None = None,
        times: int = 1,
        parameters: JSONDict | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (to ``chat_id``, if given) fail.

        The HTTP status equals ``error_code``, as on Telegram, because PTB maps the
        status to its exception: 403 -> Forbidden, 400 -> BadRequest, 429 with
        ``retry_after`` -> RetryAfter, 409 -> Conflict, 401/404 -> InvalidToken.
        """
        params = dict(parameters or {})
        if retry_after is not None:
            params["retry_after"] = retry_after
        if description is None:
            description = _DEFAULT_DESCRIPTIONS.get(error_code, HTTPStatus(error_code).phrase)
            description = description.format(retry_after=retry_after)
        error = BotAPIError(error_code, description, params or None)
        self._failures.append(_Failure(method.lower(), error, chat_id, times))

    def block(self, user_id: int) -> None:
        """Simulate the user blocking the bot: sends to them answer 403."""
        self.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        """Undo ``block``."""
        self.blocked.discard(user_id)

    def add_chat(
        self,
        chat_id: int | str,
        *,
        chat_type: str = "private",
        title: str | None = None,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str = "ar",
    ) -> JSONDict:
        """Register a chat so the bot may message it without the user writing first."""
        if chat_type == "private":
            user = self._user(int(chat_id), first_name, username, language_code)
            chat: JSONDict = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            if user.get("username"):
                chat["username"] = user["username"]
        else:
            chat = {"id": chat_id, "type": chat_type, "title": title or f"Test {chat_type}"}
            if username:
                chat["username"] = username
        self._chats[chat_id] = chat
        self._next_message_id.setdefault(chat_id, 1)
        return chat

    # ----------------------------------------------------------- injecting updates

    def queue_update(self, update: JSONDict) -> JSONDict:
        """Queue a raw update (``update_id`` is assigned if missing) and wake long polls."""
        update.setdefault("update_id", next(self._update_ids))
        kind = next((k for k in update if k != "update_id"), "")
        if kind not in self.allowed_updates:
            self.dropped_updates.append(update)
            return update
        self.updates.append(update)
        self._wake_pollers("update")
        return update

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | str | None = None,
        chat_type: str = "private",
        language_code: str = "ar",
        first_name: str | None = None,
        username: str | None = None,
        reply_to_message: Message | JSONDict | int | Call | None = None,
        entities: list[JSONDict] | None = None,
    ) -> JSONDict:
        """Queue a text message from a user; commands, mentions and URLs get entities."""
        message = self._user_message(
            user_id, chat_id, chat_type, language_code, first_name, username, reply_to_message
        )
        message["text"] = text
        found = auto_entities(text) if entities is None else entities
        if found:
            message["entities"] = found
        return self.queue_update({"message": message})

    def send_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        *,
        caption: str | None = None,
        mime_type: str | None = None,
        chat_id: int | str | None = None,
        chat_type: str = "private",
        language_code: str = "ar",
        first_name: str | None = None,
        username: str | None = None,
    ) -> JSONDict:
        """Queue a document message; its file_id works with getFile and the file URL."""
        message = self._user_message(
            user_id, chat_id, chat_type, language_code, first_name, username, None
        )
        stored = self._store_file(content, filename, mime_type)
        message["document"] = stored.document()
        if caption:
            message["caption"] = caption
            found = auto_entities(caption)
            if found:
                message["caption_entities"] = found
        return self.queue_update({"message": message})

    def press_button(
        self,
        user_id: int,
        message: Message | JSONDict | int | Call,
        callback_data: str | None = None,
        chat_id: int | str | None = None,
        *,
        button_text: str | None = None,
    ) -> JSONDict:
        """Queue a callback_query for an inline button of a message the bot sent.

        The button must exist in the message's *current* keyboard (pick it by
        ``callback_data`` or ``button_text``), because a real user cannot press
        anything else; a missing button raises LookupError.
        """
        stored = self._resolve_message(message, chat_id if chat_id is not None else user_id)
        buttons = list(_buttons(stored.get("reply_markup")))
        button = next(
            (
                b
                for b in buttons
                if (callback_data is None or b.get("callback_data") == callback_data)
                and (button_text is None or b.get("text") == button_text)
                and "callback_data" in b
            ),
            None,
        )
        if button is None:
            available = [(b.get("text"), b.get("callback_data")) for b in buttons]
            raise LookupError(
                f"no button data={callback_data!r} text={button_text!r} in message "
                f"{stored['message_id']}; keyboard has {available}"
            )
        user = self._user(user_id, None, None, None)
        query_id = str(4_000_000_000 + next(self._ids))
        self._callback_queries[query_id] = False
        query = {
            "id": query_id,
            "from": user,
            "message": stored,
            "chat_instance": f"ci{stored['chat']['id']}",
            "data": button["callback_data"],
        }
        return self.queue_update({"callback_query": query})

    # ----------------------------------------------------------- internals: state

    def _user(
        self,
        user_id: int,
        first_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> JSONDict:
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        )
        if first_name:
            user["first_name"] = first_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def _user_message(
        self,
        user_id: int,
        chat_id: int | str | None,
        chat_type: str,
        language_code: str,
        first_name: str | None,
        username: str | None,
        reply_to_message: Message | JSONDict | int | Call | None,
    ) -> JSONDict:
        user = self._user(user_id, first_name, username, language_code)
        if chat_type == "private":
            if chat_id is not None and chat_id != user_id:
                raise ValueError("a private chat's id is the user's id")
            chat = self.add_chat(user_id, first_name=first_name, username=username,
                                 language_code=language_code)
            target: int | str = user_id
        else:
            if chat_id is None:
                raise ValueError(f"chat_id is required for a {chat_type} chat")
            chat = self._chats.get(chat_id) or self.add_chat(chat_id, chat_type=chat_type)
            target = chat_id
        message = {
            "message_id": self._new_message_id(target),
            "from": dict(user),
            "chat": dict(chat),
            "date": int(time.time()),
        }
        if reply_to_message is not None:
            message["reply_to_message"] = self._strip_reply(
                self._resolve_message(reply_to_message, target)
            )
        self._messages[(target, message["message_id"])] = message
        return message

    def _new_message_id(self, chat_id: int | str) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _resolve_message(
        self, message: Message | JSONDict | int | Call, chat_id: int | str
    ) -> JSONDict:
        if isinstance(message, Call):
            result = message.result
            if not isinstance(result, dict) or "message_id" not in result:
                raise LookupError(f"{message.method} call did not return a message")
            key = (result["chat"]["id"], result["message_id"])
        elif isinstance(message, int):
            key = (chat_id, message)
        elif isinstance(message, dict):
            key = (message["chat"]["id"], message["message_id"])
        else:  # a telegram.Message
            key = (message.chat.id, message.message_id)
        stored = self._messages.get(key)
        if stored is None:
            raise LookupError(f"no message {key[1]} in chat {key[0]}")
        return stored

    @staticmethod
    def _strip_reply(message: JSONDict) -> JSONDict:
        return {k: v for k, v in message.items() if k != "reply_to_message"}

    def _store_file(
        self, content: bytes, file_name: str | None, mime_type: str | None
    ) -> _StoredFile:
        n = next(self._ids)
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name, strict=False)[0] or "application/octet-stream"
        stored = _StoredFile(
            file_id=f"BQACAgIAAxkBAAI{n:08d}FakeDocument",
            file_unique_id=f"AgAD{n:06d}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"documents/file_{n}{suffix}",
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _chat(self, params: dict[str, Any]) -> JSONDict:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        chat = self._chats.get(chat_id)
        if chat is None and isinstance(chat_id, str):
            chat = next(
                (c for c in self._chats.values() if "@" + str(c.get("username")) == chat_id), None
            )
        if chat is None:
            raise _bad_request("chat not found")
        if chat["id"] in self.blocked:
            raise BotAPIError(403, "Forbidden: bot was blocked by the user")
        return chat

    @staticmethod
    def _scope_key(scope: Any) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    # ----------------------------------------------------------- internals: text

    def _render(
        self,
        text: Any,
        parse_mode: Any,
        entities: Any,
        limit: int,
        what: str,
        allow_empty: bool = False,
    ) -> tuple[str, list[JSONDict]]:
        text = "" if text is None else str(text)
        if isinstance(entities, list) and entities:
            found = [e for e in entities if isinstance(e, dict)]
        elif isinstance(parse_mode, str) and parse_mode.lower() == "html":
            text, found = parse_html(text)
        else:
            found = []  # Markdown/MarkdownV2 are echoed verbatim, not validated
        text, found = trim_entities(text, found)
        if not text and not allow_empty:
            raise _bad_request(f"{what} is empty")
        if len(text) > limit:
            raise _bad_request(
                "message is too long" if what == "message text" else "message caption is too long"
            )
        return text, found

    def _reply_to(self, chat: JSONDict, params: dict[str, Any]) -> JSONDict | None:
        reply = params.get("reply_parameters")
        message_id = params.get("reply_to_message_id")
        allow = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = allow or bool(reply.get("allow_sending_without_reply"))
            if reply.get("chat_id") not in (None, chat["id"]):
                return None
        if message_id is None:
            return None
        stored = self._messages.get((chat["id"], message_id))
        if stored is None:
            if allow:
                return None
            raise _bad_request("message to be replied not found")
        return self._strip_reply(stored)

    def _bot_message(self, chat: JSONDict, params: dict[str, Any]) -> JSONDict:
        reply = self._reply_to(chat, params)  # may fail: check before using a message_id
        message: JSONDict = {
            "message_id": self._new_message_id(chat["id"]),
            "from": dict(self.bot_user),
            "chat": dict(chat),
            "date": int(time.time()),
        }
        if reply is not None:
            message["reply_to_message"] = reply
        return message

    @staticmethod
    def _set_markup(message: JSONDict, markup: Any) -> None:
        # Only inline keyboards are attached to (and echoed with) the message.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    def _editable(self, params: dict[str, Any]) -> JSONDict:
        if params.get("inline_message_id"):
            raise _bad_request("inline messages are not supported by the fake server")
        chat = self._chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        stored = self._messages.get((chat["id"], message_id))
        if stored is None:
            raise _bad_request("message to edit not found")
        if stored.get("from", {}).get("id") != self.bot_user["id"]:
            raise _bad_request("message can't be edited")
        return stored

    # ----------------------------------------------------------- built-in methods

    def _builtin_handlers(self) -> dict[str, Handler]:
        return {
            "getMe": lambda p: self.bot_user,
            "logOut": lambda p: True,
            "close": lambda p: True,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getUpdates": self._get_updates,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": lambda p: True,
            "setMyShortDescription": lambda p: True,
            "setChatMenuButton": lambda p: True,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "answerInlineQuery": self._answer_inline_query,
            "sendChatAction": self._send_chat_action,
            "deleteMessage": self._delete_message,
            "getFile": self._get_file,
        }

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if params.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook = {k: v for k, v in params.items() if not isinstance(v, UploadedFile)} if url else None
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> JSONDict:
        info: JSONDict = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if self.webhook and self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _get_updates(self, params: dict[str, Any]) -> list[JSONDict]:
        if self.webhook:
            raise BotAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = max(1, min(int(params.get("limit") or 100), 100))
        timeout = max(0.0, float(params.get("timeout") or 0))
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self.allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES
        if isinstance(offset, int):
            if offset < 0:
                del self.updates[: max(0, len(self.updates) + offset)]
            else:
                self.updates[:] = [u for u in self.updates if u["update_id"] >= offset]
        # Like Telegram, a newer getUpdates terminates a parked older one (unless its
        # client already hung up, as PTB's does when the updater stops).
        for waiter, gone in self._update_waiters:
            if not waiter.done():
                waiter.set_result("gone" if gone() else "conflict")
        if not self.updates and timeout > 0:
            await self._park(timeout)
        return self.updates[:limit]

    async def _park(self, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        gone = _CLIENT_GONE.get()
        waiter: asyncio.Future[str] = loop.create_future()
        entry = (waiter, gone)
        self._update_waiters.append(entry)
        deadline = loop.time() + timeout
        try:
            while not waiter.done():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return
                await asyncio.wait({waiter}, timeout=min(remaining, 0.05))
                if not waiter.done() and gone():
                    waiter.set_result("gone")
        finally:
            with contextlib.suppress(ValueError):
                self._update_waiters.remove(entry)
        reason = "cancelled" if waiter.cancelled() else waiter.result()
        if reason == "conflict":
            raise BotAPIError(409, _DEFAULT_DESCRIPTIONS[409])
        if reason == "gone":
            raise _ClientGone

    def _wake_pollers(self, reason: str) -> None:
        for waiter, _ in self._update_waiters:
            if not waiter.done():
                waiter.set_result(reason)

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("commands must be a list of at most 100 BotCommand")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        language = str(params.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad_request("LANG_CODE_INVALID")
        key = (self._scope_key(params.get("scope")), language)
        if commands:
            self.my_commands[key] = commands
        else:
            self.my_commands.pop(key, None)
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[JSONDict]:
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        return self.my_commands.get(key, [])

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        key = (self._scope_key(params.get("scope")), str(params.get("language_code") or ""))
        self.my_commands.pop(key, None)
        return True

    def _send_message(self, params: dict[str, Any]) -> JSONDict:
        chat = self._chat(params)
        text, entities = self._render(
            params.get("text"), params.get("parse_mode"), params.get("entities"),
            MAX_TEXT_LENGTH, "message text",
        )
        message = self._bot_message(chat, params)
        message["text"] = text
        if entities:
            message["entities"] = entities
        self._set_markup(message, params.get("reply_markup"))
        self._messages[(chat["id"], message["message_id"])] = message
        return message

    def _edit_message_text(self, params: dict[str, Any]) -> JSONDict:
        stored = self._editable(params)
        if "text" not in stored:
            raise _bad_request("there is no text in the message to edit")
        text, entities = self._render(
            params.get("text"), params.get("parse_mode"), params.get("entities"),
            MAX_TEXT_LENGTH, "message text",
        )
        updated = dict(stored, text=text, edit_date=int(time.time()))
        updated.pop("entities", None)
        if entities:
            updated["entities"] = entities
        self._set_markup(updated, params.get("reply_markup"))
        self._commit_edit(stored, updated)
        return updated

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> JSONDict:
        stored = self._editable(params)
        updated = dict(stored, edit_date=int(time.time()))
        self._set_markup(updated, params.get("reply_markup"))
        self._commit_edit(stored, updated)
        return updated

    def _commit_edit(self, stored: JSONDict, updated: JSONDict) -> None:
        keys = ("text", "entities", "caption", "caption_entities", "reply_markup")
        if all(stored.get(k) == updated.get(k) for k in keys):
            raise BotAPIError(400, _NOT_MODIFIED)
        self._messages[(stored["chat"]["id"], stored["message_id"])] = updated

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if self._callback_queries.get(query_id, True):
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text") or "")) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._callback_queries[query_id] = True
        return True

    def _send_document(self, params: dict[str, Any]) -> JSONDict:
        chat = self._chat(params)
        document = params.get("document")
        if isinstance(document, UploadedFile):
            if not document.content:
                raise _bad_request("file must be non-empty")
            stored = self._store_file(document.content, document.filename, document.content_type)
        elif isinstance(document, str) and document in self._files:
            stored = self._files[document]
        elif isinstance(document, str) and re.match(r"https?://", document):
            name = unquote(urlsplit(document).path.rsplit("/", 1)[-1]) or "file"
            stored = self._store_file(b"%PDF-fake", name, None)
        else:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        return self._captioned(chat, params, "document", stored.document())

    def _send_photo(self, params: dict[str, Any]) -> JSONDict:
        """sendPhoto: an uploaded PNG or JPEG (at most 10 MB), or a known file_id; the message
        gets a ``photo`` list of sizes as Telegram returns it, the bytes stay in ``self._files``."""
        chat = self._chat(params)
        photo = params.get("photo")
        if isinstance(photo, UploadedFile):
            if not photo.content.startswith((_PNG_MAGIC, _JPEG_MAGIC)):
                raise _bad_request("IMAGE_PROCESS_FAILED")
            if len(photo.content) > MAX_PHOTO_SIZE:
                raise _bad_request("PHOTO_INVALID_DIMENSIONS")
            stored = self._store_file(photo.content, photo.filename, photo.content_type)
        elif isinstance(photo, str) and photo in self._files:
            stored = self._files[photo]
        else:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        return self._captioned(chat, params, "photo", [{
            "file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content), "width": 800, "height": 600,
        }])

    def _captioned(self, chat: JSONDict, params: dict[str, Any], kind: str, payload: Any) -> JSONDict:
        """Records and returns a media message (document, photo) with its caption checked as Telegram does."""
        caption, entities = self._render(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities"),
            MAX_CAPTION_LENGTH, "message caption", allow_empty=True,
        )
        message = self._bot_message(chat, params)
        message[kind] = payload
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        self._set_markup(message, params.get("reply_markup"))
        self._messages[(chat["id"], message["message_id"])] = message
        return message

    def photo_bytes(self, call: Call) -> bytes:
        """The uploaded bytes of a successful sendPhoto call."""
        return self._files[call.result["photo"][0]["file_id"]].content

    def _answer_inline_query(self, params: dict[str, Any]) -> bool:
        """answerInlineQuery: checked as Telegram does (known query, answered once, at most 50
        results with unique ids of 1-64 bytes, articles with a title and message content)."""
        query_id = str(params.get("inline_query_id", ""))
        if self._inline_queries.get(query_id, True):
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        results = params.get("results")
        if not isinstance(results, list) or len(results) > MAX_INLINE_RESULTS:
            raise _bad_request("RESULTS_TOO_MUCH")
        ids = [str(r.get("id", "")) for r in results]
        if len(set(ids)) != len(ids) or any(not 0 < len(i.encode()) <= 64 for i in ids):
            raise _bad_request("RESULT_ID_INVALID")
        for r in results:
            content = r.get("input_message_content") or {}
            if r.get("type") == "article" and (not r.get("title") or not content.get("message_text")):
                raise _bad_request("RESULT_TITLE_EMPTY" if not r.get("title") else "MESSAGE_EMPTY")
            if content.get("message_text"):
                self._render(content["message_text"], content.get("parse_mode"), content.get("entities"),
                             MAX_TEXT_LENGTH, "message text")
        self._inline_queries[query_id] = True
        return True

    def send_inline_query(self, user_id: int, query: str, *, language_code: str = "ar",
                          chat_type: str = "sender") -> JSONDict:
        """Queue an inline query (``@bot words`` typed in any chat); answer it once."""
        query_id = str(5_000_000_000 + next(self._ids))
        self._inline_queries[query_id] = False
        update = {"inline_query": {
            "id": query_id, "from": self._user(user_id, None, None, language_code), "query": query,
            "offset": "", "chat_type": chat_type,
        }}
        return self.queue_update(update)

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params)
        key = (chat["id"], params.get("message_id"))
        if key not in self._messages:
            raise _bad_request("message to delete not found")
        del self._messages[key]
        return True

    def _get_file(self, params: dict[str, Any]) -> JSONDict:
        stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise _bad_request("invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_SIZE:
            raise _bad_request("file is too big")
        return {**stored.document(), "file_path": stored.file_path}

    # ----------------------------------------------------------- internals: HTTP

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        _CLIENT_GONE.set(reader.at_eof)
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    break
                status, content_type, body = await self._respond(request)
                if status == 499:
                    break
                head = (
                    f"HTTP/1.1 {status} {self._phrase(status)}\r\n"
                    f"Content-Type: {content_type}\r\n"
                    f"Content-Length: {len(body)}\r\n"
                    f"Connection: {'keep-alive' if request.keep_alive else 'close'}\r\n\r\n"
                )
                writer.write(head.encode("latin-1") + body)
                await writer.drain()
                if not request.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass  # server shutdown; finish quietly so no task is left pending
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await writer.wait_closed()

    @staticmethod
    def _phrase(status: int) -> str:
        try:
            return HTTPStatus(status).phrase
        except ValueError:
            return "Unknown"

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.decode("latin-1").split("\r\n")
        verb, target, version = [*lines[0].split(" ", 2), "", ""][:3]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size_line = await reader.readuntil(b"\r\n")
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":
                        pass  # trailers
                    break
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(chunks)
        else:
            body = await reader.readexactly(int(headers.get("content-length") or 0))
        connection = headers.get("connection", "").lower()
        keep_alive = connection != "close" and (version != "HTTP/1.0" or connection == "keep-alive")
        path, _, query = target.partition("?")
        return _Request(verb.upper(), unquote(path), query, headers, body, keep_alive)

    async def _respond(self, request: _Request) -> tuple[int, str, bytes]:
        file_prefix = "/file/bot"
        if request.path.startswith(file_prefix):
            token, _, file_path = request.path[len(file_prefix) :].partition("/")
            if token != self.token:
                return self._json(BotAPIError(401, "Unauthorized").envelope(), 401)
            stored = self._files_by_path.get(file_path)
            if stored is None:
                return self._json(BotAPIError(404, "Not Found").envelope(), 404)
            return 200, stored.mime_type or "application/octet-stream", stored.content
        if not request.path.startswith("/bot"):
            return self._json(BotAPIError(404, "Not Found").envelope(), 404)
        token, _, method = request.path[len("/bot") :].partition("/")
        if token != self.token:
            return self._json(BotAPIError(401, "Unauthorized").envelope(), 401)
        try:
            params = _parse_params(request)
        except (ValueError, UnicodeDecodeError) as exc:
            return self._json(_bad_request(f"can't parse request: {exc}").envelope(), 400)
        name = self._canonical.get(method.lower(), method)
        call = Call(name, params, time.monotonic())
        self.calls.append(call)
        try:
            result = await self._dispatch(name, params)
            call.status, call.response = 200, {"ok": True, "result": result}
        except BotAPIError as error:
            call.status, call.response = error.error_code, error.envelope()
        except _ClientGone:
            # nginx's "client closed request"; nothing is written back.
            error = BotAPIError(499, "Client Closed Request: the client disconnected")
            call.status, call.response = 499, error.envelope()
        except Exception as exc:  # a bug in the fake itself: report it, keep serving
            self.errors.append(exc)
            error = BotAPIError(500, f"Internal Server Error: fake server raised {exc!r}")
            call.status, call.response = 500, error.envelope()
        self._notify_calls()
        return self._json(call.response, call.status)

    async def _dispatch(self, name: str, params: dict[str, Any]) -> Any:
        failure = self._take_failure(name, params)
        if failure is not None:
            raise failure
        handler = self._handlers.get(name)
        if handler is None:
            raise BotAPIError(404, "Not Found: method not found")
        result = handler(params)
        if isinstance(result, Awaitable):
            result = await result
        return result

    def _take_failure(self, name: str, params: dict[str, Any]) -> BotAPIError | None:
        chat_id = Call(name, params, 0).chat_id
        for failure in self._failures:
            if failure.method == name.lower() and failure.chat_id in (None, chat_id):
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                return failure.error
        return None

    def _notify_calls(self) -> None:
        for future in self._call_waiters:
            if not future.done():
                future.set_result(None)

    @staticmethod
    def _json(body: JSONDict, status: int) -> tuple[int, str, bytes]:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return status, "application/json", payload
