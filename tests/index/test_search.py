"""Search: what users type → safe FTS5 → ranked hits with highlighted excerpts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from arshif.index import search, store
from arshif.index.analysis import exact_term, term, tokenize
from arshif.index.errors import ArchiveError, DateRangeError, QuerySyntaxError
from arshif.index.models import Hit, SearchResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TXT_TITLE = "وزارة المياه تطلق محطة تحلية جديدة في مدينة الزهراء"
HTML_TITLE = "افتتاح مكتبة رقمية في بلدة النخيل"
ARRAY_AR_TITLE = "مهرجان للكتاب في مدينة الياسمين"
MARLOWE_TITLE = "Fictional port of Marlowe opens a solar ferry terminal"


@pytest.fixture(scope="module")
def db(archive_file: Path) -> Iterator[sqlite3.Connection]:
    """A read-only view of the sample archive shared by this module's tests."""
    conn = store.connect(archive_file)
    yield conn
    conn.close()


def _terms(text: str) -> set[str]:
    return {t.term for t in tokenize(text)}


def _all_hits(db: sqlite3.Connection, query: str) -> SearchResult:
    return search.run(db, query, limit=1000)


def _ids(result: SearchResult) -> list[int]:
    return [h.article_id for h in result.results]


def _article_terms(db: sqlite3.Connection, article_id: int) -> set[str]:
    a = store.get_article(db, article_id)
    return _terms(a.title) | _terms(a.body)


# --- words, phrases, exclusions ------------------------------------------------------------------------


def test_all_words_must_match(db: sqlite3.Connection) -> None:
    both = _all_hits(db, "محطة تحلية")
    assert both.total == len(both.results) > 0
    for hit in both.results:
        assert {term("محطة"), term("تحلية")} <= _article_terms(db, hit.article_id)
    only_one = set(_ids(_all_hits(db, "محطة"))) | set(_ids(_all_hits(db, "تحلية")))
    assert set(_ids(both)) < only_one
    assert set(_ids(both)) == set(_ids(_all_hits(db, "محطة"))) & set(_ids(_all_hits(db, "تحلية")))


def _has_phrase(terms_seq: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(terms_seq[i : i + n] == phrase for i in range(len(terms_seq) - n + 1))


@pytest.mark.parametrize("query", ['"مليون دولار"', "«مليون دولار»", "“مليون دولار”"])
def test_exact_phrase(db: sqlite3.Connection, query: str) -> None:
    result = _all_hits(db, query)
    assert result.total > 0
    phrase = [term("مليون"), term("دولار")]
    for hit in result.results:
        a = store.get_article(db, hit.article_id)
        assert _has_phrase([t.term for t in tokenize(a.body)], phrase) or _has_phrase(
            [t.term for t in tokenize(a.title)], phrase)
    words = _all_hits(db, "مليون دولار")
    assert set(_ids(result)) < set(_ids(words))  # some articles hold both words apart


def test_phrase_word_order_matters(db: sqlite3.Connection) -> None:
    assert _ids(search.run(db, '"solar ferry"')) == _ids(search.run(db, '"solar ferry terminal"'))
    assert search.run(db, '"solar ferry"').total == 1
    assert search.run(db, '"ferry solar"').total == 0


@pytest.mark.parametrize(("query", "excluded"), [("اتفاقية -الغاز", "الغاز"), ("ferry -Velmora", "velmora"),
                                                 ('الطاقة -"مليون دولار"', None)])
def test_excluded_words(db: sqlite3.Connection, query: str, excluded: str | None) -> None:
    base = _all_hits(db, query.split(" -")[0])
    result = _all_hits(db, query)
    assert 0 < result.total < base.total
    assert set(_ids(result)) < set(_ids(base))
    if excluded:
        for hit in result.results:
            assert term(excluded) not in _article_terms(db, hit.article_id)
        for aid in set(_ids(base)) - set(_ids(result)):
            assert term(excluded) in _article_terms(db, aid)


def test_only_excluded_words_is_a_helpful_error(db: sqlite3.Connection) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        search.run(db, "-الغاز -ferry")
    message = str(info.value)
    assert "Add at least one word" in message
    assert "excluded" in message


@pytest.mark.parametrize("query", ["", "   ", '"', "()", "*", "-", "«»", "\u200f\u200e"])
def test_nothing_searchable_is_a_query_syntax_error(db: sqlite3.Connection, query: str) -> None:
    with pytest.raises(QuerySyntaxError):
        search.run(db, query)


def test_stopwords_only_still_search(db: sqlite3.Connection) -> None:
    assert search.run(db, "في").total > 0


# --- filters ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "since", "until"),
    [
        ("مدينة since:2022-06", "2022-06-01", None),
        ("مدينة until:2022-06", None, "2022-06-30"),
        ("مدينة since:2022 until:2022-06-02", "2022-01-01", "2022-06-02"),
        ("ferry منذ:2022-09-01", "2022-09-01", None),
        ("الطاقة since:٢٠٢٣", "2023-01-01", None),
    ],
)
def test_date_filters(db: sqlite3.Connection, query: str, since: str | None, until: str | None) -> None:
    words = query.split()[0]
    unfiltered = _all_hits(db, words)
    result = _all_hits(db, query)
    assert 0 < result.total < unfiltered.total
    for hit in result.results:
        assert hit.published is not None
        assert since is None or hit.published >= since
        assert until is None or hit.published <= until
    expected = {h.article_id for h in unfiltered.results if h.published
                and (since is None or h.published >= since) and (until is None or h.published <= until)}
    assert set(_ids(result)) == expected


