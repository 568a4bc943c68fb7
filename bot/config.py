"""Configuration in one place: environment variables over an optional TOML file.

Every setting has one environment variable (the name operators see in ``.env``, the systemd
``EnvironmentFile`` and error messages) and one TOML key: the variable's lower-case name without
the ``ARSHIF_`` prefix (``ARSHIF_ADMINS`` → ``admins``; the Telegram ones are ``token``,
``api_base_url``, ``api_file_url``). The environment wins over the file; an empty variable counts
as unset, because compose and systemd files often carry ``NAME=`` placeholders.

Two layers of validation, so that ``arshif config check`` can report everything at once:

- ``load_settings`` raises ``ConfigError`` for values it cannot even parse (``ARSHIF_PORT=abc``,
  a user id that is not a number). The error carries every such ``Problem``, not just the first.
- ``check_settings`` returns ``Problem``s for values that parse but will not work (no token, a
  database folder that does not exist, an ``http://`` webhook, a port out of range, ...).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from arshif.index.ingest import IngestLimits

__all__ = [
    "DEFAULT_API_BASE_URL",
    "ConfigError",
    "Problem",
    "Settings",
    "check_settings",
    "load_settings",
    "render_check",
    "require_valid",
]

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
CONFIG_ENV = "ARSHIF_CONFIG"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
MEGABYTE = 1024 * 1024

# Telegram's documented token shape is "<bot id>:<35 characters>"; accept a little slack on both
# sides so a future longer id or secret is not rejected by us before Telegram gets to say so.
TOKEN_RE = re.compile(r"\d{5,12}:[A-Za-z0-9_-]{30,50}")
# setWebhook's secret_token: 1-256 characters, A-Z a-z 0-9 _ - only.
WEBHOOK_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
# setWebhook only accepts these ports (https://core.telegram.org/bots/api#setwebhook).
WEBHOOK_PORTS = (443, 80, 88, 8443)
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
BOTFATHER_FIX = "Create a bot with @BotFather (/newbot) and set TELEGRAM_BOT_TOKEN=<token>"
FIND_ID_FIX = "send any message to the bot: it replies to strangers with their numeric id"
SECRET_FIX = (
    "set ARSHIF_WEBHOOK_SECRET to 1-256 characters of A-Z a-z 0-9 _ -, for example the output of "
    "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
)


class ConfigError(Exception):
    """Raised by ``load_settings`` when a value cannot be parsed; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(p.describe() for p in self.problems))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration, with the change that fixes it."""

    level: Literal["error", "warning"]
    setting: str
    message: str
    fix: str

    def describe(self) -> str:
        """Returns the problem as one line: ``SETTING: message. Fix: fix``."""
        return f"{self.setting}: {self.message}. Fix: {self.fix}"


@dataclass(frozen=True)
class Settings:
    """The effective configuration. Build it with ``load_settings``; change it with ``with_overrides``."""

    token: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    api_file_url: str = "https://api.telegram.org/file/bot"
    db: Path = Path("arshif.db")
    admins: tuple[int, ...] = ()
    allowed_users: tuple[int, ...] = ()
    allowed_chats: tuple[int, ...] = ()
    open_mode: bool = False
    rate_limit: int = 20
    max_subscriptions: int = 20
    alert_interval: int = 10
    feed_interval: int = 600
    webhook_url: str | None = None
    webhook_secret: str | None = None
    listen: str = "0.0.0.0"
    port: int = 8443
    health_path: str = "/healthz"
    log_format: str = "text"
    log_level: str = "INFO"
    debug_log_messages: bool = False
    max_upload_bytes: int = 20 * MEGABYTE
    engine_processes: int = -1  # -1: one per core (max 4); 0: threads of the bot's own process
    allow_private_urls: bool = False  # /add and feeds may fetch private/loopback addresses (index.fetch)
    # What one ingested file or zip may expand to (index.ingest.IngestLimits), for uploads and the CLI.
    max_file_bytes: int = 64 * MEGABYTE
    max_archive_bytes: int = 1024 * MEGABYTE
    max_archive_files: int = 10_000
    max_archive_depth: int = 2
    # Where things came from, for `arshif config check`; not part of equality.
    config_file: Path | None = field(default=None, compare=False)
    origins: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)
    unknown_names: tuple[str, ...] = field(default=(), compare=False)

    @property
    def masked_token(self) -> str:
        """Returns the token safe to print: bot id, two characters, "…", last three ("123456:AA…xyz")."""
        if not self.token:
            return "(not set)"
        bot_id, colon, secret = self.token.partition(":")
        if not colon or not bot_id.isdigit():
            return f"… ({len(self.token)} characters, not a token)"
        if len(secret) < 20:  # too short to show any of it without showing most of it
            return f"{bot_id}:…"
        return f"{bot_id}:{secret[:2]}…{secret[-3:]}"

    @property
    def webhook_mode(self) -> bool:
        """True when the bot should receive updates by webhook instead of long polling."""
        return bool(self.webhook_url)

    @property
    def webhook_path(self) -> str:
        """Returns the URL path to listen on (``run_webhook(url_path=...)``), without the leading slash."""
        return urlsplit(self.webhook_url or "").path.lstrip("/")

    def ingest_limits(self) -> IngestLimits:
        """Returns the ingest limits these settings set (uploads to the bot and ``arshif ingest``)."""
        from arshif.index.ingest import IngestLimits

        return IngestLimits(max_file_bytes=self.max_file_bytes, max_archive_bytes=self.max_archive_bytes,
                            max_archive_files=self.max_archive_files, max_archive_depth=self.max_archive_depth)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Returns the values logs must never show (the token, the webhook secret), for the log filter."""
        return tuple(s for s in (self.token, self.webhook_secret) if s)

    def is_admin(self, user_id: int | None) -> bool:
        """True if the user may ingest and manage users."""
        return user_id is not None and user_id in self.admins

    def with_overrides(self, **values: Any) -> Settings:
        """Returns a copy with command-line values applied; ``None`` means "flag not given"."""
        given = {name: value for name, value in values.items() if value is not None}
        if "db" in given:
            given["db"] = Path(given["db"]).expanduser()
        origins = dict(self.origins) | {name: "command line" for name in given}
        return dataclasses.replace(self, **given, origins=origins)

    def with_db(self, path: str | Path | None) -> Settings:
        """Returns a copy using the ``--db`` path (the CLI flag beats ``ARSHIF_DB``)."""
        return self.with_overrides(db=path)

    def as_dict(self, mask: bool = True) -> dict[str, Any]:
        """Returns the settings as JSON-ready values; with ``mask`` the token and secret are hidden."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in ("origins", "unknown_names"):
                continue
            value = getattr(self, f.name)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        if mask:
            out["token"] = self.masked_token
            out["webhook_secret"] = "(set)" if self.webhook_secret else None
        return out


# ---------------------------------------------------------------------------------------------
# Loading


class _Bad(ValueError):
    """A value that cannot be parsed: the message and the fix, without the setting's name."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


