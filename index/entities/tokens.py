"""The token classifier: one regex pass, and each distinct token analysed once into flag bits."""

from __future__ import annotations

import re
from operator import attrgetter, methodcaller

from arshif.index.analysis import fold, normalize, normalize_with_map

from .gazetteer import _gentilics, _place_index, _place_table
from .tables import (
    _AR_NUMBER_WORDS,
    _COMPOUND,
    _CONSTRUCT,
    _CURRENCY,
    _CURRENCY_PREFIX_EN,
    _EN_NUMBER_WORDS,
    _EN_ORG_PREFIX,
    _EN_ORG_SUFFIX,
    _EN_STOP,
    _EN_TITLES,
    _GIVEN,
    _MONTHS,
    _ORG_HEADS,
    _ORG_HEADS_DEF,
    _PERCENT_ONE,
    _PERSON_CUE,
    _PERSON_CUE_PHRASES,
    _PLACE_CUES,
    _SCALE_DUALS,
    _SCALES,
    _SPEECH,
    _STOP_AR,
    _UNITS,
)

_QUOTES = frozenset("\"'«»“”„‘’‹›")

_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
_LATIN = "A-Za-z\u00c0-\u024f"
# A word of letters with marks kept inside; runs of each are taken whole (twice as fast as one
# character per alternation step, same matches).
_LETTERS = rf"[{_MARKS}]*[^\W\d_](?:[^\W\d_]+|[{_MARKS}]+)*"
_TOKEN_RE = re.compile(
    # Most tokens are Arabic words: tried first when the text is at an Arabic letter or mark (no
    # other branch can match there, so the matches are those of the branch order below).
    rf"(?=[\u0600-\u065f\u066a-\u06ef\u06fa-\u06ff]){_LETTERS}"
    r"|\d{1,2}:\d{2}(?::\d{2})?(?!\d)"  # clock time: skipped as a number
    r"|\d{1,4}([/.\-])\d{1,2}\1\d{1,4}(?!\d)"  # numeric date: skipped
    r"|\d+(?:[.,\u066b\u066c]\d+)*"  # number with decimal/thousands separators (any script)
    r"|(?:[A-Za-z]\.){2,}"  # U.S., U.N.
    rf"|[{_LATIN}][{_LATIN}0-9]*(?:['’\-][{_LATIN}0-9]+)*"  # al-Jubeir, Egypt's
    rf"|{_LETTERS}"  # Arabic (marks kept inside)
    r"|\S"  # any other single character: punctuation, %, $, quotes
)
# Definite article, possibly behind a glued conjunction/preposition, with harakat allowed.
_DEF_RE = re.compile(rf"(?:[وف]?[بك]?|[وف]?ل)[{_MARKS}]*ا[{_MARKS}]*ل|[وف]?ل[{_MARKS}]*ل")
_SKIP_NUM_RE = re.compile(r"\d{1,2}:\d{2}|\d{1,4}([/.\-])\d{1,2}\1\d{1,4}")
_DEF_PREFIXES = (("وبال", 2), ("فبال", 2), ("وكال", 2), ("وال", 1), ("فال", 1), ("بال", 1), ("كال", 1))
_LAM_PREFIXES = (("ولل", 1), ("فلل", 1), ("لل", 0))
_ONE_PREFIXES = frozenset("وفبلك")
_TWO_PREFIXES = frozenset({"وب", "ول", "فب", "فل", "وك", "فك"})

