"""Ingest: files, folders and archives in; analysed, de-duplicated articles out, in batches.

The flow is ``iter_records`` (read and parse inputs; failures are reported, never raised) →
``prepare`` (analysis, passages and facts; CPU-bound, run on every core in worker processes)
→ ``store.insert_articles`` (one transaction per batch, in the main process). The reader streams:
one file, or one zip member, is in memory at a time, and at most two batches are in flight.

A bad input costs only itself: a file, zip member or JSON record that cannot be read becomes an
``IngestFailure`` (with its file and line) and the run goes on. ``IngestLimits`` bound what one
input may expand to; a zip is measured while it is decompressed, never by its headers' word alone.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import logging
import multiprocessing
import os
import re
import signal
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from . import store
from .analysis import exact_terms_between, fold, index_texts, is_arabic, normalize, terms_between
from .dates import parse_date
from .errors import IngestError
from .facts import extract_facts
from .models import IngestFailure, IngestSummary
from .segments import split_passages, split_sentences

__all__ = ["MAX_FILE_BYTES", "IngestInterrupted", "IngestLimits", "RawArticle", "count_inputs", "ingest_paths",
           "ingest_records", "iter_records", "parse_text"]

log = logging.getLogger(__name__)

MIB = 1024 * 1024
# One file or zip member, uncompressed; larger ones are reported and skipped. Reading one holds it,
# its text and its lines in memory at once (about four times this), so it bounds the peak memory.
MAX_FILE_BYTES = 64 * MIB
MAX_ARCHIVE_BYTES = 1024 * MIB  # everything one zip expands to, nested zips included
MAX_ARCHIVE_FILES = 10_000  # files in one zip, nested zips included
MAX_ARCHIVE_DEPTH = 2  # a zip may hold zips, which may not hold zips
FUTURE_DAYS = 2  # a publication date later than this many days after today is a mistake
_CHUNK = MIB
MAX_BODY_CHARS = 2_000_000  # one article; longer bodies are refused (likely not an article)
BATCH = 256
# Page cache of the writing connection during an ingest (KiB).
INGEST_CACHE_KIB = 256 * 1024
# An ingest adding this many articles merges the search index's segments at the end (searches on
# few segments are several times faster; small ingests leave it to FTS5's automerge).
MERGE_AFTER = 1000
SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".ndjson", ".zip"}

_FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "ext_id": ("id", "guid", "_id"),
    "url": ("url", "link", "href", "permalink"),
    "title": ("title", "headline", "name"),
    "body": ("body", "content", "text", "article", "description", "summary"),
    "published": ("published", "date", "published_at", "publishedAt", "pubDate", "date_published",
                  "date_extracted", "created_at"),
    "source": ("source", "publisher", "site", "feed"),
    "author": ("author", "byline", "authors"),
    "lang": ("lang", "language"),
}


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """What one input may expand to (``ARSHIF_MAX_FILE_MB`` and the ``ARSHIF_MAX_ARCHIVE_*`` settings).

    Checked while reading: a zip member's declared size can lie, and a 300 KB zip can hold a
    300 MB member, so bytes are counted as they come out of the decompressor.
    """

    max_file_bytes: int = MAX_FILE_BYTES  # one file or zip member, uncompressed
    max_archive_bytes: int = MAX_ARCHIVE_BYTES  # one top-level zip, uncompressed, nested zips included
    max_archive_files: int = MAX_ARCHIVE_FILES  # files in one top-level zip, nested zips included
    max_archive_depth: int = MAX_ARCHIVE_DEPTH  # 1: no zip inside a zip


DEFAULT_LIMITS = IngestLimits()


@dataclass(slots=True)
class RawArticle:
    """An article as read from its input, before analysis."""

    title: str
    body: str
    published: str | None = None
    url: str | None = None
    source: str | None = None
    author: str | None = None
    lang: str | None = None
    ext_id: str | None = None
    origin: str | None = None


# --- reading ------------------------------------------------------------------------------------


_NOT_SPACE = re.compile(rb"\S")


def _decode(data: bytes, name: str) -> str:
    if not _NOT_SPACE.search(data):  # not data.strip(): that would copy a large file once more
        raise IngestError("empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise IngestError("binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(f"not UTF-8 text (byte {exc.start})") from exc


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_FRONT_MATTER_OPEN = re.compile(r"\A---[ \t]*\r?\n")
_FM_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
# Page furniture that raw saved pages carry near the top: font-size widgets, share/print links.
# A toolbar may hold several of them on one line («طباعة | مشاركة»).
_WIDGET = re.compile(r"^[\s+\-–—|•·<>]*(?:(?:الخط|حجم الخط|طباعة|مشاركة|شارك|print|share|font)[\s+\-–—|•·<>A]*)*$",
                     re.I)
_HEADER_LINES = 8


def _clean_value(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value


def parse_text(text: str, origin: str | None = None) -> RawArticle:
    """Read a .txt/.md article: front matter if present, else title line, date line, body.

    Without front matter the first non-empty line is the title; a repeat of it, a line that is
    entirely a date (the publication date) and page widgets near the top are dropped from the body.
    """
    meta: dict[str, str] = {}
    m = _FRONT_MATTER.match(text)
    if m:
        for line in m.group(1).splitlines():
            fm = _FM_LINE.match(line.strip())
            if fm:
                meta[fm.group(1).lower()] = _clean_value(fm.group(2))
        text = text[m.end():]
    elif _FRONT_MATTER_OPEN.match(text):
        # Without this the opening line would become the title «---» and the metadata the body.
        raise IngestError("front matter is not closed: the first line is --- but no later line is; "
                          "add a line --- after the title/published lines")
    lines = text.splitlines()
    title = _pick(meta, "title")
    published = _pick(meta, "published")
    body_lines: list[str] = []
    seen_content = 0
    for line in lines:
        stripped = line.strip().lstrip("#").strip()
        in_header = seen_content < _HEADER_LINES and len(body_lines) < _HEADER_LINES
        if not stripped:
            body_lines.append("")
            continue
        if title is None:
            title = stripped
            continue
        if in_header:
            if stripped == title:
                continue
            if published is None and len(stripped) <= 40 and parse_date(stripped):
                published = stripped
                continue
            if len(stripped) <= 20 and _WIDGET.match(stripped):
                continue
        seen_content += 1
        body_lines.append(line.rstrip())
    body = "\n".join(body_lines).strip()
    body = re.sub(r"\n{3,}", "\n\n", body)
    return _record(meta, origin, title=title or "", body=body, published=published)


def _pick(obj: Mapping[str, Any], field: str) -> Any:
    for name in _FIELD_NAMES[field]:
        for key in (name, name.lower()):
            value = obj.get(key)
            if value not in (None, "", []):
                if isinstance(value, list):
                    value = ", ".join(_scalar(v, field) for v in value)
                elif isinstance(value, dict):
                    value = _scalar(value, field)
                return str(value).strip()
    return None


def _scalar(value: Any, field: str) -> str:
    """Return a JSON value as text: a scalar, or an object's name/href/value. Anything nested deeper is
    refused: how deep Python's json and str() may go differs between versions, so a rule does."""
    if isinstance(value, dict):
        value = value.get("name") or value.get("href") or value.get("value")
    if value is None or isinstance(value, list | dict):
        raise IngestError(f"the {field} field holds nested JSON, not text")
    return str(value)


