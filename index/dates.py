"""Date expressions in Arabic and English news text, resolved against the publication date.

``dateparser`` reads a whole string as one date, so in running text it misses «مطلع يوليو/تموز
الماضي», reads «الخميس المقبل» as a past Thursday, splits «اليوم الثلاثاء» and ignores the Levantine
months (DESIGN §3). Phrases are therefore found by rules kept as data tables below; ``dateparser`` is
only the last resort of ``parse_date`` for odd metadata strings.

The pipeline of ``extract_dates``, in order:

1. normalise once (``_Normalized``): the same output as ``analysis.normalize_with_map`` (harakat and
   tatweel gone, alef/ة/ى/digits unified, lowercase) but built with C-speed string calls, so spans
   map back to the original text;
2. prefilter (``_TRIGGER``): every phrase holds an anchor word (a month, weekday, «أمس», «عام»...) or a
   numeric date; a text without one costs one regex search;
3. try the combined regex (``_COMBINED``) only where a phrase can start (``_STARTER``: a month,
   weekday, part word, number...). Its branches are ordered most specific first («اليوم الثلاثاء»
   before «اليوم»), so the first match is the longest; each branch re-parses its match with its own
   regex and resolves it to a period. A branch that matches but does not validate («مارس» the verb,
   «31 فبراير») falls through to the next branches at the same position.
"""

from __future__ import annotations

import calendar
import email.utils
import logging
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TypeVar

from arshif.index.analysis import fold, normalize
from hijridate import Gregorian, Hijri

__all__ = ["DateMention", "extract_dates", "format_date", "parse_date", "parse_date_bound"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DateMention:
    """One date phrase of a text, with the calendar period it denotes."""

    start: int  # span in the original text
    end: int
    text: str  # the phrase as written
    value: date  # first day of the period
    end_value: date  # last day (== value for precision "day")
    precision: str  # "day" | "week" | "part_of_month" | "month" | "year"
    relative: bool  # resolved against the reference date


# --- tables: every name as it looks after normalisation (alef unified, ة→ه, ى→ي, no marks) ---------

# Both Arabic month-name sets, plus the Maghreb names met in pan-Arab wires.
AR_MONTHS: Mapping[int, tuple[str, ...]] = {
    1: ("يناير", "كانون الثاني", "كانون ثاني", "جانفي"),
    2: ("فبراير", "فبرير", "شباط", "فيفري"),
    3: ("مارس", "اذار"),
    4: ("ابريل", "نيسان", "افريل"),
    5: ("مايو", "ايار", "ماي"),
    6: ("يونيو", "يونيه", "حزيران", "جوان"),
    7: ("يوليو", "يوليه", "تموز", "جويليه", "يوليوز"),
    8: ("اغسطس", "اب", "اوت", "غشت"),
    9: ("سبتمبر", "ايلول", "شتنبر"),
    10: ("اكتوبر", "تشرين الاول", "تشرين اول"),
    11: ("نوفمبر", "تشرين الثاني", "تشرين ثاني", "نونبر"),
    12: ("ديسمبر", "كانون الاول", "كانون اول", "دجنبر"),
}
HIJRI_MONTHS: Mapping[int, tuple[str, ...]] = {
    1: ("محرم",),
    2: ("صفر",),
    3: ("ربيع الاول", "ربيع اول"),
    4: ("ربيع الاخر", "ربيع الثاني", "ربيع ثاني", "ربيع اخر"),
    5: ("جمادي الاولي", "جمادي الاول", "جمادي اولي"),
    6: ("جمادي الاخره", "جمادي الاخر", "جمادي الثانيه", "جمادي الثاني"),
    7: ("رجب",),
    8: ("شعبان",),
    9: ("رمضان",),
    10: ("شوال",),
    11: ("ذو القعده", "ذي القعده", "ذا القعده"),
    12: ("ذو الحجه", "ذي الحجه", "ذا الحجه"),
}
EN_MONTHS: Mapping[int, tuple[str, ...]] = {
    1: ("january", "jan"),
    2: ("february", "feb"),
    3: ("march", "mar"),
    4: ("april", "apr"),
    5: ("may",),
    6: ("june", "jun"),
    7: ("july", "jul"),
    8: ("august", "aug"),
    9: ("september", "sept", "sep"),
    10: ("october", "oct"),
    11: ("november", "nov"),
    12: ("december", "dec"),
}
# Month names that are also ordinary words (آب/أب "father", نيسان the carmaker, ماي/جوان names, "may",
# abbreviations): they count only with a day, a year, a modifier, a part word or a dual form.
AMBIGUOUS_MONTHS = frozenset(
    {"اب", "نيسان", "ماي", "جوان", "اوت", "صفر", "رجب", "may", "mar", "jan", "feb", "apr", "jun", "jul"}
    | {"aug", "sep", "sept", "oct", "nov", "dec"}
)

# Weekday stems after «ال»; Monday is 0 as in ``date.weekday()``.
AR_WEEKDAYS: Mapping[str, int] = {
    "اثنين": 0, "ثلاثاء": 1, "اربعاء": 2, "خميس": 3, "جمعه": 4, "سبت": 5, "احد": 6,
}  # fmt: skip
EN_WEEKDAYS: Mapping[str, int] = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
EN_WEEKDAY_ABBREVIATIONS = ("mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun")
# «الاثنين» is also "the two" and «الأحد» "the One": after these words they are not weekdays.
AR_WEEKDAY_BLOCKERS = frozenset({"بين", "كلا", "كل", "هذين", "هذان", "احد", "اي", "الواحد"})

# -1 past, 0 current, +1 next. Arabic forms also take the feminine ending (المقبلة، الماضية).
AR_MODIFIERS: Mapping[str, int] = {
    "الماضي": -1, "المنصرم": -1, "الفائت": -1, "المقبل": 1, "القادم": 1, "الجاري": 0, "الحالي": 0,
}  # fmt: skip
EN_MODIFIERS: Mapping[str, int] = {"last": -1, "past": -1, "next": 1, "coming": 1, "this": 0, "current": 0}

AR_PARTS: Mapping[str, str] = {
    "مطلع": "early", "اوائل": "early", "بدايه": "early", "بدايات": "early", "مستهل": "early",
    "بدء": "early", "منتصف": "mid", "اواسط": "mid", "اواخر": "late", "نهايه": "late", "اخر": "late",
    "ختام": "late",
}  # fmt: skip
EN_PARTS: Mapping[str, str] = {
    "early": "early", "beginning of": "early", "start of": "early", "mid": "mid", "middle of": "mid",
    "late": "late", "end of": "late",
}  # fmt: skip
# Part of a month as day ranges (None = the month's last day); part of a year as month ranges.
PART_DAYS: Mapping[str, tuple[int, int | None]] = {"early": (1, 10), "mid": (11, 20), "late": (21, None)}
PART_MONTHS: Mapping[str, tuple[int, int]] = {"early": (1, 4), "mid": (5, 8), "late": (9, 12)}

AR_UNITS: Mapping[str, str] = {"شهر": "month", "عام": "year", "سنه": "year", "اسبوع": "week"}
EN_UNITS: Mapping[str, str] = {"week": "week", "month": "month", "year": "year"}
# Arab calendars (Egypt, the Gulf) start the week on Saturday; English text follows ISO (Monday).
WEEK_START = {"ar": 5, "en": 0}

# Unmarked years read as Hijri (the range hijridate converts).
HIJRI_BARE_YEARS = range(1343, 1501)
# Time of day before a day word or weekday: «صباح اليوم», «مساء أمس», «يوم الخميس».
AR_TIMES_OF_DAY = ("صباح", "مساء", "ظهر", "ظهيره", "عصر", "فجر", "ليله", "ليل", "يوم")
_AR_UNIT_ORDINALS = ("الاول", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن", "التاسع")
# «اليوم» is not today after these words or before these adjectives.
AR_DAY_BEFORE_BLOCKERS = frozenset({"ذلك", "تلك", "نفس", "ذات", "هذا", "مثل", "ليوم", "يوم"})
AR_DAY_AFTER_BLOCKERS = frozenset(
    {"التالي", "الاخير", "الموعود", "المحدد", "المشهود", "المقرر", "الذي", "نفسه", "ذاته", "المفتوح"}
    | set(_AR_UNIT_ORDINALS)
)
# Words before a bare month name that make it a date («في يوليو»), not a verb («مارس ضغوطا»).
AR_PREPOSITIONS = frozenset({"في", "خلال", "منذ", "حتي", "قبل", "بعد", "مع", "الي", "طيله", "طوال"})
EN_PREPOSITIONS = frozenset(
    {"in", "since", "until", "till", "by", "during", "from", "before", "after", "through", "throughout"}
)


def _ar_ordinals() -> dict[str, int]:
    """Return the day ordinals 1-31 («الأول», «الحادي عشر», «الثاني والعشرين»...)."""
    compound = ("الحادي", *_AR_UNIT_ORDINALS[1:])
    table = {word: i for i, word in enumerate(_AR_UNIT_ORDINALS, 1)} | {"اول": 1, "العاشر": 10}
    table |= {f"{word} عشر": 11 + i for i, word in enumerate(compound)}
    table |= {"العشرين": 20, "الثلاثين": 30, "الحادي والثلاثين": 31}
    table |= {f"{word} والعشرين": 21 + i for i, word in enumerate(compound)}
    return table


AR_ORDINALS: Mapping[str, int] = _ar_ordinals()

# Output names (with hamza, the spelling readers expect).
_AR_OUT_MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
                  "أكتوبر", "نوفمبر", "ديسمبر")  # fmt: skip
_OUT_PARTS = {"ar": {"early": "أوائل", "mid": "منتصف", "late": "أواخر"},
              "en": {"early": "early", "mid": "mid", "late": "late"}}  # fmt: skip

# --- regex building blocks (run on normalised text) -----------------------------------------------

_SP = r"[ \t\u200e\u200f]{1,3}"  # bounded, so a run of spaces cannot make backtracking quadratic
_OSP = r"[ \t\u200e\u200f]{0,3}"
_NL = r"(?![^\W\d_])"  # no letter follows («يوليو2021» is fine)
_NW = r"(?!\w)"
_ND = r"(?!\d)"
_CONJ = r"[وف]?"  # every Arabic phrase may carry a glued «و»/«ف»: «وأمس», «و١٠ آب»
_CL = r"[وف]?[بل]?"  # glued conjunction/preposition: «وبيوليو», «لعام»
_ART = r"(?:[وف]?[بك]?ال|[وف]?لل)"  # article, possibly after و/ف/ب/ك, or «لل»
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?!\d)"


