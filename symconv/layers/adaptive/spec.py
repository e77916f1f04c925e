"""The adaptive pooling specs: PyTorch's ``adaptive_avg_pool{1,2,3}d`` and
``adaptive_max_pool{1,2,3}d`` (the seed's 3.1.3 and Appendix B with windows that PyTorch's rule
sizes for a given output, along each axis)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ... import validate as v
from ...geometry import adaptive_windows
from ...specs import CHANNELS, SIZE, PlaneInput, Shape, option
from ..pool.spec import TIE_ORDER, TIE_ORDERS


@dataclass(frozen=True, kw_only=True)
class _Adaptive(PlaneInput):
    """``output`` windows over an ``input`` block, along each axis: window ``p`` covers the entries
    ``floor(p n / out) .. ceil((p + 1) n / out) - 1`` (:func:`symconv.geometry.adaptive_windows`).
    Any input size works with any output size; output 1 along every axis is global pooling."""

    ndim: ClassVar[int | None] = 2
    input: tuple[int, ...] | None = option(None, **SIZE)
    #: the output size per axis; ``None`` for a size keeps the input's (as in PyTorch)
    output: tuple[int | None, ...] = option(help="output size", metavar="SIZE", per_axis="size", name="output_size")
    channels: int | None = option(None, **CHANNELS)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        d = self.ndim
        assert d is not None
        out: Any = self.output
        if isinstance(out, (tuple, list)) and len(out) == d and None in out:
            set_(self, "output", tuple(None if o is None else v.positive("output", o) for o in out))
        else:
            set_(self, "output", v.sizes("output", out, d))
        if self.input is not None:
            set_(self, "input", v.sizes("input", self.input, d))
            set_(self, "output", tuple(n if o is None else o for n, o in zip(self.input, self.output, strict=True)))
        if self.channels is not None:
            set_(self, "channels", v.positive("channels", self.channels))
        elif self.input is not None:
            set_(self, "channels", 1)
        self._extra_checks()

    def _extra_checks(self) -> None:
        pass

    @property
    def output_size(self) -> tuple[int, ...]:
        """The output size, a ``None`` in ``output`` resolved to the input's size."""
        self.require_bound()
        assert all(o is not None for o in self.output)
        return tuple(int(o) for o in self.output if o is not None)

    @property
    def out_shape(self) -> Shape:
        assert self.channels is not None
        return (self.channels, *self.output_size)

    @property
    def windows(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """Per axis, ``(starts, ends)``: ends exclusive, 0-based."""
        self.require_bound()
        assert self.input is not None
        return tuple(adaptive_windows(n, o) for n, o in zip(self.input, self.output_size, strict=True))

    def window_entries(self) -> int:
        """Outputs times the largest window's entries (adaptive windows differ in size by one)."""
        out = 1
        for starts, ends in self.windows:
            out *= len(starts) * int((ends - starts).max())
        return out


@dataclass(frozen=True, kw_only=True)
class AdaptiveAvgPool(_Adaptive):
    """Adaptive average pooling: ``A_p`` is the mean of window ``p``, whose size varies from
    window to window when the sizes do not divide."""


@dataclass(frozen=True, kw_only=True)
class AdaptiveMaxPool(_Adaptive):
    """Adaptive max pooling: ``A_p`` is the maximum of window ``p``; the switch ``i_p`` is the
    1-based index inside that window's ``vΩ`` (Appendix B; the first axis fastest, column-major in
    2-D), ties going to the first maximum in ``tie_order`` (``"column"``, the seed's; ``"row"``,
    PyTorch's)."""

    tie_order: str = option("column", **TIE_ORDER)

    def _extra_checks(self) -> None:
        object.__setattr__(self, "tie_order", v.choice("tie_order", self.tie_order, TIE_ORDERS))


@dataclass(frozen=True, kw_only=True)
class AdaptiveAvgPool1D(AdaptiveAvgPool):
    """1-D adaptive average pooling (PyTorch's ``adaptive_avg_pool1d``)."""

    kind: ClassVar[str] = "adaptive_avgpool1d"
    ndim: ClassVar[int | None] = 1


@dataclass(frozen=True, kw_only=True)
class AdaptiveAvgPool2D(AdaptiveAvgPool):
    """2-D adaptive average pooling (PyTorch's ``adaptive_avg_pool2d``)."""

    kind: ClassVar[str] = "adaptive_avgpool2d"
    ndim: ClassVar[int | None] = 2


@dataclass(frozen=True, kw_only=True)
class AdaptiveAvgPool3D(AdaptiveAvgPool):
    """3-D adaptive average pooling (PyTorch's ``adaptive_avg_pool3d``)."""

    kind: ClassVar[str] = "adaptive_avgpool3d"
    ndim: ClassVar[int | None] = 3


@dataclass(frozen=True, kw_only=True)
class AdaptiveMaxPool1D(AdaptiveMaxPool):
    """1-D adaptive max pooling (PyTorch's ``adaptive_max_pool1d``)."""

    kind: ClassVar[str] = "adaptive_maxpool1d"
    ndim: ClassVar[int | None] = 1


@dataclass(frozen=True, kw_only=True)
class AdaptiveMaxPool2D(AdaptiveMaxPool):
    """2-D adaptive max pooling (PyTorch's ``adaptive_max_pool2d``)."""

    kind: ClassVar[str] = "adaptive_maxpool2d"
    ndim: ClassVar[int | None] = 2


@dataclass(frozen=True, kw_only=True)
class AdaptiveMaxPool3D(AdaptiveMaxPool):
    """3-D adaptive max pooling (PyTorch's ``adaptive_max_pool3d``)."""

    kind: ClassVar[str] = "adaptive_maxpool3d"
    ndim: ClassVar[int | None] = 3
