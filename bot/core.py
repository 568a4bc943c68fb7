r"""The conversation core: text in, reply model out. Knows nothing of Telegram.

Every feature a user notices is a method of ``Conversation`` that returns a ``Reply``
(``bot.replies``): questions, searches, paging, articles, subscriptions, the admin commands and
uploads. The Telegram adapter (``bot.telegram_app``) and the terminal chat (``arshif chat``) only
turn their input into a call here and show the reply, so both behave alike and everything is
testable without a bot. Access (``bot.access``) and engine errors (``index.errors`` → a sentence
from ``bot.texts`` in the user's language) are handled here, once, for every command and button.

Adding a command is one method here plus its row in ``bot.texts.COMMANDS`` (usage and menu
description in Arabic and English)::

    @on_command("trend")
    def trend_command(self, who: Who, args: str, lang: str) -> Reply:
        ...  # the reply: how often the words appeared, week by week

The decorator files the method under its name: the bot registers a Telegram handler for every
name in ``COMMAND_HANDLERS``, the menu and /help list it, ``arshif chat`` offers it, and
``@on_command("x", admin=True)`` refuses everyone but admins (and the terminal's operator). A button is
one method too: ``@on_button(r"fb:(?P<id>\d{1,12})")`` files it under a callback_data pattern (keep
the data under 64 bytes); the method gets the regex match and the pressed message's keyboard.
A bigger feature keeps its work in a module of its own that returns replies (``bot.alerts``,
``bot.admin``, ``bot.features``) and the method here only calls it. Such modules never import this
one (``tests/bot/test_layout.py`` fails on any import cycle): what they share with the core lives in
``bot.replies``, ``bot.render``, ``bot.routing`` and ``bot.texts``.

Routing of a plain message (``bot.routing``): a question when it reads like one («؟», "?", or a question word first),
otherwise a search. Follow-ups («ومتى وقعت؟», "and where?") are answered from the articles the chat
was last shown, which live in the database (``chat_context``) and so survive a restart.

Methods are synchronous and block on SQLite; the bot runs them in worker threads or processes.
Each thread gets its own connection (a SQLite connection must not be used by two threads at once);
``conn()`` is the one connection pool of the bot (its jobs use it too).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from arshif.index import qa as qa_engine
from arshif.index import search as search_engine
from arshif.index import store
from arshif.index.errors import (
    AlreadySubscribed,
    ArchiveError,
    ArticleNotFound,
    DateRangeError,
    FeedError,
    LimitError,
    QuerySyntaxError,
    SchemaTooNew,
    UnknownAnswer,
)
from arshif.index.models import Article

from . import access, admin, alerts, features, render
from .config import Settings
from .logs import loggable_text
from .replies import Button, Document, FactLine, Item, Notice, Reply, SourceLine, Who, utf16_len
from .routing import is_question
from .texts import help_text, language_for, t

__all__ = [
    "COMMAND_HANDLERS",
    "Button",
    "Conversation",
    "Document",
    "FactLine",
    "Item",
    "Notice",
    "Reply",
    "SourceLine",
    "Who",
    "answer_reply",
    "error_text",
    "is_question",
    "on_button",
    "on_command",
    "utf16_len",
]

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 500  # longer messages are cut (and the user is told): nobody asks 500 characters
PAGE_SIZE = 5
MAX_LIKE = 20  # "more like this" lists at most this many articles
# Beyond about three messages an article is easier to read as a file than as a wall of messages.
# Counted on the messages as sent (escaped, with direction marks), not on the raw text: «<» and «&»
# grow fivefold when escaped.
ARTICLE_MAX_MESSAGES = 3
ARTICLE_MAX_UNITS = ARTICLE_MAX_MESSAGES * render.MESSAGE_LIMIT  # longer raw text never fits in 3
# Facts that do not state the answer follow it in this order: who, when, where, amounts.
_FACT_ORDER = {"person": 0, "org": 1, "date": 2, "place": 3, "money": 4, "number": 5, "quantity": 5, "percent": 6}

# --- the command and button registry -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A /command: the ``Conversation`` method that answers it, and whether only admins may use it."""

    name: str
    method: str
    admin: bool = False
    refusal: str = "admins_only"  # the texts key admins-only commands answer everyone else with
    lang_from_args: bool = True  # False when the arguments are no language (a URL): the user's setting decides


