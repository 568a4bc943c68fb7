"""An entity, and the tokens of one text with the candidates the rules find in it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .tokens import _GROUP, _TOKEN_RE, PUNCT, QUOTE, _key_of, _Tok, _tok


@dataclass(frozen=True, slots=True)
class Entity:
    """One mention: its span in the original text, and for people the role written next to it."""

    kind: str  # "person" | "org" | "place" | "number" | "money" | "percent" | "quantity"
    start: int
    end: int
    text: str
    role: str | None
    value: float | None
    unit: str | None
    key: str


class _Starts:
    """Token start offsets, read from the match objects only where a rule looks."""

    __slots__ = ("m",)

    def __init__(self, matches: list[re.Match[str]]) -> None:
        self.m = matches

    def __getitem__(self, i: int) -> int:
        return self.m[i].start()


class _Ends(_Starts):
    __slots__ = ()

    def __getitem__(self, i: int) -> int:
        return self.m[i].end()


class _Doc:
    """The tokens of one text and the candidates found in it."""

    __slots__ = ("E", "S", "T", "cands", "n", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        matches = list(_TOKEN_RE.finditer(text))
        # C-level maps: the Python work per token is one cached dictionary lookup
        self.T: list[_Tok] = list(map(_tok, map(_GROUP, matches)))
        self.S = _Starts(matches)
        self.E = _Ends(matches)
        self.n = len(matches)
        self.cands: list[tuple] = []

    def key(self, i: int, j: int, cs: int) -> str:
        """``entity_key`` of the span from char ``cs`` to the end of token j, from the tokens."""
        first = self.T[i] if cs == self.S[i] else _tok(self.text[cs : self.E[i]])
        return _key_of([first, *self.T[i + 1 : j + 1]])

    def add(
        self,
        i: int,
        j: int,
        prio: int,
        kind: str,
        cs: int,
        ce: int,
        role: str | None = None,
        value: float | None = None,
        unit: str | None = None,
        key: str | None = None,
    ) -> None:
        self.cands.append((i, j, prio, kind, cs, ce, role, value, unit, key))


def _quoted(doc: _Doc, k: int, limit: int = 8) -> int:
    """If token k opens a quote closed within ``limit`` tokens, return the closing index, else -1."""
    T, n = doc.T, doc.n
    for c in range(k + 1, min(n, k + limit + 1)):
        tc = T[c]
        if tc.flags & QUOTE:
            return c if c > k + 1 else -1
        if tc.flags & PUNCT and tc.norm in ".،,؛;:!?؟()":
            return -1
    return -1
