"""People profiles: name variants resolve to one person, roles with their dates, company kept."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from arshif.index import people, store
from arshif.index.ingest import ingest_paths

DOCS = [
    ("الخطيب يتفقد الميناء", "قال الفريق سامر الخطيب رئيس هيئة ميناء الياسمين اليوم إن السفن تعبر في مدينة الريحان.",
     "2022-03-01"),
    ("الميناء يستقبل السفن", "وأكد رئيس هيئة ميناء الياسمين الفريق سامر الخطيب أن العمل مستمر في مدينة الريحان.",
     "2022-03-05"),
    ("جامعة الريحان", "قال الدكتور سامر الخطيب، مدير جامعة الريحان، إن الطلاب عادوا إلى القاعات.", "2022-06-10"),
    ("الحديقة", "وقال رئيس بلدية النخيل سامر الحداد إن الحديقة افتتحت أمام الزوار.", "2022-04-02"),
    ("السوق", "وقال رئيس بلدية النخيل سامر الحداد إن السوق الجديد جاهز.", "2022-04-09"),
    ("الطاقة", "قال وزير الطاقة نزار الأحمد إن المحطة جاهزة للتشغيل.", "2022-05-01"),
    ("الطاقة 2", "وأعلن وزير الطاقة نزار الأحمد أن المحطة بدأت العمل.", "2022-05-03"),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    folder = tmp_path_factory.mktemp("people")
    path = folder / "docs.json"
    path.write_text(json.dumps([
        {"title": t, "content": b, "published": p, "source": "test", "url": f"https://example.org/{i}"}
        for i, (t, b, p) in enumerate(DOCS)
    ], ensure_ascii=False), encoding="utf-8")
    conn = store.connect(folder / "people.db")
    ingest_paths(conn, [path], workers=1)
    yield conn
    conn.close()


@pytest.mark.parametrize(("name", "form"), [
    ("سامر الخطيب", ("سامر", "خطيب")),
    ("سامر خطيب", ("سامر", "خطيب")),  # without «ال»
    ("أحمد", ("احمد",)),  # hamza forms
    ("إحمد", ("احمد",)),
    ("عبد العزيز", ("عبدعزيز",)),
    ("عبدالعزيز", ("عبدعزيز",)),
    ("محمد بن سلمان", ("محمد", "بن", "سلمان")),
    ("محمد ابن سلمان", ("محمد", "بن", "سلمان")),
    ("سلمان بن عبدالعزيز آل سعود", ("سلمان", "بن", "عبدعزيز", "سعود")),
    ("John Kerry", ("john", "kerry")),
])
def test_match_form(name: str, form: tuple[str, ...]) -> None:
    assert people.match_form(name) == form


def test_titles_typed_before_a_name_are_ignored() -> None:
    assert people.match_form("الفريق سامر الخطيب", strip_titles=True) == ("سامر", "خطيب")
    assert people.match_form("الرئيس", strip_titles=True) == ("رئيس",)  # a title alone stays


@pytest.mark.parametrize("name", ["سامر الخطيب", "سامر خطيب", "الفريق سامر الخطيب", "سامر محمود الخطيب"])
def test_variants_resolve_to_one_person(db: sqlite3.Connection, name: str) -> None:
    found = people.lookup(db, name)
    assert found.profile is not None, found.candidates
    assert found.profile.name == "سامر الخطيب"
    assert found.profile.articles == 3


@pytest.mark.parametrize("name", ["نزار الأحمد", "نزار الاحمد", "نزار احمد"])
def test_hamza_and_article_variants(db: sqlite3.Connection, name: str) -> None:
    found = people.lookup(db, name)
    assert found.profile is not None and found.profile.articles == 2


def test_roles_with_their_dates(db: sqlite3.Connection) -> None:
    profile = people.lookup(db, "سامر الخطيب").profile
    roles = {r.role: (r.first, r.last, r.mentions) for r in profile.roles}
    # «… الفريق» (the rank before the name) is not part of the role
    assert roles["رئيس هيئة ميناء الياسمين"] == ("2022-03-01", "2022-03-05", 2)
    assert roles["مدير جامعة الريحان"] == ("2022-06-10", "2022-06-10", 1)
    assert profile.roles[0].role == "رئيس هيئة ميناء الياسمين"  # most often first
    assert (profile.first, profile.last) == ("2022-03-01", "2022-06-10")


def test_company_and_latest_articles(db: sqlite3.Connection) -> None:
    profile = people.lookup(db, "سامر الخطيب").profile
    assert "هيئة ميناء الياسمين" in dict(profile.orgs)
    assert dict(profile.orgs)["هيئة ميناء الياسمين"] == 2
    titles = [store.get_article(db, a).title for a in profile.latest]
    assert titles == ["جامعة الريحان", "الميناء يستقبل السفن", "الخطيب يتفقد الميناء"]


def test_an_ambiguous_name_lists_the_candidates(db: sqlite3.Connection) -> None:
    found = people.lookup(db, "سامر")
    assert found.profile is None
    assert {c.name for c in found.candidates} == {"سامر الخطيب", "سامر الحداد"}
    chosen = people.lookup(db, "سامر", exact_key=found.candidates[1].key)
    assert chosen.profile is not None and chosen.profile.name == found.candidates[1].name


def test_a_family_name_alone(db: sqlite3.Connection) -> None:
    found = people.lookup(db, "الحداد")
    assert found.profile is not None and found.profile.name == "سامر الحداد"


def test_nobody(db: sqlite3.Connection) -> None:
    found = people.lookup(db, "شخص غير موجود")
    assert found.profile is None and found.candidates == ()
    assert people.lookup(db, "،،").candidates == ()


@pytest.mark.parametrize(("role", "text", "completed"), [
    # extraction stopped at a construct noun: the words after it in the text finish the role
    ("رئيس هيئة", "قال الفريق مهاب مميش رئيس هيئة قناة السويس المصرية اليوم", "رئيس هيئة قناة السويس"),
    ("رئيس هيئة", "وأكد رئيس هيئة قناة السويس الفريق مهاب مميش", "رئيس هيئة قناة السويس"),
    ("رئيس هيئة", "قال مهاب مميش رئيس هيئة، إن", "رئيس هيئة"),  # punctuation ends it
    ("وزير الخارجية", "وزير الخارجية الأمريكي جون كيري", "وزير الخارجية"),  # finished already
])
def test_complete_role(role: str, text: str, completed: str) -> None:
    name = "جون كيري" if "كيري" in text else "مهاب مميش"
    start = text.index(name)
    assert people._complete_role(role, text, (start, start + len(name))) == completed


def test_unfinished_roles_merge_into_their_completion() -> None:
    spans = people._merge_roles({
        "رئيس هيئة قناة السويس": ["2015-07-21", "2015-08-01"],
        "رئيس هيئة": ["2015-07-25"],
        "رئيس هيئة قناة السويس المصرية": ["2015-08-09"],
        "الفريق": ["2015-07-30"],
    })
    assert spans[0] == people.RoleSpan("رئيس هيئة قناة السويس", "2015-07-21", "2015-08-09", 4)
    assert [s.role for s in spans] == ["رئيس هيئة قناة السويس", "الفريق"]


def test_the_name_index_follows_new_articles(db: sqlite3.Connection, tmp_path: Path) -> None:
    assert people.lookup(db, "ليلى العمري").profile is None
    path = tmp_path / "new.json"
    path.write_text(json.dumps([{"title": "جديد", "content": "قالت وزيرة الثقافة ليلى العمري إن المعرض افتتح.",
                                 "published": "2022-07-01", "url": "https://example.org/new"}],
                               ensure_ascii=False), encoding="utf-8")
    ingest_paths(db, [path], workers=1)
    assert people.lookup(db, "ليلى العمري").profile is not None
