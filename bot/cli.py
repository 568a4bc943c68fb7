"""The ``arshif`` command line: thin shells over the engine (DESIGN §7 contracts).

Every command takes ``--db PATH`` (else ``$ARSHIF_DB``, else ``./arshif.db``). ``--json``
prints the engine's results as JSON; ``-`` as the query reads one query per line from standard
input and prints one JSON object per line. Errors print one sentence on standard error and exit 1.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import re
import shutil
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import click
from arshif.index import qa as qa_engine
from arshif.index import search as search_engine
from arshif.index import store
from arshif.index.errors import ArchiveError
from arshif.index.ingest import IngestInterrupted, count_inputs, ingest_paths

log = logging.getLogger(__name__)

DEFAULT_DB = "arshif.db"
# Upper bounds of numeric options: SQLite integers are 64-bit, and larger values end in an
# OverflowError deep inside the engine instead of a clear message.
MAX_ID = 2**63 - 1
MAX_OFFSET = 1_000_000_000
MAX_INTERVAL = 7 * 24 * 3600.0  # a week; threading's wait() refuses much larger timeouts
PROGRESS_INTERVAL = 5.0  # seconds between ingest progress lines when standard error is not a terminal
FAILURES_SHOWN = 5  # failures listed after an ingest; --failures FILE has them all


def _default_db() -> str:
    return os.environ.get("ARSHIF_DB") or DEFAULT_DB


def db_option(func: Callable) -> Callable:
    """Add the ``--db`` option every command shares."""
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False), default=_default_db,
        show_default="$ARSHIF_DB or ./arshif.db",
        help="The archive database file.",
    )(func)


def json_option(help_text: str) -> Callable:
    """Add the ``--json`` flag (machine-readable output, DESIGN §7) every command spells the same."""
    return click.option("--json", "as_json", is_flag=True, help=help_text)


def friendly_errors(func: Callable) -> Callable:
    """Turn engine and OS errors into one sentence on standard error and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from exc
        except BrokenPipeError:
            raise  # the reader went away (`| head`): click ends quietly
        except OSError as exc:
            raise click.ClickException(f"{exc.strerror or exc}: {exc.filename or ''}".strip(": ")) from exc
        except sqlite3.DatabaseError as exc:
            raise click.ClickException(describe_db_error(exc)) from exc

    return wrapper


def describe_db_error(exc: Exception) -> str:
    """Return one sentence naming SQLite's real complaint and the operator's next step."""
    text = str(exc)
    if "disk is full" in text or "disk I/O error" in text:
        return (f"The disk is full or failing ({text}); free some space and run the command again: "
                "what was written before is kept.")
    if "readonly" in text or "read-only" in text:
        return (f"The archive cannot be written ({text}); give this user write access to the database "
                "file and its folder, or use a command that only reads.")
    if "unable to open" in text:  # e.g. a read-only folder: no room for the -wal and -shm files
        return (f"The archive cannot be opened ({text}); check that this user can read and write the database "
                "file and its folder (SQLite keeps its -wal and -shm files there).")
    return f"The database cannot be used: {text}."


def open_db(db_path: str, *, readonly: bool = False, must_exist: bool = False):
    """Open the archive: ``readonly`` for commands that only read (nothing is created or written),
    ``must_exist`` for writing commands that are pointless on an empty archive; otherwise the
    database is created on first use.
    """
    parent = Path(db_path).expanduser().resolve().parent
    if not parent.is_dir():
        raise click.ClickException(f"The folder {parent} does not exist; create it or choose another --db.")
    if readonly:
        return store.connect_readonly(db_path)
    if must_exist and not Path(db_path).expanduser().exists():
        raise click.ClickException(store.missing_archive_message(db_path))
    return store.connect(db_path)


def _engine_settings():
    """Return the settings engine commands obey (what may be fetched, what an ingest may expand to);
    a value that does not parse stops the command with its message, as for `serve`."""
    from arshif.bot.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _queries(query: str) -> Iterator[str]:
    if query == "-":
        for line in sys.stdin:
            line = line.rstrip("\n")
            if line.strip():
                yield line
    else:
        yield query


def _highlight(text: str, spans: tuple[tuple[int, int], ...] | list, color: bool) -> str:
    """Return text with the spans in bold on a terminal; plain text otherwise (pipes, files)."""
    out, last = [], 0
    for s, e in sorted(spans):
        if s < last:
            continue
        out.append(text[last:s])
        out.append(click.style(text[s:e], bold=True, fg="yellow") if color else text[s:e])
        last = e
    out.append(text[last:])
    return "".join(out)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="arshif")
