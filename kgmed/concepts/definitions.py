"""HAS_SYMPTOM facts read from the Disease Ontology's own definitions.

DO's curated disease-symptom table (``disease-symptom.tsv``) holds only the symptoms its
editors turned into logical axioms; the definitions say more. Rubella's definition reads
"... has_symptom rash on the face which spreads to the trunk and limbs, has_symptom fever,
has_symptom lymphadenopathy, has_symptom joint pains, has_symptom headache, and has_symptom
conjunctivitis", while the table lists fever, headache and joint pain only.

Each ``has_symptom`` clause (up to the next clause or the end of the sentence) is linked to
the Symptom Ontology: the longest names and synonyms found in it, word by word ("rash on the
face which spreads ..." -> rash); a clause naming none is linked whole by embedding
similarity when an embedder is given ("clay-colored bowel movements" -> acholic stool).
"characterized by ..." clauses (to the end of the sentence: "characterized by periodic
attacks of chills and fever") are free prose, so only names and synonyms found in them count.
Every fact keeps the definition as its evidence sentence, with the phrase's offsets, and the
link's confidence as its probability (1.0 for a name or synonym, the cosine otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kgmed.concepts.linking import ConceptIndex
from kgmed.concepts.ontology import OntologyContent
from kgmed.core.records import Concept, Document, Evidence, Relation

SOURCE = "DO definition"
EXTRACTOR = "kgmed.do_definition_symptoms"
EXTRACTOR_VERSION = "1"

# A clause runs from "has_symptom" to the next "has_symptom" or the end of its sentence. 65
# definitions write "has symptom" (289 clauses: mumps, "The infection has symptom fever, has
# symptom headache, ..."), a few "has symptoms"; they read the same.
_HAS_SYMPTOM = r"\bhas[_ ]symptoms?\b"
_CLAUSE = re.compile(
    _HAS_SYMPTOM + r"\s+(.+?)(?=,?\s*(?:and\s+|or\s+)?" + _HAS_SYMPTOM + r"|\.(?:\s|$)|$)"
)
_CHARACTERIZED = re.compile(r"\bcharacterized by\s+(.+?)(?=\.(?:\s|$)|$)")


@dataclass(frozen=True)
class SymptomPhrase:
    """A symptom named in a definition: where, what, and how sure the link is."""

    start: int
    end: int
    symptom: str
    score: float


def clauses(definition: str, pattern: re.Pattern[str] = _CLAUSE) -> Iterator[tuple[int, str]]:
    """``(offset, text)`` of each has_symptom clause (or each match of ``pattern``)."""
    for m in pattern.finditer(definition):
        text = m.group(1).rstrip(" ,;")
        if text:
            yield m.start(1), text


def lexical_matches(text: str, index: ConceptIndex) -> list[SymptomPhrase]:
    """Longest names and synonyms in ``text``, left to right, not overlapping."""
    return [SymptomPhrase(start, end, link.id, 1.0) for start, end, link in index.find(text)]


def definition_symptoms(definition: str, index: ConceptIndex) -> list[SymptomPhrase]:
    """Symptoms the has_symptom and "characterized by" clauses of one definition name
    (offsets into it)."""
    out: list[SymptomPhrase] = []
    unmatched: list[tuple[int, str]] = []
    for offset, text in clauses(definition):
        hits = lexical_matches(text, index)
        if hits:
            out += [
                SymptomPhrase(offset + h.start, offset + h.end, h.symptom, h.score) for h in hits
            ]
        else:
            unmatched.append((offset, text))
    for offset, text in clauses(definition, _CHARACTERIZED):
        hits = lexical_matches(text, index)
        out += [SymptomPhrase(offset + h.start, offset + h.end, h.symptom, h.score) for h in hits]
    if unmatched and index.embedder is not None:
        for (offset, text), link in zip(
            unmatched, index.link([t for _, t in unmatched]), strict=True
        ):
            if link.id:
                out.append(SymptomPhrase(offset, offset + len(text), link.id, round(link.score, 4)))
    # a has_symptom clause inside a "characterized by" sentence is found twice
    return sorted(set(out), key=lambda p: (p.start, p.end, p.symptom))


def read_definition_symptoms(
    diseases: Iterable[Concept], index: ConceptIndex, document: Document
) -> OntologyContent:
    """HAS_SYMPTOM relations from the definitions of ``diseases`` (one evidence per phrase);
    ``document`` is the ontology file the definitions came from."""
    relations: dict[tuple[str, str], list[Evidence]] = {}
    for disease in diseases:
        for phrase in definition_symptoms(disease.definition, index):
            relations.setdefault((disease.id, phrase.symptom), []).append(
                Evidence(
                    document_id=document.id,
                    source=SOURCE,
                    extractor=EXTRACTOR,
                    extractor_version=EXTRACTOR_VERSION,
                    probability=phrase.score,
                    sentence=disease.definition,
                    sentence_start=0,
                    sentence_end=len(disease.definition),
                    object_start=phrase.start,
                    object_end=phrase.end,
                )
            )
    return OntologyContent(
        SOURCE,
        document,
        [],
        [
            Relation(d, "Disease", "HAS_SYMPTOM", s, "Symptom", tuple(evidence))
            for (d, s), evidence in relations.items()
        ],
    )
