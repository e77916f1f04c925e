"""Claims files: what they hold, how they are checked, and the results.

A claims file is TOML: the ``[layer]`` or ``[network]`` table of a config file (read by
:func:`symconv.config.spec_from_document`), an optional ``[define]`` table of named
expressions, and ``[[claims]]`` tables::

    layout = "denominator"                # optional: numerator | denominator | mixed
    index_base = 1                        # optional: 0 for LaTeX subscripts counted from 0
    out_of_range = "zero"                 # optional: "error" refuses entries outside a tensor

    [layer]
    type = "conv2d"
    input = [3, 4]
    kernel = [2, 2]
    padding = [1, 1]
    stride = [1, 2]

    [family]                              # optional: check every claim for each combination
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
    # for = {m = [1, 2]}                  # the range of a free index (else inferred)
    # layout, index_base, out_of_range    # for this claim only

Several subjects go in one file as ``[[part]]`` tables, each with its own ``[part.layer]``
or ``[part.network]``, ``[part.define]`` and ``[[part.claims]]`` (the seed audit does this).

A claims table that is not valid, or a ``[define]`` that cannot be evaluated, makes the
claims concerned invalid; every other claim of the file is still checked and reported.
"""

from __future__ import annotations

import dataclasses
import re
import time
import zlib
from collections.abc import Mapping
from typing import Any

from ..config import spec_from_document
from ..errors import SpecError
from ..progress import QUIET, Steps
from ..specs import Layer, Network
from . import language
from .calculus import Calculus
from .decide import RELATIONS, Decider
from .family import combine, configurations, read_family, spec_for
from .functions import FUNCTIONS, LOOPS, Broken, Context, Trace
from .model import Claim, ClaimResult, Family, Part, Report, describe_spec
from .namespace import Namespace
from .options import OPTION_KEYS, Options, read_for, read_options
from .quantify import Stage, check, depends_note, layout_hint, other_layouts, transpose_hint
from .values import FILE_SECONDS, MAX_ENTRIES, Budget, ClaimError, NotDifferentiableError, Value

__all__ = [
    "Claim",
    "ClaimResult",
    "Part",
    "Report",
    "Subject",
    "check_claim",
    "check_document",
    "describe_spec",
    "prepare",
    "read_document",
]

MAX_CLAIMS = 2_000
MAX_PARTS = 20
MAX_DEFINES = 200
MAX_SYMBOLS = 20
_SYMBOL = re.compile(r"[A-Za-z][A-Za-z0-9]{0,11}(_[A-Za-z0-9]{1,12})?")
_DEFINE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
_SIZE = re.compile(r"[a-z][a-z0-9_]{0,19}")
_PART_KEYS = ("title", "layer", "network", "symbols", "define", "claims", "family", *OPTION_KEYS)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,79}$")
_CLAIM_KEYS = ("id", "lhs", "rhs", "latex", "relation", "where", "note", "group", "for", *OPTION_KEYS)


# -- reading ------------------------------------------------------------------------------
def _string(value: Any, where: str, *, limit: int | None = None) -> str:
    if not isinstance(value, str):
        raise SpecError(where, f"must be a string, got {type(value).__name__}")
    if limit is not None and len(value) > limit:
        raise SpecError(where, f"must be at most {limit} characters long")
    return value


def _claims(items: Any, where: str, seen: set[str], options: Options) -> tuple[Claim, ...]:
    if not isinstance(items, list) or not items:
        raise SpecError(where, "must be a non-empty list of claim tables ([[claims]])")
    out = []
    for n, t in enumerate(items):
        w = f"{where}[{n}]"
        cid = t.get("id") if isinstance(t, dict) else None
        cid = cid if isinstance(cid, str) and _ID.match(cid) and cid not in seen else f"{where}[{n}]"
        try:
            out.append(_claim(t, w, seen, options))
        except SpecError as err:  # this claim is invalid; the others are checked
            text = t if isinstance(t, dict) else {}
            lhs, rhs = (text.get(k) if isinstance(text.get(k), str) else "" for k in ("lhs", "rhs"))
            out.append(Claim(cid, lhs, rhs, problem=f"{err.parameter}: {err.rule}"))  # type: ignore[arg-type]
        seen.add(out[-1].id)
    return tuple(out)


