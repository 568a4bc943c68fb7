"""Rule-based entities for Arabic and English news: people with roles, organisations, places, numbers.

No model and nothing downloaded: an offline box must ingest 31k articles in seconds, so the work is
cue words, a gazetteer and number grammar kept as data tables below. The text is tokenised once
(one regex pass); each *distinct* token is analysed once and cached (news vocabulary repeats), and
the rules only wake at tokens that carry a trigger flag. Spans are offsets in the original text
(``text[e.start:e.end] == e.text``): a glued prefix such as the و of «والمغرب» is left outside.

Arabic people are found the way a reader finds them: a title or role («وزير الطاقة الأردني»,
«نظيره المغربي الجنرال») followed by a name, a name followed by «، رئيس …», or a speech verb
(«قال …») followed by a name and a role. Names learned from the archive (``known``) are matched
anywhere, with or without a cue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import compress, islice
from operator import attrgetter, methodcaller
from types import MappingProxyType

from arshif.index.analysis import STOPWORDS, fold, normalize, normalize_with_map

__all__ = ["Entity", "entity_key", "extract_entities", "load_places", "place_name"]


@dataclass(frozen=True, slots=True)
class Entity:
    """One mention: its span in the original text, and for people the role written next to it."""

    kind: str  # "person" | "org" | "place" | "number" | "money" | "percent" | "quantity"
    start: int
    end: int
    text: str
    role: str | None
    value: float | None
    unit: str | None
    key: str


# =============================================================================================
# Data tables. Written as people write them; normalised (fold(normalize(...))) at import time.
# =============================================================================================


def _n(word: str) -> str:
    return fold(normalize(word))


def _words(block: str) -> frozenset[str]:
    return frozenset(_n(w) for w in block.split())


# Person cues. Classes: "office" (a complement such as «الطاقة الأردني» follows, then the name;
# a definite word is part of the role, never the name), "honor" (a name follows directly, after
# nationality adjectives), "royal" (like honor, but the name may itself start with ال: «الأمير
# الوليد»), "address" (a form of address that chains into another title: «معالي وزير …»).
_PERSON_CUES: dict[str, str] = {
    **dict.fromkeys(
        """رئيس رئيسة الرئيس الرئيسة وزير وزيرة الوزير الوزيرة مدير مديرة المدير المديرة نائب نائبة
        محافظ المحافظ عمدة حاكم الحاكم الوالي سفير سفيرة السفير السفيرة قنصل القنصل
        المتحدث المتحدثة متحدث الناطق الناطقة ناطق قائد القائد القائدة المستشار مستشار مستشارة
        مبعوث المبعوث المفوض مفوض المنسق منسق وكيل مساعد أمير العاهل المفتي مفتي زعيم الزعيم
        زعيمة مندوب المندوب نظيره نظيرته نظيرها نظيرتها نظيرهم نظيريه مؤسس ممثل الممثل ممثلة
        وكيلة مندوبة المندوبة المستشارة منسقة المنسقة مبعوثة المبعوثة قنصلة القنصلة
        المدرب مدرب اللاعب الباحث الخبير المحلل الكاتب الصحفي الصحافي المحامي مراسل المراسل""".split(),
        "office",
    ),
    **dict.fromkeys(
        """الدكتور الدكتورة المهندس المهندسة القاضي القاضية النائب النائبة الجنرال اللواء العميد
        العقيد المقدم الرائد النقيب الملازم المشير الأدميرال الفريق السيد السيدة الأستاذ الأستاذة
        البروفيسور الإمام السيناتور الحاج الداعية الشاعر الفنان الفنانة المطرب المطربة الربان""".split(),
        "honor",
    ),
    **dict.fromkeys("الملك الملكة الأمير الأميرة الشيخ الشيخة السلطان".split(), "royal"),
    **dict.fromkeys("معالي سعادة فضيلة سماحة سمو فخامة".split(), "address"),
}
# Multi-word cues: the head word (first) is looked up, the rest must follow.
_PERSON_CUE_PHRASES: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {}
for _phrase, _cls in (
    ("ولي العهد", "office"),
    ("ولي ولي العهد", "office"),
    ("خادم الحرمين الشريفين", "office"),
    ("الأمين العام", "office"),
    ("أمين عام", "office"),
    ("الرئيس التنفيذي", "office"),
    ("رئيس الوزراء", "office"),
    ("صاحب السمو الملكي", "address"),
    ("صاحب السمو", "address"),
    ("د .", "honor"),
):
    _toks = tuple(_n(w) for w in _phrase.split())
    _PERSON_CUE_PHRASES.setdefault(_toks[0], ())
    _PERSON_CUE_PHRASES[_toks[0]] += ((_toks[1:], _cls),)
for _head in _PERSON_CUE_PHRASES:
    _PERSON_CUE_PHRASES[_head] = tuple(sorted(_PERSON_CUE_PHRASES[_head], key=lambda p: -len(p[0])))
_PERSON_CUE = {_n(w): c for w, c in _PERSON_CUES.items()}
# Military ranks that are also common nouns («الفريق» team, «اللواء» brigade): the name must follow
# at once (or after «أول»/«ركن»), never after a complement.
_STRICT_HONOR = _words("الفريق اللواء المقدم الرائد النقيب الحاج")
_TITLE_MODIFIERS = _words(
    "الركن ركن أول الأول المؤسس المفدى المتقاعد السابق الأسبق الراحل المكلف الجديد الحالي المنتخب المؤقت بالإنابة"
    " جديد جديدة سابق سابقة الجديدة السابقة"
)
# Words before a royal title that make it part of a name («مطار الملك فهد», «جامعة الملك سعود»).
_NAMED_AFTER = _words(
    """مطار ميناء جسر شارع طريق مستشفى جامعة مدينة مجمع مركز قاعدة جامع مسجد ملعب استاد قاعة مكتبة
    كلية معهد مدرسة جائزة مؤسسة برنامج حي صندوق مشروع وقف منحة كرسي"""
)
# Words after a title that belong to the role, not the name: «المتحدث باسم», «السفير لدى».
_ROLE_LINKS = _words("باسم لدى")
_ROLE_ADJ = _words("عام عامة")  # «مدير عام», right after the title only

# Nouns that head a construct phrase inside a role or an organisation («وزير خارجية …»).
_CONSTRUCT = _words(
    """هيئة مجلس إدارة ادارة شركة وزارة حكومة منظمة مؤسسة جامعة بنك مصرف صندوق وكالة اتحاد جمعية
    حركة حزب لجنة دائرة مكتب قسم مركز جهاز خارجية داخلية دفاع مالية عدل صحة تعليم اقتصاد تجارة
    طاقة نفط إعلام شؤون أركان قوات جيش شرطة منطقة محافظة ولاية مدينة بلدية دولة جمهورية مملكة
    إمارة مجموعة برنامج مصلحة سلطة نادي غرفة بعثة ديوان مجمع معهد كلية مستشفى رابطة نقابة ائتلاف
    تحالف جبهة تنظيم قطاع أمانة وزراء مخابرات استخبارات أمن رئاسة قيادة كتائب فرع محكمة نيابة
    بورصة ميناء مطار جماعة عمليات مكافحة إقليم اقليم قضاء بلدة فرقة كتيبة حرس مفوضية مديرية وحدة
    مشروع هيئة أمانة إدارات مجالس مجلسي شئون فريق مجال دار حقوق موارد تنمية ثقافة سياحة زراعة نقل إسكان
    عمل مياه بيئة صناعة اتصالات رياضة شباب أوقاف"""
)
# Organisation heads: bare («شركة …») and definite («الهيئة العامة للإحصاء», which needs more).
_ORG_HEADS = _words(
    """شركة هيئة وزارة منظمة مؤسسة جامعة بنك مصرف صندوق مجلس وكالة اتحاد جمعية حركة حزب لجنة جماعة
    تنظيم مركز معهد مستشفى نادي محكمة غرفة مفوضية رابطة نقابة ائتلاف تحالف جبهة كتائب مجموعة
    بورصة مطار ميناء جائزة"""
)
_ORG_HEADS_DEF = frozenset("ال" + w for w in _ORG_HEADS)
# Definite heads that are also everyday nouns («المركز الأول», «الحركة الوافدة»): an organisation
# only with a لـ complement («المركز الوطني للأمن»).
_ORG_HEADS_DEF_WEAK = _words(
    "المركز الصندوق المجموعة الحركة الجماعة الغرفة الجبهة الاتحاد السوق التحالف التنظيم الجائزة"
)
# Bare heads that are everyday nouns too («غرفة الإنعاش», «تنظيم المهرجانات»): they need a name
# (quoted, Latin, bare) or two words after them.
_ORG_HEADS_WEAK = _words("تنظيم غرفة مجموعة جائزة جماعة مركز")
# Fixed organisations that carry no head word (matched like learned names).
_FIXED_ORGS_AR = """الأمم المتحدة|حلف شمال الأطلسي|حلف الناتو|الناتو|الاتحاد الأوروبي|جامعة الدول العربية
|الجامعة العربية|مجلس التعاون الخليجي|منظمة التعاون الإسلامي|أوبك|صندوق النقد الدولي|البنك الدولي
|اليونسكو|اليونيسف|الفيفا|الإنتربول|داعش|طالبان|حماس|حزب الله|الحوثيين|أرامكو|سابك
|الإخوان المسلمين|الصليب الأحمر|الهلال الأحمر|مجلس الأمن|الكونغرس|الكنيست|البنتاغون|البيت الأبيض
|الكرملين"""
_FIXED_ORGS_EN = """United Nations|European Union|Arab League|Hamas|Hezbollah|Taliban|Islamic State
|Al-Qaeda|Muslim Brotherhood|Houthis|Red Cross|Red Crescent|Security Council|White House|Pentagon
|Kremlin|Congress|Knesset|Aramco|Saudi Aramco|Google|Microsoft|Facebook|Twitter|Amazon"""

# Speech verbs that introduce a name and a role («قال سامي علي، مدير …»).
_SPEECH = _words(
    """قال قالت أكد أكدت أعلن أعلنت أوضح أوضحت أضاف أضافت صرح صرحت أشار أشارت ذكر ذكرت كشف كشفت
    شدد شددت نفى نفت أفاد أفادت لفت لفتت بين بينت تابع تابعت اعتبر اعتبرت رأى رأت أعرب أعربت دعا
    دعت طالب طالبت حذر حذرت أبلغ أبلغت يقول تقول يرى ترى أكّد"""
)
# Words that end a name or a role: particles, pronouns, time words, frequent verbs and abstract
# nouns that tend to follow a bare title («أكد الوزير ضرورة …»).
_STOP_AR = _words(
    """في من على إلى الى عن مع لدى عند حتى منذ خلال بعد قبل نحو حول ضد عبر دون بين تجاه وسط أمام خلف
    فوق تحت ضمن إثر عقب لـ بـ ب ل ك ف و أو ثم بل لكن لكنه لكنها إن أن ان إنه أنه انه أنها إنها قد لقد
    لم لن لا ما ماذا سوف هو هي هم هما هن نحن أنا أنت الذي التي الذين اللذين اللتين اللواتي هذا هذه
    ذلك تلك هؤلاء أولئك هنا هناك كما حيث إذ إذا أيضا بينما فيما وفق وفقا بحسب حسب نقلا كل بعض جميع
    اليوم أمس غدا الآن حاليا صباح مساء ظهر صباحا مساء الأسبوع الشهر العام السنة الماضي المقبل
    القادم الجاري الحالي الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة السبت
    يوم أحد اثنين ثلاثاء أربعاء خميس جمعة سبت وذلك ذلك عام عاما سنة
    كان كانت يكون تكون ليس ليست سيكون ستكون تم يتم جرى وقع وقعت وقّع زار زارت وصل وصلت غادر
    غادرت التقى التقت استقبل استقبلت بحث بحثت افتتح افتتحت دشن دشنت ترأس ترأست شارك شاركت حضر
    حضرت أجرى أجرت تلقى تلقت بعث بعثت أرسل أرسلت هنأ عزى أصدر أصدرت وجه وجهت أمر قرر قررت اجتمع
    اجتمعت تسلم سلم منح منحت رعى يرأس يزور يلتقي يبحث يشارك يحضر يعقد عقد عقدت أدلى استقال استقالت
    عين عينت انتخب فاز فازت
    ضرورة أهمية دعم رفض استعداد حرص عزم توقيع افتتاح إطلاق وصول زيارة استقبال مشاركة اهتمام أمام
    خطة عن رسالة بيان كلمة تصريح تصريحات مؤتمر اجتماع لقاء اتصال اتصالا الاتفاقية اتفاقية مذكرة
    بلاده بلادها حكومته حكومتها وزارته نفسه نفسها شخصيا رسميا مجددا سابقا لاحقا أخيرا مؤخرا
    بسبب بشأن لأن مثل قرب حيال إزاء جراء بفضل بهدف بغية بدون رغم برغم خلافا إضافة بالإضافة علاوة
    بذلك لذلك بهذا لهذا بهذه لهذه بتلك لتلك كذلك بتصريح لتصريح بتصريحات ببيان لبيان
    لو لولا خلفا بمقدار أخرى آخر آخرى أخريات حين حينها بأن لأن كأن بعدما عندما كلما طالما حينما
    معه معها معهم لديه لديها لديهم عنده عندها
    إليه إليها إليهم عنه عنها عنهم بهم فيهم منهم عليهم نظير ذو ذات
    رحمه حفظه يحفظه أطال اطال بمناسبة بخصوص بشكل بصورة بطريقة أثناء طوال لمدة بنحو بنسبة بقيمة
    بمشاركة بحضور برئاسة بحسب وكذلك كذلك أكثر أقل"""
) | frozenset(_n(w) for w in STOPWORDS)
# Month names (Gregorian Arabic, Levantine, Hijri, English): numbers next to them are dates.
_MONTHS = _words(
    """يناير فبراير مارس أبريل ابريل إبريل مايو يونيو يونيه يوليو يوليه أغسطس اغسطس أغسطس سبتمبر
    أكتوبر اكتوبر نوفمبر ديسمبر كانون شباط آذار اذار نيسان أيار حزيران تموز آب أيلول تشرين محرم
    صفر ربيع جمادى رجب شعبان رمضان شوال القعدة الحجة january february march april may june july
    august september october november december jan feb mar apr jun jul aug sep sept oct nov dec"""
)
_YEAR_CUES = _words("عام العام لعام بعام سنة السنة منذ في حتى خلال year in since by until")
_YEAR_SUFFIXES = _words("م هـ ه")

# Common given names: they start a name even right after a construct noun, and those ending in
# ة (أسامة) are allowed as a first name, which a noun ending in ة usually is not.
_GIVEN = _words(
    """محمد أحمد محمود مصطفى علي عمر عثمان خالد سعد سعيد سعود فهد فيصل سلمان سلطان نايف عبدالله
    عبدالعزيز عبدالرحمن يوسف إبراهيم إسماعيل إسحاق يعقوب موسى عيسى يحيى زكريا سليمان داود حسن حسين
    حسام هشام هاني هادي سامي سامر سمير ماجد مجدي ناصر منصور طارق طلال وليد وائل وسام ياسر ياسين زياد
    زيد رامي رائد رياض عادل عاطف عماد عصام عمرو كريم كمال جمال جميل نبيل نادر نزار نضال غسان بسام
    أيمن أنس أسامة حمزة طلحة عبيدة معاوية عروة بشار باسل مازن مروان مراد ماهر منير مهدي نور نوري صالح
    صلاح فؤاد فاروق فارس فادي فراس شادي شريف ثامر تامر بندر مشعل متعب ناجي جواد جعفر حيدر كاظم قاسم
    هيثم إياد عزيز توفيق رشيد رضا زهير حازم حاتم حامد حمد حمدان راشد مبارك منى فاطمة عائشة خديجة مريم
    زينب سارة ليلى هدى هند نادية سعاد أمل رانيا ريم دينا لينا سلمى نورة مها هالة أميرة جميلة سميرة
    أمين رنا ريتا وفاء وداد وجدي وحيد وديع"""
)
# Compound name parts that take the next word with them: عبد الرحمن، أبو بكر، بن سلمان، آل مكتوم.
_COMPOUND = _words("عبد أبو ابو أبي بن ابن آل ولد بنت بو")

# Arabic number words 1–10 (the unambiguous ones stand alone; the others need a unit or scale).
_AR_NUMBER_WORDS: dict[str, tuple[float, bool]] = {
    _n(w): (v, alone)
    for v, forms in (
        (1, "واحد:0 واحدة:0"),
        (2, "اثنان:1 اثنين:1 اثنتان:1 اثنتين:1"),
        (3, "ثلاثة:1 ثلاث:0"),
        (4, "أربعة:1 أربع:0"),
        (5, "خمسة:1 خمس:0"),
        (6, "ستة:1 ست:0"),
        (7, "سبعة:1 سبع:0"),
        (8, "ثمانية:1 ثماني:0 ثمان:0"),
        (9, "تسعة:1 تسع:0"),
        (10, "عشرة:1 عشر:0"),
        (0.5, "نصف:0"),
    )
    for w, alone in (f.split(":") for f in forms.split())
    for v, alone in [(float(v), alone == "1")]
}
_EN_NUMBER_WORDS = {
    w: float(i) for i, w in enumerate("zero one two three four five six seven eight nine ten".split()) if i
} | {"half": 0.5}
# Scale words → multiplier; duals («مليوني», «ألفي») mean two of them when no number precedes.
_SCALES: dict[str, float] = {
    **dict.fromkeys(map(_n, "ألف آلاف الاف ألفا الف thousand thousands k".split()), 1e3),
    **dict.fromkeys(map(_n, "مليون ملايين مليونا million millions mn m".split()), 1e6),
    **dict.fromkeys(map(_n, "مليار مليارات مليارا بليون billion billions bn".split()), 1e9),
    **dict.fromkeys(map(_n, "تريليون ترليون trillion trillions tn".split()), 1e12),
}
_SCALE_DUALS: dict[str, float] = {
    **dict.fromkeys(map(_n, "ألفي ألفين ألفان"), 2e3),
    **dict.fromkeys(map(_n, "مليوني مليونين مليونان".split()), 2e6),
    **dict.fromkeys(map(_n, "ملياري مليارين ملياران".split()), 2e9),
}
_SCALES_LATIN_ONLY_AFTER_MONEY = frozenset({"m", "k", "mn", "bn", "tn"})

# Currencies: word → ISO code (or a generic name when the country is unsaid).
_CURRENCY: dict[str, str] = {
    **dict.fromkeys(map(_n, "دولار دولارا دولارات dollar dollars usd $ us$".split()), "USD"),
    **dict.fromkeys(map(_n, "يورو euro euros eur €".split()), "EUR"),
    **dict.fromkeys(map(_n, "ريال ريالا ريالات riyal riyals rial rials sar sr".split()), "SAR"),
    **dict.fromkeys(map(_n, "درهم درهما دراهم dirham dirhams aed".split()), "AED"),
    **dict.fromkeys(map(_n, "دينار دينارا دنانير dinar dinars".split()), "dinar"),
    **dict.fromkeys(map(_n, "جنيه جنيها جنيهات egp".split()), "EGP"),
    **dict.fromkeys(map(_n, "ليرة ليرات lira liras".split()), "lira"),
    **dict.fromkeys(map(_n, "pound pounds sterling gbp £".split()), "GBP"),
    **dict.fromkeys(map(_n, "يوان yuan cny".split()), "CNY"),
    **dict.fromkeys(map(_n, "ين yen jpy ¥".split()), "JPY"),
    **dict.fromkeys(map(_n, "روبل rouble roubles ruble rubles rub".split()), "RUB"),
    **dict.fromkeys(map(_n, "روبية rupee rupees inr".split()), "INR"),
    **{c: c.upper() for c in "kwd qar jod bhd omr try lbp mad chf cad aud".split()},
}
# Currency word + nationality adjective → code («ريال سعودي», «جنيه إسترليني», "US dollars").
_CURRENCY_QUAL: dict[tuple[str, str], str] = {
    (_n(c), _n(a)): code
    for c, adjs, code in (
        ("ريال", "سعودي", "SAR"),
        ("ريال", "قطري", "QAR"),
        ("ريال", "عماني", "OMR"),
        ("ريال", "يمني", "YER"),
        ("ريال", "إيراني", "IRR"),
        ("دولار", "أمريكي أميركي", "USD"),
        ("دولار", "كندي", "CAD"),
        ("دولار", "أسترالي", "AUD"),
        ("درهم", "إماراتي", "AED"),
        ("درهم", "مغربي", "MAD"),
        ("دينار", "كويتي", "KWD"),
        ("دينار", "أردني", "JOD"),
        ("دينار", "بحريني", "BHD"),
        ("دينار", "عراقي", "IQD"),
        ("دينار", "جزائري", "DZD"),
        ("دينار", "تونسي", "TND"),
        ("دينار", "ليبي", "LYD"),
        ("جنيه", "مصري", "EGP"),
        ("جنيه", "إسترليني استرليني", "GBP"),
        ("جنيه", "سوداني", "SDG"),
        ("ليرة", "تركية", "TRY"),
        ("ليرة", "لبنانية", "LBP"),
        ("ليرة", "سورية", "SYP"),
    )
    for a in adjs.split()
}
_CURRENCY_PREFIX_EN = {
    "us": "USD",
    "u.s.": "USD",
    "american": "USD",
    "canadian": "CAD",
    "australian": "AUD",
    "egyptian": "EGP",
    "saudi": "SAR",
    "hong": "HKD",
}
_PERCENT_ONE = _words("% ٪ بالمئة بالمائة بالمية percent pct")
_PERCENT_TWO = {(_n("في"), _n(w)) for w in "المئة المائة المية".split()} | {("per", "cent")}

# Units of measure and counted people → unit code (kind "quantity").
_UNITS: dict[str, str] = {
    **dict.fromkeys(
        map(
            _n,
            "كيلومتر كيلومترات كيلو_متر كلم كم km kilometre kilometres kilometer kilometers".replace(
                "كيلو_متر", ""
            ).split(),
        ),
        "km",
    ),
    **dict.fromkeys(map(_n, "متر أمتار مترا meter meters metre metres".split()), "m"),
    **dict.fromkeys(map(_n, "ميل أميال mile miles".split()), "mile"),
    **dict.fromkeys(map(_n, "طن أطنان طنا tonne tonnes ton tons".split()), "tonne"),
    **dict.fromkeys(map(_n, "كيلوغرام كيلوجرام كجم كغ kg kilogram kilograms kilogramme".split()), "kg"),
    **dict.fromkeys(map(_n, "ميغاواط ميجاوات ميغاوات ميجاواط mw megawatt megawatts".split()), "MW"),
    **dict.fromkeys(map(_n, "غيغاواط جيجاوات غيغاوات gw gigawatt gigawatts".split()), "GW"),
    **dict.fromkeys(map(_n, "كيلوواط kw kilowatt kilowatts".split()), "kW"),
    **dict.fromkeys(map(_n, "هكتار هكتارات hectare hectares ha".split()), "hectare"),
    **dict.fromkeys(map(_n, "دونم دونمات dunam dunams".split()), "dunam"),
    **dict.fromkeys(map(_n, "فدان أفدنة feddan feddans acre acres".split()), "acre"),
    **dict.fromkeys(map(_n, "برميل براميل برميلا barrel barrels bpd".split()), "barrel"),
    **dict.fromkeys(map(_n, "لتر لترات ليتر litre litres liter liters".split()), "L"),
    **dict.fromkeys(map(_n, "درجة درجات degree degrees".split()), "degree"),
    **dict.fromkeys(map(_n, "ساعة ساعات hour hours".split()), "hour"),
    **dict.fromkeys(map(_n, "دقيقة دقائق minute minutes".split()), "minute"),
    **dict.fromkeys(map(_n, "يوما أيام days".split()), "day"),
    **dict.fromkeys(map(_n, "أسبوع أسابيع أسبوعا weeks".split()), "week"),
    **dict.fromkeys(map(_n, "شهر أشهر شهرا شهور months".split()), "month"),
    **dict.fromkeys(map(_n, "عاما أعوام سنوات سنة years".split()), "year"),
    **dict.fromkeys(map(_n, "أسرة أسر عائلة عائلات household households families".split()), "household"),
    **dict.fromkeys(map(_n, "صوت صوتا أصوات vote votes".split()), "vote"),
    **dict.fromkeys(
        map(
            _n,
            """طالب طلاب طالبة طالبات شخص أشخاص مواطن مواطنين مواطنون مواطنة لاجئ لاجئين
        لاجئون جندي جنود قتيل قتلى جريح جرحى مصاب مصابين عامل عمال عاملة زائر زوار حاج حجاج معتمر
        معتمرين مسافر مسافرين طفل أطفال امرأة نساء رجل رجال مدني مدنيين مقاتل مقاتلين مسلح مسلحين
        موظف موظفين موظفة معلم معلمين معلمة معلمات طبيب أطباء مريض مرضى سائح سياح نازح نازحين مهاجر
        مهاجرين سجين سجناء معتقل معتقلين عضو أعضاء متطوع متطوعين مشارك مشاركين لاعب لاعبين ضحية
        ضحايا شهيد شهداء نسمة مهندس مهندسين مهندسة متدرب متدربين خريج خريجين مستفيد مستفيدين
        مستخدم مستخدمين مشترك مشتركين ضابط ضباط صائم صائمين ناخب ناخبين مرشح مرشحين
        people persons students refugees soldiers civilians workers pilgrims children migrants
        employees members volunteers passengers visitors tourists residents casualties victims
        patients engineers""".split(),
        ),
        "person",
    ),
}
_UNITS_TWO = {
    (_n("كيلومتر"), _n("مربع")): "km2",
    (_n("كم"), _n("مربع")): "km2",
    (_n("متر"), _n("مربع")): "m2",
    (_n("متر"), _n("مكعب")): "m3",
    (_n("مترا"), _n("مربعا")): "m2",
    (_n("مترا"), _n("مكعبا")): "m3",
    ("square", "kilometres"): "km2",
    ("square", "kilometers"): "km2",
    ("square", "metres"): "m2",
    ("square", "meters"): "m2",
    ("cubic", "metres"): "m3",
    ("cubic", "meters"): "m3",
}
# Units a bare number must not take from the next word: «كم» is "how many", «م» is "A.D.".
_UNIT_NEEDS_ADJACENT = frozenset({_n("م")})

# Places: cue words before an unlisted place name («في ولاية لوغار»), and readings to refuse
# («صلاة المغرب» is the sunset prayer, not Morocco).
_PLACE_CUES = _words("مدينة محافظة ولاية إقليم اقليم منطقة قرية بلدة مقاطعة جزيرة العاصمة مخيم حي")
_PLACE_VETO: dict[str, frozenset[str]] = {
    _n("المغرب"): _words("صلاة صلاتي أذان اذان بعد قبل عقب حتى وقت"),
}
# Ambiguous names whose *city* reading wins after these cues (عمان: Oman, or Amman after «في»).
_CITY_CUES = _words("في العاصمة بالعاصمة عاصمة")

# English titles: office words may be lower-case ("foreign minister X"), honorifics must not.
_EN_OFFICE = frozenset(
    """president minister secretary secretary-general director director-general chairman chairwoman
    chairperson ceo chief governor mayor ambassador envoy spokesman spokeswoman spokesperson chancellor
    senator premier speaker commissioner commander head leader coach founder president-elect
    prosecutor attorney judge justice executive counterpart vice-president co-founder deputy
    vice-chairman""".split()
)
_EN_HONOR = frozenset(
    """king queen prince princess sheikh sheikha emir sultan pope gen general lt col colonel maj major
    adm admiral capt captain sgt sergeant dr mr mrs ms prof professor sen rep gov lord lady sir imam
    rabbi cardinal archbishop ayatollah businessman businesswoman""".split()
)
_EN_TITLES = _EN_OFFICE | _EN_HONOR
# Words that may stand in front of a title ("Saudi Energy Minister", "Board chairman").
_EN_ROLE_WORDS = frozenset(
    """foreign energy defense defence interior finance health education trade economy economic justice
    labor labour oil petroleum industry commerce agriculture water electricity transport information
    culture housing planning tourism communications environment home treasury homeland security public
    works social affairs development investment media hajj islamic municipal rural state deputy vice
    prime acting former interim crown executive chief general assistant senior minority majority house
    senate army navy military police intelligence national central bank opposition board operating
    financial technology group regional managing joint supreme first""".split()
)
_EN_DEMONYMS = frozenset(
    """saudi emirati qatari kuwaiti bahraini omani yemeni iraqi syrian lebanese jordanian palestinian
    israeli egyptian libyan tunisian algerian moroccan sudanese iranian turkish afghan pakistani indian
    chinese japanese korean russian ukrainian american us u.s. british uk french german italian spanish
    dutch belgian swiss swedish norwegian danish greek canadian australian brazilian mexican arab
    european gulf african asian somali ethiopian nigerian kenyan indonesian malaysian filipino thai
    vietnamese polish austrian irish un cypriot maltese armenian georgian azerbaijani kazakh uzbek
    bangladeshi nepali mauritanian djiboutian eritrean chadian malian senegalese ghanaian taiwanese
    singaporean portuguese romanian bulgarian serbian croatian bosnian albanian czech slovak finnish
    icelandic estonian latvian lithuanian belarusian argentine argentinian chilean colombian
    venezuelan peruvian cuban new zealand south north""".split()
)
_EN_NAME_PARTICLES = frozenset("al el bin ibn bint abu abdul de da di del della van von der le la du ben".split())
_EN_STOP = frozenset(
    """the a an he she it they we i you in on at for but and or if this that these those his her their
    our its monday tuesday wednesday thursday friday saturday sunday said says told as by with from of
    to after before during when while mr mrs ms""".split()
) | frozenset(w for w in _MONTHS if w.isascii())
_EN_ORG_SUFFIX = frozenset(
    """inc ltd corp corporation company co group bank university agency authority council organization
    organisation fund association party commission institute committee foundation federation union
    holdings airlines airways ministry department court league movement front forces brigades college
    hospital centre center club society assembly chamber exchange""".split()
)
_EN_ORG_PREFIX = frozenset(
    """ministry bank university department organization organisation league council union court
    federation association commission institute college office board academy chamber""".split()
)
_EN_ORG_LINKS = frozenset({"of", "for", "and", "&", "the", "on"})
# All-capitals words that are not organisations.
_NOT_ORG_ACRONYMS = frozenset(
    """US USA UK UAE KSA EU AI II III IV VI VII VIII IX XI XII AM PM TV CEO CFO COO CTO GDP PHD ID OK VIP
    DNA HIV IT PR HR VAT GMT UTC AD BC FM SMS PDF URL MP MW GW KW KM KG BPD NGO USD EUR GBP SAR AED EGP
    KWD QAR JOD BHD OMR CNY JPY SR LBP TRY MAD CHF CAD AUD INR RUB COVID""".split()
)
_QUOTES = frozenset("\"'«»“”„‘’‹›")

# =============================================================================================
# Tokens
# =============================================================================================

_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
_LATIN = "A-Za-z\u00c0-\u024f"
_TOKEN_RE = re.compile(
    r"\d{1,2}:\d{2}(?::\d{2})?(?!\d)"  # clock time: skipped as a number
    r"|\d{1,4}([/.\-])\d{1,2}\1\d{1,4}(?!\d)"  # numeric date: skipped
    r"|\d+(?:[.,\u066b\u066c]\d+)*"  # number with decimal/thousands separators (any script)
    r"|(?:[A-Za-z]\.){2,}"  # U.S., U.N.
    rf"|[{_LATIN}][{_LATIN}0-9]*(?:['’\-][{_LATIN}0-9]+)*"  # al-Jubeir, Egypt's
    rf"|(?:[^\W\d_]|[{_MARKS}])*[^\W\d_](?:[^\W\d_]|[{_MARKS}])*"  # Arabic (marks kept inside)
    r"|\S"  # any other single character: punctuation, %, $, quotes
)
# Definite article, possibly behind a glued conjunction/preposition, with harakat allowed.
_DEF_RE = re.compile(rf"(?:[وف]?[بك]?|[وف]?ل)[{_MARKS}]*ا[{_MARKS}]*ل|[وف]?ل[{_MARKS}]*ل")
_SKIP_NUM_RE = re.compile(r"\d{1,2}:\d{2}|\d{1,4}([/.\-])\d{1,2}\1\d{1,4}")
_DEF_PREFIXES = (("وبال", 2), ("فبال", 2), ("وكال", 2), ("وال", 1), ("فال", 1), ("بال", 1), ("كال", 1))
_LAM_PREFIXES = (("ولل", 1), ("فلل", 1), ("لل", 0))
_ONE_PREFIXES = frozenset("وفبلك")
_TWO_PREFIXES = frozenset({"وب", "ول", "فب", "فل", "وك", "فك"})

# Flag bits of a token (_Tok.flags).
PUNCT = 1 << 0  # a single non-word character
QUOTE = 1 << 1  # a quotation mark
NUM = 1 << 2  # digits (any script), parsed into _Tok.value
SKIPNUM = 1 << 3  # a clock time or numeric date: never a number
LATIN = 1 << 4  # a Latin-script word
CAP = 1 << 5  # starts with a capital
UPPER = 1 << 6  # an all-capitals word of 2–6 letters (acronym)
ARABIC = 1 << 7  # an Arabic-script word
DEF = 1 << 8  # has the article, possibly behind a glued و/ب/ل: «الطاقة», «والطاقة», «للإحصاء»
STOP = 1 << 9  # ends a name: particle, pronoun, time word, frequent verb
PCUE = 1 << 10  # a person title, maybe the head of a multi-word one
OCUE = 1 << 11  # an organisation head word
PLACE = 1 << 12  # the first word of a place name
PLACECUE = 1 << 13  # «مدينة», «ولاية»…: a place name follows
NUMWORD = 1 << 14  # a number word (ثلاثة, three)
SCALE = 1 << 15  # ألف, مليون, billion…
SPEECH = 1 << 16  # قال, أكد…
MONTH = 1 << 17  # a month name
ENTITLE = 1 << 18  # an English title
ENORG = 1 << 19  # an English organisation suffix or head
GIVEN = 1 << 20  # a common given name
CONSTRUCT = 1 << 21  # a noun heading a construct phrase («هيئة», «خارجية»)
GENTILIC = 1 << 22  # a nationality adjective («المغربي»)
COMPOUND = 1 << 23  # عبد/أبو/بن/آل: takes the next word into the name
WAW = 1 << 24  # starts with و (maybe a glued conjunction)
FEM = 1 << 25  # ends in ة (folded to ه)
FIXEDORG = 1 << 26  # the first word of a fixed organisation name
UNITW = 1 << 27  # a unit of measure or a percent word
CURR = 1 << 28  # a currency word or sign
CONJ = 1 << 29  # a conjunction clearly glued to a known word («والطاقة», «ونظيره», «وهشام»)
PRON = 1 << 30  # ends in a pronoun suffix («استقالته»)
VERBISH = 1 << 31  # never part of a name: future verb, tanween, digits inside
YAA = 1 << 32  # may be a present-tense verb («يسعى», «ليصبح»)
ISPLACE = 1 << 33  # a place name by itself
_TRIGGER = PCUE | OCUE | PLACE | PLACECUE | NUM | NUMWORD | SCALE | SPEECH | ENTITLE | ENORG | UPPER | FIXEDORG | CURR


class _Tok:
    """What the rules need to know about one distinct token (computed once, then cached)."""

    __slots__ = ("cue", "flags", "forms", "norm", "trig", "value", "variants")

    def __init__(self, raw: str) -> None:
        norm = fold(normalize(raw))
        self.norm = norm
        self.value: float | None = None
        self.cue: tuple[int, str] | None = None  # (offset in raw, class) of a person cue
        self.variants = _variants(raw, norm)
        self.forms = tuple(v for _, v in self.variants)
        self.flags = _classify(self, raw, norm)
        self.trig = self.flags & _TRIGGER


def _variants(raw: str, norm: str) -> tuple[tuple[int, str], ...]:
    """Return (offset in raw, form) readings of the token with a glued prefix taken off."""
    out = [(0, norm)]
    if len(norm) < 3 or not ("\u0621" <= norm[0] <= "\u064a"):
        return tuple(out)
    found: list[tuple[int, str]] = []
    for p, keep in _DEF_PREFIXES:
        if norm.startswith(p) and len(norm) - len(p) >= 2:
            found.append((keep, norm[keep:]))
            break
    else:
        for p, keep in _LAM_PREFIXES:
            if norm.startswith(p) and len(norm) - len(p) >= 2:
                found.append((keep, "ال" + norm[len(p) :]))  # «للمغرب»: ل + المغرب
                found.append((keep, "ال" + norm[len(p) - 1 :]))  # «للجنة»: ل + اللجنة
                found.append((len(p) - 1, norm[len(p) - 1 :]))  # «للبنان»: ل + لبنان
                break
        else:
            if norm[:2] in _TWO_PREFIXES and len(norm) >= 5:
                found.append((2, norm[2:]))
            if norm[0] in _ONE_PREFIXES and len(norm) >= 4:
                found.append((1, norm[1:]))
    if found:
        if norm != raw:  # harakat or alef forms: map normalised offsets back to the raw token
            _, index = normalize_with_map(raw)
            found = [(index[k] if k < len(index) else len(raw), f) for k, f in found]
        out.extend(found)
    return tuple(out)


def _classify(tok: _Tok, raw: str, norm: str) -> int:
    if not norm:
        return PUNCT  # a lone tatweel or mark
    c0 = raw[0]
    if c0.isdigit():
        if _SKIP_NUM_RE.fullmatch(raw):
            return SKIPNUM
        tok.value = _parse_number(norm)
        return NUM if tok.value is not None else 0
    if len(raw) == 1 and not c0.isalnum():
        f = PUNCT | (QUOTE if c0 in _QUOTES else 0)
        if norm in _CURRENCY:
            f |= CURR
        if norm in _PERCENT_ONE:
            f |= UNITW
        return f
    places = _place_index()
    if c0.isascii() or "\u00c0" <= c0 <= "\u024f":
        low = norm
        f = LATIN
        if c0.isupper():
            f |= CAP
            if raw.replace(".", "").isupper() and 2 <= len(raw.replace(".", "")) <= 6 and raw.isascii():
                f |= UPPER
        bare = low[:-2] if low.endswith(("'s", "’s")) else low
        if bare in _EN_TITLES or low.rstrip(".") in _EN_TITLES:
            f |= ENTITLE
        if bare in _EN_ORG_SUFFIX or bare in _EN_ORG_PREFIX:
            f |= ENORG
        if low in places:
            f |= PLACE  # the first word of some place name
        if low in _place_table()[0]:
            f |= ISPLACE  # a place name by itself
        if low in _FIXED_FIRST:
            f |= FIXEDORG
        if low in _EN_NUMBER_WORDS:
            f |= NUMWORD
        if low in _UNITS or low in _PERCENT_ONE:
            f |= UNITW
        if low in _SCALES or low in _SCALE_DUALS:
            f |= SCALE
        if low in _CURRENCY or low in _CURRENCY_PREFIX_EN:
            f |= CURR
        if low in _EN_STOP or low in _MONTHS:
            f |= STOP
        if low in _MONTHS:
            f |= MONTH
        return f
    f = ARABIC
    forms = [v for _, v in tok.variants]
    if _DEF_RE.match(raw) and len(norm) > 3 and norm not in _SCALES:
        f |= DEF  # the article is a bare alef: «أليسا», «إليخاندرو» are names, not «ال» words
    if norm in _STOP_AR or (norm[0] in "وف" and norm[1:] in _STOP_AR and norm[1:] not in _GIVEN):
        f |= STOP
    if norm in _SPEECH or (norm[0] in "وف" and norm[1:] in _SPEECH):
        f |= SPEECH | STOP
    if norm in _MONTHS:
        f |= MONTH | STOP
    for off, form in tok.variants:
        if off and norm[0] not in "وف":
            continue  # only a conjunction may be glued to a title: «ونظيره»
        cls = _PERSON_CUE.get(form)
        if cls is None and form in _PERSON_CUE_PHRASES:
            cls = "phrase"
        if cls is not None:
            tok.cue = (off, cls)
            f |= PCUE
            break
    if any(v in _ORG_HEADS or v in _ORG_HEADS_DEF for v in forms):
        f |= OCUE
    if any(v in places for v in forms):
        f |= PLACE
        if any(v in _place_table()[0] for v in forms):
            f |= ISPLACE
    if any(v in _FIXED_FIRST for v in forms):
        f |= FIXEDORG
    if norm in _PLACE_CUES or (len(forms) > 1 and forms[-1] in _PLACE_CUES):
        f |= PLACECUE
    if norm in _AR_NUMBER_WORDS or (norm[0] == "و" and norm[1:] in _AR_NUMBER_WORDS):
        f |= NUMWORD
    if norm in _SCALES or norm in _SCALE_DUALS:
        f |= SCALE
    if norm in _CURRENCY:
        f |= CURR
    if norm in _UNITS or norm in _PERCENT_ONE:
        f |= UNITW
    if norm in _GIVEN:
        f |= GIVEN
    if norm in _CONSTRUCT or (len(forms) > 1 and forms[-1] in _CONSTRUCT and norm[0] in "لب"):
        f |= CONSTRUCT
    if norm in _gentilics() or (len(forms) > 1 and forms[1] in _gentilics()):
        f |= GENTILIC
    if norm in _COMPOUND:
        f |= COMPOUND
    if norm[0] == "و" and len(norm) >= 4:
        f |= WAW
        rest = norm[1:]
        if (
            rest.startswith("ال")
            or rest in _PERSON_CUE
            or rest in _ORG_HEADS
            or rest in _STOP_AR
            or rest in _GIVEN
            or rest in _PERSON_CUE_PHRASES
            or rest in _SPEECH
            or (rest[0] in "يت" and len(rest) <= 4)
        ):
            f |= CONJ  # «والطاقة», «ونظيره», «وهشام»: a conjunction glued to the next word
    if (len(norm) >= 5 and raw.endswith(("ته", "تها", "ها", "هم", "هما", "تهم", "كم"))) or (
        len(norm) >= 6 and raw.endswith("نا")
    ):
        f |= PRON  # «استقالته»: a noun with a pronoun suffix, never part of a name
    if len(norm) >= 5 and norm[:2] in ("سي", "ست", "سن") and norm not in _GIVEN:
        f |= VERBISH  # «سيلقي»: a future-tense verb
    if "\u064b" in raw or "\u064c" in raw or "\u064d" in raw or any(c.isdigit() for c in norm):
        f |= VERBISH  # tanween («قرارًا»): an indefinite noun, never a name
    if (
        norm[0] == "ي" or norm[:2] in ("لي", "لت") or (norm[:2] in ("لا", "با") and len(norm) >= 6)
    ) and norm not in _GIVEN:
        f |= YAA  # «يسعى», «يطلق»: likely a present-tense verb (unless a name such as «يغال»)
    if norm.endswith("ه") and len(norm) > 2:
        f |= FEM
    return f


class _TokCache(dict):
    """Token text → analysis; a miss analyses the token (bounded: cleared when it grows too big)."""

    def __missing__(self, raw: str) -> _Tok:
        if len(self) >= 400_000:
            self.clear()
        t = self[raw] = _Tok(raw)
        return t


_TOK_CACHE = _TokCache()
_tok = _TOK_CACHE.__getitem__
_GROUP = methodcaller("group")
_TRIG = attrgetter("trig")


def _parse_number(s: str) -> float | None:
    """Parse «1,200», «١٬٢٠٠», «7.5», «٧٫٥» (already ASCII digits): which separator is decimal?"""
    s = s.replace("\u066c", ",").replace("\u066b", ".")
    try:
        if "," in s and "." in s:
            if s.rfind(",") > s.rfind("."):
                return float(s.replace(".", "").replace(",", "."))
            return float(s.replace(",", ""))
        if "," in s:
            groups = s.split(",")
            if all(len(g) == 3 for g in groups[1:]):
                return float("".join(groups))
            return float(s.replace(",", ".", 1)) if len(groups) == 2 else None
        if s.count(".") > 1:
            groups = s.split(".")
            return float("".join(groups)) if all(len(g) == 3 for g in groups[1:]) else None
        return float(s)
    except ValueError:
        return None


# =============================================================================================
# Gazetteer
# =============================================================================================


@cache
def _place_table() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Read places.tsv once: key → first canonical name, and key → every meaning (عمان)."""
    first: dict[str, str] = {}
    meanings: dict[str, tuple[str, ...]] = {}
    path = resources.files("arshif.index").joinpath("data/places.tsv")
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or "\t" not in line:
            continue
        key, canonical = line.split("\t", 1)
        first.setdefault(key, canonical)
        if canonical not in meanings.get(key, ()):
            meanings[key] = (*meanings.get(key, ()), canonical)
    return first, meanings


