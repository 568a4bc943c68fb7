"""Answers: question → expected type and content words → passages → the answer inside them.

1. ``analyze_question`` finds the expected answer type from the question word (Arabic and
   English; «من» is "who" only where it opens the question), the content words and the focus.
2. ``retrieve`` ranks articles (title + body, BM25) and the passages inside the best of them.
3. Candidates of the expected type are taken from the facts stored at ingest (dates resolved,
   people with roles, places, numbers) in the best sentences, and scored by the sentence's
   match with the question, closeness to the question's words, type fit and absence from the
   question. Agreeing candidates from several passages add up.
4. When nothing fits well enough, ``answer`` is None and the best excerpts are still returned.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from . import spans, store
from .analysis import STOPWORDS, fold, normalize, root, term, tokenize, words
from .dates import DateMention, format_date
from .entities import extract_entities
from .models import Article
from .search import ranked_match
from .segments import split_sentences

__all__ = [
    "Answer",
    "Fact",
    "QuestionAnalysis",
    "Source",
    "analyze_question",
    "answer_question",
    "question_type",
    "retrieve_articles",
]

log = logging.getLogger(__name__)

# --- question analysis ----------------------------------------------------------------------------

# (pattern on the folded question, answer type). First match wins; order matters: the specific
# «في أي عام» must beat the generic «أي».
_TYPE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), t)
    for p, t in [
        (r"^(?:و|ف)?متي\b|\bمتي\b", "when"),
        (r"\b(?:في|فى)?\s*(?:اي|ايه)\s+(?:عام|سنه|سنوات|قرن|يوم|شهر|تاريخ|عقد|فتره|وقت|زمن)\b", "when"),
        (r"\b(?:ما|ماهو|ماهي)\s+(?:هو\s+|هي\s+)?(?:تاريخ|عام|سنه)\b", "when"),
        (r"^(?:و|ف)?(?:اين|أين)\b|\bاين\b", "where"),
        (r"\b(?:في|فى)\s+(?:اي|ايه)\s+(?:مدينه|بلد|دوله|مكان|منطقه|قاره|عاصمه|ولايه|جزيره)\b", "where"),
        (r"\bكم\s+(?:تبلغ|بلغت|بلغ|يبلغ|قيمه|تكلفه|كلفه|سعر|ثمن|مبلغ)\b"
         r"|\b(?:قيمه|تكلفه|كلفه|مبلغ)\b.*\bكم\b", "money"),
        (r"\bكم\b|\b(?:ما|ماهو|ماهي)\s+(?:هو\s+|هي\s+)?(?:عدد|نسبه|مساحه|طول|حجم|قيمه|مقدار|عمر)\b",
         "number"),
        (r"^(?:و|ف)?من\s|^(?:و|ف)?من$|\bمن\s+(?:هو|هي|هم|الذي|التي|الذين)\b|^(?:و|ف)?لمن\b", "who"),
        (r"\b(?:ما|ماهو|ماهي)\s+(?:هو\s+|هي\s+)?(?:اسم)\b", "who"),
        (r"^(?:و|ف)?(?:لماذا|لما)\b", "why"),
        (r"^(?:و|ف)?كيف\b", "how"),
        (r"^(?:و|ف)?هل\b", "yesno"),
        (r"\b(?:ما|ماذا|ماهو|ماهي|اي|ايه)\b", "what"),
        (r"^\s*(?:and\s+)?when\b|\bwhat\s+(?:year|date|day|month|time|century|decade)\b"
         r"|\b(?:which|in which)\s+(?:year|month|century|decade)\b", "when"),
        (r"^\s*(?:and\s+)?where\b"
         r"|\b(?:which|what|in which|in what)\s+(?:city|country|state|place|region|continent|town)\b", "where"),
        (r"\bhow\s+much\b|\bwhat\s+(?:was|is)\s+the\s+(?:cost|value|price|amount)\b", "money"),
        (r"\bhow\s+(?:many|long|far|old|big|large|tall)\b"
         r"|\bwhat\s+(?:percentage|percent|number|proportion)\b", "number"),
        (r"^\s*(?:and\s+)?(?:who|whom|whose)\b|\bwho\b", "who"),
        (r"^\s*(?:and\s+)?why\b", "why"),
        (r"^\s*(?:and\s+)?how\b", "how"),
        (r"^\s*(?:is|are|was|were|did|does|do|can|will|has|have)\b", "yesno"),
        (r"\b(?:what|which)\b", "what"),
    ]
]

# Fact kinds that can answer each type, with a type-fit weight.
_KINDS_FOR: dict[str, dict[str, float]] = {
    "who": {"person": 1.0, "org": 0.4},
    "when": {"date": 1.0},
    "where": {"place": 1.0, "org": 0.2},
    "money": {"money": 1.0, "number": 0.4, "quantity": 0.2},
    "number": {"quantity": 1.0, "number": 0.9, "percent": 0.9, "money": 0.6},
}

# Words that say a follow-up refers to what was shown before («ومتى وقعت؟» has no topic words).
_FOLLOWUP_PREFIX = re.compile(r"^\s*(?:و|ف|and\s|so\s|then\s)", re.I)


@dataclass(frozen=True, slots=True)
class QuestionAnalysis:
    """What a question asks for: its type, content terms (index terms) and focus word."""

    text: str
    type: str
    terms: tuple[str, ...]
    words: tuple[str, ...]
    focus: str | None
    is_followup: bool
    roots: tuple[tuple[str, str], ...] = ()  # (root, term) of each content word


def question_type(question: str) -> str:
    """Return the expected answer type: who, when, where, money, number, what, why, how, yesno."""
    q = fold(normalize(question)).strip()
    for pattern, qtype in _TYPE_RULES:
        if pattern.search(q):
            return qtype
    return "what"


_QWORDS = frozenset(
    fold(normalize(w))
    for w in """من ومن فمن متى ومتى اين أين وأين كم وكم ما ماذا وماذا هو هي ماهي ماهو اي أي أية ايه لماذا كيف
    هل وهل عدد اسم who whom whose when where what which why how many much""".split()
)
_STOP_FOLDED = frozenset(fold(normalize(w)) for w in STOPWORDS) | _QWORDS


def analyze_question(question: str) -> QuestionAnalysis:
    """Return the question's type, content terms and focus."""
    qtype = question_type(question)
    terms: list[str] = []
    words: list[str] = []
    for tok in tokenize(question):
        if fold(normalize(tok.text)) in _STOP_FOLDED:
            continue
        terms.append(tok.term)
        words.append(tok.text)
    focus = words[0] if words else None
    is_followup = bool(_FOLLOWUP_PREFIX.match(question)) and len(terms) <= 2
    roots = tuple(dict.fromkeys((root(w), t) for w, t in zip(words, terms, strict=True) if len(root(w)) >= 3))
    return QuestionAnalysis(question, qtype, tuple(dict.fromkeys(terms)), tuple(words), focus,
                            is_followup or not terms, roots)


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fact:
    """One extracted fact shown with an answer: kind, text as written, value, role."""

    kind: str
    text: str
    value: str | None = None
    role: str | None = None
    label: str | None = None  # human form of the value («أوائل يوليو 2021», "early July 2021")


