"""The pooling documents in 1-D and 3-D (2-D keeps :mod:`.latex`): Appendix B's construction
along any number of axes, the blocks printed by :mod:`symconv.latex.blocks` (a 1-D block as a
vector, a 3-D block one depth slice at a time) with ``vec``'s order stated; max pooling's
``vΩ``, switches and eq.b-2.1 to eq.b-2.3 per axis with a worked example, average pooling's
``P`` and divisors, Lp pooling's power and root."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

from ...errors import SpecError
from ...latex import common
from ...latex.blocks import block
from ...latex.layout import LINE, Line, column
from ...latex.notation import frac_d, mat, space, vname
from ...latex.printer import tex
from ...symbols import vec_order
from .rule import AvgPoolDerivation, LPPoolDerivation, MaxPoolDerivation

#: entries of a window shown in a max, a sum or a vΩ before eliding
TERMS = 6

Pooled = AvgPoolDerivation | MaxPoolDerivation | LPPoolDerivation


def vec_words(ndim: int, letter: str) -> str:
    """How ``vec`` orders a block of ``ndim`` axes, in words, with the first entries named."""
    if ndim == 1:
        return f"a 1-D block is its own vector: ${letter}_1, {letter}_2, \\ldots$ in order"
    if ndim == 2:
        return (
            "$\\operatorname{vec}$ stacks the columns (column-major, the seed's): "
            f"${letter}_{{11}}, {letter}_{{21}}, \\ldots, {letter}_{{12}}, \\ldots$"
        )
    return (
        "$\\operatorname{vec}$ stacks the entries with the first axis (depth) fastest, then the rows, then the "
        f"columns (the seed's column stacking, extended): ${letter}_{{111}}, {letter}_{{211}}, \\ldots, "
        f"{letter}_{{121}}, \\ldots$"
    )


def chain_lines(d: Any, nz: int, n: int, jacobian: str = "") -> list[Line]:
    """3.1.3's chain rule for one channel, ``dJ/dvI_j = dJ/dvA_j dvA_j/dvI_j``, with dimensions;
    ``jacobian`` names the last factor when it is not ``d vA_j / d vI_j``."""
    many = d.channels > 1
    i_j, a_j = vname(d.input, "j", show=many), vname(d.output, "j", show=many)
    return [
        Line(
            common.sized(frac_d("J", i_j), 1, n),
            "= " + common.sized(frac_d("J", a_j), 1, nz) + common.sized(jacobian or frac_d(a_j, i_j), nz, n),
        )
    ]


def names(d: Any) -> dict[str, Any]:
    """A pooling document's names for channel 1's input and output (and their vecs), and the
    channels."""
    return {
        "I": mat(d.input, 0),
        "A": mat(d.output, 0),
        "vI": vname(d.input, 0),
        "vA": vname(d.output, 0),
        "many": d.channels > 1,
        "c": d.channels,
    }


def pool_axes(d: Pooled) -> tuple[common.Axis, ...]:
    """Appendix B's names along each axis of a pooling layer (``h_i, h_l, {}^{l}h_p, {}^{l}h_s, h_a`` in 2-D)."""
    return common.axis_names(d.geometry.ndim, "i", "l", "a", "{}^{l}")


def _terms(items: list[str]) -> list[str]:
    return [*items[: TERMS - 2], "\\cdots", items[-1]] if len(items) > TERMS else items


def _window_entries(d: Pooled, p: tuple[int, ...]) -> list[sp.Expr]:
    """Window ``p``'s entries in ``vΩ`` order (padded ones as the fill)."""
    return [d.input.symbol(int(i)) if i >= 0 else d.fill for i in _vomega(d, p)]


def _vomega(d: Pooled, p: tuple[int, ...]) -> np.ndarray:
    """The vec indices (or -1) of window ``p``'s entries in ``vΩ`` order (the first axis fastest)."""
    return vec_order(d.geometry.windows[p], d.geometry.ndim).reshape(-1)


