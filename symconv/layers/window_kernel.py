"""A windowed layer's geometry as its generated code reads it: a pooling window, or a
convolution's kernel.  :class:`Frame` is the geometry of any number of axes.

A kernel module (see :mod:`symconv.codegen.embed`): the definitions a generated module reaches are
copied into every module with a conv, transposed-conv or pooling layer; the plans build the record
with ``symconv.layers.window_plan.frame``.
"""

from __future__ import annotations

from typing import NamedTuple


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
