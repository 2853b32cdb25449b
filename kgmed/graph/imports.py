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
never read from the file. The file is read line by line into a temporary SQLite file (beside
the system's temporary files, about the size of the uncompressed export), so memory stays
bounded by a batch of documents; for a first load of many millions of records, Neo4j's bulk
import (``kgmed export --format neo4j-admin``) is still faster.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgmed.core.errors import DataError, SchemaError
from kgmed.core.records import Assertion, Concept, Document, Evidence, Relation
from kgmed.graph import schema
from kgmed.graph.store import (
    CypherGraphStore,
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


def iter_file_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a JSON-lines file (gzip-compressed when its name ends in ``.gz``), one at
    a time; a line that is not a kgmed record raises :class:`DataError` with its number."""
    opener = gzip.open if path.suffix == ".gz" else open
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
                try:
                    check_record(record)
                except DataError as exc:
                    raise DataError(f"{path}:{n}: {exc.message}", hint=exc.hint) from exc
                yield record
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}", hint="check the file") from exc


def read_records(path: Path) -> list[dict[str, Any]]:
    """All records of a JSON-lines file (small files; :func:`import_file` streams)."""
    return list(iter_file_records(path))


def check_record(record: Any) -> None:
    """Raise :class:`DataError` unless ``record`` is a kgmed record with its kind's fields."""
    if not isinstance(record, dict) or record.get("type") not in RECORD_TYPES:
        raise DataError(
            f"not a kgmed record (type must be one of {', '.join(RECORD_TYPES)})",
            hint="import reads the output of `kgmed export --format jsonl`",
        )
    kind = record["type"]
    if kind in ("node", "mention"):
        try:
            schema.check_concept_label(_field(record, "label"))
        except SchemaError as exc:
            raise DataError(f"{kind} record with an {exc.message}", hint=exc.hint) from exc
    if kind == "node":
        _concept(record)
    elif kind == "document":
        _document(record)
    elif kind == "edge":
        for name in ("statement", "subject_label", "object_label"):
            _field(record, name)
    elif kind == "evidence":
        _evidence(record)
        for name in ("statement", "subject", "predicate", "object"):
            _field(record, name)
    else:
        for name in ("document_id", "concept"):
            _field(record, name)
        try:
            int(_field(record, "count"))
        except (TypeError, ValueError) as exc:
            raise DataError(
                f"mention record with a count that is not a number: {record['count']!r}",
                hint="import reads the output of `kgmed export --format jsonl`",
            ) from exc


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


class _Spool:
    """The records of one import in a temporary SQLite file, by kind: the import then holds
    one batch of documents with their evidence in memory, never the whole file (evidence is
    exported in id order, not by document, so it cannot be grouped while reading)."""

    def __init__(self, directory: str) -> None:
        self.db = sqlite3.connect(str(Path(directory) / "spool.sqlite"))
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE node (record TEXT);
            CREATE TABLE document (id TEXT PRIMARY KEY, record TEXT);
            CREATE TABLE edge (statement TEXT PRIMARY KEY, subject_label TEXT, object_label TEXT);
            CREATE TABLE evidence (document_id TEXT, statement TEXT, record TEXT);
            CREATE TABLE mention (document_id TEXT, label TEXT, concept TEXT, count INTEGER,
                                  PRIMARY KEY (document_id, label, concept));
            """
        )

    def add(self, records: Iterable[dict[str, Any]]) -> None:
        """Spool the records, each checked by :func:`check_record` (a repeated document,
        edge or mention: the last one wins, as in a dict)."""
        rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        sql = {
            "node": "INSERT INTO node VALUES (?)",
            "document": "INSERT OR REPLACE INTO document VALUES (?, ?)",
            "edge": "INSERT OR REPLACE INTO edge VALUES (?, ?, ?)",
            "evidence": "INSERT INTO evidence VALUES (?, ?, ?)",
            "mention": "INSERT OR REPLACE INTO mention VALUES (?, ?, ?, ?)",
        }
        for r in records:
            check_record(r)
            kind = r["type"]
            if kind == "node":
                row: tuple[Any, ...] = (json.dumps(r),)
            elif kind == "document":
                row = (r["id"], json.dumps(r))
            elif kind == "edge":
                row = (r["statement"], r["subject_label"], r["object_label"])
            elif kind == "evidence":
                row = (r["document_id"], r["statement"], json.dumps(r))
            else:
                row = (r["document_id"], r["label"], r["concept"], int(r["count"]))
            rows[kind].append(row)
            if len(rows[kind]) >= 10_000:
                self.db.executemany(sql[kind], rows.pop(kind))
        for kind, pending in rows.items():
            self.db.executemany(sql[kind], pending)
        self.db.execute("CREATE INDEX evidence_document ON evidence (document_id)")

    def check(self) -> None:
        """Evidence must name a document and an edge the file describes."""
        missing = [
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT document_id FROM evidence "
                "WHERE document_id NOT IN (SELECT id FROM document) ORDER BY document_id"
            )
        ]
        if missing:
            raise DataError(
                f"evidence for {len(missing)} document(s) the file does not describe: "
                f"{', '.join(missing[:5])}",
                hint="export the documents with their evidence (`kgmed export --format jsonl`)",
            )
        orphan = self.db.execute(
            "SELECT record FROM evidence WHERE statement NOT IN (SELECT statement FROM edge) "
            "LIMIT 1"
        ).fetchone()
        if orphan:
            record = json.loads(orphan[0])
            raise DataError(
                f"evidence {record.get('id')} supports {record['statement']!r}, "
                "which has no edge record in the file",
                hint="export whole graphs or use `kgmed export --format jsonl`",
            )

    def concepts(self, size: int = 5000) -> Iterator[list[Concept]]:
        cursor = self.db.execute("SELECT record FROM node ORDER BY rowid")
        while chunk := cursor.fetchmany(size):
            yield [_concept(json.loads(r[0])) for r in chunk]

    def documents(self, size: int) -> Iterator[list[Document]]:
        cursor = self.db.execute("SELECT record FROM document ORDER BY rowid")
        while chunk := cursor.fetchmany(size):
            yield [_document(json.loads(r[0])) for r in chunk]

    def count(self, kind: str) -> int:
        assert kind in RECORD_TYPES
        return int(self.db.execute(f"SELECT count(*) FROM {kind}").fetchone()[0])

    def relations(self, ids: Sequence[str]) -> list[Relation]:
        """The evidence of documents ``ids``, in file order, as one-evidence relations."""
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            "SELECT e.record, g.subject_label, g.object_label FROM evidence e "
            f"JOIN edge g ON g.statement = e.statement WHERE e.document_id IN ({marks}) "
            "ORDER BY e.rowid",
            list(ids),
        )
        out = []
        for record, subject_label, object_label in rows:
            r = json.loads(record)
            out.append(
                Relation(
                    r["subject"],
                    subject_label,
                    r["predicate"],
                    r["object"],
                    object_label,
                    (_evidence(r),),
                )
            )
        return out

    def mentions(self, ids: Sequence[str]) -> dict[str, dict[tuple[str, str], int]]:
        marks = ",".join("?" * len(ids))
        out: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
        for doc, label, concept, count in self.db.execute(
            f"SELECT document_id, label, concept, count FROM mention WHERE document_id IN ({marks})"
            " ORDER BY rowid",
            list(ids),
        ):
            out[doc][(label, concept)] = count
        return dict(out)


class _Batches:
    """Batches of documents with a length, so that a progress bar knows its total."""

    def __init__(self, spool: _Spool, size: int) -> None:
        self.spool, self.size = spool, size

    def __len__(self) -> int:
        return -(-self.spool.count("document") // self.size)

    def __iter__(self) -> Iterator[list[Document]]:
        return self.spool.documents(self.size)


def _concept(r: dict[str, Any]) -> Concept:
    return Concept(
        _field(r, "id"),
        schema.check_concept_label(_field(r, "label")),
        r.get("name") or "",
        tuple(r.get("synonyms") or ()),
        r.get("definition") or "",
        tuple(r.get("xrefs") or ()),
        r.get("source") or "",
    )


def _document(r: dict[str, Any]) -> Document:
    return Document(
        _field(r, "id"),
        title=r.get("title") or "",
        source=r.get("source") or "",
        kind=r.get("kind") or "",
        pipeline_version=r.get("pipeline_version") or "",
        checksum=r.get("checksum") or "",
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
    version differs from the file's is replaced (default: never). The records are spooled to
    a temporary SQLite file first: memory stays bounded by a batch of documents, and a file
    with evidence for a document or edge it does not describe is refused before anything is
    written."""
    with tempfile.TemporaryDirectory(prefix="kgmed-import-") as directory:
        spool = _Spool(directory)
        try:
            spool.add(records)
            spool.check()
            return _import_spooled(store, spool, replace, progress)
        finally:
            spool.db.close()


def _import_spooled(
    store: CypherGraphStore,
    spool: _Spool,
    replace: Callable[[str], bool] | None,
    progress: Callable[[Iterable[Any]], Iterator[Any]] | None,
) -> ImportSummary:
    summary = ImportSummary()
    for concepts in spool.concepts():
        summary.concepts += create_missing_concepts(store, concepts)
    by_predicate: dict[str, int] = defaultdict(int)
    batches: Iterable[list[Document]] = _Batches(spool, DOCUMENTS_PER_BATCH)
    for batch in progress(batches) if progress else batches:
        stored = document_versions(store, [doc.id for doc in batch])
        todo = []
        for doc in batch:
            old = stored.get(doc.id)
            if old is not None and old[0]:  # complete in the graph
                if old == (doc.checksum, doc.pipeline_version) or not (replace and replace(old[1])):
                    summary.documents_unchanged += 1
                    continue
                store.delete_document_evidence(doc.id)
                summary.documents_replaced += 1
            todo.append(doc)
        if not todo:
            continue
        ids = [doc.id for doc in todo]
        relations = spool.relations(ids)
        for relation in relations:
            by_predicate[relation.predicate] += 1
        evidence_written, mentions_written = write_documents(
            store, todo, relations, spool.mentions(ids)
        )
        summary.evidence += evidence_written
        summary.mentions += mentions_written
        summary.documents += len(todo)
    summary.by_predicate = dict(sorted(by_predicate.items()))
    return summary


def import_file(
    store: CypherGraphStore,
    path: Path,
    *,
    replace: Callable[[str], bool] | None = None,
    progress: Callable[[Iterable[Any]], Iterator[Any]] | None = None,
) -> ImportSummary:
    """:func:`import_records` over a JSON-lines file, read line by line."""
    return import_records(store, iter_file_records(path), replace=replace, progress=progress)
