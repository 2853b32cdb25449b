"""The relation classifier: one BERT encoder, a linear head per task, calibrated outputs.

Input: a candidate's marked text (``[S:Chemical] … [/S] … [O:Disease] … [/O]``). The encoder
reads it; the hidden states at the two opening markers are concatenated (``pooling="markers"``,
entity-start pooling) or the [CLS] state is used (``pooling="cls"``); the task's head gives
logits over its labels. Probabilities are ``softmax((logits + prior) / T)``: ``prior`` undoes
the negative down-sampling of training (``log(1/keep)`` on "none"), ``T`` is the task's
temperature fit on the dev split.

Saved as: the encoder (safetensors + config + tokenizer with the marker tokens),
``heads.safetensors`` and ``relations.json`` (tasks, labels, temperatures, thresholds).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kgmed.core.errors import ConfigError
from kgmed.relations.candidates import marker_tokens
from kgmed.relations.pairs import PairScorer

NAME = "kgmed.relation_classifier.v1"
TASK_LABELS: dict[str, tuple[str, ...]] = {
    "cid": ("none", "CID"),
    "ddi": ("none", "mechanism", "effect", "advise", "int"),
    "treats": ("none", "TREATS"),
}
ENTITY_TYPES = ("Chemical", "Disease", "Gene")


@dataclass
class TaskInfo:
    labels: tuple[str, ...]
    temperature: float = 1.0
    negative_keep: float = 1.0  # fraction of "none" examples kept in training
    threshold: float | None = None  # decision threshold on p(positive) for binary tasks
    # document-level tasks: the fitted pair scorer (PairScorer.to_dict()), if any
    pair_scorer: dict[str, Any] | None = None

    def scorer(self) -> PairScorer | None:
        """The task's document-level pair scorer; None: the max rule (see pairs.py)."""
        return PairScorer.from_dict(self.pair_scorer) if self.pair_scorer else None

    @property
    def prior(self) -> list[float]:
        return [math.log(1 / self.negative_keep) if lab == "none" else 0.0 for lab in self.labels]


@dataclass
class RelationMeta:
    tasks: dict[str, TaskInfo]
    pooling: str = "markers"
    max_length: int = 256
    kgmed_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> RelationMeta:
        raw = json.loads(text)
        tasks = {
            name: TaskInfo(
                tuple(t["labels"]),
                t["temperature"],
                t["negative_keep"],
                t.get("threshold"),
                t.get("pair_scorer"),
            )
            for name, t in raw["tasks"].items()
        }
        return cls(
            tasks,
            raw["pooling"],
            raw["max_length"],
            raw.get("kgmed_version", ""),
            raw.get("extra", {}),
        )


def build_network(encoder: Any, tasks: dict[str, TaskInfo], pooling: str) -> Any:
    """The torch module: encoder + one head per task."""
    import torch

    class RelationNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            width = encoder.config.hidden_size * (2 if pooling == "markers" else 1)
            self.dropout = torch.nn.Dropout(0.1)
            self.heads = torch.nn.ModuleDict(
                {name: torch.nn.Linear(width, len(t.labels)) for name, t in tasks.items()}
            )

        def pooled(
            self, input_ids: Any, attention_mask: Any, subject_at: Any, object_at: Any
        ) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
            if pooling == "markers":
                rows = torch.arange(hidden.shape[0], device=hidden.device)
                return torch.cat([hidden[rows, subject_at], hidden[rows, object_at]], dim=-1)
            return hidden[:, 0]

        def forward(
            self, input_ids: Any, attention_mask: Any, subject_at: Any, object_at: Any, task: str
        ) -> Any:
            pooled = self.pooled(input_ids, attention_mask, subject_at, object_at)
            return self.heads[task](self.dropout(pooled))

    return RelationNet()


