"""Claims files: what they hold, how they are checked, and the results.

A claims file is TOML: the ``[layer]`` or ``[network]`` table of a config file (read by
:func:`symconv.config.spec_from_document`), an optional ``[define]`` table of named
expressions, and ``[[claims]]`` tables::

    [layer]
    type = "conv2d"
    input = [3, 4]
    kernel = [2, 2]
    padding = [1, 1]
    stride = [1, 2]

    [symbols]                             # free tensors, e.g. an upstream gradient dJ/dZ
    G = [4, 3]                            # a 4x3 matrix G with entries g[p,q] (LaTeX g_{pq})

    [define]
    X = "[[1, 2], [3, 4]]"

    [[claims]]
    id = "rep2.z32"
    lhs = "z[3,2]"
    rhs = "a[2,2]*beta[1,1] + a[2,3]*beta[1,2] + a[3,2]*beta[2,1] + a[3,3]*beta[2,2]"
    where = "Appendix A, rep.2"           # optional: where the statement comes from
    note = "..."                          # optional
    # latex = true                        # when lhs and rhs are LaTeX
    # relation = "<="                     # ==, <, <=, >, >= (orderings compare numbers)
    # group = "the seed as written"        # optional: the report counts each group on its own

Several subjects go in one file as ``[[part]]`` tables, each with its own ``[part.layer]``
or ``[part.network]``, ``[part.define]`` and ``[[part.claims]]`` (the seed audit does this).
"""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import spec_from_document
from ..errors import SpecError
from ..geometry import dims
from ..progress import QUIET, Steps
from ..specs import Layer, Network
from . import language
from . import latex as latex_reader
from .calculus import Calculus
from .decide import RELATIONS, Counterexample, Decider, Difference, decide
from .functions import FUNCTIONS, LOOPS, Context
from .namespace import Namespace
from .values import FILE_SECONDS, MAX_ENTRIES, Budget, ClaimError, NotDifferentiableError, Value

MAX_CLAIMS = 2_000
MAX_PARTS = 20
MAX_DEFINES = 200
MAX_SYMBOLS = 20
_SYMBOL = re.compile(r"[A-Za-z][A-Za-z0-9]{0,11}")
_PART_KEYS = ("title", "layer", "network", "symbols", "define", "claims")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,79}$")
_CLAIM_KEYS = ("id", "lhs", "rhs", "latex", "relation", "where", "note", "group")


@dataclass(frozen=True)
class Claim:
    """One ``[[claims]]`` table."""

    id: str
    lhs: str
    rhs: str
    latex: bool = False
    relation: str = "=="
    where: str = ""
    note: str = ""
    group: str = ""


@dataclass(frozen=True)
class Part:
    """A subject (layer or network) with its definitions and claims."""

    title: str
    spec: Layer | Network
    defines: tuple[tuple[str, str], ...]
    claims: tuple[Claim, ...]
    #: free tensors from the ``[symbols]`` table: name and shape
    symbols: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @property
    def subject(self) -> str:
        """A one-line description of the layer or network."""
        return describe_spec(self.spec)


