"""``arshif eval``: measure retrieval (and answers) on SQuAD-format question sets.

Every paragraph becomes an article in a fresh temporary database (title = the Wikipedia page
title, body = the paragraph), every question is asked of the whole archive, and the gold
paragraph's rank gives recall@1/@5. Answer metrics (excerpt contains the gold answer, exact match,
token F1 in the SQuAD style with Arabic normalisation) come from the answer engine.
"""

from __future__ import annotations

import itertools
import json
import re
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import store
from .analysis import fold, normalize
from .errors import DatasetError
from .ingest import RawArticle, ingest_records

__all__ = [
    "EvalReport",
    "NewsQuestion",
    "NewsReport",
    "evaluate",
    "evaluate_news",
    "exact_match",
    "f1_score",
    "is_news_file",
    "is_right",
    "load_news_questions",
    "normalize_answer",
    "reliability_table",
]


@dataclass(slots=True)
class _Question:
    qid: str
    question: str
    answers: list[str]
    gold_ext_id: str


@dataclass(slots=True)
class EvalReport:
    """Figures of one evaluation run, overall and per question type."""

    dataset: str
    paragraphs: int
    questions: int
    recall_at_1: float
    recall_at_5: float
    by_type: dict[str, dict[str, float]] = field(default_factory=dict)
    overall: dict[str, float] = field(default_factory=dict)
    ingest_seconds: float = 0.0
    ms_per_question: float = 0.0

    def as_dict(self) -> dict:
        """Return the JSON form printed by ``arshif eval --json``."""
        return {
            "dataset": self.dataset,
            "paragraphs": self.paragraphs,
            "questions": self.questions,
            "recall_at_1": round(self.recall_at_1, 4),
            "recall_at_5": round(self.recall_at_5, 4),
            "overall": {k: round(v, 4) for k, v in self.overall.items()},
            "by_type": {t: {k: round(v, 4) for k, v in m.items()} for t, m in self.by_type.items()},
            "ingest_seconds": round(self.ingest_seconds, 2),
            "ms_per_question": round(self.ms_per_question, 2),
        }


_SQUAD_SHAPE = ('expected SQuAD format: {"data": [{"title": ..., "paragraphs": [{"context": ..., '
               '"qas": [{"question": ..., "answers": [{"text": ...}]}]}]}]}')


def _load(path: Path) -> tuple[list[RawArticle], list[_Question]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _parse_squad(data, path)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path} is not valid JSON ({exc}); {_SQUAD_SHAPE}.") from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise DatasetError(f"{path} is not a SQuAD-format file (missing {exc}); {_SQUAD_SHAPE}.") from exc


def _parse_squad(data: dict, path: Path) -> tuple[list[RawArticle], list[_Question]]:
    articles: list[RawArticle] = []
    questions: list[_Question] = []
    for a_i, art in enumerate(data["data"]):
        title = art.get("title") or f"article {a_i}"
        for p_i, para in enumerate(art["paragraphs"]):
            ext_id = f"{a_i}-{p_i}"
            articles.append(RawArticle(title=title, body=para["context"], ext_id=ext_id, origin=str(path)))
            for qa in para["qas"]:
                answers = [a["text"] for a in qa.get("answers", [])]
                questions.append(_Question(qa.get("id", ""), qa["question"], answers, ext_id))
    return articles, questions


_PUNCT = re.compile(r"[^\w\s]")
_AR_ARTICLE = re.compile(r"^(?:ال|وال|بال|لل|فال|كال)(?=\w{2,})")
_EN_ARTICLES = {"a", "an", "the"}


def normalize_answer(text: str) -> list[str]:
    """Return the tokens an answer is compared on: SQuAD's rules plus Arabic normalisation."""
    text = fold(normalize(text))
    text = _PUNCT.sub(" ", text)
    out = []
    for tok in text.split():
        if tok in _EN_ARTICLES:
            continue
        out.append(_AR_ARTICLE.sub("", tok))
    return out


