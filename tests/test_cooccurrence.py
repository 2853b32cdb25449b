"""Disease-symptom co-occurrence enrichment: the statistics, and their evidence in ingest."""

from __future__ import annotations

import pytest

from kgmed.relations.cooccurrence import (
    DOCUMENT_ID,
    SOURCE,
    enrichment_relations,
    pair_statistics,
)


def _documents():
    # 10 documents: the disease in 4, the symptom in 4, both in 3; another symptom everywhere.
    docs = []
    for i in range(10):
        diseases = {"DOID:1"} if i < 4 else set()
        symptoms = {"SYMP:1"} if 1 <= i < 5 else set()
        docs.append((diseases, symptoms | {"SYMP:2"}))
    return docs


def test_observed_expected_enrichment_and_fisher_p():
    stats = {(s.disease, s.symptom): s for s in pair_statistics(_documents(), min_observed=1)}
    st = stats[("DOID:1", "SYMP:1")]
    assert (st.observed, st.disease_documents, st.symptom_documents, st.documents) == (3, 4, 4, 10)
    assert st.expected == pytest.approx(1.6)
    assert st.enrichment == pytest.approx(3 / 1.6)
    # P(X >= 3), X ~ Hypergeometric(10, 4, 4) = (C(4,3) C(6,1) + C(4,4)) / C(10,4) = 25/210
    assert st.p_value == pytest.approx(25 / 210)
    everywhere = stats[("DOID:1", "SYMP:2")]
    assert everywhere.enrichment == pytest.approx(1.0) and everywhere.p_value == pytest.approx(1)
    assert ("DOID:1", "SYMP:1") not in {
        (s.disease, s.symptom) for s in pair_statistics(_documents(), min_observed=4)
    }


def test_only_enriched_significant_pairs_become_evidence():
    stats = pair_statistics(_documents(), min_observed=1)
    assert enrichment_relations(stats, max_p=0.05) == []
    [rel] = enrichment_relations(stats, max_p=0.2)  # SYMP:2 is not enriched (1.0)
    assert (rel.subject, rel.predicate, rel.object) == ("DOID:1", "HAS_SYMPTOM", "SYMP:1")
    [ev] = rel.evidence
    assert ev.document_id == DOCUMENT_ID and ev.source == SOURCE
    assert ev.probability == pytest.approx(3 / 4)  # P(symptom | disease) among the documents
    assert "3 of the 4 documents" in ev.sentence


def test_ingest_writes_enrichment_evidence_idempotently(tmp_path):
    from kgmed.config.settings import Settings
    from kgmed.graph.open import open_store
    from kgmed.ingest import PipelineConfig, ingest_paths, refresh_enrichment
    from tests.test_ingest import LIT, _counts, _prepared

    pipeline = tmp_path / "loose.toml"  # five abstracts: test every co-mentioned pair
    pipeline.write_text('name = "loose"\nenrichment_min_documents = 1\nenrichment_max_p = 1.0\n')
    settings = _prepared(Settings(store=str(tmp_path / "graph")))
    first = ingest_paths(
        settings, [LIT], pipeline=str(pipeline), rejects=tmp_path / "r.jsonl", show_progress=False
    )
    assert first.enriched_pairs > 0
    with open_store(settings, read_only=True) as store:
        rows = store.query(
            "MATCH (e:Evidence) WHERE e.source = $s RETURN e.probability AS p, e.sentence AS s",
            {"s": SOURCE},
        ).rows
        mentions = store.query("MATCH (:Document)-[m:MENTIONS]->() RETURN sum(m.count) AS n").rows
    assert len(rows) == first.enriched_pairs
    assert all(0 < r["p"] <= 1 and "documents mentioning" in r["s"] for r in rows)
    assert mentions[0]["n"] == first.linked  # every linked mention is counted once
    before = _counts(settings)
    with open_store(settings) as store:
        assert refresh_enrichment(store, PipelineConfig.load(str(pipeline))) == len(rows)
    assert _counts(settings) == before
