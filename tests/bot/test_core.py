"""The conversation core without Telegram: routing, follow-ups, paging, articles, access, limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from arshif.bot.access import RateLimiter, decide
from arshif.bot.config import Settings
from arshif.bot.core import ARTICLE_MAX_UNITS, MAX_QUERY_CHARS, Conversation, Reply, Who, flat_buttons, is_question
from arshif.bot.render import callback_data_ok, render_html, utf16_len
from arshif.bot.texts import COMMANDS, TEXTS, help_text, language_for
from arshif.index import confidence, store
from arshif.index.ingest import ingest_paths

ADMIN, MEMBER, STRANGER = 1, 2, 3
GROUP = -1001


@pytest.fixture
def conv(archive_path: Path) -> Conversation:
    settings = Settings(admins=(ADMIN,), allowed_users=(MEMBER,), allowed_chats=(GROUP,), db=archive_path)
    conversation = Conversation(archive_path, settings, bot_username="arshif_test_bot")
    yield conversation
    conversation.close()


@pytest.fixture
def sure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every best guess is shown as an answer (tests of how an answer is laid out, not of confidence)."""
    monkeypatch.setattr(confidence, "load", lambda: confidence.Calibration({}, 0.0, 0.0))


def member(chat_id: int = MEMBER, language_code: str = "ar") -> Who:
    return Who(MEMBER, chat_id, language_code)


def shown_text(reply: Reply) -> str:
    """Returns everything a reply shows, as plain text (titles, excerpts, facts, lead)."""
    parts = [reply.lead, reply.answer or "", reply.body or ""]
    parts += [f"{f.text} {f.detail or ''}" for f in reply.facts]
    parts += [f"{i.source.title} {i.excerpt}" for i in reply.items]
    return "\n".join(parts)


# --- routing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("من وقع اتفاقية الربط الكهربائي؟", True),
        ("من وقع الاتفاقية", True),  # a question word first, no mark
        ("ومتى وقعت", True),  # glued conjunction
        ("أين تقع محطة تطاوين", True),
        ("Who signed the memo", True),
        ("energy minister?", True),
        ("الربط الكهربائي", False),
        ("energy minister", False),
        ("وزير الطاقة", False),  # starts with و but is not a question word
        ("", False),
    ],
)
def test_is_question(text: str, expected: bool) -> None:
    assert is_question(text) is expected


def test_question_gets_an_answer_and_words_get_results(conv: Conversation) -> None:
    answer = conv.handle(member(), "من وقع اتفاقية الربط الكهربائي؟")
    assert answer.kind == "answer"
    assert answer.items and answer.items[0].source.title == "وزيرا الطاقة في الأردن ومصر يوقعان اتفاقية للربط الكهربائي"
    results = conv.handle(member(), "الربط الكهربائي")
    assert results.kind == "results"
    assert results.items[0].number == 1 and results.items[0].highlights


def test_follow_up_uses_chat_memory_and_survives_a_restart(conv: Conversation, archive_path: Path,
                                                           sure: None) -> None:
    first = conv.handle(member(), "من وقع اتفاقية الربط الكهربائي؟")
    [article_id] = first.shown
    conv.close()
    # A new Conversation on the same file (the bot restarted) still knows what the chat saw.
    again = Conversation(archive_path, conv.settings)
    follow = again.handle(member(), "ومتى وقعت؟")
    assert follow.kind == "answer" and follow.items[0].source.article_id == article_id
    assert any(f.kind == "date" for f in follow.facts)
    # Another chat has no memory: its follow-up is not answered from that article.
    other = again.handle(Who(ADMIN, ADMIN, "ar"), "ومتى وقعت؟")
    assert article_id not in other.shown
    again.close()


def test_the_answers_own_fact_comes_first(conv: Conversation, sure: None) -> None:
    reply = conv.handle(member(), "كم قيمة المنحة الأوروبية؟")
    assert reply.facts[0].kind == "money" and reply.facts[0].text == "3 ملايين يورو"
    assert reply.answer is None  # the fact says it; no separate answer line
    assert [f.kind for f in reply.facts[1:]] == sorted((f.kind for f in reply.facts[1:]),
                                                        key=["person", "org", "date", "place"].index)


