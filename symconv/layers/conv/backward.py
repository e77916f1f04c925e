"""The closed-form backward in a convolution's document: how the transposes of the vec
Jacobians become ``grad_K J = Apad ⋆ G_s`` and ``grad_A J = crop(full(G_s ⋆ rot180(K)))``,
for the layer's shapes.  The equality is proven by :func:`symconv.layers.conv.closed_form.proven`
before the document states it; the entries shown come from the same check."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ops
from ...latex import common
from ...latex.blocks import block
from ...latex.layout import LINE, Line, chunks
from ...latex.notation import dims, frac_d, mat, pair, vname
from ...latex.printer import join_sum, product, tex
from ...symbols import shaped
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


def context(d: ConvDerivation, j: int, i: int, kernel_at: tuple[int, ...], input_at: tuple[int, ...]) -> dict[str, Any]:
    """The closed-form section's data for output channel ``j`` and its group's ``i``-th
    channel (0-based; it meets input channel ``check.channel``, ``i`` without groups), with
    the kernel entry ``kernel_at`` (a position of the stored kernel) and the input entry
    ``input_at`` worked out."""
    check = closed_form.proven(d, j, i)
    c = check.channel
    g = d.geometry
    n = g.ndim
    shape_a, shape_k, shape_z = g.input, g.kernel, g.output
    up = check.G
    a, z = mat(d.input, c), mat(d.output, j)
    stored = mat(d.kernel, *d.block(j, i))
    k = f"\\operatorname{{rot180}}({stored})" if d.transposed else stored
    steps, dilation = g.stride, g.dilation
    plain = g.mode == "zeros" and set(g.input_dilation) == {1} and min(g.padding) >= 0
    stride_one = set(steps) == {1}
    g_lines = [
        Line(
            "\\mathbf{G}",
            f"= \\operatorname{{reshape}}\\left({frac_d('J', vname(d.output, j))}\\right)^\\top = "
            + common.sym_block(up, rows=8, budget=LINE - 160),
        )
    ]
    dilated_shape = tuple((m - 1) * s + 1 for m, s in zip(shape_z, steps, strict=True))
    if not stride_one:

        def g_cell(pos: tuple[int, ...]) -> str:  # closed_form.dilate, only the entries shown looked up
            if all(v % s == 0 for v, s in zip(pos, steps, strict=True)):
                return tex(up[tuple(v // s for v, s in zip(pos, steps, strict=True))])
            return "0"

        g_lines.append(
            Line(
                "\\mathbf{G}_s",
                f"= \\operatorname{{dilate}}\\left(\\mathbf{{G}}, {pair(steps)}\\right) = "
                + block(g_cell, dilated_shape, rows=10, budget=LINE - 150),
            )
        )
    gs = "\\mathbf{G}_s" if not stride_one else "\\mathbf{G}"
    kd = f"\\operatorname{{dilate}}\\left({k}, {pair(dilation)}\\right)" if set(dilation) != {1} else k
    # the window's kernel (turned for a transposed convolution), this block's entries only
    kernel = shaped(d.kernel_entries(j, i), shape_k)
    rot = shaped(list(reversed(ops.entries(kernel, shape_k))), shape_k)

    def k_cell(pos: tuple[int, ...]) -> str:
        return join_sum(_printed(check.kernel_terms(pos, CELL_TERMS), CELL_TERMS))

    def a_cell(pos: tuple[int, ...]) -> str:
        return join_sum(_printed(check.input_terms(pos, 2), 2))

    grad_k, grad_a = f"\\nabla_{{{stored}}} J", f"\\nabla_{{{a}}} J"
    vk = vname(d.kernel, *d.block(j, i))
    at_k = common.position([v + 1 for v in kernel_at], n >= 2 and max(shape_k) > 9)
    at_a = common.position([v + 1 for v in input_at], n >= 2 and max(shape_a) > 9)
    span = g.span
    full = tuple(m + s - 1 for m, s in zip(dilated_shape, span, strict=True))
    fold = "\\operatorname{crop}" if plain else "\\mathcal{P}^\\top"
    k_form = f"\\tilde{{{a}}} \\star {gs}"
    if d.transposed:  # the stored kernel is the window's turned back
        k_form = f"\\operatorname{{rot180}}\\left({k_form}\\right)"
    return {
        "G": g_lines,
        "Gs": gs,
        "ndim": n,
        "stride_one": stride_one,
        "plain": plain,
        "transposed": d.transposed,
        "sh": steps[0],
        "sw": steps[-1],
        "strides": pair(steps),
        "dilated": set(dilation) != {1},
        "dh": dilation[0],
        "dw": dilation[-1],
        "dilations": pair(dilation),
        "shape_G": {1: f"a vector of {shape_z[0]} entries", 2: f"a ${dims(*shape_z)}$ matrix"}.get(
            n, f"a ${dims(*shape_z)}$ tensor"
        ),
        "g_entry": "g_{" + "pqt"[:n] + "}",
        "z_entry": "z_{" + "pqt"[:n] + "}",
        "k_entry": "k_{" + "rsu"[:n] + "}",
        "a_entry": "a_{" + "xyv"[:n] + "}",
        "out_pos": "p" if n == 1 else "(" + ", ".join("pqt"[:n]) + ")",
        "hz": shape_z[0],
        "wz": shape_z[-1],
        "top": g.padding[0],
        "left": g.padding[-2],
        "rows_from": g.padding[0] + 1,
        "rows_to": g.padding[0] + shape_a[0],
        "cols_from": g.padding[-2] + 1,
        "cols_to": g.padding[-2] + shape_a[-1],
        "place": ", ".join(f"{b + 1} to {b + m}" for b, m in zip(g.padding[::2], shape_a, strict=True)),
        "full_rows": full[0],
        "full_cols": full[-1],
        "full": dims(*full),
        "pad_h": span[0] - 1,
        "pad_w": span[-1] - 1,
        "pads": pair(tuple(m - 1 for m in span)),
        "A": a,
        "K": stored,
        "Kd": kd,
        "Z": z,
        "grad_K": grad_k,
        "grad_A": grad_a,
        "vK": vk,
        "vA": vname(d.input, c),
        "vZ": vname(d.output, j),
        "kernel": [
            Line(
                grad_k,
                f"= \\operatorname{{reshape}}\\left(\\left({frac_d('J', vk)}\\right)^\\top\\right) = {k_form}",
            ),
            Line("", "= " + block(k_cell, shape_k, keep=[kernel_at], rows=6, budget=LINE - 60)),
            *_sum_lines(f"\\left({grad_k}\\right)_{{{at_k}}}", check.kernel_terms(kernel_at, ENTRY_TERMS)),
        ],
        "input": [
            Line(
                "\\operatorname{rot180}(" + k + ")",
                "= " + common.sym_block(rot, shape=shape_k, rows=6, budget=LINE - 80),
            ),
            Line(
                grad_a,
                f"= \\operatorname{{reshape}}\\left(\\left({frac_d('J', vname(d.input, c))}\\right)^\\top\\right)"
                f" = {fold}\\left({gs} \\star_{{\\mathrm{{full}}}} "
                f"\\operatorname{{rot180}}({kd})\\right)",
            ),
            Line("", "= " + block(a_cell, shape_a, keep=[input_at], rows=8, budget=LINE - 60)),
            *_sum_lines(f"\\left({grad_a}\\right)_{{{at_a}}}", check.input_terms(input_at, ENTRY_TERMS)),
        ],
        # the kernels whose gradients add up in input channel c: all of them, or its group's
        "many_out": len(d.group_outputs(c)) > 1,
        "cout": len(d.group_outputs(c)),
        "grouped": d.groups > 1,
        "mode": g.mode if g.mode != "zeros" else "",
        "spread": any(u != 1 for u in g.input_dilation),
        "crop": min(g.padding) < 0,
    }
