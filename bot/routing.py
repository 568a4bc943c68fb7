"""How a plain message is routed: a question (answered) or words (searched). Telegram-free.

A message is a question when it reads like one: «؟» or "?", or a question word first (folded like
the index, so «أين» and «اين» are one word), also behind a glued «و»/«ف» («ومتى», "and when").
Kept apart from ``bot.core`` so any feature module can use the same rule without importing the core.
"""

from __future__ import annotations

from arshif.index.analysis import fold, normalize

__all__ = ["is_question"]

# First words that make a message a question. Folded like the index («أين» → «اين»), with the
# glued «و»/«ف» of a follow-up («ومتى») removed before the lookup.
_QUESTION_WORDS = frozenset(
    fold(normalize(w))
    for w in """من متى أين اين كم ما ماذا ماهو ماهي لماذا لما كيف هل أي اي أية لمن
    who whom whose when where what which why how is are was were did does do can""".split()
)


def is_question(text: str) -> bool:
    """True when a message reads like a question: «؟» or "?", or a question word first."""
    if "؟" in text or "?" in text:
        return True
    words = text.split(maxsplit=1)
    if not words:
        return False
    first = fold(normalize(words[0])).strip(".,:;!«»\"'()")
    if first in _QUESTION_WORDS:
        return True
    # «ومتى», «فأين»: a glued conjunction in front of a question word.
    return len(first) > 2 and first[0] in "وف" and first[1:] in _QUESTION_WORDS
