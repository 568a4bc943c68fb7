"""Errors the engine raises; each message tells the user what to do next.

- ``ArchiveError``: base of everything below; safe to show to a user as ``str(exc)``.
  - ``QuerySyntaxError``: the query cannot be searched as typed.
  - ``DateRangeError``: a ``since:``/``until:`` value is not a date.
  - ``ArticleNotFound``: no article has that id.
  - ``IngestError``: a file or record cannot be read as an article (ingest reports it and goes on).
  - ``LimitError``: a per-user limit was reached (subscriptions, sizes).
  - ``DatasetError``: an evaluation file is not in SQuAD format.
"""

from __future__ import annotations

__all__ = [
    "ArchiveError",
    "ArticleNotFound",
    "DatasetError",
    "DateRangeError",
    "IngestError",
    "LimitError",
    "QuerySyntaxError",
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
    """Raised when a user reaches a configured limit."""


class DatasetError(ArchiveError):
    """Raised when ``arshif eval`` is given a file that is not a SQuAD-format question set."""
