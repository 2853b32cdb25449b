"""kgmed ingest: readers, de-identification, assertion status, idempotent and resumable runs.

Runs the shipped NER and relation models on abstracts and notes written for these tests.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kgmed.config.settings import Settings
from kgmed.core.records import Assertion
from kgmed.documents.readers import Reject, detect_format, read_path
from kgmed.graph.open import open_store
from tests import graphdata
from tests.conftest import FIXTURES

LIT = FIXTURES / "literature"
NOTES = FIXTURES / "notes"


def test_formats_are_detected_and_read():
    assert detect_format(LIT / "articles.xml") == "medline"
    assert detect_format(LIT / "collection.bioc.xml") == "bioc"
    assert detect_format(LIT / "flu.txt") == "text"
    assert detect_format(FIXTURES / "mini.pubtator") == "pubtator"
    items = list(read_path(LIT))
    docs = {d.id: d for d in items if not isinstance(d, Reject)}
    rejects = [r for r in items if isinstance(r, Reject)]
    assert set(docs) == {
        "PMID:990001",
        "PMID:990002",
        "file:flu.txt",
        "file:metformin.txt",
        "file:cisplatin.txt",
    }
    assert docs["PMID:990001"].text.startswith("Acetaminophen for fever in children. BACKGROUND:")
    bioc = docs["PMID:990002"]
    assert bioc.text[39:].startswith("Aspirin increases") and bioc.title.startswith("Aspirin and")
    assert [Path(r.path).name for r in rejects] == ["broken.txt"]
    assert "UTF-8" in rejects[0].reason
    assert all(d.checksum for d in docs.values())


def test_notes_csv_columns_and_empty_records():
    items = list(read_path(NOTES / "notes.csv", id_column="note_id", text_column="body"))
    assert [d.id for d in items if not isinstance(d, Reject)] == ["note:c1", "note:c2"]
    assert [r.reason for r in items if isinstance(r, Reject)] == [
        f"{NOTES / 'notes.csv'}:4: empty text"
    ]
    wrong = list(read_path(NOTES / "notes.csv"))  # default columns id/text are absent
    assert len(wrong) == 1 and "--id-column" not in wrong[0].reason and "columns" in wrong[0].reason


def test_deidentification_recall_on_planted_identifiers():
    from kgmed.evaluation.deid import deidentification_recall
    from kgmed.text.deid import deidentify

    found, total = deidentification_recall(NOTES / "notes.jsonl")
    assert total >= 70
    assert found / total >= 0.98
    # Clinical words survive
    clean, _ = deidentify("Patient reports fever and cough. No chest pain. Seen by Dr. Ng.")
    assert "fever and cough" in clean and "chest pain" in clean and "Ng" not in clean


def test_assertion_status():
    from kgmed.text.assertion import AssertionTagger

    text = (
        "He denies chest pain. Reports fever. History of migraine. "
        "Family history of diabetes in his mother. Possible influenza."
    )
    terms = ["chest pain", "fever", "migraine", "diabetes", "influenza"]
    spans = [(text.index(t), text.index(t) + len(t)) for t in terms]
    assert AssertionTagger().assertions(text, spans) == [
        Assertion.NEGATED,
        Assertion.AFFIRMED,
        Assertion.HISTORICAL,
        Assertion.FAMILY,
        Assertion.UNCERTAIN,
    ]


def test_pipeline_configs_are_validated(tmp_path):
    from kgmed.core.errors import ConfigError
    from kgmed.ingest import PipelineConfig

    assert PipelineConfig.load("literature").kind == "literature"
    assert PipelineConfig.load("clinical_notes").deidentify is True
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nwindow = "three"\n')
    with pytest.raises(ConfigError, match="window"):
        PipelineConfig.load(str(bad))
    bad.write_text('name = "x"\nrelations = ["cid", "telepathy"]\n')
    with pytest.raises(ConfigError, match="relations"):
        PipelineConfig.load(str(bad))
    with pytest.raises(ConfigError, match="no pipeline"):
        PipelineConfig.load("nonexistent")


def _prepared(settings: Settings) -> Settings:
    with open_store(settings) as store:
        store.upsert_concepts(graphdata.CONCEPTS)
    return settings


def _counts(settings: Settings) -> dict:
    with open_store(settings, read_only=True) as store:
        stats = store.stats()
        evidence = store.query(
            "MATCH (e:Evidence) RETURN e.id AS id, e.probability AS p ORDER BY id"
        ).rows
    return {"stats": stats, "evidence": [(r["id"], round(r["p"], 6)) for r in evidence]}


def test_ingest_writes_evidence_and_is_idempotent(backend_settings, tmp_path):
    from kgmed.ingest import ingest_paths

    settings = _prepared(backend_settings)
    rejects = tmp_path / "rejects.jsonl"
    first = ingest_paths(settings, [LIT], rejects=rejects, show_progress=False)
    assert first.documents == 5 and first.rejected == 1
    assert json.loads(rejects.read_text())["path"].endswith("broken.txt")
    assert first.mentions > 10 and first.linked > 0 and first.evidence > 0
    after_first = _counts(settings)
    with open_store(settings, read_only=True) as store:
        rows = store.query(
            "MATCH (e:Evidence) WHERE e.document_id = $d "
            "RETURN e.predicate AS p, e.sentence AS s, e.subject_start AS a, e.subject_end AS b",
            {"d": "file:metformin.txt"},
        ).rows
    text = (LIT / "metformin.txt").read_text()
    assert rows and all(r["s"] and r["s"] in text for r in rows)
    assert any(r["p"] == "INTERACTS_WITH" for r in rows) or any(r["p"] == "CAUSES" for r in rows)
    with open_store(settings, read_only=True) as store:
        statements = store.query(
            "MATCH (e:Evidence) WHERE e.extractor STARTS WITH 'kgmed.relation_classifier' "
            "RETURN e.document_id AS d, e.statement AS s, e.probability AS p"
        ).rows
    # a document states a chemical-disease relation once: one evidence per document and
    # statement for the document-level tasks (DDI is sentence-level)
    pairs = [(r["d"], r["s"]) for r in statements if "|INTERACTS_WITH|" not in r["s"]]
    assert pairs and len(pairs) == len(set(pairs))
    assert all(0 < r["p"] <= 1 for r in statements)
    again = ingest_paths(settings, [LIT], rejects=rejects, show_progress=False)
    assert again.documents == 0 and again.unchanged == 5 and again.evidence == 0
    assert _counts(settings) == after_first
    from kgmed.ingest import Ingestor, IngestSummary, PipelineConfig

    with open_store(settings) as store:  # nothing to analyse: no model is loaded
        ingestor = Ingestor(store, PipelineConfig.load("literature"))
        summary = IngestSummary()
        docs = [d for d in read_path(LIT) if not isinstance(d, Reject)]
        ingestor.process(docs, summary)
        assert summary.unchanged == 5 and ingestor._analyzer is None


def test_changed_document_replaces_its_evidence(tmp_path):
    from kgmed.ingest import ingest_paths

    settings = _prepared(Settings(store=str(tmp_path / "g")))
    folder = tmp_path / "lit"
    folder.mkdir()
    doc = folder / "a.txt"
    doc.write_text((LIT / "cisplatin.txt").read_text())
    ingest_paths(settings, [folder], show_progress=False)
    before = _counts(settings)
    doc.write_text("Aspirin increases the anticoagulant effect of warfarin.\n")
    summary = ingest_paths(settings, [folder], show_progress=False)
    assert summary.replaced == 1 and summary.documents == 1
    with open_store(settings, read_only=True) as store:
        sentences = [
            r["s"]
            for r in store.query(
                "MATCH (e:Evidence) WHERE e.document_id = 'file:a.txt' RETURN e.sentence AS s"
            ).rows
        ]
    assert not any("isplatin" in s for s in sentences)
    assert _counts(settings) != before


def test_facts_of_an_abstract_give_way_to_its_ingest(tmp_path):
    """Literature facts (`kgmed train facts`: ingest without text, then export) imported into
    another graph read as an older pipeline's output: ingesting the same abstract replaces
    them with evidence that keeps its sentences; `kgmed build`'s import then leaves it."""
    from kgmed.graph.export import iter_records
    from kgmed.graph.imports import FACTS_VERSION_SUFFIX, import_records
    from kgmed.ingest import ingest_paths
    from kgmed.training.facts import select_facts

    folder = tmp_path / "lit"
    folder.mkdir()
    (folder / "a.txt").write_text((LIT / "cisplatin.txt").read_text())
    mined = _prepared(Settings(store=str(tmp_path / "mined")))
    ingest_paths(mined, [folder], store_text=False, show_progress=False)
    with open_store(mined, read_only=True) as store:
        facts = select_facts(iter_records(store))
    assert any(r["type"] == "evidence" for r in facts)

    settings = _prepared(Settings(store=str(tmp_path / "g")))
    with open_store(settings) as store:
        assert import_records(store, facts).documents == 1

    def sentences() -> list[str]:
        with open_store(settings, read_only=True) as store:
            return [
                r["s"]
                for r in store.query(
                    "MATCH (e:Evidence) WHERE e.document_id = 'file:a.txt' RETURN e.sentence AS s"
                ).rows
            ]

    assert sentences() and not any(sentences())
    summary = ingest_paths(settings, [folder], show_progress=False)
    assert summary.replaced == 1
    assert sentences() and all(sentences())
    with open_store(settings) as store:
        again = import_records(store, facts, replace=lambda v: v.endswith(FACTS_VERSION_SUFFIX))
    assert again.documents_unchanged == 1 and all(sentences())


