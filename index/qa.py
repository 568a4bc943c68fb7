"""Answers: question → expected type and content words → passages → the answer inside them.

1. ``analyze_question`` (``question.py``) finds the expected answer type, the content words and
   the focus.
2. ``gather`` (``retrieval.py``) ranks articles (title + body, BM25), the passages inside the
   best of them, and lists the answer candidates of the expected type with their features.
3. Here candidates are scored by the sentence's match with the question, closeness to the
   question's words, type fit and absence from the question; agreeing candidates from several
   passages add up.
4. When nothing fits well enough, ``answer`` is None and the best excerpts are still returned.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from . import confidence as confidence_model
from . import spans, store
from .analysis import STOPWORDS, fold, normalize, root, term, tokenize, words
from .dates import DateMention, format_date
from .question import (
    _ASKS_YEAR,
    QuestionAnalysis,
    analyze_question,
    asks_until,
    expand_followup,
    expected_kinds,
    question_tense,
    question_type,
)
from .retrieval import _DIGITS, _NUMERIC, TYPED_SENTENCE_RATIO, Gathered, _Sentence, gather, retrieve_articles
from .segments import split_sentences

__all__ = [
    "Answer",
    "Fact",
    "Gathered",
    "QuestionAnalysis",
    "Source",
    "analyze_question",
    "answer_question",
    "expand_followup",
    "expected_kinds",
    "gather",
    "question_tense",
    "question_type",
    "retrieve_articles",
]

log = logging.getLogger(__name__)

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
    candidate: str | None = None  # the best guess when ``answer`` is None (for evaluation; never shown)
    asked: str | None = None  # the question answered: a follow-up's full form («ومتى؟» → «متى وقعت …؟»)
    evidence: Mapping[str, float] = dataclasses.field(default_factory=dict)  # what ``confidence`` was computed from
    other_language: bool = False  # the closest articles are not in the question's language
    candidate_value: str | None = None  # the guess's value (a date's ISO form), for evaluation

    @property
    def question_asked(self) -> str:
        """Return the question as answered (a follow-up's full form), for the next follow-up."""
        return self.asked or self.question

    @property
    def best_guess(self) -> str | None:
        """Return the answer, or the unsure reply's best guess: what a follow-up should not repeat."""
        return self.answer if self.answer is not None else self.candidate

    @property
    def shown_ids(self) -> tuple[int, ...]:
        """Return the articles a reply shows: the answer's source, or the closest one or two."""
        if self.answer is not None:
            return tuple(s.article_id for s in self.sources[:1])
        return tuple(s.article_id for s in self.sources[:SHOWN_WHEN_UNSURE])

    def as_dict(self) -> dict:
        """Return the JSON contract of ``arshif ask --json`` (DESIGN §7)."""
        return {
            "question": self.question,
            "type": self.type,
            "answer": self.answer,
            "facts": [{"kind": f.kind, "text": f.text, "value": f.value, "role": f.role, "label": f.label}
                      for f in self.facts],
            "confidence": round(self.confidence, 3),
            "candidate": self.candidate,
            "candidate_value": self.candidate_value,
            "asked": self.question_asked,
            "other_language": self.other_language,
            "sources": [
                {"article_id": s.article_id, "title": s.title, "url": s.url, "published": s.published,
                 "source": s.source, "excerpt": s.excerpt, "highlights": [list(h) for h in s.highlights]}
                for s in self.sources
            ],
        }


_PRECISION_RANK = {"day": 4, "week": 3, "part_of_month": 3, "month": 2, "year": 1}


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
        if c.sentence_rank != first.sentence_rank or any(_agree(c, g) or c.text in g.text for g in group):
            continue  # the same name again, or a shorter form of it («نبيل» beside «نبيل عطيته»)
        longer = next((k for k, g in enumerate(group) if g.text in c.text), None)
        if longer is not None:
            group[longer] = c  # the full form of a name already there
            continue
        lo, hi = sorted([(first.start, first.end), (c.start, c.end)])
        gap = body[lo[1]:hi[0]]
        # People are paired across a role («X ونظيره المغربي Y»); organisations only side by side.
        limit = 80 if first.kind == "person" else 25
        if len(gap) <= limit and (c.role or re.search(r"(?:^|\s)(?:و|مع|and|with)(?:\s|$)|\sو\S", gap)):
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
ROLE_SENTENCE_RATIO = 0.5
COUNTED_BONUS = 0.7
REPORTING_PENALTY = 1.0
CAPITAL_BONUS = {"who": 4.0, "where": 2.0, "what": 2.0}  # measured on XQuAD-en
LEARNED_WEIGHT = 0.5
SENTENCE_WEIGHT_TYPED = 2.0
PROXIMITY_BONUS = 1.0  # a fact right next to the question's words («وقّع ... اليوم الخميس»)
TENSE_PENALTY = 1.5  # «متى وقعت» (past) is not answered by «بحلول عام 2027»
UNTIL_BONUS = 1.5  # «إلى متى؟» is answered by the end of a period («حتى نهاية مارس»), not its start
EXCERPT_CHARS = 600
SHOWN_WHEN_UNSURE = 2  # excerpts shown with «لست متأكدا»


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
                    max_sources: int = 3, previous: str | None = None,
                    previous_answer: str | None = None) -> Answer:
    """Answer a question from the archive.

    ``article_ids`` restricts the search to those articles; ``context_ids`` are the articles the
    chat was last shown: a follow-up question («ومتى وقعت؟») is answered from them first, and
    falls back to the whole archive when they hold nothing relevant. ``previous`` is the question
    asked then and ``previous_answer`` its answer (or best guess): a follow-up asks for something
    else («ومن رافقه؟» after «من افتتح المعرض؟» is not answered with the same name).
    """
    started = time.perf_counter()
    qa = analyze_question(question)
    if previous and qa.is_followup:
        # «ومتى؟» is answered as the full question it stands for (the previous question's subject
        # with the new question word), from the story just shown first.
        full = expand_followup(question, previous)
        if full != question:
            qa = dataclasses.replace(analyze_question(full), type=qa.type, is_followup=True)
    lang = lang or ("ar" if re.search("[\u0600-\u06ff]", question) else "en")
    scope = list(article_ids) if article_ids is not None else None
    ctx = _followup_ids(conn, context_ids)
    exclude = _answer_parts(previous_answer) if qa.is_followup else frozenset()
    result = None
    if ctx and qa.is_followup:
        within = ctx if scope is None else [a for a in ctx if a in scope]
        # The article the last answer came from first, then the others shown with it. An unsure
        # guess from the same story is kept unless the archive has a sure answer.
        for group in (within[:1], within[1:]):
            if group:
                found = _answer_in(conn, qa, group, lang, max_sources, followup=True, exclude=exclude)
                if found.answer is not None:
                    result = found
                    break
                if result is None and found.candidate is not None:
                    result = found
    if result is None or result.answer is None:
        # A question with its own topic searches the archive; the articles just shown get a
        # head start, so «متى وقعت الاتفاقية؟» still means the agreement under discussion.
        wide = _answer_in(conn, qa, scope, lang, max_sources, followup=False, boost=ctx, exclude=exclude)
        if result is None or wide.answer is not None:
            result = wide
    ms = (time.perf_counter() - started) * 1000
    log.info("ask: %d chars, type %s, answered %s, %.1f ms", len(question), qa.type, result.answer is not None, ms)
    return Answer(question, result.type, result.answer, result.facts, result.confidence,
                  result.sources, result.article_ids, ms, result.candidate,
                  qa.text if qa.text != question else None, result.evidence,
                  bool(result.sources) and _script(question) != _script(result.sources[0].excerpt),
                  result.candidate_value)


