"""Date phrases in Arabic and English: spans in the original text, periods resolved against a reference."""

from __future__ import annotations

import itertools
import time
from datetime import date

import pytest
from arshif.index.analysis import normalize_with_map
from arshif.index.dates import (
    DateMention,
    _Normalized,
    extract_dates,
    format_date,
    parse_date,
    parse_date_bound,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TUE = date(2021, 8, 10)  # a Tuesday; most rows resolve against it


def _iso(text: str) -> date:
    return date.fromisoformat(text)


# (text, reference, phrase as written, period "first..last" or one day, precision)
# fmt: off
CASES: list[tuple[str, date | None, str, str, str]] = [
    # --- explicit Arabic dates, both month-name sets ---
    ("وقعت الاتفاقية في 10 أغسطس 2021 بالرباط", TUE, "10 أغسطس 2021", "2021-08-10", "day"),
    ("في 10 اغسطس 2021", None, "10 اغسطس 2021", "2021-08-10", "day"),
    ("بتاريخ ١٠ آب ٢٠٢١ وقعت", None, "١٠ آب ٢٠٢١", "2021-08-10", "day"),
    ("بتاريخ ۱۰ آب ۲۰۲۱ وقعت", None, "۱۰ آب ۲۰۲۱", "2021-08-10", "day"),
    ("افتتح في 5 يونيه 2020", None, "5 يونيه 2020", "2020-06-05", "day"),
    ("صدر في 3 يوليه 2019", None, "3 يوليه 2019", "2019-07-03", "day"),
    ("في 1 سبتمبر 2020 بدأ", None, "1 سبتمبر 2020", "2020-09-01", "day"),
    ("في كانون الثاني 2021 أعلن", None, "كانون الثاني 2021", "2021-01-01..2021-01-31", "month"),
    ("منذ شباط 2020", None, "شباط 2020", "2020-02-01..2020-02-29", "month"),
    ("في آذار 2019", None, "آذار 2019", "2019-03-01..2019-03-31", "month"),
    ("في نيسان 2018", None, "نيسان 2018", "2018-04-01..2018-04-30", "month"),
    ("في أيار 2017", None, "أيار 2017", "2017-05-01..2017-05-31", "month"),
    ("في حزيران 2016", None, "حزيران 2016", "2016-06-01..2016-06-30", "month"),
    ("في تموز 2015", None, "تموز 2015", "2015-07-01..2015-07-31", "month"),
    ("في أيلول 2014", None, "أيلول 2014", "2014-09-01..2014-09-30", "month"),
    ("في تشرين الأول 2013", None, "تشرين الأول 2013", "2013-10-01..2013-10-31", "month"),
    ("في تشرين الثاني 2012", None, "تشرين الثاني 2012", "2012-11-01..2012-11-30", "month"),
    ("في كانون الأول 2011", None, "كانون الأول 2011", "2011-12-01..2011-12-31", "month"),
    ("في أغسطس/آب 2021", None, "أغسطس/آب 2021", "2021-08-01..2021-08-31", "month"),
    ("في يوليو (تموز) 2021", None, "يوليو (تموز) 2021", "2021-07-01..2021-07-31", "month"),
    ("خلال يناير كانون الثاني عام 2016", None,
     "يناير كانون الثاني عام 2016", "2016-01-01..2016-01-31", "month"),
    ("الأول من يوليو 2021", None, "الأول من يوليو 2021", "2021-07-01", "day"),
    ("في الحادي والعشرين من شهر يوليو 2021", None, "الحادي والعشرين من شهر يوليو 2021", "2021-07-21", "day"),
    ("الثلاثاء 10 أغسطس 2021", None, "الثلاثاء 10 أغسطس 2021", "2021-08-10", "day"),
    ("ويتم ذلك في 15 سبتمبر", TUE, "15 سبتمبر", "2021-09-15", "day"),
    ("ويتم ذلك في 15 ديسمبر", date(2021, 1, 10), "15 ديسمبر", "2020-12-15", "day"),
    ("يبدأ في 3 يناير", date(2021, 12, 20), "3 يناير", "2022-01-03", "day"),
    ("(27 ايار/مايو)", None, "27 ايار/مايو", "", "none"),  # no year, no reference: skipped
    # --- years: only with «عام/العام/سنة» or a calendar mark ---
    ("وانخفض عدد القتلى عام 2020 بشكل كبير", None, "عام 2020", "2020-01-01..2020-12-31", "year"),
    ("أطلق في العام 2012", None, "العام 2012", "2012-01-01..2012-12-31", "year"),
    ("المبنى يعود لعام 1917", None, "لعام 1917", "1917-01-01..1917-12-31", "year"),
    ("بعد غزو عام 1941م", None, "عام 1941م", "1941-01-01..1941-12-31", "year"),
    ("في تقريره لعام 1441 هـ", None, "لعام 1441 هـ", "2019-08-31..2020-08-19", "year"),
    ("لزيارة الملك للقرينة عام 1392، و", None, "عام 1392", "1972-02-16..1973-02-03", "year"),  # bare Hijri
    ("بني عام 1400م", None, "عام 1400م", "1400-01-01..1400-12-31", "year"),
    # --- Hijri ---
    ("يبدأ الأول من رمضان 1445 هـ", None, "الأول من رمضان 1445 هـ", "2024-03-11", "day"),
    ("حتى 15 شوال 1444هـ", None, "15 شوال 1444هـ", "2023-05-05", "day"),
    ("خلال رمضان 1445 هـ", None, "رمضان 1445 هـ", "2024-03-11..2024-04-09", "month"),
    ("في نهاية رمضان 1442 هـ", None, "نهاية رمضان 1442 هـ", "2021-05-03..2021-05-12", "part_of_month"),
    ("يوم 10 ذو الحجة", TUE, "10 ذو الحجة", "2021-07-20", "day"),
    ("خلال شهر رمضان الماضي", TUE, "شهر رمضان الماضي", "2021-04-13..2021-05-12", "month"),
    # --- weekdays ---
    ("كشفت الصحيفتان، اليوم الثلاثاء، عن", TUE, "اليوم الثلاثاء", "2021-08-10", "day"),
    ("قال اليوم الأربعاء", TUE, "اليوم الأربعاء", "2021-08-04", "day"),
    ("يجتمع الخميس المقبل", TUE, "الخميس المقبل", "2021-08-12", "day"),
    ("تبدأ الجمعة القادمة", TUE, "الجمعة القادمة", "2021-08-13", "day"),
    ("يعود الثلاثاء المقبل", TUE, "الثلاثاء المقبل", "2021-08-17", "day"),
    ("وصل الثلاثاء الماضي", TUE, "الثلاثاء الماضي", "2021-08-03", "day"),
    ("غادر الأحد الماضي", TUE, "الأحد الماضي", "2021-08-08", "day"),
    ("وصل يوم الأحد إلى", TUE, "يوم الأحد", "2021-08-08", "day"),
    ("أعلن يوم الثلاثاء", TUE, "يوم الثلاثاء", "2021-08-10", "day"),
    ("قتلوا اليوم (الاثنين)، عندما", TUE, "اليوم (الاثنين)", "2021-08-09", "day"),
    ("وصل مساء أمس الاثنين", TUE, "مساء أمس الاثنين", "2021-08-09", "day"),
    ("قال الوزير السبت إن", TUE, "السبت", "2021-08-07", "day"),
    ("والتقى الوفد والخميس", TUE, "والخميس", "2021-08-05", "day"),
    # --- relative days ---
    ("أعلنت الوزارة أمس أن", TUE, "أمس", "2021-08-09", "day"),
    ("أعلنت الوزارة امس أن", TUE, "امس", "2021-08-09", "day"),
    ("وصل البارحة", TUE, "البارحة", "2021-08-09", "day"),
    ("توفي أول أمس", TUE, "أول أمس", "2021-08-08", "day"),
    ("توفي أمس الأول", TUE, "أمس الأول", "2021-08-08", "day"),
    ("يصل غداً إلى", TUE, "غداً", "2021-08-11", "day"),
    ("يصل غدا إلى", TUE, "غدا", "2021-08-11", "day"),
    ("يصل بعد غد إلى", TUE, "بعد غد", "2021-08-12", "day"),
    ("يصل يوم غد إلى", TUE, "يوم غد", "2021-08-11", "day"),
    ("أعلنت الوزارة اليوم عن", TUE, "اليوم", "2021-08-10", "day"),
    ("أصيب صباح اليوم بجروح", TUE, "صباح اليوم", "2021-08-10", "day"),
    # --- relative months, years, weeks ---
    ("التي وُقعت الشهر الماضي", TUE, "الشهر الماضي", "2021-07-01..2021-07-31", "month"),
    ("تبدأ الشهر المقبل", TUE, "الشهر المقبل", "2021-09-01..2021-09-30", "month"),
    ("تبدأ الشهر القادم", TUE, "الشهر القادم", "2021-09-01..2021-09-30", "month"),
    ("خلال الشهر الجاري", TUE, "الشهر الجاري", "2021-08-01..2021-08-31", "month"),
    ("خلال الشهر الحالي", TUE, "الشهر الحالي", "2021-08-01..2021-08-31", "month"),
    ("ارتفعت العام الماضي", TUE, "العام الماضي", "2020-01-01..2020-12-31", "year"),
    ("مقارنة بالسنة الماضية", TUE, "بالسنة الماضية", "2020-01-01..2020-12-31", "year"),
    ("يبدأ العام المقبل", TUE, "العام المقبل", "2022-01-01..2022-12-31", "year"),
    ("في السنة المقبلة", TUE, "السنة المقبلة", "2022-01-01..2022-12-31", "year"),
    ("خلال العام الجاري", TUE, "العام الجاري", "2021-01-01..2021-12-31", "year"),
    ("خلال السنة الجارية", TUE, "السنة الجارية", "2021-01-01..2021-12-31", "year"),
    ("وشهد هذا العام", TUE, "هذا العام", "2021-01-01..2021-12-31", "year"),
    ("خلال الأسبوع الماضي", TUE, "الأسبوع الماضي", "2021-07-31..2021-08-06", "week"),
    ("خلال الأسبوع المقبل", TUE, "الأسبوع المقبل", "2021-08-14..2021-08-20", "week"),
    # --- parts of months and years ---
    ("في مطلع يوليو/تموز الماضي", TUE, "مطلع يوليو/تموز الماضي", "2021-07-01..2021-07-10", "part_of_month"),
    ("في أوائل يوليو", TUE, "أوائل يوليو", "2021-07-01..2021-07-10", "part_of_month"),
    ("منذ منتصف يونيو الماضي", TUE, "منتصف يونيو الماضي", "2021-06-11..2021-06-20", "part_of_month"),
    ("في أواخر سبتمبر المقبل", TUE, "أواخر سبتمبر المقبل", "2021-09-21..2021-09-30", "part_of_month"),
    ("حتى نهاية ديسمبر 2020", None, "نهاية ديسمبر 2020", "2020-12-21..2020-12-31", "part_of_month"),
    ("مع بداية مارس 2022", None, "بداية مارس 2022", "2022-03-01..2022-03-10", "part_of_month"),
    ("أواخر الشهر الماضي", TUE, "أواخر الشهر الماضي", "2021-07-21..2021-07-31", "part_of_month"),
    ("ارتفع منذ مطلع العام", TUE, "مطلع العام", "2021-01-01..2021-04-30", "year"),
    ("انسحبت بنهاية العام الماضي", TUE, "بنهاية العام الماضي", "2020-09-01..2020-12-31", "year"),
    ("في منتصف العام المقبل", TUE, "منتصف العام المقبل", "2022-05-01..2022-08-31", "year"),
    ("في مطلع عام 2020", None, "مطلع عام 2020", "2020-01-01..2020-04-30", "year"),
    ("بلغ بنهاية العام 2014م نحو", None, "بنهاية العام 2014م", "2014-09-01..2014-12-31", "year"),
    # --- a month name with الماضي/المقبل, or after a preposition ---
    ("الموقعة في مارس الماضي", TUE, "مارس الماضي", "2021-03-01..2021-03-31", "month"),
    ("في أغسطس الماضي", TUE, "أغسطس الماضي", "2020-08-01..2020-08-31", "month"),
    ("في يناير المقبل", TUE, "يناير المقبل", "2022-01-01..2022-01-31", "month"),
    ("في ديسمبر (كانون الاول) الماضي", TUE, "ديسمبر (كانون الاول) الماضي", "2020-12-01..2020-12-31", "month"),
    ("في يوليو من العام الماضي", TUE, "يوليو من العام الماضي", "2020-07-01..2020-07-31", "month"),
    ("تنتهي في يوليو", TUE, "يوليو", "2021-07-01..2021-07-31", "month"),
    ("منذ 15 يوليو الماضي", TUE, "15 يوليو الماضي", "2021-07-15", "day"),
    ("المقرر إقامتها في 6 أغسطس المقبل", date(2015, 7, 21), "6 أغسطس المقبل", "2015-08-06", "day"),
    # --- numeric dates ---
    ("صدر بتاريخ 2021-08-10 عن", None, "2021-08-10", "2021-08-10", "day"),
    ("صدر بتاريخ 10/08/2021 عن", None, "10/08/2021", "2021-08-10", "day"),
    ("وإلى حينه 29/9/1436هـ ما بين", None, "29/9/1436هـ", "2015-07-16", "day"),
    ("الموافق 17 / 7 / 2015 م", None, "17 / 7 / 2015 م", "2015-07-17", "day"),
    ("Due 08/25/2021.", None, "08/25/2021", "2021-08-25", "day"),  # month first when it must be
    # --- English ---
    ("The deal was signed on July 5, 2021 in Rabat", None, "July 5, 2021", "2021-07-05", "day"),
    ("signed on 5 July 2021.", None, "5 July 2021", "2021-07-05", "day"),
    ("Tunis, Tunisia June 18, 2015. REUTERS", None, "June 18, 2015", "2015-06-18", "day"),
    ("Prices fell in July 2021 after", None, "July 2021", "2021-07-01..2021-07-31", "month"),
    ("They met on 5 July", TUE, "5 July", "2021-07-05", "day"),
    ("Published Aug 10, 2021", None, "Aug 10, 2021", "2021-08-10", "day"),
    ("Sales doubled in 2020.", None, "2020", "2020-01-01..2020-12-31", "year"),
    ("Talks began in early July", TUE, "early July", "2021-07-01..2021-07-10", "part_of_month"),
    ("by mid-July 2021", None, "mid-July 2021", "2021-07-11..2021-07-20", "part_of_month"),
    ("in late July", TUE, "late July", "2021-07-21..2021-07-31", "part_of_month"),
    ("until the end of July 2020", None, "the end of July 2020", "2020-07-21..2020-07-31", "part_of_month"),
    ("expected in early 2021", None, "early 2021", "2021-01-01..2021-04-30", "year"),
    ("It was signed last month", TUE, "last month", "2021-07-01..2021-07-31", "month"),
    ("It opens next month", TUE, "next month", "2021-09-01..2021-09-30", "month"),
    ("earlier this month", TUE, "this month", "2021-08-01..2021-08-31", "month"),
    ("It fell last year", TUE, "last year", "2020-01-01..2020-12-31", "year"),
    ("It opens next year", TUE, "next year", "2022-01-01..2022-12-31", "year"),
    ("earlier this year", TUE, "this year", "2021-01-01..2021-12-31", "year"),
    ("It was announced last week", TUE, "last week", "2021-08-02..2021-08-08", "week"),
    ("It opens next week", TUE, "next week", "2021-08-16..2021-08-22", "week"),
    ("They meet next Thursday", TUE, "next Thursday", "2021-08-12", "day"),
    ("They met last Tuesday", TUE, "last Tuesday", "2021-08-03", "day"),
    ("He said on Monday that", TUE, "Monday", "2021-08-09", "day"),
    ("He said yesterday that", TUE, "yesterday", "2021-08-09", "day"),
    ("He said today that", TUE, "today", "2021-08-10", "day"),
    ("He arrives tomorrow", TUE, "tomorrow", "2021-08-11", "day"),
    ("He left the day before yesterday", TUE, "the day before yesterday", "2021-08-08", "day"),
    ("It peaked in March last year", TUE, "March last year", "2020-03-01..2020-03-31", "month"),
]
# fmt: on


@pytest.mark.parametrize(("text", "reference", "phrase", "period", "precision"), CASES)
def test_extract_dates_table(
    text: str,
    reference: date | None,
    phrase: str,
    period: str,
    precision: str,
) -> None:
    found = [m for m in extract_dates(text, reference) if m.text == phrase]
    if precision == "none":
        assert found == []
        return
    assert len(found) == 1, extract_dates(text, reference)
    m = found[0]
    first, _, last = period.partition("..")
    assert (m.value, m.end_value, m.precision) == (_iso(first), _iso(last or first), precision)
    assert m.text == text[m.start : m.end]


def test_the_design_example() -> None:
    text = (
        "كشفت الصحيفتان، اليوم الثلاثاء، عن تفاصيل الاتفاقية التي وُقعت الشهر الماضي ... "
        "في مطلع يوليو/تموز الماضي ... الخميس المقبل"
    )
    got = [(m.text, m.value, m.end_value, m.precision, m.relative) for m in extract_dates(text, TUE)]
    assert got == [
        ("اليوم الثلاثاء", date(2021, 8, 10), date(2021, 8, 10), "day", True),
        ("الشهر الماضي", date(2021, 7, 1), date(2021, 7, 31), "month", True),
        ("مطلع يوليو/تموز الماضي", date(2021, 7, 1), date(2021, 7, 10), "part_of_month", True),
        ("الخميس المقبل", date(2021, 8, 12), date(2021, 8, 12), "day", True),
    ]


def test_mentions_are_sorted_and_do_not_overlap() -> None:
    text = "أمس الاثنين و10 أغسطس 2021 والأسبوع الماضي في مطلع يوليو الماضي، yesterday and 5 July 2021"
    mentions = extract_dates(text, TUE)
    assert len(mentions) == 6
    assert all(a.end <= b.start for a, b in itertools.pairwise(mentions))


def test_relative_flag() -> None:
    text = "في 10 أغسطس 2021 وفي 15 سبتمبر وأمس"
    assert [m.relative for m in extract_dates(text, TUE)] == [False, True, True]


def test_without_reference_only_absolute_dates_are_found() -> None:
    text = "أمس والخميس المقبل و15 سبتمبر والشهر الماضي ثم 10 أغسطس 2021 وعام 2020 وyesterday"
    assert [m.text for m in extract_dates(text, None)] == ["10 أغسطس 2021", "وعام 2020"]


def test_datetime_reference_is_accepted() -> None:
    from datetime import datetime

    (m,) = extract_dates("أمس", datetime(2021, 8, 10, 23, 59))
    assert m.value == date(2021, 8, 9)


@pytest.mark.parametrize(
    "text",
    [
        "بلغت قيمة الصفقة 250 مليون دولار",
        "خلال عام من العمل",
        "مر العام بسرعة",
        "بلغ عدد الزوار 2020 شخصا",
        "مارس الرئيس ضغوطا على الحكومة",
        "لا فرق بين الاثنين في الموقف",
        "كانت حالته الصحية في ذلك اليوم جيدة",
        "احتفلت المملكة باليوم الوطني",
        "في اليوم التالي عاد",
        "بناء غدٍ أفضل للجميع",
        "نيسان تطلق سيارة جديدة",
        "قال الأب إن ابنه",
        "May I ask a question?",
        "Protesters march in the capital",
        "He scored 2020 points in his career",
        "a 1.5 percent rise and 3.25 points",
    ],
)
def test_not_dates(text: str) -> None:
    assert extract_dates(text, TUE) == []


def test_spans_map_back_through_harakat_tatweel_and_ligatures() -> None:
    text = "وَقَّعَ الطرفانِ الاتفاقيةَ غــداً فـي مَطْلَعِ يُولْيُو/تَمُّوز الماضِي، ﻻ بل في ١٠ آب ٢٠٢١\xa0م"
    mentions = extract_dates(text, TUE)
    assert [m.text for m in mentions] == ["غــداً", "مَطْلَعِ يُولْيُو/تَمُّوز الماضِي", "١٠ آب ٢٠٢١\xa0م"]
    for m in mentions:
        assert m.text == text[m.start : m.end]
    assert [m.value for m in mentions] == [date(2021, 8, 11), date(2021, 7, 1), date(2021, 8, 10)]


@pytest.mark.parametrize(
    "text",
    ["", "abc", "وَقَّعَ غــداً", "ﻻ ﷺ ١٠ آب", "İstanbul 10 Ağustos", "a\u064e\u0640b c\xa0d", "x\U0001d7d9y ٣"],
)
def test_fast_normalisation_matches_analysis(text: str) -> None:
    fast = _Normalized(text)
    norm, index = normalize_with_map(text)
    assert fast.text == norm
    assert [fast.original(k) for k in range(len(norm) + 1)] == index


MIX = [
    *("أمس", "غــداً", "١٠", "آب", "2021", "مطلع", "يوليو", "/", "تموز", "الماضي", "اليوم", "الخميس"),
    *(" ", "\u064e", "\u0640", "ﻻ", "\xa0", "(", ")", "عام", "هـ", "رمضان"),
    *("July", "5", ",", "İ", "last", "week"),
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(MIX), max_size=30))
def test_any_mix_of_date_words_is_safe(parts: list[str]) -> None:
    text = "".join(parts)
    fast = _Normalized(text)
    norm, index = normalize_with_map(text)
    assert fast.text == norm
    assert [fast.original(k) for k in range(len(norm) + 1)] == index
    previous_end = 0
    for m in extract_dates(text, TUE):
        assert m.text == text[m.start : m.end]
        assert previous_end <= m.start < m.end
        assert m.value <= m.end_value
        previous_end = m.end


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\x02",
        "١" * 200_000,
        "يوليو " * 20_000,
        "/" * 200_000,
        "1/" * 100_000,
        "يوليو" + " " * 200_000 + "2021",
        "\u064e" * 200_000,
        "ﷺ" * 50_000,
        "اليوم " * 20_000,
        "31 فبراير 2021 و30 شوال 1200 هـ و99/99/9999 وعام 0000",
        "🙂 " * 10_000 + "أمس",
    ],
)
def test_junk_and_huge_inputs_do_not_raise(text: str) -> None:
    start = time.perf_counter()
    for m in extract_dates(text, TUE):
        assert m.text == text[m.start : m.end]
    assert time.perf_counter() - start < 10  # no catastrophic backtracking


