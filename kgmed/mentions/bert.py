"""A BERT token-classification tagger (BIO over words; the first sub-token carries the label).

Inference is batched and length-sorted with dynamic padding; texts are cut into sentences and,
when longer than the window, into word windows, so nothing is truncated; every mention's
character offsets index the input text exactly. Tags are decoded as the best valid BIO
sequence (Viterbi over per-word log-probabilities, ``I-X`` only after ``B-X``/``I-X``), with
an optional bias towards ``O`` recorded with the model (precision for recall); then a name
tagged once in a text is tagged at its other occurrences as the model's record says
(:mod:`kgmed.mentions.consistency`).

CPU fast paths, each used only when the model folder's ``kgmed.json`` records that it kept F1
within 0.5 points of fp32:

* bf16, on CPUs that compute bf16 natively (AMX-BF16 or AVX512-BF16; elsewhere it is
  emulated and slower than fp32): a loaded model's weights are cast to bf16 once. Autocast,
  used before, casts the weights on every call and runs layer norms in fp32; against it the
  cast is 1.5x faster on a bare encoder pass, about 1.2x on ingest's relation candidates and
  about the same on short NER sentences.
  ``benchmarks/cpu_bf16.py`` measures and records it, for this model and the relation
  classifier.
* int8: ONNX Runtime over a copy with dynamically quantized, per-channel int8 weights
  (:mod:`kgmed.mentions.onnx_int8`; ``quantize=True``, or ``None`` with the record allowing it
  and ``$KGMED_CPU_INT8`` not ``0``; ``benchmarks/ner.py`` and ``benchmarks/relations.py``
  measure it on the test sets and record the decision). By default it is used only where
  bf16 is not (bf16 loses less and was measured faster where the CPU has it).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kgmed.core.errors import ConfigError
from kgmed.core.records import Mention
from kgmed.mentions import consistency, known_names, onnx_int8
from kgmed.mentions.bio import decode, viterbi_decode
from kgmed.text.tokens import Span, windows

log = logging.getLogger(__name__)

NAME = "kgmed.bert_tagger.v1"
MAX_TOKENS = 510  # the model window, less [CLS] and [SEP]


@functools.cache
def cpu_bf16_supported() -> bool:
    """Whether this CPU computes bf16 natively (Linux CPU flags amx_bf16 or avx512_bf16)."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def fast_path_allowed(model_dir: Path, name: str) -> bool:
    """Whether ``kgmed.json`` in ``model_dir`` records that fast path ``name`` (``cpu_int8``,
    ``cpu_bf16``) kept F1 within 0.5 points of fp32."""
    path = model_dir / "kgmed.json"
    if not path.is_file():
        return False
    return bool(json.loads(path.read_text()).get(name, {}).get("allowed", False))


def decoding_record(model_dir: Path) -> dict[str, Any]:
    """How to decode, as recorded in ``kgmed.json`` (``decoding``), chosen on dev with a model
    that never saw dev (``benchmarks/ner_decoding.py``): the ``O`` bias (``o_bias``, default
    0), the label-propagation rules (``propagate``, default none) and the known-name rates
    (``names``, default none; :mod:`kgmed.mentions.known_names`)."""
    path = model_dir / "kgmed.json"
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text()).get("decoding", {}))


def use_bf16(device: str, model_dir: Path, bf16: bool | None) -> bool:
    """bf16 inference: as asked, else on CPU when the hardware and the model's record allow it
    and ``$KGMED_CPU_BF16`` is not ``0`` (bf16 scores move slightly with batch composition)."""
    if bf16 is not None:
        return bf16
    if os.environ.get("KGMED_CPU_BF16", "1") == "0":
        return False
    return device == "cpu" and cpu_bf16_supported() and fast_path_allowed(model_dir, "cpu_bf16")


def use_int8(device: str, model_dir: Path, quantize: bool | None) -> bool:
    """int8 inference through ONNX Runtime: as asked (on CPU; asking without ONNX Runtime is
    a ConfigError), else on CPU when the model's record allows it, ONNX Runtime is installed
    and ``$KGMED_CPU_INT8`` is not ``0``."""
    if quantize is not None:
        if quantize and device == "cpu":
            onnx_int8.require()
        return bool(quantize and device == "cpu")
    if os.environ.get("KGMED_CPU_INT8", "1") == "0":
        return False
    return device == "cpu" and fast_path_allowed(model_dir, "cpu_int8") and onnx_int8.available()


