"""Adaptive max pooling's generated code (seed Appendix B over PyTorch's adaptive windows): the
global max, the band sweeps of the forward pass and the routing of the backward pass.

A kernel module (see :mod:`symconv.codegen.embed`): NumPy only, the definitions a generated module
reaches copied into every module with an adaptive max-pooling layer; ``plan_adaptive_maxpool`` binds
an :class:`AdaptiveMax` that :func:`adaptive_max_plan` builds from the window tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

#: ``(start, end)`` of each window row (or column) band: band ``p`` covers input rows
#: ``start .. end - 1``, with PyTorch's rule ``start = floor(p h_i / h_a)``,
#: ``end = ceil((p + 1) h_i / h_a)``
Bands = tuple[tuple[int, int], ...]
#: a band table term by term (see ``adaptive_max_terms``): ``(longer, sources)`` per term
Terms = tuple[tuple[np.ndarray | None, np.ndarray], ...]


#: a forward pass: ``(I, plan) -> (A, switches)``
AdaptiveMaxPass = Callable[..., tuple[np.ndarray, np.ndarray]]


class AdaptiveMaxSweeps(NamedTuple):
    """The 2-D band sweeps' tables (``adaptive_max_sweeps``): ``heights``, ``widths``, ``h_p`` and
    ``w_q`` (a column and a row), ``height_keys``, ``width_keys``, the same as keys, ``row_terms``,
    ``col_terms``, the window row and column bands term by term (``adaptive_max_terms``),
    ``key_at``: where each window's first entry along the second sweep's axis is in a chunk's
    first-sweep keys laid end to end (``adaptive_max_key_at``)."""

    heights: np.ndarray
    widths: np.ndarray
    height_keys: np.ndarray
    width_keys: np.ndarray
    row_terms: Terms
    col_terms: Terms
    key_at: np.ndarray


class AdaptiveMax(NamedTuple):
    """What an adaptive max-pooling layer's passes need: the channels, the input ``size`` and output
    ``out`` blocks, the largest window's size (``window``), how many planes a pass takes at a time,
    the tie order (``row_ties``: first in row-major order, PyTorch's, else first in ``vΩ``, the
    first axis fastest), whether windows overlap (the backward pass must then add), the sweeps' key
    type (holding ``0 .. window - 1``), and the tables read off the window bands
    (``adaptive_max_plan``):

    ``sizes``: each window's number of entries (shaped like the output); ``routes``,
    ``route_starts``: see ``adaptive_max_routes``; ``positions``, ``switches``: see
    ``adaptive_max_tables``; ``sweeps``, the 2-D band sweeps' tables (:class:`AdaptiveMaxSweeps`,
    ``None`` on the other passes)."""

    channels: int
    size: tuple[int, ...]
    out: tuple[int, ...]
    window: int
    chunk: int
    row_ties: bool
    overlapping: bool
    key_type: Any
    sizes: np.ndarray
    routes: np.ndarray
    route_starts: np.ndarray
    positions: np.ndarray
    switches: np.ndarray
    outputs: np.ndarray
    sweeps: AdaptiveMaxSweeps | None


def adaptive_max_pass(plan: AdaptiveMax) -> AdaptiveMaxPass:
    """The forward pass: global pooling (output 1 along every axis) reads each whole block, 2-D
    windows are swept band by band (their tables: :func:`adaptive_max_sweeps`), other windows are
    gathered whole.  Called when a module is generated: the module calls the pass it returns by
    name."""
    if all(n == 1 for n in plan.out):
        return adaptive_max_global_forward
    if len(plan.size) == 2:
        return adaptive_max_bands_forward
    return adaptive_max_windows_forward


def adaptive_max_plan(
    channels: int,
    size: tuple[int, ...],
    bands: tuple[Bands, ...],
    window: int,
    chunk: int,
    row_ties: bool,
    overlapping: bool,
    key_type: Any,
    sweeps: AdaptiveMaxSweeps | None,
) -> AdaptiveMax:
    """The :class:`AdaptiveMax` of ``channels`` blocks of ``size`` pooled over the window bands
    ``bands[a]`` along each axis, its tables read off the bands, with the band sweeps' tables
    given (or none)."""
    out = tuple(len(axis) for axis in bands)
    extents = [np.array([end - start for start, end in axis], np.intp) for axis in bands]
    sizes = np.ones((), np.intp)
    for e in extents:
        sizes = np.multiply.outer(sizes, e)
    outputs = int(np.prod(out))
    routes = adaptive_max_routes(bands, size, window)
    # where window p's switches start in routes
    route_starts = (np.arange(outputs, dtype=np.intp) * (window + 1)).reshape(out)
    positions, switches = adaptive_max_tables(bands, size, window, row_ties)
    return AdaptiveMax(
        channels,
        tuple(size),
        out,
        window,
        chunk,
        row_ties,
        overlapping,
        key_type,
        sizes,
        routes,
        route_starts,
        positions,
        switches,
        np.arange(outputs),
        sweeps,
    )


def adaptive_max_sweeps(
    size: tuple[int, int], bands: tuple[Bands, Bands], chunk: int, row_ties: bool, key_type: Any
) -> AdaptiveMaxSweeps:
    """The tables of the 2-D band sweeps (:func:`adaptive_max_bands_forward`) over the window bands
    ``bands`` of a ``size`` block, ``chunk`` planes at a time."""
    rows, cols = bands
    heights = np.array([end - start for start, end in rows], np.intp)[:, None]
    widths = np.array([end - start for start, end in cols], np.intp)[None, :]
    h, w = size
    hz, wz = len(rows), len(cols)
    if row_ties:
        key_at = adaptive_max_key_at((chunk, h, wz), 1, rows)
    else:
        key_at = adaptive_max_key_at((chunk, hz, w), 2, cols)
    return AdaptiveMaxSweeps(
        heights,
        widths,
        heights.astype(key_type),
        widths.astype(key_type),
        adaptive_max_terms(rows),
        adaptive_max_terms(cols),
        key_at,
    )


def adaptive_max_cells(
    bands: tuple[Bands, ...], size: tuple[int, ...], entry: np.ndarray, row_major: bool
) -> tuple[np.ndarray, np.ndarray]:
    """For every window (the output's axes, row-major) and each ``entry`` (0-based, the last axis of
    the result) of the window counted the first axis fastest (``vΩ``, eq.b-2.1) or in row-major
    order: the entry's row-major position in the input block, and its 0-based index in ``vΩ``."""
    d = len(size)
    out = tuple(len(axis) for axis in bands)
    position = np.zeros((*out, entry.size), np.intp)
    vomega = np.zeros((*out, entry.size), np.intp)
    rest = np.broadcast_to(entry, (*out, entry.size)).astype(np.intp)
    order = list(reversed(range(d))) if row_major else list(range(d))
    at = []
    for a in order:
        view = [1] * (d + 1)
        view[a] = -1
        extent = np.array([end - start for start, end in bands[a]], np.intp).reshape(view)
        at.append((a, rest % extent))
        rest = rest // extent
    step, weight = 1, np.ones((*out, 1), np.intp)
    for a in reversed(range(d)):
        view = [1] * (d + 1)
        view[a] = -1
        start = np.array([s for s, _ in bands[a]], np.intp).reshape(view)
        r = dict(at)[a]
        position = position + (start + r) * step
        step *= size[a]
    for a in range(d):
        view = [1] * (d + 1)
        view[a] = -1
        extent = np.array([end - start for start, end in bands[a]], np.intp).reshape(view)
        vomega = vomega + dict(at)[a] * weight
        weight = weight * extent
    return position, vomega


