"""Arabic-first analysis: normalisation, tokens with spans, terms that FTS5 sees as one token each."""

from __future__ import annotations

import re
import sqlite3

import pytest
from arshif.index.analysis import (
    _FAST_WORD_RE,
    _WORD_RE,
    EXACT_MARK,
    analyze,
    analyze_text,
    exact_family,
    exact_form,
    exact_term,
    exact_terms_between,
    fold,
    index_texts,
    is_arabic,
    normalize,
    normalize_with_map,
    term,
    terms_between,
    tokenize,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # harakat: fatha, damma, kasra, shadda, sukun, and the three tanwin
        ("كَتَبَ", "كتب"),
        ("وُقِّعت", "وقعت"),
        ("مُدَرِّسَةٌ", "مدرسة"),
        ("قَلْب", "قلب"),
        ("كتابًا", "كتابا"),
        ("كتابٍ", "كتاب"),
        ("كتابٌ", "كتاب"),
        # superscript (dagger) alef and Quranic marks
        ("الرَّحْمٰنِ", "الرحمن"),
        ("هٰذا", "هذا"),
        ("ذٰلِكَ", "ذلك"),
        ("الصّلوٰۃ", "الصلوۃ"),
        # tatweel
        ("مكتــــبة", "مكتبة"),
        ("جـميل", "جميل"),
        # alef forms
        ("أحمد", "احمد"),
        ("إسرائيل", "اسرائيل"),
        ("آثار", "اثار"),
        ("ٱلكتاب", "الكتاب"),
        # Arabic-Indic and Persian digits
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
        ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),
        ("٢٠٢١/٧/١٠", "2021/7/10"),
        # NFKC: presentation forms and ligatures
        ("ﻻ", "لا"),
        ("ﻷ", "لا"),
        ("ﺍﻟﺴﻼﻡ", "السلام"),
        ("ﷲ", "الله"),
        ("ﬁle", "file"),
        # Latin case
        ("Signed MoU", "signed mou"),
        # teh marbuta and alef maksura are kept by normalize (fold unifies them)
        ("مدرسة", "مدرسة"),
        ("مصطفى", "مصطفى"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("مدرسة", "مدرسه"), ("مصطفى", "مصطفي"), ("مدرسه", "مدرسه"), ("على", "علي"), ("plain", "plain")],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        # harakat, shadda, sukun, tanwin
        ("وُقِّعت", "وقعت"),
        ("وقّعت", "وقعت"),
        ("الاتِّفاقِيَّةُ", "الاتفاقية"),
        ("كتابًا", "كتابا"),
        ("مُدَرِّسَةٌ", "مدرسة"),
        ("الرَّحْمٰنِ", "الرحمن"),
        # tatweel
        ("مكتــــبة", "مكتبة"),
        # alef forms, also after a glued prefix
        ("أمير", "امير"),
        ("إمارة", "امارة"),
        ("آثار", "اثار"),
        ("ٱلكتاب", "الكتاب"),
        ("والأردن", "الاردن"),
        # ta marbuta / ha, indefinite and definite
        ("مدرسة", "مدرسه"),
        ("المدرسة", "المدرسه"),
        ("القاهرة", "القاهره"),
        ("المتحدة", "المتحده"),
        ("للطاقة", "للطاقه"),
        # alef maksura / ya
        ("مصطفى", "مصطفي"),
        ("مستشفى", "مستشفي"),
        ("المستشفى", "المستشفي"),
        ("موسى", "موسي"),
        # digits
        ("٢٠٢١", "2021"),
        ("۲۰۲۱", "2021"),
        # presentation forms
        ("ﻻعب", "لاعب"),
        ("ﷲ", "الله"),
        # Latin case and English stems
        ("Signed", "signed"),
        ("signing", "signed"),
        ("signs", "sign"),
        ("agreements", "agreement"),
    ],
)
def test_spelling_variants_share_a_term(variant: str, canonical: str) -> None:
    assert term(variant) == term(canonical)


