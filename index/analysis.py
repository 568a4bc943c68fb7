"""Arabic-first text analysis shared by indexing and querying.

SQLite's stdlib binding cannot register an FTS5 tokenizer, so text is analysed here and the
analysed form is indexed in shadow columns. The chain keeps **one output token per input token**
(nothing is dropped or merged), so a token's position in the analysed text is its position in
``tokenize(original)`` and any match maps back to the original characters.

The chain, in order (see ``analyze``):

1. ``tokenize``: words are runs of letters and digits *with the combining marks inside them*
   (Python's ``\\w`` would split «وُقِّعت» at its harakat);
2. ``normalize``: NFKC, strip harakat and tatweel, unify alef forms, Arabic-Indic and Persian
   digits to ASCII, lowercase. Teh marbuta and alef maksura are kept for the stemmer, which
   reads them as suffix signals;
3. ``stem``: for Arabic, fold ى → ي, strip a glued conjunction/preposition + article (وال، بال،
   فال، كال، لل) that Snowball leaves attached, read a definite word's final ه as ة, then
   Snowball Arabic (PyStemmer, C speed); for Latin words,
   Snowball English. Both are cached: news vocabulary repeats.
4. ``fold``: ة → ه and ى → ي on the final form, so spelling variants meet.

Beside the stem, every token also has an **exact term** (``exact_term``): the normalised, folded
word with a glued article stripped (وال، بال، لل، ال …) but no suffix removed, marked with a
leading tatweel (``EXACT_MARK``). The stem conflates words that only share letters («كورونا» and
«الكوري» → كور, «العملة» and «العمل» → عمل); the exact term keeps them apart. The mark keeps the
two vocabularies apart in one FTS5 table: normalisation deletes tatweel from every word, so no
stem starts with it and stem queries never meet exact terms (FTS5's unicode61 keeps tatweel, a
letter modifier, inside tokens). ``exact_family`` lists the terms of a word's own inflections.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

__all__ = [
    "STOPWORDS",
    "Token",
    "analyze",
    "analyze_text",
    "exact_family",
    "exact_form",
    "exact_term",
    "exact_terms_between",
    "fold",
    "index_texts",
    "is_arabic",
    "normalize",
    "normalize_with_map",
    "root",
    "stem",
    "term",
    "terms_between",
    "tokenize",
    "word_matches",
    "words",
]

# --- code points -------------------------------------------------------------------------------
TATWEEL = "\u0640"
ALEF = "\u0627"
ALEF_MADDA = "\u0622"
ALEF_HAMZA_ABOVE = "\u0623"
ALEF_HAMZA_BELOW = "\u0625"
ALEF_WASLA = "\u0671"
TEH_MARBUTA = "\u0629"
HEH = "\u0647"
ALEF_MAKSURA = "\u0649"
YEH = "\u064a"

# Harakat, Quranic marks, superscript alef: category Mn inside Arabic words.
_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
_MARKS_RE = re.compile(f"[{_MARKS}{TATWEEL}]")
# A word: letters/digits, with marks and tatweel allowed inside (but not alone).
_WORD_RE = re.compile(rf"(?:[^\W_]|[{_MARKS}{TATWEEL}])*[^\W_](?:[^\W_]|[{_MARKS}{TATWEEL}])*")
# The same words twice as fast, for text without "_": one character class per step instead of an
# alternation (\w differs from [^\W_] only by the underscore; tatweel is a letter to \w).
_FAST_WORD_RE = re.compile(rf"[{_MARKS}]*[^\W_][\w{_MARKS}]*")


def _word_re(text: str) -> re.Pattern[str]:
    return _WORD_RE if "_" in text else _FAST_WORD_RE
_ARABIC_RE = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")

# str.translate with a mapping costs a dict lookup per character; chained str.replace runs in C,
# so whole-article normalisation (content hashes) stays cheap.
_ALEF_FORMS = (ALEF_MADDA, ALEF_HAMZA_ABOVE, ALEF_HAMZA_BELOW, ALEF_WASLA)
# Arabic-Indic and extended (Persian/Urdu) digits.
_DIGITS = str.maketrans({**{chr(0x0660 + i): str(i) for i in range(10)},
                         **{chr(0x06F0 + i): str(i) for i in range(10)}})
_DIGIT_RE = re.compile("[\u0660-\u0669\u06f0-\u06f9]")
# Letters Python calls alphanumeric that FTS5's unicode61 tables treat as separators (New Tai Lue
# vowel signs, two Vedic signs): a term holding one would become two FTS5 tokens.
_FTS5_SEPARATORS = re.compile("[\u19b0-\u19c0\u19c8\u19c9\u1cf2\u1cf3]")

# Glued conjunction/preposition + article that Snowball keeps («والمغرب» stays whole).
# Longest first; each needs at least three letters left, so short words such as «والي» survive.
_ARTICLE_PREFIXES = ("وبال", "وكال", "فبال", "وال", "فال", "بال", "كال", "ولل", "فلل", "لل")
_MIN_STEM = 3

# Function words dropped from *queries* only (documents keep every token for the mapping).
STOPWORDS = frozenset(
    """
    في من على الى إلى عن مع ما ماذا لماذا متى اين أين كيف كم هل من هو هي هم هن انا نحن انت
    التي الذي الذين اللذين اللتين اللواتي هذا هذه ذلك تلك هؤلاء اولئك ان أن إن كان كانت يكون
    قد لقد و او أو ثم بل لا لم لن ليس غير بين عند عندما حتى اذا إذا لكن كل بعض اي أي أية
    ايضا أيضا فيه فيها منه منها عليه عليها به بها له لها لهم الي
    وما ومن ومتى واين وأين وكيف وكم وهل فما فمن
    the a an of in on at to for from by with and or is are was were be been being do does did
    what who whom whose when where which why how many much that this these those it its as into
    about than then there their they he she his her we you i not no
    """.split()
)


@dataclass(frozen=True, slots=True)
class Token:
    """One word of the original text: its span there and its analysed form (the index term)."""

    start: int
    end: int
    text: str
    term: str


def is_arabic(text: str) -> bool:
    """True when the text holds any Arabic-script letter."""
    return _ARABIC_RE.search(text) is not None


def normalize(text: str) -> str:
    """Return text with marks and tatweel removed, alef/digits unified and case folded.

    Teh marbuta and alef maksura are kept here (``fold`` unifies them) because the stemmer
    reads them as suffixes; use ``fold(normalize(x))`` to compare spellings.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _MARKS_RE.sub("", text)
    for form in _ALEF_FORMS:
        text = text.replace(form, ALEF)
    if _DIGIT_RE.search(text):
        text = text.translate(_DIGITS)
    return text.lower()