def _alternation(words: Iterable[str]) -> str:
    """Return a trie-shaped regex of ``words``: Python's re tests flat alternations one by one."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        children = sorted((ch, child) for ch, child in node.items() if ch)
        alts = [(_SP if ch == " " else re.escape(ch)) + emit(child) for ch, child in children]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return "(?:" + emit(trie) + ")"


def _with_feminine(table: Mapping[str, int]) -> dict[str, int]:
    return dict(table) | {word + "ه": v for word, v in table.items()}


_AR_MOD_TABLE = _with_feminine(AR_MODIFIERS)
_MONTH_LOOKUP: dict[str, tuple[str, int]] = {
    **{name: ("g", n) for n, names in AR_MONTHS.items() for name in names},
    **{name: ("h", n) for n, names in HIJRI_MONTHS.items() for name in names},
}
_EN_MONTH_LOOKUP = {name: n for n, names in EN_MONTHS.items() for name in names}
_EN_WEEKDAY_LOOKUP = dict(EN_WEEKDAYS) | {
    abbr: EN_WEEKDAYS[day] for abbr in EN_WEEKDAY_ABBREVIATIONS for day in EN_WEEKDAYS if day.startswith(abbr)
}

_AR_MONTH = _alternation(_MONTH_LOOKUP)
_AR_GREG_MONTH = _alternation(n for names in AR_MONTHS.values() for n in names)
_AR_WEEKDAY = _ART + _alternation(AR_WEEKDAYS)
_AR_MOD = _alternation(_AR_MOD_TABLE)
_AR_PART = _CL + _alternation(AR_PARTS)
_HIJRI_MARK = r"(?:ه|هجري|هجريه|للهجره)" + _NW
_AR_ORDINAL_STEMS = _alternation(w.removeprefix("ال") for w in AR_ORDINALS if w.startswith("ال"))
# «الأول», «بالحادي عشر», «للحادي والعشرين» (ل + ال is written «لل»), «أول».
_AR_DAYNUM = rf"(?:{_DAY}|(?:(?:[بل]?ال|لل){_AR_ORDINAL_STEMS}|اول){_NW})"
# A calendar mark after a year: «1445 هـ», «2014م».
_YEAR_SUFFIX = rf"(?:{_OSP}(?:(?P<hmark>{_HIJRI_MARK})|(?P<gmark>م{_NW}|ميلادي(?:ه)?{_NW})))?"
_AR_YEARWORD = r"(?:ال)?(?:عام|سنه)"
_AR_TOD = r"[وف]?" + _alternation(AR_TIMES_OF_DAY)
_EN_MONTH = _alternation(_EN_MONTH_LOOKUP)
_EN_WEEKDAY = _alternation(EN_WEEKDAYS)
_EN_ANY_WEEKDAY = _alternation(_EN_WEEKDAY_LOOKUP)
_EN_MOD = _alternation(EN_MODIFIERS)
_EN_PART = rf"(?:the{_SP})?(?P<part>{_alternation(EN_PARTS)})(?:{_SP}|-)"
_EN_ORD = r"(?:st|nd|rd|th)?"

# One pattern per branch, most specific first (see the module docstring). Group names are local.
_P_AR_DATE = _CONJ + (
    # «يوم الثلاثاء 11 أغسطس», «صباح اليوم الأحد 9 أغسطس»: the day word and weekday belong to the date
    rf"(?:(?:(?:(?:{_AR_TOD}{_SP})?{_ART}يوم|{_AR_TOD}){_SP})?(?P<wd>{_AR_WEEKDAY}){_OSP}[،,]?{_OSP}(?:الموافق{_SP})?)?"
    rf"(?:(?P<part>{_AR_PART}){_SP}(?:من{_SP})?)?"
    rf"(?:(?P<day>{_AR_DAYNUM}){_OSP}(?:من{_SP})?)?"
    rf"(?:(?P<shahr>{_CL}شهر){_SP})?"
    rf"(?P<cl>{_CL})(?P<month>{_AR_MONTH}){_NL}"
    rf"(?:(?:{_OSP}/|{_OSP}(?P<open>\()|{_SP}){_OSP}(?P<month2>{_AR_GREG_MONTH}){_NL}(?(open){_OSP}\)))?"
    rf"(?:{_OSP}[،,]?{_OSP}(?:من{_SP})?(?:{_AR_YEARWORD}{_OSP})?(?P<year>[12]\d\d\d){_ND}{_YEAR_SUFFIX}"
    rf"|{_SP}(?:من{_SP})?{_AR_YEARWORD}{_SP}(?P<ymod>{_AR_MOD}){_NW}"
    rf"|{_SP}(?P<mod>{_AR_MOD}){_NW})?"
)
_P_EN_DATE = (
    rf"(?:(?P<wd>{_EN_ANY_WEEKDAY})\.?,?{_SP})?"
    rf"(?:(?P<mod>{_EN_MOD}){_SP})?"
    rf"(?:{_EN_PART})?"
    rf"(?:(?P<day>{_DAY}){_EN_ORD}{_SP}(?:of{_SP})?)?"
    rf"(?P<month>{_EN_MONTH}){_NW}\.?"
    rf"(?:{_SP}(?P<day2>{_DAY}){_EN_ORD}{_NW})?"
    rf"(?:,?{_SP}(?:of{_SP})?(?P<year>[12]\d\d\d){_ND}|{_SP}(?P<ymod>{_EN_MOD}){_SP}year{_NW})?"
)
_P_NUMERIC = _CONJ + (
    r"(?:(?P<y>[12]\d\d\d)(?P<s1>[-/.])(?P<m>1[0-2]|0?[1-9])(?P=s1)(?P<d>3[01]|[12]\d|0?[1-9])"
    rf"|(?P<a>\d\d?)(?P<s2>{_OSP}[-/]{_OSP}|\.)(?P<b>\d\d?)(?P=s2)(?P<y2>[12]\d\d\d))(?![\d/]){_YEAR_SUFFIX}"
)
_P_AR_YEAR = _CONJ + (
    rf"(?:(?P<part>{_AR_PART}){_SP}(?:من{_SP})?)?"
    rf"(?:(?P<kw>{_CL}{_AR_YEARWORD}){_OSP})?"
    rf"(?P<year>[12]\d\d\d){_ND}{_YEAR_SUFFIX}"
)
_P_AR_UNIT = _CONJ + (
    rf"(?:(?P<part>{_AR_PART}){_SP}(?:من{_SP})?)?"
    rf"(?:(?P<this>[وف]?(?:هذا|هذه)){_SP})?"
    rf"{_ART}(?P<unit>{_alternation(AR_UNITS)}){_NW}"
    rf"(?:{_SP}(?P<mod>{_AR_MOD}){_NW})?"
)
_P_AR_WEEKDAY = _CONJ + (
    rf"(?:(?P<tod>(?:{_AR_TOD}{_SP})?(?:{_ART}|[وف]?)(?:يوم|امس|بارحه|غدا)|{_AR_TOD}){_OSP}(?P<open>\()?{_OSP})?"
    rf"(?P<wd>{_AR_WEEKDAY}){_NW}(?(open){_OSP}\))"
    rf"(?:{_SP}(?P<mod>{_AR_MOD}){_NW})?"
)
# Relative day words as (group, pattern, offset in days); «غد» alone is "the future", see _ar_relday.
_AR_DAY_WORDS = (
    ("ab", rf"اول{_SP}(?:من{_SP})?(?:ال)?امس|(?:ال)?امس{_SP}الاول", -2),
    ("bt", rf"بعد{_SP}(?:ال)?غد", 2),
    ("y", rf"[وف]?(?:بال|ال)?امس|{_ART}بارحه", -1),
    ("t", r"[وف]?غدا", 1),
    ("tt", r"[وف]?(?:ال)?غد", 1),
    ("d", rf"{_ART}يوم", 0),
)
_EN_DAY_WORDS = (
    ("ab", rf"the{_SP}day{_SP}before{_SP}yesterday", -2),
    ("bt", rf"the{_SP}day{_SP}after{_SP}tomorrow", 2),
    ("y", rf"yesterday|last{_SP}night", -1),
    ("t", r"tomorrow", 1),
    ("d", rf"today|tonight|this{_SP}(?:morning|afternoon|evening)", 0),
)


def _day_words(table: tuple[tuple[str, str, int], ...]) -> str:
    return "(?:" + "|".join(f"(?P<{g}>{p})" for g, p, _ in table) + ")"


_P_AR_RELDAY = _CONJ + rf"(?:(?P<tod>{_AR_TOD}){_SP})?{_day_words(_AR_DAY_WORDS)}{_NW}"
_P_EN_YEAR = rf"(?:{_EN_PART})?(?P<year>[12]\d\d\d){_ND}(?![.,]\d)"
_P_EN_UNIT = rf"(?:{_EN_PART})?(?:the{_SP})?(?P<mod>{_EN_MOD}){_SP}(?P<unit>{_alternation(EN_UNITS)}){_NW}"
_P_EN_WEEKDAY = rf"(?:(?P<mod>{_EN_MOD}){_SP})?(?P<wd>{_EN_WEEKDAY}){_NW}"
_P_EN_RELDAY = rf"{_day_words(_EN_DAY_WORDS)}{_NW}"

# The prefilter: anchor words every phrase contains, and numeric dates/years.
_TRIGGER_WORDS = (
    {w for names in (*AR_MONTHS.values(), *HIJRI_MONTHS.values()) for n in names for w in n.split()}
    - {"الاول", "اول", "الثاني", "ثاني", "الاخر", "اخر", "الاخره", "الثانيه", "الاولي", "اولي"}
    - {"ذو", "ذي", "ذا"}
) | {w for names in EN_MONTHS.values() for w in names} | set(AR_UNITS) | set(EN_UNITS) | set(
    _EN_WEEKDAY_LOOKUP
) | {"امس", "بارحه", "غدا", "غد", "يوم", "yesterday", "today", "tomorrow", "tonight", "morning",
     "afternoon", "evening", "night"}  # fmt: skip
_TRIGGER = re.compile(
    rf"(?<!\w)(?:[وفبلك]{{0,3}}(?:ال)?{_alternation(_TRIGGER_WORDS)}{_NW}"
    rf"|{_ART}{_alternation(AR_WEEKDAYS)}{_NW}|\d\d?\d?\d?[-/.]\d\d?[-/.]\d|[12]\d\d\d{_ND})"
)
# Words a phrase can begin with (every branch above starts with one). Only these positions are tried.
_AR_STARTERS = (
    {"".join(n.split()[:1]) for names in (*AR_MONTHS.values(), *HIJRI_MONTHS.values()) for n in names}
    | {w.split()[0].removeprefix("ال") for w in AR_ORDINALS}
    | set(AR_WEEKDAYS) | set(AR_PARTS) | set(AR_UNITS) | set(AR_TIMES_OF_DAY)
    | {"يوم", "امس", "بارحه", "غدا", "غد"}
)  # fmt: skip
_EN_STARTERS = (
    set(_EN_MONTH_LOOKUP) | set(_EN_WEEKDAY_LOOKUP) | set(EN_MODIFIERS) | {p.split()[0] for p in EN_PARTS}
    | {"yesterday", "today", "tomorrow", "tonight"}
)  # fmt: skip
_STARTER = re.compile(
    rf"(?<!\w)(?:[وف]?(?:[بلك]?ال|لل|[بل])?{_alternation(_AR_STARTERS)}{_NL}|[وف]?\d"
    rf"|[وف]?(?:هذا|هذه)(?={_SP}ال)|[وف]?بعد(?={_SP}(?:ال)?غد)"
    rf"|{_alternation(_EN_STARTERS)}{_NW}|the{_SP}(?:day|end|beginning|start|middle|past|coming|next|last)"
    rf"|the{_SP}(?:this|current){_SP})"
)
_NEXT_WORD = re.compile(r"[ \t\u200e\u200f]{1,3}(\w+)")
_PREV_WORD = re.compile(r"(\w+)\W{0,3}$")


# --- resolution -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Period:
    value: date
    end_value: date
    precision: str
    relative: bool = False
    hijri: bool = False


_T = TypeVar("_T")
_Resolver = Callable[[re.Match[str], "date | None"], "_Period | None"]


def _greg(g: Gregorian) -> date:
    return date(*g.datetuple())


def _lookup(table: Mapping[str, _T], word: str | None) -> _T | None:
    """Return ``table[word]``, allowing up to two glued particles (و ف ب ل ك) before it."""
    if not word:
        return None
    word = " ".join(word.split())
    for k in range(3):
        if word[k:] in table and all(c in "وفبلك" for c in word[:k]):
            return table[word[k:]]
    return None


def _has(words: frozenset[str], word: str) -> bool:
    """True when ``word`` is in ``words``, allowing glued particles as ``_lookup`` does."""
    return any(word[k:] in words and all(c in "وفبلك" for c in word[:k]) for k in range(3))


def _prev_word(text: str, start: int) -> str:
    m = _PREV_WORD.search(text, max(0, start - 24), start)
    return m.group(1) if m else ""


def _month_period(cal: str, year: int, month: int, day: int | None, part: str | None) -> _Period | None:
    """Return the Gregorian period of a day, part of a month or month in either calendar."""
    try:
        if cal == "h":
            length = Hijri(year, month, 1).month_length()

            def to_date(d: int) -> date:
                return _greg(Hijri(year, month, d).to_gregorian())
        else:
            length = calendar.monthrange(year, month)[1]

            def to_date(d: int) -> date:
                return date(year, month, d)

        if day is not None:
            return _Period(to_date(day), to_date(day), "day", hijri=cal == "h") if day <= length else None
        if part is not None:
            lo, hi = PART_DAYS[part]
            return _Period(to_date(lo), to_date(min(hi or length, length)), "part_of_month", hijri=cal == "h")
        return _Period(to_date(1), to_date(length), "month", hijri=cal == "h")
    except (ValueError, OverflowError):
        return None


def _year_period(cal: str, year: int, part: str | None) -> _Period | None:
    """Return a year (or its early/mid/late third, still precision "year") as a Gregorian period."""
    lo, hi = PART_MONTHS[part] if part else (1, 12)
    first, last = _month_period(cal, year, lo, None, None), _month_period(cal, year, hi, None, None)
    if first is None or last is None:
        return None
    return _Period(first.value, last.end_value, "year", hijri=cal == "h")


def _calendar_year(cal: str, ref: date) -> int | None:
    if cal == "g":
        return ref.year
    try:
        return Gregorian(ref.year, ref.month, ref.day).to_hijri().year
    except (ValueError, OverflowError):
        return None


def _distance(p: _Period, ref: date) -> int:
    if p.value <= ref <= p.end_value:
        return 0
    return min(abs((p.value - ref).days), abs((p.end_value - ref).days))


def _choose(make: Callable[[int], _Period | None], base: int, mod: int | None, ref: date) -> _Period | None:
    """Pick the year for a period named without one, relative to the reference date.

    -1 (الماضي/last): the latest that ended before the reference; +1: the earliest that starts after it;
    0: the reference's own year; None: the nearest (news reports the recent past, so ties go back).
    """
    if mod == 0:
        found = make(base)
    else:
        periods = [p for y in range(base - 2, base + 3) if (p := make(y)) is not None]
        if mod == -1:
            found = next((p for p in reversed(periods) if p.end_value < ref), None)
        elif mod == 1:
            found = next((p for p in periods if p.value > ref), None)
        else:
            found = min(periods, key=lambda p: (_distance(p, ref), p.value > ref), default=None)
    return replace(found, relative=True) if found else None


def _resolve_month_phrase(
    cal: str, month: int, day: int | None, part: str | None, year: int | None, mod: int | None,
    ymod: int | None, ref: date | None,
) -> _Period | None:  # fmt: skip
    if year is not None:
        return _month_period(cal, year, month, day, part)
    if ref is None or (base := _calendar_year(cal, ref)) is None:
        return None
    if ymod is not None:
        found = _month_period(cal, base + ymod, month, day, part)
        return replace(found, relative=True) if found else None
    return _choose(lambda y: _month_period(cal, y, month, day, part), base, mod, ref)


def _relative_unit(unit: str, mod: int, part: str | None, ref: date, lang: str) -> _Period | None:
    """Return this/last/next week, month or year; a part word narrows a month or a year."""
    if unit == "week":
        start = ref - timedelta(days=(ref.weekday() - WEEK_START[lang]) % 7) + timedelta(weeks=mod)
        return _Period(start, start + timedelta(days=6), "week", relative=True)
    if unit == "month":
        y, m = divmod(ref.year * 12 + ref.month - 1 + mod, 12)
        found = _month_period("g", y, m + 1, None, part)
    else:
        found = _year_period("g", ref.year + mod, part)
    return replace(found, relative=True) if found else None


def _weekday(wd: int, mod: int | None, ref: date) -> _Period:
    """Return the day named by a weekday: next/last occurrence, else the nearest past one (news)."""
    if mod == 1:
        day = ref + timedelta(days=(wd - ref.weekday() - 1) % 7 + 1)
    elif mod == -1:
        day = ref - timedelta(days=(ref.weekday() - wd - 1) % 7 + 1)
    elif mod == 0:
        day = ref + timedelta(days=(wd - ref.weekday()) % 7)
    else:  # «يوم الأحد», «اليوم الثلاثاء», "on Monday": today or within the past week
        day = ref - timedelta(days=(ref.weekday() - wd) % 7)
    return _Period(day, day, "day", relative=True)


def _on(day: date) -> _Period:
    return _Period(day, day, "day", relative=True)


# --- branches: each takes its own match and the reference date, returns a period or None ----------


def _ar_day(text: str | None) -> int | None:
    """Return the day of «15», «الأول», «للحادي والعشرين», else None."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    word = " ".join(text.split())
    word = "ال" + word[2:] if word.startswith("لل") else word.removeprefix("ب").removeprefix("ل")
    return AR_ORDINALS.get(word)