@dataclass(frozen=True, slots=True)
class Source:
    """An article an answer comes from, with the passage shown to the user."""

    article_id: int
    title: str
    url: str | None
    published: str | None
    excerpt: str
    highlights: tuple[tuple[int, int], ...] = ()  # the answer's spans in the excerpt
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """The reply to a question: short answer (or None), facts, confidence and sources."""

    question: str
    type: str
    answer: str | None
    facts: tuple[Fact, ...]
    confidence: float
    sources: tuple[Source, ...]
    article_ids: tuple[int, ...] = ()
    ms: float = 0.0

    def as_dict(self) -> dict:
        """Return the JSON contract of ``arshif ask --json`` (DESIGN §7)."""
        return {
            "question": self.question,
            "type": self.type,
            "answer": self.answer,
            "facts": [{"kind": f.kind, "text": f.text, "value": f.value, "role": f.role, "label": f.label}
                      for f in self.facts],
            "confidence": round(self.confidence, 3),
            "sources": [
                {"article_id": s.article_id, "title": s.title, "url": s.url, "published": s.published,
                 "source": s.source, "excerpt": s.excerpt, "highlights": [list(h) for h in s.highlights]}
                for s in self.sources
            ],
        }


# --- retrieval ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Passage:
    article_id: int
    start: int
    end: int
    score: float


def retrieve_articles(conn: sqlite3.Connection, question: str, *, limit: int = 5,
                      article_ids: Sequence[int] | None = None) -> list[int]:
    """Return the ids of the articles that best match a question, best first."""
    qa = analyze_question(question)
    ranked = _rank(conn, qa.terms, limit=limit, article_ids=article_ids, roots=qa.roots)
    return [r.article_id for r in ranked]


# Re-ranking weights, chosen by `arshif eval` on XQuAD-ar and ARCD (README, "Measuring"):
# BM25 finds the article; the best single sentence's share of the question's (idf-weighted)
# words says whether one statement there answers it.
RERANK_POOL = 8
SENTENCE_WEIGHT = 1.0
CONTEXT_BOOST = 0.3  # for the articles a chat was just shown
ARTICLE_WEIGHT = 0.6  # a sentence's score includes its article's (normalised) rank score


@dataclass(slots=True)
class _Ranked:
    article_id: int
    score: float
    sentences: list[_Sentence]


