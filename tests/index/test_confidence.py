"""Confidence evidence: what the answer's own sentence says for it; unrelated articles change nothing.

Articles and questions are written for these tests (fictional people and places).
"""

from __future__ import annotations

import sqlite3

import pytest
from arshif.index import confidence, qa
from arshif.index.ingest import RawArticle, ingest_records


@pytest.fixture(autouse=True)
def _every_guess(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(confidence, "load", lambda: confidence.Calibration({}, 0.0, 0.0))


_ROAD = RawArticle(
    title="اتفاقية لصيانة طريق الواحة الساحلي",
    body="الواحة - وقعت وزارة النقل وشركة الساحل للمقاولات اتفاقية لصيانة طريق الواحة الساحلي.\n\n"
         "ووقع الاتفاقية وزير النقل فارس الحمدان ونظيره في الشركة مدير العمليات وليد السعدي.\n\n"
         "وقال المهندس سامي العتيبي، الذي أشرف طوال عامين على دراسات المسار وتقديرات الكلفة في المنطقة الشرقية، "
         "إن أعمال الصيانة تبدأ مطلع أبريل المقبل وتكلف 40 مليون ريال.",
    published="2025-01-12", url="https://example.org/t/road")
_OTHER = [RawArticle(title=f"مهرجان التمور في بلدة النخيل {k}", body=f"النخيل - افتتح مهرجان التمور السنوي رقم {k} "
                     "في بلدة النخيل بمشاركة مزارعين من المنطقة.", published="2025-01-10",
                     url=f"https://example.org/t/dates-{k}") for k in range(25)]


@pytest.fixture
def road(empty_db: sqlite3.Connection) -> sqlite3.Connection:
    ingest_records(empty_db, iter([_ROAD]))
    return empty_db


@pytest.mark.parametrize(
    ("question", "guess", "head", "adjacent", "role"),
    [
        # The verb and its object, with the signatory (after his role) right beside them.
        ("من وقع اتفاقية صيانة طريق الواحة؟", "فارس الحمدان", 1.0, 1.0, 1.0),
        # «تبدأ ... مطلع أبريل»: the date right after the question's verb.
        ("متى تبدأ أعمال الصيانة؟", "مطلع أبريل المقبل", 1.0, 1.0, 0.0),
    ],
)
def test_strong_local_evidence_is_seen(road: sqlite3.Connection, question: str, guess: str, head: float,
                                       adjacent: float, role: float) -> None:
    answer = qa.answer_question(road, question)
    assert guess in answer.best_guess
    ev = answer.evidence
    assert (ev["head"], ev["adjacent"], ev["role"], ev["typed"]) == (head, adjacent, role, 1.0)
    assert ev["typed_local"] == 1.0 and 0.0 < ev["sentence"] <= 1.0


def test_a_name_far_from_the_question_words_is_not_adjacent(road: sqlite3.Connection) -> None:
    answer = qa.answer_question(road, "من قدر كلفة صيانة الطريق؟")
    assert answer.best_guess == "سامي العتيبي"
    assert answer.evidence["adjacent"] < 0.5  # many words between the name and «الكلفة»


def test_the_evidence_is_the_same_in_a_larger_archive(road: sqlite3.Connection) -> None:
    question = "من وقع اتفاقية صيانة طريق الواحة؟"
    alone = qa.answer_question(road, question).evidence
    ingest_records(road, iter(_OTHER))
    among = qa.answer_question(road, question).evidence
    assert {k: round(among[k], 6) for k in confidence.FEATURES} == {k: round(alone[k], 6) for k in confidence.FEATURES}
    assert "agree" not in confidence.FEATURES  # reprints: a small archive has none


def test_a_calibration_for_other_features_is_refused(tmp_path) -> None:
    path = tmp_path / "old.json"
    path.write_text('{"feature_version": 2, "features": ["prob"], "weights": {"prob": 1}, "bias": 0, "threshold": 0.5}')
    old = confidence.read(path)
    assert not old.usable and not old.shows(1.0)