COMMAND_HANDLERS: dict[str, CommandSpec] = {}
BUTTON_HANDLERS: list[tuple[re.Pattern[str], str]] = []


def on_command(name: str, *, admin: bool = False, refusal: str = "admins_only",
               lang_from_args: bool = True) -> Callable[[Callable], Callable]:
    """Files a ``Conversation`` method ``(self, who, args, lang) -> Reply`` as the answer to /name."""

    def register(fn: Callable) -> Callable:
        COMMAND_HANDLERS[name] = CommandSpec(name, fn.__name__, admin, refusal, lang_from_args)
        return fn

    return register


def on_button(pattern: str) -> Callable[[Callable], Callable]:
    """Files a ``Conversation`` method ``(self, who, match, lang, keyboard) -> Reply`` for buttons
    whose callback_data matches ``pattern`` (whole string)."""

    def register(fn: Callable) -> Callable:
        BUTTON_HANDLERS.append((re.compile(pattern), fn.__name__))
        return fn

    return register


def _item(source: SourceLine, excerpt: str, spans: Sequence[tuple[int, int]] = (), number: int | None = None) -> Item:
    text, moved = render.flatten(excerpt, spans)
    return Item(source, text, moved, number)


def _source(article: Article) -> SourceLine:
    return SourceLine(article.id, article.title, article.url, article.published, article.source)


# --- the conversation -----------------------------------------------------------------------------


def answer_reply(ans: qa_engine.Answer, lang: str, notes: tuple[str, ...] = ()) -> Reply:
    """Returns the reply for an engine answer: facts first, the excerpt with the answer in bold,
    the source; or, with no clear answer, the closest excerpts. ``shown`` holds the articles a
    follow-up question should be about. Used by the bot, ``arshif chat`` and ``arshif ask``."""
    if not ans.sources:
        return Reply(lang, kind="answer", lead=t("nothing_found", lang), notes=notes)
    if ans.answer is None:
        # Not sure: say so, and show the closest one or two passages with their sources; no facts.
        shown = ans.shown_ids
        items = tuple(_item(_src(s), s.excerpt) for s in ans.sources if s.article_id in shown)
        if ans.other_language:
            notes = (*notes, t("other_language", lang))
        return Reply(lang, kind="answer", lead=t("not_sure", lang), items=items, notes=notes, shown=shown)
    top = ans.sources[0]
    answering = [f for f in ans.facts if f.text and (f.text in ans.answer or ans.answer in f.text)]
    context_facts = sorted((f for f in ans.facts if f not in answering), key=lambda f: _FACT_ORDER.get(f.kind, 9))
    facts = tuple(_fact_line(f, lang) for f in (*answering, *context_facts))
    covered = bool(answering)
    return Reply(
        lang, kind="answer", answer=None if covered else ans.answer, facts=facts,
        items=(_item(_src(top), top.excerpt, top.highlights),), notes=notes,
        buttons=((Button(t("button_open", lang), f"a:{top.article_id}"),
                  Button(t("button_like", lang), f"m:{top.article_id}")),),
        shown=(top.article_id,),
    )