def _rank(conn: sqlite3.Connection, terms: Sequence[str], *, limit: int,
          article_ids: Sequence[int] | None = None, roots: Sequence[tuple[str, str]] = (),
          boost: Sequence[int] = ()) -> list[_Ranked]:
    """Rank articles by BM25, then re-rank the best of them by their best sentence."""
    df = store.doc_freqs(conn, terms)  # once: for the query plan and for the idf weights
    match = ranked_match(conn, terms, df=df)
    if match is None:
        return []
    filters = store.Filters(article_ids=tuple(article_ids) if article_ids is not None else None)
    rows = store.fetch_hits(conn, match, filters, limit=max(limit, RERANK_POOL))
    if boost:
        # The articles just shown compete even when the archive has many better BM25 matches.
        have = {r["id"] for r in rows}
        wanted = tuple(a for a in boost if a not in have and (article_ids is None or a in article_ids))
        if wanted:
            rows = [*rows, *store.fetch_hits(conn, match, store.Filters(article_ids=wanted), limit=len(wanted))]
    if not rows:
        return []
    top = max(-r["score"] for r in rows) or 1.0
    idf = _idf(conn, terms, df)
    ranked = []
    for r in rows:
        body = r["body"]
        sentences = _score_sentences(body, r["id"], split_sentences(body), idf, roots)
        best = max((x.score for x in sentences), default=0.0)
        score = (-r["score"]) / top + SENTENCE_WEIGHT * best + (CONTEXT_BOOST if r["id"] in boost else 0.0)
        ranked.append(_Ranked(r["id"], score, sentences))
    ranked.sort(key=lambda x: -x.score)
    return ranked[:limit]


# --- candidates -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Sentence:
    article_id: int
    start: int
    end: int
    score: float


_PRECISION_RANK = {"day": 4, "week": 3, "part_of_month": 3, "month": 2, "year": 1}
_BARE_YEAR = re.compile(r"(?<![\d.,])(1[0-9]{3}|20[0-9]{2})(?![\d.,])")
_DIGITS = str.maketrans({chr(0x0660 + i): str(i) for i in range(10)})
_ASKS_YEAR = re.compile(r"\b(?:عام|سنه|العام|السنه)\b|\byear\b")
ANSWER_SENTENCES = 3
FACT_SENTENCES = 8


def _idf(conn: sqlite3.Connection, terms: Sequence[str], df: Mapping[str, int]) -> dict[str, float]:
    n = max(store.max_article_id(conn), 1)  # O(1), unlike count(*); deletions are rare
    return {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in terms}


# A word sharing only its root with a question word («التوقيع» for «وقعت») counts this much.
ROOT_CREDIT = 0.8


def _score_sentences(body: str, article_id: int, spans: list[tuple[int, int]], idf: dict[str, float],
                     roots: Sequence[tuple[str, str]] = ()) -> list[_Sentence]:
    """Return sentences scored by the idf-weighted share of the question's words they hold."""
    out = []
    total = sum(idf.values()) or 1.0
    # ISRI is slow: only words holding every letter of a question root are worth rooting.
    root_sets = [(frozenset(r), r, t) for r, t in roots if t in idf]
    for s, e in spans:
        matched: dict[str, float] = {}
        for w in words(body[s:e]):
            t = term(w)
            if t in idf:
                matched[t] = idf[t]
            elif root_sets:
                letters = set(w)
                for rs, r, qt in root_sets:
                    if qt not in matched and rs <= letters and root(w) == r:
                        matched[qt] = ROOT_CREDIT * idf[qt]
        out.append(_Sentence(article_id, s, e, sum(matched.values()) / total))
    return out


# Names learned from the archive, per database, until it grows (loading them costs ~100 ms at
# 30k articles; a question must not pay that).
_KNOWN_CACHE: dict[str, tuple[int, dict[str, str]]] = {}


def _known_names(conn: sqlite3.Connection) -> dict[str, str]:
    db = conn.execute("PRAGMA database_list").fetchone()[2] or f":memory:{id(conn)}"
    mark = store.max_article_id(conn)
    cached = _KNOWN_CACHE.get(db)
    if cached is None or cached[0] != mark:
        cached = (mark, store.known_names(conn))
        _KNOWN_CACHE[db] = cached
    return cached[1]


def _in_question(text: str, qterms: set[str]) -> bool:
    toks = tokenize(text)
    return bool(toks) and all(t.term in qterms for t in toks)


def _fact_candidates(ctx: spans.SentenceContext, rows: list[sqlite3.Row], qa: QuestionAnalysis,
                     known: dict[str, str]) -> list[spans.SpanCandidate]:
    """Return the sentence's stored facts (and names learned since, and bare years) as candidates."""
    out = []
    end = ctx.start + len(ctx.text)
    for r in rows:
        if r["start"] >= ctx.start and r["end"] <= end:
            out.append(spans.SpanCandidate(r["start"], r["end"], r["text"], ctx.article_id, ctx.rank, r["kind"],
                                           r["role"], r["value"], r["value_end"], r["precision"], r["unit"], r["key"]))
    if known and qa.type == "who":
        have = {(c.start, c.end) for c in out}
        for ent in extract_entities(ctx.text, known):
            s, e = ctx.start + ent.start, ctx.start + ent.end
            if ent.kind in ("person", "org") and (s, e) not in have:
                out.append(spans.SpanCandidate(s, e, ent.text, ctx.article_id, ctx.rank, ent.kind, ent.role,
                                               key=ent.key))
    if qa.type == "when":
        taken = [(c.start, c.end) for c in out if c.kind == "date"]
        for m in _BARE_YEAR.finditer(ctx.text.translate(_DIGITS)):
            s, e = ctx.start + m.start(), ctx.start + m.end()
            if not any(a <= s < b for a, b in taken):
                y = m.group(1)
                out.append(spans.SpanCandidate(s, e, ctx.text[m.start():m.end()], ctx.article_id, ctx.rank, "date",
                                               value=f"{y}-01-01", value_end=f"{y}-12-31", precision="year"))
        # Periods with no calendar day: centuries and decades («القرن التاسع عشر», "the 1990s").
        _add_matches(out, ctx, _ERA, "date", taken, precision="era")
    if qa.type == "number":
        # Counts written in words, duals and fractions the number extractor leaves out.
        taken = [(c.start, c.end) for c in out if c.kind in _NUMERIC]
        _add_matches(out, ctx, _NUMBER_WORDS, "number", taken)
    return out


