"""Replies of /trend, /who, answer feedback and inline mode (issue 13), for the conversation core.

Each function takes the core's SQLite connection and the user, calls one engine module
(``index.trend``, ``index.people``, ``index.feedback``, ``index.search``/``qa``) and returns the
reply model (``bot.replies``). ``bot.core`` files them as commands and buttons; the Telegram adapter
and the terminal chat show them like any other reply.

Buttons carry short data (callback_data ≤ 64 bytes): a trend's query or a name is saved in
``bot_queries`` and the button carries its id (``t:<id>:s``, ``w:<id>``); an answer's 👍/👎 carry
the id of the logged answer (``f:<id>:u`` / ``f:<id>:d``).
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from arshif.index import feedback as feedback_engine
from arshif.index import people as people_engine
from arshif.index import qa as qa_engine
from arshif.index import search as search_engine
from arshif.index import store
from arshif.index import trend as trend_engine
from arshif.index.errors import ArchiveError

from . import render
from .replies import Button, Photo, Reply, Who
from .texts import t

__all__ = [
    "InlineAnswer",
    "InlineResult",
    "feedback_row",
    "inline_answer",
    "rate_reply",
    "trend_reply",
    "who_reply",
    "with_feedback",
]

log = logging.getLogger(__name__)

LATEST_BUTTONS = 5
BUTTON_TITLE_CHARS = 48
INLINE_RESULTS = 8
INLINE_EXCERPT_CHARS = 200
INLINE_CACHE_SECONDS = 60.0  # results of a query are shared by allowed users for this long
INLINE_CACHE_SIZE = 256
MAX_INLINE_QUERY_CHARS = 256  # Telegram's own limit on what users type after @bot


def _short(text: str, n: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


# --- /trend ---------------------------------------------------------------------------------------


def trend_reply(conn: sqlite3.Connection, who: Who, query: str, lang: str, *, by_source: bool = False,
                query_id: int | None = None) -> Reply:
    """Returns the chart of how often ``query`` appeared (a PNG with a one-line caption: total, peak
    and its date), with a button to redraw it per source; an empty result is said in text."""
    from . import charts  # matplotlib takes a second or more to import: only when a chart is drawn

    query = " ".join(query.split())
    if not query:
        return Reply(lang, lead=t("trend_usage", lang))
    result = trend_engine.count_trend(conn, query, by_source=by_source)
    if result.total == 0:
        return Reply(lang, kind="results", lead=t("trend_empty", lang, query=_short(query, 60)))
    caption = charts.caption(result, lang)
    if not result.points:  # matches, but none dated: nothing to draw
        return Reply(lang, kind="results", lead=caption)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if not by_source:
        query_id = store.save_bot_query(conn, who.chat_id, query)
        buttons = ((Button(t("button_by_source", lang), f"t:{query_id}:s"),),)
    photo = Photo(f"trend-{result.bucket}.png", charts.render_trend(result, lang))
    return Reply(lang, kind="photo", lead=caption, photo=photo, buttons=buttons)


def trend_by_source_reply(conn: sqlite3.Connection, who: Who, query_id: int, lang: str) -> Reply:
    """Returns the chart of a saved /trend query again, one line per source."""
    row = store.load_bot_query(conn, query_id)
    if row is None or row.chat_id != who.chat_id:
        return Reply(lang, kind="stale", lead=t("stale_button", lang), toast=t("stale_button", lang))
    return trend_reply(conn, who, row.query, lang, by_source=True, query_id=query_id)


# --- /who -----------------------------------------------------------------------------------------

_EXACT = "\x00who:"  # marks a saved person key in bot_queries (never typed by a user)


def who_reply(conn: sqlite3.Connection, who: Who, name: str, lang: str, *, exact_key: str | None = None) -> Reply:
    """Returns a person's profile (roles with their dates, organisations, places, people, the
    article count, the latest articles as buttons), the candidates when the name is ambiguous, or
    that nobody by that name is in the archive."""
    name = " ".join(name.split())
    if not name and not exact_key:
        return Reply(lang, lead=t("who_usage", lang))
    found = people_engine.lookup(conn, name, exact_key=exact_key)
    if found.profile is None and not found.candidates:
        return Reply(lang, lead=t("who_unknown", lang, name=_short(name, 60)))
    if found.profile is None:
        rows = []
        lines = []
        for c in found.candidates:
            qid = store.save_bot_query(conn, who.chat_id, _EXACT + c.key)
            rows.append((Button(_short(f"👤 {c.name}", BUTTON_TITLE_CHARS), f"w:{qid}"),))
            lines.append(f"• {c.name}" + (f" — {c.role}" if c.role else "") + f" ({c.mentions})")
        return Reply(lang, title=t("who_ambiguous", lang), lead="\n".join(lines), buttons=tuple(rows))
    p = found.profile
    lines = [t("who_articles", lang, n=p.articles, first=p.first or "?", last=p.last or "?")]
    if p.roles:
        lines.append(t("who_roles", lang))
        lines.extend(t("who_role", lang, role=r.role, first=r.first or "?", last=r.last or "?", n=r.mentions)
                     for r in p.roles)
    for key, pairs in (("who_orgs", p.orgs), ("who_places", p.places), ("who_people", p.people)):
        if pairs:
            lines.append(t(key, lang, names="، ".join(n for n, _ in pairs) if lang == "ar"
                           else ", ".join(n for n, _ in pairs)))
    articles = store.get_articles(conn, p.latest)
    rows = []
    for article_id in p.latest[:LATEST_BUTTONS]:
        art = articles.get(article_id)
        if art is not None:
            label = _short(f"📄 {art.published or ''} {art.title}", BUTTON_TITLE_CHARS)
            rows.append((Button(label, f"a:{art.id}"),))
    if rows:
        lines.append(t("who_latest", lang))
    store.save_chat_context(conn, who.chat_id, list(p.latest[:LATEST_BUTTONS]), None)
    return Reply(lang, kind="results", title=t("who_head", lang, name=p.name), lead="\n".join(lines),
                 buttons=tuple(rows), shown=tuple(p.latest[:LATEST_BUTTONS]))


def who_candidate_reply(conn: sqlite3.Connection, who: Who, query_id: int, lang: str) -> Reply:
    """Returns the profile of the candidate whose button was pressed."""
    row = store.load_bot_query(conn, query_id)
    if row is None or row.chat_id != who.chat_id or not row.query.startswith(_EXACT):
        return Reply(lang, kind="stale", lead=t("stale_button", lang), toast=t("stale_button", lang))
    key = row.query[len(_EXACT):]
    return who_reply(conn, who, key, lang, exact_key=key)


# --- answer feedback ----------------------------------------------------------------------------


def feedback_row(answer_id: int) -> tuple[Button, ...]:
    """Returns the 👍 / 👎 buttons of a logged answer."""
    return (Button("👍", f"f:{answer_id}:u"), Button("👎", f"f:{answer_id}:d"))


def with_feedback(conn: sqlite3.Connection, who: Who, question: str, ans: qa_engine.Answer, reply: Reply) -> Reply:
    """Returns ``reply`` with 👍/👎 buttons, the answer logged as shown (question, type, answer,
    sources). A reply that shows nothing (nothing found) gets no buttons."""
    if reply.kind != "answer" or not reply.items:
        return reply
    shown = {i.source.article_id: i for i in reply.items}
    sources = [
        {"article_id": s.article_id, "title": s.title, "url": s.url, "published": s.published,
         "excerpt": shown[s.article_id].excerpt if s.article_id in shown else None}
        for s in ans.sources if s.article_id in shown
    ]
    answer_id = feedback_engine.log_answer(conn, chat_id=who.chat_id, user_id=who.user_id, question=question,
                                           qtype=ans.type, answer=ans.answer, sources=sources)
    return dataclasses.replace(reply, buttons=(*reply.buttons, feedback_row(answer_id)))


def rate_reply(conn: sqlite3.Connection, who: Who, answer_id: int, up: bool, lang: str) -> Reply:
    """Returns the pop-up that acknowledges a 👍/👎 press (stored; pressing the other one changes it)."""
    feedback_engine.rate(conn, answer_id, who.user_id, feedback_engine.UP if up else feedback_engine.DOWN)
    text = t("feedback_thanks_up" if up else "feedback_thanks_down", lang)
    return Reply(lang, kind="toast", toast=text)


# --- inline mode ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InlineResult:
    """One result offered under ``@bot words``: what the list shows, and the HTML message it sends."""

    id: str  # unique within the answer, ≤ 64 bytes
    title: str
    description: str
    message_html: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class InlineAnswer:
    """What an inline query gets: results, or (``refused``) a button to the bot's private chat."""

    results: tuple[InlineResult, ...] = ()
    refused: str | None = None  # the button's text for users who are not let in
    cache_seconds: int = 30