@click.option("-v", "--verbose", is_flag=True, help="Log what the engine does (to standard error).")
def main(verbose: bool) -> None:
    """arshif (أرشيف): ask questions of an archive of Arabic and English news articles.

    Start with `arshif demo`, then `arshif ingest FOLDER`, `arshif search WORDS`,
    `arshif ask QUESTION`, or `arshif serve` for the Telegram bot.
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


# --- ingest -------------------------------------------------------------------------------------


class IngestProgress:
    """Shows on standard error how far `arshif ingest` is against the total counted up front.

    On a terminal one status line is redrawn (at most five times a second). Elsewhere (a pipe, a
    log file, journald) a whole line is written every ``interval`` seconds, so a long run is seen
    moving without flooding the log; a run shorter than that prints nothing here.
    """

    def __init__(self, files_total: int, bytes_total: int, *, stream: TextIO, tty: bool,
                 interval: float = PROGRESS_INTERVAL, clock: Callable[[], float] = time.monotonic) -> None:
        self.files_total, self.bytes_total = files_total, bytes_total
        self.files = self.bytes = self.records = 0
        self.stream, self.tty, self.clock = stream, tty, clock
        self.interval = 0.2 if tty else interval
        self.started = self.last = clock()
        self.drawn = False

    def record(self, n: int = 1) -> None:
        """Count records read (articles and failures alike)."""
        self.records += n
        self._tick()

    def file_done(self, path: str, size: int) -> None:
        """Count a file read to its end."""
        self.files += 1
        self.bytes += size
        self._tick()

    def line(self) -> str:
        """Return the status: files and megabytes of the total, records, rates and the time left."""
        elapsed = max(self.clock() - self.started, 1e-6)
        rate = self.bytes / elapsed
        share = self.bytes / self.bytes_total if self.bytes_total else self.files / max(self.files_total, 1)
        eta = (self.bytes_total - self.bytes) / rate if rate > 0 else None
        # Most telling first: a narrow terminal cuts the end of the line.
        return (f"ingest: {self.files:,}/{self.files_total:,} files, {self.bytes / 1e6:,.1f}/"
                f"{self.bytes_total / 1e6:,.1f} MB ({share:.0%}), ETA {_duration(eta)}, {rate / 1e6:.2f} MB/s, "
                f"{self.records:,} records ({self.records / elapsed:,.0f}/s)")

    def _tick(self) -> None:
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            self.show()

    def show(self) -> None:
        """Write the status now: redrawn in place on a terminal, a new line elsewhere."""
        if self.tty:
            width = shutil.get_terminal_size().columns - 1
            self.stream.write("\r\x1b[K" + self.line()[:width])
            self.drawn = True
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """Clear the terminal status line so the summary starts on a clean line."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def failure_kind(reason: str) -> str:
    """Return a failure reason without its particulars (line, size, parser message), for counting."""
    return re.split(r"\s*[:;(]|\s+at line\b", reason, maxsplit=1)[0].strip() or reason


def render_ingest_summary(summary, *, shown: int = FAILURES_SHOWN, failures_file: str | None = None) -> str:
    """Return the text summary: counts, failures counted by reason, the first few of them."""
    lines = [f"added {summary.added}, duplicates {summary.duplicates}, failed {len(summary.failed)} "
             f"in {summary.seconds:.1f}s"]
    if not summary.failed:
        return "\n".join(lines)
    kinds = Counter(failure_kind(f.reason) for f in summary.failed)
    lines.append("failures by reason:")
    lines += [f"  {n:>7,}  {kind}" for kind, n in kinds.most_common()]
    lines += [f"  failed: {f.path}: {f.reason}" for f in summary.failed[:shown]]
    if failures_file:
        lines.append(f"all {len(summary.failed):,} failures written to {failures_file}")
    elif len(summary.failed) > shown:
        lines.append(f"  … and {len(summary.failed) - shown:,} more; --failures FILE writes them all")
    return "\n".join(lines)


def write_failures(path: str, failures: list) -> None:
    """Write every failure as one tab-separated line: path, reason (easy to grep, sort and count)."""
    with open(path, "w", encoding="utf-8") as out:
        for f in failures:
            out.write(f"{f.path}\t{f.reason}\n")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@db_option
