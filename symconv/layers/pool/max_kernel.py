"""Max pooling's generated code (seed 3.1.3, Appendix B) in any number of axes: the forward
sweeps, the backward routes and PyTorch's flat indices.

A kernel module (see :mod:`symconv.codegen.embed`): NumPy only, the definitions a generated module
reaches copied into every module with a max-pooling layer; ``plan_maxpool`` binds a
:class:`MaxPool`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..window_kernel import Frame
from .planes_kernel import along, chunk_of, frame_interior, frame_padded, padded_chunks, tap_slice


class MaxPool(NamedTuple):
    """What a max-pooling layer's passes need: its window geometry (``frame``), the channels, the
    value padded entries take part as, the integer type of the switches (the seed's ``i_p``, ``1
    .. prod(window)``), whether ties go to the first maximum in row-major order
    (``tie_order="row"``) rather than in ``vΩ``'s order (the first axis fastest), how many planes
    each pass takes at a time (float64 planes; the backward pass takes as many bytes of a narrower
    type, up to the planes ``corners`` covers), from how many bytes on the backward pass's output
    comes zeroed from the operating system, whether windows overlap, and the backward routes (checked at
    generation): ``offsets[i]``, where entry ``i`` of ``vΩ`` lies from its window's first corner
    in a row-major padded plane (eq.b-2.1; ``offsets[0]`` unused), ``corners``, the corners of
    the windows of ``2 chunk`` padded planes laid end to end (eq.b-2.2, :func:`maxpool_corners`),
    ``pair_offsets``, the offsets of two neighbouring outputs at once
    (:func:`maxpool_pair_offsets`), or ``None`` for windows too large for such a table;
    ``row_order[k]``, the ``vΩ`` index (0-based) of the ``k``-th window entry in row-major order;
    and ``sources``, the input entry (row-major in its plane, PyTorch's flat index) each padded
    entry holds, or -1."""

    frame: Frame
    channels: int
    pad_value: float
    switch_type: type[np.integer[Any]]
    row_ties: bool
    forward_chunk: int
    chunk: int
    fresh_bytes: int
    overlapping: bool
    offsets: np.ndarray
    corners: np.ndarray
    pair_offsets: np.ndarray | None
    row_order: np.ndarray
    sources: np.ndarray


def maxpool_corners(parts: tuple[tuple[int, ...], ...], chunk: int, plane: int) -> np.ndarray:
    """Entry ``k prod(out) + (the output's row-major index)``: the first corner of window ``p``
    (eq.b-2.2), the sum over the axes of ``parts[a][p_a]``, in plane ``k`` of a chunk of ``chunk``
    row-major padded planes of ``plane`` entries each, all laid end to end."""
    corners = np.zeros((), np.intp)
    for part in parts:
        corners = np.add.outer(corners, np.asarray(part, np.intp))
    planes = np.arange(chunk) * plane
    return np.add.outer(planes, corners.reshape(-1)).astype(np.intp).reshape(-1)


def maxpool_sources(source_axes: tuple[tuple[int, ...], ...], size: tuple[int, ...]) -> np.ndarray:
    """For each entry of a row-major padded plane, the row-major index in the input plane (of
    ``size``) of the input entry it holds, or -1: ``source_axes[a][x]`` is the input entry padded
    position ``x`` of axis ``a`` holds, or -1."""
    flat = np.zeros((), np.intp)
    inside = np.ones((), bool)
    step = 1
    for axis, src in reversed(list(enumerate(source_axes))):
        at = np.asarray(src, np.intp)
        flat = np.add.outer(at * step, flat)
        inside = np.logical_and.outer(at >= 0, inside)
        step *= size[axis]
    return np.where(inside, flat, -1).reshape(-1).astype(np.intp)


def maxpool_pair_offsets(offsets: np.ndarray) -> np.ndarray:
    """``offsets`` for two neighbouring outputs at once: their switches ``(i, j)``, read as one
    16-bit number ``u``, index the row ``(offsets[i], offsets[j])`` (built through the same
    view, so it holds on either byte order)."""
    size = offsets.shape[0]  # prod(window) + 1
    i, j = np.indices((size, size))
    u = np.stack([i, j], axis=-1).astype(np.uint8).view(np.uint16)[..., 0]
    table = np.zeros((256 * size, 2), np.intp)
    table[u] = np.stack([offsets[i], offsets[j]], axis=-1)
    return table


def maxpool_forward(I: np.ndarray, plan: MaxPool) -> tuple[np.ndarray, np.ndarray]:
    """``A_p = max`` of window ``p`` of the padded input (Appendix B, rep.1 to rep.3), padded
    entries counting as ``pad_value``, for a batch ``I`` (``(N, C, *size)``); returns
    ``(A, switches)``, ``switches`` holding the seed's ``i_p``: the 1-based index in ``vΩ`` of
    the maximum, the first one on ties.

    One sweep per axis, a chunk of planes at a time (:func:`maxpool_sweeps`).  A window holding
    NaN is left to :func:`maxpool_windows` (``np.argmax`` over ``vΩ``, which takes the first NaN
    as the maximum)."""
    fr = plan.frame
    n = I.shape[0]
    planes = n * plan.channels
    A = np.empty((planes, *fr.out), I.dtype)
    switches = np.empty((planes, *fr.out), plan.switch_type)
    maxpool_sweeps(I.reshape(planes, *fr.size), A, switches, plan)
    A = A.reshape(n, plan.channels, *fr.out)
    if np.isnan(A).any():
        return maxpool_windows(maxpool_planes(I, plan), n, plan)
    return A, switches.reshape(n, plan.channels, *fr.out)


def maxpool_sweeps(planes_in: np.ndarray, A: np.ndarray, switches: np.ndarray, plan: MaxPool) -> None:
    """The forward pass's sweeps on ``planes_in`` (``(planes, *size)``) into ``A`` and ``switches``
    (``(planes, *out)``), a chunk of planes at a time, one axis after another: along each, for
    every window band, the largest entry over the taps ``r`` and the first ``r`` holding it
    (a later tap replaces it only where it is strictly larger).

    ``vΩ`` numbers a window's entries the first axis fastest, ``i = 1 + sum_a r_a prod_{b < a} k_b``
    (eq.b-2.1; ``i = s h_l + r + 1`` in 2-D), so its first maximum is found by sweeping the first
    axis first; ties in row-major order (``tie_order="row"``) sweep the last axis first.  Each
    sweep after the first carries the partial index of what it compares."""
    fr = plan.frame
    d = len(fr.size)
    st = plan.switch_type
    axes = list(reversed(range(d))) if plan.row_ties else list(range(d))
    weight = [int(np.prod(fr.window[:a], dtype=np.int64)) for a in range(d)]
    chunk = chunk_of(plan.forward_chunk, planes_in.shape[0])
    # the shape of a chunk after each sweep: swept axes have their output size
    shapes, now = [], list(fr.padded)
    for ax in axes:
        now[ax] = fr.out[ax]
        shapes.append((chunk, *now))
    work = [
        (np.empty(shape, planes_in.dtype), np.empty(shape, st)) if k < d - 1 else (None, None)
        for k, shape in enumerate(shapes)
    ]
    scratch = [maxpool_sweep_buffers(shape, st) for shape in shapes]
    for a, b, Ip in padded_chunks(planes_in, fr, chunk, plan.pad_value):
        source, index = Ip, None  # index: the swept axes' partial vΩ index (raw tap on the first sweep)
        for k, ax in enumerate(axes):
            last = k == d - 1
            best, chosen = (A[a:b], switches[a:b]) if last else (x[: b - a] for x in work[k])  # type: ignore[index]
            larger, step = (x[: b - a] for x in scratch[k])
            taps = [along(d, ax, tap_slice(fr, ax, r)) for r in range(fr.window[ax])]
            np.copyto(best, source[taps[0]])
            if index is None:
                # the first sweep: the raw tap r; it only grows, so the largest r at which an
                # entry was strictly larger is the first maximum
                chosen.fill(0)
                for r in range(1, fr.window[ax]):
                    part = source[taps[r]]
                    np.greater(part, best, out=larger)
                    np.maximum(part, best, out=best)
                    np.maximum(chosen, np.multiply(larger, st(r), out=step), out=chosen)
                if last:
                    chosen += st(1)
            else:
                # the partial index so far (the first sweep's raw tap scaled to its axis) plus this tap's
                scale = st(weight[axes[0]]) if k == 1 else st(1)
                plus = st(1) if last else st(0)
                np.multiply(index[taps[0]], scale, out=chosen)
                chosen += plus
                for r in range(1, fr.window[ax]):
                    part = source[taps[r]]
                    np.greater(part, best, out=larger)
                    np.maximum(part, best, out=best)
                    np.multiply(index[taps[r]], scale, out=step)
                    step += st(r * weight[ax]) + plus
                    if plan.row_ties:
                        # the index is not monotonic in r here: a later tap replaces it only where larger
                        np.copyto(chosen, step, where=larger)
                    else:
                        # the index grows with r (earlier axes' parts stay below this axis's weight)
                        np.maximum(chosen, np.multiply(step, larger, out=step), out=chosen)
            source, index = best, chosen


def maxpool_sweep_buffers(shape: tuple[int, ...], switch_type: type[np.integer[Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Work space of one sweep over a chunk of planes: which entries were strictly larger, and a
    switch-typed scratch array."""
    return np.empty(shape, bool), np.empty(shape, switch_type)


def maxpool_planes(I: np.ndarray, plan: MaxPool) -> np.ndarray:
    """The padded input ``I`` (``(N, C, *size)``) plane by plane, ``(N C, *padded)``, padded
    entries being ``pad_value``."""
    fr = plan.frame
    n = I.shape[0]
    if not frame_padded(fr):
        return I.reshape(n * plan.channels, *fr.padded)
    Ip = np.full((n, plan.channels, *fr.padded), plan.pad_value, I.dtype)
    Ip[(slice(None), slice(None), *frame_interior(fr))] = I
    return Ip.reshape(n * plan.channels, *fr.padded)


def maxpool_windows(Ip: np.ndarray, n: int, plan: MaxPool) -> tuple[np.ndarray, np.ndarray]:
    """The forward pass read straight off ``vΩ`` for the padded planes ``Ip`` of ``n`` examples
    (:func:`maxpool_planes`): every window's entries in ``vΩ`` order (or row-major), and
    ``np.argmax`` (the first maximum; a NaN counts as the maximum)."""
    fr = plan.frame
    d = len(fr.size)
    planes = n * plan.channels
    Ip = np.ascontiguousarray(Ip)
    st = Ip.strides
    shape = (planes, *fr.out, *fr.window)
    strides = (st[0], *(st[a + 1] * fr.stride[a] for a in range(d)), *(st[a + 1] * fr.dilation[a] for a in range(d)))
    view = np.lib.stride_tricks.as_strided(Ip, shape=shape, strides=strides, writeable=False)
    if not plan.row_ties:  # vΩ: the window's first axis fastest
        view = view.transpose(*range(d + 1), *reversed(range(d + 1, 2 * d + 1)))
    V = view.reshape(planes, *fr.out, -1)
    first = V.argmax(axis=-1)
    A = np.take_along_axis(V, first[..., None], axis=-1)[..., 0]
    chosen = plan.row_order[first] if plan.row_ties else first
    switches = (chosen + 1).astype(plan.switch_type)
    out = (n, plan.channels, *fr.out)
    return A.reshape(out), switches.reshape(out)


def maxpool_check_switches(switches: Any, shape: tuple[int, ...], plan: MaxPool) -> np.ndarray:
    """``switches`` as an array, checked: the shape of ``dA``, integers, the seed's ``i_p`` in
    ``1 .. prod(window)``."""
    size = int(np.prod(plan.frame.window))
    switches = np.asarray(switches)
    if switches.shape != shape:
        raise ValueError(f"switches must have shape {shape}, got {switches.shape}")
    if switches.dtype.kind not in "iu":
        raise ValueError(f"switches must hold integers (the seed's i_pq), got {switches.dtype}")
    if switches.size and not (1 <= switches.min() and switches.max() <= size):
        low, high = switches.min(), switches.max()
        raise ValueError(f"switches are the seed's i_pq, 1 .. {size}; got values from {low} to {high}")
    return switches


def maxpool_routes(switch: np.ndarray, route: np.ndarray, corners: np.ndarray, plan: MaxPool) -> None:
    """``route``: where each switch of a chunk of outputs (planes laid end to end) lands in the
    chunk's padded planes, its window's corner (eq.b-2.2) plus the offset of ``i_p`` in the
    window (eq.b-2.1 to eq.b-2.3)."""
    offsets, pair_offsets = plan.offsets, plan.pair_offsets
    # the range is checked, so every table lookup below is in bounds ("clip" never clips)
    if pair_offsets is not None:
        # two neighbouring outputs per lookup (chunk is even when a plane has an odd count)
        even = switch.size - switch.size % 2
        pairs = switch[:even].view(np.uint16)
        pair_offsets.take(pairs, axis=0, out=route[:even].reshape(-1, 2), mode="clip")
        if even < switch.size:
            route[even:] = offsets[switch[even:]]
    else:
        offsets.take(switch, out=route, mode="clip")
    route += corners


def maxpool_backward(dA: np.ndarray, switches: Any, plan: MaxPool) -> np.ndarray:
    """``dJ/dvI = dJ/dvA dvA/dvI`` (3.1.3) for a batch ``dA`` (``(N, C, *out)``) and its
    ``switches`` (the seed's ``i_p``, checked here): the mask of eq.b-1 routes ``dA_p`` to the
    entry ``i_p`` of window ``p`` (:func:`maxpool_routes`).  The routes are taken in padded
    planes, a chunk of planes at a time (zeroed, then scattered into while in the CPU cache); a
    maximum in the padding lands in the padding, which is not returned, so it routes nowhere."""
    fr = plan.frame
    switches = maxpool_check_switches(switches, dA.shape, plan)
    n = dA.shape[0]
    planes = n * plan.channels
    plane, outputs_per_plane = int(np.prod(fr.padded)), int(np.prod(fr.out))
    # ``chunk`` float64 planes' bytes at a time: more planes of a narrower type, as many as the corners cover
    chunk = max(1, min(plan.chunk * 8 // dA.itemsize, plan.corners.size // max(outputs_per_plane, 1)))
    # a large output comes zeroed from the operating system (fresh pages, zeroed when first
    # touched); a smaller one is zeroed a chunk at a time, just before that chunk is scattered into
    fresh = planes * plane * dA.itemsize >= plan.fresh_bytes
    dI = np.zeros((planes, plane), dA.dtype) if fresh else np.empty((planes, plane), dA.dtype)
    # planes laid end to end: a chunk of planes is one run of dI, of values, of switches
    targets, values = dI.reshape(-1), dA.reshape(-1)
    index = np.ascontiguousarray(switches, plan.switch_type).reshape(-1)
    routes = np.empty(min(chunk, planes) * outputs_per_plane, np.intp)
    for a in range(0, planes, chunk):
        b = min(a + chunk, planes)
        target = targets[a * plane : b * plane]
        if not fresh:
            target.fill(0)
        outputs = slice(a * outputs_per_plane, b * outputs_per_plane)
        switch = index[outputs]
        route = routes[: switch.size]
        maxpool_routes(switch, route, plan.corners[: switch.size], plan)
        if plan.overlapping:
            # windows overlap: an input entry may be selected by several outputs, so the routed values add up
            np.add.at(target, route, values[outputs])
        else:
            # windows do not overlap: each input entry is selected at most once
            target[route] = values[outputs]
    dI = dI.reshape(n, plan.channels, *fr.padded)
    if frame_padded(fr):
        return dI[(slice(None), slice(None), *frame_interior(fr))]  # a view without the padding
    return dI


def maxpool_indices(switches: Any, plan: MaxPool) -> np.ndarray:
    """PyTorch's ``return_indices``: for switches ``(N, C, *out)``, the flat row-major index in its
    plane of the input entry each output selects (what ``max_unpool`` takes), int64; -1 where the
    maximum is a padded entry (PyTorch pads with -inf and never selects one)."""
    fr = plan.frame
    s = np.asarray(switches)
    switches = maxpool_check_switches(s, s.shape[:2] + tuple(fr.out), plan)
    outputs = int(np.prod(fr.out))
    index = np.ascontiguousarray(switches, plan.switch_type).reshape(-1, outputs)
    route = plan.offsets.take(index, mode="clip") + plan.corners[:outputs]
    return plan.sources[route].astype(np.int64).reshape(switches.shape)
