"""The max-unpooling specs: PyTorch's ``max_unpool{1,2,3}d``, the transpose of max pooling's
selection (Appendix B's mask) in 1, 2 and 3 spatial axes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NoReturn

from ... import validate as v
from ...errors import SpecError
from ...geometry import dims
from ...specs import CHANNELS, SIZE, PlaneInput, Shape, option


@dataclass(frozen=True, kw_only=True)
class MaxUnpool(PlaneInput):
    """Max unpooling: ``U`` (of ``output`` size) is zero but where ``indices`` (PyTorch's flat
    row-major index of each pooled entry in its plane, what max pooling's ``return_indices``
    gives) put the entries of ``A`` (of ``input`` size).  ``window``, ``stride`` (default: the
    window) and ``padding`` (one per axis, or one per side) are the max pooling's, and give
    PyTorch's default output size ``(n - 1) s - before - after + k`` per axis; an ``output``
    size must lie strictly within ``stride`` of it (PyTorch's rule)."""

    ndim: ClassVar[int | None] = 2
    input: tuple[int, ...] | None = option(None, **SIZE)
    window: tuple[int, ...] = option(help="the max pooling's window size", metavar="SIZE", per_axis="size")
    stride: tuple[int, ...] | None = option(None, help="stride (default: the window)", metavar="S", per_axis="size")
    padding: tuple[int, ...] = option(
        0, help="the max pooling's padding: P, one per axis, or one per side", metavar="P", per_axis="padding"
    )
    output: tuple[int, ...] | None = option(
        None, help="output size (default: PyTorch's)", metavar="SIZE", per_axis="size", name="output_size"
    )
    channels: int | None = option(None, **CHANNELS)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        d = self.ndim
        assert d is not None
        if self.input is not None:
            set_(self, "input", v.sizes("input", self.input, d))
        set_(self, "window", v.sizes("window", self.window, d))
        set_(self, "stride", self.window if self.stride is None else v.sizes("stride", self.stride, d))
        set_(self, "padding", v.padding("padding", self.padding, d))
        if self.output is not None:
            set_(self, "output", v.sizes("output", self.output, d))
        if self.channels is not None:
            set_(self, "channels", v.positive("channels", self.channels))
        elif self.input is not None:
            set_(self, "channels", 1)
        if self.input is not None:
            default = self.default_size
            if min(default) < 1:
                raise SpecError(
                    "padding",
                    f"gives PyTorch's default output size {dims(default)}, (n - 1) s - before - after + k along "
                    "each axis, which has no entries",
                )
            if self.output is not None:
                strides = self.stride if self.stride is not None else self.window
                for a, (want, n, s) in enumerate(zip(self.output, default, strides, strict=True)):
                    if not n - s < want < n + s:
                        raise SpecError(
                            "output",
                            f"must lie strictly between {n - s} and {n + s} along axis {a + 1} (PyTorch's default "
                            f"{n} plus or minus the stride {s}), got {dims(self.output)}",
                        )

    @property
    def default_size(self) -> tuple[int, ...]:
        """PyTorch's default output size, ``(n - 1) s - before - after + k`` per axis."""
        assert self.input is not None and self.stride is not None
        return tuple(
            (n - 1) * s - self.padding[2 * a] - self.padding[2 * a + 1] + k
            for a, (n, s, k) in enumerate(zip(self.input, self.stride, self.window, strict=True))
        )

    @property
    def output_size(self) -> tuple[int, ...]:
        self.require_bound()
        return self.output if self.output is not None else self.default_size

    @property
    def out_shape(self) -> Shape:
        assert self.channels is not None
        return (self.channels, *self.output_size)

    def bind(self, shape: Shape, where: str) -> NoReturn:
        raise SpecError(
            where, f"{self.kind} takes the indices of a max pooling beside its input, so it cannot stand in a network"
        )

    def derivation_size(self) -> tuple[int, int]:
        """The input's and output's entries, and one nonzero per input entry."""
        return math.prod(self.in_shape) + math.prod(self.out_shape), math.prod(self.in_shape)


@dataclass(frozen=True, kw_only=True)
class MaxUnpool1D(MaxUnpool):
    """1-D max unpooling (PyTorch's ``max_unpool1d``)."""

    kind: ClassVar[str] = "maxunpool1d"
    ndim: ClassVar[int | None] = 1


@dataclass(frozen=True, kw_only=True)
class MaxUnpool2D(MaxUnpool):
    """2-D max unpooling (PyTorch's ``max_unpool2d``)."""

    kind: ClassVar[str] = "maxunpool2d"
    ndim: ClassVar[int | None] = 2


@dataclass(frozen=True, kw_only=True)
class MaxUnpool3D(MaxUnpool):
    """3-D max unpooling (PyTorch's ``max_unpool3d``)."""

    kind: ClassVar[str] = "maxunpool3d"
    ndim: ClassVar[int | None] = 3
