"""Admin commands from Telegram: /add <url>, documents sent to the bot, /feeds and /stats.

Only admins (``ARSHIF_ADMINS``) may add articles; everyone else gets one clear sentence. What is
added goes through the same ingest as files (``index.ingest``), then the alert job runs at once
(``bot.alerts.trigger_alerts``) so subscribers hear about it within seconds.

/add fetches through ``index.fetch``, the one fetcher feeds use too: http(s) only, connect/read
timeouts and a total deadline, at most ``MAX_REDIRECTS`` redirects (each hop checked again), and a
size cap (``ARSHIF_MAX_UPLOAD_MB``) enforced while streaming, so a huge or endless body is cut off.
Pages on private, loopback or link-local addresses are refused (the address connected to is the
one checked, so DNS rebinding does not get past it), so that an admin's typo or a hostile link
cannot make the bot read the server's own network; only ``ARSHIF_ALLOW_PRIVATE_URLS=1`` allows them.

Documents: .txt .md .html .json .jsonl .zip (and the other suffixes ingest reads), at most the
upload cap and Telegram's 20 MB download limit; read in private chats only. Ingest runs with one
worker: forking worker processes from the bot's threaded event loop is not safe.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from io import BytesIO
from pathlib import Path

from arshif.index import fetch as web
from arshif.index import ingest
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
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from . import render
from .alerts import MENU_KEY, db_call, trigger_alerts
from .config import Settings
from .texts import language_for, t

__all__ = ["COMMANDS", "FetchError", "fetch_page", "fetch_reason", "register"]

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

COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    ("add", " <url>", "(للمشرفين) أضف صفحة ويب إلى الأرشيف", "(admins) Add a web page to the archive"),
    ("feeds", "", "(للمشرفين) الخلاصات وحالتها", "(admins) The feeds and their health"),
    ("stats", "", "(للمشرفين) أرقام الأرشيف", "(admins) Archive figures"),
)




def _lang(update: Update, text: str | None = None) -> str:
    user = update.effective_user
    return language_for(user.language_code if user else None, text)


def _settings(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    from .alerts import ALERTS_KEY

    return context.application.bot_data[ALERTS_KEY].settings


# --- fetching ---------------------------------------------------------------------------------------


def private_allowed(application: Application) -> bool:
    """True only with ``ARSHIF_ALLOW_PRIVATE_URLS=1``. A Bot API server on a local address no longer
    implies it: the bot's own network is never reachable by default."""
    from .alerts import ALERTS_KEY

    state = application.bot_data.get(ALERTS_KEY)
    return state is not None and state.settings.allow_private_urls


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


def _titles(conn, ids: list[int]) -> dict[int, str]:
    from arshif.index import store

    return {i: a.title for i, a in store.get_articles(conn, ids).items()}


def _summary_text(summary: IngestSummary, titles: dict[int, str], lang: str) -> str:
    lines = [render.escape(t("summary", lang, added=summary.added, duplicates=summary.duplicates,
                               failed=len(summary.failed)))]
    for article_id in summary.added_ids[:SHOWN_ADDED]:
        lines.append(f"• #{article_id} {render.escape(titles.get(article_id, ''))}")
    if summary.added > SHOWN_ADDED:
        lines.append("…")
    for failure in summary.failed[:SHOWN_FAILURES]:
        lines.append(f"✗ {render.escape(failure.path)}: {render.escape(failure.reason)}")
    if len(summary.failed) > SHOWN_FAILURES:
        lines.append("…")
    return render.apply_bidi("\n".join(lines), lang)


async def _report(update: Update, context: ContextTypes.DEFAULT_TYPE, summary: IngestSummary, lang: str) -> None:
    titles = await db_call(context.application, _titles, summary.added_ids[:SHOWN_ADDED])
    message = update.effective_message
    if message is not None:
        for part in render.split_html(_summary_text(summary, titles, lang)):
            await message.reply_html(part)
    if summary.added:
        trigger_alerts(context.application)


# --- handlers -------------------------------------------------------------------------------------


async def _refuse_unless_admin(update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str,
                               refusal: str = "admins_only") -> bool:
    """Returns False for admins; tells everyone else (``refusal``) that it is for admins only."""
    user, message = update.effective_user, update.effective_message
    if user is not None and _settings(context).is_admin(user.id):
        return False
    if message is not None:
        await message.reply_text(t(refusal, lang))
    log.info("refused an admin command (%s) to user %s", refusal, user.id if user else "?")
    return True


async def add_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replies to /add <url> (admins): fetches the page, ingests it, and says what was added, what
    was already in the archive and what failed (with why). Others are told it is for admins."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    url = " ".join(context.args or []).strip()
    lang = _lang(update)
    if await _refuse_unless_admin(update, context, lang):
        return
    if not url:
        await message.reply_text(t("add_usage", lang))
        return
    settings = _settings(context)
    try:
        final, body, charset, ctype = await fetch_page(url, max_bytes=settings.max_upload_bytes,
                                                       allow_private=private_allowed(context.application))
    except FetchError as exc:
        log.info("/add failed: %s", exc)
        await message.reply_text(t("fetch_failed", lang, reason=fetch_reason(exc, lang)))
        return
    summary = await db_call(context.application, _ingest_page, final, body, charset, ctype, f"telegram:{user.id}")
    await _report(update, context, summary, lang)