def adaptive_max_routes(bands: tuple[Bands, ...], size: tuple[int, ...], window: int) -> np.ndarray:
    """Entry ``(row-major index of window p)(window + 1) + i``: the entry of a row-major block that
    switch ``i`` of window ``p`` selects, the window's entry ``i - 1`` counted the first axis
    fastest (eq.b-2.1 to eq.b-2.3: in 2-D, row ``r_b - 1 = (i - 1) mod h_p`` and column
    ``c_b - 1 = floor((i - 1) / h_p)`` of the window, from its corner); ``i = 0`` is not a
    switch.  With it, the backward pass routes by one lookup."""
    position, _ = adaptive_max_cells(bands, size, np.arange(window + 1) - 1, row_major=False)
    return position.reshape(-1)


def adaptive_max_route(switches: np.ndarray, plan: AdaptiveMax) -> np.ndarray:
    """The entry each switch ``i_pq`` of a stack ``(planes, h_a, w_a)`` selects, as a position in the
    planes laid end to end, row-major (eq.b-2.1 to eq.b-2.3, looked up in ``routes``)."""
    route = np.take(plan.routes, switches + plan.route_starts)
    route += (np.arange(len(switches), dtype=np.intp) * int(np.prod(plan.size))).reshape(-1, *([1] * len(plan.out)))
    return route