def cpu_fast_path(
    device: str,
    model_dir: Path,
    *,
    quantize: bool | None,
    bf16: bool | None,
    build_int8: Callable[[], Path],
    threads: int | None,
) -> tuple[bool, onnx_int8.Int8Session | None]:
    """``(bf16, int8 session)``: the fast path :func:`planned_fast_path` names, the int8 copy
    built by ``build_int8`` (a default one that cannot be built leaves ``None``: fp32)."""
    plan = planned_fast_path(device, model_dir, quantize=quantize, bf16=bf16)
    if plan != "int8":
        return plan == "bf16", None
    return False, onnx_int8.open_session(build_int8, threads, required=bool(quantize))


def planned_fast_path(
    device: str, model_dir: Path, *, quantize: bool | None = None, bf16: bool | None = None
) -> str:
    """``"int8"``, ``"bf16"`` or ``"fp32"``: the path a model in ``model_dir`` loads with.
    Asked-for int8 wins; else bf16 as :func:`use_bf16` decides; else int8 as :func:`use_int8`
    decides."""
    if not quantize and use_bf16(device, model_dir, bf16):
        return "bf16"
    return "int8" if use_int8(device, model_dir, quantize) else "fp32"


def autocast(device: str, enabled: bool, module: Any) -> Any:
    """A bf16 autocast context on ``device`` when ``enabled`` and ``module``'s weights are
    still fp32 (an in-memory model during training), else a no-op context (weights already
    cast to bf16 need none)."""
    import torch

    if not enabled or next(module.parameters()).dtype != torch.float32:
        return contextlib.nullcontext()

    return torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16)


def prepare_loading(
    model_dir: Path, marker: str, kind: str, device: str, threads: int | None
) -> str:
    """What every kgmed model does before loading: quiet the hub's progress bars, check the
    folder holds a ``kind`` model (``marker`` file), set torch's threads; returns the device."""
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # kgmed shows its own progress
    if not (model_dir / marker).is_file():
        what = {"ner": "NER", "re": "relation"}.get(kind, kind)
        raise ConfigError(
            f"no {what} model in {model_dir}",
            hint=f"train one with `kgmed train {kind}` or reinstall kgmed",
        )
    if threads:
        torch.set_num_threads(threads)
    return resolve_device(device)


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "--device cuda was asked for, but no CUDA GPU is available",
            hint="use --device cpu or auto",
        )
    if device not in ("cpu", "cuda"):
        raise ConfigError(f"unknown device {device!r}", hint="use auto, cuda or cpu")
    return device