@json_option("Print the summary as JSON.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Analysis processes (default: all cores).")
@click.option("--failures", "failures_file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write every failure to this file (path TAB reason, one a line).")
@friendly_errors
def ingest(paths: tuple[str, ...], db_path: str, as_json: bool, workers: int | None,
           failures_file: str | None) -> None:
    """Add articles from files and folders (.txt .md .html .json .jsonl .zip).

    Re-ingesting is safe: articles already stored (same link or same text) are counted as
    duplicates. Unreadable inputs are counted by reason, the first few listed (--failures FILE
    for all). Progress goes to standard error. Ctrl-C stops within seconds, keeps what was
    stored and exits 130; the same command run again finishes the job.
    """
    conn = open_db(db_path)
    files_total, bytes_total = count_inputs(paths)
    progress = IngestProgress(files_total, bytes_total, stream=sys.stderr, tty=sys.stderr.isatty())
    interrupted = False
    try:
        summary = ingest_paths(conn, paths, workers=workers, progress=progress.record,
                               file_done=progress.file_done, limits=_engine_settings().ingest_limits())
    except IngestInterrupted as exc:
        summary, interrupted = exc.summary, True
    finally:
        progress.finish()
    if failures_file:
        write_failures(failures_file, summary.failed)
    if as_json:
        kinds = Counter(failure_kind(f.reason) for f in summary.failed)
        click.echo(_dump({**summary.as_dict(), "failed_by_reason": dict(kinds.most_common()),
                          "interrupted": interrupted}))
    else:
        click.echo(render_ingest_summary(summary, failures_file=failures_file))
    if interrupted:
        click.echo(f"Interrupted after {progress.files:,} of {files_total:,} files ({progress.records:,} records "
                   f"read): the {summary.added:,} articles added are kept; run the same command again to "
                   "finish (what is stored already counts as duplicates).", err=True)
        raise SystemExit(130)


# --- search -------------------------------------------------------------------------------------


def _hit_dict(hit) -> dict:
    return {
        "article_id": hit.article_id, "title": hit.title, "url": hit.url, "published": hit.published,
        "source": hit.source, "score": hit.score, "excerpt": hit.excerpt,
        "highlights": [list(h) for h in hit.highlights],
    }


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("query")
@db_option
@json_option("Print results as JSON (one object per query).")
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--offset", type=click.IntRange(0, MAX_OFFSET), default=0, help="Skip this many results.")
@click.option("--since", help="Only articles published on or after this date (2021, 2021-07, 2021-07-01).")
@click.option("--until", help="Only articles published on or before this date.")
@click.option("--source", "sources", multiple=True, help="Only articles from this source (repeatable).")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
@click.option("--sql", "show_sql", is_flag=True, help="Print the generated SQL and FTS5 expression instead.")
@friendly_errors
def search(query: str, db_path: str, as_json: bool, limit: int, offset: int, since: str | None,
           until: str | None, sources: tuple[str, ...], sort: str, show_sql: bool) -> None:
    """Find articles by their words: words, "exact phrase", -excluded, since:, until:, source:.

    QUERY "-" reads one query per line from standard input (with --json, one JSON line each).
    """
    conn = open_db(db_path, readonly=True)
    extra = []
    if since:
        extra.append(f"since:{since}")
    if until:
        extra.append(f"until:{until}")
    extra.extend(f"source:{s}" for s in sources)
    color = sys.stdout.isatty()
    for q in _queries(query):
        full = " ".join([q, *extra])
        if show_sql:
            parsed = search_engine.parse_query(full)
            click.echo(store.search_sql(parsed.filters, by_date=sort == "date"))
            click.echo(f"-- :match = {search_engine.build_match(parsed)}")
            continue
        try:
            result = search_engine.run(conn, full, limit=limit, offset=offset, by_date=sort == "date")
        except ArchiveError as exc:
            if query == "-" and as_json:
                click.echo(_dump({"query": q, "error": str(exc)}))
                continue
            raise
        if as_json:
            click.echo(_dump({
                "query": q, "total": result.total, "suggestion": result.suggestion,
                "results": [_hit_dict(h) for h in result.results],
            }))
            continue
        click.echo(f"{result.total} article(s) match «{q}»")
        if result.suggestion:
            click.echo(f"did you mean: {result.suggestion}")
        for i, hit in enumerate(result.results, offset + 1):
            meta = " · ".join(x for x in (hit.published, hit.source) if x)
            click.echo(f"\n{i}. [{hit.article_id}] {hit.title}" + (f"  ({meta})" if meta else ""))
            click.echo("   " + _highlight(hit.excerpt, hit.highlights, color))
            if hit.url:
                click.echo(f"   {hit.url}")


# --- ask ------------------------------------------------------------------------------------------


def render_answer_text(ans: qa_engine.Answer, color: bool) -> str:
    """Return the terminal form of an answer, as the bot and `arshif chat` show it."""
    from arshif.bot.core import answer_reply
    from arshif.bot.render import render_plain
    from arshif.bot.texts import language_for

    lang = language_for(None, ans.question)
    return render_plain(answer_reply(ans, lang), color=color)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("question")
@db_option
@json_option("Print the answer as JSON (one object per question).")
@click.option("--article", "article_ids", type=click.IntRange(1, MAX_ID), multiple=True,
              help="Answer only from these article ids.")
@friendly_errors
def ask(question: str, db_path: str, as_json: bool, article_ids: tuple[int, ...]) -> None:
    """Answer a question from the archive: facts, the excerpt that proves them, the source.

    QUESTION "-" reads one question per line from standard input.
    """
    conn = open_db(db_path, readonly=True)
    color = sys.stdout.isatty()
    for q in _queries(question):
        ans = qa_engine.answer_question(conn, q, article_ids=list(article_ids) or None)
        if as_json:
            click.echo(_dump(ans.as_dict()))
        else:
            click.echo(render_answer_text(ans, color))