def adaptive_max_tables(
    bands: tuple[Bands, ...], size: tuple[int, ...], window: int, row_ties: bool
) -> tuple[np.ndarray, np.ndarray]:
    """For every window (row-major), its entries in the tie order (row by row with ``row_ties``,
    else ``vΩ``, the first axis fastest): their positions in a row-major block, and each one's
    switch (its 1-based index in ``vΩ``, eq.b-2.1).  Windows smaller than the largest are padded
    with a repeat of their first entry, which comes later and so never wins the first maximum."""
    k = np.arange(window)
    position, vomega = adaptive_max_cells(bands, size, k, row_major=row_ties)
    extents = np.ones((), np.intp)
    for axis in bands:
        extents = np.multiply.outer(extents, np.array([end - start for start, end in axis], np.intp))
    past = k >= extents[..., None]  # past a smaller window's end: its first entry again
    first = position[..., :1]
    position = np.where(past, first, position)
    switches = np.where(past, 1, vomega + 1)
    return position.reshape(-1, window).astype(np.intp), switches.reshape(-1, window).astype(np.int64)


def adaptive_max_terms(bands: Bands) -> Terms:
    """A band table ``((start, end), ...)`` term by term: band ``b`` takes indices ``start .. end - 1``
    along its axis, and term ``k`` holds ``(longer, sources)``: the bands with more than ``k``
    indices (``None``: every band) and the ``k``-th index of each (``start + k``).  Each term is
    one ``np.take`` over a stack of planes; adaptive windows have at most two lengths along an
    axis, so only their last term may leave bands out."""
    starts = np.array([start for start, _ in bands], np.intp)
    lengths = np.array([end - start for start, end in bands], np.intp)
    terms = []
    for k in range(int(lengths.max())):
        longer = np.flatnonzero(lengths > k)
        terms.append((None if longer.size == lengths.size else longer, starts[longer] + k))
    return tuple(terms)


def adaptive_max_key_at(shape: tuple[int, int, int], axis: int, bands: Bands) -> np.ndarray:
    """For a C-ordered stack of planes ``shape`` swept along ``axis`` over ``bands``: the position
    of each band's first entry in the stack laid end to end (for a stack of fewer planes, the
    leading ones).  The forward pass's second sweep reads the first sweep's keys there."""
    starts = np.array([start for start, _ in bands], np.intp)
    return np.take(np.arange(shape[0] * shape[1] * shape[2]).reshape(shape), starts, axis=axis)


def adaptive_max_windows_forward(I: np.ndarray, plan: AdaptiveMax) -> tuple[np.ndarray, np.ndarray]:
    """``A_p = max`` of window ``p`` (Appendix B over adaptive windows) for a batch ``I``
    (``(N, C, *size)``): ``(A, switches)``, ``switches`` holding the seed's ``i_p``, the 1-based
    index of the maximum in the window's ``vΩ`` (the first axis fastest), the first one on ties in
    the plan's tie order: every window's entries gathered whole (``adaptive_max_windows``)."""
    planes = I.shape[0] * plan.channels
    A, switches = adaptive_max_windows(I.reshape(planes, *plan.size), plan)
    shape = (I.shape[0], plan.channels, *plan.out)
    return A.reshape(shape), switches.reshape(shape)