def _add_matches(out: list[spans.SpanCandidate], ctx: spans.SentenceContext, pattern: re.Pattern[str], kind: str,
                 taken: list[tuple[int, int]], precision: str | None = None) -> None:
    for m in pattern.finditer(ctx.text):
        s, e = ctx.start + m.start(), ctx.start + m.end()
        if not any(a < e and s < b for a, b in taken):
            out.append(spans.SpanCandidate(s, e, m.group().strip(), ctx.article_id, ctx.rank, kind,
                                           precision=precision))



_NUMBER_WORDS = re.compile(
    r"(?<![\w\u0600-\u06ff])(?:[وب])?(?:واحد|واحدة|اثنان|اثنين|اثنتان|اثنتين|ثلاث|ثلاثة|أربع|اربع|أربعة|اربعة|خمس|خمسة|"
    r"ست|ستة|سبع|سبعة|ثماني|ثمانية|تسع|تسعة|عشر|عشرة|عشرات|مئات|آلاف|الاف|عشرين|ثلاثين|أربعين|خمسين|مئة|مائة|"
    r"مرة|مرتين|مرتان|نصف|ثلث|ثلثي|الثلثين|ربع|ثلاثة أرباع|أغلبية الثلثين)"
    r"(?:\s+(?:مرات|مرة))?(?![\w\u0600-\u06ff])"
)
_ORDINALS = (r"(?:الأول|الاول|الثاني|الثالث|الرابع|الخامس|السادس|السابع|الثامن|التاسع|العاشر|الحادي|"
             r"عشر|العشرين|والعشرين|\d{1,2})")
_ERA = re.compile(
    r"(?:ال)?(?:قرن|قرون)\s+" + _ORDINALS + r"(?:\s+" + _ORDINALS + r")?(?:\s+(?:الميلادي|للميلاد|قبل الميلاد))?"
    r"|(?:ال)?(?:عشرين|ثلاثين|اربعين|أربعين|خمسين|ستين|سبعين|ثمانين|تسعين)(?:يات|ات)(?:\s+من\s+القرن\s+\S+(?:\s+عشر)?)?"
    r"|\b(?:the\s+)?(?:1[0-9]|20)[0-9]0s\b|\b(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\s+century\b"
)


@dataclass(slots=True)
class Gathered:
    """Everything the answer is chosen from: ranked sentences and scored candidates."""

    qa: QuestionAnalysis
    articles: dict[int, Article]
    order: list[int]
    sentences: list[_Sentence]
    candidates: list[spans.SpanCandidate]
    contexts: dict[tuple[int, int], spans.SentenceContext]
    facts: dict[int, list[sqlite3.Row]]


def gather(conn: sqlite3.Connection, qa: QuestionAnalysis, scope: list[int] | None, *,
           followup: bool = False, boost: Sequence[int] = ()) -> Gathered | None:
    """Rank articles and sentences for a question and list the answer candidates with features."""
    terms = qa.terms
    if followup and scope:
        # A follow-up is about the articles just shown, in the order they were shown.
        ranked = _rank(conn, terms, limit=len(scope), article_ids=scope, roots=qa.roots) if terms else []
        have = {r.article_id for r in ranked}
        bodies = store.get_articles(conn, [a for a in scope if a not in have])
        for a in scope:
            if a in bodies:
                body = bodies[a].body
                ranked.append(_Ranked(a, 0.0, _score_sentences(body, a, split_sentences(body), {})))
    else:
        ranked = _rank(conn, terms, limit=6, article_ids=scope, roots=qa.roots, boost=boost)
    if not ranked:
        return None
    ids = [r.article_id for r in ranked]
    articles = store.get_articles(conn, ids)
    top = max(ranked[0].score, 1e-9)
    sentences: list[_Sentence] = []
    for rank, r in enumerate(ranked[:5]):
        weight = r.score / top if r.score > 0 else (1.0 if followup and rank == 0 else 0.0)
        for snt in r.sentences:
            snt.score += ARTICLE_WEIGHT * weight
            sentences.append(snt)
    sentences.sort(key=lambda s: -s.score)
    sentences = sentences[:12]
    # Facts of the asked type are sparse, so they are looked for in more sentences than spans.
    best = sentences[:FACT_SENTENCES if qa.type in _KINDS_FOR else ANSWER_SENTENCES]
    facts = store.facts_for(conn, {s.article_id for s in best})
    known = _known_names(conn) if qa.type == "who" else {}
    qterms = set(terms)
    asks_year = bool(_ASKS_YEAR.search(fold(normalize(qa.text)))) and qa.type == "when"
    weights = spans.load_weights()
    qword = spans.question_word(qa.text)
    candidates: list[spans.SpanCandidate] = []
    contexts = {}
    kinds = _KINDS_FOR.get(qa.type, {})
    focus = qa.terms[0] if qa.terms else None
    top_score = best[0].score if best else 0.0
    typed_by_ctx: list[tuple[spans.SentenceContext, list[spans.SpanCandidate]]] = []
    for rank, snt in enumerate(best):
        body = articles[snt.article_id].body
        ctx = spans.sentence_context(snt.article_id, snt.start, body[snt.start:snt.end], rank, snt.score, qterms,
                                     [r for r, _ in qa.roots])
        contexts[(snt.article_id, snt.start)] = ctx
        typed = [c for c in _fact_candidates(ctx, facts.get(snt.article_id, []), qa, known)
                 if not _in_question(c.text, qterms)]
        typed_by_ctx.append((ctx, typed))
    # Plain spans are the fallback of typed questions: skip them when a strong sentence holds a
    # fact of the asked type (they would lose to it anyway, and scoring them is most of the cost).
    has_typed = any(c.kind in kinds and ctx.score >= TYPED_SENTENCE_RATIO * top_score
                    for ctx, typed in typed_by_ctx for c in typed)
    has_typed = has_typed and qa.type != "who"  # people without a role still compete with spans
    for ctx, typed in typed_by_ctx:
        generic = spans.candidate_spans(ctx, qterms) if ctx.rank < ANSWER_SENTENCES and not has_typed else []
        for c in spans.merge_facts(generic, typed):
            c.feats = spans.features(c, ctx, qa.type, qterms, focus, asks_year, qword)
            c.score = spans.score(c.feats, weights)
            candidates.append(c)
    order = [s.article_id for s in sentences]
    order = list(dict.fromkeys(order + ids))
    return Gathered(qa, articles, order, sentences, candidates, contexts, facts)


