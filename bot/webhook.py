"""Webhook mode on an established server: starlette routes behind uvicorn, fed to the Application.

This is python-telegram-bot's documented custom-webhook pattern (its ``customwebhookbot`` example):
the Application is initialised and started by hand, a starlette app puts each posted update on
``application.update_queue``, and a ``uvicorn.Server`` serves it on the same event loop. It serves:

- ``POST /<path of ARSHIF_WEBHOOK_URL>`` with ``X-Telegram-Bot-Api-Secret-Token`` equal to the
  secret → 200, and the body becomes a ``telegram.Update``. A missing or wrong secret → 403 (the
  body is never read); a body that is not a JSON update → 400; over ``MAX_BODY`` → 413.
- ``GET``/``HEAD /healthz`` (``Settings.health_path``) → 200 ``{"status": "ok", "schema_version": …,
  "articles": …}`` when the database opens at the current schema, else 503.
- anything else → 404 (405 for a known path with the wrong method); every error body is
  ``{"error": "<one short reason>"}``.

Staying up when clients misbehave (tests/bench/bench_webhook_idle.py holds 1,100 idle connections
against an open-file limit of 1024):

- At start the soft open-file limit is raised to the hard one (``raise_fd_limit``).
- Connections are capped (``connection_cap``: under the open-file limit, leaving room for the
  database, the Bot API client and the engine processes). A connection that would go over the cap
  closes the oldest idle one (no request in progress), so idle or slow clients can never use up
  the descriptors that Telegram's next post and /healthz need.
- A connection that sends no request within ``FIRST_REQUEST_TIMEOUT`` is closed (uvicorn's own
  keep-alive timeout starts only after a first response); kept-alive ones close after
  ``KEEP_ALIVE_TIMEOUT`` idle seconds.
- At most ``MAX_IN_FLIGHT`` requests are handled at once; more get 503.
- If descriptors run out anyway, asyncio logs "socket.accept() out of system resource" once a
  second for as long as it lasts; ``AcceptErrorFilter`` lets one through per minute with the count
  of those it held back.

TLS is the reverse proxy's job (deploy/README.md): Telegram only posts to https URLs. Without
``ARSHIF_WEBHOOK_SECRET`` a random secret is generated at each start and given to Telegram by
``setWebhook``; its value is never logged.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import resource
import secrets
import signal
import socket
import sqlite3
import time
from http import HTTPStatus
from pathlib import Path
from typing import Any

import uvicorn
from arshif.index import store
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application
from uvicorn.protocols.http.h11_impl import H11Protocol

from .config import Settings
from .logs import RedactingFilter

__all__ = [
    "MAX_BODY",
    "SECRET_HEADER",
    "WEBHOOK_KEY",
    "AcceptErrorFilter",
    "WebhookError",
    "WebhookServer",
    "connection_cap",
    "health_figures",
    "raise_fd_limit",
    "run_webhook_server",
    "serve_webhook",
]

log = logging.getLogger(__name__)

WEBHOOK_KEY = "arshif_webhook"  # bot_data entry holding the running WebhookServer (its port, for tests)
SECRET_HEADER = "x-telegram-bot-api-secret-token"
SECRET_BYTES = 32  # token_urlsafe(32): 43 characters, within setWebhook's 1-256 of A-Z a-z 0-9 _ -

MAX_BODY = 1024 * 1024  # Telegram's updates are a few kB; a message with every field is far below this
DRAIN_LIMIT = 4 * MAX_BODY  # a too-large body up to this is read and dropped, so the client sees the 413
MAX_IN_FLIGHT = 64  # requests handled at once (Telegram opens at most 100 connections, 40 by default)
FIRST_REQUEST_TIMEOUT = 10.0  # seconds a new connection has to send its first request
KEEP_ALIVE_TIMEOUT = 30  # seconds a kept-alive connection may wait for its next request
BODY_TIMEOUT = 30.0
HEALTH_TIMEOUT = 10.0
SHUTDOWN_GRACE = 5  # seconds in-flight requests get to finish at shutdown
RESERVED_FDS = 256  # descriptors kept for everything but webhook connections
MAX_CONNECTIONS = 1000  # never more than this, whatever the open-file limit
ACCEPT_ERROR_EVERY = 60.0  # seconds between two logged "out of system resource" accept errors


class WebhookError(Exception):
    """Raised when webhook mode cannot start (port taken, Telegram refused the URL); one sentence."""


def raise_fd_limit() -> tuple[int, int]:
    """Raises the soft open-file limit to the hard one; returns (soft, hard) as they are now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError) as exc:  # some containers refuse; the cap below still holds
            log.info("cannot raise the open-file limit from %s to %s: %s", soft, hard, exc)
    return soft, hard


def connection_cap(soft_limit: int | None = None) -> int:
    """Returns how many webhook connections may be open at once under the open-file limit."""
    if soft_limit is None:
        soft_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft_limit == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, soft_limit - RESERVED_FDS, soft_limit * 3 // 4))


