"""Compose the stages; the CLI's commands call these functions, and so can Python users.

Only this module knows every stage.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from kgmed.concepts.linking import default_embedder
from kgmed.concepts.ontology import OntologyPaths
from kgmed.config.settings import Settings
from kgmed.core.records import Relation
from kgmed.graph.open import open_store
from kgmed.graph.store import CypherGraphStore, batched
from kgmed.progress import progress
from kgmed.resources import ontology_dir

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class LoadSummary:
    """What a load wrote, per source, and how long it took."""

    concepts: dict[str, int] = field(default_factory=dict)
    documents: dict[str, int] = field(default_factory=dict)
    relations: dict[str, int] = field(default_factory=dict)
    evidence: dict[str, int] = field(default_factory=dict)  # evidence records written
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _chunks(items: Sequence[T], size: int, *, show: bool, desc: str) -> list[list[T]]:
    chunks = list(batched(items, size))
    return list(progress(chunks, enabled=show, desc=desc, total=len(chunks), unit="batch"))


def load_ontologies(
    settings: Settings, paths: OntologyPaths | None = None, *, show_progress: bool = True
) -> LoadSummary:
    """Load DO, SYMP, DO's disease-symptom table, the symptoms DO's definitions name, the
    DrugBank vocabulary and the drug classes its names' INN stems give. Idempotent."""
    from kgmed.concepts.definitions import read_definition_symptoms
    from kgmed.concepts.linking import ConceptIndex
    from kgmed.concepts.ontology import (
        read_disease_ontology,
        read_disease_symptoms,
        read_drug_classes,
        read_drugbank_vocabulary,
        read_symptom_ontology,
    )

    paths = paths or OntologyPaths.shipped()
    start = time.perf_counter()
    summary = LoadSummary()
    do = read_disease_ontology(paths.doid, paths.doid_terms, paths.doid_xrefs)
    symp = read_symptom_ontology(paths.symp, paths.symp_lay_terms)
    has_symptom, skipped = read_disease_symptoms(
        paths.disease_symptom, {c.id for c in do.concepts}, {c.id for c in symp.concepts}
    )
    symptom_index = ConceptIndex(
        [(c.id, c.name, c.synonyms) for c in symp.concepts], embedder=default_embedder()
    )
    from_definitions = read_definition_symptoms(do.concepts, symptom_index, do.document)
    drugs = read_drugbank_vocabulary(paths.drugbank)
    classes = read_drug_classes(paths.drug_classes, drugs) if paths.drug_classes else None
    summary.skipped["HAS_SYMPTOM (unknown disease or symptom)"] = skipped
    with open_store(settings) as store:
        for content, name in ((do, "Disease"), (symp, "Symptom"), (drugs, "Chemical")):
            summary.concepts[name] = _write_concepts(
                store, content.concepts, settings, show_progress, name
            )
        store.upsert_documents([do.document, symp.document, has_symptom.document, drugs.document])
        for content, name in (
            (do, "IS_A (DO)"),
            (symp, "IS_A (SYMP)"),
            (has_symptom, "HAS_SYMPTOM (DO)"),
            (from_definitions, "HAS_SYMPTOM (DO definitions)"),
        ):
            summary.relations[name] = _write_relations(
                store, content.relations, settings, show_progress, name
            )
        if classes is not None:
            summary.concepts["Chemical (drug classes)"] = _write_concepts(
                store, classes.concepts, settings, show_progress, "drug class"
            )
            store.upsert_documents([classes.document])
            for r in store.query(  # a revised table replaces the memberships of the old one
                "MATCH (d:Document {source: $source}) WHERE d.id <> $id RETURN d.id AS id",
                {"source": classes.source, "id": classes.document.id},
            ).rows:
                store.delete_document_evidence(r["id"])
            summary.relations["IS_A (drug classes)"] = _write_relations(
                store, classes.relations, settings, show_progress, "IS_A (drug classes)"
            )
    summary.seconds = time.perf_counter() - start
    log.info("ontology load finished in %.1f s", summary.seconds)
    return summary


def _write_relations(
    store: CypherGraphStore,
    relations: Sequence[Relation],
    settings: Settings,
    show: bool,
    name: str,
) -> int:
    written = 0
    for chunk in _chunks(relations, settings.batch_size, show=show, desc=name):
        written += store.upsert_relations(chunk).relations
    return written


