"""The bot's background work on PTB's JobQueue: the alert round and feed polling.

One alert round (every ``ARSHIF_ALERT_INTERVAL`` seconds, first after ~1 s, and at once after an
ingest through the bot via ``Jobs.trigger``) runs under a lock, so rounds never overlap: the
database side (``bot.alerts.prepare_round``: settle, resume, match) in a worker thread, then the
pending messages (``bot.alerts.outgoing``), chat by chat, by the outbox protocol of ``index.alerts``:
``claim`` (commit) → ``sendMessage`` → ``mark_sent`` with Telegram's message id (commit).
Telegram's answers decide what happens to a message:

- ``Forbidden`` (the user blocked the bot, or it left the group): the chat's subscriptions pause
  (``/subscriptions`` shows it); they resume when the user talks to the bot again. The alert stays
  pending and is sent then.
- ``RetryAfter`` (flood control; ``AIORateLimiter`` has already retried): sending stops until the
  time Telegram gave, and the round resumes then. Nothing is dropped.
- ``TimedOut`` (no answer: the message may or may not have arrived): recorded as possibly sent,
  like a crash, so it is never duplicated.
- any other error: the alert stays pending for the next round; after ``MAX_ATTEMPTS`` refusals it is
  marked failed and logged at ERROR.

Database work uses the conversation core's connections (``Conversation.conn``): one pool for the bot.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from arshif.index import alerts as engine
from arshif.index import feeds
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ContextTypes

from . import alerts
from .core import Conversation
from .replies import Button

__all__ = ["Jobs", "markup"]

log = logging.getLogger(__name__)
T = TypeVar("T")
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def markup(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Returns Telegram's inline keyboard for a reply's buttons (None without buttons)."""
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                                 for row in rows if row])


@dataclass
class Jobs:
    """The alert and feed jobs and what they keep between rounds: the round's lock, a rerun flag,
    the flood-control pause, and sends Telegram accepted whose recording failed."""

    conv: Conversation
    application: Application | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    rerun: bool = False
    paused_until: float = 0.0  # time.monotonic() before which nothing is sent (RetryAfter)
    unrecorded: list[tuple[str, int | None]] = field(default_factory=list)  # (attempt, message_id)
    stop: threading.Event = field(default_factory=threading.Event)  # ends a feed round between feeds
    rounds: int = 0  # finished alert rounds (tests wait on it instead of sleeping)

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Runs ``fn(conn, *args)`` in a worker thread with that thread's connection."""
        return await asyncio.to_thread(lambda: fn(self.conv.conn(), *args, **kwargs))

    def schedule(self, application: Application) -> None:
        """Starts the repeating alert job and, when ``ARSHIF_FEED_INTERVAL`` > 0, feed polling."""
        self.application = application
        jobs = application.job_queue
        if jobs is None:
            log.warning("no JobQueue (install python-telegram-bot[job-queue]): alerts are not sent")
            return
        settings = self.conv.settings
        # Extra instances only meet the lock and set the rerun flag, instead of APScheduler's "skipped" warning.
        jobs.run_repeating(self.alert_job, interval=max(0.1, settings.alert_interval), first=1.0, name="alerts",
                           job_kwargs={"max_instances": 4, "coalesce": True})
        if settings.feed_interval > 0:
            jobs.run_repeating(self.feed_job, interval=settings.feed_interval, first=5.0, name="feeds",
                               job_kwargs={"max_instances": 1, "coalesce": True})

    def trigger(self) -> None:
        """Runs the alert round now (articles were added, subscriptions resumed), not at the next tick."""
        if self.application is not None and self.application.job_queue is not None:
            self.application.job_queue.run_once(self.alert_job, 0, name="alerts-now")

    # --- the alert round

    async def alert_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs one alert round (or asks the running one to go again): users receive their new alerts."""
        if self.lock.locked():
            self.rerun = True  # an ingest finished during this round: look again right after it
            return
        async with self.lock:
            while True:
                self.rerun = False
                try:
                    await self._round(context.application)
                except sqlite3.OperationalError as exc:  # busy database: the next round retries
                    log.warning("alert round skipped: %s", exc)
                    return
                finally:
                    self.rounds += 1
                if not self.rerun:
                    return

    async def _round(self, application: Application) -> None:
        started = time.perf_counter()
        chats = await self.db(alerts.prepare_round, self.conv.settings, self.unrecorded)
        if time.monotonic() < self.paused_until:
            return
        sent = 0
        for chat in chats:
            for message in alerts.outgoing(chat):
                if not await self._send(application, chat, message):
                    return
                sent += 1
        if sent:
            log.info("alerts: %d messages to %d chats in %.2f s", sent, len(chats), time.perf_counter() - started)

    async def _send(self, application: Application, chat: engine.ChatAlerts, message: alerts.Outgoing) -> bool:
        """Sends one message by the outbox protocol; returns False when the round must stop."""
        attempt, claimed = await self.db(engine.claim, message.keys)
        if not claimed:
            return True
        try:
            sent: Message | None = None
            for i, part in enumerate(message.parts):
                last = i == len(message.parts) - 1
                sent = await application.bot.send_message(
                    chat.chat_id, part, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
                    reply_markup=markup(message.buttons) if last else None,
                )
        except Forbidden as exc:
            log.info("chat %s cannot receive alerts (%s): its subscriptions pause", chat.chat_id, exc.message)
            await self.db(engine.release, attempt, exc.message, count_attempt=False)
            await self.db(alerts.pause_chat, chat.chat_id)
            return True
        except RetryAfter as exc:
            after = exc.retry_after
            wait = after.total_seconds() if hasattr(after, "total_seconds") else float(after)
            log.warning("flood control: alerts wait %.0f s", wait)
            await self.db(engine.release, attempt, "flood control", count_attempt=False)
            self.paused_until = time.monotonic() + wait
            if application.job_queue is not None:
                application.job_queue.run_once(self.alert_job, wait + 0.5, name="alerts-after-flood")
            return False
        except TimedOut as exc:
            # Telegram may have shown it: never resend (see index.alerts).
            log.warning("alert send to chat %s timed out; recorded as possibly sent: %s", chat.chat_id, exc)
            await self.db(engine.mark_sent, attempt, None, note=engine.UNCONFIRMED_NOTE)
            return True
        except BadRequest as exc:
            log.error("Telegram refused an alert to chat %s: %s", chat.chat_id, exc.message)
            await self.db(engine.release, attempt, exc.message)
            return True
        except (NetworkError, TelegramError) as exc:  # not reached Telegram: try again next round
            log.warning("alert send to chat %s failed, kept pending: %s", chat.chat_id, exc)
            await self.db(engine.release, attempt, str(exc), count_attempt=False)
            return False
        message_id = sent.message_id if sent is not None else None
        try:
            await self.db(engine.mark_sent, attempt, message_id)
        except Exception:  # e.g. the database stayed locked: keep the id, record it first thing next round
            log.exception("alert sent (message %s) but not recorded yet; will record it next round", message_id)
            self.unrecorded.append((attempt, message_id))
            return False
        return True

    # --- feeds

    async def feed_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Polls every feed once (in a worker thread), then runs the alert round if articles arrived."""

        def poll(conn: sqlite3.Connection) -> int:
            return sum(len(r.added_ids) for r in feeds.poll_all(
                conn, stop=self.stop, allow_private=self.conv.settings.allow_private_urls))

        added = await self.db(poll)
        if added:
            log.info("feeds added %d articles", added)
            self.trigger()
