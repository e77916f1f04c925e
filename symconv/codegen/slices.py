"""Strided slices read off the core's window map and vec Jacobians.

The seed writes the column ``(r, s)`` of ``d vZ / d vK`` as ``vec(A * E_rs)`` (eq.a1-3):
for every output ``(p, q)`` it holds the entry of the padded input that window ``(p, q)``
puts at kernel position ``(r, s)``.  Over all outputs those entries form a strided slice
of the padded input, starting at ``(row0[r], col0[s])`` with steps ``(s_h, s_w)``.  The
generated code gathers and scatters with exactly these slices, so this module reads
the starts off :attr:`Geometry.windows` and then checks, entry by entry, that the slice
model reproduces the window map and the triplets of the core's ``VecJacobian``.  A
generation that would disagree with the derivation stops with ``AssertionError``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import Geometry
from ..sparse import VecJacobian


@dataclass(frozen=True)
class SliceModel:
    """Window ``(p, q)`` reads padded input entry ``(row0[r] + p s_h, col0[s] + q s_w)``
    at kernel position ``(r, s)``; ``row0[r] = r d_h`` and ``col0[s] = s d_w``."""

    input: tuple[int, int]
    output: tuple[int, int]
    kernel: tuple[int, int]
    padding: tuple[int, int, int, int]
    padded: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    row0: tuple[int, ...]
    col0: tuple[int, ...]

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """Padded (row, col) of every ``[p, q, r, s]``, each of shape ``(h_z, w_z, h_k, w_k)``."""
        hz, wz = self.output
        rows = np.arange(hz)[:, None] * self.stride[0] + np.asarray(self.row0)[None, :]
        cols = np.arange(wz)[:, None] * self.stride[1] + np.asarray(self.col0)[None, :]
        return (
            np.broadcast_to(rows[:, None, :, None], (*self.output, *self.kernel)),
            np.broadcast_to(cols[None, :, None, :], (*self.output, *self.kernel)),
        )

    def vec_index(self) -> np.ndarray:
        """The window map this model predicts: vec index into the unpadded input, -1 in the padding."""
        h, w = self.input
        t, _, left, _ = self.padding
        rows, cols = self.positions()
        r, c = rows - t, cols - left
        inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
        return np.where(inside, c * h + r, -1)

    def stops(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Exclusive slice ends ``row0[r] + s_h (h_z - 1) + 1`` (and for columns)."""
        hz, wz = self.output
        return (
            tuple(r + self.stride[0] * (hz - 1) + 1 for r in self.row0),
            tuple(c + self.stride[1] * (wz - 1) + 1 for c in self.col0),
        )

    def overlapping(self) -> bool:
        """Whether some padded entry lies in more than one window (then a backward
        scatter must add, not assign)."""
        rows, cols = self.positions()
        flat = (rows * self.padded[1] + cols).reshape(-1)
        return bool(np.unique(flat).size != flat.size)


def _starts(coord: np.ndarray, inside: np.ndarray, step: int, along: int, count: int, dilation: int) -> tuple[int, ...]:
    """``start[r] = coord - p * step`` over every inside entry of kernel row (or column) ``r``;
    every such entry must give the same start.  Rows with no inside entry (wholly in the
    padding) take ``r * dilation`` and are checked by the full comparison afterwards."""
    out = []
    moved = np.moveaxis(coord, along + 2, 0)
    mask = np.moveaxis(inside, along + 2, 0)
    index = np.indices(coord.shape)[along]
    index = np.moveaxis(index, along + 2, 0)
    for r in range(count):
        values = np.unique((moved[r] - index[r] * step)[mask[r]])
        assert values.size <= 1, f"kernel position {r} reads no single strided slice: starts {values[:5]}"
        out.append(int(values[0]) if values.size else r * dilation)
    return tuple(out)


def slice_model(g: Geometry) -> SliceModel:
    """The strided-slice model of ``g``'s window map, checked against it entry by entry."""
    win = g.windows
    h, _ = g.input
    t, _, left, _ = g.padding
    inside = win >= 0
    prow = np.where(inside, win % h + t, 0)
    pcol = np.where(inside, win // h + left, 0)
    row0 = _starts(prow, inside, g.stride[0], 0, g.kernel[0], g.dilation[0])
    col0 = _starts(pcol, inside, g.stride[1], 1, g.kernel[1], g.dilation[1])
    # the starts are r * d_h: a dilated window anchored at the padded corner
    assert row0 == tuple(r * g.dilation[0] for r in range(g.kernel[0])), f"row starts {row0}"
    assert col0 == tuple(s * g.dilation[1] for s in range(g.kernel[1])), f"column starts {col0}"
    model = SliceModel(g.input, g.output, g.kernel, g.padding, g.padded, g.stride, g.dilation, row0, col0)
    assert np.array_equal(model.vec_index(), win), "the slice model disagrees with Geometry.windows"
    rows, cols = model.positions()
    assert rows.max() < g.padded[0] and cols.max() < g.padded[1], "a slice runs past the padded input"
    return model


def model_triplets(model: SliceModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(out, ker, inp)`` vec indices of every structural nonzero the slices touch."""
    win = model.vec_index()
    hz, wz, hk, wk = win.shape
    out = np.broadcast_to((np.arange(hz)[:, None] + np.arange(wz)[None, :] * hz)[:, :, None, None], win.shape)
    ker = np.broadcast_to((np.arange(hk)[:, None] + np.arange(wk)[None, :] * hk)[None, None], win.shape)
    keep = win >= 0
    return out[keep], ker[keep], win[keep]


def _sorted(*arrays: np.ndarray) -> np.ndarray:
    stacked = np.stack([np.asarray(a, dtype=np.int64) for a in arrays])
    order = np.lexsort(stacked[::-1])
    return stacked[:, order]


def assert_kernel_jacobian(model: SliceModel, jac: VecJacobian) -> None:
    """``d vZ_j / d vK_{j,i}`` (eq.a1-3): row ``out``, column ``ker``, value the input entry ``inp``."""
    out, ker, inp = model_triplets(model)
    assert jac.shape == (model.output[0] * model.output[1], model.kernel[0] * model.kernel[1]), jac.shape
    assert np.array_equal(_sorted(jac.rows, jac.cols, jac.ids), _sorted(out, ker, inp)), (
        "d vZ/d vK is not the strided slices of the padded input"
    )


def assert_input_jacobian(model: SliceModel, jac: VecJacobian, ids_are_kernel: bool = True) -> None:
    """``d vZ_j / d vA_i`` (eq.a2-3): row ``out``, column ``inp``; the value is the kernel
    entry ``ker`` (conv) or one shared coefficient (average pooling)."""
    out, ker, inp = model_triplets(model)
    assert jac.shape == (model.output[0] * model.output[1], model.input[0] * model.input[1]), jac.shape
    if ids_are_kernel:
        assert np.array_equal(_sorted(jac.rows, jac.cols, jac.ids), _sorted(out, inp, ker)), (
            "d vZ/d vA does not scatter through the strided slices"
        )
    else:
        assert np.array_equal(_sorted(jac.rows, jac.cols), _sorted(out, inp)), (
            "d vA/d vI does not scatter through the strided slices"
        )
