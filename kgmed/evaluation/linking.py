"""Linking accuracy with gold spans: the share of gold mentions (with one MeSH id) whose text
the linker maps to that MeSH id (BC5CDR test, NCBI-disease test)."""

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
    for doc in read_pubtator(path):
        long_forms = abbreviations.long_forms(doc.document.text) if abbreviations else {}
        for m in doc.mentions:
            if len(m.concept_ids) != 1 or not m.concept_ids[0].startswith("MESH:"):
                continue
            etype = "Disease" if m.label in NCBI_TYPES else m.label
            predicted = None
            for surface in (long_forms.get(m.text), m.text):
                if surface and predicted is None:
                    predicted = linker.mesh_id(surface, etype)
            total[etype] += 1
            correct[etype] += predicted == m.concept_ids[0]
    per_type = {t: {"accuracy": correct[t] / total[t], "n": total[t]} for t in sorted(total)}
    n = sum(total.values())
    return {"accuracy": sum(correct.values()) / n if n else 0.0, "n": n, "per_type": per_type}
