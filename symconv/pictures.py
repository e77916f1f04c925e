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

from .geometry import Axis, Geometry
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


#: what a cell of the padded input holds, in :attr:`WindowMap.codes`
ZERO, INPUT, COPY = 0, 1, 2


@dataclass(frozen=True)
class WindowMap:
    """rep.1 over the padded input of a 1-D or 2-D layer (a 1-D one as a single row): its size,
    what each of its cells holds (``codes``: :data:`ZERO` for padding, an input dilation's zeros
    and ceil positions, :data:`INPUT` for an input entry, :data:`COPY` for a padding mode's copy
    of one), the box the (dilated) input spans (``input_box``: top, left, height, width, cut to
    the padded input where the padding crops), and the cells of the window behind output
    ``(p, q)`` (0-based; ``rows`` and ``cols`` in padded coordinates, several apart under
    dilation)."""

    padded: tuple[int, int]
    input_box: tuple[int, int, int, int]  # top, left, height, width
    output: tuple[int, int]
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    codes: np.ndarray

    def grid(self) -> np.ndarray:
        """``(H, W)`` codes: 0 padding (or another zero), 1 input, 4 a copy of an input entry;
        the window adds 2 to what it covers (2 the window on a zero, 3 on the input, 6 on a copy)."""
        out = np.where(self.codes == COPY, 4, self.codes).astype(np.int64)
        rr, cc = np.meshgrid(self.rows, self.cols, indexing="ij")
        out[rr, cc] += 2
        return out


def _axis_codes(axis: Axis) -> np.ndarray:
    """What each padded position of ``axis`` holds: :data:`ZERO`, :data:`INPUT` or :data:`COPY`."""
    x = np.arange(axis.padded)
    source = np.asarray(axis.source(x))
    t = x - axis.before
    inside = (t >= 0) & (t < axis.dilated)
    return np.where(source < 0, ZERO, np.where(inside, INPUT, COPY))


def plane_axes(geom: Geometry) -> tuple[Axis, Axis]:
    """The two axes a window map draws: a 2-D layer's, or a 1-D layer's as one row (a first
    axis of one entry)."""
    if geom.ndim == 2:
        return geom.axes[0], geom.axes[1]
    if geom.ndim == 1:
        return Axis(1, 1), geom.axes[0]
    raise ValueError(f"a window map is drawn for 1-D and 2-D layers, not {geom.ndim}-D")


def window_map(geom: Geometry, p: int, q: int) -> WindowMap:
    """The window map of ``geom`` (1-D or 2-D) with the window behind output ``(p, q)`` (0-based;
    a 1-D layer is drawn as one row: its output ``q`` is ``(0, q)``)."""
    axes = plane_axes(geom)
    hz, wz = axes[0].output, axes[1].output
    if not (0 <= p < hz and 0 <= q < wz):
        raise IndexError(f"output ({p}, {q}) is outside the {hz}x{wz} output")
    rows, cols = axes[0].positions, axes[1].positions
    code_r, code_c = (_axis_codes(a) for a in axes)
    codes = np.where(
        (code_r[:, None] == ZERO) | (code_c[None, :] == ZERO),
        ZERO,
        np.where((code_r[:, None] == COPY) | (code_c[None, :] == COPY), COPY, INPUT),
    )

    def extent(a: Axis) -> tuple[int, int]:
        start = max(a.before, 0)
        return start, max(0, min(a.before + a.dilated, a.padded) - start)

    (top, h), (left, w) = (extent(a) for a in axes)
    return WindowMap(
        (axes[0].padded, axes[1].padded),
        (top, left, h, w),
        (p, q),
        tuple(int(r) for r in rows[p]),
        tuple(int(c) for c in cols[q]),
        codes,
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
