"""benchmarks/gpu.py renders what a GPU run saved (``--from-json``) without a GPU: the rule that
chose the final model is stated from the figures, and missing stages are said, not crashed on."""

from __future__ import annotations

from benchmarks.gpu import report


def _ner(curve: list[float], seconds: float) -> dict:
    history = [
        {"epoch": i, "dev": {"micro": {"f1": f / 100}}, "epoch_seconds": seconds}
        for i, f in enumerate(curve, 1)
    ]
    return {"history": history, "seconds": seconds * len(curve)}


def _got(**extra) -> dict:
    return {
        "device": {"name": "GPU X", "memory_gib": 80.0, "torch": "2", "transformers": "5"},
        "command": "python benchmarks/gpu.py",
        "commit": "abc1234",
        "host": "16 cores",
        "margin": 0.3,
        "mlm_seconds": 120,
        "re_samples": 1000,
        "cpu_sibling_path": "runs/sibling",
        "cpu_sibling": _ner([80.0, 84.0], 370.0),
        "skipped": [],
        **extra,
    }


def test_report_states_the_rule_from_the_figures():
    chosen = report(_got(ner_adapted=_ner([81.0, 84.5], 15.0)))
    assert "+0.50, so the rule chose it" in chosen
    assert "| 15.0 | 81.00 / 84.50 | **84.50** |" in chosen
    assert "25x" in chosen  # CPU against GPU time per epoch
    not_chosen = report(_got(ner_adapted=_ner([81.0, 84.1], 15.0)))
    assert "+0.10, so it was not retrained" in not_chosen


def test_report_says_what_was_skipped_and_renders_a_later_final_run():
    final = {**_ner([90.0, 99.0], 18.0), "output": "runs/final", "where": "a later run"}
    text = report(_got(final=final, skipped=["the relation classifier"], notes=["A note."]))
    assert "`--final`, a later run): 36 s on the GPU (18.0 s per epoch)" in text
    assert "Skipped for the time budget: the relation classifier." in text
    assert "A note." in text
    assert "Masked-LM" not in text and "NER inference" not in text
