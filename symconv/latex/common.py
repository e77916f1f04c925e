"""Pieces every layer's document uses: the output-size formula with numbers, worked-entry
choices, printed SymPy and sparse matrices, chain-rule lines with dimensions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .. import ops
from ..errors import SpecError
from ..geometry import Geometry
from ..ops import MatrixLike
from ..sparse import VecJacobian
from ..symbols import Grid, Mapped
from .layout import LINE, MAX_ROWS, Above, Line, matrix, width
from .printer import tex


@dataclass(frozen=True)
class Axis:
    """The seed's names along one axis of a windowed layer: input size, window size,
    padding, stride, output size (``h_a, h_k, h_p, h_s, h_z`` for a convolution)."""

    n: str
    k: str
    p: str
    s: str
    out: str
    d: str
    #: ``2`` before the padding's name: ``2 \\times`` when the name starts with a left
    #: superscript (``2 \\times {}^{l}h_p``, as Appendix B writes it; ``2{}^{l}h_p`` reads as 2 to the l)
    twice: str = "2"


#: room between the rows of a matrix of matrices (rep.1's blocks), so the blocks do not touch
BLOCK_GAP = "10pt"

CONV_AXES = (Axis("h_a", "h_k", "h_p", "h_s", "h_z", "d_h"), Axis("w_a", "w_k", "w_p", "w_s", "w_z", "d_w"))
POOL_AXES = (
    Axis("h_i", "h_l", "{}^{l}h_p", "{}^{l}h_s", "h_a", "d_h", "2 \\times "),
    Axis("w_i", "w_l", "{}^{l}w_p", "{}^{l}w_s", "w_a", "d_w", "2 \\times "),
)


def size_lines(geom: Geometry, axes: tuple[Axis, Axis]) -> list[Line]:
    """The output size (seed section 2 and Appendix B) with the numbers put in.

    With equal padding on both sides and no dilation this is the seed's
    ``h_z = floor((h_a + 2 h_p - h_k) / h_s + 1)``; otherwise its generalisation to
    per-side padding and dilation.  The result is the core's :attr:`Geometry.output`."""
    lines = []
    t, b, left, right = geom.padding
    for axis, n, k, (before, after), s, d, out in zip(
        axes, geom.input, geom.kernel, ((t, b), (left, right)), geom.stride, geom.dilation, geom.output, strict=True
    ):
        if before == after and d == 1:
            general = (
                f"\\left\\lfloor \\frac{{{axis.n} + {axis.twice}{axis.p} - {axis.k}}}{{{axis.s}}} + 1 \\right\\rfloor"
            )
            numbers = f"\\left\\lfloor \\frac{{{n} + 2 \\cdot {before} - {k}}}{{{s}}} + 1 \\right\\rfloor"
        else:
            pads = f"{axis.p}^{{-}} + {axis.p}^{{+}}"
            span = f"{axis.d}({axis.k} - 1)" if d != 1 else f"({axis.k} - 1)"
            general = f"\\left\\lfloor \\frac{{{axis.n} + {pads} - {span} - 1}}{{{axis.s}}} \\right\\rfloor + 1"
            dil = f"{d} \\cdot " if d != 1 else ""
            numbers = (
                f"\\left\\lfloor \\frac{{{n} + {before} + {after} - {dil}({k} - 1) - 1}}{{{s}}} \\right\\rfloor + 1"
            )
        lines.append(Line(axis.out, f"= {general} = {numbers} = {out}"))
    return lines


def counted(n: int, noun: str, math: bool = False) -> str:
    """``1 row``, ``2 rows`` (the number in math mode with ``math``)."""
    number = f"${n}$" if math else str(n)
    return f"{number} {noun}" + ("" if n == 1 else "s")


def padding_note(geom: Geometry, axes: tuple[Axis, Axis]) -> str:
    """How the padding reads in the text: ``(h_p, w_p) = (1, 1)`` or per side."""
    t, b, left, right = geom.padding
    if t == b and left == right:
        return f"$({axes[0].p}, {axes[1].p}) = ({t}, {left})$"
    rows = "row" if t == 1 else "rows"
    cols = "column" if left == 1 else "columns"
    return (
        f"${axes[0].p}^{{-}} = {t}$ {rows} above, ${axes[0].p}^{{+}} = {b}$ below, "
        f"${axes[1].p}^{{-}} = {left}$ {cols} on the left and ${axes[1].p}^{{+}} = {right}$ on the right"
    )


def pq(p: int, q: int, wide: bool) -> str:
    """A 1-based position as a subscript: ``32``, or ``10,2`` when a size reaches 10."""
    return f"{p},{q}" if wide else f"{p}{q}"


# -- matrices -------------------------------------------------------------------------------


