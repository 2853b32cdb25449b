"""The NER model shipped inside the package: small enough, loads offline, tags sensibly."""

from __future__ import annotations

import json

import pytest

from kgmed.resources import model_dir

MODEL = model_dir("ner")
pytestmark = pytest.mark.skipif(
    not (MODEL / "config.json").exists(), reason="no shipped model in this checkout"
)


def test_shipped_model_is_small_and_documented():
    size = sum(p.stat().st_size for p in MODEL.iterdir() if p.is_file())
    assert size <= 50 * 1024 * 1024, f"{size / 1e6:.1f} MB"
    assert (MODEL / "model.safetensors").is_file()
    assert (MODEL / "MODEL_CARD.md").is_file()
    labels = json.loads((MODEL / "config.json").read_text())["id2label"]
    assert set(labels.values()) == {"O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"}
    results = json.loads((MODEL / "results.json").read_text())
    assert results["data"] and results["git_commit"]


def test_shipped_model_tags_a_sentence():
    pytest.importorskip("torch")
    from kgmed.mentions.bert import BertTagger

    tagger = BertTagger(MODEL, device="cpu")
    text = "Cisplatin-induced nephrotoxicity was worse in rats given gentamicin."
    [mentions] = tagger.tag_texts([("doc", text)])
    found = {(m.text, m.label) for m in mentions}
    assert ("Cisplatin", "Chemical") in found
    assert ("nephrotoxicity", "Disease") in found
    assert ("gentamicin", "Chemical") in found
    assert all(text[m.start : m.end] == m.text for m in mentions)


RE_MODEL = model_dir("re")


def test_shipped_relation_model_is_small_calibrated_and_documented():
    size = sum(p.stat().st_size for p in RE_MODEL.iterdir() if p.is_file())
    assert size <= 50 * 1024 * 1024, f"{size / 1e6:.1f} MB"
    assert (RE_MODEL / "MODEL_CARD.md").is_file()
    meta = json.loads((RE_MODEL / "relations.json").read_text())
    assert set(meta["tasks"]) == {"cid", "ddi", "treats"}
    for task in meta["tasks"].values():
        assert 0.05 < task["temperature"] < 20  # fit on dev, not left at the default
    assert meta["tasks"]["cid"]["threshold"] is not None
    results = json.loads((RE_MODEL / "results.json").read_text())
    assert results["data"] and results["git_commit"] and results["metrics"]["calibration"]


def test_shipped_relation_model_scores_pairs():
    pytest.importorskip("torch")
    from kgmed.relations.model import RelationClassifier

    model = RelationClassifier(RE_MODEL, device="cpu")
    induced = (
        "[S:Chemical] Cisplatin [/S] - induced [O:Disease] nephrotoxicity [/O] was dose dependent."
    )
    unrelated = (
        "[S:Chemical] Cisplatin [/S] was given to patients with [O:Disease] hypertension [/O]."
    )
    p = model.probabilities([induced, unrelated], "cid")
    assert p[0, 1] > p[1, 1]
    assert np_allclose_rows(p)


def np_allclose_rows(p) -> bool:
    return bool(abs(p.sum(axis=1) - 1).max() < 1e-5)


def test_cpu_bf16_is_used_only_where_recorded_and_supported(monkeypatch, tmp_path):
    from kgmed.mentions import bert

    for model in (MODEL, RE_MODEL):  # the shipped decision comes from benchmarks/cpu_bf16.py
        record = json.loads((model / "kgmed.json").read_text())["cpu_bf16"]
        assert record["allowed"] == (record["f1_drop_points"] <= 0.5)
    (tmp_path / "kgmed.json").write_text(json.dumps({"cpu_bf16": {"allowed": True}}))
    monkeypatch.setattr(bert, "cpu_bf16_supported", lambda: True)
    assert bert.use_bf16("cpu", tmp_path, None)
    assert not bert.use_bf16("cuda", tmp_path, None)  # CPU fast path only
    assert not bert.use_bf16("cpu", tmp_path / "elsewhere", None)  # no record: fp32
    assert not bert.use_bf16("cpu", tmp_path, False)  # asked for fp32
    monkeypatch.setenv("KGMED_CPU_BF16", "0")
    assert not bert.use_bf16("cpu", tmp_path, None)  # turned off by the user
    monkeypatch.delenv("KGMED_CPU_BF16")
    monkeypatch.setattr(bert, "cpu_bf16_supported", lambda: False)
    assert not bert.use_bf16("cpu", tmp_path, None)  # emulated bf16 would be slower


