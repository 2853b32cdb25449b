"""GPU figures, for a session that is lent one CUDA GPU.

What it measures, in this order (each stage is skipped, and said so, when the time budget
``--budget-seconds`` would not cover it):

1. Masked-LM adaptation (``kgmed train mlm``) for as many epochs as the budget allows, up to
   ``--mlm-max-epochs`` (the task-adaptive pre-training literature runs 100): on CPU only 8
   epochs were affordable (the NER model card records that trial).
2. NER fine-tuning from the adapted weights with the decoding sibling's recipe (training splits
   + BioRED, no dev; 8 epochs, lr 1e-4, batch 32; bf16 autocast on CUDA): the GPU's time per
   epoch, and dev F1 per epoch beside the CPU run from the base weights (``--cpu-sibling``'s
   results.json).
3. NER inference throughput on the GPU (BC5CDR test sentences; fp32 and bf16 autocast; two
   batch sizes) and the test micro-F1 of each, to see what bf16 costs.
4. The relation classifier on the GPU: a short training run (``kgmed train re
   --max-train-samples``, which exercises training, calibration and saving on CUDA) and its
   inference throughput on BC5CDR dev candidates (speed does not depend on the weights).
5. With ``--final-output``, and only when the adapted sibling's best dev micro-F1 beats the
   CPU sibling's by at least ``--margin`` points (the rule is fixed before the run; test sets
   never decide): the final model (train+dev, ``--final``) from the adapted weights.

Figures go to WORK/gpu.json and the section "gpu" of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import command_line, git_commit, machine, median, write_section

DEVICE = "cuda"  # --device cpu runs the same stages on CPU (a smoke check of this script)
NER_RECIPE = ["--biored", "--epochs", "8", "--lr", "1e-4", "--batch-size", "32"]


class Budget:
    """Wall-clock seconds left for the stages."""

    def __init__(self, seconds: float) -> None:
        self.end = time.perf_counter() + seconds

    def left(self) -> float:
        return self.end - time.perf_counter()


def items_per_second(run: Any, items: list, warm_up: int = 256) -> float:
    """Median rate of 3 timed passes of ``run(items)``, after a warm-up pass over a few (kernel
    choice, the allocator's first blocks)."""
    import torch

    run(items[:warm_up])
    rates = []
    for _ in range(3):
        if DEVICE == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        run(items)  # returns Python lists: the GPU's work is done when it returns
        rates.append(len(items) / (time.perf_counter() - t0))
    return median(rates)


def metrics_of(run: Path) -> dict[str, Any]:
    return json.loads((run / "results.json").read_text())["metrics"]


def train(command: str, data_dir: Path, base: Path, out: Path, *options: str) -> dict[str, Any]:
    """``kgmed train COMMAND`` run in this process (one torch import for every stage) from
    ``base`` into ``out`` on ``DEVICE``; returns the metrics of its results.json."""
    from kgmed.cli.train import train as train_group

    train_group.commands[command].main(
        [
            *("--data-dir", str(data_dir), "--output", str(out), "--base-model", str(base)),
            *options,
            *("--device", DEVICE, "--no-progress"),
        ],
        standalone_mode=False,
    )
    return metrics_of(out)


def train_mlm(data_dir: Path, base: Path, out: Path, epochs: int, batch: int) -> dict[str, Any]:
    return train(
        "mlm",
        data_dir,
        base,
        out,
        "--epochs",
        str(epochs),
        "--batch-size",
        str(batch),
        "--lr",
        "1e-4",
    )


def train_ner(data_dir: Path, base: Path, out: Path, final: bool = False) -> dict[str, Any]:
    return train("ner", data_dir, base, out, *NER_RECIPE, *(["--final"] if final else []))


def ner_inference(model: Path, data_dir: Path) -> list[dict[str, Any]]:
    """Sentences/s (median of 3 passes over the BC5CDR test sentences) and test micro-F1."""
    from kgmed.documents.conll import read_conll
    from kgmed.evaluation.ner import evaluate_ner
    from kgmed.mentions.bert import BertTagger

    sets = {
        "BC5CDR": (data_dir / "bc5cdr/BC5CDR-IOB/test.tsv", ("Chemical", "Disease")),
        "NCBI-disease": (data_dir / "ncbi_disease/NCBI-disease-IOB/test.tsv", ("Disease",)),
    }
    sentences = [list(s.tokens) for s in read_conll(sets["BC5CDR"][0])]
    rows = []
    for bf16 in (False, True):
        for batch in (32, 256):
            tagger = BertTagger(model, device=DEVICE, bf16=bf16, batch_size=batch)
            row = {"bf16": bf16, "batch": batch, "sentences": len(sentences)}
            row["sentences_per_s"] = items_per_second(tagger.tag_words, sentences)
            if batch == 32:  # F1 does not depend on the batch size beyond bf16 rounding
                row["test_micro_f1"] = {
                    name: evaluate_ner(path, types=types, instance=tagger)["micro"]["f1"]
                    for name, (path, types) in sets.items()
                }
            rows.append(row)
            print("NER inference", json.dumps(row), flush=True)
    return rows


def relation_stage(data_dir: Path, base: Path, out: Path, samples: int) -> dict[str, Any]:
    """A short relation training run on CUDA, then inference speed on BC5CDR dev candidates."""
    from kgmed.relations.model import RelationClassifier
    from kgmed.training.re import task_splits

    t0 = time.perf_counter()
    options = ("--epochs", "1", "--max-train-samples", str(samples), "--lr", "1e-4")
    training = train("re", data_dir, base, out, *options)
    result: dict[str, Any] = {"train_seconds": round(time.perf_counter() - t0, 1)}
    result["training"] = training
    texts = [c.text for c in task_splits("cid", data_dir)[1].candidates][:2000]
    result["speed"] = []
    for bf16 in (False, True):
        for batch in (32, 256):
            classifier = RelationClassifier(out, device=DEVICE, bf16=bf16, batch_size=batch)
            row = {"bf16": bf16, "batch": batch, "pairs": len(texts)}
            row["pairs_per_s"] = items_per_second(
                lambda chunk, c=classifier: c.probabilities(chunk, "cid"), texts
            )
            result["speed"].append(row)
            print("relation inference", json.dumps(row), flush=True)
    return result


def best_dev(metrics: dict[str, Any]) -> float:
    return max(h["dev"]["micro"]["f1"] for h in metrics["history"]) * 100


def curve(metrics: dict[str, Any]) -> str:
    return " / ".join(f"{h['dev']['micro']['f1'] * 100:.2f}" for h in metrics["history"])


def epoch_seconds(metrics: dict[str, Any]) -> float:
    return median([h["epoch_seconds"] for h in metrics["history"]])


def dev_gain(got: dict[str, Any]) -> float | None:
    """Best dev F1 of the adapted sibling minus the CPU sibling's (points), what the rule reads."""
    if "ner_adapted" not in got or "cpu_sibling" not in got:
        return None
    return best_dev(got["ner_adapted"]) - best_dev(got["cpu_sibling"])


def publish(got: dict[str, Any], record: bool) -> None:
    body = report(got)
    print(body)
    if record:
        write_section("gpu", body)
        print("recorded in docs/benchmarks.md")


def report(got: dict[str, Any]) -> str:
    gpu = got["device"]
    lines = [
        "## GPU (`benchmarks/gpu.py`)",
        "",
        f"Command: `{got['command']}` (code at commit {got['commit']})",
        f"Machine: {gpu['name']} ({gpu['memory_gib']:.0f} GiB), torch {gpu['torch']}, "
        f"transformers {gpu['transformers']}; host {got['host']}.",
        "",
    ]
    cpu = got.get("cpu_sibling")
    mlm = got.get("mlm")
    sib = got.get("ner_adapted")
    if mlm:
        h = mlm["history"]
        lines += [
            f"Masked-LM adaptation (`kgmed train mlm --epochs {len(h)} --batch-size "
            f"{mlm['batch_size']}`, bf16 autocast; the epochs that fit in {got['mlm_seconds']:g} s "
            f"at the speed of a timed probe): {mlm['documents']} training documents, "
            f"{mlm['blocks']} blocks of 128 tokens; held-out masked-LM loss "
            f"{mlm['held_out_loss_before']:.2f} → {mlm['held_out_loss_after']:.2f} "
            f"(the 8-epoch CPU run reached 3.88); {epoch_seconds(mlm):.1f} s per epoch, "
            f"{mlm['seconds']:.0f} s in all.",
            "",
        ]
    if sib:
        lines += [
            "NER fine-tuning, the decoding sibling's recipe (training splits + BioRED, no dev; "
            "8 epochs at most, early stopping with patience 2, lr 1e-4, batch 32). Dev micro-F1 "
            "per epoch (BC5CDR + NCBI-disease dev, BIO files, each word's argmax):",
            "",
            "| run | device | s per epoch | dev micro-F1 by epoch | best |",
            "| --- | --- | --- | --- | --- |",
            f"| from the adapted weights ({len(mlm['history']) if mlm else '?'} MLM epochs) | "
            f"GPU, bf16 autocast | {epoch_seconds(sib):.1f} | {curve(sib)} | "
            f"**{best_dev(sib):.2f}** |",
        ]
        if cpu:
            lines.append(
                f"| from the base weights (`{got['cpu_sibling_path']}`) | CPU, 2 threads, fp32 | "
                f"{epoch_seconds(cpu):.0f} | {curve(cpu)} | **{best_dev(cpu):.2f}** |"
            )
        lines.append("")
        gain = dev_gain(got)
        if cpu and gain is not None:
            lines.append(
                f"GPU time per epoch against the CPU's: {epoch_seconds(cpu) / epoch_seconds(sib):.0f}x "
                f"faster. Rule fixed before the run: the final model is retrained from the "
                f"adapted weights only if the adapted sibling's best dev F1 beats the CPU "
                f"sibling's by at least {got['margin']:g} points: {gain:+.2f}, so "
                f"{'the rule chose it' if gain >= got['margin'] else 'it was not retrained'}."
            )
            lines.append("")
    final = got.get("final")
    if final:
        lines += [
            f"Final model from the adapted weights (train+dev, `--final`, "
            f"{final.get('where', 'in this run')}): {final['seconds']:.0f} s on the GPU "
            f"({epoch_seconds(final):.1f} s per epoch), saved to `{final['output']}`.",
            "",
        ]
    if got.get("ner_inference"):
        lines += [
            "NER inference on the GPU (the adapted sibling; BC5CDR test sentences, median of 3 "
            "passes after a warm-up; test micro-F1 with its BIO files):",
            "",
            "| precision | batch | sentences/s | BC5CDR micro-F1 | NCBI-disease micro-F1 |",
            "| --- | --- | --- | --- | --- |",
        ]
        for r in got["ner_inference"]:
            f1 = r.get("test_micro_f1")
            cells = f"{f1['BC5CDR'] * 100:.2f} | {f1['NCBI-disease'] * 100:.2f}" if f1 else "— | —"
            lines.append(
                f"| {'bf16 autocast' if r['bf16'] else 'fp32'} | {r['batch']} | "
                f"{r['sentences_per_s']:.0f} | {cells} |"
            )
        lines.append("")
    rel = got.get("relations")
    if rel:
        lines += [
            f"Relation classifier on the GPU: `kgmed train re --epochs 1 --max-train-samples "
            f"{got['re_samples']}` (all three tasks; training, calibration and saving on CUDA) "
            f"took {rel['train_seconds']:.0f} s. Inference on the "
            f"{rel['speed'][0]['pairs']} BC5CDR dev CID candidates (texts up to 256 tokens; "
            "speed does not depend on the weights, so this short run stands for the shipped "
            "model's architecture):",
            "",
            "| precision | batch | candidate pairs/s |",
            "| --- | --- | --- |",
        ]
        for r in rel["speed"]:
            lines.append(
                f"| {'bf16' if r['bf16'] else 'fp32'} | {r['batch']} | {r['pairs_per_s']:.0f} |"
            )
        lines.append("")
    lines += [*got.get("notes", []), ""] if got.get("notes") else []
    if got.get("skipped"):
        lines.append("Skipped for the time budget: " + "; ".join(got["skipped"]) + ".")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--base-model", type=Path, help="default: the base BERT package's")
    parser.add_argument("--work", type=Path, default=Path("runs/gpu"))
    parser.add_argument("--cpu-sibling", type=Path, default=Path("runs/ner-train8-biored"))
    parser.add_argument("--budget-seconds", type=float, default=480)
    parser.add_argument("--mlm-max-epochs", type=int, default=100)
    parser.add_argument("--mlm-batch-size", type=int, default=64)
    parser.add_argument("--mlm-seconds", type=float, default=150)
    parser.add_argument("--re-samples", type=int, default=1000)
    parser.add_argument("--margin", type=float, default=0.3)
    parser.add_argument("--final-output", type=Path)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument(
        "--from-json",
        type=Path,
        help="only re-render the section from a saved WORK/gpu.json (no GPU needed), adding "
        "the final model of --final-output when it was trained in a later run",
    )
    args = parser.parse_args()
    if args.from_json:
        got = json.loads(args.from_json.read_text())
        if args.final_output and "final" not in got:
            final = metrics_of(args.final_output)
            got["final"] = {**final, "output": str(args.final_output), "where": "a later run"}
            got["skipped"] = [s for s in got["skipped"] if not s.startswith("the final model")]
        args.from_json.write_text(json.dumps(got, indent=2, default=str) + "\n")
        publish(got, record=not args.no_record)
        return
    global DEVICE
    DEVICE = args.device

    import torch
    import transformers

    from kgmed.training.ner import default_base_model

    if DEVICE == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU here: this benchmark needs one")
    budget = Budget(args.budget_seconds)
    base = args.base_model or default_base_model()
    props = torch.cuda.get_device_properties(0) if DEVICE == "cuda" else None
    got: dict[str, Any] = {
        "device": {
            "name": props.name if props else "CPU",
            "memory_gib": props.total_memory / 2**30 if props else 0.0,
            "torch": torch.__version__,
            "transformers": transformers.__version__,
        },
        "skipped": [],
        "command": command_line(),
        "commit": git_commit(),
        "host": machine(),
        "margin": args.margin,
        "mlm_seconds": args.mlm_seconds,
        "re_samples": args.re_samples,
    }
    if (args.cpu_sibling / "results.json").exists():
        got["cpu_sibling"] = metrics_of(args.cpu_sibling)
        got["cpu_sibling_path"] = str(args.cpu_sibling)
    out = args.work / "gpu.json"
    args.work.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        out.write_text(json.dumps(got, indent=2, default=str) + "\n")

    # 1. masked-LM adaptation: a timed probe decides how many epochs fit in --mlm-seconds (its
    # second epoch: the first one pays for CUDA's warm-up, 3x the steady speed on an H200)
    probe = train_mlm(args.data_dir, base, args.work / "mlm-probe", 2, args.mlm_batch_size)
    per_epoch = probe["history"][-1]["epoch_seconds"] + 0.05
    epochs = max(1, min(args.mlm_max_epochs, int(args.mlm_seconds / per_epoch)))
    print(f"MLM: {per_epoch:.1f} s per epoch; running {epochs} epochs", flush=True)
    adapted = args.work / "mlm"
    got["mlm"] = {
        **train_mlm(args.data_dir, base, adapted, epochs, args.mlm_batch_size),
        "batch_size": args.mlm_batch_size,
    }
    save()
    # 2. the NER sibling from the adapted weights
    sibling = args.work / "ner-adapted"
    got["ner_adapted"] = train_ner(args.data_dir, adapted, sibling)
    save()
    ner_seconds = got["ner_adapted"]["seconds"]
    # 3. inference
    if budget.left() > 60:
        got["ner_inference"] = ner_inference(sibling, args.data_dir)
        save()
    else:
        got["skipped"].append("NER inference")
    # 5 before 4 when it applies: the final model is worth more than the relation figures
    gain = dev_gain(got)
    if args.final_output and gain is not None and gain >= args.margin:
        if budget.left() > 1.25 * ner_seconds + 20:
            final = train_ner(args.data_dir, adapted, args.final_output, final=True)
            got["final"] = {**final, "output": str(args.final_output)}
            save()
        else:
            got["skipped"].append("the final model (the rule chose it, time did not allow it)")
    if budget.left() > 75:
        got["relations"] = relation_stage(args.data_dir, base, args.work / "re", args.re_samples)
        save()
    else:
        got["skipped"].append("the relation classifier")
    save()
    publish(got, record=not args.no_record)


if __name__ == "__main__":
    main()
