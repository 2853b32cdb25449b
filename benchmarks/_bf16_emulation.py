"""bf16 numerics at near-fp32 speed, to check the bf16 fast path's F1 on CPUs without native bf16.

On a CPU without AMX-BF16 or AVX512-BF16, PyTorch runs bf16 matrix products through slow
fallback kernels (about 70x slower than fp32 on this project's AMD machines), so the F1 check of
``benchmarks/cpu_bf16.py`` would take hours there. Native bf16 matrix kernels read bf16 inputs,
multiply and accumulate in fp32 (a product of two bf16 numbers is exact in fp32; AMX
accumulates in fp32) and round the result to bf16. While ``emulated_bf16()`` is active, every
matrix product whose floating-point inputs are all bf16 does the same on fp32 copies of them;
every other operation (layer norm, softmax, GELU...) runs on PyTorch's own bf16 kernels, which
are fast everywhere. Only the order of the fp32 accumulation can differ from a native kernel.
Timings under it mean nothing; F1 is what it is for.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten, tree_map

MATRIX_PRODUCTS = {
    F.linear,
    F.scaled_dot_product_attention,
    torch.matmul,
    torch.Tensor.matmul,
    torch.Tensor.__matmul__,
    torch.bmm,
    torch.Tensor.bmm,
    torch.baddbmm,
    torch.addmm,
    torch.mm,
    torch.Tensor.mm,
    torch.einsum,
}


def _floating(x: Any) -> bool:
    return isinstance(x, torch.Tensor) and x.is_floating_point()


def _up(x: Any) -> Any:
    return x.float() if _floating(x) else x


def _down(x: Any) -> Any:
    return x.bfloat16() if _floating(x) else x


class emulated_bf16(TorchFunctionMode):
    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if func in MATRIX_PRODUCTS and "out" not in kwargs:
            inputs = [x for x in tree_flatten((args, kwargs))[0] if _floating(x)]
            if inputs and all(x.dtype == torch.bfloat16 for x in inputs):
                return tree_map(_down, func(*tree_map(_up, args), **tree_map(_up, kwargs)))
        return func(*args, **kwargs)
