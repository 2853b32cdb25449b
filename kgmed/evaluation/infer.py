"""Evaluate (and fit) the reasoning layer.

Diagnosis: top-1/5/10 accuracy and MRR on symptom vignettes (``benchmarks/data/vignettes.tsv``,
written by the kgmed developers, split by disease into dev and test), beside two baselines:
popularity (diseases ranked by their HAS_SYMPTOM evidence count alone) and symptom overlap
(diseases ranked by how many query symptoms they have). Parameters are fit on dev only.

Drugs: AUROC and AUPRC of the path-feature logistic regression on PharmacotherapyDB
disease-modifying indications, split by disease (70% of diseases to fit, 30% held out), over
every compound x disease pair of the Rephetio task, beside a degree-only logistic regression;
and on the DrugCentral indications of the held-out diseases (an external set). The graph must
hold no treatment edges from these gold standards (``kgmed build`` never loads them).
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from kgmed.answers.diagnosis import DiagnosisParams, Facts, rank, shipped_link_threshold
from kgmed.answers.drugs import DEGREE_FEATURES, FEATURES, LITERATURE_FEATURES, DrugModel
from kgmed.answers.infer import Inference
from kgmed.core.errors import DataError
from kgmed.core.ids import normalize_curie


def load_vignettes(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from exc
    needed = {"case", "split", "doid", "symptoms"}
    if not rows or not needed <= rows[0].keys():
        raise DataError(f"{path} needs the columns {sorted(needed)}")
    return rows


def _ranks(order: list[str], answer: str) -> int | None:
    try:
        return order.index(answer) + 1
    except ValueError:
        return None


def _metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "top1": sum(1 for r in ranks if r and r <= 1) / n,
        "top5": sum(1 for r in ranks if r and r <= 5) / n,
        "top10": sum(1 for r in ranks if r and r <= 10) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "n": len(ranks),
    }


def gather_vignettes(
    inference: Inference, vignettes: list[dict[str, str]], threshold: float
) -> list[tuple[dict[str, str], Facts]]:
    inference.symptoms.threshold = threshold
    return [
        (v, inference.diagnosis.gather(inference.link_symptoms(v["symptoms"]))) for v in vignettes
    ]


def score_diagnosis(
    gathered: list[tuple[dict[str, str], Facts]], params: DiagnosisParams
) -> dict[str, float]:
    ranks = [_ranks([d for d, _, _ in rank(f, params)], v["doid"]) for v, f in gathered]
    return _metrics(ranks)


GRID = {
    "theta": (0.7, 0.9),
    "eps": (0.01, 0.05),
    "beta": (0.1, 0.3, 0.5, 0.8),
    "gamma": (0.5, 1.0),
    "lam_specific": (0.9,),
    "lam_general": (0.3, 0.6),
    "kappa": (1.0, 2.0, 4.0),
    "nu": (0.0, 3.0, 6.0, 10.0),
}
THRESHOLDS = (0.7, 0.75, 0.8, 0.85)


def fit_diagnosis(
    inferences: Sequence[Inference], dev: list[dict[str, str]]
) -> tuple[DiagnosisParams, float, dict[str, Any]]:
    """Grid search on dev MRR (ties: top-10, then the earlier grid point). With several graphs
    (the default one and one with literature ingested) the mean over the graphs is maximised,
    so one parameter set serves a graph before and after literature."""
    best: tuple[tuple[float, float], DiagnosisParams, float, list[float]] | None = None
    keys = list(GRID)
    for threshold in THRESHOLDS:
        gathered = [gather_vignettes(inference, dev, threshold) for inference in inferences]
        for values in itertools.product(*(GRID[k] for k in keys)):
            params = DiagnosisParams(**dict(zip(keys, values, strict=True)))
            scores = [score_diagnosis(g, params) for g in gathered]
            key = (
                sum(m["mrr"] for m in scores) / len(scores),
                sum(m["top10"] for m in scores) / len(scores),
            )
            if best is None or key > best[0]:
                best = (key, params, threshold, [m["mrr"] for m in scores])
    assert best is not None
    return (
        best[1],
        best[2],
        {
            "dev_mrr": best[0][0],
            "dev_top10": best[0][1],
            "graphs": len(inferences),
            "dev_mrr_per_graph": best[3],
            "grid": GRID,
            "thresholds": THRESHOLDS,
        },
    )


def diagnosis_baselines(
    inference: Inference, gathered: list[tuple[dict[str, str], Facts]]
) -> dict[str, dict[str, float]]:
    rows = inference.store.query(
        "MATCH (d:Disease)-[r:HAS_SYMPTOM]->(s:Symptom) "
        "RETURN d.id AS id, sum(r.evidence_count) AS n"
    ).rows
    popularity = [r["id"] for r in sorted(rows, key=lambda r: (-int(r["n"] or 0), r["id"]))]
    overlap_ranks = []
    for v, facts in gathered:
        present = {link.id for link in facts.present}
        order = sorted(
            facts.diseases.values(),
            key=lambda d: (-len(present & set(d.symptoms)), -d.evidence, d.id),
        )
        overlap_ranks.append(_ranks([d.id for d in order], v["doid"]))
    return {
        "popularity": _metrics([_ranks(popularity, v["doid"]) for v, _ in gathered]),
        "symptom_overlap": _metrics(overlap_ranks),
    }


def evaluate_diagnosis(
    inference: Inference,
    vignettes: list[dict[str, str]],
    *,
    params: DiagnosisParams | None = None,
    threshold: float | None = None,
    fit: bool = False,
    fit_also: Sequence[Inference] = (),
) -> dict[str, Any]:
    """Metrics on the test vignettes (after fitting on dev when ``fit``; ``fit_also``: more
    graphs the fit averages over, see :func:`fit_diagnosis`)."""
    dev = [v for v in vignettes if v["split"] == "dev"]
    test = [v for v in vignettes if v["split"] == "test"]
    fit_info: dict[str, Any] = {}
    if fit:
        from kgmed.answers.diagnosis import save_params

        params, threshold, fit_info = fit_diagnosis([inference, *fit_also], dev)
        save_params(params, {"link_threshold": threshold, **fit_info})
    params = params or DiagnosisParams.shipped()
    threshold = threshold if threshold is not None else shipped_link_threshold()
    out: dict[str, Any] = {"params": asdict(params), "link_threshold": threshold, "fit": fit_info}
    for name, cases in (("dev", dev), ("test", test)):
        gathered = gather_vignettes(inference, cases, threshold)
        out[name] = {
            "kgmed": score_diagnosis(gathered, params),
            **diagnosis_baselines(inference, gathered),
        }
        links = [link for _, f in gathered for link in f.present + f.absent]
        phrases = sum(len(v["symptoms"].split(",")) for v in cases)
        out[name]["linked_phrases"] = len(links) / max(1, phrases)
    return out


# -- drugs -------------------------------------------------------------------------------------
def _tsv(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh, delimiter="\t"))
    except OSError as exc:
        raise DataError(
            f"cannot read {path}: {exc.strerror}",
            hint="point --data-dir at the folder holding pharmacotherapydb/",
        ) from exc


def disease_split(doid: str) -> str:
    """70/30 split by disease, fixed by a hash of the id."""
    return "train" if int(hashlib.sha256(doid.encode()).hexdigest(), 16) % 10 < 7 else "test"


def drug_task(data_dir: Path) -> dict[str, Any]:
    """The Rephetio compound x disease universe and its gold standards."""
    learn = data_dir / "rephetio_validation" / "learn"
    compounds = [normalize_curie(r["compound_id"]) for r in _tsv(learn / "compounds.tsv")]
    diseases = [normalize_curie(r["disease_id"]) for r in _tsv(learn / "diseases.tsv")]
    dm = {
        (normalize_curie(r["doid_id"]), normalize_curie(r["drugbank_id"]))
        for r in _tsv(data_dir / "pharmacotherapydb" / "indications.tsv")
        if r["category"] == "DM"
    }
    drugcentral = {
        (normalize_curie(r["doid_id"]), normalize_curie(r["drugbank_id"]))
        for r in _tsv(data_dir / "rephetio_validation" / "drugcentral" / "indications.tsv")
    }
    return {"compounds": compounds, "diseases": diseases, "dm": dm, "drugcentral": drugcentral}


def _fit_lr(x: Any, y: Any, features: tuple[str, ...]) -> DrugModel:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=1.0, max_iter=2000)
    lr.fit((x - mean) / scale, y)
    return (
        DrugModel(
            features, mean.tolist(), scale.tolist(), lr.coef_[0].tolist(), float(lr.intercept_[0])
        )
        if np.isfinite(lr.coef_).all()
        else DrugModel(features, [], [], [], 0.0)
    )


def _graph_summary(inference: Inference) -> dict[str, int]:
    """What the graph a drug model is fit on holds: documents by kind, literature relations."""
    store = inference.drugs.store
    out = {
        f"{r['kind']}_documents": int(r["n"])
        for r in store.query("MATCH (d:Document) RETURN d.kind AS kind, count(*) AS n").rows
    }
    for predicate, query in (  # one query per type: both dialects, no type(r)
        ("TREATS", "MATCH (:Chemical)-[r:TREATS]->(:Disease) RETURN count(r) AS n"),
        ("CAUSES", "MATCH (:Chemical)-[r:CAUSES]->(:Disease) RETURN count(r) AS n"),
    ):
        rows = store.query(query).rows
        out[predicate] = int(rows[0]["n"]) if rows else 0
    return out


def evaluate_drugs(
    inference: Inference, data_dir: Path, *, fit: bool = False, save: bool | None = None
) -> dict[str, Any]:
    """AUROC/AUPRC of the drug model on the held-out diseases (and DrugCentral), beside the
    degree baseline. ``fit``: refit on the training diseases of this graph instead of using the
    shipped model; ``save`` (default: ``fit``) writes that fit into the package."""
    import numpy as np
    from sklearn.metrics import average_precision_score, roc_auc_score

    task = drug_task(data_dir)
    known = set(inference.diseases.names)
    diseases = [d for d in task["diseases"] if d in known]
    started = time.perf_counter()
    pairs, rows = [], []
    for d in diseases:
        features = inference.drugs.features_for(d, task["compounds"])
        for c in task["compounds"]:
            pairs.append((d, c))
            rows.append([features[c][f] for f in FEATURES])
    seconds = time.perf_counter() - started
    x = np.asarray(rows, dtype=np.float64)
    y = np.array([(d, c) in task["dm"] for d, c in pairs])
    yc = np.array([(d, c) in task["drugcentral"] for d, c in pairs])
    train = np.array([disease_split(d) == "train" for d, _ in pairs])
    test = ~train
    degree_idx = [FEATURES.index(f) for f in DEGREE_FEATURES]
    full = _fit_lr(x[train], y[train], FEATURES)
    degree = _fit_lr(x[train][:, degree_idx], y[train], DEGREE_FEATURES)
    save = fit if save is None else save
    if fit and save:
        shipped = replace(
            full,
            fit={
                "data": "PharmacotherapyDB DM, 70% of diseases",
                "n_train_pairs": int(train.sum()),
                "n_train_positive": int(y[train].sum()),
                # the literature features learn a weight only where the graph holds literature
                "n_train_pairs_with_literature": int(
                    (x[train][:, [FEATURES.index(f) for f in LITERATURE_FEATURES]] > 0)
                    .any(axis=1)
                    .sum()
                ),
                "graph": _graph_summary(inference),
            },
        )
        shipped.save()
    model = full if fit else DrugModel.load()

    def metrics(m: DrugModel, gold: Any, mask: Any) -> dict[str, float]:
        s = m.logits_matrix(x[mask][:, [FEATURES.index(f) for f in m.features]])
        g = gold[mask]
        if g.sum() == 0 or g.sum() == len(g):
            return {"auroc": float("nan"), "auprc": float("nan"), "n_pos": int(g.sum())}
        return {
            "auroc": float(roc_auc_score(g, s)),
            "auprc": float(average_precision_score(g, s)),
            "n_pos": int(g.sum()),
            "n": int(mask.sum()),
        }

    lit = x[:, FEATURES.index("lit_treats")] > 0
    return {
        "diseases": len(diseases),
        "compounds": len(task["compounds"]),
        # how much the literature in the graph states outright: held-out pairs with a
        # literature TREATS relationship, among the positives and among all
        "test_literature_treats": {
            "positives": int((lit & y & test).sum()),
            "pairs": int((lit & test).sum()),
        },
        "feature_seconds": round(seconds, 1),
        "coef": dict(zip(model.features, [round(c, 4) for c in model.coef], strict=True)),
        "test_pharmacotherapydb": {
            "kgmed": metrics(model, y, test),
            "degree_baseline": metrics(degree, y, test),
        },
        "train_pharmacotherapydb": {
            "kgmed": metrics(model, y, train),
            "degree_baseline": metrics(degree, y, train),
        },
        "test_drugcentral": {
            "kgmed": metrics(model, yc, test),
            "degree_baseline": metrics(degree, yc, test),
        },
    }
