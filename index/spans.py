"""Answer spans: which words of the best sentences answer the question.

Every short run of words (1–7 tokens, inside one clause, not made of the question's own words)
and every extracted fact (person, place, date, number…) in the best sentences is a candidate.
A linear model scores candidates from a few dozen generic features: position relative to the
question's words, clause boundaries, cue words around the span, its length, and the fit between
the question type and what the span is (a date for «متى», a person for «من», a number for «كم»).

The weights live in ``index/data/span_weights.json``, fitted by ``tests/bench/train_spans.py``
on ARCD-train (questions written in Arabic, MIT licence) and, optionally, on question/answer pairs
generated from an archive's own sentences (``tests/bench/gen_archive_qa.py``); the file's ``made``
records the data, seed and ``FEATURE_VERSION``, and weights of another feature version are refused.
XQuAD-ar and news-qa are never fitted on, so they measure unseen questions. No model is downloaded.
"""

from __future__ import annotations

import json
import logging
import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .analysis import STOPWORDS, Token, fold, normalize, root, tokenize

__all__ = ["FEATURE_VERSION", "SpanCandidate", "candidate_spans", "features", "load_weights", "score"]

log = logging.getLogger(__name__)

MAX_SPAN = 6
# Bump when ``features`` changes (names or meaning); weights of another version are refused.
FEATURE_VERSION = 2
# Characters that end a clause between two tokens: an answer rarely crosses them.
_BOUNDARY = re.compile(r"[،,;:.!?؟()\[\]{}\n]|\s[-–—]\s")
_QUOTE = re.compile("[\"«»“”']")
_TIME_WORDS = frozenset(
    fold(normalize(w))
    for w in """القرن قرن القرون عام العام سنة السنة سنوات عقد العقد الستينيات السبعينيات الثمانينيات
    التسعينيات الخمسينيات الاربعينيات الثلاثينيات العشرينيات الالفية يوم الشهر century decade year years
    ميلادي ميلادية هجري هجرية ق.م قبل الميلاد""".split()
)

# Words whose presence right before/after a span is informative; other words are not features
# (keeps the model small and generic).
_CUES = frozenset(fold(normalize(w)) for w in STOPWORDS) | frozenset(
    fold(normalize(w))
    for w in """هو هي هم يسمى تسمى سمي سميت باسم يدعى تدعى اسم اسمه اسمها مثل منها منه وهو وهي
    حوالي نحو قرابة اكثر اقل بلغ بلغت يبلغ تبلغ قدره قدرها وصل مليون مليار الف نسبه بنسبه عام سنه
    قال قالت اعلن اكد بين بقياده قياده رئيس الرئيس الملك ملك عن بواسطه طريق يعرف تعرف المعروف
    المعروفه is was are were called named known as by of the in on at from to""".split()
)
_STOP_FOLDED = frozenset(fold(normalize(w)) for w in STOPWORDS)
STOP_FOLDED = _STOP_FOLDED  # for candidate builders elsewhere (retrieval)


@dataclass(slots=True)
class SpanCandidate:
    """A possible answer: a span of a sentence, with what the extractors say it is."""

    start: int  # character offsets in the article body
    end: int
    text: str
    article_id: int
    sentence_rank: int
    kind: str = "span"  # span | person | org | place | date | number | money | percent | quantity
    role: str | None = None
    value: str | None = None
    value_end: str | None = None
    precision: str | None = None
    unit: str | None = None
    key: str | None = None
    feats: dict[str, float] = field(default_factory=dict)
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class SentenceContext:
    """A sentence the candidates come from, with the question's words located in it."""

    article_id: int
    start: int
    text: str
    rank: int
    score: float
    tokens: tuple[Token, ...]
    matched: tuple[int, ...]  # token indexes of question words
    boundary_before: tuple[bool, ...]  # a clause boundary sits right before token i
    folded: tuple[str, ...]  # each token normalised and folded, for cue-word lookups
    starts: tuple[int, ...]  # each token's start (sentence-relative), for span → token lookups


def sentence_context(article_id: int, start: int, text: str, rank: int, score: float,
                     qterms: set[str], qroots: Iterable[str] = ()) -> SentenceContext:
    """Return a sentence tokenised, with question-word positions and clause boundaries.

    A word sharing only its root with a question word («هديةً» for «أهدت») counts as matched.
    """
    toks = tuple(tokenize(text))
    roots = {r: frozenset(r) for r in qroots}
    matched = tuple(i for i, t in enumerate(toks) if t.term in qterms or (roots and _shares_root(t.text, roots)))
    boundary = tuple(
        i == 0 or bool(_BOUNDARY.search(text[toks[i - 1].end:t.start])) for i, t in enumerate(toks)
    )
    folded = tuple(_fold_word(t.text) for t in toks)
    return SentenceContext(article_id, start, text, rank, score, toks, matched, boundary, folded,
                           tuple(t.start for t in toks))


