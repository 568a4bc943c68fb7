"""Numbers: [currency] number [scale] [currency|%|unit], and bare digits that are not dates."""

from __future__ import annotations

from .doc import _Doc
from .tables import (
    _AR_NUMBER_WORDS,
    _CURRENCY,
    _CURRENCY_PREFIX_EN,
    _CURRENCY_QUAL,
    _EN_NUMBER_WORDS,
    _PERCENT_ONE,
    _PERCENT_TWO,
    _SCALE_DUALS,
    _SCALES,
    _SCALES_LATIN_ONLY_AFTER_MONEY,
    _UNIT_NEEDS_ADJACENT,
    _UNITS,
    _UNITS_TWO,
    _YEAR_CUES,
    _YEAR_SUFFIXES,
)
from .tokens import ARABIC, CURR, LATIN, MONTH, NUM, NUMWORD, PUNCT, SCALE, STOP, UNITW


def _numbers(doc: _Doc, trig: list[int]) -> None:
    T = doc.T
    last_end = -1
    for i in trig:
        if i > last_end and T[i].flags & (NUM | NUMWORD | SCALE | CURR):
            found = _number_at(doc, i)
            if found is not None:
                last_end = found[1]
                doc.add(*found)


def _number_at(doc: _Doc, i: int) -> tuple | None:
    """Read one number mention at token i: [currency] number [scale] [currency|%|unit].

    Returns the candidate fields or None. Bare number words and scale words count only with a
    unit («ثلاثة ملايين دولار»); bare digits count unless they are part of a date.
    """
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    t = T[i]
    f = t.flags
    start = k = i
    unit: str | None = None
    kind = "number"
    # a currency written before the number: "$5", "€3", "USD 5", "SR 500", "US$ 5"
    if f & CURR and (f & PUNCT or f & LATIN):
        if t.norm in _CURRENCY_PREFIX_EN and i + 2 < n and T[i + 1].norm == "$":
            k = i + 2
        elif t.norm in _CURRENCY:
            k = i + 1
        else:
            return None
        if k >= n or not T[k].flags & NUM or S[k] - E[k - 1] > 1:
            return None
        unit = _CURRENCY_PREFIX_EN.get(t.norm) if k == i + 2 else _CURRENCY[t.norm]
        kind = "money"
        t = T[k]
        f = t.flags
    elif f & CURR and not f & (NUMWORD | SCALE):
        return None
    # the number itself
    num = k
    off = 0  # «وثلاثة»: the glued و stays outside the span
    alone = True  # may it stand without a unit?
    if f & NUM:
        value = t.value
    elif f & NUMWORD:
        if f & ARABIC:
            word = t.norm if t.norm in _AR_NUMBER_WORDS else t.norm[1:]
            off = 0 if word == t.norm else t.variants[-1][0]
            value, alone = _AR_NUMBER_WORDS[word]
        else:
            value, alone = _EN_NUMBER_WORDS[t.norm], False
    elif f & SCALE and f & ARABIC:
        value = _SCALE_DUALS.get(t.norm) or _SCALES[t.norm]  # «مليون دولار», «ملياري ريال»
        alone = False
    else:
        return None
    if value is None:
        return None
    j = k
    scale = value if f & SCALE else 0.0  # «مليون دولار»: the scale word is the number
    # a scale word: «3 ملايين», "1.2 billion", "$5m"
    if j + 1 < n and T[j + 1].flags & SCALE and not f & SCALE:
        sc = T[j + 1].norm
        if sc not in _SCALES_LATIN_ONLY_AFTER_MONEY or unit is not None or S[j + 1] == E[j]:
            scale = _SCALES.get(sc) or _SCALE_DUALS[sc] / 2
            value = float(f"{value * scale:.12g}")
            j += 1
    if scale:
        j, value = _and_smaller(doc, j, value, scale)
    k = j + 1
    if k + 1 < n and T[k].norm == "-" and S[k] == E[j] and E[k] == S[k + 1] and T[k + 1].flags & UNITW:
        k += 1  # "600-megawatt", "14-kilometre"
    if unit is None and k < n:
        unit, kind, j = _unit_after(doc, j, k)
        if kind == "money" and scale:
            # «27 مليون ريال و243 ألفا و15 ريالا»: the amount goes on after its currency
            j2, value = _and_smaller(doc, j, value, scale)
            if j2 > j and j2 + 1 < n and T[j2 + 1].norm in _CURRENCY and not T[j2 + 1].flags & PUNCT:
                j2 += 1
            j = j2
        elif unit is None and _counted_noun(doc, k):
            unit, kind, j = T[k].norm.rstrip("ا"), "quantity", k  # «359 مشجعاً»
    # "%50": the sign typed before the number in right-to-left text
    if unit is None and start > 0 and T[start - 1].norm in _PERCENT_ONE and E[start - 1] == S[start]:
        kind, unit, start = "percent", "%", start - 1
    if unit is None and (not alone or (f & NUM and _is_date_part(doc, num, j))):
        return None
    return (start, j, 2, kind, S[start] + (off if start == num else 0), E[j], None, value, unit, None)


