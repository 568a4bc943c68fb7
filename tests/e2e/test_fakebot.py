"""Self-test of the fake Bot API server against a real PTB Application.

Why: every end-to-end test of arshif trusts this fake; if it drifts from what PTB
sends and expects, those tests pass or fail for the wrong reasons.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, EndPointNotFound, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from .fakebot import FakeBotServer, UploadedFile, auto_entities, parse_html

USER = 1001
OTHER_USER = 2002
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("المزيد", callback_data="more")]])


@dataclass
class Env:
    """What each test gets: the fake server, the running app, and errors handlers saw."""

    server: FakeBotServer
    app: Application
    seen: list[TelegramError] = field(default_factory=list)


def build_app(server: FakeBotServer, seen: list[TelegramError]) -> Application:
    """A tiny bot touching every method the fake must get right."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        try:
            await update.effective_message.reply_text("hello", reply_markup=KEYBOARD)
        except (Forbidden, RetryAfter) as exc:
            seen.append(exc)

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"pressed {query.data}")

    async def doc(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_chat.send_action("upload_document")  # type: ignore[union-attr]
        await update.effective_message.reply_document(
            b"%PDF-1.4 arshif", filename="تقرير.pdf", caption="<b>report</b> &amp; more", parse_mode="HTML"
        )

    async def incoming(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        data = await (await message.document.get_file()).download_as_bytearray()
        await message.reply_text(f"got {len(data)} bytes: {bytes(data).decode()}")

    app = server.application_builder().build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("doc", doc))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(MessageHandler(filters.Document.ALL, incoming))
    return app


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    """Fake server plus a polling Application, torn down in the right order."""
    seen: list[TelegramError] = []
    async with FakeBotServer() as server:
        app = build_app(server, seen)
        async with server.polling(app):
            yield Env(server, app, seen)
        assert server.errors == []


async def test_start_command_gets_reply(env: Env) -> None:
    server = env.server
    update = server.send_text(USER, "/start", first_name="سارة")
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]

    [call] = await server.wait_for("sendMessage", lambda c: c.chat_id == USER)
    assert server.last_text(USER) == "hello"
    assert call.params["reply_markup"] == {"inline_keyboard": [[{"text": "المزيد", "callback_data": "more"}]]}
    assert call.result["reply_markup"] == call.params["reply_markup"]
    assert call.result["from"]["username"] == "arshif_test_bot"
    assert call.result["message_id"] == 2  # the user's /start was message 1 in this chat
    assert [c.method for c in server.calls[:2]] == ["getMe", "deleteWebhook"]
    assert server.calls_of("getUpdates")[0].params["timeout"] == 1


async def test_button_press_answers_and_edits(env: Env) -> None:
    server = env.server
    server.send_text(USER, "/start")
    [sent] = await server.wait_for("sendMessage")

    with pytest.raises(LookupError):
        server.press_button(USER, sent, "no-such-button")
    server.press_button(USER, sent, "more")

    [edit] = await server.wait_for("editMessageText")
    [answer] = server.calls_of("answerCallbackQuery")
    assert answer.ok and edit.ok
    assert answer.time <= edit.time
    assert server.last_text(USER) == "pressed more"
    # Editing without reply_markup removes the keyboard, as on Telegram.
    assert "reply_markup" not in server.message(USER, sent.result["message_id"])
    with pytest.raises(LookupError):
        server.press_button(USER, sent, "more")


