"""Alerts engine: subscriptions, exactly-once matching, near-duplicates, digests and the send outbox."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from arshif.index import alerts, store
from arshif.index.errors import DateRangeError, LimitError, QuerySyntaxError
from arshif.index.ingest import RawArticle, ingest_records

REPO = Path(__file__).resolve().parents[2]
USER, OTHER = 501, 502

# One fictional story told by two newspapers: different headlines, nearly the same lead.
STORY_A = RawArticle(
    title="تدشين محطة تحلية بالطاقة الشمسية في واحة الغدير",
    body="دشن وزير المياه اليوم محطة لتحلية مياه البحر تعمل بالطاقة الشمسية في واحة الغدير، بطاقة "
    "إنتاجية تبلغ ستين ألف متر مكعب يوميا، وتغطي حاجة أربعين قرية من مياه الشرب. وقال الوزير إن "
    "المحطة هي الأولى من نوعها في المنطقة وإن تكلفتها بلغت مئة وعشرين مليون دينار.",
    published="2026-03-02", source="صحيفة الواحة", url="https://wahat.example/desal-1",
)
STORY_B = RawArticle(
    title="وزير المياه يدشن أول محطة تحلية شمسية في الغدير",
    body="دشن وزير المياه اليوم محطة لتحلية مياه البحر تعمل بالطاقة الشمسية في واحة الغدير، بطاقة "
    "إنتاجية تبلغ ستين ألف متر مكعب يوميا وتغطي حاجة أربعين قرية من مياه الشرب. وأوضح الوزير أن "
    "المحطة الأولى من نوعها في المنطقة بتكلفة بلغت مئة وعشرين مليون دينار.",
    published="2026-03-02", source="الغدير اليوم", url="https://ghadir.example/news/77",
)
# Same subject words, different story: must not be merged with the two above.
OTHER_STORY = RawArticle(
    title="انقطاع المياه عن أحياء واحة الغدير بسبب أعمال صيانة",
    body="أعلنت شركة المياه انقطاع الخدمة عن خمسة أحياء في واحة الغدير يوم الخميس لمدة عشر ساعات، "
    "بسبب أعمال صيانة في خط النقل الرئيسي، ودعت السكان إلى تخزين ما يكفي من المياه.",
    published="2026-03-03", source="صحيفة الواحة", url="https://wahat.example/cut-2",
)


# Distinct fictional events, so that articles built from them are not near-duplicates of each other.
EVENTS = (
    "افتتح المحافظ جسرا للمشاة فوق الطريق السريع بطول ثلاثمئة متر",
    "سجلت الأرصاد أمطارا غزيرة أغلقت ثلاث مدارس ليوم واحد",
    "فاز فريق الناشئين بكأس البطولة الإقليمية بعد ركلات الترجيح",
    "أعلنت البلدية عن مسابقة لتصميم حديقة عامة على شاطئ البحيرة",
    "استقبل الميناء أول سفينة سياحية منذ عامين وعلى متنها ألفا راكب",
    "نظمت الجامعة معرضا للكتاب شارك فيه مئة وعشرون ناشرا",
    "بدأت شركة الكهرباء تركيب عدادات ذكية في الأحياء الشمالية",
    "أطلق المستشفى عيادة متنقلة لفحص السكري في القرى الجبلية",
)


def article(n: int, words: str = "قطار الساحل", source: str = "الساحل") -> RawArticle:
    """Return a fictional article mentioning ``words``, distinct for each ``n`` below len(EVENTS)."""
    event = EVENTS[n % len(EVENTS)]
    return RawArticle(
        title=f"{event.split()[1]} {words} ({n})",
        body=f"{event}، وذكر شهود أن {words} كان حاضرا في الخبر رقم {n} من مدينة المرجان.",
        published="2026-03-01", source=source, url=f"https://sahel.example/{n}",
    )


def add(conn: sqlite3.Connection, *records: RawArticle) -> list[int]:
    summary = ingest_records(conn, list(records), workers=1)
    assert not summary.failed, summary.failed
    return summary.added_ids


def pending_ids(conn: sqlite3.Connection) -> list[int]:
    return [a.article_id for chat in alerts.pending_deliveries(conn) for a in chat.alerts]


# --- subscribe ------------------------------------------------------------------------------------


def test_subscribe_counts_archived_matches_and_shows_the_newest(archive: sqlite3.Connection) -> None:
    sub, total, example = alerts.subscribe(archive, USER, USER, "تحلية", limit=5)
    assert total >= 1 and example is not None
    assert "تحلية" in example.title + example.excerpt
    assert example.highlights
    assert sub.last_seen == store.max_article_id(archive)
    assert sub.running and alerts.list_subscriptions(archive, USER) == [sub]
    # What was already in the archive is never alerted.
    assert alerts.collect_alerts(archive) == []
    assert pending_ids(archive) == []


def test_subscribe_with_no_archived_match_is_allowed(archive: sqlite3.Connection) -> None:
    _sub, total, example = alerts.subscribe(archive, USER, USER, "زلابية", limit=5)
    assert (total, example) == (0, None)


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("", QuerySyntaxError),
        ("   ", QuerySyntaxError),
        ("-تحلية", QuerySyntaxError),  # exclusions alone match nothing
        ("تحلية since:yesterday-ish", DateRangeError),
        ("تحلية since:2024 until:2023", DateRangeError),
        ("كلمة " * 60, LimitError),
    ],
)
def test_subscribe_refuses_bad_queries(archive: sqlite3.Connection, query: str, error: type) -> None:
    with pytest.raises(error) as exc:
        alerts.subscribe(archive, USER, USER, query, limit=5)
    assert str(exc.value)  # a sentence for the user
    assert alerts.list_subscriptions(archive, USER) == []


def test_per_user_limit_and_duplicates(archive: sqlite3.Connection) -> None:
    alerts.subscribe(archive, USER, USER, "تحلية", limit=2)
    with pytest.raises(alerts.AlreadySubscribed, match="#"):
        alerts.subscribe(archive, USER, USER, "  تحلية ", limit=2)
    alerts.subscribe(archive, USER, USER, "ميناء", limit=2)
    with pytest.raises(LimitError, match="/unsubscribe"):
        alerts.subscribe(archive, USER, USER, "قطار", limit=2)
    alerts.subscribe(archive, OTHER, OTHER, "قطار", limit=2)  # the limit is per user
    assert [s.query for s in alerts.list_subscriptions(archive, USER)] == ["تحلية", "ميناء"]


def test_unsubscribe_mute_only_own(archive: sqlite3.Connection) -> None:
    sub, _, _ = alerts.subscribe(archive, USER, USER, "قطار الساحل", limit=5)
    assert not alerts.unsubscribe(archive, OTHER, sub.id)
    assert not alerts.mute(archive, OTHER, sub.id)
    assert alerts.mute(archive, USER, sub.id)
    add(archive, article(1))
    assert alerts.collect_alerts(archive) == []  # muted: not matched
    assert alerts.unmute(archive, USER, sub.id)
    assert alerts.collect_alerts(archive) == []  # unmuted from now on: what came while muted is skipped
    [new] = add(archive, article(2))
    [batch] = alerts.collect_alerts(archive)
    assert batch.article_ids == (new,)
    assert alerts.unsubscribe(archive, USER, sub.id)
    assert alerts.list_subscriptions(archive, USER) == []
    assert store.delivery_counts(archive) == {}  # deliveries go with the subscription


# --- matching -------------------------------------------------------------------------------------


def test_each_new_article_is_recorded_exactly_once(archive: sqlite3.Connection) -> None:
    sub, _, _ = alerts.subscribe(archive, USER, USER, "قطار الساحل", limit=5)
    first = add(archive, article(1), article(2), article(3, words="ميناء المرجان"))
    [batch] = alerts.collect_alerts(archive)
    assert (batch.subscription_id, batch.chat_id, batch.article_ids) == (sub.id, USER, tuple(first[:2]))
    assert alerts.collect_alerts(archive) == []  # nothing new: nothing recorded twice
    second = add(archive, article(4))
    [batch] = alerts.collect_alerts(archive)
    assert batch.article_ids == tuple(second)
    assert store.delivery_counts(archive) == {"pending": 3}
    assert alerts.get_subscription(archive, sub.id).last_seen == store.max_article_id(archive)


def test_filters_of_the_query_apply_to_alerts(archive: sqlite3.Connection) -> None:
    alerts.subscribe(archive, USER, USER, "قطار -حافلات", limit=5)
    alerts.subscribe(archive, OTHER, OTHER, "قطار source:المرفأ", limit=5)
    add(archive, article(1, words="قطار وحافلات الساحل"))  # excluded by the first, wrong source for the second
    add(archive, RawArticle(title="قطار جديد", body="وصل قطار جديد إلى المرفأ صباح اليوم في رحلته الأولى.",
                            source="المرفأ", published="2026-03-05"))
    batches = {b.chat_id: b for b in alerts.collect_alerts(archive)}
    assert len(batches[USER].article_ids) == 1 and len(batches[OTHER].article_ids) == 1
    assert batches[USER].article_ids == batches[OTHER].article_ids


def test_articles_from_another_connection_are_seen(archive: sqlite3.Connection) -> None:
    alerts.subscribe(archive, USER, USER, "قطار الساحل", limit=5)
    path = archive.execute("PRAGMA database_list").fetchone()[2]
    writer = store.connect(path)
    try:
        [new] = add(writer, article(7))
    finally:
        writer.close()
    [batch] = alerts.collect_alerts(archive)
    assert batch.article_ids == (new,)


def test_articles_from_another_process_are_seen(archive: sqlite3.Connection, tmp_path: Path) -> None:
    alerts.subscribe(archive, USER, USER, "قطار الساحل", limit=5)
    path = archive.execute("PRAGMA database_list").fetchone()[2]
    doc = tmp_path / "new.md"
    doc.write_text("---\ntitle: قطار الساحل يعود\nsource: الساحل\npublished: 2026-03-09\n---\n"
                   "عاد قطار الساحل إلى العمل بعد توقف دام شهرا كاملا في مدينة المرجان.\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "arshif.bot.cli", "ingest", str(doc), "--db", path],
                   cwd=REPO, check=True, capture_output=True, timeout=120)
    [batch] = alerts.collect_alerts(archive)
    assert len(batch.article_ids) == 1
    assert pending_ids(archive) == list(batch.article_ids)


def test_a_stale_run_records_nothing(archive: sqlite3.Connection) -> None:
    """Two runs racing over the same range: the compare-and-set on last_seen lets one win."""
    sub, _, _ = alerts.subscribe(archive, USER, USER, "قطار الساحل", limit=5)
    [new] = add(archive, article(1))
    high = store.max_article_id(archive)
    assert store.record_matches(archive, [(sub.id, sub.last_seen, high)], {sub.id: [(new, "pending", None)]},
                                keep_days=3) == [sub.id]
    # The loser read the old last_seen: it must not record (or move) anything.
    assert store.record_matches(archive, [(sub.id, sub.last_seen, high)], {sub.id: [(new, "pending", None)]},
                                keep_days=3) == []
    assert store.delivery_counts(archive) == {"pending": 1}


def test_paused_users_are_skipped_and_resume_from_now(archive: sqlite3.Connection) -> None:
    alerts.subscribe(archive, USER, USER, "قطار الساحل", limit=5)
    other, _, _ = alerts.subscribe(archive, OTHER, OTHER, "قطار الساحل", limit=5)
    [first] = add(archive, article(1))
    alerts.collect_alerts(archive)
    assert alerts.pause_user(archive, USER) == 1
    assert {c.chat_id for c in alerts.pending_deliveries(archive)} == {OTHER}  # the paused chat waits
    add(archive, article(2))
    [batch] = alerts.collect_alerts(archive)
    assert batch.subscription_id == other.id
    assert [s.paused for s in alerts.list_subscriptions(archive, USER)] == ["blocked"]
    assert alerts.resume_user(archive, USER) == 1
    assert alerts.collect_alerts(archive) == []  # article 2 arrived while paused: skipped
    [mine] = [c for c in alerts.pending_deliveries(archive) if c.chat_id == USER]
    assert [a.article_id for a in mine.alerts] == [first]  # the alert that could not be sent is kept


# --- near-duplicates and digests ------------------------------------------------------------------


def test_two_sources_of_one_story_alert_once_listing_both(archive: sqlite3.Connection) -> None:
    alerts.subscribe(archive, USER, USER, "تحلية الغدير", limit=5)
    a, b = add(archive, STORY_A, STORY_B)
    [batch] = alerts.collect_alerts(archive)
    assert batch.article_ids == (a,) and batch.merged == ((b, a),)
    [chat] = alerts.pending_deliveries(archive)
    [alert] = chat.alerts
    assert alert.sources == ("صحيفة الواحة", "الغدير اليوم")
    assert alert.also == (("الغدير اليوم", "https://ghadir.example/news/77"),)
    assert store.delivery_counts(archive) == {"pending": 1, "merged": 1}


def test_a_different_story_on_the_same_subject_is_not_merged(archive: sqlite3.Connection) -> None:
    alerts.subscribe(archive, USER, USER, "الغدير", limit=5)
    ids = add(archive, STORY_A, OTHER_STORY)
    [batch] = alerts.collect_alerts(archive)
    assert batch.article_ids == tuple(ids) and batch.merged == ()


def test_a_late_copy_of_a_delivered_story_is_merged_not_sent(archive: sqlite3.Connection) -> None:
    alerts.subscribe(archive, USER, USER, "تحلية الغدير", limit=5)
    [a] = add(archive, STORY_A)
    alerts.collect_alerts(archive)
    [chat] = alerts.pending_deliveries(archive)
    attempt, n = alerts.claim(archive, chat.keys)
    assert n == 1 and alerts.mark_sent(archive, attempt, message_id=40) == 1
    [b] = add(archive, STORY_B)
    [batch] = alerts.collect_alerts(archive)
    assert batch.article_ids == () and batch.merged == ((b, a),)
    assert alerts.pending_deliveries(archive) == []


def test_near_duplicate_signatures_on_real_pairs() -> None:
    """The threshold's two sides, on the fictional story and on headline-only texts."""
    conn = store.connect(":memory:")
    a, b, c = add(conn, STORY_A, STORY_B, OTHER_STORY)
    clusters, _ = alerts.near_duplicates(conn, [a, b, c])
    assert clusters.root(b) == a and clusters.root(c) == c


