"""Errors the engine raises; each message tells the user what to do next.

Every error of the engine is here, in one tree (as ``httpx._exceptions`` does it):

- ``ArchiveError``: base of everything below; safe to show to a user as ``str(exc)``.
  - ``QuerySyntaxError``: the query cannot be searched as typed.
  - ``DateRangeError``: a ``since:``/``until:`` value is not a date.
  - ``ArticleNotFound``: no article has that id.
  - ``IngestError``: a file or record cannot be read as an article (ingest reports it and goes on).
  - ``LimitError``: a per-user limit was reached (subscriptions, sizes); ``limit=`` and ``what=``.
  - ``AlreadySubscribed``: the user already saved this query; ``sub_id=`` names that subscription.
  - ``FeedError``: a feed cannot be added, found or fetched.
  - ``SchemaTooNew``: the database was made by a newer arshif; ``version=`` is its schema.
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
    "DatasetError",
    "DateRangeError",
    "FeedError",
    "IngestError",
    "LimitError",
    "NoArchive",
    "QuerySyntaxError",
    "SchemaTooNew",
    "StorageError",
]


class ArchiveError(Exception):
    """Base class: the message is meant for the user."""


class QuerySyntaxError(ArchiveError):
    """Raised when a query has nothing searchable or cannot be turned into an FTS5 expression."""


class DateRangeError(ArchiveError):
    """Raised when a ``since:``/``until:`` filter is not a date such as 2021, 2021-07 or 2021-07-01."""


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


class DatasetError(ArchiveError):
    """Raised when ``arshif eval`` is given a file that is not a SQuAD-format question set."""


class NoArchive(ArchiveError):
    """Raised when a command that only reads finds no archive at the path (nothing is created)."""


class StorageError(ArchiveError):
    """Raised when SQLite cannot write (disk full, read-only file or folder); says which and what to do."""
