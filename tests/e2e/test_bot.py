"""The bot end to end: the real Application polling the fake Bot API server, as users see it.

Every test talks to the bot only through Telegram updates (messages, button presses) and judges it
only by the Bot API calls it makes: what a user would see, in which chat, with which buttons.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from arshif.bot.render import utf16_len
from arshif.bot.telegram_app import STATE_KEY
from arshif.bot.texts import COMMANDS, TEXTS
from arshif.index import store
from arshif.index.ingest import ingest_paths
from telegram.ext import CommandHandler

from .conftest import ADMIN, GROUP, MEMBERS, SEED, STRANGER, BotEnv
from .fakebot import Call

ENERGY_URL = "https://example.org/samples/ar-energy-link"
ERROR_AR = TEXTS["error"]["ar"]
ERROR_EN = TEXTS["error"]["en"]

# Questions the engine answers, each with words the reply must show (names, amounts, dates).
QUESTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("من استقال من رئاسة بلدية جبيل؟", ("إيلي طنوس",)),
    ("من فاز بمنصب عميد الهيئة الوطنية للمهندسين؟", ("منير الطرابلسي",)),
    ("كم قيمة المنحة الأوروبية؟", ("3 ملايين يورو",)),
    ("كم طالبا تبتعث الكويت؟", ("١٢٠٠",)),
    ("كم تبلغ قدرة محطة تطاوين؟", ("120 ميغاواط",)),
    ("كم تبلغ كلفة تطوير منصة مسار؟", ("95 مليون ريال",)),
    ("كم طفلا تستهدف حملة الحصبة في العراق؟", ("٤ ملايين",)),
    ("من هو سفير المغرب الجديد في الكويت؟", ("محمد أمين العلوي",)),
    ("How big is the AI fund?", ("250 million",)),
    ("How much did Sanad Pay raise?", ("40 million",)),
]


def plain(text: str | None) -> str:
    """Returns message text without the invisible direction marks (RLM, FSI, PDI)."""
    return re.sub("[\u200f\u2068\u2069]", "", text or "")


async def say(env: BotEnv, user: int, text: str, *, count: int = 1, timeout: float = 10,
              **kwargs: object) -> list[Call]:
    """Sends a message as ``user`` and returns the bot's next ``count`` messages to that chat."""
    chat = kwargs.get("chat_id", user)
    mark = env.server.mark()
    env.server.send_text(user, text, **kwargs)  # type: ignore[arg-type]
    return await _wait_messages(env, chat, count, mark, timeout)


async def _wait_messages(env: BotEnv, chat: int, count: int, since: int, timeout: float) -> list[Call]:
    """Waits for ``count`` messages or documents to ``chat`` sent after call ``since``; returns all."""
    names = {"sendmessage", "senddocument"}
    await env.server.wait_until(
        lambda: len([c for c in env.server.calls[since:] if c.done and c.method.lower() in names
                     and c.chat_id == chat]) >= count,
        timeout=timeout,
    )
    return [c for c in env.server.calls[since:] if c.done and c.method.lower() in names and c.chat_id == chat]


def links(call: Call) -> list[str]:
    return [e["url"] for e in (call.result or {}).get("entities", []) if e["type"] == "text_link"]


def bold(call: Call) -> list[str]:
    text = (call.result or {}).get("text", "")
    units = text.encode("utf-16-le")
    return [plain(units[2 * e["offset"]: 2 * (e["offset"] + e["length"])].decode("utf-16-le"))
            for e in (call.result or {}).get("entities", []) if e["type"] == "bold"]


async def quiet(env: BotEnv) -> None:
    """Waits until the bot has fetched and finished every update sent so far (to check that it did
    nothing more), instead of sleeping and hoping it was done."""

    def idle() -> bool:
        return (not env.server.updates and env.app.update_queue.empty()
                and env.app.update_processor.current_concurrent_updates == 0)

    for _ in range(2):  # twice: an update between the queue and the processor is in neither for a moment
        await env.server.wait_until(idle)
        await asyncio.sleep(0)


# --- greeting, help, menu -----------------------------------------------------------------------


