"""Admin features, Telegram-free: /add <url>, uploaded documents, /feeds and /stats.

``bot.core`` calls these (so the bot and ``arshif chat`` behave alike); they return replies.
Only admins (``ARSHIF_ADMINS``) may add articles; the core refuses everyone else. What is added
goes through the same ingest as files (``index.ingest``); the reply says ``alerts_due`` so the bot
runs the alert round at once and subscribers hear about it within seconds.

/add fetches through ``index.fetch``, the one fetcher feeds use too: http(s) only, connect/read
timeouts and a total deadline, at most ``MAX_REDIRECTS`` redirects (each hop checked again), and a
size cap (``ARSHIF_MAX_UPLOAD_MB``) enforced while streaming, so a huge or endless body is cut off.
Pages on private, loopback or link-local addresses are refused (the address connected to is the
one checked, so DNS rebinding does not get past it), so that an admin's typo or a hostile link
cannot make the bot read the server's own network; only ``ARSHIF_ALLOW_PRIVATE_URLS=1`` allows them.

Documents: .txt .md .html .json .jsonl .zip (and the other suffixes ingest reads), at most the
upload cap and Telegram's 20 MB download limit. Ingest runs with one worker: forking worker
processes from the bot's threaded event loop is not safe.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from arshif.index import feeds, ingest, store
from arshif.index import fetch as web
from arshif.index.errors import (
    BadStatus,
    ConnectionFailed,
    FetchError,
    FetchTimeout,
    PrivateAddress,
    ResponseTooLarge,
    SchemeRefused,
    TooManyRedirects,
    UnwantedType,
)
from arshif.index.models import IngestFailure, IngestSummary

from .config import Settings
from .replies import Reply
from .texts import t

__all__ = [
    "FetchError",
    "add_reply",
    "feeds_reply",
    "fetch_page",
    "fetch_reason",
    "private_allowed",
    "stats_reply",
    "upload_refusal",
    "upload_reply",
]

log = logging.getLogger(__name__)

USER_AGENT = "arshif/0.1 (+admin /add)"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
TOTAL_SECONDS = 60.0
MAX_REDIRECTS = 5
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files
PAGE_TYPES = {"text/html", "application/xhtml+xml", "text/plain", ""}
SHOWN_FAILURES = 5
SHOWN_ADDED = 10


# --- fetching ---------------------------------------------------------------------------------------


def private_allowed(settings: Settings, api_base_url: str | None = None) -> bool:
    """True only with ``ARSHIF_ALLOW_PRIVATE_URLS=1``. A Bot API server on a local address no longer
    implies it (``api_base_url`` is ignored): the bot's own network is never reachable by default."""
    return settings.allow_private_urls


async def fetch_page(url: str, *, max_bytes: int, allow_private: bool = False) -> tuple[str, bytes, str | None, str]:
    """Returns (final URL, body, charset, content type) of a web page, fetched by ``index.fetch`` (in a
    thread): public addresses only unless ``allow_private``, checked at every redirect and at connect
    time; raises a ``FetchError`` subclass."""
    page = await asyncio.to_thread(
        web.fetch_url, url, allow_private=allow_private, user_agent=USER_AGENT, connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT, max_bytes=max_bytes, total_seconds=TOTAL_SECONDS, max_redirects=MAX_REDIRECTS,
        content_types=PAGE_TYPES)
    return page.url, page.body, page.charset, page.content_type


def fetch_reason(exc: FetchError, lang: str) -> str:
    """Returns why a page could not be fetched, in the admin's language (for ``fetch_failed``)."""
    if isinstance(exc, PrivateAddress):
        return t("fetch_private", lang, host=exc.host)
    if isinstance(exc, SchemeRefused):
        return t("fetch_scheme", lang)
    if isinstance(exc, BadStatus):
        return t("fetch_status", lang, status=exc.status)
    if isinstance(exc, TooManyRedirects):
        return t("fetch_redirects", lang, limit=exc.limit)
    if isinstance(exc, ResponseTooLarge):
        return t("fetch_too_large", lang, size=f"{exc.limit / 2**20:g} MB")
    if isinstance(exc, FetchTimeout):
        return t("fetch_timeout", lang)
    if isinstance(exc, ConnectionFailed):
        return t("fetch_connect", lang, host=exc.host)
    if isinstance(exc, UnwantedType):
        return t("fetch_not_page", lang, kind=exc.content_type or "?")
    return str(exc)


