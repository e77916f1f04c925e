"""The convolution specs (seed section 2, Appendix A), in 1, 2 and 3 dimensions: one general
convolution with JAX's ``conv_general_dilated`` semantics (stride, dilation, input dilation,
per-side padding that crops when negative, groups) and PyTorch's ``padding_mode``; and the
transposed convolutions, each the general convolution's transpose."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np

from ... import validate as v
from ...errors import SpecError
from ...geometry import PADDING_MODES, Geometry, PaddingMode, dims
from ...specs import CHANNELS, Shape, Windowed, option

#: a channel index, or an array of them
Index = TypeVar("Index", int, np.ndarray)

#: the flags of the fields every convolution shares
KERNEL = {"help": "kernel size", "metavar": "SIZE", "per_axis": "size"}
STRIDE = {"help": "stride (default 1)", "metavar": "S", "per_axis": "size"}
GROUPS = {"help": "channel groups (default 1)"}
PADDING = {
    "help": "P, one per axis, or one per side in axis order (2-D: TOP,BOTTOM,LEFT,RIGHT)",
    "metavar": "P",
    "per_axis": "padding",
}


@dataclass(frozen=True, kw_only=True)
class _Kernelled(Windowed):
    """What a convolution and a transposed convolution share: a kernel, a stride, channels,
    groups and a bias, and PyTorch's groups rule."""

    has_params: ClassVar[bool] = True
    channels_field: ClassVar[str] = "in_channels"
    kernel: tuple[int, ...] = option(**KERNEL)
    stride: tuple[int, ...] = option(1, **STRIDE)
    in_channels: int | None = option(None, **CHANNELS)
    out_channels: int = option(1, help="output channels")
    #: PyTorch's ``groups``: how many equal groups the channels are split into
    groups: int = option(1, **GROUPS)
    bias: bool = option(True, help="without bias")

    def _kernelled(self) -> None:
        set_ = object.__setattr__
        self._sizes("kernel")
        self._sizes("stride")
        set_(self, "out_channels", v.positive("out_channels", self.out_channels))
        groups = v.positive("groups", self.groups)
        channels = [("in_channels", self.in_channels), ("out_channels", self.out_channels)]
        set_(self, "groups", v.divides("groups", groups, channels))
        set_(self, "bias", v.flag("bias", self.bias))

    def _window(self) -> tuple[int, ...]:
        return self.kernel

    def config(self) -> dict[str, Any]:
        """The ``[layer]`` table, the options at their defaults left out where they came after
        the seed's (``groups``, ``input_dilation``, ``padding_mode``), so that a plain layer's
        table (and every module and document made from it) reads as the seed's convolution."""
        out = super().config()
        for key, default in (("groups", 1), ("padding_mode", "zeros")):
            if out.get(key) == default:
                del out[key]
        if "input_dilation" in out and set(out["input_dilation"]) == {1}:
            del out["input_dilation"]
        return out