def _ar_date(m: re.Match[str], ref: date | None) -> _Period | None:
    g = m.groupdict()
    month_name = " ".join(g["month"].split())
    cal, month = _MONTH_LOOKUP[month_name]
    day = _ar_day(g["day"])
    if g["wd"] and day is None:
        return None  # a weekday before a month alone is two phrases; the weekday branch takes it
    part = _lookup(AR_PARTS, g["part"])
    year = int(g["year"]) if g["year"] else None
    mod, ymod = _AR_MOD_TABLE.get(g["mod"] or ""), _AR_MOD_TABLE.get(g["ymod"] or "")
    strong = any(x is not None for x in (day, part, year, mod, ymod, g["month2"], g["shahr"]))
    if month_name in AMBIGUOUS_MONTHS and (g["cl"] or not strong):
        return None
    if cal == "h" and not (day or year or part or mod is not None):
        return None  # «شهر رمضان» is the season, not a dated event
    if not strong and not g["cl"] and not _has(AR_PREPOSITIONS, _prev_word(m.string, m.start())):
        return None  # «مارس» alone is usually the verb
    if cal == "g" and g["hmark"]:
        return None
    return _resolve_month_phrase(cal, month, day, part, year, mod, ymod, ref)


def _en_date(m: re.Match[str], ref: date | None) -> _Period | None:
    g = m.groupdict()
    day_text = g["day"] or g["day2"]
    if g["wd"] and not day_text:
        return None
    day = int(day_text) if day_text else None
    part = EN_PARTS.get(" ".join(g["part"].split())) if g["part"] else None
    year = int(g["year"]) if g["year"] else None
    mod, ymod = EN_MODIFIERS.get(g["mod"] or ""), EN_MODIFIERS.get(g["ymod"] or "")
    if all(x is None for x in (day, part, year, mod, ymod)) and (
        g["month"] in AMBIGUOUS_MONTHS or _prev_word(m.string, m.start()) not in EN_PREPOSITIONS
    ):
        return None  # "march"/"may" as words; a bare month counts after "in", "since"...
    return _resolve_month_phrase("g", _EN_MONTH_LOOKUP[g["month"]], day, part, year, mod, ymod, ref)