def f1_score(prediction: str, gold: str) -> float:
    """Return SQuAD token F1 between two answers."""
    p, g = normalize_answer(prediction), normalize_answer(gold)
    common = Counter(p) & Counter(g)
    same = sum(common.values())
    if not p or not g or same == 0:
        return float(p == g)
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, gold: str) -> float:
    """Return 1.0 when the answers are equal after normalisation."""
    return float(normalize_answer(prediction) == normalize_answer(gold))


def _contains(text: str, answer: str) -> bool:
    return " ".join(normalize_answer(answer)) in " ".join(normalize_answer(text))


def evaluate(dataset: str | Path, *, answers: bool = True, limit: int | None = None,
             progress: Callable[[int], None] | None = None) -> EvalReport:
    """Index a SQuAD-format file in a temporary database and measure retrieval and answers."""
    from . import qa  # the answer engine; imported here so retrieval-only runs stay light

    path = Path(dataset)
    articles, questions = _load(path)
    if limit:
        questions = questions[:limit]
    with tempfile.TemporaryDirectory(prefix="arshif-eval-") as tmp:
        conn = store.connect(Path(tmp) / "eval.db")
        started = time.perf_counter()
        ingest_records(conn, iter(articles))
        ingest_seconds = time.perf_counter() - started
        ext_of = store.article_ext_ids(conn)
        hits1 = hits5 = 0
        per_type: dict[str, list[dict[str, float]]] = defaultdict(list)
        times = []
        for q in questions:
            t0 = time.perf_counter()
            ranked = qa.retrieve_articles(conn, q.question, limit=5)
            row: dict[str, float] = {}
            golds = [ext_of.get(a) for a in ranked]
            row["recall_at_1"] = float(bool(golds) and golds[0] == q.gold_ext_id)
            row["recall_at_5"] = float(q.gold_ext_id in golds)
            hits1 += row["recall_at_1"]
            hits5 += row["recall_at_5"]
            qtype = qa.question_type(q.question)
            if answers and q.answers:
                ans = qa.answer_question(conn, q.question)
                predicted = ans.answer or ans.candidate or ""  # the reader at full coverage
                shown = ans.sources[0].excerpt if ans.sources else ""
                row["excerpt_has_answer"] = float(any(_contains(shown, g) for g in q.answers))
                row["exact_match"] = max(exact_match(predicted, g) for g in q.answers)
                row["f1"] = max(f1_score(predicted, g) for g in q.answers)
                row["answered"] = float(ans.answer is not None)
                if ans.answer is not None:
                    row["shown_f1"] = max(f1_score(ans.answer, g) for g in q.answers)
            times.append(time.perf_counter() - t0)
            per_type[qtype].append(row)
            if progress:
                progress(1)
        conn.close()
    n = max(len(questions), 1)
    all_rows = [r for rows in per_type.values() for r in rows]
    report = EvalReport(
        dataset=str(path), paragraphs=len(articles), questions=len(questions),
        recall_at_1=hits1 / n, recall_at_5=hits5 / n, ingest_seconds=ingest_seconds,
        ms_per_question=statistics.mean(times) * 1000 if times else 0.0,
    )
    report.overall = _means(all_rows)
    report.by_type = {t: {"questions": float(len(rows)), **_means(rows)} for t, rows in sorted(per_type.items())}
    return report


def _means(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = {k for r in rows for k in r}
    return {k: statistics.mean(r[k] for r in rows if k in r) for k in sorted(keys)}


# --- news questions over an existing archive (news-qa JSONL) --------------------------------------

# How a reply is scored (../shared/data/news-qa/README.md): a gold span (all of them with ``all``)
# or the gold date appears, after normalisation, in the answer (at most 100 characters) or in a
# fact's text or value (at most 60).
ANSWER_CAP = 100
FACT_CAP = 60
RELIABILITY_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0)
_HARAKAT = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")