class BertTagger:
    """Tags words and texts with the entity types of a fine-tuned token classifier."""

    name = NAME

    def __init__(
        self,
        model_dir: Path,
        *,
        device: str = "auto",
        batch_size: int = 32,
        max_words: int = 128,
        quantize: bool | None = None,
        bf16: bool | None = None,
        threads: int | None = None,
        o_bias: float | None = None,
        propagate: Mapping[str, str] | None = None,
        abbreviations: bool | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        self.device = prepare_loading(model_dir, "config.json", "ner", device, threads)
        self.batch_size = batch_size
        self.max_words = max_words
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        model = AutoModelForTokenClassification.from_pretrained(str(model_dir), dtype=torch.float32)
        model.eval()
        self.bf16, self._int8 = cpu_fast_path(
            self.device,
            model_dir,
            quantize=quantize,
            bf16=bf16,
            build_int8=lambda: self._export_int8(model, model_dir),
            threads=threads,
        )
        self.quantized = self._int8 is not None
        if self.bf16:
            model = model.to(torch.bfloat16)
        record = decoding_record(model_dir)
        self.o_bias = float(record.get("o_bias", 0.0)) if o_bias is None else o_bias
        rules = record.get("propagate", {}) if propagate is None else propagate
        self.propagate = consistency.check_rules(rules)
        self.abbreviations = bool(
            record.get("abbreviations", False) if abbreviations is None else abbreviations
        )
        # known names (text -> label) added where untagged; ``names`` replaces the record's
        self.names = (
            dict(names)
            if names is not None
            else known_names.known_names(model_dir, record.get("names", {}))
        )
        self._finder: Any = None
        self._attach(model.to(self.device))

    @classmethod
    def from_model(
        cls, model: Any, tokenizer: Any, *, device: str, batch_size: int = 64, bf16: bool = False
    ) -> BertTagger:
        """A tagger over an in-memory model (training scores dev F1 with the same code path)."""
        tagger = cls.__new__(cls)
        tagger.device, tagger.batch_size, tagger.max_words = device, batch_size, 128
        tagger.tokenizer, tagger.quantized, tagger.bf16 = tokenizer, False, bf16
        tagger.o_bias, tagger.propagate, tagger.abbreviations, tagger._finder = 0.0, {}, False, None
        tagger.names = {}
        tagger._int8 = None
        tagger._attach(model)
        return tagger

    def _export_int8(self, model: Any, model_dir: Path) -> Path:
        """The model's int8 ONNX file (exported and quantized on first use, then cached)."""
        import torch

        example = dict(
            self.tokenizer(
                [["a", "b", "c", "d"], ["a"]],
                is_split_into_words=True,
                padding=True,
                return_tensors="pt",
            )
        )
        names = list(example)

        class Logits(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, *inputs: Any) -> Any:
                return self.model(**dict(zip(names, inputs, strict=True))).logits

        return onnx_int8.quantized_model(
            Logits().eval(),
            example,
            output="logits",
            model_dir=model_dir,
            name="ner",
        )

    def _logits(self, enc: Any) -> Any:
        import torch

        if self._int8 is not None:
            return torch.from_numpy(self._int8(enc))
        with autocast(self.device, self.bf16, self.model):
            return self.model(**{k: v.to(self.device) for k, v in enc.items()}).logits

    def _attach(self, model: Any) -> None:
        self.model = model
        self.labels = [model.config.id2label[i] for i in range(len(model.config.id2label))]
        self.max_tokens = min(MAX_TOKENS, model.config.max_position_embeddings - 2)
        self.version = str(getattr(model.config, "kgmed_version", "unknown"))

    # -- words -----------------------------------------------------------------------------
    def tag_words(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """BIO tags for pre-tokenized sentences (one tag per word): the best valid sequence
        under the model's per-word log-probabilities (:func:`~kgmed.mentions.bio.viterbi_decode`,
        with this tagger's ``o_bias``)."""
        return viterbi_decode(self.word_log_probs(sentences), self.labels, self.o_bias)

    def word_log_probs(self, sentences: Sequence[Sequence[str]]) -> list[Any]:
        """Per sentence, a ``(words, labels)`` numpy array of log-probabilities, read at each
        word's first sub-token (the one labelled in training)."""
        import numpy as np
        import torch

        pieces = self._fit_window([list(s) for s in sentences])
        order = sorted(range(len(pieces)), key=lambda i: len(pieces[i][1]))
        scores: list[Any] = [None] * len(pieces)
        with torch.inference_mode():
            for b in range(0, len(order), self.batch_size):
                batch = [pieces[i][1] for i in order[b : b + self.batch_size]]
                enc = self.tokenizer(
                    batch,
                    is_split_into_words=True,
                    padding=True,
                    truncation=False,
                    return_tensors="pt",
                )
                logits = self._logits(enc)
                log_probs = torch.log_softmax(logits.float(), dim=-1).cpu().numpy()
                for row, i in enumerate(order[b : b + self.batch_size]):
                    first: dict[int, int] = {}  # word -> position of its first sub-token
                    for pos, w in enumerate(enc.word_ids(row)):
                        if w is not None:
                            first.setdefault(w, pos)
                    words = np.full((len(pieces[i][1]), len(self.labels)), -1e4, np.float32)
                    words[:, self.labels.index("O")] = 0.0  # a word no sub-token stands for: O
                    at = sorted(first)
                    words[at] = log_probs[row, [first[w] for w in at]]
                    scores[i] = words
        # Reassemble windows into their sentences.
        parts: list[list[Any]] = [[] for _ in sentences]
        for (sentence_index, _), s in zip(pieces, scores, strict=True):
            parts[sentence_index].append(s)
        width = len(self.labels)
        return [np.concatenate(p) if p else np.zeros((0, width), np.float32) for p in parts]

    def _fit_window(self, sentences: list[list[str]]) -> list[tuple[int, list[str]]]:
        """Split sentences whose sub-tokens exceed the model window into halves, recursively."""
        out: list[tuple[int, list[str]]] = []
        for index, words in enumerate(sentences):
            stack = [words]
            while stack:
                part = stack.pop(0)
                n = len(
                    self.tokenizer(part, is_split_into_words=True, add_special_tokens=False)[
                        "input_ids"
                    ]
                )
                if n > self.max_tokens and len(part) > 1:
                    half = len(part) // 2
                    stack[:0] = [part[:half], part[half:]]
                else:
                    out.append((index, part))
        return out

    # -- texts -----------------------------------------------------------------------------
    def tag_texts(
        self,
        texts: Sequence[tuple[str, str]],
        long_forms: Sequence[Mapping[str, str]] | None = None,
    ) -> list[list[Mention]]:
        """Mentions for ``(document_id, text)`` pairs; offsets index each text exactly, then
        :meth:`propagated`. ``long_forms`` (one per text), when the caller has found them
        already, spare finding the abbreviations again."""
        units = self.text_units(texts)
        found = self.mentions(texts, units, self.tag_words([words for _, _, words in units]))
        return self.propagated(texts, found, long_forms)

    def propagated(
        self,
        texts: Sequence[tuple[str, str]],
        found: Sequence[list[Mention]],
        long_forms: Sequence[Mapping[str, str]] | None = None,
    ) -> list[list[Mention]]:
        """``found`` with a name tagged once tagged where it appears again, as this tagger's
        ``propagate`` rules say, and with ``abbreviations`` the short form of a tagged long
        form too (:mod:`kgmed.mentions.consistency`); then the untagged occurrences of its
        known ``names`` (:mod:`kgmed.mentions.known_names`)."""
        if not self.abbreviations:
            defined: Sequence[Mapping[str, str] | None] = [None] * len(texts)
        else:
            defined = long_forms or [self.long_forms(text) for _, text in texts]
        return [
            known_names.add_known_names(
                doc_id, text, consistency.propagate(text, ms, self.propagate, lf), self.names
            )
            for (doc_id, text), ms, lf in zip(texts, found, defined, strict=True)
        ]

    def long_forms(self, text: str) -> dict[str, str] | None:
        """The abbreviations ``text`` defines when this tagger propagates through them."""
        if not self.abbreviations:
            return None
        if self._finder is None:
            from kgmed.text.abbreviations import AbbreviationFinder

            self._finder = AbbreviationFinder()
        return dict(self._finder.long_forms(text))

    def text_units(
        self, texts: Sequence[tuple[str, str]]
    ) -> list[tuple[int, list[Span], list[str]]]:
        """The sentences (or word windows) the model reads: ``(text index, word spans, words)``."""
        units = []
        for index, (_, text) in enumerate(texts):
            for spans in windows(text, self.max_words):
                units.append((index, spans, [text[s.start : s.end] for s in spans]))
        return units

    @staticmethod
    def mentions(
        texts: Sequence[tuple[str, str]],
        units: Sequence[tuple[int, list[Span], list[str]]],
        tags: Sequence[Sequence[str]],
    ) -> list[list[Mention]]:
        """The mentions that ``tags`` (one list per unit of :meth:`text_units`) mark."""
        out: list[list[Mention]] = [[] for _ in texts]
        for (index, spans, _), unit_tags in zip(units, tags, strict=True):
            doc_id, text = texts[index]
            for first, last, etype in decode(list(unit_tags)):
                start, end = spans[first].start, spans[last - 1].end
                out[index].append(
                    Mention(doc_id, start, end, text[start:end], etype, (), 1.0, NAME)
                )
        return out


def model_info(model_dir: Path) -> dict[str, Any]:
    """Label map and metadata saved with a model."""
    config = json.loads((model_dir / "config.json").read_text())
    return {"labels": config.get("id2label"), "kgmed_version": config.get("kgmed_version")}