# Flag bits of a token (_Tok.flags).
PUNCT = 1 << 0  # a single non-word character
QUOTE = 1 << 1  # a quotation mark
NUM = 1 << 2  # digits (any script), parsed into _Tok.value
SKIPNUM = 1 << 3  # a clock time or numeric date: never a number
LATIN = 1 << 4  # a Latin-script word
CAP = 1 << 5  # starts with a capital
UPPER = 1 << 6  # an all-capitals word of 2–6 letters (acronym)
ARABIC = 1 << 7  # an Arabic-script word
DEF = 1 << 8  # has the article, possibly behind a glued و/ب/ل: «الطاقة», «والطاقة», «للإحصاء»
STOP = 1 << 9  # ends a name: particle, pronoun, time word, frequent verb
PCUE = 1 << 10  # a person title, maybe the head of a multi-word one
OCUE = 1 << 11  # an organisation head word
PLACE = 1 << 12  # the first word of a place name
PLACECUE = 1 << 13  # «مدينة», «ولاية»…: a place name follows
NUMWORD = 1 << 14  # a number word (ثلاثة, three)
SCALE = 1 << 15  # ألف, مليون, billion…
SPEECH = 1 << 16  # قال, أكد…
MONTH = 1 << 17  # a month name
ENTITLE = 1 << 18  # an English title
ENORG = 1 << 19  # an English organisation suffix or head
GIVEN = 1 << 20  # a common given name
CONSTRUCT = 1 << 21  # a noun heading a construct phrase («هيئة», «خارجية»)
GENTILIC = 1 << 22  # a nationality adjective («المغربي»)
COMPOUND = 1 << 23  # عبد/أبو/بن/آل: takes the next word into the name
WAW = 1 << 24  # starts with و (maybe a glued conjunction)
FEM = 1 << 25  # ends in ة (folded to ه)
FIXEDORG = 1 << 26  # the first word of a fixed organisation name
UNITW = 1 << 27  # a unit of measure or a percent word
CURR = 1 << 28  # a currency word or sign
CONJ = 1 << 29  # a conjunction clearly glued to a known word («والطاقة», «ونظيره», «وهشام»)
PRON = 1 << 30  # ends in a pronoun suffix («استقالته»)
VERBISH = 1 << 31  # never part of a name: future verb, tanween, digits inside
YAA = 1 << 32  # may be a present-tense verb («يسعى», «ليصبح»)
ISPLACE = 1 << 33  # a place name by itself
_TRIGGER = PCUE | OCUE | PLACE | PLACECUE | NUM | NUMWORD | SCALE | SPEECH | ENTITLE | ENORG | UPPER | FIXEDORG | CURR


class _Tok:
    """What the rules need to know about one distinct token (computed once, then cached)."""

    __slots__ = ("cue", "flags", "forms", "norm", "trig", "value", "variants")

    def __init__(self, raw: str) -> None:
        norm = fold(normalize(raw))
        self.norm = norm
        self.value: float | None = None
        self.cue: tuple[int, str] | None = None  # (offset in raw, class) of a person cue
        self.variants = _variants(raw, norm)
        self.forms = tuple(v for _, v in self.variants)
        self.flags = _classify(self, raw, norm)
        self.trig = self.flags & _TRIGGER


def _variants(raw: str, norm: str) -> tuple[tuple[int, str], ...]:
    """Return (offset in raw, form) readings of the token with a glued prefix taken off."""
    out = [(0, norm)]
    if len(norm) < 3 or not ("\u0621" <= norm[0] <= "\u064a"):
        return tuple(out)
    found: list[tuple[int, str]] = []
    for p, keep in _DEF_PREFIXES:
        if norm.startswith(p) and len(norm) - len(p) >= 2:
            found.append((keep, norm[keep:]))
            break
    else:
        for p, keep in _LAM_PREFIXES:
            if norm.startswith(p) and len(norm) - len(p) >= 2:
                found.append((keep, "ال" + norm[len(p) :]))  # «للمغرب»: ل + المغرب
                found.append((keep, "ال" + norm[len(p) - 1 :]))  # «للجنة»: ل + اللجنة
                found.append((len(p) - 1, norm[len(p) - 1 :]))  # «للبنان»: ل + لبنان
                break
        else:
            if norm[:2] in _TWO_PREFIXES and len(norm) >= 5:
                found.append((2, norm[2:]))
            if norm[0] in _ONE_PREFIXES and len(norm) >= 4:
                found.append((1, norm[1:]))
    if found:
        if norm != raw:  # harakat or alef forms: map normalised offsets back to the raw token
            _, index = normalize_with_map(raw)
            found = [(index[k] if k < len(index) else len(raw), f) for k, f in found]
        out.extend(found)
    return tuple(out)