def _claim(t: Any, w: str, seen: set[str], options: Options) -> Claim:
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
    latex = t.get("latex", False)
    if not isinstance(latex, bool):
        raise SpecError(f"{w}.latex", "must be true or false")
    relation = _string(t.get("relation", "=="), f"{w}.relation")
    if relation not in RELATIONS:
        raise SpecError(f"{w}.relation", f"must be one of {', '.join(RELATIONS)}, got {relation[:20]!r}")
    overrides: dict[str, Any] = {k: t[k] for k in OPTION_KEYS if k in t}
    read_options(overrides, f"{w}.", options)  # checked now, applied when the claim is checked
    if "for" in t:
        overrides["for"] = read_for(t["for"], f"{w}.for")
    return Claim(
        cid,
        _string(t["lhs"], f"{w}.lhs"),
        _string(t["rhs"], f"{w}.rhs"),
        latex,
        relation,
        _string(t.get("where", ""), f"{w}.where", limit=200),
        _string(t.get("note", ""), f"{w}.note", limit=1000),
        _string(t.get("group", ""), f"{w}.group", limit=80),
        tuple(overrides.items()),
    )


def _defines(table: Any, where: str) -> tuple[tuple[str, str], ...]:
    if table is None:
        return ()
    if not isinstance(table, dict):
        raise SpecError(where, 'must be a table of name = "expression"')
    if len(table) > MAX_DEFINES:
        raise SpecError(where, f"has more than {MAX_DEFINES} names")
    out = []
    for name, text in table.items():
        if not _DEFINE.fullmatch(name):
            raise SpecError(
                f"{where}.{name[:40]}",
                "a defined name is a letter followed by up to 39 letters, digits or _ (n_h, X_col)",
            )
        out.append((name, _string(text, f"{where}.{name}")))
    return tuple(out)


def _symbols(table: Any, where: str) -> tuple[tuple[str, tuple[int | str, ...]], ...]:
    """``[symbols]``: ``G = [3, 6]`` declares a free 3x6 matrix ``G`` (entries ``g[p,q]``);
    ``[n]`` a vector, ``[c, h, w]`` channels of matrices, ``[c1, c2, h, w]`` as kernels;
    a name may carry one subscript, ``dY_col`` (then it has no entry letter)."""
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
            raise SpecError(w, "a symbol is a letter, up to 11 letters or digits and one _subscript at most (X_col)")
        if (
            not isinstance(shape, list)
            or not 1 <= len(shape) <= 4
            or not all(
                (isinstance(n, int) and not isinstance(n, bool)) or (isinstance(n, str) and _SIZE.fullmatch(n))
                for n in shape
            )
        ):
            raise SpecError(
                w,
                "must be a list of 1 to 4 sizes, e.g. [3, 6] for a matrix or [2, 3, 6] for 2 channels; "
                'a size may be the layer\'s, by name: ["h_z", "w_z"]',
            )
        out.append((name, tuple(shape)))
    return tuple(out)


def _sizes(name: str, shape: tuple[Any, ...], ns: Namespace, where: str) -> tuple[int, ...]:
    """A ``[symbols]`` shape with the layer's sizes (``"h_z"``) put in, checked."""
    w = f"{where}symbols.{name}"
    out = []
    for n in shape:
        if isinstance(n, str):
            if n not in ns.constants:
                known = ", ".join(sorted(ns.constants))
                raise SpecError(w, f"{n!r} is not a size of this {ns.subject_kind()}; its sizes: {known}")
            n = ns.constants[n]
        if n < 1:
            raise SpecError(w, f"sizes must be integers >= 1, got {list(shape)}")
        out.append(n)
    total = 1
    for n in out:
        total *= n
        if total > MAX_ENTRIES:
            raise SpecError(w, f"has more than {MAX_ENTRIES} entries; the limit for one symbol is {MAX_ENTRIES}")
    return tuple(out)


