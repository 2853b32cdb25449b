"""NER: readers, BIO decoding, metrics, the lexicon tagger, and a tiny BERT that is trained,
saved, reloaded and predicts the same (offline, CPU, random weights built in the test)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kgmed.core.errors import DataError
from kgmed.core.records import Mention
from kgmed.documents.conll import read_conll
from kgmed.documents.pubtator import read_pubtator
from kgmed.evaluation.spans import entity_scores
from kgmed.mentions.bio import bio_labels, decode, viterbi_decode
from kgmed.mentions.lexicon import LexiconTagger
from kgmed.text.tokens import sentence_spans, windows, word_spans

FIX = Path(__file__).resolve().parent / "fixtures"
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


# -- readers ---------------------------------------------------------------------------------


def test_pubtator_reader():
    [doc] = read_pubtator(FIX / "mini.pubtator")
    assert doc.document.id == "PMID:900001"
    assert len(doc.mentions) == 6
    for m in doc.mentions:
        assert doc.document.text[m.start : m.end] == m.text
    assert doc.mentions[0].concept_ids == ("MESH:D002945",)
    assert doc.relations == (("CID", "MESH:D006220", "MESH:D000071057"),)


def _pubtator(path, pmid, title, abstract, mentions):
    text = f"{title} {abstract}"
    lines = [f"{pmid}|t|{title}", f"{pmid}|a|{abstract}"]
    for surface, label in mentions:
        start = text.index(surface)
        lines.append(f"{pmid}\t{start}\t{start + len(surface)}\t{surface}\t{label}\tD1")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n\n")


def test_biored_corpus_as_bio_sentences_without_held_out_documents(tmp_path):
    """BioRED's chemicals and diseases become BIO sentences in the corpora's tokenization;
    genes stay O; documents of the BC5CDR and NCBI-disease dev/test sets are left out."""
    from kgmed.training.ner import BIORED_FILES, HELD_OUT_DOCUMENTS, biored_corpus

    data = tmp_path / "data"
    for rel in (*BIORED_FILES, *HELD_OUT_DOCUMENTS):
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / rel).touch()
    _pubtator(
        data / BIORED_FILES[0],
        "11",
        "Cisplatin-induced acute kidney injury.",
        "TP53 was not involved. Nausea followed.",
        [
            ("Cisplatin", "ChemicalEntity"),
            ("acute kidney injury", "DiseaseOrPhenotypicFeature"),
            ("TP53", "GeneOrGeneProduct"),
            ("Nausea", "DiseaseOrPhenotypicFeature"),
        ],
    )
    _pubtator(
        data / BIORED_FILES[2], "22", "Held out.", "Aspirin.", [("Aspirin", "ChemicalEntity")]
    )
    _pubtator(data / HELD_OUT_DOCUMENTS[1], "22", "Held out.", "Aspirin.", [])
    corpus = biored_corpus(data, tmp_path / "run")
    assert corpus.types == ("Chemical", "Disease")
    sentences = read_conll(corpus.path)
    assert [list(zip(s.tokens, s.tags, strict=True)) for s in sentences] == [
        [
            ("Cisplatin", "B-Chemical"),
            ("-", "O"),
            ("induced", "O"),
            ("acute", "B-Disease"),
            ("kidney", "I-Disease"),
            ("injury", "I-Disease"),
            (".", "O"),
        ],
        [("TP53", "O"), ("was", "O"), ("not", "O"), ("involved", "O"), (".", "O")],
        [("Nausea", "B-Disease"), ("followed", "O"), (".", "O")],
    ]
    with pytest.raises(DataError, match="not found"):
        biored_corpus(tmp_path / "nowhere", tmp_path / "run")


def test_pubtator_offsets_outside_text(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("1|t|Short title.\n1|a|Body.\n1\t5\t500\tx\tDisease\tD1\n")
    with pytest.raises(DataError, match="outside document"):
        read_pubtator(bad)


def test_pubtator_text_mismatch(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("1|t|Short title.\n1|a|Body.\n1\t0\t5\tLong\tDisease\tD1\n")
    with pytest.raises(DataError, match="the line says"):
        read_pubtator(bad)


def test_pubtator_non_utf8(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"1|t|Caf\xe9 title\n1|a|Body.\n")
    with pytest.raises(DataError, match="not UTF-8"):
        read_pubtator(bad)


def test_pubtator_empty_document(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("1|t|\n1|a|\n")
    with pytest.raises(DataError, match="is empty"):
        read_pubtator(bad)


def test_conll_reader_and_bad_tag(tmp_path):
    sentences = read_conll(FIX / "ner_train.tsv")
    assert len(sentences) == 6 and sentences[0].tags[0] == "B-Chemical"
    bad = tmp_path / "bad.tsv"
    bad.write_text("word\tX-Disease\n")
    with pytest.raises(DataError, match="bad BIO tag"):
        read_conll(bad)


# -- decoding, metrics, offsets --------------------------------------------------------------


def test_decode_and_scores():
    gold = [(0, a, b, t) for a, b, t in decode(["B-Chemical", "O", "B-Disease", "I-Disease"])]
    pred = [(0, a, b, t) for a, b, t in decode(["B-Chemical", "O", "B-Disease", "O"])]
    scores = entity_scores(gold, pred)
    assert scores["per_type"]["Chemical"]["f1"] == 1.0
    assert scores["per_type"]["Disease"]["f1"] == 0.0
    assert scores["micro"]["p"] == 0.5 and scores["micro"]["r"] == 0.5


_texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@settings(max_examples=200, deadline=None)
@given(_texts, st.integers(min_value=1, max_value=20))
def test_windows_cover_every_word_exactly(text, max_words):
    """Every word of the text lands in exactly one window, with offsets into the text."""
    flat = [s for group in windows(text, max_words) for s in group]
    in_sentences = [w for s in sentence_spans(text) for w in word_spans(text, s.start, s.end)]
    assert flat == in_sentences
    assert all(len(g) <= max_words for g in windows(text, max_words))
    assert [text[s.start : s.end] for s in flat] == [
        text[s.start : s.end] for s in word_spans(text)
    ]


def test_lexicon_tagger():
    tagger = LexiconTagger(
        [
            ("migraine", "Disease"),
            ("tardive dyskinesia", "Disease"),
            ("Aspirin", "Chemical"),
            ("pain", "Symptom"),
            ("fever", "Symptom"),
        ]
    )
    [mentions] = tagger.tag_texts(
        [("d", "Aspirin eased the migraine, fever and tardive  dyskinesia.")]
    )
    found = {(m.text, m.label) for m in mentions}
    assert found == {
        ("Aspirin", "Chemical"),
        ("migraine", "Disease"),
        ("fever", "Symptom"),
        ("tardive  dyskinesia", "Disease"),
    }
    assert tagger.tag_words([["Aspirin", "and", "fever"]], label_map={"Symptom": "Disease"}) == [
        ["B-Chemical", "O", "B-Disease"]
    ]


LABELS = bio_labels()


def _log_probs(rows: list[list[float]]):
    import numpy as np

    x = np.asarray(rows, dtype=float)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def test_viterbi_repairs_an_orphan_inside_tag():
    # argmax reads O, I-Disease, I-Disease: two orphan I- tags, which the lenient decode would
    # turn into a span; Viterbi must start it with B- or drop it, never emit I- after O.
    scores = _log_probs([[3, 0, 0, 0, 0], [0, 0, 0, 1.0, 1.2], [0, 0, 0, 0, 2.0], [3, 0, 0, 0, 0]])
    assert viterbi_decode([scores], LABELS) == [["O", "B-Disease", "I-Disease", "O"]]
    # a valid argmax sequence is kept as it is
    valid = _log_probs([[0, 3, 0, 0, 0], [0, 0, 3, 0, 0], [3, 0, 0, 0, 0]])
    assert viterbi_decode([valid], LABELS) == [["B-Chemical", "I-Chemical", "O"]]
    # the O bias: a weak entity gives way, a confident one stays
    weak_and_strong = _log_probs([[0.5, 1.0, 0, 0, 0], [0, 0, 0, 6.0, 0]])
    assert viterbi_decode([weak_and_strong], LABELS, o_bias=1.0) == [["O", "B-Disease"]]
    assert viterbi_decode([_log_probs([[0.0] * 5]).reshape(1, 5)[:0]], LABELS) == [[]]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.lists(st.floats(-5, 5), min_size=5, max_size=5), min_size=0, max_size=12),
        min_size=1,
        max_size=6,
    ),
    st.floats(0, 3),
)
def test_viterbi_is_valid_bio_and_the_best_valid_sequence(sentences, bias):
    import itertools

    import numpy as np

    scores = [np.asarray(s, dtype=float).reshape(len(s), 5) for s in sentences]
    decoded = viterbi_decode(scores, LABELS, o_bias=bias)
    for s, tags in zip(scores, decoded, strict=True):
        assert len(tags) == len(s)
        for prev, tag in zip(["O", *tags], tags, strict=False):
            if tag.startswith("I-"):
                assert prev[2:] == tag[2:] and prev != "O"
        if 0 < len(s) <= 4:  # brute force: no valid sequence scores higher

            def total(seq, s=s):
                return sum(
                    s[t, LABELS.index(x)] + (bias if x == "O" else 0) for t, x in enumerate(seq)
                )

            valid = [
                seq
                for seq in itertools.product(LABELS, repeat=len(s))
                if all(
                    not x.startswith("I-") or (p != "O" and p[2:] == x[2:])
                    for p, x in zip(["O", *seq], seq, strict=False)
                )
            ]
            assert total(tags) >= max(total(v) for v in valid) - 1e-9


# -- a tiny BERT: overfit, save, load, same predictions ---------------------------------------


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory) -> Path:
    """A 2-layer, hidden-32 BERT with random weights and a vocabulary of the fixture words."""
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    words = set()
    for path in ("ner_train.tsv", "ner_ncbi.tsv"):
        for s in read_conll(FIX / path):
            words.update(w.lower() for w in s.tokens)
    words.update(["the", "a", "of", "and", "with", "in"])
    out = tmp_path_factory.mktemp("tiny-bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(words)]
    tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=True)
    tokenizer.save_pretrained(str(out))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    BertForMaskedLM(config).save_pretrained(str(out))
    return out


@pytest.fixture(scope="module")
def tiny_model(tiny_base, tmp_path_factory) -> Path:
    from kgmed.training.ner import Corpus, NerTrainConfig, train_ner

    out = tmp_path_factory.mktemp("tiny-ner")
    config = NerTrainConfig(
        train=[Corpus(FIX / "ner_train.tsv"), Corpus(FIX / "ner_ncbi.tsv", ("Disease",))],
        dev=[Corpus(FIX / "ner_train.tsv")],
        output_dir=out,
        base_model=tiny_base,
        epochs=100,
        batch_size=4,
        learning_rate=1e-2,
        warmup_ratio=0.0,
        patience=100,
        device="cpu",
        show_progress=False,
    )
    metrics = train_ner(config)
    assert metrics["best_dev_micro_f1"] == 1.0, metrics["history"][-1]
    return out


def test_training_writes_model_labels_and_results(tiny_model):
    assert (tiny_model / "model.safetensors").is_file()
    config = json.loads((tiny_model / "config.json").read_text())
    assert [config["id2label"][str(i)] for i in range(5)] == bio_labels()
    results = json.loads((tiny_model / "results.json").read_text())
    assert results["config"]["seed"] == 13 and results["data"] and results["git_commit"]
    assert results["metrics"]["best_dev_micro_f1"] == 1.0


def test_int8_fast_path_tracks_fp32_and_is_built_once(tiny_model, tmp_path, monkeypatch):
    """The ONNX Runtime int8 copy: log-probabilities close to fp32 across batch shapes (the
    export must not freeze a shape or the padding), exported once and then read from the
    cache, used by default only where the model's record allows it."""
    pytest.importorskip("onnxruntime")
    import numpy as np

    from kgmed.mentions import bert

    monkeypatch.setenv("KGMED_CACHE_DIR", str(tmp_path / "cache"))
    words = [list(s.tokens) for s in read_conll(FIX / "ner_train.tsv")]
    fp32 = bert.BertTagger(tiny_model, device="cpu", quantize=False)
    int8 = bert.BertTagger(tiny_model, device="cpu", quantize=True, batch_size=3)
    assert int8.quantized and not fp32.quantized
    [exported] = (tmp_path / "cache" / "onnx").iterdir()
    for a, b in zip(fp32.word_log_probs(words), int8.word_log_probs(words), strict=True):
        assert a.shape == b.shape
        assert np.abs(np.exp(a) - np.exp(b)).max() < 0.05
    assert int8.tag_words(words) == fp32.tag_words(words)
    monkeypatch.setattr(torch.onnx, "export", lambda *a, **k: pytest.fail("exported again"))
    again = bert.BertTagger(tiny_model, device="cpu", quantize=True)
    assert again.tag_words(words[:2]) == int8.tag_words(words[:2])
    assert list((tmp_path / "cache" / "onnx").iterdir()) == [exported]
    # the default: int8 only where kgmed.json allows it, on CPU, and not turned off
    assert not bert.use_int8("cpu", tiny_model, None)  # no record
    (tmp_path / "kgmed.json").write_text(json.dumps({"cpu_int8": {"allowed": True}}))
    assert bert.use_int8("cpu", tmp_path, None)
    assert not bert.use_int8("cuda", tmp_path, None)
    assert not bert.use_int8("cpu", tmp_path, False)
    monkeypatch.setenv("KGMED_CPU_INT8", "0")
    assert not bert.use_int8("cpu", tmp_path, None)


