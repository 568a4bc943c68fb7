"""Organisations: Arabic heads («شركة …», «الهيئة العامة للإحصاء»), English names, acronyms, fixed names."""

from __future__ import annotations

from collections.abc import Mapping

from .doc import _Doc, _quoted
from .people_ar import _cue_at
from .tables import (
    _EN_ORG_LINKS,
    _EN_ORG_PREFIX,
    _EN_ORG_SUFFIX,
    _FIXED_ORGS_AR,
    _FIXED_ORGS_EN,
    _NOT_ORG_ACRONYMS,
    _ORG_HEADS,
    _ORG_HEADS_DEF,
    _ORG_HEADS_DEF_WEAK,
    _ORG_HEADS_WEAK,
    _n,
)
from .tokens import (
    _FIXED,
    _FIXED_FIRST,
    _TOK_CACHE,
    ARABIC,
    CAP,
    COMPOUND,
    CONJ,
    CONSTRUCT,
    CURR,
    DEF,
    ENORG,
    ENTITLE,
    FEM,
    FIXEDORG,
    GENTILIC,
    ISPLACE,
    LATIN,
    NUMWORD,
    OCUE,
    PCUE,
    PLACE,
    PRON,
    PUNCT,
    QUOTE,
    STOP,
    UPPER,
    VERBISH,
    WAW,
    YAA,
    entity_key,
)


def _orgs(doc: _Doc, trig: list[int]) -> None:
    T = doc.T
    for i in trig:
        f = T[i].flags
        if f & OCUE:
            _org_ar(doc, i)
        elif f & ENORG:
            _org_en(doc, i)
        elif f & UPPER and not f & (PLACE | CURR):
            _acronym(doc, i)


def _org_ar(doc: _Doc, i: int) -> None:
    """«شركة "نيوم"», «شركة NSO», «وزارة الطاقة والثروة المعدنية», «الهيئة العامة للإحصاء»."""
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    t = T[i]
    off, head = 0, t.norm
    if head not in _ORG_HEADS and head not in _ORG_HEADS_DEF:
        for o, form in t.variants[1:]:
            if form in _ORG_HEADS or form in _ORG_HEADS_DEF:
                off, head = o, form
                break
        else:
            return
    definite = head.startswith("ال")
    if head == _n("مجلس") and i + 1 < n and T[i + 1].norm in (_n("إدارة"), _n("ادارة")):
        return  # «مجلس إدارة شركة …»: the board belongs to the company that follows
    k = i + 1
    last = i
    bare_ok = not definite  # «شركة أرامكو»: one bare word may name the organisation
    royal = 0  # «جامعة الملك عبد العزيز»: words of a royal name
    lam = False  # a لـ complement seen («للإحصاء», «لتنمية»)
    while k < n and k - i <= 9:
        tk = T[k]
        fk = tk.flags
        nk = tk.norm
        if fk & QUOTE:
            c = _quoted(doc, k)
            if c < 0:
                break
            last = k = c
            k += 1
            bare_ok = False
            continue
        if fk & (PUNCT | STOP):
            break
        if fk & LATIN:
            if fk & (CAP | UPPER):
                last = k
                k += 1
                bare_ok = False
                continue
            break
        if not fk & ARABIC:
            break
        if royal and not fk & (DEF | PCUE | OCUE | CONJ | PRON):
            if fk & COMPOUND and k + 1 < n:
                k += 1
            last = k
            k += 1
            royal -= 1
            continue
        if fk & PCUE:
            if tk.cue and tk.cue[1] == "royal" and not fk & CONJ:
                royal = 2
                last = k
                k += 1
                continue
            if _cue_at(doc, k) is not None:
                break
        if fk & CONJ and fk & (OCUE | PCUE):
            break  # «… والاتحاد الأوروبي»: a second name begins
        if fk & DEF:
            if nk.startswith(("بال", "كال", "فال")):
                break  # a preposition: «وزارة الطاقة بالعاصمة»
            lam = lam or nk.startswith("لل")
            last = k
            k += 1
            bare_ok = False
            continue
        if fk & CONSTRUCT and not fk & CONJ:
            if nk[0] == "ب":
                break  # «… بقيادة»: a preposition
            lam = lam or nk[0] == "ل"
            last = k
            k += 1
            bare_ok = True
            continue
        if nk[0] == "ل" and not lam and len(nk) >= 4 and not fk & (PCUE | ISPLACE | PRON | YAA) and last > i:
            lam = True  # «المركز الوطني لتنمية الغطاء النباتي», «صندوق لدعم المهندسين»
            last = k
            k += 1
            bare_ok = False
            continue
        if fk & ISPLACE and not fk & (FEM | CONJ):
            last = k
            k += 1
            bare_ok = False
            continue
        if (
            bare_ok
            and not fk & (PCUE | GENTILIC | NUMWORD | WAW | PRON | VERBISH | FEM)
            and not nk.endswith("يه")
            and len(nk) >= 2
        ):
            last = k
            k += 1
            bare_ok = False
            continue
        break
    if last == i:
        return
    if head in _ORG_HEADS_WEAK and last == i + 1 and T[last].flags & DEF:
        return
    if definite and not T[i + 1].norm.startswith("ال") and not T[i + 1].flags & QUOTE:
        return  # «الشركة للمستخدمين»: a definite head needs its adjective
    if definite:
        if head in _ORG_HEADS_DEF_WEAK and not lam:
            return
        if not any(T[x].flags & DEF or T[x].norm.startswith("لل") for x in range(i + 1, last + 1)):
            return
    doc.add(i, last, 3, "org", S[i] + off, E[last])


