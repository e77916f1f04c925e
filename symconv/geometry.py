"""Window geometry shared by convolution and pooling, in any number of dimensions: one
output-size rule and one window map, built axis by axis.

The seed's output size (section 2, Appendix B)::

    h_z = floor((h_a + 2 h_p - h_k) / h_s) + 1

is generalised here along each axis to per-side padding (``before + after`` instead of
``2 h_p``; a negative side crops), to dilation (the kernel then spans ``d (k - 1) + 1``
entries), to input dilation (JAX's ``lhs_dilation``: ``u - 1`` zeros between neighbouring
input entries, so ``n`` entries span ``u (n - 1) + 1``) and to the padding modes of
PyTorch's ``padding_mode`` (a padded entry copies an input entry instead of being zero).
With symmetric zero padding, no dilation and no input dilation it is exactly the seed's
formula.  An axis is an :class:`Axis`; a :class:`Geometry` is one per spatial axis, and
nothing in it cares how many there are.  The seed's 2-D names (rows and columns, ``h`` and
``w``) are the first and second axis; ``vec`` stacks the first axis fastest (column-major),
which in 2-D is the seed's column stacking.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal, TypeVar

import numpy as np

from .errors import SpecError

IntOrArray = TypeVar("IntOrArray", int, np.ndarray)

#: what a padded entry holds: zero (the seed's), or a copy of an input entry (PyTorch's
#: ``padding_mode`` and ``F.pad`` modes: the mirror image without the edge, the edge, the
#: other end)
PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
PADDING_MODES: tuple[PaddingMode, ...] = ("zeros", "reflect", "replicate", "circular")


def output_size(n: int, k: int, before: int, after: int, stride: int, dilation: int = 1) -> int:
    """``floor((n + before + after - d(k-1) - 1) / s) + 1``; below 1 means no window fits."""
    return (n + before + after - dilation * (k - 1) - 1) // stride + 1


def ceil_output_size(n: int, k: int, before: int, after: int, stride: int, dilation: int = 1) -> int:
    """PyTorch's ``ceil_mode`` output size: ``ceil((n + before + after - d(k-1) - 1) / s) + 1``,
    less one when the last window would start at or past ``n + before`` (wholly in the
    ``after`` padding; PyTorch's ``pooling_output_shape``)."""
    out = -(-(n + before + after - dilation * (k - 1) - 1) // stride) + 1
    if (out - 1) * stride >= n + before:
        out -= 1
    return out


def ceil_extension(n: int, k: int, before: int, after: int, stride: int, dilation: int = 1) -> int:
    """How many entries past the ``after`` padding the last ``ceil_mode`` window runs:
    with that much more padding after the input, :func:`output_size` equals
    :func:`ceil_output_size`, and the window map treats the extra positions as padding."""
    out = ceil_output_size(n, k, before, after, stride, dilation)
    return max(0, (out - 1) * stride + dilation * (k - 1) + 1 - (n + before + after))


def taps_between(start: np.ndarray, k: int, lo: int, hi: int, dilation: int = 1) -> np.ndarray:
    """For windows whose first tap is at ``start`` (an int array, 0-based input coordinates),
    how many of their ``k`` taps ``start + d r`` lie in ``lo <= . < hi``: an average pool's
    divisor along one axis (PyTorch's ``pool_size`` with ``lo = -before, hi = n + after``,
    its ``count_include_pad=False`` divisor with ``lo = 0, hi = n``)."""
    taps = np.asarray(start)[..., None] + dilation * np.arange(k)
    return np.asarray(((taps >= lo) & (taps < hi)).sum(axis=-1), dtype=np.int64)


def adaptive_windows(n: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive pooling windows along one axis of ``n`` entries cut into ``out``:
    window ``i`` (0-based) covers ``start_i = floor(i n / out)`` up to, not including,
    ``end_i = ceil((i + 1) n / out)``.  Returns ``(starts, ends)``, int64 arrays."""
    i = np.arange(out, dtype=np.int64)
    return (i * n) // out, -(-((i + 1) * n) // out)


def dims(shape: Sequence[int]) -> str:
    """A shape as people type it on the command line: ``3x4``, ``2x3x4``."""
    return "x".join(str(n) for n in shape)


#: the letter of each axis in the seed's names (``h_p``, ``w_s``, ``h_z``), by the number of
#: axes: ``n`` along a 1-D signal, depth ``d`` before height and width in 3-D
AXIS_LETTERS = {1: ("n",), 2: ("h", "w"), 3: ("d", "h", "w")}
#: the names of the two sides of each axis (``p_top``, ``p_bottom``)
SIDE_NAMES = {
    1: (("before", "after"),),
    2: (("top", "bottom"), ("left", "right")),
    3: (("front", "back"), ("top", "bottom"), ("left", "right")),
}


def vec_strides(shape: Sequence[int]) -> np.ndarray:
    """How far apart neighbours along each axis are in ``vec`` order (the first axis fastest,
    the seed's column stacking in 2-D): ``(1, n_1, n_1 n_2, ...)``."""
    return np.cumprod((1, *shape[:-1]), dtype=np.int64) if len(shape) else np.zeros(0, np.int64)


@dataclass(frozen=True)
class Axis:
    """One axis of a window sliding over a padded input: ``size`` input entries, spread
    ``input_dilation`` apart (zeros between them), ``before`` and ``after`` padded entries
    (negative: that many entries cropped), a ``window`` of taps ``dilation`` apart moved by
    ``stride``; under ``ceil`` the output size rounds up (PyTorch's ``ceil_mode``: the last
    window may run past the padding, and those positions count as padding).  ``mode`` says
    what a padded entry holds (:data:`PADDING_MODES`)."""

    size: int
    window: int
    stride: int = 1
    dilation: int = 1
    input_dilation: int = 1
    before: int = 0
    after: int = 0
    ceil: bool = False
    mode: PaddingMode = "zeros"

    @property
    def dilated(self) -> int:
        """Entries of the input with its zeros: ``u (n - 1) + 1`` (none for an empty input)."""
        return self.input_dilation * (self.size - 1) + 1 if self.size else 0

    @property
    def span(self) -> int:
        """Entries one (dilated) window covers: ``d (k - 1) + 1``."""
        return self.dilation * (self.window - 1) + 1

    @cached_property
    def extension(self) -> int:
        """Positions past ``after`` that ``ceil`` windows reach (0 without ``ceil``)."""
        if not self.ceil:
            return 0
        return ceil_extension(self.dilated, self.window, self.before, self.after, self.stride, self.dilation)

    @property
    def padded(self) -> int:
        """Entries of the padded (or cropped) input, ``ceil`` positions included."""
        return self.dilated + self.before + self.after + self.extension

    @property
    def output(self) -> int:
        """Windows along the axis: :func:`output_size` on the padded input, 0 when none fits."""
        if self.padded < self.span:
            return 0
        count = (self.padded - self.span) // self.stride + 1
        if self.ceil:
            # PyTorch's ceil rule drops a last window that would start in the padding after the
            # input, which with padding as large as the window may leave fewer than the floor rule
            ceil = ceil_output_size(self.dilated, self.window, self.before, self.after, self.stride, self.dilation)
            return min(count, ceil)
        return count

    @cached_property
    def positions(self) -> np.ndarray:
        """``[p, r]``: the padded coordinate (0-based) of tap ``r`` of window ``p``,
        ``p s + r d`` (rep.1 with the window anchored at the padded corner)."""
        out = np.arange(self.output)[:, None] * self.stride + np.arange(self.window)[None, :] * self.dilation
        out.setflags(write=False)
        return out

    def source(self, x: IntOrArray) -> IntOrArray:
        """The input entry (0-based) that padded coordinate ``x`` holds, or -1 where it holds
        zero (zero padding, an input dilation's zero, or past a ``ceil`` window's end)."""
        at = np.asarray(x)
        t = at - self.before
        n, u = self.size, self.input_dilation
        inside = (t >= 0) & (t < self.dilated) & (t % u == 0)
        if self.mode == "zeros" or n == 0:
            out = np.where(inside, t // u, -1)
        else:
            padded = (t < 0) | (t >= n)
            if self.mode == "reflect":
                copy = np.abs(t)
                copy = np.where(copy >= n, 2 * (n - 1) - copy, copy)
            elif self.mode == "replicate":
                copy = np.clip(t, 0, n - 1)
            else:  # circular
                copy = t % n
            # ``ceil`` positions past the padding read nothing
            beyond = at >= self.dilated + self.before + self.after
            out = np.where(beyond, -1, np.where(padded, copy, t))
        return out.astype(np.int64) if out.ndim else int(out)  # type: ignore[return-value]

    @cached_property
    def taps(self) -> np.ndarray:
        """``[p, r]``: the input entry (0-based) tap ``r`` of window ``p`` reads, or -1."""
        out = np.asarray(self.source(self.positions), dtype=np.int64).reshape(self.positions.shape)
        out.setflags(write=False)
        return out

    @property
    def copies(self) -> bool:
        """Whether some padded entry copies an input entry (a padding mode other than zeros)."""
        return self.mode != "zeros" and (self.before > 0 or self.after > 0)


@dataclass(frozen=True)
class Geometry:
    """A window sliding over a padded input, one :class:`Axis` per spatial axis.

    The 2-D names: ``input`` is ``(h, w)``, ``kernel`` the window ``(h_k, w_k)``,
    ``padding`` ``(top, bottom, left, right)`` (before and after each axis, in axis order),
    ``stride`` and ``dilation`` ``(h, w)`` pairs; in 1-D and 3-D the same per axis."""

    axes: tuple[Axis, ...]

    @staticmethod
    def make(
        input: Sequence[int],
        kernel: Sequence[int],
        padding: Sequence[int],
        stride: Sequence[int],
        dilation: Sequence[int] | None = None,
        input_dilation: Sequence[int] | None = None,
        mode: PaddingMode = "zeros",
    ) -> Geometry:
        """The geometry of per-axis sizes; ``padding`` holds ``before, after`` for each axis."""
        d = len(input)
        dilation = dilation or (1,) * d
        input_dilation = input_dilation or (1,) * d
        if not (len(kernel) == len(stride) == len(dilation) == len(input_dilation) == d and len(padding) == 2 * d):
            raise ValueError(f"a {d}-D geometry needs {d} sizes per setting and {2 * d} paddings")
        return Geometry(
            tuple(
                Axis(input[a], kernel[a], stride[a], dilation[a], input_dilation[a], padding[2 * a], padding[2 * a + 1])
                for a in range(d)
            )
        ).with_mode(mode)

    def with_mode(self, mode: PaddingMode) -> Geometry:
        """The same geometry whose padded entries hold what ``mode`` says."""
        return Geometry(tuple(replace(a, mode=mode) for a in self.axes))

    def with_ceil(self, ceil: bool = True) -> Geometry:
        """The same geometry with PyTorch's ``ceil_mode`` output size on every axis."""
        return Geometry(tuple(replace(a, ceil=ceil) for a in self.axes))

    # -- per-axis settings as tuples ------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.axes)

    @property
    def input(self) -> tuple[int, ...]:
        return tuple(a.size for a in self.axes)

    @property
    def kernel(self) -> tuple[int, ...]:
        return tuple(a.window for a in self.axes)

    @property
    def stride(self) -> tuple[int, ...]:
        return tuple(a.stride for a in self.axes)

    @property
    def dilation(self) -> tuple[int, ...]:
        return tuple(a.dilation for a in self.axes)

    @property
    def input_dilation(self) -> tuple[int, ...]:
        return tuple(a.input_dilation for a in self.axes)

    @property
    def padding(self) -> tuple[int, ...]:
        """``(before_1, after_1, before_2, after_2, ...)``, ``ceil`` positions included: in 2-D
        ``(top, bottom, left, right)``."""
        return tuple(n for a in self.axes for n in (a.before, a.after + a.extension))

    @property
    def mode(self) -> PaddingMode:
        return self.axes[0].mode if self.axes else "zeros"

    @property
    def span(self) -> tuple[int, ...]:
        """Entries covered by one (dilated) window along each axis."""
        return tuple(a.span for a in self.axes)

    @property
    def padded(self) -> tuple[int, ...]:
        return tuple(a.padded for a in self.axes)

    @property
    def output(self) -> tuple[int, ...]:
        """The output size by :func:`output_size` along each axis (0 where no window fits)."""
        return tuple(a.output for a in self.axes)

    @property
    def empty(self) -> bool:
        """Whether the output or the input has no entries."""
        return 0 in self.output or 0 in self.input

    def check(self, kernel_name: str) -> None:
        """Raise ``SpecError`` unless at least one window fits the padded input."""
        if any(a.span > a.padded for a in self.axes):
            shown = dims(self.kernel)
            if any(d != 1 for d in self.dilation):
                shown += f" (dilated to {dims(self.span)})"
            raise SpecError(
                kernel_name,
                f"{shown} is larger than the padded input {dims(self.padded)}, so the output would be empty",
            )

    def top_left(self, *index: IntOrArray) -> tuple[IntOrArray, ...]:
        """eq.b-2.2: the 1-based input position of the first entry of window ``index``
        (1-based, integers or arrays), ``1 + s (p - 1) - before`` per axis; outside ``1..n``
        when it lies in the padding."""
        return tuple(1 + a.stride * (p - 1) - a.before for a, p in zip(self.axes, index, strict=True))

    @cached_property
    def windows(self) -> np.ndarray:
        """The window map, rep.1 as index data.

        An int64 array of shape ``(*output, *kernel)``: entry ``[p..., r...]`` is the ``vec``
        index (first axis fastest; ``col * h + row`` in 2-D) of the input entry that window
        ``p`` puts at kernel position ``r``, or ``-1`` where that position holds zero (padding,
        an input dilation's zero).  All indices are 0-based.  Read-only.
        """
        d = self.ndim
        steps = vec_strides(self.input)
        shape = (*self.output, *self.kernel)
        flat = np.zeros(shape, dtype=np.int64)
        inside = np.ones(shape, dtype=bool)
        for a, axis in enumerate(self.axes):
            view = [1] * (2 * d)
            view[a], view[d + a] = axis.output, axis.window
            taps = axis.taps.reshape(view)
            flat = flat + taps * steps[a]
            inside = inside & (taps >= 0)
        out = np.where(inside, flat, -1).astype(np.int64)
        out.setflags(write=False)
        return out

    @cached_property
    def triplets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (output, kernel position, input entry) that meets inside the input.

        Three equally long int64 arrays of vec indices: ``out`` into ``vec(Z)``, ``ker`` into
        ``vec(K)`` and ``inp`` into ``vec(A)`` (in 2-D ``q h_z + p``, ``s h_k + r`` and
        ``col h + row``).  Positions that hold zero are left out, so the arrays have exactly
        one element per structural nonzero of ``d vec(Z) / d vec(K)``; under a padding mode
        one input entry may meet one output at several kernel positions.
        """
        win = self.windows
        d = self.ndim
        nz, nk = math.prod(self.output), math.prod(self.kernel)
        # vec order of the outputs and of the kernel positions: the first axis fastest
        order = tuple(reversed(range(d)))
        out = np.arange(nz).reshape(tuple(reversed(self.output))).transpose(order)
        ker = np.arange(nk).reshape(tuple(reversed(self.kernel))).transpose(order)
        out_full = np.broadcast_to(out.reshape(*self.output, *(1,) * d), win.shape)
        ker_full = np.broadcast_to(ker.reshape(*(1,) * d, *self.kernel), win.shape)
        inside = win >= 0
        arrays = (out_full[inside], ker_full[inside], win[inside])
        for x in arrays:
            x.setflags(write=False)
        return arrays

    # -- the strided-slice form of the window map (what generated code gathers with) -------
    def starts(self, axis: int) -> tuple[int, ...]:
        """Window ``p`` reads padded coordinate ``starts(axis)[r] + p s`` at tap ``r`` of
        ``axis``: ``r d`` (rep.1 with the window anchored at the padded corner)."""
        a = self.axes[axis]
        return tuple(r * a.dilation for r in range(a.window))

    def stops(self, axis: int) -> tuple[int, ...]:
        """Exclusive slice ends ``starts[r] + s (n_z - 1) + 1`` along ``axis``."""
        a = self.axes[axis]
        return tuple(r + a.stride * (a.output - 1) + 1 for r in self.starts(axis))

    @property
    def row_starts(self) -> tuple[int, ...]:
        """2-D: :meth:`starts` of the rows."""
        return self.starts(0)

    @property
    def col_starts(self) -> tuple[int, ...]:
        """2-D: :meth:`starts` of the columns."""
        return self.starts(1)

    @property
    def cells(self) -> tuple[np.ndarray, ...]:
        """Where the windows lie in the padded input (0-based padded coordinates), per axis:
        ``[p, r]`` is the coordinate of tap ``r`` of window ``p`` (:attr:`Axis.positions`)."""
        return tuple(a.positions for a in self.axes)

    def positions(self) -> tuple[np.ndarray, ...]:
        """Padded coordinates of every ``[p..., r...]`` per axis, each of shape ``(*output, *kernel)``."""
        d = self.ndim
        shape = (*self.output, *self.kernel)
        out = []
        for a, axis in enumerate(self.axes):
            view = [1] * (2 * d)
            view[a], view[d + a] = axis.output, axis.window
            out.append(np.broadcast_to(axis.positions.reshape(view), shape))
        return tuple(out)

    @property
    def overlapping(self) -> bool:
        """Whether some padded entry lies in more than one window (then a backward scatter
        must add, not assign)."""
        total = np.zeros((), dtype=np.int64)
        for coords, n in zip(self.positions(), vec_strides(self.padded), strict=True):
            total = total + coords * n
        flat = np.asarray(total).reshape(-1)
        return bool(flat.size and np.bincount(flat).max() > 1)
