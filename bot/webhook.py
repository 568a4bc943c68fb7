"""Webhook mode: a small HTTP/1.1 server that hands Telegram's updates to the Application.

Why our own server: python-telegram-bot's ``run_webhook`` needs tornado, which we do not install,
and it cannot serve a health endpoint beside the webhook. This one is stdlib asyncio and serves:

- ``POST /<path of ARSHIF_WEBHOOK_URL>`` with ``X-Telegram-Bot-Api-Secret-Token`` equal to the
  secret → 200, and the body becomes a ``telegram.Update`` on ``application.update_queue``.
  A missing or wrong secret → 403; a body that is not a JSON update → 400; over ``MAX_BODY`` → 413.
- ``GET /healthz`` (``Settings.health_path``) → 200 ``{"status": "ok", "schema_version": …,
  "articles": …}`` when the database opens at the current schema, else 503.
- anything else → 404 (405 for a known path with the wrong method).

TLS is the reverse proxy's job (deploy/README.md): Telegram only posts to https URLs. Without
``ARSHIF_WEBHOOK_SECRET`` a random secret is generated at each start and given to Telegram by
``setWebhook``; its value is never logged. Error responses close the connection, so a refused
request's body is never read; accepted ones keep it open (Telegram reuses connections).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
import signal
import sqlite3
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from arshif.index import store
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from .config import Settings
from .logs import RedactingFilter

__all__ = ["WEBHOOK_KEY", "WebhookError", "WebhookServer", "run_webhook_server", "serve_webhook"]

log = logging.getLogger(__name__)

STATE_KEY = "arshif"  # bot.telegram_app.STATE_KEY; not imported, telegram_app imports this module
WEBHOOK_KEY = "arshif_webhook"  # bot_data entry holding the running WebhookServer (its port, for tests)
SECRET_HEADER = "x-telegram-bot-api-secret-token"
SECRET_BYTES = 32  # token_urlsafe(32): 43 characters, within setWebhook's 1-256 of A-Z a-z 0-9 _ -

MAX_BODY = 1024 * 1024  # Telegram's updates are a few kB; a message with every field is far below this
MAX_HEAD_BYTES = 16 * 1024  # request line and headers together
MAX_HEADERS = 100
IDLE_TIMEOUT = 75.0  # seconds a kept-alive connection may wait for its next request
HEAD_TIMEOUT = 10.0  # seconds to send the headers once the request line arrived (slow clients)
BODY_TIMEOUT = 30.0
HEALTH_TIMEOUT = 10.0
SHUTDOWN_GRACE = 5.0  # seconds in-flight requests get to finish at shutdown


class WebhookError(Exception):
    """Raised when webhook mode cannot start (port taken, Telegram refused the URL); one sentence."""


class _HttpError(Exception):
    """An error response: status and a short reason for the JSON body (never user data)."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class _Head:
    """A request's line and headers (names lower-cased, repeats joined with ", ")."""

    method: str
    path: str
    version: str
    headers: dict[str, str]

    @property
    def keep_alive(self) -> bool:
        """True when the client wants the connection kept (HTTP/1.1 unless "Connection: close")."""
        tokens = {t.strip().lower() for t in self.headers.get("connection", "").split(",")}
        if self.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return "close" not in tokens


@dataclass(frozen=True)
class _Response:
    status: HTTPStatus
    body: bytes = b""
    content_type: str = "application/json"
    keep_alive: bool = True
    allow: str | None = None


def _json_response(status: HTTPStatus, payload: dict[str, Any], *, keep_alive: bool = True) -> _Response:
    return _Response(status, json.dumps(payload).encode(), keep_alive=keep_alive)


def _error(exc: _HttpError, allow: str | None = None) -> _Response:
    """Returns an error response; it closes the connection, as its body may not have been read."""
    return _Response(exc.status, json.dumps({"error": exc.reason}).encode(), keep_alive=False, allow=allow)


def database_path(application: Application, settings: Settings) -> str | Path:
    """Returns the database the bot's handlers use (the path given to build_application, else ARSHIF_DB)."""
    state = application.bot_data.get(STATE_KEY)
    conv = getattr(state, "conv", None)
    return getattr(conv, "db_path", None) or settings.db


