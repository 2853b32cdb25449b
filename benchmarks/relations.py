"""Relation extraction quality, calibration and speed.

    python benchmarks/relations.py [--model kgmed/models/re] [--data-dir ../shared/data] [--skip-end2end]

BC5CDR CID (document level, gold entities and end-to-end with kgmed's NER and MeSH linking),
DDI 2013 (micro-F1 over the four classes), BioRED treatment relations; ECE before and after
temperature scaling; candidates scored per second on CPU (2 threads), in fp32 and in int8
(ONNX Runtime, per-channel weight scales: allowed as the CPU default when no task's test F1
drops by more than 0.5 points; the decision is recorded in the model's kgmed.json). Published
anchors beside. Results go to docs/benchmarks.md (section "re"). Not named re.py: that would shadow Python's re
module for every script in this folder.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import command_line, machine, record_with_model, write_section
from kgmed.evaluation.re import load_task, score
from kgmed.mentions import onnx_int8
from kgmed.relations.model import RelationClassifier
from kgmed.resources import model_dir

ROWS = [
    # task, label, data file, goal, anchors
    (
        "cid",
        "BC5CDR CID, gold entities",
        "bc5cdr/CDR_TestSet.PubTator.txt",
        "≥ 70",
        "DocuNet 76.3, SAIS 79.0 (larger models)",
    ),
    (
        "ddi",
        "DDI 2013, micro-F1 (4 classes)",
        "ddi_corpus_2013/DDICorpus-2013.zip",
        "≥ 78",
        "PubMedBERT 82.4",
    ),
    (
        "treats",
        "BioRED chemical-disease Negative_Correlation (TREATS)",
        "biored/Test.PubTator",
        "—",
        "BioRED paper: novel-relation F1 47.7 (all types)",
    ),
]


MAX_DROP = 0.5  # F1 points a CPU fast path may cost


def record_int8(model: Path, drops: dict, fp32: list, int8: list) -> None:
    """Record the int8 decision in the model's kgmed.json (RelationClassifier reads it)."""
    decision = {
        "allowed": max(drops.values()) <= MAX_DROP,
        **onnx_int8.describe(),
        "max_f1_drop_points": round(max(drops.values()), 3),
        "f1_drop_points": {t: round(d, 3) for t, d in drops.items()},
        "data": "BC5CDR CID test (gold entities), DDI 2013 test, BioRED test (TREATS)",
        "fp32_candidates_per_s": [round(x, 1) for x in fp32],
        "int8_candidates_per_s": [round(x, 1) for x in int8],
    }
    record_with_model(model, "cpu_int8", decision)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=model_dir("re"))
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--skip-end2end", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    classifier = RelationClassifier(args.model, device="cpu", bf16=False, quantize=False)
    int8 = RelationClassifier(args.model, device="cpu", quantize=True)
    results, int8_results = {}, {}
    speed, int8_speed = [], []
    for task, _, rel, _, _ in ROWS:
        data = load_task(task, args.data_dir / rel)
        t0 = time.perf_counter()
        results[task] = score(classifier, data)
        speed.append(len(data.candidates) / (time.perf_counter() - t0))
        print(task, json.dumps(results[task]))
        t0 = time.perf_counter()
        int8_results[task] = score(int8, data)
        int8_speed.append(len(data.candidates) / (time.perf_counter() - t0))
        print(task, "int8", int8_results[task]["f1"])
    drops = {t: (results[t]["f1"] - int8_results[t]["f1"]) * 100 for t in results}
    record_int8(args.model, drops, speed, int8_speed)
    end2end = None
    if not args.skip_end2end:
        from kgmed.concepts.linking import default_embedder
        from kgmed.concepts.mentions import linker_from_ontologies
        from kgmed.evaluation.re import end2end_cid
        from kgmed.mentions.bert import BertTagger
        from kgmed.text.abbreviations import AbbreviationFinder

        end2end = end2end_cid(
            classifier,
            BertTagger(model_dir("ner"), device="cpu", bf16=False, quantize=False),
            linker_from_ontologies(default_embedder()),
            args.data_dir / ROWS[0][2],
            AbbreviationFinder(),
        )
        print("cid end2end", json.dumps(end2end))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    meta = json.loads((args.model / "results.json").read_text())
    rows = []

    def max_rule(r: dict) -> str:
        return f"{r['max_rule']['f1']:.4f}" if "max_rule" in r else "—"

    def pair_ece(r: dict) -> str:
        return f"{r['pair_ece']:.4f}" if "pair_ece" in r else "—"

    for task, label, _, goal, anchor in ROWS:
        r = results[task]
        rows.append(
            f"| {label} | {r['p']:.4f} | {r['r']:.4f} | **{r['f1']:.4f}** | {max_rule(r)} | "
            f"{int8_results[task]['f1']:.4f} | {r['ece_uncalibrated']:.4f} → {r['ece']:.4f} | {pair_ece(r)} | {goal} | {anchor} |"
        )
    if end2end:
        rows.insert(
            1,
            f"| BC5CDR CID, end-to-end (kgmed NER + abbreviations + MeSH linking) | {end2end['p']:.4f} | "
            f"{end2end['r']:.4f} | **{end2end['f1']:.4f}** | {max_rule(end2end)} | — | — | "
            f"{pair_ece(end2end)} | > 57.0 | best BioCreative V system 57.0 |",
        )
    scorer = classifier.tasks["cid"].scorer()
    scoring = (
        f"""the pair scorer (`kgmed.relations.pairs`: a logistic regression over the
best and second-best candidate log-odds, the number of candidates, mention counts, title
mentions, each concept's rank in its document, and the gap to the best pair sharing the
chemical or the disease; fit on dev, C = {scorer.fit.get("C")} and threshold
{scorer.threshold:.3f} chosen by 5-fold cross-validation over dev documents, dev CV F1
{scorer.fit.get("cv_f1")}) gives each pair its probability. "Max rule": the pair's best candidate
probability at the dev-optimal cut {results["cid"]["max_rule"]["threshold"]:.3f}, as before the
scorer. "Pair ECE": the calibration of the document-level pair probabilities"""
        if scorer
        else f"""a pair takes its best candidate's probability (max rule),
thresholded at the dev-optimal cut {results["cid"]["threshold"]:.3f}"""
    )
    history = meta["metrics"]["history"]
    body = f"""## Relation extraction (`benchmarks/relations.py`)

Command: `{command_line()}`. Machine: {machine()}. Model: `{args.model}` (MiniLM-L6, one encoder
with a head per task, entity-start pooling over typed markers; trained on CPU, {len(history)}
epochs, {meta["metrics"]["seconds"] / 60:.0f} min; temperature per task fit on dev).

| task (test set) | P | R | F1 | F1, max rule | F1, int8 | candidate ECE before → after temperature | pair ECE | goal F1 | anchors |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

Calibration goal: ECE ≤ 0.05 on test. CID and treatment pairs are scored document-level from
their mention-pair candidates (same sentence, or the closest pair up to 3 sentences apart;
candidate recall of gold CID pairs {results["cid"]["candidate_recall"]:.3f}): {scoring}.
DDI: a pair naming one drug twice, or a drug and its abbreviation in parentheses, is
predicted "none" ({results["ddi"]["excluded_pairs"]} test pairs; 6 of 1,833 and 0 of 247 such
training pairs interact); without that rule DDI F1 is {
        results["ddi"]["without_exclusion"]["f1"]:.4f}.
DDI per class (F1):
{", ".join(f"{k} {v['f1']:.3f}" for k, v in results["ddi"]["per_class"].items())}.
Throughput: {min(speed):.0f}–{max(speed):.0f} candidates/s on CPU ({args.threads} threads) in fp32,
{min(int8_speed):.0f}–{max(int8_speed):.0f} in int8 (ONNX Runtime over the encoder and pooling,
per-channel weight scales; largest F1 drop {max(drops.values()):.2f} points, so int8 {
        "is" if max(drops.values()) <= MAX_DROP else "is not"
    } the default on CPUs without native bf16; the figures above are fp32; on a GPU, section
"GPU"). Peak
RSS {peak:,.0f} MB. Dev F1 per epoch: {
        "; ".join(
            f"{h['epoch']}: " + ", ".join(f"{t} {d['f1']:.3f}" for t, d in h["dev"].items())
            for h in history
        )
    }.
"""
    write_section("re", body)
    print(body)


if __name__ == "__main__":
    main()