def test_native_bf16_comes_before_default_int8(tiny_model, tmp_path, monkeypatch):
    """Where the CPU computes bf16 and the record allows both, bf16 is the default (it loses
    less); int8 is used there only when asked for."""
    pytest.importorskip("onnxruntime")
    from kgmed.mentions import bert

    both = tmp_path / "model"
    shutil.copytree(tiny_model, both)
    record = {"cpu_int8": {"allowed": True}, "cpu_bf16": {"allowed": True}}
    (both / "kgmed.json").write_text(json.dumps(record))
    monkeypatch.setenv("KGMED_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(bert, "cpu_bf16_supported", lambda: True)
    default = bert.BertTagger(both, device="cpu")
    assert default.bf16 and not default.quantized
    assert bert.planned_fast_path("cpu", both) == "bf16"  # what benchmarks report
    asked = bert.BertTagger(both, device="cpu", quantize=True)
    assert asked.quantized and not asked.bf16
    monkeypatch.setattr(bert, "cpu_bf16_supported", lambda: False)
    elsewhere = bert.BertTagger(both, device="cpu")
    assert elsewhere.quantized and not elsewhere.bf16
    assert bert.planned_fast_path("cpu", both) == "int8"
    assert bert.planned_fast_path("cpu", both, quantize=False, bf16=False) == "fp32"


def test_int8_failure_falls_back_unless_asked_for(tiny_model, tmp_path, monkeypatch, caplog):
    """An int8 copy that cannot be built (here: the cache folder cannot be created) leaves a
    model that was only allowed int8 in fp32, with a warning; asking for int8 is an error."""
    pytest.importorskip("onnxruntime")
    from kgmed.core.errors import ConfigError
    from kgmed.mentions.bert import BertTagger

    allowed = tmp_path / "model"
    shutil.copytree(tiny_model, allowed)
    (allowed / "kgmed.json").write_text(json.dumps({"cpu_int8": {"allowed": True}}))
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("KGMED_CACHE_DIR", str(tmp_path / "not-a-folder"))
    with caplog.at_level("WARNING"):
        tagger = BertTagger(allowed, device="cpu")
    assert not tagger.quantized and "int8 CPU fast path unavailable" in caplog.text
    assert len(tagger.tag_words([["a", "b"]])[0]) == 2  # it still tags, in fp32
    with pytest.raises(ConfigError, match="int8 CPU fast path failed"):
        BertTagger(allowed, device="cpu", quantize=True)


def test_overfit_save_load_same_predictions(tiny_model):
    from kgmed.mentions.bert import BertTagger

    sentences = read_conll(FIX / "ner_train.tsv")
    words = [list(s.tokens) for s in sentences]
    first = BertTagger(tiny_model, device="cpu").tag_words(words)
    assert first == [list(s.tags) for s in sentences]
    again = BertTagger(tiny_model, device="cpu").tag_words(words)
    assert again == first


def test_tagger_reads_the_decoding_bias_recorded_with_the_model(tiny_model, tmp_path):
    import shutil

    from kgmed.mentions.bert import BertTagger

    words = [list(s.tokens) for s in read_conll(FIX / "ner_train.tsv")]
    copy = Path(shutil.copytree(tiny_model, tmp_path / "model"))
    (copy / "kgmed.json").write_text(json.dumps({"decoding": {"o_bias": 1000.0}}))
    tagger = BertTagger(copy, device="cpu")
    assert tagger.o_bias == 1000.0
    assert all(t == "O" for tags in tagger.tag_words(words) for t in tags)
    assert BertTagger(copy, device="cpu", o_bias=0.0).tag_words(words) == [
        list(s.tags) for s in read_conll(FIX / "ner_train.tsv")
    ]


def test_tagger_propagates_labels_as_recorded_with_the_model(tiny_model, tmp_path):
    import shutil

    from kgmed.core.errors import ConfigError
    from kgmed.mentions.bert import BertTagger
    from kgmed.mentions.consistency import propagate

    copy = Path(shutil.copytree(tiny_model, tmp_path / "model"))
    # a training sentence, then its names where the tiny model has not learnt them
    text = "Cisplatin induced acute nephrotoxicity in rats. Cisplatin Cisplatin nephrotoxicity"
    plain = BertTagger(copy, device="cpu").tag_texts([("d", text)])[0]
    rules = {"Chemical": "always", "Disease": "always"}
    (copy / "kgmed.json").write_text(json.dumps({"decoding": {"propagate": rules}}))
    tagger = BertTagger(copy, device="cpu")
    assert tagger.propagate == rules
    spread = tagger.tag_texts([("d", text)])[0]
    assert spread == propagate(text, plain, rules) != plain
    assert BertTagger(copy, device="cpu", propagate={}).tag_texts([("d", text)])[0] == plain
    (copy / "kgmed.json").write_text(json.dumps({"decoding": {"abbreviations": True}}))
    tagger = BertTagger(copy, device="cpu")
    assert tagger.propagate == {} and tagger.long_forms("Acute kidney injury (AKI) ended") == {
        "AKI": "Acute kidney injury"
    }
    assert BertTagger(copy, device="cpu", abbreviations=False).long_forms("a (B) c") is None
    (copy / "kgmed.json").write_text(json.dumps({"decoding": {"propagate": {"Chemical": "x"}}}))
    with pytest.raises(ConfigError, match="label-propagation rule"):
        BertTagger(copy, device="cpu")


def test_known_names_counted_only_where_their_type_is_annotated():
    from kgmed.mentions.known_names import NameCount, count_names, select_names

    docs = [
        # BC5CDR-like: both types annotated; "mesna" tagged wherever it is a word, "lead" once
        # of three times
        (
            "Mesna and lead; mesna again. We lead the lead study. Mesna-treated rats",
            [("Mesna", "Chemical"), ("mesna", "Chemical"), ("lead", "Chemical")],
            {"Chemical", "Disease"},
        ),
        # NCBI-like: diseases only, so "mesna" here is no evidence against it
        ("mesna mesna cancer", [("cancer", "Disease")], {"Disease"}),
        ("cancer treated with cancer drugs", [("cancer", "Chemical")], {"Chemical"}),
    ]
    rows = count_names(docs)
    assert NameCount("mesna", "Chemical", 1, 1) in rows
    assert NameCount("Mesna", "Chemical", 1, 1) in rows  # "Mesna-treated" is not a whole word
    assert NameCount("lead", "Chemical", 1, 3) in rows
    assert NameCount("cancer", "Disease", 1, 1) in rows
    assert NameCount("cancer", "Chemical", 1, 2) in rows
    chosen = select_names(rows, {"Chemical": 0.7, "Disease": 0.7})
    assert chosen == {"Mesna": "Chemical", "mesna": "Chemical"}  # "cancer": two types, out
    assert select_names([NameCount("lead", "Chemical", 1, 3)], {"Chemical": 0.5}) == {}
    assert select_names([NameCount("lead", "Chemical", 2, 3)], {"Chemical": 0.5}) == {
        "lead": "Chemical"
    }
    assert select_names([NameCount("Na", "Chemical", 5, 5)], {"Chemical": 0.5}) == {}  # short
    assert select_names(rows, {"Disease": 0.5}) == {}  # no rate, no names of that type


def test_known_names_fill_untagged_whole_word_occurrences_longest_first():
    from kgmed.mentions.known_names import add_known_names

    text = "Renal failure after cisplatin; acute renal failure. Cisplatin-induced cisplatinum."
    found = [Mention("d", 20, 29, "cisplatin", "Chemical")]
    names = {"cisplatin": "Chemical", "renal failure": "Disease", "acute renal failure": "Disease"}
    out = add_known_names("d", text, found, names)
    assert [(m.text, m.label, m.start) for m in out] == [
        ("cisplatin", "Chemical", 20),  # the tagger's own, kept
        ("acute renal failure", "Disease", 31),  # the longer name claims its words first
    ]
    assert all(text[m.start : m.end] == m.text for m in out)
    # "Renal failure" (another case), "Cisplatin-induced" and "cisplatinum" are not added
    assert add_known_names("d", text, found, {}) == found


def test_tagger_adds_the_known_names_recorded_with_the_model(tiny_model, tmp_path):
    import shutil

    from kgmed.core.errors import ConfigError
    from kgmed.mentions.bert import BertTagger
    from kgmed.mentions.known_names import NameCount, write_names

    copy = Path(shutil.copytree(tiny_model, tmp_path / "model"))
    text = "Cisplatin induced acute nephrotoxicity in rats."
    plain = BertTagger(copy, device="cpu").tag_texts([("d", text)])[0]
    assert not any(m.text == "rats" for m in plain)  # the tiny model leaves "rats" untagged
    write_names(
        [NameCount("rats", "Chemical", 9, 10), NameCount("induced", "Disease", 1, 10)],
        copy / "names.tsv",
    )
    (copy / "kgmed.json").write_text(json.dumps({"decoding": {"names": {"Chemical": 0.8}}}))
    tagger = BertTagger(copy, device="cpu")
    assert tagger.names == {"rats": "Chemical"}
    tagged = tagger.tag_texts([("d", text)])[0]
    assert [m for m in tagged if m not in plain] == [Mention("d", 42, 46, "rats", "Chemical")]
    assert BertTagger(copy, device="cpu", names={}).tag_texts([("d", text)])[0] == plain
    (copy / "names.tsv").unlink()
    with pytest.raises(ConfigError, match=r"records known-name rates but has no names\.tsv") as err:
        BertTagger(copy, device="cpu")
    assert "kgmed train ner-names" in err.value.hint


def test_ner_names_command_counts_the_training_splits(tmp_path):
    from click.testing import CliRunner

    from kgmed.cli import main
    from kgmed.mentions.known_names import NameCount, read_names

    for rel, pmid, mention, label in (
        ("bc5cdr/CDR_TrainingSet.PubTator.txt", "1", "mesna", "Chemical"),
        ("bc5cdr/CDR_DevelopmentSet.PubTator.txt", "2", "lithium", "Chemical"),
        ("ncbi_disease/NCBItrainset_corpus.txt", "3", "ataxia", "SpecificDisease"),
        ("ncbi_disease/NCBIdevelopset_corpus.txt", "4", "gout", "DiseaseClass"),
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        _pubtator(tmp_path / rel, pmid, f"{mention} and {mention}", "", [(mention, label)])
    model = tmp_path / "model"
    model.mkdir()
    for final, expected in ((False, 2), (True, 4)):
        args = ["train", "ner-names", "--data-dir", str(tmp_path), "--model", str(model)]
        result = CliRunner().invoke(main, args + (["--final"] if final else []))
        assert result.exit_code == 0, result.output
        rows = read_names(model / "names.tsv")
        assert len(rows) == expected
    assert NameCount("ataxia", "Disease", 1, 2) in rows  # NCBI classes are diseases
    assert NameCount("lithium", "Chemical", 1, 2) in rows  # dev counted for a final model
    from kgmed.training.ner import name_counts

    no_ncbi = name_counts(tmp_path, final=True, ncbi=False)  # a model trained without NCBI
    assert {r.text for r in no_ncbi} == {"mesna", "lithium"}


def test_partial_label_loss_forgives_unannotated_types():
    from kgmed.training.ner import partial_label_loss

    logits = torch.tensor([[[0.0, 5.0, 0.0, 0.0, 0.0]]])  # confident B-Chemical
    labels = torch.tensor([[0]])  # gold O
    full = partial_label_loss(logits, labels, torch.tensor([[True, False, False, False, False]]))
    partial = partial_label_loss(logits, labels, torch.tensor([[True, True, True, False, False]]))
    assert partial < 0.05 < full


def test_tag_texts_offsets_and_long_input(tiny_model):
    from kgmed.mentions.bert import BertTagger

    tagger = BertTagger(tiny_model, device="cpu", max_words=16)
    text = (
        "Haloperidol caused tardive dyskinesia. " * 60
        + "Cisplatin induced acute nephrotoxicity in rats."
    )
    [mentions] = tagger.tag_texts([("doc", text)])
    assert all(text[m.start : m.end] == m.text for m in mentions)
    assert sum(m.text == "tardive dyskinesia" for m in mentions) == 60
    assert mentions[-1].text == "acute nephrotoxicity"
    long_sentence = ["the"] * 700 + ["Cisplatin"]
    [tags] = tagger.tag_words([long_sentence])
    assert len(tags) == 701 and tags[-1] == "B-Chemical"


@pytest.fixture(scope="module")
def tiny_tagger(tiny_model):
    from kgmed.mentions.bert import BertTagger

    return BertTagger(tiny_model, device="cpu", max_words=8)


@settings(max_examples=40, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_tag_texts_offsets_are_exact(tiny_tagger, text):
    """Whatever the text, every mention's offsets index it exactly."""
    [mentions] = tiny_tagger.tag_texts([("doc", text)])
    for m in mentions:
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start : m.end] == m.text


def test_eval_ner_cli_json(tiny_model, tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kgmed",
            "eval",
            "ner",
            "--data",
            str(FIX / "mini.pubtator"),
            "--model",
            str(tiny_model),
            "--device",
            "cpu",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    scores = json.loads(result.stdout)
    assert set(scores) >= {"per_type", "micro", "n_docs"}
    assert scores["n_docs"] == 1
    assert set(scores["per_type"]["Chemical"]) >= {"p", "r", "f1"}
    assert scores["micro"]["f1"] == 1.0


# -- masked-LM adaptation ------------------------------------------------------------------


def _documents(path: Path, docs: dict[str, str]) -> None:
    """A PubTator file of documents (id -> title) without abstracts or mentions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for pmid, title in docs.items():
        _pubtator(path, pmid, title, "", [])


def test_mlm_text_reads_training_documents_and_never_held_out_ones(tmp_path):
    from kgmed.training.mlm import adaptation_texts

    _documents(tmp_path / "bc5cdr/CDR_TrainingSet.PubTator.txt", {"1": "lithium train"})
    _documents(tmp_path / "bc5cdr/CDR_DevelopmentSet.PubTator.txt", {"2": "cocaine dev"})
    _documents(tmp_path / "bc5cdr/CDR_TestSet.PubTator.txt", {"3": "heroin test"})
    _documents(tmp_path / "ncbi_disease/NCBItrainset_corpus.txt", {"4": "ataxia train"})
    _documents(tmp_path / "ncbi_disease/NCBIdevelopset_corpus.txt", {"5": "gout dev"})
    _documents(tmp_path / "ncbi_disease/NCBItestset_corpus.txt", {"6": "chorea test"})
    # BioRED shares one document with the BC5CDR dev set and one with the NCBI test set
    _documents(tmp_path / "biored/Train.PubTator", {"7": "biored own", "2": "cocaine dev"})
    _documents(tmp_path / "biored/Dev.PubTator", {"6": "chorea test"})
    _documents(tmp_path / "biored/Test.PubTator", {"1": "lithium train"})

    def words(texts):
        return sorted(t.split()[0] for t in texts)

    texts, files = adaptation_texts(tmp_path, final=False)
    assert words(texts) == ["ataxia", "biored", "lithium"]  # each once, no dev, no test
    assert all(f.is_file() for f in files)
    texts, _ = adaptation_texts(tmp_path, final=True)
    assert words(texts) == ["ataxia", "biored", "cocaine", "gout", "lithium"]


def test_mlm_adaptation_lowers_held_out_loss_and_feeds_ner_training(tiny_base, tmp_path):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from kgmed.training.mlm import MlmConfig, adapt_encoder, blocks

    sentences = [" ".join(s.tokens) for s in read_conll(FIX / "ner_train.tsv")]
    texts = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)] * 8
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_base))
    cut = blocks(tokenizer, texts, 16)
    assert all(b[0] == tokenizer.cls_token_id and b[-1] == tokenizer.sep_token_id for b in cut)
    assert max(len(b) for b in cut) == 16
    config = MlmConfig(
        output_dir=tmp_path / "mlm",
        base_model=tiny_base,
        epochs=20,
        batch_size=8,
        block_size=16,
        learning_rate=5e-3,
        warmup_ratio=0.0,
        held_out_share=0.2,
        device="cpu",
        show_progress=False,
    )
    metrics = adapt_encoder(texts, [FIX / "ner_train.tsv"], config)
    assert metrics["held_out_loss_after"] < metrics["held_out_loss_before"] - 0.3, metrics
    results = json.loads((tmp_path / "mlm" / "results.json").read_text())
    assert results["kind"] == "train-mlm" and results["data"]
    # the adapted encoder is what NER training starts from
    model = AutoModelForTokenClassification.from_pretrained(str(tmp_path / "mlm"), num_labels=5)
    assert model.config.num_hidden_layers == 2


def test_training_from_half_saved_weights_keeps_fp32_master_weights(
    tiny_base, tmp_path, monkeypatch
):
    """transformers loads weights in the dtype they were saved in; kgmed saves its models in
    fp16, so training from one (``--base-model``) must still step fp32 weights."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from kgmed.training.mlm import MlmConfig, adapt_encoder
    from kgmed.training.ner import Corpus, NerTrainConfig, train_ner

    half = tmp_path / "half"
    AutoModelForTokenClassification.from_pretrained(
        str(tiny_base), num_labels=5
    ).half().save_pretrained(str(half))
    AutoTokenizer.from_pretrained(str(tiny_base)).save_pretrained(str(half))
    import kgmed.training.ner as ner_training

    seen = []
    real_adamw = ner_training.adamw

    def spy(model, *args):
        seen.append({p.dtype for p in model.parameters()})
        return real_adamw(model, *args)

    monkeypatch.setattr(ner_training, "adamw", spy)  # the MLM trainer imports it from there
    train_ner(
        NerTrainConfig(
            train=[Corpus(FIX / "ner_train.tsv")],
            dev=[Corpus(FIX / "ner_train.tsv")],
            output_dir=tmp_path / "ner",
            base_model=half,
            epochs=1,
            device="cpu",
            show_progress=False,
        )
    )
    sentences = [" ".join(s.tokens) for s in read_conll(FIX / "ner_train.tsv")]
    adapt_encoder(
        sentences * 4,
        [FIX / "ner_train.tsv"],
        MlmConfig(
            output_dir=tmp_path / "mlm",
            base_model=half,
            epochs=1,
            block_size=16,
            held_out_share=0.2,
            device="cpu",
            show_progress=False,
        ),
    )
    assert seen == [{torch.float32}, {torch.float32}]


def test_git_commit_is_named_by_the_environment_where_set(monkeypatch):
    import subprocess

    from kgmed.training import runs

    def no_git(*args, **kwargs):
        raise subprocess.CalledProcessError(128, args[0])

    monkeypatch.setenv("KGMED_GIT_COMMIT", "0123abc")
    assert runs.git_commit() == "0123abc"  # even where a (possibly stale) .git answers
    monkeypatch.setattr(runs.subprocess, "run", no_git)
    assert runs.git_commit() == "0123abc"
    monkeypatch.delenv("KGMED_GIT_COMMIT")
    assert runs.git_commit() == "unknown"
