"""Ingest: files, folders and archives in; analysed, de-duplicated articles out, in batches.

The flow is ``iter_records`` (read and parse inputs; failures are reported, never raised) →
``prepare`` (analysis, passages and facts; CPU-bound, run on every core in worker processes)
→ ``store.insert_articles`` (one transaction per batch, in the main process). The reader streams:
one file, or one zip member, is in memory at a time, and at most two batches are in flight.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import multiprocessing
import os
import re
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import store
from .analysis import fold, is_arabic, normalize, terms_between
from .dates import parse_date
from .errors import IngestError
from .facts import extract_facts
from .models import IngestFailure, IngestSummary
from .segments import split_passages, split_sentences

__all__ = ["MAX_FILE_BYTES", "RawArticle", "ingest_paths", "ingest_records", "iter_records", "parse_text"]

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 256 * 1024 * 1024  # one file or zip member; larger ones are reported and skipped
MAX_BODY_CHARS = 2_000_000  # one article; longer bodies are refused (likely not an article)
BATCH = 256
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


def _decode(data: bytes, name: str) -> str:
    if not data.strip():
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
                    value = ", ".join(str(v.get("name", v)) if isinstance(v, dict) else str(v) for v in value)
                elif isinstance(value, dict):
                    value = value.get("name") or value.get("href") or value.get("value") or json.dumps(value)
                return str(value).strip()
    return None


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
        raise IngestError("no body/content/text field")
    return _record(obj, origin, title=_pick(obj, "title") or "", body=body, published=_pick(obj, "published"))


def _record(fields: Mapping[str, Any], origin: str | None, *, title: str, body: str,
            published: str | None) -> RawArticle:
    """Return an article whose metadata comes from ``fields`` by the common field names."""
    return RawArticle(title=title, body=body, published=published, url=_pick(fields, "url"),
                      source=_pick(fields, "source"), author=_pick(fields, "author"), lang=_pick(fields, "lang"),
                      ext_id=_pick(fields, "ext_id"), origin=origin)


Item = RawArticle | IngestFailure


def _records_from_bytes(name: str, data: bytes, origin: str) -> Iterator[Item]:
    suffix = Path(name).suffix.lower()
    try:
        if suffix == ".zip":
            yield from _records_from_zip(data, origin)
            return
        text = _decode(data, name)
        if suffix in (".json",):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as exc:
                raise IngestError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
            items = parsed if isinstance(parsed, list) else [parsed]
            if not items:
                raise IngestError("empty JSON array")
            for i, obj in enumerate(items):
                where = f"{origin}[{i}]" if isinstance(parsed, list) else origin
                try:
                    yield record_from_mapping(obj, where)
                except IngestError as exc:
                    yield IngestFailure(where, str(exc))
        elif suffix in (".jsonl", ".ndjson"):
            for lineno, line in enumerate(text.splitlines(), 1):
                if not line.strip():
                    continue
                where = f"{origin}:{lineno}"
                try:
                    yield record_from_mapping(json.loads(line), where)
                except json.JSONDecodeError as exc:
                    yield IngestFailure(where, f"malformed JSON: {exc.msg}")
                except IngestError as exc:
                    yield IngestFailure(where, str(exc))
        elif suffix in (".html", ".htm"):
            yield parse_html(text, origin)
        else:
            yield parse_text(text, origin)
    except IngestError as exc:
        yield IngestFailure(origin, str(exc))
    except Exception as exc:  # a parser library choking on hostile input must not stop the run
        log.warning("cannot read %s: %s", origin, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        yield IngestFailure(origin, f"unreadable: {type(exc).__name__}: {exc}")


def _records_from_zip(data: bytes | None, origin: str, path: Path | None = None) -> Iterator[Item]:
    try:
        zf = zipfile.ZipFile(path if path is not None else io.BytesIO(data or b""))
    except zipfile.BadZipFile:
        yield IngestFailure(origin, "not a valid zip archive")
        return
    with zf:
        for info in zf.infolist():
            if info.is_dir() or Path(info.filename).suffix.lower() not in SUFFIXES:
                continue
            where = f"{origin}!{info.filename}"
            if info.file_size > MAX_FILE_BYTES:
                yield IngestFailure(where, f"too large ({info.file_size // 2**20} MiB; limit "
                                           f"{MAX_FILE_BYTES // 2**20} MiB)")
                continue
            try:
                member = zf.read(info)
            except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                yield IngestFailure(where, f"unreadable zip member: {exc}")
                continue
            yield from _records_from_bytes(info.filename, member, where)


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


def iter_records(paths: Iterable[str | Path]) -> Iterator[Item]:
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
            size = f.stat().st_size
            if size > MAX_FILE_BYTES:
                yield IngestFailure(origin, f"too large ({size // 2**20} MiB; limit {MAX_FILE_BYTES // 2**20} MiB)")
                continue
            if f.suffix.lower() == ".zip":
                yield from _records_from_zip(None, origin, f)
                continue
            data = f.read_bytes()
        except OSError as exc:
            yield IngestFailure(origin, f"cannot read: {exc.strerror or exc}")
            continue
        yield from _records_from_bytes(f.name, data, origin)


# --- analysis -----------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def content_hash(title: str, body: str) -> str:
    """Return the hash that identifies an article's content whatever its spelling variants."""
    text = _SPACE.sub(" ", fold(normalize(f"{title}\n{body}"))).strip()
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def validate(raw: RawArticle) -> RawArticle:
    """Return the record cleaned up, or raise IngestError when it is not an article."""
    body = raw.body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        raise IngestError("no article text")
    if len(body) > MAX_BODY_CHARS:
        raise IngestError(f"article text too long ({len(body):,} characters; limit {MAX_BODY_CHARS:,})")
    title = _SPACE.sub(" ", raw.title or "").strip()
    if not title:
        first = split_sentences(body)[0]
        title = body[first[0]:first[1]][:120]
    published = None
    if raw.published:
        d = parse_date(str(raw.published))
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


