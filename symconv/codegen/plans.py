"""What goes into each generated layer: data read off the core's derivation objects.

Each layer kind's home has a planner (``symconv/layers/*/plan.py``, registered as the kind's
``plan``) that turns its derivation into a :class:`Block`: the template that lays it out, the
kernel modules whose algorithms it calls (``symconv/layers/*/*_kernel.py``, see
:mod:`symconv.codegen.embed`) and the numbers it binds, most of them as a kernel's plan record
(shapes, slice starts and steps, coefficients, printed expressions, Jacobian index tables).
Every number comes from the derivation (the window map, the vec Jacobians, the activation's
SymPy derivative) and is checked against it at generation time with
:func:`symconv.errors.require`, which raises :class:`PlanError` (also under
``python -O``).  This module holds what the planners share: the block types, the size
constants and helpers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from .printer import identifier, literal_lines, tuple_text

#: the largest dense vec Jacobian (entries) a generated ``jacobians`` function returns
JACOBIAN_LIMIT = 1_000_000
#: index tables longer than this are not written into a module (its ``jacobians`` refuses)
TABLE_LIMIT = 20_000


@dataclass(frozen=True)
class Call:
    """One line of a network's chain: ``outs = fn(args)`` (layout data for the template)."""

    outs: tuple[str, ...]
    fn: str
    args: tuple[str, ...]


@dataclass
class Block:
    """A layer's generated code: ``template`` rendered with ``context``, plus how a
    network module calls it (``forward``, ``backward`` and, for the loss, ``loss``), the
    kernel modules whose algorithms its template calls (copied into the module, see
    :mod:`symconv.codegen.embed`) and the plan records it binds, by name (for tests that run
    the kernels without generating a module)."""

    template: str
    context: dict[str, Any]
    forward: Call
    backward: Call
    loss: Call | None = None
    params: dict[str, str] = field(default_factory=dict)  # name in the layer -> network key
    kernels: tuple[str, ...] = ()
    records: dict[str, Any] = field(default_factory=dict)
    #: further public functions of a layer module, on per-example arguments (max pooling's
    #: ``indices(switches)``)
    extra: tuple[Call, ...] = ()


@dataclass(frozen=True)
class Names:
    """How a block names its functions (``{fn}forward``) and constants (``{const}HK``),
    and, inside a network, its input, output and parameters."""

    fn: str = ""
    const: str = "_"
    x_in: str = "x"
    x_out: str = "y"
    saved: str = "saved"
    keys: dict[str, str] = field(default_factory=dict)

    def param(self, name: str) -> str:
        return f'params["{identifier(self.keys.get(name, name))}"]'

    def grad(self, name: str) -> str:
        return f'grads["{identifier(self.keys.get(name, name))}"]'


def shape_text(shape: tuple[int, ...]) -> str:
    return tuple_text(shape)


def constants(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    for name, _ in pairs:
        identifier(name)
    return pairs


def table(name: str, values: list[object]) -> dict[str, Any]:
    return {"name": identifier(name), "lines": literal_lines(values)}


def index_tables(prefix: str, fits: bool, nnz: int, columns: dict[str, Any]) -> list[dict[str, Any]]:
    """The index tables a module's ``jacobians`` builds its dense Jacobians from, named
    ``prefix + name`` in the order given, when the Jacobians are small enough (``fits``) and
    the tables short enough (``nnz <= TABLE_LIMIT``); else none, and ``jacobians`` refuses."""
    if not fits or nnz > TABLE_LIMIT:
        return []
    return [table(f"{prefix}{name}", [int(v) for v in values]) for name, values in columns.items()]


def sorted_rows(*columns: Any) -> bytes:
    """The rows of equally long integer columns, sorted, as bytes: two sets of index tuples (a
    plan's and a Jacobian's triplets) are equal when these are, at NumPy's speed."""
    stacked = np.stack([np.asarray(x, np.int64).reshape(-1) for x in columns])
    return stacked[:, np.lexsort(stacked[::-1])].tobytes()


def unit_divisors(table: Any) -> np.ndarray:
    """For each value of a sparse Jacobian's table, ``D`` when the value is ``1/D`` for a nonzero
    integer ``D`` (an averaging weight), else 0."""
    values = [sp.Rational(v) for v in table]
    return np.array([v.p * v.q if v.p in (1, -1) else 0 for v in values], np.int64)


def jacobian_size(shapes: list[tuple[int, int]], count: int) -> tuple[int, bool]:
    entries = max(a * b for a, b in shapes) * count
    return entries, entries <= JACOBIAN_LIMIT