def _year_calendar(m: re.Match[str], year: int) -> str:
    """Return "h" for a Hijri year: marked «هـ», or unmarked in 1343-1500 AH (1924-2077), years no
    Gregorian news date has but Saudi papers write bare («عام 1392», «29/9/1436»)."""
    return "h" if m.group("hmark") or (year in HIJRI_BARE_YEARS and not m.group("gmark")) else "g"


def _numeric(m: re.Match[str], ref: date | None) -> _Period | None:
    g = m.groupdict()
    if g["y"]:
        y, mo, d = int(g["y"]), int(g["m"]), int(g["d"])
    else:  # day first (Arabic and British usage); month first only when the day cannot be a month
        a, b, y = int(g["a"]), int(g["b"]), int(g["y2"])
        d, mo = (a, b) if b <= 12 else (b, a)
    return _month_period(_year_calendar(m, y), y, mo, d, None) if 1 <= mo <= 12 and d >= 1 else None


def _ar_year(m: re.Match[str], ref: date | None) -> _Period | None:
    g = m.groupdict()
    if not (g["part"] or g["kw"] or g["hmark"]):
        return None  # a bare four-digit number is usually a quantity
    year = int(g["year"])
    return _year_period(_year_calendar(m, year), year, _lookup(AR_PARTS, g["part"]))


