"""Importing JSON lines (``kgmed import``) and the literature facts ``kgmed build`` loads."""

from __future__ import annotations

import gzip
import json

import pytest

from kgmed.config.settings import Settings
from kgmed.core.errors import DataError
from kgmed.core.records import Document
from kgmed.graph.export import iter_records
from kgmed.graph.imports import (
    FACTS_VERSION_SUFFIX,
    LITERATURE_FACTS,
    import_records,
    read_records,
)
from kgmed.graph.open import open_store
from kgmed.training.facts import select_facts, write_facts
from tests import graphdata as g


def _doc(version: str, checksum: str = "sha256:aaa") -> dict:
    return {
        "type": "document",
        "id": "PMID:1",
        "kind": "literature",
        "source": "test",
        "title": "",
        "checksum": checksum,
        "pipeline_version": version,
    }


def _treats(start: int, probability: float) -> list[dict]:
    statement = f"{g.METFORMIN.id}|TREATS|{g.T2DM.id}"
    edge = {
        "type": "edge",
        "statement": statement,
        "subject": g.METFORMIN.id,
        "subject_label": "Chemical",
        "predicate": "TREATS",
        "object": g.T2DM.id,
        "object_label": "Disease",
    }
    evidence = {
        "type": "evidence",
        "statement": statement,
        "subject": g.METFORMIN.id,
        "predicate": "TREATS",
        "object": g.T2DM.id,
        "document_id": "PMID:1",
        "source": "literature",
        "extractor": "test",
        "probability": probability,
        "assertion": "affirmed",
        "sentence_start": start,
        "sentence_end": start + 40,
    }
    return [edge, evidence]


def _treats_evidence(store) -> list[tuple[int, float]]:
    return sorted(
        (e.evidence.sentence_start, e.evidence.probability)
        for e in store.get_evidence(g.METFORMIN.id, "TREATS", g.T2DM.id)
    )


def test_complete_documents_stay_unless_their_version_is_replaceable(tmp_path):
    with open_store(Settings(store=str(tmp_path / "graph"))) as store:
        store.upsert_concepts(g.CONCEPTS)
        first = import_records(store, [_doc("1.0+facts"), *_treats(0, 0.9)])
        assert (first.documents, first.evidence, first.by_predicate) == (1, 1, {"TREATS": 1})
        newer = [_doc("2.0+facts", "sha256:bbb"), *_treats(50, 0.7)]
        kept = import_records(store, newer)  # complete and no replace rule: left as it was
        assert (kept.documents, kept.documents_unchanged) == (0, 1)
        assert _treats_evidence(store) == [(0, 0.9)]

        def replaceable(version: str) -> bool:
            return version.endswith(FACTS_VERSION_SUFFIX)

        replaced = import_records(store, newer, replace=replaceable)
        assert (replaced.documents, replaced.documents_replaced) == (1, 1)
        assert _treats_evidence(store) == [(50, 0.7)]  # the old document's evidence is gone
        # a document ingested from text (no suffix) is never replaced by imported facts
        store.upsert_documents(
            [Document("PMID:1", kind="literature", checksum="c", pipeline_version="2.0")]
        )
        assert import_records(store, newer, replace=replaceable).documents_unchanged == 1


def test_an_interrupted_import_is_completed(tmp_path):
    """A document written without its checksum (the import stopped before the end) is
    imported again, adding nothing twice."""
    with open_store(Settings(store=str(tmp_path / "graph"))) as store:
        store.upsert_concepts(g.CONCEPTS)
        records = [_doc("1.0"), *_treats(0, 0.9)]
        import_records(store, records)
        store.upsert_documents([Document("PMID:1", kind="literature")])  # checksum lost
        again = import_records(store, records)
        assert again.documents == 1
        assert _treats_evidence(store) == [(0, 0.9)]
        row = store.query("MATCH (d:Document {id: 'PMID:1'}) RETURN d.checksum AS c").rows
        assert row == [{"c": "sha256:aaa"}]


def test_import_refuses_evidence_without_its_document_or_edge(tmp_path):
    with open_store(Settings(store=str(tmp_path / "graph"))) as store:
        store.upsert_concepts(g.CONCEPTS)
        with pytest.raises(DataError, match=r"document\(s\) the file does not describe"):
            import_records(store, _treats(0, 0.9))
        with pytest.raises(DataError, match="no edge record"):
            import_records(store, [_doc("1.0"), _treats(0, 0.9)[1]])
        # refused before anything was written
        assert store.query("MATCH (d:Document) RETURN count(d) AS n").rows == [{"n": 0}]