def _decode(body: bytes, charset: str | None) -> str:
    for encoding in (charset, "utf-8"):
        if encoding:
            try:
                return body.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
    return body.decode("utf-8", errors="replace")


# --- ingesting ----------------------------------------------------------------------------------------


def _ingest_page(conn, url: str, body: bytes, charset: str | None, ctype: str, origin: str) -> IngestSummary:
    text = _decode(body, charset)
    is_html = ctype != "text/plain" or bool(re.search(r"<html|<body|<p[\s>]", text[:4096], re.I))
    raw = ingest.parse_html(text, origin, url=url) if is_html else ingest.parse_text(text, origin)
    if not is_html:
        raw = replace(raw, url=url)
    return ingest.ingest_records(conn, [raw], workers=1)


def _ingest_file(conn, path: Path, origin: str, limits: ingest.IngestLimits = ingest.DEFAULT_LIMITS) -> IngestSummary:
    """Ingests one uploaded file within ``limits`` (a zip is measured as it is read), naming records by
    the upload (not the temporary path)."""
    prefix = str(path)

    def records() -> Iterator[ingest.Item]:
        for item in ingest.iter_records([path], limits=limits):
            if isinstance(item, IngestFailure):
                yield IngestFailure(item.path.replace(prefix, origin, 1), item.reason)
            else:
                item.origin = (item.origin or prefix).replace(prefix, origin, 1)
                yield item

    return ingest.ingest_records(conn, records(), workers=1)


def _summary_reply(conn: sqlite3.Connection, summary: IngestSummary, lang: str) -> Reply:
    """Returns what an ingest did: counts, the first titles added, the first failures with why."""
    titles = {i: a.title for i, a in store.get_articles(conn, summary.added_ids[:SHOWN_ADDED]).items()}
    lines = [t("summary", lang, added=summary.added, duplicates=summary.duplicates, failed=len(summary.failed))]
    lines += [f"• #{article_id} {titles.get(article_id, '')}" for article_id in summary.added_ids[:SHOWN_ADDED]]
    if summary.added > SHOWN_ADDED:
        lines.append("…")
    lines += [f"✗ {failure.path}: {failure.reason}" for failure in summary.failed[:SHOWN_FAILURES]]
    if len(summary.failed) > SHOWN_FAILURES:
        lines.append("…")
    return Reply(lang, lead="\n".join(lines), alerts_due=bool(summary.added))


# --- the replies ----------------------------------------------------------------------------------


def add_reply(conn: sqlite3.Connection, settings: Settings, user_id: int, url: str, lang: str, *,
              allow_private: bool) -> Reply:
    """Returns the reply to /add <url>: fetches the page, ingests it, and says what was added, what
    was already in the archive and what failed (with why)."""
    url = url.strip()
    if not url:
        return Reply(lang, lead=t("add_usage", lang))
    limit = settings.max_upload_bytes
    try:
        # The core is synchronous (it runs in a worker thread or process, never on the event loop).
        final, body, charset, ctype = asyncio.run(fetch_page(url, max_bytes=limit, allow_private=allow_private))
    except FetchError as exc:
        log.info("/add failed: %s", exc)
        return Reply(lang, lead=t("fetch_failed", lang, reason=fetch_reason(exc, lang)))
    summary = _ingest_page(conn, final, body, charset, ctype, f"telegram:{user_id}")
    return _summary_reply(conn, summary, lang)


