"""Arabic people: a title then a name, a name then «، رئيس …», a speech verb then a name and a role."""

from __future__ import annotations

from .doc import _Doc, _quoted
from .people_en import _person_en
from .tables import (
    _NAMED_AFTER,
    _PERSON_CUE_PHRASES,
    _ROLE_ADJ,
    _ROLE_LINKS,
    _SPEECH,
    _STRICT_HONOR,
    _TITLE_MODIFIERS,
    _n,
)
from .tokens import (
    ARABIC,
    CAP,
    COMPOUND,
    CONJ,
    CONSTRUCT,
    DEF,
    ENTITLE,
    FEM,
    GENTILIC,
    GIVEN,
    ISPLACE,
    LATIN,
    MONTH,
    NUM,
    NUMWORD,
    OCUE,
    PCUE,
    PLACECUE,
    PRON,
    PUNCT,
    QUOTE,
    SCALE,
    SPEECH,
    STOP,
    UNITW,
    VERBISH,
    WAW,
    YAA,
    _Tok,
)


def _persons(doc: _Doc, trig: list[int]) -> None:
    T = doc.T
    done = -1  # people found so far end here: titles inside a role are not new cues
    for i in trig:
        if i <= done:
            continue
        f = T[i].flags
        if f & PCUE:
            done = max(done, _person_after_cue(doc, i))
        elif f & SPEECH:
            done = max(done, _person_after_speech(doc, i))
        elif f & ENTITLE:
            done = max(done, _person_en(doc, i))


def _cue_at(doc: _Doc, k: int) -> tuple[int, int, str] | None:
    """If a person cue starts at token k, return (offset, last cue token, class)."""
    T, n = doc.T, doc.n
    t = T[k]
    if t.cue is None:
        return None
    off, cls = t.cue
    form = t.norm if not off else next(v for o, v in t.variants if o == off)
    for rest, pcls in _PERSON_CUE_PHRASES.get(form, ()):
        j = k + len(rest)
        if j < n and all(T[k + 1 + x].norm == w for x, w in enumerate(rest)):
            return off, j, pcls
    if cls == "phrase":
        return None
    return off, k, cls


def _role_complement(doc: _Doc, k: int, cls: str, head: str) -> tuple[int, str, str, int]:
    """Consume the complement of a title («الطاقة الأردني», «هيئة "السايبر" الإسرائيلية»).

    Returns the index of the first token after the role, and the class, head word and last token
    of the last title seen (titles chain: «نظيره المغربي الجنرال»).
    """
    T, n = doc.T, doc.n
    start = k
    cue_end = k - 1
    after_construct = False
    while k < n and k - start < 10:
        t = T[k]
        f = t.flags
        if f & QUOTE:
            c = _quoted(doc, k)
            if c < 0:
                break
            if not after_construct and _name_ar(doc, k + 1) == c - 1:
                break  # «الرئيس الروسي "فلاديمير بوتين"»: the quotes hold the name
            k = c + 1
            after_construct = False
            continue
        if f & PUNCT:
            break
        if f & PCUE and not f & CONJ:
            cue = _cue_at(doc, k)
            if cue is not None:
                head = t.norm if not cue[0] else t.variants[-1][1]
                cue_end = cue[1]
                k = cue[1] + 1
                cls = cue[2] if cue[2] != "address" else cls
                after_construct = False
                continue
        if t.norm in _ROLE_LINKS or (t.norm in _ROLE_ADJ and k == cue_end + 1):
            k += 1  # «المتحدث باسم», «مدير عام»
            continue
        if f & STOP:
            # «السفير … في الرياض»: a preposition and a place stay inside the role
            if t.norm in (_n("في"), _n("لدى")) and k + 1 < n and T[k + 1].flags & ISPLACE:
                k += 2
                continue
            break
        if not f & (ARABIC | LATIN):
            break
        if f & DEF:
            if f & CONJ and (f & PCUE or (not f & GENTILIC and k > start and not T[k - 1].flags & DEF)):
                break  # «… والعقيد فلان»: a second person; «… والطاقة» after a bare word
            if cls in ("honor", "royal"):
                if f & GENTILIC or t.norm in _TITLE_MODIFIERS:
                    k += 1
                    continue
                break
            k += 1
            after_construct = False
            continue
        if t.norm in _TITLE_MODIFIERS and cls in ("honor", "office"):
            k += 1
            continue
        if cls in ("honor", "royal"):
            break
        if f & CONSTRUCT:
            k += 1
            after_construct = True
            continue
        if f & ISPLACE and not f & GIVEN:
            k += 1
            after_construct = False
            continue
        if f & LATIN and after_construct:
            k += 1
            continue
        if after_construct and not f & (GIVEN | COMPOUND) and _name_ahead(doc, k + 1) >= 2:
            k += 1
            after_construct = False
            continue
        break
    return k, cls, head, cue_end


