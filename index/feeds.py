"""Feeds: RSS and Atom in, articles out through the same ingest as files.

One poll of one feed is ``_fetch`` (a conditional GET through ``index.fetch``: public addresses
only, checked at every redirect and at connect time, timeouts, a size cap, at most five redirects;
retries with backoff for connection errors and 5xx) → ``feedparser`` on the bytes (never its own
fetching, so every request obeys these limits) → entries not seen before, each made a
``RawArticle`` (an entry with only a short summary gets its page fetched, through the same checks,
and its main text extracted) → ``ingest.ingest_records`` (facts, passages and the index written as
for files). Feeds and pages on private addresses are refused unless ``allow_private`` (the
``ARSHIF_ALLOW_PRIVATE_URLS=1`` setting) was given to ``make_client``/``poll_all``.

The feed's health (last poll, last success, last error as one sentence, consecutive failures) is
stored after every poll. A feed that breaks is recorded and skipped; it never stops the others.
Synchronous on purpose: the bot calls ``poll_all`` through ``asyncio.to_thread``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import re
import sqlite3
import threading
import time
import xml.sax
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import feedparser

from . import fetch as web
from . import store
from .dates import parse_date
from .errors import BadStatus, ConnectionFailed, FeedError, FetchError, IngestError, PrivateAddress
from .ingest import RawArticle, content_hash, ingest_records, parse_html, validate
from .models import Feed

__all__ = [
    "USER_AGENT",
    "Feed",
    "FeedError",
    "FetchLimits",
    "PollResult",
    "add_feed",
    "get_feed",
    "list_feeds",
    "make_client",
    "poll_all",
    "poll_archive",
    "poll_feed",
    "remove_feed",
]

log = logging.getLogger(__name__)

USER_AGENT = "arshif/0.1 (+feed reader)"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
MAX_REDIRECTS = 5
# An entry whose text is shorter than this is taken for a teaser: its page is fetched for the full text.
SHORT_SUMMARY_CHARS = 400

PollStatus = Literal["ok", "not-modified", "error"]


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll of one feed did.

    ``new_entries`` are entries not seen in earlier polls; ``added_ids`` the articles they became;
    ``duplicates`` the new entries that were already in the archive (same link or text, or repeated in
    the feed itself); ``failed`` one reason per entry that is not an article (e.g. no text).
    """

    feed_id: int
    url: str
    status: PollStatus
    title: str | None = None
    new_entries: int = 0
    added_ids: tuple[int, ...] = ()
    duplicates: int = 0
    failed: tuple[str, ...] = ()
    error: str | None = None
    seconds: float = 0.0

    @property
    def added(self) -> int:
        """Return how many articles this poll added."""
        return len(self.added_ids)

    def as_dict(self) -> dict:
        """Return the JSON form printed by ``arshif feeds poll --json``."""
        return {"feed_id": self.feed_id, "url": self.url, "title": self.title, "status": self.status,
                "new_entries": self.new_entries, "added": self.added, "added_ids": list(self.added_ids),
                "duplicates": self.duplicates, "failed": list(self.failed), "error": self.error,
                "seconds": round(self.seconds, 3)}


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Limits of one poll besides the client's timeouts; ``sleep`` is injectable so tests stay fast."""

    max_bytes: int = 5 * 2**20  # the feed document (decoded, so a gzip bomb stops here too)
    max_page_bytes: int = 5 * 2**20  # one article page fetched for a short entry
    total_seconds: float = 60.0  # one download, however steadily a slow server drips
    retries: int = 2  # connection errors and 5xx only: a 4xx or a slow answer will not improve soon
    backoff: float = 0.5  # seconds before the first retry, doubled for each next one
    max_new_entries: int = 100  # per poll; the rest waits for the next poll
    fetch_pages: bool = True
    max_redirects: int = MAX_REDIRECTS  # each hop is checked like the first
    sleep: Callable[[float], None] = field(default=time.sleep)


