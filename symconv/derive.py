"""``derive(spec)``: bind a spec to symbols and return its derivation (a layer's rule from
the registry, or a network's chain of section 3)."""

from __future__ import annotations

from typing import overload

from .binding import derive_layer
from .errors import SpecError
from .network import NetworkDerivation
from .rule import Derivation
from .specs import Layer, Network


@overload
def derive(spec: Network) -> NetworkDerivation: ...
@overload
def derive(spec: Layer) -> Derivation: ...
def derive(spec: Layer | Network) -> Derivation | NetworkDerivation:
    """Derive a layer (its forward and vec Jacobians) or a network (all of section 3)."""
    if isinstance(spec, Network):
        return NetworkDerivation(spec)
    if not isinstance(spec, Layer):
        raise SpecError("spec", f"must be a layer spec or a Network, got {type(spec).__name__}")
    return derive_layer(spec)
