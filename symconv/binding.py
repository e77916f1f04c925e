"""Binding a layer spec to symbol tensors named as the seed names them (its rule, from the registry)."""

from __future__ import annotations

from .registry import kind
from .rule import Derivation
from .specs import Layer
from .symbols import Tensor


def output_name(layer: Layer) -> tuple[str, str]:
    """The seed's name for a layer's output."""
    return kind(layer).rule.output_name_for(layer)


def activation(
    shape: tuple[int, ...], name: tuple[str, str], layer: int | None, source: Tensor | None = None
) -> Tensor:
    """The symbols of a layer's input or output: a vector ``(n,)``, or channels of blocks
    ``(c, *size)`` of any number of axes (the channel index named when there are several
    channels, or inside a network)."""
    many = layer is not None or (len(shape) >= 2 and shape[0] > 1) or len(shape) == 1
    spatial = max(1, len(shape) - 1)
    return Tensor(name[0], name[1], shape, layer, channel_index=many, source=source, spatial=spatial)


def derive_layer(
    spec: Layer, *, input: Tensor | None = None, layer: int | None = None, output: tuple[str, str] | None = None
) -> Derivation:
    """Derive one layer.  ``input`` defaults to fresh symbols named as the seed names
    this layer's input; ``layer`` adds the ``[l]`` superscript."""
    spec.require_bound()
    rule = kind(spec).rule
    if input is None:
        input = activation(spec.in_shape, rule.input_name, None if layer is None else layer - 1)
    name = output or output_name(spec)
    out = activation(spec.out_shape, name, layer, input if rule.shares_input else None)
    return rule(spec, input, out, layer)