def _answer_in(conn: sqlite3.Connection, qa: QuestionAnalysis, scope: list[int] | None, lang: str,
               max_sources: int, *, followup: bool, boost: Sequence[int] = (),
               exclude: frozenset[str] = frozenset()) -> Answer:
    g = gather(conn, qa, scope, followup=followup, boost=boost)
    if g is None:
        return Answer(qa.text, qa.type, None, (), 0.0, ())
    if exclude:
        g.candidates = [c for c in g.candidates if not _was_answered(c, exclude)]
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
        until = asks_until(qa.text)
        # «إلى متى يستمر …؟»: the end date sits with the verb («ويستمر حتى 30 نوفمبر»), often in a
        # sentence holding fewer of the question's words than the lead.
        typed = [c for c in pool if c.kind in kinds and (_strong_enough(c, top) or (
            until and c.kind == "date" and c.feats.get("sent_score", 0.0) >= ROLE_SENTENCE_RATIO * top
            and _period_end(c, g.contexts) > 0))]
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
                if c.kind == "date" and until:
                    c.score += UNTIL_BONUS * _period_end(c, g.contexts)
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
        answer_text = _answer_text(best, shown, qa, lang, g.articles[best.article_id].body)
        best_sentence = next((s for s in g.sentences if s.article_id == best.article_id
                              and s.start <= best.start < s.end), best_sentence)
    top_score = best_sentence.score if best_sentence else 0.0
    candidate = answer_text
    value = best.value if answer_text is not None and best.kind in ("date", *_NUMERIC) else None
    evidence: dict[str, float] = {}
    if answer_text is not None:
        # Show the best guess only when the evidence around it says it is likely right, in an
        # article of the question's language, from a sentence that matches the question.
        calibration = confidence_model.load()
        evidence = _evidence(conn, g, qa, best, shown, pooled, kinds, followup)
        confidence = calibration.probability(evidence)
        mismatch = _script(qa.text) != _script(g.articles[best.article_id].body[:400])
        weak = best_sentence is None or (top_score < MIN_SENTENCE_SCORE and not followup)
        if weak or mismatch or not calibration.shows(confidence):
            answer_text, shown = None, []
    result = _reply(g, qa, answer_text, shown, confidence, best_sentence, lang, max_sources)
    unsure = answer_text is None
    return dataclasses.replace(result, candidate=candidate if unsure else None, evidence=evidence,
                               candidate_value=value if unsure else None)