def health_figures(db_path: str | Path) -> dict[str, Any]:
    """Returns /healthz's JSON: status, schema version and article count; ``status`` "error" if unusable.

    Opens its own connection (it runs in a worker thread) without migrating: the bot migrated at
    start, and a health check must never write. A missing file is reported, not created.
    """
    if str(db_path) != ":memory:" and not Path(db_path).is_file():
        return {"status": "error", "error": "the database file is missing"}
    try:
        conn = store.connect(db_path, migrate_schema=False)
        try:
            version = store.schema_version(conn)
            articles = store.count_articles(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return {"status": "error", "error": f"the database cannot be used: {exc}"}
    if version != store.SCHEMA_VERSION:
        return {"status": "error", "error": f"schema version {version}, expected {store.SCHEMA_VERSION}",
                "schema_version": version}
    return {"status": "ok", "schema_version": version, "articles": articles}


class WebhookServer:
    """The HTTP side of webhook mode: listens, checks the secret, queues updates, answers /healthz."""

    def __init__(self, application: Application, settings: Settings, secret: str) -> None:
        self.application = application
        self.settings = settings
        self.webhook_path = "/" + settings.webhook_path
        self.health_path = settings.health_path
        self._secret = secret.encode()
        self.db_path = database_path(application, settings)
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], bool] = {}  # task → busy with a request
        self.updates_accepted = 0
        self.port = settings.port

    async def start(self) -> None:
        """Starts listening on settings.listen:settings.port (port 0 picks a free one: see ``port``)."""
        host = self.settings.listen or None
        try:
            self._server = await asyncio.start_server(self._serve, host, self.settings.port, limit=MAX_HEAD_BYTES)
        except OSError as exc:
            raise WebhookError(
                f"cannot listen on {self.settings.listen}:{self.settings.port} ({exc.strerror or exc}); "
                "set ARSHIF_LISTEN/ARSHIF_PORT (--listen/--port) to a free address"
            ) from exc
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stops listening, drops idle connections and gives requests in flight SHUTDOWN_GRACE seconds."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for task, busy in list(self._connections.items()):
            if not busy:
                task.cancel()
        busy_tasks = list(self._connections)
        if busy_tasks:
            _done, pending = await asyncio.wait(busy_tasks, timeout=SHUTDOWN_GRACE)
            for task in pending:
                task.cancel()
            await asyncio.gather(*busy_tasks, return_exceptions=True)
        await server.wait_closed()

    # --- connections ------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = False
        peer = writer.get_extra_info("peername")
        try:
            while True:
                try:
                    head = await self._read_head(reader)
                except _HttpError as exc:
                    await self._send(writer, _error(exc), close=True)
                    return
                if head is None:
                    return
                self._connections[task] = True
                response = await self._respond(head, reader, writer, peer)
                keep = response.keep_alive and head.keep_alive
                await self._send(writer, response, head_only=head.method == "HEAD", close=not keep)
                log.debug("%s %s → %s", head.method, self._route_name(head.path), response.status.value)
                if not keep:
                    return
                self._connections[task] = False
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass  # the client went away or stalled: nothing to answer
        except asyncio.CancelledError:
            pass  # shutdown
        except Exception:
            log.exception("webhook connection failed")
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read_head(self, reader: asyncio.StreamReader) -> _Head | None:
        """Returns the next request's head, or None when the client closed the connection."""
        try:
            line = await asyncio.wait_for(reader.readline(), IDLE_TIMEOUT)
        except (ValueError, asyncio.LimitOverrunError) as exc:
            raise _HttpError(HTTPStatus.REQUEST_URI_TOO_LONG, "request line too long") from exc
        if not line.endswith(b"\n"):
            return None
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or parts[2] not in ("HTTP/1.1", "HTTP/1.0"):
            raise _HttpError(HTTPStatus.BAD_REQUEST, "not an HTTP/1.1 request")
        method, target, version = parts
        headers: dict[str, str] = {}
        size, count = len(line), 0
        async with asyncio.timeout(HEAD_TIMEOUT):
            while True:
                try:
                    raw = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError) as exc:
                    raise _HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "header too long") from exc
                size, count = size + len(raw), count + 1
                if size > MAX_HEAD_BYTES or count > MAX_HEADERS:
                    raise _HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers too large")
                if raw in (b"\r\n", b"\n"):
                    break
                if not raw.endswith(b"\n"):
                    raise asyncio.IncompleteReadError(raw, None)
                name, colon, value = raw.decode("latin-1").partition(":")
                if not colon or not name.strip():
                    raise _HttpError(HTTPStatus.BAD_REQUEST, "malformed header")
                key, value = name.strip().lower(), value.strip()
                headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return _Head(method.upper(), urlsplit(target).path or "/", version, headers)

    async def _read_body(self, head: _Head, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
        """Returns the request body (Content-Length or chunked), refusing more than MAX_BODY bytes."""
        encoding = head.headers.get("transfer-encoding", "").strip().lower()
        length = head.headers.get("content-length")
        if encoding and encoding != "chunked":
            raise _HttpError(HTTPStatus.NOT_IMPLEMENTED, "only chunked transfer encoding is supported")
        if not encoding:
            if length is None:
                raise _HttpError(HTTPStatus.LENGTH_REQUIRED, "Content-Length required")
            if not length.strip().isdigit():
                raise _HttpError(HTTPStatus.BAD_REQUEST, "bad Content-Length")
            if int(length) > MAX_BODY:
                raise _HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {MAX_BODY} bytes")
        if head.headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl waits for this before a large body
            await writer.drain()
        async with asyncio.timeout(BODY_TIMEOUT):
            if not encoding:
                return await reader.readexactly(int(length or 0))
            return await self._read_chunked(reader)

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        body = bytearray()
        while True:
            size_line = (await reader.readline()).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError as exc:
                raise _HttpError(HTTPStatus.BAD_REQUEST, "bad chunk size") from exc
            if size < 0 or len(body) + size > MAX_BODY:
                raise _HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {MAX_BODY} bytes")
            if size == 0:
                while (await reader.readline()).strip():  # trailers, if any
                    pass
                return bytes(body)
            body.extend(await reader.readexactly(size))
            await reader.readexactly(2)  # the CRLF after each chunk

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, response: _Response, *, head_only: bool = False,
                    close: bool = False) -> None:
        lines = [
            f"HTTP/1.1 {response.status.value} {response.status.phrase}",
            f"Content-Length: {len(response.body)}",
            "Connection: close" if close else "Connection: keep-alive",
            "Cache-Control: no-store",
        ]
        if response.body:
            lines.append(f"Content-Type: {response.content_type}")
        if response.allow:
            lines.append(f"Allow: {response.allow}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if response.body and not head_only:
            writer.write(response.body)
        await writer.drain()

    # --- routes -----------------------------------------------------------------------------------

    def _route_name(self, path: str) -> str:
        """Names the route for logs: the webhook path may be chosen to be hard to guess, so not shown."""
        if path == self.webhook_path:
            return "<webhook>"
        return path if path == self.health_path else "<other>"

    async def _respond(self, head: _Head, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       peer: object) -> _Response:
        if head.path == self.webhook_path and head.method == "POST":
            try:
                return await self._webhook(head, reader, writer, peer)
            except _HttpError as exc:
                return _error(exc)
        if head.path == self.health_path and head.method in ("GET", "HEAD"):
            response = await self._health()
            # A GET carrying a body would leave it unread on the connection: do not reuse it.
            has_body = head.headers.get("content-length", "0").strip() not in ("", "0")
            if has_body or "transfer-encoding" in head.headers:
                return _Response(response.status, response.body, keep_alive=False)
            return response
        if head.path == self.webhook_path:
            return _error(_HttpError(HTTPStatus.METHOD_NOT_ALLOWED, "use POST"), allow="POST")
        if head.path == self.health_path:
            return _error(_HttpError(HTTPStatus.METHOD_NOT_ALLOWED, "use GET"), allow="GET, HEAD")
        return _error(_HttpError(HTTPStatus.NOT_FOUND, "not found"))

    async def _webhook(self, head: _Head, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       peer: object) -> _Response:
        """Checks the secret before reading the body, then queues the update and answers 200."""
        given = head.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode("latin-1"), self._secret):
            log.warning("webhook request from %s refused: %s secret token", peer,
                        "missing" if given is None else "wrong")
            raise _HttpError(HTTPStatus.FORBIDDEN, "wrong or missing secret token")
        body = await self._read_body(head, reader, writer)
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, or absurdly nested
            raise _HttpError(HTTPStatus.BAD_REQUEST, "the body is not JSON") from exc
        if not isinstance(data, dict):
            raise _HttpError(HTTPStatus.BAD_REQUEST, "the body is not a JSON object")
        try:
            update = Update.de_json(data, self.application.bot)
        except Exception as exc:  # a malformed update can fail in many ways inside PTB
            log.warning("webhook body is not a Telegram update (%s)", type(exc).__name__)
            raise _HttpError(HTTPStatus.BAD_REQUEST, "the body is not a Telegram update") from exc
        if update is None:
            raise _HttpError(HTTPStatus.BAD_REQUEST, "the body is not a Telegram update")
        await self.application.update_queue.put(update)
        self.updates_accepted += 1
        return _Response(HTTPStatus.OK)

    async def _health(self) -> _Response:
        try:
            figures = await asyncio.wait_for(asyncio.to_thread(health_figures, self.db_path), HEALTH_TIMEOUT)
        except TimeoutError:
            figures = {"status": "error", "error": f"no answer from the database within {HEALTH_TIMEOUT:.0f}s"}
        if figures["status"] != "ok":
            log.warning("health check failed: %s", figures["error"])
            return _json_response(HTTPStatus.SERVICE_UNAVAILABLE, figures)
        return _json_response(HTTPStatus.OK, figures)


