"""Max unpooling's generated code (PyTorch's ``max_unpool``): a scatter forward, a gather backward.

A kernel module (see :mod:`symconv.codegen.embed`): NumPy only, the definitions a generated module
reaches copied into every module with a max-unpooling layer; ``plan_maxunpool`` binds a
:class:`MaxUnpool`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class MaxUnpool(NamedTuple):
    """What a max-unpooling layer's passes need: the channels, the input (pooled) block ``size``
    and the output block ``out``."""

    channels: int
    size: tuple[int, ...]
    out: tuple[int, ...]


def maxunpool_targets(indices: Any, shape: tuple[int, ...], plan: MaxUnpool) -> np.ndarray:
    """``indices`` (PyTorch's flat index of each entry in its output plane, shaped like ``A``:
    ``shape``) checked, as positions in the output planes laid end to end (row-major, int64)."""
    indices = np.asarray(indices)
    if indices.shape != shape:
        raise ValueError(f"indices must have shape {shape}, got {indices.shape}")
    if indices.dtype.kind not in "iu":
        raise ValueError(f"indices must hold integers (flat indices of an output plane), got {indices.dtype}")
    plane = int(np.prod(plan.out))
    if indices.size and (indices.min() < 0 or indices.max() >= plane):
        raise ValueError(f"indices must lie in 0..{plane - 1}, got values from {indices.min()} to {indices.max()}")
    planes = shape[0] * plan.channels
    flat = indices.reshape(planes, int(np.prod(plan.size))).astype(np.intp)  # -1 fails on an empty batch
    flat += (np.arange(planes, dtype=np.intp) * plane)[:, None]
    return flat.reshape(-1)


def maxunpool_forward(A: np.ndarray, indices: Any, plan: MaxUnpool) -> np.ndarray:
    """``U``: zeros, but entry ``indices[k]`` of each plane holds ``A``'s entry ``k`` (``(N, C,
    *size)`` to ``(N, C, *out)``); where indices repeat, the last entry in row-major order stays
    (one assignment in order, PyTorch's loop)."""
    targets = maxunpool_targets(indices, A.shape, plan)
    n = A.shape[0]
    U = np.zeros(n * plan.channels * int(np.prod(plan.out)), A.dtype)
    U[targets] = A.reshape(-1)
    return U.reshape(n, plan.channels, *plan.out)


def maxunpool_backward(dU: np.ndarray, indices: Any, plan: MaxUnpool) -> np.ndarray:
    """``dJ/dvA = dJ/dvU dvU/dvA``: ``dvU/dvA`` is the max-pool mask's transpose (eq.b-1), so each
    entry of ``A`` takes ``dU`` at its index (PyTorch's gather; where indices repeat, every entry
    takes it, as in PyTorch, though the forward kept only the last)."""
    n = dU.shape[0]
    shape = (n, plan.channels, *plan.size)
    targets = maxunpool_targets(indices, shape, plan)
    return dU.reshape(-1)[targets].reshape(shape)