def _ar_unit(m: re.Match[str], ref: date | None) -> _Period | None:
    g = m.groupdict()
    mod = _AR_MOD_TABLE.get(g["mod"] or "")
    if ref is None or (mod is None and not g["this"] and not g["part"]):
        return None  # «العام» alone is not a date
    unit = AR_UNITS[g["unit"]]
    return _relative_unit(unit, mod or 0, _lookup(AR_PARTS, g["part"]), ref, "ar")


def _ar_weekday(m: re.Match[str], ref: date | None) -> _Period | None:
    g = m.groupdict()
    stem = re.sub(f"^{_ART}", "", g["wd"])
    mod = _AR_MOD_TABLE.get(g["mod"] or "")
    if ref is None:
        return None
    tod = g["tod"] or ""
    ambiguous = not tod and mod is None and stem in ("اثنين", "احد")
    if ambiguous and _prev_word(m.string, m.start()) in AR_WEEKDAY_BLOCKERS:
        return None
    # «أمس الاثنين», «غدا الأربعاء»: the day word gives the direction, the weekday the day.
    if mod is None and ("امس" in tod or "بارحه" in tod):
        return _weekday(AR_WEEKDAYS[stem], None, ref - timedelta(days=1))
    if mod is None and "غدا" in tod:
        return _weekday(AR_WEEKDAYS[stem], 0, ref + timedelta(days=1))
    return _weekday(AR_WEEKDAYS[stem], mod, ref)


