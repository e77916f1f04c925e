"""What goes into each generated layer: data read off the core's derivation objects.

One function per layer kind (the table :data:`PLANNERS`) turns a layer's derivation into
a :class:`Block`: the template that lays it out and the numbers it lays out (shapes,
slice starts and steps, coefficients, printed expressions, Jacobian index tables).
Every number comes from the derivation (the window map, the vec Jacobians, the
activation's SymPy derivative) and is checked against it here, at generation time;
templates hold no math of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from ..rules.base import Derivation
from ..rules.conv import ConvDerivation
from ..rules.elementwise import ActivationDerivation, DenseDerivation, FlattenDerivation, SoftmaxDerivation
from ..rules.pool import AvgPoolDerivation, MaxPoolDerivation
from ..sparse import VecJacobian
from ..symbols import vec_order
from .printer import code, identifier, literal_lines, tuple_text
from .slices import SliceModel, assert_input_jacobian, assert_kernel_jacobian, slice_model

#: the largest dense vec Jacobian (entries) a generated ``jacobians`` function returns
JACOBIAN_LIMIT = 1_000_000
#: the conv passes gather the windows of this many bytes (float64) at a time, to stay in cache
CHUNK_BYTES = 1 << 21
#: a stride-1 conv takes about this many (padded) output positions per chunk, its products
#: then being wide enough for the BLAS; fewer when its windows would take more than FLAT_BYTES
#: (float64), so that a many-channel layer's work space stays near the CPU cache
FLAT_COLUMNS = 4096
FLAT_BYTES = 1 << 23
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
#: index tables longer than this are not written into a module (its ``jacobians`` refuses)
TABLE_LIMIT = 20_000


@dataclass(frozen=True)
class Call:
    """One line of a network's chain: ``outs = fn(args)`` (layout data for the template)."""

    outs: tuple[str, ...]
    fn: str
    args: tuple[str, ...]


@dataclass
class Block:
    """A layer's generated code: ``template`` rendered with ``context``, plus how a
    network module calls it (``forward``, ``backward`` and, for the loss, ``loss``)."""

    template: str
    context: dict[str, Any]
    forward: Call
    backward: Call
    loss: Call | None = None
    params: dict[str, str] = field(default_factory=dict)  # name in the layer -> network key


@dataclass(frozen=True)
class Names:
    """How a block names its functions (``{fn}forward``) and constants (``{const}HK``),
    and, inside a network, its input, output and parameters."""

    fn: str = ""
    const: str = "_"
    x_in: str = "x"
    x_out: str = "y"
    saved: str = "saved"
    keys: dict[str, str] = field(default_factory=dict)

    def param(self, name: str) -> str:
        return f'params["{identifier(self.keys.get(name, name))}"]'

    def grad(self, name: str) -> str:
        return f'grads["{identifier(self.keys.get(name, name))}"]'


def _shape(shape: tuple[int, ...]) -> str:
    return tuple_text(shape)


