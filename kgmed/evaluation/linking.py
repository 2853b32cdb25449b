"""Linking accuracy with gold spans: the share of gold mentions (with one MeSH id) whose text
the linker maps to that MeSH id (BC5CDR test, NCBI-disease test).

``reachable`` is the ceiling of the linker's resources: the share of mentions whose gold id is
in its MeSH dictionary at all (or, for diseases, a DO cross-reference). Without a MeSH
vocabulary, no linker over these resources can name an id they do not hold."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from kgmed.concepts.mentions import MentionLinker
from kgmed.documents.pubtator import read_pubtator

NCBI_TYPES = {"SpecificDisease", "DiseaseClass", "CompositeMention", "Modifier"}


def evaluate_linking(
    linker: MentionLinker, path: Path, abbreviations: Any | None = None
) -> dict[str, Any]:
    correct: Counter[str] = Counter()
    total: Counter[str] = Counter()
    reachable: Counter[str] = Counter()
    known = {"Chemical": set(), "Disease": set(linker.mesh_to_do)}
    for (_, etype), mesh_id in linker.mesh.items():
        known.setdefault(etype, set()).add(mesh_id)
    for doc in read_pubtator(path):
        long_forms = abbreviations.long_forms(doc.document.text) if abbreviations else {}
        for m in doc.mentions:
            if len(m.concept_ids) != 1 or not m.concept_ids[0].startswith("MESH:"):
                continue
            etype = "Disease" if m.label in NCBI_TYPES else m.label
            predicted = linker.mesh_id(m.text, etype, long_forms.get(m.text))
            total[etype] += 1
            correct[etype] += predicted == m.concept_ids[0]
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
        "per_type": per_type,
    }
