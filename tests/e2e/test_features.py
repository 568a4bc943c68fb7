"""/trend, /who, inline mode and answer feedback end to end (issue 13): the real Application
against the fake Bot API, over the bundled samples, judged by the Bot API calls a user would see."""

from __future__ import annotations

import json

from arshif.index import feedback, store

from .conftest import MEMBERS, STRANGER, BotEnv
from .fakebot import Call

USER = MEMBERS[0]


async def _next(env: BotEnv, method: str, since: int, chat: int | None = None, timeout: float = 20) -> Call:
    def found() -> list[Call]:
        return [c for c in env.server.calls[since:] if c.method == method and c.done
                and (chat is None or c.chat_id == chat)]

    await env.server.wait_until(lambda: bool(found()), timeout=timeout)
    return found()[0]


def _buttons(call: Call) -> list[tuple[str, str]]:
    markup = (call.result or {}).get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


async def test_trend_sends_a_png_with_its_caption(bot: BotEnv) -> None:
    mark = bot.server.mark()
    bot.server.send_text(USER, "/trend الطاقة")
    photo = await _next(bot, "sendPhoto", mark, USER)
    assert photo.ok
    assert bot.server.photo_bytes(photo).startswith(b"\x89PNG")
    assert "الذروة" in photo.text and "الطاقة" in photo.text
    [(_, data)] = _buttons(photo)
    mark = bot.server.mark()
    bot.server.press_button(USER, photo.result["message_id"], data)
    again = await _next(bot, "sendPhoto", mark, USER)
    assert again.ok and bot.server.photo_bytes(again).startswith(b"\x89PNG")
    assert (await _next(bot, "answerCallbackQuery", mark)).ok


async def test_trend_with_nothing_found_says_so(bot: BotEnv) -> None:
    mark = bot.server.mark()
    bot.server.send_text(USER, "/trend كلمةغيرموجودةأبدا")
    message = await _next(bot, "sendMessage", mark, USER)
    assert "لا مقالات تطابق" in message.text
    assert not [c for c in bot.server.calls[mark:] if c.method == "sendPhoto"]


async def test_who_names_the_role_and_lists_the_articles(bot: BotEnv) -> None:
    mark = bot.server.mark()
    bot.server.send_text(USER, "/who نادية الجلاصي")
    message = await _next(bot, "sendMessage", mark, USER)
    assert "نادية الجلاصي" in message.text and "وزيرة الصناعة والطاقة" in message.text
    articles = [data for _, data in _buttons(message) if data.startswith("a:")]
    assert len(articles) == 2
    mark = bot.server.mark()
    bot.server.press_button(USER, message.result["message_id"], articles[0])
    opened = await _next(bot, "sendMessage", mark, USER)
    assert opened.ok


async def test_inline_query_gets_articles(bot: BotEnv) -> None:
    mark = bot.server.mark()
    bot.server.send_inline_query(USER, "الطاقة")
    call = await _next(bot, "answerInlineQuery", mark)
    assert call.ok
    results = call.params["results"]
    assert results and all(r["type"] == "article" and r["title"] for r in results)
    assert call.params.get("is_personal") is True


async def test_inline_query_of_a_stranger_gets_nothing(bot: BotEnv) -> None:
    mark = bot.server.mark()
    bot.server.send_inline_query(STRANGER, "الطاقة")
    call = await _next(bot, "answerInlineQuery", mark)
    assert call.ok and call.params["results"] == []
    assert call.params["button"]["start_parameter"]


async def test_a_thumbs_down_is_acknowledged_and_stored(bot: BotEnv) -> None:
    question = "من فاز بمنصب عميد الهيئة الوطنية للمهندسين؟"
    mark = bot.server.mark()
    bot.server.send_text(USER, question)
    answer = await _next(bot, "sendMessage", mark, USER)
    pairs = dict((label, data) for label, data in _buttons(answer))
    assert "👍" in pairs and "👎" in pairs
    mark = bot.server.mark()
    bot.server.press_button(USER, answer.result["message_id"], pairs["👎"])
    ack = await _next(bot, "answerCallbackQuery", mark)
    assert ack.ok and "👎" in ack.params["text"]
    assert not [c for c in bot.server.calls[mark:] if c.method == "sendMessage" and c.chat_id == USER]
    conn = store.connect(bot.db_path)
    [rating] = feedback.list_feedback(conn)
    conn.close()
    assert (rating.user_id, rating.rating, rating.question) == (USER, feedback.DOWN, question)
    assert json.dumps(rating.as_dict(), ensure_ascii=False)