def parse_html(html: str, origin: str | None = None, url: str | None = None) -> RawArticle:
    """Extract an article from an HTML page (main text via trafilatura, metadata from tags)."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                      favor_recall=True)
    data = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else (doc or {})
    body = (data.get("text") or "").strip()
    title = (data.get("title") or "").strip()
    if not body:
        from lxml import html as lxml_html

        tree = lxml_html.fromstring(html)
        for bad in tree.xpath("//script|//style|//nav|//header|//footer"):
            bad.drop_tree()
        paragraphs = [p.text_content().strip() for p in tree.xpath("//p")]
        body = "\n\n".join(p for p in paragraphs if p) or tree.text_content().strip()
        title = title or (tree.findtext(".//title") or "").strip()
    # The page's <h1> repeats the title at the top of the text; as in parse_text, drop the repeat.
    first, _, rest = body.partition("\n")
    if title and first.strip() == title and rest.strip():
        body = rest.strip()
    return RawArticle(
        title=title,
        body=body,
        published=data.get("date"),
        url=url or data.get("url"),
        source=data.get("sitename") or data.get("hostname"),
        author=data.get("author"),
        lang=data.get("language"),
        origin=origin,
    )


def record_from_mapping(obj: Any, origin: str | None = None) -> RawArticle:
    """Read one JSON object by the common field names (DESIGN §7)."""
    if not isinstance(obj, dict):
        raise IngestError(f"expected a JSON object, found {type(obj).__name__}")
    body = _pick(obj, "body")
    if body is None:
        present = any(obj.get(name) is not None for name in _FIELD_NAMES["body"])
        raise IngestError("empty content" if present else "no body/content/text field")
    return _record(obj, origin, title=_pick(obj, "title") or "", body=body, published=_pick(obj, "published"))


def _record(fields: Mapping[str, Any], origin: str | None, *, title: str, body: str,
            published: str | None) -> RawArticle:
    """Return an article whose metadata comes from ``fields`` by the common field names."""
    return RawArticle(title=title, body=body, published=published, url=_pick(fields, "url"),
                      source=_pick(fields, "source"), author=_pick(fields, "author"), lang=_pick(fields, "lang"),
                      ext_id=_pick(fields, "ext_id"), origin=origin)


Item = RawArticle | IngestFailure


class _TooLarge(Exception):
    """A file or zip member came out larger than allowed; ``reason`` says which limit."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class _Budget:
    """What is left of one top-level zip's allowance; nested zips draw on it too."""

    bytes_left: int
    files_left: int
    spent: str | None = None  # why the archive stopped being read, once it has


