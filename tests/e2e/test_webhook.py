"""Webhook mode end to end: the real Application behind bot.webhook's server, fed over HTTP.

Telegram's side is played twice: the fake Bot API server receives setWebhook and the bot's
replies, and an httpx client posts updates the way Telegram does (JSON body, secret header).
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import os
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from arshif.bot import webhook
from arshif.bot.config import Settings
from arshif.bot.logs import NOISY_LOGGERS, configure_logging
from arshif.bot.telegram_app import build_application
from arshif.bot.webhook import MAX_BODY, SECRET_HEADER, WEBHOOK_KEY, WebhookError, WebhookServer, run_webhook_server
from arshif.index import store
from telegram.ext import Application

from .conftest import ADMIN, MEMBERS, make_settings
from .fakebot import FakeBotServer

REPO = Path(__file__).resolve().parents[2]
SECRET = "webhook-secret_for-tests-0123456789"
WEBHOOK_URL = "https://bot.example.org/telegram/hook"
PATH = "/telegram/hook"
LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")


@dataclass
class WebhookEnv:
    """A bot in webhook mode: the fake Bot API, the Application, its HTTP server and a client for it."""

    server: FakeBotServer
    app: Application
    http: WebhookServer
    client: httpx.AsyncClient
    settings: Settings

    async def post_update(self, update: dict, secret: str | None = SECRET, **kwargs: object) -> httpx.Response:
        """Posts an update as Telegram does; ``secret=None`` leaves the header out."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return await self.client.post(PATH, json=update, headers=headers, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def webhook_bot(db_path: Path) -> Callable[..., object]:
    """Returns ``async with webhook_bot(**settings) as env``: the bot serving webhooks on 127.0.0.1."""

    @asynccontextmanager
    async def start(**overrides: object) -> AsyncIterator[WebhookEnv]:
        async with FakeBotServer() as server:
            values: dict[str, object] = {"webhook_url": WEBHOOK_URL, "webhook_secret": SECRET,
                                         "listen": "127.0.0.1", "port": 0, "alert_interval": 60}
            values.update(overrides)
            settings = make_settings(server, db_path, **values)
            app = build_application(settings, db_path, base_url=server.base_url)
            ready, stop = asyncio.Event(), asyncio.Event()
            task = asyncio.create_task(run_webhook_server(app, settings, ready=ready, stop=stop))
            waiter = asyncio.create_task(ready.wait())
            await asyncio.wait({task, waiter}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if task.done():
                task.result()  # raises why it could not start
            assert ready.is_set(), "the webhook server did not start within 15 s"
            http: WebhookServer = app.bot_data[WEBHOOK_KEY]
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http.port}", timeout=10) as client:
                    yield WebhookEnv(server, app, http, client, settings)
            finally:
                stop.set()
                await asyncio.wait_for(task, 15)
            assert not app.running
            assert WEBHOOK_KEY not in app.bot_data
            assert server.errors == [], server.errors

    return start


async def test_update_with_the_secret_is_answered_end_to_end(webhook_bot: Callable[..., object]) -> None:
    async with webhook_bot() as env:  # type: ignore[attr-defined]
        # setWebhook went to Telegram with the public URL, the secret and every update type.
        assert env.server.webhook is not None
        assert env.server.webhook["url"] == WEBHOOK_URL
        assert env.server.webhook["secret_token"] == SECRET
        assert "callback_query" in env.server.webhook["allowed_updates"]
        assert not env.server.webhook.get("drop_pending_updates")

        user = MEMBERS[0]
        mark = env.server.mark()
        update = env.server.send_text(user, "/start", language_code="en")  # builds the JSON Telegram sends
        response = await env.post_update(update)
        assert response.status_code == 200
        await env.server.wait_for("sendMessage", lambda c: c.chat_id == user, since=mark)
        assert (env.server.last_text(user) or "").startswith("Hello")

        # A second update on the same (kept-alive) connection, with a chunked body this time.
        body = json.dumps(env.server.send_text(user, "/help", language_code="en")).encode()

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(0, len(body), 100):
                yield body[i:i + 100]

        mark = env.server.mark()
        response = await env.client.post(PATH, content=chunks(), headers={SECRET_HEADER: SECRET})
        assert response.status_code == 200
        await env.server.wait_for("sendMessage", lambda c: c.chat_id == user, since=mark)
        assert env.http.updates_accepted == 2


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1], SECRET.upper()])
async def test_missing_or_wrong_secret_is_refused(webhook_bot: Callable[..., object], secret: str | None) -> None:
    refused, accepted = MEMBERS[1], MEMBERS[2]
    async with webhook_bot() as env:  # type: ignore[attr-defined]
        response = await env.post_update(env.server.send_text(refused, "/start", language_code="en"), secret)
        assert response.status_code == 403
        assert response.json() == {"error": "wrong or missing secret token"}
        # A good update sent afterwards is answered; the refused one never reached the Application.
        mark = env.server.mark()
        assert (await env.post_update(env.server.send_text(accepted, "/start", language_code="en"))).status_code == 200
        await env.server.wait_for("sendMessage", lambda c: c.chat_id == accepted, since=mark)
        assert env.server.messages_to(refused) == []
        assert env.http.updates_accepted == 1


