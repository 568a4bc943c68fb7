"""`arshif eval` on news-qa JSON lines: loading, scoring by the README's rules, the figures.

Sentences and questions here are written for the tests (fictional places and people).
"""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import pytest
from arshif.index.errors import DatasetError
from arshif.index.evaluation import (
    NewsQuestion,
    evaluate_news,
    is_news_file,
    is_right,
    load_news_questions,
    reliability_table,
)


def news(gold: tuple[str, ...], *, all_: bool = False, gold_date: str | None = None) -> NewsQuestion:
    return NewsQuestion("t", "سؤال؟", "who", gold, frozenset({"http://x/1"}), all_, gold_date)


def fact(text: str, value: str | None = None) -> dict:
    return {"kind": "person", "text": text, "value": value, "role": None}


@pytest.mark.parametrize(
    ("reply", "question", "right"),
    [
        # Alef/hamza forms, ta marbuta, alef maqsura, harakat and digits are normalised.
        ({"answer": "أحمد بن سالم الرميثي"}, news(("احمد بن سالم الرميثى",)), True),
        ({"answer": "مُؤسَّسة الواحة"}, news(("مؤسسه الواحه",)), True),
        ({"answer": "١٢٥ مليون ريال"}, news(("125 مليون ريال",)), True),
        ({"answer": "إلى مدينة الريحان"}, news(("مدينة الياسمين",)), False),
        # `all`: every gold span must be there.
        ({"answer": "خالد العمري، سلوى الحداد"}, news(("خالد العمري", "سلوى الحداد"), all_=True), True),
        ({"answer": "خالد العمري"}, news(("خالد العمري", "سلوى الحداد"), all_=True), False),
        ({"answer": "سلوى", "facts": [fact("خالد العمري"), fact("سلوى الحداد")]},
         news(("خالد العمري", "سلوى الحداد"), all_=True), True),
        # The gold date in a fact's value counts, at day or month precision.
        ({"answer": "الخميس الماضي", "facts": [fact("الخميس الماضي", "2019-03-14")]},
         news(("14 مارس",), gold_date="2019-03-14"), True),
        ({"answer": "مطلع مارس", "facts": [fact("مطلع مارس", "2019-03-01")]},
         news(("مطلع مارس الماضي",), gold_date="2019-03"), True),
        ({"answer": "أمس", "facts": [fact("أمس", "2019-03-13")]}, news(("الخميس",), gold_date="2019-03-14"), False),
        # Length caps: a 100+ character answer or a 60+ character fact text does not count.
        ({"answer": "خالد العمري " + "ك" * 100}, news(("خالد العمري",)), False),
        ({"answer": "لا", "facts": [fact("خالد العمري " + "ك" * 60)]}, news(("خالد العمري",)), False),
        # Nothing shown is never right, whatever the facts say.
        ({"answer": None, "facts": [fact("خالد العمري")]}, news(("خالد العمري",)), False),
    ],
)
def test_a_reply_is_scored_as_the_readme_says(reply: dict, question: NewsQuestion, right: bool) -> None:
    assert is_right(reply, question) is right


def test_the_best_guess_is_scored_on_its_own() -> None:
    reply = {"answer": None, "candidate": "خالد العمري", "facts": []}
    assert not is_right(reply, news(("خالد العمري",)))
    assert is_right(reply, news(("خالد العمري",)), field="candidate")
    dated = {"answer": None, "candidate": "أمس", "candidate_value": "2019-03-13", "facts": []}
    assert is_right(dated, news(("الأربعاء",), gold_date="2019-03-13"), field="candidate")
    assert not is_right(dated, news(("الأربعاء",), gold_date="2019-03-13"))


def test_all_three_formats_load(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    rows = [
        {"id": "a", "url": "http://x/1", "type": "who", "question": "من افتتح الجسر؟", "gold": ["سالم"],
         "also_in": ["http://y/1"]},
        {"id": "b", "url": "http://x/2", "first": {"question": "من افتتح السوق؟", "type": "who", "gold": ["منى"]},
         "then": {"question": "ومتى؟", "type": "when", "gold": ["أمس"], "gold_date": "2020-01-02"}},
        {"id": "c", "url": "http://x/3", "type": "where", "question": "Where is the market?", "gold": ["السدرة"],
         "renderings": ["Sidra"]},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    loaded = load_news_questions(path)
    assert [q.qid for q in loaded] == ["a", "b", "c"]
    assert loaded[0].urls == {"http://x/1", "http://y/1"}
    assert loaded[1].followup is not None and loaded[1].followup.gold_date == "2020-01-02"
    assert loaded[1].followup.urls == {"http://x/2"}
    assert is_news_file(path)


def test_a_broken_line_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "question": "?"}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="line 1: not a news-qa question"):
        load_news_questions(path)


def test_squad_is_not_a_news_file(tmp_path: Path) -> None:
    path = tmp_path / "squad.json"
    path.write_text('{"data": [{"title": "t", "paragraphs": []}]}', encoding="utf-8")
    assert not is_news_file(path)


def test_reliability_bins_count_every_reply() -> None:
    rows = [{"confidence": c, "reader_right": r, "shown": s}
            for c, r, s in [(0.05, 0.0, 0.0), (0.15, 1.0, 0.0), (0.95, 1.0, 1.0), (1.0, 1.0, 1.0), (0.5, 0.0, 0.0)]]
    table = reliability_table(rows)
    assert sum(b["n"] for b in table) == len(rows)
    first, last = table[0], table[-1]
    assert (first["n"], first["right"]) == (2, 0.5)
    assert (last["n"], last["right"], last["shown"]) == (2, 1.0, 2)
    assert math.isnan(table[1]["right"])


def test_news_eval_asks_the_archive_and_follows_up(archive: sqlite3.Connection, tmp_path: Path) -> None:
    url = "https://example.org/samples/ar-aqaba-desalination"
    path = tmp_path / "tiny.jsonl"
    rows = [
        {"id": "1", "url": url, "type": "how_many", "question": "كم تبلغ كلفة مشروع تحلية مياه العقبة؟",
         "gold": ["مليار دولار"]},
        {"id": "2", "url": "http://elsewhere/", "first": {"question": "كم تبلغ كلفة مشروع تحلية مياه العقبة؟",
                                                           "type": "how_many", "gold": ["مليار دولار"]},
         "then": {"question": "ومتى؟", "type": "when", "gold": ["لا شيء"]}},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    report = evaluate_news(path, archive)
    assert report.questions == 3
    assert report.rows[0]["source_hit"] == 1.0 and report.rows[1]["source_hit"] == 0.0
    assert report.followups["questions"] == 1
    assert set(report.overall) >= {"source_at_1", "answer_hit", "precision", "coverage", "reader_hit"}
    assert sum(b["n"] for b in report.reliability) == 3
    json.dumps(report.as_dict())