def _mb(n: int) -> str:
    return f"{n / MIB:,.1f} MB" if n < 10 * MIB else f"{n // MIB:,} MB"


def _file_too_large(limits: IngestLimits, size: int | None = None) -> str:
    found = f"{_mb(size)}" if size is not None else f"more than {_mb(limits.max_file_bytes)}"
    return f"too large ({found} uncompressed; the limit is {_mb(limits.max_file_bytes)} per file, ARSHIF_MAX_FILE_MB)"


def _json_records(text: str, origin: str) -> Iterator[Item]:
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise IngestError("JSON nested too deeply to read") from exc
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items:
        raise IngestError("empty JSON array")
    for i, obj in enumerate(items):
        where = f"{origin}[{i}]" if isinstance(parsed, list) else origin
        try:
            yield record_from_mapping(obj, where)
        except IngestError as exc:
            yield IngestFailure(where, str(exc))
        except RecursionError:
            yield IngestFailure(where, "JSON nested too deeply to read")


def _jsonl_records(text: str, origin: str) -> Iterator[Item]:
    # Split on newlines only: str.splitlines() also splits at U+2028 and U+0085, which JSON strings
    # may hold as they are, and the line numbers would no longer be an editor's.
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{origin}:{lineno}"
        try:
            yield record_from_mapping(json.loads(line), where)
        except json.JSONDecodeError as exc:
            yield IngestFailure(where, f"malformed JSON: {exc.msg}")
        except RecursionError:  # e.g. [[[[…]]]] 100,000 deep: this line alone is lost
            yield IngestFailure(where, "JSON nested too deeply to read")
        except IngestError as exc:
            yield IngestFailure(where, str(exc))


