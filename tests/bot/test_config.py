"""Settings: precedence, defaults, parse errors and the checks behind `arshif config check`."""

from __future__ import annotations

from pathlib import Path

import pytest
from arshif.bot.config import (
    ConfigError,
    Problem,
    Settings,
    check_settings,
    load_settings,
    render_check,
    require_valid,
)

SECRET = "AAEhBOweik6ad9r_QXnvqh6KQhwNRNPzZ5s"
TOKEN = f"123456789:{SECRET}"


def problems_for(settings: Settings, **kwargs: bool) -> dict[str, Problem]:
    return {p.setting: p for p in check_settings(settings, **kwargs)}


@pytest.fixture
def good(tmp_path: Path) -> Settings:
    """Settings with nothing to complain about (the archive exists)."""
    from arshif.index import store

    store.connect(tmp_path / "arshif.db").close()
    return load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "ARSHIF_DB": str(tmp_path / "arshif.db"),
            "ARSHIF_ADMINS": "42",
        }
    )


def test_every_default() -> None:
    s = load_settings({})
    assert s == Settings()
    assert s.token == ""
    assert s.api_base_url == "https://api.telegram.org/bot"
    assert s.api_file_url == "https://api.telegram.org/file/bot"
    assert s.db == Path("arshif.db")
    assert (s.admins, s.allowed_users, s.allowed_chats) == ((), (), ())
    assert s.open_mode is False
    assert s.rate_limit == 20
    assert s.max_subscriptions == 20
    assert s.alert_interval == 10
    assert s.feed_interval == 600
    assert s.webhook_url is None and s.webhook_secret is None and not s.webhook_mode
    assert (s.listen, s.port, s.health_path) == ("0.0.0.0", 8443, "/healthz")
    assert (s.log_format, s.log_level, s.debug_log_messages) == ("text", "INFO", False)
    assert s.max_upload_bytes == 20 * 1024 * 1024
    assert s.config_file is None


def test_every_variable() -> None:
    s = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": f" {TOKEN} ",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "ARSHIF_DB": "/data/a.db",
            "ARSHIF_ADMINS": "1, 2",
            "ARSHIF_ALLOWED_USERS": "3 4,4",
            "ARSHIF_ALLOWED_CHATS": "-1001234567890",
            "ARSHIF_OPEN": "yes",
            "ARSHIF_RATE_LIMIT": "5",
            "ARSHIF_MAX_SUBSCRIPTIONS": "3",
            "ARSHIF_ALERT_INTERVAL": "2",
            "ARSHIF_FEED_INTERVAL": "0",
            "ARSHIF_WEBHOOK_URL": "https://bot.example.org/telegram",
            "ARSHIF_WEBHOOK_SECRET": "s3cret",
            "ARSHIF_LISTEN": "127.0.0.1",
            "ARSHIF_PORT": "9000",
            "ARSHIF_LOG_FORMAT": "JSON",
            "ARSHIF_LOG_LEVEL": "debug",
            "ARSHIF_LOG_MESSAGES": "on",
            "ARSHIF_MAX_UPLOAD_MB": "1.5",
        }
    )
    assert s.token == TOKEN
    assert s.api_file_url == "http://127.0.0.1:8081/file/bot"  # derived from the base URL
    assert s.db == Path("/data/a.db")
    assert (s.admins, s.allowed_users, s.allowed_chats) == ((1, 2), (3, 4), (-1001234567890,))
    assert s.open_mode is True
    assert (s.rate_limit, s.max_subscriptions, s.alert_interval, s.feed_interval) == (5, 3, 2, 0)
    assert s.webhook_mode and s.webhook_path == "telegram" and s.webhook_secret == "s3cret"
    assert (s.listen, s.port) == ("127.0.0.1", 9000)
    assert (s.log_format, s.log_level, s.debug_log_messages) == ("json", "DEBUG", True)
    assert s.max_upload_bytes == 1572864


