"""The SQLite store: pragmas, migrations, ids, duplicates, atomic batches, concurrency, backups."""

from __future__ import annotations

import inspect
import sqlite3
import threading
from pathlib import Path

import pytest
from arshif.index import search, store
from arshif.index.errors import ArchiveError, ArticleNotFound
from arshif.index.ingest import RawArticle, content_hash, ingest_records, prepare, remove_article, validate


def prepared(title: str, body: str, *, url: str | None = None, published: str | None = "2022-01-10",
             facts: list[tuple] | None = None) -> store.PreparedArticle:
    """Return an analysed article ready for insert_articles (facts given, not extracted)."""
    raw = validate(RawArticle(title=title, body=body, url=url, published=published, origin="test"))
    doc = prepare(raw, content_hash(raw.title, raw.body), {})
    if facts is not None:
        doc.facts = facts
    return doc


def _fact(text: str) -> tuple:
    # (kind, start, end, text, value, value_end, precision, role, unit, key)
    return ("person", 0, len(text), text, text, None, None, "وزير", None, text)


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {
        "articles": conn.execute("SELECT count(*) FROM articles").fetchone()[0],
        "passages": conn.execute("SELECT count(*) FROM passages").fetchone()[0],
        "facts": conn.execute("SELECT count(*) FROM facts").fetchone()[0],
        "names": conn.execute("SELECT count(*) FROM names").fetchone()[0],
        "indexed_terms": conn.execute("SELECT count(*) FROM articles_vocab").fetchone()[0],
    }


def _delete(conn: sqlite3.Connection, article_id: int) -> None:
    remove_article(conn, article_id)


# --- the public surface ---------------------------------------------------------------------------


def test_all_lists_every_public_name_of_the_store_modules() -> None:
    modules = [m for m in vars(store).values() if inspect.ismodule(m) and m.__name__.startswith(store.__name__ + "._")]
    assert len(modules) >= 8
    public = {name for m in modules for name, value in vars(m).items() if not name.startswith("_")
              and (((inspect.isfunction(value) or inspect.isclass(value)) and value.__module__ == m.__name__)
                   or name.isupper())}
    assert public == set(store.__all__)
    assert all(hasattr(store, name) for name in store.__all__)


def test_no_public_function_returns_sqlite_rows() -> None:
    returns = {name: str(inspect.signature(getattr(store, name)).return_annotation) for name in store.__all__
               if inspect.isfunction(getattr(store, name))}
    assert returns and not {name for name, annotation in returns.items() if "Row" in annotation}


# --- connection settings and migrations -----------------------------------------------------------


def test_connection_pragmas(tmp_path: Path) -> None:
    conn = store.connect(tmp_path / "a.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == store.BUSY_TIMEOUT_MS > 0
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    assert store.schema_version(conn) == store.SCHEMA_VERSION


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    first = store.connect(path)
    schema = first.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    first.close()
    second = store.connect(path)
    assert store.migrate(second) == store.SCHEMA_VERSION
    assert second.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall() == schema
    assert store.schema_version(second) == store.SCHEMA_VERSION


def test_a_newer_database_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    store.connect(path).execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 1}")
    with pytest.raises(ArchiveError, match="upgrade arshif"):
        store.connect(path)


def test_in_memory_database_works() -> None:
    conn = store.connect(":memory:")
    ids = store.insert_articles(conn, [prepared("عنوان", "نص المقال هنا.")])
    assert ids == [1]
    assert store.count_articles(conn) == 1


# --- ids and duplicates -------------------------------------------------------------------------


def test_ids_only_grow_after_a_delete(archive: sqlite3.Connection) -> None:
    last = store.max_article_id(archive)
    _delete(archive, last)
    assert store.max_article_id(archive) == last - 1
    with pytest.raises(ArticleNotFound):
        store.get_article(archive, last)
    (new_id,) = store.insert_articles(archive, [prepared("مقال جديد بعد الحذف", "نص جديد تماما للاختبار.")])
    assert new_id is not None and new_id > last


