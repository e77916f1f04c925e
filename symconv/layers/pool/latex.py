"""Pooling layers' document data: average pooling as a convolution with ``P`` (3.1.3)
and max pooling as Appendix B, with the switches worked out on concrete numbers."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from ... import ops
from ...errors import SpecError
from ...geometry import Geometry
from ...latex import common, pictures
from ...latex.layout import (
    FRACTIONS,
    LINE,
    TAGGED,
    Line,
    aligned_row,
    column,
    fit,
    matrix,
    pick,
    row,
    row_room,
    width,
)
from ...latex.notation import dfrac_partial, frac_d, mat, space, vname
from ...latex.printer import join_sum, number, tex
from ...latex.remarks import remark
from ...sparse import VecJacobian
from ...symbols import vec_order
from ..kind import LatexKind
from . import latex_nd
from .home import SPECS
from .rule import AvgPoolDerivation, LPPoolDerivation, MaxPoolDerivation
from .spec import AvgPool, LPPool, MaxPool

#: entries of a rep.2 ``max{...}`` or average shown before eliding
SET_TERMS = 6
#: rows of the switch table shown before eliding
TABLE_ROWS = 12


def _shapes(d: AvgPoolDerivation | MaxPoolDerivation, j: int) -> dict[str, Any]:
    """Names and sizes shared by both poolings (Appendix B's names: ``I``, ``A``, ``h_l``)."""
    g = d.geometry
    (hi, wi), (hl, wl), (ha, wa) = g.input, g.kernel, g.output
    many = d.channels > 1
    return {
        "I": mat(d.input, j),
        "A": mat(d.output, j),
        "vI": vname(d.input, j),
        "vA": vname(d.output, j),
        "I_all": mat(d.input, show=False),
        "A_all": mat(d.output, show=False),
        "many": many,
        "c": d.channels,
        "j": j + 1,
        "hi": hi,
        "wi": wi,
        "hl": hl,
        "wl": wl,
        "ha": ha,
        "wa": wa,
        "I_space": space(hi, wi),
        "A_space": space(ha, wa),
        "padding": common.padding_note(_as_given(d), latex_nd.pool_axes(d)),
        "stride": f"$({{}}^{{l}}h_s, {{}}^{{l}}w_s) = ({g.stride[0]}, {g.stride[1]})$",
        "dilation": f"$(d_h, d_w) = ({g.dilation[0]}, {g.dilation[1]})$" if g.dilation != (1, 1) else "",
        "spread": (
            f"$(u_h, u_w) = ({g.input_dilation[0]}, {g.input_dilation[1]})$" if g.input_dilation != (1, 1) else ""
        ),
        "size_lines": _ceil_size_lines(d) if d.spec.ceil_mode else common.size_lines(g, latex_nd.pool_axes(d)),
        "ceil_mode": d.spec.ceil_mode,
        "extra": _extra_padding(d),
    }


def _as_given(d: AvgPoolDerivation | MaxPoolDerivation) -> Geometry:
    """The window map with the padding as given (without ``ceil_mode``'s extra rows and columns)."""
    return d.geometry.with_ceil(False)


def _extra_padding(d: AvgPoolDerivation | MaxPoolDerivation) -> str:
    """Under ``ceil_mode``, how far the last windows run past the padded input (text), or ``""``."""
    (_, b, _, right), (_, b2, _, right2) = d.spec.padding, d.geometry.padding
    parts = [f"{n} {what}" for n, what in ((b2 - b, "row(s) below"), (right2 - right, "column(s) on the right")) if n]
    return " and ".join(parts)


def _ceil_size_lines(d: AvgPoolDerivation | MaxPoolDerivation) -> list[Line]:
    """PyTorch's ``ceil_mode`` output size with the numbers put in: the ceiling of the seed's
    quotient, less one where the last window would start in the padding after the input
    (:func:`symconv.geometry.ceil_output_size`, whose value is the core's output size)."""
    g = _as_given(d)
    t, b, left, right = g.padding
    lines = []
    for axis, n, k, (before, after), s, dil, out in zip(
        latex_nd.pool_axes(d),
        g.input,
        g.kernel,
        ((t, b), (left, right)),
        g.stride,
        g.dilation,
        d.geometry.output,
        strict=True,
    ):
        span = f"{axis.d}({axis.k} - 1)" if dil != 1 else f"({axis.k} - 1)"
        general = (
            f"\\left\\lceil \\frac{{{axis.n} + {axis.p}^{{-}} + {axis.p}^{{+}} - {span} - 1}}{{{axis.s}}}"
            " \\right\\rceil + 1"
        )
        dl = f"{dil} \\cdot " if dil != 1 else ""
        numbers = f"\\left\\lceil \\frac{{{n} + {before} + {after} - {dl}({k} - 1) - 1}}{{{s}}} \\right\\rceil + 1"
        rounded = -(-(n + before + after - dil * (k - 1) - 1) // s) + 1
        # PyTorch drops a last window that would start in the padding after the input
        dropped = f" - 1 = {out}" if rounded != out else ""
        lines.append(Line(axis.out, f"= {general} = {numbers} = {rounded}{dropped}"))
    return lines


def _window_corners(d: AvgPoolDerivation | MaxPoolDerivation, p: int, q: int) -> tuple[list[int], list[int]]:
    g = d.geometry
    rows = [p * g.stride[0], p * g.stride[0] + g.span[0] - 1]
    cols = [q * g.stride[1], q * g.stride[1] + g.span[1] - 1]
    return rows, cols


def _entries(window: Any) -> list[str]:
    """The input entries of a window (rep.1 block), padding left out, row by row."""
    return [tex(v) for v in window if v.free_symbols]


def _forward(
    d: AvgPoolDerivation | MaxPoolDerivation,
    j: int,
    worked: tuple[int, int],
    op: tuple[str, str],
    rep1_cell: Callable[[int, int], str],
    rep2_cell: Callable[[int, int], str],
    after: str = "",
) -> list[Line]:
    """``A = I * op`` written out: the padded input, rep.1, rep.2 and rep.3 (Appendix B's
    form, also the convolution form of 3.1.3).  ``op`` is the operator's name and the
    way it is shown beside the padded input; the worked entry stays visible."""
    p, q = worked
    (hl, _), (ha, wa) = d.geometry.kernel, d.geometry.output
    prow, pcol = _window_corners(d, p, q)
    # the padded channel read lazily (d.padded(j) would build it whole), with the layer's fill
    lazy = ops.Padded(d.input.grid(j), d.geometry, d.fill)
    padded = common.sym_matrix(lazy, keep_rows=prow, keep_cols=pcol, rows=12, budget=LINE - 60 - width(op[1]))
    return [
        Line(mat(d.output, j), f"= {_group(mat(d.input, j), op[0], after)}"),
        Line("", f"= {_group(padded, op[1], after)}"),
        Line(
            "",
            "= "
            + matrix(
                rep1_cell,
                (ha, wa),
                keep_rows=[p],
                keep_cols=[q],
                rows=max(3, 12 // hl),
                gap=common.BLOCK_GAP,
                budget=TAGGED,
            ),
            tag="(rep.1)",
        ),
        Line(
            "", "= " + matrix(rep2_cell, (ha, wa), keep_rows=[p], keep_cols=[q], rows=10, budget=TAGGED), tag="(rep.2)"
        ),
        Line(
            "", "= " + common.sym_matrix(d.output.grid(j), keep_rows=[p], keep_cols=[q], budget=TAGGED), tag="(rep.3)"
        ),
    ]


def _group(x: str, op: str, after: str) -> str:
    """``x * op``, or ``(x * op) after`` (an entrywise division by the divisors ``D``)."""
    return f"{x} * {op}" if not after else f"\\left({x} * {op}\\right){after}"


def _divisor_rule(d: AvgPoolDerivation) -> str:
    """How the divisors ``D_pq`` were counted (PyTorch's rule), in words."""
    spec = d.spec
    if spec.divisor_override is not None:
        return f"every window divides by \\texttt{{divisor\\_override}} $= {spec.divisor_override}$"
    if not spec.count_include_pad:
        return "each window divides by the number of input entries it covers (\\texttt{count\\_include\\_pad} is false)"
    return (
        "each window divides by the number of its positions inside the padded input; the positions a "
        "\\texttt{ceil\\_mode} window reaches past it are not counted"
    )


def _chain(d: AvgPoolDerivation | MaxPoolDerivation, what: str) -> list[Line]:
    """3.1.3: ``dJ/d vI_j = dJ/d vA_j d vA_j / d vI_j`` with dimensions, stacked over channels."""
    (hi, wi), (ha, wa) = d.geometry.input, d.geometry.output
    n, m = hi * wi, ha * wa
    s = common.sized
    many = d.channels > 1
    i_j, a_j = vname(d.input, "j", show=many), vname(d.output, "j", show=many)
    lines = [Line(s(frac_d("J", i_j), 1, n), "= " + s(frac_d("J", a_j), 1, m) + s(frac_d(a_j, i_j), m, n), what)]
    if many:
        stacked = column([frac_d("J", vname(d.input, c, show=True)) for c in range(d.channels)], rows=4)
        lines.append(Line(s(frac_d("J", vname(d.input, show=False)), d.channels, n), "= " + stacked))
    return lines


# -- average pooling (3.1.3) ---------------------------------------------------------------------


def _avg_construction(
    d: AvgPoolDerivation,
    jac: VecJacobian,
    info: dict[str, Any],
    pooled: Callable[[str], str],
    xy: tuple[int, int],
    pq: tuple[int, int],
) -> list[Line]:
    """One input entry's column of the Jacobian built as 3.1.3 builds it: ``dA/dI_xy`` is the
    pooled unit matrix, and its vec is that column."""
    (hi, wi), (ha, wa) = d.geometry.input, d.geometry.output
    (x, y), (p, q) = xy, pq
    i_name, a_name, va = info["I"], info["A"], info["vA"]
    wrt = tex(d.input.entry(0, x, y))
    col = common.jac_column(jac, y * hi + x)
    d_i = frac_d(i_name, wrt)
    return [
        *fit(
            frac_d(a_name, wrt),
            [
                f"= {pooled(d_i)}",
                f"= {pooled(common.unit_matrix((hi, wi), x, y))}",
                "= "
                + common.sym_matrix(common.unvec(list(col), (ha, wa)), keep_rows=[p], keep_cols=[q], budget=LINE - 40),
            ],
        ),
        *fit(
            frac_d(va, wrt),
            [
                f"= \\operatorname{{vec}}\\left({pooled(d_i)}\\right)",
                "= " + column(common.printed(col), keep=[q * ha + p]),
            ],
        ),
    ]


def _avg_whole(
    d: AvgPoolDerivation, jac: VecJacobian, info: dict[str, Any], pooled: Callable[[str], str], at: int, at_out: int
) -> list[Line]:
    """The whole Jacobian ``dvA/dvI``, each column labelled with the operator that makes it."""
    i_name, vi, va = info["I"], info["vI"], info["vA"]
    ins = d.input.view(0)
    labels = common.Mapped(
        ins, lambda s: f"\\operatorname{{vec}}\\left({pooled(frac_d(i_name, tex(s), display=True))}\\right)"
    )
    shown: list[int | None] = []
    operators = common.Mapped(ins, lambda s: dfrac_partial("", tex(s)))
    suffix = f" \\otimes {va}"
    whole_jac = common.jac_matrix(
        jac,
        keep_rows=[at_out],
        keep_cols=[at],
        rows=12,
        budget=LINE - 40,
        shown=shown,
        above=[(operators, row_room(frac_d(va, vi), suffix))],  # the wider labels show fewer when they must
    )
    return [
        *aligned_row(frac_d(va, vi), operators, shown, suffix=suffix),
        *aligned_row("", labels, shown),
        Line("", "= " + whole_jac),
    ]


def avg_context(d: AvgPoolDerivation, entry: Sequence[int] | None = None) -> dict[str, Any]:
    """Everything the average-pooling template lays out."""
    g = d.geometry
    (hi, wi), (hl, wl), (ha, wa) = g.input, g.kernel, g.output
    win = g.windows
    if entry is None:
        p, q = common.central(g, (win >= 0).sum(axis=(2, 3)))
        spot = common.nearest_inside(win[p, q], hl // 2, (wl - 1) // 2)
        flat = int(win[p, q][spot]) if spot is not None else 0
        x, y = flat % hi, flat // hi
    else:
        x, y = common.check_entry(
            entry, [("R", hi, f"the input has {hi} rows"), ("S", wi, f"the input has {wi} columns")]
        )
    at = y * hi + x
    jac = d.jacobian("I", j=0)
    covering = [r for r, _ in jac.column(at)]
    p, q = (covering[0] % ha, covering[0] // ha) if covering else (0, 0)
    info = _shapes(d, 0)
    i_name, a_name, vi, va = info["I"], info["A"], info["vI"], info["vA"]
    coef = tex(d.coefficient)
    # with per-window divisors D_pq (PyTorch's ceil_mode, count_include_pad, divisor_override) the
    # window sums (a convolution with the all-ones 1) are divided entrywise by D
    op = "\\mathbf{P}" if d.uniform else "\\mathbf{1}"
    ones = sp.ImmutableMatrix(hl, wl, lambda r, s: sp.S.One)
    p_tex = common.sym_matrix(d.P if d.uniform else ones, inline=True, rows=6, budget=200)

    def pooled(x: str) -> str:
        return f"{x} * {op}" if d.uniform else f"\\left({x} * \\mathbf{{1}}\\right) \\oslash \\mathbf{{D}}"

    def weight(r: int, c: int) -> str:
        return coef if d.uniform else tex(d.weights[r, c])

    def rep1_cell(r: int, c: int) -> str:
        if hl * wl > 9:
            block = f"{{}}^{{{common.pq(r + 1, c + 1, d.output.wide)}}}{i_name}"
        else:
            block = common.sym_matrix(d.window(r, c, 0), inline=True, rows=4, budget=120)
        return f"{block} * {op}" if d.uniform else f"{weight(r, c)} \\left({block} * \\mathbf{{1}}\\right)"

    def rep2_cell(r: int, c: int) -> str:
        terms = _entries(d.window(r, c, 0))
        if len(terms) > SET_TERMS:
            terms = [*terms[: SET_TERMS - 2], "\\cdots", terms[-1]]
        return f"{weight(r, c)}\\left({join_sum(terms)}\\right)" if terms else "0"

    forward = _forward(d, 0, (p, q), (op, p_tex), rep1_cell, rep2_cell, "" if d.uniform else " \\oslash \\mathbf{D}")
    wrt = tex(d.input.entry(0, x, y))
    construction = _avg_construction(d, jac, info, pooled, (x, y), (p, q))
    whole = _avg_whole(d, jac, info, pooled, at, q * ha + p)
    summary = [
        Line(a_name, f"= {pooled(i_name)}, \\quad {op} = {p_tex}"),
        Line(frac_d(va, vi), "= " + common.jac_matrix(jac, keep_rows=[q * ha + p], keep_cols=[at], rows=8, budget=300)),
    ]
    return {
        **info,
        "P": common.sym_matrix(d.P, rows=8),
        "coefficient": coef,
        "uniform": d.uniform,
        "D": common.sym_matrix(sp.ImmutableMatrix(d.divisors.tolist()), rows=8),
        "divisor_rule": _divisor_rule(d),
        "forward": forward,
        "vecs": [
            Line(
                vi,
                "= "
                + column(common.printed(d.input.view(0)), keep=[at])
                + f"; \\quad {va} = "
                + column(common.printed(d.output.view(0)), keep=[q * ha + p]),
            )
        ],
        "entry": wrt,
        "pictures": {
            "windows": [pictures.window_picture(g, p, q, tex(d.output.entry(0, p, q)))],
            "jacobian": [pictures.jacobian_picture(jac, frac_d(va, vi), (q * ha + p, at))],
        },
        "construction": construction,
        "whole": whole,
        "chain": _chain(d, ""),
        "summary": summary,
        "compact": hl * wl > 9,
        "dims": f"{ha * wa} \\times {hi * wi}",
    }


# -- max pooling (Appendix B) -----------------------------------------------------------------------


def seed_example(d: MaxPoolDerivation) -> tuple[int, int, int] | None:
    """The seed's switch example for these shapes: the output ``(p, q)`` (0-based), the
    second row's first, ``A_21``, when there is one, and the 1-based position in its vΩ of
    the input entry the example makes the maximum: the middle one of the window's input
    entries (``I_21`` of ``max{0, I_11, I_21, I_31}``, ``i_21 = 5``).  ``None`` when that
    window is all padding."""
    p, q = min(1, d.geometry.output[0] - 1), 0
    win = np.swapaxes(d.geometry.windows[p, q], 0, 1).ravel()  # vΩ order
    real = np.flatnonzero(win >= 0)
    if real.size == 0:
        return None
    return p, q, int(real[real.size // 2]) + 1


def example_input(d: MaxPoolDerivation, values: np.ndarray | None, seed: int) -> tuple[np.ndarray, str]:
    """The worked example's input, ``(c, h, w)``: the user's numbers, or distinct nonzero
    random integers from ``seed`` (so no two entries of a window tie, nor an entry with a
    padded 0), arranged so that channel 1 makes the seed's example true: the entry of
    :func:`seed_example` is the maximum of its window.  Also how the document describes it."""
    shape = (d.channels, *d.geometry.input)
    if values is None:
        n = int(np.prod(shape))
        rng = np.random.default_rng(seed)
        pool = np.concatenate([np.arange(-n, 0), np.arange(1, n + 1)])
        out = rng.choice(pool, size=n, replace=False).astype(float).reshape(shape)
        example = seed_example(d)
        text = (
            f"distinct nonzero random integers (NumPy's \\texttt{{default\\_rng({seed})}}), so that no two entries tie"
        )
        if example is not None:
            p, q, i = example
            h = d.geometry.input[0]
            win = np.swapaxes(d.geometry.windows[p, q], 0, 1).ravel()
            flat = out[0].T.ravel()  # vec of channel 1 (a copy, written back below)
            chosen = int(win[i - 1])
            real = win[win >= 0]
            best = int(real[np.argmax(flat[real])])
            if flat[best] < d.pad_value:  # the window's entries are all below the padding
                best = int(np.argmax(flat))
            flat[[chosen, best]] = flat[[best, chosen]]
            out[0] = flat.reshape(d.geometry.input[1], h).T
            name = tex(d.input.grid(0)[chosen % h, chosen // h])  # one symbol, not the whole input
            text += f", with ${name}$ the largest in its window, as in the seed's example"
        return out, text
    arr = np.asarray(values, dtype=float)
    shown = shape[1:] if shape[0] == 1 else shape
    if arr.size != int(np.prod(shape)):
        raise SpecError(
            "values",
            f"must hold {int(np.prod(shape))} numbers (the input is {'x'.join(map(str, shown))}), got {arr.size}",
        )
    if not np.isfinite(arr).all():
        raise SpecError("values", "must be finite numbers")
    return arr.reshape(shape), "the given numbers"


def _max_set(d: MaxPoolDerivation, p: int, q: int, j: int) -> str:
    """rep.2: ``max{0, I_11, I_21}``, the pad value once, then the input entries in vΩ
    (column-major) order."""
    window = d.window(p, q, j)
    entries = [tex(window[r, c]) for c in range(window.cols) for r in range(window.rows) if window[r, c].free_symbols]
    padded = any(not window[r, c].free_symbols for r in range(window.rows) for c in range(window.cols))
    items = ([number(d.pad_value)] if padded else []) + entries
    if len(items) > SET_TERMS:
        items = [*items[: SET_TERMS - 2], "\\ldots", items[-1]]
    return "\\max\\{" + ", ".join(items) + "\\}"


@dataclass(frozen=True)
class _Worked:
    """Max pooling's worked example: the channel ``j``, the output ``(p, q)`` the document
    follows, the numbers and their switches (Appendix B's ``i_pq``) and selection steps."""

    d: MaxPoolDerivation
    j: int
    p: int
    q: int
    example: np.ndarray
    source: str
    switches: np.ndarray
    steps: Any
    seed_ex: tuple[int, int, int] | None

    @property
    def values(self) -> np.ndarray:
        return self.example[self.j]

    @property
    def at_out(self) -> int:
        """The followed output's position in vA (vec by columns)."""
        return self.q * self.d.geometry.output[0] + self.p

    @property
    def at(self) -> str:
        """The followed output's subscript, ``pq``."""
        return common.pq(self.p + 1, self.q + 1, self.d.output.wide)

    def step(self, name: str, p: int | None = None, q: int | None = None) -> int:
        """One selection step's value (``c_b``, ``r_i``, ..., ``vec_index``) at an output."""
        return int(np.asarray(getattr(self.steps, name))[self.p if p is None else p, self.q if q is None else q])


def _worked(d: MaxPoolDerivation, entry: Sequence[int] | None, values: np.ndarray | None, seed: int) -> _Worked:
    """The worked example: the given or random numbers, the channel and output the user
    named (``entry``), else the seed's example, else a central window that selects an input."""
    g = d.geometry
    (ha, wa) = g.output
    example, source = example_input(d, values, seed)
    j = 0
    given: tuple[int, ...] | None = None
    if entry is not None:
        limits = [("P", ha, f"the output has {ha} rows"), ("Q", wa, f"the output has {wa} columns")]
        if len(entry) == 3:
            limits = [("J", d.channels, f"{d.channels} channels"), *limits]
        elif len(entry) != 2:
            raise SpecError("entry", f"takes P,Q or J,P,Q for maxpool2d, got {len(entry)} numbers")
        given = common.check_entry(entry, limits)
        j = given[0] if len(given) == 3 else 0
    switches = d.switches(example[j])
    steps = d.selection_steps(switches)
    seed_ex = seed_example(d)
    if given is not None:
        p, q = given[-2:]
    elif values is None and seed_ex is not None:
        p, q = seed_ex[:2]
    else:
        padded_window = (g.windows < 0).any(axis=(2, 3))
        real = steps.vec_index > 0
        p, q = common.central(g, real * 2 + (real & padded_window))
    return _Worked(d, j, p, q, example, source, switches, steps, seed_ex)


def _omega(d: MaxPoolDerivation) -> list[list[str]]:
    """Appendix B's window block ``Omega``'s entry names, ``h_l x w_l``."""
    hl, wl = d.geometry.kernel
    return [[f"\\Omega_{{{common.pq(r + 1, c + 1, max(hl, wl) > 9)}}}" for c in range(wl)] for r in range(hl)]


def _max_symbolic(w: _Worked, info: dict[str, Any]) -> dict[str, Any]:
    """The symbolic part: ``I``, ``Omega``, ``A``, rep.1 to rep.3, the vec forms and eq.b-1."""
    d, j, p, q = w.d, w.j, w.p, w.q
    (hl, wl), (ha, wa) = d.geometry.kernel, d.geometry.output
    vi, va, i_name, a_name = info["vI"], info["vA"], info["I"], info["A"]
    compact = hl * wl > 9
    omega = _omega(d)

    def rep1_cell(r: int, c: int) -> str:
        if compact:
            return f"\\max {{}}^{{{common.pq(r + 1, c + 1, d.output.wide)}}}\\Omega"
        return "\\max " + common.sym_matrix(d.window(r, c, j), inline=True, rows=4, budget=110)

    forward = _forward(d, j, (p, q), ("\\max \\Omega", "\\max \\Omega"), rep1_cell, lambda r, c: _max_set(d, r, c, j))
    ins, outs = d.input.view(j), d.output.view(j)
    vomega = [omega[r][c] for c in range(wl) for r in range(hl)]
    vecs = [
        Line(
            vi,
            "= "
            + column(common.printed(ins))
            + f"; \\quad {va} = "
            + column(common.printed(outs), keep=[w.at_out])
            + "; \\quad {}_v\\Omega = "
            + column(vomega),
        )
    ]
    shown: list[int | None] = []
    operators = common.Mapped(ins, lambda s: dfrac_partial("", tex(s)))
    partials = matrix(
        lambda r, c: dfrac_partial(tex(outs[r]), tex(ins[c])),
        (len(outs), len(ins)),
        keep_rows=[w.at_out],
        rows=8,
        budget=TAGGED - 40,
        gap=FRACTIONS,
        shown=shown,
        above=[(operators, row_room(frac_d(va, vi), f" \\otimes {va}"))],
    )
    general = fit(
        i_name,
        [
            "= " + common.sym_matrix(d.input.grid(j), rows=8, budget=200) + ",",
            "\\qquad \\Omega = " + matrix(lambda r, c: omega[r][c], (hl, wl), rows=8, budget=200) + ",",
            f"\\qquad {a_name} = " + matrix(lambda r, c: tex(d.output.entry(j, r, c)), (ha, wa), rows=8, budget=200),
        ],
    )
    return {
        "general": general,
        "forward": forward,
        "compact": compact,
        "vecs": vecs,
        "nl": hl * wl,
        "eq_b1": [
            *aligned_row(frac_d(va, vi), operators, shown, suffix=f" \\otimes {va}"),
            Line("", f"= {partials}", tag="eq.b-1"),
        ],
    }


def _input_rows_cols(w: _Worked) -> tuple[list[int], list[int]]:
    """The input rows and columns of the followed window (its padded corners moved inside)."""
    g = w.d.geometry
    prow, pcol = _window_corners(w.d, w.p, w.q)
    return [max(0, r - g.padding[0]) for r in prow], [max(0, c - g.padding[2]) for c in pcol]


def _max_numbers(w: _Worked, info: dict[str, Any]) -> dict[str, Any]:
    """The switches on numbers: ``I``, ``A`` and ``(i_pq)``, the followed window's block."""
    d, j, p, q = w.d, w.j, w.p, w.q
    (hl, wl), (ha, wa) = d.geometry.kernel, d.geometry.output
    out_vec = d.numeric_forward(vec_order(w.example), {}).reshape(d.channels, wa, ha)[j].T
    window_vals = d.window_values(w.values)[0, p, q]
    i_pq = int(w.switches[p, q])
    in_rows, in_cols = _input_rows_cols(w)
    omega_vals = window_vals.reshape(wl, hl).T  # vΩ back to the h_l x w_l block
    return {
        "numbers": [
            Line(info["I"], "= " + common.sym_matrix(w.values, keep_rows=in_rows, keep_cols=in_cols, rows=12)),
            Line(info["A"], "= " + common.sym_matrix(out_vec, keep_rows=[p], keep_cols=[q], rows=12)),
            Line("(i_{pq})", "= " + common.sym_matrix(w.switches, keep_rows=[p], keep_cols=[q], rows=12)),
        ],
        "block": [
            Line(
                f"{{}}^{{{w.at}}}\\Omega",
                "= "
                + common.sym_matrix(
                    omega_vals, keep_rows=[(i_pq - 1) % hl], keep_cols=[(i_pq - 1) // hl], rows=10, budget=200
                )
                + f", \\quad {{}}^{{{w.at}}}_v\\Omega = "
                + row([number(v) for v in window_vals], keep=[i_pq - 1], budget=LINE - 220)
                + "^\\top",
            ),
            Line(tex(d.output.entry(j, p, q)), f"= {number(out_vec[p, q])}, \\quad i_{{{w.at}}} = {i_pq}"),
        ],
    }


def _seed_lines(w: _Worked) -> list[Line]:
    """The seed's own switch example (``A_21 = max{0, I_11, I_21, I_31} = I_21``) for these shapes."""
    if w.seed_ex is None:
        return []
    d, j = w.d, w.j
    ep, eq, ei = w.seed_ex
    e_at = common.pq(ep + 1, eq + 1, d.output.wide)
    e_win = d.window(ep, eq, j)
    e_vec = [e_win[r, c] for c in range(e_win.cols) for r in range(e_win.rows)]
    return [
        Line(tex(d.output.entry(j, ep, eq)), f"= {_max_set(d, ep, eq, j)} = {tex(e_vec[ei - 1])}"),
        Line(
            f"i_{{{e_at}}}",
            f"= {ei}, \\quad {{}}^{{{e_at}}}_v\\Omega = "
            + row([tex(v) for v in e_vec], keep=[ei - 1], budget=LINE - 160)
            + "^\\top",
        ),
    ]


def _selection_lines(w: _Worked, vi: str, mask: Any) -> list[Line]:
    """eq.b-2.1 to eq.b-2.3 for the followed output, then its input's place in vI and its row of the mask."""
    d = w.d
    hi, wi = d.geometry.input
    st = {k: w.step(k) for k in w.steps._asdict()}
    lines = _step_lines(d, w.at, int(w.switches[w.p, w.q]), (w.p, w.q), st)
    selected = st["vec_index"]
    if selected:
        lines.append(
            Line(
                "j",
                f"= ({{}}^{{{w.at}}}c_i - 1) h_i + {{}}^{{{w.at}}}r_i "
                f"= ({st['c_i']} - 1) \\cdot {hi} + {st['r_i']} = {selected}",
            )
        )
        mask_row = common.Mapped(range(hi * wi), lambda c: tex(mask[w.at_out, c]))
        lines.append(
            Line(
                frac_d(tex(d.output.entry(w.j, w.p, w.q)), vi),
                "= " + row(mask_row, keep=[selected - 1], budget=LINE - 80),
            )
        )
    return lines


def _switch_table(w: _Worked) -> str:
    """Every output's switch and selection steps, a LaTeX array (elided past ``TABLE_ROWS``)."""
    d = w.d
    ha, wa = d.geometry.output
    header = ["A_{pq}", "i_{pq}", "c_b", "r_b", "{}_{t}r_i", "{}_{t}c_i", "r_i", "c_i", "j"]

    def table_row(k: int) -> list[str]:
        r, c = k % ha, k // ha
        vals = [w.step(name, r, c) for name in ("c_b", "r_b", "top_r", "top_c", "r_i", "c_i", "vec_index")]
        return [
            tex(d.output.entry(w.j, r, c)),
            str(int(w.switches[r, c])),
            *[str(v) for v in vals[:-1]],
            str(vals[-1]) if vals[-1] else "-",
        ]

    body = [
        " & ".join(["\\vdots"] * len(header)) if k is None else " & ".join(table_row(k))
        for k in pick(ha * wa, [w.at_out], TABLE_ROWS)
    ]
    return (
        "\\begin{array}{c|cccccccc}\n"
        + " & ".join(header)
        + " \\\\\n\\hline\n"
        + " \\\\\n".join(body)
        + "\n\\end{array}"
    )


def _max_remarks(d: MaxPoolDerivation) -> dict[str, Any]:
    """The remarks of a max-pooling layer's own document (none inside a network's, but the channels' one)."""
    standalone = d.output.layer is None
    return {
        "remarks": {
            "shapes": [remark("omega")] if standalone else [],
            "mask": [remark("switch-bound"), remark("top-left"), remark("assigned-to"), remark("empty-row")]
            if standalone
            else [],
        },
        "chain_remarks": [remark("mask-channels")] if not standalone and d.channels > 1 else [],
    }


def max_context(
    d: MaxPoolDerivation, entry: Sequence[int] | None = None, values: np.ndarray | None = None, seed: int = 0
) -> dict[str, Any]:
    """Everything the max-pooling template lays out (Appendix B)."""
    g = d.geometry
    hi, wi = g.input
    w = _worked(d, entry, values, seed)
    info = _shapes(d, w.j)
    i_name, a_name, vi, va = info["I"], info["A"], info["vI"], info["vA"]
    mask = d.mask(w.example, w.j) if d.channels > 1 else d.mask(w.values)
    selected = w.step("vec_index")
    in_rows, in_cols = _input_rows_cols(w)
    out_entry = tex(d.output.entry(w.j, w.p, w.q))
    summary = [
        Line(
            a_name,
            "= "
            + matrix(
                lambda r, c: _max_set(d, r, c, w.j),
                (g.output[0], g.output[1]),
                keep_rows=[w.p],
                keep_cols=[w.q],
                rows=6,
                budget=300,
            ),
            tag="(rep.2)",
        ),
        Line(i_name, "= " + common.sym_matrix(w.values, keep_rows=in_rows, keep_cols=in_cols, rows=8, budget=300)),
        Line(frac_d(va, vi), "= " + common.jac_matrix(mask, keep_rows=[w.at_out], rows=8, budget=300)),
    ]
    out = {
        **info,
        **_max_remarks(d),
        **_max_symbolic(w, info),
        **_max_numbers(w, info),
        "pad_value": number(d.pad_value),
        "source": w.source,
        "out": out_entry,
        "at": w.at,
        "steps": _selection_lines(w, vi, mask),
        "seed_example": _seed_lines(w),
        "selected": selected,
        "table": _switch_table(w),
        "mask": [
            Line(
                frac_d(va, vi),
                "= "
                + common.jac_matrix(
                    mask, keep_rows=[w.at_out], keep_cols=[selected - 1] if selected else [], rows=12, budget=LINE - 40
                ),
            )
        ],
        "dims": f"{g.output[0] * g.output[1]} \\times {hi * wi}",
        "pictures": {
            "windows": [pictures.window_picture(g, w.p, w.q, _seed_names(out_entry))],
            "mask": [
                pictures.jacobian_picture(mask, frac_d(va, vi), (w.at_out, selected - 1) if selected else None),
            ],
        },
        "chain": _chain(d, "the mask of eq.b-1"),
        "summary": summary,
    }
    return {k: _seed_names(v) for k, v in out.items()} if d.output.layer is None else out


_OUTPUT_ENTRY = re.compile(r"(?<![A-Za-z\\])a_\{")


def _seed_names(value: Any) -> Any:
    """Appendix B's names in a max-pooling layer's own document: the pooled entries are
    ``A_pq`` (the core names them ``a_pq``; only output entries print as ``a_{``)."""
    if isinstance(value, str):
        return _OUTPUT_ENTRY.sub("A_{", value)
    if isinstance(value, Line):
        return Line(_seed_names(value.lhs), _seed_names(value.rhs), value.note, value.tag)
    if isinstance(value, list):
        return [_seed_names(v) for v in value]
    if isinstance(value, dict):
        return {k: _seed_names(v) for k, v in value.items()}
    return value


def _step_lines(d: MaxPoolDerivation, at: str, i_pq: int, pq: tuple[int, int], st: dict[str, int]) -> list[Line]:
    """eq.b-2.1 to eq.b-2.3 for one output, the general form and then the numbers; the
    results are the core's (:meth:`MaxPoolDerivation.selection_steps`)."""
    g = d.geometry
    hl = g.kernel[0]
    p, q = pq
    (sh, sw), (dh, dw) = g.stride, g.dilation
    top, left = g.padding[0], g.padding[2]
    c_b, r_b, t_r, t_c, r_i, c_i = (
        f"{{}}^{{{at}}}{name}" for name in ("c_b", "r_b", "_{t}r_i", "_{t}c_i", "r_i", "c_i")
    )
    i = f"i_{{{at}}}"

    def inner(t: str, b: str, dil: int, name: str, t_val: int, b_val: int) -> str:
        if dil == 1:  # the seed's form
            return f"{b} + {t} - 1 = {b_val} + {t_val} - 1"
        return f"{t} + {name} ({b} - 1) = {t_val} + {dil} \\cdot ({b_val} - 1)"

    return [
        Line(
            c_b,
            f"= \\left\\lceil \\frac{{{i}}}{{h_l}} \\right\\rceil "
            f"= \\left\\lceil \\frac{{{i_pq}}}{{{hl}}} \\right\\rceil = {st['c_b']}",
        ),
        Line(r_b, f"= {i} - ({c_b} - 1) h_l = {i_pq} - ({st['c_b']} - 1) \\cdot {hl} = {st['r_b']}", tag="eq.b-2.1"),
        Line(
            t_r, f"= 1 + {{}}^{{l}}h_s (p - 1) - {{}}^{{l}}h_p = 1 + {sh} \\cdot ({p + 1} - 1) - {top} = {st['top_r']}"
        ),
        Line(
            t_c,
            f"= 1 + {{}}^{{l}}w_s (q - 1) - {{}}^{{l}}w_p = 1 + {sw} \\cdot ({q + 1} - 1) - {left} = {st['top_c']}",
            tag="eq.b-2.2",
        ),
        Line(r_i, f"= {inner(t_r, r_b, dh, 'd_h', st['top_r'], st['r_b'])} = {st['r_i']}"),
        Line(c_i, f"= {inner(t_c, c_b, dw, 'd_w', st['top_c'], st['c_b'])} = {st['c_i']}", tag="eq.b-2.3"),
    ]


# -- the kinds' documents --------------------------------------------------------------------


def _title(what: str) -> Any:
    def title(d: AvgPoolDerivation | MaxPoolDerivation | LPPoolDerivation) -> str:
        g = d.geometry
        size = " \\times ".join(str(n) for n in g.input)
        window = " \\times ".join(str(n) for n in g.kernel)
        return f"{what} pooling: ${size}$ input, ${window}$ window"

    return title


def _max_forward(d: MaxPoolDerivation) -> Line:
    return Line(
        mat(d.output, "j", show=True),
        f"= \\operatorname{{maxpool}}\\left({mat(d.input, 'j', show=True)}\\right), "
        f"\\quad 1 \\leq j \\leq {d.channels}",
    )


def _avg_forward(d: AvgPoolDerivation) -> Line:
    return Line(
        mat(d.output, "j", show=True),
        f"= {mat(d.input, 'j', show=True)} * \\mathbf{{P}}^{{[{d.layer}]}}, \\quad 1 \\leq j \\leq {d.channels}",
    )


def _lp_forward(d: LPPoolDerivation) -> Line:
    return Line(
        mat(d.output, "j", show=True),
        f"= \\operatorname{{lppool}}_{{{sp.latex(d.n)}}}\\left({mat(d.input, 'j', show=True)}\\right), "
        f"\\quad 1 \\leq j \\leq {d.channels}",
    )


def _latex_kind(spec: type[MaxPool] | type[AvgPool] | type[LPPool]) -> LatexKind:
    two = spec.ndim == 2
    if issubclass(spec, MaxPool):
        return LatexKind(
            template="maxpool.tex.j2" if two else "pool_nd.tex.j2",
            build=(
                (lambda d, opts, position: max_context(d, opts.entry, opts.values, opts.seed + position))
                if two
                else (lambda d, opts, position: latex_nd.max_context(d, opts.values, opts.seed + position))
            ),
            title=_title("Max"),
            forward=_max_forward,
            entry_help="P,Q or J,P,Q" if two else "",
        )
    if issubclass(spec, AvgPool):
        return LatexKind(
            template="avgpool.tex.j2" if two else "pool_nd.tex.j2",
            build=(lambda d, opts, position: avg_context(d, opts.entry))
            if two
            else (lambda d, opts, position: latex_nd.avg_context(d)),
            title=_title("Average"),
            forward=_avg_forward,
            entry_help="R,S" if two else "",
        )
    return LatexKind(
        template="pool_nd.tex.j2",
        build=lambda d, opts, position: latex_nd.lp_context(d),
        title=_title("Lp"),
        forward=_lp_forward,
    )


LATEX = {spec.kind: _latex_kind(spec) for spec in SPECS}