def _part(table: dict[str, Any], where: str, seen: set[str], allowed: tuple[str, ...], options: Options) -> Part:
    for key in table:
        if key not in allowed:
            shown = allowed if where else (*allowed, "part")  # at the top, [[part]] tables may stand instead
            raise SpecError(f"{where}{key}", f"is not allowed here; expected {', '.join(shown)}")
    options = read_options(table, where, options)
    subject: dict[str, Any] = {k: table[k] for k in ("layer", "network") if k in table}
    family = read_family(table["family"], subject, f"{where}family") if "family" in table else None
    try:
        spec = spec_from_document(subject) if family is None else _first_spec(family)
    except SpecError as err:
        raise SpecError(f"{where}{err.parameter}", err.rule) from None
    title = _string(table.get("title", ""), f"{where}title", limit=200)
    return Part(
        title,
        spec,
        _defines(table.get("define"), f"{where}define"),
        _claims(table.get("claims"), f"{where}claims", seen, options),
        _symbols(table.get("symbols"), f"{where}symbols"),
        options,
        family,
    )


def _first_spec(family: Family) -> Layer | Network:
    """The first configuration that is a valid layer (the family's kind and names)."""
    first: SpecError | None = None
    for config in configurations(family):
        try:
            return spec_for(family, config)
        except SpecError as err:
            first = first or err
    assert first is not None
    raise first


def read_document(doc: Mapping[str, Any]) -> tuple[str, tuple[Part, ...]]:
    """The title and parts of a parsed claims document (raises SpecError if malformed)."""
    if not isinstance(doc, Mapping):
        raise SpecError("claims", "must be a TOML document (a table)")
    doc = dict(doc)
    seen: set[str] = set()
    title = _string(doc.get("title", ""), "title", limit=200)
    if "part" in doc:
        for key in doc:
            if key not in ("title", "part", *OPTION_KEYS):
                raise SpecError(key, "is not allowed next to [[part]] tables; put it inside a part")
        options = read_options(doc, "", Options())
        parts = doc["part"]
        if not isinstance(parts, list) or not parts or not all(isinstance(p, dict) for p in parts):
            raise SpecError("part", "must be a non-empty list of tables ([[part]])")
        if len(parts) > MAX_PARTS:
            raise SpecError("part", f"has more than {MAX_PARTS} parts")
        out = tuple(_part(p, f"part[{n}].", seen, _PART_KEYS, options) for n, p in enumerate(parts))
    else:
        out = (_part(doc, "", seen, _PART_KEYS, Options()),)
    total = sum(len(p.claims) * (p.family.count if p.family else 1) for p in out)
    if total > MAX_CLAIMS:
        raise SpecError(
            "claims", f"there are {total} claim checks (claims times configurations); the limit is {MAX_CLAIMS}"
        )
    return title, out