def _shares_root(word: str, roots: Mapping[str, frozenset[str]]) -> bool:
    # ISRI is slow: only a word holding every letter of a question root is worth rooting.
    letters = set(word)
    return any(rs <= letters for rs in roots.values()) and root(word) in roots


@lru_cache(maxsize=100_000)
def _fold_word(word: str) -> str:
    return fold(normalize(word))


def candidate_spans(ctx: SentenceContext, qterms: set[str]) -> list[SpanCandidate]:
    """Return the generic spans of a sentence: short clause-internal runs of non-question words."""
    toks = ctx.tokens
    out: list[SpanCandidate] = []
    folded = ctx.folded
    for i in range(len(toks)):
        if toks[i].term in qterms or folded[i] in _STOP_FOLDED:
            continue
        for j in range(i, min(i + MAX_SPAN, len(toks))):
            if j > i and ctx.boundary_before[j]:
                break
            if toks[j].term in qterms:
                break
            if folded[j] in _STOP_FOLDED:
                continue
            s, e = toks[i].start, toks[j].end
            out.append(SpanCandidate(ctx.start + s, ctx.start + e, ctx.text[s:e], ctx.article_id, ctx.rank))
    return out


def _token_range(ctx: SentenceContext, start: int, end: int) -> tuple[int, int]:
    """Return the token indexes [lo, hi) covering character offsets (sentence-relative)."""
    lo = max(bisect_right(ctx.starts, start) - 1, 0)
    if lo < len(ctx.tokens) and ctx.tokens[lo].end <= start:
        lo += 1
    hi = bisect_left(ctx.starts, end)
    return lo, max(hi, lo + 1)


_QWORD_RE = re.compile(r"^\s*(?:و|ف)?(ما اسم|ما هو|ما هي|ماذا|ما|من هو|من هي|من|متي|اين|كم|اي|لماذا|كيف|هل|"
                       r"what|who|when|where|which|how many|how much|how|why)\b")


def question_word(question: str) -> str:
    """Return the question's opening question word(s), folded («ما هو», «من», "how many"…)."""
    m = _QWORD_RE.match(fold(normalize(question)).replace("أ", "ا"))
    return m.group(1) if m else "other"


