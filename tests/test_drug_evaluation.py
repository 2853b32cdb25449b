"""The drug evaluation on a small hand-made gold standard: split by disease, baselines beside,
and a refit that does not overwrite the shipped model unless asked."""

from __future__ import annotations

from pathlib import Path

from kgmed.answers.drugs import FEATURES, MODEL_FILE
from kgmed.answers.infer import Inference
from kgmed.config.settings import Settings
from kgmed.evaluation.infer import disease_split, evaluate_drugs
from kgmed.graph.open import open_store
from tests import graphdata

DISEASES = ["DOID:8469", "DOID:10459", "DOID:0080600", "DOID:9351", "DOID:9352", "DOID:552"]
COMPOUNDS = ["DB00198", "DB00331", "DB00316", "DB00682", "DB00945"]
# (disease, compound): metformin for type 2 diabetes and for diabetes (the test-split disease),
# oseltamivir for influenza, aspirin for COVID-19 (made up; a second training positive)
DM_PAIRS = [
    ("DOID:9352", "DB00331"),
    ("DOID:9351", "DB00331"),
    ("DOID:8469", "DB00198"),
    ("DOID:0080600", "DB00945"),
]


def _tsv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n")


def gold_standard(folder: Path) -> Path:
    learn = folder / "rephetio_validation" / "learn"
    _tsv(learn / "compounds.tsv", ["compound_id"], [[c] for c in COMPOUNDS])
    _tsv(learn / "diseases.tsv", ["disease_id"], [[d] for d in DISEASES])
    header = ["doid_id", "drugbank_id", "disease", "drug", "category"]
    dm = [[d, c, "", "", "DM"] for d, c in DM_PAIRS]
    _tsv(folder / "pharmacotherapydb" / "indications.tsv", header, dm)
    _tsv(folder / "rephetio_validation" / "drugcentral" / "indications.tsv", header, dm[:2])
    return folder


def test_refit_without_saving_leaves_the_shipped_model(tmp_path):
    assert disease_split("DOID:9351") == "test" and disease_split("DOID:9352") == "train"
    shipped = MODEL_FILE.read_bytes()
    try:
        with open_store(Settings(store=str(tmp_path / "graph"))) as store:
            graphdata.load(store)
            data = gold_standard(tmp_path / "data")
            result = evaluate_drugs(Inference(store), data, fit=True, save=False)
        written = MODEL_FILE.read_bytes()
    finally:
        if MODEL_FILE.read_bytes() != shipped:  # a failing run must not leave the package changed
            MODEL_FILE.write_bytes(shipped)
    assert written == shipped
    assert result["diseases"] == len(DISEASES) and result["compounds"] == len(COMPOUNDS)
    assert set(result["coef"]) == set(FEATURES)
    held_out = result["test_pharmacotherapydb"]
    assert held_out["kgmed"]["n_pos"] == 1 and held_out["kgmed"]["n"] == len(COMPOUNDS)
    assert 0.0 <= held_out["kgmed"]["auroc"] <= 1.0 and "auroc" in held_out["degree_baseline"]
    train = result["train_pharmacotherapydb"]["kgmed"]
    assert train["n_pos"] == 3 and train["auroc"] > 0.5  # fit there: it must rank above chance