async def test_start_in_arabic_and_english_and_the_command_menus(bot: BotEnv) -> None:
    [ar] = await say(bot, MEMBERS[0], "/start", first_name="سارة")
    assert plain(ar.text).startswith("أهلا سارة!")
    [en] = await say(bot, MEMBERS[1], "/start", language_code="en", first_name="Sam")
    assert en.text.startswith("Hello Sam!")
    [help_en] = await say(bot, MEMBERS[1], "/help", language_code="en")
    [help_ar] = await say(bot, MEMBERS[0], "/help")
    registered = {c for handlers in bot.app.handlers.values() for h in handlers
                  if isinstance(h, CommandHandler) for c in h.commands}
    assert registered >= {c for c, *_ in COMMANDS}
    for command in registered:  # every command anyone registered is in /help, in both languages
        assert f"/{command}" in help_en.text and f"/{command}" in plain(help_ar.text)
    menus = {lang: bot.server.commands(lang) for lang in ("", "ar", "en")}
    mine = [c for c, *_ in COMMANDS]
    assert [c["command"] for c in menus["en"]][: len(mine)] == mine  # other modules' commands follow
    assert menus[""] == menus["ar"]
    assert menus["ar"][0]["description"] == COMMANDS[0][2] and menus["en"][0]["description"] == COMMANDS[0][3]


# --- answers and follow-ups ---------------------------------------------------------------------


async def test_arabic_question_names_both_signatories_with_the_source_link(bot: BotEnv) -> None:
    [reply] = await say(bot, MEMBERS[0], "من وقع اتفاقية الربط الكهربائي؟")
    text = plain(reply.text)
    assert "سامر الخطيب" in text and "هشام عبد الرحمن" in text
    assert ENERGY_URL in links(reply)
    assert {"سامر الخطيب", "هشام عبد الرحمن"} <= set(bold(reply))
    assert text.index("سامر الخطيب") < text.index("ووقع الاتفاقية")  # facts before the excerpt
    buttons = [b["callback_data"] for row in reply.result["reply_markup"]["inline_keyboard"] for b in row]
    assert any(b.startswith("a:") for b in buttons) and any(b.startswith("m:") for b in buttons)


async def test_follow_up_is_answered_from_the_same_article(bot: BotEnv) -> None:
    user = MEMBERS[2]
    [first] = await say(bot, user, "من استقال من رئاسة بلدية جبيل؟")
    assert "إيلي طنوس" in plain(first.text)
    [follow] = await say(bot, user, "ومتى استقال؟")
    assert "20 يناير 2025" in plain(follow.text)
    assert links(follow) == links(first)


@pytest.mark.skipif(not SEED.exists(), reason="needs ../shared/seed/cyber-agreement.txt")
async def test_cyber_agreement_question_and_follow_up(bot: BotEnv) -> None:
    user = MEMBERS[3]
    [where] = await say(bot, user, "أين وقعت اتفاقية السايبر بين إسرائيل والمغرب؟")
    assert "الرباط" in plain(where.text)
    [when] = await say(bot, user, "ومتى وقعت؟")
    assert "يوليو 2021" in plain(when.text)
    assert "مطلع يوليو/تموز الماضي" in plain(when.text)  # the phrase as written, next to the date


async def test_english_question_gets_english_chrome(bot: BotEnv) -> None:
    [reply] = await say(bot, MEMBERS[4], "How much did Sanad Pay raise?", language_code="en")
    assert "40 million" in reply.text
    assert "📰" in reply.text and ("Amount:" in reply.text or "Answer:" in reply.text)


# --- search and paging --------------------------------------------------------------------------


async def test_search_pages_forward_and_back_in_place(bot: BotEnv) -> None:
    user = MEMBERS[5]
    [page1] = await say(bot, user, "الطاقة")
    text1 = plain(page1.text)
    assert "الصفحة 1 من 2" in text1 and "1." in text1
    mark = bot.server.mark()
    bot.server.press_button(user, page1, button_text=TEXTS["button_next"]["ar"])
    [edit] = await bot.server.wait_for("editMessageText", since=mark)
    assert edit.result["message_id"] == page1.result["message_id"]
    assert "الصفحة 2 من 2" in plain(edit.text) and "6." in plain(edit.text)
    [answer] = bot.server.calls_of("answerCallbackQuery")
    assert answer.ok and answer.time <= edit.time
    mark = bot.server.mark()
    bot.server.press_button(user, page1, button_text=TEXTS["button_prev"]["ar"])
    [back] = await bot.server.wait_for("editMessageText", since=mark)
    assert plain(back.text) == text1
    # "Open" buttons send the article; nothing new was sent while paging.
    assert len(bot.server.calls_of("sendMessage", user)) == 1
    mark = bot.server.mark()
    bot.server.press_button(user, page1, button_text="📄 1")
    [article] = await _wait_messages(bot, user, 1, mark, 10)
    assert plain(article.text).split("\n")[0] in text1