def _news_norm(text: str) -> str:
    """Fold alef/hamza forms, ta marbuta, alef maqsura, harakat and digits (the scoring rules)."""
    text = fold(normalize(_HARAKAT.sub("", text)))
    return text.replace("ؤ", "و").replace("ئ", "ي").replace("ء", "")


@dataclass(frozen=True, slots=True)
class NewsQuestion:
    """One news-qa question: the text, its type, gold spans (or date) and the right articles."""

    qid: str
    question: str
    type: str
    gold: tuple[str, ...]
    urls: frozenset[str]
    all: bool = False
    gold_date: str | None = None
    followup: NewsQuestion | None = None  # the elliptic question asked after this one


def load_news_questions(path: str | Path) -> list[NewsQuestion]:
    """Read a news-qa JSONL file (plain, follow-up or English questions)."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            urls = frozenset([obj["url"], *obj.get("also_in", [])])
            if "first" in obj:
                then = _news_question(obj["id"] + "/then", obj["then"], urls)
                out.append(_news_question(obj["id"], obj["first"], urls, then))
            else:
                out.append(_news_question(obj["id"], obj, urls))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DatasetError(f"{path}, line {n}: not a news-qa question ({exc}); expected one JSON object "
                               'a line with "url", "question", "type" and "gold" (or "first" and "then").') from exc
    return out


def _news_question(qid: str, obj: dict, urls: frozenset[str], followup: NewsQuestion | None = None) -> NewsQuestion:
    return NewsQuestion(qid, obj["question"], obj["type"], tuple(obj["gold"]), urls, bool(obj.get("all")),
                        obj.get("gold_date"), followup)


def is_right(reply: dict, q: NewsQuestion, *, field: str = "answer") -> bool:
    """True when an ``ask --json`` reply holds the gold as the news-qa README scores it.

    ``field="candidate"`` scores the best guess kept below the threshold (full-coverage reading).
    """
    answer = reply.get(field)
    if not answer:
        return False
    texts = [answer] if len(answer) <= ANSWER_CAP else []
    if field == "answer":
        for f in reply.get("facts", []):
            texts += [v for v in (f.get("text"), f.get("value")) if v and len(v) <= FACT_CAP]
    hay = [_news_norm(t) for t in texts]
    golds = [_news_norm(g) for g in q.gold]
    if q.all:
        if golds and all(any(g in h for h in hay) for g in golds):
            return True
    elif any(g in h for g in golds for h in hay):
        return True
    if field == "candidate" and reply.get("candidate_value"):
        texts.append(reply["candidate_value"])
    return bool(q.gold_date) and any(q.gold_date in t for t in texts)


@dataclass(slots=True)
class NewsReport:
    """Figures of a news-qa run: overall, per type, and confidence against share right."""

    dataset: str
    questions: int
    overall: dict[str, float] = field(default_factory=dict)
    by_type: dict[str, dict[str, float]] = field(default_factory=dict)
    reliability: list[dict[str, float]] = field(default_factory=list)
    followups: dict[str, float] = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)
    ms_per_question: float = 0.0

    def as_dict(self) -> dict:
        """Return the JSON form printed by ``arshif eval --json``."""
        r4 = lambda m: {k: round(v, 4) for k, v in m.items()}  # noqa: E731
        return {"dataset": self.dataset, "questions": self.questions, "overall": r4(self.overall),
                "by_type": {t: r4(m) for t, m in self.by_type.items()},
                "reliability": [r4(b) for b in self.reliability], "followups": r4(self.followups),
                "ms_per_question": round(self.ms_per_question, 2), "rows": self.rows}


def _score_reply(reply: dict, q: NewsQuestion) -> dict:
    sources = reply.get("sources") or []
    shown = bool(reply.get("answer"))
    right = shown and is_right(reply, q)
    guess_right = right or is_right(reply, q, field="candidate")
    return {"id": q.qid, "type": q.type, "question": q.question, "source_hit": float(bool(sources)
            and sources[0].get("url") in q.urls), "shown": float(shown), "right": float(right),
            "reader_right": float(guess_right), "confidence": float(reply.get("confidence") or 0.0),
            "answer": reply.get("answer"), "candidate": reply.get("candidate")}


def evaluate_news(dataset: str | Path, conn, *, limit: int | None = None,
                  progress: Callable[[int], None] | None = None) -> NewsReport:
    """Ask every news-qa question of an existing archive and score the replies (README's rules).

    A follow-up exchange asks its first question, then the elliptic one in the same conversation
    (``qa.answer_question`` with the articles shown and the question asked before, as the bot and
    ``arshif chat`` do); both are scored, and ``followups`` counts the second ones.
    """
    from . import qa

    questions = load_news_questions(dataset)
    if limit:
        questions = questions[:limit]
    rows: list[dict] = []
    follow_rows: list[dict] = []
    times = []
    for q in questions:
        t0 = time.perf_counter()
        ans = qa.answer_question(conn, q.question)
        rows.append(_score_reply(ans.as_dict(), q))
        if q.followup is not None:
            then = qa.answer_question(conn, q.followup.question, context_ids=list(ans.shown_ids),
                                      previous=ans.question_asked,
                                      previous_answer=ans.best_guess)
            row = _score_reply(then.as_dict(), q.followup)
            row["followup"] = True
            follow_rows.append(row)
            rows.append(row)
        times.append(time.perf_counter() - t0)
        if progress:
            progress(1)
    report = NewsReport(str(dataset), len(rows), rows=rows,
                        ms_per_question=statistics.mean(times) * 1000 if times else 0.0)
    report.overall = _news_figures(rows)
    by_type: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_type[r["type"]].append(r)
    report.by_type = {t: _news_figures(rs) for t, rs in sorted(by_type.items())}
    report.reliability = reliability_table(rows)
    if follow_rows:
        report.followups = {"questions": float(len(follow_rows)), **_news_figures(follow_rows)}
    return report


def _news_figures(rows: list[dict]) -> dict[str, float]:
    n = max(len(rows), 1)
    shown = sum(r["shown"] for r in rows)
    right = sum(r["right"] for r in rows)
    return {"questions": float(len(rows)), "source_at_1": sum(r["source_hit"] for r in rows) / n,
            "answer_hit": right / n, "precision": right / shown if shown else float("nan"),
            "coverage": shown / n, "wrong_shown": shown - right, "reader_hit": sum(r["reader_right"] for r in rows) / n}


def reliability_table(rows: list[dict]) -> list[dict[str, float]]:
    """Return, per confidence bin, how many replies fall there and the share whose best guess is right.

    Every reply counts (shown or not): ``confidence`` is the engine's probability that its best
    guess is right, so a calibrated engine has ``right`` close to ``mean_confidence`` in each bin.
    """
    out = []
    edges = RELIABILITY_BINS
    for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
        last = i == len(edges) - 2
        inside = [r for r in rows if lo <= r["confidence"] < hi or (last and r["confidence"] == hi)]
        if not inside:
            out.append({"lo": lo, "hi": hi, "n": 0.0, "mean_confidence": float("nan"), "right": float("nan"),
                        "shown": 0.0})
            continue
        out.append({"lo": lo, "hi": hi, "n": float(len(inside)),
                    "mean_confidence": statistics.mean(r["confidence"] for r in inside),
                    "right": statistics.mean(r["reader_right"] for r in inside),
                    "shown": sum(r["shown"] for r in inside)})
    return out


def is_news_file(path: str | Path) -> bool:
    """True for a JSON-lines file (news-qa), as opposed to one SQuAD-format JSON document."""
    path = Path(path)
    if path.suffix == ".jsonl":
        return True
    with path.open("rb") as f:
        head = f.read(4096).decode("utf-8", "ignore").lstrip()
    first = head.split("\n", 1)[0]
    if head.startswith('{"data"') or head.startswith('{"version"'):
        return False  # a SQuAD document written on one line («"question"» is inside it too)
    return head.startswith("{") and ('"question"' in first or '"first"' in first)