@pytest.mark.parametrize("source", ["fixture-daily", "FIXTURE-DAILY"])
def test_source_filter(db: sqlite3.Connection, source: str) -> None:
    result = _all_hits(db, f"مدينة source:{source}")
    assert [h.title for h in result.results] == [ARRAY_AR_TITLE]
    assert all(h.source == "fixture-daily" for h in result.results)


def test_filters_argument_combines_with_the_query(db: sqlite3.Connection) -> None:
    result = search.run(db, "ferry", filters=store.Filters(since="2022-09-01"))
    assert [h.title for h in result.results] == ["Velmora ferry service resumes after repairs"]


@pytest.mark.parametrize("value", ["yesterday", "2021-13", "2021-02-30", "21-7", "abc"])
def test_bad_since_value_tells_what_to_write(db: sqlite3.Connection, value: str) -> None:
    with pytest.raises(DateRangeError) as info:
        search.run(db, f"الطاقة since:{value}")
    message = str(info.value)
    assert value in message
    assert "since:2021-07-01" in message and "since:2021-07" in message
    assert isinstance(info.value, ArchiveError)


def test_reversed_range_says_swap(db: sqlite3.Connection) -> None:
    with pytest.raises(DateRangeError, match="swap"):
        search.run(db, "الطاقة since:2023 until:2022")


# --- spelling variants ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "canonical", "title"),
    [
        ("محطه تحليه", "محطة تحلية", TXT_TITLE),  # ta marbuta written as ha
        ("مَحَطَّةُ تَحْلِيَةٍ", "محطة تحلية", TXT_TITLE),  # harakat
        ("محطـــة تحليـة", "محطة تحلية", TXT_TITLE),  # tatweel
        ("بالزهراء", "الزهراء", TXT_TITLE),  # glued preposition + article
        ("والزهراء", "الزهراء", TXT_TITLE),
        ("اعلنت الزهراء", "أعلنت الزهراء", TXT_TITLE),  # hamza
        ("120 الزهراء", "۱۲۰ الزهراء", TXT_TITLE),  # the text writes Persian digits
        ("١٢٠ الزهراء", "۱۲۰ الزهراء", TXT_TITLE),
        ("القري المجاوره", "القرى المجاورة", TXT_TITLE),  # alef maksura, ta marbuta
        ("مكتبه رقميه", "مكتبة رقمية", HTML_TITLE),
        ("للمكتبة النخيل", "المكتبة النخيل", HTML_TITLE),
        ("مدينه الياسمين", "مدينة الياسمين", ARRAY_AR_TITLE),
        ("وبالياسمين", "الياسمين", ARRAY_AR_TITLE),
        ("MARLOWE signing contracts", "Marlowe signed contract", MARLOWE_TITLE),  # English stems, case
    ],
)
def test_spelling_of_the_query_does_not_matter(db: sqlite3.Connection, query: str, canonical: str,
                                               title: str) -> None:
    result = _all_hits(db, query)
    assert title in [h.title for h in result.results]
    assert _ids(result) == _ids(_all_hits(db, canonical))


