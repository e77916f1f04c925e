"""The seed's ``*``: cross-correlation over the padded input, on SymPy objects of any
number of axes (a column for 1-D, a matrix for 2-D, an N-dimensional array for 3-D; see
:func:`symconv.symbols.shaped`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import sympy as sp

from .geometry import Geometry
from .symbols import Grid, shaped, vec_index, vec_position


class BlockLike(Protocol):
    """What the windows read of a block: its shape and ``x[index]`` (a SymPy matrix or array,
    or a lazy :class:`symconv.symbols.Grid` of a large layer)."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    def __getitem__(self, index: Any) -> Any: ...


#: the older name: a matrix is the 2-D block
MatrixLike = BlockLike


def _shape(x: BlockLike, ndim: int) -> tuple[int, ...]:
    """A block's shape; in 1-D a SymPy column stands for the block."""
    shape = tuple(int(n) for n in x.shape)
    return shape[:1] if ndim == 1 and isinstance(x, sp.MatrixBase) and shape[1:] == (1,) else shape


def _read(x: BlockLike, index: tuple[int, ...]) -> sp.Expr:
    """``x`` at a 0-based position (a SymPy column read by one index)."""
    if isinstance(x, sp.MatrixBase) and len(index) == 1:
        return x[index[0], 0]
    return x[index]


def entries(x: BlockLike, shape: tuple[int, ...]) -> list[sp.Expr]:
    """The entries of ``x`` (of ``shape``) in vec order, the first axis fastest."""
    if isinstance(x, sp.MatrixBase):
        return list(x.T) if len(shape) == 2 else list(x)
    if isinstance(x, Grid):  # a lazy grid keeps its entries in vec order
        return list(x.items)
    return [x[vec_position(shape, k)] for k in range(math.prod(shape))]


def vec(m: Any) -> sp.ImmutableMatrix:
    """Stack the entries of ``m`` the first axis fastest (a matrix's columns, column-major),
    the seed's ``{}_v``."""
    if isinstance(m, sp.MatrixBase):
        return sp.ImmutableMatrix(m.T.reshape(m.rows * m.cols, 1)) if m.rows and m.cols else sp.ImmutableMatrix(m)
    shape = tuple(m.shape)
    return sp.ImmutableMatrix(math.prod(shape), 1, entries(m, shape))


class Unit:
    """``dX/dX_r``: a single 1 at 0-based position ``at``, read entry by entry."""

    def __init__(self, shape: tuple[int, ...], *at: int) -> None:
        self.shape, self.at = tuple(shape), tuple(at)

    def __getitem__(self, index: tuple[int, ...]) -> sp.Expr:
        return sp.S.One if tuple(index) == self.at else sp.S.Zero


def unit(shape: tuple[int, ...], *at: int) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
    """``dX/dX_rs``: a single 1 at 0-based position ``at`` (eq.a1-2, eq.a2-2)."""
    k = vec_index(shape, tuple(at))
    return shaped([sp.S.One if n == k else sp.S.Zero for n in range(math.prod(shape))], shape)


@dataclass(frozen=True)
class Padded:
    """``x`` with ``geom``'s padding, read entry by entry (nothing is built): each padded
    position holds the input entry it copies (its input dilation's zeros and zero padding
    hold ``fill``; a padding mode copies an input entry)."""

    x: BlockLike
    geom: Geometry
    fill: sp.Expr = sp.S.Zero

    @property
    def shape(self) -> tuple[int, ...]:
        return self.geom.padded

    def __getitem__(self, index: Any) -> sp.Expr:
        index = (index,) if isinstance(index, (int, np.integer)) else tuple(index)
        source = tuple(int(a.source(int(i))) for a, i in zip(self.geom.axes, index, strict=True))
        return self.fill if min(source, default=0) < 0 else _read(self.x, source)


def padded(x: BlockLike, geom: Geometry, fill: sp.Expr = sp.S.Zero) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
    """``x`` with ``geom``'s padding of ``fill`` (or the copies of its padding mode)."""
    view = Padded(x, geom, fill)
    shape = geom.padded
    return shaped([view[vec_position(shape, k)] for k in range(math.prod(shape))], shape)


def window(
    x: BlockLike, geom: Geometry, *p: int, fill: sp.Expr = sp.S.Zero
) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
    """rep.1: the kernel-sized block of padded ``x`` behind output ``p`` (0-based)."""
    win = geom.windows[tuple(p)]
    shape = geom.kernel
    # a lazy grid is read where the window lies, not built whole
    items = x.items if isinstance(x, Grid) else entries(x, geom.input)
    out = []
    for k in range(math.prod(shape)):
        i = int(win[vec_position(shape, k)])
        out.append(fill if i < 0 else items[i])
    return shaped(out, shape)


def correlate(x: BlockLike, y: BlockLike, geom: Geometry) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
    """``x * y``: ``z_p = sum_r xpad[p s + r d] y_r`` along every axis (Appendix A, rep.1-2),
    read straight from the window map (its triplets)."""
    xs_shape, ys_shape = _shape(x, geom.ndim), _shape(y, geom.ndim)
    if xs_shape != geom.input or ys_shape != geom.kernel:
        raise ValueError(f"correlate needs {geom.input} * {geom.kernel}, got {xs_shape} * {ys_shape}")
    return shaped(correlate_vec(entries(x, geom.input), entries(y, geom.kernel), geom), geom.output)


def correlate_vec(xs: Sequence[sp.Expr], ys: Sequence[sp.Expr], geom: Geometry) -> list[sp.Expr]:
    """:func:`correlate` on entries in vec order: the output's entries in vec order."""
    out, ker, inp = geom.triplets
    terms: list[list[sp.Expr]] = [[] for _ in range(math.prod(geom.output))]
    for z, k, i in zip(out.tolist(), ker.tolist(), inp.tolist(), strict=True):
        terms[z].append(xs[i] * ys[k])
    return [sp.Add(*t) for t in terms]
