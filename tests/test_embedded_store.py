"""Embedded-store guarantees beyond the contract: exclusive lock, crash safety, clear errors."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kgmed.config.settings import Settings
from kgmed.core.errors import ConfigError, StoreBusyError
from kgmed.core.records import Concept
from kgmed.graph.backends.embedded import EmbeddedStore
from kgmed.graph.open import open_store

ROOT = Path(__file__).resolve().parents[1]

WRITER = textwrap.dedent(
    """
    import os, sys
    from kgmed.graph.backends.embedded import EmbeddedStore
    from kgmed.core.records import Concept, Evidence, Relation
    store_path, progress_path, round_no = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = EmbeddedStore(store_path)
    store.upsert_concepts([Concept("DOID:4", "Disease", "disease")])
    with open(progress_path, "a") as progress:
        for i in range(10_000):
            batch = f"{round_no}-{i}"
            symptoms = [Concept(f"SYMP:{batch}-{j}", "Symptom", f"s{j}") for j in range(200)]
            store.upsert_concepts(symptoms)
            ev = (Evidence(f"DOC:{batch}", "test", "writer", "1", 0.5),)
            store.upsert_relations(
                [Relation("DOID:4", "Disease", "HAS_SYMPTOM", s.id, "Symptom", ev)
                 for s in symptoms]
            )
            progress.write(batch + "\\n")
            progress.flush()
            os.fsync(progress.fileno())
    """
)


def _count_batch(store: EmbeddedStore, batch: str) -> tuple[int, int]:
    rows = store.query(
        "MATCH (e:Evidence) WHERE e.document_id = $doc RETURN count(e) AS n",
        {"doc": f"DOC:{batch}"},
    ).rows
    rels = store.query(
        "MATCH (d:Disease)-[r:HAS_SYMPTOM]->(s:Symptom) WHERE s.id STARTS WITH $p "
        "RETURN count(r) AS n",
        {"p": f"SYMP:{batch}-"},
    ).rows
    return rows[0]["n"], rels[0]["n"]


def test_survives_sigkill_mid_write(tmp_path: Path):
    """Kill the writer with SIGKILL mid-batch, three times: no acknowledged batch is lost,
    and no batch is half-written."""
    store_path = tmp_path / "graph"
    rng = random.Random(7)
    acknowledged: list[str] = []
    for round_no in range(3):
        progress = tmp_path / f"progress-{round_no}.txt"
        progress.touch()
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(store_path), str(progress), str(round_no)]
        )
        target = rng.randint(2, 5)
        deadline = time.monotonic() + 120
        while len(progress.read_text().split()) < target:
            assert proc.poll() is None, "writer died on its own"
            assert time.monotonic() < deadline, "writer made no progress"
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.4))  # land somewhere inside the next batch
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        acknowledged += progress.read_text().split()
        with EmbeddedStore(store_path, read_only=True) as store:
            for batch in acknowledged:
                assert _count_batch(store, batch) == (200, 200), batch
            in_flight = f"{round_no}-{len(progress.read_text().split())}"
            assert _count_batch(store, in_flight) in ((0, 0), (200, 200))


TORN_WRITER = textwrap.dedent(
    """
    import os, sys
    from kgmed.graph.backends.embedded import EmbeddedStore
    from kgmed.core.records import Concept
    store = EmbeddedStore(sys.argv[1])
    for i in range(5):
        store.upsert_concepts([Concept(f"SYMP:{i}-{j}", "Symptom", f"s{j}") for j in range(200)])
    os.kill(os.getpid(), 9)  # no checkpoint: the five transactions live in the WAL only
    """
)


def _symptoms_of(store: EmbeddedStore, batch: int) -> int:
    rows = store.query(
        "MATCH (s:Symptom) WHERE s.id STARTS WITH $p RETURN count(s) AS n", {"p": f"SYMP:{batch}-"}
    ).rows
    return int(rows[0]["n"])


def test_torn_wal_tail_is_recovered(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    """A write-ahead log whose last record is torn (what a SIGKILL mid-append leaves, seen
    once in CI) opens with every transaction before the tear, and the log is kept aside."""
    store_path = tmp_path / "graph"
    proc = subprocess.run([sys.executable, "-c", TORN_WRITER, str(store_path)], check=False)
    assert proc.returncode == -signal.SIGKILL
    wal = store_path / "graph.lbug.wal"
    size = wal.stat().st_size
    os.truncate(wal, size - 5000)  # tear the last transaction's record

    with caplog.at_level("WARNING", logger="kgmed.graph.backends.embedded"):
        store = EmbeddedStore(store_path, read_only=True)
    with store:
        assert [_symptoms_of(store, b) for b in range(4)] == [200] * 4
        assert _symptoms_of(store, 4) in (0, 200)  # all or nothing of the torn one
    assert "torn record" in caplog.text
    kept = list(store_path.glob("graph.lbug.wal.torn-*"))
    assert len(kept) == 1 and kept[0].stat().st_size == size - 5000

    caplog.clear()
    with caplog.at_level("WARNING", logger="kgmed.graph.backends.embedded"):
        with EmbeddedStore(store_path) as store:  # clean now, and writable
            store.upsert_concepts([Concept("SYMP:after", "Symptom", "after")])
        with EmbeddedStore(store_path, read_only=True) as store:
            assert store.get_concept("SYMP:after") is not None
            assert _symptoms_of(store, 0) == 200
    assert "torn" not in caplog.text


def test_second_process_gets_a_clear_busy_error(tmp_path: Path):
    store_path = tmp_path / "graph"
    with EmbeddedStore(store_path):
        with pytest.raises(StoreBusyError, match="in use by another kgmed process"):
            EmbeddedStore(store_path)
        result = subprocess.run(
            [sys.executable, "-m", "kgmed", "stats", "--store", str(store_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == StoreBusyError.exit_code
    assert "in use by another kgmed process" in result.stderr
    assert "Traceback" not in result.stderr
    with EmbeddedStore(store_path, read_only=True) as store:  # lock released on close
        assert store.stats()["nodes"]["Disease"] == 0


def test_file_path_is_rejected(tmp_path: Path):
    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        open_store(Settings(store=str(target)))


def test_unknown_uri_scheme_is_rejected():
    with pytest.raises(ConfigError, match="unknown store URI scheme"):
        open_store(Settings(store="postgres://localhost/kg"))


def test_read_only_open_of_new_store_creates_schema(tmp_path: Path):
    with EmbeddedStore(tmp_path / "fresh", read_only=True) as store:
        assert store.stats()["nodes"]["Disease"] == 0
