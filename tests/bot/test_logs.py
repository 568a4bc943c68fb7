"""Logging: JSON lines that parse, and no bot token in any part of a record."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from arshif.bot.logs import NOISY_LOGGERS, RedactingFilter, configure_logging, loggable_text, redact

SECRET = "AAEhBOweik6ad9r_QXnvqh6KQhwNRNPzZ5s"
TOKEN = f"123456789:{SECRET}"
URL = f"https://api.telegram.org/bot{TOKEN}/getUpdates"


@pytest.fixture
def stream(restore_logging: None) -> Iterator[io.StringIO]:
    """Yields a buffer to configure logging into; the root logger is restored afterwards."""
    yield io.StringIO()


def json_lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_json_lines_parse(stream: io.StringIO) -> None:
    configure_logging("json", "INFO", stream=stream)
    log = logging.getLogger("arshif.test")
    log.info("answered in %d ms", 12)
    log.debug("not shown at INFO")
    log.warning("سؤال عن %s", "الاتفاقية", extra={"hits": 3})
    first, second = json_lines(stream)
    assert set(first) == {"time", "level", "logger", "message"}
    assert (first["level"], first["logger"], first["message"]) == ("INFO", "arshif.test", "answered in 12 ms")
    assert str(first["time"]).endswith("+00:00")
    assert second["message"] == "سؤال عن الاتفاقية" and second["hits"] == 3
    assert "الاتفاقية" in stream.getvalue()  # Arabic stays readable


def test_json_redacts_message_arg_and_traceback(stream: io.StringIO) -> None:
    configure_logging("json", stream=stream)
    log = logging.getLogger("arshif.test")
    log.info("token is %s", TOKEN)
    log.info(f"calling {URL}")
    try:
        raise RuntimeError(f"HTTP error for {URL}")
    except RuntimeError:
        log.exception("request failed")
    log.info("url object %s", type("Url", (), {"__str__": lambda self: URL})())
    out = stream.getvalue()
    assert SECRET not in out
    records = json_lines(stream)
    assert records[0]["message"] == "token is <redacted>"
    assert records[1]["message"] == "calling https://api.telegram.org/bot<redacted>/getUpdates"
    assert "RuntimeError: HTTP error for https://api.telegram.org/bot<redacted>/getUpdates" in str(
        records[2]["exc_info"]
    )
    assert "Traceback" in str(records[2]["exc_info"])
    assert records[3]["message"].endswith("bot<redacted>/getUpdates")


def test_text_format_redacts_too(stream: io.StringIO) -> None:
    configure_logging("text", "DEBUG", stream=stream)
    log = logging.getLogger("arshif.test")
    try:
        raise ValueError(TOKEN)
    except ValueError:
        log.error("failed with %r", {"token": TOKEN}, exc_info=True)
    out = stream.getvalue()
    assert SECRET not in out
    assert " ERROR arshif.test: failed with {'token': '<redacted>'}" in out
    assert "ValueError: <redacted>" in out


def test_every_root_handler_gets_the_filter(stream: io.StringIO) -> None:
    other = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(other)
    try:
        configure_logging("text", stream=stream)
        configure_logging("json", stream=stream)  # reconfiguring replaces, never duplicates
        assert sum(isinstance(f, RedactingFilter) for f in other.filters) == 1
        ours = [h for h in logging.getLogger().handlers if getattr(h, "_arshif", False)]
        assert len(ours) == 1
        logging.getLogger("x").warning("%s", TOKEN)
        assert SECRET not in other.stream.getvalue()  # type: ignore[attr-defined]
        assert len(stream.getvalue().splitlines()) == 1
    finally:
        logging.getLogger().removeHandler(other)


def test_noisy_loggers_and_level(stream: io.StringIO) -> None:
    configure_logging("text", "debug", stream=stream)
    assert logging.getLogger().level == logging.DEBUG
    for name in NOISY_LOGGERS:
        assert logging.getLogger(name).level == logging.WARNING
    logging.getLogger("httpx").info("HTTP Request: POST %s", URL)
    assert stream.getvalue() == ""


def test_extra_secrets_are_redacted(stream: io.StringIO) -> None:
    configure_logging("json", stream=stream, secrets=["webhook-secret-value"])
    logging.getLogger("x").warning("wrong secret webhook-secret-value")
    assert json_lines(stream)[0]["message"] == "wrong secret <redacted>"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="log format"):
        configure_logging("xml")
    with pytest.raises(ValueError, match="log level"):
        configure_logging("text", "LOUD")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (TOKEN, "<redacted>"),
        (f"a {TOKEN}, b", "a <redacted>, b"),
        ("https://x/bot12:short/sendMessage", "https://x/bot<redacted>/sendMessage"),
        (f"https://x/file/bot{TOKEN}/photos/a.jpg", "https://x/file/bot<redacted>/photos/a.jpg"),
        ("at 12:30 on 2026-11-02", "at 12:30 on 2026-11-02"),
        ("https://example.org/bottom/page", "https://example.org/bottom/page"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_loggable_text() -> None:
    assert loggable_text("متى وقعت؟", log_messages=False) == "<9 chars>"
    assert loggable_text("متى", log_messages=True) == "'متى'"
    assert loggable_text(None, log_messages=False) == "<no text>"


# --- tokens of any shape: the configured values themselves (issue 9 §5) ------------------------------

LOCAL_TOKEN = "local-api-test-token-7f3a9c"  # a local Bot API server accepts tokens of any shape


def test_the_configured_token_is_redacted_whatever_its_shape(stream: io.StringIO) -> None:
    from arshif.bot.config import Settings

    settings = Settings(token=LOCAL_TOKEN, webhook_secret="hook-secret-Zq81x")
    configure_logging("text", "DEBUG", stream=stream, secrets=settings.secrets)
    log = logging.getLogger("telegram.ext.ExtBot")
    log.warning("POST http://127.0.0.1:8081/bot%s/getMe failed", LOCAL_TOKEN)
    log.warning("token %s, secret %s", LOCAL_TOKEN, "hook-secret-Zq81x")
    try:
        raise RuntimeError(f"cannot call {LOCAL_TOKEN}")
    except RuntimeError:
        log.exception("crash")
    text = stream.getvalue()
    assert LOCAL_TOKEN not in text and "hook-secret-Zq81x" not in text
    assert "POST http://127.0.0.1:8081/bot<redacted>/getMe failed" in text
    assert "token <redacted>, secret <redacted>" in text
    assert "RuntimeError: cannot call <redacted>" in text


@pytest.mark.parametrize("logged", [
    "123456789%3AAAEhBOweik6ad9r_QXnvqh6KQhwNRNPzZ5s",  # percent-encoded inside a URL
    "the secret part AAEhBOweik6ad9r_QXnvqh6KQhwNRNPzZ5s alone",
    "12345:AAEhBOweik6ad9r_QXnvqh6KQhwNRNPzZ5s",  # a bot id too short for the usual shape
])
def test_the_configured_token_is_redacted_in_every_form(logged: str) -> None:
    assert SECRET not in redact(logged, [TOKEN, f"12345:{SECRET}"])


def test_short_secrets_are_not_searched_for() -> None:
    assert redact("a log line about abc", ["abc"]) == "a log line about abc"
    assert RedactingFilter(["", "ab", "long-enough"]).secrets == ("long-enough",)
