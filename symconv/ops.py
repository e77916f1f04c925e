"""The seed's ``*``: cross-correlation over the zero-padded input, on SymPy matrices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import sympy as sp

from .geometry import Geometry


class MatrixLike(Protocol):
    """What the windows read of a matrix: its shape and ``x[r, c]`` (a SymPy matrix, or a
    lazy :class:`symconv.symbols.Grid` of a large layer)."""

    @property
    def shape(self) -> tuple[int, int]: ...

    def __getitem__(self, rc: tuple[int, int]) -> sp.Expr: ...


def vec(m: sp.MatrixBase) -> sp.ImmutableMatrix:
    """Stack the columns of ``m`` (column-major), the seed's ``{}_v``."""
    return sp.ImmutableMatrix(m.T.reshape(m.rows * m.cols, 1)) if m.rows and m.cols else sp.ImmutableMatrix(m)


@dataclass(frozen=True)
class Unit:
    """``dX/dX_rs`` read entry by entry: a single 1 at 0-based ``(r, s)``."""

    shape: tuple[int, int]
    r: int
    s: int

    def __getitem__(self, ij: tuple[int, int]) -> sp.Expr:
        return sp.S.One if ij == (self.r, self.s) else sp.S.Zero


def unit(shape: tuple[int, int], r: int, s: int) -> sp.ImmutableMatrix:
    """``dX/dX_rs``: the matrix with a single 1 at 0-based ``(r, s)`` (eq.a1-2, eq.a2-2)."""
    view = Unit(shape, r, s)
    return sp.ImmutableMatrix(shape[0], shape[1], lambda i, j: view[int(i), int(j)])


@dataclass(frozen=True)
class Padded:
    """``x`` surrounded by ``geom``'s padding (top, bottom, left, right) of ``fill``, read
    entry by entry (nothing is built)."""

    x: MatrixLike
    geom: Geometry
    fill: sp.Expr = sp.S.Zero

    @property
    def shape(self) -> tuple[int, int]:
        return self.geom.padded

    def __getitem__(self, ij: tuple[int, int]) -> sp.Expr:
        i, j = ij
        t, _, left, _ = self.geom.padding
        h, w = self.x.shape
        return self.x[i - t, j - left] if t <= i < t + h and left <= j < left + w else self.fill


def padded(x: MatrixLike, geom: Geometry, fill: sp.Expr = sp.S.Zero) -> sp.ImmutableMatrix:
    """``x`` surrounded by ``geom``'s padding (top, bottom, left, right) of ``fill``."""
    view = Padded(x, geom, fill)
    return sp.ImmutableMatrix(*view.shape, lambda i, j: view[int(i), int(j)])


def window(x: MatrixLike, geom: Geometry, p: int, q: int, fill: sp.Expr = sp.S.Zero) -> sp.ImmutableMatrix:
    """rep.1: the ``h_k x w_k`` block of padded ``x`` behind output ``(p, q)`` (0-based)."""
    win = geom.windows[p, q]
    h = x.shape[0]
    return sp.ImmutableMatrix(
        win.shape[0],
        win.shape[1],
        lambda r, s: fill if win[r, s] < 0 else x[int(win[r, s]) % h, int(win[r, s]) // h],
    )


def correlate(x: sp.MatrixBase, y: sp.MatrixBase, geom: Geometry) -> sp.ImmutableMatrix:
    """``x * y``: ``z_pq = sum_rs xpad[p s_h + r d_h, q s_w + s d_w] y_rs`` (Appendix A, rep.1-2)."""
    if tuple(x.shape) != geom.input or tuple(y.shape) != geom.kernel:
        raise ValueError(f"correlate needs {geom.input} * {geom.kernel}, got {x.shape} * {y.shape}")
    hz, wz = geom.output
    h = x.shape[0]
    xs, ys = list(x), list(y)  # row-major, as the windows are
    rows = []
    for p in range(hz):
        row = []
        for q in range(wz):
            # the window of (p, q) read straight from the index map (rep.1): -1 is padding
            win = geom.windows[p, q].reshape(-1).tolist()
            row.append(sp.Add(*[xs[(i % h) * x.shape[1] + i // h] * k for i, k in zip(win, ys, strict=True) if i >= 0]))
        rows.append(row)
    return sp.ImmutableMatrix(rows) if rows else sp.ImmutableMatrix(hz, wz, [])
