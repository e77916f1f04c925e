"""What a claims file holds and what checking it gives: claims, parts, results, reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..geometry import dims
from ..specs import Layer, Network
from .decide import Counterexample, Difference
from .options import Options
from .values import Value


@dataclass(frozen=True)
class Claim:
    """One ``[[claims]]`` table.  ``problem``: why the table itself is not a valid claim
    (it is then reported invalid with that line, and the file's other claims still run);
    ``options``: its own ``layout``, ``index_base``, ``out_of_range`` and ``for``."""

    id: str
    lhs: str
    rhs: str
    latex: bool = False
    relation: str = "=="
    where: str = ""
    note: str = ""
    group: str = ""
    options: tuple[tuple[str, Any], ...] = ()
    problem: str = ""


@dataclass(frozen=True)
class Family:
    """A ``[family]`` table: the layer's keys and the values each takes (every combination
    is checked)."""

    keys: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    #: the subject table (``{"layer": {...}}``) the configurations change
    subject: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def count(self) -> int:
        out = 1
        for v in self.values:
            out *= len(v)
        return out


@dataclass(frozen=True)
class Part:
    """A subject (layer or network) with its definitions and claims."""

    title: str
    spec: Layer | Network
    defines: tuple[tuple[str, str], ...]
    claims: tuple[Claim, ...]
    #: free tensors from the ``[symbols]`` table: name and shape
    symbols: tuple[tuple[str, tuple[int | str, ...]], ...] = ()
    options: Options = field(default_factory=Options)
    family: Family | None = None

    @property
    def subject(self) -> str:
        """A one-line description of the layer or network."""
        if self.family is not None:
            sizes = "; ".join(
                f"{k} {', '.join(show_value(v) for v in vals)}"
                for k, vals in zip(self.family.keys, self.family.values, strict=True)
            )
            kind = self.spec.kind if isinstance(self.spec, Layer) else "network"
            return f"{kind}: a family of {self.family.count} configurations ({sizes})"
        return describe_spec(self.spec)


def show_value(v: Any) -> str:
    """A family value as people write sizes: ``5x5``, ``2``, ``1,0,2,0``."""
    if isinstance(v, list):
        return "x".join(map(str, v)) if len(v) <= 3 else ",".join(map(str, v))
    return str(v)


@dataclass(frozen=True)
class ClaimResult:
    """The verdict on one claim.

    ``status`` is ``"holds"``, ``"fails"`` or ``"invalid"``; ``method`` says how it was
    decided (exact symbolic, every region of a piecewise function, tie-free points,
    shapes, numbers); for a failing claim ``correct`` is the left side's true value,
    ``differing`` the entries that differ and ``counterexample`` numbers for the variables
    at which the two sides differ.  ``labels`` names the free indices an entry position
    starts with; ``notes`` are lines the report prints under the claim (ranges, entries
    read as zero, layout, family), ``hint`` a line for a failure (a layout or a transpose);
    ``outcomes`` and ``smallest`` for a claim checked on a family of configurations."""

    id: str
    status: str
    message: str
    method: str = ""
    part: str = ""
    claim: Claim | None = None
    correct: Value | None = None
    claimed: Value | None = None
    differing: tuple[Difference, ...] = ()
    n_differing: int = 0
    counterexample: Counterexample | None = None
    work: int = 0
    seconds: float = 0.0
    labels: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    hint: str = ""
    layout_sensitive: bool = False
    #: a family's claim: each configuration (described) and the claim's status there, and
    #: the smallest configuration where it fails (or is invalid)
    outcomes: tuple[tuple[str, str], ...] = ()
    smallest: str = ""

    @property
    def holds(self) -> bool:
        return self.status == "holds"

    @property
    def fails(self) -> bool:
        return self.status == "fails"

    @property
    def invalid(self) -> bool:
        return self.status == "invalid"


@dataclass(frozen=True)
class Report:
    """All results of one claims file; ``exit_code`` is 0 if every claim holds, 1 if any
    fails, 2 if any is invalid.  ``warnings``: lines about the file itself (a ``[define]``
    that shadows a layer's name)."""

    name: str
    title: str
    parts: tuple[Part, ...]
    results: tuple[ClaimResult, ...] = field(default=())
    warnings: tuple[tuple[str, str], ...] = ()

    @property
    def exit_code(self) -> int:
        if any(r.invalid for r in self.results):
            return 2
        if any(r.fails for r in self.results):
            return 1
        return 0

    def counts(self) -> dict[str, int]:
        out = {"holds": 0, "fails": 0, "invalid": 0}
        for r in self.results:
            out[r.status] += 1
        return out

    def group_counts(self) -> dict[str, dict[str, int]]:
        """:meth:`counts` for each claim ``group``, in the order the groups first appear
        (claims without a group are not in any)."""
        out: dict[str, dict[str, int]] = {}
        for r in self.results:
            group = r.claim.group if r.claim is not None else ""
            if group:
                out.setdefault(group, {"holds": 0, "fails": 0, "invalid": 0})[r.status] += 1
        return out

    def result(self, claim_id: str) -> ClaimResult:
        for r in self.results:
            if r.id == claim_id:
                return r
        raise KeyError(claim_id)


def describe_spec(spec: Layer | Network) -> str:
    """``conv2d: input 3x4, kernel 2x2, padding 1,1,1,1, stride 1,2`` or a network's layers."""
    if isinstance(spec, Network):
        kinds = ", ".join(layer.kind for layer in spec.layers)
        return f"network, input {'x'.join(str(n) for n in spec.in_shape)}: {kinds}"
    settings = spec.describe()
    shape = spec.in_shape[1:] if len(spec.in_shape) >= 3 else spec.in_shape
    return f"{spec.kind}: input {dims(shape)}" + (f", {settings}" if settings else "")