def test_environment_wins_over_toml(tmp_path: Path) -> None:
    path = tmp_path / "arshif.toml"
    path.write_text('admins = [1, 2]\ndb = "from-file.db"\nport = 80\nopen = true\ntoken = "x"\n')
    env = {"ARSHIF_PORT": "9000", "TELEGRAM_BOT_TOKEN": TOKEN, "ARSHIF_DB": ""}
    s = load_settings(env, config_path=path)
    assert s.admins == (1, 2)  # file only
    assert s.open_mode is True  # file only
    assert s.port == 9000  # both: environment wins
    assert s.token == TOKEN
    assert s.db == Path("from-file.db")  # an empty variable counts as unset
    assert s.rate_limit == 20  # neither: default
    assert s.config_file == path
    assert s.origins["port"] == "environment" and s.origins["admins"] == "file"


def test_config_file_from_environment(tmp_path: Path) -> None:
    path = tmp_path / "arshif.toml"
    path.write_text('allowed_chats = "-100, -200"\n')
    assert load_settings({"ARSHIF_CONFIG": str(path)}).allowed_chats == (-100, -200)


def test_missing_or_broken_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ARSHIF_CONFIG: the configuration file .* does not exist"):
        load_settings({"ARSHIF_CONFIG": str(tmp_path / "nope.toml")})
    bad = tmp_path / "bad.toml"
    bad.write_text("admins = [1,\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({}, config_path=bad)


@pytest.mark.parametrize(
    ("name", "value", "needle"),
    [
        ("ARSHIF_ADMINS", "123,abc", "'abc' is not a numeric Telegram user id"),
        ("ARSHIF_ALLOWED_USERS", "@someone", "'@someone' is not a numeric"),
        ("ARSHIF_ALLOWED_USERS", "-100123", "put group ids in ARSHIF_ALLOWED_CHATS"),
        ("ARSHIF_ALLOWED_CHATS", "-100;x1", "'x1' is not a numeric Telegram chat id"),
        ("ARSHIF_PORT", "84a3", "'84a3' is not a whole number"),
        ("ARSHIF_OPEN", "maybe", "'maybe' is not yes or no"),
        ("ARSHIF_LOG_FORMAT", "xml", "'xml' is not a log format"),
        ("ARSHIF_LOG_LEVEL", "loud", "'loud' is not a log level"),
        ("ARSHIF_MAX_UPLOAD_MB", "big", "'big' is not a number of megabytes"),
    ],
)
def test_malformed_value_names_variable_value_and_fix(name: str, value: str, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value})
    text = str(caught.value)
    assert text.startswith(f"{name}: ")
    assert needle in text
    assert "Fix: " in text
    [problem] = caught.value.problems
    assert problem.level == "error" and problem.setting == name


def test_every_parse_error_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "arshif.toml"
    path.write_text('admins = ["me"]\n')
    with pytest.raises(ConfigError) as caught:
        load_settings({"ARSHIF_PORT": "x", "ARSHIF_RATE_LIMIT": "y"}, config_path=path)
    settings = [p.setting for p in caught.value.problems]
    assert settings == [f"admins in {path}", "ARSHIF_RATE_LIMIT", "ARSHIF_PORT"]
    assert "(default: 8443)" in str(caught.value)


def test_toml_types_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "arshif.toml"
    path.write_text("db = 5\nopen = 1\n")  # TOML integer 1 is not a boolean word
    with pytest.raises(ConfigError) as caught:
        load_settings({}, config_path=path)
    assert [p.setting.split()[0] for p in caught.value.problems] == ["db", "open"]


def test_with_db_and_overrides(good: Settings, tmp_path: Path) -> None:
    moved = good.with_db(tmp_path / "other.db")
    assert moved.db == tmp_path / "other.db" and moved.token == good.token
    assert good.with_db(None) == good
    hooked = good.with_overrides(webhook_url="https://a.example/x", port=None)
    assert hooked.webhook_url == "https://a.example/x" and hooked.port == good.port
    assert hooked.origins["webhook_url"] == "command line"


@pytest.mark.parametrize(
    "token",
    [TOKEN, "bot" + TOKEN, "1234567890:" + "a" * 46, "12:" + "b" * 20, "nocolon" * 6],
)
def test_masked_token_never_shows_the_secret(token: str) -> None:
    s = Settings(token=token)
    masked = s.masked_token
    secret = token.partition(":")[2] or token
    assert secret not in masked
    assert secret[2:-3] not in masked
    assert secret not in str(s.as_dict(mask=True))
    assert secret not in render_check(s, check_settings(s))


