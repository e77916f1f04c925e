"""The conv2d spec (seed section 2, Appendix A)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from ... import validate as v
from ...errors import SpecError
from ...geometry import dims
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
        set_ = object.__setattr__
        if isinstance(self.padding, str):
            set_(self, "padding", _named_padding(self.padding, self.kernel, self.stride, self.dilation))
        self._normalise()
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

    def derivation_size(self) -> tuple[int, int]:
        """dZ/dK and dZ/dA: each output entry touches ``c_in h_k w_k`` kernel and input entries."""
        symbols, out = super().derivation_size()
        cin = self.in_shape[0]
        kernel = self.out_channels * cin * math.prod(self.kernel)
        per_output = cin * math.prod(self.kernel)
        return symbols + kernel + self.out_channels, 2 * out * per_output + out


def _named_padding(name: str, kernel: Any, stride: Any, dilation: Any) -> tuple[int, int, int, int]:
    """PyTorch's ``padding="valid"`` (none) and ``padding="same"`` (the output keeps the input's
    size: ``d (k - 1)`` padded rows in all, the odd one at the bottom or right; stride 1 only)."""
    if name == "valid":
        return (0, 0, 0, 0)
    if name != "same":
        raise SpecError("padding", f"must be a number, a pair, four numbers, 'same' or 'valid', got {name[:20]!r}")
    if v.pair("stride", stride) != (1, 1):
        shown = dims(v.pair("stride", stride))
        raise SpecError("padding", f"'same' needs stride 1 (as in PyTorch), got stride {shown}")
    (kh, kw), (dh, dw) = v.pair("kernel", kernel), v.pair("dilation", dilation)
    th, tw = dh * (kh - 1), dw * (kw - 1)
    return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
