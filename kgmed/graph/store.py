"""The GraphStore protocol, and the Cypher write path both backends share.

A store holds concepts, documents and relations with their evidence. Writes are batched
``UNWIND $rows MERGE`` on constrained keys and idempotent: Evidence nodes are keyed by
content, and each relationship's aggregates are recomputed from its Evidence nodes inside
the same transaction, so writing the same records twice leaves identical counts.

Backends implement three primitives (``_transaction``, ``_read``, ``query``); everything
else lives here once. Every query is parameterized; the only names formatted into query
text are labels and relationship types from :mod:`kgmed.graph.schema`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from itertools import islice
from typing import Any, Protocol, TypeVar, runtime_checkable

from kgmed.core.errors import QueryError, SchemaError, WriteNotAllowedError
from kgmed.core.records import Aggregate, Concept, Document, Evidence, Relation, aggregate
from kgmed.graph import schema

T = TypeVar("T")
Run = Callable[[str, dict[str, Any]], list[dict[str, Any]]]

DEFAULT_BATCH_SIZE = 5000


@dataclass
class QueryResult:
    """Rows of a Cypher query; ``rows`` are dicts keyed by ``columns``."""

    columns: list[str]
    rows: list[dict[str, Any]]


@dataclass
class WriteSummary:
    """What a write did."""

    relations: int = 0
    evidence: int = 0
    relationships_deleted: int = 0


@dataclass(frozen=True)
class StoredEvidence:
    """An Evidence node as read back from the graph."""

    id: str
    statement: str
    evidence: Evidence


@runtime_checkable
class GraphStore(Protocol):
    """What every graph backend offers."""

    uri: str
    read_only: bool

    def upsert_concepts(self, concepts: Iterable[Concept]) -> int: ...

    def upsert_documents(self, documents: Iterable[Document]) -> int: ...

    def upsert_relations(self, relations: Iterable[Relation]) -> WriteSummary: ...

    def delete_document_evidence(self, document_id: str) -> WriteSummary: ...

    def set_mentions(self, mentions: dict[str, dict[tuple[str, str], int]]) -> int: ...

    def get_concept(self, concept_id: str) -> Concept | None: ...

    def concept_names(self, label: str) -> list[tuple[str, str, tuple[str, ...]]]: ...

    def get_relationship(self, subject: str, predicate: str, obj: str) -> Aggregate | None: ...

    def get_evidence(self, subject: str, predicate: str, obj: str) -> list[StoredEvidence]: ...

    def query(
        self, cypher: str, params: dict[str, Any] | None = None, *, write: bool = False
    ) -> QueryResult: ...

    def stats(self) -> dict[str, dict[str, int]]: ...

    def close(self) -> None: ...

    def __enter__(self) -> GraphStore: ...

    def __exit__(self, *exc: object) -> None: ...


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STRING_OR_COMMENT = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|//[^\n]*|/\*.*?\*/", re.S)


def referenced_parameters(cypher: str) -> set[str]:
    """Names of ``$parameters`` a query uses (string literals and comments ignored)."""
    return set(_PARAM.findall(_STRING_OR_COMMENT.sub(" ", cypher)))


def check_parameters(cypher: str, params: dict[str, Any]) -> None:
    """Raise :class:`QueryError` for a parameter the query uses but was not given.

    LadybugDB silently binds a missing parameter to NULL, which turns a filter into an
    empty answer; both backends refuse instead.
    """
    missing = sorted(referenced_parameters(cypher) - params.keys())
    if missing:
        names = ", ".join(f"${m}" for m in missing)
        flags = " ".join(f"--param {m}=VALUE" for m in missing)
        raise QueryError(f"the query uses {names} but no value was given", hint=f"pass {flags}")


def _evidence_row(statement: str, relation: Relation, ev: Evidence) -> dict[str, Any]:
    return {
        "id": ev.key(statement),
        "statement": statement,
        "subject": relation.subject,
        "predicate": relation.predicate,
        "object": relation.object,
        "document_id": ev.document_id,
        "source": ev.source,
        "extractor": ev.extractor,
        "extractor_version": ev.extractor_version,
        "probability": float(ev.probability),
        "assertion": str(ev.assertion),
        "sentence": ev.sentence,
        "sentence_start": ev.sentence_start,
        "sentence_end": ev.sentence_end,
        "subject_start": ev.subject_start,
        "subject_end": ev.subject_end,
        "object_start": ev.object_start,
        "object_end": ev.object_end,
        "section": ev.section,
    }


def _aggregate_row(statement: str, endpoints: tuple[str, str], agg: Aggregate) -> dict[str, Any]:
    return {
        "subject": endpoints[0],
        "object": endpoints[1],
        "statement": statement,
        "probability": agg.probability,
        "evidence_count": agg.evidence_count,
        "negated_count": agg.negated_count,
        "document_count": agg.document_count,
        "sources": list(agg.sources),
    }


def _set_clause(var: str, props: Iterable[str], skip: str = "id") -> str:
    """``SET n.a = r.a, n.b = r.b`` for schema property names (one SET per key: both dialects)."""
    return ", ".join(f"{var}.{p} = r.{p}" for p in props if p != skip)


class CypherGraphStore:
    """The GraphStore operations, written once over a backend's transaction primitive."""

    uri: str
    read_only: bool
    batch_size: int = DEFAULT_BATCH_SIZE

    # -- backend primitives -------------------------------------------------------------
    def _transaction(self, work: Callable[[Run], T]) -> T:
        """Run ``work(run)`` in one write transaction; commit on return, roll back on error."""
        raise NotImplementedError

    def _read(self, cypher: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run a kgmed-owned read query."""
        raise NotImplementedError

    def query(
        self, cypher: str, params: dict[str, Any] | None = None, *, write: bool = False
    ) -> QueryResult:
        """Run an analyst's Cypher: read-only unless ``write``; every ``$parameter`` it uses
        must be given."""
        params = dict(params or {})
        check_parameters(cypher, params)
        if write and self.read_only:
            raise WriteNotAllowedError(
                f"the store {self.uri} was opened read-only", hint="reopen it for writing"
            )
        return self._query(cypher, params, write)

    def _query(self, cypher: str, params: dict[str, Any], write: bool) -> QueryResult:
        """Backend part of :meth:`query`: the engine itself must refuse writes unless ``write``."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> CypherGraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes -------------------------------------------------------------------------
    def upsert_concepts(self, concepts: Iterable[Concept]) -> int:
        by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for c in concepts:
            schema.check_concept_label(c.label)
            by_label[c.label].append(
                {
                    "id": c.id,
                    "name": c.name,
                    "synonyms": list(c.synonyms),
                    "definition": c.definition,
                    "xrefs": list(c.xrefs),
                    "source": c.source,
                }
            )
        written = 0
        for label, rows in by_label.items():
            cypher = (
                f"UNWIND $rows AS r MERGE (n:{label} {{id: r.id}}) "
                f"SET {_set_clause('n', schema.CONCEPT_PROPERTIES)}"
            )
            written += self._write_rows(cypher, rows)
        return written

    def _write_rows(self, cypher: str, rows: list[dict[str, Any]]) -> int:
        """Run ``cypher`` over ``rows`` (bound as ``$rows``), one transaction per batch."""
        for chunk in batched(rows, self.batch_size):

            def work(run: Run, chunk: list[dict[str, Any]] = chunk) -> None:
                run(cypher, {"rows": chunk})

            self._transaction(work)
        return len(rows)

    def upsert_documents(self, documents: Iterable[Document]) -> int:
        rows = [
            {
                "id": d.id,
                "title": d.title,
                "source": d.source,
                "kind": d.kind,
                "checksum": d.checksum,
                "pipeline_version": d.pipeline_version,
            }
            for d in documents
        ]
        cypher = (
            "UNWIND $rows AS r MERGE (n:Document {id: r.id}) "
            f"SET {_set_clause('n', schema.DOCUMENT_PROPERTIES)}"
        )
        return self._write_rows(cypher, rows)

    def set_mentions(self, mentions: dict[str, dict[tuple[str, str], int]]) -> int:
        """Replace the MENTIONS relationships of each document by its counts: document id ->
        (concept label, concept id) -> number of mentions. Documents and concepts must exist;
        one transaction for all; returns how many were written."""
        by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for doc, counts in sorted(mentions.items()):
            for (label, concept_id), n in sorted(counts.items()):
                schema.check_concept_label(label)
                by_label[label].append({"doc": doc, "id": concept_id, "count": int(n)})

        def work(run: Run) -> int:
            run(
                "UNWIND $docs AS i MATCH (d:Document {id: i}) MATCH (d)-[m:MENTIONS]->() DELETE m",
                {"docs": sorted(mentions)},
            )
            for label, rows in by_label.items():
                self._require_concepts(run, label, {r["id"] for r in rows})
                run(
                    f"UNWIND $rows AS r MATCH (d:Document {{id: r.doc}}) "
                    f"MATCH (c:{label} {{id: r.id}}) "
                    "CREATE (d)-[:MENTIONS {count: r.count}]->(c)",
                    {"rows": rows},
                )
            return sum(len(rows) for rows in by_label.values())

        return self._transaction(work)

    def upsert_relations(self, relations: Iterable[Relation]) -> WriteSummary:
        """Write relations with their evidence; aggregates are recomputed from evidence."""
        summary = WriteSummary()
        groups: dict[tuple[str, str, str], list[Relation]] = defaultdict(list)
        for rel in relations:
            schema.check_relationship(rel.predicate, rel.subject_label, rel.object_label)
            if not rel.evidence:
                raise SchemaError(
                    f"relation {rel.statement} has no evidence",
                    hint="every asserted relationship needs at least one Evidence record",
                )
            groups[(rel.predicate, rel.subject_label, rel.object_label)].append(rel)
        for (predicate, subject_label, object_label), rels in groups.items():
            for chunk in batched(rels, self.batch_size):
                part = self._transaction(
                    partial(
                        self._write_relation_batch, predicate, subject_label, object_label, chunk
                    )
                )
                summary.relations += part.relations
                summary.evidence += part.evidence
                summary.relationships_deleted += part.relationships_deleted
        return summary

    def _write_relation_batch(
        self, predicate: str, subject_label: str, object_label: str, rels: list[Relation], run: Run
    ) -> WriteSummary:
        """Write one batch in the caller's transaction.

        Statements new to the graph (no relationship, none of their evidence stored) are
        created directly, with aggregates computed here. For the others, only what changed is
        written: new Evidence nodes are created, changed ones updated by key, and only the
        statements that gained or changed evidence get their aggregates recomputed from all
        their Evidence nodes. Writing unchanged records again therefore writes nothing.
        """
        evidence_rows: dict[str, dict[str, Any]] = {}
        by_statement: dict[str, list[str]] = defaultdict(list)
        endpoints: dict[str, tuple[str, str]] = {}
        for rel in rels:
            statement = rel.statement
            endpoints[statement] = (rel.subject, rel.object)
            for ev in rel.evidence:
                row = _evidence_row(statement, rel, ev)
                if row["id"] not in evidence_rows:  # identical content within a batch counts once
                    by_statement[statement].append(row["id"])
                evidence_rows[row["id"]] = row
        self._require_concepts(run, subject_label, {s for s, _ in endpoints.values()})
        self._require_concepts(run, object_label, {o for _, o in endpoints.values()})
        run(
            "UNWIND $ids AS i MERGE (d:Document {id: i})",
            {"ids": sorted({r["document_id"] for r in evidence_rows.values()})},
        )
        stored = self._existing_statements(run, predicate, subject_label, object_label, endpoints)
        returns = ", ".join(f"e.{p} AS {p}" for p in schema.EVIDENCE_PROPERTIES)
        stored_evidence = {
            r["id"]: r
            for r in run(
                f"UNWIND $ids AS i MATCH (e:Evidence {{id: i}}) RETURN {returns}",
                {"ids": list(evidence_rows)},
            )
        }
        fresh = [
            st
            for st in endpoints
            if st not in stored and not any(e in stored_evidence for e in by_statement[st])
        ]
        if fresh:
            new_evidence = [evidence_rows[e] for st in fresh for e in by_statement[st]]
            new_relationships = []
            for st in fresh:
                rows = [evidence_rows[e] for e in by_statement[st]]
                agg = aggregate(
                    [
                        (r["probability"], r["assertion"], r["document_id"], r["source"])
                        for r in rows
                    ]
                )
                new_relationships.append(_aggregate_row(st, endpoints[st], agg))
            self._create_evidence(run, subject_label, new_evidence)
            self._create_relationships(
                run, predicate, subject_label, object_label, new_relationships
            )
        created = set(fresh)
        new_rows, changed_rows, touched = [], [], set()
        for st in endpoints:
            if st in created:
                continue
            if st not in stored:
                touched.add(st)  # evidence without its relationship: repair it
            for e in by_statement[st]:
                row = evidence_rows[e]
                if e not in stored_evidence:
                    new_rows.append(row)
                    touched.add(st)
                elif any(stored_evidence[e][k] != v for k, v in row.items()):
                    changed_rows.append(row)
                    touched.add(st)
        if new_rows:
            self._create_evidence(run, subject_label, new_rows)
        if changed_rows:
            run(
                "UNWIND $rows AS r MATCH (e:Evidence {id: r.id}) "
                f"SET {_set_clause('e', schema.EVIDENCE_PROPERTIES)}",
                {"rows": changed_rows},
            )
        deleted = 0
        if touched:
            deleted = self._refresh_aggregates(
                run, predicate, subject_label, object_label, {st: endpoints[st] for st in touched}
            )
        return WriteSummary(
            relations=len(endpoints),
            evidence=len(evidence_rows),
            relationships_deleted=deleted,
        )

    def _existing_statements(
        self,
        run: Run,
        predicate: str,
        subject_label: str,
        object_label: str,
        endpoints: dict[str, tuple[str, str]],
    ) -> set[str]:
        rows = run(
            f"UNWIND $rows AS r MATCH (a:{subject_label} {{id: r.s}}) "
            f"MATCH (a)-[x:{predicate}]->(b:{object_label}) WHERE b.id = r.o RETURN r.st AS st",
            {"rows": [{"st": st, "s": s, "o": o} for st, (s, o) in endpoints.items()]},
        )
        return {r["st"] for r in rows}

    def _create_evidence(
        self, run: Run, subject_label: str, evidence: list[dict[str, Any]]
    ) -> None:
        """CREATE Evidence nodes known to be new, with their EVIDENCE_FOR / FROM_DOCUMENT links."""
        ev_props = ", ".join(f"{p}: r.{p}" for p in schema.EVIDENCE_PROPERTIES)
        run(
            f"UNWIND $rows AS r MATCH (a:{subject_label} {{id: r.subject}}) "
            "MATCH (d:Document {id: r.document_id}) "
            f"CREATE (e:Evidence {{{ev_props}}}) "
            "CREATE (e)-[:EVIDENCE_FOR]->(a) CREATE (e)-[:FROM_DOCUMENT]->(d)",
            {"rows": evidence},
        )

    def _create_relationships(
        self,
        run: Run,
        predicate: str,
        subject_label: str,
        object_label: str,
        relationships: list[dict[str, Any]],
    ) -> None:
        """CREATE relationships known to be new, with their aggregates."""
        rel_props = ", ".join(f"{p}: r.{p}" for p in schema.AGGREGATE_PROPERTIES)
        run(
            f"UNWIND $rows AS r MATCH (a:{subject_label} {{id: r.subject}}) "
            f"MATCH (b:{object_label} {{id: r.object}}) "
            f"CREATE (a)-[x:{predicate} {{{rel_props}}}]->(b)",
            {"rows": relationships},
        )

    def _require_concepts(self, run: Run, label: str, ids: set[str]) -> None:
        found = run(
            f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) RETURN n.id AS id", {"ids": sorted(ids)}
        )
        missing = ids - {r["id"] for r in found}
        if missing:
            sample = ", ".join(sorted(missing)[:5])
            raise SchemaError(
                f"{len(missing)} {label} id(s) not in the graph: {sample}",
                hint="upsert the concepts first (e.g. `kgmed ontology load`), or link the "
                "mentions to known concepts",
            )

    def _refresh_aggregates(
        self,
        run: Run,
        predicate: str,
        subject_label: str,
        object_label: str,
        endpoints: dict[str, tuple[str, str]],
    ) -> int:
        """Recompute the aggregates of ``endpoints``' statements from their Evidence nodes.

        Statements left without evidence lose their relationship. Returns how many
        relationships were deleted.
        """
        keys = [{"statement": st, "subject": s} for st, (s, _) in endpoints.items()]
        found = run(
            f"UNWIND $rows AS r MATCH (a:{subject_label} {{id: r.subject}}) "
            "MATCH (a)<-[:EVIDENCE_FOR]-(e:Evidence) WHERE e.statement = r.statement "
            "RETURN e.statement AS statement, e.probability AS p, e.assertion AS a, "
            "e.document_id AS d, e.source AS s",
            {"rows": keys},
        )
        grouped: dict[str, list[tuple[float, str, str, str]]] = defaultdict(list)
        for r in found:
            grouped[r["statement"]].append((r["p"], r["a"], r["d"], r["s"]))
        upserts, deletes = [], []
        for statement, (subject, obj) in endpoints.items():
            if statement not in grouped:
                deletes.append({"subject": subject, "object": obj})
                continue
            upserts.append(_aggregate_row(statement, (subject, obj), aggregate(grouped[statement])))
        match = (
            f"UNWIND $rows AS r MATCH (a:{subject_label} {{id: r.subject}}) "
            f"MATCH (b:{object_label} {{id: r.object}}) "
        )
        if upserts:
            run(
                match
                + f"MERGE (a)-[x:{predicate}]->(b) "
                + f"SET {_set_clause('x', schema.AGGREGATE_PROPERTIES, skip='')}",
                {"rows": upserts},
            )
        if deletes:
            run(match + f"MATCH (a)-[x:{predicate}]->(b) DELETE x", {"rows": deletes})
        return len(deletes)

    def delete_document_evidence(self, document_id: str) -> WriteSummary:
        """Remove one document's evidence and re-derive every statement it touched."""

        def work(run: Run) -> WriteSummary:
            rows = run(
                "MATCH (d:Document {id: $id})<-[:FROM_DOCUMENT]-(e:Evidence) "
                "RETURN e.id AS id, e.statement AS statement, e.subject AS subject, "
                "e.predicate AS predicate, e.object AS object",
                {"id": document_id},
            )
            if not rows:
                return WriteSummary()
            run(
                "UNWIND $ids AS i MATCH (e:Evidence {id: i}) DETACH DELETE e",
                {"ids": [r["id"] for r in rows]},
            )
            summary = WriteSummary(evidence=len(rows))
            by_type: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
            for r in rows:
                by_type[r["predicate"]][r["statement"]] = (r["subject"], r["object"])
            for predicate, endpoints in by_type.items():
                for subject_label, object_label in schema.RELATIONSHIP_TYPES[predicate].endpoints:
                    present = self._present(run, subject_label, object_label, endpoints)
                    if present:
                        summary.relationships_deleted += self._refresh_aggregates(
                            run, predicate, subject_label, object_label, present
                        )
            return summary

        return self._transaction(work)

    @staticmethod
    def _present(
        run: Run, subject_label: str, object_label: str, endpoints: dict[str, tuple[str, str]]
    ) -> dict[str, tuple[str, str]]:
        """The statements whose endpoints exist under these two labels."""
        rows = run(
            f"UNWIND $rows AS r MATCH (a:{subject_label} {{id: r.s}}) "
            f"MATCH (b:{object_label} {{id: r.o}}) RETURN r.st AS st",
            {"rows": [{"st": st, "s": s, "o": o} for st, (s, o) in endpoints.items()]},
        )
        return {r["st"]: endpoints[r["st"]] for r in rows}

    # -- reads --------------------------------------------------------------------------
    def get_concept(self, concept_id: str) -> Concept | None:
        for label in schema.CONCEPT_LABELS:
            rows = self._read(
                f"MATCH (n:{label} {{id: $id}}) RETURN n.id AS id, n.name AS name, "
                "n.synonyms AS synonyms, n.definition AS definition, n.xrefs AS xrefs, "
                "n.source AS source",
                {"id": concept_id},
            )
            if rows:
                r = rows[0]
                return Concept(
                    id=r["id"],
                    label=label,
                    name=r["name"] or "",
                    synonyms=tuple(r["synonyms"] or ()),
                    definition=r["definition"] or "",
                    xrefs=tuple(r["xrefs"] or ()),
                    source=r["source"] or "",
                )
        return None

    def concept_names(self, label: str) -> list[tuple[str, str, tuple[str, ...]]]:
        """``(id, name, synonyms)`` of every ``label`` concept (a missing name reads as the id),
        in id order: what linkers and lexicons index, so that a synonym several concepts share
        links alike on every backend and in every run."""
        schema.check_concept_label(label)
        rows = self._read(
            f"MATCH (n:{label}) RETURN n.id AS id, n.name AS name, n.synonyms AS synonyms "
            "ORDER BY id",
            {},
        )
        return [(r["id"], r["name"] or r["id"], tuple(r["synonyms"] or ())) for r in rows]

    def _endpoint_labels(self, subject: str, predicate: str, obj: str) -> tuple[str, str] | None:
        rel = schema.RELATIONSHIP_TYPES.get(predicate)
        if rel is None or not rel.asserted:
            raise SchemaError(f"unknown relationship type {predicate!r}")
        s, o = self.get_concept(subject), self.get_concept(obj)
        if s is None or o is None or not rel.allows(s.label, o.label):
            return None
        return s.label, o.label

    def get_relationship(self, subject: str, predicate: str, obj: str) -> Aggregate | None:
        labels = self._endpoint_labels(subject, predicate, obj)
        if labels is None:
            return None
        rows = self._read(
            f"MATCH (a:{labels[0]} {{id: $s}}) MATCH (a)-[x:{predicate}]->(b:{labels[1]}) "
            "WHERE b.id = $o "
            "RETURN x.probability AS probability, x.evidence_count AS evidence_count, "
            "x.negated_count AS negated_count, x.document_count AS document_count, "
            "x.sources AS sources",
            {"s": subject, "o": obj},
        )
        if not rows:
            return None
        r = rows[0]
        return Aggregate(
            probability=r["probability"],
            evidence_count=r["evidence_count"],
            negated_count=r["negated_count"],
            document_count=r["document_count"],
            sources=tuple(r["sources"] or ()),
        )

    def get_evidence(self, subject: str, predicate: str, obj: str) -> list[StoredEvidence]:
        labels = self._endpoint_labels(subject, predicate, obj)
        if labels is None:
            return []
        statement = f"{subject}|{predicate}|{obj}"
        props = [p for p in schema.EVIDENCE_PROPERTIES]
        returns = ", ".join(f"e.{p} AS {p}" for p in props)
        rows = self._read(
            f"MATCH (a:{labels[0]} {{id: $s}}) MATCH (a)<-[:EVIDENCE_FOR]-(e:Evidence) "
            f"WHERE e.statement = $st RETURN {returns} ORDER BY e.id",
            {"s": subject, "st": statement},
        )
        out = []
        for r in rows:
            out.append(
                StoredEvidence(
                    id=r["id"],
                    statement=r["statement"],
                    evidence=Evidence(
                        document_id=r["document_id"],
                        source=r["source"],
                        extractor=r["extractor"],
                        extractor_version=r["extractor_version"],
                        probability=r["probability"],
                        assertion=r["assertion"],
                        sentence=r["sentence"],
                        sentence_start=r["sentence_start"],
                        sentence_end=r["sentence_end"],
                        subject_start=r["subject_start"],
                        subject_end=r["subject_end"],
                        object_start=r["object_start"],
                        object_end=r["object_end"],
                        section=r["section"],
                    ),
                )
            )
        return out

    def stats(self) -> dict[str, dict[str, int]]:
        nodes = {}
        for label in (*schema.CONCEPT_LABELS, schema.DOCUMENT, schema.EVIDENCE):
            nodes[label] = int(self._read(f"MATCH (n:{label}) RETURN count(n) AS n", {})[0]["n"])
        rels = {}
        for name in schema.RELATIONSHIP_TYPES:
            rels[name] = int(
                self._read(f"MATCH ()-[r:{name}]->() RETURN count(r) AS n", {})[0]["n"]
            )
        return {"nodes": nodes, "relationships": rels}


