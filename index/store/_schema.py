"""Connections, pragmas and the schema: numbered migrations in ``index/migrations/`` tracked by
``PRAGMA user_version`` (every connection applies what is missing), and transactions."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from ..errors import NoArchive, SchemaTooNew, StorageError

log = logging.getLogger(__name__)


BUSY_TIMEOUT_MS = 10_000
# The schema version from which articles_fts holds title_exact and body_exact.
EXACT_SCHEMA = 5


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("arshif.index") / "migrations"
    found = []
    for entry in folder.iterdir():
        m = re.match(r"(\d+)_.*\.sql$", entry.name)
        if m:
            found.append((int(m.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


MIGRATIONS = _migrations()
SCHEMA_VERSION = MIGRATIONS[-1][0]


def connect(path: str | Path, *, migrate_schema: bool = True, readonly: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) the archive database, ready for concurrent use.

    ``readonly`` opens an existing archive without ever creating or writing a file
    (see ``connect_readonly``).
    """
    if readonly:
        return connect_readonly(path, migrate_schema=migrate_schema)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    if migrate_schema:
        migrate(conn)
    return conn


def missing_archive_message(path: str | Path) -> str:
    """Return the sentence a reading command prints when no archive is at ``path``."""
    return f"no archive at {path}; create it with `arshif ingest` or `arshif demo`"


