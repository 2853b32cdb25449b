"""A small medical graph for contract tests and the documented analyst queries.

Ids are real ontology/vocabulary ids; the evidence sentences were written for these tests.
"""

from __future__ import annotations

from kgmed.core.records import Assertion, Concept, Document, Evidence, Relation

DISEASES = [
    Concept("DOID:934", "Disease", "viral infectious disease", source="DO"),
    Concept(
        "DOID:8469",
        "Disease",
        "influenza",
        ("flu", "grippe"),
        "A viral infectious disease of the respiratory tract.",
        ("MESH:D007251", "UMLS:C0021400"),
        "DO",
    ),
    Concept(
        "DOID:10459",
        "Disease",
        "common cold",
        ("acute rhinitis",),
        xrefs=("MESH:D003139",),
        source="DO",
    ),
    Concept(
        "DOID:0080600",
        "Disease",
        "COVID-19",
        ("SARS-CoV-2 infection",),
        xrefs=("MESH:D000086382",),
        source="DO",
    ),
    Concept("DOID:9351", "Disease", "diabetes mellitus", xrefs=("MESH:D003920",), source="DO"),
    Concept(
        "DOID:9352",
        "Disease",
        "type 2 diabetes mellitus",
        ("T2DM", "type II diabetes"),
        xrefs=("MESH:D003924",),
        source="DO",
    ),
    Concept("DOID:552", "Disease", "pneumonia", xrefs=("MESH:D011014",), source="DO"),
]
SYMPTOMS = [
    Concept("SYMP:0000613", "Symptom", "fever", ("pyrexia",), source="SYMP"),
    Concept("SYMP:0000614", "Symptom", "cough", source="SYMP"),
    Concept("SYMP:0000504", "Symptom", "headache", source="SYMP"),
    Concept("SYMP:0019177", "Symptom", "fatigue", source="SYMP"),
    Concept("SYMP:0000565", "Symptom", "polyuria", source="SYMP"),
    Concept("SYMP:0019161", "Symptom", "muscle pain", ("myalgia",), source="SYMP"),
]
CHEMICALS = [
    Concept("DRUGBANK:DB00198", "Chemical", "Oseltamivir", ("Tamiflu",), source="DrugBank"),
    Concept("DRUGBANK:DB00331", "Chemical", "Metformin", ("Glucophage",), source="DrugBank"),
    Concept("DRUGBANK:DB00316", "Chemical", "Acetaminophen", ("Paracetamol",), source="DrugBank"),
    Concept("DRUGBANK:DB00682", "Chemical", "Warfarin", source="DrugBank"),
    Concept(
        "DRUGBANK:DB00945", "Chemical", "Acetylsalicylic acid", ("Aspirin",), source="DrugBank"
    ),
]
GENES = [
    Concept("NCBIGene:5468", "Gene", "PPARG", source="Hetionet"),
    Concept("NCBIGene:3630", "Gene", "INS", source="Hetionet"),
    Concept("NCBIGene:5743", "Gene", "PTGS2", source="Hetionet"),
]
CONCEPTS = DISEASES + SYMPTOMS + CHEMICALS + GENES

DOCUMENTS = [
    Document(
        "PMID:900001",
        title="Oseltamivir in seasonal influenza",
        source="pubmed",
        pipeline_version="test",
    ),
    Document(
        "PMID:900002",
        title="Metformin and lactic acidosis",
        source="pubmed",
        pipeline_version="test",
    ),
    Document("NOTE:1", title="clinic note", source="notes", kind="note", pipeline_version="test"),
]

CURATED = Evidence("dataset:disease-symptom.tsv@2026", "DO", "kgmed.ontology_reader", "1", 1.0)


def lit(
    doc: str, p: float, sentence: str, start: int, assertion: Assertion = Assertion.AFFIRMED
) -> Evidence:
    """A literature evidence record for a sentence starting at ``start`` in ``doc``."""
    return Evidence(
        document_id=doc,
        source="literature",
        extractor="kgmed.re",
        extractor_version="test-1",
        probability=p,
        assertion=assertion,
        sentence=sentence,
        sentence_start=start,
        sentence_end=start + len(sentence),
        subject_start=start,
        subject_end=start + 5,
        object_start=start + 10,
        object_end=start + 15,
    )


def rel(s: Concept, p: str, o: Concept, *evidence: Evidence) -> Relation:
    return Relation(s.id, s.label, p, o.id, o.label, tuple(evidence))