async def test_injected_failures_reach_the_handler(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22 warns on int retry_after otherwise
    server = env.server
    server.fail_next("sendMessage", 403, chat_id=OTHER_USER)
    server.fail_next("sendMessage", 429, retry_after=3, chat_id=USER)

    server.send_text(USER, "/start")  # 429
    server.send_text(USER, "/start")  # the failure was used up: succeeds
    server.send_text(OTHER_USER, "/start")  # 403
    server.send_text(OTHER_USER, "/start")  # succeeds
    # Updates are handled one by one, so after the last success every handler has run.
    await server.wait_for("sendMessage", lambda c: c.ok and c.chat_id == OTHER_USER)

    retry, forbidden = env.seen
    assert isinstance(retry, RetryAfter) and retry.retry_after == dtm.timedelta(seconds=3)
    assert isinstance(forbidden, Forbidden) and forbidden.message == "Forbidden: bot was blocked by the user"
    assert [c.status for c in server.calls_of("sendMessage")] == [429, 200, 403, 200]
    assert [c.text for c in server.messages_to(USER)] == ["hello"]


async def test_document_upload_and_download(env: Env) -> None:
    server = env.server
    server.send_text(USER, "/doc")
    [call] = await server.wait_for("sendDocument")

    document = call.params["document"]
    assert isinstance(document, UploadedFile)
    assert (document.filename, document.content) == ("تقرير.pdf", b"%PDF-1.4 arshif")
    assert document.content_type == "application/pdf"
    assert call.params["parse_mode"] == "HTML"
    assert call.result["caption"] == "report & more"
    assert call.result["caption_entities"] == [{"offset": 0, "length": 6, "type": "bold"}]
    assert call.result["document"]["file_name"] == "تقرير.pdf"
    assert server.calls_of("sendChatAction")[0].params["action"] == "upload_document"

    server.send_document(USER, "ملاحظات.txt", "نص".encode(), caption="see")
    await server.wait_for("sendMessage")
    assert server.last_text(USER) == "got 4 bytes: نص"
    assert len(server.calls_of("getFile")) == 1


async def test_bot_methods_validate_like_telegram(env: Env) -> None:
    server, bot = env.server, env.app.bot
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(USER, "hi")
    server.add_chat(USER)
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "br"'):
        await bot.send_message(USER, "a<br>b", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "x" * 4097)
    message = await bot.send_message(USER, "  <i>نص</i> ", parse_mode="HTML", reply_markup=KEYBOARD)
    assert message.text == "نص" and message.entities[0].type == "italic"
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await message.edit_reply_markup(KEYBOARD)
    assert await message.delete()
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await message.delete()

    await bot.set_my_commands([BotCommand("start", "ابدأ")], language_code="ar")
    await bot.set_my_commands([BotCommand("help", "Help")], scope=BotCommandScopeChat(USER))
    assert server.commands("ar") == [{"command": "start", "description": "ابدأ"}]
    assert server.commands(scope={"type": "chat", "chat_id": USER})[0]["command"] == "help"
    assert [c.command for c in await bot.get_my_commands(language_code="ar")] == ["start"]
    assert await bot.get_my_commands() == ()

    with pytest.raises(EndPointNotFound):  # PTB maps our 404 exactly like the real one
        await bot.do_api_request("noSuchMethod")
    server.block(USER)
    with pytest.raises(Forbidden):
        await bot.send_chat_action(USER, "typing")


async def test_get_updates_long_poll_and_offset() -> None:
    async with FakeBotServer() as server, httpx.AsyncClient(base_url=server.url) as client:
        api = f"/bot{server.token}"
        poll = asyncio.create_task(client.post(f"{api}/getUpdates", json={"timeout": 30}))
        await server.wait_until(lambda: any(c.method == "getUpdates" for c in server.calls))  # it is waiting
        assert not poll.done()
        update = server.send_text(USER, "مرحبا @arshif_test_bot https://example.com/a.")
        first = (await asyncio.wait_for(poll, 20)).json()  # well before its 30 s: the update ended the wait
        assert first["result"] == [update]
        assert [e["type"] for e in update["message"]["entities"]] == ["mention", "url"]

        # Not confirmed yet: delivered again; a higher offset confirms it.
        again = await client.post(f"{api}/getUpdates", data={"offset": "0", "timeout": "0"})
        assert again.json()["result"] == [update]
        started = time.monotonic()
        confirm = {"offset": update["update_id"] + 1, "timeout": 0.2}
        empty = await client.get(f"{api}/getUpdates", params=confirm)
        assert empty.json() == {"ok": True, "result": []}
        assert time.monotonic() - started >= 0.15  # it waited out its timeout (how fast: tests/bench/)
        assert server.updates == []

        unknown = await client.post(f"{api}/noSuchMethod")
        assert unknown.status_code == 404
        not_found = {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        assert unknown.json() == not_found
        assert (await client.post("/bot1:wrong/getMe")).status_code == 401


def test_parse_html_and_entities() -> None:
    text, entities = parse_html('<b>عاجل</b> <a href="https://x.org/?a=1&amp;b=2">رابط</a> 😀 <code>x</code>')
    assert text == "عاجل رابط 😀 x"
    assert entities == [
        {"offset": 0, "length": 4, "type": "bold"},
        {"offset": 5, "length": 4, "type": "text_link", "url": "https://x.org/?a=1&b=2"},
        {"offset": 13, "length": 1, "type": "code"},  # the emoji counts 2 UTF-16 units
    ]
    for bad, detail in [
        ("a < b", 'Unsupported start tag ""'),
        ("<b>x", 'find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("<b", "Unclosed start tag"),
    ]:
        with pytest.raises(Exception, match=detail):
            parse_html(bad)
    assert auto_entities("/start@arshif_test_bot now") == [{"type": "bot_command", "offset": 0, "length": 22}]
    assert auto_entities("/ابدأ") == []