def _records_from_bytes(name: str, data: bytes, origin: str, *, limits: IngestLimits = DEFAULT_LIMITS,
                        budget: _Budget | None = None, depth: int = 0) -> Iterator[Item]:
    suffix = Path(name).suffix.lower()
    try:
        if suffix == ".zip":
            yield from _records_from_zip(data, origin, limits=limits, budget=budget, depth=depth + 1)
            return
        text = _decode(data, name)
        del data  # the bytes are no longer needed while the text is parsed
        if suffix in (".json",):
            yield from _json_records(text, origin)
        elif suffix in (".jsonl", ".ndjson"):
            yield from _jsonl_records(text, origin)
        elif suffix in (".html", ".htm"):
            yield parse_html(text, origin)
        else:
            yield parse_text(text, origin)
    except IngestError as exc:
        yield IngestFailure(origin, str(exc))
    except Exception as exc:  # a parser library choking on hostile input must not stop the run
        log.warning("cannot read %s: %s", origin, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        yield IngestFailure(origin, f"unreadable: {type(exc).__name__}: {exc}")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: IngestLimits, budget: _Budget) -> bytes:
    """Return a member's bytes, counted as they are decompressed; raise _TooLarge past either limit."""
    chunks: list[bytes] = []
    size = 0
    with zf.open(info) as fh:
        while chunk := fh.read(_CHUNK):
            size += len(chunk)
            budget.bytes_left -= len(chunk)
            if size > limits.max_file_bytes:
                raise _TooLarge(_file_too_large(limits))
            if budget.bytes_left < 0:
                budget.spent = (f"the archive expands to more than {_mb(limits.max_archive_bytes)} "
                                f"(ARSHIF_MAX_ARCHIVE_MB)")
                raise _TooLarge(budget.spent)
            chunks.append(chunk)
    return b"".join(chunks)


def _records_from_zip(data: bytes | None, origin: str, path: Path | None = None, *,
                      limits: IngestLimits = DEFAULT_LIMITS, budget: _Budget | None = None,
                      depth: int = 1) -> Iterator[Item]:
    """Yield the records of a zip's members one member at a time, within ``limits``.

    ``budget`` is shared with the zips nested in it, so a zip of zips cannot multiply the allowance.
    """
    if depth > limits.max_archive_depth:
        yield IngestFailure(origin, f"a zip inside a zip {depth} levels deep; the limit is "
                                    f"{limits.max_archive_depth} (ARSHIF_MAX_ARCHIVE_DEPTH)")
        return
    try:
        zf = zipfile.ZipFile(path if path is not None else io.BytesIO(data or b""))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError):
        yield IngestFailure(origin, "not a valid zip archive")
        return
    budget = budget if budget is not None else _Budget(limits.max_archive_bytes, limits.max_archive_files)
    with zf:
        members = [info for info in zf.infolist()
                   if not info.is_dir() and Path(info.filename).suffix.lower() in SUFFIXES]
        if len(members) > budget.files_left:
            yield IngestFailure(origin, f"too many files ({len(members):,}; the limit is {limits.max_archive_files:,} "
                                        f"per archive, ARSHIF_MAX_ARCHIVE_FILES); nothing in it was read")
            return
        budget.files_left -= len(members)
        for n, info in enumerate(members):
            where = f"{origin}!{info.filename}"
            if budget.spent is not None:
                yield IngestFailure(origin, f"{len(members) - n} file(s) not read: {budget.spent}")
                return
            if info.file_size > limits.max_file_bytes:  # the header says so; reading checks again
                yield IngestFailure(where, _file_too_large(limits, info.file_size))
                continue
            try:
                member = _read_member(zf, info, limits, budget)
            except _TooLarge as exc:
                yield IngestFailure(where, exc.reason)
                continue
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, EOFError,
                    NotImplementedError, ValueError) as exc:
                yield IngestFailure(where, f"unreadable zip member: {exc}")
                continue
            records = _records_from_bytes(info.filename, member, where, limits=limits, budget=budget, depth=depth)
            del member  # the reader below drops its bytes once decoded; this frame must not keep them
            yield from records


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | IngestFailure]:
    """Yield the files to read under the given paths (folders recursively, sorted)."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUFFIXES and not child.name.startswith("."):
                    yield child
        elif path.is_file():
            yield path
        else:
            yield IngestFailure(str(path), "no such file or folder")


def iter_records(paths: Iterable[str | Path], *, limits: IngestLimits = DEFAULT_LIMITS) -> Iterator[Item]:
    """Yield every article (or failure) found under the given paths, one file at a time."""
    for f in iter_files(paths):
        if isinstance(f, IngestFailure):
            yield f
            continue
        origin = str(f)
        if f.suffix.lower() not in SUFFIXES:
            yield IngestFailure(origin, f"unsupported file type {f.suffix or '(none)'}; "
                                        f"use one of {', '.join(sorted(SUFFIXES))}")
            continue
        try:
            if f.suffix.lower() == ".zip":
                # A zip is read member by member, each counted as it is decompressed, so its own size
                # on disk is only bounded by what the operator could upload or copy there.
                yield from _records_from_zip(None, origin, f, limits=limits)
                continue
            size = f.stat().st_size
            if size > limits.max_file_bytes:
                yield IngestFailure(origin, _file_too_large(limits, size))
                continue
            with f.open("rb") as fh:
                data = fh.read(limits.max_file_bytes + 1)  # the file may have grown since stat()
            if len(data) > limits.max_file_bytes:
                yield IngestFailure(origin, _file_too_large(limits))
                continue
        except OSError as exc:
            yield IngestFailure(origin, f"cannot read: {exc.strerror or exc}")
            continue
        records = _records_from_bytes(f.name, data, origin, limits=limits)
        del data
        yield from records


# --- analysis -----------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def content_hash(title: str, body: str) -> str:
    """Return the hash that identifies an article's content whatever its spelling variants."""
    text = _SPACE.sub(" ", fold(normalize(f"{title}\n{body}"))).strip()
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