async def test_forged_and_stale_buttons_get_a_polite_answer(bot: BotEnv) -> None:
    user = MEMBERS[6]
    [page] = await say(bot, user, "الطاقة")
    stored = bot.server.message(user, page.result["message_id"])
    stored["reply_markup"] = {"inline_keyboard": [[{"text": "x", "callback_data": "s:424242:3"},
                                                   {"text": "y", "callback_data": "garbage"}]]}
    for data in ("s:424242:3", "garbage"):
        mark = bot.server.mark()
        bot.server.press_button(user, page, data)
        await bot.server.wait_for("answerCallbackQuery", since=mark)
        await quiet(bot)
    texts = [plain(c.text) for c in bot.server.calls_of("sendMessage", user)]
    assert texts[-1] == TEXTS["stale_button"]["ar"]
    toasts = [c.params.get("text") for c in bot.server.calls_of("answerCallbackQuery")]
    assert TEXTS["stale_button"]["ar"] in toasts
    assert all(c.ok for c in bot.server.calls_of("answerCallbackQuery"))
    assert not bot.server.calls_of("sendMessage", ADMIN)  # no error reached the admin


async def test_a_press_too_old_to_answer_still_pages(bot: BotEnv) -> None:
    user = MEMBERS[6]
    [page] = await say(bot, user, "الطاقة")
    [next_data] = [b["callback_data"] for row in page.result["reply_markup"]["inline_keyboard"] for b in row
                   if b["text"] == TEXTS["button_next"]["ar"]]
    mark = bot.server.mark()
    # An id the server never issued: answerCallbackQuery fails with "query is too old".
    bot.server.queue_update({"callback_query": {
        "id": "42", "from": {"id": user, "is_bot": False, "first_name": "U"}, "chat_instance": "ci",
        "message": bot.server.message(user, page.result["message_id"]), "data": next_data}})
    [edit] = await bot.server.wait_for("editMessageText", since=mark)
    assert "الصفحة 2 من 2" in plain(edit.text)
    assert [c.status for c in bot.server.calls_of("answerCallbackQuery")] == [400]
    assert not bot.server.calls_of("sendMessage", ADMIN)


# --- long articles ------------------------------------------------------------------------------


def add_article(db_path: Path, tmp_path: Path, paragraphs: int) -> tuple[int, str]:
    body = "\n\n".join(f"الفقرة {i}: " + "نص تجريبي عن مشروع الطاقة الشمسية في الصحراء. " * 12
                       for i in range(paragraphs))
    path = tmp_path / f"long-{paragraphs}.md"
    path.write_text(f"---\ntitle: مقال طويل {paragraphs}\ndate: 2024-05-01\n---\n{body}\n", encoding="utf-8")
    conn = store.connect(db_path)
    summary = ingest_paths(conn, [path], workers=1)
    conn.close()
    return summary.added_ids[0], body


async def test_long_articles_split_or_sent_as_a_file(bot: BotEnv, tmp_path: Path) -> None:
    user = MEMBERS[7]
    medium, medium_body = add_article(bot.db_path, tmp_path, 12)
    huge, huge_body = add_article(bot.db_path, tmp_path, 60)
    conn = store.connect(bot.db_path)
    medium_body, huge_body = (store.get_article(conn, a).body for a in (medium, huge))  # as stored
    conn.close()
    await say(bot, user, f"/article {medium}", count=2)
    await quiet(bot)
    parts = bot.server.calls_of("sendMessage", user)
    assert len(parts) >= 2 and all(utf16_len(c.params["text"]) <= 4096 for c in parts)
    shown = re.sub(r"\s+", "", plain("".join(c.text for c in parts)))
    assert re.sub(r"\s+", "", medium_body) in shown
    [doc] = await say(bot, user, f"/article {huge}")
    assert doc.method == "sendDocument"
    upload = doc.params["document"]
    assert upload.filename == f"article-{huge}.txt"
    assert huge_body.strip() in upload.content.decode("utf-8")
    assert "مقال طويل 60" in plain(doc.text)