_CACHE: OrderedDict[tuple[str, str, str], tuple[float, tuple[InlineResult, ...]]] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _meta(published: str | None, source: str | None) -> str:
    return " · ".join(b for b in (published, source) if b)


def _article_result(prefix: str, article_id: int, title: str, url: str | None, published: str | None,
                    source: str | None, excerpt: str) -> InlineResult:
    excerpt = _short(excerpt, INLINE_EXCERPT_CHARS)
    meta = _meta(published, source)
    message = "\n".join(x for x in (f"<b>{render._link(title, url)}</b>", render.escape(meta),
                                    render.escape(excerpt)) if x)
    description = " — ".join(x for x in (meta, excerpt) if x)
    return InlineResult(f"{prefix}{article_id}", _short(title, 120), description, message, url)


def _inline_results(conn: sqlite3.Connection, text: str, lang: str) -> tuple[InlineResult, ...]:
    from .routing import is_question  # the core's own rule for "this reads like a question"

    results: list[InlineResult] = []
    if is_question(text):
        ans = qa_engine.answer_question(conn, text, lang=lang)
        if ans.answer and ans.sources:
            top = ans.sources[0]
            head = t("inline_answer", lang, answer=ans.answer)
            source = f"📰 {render._link(top.title, top.url)} · {render.escape(_meta(top.published, top.source))}"
            message = "\n".join([f"<b>{render.escape(text)}</b>", render.escape(head),
                                 render.escape(_short(top.excerpt, 400)), source])
            results.append(InlineResult(f"q{top.article_id}", _short(head, 120),
                                        _short(f"{top.title} · {_meta(top.published, top.source)}", 200),
                                        message, top.url))
        for s in ans.sources[:INLINE_RESULTS]:
            results.append(_article_result("a", s.article_id, s.title, s.url, s.published, s.source, s.excerpt))
    if len(results) <= 1:
        found = search_engine.run(conn, text, limit=INLINE_RESULTS, suggest=False)
        seen = {r.id for r in results}
        for h in found.results:
            r = _article_result("a", h.article_id, h.title, h.url, h.published, h.source, h.excerpt)
            if r.id not in seen:
                results.append(r)
                seen.add(r.id)
    return tuple(dataclasses.replace(r, message_html=render.apply_bidi(r.message_html, lang))
                 for r in results[: INLINE_RESULTS + 1])