# A lone UTF-16 surrogate (JSON's "\\ud800") is a str Python holds but UTF-8 cannot encode: SQLite and
# the hash would raise on it far from its record, so it is refused here, with the record's name.
_SURROGATE = re.compile("[\ud800-\udfff]")
# An ISO 8601 date or date-time, read field by field so that hour 25 is refused, not dropped.
_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,]\d+)?)?)?"
                       r"\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?\s*", re.I)


def _check_text(raw: RawArticle) -> None:
    for name in ("title", "body", "published", "url", "source", "author", "lang", "ext_id"):
        value = getattr(raw, name)
        if isinstance(value, str) and (m := _SURROGATE.search(value)):
            raise IngestError(f"the {name} holds an invalid character (a lone surrogate, U+{ord(m.group()):04X}, "
                              f"at character {m.start() + 1:,}); the record is not valid Unicode text")


def published_date(text: str) -> date | None:
    """Return the publication date a field denotes, None when it names none; raise IngestError when
    it names an impossible date (2024-01-01T25:61:61Z) or one more than ``FUTURE_DAYS`` days ahead."""
    if m := _ISO_DATE.fullmatch(text):
        try:
            datetime(*(int(g) for g in m.groups() if g is not None))  # type: ignore[misc]
        except ValueError as exc:
            raise IngestError(f"impossible date {text.strip()!r} ({exc}); "
                              "write a real date such as 2024-01-31, or leave it out") from exc
    found = parse_date(text)
    latest = datetime.now(UTC).date() + timedelta(days=FUTURE_DAYS)
    if found is not None and found > latest:
        raise IngestError(f"date {text.strip()!r} is in the future (after {latest.isoformat()}); "
                          "fix it, or leave it out")
    return found


def validate(raw: RawArticle) -> RawArticle:
    """Return the record cleaned up, or raise IngestError when it is not an article."""
    _check_text(raw)
    body = raw.body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        raise IngestError("empty content")
    if len(body) > MAX_BODY_CHARS:
        raise IngestError(f"article text too long ({len(body):,} characters; limit {MAX_BODY_CHARS:,})")
    title = _SPACE.sub(" ", raw.title or "").strip()
    if not title:
        first = split_sentences(body)[0]
        title = body[first[0]:first[1]][:120]
    published = None
    if raw.published:
        d = published_date(str(raw.published))
        published = d.isoformat() if d else None
    url = raw.url.strip() if raw.url else None
    if url and not re.match(r"https?://", url, re.I):
        url = None if " " in url else url
    lang = (raw.lang or "").strip().lower()[:8] or ("ar" if is_arabic(body[:2000]) else "en")
    return RawArticle(title=title[:500], body=body, published=published, url=url,
                      source=(raw.source or None), author=(raw.author or None), lang=lang,
                      ext_id=raw.ext_id, origin=raw.origin)