def prepare(raw: RawArticle, chash: str | None = None, known: Mapping[str, str] | None = None, *,
            facts: bool | None = None) -> store.PreparedArticle:
    """Analyse one article: content hash, shadow text, passages and (unless ``facts`` is False) facts."""
    sentences = split_sentences(raw.body)
    passages = split_passages(raw.body, sentences)
    fact_rows: list[tuple] = []
    names: list[tuple[str, str]] = []
    if _FACTS if facts is None else facts:
        fact_rows, names = extract_facts(raw.body, sentences, raw.published, _KNOWN if known is None else known)
    return store.PreparedArticle(
        title=raw.title, body=raw.body, content_hash=chash or content_hash(raw.title, raw.body),
        title_terms=" ".join(terms_between(raw.title)),
        body_terms=" ".join(terms_between(raw.body)),
        passages=passages, facts=fact_rows, names=names,
        url=raw.url, published=raw.published, source=raw.source, author=raw.author,
        lang=raw.lang, ext_id=raw.ext_id, origin=raw.origin,
    )


def _prepare_task(raw: RawArticle) -> store.PreparedArticle:
    return prepare(raw)


# --- the run ------------------------------------------------------------------------------------


def ingest_records(conn, records: Iterable[Item], *, workers: int | None = None,
                   progress: Callable[[int], None] | None = None,
                   origin_default: str | None = None, facts: bool = True) -> IngestSummary:
    """Ingest records into the open database; return what was added, duplicated or failed.

    The content hash and all analysis run in the worker processes; the main process reads,
    validates, refuses known URLs and writes. Content duplicates are refused at write time.
    """
    started = time.perf_counter()
    summary = IngestSummary()
    known = store.known_names(conn)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    pool = None

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
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    summary.seconds = time.perf_counter() - started
    log.info("ingest: %d added, %d duplicates, %d failed in %.1fs", summary.added, summary.duplicates,
             len(summary.failed), summary.seconds)
    return summary


def ingest_paths(conn, paths: Iterable[str | Path], **kwargs: Any) -> IngestSummary:
    """Ingest files and folders (recursively; zips included) into the open database."""
    return ingest_records(conn, iter_records(paths), **kwargs)


def remove_article(conn, article_id: int) -> None:
    """Delete an article, its index entries, passages and facts (raise ArticleNotFound if absent).

    The index is contentless, so the analysed text to remove is recomputed from the original.
    """
    article = store.get_article(conn, article_id)
    store.delete_article(conn, article_id, " ".join(terms_between(article.title)),
                         " ".join(terms_between(article.body)))
