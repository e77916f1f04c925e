"""A network's derivation: every Jacobian of seed section 3.1, the chain, gradients (3.2)
and the gradient-descent update (section 3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from .binding import activation, derive_layer, output_name
from .errors import SpecError
from .registry import KINDS
from .rule import Derivation, JacobianList, Loss, present
from .sparse import VecJacobian
from .specs import Network
from .symbols import Tensor


def layer_numbers(net: Network) -> list[int]:
    """The seed's layer index ``l`` of each spec: a conv or dense layer starts a new
    ``l``; activations, pooling and flatten belong to the layer before them."""
    numbers, current, seen_params = [], 1, False
    for spec in net.layers:
        if spec.has_params:
            if seen_params:
                current += 1
            seen_params = True
        numbers.append(current)
    return numbers


@dataclass(frozen=True)
class Param:
    """A trainable tensor of the network: ``key`` is its name and layer, e.g. ``K1``."""

    key: str
    position: int  # index of its layer in ``Network.layers``
    name: str
    tensor: Tensor


class NetworkDerivation:
    """All layers bound to symbols named as in the seed: ``A^{[0]}`` the input, and per
    layer ``l``: ``K^{[l]}, b^{[l]}, Z^{[l]}, I^{[l]}, A^{[l]}``, ``B^{[l]}`` after a flatten,
    ``W^{[l]}`` for a dense layer.

    Numeric arrays use PyTorch's layouts: the input ``(c, h, w)``, kernels
    ``(c_out, c_in, h_k, w_k)``, dense weights ``(n_in, n_out)`` (``Z = W^T B + b``).
    """

    def __init__(self, spec: Network) -> None:
        self.spec = spec
        self.numbers = layer_numbers(spec)
        self.input = activation(spec.in_shape, ("A", "a"), 0)
        layers: list[Derivation] = []
        used: set[tuple[str, int]] = {("A", 0)}
        current = self.input
        for spec_l, number in zip(spec.layers, self.numbers, strict=True):
            name, letter = output_name(spec_l)
            while (name, number) in used:  # e.g. two activations in a row: I, then I'
                name, letter = name + "'", letter + "'"
            used.add((name, number))
            d = derive_layer(spec_l, input=current, layer=number, output=(name, letter))
            layers.append(d)
            current = d.output
        self.layers = layers

    def latex(self) -> str:
        """The network's derivation (section 3) as a LaTeX fragment (MathJax-safe)."""
        return present(self)

    def _repr_latex_(self) -> str:
        return self.latex()

    def _repr_html_(self) -> str:
        """The network's derivation as an HTML page for a notebook: MathML and live SVG."""
        return present(self, "html")

    # -- structure -----------------------------------------------------------------
    @cached_property
    def params(self) -> list[Param]:
        out = []
        for pos, (d, number) in enumerate(zip(self.layers, self.numbers, strict=True)):
            for name, tensor in d.params.items():
                out.append(Param(f"{name}{number}", pos, name, tensor))
        return out

    @property
    def loss_layer(self) -> Loss | None:
        last = self.layers[-1]
        return last if isinstance(last, Loss) else None

    def _require_loss(self) -> Loss:
        loss = self.loss_layer
        if loss is None:
            losses = " or ".join(name for name, k in KINDS.items() if k.spec.loss)
            raise SpecError("network", f"has no loss: end it with a {losses} layer")
        return loss

    @cached_property
    def _keys(self) -> dict[tuple[int, str], str]:
        """``(position, name) -> key``, e.g. ``(0, "K") -> "K1"``."""
        return {(p.position, p.name): p.key for p in self.params}

    def chain(self, seed: int = 0) -> list[VecJacobian]:
        """The factors of the chain rule of section 3.1, from the loss back to the input:
        ``d vec(output) / d vec(input)`` of every layer, last layer first, over all channels.
        A max-pooling mask depends on its input: it is taken at random numbers from ``seed``."""
        rng = np.random.default_rng(seed)
        return [d.full_input_jacobian(rng.standard_normal(d.input.size)) for d in reversed(self.layers)]

    def jacobian_list(self) -> JacobianList:
        """Every layer's Jacobians as ``(position in layers, info)`` pairs, first layer first
        (a list that prints as a short table)."""
        return JacobianList((pos, info) for pos, d in enumerate(self.layers) for info in d.jacobian_list())

    def __repr__(self) -> str:
        kinds = ", ".join(d.kind for d in self.layers)
        return (
            f"<network derivation: {len(self.layers)} layers ({kinds}), "
            f"{len(self.jacobian_list())} Jacobians; .layers, .jacobian_list(), .gradients(...), .latex()>"
        )

    # -- numeric: the seed's route, Jacobian by Jacobian ------------------------------------
    def _param_vecs(self, params: Mapping[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
        out: list[dict[str, np.ndarray]] = [{} for _ in self.layers]
        for p in self.params:
            if p.key not in params:
                raise SpecError("params", f"missing {p.key} (expected {', '.join(q.key for q in self.params)})")
            arr = np.asarray(params[p.key], dtype=float)
            expected = p.tensor.shape
            if arr.shape != expected:
                raise SpecError(f"params.{p.key}", f"must have shape {expected}, got {arr.shape}")
            out[p.position][p.name] = p.tensor.vec_order(arr)
        return out

    def forward_numeric(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """Values (vec order) of the input and of every layer's output."""
        return self._forward(x, self._param_vecs(params))

    def _forward(self, x: np.ndarray, vecs: list[dict[str, np.ndarray]]) -> list[np.ndarray]:
        x = np.asarray(x, dtype=float)
        if x.shape != self.spec.in_shape:
            raise SpecError("x", f"must have shape {self.spec.in_shape}, got {x.shape}")
        values = [self.input.vec_order(x)]
        for d, pv in zip(self.layers, vecs, strict=True):
            values.append(d.numeric_forward(values[-1], pv))
        return values

    def gradients(
        self, x: np.ndarray, label: int, params: Mapping[str, np.ndarray]
    ) -> tuple[float, dict[str, np.ndarray]]:
        """``J`` and ``grad_P J`` for every parameter ``P`` at one example, computed as the
        seed does: ``dJ/dvZ`` carried back through each layer's vec Jacobian, and each
        gradient the transpose of a Jacobian (3.2).  Gradients come back in the
        parameters' own shapes."""
        loss = self._require_loss()
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= label < loss.n:
            raise SpecError("label", f"must be a class index in 0..{loss.n - 1}, got {label!r}")
        vecs = self._param_vecs(params)
        values = self._forward(x, vecs)
        a = values[-1]
        y = np.zeros(loss.n)
        y[label] = 1.0
        j_value = float(-np.log(a[label]))
        g = -y / a  # dJ/dA^{[L]} (3.1.1)
        grads: dict[str, np.ndarray] = {}
        for pos in range(len(self.layers) - 1, -1, -1):
            d = self.layers[pos]
            env = d.env(values[pos], vecs[pos])
            for name, tensor in d.params.items():
                gvec = d.full_jacobian(name).rmatvec(g, env)  # dJ/dvP = dJ/dvY dvY/dvP
                grads[self._keys[pos, name]] = tensor.unvec(gvec)  # the gradient: the transpose, reshaped
            g = d.full_input_jacobian(values[pos]).rmatvec(g, env)
        return j_value, grads

    # -- symbolic (small networks) ----------------------------------------------------------
    def symbolic_gradients(self, point: Sequence[np.ndarray] | None = None) -> dict[str, list[sp.Expr]]:
        """``dJ/dvP`` for every parameter as rows of expressions in the intermediate
        symbols (chain of section 3.1).  A max-pool's mask depends on its input, so a
        network with max-pooling needs ``point``: every layer's input values, as
        :meth:`forward_numeric` returns them; the other layers are fully symbolic."""
        g: list[sp.Expr] = self._require_loss().loss_gradient()
        grads: dict[str, list[sp.Expr]] = {}
        for pos in range(len(self.layers) - 1, -1, -1):
            d = self.layers[pos]
            for name in d.params:
                grads[self._keys[pos, name]] = d.full_jacobian(name).rmul_symbolic(g)
            if d.input_dependent and point is None:
                raise SpecError("point", "a network with max-pooling needs numeric values for its symbols")
            g = d.full_input_jacobian(None if point is None else point[pos]).rmul_symbolic(g)
        return grads