@pytest.mark.parametrize(
    ("glued", "bare"),
    [
        # conjunction/preposition + article → the bare definite form
        ("والمغرب", "المغرب"),
        ("فالمغرب", "المغرب"),
        ("بالرباط", "الرباط"),
        ("كالرباط", "الرباط"),
        ("للطاقة", "الطاقة"),
        ("وبالرباط", "الرباط"),
        ("وللطاقة", "الطاقة"),
        ("فللطاقة", "الطاقة"),
        ("والاتفاقية", "الاتفاقية"),
        ("بالاتفاقية", "الاتفاقية"),
        ("للمدرسة", "المدرسة"),
        ("والمدرسة", "المدرسة"),
        # the article itself
        ("المغرب", "مغرب"),
        ("الرباط", "رباط"),
        ("المدرسة", "مدرسة"),
        # و/ف/ب glued to an indefinite word
        ("ومدرسة", "مدرسة"),
        ("فمدرسة", "مدرسة"),
        ("بمدرسة", "مدرسة"),
        ("ومغرب", "مغرب"),
        ("وطاقة", "طاقة"),
        # prefixes and variant spellings at once
        ("وَالمَغْرِب", "المغرب"),
        ("بالإمارات", "الامارات"),
        ("والقرى", "القري"),
    ],
)
def test_glued_prefixes(glued: str, bare: str) -> None:
    assert term(glued) == term(bare)


@pytest.mark.parametrize(
    ("word", "other"),
    [
        ("المغرب", "الرباط"),
        ("مدرسة", "مدير"),
        ("كتاب", "مكتبة"),
        ("signed", "sing"),
        ("2021", "2022"),
    ],
)
def test_different_words_keep_different_terms(word: str, other: str) -> None:
    assert term(word) != term(other)


def test_word_with_harakat_is_one_token() -> None:
    tokens = tokenize("وُقِّعت الاتفاقية")
    assert [t.text for t in tokens] == ["وُقِّعت", "الاتفاقية"]
    assert tokens[0].term == term("وقعت")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("وقّع الوزيرُ Ahmed اتفاقيةً (MoU) يوم ٢٠٢١/٧/١٠.", ["وقّع", "الوزيرُ", "Ahmed", "اتفاقيةً", "MoU", "يوم",
                                                            "٢٠٢١", "٧", "١٠"]),
        ("شركة NSO الإسرائيلية، و«بيغاسوس»", ["شركة", "NSO", "الإسرائيلية", "و", "بيغاسوس"]),
        ("مكتــــبة e-mail user_name", ["مكتــــبة", "e", "mail", "user", "name"]),
        ("  \u200f\u200e  ", []),
        ("", []),
    ],
)
def test_tokenize_words_and_spans(text: str, words: list[str]) -> None:
    tokens = tokenize(text)
    assert [t.text for t in tokens] == words
    for t in tokens:
        assert text[t.start : t.end] == t.text
        assert t.term == term(t.text)


def test_mixed_arabic_english_keeps_spans_and_english_stems() -> None:
    text = "The ministers signed the agreement; وقّع الوزيران الاتفاقية after signing talks in الرباط."
    tokens = tokenize(text)
    for t in tokens:
        assert text[t.start : t.end] == t.text
    by_text = {t.text: t.term for t in tokens}
    assert by_text["signed"] == by_text["signing"] == "sign"
    assert by_text["الاتفاقية"] == term("اتفاقية")
    assert by_text["الرباط"] == term("بالرباط")
    assert [t.start for t in tokens] == sorted(t.start for t in tokens)


MIXED = [
    "وقعت الاتفاقية في الرباط بمشاركة رئيس هيئة «السايبر» الإسرائيلية يغال أونا.",
    "Cyprus and Jordan signed a $40 million memorandum on 1 Oct 2024 (يوم الثلاثاء).",
    "وُقِّعَت مُذَكِّرَةُ التَّفاهُم في ٣ تشرين الأول/أكتوبر ۲۰۲۳، بكلفة ٤ ملايين دولار.",
    "ﻻ تعليق — said the ﬁrst official; حجم الخط + - طباعة",
    "São Paulo’s naïve café ŒUVRE İstanbul straße ǅemal",
]


@pytest.mark.parametrize("text", MIXED)
def test_tokenize_and_terms_between_agree(text: str) -> None:
    assert terms_between(text) == [t.term for t in tokenize(text)] == analyze(text)
    assert analyze_text(text) == " ".join(analyze(text))
    # any slice on token boundaries gives that slice's terms
    tokens = tokenize(text)
    if len(tokens) >= 3:
        start, end = tokens[1].start, tokens[-2].end
        assert terms_between(text, start, end) == [t.term for t in tokens[1:-1]]