def _shapes(d: Pooled) -> dict[str, Any]:
    g = d.geometry
    axes = pool_axes(d)
    spec = d.spec
    dilation = (
        ", ".join(f"{a.d} = {x}" for a, x in zip(axes, g.dilation, strict=True))
        if any(x != 1 for x in g.dilation)
        else ""
    )
    spread = (
        ", ".join(f"{a.u} = {x}" for a, x in zip(axes, g.input_dilation, strict=True))
        if any(x != 1 for x in g.input_dilation)
        else ""
    )
    return {
        **names(d),
        "ndim": g.ndim,
        "I_space": space(*g.input),
        "A_space": space(*g.output),
        "window": " \\times ".join(str(k) for k in g.kernel),
        "window_names": ", ".join(a.k for a in axes),
        "padding": common.padding_note(g.with_ceil(False), axes),
        "stride": ", ".join(f"{a.s} = {s}" for a, s in zip(axes, g.stride, strict=True)),
        "dilation": dilation,
        "spread": spread,
        "ceil_mode": spec.ceil_mode,
        "size_lines": common.size_lines(g, axes),
        "vec_order": vec_words(g.ndim, d.input.letter),
        "chain": chain_lines(d, math.prod(g.output), math.prod(g.input)),
    }


def _tag(axis: int, tag: str) -> str:
    """A step's equation tag, on its first axis only."""
    return tag if axis == 0 else ""


def _worked(d: Pooled) -> tuple[int, ...]:
    """The output worked out: a central one whose window meets the most input entries."""
    g = d.geometry
    d_axes = tuple(range(g.ndim, 2 * g.ndim))
    return tuple(int(i) for i in common.central(g, (g.windows >= 0).sum(axis=d_axes)))


def _rep2(d: Pooled, cell: Any, p: tuple[int, ...]) -> Line:
    """rep.2: every output written as its window's ``op``, the worked one kept."""
    g = d.geometry
    return Line(mat(d.output, 0), "= " + _block(cell, g.output, p), tag="(rep.2)")


def _block(cell: Any, shape: tuple[int, ...], keep: tuple[int, ...], rows: int = 8) -> str:
    return block(cell, shape, keep=[keep], rows=rows, budget=LINE - 40)


def _sums(d: AvgPoolDerivation | LPPoolDerivation, cell: Any) -> dict[str, Any]:
    """What the average and Lp documents share: rep.2 with ``cell``, rep.3 and the Jacobian."""
    g = d.geometry
    p = _worked(d)
    jac = d.jacobian("I", j=0)
    at = int(np.ravel_multi_index(p, g.output, order="F"))
    return {
        **_shapes(d),
        "forward": [
            _rep2(d, cell, p),
            Line("", "= " + common.sym_block(d.output.grid(0), keep=[p], rows=8), tag="(rep.3)"),
        ],
        "jacobian": [
            Line(
                frac_d(vname(d.output, 0), vname(d.input, 0)),
                "= " + common.jac_matrix(jac, keep_rows=[at], rows=10, budget=LINE - 60),
            )
        ],
        "dims": f"{math.prod(g.output)} \\times {math.prod(g.input)}",
    }


def _inputs(d: Pooled, q: tuple[int, ...]) -> list[str]:
    """Window ``q``'s input entries (padding left out) in ``vΩ`` order, printed."""
    return [tex(d.input.symbol(int(i))) for i in _vomega(d, q) if i >= 0]


def avg_context(d: AvgPoolDerivation) -> dict[str, Any]:
    """Average pooling (3.1.3) in 1-D and 3-D."""

    def cell(q: tuple[int, ...]) -> str:
        weight = tex(sp.Rational(1, int(d.divisors[q]))) if not d.uniform else tex(d.coefficient)
        return f"{weight}\\left({'+'.join(_terms(_inputs(d, q))) or '0'}\\right)"

    divisors = sp.ImmutableDenseNDimArray(d.divisors.tolist(), d.divisors.shape)
    return {
        **_sums(d, cell),
        "family": "avg",
        "P": common.sym_block(d.P, shape=d.geometry.kernel, rows=6),
        "uniform": d.uniform,
        "D": common.sym_block(divisors, rows=8),
    }


