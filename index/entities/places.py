"""Places: gazetteer matches, names after a place cue («في ولاية لوغار»), and ambiguous names read in context."""

from __future__ import annotations

from .doc import Entity, _Doc
from .gazetteer import _place_index, _place_table
from .tables import _CITY_CUES, _EN_ORG_LINKS, _MEDIA, _PLACE_VETO, _STATEMENT, _n
from .tokens import (
    ARABIC,
    CAP,
    CONSTRUCT,
    DEF,
    FEM,
    GENTILIC,
    GIVEN,
    LATIN,
    NUMWORD,
    OCUE,
    PCUE,
    PLACE,
    PLACECUE,
    QUOTE,
    SPEECH,
    STOP,
    UPPER,
)


def place_name(entity: Entity, text: str = "") -> str:
    """Return the canonical name of a place entity, reading context for ambiguous names.

    «عمان» is Oman or Amman: the city wins when written with a shadda (عمّان), glued to بـ, or
    after «في»/«العاصمة»; otherwise the first meaning in places.tsv (the country) stands.
    """
    meanings = _place_table()[1].get(entity.key)
    if not meanings:
        return entity.text
    if len(meanings) > 1:
        before = text[max(0, entity.start - 20) : entity.start]
        words = before.split()
        glued = entity.start > 0 and text[entity.start - 1 : entity.start] in ("ب", "ـ")
        if "\u0651" in entity.text or glued or (words and _n(words[-1]) in _CITY_CUES):
            return meanings[1]
    return meanings[0]


def _places(doc: _Doc, trig: list[int]) -> None:
    T = doc.T
    index = _place_index()
    for i in trig:
        f = T[i].flags
        if f & PLACE:
            _place_at(doc, i, index)
        if f & PLACECUE:
            _place_after_cue(doc, i, index)


def _place_at(doc: _Doc, i: int, index: dict) -> bool:
    """Gazetteer match starting at token i (any glued-prefix reading), longest window first."""
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    t = T[i]
    latin = bool(t.flags & LATIN)
    for off, form in t.variants:
        entries = index.get(form)
        if not entries:
            continue
        for rest, key in entries:
            j = i + len(rest)
            if j >= n:
                continue
            if any(T[i + 1 + k].norm != w for k, w in enumerate(rest)):
                continue
            if latin and not _latin_name_ok(doc, i, j, key):
                continue
            if not rest and not latin and not _arabic_place_ok(doc, i, form):
                continue
            doc.add(i, j, 3, "place", S[i] + off, E[j], key=key)
            return True
    return False


def _latin_name_ok(doc: _Doc, i: int, j: int, key: str) -> bool:
    """English names must be capitalised ("Turkey", not "turkey"); short ones all capitals (US)."""
    T = doc.T
    if len(key) <= 3 or key.endswith("."):
        return all(T[k].flags & UPPER or "." in T[k].norm for k in range(i, j + 1))
    return all(T[k].flags & CAP for k in range(i, j + 1) if T[k].norm not in _EN_ORG_LINKS)


def _arabic_place_ok(doc: _Doc, i: int, form: str) -> bool:
    """Refuse a one-word place read as an adjective («الحكومة السعودية») or vetoed by context."""
    T = doc.T
    prev = T[i - 1] if i > 0 else None
    if (
        prev is not None
        and form.startswith("ال")
        and form.endswith("يه")
        and prev.flags & DEF
        and not prev.flags & STOP
    ):
        return False
    veto = _PLACE_VETO.get(form)
    if veto and prev is not None and prev.norm in veto:
        return False
    return not _media_name(doc, i)


def _media_name(doc: _Doc, i: int) -> bool:
    """A newspaper or channel named like a place: «صحيفة الرياض», «قال لـ"الرياض"», «حديثه للمدينة».

    The name follows a media word, or is quoted after the dative «لـ», or is glued to «لـ» right
    after a speech verb or a statement noun: the paper the speaker talked to, not where.
    """
    T = doc.T
    k = i - 1
    quoted = k >= 0 and T[k].flags & QUOTE
    if quoted:
        k -= 1
    if k < 0:
        return False
    prev = T[k]
    if any(form in _MEDIA for _, form in prev.variants):
        return True
    dative = prev.norm == "ل" or (not quoted and T[i].norm.startswith("لل"))
    if not dative:
        return False
    if quoted:
        return True
    speaker = T[k - 1] if prev.norm == "ل" and k > 0 else prev
    return bool(speaker.flags & SPEECH) or any(form in _STATEMENT for _, form in speaker.variants)


def _place_after_cue(doc: _Doc, i: int, index: dict) -> None:
    """«في ولاية لوغار», «العاصمة الأفغانية كابل»: a place word then a name not in the gazetteer."""
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    k = i + 1
    while k < n and k <= i + 2 and T[k].flags & GENTILIC:
        k += 1
    if k >= n:
        return
    t = T[k]
    f = t.flags
    if f & PLACE and _place_at(doc, k, index):
        return
    if not f & ARABIC or f & (STOP | PCUE | OCUE | CONSTRUCT | NUMWORD | GENTILIC | PLACECUE | GIVEN):
        return
    if f & FEM and not f & DEF:  # «منطقة عسكرية»: an adjective
        return
    if len(t.norm) < 3 or t.norm.endswith(("ين", "ون", "ات")):
        return
    doc.add(k, k, 1, "place", S[k], E[k])
