"""Retrieval: question → ranked articles → ranked sentences → answer candidates with features.

``retrieve_articles`` ranks articles (title + body, BM25) and re-ranks the best of them by their
best sentence; ``gather`` ranks the sentences of the best articles and lists the candidates of
the expected type inside them (facts stored at ingest, names learned from the archive, bare
years, eras, counts in words, and plain spans), each with the span model's features and score.
"""

from __future__ import annotations

import bisect
import math
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import spans, store
from .analysis import exact_family, exact_term, fold, normalize, root, term, tokenize, words
from .entities import extract_entities, is_given_name
from .models import Article
from .question import _ASKS_YEAR, _KINDS_FOR, QuestionAnalysis, analyze_question, expected_kinds
from .search import ranked_match
from .segments import split_sentences

__all__ = ["Gathered", "gather", "retrieve_articles"]

def retrieve_articles(conn: sqlite3.Connection, question: str, *, limit: int = 5,
                      article_ids: Sequence[int] | None = None) -> list[int]:
    """Return the ids of the articles that best match a question, best first."""
    qa = analyze_question(question)
    ranked = _rank(conn, qa.terms, limit=limit, article_ids=article_ids, roots=qa.roots, words=qa.words)
    return [r.article_id for r in ranked]


# Re-ranking: BM25 finds candidate articles; the best single sentence's share of the question's
# (idf-weighted) words says whether one statement there answers it, so evidence inside one
# passage outweighs the same words scattered over an article. Chosen by source@1 on questions
# generated from the archive (tests/bench/gen_archive_qa.py, held-out slice), keeping XQuAD-ar and
# ARCD recall@1 (README, "Measuring"): pool 8 -> 20, sentence weight 1 -> 2, stem-only 1 -> 0.5
# took generated-question source@1 from 0.613 to 0.650.
RERANK_POOL = 20
# A sentence word that shares only its stem with a question word («الكورية» for «كورونا», «العمل»
# for «العملة») earns this share of the word's weight; its exact form (or an inflection) earns it all.
STEM_ONLY_CREDIT = 0.5
SENTENCE_WEIGHT = 2.0
CONTEXT_BOOST = 0.3  # for the articles a chat was just shown
ARTICLE_WEIGHT = 0.6  # a sentence's score includes its article's (normalised) rank score


@dataclass(slots=True)
class _Ranked:
    article_id: int
    score: float
    sentences: list[_Sentence]


def _rank(conn: sqlite3.Connection, terms: Sequence[str], *, limit: int,
          article_ids: Sequence[int] | None = None, roots: Sequence[tuple[str, str]] = (),
          boost: Sequence[int] = (), words: Sequence[str] = ()) -> list[_Ranked]:
    """Rank articles by BM25, then re-rank the best of them by their best sentence.

    ``words`` are the question's words as written: a sentence word matching one exactly (or one
    of its inflections) counts fully, one sharing only the stem counts ``STEM_ONLY_CREDIT``.
    """
    df = store.doc_freqs(conn, terms)  # once: for the query plan and for the idf weights
    match = ranked_match(conn, terms, df=df)
    if match is None:
        return []
    filters = store.Filters(article_ids=tuple(article_ids) if article_ids is not None else None)
    rows = store.fetch_hits(conn, match, filters, limit=max(limit, RERANK_POOL))
    if boost:
        # The articles just shown compete even when the archive has many better BM25 matches.
        have = {r.id for r in rows}
        wanted = tuple(a for a in boost if a not in have and (article_ids is None or a in article_ids))
        if wanted:
            rows = [*rows, *store.fetch_hits(conn, match, store.Filters(article_ids=wanted), limit=len(wanted))]
    if not rows:
        return []
    top = max(-r.score for r in rows) or 1.0
    idf = _idf(conn, terms, df)
    exact = _exact_families(words)
    ranked = []
    for r in rows:
        body = r.body
        sentences = _score_sentences(body, r.id, split_sentences(body), idf, roots, exact)
        best = max((x.score for x in sentences), default=0.0)
        score = (-r.score) / top + SENTENCE_WEIGHT * best + (CONTEXT_BOOST if r.id in boost else 0.0)
        ranked.append(_Ranked(r.id, score, sentences))
    ranked.sort(key=lambda x: -x.score)
    return ranked[:limit]


# --- candidates -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Sentence:
    article_id: int
    start: int
    end: int
    score: float


_BARE_YEAR = re.compile(r"(?<![\d.,])(1[0-9]{3}|20[0-9]{2})(?![\d.,])")
_DIGITS = str.maketrans({chr(0x0660 + i): str(i) for i in range(10)})
ANSWER_SENTENCES = 3
FACT_SENTENCES = 8
# Typed facts count only in sentences that match the question nearly as well as the best one.
TYPED_SENTENCE_RATIO = 0.8
_NUMERIC = ("number", "money", "percent", "quantity")
_NAMED_KINDS = ("person", "org", "place")