def _agree(a: spans.SpanCandidate, b: spans.SpanCandidate) -> bool:
    if a.kind == "date" and b.kind == "date" and a.value and b.value:
        return not ((a.value_end or a.value) < b.value or (b.value_end or b.value) < a.value)  # ranges overlap
    ka = a.key or fold(normalize(a.text))
    kb = b.key or fold(normalize(b.text))
    return ka == kb


def _coordinated(body: str, first: spans.SpanCandidate, others: list[spans.SpanCandidate]) -> list[spans.SpanCandidate]:
    """Return people named together with ``first`` in its sentence («X ونظيره Y», "X and Y")."""
    group = [first]
    for c in sorted(others, key=lambda c: c.start):
        if c is first or c.kind != first.kind or c.article_id != first.article_id:
            continue
        if c.sentence_rank != first.sentence_rank or any(_agree(c, g) for g in group):
            continue
        lo, hi = sorted([(first.start, first.end), (c.start, c.end)])
        gap = body[lo[1]:hi[0]]
        if len(gap) <= 80 and (c.role or re.search(r"(?:^|\s)(?:و|مع|and|with)(?:\s|$)|\sو\S", gap)):
            group.append(c)
    return sorted(group, key=lambda c: c.start)


def _number_label(c: spans.SpanCandidate) -> str | None:
    """Return a number's value written plainly («3000000 EUR» → "3,000,000 EUR")."""
    if c.kind not in ("number", "money", "percent", "quantity") or not c.value:
        return None
    try:
        number = float(c.value)
    except ValueError:
        return None
    text = f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}".rstrip("0").rstrip(".")
    if c.unit == "%":
        return f"{text}%"
    return f"{text} {c.unit}" if c.unit else text


def _date_label(c: spans.SpanCandidate, lang: str) -> str | None:
    if c.kind != "date" or not c.value:
        return None
    m = DateMention(c.start, c.end, c.text, date.fromisoformat(c.value),
                    date.fromisoformat(c.value_end or c.value), c.precision or "day", False)
    return format_date(m, lang)


# --- the engine -----------------------------------------------------------------------------------

# Below this probability of the best candidate (and a weak sentence match) the reply says it
# found no clear answer and shows the best excerpts instead of guessing.
MIN_CONFIDENCE = 0.0
MIN_SENTENCE_SCORE = 0.3
# Preference for facts of the asked type over plain spans, and for people named with a role.
TYPE_BONUS = 1.0
ROLE_BONUS = 0.8
# Typed facts count only in sentences that match the question nearly as well as the best one.
TYPED_SENTENCE_RATIO = 0.8
ROLE_SENTENCE_RATIO = 0.5
COUNTED_BONUS = 0.7
REPORTING_PENALTY = 1.0
CAPITAL_BONUS = {"who": 4.0, "where": 2.0, "what": 2.0}  # measured on XQuAD-en
LEARNED_WEIGHT = 0.5
SENTENCE_WEIGHT_TYPED = 2.0
PROXIMITY_BONUS = 1.0  # a fact right next to the question's words («وقّع ... اليوم الخميس»)
TENSE_PENALTY = 1.5  # «متى وقعت» (past) is not answered by «بحلول عام 2027»
_NUMERIC = ("number", "money", "percent", "quantity")
EXCERPT_CHARS = 600


