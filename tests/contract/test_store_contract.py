"""The GraphStore contract: every backend runs these same tests (embedded and Neo4j)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgmed.core.errors import QueryError, SchemaError, WriteNotAllowedError
from kgmed.core.records import Assertion, Concept, Relation
from kgmed.graph import schema
from kgmed.graph.export import export_graph
from kgmed.graph.store import GraphStore
from tests import graphdata as g
from tests.conftest import BACKENDS


def test_every_backend_is_covered():
    """Meta-test: the contract suite runs over every backend the store opener knows."""
    backends_dir = Path(__file__).resolve().parents[2] / "kgmed" / "graph" / "backends"
    modules = {p.stem for p in backends_dir.glob("*.py") if p.stem != "__init__"}
    assert modules == set(BACKENDS)


def test_store_satisfies_protocol(store):
    assert isinstance(store, GraphStore)


def test_concepts_round_trip(store):
    store.upsert_concepts(g.CONCEPTS)
    for concept in g.CONCEPTS:
        assert store.get_concept(concept.id) == concept
    assert store.get_concept("DOID:does-not-exist") is None


def test_concept_names_for_linkers(store):
    store.upsert_concepts(g.CONCEPTS)
    names = store.concept_names("Symptom")
    expected = {(c.id, c.name or c.id, c.synonyms) for c in g.CONCEPTS if c.label == "Symptom"}
    assert expected and set(names) == expected
    chemicals = [cid for cid, _, _ in store.concept_names("Chemical")]
    assert len(chemicals) > 1 and chemicals == sorted(chemicals)  # the same order everywhere
    with pytest.raises(SchemaError):
        store.concept_names("Person")


def test_mentions_are_replaced_per_document(store):
    g.load(store)
    doc = g.DOCUMENTS[0].id
    other = g.DOCUMENTS[1].id
    both = {doc: {("Disease", g.FLU.id): 2, ("Symptom", g.FEVER.id): 1}, other: {}}
    assert store.set_mentions(both) == 2
    assert store.set_mentions({doc: {("Disease", g.FLU.id): 3}}) == 1  # replaces, never adds
    rows = store.query(
        "MATCH (d:Document {id: $d})-[m:MENTIONS]->(c:Disease) RETURN c.id AS id, m.count AS n",
        {"d": doc},
    ).rows
    assert rows == [{"id": g.FLU.id, "n": 3}]
    assert store.stats()["relationships"]["MENTIONS"] == 1
    with pytest.raises(SchemaError):
        store.set_mentions({doc: {("Disease", "DOID:not-in-graph"): 1}})


def test_relations_write_aggregates(store):
    g.load(store)
    agg = store.get_relationship(g.FLU.id, "HAS_SYMPTOM", g.FEVER.id)
    assert agg is not None
    assert agg.evidence_count == 2
    assert agg.document_count == 2
    assert agg.probability == pytest.approx(1.0)
    assert agg.sources == ("DO", "literature")
    treats = store.get_relationship(g.OSELTAMIVIR.id, "TREATS", g.FLU.id)
    assert treats is not None and treats.probability == pytest.approx(0.95)


def test_negated_evidence_counts_against(store):
    g.load(store)
    agg = store.get_relationship(g.PNEU.id, "HAS_SYMPTOM", g.COUGH.id)
    assert agg is not None
    assert agg.negated_count == 1
    assert agg.probability == 0.0
    causes = store.get_relationship(g.METFORMIN.id, "CAUSES", g.FATIGUE.id)
    assert causes is not None and causes.probability == 0.0 and causes.negated_count == 1


def test_writes_are_idempotent(store):
    g.load(store)
    before = store.stats()
    aggregates = {
        r.statement: store.get_relationship(r.subject, r.predicate, r.object) for r in g.RELATIONS
    }
    g.load(store)
    assert store.stats() == before
    for r in g.RELATIONS:
        assert store.get_relationship(r.subject, r.predicate, r.object) == aggregates[r.statement]


def test_evidence_is_retrievable_with_provenance(store):
    g.load(store)
    stored = store.get_evidence(g.FLU.id, "HAS_SYMPTOM", g.FEVER.id)
    assert len(stored) == 2
    lit = next(s.evidence for s in stored if s.evidence.source == "literature")
    assert lit.document_id == "PMID:900001"
    assert lit.sentence == g.S1
    assert (lit.sentence_start, lit.sentence_end) == (0, len(g.S1))
    assert lit.extractor == "kgmed.re" and lit.extractor_version == "test-1"
    assert lit.assertion == Assertion.AFFIRMED
    assert lit.probability == pytest.approx(0.9)


def test_new_model_version_updates_evidence_not_duplicates(store):
    g.load(store)
    from dataclasses import replace

    rel = next(r for r in g.RELATIONS if r.predicate == "TREATS" and r.subject == g.OSELTAMIVIR.id)
    newer = replace(
        rel,
        evidence=tuple(
            replace(e, extractor_version="test-2", probability=0.5) for e in rel.evidence
        ),
    )
    store.upsert_relations([newer])
    agg = store.get_relationship(rel.subject, "TREATS", rel.object)
    assert agg is not None and agg.evidence_count == 1 and agg.probability == pytest.approx(0.5)


def test_delete_document_evidence_rederives(store):
    g.load(store)
    summary = store.delete_document_evidence("PMID:900001")
    assert summary.evidence == 5
    assert summary.relationships_deleted == 4
    flu_fever = store.get_relationship(g.FLU.id, "HAS_SYMPTOM", g.FEVER.id)
    assert flu_fever is not None and flu_fever.evidence_count == 1 and flu_fever.sources == ("DO",)
    # Relationships supported only by that document are gone.
    assert store.get_relationship(g.OSELTAMIVIR.id, "TREATS", g.FLU.id) is None
    assert store.get_relationship(g.COLD.id, "HAS_SYMPTOM", g.HEADACHE.id) is None


def test_schema_is_enforced(store):
    store.upsert_concepts(g.CONCEPTS)
    with pytest.raises(SchemaError):
        store.upsert_concepts([Concept("X:1", "Pathway", "not a label")])
    with pytest.raises(SchemaError):  # TREATS cannot go from a Disease
        store.upsert_relations([g.rel(g.FLU, "TREATS", g.COLD, g.CURATED)])
    with pytest.raises(SchemaError):
        store.upsert_relations(
            [Relation(g.FLU.id, "Disease", "CURES", g.COLD.id, "Disease", (g.CURATED,))]
        )
    with pytest.raises(SchemaError):  # endpoint missing from the graph
        store.upsert_relations(
            [
                Relation(
                    "DOID:0000000", "Disease", "HAS_SYMPTOM", g.FEVER.id, "Symptom", (g.CURATED,)
                )
            ]
        )
    with pytest.raises(SchemaError):  # a relation needs evidence
        store.upsert_relations(
            [Relation(g.FLU.id, "Disease", "HAS_SYMPTOM", g.FEVER.id, "Symptom", ())]
        )
    assert store.stats()["relationships"]["HAS_SYMPTOM"] == 0


def test_query_is_parameterized_and_read_only(store):
    g.load(store)
    result = store.query(
        "MATCH (d:Disease {id: $id})-[r:HAS_SYMPTOM]->(s:Symptom) "
        "RETURN s.name AS name ORDER BY name",
        {"id": g.FLU.id},
    )
    assert result.columns == ["name"]
    assert [r["name"] for r in result.rows] == ["cough", "fever", "headache", "muscle pain"]
    hostile = "x'}) DETACH DELETE d //"
    assert (
        store.query("MATCH (d:Disease) WHERE d.name = $n RETURN d.id AS id", {"n": hostile}).rows
        == []
    )
    with pytest.raises(WriteNotAllowedError):
        store.query("CREATE (d:Disease {id: 'DOID:X', name: 'x'})")
    with pytest.raises(QueryError):
        store.query("MATCH (d:Disease) WHERE d.id = $missing RETURN d")
    with pytest.raises(QueryError):
        store.query("MATCH (d:Disease RETURN d")
    assert store.stats()["nodes"]["Disease"] == len(g.DISEASES)


def test_write_query_with_write_flag(store):
    store.upsert_concepts(g.DISEASES)
    store.query(
        "MATCH (d:Disease {id: $id}) SET d.definition = $text",
        {"id": g.FLU.id, "text": "edited"},
        write=True,
    )
    assert store.get_concept(g.FLU.id).definition == "edited"


def test_stats_shape(store):
    g.load(store)
    counts = store.stats()
    assert set(counts) == {"nodes", "relationships"}
    assert counts["nodes"]["Disease"] == len(g.DISEASES)
    assert counts["nodes"]["Gene"] == len(g.GENES)
    assert counts["relationships"]["HAS_SYMPTOM"] == sum(
        r.predicate == "HAS_SYMPTOM" for r in g.RELATIONS
    )
    assert set(counts["relationships"]) >= {t.name for t in schema.ASSERTED_TYPES}


def test_export_jsonl_and_turtle(store):
    g.load(store)
    store.set_mentions({g.DOCUMENTS[0].id: {("Disease", g.FLU.id): 2, ("Symptom", g.FEVER.id): 1}})
    buf = io.StringIO()
    counts = export_graph(store, "jsonl", buf)
    lines = [json.loads(x) for x in buf.getvalue().splitlines()]
    assert counts["nodes"] == len(g.CONCEPTS)
    assert counts["relationships"] == len(g.RELATIONS)
    assert sum(1 for x in lines if x["type"] == "evidence") == counts["evidence"]
    edge = next(
        x
        for x in lines
        if x["type"] == "edge" and x["predicate"] == "TREATS" and x["subject"] == g.METFORMIN.id
    )
    assert edge["evidence_count"] == 2
    mentions = {(x["label"], x["concept"], x["count"]) for x in lines if x["type"] == "mention"}
    assert mentions == {("Disease", g.FLU.id, 2), ("Symptom", g.FEVER.id, 1)}
    assert counts["mentions"] == 2
    ttl = io.StringIO()
    export_graph(store, "ttl", ttl)
    import rdflib

    parsed = rdflib.Graph().parse(data=ttl.getvalue(), format="turtle")
    flu = rdflib.URIRef("http://purl.obolibrary.org/obo/DOID_8469")
    fever = rdflib.URIRef("http://purl.obolibrary.org/obo/SYMP_0000613")
    assert (flu, rdflib.URIRef("urn:kgmed:schema#HAS_SYMPTOM"), fever) in parsed


def _comparable(records) -> set[str]:
    """Records as JSON with empty values dropped (a missing property reads back as null on
    one side and "" on the other) and lists sorted (collect() order is the store's)."""
    out = set()
    for r in records:
        clean = {
            k: sorted(v) if isinstance(v, list) else v for k, v in r.items() if v not in (None, "")
        }
        out.add(json.dumps(clean, sort_keys=True))
    return out


def test_jsonl_import_round_trips(store, tmp_path):
    """An embedded graph exported as JSON lines and imported into the backend under test reads
    back the same; importing it again adds nothing."""
    from kgmed.config.settings import Settings
    from kgmed.graph.export import iter_records
    from kgmed.graph.imports import import_records
    from kgmed.graph.open import open_store

    with open_store(Settings(store=str(tmp_path / "source"))) as source:
        g.load(source)
        source.set_mentions({g.DOCUMENTS[0].id: {("Disease", g.FLU.id): 2}})
        records = list(iter_records(source))
    first = import_records(store, records)
    assert first.concepts == len(g.CONCEPTS)
    assert first.evidence == sum(1 for r in records if r["type"] == "evidence")
    assert first.mentions == 1
    assert _comparable(iter_records(store)) == _comparable(records)
    stats = store.stats()
    again = import_records(store, records)  # these documents have no checksum: redone
    assert again.concepts == 0
    assert store.stats() == stats
    assert _comparable(iter_records(store)) == _comparable(records)


_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=_text, synonyms=st.lists(_text, max_size=4), definition=_text)
def test_concept_text_round_trips_unchanged(store, name, synonyms, definition):
    """Any text (quotes, braces, unicode) survives the store unchanged: it is a parameter."""
    c = Concept(
        "DOID:999999", "Disease", name, tuple(synonyms), definition, ("MESH:D000001",), "test"
    )
    store.upsert_concepts([c])
    assert store.get_concept(c.id) == c


