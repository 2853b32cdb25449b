"""Rank drug candidates for a disease from graph paths (Rephetio's design, smaller).

Features of a (chemical, disease) pair, read with parameterized path queries:

* ``dwpc_CbGaD``: asinh of the degree-weighted path count (damping 0.4) over
  Chemical-TARGETS->Gene<-ASSOCIATED_WITH-Disease;
* ``dwpc_CbGaDrD``: the same through a resembling disease (Disease-RESEMBLES-Disease);
* ``lit_treats``: the literature TREATS probability (noisy-OR of its evidence);
* ``lit_treats_similar``: the best literature TREATS probability to a resembling disease;
* ``lit_treats_related``: the same to a disease next to it in the Disease Ontology (its parents,
  children and siblings under IS_A);
* ``dwpc_CbGbCtD``: chemicals that share a target with one the literature says treats the
  disease (Chemical-TARGETS->Gene<-TARGETS-Chemical-TREATS->Disease, Rephetio's CbGbCtD with
  the literature's TREATS in place of the held-out indications, each path weighted by that
  relationship's probability);
* ``lit_causes``: the literature CAUSES probability (adverse: it should count against);
* ``class_<feature>`` for ``dwpc_CbGaD``, ``dwpc_CbGaDrD``, ``lit_treats``,
  ``lit_treats_similar`` and ``lit_treats_related``: how far the feature's best value among the
  other chemicals of the same drug class (Chemical-IS_A->class<-IS_A-Chemical, the classes the
  INN stems of DrugBank names give: ramipril and lisinopril are both ACE inhibitors) exceeds the
  chemical's own (zero if it has as much itself). It stands in
  for Rephetio's pharmacologic-class and chemical-similarity paths, whose sources are not open:
  a chemical with no open targets and no literature of its own inherits its class's;
* ``log_degree_chemical``, ``log_degree_disease``: log(1 + degree) priors (the chemical's
  TARGETS and the disease's ASSOCIATED_WITH relationships).

Degrees count curated relationships only (the path counts damp by them too), so ingesting
literature adds to a chemical's literature features without moving its other features: the
model fit on a graph with literature ranks a graph without it as well as one fit there. (A
literature-volume prior, log(1 + the chemical's TREATS and CAUSES relationships), raised
held-out AUROC on the graph with literature, 0.810 -> 0.822, but lowered it without
literature, 0.776 -> 0.760: not used.) ``dwpc_CbGbCtD`` and ``lit_treats_related`` were kept
by 5-fold cross-validation grouped by disease on the training diseases of the graph with
literature (AUROC 0.845 -> 0.854; each alone 0.850 and 0.847); a third candidate, the best
TREATS probability among the chemicals sharing a target, added nothing (0.853). The five
class features, designed together (the class version of each path feature but CAUSES), raised
the same cross-validated AUROC 0.853 -> 0.873 (2026-11-29). Damping them by class size
(times size^-w, as the path counts damp by degree, so a 266-member kinase-inhibitor class passes
on less) lowered it (w = 0.2-0.6: 0.870-0.865): not used. Counting only what the best
classmate has beyond the chemical's own value, instead of the classmate's whole value, raised it
0.8722 -> 0.8762 (mean over six fold assignments, each higher; 2026-11-29): a drug the
abstracts say treats the disease no longer ranks behind a class whose members each add their
class's evidence to their own (metformin behind four sulfonylureas for type 2 diabetes).

A logistic regression over standardized features is fit on a training split of the
PharmacotherapyDB disease-modifying indications, split by disease
(``kgmed eval infer --task drugs --fit``), and shipped in ``drug_model.json``; the shipped one
is fit on the default graph, whose literature facts give the literature features their weight.
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
    "dwpc_CbGbCtD",
    "lit_treats_related",
)
# class feature -> the feature of the chemical's classmates it takes the best of
CLASS_FEATURES = {
    "class_dwpc_CbGaD": "dwpc_CbGaD",
    "class_dwpc_CbGaDrD": "dwpc_CbGaDrD",
    "class_lit_treats": "lit_treats",
    "class_lit_treats_similar": "lit_treats_similar",
    "class_lit_treats_related": "lit_treats_related",
}
FEATURES = (*FEATURES, *CLASS_FEATURES)
DEGREE_FEATURES = ("log_degree_chemical", "log_degree_disease")
LITERATURE_FEATURES = (
    "lit_treats",
    "lit_treats_similar",
    "lit_causes",
    "dwpc_CbGbCtD",
    "lit_treats_related",
    "class_lit_treats",
    "class_lit_treats_similar",
    "class_lit_treats_related",
)


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

    def logits_matrix(self, x: Any) -> Any:
        """``logit`` of every row of a feature matrix (columns in ``self.features`` order)."""
        import numpy as np

        scale = np.array([s or 1.0 for s in self.scale])
        return (np.asarray(x, dtype=float) - np.array(self.mean)) / scale @ np.array(
            self.coef
        ) + self.intercept

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
    """One shown answer: a chemical's features for the disease and the paths behind them."""

    id: str
    name: str = ""
    features: dict[str, float] = field(default_factory=dict)
    paths: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CandidateSet:
    """Every chemical with a path to one disease: ``features`` is a row per id (sorted ids,
    columns in ``FEATURES`` order). A common disease reaches thousands of chemicals, so the
    rows are a numpy array and only the shown answers become ``Candidate`` records."""

    disease_id: str
    ids: list[str]
    features: Any  # numpy array, len(ids) x len(FEATURES)
    literature: dict[str, list[dict[str, Any]]]  # chemical -> its TREATS/CAUSES paths
    names: dict[str, str]  # names known from the literature rows
    weights: dict[tuple[str, str], float]  # (disease, gene) -> path weight w/o chemical factor
    disease_genes: int = 0  # the disease's ASSOCIATED_WITH degree
    # (treating chemical, gene) -> CbGbCtD path weight without the candidate's factor
    shared_target_weights: dict[tuple[str, str], float] = field(default_factory=dict)
    # chemical -> (class id, class name), for the chemicals in ``ids`` that have a class
    classes: dict[str, tuple[str, str]] = field(default_factory=dict)
    _index: dict[str, int] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, chemical: str) -> int | None:
        if self._index is None:
            self._index = {c: i for i, c in enumerate(self.ids)}
        return self._index.get(chemical)

    def row(self, chemical: str) -> dict[str, float] | None:
        i = self.index(chemical)
        if i is None:
            return None
        return dict(zip(FEATURES, (float(v) for v in self.features[i]), strict=True))

    def classmate(self, chemical: str, feature: str) -> str | None:
        """The other chemical of ``chemical``'s class with the best ``feature`` (the one its
        ``class_`` feature was read from; ties by id)."""
        own = self.classes.get(chemical)
        if own is None:
            return None
        j = FEATURES.index(feature)
        mates = [m for m, k in self.classes.items() if k == own and m != chemical]
        return min(mates, key=lambda m: (-self.features[self.index(m), j], m), default=None)

    def top(self, model: DrugModel, n: int) -> list[Candidate]:
        """The ``n`` best by logit (ties by id), as records without gene paths yet."""
        import numpy as np

        if not self.ids:
            return []
        z = model.logits_matrix(self.features[:, [FEATURES.index(f) for f in model.features]])
        order = np.lexsort((np.arange(len(self.ids)), -z))[:n]  # ids are sorted: ties by id
        return [
            Candidate(
                self.ids[i],
                self.names.get(self.ids[i], ""),
                dict(zip(FEATURES, (float(v) for v in self.features[i]), strict=True)),
                list(self.literature.get(self.ids[i], [])),
            )
            for i in order
        ]


