"""Telegram's HTML parse mode as the Bot API applies it: text and entities from a message's markup.

Shared by the fake Bot API (tests/e2e/fakebot.py), which refuses bad markup as Telegram does, and by
unit tests that check what ``bot.render`` produces, so neither depends on the other.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["BadMarkup", "parse_html", "trim", "utf16_len"]

JSONDict = dict[str, Any]


class BadMarkup(ValueError):
    """Raised for markup Telegram refuses ("Can't parse entities: ..."); the message is Telegram's detail."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entity offsets."""
    return len(text.encode("utf-16-le")) // 2



_HTML_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "tg-emoji", "code", "pre", "blockquote",
    }
)
_SIMPLE_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
}
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")
_TAG_NAME_STOP = frozenset(" \t\r\n>/")
_TRIM = " \t\r\n"


def _decode_html_entities(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _NAMED_ENTITIES:
            return _NAMED_ENTITIES[name]
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        try:
            return chr(code)
        except (ValueError, OverflowError):
            return match.group(0)

    return _HTML_ENTITY_RE.sub(repl, text)


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram's HTML parse mode into (plain text, entities), like the real server.

    Why: real Telegram rejects malformed or unsupported markup with a 400, a classic
    production failure for bots that interpolate article text into HTML templates.
    Error texts follow Telegram's ("can't parse entities: ... at byte offset N").
    """
    pieces: list[str] = []
    pos16 = 0
    # (tag, attributes, start offset in UTF-16 units, byte offset of the tag)
    stack: list[tuple[str, dict[str, str], int, int]] = []
    entities: list[JSONDict] = []
    n = len(source)
    i = 0

    def byte_offset(index: int) -> int:
        return len(source[:index].encode("utf-8"))

    def fail(detail: str) -> BadMarkup:
        return BadMarkup(f"can't parse entities: {detail}")

    def emit(text: str) -> None:
        nonlocal pos16
        pieces.append(text)
        pos16 += utf16_len(text)

    while i < n:
        ch = source[i]
        if ch == "&":
            match = _HTML_ENTITY_RE.match(source, i)
            if match:
                emit(_decode_html_entities(match.group(0)))
                i = match.end()
            else:
                emit("&")
                i += 1
            continue
        if ch != "<":
            j = i
            while j < n and source[j] not in "<&":
                j += 1
            emit(source[i:j])
            i = j
            continue

        begin = i
        i += 1
        if i < n and source[i] == "/":
            i += 1
            j = i
            while j < n and source[j] not in _TAG_NAME_STOP:
                j += 1
            name = source[i:j].lower()
            while j < n and source[j] in _TRIM:
                j += 1
            if j >= n or source[j] != ">":
                raise fail(f"Unclosed end tag at byte offset {byte_offset(begin)}")
            if not stack:
                raise fail(f'Unexpected end tag "{name}" at byte offset {byte_offset(begin)}')
            tag, attrs, start, _ = stack[-1]
            if name != tag:
                raise fail(
                    f'Unmatched end tag at byte offset {byte_offset(begin)}, '
                    f'expected "</{tag}>", found "</{name}>"'
                )
            stack.pop()
            i = j + 1
            _close_html_entity(tag, attrs, start, pos16, stack, entities)
            continue

        j = i
        while j < n and source[j] not in _TAG_NAME_STOP:
            j += 1
        name = source[i:j].lower()
        if name not in _HTML_TAGS:
            raise fail(f'Unsupported start tag "{name}" at byte offset {byte_offset(begin)}')
        attrs: dict[str, str] = {}
        while True:
            while j < n and source[j] in _TRIM:
                j += 1
            if j >= n:
                raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            if source[j] == ">":
                j += 1
                break
            if source[j] == "/" and source.startswith("/>", j):
                j += 2
                break
            match = _ATTR_NAME_RE.match(source, j)
            if not match:
                raise fail(
                    f'Empty attribute name in the tag "{name}" at byte offset {byte_offset(begin)}'
                )
            attr = match.group(0).lower()
            j = match.end()
            while j < n and source[j] in _TRIM:
                j += 1
            if j < n and source[j] == "=":
                j += 1
                while j < n and source[j] in _TRIM:
                    j += 1
                if j >= n:
                    raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                if source[j] in "\"'":
                    quote = source[j]
                    end = source.find(quote, j + 1)
                    if end < 0:
                        raise fail(
                            f"Unclosed start tag at byte offset {byte_offset(begin)}"
                        )
                    value = source[j + 1 : end]
                    j = end + 1
                else:
                    k = j
                    while k < n and source[k] not in _TRIM and source[k] != ">":
                        k += 1
                    value = source[j:k]
                    j = k
                attrs[attr] = _decode_html_entities(value)
            else:
                attrs[attr] = ""
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
            )
        stack.append((name, attrs, pos16, byte_offset(begin)))
        i = j

    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(pieces), entities


def _close_html_entity(
    tag: str,
    attrs: dict[str, str],
    start: int,
    end: int,
    stack: list[tuple[str, dict[str, str], int, int]],
    entities: list[JSONDict],
) -> None:
    length = end - start
    if length <= 0:
        return
    entity: JSONDict = {"offset": start, "length": length}
    if tag == "code" and stack and stack[-1][0] == "pre":
        # <pre><code class="language-x"> sets the language of the enclosing pre.
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1][1]["_language"] = language[len("language-") :]
            return
    if tag in _SIMPLE_ENTITY:
        entity["type"] = _SIMPLE_ENTITY[tag]
    elif tag == "pre":
        entity["type"] = "pre"
        if attrs.get("_language"):
            entity["language"] = attrs["_language"]
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    elif tag == "tg-emoji":
        if not attrs.get("emoji-id"):
            return
        entity["type"] = "custom_emoji"
        entity["custom_emoji_id"] = attrs["emoji-id"]
    elif tag == "a":
        href = attrs.get("href", "")
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user:
            entity["type"] = "text_mention"
            entity["user"] = {"id": int(user.group(1)), "is_bot": False, "first_name": "User"}
        elif href:
            entity["type"] = "text_link"
            entity["url"] = href
        else:
            return
    else:  # pragma: no cover - every supported tag is mapped above
        return
    entities.append(entity)


def trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strip surrounding whitespace and shift/clip entities, as Telegram does."""
    stripped = text.strip(_TRIM)
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip(_TRIM))])
    total = utf16_len(stripped)
    out: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            out.append({**entity, "offset": start, "length": end - start})
    return stripped, out