def lp_context(d: LPPoolDerivation) -> dict[str, Any]:
    """Lp pooling (PyTorch's ``lp_pool``) in 1-D, 2-D and 3-D: the power and the root."""
    g = d.geometry
    n = d.n

    def cell(q: tuple[int, ...]) -> str:
        items = _inputs(d, q)
        powers = [f"{t}^{{{tex(n)}}}" for t in items] if n != 1 else items
        c = sp.Rational(math.prod(g.kernel), int(d.scale[q]))
        body = "+".join(_terms(powers)) or "0"
        inside = body if c == 1 else f"{tex(c)} \\left({body}\\right)"
        return inside if n == 1 else f"\\left({inside}\\right)^{{{tex(1 / n)}}}"

    return {
        **_sums(d, cell),
        "family": "lp",
        "norm": tex(n),
        "entry_rule": [
            Line(
                "\\frac{\\partial a_p}{\\partial I_r}",
                f"= c_p\\, I_r^{{{tex(n - 1)}}} \\left(c_p S_p\\right)^{{{tex(1 / n - 1)}}}, "
                f"\\quad S_p = \\sum_{{r \\in \\Omega_p}} I_r^{{{tex(n)}}}",
            )
        ],
        "scaled": not bool((d.scale == math.prod(g.kernel)).all()),
    }


def _example(d: MaxPoolDerivation, values: Any, seed: int) -> tuple[np.ndarray, str]:
    """The worked example's input ``(c, *sizes)``: the user's numbers or distinct nonzero random
    integers from ``seed`` (so no two entries of a window tie), and how the document names them."""
    shape = (d.channels, *d.geometry.input)
    n = int(np.prod(shape))
    if values is None:
        rng = np.random.default_rng(seed)
        pool = np.concatenate([np.arange(-n, 0), np.arange(1, n + 1)])
        return rng.choice(pool, size=n, replace=False).astype(float).reshape(
            shape
        ), f"distinct random integers (seed {seed})"
    arr = np.asarray(values, dtype=float).reshape(-1)
    if arr.size < n or not np.isfinite(arr).all():
        raise SpecError("values", f"must hold {n} finite numbers, got {arr.size}")
    return arr[:n].reshape(shape), "the given numbers"


def _selection_lines(d: MaxPoolDerivation, p: tuple[int, ...], i: int, sel: Any) -> list[Line]:
    """eq.b-2.1 to eq.b-2.3 on numbers, axis by axis: the maximum's place in the window, the
    window's first entry and the maximum's position in the input."""
    g = d.geometry
    weights = [math.prod(g.kernel[:a]) for a in range(g.ndim)]
    letters = [a.n.split("_")[0] for a in pool_axes(d)]
    blocks, corners, positions = [], [], []
    for a, (axis, name) in enumerate(zip(g.axes, letters, strict=True)):
        w, t, r = weights[a], int(sel.corner[a][p]), int(sel.block[a][p])
        quotient = f"\\left\\lfloor \\frac{{{i} - 1}}{{{w}}} \\right\\rfloor" if w > 1 else f"({i} - 1)"
        blocks.append(Line(f"r_{{{name}}}", f"= {quotient} \\bmod {axis.window} + 1 = {r}", tag=_tag(a, "eq.b-2.1")))
        spot = f"{axis.stride} \\cdot ({p[a] + 1} - 1) - {axis.before}"
        corners.append(Line(f"t_{{{name}}}", f"= 1 + {spot} = {t}", tag=_tag(a, "eq.b-2.2")))
        taps = f"{axis.dilation} \\cdot ({r} - 1)"
        u = axis.input_dilation
        rhs = (
            f"= {t} + {taps} = {t + axis.dilation * (r - 1)}" if u == 1 else f"= \\frac{{{t} - 1 + {taps}}}{{{u}}} + 1"
        )
        outside = "" if int(sel.at[a][p]) else " \\text{ (padding)}"
        positions.append(Line(f"x_{{{name}}}", rhs + outside, tag=_tag(a, "eq.b-2.3")))
    return blocks + corners + positions