def adaptive_max_global_forward(I: np.ndarray, plan: AdaptiveMax) -> tuple[np.ndarray, np.ndarray]:
    """``A = max`` of the whole block (Appendix B with one adaptive window: global max pooling),
    ``i`` the 1-based index of the maximum in the block's ``vΩ`` (the first axis fastest).

    ``np.argmax`` takes the first maximum of each block read row-major, in place (and the first
    NaN, if any): the first in row-major order (``tie_order="row"``).  ``vΩ`` reads the block the
    other way round, and its first maximum is the same entry unless the maximum is tied (a NaN
    too): those blocks are read again transposed.  A chunk of blocks at a time."""
    n, channels, size, step = I.shape[0], plan.channels, plan.size, plan.chunk
    d = len(size)
    entries = int(np.prod(size))
    planes = n * channels
    flat = I.reshape(planes, entries)
    A = np.empty(planes, I.dtype)
    switches = np.empty(planes, np.int64)
    for a in range(0, planes, step):
        V = flat[a : a + step]  # entry k of each block, row-major
        k = V.argmax(axis=1)
        best = V[np.arange(len(V)), k]
        # i - 1 = the entry's index in vΩ (eq.b-2.1; i = s h + r + 1 in 2-D)
        i = np.asarray(np.ravel_multi_index(np.unravel_index(k, size), size, order="F"), np.int64) + 1
        if not plan.row_ties:
            # a block is read again if its maximum is tied or NaN; when every other block's maximum
            # is its only entry equal to it, one count over the chunk says so without a per-block sum
            tied, nan = V == best[:, None], np.isnan(best)
            again = nan
            if np.count_nonzero(tied) != len(V) - np.count_nonzero(nan):
                again = (np.count_nonzero(tied, axis=1) > 1) | nan
            if again.any():
                T = V[again].reshape(-1, *size).transpose(0, *reversed(range(1, d + 1))).reshape(-1, entries)  # vΩ
                k = T.argmax(axis=1)
                best[again], i[again] = T[np.arange(len(T)), k], k + 1
        A[a : a + step], switches[a : a + step] = best, i
    shape = (n, channels, *plan.out)
    return A.reshape(shape), switches.reshape(shape)