def _names_another_day(m: re.Match[str]) -> bool:
    """True when «اليوم» is "the day" of something: «ذلك اليوم», «اليوم التالي», «اليوم الوطني»."""
    if _prev_word(m.string, m.start()) in AR_DAY_BEFORE_BLOCKERS:
        return True
    after = _NEXT_WORD.match(m.string, m.end())
    word = after.group(1) if after else ""
    # A following «ال…ي» word is an adjective (الوطني، العالمي), not the subject of the verb before.
    return word in AR_DAY_AFTER_BLOCKERS or (word.startswith("ال") and word.endswith("ي") and len(word) > 4)


def _relday(table: tuple[tuple[str, str, int], ...]) -> _Resolver:
    """Return the resolver of a relative day word table ((group, pattern, offset), ...)."""

    def resolve(m: re.Match[str], ref: date | None) -> _Period | None:
        group = next(g for g, _, _ in table if m.group(g))
        if ref is None or (group == "tt" and not m.groupdict().get("tod")):
            return None
        if group == "d" and table is _AR_DAY_WORDS and _names_another_day(m):
            return None
        offset = next(o for g, _, o in table if g == group)
        return _on(ref + timedelta(days=offset))

    return resolve


def _en_year(m: re.Match[str], ref: date | None) -> _Period | None:
    if not m.group("part") and _prev_word(m.string, m.start()) not in EN_PREPOSITIONS:
        return None
    return _year_period("g", int(m.group("year")), EN_PARTS.get(" ".join((m.group("part") or "").split())))


def _en_unit(m: re.Match[str], ref: date | None) -> _Period | None:
    if ref is None:
        return None
    part = EN_PARTS.get(" ".join((m.group("part") or "").split()))
    return _relative_unit(EN_UNITS[m.group("unit")], EN_MODIFIERS[m.group("mod")], part, ref, "en")


def _en_weekday(m: re.Match[str], ref: date | None) -> _Period | None:
    if ref is None:
        return None
    return _weekday(EN_WEEKDAYS[m.group("wd")], EN_MODIFIERS.get(m.group("mod") or ""), ref)


_BRANCHES: tuple[tuple[str, _Resolver], ...] = (
    (_P_AR_DATE, _ar_date),
    (_P_EN_DATE, _en_date),
    (_P_NUMERIC, _numeric),
    (_P_AR_YEAR, _ar_year),
    (_P_AR_UNIT, _ar_unit),
    (_P_AR_WEEKDAY, _ar_weekday),
    (_P_AR_RELDAY, _relday(_AR_DAY_WORDS)),
    (_P_EN_YEAR, _en_year),
    (_P_EN_UNIT, _en_unit),
    (_P_EN_WEEKDAY, _en_weekday),
    (_P_EN_RELDAY, _relday(_EN_DAY_WORDS)),
)
_BRANCH_RES = tuple(re.compile(pattern) for pattern, _ in _BRANCHES)


