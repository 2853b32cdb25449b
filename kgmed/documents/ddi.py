"""DDI Extraction 2013 corpus (SemEval-2013 Task 9), read straight from its zip.

Each sentence carries drug entities (``charOffset`` inclusive, possibly discontinuous:
``"10-15;20-25"``) and candidate pairs labelled ``ddi="false"`` or with a type (mechanism,
effect, advise, int). Licence: CC BY-NC 4.0 (non-commercial): read it from the data folder,
never copy it into the repository.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

from kgmed.core.errors import DataError

DDI_TYPES = ("mechanism", "effect", "advise", "int")
SPLITS = {"train": "DDICorpus/Train/", "test": "DDICorpus/Test/Test for DDI Extraction task/"}


@dataclass(frozen=True)
class DdiEntity:
    id: str
    start: int  # first character
    end: int  # one past the last character of the first fragment
    type: str  # drug, brand, group, drug_n
    text: str


@dataclass(frozen=True)
class DdiSentence:
    id: str
    text: str
    entities: tuple[DdiEntity, ...]
    pairs: tuple[tuple[str, str, str], ...]  # (e1 id, e2 id, label: "none" or a DDI type)
    source: str  # DrugBank or MedLine


def _span(offset: str) -> tuple[int, int]:
    first = offset.split(";")[0]
    a, b = first.split("-")
    return int(a), int(b) + 1


def read_ddi(zip_path: Path, split: str) -> list[DdiSentence]:
    """All sentences of ``split`` (train or test-for-DDI) in file-name order."""
    if split not in SPLITS:
        raise DataError(f"unknown DDI split {split!r}", hint="use train or test")
    try:
        archive = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"cannot open the DDI corpus {zip_path}: {exc}") from exc
    sentences: list[DdiSentence] = []
    with archive:
        names = sorted(
            n for n in archive.namelist() if n.startswith(SPLITS[split]) and n.endswith(".xml")
        )
        if not names:
            raise DataError(f"no {split} documents in {zip_path}")
        for name in names:
            source = "MedLine" if "/MedLine/" in name else "DrugBank"
            try:
                root = ET.fromstring(archive.read(name))
            except ET.ParseError as exc:
                raise DataError(f"{zip_path}:{name}: {exc}") from exc
            for s in root.iter("sentence"):
                text = s.get("text", "")
                entities = []
                for e in s.iter("entity"):
                    start, end = _span(e.get("charOffset", "0-0"))
                    entities.append(
                        DdiEntity(e.get("id", ""), start, end, e.get("type", ""), text[start:end])
                    )
                pairs = []
                for p in s.iter("pair"):
                    label = p.get("type") if p.get("ddi") == "true" else "none"
                    pairs.append((p.get("e1", ""), p.get("e2", ""), label or "int"))
                sentences.append(
                    DdiSentence(s.get("id", ""), text, tuple(entities), tuple(pairs), source)
                )
    return sentences
