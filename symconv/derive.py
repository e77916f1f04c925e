"""``derive(spec)``: bind a spec to symbols and return its derivation (a layer's rule from
the registry, or a network's chain of section 3)."""

from __future__ import annotations

import functools
from typing import overload

from . import limits
from .binding import derive_layer
from .errors import SpecError
from .network import NetworkDerivation
from .rule import Derivation
from .specs import Layer, Network


@overload
def derive(spec: Network, *, max_symbols: int | None = None, max_nonzeros: int | None = None) -> NetworkDerivation: ...
@overload
def derive(spec: Layer, *, max_symbols: int | None = None, max_nonzeros: int | None = None) -> Derivation: ...
def derive(
    spec: Layer | Network, *, max_symbols: int | None = None, max_nonzeros: int | None = None
) -> Derivation | NetworkDerivation:
    """Derive a layer (its forward and vec Jacobians) or a network (all of section 3).

    A derivation larger than the budget of :mod:`symconv.limits` is refused first;
    ``max_symbols`` and ``max_nonzeros`` set that budget for this call (``None``: the budget
    in force, 500 000 symbols and 10 000 000 nonzeros unless raised)."""
    if not isinstance(spec, (Layer, Network)):
        raise SpecError("spec", f"must be a layer spec or a Network, got {type(spec).__name__}")
    if isinstance(spec, Layer):
        spec.require_bound()
    with limits.scope():
        limits.set_budget(max_symbols=max_symbols, max_nonzeros=max_nonzeros)
        limits.check(spec)
    return _derived(spec)


@functools.lru_cache(maxsize=4)
def _derived(spec: Layer | Network) -> Derivation | NetworkDerivation:
    """Derivations are immutable and build their symbols and Jacobians on first use, so one
    job (a document, a module, its checks) shares them: specs are frozen and hashable."""
    return NetworkDerivation(spec) if isinstance(spec, Network) else derive_layer(spec)
