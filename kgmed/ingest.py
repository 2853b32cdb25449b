"""``kgmed ingest``: documents -> mentions -> concepts -> relations -> graph.

Per batch of documents: de-identify notes (when the pipeline says so), skip documents whose
checksum and pipeline version are already in the graph, tag Chemical/Disease mentions with the
BERT model and Symptom phrases with the Symptom Ontology lexicon, find abbreviations, assign
each mention its assertion status, link mentions to concepts, score chemical-disease and
drug-drug pairs with the relation classifier, and write the evidence. A changed document's old
evidence is removed first. The Document node's checksum is written last, after its evidence,
so a run killed midway redoes the unfinished documents on the next run (evidence keys are
content hashes: nothing is duplicated).
"""

from __future__ import annotations

import json
import logging
import time
import tomllib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from kgmed import __version__
from kgmed.config.settings import Settings
from kgmed.core.errors import ConfigError
from kgmed.core.records import Assertion, Concept, Document, Evidence, Mention, Relation
from kgmed.graph.open import open_store
from kgmed.graph.store import (
    CypherGraphStore,
    batched,
    create_missing_concepts,
    document_versions,
    write_documents,
)
from kgmed.progress import progress_bar
from kgmed.resources import model_dir, pipeline_dir

log = logging.getLogger(__name__)
PIPELINE_VERSION = f"kgmed-{__version__}/ingest-1"
PREDICATES = {"cid": "CAUSES", "treats": "TREATS", "ddi": "INTERACTS_WITH"}


@dataclass(frozen=True)
class PipelineConfig:
    """A validated ``pipelines/*.toml``."""

    name: str
    kind: str = "literature"
    deidentify: bool = False
    store_text: bool = True
    assertion: bool = True
    sections: bool = False
    symptoms: bool = True
    relations: tuple[str, ...] = ("cid", "treats", "ddi")
    cooccurrence: bool = True
    cooccurrence_probability: float = 0.2
    enrichment: bool = True
    enrichment_min_documents: int = 3
    enrichment_max_p: float = 0.005
    window: int = 3
    batch_size: int = 32
    cpu_fast_paths: bool = True  # int8 / bf16 on CPU where each model's record allows it
    id_column: str = "id"
    text_column: str = "text"

    @classmethod
    def load(cls, name_or_path: str) -> PipelineConfig:
        path = Path(name_or_path)
        if not path.suffix:
            path = pipeline_dir() / f"{name_or_path}.toml"
        if not path.is_file():
            known = sorted(p.stem for p in pipeline_dir().glob("*.toml"))
            raise ConfigError(
                f"no pipeline {name_or_path!r}",
                hint=f"use one of {', '.join(known)} or a .toml path",
            )
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        return cls.from_dict(raw, str(path))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], where: str = "pipeline") -> PipelineConfig:
        known = {f.name: f for f in fields(cls)}
        unknown = set(raw) - set(known)
        if unknown:
            raise ConfigError(
                f"{where}: unknown keys {sorted(unknown)}", hint=f"known keys: {', '.join(known)}"
            )
        values: dict[str, Any] = {}
        for key, value in raw.items():
            default = getattr(cls, key, None) if key != "name" else ""
            if key == "relations":
                if not isinstance(value, list) or not set(value) <= set(PREDICATES):
                    raise ConfigError(f"{where}: relations must be a list of {sorted(PREDICATES)}")
                value = tuple(value)
            elif (
                default is not None
                and not isinstance(value, type(default))
                and not (isinstance(default, float) and isinstance(value, int))
            ):
                raise ConfigError(
                    f"{where}: {key} should be {type(default).__name__}, not {value!r}"
                )
            values[key] = value
        if "name" not in values:
            raise ConfigError(f"{where}: a pipeline needs a name")
        config = cls(**values)
        if config.kind not in ("literature", "note"):
            raise ConfigError(f"{where}: kind must be literature or note")
        if (
            not 0 < config.cooccurrence_probability < 1
            or not 0 < config.enrichment_max_p <= 1
            or config.window < 1
            or config.batch_size < 1
            or config.enrichment_min_documents < 1
        ):
            raise ConfigError(
                f"{where}: cooccurrence_probability in (0, 1), enrichment_max_p in (0, 1], "
                "window, batch_size and enrichment_min_documents >= 1"
            )
        return config


