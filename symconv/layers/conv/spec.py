"""The conv2d spec (seed section 2, Appendix A)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ... import validate as v
from ...specs import Shape, Windowed


@dataclass(frozen=True, kw_only=True)
class Conv2D(Windowed):
    """``Z_j = sum_i A_i * K_{j,i} + b_j 1`` (seed section 2), ``*`` cross-correlation."""

    kind: ClassVar[str] = "conv2d"
    has_params: ClassVar[bool] = True
    channels_field: ClassVar[str] = "in_channels"
    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    in_channels: int | None = None
    out_channels: int = 1
    bias: bool = True

    def __post_init__(self) -> None:
        self._normalise()
        set_ = object.__setattr__
        set_(self, "kernel", v.pair("kernel", self.kernel))
        set_(self, "stride", v.pair("stride", self.stride))
        set_(self, "out_channels", v.positive("out_channels", self.out_channels))
        set_(self, "bias", v.flag("bias", self.bias))
        self._check_geometry()

    def _window(self) -> tuple[int, int]:
        return self.kernel

    def _stride(self) -> tuple[int, int]:
        return self.stride

    @property
    def out_shape(self) -> Shape:
        return (self.out_channels, *self.geometry.output)
