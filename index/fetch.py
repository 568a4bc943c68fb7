"""One safe way to fetch a URL: feeds, their entries' pages, /add, and any fetch added later.

What a fetched URL may reach is decided here and nowhere else:

- Only ``http`` and ``https``, for the URL and for every redirect (``SchemeRefused``).
- Every request goes through ``SafeTransport``: the host is resolved once, every address it resolves
  to is checked (loopback, private, link-local, multicast, reserved, unspecified, shared/CGNAT, and
  IPv4 addresses hidden in IPv6: mapped, 6to4, Teredo, NAT64), and the connection goes to the
  checked address, with the URL's Host header and TLS server name (SNI and certificate check).
  A DNS answer that changes between the check and the connection (rebinding) therefore changes
  nothing, and numeric spellings (``2130706433``, ``0x7f.1``, ``127.1``) are judged by what the
  resolver makes of them. Refused: ``PrivateAddress``.
- Redirects are followed here, one hop at a time, each through the same transport and checks.
- Proxies from the environment are not used: the check must see the address it connects to.
- Size (as decoded, so a gzip bomb stops too), connect and per-read timeouts, and a deadline for the
  whole fetch, redirects included: every socket read waits at most until it (``_DeadlineBackend``),
  so a server dripping its headers or body a byte at a time is cut off too.

Only ``allow_private=True`` (the ``ARSHIF_ALLOW_PRIVATE_URLS=1`` setting) lets private addresses
through, for an intranet, a local test server or a feed on the same machine. Errors are the
``FetchError`` tree of ``index.errors``, each with one sentence for the user. Synchronous on purpose
(as all of ``index``): the bot calls it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from .errors import (
    BadStatus,
    ConnectionFailed,
    FetchError,
    FetchTimeout,
    PrivateAddress,
    ResponseTooLarge,
    SchemeRefused,
    TooManyRedirects,
    UnwantedType,
)

__all__ = [
    "CONNECT_TIMEOUT",
    "MAX_BYTES",
    "MAX_REDIRECTS",
    "READ_TIMEOUT",
    "TOTAL_SECONDS",
    "USER_AGENT",
    "Page",
    "SafeClient",
    "SafeTransport",
    "fetch",
    "fetch_url",
    "is_public",
    "make_client",
]

log = logging.getLogger(__name__)

USER_AGENT = "arshif/0.1"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
TOTAL_SECONDS = 60.0
MAX_REDIRECTS = 5
MAX_BYTES = 5 * 2**20
SCHEMES = ("http", "https")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list]


def _embedded(address: Address) -> list[Address]:
    """Return the address and every IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64)."""
    found: list[Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        found += [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
        if address.teredo is not None:
            found += list(address.teredo)
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def is_public(address: Address) -> bool:
    """True when the address, and every IPv4 address inside it, is a public unicast address.

    An IPv6 address that only wraps an IPv4 one (mapped, 6to4, Teredo, NAT64) is judged by what it wraps:
    Python 3.13 calls the wrappers themselves non-global, 3.11 does not, and the answer must not depend on
    the interpreter.
    """
    found = _embedded(address)
    judged = found[1:] or found
    return all(
        a.is_global and not (a.is_private or a.is_loopback or a.is_link_local or a.is_multicast or a.is_reserved
                             or a.is_unspecified)
        for a in judged
    )


def _size(n: int) -> str:
    return f"{n / 2**20:g} MB" if n >= 2**20 else f"{n / 1024:g} KB"


# When the fetch running in this thread (or task) must be over, as time.monotonic(); None: no deadline.
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("arshif_fetch_deadline", default=None)


def _until_deadline(timeout: float | None) -> float | None:
    """Return the timeout a socket operation may use: the given one, shortened to the deadline."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the fetch's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose reads and writes never wait past the current fetch's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _until_deadline(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _until_deadline(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _until_deadline(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend with ``_DeadlineStream`` streams."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_tcp(host, port, _until_deadline(timeout), local_address,
                                                         socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class SafeTransport(httpx.BaseTransport):
    """An httpx transport that connects only to checked addresses (see the module docstring).

    The request handed on has the checked IP in its URL, the original Host header and, for https,
    the ``sni_hostname`` extension (httpcore passes it to TLS as ``server_hostname``, so SNI and the
    certificate check use the host name). ``resolve`` is ``socket.getaddrinfo``'s signature, for tests.
    """

    def __init__(self, *, allow_private: bool = False, resolve: Resolver = socket.getaddrinfo,
                 verify: bool | ssl.SSLContext = True) -> None:
        self.allow_private = allow_private
        self._resolve = resolve
        self._inner = httpx.HTTPTransport(verify=verify, trust_env=False)
        # httpx.HTTPTransport takes no network backend, so its pool is replaced by one with the deadline
        # backend (a public httpcore argument; httpx's default limits). The one private name used here.
        if not isinstance(getattr(self._inner, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError("this httpx version keeps no httpcore pool in HTTPTransport._pool")
        self._inner._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False), max_connections=100,
            max_keepalive_connections=20, keepalive_expiry=5.0, network_backend=_DeadlineBackend())

    def address_for(self, url: httpx.URL) -> str:
        """Return the checked IP address to connect to for ``url``; raise a FetchError otherwise."""
        if url.scheme not in SCHEMES:
            raise SchemeRefused(f"only http:// and https:// addresses can be fetched, not {url.scheme}://",
                                url=str(url), scheme=url.scheme)
        host = url.raw_host.decode("ascii")  # IDNA-encoded; an IPv6 literal without brackets
        if not host:
            raise SchemeRefused("the address has no host name", url=str(url), scheme=url.scheme)
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            infos = self._resolve(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError) as exc:
            raise ConnectionFailed(f"cannot connect to {url.host}: the name cannot be resolved", url=str(url),
                                   host=url.host) from exc
        addresses: list[Address] = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise ConnectionFailed(f"cannot connect to {url.host}: the name has no address", url=str(url),
                                   host=url.host)
        if not self.allow_private:
            # Every answer, not just the first: a name may resolve to a public and a private address.
            for address in addresses:
                if not is_public(address):
                    shown = url.host if url.host == str(address) else f"{url.host} ({address})"
                    raise PrivateAddress(f"{shown} is on a private or local network; only "
                                         "ARSHIF_ALLOW_PRIVATE_URLS=1 allows such addresses",
                                         url=str(url), host=url.host, address=str(address))
        return str(addresses[0])

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request to the checked address of its host (one resolution, no second one)."""
        address = self.address_for(request.url)
        extensions = dict(request.extensions)
        if request.url.scheme == "https":
            extensions["sni_hostname"] = request.url.raw_host.decode("ascii")
        pinned = httpx.Request(request.method, request.url.copy_with(host=address), headers=request.headers,
                               stream=request.stream, extensions=extensions)
        return self._inner.handle_request(pinned)

    def close(self) -> None:
        """Close the pooled connections."""
        self._inner.close()


class SafeClient(httpx.Client):
    """An ``httpx.Client`` over ``SafeTransport``; ``fetch`` takes no other kind, so none slips past the checks."""


def make_client(*, allow_private: bool = False, connect_timeout: float = CONNECT_TIMEOUT,
                read_timeout: float = READ_TIMEOUT, user_agent: str = USER_AGENT,
                resolve: Resolver = socket.getaddrinfo) -> SafeClient:
    """Return a client for ``fetch``: checked addresses, no environment proxies, redirects left to ``fetch``."""
    return SafeClient(
        transport=SafeTransport(allow_private=allow_private, resolve=resolve),
        headers={"User-Agent": user_agent},
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
        follow_redirects=False,
        trust_env=False,
    )


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched answer: 2xx with its body, or 304 (``body`` empty) to a conditional request."""

    url: str  # after redirects
    status: int
    body: bytes
    headers: httpx.Headers
    charset: str | None = None

    @property
    def content_type(self) -> str:
        """Return the media type without parameters, lower case ("" when the server sent none)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def _seconds(value: float | None) -> str:
    return f"{value:g} s" if value is not None else "the time limit"


def fetch(client: SafeClient, url: str, *, max_bytes: int = MAX_BYTES, total_seconds: float = TOTAL_SECONDS,
          max_redirects: int = MAX_REDIRECTS, headers: dict[str, str] | None = None, what: str = "page",
          content_types: Collection[str] | None = None) -> Page:
    """GET ``url`` within the limits, following redirects through the same checks; return the answer.

    ``content_types`` (media types; "" for none sent) refuses another type before the body is read.
    ``what`` names the document in messages ("feed", "page"). Raises a ``FetchError`` subclass.
    """
    if not isinstance(client, SafeClient):
        raise TypeError("fetch() needs a client from index.fetch.make_client (it checks every address)")
    started = time.monotonic()
    token = _DEADLINE.set(started + total_seconds)
    try:
        return _fetch(client, url, started, max_bytes=max_bytes, total_seconds=total_seconds,
                      max_redirects=max_redirects, headers=headers, what=what, content_types=content_types)
    except FetchTimeout as exc:
        if time.monotonic() - started >= total_seconds:  # the deadline, not one slow read, ended it
            raise FetchTimeout(f"the {what} took longer than {_seconds(total_seconds)} to download", url=exc.url,
                               seconds=total_seconds) from exc
        raise
    finally:
        _DEADLINE.reset(token)


def _fetch(client: SafeClient, url: str, started: float, *, max_bytes: int, total_seconds: float,
           max_redirects: int, headers: dict[str, str] | None, what: str,
           content_types: Collection[str] | None) -> Page:
    try:
        request = client.build_request("GET", url, headers=headers)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError, TypeError) as exc:
        raise SchemeRefused(f"{url!r} is not a valid web address such as https://example.org/news ({exc})",
                            url=url) from exc
    for _hop in range(max_redirects + 1):
        current = str(request.url)
        try:
            response = client.send(request, stream=True)
        except FetchError:
            raise
        except httpx.UnsupportedProtocol as exc:  # a redirect to ftp:, file:, ...
            raise SchemeRefused(f"the address redirects to a non-http(s) address ({exc})", url=current) from exc
        except httpx.TimeoutException as exc:
            seconds = client.timeout.connect if isinstance(exc, httpx.ConnectTimeout) else client.timeout.read
            raise FetchTimeout(f"the server did not answer within {_seconds(seconds)}", url=current,
                               seconds=seconds or 0.0) from exc
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise ConnectionFailed(f"cannot connect to {request.url.host}: {str(exc) or type(exc).__name__}",
                                   url=current, host=request.url.host) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"the download failed: {type(exc).__name__}: {exc}", url=current) from exc
        try:
            if response.is_redirect and response.next_request is not None:
                request = response.next_request
                continue
            return _read(response, started, max_bytes=max_bytes, total_seconds=total_seconds, what=what,
                         content_types=content_types, read_timeout=client.timeout.read)
        finally:
            response.close()
    raise TooManyRedirects(f"too many redirects (more than {max_redirects}); the URL redirects in a loop",
                           url=url, limit=max_redirects)


def _read(response: httpx.Response, started: float, *, max_bytes: int, total_seconds: float, what: str,
          content_types: Collection[str] | None, read_timeout: float | None) -> Page:
    url = str(response.url)
    status = response.status_code
    if status == 304:
        return Page(url, 304, b"", response.headers)
    if not 200 <= status < 300:  # 4xx, 5xx, or a 3xx without a Location
        raise BadStatus(f"the server answered HTTP {status} {response.reason_phrase}".rstrip(), url=url,
                        status=status)
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_types is not None and kind not in content_types:
        raise UnwantedType(f"it is not a web {what} ({kind or 'no content type'})", url=url, content_type=kind)
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(f"{what} larger than {_size(max_bytes)}", url=url, limit=max_bytes)
    chunks: list[bytes] = []
    received = 0
    try:
        for chunk in response.iter_bytes(64 * 1024):
            received += len(chunk)
            if received > max_bytes:
                raise ResponseTooLarge(f"{what} larger than {_size(max_bytes)}", url=url, limit=max_bytes)
            if time.monotonic() - started > total_seconds:
                raise FetchTimeout(f"the {what} took longer than {_seconds(total_seconds)} to download", url=url,
                                   seconds=total_seconds)
            chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise FetchTimeout(f"the server stopped sending for longer than {_seconds(read_timeout)}", url=url,
                           seconds=read_timeout or 0.0) from exc
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.DecodingError) as exc:
        raise ConnectionFailed(f"the connection broke: {str(exc) or type(exc).__name__}", url=url,
                               host=response.url.host) from exc
    return Page(url, status, b"".join(chunks), response.headers, response.charset_encoding)


def fetch_url(url: str, *, allow_private: bool = False, user_agent: str = USER_AGENT,
              connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT, **kwargs: object) -> Page:
    """Fetch one URL with a client of its own (for a single /add); takes ``fetch``'s keywords."""
    with make_client(allow_private=allow_private, user_agent=user_agent, connect_timeout=connect_timeout,
                     read_timeout=read_timeout) as client:
        return fetch(client, url, **kwargs)  # type: ignore[arg-type]