_KNOWN: Mapping[str, str] = {}
_FACTS = True


def _init_worker(known: Mapping[str, str], facts: bool) -> None:
    global _KNOWN, _FACTS
    _KNOWN, _FACTS = known, facts
    # Ctrl-C in a terminal reaches the whole process group. A worker that dies of it mid-task
    # leaves the pool waiting forever for its result; the main process alone handles SIGINT and
    # terminates the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The tables inherited from the parent (gazetteers, stemmer state) never become garbage: keep
    # the cyclic collector off them, and let it run less often over the many short-lived tokens,
    # matches and rows of each article (it was ~10% of a worker's time).
    gc.freeze()
    gc.set_threshold(10_000, 20, 10)


def prepare(raw: RawArticle, chash: str | None = None, known: Mapping[str, str] | None = None, *,
            facts: bool | None = None) -> store.PreparedArticle:
    """Analyse one article: content hash, shadow text, passages and (unless ``facts`` is False) facts."""
    sentences = split_sentences(raw.body)
    passages = split_passages(raw.body, sentences)
    fact_rows: list[tuple] = []
    names: list[tuple[str, str]] = []
    if _FACTS if facts is None else facts:
        fact_rows, names = extract_facts(raw.body, sentences, raw.published, _KNOWN if known is None else known)
    title_terms, title_exact = index_texts(raw.title)
    body_terms, body_exact = index_texts(raw.body)
    return store.PreparedArticle(
        title=raw.title, body=raw.body, content_hash=chash or content_hash(raw.title, raw.body),
        title_terms=title_terms, body_terms=body_terms, title_exact=title_exact, body_exact=body_exact,
        passages=passages, facts=fact_rows, names=names,
        url=raw.url, published=raw.published, source=raw.source, author=raw.author,
        lang=raw.lang, ext_id=raw.ext_id, origin=raw.origin,
    )


def _prepare_task(raw: RawArticle) -> store.PreparedArticle:
    return prepare(raw)


# --- the run ------------------------------------------------------------------------------------


class IngestInterrupted(KeyboardInterrupt):
    """Raised by ``ingest_records`` on Ctrl-C, once the workers are stopped; ``summary`` says how far
    it got. Every batch written before it is committed (one transaction per batch), so the same
    command run again adds the rest and counts the rest as duplicates.
    """

    def __init__(self, summary: IngestSummary) -> None:
        super().__init__("ingest interrupted")
        self.summary = summary