def test_spelling_of_the_text_does_not_matter(empty_db: sqlite3.Connection) -> None:
    from arshif.index.ingest import RawArticle, ingest_records

    ingest_records(empty_db, [RawArticle(title="خبر بالحركات", body="وُقِّعَت الإتفاقيّة في المدرسه الكبرى بالقاهره.")],
                   workers=1)
    queries = ("وقعت الاتفاقية", "الاتفاقيه", "مدرسة", "المدرسة الكبري", "القاهرة", "في القاهرة", '"وقعت الاتفاقية"')
    for query in queries:
        assert search.run(empty_db, query).total == 1, query


# --- excerpts -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["محطة تحلية", '"مليون دولار"', "والمغرب", "signing ferry", "الطاقة -الغاز"])
def test_highlights_are_exactly_the_matched_words(db: sqlite3.Connection, query: str) -> None:
    parsed = search.parse_query(query)
    wanted = parsed.positive_terms
    result = search.run(db, query)
    assert result.results
    for hit in result.results:
        assert hit.highlights, hit.title
        for s, e in hit.highlights:
            (tok,) = tokenize(hit.excerpt[s:e])
            assert tok.text == hit.excerpt[s:e]
            assert exact_term(tok.text) in wanted or tok.term in wanted
        # and every matching word of the excerpt is highlighted
        marked = set(hit.highlights)
        for tok in tokenize(hit.excerpt):
            assert (exact_term(tok.text) in wanted or tok.term in wanted) == ((tok.start, tok.end) in marked)
        assert set(parsed.excluded).isdisjoint(_terms(hit.excerpt))


def test_excerpt_is_cut_from_the_original_text(db: sqlite3.Connection) -> None:
    hit = search.run(db, "سامي الخطيب").results[0]
    body = store.get_article(db, hit.article_id).body
    core = hit.excerpt.removeprefix("… ").removesuffix(" …")
    assert core in body
    assert "الخطيب" in core


def test_excerpt_function_directly() -> None:
    body = " ".join(f"word{i}" for i in range(100)) + " target words here " + " ".join(f"tail{i}" for i in range(100))
    text, spans = search.excerpt(body, {term("target")}, size=10)
    assert text.startswith("… ") and text.endswith(" …")
    assert [text[s:e] for s, e in spans] == ["target"]
    short, short_spans = search.excerpt("Target here.", {term("target")})
    assert (short, [short[s:e] for s, e in short_spans]) == ("Target here.", ["Target"])


# --- fallback, suggestions, paging -----------------------------------------------------------------------------


def test_any_word_fallback_when_all_words_find_nothing(db: sqlite3.Connection) -> None:
    assert search.run(db, "xyzzyq").total == 0
    result = _all_hits(db, "الزهراء xyzzyq")
    assert result.total == _all_hits(db, "الزهراء").total > 0
    assert _ids(result) == _ids(_all_hits(db, "الزهراء"))
    assert search.build_match(search.parse_query("a b"), any_term=True).count(" OR ") == 0  # a is a stopword
    assert " OR " in search.build_match(search.parse_query("الزهراء xyzzyq"), any_term=True)


