"""A convolution layer's document data: Appendix A redone for the layer's shapes, with
the bias and the channel sums of 3.1.5.

Every entry comes from the core: the padded input and the windows (rep.1) from
:meth:`ConvDerivation.padded` and :meth:`~ConvDerivation.window`, the sums (rep.2) from
:meth:`~ConvDerivation.terms` in the seed's order, one Jacobian column built as eq.a1-3
and eq.a2-3 build it by :meth:`~ConvDerivation.column`, and the whole Jacobians from
the sparse :meth:`~ConvDerivation.jacobian`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import sympy as sp

from ... import ops
from ...errors import SpecError
from ...latex import common, pictures
from ...latex.blocks import block
from ...latex.layout import (
    FRACTIONS,
    LINE,
    TAG_ROOM,
    TAGGED,
    Line,
    aligned_row,
    chunks,
    column,
    fit,
    matrix,
    row_room,
    width,
)
from ...latex.notation import dfrac_partial, dims, frac_d, frac_partial, mat, ones, pair, space, vname
from ...latex.printer import join_sum, product, short_sum, tex
from ...latex.remarks import remark
from ...sparse import VecJacobian
from ...symbols import shaped, vec_index
from ..kind import LatexKind, kernel_chain
from . import backward
from .home import SPECS
from .rule import ConvDerivation

#: rep.2 entries with more terms than this are elided inside the matrix
REP2_TERMS = 4
#: a kernel with more entries than this is written by name inside rep.1
INLINE_KERNEL = 9


@dataclass(frozen=True)
class ConvEntry:
    """The worked entries (0-based): ``dz_{j,p} / dk_{j,i,r}`` (eq.a1-2) and
    ``dz_{j,p} / da_{c,x}`` (eq.a2-2), ``c`` the input channel that channel ``i`` of kernel
    ``j`` meets (``i`` itself without groups).  ``p``, ``r`` and ``x`` are positions (one
    index per axis): ``r`` in the window (the convolution's kernel), ``stored`` the same
    entry of the layer's kernel array (turned by 180° for a transposed convolution)."""

    j: int
    i: int
    c: int
    p: tuple[int, ...]
    r: tuple[int, ...]
    x: tuple[int, ...]
    stored: tuple[int, ...]


def _lower_left(shape: Sequence[int]) -> tuple[int, ...]:
    """The middle of a kernel, for an even size the lower-left of the middle ones (``beta_21``
    of a 2x2 kernel): ``k // 2`` along every axis but the last, ``(k - 1) // 2`` along it."""
    return tuple(k // 2 for k in shape[:-1]) + tuple((k - 1) // 2 for k in shape[-1:])


def _upper_right(shape: Sequence[int]) -> tuple[int, ...]:
    """The other middle entry (``beta_12`` of a 2x2 kernel)."""
    return tuple((k - 1) // 2 for k in shape[:-1]) + tuple(k // 2 for k in shape[-1:])


def entry_help(ndim: int) -> str:
    """How ``--entry`` is written for a ``ndim``-D convolution: ``P,Q,R,S or J,I,P,Q,R,S`` in 2-D."""
    out = {1: ("P",), 2: ("P", "Q"), 3: ("P", "Q", "T")}[ndim]
    ker = {1: ("R",), 2: ("R", "S"), 3: ("R", "S", "U")}[ndim]
    plain = ",".join(out + ker)
    return f"{plain} or J,I,{plain}"


def choose_entry(d: ConvDerivation, entry: Sequence[int] | None) -> ConvEntry:
    """The worked entries: ``entry`` (1-based output then kernel positions, optionally after
    ``J,I``) or, by default, a typical interior nonzero, picked the way the seed picks its
    example.

    The default output is the one nearest the middle whose window lies inside the input
    (``z_32`` in Appendix A); the kernel entry is the middle one, for an even size the
    lower-left of the middle four (``beta_21``); the input entry is the one that meets
    the upper-right middle kernel entry (``A_23``, which meets ``beta_12``).  With a
    user's ``entry`` the input entry is the one that meets ``k_r``."""
    geom = d.geometry
    n = geom.ndim
    win = geom.windows
    j = i = 0
    if entry is None:
        p = common.central(geom, (win >= 0).sum(axis=tuple(range(n, 2 * n))))
        r = common.nearest_inside(win[p], *_lower_left(geom.kernel)) or _lower_left(geom.kernel)
        near = _upper_right(geom.kernel)
    else:
        names = entry_help(n).split(" or ")[0].split(",")
        sizes = [*geom.output, *geom.kernel]
        words = [
            *(f"the output has {k} entries along axis {a + 1}" for a, k in enumerate(geom.output)),
            *(f"the kernel has {k} entries along axis {a + 1}" for a, k in enumerate(geom.kernel)),
        ]
        if n == 2:
            hz, wz = geom.output
            hk, wk = geom.kernel
            words = [
                f"the output has {hz} rows",
                f"the output has {wz} columns",
                f"the kernel has {hk} rows",
                f"the kernel has {wk} columns",
            ]
        limits = list(zip(names, sizes, words, strict=True))
        if len(entry) == 2 * n + 2:
            per_kernel = f"{d.ck} channels per kernel" if d.groups > 1 else f"{d.cin} input channels"
            limits = [("J", d.cout, f"{d.cout} output channels"), ("I", d.ck, per_kernel), *limits]
        elif len(entry) != 2 * n:
            raise SpecError("entry", f"takes {entry_help(n)} for {d.kind}, got {len(entry)} numbers")
        chosen = common.check_entry(entry, limits)
        j, i = chosen[:2] if len(chosen) == 2 * n + 2 else (0, 0)
        p, r = tuple(chosen[-2 * n : -n]), tuple(chosen[-n:])
        near = r
    spot = common.nearest_inside(win[p], *near)
    flat = int(win[p][spot]) if spot is not None else 0
    x = tuple(int(v) for v in np.unravel_index(flat, geom.input, order="F"))
    stored = tuple(k - 1 - v for k, v in zip(geom.kernel, r, strict=True)) if d.transposed else r
    return ConvEntry(j, i, d.input_channel(j, i), p, r, x, stored)


class _ConvDocument:
    """The pieces of one conv layer's derivation, for the chosen channels and entries."""

    def __init__(self, d: ConvDerivation, entry: Sequence[int] | None) -> None:
        self.d = d
        self.e = e = choose_entry(d, entry)
        self.geom = g = d.geometry
        self.a_shape, self.k_shape, self.z_shape = g.input, g.kernel, g.output
        self.block = d.block(e.j, e.i)
        self.a_name, self.z_name = mat(d.input, e.c), mat(d.output, e.j)
        self.k_name = kernel_name(d, e.j, e.i)
        self.va, self.vk, self.vz = vname(d.input, e.c), vname(d.kernel, *self.block), vname(d.output, e.j)
        self.bias = tex(d.b[e.j]) if d.bias is not None else ""
        self.plus_bias = f" + {self.bias}{ones(*self.z_shape)}" if self.bias else ""
        self.z_sym = d.output.entry(e.j, *e.p)
        self.k_sym = d.kernel.entry(*self.block, *e.stored)
        self.a_sym = d.input.entry(e.c, *e.x)
        # vec indices of the worked entries
        self.z_at = vec_index(self.z_shape, e.p)
        self.k_at = vec_index(self.k_shape, e.stored)
        self.a_at = vec_index(self.a_shape, e.x)
        self._terms: dict[tuple[int, ...], Sequence[str]] = {}
        self.kernel = shaped(d.kernel_entries(e.j, e.i), self.k_shape)  # the window's kernel
        self.k_matrix = common.sym_block(self.kernel, shape=self.k_shape, inline=True, rows=6, budget=160)
        # rep.1 writes each window out unless the kernel is large or the windows do not fit
        self.rep1_budget = common.budget_after("&= ", self.plus_bias) - TAG_ROOM
        self.compact = math.prod(self.k_shape) > INLINE_KERNEL
        self.rep1 = self._rep1()
        if not self.compact and width(self.rep1) > self.rep1_budget:
            self.compact = True
            self.rep1 = self._rep1()
        self.k_jac = d.jacobian("K", j=e.j, i=d.input_channel(e.j, e.i) if d.transposed else e.i)
        self.a_jac = d.jacobian("A", j=e.j, i=e.c)

    # -- names --------------------------------------------------------------------------------
    def window_name(self, p: tuple[int, ...]) -> str:
        """``{}^{pq}\\mathbf{A}``: the block of the padded input behind ``z_pq``."""
        return f"{{}}^{{{common.position([v + 1 for v in p], self.d.output.wide)}}}{self.a_name}"

    def conv_sum(self) -> str:
        """``sum_i A_i * K_{j,i}`` for this layer (one term for one input channel)."""
        d, j = self.d, self.e.j
        if d.groups > 1:
            return grouped_sum(d, j)
        if d.cin == 1:
            return f"{mat(d.input, 0)} * {kernel_name(d, j, 0)}"
        return f"\\sum_{{i=1}}^{{{d.cin}}} {mat(d.input, 'i')} * {kernel_name(d, j, 'i')}"

    # -- the convolution: padded input, rep.1, rep.2, rep.3 ----------------------------------------
    def printed_terms(self, p: tuple[int, ...]) -> Sequence[str]:
        """rep.2 of ``z_p``: the core's terms in the seed's order, each printed when shown
        (memoized)."""
        if p not in self._terms:
            self._terms[p] = common.Mapped(self.d.terms(*p, j=self.e.j), lambda ak: product(*ak))
        return self._terms[p]

    def rep2_cell(self, p: tuple[int, ...], limit: int = REP2_TERMS) -> str:
        text = short_sum(self.printed_terms(p), limit, empty="")
        if self.bias:
            return f"{text} + {self.bias}" if text else self.bias
        return text or "0"

    def rep2(self, rows: int, budget: float) -> str:
        """rep.2 as a block; long sums are cut shorter until it fits ``budget``."""
        out = ""
        for limit in range(REP2_TERMS, 1, -1):
            out = block(partial(self.rep2_cell, limit=limit), self.z_shape, keep=[self.e.p], rows=rows, budget=budget)
            if width(out) <= budget:
                break
        return out

    def _rep1(self) -> str:
        return block(
            self.rep1_cell,
            self.z_shape,
            keep=[self.e.p],
            rows=8 if self.compact else max(3, 12 // self.k_shape[0]),
            budget=self.rep1_budget,
            gap="" if self.compact else common.BLOCK_GAP,
        )

    def rep1_cell(self, p: tuple[int, ...]) -> str:
        if self.compact:
            return f"{self.window_name(p)} * {self.k_name}"
        window = self.d.window(*p, i=self.e.c)
        return common.sym_block(window, shape=self.k_shape, inline=True, rows=4, budget=120) + f" * {self.k_name}"

    def padded(self, kernel: str) -> str:
        """The padded input, its worked window's corners kept."""
        d, e, g = self.d, self.e, self.geom
        corners = [
            tuple(p * s for p, s in zip(e.p, g.stride, strict=True)),
            tuple(p * s + n - 1 for p, s, n in zip(e.p, g.stride, g.span, strict=True)),
        ]
        return common.sym_block(
            ops.Padded(d.input.grid(e.c), g),
            keep=corners,
            rows=12,
            budget=common.budget_after("&= ", kernel, " * ", self.plus_bias),
        )

    def forward(self) -> list[Line]:
        d, e = self.d, self.e
        # the kernel is written out beside the padded input when there is room for both
        kernel = self.k_matrix if width(self.k_matrix) < 130 else self.k_name
        padded = self.padded(kernel)
        named = [] if kernel == self.k_matrix else [Line(self.k_name, f"= {self.k_matrix}")]
        rep1 = self.rep1
        rep2 = self.rep2(rows=10, budget=TAGGED - 10)
        rep3 = common.sym_block(d.output.grid(e.j), keep=[e.p], rows=10, budget=TAGGED)
        a, k, z = self.a_name, self.k_name, self.z_name
        if d.cin == 1 and d.cout == 1:
            return [
                *named,
                Line(z, f"= {a} * {k}{self.plus_bias}"),
                Line("", f"= {padded} * {kernel}{self.plus_bias}"),
                Line("", f"= {rep1}{self.plus_bias}", tag="(rep.1)"),
                Line("", f"= {rep2}", tag="(rep.2)"),
                Line("", f"= {rep3}", tag="(rep.3)"),
            ]
        return [
            *named,
            Line(f"{a} * {k}", f"= {padded} * {kernel}"),
            Line("", f"= {rep1}", tag="(rep.1)"),
            Line(z, f"= {self.conv_sum()}{self.plus_bias}"),
            Line("", f"= {rep2}", tag="(rep.2)"),
            Line("", f"= {rep3}", tag="(rep.3)"),
        ]

    def vecs(self) -> Line:
        d, e = self.d, self.e
        va = column(common.printed(d.input.view(e.c)), keep=[self.a_at], rows=12)
        vk = column(common.printed(d.kernel.view(*self.block)), keep=[self.k_at], rows=12)
        vz = column(common.printed(d.output.view(e.j)), keep=[self.z_at], rows=12)
        return Line(self.va, f"= {va}; \\quad {self.vk} = {vk}; \\quad {self.vz} = {vz}")

    # -- one derivative, three ways (eq.a1-1..3, eq.a2-1..3) -----------------------------------------
    def definition(self, wrt: str, cols: Sequence[sp.Symbol], at: int, tag: str) -> list[Line]:
        """eq.a1-1 / eq.a2-1: the Jacobian defined entry by entry."""
        outs = self.d.output.view(self.e.j)
        of = self.vz
        shown: list[int | None] = []
        names = common.Mapped(cols, tex)  # only the shown columns are printed
        operators = common.Mapped(names, lambda s: dfrac_partial("", s))
        labels = common.Mapped(names, lambda s: dfrac_partial(of, s))
        suffix = f" \\otimes {of}"
        entries = matrix(
            lambda a, b: dfrac_partial(tex(outs[a]), tex(cols[b])),
            (len(outs), len(cols)),
            keep_rows=[self.z_at],
            keep_cols=[at],
            rows=8,
            budget=TAGGED - 40,
            gap=FRACTIONS,
            shown=shown,
            above=[(operators, row_room(frac_d(of, wrt), suffix)), (labels, row_room(""))],
        )
        return [
            *aligned_row(frac_d(of, wrt), operators, shown, suffix=suffix),
            *aligned_row("", labels, shown),
            Line("", f"= {entries}", tag=tag),
        ]

    def worked_sum(self, wrt: str) -> list[Line]:
        """The worked entry's rep.2 sum, whole: the chosen channel's terms, the other
        channels by name, the bias; long sums run over several lines."""
        d, e = self.d, self.e
        own = set(d.kernel.view(*self.block))
        terms = [product(a, k) for a, k in d.terms(*e.p, j=e.j) if k in own]
        at = common.position([v + 1 for v in e.p], d.output.wide)
        others = [i for i in range(d.ck) if i != e.i]  # kernel j's other channels
        first = e.c - e.i  # the group's first input channel
        if len(others) > 2:
            i2 = "i'"
            a2 = mat(d.input, f"{first} + {i2}" if first else i2)  # the group's input channels
            terms.append(f"\\sum_{{{i2} \\neq {e.i + 1}}} \\bigl({a2} * {kernel_name(d, e.j, i2)}\\bigr)_{{{at}}}")
        else:
            terms += [f"\\bigl({mat(d.input, first + o)} * {kernel_name(d, e.j, o)}\\bigr)_{{{at}}}" for o in others]
        if self.bias:
            terms.append(self.bias)
        lhs = frac_partial(tex(self.z_sym), wrt)
        head = f"\\frac{{\\partial}}{{\\partial {wrt}}}"
        parts = chunks(terms or ["0"], LINE - 170)
        if len(parts) == 1:
            return [Line(lhs, f"= {head}\\left({join_sum(parts[0])}\\right)", "using rep.2")]
        lines = [Line(lhs, f"= {head}\\Bigl({join_sum(parts[0])}")]
        lines += [Line("", f"\\qquad + {join_sum(part)}") for part in parts[1:-1]]
        lines.append(Line("", f"\\qquad + {join_sum(parts[-1])}\\Bigr)", "using rep.2"))
        return lines

    def worked(
        self, wrt_sym: sp.Symbol, jac: VecJacobian, at: int, last: Callable[[str, str, str], str], tag: str
    ) -> list[Line]:
        """eq.a1-2 / eq.a2-2: one entry from rep.2, then from rep.1 by the product rule;
        ``last(w, k, wrt)`` is the final step, which differs between the two."""
        wrt = tex(wrt_sym)
        window = self.d.window(*self.e.p, i=self.e.c)
        w = common.sym_block(window, shape=self.k_shape, inline=True, rows=4, budget=120)
        k = self.k_matrix
        named = self.compact or width(f"{frac_partial(w, wrt)} * {k} + {w} * {frac_partial(k, wrt)}") > LINE - 60
        defined = []
        if named:  # the matrices are too wide to repeat: name them once, with more room
            whole = common.sym_block(window, shape=self.k_shape, inline=True, rows=8, budget=LINE / 2 - 30)
            defined = [Line(self.window_name(self.e.p), f"= {whole}, \\qquad {self.k_name} = {k}")]
            w, k = self.window_name(self.e.p), self.k_name
        others = self.d.ck > 1 or self.bias
        note = "using rep.1" + ("; nothing else involves it" if others else "")
        return [
            *defined,
            *self.worked_sum(wrt),
            Line("", f"= {tex(jac[self.z_at, at])}"),
            Line("", f"= \\frac{{\\partial}}{{\\partial {wrt}}}\\left({w} * {k}\\right)", note),
            Line("", f"= {frac_partial(w, wrt)} * {k} + {w} * {frac_partial(k, wrt)}"),
            Line("", "= " + last(w, k, wrt), tag=tag),
        ]

    def construction(
        self, wrt_sym: sp.Symbol, varying: str, form: Callable[[str], str], unit: str, col: Sequence[sp.Expr], tag: str
    ) -> list[Line]:
        """eq.a1-3 / eq.a2-3: one column of the Jacobian from a unit tensor.  ``varying``
        is the factor that holds ``wrt_sym``; ``form(x)`` is the convolution with ``x`` in
        its place (``A * x`` or ``x * K``)."""
        wrt, e = tex(wrt_sym), self.e
        lhs = frac_d(self.z_name, wrt)
        symbolic, unit_form = form(frac_d(varying, wrt)), form(unit)
        shaped_col = common.sym_block(common.unvec(col, self.z_shape), keep=[e.p], rows=10, budget=LINE - 40)
        vec_lhs = frac_d(self.vz, wrt)
        return [
            *fit(lhs, [f"= {symbolic}", f"= {unit_form}", f"= {shaped_col}"]),
            *fit(
                vec_lhs,
                [
                    f"= \\operatorname{{vec}}\\left({symbolic}\\right)",
                    "= " + column(common.printed(col), keep=[self.z_at], rows=12),
                ],
                tag=tag,
            ),
        ]

    def whole(self, wrt: str, labels: Sequence[str], jac: VecJacobian, at: int) -> list[Line]:
        shown: list[int | None] = []
        lhs = frac_d(self.vz, wrt)
        whole = common.jac_matrix(jac, keep_rows=[self.z_at], keep_cols=[at], rows=12, budget=LINE - 40, shown=shown)
        # the labels are wider than the entries: a row of them that does not fit shows fewer
        return [*aligned_row(lhs, labels, shown), Line("", "= " + whole)]

    # -- the bias and 3.1.5 --------------------------------------------------------------------------
    def bias_lines(self) -> list[Line]:
        if not self.bias:
            return []
        nz = math.prod(self.z_shape)
        b, vz, conv = self.bias, self.vz, self.conv_sum()
        jac = self.d.jacobian("b", j=self.e.j)
        vec1 = f"\\operatorname{{vec}}\\left({ones(*self.z_shape)}\\right)"
        lines = [Line(vz, f"= \\operatorname{{vec}}\\left({conv}\\right) + {b} \\, {vec1}")]
        if len(self.z_shape) != 1:  # a 1-D output is its own vec
            lines.append(Line("", f"= \\operatorname{{vec}}\\left({conv}\\right) + {b} \\, {ones(nz, 1)}"))
        return [
            *lines,
            Line(
                f"\\implies {frac_d(vz, b)}",
                f"= {ones(nz, 1)} = " + common.jac_matrix(jac, keep_rows=[self.z_at], rows=8),
            ),
        ]

    def chain(self) -> dict[str, list[Line]]:
        """3.1.5 for this layer: each Jacobian in the chain rule with its dimensions.
        With one channel each way the channel indices are left out."""
        d, s = self.d, common.sized
        nz, nk, na = math.prod(self.z_shape), math.prod(self.k_shape), math.prod(self.a_shape)
        single = d.cin == 1 and d.cout == 1
        j, ji, i = ((), (), ()) if single else (("j",), kernel_index_names(d), ("i",))
        zj, ki = vname(d.output, *j, show=not single), vname(d.kernel, *ji, show=not single)
        ai, z_all = vname(d.input, *i, show=not single), vname(d.output, show=False)
        out = {
            "K": [Line(s(frac_d("J", ki), 1, nk), "= " + s(frac_d("J", zj), 1, nz) + s(frac_d(zj, ki), nz, nk))],
            "A": [],
            "b": [],
        }
        if d.groups > 1:  # only the kernels of input channel i's group meet it
            total = "\\sum_{j \\,:\\, i \\in \\mathcal{G}_j} " if d.cout > d.groups else ""
        else:
            total = f"\\sum_{{j=1}}^{{{d.cout}}} " if d.cout > 1 else ""
        out["A"].append(
            Line(s(frac_d("J", ai), 1, na), "= " + total + s(frac_d("J", zj), 1, nz) + s(frac_d(zj, ai), nz, na))
        )
        if d.cout > 1 and d.groups == 1 and not d.transposed:  # with groups, d vZ_j/d vK_{j,i} meets another A
            out["K"].append(
                Line(
                    s(frac_d("J", vname(d.kernel, ":", "i", show=True)), d.cout, nk),
                    "= " + s(frac_d("J", z_all), d.cout, nz) + s(frac_d(zj, ki), nz, nk),
                )
            )
        if d.cin > 1:
            stacked = column([frac_d("J", vname(d.input, c, show=True)) for c in range(d.cin)], rows=4)
            out["A"].append(Line(s(frac_d("J", vname(d.input, show=False)), d.cin, na), "= " + stacked))
        if d.bias is not None:
            b = tex(d.b[0]) if single else "b_j"
            out["b"] = [Line(s(frac_d("J", b), 1, 1), "= " + s(frac_d("J", zj), 1, nz) + s(ones(nz, 1), nz, 1))]
            if d.cout > 1:
                summed = f"\\left({frac_d('J', z_all)} {ones(nz, 1)}\\right)^\\top"
                out["b"].append(Line(s(frac_d("J", mat(d.bias, show=False)), 1, d.cout), "= " + s(summed, 1, d.cout)))
        return out


def kernel_index_names(d: ConvDerivation) -> tuple[str, str]:
    """The kernel's channel indices by name: ``(j, i)``, transposed ``(i, j)`` (PyTorch's layout)."""
    return ("i", "j") if d.transposed else ("j", "i")


def kernel_name(d: ConvDerivation, j: int | str, i: int | str) -> str:
    """The kernel output channel ``j`` correlates its ``i``-th channel with: ``\\mathbf{K}_{j,i}``,
    or for a transposed convolution ``\\operatorname{rot180}(\\mathbf{K}_{i,j})``, its kernel
    turned (``i`` then an input channel of ``j``'s group)."""
    return _kernel_shown(d, j, i, None)


def group_offset(d: ConvDerivation) -> str:
    """``o_j``, the input channels before kernel ``j``'s group: ``floor((j - 1) / (C_out/G)) C_in/G``;
    empty for a depthwise layer, whose kernel ``j`` meets input channel ``j`` (no ``o_j`` needed)."""
    og = d.cout // d.groups
    if og == 1 and d.ck == 1:
        return ""
    before = "(j - 1)" if og == 1 else f"\\left\\lfloor \\frac{{j - 1}}{{{og}}} \\right\\rfloor"
    return f"o_j = {before}" + ("" if d.ck == 1 else f" \\cdot {d.ck}")


def grouped_sum(d: ConvDerivation, j: int | str, show: bool | None = None) -> str:
    """``sum_i A_{o_j + i} * K_{j,i}``: kernel ``j``'s channels, each convolved with the input
    channel of its group that it meets (:meth:`Conv2D.input_channel`); ``j`` a 0-based kernel
    or the name ``"j"`` (then with :func:`group_offset`'s ``o_j``)."""
    og = d.cout // d.groups
    if isinstance(j, int):
        first = d.input_channel(j, 0)
        a = mat(d.input, first if d.ck == 1 else (f"{first} + i" if first else "i"), show=show)
    else:
        a = mat(d.input, ("j" if og == 1 else "o_j + 1") if d.ck == 1 else "o_j + i", show=show)
    if d.ck == 1:
        return f"{a} * {_kernel_shown(d, j, 0, show)}"
    return f"\\sum_{{i=1}}^{{{d.ck}}} {a} * {_kernel_shown(d, j, 'i', show)}"


def _kernel_shown(d: ConvDerivation, j: int | str, i: int | str, show: bool | None) -> str:
    """:func:`kernel_name` with the channel indices shown as ``show`` says."""
    if not d.transposed:
        return mat(d.kernel, j, i, show=show)
    lead = d.block(j, i) if isinstance(j, int) and isinstance(i, int) else (i, j)
    return f"\\operatorname{{rot180}}({mat(d.kernel, *lead, show=show)})"


def _groups(d: ConvDerivation) -> dict[str, Any] | None:
    """The groups, for the document: how many, the offset ``o_j``, the sum, and which input
    channels and kernels each group holds (the first two and the last of many)."""
    if d.groups == 1:
        return None
    og = d.cout // d.groups
    shown = list(range(d.groups)) if d.groups <= 4 else [0, 1, d.groups - 1]

    def span(first: int, count: int) -> str:
        if count <= 3:
            return ", ".join(str(first + k + 1) for k in range(count))
        return f"{first + 1}, \\ldots, {first + count}"

    def named(what: str, first: int, count: int) -> str:
        return f"{what}{'s' if count > 1 else ''} ${span(first, count)}$"

    listed = [f"group {g + 1}: {named('input channel', g * d.ck, d.ck)}, {named('kernel', g * og, og)}" for g in shown]
    if len(shown) < d.groups:
        listed.insert(2, "\\ldots")
    if d.ck > 1:
        members = f"o_j + 1, \\ldots, o_j + {d.ck}"
    else:
        members = "j" if og == 1 else "o_j + 1"
    return {
        "count": d.groups,
        "og": og,
        "members": members,
        "offset": group_offset(d),
        "sum": grouped_sum(d, "j", show=True),
        "listed": listed,
    }


def _axes(d: ConvDerivation) -> tuple[common.Axis, ...]:
    return common.axis_names(d.geometry.ndim, "a", "k", "z")


def _named(names: Sequence[str], values: Sequence[int]) -> str:
    """``$(h_s, w_s) = (1, 2)$``; one axis without brackets, ``$n_s = 2$``."""
    if len(names) == 1:
        return f"${names[0]} = {values[0]}$"
    return f"$({', '.join(names)}) = ({', '.join(str(v) for v in values)})$"


def _ranges(letters: Sequence[str], sizes: Sequence[int]) -> str:
    """``$1 \\leq p \\leq 4$ and $1 \\leq q \\leq 3$``: the positions of a block, in words."""
    parts = [f"$1 \\leq {x} \\leq {n}$" for x, n in zip(letters, sizes, strict=True)]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


#: the index letters of output, kernel and input positions, by the number of axes
_LETTERS = {
    1: (("p",), ("r",), ("r",)),
    2: (("p", "q"), ("r", "s"), ("r", "s")),
    3: (("p", "q", "t"), ("r", "s", "u"), ("r", "s", "u")),
}


def _notes(d: ConvDerivation) -> dict[str, Any]:
    """The sentences on the general convolution's options: input dilation, padding mode, the
    transposed convolution's reading, the order ``vec`` takes in 1-D and 3-D, an empty output."""
    g, axes = d.geometry, _axes(d)
    n = g.ndim
    spec: Any = d.spec
    out: dict[str, Any] = {
        "input_dilation": _named([a.u for a in axes], g.input_dilation)
        if any(u != 1 for u in g.input_dilation)
        else "",
        "mode": g.mode if g.mode != "zeros" else "",
        "copies": {
            "reflect": "the mirror image of the input without its edge entry",
            "replicate": "the input's edge entry, repeated",
            "circular": "the input's entries from its other end, as if it wrapped around",
        }.get(g.mode, ""),
        "crop": min(g.padding) < 0,
        "ndim": n,
        "vec_order": {
            1: "",
            2: "",
            3: "depth slices one after the other, each slice stacked by columns (the first axis, depth, varies "
            "slowest in the array but fastest in vec: $a_{111}, a_{211}, \\ldots$)",
        }[n],
        "transposed": None,
        "empty": g.empty,
    }
    if n == 3:
        out["vec_order"] = (
            "the entries in the order of the first axis fastest, then the second, then the third "
            "(the seed's column stacking, extended: $a_{111}, a_{211}, \\ldots, a_{121}, \\ldots$)"
        )
    if d.transposed:
        out["transposed"] = {
            "stride": f"${pair(spec.stride)}$" if n > 1 else f"${spec.stride[0]}$",
            "padding": ", ".join(str(p) for p in spec.padding),
            "output_padding": ", ".join(str(o) for o in spec.output_padding),
            "kernel": mat(d.kernel, show=False),
            "spread": _named([a.u for a in axes], g.input_dilation),
            "pads": ", ".join(str(p) for p in g.padding),
        }
    return out


def _empty_context(d: ConvDerivation) -> dict[str, Any]:
    """An empty layer's document: its shapes and why the output (or the input) has no entries;
    every Jacobian is then an empty matrix and every gradient zero."""
    g = d.geometry
    axes = _axes(d)
    k_lead = (d.cin, d.cout // d.groups) if d.transposed else (d.cout, d.ck)
    nz, na, nk = math.prod(g.output), math.prod(g.input), math.prod(g.kernel)
    lines = [
        Line(
            frac_d(vname(d.output, show=False), vname(d.input, show=False)),
            f"\\in \\mathbb{{R}}^{{{dims(d.cout * nz, d.cin * na)}}}",
        ),
        Line(
            frac_d(vname(d.output, show=False), vname(d.kernel, show=False)),
            f"\\in \\mathbb{{R}}^{{{dims(d.cout * nz, d.kernel.size)}}}",
        ),
    ]
    return {
        "empty": True,
        "A_all": mat(d.input, show=False),
        "K_all": mat(d.kernel, show=False),
        "Z_all": mat(d.output, show=False),
        "A_space": space(*d.spec.in_shape),
        "K_space": space(*k_lead, *g.kernel),
        "Z_space": space(d.cout, *g.output),
        "padding": common.padding_note(g, axes),
        "stride": _named([x.s for x in axes], g.stride),
        "size_lines": common.size_lines(g, axes),
        "no_input": 0 in g.input,
        "no_output": 0 in g.output,
        "jacobians": lines,
        "nk": nk,
        "b": bool(d.bias is not None),
        "chain": {"K": [], "A": [], "b": []},
        "summary": lines,
        **_notes(d),
    }


def context(d: ConvDerivation, entry: Sequence[int] | None = None) -> dict[str, Any]:
    """Everything the conv template lays out, section by section."""
    if d.geometry.empty:
        return _empty_context(d)
    doc = _ConvDocument(d, entry)
    e = doc.e
    return {
        **_shapes(doc),
        **_written_out(doc),
        **_kernel_section(doc),
        **_input_section(doc),
        "pictures": {
            "windows": [pictures.window_picture(doc.geom, *_drawn(e.p), tex(doc.z_sym))] if doc.geom.ndim <= 2 else [],
            "K": [pictures.jacobian_picture(doc.k_jac, frac_d(doc.vz, doc.vk), (doc.z_at, doc.k_at))],
            "A": [pictures.jacobian_picture(doc.a_jac, frac_d(doc.vz, doc.va), (doc.z_at, doc.a_at))],
        },
        "bias_lines": doc.bias_lines(),
        "chain": doc.chain(),
        "closed": backward.context(d, e.j, e.i, e.stored, e.x),
        **_remarks(doc),
        "summary": _summary(doc),
        **_notes(d),
    }


def _shapes(doc: _ConvDocument) -> dict[str, Any]:
    """The shapes section: the tensors, their spaces, the settings and the output size."""
    d, e, g = doc.d, doc.e, doc.geom
    axes = _axes(d)
    many = d.cin > 1 or d.cout > 1
    k_lead = (d.cin, d.cout // d.groups) if d.transposed else (d.cout, d.ck)
    return {
        "many": many,
        "cin": d.cin,
        "cout": d.cout,
        "j": e.j + 1,
        "i": e.i + 1,
        "c": e.c + 1,
        "A": doc.a_name,
        "K": doc.k_name,
        "Kstored": mat(d.kernel, *doc.block),
        "Z": doc.z_name,
        "vA": doc.va,
        "vK": doc.vk,
        "vZ": doc.vz,
        "b": doc.bias,
        "A_space": space(*d.spec.in_shape) if d.cin > 1 else space(*doc.a_shape),
        "K_space": space(*k_lead, *doc.k_shape) if many else space(*doc.k_shape),
        "ck": d.ck,
        "groups": _groups(d),
        "Z_space": space(d.cout, *doc.z_shape) if d.cout > 1 else space(*doc.z_shape),
        "Z_one": space(*doc.z_shape),
        "A_all": mat(d.input, show=False),
        "K_all": mat(d.kernel, show=False),
        "Z_all": mat(d.output, show=False),
        "z_dims": ", ".join(str(v) for v in doc.z_shape),
        "k_dims": dims(*doc.k_shape),
        "padding": common.padding_note(g, axes),
        "stride": _named([x.s for x in axes], g.stride),
        "dilation": _named([x.d for x in axes], g.dilation) if any(v != 1 for v in g.dilation) else "",
        "size_lines": common.size_lines(g, axes),
    }


def _written_out(doc: _ConvDocument) -> dict[str, Any]:
    """The convolution written out (rep.1 to rep.3), the worked window and the vec forms."""
    d, e = doc.d, doc.e
    n = doc.geom.ndim
    z_letters, k_letters, a_letters = _LETTERS[n]
    return {
        "forward": doc.forward(),
        "compact": doc.compact,
        "window_name": doc.window_name(e.p),
        "window_matrix": common.sym_block(d.window(*e.p, i=e.c), shape=doc.k_shape, rows=10),
        "window_where": {
            1: "the $n_k$ entries of the padded input under the kernel when it computes the output entry $p$",
            2: f"the ${doc.k_shape[0]} \\times {doc.k_shape[-1]}$ block of the padded input under the kernel "
            "when it computes the output entry in row $p$ and column $q$",
            3: f"the ${dims(*doc.k_shape)}$ block of the padded input under the kernel when it computes the "
            "output entry at depth $p$, row $q$ and column $t$",
        }[n],
        "vecs": [doc.vecs()],
        "z": tex(doc.z_sym),
        "k": tex(doc.k_sym),
        "a": tex(doc.a_sym),
        "z_range": _ranges(z_letters, doc.z_shape),
        "k_range": _ranges(k_letters, doc.k_shape),
        "a_range": _ranges(a_letters, doc.a_shape),
        "z_entries": "z_{" + "".join(z_letters) + "}",
        "k_entries": "k_{" + "".join(k_letters) + "}",
        "window_label": "".join(z_letters),
        "dims_K": dims(math.prod(doc.z_shape), math.prod(doc.k_shape)),
        "dims_A": dims(math.prod(doc.z_shape), math.prod(doc.a_shape)),
    }


def _kernel_section(doc: _ConvDocument) -> dict[str, Any]:
    """The derivative with respect to the kernel: eq.a1-1 to eq.a1-3 and the whole Jacobian."""
    d, e = doc.d, doc.e
    kflat = d.kernel.view(*doc.block)
    unit_k = common.unit_matrix(doc.k_shape, *e.r)
    a, k, kname = doc.a_name, doc.k_name, mat(d.kernel, *doc.block)
    labels = common.Mapped(
        kflat,
        lambda s: f"\\operatorname{{vec}}\\left({a} * {kernel_of(d, frac_d(kname, tex(s), display=True))}\\right)",
    )
    return {
        "a1_1": doc.definition(doc.vk, kflat, doc.k_at, "eq.a1-1"),
        "a1_2": doc.worked(
            doc.k_sym,
            doc.k_jac,
            doc.k_at,
            lambda w, k_, wrt: f"{w} * {frac_partial(k_, wrt)} = {w} * {unit_k}",
            "eq.a1-2",
        ),
        "a1_3": doc.construction(
            doc.k_sym, k, lambda x: f"{a} * {x}", unit_k, common.jac_column(doc.k_jac, doc.k_at), "eq.a1-3"
        ),
        "jac_K": doc.whole(doc.vk, labels, doc.k_jac, doc.k_at),
    }


def _input_section(doc: _ConvDocument) -> dict[str, Any]:
    """The derivative with respect to the input: eq.a2-1 to eq.a2-3 and the whole Jacobian."""
    d, e, g = doc.d, doc.e, doc.geom
    aflat = d.input.view(e.c)
    unit_a = common.unit_matrix(doc.a_shape, *e.x)
    window_unit = common.sym_block(
        ops.window(ops.Unit(g.input, *e.x), g, *e.p), shape=doc.k_shape, inline=True, rows=4, budget=120
    )
    a, k = doc.a_name, doc.k_name
    labels = common.Mapped(
        aflat, lambda s: f"\\operatorname{{vec}}\\left({frac_d(a, tex(s), display=True)} * {k}\\right)"
    )
    return {
        "a2_1": doc.definition(doc.va, aflat, doc.a_at, "eq.a2-1"),
        "a2_2": doc.worked(
            doc.a_sym,
            doc.a_jac,
            doc.a_at,
            lambda w, k_, wrt: f"{frac_partial(w, wrt)} * {k_} = {window_unit} * {k_}",
            "eq.a2-2",
        ),
        "a2_3": doc.construction(
            doc.a_sym, a, lambda x: f"{x} * {k}", unit_a, common.jac_column(doc.a_jac, doc.a_at), "eq.a2-3"
        ),
        "jac_A": doc.whole(doc.va, labels, doc.a_jac, doc.a_at),
    }


def _remarks(doc: _ConvDocument) -> dict[str, Any]:
    """The seed's slips in Appendix A, remarked on in a 2-D layer's own document; a network
    remarks on 3.1.5's once, in its chain rule (layer 1's kernel gradient is the seed's 3.1.6,
    a later layer's its 3.1.5)."""
    d = doc.d
    standalone = d.output.layer is None
    seed_like = standalone and doc.geom.ndim == 2 and not d.transposed
    if standalone:
        chain: list[Any] = []
    elif d.layer == 1:
        chain = [remark("kernel-1")]
    else:
        chain = [remark("layer-input"), remark("kernel-index")]
    return {
        "remarks": {
            "forward": [remark("beta"), remark("rep1")] if seed_like else [],
            "a2_2": [remark("eq-a2-2")] if seed_like else [],
        },
        "chain_remarks": chain,
    }


def _summary(doc: _ConvDocument) -> list[Line]:
    """The short form for a notebook: rep.2 and the Jacobians."""
    summary = [
        Line(doc.z_name, f"= {doc.conv_sum()}{doc.plus_bias} = " + doc.rep2(rows=6, budget=300), tag="(rep.2)"),
        Line(
            frac_d(doc.vz, doc.vk),
            "= " + common.jac_matrix(doc.k_jac, keep_rows=[doc.z_at], keep_cols=[doc.k_at], rows=8, budget=300),
        ),
        Line(
            frac_d(doc.vz, doc.va),
            "= " + common.jac_matrix(doc.a_jac, keep_rows=[doc.z_at], keep_cols=[doc.a_at], rows=8, budget=300),
        ),
    ]
    if doc.bias:
        summary.append(Line(frac_d(doc.vz, doc.bias), f"= {ones(math.prod(doc.z_shape), 1)}"))
    return summary


def _drawn(p: tuple[int, ...]) -> tuple[int, int]:
    """Output ``p`` where the window map draws it: a 1-D layer's as ``(0, p)``, one row."""
    return (0, p[0]) if len(p) == 1 else (p[0], p[1])


def kernel_of(d: ConvDerivation, name: str) -> str:
    """``name`` as the window's kernel: itself, or turned for a transposed convolution."""
    return f"\\operatorname{{rot180}}\\left({name}\\right)" if d.transposed else name


# -- the kind's document in a network: its title, forward line, gradients, update -----------


def _title(d: ConvDerivation) -> str:
    g = d.geometry
    what = "transposed convolution" if d.transposed else "convolution"
    if g.ndim == 1:
        return f"A 1D {what}: an input of ${d.spec.in_shape[1]}$ entries, a kernel of ${g.kernel[0]}$"
    return f"A {g.ndim}D {what}: ${dims(*d.spec.in_shape[1:])}$ input, ${dims(*g.kernel)}$ kernel"


def _forward(d: ConvDerivation) -> Line:
    shape = d.geometry.output
    bias = f" + {mat(d.bias, 'j', show=True)} {ones(*shape)}" if d.bias is not None else ""
    if d.groups > 1:
        return Line(
            mat(d.output, "j", show=True),
            f"= {grouped_sum(d, 'j', show=True)}{bias}, \\quad 1 \\leq j \\leq {d.cout}"
            + (f", \\ {offset}" if (offset := group_offset(d)) else ""),
        )
    if d.transposed:
        kernel = f"\\operatorname{{rot180}}({mat(d.kernel, 'i', 'j', show=True)})"
    else:
        kernel = mat(d.kernel, "j", "i", show=True)
    return Line(
        mat(d.output, "j", show=True),
        f"= \\sum_{{i=1}}^{{{d.cin}}} {mat(d.input, 'i', show=True)} * {kernel}{bias}, \\quad 1 \\leq j \\leq {d.cout}",
    )


def _gradients(d: ConvDerivation) -> list[Line]:
    names = kernel_index_names(d)
    k = vname(d.kernel, *names, show=True)
    each = "for every $i$ and $j$ of its group" if d.transposed else ""
    lines = [
        Line(
            f"\\nabla_{{{mat(d.kernel, *names, show=True)}}} J",
            f"= \\operatorname{{reshape}}\\left(\\left({frac_d('J', k)}\\right)^\\top\\right) "
            f"\\in \\mathbb{{R}}^{{{dims(*d.geometry.kernel)}}}"
            + ("" if d.transposed else f", \\quad 1 \\leq j \\leq {d.cout}, \\ 1 \\leq i \\leq {d.ck}"),
            each,
        )
    ]
    if d.bias is not None:
        b = mat(d.bias, show=False)
        grad = f"= \\left({frac_d('J', b)}\\right)^\\top \\in \\mathbb{{R}}^{{{d.cout}}}"
        lines.append(Line(f"\\nabla_{{{b}}} J", grad))
    return lines


def _update(d: ConvDerivation) -> list[Line]:
    k = mat(d.kernel, *kernel_index_names(d), show=True)
    where = (
        "for every $i$ and $j$ of its group"
        if d.transposed
        else f"for $1 \\leq j \\leq {d.cout}$, $1 \\leq i \\leq {d.ck}$"
    )
    lines = [Line(k, f":= {k} - \\alpha \\nabla_{{{k}}} J", where)]
    if d.bias is not None:
        b = mat(d.bias, show=False)
        lines.append(Line(b, f":= {b} - \\alpha \\nabla_{{{b}}} J"))
    return lines


LATEX = {
    spec.kind: LatexKind(
        template="conv.tex.j2",
        build=lambda d, opts, position: context(d, opts.entry),
        title=_title,
        forward=_forward,
        entry_help=entry_help(spec.ndim or 0),
        gradients=_gradients,
        update=_update,
        backward=kernel_chain,
    )
    for spec in SPECS
}