def _as_text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise _Bad(f"expected text, got {value!r}", f'write it as a quoted string: {name} = "..."')
    return value.strip()


def _parse_str(value: object, name: str) -> str:
    return _as_text(value, name)


def _parse_path(value: object, name: str) -> Path:
    return Path(_as_text(value, name)).expanduser()


def _parse_int(value: object, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise _Bad(f"{value!r} is not a whole number", f"set {name} to digits only, or unset it")


def _parse_megabytes(value: object, name: str) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value * MEGABYTE)
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
        return int(float(value) * MEGABYTE)
    raise _Bad(f"{value!r} is not a number of megabytes", f"set {name} to a number, or unset it for 20 MB")


def _parse_bool(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise _Bad(f"{value!r} is not yes or no", f"set {name} to 1/true/yes/on or 0/false/no/off")


def _parse_log_format(value: object, name: str) -> str:
    text = _as_text(value, name).lower()
    if text not in LOG_FORMATS:
        raise _Bad(f"{value!r} is not a log format", f"set {name} to text or json")
    return text


def _parse_log_level(value: object, name: str) -> str:
    text = _as_text(value, name).upper()
    if text == "WARN":
        text = "WARNING"
    if text not in LOG_LEVELS:
        raise _Bad(f"{value!r} is not a log level", f"set {name} to one of {', '.join(LOG_LEVELS)}")
    return text


def _id_parser(kind: Literal["user", "chat"]) -> Callable[[object, str], tuple[int, ...]]:
    """Returns a parser for a list of Telegram ids: users are positive, group chats may be negative."""

    def parse(value: object, name: str) -> tuple[int, ...]:
        if isinstance(value, str):
            entries: list[object] = [e for e in re.split(r"[\s,;]+", value.strip()) if e]
        elif isinstance(value, list):
            entries = value
        else:
            entries = [value]
        ids: list[int] = []
        for entry in entries:
            text = str(entry).strip()
            if isinstance(entry, bool) or not re.fullmatch(r"-?\d+", text) or int(text) == 0:
                if _looks_secret(text):
                    raise _Bad(
                        f"one entry looks like a bot token or a secret (not shown), not a numeric {kind} id",
                        f"remove it: the token belongs in TELEGRAM_BOT_TOKEN only, and {name} lists "
                        f"numeric ids (to find yours, {FIND_ID_FIX})",
                    )
                raise _Bad(
                    f"{entry!r} is not a numeric Telegram {kind} id",
                    f"list numeric ids separated by commas, e.g. {name}=12345678,87654321 "
                    f"(to find yours, {FIND_ID_FIX})",
                )
            if kind == "user" and int(text) < 0:
                raise _Bad(
                    f"{text} is negative, which is a group or channel id, not a user id",
                    "put group ids in ARSHIF_ALLOWED_CHATS and only user ids here",
                )
            if int(text) not in ids:
                ids.append(int(text))
        return tuple(ids)

    return parse


def _looks_secret(text: str) -> bool:
    """True for a value that may be a token or secret pasted into the wrong setting: never echo it.

    Telegram tokens are ``<digits>:<secret>``; anything long without spaces may be another secret.
    """
    return ":" in text or (len(text) >= 16 and " " not in text)


@dataclass(frozen=True)
class _Spec:
    """How one setting is read: its field, environment variable and parser."""

    field: str
    env: str
    parse: Callable[[object, str], Any]
    toml_key: str = ""

    @property
    def key(self) -> str:
        """The TOML key: given, else the variable's lower-case name without ``ARSHIF_``."""
        return self.toml_key or self.env.removeprefix("ARSHIF_").lower()


SPECS = (
    _Spec("token", "TELEGRAM_BOT_TOKEN", _parse_str, "token"),
    _Spec("api_base_url", "TELEGRAM_API_BASE_URL", _parse_str, "api_base_url"),
    _Spec("api_file_url", "TELEGRAM_API_FILE_URL", _parse_str, "api_file_url"),
    _Spec("db", "ARSHIF_DB", _parse_path),
    _Spec("admins", "ARSHIF_ADMINS", _id_parser("user")),
    _Spec("allowed_users", "ARSHIF_ALLOWED_USERS", _id_parser("user")),
    _Spec("allowed_chats", "ARSHIF_ALLOWED_CHATS", _id_parser("chat")),
    _Spec("open_mode", "ARSHIF_OPEN", _parse_bool),
    _Spec("rate_limit", "ARSHIF_RATE_LIMIT", _parse_int),
    _Spec("max_subscriptions", "ARSHIF_MAX_SUBSCRIPTIONS", _parse_int),
    _Spec("alert_interval", "ARSHIF_ALERT_INTERVAL", _parse_int),
    _Spec("feed_interval", "ARSHIF_FEED_INTERVAL", _parse_int),
    _Spec("webhook_url", "ARSHIF_WEBHOOK_URL", _parse_str),
    _Spec("webhook_secret", "ARSHIF_WEBHOOK_SECRET", _parse_str),
    _Spec("listen", "ARSHIF_LISTEN", _parse_str),
    _Spec("port", "ARSHIF_PORT", _parse_int),
    _Spec("log_format", "ARSHIF_LOG_FORMAT", _parse_log_format),
    _Spec("log_level", "ARSHIF_LOG_LEVEL", _parse_log_level),
    _Spec("debug_log_messages", "ARSHIF_LOG_MESSAGES", _parse_bool),
    _Spec("max_upload_bytes", "ARSHIF_MAX_UPLOAD_MB", _parse_megabytes),
    _Spec("engine_processes", "ARSHIF_ENGINE_PROCESSES", _parse_int),
    _Spec("allow_private_urls", "ARSHIF_ALLOW_PRIVATE_URLS", _parse_bool),
    _Spec("max_file_bytes", "ARSHIF_MAX_FILE_MB", _parse_megabytes),
    _Spec("max_archive_bytes", "ARSHIF_MAX_ARCHIVE_MB", _parse_megabytes),
    _Spec("max_archive_files", "ARSHIF_MAX_ARCHIVE_FILES", _parse_int),
    _Spec("max_archive_depth", "ARSHIF_MAX_ARCHIVE_DEPTH", _parse_int),
)
ENV_NAMES = {spec.field: spec.env for spec in SPECS}
DEFAULTS = {f.name: f.default for f in dataclasses.fields(Settings)}
# Variables that are ours but not settings, so they are not reported as unknown.
OTHER_ENV = (CONFIG_ENV, "ARSHIF_CONFIDENCE_FILE")  # the latter: index.confidence reads it


def derive_file_url(api_base_url: str) -> str:
    """Returns the Bot API file URL matching a base URL: ``…/bot`` → ``…/file/bot`` (as Telegram's)."""
    at = api_base_url.rfind("/bot")
    return api_base_url if at < 0 else api_base_url[:at] + "/file" + api_base_url[at:]


def _read_toml(path: Path, named_by: str) -> dict[str, Any]:
    """Returns the TOML file's table; a missing or broken file is a ConfigError naming who asked for it."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        problem = Problem(
            "error",
            named_by,
            f"the configuration file {path} does not exist",
            f"create it, or unset {CONFIG_ENV} to use environment variables only",
        )
    except tomllib.TOMLDecodeError as exc:
        problem = Problem("error", str(path), f"not valid TOML ({exc})", "fix the line it names")
    except OSError as exc:
        problem = Problem(
            "error", str(path), f"cannot read the file ({exc.strerror})", "check its permissions"
        )
    raise ConfigError([problem])


def _without_secrets(problems: list[Problem], env: Mapping[str, str], file_values: Mapping[str, Any]) -> list[Problem]:
    """Returns the problems with the configured token and webhook secret (and any token-shaped text)
    replaced, so a secret pasted into another setting is not echoed by `config check` or an error."""
    from .logs import redact

    secrets = [str(source.get(key) or "") for source, key in (
        (env, "TELEGRAM_BOT_TOKEN"), (env, "ARSHIF_WEBHOOK_SECRET"), (file_values, "token"),
        (file_values, "webhook_secret"))]
    secrets = [s.strip() for s in secrets if s.strip()]
    return [dataclasses.replace(p, message=redact(p.message, secrets), fix=redact(p.fix, secrets)) for p in problems]


def load_settings(env: Mapping[str, str] | None = None, config_path: str | Path | None = None) -> Settings:
    """Returns the effective settings: environment over the TOML file over defaults.

    The file is ``config_path``, else ``$ARSHIF_CONFIG``, else none. Raises ``ConfigError``
    listing every value that cannot be parsed, each named by its variable (or file key).
    """
    env = os.environ if env is None else env
    file_values: dict[str, Any] = {}
    config_file: Path | None = None
    if config_path is None and env.get(CONFIG_ENV, "").strip():
        config_path, named_by = env[CONFIG_ENV].strip(), CONFIG_ENV
    else:
        named_by = "config file"
    if config_path is not None:
        config_file = Path(config_path).expanduser()
        file_values = _read_toml(config_file, named_by)

    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    problems: list[Problem] = []
    for spec in SPECS:
        raw_env = env.get(spec.env)
        if raw_env is not None and raw_env.strip():
            raw, name, origin = raw_env, spec.env, "environment"
        elif spec.key in file_values:
            raw, name, origin = file_values[spec.key], f"{spec.key} in {config_file}", "file"
        else:
            continue
        try:
            values[spec.field] = spec.parse(raw, spec.env if origin == "environment" else spec.key)
        except _Bad as bad:
            default = DEFAULTS[spec.field]
            shown = "none" if default in ((), "", None) else default
            fix = f"{bad.fix} (default: {shown})" if bad.fix.endswith("unset it") else bad.fix
            problems.append(Problem("error", name, bad.message, fix))
        else:
            origins[spec.field] = origin
    if problems:
        raise ConfigError(_without_secrets(problems, env, file_values))

    if "api_file_url" not in values and "api_base_url" in values:
        values["api_file_url"] = derive_file_url(values["api_base_url"])
        origins["api_file_url"] = "derived from TELEGRAM_API_BASE_URL"
    # Optional strings: an empty value means "not set".
    for name in ("webhook_url", "webhook_secret"):
        if name in values and not values[name]:
            values[name] = None

    known_keys = {spec.key for spec in SPECS}
    known_env = set(ENV_NAMES.values()) | set(OTHER_ENV)
    unknown = [f"{key} in {config_file}" for key in file_values if key not in known_keys]
    unknown += sorted(n for n in env if n.startswith("ARSHIF_") and n not in known_env)
    return Settings(**values, config_file=config_file, origins=origins, unknown_names=tuple(unknown))


# ---------------------------------------------------------------------------------------------
# Checking


def _is_local(url_host: str | None) -> bool:
    if not url_host:
        return False
    if url_host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(url_host).is_loopback
    except ValueError:
        return False


def _check_token(s: Settings, need_token: bool) -> list[Problem]:
    env = ENV_NAMES["token"]
    if not s.token:
        return [Problem("error", env, "no bot token", BOTFATHER_FIX)] if need_token else []
    if TOKEN_RE.fullmatch(s.token):
        return []
    hint = "it should look like 123456789:AAE… (digits, a colon, then about 35 letters, digits, _ or -)"
    if s.token.lower().startswith("bot"):
        hint = "remove the leading 'bot': that belongs to the URL, not the token"
    elif any(c in s.token for c in "\"' "):
        hint = "remove the quotes or spaces around it"
    # A local Bot API test server accepts any token; Telegram's own servers do not.
    local_api = _is_local(urlsplit(s.api_base_url).hostname)
    level: Literal["error", "warning"] = "warning" if local_api else "error"
    return [
        Problem(
            level,
            env,
            f"the token {s.masked_token} does not look like a bot token",
            f"{hint}; copy it again from @BotFather (/mybots → API Token)",
        )
    ]


def _check_api_urls(s: Settings) -> list[Problem]:
    problems: list[Problem] = []
    for name in ("api_base_url", "api_file_url"):
        url = urlsplit(getattr(s, name))
        env = ENV_NAMES[name]
        if url.scheme not in ("http", "https") or not url.hostname:
            problems.append(
                Problem(
                    "error",
                    env,
                    f"{getattr(s, name)!r} is not an http(s) URL",
                    f"unset {env} to use Telegram's servers, or give the full URL of "
                    "a local Bot API server, e.g. http://127.0.0.1:8081/bot",
                )
            )
        elif url.scheme == "http" and not _is_local(url.hostname):
            problems.append(
                Problem(
                    "warning",
                    env,
                    "plain http sends the bot token unencrypted",
                    "use https, or run the Bot API server on this machine",
                )
            )
    return problems


def _check_db(s: Settings) -> list[Problem]:
    """Tries to open the database and create a file beside it (SQLite needs -wal/-shm), leaving nothing."""
    env = ENV_NAMES["db"]
    db = s.db
    if str(db) == ":memory:" or str(db).startswith("file:"):
        return []
    folder = db.parent if str(db.parent) else Path(".")
    if db.is_dir():
        return [
            Problem(
                "error",
                env,
                f"{db} is a folder, not a database file",
                f"point {env} at a file inside it, e.g. {db / 'arshif.db'}",
            )
        ]
    if not folder.is_dir():
        blocker = next((p for p in [folder, *folder.parents] if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            return [
                Problem(
                    "error",
                    env,
                    f"{blocker} is a file, so {db} cannot be created under it",
                    f"set {env} to a path in a folder, e.g. /var/lib/arshif/arshif.db",
                )
            ]
        return [
            Problem(
                "error",
                env,
                f"the folder {folder} does not exist",
                f"create it (mkdir -p {folder}) or set {env} to a path in an existing folder",
            )
        ]
    try:
        if db.exists():
            with db.open("r+b"):  # opened for writing, never written
                pass
        # Deleted on close: nothing is left behind.
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".arshif-check-"):
            pass
    except OSError as exc:
        target = db if isinstance(exc, PermissionError) and db.exists() else folder
        return [
            Problem(
                "error",
                env,
                f"cannot write to {target} ({exc.strerror or exc})",
                f"give the bot's user write access to {folder} (the database and its -wal/-shm "
                f"files live there) or set {env} elsewhere",
            )
        ]
    return _check_archive(db, env)


SQLITE_HEADER = b"SQLite format 3\x00"


def _check_archive(db: Path, env: str) -> list[Problem]:
    """Returns a problem when there is no archive at the path yet, or the file there is not SQLite.

    Reads the 16-byte header only: nothing is opened through SQLite, so nothing is created.
    """
    if not db.exists():
        return [
            Problem(
                "warning",
                env,
                f"no archive at {db} yet",
                "if you expected one, check the path; otherwise `arshif serve` starts with an empty one "
                "and `arshif ingest` (or `arshif demo`) fills it",
            )
        ]
    try:
        with db.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        return [Problem("error", env, f"cannot read {db} ({exc.strerror or exc})", "check its permissions")]
    if header != SQLITE_HEADER:
        what = "an empty file" if not header else "not an SQLite database"
        return [Problem("error", env, f"{db} is {what}, not an archive", f"point {env} at the archive's database file")]
    return []


def _check_access(s: Settings) -> list[Problem]:
    problems: list[Problem] = []
    if not s.admins:
        problems.append(
            Problem(
                "warning",
                "ARSHIF_ADMINS",
                "no admins: nobody can ingest or manage users from Telegram",
                f"set ARSHIF_ADMINS to your user id ({FIND_ID_FIX})",
            )
        )
    allowlist = s.allowed_users or s.allowed_chats
    if not s.open_mode and not (allowlist or s.admins):
        problems.append(
            Problem(
                "warning",
                "ARSHIF_ALLOWED_USERS",
                "no allowed users, chats or admins and not open: nobody can use the bot",
                "list ids in ARSHIF_ALLOWED_USERS / ARSHIF_ALLOWED_CHATS / ARSHIF_ADMINS, "
                "or set ARSHIF_OPEN=1 for a public bot",
            )
        )
    if s.open_mode and allowlist:
        problems.append(
            Problem(
                "warning",
                "ARSHIF_OPEN",
                "open mode lets everyone in, so the allowed users/chats lists are unused",
                "unset ARSHIF_OPEN to restrict the bot, or empty the allowlists",
            )
        )
    return problems


def _check_webhook(s: Settings) -> list[Problem]:
    problems: list[Problem] = []
    env = ENV_NAMES["webhook_url"]
    if s.webhook_url:
        url = urlsplit(s.webhook_url)
        local = _is_local(url.hostname)
        try:
            port = url.port
        except ValueError:
            port = -1
        if url.scheme not in ("http", "https") or not url.hostname:
            problems.append(
                Problem(
                    "error",
                    env,
                    f"{s.webhook_url!r} is not a URL",
                    f"set {env} to the public https URL, e.g. https://bot.example.org/telegram",
                )
            )
        elif url.scheme != "https" and not local:
            problems.append(
                Problem(
                    "error",
                    env,
                    "Telegram only delivers webhooks over https",
                    f"put a TLS proxy (nginx, Caddy) in front and set {env}=https://...",
                )
            )
        elif not local and port is not None and port not in WEBHOOK_PORTS:
            problems.append(
                Problem(
                    "error",
                    env,
                    f"Telegram cannot deliver to port {port}",
                    "use one of 443, 80, 88 or 8443 in the public URL (the bot itself "
                    "may listen on any ARSHIF_PORT behind the proxy)",
                )
            )
        elif local and not _is_local(urlsplit(s.api_base_url).hostname):
            problems.append(
                Problem(
                    "warning",
                    env,
                    "Telegram's servers cannot reach a localhost webhook",
                    "use the public https URL of your proxy, or unset it to use polling",
                )
            )
        if not s.webhook_secret:
            problems.append(
                Problem(
                    "warning",
                    "ARSHIF_WEBHOOK_SECRET",
                    "no webhook secret: a random one is generated at each start",
                    f"{SECRET_FIX}, so it stays the same across restarts",
                )
            )
    if s.webhook_secret and not WEBHOOK_SECRET_RE.fullmatch(s.webhook_secret):
        problems.append(Problem("error", "ARSHIF_WEBHOOK_SECRET", "Telegram rejects this secret", SECRET_FIX))
    if s.webhook_secret and not s.webhook_url:
        problems.append(
            Problem(
                "warning",
                "ARSHIF_WEBHOOK_SECRET",
                "set but unused: without ARSHIF_WEBHOOK_URL the bot uses polling",
                "set ARSHIF_WEBHOOK_URL too, or remove the secret",
            )
        )
    return problems


def _check_numbers(s: Settings) -> list[Problem]:
    """Returns problems for numbers that parse but make no sense."""
    # (field, lowest allowed, what it means)
    floors = (
        ("rate_limit", 1, "requests per user per minute"),
        ("max_subscriptions", 1, "subscriptions per user"),
        ("alert_interval", 1, "seconds between alert runs"),
        ("feed_interval", 0, "seconds between feed polls (0 turns polling off)"),
        ("port", 1, "TCP port"),
        ("max_upload_bytes", 1, "upload size"),
        ("engine_processes", -1, "engine processes (-1 one per core, 0 threads)"),
        ("max_file_bytes", 1, "the size of one ingested file"),
        ("max_archive_bytes", 1, "what one zip may expand to"),
        ("max_archive_files", 1, "files in one zip"),
        ("max_archive_depth", 1, "zip nesting depth (1: no zip inside a zip)"),
    )
    problems = [
        Problem(
            "error",
            ENV_NAMES[name],
            f"{getattr(s, name)} is too small for {meaning}",
            f"set {ENV_NAMES[name]} to {low} or more, or unset it for the default",
        )
        for name, low, meaning in floors
        if getattr(s, name) < low
    ]
    if s.port > 65535:
        problems.append(
            Problem(
                "error",
                "ARSHIF_PORT",
                f"{s.port} is not a TCP port",
                "set ARSHIF_PORT between 1 and 65535 (default 8443)",
            )
        )
    if 0 < s.feed_interval < 60:
        problems.append(
            Problem(
                "warning",
                "ARSHIF_FEED_INTERVAL",
                f"polling feeds every {s.feed_interval}s may get the bot blocked by sites",
                "use 300 seconds or more (0 turns polling off)",
            )
        )
    if s.allow_private_urls:
        problems.append(
            Problem(
                "warning",
                "ARSHIF_ALLOW_PRIVATE_URLS",
                "on: /add and feeds may fetch private and loopback addresses (this server's own network)",
                "unset it unless the bot must read pages or feeds on an intranet",
            )
        )
    if s.max_upload_bytes > 20 * MEGABYTE and s.api_base_url == DEFAULT_API_BASE_URL:
        problems.append(
            Problem(
                "warning",
                "ARSHIF_MAX_UPLOAD_MB",
                "Telegram's cloud Bot API lets bots download at most 20 MB",
                "lower it to 20, or run a local Bot API server (TELEGRAM_API_BASE_URL)",
            )
        )
    return problems


def check_settings(settings: Settings, *, need_token: bool = True) -> list[Problem]:
    """Returns every problem found, errors first.

    ``need_token=False`` is for commands that never call Telegram (ingest, search, backup).
    """
    problems = [
        *_check_token(settings, need_token),
        *_check_api_urls(settings),
        *_check_db(settings),
        *_check_access(settings),
        *_check_webhook(settings),
        *_check_numbers(settings),
        *(
            Problem(
                "warning", name, "unknown setting, ignored", "check the spelling against deploy/.env.example"
            )
            for name in settings.unknown_names
        ),
    ]
    return sorted(problems, key=lambda p: p.level != "error")


def require_valid(settings: Settings, *, need_token: bool = True) -> list[Problem]:
    """Returns the warnings; raises ``ConfigError`` if there is any error (for ``serve`` before it starts)."""
    problems = check_settings(settings, need_token=need_token)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise ConfigError(errors)
    for warning in problems:
        logging.getLogger(__name__).warning("configuration: %s", warning.describe())
    return problems


def render_check(settings: Settings, problems: list[Problem]) -> str:
    """Returns the text of ``arshif config check``: effective settings (masked), then each problem and fix."""
    values = settings.as_dict(mask=True)
    width = max(len(name) for name in values)
    lines = ["Effective settings:"]
    for name, value in values.items():
        if isinstance(value, list):
            shown = ", ".join(map(str, value)) or "(none)"
        else:
            shown = "(not set)" if value is None else value
        origin = settings.origins.get(name, "default" if name != "config_file" else "")
        env = ENV_NAMES.get(name, "")
        note = f"  [{origin}{' ' + env if env and origin == 'environment' else ''}]" if origin else ""
        lines.append(f"  {name:<{width}}  {shown}{note}")
    if problems:
        lines.append("")
    for p in problems:
        lines.append(f"{p.level.upper()}: {p.setting}: {p.message}")
        lines.append(f"  fix: {p.fix}")
    lines.append("")
    lines.append(f"{len(problems)} problem(s)" if problems else "OK")
    return "\n".join(lines)
