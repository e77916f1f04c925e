"""2D convolution (seed section 2, 3.1.5 and Appendix A)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np
import sympy as sp

from ... import ops
from ...rule import ONE, JacobianInfo, Windowed, check_index, label, unknown
from ...sparse import Exprs, VecJacobian
from ...symbols import Tensor
from .spec import Conv2D


class ConvDerivation(Windowed):
    """``Z_j = sum_i A_i * K_{j,i} + b_j 1`` and its vec Jacobians.

    * ``d vZ_j / d vK_{j,i}``: column ``(r, s)`` is ``vec(A_i * dK/dK_rs)`` (eq.a1-3);
    * ``d vZ_j / d vA_i``: column ``(r, s)`` is ``vec(dA/dA_rs * K_{j,i})`` (eq.a2-3);
    * ``d vZ_j / d b_j`` is a column of ones (3.1.5).

    The unit matrix ``dK/dK_rs`` picks one kernel position, so column ``(r, s)`` of the
    first holds, for every output, the input entry its window puts at ``(r, s)``; the
    unit matrix ``dA/dA_rs`` puts a single 1 in the input, so column ``(r, s)`` of the
    second is nonzero only at the outputs whose window covers ``A_rs``.  Both are read
    off the window map (:attr:`Geometry.triplets`) at once; :meth:`column` builds one
    column literally as the appendix does.
    """

    kind = "conv2d"
    section = "Appendix A; 3.1.5"
    input_name = ("A", "a")
    output_name = ("Z", "z")

    def __init__(self, spec: Conv2D, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.spec: Conv2D = spec
        cout, cin = spec.out_channels, spec.in_shape[0]
        many = cout > 1 or cin > 1 or layer is not None
        self.kernel = Tensor("K", "k", (cout, cin, *spec.kernel), layer, channel_index=many)
        self.bias = Tensor("b", "b", (cout,), layer, channel_index=cout > 1 or layer is not None) if spec.bias else None
        self.geometry = spec.geometry
        self._patterns: dict[str, VecJacobian] = {}

    @property
    def params(self) -> dict[str, Tensor]:
        out = {"K": self.kernel}
        if self.bias is not None:
            out["b"] = self.bias
        return out

    # -- the DESIGN.md interface ---------------------------------------------------
    @property
    def cin(self) -> int:
        return self.spec.in_shape[0]

    @property
    def cout(self) -> int:
        return self.spec.out_channels

    @cached_property
    def A(self) -> list[sp.ImmutableMatrix]:  # noqa: N802 - the seed's names
        """``A_i``: one symbol matrix per input channel."""
        return [self.input.matrix(i) for i in range(self.cin)]

    @cached_property
    def K(self) -> list[list[sp.ImmutableMatrix]]:  # noqa: N802
        """``K[j][i]``: channel ``i`` of kernel ``j``."""
        return [[self.kernel.matrix(j, i) for i in range(self.cin)] for j in range(self.cout)]

    @cached_property
    def b(self) -> list[sp.Expr]:
        """``b_j`` (zero when the layer has no bias)."""
        return list(self.bias.flat) if self.bias is not None else [sp.S.Zero] * self.cout

    @cached_property
    def Z(self) -> list[sp.ImmutableMatrix]:  # noqa: N802
        """``Z_j = sum_i A_i * K_{j,i} + b_j 1`` (section 2), built with :func:`ops.correlate`."""
        hz, wz = self.geometry.output
        out = []
        for j in range(self.cout):
            total = sp.ImmutableMatrix(hz, wz, lambda p, q, j=j: self.b[j])
            for i in range(self.cin):
                total = total + ops.correlate(self.A[i], self.K[j][i], self.geometry)
            out.append(sp.ImmutableMatrix(total))
        return out

    @property
    def z(self) -> Tensor:
        """rep.3: the named output entries."""
        return self.output

    # -- the forms the seed shows --------------------------------------------------
    def padded(self, i: int = 0) -> sp.ImmutableMatrix:
        """Input channel ``i`` with its zero padding (Appendix A, first line)."""
        return ops.padded(self.A[check_index("i", i, self.cin)], self.geometry)

    def window(self, p: int, q: int, i: int = 0) -> sp.ImmutableMatrix:
        """rep.1: the block of padded ``A_i`` that output ``(p, q)`` is computed from."""
        return ops.window(self.input.grid(check_index("i", i, self.cin)), self.geometry, p, q)

    def terms(self, p: int, q: int, j: int = 0) -> list[tuple[sp.Expr, sp.Expr]]:
        """rep.2 as ``(a, k)`` pairs in the seed's order: channels, then the window row by row."""
        j = check_index("j", j, self.cout)
        out = []
        for i in range(self.cin):
            win = self.window(p, q, i)
            for r in range(win.rows):
                for s in range(win.cols):
                    if win[r, s] != 0:
                        out.append((win[r, s], self.kernel.entry(j, i, r, s)))
        return out

    def column(self, wrt: str, r: int, s: int, j: int = 0, i: int = 0) -> sp.ImmutableMatrix:
        """One Jacobian column built as the appendix builds it.

        ``wrt="K"``: ``vec(A_i * dK/dK_rs)`` (eq.a1-3); ``wrt="A"``:
        ``vec(dA/dA_rs * K_{j,i})`` (eq.a2-3).  ``r, s`` are 0-based."""
        j, i = check_index("j", j, self.cout), check_index("i", i, self.cin)
        if wrt == "K":
            e = ops.unit(
                self.spec.kernel, check_index("r", r, self.spec.kernel[0]), check_index("s", s, self.spec.kernel[1])
            )
            return ops.vec(ops.correlate(self.A[i], e, self.geometry))
        if wrt == "A":
            h, w = self.geometry.input
            e = ops.unit((h, w), check_index("r", r, h), check_index("s", s, w))
            return ops.vec(ops.correlate(e, self.K[j][i], self.geometry))
        raise unknown(wrt, "'K' or 'A'")

    # -- Jacobians -------------------------------------------------------------------
    def jacobian(self, wrt: str, **index: int) -> VecJacobian:
        """``d vZ_j/d vK_{j,i}`` (``wrt="K"``), ``d vZ_j/d vA_i`` (``"A"``), ``d vZ_j/d b_j`` (``"b"``)."""
        j = check_index("j", index.get("j", 0), self.cout)
        nz = self.geometry.output[0] * self.geometry.output[1]
        of = label(self.output, j)
        if wrt == "b":
            if self.bias is None:
                raise unknown(wrt, "'K' or 'A' (this layer has no bias)")
            return VecJacobian.build((nz, 1), np.arange(nz), np.zeros(nz), np.zeros(nz), ONE, of, label(self.bias, j))
        i = check_index("i", index.get("i", 0), self.cin)
        if wrt == "K":
            table = Exprs(self.input.view(i))
            return self._pattern("K").with_values(table, of, label(self.kernel, j, i))
        if wrt == "A":
            return self._pattern("A").with_values(Exprs(self.kernel.view(j, i)), of, label(self.input, i))
        raise unknown(wrt, "'K', 'A' or 'b'")

    def _pattern(self, wrt: str) -> VecJacobian:
        """The sorted triplets of one (j, i) block: the same for every block (3.1.5 notes that
        ``d vZ_j/d vK_{j,i}`` depends on ``A_i`` only); blocks differ in their value table.
        Kept per derivation (``_patterns``), so it goes with the derivation."""
        if wrt not in self._patterns:
            self._patterns[wrt] = self._build_pattern(wrt)
        return self._patterns[wrt]

    def _build_pattern(self, wrt: str) -> VecJacobian:
        out, ker, inp = self.geometry.triplets
        nz = self.geometry.output[0] * self.geometry.output[1]
        hw = self.geometry.input[0] * self.geometry.input[1]
        nk = self.spec.kernel[0] * self.spec.kernel[1]
        if wrt == "K":
            return VecJacobian.build((nz, nk), out, ker, inp, ONE, "", "")
        return VecJacobian.build((nz, hw), out, inp, ker, ONE, "", "")

    def full_jacobian(self, wrt: str) -> VecJacobian:
        out, ker, inp = self.geometry.triplets
        nz = self.geometry.output[0] * self.geometry.output[1]
        hw = self.geometry.input[0] * self.geometry.input[1]
        nk = self.spec.kernel[0] * self.spec.kernel[1]
        j = np.arange(self.cout)[:, None, None]
        i = np.arange(self.cin)[None, :, None]
        shape_rows = self.cout * nz
        rows = np.broadcast_to(j * nz + out, (self.cout, self.cin, out.size))
        blocks = (j * self.cin + i) * nk
        of, name = label(self.output), label(self.input)
        if wrt == "A":
            return VecJacobian.build(
                (shape_rows, self.cin * hw), rows, i * hw + inp, blocks + ker, Exprs(self.kernel.flat), of, name
            )
        if wrt == "K":
            return VecJacobian.build(
                (shape_rows, self.kernel.size),
                rows,
                blocks + ker,
                np.broadcast_to(i * hw + inp, rows.shape),
                Exprs(self.input.flat),
                of,
                label(self.kernel),
            )
        if wrt == "b" and self.bias is not None:
            r = np.arange(shape_rows)
            return VecJacobian.build((shape_rows, self.cout), r, r // nz, np.zeros_like(r), ONE, of, label(self.bias))
        raise unknown(wrt, "'A', 'K' or 'b'")

    def jacobian_list(self) -> list[JacobianInfo]:
        infos = []
        for j in range(self.cout):
            for i in range(self.cin):
                infos.append(self._info("K", self.jacobian("K", j=j, i=i), j=j, i=i))
            if self.bias is not None:
                infos.append(self._info("b", self.jacobian("b", j=j), j=j))
            for i in range(self.cin):
                infos.append(self._info("A", self.jacobian("A", j=j, i=i), j=j, i=i))
        return infos

    # -- forward -----------------------------------------------------------------------
    def forward(self) -> list[sp.Expr]:
        return [e for zj in self.Z for e in ops.vec(zj)]

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        out, ker, inp = self.geometry.triplets
        nz = self.geometry.output[0] * self.geometry.output[1]
        a = np.asarray(x, dtype=float).reshape(self.cin, -1)
        k = np.asarray(params["K"], dtype=float).reshape(self.cout, self.cin, -1)
        contrib = np.einsum("it,jit->jt", a[:, inp], k[:, :, ker])
        z = np.stack([np.bincount(out, weights=contrib[j], minlength=nz) for j in range(self.cout)])
        if self.bias is not None:
            z = z + np.asarray(params["b"], dtype=float).reshape(-1, 1)
        return z.reshape(-1)
