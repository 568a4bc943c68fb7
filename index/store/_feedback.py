"""Answers as shown (answer_log) and the users' 👍/👎 ratings of them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from ..models import Rating
from ._schema import transaction


def insert_answer_log(conn: sqlite3.Connection, chat_id: int, user_id: int | None, question: str,
                      qtype: str | None, answer: str | None, sources: Sequence[dict]) -> int:
    """Record an answer as shown (for its 👍/👎 buttons); return its id."""
    cur = conn.execute(
        "INSERT INTO answer_log (chat_id, user_id, question, qtype, answer, sources) VALUES (?,?,?,?,?,?)",
        (chat_id, user_id, question, qtype, answer, json.dumps(list(sources), ensure_ascii=False)),
    )
    return cur.lastrowid


def set_feedback(conn: sqlite3.Connection, answer_id: int, user_id: int, rating: int) -> int | None:
    """Store a user's rating of an answer (replacing theirs); return the previous rating, or None.

    Raises ``KeyError`` when no such answer was logged.
    """
    with transaction(conn, immediate=True):
        if conn.execute("SELECT 1 FROM answer_log WHERE id = ?", (answer_id,)).fetchone() is None:
            raise KeyError(answer_id)
        row = conn.execute("SELECT rating FROM feedback WHERE answer_id = ? AND user_id = ?",
                           (answer_id, user_id)).fetchone()
        conn.execute(
            "INSERT INTO feedback (answer_id, user_id, rating) VALUES (?,?,?) "
            "ON CONFLICT(answer_id, user_id) DO UPDATE SET rating = excluded.rating, "
            "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            (answer_id, user_id, rating),
        )
    return row[0] if row else None


def feedback_rows(conn: sqlite3.Connection, *, since: str | None = None,
                  rating: int | None = None) -> list[Rating]:
    """Return ratings with their answers (question, type, answer, sources), oldest first;
    ``since`` is an ISO date or time compared with when the rating was last changed."""
    rows = conn.execute(
        "SELECT f.answer_id, f.user_id, f.rating, f.created_at, f.updated_at, l.chat_id, "
        "l.user_id AS asked_by, l.question, l.qtype, l.answer, l.sources, l.created_at AS answered_at "
        "FROM feedback f JOIN answer_log l ON l.id = f.answer_id "
        "WHERE (:since IS NULL OR f.updated_at >= :since) AND (:rating IS NULL OR f.rating = :rating) "
        "ORDER BY f.updated_at, f.answer_id, f.user_id",
        {"since": since, "rating": rating},
    ).fetchall()
    return [Rating(r["answer_id"], r["user_id"], r["rating"], r["updated_at"], r["question"], r["qtype"], r["answer"],
                   tuple(json.loads(r["sources"] or "[]")), r["chat_id"], r["asked_by"], r["answered_at"])
            for r in rows]
