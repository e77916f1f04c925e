"""The pictures in the documents, drawn with LaTeX's own ``picture`` environment and
``xcolor`` (both in texlive-latex-base / -recommended: no TikZ, no image files, no
matplotlib), from the data of :mod:`symconv.pictures`.

A picture is a list of filled boxes (one per run of equal cells along a row, never one
per nonzero), optional grid lines and frames; ``templates/latex/pictures.tex.j2`` lays
it out.  Its size is bounded by :data:`symconv.pictures.MAX_CELLS`, whatever the layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..geometry import Geometry
from ..pictures import Pattern, WindowMap, pattern, runs, window_map
from ..sparse import VecJacobian

#: the longer side of a picture, in points
SIDE = 150.0
#: draw grid lines between cells up to this many cells a side
GRID_CELLS = 40
#: the fill of a pattern cell by shade level (1 = fewest nonzeros of the cells, 4 = most)
SHADES = {1: "black!30", 2: "black!50", 3: "black!75", 4: "black"}
PADDING = "black!12"
#: the highlighted window: on the input, on the padding
WINDOW = {2: "blue!55", 3: "blue!25"}


@dataclass(frozen=True)
class Box:
    """A box of the picture in cell units, from its lower-left corner."""

    x: int
    y: int
    w: int
    h: int
    color: str


@dataclass(frozen=True)
class Picture:
    """One picture: ``width x height`` cells of ``unit``; ``boxes`` are filled, ``frames``
    outlined; ``grid`` asks for lines between the cells; ``share`` is the fraction of the
    line width its column takes in a row of pictures.

    The data it was drawn from comes along, for pages that draw it again and make it live
    (:mod:`symconv.html.svg`): ``what`` names the Jacobian (or the worked output entry) in
    LaTeX, ``pattern`` and ``jacobian`` are a pattern picture's, ``geometry`` and ``entry``
    (0-based output position) a window map's."""

    unit: str
    width: int
    height: int
    boxes: tuple[Box, ...]
    frames: tuple[Box, ...]
    grid: bool
    caption: str
    share: str = "0.9"
    what: str = ""
    pattern: Pattern | None = None
    jacobian: VecJacobian | None = None
    geometry: Geometry | None = None
    entry: tuple[int, int] | None = None

    @property
    def lines(self) -> tuple[int, int]:
        """How many vertical and horizontal grid lines there are."""
        return self.width + 1, self.height + 1


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _unit(width: int, height: int, side: float = SIDE) -> str:
    return f"{side / max(width, height, 1):.3f}pt"


def pattern_picture(pat: Pattern, what: str, *, side: float = SIDE, brief: bool = False) -> Picture:
    """The sparsity pattern ``pat`` of the Jacobian named ``what`` (LaTeX math), ``side``
    points on its longer side; a ``brief`` caption gives only the name, size and nonzeros."""
    rows, cols = pat.counts.shape
    levels = pat.levels(len(SHADES))
    boxes = [
        Box(start, rows - 1 - r, length, 1, SHADES[value])
        for r in range(rows)
        for start, length, value in runs(levels[r])
    ]
    frames = [Box(0, 0, cols, rows, "black")]
    m, n = pat.shape
    if brief:
        caption = f"${what}$\\\\ ${m} \\times {n}$, {pat.nnz} nonzeros"
        return Picture(
            _unit(cols, rows, side), cols, rows, tuple(boxes), tuple(frames[:1]), False, caption, what=what, pattern=pat
        )
    caption = f"${what}$: ${m} \\times {n}$, {pat.nnz} structural nonzeros"
    if pat.exact:
        caption += " (a black cell is a nonzero"
    else:
        br, bc = pat.block
        caption += f"; a cell is a ${br} \\times {bc}$ block, darker for more nonzeros"
    if pat.mark is not None:
        r, c = pat.mark
        frames.append(Box(c, rows - 1 - r, 1, 1, "red"))
        caption += (", " if pat.exact else "; ") + "the red frame is the worked entry"
    caption += ")." if pat.exact else "."
    grid = max(rows, cols) <= GRID_CELLS
    return Picture(_unit(cols, rows), cols, rows, tuple(boxes), tuple(frames), grid, caption, what=what, pattern=pat)


def jacobian_picture(jac: VecJacobian, what: str, mark: tuple[int, int] | None = None) -> Picture:
    """:func:`pattern_picture` of a sparse Jacobian, with an entry marked."""
    return replace(pattern_picture(pattern(jac, mark=mark), what), jacobian=jac)


def window_picture(geom: Geometry, p: int, q: int, what: str) -> Picture:
    """rep.1 drawn: the padded input with its padding shaded and the window behind output
    ``(p, q)`` (0-based; ``what`` names that output in LaTeX) highlighted."""
    wm: WindowMap = window_map(geom, p, q)
    height, width = wm.padded
    top, left, h, w = wm.input_box

    def y(row: int, rows: int = 1) -> int:
        return height - row - rows

    boxes = [
        Box(0, y(0, top), width, top, PADDING),
        Box(0, y(top + h, height - top - h), width, height - top - h, PADDING),
        Box(0, y(top, h), left, h, PADDING),
        Box(left + w, y(top, h), width - left - w, h, PADDING),
    ]
    boxes = [b for b in boxes if b.w > 0 and b.h > 0]
    codes = wm.grid()
    for r in sorted(set(wm.rows)):
        window_only = codes[r] * (codes[r] >= 2)
        boxes += [Box(start, y(r), length, 1, WINDOW[value]) for start, length, value in runs(window_only)]
    r0, r1, c0, c1 = min(wm.rows), max(wm.rows), min(wm.cols), max(wm.cols)
    frames = (
        Box(0, 0, width, height, "black"),
        Box(left, y(top, h), w, h, "black"),
        Box(c0, y(r0, r1 - r0 + 1), c1 - c0 + 1, r1 - r0 + 1, "blue"),
    )
    t, b, lp, rp = geom.padding
    pads = f"{_count(t, 'row')} above, {b} below, {_count(lp, 'column')} on the left, {rp} on the right"
    caption = (
        f"rep.1 drawn: the ${height} \\times {width}$ padded input (padding shaded: {pads}) and the window "
        f"behind ${what}$ (blue; light where it covers padding)."
    )
    grid = max(height, width) <= GRID_CELLS
    return Picture(
        _unit(width, height), width, height, tuple(boxes), frames, grid, caption, what=what, geometry=geom, entry=(p, q)
    )


def row(pictures: Sequence[Picture], per_row: int | None = None) -> list[Picture]:
    """Pictures to be set side by side: each gets its share of the line (of ``per_row``
    pictures, by default as many as there are)."""
    share = f"{0.96 / max(per_row or len(pictures), 1):.2f}"
    return [replace(p, share=share) for p in pictures]


#: thumbnails in one row of the chain's pictures, and their longer side in points
