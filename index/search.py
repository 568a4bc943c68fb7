"""Keyword search: what users type → a safe FTS5 expression → ranked hits with excerpts.

Users type words, "exact phrases" (also «…» and “…”), -excluded words and filters
(``since:2021-07-01``, ``until:2021``, ``source:name``). User text never reaches ``MATCH`` raw:
every term is analysed with the indexing chain and double-quoted, so no input can raise an FTS5
syntax error. All words must match; when that finds nothing, any word may (``mode == "any"``).

A word matches by its **exact terms** first (``analysis.exact_family``: the word with its
proclitics and its own regular inflections, never another word sharing its stem: «العملة» finds
عملة، بالعملات، عملتها but not العمل). Only when the exact forms find little (fewer than
``WIDEN_BELOW`` articles) does the stem widen the search, and those articles come after every
exact match. Quoted phrases match exact forms only. Alerts and trends use the same ``build_match``.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice

from . import store
from .analysis import (
    EXACT_MARK,
    STOPWORDS,
    exact_family,
    exact_term,
    fold,
    is_arabic,
    normalize,
    term,
    tokenize,
    word_matches,
    words,
)
from .dates import parse_date_bound
from .errors import DateRangeError, QuerySyntaxError
from .models import Hit, SearchResult

__all__ = ["ParsedQuery", "build_match", "can_match", "excerpt", "fresh_terms", "parse_query", "present_terms",
           "ranked_match", "run"]

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
EXCERPT_TOKENS = 36
# Exact forms finding fewer articles than this are widened by the stem (ranked after them).
WIDEN_BELOW = 3
# Open and close quote pairs users type for a phrase.
_QUOTES = {'"': '"', "«": "»", "“": "”", "„": "“"}
_PART = re.compile(
    r'(?P<neg>[-–])?(?P<q>["«“„])(?P<phrase>[^"»”“]*)(?:["»”“]|$)'
    r"|(?P<key>[A-Za-z]+|منذ|حتى|المصدر|مصدر):(?P<value>\S+)"
    r"|(?P<neg2>[-–])?(?P<word>[^\s\"«»“”„]+)"
)
_FILTER_KEYS = {
    "since": "since", "from": "since", "after": "since", "منذ": "since",
    "until": "until", "to": "until", "before": "until", "حتى": "until",
    "source": "source", "site": "source", "المصدر": "source", "مصدر": "source",
}


@dataclass(slots=True)
class ParsedQuery:
    """A query broken into analysed parts; terms are index terms, not raw words."""

    text: str
    terms: list[str] = field(default_factory=list)  # required words
    words: list[str] = field(default_factory=list)  # the same words as typed
    phrases: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    filters: store.Filters = field(default_factory=store.Filters)
    # Exact matching: one group of alternatives per unquoted word (its exact family) and per
    # quoted phrase (the phrase of exact terms, its first word with each proclitic); an
    # alternative is a space-separated FTS5 phrase of exact terms.
    word_groups: list[tuple[str, ...]] = field(default_factory=list)
    loose_terms: list[str] = field(default_factory=list)  # stems of the unquoted words (widening)
    phrase_groups: list[tuple[str, ...]] = field(default_factory=list)
    excluded_groups: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def positive_terms(self) -> set[str]:
        """Every exact term a hit may be highlighted for."""
        return {t for g in (*self.word_groups, *self.phrase_groups) for alt in g for t in alt.split()}

    def is_empty(self) -> bool:
        """True when nothing is left to search for."""
        return not self.terms and not self.phrases


def _phrase_group(tokens: Sequence[str]) -> tuple[str, ...]:
    """Return the alternatives of a quoted phrase: exact terms, the first word with each proclitic."""
    rest = " ".join(exact_term(t) for t in tokens[1:])
    return tuple(f"{first} {rest}".strip() for first in exact_family(tokens[0], inflections=False))


def parse_query(text: str, *, keep_stopwords: bool = False) -> ParsedQuery:
    """Parse what a user typed; raise DateRangeError for a bad since:/until: value."""
    text = (text or "")[:MAX_QUERY_CHARS]
    parsed = ParsedQuery(text=text)
    since = until = None
    sources: list[str] = []
    for m in _PART.finditer(text):
        if m.group("q") is not None:
            tokens = tokenize(m.group("phrase"))
            terms = [t.term for t in tokens]
            if not terms:
                continue
            group = _phrase_group([t.text for t in tokens])
            if m.group("neg"):
                parsed.excluded.extend(terms if len(terms) == 1 else [" ".join(terms)])
                parsed.excluded_groups.append(group)
                continue
            parsed.phrase_groups.append(group)
            if len(terms) == 1:
                parsed.terms.append(terms[0])
                parsed.words.append(m.group("phrase").strip())
            else:
                parsed.phrases.append(terms)
        elif m.group("key") is not None and m.group("key").lower() in _FILTER_KEYS:
            kind = _FILTER_KEYS[m.group("key").lower()]
            value = m.group("value")
            if kind == "source":
                sources.append(value)
                continue
            try:
                bound = parse_date_bound(value, end=(kind == "until"))
            except ValueError as exc:
                raise DateRangeError(
                    f"«{value}» is not a date; write {kind}:2021, {kind}:2021-07 or {kind}:2021-07-01.",
                    key=kind, value=value,
                ) from exc
            if kind == "since":
                since = bound.isoformat()
            else:
                until = bound.isoformat()
        else:
            raw = m.group("word") or m.group(0)
            negative = bool(m.group("neg2"))
            for tok in tokenize(raw):
                if negative:
                    parsed.excluded.append(tok.term)
                    parsed.excluded_groups.append(exact_family(tok.text))
                    continue
                if not keep_stopwords and fold(normalize(tok.text)) in _STOP_FOLDED:
                    continue
                parsed.terms.append(tok.term)
                parsed.words.append(tok.text)
                parsed.loose_terms.append(tok.term)
                # Snowball English strips inflections only: a Latin word's family is its stem.
                parsed.word_groups.append(exact_family(tok.text) if is_arabic(tok.text) else (tok.term,))
    if parsed.is_empty() and not keep_stopwords:
        # A query of function words only («من هو») still searches for them.
        stop_only = parse_query(text, keep_stopwords=True)
        parsed.terms, parsed.words = stop_only.terms, stop_only.words
        parsed.loose_terms, parsed.word_groups = stop_only.loose_terms, stop_only.word_groups
    parsed.terms = list(dict.fromkeys(parsed.terms))[:MAX_TERMS]
    parsed.loose_terms = list(dict.fromkeys(parsed.loose_terms))[:MAX_TERMS]
    parsed.word_groups = list(dict.fromkeys(parsed.word_groups))[:MAX_TERMS]
    if since and until and since > until:
        raise DateRangeError(f"since:{since} is after until:{until}; swap them.", since=since, until=until)
    parsed.filters = store.Filters(since=since, until=until, sources=tuple(sources))
    return parsed


_STOP_FOLDED = frozenset(fold(normalize(w)) for w in STOPWORDS)


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _alternatives(group: Sequence[str], present: set[str] | None) -> str:
    """Return one group as an FTS5 OR of quoted phrases; with ``present`` (the exact terms that
    occur in the archive), alternatives holding an absent term are left out (they match nothing)."""
    kept = [alt for alt in group if present is None or all(t in present for t in alt.split())]
    kept = kept or list(group[:1])  # a group that matches nothing still needs a valid expression
    return "(" + " OR ".join(_quote(alt) for alt in kept) + ")" if len(kept) > 1 else _quote(kept[0])


def build_match(parsed: ParsedQuery, *, any_term: bool = False, stems: bool = False,
                present: set[str] | None = None) -> str:
    """Return the FTS5 expression for a parsed query (every term quoted).

    By default words match their exact families (see the module docstring); with ``stems``,
    unquoted words match their stems instead (the widening), quoted phrases still exact.
    ``present`` (from ``present_terms``) trims alternatives the archive does not hold; alerts
    leave it out, so that a new word's first article still matches.
    """
    if stems:
        words_part = [_quote(t) for t in parsed.loose_terms]
    else:
        words_part = [_alternatives(g, present) for g in parsed.word_groups]
    positives = words_part + [_alternatives(g, present) for g in parsed.phrase_groups]
    if not positives:
        raise QuerySyntaxError("Add at least one word to search for (excluded words alone match nothing).")
    joiner = " OR " if any_term else " AND "
    expr = joiner.join(positives)
    if parsed.excluded_groups:
        expr = f"({expr}) NOT ({' OR '.join(_alternatives(g, present) for g in parsed.excluded_groups)})"
    return expr


# Exact terms known to occur (or not) per database file, for ``present_terms``. Presence only
# grows with the archive, so "present" stays true; "absent" is forgotten when the archive grows.
_PRESENCE: dict[str, tuple[int, set[str], set[str]]] = {}
_PRESENCE_MAX = 200_000


def present_terms(conn: sqlite3.Connection, parsed: ParsedQuery) -> set[str]:
    """Return the exact terms of the query's groups that occur in the archive.

    Every alternative costs FTS5 a lookup in each index segment, so the expression keeps only
    these. Looking terms up costs about as much, so answers are remembered per database.
    """
    wanted = {t for g in (*parsed.word_groups, *parsed.phrase_groups, *parsed.excluded_groups)
              for alt in g for t in alt.split()}
    key = store.database_file(conn)
    high = store.max_article_id(conn)
    seen_high, present, absent = _PRESENCE.get(key, (high, set(), set()))
    if seen_high != high or len(present) + len(absent) > _PRESENCE_MAX:
        absent = set()
        if len(present) > _PRESENCE_MAX:
            present = set()
    unknown = wanted - present - absent
    if unknown:
        for t, n in store.doc_freqs(conn, unknown).items():
            (present if n else absent).add(t)
    _PRESENCE[key] = (high, present, absent)
    return wanted & present


# Alerts trim expressions to the terms of the new articles when there are at most this many.
FRESH_LIMIT = 5000


def fresh_terms(conn: sqlite3.Connection, low: int, high: int, *, limit: int = FRESH_LIMIT) -> set[str] | None:
    """Return every index term (stems and exact terms) of the articles with ``low < id <= high``,
    or None when they are more than ``limit``.

    Alerts match only these articles, so ``build_match(parsed, present=...)`` with this set finds
    the same ones with a fraction of the alternatives (each costs a lookup in every segment), and
    ``can_match`` skips the queries whose words none of them holds.
    """
    if high - low > limit:
        return None
    distinct: set[str] = set()
    for article in store.get_articles(conn, range(low + 1, high + 1)).values():
        distinct.update(words(article.title))
        distinct.update(words(article.body))
    return set(map(term, distinct)) | set(map(exact_term, distinct))


def can_match(parsed: ParsedQuery, present: set[str]) -> bool:
    """True when every word and phrase of the query has an alternative made of ``present`` terms."""
    return all(any(all(t in present for t in alt.split()) for alt in group)
               for group in (*parsed.word_groups, *parsed.phrase_groups))


def ranked_match(conn: sqlite3.Connection, terms: Sequence[str], *, max_terms: int = 12,
                 common: float = 0.5, prefix_from: int = 5, max_postings: int = 12_000,
                 df: Mapping[str, int] | None = None) -> str | None:
    """Return an OR expression over the most informative terms, for ranking (questions, eval).

    An OR query makes FTS5 score every row holding any of its terms, so the plan keeps it
    bounded: terms found in more than ``common`` of the articles are dropped while rarer ones
    remain, and terms are taken rarest first until their rows would exceed ``max_postings``
    (at least two are kept). Arabic stems of ``prefix_from`` letters or more also match as
    prefixes (the light stem leaves some suffixes on). Values chosen with `arshif eval` and
    `tests/bench/bench_engine.py` (README). ``df`` passes document counts already looked up.
    """
    terms = list(dict.fromkeys(t for t in terms if t))
    if not terms:
        return None
    df = df if df is not None else store.doc_freqs(conn, terms)
    total = max(store.max_article_id(conn), 1)
    present = [t for t in terms if df[t] > 0]
    if not present:
        return None
    rare = [t for t in present if df[t] / total <= common] or present
    rare.sort(key=lambda t: df[t])
    chosen: list[str] = []
    postings = 0
    for t in rare[:max_terms]:
        if len(chosen) >= 2 and postings + df[t] > max_postings:
            break
        chosen.append(t)
        postings += df[t]
    return " OR ".join(_quote(t) + ("*" if len(t) >= prefix_from and is_arabic(t) else "") for t in chosen)


def excerpt(body: str, terms: Iterable[str], *, size: int = EXCERPT_TOKENS) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Return the passage of ``body`` richest in ``terms`` and the spans of those words in it.

    ``terms`` may hold stems and exact terms (``EXACT_MARK``…); a word counts when either of its
    terms is wanted. Only the words' terms are computed for the whole body (cached, no spans);
    character spans are taken for the chosen window alone, which keeps a page of ten hits in a
    few milliseconds.
    """
    wanted = set(terms)
    exact = {t for t in wanted if t.startswith(EXACT_MARK)}
    if exact and len(exact) == len(wanted):
        all_terms = list(map(exact_term, words(body)))
    elif exact:
        # Either term of a word may be wanted: the exact one stands for the word when it is.
        all_terms = [x if x in wanted else term(w) for w in words(body) for x in (exact_term(w),)]
    else:
        all_terms = list(map(term, words(body)))
    if not all_terms:
        return body[:300], ()
    hits = [i for i, t in enumerate(all_terms) if t in wanted]
    # Score the window starting a third of a window before each hit: distinct wanted terms, then
    # their count. The windows slide forward, so the hits inside are kept as a running count
    # (a common word hits hundreds of times in a long article).
    best_lo, best_score = 0, -1.0
    counts: dict[str, int] = {}
    head = tail = 0  # hits[tail:head] lie in the current window
    for i in hits:
        lo = max(0, i - size // 3)
        while head < len(hits) and hits[head] < lo + size:
            t = all_terms[hits[head]]
            counts[t] = counts.get(t, 0) + 1
            head += 1
        while hits[tail] < lo:
            t = all_terms[hits[tail]]
            counts[t] -= 1
            if not counts[t]:
                del counts[t]
            tail += 1
        score = len(counts) + 0.1 * (head - tail)
        if score > best_score:
            best_lo, best_score = lo, score
    window = list(islice(word_matches(body), best_lo, best_lo + size))
    start = window[0].start() if best_lo > 0 else 0
    end = window[-1].end() if best_lo + size < len(all_terms) else len(body)
    text = body[start:end].strip()
    shift = start + (len(body[start:end]) - len(body[start:end].lstrip()))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(body) else ""
    spans = tuple(
        (m.start() - shift + len(prefix), m.end() - shift + len(prefix))
        for m, t in zip(window, all_terms[best_lo: best_lo + size], strict=False) if t in wanted
    )
    return prefix + text + suffix, spans


def _hit(row: store.MatchedArticle, terms: set[str]) -> Hit:
    text, spans = excerpt(row.body, terms)
    return Hit(
        article_id=row.id, title=row.title, url=row.url, published=row.published,
        source=row.source, score=round(-row.score, 4), excerpt=text, highlights=spans,
    )


def run(conn: sqlite3.Connection, query: str, *, limit: int = 10, offset: int = 0,
        filters: store.Filters | None = None, by_date: bool = False, suggest: bool = True) -> SearchResult:
    """Search the archive; return one page of hits (all words first, then any word)."""
    started = time.perf_counter()
    parsed = parse_query(query)
    if filters is not None:
        parsed.filters = replace(
            filters,
            since=parsed.filters.since or filters.since,
            until=parsed.filters.until or filters.until,
            sources=parsed.filters.sources or filters.sources,
        )
    present = present_terms(conn, parsed)
    hits, total = _page(conn, parsed, present, limit, offset, by_date)
    if total == 0 and len(parsed.terms) + len(parsed.phrases) > 1:
        hits, total = _page(conn, parsed, present, limit, offset, by_date, any_term=True)
    suggestion = did_you_mean(conn, parsed) if suggest and len(parsed.terms) > 0 and total == 0 else None
    log.info("search: %d chars, %d hits, %.1f ms", len(query), total, (time.perf_counter() - started) * 1000)
    return SearchResult(query=query, total=total, results=tuple(hits), offset=offset, suggestion=suggestion)


def _page(conn: sqlite3.Connection, parsed: ParsedQuery, present: set[str], limit: int, offset: int,
          by_date: bool, *, any_term: bool = False) -> tuple[list[Hit], int]:
    """Return one page of hits and the total: the exact forms' articles, then (when those are
    fewer than ``WIDEN_BELOW``) the other articles of the words' stems."""
    exact = build_match(parsed, any_term=any_term, present=present)
    rows, total = store.fetch_hits_counted(conn, exact, parsed.filters, limit=limit, offset=offset, by_date=by_date)
    exact_terms = parsed.positive_terms
    hits = [_hit(r, exact_terms) for r in rows]
    if total < WIDEN_BELOW and parsed.loose_terms:
        wide = f"({build_match(parsed, any_term=any_term, stems=True)}) NOT ({exact})"
        rows, wide_total = store.fetch_hits_counted(conn, wide, parsed.filters, limit=limit - len(hits),
                                                    offset=max(0, offset - total), by_date=by_date)
        wide_terms = exact_terms | set(parsed.loose_terms)
        hits.extend(_hit(r, wide_terms) for r in rows)
        total += wide_total
    return hits, total


# Suggestion vocabulary per database, rebuilt when the archive grows.
_VOCAB: dict[tuple[str, int], tuple[list[str], dict[str, int]]] = {}


def _load_vocabulary(conn: sqlite3.Connection) -> tuple[list[str], dict[str, int]]:
    key = (store.database_file(conn), store.max_article_id(conn))
    if key not in _VOCAB:
        _VOCAB.clear()
        pairs = store.frequent_terms(conn)
        _VOCAB[key] = ([t for t, _ in pairs], dict(pairs))
    return _VOCAB[key]


def did_you_mean(conn: sqlite3.Connection, parsed: ParsedQuery) -> str | None:
    """Return the query with each unknown word replaced by the closest indexed word, if any."""
    from rapidfuzz import fuzz, process

    df = store.doc_freqs(conn, parsed.terms)
    unknown = [(w, t) for w, t in zip(parsed.words, parsed.terms, strict=False) if df.get(t, 0) == 0]
    if not unknown:
        return None
    vocab, _ = _load_vocabulary(conn)
    replacements = {}
    for word, unknown_term in unknown:
        best = process.extractOne(unknown_term, vocab, scorer=fuzz.ratio, score_cutoff=70)
        if best is None:
            continue
        replacements[word] = _surface_form(conn, best[0]) or best[0]
    if not replacements:
        return None
    out = parsed.text
    for word, new in replacements.items():
        out = out.replace(word, new, 1)
    return out if out != parsed.text else None


def _surface_form(conn: sqlite3.Connection, term: str) -> str | None:
    """Return a word as written in the archive whose index term is ``term``."""
    rows = store.fetch_hits(conn, _quote(term), store.Filters(), limit=1)
    for row in rows:
        for text in (row.title, row.body):
            for tok in tokenize(text):
                if tok.term == term:
                    return tok.text
    return None