class DrugReasoner:
    """Gathers path features for every chemical connected to a disease."""

    def __init__(self, store: CypherGraphStore) -> None:
        self.store = store
        self._chemical_degree: dict[str, int] | None = None
        self._gene_degrees: dict[str, tuple[int, int]] | None = None
        self._classes: dict[str, tuple[str, str]] | None = None
        self._members: dict[str, list[str]] = {}

    def drug_classes(self) -> dict[str, tuple[str, str]]:
        """Chemical -> (class id, class name) from the drug classes' IS_A (read once)."""
        if self._classes is None:
            rows = self.store.query(
                "MATCH (c:Chemical)-[:IS_A]->(k:Chemical) "
                "RETURN c.id AS id, k.id AS class, k.name AS name"
            ).rows
            self._classes = {r["id"]: (r["class"], r["name"]) for r in rows}
            self._members = {}
            for chemical, (k, _) in sorted(self._classes.items()):
                self._members.setdefault(k, []).append(chemical)
        return self._classes

    def chemical_degree(self) -> dict[str, int]:
        """Chemical -> number of TARGETS relationships (curated; read once)."""
        if self._chemical_degree is None:
            rows = self.store.query(
                "MATCH (c:Chemical)-[:TARGETS]->(g:Gene) RETURN c.id AS id, count(*) AS n"
            ).rows
            self._chemical_degree = {r["id"]: int(r["n"]) for r in rows}
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
        rows = self.store.query(  # a row per disease: rows, not values, cost over Bolt
            "MATCH (d:Disease)-[:ASSOCIATED_WITH]->(g:Gene) WHERE d.id IN $ids "
            "RETURN d.id AS disease, collect(g.id) AS genes",
            {"ids": list(disease_ids)},
        ).rows
        return {r["disease"]: list(r["genes"]) for r in rows}

    def _related(self, disease_id: str) -> list[str]:
        """The disease's parents, children and siblings in the Disease Ontology."""
        found: set[str] = set()
        for r in self.store.query(  # a parent's children include the disease: never empty
            "MATCH (d:Disease {id: $id})-[:IS_A]->(p:Disease)<-[:IS_A]-(s:Disease) "
            "RETURN p.id AS parent, collect(s.id) AS children",
            {"id": disease_id},
        ).rows:
            found.add(r["parent"])
            found.update(r["children"])
        found.update(
            r["id"]
            for r in self.store.query(
                "MATCH (o:Disease)-[:IS_A]->(d:Disease {id: $id}) RETURN o.id AS id",
                {"id": disease_id},
            ).rows
        )
        found.discard(disease_id)
        return sorted(found)

    def _shared_targets(
        self, treaters: dict[str, float]
    ) -> tuple[dict[tuple[str, str], float], dict[str, list[str]]]:
        """CbGbCtD: for chemicals the literature says treat the disease (``treaters``: id ->
        TREATS probability), the weight of each (treater, shared gene) path without the
        candidate's own degree factor, and the gene's binders."""
        if not treaters:
            return {}, {}
        ids = sorted(treaters)
        treats_degree = {
            r["id"]: int(r["n"])
            for r in self.store.query(
                "MATCH (t:Chemical)-[:TREATS]->(:Disease) WHERE t.id IN $ids "
                "RETURN t.id AS id, count(*) AS n",
                {"ids": ids},
            ).rows
        }
        rows = self.store.query(
            "MATCH (t:Chemical)-[:TARGETS]->(g:Gene) WHERE t.id IN $ids "
            "MATCH (c:Chemical)-[:TARGETS]->(g) "
            "WITH t, g, collect(c.id) AS chemicals "
            "RETURN t.id AS treater, g.id AS gene, chemicals",
            {"ids": ids},
        ).rows
        degree = self.chemical_degree()
        gdeg = self.gene_degrees()
        weights: dict[tuple[str, str], float] = {}
        binders: dict[str, list[str]] = {}
        for r in rows:
            t, g = r["treater"], r["gene"]
            weights[(t, g)] = (
                treaters[t]
                * (
                    max(1, len(treaters))  # the disease's literature TREATS degree
                    * max(1, treats_degree.get(t, 1))
                    * max(1, degree.get(t, 1))
                    * max(1, gdeg.get(g, (0, 0))[0]) ** 2  # the gene is on two edges
                )
                ** -DAMPING
            )
            binders[g] = list(r["chemicals"])
        return weights, binders

    def _similar(self, disease_id: str) -> list[str]:
        rows = self.store.query(
            "MATCH (d:Disease {id: $id}) MATCH (d)-[:RESEMBLES]-(o:Disease) "
            "RETURN DISTINCT o.id AS id",
            {"id": disease_id},
        ).rows
        return sorted(r["id"] for r in rows)

    def _literature(self, disease_id: str, treated: Sequence[str]) -> list[dict[str, Any]]:
        """Literature TREATS relationships to the ``treated`` diseases and CAUSES
        relationships to the disease itself (the rows a feature reads)."""
        treats = self.store.query(
            "MATCH (c:Chemical)-[r:TREATS]->(d:Disease) WHERE d.id IN $ids "
            "RETURN c.id AS chemical, c.name AS name, d.id AS disease, "
            "r.probability AS p, r.evidence_count AS n, r.statement AS statement",
            {"ids": list(treated)},
        ).rows
        causes = self.store.query(
            "MATCH (c:Chemical)-[r:CAUSES]->(d:Disease {id: $id}) "
            "RETURN c.id AS chemical, c.name AS name, d.id AS disease, "
            "r.probability AS p, r.evidence_count AS n, r.statement AS statement",
            {"id": disease_id},
        ).rows
        return [{**r, "rel": "TREATS"} for r in treats] + [{**r, "rel": "CAUSES"} for r in causes]

    def gather(self, disease_id: str) -> CandidateSet:
        """Every chemical with a path to the disease, with its features."""
        import numpy as np

        degree = self.chemical_degree()
        gdeg = self.gene_degrees()
        similar = self._similar(disease_id)
        vias = [disease_id, *similar]
        genes = self._genes(vias)
        # Gene -> its binders, reached from the few disease ids (a long IN list of gene ids is
        # 3x slower on LadybugDB) and returned as one row (thousands of rows cost more over
        # Bolt than the traversal); no names: ``explain`` fetches those of the shown answers.
        row = self.store.query(
            "MATCH (d:Disease) WHERE d.id IN $ids MATCH (d)-[:ASSOCIATED_WITH]->(g:Gene) "
            "WITH DISTINCT g MATCH (c:Chemical)-[:TARGETS]->(g) "
            "WITH g, collect(c.id) AS chemicals "
            "RETURN collect(g.id) AS genes, collect(chemicals) AS binders",
            {"ids": vias},
        ).rows
        binders = dict(zip(row[0]["genes"], row[0]["binders"], strict=True)) if row else {}

        # DWPC: each path's weight is the product of its nodes' degrees to the -DAMPING; the
        # chemical's factor is the same on all its paths, so it is applied once per chemical.
        n_genes = {d: len(gs) for d, gs in genes.items()}
        weights: dict[tuple[str, str], float] = {}
        for via in vias:
            via_factor = max(1, n_genes.get(via, 1)) ** -DAMPING
            if via != disease_id:
                via_factor *= max(1, len(similar)) ** -DAMPING
            for g in genes.get(via, []):
                g_targets, g_assoc = gdeg.get(g, (0, 0))
                weights[(via, g)] = via_factor * (max(1, g_targets) * max(1, g_assoc)) ** -DAMPING
        # path-count feature -> (chemical at each path's start, the path's weight)
        paths: dict[str, tuple[list[str], list[float]]] = {
            name: ([], []) for name in ("dwpc_CbGaD", "dwpc_CbGaDrD", "dwpc_CbGbCtD")
        }

        def add_paths(name: str, found: Sequence[str], weight: float) -> None:
            paths[name][0].extend(found)
            paths[name][1].extend([weight] * len(found))

        for (via, g), w in weights.items():
            add_paths("dwpc_CbGaD" if via == disease_id else "dwpc_CbGaDrD", binders.get(g, ()), w)

        literature: dict[str, list[dict[str, Any]]] = {}
        names: dict[str, str] = {}
        related = self._related(disease_id)
        lit_rows = self._literature(disease_id, sorted(set(vias) | set(related)))
        treaters = {
            r["chemical"]: float(r["p"] or 0.0)
            for r in lit_rows
            if r["rel"] == "TREATS" and r["disease"] == disease_id
        }
        shared, shared_binders = self._shared_targets(treaters)
        for (t, g), w in shared.items():
            add_paths("dwpc_CbGbCtD", [c for c in shared_binders[g] if c != t], w)
        for r in lit_rows:
            names[r["chemical"]] = r["name"]
            literature.setdefault(r["chemical"], []).append(
                {
                    "path": f"C{r['rel'].lower()}D",
                    "via": r["disease"],
                    "p": float(r["p"] or 0.0),
                    "evidence_count": r["n"],
                    "statement": r["statement"],
                }
            )
        reached = {c for found, _ in paths.values() for c in found} | set(literature)
        classes = self.drug_classes()  # a classmate of a reached chemical is a candidate too
        hit = {classes[c][0] for c in reached if c in classes}
        ids = sorted(reached.union(*(self._members[k] for k in hit)))
        x = np.zeros((len(ids), len(FEATURES)))
        col = {name: j for j, name in enumerate(FEATURES)}
        chem_degree = np.array([degree.get(c, 0) for c in ids], dtype=float)
        sorted_ids = np.array(ids, dtype=object)
        for name, (found, path_weights) in paths.items():
            if found:
                where = np.searchsorted(sorted_ids, np.array(found, dtype=object))
                x[:, col[name]] = np.bincount(where, weights=path_weights, minlength=len(ids))
            x[:, col[name]] = np.arcsinh(  # heavy-tailed: asinh, as Rephetio
                x[:, col[name]] * np.maximum(1.0, chem_degree) ** -DAMPING / DWPC_SCALE
            )
        index = {c: i for i, c in enumerate(ids)} if literature else {}
        resembling, near = set(similar), set(related)
        for chem, statements in literature.items():
            for p in statements:
                via = p["via"]
                if p["path"] == "CcausesD":
                    names_of = ["lit_causes"] if via == disease_id else []
                elif via == disease_id:
                    names_of = ["lit_treats"]
                else:  # a disease can both resemble this one and sit next to it in DO
                    names_of = ["lit_treats_similar"] * (via in resembling)
                    names_of += ["lit_treats_related"] * (via in near)
                for name in names_of:
                    i, j = index[chem], col[name]
                    x[i, j] = max(x[i, j], p["p"])
        x[:, col["log_degree_chemical"]] = np.log1p(chem_degree)
        x[:, col["log_degree_disease"]] = math.log1p(n_genes.get(disease_id, 0))
        in_class = {c: classes[c] for c in ids if c in classes}
        _class_features(ids, x, in_class)
        return CandidateSet(
            disease_id,
            ids,
            x,
            literature,
            names,
            weights,
            n_genes.get(disease_id, 0),
            shared,
            in_class,
        )

    def explain(
        self, found: CandidateSet, candidates: Sequence[Candidate], top_paths: int = 12
    ) -> None:
        """Fill in names and the strongest gene paths of the candidates to be shown."""
        class_paths = {c.id: _class_paths(found, c) for c in candidates}
        mates = {p["chemical"] for paths in class_paths.values() for p in paths}
        unnamed = sorted({c.id for c in candidates if not c.name} | mates)
        names = {}
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
        for paths in class_paths.values():
            for p in paths:
                p["chemical_name"] = names.get(p["chemical"]) or p["chemical"]
        degree = self.chemical_degree()
        routes: dict[str, list[tuple[str, str]]] = {}  # chemical -> (via, gene) steps
        chemicals = sorted({c.id for c in candidates})
        for query, vias in (
            (  # CbGaD, CbGaDrD: via a disease (this one or a resembling one)
                "MATCH (c:Chemical) WHERE c.id IN $chemicals "
                "MATCH (c)-[:TARGETS]->(g:Gene)<-[:ASSOCIATED_WITH]-(v:Disease) "
                "WHERE v.id IN $vias RETURN c.id AS chemical, g.id AS gene, v.id AS via",
                sorted({via for via, _ in found.weights}),
            ),
            (  # CbGbCtD: via a chemical the literature says treats this disease
                "MATCH (c:Chemical) WHERE c.id IN $chemicals "
                "MATCH (c)-[:TARGETS]->(g:Gene)<-[:TARGETS]-(v:Chemical) "
                "WHERE v.id IN $vias RETURN c.id AS chemical, g.id AS gene, v.id AS via",
                sorted({via for via, _ in found.shared_target_weights}),
            ),
        ):
            if not (chemicals and vias):
                continue
            rows = self.store.query(query, {"chemicals": chemicals, "vias": vias}).rows
            for r in rows:
                if r["via"] != r["chemical"]:
                    routes.setdefault(r["chemical"], []).append((r["via"], r["gene"]))
        for c in candidates:
            chem_factor = max(1, degree.get(c.id, 1)) ** -DAMPING
            steps = []
            for step in routes.get(c.id, ()):
                if step in found.weights:  # (disease, gene)
                    kind = "CbGaD" if step[0] == found.disease_id else "CbGaDrD"
                    steps.append((found.weights[step] * chem_factor, kind, *step))
                if step in found.shared_target_weights:  # (treating chemical, gene)
                    w = found.shared_target_weights[step] * chem_factor
                    steps.append((w, "CbGbCtD", *step))
            strongest = sorted(steps, key=lambda t: (-t[0], t[2], t[3]))[:top_paths]
            c.paths = (
                [
                    {"path": kind, "gene": g, "via": via, "weight": w}
                    for w, kind, via, g in strongest
                ]
                + [p for p in c.paths if "statement" in p and p["path"] != "class"]
                + class_paths[c.id]
            )

    def features_for(
        self, disease_id: str, chemicals: Sequence[str]
    ) -> dict[str, dict[str, float]]:
        """Features of the given chemicals (zero paths where none reach the disease)."""
        found = self.gather(disease_id)
        degree = self.chemical_degree()
        out = {}
        for cid in chemicals:
            row = found.row(cid)
            if row is None:
                row = dict.fromkeys(FEATURES, 0.0)
                row["log_degree_chemical"] = math.log1p(degree.get(cid, 0))
                row["log_degree_disease"] = math.log1p(found.disease_genes)
            out[cid] = row
        return out


