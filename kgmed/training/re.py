"""Fine-tune the relation classifier: one MiniLM encoder, a head per task (cid, ddi, treats).

Each batch comes from one task (length-bucketed); tasks are interleaved at random. "none"
examples of a task can be down-sampled (``negative_keep``) to save CPU time; the model then
adds ``log(1/keep)`` to the "none" logit at inference, which undoes the shift in the prior.
After training, a temperature per task is fit on the dev split (calibration) and, for the
document-level tasks, the max rule's decision threshold with the best dev F1 and the pair
scorer (``kgmed.relations.pairs``) are fit and stored. ``recalibrate`` redoes this for a saved
model (``kgmed train re-calibrate``).

Dev splits: BC5CDR development set, BioRED Dev, and for DDI 2013 (which has none) a fixed 10%
of the training documents, chosen by a hash of the document id.
"""

from __future__ import annotations

import copy
import hashlib
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kgmed import __version__
from kgmed.core.errors import ConfigError, DataError
from kgmed.evaluation.re import (
    TaskData,
    best_threshold,
    document_scores,
    load_task,
    prf,
    score,
)
from kgmed.progress import progress
from kgmed.relations.candidates import bare_id, ddi_candidates
from kgmed.relations.model import (
    TASK_LABELS,
    RelationClassifier,
    RelationMeta,
    TaskInfo,
    add_marker_tokens,
    build_network,
    collate,
    fit_temperature,
)
from kgmed.relations.pairs import PairScorer, document_pairs, fit_pair_scorer
from kgmed.training.ner import adamw, default_base_model, set_seed, training_bf16
from kgmed.training.runs import git_commit, write_results


@dataclass
class ReTrainConfig:
    data_dir: Path
    output_dir: Path
    tasks: tuple[str, ...] = ("cid", "ddi", "treats")
    base_model: Path | None = None
    pooling: str = "markers"
    epochs: int = 3
    batch_size: int = 32
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_length: int = 256
    negative_keep: dict[str, float] = field(default_factory=lambda: {"ddi": 0.35})
    patience: int = 2
    seed: int = 13
    device: str = "auto"
    threads: int | None = None
    max_train_samples: int | None = None  # per task, for smoke runs
    save_half: bool = True
    show_progress: bool = True


def _ddi_dev(sentence_id: str) -> bool:
    document = sentence_id.rsplit(".s", 1)[0]
    return int(hashlib.sha256(document.encode()).hexdigest(), 16) % 10 == 0


def task_splits(task: str, data_dir: Path) -> tuple[TaskData, TaskData, list[Path]]:
    """Train and dev data of a task, and the files they came from."""
    if task == "cid":
        files = [
            data_dir / "bc5cdr" / f"CDR_{s}Set.PubTator.txt" for s in ("Training", "Development")
        ]
    elif task == "treats":
        files = [data_dir / "biored" / f"{s}.PubTator" for s in ("Train", "Dev")]
    elif task == "ddi":
        files = [data_dir / "ddi_corpus_2013" / "DDICorpus-2013.zip"]
    else:
        raise DataError(f"unknown relation task {task!r}", hint="use cid, ddi or treats")
    for f in files:
        if not f.is_file():
            raise DataError(
                f"training file not found: {f}",
                hint="point --data-dir at the folder holding the corpora",
            )
    if task == "ddi":
        from kgmed.documents.ddi import read_ddi

        sentences = read_ddi(files[0], "train")
        train = [s for s in sentences if not _ddi_dev(s.id)]
        dev = [s for s in sentences if _ddi_dev(s.id)]
        return (
            TaskData(task, ddi_candidates(train), None),
            TaskData(task, ddi_candidates(dev), None),
            files,
        )
    return load_task(task, files[0]), load_task(task, files[1]), files


