"""What the windowed kinds' kernels share: a window's geometry as the generated code reads
it (a pooling window, or a convolution's kernel), and the padded input planes a chunk at a
time.

A kernel module (see :mod:`symconv.codegen.embed`): NumPy only, its source copied into every
generated module whose layers use it; the plans bind its records' fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np


class Window(NamedTuple):
    """A windowed layer's geometry, read off the checked slice model: the input ``(h, w)``,
    the padded input ``(hp, wp)`` with ``top`` rows and ``left`` columns before the input, the
    output ``(hz, wz)``, the stride ``(sh, sw)``, the dilation ``(dh, dw)`` and the window
    ``(hl, wl)``.  Window row ``r`` of output row ``p`` is padded row ``p sh + r dh``."""

    h: int
    w: int
    hp: int
    wp: int
    hz: int
    wz: int
    top: int
    left: int
    sh: int
    sw: int
    dh: int
    dw: int
    hl: int
    wl: int

    @property
    def row_span(self) -> int:
        """The padded rows the ``hz`` windows' row ``r`` span, from ``r dh`` on."""
        return (self.hz - 1) * self.sh + 1

    @property
    def col_span(self) -> int:
        """The padded columns the ``wz`` windows' column ``s`` span, from ``s dw`` on."""
        return (self.wz - 1) * self.sw + 1

    @property
    def interior(self) -> tuple[slice, slice]:
        """The rows and columns of the padded plane that hold the input."""
        return slice(self.top, self.top + self.h), slice(self.left, self.left + self.w)

    @property
    def padded(self) -> bool:
        """Whether the input has any padding."""
        return (self.hp, self.wp) != (self.h, self.w)


def chunk_of(chunk: int, planes: int) -> int:
    """How many planes a pass takes at a time: at most ``chunk``, at least one."""
    return min(chunk, max(planes, 1))


def padded_chunks(planes_in: np.ndarray, win: Window, chunk: int, fill: float) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(a, b, Ip)`` for the planes ``a .. b - 1`` of ``planes_in`` (``(planes, h, w)``), ``chunk``
    at a time: ``Ip`` is those planes padded (``(b - a, hp, wp)``), the padding holding ``fill``.
    With padding, each chunk is copied into the middle of one buffer whose border keeps ``fill``;
    without, ``Ip`` is a view of ``planes_in``."""
    planes = planes_in.shape[0]
    if not win.padded:
        for a in range(0, planes, chunk):
            yield a, min(a + chunk, planes), planes_in[a : a + chunk]
        return
    padded = np.full((chunk, win.hp, win.wp), fill, planes_in.dtype)
    rows, cols = win.interior
    for a in range(0, planes, chunk):
        b = min(a + chunk, planes)
        Ip = padded[: b - a]
        Ip[:, rows, cols] = planes_in[a:b]
        yield a, b, Ip