class AcceptErrorFilter(logging.Filter):
    """Lets one "socket.accept() out of system resource" record through per ``every`` seconds.

    The first one passes at once; the next one that passes says how many were held back. Other
    records pass untouched. Put on the ``asyncio`` logger, where the event loop reports them.
    """

    MESSAGE = "socket.accept() out of"

    def __init__(self, every: float = ACCEPT_ERROR_EVERY) -> None:
        super().__init__()
        self.every = every
        self.last = float("-inf")
        self.held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.MESSAGE):
            return True
        now = time.monotonic()
        if now - self.last < self.every:
            self.held += 1
            return False
        self.last = now
        if self.held:
            record.msg = f"{record.msg} ({self.held} more in the last {self.every:.0f} s not logged)"
            self.held = 0
        record.exc_info = None  # the traceback says nothing the message does not
        return True


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


def _error(status: HTTPStatus, reason: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status, headers=headers)


class _Connections:
    """The open connections in the order they came, so the oldest idle one can be closed first."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.open: dict[H11Protocol, None] = {}
        self.evicted = 0

    def opened(self, conn: H11Protocol) -> None:
        self.open[conn] = None
        if len(self.open) <= self.cap:
            return
        for other in self.open:
            if other is not conn and (other.cycle is None or other.cycle.response_complete):
                other.transport.close()
                self.open.pop(other, None)
                self.evicted += 1
                if self.evicted in (1, 10, 100) or self.evicted % 1000 == 0:
                    log.warning("webhook: %d connections open, the cap; closed the oldest idle one "
                                "(%d so far)", self.cap, self.evicted)
                return

    def closed(self, conn: H11Protocol) -> None:
        self.open.pop(conn, None)


def _protocol_class(connections: _Connections) -> type[H11Protocol]:
    """Returns uvicorn's HTTP/1.1 protocol with the connection cap and a first-request deadline."""

    class Protocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            connections.opened(self)
            # uvicorn arms its keep-alive timer only after a response: arm it for the first request
            # too (data_received disarms it), so a connection that never speaks is closed.
            self.timeout_keep_alive_task = self.loop.call_later(FIRST_REQUEST_TIMEOUT,
                                                                self.timeout_keep_alive_handler)

        def connection_lost(self, exc: Exception | None) -> None:
            connections.closed(self)
            super().connection_lost(exc)

    return Protocol


class _Server(uvicorn.Server):
    """uvicorn.Server without its signal handling: ``serve_webhook`` owns SIGINT/SIGTERM."""

    def capture_signals(self):  # type: ignore[override]
        import contextlib

        return contextlib.nullcontext()