def test_one_article_matched_by_two_subscriptions_is_one_alert(archive: sqlite3.Connection) -> None:
    s1, _, _ = alerts.subscribe(archive, USER, USER, "قطار", limit=5)
    s2, _, _ = alerts.subscribe(archive, USER, USER, "المرجان", limit=5)
    [new] = add(archive, article(1))
    alerts.collect_alerts(archive)
    [chat] = alerts.pending_deliveries(archive)
    [alert] = chat.alerts
    assert not chat.digest
    assert alert.keys == ((s1.id, new), (s2.id, new))
    assert [q for _, q in alert.subscriptions] == ["قطار", "المرجان"]
    assert alert.excerpt and len(alert.highlights) >= 2


def test_many_matches_make_a_digest(archive: sqlite3.Connection) -> None:
    alerts.subscribe(archive, USER, USER, "قطار الساحل", limit=5)
    alerts.subscribe(archive, OTHER, OTHER, "قطار الساحل", limit=5)
    ids = add(archive, *(article(n) for n in range(1, alerts.DIGEST_MIN + 2)))
    alerts.collect_alerts(archive)
    chats = {c.chat_id: c for c in alerts.pending_deliveries(archive)}
    assert chats[USER].digest and [a.article_id for a in chats[USER].alerts] == ids
    assert chats[USER].alerts[0].excerpt == ""  # a digest lists titles; no excerpt is computed
    few = alerts.pending_deliveries(archive, per_chat=2)
    assert all(len(c.alerts) == 2 and not c.digest for c in few)