def load_places() -> Mapping[str, str]:
    """Return folded-normalised place name (Arabic and English) → canonical display name."""
    return _places_view()


@cache
def _places_view() -> Mapping[str, str]:
    return MappingProxyType(_place_table()[0])


@cache
def _place_index() -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    """First word → (rest of the words, key), longest first: lookups on 1–4 token windows."""
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for key in _place_table()[0]:
        words = key.split()
        index.setdefault(words[0], []).append((tuple(words[1:]), key))
    return {w: tuple(sorted(v, key=lambda p: -len(p[0]))) for w, v in index.items()}


@cache
def _gentilics() -> frozenset[str]:
    """Nationality adjectives («المغربي», «الإسرائيلية»), derived from the Arabic place names.

    They belong to roles («نظيره المغربي») and are never places themselves.
    """
    extra = "أمريكي أميركي سعودي إماراتي بريطاني فلسطيني أوروبي عربي خليجي أفريقي آسيوي غربي دولي أممي"
    bases = {_n(w) for w in extra.split()}
    for key in _place_table()[0]:
        if " " in key or key.isascii():
            continue
        base = key[2:] if key.startswith("ال") else key
        bases.add(base + "ي")
        if base.endswith("يا"):
            bases.add(base[:-2] + "ي")
        if base.endswith(("ا", "ه")):
            bases.add(base[:-1] + "ي")
    out = set()
    for b in bases:
        for form in (b, b + "ه"):
            out.add(form)
            out.add("ال" + form)
    return frozenset(out)