def _answer_parts(answer: str | None) -> frozenset[str]:
    """Return the names or values of an answer («سامر الخطيب، هشام عبد الرحمن»), folded."""
    if not answer:
        return frozenset()
    return frozenset(p for p in (fold(normalize(x)).strip() for x in re.split(r"[،,]\s*", answer)) if p)


def _was_answered(c: spans.SpanCandidate, parts: frozenset[str]) -> bool:
    """True when a candidate is (a form of) what the previous answer said."""
    text = fold(normalize(c.text)).strip()
    first = text.split()
    # «48» is the «48 شركة» said before (a number shown with its counted noun); «نبيل» a shorter
    # form of «نبيل عطيته»; «وزير الطاقة سامر الخطيب» a longer one of «سامر الخطيب».
    return bool(text) and any(text == p or p.split()[:len(first)] == first or (len(text) >= 3 and text in p)
                              or (len(p) >= 3 and p in text) for p in parts)


_ARABIC = re.compile("[\u0600-\u06ff]")
_LATIN = re.compile("[A-Za-z]")


def _script(text: str) -> str:
    """Return "ar" or "en": the script most of a text's letters are written in."""
    return "ar" if len(_ARABIC.findall(text)) >= len(_LATIN.findall(text)) else "en"


def _evidence(conn: sqlite3.Connection, g: Gathered, qa: QuestionAnalysis, best: spans.SpanCandidate,
              shown: list[spans.SpanCandidate], pooled: list[tuple[float, spans.SpanCandidate]],
              kinds: dict[str, float], followup: bool) -> dict[str, float]:
    """Return the evidence (``confidence.FEATURES``) around the best guess and the names shown with it.

    The signals describe the answer's own article and sentence, and the lead over the next article
    that matches the question; never how many other articles hold the same answer (reprints, which
    a small archive does not have).
    """
    f = best.feats
    art = g.articles[best.article_id]
    sents = split_sentences(art.body)
    i = next((k for k, (s, e) in enumerate(sents) if s <= best.start < e + 1), 0)
    lo = sents[max(0, i - 1)][0] if sents else 0
    hi = sents[min(len(sents) - 1, i + 1)][1] if sents else len(art.body)
    have = {term(w) for w in words(f"{art.title} {art.body[lo:hi]}")}
    terms = list(qa.terms)
    df = store.doc_freqs(conn, terms) if terms else {}
    n = max(store.max_article_id(conn), 1)
    idf = {t: math.log(1 + (n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5)) for t in terms}
    total = sum(idf.values()) or 1.0
    rarest = max(terms, key=lambda t: idf[t]) if terms else None
    by_article: dict[int, float] = {}
    for snt in g.sentences:
        by_article.setdefault(snt.article_id, snt.score)
    mine = by_article.get(best.article_id, 0.0)
    rival = max((v for a, v in by_article.items() if a != best.article_id), default=0.0)
    agreeing = {c.article_id for _, c in pooled if c.article_id != best.article_id and _agree(best, c)}

    def in_answer(c: spans.SpanCandidate) -> bool:
        return c.article_id == best.article_id and any(c is s or _agree(c, s) for s in shown)

    # The names shown together («X ونظيره Y») are one answer: their probabilities add up, and the
    # margin is over the best guess that is not part of it.
    prob = min(1.0, sum(p for p, c in pooled if in_answer(c)) or pooled[0][0])
    runner_up = max((p for p, c in pooled if not in_answer(c)), default=0.0)
    qtype = {"money": "number"}.get(qa.type, qa.type)
    local = _local_evidence(g, qa, best, idf)
    ev = {
        "prob": prob, "margin": max(0.0, prob - runner_up), "typed": min(kinds.get(best.kind, 0.0), 1.0),
        "role": float(best.kind == "person" and bool(best.role)),
        "cover": sum(idf[t] for t in terms if t in have) / total,
        "rarest": float(rarest is not None and rarest in have),
        "local": min(f.get("local_cov", 0.0), 1.0), "near": f.get("near_log", 0.0),
        **local,
        "typed_local": min(kinds.get(best.kind, 0.0), 1.0) * local["head"] * float(local["adjacent"] >= 0.5),
        "echo": _echo(shown or [best], set(terms)),
        "terms": min(len(terms), 8) / 8, "followup": float(followup),
        "lead": max(-1.0, min(1.0, mine - rival)),
        "agree": min(len(agreeing), 3) / 3,  # not in FEATURES (reprints: a small archive has none); for study
    }
    for t in ("who", "when", "where", "number", "what"):
        ev[f"q_{t}"] = float(qtype == t or (t == "what" and qtype not in ("who", "when", "where", "number")))
    return ev


