"""Read documents for ingest: PubTator, BioC XML, PubMed/MEDLINE XML, plain text folders,
clinical notes in CSV or JSONL.

``read_path`` walks a file or folder and yields :class:`Document` records, or
:class:`Reject` records (path, reason) for files that cannot be read, so one bad file never
stops a run. The format comes from the extension and the first bytes; ``fmt`` overrides.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kgmed.core.errors import ConfigError, DataError
from kgmed.core.records import Document

FORMATS = ("pubtator", "bioc", "medline", "text", "csv", "jsonl")


@dataclass(frozen=True)
class Reject:
    """A file (or record) that could not be read, and why."""

    path: str
    reason: str


def detect_format(path: Path) -> str:
    """Guess a file's format from its extension, then from its first bytes."""
    name = path.name.lower()
    for ext, fmt in ((".csv", "csv"), (".jsonl", "jsonl"), (".ndjson", "jsonl"), (".txt", "text")):
        if name.endswith(ext):
            if fmt == "text" and _looks_pubtator(path):
                return "pubtator"
            return fmt
    if name.endswith((".pubtator", ".pubtator.txt")):
        return "pubtator"
    if name.endswith((".xml", ".xml.gz")):
        head = _head(path)
        if "<collection" in head or "BioC.dtd" in head:
            return "bioc"
        if "<PubmedArticle" in head or "<MedlineCitation" in head:
            return "medline"
        raise DataError(f"{path}: XML that is neither BioC nor PubMed/MEDLINE")
    if _looks_pubtator(path):
        return "pubtator"
    return "text"


def _head(path: Path, n: int = 4096) -> str:
    opener = __import__("gzip").open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        return fh.read(n).decode("utf-8", errors="replace")


def _looks_pubtator(path: Path) -> bool:
    try:
        first = _head(path, 512).lstrip().split("\n", 1)[0]
    except OSError:
        return False
    return "|t|" in first[:40]


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def read_path(
    root: Path,
    *,
    fmt: str | None = None,
    id_column: str = "id",
    text_column: str = "text",
    kind: str | None = None,
) -> Iterator[Document | Reject]:
    """Every document under ``root`` (a file or a folder), in a stable order."""
    if fmt is not None and fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    if not root.exists():
        raise DataError(f"{root} does not exist")
    for path in _files(root):
        try:
            f = fmt or detect_format(path)
            if f == "pubtator":
                from kgmed.documents.pubtator import iter_pubtator

                for annotated in iter_pubtator(path, source=str(path)):
                    yield annotated.document
            elif f == "bioc":
                yield from read_bioc(path)
            elif f == "medline":
                yield from read_medline(path)
            elif f == "text":
                yield read_text(path, root, kind=kind or "literature")
            elif f == "csv":
                yield from read_notes_csv(path, id_column, text_column, kind=kind or "note")
            elif f == "jsonl":
                yield from read_notes_jsonl(path, id_column, text_column, kind=kind or "note")
        except DataError as exc:
            yield Reject(str(path), exc.message)
        except (OSError, UnicodeDecodeError, ET.ParseError, csv.Error, ValueError) as exc:
            yield Reject(str(path), f"{type(exc).__name__}: {exc}")


def read_text(path: Path, root: Path, *, kind: str = "literature") -> Document:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise DataError("empty document")
    rel = path.name if root.is_file() else str(path.relative_to(root))
    return Document(id=f"file:{rel}", text=text, source=str(path), kind=kind).with_checksum()


def read_bioc(path: Path) -> Iterator[Document]:
    """BioC XML collections (the ``bioc`` library): passages joined at their offsets."""
    import bioc

    with path.open(encoding="utf-8") as fh:
        collection = bioc.load(fh)
    for doc in collection.documents:
        text, title = "", ""
        for passage in doc.passages:
            if passage.text is None:
                continue
            if len(text) < passage.offset:
                text += " " * (passage.offset - len(text))
            text += passage.text
            if passage.infons.get("type") in ("title", "front") and not title:
                title = passage.text
        if not text.strip():
            continue
        pmid = doc.id
        yield Document(
            id=f"PMID:{pmid}" if pmid.isdigit() else pmid,
            text=text,
            title=title,
            source=str(path),
        ).with_checksum()


def read_medline(path: Path) -> Iterator[Document]:
    """PubMed/MEDLINE XML (``PubmedArticleSet``): title and abstract sections, streamed."""
    import gzip

    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        for _, elem in ET.iterparse(fh, events=("end",)):
            if elem.tag != "MedlineCitation":
                continue
            pmid = (elem.findtext("PMID") or "").strip()
            article = elem.find("Article")
            heading = article.find("ArticleTitle") if article is not None else None
            title = "".join(heading.itertext()).strip() if heading is not None else ""
            parts = []
            if article is not None:
                for abstract_text in article.iter("AbstractText"):
                    label = abstract_text.get("Label")
                    body = "".join(abstract_text.itertext()).strip()
                    parts.append(f"{label}: {body}" if label else body)
            elem.clear()
            if not pmid or not (title or parts):
                continue
            text = title + " " + " ".join(parts)
            yield Document(
                id=f"PMID:{pmid}", text=text, title=title, source=str(path)
            ).with_checksum()


def _note(record: dict, id_column: str, text_column: str, where: str, kind: str) -> Document:
    if id_column not in record or text_column not in record:
        raise DataError(
            f"{where}: no '{id_column}' or '{text_column}' field",
            hint="name the columns with --id-column and --text-column",
        )
    text = str(record[text_column] or "")
    if not text.strip():
        raise DataError(f"{where}: empty text")
    return Document(
        id=f"note:{record[id_column]}", text=text, source=where.split(":")[0], kind=kind
    ).with_checksum()


def read_notes_csv(
    path: Path, id_column: str, text_column: str, *, kind: str = "note"
) -> Iterator[Document | Reject]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {id_column, text_column} <= set(reader.fieldnames):
            raise DataError(
                f"columns '{id_column}' and '{text_column}' not in {reader.fieldnames}",
                hint="name them with --id-column and --text-column",
            )
        for line, row in enumerate(reader, 2):
            try:
                yield _note(row, id_column, text_column, f"{path}:{line}", kind)
            except DataError as exc:
                yield Reject(f"{path}:{line}", exc.message)


def read_notes_jsonl(
    path: Path, id_column: str, text_column: str, *, kind: str = "note"
) -> Iterator[Document | Reject]:
    with path.open(encoding="utf-8") as fh:
        for line, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
                if not isinstance(record, dict):
                    raise DataError("not a JSON object")
                yield _note(record, id_column, text_column, f"{path}:{line}", kind)
            except json.JSONDecodeError as exc:
                yield Reject(f"{path}:{line}", f"invalid JSON: {exc.msg}")
            except DataError as exc:
                yield Reject(f"{path}:{line}", exc.message)