def _fts5_tokens(terms: list[str]) -> list[str]:
    """Return the tokens FTS5's unicode61 tokenizer makes of the terms joined by spaces, in order."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='unicode61')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    conn.execute("INSERT INTO t (rowid, x) VALUES (1, ?)", (" ".join(terms),))
    rows = conn.execute("SELECT term, offset FROM v ORDER BY offset").fetchall()
    conn.close()
    return [r[0] for r in rows]


@pytest.mark.parametrize("text", MIXED)
def test_one_fts5_token_per_term(text: str) -> None:
    terms = analyze(text)
    assert terms and all(t.isalnum() for t in terms)
    assert len(_fts5_tokens(terms)) == len(terms)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_any_text_gives_one_fts5_token_per_term(text: str) -> None:
    tokens = tokenize(text)
    terms = [t.term for t in tokens]
    assert terms == terms_between(text)
    for t in tokens:
        assert text[t.start : t.end] == t.text
        assert t.term and t.term.isalnum()
    assert len(_fts5_tokens(terms)) == len(terms)


def test_terms_are_alphanumeric_for_the_letters_unicode61_splits() -> None:
    # New Tai Lue vowel signs are letters for Python but separators for FTS5's unicode61 tables.
    terms = analyze("aᦰb ᦱ ᳲx")
    assert len(_fts5_tokens(terms)) == len(terms) == 3


def test_retokenizing_terms_gives_the_same_terms() -> None:
    text = " ".join(MIXED)
    terms = analyze(text)
    assert re.findall(r"\w+", " ".join(terms)) == terms
    assert analyze(" ".join(terms)) == [term(t) for t in terms]


@pytest.mark.parametrize(
    "text",
    ["وُقِّعَت الاتِّفاقيةُ", "ﻻ تعليق", "مكتــــبة ٢٠٢١", "İstanbul", "plain text"],
)
def test_normalize_with_map_points_back_to_the_original(text: str) -> None:
    out, index = normalize_with_map(text)
    assert out == fold(normalize(text))
    assert len(index) == len(out) + 1
    assert index[-1] == len(text)
    assert index == sorted(index)
    for ch, i in zip(out, index, strict=False):
        assert ch in fold(normalize(text[i]))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("مرحبا", True), ("hello", False), ("hello ﻻ", True), ("١٢٣", True), ("123", False), ("", False)],
)
def test_is_arabic(text: str, expected: bool) -> None:
    assert is_arabic(text) is expected


# --- exact terms (issue 12) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "form"),
    [
        ("العملة", "عمله"), ("والعملات", "عملات"), ("بالعملة", "عمله"), ("للعملة", "عمله"),
        ("كورونا", "كورونا"), ("بكورونا", "بكورونا"),  # one-letter proclitics stay (queries add them)
        ("الكوري", "كوري"), ("المدين", "مدين"), ("المدينة", "مدينه"), ("الله", "الله"),
        ("وُقِّعت", "وقعت"), ("Running", "running"), ("٢٠١٥", "2015"),
    ],
)
def test_exact_form(word: str, form: str) -> None:
    assert exact_form(word) == form
    assert exact_term(word) == EXACT_MARK + form


@pytest.mark.parametrize(
    ("word", "member", "expected"),
    [
        ("العملة", "بالعملات", True), ("العملة", "عملتها", True), ("العملة", "العمل", False),
        ("العمل", "العملة", False), ("المدين", "المدينة", False), ("المدينة", "مدينتين", True),
        ("كورونا", "لكورونا", True), ("كورونا", "الكوري", False), ("الكوري", "الكورية", True),
        ("الكوري", "كوريا", False), ("السياسة", "السياسي", False), ("الشركة", "الشرك", False),
    ],
)
def test_exact_family(word: str, member: str, expected: bool) -> None:
    assert (exact_term(member) in exact_family(word)) is expected
    assert exact_term(word) in exact_family(word) and exact_term(word) in exact_family(word, inflections=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from("اب ـًٌٍَُِّْ٠a_.\u0610\u06d6x1"), max_size=30))
def test_fast_word_regex_finds_the_same_words(text: str) -> None:
    if "_" not in text:
        assert [m.span() for m in _FAST_WORD_RE.finditer(text)] == [m.span() for m in _WORD_RE.finditer(text)]
    stems, exacts = index_texts(text)
    assert stems == " ".join(terms_between(text))
    assert exacts == " ".join(exact_terms_between(text))
    assert len(exacts.split()) == len(tokenize(text))
    assert len(_fts5_tokens(exacts.split())) == len(exacts.split())
