"""Answer feedback: logged answers, ratings that can change, the news-qa export of 👎."""

from __future__ import annotations

import json
import sqlite3

import pytest
from arshif.index import feedback, store
from arshif.index.feedback import DOWN, UP

SOURCES = [
    {"article_id": 7, "title": "اتفاقية السايبر", "url": "https://example.org/7", "published": "2021-08-10"},
    {"article_id": 9, "title": "خبر آخر", "url": None, "published": None},
]


def _answer(conn: sqlite3.Connection, question: str = "من وقع الاتفاقية؟", answer: str | None = "يغال أونا") -> int:
    return feedback.log_answer(conn, chat_id=5, user_id=11, question=question, qtype="who", answer=answer,
                               sources=SOURCES)


def test_a_rating_is_stored_with_the_answer(empty_db: sqlite3.Connection) -> None:
    answer_id = _answer(empty_db)
    assert feedback.rate(empty_db, answer_id, 11, DOWN) is None
    [r] = feedback.list_feedback(empty_db)
    assert (r.answer_id, r.user_id, r.rating, r.question, r.qtype, r.answer) == (
        answer_id, 11, DOWN, "من وقع الاتفاقية؟", "who", "يغال أونا")
    assert r.sources == tuple(SOURCES) and r.chat_id == 5 and r.asked_by == 11
    assert r.as_dict()["rating"] == "down"


def test_a_rating_can_be_changed_and_each_user_has_one(empty_db: sqlite3.Connection) -> None:
    answer_id = _answer(empty_db)
    feedback.rate(empty_db, answer_id, 11, DOWN)
    assert feedback.rate(empty_db, answer_id, 11, UP) == DOWN
    feedback.rate(empty_db, answer_id, 12, DOWN)
    ratings = {(r.user_id, r.rating) for r in feedback.list_feedback(empty_db)}
    assert ratings == {(11, UP), (12, DOWN)}
    assert [r.user_id for r in feedback.list_feedback(empty_db, rating=DOWN)] == [12]


def test_unknown_answers_and_bad_ratings(empty_db: sqlite3.Connection) -> None:
    with pytest.raises(feedback.UnknownAnswer):
        feedback.rate(empty_db, 999, 11, UP)
    with pytest.raises(ValueError):
        feedback.rate(empty_db, _answer(empty_db), 11, 0)


def test_since(empty_db: sqlite3.Connection) -> None:
    feedback.rate(empty_db, _answer(empty_db), 11, UP)
    assert len(feedback.list_feedback(empty_db, since="2000-01-01")) == 1
    assert feedback.list_feedback(empty_db, since="2999-01-01") == []


def test_news_qa_export(empty_db: sqlite3.Connection) -> None:
    disliked = _answer(empty_db)
    liked = _answer(empty_db, "متى وقعت؟", "10 أغسطس 2021")
    feedback.rate(empty_db, disliked, 11, DOWN)
    feedback.rate(empty_db, disliked, 12, DOWN)
    feedback.rate(empty_db, liked, 11, UP)
    [record] = feedback.as_news_qa(feedback.list_feedback(empty_db))
    assert record["id"] == f"fb-{disliked}"
    assert record["url"] == "https://example.org/7"
    assert (record["type"], record["question"], record["gold"]) == ("who", "من وقع الاتفاقية؟", [])
    assert record["answer"] == "يغال أونا" and record["rated_by"] == [11, 12]
    json.dumps(record, ensure_ascii=False)  # one JSONL line


def test_answers_are_deleted_with_their_ratings(empty_db: sqlite3.Connection) -> None:
    answer_id = _answer(empty_db)
    feedback.rate(empty_db, answer_id, 11, UP)
    empty_db.execute("DELETE FROM answer_log WHERE id = ?", (answer_id,))
    assert feedback.list_feedback(empty_db) == []
    assert store.schema_version(empty_db) >= 6
