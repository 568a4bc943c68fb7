"""The conversation core: text in, reply model out. Knows nothing of Telegram.

The Telegram handlers and the terminal chat (``arshif chat``) both call ``Conversation``, so every
behaviour a user notices (routing a message to an answer or a search, paging, follow-ups, access)
is testable without a bot. Replies are frozen dataclasses; ``bot.render`` turns them into HTML.

Routing of a plain message: a question when it reads like one («؟», "?", or a question word first),
otherwise a search. Follow-ups («ومتى وقعت؟», "and where?") are answered from the articles the chat
was last shown, which live in the database (``chat_context``) and so survive a restart.

Methods are synchronous and block on SQLite; the bot runs them with ``asyncio.to_thread``. Each
thread gets its own connection (a SQLite connection must not be used by two threads at once).
"""

from __future__ import annotations

import contextlib
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
from arshif.index.analysis import fold, normalize
from arshif.index.errors import ArchiveError, ArticleNotFound, QuerySyntaxError
from arshif.index.models import Article

from . import access
from .config import Settings
from .logs import loggable_text
from .texts import help_text, language_for, t

__all__ = [
    "Button",
    "Conversation",
    "Document",
    "FactLine",
    "Item",
    "Notice",
    "Reply",
    "SourceLine",
    "Who",
    "is_question",
]

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 500  # longer messages are cut (and the user is told): nobody asks 500 characters
PAGE_SIZE = 5
MAX_LIKE = 20  # "more like this" lists at most this many articles
# Beyond about three messages an article is easier to read as a file than as a wall of messages.
ARTICLE_MAX_UNITS = 3 * 3800
# Facts that do not state the answer follow it in this order: who, when, where, amounts.
_FACT_ORDER = {"person": 0, "org": 1, "date": 2, "place": 3, "money": 4, "number": 5, "quantity": 5, "percent": 6}
_CALLBACK = re.compile(r"(?P<kind>[am]):(?P<id>\d{1,12})|l:(?P<lpage>\d{1,4})|s:(?P<qid>\d{1,12}):(?P<page>\d{1,4})")

# First words that make a message a question. Folded like the index («أين» → «اين»), with the
# glued «و»/«ف» of a follow-up («ومتى») removed before the lookup.
_QUESTION_WORDS = frozenset(
    fold(normalize(w))
    for w in """من متى أين اين كم ما ماذا ماهو ماهي لماذا لما كيف هل أي اي أية لمن
    who whom whose when where what which why how is are was were did does do can""".split()
)


# --- the reply model ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: its label and callback_data (at most 64 bytes, see ``bot.render``)."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class FactLine:
    """One fact of an answer: "who: Samer Al-Khatib — Jordan's energy minister"."""

    kind: str  # person, org, date, place, money, number, quantity, percent
    label: str  # the kind in the reply's language («من», "When")
    text: str  # the name, the calendar date, the place, the amount
    detail: str | None = None  # a person's role; a date's phrase as written («مطلع يوليو/تموز الماضي»)


