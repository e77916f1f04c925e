"""A convolution layer's document data: Appendix A redone for the layer's shapes, with
the bias and the channel sums of 3.1.5.

Every entry comes from the core: the padded input and the windows (rep.1) from
:meth:`ConvDerivation.padded` and :meth:`~ConvDerivation.window`, the sums (rep.2) from
:meth:`~ConvDerivation.terms` in the seed's order, one Jacobian column built as eq.a1-3
and eq.a2-3 build it by :meth:`~ConvDerivation.column`, and the whole Jacobians from
the sparse :meth:`~ConvDerivation.jacobian`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import sympy as sp

from ... import ops
from ...errors import SpecError
from ...latex import common, pictures
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
from ...latex.notation import dfrac_partial, dims, frac_d, frac_partial, mat, ones, space, vname
from ...latex.printer import join_sum, product, short_sum, tex
from ...latex.remarks import remark
from ...sparse import VecJacobian
from . import backward
from .rule import ConvDerivation

#: rep.2 entries with more terms than this are elided inside the matrix
REP2_TERMS = 4
#: a kernel with more entries than this is written by name inside rep.1
INLINE_KERNEL = 9


@dataclass(frozen=True)
class ConvEntry:
    """The worked entries (0-based): ``dz_{j,pq} / dk_{j,i,rs}`` (eq.a1-2) and
    ``dz_{j,pq} / da_{c,xy}`` (eq.a2-2), ``c`` the input channel that channel ``i`` of kernel
    ``j`` meets (``i`` itself without groups)."""

    j: int
    i: int
    c: int
    p: int
    q: int
    r: int
    s: int
    x: int
    y: int


def choose_entry(d: ConvDerivation, entry: Sequence[int] | None) -> ConvEntry:
    """The worked entries: ``entry`` (1-based ``P,Q,R,S`` or ``J,I,P,Q,R,S``) or, by default,
    a typical interior nonzero, picked the way the seed picks its example.

    The default output is the one nearest the middle whose window lies inside the input
    (``z_32`` in Appendix A); the kernel entry is the middle one, for an even size the
    lower-left of the middle four (``beta_21``); the input entry is the one that meets
    the upper-right middle kernel entry (``A_23``, which meets ``beta_12``).  With a
    user's ``entry`` the input entry is the one that meets ``k_rs``."""
    geom = d.geometry
    (hz, wz), (hk, wk) = geom.output, geom.kernel
    win = geom.windows
    j = i = 0
    if entry is None:
        p, q = common.central(geom, (win >= 0).sum(axis=(2, 3)))
        r, s = common.nearest_inside(win[p, q], hk // 2, (wk - 1) // 2) or (hk // 2, (wk - 1) // 2)
        near = ((hk - 1) // 2, wk // 2)
    else:
        limits = [
            ("P", hz, f"the output has {hz} rows"),
            ("Q", wz, f"the output has {wz} columns"),
            ("R", hk, f"the kernel has {hk} rows"),
            ("S", wk, f"the kernel has {wk} columns"),
        ]
        if len(entry) == 6:
            per_kernel = f"{d.ck} channels per kernel" if d.groups > 1 else f"{d.cin} input channels"
            limits = [("J", d.cout, f"{d.cout} output channels"), ("I", d.ck, per_kernel), *limits]
        elif len(entry) != 4:
            raise SpecError("entry", f"takes P,Q,R,S or J,I,P,Q,R,S for conv2d, got {len(entry)} numbers")
        chosen = common.check_entry(entry, limits)
        j, i = chosen[:2] if len(chosen) == 6 else (0, 0)
        p, q, r, s = chosen[-4:]
        near = (r, s)
    spot = common.nearest_inside(win[p, q], *near)
    flat = int(win[p, q][spot]) if spot is not None else 0
    h = geom.input[0]
    return ConvEntry(j, i, d.spec.input_channel(j, i), p, q, r, s, flat % h, flat // h)


class _ConvDocument:
    """The pieces of one conv layer's derivation, for the chosen channels and entries."""

    def __init__(self, d: ConvDerivation, entry: Sequence[int] | None) -> None:
        self.d = d
        self.e = e = choose_entry(d, entry)
        self.geom = g = d.geometry
        (self.ha, self.wa), (self.hk, self.wk), (self.hz, self.wz) = g.input, g.kernel, g.output
        self.a_name, self.k_name, self.z_name = mat(d.input, e.c), mat(d.kernel, e.j, e.i), mat(d.output, e.j)
        self.va, self.vk, self.vz = vname(d.input, e.c), vname(d.kernel, e.j, e.i), vname(d.output, e.j)
        self.bias = tex(d.b[e.j]) if d.bias is not None else ""
        self.plus_bias = f" + {self.bias}{ones(self.hz, self.wz)}" if self.bias else ""
        self.z_sym = d.output.entry(e.j, e.p, e.q)
        self.k_sym = d.kernel.entry(e.j, e.i, e.r, e.s)
        self.a_sym = d.input.entry(e.c, e.x, e.y)
        # vec indices of the worked entries
        self.z_at, self.k_at, self.a_at = e.q * self.hz + e.p, e.s * self.hk + e.r, e.y * self.ha + e.x
        self._terms: dict[tuple[int, int], Sequence[str]] = {}
        self.k_matrix = common.sym_matrix(d.kernel.grid(e.j, e.i), inline=True, rows=6, budget=160)
        # rep.1 writes each window out unless the kernel is large or the windows do not fit
        self.rep1_budget = common.budget_after("&= ", self.plus_bias) - TAG_ROOM
        self.compact = self.hk * self.wk > INLINE_KERNEL
        self.rep1 = self._rep1()
        if not self.compact and width(self.rep1) > self.rep1_budget:
            self.compact = True
            self.rep1 = self._rep1()
        self.k_jac = d.jacobian("K", j=e.j, i=e.i)
        self.a_jac = d.jacobian("A", j=e.j, i=e.c)

    # -- names --------------------------------------------------------------------------------
    def window_name(self, p: int, q: int) -> str:
        """``{}^{pq}\\mathbf{A}``: the block of the padded input behind ``z_pq``."""
        return f"{{}}^{{{common.pq(p + 1, q + 1, self.d.output.wide)}}}{self.a_name}"

    def conv_sum(self) -> str:
        """``sum_i A_i * K_{j,i}`` for this layer (one term for one input channel)."""
        d, j = self.d, self.e.j
        if d.groups > 1:
            return grouped_sum(d, j)
        if d.cin == 1:
            return f"{mat(d.input, 0)} * {mat(d.kernel, j, 0)}"
        return f"\\sum_{{i=1}}^{{{d.cin}}} {mat(d.input, 'i')} * {mat(d.kernel, j, 'i')}"

    # -- the convolution: padded input, rep.1, rep.2, rep.3 ----------------------------------------
    def printed_terms(self, p: int, q: int) -> Sequence[str]:
        """rep.2 of ``z_pq``: the core's terms in the seed's order, each printed when shown
        (memoized)."""
        if (p, q) not in self._terms:
            self._terms[(p, q)] = common.Mapped(self.d.terms(p, q, self.e.j), lambda ak: product(*ak))
        return self._terms[(p, q)]

    def rep2_cell(self, p: int, q: int, limit: int = REP2_TERMS) -> str:
        text = short_sum(self.printed_terms(p, q), limit, empty="")
        if self.bias:
            return f"{text} + {self.bias}" if text else self.bias
        return text or "0"

    def rep2(self, rows: int, budget: float) -> str:
        """rep.2 as a matrix; long sums are cut shorter until the matrix fits ``budget``."""
        e = self.e
        out = ""
        for limit in range(REP2_TERMS, 1, -1):
            out = matrix(
                partial(self.rep2_cell, limit=limit),
                (self.hz, self.wz),
                keep_rows=[e.p],
                keep_cols=[e.q],
                rows=rows,
                budget=budget,
            )
            if width(out) <= budget:
                break
        return out

    def _rep1(self) -> str:
        return matrix(
            self.rep1_cell,
            (self.hz, self.wz),
            keep_rows=[self.e.p],
            keep_cols=[self.e.q],
            rows=8 if self.compact else max(3, 12 // self.hk),
            budget=self.rep1_budget,
            gap="" if self.compact else common.BLOCK_GAP,
        )

    def rep1_cell(self, p: int, q: int) -> str:
        if self.compact:
            return f"{self.window_name(p, q)} * {self.k_name}"
        window = self.d.window(p, q, self.e.c)
        return common.sym_matrix(window, inline=True, rows=4, budget=120) + f" * {self.k_name}"

    def forward(self) -> list[Line]:
        d, e, g = self.d, self.e, self.geom
        # the worked window's corners, in padded coordinates
        rows = [e.p * g.stride[0], e.p * g.stride[0] + g.span[0] - 1]
        cols = [e.q * g.stride[1], e.q * g.stride[1] + g.span[1] - 1]
        # the kernel is written out beside the padded input when there is room for both
        kernel = self.k_matrix if width(self.k_matrix) < 130 else self.k_name
        padded = common.sym_matrix(
            ops.Padded(d.input.grid(e.c), g),
            keep_rows=rows,
            keep_cols=cols,
            rows=12,
            budget=common.budget_after("&= ", kernel, " * ", self.plus_bias),
        )
        named = [] if kernel == self.k_matrix else [Line(self.k_name, f"= {self.k_matrix}")]
        rep1 = self.rep1
        rep2 = self.rep2(rows=10, budget=TAGGED - 10)
        rep3 = common.sym_matrix(d.output.grid(e.j), keep_rows=[e.p], keep_cols=[e.q], rows=10, budget=TAGGED)
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
        vk = column(common.printed(d.kernel.view(e.j, e.i)), keep=[self.k_at], rows=12)
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
        own = set(d.kernel.view(e.j, e.i))
        terms = [product(a, k) for a, k in d.terms(e.p, e.q, e.j) if k in own]
        at = common.pq(e.p + 1, e.q + 1, d.output.wide)
        others = [i for i in range(d.ck) if i != e.i]  # kernel j's other channels
        if len(others) > 2:
            i2 = "i'"
            a2 = mat(d.input, f"{e.c - e.i} + {i2}" if e.c != e.i else i2)  # the group's input channels
            terms.append(f"\\sum_{{{i2} \\neq {e.i + 1}}} \\bigl({a2} * {mat(d.kernel, e.j, i2)}\\bigr)_{{{at}}}")
        else:
            terms += [f"\\bigl({mat(d.input, e.c - e.i + o)} * {mat(d.kernel, e.j, o)}\\bigr)_{{{at}}}" for o in others]
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
        w = common.sym_matrix(self.d.window(self.e.p, self.e.q, self.e.c), inline=True, rows=4, budget=120)
        k = self.k_matrix
        named = self.compact or width(f"{frac_partial(w, wrt)} * {k} + {w} * {frac_partial(k, wrt)}") > LINE - 60
        defined = []
        if named:  # the matrices are too wide to repeat: name them once, with more room
            whole = common.sym_matrix(
                self.d.window(self.e.p, self.e.q, self.e.c), inline=True, rows=8, budget=LINE / 2 - 30
            )
            defined = [Line(self.window_name(self.e.p, self.e.q), f"= {whole}, \\qquad {self.k_name} = {k}")]
            w, k = self.window_name(self.e.p, self.e.q), self.k_name
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
        """eq.a1-3 / eq.a2-3: one column of the Jacobian from a unit matrix.  ``varying``
        is the factor that holds ``wrt_sym``; ``form(x)`` is the convolution with ``x`` in
        its place (``A * x`` or ``x * K``)."""
        wrt, e = tex(wrt_sym), self.e
        lhs = frac_d(self.z_name, wrt)
        symbolic, unit_form = form(frac_d(varying, wrt)), form(unit)
        shaped = common.sym_matrix(
            common.unvec(col, (self.hz, self.wz)),
            keep_rows=[e.p],
            keep_cols=[e.q],
            rows=10,
            budget=LINE - 40,
        )
        vec_lhs = frac_d(self.vz, wrt)
        return [
            *fit(lhs, [f"= {symbolic}", f"= {unit_form}", f"= {shaped}"]),
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
        nz = self.hz * self.wz
        b, vz, conv = self.bias, self.vz, self.conv_sum()
        jac = self.d.jacobian("b", j=self.e.j)
        vec1 = f"\\operatorname{{vec}}\\left({ones(self.hz, self.wz)}\\right)"
        return [
            Line(vz, f"= \\operatorname{{vec}}\\left({conv}\\right) + {b} \\, {vec1}"),
            Line("", f"= \\operatorname{{vec}}\\left({conv}\\right) + {b} \\, {ones(nz, 1)}"),
            Line(
                f"\\implies {frac_d(vz, b)}",
                f"= {ones(nz, 1)} = " + common.jac_matrix(jac, keep_rows=[self.z_at], rows=8),
            ),
        ]

    def chain(self) -> dict[str, list[Line]]:
        """3.1.5 for this layer: each Jacobian in the chain rule with its dimensions.
        With one channel each way the channel indices are left out."""
        d, s = self.d, common.sized
        nz, nk, na = self.hz * self.wz, self.hk * self.wk, self.ha * self.wa
        single = d.cin == 1 and d.cout == 1
        j, ji, i = ((), (), ()) if single else (("j",), ("j", "i"), ("i",))
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
        if d.cout > 1 and d.groups == 1:  # with groups, d vZ_j/d vK_{j,i} meets another A in each group
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
        first = d.spec.input_channel(j, 0)
        a = mat(d.input, first if d.ck == 1 else (f"{first} + i" if first else "i"), show=show)
    else:
        a = mat(d.input, ("j" if og == 1 else "o_j + 1") if d.ck == 1 else "o_j + i", show=show)
    if d.ck == 1:
        return f"{a} * {mat(d.kernel, j, 0, show=show)}"
    return f"\\sum_{{i=1}}^{{{d.ck}}} {a} * {mat(d.kernel, j, 'i', show=show)}"


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


def context(d: ConvDerivation, entry: Sequence[int] | None = None) -> dict[str, Any]:
    """Everything the conv template lays out."""
    doc = _ConvDocument(d, entry)
    e, g = doc.e, doc.geom
    kflat, aflat = d.kernel.view(e.j, e.i), d.input.view(e.c)
    unit_k = common.unit_matrix((doc.hk, doc.wk), e.r, e.s)
    unit_a = common.unit_matrix((doc.ha, doc.wa), e.x, e.y)
    window_unit = common.sym_matrix(
        ops.window(ops.Unit(g.input, e.x, e.y), g, e.p, e.q), inline=True, rows=4, budget=120
    )
    a, k = doc.a_name, doc.k_name
    k_labels = common.Mapped(
        kflat, lambda s: f"\\operatorname{{vec}}\\left({a} * {frac_d(k, tex(s), display=True)}\\right)"
    )
    a_labels = common.Mapped(
        aflat, lambda s: f"\\operatorname{{vec}}\\left({frac_d(a, tex(s), display=True)} * {k}\\right)"
    )
    many = d.cin > 1 or d.cout > 1
    standalone = d.output.layer is None
    summary = [
        Line(
            doc.z_name,
            f"= {doc.conv_sum()}{doc.plus_bias} = " + doc.rep2(rows=6, budget=300),
            tag="(rep.2)",
        ),
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
        summary.append(Line(frac_d(doc.vz, doc.bias), f"= {ones(doc.hz * doc.wz, 1)}"))
    return {
        "many": many,
        "cin": d.cin,
        "cout": d.cout,
        "j": e.j + 1,
        "i": e.i + 1,
        "c": e.c + 1,
        "A": a,
        "K": k,
        "Z": doc.z_name,
        "vA": doc.va,
        "vK": doc.vk,
        "vZ": doc.vz,
        "b": doc.bias,
        "A_space": space(*d.spec.in_shape) if d.cin > 1 else space(doc.ha, doc.wa),
        "K_space": space(d.cout, d.ck, doc.hk, doc.wk) if many else space(doc.hk, doc.wk),
        "ck": d.ck,
        "groups": _groups(d),
        "Z_space": space(d.cout, doc.hz, doc.wz) if d.cout > 1 else space(doc.hz, doc.wz),
        "Z_one": space(doc.hz, doc.wz),
        "A_all": mat(d.input, show=False),
        "K_all": mat(d.kernel, show=False),
        "Z_all": mat(d.output, show=False),
        "hz": doc.hz,
        "wz": doc.wz,
        "hk": doc.hk,
        "wk": doc.wk,
        "ha": doc.ha,
        "wa": doc.wa,
        "padding": common.padding_note(g, common.CONV_AXES),
        "stride": f"$(h_s, w_s) = ({g.stride[0]}, {g.stride[1]})$",
        "dilation": f"$(d_h, d_w) = ({g.dilation[0]}, {g.dilation[1]})$" if g.dilation != (1, 1) else "",
        "size_lines": common.size_lines(g, common.CONV_AXES),
        "forward": doc.forward(),
        "compact": doc.compact,
        "window_name": doc.window_name(e.p, e.q),
        "window_matrix": common.sym_matrix(d.window(e.p, e.q, e.c), rows=10),
        "vecs": [doc.vecs()],
        "z": tex(doc.z_sym),
        "k": tex(doc.k_sym),
        "a": tex(doc.a_sym),
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
        "jac_K": doc.whole(doc.vk, k_labels, doc.k_jac, doc.k_at),
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
        "jac_A": doc.whole(doc.va, a_labels, doc.a_jac, doc.a_at),
        "pictures": {
            "windows": [pictures.window_picture(g, e.p, e.q, tex(doc.z_sym))],
            "K": [pictures.jacobian_picture(doc.k_jac, frac_d(doc.vz, doc.vk), (doc.z_at, doc.k_at))],
            "A": [pictures.jacobian_picture(doc.a_jac, frac_d(doc.vz, doc.va), (doc.z_at, doc.a_at))],
        },
        "bias_lines": doc.bias_lines(),
        "chain": doc.chain(),
        "closed": backward.context(d, e.j, e.i, (e.r, e.s), (e.x, e.y)),
        # the seed's slips in Appendix A, remarked on in a layer's own document; a network
        # remarks on 3.1.5's once, in its chain rule
        "remarks": {
            "forward": [remark("beta"), remark("rep1")] if standalone else [],
            "a2_2": [remark("eq-a2-2")] if standalone else [],
        },
        # in a network, layer 1's kernel gradient is the seed's 3.1.6, a later layer's its 3.1.5
        "chain_remarks": []
        if standalone
        else [remark("kernel-1")]
        if d.layer == 1
        else [remark("layer-input"), remark("kernel-index")],
        "summary": summary,
        "dims_K": dims(doc.hz * doc.wz, doc.hk * doc.wk),
        "dims_A": dims(doc.hz * doc.wz, doc.ha * doc.wa),
    }
