"""Feature benchmark on SaudiNewsNet: /trend and /who reply times on the whole archive.

    python tests/bench/bench_features.py --db ARCHIVE.db [--runs 3]
    python tests/bench/bench_features.py [--corpus ../shared/data/saudinewsnet]   # builds one first

Each reply is made the way the bot makes it: through the conversation core (``Conversation.handle``
with "/trend …" or "/who …"), so /trend includes counting, drawing the PNG and the caption, and
/who includes resolving the name, the profile and the reply. Prints p50/p95/max per query set, the
first /who (which builds the name index once per process) and the first /trend (which imports
matplotlib once per process) apart, and the targets (/trend ≤ 1 s,
/who ≤ 300 ms). The archive given with --db is copied first: the bot writes chat memory, and a
benchmark must never write into someone's archive. Not collected by pytest: performance is measured
here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from arshif.index import store
from arshif.index.ingest import ingest_paths

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "saudinewsnet"

TREND_QUERIES = ["قناة السويس", "السعودية", "داعش", "النفط", "الحج", "اليمن", "الاتفاق النووي", "كرة القدم",
                 "أسعار النفط", "وزارة الصحة", "كورونا", "الهلال", "مهاب مميش", "إيران", "السيسي"]
WHO_NAMES = ["مهاب مميش", "الفريق مهاب مميش", "عبدالفتاح السيسي", "السيسي", "جون كيري", "خالد الفيصل",
             "محمد بن سلمان", "سلمان", "باراك أوباما", "عادل الجبير", "محمد بن نايف", "بشار الأسد", "محمد",
             "عبدالله"]


def percentiles(values: list[float]) -> str:
    """Return "p50 … ms · p95 … ms · max … ms" of seconds."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"p50 {statistics.median(ordered) * 1000:.0f} ms · p95 {p95 * 1000:.0f} ms · "
            f"max {ordered[-1] * 1000:.0f} ms (n={len(ordered)})")


def build(corpus: Path, folder: Path) -> Path:
    """Ingest the corpus into a new archive in ``folder``; return its path."""
    db = folder / "snn.db"
    conn = store.connect(db)
    started = time.perf_counter()
    summary = ingest_paths(conn, sorted(corpus.glob("*.zip")))
    conn.close()
    print(f"built {db}: {summary.added} articles in {time.perf_counter() - started:.0f} s")
    return db


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="An archive of SaudiNewsNet (copied, never written).")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=3, help="Times each query is asked.")
    args = parser.parse_args()

    from arshif.bot.config import Settings
    from arshif.bot.core import Conversation, Who

    with tempfile.TemporaryDirectory() as tmp:
        if args.db:
            db = Path(tmp) / "bench.db"
            src = store.connect(args.db, migrate_schema=False)
            store.backup(src, db)  # a consistent copy, WAL included
            src.close()
        elif args.corpus.is_dir():
            db = build(args.corpus, Path(tmp))
        else:
            print(f"no --db and no corpus at {args.corpus}", file=sys.stderr)
            return 1
        conn = store.connect(db)
        print(f"archive: {store.count_articles(conn)} articles")
        conn.close()
        chat = Conversation(db, Settings(open_mode=True))
        who = Who(user_id=1, chat_id=1, language_code="ar", local=True)

        def timed(text: str) -> tuple[float, object]:
            started = time.perf_counter()
            reply = chat.handle(who, text)
            return time.perf_counter() - started, reply

        first, _ = timed(f"/who {WHO_NAMES[0]}")
        print(f"/who first call (builds the name index): {first * 1000:.0f} ms")
        first, _ = timed(f"/trend {TREND_QUERIES[0]}")
        print(f"/trend first call (imports matplotlib): {first * 1000:.0f} ms")
        trend_times, who_times = [], []
        for _ in range(args.runs):
            for q in TREND_QUERIES:
                seconds, _ = timed(f"/trend {q}")
                trend_times.append(seconds)
            for name in WHO_NAMES:
                seconds, _ = timed(f"/who {name}")
                who_times.append(seconds)
        sample = chat.handle(who, "/trend قناة السويس")
        print(f"/trend (count + PNG + caption): {percentiles(trend_times)}  target ≤ 1000 ms")
        print(f"   e.g. {getattr(sample, 'caption', '') or getattr(sample, 'lead', '')}")
        print(f"/who (resolve + profile):       {percentiles(who_times)}  target ≤ 300 ms")
        chat.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
