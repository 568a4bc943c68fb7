"""Question analysis: the expected answer type, the content words, the focus, the tense.

``analyze_question`` finds the expected answer type from the question word (Arabic and English;
«من» is "who" only where it opens the question), the content words and the focus;
``expected_kinds`` says which fact kinds answer it and ``question_tense`` whether it asks about
the past or the future.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .analysis import STOPWORDS, fold, normalize, root, tokenize

__all__ = [
    "QuestionAnalysis",
    "analyze_question",
    "asks_until",
    "expand_followup",
    "expected_kinds",
    "question_tense",
    "question_type",
]

# (pattern on the folded question, answer type). First match wins; order matters: the specific
# «في أي عام» must beat the generic «أي».
_TYPE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), t)
    for p, t in [
        (r"^(?:و|ف)?متي\b|\bمتي\b", "when"),
        (r"\b(?:في|فى)?\s*(?:اي|ايه)\s+(?:عام|سنه|سنوات|قرن|يوم|شهر|تاريخ|عقد|فتره|وقت|زمن)\b", "when"),
        (r"\b(?:ما|ماهو|ماهي)\s+(?:هو\s+|هي\s+)?(?:تاريخ|عام|سنه)\b", "when"),
        (r"^(?:و|ف)?(?:اين|أين)\b|\bاين\b", "where"),
        (r"\b(?:في|فى)\s+(?:اي|ايه)\s+(?:مدينه|بلد|دوله|مكان|منطقه|قاره|عاصمه|ولايه|جزيره)\b", "where"),
        (r"\bكم\s+(?:تبلغ|بلغت|بلغ|يبلغ|قيمه|قيمت\w*|تكلفه|تكلفت\w*|كلفه|كلفت\w*|سعر|ثمن|مبلغ)\b"
         r"|\b(?:قيمه|تكلفه|كلفه|مبلغ)\b.*\bكم\b", "money"),
        (r"\bكم\b|\b(?:ما|ماهو|ماهي)\s+(?:هو\s+|هي\s+)?(?:عدد|نسبه|مساحه|طول|حجم|قيمه|مقدار|عمر)\b",
         "number"),
        (r"^(?:و|ف)?من\s|^(?:و|ف)?من$|\bمن\s+(?:هو|هي|هم|الذي|التي|الذين)\b|^(?:و|ف)?لمن\b"
         r"|^(?:و|ف)?(?:مع|عن|الي|علي|بمن|ممن)\s+من\b|^(?:و|ف)?(?:بمن|ممن)\b", "who"),
        (r"\b(?:ما|ماهو|ماهي)\s+(?:هو\s+|هي\s+)?(?:اسم)\b", "who"),
        (r"^(?:و|ف)?(?:لماذا|لما)\b", "why"),
        (r"^(?:و|ف)?كيف\b", "how"),
        (r"^(?:و|ف)?هل\b", "yesno"),
        (r"\b(?:ما|ماذا|ماهو|ماهي|اي|ايه)\b", "what"),
        (r"^\s*(?:and\s+)?(?:until|till)\s+when\b", "when"),
        (r"^\s*(?:and\s+)?when\b|\bwhat\s+(?:year|date|day|month|time|century|decade)\b"
         r"|\b(?:which|in which)\s+(?:year|month|century|decade)\b", "when"),
        (r"^\s*(?:and\s+)?where\b"
         r"|\b(?:which|what|in which|in what)\s+(?:city|country|state|place|region|continent|town)\b", "where"),
        (r"\bhow\s+much\b|\bwhat\s+(?:was|is)\s+the\s+(?:cost|value|price|amount)\b", "money"),
        (r"\bhow\s+(?:many|long|far|old|big|large|tall)\b"
         r"|\bwhat\s+(?:percentage|percent|number|proportion)\b", "number"),
        (r"^\s*(?:and\s+)?(?:who|whom|whose)\b|\bwho\b", "who"),
        (r"^\s*(?:and\s+)?why\b", "why"),
        (r"^\s*(?:and\s+)?how\b", "how"),
        (r"^\s*(?:is|are|was|were|did|does|do|can|will|has|have)\b", "yesno"),
        (r"\b(?:what|which)\b", "what"),
    ]
]

# Fact kinds that can answer each type, with a type-fit weight.
_KINDS_FOR: dict[str, dict[str, float]] = {
    "who": {"person": 1.0, "org": 0.4},
    "when": {"date": 1.0},
    "where": {"place": 1.0, "org": 0.2},
    "money": {"money": 1.0, "number": 0.4, "quantity": 0.2},
    "number": {"quantity": 1.0, "number": 0.9, "percent": 0.9, "money": 0.6},
}

# Words that say a follow-up refers to what was shown before («ومتى وقعت؟» has no topic words).
_FOLLOWUP_PREFIX = re.compile(r"^\s*(?:و|ف|and\s|so\s|then\s)", re.I)


@dataclass(frozen=True, slots=True)
class QuestionAnalysis:
    """What a question asks for: its type, content terms (index terms) and focus word."""

    text: str
    type: str
    terms: tuple[str, ...]
    words: tuple[str, ...]
    focus: str | None
    is_followup: bool
    roots: tuple[tuple[str, str], ...] = ()  # (root, term) of each content word


# «وكم …؟», «وإلى متى …؟»: the joining و/ف written onto the question word (or «إلى») is not part of it.
_JOINED_QWORD = re.compile(r"^(?:و|ف)(?=(?:كم|متي|اين|من|لمن|ما|ماذا|لماذا|كيف|هل|اي|ايه|الي|في|مع)\b)")


def question_type(question: str) -> str:
    """Return the expected answer type: who, when, where, money, number, what, why, how, yesno."""
    q = _JOINED_QWORD.sub("", fold(normalize(question)).strip())
    for pattern, qtype in _TYPE_RULES:
        if pattern.search(q):
            return qtype
    return "what"


_QWORDS = frozenset(
    fold(normalize(w))
    for w in """من ومن فمن متى ومتى اين أين وأين كم وكم ما ماذا وماذا هو هي ماهي ماهو اي أي أية ايه لماذا كيف
    هل وهل عدد اسم who whom whose when where what which why how many much""".split()
)
_STOP_FOLDED = frozenset(fold(normalize(w)) for w in STOPWORDS) | _QWORDS


_BACK_AR = re.compile(r"^(?:و|ف)?(?:(?:من|في|عن|ل|ب|علي|الي|مع|عبر)(?:ها|ه|هم|هما|هن)|ذلك|هذا|هذه|تلك|هناك|هنا"
                      r"|\w{3,}(?:ها|هم|هما))$")
_BACK_EN = frozenset("it its them they their that there he she his her those these".split())


def _points_back(word: str) -> bool:
    """True for a word that refers to what was said before («منها», «ذلك», «تكلفتها», "them")."""
    w = fold(normalize(word))
    return w in _BACK_EN or bool(_BACK_AR.match(w))


def analyze_question(question: str) -> QuestionAnalysis:
    """Return the question's type, content terms and focus."""
    qtype = question_type(question)
    terms: list[str] = []
    words: list[str] = []
    for k, tok in enumerate(tokenize(question)):
        folded = fold(normalize(tok.text))
        if folded in _STOP_FOLDED or (k == 0 and folded[:1] in "وف" and folded[1:] in _STOP_FOLDED):
            continue
        terms.append(tok.term)
        words.append(tok.text)
    focus = words[0] if words else None
    # «ومتى؟», «وكم منها مدرج في السوق؟»: joined to what was said, with few words of its own or
    # words that point back («منها», «ذلك», «تكلفتها», "of them").
    # Without the joining word, a question with one word of its own («متى وقعت؟») or two with one
    # pointing back («من افتتحها؟») has no subject of its own either.
    back = any(_points_back(t.text) for t in tokenize(question))
    joined = bool(_FOLLOWUP_PREFIX.match(question))
    is_followup = (joined and (len(terms) <= 2 or (len(terms) <= 4 and back))) or len(terms) <= 1 or (
        len(terms) <= 2 and back)
    roots = tuple(dict.fromkeys((root(w), t) for w, t in zip(words, terms, strict=True) if len(root(w)) >= 3))
    return QuestionAnalysis(question, qtype, tuple(dict.fromkeys(terms)), tuple(words), focus,
                            is_followup or not terms, roots)


