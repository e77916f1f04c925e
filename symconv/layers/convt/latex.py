"""A transposed convolution's document data: the output size with the numbers, the forward
pass as the adjoint of a convolution (``vZ = (d vY/d vU)^T vA``) and as the scatter of each
input entry times the kernel, one worked entry of each Jacobian, the whole Jacobians (elided
when large) and the chain rule.  Every matrix and entry comes from the core's
:class:`ConvTransposeDerivation`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...latex import common
from ...latex.layout import LINE, Line
from ...latex.notation import frac_d, frac_partial, mat, ones, space, vname
from ...latex.printer import product, short_sum, tex
from .rule import ConvTransposeDerivation

#: terms of the worked output entry shown before eliding
TERMS = 6


@dataclass(frozen=True)
class Worked:
    """The worked entries (0-based): input ``(i, p, q)`` meets kernel ``K_{i,j}`` at ``(r, s)``
    and lands on output ``(j, x, y)``."""

    i: int
    j: int
    p: int
    q: int
    r: int
    s: int
    x: int
    y: int


def choose(d: ConvTransposeDerivation, entry: Sequence[int] | None) -> Worked:
    """``entry`` (1-based ``P,Q,R,S``: the input entry and the kernel entry) or, by default,
    the input entry nearest the middle and the kernel entry nearest its middle whose product
    lands inside the output."""
    (ha, wa), (hk, wk) = d.input_size, d.spec.kernel
    zi, ker, ai = d.triplets
    if entry is not None:
        p, q, r, s = common.check_entry(
            entry,
            [
                ("P", ha, f"the input has {ha} rows"),
                ("Q", wa, f"the input has {wa} columns"),
                ("R", hk, f"the kernel has {hk} rows"),
                ("S", wk, f"the kernel has {wk} columns"),
            ],
        )
        goal = (p, q, r, s)
    else:
        goal = (ha // 2, wa // 2, hk // 2, (wk - 1) // 2)
    # the meeting (input, kernel position) nearest the goal, first in vec order among equals
    p_all, q_all, r_all, s_all = ai % ha, ai // ha, ker % hk, ker // hk
    dist = np.abs(p_all - goal[0]) + np.abs(q_all - goal[1]) + np.abs(r_all - goal[2]) + np.abs(s_all - goal[3])
    k = int(np.argmin(dist))
    hz = d.spec.output_size[0]
    return Worked(0, 0, int(p_all[k]), int(q_all[k]), int(r_all[k]), int(s_all[k]), int(zi[k] % hz), int(zi[k] // hz))


def _size_lines(d: ConvTransposeDerivation) -> list[Line]:
    """``h_z = (h_a - 1) h_s - p_top - p_bottom + d_h (h_k - 1) + o_h + 1`` with the numbers."""
    lines = []
    t, b, left, right = d.spec.padding
    for name, n, k, (before, after), s, dil, o, out, letter in zip(
        ("h", "w"),
        d.input_size,
        d.spec.kernel,
        ((t, b), (left, right)),
        d.spec.stride,
        d.spec.dilation,
        d.spec.output_padding,
        d.spec.output_size,
        ("h", "w"),
        strict=True,
    ):
        general = (
            f"({name}_a - 1) {name}_s - {name}_p^{{-}} - {name}_p^{{+}} + d_{letter} ({name}_k - 1) + o_{letter} + 1"
        )
        numbers = f"({n} - 1) \\cdot {s} - {before} - {after} + {dil} \\cdot ({k} - 1) + {o} + 1"
        lines.append(Line(f"{name}_z", f"= {general} = {numbers} = {out}"))
    return lines


def _adjoint_lines(d: ConvTransposeDerivation) -> list[Line]:
    """The convolution ``Y = U * K`` over an output-sized ``U``: its output size, the layer's input's."""
    g = d.adjoint
    lines = []
    for name, n, k, (before, after), s, dil, out in zip(
        ("h", "w"),
        g.input,
        g.kernel,
        ((g.padding[0], g.padding[1]), (g.padding[2], g.padding[3])),
        g.stride,
        g.dilation,
        g.output,
        strict=True,
    ):
        lines.append(
            Line(
                f"{name}_y",
                f"= \\left\\lfloor \\frac{{{n} + {before} + {after} - {dil} \\cdot ({k} - 1) - 1}}{{{s}}} "
                f"\\right\\rfloor + 1 = {out}",
            )
        )
    return lines


def _chain(d: ConvTransposeDerivation) -> dict[str, list[Line]]:
    """The chain rule (3.1.5) through the layer, with each Jacobian's size."""
    s = common.sized
    (ha, wa), (hz, wz), (hk, wk) = d.input_size, d.spec.output_size, d.spec.kernel
    nz, na, nk = hz * wz, ha * wa, hk * wk
    zj, ki, ai = vname(d.output, "j", show=True), vname(d.kernel, "i", "j", show=True), vname(d.input, "i", show=True)
    group = "over the output channels $j$ of input channel $i$'s group" if d.groups > 1 else ""
    out = {
        "K": [Line(s(frac_d("J", ki), 1, nk), "= " + s(frac_d("J", zj), 1, nz) + s(frac_d(zj, ki), nz, nk))],
        "A": [
            Line(
                s(frac_d("J", ai), 1, na),
                "= \\sum_{j} " + s(frac_d("J", zj), 1, nz) + s(frac_d(zj, ai), nz, na),
                note=group,
            )
        ],
        "b": [],
    }
    if d.bias is not None:
        out["b"] = [Line(s(frac_d("J", "b_j"), 1, 1), "= " + s(frac_d("J", zj), 1, nz) + s(ones(nz, 1), nz, 1))]
    return out


