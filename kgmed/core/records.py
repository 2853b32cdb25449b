"""Typed records passed between stages.

Frozen dataclasses: later stages read them without spaCy or torch. A :class:`Relation` is a
fact (subject, predicate, object) plus its :class:`Evidence`, INDRA-style; the graph keeps
the evidence and derives the relationship's aggregates from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from kgmed.core.ids import checksum_text, content_key


class Assertion(StrEnum):
    """How a mention or fact is asserted in its sentence (ConText categories)."""

    AFFIRMED = "affirmed"
    NEGATED = "negated"
    UNCERTAIN = "uncertain"
    HISTORICAL = "historical"
    FAMILY = "family"
    HYPOTHETICAL = "hypothetical"


@dataclass(frozen=True, slots=True)
class Concept:
    """An ontology or vocabulary concept: one node of the graph."""

    id: str
    label: str  # node label from kgmed.graph.schema (Disease, Symptom, Chemical, Gene)
    name: str
    synonyms: tuple[str, ...] = ()
    definition: str = ""
    xrefs: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    """A source document: an abstract, a clinical note, or a curated dataset file."""

    id: str
    text: str = ""
    title: str = ""
    source: str = ""
    kind: str = "literature"  # literature | note | dataset
    pipeline_version: str = ""
    checksum: str = ""

    def with_checksum(self) -> Document:
        """This document with ``checksum`` filled from its title and text."""
        from dataclasses import replace

        return replace(self, checksum=checksum_text(self.title + "\n" + self.text))


@dataclass(frozen=True, slots=True)
class Evidence:
    """One observation supporting (or, when negated, opposing) a relation.

    Offsets are character offsets into the document text; ``-1`` where they do not apply
    (curated facts). ``probability`` is the extractor's calibrated confidence.
    """

    document_id: str
    source: str
    extractor: str
    extractor_version: str = ""
    probability: float = 1.0
    assertion: Assertion = Assertion.AFFIRMED
    sentence: str = ""
    sentence_start: int = -1
    sentence_end: int = -1
    subject_start: int = -1
    subject_end: int = -1
    object_start: int = -1
    object_end: int = -1
    section: str = ""

    def key(self, statement: str) -> str:
        """Content key: the same observation of the same statement always hashes alike.

        The extractor version, probability and assertion are left out, so re-running a newer
        model over the same sentence updates the evidence instead of adding a second one.
        """
        return content_key(
            statement,
            self.document_id,
            self.source,
            self.extractor,
            self.sentence_start,
            self.sentence_end,
            self.subject_start,
            self.subject_end,
            self.object_start,
            self.object_end,
        )


@dataclass(frozen=True, slots=True)
class Relation:
    """A typed fact between two concepts with the evidence for it."""

    subject: str
    subject_label: str
    predicate: str
    object: str
    object_label: str
    evidence: tuple[Evidence, ...] = field(default=())

    @property
    def statement(self) -> str:
        """The key of the fact, shared by all its evidence."""
        return statement_key(self.subject, self.predicate, self.object)


def statement_key(subject: str, predicate: str, obj: str) -> str:
    """``subject|PREDICATE|object``: the key evidence is grouped under."""
    return f"{subject}|{predicate}|{obj}"


@dataclass(frozen=True, slots=True)
class Aggregate:
    """What a graph relationship carries for fast path queries, derived from its evidence."""

    probability: float
    evidence_count: int
    negated_count: int
    document_count: int
    sources: tuple[str, ...]


NEGATIVE_ASSERTIONS = frozenset({Assertion.NEGATED})


def aggregate(evidence: list[tuple[float, str, str, str]]) -> Aggregate:
    """Combine evidence ``(probability, assertion, document_id, source)`` into an aggregate.

    Probability is a noisy-OR over supporting evidence, discounted by a noisy-OR over
    negated evidence: ``P = (1 - prod(1 - p_for)) * prod(1 - p_against)``. Negated evidence
    therefore counts against a fact, never for it. Uncertain, historical, family and
    hypothetical evidence support with half weight.
    """
    keep_for = 1.0
    keep_against = 1.0
    negated = 0
    documents: set[str] = set()
    sources: set[str] = set()
    for probability, assertion, document_id, source in evidence:
        p = min(max(float(probability), 0.0), 1.0)
        documents.add(document_id)
        sources.add(source)
        if assertion in NEGATIVE_ASSERTIONS:
            negated += 1
            keep_against *= 1.0 - p
        elif assertion == Assertion.AFFIRMED:
            keep_for *= 1.0 - p
        else:
            keep_for *= 1.0 - 0.5 * p
    return Aggregate(
        probability=round((1.0 - keep_for) * keep_against, 6),
        evidence_count=len(evidence),
        negated_count=negated,
        document_count=len(documents),
        sources=tuple(sorted(sources)),
    )


@dataclass(frozen=True, slots=True)
class Mention:
    """An entity mention: a character span of a document's text with a type.

    ``start``/``end`` index the document text (``text == doc_text[start:end]``).
    ``concept_ids`` holds gold or linked ids (e.g. ``("MESH:D003920",)``) when known.
    """

    document_id: str
    start: int
    end: int
    text: str
    label: str  # Chemical, Disease, Symptom, Gene
    concept_ids: tuple[str, ...] = ()
    score: float = 1.0
    source: str = ""