def _name_ahead(doc: _Doc, k: int) -> int:
    """How many name-like words follow from k (0–3), cheaply."""
    T, n = doc.T, doc.n
    c = 0
    while k < n and c < 3:
        f = T[k].flags
        if f & (PUNCT | STOP | LATIN | NUM) or not f & ARABIC or (f & PCUE and _cue_at(doc, k)):
            break
        c += 1
        k += 1
    return c


def _boundary(doc: _Doc, k: int) -> bool:
    """True at the end of the text or at a word that cannot continue a name."""
    return k >= doc.n or bool(doc.T[k].flags & (PUNCT | STOP | PCUE | SPEECH | NUM | MONTH | COMPOUND))


def _name_ar(doc: _Doc, k: int, def_first: bool = False, limit: int = 4) -> int:
    """Return the last token of an Arabic name starting at k, or -1.

    Up to 4 parts; عبد/أبو/بن/آل take the next word along; a definite family name («الخطيب»)
    ends the name; particles, verbs, glued prepositions and punctuation stop it. A third bare
    word is taken only when a clear boundary follows («بنيامين نتنياهو قرار …» keeps two).
    """
    T, n = doc.T, doc.n
    parts = bare = 0
    last = -1
    j = k
    while j < n and parts < limit:
        t = T[j]
        f = t.flags
        blocked = not f & ARABIC or f & (STOP | PUNCT | NUM | NUMWORD | SCALE | UNITW | MONTH | PRON | VERBISH)
        if blocked and not (f & PRON and _family_name(doc, k, j, parts)):
            break
        if f & DEF and not t.norm.startswith("ال"):
            break  # «للموافقة», «بالجيش», «والوزير»
        if f & COMPOUND:
            if j + 1 < n and T[j + 1].flags & ARABIC and not T[j + 1].flags & (STOP | PUNCT | PCUE):
                last = j + 1
                j += 2
                parts += 1
                continue
            break
        if f & PCUE and not f & GIVEN and _cue_at(doc, j) is not None:
            break
        if f & (OCUE | PLACECUE) or (f & CONSTRUCT and not f & GIVEN) or t.norm in _TITLE_MODIFIERS:
            break
        if parts == 0:
            if f & DEF and not (def_first and not f & GENTILIC and j + 1 < n and T[j + 1].flags & COMPOUND):
                break  # only «الأمير الوليد بن طلال» may start with ال
            if f & FEM and not f & GIVEN:
                break
            if f & ISPLACE or f & GENTILIC or len(t.norm) < 2:
                break
            if f & WAW and not f & GIVEN and t.variants[-1][1] in _SPEECH:
                break
            if f & (YAA | WAW) and not f & GIVEN and j + 1 < n:
                # «يعيد الانتظام», «يطلق مبادرة»: a verb and its object, not a name
                g = T[j + 1].flags
                if not g & GIVEN and (g & FEM or (g & DEF and not T[j + 1].norm.endswith("ي"))):
                    break
            if f & WAW and not f & GIVEN and _boundary(doc, j + 1):
                break  # «وكتاب»: a conjunction and a noun
        else:
            if (f & CONJ or f & YAA) and not f & DEF:
                break  # «… وهشام», «… ويقول», «… يسعى» (but «سارة ويلسون»)
            if f & FEM and not f & (GIVEN | DEF) and parts >= 2:
                break  # «… آل سعود برقية»
            if f & ISPLACE and not f & DEF:
                break
        if not f & DEF:
            bare += 1
            if bare >= 3 and not _boundary(doc, j + 1):
                break
        last = j
        parts += 1
        j += 1
        if f & DEF and parts >= 2 and not (j < n and T[j].flags & COMPOUND):
            break
    if parts == 1 and T[k].flags & (YAA | WAW) and not T[k].flags & GIVEN:
        return -1  # «ويستفيد»: a lone verb
    return last