SAMPLE = (
    "Cisplatin-induced nephrotoxicity was worse in rats given gentamicin. "
    "Lithium carbonate caused polyuria and hypothyroidism in two patients "
    "with bipolar disorder."
)


def sample_spans(**precision) -> list[tuple[int, int, str]]:
    """The shipped tagger's mentions of SAMPLE with the given ``bf16`` / ``quantize``."""
    from kgmed.mentions.bert import BertTagger

    [mentions] = BertTagger(MODEL, device="cpu", **precision).tag_texts([("doc", SAMPLE)])
    return [(m.start, m.end, m.label) for m in mentions]


def test_bf16_and_fp32_tag_alike():
    pytest.importorskip("torch")
    fp32 = sample_spans(bf16=False, quantize=False)
    assert sample_spans(bf16=True, quantize=False) == fp32


def test_int8_record_and_tagging_match_fp32():
    """The int8 fast path (ONNX Runtime) is recorded as benchmarks/ner.py and
    benchmarks/relations.py measured it, and tags the shipped sentence as fp32 does."""
    pytest.importorskip("onnxruntime")
    from kgmed.relations.model import RelationClassifier

    for model in (MODEL, RE_MODEL):
        record = json.loads((model / "kgmed.json").read_text())["cpu_int8"]
        assert record["allowed"] == (record["max_f1_drop_points"] <= 0.5)
        assert record["runtime"].startswith("ONNX Runtime")
    assert sample_spans(bf16=False, quantize=True) == sample_spans(bf16=False, quantize=False)
    induced = "[S:Chemical] Lithium [/S] caused [O:Disease] polyuria [/O] in two patients."
    p = {
        q: RelationClassifier(RE_MODEL, device="cpu", bf16=False, quantize=q).probabilities(
            [induced], "cid"
        )
        for q in (False, True)
    }
    assert abs(p[True][0, 1] - p[False][0, 1]) < 0.05


def test_missing_models_say_how_to_get_one(tmp_path):
    pytest.importorskip("torch")
    from kgmed.core.errors import ConfigError
    from kgmed.mentions.bert import BertTagger
    from kgmed.relations.model import RelationClassifier

    with pytest.raises(ConfigError) as err:
        BertTagger(tmp_path, device="cpu")
    assert "no NER model" in err.value.message and "kgmed train ner" in err.value.hint
    with pytest.raises(ConfigError) as err:
        RelationClassifier(tmp_path, device="cpu")
    assert "no relation model" in err.value.message and "kgmed train re" in err.value.hint


def test_emulated_bf16_matches_native_bf16_kernels():
    """benchmarks/_bf16_emulation.py checks the bf16 fast path's F1 on CPUs without native bf16:
    its numerics must be those of PyTorch's own (slow there) bf16 kernels."""
    torch = pytest.importorskip("torch")
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from benchmarks._bf16_emulation import emulated_bf16

    model = AutoModelForTokenClassification.from_pretrained(MODEL).eval()
    tokenizer = AutoTokenizer.from_pretrained(MODEL)
    batch = tokenizer(
        ["Famotidine-associated delirium.", "Cocaine induced myocardial infarction in rats."],
        return_tensors="pt",
        padding=True,
    )
    with torch.no_grad():
        fp32 = model(**batch).logits
        model = model.to(torch.bfloat16)
        native = model(**batch).logits
        with emulated_bf16():
            emulated = model(**batch).logits
    assert emulated.dtype == torch.bfloat16  # outputs rounded to bf16, as native kernels do
    assert torch.equal(emulated.argmax(-1), native.argmax(-1))
    # as close to the native kernels, on average, as those are to fp32 (bf16 rounding noise;
    # a single token's logit can drift further as a rounding flip carries through six layers)
    noise = (native.float() - fp32).abs().mean()
    assert (emulated.float() - native.float()).abs().mean() < 2 * noise
    assert (emulated.float() - fp32).abs().mean() < 2 * noise
    x, w = torch.randn(3, 64).bfloat16(), torch.randn(5, 64).bfloat16()
    with emulated_bf16():  # a matrix product: fp32 on the bf16 inputs, rounded to bf16
        assert torch.equal(torch.nn.functional.linear(x, w), (x.float() @ w.float().T).bfloat16())