def _mention(value: str, end_value: str, precision: str) -> DateMention:
    return DateMention(0, 0, "", _iso(value), _iso(end_value), precision, False)


@pytest.mark.parametrize(
    ("mention", "arabic", "english"),
    [
        (_mention("2021-08-10", "2021-08-10", "day"), "10 أغسطس 2021", "10 August 2021"),
        (_mention("2021-07-01", "2021-07-10", "part_of_month"), "أوائل يوليو 2021", "early July 2021"),
        (_mention("2021-07-11", "2021-07-20", "part_of_month"), "منتصف يوليو 2021", "mid-July 2021"),
        (_mention("2021-02-21", "2021-02-28", "part_of_month"), "أواخر فبراير 2021", "late February 2021"),
        (_mention("2021-07-01", "2021-07-31", "month"), "يوليو 2021", "July 2021"),
        (_mention("2021-01-01", "2021-12-31", "year"), "2021", "2021"),
        (_mention("2021-01-01", "2021-04-30", "year"), "أوائل 2021", "early 2021"),
        (_mention("2022-05-01", "2022-08-31", "year"), "منتصف 2022", "mid-2022"),
        (_mention("2021-08-09", "2021-08-15", "week"), "9–15 أغسطس 2021", "9–15 August 2021"),
        (_mention("2021-07-31", "2021-08-06", "week"), "31 يوليو – 6 أغسطس 2021", "31 July – 6 August 2021"),
        (_mention("2024-03-11", "2024-04-09", "month"), "11 مارس – 9 أبريل 2024", "11 March – 9 April 2024"),
        (
            _mention("2019-08-31", "2020-08-19", "year"),
            "31 أغسطس 2019 – 19 أغسطس 2020",
            "31 August 2019 – 19 August 2020",
        ),
    ],
)
def test_format_date(mention: DateMention, arabic: str, english: str) -> None:
    assert format_date(mention) == arabic
    assert format_date(mention, "ar") == arabic
    assert format_date(mention, "en") == english


