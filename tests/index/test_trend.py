"""Trends: matching articles per day, week or month, counted with the search's own matching."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from arshif.index import search, store, trend
from arshif.index.ingest import ingest_paths


def _archive(tmp_path: Path, docs: list[tuple[str, str, str | None, str]]) -> sqlite3.Connection:
    """An archive of (title, body, published, source) articles."""
    path = tmp_path / "docs.json"
    path.write_text(json.dumps([
        {"title": t, "content": b, "published": p, "source": s, "url": f"https://example.org/{i}"}
        for i, (t, b, p, s) in enumerate(docs)
    ], ensure_ascii=False), encoding="utf-8")
    conn = store.connect(tmp_path / "trend.db")
    ingest_paths(conn, [path], workers=1)
    return conn


@pytest.fixture
def canal(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    docs = [
        ("قناة السويس الجديدة", "افتتاح قناة السويس الجديدة اليوم.", "2015-08-06", "alyaum"),
        ("احتفال في الإسماعيلية", "احتفلت مصر بقناة السويس الجديدة.", "2015-08-06", "okaz"),
        ("سفن تعبر", "أول السفن تعبر قناة السويس في التجربة.", "2015-08-06", "alyaum"),
        ("مميش يتحدث", "رئيس هيئة قناة السويس يتحدث عن الإيرادات.", "2015-08-04", "okaz"),
        ("خبر آخر", "لا علاقة له بالموضوع مطلقا.", "2015-08-05", "okaz"),
        ("بلا تاريخ", "قناة السويس بلا تاريخ نشر معروف.", None, "sabq"),
    ]
    conn = _archive(tmp_path, docs)
    yield conn
    conn.close()


@pytest.mark.parametrize(("first", "last", "bucket"), [
    (date(2015, 7, 21), date(2015, 8, 11), "day"),
    (date(2015, 1, 1), date(2015, 3, 4), "day"),  # 62 days
    (date(2015, 1, 1), date(2015, 3, 5), "week"),
    (date(2015, 1, 1), date(2016, 12, 31), "week"),
    (date(2015, 1, 1), date(2017, 1, 2), "month"),
])
def test_bucket_follows_the_span(first: date, last: date, bucket: str) -> None:
    assert trend.bucket_for(first, last) == bucket


@pytest.mark.parametrize(("day", "bucket", "start"), [
    (date(2015, 8, 6), "day", date(2015, 8, 6)),
    (date(2015, 8, 6), "week", date(2015, 8, 3)),  # a Thursday; weeks start on Monday
    (date(2015, 8, 6), "month", date(2015, 8, 1)),
])
def test_bucket_start(day: date, bucket: str, start: date) -> None:
    assert trend.bucket_start(day, bucket) == start


def test_counts_per_day_with_gaps_as_zero(canal: sqlite3.Connection) -> None:
    result = trend.count_trend(canal, "قناة السويس")
    assert result.bucket == "day"
    assert result.points == ((date(2015, 8, 4), 1), (date(2015, 8, 5), 0), (date(2015, 8, 6), 3))
    assert result.total == 5 and result.undated == 1
    assert result.peak == (date(2015, 8, 6), 3)


def test_counts_match_the_search(canal: sqlite3.Connection) -> None:
    for query in ("قناة السويس", "السويس -الإيرادات", '"قناة السويس الجديدة"', "الجديدة"):
        assert trend.count_trend(canal, query).total == search.run(canal, query).total, query


def test_all_words_then_any_word_like_the_search(canal: sqlite3.Connection) -> None:
    result = trend.count_trend(canal, "الإيرادات مطلقا")  # no article has both
    assert result.total == 2 == search.run(canal, "الإيرادات مطلقا").total


def test_one_line_per_source(canal: sqlite3.Connection) -> None:
    result = trend.count_trend(canal, "قناة السويس", by_source=True)
    assert result.by_source == {"alyaum": (0, 0, 2), "okaz": (1, 0, 1)}


def test_the_rest_of_the_sources_are_one_line(tmp_path: Path) -> None:
    docs = [(f"خبر {i}", "قناة السويس", "2015-08-01", f"src{i}") for i in range(7)]
    conn = _archive(tmp_path, docs)
    lines = trend.count_trend(conn, "السويس", by_source=True).by_source
    assert len(lines) == trend.MAX_SOURCES + 1 and lines[trend.OTHER] == (2,)
    conn.close()


def test_long_spans_count_per_month(tmp_path: Path) -> None:
    docs = [("a", "قناة السويس", "2013-01-15", "x"), ("b", "قناة السويس", "2013-01-20", "x"),
            ("c", "قناة السويس", "2015-03-02", "x")]
    conn = _archive(tmp_path, docs)
    result = trend.count_trend(conn, "السويس")
    assert result.bucket == "month"
    assert result.points[0] == (date(2013, 1, 1), 2) and result.points[-1] == (date(2015, 3, 1), 1)
    assert len(result.points) == 27
    assert trend.count_trend(conn, "السويس", bucket="week").bucket == "week"
    conn.close()


def test_nothing_found_has_no_points(canal: sqlite3.Connection) -> None:
    result = trend.count_trend(canal, "كلمةغيرموجودة")
    assert result.total == 0 and result.points == () and result.peak is None
    assert result.as_dict()["peak"] is None


def test_json_form(canal: sqlite3.Connection) -> None:
    out = trend.count_trend(canal, "قناة السويس").as_dict()
    assert out["peak"] == {"date": "2015-08-06", "count": 3}
    assert out["points"][0] == {"date": "2015-08-04", "count": 1}
