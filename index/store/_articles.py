"""Articles: writing an analysed batch (row, FTS5 shadow index, passages, facts, names in one
transaction), duplicates, deleting, and reading articles back."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import ArticleNotFound
from ..models import Article
from ._schema import EXACT_SCHEMA, schema_version, transaction


@dataclass(slots=True)
class PreparedArticle:
    """An article analysed and ready to write: analysed text, passages and facts included."""

    title: str
    body: str
    content_hash: str
    title_terms: str
    body_terms: str
    passages: list[tuple[int, int]]  # (start, end) in body
    facts: list[tuple]  # rows for the facts table, without article_id
    names: list[tuple[str, str]]  # (key, kind) learned from cue words
    title_exact: str = ""  # exact terms (analysis.exact_terms_between), one per token
    body_exact: str = ""
    url: str | None = None
    published: str | None = None
    source: str | None = None
    author: str | None = None
    lang: str | None = None
    ext_id: str | None = None
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class ArticleLead:
    """An article's title and the start of its body (near-duplicate signatures)."""

    id: int
    title: str
    lead: str
    source: str | None


_ARTICLE_COLUMNS = "id, title, body, url, published, source, author, lang, ext_id"


def is_duplicate(conn: sqlite3.Connection, url: str | None, content_hash: str) -> bool:
    """True when an article with this URL or this content is already stored."""
    row = conn.execute(
        "SELECT 1 FROM articles WHERE content_hash = :h OR (:u IS NOT NULL AND url = :u) LIMIT 1",
        {"h": content_hash, "u": url},
    ).fetchone()
    return row is not None


def url_exists(conn: sqlite3.Connection, url: str) -> bool:
    """True when an article with this URL is stored."""
    return conn.execute("SELECT 1 FROM articles WHERE url = ?", (url,)).fetchone() is not None


def article_id_for(conn: sqlite3.Connection, url: str | None, content_hash: str) -> int | None:
    """Return the id of the stored article with this URL or content, else None."""
    row = conn.execute(
        "SELECT id FROM articles WHERE content_hash = :h OR (:u IS NOT NULL AND url = :u) ORDER BY id LIMIT 1",
        {"h": content_hash, "u": url},
    ).fetchone()
    return row[0] if row else None


def insert_articles(conn: sqlite3.Connection, docs: Sequence[PreparedArticle]) -> list[int | None]:
    """Write a batch in one transaction; return each new id, or None for a duplicate.

    All of an article (row, index, passages, facts) is written in the same transaction, so a
    crash never leaves half an article behind. Rows of the whole batch go in with one
    ``executemany`` per table: per-row calls cost more than the writing itself.
    """
    ids: list[int | None] = []
    fts_rows: list[tuple] = []
    passage_rows: list[tuple] = []
    fact_rows: list[tuple] = []
    name_rows: list[tuple[str, str]] = []
    with transaction(conn, immediate=True):
        exact = schema_version(conn) >= EXACT_SCHEMA
        for doc in docs:
            if is_duplicate(conn, doc.url, doc.content_hash):
                ids.append(None)
                continue
            article_id = conn.execute(
                "INSERT INTO articles (ext_id, url, title, body, published, source, author, lang,"
                " content_hash, origin) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (doc.ext_id, doc.url, doc.title, doc.body, doc.published, doc.source, doc.author,
                 doc.lang, doc.content_hash, doc.origin),
            ).lastrowid
            fts_rows.append((article_id, doc.title_terms, doc.body_terms, doc.title_exact, doc.body_exact)
                            if exact else (article_id, doc.title_terms, doc.body_terms))
            passage_rows.extend((article_id, seq, start, end) for seq, (start, end) in enumerate(doc.passages))
            fact_rows.extend((article_id, *f) for f in doc.facts)
            name_rows.extend(doc.names)
            ids.append(article_id)
        conn.executemany(
            "INSERT INTO articles_fts (rowid, title, body, title_exact, body_exact) VALUES (?,?,?,?,?)"
            if exact else "INSERT INTO articles_fts (rowid, title, body) VALUES (?,?,?)", fts_rows)
        conn.executemany("INSERT INTO passages (article_id, seq, start, end) VALUES (?,?,?,?)", passage_rows)
        conn.executemany(
            "INSERT INTO facts (article_id, kind, start, end, text, value, value_end, precision, role, unit, key)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            fact_rows,
        )
        conn.executemany(
            "INSERT INTO names (key, kind) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET seen = seen + 1", name_rows
        )
    return ids


def merge_index(conn: sqlite3.Connection, *, pages: int = 2000) -> int:
    """Merge the search index's segments after a bulk ingest; return the merge steps taken.

    Every search term costs FTS5 a lookup in each segment, and a bulk ingest leaves many (automerge
    8 keeps the writing fast): on SaudiNewsNet 18 segments made an exact-form search 5x slower than
    one. With usermerge 2, merging goes on while a level holds two segments, so each level ends with
    one: an ingest's own segments merge into one, and older ones merge like a binary counter (an
    article is rewritten about log2(ingests) times). Each step is a short transaction of ``pages``.
    """
    conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('usermerge', 2)")
    steps = 0
    while True:
        before = conn.total_changes
        with transaction(conn, immediate=True):
            conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('merge', ?)", (pages,))
        steps += 1
        if conn.total_changes - before < 2:  # FTS5: no merge work was left
            return steps


def delete_article(conn: sqlite3.Connection, article_id: int, title_terms: str, body_terms: str,
                   title_exact: str = "", body_exact: str = "") -> None:
    """Remove an article and its index entries (contentless FTS5 needs the analysed text back)."""
    with transaction(conn, immediate=True):
        if schema_version(conn) >= EXACT_SCHEMA:
            conn.execute(
                "INSERT INTO articles_fts (articles_fts, rowid, title, body, title_exact, body_exact)"
                " VALUES ('delete', ?, ?, ?, ?, ?)",
                (article_id, title_terms, body_terms, title_exact, body_exact),
            )
        else:
            conn.execute(
                "INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', ?, ?, ?)",
                (article_id, title_terms, body_terms),
            )
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


def article_ext_ids(conn: sqlite3.Connection) -> dict[int, str | None]:
    """Return every article's id with the id it had in its source (``ext_id``), for evaluations."""
    return {r[0]: r[1] for r in conn.execute("SELECT id, ext_id FROM articles")}


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


def article_leads(conn: sqlite3.Connection, ids: Iterable[int], chars: int) -> list[ArticleLead]:
    """Return the articles with the first ``chars`` characters of each body as ``lead``."""
    return [ArticleLead(*r) for r in conn.execute(
        "SELECT id, title, substr(body, 1, ?) AS lead, source FROM articles "
        "WHERE id IN (SELECT value FROM json_each(?))",
        (chars, json.dumps(list(ids))),
    ).fetchall()]
