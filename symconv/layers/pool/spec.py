"""The pooling specs (3.1.3, Appendix B) in 1, 2 and 3 spatial axes: max, average and Lp
pooling over one window geometry (:class:`symconv.geometry.Geometry`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

from ... import validate as v
from ...errors import SpecError
from ...geometry import Geometry
from ...specs import CHANNELS, Shape, Windowed, option

#: max pooling's tie orders: the seed's vΩ (the first axis fastest), PyTorch's (row-major, C order)
TIE_ORDERS = ("column", "row")
#: its command-line flag (max pooling and adaptive max pooling)
TIE_ORDER = {
    "help": "ties go to the first maximum in 'column' (vΩ, the first axis fastest; the default) or 'row' order",
    "metavar": "ORDER",
    "counts": (),
}


def meets_input(geometry: Geometry) -> None:
    """Raise ``SpecError("padding", ...)`` unless every window meets the input: along each axis,
    each window has a tap on an input entry (not only on padding, on an input dilation's zeros
    or past a ``ceil_mode`` end).  JAX's ``reduce_window`` takes any padding; a window wholly
    outside the input would pool nothing of it, and is refused."""
    for a, axis in enumerate(geometry.axes):
        empty = [p for p in range(axis.output) if not (axis.taps[p] >= 0).any()]
        if empty:
            where = f" along axis {a + 1}" if geometry.ndim > 1 else ""
            shown = ",".join(str(n) for n in geometry.padding)
            raise SpecError(
                "padding",
                f"leaves window {empty[0] + 1}{where} wholly outside the input (every window must meet "
                f"at least one input entry), got {shown}",
            )


@dataclass(frozen=True, kw_only=True)
class Pool(Windowed):
    """A pooling window over ``ndim`` spatial axes: ``window``, ``stride`` (default: the window),
    per-side ``padding`` of any size as long as every window meets the input, ``dilation``,
    ``input_dilation`` (JAX's base dilation: ``u - 1`` zeros between neighbouring input
    entries, taking part as padding does) and PyTorch's ``ceil_mode``."""

    window_name: ClassVar[str] = "window"
    window: tuple[int, ...] = option(help="window size", metavar="SIZE", per_axis="size")
    stride: tuple[int, ...] | None = option(None, help="stride (default: the window)", metavar="S", per_axis="size")
    channels: int | None = option(None, **CHANNELS)
    #: PyTorch's ``ceil_mode``: the output size rounds up (:func:`symconv.geometry.ceil_output_size`)
    ceil_mode: bool = option(False, help="round the output size up (PyTorch's ceil_mode)")
    #: JAX's base dilation (``reduce_window``'s ``base_dilation``): zeros between input entries
    input_dilation: tuple[int, ...] = option(
        1, help="zeros between input entries plus one (JAX's base dilation; default 1)", metavar="U", per_axis="size"
    )

    def __post_init__(self) -> None:
        self._normalise()
        set_ = object.__setattr__
        set_(self, "ceil_mode", v.flag("ceil_mode", self.ceil_mode))
        self._sizes("window")
        # PyTorch's default: the stride is the window (non-overlapping windows)
        set_(self, "stride", self.window if self.stride is None else v.sizes("stride", self.stride, self.axes))
        self._sizes("input_dilation")
        self._extra_checks()
        self._check_geometry()
        if self.input is not None:
            meets_input(self.geometry)

    def _extra_checks(self) -> None:
        pass

    def _window(self) -> tuple[int, ...]:
        return self.window

    def _stride(self) -> tuple[int, ...]:
        assert self.stride is not None
        return self.stride

    def _input_dilation(self) -> tuple[int, ...] | None:
        return self.input_dilation

    @property
    def geometry(self) -> Geometry:
        """The window map.  Under ``ceil_mode`` the last windows may run past the padded
        input; the positions they reach there take part as padding, so the geometry carries
        that many more positions of padding after the input, and the floor output-size
        rule then gives the ceil one (:func:`symconv.geometry.ceil_extension`)."""
        return super().geometry.with_ceil(self.ceil_mode)

    @property
    def out_shape(self) -> Shape:
        assert self.channels is not None
        return (self.channels, *self.geometry.output)

    def derivation_size(self) -> tuple[int, int]:
        """Each output entry is a function of its window's entries."""
        symbols, out = super().derivation_size()
        return symbols, out * math.prod(self.window)


@dataclass(frozen=True, kw_only=True)
class AvgPool(Pool):
    """Average pooling: convolution with ``P`` (all entries ``1/(h_l w_l)``, the window's size),
    seed 3.1.3.

    Padded entries count as zeros in the average, as in the seed.  PyTorch's options change
    the divisor window by window: ``count_include_pad=False`` divides by the input entries
    the window covers, ``ceil_mode`` windows that run past the padded input count only the
    positions inside it, and ``divisor_override`` sets one divisor for all."""

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


