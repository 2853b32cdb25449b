"""Relation-extraction evaluation in each corpus's standard setting.

- ``cid`` (BC5CDR): document-level chemical-induces-disease pairs. Mention-pair candidates are
  scored, each (document, chemical MeSH, disease MeSH) pair gets the task's document-level
  probability (its pair scorer over the pair's candidates and mentions, or without one its
  best candidate's probability: ``kgmed.relations.pairs``), pairs at or above the threshold are
  predicted; P/R/F1 against every gold CID line of the file (pairs without a candidate count
  as missed). The max rule's figures are reported beside (``max_rule``).
- ``ddi`` (DDI 2013): micro-F1 over the four positive classes, on the annotated pairs; a pair
  naming one drug twice (or its abbreviation in parentheses) is predicted "none"
  (``same_drug_named_twice``), the figures without that rule beside (``without_exclusion``).
- ``treats`` (BioRED): document-level Negative_Correlation chemical-disease pairs, like cid.

ECE is the top-label expected calibration error of the candidates' probabilities, reported
with (``ece``) and without (``ece_uncalibrated``) the task's temperature; ``pair_ece`` is that
of the document-level pair probabilities against the gold pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgmed.core.errors import DataError
from kgmed.relations.candidates import (
    Candidate,
    bare_id,
    cid_candidates,
    ddi_candidates,
    same_drug_named_twice,
    treats_candidates,
)
from kgmed.relations.pairs import (
    MentionStats,
    PairScorer,
    best_cut,
    document_pairs,
    pair_probabilities,
    title_end,
)


@dataclass
class TaskData:
    """A task's candidates and, for document-level tasks, its gold pairs and the mention
    statistics of each document (for the pair scorer)."""

    task: str
    candidates: list[Candidate]
    gold_pairs: set[tuple[str, str, str]] | None  # (document, subject, object); None: DDI
    stats: dict[str, MentionStats] = field(default_factory=dict)


def load_task(task: str, path: Path, split: str = "test") -> TaskData:
    """Candidates of ``path``: a PubTator file (cid, treats) or the DDI zip (``split``)."""
    from kgmed.documents.pubtator import read_pubtator

    if task == "ddi":
        from kgmed.documents.ddi import read_ddi

        return TaskData(task, ddi_candidates(read_ddi(path, split)), None)
    if task not in ("cid", "treats"):
        raise DataError(f"unknown relation task {task!r}", hint="use cid, ddi or treats")
    docs = read_pubtator(path)
    kind = "CID" if task == "cid" else "Negative_Correlation"
    labels = (
        ("Chemical", "Disease")
        if task == "cid"
        else ("ChemicalEntity", "DiseaseOrPhenotypicFeature")
    )
    stats = {
        d.document.id: MentionStats.of(
            [m for m in d.mentions if m.label == labels[0]],
            [m for m in d.mentions if m.label == labels[1]],
            title_end(d.document.text, d.document.title),
        )
        for d in docs
    }
    gold = set()
    for doc in docs:
        for k, a, b in doc.relations:
            if k == kind:
                gold.add((doc.document.id, bare_id(a), bare_id(b)))
    if task == "treats":
        # BioRED relates many kinds of entities by Negative_Correlation: keep the
        # chemical-disease pairs, oriented (chemical, disease) (its relations are unordered).
        def ids(label: str) -> set[tuple[str, str]]:
            return {
                (d.document.id, bare_id(i))
                for d in docs
                for m in d.mentions
                if m.label == label
                for i in m.concept_ids
            }

        chems, diseases = ids("ChemicalEntity"), ids("DiseaseOrPhenotypicFeature")
        oriented = set()
        for d, a, b in gold:
            if (d, a) in chems and (d, b) in diseases:
                oriented.add((d, a, b))
            elif (d, b) in chems and (d, a) in diseases:
                oriented.add((d, b, a))
        return TaskData(task, treats_candidates(docs), oriented, stats)
    return TaskData(task, cid_candidates(docs), gold, stats)


def document_scores(
    candidates: list[Candidate],
    positive: Any,
    stats: dict[str, MentionStats] | None = None,
    scorer: PairScorer | None = None,
) -> dict[tuple[str, str, str], float]:
    """Document-level probability per (document, subject id, object id), ids without their
    prefix: the pair scorer's, or without one the best candidate's (the max rule)."""
    pairs, matrix = document_pairs(candidates, positive, stats or {})
    probs = pair_probabilities(pairs, matrix, positive, scorer)
    out: dict[tuple[str, str, str], float] = {}
    for pair, p in zip(pairs, probs, strict=True):
        key = (pair.document, bare_id(pair.subject), bare_id(pair.object))
        out[key] = max(out.get(key, 0.0), float(p))
    return out


def prf(tp: int, predicted: int, gold: int) -> dict[str, float]:
    p = tp / predicted if predicted else 0.0
    r = tp / gold if gold else 0.0
    return {"p": p, "r": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def best_threshold(scores: dict[tuple[str, str, str], float], gold: set) -> float:
    """The decision threshold with the best document-level F1 (fit on dev only): halfway to
    the next score, since a threshold equal to a score would flip under fp16 storage."""
    if not scores:
        return 0.5
    keys = list(scores)
    return best_cut([scores[k] for k in keys], [k in gold for k in keys], len(gold))[0]


def score(classifier: Any, data: TaskData, *, threshold: float | None = None) -> dict[str, Any]:
    """P/R/F1 and ECE of ``classifier`` (a :class:`RelationClassifier`) on ``data``."""
    import numpy as np

    from kgmed.relations.model import expected_calibration_error, softmax

    info = classifier.tasks[data.task]
    texts = [c.text for c in data.candidates]
    logits = classifier.logits(texts, data.task)
    probs = softmax(logits / info.temperature)
    labels = np.array([info.labels.index(c.label) for c in data.candidates])
    out: dict[str, Any] = {
        "task": data.task,
        "setting": "gold",
        "n_candidates": len(texts),
        "ece": expected_calibration_error(probs, labels),
        "ece_uncalibrated": expected_calibration_error(softmax(logits), labels),
        "temperature": info.temperature,
    }
    if data.gold_pairs is None:  # DDI: micro-F1 over the positive classes
        predicted = probs.argmax(axis=1)

        def micro(predicted: Any) -> dict[str, float]:
            tp = int(((predicted == labels) & (labels != 0)).sum())
            return prf(tp, int((predicted != 0).sum()), int((labels != 0).sum()))

        # a drug named twice (or its abbreviation in parentheses) does not interact with itself
        excluded = np.array([same_drug_named_twice(c.text) for c in data.candidates], dtype=bool)
        out["without_exclusion"] = micro(predicted)
        predicted = np.where(excluded, 0, predicted)
        out["excluded_pairs"] = int(excluded.sum())
        out.update(micro(predicted))
        per_class = {}
        for k, name in enumerate(info.labels[1:], 1):
            per_class[name] = prf(
                int(((predicted == k) & (labels == k)).sum()),
                int((predicted == k).sum()),
                int((labels == k).sum()),
            )
        out["per_class"] = per_class
        return out
    out.update(_pair_figures(data, probs[:, 1], info, threshold))
    return out


def _pair_figures(
    data: TaskData, positive: Any, info: Any, threshold: float | None = None
) -> dict[str, Any]:
    """Document-level P/R/F1 (the task's pair scorer, or the max rule), the max rule's beside,
    and the calibration of the pair probabilities. ``threshold`` overrides the max rule's."""
    import numpy as np

    from kgmed.relations.model import expected_calibration_error

    assert data.gold_pairs is not None
    gold = data.gold_pairs
    max_cut = threshold if threshold is not None else (info.threshold or 0.5)
    max_rule = document_scores(data.candidates, positive)
    scorer = info.scorer() if threshold is None else None
    pairs = document_scores(data.candidates, positive, data.stats, scorer) if scorer else max_rule
    cut = scorer.threshold if scorer else max_cut
    predicted = {k for k, p in pairs.items() if p >= cut}
    max_predicted = {k for k, p in max_rule.items() if p >= max_cut}
    p = np.asarray(list(pairs.values()))
    y = np.asarray([k in gold for k in pairs])
    return {
        **prf(len(predicted & gold), len(predicted), len(gold)),
        "threshold": cut,
        "document_scoring": "pair scorer" if scorer else "max rule",
        "max_rule": {
            **prf(len(max_predicted & gold), len(max_predicted), len(gold)),
            "threshold": max_cut,
        },
        "pair_ece": expected_calibration_error(np.stack([1 - p, p], axis=1), y) if len(p) else 0.0,
        "n_gold_pairs": len(gold),
        "candidate_recall": len(set(pairs) & gold) / max(1, len(gold)),
    }


def end2end_cid(
    classifier: Any, tagger: Any, linker: Any, path: Path, abbreviations: Any | None = None
) -> dict[str, Any]:
    """CID from raw text: our NER finds the mentions, the linker maps them to MeSH ids (an
    abbreviation through its long form first, as ingest links it, when ``abbreviations`` is
    given), the classifier scores the pairs; scored against every gold CID pair of the file."""
    from dataclasses import replace

    from kgmed.documents.pubtator import read_pubtator
    from kgmed.relations.candidates import pair_candidates
    from kgmed.relations.model import softmax

    docs = read_pubtator(path)
    gold = {
        (d.document.id, bare_id(a), bare_id(b))
        for d in docs
        for k, a, b in d.relations
        if k == "CID"
    }
    mentions = tagger.tag_texts([(d.document.id, d.document.text) for d in docs])
    candidates: list[Candidate] = []
    stats: dict[str, MentionStats] = {}
    linked = total = 0
    for d, found in zip(docs, mentions, strict=True):
        chems, dis = [], []
        long_forms = abbreviations.long_forms(d.document.text) if abbreviations else {}
        for m in found:
            total += 1
            mesh = linker.mesh_id(m.text, m.label, long_forms.get(m.text))
            if mesh is None:
                continue
            linked += 1
            (chems if m.label == "Chemical" else dis).append(replace(m, concept_ids=(mesh,)))
        stats[d.document.id] = MentionStats.of(
            chems, dis, title_end(d.document.text, d.document.title)
        )
        candidates += pair_candidates(
            d.document.id,
            d.document.text,
            chems,
            dis,
            subject_type="Chemical",
            object_type="Disease",
        )
    info = classifier.tasks["cid"]
    probs = softmax(classifier.logits([c.text for c in candidates], "cid") / info.temperature)
    out = {"task": "cid", "setting": "end2end"}
    out.update(_pair_figures(TaskData("cid", candidates, gold, stats), probs[:, 1], info))
    out.update({"mentions": total, "linked_mentions": linked})
    return out
