"""The CPU bf16 fast path: does it keep F1 within 0.5 points of fp32, and how much faster is it?

    python benchmarks/cpu_bf16.py [--data-dir ../shared/data] [--emulate]

Scores the shipped NER model on BC5CDR dev (strict micro-F1) and the shipped relation model on
BC5CDR CID dev (document-level F1, gold entities) in fp32 and in bf16 (weights cast once), timing each
pass with the 2 threads of this machine. Records the decision in each model's ``kgmed.json``
(``cpu_bf16``), which the taggers read at load time (they use bf16 on CPU only where it is
allowed there and the CPU computes bf16 natively), and writes section "cpu_bf16" of
docs/benchmarks.md. Dev sets, not test sets: this picks an inference setting.

On a CPU without native bf16, ``--emulate`` checks F1 alone, with bf16 numerics emulated op by
op (``benchmarks/_bf16_emulation.py``); no speed-up is measured or recorded then.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import command_line, machine, record_with_model, write_section
from kgmed.mentions.bert import cpu_bf16_supported
from kgmed.resources import model_dir

MAX_DROP = 0.5  # F1 points
AMX_SPEEDUPS = "2.19x for NER and 1.96x for relations (commit 3e4eb26)"


def cid_pair_scorer_fit_on_dev() -> bool:
    """Whether the shipped relation model scores CID pairs with a pair scorer fit on dev."""
    raw = json.loads((model_dir("re") / "relations.json").read_text())
    return bool(raw["tasks"].get("cid", {}).get("pair_scorer"))


def ner_check(data: Path, bf16_context: Callable[[], Any]) -> dict:
    from kgmed.evaluation.ner import evaluate_ner
    from kgmed.mentions.bert import BertTagger

    out = {}
    for name, bf16 in (("fp32", False), ("bf16", True)):
        tagger = BertTagger(model_dir("ner"), device="cpu", quantize=False, bf16=bf16, threads=2)
        t0 = time.perf_counter()
        with bf16_context() if bf16 else contextlib.nullcontext():
            result = evaluate_ner(data, instance=tagger)
        out[name] = {"f1": result["micro"]["f1"] * 100, "seconds": time.perf_counter() - t0}
    return out


def re_check(data: Path, bf16_context: Callable[[], Any]) -> dict:
    from kgmed.evaluation.re import load_task, score
    from kgmed.relations.model import RelationClassifier

    task = load_task("cid", data, split="dev")
    out = {}
    for name, bf16 in (("fp32", False), ("bf16", True)):
        classifier = RelationClassifier(
            model_dir("re"), device="cpu", bf16=bf16, quantize=False, threads=2
        )
        t0 = time.perf_counter()
        with bf16_context() if bf16 else contextlib.nullcontext():
            result = score(classifier, task)
        out[name] = {"f1": result["f1"] * 100, "seconds": time.perf_counter() - t0}
    return out


def record(model: str, check: dict, data: str, emulated: bool) -> dict:
    drop = check["fp32"]["f1"] - check["bf16"]["f1"]
    decision = {
        "allowed": drop <= MAX_DROP,
        "f1_drop_points": round(drop, 3),
        "fp32_f1": round(check["fp32"]["f1"], 2),
        "bf16_f1": round(check["bf16"]["f1"], 2),
        "speedup": None
        if emulated
        else round(check["fp32"]["seconds"] / check["bf16"]["seconds"], 2),
        "data": data,
    }
    if emulated:
        decision["bf16"] = "emulated op by op (benchmarks/_bf16_emulation.py): F1 only"
    record_with_model(model_dir(model), "cpu_bf16", decision)
    return decision


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument(
        "--emulate",
        action="store_true",
        help="on a CPU without native bf16: check F1 with emulated bf16 numerics (no timing)",
    )
    args = parser.parse_args()
    native = cpu_bf16_supported()
    if not native and not args.emulate:
        sys.exit(
            "this CPU has no native bf16 (amx_bf16/avx512_bf16): nothing to time here; "
            "--emulate checks F1 alone"
        )
    emulated = not native
    context: Callable[[], Any] = contextlib.nullcontext
    if emulated:
        from benchmarks._bf16_emulation import emulated_bf16

        context = emulated_bf16
    dev = args.data_dir / "bc5cdr/CDR_DevelopmentSet.PubTator.txt"
    results = {
        "ner": (ner_check(dev, context), "BC5CDR dev, strict micro-F1"),
        "re": (re_check(dev, context), "BC5CDR CID dev, gold entities, document-level F1"),
    }
    rows = []
    for model, (check, data) in results.items():
        d = record(model, check, data, emulated)
        print(model, d)
        timing = (
            "— | — | —"
            if emulated
            else f"{check['fp32']['seconds']:.0f} | {check['bf16']['seconds']:.0f} | "
            f"{d['speedup']:.2f}x"
        )
        rows.append(
            f"| {model} | {data} | {d['fp32_f1']:.2f} | {d['bf16_f1']:.2f} | {timing} | "
            f"{'yes' if d['allowed'] else 'no'} |"
        )
    ner_train = json.loads((model_dir("ner") / "results.json").read_text())["config"]["train"]
    ner_note = (
        "\nThe NER model is trained on train+dev (`kgmed train ner --final`), so its dev F1 here "
        "is in-sample;\nthe held-out check of the same path is the bf16 column of the NER "
        "section (BC5CDR and NCBI-disease test)."
        if any("devel" in Path(c["path"]).name for c in ner_train)
        else ""
    )
    re_note = (
        "\nThe relation model's CID pair scorer and threshold are fit on BC5CDR dev, so its F1 "
        "here is in-sample\ntoo; the held-out CID figures are in the relation extraction section."
        if cid_pair_scorer_fit_on_dev()
        else ""
    )
    hardware = (
        "this CPU has no native bf16, so bf16 numerics are emulated op by op\n"
        "(`benchmarks/_bf16_emulation.py`: matrix products on fp32 copies of the bf16 inputs, "
        "rounded back to bf16,\nas native kernels compute) and only F1 is checked; on an AMX "
        f"machine the bf16 weights ran\n{AMX_SPEEDUPS} faster than fp32"
        if emulated
        else "the CPU computes bf16 natively\n(AMX)"
    )
    body = f"""## CPU bf16 fast path (`benchmarks/cpu_bf16.py`)

Command: `{command_line()}`. Machine: {machine()}, 2 threads; {hardware}. The same shipped
models in fp32 and in bf16 (weights cast to bf16 once at load, as inference does; until commit
3e4eb26 it ran under bf16 autocast, 1.47x for NER and 1.81x for relations); the fast path is
allowed when F1 drops by at most {MAX_DROP} points, and the decision is recorded in each
model's `kgmed.json`.

| model | data | fp32 F1 | bf16 F1 | fp32 s | bf16 s | speed-up | allowed |
| --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

On CPUs without native bf16, kgmed stays in fp32 (emulated bf16 is slower).{ner_note}{re_note}
"""
    write_section("cpu_bf16", body)
    print(body)


if __name__ == "__main__":
    main()