def _family_name(doc: _Doc, k: int, j: int, parts: int) -> bool:
    """«نبيل عطيته إن …»: a family name shaped like a noun with a pronoun suffix («استقالته»).

    Taken only as the second word after a common given name, with a clear boundary after it.
    """
    T = doc.T
    f = T[j].flags
    return (
        parts == 1
        and bool(T[k].flags & GIVEN)
        and not f & (STOP | PUNCT | NUM | NUMWORD | SCALE | UNITW | MONTH | VERBISH | DEF | WAW)
        and _boundary(doc, j + 1)
    )


def _person_after_cue(doc: _Doc, i: int) -> int:
    """Title (+ complement) + name: «وزير الطاقة الأردني سامر الخطيب»."""
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    cue = _cue_at(doc, i)
    if cue is None:
        return -1
    off, j, cls = cue
    if cls == "royal" and i > 0 and any(v in _NAMED_AFTER for _, v in T[i - 1].variants):
        return -1  # «مطار الملك فهد»: a place named after a king, not the king
    start = end = -1
    if T[i].norm in _STRICT_HONOR and not off:
        k = j + 1
        while k < n and T[k].norm in _TITLE_MODIFIERS:
            k += 1
        if k < n and not T[k].flags & DEF:
            end = _name_ar(doc, k)
            if end == k:
                end = -1  # «الفريق ممتد»: these ranks are common nouns too; want two words
        start = k
    else:
        head = T[i].norm if not off else T[i].variants[-1][1]
        k, cls, head, cue_end = _role_complement(doc, j + 1, cls, head)
        start = k
        if k < n and T[k].flags & QUOTE:
            # «الرئيس الروسي "فلاديمير بوتين"»: the name itself in quotes
            c = _quoted(doc, k)
            if c > 0 and _name_ar(doc, k + 1) == c - 1:
                start, end = k + 1, c - 1
        elif k < n and (cls != "address" or T[k].flags & GIVEN):  # «سعادة» alone is also a surname
            end = _name_ar(doc, k, def_first=cls == "royal")
            if (
                end >= 0
                and k == cue_end + 1
                and cls == "office"
                and not head.startswith("ال")
                and not head.endswith(("ه", "ها", "هم"))
            ):
                end = -1  # «محافظ حريملاء»: a bare title governs the next word, it does not name it
            after_bare_construct = T[k - 1].flags & CONSTRUCT and not T[k - 1].flags & DEF
            if end == k and not T[k].flags & GIVEN and (not _boundary(doc, k + 1) or after_bare_construct):
                end = -1  # «الملكة بقيت …», «رئيس بلدية رماح»: one unknown word is no name here
    if end < 0:
        # «…، رئيس الوزراء» after a name: apposition
        return _person_before_cue(doc, i, off, j, cls)
    role_end = k - 1
    role = doc.text[S[i] + off : E[role_end]]
    last = end
    if all(_honorific_only(T[x]) for x in range(i, role_end + 1)):
        # «الجنرال عبد الرازق القائد بالجيش …», «الدكتورة …، مديرة المستشفى»: the office is
        # written after the name (unless that title starts the next person: «… رئيس الوزراء فلان»)
        r = end + 1
        if r < n and T[r].flags & PUNCT and T[r].norm in "،,":
            r += 1
        if r < n and T[r].flags & PCUE:
            post = _role_after_name(doc, r)
            if post >= 0 and _name_ar(doc, post + 1) < 0:
                role = doc.text[S[r] + (T[r].cue or (0,))[0] : E[post]]
                last = post
    doc.add(start, end, 5, "person", S[start], E[end], role=role)
    return last


