"""The conv2d spec (seed section 2, Appendix A)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np

from ... import validate as v
from ...errors import SpecError
from ...geometry import dims
from ...specs import CHANNELS, Shape, Windowed, option

#: a channel index, or an array of them
Index = TypeVar("Index", int, np.ndarray)


@dataclass(frozen=True, kw_only=True)
class Conv2D(Windowed):
    """``Z_j = sum_i A_i * K_{j,i} + b_j 1`` (seed section 2), ``*`` cross-correlation.

    With PyTorch's ``groups`` the input channels are split into ``groups`` equal groups, and
    so are the kernels: kernel ``j`` has ``in_channels / groups`` channels and meets only the
    input channels of its group, ``Z_j = sum_{i'} A_{g(j) + i'} * K_{j,i'} + b_j 1`` (see
    :meth:`input_channel`).  The kernel array is ``(C_out, C_in / groups, h_k, w_k)``."""

    kind: ClassVar[str] = "conv2d"
    has_params: ClassVar[bool] = True
    channels_field: ClassVar[str] = "in_channels"
    #: also PyTorch's ``"same"`` and ``"valid"`` (see :func:`_named_padding`)
    padding: tuple[int, int, int, int] = option(
        (0, 0, 0, 0), help="P, PH,PW or TOP,BOTTOM,LEFT,RIGHT", metavar="P", counts=(1, 2, 4), words=("same", "valid")
    )
    kernel: tuple[int, int] = option(help="kernel size", metavar="HxW", counts=(1, 2))
    stride: tuple[int, int] = option((1, 1), help="stride (default 1,1)", metavar="SH,SW", counts=(1, 2))
    in_channels: int | None = option(None, **CHANNELS)
    out_channels: int = option(1, help="output channels")
    #: PyTorch's ``groups``: how many equal groups the channels are split into
    groups: int = option(1, help="channel groups (default 1)")
    bias: bool = option(True, help="without bias")

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if isinstance(self.padding, str):
            set_(self, "padding", _named_padding(self.padding, self.kernel, self.stride, self.dilation))
        self._normalise()
        set_(self, "kernel", v.pair("kernel", self.kernel))
        set_(self, "stride", v.pair("stride", self.stride))
        set_(self, "out_channels", v.positive("out_channels", self.out_channels))
        groups = v.positive("groups", self.groups)
        channels = [("in_channels", self.in_channels), ("out_channels", self.out_channels)]
        set_(self, "groups", v.divides("groups", groups, channels))
        set_(self, "bias", v.flag("bias", self.bias))
        self._check_geometry()

    def _window(self) -> tuple[int, int]:
        return self.kernel

    def _stride(self) -> tuple[int, int]:
        return self.stride

    @property
    def out_shape(self) -> Shape:
        return (self.out_channels, *self.geometry.output)

    # -- groups: which input channels each kernel meets (one place for the rule) --------------
    @property
    def kernel_channels(self) -> int:
        """The channels of each kernel, ``in_channels / groups``: the kernel's second axis."""
        return self.in_shape[0] // self.groups

    def input_channel(self, j: Index, i: Index) -> Index:
        """The input channel that channel ``i`` of kernel ``j`` meets (0-based; integers or
        integer arrays): kernel ``j`` is in group ``j // (out_channels / groups)``, which holds
        input channels ``group in_channels / groups`` onwards.  Just ``i`` without groups."""
        return j // (self.out_channels // self.groups) * self.kernel_channels + i

    def group_inputs(self, j: int) -> range:
        """The input channels kernel ``j`` meets (0-based): its group's."""
        first = self.input_channel(j, 0)
        return range(first, first + self.kernel_channels)

    def group_outputs(self, i: int) -> range:
        """The output channels whose kernels meet input channel ``i`` (0-based): its group's."""
        per = self.out_channels // self.groups
        first = i // self.kernel_channels * per
        return range(first, first + per)

    def config(self) -> dict[str, Any]:
        """The ``[layer]`` table; ``groups`` only when it is not 1, so that an ungrouped layer's
        table (and every module and document made from it) reads as the seed's convolution."""
        out = super().config()
        if self.groups == 1:
            del out["groups"]
        return out

    def derivation_size(self) -> tuple[int, int]:
        """dZ/dK and dZ/dA: each output entry touches ``(c_in / groups) h_k w_k`` kernel and
        input entries (its group's channels only)."""
        symbols, out = super().derivation_size()
        per_output = self.kernel_channels * math.prod(self.kernel)
        kernel = self.out_channels * per_output
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