def _constants(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    for name, _ in pairs:
        identifier(name)
    return pairs


def _table(name: str, values: list[object]) -> dict[str, Any]:
    return {"name": identifier(name), "lines": literal_lines(values)}


def _geometry_constants(m: SliceModel) -> list[tuple[str, str]]:
    t, _b, left, _right = m.padding
    return [
        ("H", str(m.input[0])),
        ("W", str(m.input[1])),
        ("HP", str(m.padded[0])),
        ("WP", str(m.padded[1])),
        ("HZ", str(m.output[0])),
        ("WZ", str(m.output[1])),
        ("T", str(t)),
        ("L", str(left)),
        ("SH", str(m.stride[0])),
        ("SW", str(m.stride[1])),
        ("DH", str(m.dilation[0])),
        ("DW", str(m.dilation[1])),
    ]


def _offsets(m: SliceModel) -> list[tuple[int, ...]]:
    """``(r, s, row start, row stop, column start, column stop)`` of the slice behind
    kernel position ``(r, s)``, row-major over the kernel."""
    rstop, cstop = m.stops()
    return [(r, s, m.row0[r], rstop[r], m.col0[s], cstop[s]) for r in range(m.kernel[0]) for s in range(m.kernel[1])]


def vomega_position(i: int, hl: int) -> tuple[int, int]:
    """eq.b-2.1: entry ``i`` (1-based) of ``vΩ`` sits at block row ``r_b = i - (c_b - 1) h_l`` and
    column ``c_b = ceil(i / h_l)``; returned 0-based, ``(r_b - 1, c_b - 1)``."""
    c_b = -(-i // hl)
    r_b = i - (c_b - 1) * hl
    return r_b - 1, c_b - 1


def _window_order(d: MaxPoolDerivation, m: SliceModel) -> list[tuple[int, ...]]:
    """``(i, row start, row stop, column start, column stop)`` for ``i = 1 .. h_l w_l``,
    the seed's index into ``vΩ`` (column-major inside the window).

    The kernel position of ``i`` comes from eq.b-2.1; each is checked against the core's
    eq.b-2.1 to eq.b-2.3 (:meth:`MaxPoolDerivation.selected`): a switch equal to ``i``
    everywhere must pick, for every output, the input entry of this slice."""
    hl, wl = m.kernel
    rstop, cstop = m.stops()
    predicted = m.vec_index()  # [p, q, r, s] -> vec index or -1
    out: list[tuple[int, ...]] = []
    for i in range(1, hl * wl + 1):
        r, s = vomega_position(i, hl)
        chosen = d.selected(np.full(m.output, i)) - 1  # 0-based vec index, -1 in the padding
        assert np.array_equal(chosen, predicted[:, :, r, s]), f"switch {i} does not select slice ({r}, {s})"
        out.append((i, m.row0[r], rstop[r], m.col0[s], cstop[s]))
    return out


def _input_lines(m: SliceModel) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """For each window row ``r``: the unpadded input row that output row ``p`` reads there, or
    -1 in the padding (and the same for columns); read off the checked slice model."""
    rows, cols = m.positions()
    t, _, left, _ = m.padding
    h, w = m.input
    r_in = rows[:, 0, :, 0].T - t  # [r, p]
    c_in = cols[0, :, 0, :].T - left  # [s, q]
    r_in = np.where((r_in >= 0) & (r_in < h), r_in, -1)
    c_in = np.where((c_in >= 0) & (c_in < w), c_in, -1)
    return [tuple(int(v) for v in row) for row in r_in], [tuple(int(v) for v in col) for col in c_in]


Run = tuple[int, int, tuple[int, ...]]


def _runs(lines: list[tuple[int, ...]], size: int, step: int) -> list[Run]:
    """The backward spread along one axis as write-once runs ``(i0, i1, starts)``: the input
    rows ``i0, i0 + step, ... < i1`` (``m`` of them) receive the sum, over ``p0`` in ``starts``
    (in window-row order), of the output rows ``p0 .. p0 + m - 1``; no starts: no window reads
    those rows.  ``lines[r][p]`` is the input row window row ``r`` of output row ``p`` holds
    (-1 in the padding).  Every input row is in exactly one run, so each is written once."""
    terms: list[list[tuple[int, int]]] = [[] for _ in range(size)]  # (r, p) reading input row i
    for r, line in enumerate(lines):
        for p, i in enumerate(line):
            if i >= 0:
                terms[i].append((r, p))

    def continues(head: list[tuple[int, int]], here: list[tuple[int, int]], shift: int) -> bool:
        """Whether ``here`` reads the same window rows as ``head``, each ``shift`` outputs on."""
        return [r for r, _ in here] == [r for r, _ in head] and all(
            p == p0 + shift for (_, p), (_, p0) in zip(here, head, strict=True)
        )

    runs: list[Run] = []
    for residue in range(min(step, size)):
        rows = range(residue, size, step)
        start = 0
        for k in range(1, len(rows) + 1):
            if k < len(rows) and continues(terms[rows[start]], terms[rows[k]], k - start):
                continue
            runs.append((rows[start], rows[k - 1] + 1, tuple(p for _, p in terms[rows[start]])))
            start = k
    return sorted(runs)


def _whole_classes(
    runs: list[Run], size: int, step: int, source: int
) -> tuple[list[tuple[int, tuple[int, ...]]], list[Run]]:
    """When ``size == step * source`` (each row of the target holds ``step`` entries per source
    entry), a run's entries ``e, e + step, ...`` form, over all the rows of a chunk, one evenly
    spaced slice of the flattened target, and its sources shifted slices of the flattened
    source.  For each residue class ``e`` its longest run is so written over the whole class
    at once: ``(e, shifts)``, shift ``p0 - i0 // step`` per start (entries of other runs get
    wrong sums there); the runs left are written after it and overwrite those entries."""
    if size != step * source:
        return [], runs
    classes, rest = [], []
    for e in range(step):
        mine = [run for run in runs if run[0] % step == e]
        longest = max(mine, key=lambda run: len(range(run[0], run[1], step)))
        classes.append((e, tuple(p0 - longest[0] // step for p0 in longest[2])))
        rest += [run for run in mine if run is not longest]
    return classes, sorted(rest)


def _run_terms(runs: list[Run], size: int, step: int) -> list[list[int]]:
    """``[i]``: the output rows the runs add into input row ``i`` (to check them against the core)."""
    out: list[list[int]] = [[] for _ in range(size)]
    for i0, i1, starts in runs:
        for k, i in enumerate(range(i0, i1, step)):
            out[i] += [p0 + k for p0 in starts]
    return out


def _jacobian_size(shapes: list[tuple[int, int]], count: int) -> tuple[int, bool]:
    entries = max(a * b for a, b in shapes) * count
    return entries, entries <= JACOBIAN_LIMIT


# -- convolution ------------------------------------------------------------------------


def plan_conv(d: ConvDerivation, names: Names) -> Block:
    """Appendix A / 3.1.5.  The slices come from the window map and are checked against
    ``d vZ/d vK`` (eq.a1-3) and ``d vZ/d vA`` (eq.a2-3) of the core; ``d vZ/d b`` must be
    a column of ones (3.1.5)."""
    m = slice_model(d.geometry)
    jac_k = d.jacobian("K", j=0, i=0)
    assert_kernel_jacobian(m, jac_k)
    assert_input_jacobian(m, d.jacobian("A", j=0, i=0))
    if d.bias is not None:
        ones = d.jacobian("b", j=0).to_numpy()
        assert np.array_equal(ones, np.ones_like(ones)), "d vZ/d b is not a column of ones"
    cin, cout = d.cin, d.cout
    hk, wk = d.spec.kernel
    nz = m.output[0] * m.output[1]
    na = m.input[0] * m.input[1]
    entries, small = _jacobian_size([(nz, hk * wk), (nz, na)], 1)
    tables = small and jac_k.nnz <= TABLE_LIMIT
    bias = d.bias is not None
    c = names.const
    constants = _constants(
        [
            ("CIN", str(cin)),
            ("COUT", str(cout)),
            ("HK", str(hk)),
            ("WK", str(wk)),
            *_geometry_constants(m),
        ]
    )
    # stride 1: the windows are read in flat padded coordinates (see conv.py.j2)
    flat = m.stride == (1, 1)
    per_example = cin * hk * wk * (m.padded[0] * m.padded[1] if flat else nz) * 8
    if flat:
        columns = min(FLAT_COLUMNS, FLAT_BYTES // (cin * hk * wk * 8))
        chunk = max(1, round(columns / (m.padded[0] * m.padded[1])))
    else:
        chunk = max(1, CHUNK_BYTES // per_example)
    context = {
        "flat": flat,
        "fn": names.fn,
        "c": c,
        "constants": constants,
        "chunk": chunk,
        "chunk_bytes": chunk * per_example,
        "offsets": literal_lines(_offsets(m)),
        "bias": bias,
        "in_shape": _shape((cin, *m.input)),
        "k_shape": _shape((cout, cin, hk, wk)),
        "out_shape": _shape((cout, *m.output)),
        "tables": [
            _table(f"{c}JAC_OUT", [int(v) for v in jac_k.rows]),
            _table(f"{c}JAC_KER", [int(v) for v in jac_k.cols]),
            _table(f"{c}JAC_INP", [int(v) for v in jac_k.ids]),
        ]
        if tables
        else [],
        "jacobian_entries": entries,
        "jacobian_limit": JACOBIAN_LIMIT,
        "spec": d.spec,
    }
    k, b = names.param("K"), names.param("b")
    fwd_args = (names.x_in, k, b) if bias else (names.x_in, k)
    bwd_outs = ("g", names.grad("K"), names.grad("b")) if bias else ("g", names.grad("K"))
    return Block(
        "conv.py.j2",
        context,
        Call((names.x_out,), f"{names.fn}forward", fwd_args),
        Call(bwd_outs, f"{names.fn}backward", ("g", names.x_in, k)),
        params={"K": names.keys.get("K", "K"), **({"b": names.keys.get("b", "b")} if bias else {})},
    )


# -- pooling ------------------------------------------------------------------------------


def _sweep_constants(m: SliceModel) -> list[tuple[str, str]]:
    """What a pooling forward pass needs to sweep down the window rows, then across the window
    columns, a chunk of padded planes at a time: the window size, the rows (columns) that the
    ``h_z`` (``w_z``) windows' row (column) ``r`` (``s``) span, and the chunk."""
    hl, wl = m.kernel
    return [
        ("HL", str(hl)),
        ("WL", str(wl)),
        ("ROW_SPAN", str((m.output[0] - 1) * m.stride[0] + 1)),
        ("COL_SPAN", str((m.output[1] - 1) * m.stride[1] + 1)),
        ("FORWARD_CHUNK", str(max(1, POOL_FORWARD_CHUNK_BYTES // (m.padded[0] * m.padded[1] * 8)))),
    ]


def _pool_chunk(plane: tuple[int, int]) -> int:
    """How many (float64) planes of this size a pooling backward pass handles at a time."""
    return max(1, POOL_CHUNK_BYTES // (plane[0] * plane[1] * 8))


def _checked_runs(m: SliceModel, jac: VecJacobian) -> tuple[list[Run], list[Run]]:
    """The row and column runs of the average-pooling backward pass (:func:`_runs`), read off the
    slice model; together they must add output ``(p, q)`` into exactly the input entries of its
    column of the core's ``d vA/d vI`` (3.1.3)."""
    (h, w), (hz, _) = m.input, m.output
    rows, cols = _input_lines(m)
    row_runs, col_runs = _runs(rows, h, m.stride[0]), _runs(cols, w, m.stride[1])
    row_terms, col_terms = _run_terms(row_runs, h, m.stride[0]), _run_terms(col_runs, w, m.stride[1])
    pairs = sorted(
        (q * hz + p, j * h + i) for i in range(h) for j in range(w) for p in row_terms[i] for q in col_terms[j]
    )
    assert pairs == sorted(zip(jac.rows.tolist(), jac.cols.tolist(), strict=True)), "runs differ from d vA/d vI"
    return row_runs, col_runs


def plan_avgpool(d: AvgPoolDerivation, names: Names) -> Block:
    """3.1.3: ``A_j = I_j * P``.  The slices are checked against ``d vA/d vI`` of the
    core, whose every stored value must be the coefficient ``1/(h_l w_l)``; so are the runs
    the backward pass spreads ``dA`` with (:func:`_checked_runs`)."""
    m = slice_model(d.geometry)
    jac = d.jacobian("I", j=0)
    assert_input_jacobian(m, jac, ids_are_kernel=False)
    row_runs, col_runs = _checked_runs(m, jac)
    hl, wl = m.kernel
    tiles = (
        not any(m.padding)
        and m.stride == m.kernel
        and m.dilation == (1, 1)
        and (m.output[0] * hl, m.output[1] * wl) == m.input
    )
    # wide tiles: one np.repeat spreads the columns faster than a strided copy per window column
    repeat_columns = tiles and wl >= REPEAT_FROM
    col_classes, col_rest = _whole_classes(col_runs, m.input[1], m.stride[1], m.output[1])
    if repeat_columns:
        col_classes, col_rest = [], []
    values = {jac.table[int(i)] for i in set(jac.ids.tolist())}
    assert values <= {d.coefficient}, f"average-pooling Jacobian values {values}"  # none: windows all in the padding
    nz, n = m.output[0] * m.output[1], m.input[0] * m.input[1]
    entries, small = _jacobian_size([(nz, n)], 1)
    c = names.const
    chunk = ("CHUNK", str(_pool_chunk(m.input)))
    context = {
        "fn": names.fn,
        "c": c,
        "constants": _constants(
            [
                ("C", str(d.channels)),
                *_geometry_constants(m),
                ("COEF", code(d.coefficient)),
                *_sweep_constants(m),
                chunk,
            ]
        ),
        "coefficient": str(d.coefficient),
        "row_runs": literal_lines(row_runs),
        "col_classes": literal_lines(col_classes),
        "col_runs": literal_lines(col_rest),
        "tiles": tiles,
        "repeat_columns": repeat_columns,
        "spread_runs": bool(col_rest) or not tiles,
        "window": m.kernel,
        "padded": any(m.padding),
        "in_shape": _shape((d.channels, *m.input)),
        "out_shape": _shape((d.channels, *m.output)),
        "tables": [
            _table(f"{c}JAC_OUT", [int(v) for v in jac.rows]),
            _table(f"{c}JAC_INP", [int(v) for v in jac.cols]),
        ]
        if small and jac.nnz <= TABLE_LIMIT
        else [],
        "jacobian_entries": entries,
        "jacobian_limit": JACOBIAN_LIMIT,
        "spec": d.spec,
    }
    return Block(
        "avgpool.py.j2",
        context,
        Call((names.x_out,), f"{names.fn}forward", (names.x_in,)),
        Call(("g",), f"{names.fn}backward", ("g",)),
    )


def _routes(d: MaxPoolDerivation, m: SliceModel) -> tuple[list[int], list[int], list[int]]:
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
        assert np.array_equal(corners + offsets[i], at), f"switch {i} is not routed to the entry eq.b-2.3 selects"
    return rows, cols, offsets


def plan_maxpool(d: MaxPoolDerivation, names: Names) -> Block:
    """Appendix B: the window order is the seed's ``vΩ`` (eq.b-2.1), each slice checked
    against the core's eq.b-2.1 to eq.b-2.3; padded entries take part as ``pad_value``.
    The backward routes are checked the same way (:func:`_routes`)."""
    m = slice_model(d.geometry)
    order = _window_order(d, m)
    row_corners, col_corners, offsets = _routes(d, m)
    nz, n = m.output[0] * m.output[1], m.input[0] * m.input[1]
    entries, _ = _jacobian_size([(nz, n)], 1)
    c = names.const
    hl, wl = m.kernel
    switch_type = "np.uint8" if hl * wl < 2**8 else "np.int16" if hl * wl < 2**15 else "np.int64"
    pairs = hl * wl <= PAIR_WINDOW_LIMIT
    odd_plane = nz % 2 == 1
    chunk = _pool_chunk(m.padded)
    chunk += chunk % 2 if pairs and odd_plane else 0  # chunks of pairs start on a pair
    context = {
        "fn": names.fn,
        "c": c,
        "constants": _constants(
            [
                ("C", str(d.channels)),
                *_geometry_constants(m),
                ("PAD_VALUE", code(d._fill)),
                ("WINDOW", str(hl * wl)),
                *_sweep_constants(m),
                ("CHUNK", str(chunk)),
                ("FRESH_BYTES", str(FRESH_BYTES)),
            ]
        ),
        "switch_type": switch_type,
        "window_size": hl * wl,
        "row_corners": literal_lines(row_corners),
        "col_corners": literal_lines(col_corners),
        "offsets": literal_lines(offsets, indent=8),
        "padded": any(m.padding),
        "order": literal_lines(order),
        "pad_value": code(d._fill),
        "overlapping": m.overlapping(),
        "pairs": pairs,
        "odd_plane": odd_plane,
        "in_shape": _shape((d.channels, *m.input)),
        "out_shape": _shape((d.channels, *m.output)),
        "jacobian_entries": entries,
        "jacobian_limit": JACOBIAN_LIMIT,
        "spec": d.spec,
    }
    saved = names.saved
    return Block(
        "maxpool.py.j2",
        context,
        Call((names.x_out, saved), f"{names.fn}forward", (names.x_in,)),
        Call(("g",), f"{names.fn}backward", ("g", saved)),
    )


# -- elementwise, flatten, dense, softmax ---------------------------------------------------

_F = sp.Symbol("F", real=True)

#: cheaper forms of f' written with the forward value F = f(x); each is proved equal to
#: SymPy's derivative of f when a module is generated
CHEAPER: dict[str, sp.Expr] = {
    "sigmoid": _F * (1 - _F),
    "tanh": 1 - _F**2,
}


def _proved_derivative(d: ActivationDerivation) -> tuple[str, bool]:
    """``f'`` as code in ``Z`` (the input) or, when a cheaper form in ``F = f(Z)`` exists,
    that form after SymPy shows it equals the core's ``ActivationDerivation.derivative``."""
    (x,) = d.derivative.variables
    exact = d.derivative.expr
    cheap = CHEAPER.get(d.kind)
    if cheap is None:
        return code(exact, {x: "Z"}), False
    difference = sp.simplify(cheap.xreplace({_F: d.f.expr}) - exact)
    assert difference == 0, f"the cheaper derivative of {d.kind} is not f': {difference}"
    return code(cheap, {_F: "F"}), True


def plan_activation(d: ActivationDerivation, names: Names) -> Block:
    """3.1.4: ``I = f(Z)`` entrywise; ``d vI_j / d vZ_j = diag(f'(z_{j,pq}))``.  The core's
    Jacobian must be diagonal with entry ``k`` equal to ``f'(z_k)``."""
    jac = d.jacobian("Z", j=0)
    n = d.per_channel
    assert np.array_equal(jac.rows, np.arange(n)) and np.array_equal(jac.cols, np.arange(n)), "not diagonal"
    (x,) = d.derivative.variables
    z0 = d.input.flat[0]
    assert sp.simplify(jac[0, 0] - d.derivative.expr.xreplace({x: z0})) == 0, "diagonal entry is not f'(z)"
    derivative, uses_forward = _proved_derivative(d)
    (fx,) = d.f.variables
    shape = d.spec.in_shape
    entries, _ = _jacobian_size([(n, n)], 1)
    context = {
        "fn": names.fn,
        "c": names.const,
        "constants": [],
        "kind": d.kind,
        "forward_code": code(d.f.expr, {fx: "Z"}),
        "derivative_code": derivative,
        "derivative_uses_forward": uses_forward,
        "derivative_text": str(d.derivative.expr).replace(str(x), "z"),
        "in_shape": _shape(shape),
        "channels": d.channels,
        "per_channel": n,
        "image": len(shape) == 3,
        "jacobian_entries": entries,
        "jacobian_limit": JACOBIAN_LIMIT,
        "spec": d.spec,
    }
    return Block(
        "activation.py.j2",
        context,
        Call((names.x_out,), f"{names.fn}forward", (names.x_in,)),
        Call(("g",), f"{names.fn}backward", ("g", names.x_in)),
    )


def plan_flatten(d: FlattenDerivation, names: Names) -> Block:
    """3.1.2: ``B = [vec(A_1); ...; vec(A_c)]``.  ``B`` shares its symbols with ``A`` in the
    core, so position ``m`` of ``B`` is the input entry at vec position ``m``; the generated
    ``A.transpose(0, 1, 3, 2).reshape(N, -1)`` is checked to give that order, and
    ``dB/d vA`` must be the identity."""
    c, h, w = d.spec.in_shape
    jac = d.jacobian("A")
    assert np.array_equal(jac.rows, jac.cols) and jac.nnz == c * h * w, "dB/dvA is not the identity"
    assert d.output.flat == d.input.flat, "B is not the stacked channel vecs of A"
    labels = np.arange(c * h * w).reshape(c, h, w)  # C-order position of each entry
    axes = (0, 2, 1)  # per example: swap rows and columns, then read row-major
    assert np.array_equal(labels.transpose(axes).reshape(-1), vec_order(labels)), "flatten order"
    context = {
        "fn": names.fn,
        "c": names.const,
        "constants": [],
        "in_shape": _shape((c, h, w)),
        "axes": tuple_text((0, *(a + 1 for a in axes))),
        "unaxes": tuple_text((0, *(a + 1 for a in np.argsort(axes)))),
        "swapped": _shape((c, w, h)),
        "size": c * h * w,
        "spec": d.spec,
    }
    return Block(
        "flatten.py.j2",
        context,
        Call((names.x_out,), f"{names.fn}forward", (names.x_in,)),
        Call(("g",), f"{names.fn}backward", ("g",)),
    )


def plan_dense(d: DenseDerivation, names: Names) -> Block:
    """3.1.1: ``Z = W^T B + b``.  The core's ``dZ/dB`` must hold ``w_{ik}`` at row ``k``,
    column ``i`` (so a batch computes ``B @ W``), and ``dZ/d vec(W)`` the entry ``B_i``."""
    n_in, n_out = d.n_in, d.n_out
    jac_b = d.jacobian("B")
    expected = np.array([d.weights.flat_index(int(i), int(k)) for k, i in zip(jac_b.rows, jac_b.cols, strict=True)])
    assert np.array_equal(jac_b.ids, expected), "dZ/dB is not W^T"
    jac_w = d.jacobian("W")
    assert np.array_equal(jac_w.ids, jac_w.cols % n_in) and np.array_equal(jac_w.cols // n_in, jac_w.rows), (
        "dZ/d vec(W) is not B in block k"
    )
    bias = d.bias is not None
    entries, small = _jacobian_size([(n_out, n_in * n_out)], 1)
    w, b = names.param("W"), names.param("b")
    c = names.const
    context = {
        "fn": names.fn,
        "c": c,
        "constants": _constants([("N_IN", str(n_in)), ("N_OUT", str(n_out))]),
        "n_in": n_in,
        "bias": bias,
        "tables": [
            _table(f"{c}JAC_B_ROWS", [int(v) for v in jac_b.rows]),
            _table(f"{c}JAC_B_COLS", [int(v) for v in jac_b.cols]),
            _table(f"{c}JAC_B_IDS", [int(v) for v in jac_b.ids]),
            _table(f"{c}JAC_W_ROWS", [int(v) for v in jac_w.rows]),
            _table(f"{c}JAC_W_COLS", [int(v) for v in jac_w.cols]),
            _table(f"{c}JAC_W_IDS", [int(v) for v in jac_w.ids]),
        ]
        if small and jac_w.nnz <= TABLE_LIMIT
        else [],
        "jacobian_entries": entries,
        "jacobian_limit": JACOBIAN_LIMIT,
        "spec": d.spec,
    }
    fwd_args = (names.x_in, w, b) if bias else (names.x_in, w)
    bwd_outs = ("g", names.grad("W"), names.grad("b")) if bias else ("g", names.grad("W"))
    return Block(
        "dense.py.j2",
        context,
        Call((names.x_out,), f"{names.fn}forward", fwd_args),
        Call(bwd_outs, f"{names.fn}backward", ("g", names.x_in, w)),
        params={"W": names.keys.get("W", "W"), **({"b": names.keys.get("b", "b")} if bias else {})},
    )


def plan_softmax(d: SoftmaxDerivation, names: Names) -> Block:
    """3.1.1: ``a = softmax(z)``, ``J = -sum_k y_k log a_k``.  Generation checks with SymPy
    that the core's chain ``dJ/dA dA/dZ`` is ``(a - y)^T`` for every one-hot ``y``, and that
    the shifted forms the code uses (``z - max z``, log-sum-exp) are the same functions."""
    n = d.n
    chain = d.jacobian("Z").rmul_symbolic(d.loss_gradient())
    a, y = d.output.flat, d.labels.flat
    for k in range(n):
        onehot = {y[m]: (1 if m == k else 0) for m in range(n)}
        for m in range(n):
            got = sp.expand(sp.cancel(chain[m].xreplace(onehot)))
            assert got == a[m] - (1 if m == k else 0), f"dJ/dz_{m + 1} for class {k + 1}: {got}"
    z = d.input.flat
    shift = sp.Symbol("m", real=True)
    total = sp.Add(*[sp.exp(zj) for zj in z])
    shifted = sp.exp(z[0] - shift) / sp.Add(*[sp.exp(zj - shift) for zj in z])
    # exp(a - b) = exp(a) exp(-b), then a rational function of the exponentials: exact, and
    # 30 times faster than simplify
    apart = sp.cancel(sp.expand(shifted - d.softmax[0], power_exp=True, mul=False, multinomial=False))
    assert apart == 0, "the shifted softmax differs"
    logsumexp = shift + sp.log(sp.Add(*[sp.exp(zj - shift) for zj in z]))
    assert sp.expand(sp.expand(sp.exp(logsumexp)) - total, power_exp=True) == 0, "log-sum-exp differs"
    loss = sp.expand_log(-sp.log(d.softmax[0]), force=True)
    assert sp.expand(loss - (sp.log(total) - z[0])) == 0, "-log a_k is not log-sum-exp minus z_k"
    context = {"fn": names.fn, "c": names.const, "constants": [], "classes": n, "last_class": n - 1, "spec": d.spec}
    return Block(
        "softmax.py.j2",
        context,
        Call((names.x_out,), f"{names.fn}forward", (names.x_in,)),
        Call(("g",), f"{names.fn}backward", (names.x_out, "labels")),
        loss=Call(("J",), f"{names.fn}loss", (names.x_in, "labels")),
    )


PLANNERS: dict[str, Callable[[Any, Names], Block]] = {
    "conv2d": plan_conv,
    "maxpool2d": plan_maxpool,
    "avgpool2d": plan_avgpool,
    "relu": plan_activation,
    "sigmoid": plan_activation,
    "tanh": plan_activation,
    "flatten": plan_flatten,
    "dense": plan_dense,
    "softmax_cross_entropy": plan_softmax,
}


def plan(d: Derivation, names: Names) -> Block:
    """The block of one layer's derivation."""
    return PLANNERS[d.kind](d, names)
