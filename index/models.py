"""Result types of the engine: frozen dataclasses, serialisable with ``dataclasses.asdict``."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Article", "Feed", "Hit", "IngestFailure", "IngestSummary", "Rating", "SearchResult", "Subscription"]


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article; ``body`` is the original text, unchanged."""

    id: int
    title: str
    body: str
    url: str | None = None
    published: str | None = None
    source: str | None = None
    author: str | None = None
    lang: str | None = None
    ext_id: str | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result; ``highlights`` are (start, end) spans of matched words in ``excerpt``."""

    article_id: int
    title: str
    url: str | None
    published: str | None
    source: str | None
    score: float
    excerpt: str
    highlights: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SearchResult:
    """A page of hits; ``suggestion`` is a corrected query when some word matched nothing."""

    query: str
    total: int
    results: tuple[Hit, ...]
    offset: int = 0
    suggestion: str | None = None


@dataclass(frozen=True, slots=True)
class IngestFailure:
    """One input that could not be ingested, and why."""

    path: str
    reason: str


@dataclass(slots=True)
class IngestSummary:
    """Counts of one ingest run; ``added_ids`` are the new article ids in order."""

    added: int = 0
    duplicates: int = 0
    failed: list[IngestFailure] = field(default_factory=list)
    added_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        """Return the JSON form printed by ``arshif ingest --json``."""
        return {
            "added": self.added,
            "duplicates": self.duplicates,
            "failed": [{"path": f.path, "reason": f.reason} for f in self.failed],
            "added_ids": self.added_ids,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True, slots=True)
class Feed:
    """A stored feed and its health; ``entries`` counts the entries already taken from it."""

    id: int
    url: str
    title: str | None = None
    last_polled: str | None = None
    last_ok: str | None = None
    last_error: str | None = None
    failures: int = 0
    entries: int = 0

    def as_dict(self) -> dict:
        """Return the JSON form printed by ``arshif feeds list --json``."""
        return {"id": self.id, "url": self.url, "title": self.title, "last_polled": self.last_polled,
                "last_ok": self.last_ok, "last_error": self.last_error, "failures": self.failures,
                "entries": self.entries}


@dataclass(frozen=True, slots=True)
class Subscription:
    """A saved query; ``paused`` says why it is not running (``blocked``, ``muted``) or is None."""

    id: int
    user_id: int
    chat_id: int
    query: str
    active: bool = True
    paused: str | None = None
    last_seen: int = 0
    created_at: str | None = None

    @property
    def running(self) -> bool:
        """True when new matches are alerted."""
        return self.active and self.paused is None


@dataclass(frozen=True, slots=True)
class Rating:
    """One user's rating of one answer, with the answer as it was shown."""

    answer_id: int
    user_id: int
    rating: int  # index.feedback.UP (1) or DOWN (-1)
    rated_at: str
    question: str
    qtype: str | None
    answer: str | None
    sources: tuple[dict, ...]
    chat_id: int
    asked_by: int | None
    answered_at: str

    def as_dict(self) -> dict:
        """Return the JSON form printed by ``arshif feedback --json``."""
        return {
            "answer_id": self.answer_id, "user_id": self.user_id,
            "rating": "up" if self.rating > 0 else "down", "rated_at": self.rated_at,
            "question": self.question, "type": self.qtype, "answer": self.answer,
            "sources": list(self.sources), "chat_id": self.chat_id, "asked_by": self.asked_by,
            "answered_at": self.answered_at,
        }