DEFAULT_LIMITS = FetchLimits()


def make_client(*, allow_private: bool = False, connect_timeout: float = CONNECT_TIMEOUT,
                read_timeout: float = READ_TIMEOUT) -> web.SafeClient:
    """Return the HTTP client polls share (``index.fetch``'s): polite User-Agent, timeouts, public
    addresses only unless ``allow_private`` (``ARSHIF_ALLOW_PRIVATE_URLS=1``)."""
    return web.make_client(allow_private=allow_private, connect_timeout=connect_timeout, read_timeout=read_timeout,
                           user_agent=USER_AGENT)


# --- the feed list --------------------------------------------------------------------------------


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FeedError(f"Only http(s) feed URLs can be added, such as https://example.org/rss.xml; got {url!r}.")
    return url


def add_feed(conn: sqlite3.Connection, url: str) -> Feed:
    """Store a feed URL (not fetched here) and return it; adding a known URL returns the stored feed."""
    feed_id, created = store.insert_feed(conn, _check_url(url))
    if created:
        log.info("feed %s added: %s", feed_id, url)
    return get_feed(conn, feed_id)


def list_feeds(conn: sqlite3.Connection) -> list[Feed]:
    """Return every feed with its health, oldest first."""
    return store.fetch_feeds(conn)


def get_feed(conn: sqlite3.Connection, id_or_url: int | str) -> Feed:
    """Return the feed with this id (an int or digits) or URL, or raise FeedError."""
    text = str(id_or_url).strip()
    feed = (store.fetch_feed(conn, feed_id=int(text)) if text.isdigit()
            else store.fetch_feed(conn, url=text))
    if feed is None:
        raise FeedError(f"No feed has id or URL {text!r}; `arshif feeds list` shows them.")
    return feed


def remove_feed(conn: sqlite3.Connection, id_or_url: int | str) -> Feed:
    """Forget a feed and return it; the articles it brought stay in the archive."""
    feed = get_feed(conn, id_or_url)
    store.delete_feed(conn, feed.id)
    log.info("feed %s removed", feed.id)
    return feed


# --- fetching -------------------------------------------------------------------------------------


def _fetch(client: web.SafeClient, url: str, *, limits: FetchLimits, max_bytes: int, what: str = "feed",
           headers: dict[str, str] | None = None) -> web.Page:
    """GET a URL within the limits; return a 2xx or 304 answer, else raise a FetchError with one sentence.

    Connection failures and 5xx answers are retried with backoff; a refusal, a 4xx or a slow answer
    will not improve soon and is raised at once.
    """
    attempt = 0
    while True:
        try:
            return web.fetch(client, url, max_bytes=max_bytes, total_seconds=limits.total_seconds,
                             max_redirects=limits.max_redirects, headers=headers, what=what)
        except (ConnectionFailed, BadStatus) as exc:
            if (isinstance(exc, BadStatus) and exc.status < 500) or attempt >= limits.retries:
                raise
            delay = limits.backoff * 2**attempt
            attempt += 1
            log.info("fetch of %s failed (%s); retry %s in %s s", url, exc, attempt, delay)
            limits.sleep(delay)


# --- entries --------------------------------------------------------------------------------------

_BLOCK_TAGS = ("p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "table",
               "section", "article", "figure", "pre")
_SPACES = re.compile(r"[ \t\u00a0]+")


