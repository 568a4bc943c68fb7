"""Generate question/answer pairs from an archive's own sentences (cloze → question).

    python tests/bench/gen_archive_qa.py ../shared/data/saudinewsnet/*.zip --out /tmp/pairs.jsonl

The unsupervised-QA route of Lewis et al. (ACL 2019), with the engine's own extractors as the
answer finder: in each sentence, a fact the extractors find is the answer and the words around it
become the question.

- who: a person named right after (or before) an action verb («وقّع/أعلن/التقى/افتتح …») →
  «من وقّع …؟»;
- what (organisation): an organisation as the subject of such a verb → «أي جهة أعلنت …؟»;
- when: a date phrase → «متى …؟»;
- how_many: a number with its unit (money, a count of people, a percentage…) → «كم …؟»;
- where: a place after «في» → «أين …؟».

The answer's clause gives the question's words; the answer, the role written next to a person,
other dates and a random share of the remaining words are dropped, and the rest is cut to a few
words around the answer, so a question is never the sentence verbatim. Output: one JSON object a
line, ``{id, url, published, type, question, answer, sentence}``.

SaudiNewsNet is research-only (CC BY-NC-SA): the pairs are for fitting weights, never to be
copied into the repository. ``../shared/data/news-qa/`` is for measuring only; it is not read here.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from arshif.index.analysis import STOPWORDS, fold, normalize
from arshif.index.dates import extract_dates
from arshif.index.entities import extract_entities
from arshif.index.segments import split_sentences

# Verbs whose subject is the answer of «من»: (folded form, the question's verb as written).
_ACTION = {
    fold(normalize(w)): w
    for w in """وقع وقعت وقّع أعلن أعلنت التقى التقت استقبل استقبلت افتتح افتتحت دشن دشنت ترأس ترأست
    أكد أكدت قال قالت أوضح أوضحت كشف كشفت أصدر أصدرت وجه وجهت زار زارت رعى بحث بحثت قدم قدمت
    أطلق أطلقت طالب طالبت دعا دعت أشار أشارت حذر حذرت شارك شاركت عقد عقدت أجرى أجرت تسلم منح منحت""".split()
}
_STOP = frozenset(fold(normalize(w)) for w in STOPWORDS)
_CLAUSE = re.compile(r"[،,؛;:.!?؟()\[\]«»\"]|\s[-–—]\s")
_WORD = re.compile(r"\S+")
_NUMERIC_KINDS = ("money", "quantity", "percent")
_MAX_WORDS = 9


def articles(paths: list[Path]) -> Iterator[dict]:
    """Yield SaudiNewsNet records from zips of JSON arrays."""
    for path in paths:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.endswith(".json"):
                    yield from json.loads(zf.read(name))


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the clause around a span: up to the nearest comma, full stop or bracket."""
    lo = max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0)
    m = _CLAUSE.search(text, end)
    hi = m.start() if m else len(text)
    return lo, hi


