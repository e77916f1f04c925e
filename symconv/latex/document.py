"""Assembling documents and fragments: one builder per layer kind computes the data, one
template per kind lays it out, and the document template wraps the body."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..derive import derive
from ..errors import SpecError
from ..network import NetworkDerivation
from ..rules.base import Derivation
from ..specs import Layer, Network
from ..templating import environment
from . import conv, elementwise, pool
from . import network as net_doc
from .layout import MAX_MATRIX_COLS

DOCUMENT_TEMPLATE = "document.tex.j2"
FRAGMENT_TEMPLATE = "fragment.tex.j2"


@dataclass(frozen=True)
class Options:
    """What a user may choose about a document: the worked entry (1-based, its meaning
    depends on the layer kind) and the max-pool example's input (numbers, or a seed for
    random integers)."""

    entry: tuple[int, ...] | None = None
    seed: int = 0
    values: np.ndarray | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Kind:
    """How one layer kind becomes LaTeX: its template and its data builder."""

    template: str
    build: Callable[[Any, Options, int], dict[str, Any]]
    title: Callable[[Any], str]
    entry_help: str = ""


def _conv_build(d: Any, opts: Options, position: int) -> dict[str, Any]:
    return conv.context(d, opts.entry)


def _conv_title(d: Any) -> str:
    g = d.geometry
    return f"A 2D convolution: ${g.input[0]} \\times {g.input[1]}$ input, ${g.kernel[0]} \\times {g.kernel[1]}$ kernel"


def _pool_title(d: Any) -> str:
    g = d.geometry
    what = "Max" if d.kind == "maxpool2d" else "Average"
    return f"{what} pooling: ${g.input[0]} \\times {g.input[1]}$ input, ${g.kernel[0]} \\times {g.kernel[1]}$ window"


def _plain_title(d: Any) -> str:
    shape = " \\times ".join(str(n) for n in d.spec.in_shape)
    names = {
        "relu": "A ReLU activation",
        "sigmoid": "A sigmoid activation",
        "tanh": "A tanh activation",
        "flatten": "Flattening",
        "dense": "A fully-connected layer",
        "softmax_cross_entropy": "Softmax with cross-entropy",
    }
    return f"{names[d.kind]}: ${shape}$ input"


def _activation(d: Any, o: Options, n: int) -> dict[str, Any]:
    return elementwise.activation_context(d)


KINDS: dict[str, Kind] = {
    "conv2d": Kind("conv.tex.j2", _conv_build, _conv_title, "P,Q,R,S or J,I,P,Q,R,S"),
    "avgpool2d": Kind("avgpool.tex.j2", lambda d, o, n: pool.avg_context(d, o.entry), _pool_title, "R,S"),
    "maxpool2d": Kind(
        "maxpool.tex.j2",
        lambda d, o, n: pool.max_context(d, o.entry, o.values, o.seed + n),
        _pool_title,
        "P,Q or J,P,Q",
    ),
    "relu": Kind("activation.tex.j2", _activation, _plain_title),
    "sigmoid": Kind("activation.tex.j2", _activation, _plain_title),
    "tanh": Kind("activation.tex.j2", _activation, _plain_title),
    "flatten": Kind("flatten.tex.j2", lambda d, o, n: elementwise.flatten_context(d), _plain_title),
    "dense": Kind("dense.tex.j2", lambda d, o, n: elementwise.dense_context(d), _plain_title),
    "softmax_cross_entropy": Kind("softmax.tex.j2", lambda d, o, n: elementwise.softmax_context(d), _plain_title),
}


def _kind(d: Derivation) -> Kind:
    if d.kind not in KINDS:
        raise SpecError("spec", f"no LaTeX document for a {d.kind} layer yet")
    return KINDS[d.kind]


def render(template: str, context: dict[str, Any]) -> str:
    return environment("latex").get_template(template).render(**context)


_LOWER = {"section": "subsection", "subsection": "subsubsection", "subsubsection": "paragraph"}


def layer_context(d: Derivation, opts: Options, position: int = 0) -> dict[str, Any]:
    """The data of one layer's derivation."""
    return _kind(d).build(d, opts, position)


def layer_body(d: Derivation, ctx: dict[str, Any], *, sec: str = "section") -> str:
    """One layer's derivation laid out (a single-layer document's body, or a part of a
    network's document)."""
    return render(_kind(d).template, {**ctx, "sec": sec, "subsec": _LOWER[sec]})