def _echo(shown: list[spans.SpanCandidate], qterms: set[str]) -> float:
    """Return the share of the answer's words that the question already holds («عادل بن أحمد الجبير»
    for a question about whom «عادل الجبير» met): an answer repeating the question is rarely right."""
    toks = [t for c in shown for t in tokenize(c.text) if fold(normalize(t.text)) not in _STOP_FOLDED]
    return sum(t.term in qterms for t in toks) / len(toks) if toks else 0.0


def _local_evidence(g: Gathered, qa: QuestionAnalysis, best: spans.SpanCandidate,
                    idf: Mapping[str, float]) -> dict[str, float]:
    """Return what the answer's own sentence says for it.

    ``sentence``: the idf-weighted share of the question's words in the sentence (any inflection,
    or a word of the same root: «التوقيع» for «وقعت»); ``head``: the question's first two content
    words (usually the verb and its object, «وقع» «الاتفاقية») are both there; ``adjacent``:
    1 / (1 + content words between the answer (with its role, «وزير الطاقة الأردني سامر الخطيب»)
    and the nearest question word).
    """
    ctx = next((x for x in g.contexts.values() if x.article_id == best.article_id
                and x.start <= best.start < x.start + len(x.text)), None)
    out = {"sentence": 0.0, "head": 0.0, "adjacent": 0.0}
    if ctx is None or not qa.terms:
        return out
    by_root = dict(qa.roots)
    found: set[str] = set()
    for k in ctx.matched:
        tok = ctx.tokens[k]
        if tok.term in idf:
            found.add(tok.term)
        else:
            found.update(t for r, t in by_root.items() if root(tok.text) == r)
    out["sentence"] = sum(idf[t] for t in found if t in idf) / (sum(idf.values()) or 1.0)
    out["head"] = float(all(t in found for t in qa.terms[:2]))
    start, end = best.start - ctx.start, best.end - ctx.start
    first = next((k for k, t in enumerate(ctx.tokens) if t.end > start), len(ctx.tokens))
    last = next((k for k in range(len(ctx.tokens) - 1, -1, -1) if ctx.tokens[k].start < end), first)
    role = {fold(normalize(w)) for w in words(best.role or "")}
    while first > 0 and ctx.folded[first - 1] in role:
        first -= 1  # the role written before the name belongs to the answer
    gaps = []
    for k in ctx.matched:
        between = range(k + 1, first) if k < first else range(last + 1, k) if k > last else range(0)
        gaps.append(sum(1 for j in between if ctx.folded[j] not in _STOP_FOLDED))
    out["adjacent"] = 1.0 / (1.0 + min(gaps)) if gaps else 0.0
    return out


