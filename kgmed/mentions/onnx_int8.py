"""The CPU int8 fast path: ONNX Runtime over a dynamically quantized export of a model.

PyTorch's dynamic int8 quantization scales each weight matrix with one number (per tensor); it
cost the NER model 4.1 F1 points. ONNX Runtime's dynamic quantization with one scale per output
channel, the first layer's feed-forward output left in fp32 (:data:`KEEP_FP32`), stays much
closer to fp32 and runs about 1.4-1.5x faster on 2 cores, where PyTorch fp32 and ONNX Runtime
fp32 run at the same speed. Whether a model may use it by default (test F1 within 0.5 points of
fp32) is measured by ``benchmarks/ner.py`` and ``benchmarks/relations.py`` and recorded in the
model's ``kgmed.json``.

The export (``torch.onnx``, TorchScript exporter) and the quantization
(``onnxruntime.quantization.quantize_dynamic``) run once per model and are cached under the
user cache directory (``$KGMED_CACHE_DIR`` overrides it), keyed by the weights' checksum and the
versions of torch, ONNX and ONNX Runtime; a cached file is written under a temporary name and
renamed into place, so concurrent runs never read half a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from kgmed.core.errors import ConfigError

log = logging.getLogger(__name__)

RECIPE = "kgmed-int8-v2"  # change when the export or quantization settings change
OPSET = 17
# Matrix products left in fp32, by the end of their ONNX node name: the first layer's
# feed-forward output. Chosen on dev, without labels, by how many outputs int8 changes against
# fp32. Tried with the NER model that never saw dev: each layer's feed-forward output alone, two
# pairs of them, all six, both feed-forward products of the first layer, the whole first layer,
# the classifier, ONNX Runtime's pre-processing. Decoded BC5CDR dev sentences that change: 339
# of 4,560 with everything in int8, 262 with this one product in fp32 at the same speed (all six:
# 225, but 12% slower; the whole first layer: 245, 9% slower). Relation dev candidates whose
# label changes: 153 -> 122 of 9,633.
KEEP_FP32 = ("layer.0/output/dense/MatMul",)


def describe() -> dict[str, Any]:
    """How int8 copies are made, for the benchmarks' records in ``kgmed.json``."""
    return {
        "runtime": "ONNX Runtime, dynamic int8, per-channel weight scales",
        "recipe": RECIPE,
        "fp32_nodes": list(KEEP_FP32),
    }


def available() -> bool:
    """Whether ONNX and ONNX Runtime are installed (both come with ``kgmed[nlp]``)."""
    return all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))


def require() -> None:
    if not available():
        raise ConfigError(
            "the int8 CPU fast path needs onnx and onnxruntime",
            hint='install them with `pip install "kgmed[nlp]"`',
        )


def cache_dir() -> Path:
    env = os.environ.get("KGMED_CACHE_DIR")
    if env:
        return Path(env) / "onnx"
    import platformdirs

    return Path(platformdirs.user_cache_dir("kgmed")) / "onnx"


def _digest(files: Sequence[Path]) -> str:
    import onnx
    import onnxruntime
    import torch

    h = hashlib.sha256(
        f"{RECIPE} torch {torch.__version__} onnx {onnx.__version__} "
        f"onnxruntime {onnxruntime.__version__}".encode()
    )
    for path in files:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:20]


def quantized_model(
    module: Any,
    example: Mapping[str, Any],
    *,
    output: str,
    batch_only: Sequence[str] = (),
    output_batch_only: bool = False,
    model_dir: Path,
    name: str,
) -> Path:
    """The int8 ONNX file of ``module`` (built and cached on first use).

    ``example`` maps the input names, in the order ``module.forward`` takes them, to example
    tensors shaped (batch, tokens), or (batch,) for the names in ``batch_only``; use a batch
    with padding so the attention mask is traced as data. The cache key reads the weights and
    config of ``model_dir``, the folder ``module`` was loaded from."""
    require()
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    weights = [model_dir / "model.safetensors", model_dir / "config.json"]
    path = cache_dir() / f"{name}-{_digest(weights)}.int8.onnx"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    axes = {k: ({0: "batch"} if k in batch_only else {0: "batch", 1: "tokens"}) for k in example}
    axes[output] = {0: "batch"} if output_batch_only else {0: "batch", 1: "tokens"}
    log.info("exporting %s to ONNX int8 (once; cached in %s)", name, path.parent)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")  # the exporter's tracer and deprecation warnings
            torch.onnx.export(
                module,
                tuple(example.values()),
                str(fp32),
                input_names=list(example),
                output_names=[output],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
        keep = [
            n.name
            for n in onnx.load(str(fp32), load_external_data=False).graph.node
            if n.name.endswith(KEEP_FP32)
        ]
        if len(keep) != len(KEEP_FP32):
            raise RuntimeError(f"{name}: the export has no node named like {KEEP_FP32}")
        with _quiet_root_logger():
            quantize_dynamic(
                str(fp32),
                str(int8),
                weight_type=QuantType.QInt8,
                per_channel=True,
                nodes_to_exclude=keep,
            )
        os.replace(int8, path)
    return path


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """Hide ONNX Runtime's advice to pre-process the model, logged on the root logger: its
    pre-processing changed no output here (the symbolic shape inference fails on this
    export; with the rest, outputs were identical)."""

    class Quiet(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return "pre-process" not in record.getMessage()

    quiet = Quiet()
    logging.getLogger().addFilter(quiet)
    try:
        yield
    finally:
        logging.getLogger().removeFilter(quiet)


def open_session(build: Callable[[], Path], threads: int | None, *, required: bool) -> Any:
    """An :class:`Int8Session` over the file ``build`` returns (building it if need be).

    When the fast path was only the default (``required`` false), a failure (an unwritable
    cache, an export the installed torch cannot make) is logged and ``None`` returned: the
    model then runs without it. When it was asked for, the failure is a ConfigError."""
    try:
        return Int8Session(build(), threads)
    except Exception as exc:
        if required:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(
                f"the int8 CPU fast path failed: {exc}",
                hint="set KGMED_CACHE_DIR to a writable folder, or run without int8",
            ) from exc
        log.warning("int8 CPU fast path unavailable (%s); running without it", exc)
        return None


class Int8Session:
    """An ONNX Runtime session over a quantized model; feeds it numpy or torch inputs."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads is None:
            import torch

            threads = torch.get_num_threads()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, inputs: Mapping[str, Any]) -> Any:
        """The model's single output (numpy) for ``inputs`` (numpy arrays or CPU tensors)."""
        feed = {k: _numpy(inputs[k]) for k in self.inputs}
        return self.session.run(None, feed)[0]


def _numpy(x: Any) -> Any:
    import numpy as np

    if hasattr(x, "numpy"):
        x = x.numpy()
    return np.ascontiguousarray(x, dtype=np.int64)
