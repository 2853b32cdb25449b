"""Build the MeSH dictionary the mention linker uses (``kgmed train linker``).

Sources, all public domain (US Government works): BC5CDR and NCBI-disease training and
development splits, and every BioRED split. BioRED shares abstracts with the evaluation test
sets (82 with BC5CDR test, 1 with NCBI-disease test), so any BioRED document whose PMID is in
``EXCLUDE`` (the test sets of BC5CDR and NCBI-disease, read for their ids only) is skipped;
the BC5CDR and NCBI-disease test splits are never read for mentions.
"""

from __future__ import annotations

import csv
from pathlib import Path

from kgmed.concepts.mentions import MESH_DICTIONARY, build_mesh_dictionary
from kgmed.training.corpora import documents_outside

SOURCES = (
    "bc5cdr/CDR_TrainingSet.PubTator.txt",
    "bc5cdr/CDR_DevelopmentSet.PubTator.txt",
    "ncbi_disease/NCBItrainset_corpus.txt",
    "ncbi_disease/NCBIdevelopset_corpus.txt",
    "biored/Train.PubTator",
    "biored/Dev.PubTator",
    "biored/Test.PubTator",
)
EXCLUDE = ("bc5cdr/CDR_TestSet.PubTator.txt", "ncbi_disease/NCBItestset_corpus.txt")
TYPES = {
    "SpecificDisease": "Disease",  # NCBI-disease
    "DiseaseClass": "Disease",
    "CompositeMention": "Disease",
    "Modifier": "Disease",
    "DiseaseOrPhenotypicFeature": "Disease",  # BioRED
    "ChemicalEntity": "Chemical",
    "Chemical": "Chemical",  # BC5CDR
    "Disease": "Disease",
}


def dictionary_mentions(
    data_dir: Path, sources: tuple[str, ...] = SOURCES
) -> list[tuple[str, str, tuple[str, ...]]]:
    """``(text, type, ids)`` of the sources' Chemical and Disease mentions, test documents out."""
    return [
        (m.text, TYPES[m.label], m.concept_ids)
        for doc in documents_outside(data_dir, sources, EXCLUDE)
        for m in doc.mentions
        if m.label in TYPES
    ]


def build(data_dir: Path, output: Path = MESH_DICTIONARY) -> int:
    """Write the dictionary; returns its number of rows."""
    rows = build_mesh_dictionary(dictionary_mentions(data_dir))
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["text", "type", "mesh", "count"])
        w.writerows(rows)
    return len(rows)