async def test_healthz_reports_schema_and_articles(webhook_bot: Callable[..., object], db_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    conn = store.connect(db_path)
    articles = store.count_articles(conn)
    conn.close()
    async with webhook_bot() as env:  # type: ignore[attr-defined]
        response = await env.client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "schema_version": store.SCHEMA_VERSION, "articles": articles}
        assert articles > 0
        assert (await env.client.head("/healthz")).status_code == 200

        # A file that is not a database: 503 with the reason, never a traceback.
        garbage = db_path.parent / "garbage.db"
        garbage.write_bytes(b"this is not a database, just bytes " * 200)
        monkeypatch.setattr(env.http, "db_path", garbage)
        response = await env.client.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "error",
                                   "error": "the database cannot be used: file is not a database"}
        monkeypatch.setattr(env.http, "db_path", db_path.parent / "missing.db")
        assert (await env.client.get("/healthz")).status_code == 503
        assert not (db_path.parent / "missing.db").exists()  # a health check never creates the file


async def test_bad_requests_get_clear_statuses(webhook_bot: Callable[..., object]) -> None:
    headers = {SECRET_HEADER: SECRET}
    async with webhook_bot() as env:  # type: ignore[attr-defined]
        c = env.client
        cases = [
            (await c.post(PATH, content=b"{not json", headers=headers), 400, "the body is not JSON"),
            (await c.post(PATH, content=b"\xff\xfe\x00garbage", headers=headers), 400, "the body is not JSON"),
            (await c.post(PATH, content=b"[" * 100_000, headers=headers), 400, "the body is not JSON"),
            (await c.post(PATH, json=[1, 2], headers=headers), 400, "the body is not a JSON object"),
            (await c.post(PATH, json={"message": "hi"}, headers=headers), 400, "the body is not a Telegram update"),
            (await c.post(PATH, content=b"x" * (MAX_BODY + 1), headers=headers), 413, f"body over {MAX_BODY} bytes"),
            (await c.get(PATH), 405, "use POST"),
            (await c.post("/healthz", json={}), 405, "use GET"),
            (await c.post("/telegram", json={}, headers=headers), 404, "not found"),
            (await c.get("/"), 404, "not found"),
        ]
        for response, status, error in cases:
            assert (response.status_code, response.json()) == (status, {"error": error}), response.request
        assert env.http.updates_accepted == 0
        assert (await c.get("/healthz")).status_code == 200  # still serving


@pytest.fixture
def log_stream(restore_logging: None) -> Iterator[io.StringIO]:
    """Yields the stream configure_logging writes to, with everything at DEBUG; restores logging after."""
    stream = io.StringIO()
    configure_logging("json", "DEBUG", stream=stream)
    for name in NOISY_LOGGERS:  # let PTB log its setWebhook call (with the secret) so redaction is tested
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield stream


