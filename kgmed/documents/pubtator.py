"""PubTator files: ``PMID|t|title``, ``PMID|a|abstract``, then tab-separated annotation lines
``PMID start end mention type ids`` (offsets over ``title + " " + abstract``) and relation lines
``PMID REL id1 id2``; documents are separated by blank lines.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kgmed.core.errors import DataError
from kgmed.core.ids import normalize_curie
from kgmed.core.records import Document, Mention

log = logging.getLogger(__name__)

# The annotated corpora's mention types as kgmed's entity types: BC5CDR's own, NCBI-disease's
# four disease classes, BioRED's chemical and disease types (its other types are left out).
NCBI_DISEASE_CLASSES = ("SpecificDisease", "DiseaseClass", "CompositeMention", "Modifier")
CORPUS_TYPES = {
    "Chemical": "Chemical",
    "Disease": "Disease",
    **dict.fromkeys(NCBI_DISEASE_CLASSES, "Disease"),
    "ChemicalEntity": "Chemical",
    "DiseaseOrPhenotypicFeature": "Disease",
}


@dataclass(frozen=True)
class AnnotatedDocument:
    """A document with its gold mentions and document-level relations ``(type, id1, id2)``."""

    document: Document
    mentions: tuple[Mention, ...] = ()
    relations: tuple[tuple[str, str, str], ...] = field(default=())


def _ids(raw: str, etype: str) -> tuple[str, ...]:
    out = []
    for part in raw.replace("|", ",").split(","):
        part = part.strip()
        if not part or part == "-" or part == "-1":
            continue
        if ":" not in part and part[:1] in ("C", "D") and part[1:].isdigit():
            part = f"MESH:{part}"
        elif ":" not in part and etype.lower().startswith("gene") and part.isdigit():
            part = f"NCBIGene:{part}"
        elif ":" not in part and part.isdigit():
            part = f"OMIM:{part}"
        out.append(normalize_curie(part))
    return tuple(out)


def read_pubtator(path: Path, *, source: str = "pubmed") -> list[AnnotatedDocument]:
    """Read every document; raise :class:`DataError` with the line for malformed input.

    Annotations whose offsets fall outside the text, or whose text disagrees with the span,
    are errors (they would silently corrupt training and evaluation).
    """
    return list(iter_pubtator(path, source=source))


def iter_pubtator(path: Path, *, source: str = "pubmed") -> Iterator[AnnotatedDocument]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path} is not UTF-8 text (bad byte at offset {exc.start})",
            hint="re-encode the file as UTF-8",
        ) from exc
    block: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            block.append((number, line.rstrip("\r")))
        elif block:
            yield _parse_block(path, block, source)
            block = []
    if block:
        yield _parse_block(path, block, source)


def _parse_block(path: Path, block: list[tuple[int, str]], source: str) -> AnnotatedDocument:
    title = abstract = None
    pmid = ""
    mentions: list[Mention] = []
    relations: list[tuple[str, str, str]] = []
    pending: list[tuple[int, list[str]]] = []
    for number, line in block:
        if "|t|" in line[:40] and title is None:
            pmid, _, title = line.split("|", 2)
            continue
        if "|a|" in line[:40] and abstract is None:
            pmid_a, _, abstract = line.split("|", 2)
            if pmid_a != pmid:
                raise DataError(f"{path}:{number}: abstract of {pmid_a} follows title of {pmid}")
            continue
        pending.append((number, line.split("\t")))
    if title is None:
        raise DataError(f"{path}:{block[0][0]}: document without a title line ('PMID|t|...')")
    full = title + " " + (abstract or "")
    if not full.strip():
        raise DataError(f"{path}:{block[0][0]}: document {pmid} is empty")
    doc_id = f"PMID:{pmid}" if pmid.isdigit() else pmid
    for number, parts in pending:
        if len(parts) >= 4 and not parts[1].lstrip("-").isdigit():
            # PMID TYPE ID1 ID2 [novelty]: a document-level relation (BC5CDR CID, BioRED)
            relations.append((parts[1], normalize_curie(parts[2]), normalize_curie(parts[3])))
            continue
        if len(parts) < 5:
            raise DataError(f"{path}:{number}: expected an annotation or relation line")
        try:
            start, end = int(parts[1]), int(parts[2])
        except ValueError:
            raise DataError(
                f"{path}:{number}: offsets {parts[1]!r}, {parts[2]!r} are not integers"
            ) from None
        if not 0 <= start < end <= len(full):
            raise DataError(
                f"{path}:{number}: offsets {start}-{end} lie outside document {pmid} "
                f"({len(full)} characters)"
            )
        if full[start:end] not in (parts[3], parts[3].strip()):  # NCBI pads some with spaces
            raise DataError(
                f"{path}:{number}: text at {start}-{end} is {full[start:end]!r}, "
                f"the line says {parts[3]!r}"
            )
        etype = parts[4]
        mentions.append(
            Mention(
                doc_id,
                start,
                end,
                full[start:end],
                etype,
                _ids(parts[5], etype) if len(parts) > 5 else (),
                1.0,
                "gold",
            )
        )
    document = Document(
        id=doc_id, text=full, title=title, source=source, kind="literature"
    ).with_checksum()
    return AnnotatedDocument(document, tuple(mentions), tuple(relations))
