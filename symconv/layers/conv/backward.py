"""The closed-form backward in a convolution's document: how the transposes of the vec
Jacobians become ``grad_K J = Apad ⋆ G_s`` and ``grad_A J = crop(full(G_s ⋆ rot180(K)))``,
for the layer's shapes.  The equality is proven by :func:`symconv.layers.conv.closed_form.proven`
before the document states it; the entries shown come from the same check."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ...latex import common
from ...latex.layout import LINE, Line, chunks, matrix
from ...latex.notation import frac_d, mat, vname
from ...latex.printer import join_sum, product, tex
from . import closed_form
from .rule import ConvDerivation

#: products shown in an entry of a whole gradient matrix before eliding
CELL_TERMS = 3


#: products written out in a worked entry before eliding
ENTRY_TERMS = 12


def _printed(terms: tuple[list[tuple[sp.Expr, sp.Expr]], int], limit: int) -> list[str]:
    """The products of a sum as :func:`~.printer.short_sum` shows them: all of them up to
    ``limit``, else the first ``limit - 1``, ``\\cdots`` and the last (``terms`` holds only
    those, and the count)."""
    pairs, n = terms
    printed = [product(u, v) for u, v in pairs]
    return printed if n <= limit else [*printed[:-1], "\\cdots", printed[-1]]


def _sum_lines(lhs: str, terms: tuple[list[tuple[sp.Expr, sp.Expr]], int]) -> list[Line]:
    """``lhs = t_1 + t_2 + ...`` over as many lines as it needs (long sums elided)."""
    n = terms[1]
    parts = chunks(_printed(terms, ENTRY_TERMS) or ["0"], LINE - 120)
    many = f"\\qquad \\text{{({n} products)}}" if n > ENTRY_TERMS else ""
    lines = [Line(lhs, "= " + join_sum(parts[0]) + (many if len(parts) == 1 else ""))]
    lines += [Line("", "\\quad + " + join_sum(part)) for part in parts[1:]]
    if len(parts) > 1 and many:
        lines[-1] = Line("", lines[-1].rhs + many)
    return lines


def context(d: ConvDerivation, j: int, i: int, kernel_at: tuple[int, int], input_at: tuple[int, int]) -> dict[str, Any]:
    """The closed-form section's data for kernel ``j``, its channel ``i`` (0-based; it meets
    input channel ``check.channel``, ``i`` without groups), with the kernel entry ``kernel_at``
    and the input entry ``input_at`` worked out."""
    check = closed_form.proven(d, j, i)
    c = check.channel
    g = d.geometry
    (h, w), (hk, wk), (hz, wz) = g.input, g.kernel, g.output
    (sh, sw), (dh, dw) = g.stride, g.dilation
    t, left = g.padding[0], g.padding[2]
    up = check.G
    a, k, z = mat(d.input, c), mat(d.kernel, j, i), mat(d.output, j)
    r, s = kernel_at
    x, y = input_at
    g_lines = [
        Line(
            "\\mathbf{G}",
            f"= \\operatorname{{reshape}}\\left({frac_d('J', vname(d.output, j))}\\right)^\\top = "
            + common.sym_matrix(up, rows=8, budget=LINE - 160),
        )
    ]
    stride_one = (sh, sw) == (1, 1)
    if not stride_one:
        g_lines.append(
            Line(
                "\\mathbf{G}_s",
                f"= \\operatorname{{dilate}}\\left(\\mathbf{{G}}, ({sh}, {sw})\\right) = "
                + matrix(  # closed_form.dilate, only the entries shown looked up
                    lambda rr, cc: tex(up[rr // sh, cc // sw]) if rr % sh == 0 and cc % sw == 0 else "0",
                    ((hz - 1) * sh + 1, (wz - 1) * sw + 1),
                    rows=10,
                    budget=LINE - 150,
                ),
            )
        )
    gs = "\\mathbf{G}_s" if not stride_one else "\\mathbf{G}"
    kd = f"\\operatorname{{dilate}}\\left({k}, ({dh}, {dw})\\right)" if (dh, dw) != (1, 1) else k
    kernel = d.kernel.grid(j, i)  # this block's entries only: a large layer's kernel is not built whole
    rot = closed_form.rot180(sp.ImmutableMatrix(*kernel.shape, lambda rr, ss: kernel[rr, ss]))

    def k_cell(rr: int, ss: int) -> str:
        return join_sum(_printed(check.kernel_terms(rr, ss, CELL_TERMS), CELL_TERMS))

    def a_cell(xx: int, yy: int) -> str:
        return join_sum(_printed(check.input_terms(xx, yy, 2), 2))

    grad_k, grad_a = f"\\nabla_{{{k}}} J", f"\\nabla_{{{a}}} J"
    at_k = common.pq(r + 1, s + 1, max(hk, wk) > 9)
    at_a = common.pq(x + 1, y + 1, max(h, w) > 9)
    return {
        "G": g_lines,
        "Gs": gs,
        "stride_one": stride_one,
        "sh": sh,
        "sw": sw,
        "dilated": (dh, dw) != (1, 1),
        "dh": dh,
        "dw": dw,
        "hz": hz,
        "wz": wz,
        "top": t,
        "left": left,
        "rows_from": t + 1,
        "rows_to": t + h,
        "cols_from": left + 1,
        "cols_to": left + w,
        "full_rows": (hz - 1) * sh + g.span[0],
        "full_cols": (wz - 1) * sw + g.span[1],
        "pad_rows": common.counted(g.span[0] - 1, "row", math=True),
        "pad_cols": common.counted(g.span[1] - 1, "column", math=True),
        "A": a,
        "K": k,
        "Kd": kd,
        "Z": z,
        "grad_K": grad_k,
        "grad_A": grad_a,
        "vK": vname(d.kernel, j, i),
        "vA": vname(d.input, c),
        "vZ": vname(d.output, j),
        "kernel": [
            Line(
                grad_k,
                f"= \\operatorname{{reshape}}\\left(\\left({frac_d('J', vname(d.kernel, j, i))}\\right)^\\top\\right)"
                f" = \\tilde{{{a}}} \\star {gs}",
            ),
            Line("", "= " + matrix(k_cell, (hk, wk), keep_rows=[r], keep_cols=[s], rows=6, budget=LINE - 60)),
            *_sum_lines(f"\\left({grad_k}\\right)_{{{at_k}}}", check.kernel_terms(r, s, ENTRY_TERMS)),
        ],
        "input": [
            Line("\\operatorname{rot180}(" + k + ")", "= " + common.sym_matrix(rot, rows=6, budget=LINE - 80)),
            Line(
                grad_a,
                f"= \\operatorname{{reshape}}\\left(\\left({frac_d('J', vname(d.input, c))}\\right)^\\top\\right)"
                f" = \\operatorname{{crop}}\\left({gs} \\star_{{\\mathrm{{full}}}} "
                f"\\operatorname{{rot180}}({kd})\\right)",
            ),
            Line("", "= " + matrix(a_cell, (h, w), keep_rows=[x], keep_cols=[y], rows=8, budget=LINE - 60)),
            *_sum_lines(f"\\left({grad_a}\\right)_{{{at_a}}}", check.input_terms(x, y, ENTRY_TERMS)),
        ],
        # the kernels whose gradients add up in input channel c: all of them, or its group's
        "many_out": len(d.spec.group_outputs(c)) > 1,
        "cout": len(d.spec.group_outputs(c)),
        "grouped": d.groups > 1,
    }
