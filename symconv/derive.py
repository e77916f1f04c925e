"""``derive(spec)``: bind a spec to symbols and return its derivation.

One table maps each layer kind to its rule and to the seed's names for its input
and output; adding a layer means a spec, a rule class and a row here.
"""

from __future__ import annotations

import functools
from typing import overload

from . import limits
from .rules.base import Derivation
from .rules.conv import ConvDerivation
from .rules.elementwise import ActivationDerivation, DenseDerivation, FlattenDerivation, SoftmaxDerivation
from .rules.pool import AvgPoolDerivation, MaxPoolDerivation
from .specs import Layer, Network
from .symbols import Tensor

#: kind -> (rule, (input name, letter), (output name, letter)) as the seed names them
RULES: dict[str, tuple[type[Derivation], tuple[str, str], tuple[str, str]]] = {
    "conv2d": (ConvDerivation, ("A", "a"), ("Z", "z")),
    "maxpool2d": (MaxPoolDerivation, ("I", "I"), ("A", "a")),
    "avgpool2d": (AvgPoolDerivation, ("I", "I"), ("A", "a")),
    "relu": (ActivationDerivation, ("Z", "z"), ("I", "I")),
    "sigmoid": (ActivationDerivation, ("Z", "z"), ("I", "I")),
    "tanh": (ActivationDerivation, ("Z", "z"), ("I", "I")),
    "flatten": (FlattenDerivation, ("A", "a"), ("B", "B")),
    "dense": (DenseDerivation, ("B", "B"), ("Z", "z")),
    "softmax_cross_entropy": (SoftmaxDerivation, ("Z", "z"), ("A", "a")),
}


def output_name(layer: Layer) -> tuple[str, str]:
    """The seed's name for a layer's output: an activation of a vector gives ``A`` (3.1.1)."""
    name = RULES[layer.kind][2]
    if name == ("I", "I") and len(layer.out_shape) == 1:
        return ("A", "a")
    return name


def _tensor(shape: tuple[int, ...], name: tuple[str, str], layer: int | None, source: Tensor | None = None) -> Tensor:
    many = layer is not None or (len(shape) == 3 and shape[0] > 1) or len(shape) == 1
    return Tensor(name[0], name[1], shape, layer, channel_index=many, source=source)


def derive_layer(
    spec: Layer, *, input: Tensor | None = None, layer: int | None = None, output: tuple[str, str] | None = None
) -> Derivation:
    """Derive one layer.  ``input`` defaults to fresh symbols named as the seed names
    this layer's input; ``layer`` adds the ``[l]`` superscript."""
    spec.require_bound()
    rule, in_name, _ = RULES[spec.kind]
    if input is None:
        input = _tensor(spec.in_shape, in_name, None if layer is None else layer - 1)
    name = output or output_name(spec)
    source = input if spec.kind == "flatten" else None
    out = _tensor(spec.out_shape, name, layer, source)
    return rule(spec, input, out, layer)  # type: ignore[arg-type]


@overload
def derive(spec: Network) -> NetworkDerivation: ...
@overload
def derive(spec: Layer) -> Derivation: ...
def derive(spec: Layer | Network) -> Derivation | NetworkDerivation:
    """Derive a layer (its forward and vec Jacobians) or a network (all of section 3).

    A derivation larger than the budget of :mod:`symconv.limits` is refused first."""
    if not isinstance(spec, (Layer, Network)):
        from .errors import SpecError

        raise SpecError("spec", f"must be a layer spec or a Network, got {type(spec).__name__}")
    if isinstance(spec, Layer):
        spec.require_bound()
    limits.check(spec)
    return _derived(spec)


@functools.lru_cache(maxsize=4)
def _derived(spec: Layer | Network) -> Derivation | NetworkDerivation:
    """Derivations are immutable and build their symbols and Jacobians on first use, so one
    job (a document, a module, its checks) shares them: specs are frozen and hashable."""
    return NetworkDerivation(spec) if isinstance(spec, Network) else derive_layer(spec)


from .network import NetworkDerivation  # noqa: E402  (network uses derive_layer)
