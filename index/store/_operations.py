"""For operators: online backup, archive figures and the integrity check."""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
from pathlib import Path

from ..errors import StorageError
from ._schema import schema_version


def backup(conn: sqlite3.Connection, dest: str | Path, *, pages: int = 1024) -> None:
    """Copy the live database to ``dest`` with SQLite's online backup API (safe while in use).

    Pages are copied in steps so writers in other processes are never blocked for long; a write
    during the copy makes SQLite restart it, so the result is always one consistent snapshot.
    The copy is written to a hidden temporary file in the destination folder and appears under
    ``dest`` only when complete and checked, so a full disk or an interruption leaves nothing
    behind (the temporary file and its journal are removed). An existing ``dest`` is never
    replaced: ``FileExistsError``.
    """
    dest = Path(dest)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        target = sqlite3.connect(tmp_name)
        try:
            conn.backup(target, pages=pages, sleep=0.005)
            target.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
            if target.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise StorageError("The backup failed its integrity check; try again.")
        finally:
            target.close()
        try:
            os.link(tmp, dest)  # fails if dest appeared meanwhile: never overwrite a backup
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links
            if dest.exists():
                raise FileExistsError(errno.EEXIST, "File exists", str(dest)) from None
            os.replace(tmp, dest)
    except sqlite3.Error as exc:
        raise StorageError(f"The backup to {dest} failed: {exc}; nothing was written.") from exc
    finally:
        for leftover in (tmp, *(Path(f"{tmp}{s}") for s in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)


def stats(conn: sqlite3.Connection) -> dict:
    """Return archive figures for operators: articles, sources, feeds, subscriptions, size."""
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    page_size = one("PRAGMA page_size")
    return {
        "schema_version": schema_version(conn),
        "articles": one("SELECT count(*) FROM articles"),
        "latest_published": one("SELECT max(published) FROM articles"),
        "last_added": one("SELECT max(added_at) FROM articles"),
        "sources": [
            {"source": r[0], "articles": r[1]}
            for r in conn.execute(
                "SELECT coalesce(source, '?'), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
            )
        ],
        "passages": one("SELECT count(*) FROM passages"),
        "facts": one("SELECT count(*) FROM facts"),
        "names_learned": one("SELECT count(*) FROM names"),
        "feeds": one("SELECT count(*) FROM feeds"),
        "feeds_failing": one("SELECT count(*) FROM feeds WHERE failures > 0"),
        "subscriptions_active": one("SELECT count(*) FROM subscriptions WHERE active = 1 AND paused IS NULL"),
        "subscriptions": one("SELECT count(*) FROM subscriptions"),
        "deliveries": one("SELECT count(*) FROM deliveries WHERE status = 'sent'"),
        "users_allowed": one("SELECT count(*) FROM users WHERE status = 'allowed'"),
        "database_bytes": one("PRAGMA page_count") * page_size,
    }


def integrity_ok(conn: sqlite3.Connection) -> bool:
    """True when SQLite's quick check finds the file sound."""
    return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