def features(c: SpanCandidate, ctx: SentenceContext, qtype: str, qterms: set[str],
             focus: str | None, asks_year: bool, qword: str = "other") -> dict[str, float]:
    """Return the sparse features of one candidate (names → values)."""
    lo, hi = _token_range(ctx, c.start - ctx.start, c.end - ctx.start)
    toks = ctx.tokens
    n = hi - lo
    f: dict[str, float] = {"bias": 1.0, f"rank={ctx.rank}": 1.0, "sent_score": ctx.score}
    f[f"len={min(n, MAX_SPAN)}"] = 1.0
    f[f"qt={qtype}|len={min(n, 4)}"] = 1.0
    left = [i for i in ctx.matched if i < lo]
    right = [i for i in ctx.matched if i >= hi]
    dl = lo - left[-1] - 1 if left else None
    dr = right[0] - hi if right else None
    f["dl=none" if dl is None else f"dl={min(dl, 6)}"] = 1.0
    f["dr=none" if dr is None else f"dr={min(dr, 6)}"] = 1.0
    f[f"qt={qtype}|dl={'none' if dl is None else min(dl, 3)}"] = 1.0
    f[f"qt={qtype}|dr={'none' if dr is None else min(dr, 3)}"] = 1.0
    near = min((abs(i - lo) for i in ctx.matched), default=99)
    f["near_log"] = 1.0 / (1.0 + near)
    f["matched_frac"] = len(ctx.matched) / max(len(qterms), 1)
    # Clause structure: a boundary right before or after the span.
    f["boundary_before"] = float(ctx.boundary_before[lo])
    f["boundary_after"] = float(hi >= len(toks) or ctx.boundary_before[hi])
    same_clause = not any(ctx.boundary_before[k] for k in range(min(lo, left[-1] + 1) if left else lo, lo + 1)
                          if k != lo) if left else False
    f["same_clause_as_q"] = float(same_clause)
    if lo > 0:
        prev = ctx.folded[lo - 1]
        if prev in _CUES:
            f[f"prev={prev}"] = 1.0
    else:
        f["prev=START"] = 1.0
    if hi < len(toks):
        nxt = ctx.folded[hi]
        if nxt in _CUES:
            f[f"next={nxt}"] = 1.0
    else:
        f["next=END"] = 1.0
    text = c.text
    has_digit = any(ch.isdigit() for ch in normalize(text))
    if has_digit:
        f["digit"] = 1.0
        f[f"qt={qtype}|digit"] = 1.0
    words = list(ctx.folded[lo:hi])
    if any(w in _TIME_WORDS for w in words):
        f[f"qt={qtype}|timeword"] = 1.0
    if words and words[0].startswith("ال"):
        f[f"qt={qtype}|def"] = 1.0
    if c.start - ctx.start > 0 and _QUOTE.search(ctx.text[max(0, c.start - ctx.start - 2):c.start - ctx.start]):
        f["quote_before"] = 1.0
    f[f"qt={qtype}|kind={c.kind}"] = 1.0
    if c.kind == "person" and c.role:
        f["person_role"] = 1.0
    if asks_year and has_digit and c.kind in ("date", "span", "number"):
        f["asks_year|digit"] = 1.0
    if focus and any(t.term == focus for t in toks[max(0, lo - 3):hi + 3]):
        f["focus_near"] = 1.0
    # Local alignment: how many of the question's words sit close around the span.
    window = {toks[i].term for i in ctx.matched if lo - 8 <= i < hi + 8}
    f["local_cov"] = len(window) / max(len(qterms), 1)
    f[f"qt={qtype}|local_cov"] = f["local_cov"]
    if lo > 0 and f"prev={ctx.folded[lo - 1]}" in f:
        f[f"qt={qtype}|prev={ctx.folded[lo - 1]}"] = 1.0
    if dl == 0 and left:
        f["after_q_word"] = 1.0
        f[f"qt={qtype}|after_q_word"] = 1.0
    # The exact question word refines the type: «ما اسم» wants a name, «ما» often a noun phrase.
    f[f"qw={qword}|kind={c.kind}"] = 1.0
    # Shape of the span's own words: answers rarely start with a glued preposition.
    first = words[0] if words else ""
    if first[:1] in ("ب", "ل", "ك") and len(first) > 3 and not first.startswith("ال"):
        f["first_glued_prep"] = 1.0
    if first[:1] == "و" and len(first) > 3:
        f["first_glued_wa"] = 1.0
    f["def_share"] = sum(w.startswith("ال") for w in words) / max(n, 1)
    # Latin script marks names with capitals (Arabic has none): the share of capitalised words.
    latin = [t.text for t in toks[lo:hi] if t.text[:1].isascii() and t.text[:1].isalpha()]
    if latin:
        f["cap_share"] = sum(w[:1].isupper() for w in latin) / n
    if n > 1 and any(w[:1] == "و" and len(w) > 3 for w in words[1:]):
        f[f"qt={qtype}|coordination"] = 1.0
    return f


@lru_cache(maxsize=1)
def load_weights() -> Mapping[str, float]:
    """Return the fitted weights (empty when the file is missing or was fitted on other features:
    then every candidate scores 0 and the answer rests on the type and sentence evidence)."""
    try:
        raw = (resources.files("arshif.index") / "data" / "span_weights.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        log.error("span weights: index/data/span_weights.json is missing; spans are not scored")
        return {}
    data = json.loads(raw)
    if data.get("feature_version") != FEATURE_VERSION:
        log.error("span weights: fitted on features version %s, this code computes version %s; refit with "
                  "tests/bench/train_spans.py", data.get("feature_version"), FEATURE_VERSION)
        return {}
    return data["weights"]


def score(feats: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """Return the linear score of a candidate."""
    return sum(weights.get(k, 0.0) * v for k, v in feats.items())


def softmax(scores: Sequence[float]) -> list[float]:
    """Return probabilities of candidates from their scores."""
    if not scores:
        return []
    m = max(scores)
    exps = [math.exp(s - m) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def merge_facts(spans: list[SpanCandidate], facts: Iterable[SpanCandidate]) -> list[SpanCandidate]:
    """Return candidates where a generic span equal to a fact's span takes the fact's kind."""
    by_span = {(c.start, c.end): c for c in spans}
    for fact in facts:
        by_span[(fact.start, fact.end)] = fact
    return list(by_span.values())
