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

    def logits(self, rows: Sequence[dict[str, float]]) -> list[float]:
        """``logit`` of many candidates at once (numpy: a common disease has thousands)."""
        import numpy as np

        if not rows:
            return []
        x = np.array([[r.get(name, 0.0) for name in self.features] for r in rows], dtype=float)
        scale = np.array([s or 1.0 for s in self.scale])
        z = (x - np.array(self.mean)) / scale @ np.array(self.coef) + self.intercept
        return [float(v) for v in z]

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
    """A chemical's features for one disease, and the paths behind them.

    ``routes`` are the (disease, gene, weight) steps of its gene paths (weights without the
    chemical's own degree factor); ``paths`` holds the
    literature paths. ``DrugReasoner.explain`` turns both into the answer's explanation, only
    for the candidates shown (a common disease reaches thousands of chemicals)."""

    id: str
    name: str = ""
    features: dict[str, float] = field(default_factory=dict)
    paths: list[dict[str, Any]] = field(default_factory=list)
    routes: list[tuple[str, str, float]] = field(default_factory=list)


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
        """Every chemical with a path to the disease, with its features and routes."""
        degree = self.chemical_degree()
        gdeg = self.gene_degrees()
        similar = self._similar(disease_id)
        vias = [disease_id, *similar]
        genes = self._genes(vias)
        # Gene -> its binders, collected per gene and reached from the few disease ids (a long
        # IN list of gene ids is 3x slower on LadybugDB); no names: those of the shown answers
        # are fetched by ``explain``.
        rows = self.store.query(
            "MATCH (d:Disease) WHERE d.id IN $ids MATCH (d)-[:ASSOCIATED_WITH]->(g:Gene) "
            "WITH DISTINCT g MATCH (c:Chemical)-[:TARGETS]->(g) "
            "RETURN g.id AS gene, collect(c.id) AS chemicals",
            {"ids": vias},
        ).rows
        binders = {r["gene"]: r["chemicals"] for r in rows}

        # DWPC: each path's weight is the product of its nodes' degrees to the -DAMPING; the
        # chemical's factor is the same on all its paths, so it is applied once at the end.
        sums: dict[str, dict[str, float]] = {"dwpc_CbGaD": {}, "dwpc_CbGaDrD": {}}
        routes: dict[str, list[tuple[str, str, float]]] = {}
        n_genes = {d: len(gs) for d, gs in genes.items()}
        for via in vias:
            acc = sums["dwpc_CbGaD" if via == disease_id else "dwpc_CbGaDrD"]
            via_factor = max(1, n_genes.get(via, 1)) ** -DAMPING
            if via != disease_id:
                via_factor *= max(1, len(similar)) ** -DAMPING
            for g in genes.get(via, []):
                g_targets, g_assoc = gdeg.get(g, (0, 0))
                w = via_factor * (max(1, g_targets) * max(1, g_assoc)) ** -DAMPING
                for cid in binders.get(g, ()):
                    acc[cid] = acc.get(cid, 0.0) + w
                    if cid in routes:
                        routes[cid].append((via, g, w))
                    else:
                        routes[cid] = [(via, g, w)]
        out: dict[str, Candidate] = {}

        def cand(cid: str, name: str = "") -> Candidate:
            c = out.get(cid)
            if c is None:
                c = out[cid] = Candidate(cid, name, dict.fromkeys(FEATURES, 0.0))
            return c

        for cid, steps in routes.items():
            chem_factor = max(1, degree.get(cid, 1)) ** -DAMPING
            c = cand(cid)
            c.routes = steps  # weights without the chemical's factor: see ``explain``
            for name, acc in sums.items():
                c.features[name] = acc.get(cid, 0.0) * chem_factor
        for r in self._literature(vias):
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
        d_degree = math.log1p(n_genes.get(disease_id, 0))
        for c in out.values():
            for name in ("dwpc_CbGaD", "dwpc_CbGaDrD"):  # heavy-tailed: asinh, as Rephetio
                c.features[name] = math.asinh(c.features[name] / DWPC_SCALE)
            c.features["log_degree_chemical"] = math.log1p(degree.get(c.id, 0))
            c.features["log_degree_disease"] = d_degree
        return out

    def explain(self, disease_id: str, candidates: Sequence[Candidate], top_paths: int = 12) -> None:
        """Fill in names and the strongest gene paths of the candidates to be shown."""
        unnamed = sorted({c.id for c in candidates if not c.name})
        if unnamed:
            names = {
                r["id"]: r["name"]
                for r in self.store.query(
                    "MATCH (c:Chemical) WHERE c.id IN $ids RETURN c.id AS id, c.name AS name",
                    {"ids": unnamed},
                ).rows
            }
            for c in candidates:
                c.name = c.name or names.get(c.id) or c.id
        degree = self.chemical_degree()
        for c in candidates:
            chem_factor = max(1, degree.get(c.id, 1)) ** -DAMPING
            strongest = sorted(c.routes, key=lambda t: (-t[2], t[0], t[1]))[:top_paths]
            c.paths = [
                {
                    "path": "CbGaD" if via == disease_id else "CbGaDrD",
                    "gene": g,
                    "via": via,
                    "weight": w * chem_factor,
                }
                for via, g, w in strongest
            ] + [p for p in c.paths if "statement" in p]

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