def test_delete_cascades_to_passages_and_facts(archive: sqlite3.Connection) -> None:
    (aid,) = store.insert_articles(archive, [prepared("عنوان للحذف", "جملة أولى. جملة ثانية.", facts=[_fact("سامي")])])
    assert store.article_passages(archive, aid)
    assert archive.execute("SELECT count(*) FROM facts WHERE article_id = ?", (aid,)).fetchone()[0] == 1
    _delete(archive, aid)
    assert store.article_passages(archive, aid) == []
    assert archive.execute("SELECT count(*) FROM facts WHERE article_id = ?", (aid,)).fetchone()[0] == 0
    assert search.run(archive, "للحذف").total == 0


def test_foreign_keys_are_enforced(empty_db: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        empty_db.execute("INSERT INTO passages (article_id, seq, start, end) VALUES (999, 0, 0, 1)")


def test_duplicate_url_is_refused(empty_db: sqlite3.Connection) -> None:
    url = "https://example.org/one"
    assert store.insert_articles(empty_db, [prepared("الخبر الأول", "نص الخبر الأول.", url=url)]) == [1]
    other = prepared("خبر آخر تماما", "نص مختلف كليا عن الأول.", url=url)
    assert store.is_duplicate(empty_db, url, other.content_hash)
    assert store.insert_articles(empty_db, [other]) == [None]
    assert store.count_articles(empty_db) == 1


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("وَقَّعَ الوزيرُ الاتفاقيةَ", "وُقِّعَت الاتفاقيةُ في الرباط يوم ١٠ اغسطس."),  # harakat, digits
        ("وقــع الوزير الإتفاقيه", "وقعت الاتفاقيه في الرباط يوم ۱۰ أغسطس."),  # tatweel, hamza, ta marbuta
        ("وقع الوزير الاتفاقية", "وقعت  الاتفاقية   في الرباط\nيوم 10 اغسطس."),  # whitespace
    ],
)
def test_same_text_in_another_spelling_is_a_duplicate(empty_db: sqlite3.Connection, title: str, body: str) -> None:
    original = prepared("وقع الوزير الاتفاقية", "وقعت الاتفاقية في الرباط يوم 10 اغسطس.")
    assert store.insert_articles(empty_db, [original]) == [1]
    variant = prepared(title, body, url="https://example.org/another-link")
    assert variant.content_hash == original.content_hash
    assert store.insert_articles(empty_db, [variant]) == [None]
    summary = ingest_records(empty_db, [RawArticle(title=title, body=body)], workers=1)
    assert (summary.added, summary.duplicates) == (0, 1)


def test_different_text_is_not_a_duplicate(empty_db: sqlite3.Connection) -> None:
    a = prepared("وقع الوزير الاتفاقية", "وقعت الاتفاقية في الرباط.")
    b = prepared("وقع الوزير الاتفاقية", "وقعت الاتفاقية في عمان.")
    assert a.content_hash != b.content_hash
    assert store.insert_articles(empty_db, [a, b]) == [1, 2]


def test_duplicates_inside_one_batch(empty_db: sqlite3.Connection) -> None:
    a = prepared("عنوان", "نص واحد.")
    assert store.insert_articles(empty_db, [a, prepared("عنوان", "نص واحد.")]) == [1, None]


def test_the_schema_itself_refuses_a_duplicate_hash(empty_db: sqlite3.Connection) -> None:
    store.insert_articles(empty_db, [prepared("عنوان", "نص واحد.")])
    chash = empty_db.execute("SELECT content_hash FROM articles").fetchone()[0]
    with pytest.raises(sqlite3.IntegrityError):
        empty_db.execute("INSERT INTO articles (title, body, content_hash) VALUES ('x', 'y', ?)", (chash,))


# --- atomic batches -------------------------------------------------------------------------------


