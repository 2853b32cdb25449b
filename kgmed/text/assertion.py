"""Assertion status of mentions (negated, uncertain, historical, family) and note sections.

ConText-style: negspacy's NegEx scopes (cue, window, termination words) run four times with
four cue sets: its clinical negation termset, and kgmed's cue lists for uncertainty, history
and family. medspaCy's ConText does this in one component, but it does not install cleanly on
spaCy 3.8 (see ../shared/ENVIRONMENT.md); negspacy does. This module and ``kgmed.text`` are the
only places spaCy is used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from kgmed.core.records import Assertion

_TERMINATION = [
    "but",
    "however",
    "although",
    "though",
    "except",
    "aside from",
    "apart from",
    "secondary to",
    "which",
    "who",
    "presents",
    "presented",
    "reports",
    "complains of",
    "now",
]
CUES: dict[str, dict[str, list[str]]] = {
    "uncertain": {
        "pseudo_negations": ["no doubt", "without doubt"],
        "preceding_negations": [
            "possible",
            "possibly",
            "probable",
            "probably",
            "suspected",
            "suspect",
            "suspicion of",
            "rule out",
            "r/o",
            "ruled out for",
            "questionable",
            "may have",
            "might have",
            "could be",
            "concern for",
            "concerning for",
            "likely",
            "differential includes",
            "evaluate for",
            "worrisome for",
            "consistent with possible",
        ],
        "following_negations": ["suspected", "is suspected", "was suspected", "?", "unlikely"],
        "termination": _TERMINATION,
    },
    "historical": {
        "pseudo_negations": [
            "history and physical",
            "history and examination",
            "history of present illness",
        ],
        "preceding_negations": [
            "history of",
            "h/o",
            "hx of",
            "past history of",
            "previous",
            "previously",
            "prior",
            "past medical history of",
            "status post",
            "s/p",
            "in the past",
            "had a history of",
            "remote history of",
        ],
        "following_negations": [
            "in the past",
            "years ago",
            "as a child",
            "in childhood",
            "since childhood",
            "resolved",
        ],
        "termination": _TERMINATION,
    },
    "family": {
        "pseudo_negations": ["family history negative"],
        "preceding_negations": [
            "family history of",
            "fh of",
            "family hx of",
            "mother",
            "father",
            "brother",
            "sister",
            "sibling",
            "aunt",
            "uncle",
            "grandmother",
            "grandfather",
            "cousin",
            "mother's",
            "father's",
            "parent",
            "parents",
            "his son",
            "her son",
            "his daughter",
            "her daughter",
        ],
        "following_negations": [
            "in the family",
            "in his mother",
            "in her mother",
            "in his father",
            "in her father",
            "runs in the family",
        ],
        "termination": [*_TERMINATION, "patient", "he", "she"],
    },
}
_SECTION = re.compile(r"^\s*([A-Z][A-Z /&()-]{2,60}):", re.M)


def sections(text: str) -> list[tuple[int, str]]:
    """(start offset, normalized title) of each ``UPPER CASE TITLE:`` section header."""
    return [(m.start(1), " ".join(m.group(1).lower().split())) for m in _SECTION.finditer(text)]


def section_at(headers: Sequence[tuple[int, str]], offset: int) -> str:
    current = ""
    for start, title in headers:
        if start > offset:
            break
        current = title
    return current


class AssertionTagger:
    """Assigns each mention one :class:`Assertion` from its sentence context."""

    def __init__(self) -> None:
        import spacy
        from negspacy.negation import Negex  # noqa: F401  (registers the "negex" factory)
        from negspacy.termsets import termset

        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("sentencizer")
        self.nlp.add_pipe(
            "negex",
            name="negated",
            config={
                "neg_termset": termset("en_clinical").get_patterns(),
                "extension_name": "negated",
            },
        )
        for kind, cues in CUES.items():
            self.nlp.add_pipe(
                "negex", name=kind, config={"neg_termset": cues, "extension_name": kind}
            )

    def assertions(self, text: str, spans: Sequence[tuple[int, int]]) -> list[Assertion]:
        """The assertion of each (start, end) span of ``text``, in order.

        Family beats negation beats history beats uncertainty (a negated family fact is
        still about the family).
        """
        from spacy.tokens import Span

        doc = self.nlp.make_doc(text)
        ents, index = [], []
        for i, (start, end) in enumerate(spans):
            span = doc.char_span(start, end, label="ENTITY", alignment_mode="expand")
            if span is None:
                continue
            ents.append(span)
            index.append(i)
        # doc.ents must not overlap: keep the first of overlapping spans
        kept, last_end, kept_index = [], -1, []
        for span, i in sorted(zip(ents, index, strict=True), key=lambda t: t[0].start):
            if span.start >= last_end:
                kept.append(span)
                kept_index.append(i)
                last_end = span.end
        doc.ents = [Span(doc, s.start, s.end, label="ENTITY") for s in kept]
        for _, component in self.nlp.pipeline:
            doc = component(doc)
        out = [Assertion.AFFIRMED] * len(spans)
        for ent, i in zip(doc.ents, kept_index, strict=True):
            out[i] = _status(ent)
        for i, (start, end) in enumerate(spans):  # overlapping spans share their winner
            if i not in kept_index:
                for ent, j in zip(doc.ents, kept_index, strict=True):
                    if ent.start_char <= start < ent.end_char or start <= ent.start_char < end:
                        out[i] = out[j]
        return out


def _status(ent: Any) -> Assertion:
    if ent._.family:
        return Assertion.FAMILY
    if ent._.negated:
        return Assertion.NEGATED
    if ent._.historical:
        return Assertion.HISTORICAL
    if ent._.uncertain:
        return Assertion.UNCERTAIN
    return Assertion.AFFIRMED