_ASKS_YEAR = re.compile(r"\b(?:عام|سنه|العام|السنه)\b|\byear\b")

_WHICH_NOUN = re.compile(r"(?:^|\s)(?:و|ف)?(?:اي|ايه|ما|ماهي|ماهو|which|what)\s+(?:هي\s+|هو\s+)?(?:ال)?(\w+)")
_NOUN_KINDS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset(fold(normalize(w)) for w in """شركة شركه منظمة منظمه مؤسسة مؤسسه جامعة جامعه حزب جمعية جمعيه هيئة
        هيئه وكالة وكاله بنك مصرف فريق نادي صحيفة صحيفه جهة جهه جهات إدارة ادارة وزارة وزاره مجلس لجنة لجنه
        محكمة محكمه دائرة دائره مجموعة مجموعه company organization organisation university party
        agency bank team club newspaper""".split()), "org"),
    (frozenset(fold(normalize(w)) for w in """شخص رجل امراة امرأة لاعب رئيس ملك ملكة وزير عالم كاتب مؤلف فنان
        person man woman player president king queen minister scientist writer author artist""".split()), "person"),
    (frozenset(fold(normalize(w)) for w in """مدينة مدينه دولة دوله بلد مكان منطقة منطقه ولاية ولايه عاصمة عاصمه
        قارة قاره جزيرة جزيره city country place region state capital continent island""".split()), "place"),
)
_PERCENT_Q = re.compile(r"نسب|percent|percentage|proportion|share")
_AGE_Q = re.compile(r"\bعمر|\bسن\b|how old|\bage\b")


