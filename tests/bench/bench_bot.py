"""Benchmark: the bot serving SaudiNewsNet through the fake Bot API server, 200 questions, 20 users.

Run ``python tests/bench/bench_bot.py --db PATH`` (not collected by pytest). When PATH does not
exist it is built from ``../shared/data/saudinewsnet/*.zip`` (31,030 articles) by ``arshif
ingest`` in a child process, so that ingest memory does not count in the bot's peak RSS. The
corpus is research-only: it is read from the shared folder and never copied into the project.

Twenty users each ask ten questions drawn from article titles («ما هي <the title's first words>؟»,
«من <...>؟»), one at a time, waiting 0.5-1.5 × ``--think`` seconds between a reply and their next
question (a person reads the answer), all users at once from random starting moments. The real
``Application`` handles the updates exactly as in production, including ``AIORateLimiter``
(Telegram's 30 messages/s). Printed: replies/s, p50/p95 milliseconds from update injection to
the reply's sendMessage, how often the reply's source is the article the question came from,
and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from arshif.bot import telegram_app  # noqa: E402
from arshif.bot.config import Settings  # noqa: E402
from arshif.bot.telegram_app import build_application  # noqa: E402
from arshif.index import store  # noqa: E402

from tests.e2e.fakebot import FakeBotServer  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "saudinewsnet"
DEFAULT_DB = Path(tempfile.gettempdir()) / "arshif-bench-saudinewsnet.db"
USERS, PER_USER = 20, 10
_ARABIC_WORD = re.compile("[\u0600-\u06ff]{2,}")


def build(db: Path) -> None:
    """Ingests SaudiNewsNet into ``db`` with the CLI, in a child process."""
    zips = sorted(str(p) for p in DATA.glob("*.zip"))
    if not zips:
        sys.exit(f"No SaudiNewsNet zips in {DATA}; pass --db with an existing archive.")
    print(f"building {db} from {len(zips)} zip files (one-time)…", flush=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "arshif.bot.cli", "ingest", *zips, "--db", str(db)], cwd=ROOT, check=True)
    print(f"built in {time.monotonic() - started:.0f} s", flush=True)


def questions(db: Path, count: int, seed: int) -> list[tuple[str, int, str | None]]:
    """Returns (question, article id, url) for ``count`` random articles with Arabic titles."""
    conn = store.connect(db)
    high = store.max_article_id(conn)
    rng = random.Random(seed)
    out: list[tuple[str, int, str | None]] = []
    seen: set[int] = set()
    while len(out) < count and len(seen) < high:
        article_id = rng.randint(1, high)
        if article_id in seen:
            continue
        seen.add(article_id)
        try:
            art = store.get_article(conn, article_id)
        except Exception:  # a gap in the ids
            continue
        words = _ARABIC_WORD.findall(art.title)
        if len(words) < 4:
            continue
        head = " ".join(words[: rng.randint(4, 7)])
        form = "ما هي {}؟" if len(out) % 2 == 0 else "من {}؟"
        out.append((form.format(head), art.id, art.url))
    conn.close()
    return out


def peak_rss_mb(pid: int) -> float:
    """Return a live process's peak resident memory (VmHWM) in MB (getrusage sees only dead children)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def run(db: Path, think: float, seed: int, processes: int) -> None:
    asked = questions(db, USERS * PER_USER + 4, seed)
    warmups, asked = asked[:4], asked[4:]
    latencies: list[float] = []
    on_target = 0
    async with FakeBotServer() as server:
        settings = Settings(token=server.token, db=db, open_mode=True, rate_limit=1000, log_level="WARNING",
                            engine_processes=processes)
        app = build_application(settings, db, base_url=server.base_url)
        async with server.polling(app):
            await app.post_init(app)

            async def ask(user: int, text: str) -> tuple[float, str]:
                mark = server.mark()
                started = time.monotonic()
                server.send_text(user, text)
                [call] = await server.wait_for("sendMessage", lambda c: c.chat_id == user and c.ok,
                                               since=mark, timeout=120)
                urls = [e.get("url", "") for e in call.result.get("entities", []) if e["type"] == "text_link"]
                return time.monotonic() - started, " ".join(urls)

            # First use loads caches (names, vocabulary) in each engine process: not a user's experience.
            await asyncio.gather(*(ask(90 + i, w[0]) for i, w in enumerate(warmups)))

            rng = random.Random(seed)

            async def user_loop(user: int, mine: list[tuple[str, int, str | None]]) -> None:
                nonlocal on_target
                await asyncio.sleep(rng.uniform(0, think))  # people do not start in step
                for text, _article_id, url in mine:
                    seconds, urls = await ask(user, text)
                    latencies.append(seconds * 1000)
                    on_target += bool(url and url in urls)
                    await asyncio.sleep(rng.uniform(0.5, 1.5) * think)

            started = time.monotonic()
            await asyncio.gather(*(
                user_loop(1000 + u, asked[u * PER_USER:(u + 1) * PER_USER]) for u in range(USERS)
            ))
            wall = time.monotonic() - started
            state = app.bot_data[telegram_app.STATE_KEY]
            child_mb = max((peak_rss_mb(pid) for pid in (state.pool._processes if state.pool else {})), default=0.0)
        assert not server.errors, server.errors
    cuts = statistics.quantiles(latencies, n=100)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    conn = store.connect(db)
    articles = store.count_articles(conn)
    conn.close()
    print(f"archive: {articles:,} articles ({db})")
    print(f"{len(latencies)} questions from {USERS} users, mean think time {think:.1f} s, "
          f"{state.processes or telegram_app.ENGINE_THREADS} engine "
          f"{'process(es)' if state.processes else 'thread(s)'}, wall {wall:.1f} s")
    print(f"replies/s: {len(latencies) / wall:.1f}")
    print(f"latency ms: p50 {cuts[49]:.0f}  p95 {cuts[94]:.0f}  max {max(latencies):.0f}")
    print(f"reply's source is the asked article: {on_target}/{len(latencies)}")
    engines = f", each engine process up to {child_mb:.0f} MB" if state.processes else ""
    print(f"peak RSS: bot {rss_mb:.0f} MB{engines}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"archive database (default {DEFAULT_DB})")
    parser.add_argument("--think", type=float, default=1.0, help="seconds a user waits before the next question")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engine-threads", type=int, default=None, help="engine calls at once (default: the bot's)")
    parser.add_argument("--processes", type=int, default=-1,
                        help="engine processes (default -1: one per core, as `arshif serve`; 0: threads)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.engine_threads:
        telegram_app.ENGINE_THREADS = args.engine_threads
    if not args.db.exists():
        build(args.db)
    asyncio.run(run(args.db, args.think, args.seed, args.processes))


if __name__ == "__main__":
    main()