def _hide_from_logs(secret: str) -> None:
    """Adds a generated secret to the redacting filters configure_logging put on the root handlers."""
    for handler in logging.getLogger().handlers:
        for f in handler.filters:
            if isinstance(f, RedactingFilter) and secret not in f.secrets:
                f.secrets = (*f.secrets, secret)


async def run_webhook_server(application: Application, settings: Settings, *,
                             ready: asyncio.Event | None = None, stop: asyncio.Event | None = None) -> None:
    """Runs the bot in webhook mode until ``stop`` is set (or the task is cancelled), then shuts down.

    The order matters: listen first, then ``setWebhook`` (Telegram may post at once), then start
    the Application. The post_init/post_stop/post_shutdown hooks run as ``run_polling`` runs them.
    The webhook stays registered at shutdown, so Telegram keeps updates until the bot is back.
    """
    if not settings.webhook_url:
        raise WebhookError("no webhook URL; set ARSHIF_WEBHOOK_URL or pass --webhook-url")
    secret = settings.webhook_secret
    if not secret:
        secret = secrets.token_urlsafe(SECRET_BYTES)
        _hide_from_logs(secret)
        log.warning("no ARSHIF_WEBHOOK_SECRET: generated a random secret for this run")
    stop = stop or asyncio.Event()
    server = WebhookServer(application, settings, secret)
    try:
        async with application:  # initialize() now, shutdown() on the way out
            if application.post_init:
                await application.post_init(application)
            await server.start()
            try:
                try:
                    await application.bot.set_webhook(
                        url=settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES,
                        drop_pending_updates=False,
                    )
                except TelegramError as exc:
                    raise WebhookError(f"Telegram refused the webhook URL {settings.webhook_url}: {exc}") from exc
                await application.start()
                application.bot_data[WEBHOOK_KEY] = server
                log.info("webhook mode: listening on %s:%s for %s (database %s)", settings.listen, server.port,
                         settings.webhook_url, server.db_path)
                if ready is not None:
                    ready.set()
                await stop.wait()
                log.info("webhook mode: stopping")
            finally:
                await server.close()
                application.bot_data.pop(WEBHOOK_KEY, None)
                if application.running:
                    await application.stop()
                    if application.post_stop:
                        await application.post_stop(application)
    finally:
        if application.post_shutdown:
            await application.post_shutdown(application)


def serve_webhook(application: Application, settings: Settings) -> None:
    """Serves webhook updates until SIGINT/SIGTERM, then stops cleanly; exits 1 if it cannot start."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await run_webhook_server(application, settings, stop=stop)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    try:
        asyncio.run(main())
    except (WebhookError, TelegramError) as exc:  # startup only: later errors go to the error handler
        log.error("webhook mode cannot start: %s", exc)
        raise SystemExit(1) from exc