def expected_kinds(qa: QuestionAnalysis) -> dict[str, float]:
    """Return the fact kinds that answer this question, weighted by fit."""
    kinds = dict(_KINDS_FOR.get(qa.type, {}))
    if qa.type == "what":
        # «أي شركة …؟», "which company": the noun after the question word names the kind.
        m = _WHICH_NOUN.search(fold(normalize(qa.text)))
        if m:
            noun = m.group(1)
            for nouns, kind in _NOUN_KINDS:
                if noun in nouns:
                    kinds = {kind: 1.0}
    if qa.type == "number":
        q = fold(normalize(qa.text))
        if _PERCENT_Q.search(q):
            kinds["percent"] = 1.3
        if _AGE_Q.search(q):
            kinds["quantity"] = kinds["number"] = 1.0
    return kinds


# «إلى متى …؟», «وحتى متى؟», "until when": the end of a period is asked for, not its start.
_UNTIL_Q = re.compile(r"(?:^|\s)(?:و|ف)?(?:الي|حتي|لغايه)\s+متي\b|\b(?:until|till)\s+when\b")


def asks_until(question: str) -> bool:
    """True when a question asks until when something lasts («إلى متى تستمر الحملة؟»)."""
    return bool(_UNTIL_Q.search(fold(normalize(question))))


_FUTURE_Q = re.compile(r"\b(?:will|shall|going to|next)\b|(?:^|\s)(?:و|ف)?(?:سوف|سي\w+|ست\w+|سن\w+)")
_PRESENT_Q = re.compile(r"^\s*(?:و|ف)?(?:متي|when)\s+(?:(?:does|do|is|are)\b|[يتن](?!م\b)\w{2,})")
_PAST_Q = re.compile(r"\b(?:was|were|did|had)\b|^\s*(?:و|ف)?متي\s+(?:تم\b|[^\sيتن]\w+)")


def question_tense(question: str) -> str | None:
    """Return "past" or "future" when the question's verb says which, else None.

    «متى وقعت/تم» ask about the past; «متى تبدأ/ستبدأ», "when will" about now or later.
    """
    q = fold(normalize(question))
    if _FUTURE_Q.search(q):
        return "future"
    if _PAST_Q.search(q):
        return "past"
    if _PRESENT_Q.search(q):
        return "future"
    return None


# «ومتى؟», «وإلى متى؟», "and when?": the joining word is dropped when the question is written out.
_JOIN = re.compile(r"^\s*(?:(?:و|ف)(?=\S)|(?:and|so|then)\s+)", re.I)
_END = re.compile(r"[\s؟?!.]+$")


def expand_followup(question: str, previous: str | None) -> str:
    """Return the full question an elliptic follow-up stands for, else the question unchanged.

    «ومتى وقعت؟» after «من وقع اتفاقية السايبر بين المغرب وإسرائيل؟» stands for «متى وقعت اتفاقية
    السايبر بين المغرب وإسرائيل؟»: the new question word and words first, then the previous
    question's content words (its subject) that the new question does not already hold. A question
    with its own subject (more than two content words, or no joining «و»/"and") is a new topic.
    """
    if not previous or not analyze_question(question).is_followup:
        return question
    head = _END.sub("", _JOIN.sub("", question.strip(), count=1))
    have = {tok.term for tok in tokenize(head)}
    carried = []
    for tok in tokenize(previous):
        if fold(normalize(tok.text)) in _STOP_FOLDED or tok.term in have:
            continue
        have.add(tok.term)
        carried.append(tok.text)
    if not carried:
        return question
    mark = "?" if re.search(r"[A-Za-z]", head) and not re.search("[\u0600-\u06ff]", head) else "؟"
    return f"{head} {' '.join(carried)}{mark}"
