"""Relation candidates: an entity pair in its sentence, marked with typed entity markers.

The classifier reads ``[S:Chemical] cisplatin [/S] induced [O:Disease] nephrotoxicity [/O]``:
markers around the subject and object carry their types, and the encoder pools the marker
tokens (or [CLS]). Markers are inserted at character offsets; removing them restores the
original text exactly (a property test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kgmed.documents.ddi import DdiSentence
from kgmed.documents.pubtator import AnnotatedDocument
from kgmed.text.tokens import sentence_spans


def markers(role: str, etype: str) -> tuple[str, str]:
    """Opening and closing marker strings for ``role`` S (subject) or O (object)."""
    return f"[{role}:{etype}] ", f" [/{role}]"


def marker_tokens(types: Iterable[str]) -> list[str]:
    """Every marker token a model needs in its vocabulary, for these entity types."""
    out = []
    for role in ("S", "O"):
        out += [markers(role, t)[0].strip() for t in sorted(set(types))]
        out.append(f"[/{role}]")
    return out


def mark_pair(text: str, subject: tuple[int, int, str], obj: tuple[int, int, str]) -> str:
    """``text`` with subject and object marked; spans are ``(start, end, type)``.

    Overlapping spans cannot both be marked: that raises ``ValueError``.
    """
    (s0, s1, st), (o0, o1, ot) = subject, obj
    if not (s1 <= o0 or o1 <= s0):
        raise ValueError(f"subject {s0}-{s1} and object {o0}-{o1} overlap")
    inserts = [
        (s0, 1, markers("S", st)[0]),
        (s1, 0, markers("S", st)[1]),
        (o0, 1, markers("O", ot)[0]),
        (o1, 0, markers("O", ot)[1]),
    ]
    out, last = [], 0
    for at, _, marker in sorted(inserts):  # a closing marker before an opening one at one offset
        out.append(text[last:at])
        out.append(marker)
        last = at
    out.append(text[last:])
    return "".join(out)


def unmark(marked: str, types: Iterable[str]) -> str:
    """Remove the markers :func:`mark_pair` inserted."""
    out = marked
    for role in ("S", "O"):
        for t in set(types):
            out = out.replace(markers(role, t)[0], "")
        out = out.replace(markers(role, "")[1], "")
    return out


@dataclass(frozen=True)
class Candidate:
    """One entity pair in context, with its gold label when known."""

    unit: str  # document or sentence id
    text: str  # marked text
    subject: tuple[str, ...]  # subject concept ids (or entity id)
    object: tuple[str, ...]
    label: str  # "none" or a relation type


def cid_candidates(documents: Iterable[AnnotatedDocument]) -> list[Candidate]:
    """BC5CDR chemical-induces-disease candidates: every chemical and disease mention pair in
    one sentence, labelled CID when the document's gold relations link their MeSH ids.

    Mention-level candidates are later aggregated to document-level (chemical, disease) pairs.
    """
    out = []
    for doc in documents:
        gold = {(a, b) for kind, a, b in doc.relations if kind == "CID"}
        text = doc.document.text
        for sentence in sentence_spans(text):
            inside = [
                m for m in doc.mentions if sentence.start <= m.start and m.end <= sentence.end
            ]
            chemicals = [m for m in inside if m.label == "Chemical" and m.concept_ids]
            diseases = [m for m in inside if m.label == "Disease" and m.concept_ids]
            local = text[sentence.start : sentence.end]
            for c in chemicals:
                for d in diseases:
                    if not (c.end <= d.start or d.end <= c.start):
                        continue
                    marked = mark_pair(
                        local,
                        (c.start - sentence.start, c.end - sentence.start, "Chemical"),
                        (d.start - sentence.start, d.end - sentence.start, "Disease"),
                    )
                    positive = any((a, b) in gold for a in c.concept_ids for b in d.concept_ids)
                    label = "CID" if positive else "none"
                    out.append(
                        Candidate(doc.document.id, marked, c.concept_ids, d.concept_ids, label)
                    )
    return out


def ddi_candidates(sentences: Iterable[DdiSentence]) -> list[Candidate]:
    """DDI 2013 candidates: every annotated pair, marked in its sentence."""
    out = []
    for s in sentences:
        entities = {e.id: e for e in s.entities}
        for e1, e2, label in s.pairs:
            a, b = entities.get(e1), entities.get(e2)
            if a is None or b is None or not (a.end <= b.start or b.end <= a.start):
                continue
            marked = mark_pair(s.text, (a.start, a.end, "Chemical"), (b.start, b.end, "Chemical"))
            out.append(Candidate(s.id, marked, (a.id,), (b.id,), label))
    return out
