"""Mine the public-domain corpora into the literature facts kgmed ships (``kgmed train facts``).

``kgmed build`` loads them (:data:`kgmed.graph.imports.LITERATURE_FACTS`), so a fresh install
answers drug and diagnosis queries with literature evidence as well as curated facts. They
are what ``kgmed ingest`` writes for the abstracts of BC5CDR, NCBI-disease and BioRED (all
splits; US Government works, public domain) with the shipped models, through the `literature`
pipeline, into a graph built without them, then exported with:

* no text: evidence keeps its document id (the PMID) and character offsets, not the sentence,
  and documents keep no title (the corpora stay out of the repository);
* no INTERACTS_WITH: the drug-drug head learnt from DDI 2013 (CC BY-NC 4.0), so its output is
  not shipped; ingest your own literature to get interactions;
* no co-occurrence statistics: ``kgmed build`` recomputes them from the documents' mentions;
* the models in fp32, not in a CPU fast path (int8, bf16), so the facts do not depend on the
  CPU they were mined on;
* documents marked with the pipeline version plus ``+facts``, so that ingesting one of these
  abstracts yourself replaces its text-less evidence with evidence carrying sentences.

Which corpora the facts come from does not matter to the evaluations: NER, relation and
linking figures read the corpora's text, never the graph, and no diagnosis vignette or drug
indication gold standard is among them.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kgmed.core.errors import DataError
from kgmed.graph.imports import FACTS_VERSION_SUFFIX, LITERATURE_FACTS

SOURCES = (
    *(f"bc5cdr/CDR_{s}Set.PubTator.txt" for s in ("Training", "Development", "Test")),
    *(f"ncbi_disease/NCBI{s}_corpus.txt" for s in ("trainset", "developset", "testset")),
    *(f"biored/{s}.PubTator" for s in ("Train", "Dev", "Test")),
)
EXCLUDED_PREDICATES = frozenset({"INTERACTS_WITH"})


def select_facts(
    records: Iterable[dict[str, Any]], sources: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The shipped subset of a graph's records (see the module docstring): its literature
    documents, their evidence but INTERACTS_WITH, without text, the edges that evidence
    supports, the documents' mentions, and the concepts those reference. ``sources`` renames
    document sources (local paths) to portable ones."""
    records = list(records)
    documents = {
        r["id"]: r for r in records if r["type"] == "document" and r.get("kind") == "literature"
    }
    evidence = [
        r
        for r in records
        if r["type"] == "evidence"
        and r["document_id"] in documents
        and r["predicate"] not in EXCLUDED_PREDICATES
    ]
    statements = {r["statement"] for r in evidence}
    mentions = [r for r in records if r["type"] == "mention" and r["document_id"] in documents]
    concepts = (
        {r["subject"] for r in evidence}
        | {r["object"] for r in evidence}
        | {r["concept"] for r in mentions}
    )
    out: list[dict[str, Any]] = []
    for r in records:
        if r["type"] == "node" and r["id"] in concepts:
            out.append(r)
        elif r["type"] == "document" and r["id"] in documents:
            source = (sources or {}).get(r.get("source") or "", r.get("source") or "")
            out.append(
                r
                | {
                    "title": "",
                    "source": source,
                    "pipeline_version": r["pipeline_version"] + FACTS_VERSION_SUFFIX,
                }
            )
        elif r["type"] == "edge" and r["statement"] in statements:
            out.append(r)
    out += [r | {"sentence": ""} for r in evidence]
    out += mentions
    return out


def write_facts(records: list[dict[str, Any]], output: Path) -> None:
    """Gzipped JSON lines, byte-identical for the same records (no timestamp in the header)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with (
        output.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
    ):
        for r in records:
            gz.write((json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n").encode())


def build(
    data_dir: Path,
    output: Path = LITERATURE_FACTS,
    *,
    work_dir: Path | None = None,
    show_progress: bool = True,
) -> dict[str, int]:
    """Ingest :data:`SOURCES` into a fresh graph (ontologies and curated facts, no literature
    facts) in ``work_dir`` (a temporary folder by default) and write the facts to
    ``output``; returns record counts per type."""
    from kgmed.config import Settings
    from kgmed.graph.export import iter_records
    from kgmed.graph.open import open_store
    from kgmed.ingest import ingest_paths
    from kgmed.pipeline import build_graph

    paths = [data_dir / s for s in SOURCES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise DataError(
            f"{len(missing)} corpus file(s) not found: {', '.join(missing[:3])}",
            hint="point --data-dir at the shared data folder",
        )
    with tempfile.TemporaryDirectory(prefix="kgmed-facts-") as tmp:
        settings = Settings(store=str((work_dir or Path(tmp)) / "graph"))
        build_graph(settings, literature_facts=False, show_progress=show_progress)
        summary = ingest_paths(  # fp32: the same facts on every CPU
            settings,
            paths,
            fmt="pubtator",
            store_text=False,
            cpu_fast_paths=False,
            show_progress=show_progress,
        )
        if summary.rejected:
            raise DataError(f"{summary.rejected} document(s) rejected", hint="see the rejects file")
        with open_store(settings, read_only=True) as store:
            records = select_facts(
                iter_records(store), {str(p): s for p, s in zip(paths, SOURCES, strict=True)}
            )
    write_facts(records, output)
    counts: dict[str, int] = {}
    for r in records:
        counts[r["type"]] = counts.get(r["type"], 0) + 1
    return counts
