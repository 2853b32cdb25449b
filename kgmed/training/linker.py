"""Build the MeSH dictionary the mention linker uses, from training and development splits."""

from __future__ import annotations

import csv
from pathlib import Path

from kgmed.concepts.mentions import MESH_DICTIONARY, build_mesh_dictionary
from kgmed.core.errors import DataError
from kgmed.documents.pubtator import read_pubtator

SOURCES = (
    "bc5cdr/CDR_TrainingSet.PubTator.txt",
    "bc5cdr/CDR_DevelopmentSet.PubTator.txt",
    "ncbi_disease/NCBItrainset_corpus.txt",
    "ncbi_disease/NCBIdevelopset_corpus.txt",
)
NCBI_TYPES = {"SpecificDisease", "DiseaseClass", "CompositeMention", "Modifier"}


def build(data_dir: Path, output: Path = MESH_DICTIONARY) -> int:
    """Write the dictionary; returns its number of rows. Test splits are never read."""
    mentions = []
    for rel in SOURCES:
        path = data_dir / rel
        if not path.is_file():
            raise DataError(f"{path} not found", hint="point --data-dir at the shared data folder")
        for doc in read_pubtator(path):
            for m in doc.mentions:
                etype = "Disease" if m.label in NCBI_TYPES else m.label
                mentions.append((m.text, etype, m.concept_ids))
    rows = build_mesh_dictionary(mentions)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["text", "type", "mesh", "count"])
        w.writerows(rows)
    return len(rows)
