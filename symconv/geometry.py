"""Window geometry shared by convolution and pooling: one output-size rule, one window map.

The seed's output size (section 2, Appendix B)::

    h_z = floor((h_a + 2 h_p - h_k) / h_s) + 1

is generalised here to per-side padding (top + bottom instead of 2 h_p) and to
dilation (the kernel then spans ``d (h_k - 1) + 1`` rows).  With symmetric padding
and no dilation it is exactly the seed's formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

import numpy as np

from .errors import SpecError

IntOrArray = TypeVar("IntOrArray", int, np.ndarray)


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
    """How many rows (columns) past the ``after`` padding the last ``ceil_mode`` window runs:
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


def dims(shape: tuple[int, ...]) -> str:
    """A shape as people type it on the command line: ``3x4``, ``2x3x4``."""
    return "x".join(str(n) for n in shape)


@dataclass(frozen=True)
class Geometry:
    """A 2D window sliding over a zero-padded input (cross-correlation, no flip).

    ``input`` is ``(h, w)``; ``kernel`` the window ``(h_k, w_k)``; ``padding`` is
    ``(top, bottom, left, right)``; ``stride`` and ``dilation`` are ``(h, w)`` pairs.
    """

    input: tuple[int, int]
    kernel: tuple[int, int]
    padding: tuple[int, int, int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int] = (1, 1)

    def check(self, kernel_name: str) -> None:
        """Raise ``SpecError`` unless at least one window fits the padded input."""
        span = self.span
        padded = self.padded
        if span[0] > padded[0] or span[1] > padded[1]:
            shown = dims(self.kernel)
            if self.dilation != (1, 1):
                shown += f" (dilated to {dims(span)})"
            raise SpecError(
                kernel_name,
                f"{shown} is larger than the padded input {dims(padded)}, so the output would be empty",
            )

    @property
    def span(self) -> tuple[int, int]:
        """Rows and columns covered by one (dilated) window."""
        return (
            self.dilation[0] * (self.kernel[0] - 1) + 1,
            self.dilation[1] * (self.kernel[1] - 1) + 1,
        )

    @property
    def padded(self) -> tuple[int, int]:
        t, b, left, right = self.padding
        return (self.input[0] + t + b, self.input[1] + left + right)

    @property
    def output(self) -> tuple[int, int]:
        """``(h_z, w_z)`` by :func:`output_size`."""
        t, b, left, right = self.padding
        return (
            output_size(self.input[0], self.kernel[0], t, b, self.stride[0], self.dilation[0]),
            output_size(self.input[1], self.kernel[1], left, right, self.stride[1], self.dilation[1]),
        )

    def top_left(self, p: IntOrArray, q: IntOrArray) -> tuple[IntOrArray, IntOrArray]:
        """eq.b-2.2: the 1-based input position of the top-left entry of window ``(p, q)``
        (``p, q`` 1-based, integers or arrays); it is outside ``1..h`` / ``1..w`` when it lies
        in the padding."""
        return (1 + self.stride[0] * (p - 1) - self.padding[0], 1 + self.stride[1] * (q - 1) - self.padding[2])

    @cached_property
    def cells(self) -> tuple[np.ndarray, np.ndarray]:
        """Where the windows lie in the padded input (0-based padded coordinates):
        ``rows[p, r]`` is the row of kernel row ``r`` in window row ``p`` (``(h_z, h_k)``),
        ``cols[q, s]`` the column of kernel column ``s`` in window column ``q``."""
        hz, wz = self.output
        hk, wk = self.kernel
        rows = np.arange(hz)[:, None] * self.stride[0] + np.arange(hk)[None, :] * self.dilation[0]
        cols = np.arange(wz)[:, None] * self.stride[1] + np.arange(wk)[None, :] * self.dilation[1]
        return rows, cols

    @cached_property
    def windows(self) -> np.ndarray:
        """The window map, rep.1 as index data.

        An int64 array of shape ``(h_z, w_z, h_k, w_k)``: entry ``[p, q, r, s]`` is the
        column-major (vec) index ``col * h + row`` of the input entry that window
        ``(p, q)`` puts at kernel position ``(r, s)``, or ``-1`` where that position is
        padding.  All indices are 0-based.  Read-only.
        """
        h, w = self.input
        padded_rows, padded_cols = self.cells
        rows, cols = padded_rows - self.padding[0], padded_cols - self.padding[2]
        inside = ((rows >= 0) & (rows < h))[:, None, :, None] & ((cols >= 0) & (cols < w))[None, :, None, :]
        flat = cols[None, :, None, :] * h + rows[:, None, :, None]
        out = np.where(inside, flat, -1).astype(np.int64)
        out.setflags(write=False)
        return out

    @cached_property
    def triplets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (output, kernel position, input entry) that meets inside the input.

        Three equally long int64 arrays of vec indices: ``out`` into ``vec(Z)``
        (``q h_z + p``), ``ker`` into ``vec(K)`` (``s h_k + r``) and ``inp`` into
        ``vec(A)``.  Padded positions are left out, so the arrays have exactly one
        element per structural nonzero of ``d vec(Z) / d vec(K)``.
        """
        win = self.windows
        hz, wz, hk, wk = win.shape
        out = np.arange(hz)[:, None] + np.arange(wz)[None, :] * hz
        ker = np.arange(hk)[:, None] + np.arange(wk)[None, :] * hk
        out4 = np.broadcast_to(out[:, :, None, None], win.shape)
        ker4 = np.broadcast_to(ker[None, None, :, :], win.shape)
        inside = win >= 0
        arrays = (out4[inside], ker4[inside], win[inside])
        for a in arrays:
            a.setflags(write=False)
        return arrays

    # -- the strided-slice form of the window map (what generated code gathers with) -------
    @property
    def row_starts(self) -> tuple[int, ...]:
        """Window ``(p, q)`` reads padded row ``row_starts[r] + p s_h`` at kernel row ``r``:
        ``row_starts[r] = r d_h`` (rep.1 with the window anchored at the padded corner)."""
        return tuple(r * self.dilation[0] for r in range(self.kernel[0]))

    @property
    def col_starts(self) -> tuple[int, ...]:
        """The column counterpart of :attr:`row_starts`: ``s d_w``."""
        return tuple(s * self.dilation[1] for s in range(self.kernel[1]))

    @property
    def stops(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Exclusive slice ends ``row_starts[r] + s_h (h_z - 1) + 1`` (and for columns)."""
        hz, wz = self.output
        return (
            tuple(r + self.stride[0] * (hz - 1) + 1 for r in self.row_starts),
            tuple(c + self.stride[1] * (wz - 1) + 1 for c in self.col_starts),
        )

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """Padded (row, col) of every ``[p, q, r, s]``, each of shape ``(h_z, w_z, h_k, w_k)``."""
        hz, wz = self.output
        rows = np.arange(hz)[:, None] * self.stride[0] + np.asarray(self.row_starts)[None, :]
        cols = np.arange(wz)[:, None] * self.stride[1] + np.asarray(self.col_starts)[None, :]
        shape = (hz, wz, *self.kernel)
        return np.broadcast_to(rows[:, None, :, None], shape), np.broadcast_to(cols[None, :, None, :], shape)

    @property
    def overlapping(self) -> bool:
        """Whether some padded entry lies in more than one window (then a backward scatter
        must add, not assign)."""
        rows, cols = self.positions()
        flat = (rows * self.padded[1] + cols).reshape(-1)
        return bool(flat.size and np.bincount(flat).max() > 1)