# Sentence scores weigh each question word by idf ** IDF_POWER: above 1, the rare words that pin a
# story down (a name, a number, a village) count more against the common stems around them.
IDF_POWER = 1.0


def _idf(conn: sqlite3.Connection, terms: Sequence[str], df: Mapping[str, int]) -> dict[str, float]:
    n = max(store.max_article_id(conn), 1)  # O(1), unlike count(*); deletions are rare
    return {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) ** IDF_POWER for t in terms}


# A word sharing only its root with a question word («التوقيع» for «وقعت») counts this much.
ROOT_CREDIT = 0.8


def _exact_families(words: Sequence[str]) -> dict[str, frozenset[str]]:
    """Return each question word's index term → the exact terms of its own forms."""
    out: dict[str, set[str]] = {}
    for w in words:
        out.setdefault(term(w), set()).update(exact_family(w))
    return {t: frozenset(f) for t, f in out.items()}


def _score_sentences(body: str, article_id: int, spans: list[tuple[int, int]], idf: dict[str, float],
                     roots: Sequence[tuple[str, str]] = (),
                     exact: Mapping[str, frozenset[str]] | None = None) -> list[_Sentence]:
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
                family = exact.get(t) if exact else None
                credit = idf[t] if family is None or exact_term(w) in family else STEM_ONLY_CREDIT * idf[t]
                if credit > matched.get(t, 0.0):
                    matched[t] = credit
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
    db = store.database_file(conn)
    mark = store.max_article_id(conn)
    cached = _KNOWN_CACHE.get(db)
    if cached is None or cached[0] != mark:
        cached = (mark, store.known_names(conn))
        _KNOWN_CACHE[db] = cached
    return cached[1]


# A "person" whose first word is a common word of the archive («حفل», «نظام», «بدلا») was read
# after a role that named nobody («رعى أمير المنطقة حفل التخرج»): when the name was seen with a
# role in fewer than NAME_SHARE_MIN of the articles holding that word, it is a plain span.
NAME_SHARE_MIN = 0.02
COMMON_DF_SHARE = 0.002  # "common": in at least this share of the archive's articles…
COMMON_DF_MIN = 20  # …and at least this many


def _demote_common_words(conn: sqlite3.Connection, candidates: list[spans.SpanCandidate]) -> None:
    """Turn people named by a common word into plain spans (a frequency check over the archive)."""
    firsts: dict[int, str] = {}
    for c in candidates:
        if c.kind == "person" and c.key:
            ws = words(c.text)
            if ws and not is_given_name(ws[0]):
                firsts[id(c)] = term(ws[0])
    if not firsts:
        return
    floor = max(COMMON_DF_MIN, COMMON_DF_SHARE * store.max_article_id(conn))
    df = store.doc_freqs(conn, firsts.values())
    common = {id(c) for c in candidates if id(c) in firsts and df.get(firsts[id(c)], 0) >= floor}
    if not common:
        return
    seen = store.name_counts(conn, [c.key for c in candidates if id(c) in common])
    for c in candidates:
        if id(c) in common and seen.get(c.key, 0) < NAME_SHARE_MIN * df[firsts[id(c)]]:
            c.kind, c.role = "span", None


# «في أي مستشفى …؟», «أي شركة …؟»: the noun after «أي» names the kind of answer, and the answer is
# usually written with it («مستشفى الواحة», «قرية النخيل»). Such phrases become candidates of the
# asked kind, and candidates right after the noun are preferred by this much (logit).
ASKED_NOUN_BONUS = 2.0
_ASKED_NOUN = re.compile(r"(?:^|\s)(?:[وف]?[بل]?|[وف]?(?:من|في|علي|الي|قرب|عند)\s)(?:اي|ايه)\s+(\w+)")
_ASKED_WORDS = 3  # at most this many name words after the noun


@dataclass(frozen=True, slots=True)
class _Asked:
    kind: str
    forms: frozenset[str]  # exact terms of the noun's forms


def _asked_noun(qa: QuestionAnalysis) -> _Asked | None:
    """Return the noun after «أي» with the kind it asks for (where → place; «أي شركة» → org)."""
    m = _ASKED_NOUN.search(fold(normalize(qa.text)))
    if not m:
        return None
    kinds = expected_kinds(qa)
    kind = "place" if qa.type == "where" else next(iter(kinds), None) if len(kinds) == 1 else None
    if kind not in _NAMED_KINDS:
        return None
    return _Asked(kind, frozenset(exact_family(m.group(1))))