@dataclass
class IngestSummary:
    documents: int = 0
    unchanged: int = 0
    replaced: int = 0
    rejected: int = 0
    mentions: int = 0
    linked: int = 0
    unlinked: Counter[str] = field(default_factory=Counter)
    relations: Counter[str] = field(default_factory=Counter)
    evidence: int = 0
    identifiers_removed: int = 0
    enriched_pairs: int = 0  # disease-symptom pairs with co-occurrence enrichment evidence
    seconds: float = 0.0
    stage_seconds: Counter[str] = field(default_factory=Counter)
    rejects_file: str = ""

    @property
    def linked_percent(self) -> float:
        return 100.0 * self.linked / self.mentions if self.mentions else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "unchanged": self.unchanged,
            "replaced": self.replaced,
            "rejected": self.rejected,
            "mentions": self.mentions,
            "linked": self.linked,
            "linked_percent": round(self.linked_percent, 2),
            "unlinked_by_type": dict(self.unlinked),
            "relations": dict(self.relations),
            "evidence": self.evidence,
            "identifiers_removed": self.identifiers_removed,
            "enriched_pairs": self.enriched_pairs,
            "seconds": round(self.seconds, 2),
            "stage_seconds": {k: round(v, 2) for k, v in self.stage_seconds.items()},
            "rejects_file": self.rejects_file,
        }


@dataclass
class Resources:
    """The concept names the linker and the symptom lexicon need, read from the store once
    (plain data: Ray ships it to its workers)."""

    diseases: list[tuple[str, str, tuple[str, ...]]]
    chemicals: list[tuple[str, str, tuple[str, ...]]]
    symptoms: list[tuple[str, str, tuple[str, ...]]]
    mesh_to_do: dict[str, str]

    @classmethod
    def from_store(cls, store: CypherGraphStore) -> Resources:
        from kgmed.concepts.mentions import mesh_to_do_map

        mesh_to_do = mesh_to_do_map(
            (r["id"], tuple(r["xrefs"] or ()))
            for r in store.query("MATCH (d:Disease) RETURN d.id AS id, d.xrefs AS xrefs").rows
        )
        names = store.concept_names
        out = cls(names("Disease"), names("Chemical"), names("Symptom"), mesh_to_do)
        if not out.diseases:
            raise ConfigError("the graph has no ontologies yet", hint="run `kgmed build` first")
        return out


@dataclass
class Analysis:
    """What the NLP stages found in one document, ready to be written."""

    document: Document
    relations: list[Relation]
    concepts: list[Concept]
    mentions: int = 0
    linked: int = 0
    unlinked: Counter[str] = field(default_factory=Counter)
    stage_seconds: Counter[str] = field(default_factory=Counter)
    concept_mentions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (label, id)


