"""Adaptive average and max pooling: 3.1.3 and Appendix B over PyTorch's adaptive windows.

Window ``(p, q)`` is the block ``I[rs_p : re_p, cs_q : ce_q]`` (0-based, ends exclusive,
:func:`symconv.geometry.adaptive_windows`); there is no padding.  The vec Jacobians are
built from the windows' entries only, so the work is proportional to their nonzeros."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np
import sympy as sp

from ...errors import SpecError
from ...rule import JacobianInfo, Pooling, check_index, label, unknown
from ...sparse import Exprs, VecJacobian
from ...symbols import Tensor
from .spec import AdaptiveAvgPool2D, AdaptiveMaxPool2D


class _AdaptiveDerivation(Pooling):
    def __init__(
        self, spec: AdaptiveAvgPool2D | AdaptiveMaxPool2D, input: Tensor, output: Tensor, layer: int | None
    ) -> None:
        super().__init__(spec, input, output, layer)
        self.spec: AdaptiveAvgPool2D | AdaptiveMaxPool2D = spec
        assert spec.input is not None
        self.input_size: tuple[int, int] = spec.input
        (self.row_starts, self.row_ends), (self.col_starts, self.col_ends) = spec.windows

    @property
    def sizes(self) -> tuple[np.ndarray, np.ndarray]:
        """The windows' heights ``h_p`` and widths ``w_q``."""
        return self.row_ends - self.row_starts, self.col_ends - self.col_starts

    def window(self, p: int, q: int, i: int = 0) -> sp.ImmutableMatrix:
        """The block of ``I_i`` behind output ``(p, q)`` (0-based)."""
        hz, wz = self.spec.output_size
        p, q = check_index("p", p, hz), check_index("q", q, wz)
        m = self.I[check_index("j", i, self.channels)]
        return sp.ImmutableMatrix(
            m[int(self.row_starts[p]) : int(self.row_ends[p]), int(self.col_starts[q]) : int(self.col_ends[q])]
        )

    @cached_property
    def triplets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (output, input entry) pair of a window, as vec indices ``q h_a + p`` and
        ``c h_i + r``, and each pair's 0-based position ``s h_p + r`` in its window's ``vΩ``
        (column-major), in output order."""
        hz, wz = self.spec.output_size
        h = self.input_size[0]
        heights, widths = self.sizes
        # window k = q h_a + p, in output order, and its entries one after the other
        p = np.tile(np.arange(hz), wz)
        q = np.repeat(np.arange(wz), hz)
        counts = heights[p] * widths[q]
        starts = np.cumsum(counts) - counts
        out = np.repeat(q * hz + p, counts)
        pos = np.arange(int(counts.sum())) - np.repeat(starts, counts)
        height = np.repeat(heights[p], counts)
        rows = np.repeat(self.row_starts[p], counts) + pos % height  # column by column: vΩ
        cols = np.repeat(self.col_starts[q], counts) + pos // height
        arrays = (out, cols * h + rows, pos)
        for a in arrays:
            a.setflags(write=False)
        return arrays


class AdaptiveAvgDerivation(_AdaptiveDerivation):
    """``A_pq = (1 / (h_p w_q)) sum of window (p, q)`` (3.1.3 with PyTorch's adaptive windows):
    ``d vA_j / d vI_j`` holds ``1/(h_p w_q)`` in row ``A_pq`` wherever window ``(p, q)`` covers
    the input; it is the same for every channel."""

    kind = "adaptive_avgpool2d"
    section = "3.1.3"

    @cached_property
    def divisors(self) -> np.ndarray:
        """``h_p w_q`` for every output, ``(h_a, w_a)`` ints."""
        heights, widths = self.sizes
        return np.outer(heights, widths)

    @cached_property
    def A(self) -> list[sp.ImmutableMatrix]:  # noqa: N802
        hz, wz = self.spec.output_size
        return [
            sp.ImmutableMatrix(
                hz,
                wz,
                lambda p, q, j=j: sp.Add(*self.window(int(p), int(q), j)) / int(self.divisors[p, q]),
            )
            for j in range(self.channels)
        ]

    @cached_property
    def _values(self) -> tuple[Exprs, np.ndarray]:
        """The distinct ``1/(h_p w_q)`` and, per output in vec order, its index there."""
        distinct, ids = np.unique(self.divisors.reshape(-1, order="F"), return_inverse=True)
        return Exprs(tuple(sp.Rational(1, int(n)) for n in distinct)), ids.astype(np.int64)

    def jacobian(self, wrt: str = "I", **index: int) -> VecJacobian:
        if wrt != "I":
            raise unknown(wrt, "'I'")
        j = check_index("j", index.get("j", 0), self.channels)
        out, inp, _ = self.triplets
        table, ids = self._values
        return VecJacobian.build(self._sizes, out, inp, ids[out], table, label(self.output, j), label(self.input, j))

    def full_jacobian(self, wrt: str = "I") -> VecJacobian:
        if wrt != "I":
            raise unknown(wrt, "'I'")
        out, inp, _ = self.triplets
        nz, n = self._sizes
        table, ids = self._values
        j = np.arange(self.channels)[:, None]
        return VecJacobian.build(
            (self.channels * nz, self.channels * n),
            j * nz + out,
            j * n + inp,
            np.broadcast_to(ids[out], (self.channels, out.size)),
            table,
            label(self.output),
            label(self.input),
        )

    def jacobian_list(self) -> list[JacobianInfo]:
        return [self._info("I", self.jacobian("I", j=j), j=j) for j in range(self.channels)]

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        out, inp, _ = self.triplets
        return self._averages(x, out, inp, self.divisors)


class AdaptiveMaxDerivation(_AdaptiveDerivation):
    """``A_pq = max`` of window ``(p, q)`` (Appendix B with PyTorch's adaptive windows).  The
    switch ``i_pq`` is the 1-based index of the maximum in the window's ``vΩ`` (column-major,
    ``h_p`` rows), the first on ties in ``tie_order``; the mask row ``A_pq`` holds one 1, at
    the input entry ``(rs_p + r_b, cs_q + c_b)`` (eq.b-2.1 to eq.b-2.3 without padding)."""

    kind = "adaptive_maxpool2d"
    section = "3.1.3; Appendix B"
    input_dependent = True
    spec: AdaptiveMaxPool2D

    @cached_property
    def A(self) -> list[sp.ImmutableMatrix]:  # noqa: N802
        hz, wz = self.spec.output_size
        return [
            sp.ImmutableMatrix(hz, wz, lambda p, q, j=j: sp.Max(*self.window(int(p), int(q), j).T))
            for j in range(self.channels)
        ]

    def _planes(self, values: np.ndarray) -> tuple[np.ndarray, bool]:
        arr = np.asarray(values, dtype=float)
        single = arr.ndim == 2
        if single:
            arr = arr[None]
        if arr.shape != (arr.shape[0], *self.input_size) or (not single and arr.shape[0] != self.channels):
            shapes = f"{self.input_size} or {(self.channels, *self.input_size)}"
            raise SpecError("I", f"must have shape {shapes}, got {np.shape(values)}")
        return arr, single

    def switches(self, values: np.ndarray) -> np.ndarray:
        """The seed's ``i_pq`` for a numeric input ``(h, w)`` or ``(c, h, w)``: the 1-based index
        in window ``(p, q)``'s ``vΩ`` of its maximum, the first one on ties (first in ``vΩ``, or
        with ``tie_order="row"`` first in row-major order)."""
        arr, single = self._planes(values)
        out = self._switches(arr)
        return out[0] if single else out

    def _switches(self, arr: np.ndarray) -> np.ndarray:
        """:meth:`switches` of the planes ``arr`` (``(k, h, w)``, any ``k``)."""
        hz, wz = self.spec.output_size
        out = np.empty((arr.shape[0], hz, wz), dtype=np.int64)
        for p in range(hz):
            for q in range(wz):
                block = arr[:, self.row_starts[p] : self.row_ends[p], self.col_starts[q] : self.col_ends[q]]
                hp, wq = block.shape[1:]
                if self.spec.tie_order == "row":
                    k = np.argmax(block.reshape(len(block), -1), axis=-1)
                    out[:, p, q] = (k % wq) * hp + k // wq + 1
                else:
                    out[:, p, q] = np.argmax(np.swapaxes(block, 1, 2).reshape(len(block), -1), axis=-1) + 1
        return out

    def saved(self, x: np.ndarray) -> np.ndarray | None:
        return self.switches(x)

    def selected(self, switches: np.ndarray) -> np.ndarray:
        """The 1-based vec index ``(c_i - 1) h_i + r_i`` of the input entry each switch picks:
        ``r_i = rs_p + r_b``, ``c_i = cs_q + c_b`` with ``c_b = ceil(i / h_p)``,
        ``r_b = i - (c_b - 1) h_p`` (eq.b-2.1 to eq.b-2.3, rows and columns 1-based)."""
        sw = np.asarray(switches).astype(np.int64)
        heights = self.sizes[0][:, None]
        c_b = -(-sw // heights)
        r_b = sw - (c_b - 1) * heights
        r_i = self.row_starts[:, None] + r_b
        c_i = self.col_starts[None, :] + c_b
        return (c_i - 1) * self.input_size[0] + r_i

    def mask(self, values: np.ndarray, j: int = 0) -> VecJacobian:
        """``d vA_j / d vI_j`` at input ``values`` (eq.b-1): row ``A_pq`` has one 1."""
        arr, single = self._planes(values)
        j = 0 if single else check_index("j", j, self.channels)
        return self._masks(arr[j][None], (label(self.output, j), label(self.input, j)))

    def _masks(self, arr: np.ndarray, labels: tuple[str, str]) -> VecJacobian:
        """The masks of the planes ``arr`` (``(k, h, w)``), block-diagonal (channel vecs stacked)."""
        nz, n = self._sizes
        k = len(arr)
        sel = self.selected(self._switches(arr)).transpose(0, 2, 1).reshape(k, -1) - 1
        planes = np.arange(k)[:, None]
        rows = planes * nz + np.arange(nz)[None, :]
        return VecJacobian.build(
            (k * nz, k * n), rows, planes * n + sel, np.zeros_like(rows), Exprs((sp.S.One,)), *labels
        )

    def _unvec(self, values: np.ndarray | None) -> np.ndarray:
        if values is None:
            raise SpecError("values", "a max-pool Jacobian depends on the input: give the input's values")
        h, w = self.input_size
        return np.swapaxes(np.asarray(values, dtype=float).reshape(self.channels, w, h), 1, 2)

    def jacobian(self, wrt: str = "I", **index: int) -> VecJacobian:
        raise SpecError("wrt", "a max-pool Jacobian depends on the input: use mask(I) for a numeric input I")

    def full_jacobian(self, wrt: str = "I") -> VecJacobian:
        return self.jacobian(wrt)

    def input_jacobian(self, values: np.ndarray | None = None, **index: int) -> VecJacobian:
        return self.mask(self._unvec(values), index.get("j", 0))

    def full_input_jacobian(self, values: np.ndarray | None = None) -> VecJacobian:
        return self._masks(self._unvec(values), (label(self.output), label(self.input)))

    def jacobian_list(self) -> list[JacobianInfo]:
        nz, n = self._sizes
        return [
            JacobianInfo("I", (("j", j),), (nz, n), None, nz, label(self.output, j), label(self.input, j))
            for j in range(self.channels)
        ]

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        arr = self._unvec(x)
        sel = self.selected(self._switches(arr)) - 1  # (c, h_a, w_a) vec indices
        flat = np.swapaxes(arr, 1, 2).reshape(self.channels, -1)
        return np.swapaxes(
            np.take_along_axis(flat, sel.reshape(self.channels, -1), axis=1).reshape(sel.shape), 1, 2
        ).reshape(-1)