def _and_smaller(doc: _Doc, j: int, value: float, scale: float) -> tuple[int, float]:
    """«375 مليونا و526 ألف ريال», «186 ألفًا و823»: smaller parts after «و» continue the number.

    Each part must be smaller than the scale before it («27 مليون و243 ألفا و15»). Returns the
    new last token and value (unchanged when no such part follows).
    """
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    while scale:
        k = j + 1
        if k + 1 >= n or T[k].norm != "و" or not T[k + 1].flags & NUM or S[k + 1] - E[k] > 1:
            break
        part = T[k + 1].value
        end = k + 1
        if part is None:
            break
        multiplier = 0.0
        if end + 1 < n and T[end + 1].flags & SCALE:
            multiplier = _SCALES.get(T[end + 1].norm) or 0.0
            if not multiplier:
                break
            part *= multiplier
            end += 1
        if part >= scale:
            break  # «مليون و2 مليون»: two amounts, not one
        j, value, scale = end, float(f"{value + part:.12g}"), multiplier
    return j, value


def _counted_noun(doc: _Doc, k: int) -> bool:
    """«359 مشجعاً»: an indefinite noun written with the accusative tanween counts what precedes it."""
    t = doc.T[k]
    return (
        bool(t.flags & ARABIC)
        and not t.flags & (STOP | SCALE | MONTH | NUMWORD)
        and "\u064b" in doc.text[doc.S[k] : doc.E[k]]
        and len(t.norm) >= 3
    )


def _unit_after(doc: _Doc, j: int, k: int) -> tuple[str | None, str, int]:
    """The currency, percent sign or unit at token k after a number ending at j: (unit, kind, end)."""
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    tk = T[k]
    nk = tk.norm
    nxt = T[k + 1].norm if k + 1 < n else ""
    if nk in _CURRENCY and not (tk.flags & PUNCT and S[k] > E[j]):
        base = nk[:-1] if nk.endswith("ا") else nk
        code = _CURRENCY_QUAL.get((base, nxt[:-1] if nxt.endswith("ا") else nxt))
        if code:  # «ريال سعودي», «جنيه إسترليني»
            return code, "money", k + 1
        return _CURRENCY[nk], "money", k
    if nk in _PERCENT_ONE:
        return "%", "percent", k
    if (nk, nxt) in _PERCENT_TWO:
        return "%", "percent", k + 1
    if (nk, nxt) in _UNITS_TWO:
        return _UNITS_TWO[(nk, nxt)], "quantity", k + 1
    if nk in _CURRENCY_PREFIX_EN and nxt in ("dollar", "dollars", "pound", "pounds"):
        code = _CURRENCY_PREFIX_EN[nk] if nxt.startswith("d") else ("EGP" if nk == "egyptian" else "GBP")
        return code, "money", k + 1  # "US dollars", "Egyptian pounds"
    u = _UNITS.get(nk) or (_UNITS.get(nk[:-1]) if nk.endswith("ا") else None)  # «14 جنديا»
    if u and (nk not in _UNIT_NEEDS_ADJACENT or S[k] == E[j]):
        return u, "quantity", k
    return None, "number", j


def _is_date_part(doc: _Doc, i: int, j: int) -> bool:
    """A bare number next to a month name, a year after «عام», or «2015م»: a date, not a number."""
    T, n = doc.T, doc.n
    k = j + 1
    while k < n and T[k].flags & PUNCT and T[k].norm in "()/-،,":
        k += 1
    if k < n and T[k].flags & MONTH:
        return True
    k = i - 1
    while k >= 0 and T[k].flags & PUNCT and T[k].norm in "()/-،,":
        k -= 1
    if k >= 0 and T[k].flags & MONTH:
        return True
    t = T[i]
    if t.value is not None and 1300 <= t.value <= 2100 and len(t.norm) == 4:
        if i > 0 and T[i - 1].norm in _YEAR_CUES:
            return True
        if j + 1 < n and T[j + 1].norm in _YEAR_SUFFIXES and doc.S[j + 1] - doc.E[j] <= 1:
            return True
    return False
