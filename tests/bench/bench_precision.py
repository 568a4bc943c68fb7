"""Search precision on SaudiNewsNet: articles found for a word vs articles holding the word's family.

    python tests/bench/bench_precision.py --db ARCHIVE [--corpus ../shared/data/saudinewsnet]

``ARCHIVE`` is SaudiNewsNet ingested with ``arshif ingest`` (schema 5 or later). For each word,
"found" is ``search.run(...).total`` (what ``arshif search`` reports), "stem" is what matching by
the stem alone finds (the engine before issue 12), and "holding" is counted independently of the
engine: a regular expression over the raw title and text of every article of the corpus, after a
small normalisation written here (harakat and tatweel removed, alef forms, ة → ه, ى → ي).

A word's family, as the regex reads it: the word without its article, with an article (ال،
وال، بال، لل …) or one one-letter proclitic (و، ب، ل، ف، ك) and one of its regular suffixes (a
feminine word …ة: ة، ات، تان، تين; a nisba …ي: ين، ون، ة، ات …; any other word: ان، ين، ون، ا), or
with و at most and a pronoun suffix (…ته، …تها; …ها، …هم; never ة after a masculine word). A
quoted phrase: its words in order with any article, the first with any proclitic, no suffix.
Targets (issue 12): found/holding within 0.9–1.5 for words and 0.9–1.1 for phrases. Not
collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import zipfile
from pathlib import Path

from arshif.index import search, store

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "saudinewsnet"

WORDS = ["كورونا", "الكوري", "العملة", "العمل", "المدين", "المدينة", "العمالة", "الشركة", "السياسة",
         "السياسي", "النفط", "اليمن", "الأمن", "الحوثي", "المعلمين", "الطالبات", "المستشفى", "الوزارة",
         "الحجاج", "الرياض", "إيران", "الأسعار", "المملكة", "التعليم", "داعش"]
PHRASES = ['"وزير الخارجية"', '"الأمم المتحدة"', '"خادم الحرمين الشريفين"', '"كورونا"', '"العملة"',
           '"ولي العهد"', '"مجلس الوزراء"', '"الحرس الثوري"']

# --- the regex side: normalisation and families, written apart from index/analysis.py -------------
_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_FEMININE = ("(?:ه|ات|تان|تين)", "(?:ته|تها|تهم|تهما|تي|تنا|تك|تكم)")
_NISBA = ("(?:|ان|ين|ون|ه|ات|تان|تين)", None)
_PLAIN = ("(?:|ان|ين|ون|ا)", "(?:ها|هم|هما|كم|نا)")
_PROCLITICS = "(?:[وف]?[بك]?ال|[وف]?لل|[وبلفك])?"
_ARTICLE = "(?:[وف]?[بك]?ال|[وف]?لل)?"


def norm(text: str) -> str:
    """Return text with marks removed and alef, teh marbuta and alef maksura unified."""
    text = _MARKS.sub("", text)
    return re.sub("[أإآٱ]", "ا", text).replace("ة", "ه").replace("ى", "ي").lower()


def _core(word: str) -> str:
    w = norm(word)
    return w[2:] if w.startswith("ال") and len(w) >= 5 else w


def family_regex(word: str) -> re.Pattern[str]:
    """Return the regex of a word's family (proclitics + the word + a regular suffix)."""
    core = _core(word)
    if core.endswith("ه"):
        base, (inflections, pronouns) = core[:-1], _FEMININE
    elif core.endswith("ات") and len(core) >= 5:
        base, (inflections, pronouns) = core[:-2], _FEMININE
    elif core.endswith("ي"):
        base, (inflections, pronouns) = core, _NISBA
    else:
        base, (inflections, pronouns) = core, _PLAIN
    forms = [f"{_PROCLITICS}(?:{re.escape(core)}|{re.escape(base)}{inflections})"]
    if pronouns:
        forms.append(f"و?{re.escape(base)}{pronouns}")
    return re.compile(rf"(?<!\w)(?:{'|'.join(forms)})(?!\w)")


def phrase_regex(phrase: str) -> re.Pattern[str]:
    """Return the regex of a quoted phrase (its words with any article; proclitics on the first)."""
    words = [_core(w) for w in phrase.strip('"').split()]
    parts = [_PROCLITICS + re.escape(words[0])] + [_ARTICLE + re.escape(w) for w in words[1:]]
    return re.compile(r"(?<!\w)" + r"\W+".join(parts) + r"(?!\w)")


def texts(corpus: Path) -> list[str]:
    """Return the normalised title and text of every record of the corpus that an archive keeps
    (text not empty; the first of the records sharing a url or a text)."""
    out, urls, seen = [], set(), set()
    for path in sorted(corpus.glob("*.zip")):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                for r in json.loads(zf.read(name)):
                    text = norm(f"{(r.get('title') or '').strip()}\n{(r.get('content') or '').strip()}")
                    url = (r.get("url") or "").strip()
                    if not (r.get("content") or "").strip() or text in seen or (url and url in urls):
                        continue
                    seen.add(text)
                    urls.add(url)
                    out.append(text)
    return out


def stem_count(conn: sqlite3.Connection, query: str) -> int:
    """Return how many articles matching by stems alone finds (the engine before issue 12)."""
    parsed = search.parse_query(query)
    if not parsed.loose_terms:
        return store.count_hits(conn, " AND ".join(f'"{" ".join(p)}"' for p in parsed.phrases)
                                or f'"{parsed.terms[0]}"', parsed.filters)
    return store.count_hits(conn, search.build_match(parsed, stems=True), parsed.filters)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    docs = texts(args.corpus)
    conn = store.connect(args.db, migrate_schema=False)
    print(f"{len(docs)} records; archive {store.count_articles(conn)} articles")
    print(f"{'query':<28}{'stem':>8}{'found':>8}{'holding':>9}{'ratio':>8}  target")
    misses = 0
    for query, regex, lo, hi in ([(w, family_regex(w), 0.9, 1.5) for w in WORDS]
                                 + [(p, phrase_regex(p), 0.9, 1.1) for p in PHRASES]):
        holding = sum(1 for d in docs if regex.search(d))
        found = search.run(conn, query, limit=1).total
        ratio = found / holding if holding else float("inf")
        ok = lo <= ratio <= hi
        misses += not ok
        print(f"{query:<28}{stem_count(conn, query):>8}{found:>8}{holding:>9}{ratio:>8.2f}  "
              f"{lo}-{hi} {'ok' if ok else 'MISS'}")
    print(f"{len(WORDS) + len(PHRASES) - misses} of {len(WORDS) + len(PHRASES)} within target")


if __name__ == "__main__":
    main()
