"""Import kgmed's JSON-lines export (``kgmed export --format jsonl``) into a store.

The counterpart of :mod:`kgmed.graph.export`, used to move a graph between stores (embedded
to Neo4j) and by ``kgmed build`` to load the literature facts kgmed ships
(``kgmed/data/literature-facts.jsonl.gz``).

Documents are the unit, as in ingest: a document the graph already holds complete (with a
checksum) is left as it is, with its evidence and mentions, unless ``replace`` says its stored
version is one to replace; a new one gets its evidence, then its mentions, then its checksum
last, so an interrupted import resumes and writes nothing twice (evidence is keyed by
content). Concepts the graph lacks are created; those it has keep their names (the loaded
ontologies stay authoritative). Relationship aggregates are recomputed from the evidence,
never read from the file. The file is read whole: for millions of records, use
``kgmed export --format neo4j-admin`` and Neo4j's bulk import instead.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgmed.core.errors import DataError
from kgmed.core.records import Assertion, Concept, Document, Evidence, Relation
from kgmed.graph import schema
from kgmed.graph.store import (
    CypherGraphStore,
    batched,
    create_missing_concepts,
    document_versions,
    write_documents,
)

RECORD_TYPES = ("node", "document", "edge", "evidence", "mention")
# The literature facts kgmed ships (``kgmed train facts`` writes them, ``kgmed build`` loads
# them); their documents' pipeline versions end in FACTS_VERSION_SUFFIX.
LITERATURE_FACTS = Path(__file__).resolve().parents[1] / "data" / "literature-facts.jsonl.gz"
FACTS_VERSION_SUFFIX = "+facts"
DOCUMENTS_PER_BATCH = 200
_EVIDENCE_FIELDS = tuple(
    p
    for p in schema.EVIDENCE_PROPERTIES
    if p not in ("id", "statement", "subject", "predicate", "object", "document_id", "assertion")
)


@dataclass
class ImportSummary:
    """What an import wrote, and what it left as it was."""

    documents: int = 0  # imported (new, replaced or completing an interrupted import)
    documents_unchanged: int = 0  # complete in the graph already: left as they were
    documents_replaced: int = 0
    concepts: int = 0  # created (the graph lacked them)
    evidence: int = 0  # evidence records of the imported documents written (new or same)
    mentions: int = 0
    by_predicate: dict[str, int] = field(default_factory=dict)  # evidence records per type


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines file (gzip-compressed when its name ends in ``.gz``)."""
    opener = gzip.open if path.suffix == ".gz" else open
    records = []
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(
                        f"{path}:{n}: not JSON ({exc.msg})",
                        hint="import reads the output of `kgmed export --format jsonl`",
                    ) from exc
                if not isinstance(record, dict) or record.get("type") not in RECORD_TYPES:
                    raise DataError(
                        f"{path}:{n}: not a kgmed record (type must be one of "
                        f"{', '.join(RECORD_TYPES)})",
                        hint="import reads the output of `kgmed export --format jsonl`",
                    )
                records.append(record)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}", hint="check the file") from exc
    return records


def _field(record: dict[str, Any], name: str) -> Any:
    if name not in record:
        raise DataError(
            f"{record['type']} record without {name!r}: {json.dumps(record)[:200]}",
            hint="import reads the output of `kgmed export --format jsonl`",
        )
    return record[name]


def _evidence(record: dict[str, Any]) -> Evidence:
    values = {p: record[p] for p in _EVIDENCE_FIELDS if record.get(p) is not None}
    return Evidence(
        document_id=_field(record, "document_id"),
        assertion=Assertion(record.get("assertion") or Assertion.AFFIRMED),
        **values,
    )


