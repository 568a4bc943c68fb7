"""Chat state: users and their access, the queries behind paging buttons, and each chat's memory
for follow-up questions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from ._schema import transaction

# users.status: 'allowed' (an admin's /allow), 'denied' (/deny) or 'seen' (bookkeeping only, grants
# nothing). Configuration (ARSHIF_ADMINS, ARSHIF_ALLOWED_USERS) is never copied here, so removing a
# user from it takes effect at once.

USER_STATUSES = ("allowed", "denied", "seen")
# Button queries kept per chat; older buttons answer "expired" (a chat rarely pages back that far).
BOT_QUERIES_PER_CHAT = 200


@dataclass(frozen=True, slots=True)
class User:
    """A user the bot has a row for: an admin's decision (``status``) and whether they blocked it."""

    user_id: int
    status: str  # one of USER_STATUSES
    added_by: int | None
    added_at: str
    blocked: bool


@dataclass(frozen=True, slots=True)
class BotQuery:
    """The query behind a chat's paging buttons (``exclude_id``: the article of a "more like this")."""

    id: int
    chat_id: int
    query: str
    exclude_id: int | None


_USER_COLUMNS = "user_id, status, added_by, added_at, blocked"


def _user(row: sqlite3.Row) -> User:
    return User(row[0], row[1], row[2], row[3], bool(row[4]))


def get_user(conn: sqlite3.Connection, user_id: int) -> User | None:
    """Return the user, or None if unknown."""
    row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE user_id = ?", (user_id,)).fetchone()
    return _user(row) if row is not None else None


def set_user_status(conn: sqlite3.Connection, user_id: int, status: str, added_by: int | None) -> None:
    """Record an admin's decision about a user (allowed or denied), keeping the blocked flag."""
    if status not in USER_STATUSES:
        raise ValueError(f"unknown user status {status!r}")
    conn.execute(
        "INSERT INTO users (user_id, status, added_by) VALUES (?, ?, ?) "
        "ON CONFLICT(user_id) DO UPDATE SET status = excluded.status, added_by = excluded.added_by, "
        "added_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
        (user_id, status, added_by),
    )


def set_user_blocked(conn: sqlite3.Connection, user_id: int, blocked: bool) -> None:
    """Record that the user blocked (or unblocked) the bot; an unknown user gets a 'seen' row."""
    conn.execute(
        "INSERT INTO users (user_id, status, blocked) VALUES (?, 'seen', ?) "
        "ON CONFLICT(user_id) DO UPDATE SET blocked = excluded.blocked",
        (user_id, int(blocked)),
    )


def list_users(conn: sqlite3.Connection) -> list[User]:
    """Return every user, allowed first, then denied, then seen; by id within each."""
    rows = conn.execute(
        f"SELECT {_USER_COLUMNS} FROM users "
        "ORDER BY CASE status WHEN 'allowed' THEN 0 WHEN 'denied' THEN 1 ELSE 2 END, user_id"
    ).fetchall()
    return [_user(r) for r in rows]


def save_bot_query(conn: sqlite3.Connection, chat_id: int, query: str, exclude_id: int | None = None) -> int:
    """Store the query behind a chat's paging buttons; return its id (older ones are pruned)."""
    with transaction(conn, immediate=True):
        query_id = conn.execute(
            "INSERT INTO bot_queries (chat_id, query, exclude_id) VALUES (?, ?, ?)", (chat_id, query, exclude_id)
        ).lastrowid
        conn.execute(
            "DELETE FROM bot_queries WHERE chat_id = :chat AND id <= (SELECT id FROM bot_queries "
            "WHERE chat_id = :chat ORDER BY id DESC LIMIT 1 OFFSET :keep)",
            {"chat": chat_id, "keep": BOT_QUERIES_PER_CHAT},
        )
    return query_id


def load_bot_query(conn: sqlite3.Connection, query_id: int) -> BotQuery | None:
    """Return a stored button query, or None if gone."""
    row = conn.execute(
        "SELECT id, chat_id, query, exclude_id FROM bot_queries WHERE id = ?", (query_id,)
    ).fetchone()
    return BotQuery(*row) if row is not None else None


def save_chat_context(conn: sqlite3.Connection, chat_id: int, article_ids: Sequence[int],
                      question: str | None, answer: str | None = None) -> None:
    """Remember the articles a chat was last shown, the question and its answer (for follow-ups)."""
    conn.execute(
        "INSERT INTO chat_context (chat_id, article_ids, question, answer) VALUES (?,?,?,?) "
        "ON CONFLICT(chat_id) DO UPDATE SET article_ids = excluded.article_ids, "
        "question = excluded.question, answer = excluded.answer, "
        "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
        (chat_id, json.dumps(list(article_ids)), question, answer),
    )


def load_chat_context(conn: sqlite3.Connection, chat_id: int) -> tuple[list[int], str | None]:
    """Return the article ids a chat was last shown and the question asked then."""
    row = conn.execute(
        "SELECT article_ids, question FROM chat_context WHERE chat_id = ?", (chat_id,)
    ).fetchone()
    if row is None:
        return [], None
    return json.loads(row[0]), row[1]


def load_chat_answer(conn: sqlite3.Connection, chat_id: int) -> str | None:
    """Return the answer (or the unsure reply's best guess) a chat was last given, if any."""
    row = conn.execute("SELECT answer FROM chat_context WHERE chat_id = ?", (chat_id,)).fetchone()
    return row[0] if row is not None else None
