"""Operations as an operator meets them: backups during ingest, restore, upgrades, config, health, logs.

Each test follows deploy/README.md: the backup and restore steps are run as written there, and the
upgrade promise ("schema migrations run by themselves, tested from every earlier schema version")
is checked from every version in index/migrations.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from arshif.bot.cli import main
from arshif.bot.logs import configure_logging
from arshif.index import qa, search, store
from arshif.index.errors import ArchiveError
from arshif.index.ingest import ingest_paths
from click.testing import CliRunner, Result

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "index" / "samples"
README = REPO / "deploy" / "README.md"
TOKEN = "123456789:AAHfakeTokenThatMustNeverBeLogged_0123"
TOWNS = ("Zephyrvale", "Quorwick", "Lumbridge", "Halvermoor")


def cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs every test without the caller's ARSHIF_* / TELEGRAM_* settings."""
    for name in list(os.environ):
        if name.startswith(("ARSHIF_", "TELEGRAM_")):
            monkeypatch.delenv(name)


def write_articles(folder: Path, count: int) -> Path:
    """Writes ``count`` small fictional articles (Markdown with front matter) and returns the folder."""
    folder.mkdir(parents=True)
    for i in range(count):
        town = TOWNS[i % len(TOWNS)]
        (folder / f"bridge-{i:03d}.md").write_text(
            f"---\ntitle: {town} council opens footbridge number {i}\ndate: 2023-{i % 12 + 1:02d}-{i % 28 + 1:02d}\n"
            f"source: fiction-wire\nurl: https://example.org/ops/{i}\n---\n"
            f"The fictional town of {town} opened footbridge number {i} on Monday, the council said. Mayor "
            f"Ilsa Brandt said the bridge cost {i + 3} million crowns and links the old market to the river park.\n\n"
            f"Engineers from Nordhaven Works finished it {i % 9 + 2} weeks early. "
            f"قال رئيس البلدية إن الجسر رقم {i} يخدم آلاف السكان.\n",
            encoding="utf-8",
        )
    return folder


def check_consistent(path: Path) -> int:
    """Asserts the database file is whole (every article indexed, with passages); returns its article count."""
    conn = sqlite3.connect(path)
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    try:
        assert one("PRAGMA integrity_check") == "ok"
        articles = one("SELECT count(*) FROM articles")
        assert one("SELECT count(*) FROM articles_fts_docsize") == articles
        assert one("SELECT count(*) FROM articles a WHERE NOT EXISTS "
                   "(SELECT 1 FROM articles_fts_docsize d WHERE d.id = a.id)") == 0
        assert one("SELECT count(*) FROM articles a WHERE NOT EXISTS "
                   "(SELECT 1 FROM passages p WHERE p.article_id = a.id)") == 0
        assert one("SELECT count(*) FROM passages p WHERE NOT EXISTS "
                   "(SELECT 1 FROM articles a WHERE a.id = p.article_id)") == 0
        conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 0)")
        zephyrvale = one("SELECT count(*) FROM articles WHERE title LIKE 'Zephyrvale %'")
    finally:
        conn.close()
    archive = store.connect(path)
    try:
        assert search.run(archive, "Zephyrvale footbridge", limit=1).total == zephyrvale
    finally:
        archive.close()
    return articles


# --- (a) backup while another process ingests, and restore --------------------------------------

ARTICLES = 200
BATCH = 10
# `arshif ingest` in a process of its own. Its batch (256 articles) would make 200 articles one
# commit, and ingest is fast, so a backup could only see "nothing" or "everything". Small batches
# with a pause after each commit make the archive half-ingested for long enough to back it up.
INGEST = f"""
import time
import arshif.index.ingest, arshif.index.store
arshif.index.ingest.BATCH = {BATCH}
insert = arshif.index.store.insert_articles
def insert_then_pause(conn, docs):
    ids = insert(conn, docs)
    time.sleep(0.04)
    return ids
arshif.index.store.insert_articles = insert_then_pause
from arshif.bot.cli import main
main()
"""
# A bot killed mid-write (kill -9, power loss): its -wal file is left beside the database.
CRASH = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("INSERT INTO users (user_id, status) VALUES (4242, 'allowed')")
os._exit(0)
"""


def restore_steps(db: Path, backup: Path) -> list[str]:
    """Returns deploy/README.md's restore commands (systemd and Docker) for files at these paths."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"\*\*Restore\*\*.*?```sh\n(.*?)```", text, re.S)
    assert block, "deploy/README.md has no restore block"
    systemd = block.group(1).split("# systemd", 1)[1].split("\n\n", 1)[0].strip().splitlines()
    commands = []
    for line in systemd:
        if "systemctl" in line:  # stopping and starting the bot: here, nothing else has the file open
            continue
        line = line.replace("sudo ", "").replace("-o arshif -g arshif ", "")  # no root in tests
        commands.append(line.replace("/var/lib/arshif/arshif.db", str(db)).replace(" backup.db ", f" {backup} "))
    docker = re.search(r"sh -c '([^']+)'", block.group(1))
    assert docker, "deploy/README.md has no Docker restore command"
    commands.append(docker.group(1).replace("/restore.db", str(backup)).replace("/data/arshif.db", str(db)))
    return commands


