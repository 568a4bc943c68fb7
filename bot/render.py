"""Replies → Telegram HTML messages (and plain text for the terminal chat). Pure: no Telegram, no I/O.

Four concerns live here so that handlers never touch markup:

1. **Escaping.** Every string that came from an article or a user goes through ``html.escape``; the
   only tags are the ones written below (``<b>``, ``<i>``, ``<a href>``).
2. **Layout.** Facts first, in the order ``bot.core`` gives them (the answer's own facts, then
   who, when, where, numbers), then the excerpt with the answer in bold, then the source line.
3. **Right-to-left.** Telegram picks a paragraph's direction from its first strong character, so a
   line that starts with a Latin name or a digit would be laid out left-to-right and scramble the
   Arabic around it. Arabic lines therefore start with RLM (U+200F), and Latin words and ASCII
   digits inside them are wrapped in FSI … PDI (U+2068 … U+2069) so each run keeps its own order.
   Arabic-Indic digits are right-to-left friendly already and are left alone.
4. **Splitting.** Telegram's limit is 4096 UTF-16 code units (Arabic letters 1, emoji 2) per
   message. ``split_html`` cuts at a paragraph, line or space boundary, never inside a tag or an
   entity, closes the tags open at the cut and reopens them at the start of the next part.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from .replies import Button, FactLine, Item, Reply, SourceLine, utf16_len
from .texts import t

__all__ = [
    "CALLBACK_DATA_LIMIT",
    "MESSAGE_LIMIT",
    "apply_bidi",
    "callback_data_ok",
    "escape",
    "flatten",
    "mark",
    "render_html",
    "render_plain",
    "split_html",
    "utf16_len",
    "visible_text",
]

MESSAGE_LIMIT = 4096  # UTF-16 code units per message text (Bot API sendMessage)
CAPTION_LIMIT = 1024  # per document caption
CALLBACK_DATA_LIMIT = 64  # bytes of callback_data
MAX_LINK_CHARS = 1000  # longer URLs are shown as text, not linked (a tag must fit in a part)

RLM = "\u200f"  # RIGHT-TO-LEFT MARK: makes the paragraph right-to-left
FSI = "\u2068"  # FIRST STRONG ISOLATE: opens a run laid out on its own
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE: closes it
BIDI_MARKS = (RLM, FSI, PDI)

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile("[A-Za-z]")
# A run of Latin words and ASCII numbers with the punctuation that joins them ("Al-Khatib",
# "2024-03-14", "$1.1 billion", "NSO"); it never swallows a trailing full stop or comma.
_LATIN_RUN = re.compile(
    r"[/#@$€£]?[A-Za-z0-9][A-Za-z0-9_]*(?:[ .,:/'’&@+\-–]+[A-Za-z0-9][A-Za-z0-9_]*)*%?"
)
# Markup tokens: a tag or a character entity; everything else is text.
_MARKUP = re.compile(r"(<[^>]*>|&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z]+);)")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^>]*>")


def escape(text: str | None) -> str:
    """Returns text safe inside Telegram HTML (only <, > and & need escaping outside attributes)."""
    return html.escape(text or "", quote=False)


def callback_data_ok(data: str) -> bool:
    """True when Telegram accepts the string as callback_data (1-64 bytes)."""
    return 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT


def mark(text: str, spans: Iterable[tuple[int, int]] = (), tag: str = "b") -> str:
    """Returns ``text`` escaped, with the character spans wrapped in ``<tag>`` (overlaps merged)."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, last = [], 0
    for start, end in merged:
        out.append(escape(text[last:start]))
        out.append(f"<{tag}>{escape(text[start:end])}</{tag}>")
        last = end
    out.append(escape(text[last:]))
    return "".join(out)


def visible_text(markup: str) -> str:
    """Returns what the user sees of an HTML message: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def _is_arabic_line(visible: str, lang: str) -> bool:
    arabic = len(_ARABIC.findall(visible))
    if not arabic:
        return False
    return lang == "ar" or arabic >= len(_LATIN.findall(visible))


def _isolate_runs(text: str) -> str:
    return _LATIN_RUN.sub(lambda m: f"{FSI}{m.group(0)}{PDI}", text)


def apply_bidi(markup: str, lang: str = "ar") -> str:
    """Returns HTML whose Arabic lines start with RLM and isolate their Latin and ASCII-digit runs.

    A line is Arabic when it has Arabic letters and the reply is in Arabic, or when Arabic letters
    outnumber Latin ones. Only text between tags is touched: tags, attributes (URLs) and entities
    stay byte for byte as they were.
    """
    lines = []
    for line in markup.split("\n"):
        if not _is_arabic_line(visible_text(line), lang):
            lines.append(line)
            continue
        pieces = _MARKUP.split(line)
        for i in range(0, len(pieces), 2):  # even indexes are text, odd ones tags and entities
            pieces[i] = _isolate_runs(pieces[i])
        lines.append(RLM + "".join(pieces))
    return "\n".join(lines)


def flatten(text: str, spans: Sequence[tuple[int, int]] = ()) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Returns the excerpt on one line (whitespace runs become one space) with its spans moved along.

    An excerpt that crosses a paragraph break would otherwise look like two items in a list.
    """
    out: list[str] = []
    where: list[int] = []  # where[k]: offset in the result of offset k in ``text``
    size = 0
    for m in re.finditer(r"\s+|\S+", text):
        if m.group(0).isspace():
            where.extend([size] * len(m.group(0)))
            out.append(" ")
            size += 1
        else:
            where.extend(range(size, size + len(m.group(0))))
            out.append(m.group(0))
            size += len(m.group(0))
    where.append(size)
    moved = tuple((where[s], where[e]) for s, e in spans if 0 <= s < e <= len(text))
    return "".join(out), moved


