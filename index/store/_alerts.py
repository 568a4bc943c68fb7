"""Subscriptions and their deliveries.

A subscription is a saved query matched against articles with rowid in (last_seen, H]. Deliveries
are an outbox: 'pending' → 'sending' (attempt token) → 'sent' | 'merged' | 'failed' (see
index/alerts.py for why each step commits where it does).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..models import Subscription
from ._schema import transaction

_SUBSCRIPTION_COLUMNS = "id, user_id, chat_id, query, active, paused, last_seen, created_at"
_UTC_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """A delivery waiting to be sent: its subscription (chat, owner, query) and the article."""

    subscription_id: int
    article_id: int
    chat_id: int
    user_id: int
    query: str
    title: str
    body: str
    url: str | None
    published: str | None
    source: str | None


@dataclass(frozen=True, slots=True)
class MergedDelivery:
    """A near-duplicate not sent for a subscription: it is mentioned under ``merged_into``."""

    subscription_id: int
    merged_into: int
    source: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class InterruptedDelivery:
    """A delivery left 'sending' under ``attempt`` by a process that stopped."""

    subscription_id: int
    article_id: int
    attempt: str


def _subscription(row: sqlite3.Row | None) -> Subscription | None:
    if row is None:
        return None
    return Subscription(id=row[0], user_id=row[1], chat_id=row[2], query=row[3], active=bool(row[4]),
                        paused=row[5], last_seen=row[6], created_at=row[7])


def insert_subscription(conn: sqlite3.Connection, user_id: int, chat_id: int, query: str, *,
                        last_seen: int, limit: int) -> tuple[Subscription | None, Subscription | None]:
    """Save a subscription unless the user has ``limit`` already or the same query in this chat.

    Returns (the new subscription, None), or (None, the existing identical one), or (None, None) when
    the limit is reached. Counting and inserting share one write transaction, so two quick
    /subscribe messages cannot both slip under the limit.
    """
    with transaction(conn, immediate=True):
        same = conn.execute(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE user_id = ? AND chat_id = ? AND query = ?",
            (user_id, chat_id, query),
        ).fetchone()
        if same is not None:
            return None, _subscription(same)
        count = conn.execute("SELECT count(*) FROM subscriptions WHERE user_id = ?", (user_id,)).fetchone()[0]
        if count >= limit:
            return None, None
        sub_id = conn.execute(
            "INSERT INTO subscriptions (user_id, chat_id, query, last_seen) VALUES (?, ?, ?, ?)",
            (user_id, chat_id, query, last_seen),
        ).lastrowid
        row = conn.execute(f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?", (sub_id,)).fetchone()
    return _subscription(row), None


def user_subscriptions(conn: sqlite3.Connection, user_id: int) -> list[Subscription]:
    """Return a user's subscriptions, oldest first."""
    return [_subscription(r) for r in conn.execute(
        f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE user_id = ? ORDER BY id", (user_id,)
    ).fetchall()]


def get_subscription(conn: sqlite3.Connection, sub_id: int) -> Subscription | None:
    """Return one subscription, or None."""
    return _subscription(
        conn.execute(f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?", (sub_id,)).fetchone())


def delete_subscription(conn: sqlite3.Connection, user_id: int, sub_id: int) -> bool:
    """Delete the user's own subscription (its deliveries go with it); False when not theirs."""
    return conn.execute("DELETE FROM subscriptions WHERE id = ? AND user_id = ?", (sub_id, user_id)).rowcount == 1


def set_subscription_paused(conn: sqlite3.Connection, user_id: int, sub_id: int, paused: str | None, *,
                            last_seen: int | None = None) -> bool:
    """Pause (with a reason) or resume one of the user's subscriptions; ``last_seen`` skips ahead."""
    return conn.execute(
        "UPDATE subscriptions SET paused = :paused, last_seen = max(last_seen, coalesce(:seen, last_seen)) "
        "WHERE id = :id AND user_id = :user",
        {"paused": paused, "seen": last_seen, "id": sub_id, "user": user_id},
    ).rowcount == 1


def pause_subscriptions(conn: sqlite3.Connection, reason: str, *, user_id: int | None = None,
                        chat_id: int | None = None) -> int:
    """Pause the running subscriptions of a user, of a chat, or of a user in a chat; return how many."""
    if user_id is None and chat_id is None:
        raise ValueError("pause whose subscriptions? give user_id or chat_id")
    return conn.execute(
        "UPDATE subscriptions SET paused = :reason WHERE paused IS NULL AND active = 1 "
        "AND (:user IS NULL OR user_id = :user) AND (:chat IS NULL OR chat_id = :chat)",
        {"reason": reason, "user": user_id, "chat": chat_id},
    ).rowcount


def resume_subscriptions(conn: sqlite3.Connection, reason: str, *, last_seen: int, user_id: int | None = None,
                         chat_id: int | None = None) -> int:
    """Resume subscriptions paused for ``reason`` (of a user and/or a chat), skipping to ``last_seen``."""
    if user_id is None and chat_id is None:
        raise ValueError("resume whose subscriptions? give user_id or chat_id")
    return conn.execute(
        "UPDATE subscriptions SET paused = NULL, last_seen = max(last_seen, :seen) WHERE paused = :reason "
        "AND (:user IS NULL OR user_id = :user) AND (:chat IS NULL OR chat_id = :chat)",
        {"seen": last_seen, "user": user_id, "chat": chat_id, "reason": reason},
    ).rowcount


def subscriptions_paused(conn: sqlite3.Connection, reason: str) -> list[Subscription]:
    """Return the subscriptions paused for ``reason``."""
    return [_subscription(r) for r in conn.execute(
        f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE paused = ? ORDER BY id", (reason,)
    ).fetchall()]


def blocked_users_back(conn: sqlite3.Connection, reason: str = "blocked") -> list[int]:
    """Return users whose private-chat subscriptions are paused as blocked but who unblocked the bot.

    The bot clears ``users.blocked`` when such a user writes to it again.
    """
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT s.user_id FROM subscriptions s LEFT JOIN users u ON u.user_id = s.user_id "
        "WHERE s.paused = ? AND s.chat_id = s.user_id AND coalesce(u.blocked, 0) = 0",
        (reason,),
    )]


