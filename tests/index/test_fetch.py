"""The one fetcher: private addresses refused in every spelling, at every redirect and at connect time.

Real HTTP servers on loopback addresses. 127.0.0.1 stands for the server's own network (private);
127.0.0.2 stands in for a public web site where a test needs one: ``public_stand_in`` makes the
address check treat that one address as public, and nothing else changes.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from arshif.index import feeds, fetch, store
from arshif.index.errors import (
    FetchError,
    FetchTimeout,
    PrivateAddress,
    ResponseTooLarge,
    SchemeRefused,
    TooManyRedirects,
)
from arshif.index.feeds import FetchLimits

PAGE = ("<html><head><title>ميناء الغدير</title></head><body><article><h1>توسعة ميناء الغدير</h1>"
        + "<p>أعلنت هيئة الموانئ توسعة ميناء الغدير بإضافة رصيفين جديدين للسفن التجارية. " * 8
        + "</p></article></body></html>").encode()


@dataclass
class Site:
    """A tiny web site on one loopback address; it records the path and Host header of every request."""

    base: str
    port: int
    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site: Site = self.server.site  # type: ignore[attr-defined]
        site.requests.append((self.path, self.headers.get("Host", "")))
        status, headers, body = site.routes.get(self.path, (404, {"Content-Type": "text/plain"}, b"not here"))
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _serve(host: str, port: int = 0, tls: ssl.SSLContext | None = None) -> Iterator[Site]:
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls is not None else "http"
    server.site = Site(f"{scheme}://{host}:{server.server_address[1]}", server.server_address[1])  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.site  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def private() -> Iterator[Site]:
    """The server's own network: a site on 127.0.0.1."""
    yield from _serve("127.0.0.1")


@pytest.fixture
def public(public_stand_in: None) -> Iterator[Site]:
    """A 'public' web site: on 127.0.0.2, which the address check is told to treat as public."""
    yield from _serve("127.0.0.2")


STAND_IN = ipaddress.ip_address("127.0.0.2")


@pytest.fixture
def public_stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    real = fetch.is_public
    monkeypatch.setattr(fetch, "is_public", lambda address: address == STAND_IN or real(address))


@pytest.fixture
def conn(tmp_path: Path):
    c = store.connect(tmp_path / "a.db")
    yield c
    c.close()


def rss(items: list[tuple[str, str, str]]) -> bytes:
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>أخبار الميناء</title>"
            + "".join(f"<item><title>{t}</title><link>{link}</link><description>{summary}</description>"
                      "<pubDate>Tue, 10 Aug 2021 09:00:00 GMT</pubDate></item>" for t, link, summary in items)
            + "</channel></rss>").encode()


RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML_TYPE = {"Content-Type": "text/html; charset=utf-8"}


def local_feed(site: Site) -> str:
    site.routes["/feed.xml"] = (200, RSS_TYPE, rss([("توسعة ميناء الغدير", site.url("/port"), "ميناء الغدير يتوسع.")]))
    site.routes["/port"] = (200, HTML_TYPE, PAGE)
    return site.url("/feed.xml")


def poll(conn, url: str, client: fetch.SafeClient) -> feeds.PollResult:
    return feeds.poll_feed(conn, feeds.add_feed(conn, url), client=client, limits=FetchLimits(sleep=lambda s: None))


# --- feeds: the same local feed refused, then followed when allowed ------------------------------------------


def test_a_local_feed_is_refused_by_default_and_followed_when_allowed(conn, private: Site) -> None:
    url = local_feed(private)
    with feeds.make_client() as client:
        refused = poll(conn, url, client)
    assert (refused.status, refused.added) == ("error", 0)
    assert refused.error == ("127.0.0.1 is on a private or local network; "
                             "only ARSHIF_ALLOW_PRIVATE_URLS=1 allows such addresses.")
    assert private.requests == []  # refused before connecting
    assert store.count_articles(conn) == 0

    with feeds.make_client(allow_private=True) as client:
        followed = poll(conn, url, client)
    assert (followed.status, followed.added) == ("ok", 1)
    assert "رصيفين جديدين" in store.get_article(conn, followed.added_ids[0]).body  # the entry's page, fetched


