"""`arshif chat` offers what the bot offers: the same commands (admin ones: the operator runs it),
the same texts, the same /help."""

from __future__ import annotations

import re
from pathlib import Path

from arshif.bot.cli import main
from arshif.bot.config import Settings
from arshif.bot.telegram_app import build_application
from arshif.bot.texts import TEXTS, help_text
from click.testing import CliRunner
from telegram.ext import CommandHandler


def chat(archive_path: Path, *lines: str, lang: str = "en") -> str:
    result = CliRunner().invoke(main, ["chat", "--db", str(archive_path), "--lang", lang],
                                input="\n".join([*lines, "/quit"]) + "\n", env={"ARSHIF_CONFIG": ""})
    assert result.exit_code == 0, result.output
    return result.output


def test_chat_help_lists_every_command_the_bot_registers(archive_path: Path, tmp_path: Path) -> None:
    app = build_application(Settings(token="123456:TEST", db=archive_path), archive_path)
    registered = {c for handlers in app.handlers.values() for h in handlers if isinstance(h, CommandHandler)
                  for c in h.commands}
    assert {"subscribe", "subscriptions", "unsubscribe", "add", "feeds", "stats", "allow"} <= registered
    for lang in ("en", "ar"):
        shown = chat(archive_path, "/help", lang=lang)
        assert help_text(lang) in shown  # the bot's /help, word for word
        for command in registered:
            assert re.search(rf"^/{command}\b", shown, re.M), (lang, command)


def test_chat_subscribes_like_the_bot(archive_path: Path) -> None:
    shown = chat(archive_path, "/subscribe الطاقة", "/subscriptions", "b2", "/unsubscribe 1", "/stats")
    assert TEXTS["subscribed"]["en"].format(id=1, query="الطاقة") in shown
    assert TEXTS["list_header"]["en"].format(n=1, limit=Settings().max_subscriptions) in shown
    assert TEXTS["muted"]["en"].format(id=1) in shown  # b2 is the list's mute button, pressed
    assert "active" in shown and "muted" in shown
    assert TEXTS["unsubscribed"]["en"].format(id=1) in shown
    assert TEXTS["stats_header"]["en"] in shown  # admin commands: the terminal is the operator
