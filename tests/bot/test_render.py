"""Rendering replies for Telegram: escaping, bold answers, right-to-left marks, splitting, buttons.

The fake Bot API server's HTML parser (the same rules as Telegram's) is the judge of validity: a
part it rejects is a message Telegram would reject with a 400.
"""

from __future__ import annotations

import re

import pytest
from arshif.bot.core import Button, FactLine, Item, Reply, SourceLine
from arshif.bot.render import (
    CALLBACK_DATA_LIMIT,
    FSI,
    MESSAGE_LIMIT,
    PDI,
    RLM,
    apply_bidi,
    callback_data_ok,
    escape,
    mark,
    render_html,
    render_plain,
    split_html,
    utf16_len,
    visible_text,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.telegram_html import parse_html

AR_SOURCE = SourceLine(1, "وزيرا الطاقة يوقعان اتفاقية", "https://example.org/a?x=1&y=2", "2024-03-14", "wire")
NASTY = 'R&D <script>alert("x")</script> & <b>not bold</b>'


def bold_texts(markup: str) -> list[str]:
    """Returns the visible texts Telegram would show in bold."""
    text, entities = parse_html(markup)
    utf16 = text.encode("utf-16-le")
    return [utf16[2 * e["offset"]: 2 * (e["offset"] + e["length"])].decode("utf-16-le")
            for e in entities if e["type"] == "bold"]


def strip_bidi(text: str) -> str:
    return text.replace(RLM, "").replace(FSI, "").replace(PDI, "")


# --- escaping and bold -------------------------------------------------------------------------


def test_article_strings_are_escaped_everywhere() -> None:
    source = SourceLine(7, NASTY, "https://example.org/?a=1&b=<2>", "2024-01-01", "src & co")
    reply = Reply("en", items=(Item(source, f"excerpt {NASTY}", ()),), facts=(FactLine("person", "Who", NASTY, NASTY),))
    [message] = render_html(reply)
    text, entities = parse_html(message)  # raises on any unescaped tag
    assert text.count(NASTY) == 4  # fact, role, excerpt and title: shown literally, not as markup
    assert "src & co" in text
    links = [e for e in entities if e["type"] == "text_link"]
    assert links == [{"offset": links[0]["offset"], "length": len(NASTY), "type": "text_link",
                      "url": "https://example.org/?a=1&b=<2>"}]
    assert "<script>" not in message


def test_highlight_spans_are_bold_and_merged() -> None:
    text = "وقع الاتفاقية سامر الخطيب ونظيره هشام عبد الرحمن <x> & co"
    a, b, c = text.index("سامر"), text.index("هشام"), text.index("<x>")
    # Overlapping, adjacent and out-of-range spans.
    spans = [(a, a + 6), (a + 3, a + 11), (b, b + 8), (b + 8, b + 15), (c, c + 3), (90, 99)]
    markup = mark(text, spans)
    assert bold_texts(markup) == ["سامر الخطيب", "هشام عبد الرحمن", "<x>"]
    assert visible_text(markup) == text


def test_answer_reply_puts_facts_first_then_excerpt_then_source() -> None:
    excerpt = "ووقع الاتفاقية وزير الطاقة الأردني سامر الخطيب ونظيره المصري هشام عبد الرحمن."
    spans = tuple((excerpt.index(name), excerpt.index(name) + len(name)) for name in ("سامر الخطيب", "هشام عبد الرحمن"))
    reply = Reply(
        "ar", kind="answer",
        facts=(FactLine("person", "من", "سامر الخطيب", "وزير الطاقة الأردني"),
               FactLine("date", "متى", "14 مارس 2024", "«اليوم الخميس»")),
        items=(Item(AR_SOURCE, excerpt, spans),),
    )
    [message] = render_html(reply)
    text = strip_bidi(parse_html(message)[0])
    who, when = text.index("سامر الخطيب — وزير الطاقة الأردني"), text.index("14 مارس 2024 — «اليوم الخميس»")
    assert who < when < text.index("ووقع الاتفاقية") < text.index(AR_SOURCE.title)
    assert bold_texts(message)[-2:] == ["سامر الخطيب", "هشام عبد الرحمن"]
    assert "2024-03-14" in text and "wire" in text


def test_short_answer_line_when_no_fact_says_it() -> None:
    reply = Reply("en", kind="answer", answer="a 600-megawatt plant", items=(Item(AR_SOURCE, "x"),))
    [message] = render_html(reply)
    assert "a 600-megawatt plant" in bold_texts(message)


# --- right to left -----------------------------------------------------------------------------


def test_arabic_lines_start_with_rlm_and_isolate_latin_runs() -> None:
    markup = apply_bidi(
        "وقعت الاتفاقية شركة NSO في 2021-07-01 بقيمة 250 مليون\n"
        'Plain English line with <a href="https://x.org/a-b">link</a>\n'
        "<b>الجواب:</b> Eleni Christodoulou — وزيرة",
        "ar",
    )
    ar1, en, ar2 = markup.split("\n")
    assert ar1.startswith(RLM) and ar2.startswith(RLM)
    assert f"{FSI}NSO{PDI}" in ar1 and f"{FSI}2021-07-01{PDI}" in ar1 and f"{FSI}250{PDI}" in ar1
    assert f"{FSI}Eleni Christodoulou{PDI}" in ar2
    assert en == 'Plain English line with <a href="https://x.org/a-b">link</a>'  # untouched
    parse_html(markup)


def test_bidi_never_touches_tags_urls_or_entities() -> None:
    markup = apply_bidi('نص <a href="https://example.org/A1?b=2&amp;c=3">رابط AB</a> &amp; &lt;x&gt; 12', "ar")
    assert 'href="https://example.org/A1?b=2&amp;c=3"' in markup
    text, entities = parse_html(markup)
    assert entities[0]["url"] == "https://example.org/A1?b=2&c=3"
    assert strip_bidi(text) == "نص رابط AB & <x> 12"


def test_arabic_indic_digits_are_left_alone() -> None:
    assert apply_bidi("تبتعث ١٢٠٠ طالب", "ar") == RLM + "تبتعث ١٢٠٠ طالب"


def test_every_arabic_line_of_a_rendered_reply_is_marked() -> None:
    reply = Reply("ar", lead="نتائج البحث", items=(Item(AR_SOURCE, "مقتطف عن Samer Al-Khatib", (), number=1),))
    [message] = render_html(reply)
    for line in message.split("\n"):
        if re.search("[\u0600-\u06ff]", visible_text(line)):
            assert line.startswith(RLM), line


# --- splitting ---------------------------------------------------------------------------------


def check_parts(parts: list[str], original: str, limit: int) -> None:
    """Every part fits, parses as Telegram HTML, and together they show all the original text."""
    assert parts
    shown = []
    for part in parts:
        assert utf16_len(part) <= limit
        text, _ = parse_html(part)  # balanced tags, whole entities
        assert text.strip()
        shown.append(text)
    squash = lambda s: re.sub(r"\s+", "", s)  # noqa: E731  (cuts fall on whitespace)
    assert squash("".join(shown)) == squash(parse_html(original)[0])


def test_long_reply_splits_under_the_limit_without_breaking_tags() -> None:
    paragraph = ("سامر الخطيب <b>وقّع</b> الاتفاقية &amp; <i>مع نظيره 😀 المصري</i> "
                 '<a href="https://example.org/x">رابط المقال</a> ') * 40
    markup = "\n\n".join([paragraph] * 6) + "\n<b>" + "كلمة " * 3000 + "</b>"
    parts = split_html(markup)
    assert len(parts) > 3
    check_parts(parts, markup, MESSAGE_LIMIT)
    # A cut inside the long bold run closes <b> and reopens it in the next part.
    assert parts[-1].startswith("<b>") and parts[-2].endswith("</b>")


def test_cut_prefers_paragraph_breaks() -> None:
    first, second = "أ" * 3000, "ب" * 3000
    parts = split_html(f"{first}\n\n{second}")
    assert [p.strip() for p in parts] == [first, second]


def test_emoji_count_two_units() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units, no spaces at all
    parts = split_html(text)
    assert [utf16_len(p) for p in parts] == [4096, 1904]


def test_a_word_longer_than_a_message_is_cut_between_characters() -> None:
    markup = "<b>" + "x" * 9000 + "</b> &amp; end"
    check_parts(split_html(markup), markup, MESSAGE_LIMIT)


@settings(max_examples=150, deadline=None)
@given(
    chunks=st.lists(
        st.one_of(
            st.text(alphabet="ab جدxy😀\n<>&\"'", min_size=0, max_size=30).map(escape),
            st.sampled_from(["<b>", "</b>", "<i>", "</i>", '<a href="https://e.org/?q=1&amp;r=2">', "</a>"]),
        ),
        max_size=80,
    ),
    limit=st.integers(min_value=60, max_value=400),
)
def test_split_property(chunks: list[str], limit: int) -> None:
    markup = _balance(chunks)
    if not parse_html(markup)[0].strip():
        assert split_html(markup, limit) == [] or utf16_len(markup) <= limit
        return
    check_parts(split_html(markup, limit), markup, limit)


def _balance(chunks: list[str]) -> str:
    """Returns the chunks with tags made well nested (drop stray closers, close what is open)."""
    out, stack = [], []
    for chunk in chunks:
        m = re.fullmatch(r"<(/?)(\w+)[^>]*>", chunk)
        if m is None:
            out.append(chunk)
        elif not m.group(1):
            if m.group(2) in stack:  # Telegram allows no nesting of the same tag
                continue
            stack.append(m.group(2))
            out.append(chunk)
        elif stack and stack[-1] == m.group(2):
            stack.pop()
            out.append(chunk)
    out.extend(f"</{name}>" for name in reversed(stack))
    return "".join(out)


# --- buttons and plain text --------------------------------------------------------------------


@pytest.mark.parametrize("data", ["a:999999999999", "m:999999999999", "l:9999", "s:999999999999:9999"])
def test_callback_schemes_fit_64_bytes(data: str) -> None:
    assert callback_data_ok(data)
    assert not callback_data_ok("s:" + "٩" * 40)  # 80 bytes: Arabic digits are 2 bytes each
    assert CALLBACK_DATA_LIMIT == 64


def test_plain_text_marks_the_answer() -> None:
    reply = Reply("ar", facts=(FactLine("person", "من", "سامر الخطيب", "وزير"),),
                  items=(Item(AR_SOURCE, "ووقع سامر الخطيب", ((5, 16),)),),
                  buttons=((Button("📄", "a:1"),),))
    text = render_plain(reply)  # not a terminal: plain text, no ** markers (issue 9)
    assert "• من: سامر الخطيب — وزير" in text
    assert "ووقع سامر الخطيب" in text and "**" not in text
    coloured = render_plain(reply, color=True)
    assert "• من: \x1b[1mسامر الخطيب\x1b[0m — وزير" in coloured
    assert RLM not in text and "<" not in text