def test_notes_are_deidentified_before_the_graph(tmp_path):
    from kgmed.ingest import ingest_paths

    settings = _prepared(Settings(store=str(tmp_path / "g")))
    summary = ingest_paths(
        settings,
        [NOTES / "notes.csv"],
        id_column="note_id",
        text_column="body",
        rejects=tmp_path / "r.jsonl",
        show_progress=False,
    )
    assert summary.documents == 2 and summary.rejected == 1 and summary.identifiers_removed >= 6
    with open_store(settings, read_only=True) as store:
        text = json.dumps(
            store.query("MATCH (e:Evidence) RETURN e.sentence AS s").rows
            + store.query("MATCH (d:Document) RETURN d.title AS t, d.id AS id").rows
        )
    for identifier in (
        "Anna",
        "Berg",
        "5512093",
        "02/11/2025",
        "Tom Hale",
        "1960-04-12",
        "555-201-3344",
    ):
        assert identifier not in text


def test_cli_exit_code_and_summary_with_rejects(tmp_path):
    from click.testing import CliRunner

    from kgmed.cli import main

    settings = _prepared(Settings(store=str(tmp_path / "g")))
    result = CliRunner().invoke(
        main,
        [
            "ingest",
            str(LIT),
            "--store",
            settings.store,
            "--no-progress",
            "--rejects",
            str(tmp_path / "rej.jsonl"),
        ],
    )
    assert result.exit_code == 65, result.output
    assert "1 file(s) or record(s) rejected" in result.output
    assert "documents: 5 processed" in result.output


