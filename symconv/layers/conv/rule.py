"""The general convolution (seed section 2, 3.1.5 and Appendix A) in any number of axes, and
the transposed convolution as its transpose: one rule for both."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np
import sympy as sp

from ... import ops
from ...errors import SpecError
from ...rule import ONE, JacobianInfo, Kernelled, Windowed, check_index, label, unknown
from ...sparse import Exprs, VecJacobian
from ...symbols import Tensor, shaped
from .spec import Conv, ConvTranspose


class ConvDerivation(Windowed, Kernelled):
    """``Z_j = sum_i A_i * K_{j,i} + b_j 1`` and its vec Jacobians, along every axis of the
    layer's general geometry (stride, dilation, input dilation, padding or cropping, padding
    mode).

    With groups, kernel ``j`` has ``c_in / groups`` channels and its channel ``i`` meets input
    channel ``spec.input_channel(j, i)``: ``Z_j = sum_i A_{input_channel(j, i)} * K_{j,i} + b_j 1``.
    ``i`` indexes the kernel's own channels for ``K`` (as ``K[j, i]`` does in the arrays) and
    the input's channels for ``A``; without groups the two are the same.

    * ``d vZ_j / d vK_{j,i}``: column ``r`` is ``vec(A_i * dK/dK_r)`` (eq.a1-3);
    * ``d vZ_j / d vA_i``: column ``r`` is ``vec(dA/dA_r * K_{j,i})`` (eq.a2-3);
    * ``d vZ_j / d b_j`` is a column of ones (3.1.5).

    The unit tensor ``dK/dK_r`` picks one kernel position, so column ``r`` of the first holds,
    for every output, the input entry its window puts at ``r``; the unit tensor ``dA/dA_r``
    puts a single 1 in the input, so column ``r`` of the second is nonzero only at the outputs
    whose window covers ``A_r`` (under a padding mode also where a window covers a copy of
    ``A_r``: the kernel entries there add up).  Both are read off the window map
    (:attr:`Geometry.triplets`) at once; :meth:`column` builds one column literally as the
    appendix does.

    A transposed convolution (:class:`~.spec.ConvTranspose`) is the convolution of its
    geometry with the kernel turned by 180° and its channel axes swapped: its ``K_{i,j}``
    (PyTorch's layout ``(C_in, C_out/groups, *kernel)``) is the turned kernel that output
    channel ``j`` puts on input channel ``i``.  Its ``jacobian("K", j=j, i=i)`` is
    ``d vZ_j / d vK_{i,j}``, ``i`` an input channel of ``j``'s group.
    """

    section = "Appendix A; 3.1.5"

    def __init__(self, spec: Conv | ConvTranspose, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.spec: Conv | ConvTranspose = spec
        self.transposed = isinstance(spec, ConvTranspose)
        cout, cin = spec.out_channels, spec.in_shape[0]
        many = cout > 1 or cin > 1 or layer is not None
        lead = (cin, cout // spec.groups) if self.transposed else (cout, cin // spec.groups)
        self.kernel = Tensor("K", "k", (*lead, *spec.kernel), layer, channel_index=many, spatial=spec.axes)
        self.bias = self._bias(layer)
        self.geometry = spec.geometry
        self._patterns: dict[str, VecJacobian] = {}

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.spec.kind

    # -- channels: which kernel block output channel j puts on which input channel ------------
    @property
    def ck(self) -> int:
        """The input channels each output channel meets: ``c_in / groups``."""
        return self.cin // self.groups

    @property
    def cout_g(self) -> int:
        return self.cout // self.groups

    def input_channel(self, j: int, c: int) -> int:
        """The input channel the ``c``-th (0-based) input of output channel ``j``'s group is."""
        return j // self.cout_g * self.ck + c

    def group_inputs(self, j: int) -> range:
        """The input channels output channel ``j`` meets (0-based): its group's."""
        first = self.input_channel(j, 0)
        return range(first, first + self.ck)

    def group_outputs(self, i: int) -> range:
        """The output channels that meet input channel ``i`` (0-based): its group's."""
        first = i // self.ck * self.cout_g
        return range(first, first + self.cout_g)

    def block(self, j: int, c: int) -> tuple[int, int]:
        """The kernel block (its two leading indices) output channel ``j`` puts on its group's
        ``c``-th input channel: ``(j, c)``, or transposed ``(input channel, j mod C_out/groups)``."""
        if self.transposed:
            return (self.input_channel(j, c), j % self.cout_g)
        return (j, c)

    def kernel_index(self, j: int, i: int) -> int:
        """``c`` of :meth:`block` for the API's ``i``: a kernel channel (a convolution), an input
        channel of ``j``'s group (a transposed convolution; a SpecError outside it)."""
        j = check_index("j", j, self.cout)
        if not self.transposed:
            return check_index("i", i, self.ck)
        i = check_index("i", i, self.cin)
        if i not in self.group_inputs(j):
            raise SpecError(
                "i",
                f"input channel {i} is in group {i // self.ck}, output channel {j} in group "
                f"{j // self.cout_g}: they do not meet (groups={self.groups})",
            )
        return i - self.group_inputs(j)[0]

    def pairs(self) -> list[tuple[int, int, int]]:
        """Every ``(j, c, input channel)`` that meets."""
        return [(j, c, self.input_channel(j, c)) for j in range(self.cout) for c in range(self.ck)]

    def _turn(self, ker: np.ndarray) -> np.ndarray:
        """Kernel positions of the convolution as positions of the stored kernel: the same, or
        turned by 180° along every axis (``vec`` index ``v`` becomes ``n_k - 1 - v``)."""
        return self.geometry_kernel_size - 1 - ker if self.transposed else ker

    @property
    def geometry_kernel_size(self) -> int:
        return int(np.prod(self.spec.kernel))

    def kernel_entries(self, j: int, c: int) -> list[sp.Expr]:
        """The kernel output channel ``j`` correlates its group's ``c``-th input channel with,
        in ``vec`` order (turned for a transposed convolution)."""
        view = list(self.kernel.view(*self.block(j, c)))
        return view[::-1] if self.transposed else view

    # -- the DESIGN.md interface (cin, cout, groups and params: Kernelled) ------------------
    @cached_property
    def A(self) -> list[sp.ImmutableMatrix | sp.ImmutableDenseNDimArray]:  # noqa: N802 - the seed's names
        """``A_i``: one symbol block per input channel."""
        return [self.input.matrix(i) for i in range(self.cin)]

    @cached_property
    def K(self) -> list[list[sp.ImmutableMatrix | sp.ImmutableDenseNDimArray]]:  # noqa: N802
        """``K[j][i]``: channel ``i`` of kernel ``j`` (``c_in / groups`` channels each); for a
        transposed convolution ``K[i][jl]``, PyTorch's layout."""
        first, second = self.kernel.shape[:2]
        return [[self.kernel.matrix(a, b) for b in range(second)] for a in range(first)]

    @cached_property
    def b(self) -> list[sp.Expr]:
        """``b_j`` (zero when the layer has no bias)."""
        return list(self.bias.flat) if self.bias is not None else [sp.S.Zero] * self.cout

    @cached_property
    def Z(self) -> list[sp.ImmutableMatrix | sp.ImmutableDenseNDimArray]:  # noqa: N802
        """``Z_j = sum_i A_i * K_{j,i} + b_j 1`` (section 2), built with :func:`ops.correlate_vec`;
        with groups the sum runs over the kernel's channels, each meeting its input channel."""
        nz = int(np.prod(self.geometry.output))
        out = []
        for j in range(self.cout):
            total = [self.b[j]] * nz
            for c in range(self.ck):
                a = self.input.vec(self.input_channel(j, c))
                part = ops.correlate_vec(a, self.kernel_entries(j, c), self.geometry)
                total = [x + y for x, y in zip(total, part, strict=True)]
            out.append(shaped(total, self.geometry.output))
        return out

    @property
    def z(self) -> Tensor:
        """rep.3: the named output entries."""
        return self.output

    # -- the forms the seed shows --------------------------------------------------
    def padded(self, i: int = 0) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
        """Input channel ``i`` with its padding (Appendix A, first line): zeros, or the copies
        of a padding mode, and an input dilation's zeros."""
        return ops.padded(self.input.grid(check_index("i", i, self.cin)), self.geometry)

    def window(self, *p: int, i: int = 0) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
        """rep.1: the block of padded ``A_i`` that output ``p`` is computed from (0-based)."""
        if len(p) == self.geometry.ndim + 1:  # the 2-D API's window(p, q, i)
            *p, i = p  # type: ignore[assignment]
        return ops.window(self.input.grid(check_index("i", i, self.cin)), self.geometry, *p)

    def terms(self, *p: int, j: int = 0) -> list[tuple[sp.Expr, sp.Expr]]:
        """rep.2 as ``(a, k)`` pairs in the seed's order: the input channels of ``j``'s group,
        then the window position by position (row by row in 2-D)."""
        if len(p) == self.geometry.ndim + 1:  # the 2-D API's terms(p, q, j)
            *p, j = p  # type: ignore[assignment]
        j = check_index("j", j, self.cout)
        win = self.geometry.windows[tuple(p)]
        shape = self.geometry.kernel
        out = []
        for c in range(self.ck):
            a = self.input.view(self.input_channel(j, c))
            k = self.kernel_entries(j, c)
            for pos in np.ndindex(*shape):  # row-major: row by row in 2-D
                at = int(win[pos])
                if at >= 0:
                    out.append((a[at], k[int(np.ravel_multi_index(pos, shape, order="F"))]))
        return out

    def column(self, wrt: str, *position: int, j: int = 0, i: int = 0) -> sp.ImmutableMatrix:
        """One Jacobian column built as the appendix builds it (0-based position).

        ``wrt="K"``: ``vec(A_i * dK/dK_r)`` (eq.a1-3), ``i`` as in :meth:`jacobian` and ``r`` a
        position of the stored kernel; ``wrt="A"``: ``vec(dA/dA_r * K_{j,i})`` (eq.a2-3), ``i``
        an input channel, a zero column when it is outside kernel ``j``'s group."""
        j = check_index("j", j, self.cout)
        g = self.geometry
        if wrt == "K":
            c = self.kernel_index(j, i)
            at = tuple(check_index("r", r, n) for r, n in zip(position, g.kernel, strict=True))
            if self.transposed:
                at = tuple(n - 1 - r for r, n in zip(at, g.kernel, strict=True))
            e = ops.entries(ops.unit(g.kernel, *at), g.kernel)
            a = self.input.vec(self.input_channel(j, c))
            return sp.ImmutableMatrix(ops.correlate_vec(a, e, g))
        if wrt == "A":
            i = check_index("i", i, self.cin)
            at = tuple(check_index("r", r, n) for r, n in zip(position, g.input, strict=True))
            if i not in self.group_inputs(j):
                return sp.ImmutableMatrix.zeros(int(np.prod(g.output)), 1)
            e = ops.entries(ops.unit(g.input, *at), g.input)
            return sp.ImmutableMatrix(ops.correlate_vec(e, self.kernel_entries(j, i - self.group_inputs(j)[0]), g))
        raise unknown(wrt, "'K' or 'A'")

    # -- Jacobians -------------------------------------------------------------------
    @property
    def _sizes(self) -> tuple[int, int, int]:
        """Entries of one output channel, one input channel and one kernel block."""
        g = self.geometry
        return int(np.prod(g.output)), int(np.prod(g.input)), self.geometry_kernel_size

    def jacobian(self, wrt: str, **index: int) -> VecJacobian:
        """``d vZ_j/d vK`` (``wrt="K"``: ``K_{j,i}``, ``i`` a channel of kernel ``j``; transposed,
        ``K_{i,j}``, ``i`` an input channel), ``d vZ_j/d vA_i`` (``"A"``, ``i`` an input channel:
        the zero matrix when ``i`` is outside ``j``'s group, as ``Z_j`` does not involve
        ``A_i``), ``d vZ_j/d b_j`` (``"b"``)."""
        j = check_index("j", index.get("j", 0), self.cout)
        nz, _, _ = self._sizes
        of = label(self.output, j)
        if wrt == "b":
            if self.bias is None:
                raise unknown(wrt, "'K' or 'A' (this layer has no bias)")
            return VecJacobian.build((nz, 1), np.arange(nz), np.zeros(nz), np.zeros(nz), ONE, of, label(self.bias, j))
        if wrt == "K":
            c = self.kernel_index(j, index.get("i", 0))
            table = Exprs(self.input.view(self.input_channel(j, c)))
            return self._pattern("K").with_values(table, of, label(self.kernel, *self.block(j, c)))
        if wrt == "A":
            i = check_index("i", index.get("i", 0), self.cin)
            if i not in self.group_inputs(j):
                zero = np.zeros(0, dtype=np.int64)
                return VecJacobian.build(self._pattern("A").shape, zero, zero, zero, ONE, of, label(self.input, i))
            kernel = self.kernel.view(*self.block(j, i - self.group_inputs(j)[0]))
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
        nz, na, nk = self._sizes
        stored = self._turn(ker)
        if wrt == "K":
            return VecJacobian.build((nz, nk), out, stored, inp, ONE, "", "")
        return VecJacobian.build_summed((nz, na), out, inp, stored, Exprs(self.kernel.view(*self.block(0, 0))), "", "")

    def full_jacobian(self, wrt: str) -> VecJacobian:
        out, ker, inp = self.geometry.triplets
        nz, na, nk = self._sizes
        pairs = np.array(self.pairs(), dtype=np.int64).reshape(-1, 3)
        j, channel = pairs[:, 0:1], pairs[:, 2:3]
        blocks = np.array(
            [np.ravel_multi_index(self.block(int(a), int(b)), self.kernel.shape[:2]) for a, b, _ in pairs]
        )
        blocks = blocks.reshape(-1, 1) * nk
        rows = np.broadcast_to(j * nz + out, (len(pairs), out.size))
        stored = self._turn(ker)
        of, name = label(self.output), label(self.input)
        if wrt == "A":
            return VecJacobian.build_summed(
                (self.cout * nz, self.cin * na),
                rows,
                channel * na + inp,
                blocks + stored,
                Exprs(self.kernel.flat),
                of,
                name,
            )
        if wrt == "K":
            return VecJacobian.build(
                (self.cout * nz, self.kernel.size),
                rows,
                blocks + stored,
                np.broadcast_to(channel * na + inp, rows.shape),
                Exprs(self.input.flat),
                of,
                label(self.kernel),
            )
        if wrt == "b" and self.bias is not None:
            r = np.arange(self.cout * nz)
            return VecJacobian.build((r.size, self.cout), r, r // nz, np.zeros_like(r), ONE, of, label(self.bias))
        raise unknown(wrt, "'A', 'K' or 'b'")

    def jacobian_list(self) -> list[JacobianInfo]:
        """Every Jacobian of 3.1.5's chain rule.  With groups, ``d vZ_j/d vA_i`` is listed for
        the input channels of kernel ``j``'s group only: for the others it is the zero matrix
        (:meth:`jacobian` gives it), a term that drops out of ``dJ/dvA_i = sum_j ...``."""
        infos = []
        for j in range(self.cout):
            for c in range(self.ck):
                i = self.input_channel(j, c) if self.transposed else c
                infos.append(self._info("K", self.jacobian("K", j=j, i=i), j=j, i=i))
            if self.bias is not None:
                infos.append(self._info("b", self.jacobian("b", j=j), j=j))
            for i in self.group_inputs(j):
                infos.append(self._info("A", self.jacobian("A", j=j, i=i), j=j, i=i))
        return infos

    # -- forward -----------------------------------------------------------------------
    def forward(self) -> list[sp.Expr]:
        return [e for zj in self.Z for e in ops.entries(zj, self.geometry.output)]

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        out, ker, inp = self.geometry.triplets
        nz, _, nk = self._sizes
        a = np.asarray(x, dtype=float).reshape(self.cin, -1)
        k = np.asarray(params["K"], dtype=float).reshape(*self.kernel.shape[:2], nk)
        stored = self._turn(ker)
        z = np.zeros((self.cout, nz))
        for j, c, channel in self.pairs():
            z[j] += np.bincount(out, weights=a[channel, inp] * k[self.block(j, c)][stored], minlength=nz)
        if self.bias is not None:
            z = z + np.asarray(params["b"], dtype=float).reshape(-1, 1)
        return z.reshape(-1)
