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

import numpy as np

from ..geometry import Geometry
from ..pictures import COPY, MAX_CELLS, ZERO, Pattern, WindowMap, pattern, runs, window_map
from ..sparse import VecJacobian
from .common import counted

#: the longer side of a picture, in points
SIDE = 150.0
#: draw grid lines between cells up to this many cells a side
GRID_CELLS = 40
#: the fill of a pattern cell by shade level (1 = fewest nonzeros of the cells, 4 = most)
SHADES = {1: "black!30", 2: "black!50", 3: "black!75", 4: "black"}
PADDING = "black!12"
#: the highlighted window by :meth:`~symconv.pictures.WindowMap.grid` code: on the input
#: (code 3) dark, on the padding (code 2) light, as the captions say
WINDOW = {3: "blue!55", 2: "blue!25", 6: "orange!80"}
#: a padding mode's copy of an input entry
COPY_SHADE = "orange!25"


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


def _unit(width: int, height: int, side: float = SIDE) -> str:
    return f"{side / max(width, height, 1):.3f}pt"


#: a picture's longer side is at most this many times its shorter side: a tall, narrow
#: Jacobian (256 x 9) is drawn with wide cells, so that its bands are seen
ASPECT = 3
#: how many times :data:`~symconv.pictures.MAX_CELLS` cells a very long side of a pattern gets
LONG_SIDE = 4


def pattern_cells(shape: tuple[int, int], max_cells: int = MAX_CELLS) -> tuple[int, int]:
    """The most cells a pattern of a ``shape`` Jacobian gets along each side: ``max_cells``,
    or more along the long side of a very tall or wide one (its cells are drawn stretched,
    :func:`pattern_picture`), so that its blocks stay small enough to show the bands."""
    m, n = shape
    rows = max_cells * LONG_SIDE if m >= ASPECT * LONG_SIDE * max(n, 1) else max_cells
    cols = max_cells * LONG_SIDE if n >= ASPECT * LONG_SIDE * max(m, 1) else max_cells
    return rows, cols