# --- eval -----------------------------------------------------------------------------------------


@main.command("eval")
@click.argument("dataset", type=click.Path(exists=True, dir_okay=False))
@json_option("Print the figures as JSON.")
@click.option("--limit", type=click.IntRange(1, MAX_ID), default=None, help="Ask only the first N questions.")
@click.option("--no-answers", is_flag=True, help="Measure retrieval only.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
              help="The archive news-qa (JSONL) questions are asked over [default: $ARSHIF_DB or ./arshif.db].")
@friendly_errors
def eval_command(dataset: str, as_json: bool, limit: int | None, no_answers: bool, db_path: str | None) -> None:
    """Measure answers: a SQuAD-format file (indexed in a temporary database) or news-qa JSONL
    questions (asked over the archive at --db)."""
    from arshif.index.evaluation import evaluate, evaluate_news, is_news_file

    if is_news_file(dataset):
        conn = store.connect(db_path or _default_db(), readonly=True)
        news = evaluate_news(dataset, conn, limit=limit)
        click.echo(_dump(news.as_dict()) if as_json else render_news_report(news))
        return
    report = evaluate(dataset, answers=not no_answers, limit=limit)
    if as_json:
        click.echo(_dump(report.as_dict()))
        return
    click.echo(f"{report.dataset}: {report.paragraphs} paragraphs, {report.questions} questions "
               f"(indexed in {report.ingest_seconds:.1f}s, {report.ms_per_question:.1f} ms/question)")
    click.echo(f"recall@1 {report.recall_at_1:.3f}   recall@5 {report.recall_at_5:.3f}")
    if report.by_type:
        cols = ["questions", "recall_at_1", "excerpt_has_answer", "exact_match", "f1", "answered", "shown_f1"]
        click.echo("\n" + f"{'type':<8}" + "".join(f"{c:>20}" for c in cols))
        for t, m in [*report.by_type.items(), ("all", {"questions": report.questions, **report.overall})]:
            click.echo(f"{t:<8}" + "".join(
                f"{m.get(c, float('nan')):>20.0f}" if c == "questions" else f"{m.get(c, float('nan')):>20.3f}"
                for c in cols))


def render_news_report(report) -> str:
    """Return the news-qa figures as text: overall, per type, follow-ups and the reliability table."""
    cols = ["questions", "source_at_1", "answer_hit", "precision", "coverage", "wrong_shown", "reader_hit"]
    lines = [f"{report.dataset}: {report.questions} questions ({report.ms_per_question:.0f} ms/exchange)",
             f"{'type':<10}" + "".join(f"{c:>13}" for c in cols)]
    rows = [*report.by_type.items(), ("all", report.overall)]
    if report.followups:
        rows.append(("follow-up", report.followups))
    for name, m in rows:
        lines.append(f"{name:<10}" + "".join(
            f"{m.get(c, float('nan')):>13.{0 if c in ('questions', 'wrong_shown') else 3}f}" for c in cols))
    lines += ["", "reliability (every reply's confidence vs. its best guess right):",
              f"{'confidence':<12}{'replies':>9}{'mean conf':>11}{'right':>8}{'shown':>7}"]
    for b in report.reliability:
        lines.append(f"{b['lo']:.1f}-{b['hi']:.1f}{'':<5}{b['n']:>9.0f}{b['mean_confidence']:>11.3f}{b['right']:>8.3f}"
                     f"{b['shown']:>7.0f}")
    return "\n".join(lines)


# --- demo -----------------------------------------------------------------------------------------

DEMO_SEARCHES = ["اتفاقية", "الربط الكهربائي", '"مليون دولار" -يورو', "energy minister"]
DEMO_QUESTIONS = ["من وقع اتفاقية الربط الكهربائي؟", "متى بدأت المفاوضات؟", "كم قيمة المنحة الأوروبية؟",
                  "How big is the AI fund?"]


def sample_archive() -> Path:
    """Return the folder of the bundled (fictional) sample articles."""
    return Path(str(resources.files("arshif.index") / "samples"))