# --- splitting ----------------------------------------------------------------------------------


def _atoms(markup: str) -> list[str]:
    """Returns the markup as indivisible pieces: tags, entities and single characters."""
    atoms: list[str] = []
    for i, piece in enumerate(_MARKUP.split(markup)):
        if i % 2:
            atoms.append(piece)
        else:
            atoms.extend(piece)
    return atoms


def _closing(stack: Sequence[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _opening(stack: Sequence[tuple[str, str]]) -> str:
    return "".join(tag for _, tag in stack)


def _stacks(atoms: Sequence[str]) -> list[tuple[tuple[str, str], ...]]:
    """Returns, for each position 0..len(atoms), the tags open before it as (name, opening tag)."""
    stacks = [()]
    current: tuple[tuple[str, str], ...] = ()
    for atom in atoms:
        tag = _TAG.fullmatch(atom)
        if tag and tag.group(1):
            if current and current[-1][0] == tag.group(2).lower():
                current = current[:-1]
        elif tag and not atom.endswith("/>"):
            current = (*current, (tag.group(2).lower(), atom))
        stacks.append(current)
    return stacks


def _cut_priority(atoms: Sequence[str], i: int) -> int:
    """Returns how good a cut before ``atoms[i]`` is: 3 blank line, 2 line break, 1 space, 0 none."""
    before = atoms[i - 1]
    if before == "\n":
        return 3 if i >= 2 and atoms[i - 2] == "\n" else 2
    return 1 if before == " " else 0


def split_html(markup: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Returns the HTML cut into parts of at most ``limit`` UTF-16 units of markup each.

    Counting the markup (not just the visible text) keeps every part under Telegram's limit
    whatever the tags. A cut prefers, in order, a blank line, a line break, a space, in the second
    half of the part; failing those the part is cut where it is full (between two atoms, so never
    inside a tag or an entity). Tags open at a cut are closed there and reopened in the next part.
    Parts with no visible text are dropped (Telegram rejects empty messages).
    """
    if utf16_len(markup) <= limit:
        return [markup] if visible_text(markup).strip() else []
    atoms = _atoms(markup)
    stacks = _stacks(atoms)
    sizes = [utf16_len(a) for a in atoms]
    parts: list[str] = []
    start, n = 0, len(atoms)
    while start < n:
        prefix = _opening(stacks[start])
        size = utf16_len(prefix)
        best: dict[int, int] = {}
        i = start
        while i < n:
            if i > start and size + sizes[i] + utf16_len(_closing(stacks[i + 1])) > limit:
                break
            size += sizes[i]
            i += 1
            priority = _cut_priority(atoms, i)
            if priority:
                best[priority] = i
        end = i
        if i < n:
            for priority in (3, 2, 1):
                if priority in best and (best[priority] - start) * 2 >= i - start:
                    end = best[priority]
                    break
        part = prefix + "".join(atoms[start:end]) + _closing(stacks[end])
        if visible_text(part).strip():
            parts.append(part)
        start = end
    return parts


# --- layout -------------------------------------------------------------------------------------


def _link(title: str, url: str | None) -> str:
    if url and len(url) <= MAX_LINK_CHARS and re.match(r"https?://", url):
        return f'<a href="{html.escape(url, quote=True)}">{escape(title)}</a>'
    return escape(title)


def _meta(source: SourceLine) -> str:
    bits = [b for b in (source.published, source.source) if b]
    bits.append(f"#{source.article_id}")
    return " · ".join(escape(b) for b in bits)


def _fact_line(fact: FactLine) -> str:
    line = f"• {escape(fact.label)}: <b>{escape(fact.text)}</b>"
    if fact.detail:
        line += f" — {escape(fact.detail)}"
    return line


def _item_html(item: Item) -> list[str]:
    src = item.source
    if item.number is not None:  # a search result: title first, then the excerpt
        lines = [f"<b>{item.number}.</b> {_link(src.title, src.url)}", _meta(src)]
        if item.excerpt:
            lines.append(mark(item.excerpt, item.highlights))
        return lines
    lines = []  # an answer's source: the excerpt, then where it comes from
    if item.excerpt:
        lines.append(mark(item.excerpt, item.highlights))
    lines.append(f"📰 {_link(src.title, src.url)} · {_meta(src)}")
    return lines


def _blocks_html(reply: Reply) -> list[str]:
    """Returns the reply as paragraphs of HTML (joined by blank lines)."""
    blocks: list[str] = []
    if reply.notes:
        blocks.append("\n".join(f"<i>{escape(n)}</i>" for n in reply.notes))
    if reply.article is not None:
        art = reply.article
        head = [f"<b>{_link(art.title, art.url)}</b>", _meta(art)]
        blocks.append("\n".join(head))
    if reply.title:
        blocks.append("\n".join([f"<b>{escape(reply.title)}</b>", *([escape(reply.lead)] if reply.lead else [])]))
    elif reply.lead:
        blocks.append(escape(reply.lead))
    if reply.answer and not reply.facts:
        blocks.append(f"<b>{escape(t('answer_label', reply.lang))}:</b> <b>{escape(reply.answer)}</b>")
    if reply.facts:
        blocks.append("\n".join(_fact_line(f) for f in reply.facts))
    for item in reply.items:
        blocks.append("\n".join(_item_html(item)))
    if reply.body:
        blocks.extend(escape(p.strip()) for p in re.split(r"\n\s*\n", reply.body) if p.strip())
    return blocks


def render_html(reply: Reply, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Returns the HTML messages for a reply: laid out, right-to-left marked, split under ``limit``."""
    markup = apply_bidi("\n\n".join(_blocks_html(reply)), reply.lang)
    return split_html(markup, limit)


def render_caption(reply: Reply) -> str:
    """Returns the HTML caption of a reply's document (its caption) or photo (the reply laid out as
    a message), cut to Telegram's 1024-unit caption limit."""
    doc = reply.document
    if doc is None and reply.photo is not None:
        markup = apply_bidi("\n\n".join(_blocks_html(reply)), reply.lang)
    else:
        markup = apply_bidi(escape(doc.caption if doc else ""), reply.lang)
    parts = split_html(markup, CAPTION_LIMIT)
    return parts[0] if parts else ""


# --- plain text (terminal chat) -----------------------------------------------------------------


def _plain_mark(text: str, spans: Iterable[tuple[int, int]], color: bool) -> str:
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last or end <= start:
            continue
        out.append(text[last:start])
        word = text[start:end]
        out.append(f"\x1b[1;33m{word}\x1b[0m" if color else word)
        last = end
    out.append(text[last:])
    return "".join(out)


def _plain_source(src: SourceLine) -> str:
    meta = " · ".join(b for b in (src.published, src.source, f"#{src.article_id}") if b)
    return f"{src.title} ({meta})" + (f"\n   {src.url}" if src.url else "")


def render_plain(reply: Reply, *, color: bool = False) -> str:
    """Returns the reply as terminal text: the answer in bold with ``color`` (a TTY), plain text otherwise."""
    blocks: list[str] = [f"({n})" for n in reply.notes]
    if reply.article is not None:
        blocks.append(_plain_source(reply.article))
    if reply.title:
        blocks.append("\n".join([reply.title, *([reply.lead] if reply.lead else [])]))
    elif reply.lead:
        blocks.append(reply.lead)
    if reply.answer and not reply.facts:
        answer = f"\x1b[1m{reply.answer}\x1b[0m" if color else reply.answer
        blocks.append(f"{t('answer_label', reply.lang)}: {answer}")
    if reply.facts:
        lines = []
        for f in reply.facts:
            text = f"\x1b[1m{f.text}\x1b[0m" if color else f.text
            lines.append(f"• {f.label}: {text}" + (f" — {f.detail}" if f.detail else ""))
        blocks.append("\n".join(lines))
    for item in reply.items:
        excerpt = _plain_mark(item.excerpt, item.highlights, color) if item.excerpt else ""
        if item.number is not None:
            blocks.append(f"{item.number}. {_plain_source(item.source)}" + (f"\n   {excerpt}" if excerpt else ""))
        else:
            blocks.append((excerpt + "\n" if excerpt else "") + "— " + _plain_source(item.source))
    if reply.body:
        blocks.append(reply.body.strip())
    if reply.toast:
        blocks.append(reply.toast)
    if reply.photo is not None:
        blocks.append(f"[{reply.photo.filename}]")
    if reply.document is not None:
        blocks.append(f"[{reply.document.filename}]\n{reply.document.content.decode('utf-8', 'replace').strip()}")
    return "\n\n".join(blocks)


def buttons_plain(buttons: Sequence[Sequence[Button]]) -> list[tuple[str, Button]]:
    """Returns the buttons numbered for the terminal: [("b1", button), ...]."""
    flat = [b for row in buttons for b in row]
    return [(f"b{i}", b) for i, b in enumerate(flat, 1)]