@pytest.mark.parametrize("host", [
    "127.0.0.1", "2130706433", "0x7f000001", "0x7f.1", "127.1", "0.0.0.0", "localhost", "[::1]",
    "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
])
def test_every_spelling_of_a_local_address_is_refused(conn, private: Site, host: str) -> None:
    url = f"http://{host}:{private.port}/feed.xml"
    local_feed(private)
    with feeds.make_client() as client:
        result = poll(conn, url, client)
        with pytest.raises(PrivateAddress, match="private or local network") as raised:
            fetch.fetch(client, url)
    assert result.status == "error" and "private or local network" in result.error
    assert not ipaddress.ip_address(raised.value.address).is_global
    assert private.requests == []


def test_an_octal_address_is_refused_as_no_address(private: Site) -> None:
    with fetch.make_client() as client, pytest.raises(SchemeRefused, match="not a valid web address"):
        fetch.fetch(client, f"http://0177.0.0.1:{private.port}/feed.xml")  # httpx's parser refuses it
    assert private.requests == []


def test_a_redirect_to_a_private_address_is_refused(conn, public: Site, private: Site) -> None:
    local_feed(private)
    public.routes["/feed.xml"] = (302, {"Location": private.url("/feed.xml")}, b"")
    public.routes["/to-file"] = (302, {"Location": "file:///etc/passwd"}, b"")
    with feeds.make_client() as client:
        result = poll(conn, public.url("/feed.xml"), client)
        with pytest.raises(SchemeRefused):
            fetch.fetch(client, public.url("/to-file"))
    assert result.status == "error" and result.error.startswith("127.0.0.1 is on a private or local network")
    assert [path for path, _ in public.requests] == ["/feed.xml", "/to-file"]
    assert private.requests == []
    assert store.count_articles(conn) == 0


def test_an_entry_linking_to_a_private_page_keeps_its_summary(conn, public: Site, private: Site) -> None:
    private.routes["/secret"] = (200, HTML_TYPE, PAGE)
    public.routes["/feed.xml"] = (200, RSS_TYPE, rss([("توسعة ميناء الغدير", private.url("/secret"),
                                                       "ميناء الغدير يتوسع.")]))
    with feeds.make_client() as client:
        result = poll(conn, public.url("/feed.xml"), client)
    assert (result.status, result.added) == ("ok", 1)
    assert store.get_article(conn, result.added_ids[0]).body == "ميناء الغدير يتوسع."  # the summary, not the page
    assert private.requests == []


def test_a_redirect_from_a_public_page_is_followed_through_the_checks(public: Site) -> None:
    public.routes["/old"] = (301, {"Location": "/new"}, b"")
    public.routes["/new"] = (200, HTML_TYPE, PAGE)
    public.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with fetch.make_client() as client:
        page = fetch.fetch(client, public.url("/old"))
        with pytest.raises(TooManyRedirects, match="more than 5"):
            fetch.fetch(client, public.url("/loop"))
    assert (page.url, page.status, page.body, page.content_type) == (public.url("/new"), 200, PAGE, "text/html")


# --- connect time: one resolution, the checked address is the one connected to --------------------------------


def test_a_name_that_rebinds_after_the_check_still_reaches_only_the_checked_address(public: Site,
                                                                                    private: Site) -> None:
    public.routes["/page"] = (200, HTML_TYPE, PAGE)
    private.routes["/page"] = (200, HTML_TYPE, b"<p>internal</p>")
    answers = iter(["127.0.0.2", "127.0.0.1", "127.0.0.1"])  # public for the check, private afterwards
    asked: list[str] = []

    def rebinding(host: str, port: int, **kwargs: object) -> list:
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    with fetch.make_client(resolve=rebinding) as client:
        page = fetch.fetch(client, f"http://rebind.test:{public.port}/page")
    assert page.body == PAGE
    assert asked == ["rebind.test"]  # resolved once; the connection used that answer
    assert public.requests == [("/page", f"rebind.test:{public.port}")]  # the Host header is the name
    assert private.requests == []


