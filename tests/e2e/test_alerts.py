"""End to end: subscriptions and alerts through the real Application polling the fake Bot API server.

Articles arrive the way they do in production: ``arshif ingest`` in a separate process writing to
the same SQLite file, an admin's /add of a page served on 127.0.0.1, or a document sent to the bot.
The alert job runs every 0.5 s here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from arshif.bot import alerts as bot_alerts
from arshif.bot.telegram_app import STATE_KEY, build_application
from arshif.bot.texts import TEXTS
from arshif.index import alerts as engine
from arshif.index import store
from telegram.ext import Application

from .conftest import ADMIN, MEMBERS, REPO, STRANGER, BotEnv, make_settings
from .fakebot import Call, FakeBotServer

MEMBER, MEMBER2 = MEMBERS[0], MEMBERS[1]
FAST = {"alert_interval": 0.5, "feed_interval": 0}
WAIT = 30  # seconds; a subprocess ingest takes a couple of seconds


def story(path: Path, title: str, body: str, *, source: str, url: str | None = None) -> Path:
    """Writes a fictional article as Markdown with front matter; returns its path."""
    head = f"---\ntitle: {title}\nsource: {source}\npublished: 2026-03-02\n"
    if url:
        head += f"url: {url}\n"
    path.write_text(f"{head}---\n{body}\n", encoding="utf-8")
    return path


TRAIN = ("قطار المرجان السريع يبدأ رحلاته التجريبية",
         "بدأ قطار المرجان السريع رحلاته التجريبية بين الميناء والمطار بسرعة مئتي كيلومتر في الساعة، "
         "على أن يفتح للركاب في الخريف المقبل بعد اكتمال المحطات الأربع.")
TRAIN_2 = ("تذاكر قطار المرجان متاحة عبر تطبيق جديد",
           "أطلقت هيئة النقل تطبيقا لحجز تذاكر قطار المرجان يتيح الدفع الإلكتروني واختيار المقاعد، "
           "وقالت إن الأسعار ستعلن قبل التشغيل بشهر واحد.")
TRAIN_3 = ("عمال قطار المرجان يكملون محطة الواحة",
           "أكمل العمال بناء محطة الواحة على خط قطار المرجان، وهي ثالث المحطات الأربع، وتضم مواقف "
           "لثلاثمئة سيارة وممرا مغطى إلى السوق القديم.")


async def ingest_in_another_process(db: Path, *paths: Path) -> dict:
    """Runs ``arshif ingest PATH... --db DB --json`` as a separate process; returns its summary."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "arshif.bot.cli", "ingest", *map(str, paths), "--db", str(db), "--json",
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), WAIT)
    assert proc.returncode == 0, err.decode()
    return json.loads(out)


async def alert_rounds(server: FakeBotServer, app: Application, n: int = 3) -> None:
    """Waits until the alert job has finished ``n`` more rounds: what was not sent by then is not
    going to be (instead of sleeping and hoping the rounds ran)."""
    jobs = app.bot_data[STATE_KEY].jobs
    target = jobs.rounds + n
    await server.wait_until(lambda: jobs.rounds >= target, timeout=WAIT)


def alerts_to(server: FakeBotServer, chat_id: int, since: int = 0) -> list[Call]:
    """Successful alert messages (single or digest) sent to a chat."""
    return [c for c in server.calls[since:] if c.ok and c.method == "sendMessage" and c.chat_id == chat_id
            and (c.text or "").lstrip("\u200f").startswith("🔔")]


async def subscribe(env: BotEnv, user: int, query: str) -> Call:
    mark = env.server.mark()
    env.server.send_text(user, f"/subscribe {query}")
    [reply] = await env.server.wait_for("sendMessage", lambda c: c.chat_id == user, since=mark, timeout=WAIT)
    return reply


@pytest.fixture
async def env(bot_factory) -> AsyncIterator[BotEnv]:
    async with bot_factory(**FAST) as running:
        yield running