def upload_refusal(settings: Settings, filename: str, size: int | None, lang: str) -> Reply | None:
    """Returns why a document cannot be ingested (its type, its size), or None when it can."""
    suffix = Path(filename).suffix.lower()
    if suffix not in ingest.SUFFIXES:
        return Reply(lang, lead=t("bad_type", lang, suffix=suffix or "(?)", allowed=" ".join(sorted(ingest.SUFFIXES))))
    limit = min(settings.max_upload_bytes, TELEGRAM_DOWNLOAD_LIMIT)
    if size is not None and size > limit:
        return Reply(lang, lead=t("too_big", lang, limit=limit // 2**20))
    return None


def upload_reply(conn: sqlite3.Connection, settings: Settings, user_id: int, filename: str, content: bytes,
                 lang: str) -> Reply:
    """Returns the reply to an uploaded document: ingested as the file it is, then the summary."""
    name = Path(filename or "upload.txt").name
    refusal = upload_refusal(settings, name, len(content), lang)
    if refusal is not None:
        return refusal
    safe = re.sub(r"[^\w.\-]+", "_", name)[-100:] or f"upload{Path(name).suffix.lower()}"
    with tempfile.TemporaryDirectory(prefix="arshif-upload-") as tmp:
        path = Path(tmp) / safe
        path.write_bytes(content)
        summary = _ingest_file(conn, path, f"telegram:{user_id}/{name}", settings.ingest_limits())
    log.info("upload by admin %s: %d added, %d duplicates, %d failed", user_id, summary.added,
             summary.duplicates, len(summary.failed))
    return _summary_reply(conn, summary, lang)


def feeds_reply(conn: sqlite3.Connection, lang: str) -> Reply:
    """Returns /feeds: every feed, its last success, or its failure count and last error."""
    found = feeds.list_feeds(conn)
    if not found:
        return Reply(lang, lead=t("no_feeds", lang))
    lines = []
    for f in found:
        if f.failures:
            state = t("feed_failing", lang, failures=f.failures, error=f.last_error or "?")
        elif f.last_ok:
            state = t("feed_ok", lang, when=f.last_ok)
        else:
            state = t("feed_never", lang)
        lines.append(f"#{f.id} {f.title or f.url}\n{f.url}\n{state}")
    return Reply(lang, title=t("feeds_header", lang, n=len(found)), lead="\n\n".join(lines))


def allowed_users(conn: sqlite3.Connection, settings: Settings) -> int:
    """Returns how many users may use the bot by name: allowed in the database or in
    ``ARSHIF_ALLOWED_USERS`` (a configured user an admin denied since does not count)."""
    allowed, denied = set(), set()
    for row in store.list_users(conn):
        (allowed if row.status == "allowed" else denied if row.status == "denied" else set()).add(row.user_id)
    return len(allowed | (set(settings.allowed_users) - denied))


def stats_reply(conn: sqlite3.Connection, settings: Settings, lang: str) -> Reply:
    """Returns /stats: the figures of ``arshif stats`` (index.store.stats) in the admin's language."""
    figures = store.stats(conn)
    deliveries = store.delivery_counts(conn)
    separator = "، " if lang == "ar" else ", "
    sources = separator.join(f"{s['source']} ({s['articles']})" for s in figures["sources"]) or "-"
    lines = [
        t("stats_articles", lang, articles=figures["articles"]),
        t("stats_latest", lang, published=figures["latest_published"] or "-", added=figures["last_added"] or "-"),
        t("stats_sources", lang, sources=sources),
        t("stats_feeds", lang, feeds=figures["feeds"], failing=figures["feeds_failing"]),
        t("stats_subscriptions", lang, active=figures["subscriptions_active"], total=figures["subscriptions"]),
        t("stats_deliveries", lang, sent=deliveries.get("sent", 0),
          pending=deliveries.get("pending", 0) + deliveries.get("sending", 0), failed=deliveries.get("failed", 0)),
        t("stats_users", lang, users=allowed_users(conn, settings)),
        t("stats_size", lang, size=f"{figures['database_bytes'] / 2**20:.1f}", schema=figures["schema_version"]),
    ]
    return Reply(lang, title=t("stats_header", lang), lead="\n".join(lines))
