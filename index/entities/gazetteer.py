"""The gazetteer: place names (data/places.tsv) and the nationality adjectives derived from them."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType

from .tables import _EXTRA_GENTILICS


@cache
def _place_table() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Read places.tsv once: key → first canonical name, and key → every meaning (عمان)."""
    first: dict[str, str] = {}
    meanings: dict[str, tuple[str, ...]] = {}
    path = resources.files("arshif.index").joinpath("data/places.tsv")
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or "\t" not in line:
            continue
        key, canonical = line.split("\t", 1)
        first.setdefault(key, canonical)
        if canonical not in meanings.get(key, ()):
            meanings[key] = (*meanings.get(key, ()), canonical)
    return first, meanings


def load_places() -> Mapping[str, str]:
    """Return folded-normalised place name (Arabic and English) → canonical display name."""
    return _places_view()


@cache
def _places_view() -> Mapping[str, str]:
    return MappingProxyType(_place_table()[0])


@cache
def _place_index() -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    """First word → (rest of the words, key), longest first: lookups on 1–4 token windows."""
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for key in _place_table()[0]:
        words = key.split()
        index.setdefault(words[0], []).append((tuple(words[1:]), key))
    return {w: tuple(sorted(v, key=lambda p: -len(p[0]))) for w, v in index.items()}


@cache
def _gentilics() -> frozenset[str]:
    """Nationality adjectives («المغربي», «الإسرائيلية»), derived from the Arabic place names.

    They belong to roles («نظيره المغربي») and are never places themselves.
    """
    bases = set(_EXTRA_GENTILICS)
    for key in _place_table()[0]:
        if " " in key or key.isascii():
            continue
        base = key[2:] if key.startswith("ال") else key
        bases.add(base + "ي")
        if base.endswith("يا"):
            bases.add(base[:-2] + "ي")
        if base.endswith(("ا", "ه")):
            bases.add(base[:-1] + "ي")
    out = set()
    for b in bases:
        for form in (b, b + "ه"):
            out.add(form)
            out.add("ال" + form)
    return frozenset(out)
