"""Answer feedback: every answer shown is logged; users rate it 👍 or 👎 and may change their mind.

A 👎 list is what a maintainer needs to improve answers, so it exports in the news-qa JSONL shape
(``../shared/data/news-qa/README.md``): ``id``, ``url`` (the first source), ``type``, ``question``
and an empty ``gold`` for the maintainer to fill in from the article, with what the bot said
(``answer``, ``sources``) and who rated it kept beside it. Filled in, the file is an evaluation set
for ``arshif eval``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Sequence

from . import store
from .errors import UnknownAnswer
from .models import Rating

__all__ = ["DOWN", "UP", "Rating", "UnknownAnswer", "as_news_qa", "list_feedback", "log_answer", "rate"]

log = logging.getLogger(__name__)

UP, DOWN = 1, -1


def log_answer(conn: sqlite3.Connection, *, chat_id: int, user_id: int | None, question: str,
               qtype: str | None, answer: str | None, sources: Sequence[dict]) -> int:
    """Record an answer as it is shown; return the id its 👍/👎 buttons carry."""
    return store.insert_answer_log(conn, chat_id, user_id, question, qtype, answer, sources)


def rate(conn: sqlite3.Connection, answer_id: int, user_id: int, rating: int) -> int | None:
    """Store ``user_id``'s rating (UP or DOWN) of an answer; return their previous rating, if any."""
    if rating not in (UP, DOWN):
        raise ValueError(f"rating must be {UP} or {DOWN}, not {rating!r}")
    try:
        previous = store.set_feedback(conn, answer_id, user_id, rating)
    except KeyError as exc:
        raise UnknownAnswer("This answer is no longer known; ask the question again to rate it.") from exc
    log.info("feedback: answer %s rated %+d by user %s (was %s)", answer_id, rating, user_id, previous)
    return previous


def list_feedback(conn: sqlite3.Connection, *, since: str | None = None, rating: int | None = None) -> list[Rating]:
    """Return ratings (all, or only UP or DOWN) changed on or after ``since``, oldest first."""
    return store.feedback_rows(conn, since=since, rating=rating)


def as_news_qa(ratings: Iterable[Rating]) -> list[dict]:
    """Return 👎 ratings as news-qa records (one per answer, however many users disliked it)."""
    out: dict[int, dict] = {}
    for r in ratings:
        if r.rating != DOWN:
            continue
        record = out.get(r.answer_id)
        if record is None:
            urls = [s.get("url") for s in r.sources if s.get("url")]
            record = out[r.answer_id] = {
                "id": f"fb-{r.answer_id}",
                "url": urls[0] if urls else None,
                "type": r.qtype,
                "question": r.question,
                "gold": [],  # for the maintainer: the right span(s), verbatim from the article
                "answer": r.answer,
                "sources": list(r.sources),
                "rated_by": [],
                "rated_at": r.rated_at,
            }
        record["rated_by"].append(r.user_id)
    return list(out.values())
