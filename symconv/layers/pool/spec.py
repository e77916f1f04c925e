"""The pooling specs (3.1.3, Appendix B)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from ... import validate as v
from ...errors import SpecError
from ...geometry import dims
from ...specs import Shape, Windowed


@dataclass(frozen=True, kw_only=True)
class _Pool(Windowed):
    window_name: ClassVar[str] = "window"
    window: tuple[int, int]
    stride: tuple[int, int] | None = None
    channels: int | None = None

    def __post_init__(self) -> None:
        self._normalise()
        set_ = object.__setattr__
        set_(self, "window", v.pair("window", self.window))
        # PyTorch's default: the stride is the window (non-overlapping windows)
        set_(self, "stride", self.window if self.stride is None else v.pair("stride", self.stride))
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

    def _window(self) -> tuple[int, int]:
        return self.window

    def _stride(self) -> tuple[int, int]:
        assert self.stride is not None
        return self.stride

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

    Padded entries count as zeros in the average, as in the seed."""

    kind: ClassVar[str] = "avgpool2d"


@dataclass(frozen=True, kw_only=True)
class MaxPool2D(_Pool):
    """Max pooling (Appendix B); padded entries take part in the max as ``pad_value``."""

    kind: ClassVar[str] = "maxpool2d"
    pad_value: float = 0.0

    def _extra_checks(self) -> None:
        object.__setattr__(self, "pad_value", v.pad_value("pad_value", self.pad_value))

    def config(self) -> dict[str, Any]:
        out = super().config()
        if math.isinf(self.pad_value):
            out["pad_value"] = "-inf"
        return out
