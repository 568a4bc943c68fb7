"""Facts extracted at ingest, sentence by sentence: resolved dates, people with roles,
organisations, places and numbers, stored with their spans so answers, timelines and alerts use
them without re-reading text.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date

from .dates import extract_dates
from .entities import extract_entities

__all__ = ["FACT_KINDS", "extract_facts"]

log = logging.getLogger(__name__)

FACT_KINDS = ("date", "person", "org", "place", "number", "money", "percent", "quantity")
# Names learned from cue words (a role, «شركة ...») are recognised without the cue elsewhere.
_LEARNABLE = ("person", "org")


def extract_facts(
    body: str, sentences: list[tuple[int, int]], published: str | None, known: Mapping[str, str]
) -> tuple[list[tuple], list[tuple[str, str]]]:
    """Return (fact rows, learned names) for an article body.

    A fact row is ``(kind, start, end, text, value, value_end, precision, role, unit, key)``
    with spans in ``body``; learned names are ``(key, kind)`` of people and organisations that
    appeared with a cue word, so later articles recognise them bare.
    """
    reference = date.fromisoformat(published) if published else None
    rows: list[tuple] = []
    names: list[tuple[str, str]] = []
    for s, e in sentences:
        sentence = body[s:e]
        try:
            dates = extract_dates(sentence, reference)
            entities = extract_entities(sentence, known)
        except Exception:  # an extractor bug must cost one sentence's facts, never the article
            log.warning("fact extraction failed on a sentence of %d chars", e - s, exc_info=True)
            continue
        for d in dates:
            rows.append(("date", s + d.start, s + d.end, d.text, d.value.isoformat(),
                         d.end_value.isoformat(), d.precision, None, None, None))
        for ent in entities:
            value = None if ent.value is None else repr(ent.value)
            rows.append((ent.kind, s + ent.start, s + ent.end, ent.text, value, None, None,
                         ent.role, ent.unit, ent.key or None))
            if ent.kind in _LEARNABLE and ent.key and (ent.role or ent.kind == "org"):
                names.append((ent.key, ent.kind))
    return rows, names
