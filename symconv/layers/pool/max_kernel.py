"""Max pooling's generated code (seed 3.1.3, Appendix B): the forward sweeps and the backward routes.

A kernel module (see :mod:`symconv.codegen.embed`): NumPy only, its source copied into every
generated module with a max-pooling layer; ``plan_maxpool`` binds a :class:`MaxPool`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..window_kernel import Window, window_view
from .planes_kernel import chunk_of, padded_chunks


class MaxPool(NamedTuple):
    """What a max-pooling layer's passes need: its window geometry, the channels, the value
    padded entries take part as, the integer type of the switches (the seed's ``i_pq``, ``1 ..
    h_l w_l``), whether ties go to the first maximum in row-major order (``tie_order="row"``)
    rather than in ``vΩ``'s column-major order, how many planes each pass takes at a time,
    from how many bytes on the backward pass's output comes zeroed from the operating system,
    whether windows overlap, and the backward routes (checked at generation): ``offsets[i]``,
    where entry ``i`` of ``vΩ`` lies from its window's top-left corner in a row-major padded
    plane (eq.b-2.1; ``offsets[0]`` unused), ``corners``, the corners of the windows of
    ``chunk`` padded planes laid end to end (eq.b-2.2, :func:`maxpool_corners`), and
    ``pair_offsets``, the offsets of two neighbouring outputs at once
    (:func:`maxpool_pair_offsets`), or ``None`` for windows too large for such a table."""

    window: Window
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


def maxpool_corners(row_corners: tuple[int, ...], col_corners: tuple[int, ...], chunk: int, plane: int) -> np.ndarray:
    """Entry ``k h_z w_z + p w_z + q``: the top-left corner of window ``(p, q)`` (eq.b-2.2), row
    part ``row_corners[p]`` and column part ``col_corners[q]``, in plane ``k`` of a chunk of
    ``chunk`` row-major padded planes of ``plane`` entries each, all laid end to end."""
    corners = np.add.outer(row_corners, col_corners).reshape(-1)
    planes = np.arange(chunk) * plane
    return np.add.outer(planes, corners).astype(np.intp).reshape(-1)


def maxpool_pair_offsets(offsets: np.ndarray) -> np.ndarray:
    """``offsets`` for two neighbouring outputs at once: their switches ``(i, j)``, read as one
    16-bit number ``u``, index the row ``(offsets[i], offsets[j])`` (built through the same
    view, so it holds on either byte order)."""
    size = offsets.shape[0]  # h_l w_l + 1
    i, j = np.indices((size, size))
    u = np.stack([i, j], axis=-1).astype(np.uint8).view(np.uint16)[..., 0]
    table = np.zeros((256 * size, 2), np.intp)
    table[u] = np.stack([offsets[i], offsets[j]], axis=-1)
    return table


def maxpool_forward(I: np.ndarray, plan: MaxPool) -> tuple[np.ndarray, np.ndarray]:
    """``A_pq = max`` of window ``(p, q)`` of the padded input (Appendix B, rep.1 to rep.3), padded
    entries counting as ``pad_value``, for a batch ``I`` (``(N, C, h, w)``); returns
    ``(A, switches)``, ``switches`` holding the seed's ``i_pq``: the 1-based index in ``vΩ`` of
    the maximum, the first one on ties.

    Two sweeps, a chunk of planes at a time (:func:`maxpool_down_across`, or
    :func:`maxpool_across_down` when ties go to the first maximum in row-major order).  A
    window holding NaN is left to :func:`maxpool_windows` (``np.argmax`` over ``vΩ``, which
    takes the first NaN as the maximum)."""
    win = plan.window
    n = I.shape[0]
    planes = n * plan.channels
    A = np.empty((planes, win.hz, win.wz), I.dtype)
    switches = np.empty((planes, win.hz, win.wz), plan.switch_type)
    if plan.row_ties:
        maxpool_across_down(I.reshape(planes, win.h, win.w), A, switches, plan)
    else:
        maxpool_down_across(I.reshape(planes, win.h, win.w), A, switches, plan)
    A = A.reshape(n, plan.channels, win.hz, win.wz)
    if np.isnan(A).any():
        return maxpool_windows(maxpool_planes(I, plan), n, plan)
    return A, switches.reshape(n, plan.channels, win.hz, win.wz)


def maxpool_down_across(planes_in: np.ndarray, A: np.ndarray, switches: np.ndarray, plan: MaxPool) -> None:
    """The forward pass's sweeps on ``planes_in`` (``(planes, h, w)``) into ``A`` and
    ``switches`` (``(planes, h_z, w_z)``), a chunk of planes at a time.  Down the window's rows:
    for every column of the padded plane and every window row band ``p``, the largest entry
    over the rows ``r`` and the first ``r`` holding it.  Then across the window's columns
    ``s``: the largest of those, and the first ``s`` holding it.  ``vΩ`` stacks the window's
    columns (eq.b-2.1), entry ``i = s h_l + r + 1``, so its first maximum is the first ``r`` in
    the first ``s``: both sweeps move to a later entry only when it is strictly larger."""
    win = plan.window
    st = plan.switch_type
    sh, sw, dh, dw, hl, wl = win.sh, win.sw, win.dh, win.dw, win.hl, win.wl
    row_span, col_span = win.row_span, win.col_span
    chunk = chunk_of(plan.forward_chunk, planes_in.shape[0])
    # the rows' sweep: per column, the largest entry so far and the first r holding it
    shape = (chunk, win.hz, win.wp)
    down = (np.empty(shape, planes_in.dtype), np.empty(shape, st), *maxpool_sweep_buffers(shape, st))
    across = maxpool_sweep_buffers((chunk, win.hz, win.wz), st)
    for a, b, Ip in padded_chunks(planes_in, win, chunk, plan.pad_value):
        best, first, larger, step = (x[: b - a] for x in down)
        # down the rows: row r of window row band p is padded row p s_h + r d_h
        np.copyto(best, Ip[:, :row_span:sh])
        first.fill(0)
        for r in range(1, hl):
            rows = Ip[:, r * dh : r * dh + row_span : sh]
            np.greater(rows, best, out=larger)
            np.maximum(rows, best, out=best)
            # r only grows, so the largest r at which an entry was strictly larger is the first maximum
            np.maximum(first, np.multiply(larger, st(r), out=step), out=first)
        # across the columns: column s of window (p, q) is column q s_w + s d_w, and i = s h_l + r + 1
        out, chosen = A[a:b], switches[a:b]
        larger, step = (x[: b - a] for x in across)
        np.copyto(out, best[:, :, :col_span:sw])
        np.add(first[:, :, :col_span:sw], st(1), out=chosen)
        for s in range(1, wl):
            cols = slice(s * dw, s * dw + col_span, sw)
            np.greater(best[:, :, cols], out, out=larger)
            np.maximum(best[:, :, cols], out, out=out)
            np.add(first[:, :, cols], st(s * hl + 1), out=step)
            np.maximum(chosen, np.multiply(step, larger, out=step), out=chosen)


def maxpool_across_down(planes_in: np.ndarray, A: np.ndarray, switches: np.ndarray, plan: MaxPool) -> None:
    """:func:`maxpool_down_across` the other way round, for ties that go to the first maximum in
    row-major order (``tie_order="row"``, PyTorch's): across the window's columns ``s`` first
    (per padded row, the largest entry and the first ``s`` holding it), then down its rows
    ``r``; the switch is still entry ``i = s h_l + r + 1`` of ``vΩ`` (eq.b-2.1)."""
    win = plan.window
    st = plan.switch_type
    sh, sw, dh, dw, hl, wl = win.sh, win.sw, win.dh, win.dw, win.hl, win.wl
    row_span, col_span = win.row_span, win.col_span
    chunk = chunk_of(plan.forward_chunk, planes_in.shape[0])
    # the columns' sweep: per padded row, the largest entry so far and the first s holding it
    shape = (chunk, win.hp, win.wz)
    across = (np.empty(shape, planes_in.dtype), np.empty(shape, st), *maxpool_sweep_buffers(shape, st))
    down = maxpool_sweep_buffers((chunk, win.hz, win.wz), st)
    for a, b, Ip in padded_chunks(planes_in, win, chunk, plan.pad_value):
        best, first, larger, step = (x[: b - a] for x in across)
        # across the columns: column s of window (p, q) is padded column q s_w + s d_w
        np.copyto(best, Ip[:, :, :col_span:sw])
        first.fill(0)
        for s in range(1, wl):
            cols = Ip[:, :, s * dw : s * dw + col_span : sw]
            np.greater(cols, best, out=larger)
            np.maximum(cols, best, out=best)
            # s only grows, so the largest s at which an entry was strictly larger is the first maximum
            np.maximum(first, np.multiply(larger, st(s), out=step), out=first)
        # down the rows: row r of window (p, q) is row p s_h + r d_h, and i = s h_l + r + 1
        out, chosen = A[a:b], switches[a:b]
        larger, step = (x[: b - a] for x in down)
        np.copyto(out, best[:, :row_span:sh])
        np.multiply(first[:, :row_span:sh], st(hl), out=chosen)
        chosen += st(1)
        for r in range(1, hl):
            rows = slice(r * dh, r * dh + row_span, sh)
            np.greater(best[:, rows], out, out=larger)
            np.maximum(best[:, rows], out, out=out)
            # i is not monotonic in r here, so a later row replaces the switch only where it is larger
            np.multiply(first[:, rows], st(hl), out=step)
            step += st(r + 1)
            np.copyto(chosen, step, where=larger)


def maxpool_sweep_buffers(
    shape: tuple[int, int, int], switch_type: type[np.integer[Any]]
) -> tuple[np.ndarray, np.ndarray]:
    """Work space of one sweep over a chunk of planes: which entries were strictly larger, and a
    switch-typed scratch array."""
    return np.empty(shape, bool), np.empty(shape, switch_type)


def maxpool_planes(I: np.ndarray, plan: MaxPool) -> np.ndarray:
    """The padded input ``I`` (``(N, C, h, w)``) plane by plane, ``(N C, h_p, w_p)``, padded
    entries being ``pad_value``."""
    win = plan.window
    n = I.shape[0]
    if not win.padded:
        return I.reshape(n * plan.channels, win.hp, win.wp)
    Ip = np.full((n, plan.channels, win.hp, win.wp), plan.pad_value, I.dtype)
    rows, cols = win.interior
    Ip[:, :, rows, cols] = I
    return Ip.reshape(n * plan.channels, win.hp, win.wp)


def maxpool_windows(Ip: np.ndarray, n: int, plan: MaxPool) -> tuple[np.ndarray, np.ndarray]:
    """The forward pass read straight off ``vΩ`` for the padded planes ``Ip`` of ``n`` examples
    (:func:`maxpool_planes`): every window's entries column by column,
    ``[.., p, q, s, r] = Ip[.., p s_h + r d_h, q s_w + s d_w]``, entry ``i = s h_l + r + 1``
    (eq.b-2.1), and ``np.argmax`` (the first maximum; a NaN counts as the maximum)."""
    win = plan.window
    planes = n * plan.channels
    view = window_view(Ip[None], win)[0]  # [r, s, plane, p, q]
    # row by row (tie_order="row"): entry k = r w_l + s of this order is i = s h_l + r + 1 of vΩ
    V = view.transpose(2, 3, 4, 0, 1) if plan.row_ties else view.transpose(2, 3, 4, 1, 0)
    V = V.reshape(planes, win.hz, win.wz, win.hl * win.wl)
    first = V.argmax(axis=-1)
    A = np.take_along_axis(V, first[..., None], axis=-1)[..., 0]
    if plan.row_ties:
        switches = ((first % win.wl) * win.hl + first // win.wl + 1).astype(plan.switch_type)
    else:
        switches = (first + 1).astype(plan.switch_type)
    out = (n, plan.channels, win.hz, win.wz)
    return A.reshape(out), switches.reshape(out)


def maxpool_backward(dA: np.ndarray, switches: Any, plan: MaxPool) -> np.ndarray:
    """``dJ/dvI = dJ/dvA dvA/dvI`` (3.1.3) for a batch ``dA`` (``(N, C, h_z, w_z)``) and its
    ``switches`` (the seed's ``i_pq``, checked here): the mask of eq.b-1 routes ``dA_pq`` to the
    entry ``i_pq`` of window ``(p, q)``: its top-left corner (eq.b-2.2) plus the offset of
    ``i_pq`` in the window (eq.b-2.1 to eq.b-2.3).  The routes are taken in padded planes, a
    chunk of planes at a time (zeroed, then scattered into while in the CPU cache); a maximum
    in the padding lands in the padding, which is not returned, so it routes nowhere."""
    win = plan.window
    size = win.hl * win.wl
    switches = np.asarray(switches)
    if switches.shape != dA.shape:
        raise ValueError(f"switches must have shape {dA.shape}, got {switches.shape}")
    if switches.dtype.kind not in "iu":
        raise ValueError(f"switches must hold integers (the seed's i_pq), got {switches.dtype}")
    if switches.size and not (1 <= switches.min() and switches.max() <= size):
        low, high = switches.min(), switches.max()
        raise ValueError(f"switches are the seed's i_pq, 1 .. {size}; got values from {low} to {high}")
    n = dA.shape[0]
    planes = n * plan.channels
    plane, outputs_per_plane = win.hp * win.wp, win.hz * win.wz
    chunk, offsets, corners, pair_offsets = plan.chunk, plan.offsets, plan.corners, plan.pair_offsets
    overlapping = plan.overlapping
    # a large output comes zeroed from the operating system (fresh pages, zeroed when first
    # touched); a smaller one is zeroed a chunk at a time, just before that chunk is scattered into
    fresh = planes * plane * dA.itemsize >= plan.fresh_bytes
    dI = np.zeros((planes, plane), dA.dtype) if fresh else np.empty((planes, plane), dA.dtype)
    # planes laid end to end: a chunk of planes is one run of dI, of values, of switches
    targets, values = dI.reshape(-1), dA.reshape(-1)
    # the range is checked above, so every table lookup below is in bounds ("clip" never clips)
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
        if pair_offsets is not None:
            # two neighbouring outputs per lookup (chunk is even when a plane has an odd count)
            even = switch.size - switch.size % 2
            pairs = switch[:even].view(np.uint16)
            pair_offsets.take(pairs, axis=0, out=route[:even].reshape(-1, 2), mode="clip")
            if even < switch.size:
                route[even:] = offsets[switch[even:]]
        else:
            offsets.take(switch, out=route, mode="clip")
        route += corners[: switch.size]
        if overlapping:
            # windows overlap: an input entry may be selected by several outputs, so the routed values add up
            np.add.at(target, route, values[outputs])
        else:
            # windows do not overlap: each input entry is selected at most once
            target[route] = values[outputs]
    dI = dI.reshape(n, plan.channels, win.hp, win.wp)
    if win.padded:
        rows, cols = win.interior
        return dI[:, :, rows, cols]  # a view without the padding
    return dI
