"""Average pooling's generated code (seed 3.1.3) in any number of axes: the forward sweeps and
the backward spreads.  Lp pooling (PyTorch's ``lp_pool``) runs the same passes on ``I^n``.

A kernel module (see :mod:`symconv.codegen.embed`): NumPy only, the definitions a generated module
reaches copied into every module with an average- or Lp-pooling layer; ``plan_avgpool`` binds an
:class:`AvgPool`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ..window_kernel import Frame
from .planes_kernel import along, chunk_of, padded_chunks, tap_slice

#: a write-once run of a spread (``symconv.layers.pool.spreads.spread_runs``): input lines
#: ``i0, i0 + step, ... < i1`` get the sum over ``p0`` in ``starts`` of lines ``p0, p0 + 1, ...``
Run = tuple[int, int, tuple[int, ...]]
#: the backward pass's spread along one axis: ``(target, source, axis, plan) -> the spread source``
Spread = Callable[..., np.ndarray]


class AvgPool(NamedTuple):
    """What an average-pooling layer's passes need: its window geometry (``frame``), the channels,
    the coefficient ``1/prod(window)`` of ``P`` (or the ``(*out)`` array of ``1/D_p``), how many
    planes each pass takes at a time, and the backward pass's spreads (read off the checked runs),
    one axis at a time from the last: ``runs[a]``, the runs along axis ``a`` (along the last axis,
    those written after the ``classes``); ``tiles``: the windows tile the input (no padding, stride
    = window, no dilation); ``repeat_last``: tiles wide enough that ``np.repeat`` spreads the last
    axis."""

    frame: Frame
    channels: int
    coef: float | np.ndarray
    forward_chunk: int
    chunk: int
    runs: tuple[tuple[Run, ...], ...]
    classes: tuple[tuple[int, tuple[int, ...]], ...]
    tiles: bool
    repeat_last: bool


def avgpool_spreads(plan: AvgPool) -> tuple[Spread, ...]:
    """The backward pass's spread along each axis: where the windows tile the input, each line
    copied to the lines of its window (:func:`avgpool_spread_tiles`), along the last axis by
    ``np.repeat`` when the tiles are wide (:func:`avgpool_spread_repeat`); else the runs
    (:func:`avgpool_spread_runs`).  Called when a module is generated: the module passes the
    spreads it returns by name."""
    earlier = avgpool_spread_tiles if plan.tiles else avgpool_spread_runs
    last = avgpool_spread_repeat if plan.repeat_last else avgpool_spread_runs
    return (*(earlier,) * (len(plan.frame.size) - 1), last)


def avgpool_forward(I: np.ndarray, plan: AvgPool) -> np.ndarray:
    """``A_j = I_j * P`` for a batch ``I`` (``(N, C, *size)``), padded entries counting as zeros.

    The window sums are taken one axis at a time, a chunk of planes at a time: along the first
    axis (tap ``r`` of window band ``p`` is padded entry ``p s + r d``), then the next, ..., the
    last sweep writing the output, which is then scaled by ``P``'s coefficient."""
    fr = plan.frame
    d = len(fr.size)
    n = I.shape[0]
    planes = n * plan.channels
    chunk = chunk_of(plan.forward_chunk, planes)
    A = np.empty((planes, *fr.out), I.dtype)
    shapes, now = [], list(fr.padded)
    for ax in range(d):
        now[ax] = fr.out[ax]
        shapes.append((chunk, *now))
    work = [np.empty(shape, I.dtype) for shape in shapes[:-1]]
    for a, b, Ip in padded_chunks(I.reshape(planes, *fr.size), fr, chunk, 0.0):
        source = Ip
        for ax in range(d):
            out = A[a:b] if ax == d - 1 else work[ax][: b - a]
            np.copyto(out, source[along(d, ax, tap_slice(fr, ax, 0))])
            for r in range(1, fr.window[ax]):
                out += source[along(d, ax, tap_slice(fr, ax, r))]
            source = out
        source *= plan.coef
    return A.reshape(n, plan.channels, *fr.out)


