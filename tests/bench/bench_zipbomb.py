"""Benchmark: a 300 MB zip member in a ~300 KB zip, refused with bounded memory (issue 9 §3).

Run ``python tests/bench/bench_zipbomb.py`` (not collected by pytest). In a temporary folder it
builds ``bomb.zip`` (one ``news.txt`` member of 300 MB, deflated to ~300 KB) and a good article,
then ingests both

- with ``arshif ingest`` in a subprocess (the CLI path, settings from the environment), and
- through the bot's upload path (``bot.admin``: the uploaded bytes written to a temporary file and
  ingested within ``Settings.ingest_limits()``), in a subprocess of its own,

and prints, for each, what happened to the bomb, whether the good article was kept, the seconds
and the child's peak RSS (``os.wait4``'s ``ru_maxrss``). Target: refused, good file kept, peak
below 600 MB. ``--file-mb N`` sets ``ARSHIF_MAX_FILE_MB`` for both (e.g. 1024 shows the memory an
unbounded reader needs for the same zip); ``--member-mb`` changes the member's size. ``--nested``
adds a zip of 20 zips, each holding a 60 MB member (under the per-file limit, 1.2 GB in all): the
archive limit (1 GB) stops it while decompressing, and the peak shows what members just under the
per-file limit cost.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

TARGET_MB = 600
GOOD = "Harbour expansion approved\n\nThe harbour committee approved two new berths for the ferries on Monday.\n"

BOT_UPLOAD = """
import json, sys
from pathlib import Path
from arshif.bot import admin
from arshif.bot.config import load_settings
from arshif.index import store

bomb, good, db = sys.argv[1:4]
settings = load_settings()
conn = store.connect(db)
lines = []
for path in (bomb, good):
    content = Path(path).read_bytes()  # what the bot holds after downloading the document
    if hasattr(admin, "upload_reply"):
        reply = admin.upload_reply(conn, settings, 1, Path(path).name, content, "en")
        lines.append(reply.lead)
    else:  # the handler-based admin module: the same ingest the document handler runs
        upload = Path(db).parent / Path(path).name
        upload.write_bytes(content)
        summary = admin._ingest_file(conn, upload, "telegram:1/" + Path(path).name, settings.ingest_limits())
        lines.append(json.dumps(summary.as_dict()))
print(json.dumps({"replies": lines, "articles": store.count_articles(conn)}))
"""


def _bomb(path: Path, member_mb: int) -> Path:
    """Write a zip of one member of ``member_mb`` MB (streamed in, never held in memory)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z, \
            z.open("news.txt", "w", force_zip64=True) as member:
        chunk = b"0" * 2**20
        for _ in range(member_mb):
            member.write(chunk)
    return path


def build(folder: Path, member_mb: int, nested: bool) -> tuple[Path, Path]:
    """Write bomb.zip (or, ``nested``, a zip of 20 zips of 60 MB members) and good.txt."""
    bomb = _bomb(folder / "bomb.zip", member_mb)
    if nested:
        inner = _bomb(folder / "inner.zip", 60).read_bytes()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_STORED) as z:
            for i in range(20):
                z.writestr(f"part-{i:02}.zip", inner)
    good = folder / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    return bomb, good


def run(argv: list[str], env: dict[str, str]) -> tuple[int, str, float, float]:
    """Run a child; return its exit status, stdout, seconds and peak RSS in MB (its own, via wait4)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return proc.returncode, text, seconds, usage.ru_maxrss / 1024  # Linux: kilobytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--member-mb", type=int, default=300)
    parser.add_argument("--file-mb", type=int, default=None, help="ARSHIF_MAX_FILE_MB for both runs")
    parser.add_argument("--nested", action="store_true", help="a zip of 20 zips of 60 MB members instead")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARSHIF_", "TELEGRAM_"))}
    if args.file_mb is not None:
        env["ARSHIF_MAX_FILE_MB"] = str(args.file_mb)
    arshif = str(Path(sys.executable).with_name("arshif"))
    with tempfile.TemporaryDirectory(prefix="arshif-zipbomb-") as tmp:
        folder = Path(tmp)
        bomb, good = build(folder, args.member_mb, args.nested)
        held = "20 zips of a 60 MB member each" if args.nested else f"a {args.member_mb} MB member"
        print(f"bomb.zip: {bomb.stat().st_size / 1024:,.0f} KB holding {held}; "
              f"ARSHIF_MAX_FILE_MB={env.get('ARSHIF_MAX_FILE_MB', 'default (64)')}")

        code, out, seconds, peak = run([arshif, "ingest", str(bomb), str(good), "--db", str(folder / "cli.db"),
                                        "--json", "--workers", "1"], env)
        summary = json.loads(out.strip().splitlines()[-1]) if code == 0 else {}
        print(f"\narshif ingest (exit {code}, {seconds:.1f} s, peak RSS {peak:,.0f} MB "
              f"{'<' if peak < TARGET_MB else '>='} {TARGET_MB} MB)")
        print(f"  added {summary.get('added')}; failed: " + "; ".join(
            f"{f['path'].rsplit('/', 1)[-1]}: {f['reason']}" for f in summary.get("failed", [])) if summary else out)

        code, out, seconds, peak = run([sys.executable, "-c", BOT_UPLOAD, str(bomb), str(good),
                                        str(folder / "bot.db")], env)
        print(f"\nbot upload path (exit {code}, {seconds:.1f} s, peak RSS {peak:,.0f} MB "
              f"{'<' if peak < TARGET_MB else '>='} {TARGET_MB} MB)")
        if code == 0:
            result = json.loads(out.strip().splitlines()[-1])
            for reply in result["replies"]:
                print("  " + reply.replace("\n", "\n  "))
            print(f"  articles in the archive: {result['articles']}")
        else:
            print(out)


if __name__ == "__main__":
    main()