def test_a_name_with_any_private_answer_is_refused(private: Site) -> None:
    def mixed(host: str, port: int, **kwargs: object) -> list:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    with fetch.make_client(resolve=mixed) as client, pytest.raises(PrivateAddress) as raised:
        fetch.fetch(client, f"http://mixed.test:{private.port}/")
    assert (raised.value.host, raised.value.address) == ("mixed.test", "127.0.0.1")
    assert private.requests == []


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out",
                        str(cert)], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("openssl is not available to make a test certificate")
    return cert, key


def test_https_to_the_checked_address_verifies_the_certificate_of_the_name(tmp_path: Path,
                                                                           public_stand_in: None) -> None:
    cert, key = _certificate(tmp_path, "news.test")
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    trust = ssl.create_default_context(cafile=str(cert))

    def resolve(host: str, port: int, **kwargs: object) -> list:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.2", port))]

    for site in _serve("127.0.0.2", tls=server_tls):
        site.routes["/page"] = (200, HTML_TYPE, PAGE)
        transport = fetch.SafeTransport(resolve=resolve, verify=trust)
        with fetch.SafeClient(transport=transport) as client:
            page = fetch.fetch(client, f"https://news.test:{site.port}/page")
            # The same server by its address: the certificate names news.test, so this must fail.
            with pytest.raises(FetchError):
                fetch.fetch(client, f"https://127.0.0.2:{site.port}/page")
        assert page.body == PAGE
        assert site.requests == [("/page", f"news.test:{site.port}")]


# --- addresses, schemes, sizes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.1", False),
    ("240.0.0.1", False), ("255.255.255.255", False), ("::1", False), ("::", False), ("fe80::1", False),
    ("fc00::1", False), ("ff02::1", False), ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False),
    ("2002:7f00:1::", False), ("64:ff9b::7f00:1", False), ("64:ff9b::a9fe:a9fe", False),
    ("2002:5db8:d822::", True),
])
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert fetch.is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://example.org/", "http://"])
def test_only_http_and_https_are_fetched(url: str) -> None:
    with fetch.make_client(allow_private=True) as client, pytest.raises(SchemeRefused):
        fetch.fetch(client, url)


def test_a_client_without_the_checks_is_not_accepted() -> None:
    import httpx

    with httpx.Client() as plain, pytest.raises(TypeError, match="make_client"):
        fetch.fetch(plain, "http://example.org/")  # type: ignore[arg-type]


def test_an_answer_larger_than_allowed_is_cut_off(private: Site) -> None:
    private.routes["/big"] = (200, HTML_TYPE, b"x" * 50_000)
    with fetch.make_client(allow_private=True) as client, pytest.raises(ResponseTooLarge) as raised:
        fetch.fetch(client, private.url("/big"), max_bytes=10_000)
    assert (str(raised.value), raised.value.limit) == ("page larger than 9.76562 KB", 10_000)


def test_a_server_dripping_its_headers_is_cut_off_at_the_deadline() -> None:
    import time

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.wait(0.05):  # one header byte every 50 ms: each read succeeds in time
                try:
                    conn.sendall(b"X")
                except OSError:
                    return

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        with fetch.make_client(allow_private=True, read_timeout=1) as client, \
                pytest.raises(FetchTimeout) as raised:
            fetch.fetch(client, f"http://127.0.0.1:{listener.getsockname()[1]}/", total_seconds=0.8)
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)
    assert str(raised.value) == "the page took longer than 0.8 s to download"
    assert time.monotonic() - started < 3
