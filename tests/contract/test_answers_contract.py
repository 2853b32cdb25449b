"""The reasoning layer gives the same answers on every backend (run on both stores)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kgmed.answers.diagnosis import DiagnosisParams, rank
from kgmed.answers.drugs import FEATURES, DrugModel
from kgmed.answers.infer import Inference
from kgmed.core.errors import NotFoundError
from tests import graphdata

PARAMS = DiagnosisParams(
    theta=0.9, eps=0.05, beta=0.2, gamma=0.0, lam_specific=0.9, lam_general=0.5
)


@pytest.fixture
def inference(store):
    graphdata.load(store)
    return Inference(store)


def ids(result):
    return [r["id"] for r in result["results"]]


def test_diagnosis_ranks_by_matched_symptoms(inference):
    result = inference.diagnose("fever, cough, myalgia, headache", params=PARAMS)
    assert ids(result)[0] == "DOID:8469"  # influenza has all four
    assert [x["id"] for x in result["linked"]] == [
        "SYMP:0000613",
        "SYMP:0000614",
        "SYMP:0019161",
        "SYMP:0000504",
    ]
    top = result["results"][0]
    matched = {m["id"] for m in top["explanation"]["matched"]}
    assert matched == {"SYMP:0000613", "SYMP:0000614", "SYMP:0019161", "SYMP:0000504"}
    evidence = [e for m in top["explanation"]["matched"] for e in m["evidence"]]
    assert any(e["sentence"] == graphdata.S1 and e["document"] == "PMID:900001" for e in evidence)


def test_negated_symptom_counts_against(inference):
    with_fever = ids(inference.diagnose("cough, headache, fever", params=PARAMS))
    without = inference.diagnose("cough, headache, no fever", params=PARAMS)
    assert with_fever[0] == "DOID:8469"
    assert ids(without)[0] == "DOID:10459"  # the common cold has no fever
    assert without["linked"][2]["negated"] is True
    flu = next(r for r in without["results"] if r["id"] == "DOID:8469")
    assert flu["explanation"]["contradicted"][0]["id"] == "SYMP:0000613"


def test_same_full_ranking_and_scores(inference):
    result = inference.diagnose("fever, cough, fatigue", params=PARAMS, top=10)
    # COVID-19 has all three; influenza two (and two unreported); pneumonia fever only (its
    # cough evidence is negated); the cold cough, type 2 diabetes fatigue.
    assert ids(result)[:2] == ["DOID:0080600", "DOID:8469"]
    assert set(ids(result)) == {"DOID:0080600", "DOID:8469", "DOID:552", "DOID:10459", "DOID:9352"}
    scores = [r["score"] for r in result["results"]]
    assert scores == sorted(scores, reverse=True) and abs(sum(scores) - 1) < 1e-3


def test_synonyms_link_and_unknown_symptoms_fail_clearly(inference):
    result = inference.diagnose("pyrexia, myalgia", params=PARAMS)
    assert [x["method"] for x in result["linked"]] == ["synonym", "synonym"]
    assert [x["id"] for x in result["linked"]] == ["SYMP:0000613", "SYMP:0019161"]
    with pytest.raises(NotFoundError) as err:
        inference.diagnose("glowing toenails", params=PARAMS)
    assert "glowing toenails" in err.value.message


def model() -> DrugModel:
    weights = {
        "dwpc_CbGaD": 1.0,
        "dwpc_CbGaDrD": 0.5,
        "lit_treats": 2.0,
        "lit_treats_similar": 0.5,
        "lit_causes": -2.0,
    }
    return DrugModel(
        FEATURES,
        [0.0] * len(FEATURES),
        [1.0] * len(FEATURES),
        [weights.get(f, 0.0) for f in FEATURES],
        -1.0,
    )


def test_drugs_for_disease_with_paths(inference):
    result = inference.drugs_for("T2DM", model=model())
    assert result["linked"][0]["id"] == "DOID:9352"
    assert ids(result) == ["DRUGBANK:DB00331"]
    paths = result["results"][0]["explanation"]["paths"]
    kinds = {p["path"] for p in paths}
    assert {"CbGaD", "CtreatsD"} <= kinds
    treats = next(p for p in paths if p["path"] == "CtreatsD")
    assert ("PMID:900002", graphdata.S2) in {
        (e["document"], e["sentence"]) for e in treats["evidence"]
    }


def test_drugs_for_accepts_ids_and_suggests_names(inference):
    assert inference.drugs_for("DOID:9352", model=model())["linked"][0]["method"] == "id"
    with pytest.raises(NotFoundError) as err:
        inference.drugs_for("type 2 diabetis", model=model())
    assert "type 2 diabetes mellitus" in err.value.message


def test_a_rare_symptom_weighs_more_than_a_common_one(inference):
    """With a symptom-specific leak (kappa > 0) the disease explaining the rarer symptom wins;
    with a constant leak the two single matches tie and the id breaks the tie."""
    facts = inference.diagnosis.gather(inference.link_symptoms("fever, polyuria"))
    assert facts.share["SYMP:0000613"] > facts.share["SYMP:0000565"]  # fever is the commoner
    flat = [d for d, _, _ in rank(facts, PARAMS)]
    weighted = [d for d, _, _ in rank(facts, replace(PARAMS, kappa=0.5))]
    diabetes = "DOID:9352"  # has polyuria, not fever
    assert weighted.index(diabetes) < flat.index(diabetes)


def test_a_root_symptom_category_is_no_evidence_for_a_disease(store, inference):
    """Co-occurrence once linked a disease to the Symptom Ontology's root "symptom"; as the
    general form of every symptom it matched every query. Roots and their children (the
    categories) are left out of the reasoning."""
    from kgmed.core.records import Concept

    root = Concept("SYMP:0000462", "Symptom", "symptom", source="SYMP")
    general = Concept("SYMP:0000567", "Symptom", "general symptom", source="SYMP")
    bgd = Concept("DOID:3720", "Disease", "basal ganglia disease", source="DO")
    store.upsert_concepts([root, general, bgd])
    store.upsert_relations(
        [
            graphdata.rel(general, "IS_A", root, graphdata.CURATED),
            graphdata.rel(graphdata.FEVER, "IS_A", general, graphdata.CURATED),
            graphdata.rel(graphdata.COUGH, "IS_A", general, graphdata.CURATED),
            graphdata.rel(bgd, "HAS_SYMPTOM", root, graphdata.CURATED),
            graphdata.rel(bgd, "HAS_SYMPTOM", general, graphdata.CURATED),
            # a finding filed directly under the root is no category
            graphdata.rel(graphdata.POLYURIA, "IS_A", root, graphdata.CURATED),
        ]
    )
    assert inference.diagnosis.categories() == {"SYMP:0000462", "SYMP:0000567"}
    result = inference.diagnose("fever, cough", params=PARAMS, top=20)
    assert "DOID:3720" not in ids(result)
    assert ids(result)[0] == "DOID:0080600"


def test_a_phrase_with_modifiers_links_to_the_name_inside_it(inference):
    links = inference.link_symptoms("cough at night, sudden high fever, no muscle pain at rest")
    assert [(x.id, x.method, x.negated) for x in links] == [
        ("SYMP:0000614", "partial", False),
        ("SYMP:0000613", "partial", False),
        ("SYMP:0019161", "partial", True),
    ]


def test_literature_moves_only_the_literature_features(inference):
    """A chemical's degree (and so its path-count damping) counts curated TARGETS only:
    metformin's literature TREATS and CAUSES relationships show in its literature features,
    not in its degree; oseltamivir, with literature only, has degree 0."""
    import math

    rows = inference.drugs.features_for("DOID:9352", ["DRUGBANK:DB00331", "DRUGBANK:DB00198"])
    metformin, oseltamivir = rows["DRUGBANK:DB00331"], rows["DRUGBANK:DB00198"]
    assert metformin["log_degree_chemical"] == pytest.approx(math.log1p(1))  # PPARG
    assert metformin["lit_treats"] > 0.5 and metformin["dwpc_CbGaD"] > 0
    assert oseltamivir["log_degree_chemical"] == 0.0 and oseltamivir["lit_treats"] == 0.0


def test_shared_targets_and_ontology_neighbours_feed_the_literature_features(inference):
    """CbGbCtD: pioglitazone shares PPARG with metformin, which the literature says treats
    type 2 diabetes (metformin is no path of its own); lit_treats_related: oseltamivir treats
    influenza, a sibling of COVID-19 and of the common cold under viral infectious disease
    (the cold also resembles influenza)."""
    from kgmed.core.records import Concept

    pioglitazone = Concept("DRUGBANK:DB01132", "Chemical", "Pioglitazone", source="DrugBank")
    store = inference.drugs.store
    store.upsert_concepts([pioglitazone])
    store.upsert_relations(
        [graphdata.rel(pioglitazone, "TARGETS", graphdata.PPARG, graphdata.CURATED)]
    )
    rows = inference.drugs.features_for("DOID:9352", [pioglitazone.id, graphdata.METFORMIN.id])
    assert rows[pioglitazone.id]["dwpc_CbGbCtD"] > 0
    assert rows[graphdata.METFORMIN.id]["dwpc_CbGbCtD"] == 0
    oseltamivir = graphdata.OSELTAMIVIR.id
    covid = inference.drugs.features_for(graphdata.COVID.id, [oseltamivir])[oseltamivir]
    cold = inference.drugs.features_for(graphdata.COLD.id, [oseltamivir])[oseltamivir]
    assert covid["lit_treats_related"] == pytest.approx(0.95) and covid["lit_treats_similar"] == 0
    assert cold["lit_treats_related"] == pytest.approx(0.95) == cold["lit_treats_similar"]
    assert covid["lit_treats"] == 0

    base = model()
    coef = [2.0 if f == "dwpc_CbGbCtD" else c for f, c in zip(FEATURES, base.coef, strict=True)]
    weighted = replace(base, coef=coef)
    result = inference.drugs_for("T2DM", model=weighted)
    pio = next(r for r in result["results"] if r["id"] == pioglitazone.id)
    assert {
        "path": "CbGbCtD",
        "gene": graphdata.PPARG.id,
        "via": graphdata.METFORMIN.id,
    }.items() <= next(p for p in pio["explanation"]["paths"] if p["path"] == "CbGbCtD").items()


def _phenformin_a_biguanide(inference, *more):
    """Phenformin and metformin as members of the class "biguanide"; ``more``: functions of
    phenformin giving further relations to write with them."""
    from kgmed.core.records import Concept

    biguanide = Concept("KGMED:drug-class/biguanide", "Chemical", "biguanide")
    phenformin = Concept("DRUGBANK:DB00914", "Chemical", "Phenformin", source="DrugBank")
    store = inference.drugs.store
    store.upsert_concepts([biguanide, phenformin])
    store.upsert_relations(
        [
            graphdata.rel(drug, "IS_A", biguanide, graphdata.CURATED)
            for drug in (phenformin, graphdata.METFORMIN)
        ]
        + [relation(phenformin) for relation in more]
    )
    return phenformin


def _class_paths(inference, drug_id):
    """The class paths explaining ``drug_id`` for type 2 diabetes, under the shipped model with
    a large class_lit_treats weight (so the drug is among the answers)."""
    base = model()
    coef = [2.0 if f == "class_lit_treats" else c for f, c in zip(FEATURES, base.coef, strict=True)]
    result = inference.drugs_for("T2DM", model=replace(base, coef=coef))
    answer = next(r for r in result["results"] if r["id"] == drug_id)
    return [p for p in answer["explanation"]["paths"] if p["path"] == "class"]


def test_a_drug_class_passes_its_members_paths_to_each_other(inference):
    """Phenformin, with no target and no literature of its own, is a biguanide like metformin:
    it takes metformin's TREATS probability and gene paths as its class features, and its
    explanation names metformin and the statement; metformin's only classmate has none."""
    phenformin = _phenformin_a_biguanide(inference)
    rows = inference.drugs.features_for("DOID:9352", [phenformin.id, graphdata.METFORMIN.id])
    phen, met = rows[phenformin.id], rows[graphdata.METFORMIN.id]
    assert phen["lit_treats"] == 0 and phen["dwpc_CbGaD"] == 0
    assert phen["class_lit_treats"] == pytest.approx(met["lit_treats"]) and met["lit_treats"] > 0
    assert phen["class_dwpc_CbGaD"] == pytest.approx(met["dwpc_CbGaD"]) and met["dwpc_CbGaD"] > 0
    assert met["class_lit_treats"] == 0 == met["class_dwpc_CbGaD"]

    path = _class_paths(inference, phenformin.id)[0]
    assert {
        "feature": "lit_treats",
        "class_name": "biguanide",
        "chemical": graphdata.METFORMIN.id,
        "chemical_name": "Metformin",
        "via": "DOID:9352",
    }.items() <= path.items()
    assert ("PMID:900002", graphdata.S2) in {
        (e["document"], e["sentence"]) for e in path["evidence"]
    }


def test_a_class_feature_is_what_the_best_classmate_has_beyond_the_drug_itself(inference):
    """Phenformin with a weaker TREATS of its own than metformin's: its class feature is the
    difference, and its explanation still names metformin's statement."""
    phenformin = _phenformin_a_biguanide(
        inference,
        lambda drug: graphdata.rel(
            drug, "TREATS", graphdata.T2DM, graphdata.lit("PMID:900003", 0.3, "P.", 0)
        ),
    )
    rows = inference.drugs.features_for("DOID:9352", [phenformin.id, graphdata.METFORMIN.id])
    phen, met = rows[phenformin.id], rows[graphdata.METFORMIN.id]
    assert 0 < phen["lit_treats"] < met["lit_treats"]
    assert phen["class_lit_treats"] == pytest.approx(met["lit_treats"] - phen["lit_treats"])
    assert met["class_lit_treats"] == 0  # it has more than its classmate

    path = next(p for p in _class_paths(inference, phenformin.id) if p["feature"] == "lit_treats")
    assert path["chemical"] == graphdata.METFORMIN.id
    assert path["value"] == pytest.approx(phen["class_lit_treats"])
    assert path["statement"] == f"{graphdata.METFORMIN.id}|TREATS|{graphdata.T2DM.id}"
