"""Padding (PyTorch's ``F.pad``) on the spatial axes, any number of them: ``Z = pad(A)``.

Every output entry holds one input entry or the constant ``value``; which one, along each axis,
is :meth:`Pad.sources`.  ``d vZ_c / d vA_c`` therefore has at most one 1 per row, and a column
per input entry with a 1 in the row of every output entry that holds it: reflect, replicate and
circular padding copy an input entry into several output entries, so its column has several 1s
and its gradient sums theirs.  Other channels do not meet: ``d vZ_c / d vA_d`` is zero."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np
import sympy as sp

from ...geometry import vec_strides
from ...rule import ONE, Derivation, JacobianInfo, check_index, label, unknown
from ...sparse import VecJacobian
from ...symbols import Tensor
from .spec import Pad


class PadDerivation(Derivation):
    """``Z_c = pad(A_c)`` channel by channel and its vec Jacobian ``d vZ_c / d vA_c`` (0/1 entries)."""

    section = "3.1.5 (padding, Appendix A's first line)"
    input_name = ("A", "a")
    output_name = ("P", "p")

    def __init__(self, spec: Pad, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.spec: Pad = spec

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.spec.kind

    @cached_property
    def held(self) -> np.ndarray:
        """For every output entry in vec order: the vec index of the input entry it holds, -1
        where it holds ``value`` (the axes' :meth:`Pad.sources` combined, the first axis fastest)."""
        spec = self.spec
        assert spec.input is not None
        steps = vec_strides(spec.input)
        total = np.zeros((), np.int64)
        inside = np.ones((), bool)
        for a in reversed(range(spec.ndim or 0)):  # the last axis slowest in vec order
            src = spec.sources(a)
            total = total[..., None] + src * steps[a]
            inside = inside[..., None] & (src >= 0)
        out = np.where(inside, total, -1).reshape(-1)
        out.setflags(write=False)
        return out

    @property
    def _sizes(self) -> tuple[int, int]:
        return int(np.prod(self.spec.output_size)), int(np.prod(self.spec.in_shape[1:]))

    @cached_property
    def value(self) -> sp.Expr:
        """What a padded entry holds in the constant mode."""
        return sp.Float(self.spec.value) if self.spec.value else sp.S.Zero

    def forward(self) -> list[sp.Expr]:
        out: list[sp.Expr] = []
        for c in range(self.channels):
            a = self.input.vec(c)
            out += [a[int(k)] if k >= 0 else self.value for k in self.held]
        return out

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        a = np.asarray(x, dtype=float).reshape(self.channels, -1)
        held = self.held
        fill = float(self.spec.value or 0.0)
        z = np.where(held >= 0, a[:, np.maximum(held, 0)] if a.shape[1] else fill, fill)
        return np.asarray(z, dtype=float).reshape(-1)

    def jacobian(self, wrt: str = "A", **index: int) -> VecJacobian:
        """``d vZ_c / d vA_d`` (``c``, ``d`` as ``j``, ``i``; zero unless ``c = d``)."""
        if wrt != "A":
            raise unknown(wrt, "'A'")
        j = check_index("j", index.get("j", 0), self.channels)
        i = check_index("i", index.get("i", j), self.channels)
        rows = np.flatnonzero(self.held >= 0) if i == j else np.zeros(0, np.int64)
        cols = self.held[rows]
        return VecJacobian.build(
            self._sizes, rows, cols, np.zeros_like(rows), ONE, label(self.output, j), label(self.input, i)
        )

    def full_jacobian(self, wrt: str = "A") -> VecJacobian:
        if wrt != "A":
            raise unknown(wrt, "'A'")
        nz, na = self._sizes
        rows = np.flatnonzero(self.held >= 0)
        c = np.arange(self.channels)[:, None]
        return VecJacobian.build(
            (self.channels * nz, self.channels * na),
            c * nz + rows,
            c * na + self.held[rows],
            np.zeros((1, 1), np.int64),
            ONE,
            label(self.output),
            label(self.input),
        )

    def jacobian_list(self) -> list[JacobianInfo]:
        """``d vZ_c / d vA_c`` for every channel (the blocks across channels are zero)."""
        return [self._info("A", self.jacobian("A", j=c, i=c), j=c, i=c) for c in range(self.channels)]
