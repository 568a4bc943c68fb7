"""Webhook mode under idle connections: `arshif serve` with an open-file limit of 1024 and 1,100 idle
TCP connections still answers /healthz and a posted update, and does not flood its log.

    python tests/bench/bench_webhook_idle.py [--connections 1100] [--nofile 1024] [--hold 5]

Starts the fake Bot API (tests/e2e/fakebot.py) in this process and `arshif serve` in webhook mode
as a child whose RLIMIT_NOFILE is set to ``--nofile`` (soft and hard, as `ulimit -n 1024` does),
opens ``--connections`` idle connections to it on 127.0.0.1 (they send nothing), then, with them
open, asks /healthz and posts an update, and waits for the bot's reply to reach the fake Bot API.
Prints how long each took, how many idle connections the server had closed, and the child's log
(lines, bytes). Exits 1 when /healthz or the update went unanswered.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.e2e.fakebot import FakeBotServer  # noqa: E402

SECRET = "bench-secret_0123456789abcdefghijklmnop"
WEBHOOK_URL = "https://bot.example.org/telegram/hook"
USER = 1001


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_archive(folder: Path) -> Path:
    from arshif.index import store
    from arshif.index.ingest import ingest_paths

    db = folder / "archive.db"
    conn = store.connect(db)
    ingest_paths(conn, [REPO / "index" / "samples"], workers=1)
    conn.close()
    return db


async def open_idle(port: int, n: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """Opens ``n`` connections that never send a byte; returns their streams."""
    streams = []
    for _ in range(n):
        try:
            streams.append(await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5))
        except (OSError, TimeoutError):
            continue
    return streams


def still_open(streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]) -> int:
    """Counts connections the server has not closed (the event loop saw no EOF on them)."""
    return sum(1 for reader, _ in streams if not reader.at_eof() and reader.exception() is None)


async def main(args: argparse.Namespace) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.connections + 256
    if soft < need:  # this process holds the client side of every connection
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(need, soft)), hard))
    tmp = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    db = make_archive(tmp)
    log_path = tmp / "serve.log"
    port = free_port()
    async with FakeBotServer() as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARSHIF_", "TELEGRAM_"))}
        env |= {
            "TELEGRAM_BOT_TOKEN": server.token, "TELEGRAM_API_BASE_URL": server.base_url,
            "ARSHIF_ALLOWED_USERS": str(USER), "ARSHIF_WEBHOOK_URL": WEBHOOK_URL, "ARSHIF_WEBHOOK_SECRET": SECRET,
            "ARSHIF_LISTEN": "127.0.0.1", "ARSHIF_PORT": str(port), "ARSHIF_ENGINE_PROCESSES": "0",
        }

        def limit_files() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (args.nofile, args.nofile))

        with log_path.open("wb") as log_file:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "arshif.bot.cli", "serve", "--db", str(db), cwd=REPO, env=env,
                stdout=log_file, stderr=log_file, preexec_fn=limit_files,
            )
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                    for _ in range(200):  # wait until it listens
                        try:
                            if (await client.get("/healthz")).status_code == 200:
                                break
                        except httpx.TransportError:
                            await asyncio.sleep(0.1)
                    else:
                        print("the bot did not start; its log:\n" + log_path.read_text(errors="replace"))
                        return 1
                    started = time.perf_counter()
                    idle = await open_idle(port, args.connections)
                    opened_s = time.perf_counter() - started
                    await asyncio.sleep(args.hold)
                    open_before = still_open(idle)
                    ok = True
                    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as fresh:
                        t0 = time.perf_counter()
                        try:
                            health = await fresh.get("/healthz")
                            health_s, health_status = time.perf_counter() - t0, health.status_code
                        except httpx.HTTPError as exc:
                            health_s, health_status, ok = time.perf_counter() - t0, f"failed ({exc!r})", False
                        mark = server.mark()
                        update = server.send_text(USER, "/start", language_code="en")
                        t0 = time.perf_counter()
                        try:
                            posted = await fresh.post("/telegram/hook", json=update,
                                                      headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                            post_status = posted.status_code
                            await server.wait_for("sendMessage", lambda c: c.chat_id == USER, since=mark, timeout=30)
                            reply_s = time.perf_counter() - t0
                        except (httpx.HTTPError, TimeoutError) as exc:
                            post_status, reply_s, ok = f"failed ({exc!r})", time.perf_counter() - t0, False
                    open_after = still_open(idle)
                    for _, writer in idle:
                        writer.close()
            finally:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 20)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
    logged = log_path.read_bytes()
    lines = logged.count(b"\n")
    print(f"open-file limit of the bot: {args.nofile}; idle connections opened: {len(idle)} of "
          f"{args.connections} in {opened_s:.2f} s; held {args.hold:g} s")
    print(f"idle connections still open when checked: {open_before} (the server closed "
          f"{len(idle) - open_before}); after the checks: {open_after}")
    print(f"/healthz: {health_status} in {health_s * 1000:.0f} ms")
    print(f"posted update: {post_status}; the bot's reply reached the Bot API {reply_s * 1000:.0f} ms after the post")
    print(f"the bot's log: {lines} lines, {len(logged)} bytes; 'out of system resource' lines: "
          f"{logged.count(b'out of system resource')}; exit status {proc.returncode}")
    if args.show_log:
        print(logged.decode(errors="replace"))
    return 0 if ok and health_status == 200 and post_status == 200 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--nofile", type=int, default=1024)
    parser.add_argument("--hold", type=float, default=5.0, help="seconds the idle connections stay before the checks")
    parser.add_argument("--show-log", action="store_true")
    raise SystemExit(asyncio.run(main(parser.parse_args())))
