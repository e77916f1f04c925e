"""The strided slices of :class:`Geometry` checked against the core's vec Jacobians, in any
number of axes.

The seed writes the column ``(r, s)`` of ``d vZ / d vK`` as ``vec(A * E_rs)`` (eq.a1-3):
for every output it holds the entry of the padded input that the output's window puts at
kernel position ``(r, s)``.  Over all outputs those entries form a strided slice of the padded
input, starting at ``r_a d_a`` along each axis ``a`` with step ``s_a`` (:meth:`Geometry.positions`).
The generated code gathers and scatters with exactly these slices over padded planes that hold
the input where its plan put it (``holds``: per axis, the input entry each padded coordinate
holds, -1 for zero; by default the core's :meth:`Axis.source`), so generation checks, entry by
entry, that they reproduce the triplets of the core's ``VecJacobian``; a mismatch raises
:class:`PlanError`.
"""

from __future__ import annotations

import numpy as np

from ..errors import require
from ..geometry import Geometry, vec_strides
from ..sparse import Summed, VecJacobian

Holds = tuple[np.ndarray, ...]


def _sorted(*arrays: np.ndarray) -> np.ndarray:
    stacked = np.stack([np.asarray(a, dtype=np.int64).reshape(-1) for a in arrays])
    order = np.lexsort(stacked[::-1])
    return stacked[:, order]


def triplets(jac: VecJacobian) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, cols, ids)`` of every term of ``jac``: a summed entry (a padding mode's copies)
    gives one triplet per term it sums."""
    if isinstance(jac.table, Summed):
        counts = np.diff(jac.table.starts)
        return np.repeat(jac.rows, counts), np.repeat(jac.cols, counts), np.asarray(jac.table.members)
    return np.asarray(jac.rows), np.asarray(jac.cols), np.asarray(jac.ids)


def _holds(g: Geometry) -> Holds:
    return tuple(np.asarray(a.source(np.arange(a.padded)), dtype=np.int64).reshape(-1) for a in g.axes)


def _slice_triplets(g: Geometry, holds: Holds | None, turned: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(out, ker, inp)`` vec indices of every entry the strided slices read inside the input
    (``ker`` turned by 180° when the kernel is stored turned)."""
    holds = _holds(g) if holds is None else holds
    coords = g.positions()
    d = g.ndim
    shape = (*g.output, *g.kernel)
    inside = np.ones(shape, dtype=bool)
    out = np.zeros(shape, np.int64)
    ker = np.zeros(shape, np.int64)
    inp = np.zeros(shape, np.int64)
    for a, (axis, held, x) in enumerate(zip(g.axes, holds, coords, strict=True)):
        view = [1] * (2 * d)
        view[a], view[d + a] = axis.output, axis.window
        p = np.arange(axis.output).reshape(view[:d] + [1] * d)
        r = np.arange(axis.window).reshape([1] * d + view[d:])
        src = held[x]
        inside &= src >= 0
        out = out + p * vec_strides(g.output)[a]
        ker = ker + ((axis.window - 1 - r) if turned else r) * vec_strides(g.kernel)[a]
        inp = inp + src * vec_strides(g.input)[a]
    return out[inside], ker[inside], inp[inside]


def check_kernel_jacobian(g: Geometry, jac: VecJacobian, holds: Holds | None = None, turned: bool = False) -> None:
    """``d vZ_j / d vK_{j,i}`` (eq.a1-3): row ``out``, column ``ker``, value the input entry ``inp``."""
    out, ker, inp = _slice_triplets(g, holds, turned)
    shape = (int(np.prod(g.output)), int(np.prod(g.kernel)))
    require(jac.shape == shape, f"d vZ/d vK has shape {jac.shape}")
    require(
        np.array_equal(_sorted(*triplets(jac)), _sorted(out, ker, inp)),
        "d vZ/d vK is not the strided slices of the padded input",
    )


def check_input_jacobian(
    g: Geometry, jac: VecJacobian, ids_are_kernel: bool = True, holds: Holds | None = None, turned: bool = False
) -> None:
    """``d vZ_j / d vA_i`` (eq.a2-3): row ``out``, column ``inp``; the value is the kernel
    entry ``ker`` (conv; several added up where a padding mode copies an input entry into one
    window more than once) or one shared coefficient (average pooling)."""
    out, ker, inp = _slice_triplets(g, holds, turned)
    require(jac.shape == (int(np.prod(g.output)), int(np.prod(g.input))), f"d vZ/d vA has shape {jac.shape}")
    rows, cols, ids = triplets(jac)
    if ids_are_kernel:
        same = np.array_equal(_sorted(rows, cols, ids), _sorted(out, inp, ker))
    else:
        same = np.array_equal(_sorted(rows, cols), _sorted(out, inp))
    require(same, "the input Jacobian does not scatter through the strided slices")


def check_scatter(
    g: Geometry,
    jac_k: VecJacobian,
    jac_a: VecJacobian,
    offsets: tuple[tuple[int, ...], ...],
    lead: tuple[int, ...],
    turned: bool,
) -> None:
    """The scatter of an input-dilated convolution at stride 1: input entry ``p`` times position
    ``r`` of the turned kernel lands in the output buffer at ``offsets[r]``'s start plus ``p u``
    along each axis, output ``y`` being buffer entry ``lead + y``.  The (output, kernel position,
    input) triplets that land inside the output must be the core's ``d vZ/d vK`` and
    ``d vZ/d vA`` (the kernel position as stored: the turned one when ``turned``, else turned
    back), each once."""
    d = g.ndim
    require(g.stride == (1,) * d, "the scatter is for stride 1")
    found = []
    for offset in offsets:
        r = offset[:d]
        inside = np.ones(g.input, dtype=bool)
        out = np.zeros(g.input, np.int64)
        inp = np.zeros(g.input, np.int64)
        for a, axis in enumerate(g.axes):
            start, stop = offset[d + 2 * a], offset[d + 2 * a + 1]
            y = np.arange(start, stop, axis.input_dilation) - lead[a]
            require(y.size == axis.size, f"the scatter slice of kernel position {r} misses input entries")
            view = [1] * d
            view[a] = axis.size
            y = y.reshape(view)
            inside = inside & (y >= 0) & (y < axis.output)
            out = out + y * vec_strides(g.output)[a]
            inp = inp + np.arange(axis.size).reshape(view) * vec_strides(g.input)[a]
        stored = r if turned else tuple(k - 1 - x for x, k in zip(r, g.kernel, strict=True))
        ker = int(np.dot(stored, vec_strides(g.kernel))) if d else 0
        found.append(np.stack([out[inside], np.full(int(inside.sum()), ker), inp[inside]]))
    got = np.concatenate(found, axis=1) if found else np.zeros((3, 0), np.int64)
    rows, cols, ids = triplets(jac_k)
    same_k = np.array_equal(_sorted(*got), _sorted(rows, cols, ids))
    rows, cols, ids = triplets(jac_a)
    same_a = np.array_equal(_sorted(*got), _sorted(rows, ids, cols))
    require(same_k, "the scatter slices differ from d vZ/d vK of the core")
    require(same_a, "the scatter slices differ from d vZ/d vA of the core")