# --- sending: claim → send → mark_sent --------------------------------------------------------------


def _one_pending(conn: sqlite3.Connection) -> alerts.ChatAlerts:
    alerts.subscribe(conn, USER, USER, "قطار الساحل", limit=5)
    add(conn, article(1))
    alerts.collect_alerts(conn)
    [chat] = alerts.pending_deliveries(conn)
    return chat


def test_sent_deliveries_are_never_pending_again(archive: sqlite3.Connection) -> None:
    chat = _one_pending(archive)
    attempt, n = alerts.claim(archive, chat.keys)
    assert n == 1
    assert alerts.pending_deliveries(archive) == []  # claimed: not offered to another round
    assert alerts.claim(archive, chat.keys)[1] == 0  # nor claimable twice
    assert alerts.mark_sent(archive, attempt, message_id=12) == 1
    assert alerts.recover_interrupted(archive) == 0
    assert store.delivery_counts(archive) == {"sent": 1}


def test_a_crash_after_claiming_is_settled_as_possibly_sent(archive: sqlite3.Connection,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    chat = _one_pending(archive)
    alerts.claim(archive, chat.keys)
    # The process dies here (after sendMessage, before mark_sent). A new process starts:
    path = archive.execute("PRAGMA database_list").fetchone()[2]
    restarted = store.connect(path)
    with caplog.at_level("WARNING", logger="arshif.index.alerts"):
        assert alerts.recover_interrupted(restarted) == 1
    assert "possibly sent" in caplog.text
    assert alerts.pending_deliveries(restarted) == []  # never resent
    row = restarted.execute("SELECT status, message_id, error FROM deliveries").fetchone()
    assert (row[0], row[1]) == ("sent", None) and row[2] == alerts.INTERRUPTED_NOTE
    restarted.close()


def test_a_refused_send_goes_back_to_pending_then_fails_loudly(archive: sqlite3.Connection,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    chat = _one_pending(archive)
    attempt, _ = alerts.claim(archive, chat.keys)
    assert alerts.release(archive, attempt, "Flood control", count_attempt=False) == 1
    assert pending_ids(archive) == [chat.alerts[0].article_id]
    for _ in range(alerts.MAX_ATTEMPTS):
        attempt, _ = alerts.claim(archive, chat.keys)
        alerts.release(archive, attempt, "Bad Request: can't parse entities")
    assert store.delivery_counts(archive) == {"failed": 1}
    assert "gave up" in caplog.text
