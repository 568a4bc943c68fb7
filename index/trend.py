"""Coverage over time: how many articles matching a search appeared per day, week or month.

The matching is the search's own (``search.parse_query`` and ``build_match``: every word, then any
word when all of them find nothing), so a trend counts exactly the articles ``/search`` would list.
The bucket follows the span of the matching articles: days up to two months, weeks up to about
two years, months beyond. Empty buckets between the first and the last are kept (as zeros), so a
chart's gaps are real silence, not missing points.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from . import store
from .search import build_match, parse_query

__all__ = ["Trend", "bucket_for", "bucket_start", "count_trend"]

log = logging.getLogger(__name__)

DAY_SPAN = 62  # up to about two months: one point per day
WEEK_SPAN = 730  # up to two years: one point per week (Monday); beyond: per month
MAX_SOURCES = 5  # lines per source: the biggest few, the rest as "other"
OTHER = "*other*"


@dataclass(frozen=True, slots=True)
class Trend:
    """Matching articles per bucket. ``points`` are (bucket start, count) in date order, gaps as 0;
    ``by_source`` maps a source (``OTHER`` for the rest) to counts aligned with ``points``."""

    query: str
    bucket: str  # day | week | month
    total: int  # matching articles, dated or not
    points: tuple[tuple[date, int], ...] = ()
    by_source: dict[str, tuple[int, ...]] = field(default_factory=dict)
    undated: int = 0

    @property
    def peak(self) -> tuple[date, int] | None:
        """Return the first bucket with the most articles, or None when nothing is dated."""
        if not self.points:
            return None
        return max(self.points, key=lambda p: (p[1], -p[0].toordinal()))

    def as_dict(self) -> dict:
        """Return the JSON form printed by ``arshif trend --json``."""
        peak = self.peak
        return {
            "query": self.query,
            "bucket": self.bucket,
            "total": self.total,
            "undated": self.undated,
            "peak": {"date": peak[0].isoformat(), "count": peak[1]} if peak else None,
            "points": [{"date": d.isoformat(), "count": n} for d, n in self.points],
            "by_source": {s: list(c) for s, c in self.by_source.items()},
        }


def bucket_for(first: date, last: date) -> str:
    """Return the bucket that keeps a chart readable over this span: day, week or month."""
    span = (last - first).days
    if span <= DAY_SPAN:
        return "day"
    return "week" if span <= WEEK_SPAN else "month"


def bucket_start(day: date, bucket: str) -> date:
    """Return the first day of the bucket holding ``day`` (weeks start on Monday)."""
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next(start: date, bucket: str) -> date:
    if bucket == "day":
        return start + timedelta(days=1)
    if bucket == "week":
        return start + timedelta(days=7)
    return date(start.year + (start.month == 12), start.month % 12 + 1, 1)


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def count_trend(conn: sqlite3.Connection, query: str, *, by_source: bool = False,
                bucket: str | None = None) -> Trend:
    """Return the articles matching ``query`` counted per day, week or month (chosen from the span
    unless ``bucket`` is given), optionally per source. Raises what ``search.run`` raises."""
    started = time.perf_counter()
    parsed = parse_query(query)
    match = build_match(parsed)
    rows = store.count_by_day(conn, match, parsed.filters, by_source=by_source)
    if not rows and len(parsed.terms) + len(parsed.phrases) > 1:
        rows = store.count_by_day(conn, build_match(parsed, any_term=True), parsed.filters, by_source=by_source)
    total = sum(n for _, _, n in rows)
    dated = [(d, src, n) for day, src, n in rows if (d := _day(day)) is not None]
    undated = total - sum(n for _, _, n in dated)
    if not dated:
        return Trend(query, bucket or "day", total, undated=undated)
    bucket = bucket or bucket_for(min(d for d, _, _ in dated), max(d for d, _, _ in dated))
    counts: Counter[date] = Counter()
    per_source: dict[str, Counter[date]] = defaultdict(Counter)
    for d, src, n in dated:
        b = bucket_start(d, bucket)
        counts[b] += n
        if by_source:
            per_source[src or "?"][b] += n
    starts = []
    b, last = min(counts), max(counts)
    while b <= last:
        starts.append(b)
        b = _next(b, bucket)
    points = tuple((b, counts.get(b, 0)) for b in starts)
    lines: dict[str, tuple[int, ...]] = {}
    if by_source:
        ranked = sorted(per_source, key=lambda s: (-sum(per_source[s].values()), s))
        for src in ranked[:MAX_SOURCES]:
            lines[src] = tuple(per_source[src].get(b, 0) for b in starts)
        rest = ranked[MAX_SOURCES:]
        if rest:
            lines[OTHER] = tuple(sum(per_source[s].get(b, 0) for s in rest) for b in starts)
    log.info("trend: %d chars, %d articles, %d %s buckets, %.1f ms", len(query), total, len(points), bucket,
             (time.perf_counter() - started) * 1000)
    return Trend(query, bucket, total, points, lines, undated)