def test_a_failure_mid_batch_leaves_nothing(empty_db: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [prepared(f"مقال رقم {i}", f"نص المقال رقم {i}. جملة ثانية.", facts=[_fact(f"اسم{i}")]) for i in range(3)]
    for doc in docs:
        doc.names = [(doc.title, "person")]
    calls = {"n": 0}
    real = store.is_duplicate

    def failing(conn, url, chash):
        calls["n"] += 1
        if calls["n"] == 3:  # two articles (rows, index, passages, facts, names) are written by now
            raise RuntimeError("disk on fire")
        return real(conn, url, chash)

    monkeypatch.setattr(store._articles, "is_duplicate", failing)  # as insert_articles finds it
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.insert_articles(empty_db, docs)
    assert _counts(empty_db) == dict.fromkeys(_counts(empty_db), 0)
    assert not empty_db.in_transaction
    monkeypatch.undo()
    assert store.insert_articles(empty_db, docs) == [1, 2, 3]
    assert _counts(empty_db)["facts"] == 3


def test_a_malformed_article_mid_batch_rolls_back_the_batch(empty_db: sqlite3.Connection) -> None:
    good = prepared("مقال سليم", "نص سليم. جملة ثانية.", facts=[_fact("سليم")])
    bad = prepared("مقال معطوب", "نص معطوب.")
    bad.facts = [("person", 0, 3)]  # a malformed fact row: fails after the article rows are written
    with pytest.raises(sqlite3.Error):
        store.insert_articles(empty_db, [good, bad])
    assert _counts(empty_db) == dict.fromkeys(_counts(empty_db), 0)
    assert search.run(empty_db, "سليم").total == 0


# --- concurrency and backups ------------------------------------------------------------------------


def test_a_reader_is_not_blocked_by_a_writer(archive: sqlite3.Connection, tmp_path: Path) -> None:
    path = archive.execute("PRAGMA database_list").fetchone()[2]
    reader = store.connect(path)
    before = store.count_articles(reader)
    archive.execute("BEGIN IMMEDIATE")
    archive.execute("INSERT INTO feeds (url) VALUES ('https://example.org/feed')")
    # the write transaction is open: the reader still reads and searches the last committed state
    assert store.count_articles(reader) == before
    assert reader.execute("SELECT count(*) FROM feeds").fetchone()[0] == 0
    assert search.run(reader, "الطاقة").total > 0
    archive.execute("COMMIT")
    assert reader.execute("SELECT count(*) FROM feeds").fetchone()[0] == 1
    # and a long read transaction does not block the writer (WAL)
    reader.execute("BEGIN")
    assert store.count_articles(reader) == before
    store.insert_articles(archive, [prepared("خبر أثناء القراءة", "نص كتب أثناء القراءة.")])
    assert store.count_articles(reader) == before  # its snapshot
    reader.execute("COMMIT")
    assert store.count_articles(reader) == before + 1
    reader.close()


def test_concurrent_writer_and_reader_threads(archive: sqlite3.Connection) -> None:
    path = archive.execute("PRAGMA database_list").fetchone()[2]
    before = store.count_articles(archive)
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        conn = store.connect(path)
        try:
            for i in range(15):
                store.insert_articles(conn, [prepared(f"خبر متزامن {i}", f"نص الخبر المتزامن رقم {i} عن الطاقة.")])
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()
            conn.close()

    def read() -> None:
        conn = store.connect(path)
        try:
            while not done.is_set():
                search.run(conn, "الطاقة")
                store.count_articles(conn)
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert store.count_articles(archive) == before + 15
    assert search.run(archive, "المتزامن").total == 15


def test_backup_is_a_consistent_single_file(archive: sqlite3.Connection, tmp_path: Path) -> None:
    path = archive.execute("PRAGMA database_list").fetchone()[2]
    writer = store.connect(path)
    writer.execute("BEGIN IMMEDIATE")  # an uncommitted write must not reach the copy
    writer.execute("INSERT INTO feeds (url) VALUES ('https://example.org/uncommitted')")
    dest = tmp_path / "copy.db"
    store.backup(archive, dest)
    writer.execute("ROLLBACK")
    writer.close()
    raw = sqlite3.connect(dest)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert raw.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert raw.execute("SELECT count(*) FROM feeds").fetchone()[0] == 0
    raw.close()
    assert not Path(f"{dest}-wal").exists()
    copy = store.connect(dest, migrate_schema=False)
    assert store.integrity_ok(copy)
    assert store.count_articles(copy) == store.count_articles(archive)
    assert store.schema_version(copy) == store.SCHEMA_VERSION
    assert search.run(copy, "الطاقة").total == search.run(archive, "الطاقة").total
    copy.close()


# --- reading -----------------------------------------------------------------------------------------


def test_get_article_and_not_found(archive: sqlite3.Connection) -> None:
    article = store.get_article(archive, 1)
    assert article.id == 1 and article.title and article.body
    with pytest.raises(ArticleNotFound) as info:
        store.get_article(archive, 10**9)
    assert isinstance(info.value, ArchiveError)
    assert str(10**9) in str(info.value)
    assert set(store.get_articles(archive, [1, 2, 10**9])) == {1, 2}
    assert store.get_articles(archive, []) == {}


def test_original_text_is_kept_unchanged(empty_db: sqlite3.Connection) -> None:
    body = "وُقِّعَت الاتفاقيــة في ٣ تشرين الأول، بكلفة ٤ ملايين دولار.\n\nفقرة ثانية."
    (aid,) = store.insert_articles(empty_db, [prepared("عنوانٌ بالحركات", body)])
    article = store.get_article(empty_db, aid)
    assert (article.title, article.body) == ("عنوانٌ بالحركات", body)


def test_latest_articles_newest_first(archive: sqlite3.Connection) -> None:
    latest = store.latest_articles(archive, limit=5)
    dates = [a.published for a in latest]
    assert len(latest) == 5
    assert dates == sorted(dates, reverse=True)
    assert store.latest_articles(archive, limit=5, offset=5)[0].published <= dates[-1]


def test_stats_and_integrity(archive: sqlite3.Connection) -> None:
    figures = store.stats(archive)
    assert figures["articles"] == store.count_articles(archive) > 0
    assert figures["schema_version"] == store.SCHEMA_VERSION
    assert figures["passages"] >= figures["articles"]
    assert figures["database_bytes"] > 0
    assert store.integrity_ok(archive)


def test_chat_context_round_trip(empty_db: sqlite3.Connection) -> None:
    assert store.load_chat_context(empty_db, 42) == ([], None)
    store.save_chat_context(empty_db, 42, [3, 1], "متى؟")
    store.save_chat_context(empty_db, 42, [5], "من؟")
    assert store.load_chat_context(empty_db, 42) == ([5], "من؟")


def test_the_chat_remembers_the_last_answer_until_a_context_without_one(empty_db: sqlite3.Connection) -> None:
    assert store.load_chat_answer(empty_db, 42) is None
    store.save_chat_context(empty_db, 42, [3], "من وقع الاتفاقية؟", "سامر الخطيب، هشام عبد الرحمن")
    assert store.load_chat_answer(empty_db, 42) == "سامر الخطيب، هشام عبد الرحمن"
    store.save_chat_context(empty_db, 42, [4, 5], None)  # a list of articles shown: nothing answered
    assert store.load_chat_answer(empty_db, 42) is None


# --- the search index after bulk ingests (issue 12) -------------------------------------------------------


def _segments(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(DISTINCT segid) FROM articles_fts_idx").fetchone()[0]


def test_merging_the_index_keeps_every_search_result(archive: sqlite3.Connection) -> None:
    for n in range(12):  # one transaction each: one new segment each
        store.insert_articles(archive, [prepared(f"مقال {n}", f"نص المقال رقم {n} عن العملة والعمل.")])
    queries = ["العملة", "العمل", '"المقال رقم"', "وزير", "energy"]
    before = [(r.total, [h.article_id for h in r.results]) for r in (search.run(archive, q, limit=50) for q in queries)]
    segments = _segments(archive)
    assert store.merge_index(archive) >= 1
    assert _segments(archive) < segments
    after = [(r.total, [h.article_id for h in r.results]) for r in (search.run(archive, q, limit=50) for q in queries)]
    assert after == before
    archive.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 0)")
    assert store.merge_index(archive) == 1  # nothing left to merge


def test_a_page_and_its_count_come_from_one_query(archive: sqlite3.Connection) -> None:
    for query, filters in [("وزير", store.Filters()), ("وزير", store.Filters(since="2024-01-01")),
                           ("energy", store.Filters(sources=("sample-wire",))), ("xyzzyq", store.Filters())]:
        match = search.build_match(search.parse_query(query))
        total = store.count_hits(archive, match, filters)
        for by_date in (False, True):
            rows, counted = store.fetch_hits_counted(archive, match, filters, limit=3, by_date=by_date)
            assert counted == total
            assert [r.id for r in rows] == [r.id for r in store.fetch_hits(archive, match, filters, limit=3,
                                                                                  by_date=by_date)]
        assert store.fetch_hits_counted(archive, match, filters, limit=3, offset=1000)[1] == total
