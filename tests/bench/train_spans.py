"""Fit the answer-span weights (index/data/span_weights.json) on a SQuAD-format training set.

    python tests/bench/train_spans.py ../shared/data/arcd-train/arcd-train.json

Every paragraph is indexed in a temporary database and every question runs through the real
answer pipeline (retrieval, sentences, candidates, features); the model is a listwise softmax
over each question's candidates, targets weighted by each candidate's token F1 with the gold
answer. Fit on ARCD-train only, so that `arshif eval` on XQuAD-ar measures unseen data.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path

from arshif.index import qa, spans, store
from arshif.index.evaluation import _load, f1_score
from arshif.index.ingest import ingest_records


def collect(dataset: Path) -> list[tuple[list[dict[str, float]], list[float]]]:
    """Return, per answerable question, the candidates' features and their F1 targets."""
    articles, questions = _load(dataset)
    examples = []
    with tempfile.TemporaryDirectory() as tmp:
        conn = store.connect(Path(tmp) / "train.db")
        ingest_records(conn, iter(articles))
        for q in questions:
            if not q.answers:
                continue
            g = qa.gather(conn, qa.analyze_question(q.question), None)
            if g is None or not g.candidates:
                continue
            targets = [max(f1_score(c.text, a) for a in q.answers) for c in g.candidates]
            if max(targets) < 0.5:
                continue  # the answer is not among the candidates: nothing to learn here
            examples.append(([c.feats for c in g.candidates], targets))
    return examples


def fit(examples, *, epochs: int = 12, rate: float = 0.2, l2: float = 1e-4, seed: int = 7) -> dict[str, float]:
    """Return weights minimising listwise cross-entropy (AdaGrad, L2)."""
    w: dict[str, float] = {}
    g2: dict[str, float] = {}
    rnd = random.Random(seed)
    for epoch in range(epochs):
        rnd.shuffle(examples)
        loss = 0.0
        for feats, targets in examples:
            t_raw = [t * t for t in targets]
            total_t = sum(t_raw)
            t = [x / total_t for x in t_raw]
            scores = [sum(w.get(k, 0.0) * v for k, v in f.items()) for f in feats]
            p = spans.softmax(scores)
            loss -= sum(ti * math.log(max(pi, 1e-12)) for ti, pi in zip(t, p, strict=True) if ti)
            grad: dict[str, float] = {}
            for f, pi, ti in zip(feats, p, t, strict=True):
                d = pi - ti
                if abs(d) < 1e-6:
                    continue
                for k, v in f.items():
                    grad[k] = grad.get(k, 0.0) + d * v
            for k, gk in grad.items():
                gk += l2 * w.get(k, 0.0)
                g2[k] = g2.get(k, 0.0) + gk * gk
                w[k] = w.get(k, 0.0) - rate * gk / (math.sqrt(g2[k]) + 1e-8)
        print(f"epoch {epoch + 1}: loss {loss / max(len(examples), 1):.4f}", file=sys.stderr)
    return {k: round(v, 5) for k, v in sorted(w.items()) if abs(v) > 1e-4}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "index" / "data"
                        / "span_weights.json")
    parser.add_argument("--epochs", type=int, default=12)
    args = parser.parse_args()
    started = time.perf_counter()
    examples = collect(args.dataset)
    print(f"{len(examples)} answerable questions with candidates", file=sys.stderr)
    weights = fit(examples, epochs=args.epochs)
    args.out.write_text(json.dumps({"trained_on": args.dataset.name, "questions": len(examples),
                                    "weights": weights}, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{len(weights)} weights written to {args.out} in {time.perf_counter() - started:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