def train_re(config: ReTrainConfig) -> dict[str, Any]:
    """Train, early-stop on mean dev F1, calibrate on dev, save model and results file."""
    import torch
    from transformers import AutoModel, AutoTokenizer, get_linear_schedule_with_warmup

    from kgmed.mentions.bert import resolve_device

    commit = git_commit()
    set_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    device = resolve_device(config.device)
    rng = random.Random(config.seed)
    base = config.base_model or default_base_model()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    encoder = AutoModel.from_pretrained(str(base), dtype=torch.float32)  # fp32 master weights
    add_marker_tokens(tokenizer, encoder)
    tasks = {
        t: TaskInfo(TASK_LABELS[t], negative_keep=config.negative_keep.get(t, 1.0))
        for t in config.tasks
    }
    meta = RelationMeta(tasks, config.pooling, config.max_length, __version__)
    net = build_network(encoder, tasks, config.pooling).to(device)
    classifier = RelationClassifier.from_network(net, tokenizer, meta, device=device)

    train_rows: list[tuple[str, list[int], int, int, int]] = []
    dev_data: dict[str, TaskData] = {}
    files: list[Path] = []
    counts: dict[str, dict[str, int]] = {}
    for t in config.tasks:
        train, dev, paths = task_splits(t, config.data_dir)
        files += paths
        dev_data[t] = dev
        keep = tasks[t].negative_keep
        chosen = [c for c in train.candidates if c.label != "none" or rng.random() < keep]
        if config.max_train_samples:
            rng.shuffle(chosen)
            chosen = chosen[: config.max_train_samples]
            dev_data[t] = TaskData(
                t, dev.candidates[: config.max_train_samples * 2], dev.gold_pairs
            )
        encoded = classifier.encode([c.text for c in chosen])
        labels = tasks[t].labels
        train_rows += [
            (t, ids, s, o, labels.index(c.label))
            for c, (ids, s, o) in zip(chosen, encoded, strict=True)
        ]
        counts[t] = {
            "train": len(chosen),
            "train_positive": sum(c.label != "none" for c in chosen),
            "dev": len(dev_data[t].candidates),
        }

    optimizer = adamw(net, config.learning_rate, config.weight_decay)
    steps = math.ceil(len(train_rows) / config.batch_size) + len(config.tasks)
    total = steps * config.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(config.warmup_ratio * total), total)
    use_bf16 = training_bf16(device)
    pad = tokenizer.pad_token_id or 0
    loss_fn = torch.nn.CrossEntropyLoss()

    history: list[dict[str, Any]] = []
    best_f1, best_state, stale = -1.0, None, 0
    started = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        net.train()
        t0 = time.perf_counter()
        batches = _batches(train_rows, config.batch_size, rng)
        running = 0.0
        for batch_idx in progress(
            batches, enabled=config.show_progress, desc=f"epoch {epoch}", total=len(batches)
        ):
            rows = [train_rows[i] for i in batch_idx]
            batch = {k: v.to(device) for k, v in collate([r[1:4] for r in rows], pad).items()}
            target = torch.tensor([r[4] for r in rows], device=device)
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=use_bf16):
                logits = net(**batch, task=rows[0][0])
            loss = loss_fn(logits.float(), target)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            running += float(loss.detach())
        seconds = time.perf_counter() - t0
        net.eval()
        dev = {t: _dev_f1(classifier, d) for t, d in dev_data.items()}
        mean_f1 = sum(d["f1"] for d in dev.values()) / len(dev)
        history.append(
            {
                "epoch": epoch,
                "loss": running / max(1, len(batches)),
                "dev": dev,
                "epoch_seconds": round(seconds, 1),
            }
        )
        print(
            f"epoch {epoch}: loss {running / max(1, len(batches)):.4f} "
            + " ".join(f"{t} {d['f1']:.4f}" for t, d in dev.items())
            + f" ({seconds:.0f} s)",
            flush=True,
        )
        if mean_f1 > best_f1:
            best_f1, best_state, stale = mean_f1, copy.deepcopy(net.state_dict()), 0
        else:
            stale += 1
            if stale >= config.patience:
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    calibration = calibrate(classifier, dev_data)
    save(net, tokenizer, meta, config.output_dir, half=config.save_half)
    metrics = {
        "best_dev_mean_f1": best_f1,
        "history": history,
        "calibration": calibration,
        "examples": counts,
        "seconds": round(time.perf_counter() - started, 1),
        "device": device,
    }
    write_results(
        config.output_dir / "results.json",
        kind="train-re",
        config=config,
        data=files,
        metrics=metrics,
        commit=commit,
    )
    return metrics


