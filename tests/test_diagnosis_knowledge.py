"""benchmarks/diagnosis_knowledge.py: HPO frequencies are read as the share of patients, and an
HPO annotation never weakens what the graph's own sources say about a disease's symptom."""

from __future__ import annotations

import pytest

from benchmarks.diagnosis_knowledge import UNSTATED, frequency, with_hpo
from kgmed.answers.diagnosis import DiseaseFacts


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HP:0040280", 1.0),  # obligate
        ("HP:0040283", 0.17),  # occasional: the middle of 5-29%
        ("HP:0040285", 0.0),  # excluded
        ("3/4", 0.75),
        ("12.5%", 0.125),
        ("", -1.0),  # unstated
        ("HP:0000001", -1.0),  # not a frequency class
    ],
)
def test_frequency(raw: str, expected: float) -> None:
    assert frequency(raw) == pytest.approx(expected)


def test_with_hpo_keeps_the_stronger_statement_and_adds_diseases() -> None:
    graph = {"DOID:1": DiseaseFacts("DOID:1", "flu", {"SYMP:1": ("fever", 1.0, 2, "st")}, 2)}
    hpo = {"DOID:1": {"SYMP:1": 0.9, "SYMP:2": 0.5}, "DOID:2": {"SYMP:3": -1.0}}
    names = {"DOID:2": "rare", "SYMP:2": "cough", "SYMP:3": "rash"}
    out = with_hpo(graph, hpo, 0.5, names)
    assert out["DOID:1"].symptoms["SYMP:1"][1] == 1.0  # the graph's 1.0 beats 0.5 * 0.9
    assert out["DOID:1"].symptoms["SYMP:2"] == ("cough", 0.25, 1, "")
    assert out["DOID:2"].name == "rare"
    assert out["DOID:2"].symptoms["SYMP:3"][1] == pytest.approx(0.5 * UNSTATED)
    assert graph["DOID:1"].symptoms.keys() == {"SYMP:1"}  # the input is not changed