async def test_generated_secret_when_none_is_configured(webhook_bot: Callable[..., object],
                                                        log_stream: io.StringIO) -> None:
    async with webhook_bot(webhook_secret=None) as env:  # type: ignore[attr-defined]
        assert env.server.webhook is not None
        secret = env.server.webhook["secret_token"]
        assert len(secret) >= 32
        user = MEMBERS[3]
        assert (await env.post_update(env.server.send_text(user, "/start"), None)).status_code == 403
        mark = env.server.mark()
        assert (await env.post_update(env.server.send_text(user, "/start"), secret)).status_code == 200
        await env.server.wait_for("sendMessage", lambda c: c.chat_id == user, since=mark)
    logged = log_stream.getvalue()
    assert "generated a random secret" in logged
    assert "setWebhook" in logged  # PTB logged the call's parameters, secret included...
    assert secret not in logged  # ...and the filter removed it
    assert env.server.token not in logged


async def test_port_in_use_is_one_clear_error(webhook_bot: Callable[..., object]) -> None:
    async with webhook_bot() as env:  # type: ignore[attr-defined]
        second = build_application(env.settings, env.settings.db, base_url=env.server.base_url)
        taken = dataclasses.replace(env.settings, port=env.http.port)
        with pytest.raises(WebhookError, match=r"cannot listen on 127\.0\.0\.1:\d+"):
            await run_webhook_server(second, taken)
        assert not second.running


