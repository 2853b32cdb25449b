"""The graph schema, written once.

Both backends are generated from these tables: LadybugDB node/relationship table DDL and
Neo4j uniqueness constraints and indexes. Labels and relationship types are a closed set,
so the only names ever placed into Cypher text come from here, never from user input.
"""

from __future__ import annotations

from dataclasses import dataclass

from kgmed.core.errors import SchemaError

SCHEMA_VERSION = 1

# Property name -> LadybugDB type. Neo4j is schema-free; the same names are used there.
CONCEPT_PROPERTIES: dict[str, str] = {
    "id": "STRING",
    "name": "STRING",
    "synonyms": "STRING[]",
    "definition": "STRING",
    "xrefs": "STRING[]",
    "source": "STRING",
}

DOCUMENT_PROPERTIES: dict[str, str] = {
    "id": "STRING",
    "title": "STRING",
    "source": "STRING",
    "kind": "STRING",
    "checksum": "STRING",
    "pipeline_version": "STRING",
}

EVIDENCE_PROPERTIES: dict[str, str] = {
    "id": "STRING",
    "statement": "STRING",
    "subject": "STRING",
    "predicate": "STRING",
    "object": "STRING",
    "document_id": "STRING",
    "source": "STRING",
    "extractor": "STRING",
    "extractor_version": "STRING",
    "probability": "DOUBLE",
    "assertion": "STRING",
    "sentence": "STRING",
    "sentence_start": "INT64",
    "sentence_end": "INT64",
    "subject_start": "INT64",
    "subject_end": "INT64",
    "object_start": "INT64",
    "object_end": "INT64",
    "section": "STRING",
}

META_PROPERTIES: dict[str, str] = {"key": "STRING", "value": "STRING"}

# Aggregates every asserted relationship carries (derived from its Evidence nodes).
AGGREGATE_PROPERTIES: dict[str, str] = {
    "statement": "STRING",
    "probability": "DOUBLE",
    "evidence_count": "INT64",
    "negated_count": "INT64",
    "document_count": "INT64",
    "sources": "STRING[]",
}

CONCEPT_LABELS: tuple[str, ...] = ("Disease", "Symptom", "Chemical", "Gene")
DOCUMENT = "Document"
EVIDENCE = "Evidence"
META = "KgmedMeta"

NODE_TABLES: dict[str, dict[str, str]] = {
    **{label: CONCEPT_PROPERTIES for label in CONCEPT_LABELS},
    DOCUMENT: DOCUMENT_PROPERTIES,
    EVIDENCE: EVIDENCE_PROPERTIES,
    META: META_PROPERTIES,
}
NODE_KEYS: dict[str, str] = {label: "id" for label in NODE_TABLES} | {META: "key"}


@dataclass(frozen=True)
class RelationshipType:
    """A relationship type with the (from, to) label pairs it may connect."""

    name: str
    endpoints: tuple[tuple[str, str], ...]
    description: str
    asserted: bool = True  # carries evidence and aggregates

    def allows(self, subject_label: str, object_label: str) -> bool:
        return (subject_label, object_label) in self.endpoints


ASSERTED_TYPES: tuple[RelationshipType, ...] = (
    RelationshipType("HAS_SYMPTOM", (("Disease", "Symptom"),), "a disease presents with a symptom"),
    RelationshipType(
        "TREATS",
        (("Chemical", "Disease"), ("Chemical", "Symptom")),
        "a chemical treats a disease or relieves a symptom",
    ),
    RelationshipType(
        "CAUSES",
        (("Chemical", "Disease"), ("Chemical", "Symptom")),
        "a chemical induces a disease or adverse effect",
    ),
    RelationshipType("INTERACTS_WITH", (("Chemical", "Chemical"),), "a drug-drug interaction"),
    RelationshipType(
        "TARGETS", (("Chemical", "Gene"),), "a chemical binds or acts on a gene product"
    ),
    RelationshipType(
        "ASSOCIATED_WITH", (("Disease", "Gene"),), "a disease is associated with a gene"
    ),
    RelationshipType(
        "RESEMBLES", (("Disease", "Disease"),), "two diseases co-occur or resemble each other"
    ),
    RelationshipType(
        "IS_A",
        (("Disease", "Disease"), ("Symptom", "Symptom"), ("Chemical", "Chemical")),
        "ontology hierarchy: the subject is a kind of the object",
    ),
)

