"""Feeds against a real HTTP server on 127.0.0.1: RSS and Atom in, searchable articles out.

Why a real server: conditional GET, timeouts, size caps, redirects and retries live in the HTTP
exchange itself; a mocked transport would test our assumptions about httpx instead of the poller.
The news below is fictional.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from arshif.bot.cli import main
from arshif.index import feeds, search, store
from arshif.index.feeds import FeedError, FetchLimits
from click.testing import CliRunner

# --- the server -----------------------------------------------------------------------------------


@dataclass
class Route:
    """What the server answers on one path."""

    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds before answering (a slow server)
    fail_first: int = 0  # answer 500 to this many requests first
    location: str | None = None  # answer 302 to this path
    endless: bool = False  # stream zeros until the client hangs up (no Content-Length)
    declared_length: int | None = None  # claim this Content-Length, send nothing
    hits: int = 0


@dataclass
class FeedServer:
    """A tiny web site whose routes tests change between polls; it records every request."""

    base: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def seen(self, path: str) -> list[dict[str, str]]:
        """Return the headers of each request for this path, in order."""
        return [h for p, h in self.requests if p == path]


class _Handler(BaseHTTPRequestHandler):
    site: FeedServer

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        site = self.server.site  # type: ignore[attr-defined]
        site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = site.routes.get(self.path)
        if route is None:
            self._send(404, b"not here", "text/plain")
            return
        route.hits += 1
        if route.hits <= route.fail_first:
            self._send(500, b"boom", "text/plain")
            return
        if route.delay:
            time.sleep(route.delay)
        if route.location:
            self.send_response(302)
            self.send_header("Location", route.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if (route.etag and self.headers.get("If-None-Match") == route.etag) or (
            route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified
        ):
            self.send_response(304)
            self.end_headers()
            return
        if route.endless:
            self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            self.end_headers()
            chunk = b"<" + b"x" * 65535
            for _ in range(2000):  # 128 MB if nobody stopped reading
                self.wfile.write(chunk)
            return
        headers = {}
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        if route.declared_length is not None:
            self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(route.declared_length))
            self.end_headers()
            return
        self._send(route.status, route.body, route.content_type, headers)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up on purpose (timeouts, size caps) are not errors here


@pytest.fixture
def site() -> Iterator[FeedServer]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.site = FeedServer(f"http://127.0.0.1:{server.server_address[1]}")  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.site  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def conn(tmp_path):
    c = store.connect(tmp_path / "a.db")
    yield c
    c.close()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    # The test site is on 127.0.0.1: private, so it is fetched only because this says so explicitly
    # (as ARSHIF_ALLOW_PRIVATE_URLS=1 does); test_fetch.py shows the same site refused without it.
    with feeds.make_client(allow_private=True, connect_timeout=1, read_timeout=0.5) as c:
        yield c


@dataclass
class Sleeps:
    """An injectable sleep that records the backoff instead of waiting."""

    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def limits(sleeps: Sleeps) -> FetchLimits:
    return FetchLimits(sleep=sleeps)


# --- fictional news -------------------------------------------------------------------------------

DESAL = (
    "افتتح وزير المياه في مدينة الزهراء الساحلية صباح الثلاثاء محطة جديدة لتحلية مياه البحر بطاقة "
    "تبلغ مئة وعشرين ألف متر مكعب يوميا، في خطوة قال إنها ستنهي انقطاع المياه عن الأحياء الشرقية "
    "خلال فصل الصيف.\n\n"
    "وأوضح الوزير في كلمة خلال حفل الافتتاح أن المحطة تعمل بتقنية التناضح العكسي وتستمد ثلث "
    "حاجتها من الطاقة من ألواح شمسية أقيمت على أرض مجاورة، مضيفا أن كلفة المشروع بلغت نحو مئتي "
    "مليون دولار مولتها الحكومة بالشراكة مع صندوق تنمية إقليمي.\n\n"
    "وقال رئيس بلدية الزهراء إن المدينة عانت طوال العقد الماضي من شح المياه في أشهر الذروة، وإن "
    "المحطة الجديدة ستتيح للبلدية إغلاق الآبار الجوفية التي تراجعت جودتها بسبب تسرب الملوحة."
)
PALMS = (
    "انطلقت مساء الأربعاء في واحة السدرة فعاليات الدورة العاشرة لمهرجان النخيل والتمور بمشاركة "
    "أكثر من ثلاثمئة مزارع من مختلف مناطق البلاد، يعرضون ما يزيد على أربعين صنفا من التمور.\n\n"
    "وقالت مديرة المهرجان إن الدورة الحالية تخصص للمرة الأولى جناحا للصناعات التحويلية مثل دبس "
    "التمر وعجينته ومنتجات سعف النخيل، بهدف مساعدة صغار المزارعين على بيع محاصيلهم بأسعار أفضل "
    "بعيدا عن الوسطاء.\n\n"
    "ويتضمن برنامج المهرجان مسابقة لأجود صنف وورش عمل حول مكافحة سوسة النخيل الحمراء التي أتلفت "
    "آلاف الأشجار خلال السنوات الأخيرة، إضافة إلى أمسيات شعرية وعروض للفنون الشعبية تستمر أسبوعا."
)
LIBRARY = (
    "أعلنت بلدية مدينة الغدير عن افتتاح مكتبة عامة جديدة في حي الياسمين تضم أكثر من خمسين ألف "
    "كتاب وقاعة للأطفال ومختبرا رقميا مجهزا بأجهزة حاسوب متاحة للطلاب مجانا طوال أيام الأسبوع.\n\n"
    "وقالت مديرة المكتبة إن المبنى صمم ليكون صديقا للبيئة، إذ يعتمد على الإضاءة الطبيعية والتهوية "
    "الذاتية، وإن المكتبة ستنظم نوادي قراءة شهرية ومسابقات في الكتابة القصصية لطلاب المدارس.\n\n"
    "وأشارت إلى أن المكتبة ستفتح أبوابها من الثامنة صباحا حتى العاشرة ليلا، وأن الاشتراك فيها "
    "مجاني لسكان المدينة، فيما يدفع الزوار من خارجها رسما رمزيا يخصص لشراء كتب جديدة."
)
TRAIN = (
    "بدأ قطار الضواحي الجديد الذي يربط مدينة الغدير بضواحيها الشمالية رحلاته التجريبية صباح "
    "الخميس، على أن يفتح أمام الركاب مطلع الشهر المقبل بعد استكمال اختبارات السلامة.\n\n"
    "وقال مدير هيئة النقل إن القطار سيقطع المسافة بين المحطة المركزية وبلدة الربوة في اثنتين "
    "وعشرين دقيقة بدلا من ساعة كاملة بالحافلة في أوقات الازدحام، وإنه سيعمل كل ربع ساعة.\n\n"
    "وأضاف أن أسعار التذاكر ستكون مدعومة في الأشهر الستة الأولى لتشجيع السكان على ترك سياراتهم "
    "الخاصة، وأن الهيئة تدرس مد الخط إلى المطار في مرحلة ثانية."
)
# An article page: the story is wrapped in site furniture the extractor must leave out.
PALMS_PAGE = (
    "<!doctype html><html lang='ar' dir='rtl'><head><meta charset='utf-8'>"
    "<title>مهرجان النخيل في واحة السدرة | وكالة أنباء الواحة</title></head><body>"
    "<header><nav><a href='/'>الرئيسية</a> <a href='/sport'>رياضة</a> <a href='/eco'>اقتصاد</a></nav></header>"
    "<main><article><h1>انطلاق مهرجان النخيل والتمور في واحة السدرة</h1>"
    + "".join(f"<p>{p}</p>" for p in PALMS.split("\n\n"))
    + "</article></main><footer>جميع الحقوق محفوظة لوكالة أنباء الواحة</footer></body></html>"
)


def rss_item(title: str, link: str, date: str, *, full: str | None = None, summary: str = "",
             guid: str | None = None) -> str:
    content = f"<content:encoded><![CDATA[{''.join(f'<p>{p}</p>' for p in full.split(chr(10) * 2))}]]>" \
              "</content:encoded>" if full else ""
    guid_xml = f"<guid isPermaLink='false'>{guid}</guid>" if guid else ""
    return (f"<item><title>{title}</title><link>{link}</link>{guid_xml}<pubDate>{date}</pubDate>"
            f"<description>{summary}</description>{content}</item>")


def rss(title: str, items: list[str]) -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?>"
        "<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel>"
        f"<title>{title}</title><link>http://example.invalid/</link><language>ar</language>"
        + "".join(items) + "</channel></rss>"
    ).encode()


def atom(title: str, entries: list[tuple[str, str, str, str]]) -> bytes:
    body = "".join(
        f"<entry><id>{eid}</id><title>{t}</title><link href='{link}'/><updated>{date}</updated>"
        f"<published>{date}</published><author><name>مراسل الغدير</name></author>"
        f"<content type='html'>{''.join(f'&lt;p&gt;{p}&lt;/p&gt;' for p in text.split(chr(10) * 2))}</content>"
        "</entry>"
        for eid, t, link, date, text in [(*e, ATOM_TEXTS[e[0]]) for e in reversed(entries)]  # newest first
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom' xml:lang='ar'>"
        f"<title>{title}</title><id>urn:ghadir</id><updated>2021-08-12T10:00:00Z</updated>{body}</feed>"
    ).encode()


ATOM_TEXTS = {"urn:ghadir:1": LIBRARY, "urn:ghadir:2": TRAIN}


def wire_feed(site: FeedServer, **route: object) -> str:
    """Serve the RSS feed of «وكالة أنباء الواحة» at /wire.xml; return its URL."""
    items = [  # newest first, as feeds list them
        rss_item("انطلاق مهرجان النخيل والتمور في واحة السدرة", site.url("/news/2"),
                 "Wed, 11 Aug 2021 18:30:00 +0300", summary="&lt;p&gt;مئات المزارعين في مهرجان النخيل.&lt;/p&gt;",
                 guid="wire-2"),
        # The same entry twice in one document (it happens): ingested once.
        rss_item("انطلاق مهرجان النخيل والتمور في واحة السدرة", site.url("/news/2"),
                 "Wed, 11 Aug 2021 18:30:00 +0300", summary="&lt;p&gt;مئات المزارعين في مهرجان النخيل.&lt;/p&gt;",
                 guid="wire-2"),
        rss_item("افتتاح محطة لتحلية مياه البحر في الزهراء", site.url("/news/1"),
                 "Tue, 10 Aug 2021 09:00:00 GMT", full=DESAL, summary="محطة تحلية جديدة", guid="wire-1"),
    ]
    site.routes["/wire.xml"] = Route(body=rss("وكالة أنباء الواحة", items), **route)  # type: ignore[arg-type]
    site.routes["/news/2"] = Route(body=PALMS_PAGE.encode(), content_type="text/html; charset=utf-8")
    return site.url("/wire.xml")


def ghadir_feed(site: FeedServer, ids: tuple[str, ...] = ("urn:ghadir:1", "urn:ghadir:2")) -> str:
    """Serve the Atom feed of «نشرة الغدير» at /ghadir.atom; return its URL."""
    entries = {
        "urn:ghadir:1": ("urn:ghadir:1", "مكتبة عامة جديدة في حي الياسمين", site.url("/g/1"), "2021-08-11T08:30:00Z"),
        "urn:ghadir:2": ("urn:ghadir:2", "قطار الضواحي يبدأ رحلاته التجريبية", site.url("/g/2"),
                         "2021-08-12T07:00:00+03:00"),
    }
    site.routes["/ghadir.atom"] = Route(body=atom("نشرة الغدير", [entries[i] for i in ids]),
                                        content_type="application/atom+xml")
    return site.url("/ghadir.atom")


def poll(conn, url: str, client: httpx.Client, limits: FetchLimits) -> feeds.PollResult:
    feed = feeds.add_feed(conn, url)
    return feeds.poll_feed(conn, feed, client=client, limits=limits)


# --- new entries ----------------------------------------------------------------------------------


def test_rss_entries_become_searchable_articles(site, conn, client, limits):
    url = wire_feed(site)
    result = poll(conn, url, client, limits)

    assert (result.status, result.new_entries, result.added, result.duplicates, result.error) == ("ok", 3, 2, 1, None)
    articles = store.get_articles(conn, result.added_ids)
    desal, palms = (articles[i] for i in result.added_ids)
    assert (desal.title, desal.published, desal.source, desal.url) == (
        "افتتاح محطة لتحلية مياه البحر في الزهراء", "2021-08-10", "وكالة أنباء الواحة", site.url("/news/1"))
    assert desal.body == DESAL  # content:encoded, paragraphs kept; its page was not needed
    assert site.seen("/news/1") == []
    hits = search.run(conn, "محطة تحلية الزهراء")
    assert [h.article_id for h in hits.results][:1] == [desal.id]
    assert search.run(conn, "سوسة النخيل").results[0].article_id == palms.id
    origin = conn.execute("SELECT origin FROM articles WHERE id = ?", (desal.id,)).fetchone()[0]
    assert origin == url


def test_summary_only_entry_gets_the_page_main_text(site, conn, client, limits):
    result = poll(conn, wire_feed(site), client, limits)

    palms = store.get_articles(conn, result.added_ids)[result.added_ids[1]]
    assert len(site.seen("/news/2")) == 1  # fetched once although the entry is listed twice
    assert palms.published == "2021-08-11"
    assert "سوسة النخيل الحمراء" in palms.body  # the last paragraph of the page, not in the summary
    assert "جميع الحقوق محفوظة" not in palms.body and "رياضة" not in palms.body


def test_summary_is_kept_when_the_page_cannot_be_fetched(site, conn, client, limits):
    url = wire_feed(site)
    del site.routes["/news/2"]  # 404
    result = poll(conn, url, client, limits)

    palms = store.get_articles(conn, result.added_ids)[result.added_ids[1]]
    assert (result.status, palms.body) == ("ok", "مئات المزارعين في مهرجان النخيل.")


def test_atom_feed_with_iso_dates(site, conn, client, limits):
    result = poll(conn, ghadir_feed(site), client, limits)

    assert (result.status, result.added, result.title) == ("ok", 2, "نشرة الغدير")
    got = store.get_articles(conn, result.added_ids)
    library, train = (got[i] for i in result.added_ids)
    assert (library.published, library.author, library.url) == ("2021-08-11", "مراسل الغدير", site.url("/g/1"))
    assert train.published == "2021-08-12"
    assert "التناضح" not in train.body and "ربع ساعة" in train.body
    assert search.run(conn, "قطار الضواحي").results[0].article_id == train.id
    assert feeds.list_feeds(conn)[0].entries == 2


# --- duplicates -----------------------------------------------------------------------------------


def test_entries_seen_in_earlier_polls_are_skipped(site, conn, client, limits):
    url = ghadir_feed(site, ids=("urn:ghadir:1",))
    first = poll(conn, url, client, limits)
    ghadir_feed(site)  # the feed now lists one more entry (and still the old one); no validators
    second = poll(conn, url, client, limits)
    third = poll(conn, url, client, limits)

    assert (first.new_entries, first.added) == (1, 1)
    assert (second.status, second.new_entries, second.added, second.duplicates) == ("ok", 1, 1, 0)
    assert (third.status, third.new_entries, third.added) == ("ok", 0, 0)
    assert store.count_articles(conn) == 2


def test_the_same_story_in_two_feeds_is_stored_once(site, conn, client, limits):
    poll(conn, wire_feed(site), client, limits)
    site.routes["/mirror.xml"] = Route(body=site.routes["/wire.xml"].body.replace(
        "وكالة أنباء الواحة".encode(), "مرآة الواحة".encode()))
    mirror = poll(conn, site.url("/mirror.xml"), client, limits)

    assert (mirror.status, mirror.new_entries, mirror.added, mirror.duplicates) == ("ok", 3, 0, 3)
    assert store.count_articles(conn) == 2
    assert feeds.get_feed(conn, site.url("/mirror.xml")).entries == 2  # remembered, so not retried


# --- conditional GET ------------------------------------------------------------------------------


def test_etag_second_poll_is_not_modified(site, conn, client, limits):
    url = wire_feed(site, etag='"v1"')
    first = poll(conn, url, client, limits)
    second = poll(conn, url, client, limits)

    assert first.status == "ok" and first.added == 2
    assert (second.status, second.new_entries, second.added_ids) == ("not-modified", 0, ())
    assert [h.get("if-none-match") for h in site.seen("/wire.xml")] == [None, '"v1"']
    assert store.count_articles(conn) == 2
    feed = feeds.get_feed(conn, url)
    assert (feed.failures, feed.last_error, feed.title) == (0, None, "وكالة أنباء الواحة")
    assert feed.last_ok is not None


def test_last_modified_second_poll_is_not_modified(site, conn, client, limits):
    stamp = "Wed, 11 Aug 2021 20:00:00 GMT"
    url = wire_feed(site, last_modified=stamp)
    poll(conn, url, client, limits)
    second = poll(conn, url, client, limits)

    assert second.status == "not-modified"
    assert [h.get("if-modified-since") for h in site.seen("/wire.xml")] == [None, stamp]
    assert all("if-none-match" not in h for h in site.seen("/wire.xml"))


def test_polite_user_agent(site, conn, client, limits):
    poll(conn, ghadir_feed(site), client, limits)
    assert site.seen("/ghadir.atom")[0]["user-agent"] == "arshif/0.1 (+feed reader)"


# --- broken feeds ---------------------------------------------------------------------------------


def test_slow_feed_times_out_and_the_others_are_still_polled(site, conn, client, limits):
    slow = wire_feed(site, delay=1.0)
    feeds.add_feed(conn, slow)
    feeds.add_feed(conn, ghadir_feed(site))
    started = time.monotonic()
    results = feeds.poll_all(conn, client=client, limits=limits)

    assert time.monotonic() - started < 3
    assert [(r.status, r.error) for r in results] == [
        ("error", "The server did not answer within 0.5 s."), ("ok", None)]
    assert results[1].added == 2
    by_url = {f.url: f for f in feeds.list_feeds(conn)}
    assert (by_url[slow].failures, by_url[slow].last_error) == (1, "The server did not answer within 0.5 s.")
    assert by_url[slow].last_ok is None and by_url[slow].last_polled is not None
    assert len(site.seen("/wire.xml")) == 1  # a slow answer is not retried

    feeds.poll_all(conn, client=client, limits=limits)
    assert feeds.get_feed(conn, slow).failures == 2
    site.routes["/wire.xml"].delay = 0
    feeds.poll_all(conn, client=client, limits=limits)
    healed = feeds.get_feed(conn, slow)
    assert (healed.failures, healed.last_error, healed.entries) == (0, None, 2)


def test_malformed_xml_is_an_error(site, conn, client, limits):
    site.routes["/bad.xml"] = Route(body="<rss version='2.0'><channel><title>مكسور</title><item><title".encode())
    result = poll(conn, site.url("/bad.xml"), client, limits)

    assert result.status == "error"
    assert result.error.startswith("Not a valid RSS/Atom feed: ")
    feed = feeds.get_feed(conn, site.url("/bad.xml"))
    assert (feed.failures, feed.last_error) == (1, result.error)


def test_html_page_instead_of_a_feed_is_an_error(site, conn, client, limits):
    site.routes["/page"] = Route(body=PALMS_PAGE.encode(), content_type="text/html")
    result = poll(conn, site.url("/page"), client, limits)
    assert (result.status, result.error) == ("error", (
        "Not a valid RSS/Atom feed: the URL serves an HTML page; use the address of its RSS or Atom feed "
        "(often linked as «RSS» on the page)."))


def test_malformed_feed_with_readable_entries_is_taken(site, conn, client, limits):
    body = rss("وكالة أنباء الواحة", [rss_item("محطة تحلية", site.url("/news/1"), "Tue, 10 Aug 2021 09:00:00 GMT",
                                                 full=DESAL)])
    site.routes["/sloppy.xml"] = Route(body=body.replace(b"</channel></rss>", b"<broken"))
    result = poll(conn, site.url("/sloppy.xml"), client, limits)
    assert (result.status, result.added) == ("ok", 1)


def test_oversized_feed_is_refused_without_reading_it_all(site, conn, client, limits):
    site.routes["/huge.xml"] = Route(endless=True)
    started = time.monotonic()
    result = poll(conn, site.url("/huge.xml"), client, limits)

    assert (result.status, result.error) == ("error", "Feed larger than 5 MB.")
    assert time.monotonic() - started < 3


def test_declared_oversized_feed_is_refused_before_reading(site, conn, client, sleeps):
    site.routes["/big.xml"] = Route(declared_length=10 * 2**20)
    result = poll(conn, site.url("/big.xml"), client, FetchLimits(max_bytes=64 * 1024, sleep=sleeps))
    assert (result.status, result.error) == ("error", "Feed larger than 64 KB.")


def test_redirect_loop_is_an_error(site, conn, client, limits):
    site.routes["/loop/a"] = Route(location="/loop/b")
    site.routes["/loop/b"] = Route(location="/loop/a")
    result = poll(conn, site.url("/loop/a"), client, limits)

    assert (result.status, result.error) == (
        "error", "Too many redirects (more than 5); the URL redirects in a loop.")
    assert len(site.seen("/loop/a")) + len(site.seen("/loop/b")) == 6  # the first request and 5 redirects


def test_a_redirect_is_followed(site, conn, client, limits):
    site.routes["/old.xml"] = Route(location=ghadir_feed(site))
    assert poll(conn, site.url("/old.xml"), client, limits).added == 2


def test_server_errors_are_retried_with_backoff(site, conn, client, limits, sleeps):
    url = ghadir_feed(site)
    site.routes["/ghadir.atom"].fail_first = 2
    result = poll(conn, url, client, limits)

    assert (result.status, result.added) == ("ok", 2)
    assert sleeps.calls == [0.5, 1.0]
    assert len(site.seen("/ghadir.atom")) == 3


def test_server_errors_that_persist_are_recorded(site, conn, client, limits, sleeps):
    url = ghadir_feed(site)
    site.routes["/ghadir.atom"].fail_first = 99
    result = poll(conn, url, client, limits)

    assert (result.status, result.error) == ("error", "The server answered HTTP 500 Internal Server Error.")
    assert sleeps.calls == [0.5, 1.0]
    assert feeds.get_feed(conn, url).failures == 1


def test_not_found_is_not_retried(site, conn, client, limits, sleeps):
    result = poll(conn, site.url("/gone.xml"), client, limits)
    assert (result.status, result.error, sleeps.calls) == ("error", "The server answered HTTP 404 Not Found.", [])


def test_connection_refused_is_retried_then_recorded(conn, client, limits, sleeps):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = poll(conn, f"http://127.0.0.1:{port}/feed.xml", client, limits)
    assert result.status == "error" and result.error.startswith("Cannot connect to 127.0.0.1")
    assert sleeps.calls == [0.5, 1.0]


# --- the feed list and callbacks ------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://example.org/feed.xml", "file:///etc/passwd", "example.org/rss", "http://"])
def test_only_http_urls_are_added(conn, url):
    with pytest.raises(FeedError, match="Only http"):
        feeds.add_feed(conn, url)


def test_add_is_idempotent_and_remove_keeps_articles(site, conn, client, limits):
    url = ghadir_feed(site)
    first = feeds.add_feed(conn, url)
    assert feeds.add_feed(conn, f"  {url} ").id == first.id
    feeds.poll_feed(conn, first, client=client, limits=limits)
    assert feeds.remove_feed(conn, str(first.id)).url == url
    assert feeds.list_feeds(conn) == []
    assert store.count_articles(conn) == 2
    with pytest.raises(FeedError, match="No feed has id or URL '7'"):
        feeds.remove_feed(conn, 7)


def test_on_added_runs_for_feeds_that_added_articles(site, conn, client, limits):
    feeds.add_feed(conn, ghadir_feed(site))
    feeds.add_feed(conn, site.url("/missing.xml"))
    seen: list[tuple[int, ...]] = []

    def boom(result: feeds.PollResult) -> None:
        seen.append(result.added_ids)
        raise RuntimeError("the callback's own bug")

    results = feeds.poll_all(conn, client=client, limits=limits, on_added=boom)
    assert [r.status for r in results] == ["ok", "error"]
    assert seen == [results[0].added_ids]


def test_too_many_new_entries_wait_for_the_next_poll(site, conn, client, sleeps):
    url = ghadir_feed(site)
    site.routes["/ghadir.atom"].etag = '"g1"'
    small = FetchLimits(max_new_entries=1, sleep=sleeps)
    first = poll(conn, url, client, small)
    second = poll(conn, url, client, small)  # must not be answered 304: one entry is still waiting
    third = poll(conn, url, client, small)

    assert [(r.status, r.added) for r in (first, second, third)] == [("ok", 1), ("ok", 1), ("not-modified", 0)]
    library = store.get_article(conn, first.added_ids[0])
    assert library.title == "مكتبة عامة جديدة في حي الياسمين"  # oldest first


def test_poll_archive_opens_its_own_connection(site, tmp_path, client, limits):
    db = tmp_path / "bot.db"
    setup = store.connect(db)
    feeds.add_feed(setup, ghadir_feed(site))
    setup.close()
    (result,) = feeds.poll_archive(db, client=client, limits=limits)
    assert (result.status, result.added) == ("ok", 2)


def test_redirect_without_location_is_an_error(site, conn, client, limits):
    site.routes["/moved.xml"] = Route(status=302, content_type="text/plain")
    result = poll(conn, site.url("/moved.xml"), client, limits)
    assert (result.status, result.error) == ("error", "The server answered HTTP 302 Found.")


def test_entry_date_falls_back_to_feedparsers_reading():
    entry = {"title": "خبر", "summary": "نص", "published": "منذ ساعة",
             "published_parsed": time.strptime("2021-08-10", "%Y-%m-%d")}
    raw = feeds.entry_article(entry, feed_url="http://x/feed", source="x")
    assert (raw.published, raw.origin, raw.source, raw.url) == ("2021-08-10", "http://x/feed", "x", None)


def test_entry_key_falls_back_to_link_then_title():
    assert feeds.entry_key({"id": "x", "link": "http://a/1"}) == "x"
    assert feeds.entry_key({"link": "http://a/1", "title": "t"}) == "http://a/1"
    assert feeds.entry_key({"title": "خبر"}) == feeds.entry_key({"title": " خبر "})
    assert feeds.entry_key({"title": "خبر"}).startswith("title:")


@pytest.mark.parametrize(("html", "text"), [
    ("نص عادي", "نص عادي"),
    ("<p>الأولى</p><p>الثانية</p>", "الأولى\n\nالثانية"),
    ("سطر<br>سطر آخر<script>x()</script>", "سطر\nسطر آخر"),
    ("<p>  كثير   من\u00a0الفراغ </p>", "كثير من الفراغ"),
])
def test_html_to_text(html, text):
    assert feeds.html_to_text(html) == text


# --- the CLI --------------------------------------------------------------------------------------


def run_cli(*args: str, db, allow_private: bool = True) -> object:
    """Run ``arshif``; the test site is on 127.0.0.1, so ARSHIF_ALLOW_PRIVATE_URLS=1 unless told otherwise."""
    env = {"ARSHIF_ALLOW_PRIVATE_URLS": "1" if allow_private else "0"}
    result = CliRunner().invoke(main, [*args, "--db", str(db)], env=env, catch_exceptions=False)
    return result


def test_cli_refuses_a_local_feed_unless_private_urls_are_allowed(site, tmp_path):
    db = tmp_path / "a.db"
    url = ghadir_feed(site)
    refused = run_cli("feeds", "add", url, db=db, allow_private=False)
    assert refused.exit_code == 0
    assert refused.stdout.splitlines()[1] == (
        f"[1] {url}: error: 127.0.0.1 is on a private or local network; only ARSHIF_ALLOW_PRIVATE_URLS=1 allows "
        "such addresses.")
    assert run_cli("feeds", "poll", db=db, allow_private=False).stdout.splitlines()[0].startswith(f"[1] {url}: error")
    assert site.requests == []  # nothing was asked of the private address
    assert run_cli("search", "قطار الضواحي", "--json", db=db).stdout.count('"article_id"') == 0

    followed = run_cli("feeds", "poll", db=db)  # the same local feed, now allowed
    assert followed.stdout == "[1] نشرة الغدير: 2 new, 2 added, 0 duplicates\n"


def test_cli_add_list_poll_remove(site, tmp_path):
    db = tmp_path / "a.db"
    url = ghadir_feed(site)

    added = run_cli("feeds", "add", url, db=db)
    assert added.exit_code == 0
    assert added.stdout == f"feed 1: {url}\n[1] نشرة الغدير: 2 new, 2 added, 0 duplicates\n"

    listed = run_cli("feeds", "list", "--json", db=db)
    data = json.loads(listed.stdout)
    (feed,) = data["feeds"]
    assert feed["last_ok"] and feed["last_polled"]
    del feed["last_ok"], feed["last_polled"]
    assert feed == {"id": 1, "url": url, "title": "نشرة الغدير", "last_error": None, "failures": 0, "entries": 2}

    site.routes["/broken.xml"] = Route(body=b"<rss><chan")
    assert run_cli("feeds", "add", site.url("/broken.xml"), db=db).stdout == (
        f"feed 2: {site.url('/broken.xml')}\n"
        "[2] " + site.url("/broken.xml") + ": error: Not a valid RSS/Atom feed: unclosed token at line 1, column 5.\n"
        "The feed is kept and polled again next time; `arshif feeds remove 2` drops it.\n"
    )
    polled = run_cli("feeds", "poll", db=db)
    assert polled.exit_code == 0
    assert polled.stdout.splitlines() == [
        "[1] نشرة الغدير: 0 new, 0 added, 0 duplicates",
        f"[2] {site.url('/broken.xml')}: error: Not a valid RSS/Atom feed: unclosed token at line 1, column 5.",
    ]
    text = run_cli("feeds", "list", db=db).stdout.splitlines()
    assert text[0] == f"[1] نشرة الغدير  {url}"
    assert text[2] == f"[2] -  {site.url('/broken.xml')}"
    assert text[3] == ("    0 entries, last ok never, 2 failure(s) in a row: "
                       "Not a valid RSS/Atom feed: unclosed token at line 1, column 5.")

    removed = run_cli("feeds", "remove", url, db=db)
    assert removed.stdout == f"removed feed 1: {url}\n"
    missing = run_cli("feeds", "remove", "1", db=db)
    assert missing.exit_code == 1
    assert missing.stderr == "Error: No feed has id or URL '1'; `arshif feeds list` shows them.\n"
    refused = run_cli("feeds", "add", "ftp://example.org/x", db=db)
    assert refused.exit_code == 1 and refused.stderr.startswith("Error: Only http(s) feed URLs")
    assert run_cli("search", "قطار الضواحي", "--json", db=db).stdout.count('"article_id"') >= 1


def test_cli_poll_json_and_empty(site, tmp_path):
    db = tmp_path / "a.db"
    missing = run_cli("feeds", "poll", db=db)  # no archive yet: said so, nothing created (issue 9 §4)
    assert (missing.exit_code, missing.stdout) == (1, "")
    assert not db.exists()
    store.connect(db).close()
    assert run_cli("feeds", "poll", db=db).stdout == "No feeds yet; add one with `arshif feeds add URL`.\n"
    assert run_cli("feeds", "list", db=db).stdout == "No feeds yet; add one with `arshif feeds add URL`.\n"
    run_cli("feeds", "add", ghadir_feed(site), db=db)
    line = json.loads(run_cli("feeds", "poll", "--json", db=db).stdout)
    assert {k: line[k] for k in ("feed_id", "status", "new_entries", "added", "error")} == {
        "feed_id": 1, "status": "ok", "new_entries": 0, "added": 0, "error": None}


def _signal_when_handled(sig: signal.Signals, ready: Callable[[], bool]) -> threading.Thread:
    """Send ``sig`` to this process once the loop installed its handler (never before: it would kill pytest)."""

    def run() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if signal.getsignal(sig) not in (signal.SIG_DFL, signal.default_int_handler) and ready():
                os.kill(os.getpid(), sig)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_cli_poll_loop_stops_cleanly_on_sigterm(site, tmp_path, monkeypatch):
    db = tmp_path / "a.db"
    run_cli("feeds", "add", ghadir_feed(site), db=db)
    monkeypatch.setenv("ARSHIF_FEED_INTERVAL", "0")  # the bot's "off" switch: the loop falls back to 600 s
    before = signal.getsignal(signal.SIGTERM)
    thread = _signal_when_handled(signal.SIGTERM, lambda: len(site.seen("/ghadir.atom")) >= 2)
    started = time.monotonic()
    looped = run_cli("feeds", "poll", "--loop", db=db)
    thread.join(timeout=5)

    assert looped.exit_code == 0
    assert looped.stdout == "[1] نشرة الغدير: 0 new, 0 added, 0 duplicates\n"
    assert time.monotonic() - started < 5  # did not wait out the 600 s interval
    assert signal.getsignal(signal.SIGTERM) == before
