"""Engine benchmark on SaudiNewsNet: ingest speed and memory, search and ask latency.

    python tests/bench/bench_engine.py [--corpus ../shared/data/saudinewsnet] [--queries 500]

Prints, for the whole corpus (31,030 articles): articles/s through the real ingest pipeline
(analysis on every core and passages; then again with facts), peak memory, database size; the same corpus through
plain FTS5 (unicode61, raw text, no analysis) in the same run, and the ratio; search p50/p95
for queries drawn from titles; ask p50/p95 for questions made from titles. Not collected by
pytest: performance is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

from arshif.index import qa, search, store
from arshif.index.analysis import STOPWORDS
from arshif.index.ingest import ingest_paths

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "saudinewsnet"


def peak_mb() -> tuple[float, float]:
    """Return peak resident memory (MB) of this process and of its largest finished child."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def plain_fts(zips: list[Path], db: Path) -> tuple[float, int]:
    """Insert title and content into a plain FTS5 table (the baseline); return seconds, rows."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='unicode61')")
    started = time.perf_counter()
    n = 0
    for path in zips:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                rows = json.loads(zf.read(name))
                conn.execute("BEGIN")
                conn.executemany("INSERT INTO docs (title, body) VALUES (?, ?)",
                                 [(r.get("title") or "", r.get("content") or "") for r in rows])
                conn.execute("COMMIT")
                n += len(rows)
    seconds = time.perf_counter() - started
    conn.close()
    return seconds, n


def titles(zips: list[Path], k: int, seed: int = 11) -> list[str]:
    """Return k random article titles of the corpus."""
    all_titles: list[str] = []
    for path in zips:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                all_titles.extend(r.get("title") or "" for r in json.loads(zf.read(name)))
    rnd = random.Random(seed)
    return rnd.sample([t for t in all_titles if len(t.split()) >= 3], k)


def pct(values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--db", type=Path, default=None, help="Keep the database here (default: a temp file).")
    parser.add_argument("--skip-engine-only", action="store_true", help="Skip the ingest run without facts.")
    args = parser.parse_args()
    zips = sorted(args.corpus.glob("*.zip"))
    if not zips:
        raise SystemExit(f"No zips in {args.corpus}: the benchmark needs SaudiNewsNet (../shared/data/saudinewsnet).")
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        base_seconds, base_rows = plain_fts(zips, Path(tmp) / "plain.db")
        base_size = (Path(tmp) / "plain.db").stat().st_size
        print(f"corpus: {base_rows} records in {len(zips)} zips")
        print(f"plain FTS5 (unicode61, raw text): {base_seconds:.1f} s, {base_size / 1e6:.0f} MB")
        if not args.skip_engine_only:
            lean = store.connect(Path(tmp) / "lean.db")
            with store.bulk_mode(lean):
                s0 = ingest_paths(lean, zips, facts=False)
            lean.close()
            print(f"arshif ingest without facts (analysis, index, passages): {s0.seconds:.1f} s, "
                  f"{s0.added / s0.seconds:.0f} articles/s, ratio to plain FTS5 {s0.seconds / base_seconds:.2f}x")
        conn = store.connect(db)
        with store.bulk_mode(conn):
            summary = ingest_paths(conn, zips)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        own, child = peak_mb()
        size = db.stat().st_size
        print(f"arshif ingest with facts: {summary.seconds:.1f} s for {summary.added} added "
              f"({summary.duplicates} duplicates, {len(summary.failed)} failed): "
              f"{summary.added / summary.seconds:.0f} articles/s, "
              f"ratio to plain FTS5 {summary.seconds / base_seconds:.2f}x")
        print(f"database: {size / 1e6:.0f} MB; peak memory: main {own:.0f} MB, worker {child:.0f} MB")

        sample = titles(zips, args.queries + args.questions)
        queries = []
        for t in sample[: args.queries]:
            words = [w for w in t.split() if w not in STOPWORDS]
            queries.append(" ".join(words[:3]))
        search.run(conn, queries[0])  # warm the page cache once
        times = []
        for q in queries:
            t0 = time.perf_counter()
            search.run(conn, q, limit=10)
            times.append((time.perf_counter() - t0) * 1000)
        print(f"search ({len(queries)} title queries, top 10 with excerpts): p50 {statistics.median(times):.1f} ms, "
              f"p95 {pct(times, 95):.1f} ms, max {max(times):.1f} ms")
        times = []
        for t in sample[args.queries:]:
            words = [w for w in t.split() if w not in STOPWORDS][:5]
            question = ("متى " if len(times) % 2 else "من ") + " ".join(words) + "؟"
            t0 = time.perf_counter()
            qa.answer_question(conn, question)
            times.append((time.perf_counter() - t0) * 1000)
        print(f"ask ({len(times)} questions from titles): p50 {statistics.median(times):.1f} ms, "
              f"p95 {pct(times, 95):.1f} ms, max {max(times):.1f} ms")
        conn.close()


if __name__ == "__main__":
    main()