def test_a_file_is_imported_in_batches_of_documents(tmp_path, monkeypatch):
    """The file is streamed (spooled, not held in memory) and written a batch of documents
    at a time; the progress bar is told how many batches there are."""
    import kgmed.graph.imports as imports

    monkeypatch.setattr(imports, "DOCUMENTS_PER_BATCH", 2)
    records = []
    for i in range(5):
        doc = {**_doc("1.0", f"sha256:{i}"), "id": f"PMID:{i}"}
        edge, evidence = _treats(i, 0.5 + i / 10)
        records += [doc, edge, {**evidence, "document_id": f"PMID:{i}"}]
        records.append(
            {
                "type": "mention",
                "document_id": f"PMID:{i}",
                "label": "Disease",
                "concept": g.T2DM.id,
                "count": i + 1,
            }
        )
    path = tmp_path / "graph.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in records)
    seen = []

    def progress(batches):
        seen.append(len(batches))
        for batch in batches:
            seen.append([d.id for d in batch])
            yield batch

    with open_store(Settings(store=str(tmp_path / "graph"))) as store:
        store.upsert_concepts(g.CONCEPTS)
        summary = imports.import_file(store, path, progress=progress)
        assert (summary.documents, summary.evidence, summary.mentions) == (5, 5, 5)
        assert seen == [3, ["PMID:0", "PMID:1"], ["PMID:2", "PMID:3"], ["PMID:4"]]
        assert _treats_evidence(store) == [(i, 0.5 + i / 10) for i in range(5)]
        again = imports.import_file(store, path)
        assert (again.documents, again.documents_unchanged) == (0, 5)


def test_read_records_reports_the_bad_line(tmp_path):
    path = tmp_path / "graph.jsonl"
    path.write_text('{"type": "document", "id": "x"}\n{not json\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"graph.jsonl:2: not JSON"):
        read_records(path)
    path.write_text('{"type": "table"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r":1: not a kgmed record"):
        read_records(path)
    path.write_text('{"type": "node", "id": "X:1", "label": "Planet"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r":1: node record with an unknown concept label"):
        read_records(path)


def test_select_facts_ships_no_text_and_no_interactions(tmp_path):
    with open_store(Settings(store=str(tmp_path / "graph"))) as store:
        g.load(store)
        store.set_mentions({"PMID:900001": {("Disease", g.FLU.id): 1}})
        facts = select_facts(iter_records(store), {"pubmed": "corpus/file.txt"})
    documents = [r for r in facts if r["type"] == "document"]
    assert {d["id"] for d in documents} == {"PMID:900001", "PMID:900002"}  # no note, no dataset
    assert all(d["title"] == "" and d["source"] == "corpus/file.txt" for d in documents)
    assert all(d["pipeline_version"] == "test" + FACTS_VERSION_SUFFIX for d in documents)
    evidence = [r for r in facts if r["type"] == "evidence"]
    assert evidence and all(e["sentence"] == "" for e in evidence)
    assert all(e["document_id"].startswith("PMID:") for e in evidence)
    assert "INTERACTS_WITH" not in {e["predicate"] for e in evidence}
    assert {r["statement"] for r in facts if r["type"] == "edge"} == {
        e["statement"] for e in evidence
    }
    nodes = {r["id"] for r in facts if r["type"] == "node"}
    assert g.FLU.id in nodes and g.WARFARIN.id not in nodes  # only what the facts reference
    # written deterministically, and the importer reads them back into an empty graph
    write_facts(facts, tmp_path / "a.jsonl.gz")
    write_facts(facts, tmp_path / "b.jsonl.gz")
    assert (tmp_path / "a.jsonl.gz").read_bytes() == (tmp_path / "b.jsonl.gz").read_bytes()
    with open_store(Settings(store=str(tmp_path / "fresh"))) as fresh:
        summary = import_records(fresh, read_records(tmp_path / "a.jsonl.gz"))
        assert summary.documents == 2 and summary.evidence == len(evidence)


def test_shipped_facts_carry_no_corpus_text():
    """The shipped file holds ids, offsets and scores only: no sentence, no title."""
    with gzip.open(LITERATURE_FACTS, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    kinds = {r["type"] for r in records}
    assert kinds == {"node", "document", "edge", "evidence", "mention"}
    documents = [r for r in records if r["type"] == "document"]
    assert len(documents) > 2000
    assert all(d["title"] == "" and d["pipeline_version"].endswith("+facts") for d in documents)
    assert all(d["source"].split("/")[0] in ("bc5cdr", "ncbi_disease", "biored") for d in documents)
    evidence = [r for r in records if r["type"] == "evidence"]
    assert all(e["sentence"] == "" for e in evidence)
    assert {e["predicate"] for e in evidence} <= {"TREATS", "CAUSES", "HAS_SYMPTOM"}
    assert all(e["sentence_end"] > e["sentence_start"] >= 0 for e in evidence)
    # every concept the facts reference travels with them (the importer creates what is missing)
    nodes = {r["id"] for r in records if r["type"] == "node"}
    referenced = {e["subject"] for e in evidence} | {e["object"] for e in evidence}
    referenced |= {r["concept"] for r in records if r["type"] == "mention"}
    assert referenced <= nodes


@pytest.mark.slow
def test_build_loads_the_literature_facts_once(tmp_path):
    """`kgmed build` with the shipped files: the facts load and a rerun adds nothing."""
    from kgmed.pipeline import build_graph

    settings = Settings(store=str(tmp_path / "graph"))
    summaries = build_graph(settings, show_progress=False)
    loaded = summaries[2]
    assert loaded.documents["literature facts"] > 2000
    with open_store(settings, read_only=True) as store:
        stats = store.stats()
        assert stats["nodes"]["Evidence"] > 10000
    again = build_graph(settings, show_progress=False)
    assert again[2].documents["literature facts"] == 0
    with open_store(settings, read_only=True) as store:
        assert store.stats() == stats