def _classify(tok: _Tok, raw: str, norm: str) -> int:
    if not norm:
        return PUNCT  # a lone tatweel or mark
    c0 = raw[0]
    if c0.isdigit():
        if _SKIP_NUM_RE.fullmatch(raw):
            return SKIPNUM
        tok.value = _parse_number(norm)
        return NUM if tok.value is not None else 0
    if len(raw) == 1 and not c0.isalnum():
        f = PUNCT | (QUOTE if c0 in _QUOTES else 0)
        if norm in _CURRENCY:
            f |= CURR
        if norm in _PERCENT_ONE:
            f |= UNITW
        return f
    places = _place_index()
    if c0.isascii() or "\u00c0" <= c0 <= "\u024f":
        low = norm
        f = LATIN
        if c0.isupper():
            f |= CAP
            if raw.replace(".", "").isupper() and 2 <= len(raw.replace(".", "")) <= 6 and raw.isascii():
                f |= UPPER
        bare = low[:-2] if low.endswith(("'s", "’s")) else low
        if bare in _EN_TITLES or low.rstrip(".") in _EN_TITLES:
            f |= ENTITLE
        if bare in _EN_ORG_SUFFIX or bare in _EN_ORG_PREFIX:
            f |= ENORG
        if low in places:
            f |= PLACE  # the first word of some place name
        if low in _place_table()[0]:
            f |= ISPLACE  # a place name by itself
        if low in _FIXED_FIRST:
            f |= FIXEDORG
        if low in _EN_NUMBER_WORDS:
            f |= NUMWORD
        if low in _UNITS or low in _PERCENT_ONE:
            f |= UNITW
        if low in _SCALES or low in _SCALE_DUALS:
            f |= SCALE
        if low in _CURRENCY or low in _CURRENCY_PREFIX_EN:
            f |= CURR
        if low in _EN_STOP or low in _MONTHS:
            f |= STOP
        if low in _MONTHS:
            f |= MONTH
        return f
    f = ARABIC
    forms = [v for _, v in tok.variants]
    if _DEF_RE.match(raw) and len(norm) > 3 and norm not in _SCALES:
        f |= DEF  # the article is a bare alef: «أليسا», «إليخاندرو» are names, not «ال» words
    if norm in _STOP_AR or (norm[0] in "وف" and norm[1:] in _STOP_AR and norm[1:] not in _GIVEN):
        f |= STOP
    if norm in _SPEECH or (norm[0] in "وف" and norm[1:] in _SPEECH):
        f |= SPEECH | STOP
    if norm in _MONTHS:
        f |= MONTH | STOP
    for off, form in tok.variants:
        if off and norm[0] not in "وف":
            continue  # only a conjunction may be glued to a title: «ونظيره»
        cls = _PERSON_CUE.get(form)
        if cls is None and form in _PERSON_CUE_PHRASES:
            cls = "phrase"
        if cls is not None:
            tok.cue = (off, cls)
            f |= PCUE
            break
    if any(v in _ORG_HEADS or v in _ORG_HEADS_DEF for v in forms):
        f |= OCUE
    if any(v in places for v in forms):
        f |= PLACE
        if any(v in _place_table()[0] for v in forms):
            f |= ISPLACE
    if any(v in _FIXED_FIRST for v in forms):
        f |= FIXEDORG
    if norm in _PLACE_CUES or (len(forms) > 1 and forms[-1] in _PLACE_CUES):
        f |= PLACECUE
    if norm in _AR_NUMBER_WORDS or (norm[0] == "و" and norm[1:] in _AR_NUMBER_WORDS):
        f |= NUMWORD
    if norm in _SCALES or norm in _SCALE_DUALS:
        f |= SCALE
    if norm in _CURRENCY:
        f |= CURR
    if norm in _UNITS or norm in _PERCENT_ONE:
        f |= UNITW
    if norm in _GIVEN:
        f |= GIVEN
    if norm in _CONSTRUCT or (len(forms) > 1 and forms[-1] in _CONSTRUCT and norm[0] in "لب"):
        f |= CONSTRUCT
    if norm in _gentilics() or (len(forms) > 1 and forms[1] in _gentilics()):
        f |= GENTILIC
    if norm in _COMPOUND:
        f |= COMPOUND
    if norm[0] == "و" and len(norm) >= 4:
        f |= WAW
        rest = norm[1:]
        if (
            rest.startswith("ال")
            or rest in _PERSON_CUE
            or rest in _ORG_HEADS
            or rest in _STOP_AR
            or rest in _GIVEN
            or rest in _PERSON_CUE_PHRASES
            or rest in _SPEECH
            or (rest[0] in "يت" and len(rest) <= 4)
        ):
            f |= CONJ  # «والطاقة», «ونظيره», «وهشام»: a conjunction glued to the next word
    if (len(norm) >= 5 and raw.endswith(("ته", "تها", "ها", "هم", "هما", "تهم", "كم"))) or (
        len(norm) >= 6 and raw.endswith("نا")
    ):
        f |= PRON  # «استقالته»: a noun with a pronoun suffix, never part of a name
    if len(norm) >= 5 and norm[:2] in ("سي", "ست", "سن") and norm not in _GIVEN:
        f |= VERBISH  # «سيلقي»: a future-tense verb
    if "\u064b" in raw or "\u064c" in raw or "\u064d" in raw or any(c.isdigit() for c in norm):
        f |= VERBISH  # tanween («قرارًا»): an indefinite noun, never a name
    if (
        norm[0] == "ي" or norm[:2] in ("لي", "لت") or (norm[:2] in ("لا", "با") and len(norm) >= 6)
    ) and norm not in _GIVEN:
        f |= YAA  # «يسعى», «يطلق»: likely a present-tense verb (unless a name such as «يغال»)
    if norm.endswith("ه") and len(norm) > 2:
        f |= FEM
    return f


