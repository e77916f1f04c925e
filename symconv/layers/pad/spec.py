"""PyTorch's ``torch.nn.functional.pad`` on the spatial axes of a ``(C, *sizes)`` input:
``Pad1D``, ``Pad2D``, ``Pad3D``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ... import validate as v
from ...errors import SpecError
from ...geometry import Axis, dims
from ...specs import CHANNELS, SIZE, PlaneInput, Shape, option

#: what the padded entries hold: ``value`` (constant), or copies of input entries
PAD_MODES = ("constant", "reflect", "replicate", "circular")


@dataclass(frozen=True, kw_only=True)
class Pad(PlaneInput):
    """``Z = pad(A)`` on every spatial axis: ``padding`` per side in axis order (``before_1,
    after_1, ...``; one number for every side or one per axis), a negative side crops.  The
    padded entries hold ``value`` (``mode="constant"``) or copies of input entries: the mirror
    image without the edge (``reflect``), the edge (``replicate``) or the other end
    (``circular``, of the input once cropped, as PyTorch wraps it)."""

    input: tuple[int, ...] | None = option(None, **SIZE)
    padding: tuple[int, ...] = option(
        0,
        help="per side in axis order (2-D: TOP,BOTTOM,LEFT,RIGHT), one per axis or one for all; negative crops",
        metavar="P",
        per_axis="padding",
        signed=True,
    )
    mode: str = option("constant", help="constant, reflect, replicate or circular", metavar="MODE", counts=())
    #: the constant mode's value (PyTorch's default 0); no other mode takes one
    value: float | None = option(None, help="the constant mode's value (default 0)", metavar="X", counts=())
    channels: int | None = option(None, **CHANNELS)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        assert self.ndim is not None
        set_(self, "mode", v.choice("mode", self.mode, PAD_MODES))
        set_(self, "padding", v.padding("padding", self.padding, self.ndim, crop=True))
        if self.value is not None:
            if self.mode != "constant":
                raise SpecError("value", f"applies to mode 'constant' only, not {self.mode!r} (PyTorch's rule)")
            set_(self, "value", v.real("value", self.value))
        if self.channels is not None:
            set_(self, "channels", v.positive("channels", self.channels))
        if self.input is not None:
            set_(self, "input", v.sizes("input", self.input, self.ndim, minimum=0))
            if self.channels is None:
                set_(self, "channels", 1)
            for a in range(self.ndim):
                self._check_axis(a)

    def _check_axis(self, a: int) -> None:
        """PyTorch's rules along axis ``a``: a crop takes at most the input's entries; reflect
        pads less than the input's size, circular at most the cropped input's; reflect and
        replicate need an input entry.  An empty output is taken (JAX's rule; PyTorch refuses it
        in 1-D and takes it in 3-D)."""
        assert self.input is not None
        n, before, after = self.input[a], self.padding[2 * a], self.padding[2 * a + 1]
        crop = max(0, -before) + max(0, -after)
        where = f"along axis {a + 1}"
        if crop > n:
            raise SpecError("padding", f"crops {crop} entries {where}, more than the {n} the input has")
        if self.mode in ("reflect", "replicate"):
            if n == 0:
                raise SpecError("input", f"{self.mode} padding needs an input entry {where} (PyTorch's rule)")
            if self.mode == "reflect" and max(before, after) >= n:
                raise SpecError(
                    "padding",
                    f"reflect padding must be smaller than the input {where} (PyTorch's rule), "
                    f"got {max(before, after)} for {n} entries",
                )
        if self.mode == "circular" and max(before, after) > n - crop:
            raise SpecError(
                "padding",
                f"circular padding must be at most the (cropped) input's size {where} (PyTorch's rule), "
                f"got {max(before, after)} for {n - crop} entries",
            )

    @property
    def output_size(self) -> tuple[int, ...]:
        """``n + before + after`` along each axis."""
        self.require_bound()
        assert self.input is not None
        return tuple(n + self.padding[2 * a] + self.padding[2 * a + 1] for a, n in enumerate(self.input))

    @property
    def out_shape(self) -> Shape:
        assert self.channels is not None
        return (self.channels, *self.output_size)

    def sources(self, a: int) -> np.ndarray:
        """Along axis ``a``: the input entry (0-based) each output entry holds, -1 where it holds
        ``value``.  Read off the window geometry's :meth:`Axis.source` (a window of one entry):
        reflect and replicate copy from the whole input, circular wraps the input once cropped."""
        assert self.input is not None
        n, before, after = self.input[a], self.padding[2 * a], self.padding[2 * a + 1]
        out = np.arange(n + before + after)
        if self.mode == "circular":
            first, last = max(0, -before), max(0, -after)
            axis = Axis(n - first - last, 1, before=max(0, before), after=max(0, after), mode="circular")
            held = np.asarray(axis.source(out))
            return np.where(held >= 0, held + first, -1).astype(np.int64)
        mode = "zeros" if self.mode == "constant" else self.mode
        return np.asarray(Axis(n, 1, before=before, after=after, mode=mode).source(out), np.int64)  # type: ignore[arg-type]

    def derivation_size(self) -> tuple[int, int]:
        """One symbol per input and output entry; at most one nonzero per output entry."""
        out = math.prod(self.out_shape)
        return math.prod(self.in_shape) + out, out

    def window_entries(self) -> int:
        return math.prod(self.out_shape)

    def config(self) -> dict[str, Any]:
        out = super().config()
        if out.get("value") is None:
            out.pop("value", None)
        return out

    def describe_padding(self) -> str:
        return f"{dims(self.input or ())} padded by {','.join(map(str, self.padding))} ({self.mode})"


@dataclass(frozen=True, kw_only=True)
class Pad1D(Pad):
    """``F.pad`` of a ``(C, L)`` input: ``padding = (before, after)``."""

    kind: ClassVar[str] = "pad1d"
    ndim: ClassVar[int | None] = 1


@dataclass(frozen=True, kw_only=True)
class Pad2D(Pad):
    """``F.pad`` of a ``(C, H, W)`` input: ``padding = (top, bottom, left, right)``."""

    kind: ClassVar[str] = "pad2d"
    ndim: ClassVar[int | None] = 2


@dataclass(frozen=True, kw_only=True)
class Pad3D(Pad):
    """``F.pad`` of a ``(C, D, H, W)`` input: ``padding = (front, back, top, bottom, left, right)``."""

    kind: ClassVar[str] = "pad3d"
    ndim: ClassVar[int | None] = 3
