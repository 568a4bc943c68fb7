"""The reply model: what the conversation core returns and the faces (Telegram, terminal) show.

Frozen dataclasses, no behaviour: ``bot.core`` builds them, ``bot.render`` lays them out as
Telegram HTML or terminal text, ``bot.telegram_app`` sends them. Kept apart from the core so that
the renderer can import them without importing the core (the core renders to measure replies).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Button",
    "Document",
    "FactLine",
    "Item",
    "Notice",
    "Photo",
    "Reply",
    "SourceLine",
    "Who",
    "utf16_len",
]


def utf16_len(text: str) -> int:
    """Returns the length in UTF-16 code units, the unit of Telegram's limits."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: its label and callback_data (at most 64 bytes, see ``bot.render``)."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class FactLine:
    """One fact of an answer: "who: Samer Al-Khatib — Jordan's energy minister"."""

    kind: str  # person, org, date, place, money, number, quantity, percent
    label: str  # the kind in the reply's language («من», "When")
    text: str  # the name, the calendar date, the place, the amount
    detail: str | None = None  # a person's role; a date's phrase as written («مطلع يوليو/تموز الماضي»)


@dataclass(frozen=True, slots=True)
class SourceLine:
    """Where something comes from: the article's title, link, date and source name."""

    article_id: int
    title: str
    url: str | None = None
    published: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """An excerpt and its source; numbered items are search results (title first)."""

    source: SourceLine
    excerpt: str = ""
    highlights: tuple[tuple[int, int], ...] = ()
    number: int | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A file to send instead of messages (a long article)."""

    filename: str
    content: bytes
    caption: str


@dataclass(frozen=True, slots=True)
class Photo:
    """An image to send (a chart); the reply's lead is its caption."""

    filename: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Notice:
    """A message to another chat (the user an admin just let in)."""

    chat_id: int
    text: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says. ``bot.render`` lays it out: notes, title, article header, lead, answer,
    facts, items, article body; ``buttons`` go under the last message.

    ``edit`` asks to replace the message whose button was pressed (paging); ``toast`` is the short
    text shown when a button is pressed (``kind="toast"``: nothing else is sent); ``shown`` lists
    the article ids the reply shows; ``alerts_due`` says articles were added or subscriptions
    resumed, so the alert round should run now rather than at its next tick.
    """

    lang: str = "ar"
    kind: str = "text"  # text, answer, results, article, refusal, stale, error, toast, photo
    lead: str = ""
    answer: str | None = None  # the short answer, when the facts do not already say it
    facts: tuple[FactLine, ...] = ()
    items: tuple[Item, ...] = ()
    article: SourceLine | None = None
    body: str | None = None
    notes: tuple[str, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()
    document: Document | None = None
    photo: Photo | None = None  # sent as a photo, the lead (and notes) as its caption
    edit: bool = False
    notices: tuple[Notice, ...] = ()
    shown: tuple[int, ...] = ()
    title: str = ""  # a bold first line (lists, figures)
    toast: str | None = None
    alerts_due: bool = False


@dataclass(frozen=True, slots=True)
class Who:
    """Who is talking, and where: enough to decide access, language and chat memory."""

    user_id: int
    chat_id: int
    language_code: str | None = None
    chat_type: str = "private"
    first_name: str | None = None
    local: bool = False  # the terminal chat: the operator, trusted