@main.command()
@db_option
@click.option("--fresh/--keep", default=True, show_default=True, help="Start from an empty database.")
@friendly_errors
def demo(db_path: str, fresh: bool) -> None:
    """Build a database from the bundled sample archive and show searches and answers."""
    path = Path(db_path)
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = open_db(db_path)
    summary = ingest_paths(conn, [sample_archive()], workers=1)
    click.echo(f"arshif demo: {summary.added} sample articles ingested into {path} "
               f"({summary.duplicates} already there). The samples are fictional.\n")
    color = sys.stdout.isatty()
    for q in DEMO_SEARCHES:
        result = search_engine.run(conn, q, limit=2)
        click.echo(click.style(f"$ arshif search '{q}'", fg="cyan") if color else f"$ arshif search '{q}'")
        click.echo(f"{result.total} article(s)")
        for hit in result.results:
            click.echo(f"  [{hit.article_id}] {hit.title} ({hit.published})")
            click.echo("    " + _highlight(hit.excerpt, hit.highlights, color))
        click.echo("")
    for q in DEMO_QUESTIONS:
        click.echo(click.style(f"$ arshif ask '{q}'", fg="cyan") if color else f"$ arshif ask '{q}'")
        click.echo(render_answer_text(qa_engine.answer_question(conn, q), color))
        click.echo("")
    click.echo(f"Try: arshif search WORDS --db {path}   ·   arshif ask QUESTION --db {path}")


# --- feeds ----------------------------------------------------------------------------------------


def _feed_interval() -> float:
    """Return $ARSHIF_FEED_INTERVAL, or 600 when unset or 0 (0 only turns off the bot's own polling)."""
    try:
        value = float(os.environ.get("ARSHIF_FEED_INTERVAL") or 0)
    except ValueError:
        value = 0.0
    return value if value > 0 else 600.0


