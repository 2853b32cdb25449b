"""Document-level label consistency: a name tagged once is tagged where it appears again.

A sentence tagger reads each sentence alone, so it can tag "mesna" in one sentence of an
abstract and miss it in the next, or tag an abbreviation where it is defined and not where it
is used. Annotation guidelines (BC5CDR, NCBI-disease) tag every occurrence. This pass copies
the tagger's label of a mention text to the text's other whole-word occurrences (same case)
that no mention covers, per entity type by one of two rules:

* ``always``: every other occurrence gets the label;
* ``majority``: only when the tagger tagged the text at least as often as it left it out.

Longer texts go first, so "breast cancer" claims its words before "cancer" does. Then, given
the abbreviations the text defines (``long_forms``: scispaCy's Schwartz-Hearst detector, see
:mod:`kgmed.text.abbreviations`), the short form of a tagged long form gets its label at every
whole-word occurrence no mention covers: "acute kidney injury (AKI)" binds each "AKI".

The rules are chosen on development data with a tagger that never saw it and recorded with
the model (``kgmed.json``, ``decoding.propagate`` and ``decoding.abbreviations``;
``benchmarks/ner_decoding.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from kgmed.core.errors import ConfigError
from kgmed.core.records import Mention

RULES = ("always", "majority")


def _joins(char: str) -> bool:
    """Whether ``char`` continues a word (letters, digits, ``_`` and ``-``)."""
    return char.isalnum() or char in "_-"


def whole_words(text: str, name: str) -> Iterator[tuple[int, int]]:
    """Spans of ``name`` in ``text`` not inside a longer word (str.find: no regex per name)."""
    start = text.find(name)
    while start != -1:
        end = start + len(name)
        if (start == 0 or not _joins(text[start - 1])) and (
            end == len(text) or not _joins(text[end])
        ):
            yield start, end
            start = text.find(name, end)  # occurrences do not overlap
        else:
            start = text.find(name, start + 1)


def check_rules(rules: Mapping[str, str]) -> dict[str, str]:
    """``rules`` (entity type -> rule) as a plain dict, or a ConfigError naming the bad rule."""
    bad = {label: rule for label, rule in rules.items() if rule not in RULES}
    if bad:
        raise ConfigError(
            f"unknown label-propagation rule(s) {bad}",
            hint=f"each entity type takes one of: {', '.join(RULES)}",
        )
    return dict(rules)


def propagate(
    text: str,
    mentions: Sequence[Mention],
    rules: Mapping[str, str],
    long_forms: Mapping[str, str] | None = None,
) -> list[Mention]:
    """``mentions`` of ``text`` plus the occurrences the rules add, then the short forms of
    tagged long forms (``long_forms``: short form -> long form), in text order."""
    if not mentions or not (rules or long_forms):
        return list(mentions)
    covered = bytearray(len(text))  # 1 where a mention (found or added) covers the character
    for m in mentions:
        covered[m.start : m.end] = b"\x01" * (m.end - m.start)
    added: list[Mention] = []

    def add(template: Mention, spans: list[tuple[int, int]]) -> None:
        for start, end in spans:
            added.append(replace(template, start=start, end=end, text=text[start:end]))
            covered[start:end] = b"\x01" * (end - start)

    def free(name: str) -> list[tuple[int, int]]:
        return [(s, e) for s, e in whole_words(text, name) if covered.find(1, s, e) == -1]

    labels: dict[str, Counter[str]] = {}
    first: dict[tuple[str, str], Mention] = {}  # (text, label) -> its first mention
    first_of: dict[str, Mention] = {}  # text -> its first mention
    for m in mentions:
        labels.setdefault(m.text, Counter())[m.label] += 1
        first.setdefault((m.text, m.label), m)
        first_of.setdefault(m.text, m)
    for name in sorted(labels, key=lambda t: (-len(t), t)) if rules else ():
        label, tagged = labels[name].most_common(1)[0]
        rule = rules.get(label)
        if rule is None or len(name) < 2:
            continue
        spans = free(name)
        if rule == "majority" and len(spans) > tagged:
            continue
        add(first[(name, label)], spans)
    for short, long in (long_forms or {}).items():
        if long in first_of:
            add(first_of[long], free(short))
    return sorted([*mentions, *added], key=lambda m: (m.start, m.end)) if added else list(mentions)