def import_records(
    store: CypherGraphStore,
    records: Iterable[dict[str, Any]],
    *,
    replace: Callable[[str], bool] | None = None,
    progress: Callable[[Iterable[Any]], Iterator[Any]] | None = None,
) -> ImportSummary:
    """Write ``records`` (as :func:`kgmed.graph.export.iter_records` yields them) into
    ``store``. ``replace(stored_version)`` says whether a complete document whose pipeline
    version differs from the file's is replaced (default: never)."""
    nodes: list[Concept] = []
    documents: dict[str, Document] = {}
    labels: dict[str, tuple[str, str]] = {}  # statement -> (subject label, object label)
    evidence: dict[str, list[tuple[dict[str, Any], Evidence]]] = defaultdict(list)
    mentions: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for r in records:
        kind = r["type"]
        if kind == "node":
            nodes.append(
                Concept(
                    _field(r, "id"),
                    schema.check_concept_label(_field(r, "label")),
                    r.get("name") or "",
                    tuple(r.get("synonyms") or ()),
                    r.get("definition") or "",
                    tuple(r.get("xrefs") or ()),
                    r.get("source") or "",
                )
            )
        elif kind == "document":
            doc_id = _field(r, "id")
            documents[doc_id] = Document(
                doc_id,
                title=r.get("title") or "",
                source=r.get("source") or "",
                kind=r.get("kind") or "",
                pipeline_version=r.get("pipeline_version") or "",
                checksum=r.get("checksum") or "",
            )
        elif kind == "edge":
            labels[_field(r, "statement")] = (_field(r, "subject_label"), _field(r, "object_label"))
        elif kind == "evidence":
            evidence[_field(r, "document_id")].append((r, _evidence(r)))
        else:
            label = schema.check_concept_label(_field(r, "label"))
            mentions[_field(r, "document_id")][(label, _field(r, "concept"))] = int(
                _field(r, "count")
            )
    missing = sorted(set(evidence) - set(documents))
    if missing:
        raise DataError(
            f"evidence for {len(missing)} document(s) the file does not describe: "
            f"{', '.join(missing[:5])}",
            hint="export the documents with their evidence (`kgmed export --format jsonl`)",
        )

    summary = ImportSummary()
    summary.concepts = create_missing_concepts(store, nodes)
    stored = document_versions(store, sorted(documents))
    todo = []
    for doc_id, doc in documents.items():
        old = stored.get(doc_id)
        if old is not None and old[0]:  # complete in the graph
            if old == (doc.checksum, doc.pipeline_version) or not (replace and replace(old[1])):
                summary.documents_unchanged += 1
                continue
            store.delete_document_evidence(doc_id)
            summary.documents_replaced += 1
        todo.append(doc)
    by_predicate: dict[str, int] = defaultdict(int)
    batches = list(batched(todo, DOCUMENTS_PER_BATCH))
    for batch in progress(batches) if progress else batches:
        relations = []
        for doc in batch:
            for record, ev in evidence.get(doc.id, ()):
                statement = _field(record, "statement")
                if statement not in labels:
                    raise DataError(
                        f"evidence {record.get('id')} supports {statement!r}, "
                        "which has no edge record in the file",
                        hint="export whole graphs or use `kgmed export --format jsonl`",
                    )
                subject_label, object_label = labels[statement]
                predicate = _field(record, "predicate")
                relations.append(
                    Relation(
                        _field(record, "subject"),
                        subject_label,
                        predicate,
                        _field(record, "object"),
                        object_label,
                        (ev,),
                    )
                )
                by_predicate[predicate] += 1
        evidence_written, mentions_written = write_documents(store, batch, relations, mentions)
        summary.evidence += evidence_written
        summary.mentions += mentions_written
        summary.documents += len(batch)
    summary.by_predicate = dict(sorted(by_predicate.items()))
    return summary


def import_file(
    store: CypherGraphStore,
    path: Path,
    *,
    replace: Callable[[str], bool] | None = None,
    progress: Callable[[Iterable[Any]], Iterator[Any]] | None = None,
) -> ImportSummary:
    """:func:`import_records` over a JSON-lines file."""
    return import_records(store, read_records(path), replace=replace, progress=progress)