class Analyzer:
    """The NLP stages (no store): models, linker, lexicon, assertion, relations. Runs in the
    ingest process, or once per Ray actor with ``--engine ray``."""

    def __init__(
        self,
        config: PipelineConfig,
        resources: Resources,
        *,
        ner_model: Path | None = None,
        re_model: Path | None = None,
        device: str = "auto",
        threads: int | None = None,
    ) -> None:
        from kgmed.concepts.linking import ConceptIndex, default_embedder
        from kgmed.concepts.mentions import MentionLinker
        from kgmed.mentions.bert import BertTagger

        self.config = config
        # None: each model's own choice (kgmed.mentions.bert); False: fp32 throughout
        fast = None if config.cpu_fast_paths else False
        self.tagger = BertTagger(
            ner_model or model_dir("ner"), device=device, threads=threads, quantize=fast, bf16=fast
        )
        self.classifier = None
        if config.relations:
            from kgmed.relations.model import RelationClassifier

            self.classifier = RelationClassifier(
                re_model or model_dir("re"),
                device=device,
                threads=threads,
                quantize=fast,
                bf16=fast,
            )
        self.linker = MentionLinker(
            ConceptIndex(resources.diseases),
            ConceptIndex(resources.chemicals),
            ConceptIndex(resources.symptoms),
            resources.mesh_to_do,
            embedder=default_embedder(),
        )
        self.lexicon = None
        if config.symptoms:
            from kgmed.mentions.lexicon import LexiconTagger

            names = [
                n for _, name, syn in resources.symptoms for n in (name, *syn) if n and len(n) > 3
            ]
            self.lexicon = LexiconTagger((n, "Symptom") for n in names)
        self.assertions = None
        if config.assertion:
            from kgmed.text.assertion import AssertionTagger

            self.assertions = AssertionTagger()
        from kgmed.text.abbreviations import AbbreviationFinder

        self.abbreviations = AbbreviationFinder()

    def analyze(self, documents: Sequence[Document]) -> list[Analysis]:
        stages: Counter[str] = Counter()
        timer = _Timer(stages)
        with timer("abbreviations"):
            long_forms_of = [self.abbreviations.long_forms(d.text) for d in documents]
        with timer("ner"):  # the tagger propagates labels through the same abbreviations
            mentions = self.tagger.tag_texts([(d.id, d.text) for d in documents], long_forms_of)
        with timer("linking"):  # unseen mention texts: one batched similarity search
            self.linker.prefetch(
                (text, m.label)
                for found, long_forms in zip(mentions, long_forms_of, strict=True)
                for m in found
                for text in (m.text, long_forms.get(m.text))
                if text
            )
        out = []
        found_links: list[list[tuple[Mention, Assertion]]] = []
        for d, found, long_forms in zip(documents, mentions, long_forms_of, strict=True):
            result = Analysis(d, [], [])
            doc_timer = _Timer(result.stage_seconds)
            with doc_timer("symptoms"):
                if self.lexicon is not None:
                    found = found + _non_overlapping(
                        self.lexicon.tag_texts([(d.id, d.text)])[0], found
                    )
            with doc_timer("assertion"):
                statuses = (
                    self.assertions.assertions(d.text, [(m.start, m.end) for m in found])
                    if self.assertions is not None
                    else [Assertion.AFFIRMED] * len(found)
                )
            concepts: dict[str, Concept] = {}
            with doc_timer("linking"):
                linked = []
                for m, status in zip(found, statuses, strict=True):
                    link = self.linker.link(m.text, m.label, long_forms.get(m.text))
                    result.mentions += 1
                    if not link.id:
                        result.unlinked[m.label] += 1
                        continue
                    result.linked += 1
                    result.concept_mentions[(link.label, link.id)] += 1
                    if link.method == "mesh" and link.id not in concepts:
                        name = self.linker.name(link.id) or m.text  # MeSH's name if it has one
                        concepts[link.id] = Concept(link.id, m.label, name, source="MeSH")
                    linked.append((replace(m, concept_ids=(link.id,), label=link.label), status))
            result.concepts = list(concepts.values())
            out.append(result)
            found_links.append(linked)
        with timer("relations"):
            relations = self._relations([r.document for r in out], found_links)
        for result, rels in zip(out, relations, strict=True):
            result.relations = rels
        if out:  # the batched passes, shared out evenly
            for result in out:
                for stage, seconds in stages.items():
                    result.stage_seconds[stage] += seconds / len(out)
        return out

    def _relations(
        self, docs: Sequence[Document], links: Sequence[list[tuple[Mention, Assertion]]]
    ) -> list[list[Relation]]:
        """Relations of each document. The candidates of all documents go through the
        classifier together (length-sorted batches across documents, not a call per one)."""
        from kgmed.relations.candidates import pair_candidates, same_drug_named_twice
        from kgmed.relations.model import NAME
        from kgmed.relations.pairs import MentionStats, stated_pairs, title_end

        out: list[list[Relation]] = [[] for _ in docs]
        # (tasks, object label) -> the candidates of every document, with their document index
        jobs: dict[tuple[tuple[str, ...], str], list[tuple[int, Any]]] = {}
        tasks = (
            [t for t in self.config.relations if t in self.classifier.tasks]
            if self.classifier is not None
            else []
        )
        groups = [
            # chemical-disease heads share their candidates: one encoder pass for both; a
            # symptom is a disease to the classifier (its corpora annotate symptoms so)
            (tuple(t for t in tasks if t in ("cid", "treats")), "Disease", self.config.window),
            (tuple(t for t in tasks if t in ("cid", "treats")), "Symptom", self.config.window),
            (("ddi",) if "ddi" in tasks else (), "Chemical", 1),
        ]
        contexts = []
        stats: list[dict[str, MentionStats]] = []  # per document, by object label
        cooccurring: list[list[Relation]] = []  # appended after the classifier's relations
        for i, (doc, linked) in enumerate(zip(docs, links, strict=True)):
            context = _EvidenceContext(doc, linked, self.config)
            contexts.append(context)
            by_label = {
                label: [m for m, _ in linked if m.label == label]
                for label in ("Chemical", "Disease", "Symptom")
            }
            chemicals = by_label["Chemical"]
            title = title_end(doc.text, doc.title)
            stats.append(
                {
                    label: MentionStats.of(chemicals, by_label[label], title)
                    for label in ("Disease", "Symptom")
                }
            )
            for group, ot, window in groups:
                if not group or not chemicals or not by_label[ot]:
                    continue
                cands = pair_candidates(
                    doc.id,
                    doc.text,
                    chemicals,
                    by_label[ot],
                    subject_type="Chemical",
                    object_type="Disease" if ot == "Symptom" else ot,  # the marker's type
                    window=window,
                )
                if ot == "Chemical":  # unordered: one candidate per pair of drugs, and not
                    # a drug with itself (by id, by name, or its abbreviation in parentheses)
                    cands = [
                        c
                        for c in cands
                        if c.subject[0] < c.object[0] and not same_drug_named_twice(c.text)
                    ]
                if cands:
                    jobs.setdefault((group, ot), []).extend((i, c) for c in cands)
            cooccurring.append(
                self._cooccurrence(doc, by_label["Disease"], by_label["Symptom"], context)
                if self.config.cooccurrence
                else []
            )
        for (group, ot), items in jobs.items():
            assert self.classifier is not None  # jobs exist only with a classifier
            probs = self.classifier.probabilities_for_tasks([c.text for _, c in items], group)
            # document-level tasks (chemical-disease groups) group the candidates by document
            # index (ids could repeat within a batch); grouping and mention statistics serve
            # every task of the group
            by_document: list[Any] = []
            doc_stats: dict[str, MentionStats] = {}
            if ot != "Chemical":
                by_document = [replace(c, unit=str(i)) for i, c in items]
                doc_stats = {str(i): stats[i][ot] for i in {i for i, _ in items}}
            for task in group:
                info = self.classifier.tasks[task]
                if task == "ddi":  # sentence-level: each candidate is a statement
                    found = [
                        (k, 1.0 - float(p[0]))  # p(any of the four interaction types)
                        for k, p in enumerate(probs[task])
                        if int(p.argmax()) != 0
                    ]
                else:  # document-level: one statement per (document, chemical, disease)
                    found = [
                        (pair.best, probability)
                        for pair, probability in stated_pairs(
                            by_document,
                            probs[task][:, 1],
                            doc_stats,
                            info.scorer(),
                            info.threshold if info.threshold is not None else 0.5,
                        )
                    ]
                for k, probability in found:
                    i, c = items[k]
                    ev = contexts[i].evidence(
                        c, probability, f"{NAME}:{task}", self.classifier.version
                    )
                    out[i].append(
                        Relation(c.subject[0], "Chemical", PREDICATES[task], c.object[0], ot, (ev,))
                    )
        for rels, extra in zip(out, cooccurring, strict=True):
            rels.extend(extra)
        return out

    def _cooccurrence(
        self,
        doc: Document,
        diseases: list[Mention],
        symptoms: list[Mention],
        context: _EvidenceContext,
    ) -> list[Relation]:
        """Disease-symptom co-mentions in a sentence, as HAS_SYMPTOM evidence."""
        from kgmed.relations.candidates import pair_candidates

        out: list[Relation] = []
        if not diseases or not symptoms:
            return out
        for c in pair_candidates(
            doc.id,
            doc.text,
            diseases,
            symptoms,
            subject_type="Disease",
            object_type="Symptom",
            window=1,
            per_pair=1,
        ):
            ev = context.evidence(
                c, self.config.cooccurrence_probability, "kgmed.cooccurrence", "1"
            )
            if ev.assertion in (Assertion.FAMILY, Assertion.HISTORICAL):
                continue
            ev = replace(ev, source="cooccurrence")
            out.append(
                Relation(c.subject[0], "Disease", "HAS_SYMPTOM", c.object[0], "Symptom", (ev,))
            )
        return out