def _excerpt(body: str, sent: tuple[int, int], marks: list[tuple[int, int]]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Return the answer's sentence with its neighbours as room allows, and the marks inside it."""
    all_spans = split_sentences(body)
    idx = next((i for i, s in enumerate(all_spans) if s[0] <= sent[0] < s[1] + 1), None)
    lo, hi = sent
    if idx is not None:
        i, j = idx, idx
        while True:
            grew = False
            if (j + 1 < len(all_spans) and all_spans[j + 1][1] - lo <= EXCERPT_CHARS
                    and "\n\n" not in body[hi:all_spans[j + 1][0]]):
                j += 1
                hi = all_spans[j][1]
                grew = True
            if i > 0 and hi - all_spans[i - 1][0] <= EXCERPT_CHARS and "\n\n" not in body[all_spans[i - 1][1]:lo]:
                i -= 1
                lo = all_spans[i][0]
                grew = True
            if not grew:
                break
    if hi - lo > EXCERPT_CHARS * 2:
        lo, hi = sent[0], min(sent[1], sent[0] + EXCERPT_CHARS * 2)
    inside = tuple((s - lo, e - lo) for s, e in marks if s >= lo and e <= hi)
    return body[lo:hi], inside


def _followup_ids(conn: sqlite3.Connection, context_ids: Sequence[int] | None) -> list[int]:
    if not context_ids:
        return []
    have = store.get_articles(conn, context_ids)
    return [a for a in context_ids if a in have]


def answer_question(conn: sqlite3.Connection, question: str, *, article_ids: Sequence[int] | None = None,
                    context_ids: Sequence[int] | None = None, lang: str | None = None,
                    max_sources: int = 3) -> Answer:
    """Answer a question from the archive.

    ``article_ids`` restricts the search to those articles; ``context_ids`` are the articles the
    chat was last shown: a follow-up question («ومتى وقعت؟») is answered from them first, and
    falls back to the whole archive when they hold nothing relevant.
    """
    started = time.perf_counter()
    qa = analyze_question(question)
    lang = lang or ("ar" if re.search("[\u0600-\u06ff]", question) else "en")
    scope = list(article_ids) if article_ids is not None else None
    ctx = _followup_ids(conn, context_ids)
    result = None
    if ctx and qa.is_followup:
        within = ctx if scope is None else [a for a in ctx if a in scope]
        # The article the last answer came from first, then the others shown with it.
        for group in (within[:1], within[1:]):
            if group:
                result = _answer_in(conn, qa, group, lang, max_sources, followup=True)
                if result.answer is not None:
                    break
                result = None
    if result is None:
        # A question with its own topic searches the archive; the articles just shown get a
        # head start, so «متى وقعت الاتفاقية؟» still means the agreement under discussion.
        result = _answer_in(conn, qa, scope, lang, max_sources, followup=False, boost=ctx)
    ms = (time.perf_counter() - started) * 1000
    log.info("ask: %d chars, type %s, answered %s, %.1f ms", len(question), qa.type, result.answer is not None, ms)
    return Answer(result.question, result.type, result.answer, result.facts, result.confidence,
                  result.sources, result.article_ids, ms)


def _answer_in(conn: sqlite3.Connection, qa: QuestionAnalysis, scope: list[int] | None, lang: str,
               max_sources: int, *, followup: bool, boost: Sequence[int] = ()) -> Answer:
    g = gather(conn, qa, scope, followup=followup, boost=boost)
    if g is None:
        return Answer(qa.text, qa.type, None, (), 0.0, ())
    answer_text: str | None = None
    shown: list[spans.SpanCandidate] = []
    confidence = 0.0
    best_sentence = g.sentences[0] if g.sentences else None
    pool = g.candidates
    kinds = expected_kinds(qa)
    if qa.type in CAPITAL_BONUS and lang == "en":
        # Names are capitalised in English; the span model, fitted on Arabic, cannot know it.
        for c in pool:
            c.score += CAPITAL_BONUS[qa.type] * c.feats.get("cap_share", 0.0)
    if kinds:
        # A question of a known type is answered by a fact of that type when the best
        # sentences hold one (a person for «من», a date for «متى»); spans are the fallback.
        top = max((c.feats.get("sent_score", 0.0) for c in pool), default=0.0)
        typed = [c for c in pool if c.kind in kinds and _strong_enough(c, top)]
        if qa.type == "who" and any(c.kind == "person" and c.role for c in typed):
            # «من وقع؟» asks for the people who did it: named officials outrank their ministries.
            typed = [c for c in typed if c.kind == "person"]
        if typed:
            tense = question_tense(qa.text)
            for c in typed:
                # The span model was fitted on encyclopaedia answers; for facts of the asked type the
                # sentence's match with the question and local evidence count more than its shape.
                c.score = (LEARNED_WEIGHT * c.score + SENTENCE_WEIGHT_TYPED * c.feats.get("sent_score", 0.0) / top
                           + TYPE_BONUS * kinds[c.kind] + (ROLE_BONUS if c.role else 0.0))
                c.score += PROXIMITY_BONUS * c.feats.get("near_log", 0.0)
                if c.kind in _NUMERIC and c.feats.get("dr=0"):
                    c.score += COUNTED_BONUS  # «ستة جوائز» for «كم عدد الجوائز»: the counted noun follows
                if c.kind == "date" and _reported_on(c, g.contexts, qa):
                    c.score -= REPORTING_PENALTY  # «أعلنت ... اليوم الاثنين»: when it was said, not done
                if c.kind == "date" and tense and c.value:
                    c.score -= TENSE_PENALTY * _against_tense(c, tense, g.articles[c.article_id].published)
            pool = typed
    if pool and qa.type != "yesno":
        probs = spans.softmax([c.score for c in pool])
        # Agreeing candidates (the same date or name in several sentences of one article) pool their
        # probability; across articles the same date is usually a different event.
        pooled: list[tuple[float, spans.SpanCandidate]] = []
        ranked = sorted(zip(probs, pool, strict=True), key=lambda pc: -pc[0])
        for p, c in ranked[:40]:
            for k, (q, rep) in enumerate(pooled):
                if c.kind != "span" and rep.kind == c.kind and rep.article_id == c.article_id and _agree(rep, c):
                    pooled[k] = (q + p, rep)
                    break
            else:
                pooled.append((p, c))
        pooled.sort(key=lambda pc: -pc[0])
        confidence, best = pooled[0]
        if best.kind == "date":
            # Of agreeing dates, show the most precise («مطلع يوليو» over «الشهر الماضي»).
            same = [c for _, c in ranked[:40] if c.kind == "date" and c.article_id == best.article_id
                    and _agree(best, c)]
            best = max(same, key=lambda c: (_PRECISION_RANK.get(c.precision or "", 0), c.score))
        shown = [best]
        if best.kind in ("person", "org"):
            others = [c for c in pool if c.kind == best.kind]
            shown = _coordinated(g.articles[best.article_id].body, best, others)
        answer_text = _answer_text(best, shown, qa, lang)
        best_sentence = next((s for s in g.sentences if s.article_id == best.article_id
                              and s.start <= best.start < s.end), best_sentence)
    top_score = best_sentence.score if best_sentence else 0.0
    if best_sentence is None or (top_score < MIN_SENTENCE_SCORE and not followup) or confidence < MIN_CONFIDENCE:
        answer_text, shown = None, []
    return _reply(g, qa, answer_text, shown, confidence, best_sentence, lang, max_sources)


_WHICH_NOUN = re.compile(r"(?:^|\s)(?:و|ف)?(?:اي|ايه|ما|ماهي|ماهو|which|what)\s+(?:هي\s+|هو\s+)?(?:ال)?(\w+)")
_NOUN_KINDS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset(fold(normalize(w)) for w in """شركة شركه منظمة منظمه مؤسسة مؤسسه جامعة جامعه حزب جمعية جمعيه هيئة
        هيئه وكالة وكاله بنك مصرف فريق نادي صحيفة صحيفه company organization organisation university party
        agency bank team club newspaper""".split()), "org"),
    (frozenset(fold(normalize(w)) for w in """شخص رجل امراة امرأة لاعب رئيس ملك ملكة وزير عالم كاتب مؤلف فنان
        person man woman player president king queen minister scientist writer author artist""".split()), "person"),
    (frozenset(fold(normalize(w)) for w in """مدينة مدينه دولة دوله بلد مكان منطقة منطقه ولاية ولايه عاصمة عاصمه
        قارة قاره جزيرة جزيره city country place region state capital continent island""".split()), "place"),
)
_PERCENT_Q = re.compile(r"نسب|percent|percentage|proportion|share")
_AGE_Q = re.compile(r"\bعمر|\bسن\b|how old|\bage\b")


