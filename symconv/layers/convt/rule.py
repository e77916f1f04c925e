"""Transposed 2D convolution (PyTorch's ``conv_transpose2d``): the adjoint of a convolution.

Let ``Y = U * K`` be the seed's convolution (section 2, Appendix A) of an output-sized ``U``
by the layer's kernel, with its padding, stride and dilation.  eq.a2-3 gives ``d vY/d vU``,
whose row ``(p, q)`` holds ``k_rs`` at the entry of ``U`` that window ``(p, q)`` puts at kernel
position ``(r, s)``.  The transposed convolution is

    vZ_j = sum_i (d vY/d vU)^T vA_i + b_j 1,     Y = U * K_{i,j},

keeping the rows ``p <= h_a``, ``q <= w_a`` of ``d vY/d vU`` (one more row of windows exists
where ``output_padding >= stride``).  Entry by entry: ``a_{i,pq}`` adds ``a_{i,pq} k_{i,j,rs}``
into ``z_{j, (p-1) s_h - p_top + (r-1) d_h + 1, (q-1) s_w - p_left + (s-1) d_w + 1}``, the
scatter of each input entry times the kernel.  Both vec Jacobians are read off the same
window map (:attr:`Geometry.triplets` of the convolution), so the work is proportional to
their nonzeros.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np
import sympy as sp

from ... import ops
from ...errors import SpecError
from ...geometry import Geometry
from ...rule import ONE, JacobianInfo, Kernelled, check_index, label, unknown
from ...sparse import Exprs, VecJacobian
from ...symbols import Tensor
from .spec import ConvTranspose2D


class ConvTransposeDerivation(Kernelled):
    """``Z_j = sum_i A_i *^T K_{i,j} + b_j 1`` and its vec Jacobians.

    * ``d vZ_j / d vK_{i,j}``: column ``(r, s)`` holds ``a_{i,pq}`` at the output that input
      entry ``(p, q)`` reaches through kernel position ``(r, s)``;
    * ``d vZ_j / d vA_i = (d vY/d vU)^T`` of the convolution ``Y = U * K_{i,j}`` (eq.a2-3),
      rows of ``d vY/d vU`` past the input dropped; zero when ``i`` is not in ``j``'s group;
    * ``d vZ_j / d b_j`` is a column of ones.

    ``K_{i,j}`` is ``K[i, j - g C_out/groups]`` for output channel ``j`` of group ``g``
    (PyTorch's layout ``(C_in, C_out/groups, h_k, w_k)``); indices are 0-based.
    """

    kind = "conv_transpose2d"
    section = "Appendix A, eq.a2-3 (transposed); 3.1.5"

    def __init__(self, spec: ConvTranspose2D, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.spec: ConvTranspose2D = spec
        self.cin_g, self.cout_g = spec.group_channels
        many = spec.out_channels > 1 or self.cin > 1 or layer is not None
        self.kernel = Tensor("K", "k", (self.cin, self.cout_g, *spec.kernel), layer, channel_index=many)
        self.bias = self._bias(layer)
        #: the convolution this layer is the adjoint of (input: the layer's output size)
        self.adjoint: Geometry = spec.adjoint

    # -- shapes and channels (cin, cout, groups and params: Kernelled) ---------------------
    @property
    def input_size(self) -> tuple[int, int]:
        return (self.spec.in_shape[1], self.spec.in_shape[2])

    def group_of_output(self, j: int) -> int:
        return j // self.cout_g

    def pairs(self) -> list[tuple[int, int, int]]:
        """Every ``(i, j, jl)`` that meets: input channel ``i``, output channel ``j`` of ``i``'s
        group and ``jl = j - g C_out/groups``, the kernel's second index."""
        return [(i, (i // self.cin_g) * self.cout_g + jl, jl) for i in range(self.cin) for jl in range(self.cout_g)]

    def kernel_of(self, j: int, i: int) -> int:
        """The second kernel index ``jl`` of ``K_{i,j}``; a SpecError when ``i`` is not in ``j``'s group."""
        j, i = check_index("j", j, self.cout), check_index("i", i, self.cin)
        if i // self.cin_g != self.group_of_output(j):
            raise SpecError(
                "i",
                f"input channel {i} is in group {i // self.cin_g}, output channel {j} in group "
                f"{self.group_of_output(j)}: they do not meet (groups={self.groups})",
            )
        return j - self.group_of_output(j) * self.cout_g

    @cached_property
    def triplets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (output entry, kernel position, input entry) that meets, as vec indices
        ``z``, ``s h_k + r`` and ``q h_a + p``: the convolution's window map with its roles
        swapped (its input is this layer's output) and its windows past ``h_a x w_a`` dropped."""
        out, ker, inp = self.adjoint.triplets
        hy = self.adjoint.output[0]
        ha, wa = self.input_size
        p, q = out % hy, out // hy
        keep = (p < ha) & (q < wa)
        arrays = (inp[keep], ker[keep], (q * ha + p)[keep])
        for a in arrays:
            a.setflags(write=False)
        return arrays

    @property
    def _sizes(self) -> tuple[int, int, int]:
        hz, wz = self.spec.output_size
        ha, wa = self.input_size
        return hz * wz, ha * wa, self.spec.kernel[0] * self.spec.kernel[1]

    # -- the seed's names ------------------------------------------------------------------
    @cached_property
    def A(self) -> list[sp.ImmutableMatrix]:  # noqa: N802 - the seed's names
        """``A_i``: one symbol matrix per input channel."""
        return [self.input.matrix(i) for i in range(self.cin)]

    @cached_property
    def K(self) -> list[list[sp.ImmutableMatrix]]:  # noqa: N802
        """``K[i][jl]``: the kernel from input channel ``i`` to output channel ``g C_out/groups + jl``."""
        return [[self.kernel.matrix(i, jl) for jl in range(self.cout_g)] for i in range(self.cin)]

    @cached_property
    def b(self) -> list[sp.Expr]:
        """``b_j`` (zero when the layer has no bias)."""
        return list(self.bias.flat) if self.bias is not None else [sp.S.Zero] * self.cout

    @cached_property
    def Z(self) -> list[sp.ImmutableMatrix]:  # noqa: N802
        """``Z_j``: every input entry scattered times the kernel, plus the bias."""
        nz, _, _ = self._sizes
        hz, _ = self.spec.output_size
        zi, ker, ai = self.triplets
        terms: list[list[sp.Expr]] = [[] for _ in range(self.cout * nz)]
        for i, j, jl in self.pairs():
            a, k = self.input.view(i), self.kernel.view(i, jl)
            for z, r, x in zip(zi.tolist(), ker.tolist(), ai.tolist(), strict=True):
                terms[j * nz + z].append(a[x] * k[r])
        out = []
        for j in range(self.cout):
            entries = [sp.Add(*terms[j * nz + z]) + self.b[j] for z in range(nz)]
            out.append(sp.ImmutableMatrix(hz, nz // hz, lambda p, q, e=entries, h=hz: e[q * h + p]))
        return out

    # -- Jacobians -------------------------------------------------------------------------
    def jacobian(self, wrt: str, **index: int) -> VecJacobian:
        """``d vZ_j/d vK_{i,j}`` (``wrt="K"``), ``d vZ_j/d vA_i`` (``"A"``), ``d vZ_j/d b_j`` (``"b"``)."""
        nz, na, nk = self._sizes
        j = check_index("j", index.get("j", 0), self.cout)
        of = label(self.output, j)
        if wrt == "b":
            if self.bias is None:
                raise unknown(wrt, "'K' or 'A' (this layer has no bias)")
            return VecJacobian.build((nz, 1), np.arange(nz), np.zeros(nz), np.zeros(nz), ONE, of, label(self.bias, j))
        i = check_index("i", index.get("i", 0), self.cin)
        zi, ker, ai = self.triplets
        if wrt == "K":
            jl = self.kernel_of(j, i)
            return VecJacobian.build((nz, nk), zi, ker, ai, Exprs(self.input.view(i)), of, label(self.kernel, i, jl))
        if wrt == "A":
            if i // self.cin_g != self.group_of_output(j):  # another group: no path, a zero matrix
                empty = np.zeros(0, dtype=np.int64)
                return VecJacobian.build((nz, na), empty, empty, empty, ONE, of, label(self.input, i))
            table = Exprs(self.kernel.view(i, self.kernel_of(j, i)))
            return VecJacobian.build((nz, na), zi, ai, ker, table, of, label(self.input, i))
        raise unknown(wrt, "'K', 'A' or 'b'")

    def full_jacobian(self, wrt: str) -> VecJacobian:
        """``d vZ / d v(wrt)`` over all channels: the blocks of :meth:`jacobian` for every
        ``(i, j)`` that meet, the channel vecs stacked."""
        nz, na, nk = self._sizes
        zi, ker, ai = self.triplets
        pairs = np.array(self.pairs(), dtype=np.int64).reshape(-1, 3)
        i, j, jl = (pairs[:, c : c + 1] for c in range(3))
        rows = np.broadcast_to(j * nz + zi, (len(pairs), zi.size))
        block = (i * self.cout_g + jl) * nk
        of = label(self.output)
        if wrt == "A":
            cols = i * na + ai
            return VecJacobian.build(
                (self.cout * nz, self.cin * na), rows, cols, block + ker, Exprs(self.kernel.flat), of, label(self.input)
            )
        if wrt == "K":
            shape = (self.cout * nz, self.kernel.size)
            ids = i * na + ai
            return VecJacobian.build(shape, rows, block + ker, ids, Exprs(self.input.flat), of, label(self.kernel))
        if wrt == "b" and self.bias is not None:
            r = np.arange(self.cout * nz)
            return VecJacobian.build((r.size, self.cout), r, r // nz, np.zeros_like(r), ONE, of, label(self.bias))
        raise unknown(wrt, "'A', 'K' or 'b'")

    def jacobian_list(self) -> list[JacobianInfo]:
        """For each output channel: its kernels, its bias and its inputs, those of its group."""
        infos = []
        for j in range(self.cout):
            g = self.group_of_output(j)
            mine = range(g * self.cin_g, (g + 1) * self.cin_g)
            infos += [self._info("K", self.jacobian("K", j=j, i=i), j=j, i=i) for i in mine]
            if self.bias is not None:
                infos.append(self._info("b", self.jacobian("b", j=j), j=j))
            infos += [self._info("A", self.jacobian("A", j=j, i=i), j=j, i=i) for i in mine]
        return infos

    # -- forward -----------------------------------------------------------------------------
    def forward(self) -> list[sp.Expr]:
        return [e for zj in self.Z for e in ops.vec(zj)]

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        nz, _, _ = self._sizes
        zi, ker, ai = self.triplets
        a = np.asarray(x, dtype=float).reshape(self.cin, -1)
        k = np.asarray(params["K"], dtype=float).reshape(self.cin, self.cout_g, -1)
        z = np.zeros((self.cout, nz))
        for i, j, jl in self.pairs():
            z[j] += np.bincount(zi, weights=a[i, ai] * k[i, jl, ker], minlength=nz)
        if self.bias is not None:
            z += np.asarray(params["b"], dtype=float).reshape(-1, 1)
        return z.reshape(-1)