def test_backup_while_another_process_ingests_restores_consistently(tmp_path: Path) -> None:
    folder = write_articles(tmp_path / "incoming", ARTICLES)
    db = tmp_path / "live" / "arshif.db"
    db.parent.mkdir()
    store.connect(db).close()  # the bot's database exists before the ingest starts
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", INGEST, "ingest", str(folder), "--db", str(db), "--workers", "1", "--json"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    backups: list[tuple[Path, bool]] = []  # (file, the ingest was running from start to end of the backup)
    try:
        watcher = store.connect(db)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if store.count_articles(watcher) == 0:
                time.sleep(0.005)
                continue
            dest = tmp_path / f"backup-{len(backups)}.db"
            running = proc.poll() is None
            result = cli("backup", str(dest), "--db", str(db))
            assert result.exit_code == 0, result.output
            backups.append((dest, running and proc.poll() is None))
            time.sleep(0.03)
        # The engine's own call too, copying a few pages per step, so writes land mid-copy (SQLite restarts it).
        small_steps = tmp_path / "backup-small-steps.db"
        store.backup(watcher, small_steps, pages=2)
        watcher.close()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert json.loads(out)["added"] == ARTICLES

    for path, _ in backups:  # each backup is one self-contained file, ready to copy elsewhere
        assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
    during = [path for path, running in backups if running]
    counts = {path: check_consistent(path) for path, _ in backups}
    assert len(during) >= 2, f"only {len(during)} backup(s) overlapped the ingest"
    partial = [path for path in during if 0 < counts[path] < ARTICLES]
    assert partial, counts
    # Each batch is one transaction: a backup holds whole batches, never half of one.
    assert all(n % BATCH == 0 for n in counts.values()), counts
    assert check_consistent(small_steps) in (*counts.values(), ARTICLES)
    assert check_consistent(db) == ARTICLES

    # Restore a half-ingested backup over a database whose bot was killed, as the README says.
    chosen = partial[0]
    subprocess.run([sys.executable, "-c", CRASH, str(db)], check=True)
    assert Path(f"{db}-wal").stat().st_size > 0  # the stale journal the restore must remove
    for command in restore_steps(db, chosen):
        subprocess.run(["sh", "-c", command], check=True, cwd=tmp_path)
    assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()
    assert check_consistent(db) == counts[chosen]
    conn = store.connect(db)
    assert store.get_user(conn, 4242) is None  # nothing of the old journal came back
    conn.close()
    result = cli("health", "--db", str(db))
    assert (result.exit_code, result.output) == (0, "ok\n")


# --- (b) upgrades: every earlier schema migrates with nothing lost ----------------------------------

VERSIONS = [version for version, _ in store.MIGRATIONS]
SEARCHES = ["اتفاقية", "الربط الكهربائي", '"مليون دولار" -يورو', "energy minister", "وزير since:2024"]
QUESTIONS = ["من وقع اتفاقية الربط الكهربائي؟", "How big is the AI fund?"]