def adaptive_max_first_max(
    x: np.ndarray,
    axis: int,
    terms: Terms,
    key_type: Any,
    keyed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Along ``axis``, for every band: the largest of its entries and the key of the first entry
    holding it.  Entry ``k`` of a band (term ``k``) has key ``k`` or, given ``keyed = (keys,
    stride, key_at)``, ``k stride`` plus ``keys`` at that entry: its place in the tie order when
    ``keys`` (below ``stride``) places the entries of the other axis.  A later entry takes over
    only when strictly larger, so the largest ``k`` at which an entry was strictly larger is the
    first maximum's (and, keys growing with ``k``, so is its key): ``keys`` is read there alone,
    at ``key_at`` (each band's entry 0 in ``keys``, a C-ordered stack, laid end to end) plus
    ``k`` entries along ``axis``.  ``np.maximum`` keeps a NaN in the best entry, for the forward
    pass to see."""
    (_, sources), *rest = terms  # the first term covers every band
    best = np.take(x, sources, axis=axis)
    key = np.zeros(best.shape, key_type)
    # the terms over every band share their work arrays (the indices are in range: "clip" copies
    # nothing); a term over the longer bands only takes its own, smaller ones
    entry, larger, step = np.empty_like(best), np.empty(best.shape, bool), np.empty_like(key)
    for k, (longer, sources) in enumerate(rest, 1):
        at = (slice(None),) * axis + (slice(None) if longer is None else longer,)  # the longer bands (None: all)
        b, kb = best[at], key[at]  # views of every band, or copies of the longer ones
        e, more, s = (entry, larger, step) if longer is None else (None, None, None)
        e = np.take(x, sources, axis=axis, out=e, mode="clip")
        more = np.greater(e, b, out=more)
        np.maximum(b, e, out=b)
        np.maximum(kb, np.multiply(more, key_type(k), out=s), out=kb)
        if longer is not None:
            best[at], key[at] = b, kb
    if keyed is not None:
        keys, stride, key_at = keyed
        first, unit = key, keys.strides[axis] // keys.itemsize  # k, and how far entry k is from entry 0
        key = np.take(keys.reshape(-1), key_at[: len(first)] + (first if unit == 1 else first * np.intp(unit)))
        key += stride * first
    return best, key


def adaptive_max_windows(planes_in: np.ndarray, plan: AdaptiveMax) -> tuple[np.ndarray, np.ndarray]:
    """The forward pass read straight off every window's entries in the tie order
    (``positions``), a chunk of planes at a time: ``np.argmax`` takes the first maximum, and the
    first NaN if any.  Returns ``(A, switches)``, one row per plane."""
    planes, step, outputs = len(planes_in), plan.chunk, int(np.prod(plan.out))
    flat = planes_in.reshape(planes, int(np.prod(plan.size)))
    A = np.empty((planes, outputs), planes_in.dtype)
    switches = np.empty((planes, outputs), np.int64)
    for a in range(0, planes, step):
        V = flat[a : a + step][:, plan.positions]  # (planes, outputs, window entries)
        k = V.argmax(axis=-1)
        A[a : a + step] = np.take_along_axis(V, k[..., None], axis=-1)[..., 0]
        switches[a : a + step] = plan.switches[plan.outputs, k]
    return A, switches


def adaptive_max_bands_forward(I: np.ndarray, plan: AdaptiveMax) -> tuple[np.ndarray, np.ndarray]:
    """Two sweeps over a chunk of planes at a time (``adaptive_max_first_max``), each one band
    table term by term.  Row-major order (``row_ties``) reads a window row by row, so first
    across its columns: per row and column band ``q``, the largest entry and the first ``s``
    holding it.  Then down its rows: the largest of those, and the first key ``r w_q + s``, the
    entry's row-major place, from which ``i = s h_p + r + 1`` (eq.b-2.1).  ``vΩ`` reads a window
    column by column, so first down its rows: per column and row band ``p``, the largest entry
    and the first ``r`` holding it.  Then across its columns: the largest of those, and the
    first key ``s h_p + r = i - 1`` (eq.b-2.1).  Planes whose windows hold NaN are read again by
    ``adaptive_max_windows`` (``np.argmax`` takes the first NaN)."""
    (h, w), (hz, wz) = plan.size, plan.out
    n, channels, step = I.shape[0], plan.channels, plan.chunk
    sweeps = plan.sweeps
    if sweeps is None:
        raise ValueError("the band sweeps need their tables (adaptive_max_sweeps)")
    key_type, row_terms, col_terms, key_at = plan.key_type, sweeps.row_terms, sweeps.col_terms, sweeps.key_at
    height_keys, width_keys = sweeps.height_keys, sweeps.width_keys
    planes = n * channels
    planes_in = I.reshape(planes, h, w)
    A = np.empty((planes, hz, wz), I.dtype)
    keys = np.empty((planes, hz, wz), key_type)
    for a in range(0, planes, step):
        chunk = planes_in[a : a + step]
        if plan.row_ties:
            best, cols = adaptive_max_first_max(chunk, 2, col_terms, key_type)
            A[a : a + step], keys[a : a + step] = adaptive_max_first_max(
                best, 1, row_terms, key_type, (cols, width_keys, key_at)
            )
        else:
            best, rows = adaptive_max_first_max(chunk, 1, row_terms, key_type)
            A[a : a + step], keys[a : a + step] = adaptive_max_first_max(
                best, 2, col_terms, key_type, (rows, height_keys, key_at)
            )
    switches = keys.astype(np.int64)
    if plan.row_ties:
        t = switches
        switches = t % sweeps.widths
        switches *= sweeps.heights
        switches += t // sweeps.widths
    switches += 1
    if A.size and np.isnan(A.max()):  # the planes whose windows hold NaN are read again
        nan = np.isnan(A).any(axis=(1, 2))
        A[nan], switches[nan] = (x.reshape(-1, hz, wz) for x in adaptive_max_windows(planes_in[nan], plan))
    if (A == 0).any():  # np.maximum may keep a tied zero of the other sign: take the entries themselves
        A = planes_in.reshape(-1)[adaptive_max_route(switches, plan)]
    shape = (n, channels, hz, wz)
    return A.reshape(shape), switches.reshape(shape)


def adaptive_max_backward(dA: np.ndarray, switches: np.ndarray, plan: AdaptiveMax) -> np.ndarray:
    """``dJ/dvI = dJ/dvA dvA/dvI`` (3.1.3) for a batch ``dA`` (``(N, C, hz, wz)``) and its checked
    switches: the mask of eq.b-1 routes ``dA_pq`` to entry ``i_pq`` of window ``(p, q)``, looked
    up in ``routes`` (``adaptive_max_route``).  Where windows overlap, an input entry may be
    selected by several outputs, so the routed values add up; else each is selected at most once."""
    n, channels, entries = dA.shape[0], plan.channels, int(np.prod(plan.size))
    planes = n * channels
    route = adaptive_max_route(switches.reshape(planes, *plan.out), plan)
    if plan.overlapping:
        size = planes * entries
        dI = np.bincount(route.reshape(-1), weights=dA.reshape(-1), minlength=size).astype(dA.dtype, copy=False)
    else:
        dI = np.zeros(planes * entries, dA.dtype)
        dI[route.reshape(-1)] = dA.reshape(-1)
    return dI.reshape(n, channels, *plan.size)
