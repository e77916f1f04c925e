"""Adaptive average and max pooling: 3.1.3 and Appendix B over PyTorch's adaptive windows.

Window ``p`` is the block of the input between each axis's band ``start_p .. end_p - 1`` (in 2-D
``I[rs_p : re_p, cs_q : ce_q]``; 0-based, ends exclusive, :func:`symconv.geometry.adaptive_windows`);
there is no padding.  The vec Jacobians are
built from the windows' entries only, so the work is proportional to their nonzeros."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from ... import ops
from ...errors import SpecError
from ...geometry import vec_strides
from ...rule import JacobianInfo, Pooling, check_index, label, unknown
from ...sparse import Exprs, VecJacobian
from ...symbols import Tensor, shaped, unvec, vec_order
from .spec import AdaptiveAvgPool, AdaptiveMaxPool


class _AdaptiveDerivation(Pooling):
    def __init__(
        self, spec: AdaptiveAvgPool | AdaptiveMaxPool, input: Tensor, output: Tensor, layer: int | None
    ) -> None:
        super().__init__(spec, input, output, layer)
        self.spec: AdaptiveAvgPool | AdaptiveMaxPool = spec
        assert spec.input is not None
        self.input_size: tuple[int, ...] = spec.input
        self.bands: tuple[tuple[np.ndarray, np.ndarray], ...] = spec.windows

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.spec.kind

    @property
    def ndim(self) -> int:
        return len(self.input_size)

    # the seed's 2-D names of the bands
    @property
    def row_starts(self) -> np.ndarray:
        return self.bands[0][0]

    @property
    def row_ends(self) -> np.ndarray:
        return self.bands[0][1]

    @property
    def col_starts(self) -> np.ndarray:
        return self.bands[1][0]

    @property
    def col_ends(self) -> np.ndarray:
        return self.bands[1][1]

    @property
    def sizes(self) -> tuple[np.ndarray, ...]:
        """The windows' extents along each axis (``h_p`` and ``w_q`` in 2-D)."""
        return tuple(ends - starts for starts, ends in self.bands)

    def cells(self, *p: int) -> list[tuple[int, ...]]:
        """The input positions (0-based) of window ``p``, in its ``vΩ`` order (the first axis fastest)."""
        ranges = [range(int(s[k]), int(e[k])) for (s, e), k in zip(self.bands, p, strict=True)]
        return [tuple(reversed(r)) for r in itertools.product(*reversed(ranges))]

    def window(self, *index: int) -> Any:
        """The block of ``I_j`` behind output ``p`` (0-based): ``window(p, q)`` or ``window(p, q, j)``
        in 2-D, one index per axis and then the channel in any dimension."""
        d = self.ndim
        if len(index) not in (d, d + 1):
            raise SpecError("index", f"takes {d} output indices and optionally a channel, got {len(index)}")
        p = tuple(check_index("p", int(i), n) for i, n in zip(index[:d], self.spec.output_size, strict=True))
        j = check_index("j", int(index[d]) if len(index) > d else 0, self.channels)
        grid = self.input.grid(j)
        cells = self.cells(*p)
        return shaped([grid[c] for c in cells], self._shape(p))

    def _shape(self, p: tuple[int, ...]) -> tuple[int, ...]:
        """Window ``p``'s extent along each axis."""
        return tuple(int(n[k]) for n, k in zip(self.sizes, p, strict=True))

    @cached_property
    def triplets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (output, input entry) pair of a window, as vec indices, and each pair's 0-based
        position in its window's ``vΩ`` (the first axis fastest), in output order."""
        out_size, steps = self.spec.output_size, vec_strides(self.input_size)
        outs, inps, poss = [], [], []
        for k, p in enumerate(vec_positions(out_size)):
            cells = self.cells(*p)
            outs.append(np.full(len(cells), k, np.int64))
            inps.append(
                np.array([sum(c * int(s) for c, s in zip(cell, steps, strict=True)) for cell in cells], np.int64)
            )
            poss.append(np.arange(len(cells), dtype=np.int64))
        arrays = (np.concatenate(outs), np.concatenate(inps), np.concatenate(poss))
        for a in arrays:
            a.setflags(write=False)
        return arrays


