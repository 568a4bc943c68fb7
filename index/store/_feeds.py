"""Feeds to poll: their health, conditional-GET validators and the entries already seen."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from ..models import Feed
from ._schema import transaction

_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
_FEED_COLUMNS = (
    "f.id, f.url, f.title, f.last_polled, f.last_ok, f.last_error, f.failures, "
    "(SELECT count(*) FROM feed_entries e WHERE e.feed_id = f.id) AS entries"
)


def insert_feed(conn: sqlite3.Connection, url: str) -> tuple[int, bool]:
    """Store a feed URL; return its id and whether it is new (adding a known URL changes nothing)."""
    cur = conn.execute("INSERT INTO feeds (url) VALUES (?) ON CONFLICT(url) DO NOTHING", (url,))
    feed_id = conn.execute("SELECT id FROM feeds WHERE url = ?", (url,)).fetchone()[0]
    return feed_id, cur.rowcount == 1


def fetch_feeds(conn: sqlite3.Connection) -> list[Feed]:
    """Return every feed with its health and entry count, oldest first."""
    return [Feed(*r) for r in conn.execute(f"SELECT {_FEED_COLUMNS} FROM feeds f ORDER BY f.id").fetchall()]


def fetch_feed(conn: sqlite3.Connection, *, feed_id: int | None = None, url: str | None = None) -> Feed | None:
    """Return one feed by id or URL, or None."""
    row = conn.execute(
        f"SELECT {_FEED_COLUMNS} FROM feeds f WHERE f.id = :id OR f.url = :url",
        {"id": feed_id, "url": url},
    ).fetchone()
    return Feed(*row) if row is not None else None


def delete_feed(conn: sqlite3.Connection, feed_id: int) -> None:
    """Forget a feed and its seen entries; the articles it brought stay in the archive."""
    with transaction(conn, immediate=True):
        conn.execute("DELETE FROM feed_entries WHERE feed_id = ?", (feed_id,))
        conn.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))


def feed_validators(conn: sqlite3.Connection, feed_id: int) -> tuple[str | None, str | None]:
    """Return the (ETag, Last-Modified) of the feed's last full fetch, for a conditional GET."""
    row = conn.execute("SELECT etag, last_modified FROM feeds WHERE id = ?", (feed_id,)).fetchone()
    return (row[0], row[1]) if row else (None, None)


def seen_entry_keys(conn: sqlite3.Connection, feed_id: int, keys: Iterable[str]) -> set[str]:
    """Return which of these entry keys the feed has already delivered."""
    rows = conn.execute(
        "SELECT entry_key FROM feed_entries WHERE feed_id = ? AND entry_key IN (SELECT value FROM json_each(?))",
        (feed_id, json.dumps(list(keys))),
    ).fetchall()
    return {r[0] for r in rows}


def record_feed_entries(conn: sqlite3.Connection, feed_id: int, entries: Iterable[tuple[str, int | None]]) -> None:
    """Remember (entry key, article id or None) pairs so later polls skip them."""
    with transaction(conn, immediate=True):
        conn.executemany(
            "INSERT INTO feed_entries (feed_id, entry_key, article_id) VALUES (?,?,?) "
            "ON CONFLICT(feed_id, entry_key) DO NOTHING",
            [(feed_id, key, article_id) for key, article_id in entries],
        )


def record_feed_success(conn: sqlite3.Connection, feed_id: int, *, title: str | None = None,
                        validators: tuple[str | None, str | None] | None = None) -> None:
    """Mark a poll as good: failures back to 0; the title and (ETag, Last-Modified) when given."""
    conn.execute(
        f"UPDATE feeds SET last_polled = {_NOW}, last_ok = {_NOW}, last_error = NULL, failures = 0, "
        "title = coalesce(:title, title), "
        "etag = CASE WHEN :set_v THEN :etag ELSE etag END, "
        "last_modified = CASE WHEN :set_v THEN :lm ELSE last_modified END "
        "WHERE id = :id",
        {"id": feed_id, "title": title, "set_v": validators is not None,
         "etag": (validators or (None, None))[0], "lm": (validators or (None, None))[1]},
    )


def record_feed_failure(conn: sqlite3.Connection, feed_id: int, error: str) -> None:
    """Mark a poll as failed: keep the reason and count consecutive failures."""
    conn.execute(
        f"UPDATE feeds SET last_polled = {_NOW}, last_error = ?, failures = failures + 1 WHERE id = ?",
        (error, feed_id),
    )
