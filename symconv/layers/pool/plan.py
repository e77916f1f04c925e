"""Generated code for average and max pooling: the data ``templates/numpy/avgpool.py.j2``
and ``maxpool.py.j2`` lay out (3.1.3, Appendix B)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ...codegen import plans as cg
from ...codegen.printer import code, literal_lines
from ...codegen.slices import check_input_jacobian
from ...errors import require
from ...geometry import Geometry
from ...sparse import VecJacobian
from . import avg_kernel, max_kernel
from .avg_kernel import AvgPool
from .max_kernel import MaxPool
from .rule import AvgPoolDerivation, MaxPoolDerivation


def vomega_position(i: int, hl: int) -> tuple[int, int]:
    """eq.b-2.1: entry ``i`` (1-based) of ``vΩ`` sits at block row ``r_b = i - (c_b - 1) h_l`` and
    column ``c_b = ceil(i / h_l)``; returned 0-based, ``(r_b - 1, c_b - 1)``."""
    c_b = -(-i // hl)
    r_b = i - (c_b - 1) * hl
    return r_b - 1, c_b - 1


def _window_order(d: MaxPoolDerivation, m: Geometry) -> list[tuple[int, ...]]:
    """``(i, row start, row stop, column start, column stop)`` for ``i = 1 .. h_l w_l``,
    the seed's index into ``vΩ`` (column-major inside the window).

    The kernel position of ``i`` comes from eq.b-2.1; each is checked against the core's
    eq.b-2.1 to eq.b-2.3 (:meth:`MaxPoolDerivation.selected`): a switch equal to ``i``
    everywhere must pick, for every output, the input entry of this slice."""
    hl, wl = m.kernel
    rstop, cstop = m.stops(0), m.stops(1)
    predicted = m.windows  # [p, q, r, s] -> vec index or -1
    out: list[tuple[int, ...]] = []
    for i in range(1, hl * wl + 1):
        r, s = vomega_position(i, hl)
        chosen = d.selected(np.full(m.output, i)) - 1  # 0-based vec index, -1 in the padding
        require(np.array_equal(chosen, predicted[:, :, r, s]), f"switch {i} does not select slice ({r}, {s})")
        out.append((i, m.row_starts[r], rstop[r], m.col_starts[s], cstop[s]))
    return out


def _forward_chunk(m: Geometry) -> int:
    """How many (float64) padded planes a pooling forward pass sweeps at a time."""
    return max(1, cg.POOL_FORWARD_CHUNK_BYTES // (m.padded[0] * m.padded[1] * 8))


def _pool_chunk(plane: tuple[int, ...]) -> int:
    """How many (float64) planes of this size a pooling backward pass handles at a time."""
    return max(1, cg.POOL_CHUNK_BYTES // (plane[0] * plane[1] * 8))


def _checked_runs(m: Geometry, jac: VecJacobian) -> tuple[list[cg.Run], list[cg.Run]]:
    """The row and column runs of the average-pooling backward pass (:func:`_runs`), read off the
    slice model; together they must add output ``(p, q)`` into exactly the input entries of its
    column of the core's ``d vA/d vI`` (3.1.3)."""
    (h, w), (hz, _) = m.input, m.output
    rows, cols = cg.input_lines(m)
    row_runs, col_runs = cg.spread_runs(rows, h, m.stride[0]), cg.spread_runs(cols, w, m.stride[1])
    row_terms, col_terms = cg.run_terms(row_runs, h, m.stride[0]), cg.run_terms(col_runs, w, m.stride[1])
    # (input row i, output row p) and (input column j, output column q) pairs the runs add
    ri, rp = np.array([(i, p) for i in range(h) for p in row_terms[i]], np.int64).reshape(-1, 2).T
    cj, cq = np.array([(j, q) for j in range(w) for q in col_terms[j]], np.int64).reshape(-1, 2).T
    pairs = cg.sorted_rows(cq[:, None] * hz + rp[None, :], cj[:, None] * h + ri[None, :])
    require(pairs == cg.sorted_rows(jac.rows, jac.cols), "runs differ from d vA/d vI")
    return row_runs, col_runs