def _stop_pool(pool: Any) -> None:
    """Terminate the workers without waiting for their tasks, ignoring further Ctrl-Cs meanwhile.

    ``close()`` + ``join()`` would wait for results that never come once a task is abandoned.
    """
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals cannot reach us here anyway
        previous = None
    try:
        pool.terminate()
        pool.join()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def ingest_records(conn, records: Iterable[Item], *, workers: int | None = None,
                   progress: Callable[[int], None] | None = None,
                   origin_default: str | None = None, facts: bool = True) -> IngestSummary:
    """Ingest records into the open database; return what was added, duplicated or failed.

    The content hash and all analysis run in the worker processes; the main process reads,
    validates, refuses known URLs and writes. Content duplicates are refused at write time.
    Ctrl-C (KeyboardInterrupt) stops the workers at once and raises ``IngestInterrupted``.
    """
    started = time.perf_counter()
    summary = IngestSummary()
    known = store.known_names(conn)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    pool = None
    # Each article writes into indexes spread over the whole file (urls, content hashes, facts by
    # key): with SQLite's default 2 MB page cache those pages are read again for every batch, and
    # more of them as the archive grows (issue 12 §3). The cache is the connection's, for this run.
    cache_size = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {-INGEST_CACHE_KIB}")

    def batches() -> Iterator[list[RawArticle]]:
        batch: list[RawArticle] = []
        seen_urls: set[str] = set()
        for item in records:
            if progress:
                progress(1)
            if isinstance(item, IngestFailure):
                summary.failed.append(item)
                continue
            try:
                raw = validate(item)
            except IngestError as exc:
                summary.failed.append(IngestFailure(item.origin or origin_default or "?", str(exc)))
                continue
            if raw.url and (raw.url in seen_urls or store.url_exists(conn, raw.url)):
                summary.duplicates += 1
                continue
            if raw.url:
                seen_urls.add(raw.url)
            batch.append(raw)
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    def write(prepared: list[store.PreparedArticle]) -> None:
        for new_id in store.insert_articles(conn, prepared):
            if new_id is None:
                summary.duplicates += 1
            else:
                summary.added += 1
                summary.added_ids.append(new_id)

    try:
        pending = None
        for batch in batches():
            if pool is None and workers > 1 and len(batch) >= BATCH:
                ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
                pool = ctx.Pool(workers, initializer=_init_worker, initargs=(known, facts))
            if pool is None:
                prepared = [prepare(raw, None, known, facts=facts) for raw in batch]
                if pending is not None:
                    write(pending.get())
                    pending = None
                write(prepared)
                continue
            job = pool.map_async(_prepare_task, batch, chunksize=16)
            if pending is not None:
                write(pending.get())
            pending = job
        if pending is not None:
            write(pending.get())
    except KeyboardInterrupt as exc:
        if pool is not None:
            _stop_pool(pool)
            pool = None
        summary.seconds = time.perf_counter() - started
        log.info("ingest interrupted: %d added, %d duplicates, %d failed in %.1fs", summary.added,
                 summary.duplicates, len(summary.failed), summary.seconds)
        raise IngestInterrupted(summary) from exc
    except BaseException:
        if pool is not None:
            _stop_pool(pool)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        conn.execute(f"PRAGMA cache_size = {cache_size}")
    if summary.added >= MERGE_AFTER:
        store.merge_index(conn)
    summary.seconds = time.perf_counter() - started
    log.info("ingest: %d added, %d duplicates, %d failed in %.1fs", summary.added, summary.duplicates,
             len(summary.failed), summary.seconds)
    return summary


def count_inputs(paths: Iterable[str | Path]) -> tuple[int, int]:
    """Return (files, bytes) an ingest of ``paths`` will read: the total a progress display needs."""
    files = size = 0
    for f in iter_files(paths):
        if isinstance(f, IngestFailure):
            continue
        files += 1
        size += _file_size(f)
    return files, size


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # gone or unreadable: ingest reports it when it gets there
        return 0


def ingest_paths(conn, paths: Iterable[str | Path], *, limits: IngestLimits = DEFAULT_LIMITS,
                 file_done: Callable[[str, int], None] | None = None, **kwargs: Any) -> IngestSummary:
    """Ingest files and folders (recursively; zips included, within ``limits``) into the open database.

    ``file_done(path, bytes)`` is called as each file has been read, for progress displays.
    """
    if file_done is None:
        return ingest_records(conn, iter_records(paths, limits=limits), **kwargs)

    def records() -> Iterator[Item]:
        for f in iter_files(paths):
            if isinstance(f, IngestFailure):
                yield f
                continue
            yield from iter_records([f], limits=limits)
            file_done(str(f), _file_size(f))

    return ingest_records(conn, records(), **kwargs)


def remove_article(conn, article_id: int) -> None:
    """Delete an article, its index entries, passages and facts (raise ArticleNotFound if absent).

    The index is contentless, so the analysed text to remove is recomputed from the original.
    """
    article = store.get_article(conn, article_id)
    store.delete_article(conn, article_id, " ".join(terms_between(article.title)),
                         " ".join(terms_between(article.body)), " ".join(exact_terms_between(article.title)),
                         " ".join(exact_terms_between(article.body)))