def _honorific_only(t: _Tok) -> bool:
    """A token of a bare honorific: «الدكتور», «العميد الركن», «سمو الشيخ»."""
    return (t.cue is not None and t.cue[1] in ("honor", "royal", "address")) or t.norm in _TITLE_MODIFIERS


def _role_after_name(doc: _Doc, k: int) -> int:
    """The role written after a name («حاكم منطقة …», «القائد بالجيش …»): last token, or -1.

    No name follows to end it, so only role-like words are taken: definite words, construct
    nouns and up to two bare words after them (a proper name: «منطقة بركي براك»), places,
    glued prepositions, quotes.
    """
    T, n = doc.T, doc.n
    cue = _cue_at(doc, k)
    if cue is None:
        return -1
    j = cue[1] + 1
    last = cue[1]
    bare = 2  # bare words allowed right after the title or a construct noun
    while j < n and j - k < 10:
        t = T[j]
        f = t.flags
        if f & QUOTE:
            c = _quoted(doc, j)
            if c < 0:
                break
            last = j = c
            j += 1
            continue
        if f & (PUNCT | SPEECH | MONTH | VERBISH | PRON) or not f & (ARABIC | LATIN):
            break
        if f & STOP and t.norm not in _ROLE_LINKS:
            break
        if f & CONJ and f & (PCUE | OCUE):
            break  # «… والعقيد فلان»: a second person
        if f & WAW and not f & DEF:
            break
        if f & (DEF | CONSTRUCT | ISPLACE | GENTILIC) or t.norm in _ROLE_LINKS or t.norm in _TITLE_MODIFIERS:
            bare = 2 if f & CONSTRUCT else 0
        elif (t.norm[0] in "بل" and len(t.norm) >= 4) or (f & LATIN and f & CAP):
            bare = 0  # «بمكة», «لشركة», a Latin name
        elif bare > 0 and not f & (YAA | FEM):
            bare -= 1
        else:
            break
        last = j
        j += 1
    return last


def _person_before_cue(doc: _Doc, i: int, off: int, j: int, cls: str) -> int:
    """Apposition: «سامر الخطيب، وزير الطاقة الأردني» (a name, a comma, then the role)."""
    T, S, E = doc.T, doc.S, doc.E
    if off or i < 2 or not (T[i - 1].flags & PUNCT and T[i - 1].norm in "،,("):
        return -1
    end = i - 2
    start = end
    while start - 1 >= 0 and end - start < 3:
        f = T[start - 1].flags
        if f & (PUNCT | STOP | PCUE) or not f & ARABIC:
            break
        start -= 1
    # the name must start where a name can start
    while start <= end and (T[start].flags & (DEF | FEM) and not T[start].flags & GIVEN):
        start += 1
    if start > end or _name_ar(doc, start) != end:
        return -1
    prev = T[start - 1].flags if start > 0 else PUNCT
    if not prev & (PUNCT | STOP | SPEECH | PCUE):
        return -1
    role_end = _role_after_name(doc, i)
    if role_end < 0:
        return -1
    doc.add(start, end, 5, "person", S[start], E[end], role=doc.text[S[i] + off : E[role_end]])
    return role_end


def _person_after_speech(doc: _Doc, i: int) -> int:
    """«قال سامر الخطيب، رئيس …» / «وأكد سامر الخطيب مدير …»: speech verb, name, role."""
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    k = i + 1
    if k >= n or T[k].flags & PCUE:
        return -1
    end = _name_ar(doc, k)
    if end < 0:
        return -1
    r = end + 1
    if r < n and T[r].flags & PUNCT and T[r].norm in "،,(":
        r += 1
    if r >= n or not T[r].flags & PCUE:
        return -1
    role_end = _role_after_name(doc, r)
    if role_end < 0:
        return -1
    cue_off = T[r].cue[0] if T[r].cue else 0
    doc.add(k, end, 5, "person", S[k], E[end], role=doc.text[S[r] + cue_off : E[role_end]])
    return role_end
