"""The diagnosis score itself (no store: facts built by hand, the formulas checked by value)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from kgmed.answers.diagnosis import DiagnosisParams, DiseaseFacts, Facts, rank, score_disease
from kgmed.concepts.linking import Link

PARAMS = DiagnosisParams(
    theta=0.9, eps=0.05, beta=0.3, gamma=0.0, lam_specific=0.9, lam_general=0.5
)
PAIN, CHEST_PAIN, PLEURITIC = "SYMP:pain", "SYMP:chest-pain", "SYMP:pleuritic-chest-pain"
FEVER = "SYMP:fever"
ANCESTORS = {CHEST_PAIN: {PAIN}, PLEURITIC: {CHEST_PAIN, PAIN}}


def link(sid: str, *, negated: bool = False) -> Link:
    return Link(sid, sid, sid, 1.0, "exact", negated)


def disease(did: str, *symptoms: str) -> DiseaseFacts:
    return DiseaseFacts(did, did, {s: (s, 1.0, 1, f"{did}|{s}") for s in symptoms})


def facts(present: list[str], absent: list[str], *diseases: DiseaseFacts) -> Facts:
    out = Facts([link(s) for s in present], [link(s, negated=True) for s in absent], ANCESTORS)
    out.diseases = {d.id: d for d in diseases}
    return out


def test_a_denied_symptom_rules_out_its_more_specific_forms_only():
    """A denied "chest pain" contradicts "pleuritic chest pain" and "chest pain", not "pain"."""
    general = disease("D:general", FEVER, PAIN)
    specific = disease("D:specific", FEVER, PLEURITIC)
    exact = disease("D:exact", FEVER, CHEST_PAIN)
    f = facts([FEVER], [CHEST_PAIN], general, specific, exact)
    explained = {d.id: score_disease(f, d, PARAMS)[1] for d in (general, specific, exact)}
    assert explained["D:general"]["contradicted"] == []
    assert [c[1] for c in explained["D:specific"]["contradicted"]] == [PLEURITIC]
    assert [c[1] for c in explained["D:exact"]["contradicted"]] == [CHEST_PAIN]
    # pain is then merely unreported: its penalty log(1 - beta), nothing more
    logp, _ = score_disease(f, general, PARAMS)
    leak = PARAMS.eps
    assert math.isclose(logp, math.log(leak + (1 - leak) * 0.9) + math.log(1 - 0.3))
    assert rank(f, PARAMS)[0][0] == "D:general"


def test_the_report_rate_scales_a_long_symptom_list():
    """With nu > 0 each of a disease's symptoms is reported with chance min(1, nu / |S_d|):
    matched and unreported symptoms of a long list both count for less."""
    others = [f"SYMP:other-{i}" for i in range(9)]
    short = disease("D:short", FEVER)
    long = disease("D:long", FEVER, *others)
    f = facts([FEVER], [], short, long)
    assert PARAMS.report_rate(10) == 1.0  # nu = 0: off
    flat = {d: s for d, s, _ in rank(f, PARAMS)}
    assert math.isclose(flat["D:long"] - flat["D:short"], 9 * math.log(1 - 0.3))

    scaled = replace(PARAMS, nu=2.0)
    assert scaled.report_rate(10) == 0.2 and scaled.report_rate(1) == 1.0
    got = {d: s for d, s, _ in rank(f, scaled)}
    leak = PARAMS.eps
    expected_long = math.log(leak + (1 - leak) * 0.9 * 0.2) + 9 * math.log(1 - 0.3 * 0.2)
    assert math.isclose(got["D:long"], expected_long)
    assert math.isclose(got["D:short"], flat["D:short"])  # a short list is unchanged
    assert got["D:long"] - got["D:short"] > flat["D:long"] - flat["D:short"]


def test_the_fit_over_several_graphs_maximises_their_mean_dev_mrr(monkeypatch):
    """Graph A needs a strong "general" match (lam_general 0.6) to rank its answer first;
    graph B a weak one (0.3). Alone each picks its own; together the mean MRR picks 0.6
    (A: 1.0 vs 0.5; B: 0.83 vs 1.0)."""
    from kgmed.evaluation import infer as evaluation

    def case(answer: str, f: Facts) -> tuple[dict[str, str], Facts]:
        return {"doid": answer}, f

    def weighted(did: str, evidence: int, *symptoms: str) -> DiseaseFacts:
        d = disease(did, *symptoms)
        d.evidence = evidence
        return d

    # A: the answer is listed with a more specific pain; a rival with a large prior
    graph_a = [
        case("D:x", facts([PAIN], [], weighted("D:x", 0, CHEST_PAIN), weighted("D:y", 4914, FEVER)))
    ]
    # B: the answer has the pain itself; a rival listed with chest pain and a modest prior
    graph_b = [
        case("D:z", facts([PAIN], [], weighted("D:z", 0, PAIN), weighted("D:w", 19, CHEST_PAIN))),
        case("D:f", facts([FEVER], [], disease("D:f", FEVER))),
        case("D:f", facts([FEVER], [], disease("D:f", FEVER))),
    ]
    monkeypatch.setattr(evaluation, "GRID", {"lam_general": (0.3, 0.6)})
    monkeypatch.setattr(evaluation, "THRESHOLDS", (0.8,))
    monkeypatch.setattr(evaluation, "gather_vignettes", lambda gathered, dev, t: gathered)
    fit = evaluation.fit_diagnosis  # "inferences" are the gathered cases themselves here
    assert fit([graph_a], [])[0].lam_general == 0.6
    assert fit([graph_b], [])[0].lam_general == 0.3
    params, threshold, info = fit([graph_a, graph_b], [])
    assert params.lam_general == 0.6 and threshold == 0.8
    assert info["graphs"] == 2 and info["dev_mrr"] == pytest.approx((1.0 + 2.5 / 3) / 2)
    assert info["dev_mrr_per_graph"] == pytest.approx([1.0, 2.5 / 3])
