"""Generated code for average, max and Lp pooling in any number of axes: the data
``templates/numpy/avgpool.py.j2``, ``maxpool.py.j2`` and ``lppool.py.j2`` lay out (3.1.3,
Appendix B), every table checked against the core's derivation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

from ...codegen import plans as cg
from ...codegen.printer import code, kernel_function, literal_lines, name_tuple
from ...errors import require
from ...geometry import Geometry, vec_strides
from ...sparse import VecJacobian
from ...symbols import vec_position
from .. import window_plan
from . import avg_kernel, max_kernel, spreads
from . import spec as specs
from .avg_kernel import AvgPool
from .home import SPECS
from .max_kernel import MaxPool
from .rule import AvgPoolDerivation, LPPoolDerivation, MaxPoolDerivation, _kernel_order

#: the pooling backward passes fill this many bytes of input planes (float64) at a time, so a
#: chunk's planes are still in the CPU cache when they are zeroed, scattered into or summed
POOL_CHUNK_BYTES = 1 << 19
#: the pooling forward passes sweep this many bytes of padded input planes (float64) at a time
POOL_FORWARD_CHUNK_BYTES = 1 << 20
#: the max-pool backward pass looks up the routes of two neighbouring outputs at once up to
#: this window size (its table has 256 (h_l w_l + 1) rows of two offsets, 68 KiB at 16)
PAIR_WINDOW_LIMIT = 16
#: tiled average pooling spreads the columns with ``np.repeat`` from this window width on
REPEAT_FROM = 4
#: arrays this large are allocated as fresh, already zeroed pages (glibc's largest mmap
#: threshold), so the max-pool backward pass takes them from ``np.zeros`` and does not zero them again
FRESH_BYTES = 1 << 25


def c_strides(shape: tuple[int, ...]) -> np.ndarray:
    """How far apart neighbours along each axis are in a row-major (C order) block."""
    return np.array([math.prod(shape[a + 1 :]) for a in range(len(shape))], np.int64)


def _window_order(d: MaxPoolDerivation, m: Geometry) -> None:
    """Entry ``i = 1 .. prod(window)`` of the seed's ``vΩ`` sits at window position
    ``vec_position(window, i - 1)`` (eq.b-2.1, the first axis fastest): a switch equal to ``i``
    everywhere must pick, by the core's eq.b-2.1 to eq.b-2.3 (:meth:`MaxPoolDerivation.selected`),
    the input entry of that position of the window map for every output."""
    for i in range(1, math.prod(m.kernel) + 1):
        at = vec_position(m.kernel, i - 1)
        chosen = d.selected(np.full(m.output, i)) - 1  # 0-based vec index, -1 in the padding
        where: tuple[Any, ...] = (Ellipsis, *at)
        require(np.array_equal(chosen, m.windows[where]), f"switch {i} does not select window entry {at}")


def _forward_chunk(m: Geometry) -> int:
    """How many (float64) padded planes a pooling forward pass sweeps at a time."""
    return max(1, POOL_FORWARD_CHUNK_BYTES // (math.prod(m.padded) * 8))


def _pool_chunk(plane: tuple[int, ...]) -> int:
    """How many (float64) planes of this size a pooling backward pass handles at a time."""
    return max(1, POOL_CHUNK_BYTES // (math.prod(plane) * 8))


def _checked_runs(m: Geometry, jac: VecJacobian) -> list[list[spreads.Run]]:
    """The runs of the average-pooling backward pass along each axis, read off the window map
    (each axis's taps); their (input entry, output) pairs, taken along every axis together, must be
    exactly the nonzeros of the core's ``d vA/d vI`` (3.1.3)."""
    runs, pairs = [], []
    for axis in m.axes:
        lines = [tuple(int(v) for v in axis.taps[:, r]) for r in range(axis.window)]
        axis_runs = spreads.spread_runs(lines, axis.size, axis.stride)
        terms = spreads.run_terms(axis_runs, axis.size, axis.stride)
        pairs.append(np.array([(i, p) for i in range(axis.size) for p in terms[i]], np.int64).reshape(-1, 2))
        runs.append(axis_runs)
    out_steps, in_steps = vec_strides(m.output), vec_strides(m.input)
    out_index, in_index = np.zeros((), np.int64), np.zeros((), np.int64)
    for a, pair in enumerate(pairs):
        out_index = np.add.outer(out_index, pair[:, 1] * out_steps[a])
        in_index = np.add.outer(in_index, pair[:, 0] * in_steps[a])
    require(
        cg.sorted_rows(out_index.reshape(-1), in_index.reshape(-1)) == cg.sorted_rows(jac.rows, jac.cols),
        "runs differ from d vA/d vI",
    )
    return runs


def _checked_divisors(d: AvgPoolDerivation, jac: VecJacobian) -> list[int] | None:
    """The per-window divisors ``D_p`` (row-major) the generated code carries, or ``None`` when
    every window divides by its size (the seed's ``P``).  Every stored value of the core's
    ``d vA/d vI`` in row ``A_p`` must be ``1/D_p``, and the divisors PyTorch's rule gives
    (:attr:`AvgPoolDerivation.divisors`) must be what is written."""
    weights = d.divisors.reshape(-1, order="F").astype(np.int64)
    stored = cg.unit_divisors(jac.table)[np.asarray(jac.ids)]
    require(
        np.array_equal(stored, weights[np.asarray(jac.rows)]),
        "the average-pooling Jacobian's values are not 1/D_p row by row",
    )
    if d.uniform:
        uniform = sp.Rational(1, d.coefficient)
        require(
            uniform.q == 1 and bool((stored == int(uniform)).all()),
            "a uniform average pool's values are not 1/prod(window)",
        )
        return None
    out = [int(n) for n in d.divisors.reshape(-1)]
    require(all(n != 0 for n in out), "an average-pooling divisor is 0")
    return out


def _avg_record(d: AvgPoolDerivation | LPPoolDerivation, jac: VecJacobian, coef: float | np.ndarray) -> AvgPool:
    """The passes' record of an average (or Lp) pool: the spreads checked against ``jac``."""
    m = d.geometry
    runs = _checked_runs(m, jac)
    last = m.ndim - 1
    tiles = (
        not any(m.padding)
        and m.stride == m.kernel
        and all(x == 1 for x in (*m.dilation, *m.input_dilation))
        and tuple(o * k for o, k in zip(m.output, m.kernel, strict=True)) == m.input
    )
    # wide tiles: one np.repeat spreads the last axis faster than a strided copy per window position
    repeat_last = tiles and m.kernel[last] >= REPEAT_FROM
    classes, rest = spreads.whole_classes(runs[last], m.input[last], m.stride[last], m.output[last])
    if repeat_last:
        classes, rest = [], []
    runs[last] = rest
    return AvgPool(
        frame=window_plan.frame(m),
        channels=d.channels,
        coef=coef,
        forward_chunk=_forward_chunk(m),
        chunk=_pool_chunk(m.input),
        runs=tuple(tuple(r) for r in runs),
        classes=tuple(classes),
        tiles=tiles,
        repeat_last=repeat_last,
    )


def _avg_common(
    d: AvgPoolDerivation | LPPoolDerivation, names: cg.Names, record: AvgPool, text: dict[str, str]
) -> dict[str, object]:
    m = d.geometry
    c = names.const
    return {
        "fn": names.fn,
        "c": c,
        "plan": window_plan.frame_plan_lines(c, record, {"runs": f"{c}RUNS", "classes": f"{c}CLASSES", **text}),
        "out_plane": cg.shape_text(m.output),
        "runs": literal_lines(record.runs),
        "classes": literal_lines(record.classes),
        "in_shape": cg.shape_text((d.channels, *m.input)),
        "out_shape": cg.shape_text((d.channels, *m.output)),
        "jacobian_shape": cg.shape_text(d._sizes),
        "jacobian_limit": cg.JACOBIAN_LIMIT,
        "spreads": name_tuple([kernel_function(f) for f in avg_kernel.avgpool_spreads(record)]),
        "spec": d.spec,
    }


def plan_avgpool(d: AvgPoolDerivation, names: cg.Names) -> cg.Block:
    """3.1.3: ``A_j = I_j * P``.  The slices are checked against ``d vA/d vI`` of the core, whose
    every stored value must be the coefficient ``1/prod(window)`` (or ``1/D_p`` row by row); so
    are the runs the backward pass spreads ``dA`` with (:func:`_checked_runs`)."""
    m = d.geometry
    jac = d.jacobian("I", j=0)
    # 3.1.3: every entry of P is 1/prod(window), padded entries counted
    require(d.coefficient == sp.Rational(1, math.prod(m.kernel)), f"P's entries are {d.coefficient}")
    divisors = _checked_divisors(d, jac)
    coef = 1.0 / np.array(divisors, np.float64).reshape(m.output) if divisors is not None else float(d.coefficient)
    record = _avg_record(d, jac, coef)
    entries, small = cg.jacobian_size([d._sizes], 1)
    c = names.const
    context = {
        **_avg_common(d, names, record, {"coef": f"{c}COEF" if divisors is not None else str(float(d.coefficient))}),
        "coefficient": str(d.coefficient) if divisors is None else "1/D_p (window p's divisor)",
        "divisors": literal_lines(divisors) if divisors is not None else [],
        "tables": cg.index_tables(c, small, jac.nnz, {"JAC_OUT": jac.rows, "JAC_INP": jac.cols}),
        "jacobian_entries": entries,
    }
    return cg.Block(
        "avgpool.py.j2",
        context,
        cg.Call((names.x_out,), f"{names.fn}forward", (names.x_in,)),
        cg.Call(("g",), f"{names.fn}backward", ("g",)),
        kernels=(avg_kernel.__name__,),
        records={"PLAN": record},
    )


def plan_lppool(d: LPPoolDerivation, names: cg.Names) -> cg.Block:
    """Lp pooling: the window sums of ``I^n`` by the average pool's passes, each window's sum scaled
    by ``c_p`` (the window's size over the positions it covers inside the padded input, 1 but past
    a ``ceil_mode`` end).  The spreads are checked against the core's ``d vA/d vI`` pattern, and
    the written ``c_p`` against the core's."""
    m = d.geometry
    jac = d.jacobian("I", j=0)
    size = math.prod(m.kernel)
    counts = [int(n) for n in d.scale.reshape(-1)]
    require(all(0 < n <= size for n in counts), "an Lp window covers no position of the padded input")
    uniform = all(n == size for n in counts)
    record = _avg_record(d, jac, 1.0 if uniform else size / np.array(counts, np.float64).reshape(m.output))
    c = names.const
    norm = float(d.n)
    entries, fits = cg.jacobian_size([d._sizes], 1)
    context = {
        **_avg_common(d, names, record, {"coef": "1.0" if uniform else f"{c}COEF"}),
        "counts": literal_lines(counts) if not uniform else [],
        "size": size,
        "norm": repr(norm),
        "norm_text": str(d.n),
        "jacobian_entries": entries,
        "fits": fits,
    }
    saved = names.saved
    return cg.Block(
        "lppool.py.j2",
        context,
        cg.Call((names.x_out, saved), f"{names.fn}forward", (names.x_in,)),
        cg.Call(("g",), f"{names.fn}backward", ("g", names.x_in, saved)),
        kernels=(avg_kernel.__name__,),
        records={"PLAN": record},
    )


def _routes(d: MaxPoolDerivation, m: Geometry) -> tuple[list[list[int]], list[int]]:
    """Where the backward pass routes ``dA_p`` in a row-major padded plane: the first corner of
    window ``p``, the sum over the axes of ``[a][p_a]`` (eq.b-2.2, read off the core), plus the
    offset ``[i]`` of entry ``i`` of ``vΩ`` inside the window (eq.b-2.1; 1-based, entry 0
    unused).  For every switch ``i``, corner plus offset must be the padded position of the entry
    the core's eq.b-2.1 to eq.b-2.3 select (:meth:`MaxPoolDerivation.selection`)."""
    steps = c_strides(m.padded)
    first = d.selection(np.ones(m.output, dtype=np.int64))
    parts = []
    for a, axis in enumerate(m.axes):
        corner = np.moveaxis(first.corner[a], a, 0).reshape(axis.output, -1)[:, 0]
        parts.append([int(v) for v in (corner - 1 + axis.before) * steps[a]])
    corners = np.zeros((), np.int64)
    for part in parts:
        corners = np.add.outer(corners, np.array(part, np.int64))
    offsets = [0]
    for i in range(1, math.prod(m.kernel) + 1):
        at = vec_position(m.kernel, i - 1)
        offsets.append(
            sum(r * axis.dilation * int(steps[a]) for a, (r, axis) in enumerate(zip(at, m.axes, strict=True)))
        )
        sel = d.selection(np.full(m.output, i))
        padded = sum(
            (sel.corner[a] - 1 + axis.before + axis.dilation * (sel.block[a] - 1)) * steps[a]
            for a, axis in enumerate(m.axes)
        )
        require(np.array_equal(corners + offsets[i], padded), f"switch {i} is not routed to the entry eq.b-2.3 selects")
    return parts, offsets


def _sources(d: MaxPoolDerivation, m: Geometry, parts: list[list[int]], offsets: list[int]) -> np.ndarray:
    """For each entry of a row-major padded plane, the input entry it holds (its row-major index in
    the input plane, PyTorch's flat index) or -1; through the routes, each switch must reach the
    entry the core selects (``selected``, a vec index, here in row-major order)."""
    sources = max_kernel.maxpool_sources(_source_axes(m), m.input)
    corners = np.zeros((), np.int64)
    for part in parts:
        corners = np.add.outer(corners, np.array(part, np.int64))
    for i in range(1, math.prod(m.kernel) + 1):
        chosen = d.selected(np.full(m.output, i)) - 1  # vec index (the first axis fastest), -1 in the padding
        real = chosen >= 0
        row_major = np.zeros_like(chosen)
        if real.any():
            position = np.unravel_index(np.where(real, chosen, 0), m.input, order="F")
            row_major = np.ravel_multi_index(position, m.input)
        want = np.where(real, row_major, -1)
        require(
            np.array_equal(sources[corners + offsets[i]], want), f"switch {i}'s flat index is not the selected entry"
        )
    return sources


def _source_axes(m: Geometry) -> tuple[tuple[int, ...], ...]:
    """Along each axis, the input entry each padded position holds, or -1 (the window map's)."""
    return tuple(tuple(int(v) for v in axis.source(np.arange(axis.padded))) for axis in m.axes)


def plan_maxpool(d: MaxPoolDerivation, names: cg.Names) -> cg.Block:
    """Appendix B: the window order is the seed's ``vΩ`` (eq.b-2.1, the first axis fastest), each
    position checked against the core's eq.b-2.1 to eq.b-2.3; padded entries take part as
    ``pad_value``.  The backward routes and PyTorch's flat indices are checked the same way
    (:func:`_routes`, :func:`_sources`)."""
    m = d.geometry
    _window_order(d, m)
    parts, offsets = _routes(d, m)
    sources = _sources(d, m, parts, offsets)
    entries, _ = cg.jacobian_size([d._sizes], 1)
    c = names.const
    size = math.prod(m.kernel)
    nz = math.prod(m.output)
    switch_type = np.uint8 if size < 2**8 else np.int16 if size < 2**15 else np.int64
    pairs = size <= PAIR_WINDOW_LIMIT
    chunk = _pool_chunk(m.padded)
    chunk += chunk % 2 if pairs and nz % 2 == 1 else 0  # chunks of pairs start on a pair
    # the corners cover a float32 chunk: as many bytes as a float64 one, twice the planes
    corner_planes = 2 * chunk
    frame = window_plan.frame(m)
    offset_table = np.array(offsets, np.intp)
    row_order = _kernel_order(m.kernel)
    require(np.array_equal(row_order, d.row_major), "the row-major order of the window is not the core's")
    record = MaxPool(
        frame=frame,
        channels=d.channels,
        pad_value=float(d.fill),
        switch_type=switch_type,
        row_ties=d.spec.tie_order == "row",
        forward_chunk=_forward_chunk(m),
        chunk=chunk,
        fresh_bytes=FRESH_BYTES,
        overlapping=m.overlapping,
        offsets=offset_table,
        corners=max_kernel.maxpool_corners(tuple(tuple(p) for p in parts), corner_planes, math.prod(m.padded)),
        pair_offsets=max_kernel.maxpool_pair_offsets(offset_table) if pairs else None,
        row_order=row_order.astype(np.intp),
        sources=sources,
    )
    text = {
        **({"pad_value": code(d.fill)} if d.fill.is_infinite else {}),
        "switch_type": f"np.{switch_type.__name__}",
        "offsets": f"{c}OFFSETS",
        "corners": f"{c}CORNERS",
        "pair_offsets": f"{c}PAIR_OFFSETS" if pairs else "None",
        "row_order": f"{c}ROW_ORDER",
        "sources": f"{c}SOURCES",
    }
    context = {
        "fn": names.fn,
        "c": c,
        "plan": window_plan.frame_plan_lines(c, record, text),
        "chunk": corner_planes,  # the planes CORNERS covers
        "plane": math.prod(m.padded),
        "row_ties": record.row_ties,
        "corner_parts": literal_lines(tuple(tuple(p) for p in parts)),
        "offsets": literal_lines(offsets, indent=8),
        "row_order": literal_lines([int(v) for v in row_order]),
        "source_axes": literal_lines(_source_axes(m)),
        "input_plane": cg.shape_text(m.input),
        "pad_value": code(d.fill),
        "pairs": pairs,
        "in_shape": cg.shape_text((d.channels, *m.input)),
        "out_shape": cg.shape_text((d.channels, *m.output)),
        "jacobian_shape": cg.shape_text(d._sizes),
        "jacobian_entries": entries,
        "jacobian_limit": cg.JACOBIAN_LIMIT,
        "spec": d.spec,
    }
    saved = names.saved
    return cg.Block(
        "maxpool.py.j2",
        context,
        cg.Call((names.x_out, saved), f"{names.fn}forward", (names.x_in,)),
        cg.Call(("g",), f"{names.fn}backward", ("g", saved)),
        kernels=(max_kernel.__name__,),
        records={"PLAN": record},
        extra=(cg.Call(("indices",), f"{names.fn}indices", (saved,)),),
    )


PLANS = {
    spec.kind: plan_maxpool
    if issubclass(spec, specs.MaxPool)
    else plan_avgpool
    if issubclass(spec, specs.AvgPool)
    else plan_lppool
    for spec in SPECS
}