def _tables(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Returns each plain table's columns (FTS5 virtual tables and their shadow tables left out)."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    virtual = [name for name, sql in rows if sql and sql.upper().startswith("CREATE VIRTUAL TABLE")]
    plain = [name for name, _ in rows
             if name not in virtual and not any(name.startswith(f"{v}_") for v in virtual)]
    return {name: [c[1] for c in conn.execute(f'PRAGMA table_info("{name}")')] for name in sorted(plain)}


def _snapshot(conn: sqlite3.Connection, tables: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Returns every row of the given tables (only the given columns), in a stable order."""
    out = {}
    for name, columns in tables.items():
        cols = ", ".join(f'"{c}"' for c in columns)
        rows = [tuple(r) for r in conn.execute(f'SELECT {cols} FROM "{name}"')]
        out[name] = sorted(rows, key=repr)
    return out


def _fill(conn: sqlite3.Connection) -> None:
    """Adds articles (by ingest) and bot state (with SQL valid since schema 1) to a database."""
    summary = ingest_paths(conn, [SAMPLES], workers=1)
    assert summary.added > 20 and not summary.failed
    tables = _tables(conn)
    conn.executescript("""
        INSERT INTO users (user_id, status, added_by) VALUES (1001, 'allowed', 900), (1002, 'denied', 900);
        INSERT INTO users (user_id, status, blocked) VALUES (1003, 'allowed', 1);
        INSERT INTO chat_context (chat_id, article_ids, question) VALUES (1001, '[3, 1]', 'من وقع؟');
        INSERT INTO subscriptions (user_id, chat_id, query, last_seen) VALUES (1001, 1001, 'الطاقة', 5);
        INSERT INTO subscriptions (user_id, chat_id, query, paused) VALUES (1003, 1003, 'energy', 'blocked');
        INSERT INTO deliveries (subscription_id, article_id, status, sent_at)
            VALUES (1, 1, 'sent', '2024-03-14T10:00:00Z'), (1, 2, 'pending', NULL);
        INSERT INTO feeds (url, title, failures, last_error)
            VALUES ('https://example.org/rss', 'Example', 2, 'timeout');
        INSERT INTO feed_entries (feed_id, entry_key, article_id) VALUES (1, 'guid-1', 4);
    """)
    if "bot_queries" in tables:
        conn.execute("INSERT INTO bot_queries (chat_id, query, exclude_id) VALUES (1001, 'energy', 2)")
    if "alerted_articles" in tables:
        conn.execute("INSERT INTO alerted_articles (article_id, first_at) VALUES (1, '2024-03-14T10:00:00Z')")


def _answers(conn: sqlite3.Connection) -> list[object]:
    """Returns what users would see from the searches and questions (ids, scores, excerpts, answers)."""
    out: list[object] = []
    for query in SEARCHES:
        result = search.run(conn, query, limit=20)
        out.append((result.total, [(h.article_id, round(h.score, 6), h.excerpt) for h in result.results]))
    for question in QUESTIONS:
        answer = qa.answer_question(conn, question)
        out.append((answer.answer, [s.article_id for s in answer.sources]))
    return out


@pytest.fixture(scope="module")
def current_answers(tmp_path_factory: pytest.TempPathFactory) -> list[object]:
    """The answers of a database created at the current schema with the same data."""
    conn = store.connect(tmp_path_factory.mktemp("fresh") / "fresh.db")
    _fill(conn)
    answers = _answers(conn)
    conn.close()
    return answers


@pytest.mark.parametrize("version", VERSIONS)
def test_migration_from_every_schema_version_keeps_everything(version: int, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             current_answers: list[object]) -> None:
    path = tmp_path / f"schema-{version}.db"
    with monkeypatch.context() as old_code:  # the store as it was at that version: migrations up to it
        old_code.setattr(store._schema, "MIGRATIONS", [m for m in store.MIGRATIONS if m[0] <= version])
        old_code.setattr(store._schema, "SCHEMA_VERSION", version)
        conn = store.connect(path)
        assert store.schema_version(conn) == version
        _fill(conn)
        tables = _tables(conn)
        before = _snapshot(conn, tables)
        docsize = conn.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()[0]
        conn.close()

    conn = store.connect(path)  # today's code: migrates by itself
    assert store.schema_version(conn) == store.SCHEMA_VERSION
    assert set(tables) <= set(_tables(conn)), "a table disappeared"
    assert _snapshot(conn, tables) == before  # same rows, same texts, same ids, same sequences
    assert conn.execute("SELECT count(*) FROM articles_fts_docsize").fetchone()[0] == docsize
    assert _answers(conn) == current_answers
    assert store.integrity_ok(conn)
    conn.close()
    again = store.connect(path)  # opening a migrated database changes nothing
    assert store.schema_version(again) == store.SCHEMA_VERSION and _snapshot(again, tables) == before
    again.close()
    result = cli("stats", "--json", "--db", str(path))
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert (figures["schema_version"], figures["subscriptions"], figures["feeds_failing"]) == (
        store.SCHEMA_VERSION, 2, 1)


def test_a_newer_database_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = store.connect(path)
    conn.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ArchiveError, match=rf"made by a newer arshif \(schema {store.SCHEMA_VERSION + 1};"):
        store.connect(path)
    result = cli("search", "x", "--db", str(path))  # one sentence, never a traceback
    assert result.exit_code != 0
    assert "made by a newer arshif" in result.output and "Traceback" not in result.output


# --- (c) config check ---------------------------------------------------------------------------


def config_check(tmp_path: Path, **env: str) -> Result:
    values = {"TELEGRAM_BOT_TOKEN": TOKEN, "ARSHIF_ADMINS": "11111111", "ARSHIF_DB": str(tmp_path / "a.db")}
    values.update(env)
    if "ARSHIF_DB" not in env:
        store.connect(tmp_path / "a.db").close()  # the archive exists: `serve` or `ingest` ran before
    return cli("config", "check", env={k: v for k, v in values.items() if v is not None})


def test_config_check_passes_a_good_configuration(tmp_path: Path) -> None:
    result = config_check(tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("OK")
    assert "123456789:AA…123" in result.output and TOKEN not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.db"]  # checking creates nothing


def test_config_check_reports_a_missing_archive_and_creates_nothing(tmp_path: Path) -> None:
    result = config_check(tmp_path, ARSHIF_DB=str(tmp_path / "arhsif.db"))
    assert result.exit_code == 0, result.output  # a warning: `arshif serve` would start an empty one
    assert (f"WARNING: ARSHIF_DB: no archive at {tmp_path / 'arhsif.db'} yet\n"
            "  fix: if you expected one, check the path; otherwise `arshif serve` starts with an empty one and "
            "`arshif ingest` (or `arshif demo`) fills it\n") in result.output
    assert result.output.rstrip().endswith("1 problem(s)")
    assert list(tmp_path.iterdir()) == []


def test_config_check_never_echoes_a_token_pasted_into_an_id_setting(tmp_path: Path) -> None:
    result = config_check(tmp_path, ARSHIF_ADMINS=f"11111111,{TOKEN}")
    assert result.exit_code == 1
    assert TOKEN.split(":")[1] not in result.output and "123456789:" not in result.output
    assert result.stderr.startswith("ARSHIF_ADMINS: one entry looks like a bot token or a secret (not shown)")


def test_config_check_catches_a_missing_token(tmp_path: Path) -> None:
    result = config_check(tmp_path, TELEGRAM_BOT_TOKEN="")
    assert result.exit_code == 1
    assert "ERROR: TELEGRAM_BOT_TOKEN: no bot token\n" in result.output
    assert "  fix: Create a bot with @BotFather (/newbot) and set TELEGRAM_BOT_TOKEN=<token>\n" in result.output
    assert result.output.rstrip().endswith("1 problem(s)")


def test_config_check_catches_a_malformed_allowlist(tmp_path: Path) -> None:
    result = config_check(tmp_path, ARSHIF_ADMINS="12,abc")
    assert result.exit_code == 1
    assert result.stdout == ""  # nothing half-checked is printed
    assert result.stderr.startswith("ARSHIF_ADMINS: 'abc' is not a numeric Telegram user id. Fix: list numeric "
                                    "ids separated by commas, e.g. ARSHIF_ADMINS=12345678,87654321")
    assert "Traceback" not in result.output


def test_config_check_catches_an_unwritable_database_path(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a regular file")
    result = config_check(tmp_path, ARSHIF_DB=str(blocker / "arshif.db"))
    assert result.exit_code == 1
    assert (f"ERROR: ARSHIF_DB: {blocker} is a file, so {blocker / 'arshif.db'} cannot be created under it\n"
            "  fix: set ARSHIF_DB to a path in a folder, e.g. /var/lib/arshif/arshif.db\n") in result.output
    # --db wins over ARSHIF_DB and is checked the same way.
    result = cli("config", "check", "--db", str(blocker / "x.db"), env={"TELEGRAM_BOT_TOKEN": TOKEN})
    assert result.exit_code == 1 and f"{blocker} is a file" in result.output


# --- (d) health ----------------------------------------------------------------------------------


def test_health_of_a_good_database(tmp_path: Path) -> None:
    db = tmp_path / "good.db"
    ingest_paths(store.connect(db), [SAMPLES], workers=1)
    result = cli("health", "--db", str(db))
    assert (result.exit_code, result.output) == (0, "ok\n")


def test_health_of_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    db = tmp_path / "garbage.db"
    db.write_bytes(os.urandom(8192))
    result = cli("health", "--db", str(db))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: The database cannot be used: file is not a database.\n"


def test_health_leaves_a_log_file_as_it_was(tmp_path: Path) -> None:
    for content in (b"", b"2026-12-01 22:40:01 INFO bot started\n"):
        log = tmp_path / "bot.log"  # ARSHIF_DB pointed at the log by mistake
        log.write_bytes(content)
        result = cli("health", "--db", str(log))
        assert result.exit_code == 1
        assert result.stderr in (f"Error: {log} is an empty file, not an archive; check --db or $ARSHIF_DB\n",
                                 "Error: The database cannot be used: file is not a database.\n")
        assert log.read_bytes() == content  # never turned into an SQLite file
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bot.log"]


def test_health_when_the_webhook_endpoint_does_not_answer(tmp_path: Path) -> None:
    db = tmp_path / "good.db"
    store.connect(db).close()
    import socket

    with socket.socket() as s:  # a port nobody listens on (bound, never listening)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        result = cli("health", "--db", str(db), env={"ARSHIF_WEBHOOK_URL": "https://bot.example.org/telegram",
                                                      "ARSHIF_LISTEN": "127.0.0.1", "ARSHIF_PORT": str(port)})
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: The bot's health endpoint http://127.0.0.1:{port}/healthz did not answer")
    assert result.stderr.count("\n") == 1


def test_health_with_a_broken_configuration(tmp_path: Path) -> None:
    db = tmp_path / "good.db"
    store.connect(db).close()
    result = cli("health", "--db", str(db), env={"ARSHIF_PORT": "eighty"})
    assert result.exit_code == 1
    assert result.stderr == ("Error: The configuration has errors; run `arshif config check`. ARSHIF_PORT: "
                             "'eighty' is not a whole number. Fix: set ARSHIF_PORT to digits only, or unset it "
                             "(default: 8443)\n")


# --- (e) the token never reaches the logs -----------------------------------------------------


def test_json_logs_redact_the_token_in_httpx_urls(restore_logging: None) -> None:
    stream = io.StringIO()
    configure_logging("json", "DEBUG", stream=stream)
    logging.getLogger("httpx").setLevel(logging.INFO)  # as if someone turned the noisy library back up
    url = httpx.URL(f"https://api.telegram.org/bot{TOKEN}/getUpdates")
    logging.getLogger("httpx").info('HTTP Request: %s %s "%s"', "POST", url, "HTTP/1.1 200 OK")
    try:
        raise httpx.ConnectError(f"cannot reach {url}")
    except httpx.ConnectError:
        logging.getLogger("telegram.ext.Updater").warning("polling failed", exc_info=True)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [entry["logger"] for entry in lines] == ["httpx", "telegram.ext.Updater"]
    redacted_url = "https://api.telegram.org/bot<redacted>/getUpdates"
    assert lines[0]["message"] == f'HTTP Request: POST {redacted_url} "HTTP/1.1 200 OK"'
    assert "bot<redacted>/getUpdates" in lines[1]["exc_info"]
    assert TOKEN not in stream.getvalue() and TOKEN.split(":")[1] not in stream.getvalue()


def test_serve_failing_at_start_never_logs_the_token(tmp_path: Path) -> None:
    """`arshif serve` against a Bot API that is not there: it fails, and nothing it prints has the token."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {
            "PYTHONPATH": str(REPO), "TELEGRAM_BOT_TOKEN": TOKEN, "ARSHIF_OPEN": "1", "ARSHIF_ADMINS": "11111111",
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}/bot", "ARSHIF_LOG_FORMAT": "json",
            "ARSHIF_LOG_LEVEL": "DEBUG", "ARSHIF_DB": str(tmp_path / "bot.db"),
        }
        proc = subprocess.run([sys.executable, "-m", "arshif.bot.cli", "serve"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert '"level": "DEBUG"' in proc.stderr  # it did log, in JSON
    assert TOKEN not in proc.stderr + proc.stdout and TOKEN.split(":")[1] not in proc.stderr + proc.stdout


# --- (f) Ctrl-C, progress and failures of `arshif ingest` (issue 9 §4) ----------------------------

INTERRUPT_FILES, INTERRUPT_PER_FILE = 40, 100


def write_jsonl_articles(folder: Path, files: int, per_file: int) -> Path:
    """Writes ``files`` JSONL files of ``per_file`` fictional articles each (every one with its own URL)."""
    folder.mkdir(parents=True)
    for f in range(files):
        with (folder / f"part-{f:02d}.jsonl").open("w", encoding="utf-8") as out:
            for i in range(per_file):
                n = f * per_file + i
                town = TOWNS[n % len(TOWNS)]
                body = (f"The fictional town of {town} opened footbridge number {n} on Monday, the council said. "
                        f"Mayor Ilsa Brandt said the bridge cost {n + 3} million crowns. ") * 6
                out.write(json.dumps({"title": f"{town} council opens footbridge number {n}", "date": "2023-01-02",
                                      "url": f"https://example.org/bridges/{n}",
                                      "content": body + f"قال رئيس البلدية إن الجسر رقم {n} يخدم آلاف السكان."},
                                     ensure_ascii=False) + "\n")
    return folder


def _articles(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet, or its schema is being written
        return 0


def test_ctrl_c_during_ingest_stops_within_seconds_keeps_what_was_committed_and_a_rerun_completes(
        tmp_path: Path) -> None:
    """Ctrl-C in a terminal goes to the whole process group: the CLI and its worker processes."""
    import signal

    data = write_jsonl_articles(tmp_path / "data", INTERRUPT_FILES, INTERRUPT_PER_FILE)
    total = INTERRUPT_FILES * INTERRUPT_PER_FILE
    db = tmp_path / "a.db"
    proc = subprocess.Popen([sys.executable, "-m", "arshif.bot.cli", "ingest", str(data), "--db", str(db),
                             "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its own process group, as a shell gives a job
    try:
        deadline = time.monotonic() + 120
        while _articles(db) == 0 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "ingest ended before Ctrl-C; give it more data"
        os.killpg(proc.pid, signal.SIGINT)
        sent = time.monotonic()
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            pytest.fail("arshif ingest still running 20 s after Ctrl-C")
        seconds = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, err
    assert seconds < 5, f"{seconds:.1f}s from Ctrl-C to exit"
    kept = _articles(db)
    assert 0 < kept < total
    assert "Traceback" not in err
    message = re.search(r"^Interrupted after (\d+) of 40 files \(([\d,]+) records read\): the ([\d,]+) articles "
                        r"added are kept; run the same command again to finish \(what is stored already counts "
                        r"as duplicates\)\.$", err, re.M)
    assert message, err
    assert int(message.group(3).replace(",", "")) == kept
    assert out.startswith(f"added {kept}, duplicates 0, failed 0 in ")
    assert check_consistent(db) == kept

    again = subprocess.run([sys.executable, "-m", "arshif.bot.cli", "ingest", str(data), "--db", str(db), "--json"],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["added"], summary["duplicates"], summary["failed"]) == (total - kept, kept, [])
    assert summary["interrupted"] is False
    assert check_consistent(db) == total
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(DISTINCT url) FROM articles").fetchone()[0] == total  # no duplicates
    conn.close()
    # Standard error was a pipe: any progress lines are whole lines with a real total.
    for line in again.stderr.splitlines():
        assert re.fullmatch(r"ingest: [\d,]+/40 files, [\d.,]+/[\d.,]+ MB \(\d+%\), ETA (\d+:\d\d:\d\d|\?), "
                            r"[\d.]+ MB/s, [\d,]+ records \([\d,]+/s\)", line), line


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_progress_off_a_terminal_is_a_line_every_few_seconds_with_a_real_total() -> None:
    from arshif.bot.cli import IngestProgress

    clock, stream = FakeClock(), io.StringIO()
    progress = IngestProgress(4, 4_000_000, stream=stream, tty=False, interval=5, clock=clock)
    progress.record(10)
    clock.now += 2
    progress.file_done("a.jsonl", 1_000_000)
    assert stream.getvalue() == ""  # not yet: one line every 5 seconds
    clock.now += 3
    progress.record(10)
    assert stream.getvalue() == "ingest: 1/4 files, 1.0/4.0 MB (25%), ETA 0:00:15, 0.20 MB/s, 20 records (4/s)\n"
    clock.now += 1
    progress.file_done("b.jsonl", 1_000_000)
    progress.finish()
    assert stream.getvalue().count("\n") == 1 and "\r" not in stream.getvalue()


def test_progress_on_a_terminal_redraws_one_line() -> None:
    from arshif.bot.cli import IngestProgress

    clock, stream = FakeClock(), io.StringIO()
    progress = IngestProgress(2, 0, stream=stream, tty=True, clock=clock)
    clock.now += 1
    progress.file_done("a.txt", 0)
    assert stream.getvalue() == "\r\x1b[Kingest: 1/2 files, 0.0/0.0 MB (50%), ETA ?, 0.00 MB/s, 0 records (0/s)"
    progress.finish()
    assert stream.getvalue().endswith("\r\x1b[K") and "\n" not in stream.getvalue()


def test_ingest_counts_failures_by_reason_and_writes_them_all_with_failures_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with (data / "records.jsonl").open("w", encoding="utf-8") as out:
        out.write(json.dumps({"title": "A good one", "content": "Quorwick opened a footbridge on Monday."}) + "\n")
        for i in range(8):
            out.write(json.dumps({"title": f"Empty {i}", "content": ""}) + "\n")
        for _ in range(3):
            out.write("{broken\n")
    (data / "empty.txt").write_bytes(b"")
    db = tmp_path / "a.db"
    result = cli("ingest", str(data), "--db", str(db))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("added 1, duplicates 0, failed 12 in ")
    assert lines[1:5] == ["failures by reason:", "        8  empty content", "        3  malformed JSON",
                          "        1  empty file"]
    records = data / "records.jsonl"
    assert lines[5:10] == [f"  failed: {data / 'empty.txt'}: empty file",
                           *(f"  failed: {records}:{n}: empty content" for n in range(2, 6))]
    assert lines[10:] == ["  … and 7 more; --failures FILE writes them all"]

    report = tmp_path / "failures.tsv"
    again = cli("ingest", str(data), "--db", str(db), "--failures", str(report))
    assert again.exit_code == 0
    assert again.stdout.splitlines()[-1] == f"all 12 failures written to {report}"
    rows = [line.split("\t") for line in report.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 12
    assert rows[0] == [str(data / "empty.txt"), "empty file"]
    assert [r for r in rows if r[1] == "empty content"] == [[f"{records}:{n}", "empty content"] for n in range(2, 10)]
    as_json = json.loads(cli("ingest", str(data), "--db", str(db), "--json").stdout)
    assert as_json["failed_by_reason"] == {"empty content": 8, "malformed JSON": 3, "empty file": 1}
    assert len(as_json["failed"]) == 12 and as_json["interrupted"] is False


# --- (g) read-only archives and full disks (issue 9 §4) ---------------------------------------------


def run_with_read_only(target: Path, *args: str) -> subprocess.CompletedProcess:
    """Runs `arshif ARGS` while ``target`` (a folder or a file) cannot be written.

    Root ignores file modes, so as root the target is bind-mounted read-only in a private mount
    namespace (``unshare -m``); otherwise its mode is made read-only for the run.
    """
    command = [sys.executable, "-m", "arshif.bot.cli", *args]
    if os.geteuid() == 0:
        probe = subprocess.run(["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0"', str(target)],
                               capture_output=True) if shutil.which("unshare") else None
        if probe is None or probe.returncode != 0:
            pytest.skip("running as root without unshare/mount: no way to make a path read-only")
        command = ["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', str(target), *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)
    mode = target.stat().st_mode
    target.chmod(0o555 if target.is_dir() else 0o444)
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=120)
    finally:
        target.chmod(mode)


@pytest.fixture
def closed_archive(tmp_path: Path) -> Path:
    """Returns a WAL archive of the samples, closed (no -wal/-shm beside it), alone in its folder."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "arshif.db"
    conn = store.connect(db)
    ingest_paths(conn, [SAMPLES], workers=1)
    conn.close()
    assert sorted(p.name for p in folder.iterdir()) == ["arshif.db"]
    return db


@pytest.mark.parametrize("read_only", ["folder", "file"])
def test_a_read_only_archive_can_be_searched_and_health_says_writes_will_fail(closed_archive: Path,
                                                                             read_only: str) -> None:
    target = closed_archive.parent if read_only == "folder" else closed_archive
    before = closed_archive.read_bytes()
    found = run_with_read_only(target, "search", "اتفاقية", "--json", "--db", str(closed_archive))
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["total"] > 0
    asked = run_with_read_only(target, "ask", "من وقع اتفاقية الربط الكهربائي؟", "--json", "--db", str(closed_archive))
    assert asked.returncode == 0, asked.stderr
    stats = run_with_read_only(target, "stats", "--json", "--db", str(closed_archive))
    assert stats.returncode == 0 and json.loads(stats.stdout)["articles"] > 0
    health = run_with_read_only(target, "health", "--db", str(closed_archive))
    assert health.returncode == 1
    assert health.stdout == ""
    assert health.stderr.startswith(f"Error: The archive at {closed_archive} can be read but not written (")
    assert health.stderr.endswith("): the bot and `arshif ingest` will fail; give this user write access to the "
                                  "database file and its folder.\n")
    new_articles = REPO / "tests" / "fixtures" / "articles" / "array.json"
    ingest = run_with_read_only(target, "ingest", str(new_articles), "--db", str(closed_archive))
    assert ingest.returncode == 1 and ingest.stdout == ""
    assert ingest.stderr in (
        "Error: The archive cannot be written (attempt to write a readonly database); give this user write access "
        "to the database file and its folder, or use a command that only reads.\n",
        "Error: The archive cannot be opened (unable to open database file); check that this user can read and "
        "write the database file and its folder (SQLite keeps its -wal and -shm files there).\n")
    assert closed_archive.read_bytes() == before


def test_health_of_a_writable_archive_probes_without_writing(closed_archive: Path) -> None:
    before = closed_archive.read_bytes()
    result = cli("health", "--db", str(closed_archive))
    assert (result.exit_code, result.output) == (0, "ok\n")
    assert closed_archive.read_bytes() == before


def test_a_full_disk_during_ingest_names_the_real_cause_and_keeps_what_was_committed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk, simulated by SQLite's max_page_count: SQLite rolls back by itself on SQLITE_FULL."""
    import arshif.index.ingest as ingest_module

    data = write_jsonl_articles(tmp_path / "data", 4, 100)
    db = tmp_path / "a.db"
    conn = store.connect(db)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    real_connect = store.connect

    def on_a_small_disk(path: str | Path, **kwargs: object) -> sqlite3.Connection:
        conn = real_connect(path, **kwargs)
        conn.execute(f"PRAGMA max_page_count = {pages + 120}")
        return conn

    monkeypatch.setattr(store, "connect", on_a_small_disk)
    monkeypatch.setattr(ingest_module, "BATCH", 20)
    result = cli("ingest", str(data), "--db", str(db), "--workers", "1")
    monkeypatch.undo()
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == ("Error: The disk is full or failing (database or disk is full); free some space and "
                             "run the command again: what was written before is kept.\n")
    kept = check_consistent(db)
    assert 0 < kept < 400 and kept % 20 == 0  # whole batches, nothing half-written
    again = cli("ingest", str(data), "--db", str(db), "--json")
    assert again.exit_code == 0
    assert (json.loads(again.stdout)["added"], check_consistent(db)) == (400 - kept, 400)


def _small_files() -> None:
    """In the child: files may not grow past 64 KiB (a full disk without root), and SIGXFSZ does not kill."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_backup_to_a_full_disk_leaves_no_partial_file(closed_archive: Path, tmp_path: Path) -> None:
    assert closed_archive.stat().st_size > 64 * 1024
    folder = tmp_path / "backups"
    folder.mkdir()
    dest = folder / "copy.db"
    proc = subprocess.run([sys.executable, "-m", "arshif.bot.cli", "backup", str(dest), "--db", str(closed_archive)],
                          capture_output=True, text=True, timeout=120, preexec_fn=_small_files)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert re.fullmatch(rf"Error: The backup to {re.escape(str(dest))} failed: (disk I/O error|database or disk is "
                        r"full); nothing was written\.\n", proc.stderr), proc.stderr
    assert list(folder.iterdir()) == []  # no partial copy, no journal
    ok = cli("backup", str(dest), "--db", str(closed_archive))  # with room, the same command works
    assert ok.exit_code == 0, ok.output
    assert sorted(p.name for p in folder.iterdir()) == ["copy.db"]
    assert check_consistent(dest) > 0


def test_serve_never_logs_a_token_of_an_unusual_shape(tmp_path: Path) -> None:
    """A local Bot API server takes any token, so its shape is not Telegram's and only its value can
    hide it. This one refuses it (401), and python-telegram-bot's InvalidToken error quotes the token.
    """
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    token = "local-api-token-7f3a9c0d"

    class Refuse(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the http.server API names it
            body = b'{"ok": false, "error_code": 401, "description": "Unauthorized"}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {
            "PYTHONPATH": str(REPO), "TELEGRAM_BOT_TOKEN": token, "ARSHIF_OPEN": "1", "ARSHIF_ADMINS": "11111111",
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{server.server_port}/bot", "ARSHIF_LOG_FORMAT": "json",
            "ARSHIF_LOG_LEVEL": "DEBUG", "ARSHIF_DB": str(tmp_path / "bot.db"),
        }
        proc = subprocess.run([sys.executable, "-m", "arshif.bot.cli", "serve"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode != 0
    assert "The token `<redacted>` was rejected by the server" in proc.stderr  # it logged, and hid the token
    assert token not in proc.stderr + proc.stdout