def test_large_batches_are_idempotent(store):
    """Enough new statements to take the embedded store's COPY path, written twice, then
    extended: counts stay exact and aggregates see old and new evidence."""
    from kgmed.core.records import Evidence

    diseases = [Concept(f"DOID:{i}", "Disease", f"d{i}") for i in range(100)]
    symptoms = [Concept(f"SYMP:{i}", "Symptom", f"s{i}") for i in range(30)]
    store.upsert_concepts(diseases + symptoms)

    def relation(i: int, doc: str, p: float) -> Relation:
        d, s = divmod(i, 30)
        return Relation(
            f"DOID:{d}",
            "Disease",
            "HAS_SYMPTOM",
            f"SYMP:{s}",
            "Symptom",
            (
                Evidence(
                    doc, "literature", "kgmed.re", "1", p, sentence_start=i, sentence_end=i + 9
                ),
            ),
        )

    first = [relation(i, f"PMID:{i % 50}", 0.5) for i in range(2500)]
    store.upsert_relations(first)
    counts = store.stats()
    store.upsert_relations(first)
    assert store.stats() == counts
    assert counts["relationships"]["HAS_SYMPTOM"] == 2500
    assert counts["nodes"]["Evidence"] == 2500
    store.upsert_relations([relation(i, "PMID:new", 0.5) for i in range(0, 2500, 10)])
    agg = store.get_relationship("DOID:0", "HAS_SYMPTOM", "SYMP:0")
    assert agg is not None and agg.evidence_count == 2 and agg.probability == pytest.approx(0.75)
    assert store.stats()["nodes"]["Evidence"] == 2750
