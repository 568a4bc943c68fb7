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
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from . import store
from .analysis import STOPWORDS, fold, normalize, tokenize
from .dates import DateMention, extract_dates, format_date
from .entities import extract_entities
from .models import Article
from .search import _quote, ranked_match
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
        (r"\bكم\s+(?:تبلغ|بلغت|بلغ|يبلغ|قيمه|تكلفه|كلفه|سعر|ثمن|مبلغ)\b|\b(?:قيمه|تكلفه|كلفه|مبلغ)\b.*\bكم\b", "money"),
        (r"\bكم\b|\b(?:ما|ماهو|ماهي)\s+(?:هو\s+|هي\s+)?(?:عدد|نسبه|مساحه|طول|حجم|قيمه|مقدار|عمر)\b", "number"),
        (r"^(?:و|ف)?من\s|^(?:و|ف)?من$|\bمن\s+(?:هو|هي|هم|الذي|التي|الذين)\b|^(?:و|ف)?لمن\b", "who"),
        (r"\b(?:ما|ماهو|ماهي)\s+(?:هو\s+|هي\s+)?(?:اسم)\b", "who"),
        (r"^(?:و|ف)?(?:لماذا|لما)\b", "why"),
        (r"^(?:و|ف)?كيف\b", "how"),
        (r"^(?:و|ف)?هل\b", "yesno"),
        (r"\b(?:ما|ماذا|ماهو|ماهي|اي|ايه)\b", "what"),
        (r"^\s*(?:and\s+)?when\b|\bwhat\s+(?:year|date|day|month|time|century|decade)\b|\b(?:which|in which)\s+(?:year|month|century|decade)\b", "when"),
        (r"^\s*(?:and\s+)?where\b|\b(?:which|what|in which|in what)\s+(?:city|country|state|place|region|continent|town)\b", "where"),
        (r"\bhow\s+much\b|\bwhat\s+(?:was|is)\s+the\s+(?:cost|value|price|amount)\b", "money"),
        (r"\bhow\s+(?:many|long|far|old|big|large|tall)\b|\bwhat\s+(?:percentage|percent|number|proportion)\b", "number"),
        (r"^\s*(?:and\s+)?(?:who|whom|whose)\b|\bwho\b", "who"),
        (r"^\s*(?:and\s+)?why\b", "why"),
        (r"^\s*(?:and\s+)?how\b", "how"),
        (r"^\s*(?:is|are|was|were|did|does|do|can|will|has|have)\b", "yesno"),
        (r"\b(?:what|which)\b", "what"),
    ]
]