def test_masked_token_shape() -> None:
    assert Settings(token=TOKEN).masked_token == "123456789:AA…Z5s"
    assert Settings().masked_token == "(not set)"


def test_as_dict_masks_secrets_unless_asked(good: Settings) -> None:
    s = good.with_overrides(webhook_secret="hunter2")
    masked = s.as_dict()
    assert masked["token"] == s.masked_token and masked["webhook_secret"] == "(set)"
    assert masked["admins"] == [42] and masked["db"] == str(s.db)
    plain = s.as_dict(mask=False)
    assert plain["token"] == TOKEN and plain["webhook_secret"] == "hunter2"


def test_good_settings_have_no_problems(good: Settings) -> None:
    assert check_settings(good) == []
    assert render_check(good, []).splitlines()[-1] == "OK"


def test_missing_token(good: Settings) -> None:
    s = good.with_overrides(token="")
    problem = problems_for(s)["TELEGRAM_BOT_TOKEN"]
    assert problem.level == "error"
    assert problem.fix == "Create a bot with @BotFather (/newbot) and set TELEGRAM_BOT_TOKEN=<token>"
    assert "TELEGRAM_BOT_TOKEN" not in problems_for(s, need_token=False)


@pytest.mark.parametrize(
    ("token", "hint"),
    [
        ("123456789:short", "digits, a colon"),
        ("bot" + TOKEN, "remove the leading 'bot'"),
        (f'"{TOKEN}"', "remove the quotes"),
        (SECRET, "digits, a colon"),
    ],
)
def test_malformed_token(good: Settings, token: str, hint: str) -> None:
    problem = problems_for(good.with_overrides(token=token), need_token=False)["TELEGRAM_BOT_TOKEN"]
    assert problem.level == "error"
    assert hint in problem.fix


def test_malformed_token_is_only_a_warning_against_a_local_api(good: Settings) -> None:
    s = good.with_overrides(token="1:test", api_base_url="http://127.0.0.1:5555/bot")
    assert problems_for(s)["TELEGRAM_BOT_TOKEN"].level == "warning"


def test_api_base_url_must_be_http(good: Settings) -> None:
    s = good.with_overrides(api_base_url="ftp://example.org/bot")
    assert problems_for(s)["TELEGRAM_API_BASE_URL"].level == "error"
    s = good.with_overrides(api_base_url="http://example.org/bot", api_file_url="http://example.org/file/bot")
    assert problems_for(s)["TELEGRAM_API_BASE_URL"].level == "warning"  # token sent in clear


