"""Fit the answer-span weights (index/data/span_weights.json) on SQuAD-format sets and/or
question/answer pairs generated from an archive's own sentences (``gen_archive_qa.py``).

    python tests/bench/gen_archive_qa.py ../shared/data/saudinewsnet/*.zip --every 3 --out /tmp/pairs.jsonl
    python tests/bench/train_spans.py --pairs /tmp/pairs.jsonl --db /tmp/snn.db \
        ../shared/data/arcd-train/arcd-train.json

Every SQuAD paragraph is indexed in a temporary database and every question runs through the real
answer pipeline (retrieval, sentences, candidates, features); generated pairs are asked over the
archive they came from (``--db``, built by ``arshif ingest`` from the same files). The model is a
listwise softmax over each question's candidates, targets weighted by each candidate's token F1
with the gold answer. The weights file records how it was made (script, data, seed, feature
version); ``spans.load_weights`` refuses weights of another feature version. Never fit on
XQuAD (it measures) or ``news-qa`` (measuring only).

Measured (Dec 2026, feature version 2; 24,569 pairs from every 3rd SaudiNewsNet article, seed 13;
9,000 read, seed 7): adding the generated pairs to ARCD-train helped «من» and «متى» on news-qa dev
but cost «أين»/«ما» and XQuAD-ar F1 (28.7 -> 24.1 with ARCD x1; 27.2 with ARCD x8 and no «أي جهة»
pairs; 26.9 with ARCD x8 and who/when pairs only; dev reader hit 0.467 -> 0.450 at best), so the
shipped weights stay ARCD-only. The templates' question words («أي جهة», «كم», «متى» + clause)
are narrower than what people ask; richer templates are the next step.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import pickle
import random
import sys
import tempfile
import time
from pathlib import Path

from arshif.index import qa, spans, store
from arshif.index.analysis import fold, normalize
from arshif.index.evaluation import _load, f1_score
from arshif.index.ingest import ingest_records
from arshif.index.segments import split_sentences


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


def _reader_setting(conn) -> None:
    """Give each question its own article (as SQuAD training gives the paragraph): the span model
    learns to read; retrieval over 31k articles would cost ~30x more per pair and teaches it nothing.

    Document counts come from one read of the index vocabulary instead of a query per question.
    """
    from arshif.index import retrieval

    df_all = dict(conn.execute("SELECT term, doc FROM articles_vocab").fetchall())
    bodies: dict[int, str] = {}

    def rank_given(conn, terms, *, limit, article_ids=None, roots=(), boost=(), words=()):
        df = {t: df_all.get(t, 0) for t in terms}
        idf = retrieval._idf(conn, terms, df)
        out = []
        for a in article_ids or ():
            if a not in bodies:
                bodies.clear()
                bodies[a] = store.get_articles(conn, [a])[a].body
            body = bodies[a]
            sentences = retrieval._score_sentences(body, a, split_sentences(body), idf, roots,
                                                   retrieval._exact_families(words))
            out.append(retrieval._Ranked(a, 1.0 + max((x.score for x in sentences), default=0.0), sentences))
        return out

    retrieval._rank = rank_given


def collect_pairs(pairs: Path, db: Path, *, limit: int, seed: int,
                  workers: int = 1) -> tuple[list[tuple[list[dict[str, float]], list[float]]], dict]:
    """Return the examples of generated pairs read in their own article (``_reader_setting``)."""
    rows = [json.loads(line) for line in pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r["id"] % 10]  # id % 10 == 0 is kept back for measuring ranking
    random.Random(seed).shuffle(rows)
    rows = rows[:limit]
    if workers > 1:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            parts = pool.starmap(_collect_rows, [(rows[k::workers], db) for k in range(workers)])
    else:
        parts = [_collect_rows(rows, db)]
    examples = [e for part, _ in parts for e in part]
    figures: dict[str, dict[str, int]] = {}
    for _, part in parts:
        for t, c in part.items():
            mine = figures.setdefault(t, {"pairs": 0, "found": 0, "answerable": 0})
            for k in mine:
                mine[k] += c[k]
    return examples, figures


def _collect_rows(rows: list[dict], db: Path, log_every: int = 500) -> tuple[list, dict]:
    conn = store.connect(db)
    ids = dict(conn.execute("SELECT url, id FROM articles").fetchall())
    rows.sort(key=lambda r: ids.get(r["url"], 0))  # one article's pairs together: its body is read once
    _reader_setting(conn)
    examples = []
    seen: dict[str, list[int]] = {}
    started = time.perf_counter()
    for k, row in enumerate(rows, 1):
        article = ids.get(row["url"])
        g = qa.gather(conn, qa.analyze_question(row["question"]), [article]) if article else None
        hit = g is not None
        counts = seen.setdefault(row["type"], [0, 0, 0])
        counts[0] += 1
        counts[1] += hit
        if k % log_every == 0:
            print(f"{k}/{len(rows)} pairs, {time.perf_counter() - started:.0f}s", file=sys.stderr)
        if g is None or not g.candidates:
            continue
        gold = fold(normalize(row["answer"]))
        targets = [f1_score(fold(normalize(c.text)), gold) for c in g.candidates]
        if max(targets) < 0.5:
            continue
        counts[2] += 1
        examples.append(([c.feats for c in g.candidates], targets))
    return examples, {t: {"pairs": c[0], "found": c[1], "answerable": c[2]} for t, c in seen.items()}


def _question_type(example: tuple[list[dict[str, float]], list[float]]) -> str:
    """The question type an example was asked as (its candidates carry a ``qt=<type>|len=`` feature)."""
    return next((k[3:k.index("|")] for k in example[0][0] if k.startswith("qt=") and "|len=" in k), "other")


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
    parser.add_argument("datasets", type=Path, nargs="*", help="SQuAD-format training sets (ARCD-train)")
    parser.add_argument("--pairs", type=Path, help="generated pairs (gen_archive_qa.py)")
    parser.add_argument("--db", type=Path, help="the archive the pairs were generated from")
    parser.add_argument("--limit", type=int, default=20_000, help="at most this many generated pairs")
    parser.add_argument("--squad-weight", type=int, default=1, help="repeat each SQuAD example this often")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "index" / "data"
                        / "span_weights.json")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=1, help="processes reading the generated pairs")
    parser.add_argument("--pair-types", help="use generated pairs of these question types only (who,when,…)")
    parser.add_argument("--cache", type=Path, help="keep the generated pairs' features here, to refit quickly")
    args = parser.parse_args()
    started = time.perf_counter()
    examples = []
    data = []
    for dataset in args.datasets:
        found = collect(dataset)
        examples.extend(found * args.squad_weight)
        data.append({"file": dataset.name, "questions": len(found), "repeat": args.squad_weight})
    if args.pairs:
        if args.db is None and not (args.cache and args.cache.exists()):
            parser.error("--pairs needs --db, the archive they were generated from")
        if args.cache and args.cache.exists():
            found, figures = pickle.loads(args.cache.read_bytes())  # same pairs, limit and seed
        else:
            found, figures = collect_pairs(args.pairs, args.db, limit=args.limit, seed=args.seed,
                                           workers=args.workers)
            if args.cache:
                args.cache.write_bytes(pickle.dumps((found, figures)))
        if args.pair_types:
            wanted = set(args.pair_types.split(","))
            found = [e for e in found if _question_type(e) in wanted]
        examples.extend(found)
        data.append({"file": args.pairs.name, "generator": "tests/bench/gen_archive_qa.py",
                     "questions": len(found), "types": args.pair_types or "all", "by_type": figures})
    print(f"{len(examples)} answerable questions with candidates", file=sys.stderr)
    weights = fit(examples, epochs=args.epochs, seed=args.seed)
    made = {"script": "tests/bench/train_spans.py", "data": data, "seed": args.seed, "epochs": args.epochs,
            "feature_version": spans.FEATURE_VERSION, "questions": len(examples)}
    args.out.write_text(json.dumps({"made": made, "feature_version": spans.FEATURE_VERSION,
                                    "weights": weights}, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{len(weights)} weights written to {args.out} in {time.perf_counter() - started:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
