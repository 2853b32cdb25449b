"""Rank drug candidates for a disease from graph paths (Rephetio's design, smaller).

Features of a (chemical, disease) pair, read with parameterized path queries:

* ``dwpc_CbGaD``: asinh of the degree-weighted path count (damping 0.4) over
  Chemical-TARGETS->Gene<-ASSOCIATED_WITH-Disease;
* ``dwpc_CbGaDrD``: the same through a resembling disease (Disease-RESEMBLES-Disease);
* ``lit_treats``: the literature TREATS probability (noisy-OR of its evidence);
* ``lit_treats_similar``: the best literature TREATS probability to a resembling disease;
* ``lit_causes``: the literature CAUSES probability (adverse: it should count against);
* ``log_degree_chemical``, ``log_degree_disease``: log(1 + degree) priors.

A logistic regression over standardized features is fit on a training split of the
PharmacotherapyDB disease-modifying indications, split by disease
(``kgmed eval infer --task drugs --fit``), and shipped in ``drug_model.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgmed.graph.store import CypherGraphStore

MODEL_FILE = Path(__file__).with_name("drug_model.json")
DAMPING = 0.4
DWPC_SCALE = 1e-3  # asinh(dwpc / scale): chosen by 3-fold CV on the training diseases
FEATURES = (
    "dwpc_CbGaD",
    "dwpc_CbGaDrD",
    "lit_treats",
    "lit_treats_similar",
    "lit_causes",
    "log_degree_chemical",
    "log_degree_disease",
)
DEGREE_FEATURES = ("log_degree_chemical", "log_degree_disease")


@dataclass
class DrugModel:
    """Standardization and logistic-regression weights over ``features``."""

    features: tuple[str, ...]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    fit: dict[str, Any] = field(default_factory=dict)

    def logit(self, values: dict[str, float]) -> float:
        z = self.intercept
        for name, m, s, w in zip(self.features, self.mean, self.scale, self.coef, strict=True):
            z += w * (values.get(name, 0.0) - m) / (s or 1.0)
        return z

    def probability(self, values: dict[str, float]) -> float:
        return 1 / (1 + math.exp(-max(-40.0, min(40.0, self.logit(values)))))

    def contributions(self, values: dict[str, float]) -> dict[str, float]:
        return {
            name: w * (values.get(name, 0.0) - m) / (s or 1.0)
            for name, m, s, w in zip(self.features, self.mean, self.scale, self.coef, strict=True)
        }

    def save(self, path: Path = MODEL_FILE) -> None:
        path.write_text(json.dumps(self.__dict__, indent=2, default=list) + "\n")

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> DrugModel:
        raw = json.loads(path.read_text())
        raw["features"] = tuple(raw["features"])
        return cls(**raw)


@dataclass
class Candidate:
    """A chemical's features for one disease, and the paths behind them."""

    id: str
    name: str = ""
    features: dict[str, float] = field(default_factory=dict)
    paths: list[dict[str, Any]] = field(default_factory=list)