def inline_answer(conn: sqlite3.Connection, who: Who, allowed: bool, text: str, lang: str) -> InlineAnswer:
    """Returns what ``@bot text`` offers: for a question its answer with the source first, then the
    best matching articles (title, date, source, a short excerpt). Users who are not let in get no
    results, only a button to the bot (which tells them how to ask for access). Results are cached
    for INLINE_CACHE_SECONDS, shared by every allowed user."""
    if not allowed:
        return InlineAnswer(refused=t("inline_refused", lang), cache_seconds=0)
    text = " ".join(text.split())[:MAX_INLINE_QUERY_CHARS]
    if not text:
        return InlineAnswer()
    key = (store.database_file(conn), lang, text)
    now = time.monotonic()
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and now - hit[0] < INLINE_CACHE_SECONDS:
            _CACHE.move_to_end(key)
            return InlineAnswer(hit[1])
    started = time.perf_counter()
    try:
        results = _inline_results(conn, text, lang)
    except ArchiveError:  # a query that cannot be searched as typed offers nothing
        results = ()
    log.info("inline: %d chars, %d results, %.0f ms", len(text), len(results), (time.perf_counter() - started) * 1000)
    with _CACHE_LOCK:
        _CACHE[key] = (now, results)
        while len(_CACHE) > INLINE_CACHE_SIZE:
            _CACHE.popitem(last=False)
    return InlineAnswer(results)

