"""Average pooling (3.1.3) and max pooling (3.1.3, Appendix B)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cached_property
from typing import NamedTuple

import numpy as np
import sympy as sp

from ... import ops
from ...errors import SpecError
from ...geometry import taps_between
from ...rule import JacobianInfo, Pooling, Selecting, Windowed, check_index, label, unknown
from ...sparse import Exprs, VecJacobian
from ...symbols import Tensor
from .spec import AvgPool2D, MaxPool2D


class _PoolDerivation(Pooling, Windowed):
    def __init__(self, spec: AvgPool2D | MaxPool2D, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.geometry = spec.geometry

    @property
    def a(self) -> Tensor:
        """rep.3: the named output entries."""
        return self.output

    def window(self, p: int, q: int, i: int = 0) -> sp.ImmutableMatrix:
        """rep.1: the block of padded ``I_i`` behind output ``(p, q)``."""
        return ops.window(self.input.grid(check_index("j", i, self.channels)), self.geometry, p, q, fill=self.fill)

    def padded(self, j: int = 0) -> sp.ImmutableMatrix:
        return ops.padded(self.input.grid(check_index("j", j, self.channels)), self.geometry, self.fill)

    #: the value padded entries take part with (0 in the seed)
    fill: sp.Expr = sp.S.Zero


class AvgPoolDerivation(_PoolDerivation):
    """``A_j = I_j * P`` with ``P`` all ``1/(h_l w_l)``, same padding and stride (3.1.3).

    ``d vA_j / d vI_j`` has column ``(r, s)`` equal to ``vec(dI/dI_rs * P)``; it is the
    same for every channel.  PyTorch's ``ceil_mode``, ``count_include_pad=False`` and
    ``divisor_override`` give window ``(p, q)`` its own divisor ``D_pq`` (:meth:`divisors`):
    ``A_pq`` is then the window's sum over ``D_pq``, and the Jacobian's row ``A_pq`` holds
    ``1/D_pq`` wherever window ``(p, q)`` covers the input."""

    kind = "avgpool2d"
    section = "3.1.3"

    def __init__(self, spec: AvgPool2D, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.spec: AvgPool2D = spec
        hl, wl = spec.window
        self.coefficient = sp.Rational(1, hl * wl)

    @cached_property
    def divisors(self) -> np.ndarray:
        """``D_pq`` for every output, ``(h_z, w_z)`` ints: ``divisor_override`` if given; else the
        window positions inside the padded input (PyTorch's ``pool_size``: a ``ceil_mode``
        window that runs past it counts only what lies inside), or with
        ``count_include_pad=False`` inside the input.  Both count rows times columns."""
        g, spec = self.geometry, self.spec
        if spec.divisor_override is not None:
            return np.full(g.output, spec.divisor_override, dtype=np.int64)
        t, b, left, right = spec.padding
        (h, w), (hz, wz) = g.input, g.output
        rows = np.arange(hz) * g.stride[0] - t
        cols = np.arange(wz) * g.stride[1] - left
        if spec.count_include_pad:
            down = taps_between(rows, g.kernel[0], -t, h + b, g.dilation[0])
            across = taps_between(cols, g.kernel[1], -left, w + right, g.dilation[1])
        else:
            down = taps_between(rows, g.kernel[0], 0, h, g.dilation[0])
            across = taps_between(cols, g.kernel[1], 0, w, g.dilation[1])
        return np.outer(down, across)

    @cached_property
    def uniform(self) -> bool:
        """Whether every window divides by ``h_l w_l`` (the seed's ``P``)."""
        return bool((self.divisors == self.geometry.kernel[0] * self.geometry.kernel[1]).all())

    @cached_property
    def weights(self) -> sp.ImmutableMatrix:
        """``1/D_pq`` for every output (``h_z x w_z``)."""
        return sp.ImmutableMatrix(*self.geometry.output, lambda p, q: sp.Rational(1, int(self.divisors[p, q])))

    @cached_property
    def P(self) -> sp.ImmutableMatrix:  # noqa: N802
        hl, wl = self.geometry.kernel
        return sp.ImmutableMatrix(hl, wl, lambda r, s: self.coefficient)

    @cached_property
    def A(self) -> list[sp.ImmutableMatrix]:  # noqa: N802
        if self.uniform:
            return [ops.correlate(i, self.P, self.geometry) for i in self.I]
        ones = sp.ImmutableMatrix(*self.geometry.kernel, lambda r, s: sp.S.One)
        return [
            sp.ImmutableMatrix(ops.correlate(i, ones, self.geometry).multiply_elementwise(self.weights)) for i in self.I
        ]

    def column(self, r: int, s: int) -> sp.ImmutableMatrix:
        """``vec(dI/dI_rs * P)``: one column as 3.1.3 builds it (0-based ``r, s``); with
        per-window divisors, ``vec((dI/dI_rs * 1) / D)`` entrywise."""
        h, w = self.geometry.input
        e = ops.unit((h, w), check_index("r", r, h), check_index("s", s, w))
        if self.uniform:
            return ops.vec(ops.correlate(e, self.P, self.geometry))
        ones = sp.ImmutableMatrix(*self.geometry.kernel, lambda r, s: sp.S.One)
        return ops.vec(sp.ImmutableMatrix(ops.correlate(e, ones, self.geometry).multiply_elementwise(self.weights)))

    def jacobian(self, wrt: str = "I", **index: int) -> VecJacobian:
        if wrt != "I":
            raise unknown(wrt, "'I'")
        j = check_index("j", index.get("j", 0), self.channels)
        return self._pattern.with_values(self._table, label(self.output, j), label(self.input, j))

    @cached_property
    def _values(self) -> tuple[Exprs, np.ndarray]:
        """The distinct ``1/D`` (sorted by ``D``) and, per output in vec order, its index there."""
        flat = self.divisors.reshape(-1, order="F")
        distinct, ids = np.unique(flat, return_inverse=True)
        return Exprs(tuple(sp.Rational(1, int(n)) for n in distinct)), ids.astype(np.int64)

    @property
    def _table(self) -> Exprs:
        return self._values[0]

    @cached_property
    def _pattern(self) -> VecJacobian:
        """The sorted triplets shared by every channel."""
        out, _, inp = self.geometry.triplets
        return VecJacobian.build(self._sizes, out, inp, self._values[1][out], self._table, "", "")

    def full_jacobian(self, wrt: str = "I") -> VecJacobian:
        if wrt != "I":
            raise unknown(wrt, "'I'")
        out, _, inp = self.geometry.triplets
        nz, n = self._sizes
        j = np.arange(self.channels)[:, None]
        return VecJacobian.build(
            (self.channels * nz, self.channels * n),
            j * nz + out,
            j * n + inp,
            np.broadcast_to(self._values[1][out], (self.channels, out.size)),
            self._table,
            label(self.output),
            label(self.input),
        )

    def jacobian_list(self) -> list[JacobianInfo]:
        return [self._info("I", self.jacobian("I", j=j), j=j) for j in range(self.channels)]

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        out, _, inp = self.geometry.triplets
        return self._averages(x, out, inp, self.divisors)


class SelectionSteps(NamedTuple):
    """The quantities of eq.b-2.1 to eq.b-2.3 for each output ``A_pq`` (1-based)."""

    c_b: np.ndarray  # eq.b-2.1: column of the maximum inside the block
    r_b: np.ndarray  # eq.b-2.1: its row inside the block
    top_r: np.ndarray  # eq.b-2.2: input row of the block's top-left entry
    top_c: np.ndarray  # eq.b-2.2: input column of the block's top-left entry
    r_i: np.ndarray  # eq.b-2.3: input row of the maximum
    c_i: np.ndarray  # eq.b-2.3: input column of the maximum
    vec_index: np.ndarray  # (c_i - 1) h_i + r_i, or 0 when the maximum is a padded entry


class MaxPoolDerivation(_PoolDerivation, Selecting):
    """``A_pq = max`` of window ``(p, q)`` of padded ``I`` (Appendix B, rep.1-3).

    The derivative depends on the input: :meth:`switches` gives the seed's ``i_pq``
    (1-based, column-major inside the window, first maximum on ties) and :meth:`mask`
    builds ``d vA / d vI`` from them by eq.b-2.1 to eq.b-2.3."""

    kind = "maxpool2d"
    section = "3.1.3; Appendix B"

    def __init__(self, spec: MaxPool2D, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.spec: MaxPool2D = spec
        self.pad_value = spec.pad_value
        self.fill = sp.S.NegativeInfinity if math.isinf(spec.pad_value) else sp.nsimplify(spec.pad_value)

    @cached_property
    def A(self) -> list[sp.ImmutableMatrix]:  # noqa: N802
        """rep.2: each entry the ``Max`` of its window (padded entries as ``pad_value``)."""
        hz, wz = self.geometry.output
        return [
            sp.ImmutableMatrix(hz, wz, lambda p, q, j=j: sp.Max(*self.window(p, q, j))) for j in range(self.channels)
        ]

    # -- switches and mask -----------------------------------------------------------
    def _channels_of(self, values: np.ndarray) -> tuple[np.ndarray, bool]:
        arr = np.asarray(values, dtype=float)
        single = arr.ndim == 2
        if single:
            arr = arr[None]
        if arr.shape != (arr.shape[0], *self.geometry.input) or (not single and arr.shape[0] != self.channels):
            shapes = f"{self.geometry.input} or {(self.channels, *self.geometry.input)}"
            raise SpecError("I", f"must have shape {shapes}, got {np.shape(values)}")
        return arr, single

    def window_values(self, values: np.ndarray) -> np.ndarray:
        """``{}_v^{pq}Omega`` for every output: shape ``(c, h_a, w_a, h_l w_l)``, column-major
        inside each window, padded entries set to ``pad_value``."""
        arr, _ = self._channels_of(values)
        flat = np.swapaxes(arr, 1, 2).reshape(arr.shape[0], -1)  # vec of each channel
        win = np.swapaxes(self.geometry.windows, 2, 3).reshape(*self.geometry.output, -1)  # column-major window
        vals = np.where(win >= 0, flat[:, np.maximum(win, 0)], self.pad_value)
        return vals

    def switches(self, values: np.ndarray) -> np.ndarray:
        """The seed's ``i_pq`` for a numeric input: 1-based index of the maximum in
        ``{}_v^{pq}Omega``, the first one on ties (first in ``vΩ``, or with ``tie_order="row"``
        first in row-major order).  ``values`` is ``(h, w)`` or ``(c, h, w)``."""
        _, single = self._channels_of(values)
        vals = self.window_values(values)
        if self.spec.tie_order == "row":  # PyTorch's: the first maximum in row-major order
            order = self.row_major
            idx = order[np.argmax(vals[..., order], axis=-1)] + 1
        else:
            idx = np.argmax(vals, axis=-1) + 1
        return idx[0] if single else idx

    @property
    def row_major(self) -> np.ndarray:
        """The window's entries in row-major order, each as its 0-based index in ``vΩ``
        (``s h_l + r`` for kernel position ``(r, s)``): the order ``tie_order="row"`` breaks
        ties in."""
        hl, wl = self.geometry.kernel
        return (np.arange(hl)[:, None] + np.arange(wl)[None, :] * hl).reshape(-1)

    def saved(self, x: np.ndarray) -> np.ndarray | None:
        """The switches the forward pass keeps (Appendix B)."""
        return self.switches(x)

    def selection_steps(self, switches: np.ndarray) -> SelectionSteps:
        """eq.b-2.1 to eq.b-2.3 step by step, for every output at once (1-based arrays
        shaped like ``switches``): the block position, the window's top-left input
        position, the input position and the vec index it gives (0 for padding)."""
        sw = np.asarray(switches).astype(np.int64)  # the generated code's are unsigned: -sw must not wrap
        hl = self.geometry.kernel[0]
        h, w = self.geometry.input
        hz, wz = self.geometry.output
        c_b = -(-sw // hl)  # eq.b-2.1: ceil(i / h_l)
        r_b = sw - (c_b - 1) * hl
        p = np.arange(1, hz + 1)[:, None]
        q = np.arange(1, wz + 1)[None, :]
        top_r, top_c = self.geometry.top_left(p, q)  # eq.b-2.2
        r_i = top_r + (r_b - 1) * self.geometry.dilation[0]  # eq.b-2.3
        c_i = top_c + (c_b - 1) * self.geometry.dilation[1]
        inside = (r_i >= 1) & (r_i <= h) & (c_i >= 1) & (c_i <= w)
        index = np.where(inside, (c_i - 1) * h + r_i, 0)
        shape = np.broadcast_shapes(sw.shape, (hz, wz))
        rows, cols = np.broadcast_to(np.asarray(top_r), shape), np.broadcast_to(np.asarray(top_c), shape)
        return SelectionSteps(c_b, r_b, rows, cols, r_i, c_i, index)

    def selected(self, switches: np.ndarray) -> np.ndarray:
        """eq.b-2.1 to eq.b-2.3: the 1-based vec index ``(c_i - 1) h_i + r_i`` of the input
        entry each switch picks, or 0 where the maximum is a padded entry."""
        return self.selection_steps(switches).vec_index

    def mask(self, values: np.ndarray, j: int = 0) -> VecJacobian:
        """``d vA_j / d vI_j`` at input ``values`` (eq.b-1): row ``A_pq`` has one 1, at
        column ``(c_i - 1) h_i + r_i``, or none when the maximum is a padded entry.
        ``values`` is ``(h, w)``, or ``(c, h, w)`` with channel ``j`` used."""
        arr, single = self._channels_of(values)
        j = 0 if single else check_index("j", j, self.channels)
        sel = self.selected(self.switches(arr[j])).reshape(-1, order="F")
        rows = np.nonzero(sel)[0]
        return VecJacobian.build(
            self._sizes,
            rows,
            sel[rows] - 1,
            np.zeros_like(rows),
            Exprs((sp.S.One,)),
            label(self.output, j),
            label(self.input, j),
        )

    def jacobian(self, wrt: str = "I", **index: int) -> VecJacobian:
        raise SpecError("wrt", "a max-pool Jacobian depends on the input: use mask(I) for a numeric input I")

    def full_mask(self, values: np.ndarray) -> VecJacobian:
        """The mask over all channels (channel vecs stacked), ``values`` in vec order."""
        arr = self._unvec(values)
        nz, n = self._sizes
        parts = [self.mask(arr, j) for j in range(self.channels)]
        rows = np.concatenate([m.rows + j * nz for j, m in enumerate(parts)])
        cols = np.concatenate([m.cols + j * n for j, m in enumerate(parts)])
        return VecJacobian.build(
            (self.channels * nz, self.channels * n),
            rows,
            cols,
            np.zeros_like(rows),
            Exprs((sp.S.One,)),
            label(self.output),
            label(self.input),
        )

    def full_jacobian(self, wrt: str = "I") -> VecJacobian:
        return self.jacobian(wrt)

    def _values(self, values: np.ndarray | None) -> np.ndarray:
        if values is None:
            raise SpecError("values", "a max-pool Jacobian depends on the input: give the input's values")
        return np.asarray(values, dtype=float)

    def _unvec(self, values: np.ndarray) -> np.ndarray:
        """The input ``(c, h, w)`` from its values in vec order."""
        arr = self._values(values).reshape(self.channels, self.geometry.input[1], self.geometry.input[0])
        return np.swapaxes(arr, 1, 2)

    def input_jacobian(self, values: np.ndarray | None = None, **index: int) -> VecJacobian:
        """The mask ``d vA_j / d vI_j`` at the input ``values`` (vec order)."""
        return self.mask(self._unvec(self._values(values)), index.get("j", 0))

    def full_input_jacobian(self, values: np.ndarray | None = None) -> VecJacobian:
        return self.full_mask(self._values(values))

    def jacobian_list(self) -> list[JacobianInfo]:
        nz, n = self._sizes
        return [
            JacobianInfo("I", (("j", j),), (nz, n), None, nz, label(self.output, j), label(self.input, j))
            for j in range(self.channels)
        ]

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        arr = np.asarray(x, dtype=float).reshape(self.channels, self.geometry.input[1], self.geometry.input[0])
        vals = self.window_values(np.swapaxes(arr, 1, 2))
        return np.swapaxes(vals.max(axis=-1), 1, 2).reshape(-1)