@dataclass(frozen=True, kw_only=True)
class Conv(_Kernelled):
    """``Z_j = sum_i A_i * K_{j,i} + b_j 1`` (seed section 2), ``*`` cross-correlation over
    the padded input, along ``ndim`` axes.

    JAX's general convolution: ``input_dilation`` puts ``u - 1`` zeros between neighbouring
    input entries before padding, a negative padding side crops, any stride and dilation go
    with any of them.  PyTorch's ``padding_mode`` fills the padding with copies of input
    entries (``reflect``, ``replicate``, ``circular``) instead of zeros.  With ``groups`` the
    input channels are split into equal groups, and so are the kernels: kernel ``j`` has
    ``in_channels / groups`` channels and meets only the input channels of its group,
    ``Z_j = sum_{i'} A_{g(j) + i'} * K_{j,i'} + b_j 1`` (see :meth:`input_channel`).  The
    kernel array is ``(C_out, C_in / groups, *kernel)``."""

    crops: ClassVar[bool] = True
    #: also PyTorch's ``"same"`` and ``"valid"`` (see :func:`_named_padding`)
    padding: tuple[int, ...] = option(0, words=("same", "valid"), signed=True, **PADDING)
    #: JAX's ``lhs_dilation``: input entries ``u`` apart, zeros between them
    input_dilation: tuple[int, ...] = option(
        1, help="zeros between input entries (JAX's lhs_dilation)", metavar="U", per_axis="size"
    )
    #: PyTorch's ``padding_mode``: what the padded entries hold
    padding_mode: str = option(
        "zeros", help="what padding holds: zeros, reflect, replicate or circular", metavar="MODE", counts=()
    )

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "padding_mode", v.choice("padding_mode", self.padding_mode, PADDING_MODES))
        self._sizes("input_dilation")
        if isinstance(self.padding, str):
            set_(self, "padding", _named_padding(self.padding, self.kernel, self.stride, self.dilation, self.axes))
        self._normalise()
        self._kernelled()
        self._check_geometry()

    def _stride(self) -> tuple[int, ...]:
        return self.stride

    def _input_dilation(self) -> tuple[int, ...]:
        return self.input_dilation

    def _mode(self) -> PaddingMode:
        return self.padding_mode  # type: ignore[return-value]

    def _check_geometry(self) -> None:
        """Any input size and any output size, empty ones included (as JAX and PyTorch take
        them); a padding mode copies input entries, so it needs them, undilated, uncropped, and
        (PyTorch's rules) reflects no further than the input's far end and wraps at most once."""
        if self.padding_mode != "zeros":
            if any(u != 1 for u in self.input_dilation):
                raise SpecError(
                    "padding_mode", f"{self.padding_mode} copies input entries, so it needs input_dilation 1"
                )
            if min(self.padding) < 0:
                raise SpecError("padding", f"must not crop (be negative) with padding_mode {self.padding_mode}")
        if self.input is None:
            return
        for a, axis in enumerate(self.geometry.axes):
            sides = (axis.before, axis.after)
            if axis.padded < 0:
                raise SpecError(
                    "padding",
                    f"crops {-min(axis.before, 0) - min(axis.after, 0)} entries along axis {a + 1}, "
                    f"more than the {axis.dilated} the (dilated) input has",
                )
            if self.padding_mode == "reflect" and max(sides) >= max(axis.size, 1):
                raise SpecError(
                    "padding",
                    f"reflect padding must be smaller than the input along each axis (PyTorch's rule), "
                    f"got {max(sides)} for {axis.size} entries along axis {a + 1}",
                )
            if self.padding_mode == "circular" and max(sides) > axis.size:
                raise SpecError(
                    "padding",
                    f"circular padding must be at most the input's size along each axis (PyTorch's rule), "
                    f"got {max(sides)} for {axis.size} entries along axis {a + 1}",
                )
            if self.padding_mode == "replicate" and axis.size == 0 and max(sides) > 0:
                raise SpecError("padding", f"replicate padding needs an input entry along axis {a + 1}")

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

    def derivation_size(self) -> tuple[int, int]:
        """dZ/dK and dZ/dA: each output entry touches ``(c_in / groups) prod(kernel)`` kernel
        and input entries at most (its group's channels only)."""
        symbols, out = super().derivation_size()
        per_output = self.kernel_channels * math.prod(self.kernel)
        kernel = self.out_channels * per_output
        return symbols + kernel + self.out_channels, 2 * out * per_output + out


@dataclass(frozen=True, kw_only=True)
class Conv1D(Conv):
    """1-D convolution (PyTorch's ``conv1d``): ``input = (L,)``, kernel ``(C_out, C_in/groups, k)``."""

    kind: ClassVar[str] = "conv1d"
    ndim: ClassVar[int | None] = 1


@dataclass(frozen=True, kw_only=True)
class Conv2D(Conv):
    """2-D convolution, the seed's (section 2, Appendix A)."""

    kind: ClassVar[str] = "conv2d"
    ndim: ClassVar[int | None] = 2


@dataclass(frozen=True, kw_only=True)
class Conv3D(Conv):
    """3-D convolution (PyTorch's ``conv3d``): ``input = (D, H, W)``, kernel ``(C_out, C_in/groups, k_d, k_h, k_w)``."""

    kind: ClassVar[str] = "conv3d"
    ndim: ClassVar[int | None] = 3


