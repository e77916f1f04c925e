"""2D convolution (seed section 2, 3.1.5 and Appendix A)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np
import sympy as sp

from ... import ops
from ...rule import ONE, JacobianInfo, Kernelled, Windowed, check_index, label, unknown
from ...sparse import Exprs, VecJacobian
from ...symbols import Tensor
from .spec import Conv2D


class ConvDerivation(Windowed, Kernelled):
    """``Z_j = sum_i A_i * K_{j,i} + b_j 1`` and its vec Jacobians.

    With groups, kernel ``j`` has ``c_in / groups`` channels and its channel ``i`` meets input
    channel ``spec.input_channel(j, i)``: ``Z_j = sum_i A_{input_channel(j, i)} * K_{j,i} + b_j 1``.
    ``i`` indexes the kernel's own channels for ``K`` (as ``K[j, i]`` does in the arrays) and
    the input's channels for ``A``; without groups the two are the same.

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

    def __init__(self, spec: Conv2D, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.spec: Conv2D = spec
        cout, cin = spec.out_channels, spec.in_shape[0]
        many = cout > 1 or cin > 1 or layer is not None
        self.kernel = Tensor("K", "k", (cout, spec.kernel_channels, *spec.kernel), layer, channel_index=many)
        self.bias = self._bias(layer)
        self.geometry = spec.geometry
        self._patterns: dict[str, VecJacobian] = {}

    # -- the DESIGN.md interface (cin, cout, groups and params: Kernelled) ------------------
    @property
    def ck(self) -> int:
        """The channels of each kernel: ``c_in / groups``."""
        return self.spec.kernel_channels

    @cached_property
    def A(self) -> list[sp.ImmutableMatrix]:  # noqa: N802 - the seed's names
        """``A_i``: one symbol matrix per input channel."""
        return [self.input.matrix(i) for i in range(self.cin)]

    @cached_property
    def K(self) -> list[list[sp.ImmutableMatrix]]:  # noqa: N802
        """``K[j][i]``: channel ``i`` of kernel ``j`` (``c_in / groups`` channels each)."""
        return [[self.kernel.matrix(j, i) for i in range(self.ck)] for j in range(self.cout)]

    @cached_property
    def b(self) -> list[sp.Expr]:
        """``b_j`` (zero when the layer has no bias)."""
        return list(self.bias.flat) if self.bias is not None else [sp.S.Zero] * self.cout

    @cached_property
    def Z(self) -> list[sp.ImmutableMatrix]:  # noqa: N802
        """``Z_j = sum_i A_i * K_{j,i} + b_j 1`` (section 2), built with :func:`ops.correlate`;
        with groups the sum runs over the kernel's channels, each meeting its input channel."""
        hz, wz = self.geometry.output
        out = []
        for j in range(self.cout):
            total = sp.ImmutableMatrix(hz, wz, lambda p, q, j=j: self.b[j])
            for i in range(self.ck):
                a = self.A[self.spec.input_channel(j, i)]
                total = total + ops.correlate(a, self.K[j][i], self.geometry)
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
        """rep.2 as ``(a, k)`` pairs in the seed's order: channels (the kernel's, each meeting
        its input channel), then the window row by row."""
        j = check_index("j", j, self.cout)
        out = []
        for i in range(self.ck):
            win = self.window(p, q, self.spec.input_channel(j, i))
            for r in range(win.rows):
                for s in range(win.cols):
                    if win[r, s] != 0:
                        out.append((win[r, s], self.kernel.entry(j, i, r, s)))
        return out

    def column(self, wrt: str, r: int, s: int, j: int = 0, i: int = 0) -> sp.ImmutableMatrix:
        """One Jacobian column built as the appendix builds it.

        ``wrt="K"``: ``vec(A_i * dK/dK_rs)`` (eq.a1-3), ``i`` a channel of kernel ``j`` and
        ``A_i`` the input channel it meets; ``wrt="A"``: ``vec(dA/dA_rs * K_{j,i})`` (eq.a2-3),
        ``i`` an input channel, a zero column when it is outside kernel ``j``'s group.
        ``r, s`` are 0-based."""
        j = check_index("j", j, self.cout)
        if wrt == "K":
            i = check_index("i", i, self.ck)
            e = ops.unit(
                self.spec.kernel, check_index("r", r, self.spec.kernel[0]), check_index("s", s, self.spec.kernel[1])
            )
            return ops.vec(ops.correlate(self.A[self.spec.input_channel(j, i)], e, self.geometry))
        if wrt == "A":
            i = check_index("i", i, self.cin)
            h, w = self.geometry.input
            e = ops.unit((h, w), check_index("r", r, h), check_index("s", s, w))
            if i not in self.spec.group_inputs(j):
                return sp.ImmutableMatrix.zeros(self.geometry.output[0] * self.geometry.output[1], 1)
            return ops.vec(ops.correlate(e, self.K[j][i - self.spec.group_inputs(j)[0]], self.geometry))
        raise unknown(wrt, "'K' or 'A'")

    # -- Jacobians -------------------------------------------------------------------
    def jacobian(self, wrt: str, **index: int) -> VecJacobian:
        """``d vZ_j/d vK_{j,i}`` (``wrt="K"``, ``i`` a channel of kernel ``j``), ``d vZ_j/d vA_i``
        (``"A"``, ``i`` an input channel: the zero matrix when ``i`` is outside kernel ``j``'s
        group, as ``Z_j`` does not involve ``A_i``), ``d vZ_j/d b_j`` (``"b"``)."""
        j = check_index("j", index.get("j", 0), self.cout)
        nz = self.geometry.output[0] * self.geometry.output[1]
        of = label(self.output, j)
        if wrt == "b":
            if self.bias is None:
                raise unknown(wrt, "'K' or 'A' (this layer has no bias)")
            return VecJacobian.build((nz, 1), np.arange(nz), np.zeros(nz), np.zeros(nz), ONE, of, label(self.bias, j))
        if wrt == "K":
            i = check_index("i", index.get("i", 0), self.ck)
            table = Exprs(self.input.view(self.spec.input_channel(j, i)))
            return self._pattern("K").with_values(table, of, label(self.kernel, j, i))
        if wrt == "A":
            i = check_index("i", index.get("i", 0), self.cin)
            if i not in self.spec.group_inputs(j):
                zero = np.zeros(0, dtype=np.int64)
                shape = self._pattern("A").shape
                return VecJacobian.build(shape, zero, zero, zero, ONE, of, label(self.input, i))
            kernel = self.kernel.view(j, i - self.spec.group_inputs(j)[0])
            return self._pattern("A").with_values(Exprs(kernel), of, label(self.input, i))
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
        # one block per kernel j and kernel channel i, which meets input channel ``channel``
        j = np.arange(self.cout)[:, None, None]
        i = np.arange(self.ck)[None, :, None]
        channel = self.spec.input_channel(j, i)
        shape_rows = self.cout * nz
        rows = np.broadcast_to(j * nz + out, (self.cout, self.ck, out.size))
        blocks = (j * self.ck + i) * nk
        of, name = label(self.output), label(self.input)
        if wrt == "A":
            return VecJacobian.build(
                (shape_rows, self.cin * hw), rows, channel * hw + inp, blocks + ker, Exprs(self.kernel.flat), of, name
            )
        if wrt == "K":
            return VecJacobian.build(
                (shape_rows, self.kernel.size),
                rows,
                blocks + ker,
                np.broadcast_to(channel * hw + inp, rows.shape),
                Exprs(self.input.flat),
                of,
                label(self.kernel),
            )
        if wrt == "b" and self.bias is not None:
            r = np.arange(shape_rows)
            return VecJacobian.build((shape_rows, self.cout), r, r // nz, np.zeros_like(r), ONE, of, label(self.bias))
        raise unknown(wrt, "'A', 'K' or 'b'")

    def jacobian_list(self) -> list[JacobianInfo]:
        """Every Jacobian of 3.1.5's chain rule.  With groups, ``d vZ_j/d vA_i`` is listed for
        the input channels of kernel ``j``'s group only: for the others it is the zero matrix
        (:meth:`jacobian` gives it), a term that drops out of ``dJ/dvA_i = sum_j ...``."""
        infos = []
        for j in range(self.cout):
            for i in range(self.ck):
                infos.append(self._info("K", self.jacobian("K", j=j, i=i), j=j, i=i))
            if self.bias is not None:
                infos.append(self._info("b", self.jacobian("b", j=j), j=j))
            for i in self.spec.group_inputs(j):
                infos.append(self._info("A", self.jacobian("A", j=j, i=i), j=j, i=i))
        return infos

    # -- forward -----------------------------------------------------------------------
    def forward(self) -> list[sp.Expr]:
        return [e for zj in self.Z for e in ops.vec(zj)]

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        out, ker, inp = self.geometry.triplets
        nz = self.geometry.output[0] * self.geometry.output[1]
        a = np.asarray(x, dtype=float).reshape(self.cin, -1)
        k = np.asarray(params["K"], dtype=float).reshape(self.cout, self.ck, -1)
        channel = self.spec.input_channel(np.arange(self.cout)[:, None], np.arange(self.ck)[None, :])
        contrib = np.einsum("jit,jit->jt", a[channel][:, :, inp], k[:, :, ker])
        z = np.stack([np.bincount(out, weights=contrib[j], minlength=nz) for j in range(self.cout)])
        if self.bias is not None:
            z = z + np.asarray(params["b"], dtype=float).reshape(-1, 1)
        return z.reshape(-1)