def _asked_noun_candidates(ctx: spans.SentenceContext, asked: _Asked, typed: list[spans.SpanCandidate],
                           qterms: set[str]) -> list[spans.SpanCandidate]:
    """Add «<noun> <name>» phrases of the asked kind; mark candidates written right after the noun."""
    toks = ctx.tokens
    heads = [k for k, t in enumerate(toks) if exact_term(t.text) in asked.forms]
    if not heads:
        return typed
    out = list(typed)
    have = {(c.start, c.end) for c in typed}
    for k in heads:
        m = k
        while (m + 1 < len(toks) and m - k < _ASKED_WORDS and not ctx.boundary_before[m + 1]
               and toks[m + 1].term not in qterms and ctx.folded[m + 1] not in spans.STOP_FOLDED):
            m += 1
        if m == k:
            continue
        s, e = ctx.start + toks[k].start, ctx.start + toks[m].end
        if (s, e) not in have:
            out.append(spans.SpanCandidate(s, e, ctx.text[toks[k].start:toks[m].end], ctx.article_id, ctx.rank,
                                           asked.kind))
    for c in out:
        lo = bisect.bisect_left(ctx.starts, c.start - ctx.start)
        if c.kind == asked.kind and (lo in heads or lo - 1 in heads):
            c.feats["asked_noun"] = 1.0  # carried over when the features are computed
    return out


def _in_question(text: str, qterms: set[str]) -> bool:
    toks = tokenize(text)
    return bool(toks) and all(t.term in qterms for t in toks)


def _fact_candidates(ctx: spans.SentenceContext, rows: list[store.StoredFact], qa: QuestionAnalysis,
                     known: dict[str, str]) -> list[spans.SpanCandidate]:
    """Return the sentence's stored facts (and names learned since, and bare years) as candidates."""
    out = []
    end = ctx.start + len(ctx.text)
    for r in rows:
        if r.start >= ctx.start and r.end <= end:
            out.append(spans.SpanCandidate(r.start, r.end, r.text, ctx.article_id, ctx.rank, r.kind,
                                           r.role, r.value, r.value_end, r.precision, r.unit, r.key))
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
    facts: dict[int, list[store.StoredFact]]


def gather(conn: sqlite3.Connection, qa: QuestionAnalysis, scope: list[int] | None, *,
           followup: bool = False, boost: Sequence[int] = ()) -> Gathered | None:
    """Rank articles and sentences for a question and list the answer candidates with features."""
    terms = qa.terms
    if followup and scope:
        # A follow-up is about the articles just shown, in the order they were shown.
        ranked = (_rank(conn, terms, limit=len(scope), article_ids=scope, roots=qa.roots, words=qa.words)
                  if terms else [])
        have = {r.article_id for r in ranked}
        bodies = store.get_articles(conn, [a for a in scope if a not in have])
        for a in scope:
            if a in bodies:
                body = bodies[a].body
                ranked.append(_Ranked(a, 0.0, _score_sentences(body, a, split_sentences(body), {})))
    else:
        ranked = _rank(conn, terms, limit=6, article_ids=scope, roots=qa.roots, boost=boost, words=qa.words)
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
    # «أي جهة …؟», «ما الشركة …؟» name the kind asked for: a person or a place never answers them.
    named = expected_kinds(qa) if qa.type == "what" else {}
    asked = _asked_noun(qa)
    for rank, snt in enumerate(best):
        body = articles[snt.article_id].body
        ctx = spans.sentence_context(snt.article_id, snt.start, body[snt.start:snt.end], rank, snt.score, qterms,
                                     [r for r, _ in qa.roots])
        contexts[(snt.article_id, snt.start)] = ctx
        typed = [c for c in _fact_candidates(ctx, facts.get(snt.article_id, []), qa, known)
                 if not _in_question(c.text, qterms)
                 and not (named and c.kind in _NAMED_KINDS and c.kind not in named)]
        if asked:
            typed = _asked_noun_candidates(ctx, asked, typed, qterms)
        typed_by_ctx.append((ctx, typed))
    _demote_common_words(conn, [c for _, typed in typed_by_ctx for c in typed])
    # Plain spans are the fallback of typed questions: skip them when a strong sentence holds a
    # fact of the asked type (they would lose to it anyway, and scoring them is most of the cost).
    has_typed = any(c.kind in kinds and ctx.score >= TYPED_SENTENCE_RATIO * top_score
                    for ctx, typed in typed_by_ctx for c in typed)
    has_typed = has_typed and qa.type != "who"  # people without a role still compete with spans
    for ctx, typed in typed_by_ctx:
        generic = spans.candidate_spans(ctx, qterms) if ctx.rank < ANSWER_SENTENCES and not has_typed else []
        for c in spans.merge_facts(generic, typed):
            asked_noun = c.feats.get("asked_noun")
            c.feats = spans.features(c, ctx, qa.type, qterms, focus, asks_year, qword)
            c.score = spans.score(c.feats, weights)
            if asked_noun:
                c.feats["asked_noun"] = 1.0
                c.score += ASKED_NOUN_BONUS
            candidates.append(c)
    order = [s.article_id for s in sentences]
    order = list(dict.fromkeys(order + ids))
    return Gathered(qa, articles, order, sentences, candidates, contexts, facts)
