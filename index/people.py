"""People profiles from the facts extracted at ingest: who someone is, according to the archive.

A name typed by a user becomes a person in three steps:

1. **Match form.** Both the name and every stored person key are reduced the same way: folded and
   normalised (hamza forms, ة/ه, ى/ي), «عبد العزيز» joined to «عبدالعزيز», the article «ال» and the
   connectors «بن/ابن/بنت» dropped, a leading title («الفريق», «الرئيس», "President") removed.
2. **Candidates.** Keys whose match form equals the name's, holds it as a subsequence with the same
   first word (a missing middle name: «مهاب مميش» → «مهاب محمد مميش»), is held in it, or differs by a
   typo in each word (rapidfuzz).
3. **People.** Candidates are grouped, most mentioned first: a key joins the group of a more
   mentioned key when one holds the other with the same first word («جون كيري اجتماعا» is «جون
   كيري»). One group is a profile; several are listed so the user can choose.

Roles come from the ``role`` of each mention. Extraction sometimes stops a role at a construct
noun («رئيس هيئة»); the profile completes it from the words that follow it in the article
(«رئيس هيئة قناة السويس») and merges a role into its completion.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from . import store
from .analysis import STOPWORDS, fold, normalize

__all__ = ["Candidate", "Lookup", "Profile", "RoleSpan", "find_people", "lookup", "match_form", "profile", "warm"]

log = logging.getLogger(__name__)

MAX_CANDIDATES = 8
MAX_GROUPED = 200  # candidates grouped into people, most mentioned first
LATEST = 5
NEAR = 300  # characters around a mention where organisations and places count as "with" them
DOMINANT = 3.0  # a group with this many times the mentions of the next one is the person meant
DOMINANT_ONE_WORD = 10.0  # the same for a one-word name («السيسي»), which is vaguer

# Titles users type before a name; they are not part of it.
_TITLES = frozenset(fold(normalize(w)) for w in """
    الرئيس رئيس الملك الامير الأمير الشيخ السيد السيدة الدكتور الدكتورة د المهندس الفريق اللواء العميد
    المشير الوزير وزير سمو معالي فخامة سماحة الحاج الاستاذ الأستاذ
    president king prince sheikh mr mrs ms dr minister general sir""".split())
# «بن» is kept (as one spelling): «خالد الفيصل» and «خالد بن فيصل» are different people.
_CONNECTORS = {fold(normalize(w)): "بن" for w in "بن ابن bin ibn".split()} | {"بنت": "بنت"}
_GLUED_FIRST = frozenset(fold(normalize(w)) for w in "عبد ابو أبو".split())

# Words after which a role is unfinished («رئيس هيئة …»): its complement is in the text.
_OPEN_HEADS = frozenset(fold(normalize(w)) for w in """
    رئيس رئيسة وزير وزيرة مدير مديرة نائب محافظ امين أمين سفير قائد مستشار مساعد وكيل عضو
    هيئة وزارة مجلس شركة جامعة مؤسسة بنك مصرف اتحاد نادي لجنة جمعية غرفة منظمة مركز ادارة إدارة دائرة
    صندوق سلطة قوات حزب حركة جهاز مكتب مصلحة ديوان قسم كلية معهد بلدية امانة أمانة رابطة نقابة""".split())
# Words that end a role's completion: titles before the name, time words, particles and verbs.
_ROLE_STOP = _TITLES | frozenset(fold(normalize(w)) for w in """
    اليوم أمس امس غدا صباح مساء الليلة السبت الأحد الاحد الاثنين الإثنين الثلاثاء الأربعاء الاربعاء
    الخميس الجمعة حاليا سابقا قال قالت أكد اكد أعلن اعلن أوضح اوضح أشار اشار وقال وأكد واكد إن ان أن
    الذي التي خلال بعد قبل عند لدى منذ حول""".split()) | frozenset(fold(normalize(w)) for w in STOPWORDS)
# Ranks written between a role and the name; a role does not end with one.
_RANKS = frozenset(fold(normalize(w)) for w in "الفريق اللواء العميد المشير الدكتور المهندس".split())
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_MAX_ROLE_WORDS = 7


@dataclass(frozen=True, slots=True)
class RoleSpan:
    """A role the archive gives a person, as written, with when and how often it was seen."""

    role: str
    first: str | None
    last: str | None
    mentions: int


@dataclass(frozen=True, slots=True)
class Candidate:
    """A person a name may mean: their most common written name and how often they appear."""

    key: str
    name: str
    mentions: int
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    """What the archive says about one person."""

    name: str
    key: str
    keys: tuple[str, ...]
    articles: int
    mentions: int
    first: str | None
    last: str | None
    roles: tuple[RoleSpan, ...] = ()
    orgs: tuple[tuple[str, int], ...] = ()
    places: tuple[tuple[str, int], ...] = ()
    people: tuple[tuple[str, int], ...] = ()
    latest: tuple[int, ...] = ()  # article ids, newest first

    def as_dict(self) -> dict:
        """Return the JSON form printed by ``arshif who --json``."""
        return {
            "name": self.name, "key": self.key, "keys": list(self.keys), "articles": self.articles,
            "mentions": self.mentions, "first": self.first, "last": self.last,
            "roles": [{"role": r.role, "first": r.first, "last": r.last, "mentions": r.mentions} for r in self.roles],
            "orgs": [{"name": n, "articles": c} for n, c in self.orgs],
            "places": [{"name": n, "articles": c} for n, c in self.places],
            "people": [{"name": n, "articles": c} for n, c in self.people],
            "latest": list(self.latest),
        }


@dataclass(frozen=True, slots=True)
class Lookup:
    """The answer to a name: one profile, several candidates, or neither (nobody by that name)."""

    name: str
    profile: Profile | None = None
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)


# --- match forms -------------------------------------------------------------------------------


def match_form(name: str, *, strip_titles: bool = False) -> tuple[str, ...]:
    """Return the words a name is compared by (see the module docstring, step 1)."""
    words = [w for w in _WORD.findall(fold(normalize(name)).lower())]
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in _GLUED_FIRST and i + 1 < len(words):  # «عبد العزيز» is one name word
            w = w + words[i + 1]
            i += 1
        i += 1
        if w == "ال":  # «آل سعود» → «ال سعود» → «سعود»
            continue
        w = _CONNECTORS.get(w, w)
        if w.startswith("ال") and len(w) > 4:
            w = w[2:]
        elif w.startswith("عبدال") and len(w) > 6:  # «عبدالعزيز» and «عبد العزيز» → «عبدعزيز»
            w = "عبد" + w[5:]
        out.append(w)
    if strip_titles:
        while len(out) > 1 and (out[0] in _TITLES or "ال" + out[0] in _TITLES):
            out.pop(0)
    return tuple(out)


def _holds(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    """True when ``shorter`` is ``longer`` with words left out (a middle name, a trailing family
    name), starting with the same word. A connector («بن») is never left out inside: «خالد بن
    فيصل» (Khalid, son of Faisal) is not «خالد الفيصل»."""
    if not shorter or not longer or shorter[0] != longer[0] or len(shorter) > len(longer):
        return False
    i = 0
    for w in longer:
        if i == len(shorter):
            return True  # the rest of the longer name extends it
        if w == shorter[i]:
            i += 1
        elif w in ("بن", "بنت"):
            return False
    return i == len(shorter)


def _same_lineage(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """True when two names agree on «X بن Y» and differ after it only (a family name, or a word the
    extractor took along: «سلمان بن عبدالعزيز آل سعود», «سلمان بن عبدالعزيز بموجب …»)."""
    return len(a) >= 3 and len(b) >= 3 and a[:3] == b[:3] and a[1] in ("بن", "بنت")


def _close(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """True when two names differ only by small typos, word by word."""
    return len(a) == len(b) and len(a) >= 2 and all(fuzz.ratio(x, y) >= 85 for x, y in zip(a, b, strict=True))


# --- the name index, cached per database and archive size ---------------------------------------


@dataclass(slots=True)
class _Names:
    forms: dict[str, tuple[str, ...]]  # key → match form
    counts: dict[str, int]  # key → mentions
    by_first: dict[str, list[str]]  # first word of the match form → keys
    by_last: dict[str, list[str]]  # last word of the match form → keys (a family name alone)


    upto: int = 0  # the archive's highest article id when last read


# One name index per database file. Built in one pass over the facts (0.3-0.6 s on 31k articles),
# then brought up to date with the facts of new articles only, so a growing archive never pays
# the full pass again.
_CACHE: dict[str, _Names] = {}
_CACHE_LOCK = threading.Lock()


def _names(conn: sqlite3.Connection) -> _Names:
    path = store.database_file(conn)
    high = store.max_article_id(conn)
    with _CACHE_LOCK:
        names = _CACHE.get(path)
        if names is not None and names.upto > high:  # the archive was replaced by a smaller one
            names = None
        if names is None:
            names = _CACHE[path] = _Names({}, {}, defaultdict(list), defaultdict(list))
            rows = store.person_names(conn)
        elif names.upto < high:
            rows = store.person_names(conn, after_id=names.upto)
        else:
            return names
        for k, n in rows:
            if k in names.counts:
                names.counts[k] += n
                continue
            form = match_form(k)
            if not form:
                continue
            names.forms[k], names.counts[k] = form, n
            names.by_first[form[0]].append(k)
            if len(form) > 1 and form[-2] not in ("بن", "بنت"):  # not a father's name
                names.by_last[form[-1]].append(k)
        names.upto = high
        return names


def warm(conn: sqlite3.Connection) -> None:
    """Build the name index ahead of the first /who (the bot calls this at start)."""
    _names(conn)


def _candidates(names: _Names, query: tuple[str, ...]) -> list[str]:
    found = []
    for k in names.by_first.get(query[0], ()):
        form = names.forms[k]
        if form == query or _holds(form, query) or (len(form) >= 2 and _holds(query, form)):
            found.append(k)
    if len(query) == 1:  # a family name alone: «السيسي»
        found.extend(names.by_last.get(query[0], ()))
    if not found and len(query) >= 2:
        for first, keys in names.by_first.items():
            if fuzz.ratio(first, query[0]) < 85:
                continue
            found.extend(k for k in keys if _close(names.forms[k], query) or _close(names.forms[k][:len(query)], query))
    return found


def _group(names: _Names, keys: list[str]) -> list[list[str]]:
    """Group keys into people, most mentioned first (see the module docstring, step 3)."""
    groups: list[list[str]] = []
    # A first name alone («محمد») has thousands of candidates; the most mentioned few hundred decide
    # the people listed (and whether one dominates), the long tail of one-mention keys does not.
    for k in sorted(keys, key=lambda k: (-names.counts[k], k))[:MAX_GROUPED]:
        form = names.forms[k]
        for g in groups:
            rep = names.forms[g[0]]
            if min(len(rep), len(form)) >= 2 and (_holds(rep, form) or _holds(form, rep) or _close(rep, form)
                                                  or _same_lineage(rep, form)):
                g.append(k)
                break
        else:
            groups.append([k])
    return groups


# --- roles ----------------------------------------------------------------------------------------


def _complete_role(role: str, around: str, mention: tuple[int, int]) -> str:
    """Return ``role`` with the words that finish it in the text («رئيس هيئة» → «رئيس هيئة قناة السويس»)."""
    words = role.split()
    if not words or fold(normalize(words[-1])) not in _OPEN_HEADS:
        return role
    best = None
    for m in re.finditer(re.escape(role), around):
        if best is None or abs(m.start() - mention[0]) < abs(best.start() - mention[0]):
            best = m
    if best is None:
        return role
    pos, added = best.end(), []
    while len(words) + len(added) < _MAX_ROLE_WORDS:
        m = re.compile(r"[ \t]+([^\W\d_]+)").match(around, pos)
        if m is None or mention[0] <= m.start(1) < mention[1] or m.start(1) == mention[0]:
            break
        word = fold(normalize(m.group(1)))
        if word in _ROLE_STOP or (word[:1] in "وف" and word[1:] in _ROLE_STOP):
            break
        added.append(m.group(1))
        pos = m.end()
        if fold(normalize(m.group(1))) not in _OPEN_HEADS and len(added) >= 2:
            break  # «هيئة قناة السويس»: a head and its complement; more would be the sentence
    return " ".join([role, *added])


def _without_trailing_title(role: str) -> str:
    """Return a role without the rank written just before the name («رئيس القناة الفريق»)."""
    words = role.split()
    while len(words) > 1 and fold(normalize(words[-1])) in _RANKS:
        words.pop()
    return " ".join(words)


def _merge_roles(seen: dict[str, list[str | None]]) -> list[RoleSpan]:
    """Return roles with unfinished ones («رئيس هيئة») merged into their commonest completion and
    one-word-longer variants («… المصرية») merged into the shorter, most common first."""
    norm = {r: tuple(fold(normalize(r)).split()) for r in seen}
    order = sorted(seen, key=lambda r: (-len(seen[r]), r))
    target: dict[str, str] = {}
    for r in order:
        form = norm[r]
        into = None
        for other in order:
            o = norm[other]
            if other == r or target.get(other, other) != other:
                continue
            if form[-1] in _OPEN_HEADS and len(o) > len(form) and o[:len(form)] == form:
                into = other  # unfinished role → its commonest completion
                break
            if len(form) == len(o) + 1 and form[:len(o)] == o and o[-1] not in _OPEN_HEADS:
                into = other  # one more word («المصرية») → the plain form
                break
        target[r] = into or r
    merged: dict[str, list[str | None]] = defaultdict(list)
    for r in order:
        t = r
        while target[t] != t:
            t = target[t]
        merged[t].extend(seen[r])
    spans = []
    for r, dates in merged.items():
        known = sorted(d for d in dates if d)
        spans.append(RoleSpan(r, known[0] if known else None, known[-1] if known else None, len(dates)))
    return sorted(spans, key=lambda s: (-s.mentions, s.role))


# --- public ---------------------------------------------------------------------------------------


def find_people(conn: sqlite3.Connection, name: str) -> list[list[str]]:
    """Return the people ``name`` may mean, each as its person keys, most mentioned first."""
    query = match_form(name, strip_titles=True)
    if not query:
        return []
    names = _names(conn)
    return _group(names, _candidates(names, query))


def lookup(conn: sqlite3.Connection, name: str, *, exact_key: str | None = None) -> Lookup:
    """Return the profile of the person ``name`` means, or the candidates when it is ambiguous.

    ``exact_key`` picks the group holding that key (a candidate the user chose).
    """
    started = time.perf_counter()
    groups = find_people(conn, exact_key or name)
    names = _names(conn)
    if exact_key:
        groups = [g for g in groups if exact_key in g][:1]
    totals = [sum(names.counts[k] for k in g) for g in groups]
    query = match_form(name, strip_titles=True)
    dominant = DOMINANT if len(query) >= 2 else DOMINANT_ONE_WORD
    if not groups or (len(groups) > 1 and totals[0] < dominant * totals[1]):
        candidates = tuple(_candidate(conn, names, g) for g in groups[:MAX_CANDIDATES])
        log.info("who: %d chars, %d candidates, %.1f ms", len(name), len(groups),
                 (time.perf_counter() - started) * 1000)
        return Lookup(name, candidates=candidates)
    result = profile(conn, groups[0])
    log.info("who: %d chars, %d mentions, %.1f ms", len(name), result.mentions, (time.perf_counter() - started) * 1000)
    return Lookup(name, profile=result)


def _candidate(conn: sqlite3.Connection, names: _Names, keys: list[str]) -> Candidate:
    rows = store.person_mentions(conn, keys[:1], context=0)
    written = Counter(r.text for r in rows).most_common(1)
    roles = Counter(r.role for r in rows if r.role).most_common(1)
    return Candidate(keys[0], written[0][0] if written else keys[0], sum(names.counts[k] for k in keys),
                     roles[0][0] if roles else None)


def profile(conn: sqlite3.Connection, keys: list[str]) -> Profile:
    """Return the profile of the person known by these keys (the first is the main one)."""
    rows = store.person_mentions(conn, keys)
    written = Counter(r.text for r in rows if r.key == keys[0]) or Counter(r.text for r in rows)
    name = written.most_common(1)[0][0] if written else keys[0]
    roles: dict[str, list[str | None]] = defaultdict(list)
    latest: dict[int, str] = {}
    for r in rows:
        latest[r.article_id] = r.published or ""
        if r.role:
            start = r.start - r.around_start
            role = _complete_role(r.role.strip(), r.around, (start, start + r.end - r.start))
            roles[_without_trailing_title(role)].append(r.published)
    dates = sorted(d for d in latest.values() if d)
    near = store.facts_near_people(conn, keys, ("org", "place", "person"), distance=NEAR)
    own = set(keys)
    forms = _names(conn).forms
    own_first = forms.get(keys[0], match_form(keys[0]))[:1]
    by_kind: dict[str, dict[str, set[int]]] = {"org": defaultdict(set), "place": defaultdict(set),
                                                "person": defaultdict(set)}
    texts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in near:
        k = r.key or fold(normalize(r.text))
        if r.kind == "person":
            if k in own or forms.get(k, (k,))[:1] == own_first:
                continue
            k = " ".join(forms.get(k) or match_form(k))  # «عبد الفتاح السيسي» is «عبدالفتاح السيسي»
        by_kind[r.kind][k].add(r.article_id)
        texts[(r.kind, k)][r.text] += 1

    # Beside someone often in the news, a name seen with them once is mostly extraction noise.
    least = 2 if len(latest) >= 5 else 1

    def top(kind: str, n: int = 6) -> tuple[tuple[str, int], ...]:
        ranked = sorted(((k, ids) for k, ids in by_kind[kind].items() if len(ids) >= least),
                        key=lambda kv: (-len(kv[1]), kv[0]))[:n]
        return tuple((texts[(kind, k)].most_common(1)[0][0], len(ids)) for k, ids in ranked)

    newest = sorted(latest, key=lambda a: (latest[a], a), reverse=True)[:LATEST]
    return Profile(
        name=name, key=keys[0], keys=tuple(keys), articles=len(latest), mentions=len(rows),
        first=dates[0] if dates else None, last=dates[-1] if dates else None,
        roles=tuple(_merge_roles(roles)[:6]), orgs=top("org"), places=top("place"), people=top("person", 5),
        latest=tuple(newest),
    )
