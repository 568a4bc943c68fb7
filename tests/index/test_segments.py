"""Sentences and passages: where they end, and that passages stay inside one paragraph."""

from __future__ import annotations

import itertools
import re

import pytest
from arshif.index.segments import PASSAGE_WORDS, split_passages, split_sentences
from hypothesis import given, settings
from hypothesis import strategies as st


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("وقعت الاتفاقية. وقال الوزير", ["وقعت الاتفاقية.", "وقال الوزير"]),
        ("هل انتهى؟ نعم! أكيد", ["هل انتهى؟", "نعم!", "أكيد"]),
        ("Really? Yes! Done. Next", ["Really?", "Yes!", "Done.", "Next"]),
        ("سطر أول بلا نقطة\nسطر ثان", ["سطر أول بلا نقطة", "سطر ثان"]),
        ("فقرة أولى.\n\n\nفقرة ثانية.", ["فقرة أولى.", "فقرة ثانية."]),
        # the Arabic comma does not end a sentence
        ("وقعت الاتفاقية، وقال الوزير، ثم غادر.", ["وقعت الاتفاقية، وقال الوزير، ثم غادر."]),
        # nor does a decimal point
        ("بلغ النمو 7.5 في المئة. وارتفع", ["بلغ النمو 7.5 في المئة.", "وارتفع"]),
        ("Growth was 7.5 percent and 3.14 more.", ["Growth was 7.5 percent and 3.14 more."]),
        # nor an initial
        ("J. Doe signed it. Then left", ["J. Doe signed it.", "Then left"]),
        # closing quotes stay with their sentence
        ("قال «انتهى.» ثم غادر", ["قال «انتهى.»", "ثم غادر"]),
        ('He said "done." Then left', ['He said "done."', "Then left"]),
        ("ends with a dot.", ["ends with a dot."]),
        ("   ", []),
        ("", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_sentence_spans_are_trimmed_and_ordered() -> None:
    text = "  أولا.   ثانيا؟\n  ثالثا!  "
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["أولا.", "ثانيا؟", "ثالثا!"]
    assert spans == sorted(spans)
    assert all(not text[s].isspace() and not text[e - 1].isspace() for s, e in spans)


def _words(text: str) -> int:
    return len(re.findall(r"\S+", text))


def _check_passages(text: str) -> list[tuple[int, int]]:
    sents = split_sentences(text)
    passages = split_passages(text)
    # passages cover the sentences exactly, in order, without overlap
    covered = [s for s in sents if any(ps <= s[0] and s[1] <= pe for ps, pe in passages)]
    assert covered == sents
    for (_, e1), (s2, _) in itertools.pairwise(passages):
        assert e1 <= s2
    for s, e in passages:
        # a passage never crosses a paragraph (a line break)
        assert "\n" not in text[s:e]
        inside = [x for x in sents if s <= x[0] and x[1] <= e]
        assert inside and inside[0][0] == s and inside[-1][1] == e
        # at most PASSAGE_WORDS words, unless it is a single longer sentence
        assert _words(text[s:e]) <= PASSAGE_WORDS or len(inside) == 1
    return passages


def test_passages_group_sentences_up_to_the_word_limit() -> None:
    sentence = " ".join(["كلمة"] * 10) + "."  # 10 words
    text = " ".join([sentence] * 14)  # 140 words in one paragraph
    passages = _check_passages(text)
    assert len(passages) == 3
    assert [_words(text[s:e]) for s, e in passages] == [60, 60, 20]


def test_passages_never_cross_a_paragraph() -> None:
    text = "جملة قصيرة أولى. جملة ثانية.\n\nفقرة جديدة هنا. وجملة أخرى.\nسطر آخر."
    passages = _check_passages(text)
    assert [text[s:e] for s, e in passages] == [
        "جملة قصيرة أولى. جملة ثانية.",
        "فقرة جديدة هنا. وجملة أخرى.",
        "سطر آخر.",
    ]


def test_a_long_sentence_is_its_own_passage() -> None:
    long = " ".join(["word"] * (PASSAGE_WORDS + 25)) + "."
    text = f"Short one. {long} Another short one."
    passages = _check_passages(text)
    assert [text[s:e] for s, e in passages] == ["Short one.", long, "Another short one."]


def test_passages_accept_precomputed_sentences() -> None:
    text = "أ. ب. ج.\nد."
    assert split_passages(text, split_sentences(text)) == split_passages(text)


def test_empty_text_has_no_passages() -> None:
    assert split_passages("") == []
    assert split_passages(" \n\n ") == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["كلمة", "word", "7.5", "،", ".", "؟", "!", "\n", "\n\n", " ", "«", "»"]),
                max_size=200))
def test_passage_invariants_hold_for_any_text(parts: list[str]) -> None:
    _check_passages(" ".join(parts))
