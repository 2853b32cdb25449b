"""Relation candidates: typed entity markers, DDI 2013 reader, BC5CDR CID candidates."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kgmed.core.errors import DataError
from kgmed.documents.ddi import read_ddi
from kgmed.documents.pubtator import read_pubtator
from kgmed.relations.candidates import (
    cid_candidates,
    ddi_candidates,
    mark_pair,
    marker_tokens,
    unmark,
)

FIX = Path(__file__).resolve().parent / "fixtures"


@given(st.text(max_size=80), st.data())
def test_markers_remove_cleanly(text, data):
    """Whatever the text and spans, removing the markers restores it exactly."""
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), min_size=4, max_size=4)))
    assume(cuts[0] < cuts[1] and cuts[2] < cuts[3])
    swap = data.draw(st.booleans())
    a, b = (cuts[0], cuts[1], "Chemical"), (cuts[2], cuts[3], "Disease")
    subject, obj = (b, a) if swap else (a, b)
    marked = mark_pair(text, subject, obj)
    assert unmark(marked, ["Chemical", "Disease"]) == text
    assert marked.index("[S:") < marked.index("[/S]") and marked.index("[O:") < marked.index("[/O]")


def test_overlapping_spans_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        mark_pair("aspirin toxicity", (0, 7, "Chemical"), (3, 16, "Disease"))


def test_marker_tokens():
    assert marker_tokens(["Disease", "Chemical"]) == [
        "[S:Chemical]",
        "[S:Disease]",
        "[/S]",
        "[O:Chemical]",
        "[O:Disease]",
        "[/O]",
    ]


def test_cid_candidates():
    [doc] = read_pubtator(FIX / "mini.pubtator")
    candidates = cid_candidates([doc])
    labelled = {(c.subject, c.object): c.label for c in candidates}
    assert labelled[(("MESH:D006220",), ("MESH:D000071057",))] == "CID"
    assert labelled[(("MESH:D002945",), ("MESH:D058186",))] == "none"
    # different sentences: one candidate marked in the window holding both sentences
    cross = next(c for c in candidates if c.object == ("MESH:D008881",))
    assert cross.text.count("[S:Chemical]") == 1 and cross.text.count("[O:Disease]") == 1
    plain = unmark(cross.text, ["Chemical", "Disease"])
    assert cross.window[1] - cross.window[0] == len(plain) and ". " in plain
    assert (("MESH:D002945",), ("MESH:D008881",)) not in {
        (c.subject, c.object) for c in cid_candidates([doc], window=1)
    }
    hal = next(c for c in candidates if c.label == "CID")
    assert hal.text == "[S:Chemical] Haloperidol [/S] caused [O:Disease] tardive dyskinesia [/O]."


DDI_XML = """<?xml version="1.0" encoding="UTF-8"?>
<document id="d1">
  <sentence id="d1.s0" text="Warfarin levels rise when given with fluconazole or aspirin.">
    <entity id="d1.s0.e0" charOffset="0-7" type="drug" text="Warfarin"/>
    <entity id="d1.s0.e1" charOffset="37-47" type="drug" text="fluconazole"/>
    <entity id="d1.s0.e2" charOffset="52-58" type="drug" text="aspirin"/>
    <pair id="d1.s0.p0" e1="d1.s0.e0" e2="d1.s0.e1" ddi="true" type="mechanism"/>
    <pair id="d1.s0.p1" e1="d1.s0.e1" e2="d1.s0.e2" ddi="false"/>
  </sentence>
</document>
"""


def test_ddi_reader_and_candidates(tmp_path):
    archive = tmp_path / "ddi.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("DDICorpus/Train/DrugBank/d1.xml", DDI_XML)
    [sentence] = read_ddi(archive, "train")
    assert [e.text for e in sentence.entities] == ["Warfarin", "fluconazole", "aspirin"]
    candidates = ddi_candidates([sentence])
    assert [c.label for c in candidates] == ["mechanism", "none"]
    assert candidates[0].text.startswith("[S:Chemical] Warfarin [/S] levels")
    with pytest.raises(DataError, match="no test documents"):
        read_ddi(archive, "test")


def test_ddi_reader_bad_zip(tmp_path):
    bad = tmp_path / "ddi.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="cannot open"):
        read_ddi(bad, "train")


def test_a_drug_named_twice_is_not_a_drug_pair():
    from kgmed.relations.candidates import same_drug_named_twice

    def marked(text: str, a: str, b: str, nth: int = 0) -> str:
        s0 = text.index(a)
        o0 = text.index(b, s0 + len(a)) if nth else text.index(b)
        return mark_pair(text, (s0, s0 + len(a), "Chemical"), (o0, o0 + len(b), "Chemical"))

    same = "Aspirin increased the effect of other aspirin doses."
    assert same_drug_named_twice(marked(same, "Aspirin", "aspirin", 1))
    plural = "Statin levels rose when statins were stopped."
    assert same_drug_named_twice(marked(plural, "Statin", "statins"))
    abbreviation = "5-fluorouracil (5-FU) and leucovorin were given."
    assert same_drug_named_twice(marked(abbreviation, "5-fluorouracil", "5-FU"))
    assert not same_drug_named_twice(marked(abbreviation, "5-FU", "leucovorin"))
    interaction = "Ketoconazole raises the plasma levels of cisapride."
    assert not same_drug_named_twice(marked(interaction, "Ketoconazole", "cisapride"))
    assert not same_drug_named_twice("no markers here")