class DrugReasoner:
    """Gathers path features for every chemical connected to a disease."""

    def __init__(self, store: CypherGraphStore) -> None:
        self.store = store
        self._chemical_degree: dict[str, int] | None = None
        self._gene_degrees: dict[str, tuple[int, int]] | None = None

    def chemical_degree(self) -> dict[str, int]:
        """Chemical -> number of TARGETS, TREATS and CAUSES relationships (read once)."""
        if self._chemical_degree is None:
            degree: dict[str, int] = {}
            for rel in ("TARGETS", "TREATS", "CAUSES"):
                rows = self.store.query(
                    f"MATCH (c:Chemical)-[:{rel}]->(x) RETURN c.id AS id, count(*) AS n"
                ).rows
                for r in rows:
                    degree[r["id"]] = degree.get(r["id"], 0) + int(r["n"])
            self._chemical_degree = degree
        return self._chemical_degree

    def gene_degrees(self) -> dict[str, tuple[int, int]]:
        """Gene -> (chemicals targeting it, diseases associated with it) (read once)."""
        if self._gene_degrees is None:
            targets = {
                r["id"]: int(r["n"])
                for r in self.store.query(
                    "MATCH (c:Chemical)-[:TARGETS]->(g:Gene) RETURN g.id AS id, count(*) AS n"
                ).rows
            }
            assoc = {
                r["id"]: int(r["n"])
                for r in self.store.query(
                    "MATCH (d:Disease)-[:ASSOCIATED_WITH]->(g:Gene) "
                    "RETURN g.id AS id, count(*) AS n"
                ).rows
            }
            self._gene_degrees = {
                g: (targets.get(g, 0), assoc.get(g, 0)) for g in set(targets) | set(assoc)
            }
        return self._gene_degrees

    def _genes(self, disease_ids: Sequence[str]) -> dict[str, list[str]]:
        rows = self.store.query(
            "MATCH (d:Disease)-[:ASSOCIATED_WITH]->(g:Gene) WHERE d.id IN $ids "
            "RETURN d.id AS disease, g.id AS gene",
            {"ids": list(disease_ids)},
        ).rows
        out: dict[str, list[str]] = {}
        for r in rows:
            out.setdefault(r["disease"], []).append(r["gene"])
        return out

    def _similar(self, disease_id: str) -> list[str]:
        rows = self.store.query(
            "MATCH (d:Disease {id: $id}) MATCH (d)-[:RESEMBLES]-(o:Disease) "
            "RETURN DISTINCT o.id AS id",
            {"id": disease_id},
        ).rows
        return sorted(r["id"] for r in rows)

    def _literature(self, disease_ids: Sequence[str]) -> list[dict[str, Any]]:
        out = []
        for rel in ("TREATS", "CAUSES"):  # one query per type: both dialects, no type(r)
            rows = self.store.query(
                f"MATCH (c:Chemical)-[r:{rel}]->(d:Disease) WHERE d.id IN $ids "
                "RETURN c.id AS chemical, c.name AS name, d.id AS disease, "
                "r.probability AS p, r.evidence_count AS n, r.statement AS statement",
                {"ids": list(disease_ids)},
            ).rows
            out += [{**r, "rel": rel} for r in rows]
        return out

    def gather(self, disease_id: str) -> dict[str, Candidate]:
        """Every chemical with a path to the disease, with its features and paths."""
        degree = self.chemical_degree()
        gdeg = self.gene_degrees()
        similar = self._similar(disease_id)
        genes = self._genes([disease_id, *similar])
        all_genes = sorted({g for gs in genes.values() for g in gs})
        binders: dict[str, list[tuple[str, str]]] = {}
        if all_genes:
            rows = self.store.query(
                "MATCH (c:Chemical)-[:TARGETS]->(g:Gene) WHERE g.id IN $ids "
                "RETURN c.id AS chemical, c.name AS name, g.id AS gene, g.name AS symbol",
                {"ids": all_genes},
            ).rows
            for r in rows:
                binders.setdefault(r["gene"], []).append((r["chemical"], r["name"]))
        out: dict[str, Candidate] = {}

        def cand(cid: str, name: str) -> Candidate:
            if cid not in out:
                out[cid] = Candidate(cid, name, {f: 0.0 for f in FEATURES})
            return out[cid]

        n_genes = {d: len(gs) for d, gs in genes.items()}
        for via in [disease_id, *similar]:
            feature = "dwpc_CbGaD" if via == disease_id else "dwpc_CbGaDrD"
            for g in genes.get(via, []):
                g_targets, g_assoc = gdeg.get(g, (0, 0))
                for cid, name in binders.get(g, []):
                    w = (
                        max(1, degree.get(cid, 1))
                        * max(1, g_targets)
                        * max(1, g_assoc)
                        * max(1, n_genes.get(via, 1))
                    ) ** -DAMPING
                    if via != disease_id:
                        w *= max(1, len(similar)) ** -DAMPING
                    c = cand(cid, name)
                    c.features[feature] += w
                    if len(c.paths) < 12:
                        c.paths.append(
                            {
                                "path": "CbGaD" if via == disease_id else "CbGaDrD",
                                "gene": g,
                                "via": via,
                                "weight": w,
                            }
                        )
        for r in self._literature([disease_id, *similar]):
            c = cand(r["chemical"], r["name"])
            p = float(r["p"] or 0.0)
            if r["rel"] == "CAUSES":
                if r["disease"] == disease_id:
                    c.features["lit_causes"] = max(c.features["lit_causes"], p)
            elif r["disease"] == disease_id:
                c.features["lit_treats"] = max(c.features["lit_treats"], p)
            else:
                c.features["lit_treats_similar"] = max(c.features["lit_treats_similar"], p)
            c.paths.append(
                {
                    "path": f"C{r['rel'].lower()}D",
                    "via": r["disease"],
                    "p": p,
                    "evidence_count": r["n"],
                    "statement": r["statement"],
                }
            )
        d_degree = n_genes.get(disease_id, 0)
        for c in out.values():
            for name in ("dwpc_CbGaD", "dwpc_CbGaDrD"):  # heavy-tailed: asinh, as Rephetio
                c.features[name] = math.asinh(c.features[name] / DWPC_SCALE)
            c.features["log_degree_chemical"] = math.log1p(degree.get(c.id, 0))
            c.features["log_degree_disease"] = math.log1p(d_degree)
        return out

    def features_for(
        self, disease_id: str, chemicals: Sequence[str]
    ) -> dict[str, dict[str, float]]:
        """Features of the given chemicals (zero paths where none reach the disease)."""
        found = self.gather(disease_id)
        degree = self.chemical_degree()
        d_degree = len(self._genes([disease_id]).get(disease_id, []))
        out = {}
        for cid in chemicals:
            if cid in found:
                out[cid] = found[cid].features
            else:
                f = {name: 0.0 for name in FEATURES}
                f["log_degree_chemical"] = math.log1p(degree.get(cid, 0))
                f["log_degree_disease"] = math.log1p(d_degree)
                out[cid] = f
        return out
