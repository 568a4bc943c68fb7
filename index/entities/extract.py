"""``extract_entities``: run every rule over one text and keep the longest, most trusted candidates."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import compress

from .doc import Entity, _Doc
from .known import _known
from .numbers import _numbers
from .orgs import _fixed, _orgs
from .people_ar import _persons
from .people_en import _persons_en_before_verb
from .places import _places
from .tokens import _TRIG


def extract_entities(text: str, known: Mapping[str, str] | None = None) -> list[Entity]:
    """Return the people, organisations, places and numbers of ``text``, sorted, non-overlapping.

    ``known`` maps learned keys (``entity_key`` of a name) to "person"/"org": those names are
    found anywhere, without a cue. Never raises on odd input; returns [] for empty text.
    """
    if not text or not isinstance(text, str):
        return []
    doc = _Doc(text)
    T = doc.T
    trig = list(compress(range(doc.n), map(_TRIG, T)))
    if trig:
        _numbers(doc, trig)
        _places(doc, trig)
        _orgs(doc, trig)
        _persons(doc, trig)
        _fixed(doc, trig)
    _persons_en_before_verb(doc)
    if known:
        _known(doc, known)
    return _resolve(doc)


def _resolve(doc: _Doc) -> list[Entity]:
    """Keep the longest candidates (then the most trusted) so that no two share a token."""
    if not doc.cands:
        return []
    text = doc.text
    taken = bytearray(doc.n)
    out: list[Entity] = []
    for i, j, _prio, kind, cs, ce, role, value, unit, key in sorted(
        doc.cands, key=lambda c: (c[0] - c[1], -c[2], c[0])
    ):
        if any(taken[i : j + 1]):
            continue
        taken[i : j + 1] = b"\x01" * (j - i + 1)
        span = text[cs:ce]
        if key is None:
            key = doc.key(i, j, cs)
        out.append(Entity(kind, cs, ce, span, role, value, unit, key))
    out.sort(key=lambda e: e.start)
    return out
