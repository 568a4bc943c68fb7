"""Answer candidates over a small archive: what the archive itself says about words and kinds.

Invented articles, written for these tests: a noun the extractor read as a name after a title is
a common word of the archive and never answers «من»; «في أي مستشفى» is answered by the hospital
named in the article, not by the city around it; the span weights say how they were made.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from arshif.index import qa, spans, store
from arshif.index.ingest import RawArticle, ingest_records

_FILLER = [
    "انطلق مهرجان الربيع في الحديقة العامة وسط حضور كبير من العائلات.",
    "يستمر مهرجان الصيف حتى نهاية الشهر ويضم عروضا للأطفال.",
    "شهد مهرجان الزهور إقبالا واسعا من الزوار في يومه الأول.",
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory):
    conn = store.connect(Path(tmp_path_factory.mktemp("spans")) / "a.db")
    records = [RawArticle(title=f"خبر محلي {k}", body=_FILLER[k % 3] + f" وهذا الخبر رقم {k} عن الفعاليات.",
                          url=f"https://example.org/filler/{k}", published="2015-08-01") for k in range(70)]
    records.append(RawArticle(
        title="افتتاح مهرجان التمور في بريدة",
        body=("افتتح محافظ بريدة مهرجان التمور السنوي مساء أمس بحضور المزارعين. "
              "وقال المدير التنفيذي للمهرجان سامي العتيبي إن عدد المشاركين تضاعف هذا العام."),
        url="https://example.org/dates", published="2015-08-02"))
    records.append(RawArticle(
        title="نقل مصابي حادث الطريق الساحلي",
        body=("نقلت فرق الهلال الأحمر المصابين في حادث الطريق الساحلي إلى مستشفى الملك فيصل في مدينة تبوك. "
              "وأوضح المتحدث باسم الصحة أن حالة اثنين منهم حرجة."),
        url="https://example.org/crash", published="2015-08-03"))
    ingest_records(conn, records, workers=1)
    yield conn
    conn.close()


def test_a_common_word_read_as_a_name_does_not_answer_who(archive) -> None:
    question = "من افتتح فعاليات التمور السنوية في بريدة؟"
    g = qa.gather(archive, qa.analyze_question(question), None)
    assert g is not None
    assert not [c.text for c in g.candidates if c.kind == "person" and c.text.startswith("مهرجان")]
    assert ("person", "سامي العتيبي") in {(c.kind, c.text) for c in g.candidates}
    answer = qa.answer_question(archive, question)
    assert not any(f.kind == "person" and f.text.startswith("مهرجان") for f in answer.facts)


def test_which_hospital_is_answered_by_the_hospital(archive) -> None:
    answer = qa.answer_question(archive, "إلى أي مستشفى نقل مصابو حادث الطريق الساحلي؟")
    assert "مستشفى الملك فيصل" in (answer.answer or getattr(answer, "candidate", None) or "")


def test_span_weights_say_how_they_were_made() -> None:
    raw = (resources.files("arshif.index") / "data" / "span_weights.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    assert data["feature_version"] == spans.FEATURE_VERSION
    assert data["made"]["script"] == "tests/bench/train_spans.py"
    assert {"data", "seed", "feature_version"} <= data["made"].keys()
    assert spans.load_weights()


def test_weights_of_another_feature_version_are_refused(monkeypatch, caplog) -> None:
    real = json.loads((resources.files("arshif.index") / "data" / "span_weights.json").read_text(encoding="utf-8"))
    stale = json.dumps({**real, "feature_version": -1})

    class _File:
        def __truediv__(self, _name: str) -> _File:
            return self

        def read_text(self, encoding: str = "utf-8") -> str:
            return stale

    monkeypatch.setattr(spans.resources, "files", lambda _package: _File())
    spans.load_weights.cache_clear()
    try:
        assert spans.load_weights() == {}
        assert "refit" in caplog.text
    finally:
        monkeypatch.undo()
        spans.load_weights.cache_clear()