def expected_kinds(qa: QuestionAnalysis) -> dict[str, float]:
    """Return the fact kinds that answer this question, weighted by fit."""
    kinds = dict(_KINDS_FOR.get(qa.type, {}))
    if qa.type == "what":
        # «أي شركة …؟», "which company": the noun after the question word names the kind.
        m = _WHICH_NOUN.search(fold(normalize(qa.text)))
        if m:
            noun = m.group(1)
            for nouns, kind in _NOUN_KINDS:
                if noun in nouns:
                    kinds = {kind: 1.0}
    if qa.type == "number":
        q = fold(normalize(qa.text))
        if _PERCENT_Q.search(q):
            kinds["percent"] = 1.3
        if _AGE_Q.search(q):
            kinds["quantity"] = kinds["number"] = 1.0
    return kinds


_FUTURE_Q = re.compile(r"\b(?:will|shall|going to|next)\b|(?:^|\s)(?:و|ف)?(?:سوف|سي\w+|ست\w+|سن\w+)")
_PRESENT_Q = re.compile(r"^\s*(?:و|ف)?(?:متي|when)\s+(?:(?:does|do|is|are)\b|[يتن](?!م\b)\w{2,})")
_PAST_Q = re.compile(r"\b(?:was|were|did|had)\b|^\s*(?:و|ف)?متي\s+(?:تم\b|[^\sيتن]\w+)")


def question_tense(question: str) -> str | None:
    """Return "past" or "future" when the question's verb says which, else None.

    «متى وقعت/تم» ask about the past; «متى تبدأ/ستبدأ», "when will" about now or later.
    """
    q = fold(normalize(question))
    if _FUTURE_Q.search(q):
        return "future"
    if _PAST_Q.search(q):
        return "past"
    if _PRESENT_Q.search(q):
        return "future"
    return None