def avgpool_backward(dA: np.ndarray, plan: AvgPool, spreads: tuple[Spread, ...]) -> np.ndarray:
    """``dJ/dvI_j = dJ/dvA_j dvA_j/dvI_j`` for a batch ``dA`` (``(N, C, *out)``): column ``r`` of
    the Jacobian is ``vec(dI/dI_r * P)``, so every window position passes its coefficient times
    ``dA`` back to its slice.  ``P`` is an outer product of ones, so the sum over the window
    positions is spread along the last axis, then along each earlier one (``spreads[a]`` along
    axis ``a``: :func:`avgpool_spreads`), a chunk of planes at a time (kept in the CPU cache)."""
    fr = plan.frame
    d = len(fr.size)
    n = dA.shape[0]
    planes = n * plan.channels
    G = dA.reshape(planes, *fr.out)
    dI = np.empty((planes, *fr.size), dA.dtype)
    chunk = min(plan.chunk, planes)
    scaled = np.empty((chunk, *fr.out), dA.dtype)  # P-weighted dA of a chunk
    # work[a]: the chunk spread along the axes from a on (the earlier ones still output-sized)
    work = {
        ax: np.empty((chunk, *fr.out[:ax], *fr.size[ax:]), dA.dtype)
        for ax in range(1, d)
        if not (ax == d - 1 and plan.repeat_last)
    }
    for a in range(0, planes, plan.chunk):
        b = min(a + plan.chunk, planes)
        source = np.multiply(G[a:b], plan.coef, out=scaled[: b - a])
        for ax in reversed(range(d)):
            target = dI[a:b] if ax == 0 else work[ax][: b - a] if ax in work else None
            source = spreads[ax](target, source, ax, plan)
    return dI.reshape(n, plan.channels, *fr.size)


def avgpool_spread_runs(target: np.ndarray, source: np.ndarray, ax: int, plan: AvgPool) -> np.ndarray:
    """Along axis ``ax``: the runs of ``runs[ax]`` (:func:`spread_runs`), along the last axis after
    the classes (:func:`spread_classes`), which the runs then overwrite where they differ."""
    fr = plan.frame
    if ax == len(fr.size) - 1:
        spread_classes(target.reshape(-1), source.reshape(-1), plan.classes, fr.stride[ax])
    spread_runs(target.swapaxes(ax + 1, -1), source.swapaxes(ax + 1, -1), plan.runs[ax], fr.stride[ax])
    return target


def avgpool_spread_tiles(target: np.ndarray, source: np.ndarray, ax: int, plan: AvgPool) -> np.ndarray:
    """The windows tile the input: each line of ``source`` along axis ``ax`` copied to the lines
    of its window."""
    fr = plan.frame
    shape = (source.shape[0], *target.shape[1 : ax + 1], fr.out[ax], fr.window[ax], *target.shape[ax + 2 :])
    target.reshape(shape)[...] = np.expand_dims(source, ax + 2)
    return target


def avgpool_spread_repeat(target: np.ndarray | None, source: np.ndarray, ax: int, plan: AvgPool) -> np.ndarray:
    """The windows tile the input, and are wide along the last axis ``ax``: each entry to its
    window's entries by ``np.repeat`` (into ``target`` when given: ``dI``, the last axis being the
    first)."""
    spread = np.repeat(source, plan.frame.window[ax], axis=-1)
    if target is not None:
        target[...] = spread
    return spread


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


def lppool_forward(I: np.ndarray, plan: AvgPool, norm: float) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's ``lp_pool``: ``A_p = (c_p S_p)^(1/n)``, ``S_p`` the window sum of ``I^n``
    (:func:`avgpool_forward` on ``I^n``, its coefficient ``c_p``); ``(A, c_p S_p)`` (the backward
    pass's saved sums).  NaN where the real root does not exist, as in PyTorch."""
    with np.errstate(invalid="ignore", divide="ignore"):
        S = avgpool_forward(np.power(I, I.dtype.type(norm)), plan)
        return np.power(S, I.dtype.type(1.0 / norm)), S


def lppool_backward(
    dA: np.ndarray, I: np.ndarray, S: np.ndarray, plan: AvgPool, norm: float, spreads: tuple[Spread, ...]
) -> np.ndarray:
    """``dJ/dI_r = sum_p dJ/dA_p c_p I_r^(n-1) (c_p S_p)^(1/n - 1)``: ``dA (c S)^(1/n - 1)`` spread
    back by :func:`avgpool_backward` (which multiplies by ``c_p``; ``spreads`` as there), times
    ``I^(n-1)``.  Where the window sum ``S_p`` is 0 no gradient passes, for every ``n`` (PyTorch's:
    its ``relu`` of the sum masks the root's infinite slope, and with ``n = 1`` the sum's slope 1
    as well)."""
    t = I.dtype.type
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.ones_like(S) if norm == 1.0 else np.power(S, t(1.0 / norm - 1.0))
        slope[S == 0] = 0
        G = avgpool_backward(dA * slope, plan, spreads)
        return G if norm == 1.0 else G * np.power(I, t(norm - 1.0))
