"""Adaptive pooling's document data: PyTorch's windows listed with their numbers, the pooled
matrix written out (3.1.3, Appendix B's rep.2), and the Jacobian: average pooling's whole,
max pooling's mask at a worked example's switches."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ...errors import SpecError
from ...latex import common
from ...latex.blocks import block
from ...latex.layout import LINE, Line, matrix
from ...latex.notation import frac_d, mat, space, vname
from ...latex.printer import join_sum, tex
from ..kind import LatexKind
from ..pool.latex_nd import chain_lines, names, vec_words
from .home import SPECS
from .rule import AdaptiveAvgDerivation, AdaptiveMaxDerivation, _AdaptiveDerivation
from .spec import AdaptiveAvgPool, AdaptiveMaxPool

#: entries of a window shown in a sum or a max before eliding
TERMS = 6


def _window_lines(d: _AdaptiveDerivation) -> list[Line]:
    """Every window band with PyTorch's rule and its numbers, 1-based and inclusive:
    rows ``floor((p-1) h_i / h_a) + 1`` to ``ceil(p h_i / h_a)``."""
    (hi, wi), (ha, wa) = d.input_size, d.spec.output_size
    lines = []
    for name, n, out, starts, ends in (
        ("p", hi, ha, d.row_starts, d.row_ends),
        ("q", wi, wa, d.col_starts, d.col_ends),
    ):
        what = "rows" if name == "p" else "columns"
        for k in range(out):
            lines.append(
                Line(
                    f"{name} = {k + 1}",
                    f": \\ \\text{{{what} }} \\left\\lfloor \\tfrac{{{k} \\cdot {n}}}{{{out}}} \\right\\rfloor + 1 = "
                    f"{int(starts[k]) + 1} \\text{{ to }} \\left\\lceil \\tfrac{{{k + 1} \\cdot {n}}}{{{out}}} "
                    f"\\right\\rceil = {int(ends[k])}",
                )
            )
    return lines


def _terms(d: _AdaptiveDerivation, p: int, q: int) -> list[str]:
    terms = [tex(v) for v in d.window(p, q, 0).T]  # column by column: vΩ
    return [*terms[: TERMS - 2], "\\cdots", terms[-1]] if len(terms) > TERMS else terms


def _shapes(d: _AdaptiveDerivation) -> dict[str, Any]:
    (hi, wi), (ha, wa) = d.input_size, d.spec.output_size
    return {
        **names(d),
        "hi": hi,
        "wi": wi,
        "ha": ha,
        "wa": wa,
        "I_space": space(hi, wi),
        "A_space": space(ha, wa),
        "windows": _window_lines(d),
        "global_pool": (ha, wa) == (1, 1),
        "chain": chain_lines(d, ha * wa, hi * wi),
    }


def avg_context(d: AdaptiveAvgDerivation) -> dict[str, Any]:
    """Everything the adaptive pooling template lays out for average pooling."""
    (hi, wi), (ha, wa) = d.input_size, d.spec.output_size

    def cell(p: int, q: int) -> str:
        return f"\\tfrac{{1}}{{{int(d.divisors[p, q])}}}\\left({join_sum(_terms(d, p, q))}\\right)"

    jac = d.jacobian("I", j=0)
    return {
        **_shapes(d),
        "is_max": False,
        "forward": [
            Line(mat(d.output, 0), "= " + matrix(cell, (ha, wa), rows=8, budget=LINE - 40)),
            Line("", "= " + common.sym_matrix(d.output.matrix(0), rows=8)),
        ],
        "divisors": common.sym_matrix(d.divisors, rows=8),
        "jacobian": [Line(frac_d(vname(d.output, 0), vname(d.input, 0)), "= " + common.jac_matrix(jac, rows=12))],
        "dims": f"{ha * wa} \\times {hi * wi}",
    }


def max_context(d: AdaptiveMaxDerivation, values: np.ndarray | None, seed: int) -> dict[str, Any]:
    """Everything the adaptive pooling template lays out for max pooling, with the switches of
    a worked example (the user's numbers, or random integers in ``-9..9`` from ``seed``)."""
    (hi, wi), (ha, wa) = d.input_size, d.spec.output_size
    if values is None:
        example = np.random.default_rng(seed).integers(-9, 10, size=(hi, wi)).astype(float)
        source = f"random integers (seed {seed})"
    else:
        arr = np.asarray(values, dtype=float)
        if arr.size < hi * wi or not np.isfinite(arr).all():
            raise SpecError("values", f"must hold {hi * wi} finite numbers for channel 1, got {arr.size}")
        example, source = arr.reshape(-1)[: hi * wi].reshape(hi, wi), "the given numbers"

    def cell(p: int, q: int) -> str:
        return f"\\max\\left\\{{{', '.join(_terms(d, p, q))}\\right\\}}"

    switches = d.switches(example)
    mask = d.mask(example)
    return {
        **_shapes(d),
        "is_max": True,
        "forward": [
            Line(mat(d.output, 0), "= " + matrix(cell, (ha, wa), rows=8, budget=LINE - 40)),
        ],
        "tie_order": "row-major order (PyTorch's)" if d.spec.tie_order == "row" else "${}_v\\Omega$ (the seed's)",
        "source": source,
        "example": common.sym_matrix(example.astype(int), rows=10),
        "switches": common.sym_matrix(switches, rows=10),
        "selected": common.sym_matrix(d.selected(switches), rows=10),
        "jacobian": [
            Line(
                frac_d(vname(d.output, 0), vname(d.input, 0)),
                "= " + common.jac_matrix(mask, keep_rows=[0], keep_cols=[int(d.selected(switches)[0, 0]) - 1], rows=12),
            )
        ],
        "dims": f"{ha * wa} \\times {hi * wi}",
    }


# -- 1-D and 3-D ----------------------------------------------------------------------------------


def _nd_window_lines(d: _AdaptiveDerivation) -> list[Line]:
    """Every window band along each axis with PyTorch's rule and its numbers (1-based, inclusive)."""
    axes = common.axis_names(d.ndim, "i", "l", "a")
    lines = []
    for axis, n, (starts, ends) in zip(axes, d.input_size, d.bands, strict=True):
        letter = axis.n.split("_")[0]
        for k in range(len(starts)):
            lines.append(
                Line(
                    f"p_{{{letter}}} = {k + 1}",
                    f": \\ \\left\\lfloor \\tfrac{{{k} \\cdot {n}}}{{{len(starts)}}} \\right\\rfloor + 1 = "
                    f"{int(starts[k]) + 1} \\text{{ to }} \\left\\lceil \\tfrac{{{k + 1} \\cdot {n}}}{{{len(starts)}}} "
                    f"\\right\\rceil = {int(ends[k])}",
                )
            )
    return lines


def _nd_terms(d: _AdaptiveDerivation, p: tuple[int, ...]) -> list[str]:
    terms = [tex(d.input.entry(0, *c)) for c in d.cells(*p)]  # vΩ: the first axis fastest
    return [*terms[: TERMS - 2], "\\cdots", terms[-1]] if len(terms) > TERMS else terms


def _nd_shapes(d: _AdaptiveDerivation, cell: Any) -> dict[str, Any]:
    out = d.spec.output_size
    nz, n = d._sizes
    return {
        **_shapes_nd(d),
        "windows": _nd_window_lines(d),
        "forward": [Line(mat(d.output, 0), "= " + block(cell, out, rows=8, budget=LINE - 40))],
        "dims": f"{nz} \\times {n}",
    }


def _shapes_nd(d: _AdaptiveDerivation) -> dict[str, Any]:
    nz, n = d._sizes
    return {
        **names(d),
        "ndim": d.ndim,
        "I_space": space(*d.input_size),
        "A_space": space(*d.spec.output_size),
        "vec_order": vec_words(d.ndim, d.input.letter),
        "global_pool": all(o == 1 for o in d.spec.output_size),
        "chain": chain_lines(d, nz, n),
    }


def nd_avg_context(d: AdaptiveAvgDerivation) -> dict[str, Any]:
    """Adaptive average pooling in 1-D and 3-D."""

    def cell(p: tuple[int, ...]) -> str:
        return f"\\tfrac{{1}}{{{int(d.divisors[p])}}}\\left({join_sum(_nd_terms(d, p))}\\right)"

    jac = d.jacobian("I", j=0)
    return {
        **_nd_shapes(d, cell),
        "is_max": False,
        "divisors": common.sym_block(sp.ImmutableDenseNDimArray(d.divisors.tolist(), d.divisors.shape), rows=8)
        if d.ndim > 1
        else common.sym_block(sp.ImmutableMatrix(d.divisors.tolist()), shape=d.divisors.shape, rows=8),
        "jacobian": [Line(frac_d(vname(d.output, 0), vname(d.input, 0)), "= " + common.jac_matrix(jac, rows=12))],
    }


def nd_max_context(d: AdaptiveMaxDerivation, values: np.ndarray | None, seed: int) -> dict[str, Any]:
    """Adaptive max pooling in 1-D and 3-D, with the switches of a worked example."""
    size = d.input_size
    count = int(np.prod(size))
    if values is None:
        example = np.random.default_rng(seed).integers(-9, 10, size=size).astype(float)
        source = f"random integers (seed {seed})"
    else:
        arr = np.asarray(values, dtype=float)
        if arr.size < count or not np.isfinite(arr).all():
            raise SpecError("values", f"must hold {count} finite numbers for channel 1, got {arr.size}")
        example, source = arr.reshape(-1)[:count].reshape(size), "the given numbers"

    def cell(p: tuple[int, ...]) -> str:
        return f"\\max\\left\\{{{', '.join(_nd_terms(d, p))}\\right\\}}"

    switches = d.switches(example)
    selected = d.selected(switches)
    first = tuple(0 for _ in size)
    return {
        **_nd_shapes(d, cell),
        "is_max": True,
        "tie_order": "row-major order (PyTorch's)" if d.spec.tie_order == "row" else "${}_v\\Omega$ (the seed's)",
        "source": source,
        "example": [
            Line(mat(d.input, 0), "= " + common.sym_block(example.astype(int), rows=8, budget=LINE - 40)),
            Line("i", "= " + common.sym_block(switches, rows=8, budget=LINE - 40)),
            Line("j", "= " + common.sym_block(selected, rows=8, budget=LINE - 40)),
        ],
        "jacobian": [
            Line(
                frac_d(vname(d.output, 0), vname(d.input, 0)),
                "= " + common.jac_matrix(d.mask(example), keep_rows=[0], keep_cols=[int(selected[first]) - 1], rows=12),
            )
        ],
    }


# -- the kinds' documents --------------------------------------------------------------------


def _title(what: str) -> Any:
    def title(d: AdaptiveAvgDerivation | AdaptiveMaxDerivation) -> str:
        size = " \\times ".join(str(n) for n in d.input_size)
        out = " \\times ".join(str(n) for n in d.spec.output_size)
        return f"Adaptive {what} pooling: ${size}$ input, ${out}$ output"

    return title


def _forward(op: str) -> Any:
    def forward(d: AdaptiveAvgDerivation | AdaptiveMaxDerivation) -> Line:
        return Line(
            mat(d.output, "j", show=True),
            f"= \\operatorname{{{op}}}\\left({mat(d.input, 'j', show=True)}\\right), "
            f"\\quad 1 \\leq j \\leq {d.channels}",
        )

    return forward


def _latex_kind(spec: type[AdaptiveAvgPool] | type[AdaptiveMaxPool]) -> LatexKind:
    two = spec.ndim == 2
    if issubclass(spec, AdaptiveMaxPool):
        return LatexKind(
            template="adaptive_pool.tex.j2" if two else "adaptive_nd.tex.j2",
            build=(lambda d, opts, position: max_context(d, opts.values, opts.seed + position))
            if two
            else (lambda d, opts, position: nd_max_context(d, opts.values, opts.seed + position)),
            title=_title("max"),
            forward=_forward("adaptivemaxpool"),
        )
    return LatexKind(
        template="adaptive_pool.tex.j2" if two else "adaptive_nd.tex.j2",
        build=(lambda d, opts, position: avg_context(d)) if two else (lambda d, opts, position: nd_avg_context(d)),
        title=_title("average"),
        forward=_forward("adaptiveavgpool"),
    )


LATEX = {spec.kind: _latex_kind(spec) for spec in SPECS}