def _fixed_orgs() -> dict[str, tuple[tuple[tuple[str, ...], str, str], ...]]:
    index: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
    for block in (_FIXED_ORGS_AR, _FIXED_ORGS_EN):
        for name in block.split("|"):
            key = entity_key(name.strip())
            if key:
                words = key.split()
                index.setdefault(words[0], []).append((tuple(words[1:]), "org", key))
    return {w: tuple(sorted(v, key=lambda p: -len(p[0]))) for w, v in index.items()}


def place_name(entity: Entity, text: str = "") -> str:
    """Return the canonical name of a place entity, reading context for ambiguous names.

    «عمان» is Oman or Amman: the city wins when written with a shadda (عمّان), glued to بـ, or
    after «في»/«العاصمة»; otherwise the first meaning in places.tsv (the country) stands.
    """
    meanings = _place_table()[1].get(entity.key)
    if not meanings:
        return entity.text
    if len(meanings) > 1:
        before = text[max(0, entity.start - 20) : entity.start]
        words = before.split()
        glued = entity.start > 0 and text[entity.start - 1 : entity.start] in ("ب", "ـ")
        if "\u0651" in entity.text or glued or (words and _n(words[-1]) in _CITY_CUES):
            return meanings[1]
    return meanings[0]


# =============================================================================================
# Extraction
# =============================================================================================

