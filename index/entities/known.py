"""Learned names: keys learned from the archive (``known``), matched anywhere without a cue."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice

from .doc import _Doc
from .orgs import _match_names
from .people_ar import _name_ar
from .tokens import GIVEN


class _KnownIndex:
    """First word → (rest of the words, kind, key) of the learned names, longest first.

    Extraction runs per sentence with the same mapping, so the index is kept between calls: reused
    while the mapping is the same object (or an equal one: a caller may reload the names per
    question), extended when a dict only grew (new keys come last), rebuilt otherwise.
    """

    def __init__(self) -> None:
        self.source: Mapping[str, str] | None = None
        self.snapshot: dict[str, str] = {}
        self.index: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}

    def get(self, known: Mapping[str, str]) -> dict[str, list[tuple[tuple[str, ...], str, str]]]:
        size = len(self.snapshot)
        if len(known) == size and (known is self.source or known == self.snapshot):
            self.source = known
            return self.index
        if known is self.source and isinstance(known, dict) and len(known) > size:
            added = list(islice(known.items(), size, None))
        else:
            self.index, self.snapshot, added = {}, {}, list(known.items())
        touched = set()
        for key, kind in added:
            words = key.split()
            if words:
                self.index.setdefault(words[0], []).append((tuple(words[1:]), kind, key))
                touched.add(words[0])
        for w in touched:
            self.index[w].sort(key=lambda p: -len(p[0]))
        self.snapshot.update(added)
        self.source = known
        return self.index


_KNOWN_INDEX = _KnownIndex()


def _known(doc: _Doc, known: Mapping[str, str]) -> None:
    index = _KNOWN_INDEX.get(known)
    if not index:
        return
    keys = index.keys()
    for i, t in enumerate(doc.T):
        if not keys.isdisjoint(t.forms) and _match_names(doc, i, index, 4):
            _extend_given_name(doc)


def _extend_given_name(doc: _Doc) -> None:
    """«فهد» learned alone, «فهد الزامل» written: a learned given name takes the name after it.

    The name is read as after a title (``_name_ar``), less trailing accusative words («رئيسا»).
    """
    i, j, prio, kind, cs, _ce, role, value, unit, _key = doc.cands[-1]
    T = doc.T
    if kind != "person" or i != j or not T[i].flags & GIVEN:
        return
    end = _name_ar(doc, i)
    while end > i and T[end].norm.endswith("ا") and not T[end].flags & GIVEN:
        end -= 1
    if end > i:
        doc.cands[-1] = (i, end, prio, kind, cs, doc.E[end], role, value, unit, None)
