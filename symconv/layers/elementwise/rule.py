"""Activations (3.1.4), flatten (3.1.2), the fully-connected layer and softmax
cross-entropy (3.1.1)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np
import sympy as sp

from ...rule import Derivation, JacobianInfo, Loss, check_index, identity, label, unknown
from ...sparse import Applied, Exprs, VecJacobian
from ...specs import Layer
from ...symbols import Tensor, real
from .spec import Dense, ReLU, Sigmoid, SoftmaxCrossEntropy, Tanh

_x = real("x")

#: each activation once, as a function of one real variable
ACTIVATIONS: dict[str, sp.Lambda] = {
    "relu": sp.Lambda(_x, sp.Piecewise((_x, _x > 0), (0, True))),
    "sigmoid": sp.Lambda(_x, 1 / (1 + sp.exp(-_x))),
    "tanh": sp.Lambda(_x, sp.tanh(_x)),
}


class ActivationDerivation(Derivation):
    """``I = f(Z)`` entrywise; ``d vI_j / d vZ_j = diag(f'(z_{j,pq}))`` channel by channel (3.1.4).

    ``f'`` is SymPy's derivative of ``f`` (for ReLU ``f(x) = x`` if ``x > 0`` else 0, so
    ``f'(0) = 0``)."""

    section = "3.1.4"
    input_name = ("Z", "z")
    output_name = ("I", "I")

    @classmethod
    def output_name_for(cls, spec: Layer) -> tuple[str, str]:
        """``I`` after a convolution; an activation of a vector gives ``A`` (3.1.1)."""
        return ("A", "a") if len(spec.out_shape) == 1 else cls.output_name

    def __init__(self, spec: ReLU | Sigmoid | Tanh, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.kind = spec.kind  # type: ignore[misc]
        self.f = ACTIVATIONS[spec.kind]
        self.derivative = sp.Lambda(_x, sp.diff(self.f.expr, _x))
        self.per_channel = self.input.size // self.channels

    def forward(self) -> list[sp.Expr]:
        return [self.f(z) for z in self.input.flat]

    def _lead(self, j: int) -> tuple[int, ...]:
        return (j,) if len(self.input.shape) == 3 else ()

    def jacobian(self, wrt: str = "Z", **index: int) -> VecJacobian:
        if wrt != "Z":
            raise unknown(wrt, "'Z'")
        j = check_index("j", index.get("j", 0), self.channels)
        n = self.per_channel
        args = self.input.flat[j * n : (j + 1) * n]
        idx = np.arange(n)
        return VecJacobian.build(
            (n, n),
            idx,
            idx,
            idx,
            Applied(self.derivative, args),
            label(self.output, *self._lead(j)),
            label(self.input, *self._lead(j)),
        )

    def full_jacobian(self, wrt: str = "Z") -> VecJacobian:
        if wrt != "Z":
            raise unknown(wrt, "'Z'")
        idx = np.arange(self.input.size)
        return VecJacobian.build(
            (idx.size, idx.size),
            idx,
            idx,
            idx,
            Applied(self.derivative, self.input.flat),
            label(self.output),
            label(self.input),
        )

    def jacobian_list(self) -> list[JacobianInfo]:
        return [self._info("Z", self.jacobian("Z", j=j), j=j) for j in range(self.channels)]

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        fn = sp.lambdify(_x, self.f.expr, modules="numpy")  # our own expression, never user text
        x = np.asarray(x, dtype=float)
        return np.broadcast_to(np.asarray(fn(x), dtype=float), x.shape).copy()


class FlattenDerivation(Derivation):
    """``B = [vec(A_1); ...; vec(A_c)]`` (3.1.2): ``dB / d vA`` is the identity, and
    ``dJ/d vA`` is ``dJ/dB`` reshaped to ``c x h w``, one row per channel."""

    kind = "flatten"
    section = "3.1.2"
    input_name = ("A", "a")
    output_name = ("B", "B")
    shares_input = True

    def forward(self) -> list[sp.Expr]:
        return list(self.input.flat)

    def jacobian(self, wrt: str = "A", **index: int) -> VecJacobian:
        if wrt != "A":
            raise unknown(wrt, "'A'")
        return identity(self.input.size, label(self.output), label(self.input))

    full_jacobian = jacobian

    def jacobian_list(self) -> list[JacobianInfo]:
        return [self._info("A", self.jacobian())]

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.asarray(x, dtype=float).copy()


class DenseDerivation(Derivation):
    """``Z = W^T B + b`` (3.1.1).  ``dZ/dB = W^T``; ``dZ/d vec(W)`` has ``B_i`` at row ``k``,
    column ``(k-1) n_in + i`` (so ``dJ/dW = (dJ/dZ)^T B^T`` reshaped); ``dZ/db = 1``."""

    kind = "dense"
    section = "3.1.1"
    input_name = ("B", "B")
    output_name = ("Z", "z")

    def __init__(self, spec: Dense, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.spec: Dense = spec
        n_in, n_out = spec.in_shape[0], spec.out_features
        self.n_in, self.n_out = n_in, n_out
        self.weights = Tensor("W", "w", (n_in, n_out), layer, channel_index=True)
        self.bias = Tensor("b", "b", (n_out,), layer, channel_index=True) if spec.bias else None

    @property
    def params(self) -> dict[str, Tensor]:
        out = {"W": self.weights}
        if self.bias is not None:
            out["b"] = self.bias
        return out

    @cached_property
    def W(self) -> sp.ImmutableMatrix:  # noqa: N802
        return self.weights.matrix()

    @cached_property
    def Z(self) -> sp.ImmutableMatrix:  # noqa: N802
        b = self.bias.matrix() if self.bias is not None else sp.zeros(self.n_out, 1)
        return sp.ImmutableMatrix(self.W.T * self.input.matrix() + b)

    def forward(self) -> list[sp.Expr]:
        return list(self.Z)

    def jacobian(self, wrt: str, **index: int) -> VecJacobian:
        n_in, n_out = self.n_in, self.n_out
        k = np.repeat(np.arange(n_out), n_in)
        i = np.tile(np.arange(n_in), n_out)
        of = label(self.output)
        if wrt == "B":
            # (W^T)_{k i} = w_{i k}, the entry at vec index k n_in + i of W
            return VecJacobian.build((n_out, n_in), k, i, k * n_in + i, Exprs(self.weights.flat), of, label(self.input))
        if wrt == "W":
            return VecJacobian.build(
                (n_out, n_in * n_out), k, k * n_in + i, i, Exprs(self.input.flat), of, label(self.weights, vec=True)
            )
        if wrt == "b" and self.bias is not None:
            return identity(n_out, of, label(self.bias, vec=False))
        raise unknown(wrt, "'B', 'W' or 'b'")

    def full_jacobian(self, wrt: str) -> VecJacobian:
        return self.jacobian(wrt)

    def jacobian_list(self) -> list[JacobianInfo]:
        keys = ["W", "b", "B"] if self.bias is not None else ["W", "B"]
        return [self._info(key, self.jacobian(key)) for key in keys]

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        w = np.asarray(params["W"], dtype=float).reshape(self.n_out, self.n_in).T  # vec order -> matrix
        z = w.T @ np.asarray(x, dtype=float)
        if self.bias is not None:
            z = z + np.asarray(params["b"], dtype=float)
        return z


class SoftmaxDerivation(Loss):
    """``a = softmax(z)``, ``J = -sum_k y_k log a_k`` (3.1.1).

    ``dJ/dA = [-y_k / a_k]``; ``dA/dZ = diag(a) - a a^T``; their product is
    ``dJ/dZ = (sum_k y_k) a^T - y^T``, which is ``(a - y)^T`` for a one-hot ``y``."""

    kind = "softmax_cross_entropy"
    section = "3.1.1"
    input_name = ("Z", "z")
    output_name = ("A", "a")

    def __init__(self, spec: SoftmaxCrossEntropy, input: Tensor, output: Tensor, layer: int | None) -> None:
        super().__init__(spec, input, output, layer)
        self.n = spec.in_shape[0]
        self.labels = Tensor("y", "y", (self.n,), None, channel_index=True)

    @cached_property
    def softmax(self) -> list[sp.Expr]:
        """``a_k`` as expressions of ``z``."""
        exps = [sp.exp(z) for z in self.input.flat]
        total = sp.Add(*exps)
        return [e / total for e in exps]

    def forward(self) -> list[sp.Expr]:
        return self.softmax

    def loss(self, a: list[sp.Expr] | None = None) -> sp.Expr:
        """``J = -sum_k y_k log a_k`` (``a`` defaults to the output symbols)."""
        a = self.output.flat if a is None else a
        return -sp.Add(*[y * sp.log(ak) for y, ak in zip(self.labels.flat, a, strict=True)])

    def loss_gradient(self) -> list[sp.Expr]:
        """``dJ/dA``, a row: ``-y_k / a_k``."""
        return [-y / a for y, a in zip(self.labels.flat, self.output.flat, strict=True)]

    def jacobian(self, wrt: str = "Z", **index: int) -> VecJacobian:
        if wrt != "Z":
            raise unknown(wrt, "'Z'")
        a = self.output.flat
        k = np.repeat(np.arange(self.n), self.n)
        m = np.tile(np.arange(self.n), self.n)
        table = Exprs([a[r] * ((1 if r == c else 0) - a[c]) for r, c in zip(k.tolist(), m.tolist(), strict=True)])
        return VecJacobian.build(
            (self.n, self.n), k, m, np.arange(k.size), table, label(self.output), label(self.input)
        )

    full_jacobian = jacobian

    def jacobian_list(self) -> list[JacobianInfo]:
        return [self._info("Z", self.jacobian())]

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        z = np.asarray(x, dtype=float)
        e = np.exp(z - z.max())
        return e / e.sum()