def network_body(d: NetworkDerivation, opts: Options) -> str:
    """Section 3 of the seed for the network, then each layer's derivation."""
    ctx = net_doc.context(d, lambda layer, pos: layer_context(layer, opts, pos))
    parts = [
        {
            "title": f"Layer {pos + 1}: {net_doc.WHAT[layer.kind]} ($l = {layer.layer}$)",
            "body": layer_body(layer, lctx, sec="subsubsection"),
        }
        for pos, (layer, lctx) in enumerate(zip(d.layers, ctx.pop("contexts"), strict=True))
    ]
    return render("network.tex.j2", {**ctx, "parts": parts})


def as_derivation(obj: Layer | Network | Derivation | NetworkDerivation) -> Derivation | NetworkDerivation:
    if isinstance(obj, (Derivation, NetworkDerivation)):
        return obj
    return derive(obj)


def templates_used(d: Derivation | NetworkDerivation) -> list[str]:
    """The templates a document of ``d`` is made from, in order."""
    layers = d.layers if isinstance(d, NetworkDerivation) else [d]
    names = [DOCUMENT_TEMPLATE] + (["network.tex.j2"] if isinstance(d, NetworkDerivation) else [])
    for layer in layers:
        name = _kind(layer).template
        if name not in names:
            names.append(name)
    return names


def document(
    obj: Layer | Network | Derivation | NetworkDerivation,
    *,
    entry: Sequence[int] | None = None,
    seed: int = 0,
    values: np.ndarray | None = None,
    header: Sequence[str] | None = None,
) -> str:
    """The standalone ``.tex`` document of a layer or network (deterministic)."""
    d = as_derivation(obj)
    opts = Options(tuple(entry) if entry is not None else None, seed, values)
    if isinstance(d, NetworkDerivation):
        if opts.entry is not None:
            raise SpecError("entry", "picks a worked entry of a single layer, not of a network")
        if opts.values is not None:
            raise SpecError("values", "give the input of a single max-pooling layer, not of a network")
        body = network_body(d, opts)
        shape = " \\times ".join(str(n) for n in d.spec.in_shape)
        title = f"A network of {len(d.layers)} layers on a ${shape}$ input"
    else:
        check_options(d, opts)
        body = layer_body(d, layer_context(d, opts))
        title = _kind(d).title(d)
    used = templates_used(d)
    lines = list(header) if header is not None else default_header(used)
    abstract = (
        "This document redoes, for the shapes above, the derivation of the seed document "
        "\\emph{Convolutional Neural Network: back-propagation for 2D-convolution} "
        "(H.\\ Vardhan, 2022), step by step.  Every matrix below was computed by symconv for "
        "exactly these shapes; large ones are shown in part, with the worked entries kept."
    )
    return render(
        DOCUMENT_TEMPLATE,
        {
            "header": lines,
            "title": title,
            "abstract": abstract,
            "body": body,
            "max_matrix_cols": MAX_MATRIX_COLS,
            "pictures": "\\begin{picture}" in body,
        },
    )


def default_header(templates: Sequence[str]) -> list[str]:
    shown = ", ".join(f"templates/latex/{t}" for t in templates)
    return [
        f"Made by symconv from {shown}.",
        "Regenerate it with symconv rather than edit it.",
    ]


def check_options(d: Derivation, opts: Options) -> None:
    """Options that do not apply to this layer are errors, not silently ignored."""
    kind = _kind(d)
    if opts.entry is not None and not kind.entry_help:
        raise SpecError("entry", f"does not apply to a {d.kind} layer")
    if opts.values is not None and d.kind != "maxpool2d":
        raise SpecError("values", f"gives the input of a maxpool2d layer, not of a {d.kind} layer")


def fragment(obj: Layer | Network | Derivation | NetworkDerivation) -> str:
    """A LaTeX fragment for notebooks: ``$$\\begin{aligned}...\\end{aligned}$$`` with the
    layer's main equations and Jacobians (small, elided), or a network's forward equations
    and the size of every Jacobian; only macros MathJax knows."""
    d = as_derivation(obj)
    if isinstance(d, NetworkDerivation):
        lines = [net_doc.forward_line(layer) for layer in d.layers]
        lines += net_doc.size_lines(d)
    else:
        lines = layer_context(d, Options())["summary"]
    return render(FRAGMENT_TEMPLATE, {"lines": lines})
