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
    stored = mat(d.kernel, *d.block(j, i))
    names = {
        "A": mat(d.input, c),
        "K": stored,
        "Z": mat(d.output, j),
        "vK": vname(d.kernel, *d.block(j, i)),
        "vA": vname(d.input, c),
        "vZ": vname(d.output, j),
        "grad_K": f"\\nabla_{{{stored}}} J",
        "grad_A": f"\\nabla_{{{mat(d.input, c)}}} J",
    }
    return {
        **names,
        **_words(d),
        "G": _g_lines(d, check),
        "Gs": "\\mathbf{G}" if set(g.stride) == {1} else "\\mathbf{G}_s",
        "Kd": _kernel_dilated(d, j, i),
        "kernel": _kernel_lines(d, check, names, kernel_at),
        "input": _input_lines(d, check, names, input_at),
        # the kernels whose gradients add up in input channel c: all of them, or its group's
        "many_out": len(d.group_outputs(c)) > 1,
        "cout": len(d.group_outputs(c)),
        "grouped": d.groups > 1,
    }


def _kernel_dilated(d: ConvDerivation, j: int, i: int) -> str:
    """The window's kernel (turned for a transposed convolution), dilated by the layer's dilation."""
    stored = mat(d.kernel, *d.block(j, i))
    k = f"\\operatorname{{rot180}}({stored})" if d.transposed else stored
    dilation = d.geometry.dilation
    return f"\\operatorname{{dilate}}\\left({k}, {pair(dilation)}\\right)" if set(dilation) != {1} else k


def _words(d: ConvDerivation) -> dict[str, Any]:
    """The numbers and names the section's text uses: the stride's dilation of ``G``, the full
    correlation's size and padding, where the input lies in it, which options apply."""
    g = d.geometry
    n = g.ndim
    shape_a, shape_z, steps, dilation, span = g.input, g.output, g.stride, g.dilation, g.span
    full = tuple((m - 1) * s + 1 + k - 1 for m, s, k in zip(shape_z, steps, span, strict=True))
    return {
        "ndim": n,
        "stride_one": set(steps) == {1},
        "plain": g.mode == "zeros" and set(g.input_dilation) == {1} and min(g.padding) >= 0,
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
        "pad_rows": common.counted(span[0] - 1, "row", math=True),
        "pad_cols": common.counted(span[-1] - 1, "column", math=True),
        "mode": g.mode if g.mode != "zeros" else "",
        "spread": any(u != 1 for u in g.input_dilation),
        "crop": min(g.padding) < 0,
    }


def _g_lines(d: ConvDerivation, check: closed_form.ClosedFormCheck) -> list[Line]:
    """``G`` and, with a stride, ``G_s``: ``G`` dilated by it (only the entries shown looked up)."""
    g = d.geometry
    up, steps = check.G, g.stride
    lines = [
        Line(
            "\\mathbf{G}",
            f"= \\operatorname{{reshape}}\\left({frac_d('J', vname(d.output, check.j))}\\right)^\\top = "
            + common.sym_block(up, rows=8, budget=LINE - 160),
        )
    ]
    if set(steps) == {1}:
        return lines

    def g_cell(pos: tuple[int, ...]) -> str:  # closed_form.dilate
        if all(v % s == 0 for v, s in zip(pos, steps, strict=True)):
            return tex(up[tuple(v // s for v, s in zip(pos, steps, strict=True))])
        return "0"

    dilated = tuple((m - 1) * s + 1 for m, s in zip(g.output, steps, strict=True))
    lines.append(
        Line(
            "\\mathbf{G}_s",
            f"= \\operatorname{{dilate}}\\left(\\mathbf{{G}}, {pair(steps)}\\right) = "
            + block(g_cell, dilated, rows=10, budget=LINE - 150),
        )
    )
    return lines


def _kernel_lines(
    d: ConvDerivation, check: closed_form.ClosedFormCheck, names: dict[str, str], at: tuple[int, ...]
) -> list[Line]:
    """``grad_K J = Apad ⋆ G_s`` (turned back for a transposed convolution), whole and one entry."""
    shape = d.geometry.kernel
    gs = "\\mathbf{G}" if set(d.geometry.stride) == {1} else "\\mathbf{G}_s"
    form = f"\\tilde{{{names['A']}}} \\star {gs}"
    if d.transposed:  # the stored kernel is the window's turned back
        form = f"\\operatorname{{rot180}}\\left({form}\\right)"

    def cell(pos: tuple[int, ...]) -> str:
        return join_sum(_printed(check.kernel_terms(pos, CELL_TERMS), CELL_TERMS))

    where = common.position([v + 1 for v in at], len(shape) >= 2 and max(shape) > 9)
    return [
        Line(
            names["grad_K"],
            f"= \\operatorname{{reshape}}\\left(\\left({frac_d('J', names['vK'])}\\right)^\\top\\right) = {form}",
        ),
        Line("", "= " + block(cell, shape, keep=[at], rows=6, budget=LINE - 60)),
        *_sum_lines(f"\\left({names['grad_K']}\\right)_{{{where}}}", check.kernel_terms(at, ENTRY_TERMS)),
    ]


def _input_lines(
    d: ConvDerivation, check: closed_form.ClosedFormCheck, names: dict[str, str], at: tuple[int, ...]
) -> list[Line]:
    """``grad_A J = crop(full(G_s ⋆ rot180(K_d)))`` (folded back by ``P^T`` in general), whole and one entry."""
    g = d.geometry
    plain = g.mode == "zeros" and set(g.input_dilation) == {1} and min(g.padding) >= 0
    gs = "\\mathbf{G}" if set(g.stride) == {1} else "\\mathbf{G}_s"
    fold = "\\operatorname{crop}" if plain else "\\mathcal{P}^\\top"
    stored = mat(d.kernel, *d.block(check.j, check.i))
    k = f"\\operatorname{{rot180}}({stored})" if d.transposed else stored
    # the window's kernel (turned for a transposed convolution), this block's entries only, turned
    kernel = ops.entries(shaped(d.kernel_entries(check.j, check.i), g.kernel), g.kernel)
    rot = shaped(list(reversed(kernel)), g.kernel)

    def cell(pos: tuple[int, ...]) -> str:
        return join_sum(_printed(check.input_terms(pos, 2), 2))

    where = common.position([v + 1 for v in at], g.ndim >= 2 and max(g.input) > 9)
    return [
        Line(
            "\\operatorname{rot180}(" + k + ")", "= " + common.sym_block(rot, shape=g.kernel, rows=6, budget=LINE - 80)
        ),
        Line(
            names["grad_A"],
            f"= \\operatorname{{reshape}}\\left(\\left({frac_d('J', names['vA'])}\\right)^\\top\\right)"
            f" = {fold}\\left({gs} \\star_{{\\mathrm{{full}}}} "
            f"\\operatorname{{rot180}}({_kernel_dilated(d, check.j, check.i)})\\right)",
        ),
        Line("", "= " + block(cell, g.input, keep=[at], rows=8, budget=LINE - 60)),
        *_sum_lines(f"\\left({names['grad_A']}\\right)_{{{where}}}", check.input_terms(at, ENTRY_TERMS)),
    ]
