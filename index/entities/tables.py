"""The word tables of the entity rules, read from ``data/*.toml`` and normalised once at import.

The files hold words as people write them (alef forms, ة, harakat); every Arabic word is looked
up as ``fold(normalize(word))``, so the tables here hold that form. English word lists are
compared lower-cased and stay as written.
"""

from __future__ import annotations

import tomllib
from importlib import resources

from arshif.index.analysis import STOPWORDS, fold, normalize


def _n(word: str) -> str:
    return fold(normalize(word))


def _words(block: str) -> frozenset[str]:
    return frozenset(_n(w) for w in block.split())


def _load(name: str) -> dict:
    return tomllib.loads(resources.files("arshif.index.entities").joinpath(f"data/{name}.toml").read_text("utf-8"))


_PERSON = _load("person")
_ORG = _load("org")
_NUMBER = _load("number")
_PLACE = _load("place")

# --- people ---------------------------------------------------------------------------------
# Person cues: word → class ("office", "honor", "royal", "address"); see data/person.toml.
_PERSON_CUES: dict[str, str] = {w: cls for cls, block in _PERSON["cues"].items() for w in block.split()}
# Multi-word cues: head word → ((rest of the words, class), …), longest first.
_PERSON_CUE_PHRASES: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {}
for _cls, _phrases in _PERSON["cue_phrases"].items():
    for _phrase in _phrases:
        _toks = tuple(_n(w) for w in _phrase.split())
        _PERSON_CUE_PHRASES[_toks[0]] = (*_PERSON_CUE_PHRASES.get(_toks[0], ()), (_toks[1:], _cls))
for _head in _PERSON_CUE_PHRASES:
    _PERSON_CUE_PHRASES[_head] = tuple(sorted(_PERSON_CUE_PHRASES[_head], key=lambda p: -len(p[0])))
_PERSON_CUE = {_n(w): c for w, c in _PERSON_CUES.items()}
_STRICT_HONOR = _words(_PERSON["words"]["strict_honor"])
_TITLE_MODIFIERS = _words(_PERSON["words"]["title_modifiers"])
_NAMED_AFTER = _words(_PERSON["words"]["named_after"])
_ROLE_LINKS = _words(_PERSON["words"]["role_links"])
_ROLE_ADJ = _words(_PERSON["words"]["role_adj"])
_SPEECH = _words(_PERSON["words"]["speech"])
_STOP_AR = _words(_PERSON["words"]["stop"]) | frozenset(_n(w) for w in STOPWORDS)
_GIVEN = _words(_PERSON["words"]["given"])
_COMPOUND = _words(_PERSON["words"]["compound"])

# --- organisations --------------------------------------------------------------------------
_CONSTRUCT = _words(_ORG["words"]["construct"])
_ORG_HEADS = _words(_ORG["words"]["heads"])
_ORG_HEADS_DEF = frozenset("ال" + w for w in _ORG_HEADS)
_ORG_HEADS_DEF_WEAK = _words(_ORG["words"]["heads_def_weak"])
_ORG_HEADS_WEAK = _words(_ORG["words"]["heads_weak"])
_FIXED_ORGS_AR: tuple[str, ...] = tuple(_ORG["fixed"]["arabic"])
_FIXED_ORGS_EN: tuple[str, ...] = tuple(_ORG["fixed"]["english"])

# --- numbers --------------------------------------------------------------------------------
_DATES = _NUMBER["dates"]
_MONTHS = _words(_DATES["months"])
_YEAR_CUES = _words(_DATES["year_cues"])
_YEAR_SUFFIXES = _words(_DATES["year_suffixes"])
# word → (value, may stand alone)
_AR_NUMBER_WORDS: dict[str, tuple[float, bool]] = {
    _n(w): (float(v), alone == "1")
    for v, forms in _NUMBER["arabic_numbers"].items()
    for w, alone in (f.split(":") for f in forms.split())
}
_EN_NUMBER_WORDS = {w: float(i) for i, w in enumerate(_NUMBER["english_numbers"]["words"].split(), 1)} | {
    _NUMBER["english_numbers"]["half"]: 0.5
}
# Scale words → multiplier; duals («مليوني», «ألفي») mean two of them when no number precedes.
_SCALES: dict[str, float] = {_n(w): float(v) for v, block in _NUMBER["scales"].items() for w in block.split()}
_SCALE_DUALS: dict[str, float] = {_n(w): float(v) for v, block in _NUMBER["scale_duals"].items() for w in block.split()}
_SCALES_LATIN_ONLY_AFTER_MONEY = frozenset(_NUMBER["words"]["scales_latin_only_after_money"].split())
# Currencies: word → ISO code (or a generic name when the country is unsaid).
_CURRENCY: dict[str, str] = {
    _n(w): code for code, block in _NUMBER["currency"].items() if code != "codes" for w in block.split()
} | {c: c.upper() for c in _NUMBER["currency"]["codes"].split()}
# Currency word + nationality adjective → code («ريال سعودي», «جنيه إسترليني»).
_CURRENCY_QUAL: dict[tuple[str, str], str] = {
    (_n(c), _n(a)): code
    for code, words in _NUMBER["currency_qualified"].items()
    for c, *adjs in [words.split()]
    for a in adjs
}
_CURRENCY_PREFIX_EN: dict[str, str] = dict(_NUMBER["currency_prefix_english"])
_PERCENT_ONE = _words(_NUMBER["words"]["percent"])
_PERCENT_TWO = {tuple(_n(w) for w in p.split()) for p in _NUMBER["percent_two"]["pairs"]}
# Units of measure and counted people → unit code (kind "quantity").
_UNITS: dict[str, str] = {_n(w): code for code, block in _NUMBER["units"].items() for w in block.split()}
_UNITS_TWO: dict[tuple[str, str], str] = {
    tuple(_n(w) for w in p.split()): code for code, pairs in _NUMBER["units_two"].items() for p in pairs
}
_UNIT_NEEDS_ADJACENT = _words(_NUMBER["words"]["unit_needs_adjacent"])

# --- places ---------------------------------------------------------------------------------
_PLACE_CUES = _words(_PLACE["words"]["cues"])
_PLACE_VETO: dict[str, frozenset[str]] = {_n(w): _words(block) for w, block in _PLACE["veto"].items()}
_CITY_CUES = _words(_PLACE["words"]["city_cues"])
_EXTRA_GENTILICS = _words(_PLACE["words"]["extra_gentilics"])
_MEDIA = _words(_PLACE["words"]["media"])
_STATEMENT = _words(_PLACE["words"]["statement"])

# --- English --------------------------------------------------------------------------------
_EN = _PERSON["english"]
_EN_OFFICE = frozenset(_EN["office"].split())
_EN_HONOR = frozenset(_EN["honor"].split())
_EN_TITLES = _EN_OFFICE | _EN_HONOR
_EN_ROLE_WORDS = frozenset(_EN["role_words"].split())
_EN_DEMONYMS = frozenset(_EN["demonyms"].split())
_EN_NAME_PARTICLES = frozenset(_EN["name_particles"].split())
_EN_STOP = frozenset(_EN["stop"].split()) | frozenset(w for w in _MONTHS if w.isascii())
_EN_HUMAN_VERBS = frozenset(_EN["human_verbs"].split())
_EN_ORG_SUFFIX = frozenset(_ORG["english"]["suffix"].split())
_EN_ORG_PREFIX = frozenset(_ORG["english"]["prefix"].split())
_EN_ORG_LINKS = frozenset(_ORG["english"]["links"].split())
_NOT_ORG_ACRONYMS = frozenset(_ORG["english"]["not_acronyms"].split())