class _EvidenceContext:
    """What an evidence record takes from its document: assertion of the mentions, the
    sentence text (unless ``store_text`` is off) and the note section."""

    def __init__(
        self, doc: Document, linked: list[tuple[Mention, Assertion]], config: PipelineConfig
    ) -> None:
        self.doc = doc
        self.config = config
        self.status = {(m.start, m.end): a for m, a in linked}
        self.source = "note" if doc.kind == "note" else "literature"
        self.headers = None
        if config.sections:
            from kgmed.text.assertion import sections

            self.headers = sections(doc.text)

    def evidence(self, c: Any, probability: float, extractor: str, version: str) -> Evidence:
        a = _combine(self.status.get(c.subject_span), self.status.get(c.object_span))
        w0, w1 = c.window
        section = ""
        if self.headers is not None:
            from kgmed.text.assertion import section_at

            section = section_at(self.headers, w0)
        return Evidence(
            document_id=self.doc.id,
            source=self.source,
            extractor=extractor,
            extractor_version=version,
            probability=round(float(probability), 6),
            assertion=a,
            sentence=self.doc.text[w0:w1] if self.config.store_text else "",
            sentence_start=w0,
            sentence_end=w1,
            subject_start=c.subject_span[0],
            subject_end=c.subject_span[1],
            object_start=c.object_span[0],
            object_end=c.object_span[1],
            section=section,
        )