#: eq.b-2.1 to eq.b-2.3 in general, for any number of axes
_RULES = [
    Line(
        "r_a",
        "= \\left\\lfloor \\frac{i - 1}{\\prod_{b < a} k_b} \\right\\rfloor \\bmod k_a + 1",
        "position in the window along axis $a$",
        "eq.b-2.1",
    ),
    Line("t_a", "= 1 + s_a (p_a - 1) - p_a^{-}", "the window's first entry", "eq.b-2.2"),
    Line("x_a", "= \\frac{t_a - 1 + d_a (r_a - 1)}{u_a} + 1", "the maximum's position in the input", "eq.b-2.3"),
    Line("j", "= 1 + \\sum_a (x_a - 1) \\prod_{b < a} n_b", "its column of the mask"),
]


def max_context(d: MaxPoolDerivation, values: Any = None, seed: int = 0) -> dict[str, Any]:
    """Max pooling (Appendix B) in 1-D and 3-D with a worked example on numbers."""
    g = d.geometry
    example, source = _example(d, values, seed)
    x = example[0]
    p = _worked(d)
    switches = d.switches(x)
    sel = d.selection(switches)
    i = int(switches[p])
    fill = tex(d.fill)

    def cell(q: tuple[int, ...]) -> str:
        return "\\max\\left\\{" + ", ".join(_terms([tex(s) for s in _window_entries(d, q)])) + "\\right\\}"

    at_out = int(np.ravel_multi_index(p, g.output, order="F"))
    omega = [tex(s) for s in _window_entries(d, p)]
    values_p = d.window_values(x)[(0, *p)]
    index = int(sel.vec_index[p])
    strides = [math.prod(g.input[:a]) for a in range(g.ndim)]
    vec_rule = "1 + " + " + ".join(
        f"({int(sel.at[a][p])} - 1)" + (f" \\cdot {s}" if s > 1 else "") for a, s in enumerate(strides)
    )
    mask = d.mask(x)
    return {
        **_shapes(d),
        "family": "max",
        "pad_value": fill,
        "tie_order": "row-major order (PyTorch's)" if d.spec.tie_order == "row" else "${}_v\\Omega$ (the seed's)",
        "forward": [_rep2(d, cell, p)],
        "out": tex(d.output.entry(0, *p)),
        "vomega": [Line("{}_v\\Omega", "= " + column(_terms(omega) if len(omega) > TERMS else omega))],
        "rules": _RULES,
        "source": source,
        "numbers": [
            Line(mat(d.input, 0), "= " + common.sym_block(x.astype(int), rows=8)),
            Line("(i_p)", "= " + common.sym_block(switches, keep=[p], rows=8)),
        ],
        "window_numbers": [
            Line(
                "{}_v^{p}\\Omega",
                "= "
                + column([tex(sp.nsimplify(v)) if np.isfinite(v) else fill for v in values_p], keep=[i - 1], rows=10)
                + f", \\quad i = {i}",
            )
        ],
        "steps": _selection_lines(d, p, i, sel),
        "selected": index,
        "vec_rule": vec_rule,
        "mask": [
            Line(
                frac_d(vname(d.output, 0), vname(d.input, 0)),
                "= "
                + common.jac_matrix(
                    mask, keep_rows=[at_out], keep_cols=[index - 1] if index else [], rows=10, budget=LINE - 60
                ),
            )
        ],
        "dims": f"{math.prod(g.output)} \\times {math.prod(g.input)}",
        "position": common.position(tuple(k + 1 for k in p), d.output.wide),
    }
