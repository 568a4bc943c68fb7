"""All SQL of the engine: the SQLite store (articles, FTS5 shadow index, passages, facts, chat
state, subscriptions, feeds). Other modules call these functions and never write SQL, so a second
backend (PostgreSQL) is a second store module, not a rewrite.

One file, shared by processes (the bot serving, ``arshif ingest`` writing): WAL journal,
``busy_timeout`` and short transactions. The schema evolves by numbered migrations in
``index/migrations/`` tracked by ``PRAGMA user_version``; every connection applies what is missing.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import ArticleNotFound, QuerySyntaxError
from .models import Article

__all__ = [
    "SCHEMA_VERSION",
    "Filters",
    "PreparedArticle",
    "connect",
    "migrate",
]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
# bm25 weights of articles_fts columns: a word in the title counts three times one in the body.
TITLE_WEIGHT = 3.0
BODY_WEIGHT = 1.0


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("index") / "migrations"
    found = []
    for entry in folder.iterdir():
        m = re.match(r"(\d+)_.*\.sql$", entry.name)
        if m:
            found.append((int(m.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


MIGRATIONS = _migrations()
SCHEMA_VERSION = MIGRATIONS[-1][0]


def connect(path: str | Path, *, migrate_schema: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) the archive database, ready for concurrent use."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if str(path) != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    if migrate_schema:
        migrate(conn)
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    """Return the schema version the database is at."""
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations the database lacks, each in its own transaction; return the version."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"The database is at schema version {current}, newer than this arshif ({SCHEMA_VERSION}); "
            "upgrade arshif."
        )
    for version, sql in MIGRATIONS:
        if version <= current:
            continue
        with transaction(conn, immediate=True):
            # Re-check inside the write lock: another process may have migrated meanwhile.
            if schema_version(conn) >= version:
                continue
            for statement in _split_sql(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
        log.info("database migrated to schema version %s", version)
    return schema_version(conn)


def _split_sql(sql: str) -> list[str]:
    statements, buf = [], []
    for line in sql.splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        joined = "\n".join(buf)
        if sqlite3.complete_statement(joined):
            statements.append(joined)
            buf = []
    return [s for s in statements if s.strip()]


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = False) -> Iterator[sqlite3.Connection]:
    """Run a block in one transaction (``BEGIN IMMEDIATE`` takes the write lock up front)."""
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


@contextmanager
def bulk_mode(conn: sqlite3.Connection) -> Iterator[None]:
    """Speed settings for a long ingest: a larger page cache and FTS5 merges deferred."""
    conn.execute("PRAGMA cache_size = -262144")  # 256 MiB
    yield
    conn.execute("PRAGMA cache_size = -2000")


# --- articles -----------------------------------------------------------------------------------


@dataclass(slots=True)
class PreparedArticle:
    """An article analysed and ready to write: analysed text, passages and facts included."""

    title: str
    body: str
    content_hash: str
    title_terms: str
    body_terms: str
    passages: list[tuple[int, int, str]]  # (start, end, analysed text)
    facts: list[tuple]  # rows for the facts table, without article_id
    names: list[tuple[str, str]]  # (key, kind) learned from cue words
    url: str | None = None
    published: str | None = None
    source: str | None = None
    author: str | None = None
    lang: str | None = None
    ext_id: str | None = None
    origin: str | None = None


_ARTICLE_COLUMNS = "id, title, body, url, published, source, author, lang, ext_id"


def is_duplicate(conn: sqlite3.Connection, url: str | None, content_hash: str) -> bool:
    """True when an article with this URL or this content is already stored."""
    row = conn.execute(
        "SELECT 1 FROM articles WHERE content_hash = :h OR (:u IS NOT NULL AND url = :u) LIMIT 1",
        {"h": content_hash, "u": url},
    ).fetchone()
    return row is not None


def insert_articles(conn: sqlite3.Connection, docs: Sequence[PreparedArticle]) -> list[int | None]:
    """Write a batch in one transaction; return each new id, or None for a duplicate.

    All of an article (row, index, passages, facts) is written in the same transaction, so a
    crash never leaves half an article behind.
    """
    ids: list[int | None] = []
    with transaction(conn, immediate=True):
        for doc in docs:
            if is_duplicate(conn, doc.url, doc.content_hash):
                ids.append(None)
                continue
            cur = conn.execute(
                "INSERT INTO articles (ext_id, url, title, body, published, source, author, lang,"
                " content_hash, origin) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (doc.ext_id, doc.url, doc.title, doc.body, doc.published, doc.source, doc.author,
                 doc.lang, doc.content_hash, doc.origin),
            )
            article_id = cur.lastrowid
            conn.execute(
                "INSERT INTO articles_fts (rowid, title, body) VALUES (?,?,?)",
                (article_id, doc.title_terms, doc.body_terms),
            )
            for seq, (start, end, terms) in enumerate(doc.passages):
                pid = conn.execute(
                    "INSERT INTO passages (article_id, seq, start, end) VALUES (?,?,?,?)",
                    (article_id, seq, start, end),
                ).lastrowid
                conn.execute("INSERT INTO passages_fts (rowid, text) VALUES (?,?)", (pid, terms))
            if doc.facts:
                conn.executemany(
                    "INSERT INTO facts (article_id, kind, start, end, text, value, value_end, precision,"
                    " role, unit, key) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    [(article_id, *f) for f in doc.facts],
                )
            if doc.names:
                conn.executemany(
                    "INSERT INTO names (key, kind) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET seen = seen + 1",
                    doc.names,
                )
            ids.append(article_id)
    return ids


def delete_article(conn: sqlite3.Connection, article_id: int, title_terms: str, body_terms: str,
                   passage_terms: dict[int, str]) -> None:
    """Remove an article and its index entries (contentless FTS5 needs the analysed text back)."""
    with transaction(conn, immediate=True):
        conn.execute(
            "INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', ?, ?, ?)",
            (article_id, title_terms, body_terms),
        )
        for pid, terms in passage_terms.items():
            conn.execute("INSERT INTO passages_fts (passages_fts, rowid, text) VALUES ('delete', ?, ?)",
                         (pid, terms))
        conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))


def get_article(conn: sqlite3.Connection, article_id: int) -> Article:
    """Return one article or raise ArticleNotFound."""
    row = conn.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        raise ArticleNotFound(f"No article has id {article_id}; /latest lists recent ones.")
    return Article(**dict(row))


def get_articles(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Article]:
    """Return the articles with these ids (missing ids are left out)."""
    ids = list(ids)
    if not ids:
        return {}
    rows = conn.execute(
        f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(ids),),
    ).fetchall()
    return {r["id"]: Article(**dict(r)) for r in rows}


def latest_articles(conn: sqlite3.Connection, limit: int = 10, offset: int = 0) -> list[Article]:
    """Return the most recently published (then most recently added) articles."""
    rows = conn.execute(
        f"SELECT {_ARTICLE_COLUMNS} FROM articles ORDER BY published DESC NULLS LAST, id DESC "
        "LIMIT ? OFFSET ?",
        (limit, offset),
    ).fetchall()
    return [Article(**dict(r)) for r in rows]


def max_article_id(conn: sqlite3.Connection) -> int:
    """Return the archive's high-water mark (0 when empty)."""
    return conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]