def _batches(rows: list[tuple[Any, ...]], size: int, rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches, each from one task, in random order."""
    by_task: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_task.setdefault(r[0], []).append(i)
    out = []
    for idx in by_task.values():
        rng.shuffle(idx)
        for k in range(0, len(idx), size * 50):
            part = sorted(idx[k : k + size * 50], key=lambda i: len(rows[i][1]))
            out += [part[j : j + size] for j in range(0, len(part), size)]
    rng.shuffle(out)
    return out


def _dev_f1(classifier: RelationClassifier, data: TaskData) -> dict[str, Any]:
    """Dev F1; document-level tasks at their best dev threshold (what calibration stores)."""
    if data.gold_pairs is None:
        return score(classifier, data)
    probs = classifier.probabilities([c.text for c in data.candidates], data.task)
    pairs = document_scores(data.candidates, probs[:, 1])
    return score(classifier, data, threshold=best_threshold(pairs, data.gold_pairs))


def calibrate(classifier: RelationClassifier, dev: dict[str, TaskData]) -> dict[str, Any]:
    """Fit each task's temperature on dev; store the dev-best threshold for pair tasks."""
    import numpy as np

    from kgmed.relations.model import expected_calibration_error, softmax

    out = {}
    for t, data in dev.items():
        info = classifier.tasks[t]
        logits = classifier.logits([c.text for c in data.candidates], t)
        labels = np.array([info.labels.index(c.label) for c in data.candidates])
        before = expected_calibration_error(softmax(logits), labels)
        info.temperature = fit_temperature(logits, labels)
        probs = softmax(logits / info.temperature)
        after = expected_calibration_error(probs, labels)
        out[t] = {
            "temperature": info.temperature,
            "dev_ece_before": before,
            "dev_ece_after": after,
        }
        if data.gold_pairs is not None:
            max_rule = document_scores(data.candidates, probs[:, 1])
            info.threshold = best_threshold(max_rule, data.gold_pairs)
            out[t]["threshold"] = info.threshold
            stated = {k for k, p in max_rule.items() if p >= info.threshold}
            gold = data.gold_pairs
            out[t]["dev_f1_max_rule"] = round(
                prf(len(stated & gold), len(stated), len(gold))["f1"], 4
            )
            scorer = _fit_pair_scorer(data, probs[:, 1])
            info.pair_scorer = scorer.to_dict() if scorer else None
            out[t]["pair_scorer"] = scorer.fit if scorer else "not fit: too few dev pairs"
    return out


def _fit_pair_scorer(data: TaskData, positive: Any) -> PairScorer | None:
    """The document-level pair scorer of a task, fit on its dev pairs (see pairs.py)."""
    assert data.gold_pairs is not None
    pairs, matrix = document_pairs(data.candidates, positive, data.stats)
    labels = [(p.document, bare_id(p.subject), bare_id(p.object)) in data.gold_pairs for p in pairs]
    return fit_pair_scorer(pairs, matrix, labels, len(data.gold_pairs))


def recalibrate(
    model_dir: Path, data_dir: Path, tasks: Sequence[str] | None = None, device: str = "auto"
) -> dict[str, Any]:
    """Refit the calibration of a trained model on its tasks' dev splits (temperatures,
    thresholds, pair scorers: what training does at its end) with the weights as saved, and
    write it into ``relations.json``; ``results.json`` keeps the figures under
    ``recalibration``."""
    import json

    classifier = RelationClassifier(model_dir, device=device, bf16=False, quantize=False)
    names = list(tasks or classifier.tasks)
    unknown = [t for t in names if t not in classifier.tasks]
    if unknown:
        raise ConfigError(
            f"the relation model in {model_dir} has no task {', '.join(unknown)}",
            hint=f"its tasks: {', '.join(classifier.tasks)}",
        )
    dev = {t: task_splits(t, data_dir)[1] for t in names}
    calibration = calibrate(classifier, dev)
    (model_dir / "relations.json").write_text(classifier.meta.to_json())
    results = model_dir / "results.json"
    record = json.loads(results.read_text()) if results.is_file() else {}
    record["recalibration"] = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "data_dir": str(data_dir),
        "calibration": calibration,
    }
    results.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return calibration


def save(net: Any, tokenizer: Any, meta: RelationMeta, output_dir: Path, *, half: bool) -> None:
    from safetensors.torch import save_file

    output_dir.mkdir(parents=True, exist_ok=True)
    encoder = copy.deepcopy(net.encoder).to("cpu")
    if half:
        encoder = encoder.half()
    encoder.save_pretrained(str(output_dir), safe_serialization=True)
    tokenizer.save_pretrained(str(output_dir))
    heads = {k: v.detach().to("cpu").contiguous() for k, v in net.heads.state_dict().items()}
    save_file(heads, str(output_dir / "heads.safetensors"))
    meta.kgmed_version = __version__
    (output_dir / "relations.json").write_text(meta.to_json())
