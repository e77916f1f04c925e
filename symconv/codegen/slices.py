"""The strided slices of :class:`Geometry` checked against the core's vec Jacobians.

The seed writes the column ``(r, s)`` of ``d vZ / d vK`` as ``vec(A * E_rs)`` (eq.a1-3):
for every output ``(p, q)`` it holds the entry of the padded input that window ``(p, q)``
puts at kernel position ``(r, s)``.  Over all outputs those entries form a strided slice
of the padded input, starting at ``(row_starts[r], col_starts[s])`` with steps
``(s_h, s_w)`` (:meth:`Geometry.positions`).  The generated code gathers and scatters
with exactly these slices, so generation checks, entry by entry, that they reproduce the
triplets of the core's ``VecJacobian``; a mismatch raises :class:`PlanError`.
"""

from __future__ import annotations

import numpy as np

from ..errors import require
from ..geometry import Geometry
from ..sparse import VecJacobian


def _sorted(*arrays: np.ndarray) -> np.ndarray:
    stacked = np.stack([np.asarray(a, dtype=np.int64) for a in arrays])
    order = np.lexsort(stacked[::-1])
    return stacked[:, order]


def _slice_triplets(g: Geometry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(out, ker, inp)`` vec indices of every entry the strided slices read inside the input."""
    rows, cols = g.positions()
    t, _, left, _ = g.padding
    h, w = g.input
    r, c = rows - t, cols - left
    inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
    hz, wz, hk, wk = rows.shape
    out = np.broadcast_to((np.arange(hz)[:, None] + np.arange(wz)[None, :] * hz)[:, :, None, None], rows.shape)
    ker = np.broadcast_to((np.arange(hk)[:, None] + np.arange(wk)[None, :] * hk)[None, None], rows.shape)
    return out[inside], ker[inside], (c * h + r)[inside]


def check_kernel_jacobian(g: Geometry, jac: VecJacobian) -> None:
    """``d vZ_j / d vK_{j,i}`` (eq.a1-3): row ``out``, column ``ker``, value the input entry ``inp``."""
    out, ker, inp = _slice_triplets(g)
    require(jac.shape == (g.output[0] * g.output[1], g.kernel[0] * g.kernel[1]), f"d vZ/d vK has shape {jac.shape}")
    require(
        np.array_equal(_sorted(jac.rows, jac.cols, jac.ids), _sorted(out, ker, inp)),
        "d vZ/d vK is not the strided slices of the padded input",
    )


def check_input_jacobian(g: Geometry, jac: VecJacobian, ids_are_kernel: bool = True) -> None:
    """``d vZ_j / d vA_i`` (eq.a2-3): row ``out``, column ``inp``; the value is the kernel
    entry ``ker`` (conv) or one shared coefficient (average pooling)."""
    out, ker, inp = _slice_triplets(g)
    require(jac.shape == (g.output[0] * g.output[1], g.input[0] * g.input[1]), f"d vZ/d vA has shape {jac.shape}")
    if ids_are_kernel:
        same = np.array_equal(_sorted(jac.rows, jac.cols, jac.ids), _sorted(out, inp, ker))
    else:
        same = np.array_equal(_sorted(jac.rows, jac.cols), _sorted(out, inp))
    require(same, "the input Jacobian does not scatter through the strided slices")
