"""The derivation's pictures as data: the sparsity pattern of a vec Jacobian and the
window map of rep.1 over the padded input.

Both the documents (:mod:`symconv.latex.pictures`, drawn with LaTeX's own ``picture``
environment) and the matplotlib figures (:mod:`symconv.plot`) draw from these, so they
show the same thing.  A pattern too large to draw entry by entry is summarised in
blocks: each cell of the picture stands for a ``block`` of the Jacobian and counts its
nonzeros, so the cost follows the size of the picture, not the layer's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .geometry import Geometry
from .sparse import VecJacobian

#: the most cells a pattern picture in a document has along a side
MAX_CELLS = 48


@dataclass(frozen=True)
class Pattern:
    """Where a Jacobian's structural nonzeros are, summarised on a grid.

    ``counts[r, c]`` is the number of nonzeros in rows ``r*block[0] .. (r+1)*block[0]-1``
    and columns ``c*block[1] ..`` of the ``shape[0] x shape[1]`` Jacobian; ``mark`` is
    the cell of a marked entry (a document's worked entry), or ``None``."""

    shape: tuple[int, int]
    block: tuple[int, int]
    counts: np.ndarray
    mark: tuple[int, int] | None = None

    @property
    def nnz(self) -> int:
        return int(self.counts.sum())

    @property
    def exact(self) -> bool:
        """Each cell is one entry: the picture is the pattern itself."""
        return self.block == (1, 1)

    def density(self) -> np.ndarray:
        """The share of each cell's entries that are nonzeros (the last row and column of
        cells may cover fewer entries than a whole block)."""
        (m, n), (br, bc) = self.shape, self.block
        rows, cols = self.counts.shape
        height = np.minimum(br, m - br * np.arange(rows))
        width = np.minimum(bc, n - bc * np.arange(cols))
        return self.counts / (height[:, None] * width[None, :])

    def levels(self, n: int = 4) -> np.ndarray:
        """Shades ``0..n`` of the cells: 0 for no nonzero, else the cell's density as a
        share of the densest cell's, rounded up (so a single nonzero stays visible)."""
        dense = self.density()
        top = float(dense.max()) if dense.size else 0.0
        if top == 0:
            return np.zeros(self.counts.shape, dtype=np.int64)
        return np.ceil(dense * n / top - 1e-9).astype(np.int64)


def pattern(
    jac: VecJacobian, max_cells: int | tuple[int, int] = MAX_CELLS, mark: tuple[int, int] | None = None
) -> Pattern:
    """The pattern of ``jac`` on at most ``max_cells`` cells a side (or ``(rows, columns)``
    cells; one cell per entry when the Jacobian fits); ``mark`` is an entry (row, column,
    0-based) to point out."""
    most_rows, most_cols = (max_cells, max_cells) if isinstance(max_cells, int) else max_cells
    if min(most_rows, most_cols) < 1:
        raise ValueError(f"max_cells must be at least 1, got {max_cells}")
    m, n = jac.shape
    br, bc = max(1, -(-m // most_rows)), max(1, -(-n // most_cols))
    gr, gc = -(-m // br), -(-n // bc)
    cells = (jac.rows // br) * gc + jac.cols // bc
    counts = np.bincount(cells, minlength=gr * gc).reshape(gr, gc)
    cell = (mark[0] // br, mark[1] // bc) if mark is not None else None
    return Pattern((m, n), (br, bc), counts, cell)


@dataclass(frozen=True)
class WindowMap:
    """rep.1 over the padded input: its size, where the input lies in it, and the cells of
    the window behind output ``(p, q)`` (0-based; ``rows`` and ``cols`` in padded
    coordinates, several apart under dilation)."""

    padded: tuple[int, int]
    input_box: tuple[int, int, int, int]  # top, left, height, width
    output: tuple[int, int]
    rows: tuple[int, ...]
    cols: tuple[int, ...]

    def grid(self) -> np.ndarray:
        """``(H, W)`` codes: 0 padding, 1 input, 2 the window on padding, 3 the window on
        the input (the window adds 2 to what it covers)."""
        top, left, h, w = self.input_box
        out = np.zeros(self.padded, dtype=np.int64)
        out[top : top + h, left : left + w] = 1
        rr, cc = np.meshgrid(self.rows, self.cols, indexing="ij")
        out[rr, cc] += 2
        return out


def window_map(geom: Geometry, p: int, q: int) -> WindowMap:
    """The window map of ``geom`` with the window behind output ``(p, q)`` (0-based)."""
    hz, wz = geom.output
    if not (0 <= p < hz and 0 <= q < wz):
        raise IndexError(f"output ({p}, {q}) is outside the {hz}x{wz} output")
    rows, cols = geom.cells
    top, _, left, _ = geom.padding
    (hp, wp), (h, w) = geom.padded, geom.input
    return WindowMap(
        (hp, wp),
        (top, left, h, w),
        (p, q),
        tuple(int(r) for r in rows[p]),
        tuple(int(c) for c in cols[q]),
    )


def runs(flags: Sequence[int] | np.ndarray) -> list[tuple[int, int, int]]:
    """Runs of equal nonzero values along a row: ``(start, length, value)``, so that a
    picture draws one box per run rather than one per cell."""
    out: list[tuple[int, int, int]] = []
    values = [int(v) for v in flags]
    start = 0
    for k in range(1, len(values) + 1):
        if k == len(values) or values[k] != values[start]:
            if values[start]:
                out.append((start, k - start, values[start]))
            start = k
    return out
