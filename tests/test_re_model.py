"""The relation classifier: marker encoding, calibration, and a tiny BERT trained, saved and
reloaded through the same code the shipped model uses."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from kgmed.documents.pubtator import read_pubtator
from kgmed.relations.model import (
    RelationClassifier,
    expected_calibration_error,
    fit_temperature,
    softmax,
)
from tests.conftest import FIXTURES


def test_temperature_scaling_recovers_the_temperature():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(4000, 3))
    labels = np.array([rng.choice(3, p=p) for p in softmax(logits / 2.0)])
    t = fit_temperature(logits, labels)
    assert 1.8 < t < 2.2
    before = expected_calibration_error(softmax(logits), labels)
    after = expected_calibration_error(softmax(logits / t), labels)
    assert after < before and after < 0.03


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory) -> Path:
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = set()
    for doc in read_pubtator(FIXTURES / "mini.pubtator"):
        words.update(w.lower() for w in doc.document.text.replace(".", " ").split())
    out = tmp_path_factory.mktemp("tiny-re-bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", *sorted(words)]
    BertTokenizerFast(
        vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=True
    ).save_pretrained(str(out))
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(str(out))
    return out


def test_encoding_keeps_both_markers_in_long_texts(tiny_base, tmp_path):
    from transformers import AutoModel, AutoTokenizer

    from kgmed.relations.model import Encoded, add_marker_tokens

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_base))
    add_marker_tokens(tokenizer, AutoModel.from_pretrained(str(tiny_base)))
    filler = " ".join(["the"] * 150)
    text = f"[S:Chemical] haloperidol [/S] {filler} caused [O:Disease] dyskinesia [/O] {filler}"
    [(ids, s, o)] = Encoded(tokenizer, 64)([text])
    assert len(ids) <= 64
    vocab = tokenizer.get_vocab()
    assert ids[s] == vocab["[S:Chemical]"] and ids[o] == vocab["[O:Disease]"]


def test_train_save_reload_predicts_the_same(tiny_base, tmp_path, monkeypatch):
    from kgmed.evaluation.re import load_task, score
    from kgmed.training.re import ReTrainConfig, train_re

    data = tmp_path / "data" / "bc5cdr"
    data.mkdir(parents=True)
    for split in ("Training", "Development"):
        shutil.copy(FIXTURES / "mini.pubtator", data / f"CDR_{split}Set.PubTator.txt")
    out = tmp_path / "model"
    metrics = train_re(
        ReTrainConfig(
            data_dir=tmp_path / "data",
            output_dir=out,
            tasks=("cid",),
            base_model=tiny_base,
            epochs=30,
            batch_size=4,
            learning_rate=3e-3,
            warmup_ratio=0.0,
            max_length=96,
            device="cpu",
            show_progress=False,
            patience=30,
        )
    )
    assert metrics["best_dev_mean_f1"] == 1.0  # it can learn its training document
    assert {"temperature", "threshold", "dev_ece_before", "dev_ece_after"} <= set(
        metrics["calibration"]["cid"]
    )
    assert (out / "heads.safetensors").is_file() and (out / "results.json").is_file()
    reloaded = RelationClassifier(out, device="cpu")
    data_cid = load_task("cid", FIXTURES / "mini.pubtator")
    result = score(reloaded, data_cid)
    assert result["f1"] == 1.0 and 0.0 <= result["ece"] <= 1.0
    texts = [c.text for c in data_cid.candidates]
    both = reloaded.probabilities_for_tasks(texts, ["cid"])["cid"]
    assert np.allclose(both, reloaded.probabilities(texts, "cid"), atol=1e-5)
    # the int8 fast path (ONNX Runtime over the encoder and marker pooling) tracks fp32
    # for batches of any size and length
    monkeypatch.setenv("KGMED_CACHE_DIR", str(tmp_path / "cache"))
    int8 = RelationClassifier(out, device="cpu", quantize=True, batch_size=3)
    fp32 = RelationClassifier(out, device="cpu", quantize=False)
    assert int8.quantized and not fp32.quantized
    assert np.abs(int8.probabilities(texts, "cid") - fp32.probabilities(texts, "cid")).max() < 0.05
    assert score(int8, data_cid)["f1"] == 1.0
    # refitting the calibration of the saved model (one dev document: too few pairs for a
    # pair scorer, so the max rule stays and says why)
    from kgmed.training.re import recalibrate

    calibration = recalibrate(out, tmp_path / "data", ["cid"], "cpu")
    assert calibration["cid"]["pair_scorer"].startswith("not fit")
    assert "recalibration" in json.loads((out / "results.json").read_text())
    assert score(RelationClassifier(out, device="cpu"), data_cid)["f1"] == 1.0
    from kgmed.core.errors import ConfigError

    with pytest.raises(ConfigError, match="no task ddi"):
        recalibrate(out, tmp_path / "data", ["ddi"], "cpu")


def test_no_candidates_give_empty_scores():
    from kgmed.relations.model import RelationClassifier
    from kgmed.resources import model_dir

    classifier = RelationClassifier(model_dir("re"), device="cpu")
    probs = classifier.probabilities_for_tasks([], ["cid", "treats"])
    assert {t: p.shape[0] for t, p in probs.items()} == {"cid": 0, "treats": 0}


def test_eval_re_command_reports_both_document_rules():
    """`kgmed eval re` on a small PubTator file with the shipped model: the table names the
    document scoring, and JSON carries the max rule's figures beside the pair scorer's."""
    from click.testing import CliRunner

    from kgmed.cli import main

    args = ["eval", "re", "--task", "cid", "--data", str(FIXTURES / "mini.pubtator")]
    table = CliRunner().invoke(main, [*args, "--device", "cpu"])
    assert table.exit_code == 0, table.output
    assert "pair scorer" in table.output and "max rule" in table.output
    raw = CliRunner().invoke(main, [*args, "--device", "cpu", "--format", "json"])
    result = json.loads(raw.output)
    assert result["document_scoring"] == "pair scorer" and result["n_gold_pairs"] == 1
    assert {"p", "r", "f1", "threshold"} <= set(result["max_rule"])
    assert 0.0 <= result["pair_ece"] <= 1.0


def test_end_to_end_cid_runs_from_raw_text():
    """`kgmed eval re --setting end2end`: the shipped NER finds the mentions, abbreviations
    link through their long forms, the shipped relation model scores the pairs."""
    from kgmed.pipeline import evaluate_relations

    result = evaluate_relations("cid", FIXTURES / "mini.pubtator", setting="end2end", device="cpu")
    assert result["setting"] == "end2end" and result["n_gold_pairs"] == 1
    assert 0 < result["linked_mentions"] <= result["mentions"]
    assert result["document_scoring"] == "pair scorer" and "max_rule" in result
    assert 0.0 <= result["f1"] <= 1.0 and 0.0 <= result["candidate_recall"] <= 1.0