def document_versions(store: CypherGraphStore, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """``id -> (checksum, pipeline version)`` of the documents among ``ids`` the graph holds
    ("" where unset: a document without a checksum was not written to the end). Ingest and
    import decide from it which documents need work."""
    found: dict[str, tuple[str, str]] = {}
    for chunk in batched(ids, 5000):
        rows = store.query(
            "MATCH (d:Document) WHERE d.id IN $ids "
            "RETURN d.id AS id, d.checksum AS checksum, d.pipeline_version AS version",
            {"ids": chunk},
        ).rows
        found.update({r["id"]: (r["checksum"] or "", r["version"] or "") for r in rows})
    return found


def create_missing_concepts(store: CypherGraphStore, concepts: Iterable[Concept]) -> int:
    """Create the concepts the graph lacks and return how many; never rename the ones it has
    (the loaded ontologies stay authoritative over names found in text or files)."""
    by_label: dict[str, dict[str, Concept]] = defaultdict(dict)
    for c in concepts:
        by_label[schema.check_concept_label(c.label)][c.id] = c
    created = 0
    for label, wanted in by_label.items():
        have: set[str] = set()
        for chunk in batched(sorted(wanted), 5000):
            rows = store.query(
                f"MATCH (n:{label}) WHERE n.id IN $ids RETURN n.id AS id", {"ids": chunk}
            ).rows
            have.update(r["id"] for r in rows)
        new = [c for cid, c in wanted.items() if cid not in have]
        if new:
            created += store.upsert_concepts(new)
    return created


def write_documents(
    store: CypherGraphStore,
    documents: Sequence[Document],
    relations: Iterable[Relation],
    mentions: dict[str, dict[tuple[str, str], int]],
) -> tuple[int, int]:
    """Write documents with their evidence (``relations``) and MENTIONS counts so that a run
    stopped midway can tell: the evidence first, then the documents without checksum or
    version, their mentions, and the documents as given last (their checksum says "complete").
    Returns (evidence records written, mentions written)."""
    evidence = 0
    for chunk in batched(relations, 2000):
        evidence += store.upsert_relations(chunk).evidence
    store.upsert_documents([replace(d, checksum="", pipeline_version="") for d in documents])
    written = store.set_mentions({d.id: mentions.get(d.id, {}) for d in documents})
    store.upsert_documents(documents)
    return evidence, written