def _words_outside(text: str, lo: int, hi: int, holes: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """Return (offset, word) of the clause's words that lie outside every hole."""
    out = []
    for m in _WORD.finditer(text, lo, hi):
        if not any(a < m.end() and m.start() < b for a, b in holes):
            out.append((m.start(), m.group()))
    return out


def _question_words(rnd: random.Random, words: list[tuple[int, str]], anchor: int) -> list[str]:
    """Drop a share of the words (never all content), then keep a window near the answer."""
    kept = [(o, w) for o, w in words if not (fold(normalize(w)) not in _STOP and rnd.random() < 0.25)]
    content = [x for x in kept if fold(normalize(x[1])) not in _STOP]
    if len(content) < 2:
        return []
    kept.sort(key=lambda x: abs(x[0] - anchor))
    kept = sorted(kept[:_MAX_WORDS])
    while kept and fold(normalize(kept[-1][1])) in _STOP:
        kept.pop()
    return [w for _, w in kept]


def pairs_of_sentence(rnd: random.Random, text: str, published: date | None) -> Iterator[tuple[str, str, str]]:
    """Yield (type, question, answer) made from one sentence."""
    ents = extract_entities(text)
    dates = extract_dates(text, published) if published else []
    date_spans = [(d.start, d.end) for d in dates]
    toks = [(m.start(), m.end(), fold(normalize(m.group()))) for m in _WORD.finditer(text)]

    def verb_near(s: int, e: int) -> tuple[int, int] | None:
        lo = _clause(text, s, s)[0]
        before = [t for t in toks if lo <= t[0] and t[1] <= s][-8:]  # the role may sit in between
        for t in reversed(before):
            if t[2] in _ACTION or (t[2][:1] in "وف" and t[2][1:] in _ACTION):
                return t[0], t[1]
        return None

    for e in ents:
        if e.kind in ("person", "org"):
            v = verb_near(e.start, e.end)
            if v is None:
                continue
            lo, hi = _clause(text, v[0], e.end)
            hole_start = v[1] if e.kind == "person" and e.role else e.start  # the role goes with the name
            if rnd.random() < 0.3:
                hole_start = e.start  # sometimes the question keeps the role: «من وزير … الذي»
            holes = [(hole_start, e.end), *date_spans]
            verb = text[v[0]:v[1]]
            rest = _words_outside(text, v[1], hi, holes)
            qw = _question_words(rnd, rest, e.end)
            if not qw:
                continue
            qword = "من" if e.kind == "person" else rnd.choice(("أي جهة", "ما الجهة التي", "أي جهة"))
            verb = verb[1:] if verb[:1] in "وف" and fold(normalize(verb[1:])) in _ACTION else verb
            yield ("who" if e.kind == "person" else "what"), f"{qword} {verb} {' '.join(qw)}؟", e.text
        elif e.kind in _NUMERIC_KINDS:
            lo, hi = _clause(text, e.start, e.end)
            words = _words_outside(text, lo, hi, [(e.start, e.end), *date_spans])
            qw = _question_words(rnd, words, e.start)
            if not qw:
                continue
            if e.kind == "quantity" and e.unit == "person":
                unit_word = text[e.start:e.end].split()[-1]
                yield "how_many", f"كم عدد {unit_word} {' '.join(qw)}؟", e.text
            elif e.kind == "percent":
                yield "how_many", f"كم نسبة {' '.join(qw)}؟", e.text
            else:
                yield "how_many", f"كم {' '.join(qw)}؟", e.text
        elif e.kind == "place":
            prev = text[max(0, e.start - 4):e.start]
            if not re.search(r"(?:^|\s)في\s+$", prev):
                continue
            lo, hi = _clause(text, e.start, e.end)
            fi = prev.rfind("في")
            words = _words_outside(text, lo, hi, [(e.start - (len(prev) - fi), e.end), *date_spans])
            qw = _question_words(rnd, words, e.start)
            if qw:
                yield "where", f"أين {' '.join(qw)}؟", e.text
    for d in dates:
        if d.precision not in ("day", "month", "year", "part_of_month"):
            continue
        if not re.search(r"\d|\w{5}", d.text) and rnd.random() < 0.7:
            continue  # «اليوم», «أمس» would crowd out the calendar dates
        lo, hi = _clause(text, d.start, d.end)
        words = _words_outside(text, lo, hi, [(d.start, d.end)])
        if not any(fold(normalize(w)) in _ACTION or len(w) > 3 for _, w in words):
            continue
        qw = _question_words(rnd, words, d.start)
        if qw:
            yield "when", f"متى {' '.join(qw)}؟", d.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--every", type=int, default=1, help="use every Nth article")
    parser.add_argument("--per-article", type=int, default=4, help="at most this many pairs per article")
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    counts: dict[str, int] = {}
    n = 0
    with args.out.open("w", encoding="utf-8") as out:
        for k, a in enumerate(articles(args.inputs)):
            if k % args.every or not a.get("content"):
                continue
            try:
                published = date.fromisoformat(str(a.get("date_extracted", ""))[:10])
            except ValueError:
                published = None
            body = a["content"]
            made = []
            for s, e in split_sentences(body)[:12]:  # the lead holds the news
                made.extend((t, q, ans, body[s:e]) for t, q, ans in pairs_of_sentence(rnd, body[s:e], published))
            rnd.shuffle(made)
            # one of each type first, so the rarer types are not crowded out
            seen: dict[str, int] = {}
            order = []
            for x in made:
                seen[x[0]] = seen.get(x[0], 0) + 1
                order.append(seen[x[0]])
            made = [x for _, x in sorted(zip(order, made, strict=True), key=lambda p: p[0])]
            for t, q, ans, sentence in made[: args.per_article]:
                n += 1
                counts[t] = counts.get(t, 0) + 1
                out.write(json.dumps({"id": n, "url": a.get("url"), "published": str(published or ""), "type": t,
                                      "question": q, "answer": ans, "sentence": sentence}, ensure_ascii=False) + "\n")
    print(f"{n} pairs: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