@dataclass(frozen=True, slots=True)
class SourceLine:
    """Where something comes from: the article's title, link, date and source name."""

    article_id: int
    title: str
    url: str | None = None
    published: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """An excerpt and its source; numbered items are search results (title first)."""

    source: SourceLine
    excerpt: str = ""
    highlights: tuple[tuple[int, int], ...] = ()
    number: int | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A file to send instead of messages (a long article)."""

    filename: str
    content: bytes
    caption: str


@dataclass(frozen=True, slots=True)
class Notice:
    """A message to another chat (the user an admin just let in)."""

    chat_id: int
    text: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says. ``bot.render`` lays it out: notes, article header, lead, answer, facts,
    items, article body; ``buttons`` go under the last message.

    ``edit`` asks to replace the message whose button was pressed (paging); ``shown`` lists the
    article ids the reply shows.
    """

    lang: str = "ar"
    kind: str = "text"  # text, answer, results, article, refusal, stale, error
    lead: str = ""
    answer: str | None = None  # the short answer, when the facts do not already say it
    facts: tuple[FactLine, ...] = ()
    items: tuple[Item, ...] = ()
    article: SourceLine | None = None
    body: str | None = None
    notes: tuple[str, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()
    document: Document | None = None
    edit: bool = False
    notices: tuple[Notice, ...] = ()
    shown: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Who:
    """Who is talking, and where: enough to decide access, language and chat memory."""

    user_id: int
    chat_id: int
    language_code: str | None = None
    chat_type: str = "private"
    first_name: str | None = None
    local: bool = False  # the terminal chat: the operator, trusted


def is_question(text: str) -> bool:
    """True when a message reads like a question: «؟» or "?", or a question word first."""
    if "؟" in text or "?" in text:
        return True
    words = text.split(maxsplit=1)
    if not words:
        return False
    first = fold(normalize(words[0])).strip(".,:;!«»\"'()")
    if first in _QUESTION_WORDS:
        return True
    # «ومتى», «فأين»: a glued conjunction in front of a question word.
    return len(first) > 2 and first[0] in "وف" and first[1:] in _QUESTION_WORDS


def flatten(text: str, spans: Sequence[tuple[int, int]] = ()) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Returns the excerpt on one line (whitespace runs become one space) with its spans moved along.

    An excerpt that crosses a paragraph break would otherwise look like two items in a list.
    """
    out: list[str] = []
    where: list[int] = []  # where[k]: offset in the result of offset k in ``text``
    size = 0
    for m in re.finditer(r"\s+|\S+", text):
        if m.group(0).isspace():
            where.extend([size] * len(m.group(0)))
            out.append(" ")
            size += 1
        else:
            where.extend(range(size, size + len(m.group(0))))
            out.append(m.group(0))
            size += len(m.group(0))
    where.append(size)
    moved = tuple((where[s], where[e]) for s, e in spans if 0 <= s < e <= len(text))
    return "".join(out), moved


def _item(source: SourceLine, excerpt: str, spans: Sequence[tuple[int, int]] = (), number: int | None = None) -> Item:
    text, moved = flatten(excerpt, spans)
    return Item(source, text, moved, number)


def utf16_len(text: str) -> int:
    """Returns the length in UTF-16 code units, the unit of Telegram's limits."""
    return len(text.encode("utf-16-le")) // 2


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
        items = tuple(_item(_src(s), s.excerpt) for s in ans.sources[:3])
        shown = tuple(s.article_id for s in ans.sources[:3])
        return Reply(lang, kind="answer", lead=t("no_answer", lang), items=items, notes=notes, shown=shown)
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
    """The bot's behaviour over one archive database; safe to call from many threads at once."""

    db_path: str | Path
    settings: Settings
    bot_username: str | None = None
    extra_commands: tuple[tuple[str, str, str, str], ...] = ()
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False)
    _conns: list[sqlite3.Connection] = field(default_factory=list, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    # --- plumbing

    def conn(self) -> sqlite3.Connection:
        """Returns this thread's connection, opening it on first use."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = store.connect(self.db_path)
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        """Closes every connection the threads opened (at shutdown)."""
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(sqlite3.ProgrammingError):  # closed from another thread already
                conn.close()

    def set_blocked(self, user_id: int, blocked: bool = True) -> None:
        """Records that the user blocked the bot (Telegram answered 403 Forbidden)."""
        store.set_user_blocked(self.conn(), user_id, blocked)

    def access(self, who: Who) -> access.Decision:
        """Returns the access decision for ``who`` (see ``bot.access``)."""
        return access.decide(self.settings, self.conn(), who.user_id, who.chat_id, local=who.local)

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
        """Returns the reply to ``/name args``."""
        lang = language_for(who.language_code, args or None)
        handlers = {
            "start": lambda: Reply(lang, lead=t("start", lang, name=who.first_name or "")),
            "help": lambda: Reply(lang, lead=help_text(lang, bot_username=self.bot_username,
                                                       extra=self.extra_commands)),
            "ask": lambda: self.ask(who, args, lang) if args else Reply(lang, lead=t("ask_usage", lang)),
            "search": lambda: self.search(who, args, lang) if args else Reply(lang, lead=t("search_usage", lang)),
            "latest": lambda: self.latest(who, 0, lang),
            "article": lambda: self._article_command(who, args, lang),
            "allow": lambda: self._set_user(who, "allow", args, lang),
            "deny": lambda: self._set_user(who, "deny", args, lang),
            "users": lambda: self._users(who, lang),
        }
        action = handlers.get(name)
        if action is None:
            return self._guarded(who, args, lambda lang: Reply(lang, lead=t("unknown_command", lang)))
        return self._guarded(who, args, lambda _lang: action(), lang=lang)

    def callback(self, who: Who, data: str) -> Reply:
        """Returns the reply to a button press; stale or forged data get a polite "expired"."""
        lang = language_for(who.language_code)
        m = _CALLBACK.fullmatch(data or "")
        if m is None:
            log.info("callback: malformed data (%d bytes)", len((data or "").encode()))
            return Reply(lang, kind="stale", lead=t("stale_button", lang))

        def run(lang: str) -> Reply:
            if m.group("kind") == "a":
                return self.article(who, int(m.group("id")), lang)
            if m.group("kind") == "m":
                return self.like(who, int(m.group("id")), 0, lang)
            if m.group("lpage") is not None:
                return self.latest(who, int(m.group("lpage")), lang, edit=True)
            return self._page(who, int(m.group("qid")), int(m.group("page")), lang)

        return self._guarded(who, None, run, lang=lang)

    # --- access and errors

    def _guarded(self, who: Who, text: str | None, action, *, lang: str | None = None) -> Reply:
        """Returns ``action(lang)`` for allowed users, the refusal sentence for others.

        Engine errors meant for users (``ArchiveError``) become the reply; a busy database gets
        "try again"; anything else propagates to the bot's error handler.
        """
        lang = lang or language_for(who.language_code, text)
        decision = self.access(who)
        if decision.blocked:
            store.set_user_blocked(self.conn(), who.user_id, False)  # they are talking to us again
        if not decision.allowed:
            log.info("refused user %s in chat %s (%s)", who.user_id, who.chat_id, decision.reason)
            if decision.reason == "denied":
                return Reply(lang, kind="refusal", lead=t("denied", lang, user_id=who.user_id))
            key = "stranger" if who.chat_type == "private" or who.chat_id == who.user_id else "stranger_group"
            return Reply(lang, kind="refusal", lead=t(key, lang, user_id=who.user_id, chat_id=who.chat_id))
        try:
            return action(lang)
        except ArchiveError as exc:
            return Reply(lang, kind="error", lead=_archive_error_text(exc, lang))
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                log.warning("database busy: %s", exc)
                return Reply(lang, kind="error", lead=t("busy", lang))
            raise

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
        if analysis.is_followup:
            # Only a follow-up looks at the chat's memory: a new question about something else
            # must not be answered from the articles of the previous one.
            context = store.load_chat_context(conn, who.chat_id)[0] or None
        ans = qa_engine.answer_question(conn, question, context_ids=context, lang=lang)
        if self.settings.debug_log_messages:
            log.debug("question %s", loggable_text(question, log_messages=True))
        log.info("ask: %d chars, follow-up %s, answered %s, %.0f ms", len(question), context is not None,
                 ans.answer is not None, (time.perf_counter() - started) * 1000)
        reply = answer_reply(ans, lang, notes)
        if reply.shown:
            # The chat remembers the article the answer came from: a follow-up is about it, not
            # about the runners-up (which would compete with it for «ومتى وقعت؟»).
            store.save_chat_context(conn, who.chat_id, reply.shown, question)
        return reply

    def search(self, who: Who, query: str, lang: str) -> Reply:
        """Returns the first page of search results, with buttons to page and open articles."""
        query, notes = self._clip(query, lang)
        query_id = store.save_bot_query(self.conn(), who.chat_id, query)
        return self._results(who, query_id, query, 0, lang, notes=notes)

    def _page(self, who: Who, query_id: int, page: int, lang: str) -> Reply:
        row = store.load_bot_query(self.conn(), query_id)
        if row is None or row["chat_id"] != who.chat_id:
            log.info("callback: query %s unknown in chat %s", query_id, who.chat_id)
            return Reply(lang, kind="stale", lead=t("stale_button", lang))
        if row["exclude_id"] is not None:
            return self._like_page(who, query_id, row["query"], row["exclude_id"], page, lang, edit=True)
        return self._results(who, query_id, row["query"], page, lang, edit=True)

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

    def _article_command(self, who: Who, args: str, lang: str) -> Reply:
        m = re.fullmatch(r"#?(\d{1,12})", args.strip())
        if m is None:
            return Reply(lang, lead=t("article_usage", lang))
        return self.article(who, int(m.group(1)), lang)

    def article(self, who: Who, article_id: int, lang: str) -> Reply:
        """Returns a whole article: as messages, or as a .txt file when longer than ~3 messages."""
        conn = self.conn()
        art = store.get_article(conn, article_id)
        store.save_chat_context(conn, who.chat_id, [art.id], None)
        buttons = ((Button(t("button_like", lang), f"m:{art.id}"),),)
        if utf16_len(art.title) + utf16_len(art.body) > ARTICLE_MAX_UNITS:
            meta = " · ".join(x for x in (art.published, art.source, art.url) if x)
            content = f"{art.title}\n{meta}\n\n{art.body.strip()}\n".encode()
            doc = Document(f"article-{art.id}.txt", content, f"{art.title}\n{t('article_sent_as_file', lang)}")
            return Reply(lang, kind="article", article=_source(art), document=doc, buttons=buttons,
                         shown=(art.id,))
        return Reply(lang, kind="article", article=_source(art), body=art.body, buttons=buttons, shown=(art.id,))

    # --- admin commands

    def _set_user(self, who: Who, action: str, args: str, lang: str) -> Reply:
        if not self.access(who).admin:
            return Reply(lang, lead=t("admins_only", lang))
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
        if not self.access(who).admin:
            return Reply(lang, lead=t("admins_only", lang))
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
            lines.append(t("user_row", lang, user_id=row["user_id"], status=t(f"status_{row['status']}", lang),
                           blocked=t("blocked_mark", lang) if row["blocked"] else ""))
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


def _archive_error_text(exc: ArchiveError, lang: str) -> str:
    """Returns the engine's message for users; the commonest ones in Arabic for Arabic speakers."""
    if lang == "ar" and isinstance(exc, ArticleNotFound):
        return "لا يوجد مقال بهذا الرقم؛ يعرض /latest أحدث المقالات."
    if lang == "ar" and isinstance(exc, QuerySyntaxError):
        return "لا يمكن البحث عن هذا كما كُتب؛ أضف كلمة على الأقل أو أزل الرموز الخاصة."
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
