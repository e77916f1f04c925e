"""Adaptive max pooling's generated code (seed Appendix B over PyTorch's adaptive windows): the
global max, the band sweeps of the forward pass and the routing of the backward pass.

A kernel module (see :mod:`symconv.codegen.embed`): NumPy only, its source copied into every
generated module with an adaptive max-pooling layer; ``plan_adaptive_maxpool`` binds an
:class:`AdaptiveMax` that :func:`adaptive_max_plan` builds from the window tables.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

#: ``(start, end)`` of each window row (or column) band: band ``p`` covers input rows
#: ``start .. end - 1``, with PyTorch's rule ``start = floor(p h_i / h_a)``,
#: ``end = ceil((p + 1) h_i / h_a)``
Bands = tuple[tuple[int, int], ...]
#: a band table term by term (see ``adaptive_max_terms``): ``(longer, sources)`` per term
Terms = tuple[tuple[np.ndarray | None, np.ndarray], ...]


class AdaptiveMax(NamedTuple):
    """What an adaptive max-pooling layer's passes need: the channels, the input ``(h, w)`` and
    output ``(hz, wz)`` planes, the largest window's size (``window``), how many planes a pass
    takes at a time, the tie order (``row_ties``: first in row-major order, PyTorch's, else
    first in ``vΩ``), whether the output is ``(1, 1)`` (``whole``: global max pooling) and
    whether windows overlap (the backward pass must then add), the sweeps' key type (holding
    ``0 .. window - 1``), and the tables read off the window bands (``adaptive_max_plan``):

    ``heights``, ``widths``: ``h_p`` and ``w_q``, each window row band's height (a column) and
    column band's width (a row); ``sizes``: ``h_p w_q``; ``routes``, ``route_starts``: see
    ``adaptive_max_routes``; ``positions``, ``switches``: see ``adaptive_max_tables``;
    ``height_keys``, ``width_keys``: ``h_p`` and ``w_q`` as keys; ``row_terms``, ``col_terms``:
    the window row and column bands term by term (``adaptive_max_terms``); ``key_at``: where
    each window's first entry along the second sweep's axis is in a chunk's first-sweep keys
    laid end to end (``adaptive_max_key_at``)."""

    channels: int
    h: int
    w: int
    hz: int
    wz: int
    window: int
    chunk: int
    row_ties: bool
    whole: bool
    overlapping: bool
    key_type: Any
    heights: np.ndarray
    widths: np.ndarray
    sizes: np.ndarray
    routes: np.ndarray
    route_starts: np.ndarray
    positions: np.ndarray
    switches: np.ndarray
    outputs: np.ndarray
    height_keys: np.ndarray
    width_keys: np.ndarray
    row_terms: Terms
    col_terms: Terms
    key_at: np.ndarray


def adaptive_max_plan(
    channels: int,
    h: int,
    w: int,
    rows: Bands,
    cols: Bands,
    window: int,
    chunk: int,
    row_ties: bool,
    whole: bool,
    overlapping: bool,
    key_type: Any,
) -> AdaptiveMax:
    """The :class:`AdaptiveMax` of ``channels`` planes ``h x w`` pooled over the window row bands
    ``rows`` and column bands ``cols``, its tables read off the bands."""
    heights = np.array([end - start for start, end in rows], np.intp)[:, None]
    widths = np.array([end - start for start, end in cols], np.intp)[None, :]
    corners = np.add.outer(
        np.array([start for start, _ in rows], np.intp) * w, np.array([start for start, _ in cols], np.intp)
    )
    hz, wz = len(rows), len(cols)
    routes = adaptive_max_routes(corners, heights, w, window)
    # where window (p, q)'s switches start in routes
    route_starts = (np.arange(hz * wz, dtype=np.intp) * (window + 1)).reshape(hz, wz)
    positions, switches = adaptive_max_tables(rows, cols, w, window, row_ties)
    return AdaptiveMax(
        channels,
        h,
        w,
        hz,
        wz,
        window,
        chunk,
        row_ties,
        whole,
        overlapping,
        key_type,
        heights,
        widths,
        heights * widths,
        routes,
        route_starts,
        positions,
        switches,
        np.arange(hz * wz),
        heights.astype(key_type),
        widths.astype(key_type),
        adaptive_max_terms(rows),
        adaptive_max_terms(cols),
        adaptive_max_key_at((chunk, h, wz), 1, rows) if row_ties else adaptive_max_key_at((chunk, hz, w), 2, cols),
    )


def adaptive_max_routes(corners: np.ndarray, heights: np.ndarray, w: int, window: int) -> np.ndarray:
    """Entry ``(p w_a + q)(window + 1) + i``: the entry of a row-major plane that switch ``i`` of
    window ``(p, q)`` selects, row ``r_b - 1 = (i - 1) mod h_p`` and column
    ``c_b - 1 = floor((i - 1) / h_p)`` of the window, which starts at ``corners[p, q]`` (eq.b-2.1 to
    eq.b-2.3); ``i = 0`` is not a switch.  With it, the backward pass routes by one lookup."""
    index = np.arange(window + 1)[None, None, :] - 1
    heights = heights[:, :, None]
    routes = corners[:, :, None] + (index % heights) * w + index // heights
    return routes.reshape(-1)


def adaptive_max_route(switches: np.ndarray, plan: AdaptiveMax) -> np.ndarray:
    """The entry each switch ``i_pq`` of a stack ``(planes, h_a, w_a)`` selects, as a position in the
    planes laid end to end, row-major (eq.b-2.1 to eq.b-2.3, looked up in ``routes``)."""
    route = np.take(plan.routes, switches + plan.route_starts)
    route += (np.arange(len(switches), dtype=np.intp) * (plan.h * plan.w))[:, None, None]
    return route


def adaptive_max_tables(rows: Bands, cols: Bands, w: int, window: int, row_ties: bool) -> tuple[np.ndarray, np.ndarray]:
    """For every window ``(p, q)`` (row-major), its entries in the tie order (row by row with
    ``row_ties``, else ``vΩ``, column by column): their positions in a row-major plane, and each
    one's switch ``i = s h_p + r + 1`` (eq.b-2.1).  Windows smaller than the largest are padded
    with a repeat of their first entry, which comes later and so never wins the first maximum."""
    (r0, r1), (c0, c1) = (np.array(b, np.intp).reshape(-1, 2).T for b in (rows, cols))
    hp, wq = (r1 - r0)[:, None, None], (c1 - c0)[None, :, None]  # (h_a, 1, 1), (1, w_a, 1)
    k = np.arange(window)[None, None, :]  # entry k of each window in the tie order
    r, s = (k // wq, k % wq) if row_ties else (k % hp, k // hp)
    past = k >= hp * wq  # past a smaller window's end: its first entry again
    r, s = np.where(past, 0, r), np.where(past, 0, s)
    positions = (r0[:, None, None] + r) * w + c0[None, :, None] + s
    switches = s * hp + r + 1
    return positions.reshape(-1, window).astype(np.intp), switches.reshape(-1, window).astype(np.int64)


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


def adaptive_max_at(axis: int, bands: np.ndarray | None) -> tuple[Any, ...]:
    """The index of ``bands`` (``None``: all) along ``axis`` of a stack of planes."""
    return (slice(None),) * axis + (slice(None) if bands is None else bands,)


def adaptive_max_forward(I: np.ndarray, plan: AdaptiveMax) -> tuple[np.ndarray, np.ndarray]:
    """``A_pq = max`` of window ``(p, q)`` (Appendix B over adaptive windows) for a batch ``I``
    (``(N, C, h, w)``): ``(A, switches)``, ``switches`` holding the seed's ``i_pq``, the 1-based
    index of the maximum in the window's ``vΩ`` (column-major, ``h_p`` rows), the first one on
    ties in the plan's tie order."""
    if plan.whole:
        return adaptive_max_global_forward(I, plan)
    return adaptive_max_bands_forward(I, plan)


