"""Follow-ups carry the conversation's subject: «ومتى؟» is asked as the full question it stands for.

Questions are written for the tests; the answers come from the bundled fictional samples.
"""

from __future__ import annotations

import sqlite3

import pytest
from arshif.index import qa
from arshif.index.ingest import RawArticle, ingest_records
from arshif.index.question import analyze_question, asks_until, expand_followup


@pytest.mark.parametrize(
    ("previous", "question", "starts", "holds"),
    [
        # The new question word and words first, then the previous question's subject.
        ("من افتتح جسر الملك حمد الجديد في المنامة؟", "ومتى افتُتح؟", "متى افتُتح", ["جسر", "المنامة"]),
        ("متى افتتح جسر الملك حمد؟", "وكم بلغت تكلفته؟", "كم بلغت تكلفته", ["جسر", "حمد"]),
        ("كم عدد الحجاج القادمين من إندونيسيا هذا العام؟", "ومن أعلن ذلك؟", "من أعلن ذلك", ["الحجاج", "إندونيسيا"]),
        ("متى تبدأ جامعة الواحة استقبال طلبات القبول؟", "وإلى متى يستمر التقديم؟", "إلى متى يستمر التقديم",
         ["جامعة", "الواحة"]),
        ("من يدرب منتخب الريحان لكرة اليد؟", "فأين سيعسكر؟", "أين سيعسكر", ["منتخب", "الريحان"]),
        # More words of its own, but pointing back («منها», «ذلك», «عبرها»).
        ("كم عدد المصانع التي افتتحتها الهيئة في الجبيل؟", "وكم منها يعمل بالطاقة الشمسية؟",
         "كم منها يعمل بالطاقة الشمسية", ["المصانع", "الجبيل"]),
        ("من أعلن إطلاق تطبيق النقل الموحد في الواحة؟", "وعبر أي منصة أعلن ذلك؟", "عبر أي منصة أعلن ذلك",
         ["تطبيق", "الواحة"]),
        # No joining word, but no subject of its own either.
        ("من وقع اتفاقية الصيد البحري بين موريتانيا والسنغال؟", "متى وقعت؟", "متى وقعت", ["الصيد", "موريتانيا"]),
        ("كم بلغت كلفة توسعة ميناء الدمام؟", "من نفذها؟", "من نفذها", ["توسعة", "الدمام"]),
        ("Who opened the Lusail maritime museum?", "and when?", "when", ["Lusail", "museum"]),
        ("Who opened the Lusail maritime museum?", "And where is it?", "where is it", ["Lusail"]),
    ],
)
def test_an_elliptic_question_is_written_out(previous: str, question: str, starts: str, holds: list[str]) -> None:
    full = expand_followup(question, previous)
    assert full.startswith(starts), full
    for word in holds:
        assert word in full, full
    assert full.count(holds[0]) == 1  # words the new question already has are not repeated


@pytest.mark.parametrize(
    ("previous", "question"),
    [
        # Its own subject: the old one is dropped.
        ("من افتتح جسر الملك حمد؟", "ومتى افتتح مستشفى الأمير سلطان في الدمام؟"),
        ("من افتتح جسر الملك حمد؟", "من يدرب نادي الوحدة لكرة القدم هذا الموسم؟"),
        ("Who opened the Lusail maritime museum?", "Who won the Doha marathon this year?"),
        ("من أعلن إطلاق تطبيق النقل الموحد؟", "وما أسباب ارتفاع أسعار الذهب عالميا هذا الأسبوع؟"),
        # Nothing asked before.
        (None, "ومتى؟"),
    ],
)
def test_a_question_with_its_own_subject_stays_as_it_is(previous: str | None, question: str) -> None:
    assert expand_followup(question, previous) == question


def test_a_follow_up_is_answered_from_the_story_just_shown(archive: sqlite3.Connection) -> None:
    first = qa.answer_question(archive, "من وقع اتفاقية الربط الكهربائي بين الأردن ومصر؟")
    then = qa.answer_question(archive, "ومتى؟", context_ids=list(first.shown_ids), previous=first.question_asked)
    assert then.question_asked.startswith("متى") and "الكهربائي" in then.question_asked
    assert then.question == "ومتى؟"
    assert then.sources[0].article_id == first.sources[0].article_id
    guess = then.answer or then.candidate
    assert guess is not None and then.type == "when"


def test_a_chain_of_follow_ups_keeps_the_first_subject(archive: sqlite3.Connection) -> None:
    first = qa.answer_question(archive, "من وقع اتفاقية الربط الكهربائي بين الأردن ومصر؟")
    second = qa.answer_question(archive, "ومتى؟", context_ids=list(first.shown_ids), previous=first.question_asked)
    third = qa.answer_question(archive, "وكم قيمتها؟", context_ids=list(second.shown_ids),
                               previous=second.question_asked)
    assert "الكهربائي" in third.question_asked and third.type == "money"