def connect_readonly(path: str | Path, *, migrate_schema: bool = True) -> sqlite3.Connection:
    """Open an existing archive for reading; raise NoArchive (creating nothing) when there is none.

    ``mode=ro`` never writes the database, but SQLite still needs the ``-shm`` file beside a WAL
    database and creates it when the folder is writable. In a read-only folder or mount it cannot,
    and the open fails with "unable to open database file"; ``immutable=1`` then reads the main file
    as it is, without locks or the ``-shm`` (as CPython's own sqlite3 CLI does since gh-135386).
    That is safe because nothing can write there either; pages still only in a ``-wal`` file are not
    seen until a writer checkpoints them. A database at an older schema is migrated through an
    ordinary connection, as any command would (``migrate_schema=False`` skips that).
    """
    file = Path(path).expanduser()
    if str(path) == ":memory:":
        return connect(path, migrate_schema=migrate_schema)
    if not file.exists():
        raise NoArchive(missing_archive_message(path))
    if file.is_dir():
        raise NoArchive(f"{path} is a folder, not an archive; point --db at the database file")
    if file.stat().st_size == 0:
        # SQLite takes an empty file for an empty database and would turn it into one on a write.
        raise NoArchive(f"{path} is an empty file, not an archive; check --db or $ARSHIF_DB")
    uri = file.resolve().as_uri()
    conn = None
    for flags in ("mode=ro", "immutable=1"):
        conn = sqlite3.connect(f"{uri}?{flags}", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA user_version").fetchone()
            break
        except sqlite3.OperationalError as exc:
            conn.close()
            conn = None
            if "unable to open" not in str(exc) or flags == "immutable=1":
                raise
            log.info("%s: no -shm file can be created beside it; reading it as immutable", path)
    assert conn is not None
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    version = schema_version(conn)
    if version == 0 and not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        conn.close()
        raise NoArchive(f"{path} is an empty database, not an archive; create one with `arshif ingest` "
                        "or `arshif demo`")
    if version > SCHEMA_VERSION or (version < SCHEMA_VERSION and migrate_schema):
        conn.close()
        try:
            return connect(path, migrate_schema=migrate_schema)  # migrate(), or its clear refusal
        except sqlite3.OperationalError as exc:
            raise StorageError(f"The archive at {path} is at schema version {version} and needs "
                               f"{SCHEMA_VERSION}, but it cannot be written ({exc}); run any arshif command "
                               "on it with write access to upgrade it.") from exc
    return conn


def write_problem(path: str | Path) -> str | None:
    """Return why writing the archive at ``path`` would fail, or None when a write lock can be taken.

    Probes rather than checks permissions, so it also holds as root and on read-only mounts:
    ``BEGIN IMMEDIATE`` takes the write lock (creating the -wal/-shm files if needed) and a table
    is created and rolled back. SQLite opens a write-protected file read-only without a word and
    only refuses at the first write, so the probe must write. A lock held by another process
    counts as writable.
    """
    uri = Path(path).expanduser().resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=rw", uri=True, timeout=1, isolation_level=None)
    except sqlite3.OperationalError as exc:
        return str(exc)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE _arshif_write_probe (x)")
        finally:
            conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return None
        if "unable to open" in str(exc):  # the -wal/-shm files cannot be created beside it
            return f"{exc}: its folder does not let SQLite create the -wal and -shm files"
        return str(exc)
    finally:
        conn.close()
    return None


def schema_version(conn: sqlite3.Connection) -> int:
    """Return the schema version the database is at."""
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations the database lacks, each in its own transaction; return the version."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(current, SCHEMA_VERSION)
    for version, sql in MIGRATIONS:
        if version <= current:
            continue
        with transaction(conn, immediate=True):
            # Re-check inside the write lock: another process may have migrated meanwhile.
            if schema_version(conn) >= version:
                continue
            for statement in _split_sql(sql):
                conn.execute(statement)
            if version in _MIGRATION_STEPS:
                _MIGRATION_STEPS[version](conn)
            conn.execute(f"PRAGMA user_version = {version}")
        log.info("database migrated to schema version %s", version)
    return schema_version(conn)


def _reindex(conn: sqlite3.Connection, *, batch: int = 500) -> None:
    """Fill articles_fts again from the stored articles (migration 5 recreates it with the exact
    columns). Runs inside the migration's transaction: an interrupted upgrade leaves the old index.
    """
    from ..analysis import index_texts

    done, last = 0, 0
    while True:
        rows = conn.execute("SELECT id, title, body FROM articles WHERE id > ? ORDER BY id LIMIT ?",
                            (last, batch)).fetchall()
        if not rows:
            break
        fts_rows = []
        for article_id, title, body in rows:
            (title_terms, title_exact), (body_terms, body_exact) = index_texts(title), index_texts(body)
            fts_rows.append((article_id, title_terms, body_terms, title_exact, body_exact))
        conn.executemany(
            "INSERT INTO articles_fts (rowid, title, body, title_exact, body_exact) VALUES (?,?,?,?,?)", fts_rows)
        done += len(rows)
        last = rows[-1][0]
        if done % 10_000 < batch:
            log.info("reindexing the archive: %d articles", done)


# Python steps run after a migration's SQL, in the same transaction.
_MIGRATION_STEPS = {EXACT_SCHEMA: _reindex}


def _split_sql(sql: str) -> list[str]:
    statements, buf = [], []
    for line in sql.splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        joined = "\n".join(buf)
        if sqlite3.complete_statement(joined):
            statements.append(joined)
            buf = []
    return [s for s in statements if s.strip()]


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = False) -> Iterator[sqlite3.Connection]:
    """Run a block in one transaction (``BEGIN IMMEDIATE`` takes the write lock up front)."""
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
    except BaseException:
        # After some errors (disk full, I/O) SQLite has already rolled back by itself; a second
        # ROLLBACK would fail with "no transaction is active" and hide the real cause.
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error as exc:
                log.warning("rollback failed after an error: %s", exc)
        raise
    else:
        try:
            conn.execute("COMMIT")
        except sqlite3.Error:
            if conn.in_transaction:  # a failed COMMIT (disk full) leaves the transaction open
                conn.execute("ROLLBACK")
            raise


@contextmanager
def bulk_mode(conn: sqlite3.Connection) -> Iterator[None]:
    """Speed settings for a long ingest: a larger page cache and FTS5 merges deferred."""
    conn.execute("PRAGMA cache_size = -262144")  # 256 MiB
    yield
    conn.execute("PRAGMA cache_size = -2000")


def database_file(conn: sqlite3.Connection) -> str:
    """Return the file a connection reads (a distinct name per in-memory database), for caches."""
    return str(conn.execute("PRAGMA database_list").fetchone()[2] or f":memory:{id(conn)}")
