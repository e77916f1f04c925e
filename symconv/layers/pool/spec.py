"""The pooling specs (3.1.3, Appendix B)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ... import validate as v
from ...errors import SpecError
from ...geometry import Geometry, dims
from ...specs import CHANNELS, Shape, Windowed, option

#: max pooling's tie orders: the seed's vΩ (column-major), PyTorch's (row-major)
TIE_ORDERS = ("column", "row")
#: its command-line flag (max pooling and adaptive max pooling)
TIE_ORDER = {
    "help": "ties go to the first maximum in 'column' (vΩ, the default) or 'row' order",
    "metavar": "ORDER",
    "counts": (),
}


@dataclass(frozen=True, kw_only=True)
class _Pool(Windowed):
    window_name: ClassVar[str] = "window"
    window: tuple[int, ...] = option(help="window size", metavar="SIZE", per_axis="size")
    stride: tuple[int, ...] | None = option(None, help="stride (default: the window)", metavar="S", per_axis="size")
    channels: int | None = option(None, **CHANNELS)
    #: PyTorch's ``ceil_mode``: the output size rounds up (:func:`symconv.geometry.ceil_output_size`)
    ceil_mode: bool = option(False, help="round the output size up (PyTorch's ceil_mode)")

    def __post_init__(self) -> None:
        self._normalise()
        set_ = object.__setattr__
        set_(self, "ceil_mode", v.flag("ceil_mode", self.ceil_mode))
        self._sizes("window")
        # PyTorch's default: the stride is the window (non-overlapping windows)
        set_(self, "stride", self.window if self.stride is None else v.sizes("stride", self.stride, self.axes))
        self._extra_checks()
        span = (self.dilation[0] * (self.window[0] - 1) + 1, self.dilation[1] * (self.window[1] - 1) + 1)
        t, b, left, right = self.padding
        if max(t, b) >= span[0] or max(left, right) >= span[1]:
            raise SpecError(
                "padding",
                f"each side must be smaller than the window {dims(span)} so that every window "
                f"overlaps the input, got {t},{b},{left},{right}",
            )
        self._check_geometry()

    def _extra_checks(self) -> None:
        pass

    def _window(self) -> tuple[int, ...]:
        return self.window

    def _stride(self) -> tuple[int, ...]:
        assert self.stride is not None
        return self.stride

    @property
    def geometry(self) -> Geometry:
        """The window map.  Under ``ceil_mode`` the last windows may run past the padded
        input; the positions they reach there take part as padding, so the geometry carries
        that many more rows (columns) of padding after the input, and the floor output-size
        rule then gives the ceil one (:func:`symconv.geometry.ceil_extension`)."""
        return super().geometry.with_ceil(self.ceil_mode)

    @property
    def out_shape(self) -> Shape:
        assert self.channels is not None
        return (self.channels, *self.geometry.output)

    def derivation_size(self) -> tuple[int, int]:
        """Each output entry is a function of its window's ``h_l w_l`` entries."""
        symbols, out = super().derivation_size()
        return symbols, out * math.prod(self.window)


@dataclass(frozen=True, kw_only=True)
class AvgPool2D(_Pool):
    """Average pooling: convolution with ``P`` (all entries ``1/(h_l w_l)``), seed 3.1.3.

    Padded entries count as zeros in the average, as in the seed.  PyTorch's options change
    the divisor window by window: ``count_include_pad=False`` divides by the input entries
    the window covers, ``ceil_mode`` windows that run past the padded input count only the
    positions inside it, and ``divisor_override`` sets one divisor for all."""

    kind: ClassVar[str] = "avgpool2d"
    #: PyTorch's ``count_include_pad``: whether padded entries count in a window's divisor
    count_include_pad: bool = option(True, help="padded entries do not count in the divisor")
    #: PyTorch's ``divisor_override``: one divisor for every window instead of its count
    divisor_override: int | None = option(None, help="one divisor for every window")

    def _extra_checks(self) -> None:
        set_ = object.__setattr__
        set_(self, "count_include_pad", v.flag("count_include_pad", self.count_include_pad))
        if self.divisor_override is not None:
            # PyTorch's rule: any integer but 0 (a negative divisor flips the sign)
            n = v.integer("divisor_override", self.divisor_override, minimum=-(2**31))
            if n == 0:
                raise SpecError("divisor_override", "must be a nonzero integer, got 0")
            set_(self, "divisor_override", n)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.input is None or self.count_include_pad or self.divisor_override is not None:
            return
        # count_include_pad=False divides by the input entries a window covers: there must be one
        empty = np.argwhere(~(self.geometry.windows >= 0).any(axis=(2, 3)))
        if empty.size:
            p, q = (int(i) + 1 for i in empty[0])
            raise SpecError(
                "count_include_pad",
                f"false divides each window by the input entries it covers, but window ({p}, {q}) "
                "covers only padding (its divisor would be 0)",
            )


@dataclass(frozen=True, kw_only=True)
class MaxPool2D(_Pool):
    """Max pooling (Appendix B); padded entries take part in the max as ``pad_value``."""

    kind: ClassVar[str] = "maxpool2d"
    pad_value: float = option(0.0, help="value of padded entries: 0 or -inf (default 0)", metavar="V", counts=())
    #: which maximum a tie goes to: the first in the seed's ``vΩ`` (column-major) order, or
    #: the first in row-major order (PyTorch's)
    tie_order: str = option("column", **TIE_ORDER)

    def _extra_checks(self) -> None:
        object.__setattr__(self, "pad_value", v.pad_value("pad_value", self.pad_value))
        object.__setattr__(self, "tie_order", v.choice("tie_order", self.tie_order, TIE_ORDERS))

    def config(self) -> dict[str, Any]:
        out = super().config()
        if math.isinf(self.pad_value):
            out["pad_value"] = "-inf"
        return out