# Written for these tests (fictional places and people).
_CAMPAIGN = RawArticle(
    title="حملة تطعيم ضد الحصبة في واحة السدرة",
    body="السدرة - أعلن وزير الصحة ناصر القحطاني يوم الاثنين إطلاق حملة التطعيم ضد الحصبة في واحة السدرة.\n\n"
         "وقال مدير الحملة الدكتور عادل الشمري إن الحملة تستهدف 40 ألف طفل، وتستمر حتى نهاية مارس المقبل.",
    published="2025-02-10", url="https://example.org/t/measles")
_FAIR = RawArticle(
    title="افتتاح معرض الكتاب في مدينة الياسمين",
    body="الياسمين - افتتح وزير الثقافة سالم العبدلي معرض الكتاب في مدينة الياسمين يوم الأحد.\n\n"
         "ويستمر المعرض حتى 30 نوفمبر 2025، بمشاركة 300 دار نشر.",
    published="2025-11-17", url="https://example.org/t/book-fair")

_PENSION = RawArticle(
    title="هيئة الواحة للتقاعد توسع استثماراتها",
    body="الواحة - قالت هيئة الواحة للتقاعد إنها تستثمر في 48 شركة محلية، منها 27 شركة مدرجة في السوق المالية، "
         "وتبلغ قيمة محفظتها 12 مليار ريال.",
    published="2025-05-05", url="https://example.org/t/pension")


@pytest.fixture
def stories(empty_db: sqlite3.Connection) -> sqlite3.Connection:
    ingest_records(empty_db, iter([_CAMPAIGN, _FAIR, _PENSION]))
    return empty_db


def _then(conn: sqlite3.Connection, first: qa.Answer, question: str) -> qa.Answer:
    return qa.answer_question(conn, question, context_ids=list(first.shown_ids), previous=first.question_asked,
                              previous_answer=first.best_guess)


@pytest.mark.parametrize(
    ("question", "said", "followup", "then"),
    [
        ("من أعلن إطلاق حملة التطعيم ضد الحصبة؟", "ناصر القحطاني", "ومن يدير الحملة؟", "عادل الشمري"),
        ("من أعلن إطلاق حملة التطعيم ضد الحصبة؟", "ناصر القحطاني", "ومن قال ذلك؟", "عادل الشمري"),
        ("من أعلن إطلاق حملة التطعيم ضد الحصبة؟", "ناصر القحطاني", "ومن مديرها؟", "عادل الشمري"),
        # A number said with its counted noun («48 شركة») is the bare «48» of the next guess too.
        ("كم عدد الشركات المحلية التي تستثمر فيها هيئة الواحة للتقاعد؟", "48 شركة", "وكم منها مدرج في السوق المالية؟",
         "27 شركة"),
    ],
)
def test_a_follow_up_is_not_answered_with_the_previous_answer(stories: sqlite3.Connection, question: str, said: str,
                                                              followup: str, then: str) -> None:
    first = qa.answer_question(stories, question)
    assert first.best_guess == said
    assert _then(stories, first, followup).best_guess == then


@pytest.mark.parametrize(
    ("first", "followup", "end"),
    [
        ("متى افتتح معرض الكتاب في مدينة الياسمين؟", "وإلى متى يستمر؟", "30 نوفمبر 2025"),
        ("متى بدأت حملة التطعيم ضد الحصبة؟", "وحتى متى تستمر؟", "نهاية مارس المقبل"),
        (None, "إلى متى يستمر معرض الكتاب في مدينة الياسمين؟", "30 نوفمبر 2025"),
    ],
)
def test_until_when_asks_for_the_end_of_a_period(stories: sqlite3.Connection, first: str | None, followup: str,
                                                 end: str) -> None:
    if first is None:
        then = qa.answer_question(stories, followup)
    else:
        start = qa.answer_question(stories, first)
        assert start.best_guess in ("يوم الأحد", "يوم الاثنين")
        then = _then(stories, start, followup)
    assert then.type == "when" and then.best_guess == end


@pytest.mark.parametrize(
    ("question", "until"),
    [("إلى متى تستمر الحملة؟", True), ("وإلى متى؟", True), ("وحتى متى يبقى المعرض مفتوحا؟", True),
     ("Until when will the museum stay open?", True), ("متى تنتهي الحملة؟", False), ("متى بدأت الحملة؟", False),
     ("When does the fair open?", False)],
)
def test_until_when_is_read_as_asking_for_an_end(question: str, until: bool) -> None:
    assert asks_until(question) is until
    assert analyze_question(question).type == "when"