def adaptive_max_global_forward(I: np.ndarray, plan: AdaptiveMax) -> tuple[np.ndarray, np.ndarray]:
    """``A_11 = max`` of the whole plane (Appendix B with one adaptive window, ``output=(1, 1)``:
    global max pooling), ``i_11`` the 1-based index of the maximum in the plane's ``vΩ``
    (column-major, ``h`` rows).

    ``np.argmax`` takes the first maximum of each plane read row by row, in place (and the first
    NaN, if any): the first in row-major order (``tie_order="row"``).  ``vΩ`` reads the plane
    column by column instead, and its first maximum is the same entry unless the maximum is
    tied (a NaN too): those planes are read again transposed.  A chunk of planes at a time."""
    n, channels, h, w, step = I.shape[0], plan.channels, plan.h, plan.w, plan.chunk
    planes = n * channels
    flat = I.reshape(planes, h * w)
    A = np.empty(planes, I.dtype)
    switches = np.empty(planes, np.int64)
    for a in range(0, planes, step):
        V = flat[a : a + step]  # entry k = r w + s of each plane
        k = V.argmax(axis=1)
        best = V[np.arange(len(V)), k]
        i = (k % w) * h + k // w + 1  # i = s h + r + 1 (eq.b-2.1)
        if not plan.row_ties:
            # a plane is read again if its maximum is tied or NaN; when every other plane's maximum
            # is its only entry equal to it, one count over the chunk says so without a per-plane sum
            tied, nan = V == best[:, None], np.isnan(best)
            again = nan
            if np.count_nonzero(tied) != len(V) - np.count_nonzero(nan):
                again = (np.count_nonzero(tied, axis=1) > 1) | nan
            if again.any():
                T = np.swapaxes(V[again].reshape(-1, h, w), 1, 2).reshape(-1, h * w)  # vΩ
                k = T.argmax(axis=1)
                best[again], i[again] = T[np.arange(len(T)), k], k + 1
        A[a : a + step], switches[a : a + step] = best, i
    shape = (n, channels, 1, 1)
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
        at = adaptive_max_at(axis, longer)
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
    planes, step, outputs = len(planes_in), plan.chunk, plan.hz * plan.wz
    flat = planes_in.reshape(planes, plan.h * plan.w)
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
    n, channels, h, w, hz, wz, step = I.shape[0], plan.channels, plan.h, plan.w, plan.hz, plan.wz, plan.chunk
    key_type, row_terms, col_terms = plan.key_type, plan.row_terms, plan.col_terms
    planes = n * channels
    planes_in = I.reshape(planes, h, w)
    A = np.empty((planes, hz, wz), I.dtype)
    keys = np.empty((planes, hz, wz), key_type)
    for a in range(0, planes, step):
        chunk = planes_in[a : a + step]
        if plan.row_ties:
            best, cols = adaptive_max_first_max(chunk, 2, col_terms, key_type)
            A[a : a + step], keys[a : a + step] = adaptive_max_first_max(
                best, 1, row_terms, key_type, (cols, plan.width_keys, plan.key_at)
            )
        else:
            best, rows = adaptive_max_first_max(chunk, 1, row_terms, key_type)
            A[a : a + step], keys[a : a + step] = adaptive_max_first_max(
                best, 2, col_terms, key_type, (rows, plan.height_keys, plan.key_at)
            )
    switches = keys.astype(np.int64)
    if plan.row_ties:
        t = switches
        switches = t % plan.widths
        switches *= plan.heights
        switches += t // plan.widths
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
    n, channels, h, w = dA.shape[0], plan.channels, plan.h, plan.w
    planes = n * channels
    route = adaptive_max_route(switches.reshape(planes, plan.hz, plan.wz), plan)
    if plan.overlapping:
        size = planes * h * w
        dI = np.bincount(route.reshape(-1), weights=dA.reshape(-1), minlength=size).astype(dA.dtype, copy=False)
    else:
        dI = np.zeros(planes * h * w, dA.dtype)
        dI[route.reshape(-1)] = dA.reshape(-1)
    return dI.reshape(n, channels, h, w)