def test_killed_run_resumes_without_loss_or_duplicates(tmp_path):
    """Kill ingest at arbitrary moments, rerun to completion: the graph equals a clean run."""
    folder = tmp_path / "lit"
    folder.mkdir()
    for i in range(4):
        for name in ("flu.txt", "metformin.txt", "cisplatin.txt"):
            text = (LIT / name).read_text()
            (folder / f"{i}-{name}").write_text(f"Report {i}. {text}")
    pipeline = tmp_path / "one.toml"
    pipeline.write_text('name = "one"\nbatch_size = 1\n')
    clean = _prepared(Settings(store=str(tmp_path / "clean")))
    killed = _prepared(Settings(store=str(tmp_path / "killed")))
    cmd = [
        sys.executable,
        "-m",
        "kgmed",
        "ingest",
        str(folder),
        "--pipeline",
        str(pipeline),
        "--no-progress",
        "--threads",
        "1",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    subprocess.run([*cmd, "--store", clean.store], check=True, env=env, capture_output=True)
    # -v logs each written batch: kill right after the first one is committed.
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgmed", "-v", *cmd[3:], "--store", killed.store],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in proc.stderr:
        if "wrote 1 documents" in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with open_store(killed, read_only=True) as store:
        done = store.query("MATCH (d:Document) WHERE d.checksum <> '' RETURN count(*) AS n").rows[
            0
        ]["n"]
    assert 0 < done < 12, "the kill should land midway; adjust the timing"
    subprocess.run([*cmd, "--store", killed.store], check=True, env=env, capture_output=True)
    assert _counts(killed) == _counts(clean)


def test_neo4j_admin_export_is_consistent(tmp_path):
    """Every relationship endpoint is a node of the file its ID space names; ids are unique."""
    import csv

    from kgmed.graph.export import export_neo4j_admin

    settings = Settings(store=str(tmp_path / "g"))
    with open_store(settings) as store:
        graphdata.load(store)
        store.set_mentions({graphdata.DOCUMENTS[0].id: {("Disease", graphdata.FLU.id): 2}})
    with open_store(settings, read_only=True) as store:
        counts = export_neo4j_admin(store, tmp_path / "admin")
    ids: dict[str, set[str]] = {}
    for path in (tmp_path / "admin").glob("nodes_*.csv"):
        rows = list(csv.reader(path.open()))
        space = rows[0][0].split("(")[1].rstrip(")")
        values = [r[0] for r in rows[1:]]
        assert len(values) == len(set(values))
        ids.setdefault(space, set()).update(values)
    n_rels = 0
    for path in (tmp_path / "admin").glob("rels_*.csv"):
        rows = list(csv.reader(path.open()))
        start, end = (h.split("(")[1].rstrip(")") for h in rows[0][:2])
        for r in rows[1:]:
            assert r[0] in ids[start] and r[1] in ids[end]
        n_rels += len(rows) - 1
    assert counts["nodes"] == len(graphdata.CONCEPTS)
    assert counts["mentions"] == 1
    assert n_rels == counts["relationships"] + 2 * counts["evidence"] + counts["mentions"]
    script = (tmp_path / "admin" / "import.sh").read_text()
    assert "neo4j-admin database import full" in script and "--nodes=nodes_Disease.csv" in script


@pytest.mark.ray
def test_ray_engine_matches_local(tmp_path, monkeypatch):
    """``--engine ray`` (local Ray, two actors) writes exactly what the local engine writes."""
    pytest.importorskip("ray")
    from kgmed.ingest import ingest_paths

    # fp32: under the CPU bf16 fast path a score moves by up to 0.002 with its batch, and the
    # actors batch differently; the engines, not the precisions, are compared here.
    monkeypatch.setenv("KGMED_CPU_BF16", "0")

    local = _prepared(Settings(store=str(tmp_path / "local")))
    distributed = _prepared(Settings(store=str(tmp_path / "ray")))
    ingest_paths(local, [LIT], rejects=tmp_path / "r1.jsonl", show_progress=False)
    summary = ingest_paths(
        distributed,
        [LIT],
        rejects=tmp_path / "r2.jsonl",
        show_progress=False,
        engine="ray",
        workers=2,
    )
    assert summary.documents == 5 and summary.rejected == 1
    a, b = _counts(distributed), _counts(local)
    assert a["stats"] == b["stats"]
    assert [i for i, _ in a["evidence"]] == [i for i, _ in b["evidence"]]
    # Batches are padded differently in the actors: probabilities agree to float noise.
    assert all(
        abs(p - q) < 1e-4 for (_, p), (_, q) in zip(a["evidence"], b["evidence"], strict=True)
    )
    again = ingest_paths(
        distributed,
        [LIT],
        rejects=tmp_path / "r2.jsonl",
        show_progress=False,
        engine="ray",
        workers=2,
    )
    assert again.documents == 0 and again.unchanged == 5
