"""The README starts with the two set-up commands, exactly as a newcomer types them."""

from __future__ import annotations

import re
from pathlib import Path

import click
from arshif.bot.cli import main

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
# A fresh venv with the pip it brings, as .ci/run replays them.
SETUP_COMMANDS = [
    "python3 -m venv .venv && . .venv/bin/activate && pip install . && arshif demo",
    "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && pytest",
]


def _first_lines(n: int = 25) -> list[str]:
    return README.read_text(encoding="utf-8").splitlines()[:n]


def _commands(lines: list[str]) -> list[str]:
    """Return the shell commands shown in the lines: code-block lines and `inline code`, prompts removed."""
    out: list[str] = []
    in_block = False
    for line in lines:
        if line.strip().startswith("```"):
            in_block = not in_block
            continue
        snippets = [line] if in_block else re.findall(r"`([^`]+)`", line)
        out.extend(s.strip().removeprefix("$ ").strip() for s in snippets if s.strip())
    return out


def test_readme_exists() -> None:
    assert README.is_file()


def test_readme_starts_with_the_two_setup_commands() -> None:
    commands = _commands(_first_lines())
    for command in SETUP_COMMANDS:
        assert command in commands, f"README's first lines must show the command: {command}"
    # they are the first commands shown, the demo first
    shell = [c for c in commands if c.split(" ")[0] in ("pip", "python", "python3", "arshif", "pytest", "git")]
    assert shell[:2] == SETUP_COMMANDS


def test_readme_mentions_every_cli_command() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [name for name, cmd in main.commands.items()
               if not cmd.hidden and not isinstance(cmd, click.Group) and f"arshif {name}" not in text]
    assert missing == [], f"README does not show: {', '.join('arshif ' + m for m in missing)}"