class Ingestor:
    """The store side of a run: skips unchanged documents, replaces changed ones' evidence,
    hands the rest to an :class:`Analyzer` (local) or to Ray, and writes the results."""

    def __init__(
        self,
        store: CypherGraphStore,
        config: PipelineConfig,
        *,
        ner_model: Path | None = None,
        re_model: Path | None = None,
        device: str = "auto",
        threads: int | None = None,
        analyzer: Analyzer | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.resources = Resources.from_store(store)
        self._analyzer = analyzer
        self._models = {
            "ner_model": ner_model,
            "re_model": re_model,
            "device": device,
            "threads": threads,
        }

    @property
    def analyzer(self) -> Analyzer:
        """The NLP stages, loaded on first use: a rerun over unchanged documents loads no
        model."""
        if self._analyzer is None:
            self._analyzer = Analyzer(self.config, self.resources, **self._models)
        return self._analyzer

    def pending(self, documents: Sequence[Document], summary: IngestSummary) -> list[Document]:
        """The documents that need work; changed ones lose their old evidence first."""
        timer = _Timer(summary.stage_seconds)
        with timer("check"):
            existing = document_versions(self.store, [d.id for d in documents])
        todo = []
        for d in documents:
            d = replace(d, pipeline_version=PIPELINE_VERSION)
            old = existing.get(d.id)
            if old == (d.checksum, PIPELINE_VERSION):
                summary.unchanged += 1
                continue
            if old is not None and old[0]:
                with timer("replace"):
                    self.store.delete_document_evidence(d.id)
                summary.replaced += 1
            todo.append(d)
        return todo

    def process(self, documents: Sequence[Document], summary: IngestSummary) -> None:
        todo = self.pending(documents, summary)
        if todo:
            self.write(self.analyzer.analyze(todo), summary)

    def write(self, results: Sequence[Analysis], summary: IngestSummary) -> None:
        timer = _Timer(summary.stage_seconds)
        relations = [r for a in results for r in a.relations]
        for a in results:
            summary.mentions += a.mentions
            summary.linked += a.linked
            summary.unlinked.update(a.unlinked)
            summary.stage_seconds.update(a.stage_seconds)
        with timer("write"):
            concepts = {c.id: c for a in results for c in a.concepts}
            create_missing_concepts(self.store, concepts.values())  # MeSH-only ones
            # evidence, then MENTIONS (co-occurrence statistics count them), then the checksum
            # that says "done" only once everything is in
            evidence, _ = write_documents(
                self.store,
                [replace(a.document, text="", pipeline_version=PIPELINE_VERSION) for a in results],
                relations,
                {a.document.id: dict(a.concept_mentions) for a in results},
            )
            summary.evidence += evidence
            for r in relations:
                summary.relations[r.predicate] += len(r.evidence)
        summary.documents += len(results)
        log.info("wrote %d documents (%d in this run)", len(results), summary.documents)


def _combine(a: Assertion | None, b: Assertion | None) -> Assertion:
    """A pair's assertion: negated if either mention is, then family, historical, uncertain."""
    order = [Assertion.NEGATED, Assertion.FAMILY, Assertion.HISTORICAL, Assertion.UNCERTAIN]
    for status in order:
        if status in (a, b):
            return status
    return Assertion.AFFIRMED


def _non_overlapping(extra: list[Mention], base: list[Mention]) -> list[Mention]:
    return [m for m in extra if not any(m.start < b.end and b.start < m.end for b in base)]


class _Timer:
    def __init__(self, totals: Counter[str]) -> None:
        self.totals = totals

    def __call__(self, stage: str) -> Any:
        totals = self.totals

        class _Ctx:
            def __enter__(self) -> None:
                self.t0 = time.perf_counter()

            def __exit__(self, *exc: object) -> None:
                totals[stage] += time.perf_counter() - self.t0

        return _Ctx()


def ingest_paths(
    settings: Settings,
    paths: Sequence[Path],
    *,
    pipeline: str | None = None,
    fmt: str | None = None,
    id_column: str | None = None,
    text_column: str | None = None,
    store_text: bool | None = None,
    cpu_fast_paths: bool | None = None,
    rejects: Path | None = None,
    device: str = "auto",
    threads: int | None = None,
    show_progress: bool = True,
    limit: int | None = None,
    engine: str = "local",
    workers: int | None = None,
) -> IngestSummary:
    """Ingest files and folders into the configured store. Idempotent and resumable."""
    from kgmed.documents.readers import Reject, read_path

    started = time.perf_counter()
    if pipeline is None:
        notes = any(p.suffix.lower() in (".csv", ".jsonl", ".ndjson") for p in paths)
        pipeline = "clinical_notes" if notes else "literature"
    config = PipelineConfig.load(pipeline)
    overrides = {
        k: v
        for k, v in (
            ("id_column", id_column),
            ("text_column", text_column),
            ("store_text", store_text),
            ("cpu_fast_paths", cpu_fast_paths),
        )
        if v is not None
    }
    config = replace(config, **overrides)
    summary = IngestSummary()
    rejects_path = rejects or Path("kgmed-rejects.jsonl")
    reject_fh = None
    with open_store(settings) as store:
        if engine not in ("local", "ray"):
            raise ConfigError(f"unknown engine {engine!r}", hint="use local or ray")
        ingestor = (
            Ingestor(store, config, device=device, threads=threads)
            if engine == "local"
            else Ingestor(store, config, analyzer=_NoAnalyzer())  # type: ignore[arg-type]
        )

        def documents() -> Iterator[Document]:
            nonlocal reject_fh
            seen = 0
            for root in paths:
                for item in read_path(
                    root,
                    fmt=fmt,
                    id_column=config.id_column,
                    text_column=config.text_column,
                    kind=config.kind,
                ):
                    if isinstance(item, Reject):
                        summary.rejected += 1
                        if reject_fh is None:
                            reject_fh = rejects_path.open("w", encoding="utf-8")
                        reject_fh.write(
                            json.dumps({"path": item.path, "reason": item.reason}) + "\n"
                        )
                        log.warning("rejected %s: %s", item.path, item.reason)
                        continue
                    if config.deidentify:
                        from kgmed.text.deid import deidentify

                        clean, found = deidentify(item.text)
                        summary.identifiers_removed += len(found)
                        item = replace(item, text=clean, title="").with_checksum()
                    yield item
                    seen += 1
                    if limit and seen >= limit:
                        return

        bar = progress_bar(enabled=show_progress, desc="ingest", unit="doc")
        try:
            if engine == "ray":
                _run_ray(ingestor, documents(), summary, bar, device=device, workers=workers)
            else:
                batch: list[Document] = []
                for doc in documents():
                    batch.append(doc)
                    if len(batch) >= config.batch_size:
                        ingestor.process(batch, summary)
                        bar.update(len(batch))
                        batch = []
                if batch:
                    ingestor.process(batch, summary)
                    bar.update(len(batch))
        finally:
            bar.close()
            if reject_fh is not None:
                reject_fh.close()
                summary.rejects_file = str(rejects_path)
        if config.enrichment and (summary.documents or summary.replaced):
            with _Timer(summary.stage_seconds)("enrichment"):
                summary.enriched_pairs = refresh_enrichment(store, config)
    summary.seconds = time.perf_counter() - started
    return summary


def refresh_enrichment(store: CypherGraphStore, config: PipelineConfig) -> int:
    """Recompute the disease-symptom co-occurrence statistics over every document's MENTIONS
    and replace their HAS_SYMPTOM evidence (``kgmed.relations.cooccurrence``); returns the
    number of enriched pairs. Idempotent: the same documents give the same evidence."""
    from kgmed.relations import cooccurrence

    mentioned: dict[str, tuple[set[str], set[str]]] = {}
    for slot, label in ((0, "Disease"), (1, "Symptom")):  # one query per label: both dialects
        rows = store.query(
            f"MATCH (d:Document)-[:MENTIONS]->(x:{label}) RETURN d.id AS doc, x.id AS id"
        ).rows
        for r in rows:
            mentioned.setdefault(r["doc"], (set(), set()))[slot].add(r["id"])
    stats = cooccurrence.pair_statistics(
        mentioned.values(), min_observed=config.enrichment_min_documents
    )
    relations = cooccurrence.enrichment_relations(stats, max_p=config.enrichment_max_p)
    store.delete_document_evidence(cooccurrence.DOCUMENT_ID)
    if relations:
        store.upsert_documents([cooccurrence.statistics_document(len(mentioned))])
        for chunk in batched(relations, 2000):
            store.upsert_relations(chunk)
    log.info("co-occurrence enrichment: %d pairs over %d documents", len(relations), len(mentioned))
    return len(relations)


class _NoAnalyzer:
    """Placeholder: with Ray the analyzers live in the actors."""

    def analyze(self, documents: Sequence[Document]) -> list[Analysis]:
        raise RuntimeError("analysis runs in Ray actors")


class _RayAnalyzer:
    """A Ray Data actor: one Analyzer (models loaded once) per actor."""

    def __init__(self, config: PipelineConfig, resources: Resources, device: str) -> None:
        self.analyzer = Analyzer(config, resources, device=device, threads=1)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import pickle

        docs = [pickle.loads(b) for b in batch["doc"]]
        return {"result": [pickle.dumps(a) for a in self.analyzer.analyze(docs)]}


def _run_ray(
    ingestor: Ingestor,
    documents: Iterator[Document],
    summary: IngestSummary,
    bar: Any,
    *,
    device: str,
    workers: int | None,
    chunk: int = 2000,
) -> None:
    """NLP stages as Ray Data batch inference over an actor pool (GPU actors when CUDA is
    there); the driver filters unchanged documents first and writes results as they come."""
    import os
    import pickle

    try:
        import ray
    except ImportError as exc:
        raise ConfigError(
            "--engine ray needs Ray", hint='pip install "kgmed[distributed]"'
        ) from exc
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    if not ray.is_initialized():
        ray.init(
            address=os.environ.get("RAY_ADDRESS"),
            include_dashboard=False,
            log_to_driver=False,
            ignore_reinit_error=True,
        )
    gpus = int(ray.cluster_resources().get("GPU", 0)) if device != "cpu" else 0
    n = workers or max(1, gpus or int(ray.cluster_resources().get("CPU", 1)) // 2)
    config = ingestor.config

    def flush(pending: list[Document]) -> None:
        todo = ingestor.pending(pending, summary)
        if not todo:
            bar.update(len(pending))
            return
        ds = ray.data.from_items([{"doc": pickle.dumps(d)} for d in todo]).map_batches(
            _RayAnalyzer,
            fn_constructor_kwargs={
                "config": config,
                "resources": ingestor.resources,
                "device": "cuda" if gpus else "cpu",
            },
            batch_size=config.batch_size,
            concurrency=n,
            num_gpus=1 if gpus else 0,
            batch_format="default",
        )
        results: list[Analysis] = []
        for row in ds.iter_rows():
            results.append(pickle.loads(row["result"]))
            if len(results) >= config.batch_size:
                ingestor.write(results, summary)
                results = []
        if results:
            ingestor.write(results, summary)
        bar.update(len(pending))

    pending: list[Document] = []
    for doc in documents:
        pending.append(doc)
        if len(pending) >= chunk:
            flush(pending)
            pending = []
    if pending:
        flush(pending)