def stretch(rows: int, cols: int) -> tuple[int, int]:
    """How many units wide and tall a cell of a ``rows x cols`` picture is drawn, so that the
    picture is at most :data:`ASPECT` times as long as it is wide."""
    fx = max(1, -(-rows // (ASPECT * max(cols, 1))))
    fy = max(1, -(-cols // (ASPECT * max(rows, 1))))
    return fx, fy


def pattern_picture(pat: Pattern, what: str, *, side: float = SIDE, brief: bool = False) -> Picture:
    """The sparsity pattern ``pat`` of the Jacobian named ``what`` (LaTeX math), ``side``
    points on its longer side; a ``brief`` caption gives only the name, size and nonzeros."""
    rows, cols = pat.counts.shape
    fx, fy = stretch(rows, cols)
    levels = pat.levels(len(SHADES))
    boxes = [
        Box(start * fx, (rows - 1 - r) * fy, length * fx, fy, SHADES[value])
        for r in range(rows)
        for start, length, value in runs(levels[r])
    ]
    width, height = cols * fx, rows * fy
    frames = [Box(0, 0, width, height, "black")]
    m, n = pat.shape
    unit = _unit(width, height, side)
    if brief:
        caption = f"${what}$\\\\ ${m} \\times {n}$, {pat.nnz} nonzeros"
        return Picture(unit, width, height, tuple(boxes), tuple(frames[:1]), False, caption, what=what, pattern=pat)
    caption = f"${what}$: ${m} \\times {n}$, {pat.nnz} structural nonzeros"
    if pat.exact:
        caption += " (a black cell is a nonzero"
    else:
        br, bc = pat.block
        caption += f"; a cell is a ${br} \\times {bc}$ block, darker for more nonzeros"
    if pat.mark is not None:
        r, c = pat.mark
        frames.append(Box(c * fx, (rows - 1 - r) * fy, fx, fy, "red"))
        caption += (", " if pat.exact else "; ") + "the red frame is the worked entry"
    caption += ")." if pat.exact else "."
    grid = max(rows, cols) <= GRID_CELLS and fx == fy == 1
    return Picture(unit, width, height, tuple(boxes), tuple(frames), grid, caption, what=what, pattern=pat)


def jacobian_picture(jac: VecJacobian, what: str, mark: tuple[int, int] | None = None) -> Picture:
    """:func:`pattern_picture` of a sparse Jacobian, with an entry marked."""
    return replace(pattern_picture(pattern(jac, pattern_cells(jac.shape), mark=mark), what), jacobian=jac)


def window_picture(geom: Geometry, p: int, q: int, what: str) -> Picture:
    """rep.1 drawn: the padded input with its padding (and any other zero: an input dilation's)
    shaded, a padding mode's copies of input entries in their own colour, and the window behind
    output ``(p, q)`` (0-based; ``what`` names that output in LaTeX) highlighted.  A 1-D layer
    is drawn as one row (``q`` is then its output)."""
    wm: WindowMap = window_map(geom, p, q)
    height, width = wm.padded
    top, left, h, w = wm.input_box

    def y(row: int, rows: int = 1) -> int:
        return height - row - rows

    codes = wm.grid()
    base = wm.codes
    # the padding's and the copies' runs (equal runs of neighbouring rows as one box), then the window's
    shades = np.where(base == ZERO, 1, np.where(base == COPY, 2, 0))
    boxes = [Box(x, y(r, n), w_, n, (PADDING, COPY_SHADE)[value - 1]) for r, n, x, w_, value in _row_boxes(shades)]
    for r in sorted(set(wm.rows)):
        window_only = np.where(np.isin(codes[r], tuple(WINDOW)), codes[r], 0)
        boxes += [Box(start, y(r), length, 1, WINDOW[value]) for start, length, value in runs(window_only)]
    r0, r1, c0, c1 = min(wm.rows), max(wm.rows), min(wm.cols), max(wm.cols)
    frames = [Box(0, 0, width, height, "black")]
    if h and w:
        frames.append(Box(left, y(top, h), w, h, "black"))
    frames.append(Box(c0, y(r0, r1 - r0 + 1), c1 - c0 + 1, r1 - r0 + 1, "blue"))
    zeros = "zeros shaded" if any(u != 1 for u in geom.input_dilation) else "padding shaded"
    pads = padding_words(geom.padding) if geom.ndim == 2 else ""
    what_pad = f"{zeros}: {pads}" if pads else zeros
    copies = f"; the {geom.mode} padding's copies of input entries in orange" if (base == COPY).any() else ""
    spread = "; the input's entries spread by its input dilation" if any(u != 1 for u in geom.input_dilation) else ""
    crop = "; a negative padding crops the input" if min(geom.padding) < 0 else ""
    shape = f"${height} \\times {width}$" if geom.ndim == 2 else f"{width}-entry"
    if pads or copies or spread or crop:
        caption = (
            f"rep.1 drawn: the {shape} padded input ({what_pad}{copies}{spread}{crop}) and the window "
            f"behind ${what}$ (blue; light where it covers {'a zero' if spread else 'padding'})."
        )
    else:
        caption = f"rep.1 drawn: the {shape} input (no padding) and the window behind ${what}$ (blue)."
    grid = max(height, width) <= GRID_CELLS
    return Picture(
        _unit(width, height),
        width,
        height,
        tuple(boxes),
        tuple(frames),
        grid,
        caption,
        what=what,
        geometry=geom,
        entry=(p, q),
    )


def _row_boxes(grid: np.ndarray) -> list[tuple[int, int, int, int, int]]:
    """The nonzero runs of every row of ``grid`` as ``(row, rows, start, length, value)``, a run
    that repeats in the rows below it taken with them as one taller box: so a picture of plain
    padding is four boxes, whatever its size."""
    out: list[tuple[int, int, int, int, int]] = []
    open_: dict[tuple[int, int, int], int] = {}  # run -> its index in out, while the rows keep it
    for r in range(grid.shape[0]):
        here = {(start, length, value) for start, length, value in runs(grid[r])}
        open_ = {run: k for run, k in open_.items() if run in here}
        for run in sorted(here):
            if run in open_:
                row, rows, *rest = out[open_[run]]
                out[open_[run]] = (row, rows + 1, *rest)  # type: ignore[assignment]
            else:
                open_[run] = len(out)
                out.append((r, 1, *run))
    return out


def padding_words(padding: tuple[int, ...]) -> str:
    """The padding's sides in words, the empty ones left out: ``1 row above and below, 2
    columns on the left`` (empty when there is no padding)."""
    t, b, left, right = padding

    def sides(n1: int, n2: int, noun: str, one: str, two: str) -> list[str]:
        if n1 == n2:
            return [f"{counted(n1, noun)} {one} and {two}"] if n1 else []
        out = [f"{counted(n1, noun)} {one}"] if n1 else []
        return out + ([f"{counted(n2, noun)} {two}"] if n2 else [])

    return ", ".join(sides(t, b, "row", "above", "below") + sides(left, right, "column", "on the left", "on the right"))


def row(pictures: Sequence[Picture], per_row: int | None = None) -> list[Picture]:
    """Pictures to be set side by side: each gets its share of the line (of ``per_row``
    pictures, by default as many as there are)."""
    share = f"{0.96 / max(per_row or len(pictures), 1):.2f}"
    return [replace(p, share=share) for p in pictures]


#: thumbnails in one row of the chain's pictures, and their longer side in points