STRUCTURAL_TYPES: tuple[RelationshipType, ...] = (
    RelationshipType(
        "EVIDENCE_FOR",
        tuple((EVIDENCE, label) for label in CONCEPT_LABELS),
        "an Evidence node points at the subject concept of the statement it supports",
        asserted=False,
    ),
    RelationshipType(
        "FROM_DOCUMENT",
        ((EVIDENCE, DOCUMENT),),
        "an Evidence node comes from a document",
        asserted=False,
    ),
    RelationshipType(
        "MENTIONS",
        tuple((DOCUMENT, label) for label in CONCEPT_LABELS),
        "a document mentions a concept (count = number of mentions)",
        asserted=False,
    ),
)

RELATIONSHIP_TYPES: dict[str, RelationshipType] = {
    t.name: t for t in ASSERTED_TYPES + STRUCTURAL_TYPES
}
MENTIONS_PROPERTIES: dict[str, str] = {"count": "INT64"}


def relationship_properties(rel: RelationshipType) -> dict[str, str]:
    if rel.asserted:
        return AGGREGATE_PROPERTIES
    if rel.name == "MENTIONS":
        return MENTIONS_PROPERTIES
    return {}


def check_concept_label(label: str) -> str:
    """Return ``label`` if it is a concept label, else raise :class:`SchemaError`."""
    if label not in CONCEPT_LABELS:
        raise SchemaError(
            f"unknown concept label {label!r}",
            hint=f"use one of {', '.join(CONCEPT_LABELS)}",
        )
    return label


def check_relationship(predicate: str, subject_label: str, object_label: str) -> RelationshipType:
    """Validate a relation's type and endpoint labels against the schema."""
    rel = RELATIONSHIP_TYPES.get(predicate)
    if rel is None or not rel.asserted:
        names = ", ".join(t.name for t in ASSERTED_TYPES)
        raise SchemaError(f"unknown relationship type {predicate!r}", hint=f"use one of {names}")
    if not rel.allows(subject_label, object_label):
        pairs = ", ".join(f"{a}->{b}" for a, b in rel.endpoints)
        raise SchemaError(
            f"{predicate} cannot connect {subject_label} -> {object_label}",
            hint=f"{predicate} connects {pairs}",
        )
    return rel


def ladybug_ddl() -> list[str]:
    """DDL statements creating every table (idempotent: IF NOT EXISTS)."""
    statements = []
    for label, props in NODE_TABLES.items():
        cols = ", ".join(f"{name} {typ}" for name, typ in props.items())
        statements.append(
            f"CREATE NODE TABLE IF NOT EXISTS {label}({cols}, PRIMARY KEY({NODE_KEYS[label]}))"
        )
    for rel in RELATIONSHIP_TYPES.values():
        pairs = ", ".join(f"FROM {a} TO {b}" for a, b in rel.endpoints)
        props = relationship_properties(rel)
        cols = "".join(f", {name} {typ}" for name, typ in props.items())
        statements.append(f"CREATE REL TABLE IF NOT EXISTS {rel.name}({pairs}{cols})")
    return statements


def neo4j_ddl() -> list[str]:
    """Uniqueness constraints on every node key, and the indexes kgmed's queries use."""
    statements = []
    for label, key in NODE_KEYS.items():
        statements.append(
            f"CREATE CONSTRAINT kgmed_{label.lower()}_{key} IF NOT EXISTS "
            f"FOR (n:{label}) REQUIRE n.{key} IS UNIQUE"
        )
    for label in CONCEPT_LABELS:
        statements.append(
            f"CREATE INDEX kgmed_{label.lower()}_name IF NOT EXISTS FOR (n:{label}) ON (n.name)"
        )
    statements.append(
        "CREATE INDEX kgmed_evidence_statement IF NOT EXISTS FOR (n:Evidence) ON (n.statement)"
    )
    statements.append(
        "CREATE INDEX kgmed_evidence_document IF NOT EXISTS FOR (n:Evidence) ON (n.document_id)"
    )
    for rel in ASSERTED_TYPES:
        statements.append(
            f"CREATE INDEX kgmed_{rel.name.lower()}_statement IF NOT EXISTS "
            f"FOR ()-[r:{rel.name}]-() ON (r.statement)"
        )
    return statements
