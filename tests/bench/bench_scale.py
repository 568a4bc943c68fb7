"""Scale benchmark: SaudiNewsNet and altered copies of it, ingested copy by copy through the CLI.

    python tests/bench/bench_scale.py --copies 8 --work /work/snn/scale [--queries 200 --questions 100]

Copy 0 is the real corpus; copy k (k ≥ 1) holds every article again with another url
(``…#copy-k``), its date moved back by k whole years, its paragraphs rotated by k and a unique
reference line, so that no copy is a duplicate of another. Each copy is written to ``--work`` as
JSON lines and ingested by ``arshif ingest --json`` in a child process, as users run it. After
each copy it prints: ingest seconds and articles/s, database size (with its WAL), FTS5 segments,
search and ask latency in batch mode (``arshif search --json -``, ``arshif ask --json -``: p50 and
p95 of the time between answers, and the mean per query), and the peak memory of each child.
One JSON object per copy goes to ``--log`` too. SaudiNewsNet is for research use: the copies
stay in ``--work`` (deleted after ingest), never in the repository. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from arshif.index.analysis import STOPWORDS

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "saudinewsnet"
ARSHIF = [sys.executable, "-c", "import sys; from arshif.bot.cli import entry; sys.argv[0] = 'arshif'; entry()"]


def load(corpus: Path) -> list[dict]:
    """Return every record of the corpus."""
    records: list[dict] = []
    for path in sorted(corpus.glob("*.zip")):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                records.extend(json.loads(zf.read(name)))
    return records


def altered(record: dict, k: int, i: int) -> dict:
    """Return copy ``k`` of a record: another url, the date k years back, paragraphs rotated."""
    if k == 0:
        return record
    out = dict(record)
    if out.get("url"):
        out["url"] = f"{out['url']}#copy-{k}"
    date = str(out.get("date_extracted") or "")
    if date[:4].isdigit():
        out["date_extracted"] = f"{int(date[:4]) - k:04d}{date[4:]}"
    paragraphs = [p for p in (out.get("content") or "").split("\n") if p.strip()]
    if paragraphs:
        r = k % len(paragraphs)
        paragraphs = paragraphs[r:] + paragraphs[:r]
        paragraphs.append(f"المرجع {k:02d}-{i:06d}")
    out["content"] = "\n".join(paragraphs)
    return out


def write_copy(records: list[dict], k: int, folder: Path, per_file: int = 2000) -> Path:
    """Write copy ``k`` as JSON lines files of ``per_file`` records (the CLI refuses files over
    64 MiB); return their folder."""
    out = folder / f"copy-{k:03d}"
    out.mkdir(parents=True, exist_ok=True)
    for n in range(0, len(records), per_file):
        with (out / f"part-{n // per_file:03d}.jsonl").open("w", encoding="utf-8") as f:
            for i in range(n, min(n + per_file, len(records))):
                f.write(json.dumps(altered(records[i], k, i), ensure_ascii=False) + "\n")
    return out


def run_child(args: list[str], stdin: str | None = None) -> tuple[float, list[float], str, float]:
    """Run the CLI; return (seconds, arrival time of each stdout line, stdout, peak RSS in MB of the
    child and the processes it waited for)."""
    started = time.perf_counter()
    proc = subprocess.Popen(ARSHIF + args, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    if stdin is not None:
        assert proc.stdin is not None
        proc.stdin.write(stdin)
        proc.stdin.close()
    assert proc.stdout is not None
    arrivals, lines = [], []
    for line in proc.stdout:
        arrivals.append(time.perf_counter())
        lines.append(line)
    err = proc.stderr.read() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed: {err[-2000:]}")
    return seconds, [started, *arrivals], "".join(lines), usage.ru_maxrss / 1024


def pct(values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def batch_latency(db: Path, command: str, queries: list[str]) -> dict:
    """Run a batch (``arshif <command> --json -``); return per-query latency figures in ms."""
    seconds, arrivals, out, peak = run_child([command, "-", "--json", "--db", str(db)], "\n".join(queries) + "\n")
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(arrivals[1:])]  # the first answer pays start-up
    answers = out.count("\n")
    return {"p50_ms": round(statistics.median(gaps), 1), "p95_ms": round(pct(gaps, 95), 1),
            "mean_ms": round(statistics.mean(gaps), 1), "answers": answers, "seconds": round(seconds, 1),
            "peak_mb": round(peak)}


def fts_segments(db: Path) -> int:
    """Return how many FTS5 segments the index has."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(DISTINCT segid) FROM articles_fts_idx").fetchone()[0]
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--work", type=Path, required=True, help="Folder for the database and the copies.")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--log", type=Path, default=None, help="Append one JSON object per copy here.")
    parser.add_argument("--keep", action="store_true", help="Continue with the database already in --work.")
    args = parser.parse_args()
    records = load(args.corpus)
    if not records:
        raise SystemExit(f"No zips in {args.corpus}: the benchmark needs SaudiNewsNet.")
    args.work.mkdir(parents=True, exist_ok=True)
    db = args.work / "scale.db"
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    rnd = random.Random(11)
    sample = rnd.sample([r.get("title") or "" for r in records if len((r.get("title") or "").split()) >= 3],
                        args.queries + args.questions)
    queries = [" ".join([w for w in t.split() if w not in STOPWORDS][:3]) for t in sample[: args.queries]]
    questions = [("متى " if i % 2 else "من ") + " ".join([w for w in t.split() if w not in STOPWORDS][:5]) + "؟"
                 for i, t in enumerate(sample[args.queries:])]
    print(f"{len(records)} records a copy; {args.copies} copies; {len(queries)} searches, "
          f"{len(questions)} questions after each", flush=True)
    print("copy  articles  ingest s  art/s  db MB  segs  search p50/p95/mean ms  ask p50/p95/mean ms  "
          "peak MB ingest/search/ask", flush=True)
    first = None
    for k in range(args.copies):
        path = write_copy(records, k, args.work / "copies")
        load_before = os.getloadavg()[0]
        seconds, _, out, ingest_peak = run_child(["ingest", str(path), "--json", "--db", str(db)])
        machine_load = (load_before + os.getloadavg()[0]) / 2  # the machine may be shared: report its load
        shutil.rmtree(path)
        summary = json.loads(out)
        if not summary.get("added"):
            raise SystemExit(f"copy {k}: nothing added: {out[:2000]}")
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        conn.close()
        size = sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists())
        s = batch_latency(db, "search", queries)
        a = batch_latency(db, "ask", questions)
        first = first or seconds
        row = {"copy": k, "articles": articles, "added": summary.get("added"), "ingest_s": round(seconds, 1),
               "articles_per_s": round((summary.get("added") or 0) / seconds), "vs_first": round(seconds / first, 2),
               "db_mb": round(size / 1e6), "fts_segments": fts_segments(db), "search": s, "ask": a,
               "ingest_peak_mb": round(ingest_peak), "load": round(machine_load, 1)}
        print(f"{k:>4}  {articles:>8}  {seconds:>8.1f}  {row['articles_per_s']:>5}  {row['db_mb']:>5}  "
              f"{row['fts_segments']:>4}  {s['p50_ms']:>6}/{s['p95_ms']}/{s['mean_ms']:<10}  "
              f"{a['p50_ms']:>6}/{a['p95_ms']}/{a['mean_ms']:<10}  "
              f"{row['ingest_peak_mb']}/{s['peak_mb']}/{a['peak_mb']}  load {machine_load:.1f}", flush=True)
        if args.log:
            with args.log.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