def test_db_under_a_regular_file(good: Settings, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    problem = problems_for(good.with_db(blocker / "sub" / "arshif.db"))["ARSHIF_DB"]
    assert problem.level == "error"
    assert f"{blocker} is a file" in problem.message


def test_db_folder_missing(good: Settings, tmp_path: Path) -> None:
    problem = problems_for(good.with_db(tmp_path / "missing" / "arshif.db"))["ARSHIF_DB"]
    assert "does not exist" in problem.message and "mkdir -p" in problem.fix


def test_db_is_a_folder(good: Settings, tmp_path: Path) -> None:
    assert "is a folder" in problems_for(good.with_db(tmp_path))["ARSHIF_DB"].message


def test_db_check_leaves_nothing_behind(good: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "other"
    folder.mkdir()
    existing = folder / "existing.db"
    existing.write_bytes(b"data")
    assert problems_for(good.with_db(folder / "arshif.db"))["ARSHIF_DB"].level == "warning"  # not there yet
    assert problems_for(good.with_db(existing))["ARSHIF_DB"].level == "error"  # not SQLite
    assert sorted(p.name for p in folder.iterdir()) == ["existing.db"]
    assert existing.read_bytes() == b"data"


def test_access_warnings(good: Settings) -> None:
    nobody = good.with_overrides(admins=())
    found = problems_for(nobody)
    assert found["ARSHIF_ADMINS"].level == "warning"
    assert "nobody can use the bot" in found["ARSHIF_ALLOWED_USERS"].message
    assert "ARSHIF_ALLOWED_USERS" not in problems_for(nobody.with_overrides(allowed_chats=(-100,)))
    public = nobody.with_overrides(open_mode=True)
    assert "ARSHIF_ALLOWED_USERS" not in problems_for(public)
    assert problems_for(public.with_overrides(allowed_users=(7,)))["ARSHIF_OPEN"].level == "warning"


@pytest.mark.parametrize(
    ("url", "level"),
    [
        ("http://bot.example.org/telegram", "error"),
        ("https://bot.example.org:9999/telegram", "error"),
        ("not a url", "error"),
        ("http://127.0.0.1:8443/telegram", "warning"),  # allowed, but Telegram cannot reach it
        ("https://bot.example.org:8443/telegram", None),
        ("https://bot.example.org/telegram", None),
    ],
)
def test_webhook_url(good: Settings, url: str, level: str | None) -> None:
    found = problems_for(good.with_overrides(webhook_url=url, webhook_secret="abc-DEF_1"))
    assert (found["ARSHIF_WEBHOOK_URL"].level if "ARSHIF_WEBHOOK_URL" in found else None) == level


def test_local_webhook_with_local_api_is_fine(good: Settings) -> None:
    s = good.with_overrides(
        api_base_url="http://localhost:8081/bot", webhook_url="http://localhost:8443/x", webhook_secret="abc"
    )
    assert check_settings(s) == []


def test_webhook_secret(good: Settings) -> None:
    hooked = good.with_overrides(webhook_url="https://bot.example.org/telegram")
    problem = problems_for(hooked)["ARSHIF_WEBHOOK_SECRET"]
    assert problem.level == "warning" and "random" in problem.message and "token_urlsafe" in problem.fix
    bad = problems_for(hooked.with_overrides(webhook_secret="has spaces!"))["ARSHIF_WEBHOOK_SECRET"]
    assert bad.level == "error"


@pytest.mark.parametrize(
    ("field", "value", "env"),
    [
        ("rate_limit", 0, "ARSHIF_RATE_LIMIT"),
        ("max_subscriptions", -1, "ARSHIF_MAX_SUBSCRIPTIONS"),
        ("alert_interval", 0, "ARSHIF_ALERT_INTERVAL"),
        ("feed_interval", -5, "ARSHIF_FEED_INTERVAL"),
        ("port", 0, "ARSHIF_PORT"),
        ("port", 70000, "ARSHIF_PORT"),
        ("max_upload_bytes", 0, "ARSHIF_MAX_UPLOAD_MB"),
    ],
)
def test_bad_numbers(good: Settings, field: str, value: int, env: str) -> None:
    assert problems_for(good.with_overrides(**{field: value}))[env].level == "error"


def test_feed_interval_zero_is_allowed(good: Settings) -> None:
    assert check_settings(good.with_overrides(feed_interval=0)) == []


def test_unknown_names_are_warned(tmp_path: Path) -> None:
    path = tmp_path / "arshif.toml"
    path.write_text("admin = [1]\n")
    s = load_settings({"ARSHIF_ADMIN": "1", "ARSHIF_CONFIG": str(path), "HOME": "/root"})
    unknown = {p.setting for p in check_settings(s) if "unknown" in p.message}
    assert unknown == {"ARSHIF_ADMIN", f"admin in {path}"}


def test_render_check(good: Settings) -> None:
    s = good.with_overrides(token="", admins=())
    problems = check_settings(s)
    text = render_check(s, problems)
    lines = text.splitlines()
    assert lines[0] == "Effective settings:"
    assert "(not set)  [command line]" in lines[1]
    assert "ERROR: TELEGRAM_BOT_TOKEN: no bot token" in text
    assert "  fix: Create a bot with @BotFather" in text
    assert text.index("ERROR") < text.index("WARNING")  # errors first
    assert lines[-1] == f"{len(problems)} problem(s)" == "3 problem(s)"


def test_render_check_shows_origin(tmp_path: Path) -> None:
    s = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "ARSHIF_DB": str(tmp_path / "a.db")})
    text = render_check(s, [])
    assert "123456789:AA…Z5s  [environment TELEGRAM_BOT_TOKEN]" in text
    assert SECRET not in text