def _named_padding(name: str, kernel: Any, stride: Any, dilation: Any, ndim: int) -> tuple[int, ...]:
    """PyTorch's ``padding="valid"`` (none) and ``padding="same"`` (the output keeps the input's
    size: ``d (k - 1)`` padded entries along each axis, the odd one after; stride 1 only)."""
    if name == "valid":
        return (0,) * (2 * ndim)
    if name != "same":
        forms = {1: "P, BEFORE,AFTER", 2: "P, PH,PW, TOP,BOTTOM,LEFT,RIGHT", 3: "P, PD,PH,PW, six per side"}[ndim]
        raise SpecError("padding", f"must be integers ({forms}), 'same' or 'valid', got {name[:20]!r}")
    strides = v.sizes("stride", stride, ndim)
    if set(strides) != {1}:
        raise SpecError("padding", f"'same' needs stride 1 (as in PyTorch), got stride {dims(strides)}")
    out: list[int] = []
    for k, d in zip(v.sizes("kernel", kernel, ndim), v.sizes("dilation", dilation, ndim), strict=True):
        total = d * (k - 1)
        out += [total // 2, total - total // 2]
    return tuple(out)


def transposed_size(n: int, k: int, before: int, after: int, stride: int, dilation: int, extra: int) -> int:
    """PyTorch's output size of a transposed convolution along one axis,
    ``(n - 1) s - before - after + d (k - 1) + output_padding + 1`` (``before + after = 2p``
    for PyTorch's symmetric padding): the padding trims the output instead of padding the input."""
    return (n - 1) * stride - before - after + dilation * (k - 1) + extra + 1


@dataclass(frozen=True, kw_only=True)
class ConvTranspose(_Kernelled):
    """PyTorch's transposed convolution, the general convolution's transpose: each input entry
    ``a_{i,p}`` adds ``a_{i,p} K_{i,j}`` into the output at ``p s - before`` along each axis.

    It *is* a convolution (JAX's transpose rule): of the input with ``s - 1`` zeros between its
    entries (``input_dilation = stride``), padded by ``d (k - 1) - before`` and ``d (k - 1) -
    after + output_padding`` (negative: cropped), with stride 1, the same dilation, and the
    kernel turned by 180° along every axis with its channel axes swapped (:attr:`geometry`).
    The kernel array is ``(C_in, C_out/groups, *kernel)``, as in PyTorch; input channel ``i``
    feeds the ``C_out/groups`` output channels of its group."""

    output_padding: tuple[int, ...] = option(0, help="entries added after each axis' end", metavar="O", per_axis="size")
    #: the padding trims the output; PyTorch's words do not apply
    padding: tuple[int, ...] = option(0, **PADDING)

    def __post_init__(self) -> None:
        self._normalise()
        self._kernelled()
        self._sizes("output_padding", minimum=0)
        op, s, d = self.output_padding, self.stride, self.dilation
        if any(o >= max(si, di) for o, si, di in zip(op, s, d, strict=True)):
            raise SpecError(
                "output_padding",
                f"must be smaller than the stride or the dilation along each axis (PyTorch's rule), "
                f"got {dims(op)} with stride {dims(s)} and dilation {dims(d)}",
            )
        if self.input is not None:
            out = self.output_size
            # an empty output (0 along an axis) is taken, as JAX takes it
            if min(out) < 0:
                raise SpecError(
                    "padding",
                    f"{','.join(map(str, self.padding))} trims the output to {dims(out)}: "
                    "(n - 1) s - before - after + d (k - 1) + output_padding + 1 must be at least 0",
                )

    def _stride(self) -> tuple[int, ...]:
        return (1,) * self.axes

    def _input_dilation(self) -> tuple[int, ...]:
        return self.stride

    @property
    def output_size(self) -> tuple[int, ...]:
        """The output's size by :func:`transposed_size`."""
        self.require_bound()
        assert self.input is not None
        return tuple(
            transposed_size(n, k, self.padding[2 * a], self.padding[2 * a + 1], s, d, o)
            for a, (n, k, s, d, o) in enumerate(
                zip(self.input, self.kernel, self.stride, self.dilation, self.output_padding, strict=True)
            )
        )

    @property
    def geometry(self) -> Geometry:
        """The convolution this layer is: input dilation ``s``, stride 1, padding ``d (k - 1) -
        before`` and ``d (k - 1) - after + output_padding``, the kernel turned."""
        self.require_bound()
        assert self.input is not None
        padding = []
        for a, (k, d, o) in enumerate(zip(self.kernel, self.dilation, self.output_padding, strict=True)):
            full = d * (k - 1)
            padding += [full - self.padding[2 * a], full - self.padding[2 * a + 1] + o]
        return Geometry.make(self.input, self.kernel, padding, self._stride(), self.dilation, self.stride)

    @property
    def adjoint(self) -> Geometry:
        """The convolution this layer is the adjoint of: the same kernel, padding, stride and
        dilation sliding over an output-sized input.  Its output is at least the layer's input
        size (larger by one where ``output_padding >= stride``)."""
        return Geometry.make(self.output_size, self.kernel, self.padding, self.stride, self.dilation)

    @property
    def out_shape(self) -> Shape:
        return (self.out_channels, *self.output_size)

    @property
    def group_channels(self) -> tuple[int, int]:
        """Input and output channels per group."""
        cin = self.in_shape[0]
        return cin // self.groups, self.out_channels // self.groups

    def derivation_size(self) -> tuple[int, int]:
        """dZ/dK and dZ/dA: each input entry meets ``C_out/groups prod(kernel)`` outputs at most."""
        cin = self.in_shape[0]
        na = math.prod(self.in_shape[1:])
        per_group = self.out_channels // self.groups
        kernel = cin * per_group * math.prod(self.kernel)
        out = math.prod(self.out_shape)
        pairs = cin * na * per_group * math.prod(self.kernel)
        return cin * na + out + kernel + self.out_channels, 2 * pairs + out


@dataclass(frozen=True, kw_only=True)
class ConvTranspose1D(ConvTranspose):
    """PyTorch's ``conv_transpose1d``."""

    kind: ClassVar[str] = "conv_transpose1d"
    ndim: ClassVar[int | None] = 1


@dataclass(frozen=True, kw_only=True)
class ConvTranspose2D(ConvTranspose):
    """PyTorch's ``conv_transpose2d``."""

    kind: ClassVar[str] = "conv_transpose2d"
    ndim: ClassVar[int | None] = 2


@dataclass(frozen=True, kw_only=True)
class ConvTranspose3D(ConvTranspose):
    """PyTorch's ``conv_transpose3d``."""

    kind: ClassVar[str] = "conv_transpose3d"
    ndim: ClassVar[int | None] = 3