# -- checking ------------------------------------------------------------------------------
class Subject:
    """A part's names (its layer or network and its ``[symbols]``), the derivatives over
    them, and its ``[define]`` values -- evaluated once per layout, on first use."""

    def __init__(self, part: Part, spec: Layer | Network | None = None, where: str = "") -> None:
        self.part = part
        self.options = part.options
        self.ns = Namespace(spec or part.spec)
        for name, shape in part.symbols:
            sizes = _sizes(name, shape, self.ns, where)
            try:
                if name in FUNCTIONS or name in LOOPS or name.lower() in FUNCTIONS:
                    raise ClaimError(f"{name!r} is the name of a function; choose another")
                self.ns.declare(name, sizes)
            except ClaimError as err:
                raise SpecError(f"{where}symbols.{name}", str(err)) from None
        self.calculus = Calculus(self.ns.graph)
        self.warnings: list[str] = []
        for name, _ in part.defines:
            if self.ns.has(name) or name in self.ns.jacobians:
                self.warnings.append(
                    f"define.{name} shadows the {self.ns.subject_kind()}'s name {name} in this file "
                    f"(the layer's {name} cannot be used here; rename the definition to keep both)"
                )
        self._defines: dict[str, tuple[dict[str, Value | Broken], dict[str, set[str]]]] = {}

    def defines(self, layout: str) -> tuple[dict[str, Value | Broken], dict[str, set[str]]]:
        """The ``[define]`` values in ``layout`` and the layout-dependent derivatives each took."""
        if layout not in self._defines:
            values: dict[str, Value | Broken] = {}
            kinds: dict[str, set[str]] = {}
            options = self.options.with_layout(layout)
            for name, text in self.part.defines:
                budget = Budget()
                trace = Trace()
                ctx = Context(self.ns, self.calculus, budget, dict(values), options, trace, dict(kinds))
                if name in FUNCTIONS or name in LOOPS:
                    values[name] = Broken(f"{name} is the name of a function; choose another name")
                    continue
                try:
                    with budget.active():
                        values[name] = language.evaluate(text, ctx)
                except (ClaimError, SpecError) as err:
                    values[name] = Broken(str(err))
                except (RecursionError, MemoryError):
                    values[name] = Broken("is too large or too deeply nested to evaluate")
                kinds[name] = set(trace.kinds)
            self._defines[layout] = (values, kinds)
        return self._defines[layout]

    def context(self, options: Options, budget: Budget, extra: dict[str, Value] | None = None) -> Context:
        values, kinds = self.defines(options.layout)
        return Context(self.ns, self.calculus, budget, {**values, **(extra or {})}, options, Trace(), kinds)

    def broken_defines(self) -> list[tuple[str, str]]:
        values, _ = self.defines(self.options.layout)
        return [(n, v.message) for n, v in values.items() if isinstance(v, Broken)]


def prepare(part: Part, where: str = "") -> Subject:
    """The :class:`Subject` of a part (raises SpecError for a bad ``[symbols]`` table)."""
    return Subject(part, where=where)


def claim_options(claim: Claim, options: Options) -> Options:
    table = dict(claim.options)
    out = read_options(table, "", options)
    if "for" in table:
        out = dataclasses.replace(out, ranges=table["for"])
    return out


def check_claim(
    claim: Claim,
    subject: Subject,
    part: str = "",
    file_limit: tuple[float, float] | None = None,
    extra: dict[str, Value] | None = None,
) -> ClaimResult:
    """Evaluate and decide one claim; every problem becomes an ``invalid`` result.

    ``file_limit`` is the file's deadline (a ``time.monotonic()`` value) and its limit in
    seconds; the claim also has its own (:data:`~symconv.verify.values.CLAIM_SECONDS`).
    ``extra``: names bound for this claim only (tests)."""
    start = time.perf_counter()
    budget = Budget(file_limit=file_limit)
    if claim.problem:
        return _invalid(claim, part, "", claim.problem, budget, start)
    stage = Stage()
    try:
        options = claim_options(claim, subject.options)
        with budget.active():
            budget.spend(0)  # a file already past its time limit checks nothing more
            decider = Decider(subject.ns.graph, budget, zlib.crc32(claim.id.encode()))
            ctx = subject.context(options, budget, extra)
            outcome = check(claim, ctx, decider, stage)
            decision = outcome.decision
            notes = list(outcome.notes)
            hint = ""
            alternatives = other_layouts(ctx.trace.kinds, options.layout)
            if alternatives and (not decision.holds or not options.layout_stated):
                for other in alternatives:
                    alt = _in_layout(claim, subject, options.with_layout(other), budget, extra)
                    if alt is None or alt == decision.holds:
                        continue
                    if not decision.holds:
                        hint = layout_hint(options.layout, options.layout_stated, other, ctx.trace.kinds)
                    else:
                        notes.append(depends_note(options.layout, other, "fails"))
                    break
            if not decision.holds and not hint:
                hint = transpose_hint(outcome.lhs, outcome.rhs, decider)
    except NotDifferentiableError as err:
        where = f"{stage.side}: " if stage.side else ""
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
        return _invalid(claim, part, stage.side, str(err), budget, start)
    except RecursionError:
        return _invalid(claim, part, stage.side, "is nested too deeply to evaluate", budget, start)
    except MemoryError:
        message = "needs more memory than there is; split it into smaller claims"
        return _invalid(claim, part, stage.side, message, budget, start)
    except Exception as err:  # SymPy's own errors (shape, polys, ...): still one clear line, never a crash
        text = " ".join(str(err).split())[:200]
        message = f"could not be evaluated ({type(err).__name__}: {text})"
        return _invalid(claim, part, stage.side, message, budget, start)
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
        outcome.labels,
        tuple(notes),
        hint,
        bool(ctx.trace.kinds),
    )