def _class_features(ids: Sequence[str], x: Any, classes: dict[str, tuple[str, str]]) -> None:
    """Fill the ``class_`` columns of ``x``: for each chemical, how far the best value of the
    feature among the other chemicals of its class exceeds its own (zero when it has as much
    itself): the class stands in for what the chemical lacks (rows of ``ids``; ``classes``
    holds those with a class)."""
    import numpy as np

    groups: dict[str, list[int]] = {}
    for i, c in enumerate(ids):
        if c in classes:
            groups.setdefault(classes[c][0], []).append(i)
    for members in groups.values():
        if len(members) < 2:
            continue
        rows = np.array(members)
        for name, feature in CLASS_FEATURES.items():
            values = x[rows, FEATURES.index(feature)]
            best = int(values.argmax())
            out = np.full(len(rows), values[best])
            out[best] = np.delete(values, best).max()  # the best chemical gets the runner-up
            x[rows, FEATURES.index(name)] = np.maximum(0.0, out - values)


def _class_paths(found: CandidateSet, candidate: Candidate) -> list[dict[str, Any]]:
    """For each ``class_`` feature a candidate has, the classmate it came from, with that
    classmate's literature statement where the feature is a literature one."""
    out: list[dict[str, Any]] = []
    own = found.classes.get(candidate.id)
    if own is None:
        return out
    for name, feature in CLASS_FEATURES.items():
        value = candidate.features.get(name, 0.0)
        mate = found.classmate(candidate.id, feature) if value > 0 else None
        if mate is None:
            continue
        path: dict[str, Any] = {
            "path": "class",
            "feature": feature,
            "class": own[0],
            "class_name": own[1],
            "chemical": mate,
            "value": value,
        }
        if feature.startswith("lit_"):  # the classmate's statement that gave the value
            row = found.row(mate)
            mate_value = row[feature] if row is not None else None  # the value is the excess
            statement = next(
                (
                    p
                    for p in found.literature.get(mate, [])
                    if p["path"] == "CtreatsD" and p["p"] == mate_value
                ),
                None,
            )
            if statement is not None:
                path.update({k: statement[k] for k in ("via", "p", "evidence_count", "statement")})
        out.append(path)
    return out