@dataclass
class Conversation:
    """The bot's behaviour over one archive database; safe to call from many threads at once.

    ``allow_private_urls`` lets /add fetch pages on private addresses (``bot.admin.private_allowed``).
    """

    db_path: str | Path
    settings: Settings
    bot_username: str | None = None
    allow_private_urls: bool = False
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _generation: int = field(default=0, init=False, repr=False)

    # --- plumbing

    def conn(self) -> sqlite3.Connection:
        """Returns this thread's connection, opening it on first use (and after ``close``)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.generation != self._generation:
            if conn is not None:
                conn.close()  # this thread's connection from before close(): closed here, by its own thread
            conn = store.connect(self.db_path)
            self._local.conn, self._local.generation = conn, self._generation
        return conn

    def close(self) -> None:
        """Retires every connection (at shutdown); a later call opens new ones.

        Only the calling thread's connection is closed here. Another thread may still be inside a query
        (an alert round outliving the job queue at shutdown), and closing a connection under a running
        statement from another thread crashes the sqlite3 module; those close when their thread next asks
        for a connection, or when the thread ends and its thread-local storage is released.
        """
        with self._lock:
            self._generation += 1
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            with contextlib.suppress(sqlite3.ProgrammingError):
                conn.close()

    def set_blocked(self, user_id: int, blocked: bool = True) -> None:
        """Records that the user blocked the bot (Telegram answered 403 Forbidden)."""
        store.set_user_blocked(self.conn(), user_id, blocked)

    def access(self, who: Who) -> access.Decision:
        """Returns the access decision for ``who`` (see ``bot.access``)."""
        return access.decide(self.settings, self.conn(), who.user_id, who.chat_id, local=who.local)

    def is_admin(self, who: Who) -> bool:
        """True for admins (``ARSHIF_ADMINS``) and the terminal chat's operator."""
        return who.local or self.settings.is_admin(who.user_id)

    # --- entry points

    def handle(self, who: Who, text: str) -> Reply:
        """Returns the reply to a message: a /command, a question or a search."""
        text = (text or "").strip()
        if text.startswith("/"):
            head, *rest = text.split(maxsplit=1)
            name = head[1:].split("@", 1)[0].lower()
            return self.command(who, name, rest[0].strip() if rest else "")
        return self._guarded(who, text, lambda lang: self._message(who, text, lang))

    def command(self, who: Who, name: str, args: str = "") -> Reply:
        """Returns the reply to ``/name args`` (``COMMAND_HANDLERS``; unknown names get "see /help")."""
        spec = COMMAND_HANDLERS.get(name)
        if spec is None:
            return self._guarded(who, args, lambda lang: Reply(lang, lead=t("unknown_command", lang)))

        def run(lang: str) -> Reply:
            if spec.admin and not self.is_admin(who):
                log.info("refused an admin command (%s) to user %s", name, who.user_id)
                return Reply(lang, kind="refusal", lead=t(spec.refusal, lang))
            return getattr(self, spec.method)(who, args, lang)

        return self._guarded(who, args, run,
                             lang=language_for(who.language_code, (args or None) if spec.lang_from_args else None))

    def callback(self, who: Who, data: str, keyboard: Sequence[Sequence[str]] = ()) -> Reply:
        """Returns the reply to a button press (``BUTTON_HANDLERS``); ``keyboard`` holds the
        callback_data of the pressed message's buttons. Stale or forged data get a polite
        "expired" (as a toast too when no button ever carries such data)."""
        lang = language_for(who.language_code)
        for pattern, method in BUTTON_HANDLERS:
            m = pattern.fullmatch(data or "")
            if m is not None:
                action = getattr(self, method)
                return self._guarded(who, None, lambda lang, action=action, m=m: action(who, m, lang, keyboard),
                                     lang=lang)
        log.info("callback: malformed data (%d bytes)", len((data or "").encode()))
        return Reply(lang, kind="stale", lead=t("stale_button", lang), toast=t("stale_button", lang))

    def upload(self, who: Who, filename: str, content: bytes | None, size: int | None = None) -> Reply | None:
        """Returns the reply to a document sent to the bot (admins): ingested, then the summary.

        With ``content=None`` it only checks (access, admin, type, ``size``) and returns the refusal,
        or None when the file is worth downloading.
        """
        def run(lang: str) -> Reply | None:
            if not self.is_admin(who):
                log.info("refused an upload to user %s", who.user_id)
                return Reply(lang, kind="refusal", lead=t("admins_only", lang))
            if content is None:
                return admin.upload_refusal(self.settings, filename, size, lang)
            return admin.upload_reply(self.conn(), self.settings, who.user_id, filename, content, lang)

        return self._guarded(who, None, run)

    def inline(self, who: Who, text: str) -> features.InlineAnswer:
        """Returns what ``@bot text`` offers in any chat: for a question its answer with the source,
        then the best matching articles; users who are not let in get a button to the bot instead."""
        lang = language_for(who.language_code, text)
        return features.inline_answer(self.conn(), who, self.access(who).allowed, text, lang)

    # --- access and errors

    def _guarded(self, who: Who, text: str | None, action, *, lang: str | None = None) -> Reply:
        """Returns ``action(lang)`` for allowed users, the refusal sentence for others.

        A user who had blocked the bot is writing again: their paused subscriptions resume (the
        reply says so). Engine errors meant for users (``ArchiveError``) become the reply, in the
        user's language (``error_text``); a busy database gets "try again"; anything else
        propagates to the bot's error handler.
        """
        lang = lang or language_for(who.language_code, text)
        decision = self.access(who)
        resumed = 0
        if decision.blocked:  # they are talking to us again
            resumed = alerts.welcome_back(self.conn(), who.user_id)
        if not decision.allowed:
            log.info("refused user %s in chat %s (%s)", who.user_id, who.chat_id, decision.reason)
            if decision.reason == "denied":
                return Reply(lang, kind="refusal", lead=t("denied", lang, user_id=who.user_id))
            key = "stranger" if who.chat_type == "private" or who.chat_id == who.user_id else "stranger_group"
            return Reply(lang, kind="refusal", lead=t(key, lang, user_id=who.user_id, chat_id=who.chat_id))
        try:
            reply = action(lang)
        except ArchiveError as exc:
            reply = Reply(lang, kind="error", lead=error_text(exc, lang))
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            log.warning("database busy: %s", exc)
            reply = Reply(lang, kind="error", lead=t("busy", lang))
        if resumed and reply is not None:
            reply = dataclasses.replace(reply, notes=(t("resumed", lang, n=resumed), *reply.notes), alerts_due=True)
        return reply

    # --- the commands (registered by name: see the module docstring)

    @on_command("start")
    def start_command(self, who: Who, args: str, lang: str) -> Reply:
        """Returns the greeting: what the bot does and how to ask."""
        return Reply(lang, lead=t("start", lang, name=who.first_name or ""))

    @on_command("help")
    def help_command(self, who: Who, args: str, lang: str) -> Reply:
        """Returns how to ask and search, then every command with its usage."""
        return Reply(lang, lead=help_text(lang, bot_username=self.bot_username))

    @on_command("ask")
    def ask_command(self, who: Who, args: str, lang: str) -> Reply:
        """Returns the answer to the question after /ask."""
        return self.ask(who, args, lang) if args else Reply(lang, lead=t("ask_usage", lang))

    @on_command("search")
    def search_command(self, who: Who, args: str, lang: str) -> Reply:
        """Returns the first page of results for the words after /search."""
        return self.search(who, args, lang) if args else Reply(lang, lead=t("search_usage", lang))

    @on_command("latest")
    def latest_command(self, who: Who, args: str, lang: str) -> Reply:
        """Returns the first page of the latest articles."""
        return self.latest(who, 0, lang)

    @on_command("article")
    def article_command(self, who: Who, args: str, lang: str) -> Reply:
        """Returns the article whose number follows /article (as messages or a file)."""
        m = re.fullmatch(r"#?(\d{1,12})", args.strip())
        if m is None:
            return Reply(lang, lead=t("article_usage", lang))
        return self.article(who, int(m.group(1)), lang)

    @on_command("subscribe")
    def subscribe_command(self, who: Who, args: str, lang: str) -> Reply:
        """Returns the new subscription, how many archived articles match it and the newest one."""
        return alerts.subscribe_reply(self.conn(), self.settings, who, args, lang)

    @on_command("subscriptions")
    def subscriptions_command(self, who: Who, args: str, lang: str) -> Reply:
        """Returns the user's subscriptions with their state, delete and mute/unmute buttons."""
        return alerts.subscriptions_reply(self.conn(), self.settings, who, lang)

    @on_command("unsubscribe")
    def unsubscribe_command(self, who: Who, args: str, lang: str) -> Reply:
        """Returns "deleted", or that the user has no subscription with that number."""
        return alerts.unsubscribe_reply(self.conn(), who, args, lang)

    @on_command("trend")
    def trend_command(self, who: Who, args: str, lang: str) -> Reply:
        """Returns the chart (PNG) of how many articles matching the words appeared per day, week or
        month, captioned with the total and the peak; nothing found is said in text."""
        return features.trend_reply(self.conn(), who, args, lang)

    @on_command("who")
    def who_command(self, who: Who, args: str, lang: str) -> Reply:
        """Returns what the archive says about a person (roles and when, organisations, places, the
        latest articles as buttons), or the candidates when the name is ambiguous."""
        return features.who_reply(self.conn(), who, args, lang)

    @on_button(r"t:(?P<id>\d{1,12}):s")
    def trend_by_source_button(self, who: Who, m: re.Match[str], lang: str, keyboard: object) -> Reply:
        """Returns the /trend chart again, one line per source."""
        return features.trend_by_source_reply(self.conn(), who, int(m["id"]), lang)

    @on_button(r"w:(?P<id>\d{1,12})")
    def who_candidate_button(self, who: Who, m: re.Match[str], lang: str, keyboard: object) -> Reply:
        """Returns the profile of the candidate whose button was pressed."""
        return features.who_candidate_reply(self.conn(), who, int(m["id"]), lang)

    @on_button(r"f:(?P<id>\d{1,12}):(?P<rating>[ud])")
    def feedback_button(self, who: Who, m: re.Match[str], lang: str, keyboard: object) -> Reply:
        """Acknowledges a 👍/👎 press with a pop-up; the rating is stored and a later press changes it."""
        return features.rate_reply(self.conn(), who, int(m["id"]), m["rating"] == "u", lang)

    @on_command("allow", admin=True)
    def allow_command(self, who: Who, args: str, lang: str) -> Reply:
        """Lets a user in (admins); the user is told."""
        return self._set_user(who, "allow", args, lang)

    @on_command("deny", admin=True)
    def deny_command(self, who: Who, args: str, lang: str) -> Reply:
        """Shuts a user out (admins); configured admins cannot be."""
        return self._set_user(who, "deny", args, lang)

    @on_command("users", admin=True)
    def users_command(self, who: Who, args: str, lang: str) -> Reply:
        """Returns who may use the bot: configuration, then the users admins let in or out."""
        return self._users(who, lang)

    @on_command("add", admin=True, lang_from_args=False)
    def add_command(self, who: Who, args: str, lang: str) -> Reply:
        """Fetches the page after /add, ingests it, and returns what was added or why not (admins)."""
        return admin.add_reply(self.conn(), self.settings, who.user_id, args, lang,
                               allow_private=self.allow_private_urls)

    @on_command("feeds", admin=True)
    def feeds_command(self, who: Who, args: str, lang: str) -> Reply:
        """Returns every feed with its last success or its failures (admins)."""
        return admin.feeds_reply(self.conn(), lang)

    @on_command("stats", admin=True, refusal="stats_admins_only")
    def stats_command(self, who: Who, args: str, lang: str) -> Reply:
        """Returns the archive figures (admins)."""
        return admin.stats_reply(self.conn(), self.settings, lang)

    # --- the buttons

    @on_button(r"a:(?P<id>\d{1,12})")
    def open_button(self, who: Who, m: re.Match[str], lang: str, keyboard: Sequence[Sequence[str]]) -> Reply:
        """Returns the article the button names."""
        return self.article(who, int(m.group("id")), lang)

    @on_button(r"m:(?P<id>\d{1,12})")
    def like_button(self, who: Who, m: re.Match[str], lang: str, keyboard: Sequence[Sequence[str]]) -> Reply:
        """Returns the first page of articles like the one the button names."""
        return self.like(who, int(m.group("id")), 0, lang)

    @on_button(r"l:(?P<page>\d{1,4})")
    def latest_button(self, who: Who, m: re.Match[str], lang: str, keyboard: Sequence[Sequence[str]]) -> Reply:
        """Returns a page of the latest articles, in place of the pressed one."""
        return self.latest(who, int(m.group("page")), lang, edit=True)

    @on_button(r"s:(?P<qid>\d{1,12}):(?P<page>\d{1,4})")
    def page_button(self, who: Who, m: re.Match[str], lang: str, keyboard: Sequence[Sequence[str]]) -> Reply:
        """Returns another page of a search (or of "more like this"), in place of the pressed one."""
        return self._page(who, int(m.group("qid")), int(m.group("page")), lang)

    @on_button(alerts.CALLBACK.pattern)
    def subscription_button(self, who: Who, m: re.Match[str], lang: str,
                            keyboard: Sequence[Sequence[str]]) -> Reply:
        """Deletes, mutes or unmutes a subscription: a toast, and a /subscriptions list redrawn in place."""
        reply = alerts.button_reply(self.conn(), self.settings, who, m.group(0), lang, keyboard)
        assert reply is not None
        return reply

    # --- questions and searches

    def _message(self, who: Who, text: str, lang: str) -> Reply:
        if not text:
            return Reply(lang, lead=t("empty_message", lang))
        if is_question(text):
            return self.ask(who, text, lang)
        return self.search(who, text, lang)

    def _clip(self, text: str, lang: str) -> tuple[str, tuple[str, ...]]:
        text = " ".join(text.split())
        if len(text) <= MAX_QUERY_CHARS:
            return text, ()
        cut = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] or text[:MAX_QUERY_CHARS]
        return cut, (t("truncated", lang, n=MAX_QUERY_CHARS),)

    def ask(self, who: Who, question: str, lang: str) -> Reply:
        """Returns the answer to a question: facts, the excerpt with the answer in bold, the source."""
        started = time.perf_counter()
        question, notes = self._clip(question, lang)
        conn = self.conn()
        analysis = qa_engine.analyze_question(question)
        context: list[int] | None = None
        previous: str | None = None
        previous_answer: str | None = None
        if analysis.is_followup:
            # Only a follow-up looks at the chat's memory (the articles shown, the question asked
            # and its answer): a new question about something else drops the old subject.
            ids, previous = store.load_chat_context(conn, who.chat_id)
            previous_answer = store.load_chat_answer(conn, who.chat_id)
            context = ids or None
        ans = qa_engine.answer_question(conn, question, context_ids=context, lang=lang, previous=previous,
                                        previous_answer=previous_answer)
        if self.settings.debug_log_messages:
            log.debug("question %s", loggable_text(question, log_messages=True))
        log.info("ask: %d chars, follow-up %s, answered %s, %.0f ms", len(question), context is not None,
                 ans.answer is not None, (time.perf_counter() - started) * 1000)
        reply = answer_reply(ans, lang, notes)
        reply = features.with_feedback(conn, who, question, ans, reply)  # 👍/👎, the answer logged
        if reply.shown:
            # The chat remembers the article the answer came from: a follow-up is about it, not
            # about the runners-up (which would compete with it for «ومتى وقعت؟»).
            store.save_chat_context(conn, who.chat_id, reply.shown, ans.question_asked, ans.best_guess)
        return reply

    def search(self, who: Who, query: str, lang: str) -> Reply:
        """Returns the first page of search results, with buttons to page and open articles."""
        query, notes = self._clip(query, lang)
        query_id = store.save_bot_query(self.conn(), who.chat_id, query)
        return self._results(who, query_id, query, 0, lang, notes=notes)

    def _page(self, who: Who, query_id: int, page: int, lang: str) -> Reply:
        row = store.load_bot_query(self.conn(), query_id)
        if row is None or row.chat_id != who.chat_id:
            log.info("callback: query %s unknown in chat %s", query_id, who.chat_id)
            return Reply(lang, kind="stale", lead=t("stale_button", lang))
        if row.exclude_id is not None:
            return self._like_page(who, query_id, row.query, row.exclude_id, page, lang, edit=True)
        return self._results(who, query_id, row.query, page, lang, edit=True)

    def _results(self, who: Who, query_id: int, query: str, page: int, lang: str, *,
                 notes: tuple[str, ...] = (), edit: bool = False) -> Reply:
        conn = self.conn()
        result = search_engine.run(conn, query, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
        if not result.results:
            if page > 0 and result.total:
                return Reply(lang, kind="stale", lead=t("stale_button", lang))
            buttons: tuple[tuple[Button, ...], ...] = ()
            if result.suggestion:
                notes = (*notes, t("suggestion", lang, suggestion=result.suggestion))
                suggestion_id = store.save_bot_query(conn, who.chat_id, result.suggestion)
                buttons = ((Button(f"🔎 {result.suggestion[:40]}", f"s:{suggestion_id}:0"),),)
            return Reply(lang, kind="results", lead=t("no_results", lang, query=_short(query)), notes=notes,
                         buttons=buttons, edit=edit)
        pages = -(-result.total // PAGE_SIZE)
        items = tuple(
            _item(SourceLine(h.article_id, h.title, h.url, h.published, h.source), h.excerpt, h.highlights,
                  number=page * PAGE_SIZE + i)
            for i, h in enumerate(result.results, 1)
        )
        shown = tuple(h.article_id for h in result.results)
        store.save_chat_context(conn, who.chat_id, shown, None)
        lead = t("results_head", lang, total=result.total, query=_short(query), page=page + 1, pages=pages)
        nav = _nav(lang, page, page + 1 < pages, lambda p: f"s:{query_id}:{p}")
        return Reply(lang, kind="results", lead=lead, items=items, notes=notes,
                     buttons=_open_row(items) + nav, edit=edit, shown=shown)

    def like(self, who: Who, article_id: int, page: int, lang: str) -> Reply:
        """Returns articles like this one (its title as the query, itself left out), first page."""
        article = store.get_article(self.conn(), article_id)
        query_id = store.save_bot_query(self.conn(), who.chat_id, article.title, article_id)
        return self._like_page(who, query_id, article.title, article_id, page, lang)

    def _like_page(self, who: Who, query_id: int, title: str, exclude_id: int, page: int, lang: str, *,
                   edit: bool = False) -> Reply:
        conn = self.conn()
        # Ranked OR over the title's informative words: AND would find only the article itself.
        ids = [a for a in qa_engine.retrieve_articles(conn, title, limit=MAX_LIKE + 1) if a != exclude_id]
        ids = ids[:MAX_LIKE]
        if not ids:
            return Reply(lang, kind="results", lead=t("no_like", lang, title=_short(title)), edit=edit)
        pages = -(-len(ids) // PAGE_SIZE)
        if page >= pages:
            return Reply(lang, kind="stale", lead=t("stale_button", lang))
        window = ids[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
        articles = store.get_articles(conn, window)
        terms = qa_engine.analyze_question(title).terms
        items = []
        for i, article_id in enumerate(window, 1):
            art = articles.get(article_id)
            if art is None:
                continue
            text, spans = search_engine.excerpt(art.body, terms)
            items.append(_item(_source(art), text, spans, number=page * PAGE_SIZE + i))
        store.save_chat_context(conn, who.chat_id, window, None)
        lead = t("like_head", lang, title=_short(title), page=page + 1, pages=pages)
        nav = _nav(lang, page, page + 1 < pages, lambda p: f"s:{query_id}:{p}")
        return Reply(lang, kind="results", lead=lead, items=tuple(items), buttons=_open_row(items) + nav,
                     edit=edit, shown=tuple(window))

    def latest(self, who: Who, page: int, lang: str, *, edit: bool = False) -> Reply:
        """Returns a page of the most recent articles, with buttons to open them and page on."""
        conn = self.conn()
        articles = store.latest_articles(conn, limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE)
        if not articles:
            key = "archive_empty" if page == 0 else "stale_button"
            return Reply(lang, kind="stale" if page else "results", lead=t(key, lang))
        more = len(articles) > PAGE_SIZE
        articles = articles[:PAGE_SIZE]
        items = tuple(
            Item(_source(a), _opening(a.body), number=page * PAGE_SIZE + i) for i, a in enumerate(articles, 1)
        )
        shown = tuple(a.id for a in articles)
        store.save_chat_context(conn, who.chat_id, shown, None)
        nav = _nav(lang, page, more, lambda p: f"l:{p}")
        return Reply(lang, kind="results", lead=t("latest_head", lang, page=page + 1), items=items,
                     buttons=_open_row(items) + nav, edit=edit, shown=shown)

    def article(self, who: Who, article_id: int, lang: str) -> Reply:
        """Returns a whole article: as messages, or as a .txt file when it takes more than three
        messages as sent (escaped, with direction marks)."""
        conn = self.conn()
        try:
            art = store.get_article(conn, article_id)
        except ArticleNotFound:
            return Reply(lang, kind="error", lead=t("article_not_found", lang, id=article_id))
        store.save_chat_context(conn, who.chat_id, [art.id], None)
        buttons = ((Button(t("button_like", lang), f"m:{art.id}"),),)
        reply = Reply(lang, kind="article", article=_source(art), body=art.body, buttons=buttons, shown=(art.id,))
        # Raw text over the cap never fits (escaping only adds); otherwise count the real messages.
        too_long = utf16_len(art.title) + utf16_len(art.body) > ARTICLE_MAX_UNITS
        if too_long or len(render.render_html(reply)) > ARTICLE_MAX_MESSAGES:
            meta = " · ".join(x for x in (art.published, art.source, art.url) if x)
            content = f"{art.title}\n{meta}\n\n{art.body.strip()}\n".encode()
            doc = Document(f"article-{art.id}.txt", content, f"{art.title}\n{t('article_sent_as_file', lang)}")
            return dataclasses.replace(reply, body=None, document=doc)
        return reply

    # --- admin commands

    def _set_user(self, who: Who, action: str, args: str, lang: str) -> Reply:
        m = re.fullmatch(r"\d{1,15}", args.strip())
        if m is None or int(args) <= 0:
            return Reply(lang, lead=t("user_usage", lang, command=action))
        user_id = int(args)
        if action == "deny":
            if self.settings.is_admin(user_id):
                return Reply(lang, lead=t("cannot_deny_admin", lang, user_id=user_id))
            store.set_user_status(self.conn(), user_id, "denied", who.user_id)
            log.info("admin %s denied user %s", who.user_id, user_id)
            return Reply(lang, lead=t("denied_user", lang, user_id=user_id))
        store.set_user_status(self.conn(), user_id, "allowed", who.user_id)
        log.info("admin %s allowed user %s", who.user_id, user_id)
        welcome = f"{t('welcome_in', 'ar')}\n{t('welcome_in', 'en')}"
        return Reply(lang, lead=t("allowed_user", lang, user_id=user_id), notices=(Notice(user_id, welcome),))

    def _users(self, who: Who, lang: str) -> Reply:
        s = self.settings
        lines = [t("users_title", lang)]
        for key, ids in (("users_admins", s.admins), ("users_config", s.allowed_users),
                         ("users_chats", s.allowed_chats)):
            if ids:
                lines.append(t(key, lang, ids=", ".join(map(str, ids))))
        if s.open_mode:
            lines.append(t("users_open", lang))
        rows = store.list_users(self.conn())
        for row in rows:
            lines.append(t("user_row", lang, user_id=row.user_id, status=t(f"status_{row.status}", lang),
                           blocked=t("blocked_mark", lang) if row.blocked else ""))
        if len(lines) == 1:
            lines.append(t("users_none", lang))
        return Reply(lang, lead="\n".join(lines))


# --- helpers --------------------------------------------------------------------------------------


def _src(source: qa_engine.Source) -> SourceLine:
    return SourceLine(source.article_id, source.title, source.url, source.published, source.source)


def _fact_line(fact: qa_engine.Fact, lang: str) -> FactLine:
    """Returns a fact for display: dates as the calendar label plus «the phrase as written»."""
    kind = fact.kind if fact.kind in ("person", "org", "date", "place", "money", "number", "quantity",
                                      "percent") else "other"
    label = t(f"fact_{kind}", lang)
    if fact.kind == "date":
        if fact.label and fact.label != fact.text:
            return FactLine(fact.kind, label, fact.label, f"«{fact.text}»")
        return FactLine(fact.kind, label, fact.text)
    return FactLine(fact.kind, label, fact.text, fact.role)


def error_text(exc: ArchiveError, lang: str) -> str:
    """Returns an engine error as a sentence from ``bot.texts`` in ``lang``, from the error's fields.

    An error without its own sentence there shows the engine's message (English), which always
    says what to do next.
    """
    if isinstance(exc, AlreadySubscribed):
        return t("already", lang, id=exc.sub_id)
    if isinstance(exc, LimitError) and exc.what == "subscriptions":
        return t("limit", lang, limit=exc.limit)
    if isinstance(exc, LimitError) and exc.what == "query":
        return t("query_too_long", lang, limit=exc.limit)
    if isinstance(exc, DateRangeError) and exc.value is not None:
        return t("bad_date", lang, name=exc.key, value=exc.value)
    if isinstance(exc, DateRangeError) and exc.since is not None:
        return t("reversed_dates", lang, since=exc.since, until=exc.until)
    if isinstance(exc, QuerySyntaxError):
        return t("bad_query", lang) if lang == "ar" else str(exc)
    if isinstance(exc, SchemaTooNew):
        return t("schema_too_new", lang, version=exc.version)
    if isinstance(exc, FeedError):
        return t("feed_error", lang, reason=str(exc))
    if isinstance(exc, ArticleNotFound):
        return t("article_not_found", lang, id="?") if lang == "ar" else str(exc)
    if isinstance(exc, UnknownAnswer):  # a 👍/👎 under an answer that was never logged
        return t("unknown_answer", lang)
    return str(exc)


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _opening(body: str, n: int = 200) -> str:
    """Returns the first ``n`` characters of an article, cut at a space."""
    text = " ".join(body.split())
    return text if len(text) <= n else text[:n].rsplit(" ", 1)[0] + " …"


def _open_row(items: Sequence[Item]) -> tuple[tuple[Button, ...], ...]:
    row = tuple(Button(f"📄 {item.number}", f"a:{item.source.article_id}") for item in items)
    return (row,) if row else ()


def _nav(lang: str, page: int, more: bool, data: Callable[[int], str]) -> tuple[tuple[Button, ...], ...]:
    row: list[Button] = []
    if page > 0:
        row.append(Button(t("button_prev", lang), data(page - 1)))
    if more:
        row.append(Button(t("button_next", lang), data(page + 1)))
    return (tuple(row),) if row else ()


def flat_buttons(reply: Reply) -> Iterable[Button]:
    """Yields every button of a reply, row by row."""
    for row in reply.buttons:
        yield from row