def test_format_date_of_an_extracted_phrase() -> None:
    (m,) = extract_dates("في مطلع يوليو/تموز الماضي", TUE)
    assert format_date(m) == "أوائل يوليو 2021"
    assert format_date(m, "en") == "early July 2021"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 اغسطس 2021", "2021-08-10"),
        ("10 أغسطس 2021", "2021-08-10"),
        ("١٠ آب ٢٠٢١", "2021-08-10"),
        ("۱۰ آب ۲۰۲۱", "2021-08-10"),
        ("الثلاثاء 10 أغسطس 2021", "2021-08-10"),
        ("الثلاثاء 2 محرم 1443 هـ الموافق 10 أغسطس 2021", "2021-08-10"),
        ("نشر في: 10/08/2021 - 12:30", "2021-08-10"),
        ("15 شوال 1444هـ", "2023-05-05"),
        ("2021-08-10", "2021-08-10"),
        ("٢٠٢١-٠٨-١٠", "2021-08-10"),
        ("2021-08-10T23:30:00-05:00", "2021-08-10"),  # the date where it was written, not UTC
        ("2021-08-10T12:00:00.000Z", "2021-08-10"),
        ("2021-08-10 12:00:00", "2021-08-10"),
        ("Aug 10, 2021", "2021-08-10"),
        ("10 August 2021", "2021-08-10"),
        ("Tuesday, August 10, 2021", "2021-08-10"),
        ("10/08/2021", "2021-08-10"),
        ("10.08.2021", "2021-08-10"),
        ("Tue, 10 Aug 2021 12:00:00 +0300", "2021-08-10"),
        ("Tue, 10 Aug 2021 12:00:00 GMT", "2021-08-10"),
        ("  Published: 10 August 2021 14:30 GMT  ", "2021-08-10"),
    ],
)
def test_parse_date(text: str, expected: str) -> None:
    assert parse_date(text) == _iso(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "foo",
        "July 2021",
        "عام 2020",
        "أمس",
        "yesterday",
        "2021-13-45",
        "31 فبراير 2021",
        "وقعت الاتفاقية في 10 أغسطس 2021 بحضور وزير الخارجية",
        "x" * 10_000,
    ],
)
def test_parse_date_rejects(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2021", "2021-01-01", "2021-12-31"),
        ("2021-07", "2021-07-01", "2021-07-31"),
        ("2021-02", "2021-02-01", "2021-02-28"),
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2021-07-01", "2021-07-01", "2021-07-01"),
        (" 2021-7-1 ", "2021-07-01", "2021-07-01"),
        ("٢٠٢١-٠٧", "2021-07-01", "2021-07-31"),
    ],
)
def test_parse_date_bound(text: str, first: str, last: str) -> None:
    assert parse_date_bound(text, end=False) == _iso(first)
    assert parse_date_bound(text, end=True) == _iso(last)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("July", "write YYYY, YYYY-MM or YYYY-MM-DD"),
        ("", "write YYYY, YYYY-MM or YYYY-MM-DD"),
        ("21-07", "write YYYY, YYYY-MM or YYYY-MM-DD"),
        ("2021-07-01x", "write YYYY, YYYY-MM or YYYY-MM-DD"),
        ("2021-13", "months run from 01 to 12"),
        ("2021-00-10", "months run from 01 to 12"),
        ("2021-02-30", "February 2021 has 28 days"),
        ("0000", "year 0"),
    ],
)
def test_parse_date_bound_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_date_bound(text, end=False)


# «يوم الثلاثاء 11 أغسطس» is one date: the weekday word belongs to the calendar date after it, so
# no lone weekday (resolved to another day) competes with it.
WEEKDAY_WITH_DATE = [
    ("وقع الطرفان يوم الثلاثاء 11 أغسطس الاتفاقية", "يوم الثلاثاء 11 أغسطس", date(2015, 8, 11)),
    ("وصل الوفد صباح اليوم الأحد 9 أغسطس", "صباح اليوم الأحد 9 أغسطس", date(2015, 8, 9)),
    ("تبدأ الدراسة يوم الأحد، 23 أغسطس", "يوم الأحد، 23 أغسطس", date(2015, 8, 23)),
]


@pytest.mark.parametrize(("text", "phrase", "day"), WEEKDAY_WITH_DATE)
def test_weekday_word_joins_the_date(text: str, phrase: str, day: date) -> None:
    found = extract_dates(text, date(2015, 8, 9))
    assert [(m.text, m.value) for m in found] == [(phrase, day)]
