"""English people: a title then a capitalised name, or a bare name as the subject of "said"/"resigned"."""

from __future__ import annotations

from .doc import _Doc
from .tables import (
    _EN_DEMONYMS,
    _EN_HUMAN_VERBS,
    _EN_NAME_PARTICLES,
    _EN_OFFICE,
    _EN_ORG_SUFFIX,
    _EN_ROLE_WORDS,
    _EN_STOP,
)
from .tokens import CAP, ENTITLE, LATIN, MONTH, PLACE, PUNCT, STOP


def _name_en(doc: _Doc, k: int, limit: int = 4) -> int:
    """Last token of a capitalised name from k ("Jane Doe", "Adel al-Jubeir"), or -1."""
    T, n = doc.T, doc.n
    last = -1
    caps = 0
    j = k
    while j < n and caps < limit:
        t = T[j]
        f = t.flags
        if (
            f & LATIN
            and (f & CAP or _particle_name(t.norm))
            and not f & (STOP | ENTITLE | MONTH)
            and t.norm not in _EN_ORG_SUFFIX
        ):
            caps += 1
            last = j
        elif not (f & LATIN and t.norm in _EN_NAME_PARTICLES and caps):
            break  # particles ("bin", "al") only inside a name
        j += 1
    return last


# Verbs that only people do, after a bare capitalised name: "Hatem Ben Salah resigned as ...".


def _persons_en_before_verb(doc: _Doc) -> None:
    """English people with no title before them, named as the subject of a speech or resignation verb."""
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    i = 0
    while i < n - 2:
        t = T[i]
        if not (t.flags & LATIN and t.flags & CAP) or t.flags & (STOP | ENTITLE | MONTH | PLACE):
            i += 1
            continue
        end = _name_en(doc, i, limit=3)
        if end > i and end + 1 < n and T[end + 1].norm in _EN_HUMAN_VERBS:
            doc.add(i, end, 2, "person", S[i], E[end])
            i = end + 1
        else:
            i = max(end, i) + 1


def _particle_name(word: str) -> bool:
    """A lower-case particle glued to a capitalised name: "al-Jubeir", "bin-Salman"."""
    head, _, rest = word.partition("-")
    return bool(rest) and head in _EN_NAME_PARTICLES


def _person_en(doc: _Doc, i: int) -> int:
    """English people: "Energy Minister Jane Doe", "Gen. X", "Jane Doe, the minister of energy,"."""
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    t = T[i]
    low = t.norm.rstrip(".")
    lower_case = not t.flags & CAP
    if lower_case and low not in _EN_OFFICE:
        return -1
    # the role reaches back over "Saudi", "Energy", "Deputy", "Egypt's"
    first = i
    k = i - 1
    while k >= 0 and i - k <= 4:
        tk = T[k]
        w = tk.norm
        bare = w[:-2] if w.endswith(("'s", "’s")) else w
        if (
            tk.flags & LATIN
            and (
                bare in _EN_ROLE_WORDS
                or bare in _EN_DEMONYMS
                or tk.flags & PLACE
                or (tk.flags & CAP and (w != bare or w.endswith(("ian", "ese", "ean"))))
            )
            and w not in _EN_STOP
        ):
            first = k
            k -= 1
            continue
        break
    j = i
    if j + 1 < n and T[j + 1].norm == ".":
        j += 1
    # "Secretary of State", "Minister of Foreign Affairs"
    if j + 2 < n and T[j + 1].norm in ("of", "for") and T[j + 2].norm in _EN_ROLE_WORDS and T[j + 2].flags & CAP:
        j += 2
        while j + 1 < n and (T[j + 1].norm in _EN_ROLE_WORDS or T[j + 1].norm == "and") and T[j + 1].flags & CAP:
            j += 1
    while j + 1 < n and T[j + 1].flags & ENTITLE and T[j + 1].flags & CAP:  # "Director General"
        j += 1
        if j + 1 < n and T[j + 1].norm == ".":
            j += 1
    end = _name_en(doc, j + 1) if j + 1 < n else -1
    if end >= 0:
        doc.add(j + 1, end, 5, "person", S[j + 1], E[end], role=doc.text[S[first] : E[j]])
        return end
    if j + 2 < n and T[j + 1].norm == "," and (end := _name_en(doc, j + 2)) > j + 2:
        # "Acme's chief executive, Jane Doe, said"
        doc.add(j + 2, end, 5, "person", S[j + 2], E[end], role=doc.text[S[first] : E[j]])
        return end
    # "spokesman for the ministry, John Smith" / "the minister of energy, Jane Doe"
    if j + 1 < n and T[j + 1].norm in ("for", "of", "at"):
        c = j + 2
        while c < n and c - j <= 8 and not T[c].flags & PUNCT:
            c += 1
        if c < n and c - j <= 8 and T[c].norm == "," and c + 1 < n:
            end = _name_en(doc, c + 1)
            if end >= c + 2:
                doc.add(c + 1, end, 5, "person", S[c + 1], E[end], role=doc.text[S[first] : E[c - 1]])
                return end
    # apposition: "Jane Doe, the minister of energy," / "Jane Doe, Egypt's foreign minister"
    c = first - 1
    while c >= 0 and first - c <= 3 and T[c].norm in ("the", "a", "an", "former"):
        c -= 1
    if c >= 1 and T[c].norm == ",":
        last = c - 1
        start = last
        while start - 1 >= 0 and last - start < 3:
            tf = T[start - 1]
            cap = tf.flags & CAP and tf.flags & LATIN and not tf.flags & (STOP | ENTITLE)
            if not cap and not (tf.norm in _EN_NAME_PARTICLES and start - 2 >= 0 and T[start - 2].flags & CAP):
                break
            start -= 1
        if start < last and T[start].flags & CAP and _name_en(doc, start) == last:
            r = j
            while (
                r + 1 < n
                and not T[r + 1].flags & PUNCT
                and r - j < 6
                and T[r + 1].norm not in ("said", "says", "told", "who", "which", "announced", "added")
            ):
                r += 1
            role_start = c + 1
            while T[role_start].norm in ("the", "a", "an"):
                role_start += 1
            doc.add(start, last, 5, "person", S[start], E[last], role=doc.text[S[role_start] : E[r]])
            return r
    return -1