def _against_tense(c: spans.SpanCandidate, tense: str, published: str | None) -> float:
    """Return 1.0 when a date contradicts the question's tense relative to the article's date."""
    if not published or not c.value:
        return 0.0
    if tense == "past" and c.value > published:
        return 1.0
    if tense == "future" and (c.value_end or c.value) < published:
        return 1.0
    return 0.0


_UNTIL = frozenset(fold(normalize(w)) for w in """حتى إلى الى لغاية وحتى وإلى ولغاية تنتهي ينتهي تستمر يستمر
    تمتد يمتد انتهاء نهاية until till through""".split())
_SINCE = frozenset(fold(normalize(w)) for w in "منذ من اعتبارا ابتداء بدءا بدء بداية since from starting".split())


def _period_end(c: spans.SpanCandidate, contexts: dict) -> float:
    """Return 1.0 for a date that ends a period («حتى 30 يونيو», «من مارس إلى مايو»), -1.0 for one
    that starts it («منذ مطلع العام»), else 0.0."""
    ctx = next((x for x in contexts.values() if x.article_id == c.article_id
                and x.start <= c.start < x.start + len(x.text)), None)
    if ctx is None:
        return 0.0
    lo = next((i for i, t in enumerate(ctx.tokens) if ctx.start + t.start >= c.start), len(ctx.tokens))
    before = ctx.folded[max(0, lo - 2):lo]
    if any(w in _UNTIL for w in before):
        return 1.0
    if any(w in _SINCE for w in before):
        return -1.0
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


# The counted noun after a bare number: «12 دولة» (a question word), «80 طالباً», «310 بلاغا»
# (the accusative singular that follows 11–99 and is written after larger numbers too).
_COUNTED = re.compile(r"\s*([^\W\d_]{2,}(?:ًا|اً|ا|ً))(?![^\W\d_])")
_STOP_FOLDED = frozenset(fold(normalize(w)) for w in STOPWORDS) | {"ايضا", "تقريبا", "فقط", "سنويا", "يوميا"}
_NEXT_WORD = re.compile(r"\s*([^\W\d_]{2,})(?![^\W\d_])")


def _with_counted_noun(best: spans.SpanCandidate, text: str, body: str) -> str:
    if best.kind not in ("number", "quantity") or best.unit:
        return text
    after = body[best.end:best.end + 30]
    m = _NEXT_WORD.match(after) if best.feats.get("dr=0") else _COUNTED.match(after)
    if m is None or fold(normalize(m.group(1))) in _STOP_FOLDED:
        return text
    return f"{text} {m.group(1)}"


def _answer_text(best: spans.SpanCandidate, shown: list[spans.SpanCandidate], qa: QuestionAnalysis,
                 lang: str, body: str = "") -> str:
    if best.kind == "date":
        if _ASKS_YEAR.search(fold(normalize(qa.text))) and best.value and best.precision != "year":
            m = re.search(r"\d{4}", best.text.translate(_DIGITS))
            if m:
                return m.group()
        return _DATE_PREFIX.sub("", best.text) if best.precision == "year" else best.text
    if len(shown) == 1 and body:
        return _with_counted_noun(best, best.text, body)
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
            inside = r.start >= best_sentence.start and r.end <= best_sentence.end
            if inside and r.kind in ("date", "place") and not any(f.kind == r.kind for f in facts_out):
                c = spans.SpanCandidate(r.start, r.end, r.text, best_sentence.article_id, 0, r.kind,
                                        value=r.value, value_end=r.value_end, precision=r.precision)
                facts_out.append(Fact(r.kind, r.text, r.value, None, _date_label(c, lang)))
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
