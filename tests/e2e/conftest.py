"""Fixtures for end-to-end tests of the bot: a real Application polling the fake Bot API server.

The archive is a temporary SQLite file built once per session from the bundled samples and, when
the team's shared seed article exists, ``../shared/seed/cyber-agreement.txt``; every test gets its
own copy, so chat memory, users and button queries never leak between tests.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from arshif.bot.config import Settings
from arshif.bot.telegram_app import build_application
from arshif.index import confidence, store
from arshif.index.ingest import ingest_paths
from telegram.ext import Application

from .fakebot import FakeBotServer

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "index" / "samples"
SEED = REPO.parent / "shared" / "seed" / "cyber-agreement.txt"

ADMIN = 900
MEMBERS = tuple(range(1001, 1011))  # ten allowed users
STRANGER = 5555
GROUP = -100123


@pytest.fixture(scope="session")
def e2e_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Returns an archive file with the samples (and the seed article when present); do not write."""
    path = tmp_path_factory.mktemp("e2e") / "archive.db"
    conn = store.connect(path)
    sources = [SAMPLES] + ([SEED] if SEED.exists() else [])
    summary = ingest_paths(conn, sources, workers=1)
    assert summary.failed == [], summary.failed
    conn.close()
    return path


@pytest.fixture
def db_path(e2e_db_file: Path, tmp_path: Path) -> Path:
    """Returns a private, writable copy of the e2e archive."""
    path = tmp_path / "bot.db"
    shutil.copyfile(e2e_db_file, path)
    return path


@dataclass
class BotEnv:
    """What an end-to-end test drives: the fake server, the running application, its database."""

    server: FakeBotServer
    app: Application
    db_path: Path
    settings: Settings


@pytest.fixture(scope="session", autouse=True)
def every_guess_shown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The bot is driven here to see how answers are laid out and sent; whether a guess is sure
    enough to show is the confidence's job (tests/index), so every guess is shown, also in the
    engine's worker processes (they read ``$ARSHIF_CONFIDENCE_FILE``)."""
    shipped = json.loads((Path(confidence.__file__).parent / "data" / "confidence.json").read_text(encoding="utf-8"))
    path = tmp_path_factory.mktemp("confidence") / "confidence.json"
    path.write_text(json.dumps({**shipped, "threshold": 0.0}), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ARSHIF_CONFIDENCE_FILE", str(path))
        confidence.load.cache_clear()
        yield
    confidence.load.cache_clear()


def make_settings(server: FakeBotServer, db_path: Path, **overrides: object) -> Settings:
    """Returns settings for a bot talking to ``server``: one admin, ten members, a roomy rate limit."""
    values: dict[str, object] = {
        "token": server.token, "db": db_path, "admins": (ADMIN,), "allowed_users": MEMBERS,
        "allowed_chats": (GROUP,), "rate_limit": 60,
        # Threads: tests patch the engine in this process (test_bot.py runs the process pool too).
        "engine_processes": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def bot_factory(db_path: Path) -> Callable[..., contextlib.AbstractAsyncContextManager[BotEnv]]:
    """Returns an async context manager factory: ``async with bot_factory(**settings) as env``."""

    @contextlib.asynccontextmanager
    async def start(**overrides: object) -> AsyncIterator[BotEnv]:
        async with FakeBotServer() as server:
            server.add_chat(ADMIN, first_name="Admin", language_code="en")
            settings = make_settings(server, db_path, **overrides)
            app = build_application(settings, db_path, base_url=server.base_url)
            env = BotEnv(server, app, db_path, settings)
            async with server.polling(app):
                # run_polling would call post_init and post_shutdown; the fake's polling helper starts
                # and stops the pieces itself.
                await app.post_init(app)
                try:
                    yield env
                finally:
                    if app.post_shutdown is not None:
                        await app.post_shutdown(app)
            assert server.errors == [], server.errors

    return start


@pytest.fixture
async def bot(bot_factory: Callable[..., contextlib.AbstractAsyncContextManager[BotEnv]]) -> AsyncIterator[BotEnv]:
    """Yields a running bot with the default settings."""
    async with bot_factory() as env:
        yield env