async def test_arshif_health_asks_the_running_bot(webhook_bot: Callable[..., object], db_path: Path) -> None:
    """The Docker HEALTHCHECK command (`arshif health`) in webhook mode queries /healthz."""
    async with webhook_bot() as env:  # type: ignore[attr-defined]
        env_vars = {k: v for k, v in os.environ.items() if not k.startswith(("ARSHIF_", "TELEGRAM_"))}
        env_vars |= {"ARSHIF_WEBHOOK_URL": WEBHOOK_URL, "ARSHIF_LISTEN": "127.0.0.1",
                     "ARSHIF_PORT": str(env.http.port)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "arshif.bot.cli", "health", "--db", str(db_path), cwd=REPO, env=env_vars,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert (proc.returncode, out.decode().strip()) == (0, "ok"), err.decode()


SERVE_SCRIPT = """
from arshif.bot.config import load_settings
from arshif.bot.logs import configure_logging
from arshif.bot.telegram_app import build_application
from arshif.bot.webhook import serve_webhook

settings = load_settings()
configure_logging(settings.log_format, settings.log_level, secrets=[settings.webhook_secret or ""])
serve_webhook(build_application(settings), settings)
"""


async def test_serve_webhook_runs_until_sigterm(db_path: Path) -> None:
    """serve_webhook as `arshif serve` will run it: a process of its own, stopped by SIGTERM, exit 0."""
    async with FakeBotServer() as server:
        env_vars = {k: v for k, v in os.environ.items() if not k.startswith(("ARSHIF_", "TELEGRAM_"))}
        env_vars |= {
            "TELEGRAM_BOT_TOKEN": server.token, "TELEGRAM_API_BASE_URL": server.base_url,
            "ARSHIF_DB": str(db_path), "ARSHIF_ALLOWED_USERS": str(MEMBERS[0]), "ARSHIF_WEBHOOK_URL": WEBHOOK_URL,
            "ARSHIF_WEBHOOK_SECRET": SECRET, "ARSHIF_LISTEN": "127.0.0.1", "ARSHIF_PORT": "0",
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", SERVE_SCRIPT, cwd=REPO, env=env_vars, stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stderr is not None
        lines: list[str] = []
        try:
            async with asyncio.timeout(20):
                while not (port := next((m.group(1) for m in map(LISTENING.search, lines) if m), None)):
                    line = (await proc.stderr.readline()).decode()
                    assert line, "".join(lines)
                    lines.append(line)
            assert server.webhook is not None and server.webhook["secret_token"] == SECRET
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                mark = server.mark()
                update = server.send_text(MEMBERS[0], "/start", language_code="en")
                response = await client.post(PATH, json=update, headers={SECRET_HEADER: SECRET})
                assert response.status_code == 200
                await server.wait_for("sendMessage", lambda c: c.chat_id == MEMBERS[0], since=mark)
            proc.terminate()
            rest = await asyncio.wait_for(proc.stderr.read(), 20)
            assert await proc.wait() == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    logged = "".join(lines) + rest.decode()
    assert "webhook mode: stopping" in logged
    assert "Traceback" not in logged
    assert server.token not in logged and SECRET not in logged


async def test_stats_for_admins_only(webhook_bot: Callable[..., object], db_path: Path) -> None:
    conn = store.connect(db_path)
    figures = store.stats(conn)
    conn.close()
    async with webhook_bot() as env:  # type: ignore[attr-defined]
        for user, language in ((ADMIN, "en"), (ADMIN, "ar"), (MEMBERS[4], "en")):
            mark = env.server.mark()
            update = env.server.send_text(user, "/stats", language_code=language)
            assert (await env.post_update(update)).status_code == 200
            await env.server.wait_for("sendMessage", lambda c, u=user: c.chat_id == u, since=mark)
        # Without the direction marks (RLM, FSI, PDI) that keep numbers in place in Arabic lines.
        admin_en, admin_ar = [re.sub("[\u200f\u2068\u2069]", "", c.text or "")
                              for c in env.server.messages_to(ADMIN)[-2:]]
        assert admin_en.startswith(f"Archive figures\nArticles: {figures['articles']}\n")
        assert "Feeds: 0 (0 failing)" in admin_en and f"(schema {store.SCHEMA_VERSION})" in admin_en
        assert "sample-wire" in admin_en  # the top source
        assert "أرقام الأرشيف" in admin_ar and f"المقالات: {figures['articles']}" in admin_ar
        assert env.server.last_text(MEMBERS[4]) == "Only admins can see the archive figures."
        menu = [(c["command"], c["description"]) for c in env.server.commands("en")]
        assert ("stats", "(admins) Archive figures") in menu


async def test_idle_connections_over_the_cap_close_oldest_first(webhook_bot: Callable[..., object],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections that never send a request cannot crowd out Telegram and /healthz: over the cap,
    the oldest idle one is closed (tests/bench/bench_webhook_idle.py does it with 1,100 and ulimit 1024)."""
    monkeypatch.setattr(webhook, "connection_cap", lambda: 20)
    async with webhook_bot() as env:  # type: ignore[attr-defined]
        idle = [await asyncio.open_connection("127.0.0.1", env.http.port) for _ in range(40)]
        try:
            async with asyncio.timeout(10):  # the server closes the 20 oldest
                while sum(reader.at_eof() for reader, _ in idle) < 20:
                    await asyncio.sleep(0.02)
            assert [reader.at_eof() for reader, _ in idle[:20]] == [True] * 20
            assert (await env.client.get("/healthz")).status_code == 200
            mark = env.server.mark()
            update = env.server.send_text(MEMBERS[5], "/start", language_code="en")
            assert (await env.post_update(update)).status_code == 200
            await env.server.wait_for("sendMessage", lambda c: c.chat_id == MEMBERS[5], since=mark)
            assert len(env.http.connections.open) <= 20
        finally:
            for _, writer in idle:
                writer.close()


def test_accept_errors_are_logged_once_a_minute() -> None:
    """asyncio reports EMFILE on accept once a second while it lasts: one line a minute gets through."""
    clock = [1000.0]
    filt = webhook.AcceptErrorFilter(every=60)
    monkey_time = pytest.MonkeyPatch()
    monkey_time.setattr(webhook.time, "monotonic", lambda: clock[0])
    try:
        def record(msg: str) -> logging.LogRecord:
            return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, msg, None, (OSError, OSError(24), None))

        passed = []
        for _ in range(120):  # two minutes of one error a second
            rec = record("socket.accept() out of system resource")
            if filt.filter(rec):
                passed.append(rec)
            clock[0] += 1
        assert len(passed) == 2 and passed[0].exc_info is None
        assert "59 more in the last 60 s not logged" in passed[1].getMessage()
        assert filt.filter(record("something else"))
    finally:
        monkey_time.undo()


def test_connection_cap_leaves_room_under_the_open_file_limit() -> None:
    assert webhook.connection_cap(1024) == 768
    assert webhook.connection_cap(100) == 16  # the floor: a tiny limit still serves Telegram
    assert webhook.connection_cap(1_000_000) == webhook.MAX_CONNECTIONS
