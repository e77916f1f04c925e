"""Average pooling's generated code (seed 3.1.3): the forward sweeps and the backward spreads.

A kernel module (see :mod:`symconv.codegen.embed`): NumPy only, its source copied into every
generated module with an average-pooling layer; ``plan_avgpool`` binds an :class:`AvgPool`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..window_kernel import Window
from .planes_kernel import chunk_of, padded_chunks

#: a write-once run of a spread (``symconv.codegen.plans.spread_runs``): input rows
#: ``i0, i0 + step, ... < i1`` get the sum over ``p0`` in ``starts`` of rows ``p0, p0 + 1, ...``
Run = tuple[int, int, tuple[int, ...]]


class AvgPool(NamedTuple):
    """What an average-pooling layer's passes need: its window geometry, the channels, the
    coefficient ``1/(h_l w_l)`` of ``P`` (or the ``(hz, wz)`` array of ``1/D_pq``), how many
    planes each pass takes at a time, and the backward pass's spreads (read off the checked
    runs): the row runs, the column classes and the column runs written after them.  ``tiles``:
    the windows tile the input (no padding, stride = window, dilation 1); ``repeat_columns``:
    tiles wide enough that ``np.repeat`` spreads the columns."""

    window: Window
    channels: int
    coef: float | np.ndarray
    forward_chunk: int
    chunk: int
    row_runs: tuple[Run, ...]
    col_classes: tuple[tuple[int, tuple[int, ...]], ...]
    col_runs: tuple[Run, ...]
    tiles: bool
    repeat_columns: bool


def avgpool_forward(I: np.ndarray, plan: AvgPool) -> np.ndarray:
    """``A_j = I_j * P`` for a batch ``I`` (``(N, C, h, w)``), padded entries counting as zeros.

    The window sums are taken in two sweeps, a chunk of planes at a time: down the window's
    rows (row ``r`` of window row band ``p`` is padded row ``p s_h + r d_h``), then across its
    columns (column ``s`` of window ``(p, q)`` is column ``q s_w + s d_w``)."""
    win = plan.window
    n = I.shape[0]
    planes = n * plan.channels
    chunk = chunk_of(plan.forward_chunk, planes)
    A = np.empty((planes, win.hz, win.wz), I.dtype)
    down = np.empty((chunk, win.hz, win.wp), I.dtype)
    row_span, col_span = win.row_span, win.col_span
    for a, b, Ip in padded_chunks(I.reshape(planes, win.h, win.w), win, chunk, 0.0):
        rows = down[: b - a]
        np.copyto(rows, Ip[:, : row_span : win.sh])
        for r in range(1, win.hl):
            rows += Ip[:, r * win.dh : r * win.dh + row_span : win.sh]
        out = A[a:b]
        np.copyto(out, rows[:, :, : col_span : win.sw])
        for s in range(1, win.wl):
            out += rows[:, :, s * win.dw : s * win.dw + col_span : win.sw]
        out *= plan.coef
    return A.reshape(n, plan.channels, win.hz, win.wz)


def avgpool_backward(dA: np.ndarray, plan: AvgPool) -> np.ndarray:
    """``dJ/dvI_j = dJ/dvA_j dvA_j/dvI_j`` for a batch ``dA`` (``(N, C, hz, wz)``): column ``(r, s)``
    of the Jacobian is ``vec(dI/dI_rs * P)``, so every window position passes its coefficient
    times ``dA`` back to its slice.  ``P`` is a column of ones times a row of ones, so the sum
    over the window positions is spread along the columns, then along the rows, a chunk of
    planes at a time (kept in the CPU cache)."""
    win = plan.window
    n = dA.shape[0]
    planes = n * plan.channels
    G = dA.reshape(planes, win.hz, win.wz)
    dI = np.empty((planes, win.h, win.w), dA.dtype)
    chunk = min(plan.chunk, planes)
    scaled = np.empty((chunk, win.hz, win.wz), dA.dtype)  # P-weighted dA of a chunk
    if not plan.repeat_columns:
        spread = np.empty((chunk, win.hz, win.w), dA.dtype)  # the same, spread along the columns
    for a in range(0, planes, plan.chunk):
        b = min(a + plan.chunk, planes)
        S = np.multiply(G[a:b], plan.coef, out=scaled[: b - a])
        if plan.repeat_columns:
            T = np.repeat(S, win.wl, axis=-1)  # the windows tile the input: each entry to its window's columns
        else:
            T = spread[: b - a]
            if plan.col_classes:
                spread_classes(T.reshape(-1), S.reshape(-1), plan.col_classes, win.sw)
            if plan.col_runs:
                spread_runs(T, S, plan.col_runs, win.sw)
        if plan.tiles:
            # the windows tile the input: each row of T is copied to the hl input rows of its windows
            dI[a:b].reshape(b - a, win.hz, win.hl, win.w)[...] = T[:, :, None, :]
        else:
            spread_runs(dI[a:b].swapaxes(1, 2), T.swapaxes(1, 2), plan.row_runs, win.sh)
    return dI.reshape(n, plan.channels, win.h, win.w)


def spread_runs(out: np.ndarray, source: np.ndarray, runs: tuple[Run, ...], step: int) -> None:
    """Along the last axis: ``out[..., i0:i1:step]`` gets the sum, over the run's ``starts``, of
    ``source[..., p0:p0 + m]`` (zero for a run no window reads), for each run ``(i0, i1, starts)``."""
    for i0, i1, starts in runs:
        part = out[..., i0:i1:step]
        m = part.shape[-1]
        if not starts:
            part[...] = 0
        elif len(starts) == 1:
            part[...] = source[..., starts[0] : starts[0] + m]
        else:
            np.add(source[..., starts[0] : starts[0] + m], source[..., starts[1] : starts[1] + m], out=part)
            for p0 in starts[2:]:
                part += source[..., p0 : p0 + m]


def spread_classes(
    out: np.ndarray, source: np.ndarray, classes: tuple[tuple[int, tuple[int, ...]], ...], step: int
) -> None:
    """Flattened, ``out`` ``step`` times as long as ``source``: ``out[e::step][x]`` gets the sum, over
    the class's shifts ``d``, of ``source[x + d]``, wherever those entries exist."""
    for e, shifts in classes:
        part = out[e::step]
        if not shifts:
            part[...] = 0
            continue
        lo, hi = max(0, -min(shifts)), part.size - max(0, max(shifts))
        if len(shifts) == 1:
            part[lo:hi] = source[lo + shifts[0] : hi + shifts[0]]
        else:
            np.add(source[lo + shifts[0] : hi + shifts[0]], source[lo + shifts[1] : hi + shifts[1]], out=part[lo:hi])
            for d in shifts[2:]:
                part[lo:hi] += source[lo + d : hi + d]
