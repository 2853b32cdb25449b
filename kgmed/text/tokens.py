"""Word tokens and sentence windows with exact character offsets.

Words are runs of letters/digits or single punctuation characters, the tokenization of the
BC5CDR and NCBI-disease BIO corpora, so a tagger trained on them sees the same units at
inference. Every span indexes the original text: ``text[start:end]`` is the token.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)
# A sentence ends at . ! ? followed by whitespace and an upper-case letter, digit or bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


def word_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Word spans of ``text[start:end]``, as offsets into ``text``."""
    stop = len(text) if end is None else end
    return [Span(m.start(), m.end()) for m in _WORD.finditer(text, start, stop)]


def sentence_spans(text: str) -> list[Span]:
    """Sentence spans (rule-based); whitespace between sentences belongs to none."""
    spans = []
    begin = 0
    for m in _SENTENCE_END.finditer(text):
        spans.append(Span(begin, m.start()))
        begin = m.end()
    spans.append(Span(begin, len(text)))
    out = []
    for s in spans:
        a, b = s.start, s.end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append(Span(a, b))
    return out


def windows(text: str, max_words: int) -> list[list[Span]]:
    """Word spans grouped by sentence; sentences longer than ``max_words`` are cut into
    consecutive windows at word boundaries, so no text is dropped."""
    groups: list[list[Span]] = []
    for sentence in sentence_spans(text):
        words = word_spans(text, sentence.start, sentence.end)
        for i in range(0, len(words), max_words):
            groups.append(words[i : i + max_words])
    return [g for g in groups if g]


def longest_matches(
    n_words: int, lookup: Callable[[int, int], T | None], max_words: int
) -> list[tuple[int, int, T]]:
    """Greedy longest match over ``n_words`` words: at each word the longest span of at most
    ``max_words`` that ``lookup(start, end)`` accepts (returns not None), left to right, not
    overlapping. The dictionary taggers and linkers share it."""
    found: list[tuple[int, int, T]] = []
    i = 0
    while i < n_words:
        for n in range(min(max_words, n_words - i), 0, -1):
            hit = lookup(i, i + n)
            if hit is not None:
                found.append((i, i + n, hit))
                i += n
                break
        else:
            i += 1
    return found
