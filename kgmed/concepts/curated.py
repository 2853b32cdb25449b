"""Curated open facts from Hetionet v1.0 (committed under ``ontologies/hetionet/``).

* ``disease-gene.tsv``: Disease ASSOCIATED_WITH Gene (DISEASES, DOAF, GWAS Catalog rows).
* ``compound-gene.tsv``: Chemical TARGETS Gene (BindingDB, ChEMBL, DrugCentral rows).
* ``disease-disease.tsv``: Disease RESEMBLES Disease (MEDLINE co-occurrence, Fisher p < 0.005).
* ``genes.tsv``: Entrez gene symbols for the genes above.

And the DDXPlus knowledge base (CC BY 4.0, ``ontologies/ddxplus/``): the symptoms clinicians
listed for 49 pathologies, mapped to DO and SYMP by hand (the mapping files say how).

Only rows under CC0 or CC BY were kept (``ontologies/hetionet/derive.py``); no treatment or
palliation edges are shipped: those are the evaluation gold standard of ``kgmed eval infer``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from kgmed.concepts.ontology import OntologyContent, _require, curated_evidence, dataset_document
from kgmed.core.errors import OntologyError
from kgmed.core.ids import normalize_curie
from kgmed.core.records import Concept, Relation

SOURCE = "Hetionet"


def _rows(path: Path, needed: set[str]) -> list[dict[str, str]]:
    _require(path)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh, delimiter="\t")
            if reader.fieldnames is None or not needed <= set(reader.fieldnames):
                raise OntologyError(f"{path} lacks the columns {sorted(needed)}")
            return list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OntologyError(f"cannot read {path}: {exc}") from exc


def read_hetionet(
    folder: Path, known_diseases: set[str], known_chemicals: set[str]
) -> tuple[OntologyContent, dict[str, int]]:
    """Genes and the three fact tables; rows whose disease or chemical is not loaded are
    skipped and counted per table."""
    symbols = {
        r["entrez_gene_id"]: r["symbol"]
        for r in _rows(folder / "genes.tsv", {"entrez_gene_id", "symbol"})
    }
    document = dataset_document(SOURCE, folder / "hetionet-v1.0", "v1.0")
    evidence = (curated_evidence(document, SOURCE),)
    genes: dict[str, Concept] = {}
    relations: list[Relation] = []
    skipped = {"ASSOCIATED_WITH": 0, "TARGETS": 0, "RESEMBLES": 0}

    def gene(entrez: str) -> str:
        gid = f"NCBIGene:{entrez}"
        if gid not in genes:
            genes[gid] = Concept(gid, "Gene", symbols.get(entrez, gid), source="Entrez Gene")
        return gid

    for r in _rows(folder / "disease-gene.tsv", {"doid_id", "entrez_gene_id"}):
        d = normalize_curie(r["doid_id"])
        if d not in known_diseases:
            skipped["ASSOCIATED_WITH"] += 1
            continue
        relations.append(
            Relation(d, "Disease", "ASSOCIATED_WITH", gene(r["entrez_gene_id"]), "Gene", evidence)
        )
    for r in _rows(folder / "compound-gene.tsv", {"drugbank_id", "entrez_gene_id"}):
        c = normalize_curie(r["drugbank_id"])
        if c not in known_chemicals:
            skipped["TARGETS"] += 1
            continue
        relations.append(
            Relation(c, "Chemical", "TARGETS", gene(r["entrez_gene_id"]), "Gene", evidence)
        )
    for r in _rows(folder / "disease-disease.tsv", {"doid_id_0", "doid_id_1"}):
        a, b = normalize_curie(r["doid_id_0"]), normalize_curie(r["doid_id_1"])
        if a not in known_diseases or b not in known_diseases:
            skipped["RESEMBLES"] += 1
            continue
        relations.append(Relation(a, "Disease", "RESEMBLES", b, "Disease", evidence))
    return OntologyContent(SOURCE, document, list(genes.values()), relations), skipped


DDXPLUS = "DDXPlus"


def read_ddxplus(
    folder: Path, known_diseases: set[str], known_symptoms: set[str]
) -> tuple[OntologyContent, int]:
    """HAS_SYMPTOM facts from the DDXPlus knowledge base (``ontologies/ddxplus/``): each
    pathology's symptom evidences, through the shipped DO and SYMP mappings. Returns the content
    and how many mapped pairs were skipped because an endpoint is not loaded."""
    import json

    path = folder / "release_conditions.json"
    _require(path)
    try:
        conditions = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OntologyError(f"cannot read {path}: {exc}") from exc
    doid = {
        r["condition"]: normalize_curie(r["doid_id"])
        for r in _rows(folder / "conditions-doid.tsv", {"condition", "doid_id"})
    }
    symptoms: dict[str, list[str]] = {}
    for r in _rows(folder / "evidences-symp.tsv", {"evidence", "symptom_id"}):
        symptoms.setdefault(r["evidence"], []).append(normalize_curie(r["symptom_id"]))
    document = dataset_document(DDXPLUS, path, "English release")
    evidence = (curated_evidence(document, DDXPLUS),)
    pairs: set[tuple[str, str]] = set()
    for condition in conditions.values():
        disease = doid.get(condition.get("condition_name", ""))
        if disease is None:
            continue
        for code in condition.get("symptoms", {}):
            pairs.update((disease, s) for s in symptoms.get(code, ()))
    kept = sorted(p for p in pairs if p[0] in known_diseases and p[1] in known_symptoms)
    relations = [Relation(d, "Disease", "HAS_SYMPTOM", s, "Symptom", evidence) for d, s in kept]
    return OntologyContent(DDXPLUS, document, [], relations), len(pairs) - len(kept)
