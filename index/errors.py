"""Errors the engine raises; each message tells the user what to do next.

Every error of the engine is here, in one tree (as ``httpx._exceptions`` does it):

- ``ArchiveError``: base of everything below; safe to show to a user as ``str(exc)``.
  - ``QuerySyntaxError``: the query cannot be searched as typed.
  - ``DateRangeError``: a ``since:``/``until:`` value is not a date (``key=``, ``value=``), or the
    range is reversed (``since=``, ``until=``).
  - ``ArticleNotFound``: no article has that id.
  - ``IngestError``: a file or record cannot be read as an article (ingest reports it and goes on).
  - ``LimitError``: a per-user limit was reached (subscriptions, sizes); ``limit=`` and ``what=``.
  - ``AlreadySubscribed``: the user already saved this query; ``sub_id=`` names that subscription.
  - ``FeedError``: a feed cannot be added, found or fetched.
  - ``FetchError``: a URL could not be fetched (``index.fetch``); ``url=`` names it. Subclasses:
    - ``SchemeRefused``: not an http(s) URL (``scheme=``).
    - ``PrivateAddress``: the host is or resolves to a private/local address (``host=``, ``address=``);
      only ``ARSHIF_ALLOW_PRIVATE_URLS=1`` lets such addresses be fetched.
    - ``ConnectionFailed``: no connection, or it broke (``host=``); worth retrying later.
    - ``BadStatus``: the server answered an error or a redirect without a Location (``status=``).
    - ``TooManyRedirects``: more redirects than allowed (``limit=``).
    - ``ResponseTooLarge``: the answer is larger than allowed (``limit=``, bytes).
    - ``FetchTimeout``: no answer in time, or the download took too long (``seconds=``).
    - ``UnwantedType``: the answer is not the kind of document asked for (``content_type=``).
  - ``SchemaTooNew``: the database was made by a newer arshif; ``version=`` is its schema.
  - ``UnknownAnswer``: a rating for an answer that was never logged (a forged or very old button).
  - ``DatasetError``: an evaluation file is not in SQuAD format.
  - ``NoArchive``: a command that only reads was pointed at a file that is not an archive (missing,
    empty, or another kind of file); nothing was created.
  - ``StorageError``: the disk refused a write (full, read-only); the message names the real cause.
"""

from __future__ import annotations

__all__ = [
    "AlreadySubscribed",
    "ArchiveError",
    "ArticleNotFound",
    "BadStatus",
    "ConnectionFailed",
    "DatasetError",
    "DateRangeError",
    "FeedError",
    "FetchError",
    "FetchTimeout",
    "IngestError",
    "LimitError",
    "NoArchive",
    "PrivateAddress",
    "QuerySyntaxError",
    "ResponseTooLarge",
    "SchemaTooNew",
    "SchemeRefused",
    "StorageError",
    "TooManyRedirects",
    "UnknownAnswer",
    "UnwantedType",
]


class ArchiveError(Exception):
    """Base class: the message is meant for the user."""


class QuerySyntaxError(ArchiveError):
    """Raised when a query has nothing searchable or cannot be turned into an FTS5 expression."""


class DateRangeError(ArchiveError):
    """Raised when a ``since:``/``until:`` filter is not a date such as 2021, 2021-07 or 2021-07-01
    (``key=`` "since" or "until" and ``value=`` as typed), or when since is after until (``since=``
    and ``until=`` set)."""

    def __init__(self, message: str, *, key: str | None = None, value: str | None = None,
                 since: str | None = None, until: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.value = value
        self.since = since
        self.until = until


class ArticleNotFound(ArchiveError):
    """Raised when an article id does not exist in the archive."""


class IngestError(ArchiveError):
    """Raised for one unreadable file or record; ingest records the reason and continues."""


class LimitError(ArchiveError):
    """Raised when a user reaches a configured limit: ``what`` is the kind ("subscriptions",
    "query"), ``limit`` the number allowed, so callers never parse the message."""

    def __init__(self, message: str, *, what: str = "", limit: int | None = None) -> None:
        super().__init__(message)
        self.what = what
        self.limit = limit


class AlreadySubscribed(ArchiveError):
    """Raised when the user already has the same query in the same chat; ``sub_id`` is that one."""

    def __init__(self, message: str, *, sub_id: int) -> None:
        super().__init__(message)
        self.sub_id = sub_id


class FeedError(ArchiveError):
    """Raised when a feed URL cannot be added or found, or (internally) when a fetch fails."""


class SchemaTooNew(ArchiveError):
    """Raised when the database's schema version is newer than this arshif knows: upgrade arshif."""

    def __init__(self, version: int, known: int) -> None:
        super().__init__(f"This archive was made by a newer arshif (schema {version}; this one knows up to "
                         f"{known}); upgrade arshif to use it.")
        self.version = version
        self.known = known


class UnknownAnswer(ArchiveError):
    """Raised for a rating of an answer that was never logged (a forged or very old button)."""


class DatasetError(ArchiveError):
    """Raised when ``arshif eval`` is given a file that is not a SQuAD-format question set."""


class NoArchive(ArchiveError):
    """Raised when a command that only reads finds no archive at the path (nothing is created)."""


class StorageError(ArchiveError):
    """Raised when SQLite cannot write (disk full, read-only file or folder); says which and what to do."""


class FetchError(ArchiveError):
    """Raised when a URL cannot be fetched; the message is one sentence, ``url`` the address that failed."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class SchemeRefused(FetchError):
    """Raised for a URL (or a redirect) that is not http:// or https:// (``file:``, ``ftp:``, ``gopher:``...)."""

    def __init__(self, message: str, *, url: str | None = None, scheme: str = "") -> None:
        super().__init__(message, url=url)
        self.scheme = scheme


class PrivateAddress(FetchError):
    """Raised when a host is or resolves to a loopback, private, link-local or otherwise non-public address."""

    def __init__(self, message: str, *, url: str | None = None, host: str = "", address: str = "") -> None:
        super().__init__(message, url=url)
        self.host = host
        self.address = address


class ConnectionFailed(FetchError):
    """Raised when the host cannot be resolved or reached, or the connection broke mid-answer."""

    def __init__(self, message: str, *, url: str | None = None, host: str = "") -> None:
        super().__init__(message, url=url)
        self.host = host


class BadStatus(FetchError):
    """Raised when the server answers 4xx/5xx, or a redirect without a Location."""

    def __init__(self, message: str, *, url: str | None = None, status: int = 0) -> None:
        super().__init__(message, url=url)
        self.status = status


class TooManyRedirects(FetchError):
    """Raised after more than ``limit`` redirects (usually a loop)."""

    def __init__(self, message: str, *, url: str | None = None, limit: int = 0) -> None:
        super().__init__(message, url=url)
        self.limit = limit


class ResponseTooLarge(FetchError):
    """Raised as soon as an answer (as decoded, so a gzip bomb too) exceeds ``limit`` bytes."""

    def __init__(self, message: str, *, url: str | None = None, limit: int = 0) -> None:
        super().__init__(message, url=url)
        self.limit = limit


class FetchTimeout(FetchError):
    """Raised when the server does not answer within ``seconds``, or the whole download takes longer."""

    def __init__(self, message: str, *, url: str | None = None, seconds: float = 0.0) -> None:
        super().__init__(message, url=url)
        self.seconds = seconds


class UnwantedType(FetchError):
    """Raised when the answer's Content-Type is not one the caller asked for (checked before the body)."""

    def __init__(self, message: str, *, url: str | None = None, content_type: str = "") -> None:
        super().__init__(message, url=url)
        self.content_type = content_type