@dataclass(frozen=True, kw_only=True)
class AvgPool1D(AvgPool):
    """1-D average pooling (PyTorch's ``avg_pool1d``)."""

    kind: ClassVar[str] = "avgpool1d"
    ndim: ClassVar[int | None] = 1


@dataclass(frozen=True, kw_only=True)
class AvgPool2D(AvgPool):
    """2-D average pooling (the seed's 3.1.3; PyTorch's ``avg_pool2d``)."""

    kind: ClassVar[str] = "avgpool2d"
    ndim: ClassVar[int | None] = 2


@dataclass(frozen=True, kw_only=True)
class AvgPool3D(AvgPool):
    """3-D average pooling (PyTorch's ``avg_pool3d``)."""

    kind: ClassVar[str] = "avgpool3d"
    ndim: ClassVar[int | None] = 3


@dataclass(frozen=True, kw_only=True)
class MaxPool(Pool):
    """Max pooling (Appendix B); padded entries take part in the max as ``pad_value``."""

    pad_value: float = option(0.0, help="value of padded entries: 0 or -inf (default 0)", metavar="V", counts=())
    #: which maximum a tie goes to: the first in the seed's ``vΩ`` order (the first axis
    #: fastest; column-major in 2-D), or the first in row-major (C) order (PyTorch's)
    tie_order: str = option("column", **TIE_ORDER)

    def _extra_checks(self) -> None:
        object.__setattr__(self, "pad_value", v.pad_value("pad_value", self.pad_value))
        object.__setattr__(self, "tie_order", v.choice("tie_order", self.tie_order, TIE_ORDERS))

    def config(self) -> dict[str, Any]:
        out = super().config()
        if math.isinf(self.pad_value):
            out["pad_value"] = "-inf"
        return out


@dataclass(frozen=True, kw_only=True)
class MaxPool1D(MaxPool):
    """1-D max pooling (PyTorch's ``max_pool1d``)."""

    kind: ClassVar[str] = "maxpool1d"
    ndim: ClassVar[int | None] = 1


@dataclass(frozen=True, kw_only=True)
class MaxPool2D(MaxPool):
    """2-D max pooling (the seed's Appendix B; PyTorch's ``max_pool2d``)."""

    kind: ClassVar[str] = "maxpool2d"
    ndim: ClassVar[int | None] = 2


@dataclass(frozen=True, kw_only=True)
class MaxPool3D(MaxPool):
    """3-D max pooling (PyTorch's ``max_pool3d``)."""

    kind: ClassVar[str] = "maxpool3d"
    ndim: ClassVar[int | None] = 3


def norm_value(name: str, value: Any) -> Fraction:
    """An Lp pooling's ``p``: a positive finite number (an int, or a float read exactly as it is
    written, ``1.5`` as ``3/2``; the command line's text is read as a decimal, never evaluated)."""
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,12})?", text):
            raise SpecError(name, f"must be a positive number such as 2 or 1.5, got {text[:40]!r}")
        value = int(text) if text.isdigit() else float(text)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(name, f"must be a positive number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise SpecError(name, f"must be a positive finite number, got {value}")
    return Fraction(repr(float(value))) if isinstance(value, float) else Fraction(int(value))


@dataclass(frozen=True, kw_only=True)
class LPPool(Pool):
    """Lp pooling, PyTorch's ``lp_pool{1,2,3}d``: ``A_p = (c_p sum_{r in window p} I_r^n)^(1/n)``
    with ``n`` the ``norm``.  ``c_p`` is 1, except for a ``ceil_mode`` window that runs past the
    input, where PyTorch's definition (an average pool of ``I^n`` times the window's size) gives
    the window's size over the positions it covers inside the (padded) input."""

    norm: float = option(help="the norm n of the Lp pooling (a positive number)", metavar="N", counts=())

    def _extra_checks(self) -> None:
        exact = norm_value("norm", self.norm)
        object.__setattr__(self, "norm", int(exact) if exact.denominator == 1 else float(exact))

    @property
    def exponent(self) -> Fraction:
        """``n`` as an exact fraction (``1.5`` is ``3/2``)."""
        return norm_value("norm", self.norm)


@dataclass(frozen=True, kw_only=True)
class LPPool1D(LPPool):
    """1-D Lp pooling (PyTorch's ``lp_pool1d``)."""

    kind: ClassVar[str] = "lppool1d"
    ndim: ClassVar[int | None] = 1


@dataclass(frozen=True, kw_only=True)
class LPPool2D(LPPool):
    """2-D Lp pooling (PyTorch's ``lp_pool2d``)."""

    kind: ClassVar[str] = "lppool2d"
    ndim: ClassVar[int | None] = 2


@dataclass(frozen=True, kw_only=True)
class LPPool3D(LPPool):
    """3-D Lp pooling (PyTorch's ``lp_pool3d``)."""

    kind: ClassVar[str] = "lppool3d"
    ndim: ClassVar[int | None] = 3
