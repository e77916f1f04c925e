"""The adaptive pooling specs: PyTorch's ``adaptive_avg_pool2d`` and ``adaptive_max_pool2d``
(the seed's 3.1.3 and Appendix B with windows that PyTorch's rule sizes for a given output)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ... import validate as v
from ...errors import SpecError
from ...geometry import adaptive_windows
from ...specs import CHANNELS, SIZE, PlaneInput, Shape, agree, image, option
from ..pool.spec import TIE_ORDER, TIE_ORDERS


@dataclass(frozen=True, kw_only=True)
class _Adaptive(PlaneInput):
    """``output = (h_a, w_a)`` windows over an ``input = (h_i, w_i)`` plane: window ``(p, q)``
    covers rows ``floor(p h_i / h_a) .. ceil((p + 1) h_i / h_a) - 1`` and the columns alike
    (:func:`symconv.geometry.adaptive_windows`).  Any input size works with any output size;
    output ``(1, 1)`` is global pooling."""

    ndim: ClassVar[int | None] = 2
    input: tuple[int, int] | None = option(None, **SIZE)
    #: ``(h_a, w_a)``; ``None`` for a size keeps the input's (as in PyTorch)
    output: tuple[int | None, int | None] = option(
        help="output size", metavar="SIZE", per_axis="size", name="output_size"
    )
    channels: int | None = option(None, **CHANNELS)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        out = self.output
        if isinstance(out, (tuple, list)) and len(out) == 2 and None in out:
            kept = [None if o is None else v.positive("output", o) for o in out]
            set_(self, "output", (kept[0], kept[1]))
        else:
            set_(self, "output", v.pair("output", out))
        if self.input is not None:
            set_(self, "input", v.pair("input", self.input))
            h, w = self.input
            a, b = self.output
            set_(self, "output", (h if a is None else a, w if b is None else b))
        if self.channels is not None:
            set_(self, "channels", v.positive("channels", self.channels))
        elif self.input is not None:
            set_(self, "channels", 1)
        self._extra_checks()

    def _extra_checks(self) -> None:
        pass

    @property
    def output_size(self) -> tuple[int, int]:
        """``(h_a, w_a)``, a ``None`` in ``output`` resolved to the input's size."""
        self.require_bound()
        a, b = self.output
        assert a is not None and b is not None
        return (a, b)

    @property
    def out_shape(self) -> Shape:
        assert self.channels is not None
        return (self.channels, *self.output_size)

    @property
    def windows(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """``((row starts, row ends), (column starts, column ends))``, ends exclusive, 0-based."""
        self.require_bound()
        assert self.input is not None
        (h, w), (a, b) = self.input, self.output_size
        return adaptive_windows(h, a), adaptive_windows(w, b)

    def window_entries(self) -> int:
        """Outputs times the largest window's entries (adaptive windows differ in size by one)."""
        (rs, re), (cs, ce) = self.windows
        return len(rs) * len(cs) * int((re - rs).max()) * int((ce - cs).max())

    def bind(self, shape: Shape, where: str) -> _Adaptive:
        c, (h, w) = image(shape, where, self.kind)
        agree(where, "input", self.input, (h, w), "as input size")
        agree(where, "channels", self.channels, c, "channels")
        try:
            return dataclasses.replace(self, input=(h, w), channels=c)
        except SpecError as err:
            raise SpecError(f"{where}.{err.parameter}", err.rule) from None


@dataclass(frozen=True, kw_only=True)
class AdaptiveAvgPool2D(_Adaptive):
    """Adaptive average pooling: ``A_pq`` is the mean of window ``(p, q)``, whose size
    ``h_pq w_pq`` varies from window to window when the sizes do not divide."""

    kind: ClassVar[str] = "adaptive_avgpool2d"


@dataclass(frozen=True, kw_only=True)
class AdaptiveMaxPool2D(_Adaptive):
    """Adaptive max pooling: ``A_pq`` is the maximum of window ``(p, q)``; the switch ``i_pq``
    is the 1-based column-major index inside that window (Appendix B's ``vΩ``), ties going to
    the first maximum in ``tie_order`` (``"column"``, the seed's; ``"row"``, PyTorch's)."""

    kind: ClassVar[str] = "adaptive_maxpool2d"
    tie_order: str = option("column", **TIE_ORDER)

    def _extra_checks(self) -> None:
        object.__setattr__(self, "tie_order", v.choice("tie_order", self.tie_order, TIE_ORDERS))
