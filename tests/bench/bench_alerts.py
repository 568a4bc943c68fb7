"""Benchmark: 10,000 subscriptions matched against a batch of 1,000 new SaudiNewsNet articles.

Run ``python tests/bench/bench_alerts.py`` (not collected by pytest). It ingests the first 5,000
articles as the archive, saves 10,000 subscriptions drawn from the corpus's titles (one to three
words; some with a phrase, an exclusion or a source: filter), ingests the next 1,000 as new, and
prints the seconds of one ``collect_alerts`` run (target ≤ 5 s on a 2-core machine) and of
loading the first round of pending alerts. ``--archive PATH`` keeps the 5,000-article archive
between runs (it is copied, never changed). The corpus is research-only: it is read from
``../shared/data/saudinewsnet`` and never copied into the project.
"""

from __future__ import annotations

import argparse
import glob
import json
import logging
import random
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from arshif.index import alerts, store  # noqa: E402
from arshif.index.errors import IngestError  # noqa: E402
from arshif.index.ingest import ingest_records, record_from_mapping  # noqa: E402
from arshif.index.models import IngestFailure  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "saudinewsnet"
ARCHIVE, NEW, SUBSCRIPTIONS = 5_000, 1_000, 10_000


def corpus(skip: int, count: int) -> Iterator[dict]:
    """Yield ``count`` SaudiNewsNet records after the first ``skip``, in file order."""
    seen = 0
    for path in sorted(glob.glob(str(DATA / "*.zip"))):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                for obj in json.loads(zf.read(name)):
                    seen += 1
                    if seen <= skip:
                        continue
                    if seen > skip + count:
                        return
                    yield obj


def records(skip: int, count: int) -> Iterator:
    for obj in corpus(skip, count):
        try:
            yield record_from_mapping(obj, "saudinewsnet")
        except IngestError as exc:
            yield IngestFailure("saudinewsnet", str(exc))


def queries(conn, n: int, seed: int = 5) -> list[str]:
    """Return ``n`` subscription queries drawn from the archive's titles and sources."""
    rng = random.Random(seed)
    titles = [r[0] for r in conn.execute("SELECT title FROM articles ORDER BY id")]
    sources = [r[0] for r in conn.execute("SELECT DISTINCT source FROM articles WHERE source IS NOT NULL")]
    out = []
    while len(out) < n:
        words = [w for w in rng.choice(titles).split() if len(w) >= 4 and w.isalpha()]
        if not words:
            continue
        k = rng.choice((1, 1, 2, 2, 2, 3))
        picked = rng.sample(words, min(k, len(words)))
        roll = rng.random()
        if roll < 0.1 and len(picked) >= 2:
            query = f'"{picked[0]} {picked[1]}"'
        elif roll < 0.15 and len(words) > len(picked):
            query = " ".join(picked) + " -" + rng.choice([w for w in words if w not in picked])
        elif roll < 0.25:
            query = " ".join(picked) + f" source:{rng.choice(sources)}"
        else:
            query = " ".join(picked)
        out.append(query)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, help="cache the 5,000-article archive here")
    parser.add_argument("--subscriptions", type=int, default=SUBSCRIPTIONS)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR)
    if not args.verbose:
        logging.getLogger("arshif.index.facts").disabled = True

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        if args.archive and args.archive.exists():
            shutil.copy(args.archive, db)
        else:
            conn = store.connect(db)
            started = time.perf_counter()
            summary = ingest_records(conn, records(0, ARCHIVE))
            print(f"archive: {summary.added} articles ingested in {time.perf_counter() - started:.1f} s")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            if args.archive:
                shutil.copy(db, args.archive)
        conn = store.connect(db)
        high = store.max_article_id(conn)
        started = time.perf_counter()
        qs = queries(conn, args.subscriptions)
        with store.transaction(conn, immediate=True):
            for i, q in enumerate(qs):
                user = 1000 + i // 10
                conn.execute("INSERT INTO subscriptions (user_id, chat_id, query, last_seen) VALUES (?,?,?,?)",
                             (user, user, q, high))
        print(f"subscriptions: {len(qs)} saved in {time.perf_counter() - started:.1f} s "
              f"({len(set(qs))} distinct queries)")

        started = time.perf_counter()
        summary = ingest_records(conn, records(ARCHIVE, NEW))
        print(f"new batch: {summary.added} articles ingested in {time.perf_counter() - started:.1f} s")

        started, cpu = time.perf_counter(), time.process_time()
        batches = alerts.collect_alerts(conn)
        collect_s, collect_cpu = time.perf_counter() - started, time.process_time() - cpu
        to_send = sum(len(b.article_ids) for b in batches)
        merged = sum(len(b.merged) for b in batches)
        print(f"collect_alerts: {collect_s:.2f} s ({collect_cpu:.2f} s CPU) — {len(batches)} subscriptions "
              f"matched, {to_send} deliveries to send, {merged} merged as near-duplicates (target ≤ 5 s)")

        started = time.perf_counter()
        chats = alerts.pending_deliveries(conn)
        print(f"pending_deliveries (first round, {alerts.PENDING_ROWS} rows): "
              f"{time.perf_counter() - started:.2f} s, {len(chats)} chats")
        started = time.perf_counter()
        again = alerts.collect_alerts(conn)
        print(f"collect_alerts again with nothing new: {time.perf_counter() - started:.3f} s ({len(again)} batches)")
        print("deliveries by status:", store.delivery_counts(conn))
        conn.close()


if __name__ == "__main__":
    main()
