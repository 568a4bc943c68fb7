"""``arshif eval``: measure retrieval (and answers) on SQuAD-format question sets.

Every paragraph becomes an article in a fresh temporary database (title = the Wikipedia page
title, body = the paragraph), every question is asked of the whole archive, and the gold
paragraph's rank gives recall@1/@5. Answer metrics (excerpt contains the gold answer, exact match,
token F1 in the SQuAD style with Arabic normalisation) come from the answer engine.
"""

from __future__ import annotations

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

__all__ = ["EvalReport", "evaluate", "exact_match", "f1_score", "normalize_answer"]


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
        ext_of = {r[0]: r[1] for r in conn.execute("SELECT id, ext_id FROM articles")}
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
                predicted = ans.answer or ""
                shown = ans.sources[0].excerpt if ans.sources else ""
                row["excerpt_has_answer"] = float(any(_contains(shown, g) for g in q.answers))
                row["exact_match"] = max(exact_match(predicted, g) for g in q.answers)
                row["f1"] = max(f1_score(predicted, g) for g in q.answers)
                row["answered"] = float(ans.answer is not None)
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