def test_a_follow_up_is_asked_as_the_full_question_and_remembered(conv: Conversation) -> None:
    conv.handle(member(), "من وقع اتفاقية الربط الكهربائي بين الأردن ومصر؟")
    conv.handle(member(), "ومتى؟")
    _, asked = store.load_chat_context(conv.conn(), MEMBER)
    assert asked.startswith("متى") and "الكهربائي" in asked
    # A question with its own subject drops the old one.
    conv.handle(member(), "من أطلق منصة مسار الرقمية للنقل العام؟")
    _, asked = store.load_chat_context(conv.conn(), MEMBER)
    assert asked == "من أطلق منصة مسار الرقمية للنقل العام؟"


def test_the_chat_remembers_the_answer_a_follow_up_should_not_repeat(conv: Conversation) -> None:
    conv.handle(member(), "من وقع اتفاقية الربط الكهربائي بين الأردن ومصر؟")
    remembered = store.load_chat_answer(conv.conn(), MEMBER)
    assert remembered is not None and "سامر الخطيب" in remembered  # the answer, or the unsure reply's guess
    conv.handle(member(), "الطاقة")  # a list of articles: nothing answered
    assert store.load_chat_answer(conv.conn(), MEMBER) is None


def test_an_unsure_answer_says_so_with_one_or_two_passages(conv: Conversation,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(confidence, "load", lambda: confidence.Calibration({}, 0.0, 1.01))
    reply = conv.handle(member(), "كم قيمة المنحة الأوروبية؟")
    assert reply.lead == "لست متأكدا — أقرب ما وجدت:"
    assert reply.facts == () and reply.answer is None and 1 <= len(reply.items) <= 2
    assert "أقرب ما وجدت" in render_html(reply)[0]


def test_a_new_question_is_not_answered_from_the_previous_article(conv: Conversation) -> None:
    conv.handle(member(), "كم قيمة المنحة الأوروبية لميناء الإسكندرية؟")
    reply = conv.handle(member(), "من أطلق منصة مسار الرقمية للنقل العام؟")
    assert "مسار" in reply.items[0].source.title


def test_language_follows_language_code_or_latin_text(conv: Conversation) -> None:
    assert conv.handle(member(language_code="en"), "/start").lead.startswith("Hello")
    assert conv.handle(member(language_code="ar"), "/start").lead.startswith("أهلا")
    assert conv.handle(member(language_code=None), "energy minister").lang == "en"
    assert language_for(None, "وزير energy") == "ar"


# --- paging, buttons ----------------------------------------------------------------------------


def test_search_pages_forward_and_back(conv: Conversation) -> None:
    first = conv.handle(member(), "الطاقة")
    assert len(first.items) == 5 and not first.edit
    [next_button] = [b for b in flat_buttons(first) if b.label.startswith("التالي")]
    second = conv.callback(member(), next_button.data)
    assert second.edit and second.items[0].number == 6
    assert {i.source.article_id for i in second.items}.isdisjoint(i.source.article_id for i in first.items)
    [back] = [b for b in flat_buttons(second) if "السابق" in b.label]
    assert conv.callback(member(), back.data).items == first.items
    for reply in (first, second):
        assert all(callback_data_ok(b.data) for b in flat_buttons(reply))
        opens = [b.data for b in flat_buttons(reply) if b.data.startswith("a:")]
        assert opens == [f"a:{i.source.article_id}" for i in reply.items]


@pytest.mark.parametrize("data", ["zzz", "", "s:1", "s:x:1", "a:-1", "s:999999:0", "l:99", "m:" + "9" * 13])
def test_forged_or_stale_buttons_are_answered_politely(conv: Conversation, data: str) -> None:
    reply = conv.callback(member(), data)
    assert reply.kind == "stale" and reply.lead == TEXTS["stale_button"]["ar"]


def test_someone_elses_search_button_is_stale(conv: Conversation) -> None:
    first = conv.handle(member(), "الطاقة")
    [next_button] = [b for b in flat_buttons(first) if b.label.startswith("التالي")]
    reply = conv.callback(Who(ADMIN, ADMIN, "ar"), next_button.data)
    assert reply.kind == "stale"


def test_more_like_this_leaves_the_article_out(conv: Conversation) -> None:
    reply = conv.callback(member(), "m:1")
    assert reply.kind == "results" and reply.items
    assert 1 not in reply.shown
    assert conv.callback(member(), "a:999999").lead.startswith("لا يوجد مقال")


# --- articles -----------------------------------------------------------------------------------


def add_article(conv: Conversation, tmp_path: Path, paragraphs: int) -> int:
    body = "\n\n".join(f"الفقرة {i}: " + "نص تجريبي عن مشروع الطاقة الشمسية في الصحراء. " * 12
                       for i in range(paragraphs))
    path = tmp_path / f"long-{paragraphs}.md"
    path.write_text(f"---\ntitle: مقال طويل {paragraphs}\ndate: 2024-05-01\n---\n{body}\n", encoding="utf-8")
    summary = ingest_paths(conv.conn(), [path], workers=1)
    assert summary.added == 1, summary.failed
    return summary.added_ids[0]


def test_medium_article_is_split_into_messages(conv: Conversation, tmp_path: Path) -> None:
    article_id = add_article(conv, tmp_path, 12)  # ~7,000 characters
    reply = conv.handle(member(), f"/article {article_id}")
    assert reply.document is None
    parts = render_html(reply)
    assert 2 <= len(parts) <= 3
    assert all(utf16_len(p) <= 4096 for p in parts)
    body = store.get_article(conv.conn(), article_id).body
    assert re.sub(r"\W", "", "".join(parts)).count(re.sub(r"\W", "", body.split("\n\n")[-1])) == 1


def test_long_article_is_sent_as_a_text_file(conv: Conversation, tmp_path: Path) -> None:
    article_id = add_article(conv, tmp_path, 40)
    body = store.get_article(conv.conn(), article_id).body
    assert utf16_len(body) > ARTICLE_MAX_UNITS
    reply = conv.handle(member(), f"/article {article_id}")
    assert reply.document is not None and reply.document.filename == f"article-{article_id}.txt"
    assert body.strip() in reply.document.content.decode("utf-8")


def test_bad_article_ids(conv: Conversation) -> None:
    assert conv.handle(member(), "/article").lead == TEXTS["article_usage"]["ar"]
    assert conv.handle(member(language_code="en"), "/article 424242").lead.startswith("No article has id 424242")


# --- long and hostile input ---------------------------------------------------------------------


def test_long_message_is_cut_and_the_user_told(conv: Conversation) -> None:
    reply = conv.handle(member(), "الطاقة " + "ض" * 10_000)
    assert reply.notes == (TEXTS["truncated"]["ar"].format(n=MAX_QUERY_CHARS),)


def test_a_busy_database_gets_try_again(conv: Conversation, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    def locked(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr("arshif.index.search.run", locked)
    assert conv.handle(member(), "الطاقة").lead == TEXTS["busy"]["ar"]


def test_fts_syntax_is_just_words(conv: Conversation) -> None:
    reply = conv.handle(member(), '"unbalanced AND OR NEAR(')
    assert reply.kind in ("results", "error") and reply.lead


# --- access -------------------------------------------------------------------------------------


def test_stranger_gets_one_sentence_with_their_id(conv: Conversation) -> None:
    for text in ("من وقع اتفاقية الربط الكهربائي؟", "الطاقة", "/latest", "/article 1", "/start"):
        reply = conv.handle(Who(STRANGER, STRANGER, "ar"), text)
        assert reply.kind == "refusal" and str(STRANGER) in reply.lead
        assert not reply.items and not reply.facts and not reply.buttons and reply.body is None
    group = conv.handle(Who(STRANGER, -5, "en", "group"), "/search energy")
    assert str(STRANGER) in group.lead and "-5" in group.lead
    assert conv.callback(Who(STRANGER, STRANGER), "a:1").kind == "refusal"


def test_allowed_group_lets_its_members_in(conv: Conversation) -> None:
    assert conv.handle(Who(STRANGER, GROUP, "ar", "supergroup"), "الطاقة").kind == "results"


def test_admin_allows_and_denies(conv: Conversation) -> None:
    stranger = Who(STRANGER, STRANGER, "en")
    assert conv.handle(member(), f"/allow {STRANGER}").lead == TEXTS["admins_only"]["ar"]
    reply = conv.handle(Who(ADMIN, ADMIN, "en"), f"/allow {STRANGER}")
    assert reply.lead == f"User {STRANGER} can use the archive now."
    assert [n.chat_id for n in reply.notices] == [STRANGER]
    assert conv.handle(stranger, "energy").kind == "results"
    conv.handle(Who(ADMIN, ADMIN, "en"), f"/deny {STRANGER}")
    assert conv.handle(stranger, "energy").kind == "refusal"
    assert conv.handle(Who(ADMIN, ADMIN, "en"), f"/deny {ADMIN}").lead.startswith(f"User {ADMIN} is an admin")
    users = conv.handle(Who(ADMIN, ADMIN, "en"), "/users").lead
    assert f"{STRANGER}: denied" in users and f"Admins (configuration): {ADMIN}" in users
    assert conv.handle(Who(ADMIN, ADMIN, "en"), "/allow abc").lead.startswith("Write the user's numeric id")


def test_access_rules(archive: object) -> None:
    conn = archive
    s = Settings(admins=(1,), allowed_users=(2,), allowed_chats=(-9,))
    assert decide(s, conn, 1, 1).reason == "admin"
    assert decide(s, conn, 2, 2).reason == "user"
    assert decide(s, conn, 3, -9).reason == "chat"
    assert decide(s, conn, 3, 3).reason == "stranger"
    assert decide(Settings(open_mode=True), conn, 3, 3).allowed
    store.set_user_status(conn, 3, "denied", 1)
    assert not decide(Settings(open_mode=True), conn, 3, -9).allowed  # a denial beats open mode
    store.set_user_blocked(conn, 4, True)  # bookkeeping rows grant nothing
    assert decide(s, conn, 4, 4).reason == "stranger" and decide(s, conn, 4, 4).blocked


def test_rate_limiter_warns_once_then_drops() -> None:
    now = [0.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    assert [limiter.check(7) for _ in range(6)] == ["ok", "ok", "ok", "warn", "drop", "drop"]
    assert limiter.check(8) == "ok"  # per user
    now[0] = 61
    assert limiter.check(7) == "ok"


def test_help_lists_every_command_in_both_languages() -> None:
    for lang in ("ar", "en"):
        text = help_text(lang)
        for command, *_ in COMMANDS:
            assert f"/{command}" in text
    for key, entry in TEXTS.items():
        assert set(entry) == {"ar", "en"}, key


def test_escaping_counts_towards_the_three_message_cap(conv: Conversation, tmp_path: Path) -> None:
    """issue 9 §5: 8.5k characters full of «<» and «&» escape to far more than three messages."""
    body = "\n\n".join("x<y && a<b & c > d; " * 20 for _ in range(21))
    assert 8000 < len(body) < 9000
    path = tmp_path / "markup.md"
    path.write_text(f"---\ntitle: Markup in a story\ndate: 2024-05-01\n---\n{body}\n", encoding="utf-8")
    [article_id] = ingest_paths(conv.conn(), [path], workers=1).added_ids
    reply = conv.handle(member(language_code="en"), f"/article {article_id}")
    assert reply.document is not None and reply.body is None
    # An article that does go out as messages never takes more than three.
    for paragraphs in (12, 15):
        reply = conv.handle(member(), f"/article {add_article(conv, tmp_path, paragraphs)}")
        assert reply.document is not None or len(render_html(reply)) <= 3


def test_stats_count_configured_users_too(archive_path: Path) -> None:
    """issue 9 §5: ARSHIF_ALLOWED_USERS=1001,1002 are allowed users, with or without a database row."""
    settings = Settings(admins=(ADMIN,), allowed_users=(1001, 1002), db=archive_path)
    conv = Conversation(archive_path, settings)
    try:
        admin = Who(ADMIN, ADMIN, "en")
        assert "Allowed users: 2" in conv.handle(admin, "/stats").lead
        conv.handle(admin, "/allow 1003")  # one more in the database
        conv.handle(admin, "/deny 1002")  # an admin's later word wins over the configuration
        assert "Allowed users: 2" in conv.handle(admin, "/stats").lead
        assert conv.handle(Who(1001, 1001, "en"), "/stats").lead == TEXTS["stats_admins_only"]["en"]
    finally:
        conv.close()


def test_every_command_has_one_handler_and_one_menu_row() -> None:
    """Adding a command is a method with @on_command plus its row in texts.COMMANDS; both ways checked."""
    from arshif.bot.core import COMMAND_HANDLERS

    assert sorted(COMMAND_HANDLERS) == sorted(c for c, *_ in COMMANDS)
    for spec in COMMAND_HANDLERS.values():
        assert callable(getattr(Conversation, spec.method)), spec


def test_subscriptions_work_in_the_core(conv: Conversation) -> None:
    """/subscribe, /subscriptions, /unsubscribe and their buttons answer as the bot does, without Telegram."""
    who = member(language_code="en")
    first = conv.handle(who, "/subscribe الطاقة")
    assert first.lead.startswith("✅ Subscription #1") and [b.data for b in flat_buttons(first)][-1] == "unsub:1"
    again = conv.handle(who, "/subscribe الطاقة")
    assert again.lead == TEXTS["already"]["en"].format(id=1)  # AlreadySubscribed(sub_id=1), no text parsing
    assert conv.handle(member(), "/subscribe الطاقة").lead == TEXTS["already"]["ar"].format(id=1)
    listing = conv.handle(who, "/subscriptions")
    keyboard = tuple(tuple(b.data for b in row) for row in listing.buttons)
    assert keyboard == (("unsub:1", "mute:1"),)
    muted = conv.callback(who, "mute:1", keyboard)  # under the list: redrawn in place, with a toast
    assert muted.edit and muted.toast == TEXTS["muted"]["en"].format(id=1) and "sub:on:1" in muted.buttons[0][1].data
    toast = conv.callback(who, "sub:on:1")  # under an alert: only the toast
    assert toast.kind == "toast" and toast.toast == TEXTS["unmuted"]["en"].format(id=1)
    assert conv.handle(who, "/unsubscribe 1").lead == TEXTS["unsubscribed"]["en"].format(id=1)
    assert conv.handle(who, "/unsubscribe 1").lead == TEXTS["not_yours"]["en"].format(id=1)
    refused = conv.handle(Who(STRANGER, STRANGER, "en"), "/subscribe الطاقة")
    assert refused.kind == "refusal" and str(STRANGER) in refused.lead


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_engine_errors_reach_users_in_their_language(conv: Conversation, lang: str) -> None:
    who = member(language_code=lang)
    assert conv.handle(who, "/search الطاقة since:2024-13").lead == TEXTS["bad_date"][lang].format(
        name="since", value="2024-13")
    assert conv.handle(who, "/search الطاقة since:2025 until:2024").lead == TEXTS["reversed_dates"][lang].format(
        since="2025-01-01", until="2024-12-31")
    assert conv.handle(who, "/article 424242").lead == TEXTS["article_not_found"][lang].format(id=424242)
    long_query = "/subscribe " + "كلمة " * 60
    assert conv.handle(who, long_query).lead == TEXTS["query_too_long"][lang].format(limit=200)


def test_admin_commands_and_uploads_are_for_admins(conv: Conversation, tmp_path: Path) -> None:
    for command in ("/add https://example.org/x", "/feeds", "/users", "/allow 5"):
        assert conv.handle(member(language_code="en"), command).lead == TEXTS["admins_only"]["en"], command
    assert conv.upload(member(), "story.md", b"x") .lead == TEXTS["admins_only"]["ar"]
    admin = Who(ADMIN, ADMIN, "en")
    assert conv.upload(admin, "notes.pdf", None, 10).lead.startswith("I cannot read .pdf files")
    assert conv.upload(admin, "story.md", None, 10) is None  # worth downloading
    story = b"---\ntitle: Upload test story\ndate: 2024-05-01\n---\nA short story uploaded by an admin.\n"
    added = conv.upload(admin, "story.md", story)
    assert added.lead.startswith("Added: 1") and "Upload test story" in added.lead and added.alerts_due
    assert conv.handle(admin, "/feeds").lead == TEXTS["no_feeds"]["en"]