async def document_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ingests a document an admin sends in a private chat (.txt .md .html .json .jsonl .zip) and
    replies with the summary; others are told that adding articles is for admins."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.document is None:
        return
    lang = _lang(update, message.caption)
    if await _refuse_unless_admin(update, context, lang):
        return
    document = message.document
    name = Path(document.file_name or "upload.txt").name
    suffix = Path(name).suffix.lower()
    if suffix not in ingest.SUFFIXES:
        allowed = " ".join(sorted(ingest.SUFFIXES))
        await message.reply_text(t("bad_type", lang, suffix=suffix or "(?)", allowed=allowed))
        return
    limit = min(_settings(context).max_upload_bytes, TELEGRAM_DOWNLOAD_LIMIT)
    if document.file_size is not None and document.file_size > limit:
        await message.reply_text(t("too_big", lang, limit=limit // 2**20))
        return
    buffer = BytesIO()
    telegram_file = await document.get_file()
    await telegram_file.download_to_memory(buffer)
    if buffer.tell() > limit:
        await message.reply_text(t("too_big", lang, limit=limit // 2**20))
        return
    safe = re.sub(r"[^\w.\-]+", "_", name)[-100:] or f"upload{suffix}"
    with tempfile.TemporaryDirectory(prefix="arshif-upload-") as tmp:
        path = Path(tmp) / safe
        path.write_bytes(buffer.getvalue())
        summary = await db_call(context.application, _ingest_file, path, f"telegram:{user.id}/{name}",
                                _settings(context).ingest_limits())
    log.info("upload by admin %s: %d added, %d duplicates, %d failed", user.id, summary.added,
             summary.duplicates, len(summary.failed))
    await _report(update, context, summary, lang)


def _feeds_text(conn, lang: str) -> str:
    from arshif.index import feeds

    found = feeds.list_feeds(conn)
    if not found:
        return render.escape(t("no_feeds", lang))
    lines = [f"<b>{render.escape(t('feeds_header', lang, n=len(found)))}</b>"]
    for f in found:
        if f.failures:
            state = t("feed_failing", lang, failures=f.failures, error=f.last_error or "?")
        elif f.last_ok:
            state = t("feed_ok", lang, when=f.last_ok)
        else:
            state = t("feed_never", lang)
        name = f.title or f.url
        lines.append(f"<b>#{f.id}</b> {render.escape(name)}\n{render.escape(f.url)}\n{render.escape(state)}")
    return render.apply_bidi("\n\n".join(lines), lang)


async def feeds_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replies to /feeds (admins) with every feed, its last success, or its failure count and last error."""
    message = update.effective_message
    if message is None:
        return
    lang = _lang(update)
    if await _refuse_unless_admin(update, context, lang):
        return
    text = await db_call(context.application, _feeds_text, lang)
    for part in render.split_html(text):
        await message.reply_html(part)


def _stats_text(conn, lang: str) -> str:
    """Returns /stats: the figures of ``arshif stats`` (index.store.stats) in the admin's language."""
    from arshif.index import store

    figures = store.stats(conn)
    deliveries = store.delivery_counts(conn)
    separator = "، " if lang == "ar" else ", "
    lines = [
        t("stats_articles", lang, articles=figures["articles"]),
        t("stats_latest", lang, published=figures["latest_published"] or "-", added=figures["last_added"] or "-"),
        t("stats_sources", lang, sources=separator.join(f"{s['source']} ({s['articles']})" for s in figures["sources"])
           or "-"),
        t("stats_feeds", lang, feeds=figures["feeds"], failing=figures["feeds_failing"]),
        t("stats_subscriptions", lang, active=figures["subscriptions_active"], total=figures["subscriptions"]),
        t("stats_deliveries", lang, sent=deliveries.get("sent", 0),
           pending=deliveries.get("pending", 0) + deliveries.get("sending", 0), failed=deliveries.get("failed", 0)),
        t("stats_users", lang, users=figures["users_allowed"]),
        t("stats_size", lang, size=f"{figures['database_bytes'] / 2**20:.1f}", schema=figures["schema_version"]),
    ]
    body = "\n".join(render.escape(line) for line in lines)
    return render.apply_bidi(f"<b>{render.escape(t('stats_header', lang))}</b>\n{body}", lang)


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Replies to /stats (admins) with the archive figures: articles, latest dates, top sources, feeds
    and how many fail, subscriptions, alerts sent/waiting/failed, allowed users, database size."""
    message = update.effective_message
    if message is None:
        return
    lang = _lang(update)
    if await _refuse_unless_admin(update, context, lang, "stats_admins_only"):
        return
    text = await db_call(context.application, _stats_text, lang)
    for part in render.split_html(text):
        await message.reply_html(part)


def register(application: Application, settings: Settings) -> None:
    """Adds /add, /feeds, /stats and the document handler (called by ``bot.alerts.register``)."""
    new_messages = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("add", add_command, filters=new_messages))
    application.add_handler(CommandHandler("feeds", feeds_command, filters=new_messages))
    application.add_handler(CommandHandler("stats", stats_command, filters=new_messages))
    application.add_handler(MessageHandler(new_messages & filters.ChatType.PRIVATE & filters.Document.ALL,
                                           document_message))
    menu = application.bot_data.setdefault(MENU_KEY, [])
    menu.extend(c for c in COMMANDS if c not in menu)
