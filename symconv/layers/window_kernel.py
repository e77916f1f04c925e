"""A windowed layer's geometry as its generated code reads it: a pooling window, or a
convolution's kernel.  :class:`Frame` is the geometry of any number of axes; :class:`Window`
the older 2-D record the pooling kernels still read.

A kernel module (see :mod:`symconv.codegen.embed`): its source is copied into every generated
module with a conv, transposed-conv or pooling layer; the plans build the record with
``symconv.codegen.plans.window``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Frame(NamedTuple):
    """A windowed layer's geometry along each of its ``d`` axes (any ``d``), read off the
    checked window map: ``size`` input entries, spread ``input_dilation`` apart (zeros between
    them) inside ``padded`` entries, ``before`` of them before the first input entry (negative:
    that many (dilated) entries cropped), ``out`` windows of ``window`` taps ``dilation`` apart,
    ``stride`` apart.  Tap ``r`` of window ``p`` is padded entry ``p stride + r dilation``;
    ``mode`` is what the padded entries hold (``"zeros"``, ``"reflect"``, ``"replicate"``,
    ``"circular"``)."""

    size: tuple[int, ...]
    padded: tuple[int, ...]
    out: tuple[int, ...]
    before: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    window: tuple[int, ...]
    input_dilation: tuple[int, ...]
    mode: str

    @property
    def ndim(self) -> int:
        return len(self.size)


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


def window_view(Xp: np.ndarray, win: Window) -> np.ndarray:
    """rep.1 for a chunk of examples at once: a read-only view of the padded stack ``Xp``
    (``(C, n, h_p, w_p)``, channels first) whose ``[c, r, s, e, p, q]`` entry is
    ``Xp[c, e, r d_h + p s_h, s d_w + q s_w]``, window position ``(r, s)`` of output ``(p, q)``;
    reshaped, one column per output of every example (the columns of ``d vZ / d vK``, eq.a1-3)."""
    s0, s1, s2, s3 = Xp.strides
    shape = (Xp.shape[0], win.hl, win.wl, Xp.shape[1], win.hz, win.wz)
    strides = (s0, s2 * win.dh, s3 * win.dw, s1, s2 * win.sh, s3 * win.sw)
    return np.lib.stride_tricks.as_strided(Xp, shape=shape, strides=strides, writeable=False)