def _write_concepts(
    store: CypherGraphStore, concepts: Sequence[T], settings: Settings, show: bool, name: str
) -> int:
    written = 0
    for chunk in _chunks(concepts, settings.batch_size, show=show, desc=f"{name} concepts"):
        written += store.upsert_concepts(chunk)  # type: ignore[arg-type]
    return written


def load_curated(
    settings: Settings, folder: Path | None = None, *, show_progress: bool = True
) -> LoadSummary:
    """Load Hetionet's open Disease-Gene, Chemical-Gene and Disease-Disease facts and the
    DDXPlus knowledge base's disease-symptom facts.

    ``folder`` holds ``hetionet/`` and ``ddxplus/`` (default: the shipped ontology folder).
    Needs the ontologies loaded first (their diseases, symptoms and drugs are the endpoints).
    Idempotent.
    """
    from kgmed.concepts.curated import read_ddxplus, read_hetionet

    folder = folder or ontology_dir()
    start = time.perf_counter()
    summary = LoadSummary()
    with open_store(settings) as store:
        known = {
            label: {r["id"] for r in store.query(f"MATCH (n:{label}) RETURN n.id AS id").rows}
            for label in ("Disease", "Chemical", "Symptom")
        }
        if not known["Disease"]:
            from kgmed.core.errors import ConfigError

            raise ConfigError(
                "the store has no diseases yet", hint="run `kgmed ontology load` first"
            )
        content, skipped = read_hetionet(folder / "hetionet", known["Disease"], known["Chemical"])
        summary.concepts["Gene"] = _write_concepts(
            store, content.concepts, settings, show_progress, "Gene"
        )
        store.upsert_documents([content.document])
        for predicate in ("ASSOCIATED_WITH", "TARGETS", "RESEMBLES"):
            rels = [r for r in content.relations if r.predicate == predicate]
            summary.relations[f"{predicate} (Hetionet)"] = _write_relations(
                store, rels, settings, show_progress, predicate
            )
        summary.skipped.update({f"{k} (endpoint not loaded)": v for k, v in skipped.items()})
        ddxplus, missing = read_ddxplus(folder / "ddxplus", known["Disease"], known["Symptom"])
        store.upsert_documents([ddxplus.document])
        summary.relations["HAS_SYMPTOM (DDXPlus)"] = _write_relations(
            store, ddxplus.relations, settings, show_progress, "HAS_SYMPTOM (DDXPlus)"
        )
        summary.skipped["HAS_SYMPTOM (DDXPlus, endpoint not loaded)"] = missing
    summary.seconds = time.perf_counter() - start
    return summary


def load_literature_facts(
    settings: Settings, path: Path | None = None, *, show_progress: bool = True
) -> LoadSummary:
    """Load the literature facts kgmed ships (``kgmed train facts`` mines them from public-domain
    abstracts: :mod:`kgmed.training.facts`), then recompute the disease-symptom co-occurrence
    statistics over every document in the graph. Needs the ontologies loaded first.

    Idempotent: documents already in the graph are left as they are (your own ingest of one
    of these abstracts wins); only those from an older facts file are replaced."""
    from kgmed.graph.imports import FACTS_VERSION_SUFFIX, LITERATURE_FACTS, import_file
    from kgmed.ingest import PipelineConfig, refresh_enrichment

    start = time.perf_counter()
    with open_store(settings) as store:
        result = import_file(
            store,
            path or LITERATURE_FACTS,
            replace=lambda version: version.endswith(FACTS_VERSION_SUFFIX),
            progress=partial(
                progress, enabled=show_progress, desc="literature facts", unit="batch"
            ),
        )
        if result.documents:
            refresh_enrichment(store, PipelineConfig.load("literature"))
    return LoadSummary(
        documents={"literature facts": result.documents},
        evidence={f"{k} (literature facts)": v for k, v in result.by_predicate.items()},
        skipped={"documents already in the graph": result.documents_unchanged},
        seconds=time.perf_counter() - start,
    )