def _in_layout(
    claim: Claim, subject: Subject, options: Options, budget: Budget, extra: dict[str, Value] | None
) -> bool | None:
    """Whether the claim holds in another layout (None: it cannot be decided there)."""
    try:
        ctx = subject.context(options, budget, extra)
        decider = Decider(subject.ns.graph, budget, zlib.crc32(claim.id.encode()))
        return check(claim, ctx, decider, Stage()).decision.holds
    except NotDifferentiableError:
        return False
    except (ClaimError, SpecError):
        return None


def _invalid(claim: Claim, part: str, side: str, message: str, budget: Budget, start: float) -> ClaimResult:
    where = f"{side}: " if side else ""
    return ClaimResult(
        claim.id, "invalid", where + message, "", part, claim, work=budget.used, seconds=time.perf_counter() - start
    )


def check_document(
    doc: Mapping[str, Any], name: str = "claims", seconds: float | None = None, *, progress: Steps = QUIET
) -> Report:
    """Check every claim of a parsed claims document, within ``seconds`` of wall-clock time
    (:data:`~symconv.verify.values.FILE_SECONDS` by default); claims not reached in time
    are invalid and say so.  ``progress`` steps once per claim, named by its id."""
    title, parts = read_document(doc)
    results: list[ClaimResult] = []
    warnings: list[tuple[str, str]] = []
    limit = FILE_SECONDS if seconds is None else seconds
    file_limit = (time.monotonic() + limit, limit)
    progress.expect(sum(len(part.claims) for part in parts))
    for n, part in enumerate(parts):
        where = f"part[{n}]." if len(parts) > 1 else ""
        label = part.title or part.subject
        if part.family is not None:
            results.extend(_check_family(part, where, label, file_limit, progress, warnings))
            continue
        subject = Subject(part, where=where)
        warnings.extend((label, w) for w in subject.warnings)
        warnings.extend((label, f"define.{d} is invalid: {m}") for d, m in subject.broken_defines())
        for claim in part.claims:
            progress.step(claim.id)
            results.append(check_claim(claim, subject, label, file_limit))
    return Report(name, title, parts, tuple(results), tuple(warnings))


def _check_family(
    part: Part,
    where: str,
    label: str,
    file_limit: tuple[float, float],
    progress: Steps,
    warnings: list[tuple[str, str]],
) -> list[ClaimResult]:
    """Every claim on every valid configuration of the part's family, combined."""
    family = part.family
    assert family is not None
    per_claim: dict[str, list[tuple[dict[str, Any], ClaimResult]]] = {c.id: [] for c in part.claims}
    skipped = 0
    for config in configurations(family):
        try:
            spec = spec_for(family, config)
        except SpecError:
            skipped += 1
            continue
        if 0 in spec.in_shape or 0 in spec.out_shape:  # an empty layer: no entry to claim about
            skipped += 1
            continue
        if time.monotonic() > file_limit[0]:  # each claim says so; no more layers are derived
            late = ClaimResult("", "invalid", Budget(file_limit=file_limit).timeout_message())
            for claim in part.claims:
                per_claim[claim.id].append((config, dataclasses.replace(late, id=claim.id, claim=claim, part=label)))
            continue
        subject = Subject(part, spec, where)
        if not warnings or all(w[0] != label for w in warnings):
            warnings.extend((label, w) for w in subject.warnings)
        for claim in part.claims:
            per_claim[claim.id].append((config, check_claim(claim, subject, label, file_limit)))
    out = []
    for claim in part.claims:
        progress.step(claim.id)
        result, _ = combine(family, per_claim[claim.id], skipped)
        out.append(result)
    return out