# A candidate: (first token, last token, priority, kind, char start, char end, role, value, unit, key)


def entity_key(text: str) -> str:
    """Return the matching key of a name: folded-normalised words, glued article prefixes removed.

    «وزارة "الطاقة"» and «وزارة الطاقة» share a key; «للمغرب» keys as «المغرب».
    """
    return _key_of([_tok(m.group()) for m in _TOKEN_RE.finditer(text)])


def _key_of(tokens: list[_Tok]) -> str:
    words = [w for w in tokens if not w.flags & PUNCT]
    if not words:
        return ""
    first = words[0].norm
    if not _lexical(first):
        # «للجنة» is ل + اللجنة, «للمغرب» ل + المغرب, «للبنان» ل + لبنان: prefer a reading we know
        readings = [form for off, form in words[0].variants[1:] if off <= 2]
        known = [r for r in readings if _lexical(r)]
        article = [r for r in readings if r.startswith("ال")]
        first = (known or article or [first])[0]
    return " ".join([first, *(w.norm for w in words[1:])])


def _lexical(word: str) -> bool:
    """A word the tables know: a place, an organisation head, a title."""
    return word in _place_table()[0] or word in _ORG_HEADS_DEF or word in _ORG_HEADS or word in _PERSON_CUE


class _Starts:
    """Token start offsets, read from the match objects only where a rule looks."""

    __slots__ = ("m",)

    def __init__(self, matches: list[re.Match[str]]) -> None:
        self.m = matches

    def __getitem__(self, i: int) -> int:
        return self.m[i].start()


