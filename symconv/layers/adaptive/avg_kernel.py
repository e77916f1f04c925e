"""Adaptive average pooling's generated code (seed 3.1.3 over PyTorch's adaptive windows) in any
number of axes: the whole-block sums of global pooling and the band weight matrices' products.

A kernel module (see :mod:`symconv.codegen.embed`): NumPy only, the definitions a generated module
reaches copied into every module with an adaptive average-pooling layer; ``plan_adaptive_avgpool``
binds an :class:`AdaptiveAvg` that :func:`adaptive_avg_plan` builds from the window tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

#: a forward pass, ``(I, plan) -> A`` (``(N, C, *size)`` to ``(N, C, *out)``), or a backward pass,
#: ``(dA, plan) -> dI``
AdaptiveAvgPass = Callable[..., np.ndarray]


class AdaptiveAvg(NamedTuple):
    """What an adaptive average-pooling layer's passes need: the channels, the input ``size`` and
    output ``out`` blocks, how many planes a pass takes at a time, each window's weight
    ``1/prod(its extents)`` (``weights``, shaped like the output) and the band weights: row ``p``
    of ``band_weights[a]`` holds ``1/n_p`` on window band ``p``'s entries along axis ``a``
    (``out_a x size_a``).  Row ``A_p`` of ``d vA/d vI`` is the outer product of row ``p_a`` of
    each, so ``A`` is the block multiplied by every ``band_weights[a]`` along its axis, and
    ``dJ/dI`` is ``dA`` multiplied by their transposes."""

    channels: int
    size: tuple[int, ...]
    out: tuple[int, ...]
    chunk: int
    weights: np.ndarray
    band_weights: tuple[np.ndarray, ...]


def adaptive_avg_passes(plan: AdaptiveAvg) -> tuple[AdaptiveAvgPass, AdaptiveAvgPass]:
    """The forward and backward passes: with output 1 along every axis (one window over the whole
    block, global average pooling) the whole-block sums, else the band weight matrices' products.
    Called when a module is generated: the module calls the passes it returns by name."""
    if all(n == 1 for n in plan.out):
        return adaptive_avg_global_forward, adaptive_avg_global_backward
    return adaptive_avg_bands_forward, adaptive_avg_bands_backward


def adaptive_avg_plan(
    channels: int, size: tuple[int, ...], bands: tuple[tuple[tuple[int, int], ...], ...], chunk: int
) -> AdaptiveAvg:
    """The :class:`AdaptiveAvg` of ``channels`` blocks of ``size`` pooled over the window bands
    ``bands[a]`` along each axis (``(start, end)``: band ``p`` covers entries ``start .. end - 1``),
    its weights read off the bands."""
    weights = np.ones(())
    matrices = []
    for n, axis in zip(size, bands, strict=True):
        weights = np.multiply.outer(weights, [1.0 / (end - start) for start, end in axis])
        matrix = np.zeros((len(axis), n))
        for b, (start, end) in enumerate(axis):
            matrix[b, start:end] = 1.0 / (end - start)
        matrices.append(matrix)
    out = tuple(len(axis) for axis in bands)
    return AdaptiveAvg(channels, tuple(size), out, chunk, weights, tuple(matrices))


def adaptive_avg_global_forward(I: np.ndarray, plan: AdaptiveAvg) -> np.ndarray:
    """``A = (1 / prod(size))`` times the sum of the whole block (3.1.3 with one adaptive window:
    global average pooling): each contiguous block summed by ``np.einsum``, whose row sums are
    about three times ``sum(axis=1)``'s on short rows, on one thread (a matrix-vector product with
    ones is as fast idle, but its BLAS threads lose whole time slices on a busy machine)."""
    n, channels = I.shape[0], plan.channels
    A = np.einsum("ij->i", I.reshape(n * channels, int(np.prod(plan.size))))
    A *= plan.weights.astype(I.dtype).reshape(-1)[0]
    return A.reshape(n, channels, *plan.out)


def adaptive_avg_global_backward(dA: np.ndarray, plan: AdaptiveAvg) -> np.ndarray:
    """The Jacobian's one row holds ``1/prod(size)`` everywhere, so each weighted ``dA`` fills its
    whole block."""
    n, channels = dA.shape[0], plan.channels
    G = dA.reshape(n * channels, 1) * plan.weights.astype(dA.dtype).reshape(-1)[0]
    dI = np.empty((n * channels, int(np.prod(plan.size))), dA.dtype)
    dI[...] = G
    return dI.reshape(n, channels, *plan.size)


def adaptive_avg_along(x: np.ndarray, axis: int, matrix: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``x`` (a chunk of blocks, the planes first) multiplied along ``axis`` (of the block) by
    ``matrix`` (``len x new``): that axis moved last, one matrix product, moved back (into ``out``)."""
    moved = np.moveaxis(x, axis + 1, -1)
    shape = moved.shape[:-1]
    flat = moved.reshape(-1, moved.shape[-1])
    if out is None:
        return np.moveaxis((flat @ matrix).reshape(*shape, matrix.shape[1]), -1, axis + 1)
    target = np.moveaxis(out, axis + 1, -1)
    np.matmul(flat, matrix, out=target.reshape(-1, matrix.shape[1]))
    return out


def adaptive_avg_bands_forward(I: np.ndarray, plan: AdaptiveAvg) -> np.ndarray:
    """``A`` is each block multiplied by ``band_weights[a]`` along every axis ``a``, a matrix product
    per axis over a chunk of planes at a time, from the last axis to the first (2-D: across the
    columns, then down the rows on the small result)."""
    n, channels, step = I.shape[0], plan.channels, plan.chunk
    planes = n * channels
    planes_in = I.reshape(planes, *plan.size)
    matrices = [m.T.astype(I.dtype) for m in plan.band_weights]
    A = np.empty((planes, *plan.out), I.dtype)
    for a in range(0, planes, step):
        x = planes_in[a : a + step]
        for axis in reversed(range(len(plan.size))):
            x = adaptive_avg_along(x, axis, matrices[axis])
        A[a : a + len(x)] = x
    return A.reshape(n, channels, *plan.out)


def adaptive_avg_bands_backward(dA: np.ndarray, plan: AdaptiveAvg) -> np.ndarray:
    """Row ``A_p`` of the Jacobian holds ``1/prod(extents)`` over window ``p``, the outer product of
    row ``p_a`` of each ``band_weights[a]``, so each block's ``dJ/dI`` is ``dA`` multiplied along
    every axis by ``band_weights[a]`` (transposed): from the first axis to the last (2-D: down the
    rows first, on the small ``dA``, then across the columns straight into ``dI``), a chunk of
    planes at a time."""
    n, channels, step = dA.shape[0], plan.channels, plan.chunk
    d = len(plan.size)
    planes = n * channels
    G = dA.reshape(planes, *plan.out)
    matrices = [m.astype(dA.dtype) for m in plan.band_weights]
    dI = np.empty((planes, *plan.size), dA.dtype)
    for a in range(0, planes, step):
        x = G[a : a + step]
        for axis in range(d - 1):
            x = adaptive_avg_along(x, axis, matrices[axis])
        adaptive_avg_along(x, d - 1, matrices[d - 1], out=dI[a : a + len(x)])
    return dI.reshape(n, channels, *plan.size)
