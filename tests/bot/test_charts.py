"""Charts: a real PNG, Arabic labels readable, the caption's total and peak."""

from __future__ import annotations

import io
from datetime import date

import pytest
from arshif.bot import charts
from arshif.index.trend import OTHER, Trend

POINTS = ((date(2015, 8, 4), 1), (date(2015, 8, 5), 0), (date(2015, 8, 6), 3))


def _png_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return im.size


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_render_trend_is_a_png(lang: str) -> None:
    data = charts.render_trend(Trend("قناة السويس", "day", 4, POINTS), lang)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = _png_size(data)
    assert width > 600 and height > 300


def test_render_by_source_and_a_single_point() -> None:
    lines = {"okaz": (1, 0, 1), OTHER: (0, 0, 2)}
    assert charts.render_trend(Trend("السويس", "day", 4, POINTS, lines)).startswith(b"\x89PNG")
    assert charts.render_trend(Trend("x", "month", 2, ((date(2015, 8, 1), 2),))).startswith(b"\x89PNG")


def test_arabic_is_shaped_once() -> None:
    # A renderer that shapes (matplotlib with libraqm) gets the text as written; otherwise the
    # letters are turned into their joined forms and put in visual order.
    assert charts.rtl("Suez 2015") == "Suez 2015"
    shaped = charts.visual_order("قناة")
    assert shaped != "قناة" and all("\ufe70" <= c <= "\ufeff" for c in shaped)
    assert charts.rtl("قناة") == ("قناة" if charts.RENDERER_SHAPES else shaped)


@pytest.mark.parametrize(("day", "bucket", "lang", "label"), [
    (date(2015, 8, 6), "day", "ar", "6 أغسطس"),
    (date(2015, 8, 6), "day", "en", "6 Aug"),
    (date(2015, 8, 1), "month", "ar", "أغسطس 2015"),
])
def test_date_labels(day: date, bucket: str, lang: str, label: str) -> None:
    assert charts.date_label(day, bucket, lang) == label


def test_caption_has_total_peak_and_date() -> None:
    result = Trend("قناة السويس", "day", 4, POINTS)
    assert charts.caption(result, "ar") == "«قناة السويس» — المقالات: 4 · الذروة: 3 في 6 أغسطس 2015"
    assert charts.caption(result, "en") == '"قناة السويس": 4 articles · peak 3 on 6 Aug 2015'
    weekly = Trend("x", "week", 4, ((date(2015, 8, 3), 4),))
    assert "the week of 3 Aug 2015" in charts.caption(weekly, "en")


def test_caption_when_nothing_is_dated() -> None:
    assert "none has a publication date" in charts.caption(Trend("x", "day", 2, undated=2), "en")