class _Ends(_Starts):
    __slots__ = ()

    def __getitem__(self, i: int) -> int:
        return self.m[i].end()


class _Doc:
    """The tokens of one text and the candidates found in it."""

    __slots__ = ("E", "S", "T", "cands", "n", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        matches = list(_TOKEN_RE.finditer(text))
        # C-level maps: the Python work per token is one cached dictionary lookup
        self.T: list[_Tok] = list(map(_tok, map(_GROUP, matches)))
        self.S = _Starts(matches)
        self.E = _Ends(matches)
        self.n = len(matches)
        self.cands: list[tuple] = []

    def key(self, i: int, j: int, cs: int) -> str:
        """``entity_key`` of the span from char ``cs`` to the end of token j, from the tokens."""
        first = self.T[i] if cs == self.S[i] else _tok(self.text[cs : self.E[i]])
        return _key_of([first, *self.T[i + 1 : j + 1]])

    def add(
        self,
        i: int,
        j: int,
        prio: int,
        kind: str,
        cs: int,
        ce: int,
        role: str | None = None,
        value: float | None = None,
        unit: str | None = None,
        key: str | None = None,
    ) -> None:
        self.cands.append((i, j, prio, kind, cs, ce, role, value, unit, key))


def extract_entities(text: str, known: Mapping[str, str] | None = None) -> list[Entity]:
    """Return the people, organisations, places and numbers of ``text``, sorted, non-overlapping.

    ``known`` maps learned keys (``entity_key`` of a name) to "person"/"org": those names are
    found anywhere, without a cue. Never raises on odd input; returns [] for empty text.
    """
    if not text or not isinstance(text, str):
        return []
    doc = _Doc(text)
    T = doc.T
    trig = list(compress(range(doc.n), map(_TRIG, T)))
    if trig:
        _numbers(doc, trig)
        _places(doc, trig)
        _orgs(doc, trig)
        _persons(doc, trig)
        _fixed(doc, trig)
    _persons_en_before_verb(doc)
    if known:
        _known(doc, known)
    return _resolve(doc)


def _resolve(doc: _Doc) -> list[Entity]:
    """Keep the longest candidates (then the most trusted) so that no two share a token."""
    if not doc.cands:
        return []
    text = doc.text
    taken = bytearray(doc.n)
    out: list[Entity] = []
    for i, j, _prio, kind, cs, ce, role, value, unit, key in sorted(
        doc.cands, key=lambda c: (c[0] - c[1], -c[2], c[0])
    ):
        if any(taken[i : j + 1]):
            continue
        taken[i : j + 1] = b"\x01" * (j - i + 1)
        span = text[cs:ce]
        if key is None:
            key = doc.key(i, j, cs)
        out.append(Entity(kind, cs, ce, span, role, value, unit, key))
    out.sort(key=lambda e: e.start)
    return out


# --- numbers ---------------------------------------------------------------------------------


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
    # a scale word: «3 ملايين», "1.2 billion", "$5m"
    if j + 1 < n and T[j + 1].flags & SCALE and not f & SCALE:
        sc = T[j + 1].norm
        if sc not in _SCALES_LATIN_ONLY_AFTER_MONEY or unit is not None or S[j + 1] == E[j]:
            value = float(f"{value * (_SCALES.get(sc) or _SCALE_DUALS[sc] / 2):.12g}")
            j += 1
    k = j + 1
    if k + 1 < n and T[k].norm == "-" and S[k] == E[j] and E[k] == S[k + 1] and T[k + 1].flags & UNITW:
        k += 1  # "600-megawatt", "14-kilometre"
    if unit is None and k < n:
        unit, kind, j = _unit_after(doc, j, k)
    # "%50": the sign typed before the number in right-to-left text
    if unit is None and start > 0 and T[start - 1].norm in _PERCENT_ONE and E[start - 1] == S[start]:
        kind, unit, start = "percent", "%", start - 1
    if unit is None and (not alone or (f & NUM and _is_date_part(doc, num, j))):
        return None
    return (start, j, 2, kind, S[start] + (off if start == num else 0), E[j], None, value, unit, None)


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


# --- places ----------------------------------------------------------------------------------


def _places(doc: _Doc, trig: list[int]) -> None:
    T = doc.T
    index = _place_index()
    for i in trig:
        f = T[i].flags
        if f & PLACE:
            _place_at(doc, i, index)
        if f & PLACECUE:
            _place_after_cue(doc, i, index)


def _place_at(doc: _Doc, i: int, index: dict) -> bool:
    """Gazetteer match starting at token i (any glued-prefix reading), longest window first."""
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    t = T[i]
    latin = bool(t.flags & LATIN)
    for off, form in t.variants:
        entries = index.get(form)
        if not entries:
            continue
        for rest, key in entries:
            j = i + len(rest)
            if j >= n:
                continue
            if any(T[i + 1 + k].norm != w for k, w in enumerate(rest)):
                continue
            if latin and not _latin_name_ok(doc, i, j, key):
                continue
            if not rest and not latin and not _arabic_place_ok(doc, i, form):
                continue
            doc.add(i, j, 3, "place", S[i] + off, E[j], key=key)
            return True
    return False


def _latin_name_ok(doc: _Doc, i: int, j: int, key: str) -> bool:
    """English names must be capitalised ("Turkey", not "turkey"); short ones all capitals (US)."""
    T = doc.T
    if len(key) <= 3 or key.endswith("."):
        return all(T[k].flags & UPPER or "." in T[k].norm for k in range(i, j + 1))
    return all(T[k].flags & CAP for k in range(i, j + 1) if T[k].norm not in _EN_ORG_LINKS)


def _arabic_place_ok(doc: _Doc, i: int, form: str) -> bool:
    """Refuse a one-word place read as an adjective («الحكومة السعودية») or vetoed by context."""
    T = doc.T
    prev = T[i - 1] if i > 0 else None
    if (
        prev is not None
        and form.startswith("ال")
        and form.endswith("يه")
        and prev.flags & DEF
        and not prev.flags & STOP
    ):
        return False
    veto = _PLACE_VETO.get(form)
    return not (veto and prev is not None and prev.norm in veto)


def _place_after_cue(doc: _Doc, i: int, index: dict) -> None:
    """«في ولاية لوغار», «العاصمة الأفغانية كابل»: a place word then a name not in the gazetteer."""
    T, S, E, n = doc.T, doc.S, doc.E, doc.n
    k = i + 1
    while k < n and k <= i + 2 and T[k].flags & GENTILIC:
        k += 1
    if k >= n:
        return
    t = T[k]
    f = t.flags
    if f & PLACE and _place_at(doc, k, index):
        return
    if not f & ARABIC or f & (STOP | PCUE | OCUE | CONSTRUCT | NUMWORD | GENTILIC | PLACECUE | GIVEN):
        return
    if f & FEM and not f & DEF:  # «منطقة عسكرية»: an adjective
        return
    if len(t.norm) < 3 or t.norm.endswith(("ين", "ون", "ات")):
        return
    doc.add(k, k, 1, "place", S[k], E[k])


# --- organisations ---------------------------------------------------------------------------


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


def _quoted(doc: _Doc, k: int, limit: int = 8) -> int:
    """If token k opens a quote closed within ``limit`` tokens, return the closing index, else -1."""
    T, n = doc.T, doc.n
    for c in range(k + 1, min(n, k + limit + 1)):
        tc = T[c]
        if tc.flags & QUOTE:
            return c if c > k + 1 else -1
        if tc.flags & PUNCT and tc.norm in ".،,؛;:!?؟()":
            return -1
    return -1


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


# --- learned names ---------------------------------------------------------------------------


class _KnownIndex:
    """First word → (rest of the words, kind, key) of the learned names, longest first.

    Extraction runs per sentence with the same mapping, so the index is kept between calls: reused
    while the mapping is the same object (or an equal one: a caller may reload the names per
    question), extended when a dict only grew (new keys come last), rebuilt otherwise.
    """

    def __init__(self) -> None:
        self.source: Mapping[str, str] | None = None
        self.snapshot: dict[str, str] = {}
        self.index: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}

    def get(self, known: Mapping[str, str]) -> dict[str, list[tuple[tuple[str, ...], str, str]]]:
        size = len(self.snapshot)
        if len(known) == size and (known is self.source or known == self.snapshot):
            self.source = known
            return self.index
        if known is self.source and isinstance(known, dict) and len(known) > size:
            added = list(islice(known.items(), size, None))
        else:
            self.index, self.snapshot, added = {}, {}, list(known.items())
        touched = set()
        for key, kind in added:
            words = key.split()
            if words:
                self.index.setdefault(words[0], []).append((tuple(words[1:]), kind, key))
                touched.add(words[0])
        for w in touched:
            self.index[w].sort(key=lambda p: -len(p[0]))
        self.snapshot.update(added)
        self.source = known
        return self.index


_KNOWN_INDEX = _KnownIndex()


def _known(doc: _Doc, known: Mapping[str, str]) -> None:
    index = _KNOWN_INDEX.get(known)
    if not index:
        return
    keys = index.keys()
    for i, t in enumerate(doc.T):
        if not keys.isdisjoint(t.forms):
            _match_names(doc, i, index, 4)


# --- people ----------------------------------------------------------------------------------


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
        if not f & ARABIC or f & (STOP | PUNCT | NUM | NUMWORD | SCALE | UNITW | MONTH | PRON | VERBISH):
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


# --- English people --------------------------------------------------------------------------


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
_EN_HUMAN_VERBS = frozenset("""said says told resigned stepped explained noted insisted argued
    admitted denied recalled wrote testified""".split())


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


_FIXED_FIRST: dict = {}
_FIXED: dict = {}


def _init_fixed() -> None:
    """Build the fixed-organisation index (needs the tokeniser, hence after it is defined)."""
    _FIXED.update(_fixed_orgs())
    _FIXED_FIRST.update(_FIXED)
    _TOK_CACHE.clear()  # tokens analysed while building were classified without this table


_init_fixed()