@dataclass(frozen=True)
class ClaimResult:
    """The verdict on one claim.

    ``status`` is ``"holds"``, ``"fails"`` or ``"invalid"``; ``method`` says how it was
    decided (exact symbolic, every region of a piecewise function, tie-free points,
    shapes, numbers); for a failing claim ``correct`` is the left side's true value,
    ``differing`` the entries that differ and ``counterexample`` numbers for the variables
    at which the two sides differ."""

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
    fails, 2 if any is invalid."""

    name: str
    title: str
    parts: tuple[Part, ...]
    results: tuple[ClaimResult, ...] = field(default=())

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


# -- reading ------------------------------------------------------------------------------
def _string(value: Any, where: str, *, limit: int | None = None) -> str:
    if not isinstance(value, str):
        raise SpecError(where, f"must be a string, got {type(value).__name__}")
    if limit is not None and len(value) > limit:
        raise SpecError(where, f"must be at most {limit} characters long")
    return value


def _claims(items: Any, where: str, seen: set[str]) -> tuple[Claim, ...]:
    if not isinstance(items, list) or not items:
        raise SpecError(where, "must be a non-empty list of claim tables ([[claims]])")
    out = []
    for n, t in enumerate(items):
        w = f"{where}[{n}]"
        if not isinstance(t, dict):
            raise SpecError(w, "must be a table with id, lhs and rhs")
        for key in t:
            if key not in _CLAIM_KEYS:
                raise SpecError(f"{w}.{key}", f"is not a claim field; expected {', '.join(_CLAIM_KEYS)}")
        for key in ("id", "lhs", "rhs"):
            if key not in t:
                raise SpecError(f"{w}.{key}", "is required")
        cid = _string(t["id"], f"{w}.id")
        if not _ID.match(cid):
            raise SpecError(
                f"{w}.id", "must be 1-80 characters: letters, digits and _ . : + -, starting with a letter or digit"
            )
        if cid in seen:
            raise SpecError(f"{w}.id", f"repeats the id {cid!r}")
        seen.add(cid)
        latex = t.get("latex", False)
        if not isinstance(latex, bool):
            raise SpecError(f"{w}.latex", "must be true or false")
        relation = _string(t.get("relation", "=="), f"{w}.relation")
        if relation not in RELATIONS:
            raise SpecError(f"{w}.relation", f"must be one of {', '.join(RELATIONS)}, got {relation[:20]!r}")
        out.append(
            Claim(
                cid,
                _string(t["lhs"], f"{w}.lhs"),
                _string(t["rhs"], f"{w}.rhs"),
                latex,
                relation,
                _string(t.get("where", ""), f"{w}.where", limit=200),
                _string(t.get("note", ""), f"{w}.note", limit=1000),
                _string(t.get("group", ""), f"{w}.group", limit=80),
            )
        )
    return tuple(out)


def _defines(table: Any, where: str) -> tuple[tuple[str, str], ...]:
    if table is None:
        return ()
    if not isinstance(table, dict):
        raise SpecError(where, 'must be a table of name = "expression"')
    if len(table) > MAX_DEFINES:
        raise SpecError(where, f"has more than {MAX_DEFINES} names")
    out = []
    for name, text in table.items():
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,39}", name):
            raise SpecError(
                f"{where}.{name[:40]}", "a defined name is a letter followed by up to 39 letters, digits or _"
            )
        out.append((name, _string(text, f"{where}.{name}")))
    return tuple(out)


def _symbols(table: Any, where: str) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """``[symbols]``: ``G = [3, 6]`` declares a free 3x6 matrix ``G`` (entries ``g[p,q]``);
    ``[n]`` a vector, ``[c, h, w]`` channels of matrices, ``[c1, c2, h, w]`` as kernels."""
    if table is None:
        return ()
    if not isinstance(table, dict):
        raise SpecError(where, "must be a table of name = [sizes], e.g. G = [3, 6]")
    if len(table) > MAX_SYMBOLS:
        raise SpecError(where, f"declares more than {MAX_SYMBOLS} names")
    out = []
    for name, shape in table.items():
        shown = name[:40] if name.isascii() and name.isprintable() else ascii(name[:40])  # no raw control characters
        w = f"{where}.{shown}"
        if not _SYMBOL.fullmatch(name):
            raise SpecError(w, "a symbol is a letter followed by up to 11 letters or digits (no '_')")
        if (
            not isinstance(shape, list)
            or not 1 <= len(shape) <= 4
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in shape)
        ):
            raise SpecError(w, "must be a list of 1 to 4 sizes, e.g. [3, 6] for a matrix or [2, 3, 6] for 2 channels")
        if any(n < 1 for n in shape):
            raise SpecError(w, f"sizes must be integers >= 1, got {shape}")
        total = 1
        for n in shape:
            total *= n
            if total > MAX_ENTRIES:
                raise SpecError(w, f"has more than {MAX_ENTRIES} entries; the limit for one symbol is {MAX_ENTRIES}")
        out.append((name, tuple(shape)))
    return tuple(out)


def _declare_symbols(part: Part, ns: Namespace, where: str) -> None:
    for name, shape in part.symbols:
        try:
            if name in FUNCTIONS or name in LOOPS or name.lower() in FUNCTIONS:
                raise ClaimError(f"{name!r} is the name of a function; choose another")
            ns.declare(name, shape)
        except ClaimError as err:
            raise SpecError(f"{where}symbols.{name}", str(err)) from None


def _part(table: dict[str, Any], where: str, seen: set[str], allowed: tuple[str, ...]) -> Part:
    for key in table:
        if key not in allowed:
            shown = allowed if where else (*allowed, "part")  # at the top, [[part]] tables may stand instead
            raise SpecError(f"{where}{key}", f"is not allowed here; expected {', '.join(shown)}")
    subject: dict[str, Any] = {k: table[k] for k in ("layer", "network") if k in table}
    try:
        spec = spec_from_document(subject)
    except SpecError as err:
        raise SpecError(f"{where}{err.parameter}", err.rule) from None
    title = _string(table.get("title", ""), f"{where}title", limit=200)
    return Part(
        title,
        spec,
        _defines(table.get("define"), f"{where}define"),
        _claims(table.get("claims"), f"{where}claims", seen),
        _symbols(table.get("symbols"), f"{where}symbols"),
    )


def read_document(doc: Mapping[str, Any]) -> tuple[str, tuple[Part, ...]]:
    """The title and parts of a parsed claims document (raises SpecError if malformed)."""
    if not isinstance(doc, Mapping):
        raise SpecError("claims", "must be a TOML document (a table)")
    doc = dict(doc)
    seen: set[str] = set()
    title = _string(doc.get("title", ""), "title", limit=200)
    if "part" in doc:
        for key in doc:
            if key not in ("title", "part"):
                raise SpecError(key, "is not allowed next to [[part]] tables; put it inside a part")
        parts = doc["part"]
        if not isinstance(parts, list) or not parts or not all(isinstance(p, dict) for p in parts):
            raise SpecError("part", "must be a non-empty list of tables ([[part]])")
        if len(parts) > MAX_PARTS:
            raise SpecError("part", f"has more than {MAX_PARTS} parts")
        out = tuple(_part(p, f"part[{n}].", seen, _PART_KEYS) for n, p in enumerate(parts))
    else:
        out = (_part(doc, "", seen, _PART_KEYS),)
    if len(seen) > MAX_CLAIMS:
        raise SpecError("claims", f"there are {len(seen)} claims; the limit is {MAX_CLAIMS}")
    return title, out


# -- checking ------------------------------------------------------------------------------
def _context_defines(part: Part, ns: Namespace, calculus: Calculus, where: str) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for name, text in part.defines:
        budget = Budget()
        ctx = Context(ns, calculus, budget, dict(values))
        if ctx.is_bound(name):
            raise SpecError(f"{where}define.{name}", "is already a name of the layer or a function; choose another")
        try:
            with budget.active():
                values[name] = language.evaluate(text, ctx)
        except ClaimError as err:
            raise SpecError(f"{where}define.{name}", str(err)) from None
        except SpecError as err:
            raise SpecError(f"{where}define.{name}", str(err)) from None
    return values


def check_claim(
    claim: Claim,
    ns: Namespace,
    calculus: Calculus,
    defines: dict[str, Value],
    part: str = "",
    file_limit: tuple[float, float] | None = None,
) -> ClaimResult:
    """Evaluate and decide one claim; every problem becomes an ``invalid`` result.

    ``file_limit`` is the file's deadline (a ``time.monotonic()`` value) and its limit in
    seconds; the claim also has its own (:data:`~symconv.verify.values.CLAIM_SECONDS`)."""
    start = time.perf_counter()
    budget = Budget(file_limit=file_limit)
    ctx = Context(ns, calculus, budget, defines)
    reader = latex_reader.evaluate if claim.latex else language.evaluate
    side = "lhs"
    try:
        with budget.active():
            budget.spend(0)  # a file already past its time limit checks nothing more
            lhs = reader(claim.lhs, ctx)
            side = "rhs"
            rhs = reader(claim.rhs, ctx)
            side = ""
            decision = decide(lhs, rhs, claim.relation, Decider(ns.graph, budget, zlib.crc32(claim.id.encode())))
    except NotDifferentiableError as err:
        where = f"{side}: " if side else ""
        return ClaimResult(
            claim.id,
            "fails",
            f"fails: {where}{err}",
            "no derivative at a tie of a max",
            part,
            claim,
            work=budget.used,
            seconds=time.perf_counter() - start,
        )
    except (ClaimError, SpecError) as err:
        return _invalid(claim, part, side, str(err), budget, start)
    except RecursionError:
        return _invalid(claim, part, side, "is nested too deeply to evaluate", budget, start)
    except MemoryError:
        message = "needs more memory than there is; split it into smaller claims"
        return _invalid(claim, part, side, message, budget, start)
    except Exception as err:  # SymPy's own errors (shape, polys, ...): still one clear line, never a crash
        text = " ".join(str(err).split())[:200]
        return _invalid(claim, part, side, f"could not be evaluated ({type(err).__name__}: {text})", budget, start)
    return ClaimResult(
        claim.id,
        "holds" if decision.holds else "fails",
        decision.message,
        decision.method,
        part,
        claim,
        decision.correct,
        decision.claimed,
        decision.differing,
        decision.n_differing,
        decision.counterexample,
        budget.used,
        time.perf_counter() - start,
    )


def _invalid(claim: Claim, part: str, side: str, message: str, budget: Budget, start: float) -> ClaimResult:
    where = f"{side}: " if side else ""
    return ClaimResult(
        claim.id, "invalid", where + message, "", part, claim, work=budget.used, seconds=time.perf_counter() - start
    )


def prepare(part: Part, where: str = "") -> tuple[Namespace, Calculus, dict[str, Value]]:
    """The names of a part (its layer or network and its ``[symbols]``), the derivatives
    over them, and the values of its ``[define]`` table."""
    ns = Namespace(part.spec)
    _declare_symbols(part, ns, where)
    calculus = Calculus(ns.graph)
    return ns, calculus, _context_defines(part, ns, calculus, where)


def check_document(
    doc: Mapping[str, Any], name: str = "claims", seconds: float | None = None, *, progress: Steps = QUIET
) -> Report:
    """Check every claim of a parsed claims document, within ``seconds`` of wall-clock time
    (:data:`~symconv.verify.values.FILE_SECONDS` by default); claims not reached in time
    are invalid and say so.  ``progress`` steps once per claim, named by its id."""
    title, parts = read_document(doc)
    results: list[ClaimResult] = []
    limit = FILE_SECONDS if seconds is None else seconds
    file_limit = (time.monotonic() + limit, limit)
    progress.expect(sum(len(part.claims) for part in parts))
    for n, part in enumerate(parts):
        ns, calculus, defines = prepare(part, f"part[{n}]." if len(parts) > 1 else "")
        label = part.title or part.subject
        for claim in part.claims:
            progress.step(claim.id)
            results.append(check_claim(claim, ns, calculus, defines, label, file_limit))
    return Report(name, title, parts, tuple(results))


def describe_spec(spec: Layer | Network) -> str:
    """``conv2d: input 3x4, kernel 2x2, padding 1,1,1,1, stride 1,2`` or a network's layers."""
    if isinstance(spec, Network):
        kinds = ", ".join(layer.kind for layer in spec.layers)
        shape = "x".join(str(n) for n in spec.in_shape)
        return f"network, input {shape}: {kinds}"
    settings = spec.describe()
    return f"{spec.kind}: input {dims(spec.in_shape[1:])}" + (f", {settings}" if settings else "")
