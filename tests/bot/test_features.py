"""The conversation core's /trend, /who, answer feedback and inline mode (issue 13), without Telegram."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from arshif.bot import features
from arshif.bot.config import Settings
from arshif.bot.core import Conversation, Reply, Who, flat_buttons
from arshif.bot.render import callback_data_ok, render_html, render_plain
from arshif.bot.texts import COMMANDS, TEXTS, help_text
from arshif.index import feedback, store
from arshif.index.ingest import ingest_paths

ADMIN, MEMBER, STRANGER = 1, 2, 3
QUESTION = "من فاز بمنصب عميد الهيئة الوطنية للمهندسين؟"


@pytest.fixture
def conv(archive_path: Path) -> Iterator[Conversation]:
    settings = Settings(admins=(ADMIN,), allowed_users=(MEMBER,), db=archive_path)
    conversation = Conversation(archive_path, settings, bot_username="arshif_test_bot")
    yield conversation
    conversation.close()


def member(language_code: str = "ar", chat_id: int = MEMBER) -> Who:
    return Who(MEMBER, chat_id, language_code)


def stranger() -> Who:
    return Who(STRANGER, STRANGER, "ar")


def data_of(reply: Reply) -> list[str]:
    return [b.data for b in flat_buttons(reply)]


# --- /trend ---------------------------------------------------------------------------------------


def test_trend_is_a_chart_with_a_caption(conv: Conversation) -> None:
    reply = conv.handle(member(), "/trend الطاقة")
    assert reply.kind == "photo" and reply.photo is not None
    assert reply.photo.content.startswith(b"\x89PNG") and reply.photo.filename.endswith(".png")
    assert reply.lead.startswith("«الطاقة» — المقالات: ") and "الذروة" in reply.lead
    [data] = data_of(reply)
    assert data.startswith("t:") and data.endswith(":s") and callback_data_ok(data)
    by_source = conv.callback(member(), data)
    assert by_source.kind == "photo" and by_source.photo.content.startswith(b"\x89PNG")
    assert by_source.buttons == ()
    assert conv.callback(Who(ADMIN, ADMIN, "ar"), data).kind == "stale"  # another chat's button


def test_trend_in_english(conv: Conversation) -> None:
    reply = conv.handle(member("en"), "/trend energy")
    assert reply.lead.startswith('"energy": ') and "peak" in reply.lead


def test_trend_with_nothing_found_is_text(conv: Conversation) -> None:
    reply = conv.handle(member(), "/trend كلمةغيرموجودةأبدا")
    assert reply.photo is None and reply.lead.startswith("لا مقالات تطابق")
    assert conv.handle(member(), "/trend").lead.startswith("اكتب كلمات البحث")


def test_trend_is_for_allowed_users(conv: Conversation) -> None:
    reply = conv.handle(stranger(), "/trend الطاقة")
    assert reply.kind == "refusal" and reply.photo is None


def test_a_photo_reply_in_the_terminal(conv: Conversation) -> None:
    text = render_plain(conv.handle(member(), "/trend الطاقة"))
    assert "الذروة" in text and ".png" in text


# --- /who -----------------------------------------------------------------------------------------


def test_who_profile(conv: Conversation) -> None:
    reply = conv.handle(member(), "/who نادية الجلاصي")
    assert reply.title == "👤 نادية الجلاصي"
    assert "وزيرة الصناعة والطاقة" in reply.lead and "عدد المقالات: 2" in reply.lead
    assert all(d.startswith("a:") for d in data_of(reply)) and len(data_of(reply)) == 2
    opened = conv.callback(member(), data_of(reply)[0])
    assert opened.kind == "article"
    render_html(reply)  # renders without error


def test_who_variants_and_unknown(conv: Conversation) -> None:
    assert conv.handle(member(), "/who ناديه جلاصي").title == "👤 نادية الجلاصي"
    assert conv.handle(member(), "/who شخص غير موجود").lead.startswith("لا أعرف أحدا باسم")
    assert conv.handle(member(), "/who").lead.startswith("اكتب اسم الشخص")


def test_who_lists_candidates_of_an_ambiguous_name(tmp_path: Path) -> None:
    docs = [{"title": f"خبر {i}", "content": text, "published": f"2022-0{i + 1}-01", "url": f"https://e.org/{i}"}
            for i, text in enumerate([
                "وقال رئيس بلدية النخيل سامر الحداد إن الحديقة افتتحت.",
                "قال وزير الطاقة سامر الخطيب إن المحطة جاهزة.",
            ])]
    path = tmp_path / "docs.json"
    path.write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    db = tmp_path / "who.db"
    ingest_paths(store.connect(db), [path], workers=1)
    conv = Conversation(db, Settings(allowed_users=(MEMBER,), db=db))
    reply = conv.handle(member(), "/who سامر")
    assert reply.title == "أكثر من شخص بهذا الاسم؛ اختر:"
    labels = {b.label for b in flat_buttons(reply)}
    assert labels == {"👤 سامر الحداد", "👤 سامر الخطيب"}
    chosen = next(b for b in flat_buttons(reply) if b.label == "👤 سامر الخطيب")
    assert conv.callback(member(), chosen.data).title == "👤 سامر الخطيب"
    conv.close()


# --- answer feedback ----------------------------------------------------------------------------


def test_every_answer_has_feedback_buttons(conv: Conversation) -> None:
    reply = conv.handle(member(), QUESTION)
    assert reply.kind == "answer"
    row = reply.buttons[-1]
    assert [b.label for b in row] == ["👍", "👎"]
    assert all(callback_data_ok(b.data) for b in row)


def test_a_press_is_acknowledged_stored_and_can_change(conv: Conversation) -> None:
    reply = conv.handle(member(), QUESTION)
    up, down = (b.data for b in reply.buttons[-1])
    ack = conv.callback(member(), down)
    assert ack.kind == "toast" and "👎" in ack.toast
    [rating] = feedback.list_feedback(conv.conn())
    assert (rating.user_id, rating.rating, rating.question) == (MEMBER, feedback.DOWN, QUESTION)
    assert rating.answer == reply.answer or rating.answer  # the short answer as shown
    assert rating.sources and rating.sources[0]["article_id"] == reply.items[0].source.article_id
    assert conv.callback(member(), up).toast.startswith("شكرا")
    assert [r.rating for r in feedback.list_feedback(conv.conn())] == [feedback.UP]


def test_an_unknown_answer_id(conv: Conversation) -> None:
    reply = conv.callback(member(), "f:999999:d")
    assert reply.kind == "error" and reply.lead == TEXTS["unknown_answer"]["ar"]  # in the user's language


def test_nothing_found_has_no_feedback_buttons(conv: Conversation) -> None:
    reply = conv.handle(member(), "ما هي عاصمة كوكب زحل البعيد جدا جدا؟")
    if not reply.items:
        assert not any(d.startswith("f:") for d in data_of(reply))


# --- inline mode ----------------------------------------------------------------------------------


def test_inline_offers_articles(conv: Conversation) -> None:
    answer = conv.inline(member(), "الطاقة")
    assert answer.refused is None and 1 <= len(answer.results) <= features.INLINE_RESULTS + 1
    first = answer.results[0]
    assert first.title and first.message_html and len(first.id.encode()) <= 64
    assert len({r.id for r in answer.results}) == len(answer.results)
    assert conv.inline(member(), "الطاقة") == answer  # cached


def test_inline_answers_a_question_first(conv: Conversation, monkeypatch: pytest.MonkeyPatch) -> None:
    real = features.qa_engine.answer_question

    def sure(conn, question, **kwargs):  # the engine's own answer, made sure of itself
        ans = real(conn, question, **kwargs)
        return dataclasses.replace(ans, answer="منير الطرابلسي")

    monkeypatch.setattr(features.qa_engine, "answer_question", sure)
    answer = conv.inline(member(), QUESTION)
    first = answer.results[0]
    assert first.id.startswith("q") and "منير الطرابلسي" in first.title
    assert "منير الطرابلسي" in first.message_html and "📰" in first.message_html  # the answer and its source
    assert all(r.id.startswith("a") for r in answer.results[1:])


def test_inline_question_without_a_sure_answer_offers_articles(conv: Conversation) -> None:
    answer = conv.inline(member(), "من فاز بالانتخابات؟")
    assert answer.results and all(r.title for r in answer.results)


def test_inline_is_for_allowed_users_only(conv: Conversation) -> None:
    answer = conv.inline(stranger(), "الطاقة")
    assert answer.results == () and answer.refused


def test_inline_empty_and_unsearchable(conv: Conversation) -> None:
    assert conv.inline(member(), "   ").results == ()
    assert conv.inline(member(), '"').results == ()


# --- help ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_help_lists_the_new_commands_and_inline_mode(lang: str) -> None:
    text = help_text(lang, bot_username="arshif_test_bot")
    assert "/trend" in text and "/who" in text and "@arshif_test_bot" in text
    assert {"trend", "who"} <= {c[0] for c in COMMANDS}
