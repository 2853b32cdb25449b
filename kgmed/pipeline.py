"""Compose the stages; the CLI's commands call these functions, and so can Python users.

Only this module knows every stage.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from kgmed.config.settings import Settings
from kgmed.graph.open import open_store
from kgmed.graph.store import CypherGraphStore, batched
from kgmed.progress import progress
from kgmed.resources import ontology_dir

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class OntologyPaths:
    """The files ``kgmed ontology load`` reads; defaults are the shipped copies."""

    doid: Path
    doid_terms: Path | None
    doid_xrefs: Path | None
    symp: Path
    disease_symptom: Path
    drugbank: Path

    @classmethod
    def shipped(cls) -> OntologyPaths:
        d = ontology_dir()
        return cls(
            doid=d / "doid.obo.gz",
            doid_terms=d / "HumanDO.tsv",
            doid_xrefs=d / "allXREFinDO.tsv",
            symp=d / "symp.owl",
            disease_symptom=d / "disease-symptom.tsv",
            drugbank=d / "drugbank_vocabulary.csv",
        )


@dataclass
class LoadSummary:
    """What a load wrote, per source, and how long it took."""

    concepts: dict[str, int] = field(default_factory=dict)
    relations: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _chunks(items: Sequence[T], size: int, *, show: bool, desc: str) -> list[list[T]]:
    chunks = list(batched(items, size))
    return list(progress(chunks, enabled=show, desc=desc, total=len(chunks), unit="batch"))


def load_ontologies(
    settings: Settings, paths: OntologyPaths | None = None, *, show_progress: bool = True
) -> LoadSummary:
    """Load DO, SYMP, DO's disease-symptom table and the DrugBank vocabulary. Idempotent."""
    from kgmed.concepts.ontology import (
        read_disease_ontology,
        read_disease_symptoms,
        read_drugbank_vocabulary,
        read_symptom_ontology,
    )

    paths = paths or OntologyPaths.shipped()
    start = time.perf_counter()
    summary = LoadSummary()
    do = read_disease_ontology(paths.doid, paths.doid_terms, paths.doid_xrefs)
    symp = read_symptom_ontology(paths.symp)
    has_symptom, skipped = read_disease_symptoms(
        paths.disease_symptom, {c.id for c in do.concepts}, {c.id for c in symp.concepts}
    )
    drugs = read_drugbank_vocabulary(paths.drugbank)
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
        ):
            written = 0
            for chunk in _chunks(
                content.relations, settings.batch_size, show=show_progress, desc=name
            ):
                written += store.upsert_relations(chunk).relations
            summary.relations[name] = written
    summary.seconds = time.perf_counter() - start
    log.info("ontology load finished in %.1f s", summary.seconds)
    return summary


def _write_concepts(
    store: CypherGraphStore, concepts: Sequence[T], settings: Settings, show: bool, name: str
) -> int:
    written = 0
    for chunk in _chunks(concepts, settings.batch_size, show=show, desc=f"{name} concepts"):
        written += store.upsert_concepts(chunk)  # type: ignore[arg-type]
    return written
