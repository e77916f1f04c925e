"""Adaptive average pooling's generated code (seed 3.1.3 over PyTorch's adaptive windows): the
whole-plane sums of global pooling and the band weight matrices' products.

A kernel module (see :mod:`symconv.codegen.embed`): NumPy only, its source copied into every
generated module with an adaptive average-pooling layer; ``plan_adaptive_avgpool`` binds an
:class:`AdaptiveAvg` that :func:`adaptive_avg_plan` builds from the window tables.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class AdaptiveAvg(NamedTuple):
    """What an adaptive average-pooling layer's passes need: the channels, the input ``(h, w)``
    and output ``(hz, wz)`` planes, how many planes a pass takes at a time, whether the output
    is ``(1, 1)`` (``whole``: one window over the whole plane, global average pooling), each
    window's weight ``1/(h_p w_q)`` (``weights``, ``hz x wz``: its divisor is a row count times a
    column count) and the band weights: row ``p`` of ``row_weights`` holds ``1/h_p`` on window
    row band ``p``'s rows (``hz x h``), ``col_weights`` likewise for columns.  Row ``A_pq`` of
    ``d vA/d vI``, ``1/(h_p w_q)`` over window ``(p, q)``, is the outer product of row ``p`` of
    one and row ``q`` of the other, so ``A = row_weights I col_weights^T`` for each plane, and
    ``dJ/dI = row_weights^T dA col_weights``."""

    channels: int
    h: int
    w: int
    hz: int
    wz: int
    chunk: int
    whole: bool
    weights: np.ndarray
    row_weights: np.ndarray
    col_weights: np.ndarray


def adaptive_avg_plan(
    channels: int,
    h: int,
    w: int,
    rows: tuple[tuple[int, int], ...],
    cols: tuple[tuple[int, int], ...],
    chunk: int,
    whole: bool,
) -> AdaptiveAvg:
    """The :class:`AdaptiveAvg` of ``channels`` planes ``h x w`` pooled over the window row bands
    ``rows`` and column bands ``cols`` (``(start, end)``: band ``p`` covers rows ``start .. end - 1``),
    its weights read off the bands."""
    weights = np.outer([1.0 / (end - start) for start, end in rows], [1.0 / (end - start) for start, end in cols])
    row_weights = np.zeros((len(rows), h))
    col_weights = np.zeros((len(cols), w))
    for matrix, bands in ((row_weights, rows), (col_weights, cols)):
        for b, (start, end) in enumerate(bands):
            matrix[b, start:end] = 1.0 / (end - start)
    return AdaptiveAvg(channels, h, w, len(rows), len(cols), chunk, whole, weights, row_weights, col_weights)


def adaptive_avg_forward(I: np.ndarray, plan: AdaptiveAvg) -> np.ndarray:
    """``A_pq = (1 / (h_p w_q))`` times the sum of window ``(p, q)`` (3.1.3 with adaptive windows)
    for a batch ``I`` (``(N, C, h, w)``)."""
    if plan.whole:
        return adaptive_avg_global_forward(I, plan)
    return adaptive_avg_bands_forward(I, plan)


def adaptive_avg_backward(dA: np.ndarray, plan: AdaptiveAvg) -> np.ndarray:
    """``dJ/dvI_j = dJ/dvA_j dvA_j/dvI_j`` (3.1.3) for a batch ``dA`` (``(N, C, hz, wz)``)."""
    if plan.whole:
        return adaptive_avg_global_backward(dA, plan)
    return adaptive_avg_bands_backward(dA, plan)


def adaptive_avg_global_forward(I: np.ndarray, plan: AdaptiveAvg) -> np.ndarray:
    """``A_11 = (1 / (h w))`` times the sum of the whole plane (3.1.3 with one adaptive window,
    ``output=(1, 1)``: global average pooling): each contiguous plane summed by ``np.einsum``,
    whose row sums are about three times ``sum(axis=1)``'s on short rows, on one thread (a
    matrix-vector product with ones is as fast idle, but its BLAS threads lose whole time slices
    on a busy machine)."""
    n, channels = I.shape[0], plan.channels
    A = np.einsum("ij->i", I.reshape(n * channels, plan.h * plan.w))
    A *= plan.weights.astype(I.dtype)[0, 0]
    return A.reshape(n, channels, 1, 1)


def adaptive_avg_global_backward(dA: np.ndarray, plan: AdaptiveAvg) -> np.ndarray:
    """The Jacobian's one row holds ``1/(h w)`` everywhere, so each weighted ``dA_11`` fills its
    whole plane."""
    n, channels = dA.shape[0], plan.channels
    G = dA.reshape(n * channels, 1) * plan.weights.astype(dA.dtype)[0, 0]
    dI = np.empty((n * channels, plan.h * plan.w), dA.dtype)
    dI[...] = G
    return dI.reshape(n, channels, plan.h, plan.w)


def adaptive_avg_bands_forward(I: np.ndarray, plan: AdaptiveAvg) -> np.ndarray:
    """``A = row_weights I col_weights^T`` for each plane, as two matrix products over a chunk of
    planes at a time: across the columns (every plane's rows times ``col_weights^T``), then down
    the rows (on the small result, transposed)."""
    n, channels, h, w, hz, wz, step = I.shape[0], plan.channels, plan.h, plan.w, plan.hz, plan.wz, plan.chunk
    planes = n * channels
    planes_in = I.reshape(planes, h, w)
    cols, rows = plan.col_weights.T.astype(I.dtype), plan.row_weights.T.astype(I.dtype)
    A = np.empty((planes, hz, wz), I.dtype)
    for a in range(0, planes, step):
        chunk = planes_in[a : a + step]
        m = len(chunk)
        across = (chunk.reshape(m * h, w) @ cols).reshape(m, h, wz)
        down = across.transpose(0, 2, 1).reshape(m * wz, h) @ rows
        A[a : a + m] = down.reshape(m, wz, hz).transpose(0, 2, 1)
    return A.reshape(n, channels, hz, wz)


def adaptive_avg_bands_backward(dA: np.ndarray, plan: AdaptiveAvg) -> np.ndarray:
    """Row ``A_pq`` of the Jacobian holds ``1/(h_p w_q)`` over window ``(p, q)``, the outer product
    of row ``p`` of ``row_weights`` and row ``q`` of ``col_weights``, so each plane's ``dJ/dI`` is
    ``row_weights^T dA col_weights``: down the rows first (on ``dA`` transposed, which is small),
    then across the columns, written straight into ``dI``, a chunk of planes at a time."""
    n, channels, h, w, hz, wz, step = dA.shape[0], plan.channels, plan.h, plan.w, plan.hz, plan.wz, plan.chunk
    planes = n * channels
    G = dA.reshape(planes, hz, wz)
    rows, cols = plan.row_weights.astype(dA.dtype), plan.col_weights.astype(dA.dtype)
    dI = np.empty((planes, h, w), dA.dtype)
    for a in range(0, planes, step):
        chunk = G[a : a + step]
        m = len(chunk)
        down = (chunk.transpose(0, 2, 1).reshape(m * wz, hz) @ rows).reshape(m, wz, h)
        np.matmul(down.transpose(0, 2, 1).reshape(m * h, wz), cols, out=dI[a : a + m].reshape(m * h, w))
    return dI.reshape(n, channels, h, w)