def _combined() -> re.Pattern[str]:
    """Return all branches as one regex; group names get a branch prefix to stay unique."""
    parts = []
    for i, (pattern, _) in enumerate(_BRANCHES):
        local = re.sub(r"\(\?P<(\w+)>", rf"(?P<b{i}_\1>", pattern)
        local = re.sub(r"\(\?P=(\w+)\)", rf"(?P=b{i}_\1)", local)
        local = re.sub(r"\(\?\((\w+)\)", rf"(?(b{i}_\1)", local)
        parts.append(f"(?P<B{i}>{local})")
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")")


_COMBINED = _combined()


# --- normalisation with a map back to the original ---------------------------------------------------


def _char_class(chars: Iterable[str]) -> str:
    """Return a regex character class of ``chars`` as compact ``\\uXXXX`` ranges."""
    points = sorted({ord(c) for c in chars})
    ranges: list[list[int]] = []
    for p in points:
        if ranges and p == ranges[-1][1] + 1:
            ranges[-1][1] = p
        else:
            ranges.append([p, p])
    return "[" + "".join(f"\\u{a:04x}" + (f"-\\u{b:04x}" if b > a else "") for a, b in ranges) + "]"


def _special_chars() -> re.Pattern[str]:
    """Return the characters the bulk path cannot handle one-for-one (deleted, or changed by NFKC).

    One pass over the BMP (about 10 ms at import); astral characters all count as special.
    """
    chars = [
        c
        for c in map(chr, range(0x10000))
        if not 0xD800 <= ord(c) <= 0xDFFF and (unicodedata.normalize("NFKC", c) != c or len(c.lower()) != 1)
    ]
    deleted = [c for c in map(chr, range(0x0610, 0x06EE)) if fold(normalize(c)) == ""]
    return re.compile(_char_class(chars + deleted) + "|[\\U00010000-\\U0010ffff]")


_SPECIAL = _special_chars()
# Characters the bulk path maps one-for-one after lower(): alef forms, ة, ى, Arabic-Indic/Persian digits.
_ARABIC_BLOCK = map(chr, range(0x0600, 0x0700))
_ONE_FOR_ONE = {ch: out for ch in _ARABIC_BLOCK if len(out := fold(normalize(ch))) == 1 and out != ch}
_ONE_FOR_ONE_RE = re.compile(_char_class(_ONE_FOR_ONE))


class _Normalized:
    """``normalize_with_map(text)`` at C speed: bulk lower() and replace(), special characters apart.

    Offsets map through segments (normalised start, original start, verbatim?): inside a verbatim
    segment offsets shift by a constant; a special character's output maps to the character itself.
    """

    __slots__ = ("_norm_starts", "_segments", "text")

    _cache: dict[str, str] = {}  # noqa: RUF012 - per-character outputs, shared on purpose

    def __init__(self, original: str) -> None:
        self._segments: list[tuple[int, int, bool]] = []
        self._norm_starts: list[int] = []
        text = original
        if _SPECIAL.search(original):
            pieces, prev, n = [], 0, 0
            for m in _SPECIAL.finditer(original):
                p = m.start()
                if p > prev:
                    pieces.append(original[prev:p])
                    n += p - prev
                ch = m.group()
                out = self._cache.get(ch)
                if out is None:
                    out = fold(normalize(ch))
                    if ch < "\U00010000":  # astral characters are rare and many: do not let the cache grow
                        self._cache[ch] = out
                self._segments += [(n, p, False), (n + len(out), p + 1, True)]
                pieces.append(out)
                n += len(out)
                prev = p + 1
            pieces.append(original[prev:])
            text = "".join(pieces)
            self._norm_starts = [seg[0] for seg in self._segments]
        text = text.lower()
        if _ONE_FOR_ONE_RE.search(text):
            for ch in set(_ONE_FOR_ONE_RE.findall(text)):
                text = text.replace(ch, _ONE_FOR_ONE[ch])
        self.text = text

    def original(self, k: int) -> int:
        """Return the original offset of normalised offset ``k`` (an end offset maps too)."""
        if not self._segments:
            return k
        i = bisect_right(self._norm_starts, k) - 1
        if i < 0:
            return k
        n, o, verbatim = self._segments[i]
        return o + (k - n) if verbatim else o


def _match_at(norm: str, pos: int, first: int, ref: date | None) -> tuple[re.Match[str], _Period] | None:
    """Return the first branch from ``first`` on that matches at ``pos`` and resolves."""
    for i in range(first, len(_BRANCHES)):
        m = _BRANCH_RES[i].match(norm, pos)
        if m is None or m.end() == pos:
            continue
        try:
            period = _BRANCHES[i][1](m, ref)
        except (ValueError, OverflowError, KeyError, StopIteration):
            logger.debug("date rule %d failed at %d", i, pos, exc_info=True)
            period = None
        if period is not None:
            return m, period
    return None


def _scan(norm: str, ref: date | None) -> list[tuple[int, int, _Period]]:
    """Return (start, end, period) in normalised offsets, in order and without overlaps."""
    found: list[tuple[int, int, _Period]] = []
    done = 0  # everything before this offset is consumed
    for starter in _STARTER.finditer(norm):
        pos = starter.start()
        if pos < done or (m := _COMBINED.match(norm, pos)) is None:
            continue
        hit = _match_at(norm, pos, int(m.lastgroup[1:]), ref)  # type: ignore[index]
        if hit is not None:
            found.append((pos, hit[0].end(), hit[1]))
            done = hit[0].end()
    return found


def _extract(text: str, reference: date | None) -> list[tuple[DateMention, bool]]:
    if not isinstance(text, str) or not text:
        return []
    if isinstance(reference, datetime):
        reference = reference.date()
    norm = _Normalized(text)
    if _TRIGGER.search(norm.text) is None:
        return []
    out = []
    for s, e, p in _scan(norm.text, reference):
        start, end = norm.original(s), norm.original(e)
        mention = DateMention(start, end, text[start:end], p.value, p.end_value, p.precision, p.relative)
        out.append((mention, p.hijri))
    return out


def extract_dates(text: str, reference: date | None) -> list[DateMention]:
    """Return the date phrases of ``text``, sorted and non-overlapping, resolved against ``reference``.

    With ``reference`` None, phrases that need it («أمس», «15 سبتمبر», "last month") are skipped.
    """
    return [mention for mention, _ in _extract(text, reference)]


# --- formatting and whole-string parsing -------------------------------------------------------------