def fold(text: str) -> str:
    """Return text with ة→ه and ى→ي, the spelling variants writers mix freely."""
    return text.replace(TEH_MARBUTA, HEH).replace(ALEF_MAKSURA, YEH)


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Return ``fold(normalize(text))`` and, for each output character, its index in ``text``.

    The map has one extra entry (``len(text)``) so an end offset maps too. Extractors run their
    patterns on the normalised text and report spans in the original.
    """
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        norm = fold(normalize(ch))
        for c in norm:
            out.append(c)
            index.append(i)
    index.append(len(text))
    return "".join(out), index


_AR_STEMMER = Stemmer.Stemmer("arabic")
_EN_STEMMER = Stemmer.Stemmer("english")


@lru_cache(maxsize=400_000)
def stem(word: str) -> str:
    """Return the index term of one normalised word (never empty for a non-empty word)."""
    if not word:
        return word
    if is_arabic(word):
        # Snowball strips a final ي (a suffix) but keeps ى: fold first or «مصطفى»/«مصطفي» part.
        word = word.replace(ALEF_MAKSURA, YEH)
        for prefix in _ARTICLE_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= _MIN_STEM:
                word = "ال" + word[len(prefix) :]
                break
        # A definite noun takes no pronoun suffix, so its final ه is a dotless ة; Snowball strips
        # ة but keeps ه after ال, which would part «المتحدة» from «المتحده».
        if word.startswith("ال") and word.endswith(HEH):
            word = word[:-1] + TEH_MARBUTA
        stemmed = _AR_STEMMER.stemWord(word)
    elif word.isdigit():
        return word
    else:
        stemmed = _EN_STEMMER.stemWord(word)
    return fold(stemmed) or fold(word)


@lru_cache(maxsize=400_000)
def term(word: str) -> str:
    """Return the index term of a raw word as written (normalise, stem, fold).

    A term is exactly one FTS5 unicode61 token (letters and digits only), or the positions of
    the shadow column would drift from the original text.
    """
    return _term_of_normal(normalize(word))


def _term_of_normal(normal: str) -> str:
    t = stem(normal)
    if not t.isalnum() or _FTS5_SEPARATORS.search(t):
        t = _FTS5_SEPARATORS.sub("", "".join(c for c in t if c.isalnum()))
    return t or "x"


_ISRI = None


@lru_cache(maxsize=200_000)
def root(word: str) -> str:
    """Return the Arabic root of a word as written (NLTK's ISRI), or its folded form.

    Roots link derivations the light stem keeps apart («التوقيع» and «وقّعت» → وقع). ISRI is
    erratic on names and slow (~46k words/s), so roots are used only to re-rank a few
    candidate articles, never indexed.
    """
    global _ISRI
    norm = fold(normalize(word))
    if not is_arabic(norm) or len(norm) < 3:
        return norm
    if _ISRI is None:
        from nltk.stem.isri import ISRIStemmer

        _ISRI = ISRIStemmer()
    return _ISRI.stem(norm)


# --- exact terms --------------------------------------------------------------------------------

EXACT_MARK = TATWEEL
# Glued article forms stripped from exact terms (longest first), with the stem's length guard:
# «الله» and «الان» keep their letters.
_EXACT_ARTICLES = ("وبال", "وكال", "فبال", "وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "ال")
# One-letter proclitics a word may carry without the article («بكورونا», «وعملة»). They are not
# stripped at indexing (a word's first letter is as often its own: «بريطانيا», «وقع»); queries
# add them instead (``exact_family``). Two-letter ones («وبعملة») held 0.1% of the family
# articles of 14 common words on SaudiNewsNet: left out, every alternative costs a lookup in
# each index segment.
PROCLITICS = ("", "و", "ب", "ل", "ف", "ك")
# A word with a pronoun suffix rarely takes more than «و» («وعملها»).
_PRONOUN_PROCLITICS = ("", "و")
# Regular suffixes of a word's own inflections, on folded forms (ة is ه here): (inflections,
# pronoun forms).
# A feminine word (…ه / …ات): the singular, sound plural and dual, possessed forms («العملة»:
# عمله، عملات، عملتان، عملتين، عملته …).
_FEMININE_SUFFIXES = (("ه", "ات", "تان", "تين"), ("ته", "تها", "تهم", "تهما", "تي", "تنا", "تك", "تكم"))
# Any other word: itself, dual and sound masculine plural, accusative alef, pronoun suffixes.
# Never ه (a folded ة: «المدين» + ه is «المدينه», the city) nor ات (عمل + ات is «عملات»,
# currencies) nor ي (the nisba: «كوري» is Korean, not a form of كوريا).
_PLAIN_SUFFIXES = (("", "ان", "ين", "ون", "ا"), ("ها", "هم", "هما", "كم", "نا"))
# A nisba adjective (…ي) also inflects as a feminine word: كوري، كوريه، كوريين، كوريات.
_NISBA_SUFFIXES = (("", "ان", "ين", "ون", "ه", "ات", "تان", "تين"), ())


@lru_cache(maxsize=400_000)
def exact_form(word: str) -> str:
    """Return a raw word's exact form: normalised, folded, glued article stripped, unmarked.

    «والعملة» → عمله, «العملات» → عملات, «بكورونا» → بكورونا (one-letter proclitics stay; see
    ``PROCLITICS``). Like ``term``, the result is one FTS5 token and never empty.
    """
    return _exact_of_normal(normalize(word))


def _exact_of_normal(normal: str) -> str:
    form = fold(normal)
    if is_arabic(form):
        for prefix in _EXACT_ARTICLES:
            if form.startswith(prefix) and len(form) - len(prefix) >= _MIN_STEM:
                form = form[len(prefix):]
                break
    if not form.isalnum() or _FTS5_SEPARATORS.search(form):
        form = _FTS5_SEPARATORS.sub("", "".join(c for c in form if c.isalnum()))
    return form or "x"


@lru_cache(maxsize=400_000)
def exact_term(word: str) -> str:
    """Return the exact index term of a raw word (``EXACT_MARK`` + ``exact_form``)."""
    return EXACT_MARK + exact_form(word)


def _index_terms(word: str) -> tuple[str, str]:
    normal = normalize(word)
    return _term_of_normal(normal), EXACT_MARK + _exact_of_normal(normal)


class _TermCache(dict):
    """Word as written → its index term; a miss also fills ``_EXACT_CACHE`` (bounded: both are
    cleared, between two texts, when they grow too big). Plain dicts read through ``map`` cost
    no Python call per known word: about half of an ``lru_cache`` lookup and tuple unpacking."""

    def __missing__(self, word: str) -> str:
        t, _EXACT_CACHE[word] = _index_terms(word)
        self[word] = t
        return t


_TERM_CACHE = _TermCache()
_EXACT_CACHE: dict[str, str] = {}


def index_texts(text: str) -> tuple[str, str]:
    """Return the two analysed texts of ``text`` the index stores: its terms and its exact terms
    (each joined by spaces; one pass over the words, one dictionary lookup per word and text)."""
    found = _word_re(text).findall(text)
    if len(_TERM_CACHE) >= 400_000:
        _TERM_CACHE.clear()
        _EXACT_CACHE.clear()
    if not found:
        return "", ""
    # the terms first: a miss there fills the exact cache the second map reads
    return " ".join(map(_TERM_CACHE.__getitem__, found)), " ".join(map(_EXACT_CACHE.__getitem__, found))


def exact_terms_between(text: str, start: int = 0, end: int | None = None) -> list[str]:
    """Return the exact terms of ``text[start:end]``, one per token (as ``terms_between``)."""
    return list(map(exact_term, _word_re(text).findall(text, start, len(text) if end is None else end)))


def _suffixed(form: str) -> tuple[list[str], list[str]]:
    """Return the forms of a word's own regular inflections (the word itself first) and its
    forms with a pronoun suffix."""
    if not is_arabic(form) or len(form) < 3:
        return [form], []
    if form.endswith(HEH):
        base, (inflections, pronouns) = form[:-1], _FEMININE_SUFFIXES
    elif form.endswith("ات") and len(form) >= 5:
        base, (inflections, pronouns) = form[:-2], _FEMININE_SUFFIXES
    elif form.endswith(YEH):
        base, (inflections, pronouns) = form, _NISBA_SUFFIXES
    else:
        base, (inflections, pronouns) = form, _PLAIN_SUFFIXES
    return list(dict.fromkeys([form] + [base + s for s in inflections])), [base + s for s in pronouns]


@lru_cache(maxsize=20_000)
def exact_family(word: str, *, inflections: bool = True) -> tuple[str, ...]:
    """Return the exact terms a query word matches: its proclitic forms and (unless ``inflections``
    is False, as in quoted phrases) those of its regular inflections.

    «العملة» → ـعمله، ـوعمله، ـبعمله … ـعملات، ـبعملات …; never ـعمل (work). Latin words and
    numbers match their exact form only.
    """
    form = exact_form(word)
    if not is_arabic(form):
        return (EXACT_MARK + form,)
    forms, pronoun_forms = _suffixed(form) if inflections else ([form], [])
    return tuple(dict.fromkeys([EXACT_MARK + p + f for f in forms for p in PROCLITICS]
                               + [EXACT_MARK + p + f for f in pronoun_forms for p in _PRONOUN_PROCLITICS]))


def tokenize(text: str) -> list[Token]:
    """Return the words of ``text`` with their character spans and index terms."""
    return [Token(m.start(), m.end(), m.group(), term(m.group())) for m in _word_re(text).finditer(text)]


def word_matches(text: str) -> Iterator[re.Match[str]]:
    """Yield a match per word of ``text`` (span and text), in order: tokenize without the terms."""
    return _word_re(text).finditer(text)


def words(text: str) -> list[str]:
    """Return the words of ``text`` as written, without spans (the fast path for scoring)."""
    return _word_re(text).findall(text)


def terms_between(text: str, start: int = 0, end: int | None = None) -> list[str]:
    """Return the index terms of ``text[start:end]`` (the fast path of indexing: no spans)."""
    return list(map(term, _word_re(text).findall(text, start, len(text) if end is None else end)))


def analyze(text: str) -> list[str]:
    """Return the index terms of ``text``, one per token of ``tokenize(text)``."""
    return [t.term for t in tokenize(text)]


def analyze_text(text: str) -> str:
    """Return the analysed text stored in the FTS shadow column (terms joined by spaces)."""
    return " ".join(analyze(text))
