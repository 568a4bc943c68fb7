"""Ingest: every input format, the seed page, bad inputs reported and skipped, idempotent re-runs."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from arshif.index import ingest, search, store
from arshif.index.errors import IngestError
from arshif.index.ingest import (
    IngestLimits,
    RawArticle,
    ingest_paths,
    ingest_records,
    parse_text,
    record_from_mapping,
)
from conftest import (
    FIXTURE_ARTICLES,
    FIXTURE_COUNT,
    FIXTURE_TITLES,
    FIXTURE_ZIP,
    FIXTURES,
    SAMPLE_COUNT,
    SAMPLES,
    SEED,
    titles,
)

GOOD_TXT = "A good article among bad ones\n\nThe fictional good article survives the bad inputs next to it.\n"


def _articles(conn: sqlite3.Connection) -> dict[str, dict]:
    rows = conn.execute("SELECT * FROM articles ORDER BY id").fetchall()
    return {r["title"]: dict(r) for r in rows}


# --- the seed page ---------------------------------------------------------------------------------


@pytest.mark.skipif(not SEED.exists(), reason="../shared/seed is not available")
def test_seed_page_metadata_and_body(empty_db: sqlite3.Connection) -> None:
    summary = ingest_paths(empty_db, [SEED], workers=1)
    assert (summary.added, summary.duplicates, summary.failed) == (1, 0, [])
    article = store.get_article(empty_db, summary.added_ids[0])
    title = "الكشف عن تفاصيل اتفاقية التعاون السيبراني بين إسرائيل والمغرب"
    assert article.title == title
    assert article.published == "2021-08-10"
    assert article.lang == "ar"
    assert article.body.startswith(("وقعت اتفاقية التعاون بين المغرب وإسرائيل", "كشفت"))
    assert title not in article.body
    assert "10 اغسطس 2021" not in article.body
    assert "الخط" not in article.body
    assert "+ الخط -" not in article.body
    assert "كشفت صحيفتا" in article.body
    assert article.body.rstrip().endswith("ودول أخرى.")
    assert search.run(empty_db, "الربيعي").total == 1


# --- every format --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FIXTURE_TITLES))
def test_each_fixture_format(empty_db: sqlite3.Connection, name: str) -> None:
    path = FIXTURE_ZIP if name == "bundle.zip" else FIXTURE_ARTICLES / name
    summary = ingest_paths(empty_db, [path], workers=1)
    assert summary.failed == []
    assert summary.added == len(FIXTURE_TITLES[name])
    rows = empty_db.execute("SELECT title, published FROM articles ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == FIXTURE_TITLES[name]
    for article in _articles(empty_db).values():
        assert article["body"].strip() and article["body"] == article["body"].strip()
        assert article["lang"] in ("ar", "en")
        assert article["origin"] and name.split("/")[-1] in article["origin"]


def test_txt_with_date_line_and_page_widgets(empty_db: sqlite3.Connection) -> None:
    ingest_paths(empty_db, [FIXTURE_ARTICLES / "txt-date-widgets.txt"], workers=1)
    (article,) = _articles(empty_db).values()
    assert article["body"].startswith("أعلنت وزارة المياه")
    for furniture in ("وزارة المياه تطلق", "3 مارس 2022", "+ الخط -", "طباعة", "مشاركة"):
        assert furniture not in article["body"]
    assert "سامي الخطيب" in article["body"]
    assert article["lang"] == "ar"
    assert article["url"] is None


def test_markdown_front_matter(empty_db: sqlite3.Connection) -> None:
    ingest_paths(empty_db, [FIXTURE_ARTICLES / "front-matter.md"], workers=1)
    (a,) = _articles(empty_db).values()
    assert a["title"] == "Fictional port of Marlowe opens a solar ferry terminal"  # quotes removed
    assert (a["published"], a["source"], a["author"], a["lang"]) == ("2022-04-12", "fixture-wire", "Test Writer", "en")
    assert a["url"] == "https://example.org/fixtures/marlowe-ferry"
    assert a["body"].startswith("MARLOWE - The fictional port")
    assert "---" not in a["body"] and "title:" not in a["body"]


def test_html_page(empty_db: sqlite3.Connection) -> None:
    ingest_paths(empty_db, [FIXTURE_ARTICLES / "page.html"], workers=1)
    (a,) = _articles(empty_db).values()
    assert a["title"] == "افتتاح مكتبة رقمية في بلدة النخيل"
    assert a["published"] == "2022-05-20"
    assert a["body"].startswith("افتتحت بلدية النخيل")
    assert "هالة المنصوري" in a["body"]
    for furniture in ("الرئيسية", "جميع الحقوق محفوظة", "<p>", "charset"):
        assert furniture not in a["body"]
    assert a["source"].lower() == "fixture-html"


def test_json_object_with_alternative_field_names(empty_db: sqlite3.Connection) -> None:
    ingest_paths(empty_db, [FIXTURE_ARTICLES / "object.json"], workers=1)
    (a,) = _articles(empty_db).values()
    assert a["title"] == "افتتاح سوق للتمور في واحة السدرة"  # headline
    assert a["body"].startswith("افتتحت غرفة التجارة")  # content
    assert a["published"] == "2015-07-21"  # date_extracted
    assert a["url"] == "https://example.org/fixtures/dates-market"  # link
    assert a["source"] == "fixture-json"  # publisher


def test_json_array(empty_db: sqlite3.Connection) -> None:
    summary = ingest_paths(empty_db, [FIXTURE_ARTICLES / "array.json"], workers=1)
    assert summary.added == 2
    first, second = _articles(empty_db).values()
    assert (first["ext_id"], first["source"], first["lang"]) == ("fx-array-1", "fixture-daily", "en")
    assert (second["ext_id"], second["published"], second["lang"]) == ("fx-array-2", "2022-06-02", "ar")
    assert second["body"].startswith("انطلق في مدينة الياسمين")  # text
    assert second["url"] == "https://example.org/fixtures/yasmine-book-fair"  # link
    assert first["origin"].endswith("array.json[0]") and second["origin"].endswith("array.json[1]")


def test_jsonl_lines(empty_db: sqlite3.Connection) -> None:
    summary = ingest_paths(empty_db, [FIXTURE_ARTICLES / "lines.jsonl"], workers=1)
    assert (summary.added, summary.failed) == (2, [])  # the blank line is no record
    first, second = _articles(empty_db).values()
    assert first["author"] == "A. Tester, B. Tester"
    assert first["origin"].endswith("lines.jsonl:1") and second["origin"].endswith("lines.jsonl:3")
    assert second["source"] == "fixture-jsonl"


def test_zip_members(empty_db: sqlite3.Connection) -> None:
    summary = ingest_paths(empty_db, [FIXTURE_ZIP], workers=1)
    assert (summary.added, summary.failed) == (3, [])  # ignored.png is not an article type: skipped
    origins = [r[0] for r in empty_db.execute("SELECT origin FROM articles ORDER BY id")]
    assert origins == [f"{FIXTURE_ZIP}!zip-note.txt", f"{FIXTURE_ZIP}!data/zip-item.jsonl:1",
                       f"{FIXTURE_ZIP}!data/pages/zip-page.md"]
    note = store.get_article(empty_db, summary.added_ids[0])
    assert note.published == "2022-09-12" and note.body.startswith("افتتحت بلدية الصنوبر")


def test_folders_are_read_recursively(empty_db: sqlite3.Connection) -> None:
    summary = ingest_paths(empty_db, [FIXTURES], workers=1)
    assert (summary.added, summary.duplicates, summary.failed) == (FIXTURE_COUNT, 0, [])
    expected = [t for name in sorted(FIXTURE_TITLES) for t, _ in FIXTURE_TITLES[name]]
    assert sorted(titles(empty_db)) == sorted(expected)
    assert "Glassbrook observatory records a rare meteor shower" in titles(empty_db)  # nested/deeper/


def test_added_ids_grow(empty_db: sqlite3.Connection) -> None:
    summary = ingest_paths(empty_db, [FIXTURES], workers=1)
    assert summary.added_ids == sorted(summary.added_ids) == list(range(1, FIXTURE_COUNT + 1))


# --- re-ingest ---------------------------------------------------------------------------------------------


def test_reingest_is_idempotent(empty_db: sqlite3.Connection) -> None:
    first = ingest_paths(empty_db, [FIXTURES], workers=1)
    second = ingest_paths(empty_db, [FIXTURES], workers=1)
    assert (first.added, first.duplicates) == (FIXTURE_COUNT, 0)
    assert (second.added, second.duplicates, second.failed, second.added_ids) == (0, FIXTURE_COUNT, [], [])
    assert store.count_articles(empty_db) == FIXTURE_COUNT


def test_reingest_of_the_samples(archive: sqlite3.Connection) -> None:
    before = store.stats(archive)
    summary = ingest_paths(archive, [SAMPLES], workers=1)
    assert (summary.added, summary.duplicates, summary.failed) == (0, SAMPLE_COUNT, [])
    after = store.stats(archive)
    assert (after["articles"], after["passages"], after["facts"]) == (
        before["articles"], before["passages"], before["facts"])


def test_duplicates_inside_one_run(empty_db: sqlite3.Connection) -> None:
    records = [
        RawArticle(title="Same story", body="The same story twice in one run.", url="https://example.org/a"),
        RawArticle(title="Same story", body="The same story twice in one run."),
        RawArticle(title="Other story", body="A different story with the same link.", url="https://example.org/a"),
    ]
    summary = ingest_records(empty_db, records, workers=1)
    assert (summary.added, summary.duplicates) == (1, 2)


# --- bad inputs ----------------------------------------------------------------------------------------------


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


BAD_INPUTS = [
    ("empty.txt", b"", "empty file"),
    ("blank.md", b"  \n\n\t\n", "empty file"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01", "binary file"),
    ("latin1.txt", "Titre\n\nUn article écrit en Latin-1.".encode("latin-1"), "not UTF-8"),
    ("broken.txt", b"Title\n\nBody with a broken byte \xc3\x28 here.", "not UTF-8"),
    ("malformed.json", b'{"title": "x", "body": ', "malformed JSON"),
    ("trailing.json", b'{"title": "x", "body": "y"} }', "malformed JSON"),
    ("nobody.json", json.dumps({"title": "Only a title", "date": "2022-01-01"}).encode(), "no body/content/text"),
    ("emptybody.json", json.dumps({"title": "Empty body", "body": ""}).encode(), "empty content"),
    ("scalar.json", b'"just a string"', "expected a JSON object"),
    ("empty-array.json", b"[]", "empty JSON array"),
    ("fake.zip", b"this is not a zip archive", "not a valid zip"),
    ("title-only.txt", "عنوان بلا نص\n\n".encode(), "empty content"),
    ("notes.pdf", b"%PDF-1.4 not supported", "unsupported file type .pdf"),
]


@pytest.mark.parametrize(("name", "data", "reason"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_reported_and_skipped(empty_db: sqlite3.Connection, tmp_path: Path, name: str, data: bytes,
                                           reason: str) -> None:
    bad = tmp_path / name
    bad.write_bytes(data)
    good = tmp_path / "good.txt"
    good.write_text(GOOD_TXT, encoding="utf-8")
    summary = ingest_paths(empty_db, [bad, good], workers=1)
    assert summary.added == 1
    assert titles(empty_db) == ["A good article among bad ones"]
    assert len(summary.failed) == 1
    failure = summary.failed[0]
    assert failure.path == str(bad)
    assert reason in failure.reason


def test_missing_path_is_reported(empty_db: sqlite3.Connection, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text(GOOD_TXT, encoding="utf-8")
    summary = ingest_paths(empty_db, [tmp_path / "nowhere", good], workers=1)
    assert summary.added == 1
    assert [(f.path, f.reason) for f in summary.failed] == [(str(tmp_path / "nowhere"), "no such file or folder")]


def test_unsupported_files_in_a_folder_are_left_alone(empty_db: sqlite3.Connection, tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(GOOD_TXT, encoding="utf-8")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / ".hidden.txt").write_text("Hidden\n\nA hidden file is not an article.", encoding="utf-8")
    summary = ingest_paths(empty_db, [tmp_path], workers=1)
    assert (summary.added, summary.failed) == (1, [])


def test_oversized_file_is_reported(empty_db: sqlite3.Connection, tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("Big\n\n" + "word " * 200, encoding="utf-8")
    good = tmp_path / "good.txt"
    good.write_text(GOOD_TXT, encoding="utf-8")
    summary = ingest_paths(empty_db, [big, good], workers=1, limits=IngestLimits(max_file_bytes=400))
    assert summary.added == 1
    assert [f.path for f in summary.failed] == [str(big)]
    assert "too large" in summary.failed[0].reason


def test_oversized_zip_member_is_reported(empty_db: sqlite3.Connection, tmp_path: Path) -> None:
    archive = tmp_path / "mixed.zip"
    archive.write_bytes(_zip_bytes({"big.txt": b"Big\n\n" + b"word " * 2000, "good.txt": GOOD_TXT.encode()}))
    assert archive.stat().st_size < 2000
    summary = ingest_paths(empty_db, [archive], workers=1, limits=IngestLimits(max_file_bytes=2000))
    assert summary.added == 1
    assert [f.path for f in summary.failed] == [f"{archive}!big.txt"]
    assert "too large" in summary.failed[0].reason


def test_bad_zip_members_do_not_stop_the_archive(empty_db: sqlite3.Connection, tmp_path: Path) -> None:
    archive = tmp_path / "mixed.zip"
    archive.write_bytes(_zip_bytes({
        "a-empty.txt": b"",
        "b-broken.json": b"{not json",
        "c-good.txt": GOOD_TXT.encode(),
        "d-nested.zip": b"not a zip",
    }))
    summary = ingest_paths(empty_db, [archive], workers=1)
    assert summary.added == 1
    assert [(f.path.split("!", 1)[1], f.reason.split(" ")[0]) for f in summary.failed] == [
        ("a-empty.txt", "empty"), ("b-broken.json", "malformed"), ("d-nested.zip", "not")]


def test_partly_bad_json_array_and_jsonl(empty_db: sqlite3.Connection, tmp_path: Path) -> None:
    array = tmp_path / "mixed.json"
    array.write_text(json.dumps([
        {"title": "Array good one", "body": "The first good record of the array."},
        {"title": "No body here"},
        42,
        {"headline": "Array good two", "content": "The second good record of the array."},
    ]), encoding="utf-8")
    lines = tmp_path / "mixed.jsonl"
    lines.write_text('{"title": "Line good", "text": "A good line of the file."}\n{broken\n[1, 2]\n', encoding="utf-8")
    summary = ingest_paths(empty_db, [array, lines], workers=1)
    assert summary.added == 3
    assert [(f.path, f.reason) for f in summary.failed] == [
        (f"{array}[1]", "no body/content/text field"),
        (f"{array}[2]", "expected a JSON object, found int"),
        (f"{lines}:2", summary.failed[2].reason),
        (f"{lines}:3", "expected a JSON object, found list"),
    ]
    assert summary.failed[2].reason.startswith("malformed JSON")


def test_encodings_bom_and_line_endings(empty_db: sqlite3.Connection, tmp_path: Path) -> None:
    bom = "\ufeffعنوان بعلامة BOM\r\n\r\nنص المقال الأول بنهايات أسطر ويندوز.\r\n"
    (tmp_path / "bom.txt").write_bytes(bom.encode())
    (tmp_path / "utf16.txt").write_bytes("UTF-16 title\n\nA body saved as UTF-16 text.\n".encode("utf-16"))
    summary = ingest_paths(empty_db, [tmp_path], workers=1)
    assert (summary.added, summary.failed) == (2, [])
    arts = _articles(empty_db)
    assert set(arts) == {"عنوان بعلامة BOM", "UTF-16 title"}
    assert "\r" not in arts["عنوان بعلامة BOM"]["body"]


# --- records and fields ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "names", "value", "expected"),
    [
        ("ext_id", ["id", "guid", "_id"], "abc-1", "abc-1"),
        ("url", ["url", "link"], "https://example.org/x", "https://example.org/x"),
        ("title", ["title", "headline"], "Headline here", "Headline here"),
        ("published", ["published", "date", "published_at", "date_extracted"], "2021-08-10", "2021-08-10"),
        ("source", ["source", "publisher"], "wire", "wire"),
        ("author", ["author", "byline"], "Someone", "Someone"),
        ("lang", ["lang", "language"], "ar", "ar"),
    ],
)
def test_json_field_name_variants(field: str, names: list[str], value: str, expected: str) -> None:
    for name in names:
        record = record_from_mapping({name: value, "body": "Some text."})
        assert getattr(record, field) == expected, name


@pytest.mark.parametrize("name", ["body", "content", "text"])
def test_json_body_field_names(name: str) -> None:
    assert record_from_mapping({"title": "t", name: "The text."}).body == "The text."


def test_json_without_body_raises_a_clear_error() -> None:
    with pytest.raises(IngestError, match="no body/content/text field"):
        record_from_mapping({"title": "t", "link": "https://example.org"})


def test_json_author_list_and_source_object() -> None:
    record = record_from_mapping({"body": "x", "authors": [{"name": "A"}, "B"], "source": {"name": "Wire"}})
    assert (record.author, record.source) == ("A, B", "Wire")


def test_json_dates_of_several_shapes_become_iso(empty_db: sqlite3.Connection) -> None:
    records = [RawArticle(title=f"t{i}", body=f"Body number {i}.", published=p)
               for i, p in enumerate(["2015-07-21 10:00:00", "2022-06-02T08:30:00Z", "Tue, 12 Apr 2022 09:00:00 GMT",
                                      "10 اغسطس 2021", "not a date"])]
    ingest_records(empty_db, records, workers=1)
    dates = [r[0] for r in empty_db.execute("SELECT published FROM articles ORDER BY id")]
    assert dates == ["2015-07-21", "2022-06-02", "2022-04-12", "2021-08-10", None]


def test_text_without_title_line_uses_the_first_sentence(empty_db: sqlite3.Connection) -> None:
    ingest_records(empty_db, [RawArticle(title="", body="First sentence here. Second one.")], workers=1)
    assert titles(empty_db) == ["First sentence here."]


def test_parse_text_front_matter_and_header() -> None:
    raw = parse_text("---\ntitle: 'عنوان'\npublished: 2021-08-10\nurl: https://example.org/a\n---\nالنص.\n")
    assert (raw.title, raw.published, raw.url, raw.body) == ("عنوان", "2021-08-10", "https://example.org/a", "النص.")
    raw = parse_text("# Title\n\nTitle\n2022-03-05\nprint | share\n\nThe body.\n\n\n\nMore.")
    assert (raw.title, raw.published, raw.body) == ("Title", "2022-03-05", "The body.\n\nMore.")


def test_a_date_deep_in_the_body_is_not_the_publication_date() -> None:
    lines = ["Title"] + [f"Line number {i} of the body." for i in range(12)] + ["2022-03-05"]
    raw = parse_text("\n".join(lines))
    assert raw.published is None
    assert raw.body.endswith("2022-03-05")


# --- the run ---------------------------------------------------------------------------------------------------


def test_progress_callback_is_called_per_item(empty_db: sqlite3.Connection, tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    calls: list[int] = []
    summary = ingest_paths(empty_db, [FIXTURES, tmp_path / "empty.txt"], workers=1, progress=calls.append)
    assert summary.added == FIXTURE_COUNT and len(summary.failed) == 1
    assert calls == [1] * (FIXTURE_COUNT + 1)


def test_parallel_workers_give_the_same_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = store.connect(tmp_path / "serial.db")
    ingest_paths(serial, [SAMPLES, FIXTURES], workers=1)
    monkeypatch.setattr(ingest, "BATCH", 8)  # small batches so the worker pool starts
    parallel = store.connect(tmp_path / "parallel.db")
    summary = ingest_paths(parallel, [SAMPLES, FIXTURES], workers=2)
    assert summary.added == SAMPLE_COUNT + FIXTURE_COUNT
    query = "SELECT id, title, body, published FROM articles ORDER BY id"
    assert parallel.execute(query).fetchall() == serial.execute(query).fetchall()
    facts = "SELECT article_id, kind, start, end, value FROM facts ORDER BY 1, 3, 2, 4, 5"
    assert parallel.execute(facts).fetchall() == serial.execute(facts).fetchall()
    vocab = "SELECT term, doc, cnt FROM articles_vocab ORDER BY term"
    assert parallel.execute(vocab).fetchall() == serial.execute(vocab).fetchall()
    for q in ("الطاقة", "ferry", '"مليون دولار"'):
        assert search.run(parallel, q).total == search.run(serial, q).total > 0


# --- hostile records: each costs only itself ----------------------------------------------------------------------


def _report(i: int) -> str:
    return json.dumps({"title": f"Harbour report {i}", "body": f"The harbour committee met for session {i} "
                       f"and approved berth {i * 7} for the new ferries."})


def test_lone_surrogate_and_deep_lines_cost_only_themselves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [_report(i) for i in range(1000)]
    lines.insert(300, '{"title": "Broken", "body": "A lone surrogate \\ud800 in the text."}')
    lines.insert(700, "[" * 100_000 + "]" * 100_000)
    lines.insert(900, '{"title": "Deep", "body": "x", "source": ' + "[" * 5_000 + "]" * 5_000 + "}")
    reports = tmp_path / "reports.jsonl"
    reports.write_text("\n".join(lines) + "\n", encoding="utf-8")
    later = tmp_path / "later.txt"
    later.write_text(GOOD_TXT, encoding="utf-8")
    monkeypatch.setattr(ingest, "BATCH", 64)  # several batches through the worker pool, as a large run
    conn = store.connect(tmp_path / "a.db")
    summary = ingest_paths(conn, [reports, later], workers=2)

    assert summary.added == 1001
    assert [(f.path, f.reason.split(" (")[0]) for f in summary.failed][:2] == [
        (f"{reports}:301", "the body holds an invalid character"),
        (f"{reports}:701", "JSON nested too deeply to read"),
    ]
    # 5,000 deep: Python 3.11's json gives up on it, 3.13's reads it and the field rule refuses it
    assert summary.failed[2].path == f"{reports}:901"
    assert summary.failed[2].reason in ("JSON nested too deeply to read",
                                        "the source field holds nested JSON, not text")
    assert "U+D800" in summary.failed[0].reason
    assert search.run(conn, "harbour committee", limit=1).total == 1000
    assert search.run(conn, "session 999").results[0].title == "Harbour report 999"
    assert "A good article among bad ones" in titles(conn)


def test_lone_surrogate_in_a_json_array_fails_that_record(empty_db: sqlite3.Connection, tmp_path: Path) -> None:
    array = tmp_path / "array.json"
    array.write_text("[" + _report(1) + ', {"title": "Bad \\udfff", "body": "b"}, ' + _report(2) + "]",
                     encoding="utf-8")
    summary = ingest_paths(empty_db, [array], workers=1)
    assert summary.added == 2
    assert [(f.path, f.reason.split(" (")[0]) for f in summary.failed] == [
        (f"{array}[1]", "the title holds an invalid character")]


# --- front matter and dates --------------------------------------------------------------------------------------


def test_unclosed_front_matter_is_refused_not_titled_dashes(empty_db: sqlite3.Connection, tmp_path: Path) -> None:
    bad = tmp_path / "unclosed.md"
    bad.write_text("---\ntitle: Port expansion\npublished: 2024-01-01\n\nThe port will grow.\n", encoding="utf-8")
    good = tmp_path / "good.txt"
    good.write_text(GOOD_TXT, encoding="utf-8")
    summary = ingest_paths(empty_db, [bad, good], workers=1)
    assert titles(empty_db) == ["A good article among bad ones"]
    assert [(f.path, f.reason.split(":")[0]) for f in summary.failed] == [(str(bad), "front matter is not closed")]


@pytest.mark.parametrize(("published", "reason"), [
    ("2024-01-01T25:61:61Z", "impossible date '2024-01-01T25:61:61Z' (hour must be in 0..23)"),
    ("2024-13-01", "impossible date '2024-13-01' (month must be in 1..12)"),
    ("2023-02-29", "impossible date '2023-02-29' (day is out of range for month)"),
    ("9999-12-31", "date '9999-12-31' is in the future"),
])
def test_impossible_and_future_dates_are_refused_with_the_reason(empty_db: sqlite3.Connection, tmp_path: Path,
                                                                 published: str, reason: str) -> None:
    bad = tmp_path / "dated.md"
    bad.write_text(f"---\ntitle: Port expansion\npublished: {published}\n---\nThe port will grow.\n",
                   encoding="utf-8")
    summary = ingest_paths(empty_db, [bad], workers=1)
    assert summary.added == 0
    assert [f.path for f in summary.failed] == [str(bad)]
    assert summary.failed[0].reason.startswith(reason)


def test_a_date_within_the_next_two_days_is_kept(empty_db: sqlite3.Connection) -> None:
    from datetime import UTC, datetime, timedelta

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    summary = ingest_records(empty_db, [RawArticle(title="Tomorrow's paper", body="Printed tonight.",
                                                   published=tomorrow)], workers=1)
    assert summary.failed == []
    assert store.get_article(empty_db, summary.added_ids[0]).published == tomorrow


# --- zip bombs: refused while streaming, with the reason -----------------------------------------------------------


def _zip_file(path: Path, members: dict[str, bytes]) -> Path:
    path.write_bytes(_zip_bytes(members))
    return path


def test_a_300_mb_member_in_a_small_zip_is_refused_and_the_good_file_kept(empty_db: sqlite3.Connection,
                                                                        tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z, \
            z.open("news.txt", "w", force_zip64=True) as member:
        member.write(b"Title\n\n")
        zeros = b"0" * 2**20
        for _ in range(300):
            member.write(zeros)
    assert bomb.stat().st_size < 400_000
    good = tmp_path / "good.txt"
    good.write_text(GOOD_TXT, encoding="utf-8")
    summary = ingest_paths(empty_db, [bomb, good], workers=1)
    assert titles(empty_db) == ["A good article among bad ones"]
    assert [(f.path, f.reason) for f in summary.failed] == [(
        f"{bomb}!news.txt",
        "too large (300 MB uncompressed; the limit is 64 MB per file, ARSHIF_MAX_FILE_MB)")]


def test_an_archive_that_expands_too_far_stops_with_the_reason(empty_db: sqlite3.Connection, tmp_path: Path) -> None:
    members = {f"{i}.txt": f"Story {i}\n\n".encode() + b"word " * 200 for i in range(5)}  # ~1 KB each
    archive = _zip_file(tmp_path / "wide.zip", members)
    good = tmp_path / "good.txt"
    good.write_text(GOOD_TXT, encoding="utf-8")
    summary = ingest_paths(empty_db, [archive, good], workers=1, limits=IngestLimits(max_archive_bytes=2500))
    assert titles(empty_db) == ["Story 0", "Story 1", "A good article among bad ones"]
    assert [(f.path, f.reason) for f in summary.failed] == [
        (f"{archive}!2.txt", "the archive expands to more than 0.0 MB (ARSHIF_MAX_ARCHIVE_MB)"),
        (str(archive), "2 file(s) not read: the archive expands to more than 0.0 MB (ARSHIF_MAX_ARCHIVE_MB)"),
    ]


def test_nested_zips_share_the_allowance_and_depth_is_capped(empty_db: sqlite3.Connection, tmp_path: Path) -> None:
    innermost = _zip_bytes({"deep.txt": b"Too deep\n\nA story three zips down."})
    inner = _zip_bytes({"one.txt": b"Inner story\n\nA story one zip down.", "three.zip": innermost})
    archive = _zip_file(tmp_path / "nested.zip", {"two.zip": inner, "top.txt": b"Top story\n\nAt the top."})
    summary = ingest_paths(empty_db, [archive], workers=1)
    assert titles(empty_db) == ["Inner story", "Top story"]
    assert [(f.path, f.reason) for f in summary.failed] == [
        (f"{archive}!two.zip!three.zip", "a zip inside a zip 3 levels deep; the limit is 2 (ARSHIF_MAX_ARCHIVE_DEPTH)")]

    # The bytes of nested zips count against the top-level archive: two inner zips of ~1 KB each.
    story = b"word " * 200
    doubled = _zip_file(tmp_path / "doubled.zip", {
        "a.zip": _zip_bytes({"a.txt": b"Story A\n\n" + story}),
        "b.zip": _zip_bytes({"b.txt": b"Story B\n\n" + story}),
    })
    limits = IngestLimits(max_archive_bytes=2 * 1024)  # both inner zips and story A fit; story B does not
    summary = ingest_paths(empty_db, [doubled], workers=1, limits=limits)
    assert summary.added == 1
    assert [f.path for f in summary.failed] == [f"{doubled}!b.zip!b.txt"]
    assert summary.failed[0].reason.startswith("the archive expands to more than")


def test_too_many_files_in_an_archive_are_refused_before_reading(empty_db: sqlite3.Connection, tmp_path: Path) -> None:
    archive = _zip_file(tmp_path / "many.zip", {f"{i}.txt": f"Story {i}\n\nText {i}.".encode() for i in range(5)})
    good = tmp_path / "good.txt"
    good.write_text(GOOD_TXT, encoding="utf-8")
    summary = ingest_paths(empty_db, [archive, good], workers=1, limits=IngestLimits(max_archive_files=3))
    assert titles(empty_db) == ["A good article among bad ones"]
    assert [(f.path, f.reason) for f in summary.failed] == [
        (str(archive),
         "too many files (5; the limit is 3 per archive, ARSHIF_MAX_ARCHIVE_FILES); nothing in it was read")]


def test_arshif_ingest_obeys_the_limit_settings(tmp_path: Path) -> None:
    from arshif.bot.cli import main
    from click.testing import CliRunner

    archive = _zip_file(tmp_path / "nested.zip", {"inner.zip": _zip_bytes({"a.txt": b"Inner\n\nInside a zip."}),
                                                  "big.txt": b"Big\n\n" + b"word " * 300_000})
    good = tmp_path / "good.txt"
    good.write_text(GOOD_TXT, encoding="utf-8")
    env = {"ARSHIF_MAX_FILE_MB": "1", "ARSHIF_MAX_ARCHIVE_DEPTH": "1"}
    result = CliRunner().invoke(main, ["ingest", str(archive), str(good), "--db", str(tmp_path / "a.db"), "--json"],
                                env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["added"] == 1
    assert [(f["path"], f["reason"]) for f in summary["failed"]] == [
        (f"{archive}!inner.zip", "a zip inside a zip 2 levels deep; the limit is 1 (ARSHIF_MAX_ARCHIVE_DEPTH)"),
        (f"{archive}!big.txt", "too large (1.4 MB uncompressed; the limit is 1.0 MB per file, ARSHIF_MAX_FILE_MB)"),
    ]
