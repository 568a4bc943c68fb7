"""Who may use the bot, and how often: access decisions and the per-user incoming rate limit.

Access, first rule that applies wins:

1. the terminal chat (``arshif chat``) is the operator: always allowed;
2. admins (``ARSHIF_ADMINS``) are always allowed, so nobody can lock them out;
3. a user an admin denied (``/deny``, stored in the database) is refused, even in an allowed group
   or in open mode, because the admin's latest word should win over standing configuration;
4. users in ``ARSHIF_ALLOWED_USERS`` or allowed by an admin (``/allow``) are allowed;
5. everyone in a chat listed in ``ARSHIF_ALLOWED_CHATS`` is allowed there;
6. in open mode (``ARSHIF_OPEN``) everyone is allowed;
7. everyone else is a stranger.
"""

from __future__ import annotations

import sqlite3
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from arshif.index import store

from .config import Settings

__all__ = ["Decision", "RateLimiter", "decide"]

Reason = Literal["local", "admin", "denied", "user", "chat", "open", "stranger"]


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of an access check; ``blocked`` says the user had blocked the bot until now."""

    allowed: bool
    admin: bool
    reason: Reason
    blocked: bool = False


def decide(settings: Settings, conn: sqlite3.Connection, user_id: int, chat_id: int, *,
           local: bool = False) -> Decision:
    """Returns whether ``user_id`` may use the archive in ``chat_id`` (rules in the module docstring)."""
    if local:
        return Decision(True, True, "local")
    row = store.get_user(conn, user_id)
    status = row.status if row is not None else None
    blocked = row.blocked if row is not None else False
    if settings.is_admin(user_id):
        return Decision(True, True, "admin", blocked)
    if status == "denied":
        return Decision(False, False, "denied", blocked)
    if user_id in settings.allowed_users or status == "allowed":
        return Decision(True, False, "user", blocked)
    if chat_id in settings.allowed_chats:
        return Decision(True, False, "chat", blocked)
    if settings.open_mode:
        return Decision(True, False, "open", blocked)
    return Decision(False, False, "stranger", blocked)


class RateLimiter:
    """A sliding one-minute window of requests per user.

    ``check`` answers "ok" while the user is under the limit, "warn" for the first request over
    it (the bot says so once, politely) and "drop" for the rest of the window, so that a flood is
    not answered with a flood of warnings.
    """

    def __init__(self, per_minute: int, *, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = max(1, per_minute)
        self.window = window
        self.clock = clock
        self._hits: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}
        self._checks = 0

    def check(self, user_id: int) -> Literal["ok", "warn", "drop"]:
        """Records one request and returns what to do with it."""
        now = self.clock()
        self._checks += 1
        if self._checks % 1024 == 0:
            self.forget_idle()
        hits = self._hits.setdefault(user_id, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) < self.per_minute:
            hits.append(now)
            self._warned.pop(user_id, None)
            return "ok"
        warned = self._warned.get(user_id)
        if warned is not None and now - warned < self.window:
            return "drop"
        self._warned[user_id] = now
        return "warn"

    def forget_idle(self) -> None:
        """Drops users with no request in the window (keeps memory flat on a busy public bot)."""
        now = self.clock()
        for user_id in [u for u, h in self._hits.items() if not h or now - h[-1] >= self.window]:
            del self._hits[user_id]
            self._warned.pop(user_id, None)
