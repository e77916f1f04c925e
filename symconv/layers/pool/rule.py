"""Average pooling (3.1.3), max pooling (3.1.3, Appendix B) and Lp pooling, along any number of axes."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import sympy as sp

from ... import ops
from ...errors import SpecError
from ...geometry import Geometry, vec_strides
from ...rule import JacobianInfo, Pooling, Selecting, Windowed, check_index, label, stacked_selections, unknown
from ...sparse import Env, Exprs, VecJacobian
from ...symbols import Tensor, shaped, unvec, vec_index, vec_order, vec_position
from .spec import AvgPool, LPPool, MaxPool, Pool


def _kernel_order(kernel: tuple[int, ...]) -> np.ndarray:
    """For each window position in row-major (C) order, its 0-based index in ``vΩ`` (the first
    axis fastest): ``s h_l + r`` for position ``(r, s)`` in 2-D."""
    size = math.prod(kernel)
    return np.arange(size).reshape(tuple(reversed(kernel))).transpose(tuple(reversed(range(len(kernel))))).reshape(-1)


class _PoolDerivation(Pooling, Windowed):
    def __init__(self, spec: Pool, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.geometry = spec.geometry

    @property
    def ndim(self) -> int:
        return self.geometry.ndim

    @property
    def a(self) -> Tensor:
        """rep.3: the named output entries."""
        return self.output

    def window(self, *index: int) -> Any:
        """rep.1: the block of padded ``I_j`` behind output ``p`` (0-based): ``window(p, q)`` or
        ``window(p, q, j)`` in 2-D, one index per axis and then the channel in any dimension."""
        p, j = self._split(index)
        return ops.window(self.input.grid(check_index("j", j, self.channels)), self.geometry, *p, fill=self.fill)

    def _split(self, index: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
        """An output position and a channel (0 when left out)."""
        d = self.ndim
        if len(index) not in (d, d + 1):
            raise SpecError("index", f"takes {d} output indices and optionally a channel, got {len(index)}")
        p = tuple(check_index("p", int(i), n) for i, n in zip(index[:d], self.geometry.output, strict=True))
        return p, int(index[d]) if len(index) > d else 0

    def padded(self, j: int = 0) -> Any:
        return ops.padded(self.input.grid(check_index("j", j, self.channels)), self.geometry, self.fill)

    def _vec_planes(self, arr: np.ndarray) -> np.ndarray:
        """Each channel of ``arr`` (``(c, *input)``) in vec order, ``(c, n)``."""
        return vec_order(arr, self.ndim).reshape(arr.shape[0], -1)

    def _from_vec(self, values: np.ndarray) -> np.ndarray:
        """The input ``(c, *input)`` from its values in vec order."""
        return unvec(np.asarray(values, dtype=float), (self.channels, *self.geometry.input), self.ndim)

    def _out_from_planes(self, planes: np.ndarray) -> np.ndarray:
        """Outputs ``(c, *output)`` in vec order, flat."""
        return vec_order(planes, self.ndim).reshape(-1)

    #: the value padded entries take part with (0 in the seed)
    fill: sp.Expr = sp.S.Zero


def window_divisors(g: Geometry, spec: AvgPool | LPPool, include_pad: bool) -> np.ndarray:
    """``D_p`` for every output, ``(*output)`` ints: the window positions inside the padded input
    (PyTorch's ``pool_size``: a ``ceil_mode`` window that runs past it counts only what lies
    inside; an input dilation's zeros count as padding does), or with ``include_pad=False`` the
    input entries it covers; along each axis, multiplied."""
    out = np.ones((), dtype=np.int64)
    for axis in g.axes:
        if include_pad:
            inside = axis.positions < axis.dilated + axis.before + axis.after
        else:
            inside = axis.taps >= 0
        out = np.multiply.outer(out, inside.sum(axis=1).astype(np.int64))
    return np.asarray(out, dtype=np.int64).reshape(g.output)


class AvgPoolDerivation(_PoolDerivation):
    """``A_j = I_j * P`` with ``P`` all ``1/(h_l w_l)`` (one over the window's size), same
    padding and stride (3.1.3), along every axis.

    ``d vA_j / d vI_j`` has column ``r`` equal to ``vec(dI/dI_r * P)``; it is the same for
    every channel.  PyTorch's ``ceil_mode``, ``count_include_pad=False`` and
    ``divisor_override`` give window ``p`` its own divisor ``D_p`` (:meth:`divisors`): ``A_p``
    is then the window's sum over ``D_p``, and the Jacobian's row ``A_p`` holds ``1/D_p``
    wherever window ``p`` covers the input."""

    section = "3.1.3"

    def __init__(self, spec: AvgPool, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.spec: AvgPool = spec
        self.coefficient = sp.Rational(1, math.prod(spec.window))

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.spec.kind

    @cached_property
    def divisors(self) -> np.ndarray:
        """``D_p`` for every output, ``(*output)`` ints: ``divisor_override`` if given, else
        :func:`window_divisors` (``count_include_pad`` chooses which positions count)."""
        g, spec = self.geometry, self.spec
        if spec.divisor_override is not None:
            return np.full(g.output, spec.divisor_override, dtype=np.int64)
        return window_divisors(g, spec, spec.count_include_pad)

    @cached_property
    def uniform(self) -> bool:
        """Whether every window divides by its size (the seed's ``P``)."""
        return bool((self.divisors == math.prod(self.geometry.kernel)).all())

    @cached_property
    def weights(self) -> Any:
        """``1/D_p`` for every output (shaped like one output channel)."""
        flat = self.divisors.reshape(-1, order="F")
        return shaped([sp.Rational(1, int(n)) for n in flat], self.geometry.output)

    @cached_property
    def P(self) -> Any:  # noqa: N802
        return shaped([self.coefficient] * math.prod(self.geometry.kernel), self.geometry.kernel)

    def _pool(self, xs: Any) -> Any:
        """``A`` of one channel's entries ``xs`` (vec order)."""
        g = self.geometry
        if self.uniform:
            return shaped(ops.correlate_vec(xs, [self.coefficient] * math.prod(g.kernel), g), g.output)
        sums = ops.correlate_vec(xs, [sp.S.One] * math.prod(g.kernel), g)
        scale = self.divisors.reshape(-1, order="F")
        return shaped([s * sp.Rational(1, int(n)) for s, n in zip(sums, scale, strict=True)], g.output)

    @cached_property
    def A(self) -> list[Any]:  # noqa: N802
        return [self._pool(self.input.vec(j)) for j in range(self.channels)]

    def column(self, *position: int) -> sp.ImmutableMatrix:
        """``vec(dI/dI_r * P)``: one column as 3.1.3 builds it (0-based position ``r``, one index
        per axis); with per-window divisors, ``vec((dI/dI_r * 1) / D)`` entrywise."""
        g = self.geometry
        at = tuple(check_index("r", int(r), n) for r, n in zip(position, g.input, strict=True))
        k = vec_index(g.input, at)
        e = [sp.S.One if n == k else sp.S.Zero for n in range(math.prod(g.input))]
        return ops.vec(self._pool(e))

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


@dataclass(frozen=True)
class RootSlopes:
    """Lp pooling's Jacobian entries ``c_p I_r^(n-1) (c_p S_p)^(1/n - 1)`` (exact, as SymPy
    differentiates the forward pass), each with its window's scaled sum ``c_p S_p``.  At a
    number where that sum is 0 the root has no derivative; the entry's value is taken as 0 there,
    PyTorch's convention (its ``relu`` of the sum passes no gradient), which the generated code
    follows too."""

    items: Sequence[sp.Expr]
    sums: Sequence[sp.Expr]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, k: int) -> sp.Expr:
        return self.items[k]

    def numeric(self, env: Env) -> np.ndarray:
        at_zero = Exprs(self.sums).numeric(env) == 0
        out = np.zeros(len(self.items))
        live = [k for k in range(len(self.items)) if not at_zero[k]]
        out[live] = Exprs([self.items[k] for k in live]).numeric(env)
        return out


class LPPoolDerivation(_PoolDerivation):
    """Lp pooling (PyTorch's ``lp_pool{1,2,3}d``): ``A_p = (c_p S_p)^(1/n)``, ``S_p`` the sum of
    ``I_r^n`` over window ``p`` (padded entries add nothing), ``c_p`` the window's size over its
    positions inside the padded input (1 but for a ``ceil_mode`` window that runs past it).

    Row ``A_p`` of ``d vA_j / d vI_j`` holds ``c_p I_r^(n-1) (c_p S_p)^(1/n - 1)`` at every input
    entry ``r`` of window ``p`` (the power and the root differentiated symbolically; with
    ``n = 1`` it is ``c_p``).  Where ``S_p = 0`` the root has no derivative (for ``n > 1``);
    PyTorch's ``lp_pool`` gives 0 there (its ``relu`` of the sum masks the infinite slope), and
    so does the generated code; where ``c_p S_p < 0`` (odd or non-integer ``n``) the real root
    does not exist, and both give NaN."""

    section = "3.1.3"

    def __init__(self, spec: LPPool, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.spec: LPPool = spec
        e = spec.exponent
        self.n = sp.Rational(e.numerator, e.denominator)

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.spec.kind

    @cached_property
    def scale(self) -> np.ndarray:
        """``c_p`` as a pair ``(size, D_p)`` per output: the window's size over the positions it
        covers inside the padded input (:func:`window_divisors`)."""
        return window_divisors(self.geometry, self.spec, include_pad=True)

    def _c(self, k: int) -> sp.Rational:
        """``c_p`` of output ``k`` (vec order)."""
        flat = self.scale.reshape(-1, order="F")
        return sp.Rational(math.prod(self.geometry.kernel), int(flat[k]))

    def sums(self, xs: Any) -> list[sp.Expr]:
        """``c_p S_p`` for every output of one channel's entries ``xs`` (vec order)."""
        g = self.geometry
        powers = [x**self.n for x in xs]
        sums = ops.correlate_vec(powers, [sp.S.One] * math.prod(g.kernel), g)
        return [self._c(k) * s for k, s in enumerate(sums)]

    @cached_property
    def A(self) -> list[Any]:  # noqa: N802
        root = 1 / self.n
        return [
            shaped([s**root for s in self.sums(self.input.vec(j))], self.geometry.output) for j in range(self.channels)
        ]

    def jacobian(self, wrt: str = "I", **index: int) -> VecJacobian:
        """``d vA_j / d vI_j``: one entry per (output, input entry) pair of a window, each its own
        expression ``c_p I_r^(n-1) (c_p S_p)^(1/n - 1)``."""
        if wrt != "I":
            raise unknown(wrt, "'I'")
        j = check_index("j", index.get("j", 0), self.channels)
        out, inp, table, sums = self._entries(j)
        return VecJacobian.build_summed(
            self._sizes,
            out,
            inp,
            np.arange(len(table)),
            RootSlopes(table, sums),
            label(self.output, j),
            label(self.input, j),
        )

    def _entries(self, j: int) -> tuple[np.ndarray, np.ndarray, list[sp.Expr], list[sp.Expr]]:
        """The (output, input entry) pairs of channel ``j``, each pair's Jacobian entry and its
        window's scaled sum ``c_p S_p``."""
        out, _, inp = self.geometry.triplets
        xs = self.input.view(j)
        sums = self.sums(xs)
        power = self.n - 1
        slope = [s ** (1 / self.n - 1) for s in sums]
        table = [self._c(int(z)) * xs[int(i)] ** power * slope[int(z)] for z, i in zip(out, inp, strict=True)]
        return out, inp, table, [sums[int(z)] for z in out]

    def full_jacobian(self, wrt: str = "I") -> VecJacobian:
        if wrt != "I":
            raise unknown(wrt, "'I'")
        nz, n = self._sizes
        rows, cols, table, windows = [], [], [], []
        for j in range(self.channels):
            out, inp, entries, sums = self._entries(j)
            rows.append(out + j * nz)
            cols.append(inp + j * n)
            table += entries
            windows += sums
        return VecJacobian.build_summed(
            (self.channels * nz, self.channels * n),
            np.concatenate(rows),
            np.concatenate(cols),
            np.arange(len(table)),
            RootSlopes(table, windows),
            label(self.output),
            label(self.input),
        )

    def jacobian_list(self) -> list[JacobianInfo]:
        nz, n = self._sizes
        count = int(self.geometry.triplets[0].size)
        return [
            JacobianInfo("I", (("j", j),), (nz, n), count, count, label(self.output, j), label(self.input, j))
            for j in range(self.channels)
        ]

    @property
    def positive_input(self) -> bool:
        """Real outputs for any input only with ``n = 1`` or an even integer ``n``."""
        return not (self.n == 1 or (self.n.is_integer and self.n % 2 == 0))

    def saved(self, x: np.ndarray) -> np.ndarray | None:
        """The scaled window sums ``c_p S_p`` the forward pass keeps, ``(c, *output)``."""
        xi = vec_order(np.asarray(x, dtype=float), self.ndim)
        out, _, inp = self.geometry.triplets
        nz, _ = self._sizes
        with np.errstate(invalid="ignore"):
            powers = np.power(xi.reshape(self.channels, -1), float(self.n))
        c = math.prod(self.geometry.kernel) / self.scale.reshape(-1, order="F")
        sums = np.stack([np.bincount(out, weights=powers[j, inp], minlength=nz) * c for j in range(self.channels)])
        return unvec(sums.reshape(-1), (self.channels, *self.geometry.output), self.ndim)

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        """PyTorch's ``lp_pool``: ``(c_p S_p)^(1/n)`` (NaN where it has no real value)."""
        sums = self.saved(self._from_vec(x))
        assert sums is not None
        with np.errstate(invalid="ignore"):
            return self._out_from_planes(np.power(sums, 1.0 / float(self.n)))


class SelectionSteps(NamedTuple):
    """The quantities of eq.b-2.1 to eq.b-2.3 for each output ``A_pq`` (1-based), in 2-D."""

    c_b: np.ndarray  # eq.b-2.1: column of the maximum inside the block
    r_b: np.ndarray  # eq.b-2.1: its row inside the block
    top_r: np.ndarray  # eq.b-2.2: input row of the block's top-left entry
    top_c: np.ndarray  # eq.b-2.2: input column of the block's top-left entry
    r_i: np.ndarray  # eq.b-2.3: input row of the maximum
    c_i: np.ndarray  # eq.b-2.3: input column of the maximum
    vec_index: np.ndarray  # (c_i - 1) h_i + r_i, or 0 when the maximum is a padded entry


class Selection(NamedTuple):
    """eq.b-2.1 to eq.b-2.3 along every axis, for each output (1-based arrays shaped like the
    switches): ``block[a]``, the maximum's position inside its window along axis ``a``
    (eq.b-2.1: ``i - 1 = sum_a (block_a - 1) prod_{b < a} k_b``, the first axis fastest);
    ``corner[a]``, the window's first entry (eq.b-2.2, ``1 + s_a (p_a - 1) - before_a`` in
    the input's dilated coordinates); ``at[a]``, the input position of the maximum (eq.b-2.3,
    ``corner + d (block - 1)``, divided by the input dilation), 0 in the padding; and
    ``vec_index``, ``1 + sum_a (at_a - 1) prod_{b < a} n_b``, or 0 for a padded maximum."""

    block: tuple[np.ndarray, ...]
    corner: tuple[np.ndarray, ...]
    at: tuple[np.ndarray, ...]
    vec_index: np.ndarray


class MaxPoolDerivation(_PoolDerivation, Selecting):
    """``A_p = max`` of window ``p`` of padded ``I`` (Appendix B, rep.1-3), along every axis.

    The derivative depends on the input: :meth:`switches` gives the seed's ``i_p`` (1-based
    index in ``vΩ``, the window's entries the first axis fastest, column-major in 2-D; first
    maximum on ties) and :meth:`mask` builds ``d vA / d vI`` from them by eq.b-2.1 to eq.b-2.3."""

    section = "3.1.3; Appendix B"

    def __init__(self, spec: MaxPool, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.spec: MaxPool = spec
        self.pad_value = spec.pad_value
        self.fill = sp.S.NegativeInfinity if math.isinf(spec.pad_value) else sp.nsimplify(spec.pad_value)

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.spec.kind

    @cached_property
    def A(self) -> list[Any]:  # noqa: N802
        """rep.2: each entry the ``Max`` of its window (padded entries as ``pad_value``)."""
        g = self.geometry
        out = []
        for j in range(self.channels):
            grid = self.input.grid(j)
            entries = [
                sp.Max(*ops.entries(ops.window(grid, g, *vec_position(g.output, k), fill=self.fill), g.kernel))
                for k in range(math.prod(g.output))
            ]
            out.append(shaped(entries, g.output))
        return out

    # -- switches and mask -----------------------------------------------------------
    def _channels_of(self, values: np.ndarray) -> tuple[np.ndarray, bool]:
        arr = np.asarray(values, dtype=float)
        size = self.geometry.input
        single = arr.ndim == len(size)
        if single:
            arr = arr[None]
        if arr.shape != (arr.shape[0], *size) or (not single and arr.shape[0] != self.channels):
            shapes = f"{size} or {(self.channels, *size)}"
            raise SpecError("I", f"must have shape {shapes}, got {np.shape(values)}")
        return arr, single

    def window_values(self, values: np.ndarray) -> np.ndarray:
        """``{}_v^{p}Omega`` for every output: shape ``(c, *output, prod(window))``, in ``vΩ``
        order (the first axis fastest) inside each window, padded entries set to ``pad_value``."""
        arr, _ = self._channels_of(values)
        flat = self._vec_planes(arr)
        g = self.geometry
        d = g.ndim
        win = g.windows.transpose(*range(d), *reversed(range(d, 2 * d))).reshape(*g.output, -1)
        return np.where(win >= 0, flat[:, np.maximum(win, 0)], self.pad_value)

    def switches(self, values: np.ndarray) -> np.ndarray:
        """The seed's ``i_p`` for a numeric input: 1-based index of the maximum in
        ``{}_v^{p}Omega``, the first one on ties (first in ``vΩ``, or with ``tie_order="row"``
        first in row-major order).  ``values`` is ``(*input)`` or ``(c, *input)``."""
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
        (``s h_l + r`` for kernel position ``(r, s)`` in 2-D): the order ``tie_order="row"``
        breaks ties in."""
        return _kernel_order(self.geometry.kernel)

    def saved(self, x: np.ndarray) -> np.ndarray | None:
        """The switches the forward pass keeps (Appendix B)."""
        return self.switches(x)

    def selection(self, switches: np.ndarray) -> Selection:
        """eq.b-2.1 to eq.b-2.3 for every output at once (see :class:`Selection`)."""
        sw = np.asarray(switches).astype(np.int64)  # the generated code's are unsigned: -sw must not wrap
        g = self.geometry
        d = g.ndim
        shape = np.broadcast_shapes(sw.shape, g.output)
        rest = sw - 1
        block, corner, at = [], [], []
        inside = np.ones(shape, dtype=bool)
        index = np.zeros(shape, dtype=np.int64)
        steps = vec_strides(g.input)
        for a, axis in enumerate(g.axes):
            b = rest % axis.window + 1  # eq.b-2.1, one axis at a time (the first fastest)
            rest = rest // axis.window
            p = np.arange(1, axis.output + 1).reshape([-1 if k == a else 1 for k in range(d)])
            top = np.broadcast_to(1 + axis.stride * (p - 1) - axis.before, shape)  # eq.b-2.2
            t = top - 1 + axis.dilation * (b - 1)  # eq.b-2.3, 0-based dilated input coordinate
            u = axis.input_dilation
            real = (t >= 0) & (t < axis.dilated) & (t % u == 0)
            position = np.where(real, t // u + 1, 0)
            block.append(b)
            corner.append(top)
            at.append(position)
            inside &= real
            index += (position - 1) * steps[a]
        return Selection(tuple(block), tuple(corner), tuple(at), np.where(inside, index + 1, 0))

    def selection_steps(self, switches: np.ndarray) -> SelectionSteps:
        """eq.b-2.1 to eq.b-2.3 step by step in the seed's 2-D names (the 2-D documents): the
        block position, the window's top-left input position, the input position and the vec
        index it gives (0 for padding)."""
        if self.ndim != 2:
            raise SpecError("switches", "the row and column names of eq.b-2.1 to eq.b-2.3 are 2-D; use selection()")
        sw = np.asarray(switches).astype(np.int64)
        sel = self.selection(sw)
        hl = self.geometry.kernel[0]
        (top_r, top_c), (dr, dc) = sel.corner, self.geometry.dilation
        c_b = -(-sw // hl)  # eq.b-2.1: ceil(i / h_l)
        r_b = sw - (c_b - 1) * hl
        return SelectionSteps(c_b, r_b, top_r, top_c, top_r + (r_b - 1) * dr, top_c + (c_b - 1) * dc, sel.vec_index)

    def selected(self, switches: np.ndarray) -> np.ndarray:
        """eq.b-2.1 to eq.b-2.3: the 1-based vec index of the input entry each switch picks
        (``(c_i - 1) h_i + r_i`` in 2-D), or 0 where the maximum is a padded entry."""
        return self.selection(switches).vec_index

    def mask(self, values: np.ndarray, j: int = 0) -> VecJacobian:
        """``d vA_j / d vI_j`` at input ``values`` (eq.b-1): row ``A_p`` has one 1, at the vec
        index of the input entry its switch selects, or none when the maximum is a padded entry.
        ``values`` is ``(*input)``, or ``(c, *input)`` with channel ``j`` used."""
        arr, single = self._channels_of(values)
        j = 0 if single else check_index("j", j, self.channels)
        sel = vec_order(self.selected(self.switches(arr[j])), self.ndim).reshape(-1)
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
        parts = [self.mask(arr, j) for j in range(self.channels)]
        return stacked_selections(parts, self._sizes, label(self.output), label(self.input))

    def full_jacobian(self, wrt: str = "I") -> VecJacobian:
        return self.jacobian(wrt)

    def _values(self, values: np.ndarray | None) -> np.ndarray:
        if values is None:
            raise SpecError("values", "a max-pool Jacobian depends on the input: give the input's values")
        return np.asarray(values, dtype=float)

    def _unvec(self, values: np.ndarray) -> np.ndarray:
        """The input ``(c, *input)`` from its values in vec order."""
        return self._from_vec(self._values(values))

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
        vals = self.window_values(self._unvec(x))
        return self._out_from_planes(vals.max(axis=-1))
