"""Document-level label propagation (kgmed.mentions.consistency)."""

from __future__ import annotations

import pytest

from kgmed.core.errors import ConfigError
from kgmed.core.records import Mention
from kgmed.mentions.consistency import check_rules, propagate

TEXT = (
    "Ifosfamide with mesna was given; mesna-treated rats and Mesna controls. Later mesna "
    "alone, then mesna again."
)


def _m(text: str, word: str, label: str, nth: int = 0) -> Mention:
    start = -1
    for _ in range(nth + 1):
        start = text.index(word, start + 1)
    return Mention("d1", start, start + len(word), word, label)


def _spans(mentions: list[Mention]) -> list[tuple[str, int, str]]:
    return [(m.text, m.start, m.label) for m in mentions]


def test_always_tags_every_whole_word_same_case_occurrence():
    first = _m(TEXT, "mesna", "Chemical")
    out = propagate(TEXT, [first], {"Chemical": "always"})
    # "Mesna" (other case) and "mesna-treated" (not a whole word) stay untagged
    assert _spans(out) == [
        ("mesna", 16, "Chemical"),
        ("mesna", 78, "Chemical"),
        ("mesna", 96, "Chemical"),
    ]
    assert all(TEXT[m.start : m.end] == m.text for m in out)
    assert propagate(TEXT, [first], {"Disease": "always"}) == [first]  # no rule for the type


def test_majority_needs_as_many_tagged_as_left_out():
    one = [_m(TEXT, "mesna", "Chemical")]  # tagged once, left out twice: nothing added
    assert propagate(TEXT, one, {"Chemical": "majority"}) == one
    two = [*one, _m(TEXT, "mesna", "Chemical", nth=2)]  # tagged twice, left out once
    out = propagate(TEXT, two, {"Chemical": "majority"})
    assert [m.start for m in out] == [16, 78, 96]


def test_longer_names_claim_their_words_first_and_overlaps_are_skipped():
    text = "breast cancer risk; breast cancer and cancer; cancer."
    mentions = [_m(text, "breast cancer", "Disease"), _m(text, "cancer", "Disease", nth=2)]
    out = propagate(text, mentions, {"Disease": "always"})
    assert _spans(out) == [
        ("breast cancer", 0, "Disease"),
        ("breast cancer", 20, "Disease"),
        ("cancer", 38, "Disease"),
        ("cancer", 46, "Disease"),
    ]


def test_unknown_rule_is_a_config_error():
    assert check_rules({"Chemical": "always"}) == {"Chemical": "always"}
    with pytest.raises(ConfigError, match="unknown label-propagation rule"):
        check_rules({"Chemical": "sometimes"})


def test_occurrences_never_overlap():
    text = "a a a. a a a"
    out = propagate(text, [Mention("d", 0, 3, "a a", "Disease")], {"Disease": "always"})
    assert [(m.start, m.end) for m in out] == [(0, 3), (7, 10)]


def test_short_forms_of_tagged_long_forms_take_their_label():
    text = "Acute kidney injury (AKI) followed. AKI resolved; AKI-free and aki stayed untagged."
    tagged = [_m(text, "Acute kidney injury", "Disease")]
    out = propagate(text, tagged, {}, {"AKI": "Acute kidney injury"})
    assert _spans(out) == [
        ("Acute kidney injury", 0, "Disease"),
        ("AKI", 21, "Disease"),
        ("AKI", 36, "Disease"),
    ]
    assert propagate(text, tagged, {}, {"AKI": "renal failure"}) == tagged  # long form untagged
    assert propagate(text, tagged, {}, None) == tagged