class WebhookServer:
    """The HTTP side of webhook mode: listens, checks the secret, queues updates, answers /healthz."""

    def __init__(self, application: Application, settings: Settings, secret: str,
                 db_path: str | Path | None = None) -> None:
        self.application = application
        self.settings = settings
        self.webhook_path = "/" + settings.webhook_path
        self.health_path = settings.health_path
        self._secret = secret.encode()
        self.db_path = db_path or settings.db
        self.updates_accepted = 0
        self.in_flight = 0
        self.port = settings.port
        self.connections = _Connections(connection_cap())
        self._server: _Server | None = None
        self._socket: socket.socket | None = None
        self.app = Starlette(
            routes=[Route(self.webhook_path, self._webhook, methods=["POST"]),
                    Route(self.health_path, self._health, methods=["GET"])],
            exception_handlers={404: self._not_found, 405: self._not_allowed},
        )

    async def start(self) -> None:
        """Starts listening on settings.listen:settings.port (port 0 picks a free one: see ``port``)."""
        host = self.settings.listen or "0.0.0.0"
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            sock = socket.create_server((host, self.settings.port), family=family, backlog=2048)
        except OSError as exc:
            raise WebhookError(
                f"cannot listen on {self.settings.listen}:{self.settings.port} ({exc.strerror or exc}); "
                "set ARSHIF_LISTEN/ARSHIF_PORT (--listen/--port) to a free address"
            ) from exc
        config = uvicorn.Config(
            self.app, http=_protocol_class(self.connections), lifespan="off", log_config=None,
            access_log=False, server_header=False, timeout_keep_alive=KEEP_ALIVE_TIMEOUT,
            timeout_graceful_shutdown=SHUTDOWN_GRACE, backlog=2048,
        )
        config.load()
        server = _Server(config)
        server.lifespan = config.lifespan_class(config)  # "off": what uvicorn's own serve() sets up first
        self._server, self._socket = server, sock
        await server.startup(sockets=[sock])
        self.port = sock.getsockname()[1]

    async def close(self) -> None:
        """Stops listening, closes idle connections and gives requests in flight SHUTDOWN_GRACE seconds."""
        server, self._server = self._server, None
        if server is not None:
            await server.shutdown(sockets=[self._socket] if self._socket else None)

    # --- routes -----------------------------------------------------------------------------------

    async def _webhook(self, request: Request) -> Response:
        """Checks the secret before reading the body, then queues the update and answers 200."""
        given = request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode("latin-1"), self._secret):
            log.warning("webhook request from %s refused: %s secret token",
                        request.client.host if request.client else "?", "missing" if given is None else "wrong")
            return _error(HTTPStatus.FORBIDDEN, "wrong or missing secret token")
        if self.in_flight >= MAX_IN_FLIGHT:
            return _error(HTTPStatus.SERVICE_UNAVAILABLE, "busy; try again")
        self.in_flight += 1
        try:
            return await self._take_update(request)
        finally:
            self.in_flight -= 1

    async def _take_update(self, request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and not declared.strip().isdigit():
            return _error(HTTPStatus.BAD_REQUEST, "bad Content-Length")
        try:
            async with asyncio.timeout(BODY_TIMEOUT):
                if declared is not None and int(declared) > MAX_BODY:
                    return await self._too_large(request, int(declared))
                body = bytearray()
                async for chunk in request.stream():
                    body.extend(chunk)
                    if len(body) > MAX_BODY:
                        return await self._too_large(request, len(body))
        except TimeoutError:
            return _error(HTTPStatus.REQUEST_TIMEOUT, "the body took too long")
        except ClientDisconnect:
            return Response(status_code=HTTPStatus.BAD_REQUEST)
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # not UTF-8, not JSON, or absurdly nested
            return _error(HTTPStatus.BAD_REQUEST, "the body is not JSON")
        if not isinstance(data, dict):
            return _error(HTTPStatus.BAD_REQUEST, "the body is not a JSON object")
        try:
            update = Update.de_json(data, self.application.bot)
        except Exception as exc:  # a malformed update can fail in many ways inside PTB
            log.warning("webhook body is not a Telegram update (%s)", type(exc).__name__)
            update = None
        if update is None:
            return _error(HTTPStatus.BAD_REQUEST, "the body is not a Telegram update")
        await self.application.update_queue.put(update)
        self.updates_accepted += 1
        return Response(status_code=HTTPStatus.OK)

    async def _too_large(self, request: Request, seen: int) -> Response:
        """Answers 413; a body not too far over is read and dropped first, so the client, still
        sending, gets the answer instead of a reset connection."""
        if seen <= DRAIN_LIMIT:
            async for chunk in request.stream():
                seen += len(chunk)
                if seen > DRAIN_LIMIT:
                    break
        return _error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {MAX_BODY} bytes",
                      headers={"Connection": "close"})

    async def _health(self, request: Request) -> Response:
        try:
            figures = await asyncio.wait_for(asyncio.to_thread(health_figures, self.db_path), HEALTH_TIMEOUT)
        except TimeoutError:
            figures = {"status": "error", "error": f"no answer from the database within {HEALTH_TIMEOUT:.0f}s"}
        if figures["status"] != "ok":
            log.warning("health check failed: %s", figures["error"])
            return JSONResponse(figures, status_code=HTTPStatus.SERVICE_UNAVAILABLE,
                                headers={"Cache-Control": "no-store"})
        return JSONResponse(figures, headers={"Cache-Control": "no-store"})

    async def _not_found(self, request: Request, exc: HTTPException) -> Response:
        return _error(HTTPStatus.NOT_FOUND, "not found")

    async def _not_allowed(self, request: Request, exc: HTTPException) -> Response:
        allow = (exc.headers or {}).get("Allow", "")
        return _error(HTTPStatus.METHOD_NOT_ALLOWED, "use POST" if "POST" in allow else "use GET",
                      headers={"Allow": allow})


def _hide_from_logs(secret: str) -> None:
    """Adds a generated secret to the redacting filters configure_logging put on the root handlers."""
    for handler in logging.getLogger().handlers:
        for f in handler.filters:
            if isinstance(f, RedactingFilter) and secret not in f.secrets:
                f.secrets = (*f.secrets, secret)


def _quiet_accept_errors() -> None:
    asyncio_log = logging.getLogger("asyncio")
    if not any(isinstance(f, AcceptErrorFilter) for f in asyncio_log.filters):
        asyncio_log.addFilter(AcceptErrorFilter())


async def run_webhook_server(application: Application, settings: Settings, *, db_path: str | Path | None = None,
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
    _quiet_accept_errors()
    stop = stop or asyncio.Event()
    server = WebhookServer(application, settings, secret, db_path)
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
                log.info("webhook mode: listening on %s:%s for %s (database %s, at most %d connections)",
                         settings.listen, server.port, settings.webhook_url, server.db_path, server.connections.cap)
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


def serve_webhook(application: Application, settings: Settings, db_path: str | Path | None = None) -> None:
    """Serves webhook updates until SIGINT/SIGTERM, then stops cleanly; exits 1 if it cannot start."""
    soft, hard = raise_fd_limit()
    log.info("open-file limit %s (hard %s)", soft, hard)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await run_webhook_server(application, settings, db_path=db_path, stop=stop)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    try:
        asyncio.run(main())
    except (WebhookError, TelegramError) as exc:  # startup only: later errors go to the error handler
        log.error("webhook mode cannot start: %s", exc)
        raise SystemExit(1) from exc