def build_graph(
    settings: Settings,
    *,
    literature: Sequence[Path] = (),
    literature_facts: bool = True,
    show_progress: bool = True,
) -> list[LoadSummary]:
    """``kgmed build``: ontologies, curated facts, the shipped literature facts (unless
    ``literature_facts`` is off), then any literature. Idempotent."""
    summaries = [
        load_ontologies(settings, show_progress=show_progress),
        load_curated(settings, show_progress=show_progress),
    ]
    if literature_facts:
        summaries.append(load_literature_facts(settings, show_progress=show_progress))
    if literature:
        from kgmed.ingest import ingest_paths

        result = ingest_paths(settings, literature, show_progress=show_progress)
        summaries.append(
            LoadSummary(
                documents={"literature ingested": result.documents},
                evidence={f"{k} (literature)": v for k, v in result.relations.items()},
                skipped={"documents unchanged": result.unchanged, "rejected": result.rejected},
                seconds=result.seconds,
            )
        )
    return summaries


def run_inference(
    store: str | None, *, symptoms: str | None = None, drugs_for: str | None = None, top: int = 10
) -> dict:
    """``kgmed infer`` on the configured store (read-only)."""
    from kgmed.answers.diagnosis import DiagnosisParams, shipped_link_threshold
    from kgmed.answers.infer import Inference
    from kgmed.config import load_settings

    with open_store(load_settings(store), read_only=True) as graph:
        inference = Inference(graph, default_embedder())  # type: ignore[arg-type]
        if symptoms:
            inference.symptoms.threshold = shipped_link_threshold()
            return inference.diagnose(symptoms, top=top, params=DiagnosisParams.shipped())
        assert drugs_for is not None
        return inference.drugs_for(drugs_for, top=top)


def evaluate_inference(
    store: str | None,
    *,
    task: str,
    vignettes: Path,
    data_dir: Path,
    fit: bool = False,
    fit_stores: Sequence[str] = (),
) -> dict:
    """``kgmed eval infer``: diagnosis and/or drug ranking metrics (fit on dev/train if asked;
    the diagnosis fit also on ``fit_stores``, averaged with ``store``)."""
    from contextlib import ExitStack

    from kgmed.answers.infer import Inference
    from kgmed.config import load_settings
    from kgmed.evaluation.infer import evaluate_diagnosis, evaluate_drugs, load_vignettes

    out: dict = {}
    embedder = default_embedder()
    with ExitStack() as stack:
        graph = stack.enter_context(open_store(load_settings(store), read_only=True))
        inference = Inference(graph, embedder)  # type: ignore[arg-type]
        also = [
            Inference(stack.enter_context(open_store(load_settings(s), read_only=True)), embedder)
            for s in fit_stores
        ]
        if task in ("diagnosis", "all"):
            out["diagnosis"] = evaluate_diagnosis(
                inference, load_vignettes(vignettes), fit=fit, fit_also=also
            )
        if task in ("drugs", "all"):
            out["drugs"] = evaluate_drugs(inference, data_dir, fit=fit)
    return out


def evaluate_relations(
    task: str,
    data: Path,
    *,
    setting: str = "gold",
    model: Path | None = None,
    device: str = "auto",
) -> dict:
    """``kgmed eval re``."""
    from kgmed.evaluation.re import end2end_cid, load_task, score
    from kgmed.relations.model import RelationClassifier
    from kgmed.resources import model_dir

    # fp32, the published figures' precision (the int8 fast path's cost: benchmarks/relations.py)
    classifier = RelationClassifier(model or model_dir("re"), device=device, quantize=False)
    if setting == "end2end":
        from kgmed.concepts.mentions import linker_from_ontologies
        from kgmed.mentions.bert import BertTagger
        from kgmed.text.abbreviations import AbbreviationFinder

        tagger = BertTagger(model_dir("ner"), device=device, quantize=False)
        linker = linker_from_ontologies(default_embedder())
        return end2end_cid(classifier, tagger, linker, data, AbbreviationFinder())
    return score(classifier, load_task(task, data))


def evaluate_linking_file(data: Path) -> dict:
    """``kgmed eval linking``."""
    from kgmed.concepts.mentions import linker_from_ontologies
    from kgmed.evaluation.linking import evaluate_linking
    from kgmed.text.abbreviations import AbbreviationFinder

    return evaluate_linking(linker_from_ontologies(default_embedder()), data, AbbreviationFinder())
