"""Pieces every layer's document uses: the output-size formula with numbers, worked-entry
choices, printed SymPy and sparse matrices, chain-rule lines with dimensions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .. import ops
from ..errors import SpecError
from ..geometry import AXIS_LETTERS, Geometry, output_size
from ..ops import MatrixLike
from ..sparse import VecJacobian
from ..symbols import Grid, Mapped
from .blocks import block
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
    #: the input dilation's name (``u_h``): input entries ``u_h`` apart, zeros between them
    u: str = "u"


def axis_names(ndim: int, input: str, window: str, output: str, prefix: str = "") -> tuple[Axis, ...]:
    """The seed's names along each axis of a ``ndim``-D layer: ``h_a, h_k, h_p, h_s, h_z``
    for a 2-D convolution (``input, window, output`` = ``a, k, z``), ``n_a, ...`` in 1-D,
    ``d_a, h_a, w_a, ...`` in 3-D; a ``prefix`` (pooling's ``{}^{l}``) goes before the padding's
    and the stride's names."""
    twice = "2 \\times " if prefix else "2"
    return tuple(
        Axis(
            f"{x}_{input}",
            f"{x}_{window}",
            f"{prefix}{x}_p",
            f"{prefix}{x}_s",
            f"{x}_{output}",
            f"d_{x}",
            twice,
            f"u_{x}",
        )
        for x in AXIS_LETTERS[ndim]
    )


#: room between the rows of a matrix of matrices (rep.1's blocks), so the blocks do not touch
BLOCK_GAP = "10pt"


def _signed(n: int) -> str:
    """`` + 2`` or `` - 2``: a term added to a sum (a negative padding side crops)."""
    return f" - {-n}" if n < 0 else f" + {n}"


def size_lines(geom: Geometry, axes: Sequence[Axis]) -> list[Line]:
    """The output size (seed section 2 and Appendix B) with the numbers put in, one line per axis.

    With equal padding on both sides, no dilation and no input dilation this is the seed's
    ``h_z = floor((h_a + 2 h_p - h_k) / h_s + 1)``; otherwise its generalisation to per-side
    padding (negative: cropped), dilation and input dilation (``n`` entries ``u`` apart span
    ``u (n - 1) + 1``).  No window fits where the floor is below 1: the output is empty along
    that axis.  The result is the core's :attr:`Geometry.output`."""
    lines = []
    for axis, g in zip(axes, geom.axes, strict=True):
        before, after, n, k, s, d, u = g.before, g.after, g.size, g.window, g.stride, g.dilation, g.input_dilation
        if before == after and d == 1 and u == 1:
            general = (
                f"\\left\\lfloor \\frac{{{axis.n} + {axis.twice}{axis.p} - {axis.k}}}{{{axis.s}}} + 1 \\right\\rfloor"
            )
            numbers = f"\\left\\lfloor \\frac{{{n} + 2 \\cdot {before} - {k}}}{{{s}}} + 1 \\right\\rfloor"
        else:
            size = f"{axis.u}({axis.n} - 1) + 1" if u != 1 else axis.n
            size_n = f"{u}({n} - 1) + 1" if u != 1 else str(n)
            pads = f"{axis.p}^{{-}} + {axis.p}^{{+}}"
            span = f"{axis.d}({axis.k} - 1)" if d != 1 else f"({axis.k} - 1)"
            general = f"\\left\\lfloor \\frac{{{size} + {pads} - {span} - 1}}{{{axis.s}}} \\right\\rfloor + 1"
            dil = f"{d} \\cdot " if d != 1 else ""
            numbers = (
                f"\\left\\lfloor \\frac{{{size_n}{_signed(before)}{_signed(after)} - {dil}({k} - 1) - 1}}{{{s}}}"
                " \\right\\rfloor + 1"
            )
        raw = output_size(g.dilated, k, before, after, s, d)
        tail = f" = {raw}" if raw == g.output else f" = {raw}, \\text{{ so no window fits: }} {axis.out} = 0"
        lines.append(Line(axis.out, f"= {general} = {numbers}{tail}"))
    return lines


def counted(n: int, noun: str, math: bool = False) -> str:
    """``1 row``, ``2 rows`` (the number in math mode with ``math``)."""
    number = f"${n}$" if math else str(n)
    return f"{number} {noun}" + ("" if n == 1 else "s")


#: how the text names the entries of each axis and where its two sides lie
_SIDES = {
    1: (("entry", "before the first entry", "after the last"),),
    2: (("row", "above", "below"), ("column", "on the left", "on the right")),
    3: (("slice", "in front", "behind"), ("row", "above", "below"), ("column", "on the left", "on the right")),
}


def padding_note(geom: Geometry, axes: Sequence[Axis]) -> str:
    """How the padding reads in the text: ``(h_p, w_p) = (1, 1)``, ``n_p = 1``, or side by
    side (``h_p^- = 1`` row above, ...; a negative side is cropped)."""
    pads = [(a.before, a.after) for a in geom.axes]
    if all(b == a for b, a in pads):
        names = ", ".join(axis.p for axis in axes)
        values = ", ".join(str(b) for b, _ in pads)
        return f"${names} = {values}$" if len(axes) == 1 else f"$({names}) = ({values})$"
    parts = []
    for axis, (before, after), (entry, first, second) in zip(axes, pads, _SIDES[len(axes)], strict=True):
        for name, amount, where in ((f"{axis.p}^{{-}}", before, first), (f"{axis.p}^{{+}}", after, second)):
            noun = entry if abs(amount) == 1 else (entry[:-1] + "ies" if entry.endswith("y") else entry + "s")
            if amount >= 0:
                parts.append(f"${name} = {amount}$ {noun} {where}")
            else:
                parts.append(f"${name} = {amount}$ ({-amount} {noun} cropped {where})")
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def pq(p: int, q: int, wide: bool) -> str:
    """A 1-based position as a subscript: ``32``, or ``10,2`` when a size reaches 10."""
    return f"{p},{q}" if wide else f"{p}{q}"


def position(index: Sequence[int], wide: bool) -> str:
    """A 1-based position of any number of axes as a subscript: ``3``, ``32``, ``123``, or
    with commas when a size reaches 10 (``10,2``)."""
    return ("," if wide else "").join(str(i) for i in index)


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


def unit_matrix(shape: tuple[int, ...], *at: int, inline: bool = True, budget: float = LINE) -> str:
    """``dX/dX_r`` printed (0-based position ``at``): :func:`symconv.ops.unit`, elided around the 1."""
    return sym_block(ops.Unit(shape, *at), keep=[at], rows=8, budget=budget, inline=inline)


def sym_block(
    m: sp.MatrixBase | sp.NDimArray | np.ndarray | MatrixLike,
    *,
    shape: Sequence[int] | None = None,
    keep: Iterable[Sequence[int]] = (),
    rows: int = MAX_ROWS,
    budget: float = LINE,
    inline: bool = False,
    gap: str = "",
) -> str:
    """A block of any number of axes printed entry by entry (:func:`.blocks.block`: a matrix,
    a transposed row for a 1-D block, depth slices for 3-D), elided when large.  ``shape``
    says the block's shape where ``m``'s differs (a SymPy column holding a 1-D block).  Only
    the shown entries are read."""
    size = tuple(int(n) for n in (m.shape if shape is None else shape))
    kept = [tuple(int(i) for i in k) for k in keep]
    if len(size) == 1 and isinstance(m, sp.MatrixBase):
        return block(lambda pos: tex(m[pos[0], 0]), size, keep=kept, rows=rows, budget=budget, inline=inline)
    return block(lambda pos: tex(m[pos]), size, keep=kept, rows=rows, budget=budget, inline=inline, gap=gap)


def unvec(items: Sequence[sp.Expr], shape: tuple[int, ...]) -> Grid:
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


def central(geom: Geometry, score: np.ndarray) -> tuple[int, ...]:
    """The output position with the highest ``score`` (an array of the output's shape),
    nearest the middle (``n // 2`` along each axis, 0-based) among equals, then first in vec
    order (the first axis fastest)."""
    best = score.max()
    middle = [n // 2 for n in geom.output]
    cands = [
        (sum(abs(i - m) for i, m in zip(pos, middle, strict=True)), tuple(reversed(pos)))
        for pos in np.ndindex(*geom.output)
        if score[pos] == best
    ]
    _, flipped = min(cands)
    return tuple(reversed(flipped))


def nearest_inside(win: np.ndarray, *at: int) -> tuple[int, ...] | None:
    """The window position nearest ``at`` that is not padding (``win`` is one window of
    :attr:`Geometry.windows`), or ``None`` if the whole window is padding."""
    cands = [
        (sum(abs(i - a) for i, a in zip(pos, at, strict=True)), tuple(reversed(pos)))
        for pos in np.ndindex(*win.shape)
        if win[pos] >= 0
    ]
    if not cands:
        return None
    _, flipped = min(cands)
    return tuple(reversed(flipped))
