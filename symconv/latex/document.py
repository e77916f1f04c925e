"""Assembling documents and fragments: each kind's LaTeX builder (from the registry)
computes the data, its template lays it out, and the document template wraps the body."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from .. import limits
from ..derive import derive
from ..errors import SpecError
from ..io import write_atomic
from ..layers.kind import LatexKind
from ..network import NetworkDerivation
from ..registry import KINDS, kind, part
from ..rule import Derivation
from ..specs import Layer, Network
from ..symbols import Tensor
from ..templating import environment
from . import network as net_doc
from .compile import compile_pdf, page_images, render_png
from .layout import MAX_MATRIX_COLS, breakable
from .notation import index_style

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


def _kind(d: Derivation) -> LatexKind:
    """The kind's document part (``LATEX`` of its family's ``latex.py``)."""
    latex_kind: LatexKind = part(d, "latex")
    return latex_kind


def _input_dependent() -> str:
    """The kinds whose document takes an example input (``--values``): ``maxpool2d``."""
    return " or ".join(name for name, k in KINDS.items() if k.rule.input_dependent)


#: what the LaTeX templates may ask Python about layout (page breaks)
LAYOUT_GLOBALS: dict[str, Any] = {"breakable": breakable}


def render(template: str, context: dict[str, Any], env: jinja2.Environment | None = None) -> str:
    """``template`` filled with ``context``, from ``env`` (default: the LaTeX environment; a
    page passes its own, which sets the pictures aside, :mod:`symconv.html.page`)."""
    env = env or environment("latex")
    env.globals.update(LAYOUT_GLOBALS)
    return env.get_template(template).render(**context)


_LOWER = {"section": "subsection", "subsection": "subsubsection", "subsubsection": "paragraph"}


def layer_context(d: Derivation, opts: Options, position: int = 0) -> dict[str, Any]:
    """The data of one layer's derivation."""
    return _kind(d).build(d, opts, position)


def layer_body(
    d: Derivation, ctx: dict[str, Any], *, sec: str = "section", env: jinja2.Environment | None = None
) -> str:
    """One layer's derivation laid out (a single-layer document's body, or a part of a
    network's document)."""
    return render(_kind(d).template, {**ctx, "sec": sec, "subsec": _LOWER[sec]}, env)


def network_body(d: NetworkDerivation, opts: Options, env: jinja2.Environment | None = None) -> str:
    """Section 3 of the seed for the network, then each layer's derivation."""
    ctx = net_doc.context(d, lambda layer, pos: layer_context(layer, opts, pos))
    parts = [
        {
            "title": f"Layer {pos + 1}: {kind(layer).what} ($l = {layer.layer}$)",
            "body": layer_body(layer, lctx, sec="subsubsection", env=env),
        }
        for pos, (layer, lctx) in enumerate(zip(d.layers, ctx.pop("contexts"), strict=True))
    ]
    return render("network.tex.j2", {**ctx, "parts": parts}, env)


def as_derivation(obj: Layer | Network | Derivation | NetworkDerivation) -> Derivation | NetworkDerivation:
    """The derivation of ``obj``.  A single layer's document makes only the symbols and
    entries it shows, so it is bounded by the layer's tensors and window map, not by the
    symbolic budget (:func:`symconv.limits.numeric_only`); a network's builds every Jacobian."""
    if isinstance(obj, (Derivation, NetworkDerivation)):
        return obj
    if isinstance(obj, Layer):
        with limits.numeric_only():
            return derive(obj)
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
    title, body = content(d, Options(tuple(entry) if entry is not None else None, seed, values))
    used = templates_used(d)
    lines = list(header) if header is not None else default_header(used)
    return render(
        DOCUMENT_TEMPLATE,
        {
            "header": lines,
            "title": title,
            "abstract": ABSTRACT,
            "body": body,
            "max_matrix_cols": MAX_MATRIX_COLS,
            "pictures": "\\begin{picture}" in body,
        },
    )


#: what every document says first (its abstract)
ABSTRACT = (
    "This document redoes, for the shapes above, the derivation of the seed document "
    "\\emph{Convolutional Neural Network: back-propagation for 2D-convolution} "
    "(H.\\ Vardhan, 2022), step by step.  Every matrix below was computed by symconv for "
    "exactly these shapes; large ones are shown in part, with the worked entries kept."
)


def content(d: Derivation | NetworkDerivation, opts: Options, env: jinja2.Environment | None = None) -> tuple[str, str]:
    """The title and the body (LaTeX) of the document of ``d``: the same for the PDF and
    the page, which passes its own template environment."""
    style = index_style(tensors(d))
    if isinstance(d, NetworkDerivation):
        if opts.entry is not None:
            raise SpecError("entry", "picks a worked entry of a single layer, not of a network")
        if opts.values is not None:
            raise SpecError("values", "give the input of a single max-pooling layer, not of a network")
        shape = " \\times ".join(str(n) for n in d.spec.in_shape)
        return f"A network of {len(d.layers)} layers on a ${shape}$ input", style(network_body(d, opts, env))
    check_options(d, opts)
    return _kind(d).title(d), style(layer_body(d, layer_context(d, opts), env=env))


def tensors(d: Derivation | NetworkDerivation) -> list[Tensor]:
    """Every tensor a document of ``d`` names entries of: each layer's input, output and parameters."""
    layers = d.layers if isinstance(d, NetworkDerivation) else [d]
    return [t for layer in layers for t in (layer.input, layer.output, *layer.params.values())]


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
    if opts.values is not None and not d.input_dependent:
        raise SpecError("values", f"gives the input of a {_input_dependent()} layer, not of a {d.kind} layer")


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


_STEM = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}")


def valid_stem(stem: object) -> bool:
    """Whether ``stem`` is a plain file name for the document."""
    return isinstance(stem, str) and _STEM.fullmatch(stem) is not None


def write_document(
    spec: Layer | Network | Derivation | NetworkDerivation,
    out_dir: Path,
    *,
    pdf: bool,
    png: bool = False,
    stem: str = "derivation",
    entry: Sequence[int] | None = None,
    seed: int = 0,
    values: np.ndarray | None = None,
) -> list[Path]:
    """Write ``<out_dir>/<stem>.tex`` atomically and, with ``pdf`` (or ``png``), the PDF
    beside it, and with ``png`` its pages as ``<stem>-<n>.png``; return the paths written.
    A ``<stem>.pdf`` or ``<stem>-<n>.png`` left from an earlier document and not made again
    is removed, so that no file beside the ``.tex`` is of another document.

    The document is built before anything is written, so invalid input (``SpecError``)
    leaves no file behind; a LaTeX failure raises :class:`LatexError` after the ``.tex``
    is written, so that it can be inspected."""
    if not valid_stem(stem):
        raise SpecError("stem", f"must be a plain file name (letters, digits, '_', '.', '-'), got {stem!r}")
    text = document(spec, entry=entry, seed=seed, values=values)
    tex = write_atomic(Path(out_dir) / f"{stem}.tex", text)
    stale = ([] if pdf or png else [tex.with_suffix(".pdf")]) + ([] if png else page_images(tex.with_suffix(".pdf")))
    for old in stale:
        old.unlink(missing_ok=True)
    written = [tex]
    if pdf or png:
        written.append(compile_pdf(tex))
    if png:
        written += render_png(written[-1])
    return written
