"""Linking accuracy with gold spans: the share of gold mentions (with one MeSH id) whose text
the linker maps to that MeSH id (BC5CDR test, NCBI-disease test).

``reachable`` is the ceiling of the linker's resources: the share of mentions whose gold id is
in its MeSH dictionary or MeSH vocabulary at all (or, for diseases, a DO cross-reference). An
id none of them holds (a concept MeSH 2024 retired or renumbered since the corpus was
annotated) no linker over these resources can name.

``named_otherwise`` counts the wrong links where MeSH's preferred name of the returned id is
the mention's text itself: the corpus chose another id for a name MeSH gives this one (mostly
supplementary concepts that MeSH has since replaced by new descriptors)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from kgmed.concepts.mentions import MentionLinker
from kgmed.documents.pubtator import NCBI_DISEASE_CLASSES, read_pubtator


def evaluate_linking(
    linker: MentionLinker, path: Path, abbreviations: Any | None = None
) -> dict[str, Any]:
    correct: Counter[str] = Counter()
    total: Counter[str] = Counter()
    reachable: Counter[str] = Counter()
    named_otherwise = 0
    known = {
        "Chemical": linker.vocabulary.ids("Chemical"),
        "Disease": linker.vocabulary.ids("Disease") | set(linker.mesh_to_do),
    }
    for (_, etype), mesh_id in linker.mesh.items():
        known.setdefault(etype, set()).add(mesh_id)
    for doc in read_pubtator(path):
        long_forms = abbreviations.long_forms(doc.document.text) if abbreviations else {}
        for m in doc.mentions:
            if len(m.concept_ids) != 1 or not m.concept_ids[0].startswith("MESH:"):
                continue
            etype = "Disease" if m.label in NCBI_DISEASE_CLASSES else m.label
            predicted = linker.mesh_id(m.text, etype, long_forms.get(m.text))
            total[etype] += 1
            correct[etype] += predicted == m.concept_ids[0]
            if predicted is not None and predicted != m.concept_ids[0]:
                name = linker.name(predicted)
                named_otherwise += name is not None and name.casefold() == m.text.casefold()
            reachable[etype] += m.concept_ids[0] in known.get(etype, ())
    per_type = {
        t: {"accuracy": correct[t] / total[t], "reachable": reachable[t] / total[t], "n": total[t]}
        for t in sorted(total)
    }
    n = sum(total.values())
    return {
        "accuracy": sum(correct.values()) / n if n else 0.0,
        "reachable": sum(reachable.values()) / n if n else 0.0,
        "n": n,
        "named_otherwise": named_otherwise,
        "per_type": per_type,
    }