def _checked_divisors(d: AvgPoolDerivation, jac: VecJacobian) -> list[int] | None:
    """The per-window divisors ``D_pq`` (row-major) the generated code carries, or ``None`` when
    every window divides by ``h_l w_l`` (the seed's ``P``).  Every stored value of the core's
    ``d vA/d vI`` in row ``A_pq`` must be ``1/D_pq``, and the divisors PyTorch's rule gives
    (:attr:`AvgPoolDerivation.divisors`) must be what is written."""
    hz = d.geometry.output[0]
    weights = d.divisors.reshape(-1, order="F").astype(np.int64)
    stored = cg.unit_divisors(jac.table)[np.asarray(jac.ids)]
    require(
        np.array_equal(stored, weights[np.asarray(jac.rows)]),
        "the average-pooling Jacobian's values are not 1/D_pq row by row",
    )
    if d.uniform:
        uniform = sp.Rational(1, d.coefficient)
        require(
            uniform.q == 1 and bool((stored == int(uniform)).all()),
            "a uniform average pool's values are not 1/(h_l w_l)",
        )
        return None
    out = [int(weights[q * hz + p]) for p in range(hz) for q in range(d.geometry.output[1])]
    require(all(n != 0 for n in out), "an average-pooling divisor is 0")
    return out


def plan_avgpool(d: AvgPoolDerivation, names: cg.Names) -> cg.Block:
    """3.1.3: ``A_j = I_j * P``.  The slices are checked against ``d vA/d vI`` of the
    core, whose every stored value must be the coefficient ``1/(h_l w_l)``; so are the runs
    the backward pass spreads ``dA`` with (:func:`_checked_runs`)."""
    m = d.geometry
    jac = d.jacobian("I", j=0)
    check_input_jacobian(m, jac, ids_are_kernel=False)
    row_runs, col_runs = _checked_runs(m, jac)
    hl, wl = m.kernel
    tiles = (
        not any(m.padding)
        and m.stride == m.kernel
        and m.dilation == (1, 1)
        and (m.output[0] * hl, m.output[1] * wl) == m.input
    )
    # wide tiles: one np.repeat spreads the columns faster than a strided copy per window column
    repeat_columns = tiles and wl >= cg.REPEAT_FROM
    col_classes, col_rest = cg.whole_classes(col_runs, m.input[1], m.stride[1], m.output[1])
    if repeat_columns:
        col_classes, col_rest = [], []
    # 3.1.3: every entry of P is 1/(h_l w_l), padded entries counted
    require(d.coefficient == sp.Rational(1, hl * wl), f"P's entries are {d.coefficient}, not 1/{hl * wl}")
    divisors = _checked_divisors(d, jac)
    nz, n = m.output[0] * m.output[1], m.input[0] * m.input[1]
    entries, small = cg.jacobian_size([(nz, n)], 1)
    c = names.const
    coef = 1.0 / np.array(divisors, np.float64).reshape(m.output) if divisors is not None else float(d.coefficient)
    record = AvgPool(
        window=cg.window(m),
        channels=d.channels,
        coef=coef,
        forward_chunk=_forward_chunk(m),
        chunk=_pool_chunk(m.input),
        row_runs=tuple(row_runs),
        col_classes=tuple(col_classes),
        col_runs=tuple(col_rest),
        tiles=tiles,
        repeat_columns=repeat_columns,
    )
    text = {
        "coef": f"{c}COEF" if divisors is not None else code(d.coefficient),
        "row_runs": f"{c}ROW_RUNS",
        "col_classes": f"{c}COL_CLASSES",
        "col_runs": f"{c}COL_RUNS",
    }
    context = {
        "fn": names.fn,
        "c": c,
        "plan": cg.window_plan_lines(c, record, text),
        "coefficient": str(d.coefficient) if divisors is None else "1/D_pq (window (p, q)'s divisor)",
        "divisors": literal_lines(divisors) if divisors is not None else [],
        "out_plane": cg.shape_text(m.output),
        "row_runs": literal_lines(row_runs),
        "col_classes": literal_lines(col_classes),
        "col_runs": literal_lines(col_rest),
        "in_shape": cg.shape_text((d.channels, *m.input)),
        "out_shape": cg.shape_text((d.channels, *m.output)),
        "jacobian_shape": cg.shape_text((nz, n)),
        "tables": cg.index_tables(c, small, jac.nnz, {"JAC_OUT": jac.rows, "JAC_INP": jac.cols}),
        "jacobian_entries": entries,
        "jacobian_limit": cg.JACOBIAN_LIMIT,
        "spec": d.spec,
    }
    return cg.Block(
        "avgpool.py.j2",
        context,
        cg.Call((names.x_out,), f"{names.fn}forward", (names.x_in,)),
        cg.Call(("g",), f"{names.fn}backward", ("g",)),
        kernels=(avg_kernel.__name__,),
        records={"PLAN": record},
    )


