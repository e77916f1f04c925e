"""The conv_transpose2d spec: PyTorch's ``conv_transpose2d``, the adjoint of a convolution."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from ... import validate as v
from ...errors import SpecError
from ...geometry import Geometry, dims
from ...specs import CHANNELS, Shape, Windowed, option


def transposed_size(n: int, k: int, before: int, after: int, stride: int, dilation: int, extra: int) -> int:
    """PyTorch's output size of a transposed convolution along one axis,
    ``(n - 1) s - before - after + d (k - 1) + output_padding + 1`` (``before + after = 2p``
    for PyTorch's symmetric padding): the padding trims the output instead of padding the input."""
    return (n - 1) * stride - before - after + dilation * (k - 1) + extra + 1


@dataclass(frozen=True, kw_only=True)
class ConvTranspose2D(Windowed):
    """``Z_j = sum_i (d vY/d vU)^T vA_i + b_j 1`` with ``Y = U * K_{i,j}`` the convolution of
    an output-sized ``U`` by the same kernel, padding, stride and dilation: each input entry
    ``a_{i,hw}`` adds ``a_{i,hw} K_{i,j}`` into the output at row ``h s_h - p_top``, column
    ``w s_w - p_left`` (PyTorch's ``conv_transpose2d``).  The kernel is ``(C_in, C_out/groups,
    h_k, w_k)``, as in PyTorch; input channel ``i`` feeds the ``C_out/groups`` output channels of
    its group."""

    kind: ClassVar[str] = "conv_transpose2d"
    has_params: ClassVar[bool] = True
    channels_field: ClassVar[str] = "in_channels"
    kernel: tuple[int, int] = option(help="kernel size", metavar="HxW", counts=(1, 2))
    stride: tuple[int, int] = option((1, 1), help="stride (default 1,1)", metavar="SH,SW", counts=(1, 2))
    output_padding: tuple[int, int] = option(
        (0, 0), help="rows and columns added at the bottom and right", metavar="OH,OW", counts=(1, 2)
    )
    groups: int = option(1, help="channel groups (default 1)")
    in_channels: int | None = option(None, **CHANNELS)
    out_channels: int = option(1, help="output channels")
    bias: bool = option(True, help="without bias")

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        self._normalise()
        set_(self, "kernel", v.pair("kernel", self.kernel))
        set_(self, "stride", v.pair("stride", self.stride))
        set_(self, "output_padding", v.pair("output_padding", self.output_padding, minimum=0))
        set_(self, "out_channels", v.positive("out_channels", self.out_channels))
        groups = v.positive("groups", self.groups)
        channels = [("in_channels", self.in_channels), ("out_channels", self.out_channels)]
        set_(self, "groups", v.divides("groups", groups, channels))
        set_(self, "bias", v.flag("bias", self.bias))
        op, s, d = self.output_padding, self.stride, self.dilation
        if any(o >= max(si, di) for o, si, di in zip(op, s, d, strict=True)):
            raise SpecError(
                "output_padding",
                f"must be smaller than the stride or the dilation in each direction (PyTorch's rule), "
                f"got {dims(op)} with stride {dims(s)} and dilation {dims(d)}",
            )
        if self.input is not None:
            hz, wz = self.output_size
            if hz < 1 or wz < 1:
                raise SpecError(
                    "padding",
                    f"{','.join(map(str, self.padding))} trims the output to {hz}x{wz}: "
                    "(h - 1) s - top - bottom + d (k - 1) + output_padding + 1 must be at least 1",
                )
            self.geometry.check("kernel")

    def _window(self) -> tuple[int, int]:
        return self.kernel

    def _stride(self) -> tuple[int, int]:
        return self.stride

    @property
    def output_size(self) -> tuple[int, int]:
        """``(h_z, w_z)`` by :func:`transposed_size`."""
        self.require_bound()
        assert self.input is not None
        t, b, left, right = self.padding
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = self.kernel, self.stride, self.dilation, self.output_padding
        return (
            transposed_size(self.input[0], kh, t, b, sh, dh, oh),
            transposed_size(self.input[1], kw, left, right, sw, dw, ow),
        )

    @property
    def geometry(self) -> Geometry:
        """The window map of the convolution this layer is the adjoint of: the same kernel,
        padding, stride and dilation sliding over an output-sized input.  Its output is at
        least the layer's input size (larger by one where ``output_padding >= stride``); the
        windows past the input are no input entry's."""
        return Geometry(self.output_size, self.kernel, self.padding, self.stride, self.dilation)

    @property
    def out_shape(self) -> Shape:
        return (self.out_channels, *self.output_size)

    @property
    def group_channels(self) -> tuple[int, int]:
        """Input and output channels per group."""
        cin = self.in_shape[0]
        return cin // self.groups, self.out_channels // self.groups

    def derivation_size(self) -> tuple[int, int]:
        """dZ/dK and dZ/dA: each input entry meets ``C_out/groups h_k w_k`` outputs at most."""
        cin, h, w = self.in_shape
        per_group = self.out_channels // self.groups
        kernel = cin * per_group * math.prod(self.kernel)
        out = math.prod(self.out_shape)
        pairs = cin * h * w * per_group * math.prod(self.kernel)
        return cin * h * w + out + kernel + self.out_channels, 2 * pairs + out