def test_require_valid(good: Settings) -> None:
    assert require_valid(good) == []
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN: no bot token"):
        require_valid(good.with_overrides(token=""))


# --- a token pasted into the wrong setting is never echoed (issue 9 §5) --------------------------------


@pytest.mark.parametrize("name", ["ARSHIF_ADMINS", "ARSHIF_ALLOWED_USERS", "ARSHIF_ALLOWED_CHATS"])
def test_a_token_pasted_into_an_id_setting_is_not_echoed(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({name: f"11111111,{TOKEN}"})
    text = str(info.value)
    assert SECRET not in text and "123456789:" not in text
    assert text.startswith(f"{name}: one entry looks like a bot token or a secret (not shown), not a numeric ")
    assert "the token belongs in TELEGRAM_BOT_TOKEN only" in text


def test_the_configured_token_is_not_echoed_from_any_setting() -> None:
    odd = "local-api-token-of-any-shape"
    with pytest.raises(ConfigError) as info:
        load_settings({"TELEGRAM_BOT_TOKEN": odd, "ARSHIF_PORT": odd, "ARSHIF_OPEN": TOKEN})
    text = str(info.value)
    assert odd not in text and SECRET not in text
    assert "ARSHIF_PORT: '<redacted>' is not a whole number" in text
    assert "ARSHIF_OPEN: '<redacted>' is not yes or no" in text


def test_a_short_non_number_is_still_quoted_to_help() -> None:
    with pytest.raises(ConfigError, match="'abc' is not a numeric Telegram user id"):
        load_settings({"ARSHIF_ADMINS": "abc"})


def test_settings_give_the_log_filter_their_secrets() -> None:
    assert Settings(token=TOKEN, webhook_secret="hook-secret-1").secrets == (TOKEN, "hook-secret-1")
    assert Settings().secrets == ()


def test_check_reports_a_missing_archive(good: Settings, tmp_path: Path) -> None:
    db = tmp_path / "arhsif.db"
    problem = problems_for(good.with_db(db))["ARSHIF_DB"]
    assert (problem.level, problem.message) == ("warning", f"no archive at {db} yet")
    assert problem.fix.startswith("if you expected one, check the path")
    assert not db.exists()


@pytest.mark.parametrize("content, what", [(b"", "an empty file"),
                                           (b"2026-12-01 bot started\n", "not an SQLite database")])
def test_check_reports_a_file_that_is_not_an_archive(good: Settings, tmp_path: Path, content: bytes, what: str) -> None:
    log = tmp_path / "bot.log"
    log.write_bytes(content)
    problem = problems_for(good.with_db(log))["ARSHIF_DB"]
    assert (problem.level, problem.message) == ("error", f"{log} is {what}, not an archive")
    assert log.read_bytes() == content


def test_private_urls_setting_is_reported_while_on(good: Settings) -> None:
    assert "ARSHIF_ALLOW_PRIVATE_URLS" not in problems_for(good)
    on = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "ARSHIF_DB": str(good.db), "ARSHIF_ADMINS": "42",
                        "ARSHIF_ALLOW_PRIVATE_URLS": "1"})
    problem = problems_for(on)["ARSHIF_ALLOW_PRIVATE_URLS"]
    assert problem.level == "warning" and "private and loopback addresses" in problem.message


def test_ingest_limit_settings_reach_the_engine() -> None:
    s = load_settings({"ARSHIF_MAX_FILE_MB": "1.5", "ARSHIF_MAX_ARCHIVE_MB": "100", "ARSHIF_MAX_ARCHIVE_FILES": "7",
                       "ARSHIF_MAX_ARCHIVE_DEPTH": "1"})
    limits = s.ingest_limits()
    assert (limits.max_file_bytes, limits.max_archive_bytes, limits.max_archive_files, limits.max_archive_depth) == (
        1572864, 100 * 1024 * 1024, 7, 1)
    depth = problems_for(s.with_overrides(max_archive_depth=0), need_token=False)["ARSHIF_MAX_ARCHIVE_DEPTH"]
    assert depth.level == "error"
