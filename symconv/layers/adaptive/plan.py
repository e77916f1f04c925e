"""Generated code for adaptive average and max pooling: the data
``templates/numpy/adaptive_avgpool.py.j2`` and ``adaptive_maxpool.py.j2`` lay out, each window
checked against the core's Jacobian or switch rule (3.1.3, Appendix B)."""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from ...codegen import plans as cg
from ...codegen.printer import literal_lines
from ...errors import require
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


def _common(d: _AdaptiveDerivation, names: cg.Names) -> dict[str, object]:
    rows, cols = _windows(d)
    (h, w), (hz, wz) = d.input_size, d.spec.output_size
    return {
        "fn": names.fn,
        "c": names.const,
        "constants": cg.constants(
            [("C", str(d.channels)), ("H", str(h)), ("W", str(w)), ("HZ", str(hz)), ("WZ", str(wz))]
        ),
        "row_windows": literal_lines(rows),
        "col_windows": literal_lines(cols),
        "in_shape": cg.shape_text((d.channels, h, w)),
        "out_shape": cg.shape_text((d.channels, hz, wz)),
        "jacobian_limit": cg.JACOBIAN_LIMIT,
        "spec": d.spec,
    }


def plan_adaptive_avgpool(d: AdaptiveAvgDerivation, names: cg.Names) -> cg.Block:
    """The module sums each window band by band and weights window ``(p, q)`` by
    ``1/(h_p w_q)``: the pairs (output, input entry) its bands give, with that weight, must be
    the core's ``d vA/d vI`` entry for entry."""
    rows, cols = _windows(d)
    jac = d.jacobian("I", j=0)
    (h, _), (hz, _) = d.input_size, d.spec.output_size
    written = sorted(
        ((q * hz + p, c * h + r), sp.Rational(1, (re - rs) * (ce - cs)))
        for p, (rs, re) in enumerate(rows)
        for q, (cs, ce) in enumerate(cols)
        for r in range(rs, re)
        for c in range(cs, ce)
    )
    core = sorted(((int(r), int(c)), jac.table[int(i)]) for r, c, i in zip(jac.rows, jac.cols, jac.ids, strict=True))
    require(written == core, "the averaging matrices differ from d vA/d vI")
    nz, n = d._sizes
    entries, small = cg.jacobian_size([(nz, n)], 1)
    c = names.const
    context = {
        **_common(d, names),
        "tables": cg.index_tables(c, small, jac.nnz, {"JAC_OUT": jac.rows, "JAC_INP": jac.cols}),
        "jacobian_entries": entries,
        "row_overlap": _overlap(rows),
        "col_overlap": _overlap(cols),
    }
    return cg.Block(
        "adaptive_avgpool.py.j2",
        context,
        cg.Call((names.x_out,), f"{names.fn}forward", (names.x_in,)),
        cg.Call(("g",), f"{names.fn}backward", ("g",)),
    )


def plan_adaptive_maxpool(d: AdaptiveMaxDerivation, names: cg.Names) -> cg.Block:
    """The module routes switch ``i`` of window ``(p, q)`` to row ``rs_p + (i - 1) mod h_p`` and
    column ``cs_q + floor((i - 1) / h_p)``; for every ``i`` up to the largest window, that must be
    the input entry the core's :meth:`AdaptiveMaxDerivation.selected` gives, wherever ``i`` fits."""
    rows, cols = _windows(d)
    h = d.input_size[0]
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
    chunk = max(1, cg.POOL_CHUNK_BYTES // (sizes.size * window * 8))  # planes of gathered windows at a time
    context = {
        **_common(d, names),
        "extra_constants": [("WINDOW", str(window)), ("CHUNK", str(chunk))],
        "row_ties": d.spec.tie_order == "row",
        "overlapping": overlapping,
        "jacobian_entries": entries,
    }
    saved = names.saved
    return cg.Block(
        "adaptive_maxpool.py.j2",
        context,
        cg.Call((names.x_out, saved), f"{names.fn}forward", (names.x_in,)),
        cg.Call(("g",), f"{names.fn}backward", ("g", saved)),
    )
