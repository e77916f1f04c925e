"""Generated code for adaptive average and max pooling: the data
``templates/numpy/adaptive_avgpool.py.j2`` and ``adaptive_maxpool.py.j2`` lay out and the plan
records of their kernel modules (``avg_kernel.py``, ``max_kernel.py``), each window (and, for
the average's backward, the windows holding each input row and column) checked against the
core's Jacobian or switch rule (3.1.3, Appendix B)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from ...codegen import plans as cg
from ...codegen.printer import literal_lines
from ...errors import require
from . import avg_kernel, max_kernel
from .avg_kernel import adaptive_avg_plan
from .max_kernel import adaptive_max_plan
from .rule import AdaptiveAvgDerivation, AdaptiveMaxDerivation, _AdaptiveDerivation


def _overlap(band: list[tuple[int, int]]) -> bool:
    """Whether neighbouring windows of a band share entries (a backward pass must then add)."""
    return any(a < b for (_, b), (a, _) in itertools.pairwise(band))


def _windows(d: _AdaptiveDerivation) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """``(start, end)`` of every row band and column band, as the module writes them."""
    rows = [(int(a), int(b)) for a, b in zip(d.row_starts, d.row_ends, strict=True)]
    cols = [(int(a), int(b)) for a, b in zip(d.col_starts, d.col_ends, strict=True)]
    require(all(a < b for a, b in rows + cols), "an adaptive window is empty")
    return rows, cols


def _whole(d: _AdaptiveDerivation, rows: list[tuple[int, int]], cols: list[tuple[int, int]]) -> bool:
    """Whether the output is ``(1, 1)``, global pooling, which the module computes over each whole
    plane at once: its one window must then be the whole plane."""
    (h, w), whole = d.input_size, d.spec.output_size == (1, 1)
    if whole:
        require(rows == [(0, h)] and cols == [(0, w)], "output (1, 1) is not one window over the whole plane")
    return whole


def _common(d: _AdaptiveDerivation, names: cg.Names) -> dict[str, object]:
    rows, cols = _windows(d)
    (h, w), (hz, wz) = d.input_size, d.spec.output_size
    return {
        "fn": names.fn,
        "c": names.const,
        "row_windows": literal_lines(rows),
        "col_windows": literal_lines(cols),
        "in_shape": cg.shape_text((d.channels, h, w)),
        "out_shape": cg.shape_text((d.channels, hz, wz)),
        "jacobian_limit": cg.JACOBIAN_LIMIT,
        "spec": d.spec,
    }


def _plan(c: str, build: Callable[..., Any], args: dict[str, Any], text: dict[str, str]) -> tuple[Any, list[str]]:
    """The plan record ``build(**args)`` and the arguments of the module's call that builds it the
    same way, one ``name=value,`` line each, the value a literal or the source ``text`` gives
    (the window tables written before it)."""
    given = {"rows": f"{c}ROW_WINDOWS", "cols": f"{c}COL_WINDOWS", **text}
    return build(**args), [f"{k}={given.get(k, str(v))}," for k, v in args.items()]


def _chunk(per_plane: int) -> int:
    """Planes at a time (``per_plane`` entries each): enough that each NumPy call does real work,
    few enough that a chunk's work arrays stay small (larger ones come fresh from the system,
    page by page, on every call), whatever the batch."""
    return max(1, cg.POOL_FORWARD_CHUNK_BYTES // (per_plane * 8))


def _window_entries(rows: list[tuple[int, int]], cols: list[tuple[int, int]], h: int, hz: int) -> bytes:
    """Every (output, input entry, divisor) triple the band tables give, window ``(p, q)`` dividing
    by ``h_p w_q``, sorted, as bytes (vec indices ``q h_a + p`` and ``c h + r``)."""
    (rs, re), (cs, ce) = (np.array(b, np.int64).T.reshape(2, -1) for b in (rows, cols))
    heights, widths = re - rs, ce - cs
    p, q = np.repeat(np.arange(len(rows)), len(cols)), np.tile(np.arange(len(cols)), len(rows))
    counts = heights[p] * widths[q]
    k = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    height = np.repeat(heights[p], counts)
    r, c = np.repeat(rs[p], counts) + k % height, np.repeat(cs[q], counts) + k // height
    return cg.sorted_rows(np.repeat(q * hz + p, counts), c * h + r, np.repeat(counts, counts))


def _core_entries(jac: Any) -> bytes:
    """The same triples read off the core's ``d vA/d vI``: its stored values must all be ``1/D``
    for whole ``D`` (0 marks one that is not)."""
    return cg.sorted_rows(jac.rows, jac.cols, cg.unit_divisors(jac.table)[np.asarray(jac.ids)])


def plan_adaptive_avgpool(d: AdaptiveAvgDerivation, names: cg.Names) -> cg.Block:
    """The module builds its band weight matrices from the window tables (row ``p`` holds
    ``1/h_p`` on band ``p``), and their outer products are the windows' weights ``1/(h_p w_q)``
    in both passes.  The windows must give the core's ``d vA/d vI`` entry for entry: the pairs
    (output, input entry), each with its window's weight.  Output ``(1, 1)`` is one sum over
    the whole plane: its one window must be the plane."""
    rows, cols = _windows(d)
    jac = d.jacobian("I", j=0)
    (h, w), hz = d.input_size, d.spec.output_size[0]
    require(_window_entries(rows, cols, h, hz) == _core_entries(jac), "the averaging matrices differ from d vA/d vI")
    whole = _whole(d, rows, cols)
    nz, n = d._sizes
    entries, small = cg.jacobian_size([(nz, n)], 1)
    c = names.const
    args: dict[str, Any] = {"channels": d.channels, "h": h, "w": w, "rows": tuple(rows), "cols": tuple(cols)}
    args |= {"chunk": _chunk(h * w), "whole": whole}  # adaptive_avg_plan's arguments
    record, plan = _plan(c, adaptive_avg_plan, args, {})
    context = {
        **_common(d, names),
        "plan": plan,
        "whole": whole,
        "tables": cg.index_tables(c, small, jac.nnz, {"JAC_OUT": jac.rows, "JAC_INP": jac.cols}),
        "jacobian_entries": entries,
    }
    return cg.Block(
        "adaptive_avgpool.py.j2",
        context,
        cg.Call((names.x_out,), f"{names.fn}forward", (names.x_in,)),
        cg.Call(("g",), f"{names.fn}backward", ("g",)),
        kernels=(avg_kernel.__name__,),
        records={"PLAN": record},
    )


def plan_adaptive_maxpool(d: AdaptiveMaxDerivation, names: cg.Names) -> cg.Block:
    """The module routes switch ``i`` of window ``(p, q)`` to row ``rs_p + (i - 1) mod h_p`` and
    column ``cs_q + floor((i - 1) / h_p)``; for every ``i`` up to the largest window, that must be
    the input entry the core's :meth:`AdaptiveMaxDerivation.selected` gives, wherever ``i`` fits."""
    rows, cols = _windows(d)
    h, w = d.input_size
    heights = np.array([b - a for a, b in rows])[:, None]
    sizes = heights * np.array([b - a for a, b in cols])[None, :]
    starts_r = np.array([a for a, _ in rows])[:, None]
    starts_c = np.array([a for a, _ in cols])[None, :]
    for i in range(1, int(sizes.max()) + 1):
        sw = np.full(sizes.shape, i)
        routed = (starts_c + (i - 1) // heights) * h + starts_r + (i - 1) % heights + 1
        fits = i <= sizes
        require(np.array_equal(routed[fits], d.selected(sw)[fits]), f"switch {i} is not routed where eq.b-2.3 says")
    overlapping = _overlap(rows) or _overlap(cols)
    nz, n = d._sizes
    entries, _ = cg.jacobian_size([(nz, n)], 1)
    window = int(sizes.max())
    whole = _whole(d, rows, cols)
    # the sweeps' keys run from 0 to the window's size - 1; the gathered windows are nz x window per plane
    key_type = "int8" if window <= 2**7 else "int16" if window <= 2**15 else "int64"
    c = names.const
    args: dict[str, Any] = {"channels": d.channels, "h": h, "w": w, "rows": tuple(rows), "cols": tuple(cols)}
    args |= {"window": window, "chunk": _chunk(max(n, nz * window)), "row_ties": d.spec.tie_order == "row"}
    args |= {"whole": whole, "overlapping": overlapping, "key_type": getattr(np, key_type)}  # adaptive_max_plan's
    record, plan = _plan(c, adaptive_max_plan, args, {"key_type": f"np.{key_type}"})
    context = {
        **_common(d, names),
        "plan": plan,
        "row_ties": record.row_ties,
        "jacobian_entries": entries,
    }
    saved = names.saved
    return cg.Block(
        "adaptive_maxpool.py.j2",
        context,
        cg.Call((names.x_out, saved), f"{names.fn}forward", (names.x_in,)),
        cg.Call(("g",), f"{names.fn}backward", ("g", saved)),
        kernels=(max_kernel.__name__,),
        records={"PLAN": record},
    )
