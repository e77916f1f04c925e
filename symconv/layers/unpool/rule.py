"""Max unpooling (PyTorch's ``max_unpool``): the entries of ``A`` put back where a max pooling's
switches took them from, as the transpose of Appendix B's mask."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from ... import ops
from ...errors import SpecError
from ...rule import Derivation, JacobianInfo, check_index, label, stacked_selections
from ...sparse import Exprs, VecJacobian
from ...symbols import Tensor, shaped, vec_order
from .spec import MaxUnpool


class MaxUnpoolDerivation(Derivation):
    """``U_j`` is zero but at the entries ``indices`` names (PyTorch's flat row-major index in the
    plane), which hold the entries of ``A_j``; where several entries of ``A_j`` name the same place
    the last in row-major order is kept (PyTorch's loop).  ``d vU_j / d vA_j`` depends on the
    indices: it is the transpose of the max-pool mask ``M`` (eq.b-1; row ``a_k`` of ``M`` holds one 1
    at the entry ``a_k`` was selected from), less the columns of overwritten entries.  Bind the
    indices with :meth:`at`."""

    input_name = ("A", "a")
    output_name = ("U", "u")
    input_dependent = True
    section = "Appendix B"

    def __init__(self, spec: MaxUnpool, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.spec: MaxUnpool = spec
        self.indices: np.ndarray | None = None

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.spec.kind

    @property
    def ndim(self) -> int:
        return len(self.spec.output_size)

    @property
    def _sizes(self) -> tuple[int, int]:
        """Entries of one output channel and of one input channel."""
        return math.prod(self.spec.output_size), math.prod(self.spec.in_shape[1:])

    # -- the indices ---------------------------------------------------------------------------
    def at(self, side: Mapping[str, np.ndarray]) -> MaxUnpoolDerivation:
        """This derivation with its ``indices`` bound: ``(c, *input)`` integers (PyTorch's flat index
        in the output plane of each entry of ``A``)."""
        out = copy.copy(self)
        out.indices = self.checked(side["indices"])
        return out

    def checked(self, indices: Any) -> np.ndarray:
        """``indices`` as ``(c, *input)`` int64, each in ``0 .. prod(output) - 1``."""
        arr = np.asarray(indices)
        shape = self.spec.in_shape
        if arr.shape == shape[1:]:
            arr = arr[None]
        if arr.shape != shape or arr.dtype.kind not in "iu":
            raise SpecError("indices", f"must be integers of shape {shape}, got {arr.dtype} {arr.shape}")
        nz, _ = self._sizes
        if arr.size and (arr.min() < 0 or arr.max() >= nz):
            raise SpecError(
                "indices", f"must lie in 0..{nz - 1} (flat indices of an output plane), got {arr.min()}..{arr.max()}"
            )
        return arr.astype(np.int64)

    def _bound(self) -> np.ndarray:
        if self.indices is None:
            raise SpecError("indices", "max unpooling depends on the indices: bind them with at({'indices': ...})")
        return self.indices

    def side_inputs(self, x: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Indices for a batch ``x`` (``(n, c, *input)``): distinct places of each plane drawn at
        random (where the output has fewer places than the input has entries, some repeat)."""
        nz, n = self._sizes
        shape = (x.shape[0], *self.spec.in_shape)
        draws = [rng.choice(nz, n, replace=n > nz) for _ in range(shape[0] * shape[1])]
        return {"indices": np.array(draws, np.int64).reshape(shape)}

    def targets(self, indices: np.ndarray) -> np.ndarray:
        """For one channel's indices (``(*input)``), the vec index (the first axis fastest) in ``U``
        of each entry of ``A``, in ``A``'s vec order."""
        size = self.spec.output_size
        at = np.unravel_index(vec_order(np.asarray(indices), self.ndim).reshape(-1), size)
        return np.ravel_multi_index(at, size, order="F").astype(np.int64)

    def kept(self, indices: np.ndarray) -> np.ndarray:
        """Which entries of ``A`` (vec order) stay in ``U``: all but one written over by a later entry
        in row-major order (PyTorch's loop)."""
        flat_rows = np.asarray(indices).reshape(-1)  # row-major order of A
        last = {int(t): k for k, t in enumerate(flat_rows)}
        keep_rows = np.zeros(flat_rows.size, bool)
        keep_rows[list(last.values())] = True
        return vec_order(keep_rows.reshape(np.shape(indices)), self.ndim).reshape(-1)

    # -- forward ---------------------------------------------------------------------------------
    @cached_property
    def U(self) -> list[Any]:  # noqa: N802
        """``U_j``: each channel's entries put where the indices say (zeros elsewhere)."""
        indices = self._bound()
        nz, _ = self._sizes
        out = []
        for j in range(self.channels):
            items: list[sp.Expr] = [sp.S.Zero] * nz
            targets, keep = self.targets(indices[j]), self.kept(indices[j])
            a = self.input.vec(j)
            for k in np.flatnonzero(keep):
                items[int(targets[k])] = a[int(k)]
            out.append(shaped(items, self.spec.output_size))
        return out

    def forward(self) -> list[sp.Expr]:
        return [e for u in self.U for e in ops.vec(u)]

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        indices = self._bound()
        nz, n = self._sizes
        xi = np.asarray(x, dtype=float).reshape(self.channels, n)
        out = np.zeros((self.channels, nz))
        for j in range(self.channels):
            keep = self.kept(indices[j])
            out[j, self.targets(indices[j])[keep]] = xi[j, keep]
        return out.reshape(-1)

    # -- Jacobians -------------------------------------------------------------------------------
    def pool_mask(self, indices: np.ndarray, j: int = 0) -> VecJacobian:
        """The max-pool mask ``M`` these indices come from (eq.b-1): ``d vA_j / d vI_j`` of the max
        pooling, row ``a_k`` holding one 1 at the place ``a_k`` was selected from (vec order)."""
        nz, n = self._sizes
        arr = self.checked(indices) if np.ndim(indices) == self.ndim + 1 else self.checked(np.asarray(indices)[None])
        targets = self.targets(arr[check_index("j", j, self.channels)])
        rows = np.arange(n)
        return VecJacobian.build(
            (n, nz), rows, targets, np.zeros_like(rows), Exprs((sp.S.One,)), label(self.input, j), label(self.output, j)
        )

    def input_jacobian(self, values: np.ndarray | None = None, **index: int) -> VecJacobian:
        """``d vU_j / d vA_j`` at the bound indices: ``M^T`` (:meth:`pool_mask`) without the columns
        of entries written over."""
        j = check_index("j", index.get("j", 0), self.channels)
        indices = self._bound()
        targets, keep = self.targets(indices[j]), self.kept(indices[j])
        cols = np.flatnonzero(keep)
        return VecJacobian.build(
            self._sizes,
            targets[cols],
            cols,
            np.zeros_like(cols),
            Exprs((sp.S.One,)),
            label(self.output, j),
            label(self.input, j),
        )

    def jacobian(self, wrt: str = "A", **index: int) -> VecJacobian:
        if wrt != "A":
            raise SpecError("wrt", f"must be 'A', got {wrt!r}")
        return self.input_jacobian(None, **index)

    def full_input_jacobian(self, values: np.ndarray | None = None) -> VecJacobian:
        parts = [self.input_jacobian(None, j=j) for j in range(self.channels)]
        return stacked_selections(parts, self._sizes, label(self.output), label(self.input))

    def full_jacobian(self, wrt: str = "A") -> VecJacobian:
        return self.full_input_jacobian()

    def jacobian_list(self) -> list[JacobianInfo]:
        nz, n = self._sizes
        return [
            JacobianInfo("A", (("j", j),), (nz, n), None, n, label(self.output, j), label(self.input, j))
            for j in range(self.channels)
        ]