def context(d: ConvTransposeDerivation, entry: Sequence[int] | None = None) -> dict[str, Any]:
    """Everything ``conv_transpose.tex.j2`` lays out."""
    e = choose(d, entry)
    e_j = 0
    (ha, wa), (hz, wz), (hk, wk) = d.input_size, d.spec.output_size, d.spec.kernel
    a_name, k_name, z_name = mat(d.input, e.i), mat(d.kernel, e.i, e_j), mat(d.output, e_j)
    va, vk, vz = vname(d.input, e.i), vname(d.kernel, e.i, e_j), vname(d.output, e_j)
    z_sym, k_sym, a_sym = (
        d.output.entry(e_j, e.x, e.y),
        d.kernel.entry(e.i, e_j, e.r, e.s),
        d.input.entry(e.i, e.p, e.q),
    )
    z_at, k_at, a_at = e.y * hz + e.x, e.s * hk + e.r, e.q * ha + e.p
    k_jac, a_jac = d.jacobian("K", j=e_j, i=e.i), d.jacobian("A", j=e_j, i=e.i)
    # z_xy written out: the products of the scatter that land on it (channel i's part and the bias)
    zi, ker, ai = d.triplets
    here = np.flatnonzero(zi == z_at)
    terms = [product(d.input.view(e.i)[int(ai[t])], d.kernel.view(e.i, e_j)[int(ker[t])]) for t in here]
    bias = tex(d.b[e_j]) if d.bias is not None else ""
    more = d.cin_g > 1
    rest = " + \\cdots" if more else ""
    written = short_sum(terms, TERMS) + rest + (f" + {bias}" if bias else "")
    t, _, left, _ = d.spec.padding
    (sh, sw), (dh, dw) = d.spec.stride, d.spec.dilation
    adjoint_t = a_jac.T
    y_over_u = frac_d("{}_v\\mathbf{Y}_{i,j}", "{}_v\\mathbf{U}")
    return {
        "many": d.cin > 1 or d.cout > 1,
        "cin": d.cin,
        "cout": d.cout,
        "groups": d.groups,
        "cin_g": d.cin_g,
        "cout_g": d.cout_g,
        "A": a_name,
        "K": k_name,
        "Z": z_name,
        "vA": va,
        "vK": vk,
        "vZ": vz,
        "b": bias,
        "A_space": space(*d.spec.in_shape),
        "K_space": space(*d.kernel.shape),
        "Z_space": space(*d.spec.out_shape),
        "A_one": space(ha, wa),
        "Z_one": space(hz, wz),
        "K_one": space(hk, wk),
        "padding": ",".join(map(str, d.spec.padding)),
        "stride": f"({sh}, {sw})",
        "dilation": f"({dh}, {dw})",
        "output_padding": "({}, {})".format(*d.spec.output_padding),
        "size_lines": _size_lines(d),
        "adjoint_lines": _adjoint_lines(d),
        "extra_rows": d.adjoint.output != (ha, wa),
        "hy": d.adjoint.output[0],
        "wy": d.adjoint.output[1],
        "ha": ha,
        "wa": wa,
        "hz": hz,
        "wz": wz,
        "hk": hk,
        "wk": wk,
        "top": t,
        "left": left,
        "adjoint": [
            Line(
                frac_d("{}_v\\mathbf{Y}", "{}_v\\mathbf{U}"),
                "= " + common.jac_matrix(adjoint_t, keep_rows=[a_at], keep_cols=[z_at], rows=10, budget=LINE - 60),
                note="(rows of $y_{pq}$, $p \\leq h_a$, $q \\leq w_a$)" if d.adjoint.output != (ha, wa) else "",
            ),
        ],
        "forward": [
            Line(
                vname(d.output, "j", show=True),
                f"= \\sum_{{i}} \\left({y_over_u}\\right)^\\top "
                + f"{vname(d.input, 'i', show=True)}"
                + (f" + b_j {ones(hz * wz, 1)}" if d.bias is not None else ""),
            )
        ],
        "scatter": [
            Line(
                "z_{j,xy}",
                "= \\sum_{i} \\sum_{p,q,r,s} a_{i,pq}\\, k_{i,j,rs}" + (" + b_j" if d.bias is not None else ""),
                note="over $x = (p-1) h_s - h_p^{-} + (r-1) d_h + 1$, $y = (q-1) w_s - w_p^{-} + (s-1) d_w + 1$",
            )
        ],
        "entry": [Line(tex(z_sym), f"= {written}")],
        "p": e.p + 1,
        "q": e.q + 1,
        "r": e.r + 1,
        "s": e.s + 1,
        "x": e.x + 1,
        "y": e.y + 1,
        "x_formula": f"({e.p + 1} - 1) \\cdot {sh} - {t} + ({e.r + 1} - 1) \\cdot {dh} + 1 = {e.x + 1}",
        "y_formula": f"({e.q + 1} - 1) \\cdot {sw} - {left} + ({e.s + 1} - 1) \\cdot {dw} + 1 = {e.y + 1}",
        "dk_entry": [Line(frac_partial(tex(z_sym), tex(k_sym)), f"= {tex(a_sym)}")],
        "da_entry": [Line(frac_partial(tex(z_sym), tex(a_sym)), f"= {tex(k_sym)}")],
        "jac_K": [
            Line(
                frac_d(vz, vk),
                "= " + common.jac_matrix(k_jac, keep_rows=[z_at], keep_cols=[k_at], rows=10, budget=LINE - 60),
            )
        ],
        "jac_A": [
            Line(
                frac_d(vz, va),
                "= " + common.jac_matrix(a_jac, keep_rows=[z_at], keep_cols=[a_at], rows=10, budget=LINE - 60),
            )
        ],
        "dims_K": f"{hz * wz} \\times {hk * wk}",
        "dims_A": f"{hz * wz} \\times {ha * wa}",
        "nnz": k_jac.nnz,
        "chain": _chain(d),
        "chain_lines": [line for lines in _chain(d).values() for line in lines],
    }