# --- access -------------------------------------------------------------------------------------


async def test_stranger_is_refused_with_their_id_and_nothing_else(bot: BotEnv) -> None:
    replies = await say(bot, STRANGER, "من وقع اتفاقية الربط الكهربائي؟")
    await quiet(bot)
    [reply] = bot.server.messages_to(STRANGER)
    assert reply is replies[0]
    assert str(STRANGER) in reply.text and "سامر" not in reply.text and "reply_markup" not in reply.result
    assert reply.text.count("\n") == 0  # one sentence
    mark = bot.server.mark()
    bot.server.send_text(STRANGER, "/search @arshif_test_bot الطاقة", chat_id=-777, chat_type="group",
                         language_code="en")
    [group] = await _wait_messages(bot, -777, 1, mark, 10)
    assert str(STRANGER) in group.text and "-777" in group.text


async def test_admin_allow_lets_a_stranger_in(bot: BotEnv) -> None:
    await say(bot, STRANGER, "الطاقة")
    [done] = await say(bot, ADMIN, f"/allow {STRANGER}", language_code="en")
    assert done.text == f"User {STRANGER} can use the archive now."
    await bot.server.wait_until(lambda: len(bot.server.messages_to(STRANGER)) == 2)
    assert TEXTS["welcome_in"]["en"] in bot.server.messages_to(STRANGER)[-1].text
    [answer] = await say(bot, STRANGER, "كم قيمة المنحة الأوروبية؟")
    assert "3 ملايين يورو" in plain(answer.text)


# --- hostile input and failures -----------------------------------------------------------------


async def test_fts_syntax_and_junk_are_answered_calmly(bot: BotEnv) -> None:
    user = MEMBERS[8]
    [syntax] = await say(bot, user, '"unbalanced AND OR NEAR(')
    assert syntax.text and ERROR_EN not in syntax.text and ERROR_AR not in plain(syntax.text)
    junk = "ضصث" * 3334  # 10,002 characters
    [calm] = await say(bot, user, junk)
    assert TEXTS["truncated"]["ar"].format(n=500) in plain(calm.text)
    [latin] = await say(bot, user, "qz" * 5000)
    assert TEXTS["truncated"]["en"].format(n=500) in latin.text
    assert not bot.server.calls_of("sendMessage", ADMIN)


async def test_group_answers_mentions_and_replies_only(bot: BotEnv) -> None:
    member = MEMBERS[9]
    bot.server.send_text(member, "كم قيمة المنحة الأوروبية؟", chat_id=GROUP, chat_type="supergroup")
    [answer] = await say(bot, member, "@arshif_test_bot كم قيمة المنحة الأوروبية؟", chat_id=GROUP,
                         chat_type="supergroup")
    await quiet(bot)
    assert len(bot.server.messages_to(GROUP)) == 1  # the first, unaddressed message was ignored
    assert "3 ملايين يورو" in plain(answer.text)
    assert answer.params["reply_parameters"]["message_id"] == answer.result["reply_to_message"]["message_id"]
    [follow] = await say(bot, member, "كم طالبا تبتعث الكويت؟", chat_id=GROUP, chat_type="supergroup",
                         reply_to_message=answer)
    assert "١٢٠٠" in plain(follow.text)
    [cmd] = await say(bot, member, "/latest@arshif_test_bot", chat_id=GROUP, chat_type="supergroup")
    assert "1." in plain(cmd.text)