class _TokCache(dict):
    """Token text → analysis; a miss analyses the token (bounded: cleared when it grows too big)."""

    def __missing__(self, raw: str) -> _Tok:
        if len(self) >= 400_000:
            self.clear()
        t = self[raw] = _Tok(raw)
        return t


_TOK_CACHE = _TokCache()
_tok = _TOK_CACHE.__getitem__
_GROUP = methodcaller("group")
_TRIG = attrgetter("trig")


def _parse_number(s: str) -> float | None:
    """Parse «1,200», «١٬٢٠٠», «7.5», «٧٫٥» (already ASCII digits): which separator is decimal?"""
    s = s.replace("\u066c", ",").replace("\u066b", ".")
    try:
        if "," in s and "." in s:
            if s.rfind(",") > s.rfind("."):
                return float(s.replace(".", "").replace(",", "."))
            return float(s.replace(",", ""))
        if "," in s:
            groups = s.split(",")
            if all(len(g) == 3 for g in groups[1:]):
                return float("".join(groups))
            return float(s.replace(",", ".", 1)) if len(groups) == 2 else None
        if s.count(".") > 1:
            groups = s.split(".")
            return float("".join(groups)) if all(len(g) == 3 for g in groups[1:]) else None
        return float(s)
    except ValueError:
        return None


def entity_key(text: str) -> str:
    """Return the matching key of a name: folded-normalised words, glued article prefixes removed.

    «وزارة "الطاقة"» and «وزارة الطاقة» share a key; «للمغرب» keys as «المغرب».
    """
    return _key_of([_tok(m.group()) for m in _TOKEN_RE.finditer(text)])


def _key_of(tokens: list[_Tok]) -> str:
    words = [w for w in tokens if not w.flags & PUNCT]
    if not words:
        return ""
    first = words[0].norm
    if not _lexical(first):
        # «للجنة» is ل + اللجنة, «للمغرب» ل + المغرب, «للبنان» ل + لبنان: prefer a reading we know
        readings = [form for off, form in words[0].variants[1:] if off <= 2]
        known = [r for r in readings if _lexical(r)]
        article = [r for r in readings if r.startswith("ال")]
        first = (known or article or [first])[0]
    return " ".join([first, *(w.norm for w in words[1:])])


def _lexical(word: str) -> bool:
    """A word the tables know: a place, an organisation head, a title."""
    return word in _place_table()[0] or word in _ORG_HEADS_DEF or word in _ORG_HEADS or word in _PERSON_CUE


# The fixed-organisation index (first word → entries), filled by ``orgs`` when it is imported: it
# needs ``entity_key``, hence the tokeniser, so it cannot be built before this module exists.
_FIXED_FIRST: dict = {}
_FIXED: dict = {}


def is_given_name(word: str) -> bool:
    """True for a common given name («أسامة») or a compound name part («عبد», «أبو»), any script form."""
    t = _tok(word)
    return bool(t.flags & (GIVEN | COMPOUND))
