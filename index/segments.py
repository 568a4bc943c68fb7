"""Sentences and passages: the units the answer engine retrieves and quotes.

Sentences end at ``. ! ? ؟`` (and the Arabic full stop ``۔``) followed by space, or at a line
break; the Arabic comma «،» is not a sentence end. A period between digits («7.5») or after a
single Latin capital («J. Doe») does not end one. Passages group consecutive sentences of one
paragraph up to ``PASSAGE_WORDS`` words, so an answer's context travels with it.
"""

from __future__ import annotations

import re

__all__ = ["PASSAGE_WORDS", "split_passages", "split_sentences"]

PASSAGE_WORDS = 60

_SENTENCE_END = re.compile(r"(?<![0-9])(?<!\b[A-Z])[.!?؟۔…]+[\"'»”)\]]*(?=\s)|\n+")
_WORDS = re.compile(r"\S+")


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of the sentences of ``text``, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end() if m.group()[0] != "\n" else m.start()
        span = _trimmed(text, start, end)
        if span:
            spans.append(span)
        start = m.end()
    span = _trimmed(text, start, len(text))
    if span:
        spans.append(span)
    return spans


def split_passages(text: str, sentences: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Return (start, end) spans of passages: runs of sentences of one paragraph, ~60 words each."""
    sentences = split_sentences(text) if sentences is None else sentences
    passages: list[tuple[int, int]] = []
    cur_start = cur_end = -1
    words = 0
    for s, e in sentences:
        n = len(_WORDS.findall(text, s, e))
        new_paragraph = cur_end >= 0 and "\n" in text[cur_end:s]
        if cur_start >= 0 and (new_paragraph or words + n > PASSAGE_WORDS):
            passages.append((cur_start, cur_end))
            cur_start = -1
            words = 0
        if cur_start < 0:
            cur_start = s
        cur_end = e
        words += n
    if cur_start >= 0:
        passages.append((cur_start, cur_end))
    return passages