def subscriptions_due(conn: sqlite3.Connection, high: int) -> list[Subscription]:
    """Return running subscriptions that have not yet seen articles up to ``high``."""
    return [_subscription(r) for r in conn.execute(
        f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions "
        "WHERE active = 1 AND paused IS NULL AND last_seen < ? ORDER BY id",
        (high,),
    ).fetchall()]


def recently_alerted_articles(conn: sqlite3.Connection, days: float, below: int) -> list[int]:
    """Return ids (< ``below``) of articles matched for some subscription in the last ``days`` days."""
    return [r[0] for r in conn.execute(
        "SELECT article_id FROM alerted_articles WHERE first_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?) "
        "AND article_id < ?",
        (f"-{days} days", below),
    )]


def delivered_pairs(conn: sqlite3.Connection, pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Return which (subscription, article) pairs are recorded as pending, being sent or sent."""
    rows = conn.execute(
        "SELECT d.subscription_id, d.article_id FROM json_each(?) j JOIN deliveries d "
        "ON d.subscription_id = json_extract(j.value, '$[0]') AND d.article_id = json_extract(j.value, '$[1]') "
        "WHERE d.status IN ('pending', 'sending', 'sent')",
        (json.dumps([list(p) for p in pairs]),),
    ).fetchall()
    return {(r[0], r[1]) for r in rows}


def record_matches(conn: sqlite3.Connection, advances: Sequence[tuple[int, int, int]],
                   rows: dict[int, Sequence[tuple[int, str, int | None]]], *, keep_days: float) -> list[int]:
    """Record matched deliveries and move each subscription's last_seen, all in one transaction.

    ``advances`` holds (subscription, last_seen read before matching, new high-water mark); a
    subscription whose last_seen changed meanwhile (another run, a resume) or that was paused is
    left alone with its rows, so the same range is never recorded twice. ``rows`` maps a
    subscription to (article, status, merged_into). The articles are remembered in ``alerted_articles`` (rows older than
    ``keep_days`` are pruned). Returns the subscriptions advanced.
    """
    now = conn.execute(f"SELECT {_UTC_NOW}").fetchone()[0]
    with transaction(conn, immediate=True):
        done = sorted(r[0] for r in conn.execute(
            "UPDATE subscriptions SET last_seen = j.high FROM (SELECT json_extract(value, '$[0]') AS sid, "
            "json_extract(value, '$[1]') AS old, json_extract(value, '$[2]') AS high FROM json_each(?)) AS j "
            "WHERE subscriptions.id = j.sid AND subscriptions.last_seen = j.old AND subscriptions.active = 1 "
            "AND subscriptions.paused IS NULL "
            "RETURNING id",
            (json.dumps([list(a) for a in advances]),),
        ))
        values = [(sub_id, article_id, status, into, now) for sub_id in done for article_id, status, into in
                  rows.get(sub_id, ())]
        conn.executemany(
            "INSERT OR IGNORE INTO deliveries (subscription_id, article_id, status, merged_into, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            values,
        )
        conn.executemany(
            "INSERT OR IGNORE INTO alerted_articles (article_id, first_at) VALUES (?, ?)",
            [(a, now) for a in sorted({v[1] for v in values})],
        )
        conn.execute(
            "DELETE FROM alerted_articles WHERE first_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?)",
            (f"-{keep_days} days",),
        )
    return done


def pending_rows(conn: sqlite3.Connection, *, per_chat: int, limit: int) -> list[PendingDelivery]:
    """Return pending deliveries of running subscriptions with their articles, by chat then article.

    At most ``per_chat`` articles per chat (the oldest), so one busy chat cannot hold up the others.
    """
    return [PendingDelivery(*r) for r in conn.execute(
        "SELECT p.subscription_id, p.article_id, p.chat_id, p.user_id, p.query, "
        "a.title, a.body, a.url, a.published, a.source FROM ("
        "  SELECT d.subscription_id, d.article_id, s.chat_id, s.user_id, s.query, "
        "  dense_rank() OVER (PARTITION BY s.chat_id ORDER BY d.article_id) AS n "
        "  FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id "
        "  WHERE d.status = 'pending' AND s.active = 1 AND s.paused IS NULL"
        ") p JOIN articles a ON a.id = p.article_id WHERE p.n <= :per_chat "
        "ORDER BY p.chat_id, p.article_id, p.subscription_id LIMIT :limit",
        {"per_chat": per_chat, "limit": limit},
    ).fetchall()]


def merged_rows(conn: sqlite3.Connection, sub_ids: Iterable[int]) -> list[MergedDelivery]:
    """Return the near-duplicates merged for these subscriptions."""
    return [MergedDelivery(*r) for r in conn.execute(
        "SELECT d.subscription_id, d.merged_into, a.source, a.url FROM deliveries d "
        "JOIN articles a ON a.id = d.article_id "
        "WHERE d.status = 'merged' AND d.subscription_id IN (SELECT value FROM json_each(?)) ORDER BY d.article_id",
        (json.dumps(sorted(set(sub_ids))),),
    ).fetchall()]


def claim_deliveries(conn: sqlite3.Connection, keys: Sequence[tuple[int, int]], attempt: str) -> int:
    """Mark pending deliveries as being sent under ``attempt``; return how many were claimed."""
    with transaction(conn, immediate=True):
        cur = conn.executemany(
            "UPDATE deliveries SET status = 'sending', attempt = ? "
            "WHERE subscription_id = ? AND article_id = ? AND status = 'pending'",
            [(attempt, s, a) for s, a in keys],
        )
    return cur.rowcount


def confirm_deliveries(conn: sqlite3.Connection, attempt: str, message_id: int | None, note: str | None = None) -> int:
    """Mark the deliveries of a send attempt as sent with Telegram's message id; return how many."""
    return conn.execute(
        f"UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = {_UTC_NOW}, error = ? "
        "WHERE status = 'sending' AND attempt = ?",
        (message_id, note, attempt),
    ).rowcount


def release_deliveries(conn: sqlite3.Connection, attempt: str, error: str, *, count_attempt: bool,
                       max_attempts: int) -> tuple[int, int]:
    """Put the deliveries of a refused send back to pending ('failed' after ``max_attempts``).

    Returns (back to pending, failed).
    """
    step = 1 if count_attempt else 0
    statuses = [r[0] for r in conn.execute(
        "UPDATE deliveries SET attempts = attempts + :step, error = :error, attempt = NULL, "
        "status = CASE WHEN attempts + :step >= :max THEN 'failed' ELSE 'pending' END "
        "WHERE status = 'sending' AND attempt = :attempt RETURNING status",
        {"step": step, "error": error[:500], "max": max_attempts, "attempt": attempt},
    ).fetchall()]
    return statuses.count("pending"), statuses.count("failed")


def interrupted_deliveries(conn: sqlite3.Connection) -> list[InterruptedDelivery]:
    """Return deliveries left 'sending' (a process stopped between claiming and recording a send)."""
    return [InterruptedDelivery(*r) for r in conn.execute(
        "SELECT subscription_id, article_id, attempt FROM deliveries WHERE status = 'sending' "
        "ORDER BY attempt, subscription_id, article_id"
    ).fetchall()]


def settle_interrupted(conn: sqlite3.Connection, note: str) -> int:
    """Record every delivery left 'sending' as sent without a message id, with ``note``; return how many."""
    return conn.execute(
        f"UPDATE deliveries SET status = 'sent', sent_at = {_UTC_NOW}, error = ? WHERE status = 'sending'",
        (note,),
    ).rowcount


def delivery_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Return how many deliveries are in each status (for operators and tests)."""
    return {r[0]: r[1] for r in conn.execute("SELECT status, count(*) FROM deliveries GROUP BY status")}