def _routes(d: MaxPoolDerivation, m: Geometry) -> tuple[list[int], list[int], list[int]]:
    """Where the backward pass routes ``dA_pq`` in a row-major padded plane: the top-left corner
    of window ``(p, q)``, row part ``[p]`` and column part ``[q]`` (eq.b-2.2, read off the core),
    plus the offset ``[i]`` of entry ``i`` of ``vΩ`` inside the window (eq.b-2.1; 1-based, entry 0
    unused).  For every switch ``i``, corner plus offset must be the padded position of the entry
    the core's eq.b-2.1 to eq.b-2.3 select (:meth:`MaxPoolDerivation.selection_steps`)."""
    hl, wl = m.kernel
    wp = m.padded[1]
    t, _, left, _ = m.padding
    first = d.selection_steps(np.ones(m.output, dtype=np.int64))
    rows = [int(v) for v in (first.top_r[:, 0] - 1 + t) * wp]
    cols = [int(v) for v in first.top_c[0, :] - 1 + left]
    corners = np.add.outer(rows, cols)
    offsets = [0]
    for i in range(1, hl * wl + 1):
        r, s = vomega_position(i, hl)
        offsets.append(r * m.dilation[0] * wp + s * m.dilation[1])
        steps = d.selection_steps(np.full(m.output, i))
        at = (steps.r_i - 1 + t) * wp + steps.c_i - 1 + left
        require(np.array_equal(corners + offsets[i], at), f"switch {i} is not routed to the entry eq.b-2.3 selects")
    return rows, cols, offsets


def plan_maxpool(d: MaxPoolDerivation, names: cg.Names) -> cg.Block:
    """Appendix B: the window order is the seed's ``vΩ`` (eq.b-2.1), each slice checked
    against the core's eq.b-2.1 to eq.b-2.3; padded entries take part as ``pad_value``.
    The backward routes are checked the same way (:func:`_routes`)."""
    m = d.geometry
    order = _window_order(d, m)
    row_corners, col_corners, offsets = _routes(d, m)
    nz, n = m.output[0] * m.output[1], m.input[0] * m.input[1]
    entries, _ = cg.jacobian_size([(nz, n)], 1)
    c = names.const
    hl, wl = m.kernel
    switch_type = np.uint8 if hl * wl < 2**8 else np.int16 if hl * wl < 2**15 else np.int64
    pairs = hl * wl <= cg.PAIR_WINDOW_LIMIT
    chunk = _pool_chunk(m.padded)
    chunk += chunk % 2 if pairs and nz % 2 == 1 else 0  # chunks of pairs start on a pair
    window = cg.window(m)
    offset_table = np.array(offsets, np.intp)
    record = MaxPool(
        window=window,
        channels=d.channels,
        pad_value=float(d.fill),
        switch_type=switch_type,
        row_ties=d.spec.tie_order == "row",
        forward_chunk=_forward_chunk(m),
        chunk=chunk,
        fresh_bytes=cg.FRESH_BYTES,
        overlapping=m.overlapping,
        offsets=offset_table,
        corners=max_kernel.maxpool_corners(tuple(row_corners), tuple(col_corners), chunk, window.hp * window.wp),
        pair_offsets=max_kernel.maxpool_pair_offsets(offset_table) if pairs else None,
    )
    text = {
        **({"pad_value": code(d.fill)} if d.fill.is_infinite else {}),
        "switch_type": f"np.{switch_type.__name__}",
        "offsets": f"{c}OFFSETS",
        "corners": f"{c}CORNERS",
        "pair_offsets": f"{c}PAIR_OFFSETS" if pairs else "None",
    }
    context = {
        "fn": names.fn,
        "c": c,
        "plan": cg.window_plan_lines(c, record, text),
        "chunk": chunk,
        "plane": window.hp * window.wp,
        "row_ties": record.row_ties,
        "row_corners": literal_lines(row_corners),
        "col_corners": literal_lines(col_corners),
        "offsets": literal_lines(offsets, indent=8),
        "order": literal_lines(order),
        "pad_value": code(d.fill),
        "pairs": pairs,
        "in_shape": cg.shape_text((d.channels, *m.input)),
        "out_shape": cg.shape_text((d.channels, *m.output)),
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
    )
