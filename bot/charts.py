"""Charts as PNG bytes: the /trend line chart, with Arabic labels readable.

Matplotlib draws text left to right, glyph by glyph, without Arabic shaping: «قناة» would come out
as four isolated letters in the wrong order. So every label goes through two steps first:
``arabic_reshaper.reshape`` (contextual letter forms and lam-alef ligatures) and then
``bidi.get_display`` (the Unicode bidi algorithm: right-to-left runs reversed into visual order,
Latin words and digits inside them left as they are). The font is matplotlib's bundled DejaVu Sans,
which has the Arabic presentation forms, so no system font is needed.

Matplotlib 3.11 and later lay text out with libraqm (``ft2font.__libraqm_version__``), which
shapes and orders Arabic itself; shaping it beforehand there would reverse it twice. So ``rtl``
leaves text as written when the renderer shapes, and does both steps only for older matplotlib.

The Agg backend is used through ``Figure`` directly (never ``pyplot``): no display, no global
state, so the bot's worker threads can draw at the same time.
"""

from __future__ import annotations

import io
import re
from datetime import date

import arabic_reshaper
from arshif.index.trend import OTHER, Trend
from bidi import get_display
from matplotlib import ft2font
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .texts import t

__all__ = ["MONTHS_AR", "RENDERER_SHAPES", "caption", "date_label", "render_trend", "rtl", "visual_order"]

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
FONT = "DejaVu Sans"
MAX_TICKS = 8
MONTHS_AR = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر",
             "نوفمبر", "ديسمبر")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# True when matplotlib's text layout shapes and orders Arabic itself (libraqm).
RENDERER_SHAPES = hasattr(ft2font, "__libraqm_version__")
_COLORS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#6e7781")


def rtl(text: str) -> str:
    """Return ``text`` ready for the renderer: as written when it shapes Arabic itself, else with
    Arabic shaped and in visual order (for a renderer that draws glyphs left to right)."""
    if RENDERER_SHAPES or not _ARABIC.search(text):
        return text
    return visual_order(text)


def visual_order(text: str) -> str:
    """Return Arabic shaped and in visual order, for renderers that draw glyphs left to right."""
    return get_display(arabic_reshaper.reshape(text))


def date_label(day: date, bucket: str, lang: str) -> str:
    """Return a bucket's label as people write it: «6 أغسطس», "6 Aug", «أغسطس 2015»."""
    months = MONTHS_AR if lang == "ar" else MONTHS_EN
    if bucket == "month":
        return f"{months[day.month - 1]} {day.year}"
    return f"{day.day} {months[day.month - 1]}"


def caption(trend: Trend, lang: str = "ar") -> str:
    """Return the chart's one-line caption: the total, the peak and its date."""
    peak = trend.peak
    if peak is None:
        return t("trend_undated", lang, total=trend.total, query=_short(trend.query))
    when = f"{date_label(peak[0], 'day', lang)} {peak[0].year}" if trend.bucket != "month" else \
        date_label(peak[0], "month", lang)
    if trend.bucket == "week":
        when = t("trend_caption_week", lang, date=when)
    return t("trend_caption", lang, query=_short(trend.query), total=trend.total, peak_count=peak[1], peak=when)


def render_trend(trend: Trend, lang: str = "ar") -> bytes:
    """Return the PNG of a trend: articles per bucket, one line in all or one per source."""
    fig = Figure(figsize=(9, 4.8), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = [d for d, _ in trend.points]
    if trend.by_source:
        for (source, counts), color in zip(trend.by_source.items(), _COLORS, strict=False):
            name = t("trend_other", lang) if source == OTHER else source
            ax.plot(xs, counts, marker="o", markersize=3, linewidth=1.6, color=color, label=rtl(name))
        ax.legend(prop={"family": FONT, "size": 9}, frameon=False)
    else:
        ax.plot(xs, [n for _, n in trend.points], marker="o", markersize=3, linewidth=2, color=_COLORS[0])
        ax.fill_between(xs, [n for _, n in trend.points], color=_COLORS[0], alpha=0.12)
    step = max(1, -(-len(xs) // MAX_TICKS))
    ticks = xs[::step]
    ax.set_xticks(ticks)
    ax.set_xticklabels([rtl(date_label(d, trend.bucket, lang)) for d in ticks], fontfamily=FONT, fontsize=9)
    if len(xs) == 1:
        ax.set_xlim(xs[0].toordinal() - 1, xs[0].toordinal() + 1)
    ax.set_ylim(bottom=0)
    ax.yaxis.get_major_locator().set_params(integer=True)
    title = t("trend_title", lang, query=_short(trend.query), bucket=t(f"trend_per_{trend.bucket}", lang))
    ax.set_title(rtl(title), fontfamily=FONT, fontsize=13)
    ax.set_ylabel(rtl(t("trend_axis", lang)), fontfamily=FONT)
    ax.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    # Fixed margins instead of tight_layout(): that draws the whole figure once more to measure it,
    # a third of the reply's time.
    fig.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.1)
    out = io.BytesIO()
    fig.savefig(out, format="png", pil_kwargs={"compress_level": 3})
    return out.getvalue()


def _short(text: str, n: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