def count_articles(conn: sqlite3.Connection) -> int:
    """Return the number of stored articles."""
    return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def article_passages(conn: sqlite3.Connection, article_id: int) -> list[tuple[int, int, int]]:
    """Return (passage id, start, end) of an article's passages in order."""
    rows = conn.execute(
        "SELECT id, start, end FROM passages WHERE article_id = ? ORDER BY seq", (article_id,)
    ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


# --- search -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions a search understands besides its words."""

    since: str | None = None  # ISO date, inclusive
    until: str | None = None  # ISO date, inclusive
    sources: tuple[str, ...] = ()
    article_ids: tuple[int, ...] | None = None
    min_id: int | None = None  # exclusive (alerts: rowid > last_seen)
    max_id: int | None = None  # inclusive (alerts: rowid <= high-water mark)


def _filter_sql(filters: Filters, alias: str) -> str:
    parts = []
    if filters.since:
        parts.append(f"{alias}.published >= :since")
    if filters.until:
        parts.append(f"{alias}.published <= :until")
    if filters.sources:
        parts.append(f"lower({alias}.source) IN (SELECT lower(value) FROM json_each(:sources))")
    if filters.article_ids is not None:
        parts.append(f"{alias}.id IN (SELECT value FROM json_each(:ids))")
    if filters.min_id is not None:
        parts.append(f"{alias}.id > :min_id")
    if filters.max_id is not None:
        parts.append(f"{alias}.id <= :max_id")
    return "".join(f" AND {p}" for p in parts)


def _filter_params(filters: Filters) -> dict:
    return {
        "since": filters.since,
        "until": filters.until,
        "sources": json.dumps(list(filters.sources)),
        "ids": json.dumps(list(filters.article_ids or ())),
        "min_id": filters.min_id,
        "max_id": filters.max_id,
    }


def search_sql(filters: Filters, *, count: bool = False, by_date: bool = False) -> str:
    """Return the SQL of an article search for a MATCH expression bound as ``:match``."""
    where = _filter_sql(filters, "a")
    if count:
        return (
            "SELECT count(*) FROM articles_fts f JOIN articles a ON a.id = f.rowid "
            f"WHERE articles_fts MATCH :match{where}"
        )
    order = "a.published DESC NULLS LAST, a.id DESC" if by_date else "score"
    return (
        f"SELECT a.id, a.title, a.body, a.url, a.published, a.source, "
        f"bm25(articles_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS score "
        "FROM articles_fts f JOIN articles a ON a.id = f.rowid "
        f"WHERE articles_fts MATCH :match{where} ORDER BY {order} LIMIT :limit OFFSET :offset"
    )


def _run(conn: sqlite3.Connection, sql: str, params: dict) -> list[sqlite3.Row]:
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "fts5" in str(exc) or "syntax error" in str(exc):
            raise QuerySyntaxError(
                "This query cannot be searched as typed; remove special characters or quote it."
            ) from exc
        raise


def fetch_hits(conn: sqlite3.Connection, match: str, filters: Filters, *, limit: int = 10,
               offset: int = 0, by_date: bool = False) -> list[sqlite3.Row]:
    """Run an article search; rows carry id, title, body, url, published, source, score."""
    params = {"match": match, "limit": limit, "offset": offset, **_filter_params(filters)}
    return _run(conn, search_sql(filters, by_date=by_date), params)


def count_hits(conn: sqlite3.Connection, match: str, filters: Filters) -> int:
    """Return how many articles match."""
    return _run(conn, search_sql(filters, count=True), {"match": match, **_filter_params(filters)})[0][0]


def fetch_ids(conn: sqlite3.Connection, match: str, filters: Filters) -> list[int]:
    """Return the ids of all matching articles in id order (alerts)."""
    sql = (
        "SELECT a.id FROM articles_fts f JOIN articles a ON a.id = f.rowid "
        f"WHERE articles_fts MATCH :match{_filter_sql(filters, 'a')} ORDER BY a.id"
    )
    return [r[0] for r in _run(conn, sql, {"match": match, **_filter_params(filters)})]


def fetch_passages(conn: sqlite3.Connection, match: str, filters: Filters, *, limit: int = 20) -> list[sqlite3.Row]:
    """Return the best passages for a MATCH expression: id, article_id, start, end, score."""
    sql = (
        "SELECT p.id, p.article_id, p.start, p.end, bm25(passages_fts) AS score "
        "FROM passages_fts f JOIN passages p ON p.id = f.rowid JOIN articles a ON a.id = p.article_id "
        f"WHERE passages_fts MATCH :match{_filter_sql(filters, 'a')} ORDER BY score LIMIT :limit"
    )
    return _run(conn, sql, {"match": match, "limit": limit, **_filter_params(filters)})


def doc_freqs(conn: sqlite3.Connection, terms: Iterable[str]) -> dict[str, int]:
    """Return how many articles contain each term (0 when none)."""
    terms = list(dict.fromkeys(terms))
    if not terms:
        return {}
    rows = conn.execute(
        "SELECT term, doc FROM articles_vocab WHERE term IN (SELECT value FROM json_each(?))",
        (json.dumps(terms),),
    ).fetchall()
    found = {r[0]: r[1] for r in rows}
    return {t: found.get(t, 0) for t in terms}


def frequent_terms(conn: sqlite3.Connection, limit: int = 50_000) -> list[tuple[str, int]]:
    """Return the most widespread index terms with their document counts (for suggestions)."""
    rows = conn.execute(
        "SELECT term, doc FROM articles_vocab ORDER BY doc DESC LIMIT ?", (limit,)
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


# --- facts and names ----------------------------------------------------------------------------


def facts_for(conn: sqlite3.Connection, article_ids: Iterable[int]) -> dict[int, list[sqlite3.Row]]:
    """Return the stored facts of these articles, grouped by article, in text order."""
    out: dict[int, list[sqlite3.Row]] = {}
    rows = conn.execute(
        "SELECT article_id, kind, start, end, text, value, value_end, precision, role, unit, key "
        "FROM facts WHERE article_id IN (SELECT value FROM json_each(?)) ORDER BY article_id, start",
        (json.dumps(list(article_ids)),),
    ).fetchall()
    for r in rows:
        out.setdefault(r["article_id"], []).append(r)
    return out


def known_names(conn: sqlite3.Connection, limit: int = 200_000) -> dict[str, str]:
    """Return names learned from the archive (key → kind), most often seen first."""
    rows = conn.execute("SELECT key, kind FROM names ORDER BY seen DESC LIMIT ?", (limit,)).fetchall()
    return {r[0]: r[1] for r in rows}


# --- chat memory ----------------------------------------------------------------------------------


def save_chat_context(conn: sqlite3.Connection, chat_id: int, article_ids: Sequence[int],
                      question: str | None) -> None:
    """Remember the articles a chat was last shown (for follow-up questions)."""
    conn.execute(
        "INSERT INTO chat_context (chat_id, article_ids, question) VALUES (?,?,?) "
        "ON CONFLICT(chat_id) DO UPDATE SET article_ids = excluded.article_ids, "
        "question = excluded.question, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
        (chat_id, json.dumps(list(article_ids)), question),
    )


def load_chat_context(conn: sqlite3.Connection, chat_id: int) -> tuple[list[int], str | None]:
    """Return the article ids a chat was last shown and the question asked then."""
    row = conn.execute(
        "SELECT article_ids, question FROM chat_context WHERE chat_id = ?", (chat_id,)
    ).fetchone()
    if row is None:
        return [], None
    return json.loads(row[0]), row[1]


# --- operations -----------------------------------------------------------------------------------


def backup(conn: sqlite3.Connection, dest: str | Path, *, pages: int = 1024) -> None:
    """Copy the live database to ``dest`` with SQLite's online backup API (safe while in use).

    Pages are copied in steps so writers in other processes are never blocked for long; a write
    during the copy makes SQLite restart it, so the result is always one consistent snapshot.
    """
    target = sqlite3.connect(str(dest))
    try:
        conn.backup(target, pages=pages, sleep=0.005)
        target.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
    finally:
        target.close()


def stats(conn: sqlite3.Connection) -> dict:
    """Return archive figures for operators: articles, sources, feeds, subscriptions, size."""
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    page_size = one("PRAGMA page_size")
    return {
        "schema_version": schema_version(conn),
        "articles": one("SELECT count(*) FROM articles"),
        "latest_published": one("SELECT max(published) FROM articles"),
        "last_added": one("SELECT max(added_at) FROM articles"),
        "sources": [
            {"source": r[0], "articles": r[1]}
            for r in conn.execute(
                "SELECT coalesce(source, '?'), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
            )
        ],
        "passages": one("SELECT count(*) FROM passages"),
        "facts": one("SELECT count(*) FROM facts"),
        "names_learned": one("SELECT count(*) FROM names"),
        "feeds": one("SELECT count(*) FROM feeds"),
        "feeds_failing": one("SELECT count(*) FROM feeds WHERE failures > 0"),
        "subscriptions_active": one("SELECT count(*) FROM subscriptions WHERE active = 1 AND paused IS NULL"),
        "subscriptions": one("SELECT count(*) FROM subscriptions"),
        "deliveries": one("SELECT count(*) FROM deliveries WHERE status = 'sent'"),
        "users_allowed": one("SELECT count(*) FROM users WHERE status = 'allowed'"),
        "database_bytes": one("PRAGMA page_count") * page_size,
    }


def integrity_ok(conn: sqlite3.Connection) -> bool:
    """True when SQLite's quick check finds the file sound."""
    return conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