# --- subscribing ----------------------------------------------------------------------------------


async def test_subscribe_shows_archived_matches_and_one_of_them(env: BotEnv) -> None:
    reply = await subscribe(env, MEMBER, "تحلية")
    text = reply.text or ""
    assert "#1" in text and "تحلية" in text
    assert "يطابقه في الأرشيف الآن" in text  # how many archived articles match, then the newest
    buttons = [b for row in reply.params["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0]["callback_data"].startswith("a:") and buttons[-1]["callback_data"] == "unsub:1"
    # The article shown is a real match: the core's own "open" button shows it.
    mark = env.server.mark()
    env.server.press_button(MEMBER, reply, buttons[0]["callback_data"])
    [opened] = await env.server.wait_for("sendMessage", lambda c: c.chat_id == MEMBER, since=mark)
    assert "تحلية" in (opened.text or "")


async def test_subscribe_refusals(env: BotEnv) -> None:
    env.server.send_text(STRANGER, "/subscribe تحلية")
    await env.server.wait_for("sendMessage", lambda c: c.chat_id == STRANGER)
    assert str(STRANGER) in env.server.last_text(STRANGER)  # the core's "send your id to an admin"
    reply = await subscribe(env, MEMBER, "تحلية since:2024 until:2023")
    assert "since:" in (reply.text or "")
    reply = await subscribe(env, MEMBER, "")
    assert "/subscribe" in (reply.text or "")
    conn = store.connect(env.db_path)
    assert engine.list_subscriptions(conn, MEMBER) == engine.list_subscriptions(conn, STRANGER) == []
    conn.close()


async def test_subscription_list_delete_and_limit(bot_factory) -> None:
    async with bot_factory(max_subscriptions=2, **FAST) as env:
        await subscribe(env, MEMBER, "تحلية")
        await subscribe(env, MEMBER, "ميناء")
        reply = await subscribe(env, MEMBER, "قطار")
        assert "/unsubscribe" in (reply.text or "")  # the per-user limit, with the way out
        mark = env.server.mark()
        env.server.send_text(MEMBER, "/subscriptions")
        [listing] = await env.server.wait_for("sendMessage", lambda c: c.chat_id == MEMBER, since=mark)
        assert "#1" in listing.text and "#2" in listing.text and "2" in listing.text
        mark = env.server.mark()
        env.server.press_button(MEMBER, listing, "unsub:1")
        await env.server.wait_for("editMessageText", since=mark)
        [answer] = env.server.calls_of("answerCallbackQuery")[-1:]
        assert "#1" in answer.params["text"]
        assert "#1" not in env.server.last_text(MEMBER) and "#2" in env.server.last_text(MEMBER)
        mark = env.server.mark()
        env.server.send_text(MEMBER, "/unsubscribe 2")
        await env.server.wait_for("sendMessage", lambda c: c.chat_id == MEMBER, since=mark)
        env.server.send_text(MEMBER2, "/unsubscribe 2")  # not theirs (and already gone)
        await env.server.wait_for("sendMessage", lambda c: c.chat_id == MEMBER2)
        assert "#2" in env.server.last_text(MEMBER2)


# --- alerts ---------------------------------------------------------------------------------------


async def test_articles_from_another_process_alert_exactly_once(env: BotEnv, tmp_path: Path) -> None:
    await subscribe(env, MEMBER, "قطار المرجان")
    await subscribe(env, MEMBER2, "تذاكر قطار")
    mark = env.server.mark()
    files = [story(tmp_path / "t1.md", *TRAIN, source="المرجان نيوز"),
             story(tmp_path / "t2.md", *TRAIN_2, source="صحيفة الساحل", url="https://sahel.example/tickets")]
    summary = await ingest_in_another_process(env.db_path, *files)
    assert summary["added"] == 2
    await env.server.wait_until(lambda: len(alerts_to(env.server, MEMBER, mark)) == 2, timeout=WAIT)
    await env.server.wait_until(lambda: len(alerts_to(env.server, MEMBER2, mark)) == 1, timeout=WAIT)
    first, second = alerts_to(env.server, MEMBER, mark)
    assert TRAIN[0] in first.text and "المرجان نيوز" in first.text and "2026-03-02" in first.text
    assert TRAIN_2[0] in second.text
    # The matched words are marked (bold) in the excerpt, and the link is there.
    bold = [second.text[e["offset"]:e["offset"] + e["length"]] for e in second.result.get("entities", [])
            if e["type"] == "bold"]
    assert any("قطار" in b for b in bold)
    assert any(e.get("url") == "https://sahel.example/tickets" for e in second.result["entities"])
    keyboard = [b["callback_data"] for row in second.params["reply_markup"]["inline_keyboard"] for b in row]
    assert keyboard[0].startswith("a:") and "mute:1" in keyboard
    # A later article from another process: one more alert, and nothing is ever repeated.
    await ingest_in_another_process(env.db_path, story(tmp_path / "t3.md", *TRAIN_3, source="المرجان نيوز"))
    await env.server.wait_until(lambda: len(alerts_to(env.server, MEMBER, mark)) == 3, timeout=WAIT)
    await alert_rounds(env.server, env.app)  # several more rounds
    texts = [c.text for c in alerts_to(env.server, MEMBER, mark)]
    assert len(texts) == 3 and len(alerts_to(env.server, MEMBER2, mark)) == 1
    conn = store.connect(env.db_path)
    assert store.delivery_counts(conn) == {"sent": 4}
    conn.close()


async def test_two_sources_of_one_story_give_one_alert_listing_both(env: BotEnv, tmp_path: Path) -> None:
    await subscribe(env, MEMBER, "قطار المرجان")
    mark = env.server.mark()
    copy = ("وزير النقل: قطار المرجان السريع بدأ رحلاته التجريبية",
            TRAIN[1].replace("على أن يفتح", "ومن المقرر أن يفتح"))
    await ingest_in_another_process(
        env.db_path,
        story(tmp_path / "a.md", *TRAIN, source="المرجان نيوز", url="https://marjan.example/1"),
        story(tmp_path / "b.md", *copy, source="صحيفة الساحل", url="https://sahel.example/2"),
    )
    await env.server.wait_until(lambda: len(alerts_to(env.server, MEMBER, mark)) == 1, timeout=WAIT)
    await alert_rounds(env.server, env.app)
    [alert] = alerts_to(env.server, MEMBER, mark)
    assert "المرجان نيوز" in alert.text and "صحيفة الساحل" in alert.text
    conn = store.connect(env.db_path)
    assert store.delivery_counts(conn) == {"sent": 1, "merged": 1}
    conn.close()


async def test_many_new_articles_become_one_digest(env: BotEnv, tmp_path: Path) -> None:
    await subscribe(env, MEMBER, "المرجان")
    mark = env.server.mark()
    extra = [(f"سوق المرجان {name}", f"افتتحت في المرجان {text}.") for name, text in (
        ("للكتب", "سوق للكتب المستعملة في الساحة القديمة يضم ثلاثين كشكا"),
        ("للأسماك", "سوق جديدة للأسماك قرب الرصيف الشرقي بتبريد يعمل بالطاقة الشمسية"),
    )]
    files = [story(tmp_path / f"d{i}.md", title, body, source="المرجان نيوز")
             for i, (title, body) in enumerate([TRAIN, TRAIN_2, TRAIN_3, *extra])]
    await ingest_in_another_process(env.db_path, *files)
    await env.server.wait_until(lambda: len(alerts_to(env.server, MEMBER, mark)) >= 1, timeout=WAIT)
    await alert_rounds(env.server, env.app)
    [digest] = alerts_to(env.server, MEMBER, mark)
    assert "5" in digest.text.splitlines()[0]
    for title, _ in [TRAIN, TRAIN_2, TRAIN_3, *extra]:
        assert title in digest.text
    opens = [b["callback_data"] for row in digest.params["reply_markup"]["inline_keyboard"] for b in row
             if b["callback_data"].startswith("a:")]
    assert len(opens) == 5


async def test_mute_button_stops_alerts(env: BotEnv, tmp_path: Path) -> None:
    await subscribe(env, MEMBER, "قطار المرجان")
    mark = env.server.mark()
    await ingest_in_another_process(env.db_path, story(tmp_path / "t1.md", *TRAIN, source="المرجان نيوز"))
    await env.server.wait_until(lambda: len(alerts_to(env.server, MEMBER, mark)) == 1, timeout=WAIT)
    [alert] = alerts_to(env.server, MEMBER, mark)
    env.server.press_button(MEMBER, alert, "mute:1")
    await env.server.wait_for("answerCallbackQuery", since=mark)
    await ingest_in_another_process(env.db_path, story(tmp_path / "t2.md", *TRAIN_2, source="المرجان نيوز"))
    await alert_rounds(env.server, env.app)
    assert len(alerts_to(env.server, MEMBER, mark)) == 1
    mark = env.server.mark()
    env.server.send_text(MEMBER, "/subscriptions")
    [listing] = await env.server.wait_for("sendMessage", lambda c: c.chat_id == MEMBER, since=mark)
    assert "مكتوم" in listing.text
    assert any(b["callback_data"] == "sub:on:1" for row in listing.params["reply_markup"]["inline_keyboard"]
               for b in row)


async def test_a_blocked_user_has_subscriptions_paused_then_resumed(env: BotEnv, tmp_path: Path) -> None:
    await subscribe(env, MEMBER, "قطار المرجان")
    env.server.block(MEMBER)
    mark = env.server.mark()
    await ingest_in_another_process(env.db_path, story(tmp_path / "t1.md", *TRAIN, source="المرجان نيوز"))
    await env.server.wait_for("sendMessage", lambda c: c.chat_id == MEMBER and c.status == 403, since=mark,
                              timeout=WAIT)
    conn = store.connect(env.db_path)
    await env.server.wait_until(lambda: engine.list_subscriptions(conn, MEMBER)[0].paused == "blocked")
    attempts = len(env.server.calls_of("sendMessage", MEMBER))
    await ingest_in_another_process(env.db_path, story(tmp_path / "t2.md", *TRAIN_2, source="المرجان نيوز"))
    await alert_rounds(env.server, env.app)
    assert len(env.server.calls_of("sendMessage", MEMBER)) == attempts  # paused: no more tries
    # The user unblocks the bot and writes: the subscription resumes and the kept alert arrives.
    env.server.unblock(MEMBER)
    mark = env.server.mark()
    env.server.send_text(MEMBER, "/subscriptions")
    await env.server.wait_until(lambda: len(alerts_to(env.server, MEMBER, mark)) == 1, timeout=WAIT)
    listing = next(c for c in env.server.messages_to(MEMBER)[::-1] if "▶️" in (c.text or ""))
    assert "#1" in listing.text
    [alert] = alerts_to(env.server, MEMBER, mark)
    assert TRAIN[0] in alert.text  # the alert that could not be delivered, not the one from the pause
    assert engine.list_subscriptions(conn, MEMBER)[0].running
    conn.close()


async def test_flood_control_is_honoured_without_dropping(env: BotEnv, tmp_path: Path) -> None:
    await subscribe(env, MEMBER, "قطار المرجان")
    # More 429s than AIORateLimiter retries: the job itself must wait and come back.
    env.server.fail_next("sendMessage", 429, retry_after=1, chat_id=MEMBER, times=4)
    mark = env.server.mark()
    await ingest_in_another_process(env.db_path, story(tmp_path / "t1.md", *TRAIN, source="المرجان نيوز"))
    await env.server.wait_until(lambda: len(alerts_to(env.server, MEMBER, mark)) == 1, timeout=WAIT)
    await alert_rounds(env.server, env.app)
    assert len(alerts_to(env.server, MEMBER, mark)) == 1
    assert [c.status for c in env.server.calls_of("sendMessage", MEMBER)[-5:]] == [429] * 4 + [200]


async def test_crash_between_sending_and_recording_then_restart(db_path: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot dies after Telegram accepted an alert but before recording it; a new process on the
    same database must not send it again, and must not lose the alerts that come after."""
    async with FakeBotServer() as server:
        server.add_chat(ADMIN)
        settings = make_settings(server, db_path, **FAST)
        crashed = asyncio.Event()

        def crash(*args: object, **kwargs: object) -> int:
            crashed.set()
            raise RuntimeError("injected crash between sendMessage and recording it")

        app = build_application(settings, db_path, base_url=server.base_url)
        env = BotEnv(server, app, db_path, settings)
        async with server.polling(app):
            await app.post_init(app)
            await subscribe(env, MEMBER, "قطار المرجان")
            monkeypatch.setattr(bot_alerts.engine, "mark_sent", crash)
            await ingest_in_another_process(db_path, story(tmp_path / "t1.md", *TRAIN, source="المرجان نيوز"))
            await asyncio.wait_for(crashed.wait(), WAIT)
            # The process is gone now: nothing of it survives but the database.
        assert len(alerts_to(server, MEMBER)) == 1
        monkeypatch.undo()
        conn = store.connect(db_path)
        assert store.delivery_counts(conn) == {"sending": 1}  # the crash left the send unrecorded

        restarted = build_application(settings, db_path, base_url=server.base_url)
        async with server.polling(restarted):
            await restarted.post_init(restarted)
            await server.wait_until(lambda: store.delivery_counts(conn) == {"sent": 1}, timeout=WAIT)
            await alert_rounds(server, restarted)  # several rounds: the interrupted alert is not resent
            assert len(alerts_to(server, MEMBER)) == 1
            await ingest_in_another_process(db_path, story(tmp_path / "t2.md", *TRAIN_2, source="المرجان نيوز"))
            await server.wait_until(lambda: len(alerts_to(server, MEMBER)) == 2, timeout=WAIT)
            await alert_rounds(server, restarted)
        texts = [c.text for c in alerts_to(server, MEMBER)]
        assert len(texts) == 2 and TRAIN[0] in texts[0] and TRAIN_2[0] in texts[1]
        assert store.delivery_counts(conn) == {"sent": 2}
        note = conn.execute("SELECT error FROM deliveries WHERE message_id IS NULL").fetchone()[0]
        assert note == engine.INTERRUPTED_NOTE
        conn.close()
        assert server.errors == []


# --- admin ingestion ------------------------------------------------------------------------------


@contextlib.contextmanager
def web_server(root: Path) -> Iterator[str]:
    """Serves ``root`` over HTTP on 127.0.0.1 in a thread; yields the base URL."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


PAGE = """<!doctype html><html lang="ar"><head><meta charset="utf-8">
<title>قطار المرجان يصل إلى المطار | المرجان نيوز</title></head><body>
<nav>الرئيسية | أخبار | رياضة</nav>
<article><h1>قطار المرجان يصل إلى المطار</h1>
<p>وصل قطار المرجان السريع اليوم إلى محطة المطار في أول رحلة كاملة على الخط، وقطع المسافة من الميناء
في اثنتي عشرة دقيقة، بحسب هيئة النقل التي قالت إن التشغيل التجاري سيبدأ مطلع الشهر المقبل.</p>
<p>وأضافت الهيئة أن القطار سيعمل كل ربع ساعة من السادسة صباحا حتى منتصف الليل، وأن المحطات
مجهزة لذوي الإعاقة، وأن أسعار التذاكر ستعلن خلال الأسبوع الجاري.</p>
</article><footer>جميع الحقوق محفوظة</footer></body></html>
"""


@pytest.fixture
async def private_env(bot_factory) -> AsyncIterator[BotEnv]:
    """The bot with ARSHIF_ALLOW_PRIVATE_URLS=1: the test pages are served on 127.0.0.1."""
    async with bot_factory(**FAST, allow_private_urls=True) as running:
        yield running


async def test_admin_add_url_ingests_and_alerts(private_env: BotEnv, tmp_path: Path) -> None:
    env = private_env
    await subscribe(env, MEMBER, "قطار المرجان")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "train.html").write_text(PAGE, encoding="utf-8")
    with web_server(tmp_path / "site") as base:
        mark = env.server.mark()
        env.server.send_text(ADMIN, f"/add {base}/train.html", language_code="en")
        [reply] = await env.server.wait_for("sendMessage", lambda c: c.chat_id == ADMIN, since=mark, timeout=WAIT)
        assert "Added: 1" in reply.text and "قطار المرجان يصل إلى المطار" in reply.text
        await env.server.wait_until(lambda: len(alerts_to(env.server, MEMBER, mark)) == 1, timeout=WAIT)
        [alert] = alerts_to(env.server, MEMBER, mark)
        assert "قطار المرجان يصل إلى المطار" in alert.text

        mark = env.server.mark()
        env.server.send_text(ADMIN, f"/add {base}/train.html", language_code="en")  # again: a duplicate
        env.server.send_text(ADMIN, f"/add {base}/missing.html", language_code="en")
        env.server.send_text(ADMIN, "/add ftp://example.com/x", language_code="en")
        replies = await env.server.wait_for("sendMessage", lambda c: c.chat_id == ADMIN, count=3, since=mark,
                                            timeout=WAIT)
        texts = "\n".join(c.text for c in replies)  # updates are handled concurrently: any order
        assert "already in the archive: 1" in texts
        assert "the server answered 404" in texts
        assert "only http:// and https://" in texts
        env.server.send_text(MEMBER, f"/add {base}/train.html")
        await env.server.wait_for("sendMessage", lambda c: c.chat_id == MEMBER and "للمشرفين" in (c.text or ""),
                                  since=mark, timeout=WAIT)


async def test_add_refuses_a_local_page_although_the_bot_api_is_local(env: BotEnv, tmp_path: Path) -> None:
    # The fake Bot API server is on 127.0.0.1 too: that no longer lets /add reach private addresses.
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "train.html").write_text(PAGE, encoding="utf-8")
    with web_server(tmp_path / "site") as base:
        mark = env.server.mark()
        env.server.send_text(ADMIN, f"/add {base}/train.html", language_code="en")
        [reply] = await env.server.wait_for("sendMessage", lambda c: c.chat_id == ADMIN, since=mark, timeout=WAIT)
    assert reply.text == ("Could not fetch the page: 127.0.0.1 is on a private or local network; such addresses "
                          "are fetched only with ARSHIF_ALLOW_PRIVATE_URLS=1")
    conn = store.connect(env.db_path)
    assert conn.execute("SELECT COUNT(*) FROM articles WHERE title LIKE 'قطار المرجان يصل%'").fetchone()[0] == 0
    conn.close()


def test_fetch_refusals_are_told_in_arabic_and_english() -> None:
    from arshif.bot import admin
    from arshif.index.errors import BadStatus, PrivateAddress, ResponseTooLarge

    private = PrivateAddress("x", host="intranet.local", address="10.0.0.5")
    assert admin.fetch_reason(private, "ar") == ("العنوان intranet.local على شبكة داخلية أو خاصة، ولا أجلب مثله إلا "
                                                 "إذا ضُبط ARSHIF_ALLOW_PRIVATE_URLS=1")
    assert admin.fetch_reason(BadStatus("x", status=404), "ar") == "أجاب الخادم بالرمز 404"
    assert admin.fetch_reason(ResponseTooLarge("x", limit=20 * 2**20), "en") == "the page is larger than 20 MB"


async def test_fetch_page_refuses_private_addresses_unless_allowed(bot_factory, tmp_path: Path) -> None:
    from arshif.bot import admin

    with pytest.raises(admin.FetchError, match="private or local"):
        await admin.fetch_page("http://127.0.0.1:9/x", max_bytes=1000)
    (tmp_path / "big.html").write_text("<p>" + "كلمة " * 5000 + "</p>", encoding="utf-8")
    with web_server(tmp_path) as base, pytest.raises(admin.FetchError, match="larger than"):
        await admin.fetch_page(f"{base}/big.html", max_bytes=2**20 // 100, allow_private=True)


async def test_documents_from_admins_are_ingested_others_refused(env: BotEnv, tmp_path: Path) -> None:
    await subscribe(env, MEMBER, "قطار المرجان")
    content = story(tmp_path / "train.md", *TRAIN, source="المرجان نيوز").read_bytes()
    mark = env.server.mark()
    env.server.send_document(MEMBER, "train.md", content)
    [refusal] = await env.server.wait_for("sendMessage", lambda c: c.chat_id == MEMBER, since=mark)
    assert "للمشرفين" in refusal.text
    assert alerts_to(env.server, MEMBER, mark) == []

    env.server.send_document(ADMIN, "train.md", content, language_code="en")
    [summary] = await env.server.wait_for("sendMessage", lambda c: c.chat_id == ADMIN, since=mark, timeout=WAIT)
    assert "Added: 1" in summary.text and TRAIN[0] in summary.text
    await env.server.wait_until(lambda: len(alerts_to(env.server, MEMBER, mark)) == 1, timeout=WAIT)
    env.server.send_document(ADMIN, "notes.pdf", b"%PDF-1.4", language_code="en")
    await env.server.wait_for("sendMessage", lambda c: c.chat_id == ADMIN and ".pdf" in (c.text or ""),
                              since=mark, timeout=WAIT)
    conn = store.connect(env.db_path)
    origin = conn.execute("SELECT origin FROM articles ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert origin == f"telegram:{ADMIN}/train.md"
    conn.close()


async def test_feeds_command_for_admins(env: BotEnv) -> None:
    conn = store.connect(env.db_path)
    conn.execute("INSERT INTO feeds (url, title, failures, last_error) VALUES "
                 "('https://marjan.example/rss', 'المرجان نيوز', 3, 'the server answered 503')")
    conn.close()
    mark = env.server.mark()
    env.server.send_text(ADMIN, "/feeds", language_code="en")
    [reply] = await env.server.wait_for("sendMessage", lambda c: c.chat_id == ADMIN, since=mark)
    assert "https://marjan.example/rss" in reply.text and "3 failures" in reply.text and "503" in reply.text
    env.server.send_text(MEMBER, "/feeds")
    await env.server.wait_for("sendMessage", lambda c: c.chat_id == MEMBER, since=mark)
    assert "للمشرفين" in env.server.last_text(MEMBER)


async def test_subscription_commands_share_the_rate_limit_and_its_warning(bot_factory) -> None:
    """One rate limit for every command: over it, /subscriptions gets the same polite warning as a
    question (the alert commands used to drop the message silently)."""
    async with bot_factory(rate_limit=2, **FAST) as env:
        for _ in range(3):
            env.server.send_text(MEMBER, "/subscriptions")
        replies = await env.server.wait_for("sendMessage", lambda c: c.chat_id == MEMBER, count=3, timeout=WAIT)
        texts = [re.sub("[\u200f\u2068\u2069]", "", c.text or "") for c in replies]  # no direction marks
        assert texts.count(TEXTS["rate_limited"]["ar"]) == 1
        assert texts.count(TEXTS["list_empty"]["ar"]) == 2