@pytest.mark.parametrize(
    ("typo", "right"),
    [("تطاوبن", "تطاوين"), ("الياسمبن", "الياسمين"), ("desalinaton", "desalination"), ("Marlowr", "Marlowe")],
)
def test_did_you_mean(db: sqlite3.Connection, typo: str, right: str) -> None:
    result = search.run(db, typo)
    assert result.total == 0
    assert result.suggestion is not None
    assert right in result.suggestion
    assert search.run(db, result.suggestion).total > 0


def test_no_suggestion_when_something_matches(db: sqlite3.Connection) -> None:
    assert search.run(db, "الزهراء").suggestion is None


def test_paging_with_offset(db: sqlite3.Connection) -> None:
    everything = search.run(db, "مليون", limit=100)
    assert everything.total >= 7
    pages = [search.run(db, "مليون", limit=3, offset=o) for o in range(0, everything.total, 3)]
    assert all(p.total == everything.total for p in pages)
    assert [i for p in pages for i in _ids(p)] == _ids(everything)
    assert pages[1].offset == 3
    beyond = search.run(db, "مليون", limit=3, offset=everything.total)
    assert (beyond.results, beyond.total) == ((), everything.total)


def test_ranking_prefers_the_title(db: sqlite3.Connection) -> None:
    result = search.run(db, "ferry")
    scores = [h.score for h in result.results]
    assert scores == sorted(scores, reverse=True)
    assert result.results[0].title.lower().count("ferry") == 1


def test_sort_by_date(db: sqlite3.Connection) -> None:
    result = search.run(db, "مدينة", limit=100, by_date=True)
    dates = [h.published for h in result.results]
    assert dates == sorted(dates, reverse=True)


def test_hit_fields(db: sqlite3.Connection) -> None:
    hit = search.run(db, "Marlowe").results[0]
    assert (hit.title, hit.url, hit.published, hit.source) == (
        MARLOWE_TITLE, "https://example.org/fixtures/marlowe-ferry", "2022-04-12", "fixture-wire")
    assert isinstance(hit.score, float)


# --- any string is a safe query -----------------------------------------------------------------------------------