def sym_matrix(
    m: sp.MatrixBase | np.ndarray | MatrixLike,
    *,
    keep_rows: Iterable[int] = (),
    keep_cols: Iterable[int] = (),
    rows: int = MAX_ROWS,
    budget: float = LINE,
    inline: bool = False,
) -> str:
    """A SymPy matrix, a 2-D NumPy array or a lazy grid, printed entry by entry (elided when
    large: only the shown entries are read)."""
    return matrix(
        lambda r, c: tex(m[r, c]),
        (int(m.shape[0]), int(m.shape[1])),
        keep_rows=keep_rows,
        keep_cols=keep_cols,
        rows=rows,
        budget=budget,
        inline=inline,
    )


def jac_matrix(
    jac: VecJacobian,
    *,
    keep_rows: Iterable[int] = (),
    keep_cols: Iterable[int] = (),
    rows: int = MAX_ROWS,
    budget: float = LINE,
    shown: list[int | None] | None = None,
    above: Sequence[Above] = (),
) -> str:
    """A sparse vec Jacobian written out (only the shown entries are looked up); ``shown``
    receives the columns shown and ``above`` holds rows of labels over it, as in
    :func:`~.layout.matrix`."""
    return matrix(
        lambda r, c: tex(jac[r, c]),
        jac.shape,
        keep_rows=keep_rows,
        keep_cols=keep_cols,
        rows=rows,
        budget=budget,
        shown=shown,
        above=above,
    )


def unit_matrix(shape: tuple[int, int], r: int, s: int, *, inline: bool = True, budget: float = LINE) -> str:
    """``dX/dX_rs`` printed (0-based ``r, s``): :func:`symconv.ops.unit`, elided around the 1."""
    return sym_matrix(ops.Unit(shape, r, s), keep_rows=[r], keep_cols=[s], rows=8, budget=budget, inline=inline)


def unvec(items: Sequence[sp.Expr], shape: tuple[int, int]) -> Grid:
    """The inverse of ``vec`` (column-major), to show a Jacobian column as a matrix; only
    the entries printed are read."""
    return Grid(items, shape)


def printed(items: Sequence[sp.Expr]) -> Mapped[sp.Expr, str]:
    """The entries of ``items`` printed, each when first shown."""
    return Mapped(items, tex)


def operators(items: Sequence[sp.Expr]) -> Mapped[sp.Expr, str]:
    """``\\frac{\\partial}{\\partial x}`` for each ``x`` of ``items``, printed when shown."""
    return Mapped(items, lambda s: f"\\frac{{\\partial}}{{\\partial {tex(s)}}}")


def jac_column(jac: VecJacobian, c: int) -> Mapped[int, sp.Expr]:
    """Column ``c`` of a sparse Jacobian as a lazy sequence (the appendix's eq.a1-3 and
    eq.a2-3 column, read off the sparse triplets)."""
    return Mapped(range(jac.shape[0]), lambda r: jac[r, c])


def budget_after(*prefix: str) -> float:
    """Room left on a display line after ``prefix``."""
    return max(LINE - sum(width(p) for p in prefix), 120.0)


# -- chain rule with dimensions ----------------------------------------------------------------


def sized(expr: str, rows: int, cols: int) -> str:
    """``expr`` with its dimensions beneath: ``\\underbrace{expr}_{1 \\times 16}``."""
    return f"\\underbrace{{{expr}}}_{{{rows} \\times {cols}}}"


# -- worked entries -------------------------------------------------------------------------------


def check_entry(entry: Sequence[int], limits: Sequence[tuple[str, int, str]]) -> tuple[int, ...]:
    """Validate a 1-based worked-entry choice against ``(letter, count, what)`` limits and
    return it 0-based; errors name the ``entry`` parameter (the CLI's ``--entry``)."""
    if len(entry) != len(limits):
        letters = ",".join(letter for letter, _, _ in limits)
        raise SpecError("entry", f"takes {len(limits)} numbers {letters} here, got {len(entry)}")
    out = []
    for value, (letter, count, what) in zip(entry, limits, strict=True):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= count:
            raise SpecError("entry", f"{letter} must be in 1..{count} ({what}), got {value!r}")
        out.append(int(value) - 1)
    return tuple(out)


def central(geom: Geometry, score: np.ndarray) -> tuple[int, int]:
    """The output position with the highest ``score`` (an ``(h_z, w_z)`` array), nearest
    the middle ``(h_z // 2, w_z // 2)`` (0-based) among equals, then first in vec order."""
    hz, wz = geom.output
    best = score.max()
    cp, cq = hz // 2, wz // 2
    cands = [(abs(p - cp) + abs(q - cq), q, p) for p in range(hz) for q in range(wz) if score[p, q] == best]
    _, q, p = min(cands)
    return p, q


def nearest_inside(win: np.ndarray, r: int, s: int) -> tuple[int, int] | None:
    """The window position nearest ``(r, s)`` that is not padding (``win`` is one window
    of :attr:`Geometry.windows`), or ``None`` if the whole window is padding."""
    cands = [
        (abs(a - r) + abs(b - s), b, a) for a in range(win.shape[0]) for b in range(win.shape[1]) if win[a, b] >= 0
    ]
    if not cands:
        return None
    _, b, a = min(cands)
    return a, b