async def test_engine_exception_becomes_a_polite_reply_and_the_admin_is_told(
    bot: BotEnv, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import arshif.index.qa

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(arshif.index.qa, "answer_question", broken)
    [reply] = await say(bot, MEMBERS[0], "من وقع اتفاقية الربط الكهربائي؟")
    assert reply.text == ERROR_AR
    await bot.server.wait_until(lambda: bool(bot.server.messages_to(ADMIN)))
    [note] = bot.server.messages_to(ADMIN)
    assert "RuntimeError" in note.text and str(MEMBERS[0]) in note.text and "الربط" not in note.text
    assert any(r.exc_info and "engine exploded" in str(r.exc_info[1]) for r in caplog.records)
    assert bot.server.token not in caplog.text


async def ask_at_once(env: BotEnv, users: tuple[int, ...], rounds: int) -> None:
    """Sends every user ``rounds`` questions at once and checks each user got the right answers, in order."""
    asked: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
    mark = env.server.mark()
    for round_ in range(rounds):
        for i, user in enumerate(users):
            question = QUESTIONS[(i + round_) % len(QUESTIONS)]
            asked.setdefault(user, []).append(question)
            env.server.send_text(user, question[0], language_code="en" if question[0].isascii() else "ar")
    total = rounds * len(users)
    await env.server.wait_until(
        lambda: sum(1 for c in env.server.calls[mark:] if c.method == "sendMessage" and c.done) >= total, timeout=60
    )
    for user, questions in asked.items():
        replies = [plain(c.text) for c in env.server.messages_to(user)]
        assert len(replies) == rounds
        # One chat is served in order, so the n-th reply answers the n-th question.
        for (question, expected), reply in zip(questions, replies, strict=True):
            assert all(word in reply for word in expected), (question, reply[:200])


async def test_fifty_questions_from_ten_users_at_once(bot: BotEnv) -> None:
    await ask_at_once(bot, MEMBERS, rounds=5)


async def test_blocked_user_does_not_crash_the_bot(bot: BotEnv) -> None:
    user = MEMBERS[1]
    await say(bot, user, "/start")
    bot.server.block(user)
    mark = bot.server.mark()
    bot.server.send_text(user, "كم قيمة المنحة الأوروبية؟")
    await bot.server.wait_for("sendMessage", lambda c: c.chat_id == user and c.status == 403, since=mark)
    conn = store.connect(bot.db_path)
    await bot.server.wait_until(lambda: getattr(store.get_user(conn, user), "blocked", False))
    conn.close()
    [other] = await say(bot, MEMBERS[2], "كم قيمة المنحة الأوروبية؟")
    assert "3 ملايين يورو" in plain(other.text)
    assert not bot.server.calls_of("sendMessage", ADMIN)


async def test_retry_after_is_honoured(bot: BotEnv) -> None:
    user = MEMBERS[3]
    bot.server.fail_next("sendMessage", 429, retry_after=1, chat_id=user)
    mark = bot.server.mark()
    bot.server.send_text(user, "كم قيمة المنحة الأوروبية؟")
    [ok] = await bot.server.wait_for("sendMessage", lambda c: c.chat_id == user and c.ok, since=mark)
    [refused] = [c for c in bot.server.calls_of("sendMessage", user) if c.status == 429]
    assert ok.time - refused.time >= 1.0
    assert "3 ملايين يورو" in plain(ok.text)


async def test_incoming_rate_limit_is_polite(bot_factory: Callable[..., AbstractAsyncContextManager[BotEnv]]) -> None:
    async with bot_factory(rate_limit=2) as env:
        user = MEMBERS[4]
        for _ in range(4):
            env.server.send_text(user, "/start")
        await env.server.wait_until(lambda: len(env.server.messages_to(user)) >= 3)
        await quiet(env)
        texts = [plain(c.text) for c in env.server.messages_to(user)]
        # Updates run concurrently, so the warning may overtake the greetings.
        assert sorted(t == TEXTS["rate_limited"]["ar"] for t in texts) == [False, False, True]
        assert all(t.startswith("أهلا") for t in texts if t != TEXTS["rate_limited"]["ar"])


async def test_engine_processes_answer_many_users_correctly(
    bot_factory: Callable[..., AbstractAsyncContextManager[BotEnv]],
) -> None:
    """`arshif serve` runs the engine in worker processes (both cores); replies stay right and in order."""
    async with bot_factory(engine_processes=2) as env:
        state = env.app.bot_data[STATE_KEY]
        assert state.pool is not None and state.processes == 2
        await ask_at_once(env, MEMBERS[:6], rounds=2)
        # A follow-up in a worker process sees the memory the previous answer left in the database.
        [first] = await say(env, MEMBERS[7], "من استقال من رئاسة بلدية جبيل؟")
        [follow] = await say(env, MEMBERS[7], "ومتى استقال؟")
        assert "20 يناير 2025" in plain(follow.text)
        assert links(follow) == links(first)
    assert state.pool is None  # stopped with the bot
