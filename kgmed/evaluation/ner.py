"""NER evaluation on BIO (CoNLL) or PubTator files: strict entity-level P/R/F1.

Scoring is exact span and type, micro-averaged over entities, as in the BioCreative and BLURB
evaluations. NCBI-disease's classes (SpecificDisease, DiseaseClass, Modifier,
CompositeMention) all count as Disease; the lexicon's Symptom label counts as Disease, since
BC5CDR annotates symptoms as diseases.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kgmed.core.errors import DataError
from kgmed.documents.conll import read_conll
from kgmed.documents.pubtator import CORPUS_TYPES, read_pubtator
from kgmed.evaluation.spans import bio_spans, entity_scores

if TYPE_CHECKING:
    from kgmed.concepts.ontology import OntologyPaths

GOLD_LABELS = CORPUS_TYPES
PREDICTED_LABELS = {"Symptom": "Disease"}


def detect_format(path: Path) -> str:
    try:
        with path.open(encoding="utf-8") as fh:
            head = [next(fh, "") for _ in range(5)]
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text") from exc
    first = next((line for line in head if line.strip()), "")
    if "|t|" in first[:40]:
        return "pubtator"
    if "\t" in first:
        return "conll"
    raise DataError(
        f"cannot tell the format of {path}",
        hint="use a BIO .tsv (token<TAB>tag) or a PubTator file",
    )


def lexicon_entries(paths: OntologyPaths | None = None) -> list[tuple[str, str]]:
    """``(phrase, label)`` pairs from the ontologies and DrugBank vocabulary (the shipped
    files by default)."""
    from kgmed.concepts.ontology import (
        OntologyPaths,
        read_disease_ontology,
        read_drugbank_vocabulary,
        read_symptom_ontology,
    )

    paths = paths or OntologyPaths.shipped()
    entries: list[tuple[str, str]] = []
    for content in (
        read_disease_ontology(paths.doid, paths.doid_terms),
        read_symptom_ontology(paths.symp, paths.symp_lay_terms),
        read_drugbank_vocabulary(paths.drugbank),
    ):
        for c in content.concepts:
            entries.append((c.name, c.label))
            entries.extend((s, c.label) for s in c.synonyms)
    return entries


def build_tagger(
    tagger: str,
    model: Path | None = None,
    device: str = "auto",
    quantize: bool | None = False,
    bf16: bool | None = None,
) -> Any:
    if tagger == "lexicon":
        from kgmed.mentions.lexicon import LexiconTagger

        return LexiconTagger(lexicon_entries())
    from kgmed.mentions.bert import BertTagger
    from kgmed.resources import model_dir

    return BertTagger(model or model_dir("ner"), device=device, quantize=quantize, bf16=bf16)


def evaluate_ner(
    data: Path,
    *,
    tagger: str = "bert",
    model: Path | None = None,
    types: tuple[str, ...] | None = None,
    device: str = "auto",
    quantize: bool | None = False,
    instance: Any = None,
) -> dict[str, Any]:
    """Score a tagger on ``data``; returns ``{"per_type", "micro", "n_docs", ...}``."""
    fmt = detect_format(data)
    tag = instance or build_tagger(tagger, model, device, quantize)

    def keep(label: str) -> bool:
        return types is None or label in types

    gold, pred = [], []
    if fmt == "conll":
        sentences = read_conll(data, label_map=GOLD_LABELS)
        predicted = tag.tag_words([list(s.tokens) for s in sentences])
        gold = bio_spans([s.tags for s in sentences], keep=keep)
        pred = bio_spans(predicted, label_map=PREDICTED_LABELS, keep=keep)
        n_units, unit = len(sentences), "sentence"
    else:
        documents = read_pubtator(data)
        predicted_docs = tag.tag_texts([(d.document.id, d.document.text) for d in documents])
        for d, mentions in zip(documents, predicted_docs, strict=True):
            for m in d.mentions:
                label = GOLD_LABELS.get(m.label, m.label)
                if keep(label):
                    gold.append((d.document.id, m.start, m.end, label))
            for m in mentions:
                label = PREDICTED_LABELS.get(m.label, m.label)
                if keep(label):
                    pred.append((d.document.id, m.start, m.end, label))
        n_units, unit = len(documents), "document"
    scores = entity_scores(gold, pred)
    return {
        **scores,
        "n_docs": n_units,
        "unit": unit,
        "tagger": getattr(tag, "name", tagger),
        "data": str(data),
    }