def _aligned_part(v: date, e: date, precision: str) -> str | None:
    """Return "", "early", "mid" or "late" when the period is a whole (or a third of a) calendar month
    or year, as Gregorian periods are; None for periods such as a Hijri month («رمضان 1445»)."""
    if precision in ("month", "part_of_month"):
        last = calendar.monthrange(v.year, v.month)[1]
        thirds = {"": (1, last)} | {p: (lo, hi or last) for p, (lo, hi) in PART_DAYS.items()}
        if v.month != e.month:
            return None
        return next((p for p, span in thirds.items() if (v.day, e.day) == span), None)
    whole_months = (v.day, e.day) == (1, calendar.monthrange(e.year, e.month)[1])
    if precision == "year" and v.year == e.year and whole_months:
        thirds = {"": (1, 12)} | dict(PART_MONTHS)
        return next((p for p, span in thirds.items() if (v.month, e.month) == span), None)
    return None


def format_date(m: DateMention, lang: str = "ar") -> str:
    """Return the period as a reader would write it: «أوائل يوليو 2021», "10 August 2021", «2021».

    Periods that are not Gregorian months or years (a week, a Hijri month) read as a day range.
    """
    lang = "en" if lang == "en" else "ar"

    def month_name(d: date) -> str:
        return _AR_OUT_MONTHS[d.month - 1] if lang == "ar" else calendar.month_name[d.month]

    def day_text(d: date, with_year: bool = True) -> str:
        return f"{d.day} {month_name(d)}" + (f" {d.year}" if with_year else "")

    v, e = m.value, m.end_value
    if m.precision == "day" or v == e:
        return day_text(v)
    part = _aligned_part(v, e, m.precision)
    if part is None:
        if v.year != e.year:
            return f"{day_text(v)} – {day_text(e)}"
        return f"{day_text(v, False)} – {day_text(e)}" if v.month != e.month else f"{v.day}–{day_text(e)}"
    what = str(v.year) if m.precision == "year" else f"{month_name(v)} {v.year}"
    if not part:
        return what
    return f"mid-{what}" if lang == "en" and part == "mid" else f"{_OUT_PARTS[lang][part]} {what}"


# Words a date line may hold besides the date itself: labels, calendar marks, weekdays, zones.
def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


DATE_LINE_WORDS = (
    _word_set(
        """
        تاريخ التاريخ النشر نشر بتاريخ الموافق اخر تحديث التحديث م ميلادي ميلاديه ه هجري هجريه للهجره يوم
        في الساعه ساعه بتوقيت توقيت غرينتش جرينتش مكه المكرمه ص صباحا مساء مساءا
        published updated posted modified created on date last at gmt utc am pm z t the of time update
        """
    )
    | {"ال" + stem for stem in AR_WEEKDAYS}
    | set(_EN_WEEKDAY_LOOKUP)
)
_TIME = re.compile(r"\d{1,2}:\d\d(?::\d\d(?:\.\d+)?)?|[+-]\d\d:?\d\d\b")
_DATEPARSER_SETTINGS = {
    "STRICT_PARSING": True,  # day, month and year all present: a date line, not a guess from "now"
    "DATE_ORDER": "DMY",
    "PARSERS": ["timestamp", "custom-formats", "absolute-time"],
    "RETURN_AS_TIMEZONE_AWARE": False,
}


def _is_date_line(text: str, spans: list[tuple[int, int]]) -> bool:
    """True when ``text`` holds nothing but the date spans and date-line words."""
    rest = list(text)
    for s, e in spans:
        rest[s:e] = " " * (e - s)
    residue = _TIME.sub(" ", fold(normalize("".join(rest))))
    return all(_has(DATE_LINE_WORDS, w) for w in re.findall(r"\w+", residue))


def parse_date(text: str) -> date | None:
    """Return the date a whole string denotes (a date line or a metadata field), else None.

    ISO 8601 and RFC 2822 (feeds) first, then the Arabic/English rules above, then ``dateparser`` for
    anything else that names a day, a month and a year. Relative phrases give None: there is no
    reference date here.
    """
    if not isinstance(text, str) or not (s := text.strip()) or len(s) > 200:
        return None
    plain = normalize(s)
    try:
        return datetime.fromisoformat(plain.upper()).date()
    except ValueError:
        pass
    found = [(mention, hijri) for mention, hijri in _extract(s, None) if mention.precision == "day"]
    if found and _is_date_line(s, [(m.start, m.end) for m, _ in found]):
        return min(found, key=lambda f: f[1])[0].value  # the Gregorian date when both are written
    try:
        return email.utils.parsedate_to_datetime(s).date()
    except (TypeError, ValueError, IndexError):
        pass
    if not any(c.isdigit() for c in plain):
        return None
    try:
        import dateparser  # slow to import; only odd strings get here

        parsed = dateparser.parse(s, languages=["ar", "en"], settings=_DATEPARSER_SETTINGS)
    except Exception:  # dateparser raises assorted errors on junk; a date line is optional
        logger.debug("dateparser failed on a %d-character string", len(s), exc_info=True)
        return None
    return parsed.date() if parsed is not None else None


_BOUND = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")


def parse_date_bound(text: str, *, end: bool) -> date:
    """Return the first (``end=False``) or last day of "2021", "2021-07" or "2021-07-01".

    Raises ValueError with a message that tells the user what to write instead.
    """
    plain = normalize(text).strip() if isinstance(text, str) else ""
    m = _BOUND.fullmatch(plain)
    if m is None:
        raise ValueError(f"Cannot read {text!r} as a date; write YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2021-07).")
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else None
    day = int(m.group(3)) if m.group(3) else None
    if year < 1:
        raise ValueError(f"{text!r} has year 0; write a year from 0001 on.")
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"{text!r} has no month {month}; months run from 01 to 12.")
    if month is None:
        return date(year, 12, 31) if end else date(year, 1, 1)
    last = calendar.monthrange(year, month)[1]
    if day is None:
        return date(year, month, last if end else 1)
    if not 1 <= day <= last:
        name = calendar.month_name[month]
        raise ValueError(f"{text!r} is not a calendar date; {name} {year} has {last} days.")
    return date(year, month, day)
