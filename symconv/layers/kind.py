"""The records of a layer kind: its core (:class:`LayerKind`: spec and rule) and the parts its
outputs read (:class:`LatexKind` for its document, :class:`ClaimKind` for its names in claims,
and a planner for its generated code).

Each family's home (``symconv/layers/<family>/home.py``) builds one :class:`LayerKind` per kind
from its own spec and rule; :mod:`symconv.registry` collects them, and deriving needs nothing
else.  The output parts sit beside them, in the family's own modules, each a table by kind name:
``LATEX`` in ``latex.py``, ``PLANS`` in ``plan.py``, ``CLAIMS`` in ``claims.py``
(:func:`symconv.registry.part` reads them when an output asks).  The machinery (``derive``,
``network``, ``latex/``, ``codegen/``, ``verify/``, ``cli/``) asks the registry and never names
a kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..geometry import AXIS_LETTERS, SIDE_NAMES
from ..rule import Derivation
from ..specs import Layer


def _none(*_: Any) -> list[Any]:
    return []


def _no_constants(spec: Any) -> dict[str, int]:
    return {}


def _no_matrices(d: Any) -> dict[str, Any]:
    return {}


def _chain(ctx: dict[str, Any], first: bool) -> list[Any]:
    return list(ctx.get("chain", []))


def kernel_chain(ctx: dict[str, Any], first: bool) -> list[Any]:
    """The chain-rule step of a layer with a kernel and a bias: the gradients of ``K`` and
    ``b``, then of its input (left out for the network's first layer, whose input is data)."""
    chain = ctx["chain"]
    return [*chain["K"], *chain["b"], *([] if first else chain["A"])]


def window_constants(spec: Any, prefix: str) -> dict[str, int]:
    """The seed's names for a windowed layer's padding (``h_p, w_p`` when symmetric), the
    named sides of any padding (``p_top, p_bottom, p_left, p_right``) and the stride
    (``h_s, w_s``); ``lh_p, lp_top, ...`` (``prefix`` ``l``) for pooling.  In 1-D the axis is
    ``n`` (``n_p``, ``p_before``, ``p_after``, ``n_s``), in 3-D ``d, h, w`` (depth first, its
    sides ``front`` and ``back``)."""
    ndim = len(spec.stride)
    out: dict[str, int] = {}
    for a, (letter, sides) in enumerate(zip(AXIS_LETTERS[ndim], SIDE_NAMES[ndim], strict=True)):
        before, after = spec.padding[2 * a], spec.padding[2 * a + 1]
        if before == after:
            out[f"{prefix}{letter}_p"] = before
        out[f"{prefix}p_{sides[0]}"] = before
        out[f"{prefix}p_{sides[1]}"] = after
    for letter, stride in zip(AXIS_LETTERS[ndim], spec.stride, strict=True):
        out[f"{prefix}{letter}_s"] = stride
    return out


@dataclass(frozen=True)
class LatexKind:
    """How a kind becomes LaTeX.  ``build(d, options, position)`` computes the data its
    ``template`` lays out; ``title(d)`` heads a single-layer document; ``entry_help``
    describes ``--entry`` (empty: the kind has no worked entry).  Inside a network's
    document: ``forward(d)`` its forward equation (section 2), ``gradients(d)`` and
    ``update(d)`` its parameters' gradients (3.2) and update (section 3), and
    ``backward(ctx, first)`` its step of the chain rule, read off its own document data."""

    template: str
    build: Callable[[Any, Any, int], dict[str, Any]]
    title: Callable[[Any], str]
    forward: Callable[[Any], Any]
    entry_help: str = ""
    gradients: Callable[[Any], list[Any]] = _none
    update: Callable[[Any], list[Any]] = _none
    backward: Callable[[dict[str, Any], bool], list[Any]] = _chain


@dataclass(frozen=True)
class ClaimKind:
    """The names a claim about a layer of this kind may use besides its tensors and
    Jacobians: ``constants(spec)`` (the seed's ``h_p``, ``h_s``, ``h_l``, ...),
    ``aliases`` (another name for a tensor: ``beta`` for ``K``), ``matrices(d)`` (fixed
    matrices such as average pooling's ``P``) and ``leaves(d)`` (free symbol tensors
    such as max pooling's window ``Omega``)."""

    constants: Callable[[Any], dict[str, int]] = _no_constants
    aliases: Mapping[str, str] = field(default_factory=dict)
    matrices: Callable[[Any], dict[str, Any]] = _no_matrices
    leaves: Callable[[Any], dict[str, Any]] = _no_matrices
    functions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LayerKind:
    """One layer kind's core: its spec and rule, its description and seed sections, and the
    name of the module generated for it (``module.py`` by default)."""

    spec: type[Layer]
    rule: type[Derivation]
    description: str
    what: str
    backward_section: str
    module: str

    @property
    def name(self) -> str:
        """The kind's name in configs and on the command line (``type = "conv2d"``)."""
        return self.spec.kind

    @property
    def family(self) -> str:
        """The package of its home (``symconv.layers.conv``), where its output parts sit."""
        return self.spec.__module__.rsplit(".", 1)[0]
