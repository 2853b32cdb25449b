"""Relation candidates: an entity pair in its sentence, marked with typed entity markers.

The classifier reads ``[S:Chemical] cisplatin [/S] induced [O:Disease] nephrotoxicity [/O]``:
markers around the subject and object carry their types, and the encoder pools the marker
tokens (or [CLS]). Markers are inserted at character offsets; removing them restores the
original text exactly (a property test checks it).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from kgmed.concepts.linking import normalize
from kgmed.core.records import Mention
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
    # Character offsets into the document (document-level candidates): the marked window,
    # the subject mention and the object mention.
    window: tuple[int, int] | None = None
    subject_span: tuple[int, int] | None = None
    object_span: tuple[int, int] | None = None


def bare_id(curie: str) -> str:
    """``MESH:D003924`` and ``D003924`` compare equal (BioRED relation lines omit prefixes)."""
    return curie.rsplit(":", 1)[-1]


def pair_candidates(
    document_id: str,
    text: str,
    subjects: Sequence[Mention],
    objects: Sequence[Mention],
    *,
    subject_type: str,
    object_type: str,
    gold: Callable[[tuple[str, ...], tuple[str, ...]], str] | None = None,
    window: int = 3,
    per_pair: int = 3,
) -> list[Candidate]:
    """Mention-pair candidates for the document-level pairs of concepts.

    A concept pair whose mentions share a sentence gets up to ``per_pair`` same-sentence
    candidates (each marked in its sentence); otherwise the closest mention pair at most
    ``window - 1`` sentences apart is marked in the span of sentences holding both. Pairs
    further apart get no candidate. ``gold(subject_ids, object_ids)`` labels candidates
    ("none" without it). Scores are later aggregated per concept pair (max).
    """
    sentences = sentence_spans(text)
    starts = [s.start for s in sentences]

    def sentence_of(m: Mention) -> int:
        return max(0, bisect_right(starts, m.start) - 1)

    by_pair: dict[tuple[tuple[str, ...], tuple[str, ...]], list[tuple[int, Mention, Mention]]]
    by_pair = {}
    for s in subjects:
        if not s.concept_ids:
            continue
        for o in objects:
            if not o.concept_ids or not (s.end <= o.start or o.end <= s.start):
                continue
            distance = abs(sentence_of(s) - sentence_of(o))
            if distance < window:
                by_pair.setdefault((s.concept_ids, o.concept_ids), []).append((distance, s, o))
    out = []
    for (sids, oids), pairs in by_pair.items():
        pairs.sort(key=lambda t: (t[0], min(t[1].start, t[2].start)))
        chosen = [p for p in pairs if p[0] == 0][:per_pair] or pairs[:1]
        label = gold(sids, oids) if gold else "none"
        for _, s, o in chosen:
            first = sentences[min(sentence_of(s), sentence_of(o))].start
            last = sentences[max(sentence_of(s), sentence_of(o))].end
            first, last = min(first, s.start, o.start), max(last, s.end, o.end)
            marked = mark_pair(
                text[first:last],
                (s.start - first, s.end - first, subject_type),
                (o.start - first, o.end - first, object_type),
            )
            out.append(
                Candidate(
                    document_id,
                    marked,
                    sids,
                    oids,
                    label,
                    (first, last),
                    (s.start, s.end),
                    (o.start, o.end),
                )
            )
    return out


def _corpus_candidates(
    documents: Iterable[AnnotatedDocument],
    *,
    kind: str,
    label: str,
    labels: tuple[str, str],
    unordered: bool,
    window: int,
) -> list[Candidate]:
    """Chemical-disease candidates of annotated documents, labelled ``label`` when a document
    relation of type ``kind`` links their ids (in either order when ``unordered``)."""
    out = []
    for doc in documents:
        positives = set()
        for k, a, b in doc.relations:
            if k == kind:
                positives.add((bare_id(a), bare_id(b)))
                if unordered:
                    positives.add((bare_id(b), bare_id(a)))

        def gold(sids: tuple[str, ...], oids: tuple[str, ...], pos: set = positives) -> str:
            hit = any((bare_id(a), bare_id(b)) in pos for a in sids for b in oids)
            return label if hit else "none"

        out += pair_candidates(
            doc.document.id,
            doc.document.text,
            [m for m in doc.mentions if m.label == labels[0]],
            [m for m in doc.mentions if m.label == labels[1]],
            subject_type="Chemical",
            object_type="Disease",
            gold=gold,
            window=window,
        )
    return out


def cid_candidates(documents: Iterable[AnnotatedDocument], window: int = 3) -> list[Candidate]:
    """BC5CDR chemical-induces-disease candidates (see :func:`pair_candidates`), labelled CID
    when the document's gold relations link their MeSH ids."""
    return _corpus_candidates(
        documents,
        kind="CID",
        label="CID",
        labels=("Chemical", "Disease"),
        unordered=False,
        window=window,
    )


def treats_candidates(documents: Iterable[AnnotatedDocument], window: int = 3) -> list[Candidate]:
    """BioRED chemical-disease candidates, labelled TREATS when the document relates the pair
    by Negative_Correlation (the chemical lowers the disease: a treatment)."""
    return _corpus_candidates(
        documents,
        kind="Negative_Correlation",
        label="TREATS",
        labels=("ChemicalEntity", "DiseaseOrPhenotypicFeature"),
        unordered=True,
        window=window,
    )


def document_pairs(
    documents: Iterable[AnnotatedDocument], kind: str, subject_label: str, object_label: str
) -> set[tuple[str, str, str]]:
    """Gold document-level pairs ``(document, subject id, object id)`` of relation ``kind``
    whose two concepts are both mentioned with the given labels (for scoring)."""
    out = set()
    for doc in documents:
        subjects = {
            bare_id(i) for m in doc.mentions if m.label == subject_label for i in m.concept_ids
        }
        objects = {
            bare_id(i) for m in doc.mentions if m.label == object_label for i in m.concept_ids
        }
        for k, a, b in doc.relations:
            a, b = bare_id(a), bare_id(b)
            if k != kind:
                continue
            if a in subjects and b in objects:
                out.add((doc.document.id, a, b))
            elif kind == "Negative_Correlation" and b in subjects and a in objects:
                out.add((doc.document.id, b, a))
    return out


_MARKED = re.compile(r"\[S:\w+\] (?P<s>.*?) \[/S\]|\[O:\w+\] (?P<o>.*?) \[/O\]", re.DOTALL)


def same_drug_named_twice(marked: str) -> bool:
    """A drug pair that cannot interact: the same name twice ("aspirin ... aspirin", also
    singular/plural), or the second name in parentheses right after the first, an
    abbreviation or synonym ("5-fluorouracil (5-FU)"). Negative instance filtering, as DDI 2013
    systems do: of such pairs in the DDI 2013 training set 6 of 1,833 and 0 of 247 interact.
    ``marked`` is a candidate text from :func:`mark_pair`."""
    found = list(_MARKED.finditer(marked))
    if len(found) != 2:
        return False
    first, second = found
    names = [normalize(m.group("s") or m.group("o") or "") for m in found]
    if names[0] and names[0].rstrip("s") == names[1].rstrip("s"):
        return True
    return marked[first.end() : second.start()].strip() in ("(", "[")


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
