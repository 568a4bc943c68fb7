"""Logging set up once, for the bot and the CLI: text or JSON lines, with secrets redacted.

The bot token travels in every Bot API URL (``https://api.telegram.org/bot<token>/getUpdates``),
and python-telegram-bot logs that URL at DEBUG while httpx logs it at INFO, so a redacting filter sits
on the root handlers and cleans each record's message, arguments, traceback and stack. User message
texts are a separate matter: handlers decide with ``loggable_text`` (``ARSHIF_LOG_MESSAGES``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import quote

__all__ = ["JsonFormatter", "RedactingFilter", "configure_logging", "loggable_text", "redact"]

TOKEN_RE = re.compile(r"(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}")
# Anything after /bot in a URL up to the next slash, even a malformed token (a test's "123:abc").
URL_TOKEN_RE = re.compile(r"(?<=/bot)\d+:[^/\s?#\"']+")
REDACTED = "<redacted>"
MIN_SECRET = 6  # shorter configured secrets are not searched for (see secret_forms)
NOISY_LOGGERS = ("httpx", "httpcore", "apscheduler", "telegram.ext")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Attributes every LogRecord has; anything else came from `extra=` and goes into the JSON object.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def secret_forms(secrets: Iterable[str]) -> tuple[str, ...]:
    """Returns every form a configured secret may be logged in, longest first.

    Besides the value itself: its percent-encoded form (inside a URL) and, for a token, the part
    after the colon (what a reader needs to use it). Values shorter than ``MIN_SECRET`` are left
    out: replacing every "ab" in the logs would hide everything and protect nothing.
    """
    forms: set[str] = set()
    for secret in secrets:
        secret = (secret or "").strip()
        if len(secret) < MIN_SECRET:
            continue
        tail = secret.partition(":")[2]
        for form in (secret, quote(secret, safe=""), tail, quote(tail, safe="")):
            if len(form) >= MIN_SECRET:
                forms.add(form)
    return tuple(sorted(forms, key=len, reverse=True))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Returns the text with bot tokens (bare or inside /bot<token>/ URLs) and given secrets replaced.

    The shapes catch Telegram's tokens; the given secrets (the configured token and webhook secret
    themselves) catch the rest: a local Bot API server's token of any shape, a token pasted into
    the wrong setting.
    """
    for secret in secret_forms(secrets):
        text = text.replace(secret, REDACTED)
    text = URL_TOKEN_RE.sub(REDACTED, text)
    return TOKEN_RE.sub(REDACTED, text)


def loggable_text(text: str | None, *, log_messages: bool) -> str:
    """Returns what may be logged of a user's message: the text only when ARSHIF_LOG_MESSAGES is on."""
    if text is None:
        return "<no text>"
    return repr(text) if log_messages else f"<{len(text)} chars>"


class RedactingFilter(logging.Filter):
    """Removes bot tokens (and configured secrets) from a record before any handler formats it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = secret_forms(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrites the record in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        # Merge the arguments into the message: an argument can be any object (an httpx.URL, an
        # exception) whose str() holds the token, so redact the formatted result.
        record.msg = redact(message, self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters cache the traceback text in exc_text and reuse it, so rendering it here
            # means every handler prints the redacted version.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object per line: time, level, logger, message, exc_info, extras."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        """Returns one line of JSON (Arabic kept readable, not \\u-escaped)."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        # Extras bypass the filter, so redact the finished line as well.
        return redact(json.dumps(entry, ensure_ascii=False, default=str), self.secrets)


def configure_logging(
    fmt: str = "text",
    level: str = "INFO",
    *,
    stream: TextIO | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Sets up the root logger once per process (calling again replaces our handler, not others').

    ``fmt`` is "text" or "json"; ``level`` a logging level name. ``secrets`` (e.g. the webhook
    secret) are redacted along with any bot token. Logs go to standard error, where journald and
    ``docker logs`` collect them.
    """
    if fmt not in ("text", "json"):
        raise ValueError(f"unknown log format {fmt!r}: use text or json")
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL")

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_arshif", False)]:
        root.removeHandler(old)
        old.close()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._arshif = True  # type: ignore[attr-defined]  # marks the handler as ours for reconfiguring
    handler.setFormatter(JsonFormatter(secrets) if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(numeric)

    # Every root handler, including ones others installed (pytest's, a future Sentry), gets a
    # fresh filter with the current secrets.
    for h in root.handlers:
        for f in [f for f in h.filters if isinstance(f, RedactingFilter)]:
            h.removeFilter(f)
        h.addFilter(RedactingFilter(secrets))

    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # python-telegram-bot reports misuse through `warnings`; route those into the same stream.
    logging.captureWarnings(True)