_NASTY = st.sampled_from([
    '"', "«", "»", "“", "”", "„", "(", ")", "*", "^", ":", "-", "–", "+", "{", "}", "[", "]", ",", "'", "\\",
    "NEAR", "NEAR(", "AND", "OR", "NOT", "\x00", "\u200f", "\u200e", "\u202e", "\ufeff", "😀", "👍🏽",
    "since:", "until:", "source:", "منذ:", "حتى:", "المصدر:", "since:2021", "until:x", " ", "\n",
    "الطاقة", "ferry", "مليون", "ᦰ", "ﷺ", "٢٠٢١", "title:", "body:", "rowid",
])
QUERIES = st.one_of(
    st.text(),
    st.lists(st.one_of(_NASTY, st.text(max_size=4)), max_size=25).map("".join),
    st.lists(_NASTY, max_size=15).map(" ".join),
    st.text(min_size=500, max_size=5000),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(QUERIES)
def test_any_string_is_a_safe_query(db: sqlite3.Connection, query: str) -> None:
    try:
        result = search.run(db, query, limit=5)
    except ArchiveError as exc:
        assert str(exc)
        return
    assert isinstance(result, SearchResult)
    assert result.total >= len(result.results)
    for hit in result.results:
        for s, e in hit.highlights:
            assert 0 <= s < e <= len(hit.excerpt)


# --- a word is not its stem (issue 12) ------------------------------------------------------------------------

# Words the stemmer conflates, each alone in an article: a query finds its own word's family only.
WORDS = ["كورونا", "الكوري", "العملة", "العمل", "المدين", "المدينة", "العمالة", "الشركة", "الشرك",
         "السياسة", "السياسي", "اليمن", "اليمنية", "النفط", "النفطية", "الأمن", "الأمنية",
         "بالعملات", "عملتها", "بكورونا", "والمدينة", "مدينتين", "الكوريون", "الكورية"]
WIDENING = ["الموظف", "الموظفة", "التعليم"]
COLLISIONS = [  # (query, words whose articles it must find); every other word's article must not match
    ("كورونا", {"كورونا", "بكورونا"}),
    ("الكوري", {"الكوري", "الكوريون", "الكورية"}),
    ("العملة", {"العملة", "بالعملات", "عملتها"}),
    ("العمل", {"العمل"}),
    ("المدين", {"المدين"}),
    ("المدينة", {"المدينة", "والمدينة", "مدينتين"}),
    ("العمالة", {"العمالة"}),
    ("الشركة", {"الشركة"}),
    ("الشرك", {"الشرك"}),
    ("السياسة", {"السياسة"}),
    ("السياسي", {"السياسي"}),
    ("اليمن", {"اليمن"}),
    ("النفط", {"النفط"}),
    ("الأمن", {"الأمن"}),
    ('"العملة"', {"العملة"}),  # a quoted word: its exact form (with clitics), no other inflection
    ('"كورونا"', {"كورونا", "بكورونا"}),
]


@pytest.fixture(scope="module")
def words_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    from arshif.index.ingest import RawArticle, ingest_records

    conn = store.connect(tmp_path_factory.mktemp("words") / "words.db")
    # Each word in WIDEN_BELOW articles, so that exact matches alone answer; «الموظف» once and
    # «التعليم» (never «التعليمات») for the widening.
    records = [RawArticle(title=f"خبر رقم {i}", body=f"جاء في الخبر {copy} ذكر {w} اليوم.",
                          url=f"https://e.org/{i}/{copy}")
               for i, w in enumerate(WORDS) for copy in range(search.WIDEN_BELOW)]
    records += [RawArticle(title="خبر آخر", body=f"ذكر {w} مرة.", url=f"https://e.org/{len(WORDS) + i}/0")
                for i, w in enumerate(WIDENING)]
    assert ingest_records(conn, records, workers=1).added == len(records)
    yield conn
    conn.close()


def _word(hit: Hit) -> str:
    return (WORDS + WIDENING)[int(hit.url.split("/")[-2])]


def _found_words(conn: sqlite3.Connection, query: str) -> set[str]:
    return {_word(h) for h in search.run(conn, query, limit=100).results}


def test_the_stemmer_conflates_these_pairs() -> None:
    for a, b in [("كورونا", "الكوري"), ("العملة", "العمل"), ("الشركة", "الشرك"), ("السياسة", "السياسي"),
                 ("اليمن", "اليمنية"), ("النفط", "النفطية"), ("الأمن", "الأمنية")]:
        assert term(a) == term(b), (a, b)
        assert exact_term(a) != exact_term(b), (a, b)


@pytest.mark.parametrize(("query", "expected"), COLLISIONS)
def test_a_word_finds_its_family_not_its_stem_fellows(words_db: sqlite3.Connection, query: str,
                                                      expected: set[str]) -> None:
    assert _found_words(words_db, query) == expected


def test_alerts_and_trends_match_the_same_way(words_db: sqlite3.Connection) -> None:
    parsed = search.parse_query("العملة")
    match = search.build_match(parsed)  # what alerts save: no vocabulary trimming
    ids = store.match_new_ids(words_db, match, parsed.filters, 0, store.max_article_id(words_db))
    assert {WORDS[(i - 1) // search.WIDEN_BELOW] for i in ids} == {"العملة", "بالعملات", "عملتها"}


def test_the_stem_widens_only_where_the_exact_form_finds_little(words_db: sqlite3.Connection) -> None:
    # «التعليمات» is not in the archive; its stem meets «التعليم».
    assert term("التعليمات") == term("التعليم")
    assert _found_words(words_db, "التعليمات") == {"التعليم"}
    # «الموظف» is in one article (fewer than WIDEN_BELOW): «الموظفة», its stem fellow, comes after it.
    result = search.run(words_db, "الموظف", limit=100)
    assert [_word(h) for h in result.results] == ["الموظف", "الموظفة"] and result.total == 2
    assert result.results[0].highlights and result.results[1].highlights
    # a quoted phrase never widens
    assert _found_words(words_db, '"التعليمات"') == set()
