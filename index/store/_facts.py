"""Facts found in articles (people, places, dates, numbers...) and the names learned from cue words."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PersonMention:
    """A person's mention: its span, the article's date, and ``around``, the body from ``around_start``."""

    article_id: int
    key: str
    text: str
    role: str | None
    start: int
    end: int
    published: str | None
    around_start: int
    around: str


@dataclass(frozen=True, slots=True)
class NearFact:
    """A fact written near a person's mention (people profiles: their organisations, places, people)."""

    kind: str
    key: str | None
    text: str
    article_id: int
    start: int


@dataclass(frozen=True, slots=True)
class StoredFact:
    """A fact found in an article at ingest (``index.facts``): its kind, span, text and reading."""

    article_id: int
    kind: str
    start: int
    end: int
    text: str
    value: str | None
    value_end: str | None
    precision: str | None
    role: str | None
    unit: str | None
    key: str | None


def facts_for(conn: sqlite3.Connection, article_ids: Iterable[int]) -> dict[int, list[StoredFact]]:
    """Return the stored facts of these articles, grouped by article, in text order."""
    out: dict[int, list[StoredFact]] = {}
    rows = conn.execute(
        "SELECT article_id, kind, start, end, text, value, value_end, precision, role, unit, key "
        "FROM facts WHERE article_id IN (SELECT value FROM json_each(?)) ORDER BY article_id, start",
        (json.dumps(list(article_ids)),),
    ).fetchall()
    for r in rows:
        out.setdefault(r[0], []).append(StoredFact(*r))
    return out


def known_names(conn: sqlite3.Connection, limit: int = 200_000) -> dict[str, str]:
    """Return names learned from the archive (key → kind), most often seen first."""
    rows = conn.execute("SELECT key, kind FROM names ORDER BY seen DESC LIMIT ?", (limit,)).fetchall()
    return {r[0]: r[1] for r in rows}


def name_counts(conn: sqlite3.Connection, keys: Iterable[str]) -> dict[str, int]:
    """Return how often each learned name was seen with a cue word (0 when never)."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return {}
    rows = conn.execute(
        "SELECT key, seen FROM names WHERE key IN (SELECT value FROM json_each(?))", (json.dumps(keys),)
    ).fetchall()
    found = {r[0]: r[1] for r in rows}
    return {k: found.get(k, 0) for k in keys}


def person_names(conn: sqlite3.Connection, *, after_id: int = 0) -> list[tuple[str, int]]:
    """Return every person key in the facts (of articles after ``after_id``) with its number of
    mentions (people profiles)."""
    if after_id:
        sql = ("SELECT key, count(*) FROM facts WHERE article_id > :after AND kind = 'person' "
               "AND key IS NOT NULL GROUP BY key")
    else:
        # NOT INDEXED: through facts_key every row is a random lookup for its kind (2 s on 31k
        # articles); one pass over the table takes 0.3 s.
        sql = "SELECT key, count(*) FROM facts NOT INDEXED WHERE kind = 'person' AND key IS NOT NULL GROUP BY key"
    rows = conn.execute(sql, {"after": after_id}).fetchall()
    return [(r[0], r[1]) for r in rows]


def person_mentions(conn: sqlite3.Connection, keys: Iterable[str], *, context: int = 150) -> list[PersonMention]:
    """Return the mentions of these person keys, ``context`` characters of body either side, by date."""
    return [PersonMention(*r) for r in conn.execute(
        "SELECT f.article_id, f.key, f.text, f.role, f.start, f.end, a.published, "
        "max(f.start - :ctx, 0) AS around_start, "
        "substr(a.body, max(f.start - :ctx, 0) + 1, f.end - max(f.start - :ctx, 0) + :ctx) AS around "
        "FROM facts f JOIN articles a ON a.id = f.article_id "
        "WHERE f.kind = 'person' AND f.key IN (SELECT value FROM json_each(:keys)) "
        "ORDER BY a.published, f.article_id, f.start",
        {"keys": json.dumps(list(keys)), "ctx": context},
    ).fetchall()]


def facts_near_people(conn: sqlite3.Connection, keys: Iterable[str], kinds: Iterable[str], *,
                      distance: int = 300) -> list[NearFact]:
    """Return the facts of ``kinds`` written within ``distance`` characters of a mention of these
    person keys."""
    return [NearFact(*r) for r in conn.execute(
        "SELECT DISTINCT o.kind, o.key, o.text, o.article_id, o.start FROM facts m "
        "JOIN facts o ON o.article_id = m.article_id AND o.start BETWEEN m.start - :d AND m.end + :d "
        "WHERE m.kind = 'person' AND m.key IN (SELECT value FROM json_each(:keys)) "
        "AND o.kind IN (SELECT value FROM json_each(:kinds)) AND o.id != m.id",
        {"keys": json.dumps(list(keys)), "kinds": json.dumps(list(kinds)), "d": distance},
    ).fetchall()]
