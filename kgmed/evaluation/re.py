"""Relation-extraction evaluation in each corpus's standard setting.

- ``cid`` (BC5CDR): document-level chemical-induces-disease pairs. Mention-pair candidates are
  scored, each (document, chemical MeSH, disease MeSH) pair takes its best candidate's
  probability, pairs at or above the task threshold are predicted; P/R/F1 against every gold
  CID line of the file (pairs without a candidate count as missed).
- ``ddi`` (DDI 2013): micro-F1 over the four positive classes, on the annotated pairs.
- ``treats`` (BioRED): document-level Negative_Correlation chemical-disease pairs, like cid.

ECE is the top-label expected calibration error of the candidates' probabilities, reported
with (``ece``) and without (``ece_uncalibrated``) the task's temperature.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgmed.core.errors import DataError
from kgmed.relations.candidates import (
    Candidate,
    bare_id,
    cid_candidates,
    ddi_candidates,
    treats_candidates,
)


@dataclass
class TaskData:
    """A task's candidates and, for document-level tasks, its gold pairs."""

    task: str
    candidates: list[Candidate]
    gold_pairs: set[tuple[str, str, str]] | None  # (document, subject, object); None: DDI


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
        return TaskData(task, treats_candidates(docs), oriented)
    return TaskData(task, cid_candidates(docs), gold)


def document_scores(
    candidates: list[Candidate], positive: Any
) -> dict[tuple[str, str, str], float]:
    """Best candidate probability per (document, subject id, object id)."""
    best: dict[tuple[str, str, str], float] = {}
    for c, p in zip(candidates, positive, strict=True):
        for a in c.subject:
            for b in c.object:
                key = (c.unit, bare_id(a), bare_id(b))
                best[key] = max(best.get(key, 0.0), float(p))
    return best


def prf(tp: int, predicted: int, gold: int) -> dict[str, float]:
    p = tp / predicted if predicted else 0.0
    r = tp / gold if gold else 0.0
    return {"p": p, "r": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def best_threshold(scores: dict[tuple[str, str, str], float], gold: set) -> float:
    """The decision threshold with the best document-level F1 (fit on dev only)."""
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    tp, best, best_f1 = 0, 0.5, -1.0
    for i, (key, score) in enumerate(ranked, 1):
        tp += key in gold
        f1 = prf(tp, i, len(gold))["f1"]
        if f1 > best_f1:
            # halfway to the next score: a threshold equal to a score would flip under the
            # small changes of fp16 storage
            after = ranked[i][1] if i < len(ranked) else 0.0
            best, best_f1 = (score + after) / 2, f1
    return float(best)


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
        tp = int(((predicted == labels) & (labels != 0)).sum())
        out.update(prf(tp, int((predicted != 0).sum()), int((labels != 0).sum())))
        per_class = {}
        for k, name in enumerate(info.labels[1:], 1):
            per_class[name] = prf(
                int(((predicted == k) & (labels == k)).sum()),
                int((predicted == k).sum()),
                int((labels == k).sum()),
            )
        out["per_class"] = per_class
        return out
    pairs = document_scores(data.candidates, probs[:, 1])
    cut = threshold if threshold is not None else (info.threshold or 0.5)
    predicted_pairs = {k for k, p in pairs.items() if p >= cut}
    out.update(
        prf(len(predicted_pairs & data.gold_pairs), len(predicted_pairs), len(data.gold_pairs))
    )
    out["threshold"] = cut
    out["n_gold_pairs"] = len(data.gold_pairs)
    out["candidate_recall"] = len(set(pairs) & data.gold_pairs) / max(1, len(data.gold_pairs))
    return out


def end2end_cid(classifier: Any, tagger: Any, linker: Any, path: Path) -> dict[str, Any]:
    """CID from raw text: our NER finds the mentions, the linker maps them to MeSH ids, the
    classifier scores the pairs; scored against every gold CID pair of the file."""
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
    linked = total = 0
    for d, found in zip(docs, mentions, strict=True):
        chems, dis = [], []
        for m in found:
            total += 1
            mesh = linker.mesh_id(m.text, m.label)
            if mesh is None:
                continue
            linked += 1
            (chems if m.label == "Chemical" else dis).append(replace(m, concept_ids=(mesh,)))
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
    pairs = document_scores(candidates, probs[:, 1])
    cut = info.threshold or 0.5
    predicted = {k for k, p in pairs.items() if p >= cut}
    out = {
        "task": "cid",
        "setting": "end2end",
        **prf(len(predicted & gold), len(predicted), len(gold)),
    }
    out.update(
        {
            "threshold": cut,
            "n_gold_pairs": len(gold),
            "mentions": total,
            "linked_mentions": linked,
            "candidate_recall": len(set(pairs) & gold) / max(1, len(gold)),
        }
    )
    return out