def _against_tense(c: spans.SpanCandidate, tense: str, published: str | None) -> float:
    """Return 1.0 when a date contradicts the question's tense relative to the article's date."""
    if not published or not c.value:
        return 0.0
    if tense == "past" and c.value > published:
        return 1.0
    if tense == "future" and (c.value_end or c.value) < published:
        return 1.0
    return 0.0


_REPORTING = frozenset(fold(normalize(w)) for w in """أعلن أعلنت اعلن اعلنت قال قالت ذكر ذكرت أكد أكدت اكد اكدت
    أوضح أوضحت كشف كشفت أفاد أفادت صرح صرحت أشار أشارت said says announced told stated reported added""".split())


def _reported_on(c: spans.SpanCandidate, contexts: dict, qa: QuestionAnalysis) -> bool:
    """True when a date belongs to a reporting verb just before it («أعلنت الشركة اليوم الاثنين»)."""
    ctx = next((x for x in contexts.values() if x.article_id == c.article_id
                and x.start <= c.start < x.start + len(x.text)), None)
    if ctx is None:
        return False
    lo = next((i for i, t in enumerate(ctx.tokens) if ctx.start + t.start >= c.start), len(ctx.tokens))
    before = ctx.folded[max(0, lo - 6):lo]
    return any(w in _REPORTING or (w[:1] in "وف" and w[1:] in _REPORTING) for w in before) and not any(
        t in _REPORTING for t in (fold(normalize(w)) for w in qa.words))


def _strong_enough(c: spans.SpanCandidate, top: float) -> bool:
    """True when a typed fact's sentence matches the question well enough to answer from it.

    A fact with strong local evidence (a person named with a role, «وزير الطاقة ... سامر الخطيب»;
    a number followed by the counted word of the question, «4 رحلات») may sit in a sentence that
    repeats fewer of the question's words than the article's lead, so the bar is lower for it.
    """
    local = (c.kind == "person" and c.role) or (c.kind in _NUMERIC and c.feats.get("dr=0"))
    ratio = ROLE_SENTENCE_RATIO if local else TYPED_SENTENCE_RATIO
    return c.feats.get("sent_score", 0.0) >= ratio * top


def _answer_text(best: spans.SpanCandidate, shown: list[spans.SpanCandidate], qa: QuestionAnalysis,
                 lang: str) -> str:
    if best.kind == "date":
        if _ASKS_YEAR.search(fold(normalize(qa.text))) and best.value and best.precision != "year":
            m = re.search(r"\d{4}", best.text.translate(_DIGITS))
            if m:
                return m.group()
        return _DATE_PREFIX.sub("", best.text) if best.precision == "year" else best.text
    sep = "، " if lang == "ar" else ", "
    return sep.join(c.text for c in shown)


_DATE_PREFIX = re.compile(r"^(?:في|فى|خلال|منذ|عام|العام|سنة|سنه|in|on|since|during)\s+", re.I)


def _reply(g: Gathered, qa: QuestionAnalysis, answer_text: str | None, shown: list[spans.SpanCandidate],
           confidence: float, best_sentence: _Sentence | None, lang: str, max_sources: int) -> Answer:
    """Assemble facts, excerpts and sources around the chosen answer."""
    facts_out: list[Fact] = []
    for c in shown:
        if c.kind == "span":
            continue
        value = c.value if c.kind in ("date", "number", "money", "percent", "quantity") else None
        facts_out.append(Fact(c.kind, c.text, value, c.role, _date_label(c, lang) or _number_label(c)))
    # The answer sentence's date and place come along, so "who" also says when and where.
    if best_sentence is not None and answer_text is not None:
        for r in g.facts.get(best_sentence.article_id, ()):
            inside = r["start"] >= best_sentence.start and r["end"] <= best_sentence.end
            if inside and r["kind"] in ("date", "place") and not any(f.kind == r["kind"] for f in facts_out):
                c = spans.SpanCandidate(r["start"], r["end"], r["text"], best_sentence.article_id, 0, r["kind"],
                                        value=r["value"], value_end=r["value_end"], precision=r["precision"])
                facts_out.append(Fact(r["kind"], r["text"], r["value"], None, _date_label(c, lang)))
    order = ([best_sentence.article_id] if best_sentence else []) + g.order
    order = list(dict.fromkeys(order))
    sources: list[Source] = []
    for a in order[:max_sources]:
        art = g.articles[a]
        if best_sentence is not None and a == best_sentence.article_id:
            sent = (best_sentence.start, best_sentence.end)
            marks = [(c.start, c.end) for c in shown if c.article_id == a]
        else:
            s_obj = next((s for s in g.sentences if s.article_id == a), None)
            sent = (s_obj.start, s_obj.end) if s_obj else (0, min(len(art.body), EXCERPT_CHARS))
            marks = []
        text, inside = _excerpt(art.body, sent, marks)
        sources.append(Source(a, art.title, art.url, art.published, text, inside, art.source))
    return Answer(qa.text, qa.type, answer_text, tuple(facts_out), round(confidence, 3), tuple(sources),
                  tuple(order))
