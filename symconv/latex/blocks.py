"""Blocks of any number of axes printed the way the documents show them: a 2-D block is a
matrix, a 1-D block (a signal) a vector, written as a row and transposed
(``[a_1 \\; a_2 \\cdots]^\\top``, the column its ``vec`` is; as the column itself when its
entries are too wide to stand side by side), and a 3-D block one depth slice
at a time, each slice a matrix under its depth (``d = 1``, ``d = 2``, ...), elided past a
few slices.  Only the entries shown are read, so a large layer's blocks are never built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from .layout import LINE, MAX_ROWS, matrix, pick, width

Position = tuple[int, ...]
#: the most depth slices of a 3-D block shown (an elision mark counts as one)
MAX_SLICES = 3


def block(
    cell: Callable[[Position], str],
    shape: Sequence[int],
    *,
    keep: Iterable[Position] = (),
    rows: int = MAX_ROWS,
    budget: float = LINE,
    inline: bool = False,
    gap: str = "",
) -> str:
    """``cell(position)`` (0-based) for every position of a block of ``shape``, elided where
    large; the ``keep`` positions are always shown.  A 2-D block is exactly
    :func:`~.layout.matrix`."""
    shape = tuple(int(n) for n in shape)
    kept = [tuple(int(i) for i in k) for k in keep]
    if len(shape) == 2:
        return matrix(
            lambda r, c: cell((r, c)),
            (shape[0], shape[1]),
            keep_rows=[k[0] for k in kept],
            keep_cols=[k[1] for k in kept],
            rows=rows,
            budget=budget,
            inline=inline,
            gap=gap,
        )
    if len(shape) == 1:
        shown: list[int | None] = []
        body = matrix(
            lambda r, c: cell((c,)),
            (1, shape[0]),
            keep_cols=[k[0] for k in kept],
            budget=budget - 12.0,
            inline=True,
            shown=shown,
        )
        if sum(c is not None for c in shown) >= min(shape[0], 3):
            return body + "^\\top"
        # entries too wide to stand side by side: the column itself
        return matrix(
            lambda r, c: cell((r,)),
            (shape[0], 1),
            keep_rows=[k[0] for k in kept],
            rows=rows,
            budget=budget,
            inline=inline,
            gap=gap,
        )
    if len(shape) == 3:
        return _slices(cell, shape, kept, rows=rows, budget=budget, inline=inline, gap=gap)
    raise ValueError(f"blocks of {len(shape)} axes are not printed")


def _slices(
    cell: Callable[[Position], str],
    shape: tuple[int, ...],
    kept: list[Position],
    *,
    rows: int,
    budget: float,
    inline: bool,
    gap: str,
) -> str:
    """A 3-D block as its depth slices side by side, each labelled with its depth: as many
    slices as fit ``budget`` (at most :data:`MAX_SLICES`, the kept ones first), the rest elided."""
    out = ""
    for limit in range(MAX_SLICES, 0, -1):
        out = _sliced(cell, shape, kept, limit, rows=rows, budget=budget, inline=inline, gap=gap)
        if width(out) <= budget:
            break
    return out


def _sliced(
    cell: Callable[[Position], str],
    shape: tuple[int, ...],
    kept: list[Position],
    limit: int,
    *,
    rows: int,
    budget: float,
    inline: bool,
    gap: str,
) -> str:
    """:func:`_slices` showing at most ``limit`` slices (elision marks included)."""
    depths = [k[0] for k in kept] or [0]
    shown = (
        pick(shape[0], depths, limit)
        if limit > 1
        else ([None] if depths[0] > 0 else []) + [depths[0]] + ([None] if depths[0] < shape[0] - 1 else [])
    )
    count = sum(1 for s in shown if s is not None)
    each = max(60.0, (budget - 20.0 * len(shown)) / max(count, 1))
    parts = []
    for s in shown:
        if s is None:
            parts.append("\\cdots")
            continue
        here = [k[1:] for k in kept if k[0] == s]

        def at(r: int, c: int, depth: int = s) -> str:
            return cell((depth, r, c))

        body = matrix(
            at,
            (shape[1], shape[2]),
            keep_rows=[k[0] for k in here],
            keep_cols=[k[1] for k in here],
            rows=rows,
            budget=each,
            inline=True,
            gap=gap,
        )
        parts.append(f"\\underset{{d = {s + 1}}}{{{body}}}")
    sep = " \\; " if inline else " \\;\n"
    return "\\left(" + sep.join(parts) + "\\right)"


def fits(text: str, budget: float) -> bool:
    """Whether printed ``text`` fits ``budget`` points (the width estimate of :mod:`.layout`)."""
    return width(text) <= budget