# Fact kinds that can answer each type, with a type-fit weight.
_KINDS_FOR: dict[str, dict[str, float]] = {
    "who": {"person": 1.0, "org": 0.6},
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


def question_type(question: str) -> str:
    """Return the expected answer type: who, when, where, money, number, what, why, how, yesno."""
    q = fold(normalize(question)).strip()
    for pattern, qtype in _TYPE_RULES:
        if pattern.search(q):
            return qtype
    return "what"


_QWORDS = frozenset(
    fold(normalize(w))
    for w in """من ومن فمن متى ومتى اين أين وأين كم وكم ما ماذا وماذا ما هو هي ماهي ماهو اي أي أية ايه
    لماذا كيف هل وهل عدد اسم who whom whose when where what which why how many much""".split()
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
    return QuestionAnalysis(question, qtype, tuple(dict.fromkeys(terms)), tuple(words), focus,
                            is_followup or not terms)


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


def _expression(conn: sqlite3.Connection, terms: Sequence[str]) -> str | None:
    return ranked_match(conn, terms)


def retrieve_articles(conn: sqlite3.Connection, question: str, *, limit: int = 5,
                      article_ids: Sequence[int] | None = None) -> list[int]:
    """Return the ids of the articles that best match a question, best first."""
    qa = analyze_question(question)
    ranked = _rank_articles(conn, qa.terms, limit=limit, article_ids=article_ids)
    return [a for a, _ in ranked]


def _rank_articles(conn: sqlite3.Connection, terms: Sequence[str], *, limit: int,
                   article_ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
    match = _expression(conn, terms)
    if match is None:
        return []
    filters = store.Filters(article_ids=tuple(article_ids) if article_ids is not None else None)
    rows = store.fetch_hits(conn, match, filters, limit=limit)
    return [(r["id"], -r["score"]) for r in rows]


def _retrieve_passages(conn: sqlite3.Connection, terms: Sequence[str], article_ids: Sequence[int],
                       limit: int = 8) -> list[_Passage]:
    match = _expression(conn, terms)
    if match is None:
        return []
    rows = store.fetch_passages(conn, match, store.Filters(article_ids=tuple(article_ids)), limit=limit)
    return [_Passage(r["article_id"], r["start"], r["end"], -r["score"]) for r in rows]


# --- candidates -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Candidate:
    kind: str
    text: str
    start: int  # in the article body
    end: int
    article_id: int
    sentence: tuple[int, int]
    score: float
    value: str | None = None
    value_end: str | None = None
    precision: str | None = None
    role: str | None = None
    unit: str | None = None
    key: str | None = None
    support: int = 1


@dataclass(slots=True)
class _Sentence:
    article_id: int
    start: int
    end: int
    score: float
    positions: list[int] = field(default_factory=list)  # char offsets of matched question terms


_PRECISION_RANK = {"day": 4, "week": 3, "part_of_month": 3, "month": 2, "year": 1}
_BARE_YEAR = re.compile(r"(?<![\d.,])(1[0-9]{3}|20[0-9]{2})(?![\d.,])")
_DIGITS = str.maketrans({chr(0x0660 + i): str(i) for i in range(10)})


def _idf(conn: sqlite3.Connection, terms: Sequence[str]) -> dict[str, float]:
    df = store.doc_freqs(conn, terms)
    n = max(store.count_articles(conn), 1)
    return {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in terms}


def _score_sentences(body: str, article_id: int, spans: list[tuple[int, int]], idf: dict[str, float],
                     base: float) -> list[_Sentence]:
    out = []
    total = sum(idf.values()) or 1.0
    for s, e in spans:
        toks = tokenize(body[s:e])
        matched: dict[str, float] = {}
        positions = []
        for t in toks:
            if t.term in idf:
                matched[t.term] = idf[t.term]
                positions.append(s + t.start)
        coverage = sum(matched.values()) / total
        out.append(_Sentence(article_id, s, e, coverage + base, positions))
    return out


def _proximity(start: int, end: int, positions: list[int]) -> float:
    if not positions:
        return 0.0
    dist = min(abs(p - start) if p < start else abs(p - end) if p > end else 0 for p in positions)
    return 1.0 / (1.0 + dist / 40.0)


def _in_question(text: str, qterms: set[str]) -> bool:
    toks = tokenize(text)
    return bool(toks) and all(t.term in qterms for t in toks)


def _candidates(qa: QuestionAnalysis, sentences: list[_Sentence], bodies: dict[int, Article],
                facts: dict[int, list[sqlite3.Row]], published: dict[int, date | None],
                known: dict[str, str]) -> list[_Candidate]:
    kinds = _KINDS_FOR.get(qa.type)
    if not kinds:
        return []
    qterms = set(qa.terms)
    out: list[_Candidate] = []
    for sent in sentences:
        body = bodies[sent.article_id].body
        rows = [r for r in facts.get(sent.article_id, ()) if r["start"] >= sent.start and r["end"] <= sent.end]
        cands: list[_Candidate] = []
        for r in rows:
            if r["kind"] not in kinds:
                continue
            cands.append(_Candidate(r["kind"], r["text"], r["start"], r["end"], sent.article_id,
                                    (sent.start, sent.end), 0.0, r["value"], r["value_end"], r["precision"],
                                    r["role"], r["unit"], r["key"]))
        text = body[sent.start:sent.end]
        if qa.type == "who" and known:
            # Names learned after this article was ingested are found at question time.
            have = {(c.start, c.end) for c in cands}
            for ent in extract_entities(text, known):
                if ent.kind in kinds and (sent.start + ent.start, sent.start + ent.end) not in have:
                    cands.append(_Candidate(ent.kind, ent.text, sent.start + ent.start, sent.start + ent.end,
                                            sent.article_id, (sent.start, sent.end), 0.0, role=ent.role,
                                            key=ent.key))
        if qa.type == "when":
            taken = [(c.start, c.end) for c in cands]
            for m in _BARE_YEAR.finditer(text.translate(_DIGITS)):
                s, e = sent.start + m.start(), sent.start + m.end()
                if any(a <= s < b for a, b in taken):
                    continue
                y = m.group(1)
                cands.append(_Candidate("date", body[s:e], s, e, sent.article_id, (sent.start, sent.end), -0.15,
                                        f"{y}-01-01", f"{y}-12-31", "year"))
        for c in cands:
            if _in_question(c.text, qterms):
                continue
            fit = kinds.get(c.kind, 0.0)
            c.score += sent.score + 0.6 * fit + 0.5 * _proximity(c.start, c.end, sent.positions)
            if c.kind == "person" and c.role:
                c.score += 0.15
            out.append(c)
    return out


def _agree(a: _Candidate, b: _Candidate) -> bool:
    if a.kind == "date" and b.kind == "date" and a.value and b.value:
        return not (a.value_end < b.value or b.value_end < a.value)  # ranges overlap
    ka = a.key or fold(normalize(a.text))
    kb = b.key or fold(normalize(b.text))
    return ka == kb


def _cluster(cands: list[_Candidate]) -> list[list[_Candidate]]:
    clusters: list[list[_Candidate]] = []
    for c in sorted(cands, key=lambda c: -c.score):
        for cl in clusters:
            if _agree(cl[0], c):
                cl.append(c)
                break
        else:
            clusters.append([c])
    return clusters


def _cluster_score(cl: list[_Candidate]) -> float:
    best = max(c.score for c in cl)
    return best + 0.25 * math.log(len({(c.article_id, c.start) for c in cl}))


def _best_of(cl: list[_Candidate]) -> _Candidate:
    """Return the representative of agreeing candidates: the most precise date, else the best."""
    if cl[0].kind == "date":
        return max(cl, key=lambda c: (_PRECISION_RANK.get(c.precision or "", 0), c.score))
    return max(cl, key=lambda c: c.score)


_COORD = re.compile(r"^[\s،,]*(?:و|مع|and|with|,|،)?[\s،,]*")


def _coordinated(body: str, first: _Candidate, others: list[_Candidate]) -> list[_Candidate]:
    """Return people named together with ``first`` in its sentence («X ونظيره Y», "X and Y")."""
    group = [first]
    for c in sorted(others, key=lambda c: c.start):
        if c is first or c.kind != first.kind or c.sentence != first.sentence or c.article_id != first.article_id:
            continue
        if any(_agree(c, g) for g in group):
            continue
        lo, hi = sorted([(first.start, first.end), (c.start, c.end)])
        gap = body[lo[1]:hi[0]]
        if len(gap) <= 60 and (c.role or _COORD.match(gap).end() == len(gap) or re.search(r"\b(?:مع|و|and|with)\b|\sو", gap)):
            group.append(c)
    return sorted(group, key=lambda c: c.start)


def _date_label(c: _Candidate, lang: str) -> str | None:
    if not c.value:
        return None
    m = DateMention(c.start, c.end, c.text, date.fromisoformat(c.value), date.fromisoformat(c.value_end or c.value),
                    c.precision or "day", False)
    return format_date(m, lang)


_DATE_PREFIX = re.compile(r"^(?:في|فى|خلال|منذ|عام|العام|سنة|سنه|in|on|since|during)\s+", re.I)


def _what_span(body: str, sent: _Sentence, qterms: set[str]) -> tuple[int, int]:
    """Return the tightest span of a sentence that likely answers a what/which question.

    Take the run of words right after the last question word matched in the sentence, up to a
    clause boundary, preferring words that are not in the question.
    """
    text = body[sent.start:sent.end]
    toks = tokenize(text)
    if not toks:
        return sent.start, sent.end
    matched = [i for i, t in enumerate(toks) if t.term in qterms]
    if not matched:
        return sent.start, sent.end
    # The longest run of non-question words adjacent to a matched word.
    best: tuple[int, int] | None = None
    best_len = 0
    i = 0
    while i < len(toks):
        if toks[i].term in qterms or fold(normalize(toks[i].text)) in _STOP_FOLDED and False:
            i += 1
            continue
        j = i
        while j < len(toks) and toks[j].term not in qterms:
            if j > i and re.search(r"[،,;:.!؟?()]", text[toks[j - 1].end:toks[j].start]):
                break
            j += 1
        near = min(abs(i - m) for m in matched)
        run = j - i
        value = min(run, 10) / (1 + near)
        if value > best_len:
            best_len, best = value, (i, j)
        i = max(j, i + 1)
    if best is None:
        return sent.start, sent.end
    lo, hi = best
    hi = min(hi, lo + 10)
    while lo < hi and fold(normalize(toks[lo].text)) in _STOP_FOLDED:
        lo += 1
    if lo >= hi:
        return sent.start, sent.end
    return sent.start + toks[lo].start, sent.start + toks[hi - 1].end


# --- the engine -----------------------------------------------------------------------------------

MIN_CONFIDENCE = 0.35
EXCERPT_CHARS = 420


def _excerpt(body: str, sent: tuple[int, int], marks: list[tuple[int, int]]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Return the answer's sentence with its neighbours as room allows, and the marks inside it."""
    spans = split_sentences(body)
    idx = next((i for i, s in enumerate(spans) if s[0] <= sent[0] < s[1] + 1), None)
    lo, hi = sent
    if idx is not None:
        i, j = idx, idx
        while True:
            grew = False
            if j + 1 < len(spans) and spans[j + 1][1] - lo <= EXCERPT_CHARS and "\n\n" not in body[hi:spans[j + 1][0]]:
                j += 1
                hi = spans[j][1]
                grew = True
            if i > 0 and hi - spans[i - 1][0] <= EXCERPT_CHARS and "\n\n" not in body[spans[i - 1][1]:lo]:
                i -= 1
                lo = spans[i][0]
                grew = True
            if not grew:
                break
    if hi - lo > EXCERPT_CHARS * 2:
        lo, hi = sent[0], min(sent[1], sent[0] + EXCERPT_CHARS * 2)
    text = body[lo:hi]
    inside = tuple((s - lo, e - lo) for s, e in marks if s >= lo and e <= hi)
    return text, inside


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
    if ctx and (qa.is_followup or scope is None):
        result = _answer_in(conn, qa, ctx if scope is None else [a for a in ctx if a in scope], lang,
                            max_sources, followup=qa.is_followup)
        if result is not None and result.answer is None and not qa.is_followup:
            result = None
    if result is None:
        result = _answer_in(conn, qa, scope, lang, max_sources, followup=False)
    ms = (time.perf_counter() - started) * 1000
    log.info("ask: %d chars, type %s, answered %s, %.1f ms", len(question), qa.type, result.answer is not None, ms)
    return Answer(result.question, result.type, result.answer, result.facts, result.confidence,
                  result.sources, result.article_ids, ms)


def _answer_in(conn: sqlite3.Connection, qa: QuestionAnalysis, scope: list[int] | None, lang: str,
               max_sources: int, *, followup: bool) -> Answer:
    terms = qa.terms
    if followup and scope:
        ranked = [(a, 1.0) for a in scope[:5]]
        if terms:
            scored = dict(_rank_articles(conn, terms, limit=len(scope), article_ids=scope))
            ranked = sorted(ranked, key=lambda p: -scored.get(p[0], 0.0))
    else:
        ranked = _rank_articles(conn, terms, limit=8, article_ids=scope)
    if not ranked:
        return Answer(qa.text, qa.type, None, (), 0.0, ())
    ids = [a for a, _ in ranked]
    top = ranked[0][1] or 1.0
    article_weight = {a: (s / top if top > 0 else 0.0) for a, s in ranked}
    articles = store.get_articles(conn, ids)
    idf = _idf(conn, terms) if terms else {}
    passages = _retrieve_passages(conn, terms, ids, limit=10) if terms else []
    if not passages:
        # Follow-ups without content words: every passage of the context articles is a candidate.
        passages = [_Passage(a, s, e, 0.0) for a in ids[:3] for _, s, e in store.article_passages(conn, a)]
    ptop = max((p.score for p in passages), default=1.0) or 1.0
    sentences: list[_Sentence] = []
    for p in passages:
        body = articles[p.article_id].body
        spans = [(p.start + s, p.start + e) for s, e in split_sentences(body[p.start:p.end])]
        base = 0.35 * (p.score / ptop) + 0.35 * article_weight.get(p.article_id, 0.0)
        sentences.extend(_score_sentences(body, p.article_id, spans, idf, base))
    sentences.sort(key=lambda s: -s.score)
    sentences = sentences[:12]
    facts = store.facts_for(conn, {s.article_id for s in sentences})
    known = store.known_names(conn) if qa.type == "who" else {}
    published = {a: (date.fromisoformat(art.published) if art.published else None) for a, art in articles.items()}
    cands = _candidates(qa, sentences, articles, facts, published, known)

    answer_text: str | None = None
    shown: list[_Candidate] = []
    confidence = 0.0
    best_sentence = sentences[0] if sentences else None
    if cands:
        clusters = sorted(_cluster(cands), key=lambda cl: -_cluster_score(cl))
        best_cluster = clusters[0]
        rep = _best_of(best_cluster)
        confidence = min(1.0, _cluster_score(best_cluster) / 1.6)
        shown = [rep]
        if qa.type == "who":
            shown = _coordinated(articles[rep.article_id].body, rep, cands)
        best_sentence = next((s for s in sentences if s.article_id == rep.article_id and s.start == rep.sentence[0]),
                             best_sentence)
        if qa.type == "when":
            answer_text = _DATE_PREFIX.sub("", rep.text) if rep.precision == "year" else rep.text
        else:
            answer_text = "، ".join(c.text for c in shown) if lang == "ar" else ", ".join(c.text for c in shown)
    elif best_sentence is not None and qa.type not in ("yesno",):
        s, e = (_what_span(articles[best_sentence.article_id].body, best_sentence, set(terms))
                if qa.type in ("what", "who", "where", "number", "money") else (best_sentence.start, best_sentence.end))
        answer_text = articles[best_sentence.article_id].body[s:e].strip() or None
        confidence = min(1.0, best_sentence.score / 1.6) * 0.8
        shown = [_Candidate("span", answer_text or "", s, e, best_sentence.article_id,
                            (best_sentence.start, best_sentence.end), best_sentence.score)]
    if best_sentence is None or (best_sentence.score < 0.3 and not followup):
        answer_text, confidence = None, min(confidence, 0.2)
    if confidence < MIN_CONFIDENCE * 0.5:
        answer_text = None

    facts_out: list[Fact] = []
    for c in shown:
        if c.kind == "span":
            continue
        label = _date_label(c, lang) if c.kind == "date" else None
        facts_out.append(Fact(c.kind, c.text, c.value if c.kind == "date" else (c.value or c.key), c.role, label))
    # Context facts of the answer's sentence: its date and place, so a "who" answer also says when/where.
    if best_sentence is not None and answer_text is not None:
        for r in facts.get(best_sentence.article_id, ()):
            if r["start"] >= best_sentence.start and r["end"] <= best_sentence.end and r["kind"] in ("date", "place"):
                if any(f.kind == r["kind"] for f in facts_out):
                    continue
                c = _Candidate(r["kind"], r["text"], r["start"], r["end"], best_sentence.article_id, (0, 0), 0,
                               r["value"], r["value_end"], r["precision"])
                facts_out.append(Fact(r["kind"], r["text"], r["value"], None,
                                      _date_label(c, lang) if r["kind"] == "date" else None))

    sources: list[Source] = []
    order: list[int] = []
    if best_sentence is not None:
        order.append(best_sentence.article_id)
    for s in sentences:
        if s.article_id not in order:
            order.append(s.article_id)
    for a in ids:
        if a not in order:
            order.append(a)
    for a in order[:max_sources]:
        art = articles[a]
        if best_sentence is not None and a == best_sentence.article_id:
            sent = (best_sentence.start, best_sentence.end)
            marks = [(c.start, c.end) for c in shown if c.article_id == a] if answer_text else []
        else:
            sent_obj = next((s for s in sentences if s.article_id == a), None)
            sent = (sent_obj.start, sent_obj.end) if sent_obj else (0, min(len(art.body), EXCERPT_CHARS))
            marks = []
        text, inside = _excerpt(art.body, sent, marks)
        sources.append(Source(a, art.title, art.url, art.published, text, inside, art.source))
    return Answer(qa.text, qa.type, answer_text, tuple(facts_out), round(confidence, 3), tuple(sources),
                  tuple(order))


def find_article_by_quote(conn: sqlite3.Connection, words: str) -> list[int]:
    """Return ids of articles containing the exact phrase (used by tests and tools)."""
    terms = [t.term for t in tokenize(words)]
    if not terms:
        return []
    return store.fetch_ids(conn, _quote(" ".join(terms)), store.Filters())


_ = defaultdict  # kept for readability of future grouping helpers