def _a_number(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """Refuse NaN, which every range check lets through (and which made --loop spin without pause)."""
    if value is not None and math.isnan(value):
        raise click.BadParameter(f"{value} is not a number.")
    return value


def render_poll_line(result) -> str:
    """Return the one line `arshif feeds poll` prints for a feed."""
    head = f"[{result.feed_id}] {result.title or result.url}: "
    if result.status == "error":
        return head + f"error: {result.error}"
    if result.status == "not-modified":
        return head + "not modified"
    line = head + f"{result.new_entries} new, {result.added} added, {result.duplicates} duplicates"
    return line + (f", {len(result.failed)} not articles" if result.failed else "")


@main.group()
def feeds() -> None:
    """Follow RSS and Atom feeds: new entries become articles (feeds add / list / remove / poll)."""


@feeds.command("add")
@click.argument("url")
@db_option
@friendly_errors
def feeds_add(url: str, db_path: str) -> None:
    """Store a feed URL (http or https) and poll it once, printing what it found."""
    from arshif.index import feeds as feeds_engine

    conn = open_db(db_path)
    feed = feeds_engine.add_feed(conn, url)
    click.echo(f"feed {feed.id}: {feed.url}")
    result = feeds_engine.poll_all(conn, feeds=[feed], allow_private=_engine_settings().allow_private_urls)[0]
    click.echo(render_poll_line(result))
    if result.status == "error":
        click.echo(f"The feed is kept and polled again next time; `arshif feeds remove {feed.id}` drops it.")


@feeds.command("list")
@db_option
@json_option("Print the feeds as JSON.")
@friendly_errors
def feeds_list(db_path: str, as_json: bool) -> None:
    """List the feeds with their health: last success, failures in a row, last error."""
    from arshif.index import feeds as feeds_engine

    found = feeds_engine.list_feeds(open_db(db_path, readonly=True))
    if as_json:
        click.echo(_dump({"feeds": [f.as_dict() for f in found]}))
        return
    if not found:
        click.echo("No feeds yet; add one with `arshif feeds add URL`.")
        return
    for f in found:
        click.echo(f"[{f.id}] {f.title or '-'}  {f.url}")
        health = f"    {f.entries} entries, last ok {f.last_ok or 'never'}"
        if f.failures:
            health += f", {f.failures} failure(s) in a row: {f.last_error}"
        click.echo(health)


@feeds.command("remove")
@click.argument("feed")
@db_option
@friendly_errors
def feeds_remove(feed: str, db_path: str) -> None:
    """Stop following a feed (by id or URL); the articles it brought stay in the archive."""
    from arshif.index import feeds as feeds_engine

    gone = feeds_engine.remove_feed(open_db(db_path, must_exist=True), feed)
    click.echo(f"removed feed {gone.id}: {gone.url}")


@feeds.command("poll")
@db_option
@click.option("--loop", is_flag=True, help="Poll forever, every --interval seconds, until SIGINT/SIGTERM.")
@click.option("--interval", type=click.FloatRange(1, MAX_INTERVAL), default=_feed_interval, callback=_a_number,
              show_default="$ARSHIF_FEED_INTERVAL or 600", help="Seconds between polls with --loop.")
@json_option("Print one JSON object per feed and poll.")
@friendly_errors
def feeds_poll(db_path: str, loop: bool, interval: float, as_json: bool) -> None:
    """Fetch every feed once and ingest the new entries; prints a line per feed.

    A failing feed is reported (and recorded for `feeds list`) without stopping the others; the
    exit status is 0 either way. With --loop, the first SIGINT/SIGTERM ends the loop after the feed
    being polled; a second one quits at once.
    """
    import signal
    import threading

    from arshif.index import feeds as feeds_engine

    conn = open_db(db_path, must_exist=True)
    allow_private = _engine_settings().allow_private_urls
    stop = threading.Event()

    def poll_once() -> None:
        results = feeds_engine.poll_all(conn, stop=stop, allow_private=allow_private)
        if not results and not stop.is_set() and not as_json:
            click.echo("No feeds yet; add one with `arshif feeds add URL`.")
        for result in results:
            click.echo(_dump(result.as_dict()) if as_json else render_poll_line(result))

    if not loop:
        poll_once()
        return

    def on_signal(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        log.warning("signal %s: stopping after the current feed", signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.is_set():
            poll_once()
            stop.wait(interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- bot ----------------------------------------------------------------------------------------

NO_TOKEN = "No bot token: create a bot with @BotFather (/newbot) and set TELEGRAM_BOT_TOKEN=<token>."


@main.command()
@db_option
@click.option("--webhook-url", default=None, help="Receive updates by webhook at this https URL (default: polling).")
@click.option("--listen", default=None, help="Address the webhook server listens on (default 0.0.0.0).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port of the webhook server (default 8443).")
def serve(db_path: str, webhook_url: str | None, listen: str | None, port: int | None) -> None:
    """Run the Telegram bot until SIGINT/SIGTERM (long polling unless a webhook URL is set).

    The token comes from TELEGRAM_BOT_TOKEN (or the ARSHIF_CONFIG file); access from ARSHIF_ADMINS,
    ARSHIF_ALLOWED_USERS, ARSHIF_ALLOWED_CHATS and ARSHIF_OPEN.
    """
    from arshif.bot.config import ConfigError, load_settings, require_valid
    from arshif.bot.logs import configure_logging

    try:
        settings = load_settings().with_db(db_path).with_overrides(webhook_url=webhook_url, listen=listen, port=port)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from exc
    if not settings.token:
        click.echo(NO_TOKEN, err=True)
        raise SystemExit(1)
    root = logging.getLogger()
    for handler in list(root.handlers):  # main() set up plain logging; the bot logs its own way
        root.removeHandler(handler)
    # The token and secrets themselves, not only their usual shapes: a local Bot API server takes
    # tokens of any shape, and a secret may be pasted into the wrong setting.
    configure_logging(settings.log_format, settings.log_level, secrets=settings.secrets)
    try:
        require_valid(settings)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from exc
    open_db(db_path).close()  # create or migrate the database before the first update arrives
    from arshif.bot.telegram_app import run

    run(settings, db_path)


@main.command()
@db_option
@click.option("--lang", type=click.Choice(["ar", "en"]), default=None,
              help="Reply language (default: Arabic, English for Latin-only text).")
def chat(db_path: str, lang: str | None) -> None:
    """Chat with the archive in the terminal, as the Telegram bot answers (no token needed).

    Every command of the bot works here, the admins' ones too (you are the operator). Type a
    question or words; type a button's code (b1, b2, ...) to press it; /upload FILE sends a file
    as a document sent to the bot would be; /quit to leave.
    """
    from arshif.bot import render
    from arshif.bot.config import ConfigError, Settings, load_settings
    from arshif.bot.core import Conversation, Who
    from arshif.bot.texts import t

    try:
        settings = load_settings().with_db(db_path)
    except ConfigError:
        settings = Settings().with_db(db_path)
    open_db(db_path, must_exist=True).close()
    conv = Conversation(db_path, settings)
    who = Who(user_id=0, chat_id=0, language_code=lang, local=True)
    color = sys.stdout.isatty()
    click.echo(t("chat_intro", lang or "ar"))
    buttons: dict[str, Any] = {}
    keyboard: tuple[tuple[str, ...], ...] = ()  # the callback data of the buttons on screen
    try:
        while True:
            try:
                line = input("> ").strip()
            except (EOFError, KeyboardInterrupt):
                click.echo("")
                break
            if not line:
                continue
            if line.lower() in ("/quit", "/exit", "/q"):
                break
            pressed = buttons.get(line.lower())
            if pressed is not None:
                reply = conv.callback(who, pressed.data, keyboard)
            elif line.startswith("/upload "):
                path = Path(line.split(maxsplit=1)[1]).expanduser()
                try:
                    reply = conv.upload(who, path.name, path.read_bytes())
                except OSError as exc:
                    click.echo(f"{path}: {exc.strerror or exc}\n")
                    continue
            else:
                reply = conv.handle(who, line)
            click.echo(render.render_plain(reply, color=color))
            if reply.kind == "toast" and not reply.buttons:
                click.echo("")
                continue  # a button's confirmation: the buttons on screen still work
            codes = render.buttons_plain(reply.buttons)
            buttons = dict(codes)
            keyboard = tuple(tuple(b.data for b in row) for row in reply.buttons)
            if codes:
                click.echo(t("chat_buttons", reply.lang) + "  " + "  ".join(f"[{c}] {b.label}" for c, b in codes))
            click.echo("")
    finally:
        conv.close()


# --- operations -----------------------------------------------------------------------------------


@main.group()
def config() -> None:
    """Inspect the configuration (environment variables and the optional TOML file)."""


@config.command("check")
@db_option
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="A TOML file (default: $ARSHIF_CONFIG).")
def config_check(db_path: str, config_path: str | None) -> None:
    """Print the effective settings (token masked) and what is wrong, with the fix."""
    from arshif.bot.config import ConfigError, check_settings, load_settings, render_check

    try:
        settings = load_settings(config_path=config_path)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from exc
    if click.get_current_context().get_parameter_source("db_path") == click.core.ParameterSource.COMMANDLINE:
        settings = settings.with_db(db_path)
    problems = check_settings(settings)
    click.echo(render_check(settings, problems))
    if any(p.level == "error" for p in problems):
        raise SystemExit(1)


@main.command()
@db_option
@friendly_errors
def health(db_path: str) -> None:
    """Exit 0 when the database opens, its schema is current, it passes a quick check and it can be written.

    A missing archive, or one that can be read but not written (read-only file, folder or mount:
    the bot and `arshif ingest` would fail), exits 1 with the reason; nothing is created.
    In webhook mode (ARSHIF_WEBHOOK_URL set) the bot's /healthz endpoint must answer too.
    """
    from arshif.bot.config import ConfigError, load_settings

    conn = open_db(db_path, readonly=True)
    if store.schema_version(conn) != store.SCHEMA_VERSION or not store.integrity_ok(conn):
        raise click.ClickException("The database failed its check; restore the last backup.")
    conn.close()
    problem = store.write_problem(db_path)
    if problem:
        raise click.ClickException(
            f"The archive at {db_path} can be read but not written ({problem}): the bot and `arshif ingest` "
            "will fail; give this user write access to the database file and its folder.")
    try:
        settings = load_settings()  # the same environment and ARSHIF_CONFIG file as `serve`
    except ConfigError as exc:
        raise click.ClickException(f"The configuration has errors; run `arshif config check`. "
                                   f"{exc.problems[0].describe()}") from exc
    if settings.webhook_mode:
        import httpx

        # The server listens on ARSHIF_LISTEN; a wildcard address is reached through loopback.
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(settings.listen, settings.listen)
        host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        url = f"http://{host}:{settings.port}{settings.health_path}"
        try:
            response = httpx.get(url, timeout=5)
        except httpx.HTTPError as exc:
            raise click.ClickException(f"The bot's health endpoint {url} did not answer ({exc}).") from exc
        if response.status_code != 200:
            raise click.ClickException(f"The bot's health endpoint {url} answered {response.status_code}: "
                                       f"{response.text.strip()[:200]}")
    click.echo("ok")


@main.command()
@click.argument("dest", type=click.Path(dir_okay=False))
@db_option
@friendly_errors
def backup(dest: str, db_path: str) -> None:
    """Copy the database to DEST while the bot runs (SQLite online backup).

    The copy is written to a temporary file beside DEST and renamed when complete and checked,
    so a full disk leaves no partial backup. Restore: stop the bot, copy DEST over the database
    file, delete its -wal and -shm files, start the bot.
    """
    target = Path(dest)
    if target.exists():
        raise click.ClickException(f"{target} exists already; choose a new file name.")
    if not target.resolve().parent.is_dir():
        raise click.ClickException(f"The folder {target.resolve().parent} does not exist; create it first.")
    conn = open_db(db_path, readonly=True)
    try:
        store.backup(conn, target)
    except FileExistsError as exc:
        raise click.ClickException(f"{target} exists already; choose a new file name.") from exc
    check = store.connect_readonly(target, migrate_schema=False)
    n = store.count_articles(check)
    check.close()
    click.echo(f"backup written to {target}: {n} articles, {target.stat().st_size:,} bytes")


@main.command()
@db_option
@json_option("Print the figures as JSON.")
@friendly_errors
def stats(db_path: str, as_json: bool) -> None:
    """Print archive figures: articles, sources, feeds and their health, subscriptions, size."""
    figures = store.stats(open_db(db_path, readonly=True))
    if as_json:
        click.echo(_dump(figures))
        return
    for key, value in figures.items():
        if key == "sources":
            value = ", ".join(f"{s['source']} ({s['articles']})" for s in value) or "-"
        click.echo(f"{key:<22} {value}")


# --- coverage charts, people, answer feedback (issue 13) ------------------------------------------


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("query")
@db_option
@json_option("Print the counts as JSON.")
@click.option("--png", "png", type=click.Path(dir_okay=False), default=None, help="Write the chart to this PNG file.")
@click.option("--by-source", is_flag=True, help="One line per source (the biggest five, the rest together).")
@click.option("--bucket", type=click.Choice(["day", "week", "month"]), default=None,
              help="Count per day, week or month (default: chosen from the span).")
@friendly_errors
def trend(query: str, db_path: str, as_json: bool, png: str | None, by_source: bool, bucket: str | None) -> None:
    """Count the articles matching QUERY per day, week or month; --png draws the chart."""
    from arshif.bot import charts
    from arshif.bot.texts import language_for, t
    from arshif.index import trend as trend_engine

    result = trend_engine.count_trend(open_db(db_path, readonly=True), query, by_source=by_source, bucket=bucket)
    lang = language_for(None, query)
    if png and result.points:
        Path(png).write_bytes(charts.render_trend(result, lang))
    if as_json:
        click.echo(_dump(result.as_dict() | {"png": png if png and result.points else None}))
        return
    if result.total == 0:
        click.echo(t("trend_empty", lang, query=query))
        return
    click.echo(charts.caption(result, lang))
    for day, n in result.points:
        click.echo(f"{day.isoformat()}  {n:>6}")
    if png and not result.points:
        click.echo("no dated articles: no chart written", err=True)
    elif png:
        click.echo(f"chart written to {png}")


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("name")
@db_option
@json_option("Print the profile (or the candidates) as JSON.")
@friendly_errors
def who(name: str, db_path: str, as_json: bool) -> None:
    """Profile a person from the facts in the archive: roles and when, organisations, places, articles."""
    from arshif.index import people

    conn = open_db(db_path, readonly=True)
    found = people.lookup(conn, name)
    if as_json:
        click.echo(_dump({
            "name": name,
            "profile": found.profile.as_dict() if found.profile else None,
            "candidates": [{"key": c.key, "name": c.name, "mentions": c.mentions, "role": c.role}
                           for c in found.candidates],
        }))
        return
    if found.profile is None and not found.candidates:
        click.echo(f"nobody called {name} in the archive")
        return
    if found.profile is None:
        click.echo(f"{name} may mean:")
        for c in found.candidates:
            click.echo(f"  {c.name} ({c.mentions} mentions{', ' + c.role if c.role else ''})")
        return
    p = found.profile
    click.echo(f"{p.name}: {p.articles} articles, {p.first} – {p.last}")
    for r in p.roles:
        click.echo(f"  role: {r.role} ({r.first} – {r.last}, {r.mentions}x)")
    for label, pairs in (("organisations", p.orgs), ("places", p.places), ("people", p.people)):
        if pairs:
            click.echo(f"  {label}: " + ", ".join(f"{n} ({c})" for n, c in pairs))
    for art in store.get_articles(conn, p.latest).values():
        click.echo(f"  [{art.id}] {art.published or '-'} {art.title}")


@main.command()
@db_option
@json_option("Print the ratings as JSON (one object).")
@click.option("--since", help="Only ratings given or changed on or after this date (2026-11-01).")
@click.option("--format", "fmt", type=click.Choice(["text", "news-qa"]), default="text", show_default=True,
              help="news-qa: the 👎 answers as news-qa JSONL records, gold left empty to fill in.")
@friendly_errors
def feedback(db_path: str, as_json: bool, since: str | None, fmt: str) -> None:
    """List the 👍/👎 ratings of the bot's answers, with the question, answer and sources."""
    from arshif.index import feedback as feedback_engine
    from arshif.index.dates import parse_date_bound

    if since:
        try:
            since = parse_date_bound(since, end=False).isoformat()
        except ValueError as exc:
            raise click.BadParameter(f"{since!r} is not a date; write 2026, 2026-11 or 2026-11-01.",
                                     param_hint="--since") from exc
    ratings = feedback_engine.list_feedback(open_db(db_path, readonly=True), since=since)
    if fmt == "news-qa":
        for record in feedback_engine.as_news_qa(ratings):
            click.echo(_dump(record))
        return
    if as_json:
        down = sum(r.rating == feedback_engine.DOWN for r in ratings)
        click.echo(_dump({"since": since, "total": len(ratings), "up": len(ratings) - down, "down": down,
                          "ratings": [r.as_dict() for r in ratings]}))
        return
    if not ratings:
        click.echo("no ratings yet" + (f" since {since}" if since else ""))
        return
    for r in ratings:
        mark = "👍" if r.rating == feedback_engine.UP else "👎"
        source = r.sources[0].get("url") or r.sources[0].get("title") if r.sources else "-"
        click.echo(f"{mark} {r.rated_at} user {r.user_id}: {r.question}")
        click.echo(f"   answer: {r.answer or '(none shown)'} · source: {source}")

def entry() -> None:
    """Run the CLI; a closed pipe (``arshif demo | head``) ends it quietly instead of with an error."""
    try:
        main()
    except BrokenPipeError:
        # Point stdout at devnull so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    entry()