class Encoded:
    """Token ids of marked texts, cut to ``max_length`` around the two markers."""

    def __init__(self, tokenizer: Any, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        vocab = tokenizer.get_vocab()
        self.subject_ids = {vocab[t] for t in marker_tokens(ENTITY_TYPES) if t.startswith("[S:")}
        self.object_ids = {vocab[t] for t in marker_tokens(ENTITY_TYPES) if t.startswith("[O:")}

    def __call__(self, texts: Sequence[str]) -> list[tuple[list[int], int, int]]:
        out: list[tuple[list[int], int, int]] = []
        if not texts:  # the tokenizer rejects an empty batch
            return out
        enc = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        cls, sep = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
        for ids in enc:
            s = next((i for i, t in enumerate(ids) if t in self.subject_ids), 0)
            o = next((i for i, t in enumerate(ids) if t in self.object_ids), 0)
            room = self.max_length - 2
            if len(ids) > room:
                lo, hi = min(s, o), max(s, o)
                start = max(0, min(lo - (room - (hi - lo)) // 2, len(ids) - room))
                if hi - start >= room:  # markers further apart than the window: keep both ends
                    half = room // 2
                    ids = ids[lo : lo + half] + ids[hi : hi + room - half]
                    s, o = (0, half) if s < o else (half, 0)
                    start = 0
                else:
                    ids = ids[start : start + room]
                    s, o = s - start, o - start
            out.append(([cls, *ids, sep], s + 1, o + 1))
        return out


def collate(rows: Sequence[tuple[list[int], int, int]], pad_id: int) -> dict[str, Any]:
    import torch

    width = max(len(r[0]) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (r, _, _) in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    return {
        "input_ids": ids,
        "attention_mask": mask,
        "subject_at": torch.tensor([r[1] for r in rows]),
        "object_at": torch.tensor([r[2] for r in rows]),
    }


def add_marker_tokens(tokenizer: Any, encoder: Any) -> None:
    new = [t for t in marker_tokens(ENTITY_TYPES) if t not in tokenizer.get_vocab()]
    if new:
        tokenizer.add_special_tokens({"additional_special_tokens": new})
        encoder.resize_token_embeddings(len(tokenizer))


class RelationClassifier:
    """Scores marked candidate texts for a task; batched, length-sorted, CPU or GPU."""

    name = NAME

    def __init__(
        self,
        model_dir: Path,
        *,
        device: str = "auto",
        batch_size: int = 32,
        bf16: bool | None = None,
        quantize: bool | None = None,
        threads: int | None = None,
    ) -> None:
        import torch
        from safetensors.torch import load_file
        from transformers import AutoModel, AutoTokenizer

        from kgmed.mentions.bert import cpu_fast_path, prepare_loading

        self.device = prepare_loading(model_dir, "relations.json", "re", device, threads)
        self.batch_size = batch_size
        self.meta = RelationMeta.from_json((model_dir / "relations.json").read_text())
        self.version = self.meta.kgmed_version
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        encoder = AutoModel.from_pretrained(str(model_dir), dtype=torch.float32)
        net = build_network(encoder, self.meta.tasks, self.meta.pooling)
        heads = {k: v.float() for k, v in load_file(str(model_dir / "heads.safetensors")).items()}
        net.heads.load_state_dict(heads)
        self._attach(net.eval().to(self.device), tokenizer)
        self.bf16, self._int8 = cpu_fast_path(  # see kgmed.mentions.bert
            self.device,
            model_dir,
            quantize=quantize,
            bf16=bf16,
            build_int8=lambda: self._export_int8(model_dir),
            threads=threads,
        )
        self.quantized = self._int8 is not None
        if self.bf16:  # the encoder only: the heads read its pooled output as fp32
            net.encoder.to(torch.bfloat16)

    @classmethod
    def from_network(
        cls, net: Any, tokenizer: Any, meta: RelationMeta, *, device: str, batch_size: int = 64
    ) -> RelationClassifier:
        """A classifier over an in-memory network (training scores dev with this code)."""
        self = cls.__new__(cls)
        self.device, self.batch_size, self.meta, self.version = device, batch_size, meta, ""
        self.bf16 = self.quantized = False
        self._attach(net, tokenizer)
        return self

    def _attach(self, net: Any, tokenizer: Any) -> None:
        self.net, self.tokenizer = net, tokenizer
        self.encode = Encoded(tokenizer, self.meta.max_length)
        self._int8: Any = None

    def _export_int8(self, model_dir: Path) -> Path:
        """The encoder and pooling as an int8 ONNX file (built on first use, then cached);
        the heads stay in torch."""
        import torch

        from kgmed.mentions import onnx_int8

        net = self.net

        class Pooled(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.net = net

            def forward(self, *inputs: Any) -> Any:
                return self.net.pooled(*inputs)

        rows = self.encode(  # two lengths: the padding is traced as data
            [
                "[S:Chemical] a [/S] causes [O:Disease] b [/O] in rats",
                "[S:Chemical] a [/S] [O:Disease] b [/O]",
            ]
        )
        example = collate(rows, self.tokenizer.pad_token_id or 0)
        return onnx_int8.quantized_model(
            Pooled().eval(),
            example,
            output="pooled",
            batch_only=("subject_at", "object_at"),
            output_batch_only=True,
            model_dir=model_dir,
            name="re",
        )

    def _pooled(self, batch: dict[str, Any]) -> Any:
        import torch

        from kgmed.mentions.bert import autocast

        if self._int8 is not None:
            return torch.from_numpy(self._int8(batch))
        with autocast(self.device, self.bf16, self.net.encoder):
            return self.net.pooled(**{k: v.to(self.device) for k, v in batch.items()})

    @property
    def tasks(self) -> dict[str, TaskInfo]:
        return self.meta.tasks

    def logits(self, texts: Sequence[str], task: str) -> Any:
        """Raw logits (numpy, one row per text, in input order) with the training prior added."""
        return self.logits_for_tasks(texts, (task,))[task]

    def logits_for_tasks(self, texts: Sequence[str], tasks: Sequence[str]) -> dict[str, Any]:
        """Logits of several heads from one encoder pass (tasks sharing candidates)."""
        import numpy as np
        import torch

        for task in tasks:
            if task not in self.meta.tasks:
                raise ConfigError(
                    f"the relation model has no task {task!r}",
                    hint=f"tasks: {', '.join(self.meta.tasks)}",
                )
        rows = self.encode(texts)
        order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
        out = {
            t: np.zeros((len(rows), len(self.meta.tasks[t].labels)), dtype=np.float32)
            for t in tasks
        }
        pad = self.tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for b in range(0, len(order), self.batch_size):
                idx = order[b : b + self.batch_size]
                pooled = self._pooled(collate([rows[i] for i in idx], pad))
                for t in tasks:
                    out[t][idx] = self.net.heads[t](pooled.float()).float().cpu().numpy()
        return {t: out[t] + np.asarray(self.meta.tasks[t].prior, dtype=np.float32) for t in tasks}

    def probabilities_for_tasks(self, texts: Sequence[str], tasks: Sequence[str]) -> dict:
        """Calibrated label probabilities of several heads from one encoder pass."""
        logits = self.logits_for_tasks(texts, tasks)
        return {t: softmax(v / self.meta.tasks[t].temperature) for t, v in logits.items()}

    def probabilities(self, texts: Sequence[str], task: str, *, calibrated: bool = True) -> Any:
        """Label probabilities (numpy rows in the task's label order)."""
        logits = self.logits(texts, task)
        temperature = self.meta.tasks[task].temperature if calibrated else 1.0
        return softmax(logits / temperature)


def softmax(x: Any) -> Any:
    import numpy as np

    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def fit_temperature(logits: Any, labels: Any) -> float:
    """The temperature minimizing dev negative log-likelihood (Guo et al. 2017)."""
    import numpy as np

    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)

    def nll(t: float) -> float:
        p = softmax(logits / t)
        return float(-np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, None)).mean())

    grid = np.exp(np.linspace(np.log(0.05), np.log(20), 400))
    best = min(grid, key=nll)
    lo, hi = best / 1.02, best * 1.02  # refine around the grid optimum
    for _ in range(40):
        m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        lo, hi = (lo, m2) if nll(m1) < nll(m2) else (m1, hi)
    return float((lo + hi) / 2)


def expected_calibration_error(probabilities: Any, labels: Any, bins: int = 15) -> float:
    """Top-label ECE: the confidence-weighted gap between confidence and accuracy."""
    import numpy as np

    p = np.asarray(probabilities)
    labels = np.asarray(labels)
    confidence = p.max(axis=1)
    correct = (p.argmax(axis=1) == labels).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            ece += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(ece)