def _c(cid: str) -> Concept:
    return next(c for c in CONCEPTS if c.id == cid)


FLU, COLD, COVID, DM, T2DM, PNEU, VIRAL = (
    _c(i)
    for i in (
        "DOID:8469",
        "DOID:10459",
        "DOID:0080600",
        "DOID:9351",
        "DOID:9352",
        "DOID:552",
        "DOID:934",
    )
)
FEVER, COUGH, HEADACHE, FATIGUE, POLYURIA, MYALGIA = (
    _c(i)
    for i in (
        "SYMP:0000613",
        "SYMP:0000614",
        "SYMP:0000504",
        "SYMP:0019177",
        "SYMP:0000565",
        "SYMP:0019161",
    )
)
OSELTAMIVIR, METFORMIN, ACETAMINOPHEN, WARFARIN, ASPIRIN = (
    _c(i)
    for i in (
        "DRUGBANK:DB00198",
        "DRUGBANK:DB00331",
        "DRUGBANK:DB00316",
        "DRUGBANK:DB00682",
        "DRUGBANK:DB00945",
    )
)
PPARG, INS, PTGS2 = (_c(i) for i in ("NCBIGene:5468", "NCBIGene:3630", "NCBIGene:5743"))

S1 = "Oseltamivir shortened fever in adults with influenza."
S2 = "Lactic acidosis was not observed with metformin."
S3 = "Patient denies fever; reports cough and myalgia."

RELATIONS = [
    rel(FLU, "IS_A", VIRAL, CURATED),
    rel(COLD, "IS_A", VIRAL, CURATED),
    rel(COVID, "IS_A", VIRAL, CURATED),
    rel(T2DM, "IS_A", DM, CURATED),
    rel(FLU, "HAS_SYMPTOM", FEVER, CURATED, lit("PMID:900001", 0.9, S1, 0)),
    rel(FLU, "HAS_SYMPTOM", COUGH, CURATED),
    rel(FLU, "HAS_SYMPTOM", MYALGIA, CURATED, lit("NOTE:1", 0.8, S3, 0)),
    rel(FLU, "HAS_SYMPTOM", HEADACHE, CURATED),
    rel(COLD, "HAS_SYMPTOM", COUGH, CURATED),
    rel(COLD, "HAS_SYMPTOM", HEADACHE, lit("PMID:900001", 0.4, S1, 60)),
    rel(COVID, "HAS_SYMPTOM", FEVER, CURATED),
    rel(COVID, "HAS_SYMPTOM", COUGH, CURATED),
    rel(COVID, "HAS_SYMPTOM", FATIGUE, CURATED),
    rel(T2DM, "HAS_SYMPTOM", POLYURIA, CURATED),
    rel(T2DM, "HAS_SYMPTOM", FATIGUE, CURATED),
    rel(PNEU, "HAS_SYMPTOM", FEVER, CURATED),
    rel(PNEU, "HAS_SYMPTOM", COUGH, lit("NOTE:1", 0.3, S3, 0, Assertion.NEGATED)),
    rel(OSELTAMIVIR, "TREATS", FLU, lit("PMID:900001", 0.95, S1, 0)),
    rel(METFORMIN, "TREATS", T2DM, lit("PMID:900002", 0.9, S2, 0), CURATED),
    rel(ACETAMINOPHEN, "TREATS", FEVER, lit("PMID:900001", 0.7, S1, 120)),
    rel(ASPIRIN, "TREATS", HEADACHE, lit("PMID:900001", 0.6, S1, 200)),
    rel(METFORMIN, "CAUSES", FATIGUE, lit("PMID:900002", 0.35, S2, 0, Assertion.NEGATED)),
    rel(WARFARIN, "INTERACTS_WITH", ASPIRIN, lit("PMID:900002", 0.85, S2, 80)),
    rel(METFORMIN, "TARGETS", PPARG, CURATED),
    rel(ASPIRIN, "TARGETS", PTGS2, CURATED),
    rel(T2DM, "ASSOCIATED_WITH", PPARG, CURATED),
    rel(T2DM, "ASSOCIATED_WITH", INS, CURATED),
    rel(DM, "ASSOCIATED_WITH", INS, CURATED),
    rel(FLU, "RESEMBLES", COLD, CURATED),
]


def load(store) -> None:
    """Write the whole fixture graph into ``store``."""
    store.upsert_concepts(CONCEPTS)
    store.upsert_documents(DOCUMENTS)
    store.upsert_relations(RELATIONS)