def _org_en(doc: _Doc, i: int) -> None:
    """English organisations: "Foreign Ministry", "Acme Holdings Inc", "Ministry of Foreign Affairs"."""
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    t = T[i]
    if not t.flags & CAP:
        return
    low = t.norm
    first = last = i
    if low in _EN_ORG_SUFFIX:  # capitalised words before the suffix
        k = i - 1
        while k >= 0 and i - k <= 6:
            fk = T[k].flags
            if fk & CAP and not fk & (STOP | ENTITLE):
                first = k
            elif not (T[k].norm in _EN_ORG_LINKS and T[k].norm != "the" and k > 0 and T[k - 1].flags & CAP):
                break
            k -= 1
        if i + 1 < n and T[i + 1].norm == "." and low in ("inc", "ltd", "corp", "co"):
            last = i + 1
    if low in _EN_ORG_PREFIX and i + 2 < n and T[i + 1].norm in ("of", "for"):  # "Ministry of X and Y"
        k = i + 2
        while k < n and k - i <= 8:
            fk = T[k].flags
            if (fk & CAP and not fk & (STOP | ENTITLE)) or fk & UPPER:
                last = k
            elif not (T[k].norm in _EN_ORG_LINKS and k + 1 < n and T[k + 1].flags & CAP):
                break
            k += 1
    if first < last:
        doc.add(first, last, 3, "org", S[first], E[last])


def _acronym(doc: _Doc, i: int) -> None:
    """NSO, OPEC, UN: 2–6 capitals, unless they are common non-organisation abbreviations."""
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    raw = doc.text[S[i] : E[i]]
    bare = raw.replace(".", "")
    if bare in _NOT_ORG_ACRONYMS or not bare.isalpha() or len(bare) < 2:
        return
    if i + 1 < n and T[i + 1].norm in "-–—" and (i == 0 or "\n" in doc.text[E[i - 1] : S[i]]):
        return  # "TUNIS - …": a dateline, not an organisation
    # a shouted headline is not a run of acronyms
    for k in (i - 1, i + 1):
        if 0 <= k < n and T[k].flags & LATIN and T[k].flags & CAP:
            other = doc.text[S[k] : E[k]]
            if other.isupper() and len(other) > 6:
                return
    doc.add(i, i, 1, "org", S[i], E[i])


def _fixed(doc: _Doc, trig: list[int]) -> None:
    """Organisations known by name alone (الأمم المتحدة, Hezbollah)."""
    T = doc.T
    index = _FIXED
    for i in trig:
        if T[i].flags & FIXEDORG:
            _match_names(doc, i, index, 3, require_cap=bool(T[i].flags & LATIN))


def _match_names(doc: _Doc, i: int, index: Mapping, prio: int, require_cap: bool = False) -> bool:
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    for off, form in T[i].variants:
        entries = index.get(form)
        if not entries:
            continue
        for rest, kind, key in entries:
            j = i
            ok = True
            for w in rest:
                j += 1
                while j < n and T[j].flags & QUOTE:
                    j += 1
                if j >= n or T[j].norm != w:
                    ok = False
                    break
            if not ok:
                continue
            if require_cap and not T[i].flags & CAP:
                continue
            doc.add(i, j, prio, kind, S[i] + off, E[j], key=key)
            return True
    return False


def _fixed_orgs() -> dict[str, tuple[tuple[tuple[str, ...], str, str], ...]]:
    index: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
    for block in (_FIXED_ORGS_AR, _FIXED_ORGS_EN):
        for name in block:
            key = entity_key(name.strip())
            if key:
                words = key.split()
                index.setdefault(words[0], []).append((tuple(words[1:]), "org", key))
    return {w: tuple(sorted(v, key=lambda p: -len(p[0]))) for w, v in index.items()}


def _init_fixed() -> None:
    """Build the fixed-organisation index (needs the tokeniser, hence here and not in ``tokens``)."""
    _FIXED.update(_fixed_orgs())
    _FIXED_FIRST.update(_FIXED)
    _TOK_CACHE.clear()  # tokens analysed while building were classified without this table


_init_fixed()
