"""The registry of layer kinds: each home registers its kinds once (``KINDS`` in
``symconv/layers/<family>/home.py``: spec and rule), and everything else asks here; an
output's part of a kind (its LaTeX, its planner, its claim names) is read off the family's
own modules by :func:`part`.

To add a layer: write its home (spec, rule, ``home.py``; ``latex.py`` with ``LATEX``,
``plan.py`` with ``PLANS``, ``claims.py`` with ``CLAIMS``), its templates, one line below,
rows in the test tables and a README line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from importlib import import_module
from typing import Any

from .errors import SpecError
from .layers.adaptive import home as adaptive
from .layers.conv import home as conv
from .layers.elementwise import home as elementwise
from .layers.kind import LayerKind
from .layers.pad import home as pad
from .layers.pool import home as pool
from .layers.unpool import home as unpool
from .rule import Derivation
from .specs import Layer

#: every kind, by its name in configs and on the command line
KINDS: dict[str, LayerKind] = {
    k.name: k for home in (conv, pool, adaptive, unpool, pad, elementwise) for k in home.KINDS
}

#: the spec classes, by kind
LAYER_TYPES: dict[str, type[Layer]] = {name: k.spec for name, k in KINDS.items()}


def part(obj: Layer | Derivation | str, name: str) -> Any:
    """Kind ``obj``'s output part ``name``: its record in the table of that name in its family's
    module (``part(d, "latex")`` is ``LATEX[kind]`` of ``symconv/layers/<family>/latex.py``;
    ``"plan"``: ``PLANS``, ``"claims"``: ``CLAIMS``).  The module is imported when first asked
    for, so deriving imports no output code."""
    k = kind(obj)
    table = getattr(import_module(f"{k.family}.{name}"), _TABLES[name])
    return table[k.name]


#: the table each output part keeps, by the module it sits in
_TABLES = {"latex": "LATEX", "plan": "PLANS", "claims": "CLAIMS"}


def kind(obj: Layer | Derivation | str) -> LayerKind:
    """The registered kind of a spec, a derivation or a kind name."""
    name = obj if isinstance(obj, str) else obj.kind
    try:
        return KINDS[name]
    except KeyError:
        raise SpecError("type", f"must be one of {', '.join(KINDS)}, got {name!r}") from None


def layer_params(name: str) -> list[str]:
    """The argument names a layer kind takes (config keys, less ``type``)."""
    return [f.name for f in dataclasses.fields(kind(name).spec) if f.init]  # type: ignore[arg-type]


def make_layer(name: str, kwargs: dict[str, Any], label: Callable[[str], str]) -> Layer:
    """The spec of kind ``name`` from ``kwargs``, with every error naming its parameter as the
    caller shows it (``label("kernel")`` is ``layer.kernel`` in a config, ``--kernel`` on the
    command line), a missing required argument included."""
    cls = kind(name).spec
    try:
        return cls(**kwargs)
    except SpecError as err:
        raise SpecError(label(err.parameter), err.rule) from None
    except TypeError:  # a required argument is missing
        required = [
            f.name
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        missing = next((r for r in required if r not in kwargs), name)
        raise SpecError(label(missing), f"is required for {name}") from None