def vec_positions(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The positions of a block in vec order (the first axis fastest)."""
    return [tuple(reversed(p)) for p in itertools.product(*[range(n) for n in reversed(shape)])]


class AdaptiveAvgDerivation(_AdaptiveDerivation):
    """``A_pq = (1 / (h_p w_q)) sum of window (p, q)`` (3.1.3 with PyTorch's adaptive windows):
    ``d vA_j / d vI_j`` holds ``1/(h_p w_q)`` in row ``A_pq`` wherever window ``(p, q)`` covers
    the input; it is the same for every channel."""

    section = "3.1.3"

    @cached_property
    def divisors(self) -> np.ndarray:
        """Each window's size for every output (``h_p w_q`` in 2-D), ``(*output)`` ints."""
        out = np.ones((), dtype=np.int64)
        for n in self.sizes:
            out = np.multiply.outer(out, n.astype(np.int64))
        return np.asarray(out, dtype=np.int64)

    @cached_property
    def A(self) -> list[Any]:  # noqa: N802
        out_size = self.spec.output_size
        positions = vec_positions(out_size)
        return [
            shaped(
                [sp.Add(*ops.entries(self.window(*p, j), self._shape(p))) / int(self.divisors[p]) for p in positions],
                out_size,
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
    """``A_p = max`` of window ``p`` (Appendix B with PyTorch's adaptive windows).  The switch
    ``i_p`` is the 1-based index of the maximum in the window's ``vΩ`` (the first axis fastest;
    column-major, ``h_p`` rows, in 2-D), the first on ties in ``tie_order``; the mask row ``A_p``
    holds one 1, at the input entry ``start_p + block`` along each axis (eq.b-2.1 to eq.b-2.3
    without padding)."""

    section = "3.1.3; Appendix B"
    input_dependent = True
    spec: AdaptiveMaxPool

    @cached_property
    def A(self) -> list[Any]:  # noqa: N802
        out_size = self.spec.output_size
        positions = vec_positions(out_size)
        return [
            shaped([sp.Max(*ops.entries(self.window(*p, j), self._shape(p))) for p in positions], out_size)
            for j in range(self.channels)
        ]

    def _planes(self, values: np.ndarray) -> tuple[np.ndarray, bool]:
        arr = np.asarray(values, dtype=float)
        single = arr.ndim == self.ndim
        if single:
            arr = arr[None]
        if arr.shape != (arr.shape[0], *self.input_size) or (not single and arr.shape[0] != self.channels):
            shapes = f"{self.input_size} or {(self.channels, *self.input_size)}"
            raise SpecError("I", f"must have shape {shapes}, got {np.shape(values)}")
        return arr, single

    def switches(self, values: np.ndarray) -> np.ndarray:
        """The seed's ``i_p`` for a numeric input ``(*input)`` or ``(c, *input)``: the 1-based index
        in window ``p``'s ``vΩ`` of its maximum, the first one on ties (first in ``vΩ``, or with
        ``tie_order="row"`` first in row-major order)."""
        arr, single = self._planes(values)
        out = self._switches(arr)
        return out[0] if single else out

    def _switches(self, arr: np.ndarray) -> np.ndarray:
        """:meth:`switches` of the blocks ``arr`` (``(k, *input)``, any ``k``)."""
        out_size = self.spec.output_size
        out = np.empty((arr.shape[0], *out_size), dtype=np.int64)
        for p in itertools.product(*[range(n) for n in out_size]):
            at = self._all(p)
            cells = self.cells(*p)  # vΩ order
            block = np.stack([arr[self._all(c)] for c in cells], axis=-1)
            if self.spec.tie_order == "row":
                order = sorted(range(len(cells)), key=lambda k: cells[k])  # row-major
                k = np.argmax(block[:, order], axis=-1)
                out[at] = np.array(order)[k] + 1
            else:
                out[at] = np.argmax(block, axis=-1) + 1
        return out

    @staticmethod
    def _all(position: tuple[int, ...]) -> tuple[Any, ...]:
        """``position`` in every block of a stack."""
        return (slice(None), *position)

    def saved(self, x: np.ndarray) -> np.ndarray | None:
        return self.switches(x)

    def selected(self, switches: np.ndarray) -> np.ndarray:
        """The 1-based vec index of the input entry each switch picks: along each axis, the window's
        start plus the block position of eq.b-2.1 (``c_b = ceil(i / h_p)``, ``r_b = i - (c_b - 1)
        h_p`` in 2-D: rows and columns 1-based, ``(c_i - 1) h_i + r_i``)."""
        sw = np.asarray(switches).astype(np.int64)
        rest = sw - 1
        d = self.ndim
        index = np.zeros(sw.shape, dtype=np.int64)
        steps = vec_strides(self.input_size)
        for a, ((starts, _), n) in enumerate(zip(self.bands, self.sizes, strict=True)):
            view = [1] * d
            view[a] = -1
            extent = n.reshape(view)
            index = index + (starts.reshape(view) + rest % extent) * steps[a]
            rest = rest // extent
        return index + 1

    def mask(self, values: np.ndarray, j: int = 0) -> VecJacobian:
        """``d vA_j / d vI_j`` at input ``values`` (eq.b-1): row ``A_p`` has one 1."""
        arr, single = self._planes(values)
        j = 0 if single else check_index("j", j, self.channels)
        return self._masks(arr[j][None], (label(self.output, j), label(self.input, j)))

    def _masks(self, arr: np.ndarray, labels: tuple[str, str]) -> VecJacobian:
        """The masks of the blocks ``arr`` (``(k, *input)``), block-diagonal (channel vecs stacked)."""
        nz, n = self._sizes
        k = len(arr)
        sel = vec_order(self.selected(self._switches(arr)), self.ndim).reshape(k, -1) - 1
        planes = np.arange(k)[:, None]
        rows = planes * nz + np.arange(nz)[None, :]
        return VecJacobian.build(
            (k * nz, k * n), rows, planes * n + sel, np.zeros_like(rows), Exprs((sp.S.One,)), *labels
        )

    def _unvec(self, values: np.ndarray | None) -> np.ndarray:
        if values is None:
            raise SpecError("values", "a max-pool Jacobian depends on the input: give the input's values")
        return unvec(np.asarray(values, dtype=float), (self.channels, *self.input_size), self.ndim)

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
        sel = self.selected(self._switches(arr)) - 1  # (c, *output) vec indices
        flat = vec_order(arr, self.ndim).reshape(self.channels, -1)
        picked = np.take_along_axis(flat, sel.reshape(self.channels, -1), axis=1).reshape(sel.shape)
        return vec_order(picked, self.ndim).reshape(-1)