def html_to_text(fragment: str) -> str:
    """Return the text of an HTML fragment (a feed's summary or content), paragraphs kept apart."""
    if "<" not in fragment:
        return fragment.strip()
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return re.sub(r"<[^>]+>", " ", fragment).strip()
    for bad in root.xpath(".//script|.//style"):
        bad.drop_tree()
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for el in root.iter(*_BLOCK_TAGS):
        el.tail = "\n\n" + (el.tail or "")
    lines = [_SPACES.sub(" ", line).strip() for line in root.text_content().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _detail_text(detail: Any, value: str) -> str:
    kind = (detail or {}).get("type", "text/html") if isinstance(detail, dict) else "text/html"
    return html_to_text(value) if "html" in kind else value.strip()


def entry_key(entry: Any) -> str:
    """Return what identifies an entry across polls: its id, else its link, else a hash of its title."""
    for name in ("id", "link"):
        value = (entry.get(name) or "").strip()
        if value:
            return value[:1000]
    title = (entry.get("title") or "").strip()
    return "title:" + hashlib.sha1(title.encode("utf-8")).hexdigest()


def _entry_text(entry: Any) -> str:
    """Return the fullest text the entry carries: content:encoded / Atom content, else the summary."""
    texts = [_detail_text(c, c.get("value") or "") for c in entry.get("content") or []]
    summary = entry.get("summary") or ""
    if summary:
        texts.append(_detail_text(entry.get("summary_detail"), summary))
    return max(texts, key=len, default="")


def _decode_page(fetched: web.Page) -> str:
    charset = fetched.charset
    if not charset:
        m = re.search(rb"""<meta[^>]+charset=["']?([\w-]+)""", fetched.body[:4096], re.I)
        charset = m.group(1).decode("ascii") if m else "utf-8"
    try:
        return fetched.body.decode(charset, errors="replace")
    except LookupError:
        return fetched.body.decode("utf-8", errors="replace")


def _page_text(client: web.SafeClient, link: str, limits: FetchLimits) -> str:
    """Return the main text of an entry's page, or "" when it cannot be had (the summary is kept)."""
    try:
        fetched = _fetch(client, link, limits=limits, max_bytes=limits.max_page_bytes, what="page")
        kind = fetched.headers.get("content-type", "text/html")
        if "html" not in kind:
            log.info("entry page %s is %s, not HTML; keeping the summary", link, kind)
            return ""
        return parse_html(_decode_page(fetched), url=fetched.url).body
    except PrivateAddress as exc:  # a feed pointing its readers at the server's own network
        log.warning("entry page %s refused (%s); keeping the summary", link, exc)
    except FetchError as exc:
        log.info("entry page %s not fetched (%s); keeping the summary", link, exc)
    except Exception as exc:  # a parser choking on one hostile page must not fail the feed
        log.warning("entry page %s unreadable: %s: %s", link, type(exc).__name__, exc)
    return ""


def _published(entry: Any) -> str | None:
    """Return the entry's date as written; feedparser's reading when ours cannot parse it."""
    for name in ("published", "updated", "created"):
        text = entry.get(name)
        if text and parse_date(text) is not None:
            return text
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(name)
        if parsed:
            return time.strftime("%Y-%m-%d", parsed)
    return entry.get("published") or entry.get("updated")


def entry_article(entry: Any, *, feed_url: str, source: str | None, client: web.SafeClient | None = None,
                  limits: FetchLimits = DEFAULT_LIMITS) -> RawArticle:
    """Return the article an entry stands for; a short summary is replaced by its page's main text."""
    link = (entry.get("link") or "").strip() or None
    title_detail = entry.get("title_detail")
    title = _detail_text(title_detail, entry.get("title") or "")
    body = _entry_text(entry)
    if (client is not None and limits.fetch_pages and link and len(body) < SHORT_SUMMARY_CHARS
            and urlsplit(link).scheme in ("http", "https")):
        page = _page_text(client, link, limits)
        if len(page) > len(body):
            body = page
    author = entry.get("author")
    return RawArticle(
        title=title,
        body=body,
        published=_published(entry),
        url=link,
        source=source,
        author=author.strip() if isinstance(author, str) and author.strip() else None,
        ext_id=(entry.get("id") or None),
        origin=feed_url,
    )


# --- polling --------------------------------------------------------------------------------------


def _usable(entry: Any) -> bool:
    return any(entry.get(name) for name in ("link", "title", "summary", "content"))


def _bozo_reason(exc: BaseException | None, body: bytes) -> str:
    """Return feedparser's complaint in words, with the position in the document as served."""
    if isinstance(exc, xml.sax.SAXParseException):
        line = exc.getLineNumber()
        # feedparser prepends an XML declaration line when the document has none.
        if not body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml"):
            line -= 1
        return f"{exc.getMessage()} at line {line}, column {exc.getColumnNumber()}"
    return str(exc) if exc is not None and str(exc) else "no RSS or Atom elements found"


def _parse(fetched: web.Page) -> Any:
    """Return feedparser's result, or raise FeedError when the document yields no entries and is broken."""
    parsed = feedparser.parse(
        io.BytesIO(fetched.body),
        response_headers={"content-type": fetched.headers.get("content-type", ""), "content-location": fetched.url},
    )
    if parsed.bozo:
        # Take what a sloppy feed still yields, but not the empty shells a broken tag leaves behind.
        parsed["entries"] = [e for e in parsed.entries if _usable(e)]
    if not parsed.entries and (parsed.bozo or not parsed.version):
        head = fetched.body[:512].lstrip().lower()
        if "html" in fetched.headers.get("content-type", "") or head.startswith((b"<!doctype html", b"<html")):
            raise FeedError("not a valid RSS/Atom feed: the URL serves an HTML page; use the address of its "
                            "RSS or Atom feed (often linked as «RSS» on the page)")
        raise FeedError(f"not a valid RSS/Atom feed: {_bozo_reason(parsed.get('bozo_exception'), fetched.body)}")
    if parsed.bozo:
        log.info("feed %s is malformed (%s); taking its %s readable entries", fetched.url,
                 parsed.get("bozo_exception"), len(parsed.entries))
    return parsed


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def poll_feed(conn: sqlite3.Connection, feed: Feed, *, client: web.SafeClient,
              limits: FetchLimits = DEFAULT_LIMITS) -> PollResult:
    """Fetch one feed, ingest its new entries and record its health; never raises for a bad feed."""
    started = time.perf_counter()
    try:
        result = _poll(conn, feed, client, limits)
    except (FeedError, FetchError) as exc:
        error = str(exc)
        log.warning("feed %s (%s) failed: %s", feed.id, feed.url, error)
        store.record_feed_failure(conn, feed.id, _sentence(error))
        result = PollResult(feed.id, feed.url, "error", title=feed.title, error=_sentence(error))
    except sqlite3.Error:
        raise
    except Exception as exc:  # a bug or a library choking on one feed must not stop the others
        log.exception("feed %s (%s) failed unexpectedly", feed.id, feed.url)
        error = _sentence(f"unexpected error: {type(exc).__name__}: {exc}")
        store.record_feed_failure(conn, feed.id, error)
        result = PollResult(feed.id, feed.url, "error", title=feed.title, error=error)
    seconds = time.perf_counter() - started
    log.info("feed %s polled: %s, %s new, %s added in %.1fs", feed.id, result.status, result.new_entries,
             result.added, seconds)
    return dataclasses.replace(result, seconds=seconds)


def _sentence(text: str) -> str:
    text = " ".join(text.split())[:300]
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _poll(conn: sqlite3.Connection, feed: Feed, client: web.SafeClient, limits: FetchLimits) -> PollResult:
    validators = store.feed_validators(conn, feed.id)
    fetched = _fetch(client, feed.url, limits=limits, max_bytes=limits.max_bytes,
                     headers=_conditional_headers(*validators))
    if fetched.status == 304:
        store.record_feed_success(conn, feed.id)
        return PollResult(feed.id, feed.url, "not-modified", title=feed.title)
    parsed = _parse(fetched)
    title = " ".join((parsed.feed.get("title") or "").split()) or None
    source = title or urlsplit(fetched.url).hostname

    # Oldest first (feeds list the newest first), so article ids grow with publication order.
    entries = list(reversed(parsed.entries))
    keys = [entry_key(e) for e in entries]
    seen = store.seen_entry_keys(conn, feed.id, keys)
    fresh: dict[str, Any] = {}
    repeated = 0
    for key, entry in zip(keys, entries, strict=True):
        if key in seen:
            continue
        if key in fresh:
            repeated += 1
            continue
        fresh[key] = entry
    # Too many new entries (a first poll of a long feed): take the oldest now and leave the rest to
    # the next poll, which must then not be answered 304, so the validators are kept as they were.
    complete = len(fresh) <= limits.max_new_entries
    batch = list(fresh.items())[:limits.max_new_entries]

    records = [(key, entry_article(entry, feed_url=feed.url, source=source, client=client, limits=limits))
               for key, entry in batch]
    summary = ingest_records(conn, (r for _, r in records), workers=1, origin_default=feed.url)
    store.record_feed_entries(conn, feed.id, [(key, _stored_id(conn, raw)) for key, raw in records])
    new_validators = (fetched.headers.get("etag"), fetched.headers.get("last-modified")) if complete else None
    store.record_feed_success(conn, feed.id, title=title, validators=new_validators)
    return PollResult(
        feed.id, feed.url, "ok", title=title or feed.title, new_entries=len(batch) + repeated,
        added_ids=tuple(summary.added_ids), duplicates=summary.duplicates + repeated,
        failed=tuple(f"{f.path}: {f.reason}" for f in summary.failed),
    )


def _stored_id(conn: sqlite3.Connection, raw: RawArticle) -> int | None:
    """Return the id of the article an entry became (or already was), None when it was not an article."""
    try:
        clean = validate(raw)
    except IngestError:
        return None
    return store.article_id_for(conn, clean.url, content_hash(clean.title, clean.body))


def poll_all(conn: sqlite3.Connection, *, client: web.SafeClient | None = None,
             on_added: Callable[[PollResult], None] | None = None, limits: FetchLimits = DEFAULT_LIMITS,
             stop: threading.Event | None = None, feeds: Iterable[Feed] | None = None,
             allow_private: bool = False) -> list[PollResult]:
    """Poll every feed once, one after the other; return one result per feed polled.

    ``on_added(result)`` runs right after a feed added articles (the bot wakes its alert job there);
    its errors are logged, not raised. ``stop`` (set on shutdown) ends the round between two feeds.
    ``allow_private`` (``ARSHIF_ALLOW_PRIVATE_URLS=1``) lets feeds and pages on private addresses be
    fetched when no ``client`` is given; a given client carries its own policy.
    """
    own_client = client is None
    client = client or make_client(allow_private=allow_private)
    results: list[PollResult] = []
    try:
        for feed in list(feeds) if feeds is not None else list_feeds(conn):
            if stop is not None and stop.is_set():
                break
            try:
                result = poll_feed(conn, feed, client=client, limits=limits)
            except sqlite3.Error as exc:  # e.g. the database stayed locked; the next round retries
                log.error("feed %s not recorded: database error %s", feed.id, exc)
                result = PollResult(feed.id, feed.url, "error", title=feed.title,
                                    error=_sentence(f"database error: {exc}"))
            results.append(result)
            if on_added is not None and result.added_ids:
                try:
                    on_added(result)
                except Exception:
                    log.exception("on_added callback failed for feed %s", feed.id)
    finally:
        if own_client:
            client.close()
    return results


def poll_archive(db_path: str | Path, **kwargs: Any) -> list[PollResult]:
    """Poll every feed of the database file once with a connection of its own (for ``asyncio.to_thread``).

    Takes ``poll_all``'s keywords (``on_added``, ``stop``, ``limits``, ``client``, ``allow_private``).
    """
    conn = store.connect(db_path)
    try:
        return poll_all(conn, **kwargs)
    finally:
        conn.close()
