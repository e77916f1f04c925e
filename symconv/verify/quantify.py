r"""Checking one claim: its sides read once, evaluated at every value of its free indices,
decided as one; then the layout and transpose hints a failure gets.

Free indices (``k_{mn}`` with no sum over ``m`` and ``n``) are universally quantified: the
claim holds when it holds at every value in their ranges (given by the claim's ``for``
table or a ``\forall`` clause, else inferred from the tensors they index), and a failure
names the first index values where the sides differ.

A ``*`` whose padding the shapes decide needs the other side's shape: the left side is
read first, unless its own ``*`` needs the right side's shape.
"""

from __future__ import annotations

import sympy as sp

from . import language
from . import latex as latex_reader
from .decide import SHAPES, Decider, Decision, decide, decide_entries, entries
from .functions import Context
from .indices import Ranges, infer_range, points
from .model import Claim
from .operators import UNKNOWN, AmbiguousPaddingError
from .options import AGREE, LAYOUT_MEANING, LAYOUTS, SCALAR_BY_ARRAY
from .values import ClaimError, Shape, Value, is_matrix, is_scalar, is_tensor, to_matrix

MAX_ZERO_SHOWN = 6


class Stage:
    """Which side is being read (for the message of an error)."""

    side = "lhs"


class Quantified:
    """The outcome of a claim: its decision, and what the report says about it."""

    def __init__(self, decision: Decision, lhs: Value | None, rhs: Value | None, notes: list[str]) -> None:
        self.decision = decision
        self.lhs = lhs
        self.rhs = rhs
        self.notes = notes
        self.labels: tuple[str, ...] = ()


def sides(claim: Claim, ctx: Context, stage: Stage) -> tuple[object, object]:
    reader = latex_reader if claim.latex else language
    stage.side = "lhs"
    lhs = reader.prepare(claim.lhs, ctx)
    stage.side = "rhs"
    rhs = reader.prepare(claim.rhs, ctx)
    stage.side = ""
    return lhs, rhs


def _shape(v: Value) -> tuple[int, ...] | None:
    if is_scalar(v):
        return ()
    if is_matrix(v):
        return tuple(to_matrix(v, "value").shape)
    return None


def evaluate_pair(lhs: object, rhs: object, env: dict[str, int], stage: Stage) -> tuple[Value, Value]:
    """Both sides at ``env``; a ``*`` without a padding reads the other side's shape (the
    left side first, unless its own ``*`` waits for the right side's shape)."""
    stage.side = "lhs"
    try:
        left = lhs.evaluate(env, UNKNOWN)  # type: ignore[attr-defined]
    except AmbiguousPaddingError as first:
        stage.side = "rhs"
        try:
            right = rhs.evaluate(env, UNKNOWN)  # type: ignore[attr-defined]
        except AmbiguousPaddingError as second:
            raise ClaimError(
                f"{first} and {second} each need the other side's shape to tell their padding; "
                "write it on one of them: \\ast_{\\text{full}}, \\ast_{\\text{valid}} or \\ast_{\\text{same}}"
            ) from None
        stage.side = "lhs"
        left = lhs.evaluate(env, _shape(right))  # type: ignore[attr-defined]
        stage.side = ""
        return left, right
    stage.side = "rhs"
    right = rhs.evaluate(env, _shape(left))  # type: ignore[attr-defined]
    stage.side = ""
    return left, right


def free_ranges(claim: Claim, ctx: Context, lhs: object, rhs: object) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """The free indices (alphabetical: the first varies slowest), their ranges, and how each
    was found."""
    explicit = dict(ctx.options.ranges)
    declared = {**lhs.declared(), **rhs.declared()}  # type: ignore[attr-defined]
    names: list[str] = []
    for n in [*sorted_free(lhs), *sorted_free(rhs), *declared, *explicit]:
        if n not in names:
            names.append(n)
    used = set(sorted_free(lhs)) | set(sorted_free(rhs)) | set(declared)
    unused = [n for n in explicit if n not in used]
    if unused:
        raise ClaimError(f"for = {{{unused[0]} = ...}} names an index the claim does not use")
    if not names:
        return {}, []
    # an index the left side (the quantity) indexes by itself ranges as it does there; one
    # that only the right side indexes ranges as it does there
    left = lhs.ranges(set(names))  # type: ignore[attr-defined]
    right = rhs.ranges(set(names))  # type: ignore[attr-defined]
    seen = Ranges({n: left.seen[n] if n in left.seen else right.seen.get(n, []) for n in names})
    base = ctx.options.index_base if claim.latex else 1
    out: dict[str, tuple[int, int]] = {}
    how: list[str] = []
    for n in names:
        if n in explicit:
            out[n] = explicit[n]
            how.append(f"{n} = {out[n][0]}..{out[n][1]} (for)")
        elif declared.get(n) is not None:
            out[n] = declared[n]  # type: ignore[assignment]
            how.append(f"{n} = {out[n][0]}..{out[n][1]} (\\forall)")
        else:
            hint = f"give it with for = {{{n} = [{base}, 3]}}" + (
                f" or \\forall {base} \\le {n} \\le 3" if claim.latex else ""
            )
            out[n] = infer_range(n, seen, base, hint)
            sources = sorted({t for size, t in seen.seen.get(n, []) if (size + base - 1) == out[n][1]})
            how.append(f"{n} = {out[n][0]}..{out[n][1]} (from {', '.join(sources)})")
    return out, how


def sorted_free(side: object) -> list[str]:
    return sorted(side.free())  # type: ignore[attr-defined]


def check(claim: Claim, ctx: Context, decider: Decider, stage: Stage) -> Quantified:
    """Read, evaluate and decide ``claim`` in ``ctx`` (one layout)."""
    lhs, rhs = sides(claim, ctx, stage)
    ranges, how = free_ranges(claim, ctx, lhs, rhs)
    if not ranges:
        left, right = evaluate_pair(lhs, rhs, {}, stage)
        decision = decide(left, right, claim.relation, decider)
        return Quantified(decision, left, right, _zero_note(ctx))
    if claim.relation != "==":
        raise ClaimError(f"a claim with free indices states ==, not {claim.relation}")
    positions: list[tuple[int, ...]] = []
    lents: list[sp.Expr] = []
    rents: list[sp.Expr] = []
    grid = points(ranges)
    for env in grid:
        ctx.budget.spend(10, "free index values")
        left, right = evaluate_pair(lhs, rhs, env, stage)
        for v in (left, right):
            if isinstance(v, Shape) or is_tensor(v):
                raise ClaimError("with free indices, both sides are numbers or matrices at each index value")
        lshape, le, pos = entries(left)
        rshape, re, _ = entries(right)
        lshape, rshape = (() if s == (1, 1) else s for s in (lshape, rshape))
        if lshape != rshape:
            at = ", ".join(f"{n} = {v}" for n, v in env.items())
            shown = [("scalar" if not s else "x".join(map(str, s))) for s in (lshape, rshape)]
            decision = Decision(
                False,
                SHAPES,
                f"fails at {at}: the sides have different shapes: {shown[0]} on the left, {shown[1]} on the right",
            )
            return Quantified(decision, None, None, [_over(how), *_zero_note(ctx)])
        values = tuple(env.values())
        positions.extend((*values, *p) for p in (pos if lshape else [()]))
        lents.extend(le)
        rents.extend(re)
    decision = decide_entries(positions, lents, rents, decider)
    total = len(grid)
    if not decision.holds:
        bad = len({d.entry[: len(ranges)] for d in decision.differing})
        more = "" if decision.n_differing <= len(decision.differing) else " or more"
        decision = Decision(
            False,
            decision.method,
            f"fails at {bad}{more} of {total} index values",
            differing=decision.differing,
            n_differing=decision.n_differing,
            counterexample=decision.counterexample,
        )
    out = Quantified(decision, None, None, [_over(how), *_zero_note(ctx)])
    out.labels = tuple(ranges)
    return out


def _over(how: list[str]) -> str:
    return "for every " + ", ".join(how)


def _zero_note(ctx: Context) -> list[str]:
    reads = ctx.trace.zero_reads
    if not reads:
        return []
    shown = ", ".join(reads[:MAX_ZERO_SHOWN]) + (f", ... ({len(reads)} entries)" if len(reads) > MAX_ZERO_SHOWN else "")
    return [f"read as zero outside their tensors: {shown} (out_of_range = 'error' refuses such entries)"]


def other_layouts(kinds: set[str], layout: str) -> list[str]:
    """The layouts in which some derivative the claim took has another value."""
    out = []
    for other in LAYOUTS:
        if other == layout:
            continue
        if any(_group(kind, other) != _group(kind, layout) for kind in kinds):
            out.append(other)
    return out


def _group(kind: str, layout: str) -> int:
    return next(k for k, layouts in enumerate(AGREE[kind]) if layout in layouts)


def layout_hint(layout: str, stated: bool, other: str, kinds: set[str]) -> str:
    """A failure that holds in another layout: say which, and what to write."""
    where = f"read in the {layout} layout" + ("" if stated else " (the default: the file states none)")
    gradient = kinds == {SCALAR_BY_ARRAY}
    if other == "numerator" and gradient:
        return (
            f"{where}, this fails; in the numerator layout (the seed's) it holds: the right side is the transpose "
            'of the gradient; state layout = "numerator" if that is what you mean, or transpose the right side'
        )
    fix = " or write the gradient as \\nabla_{X} L / grad(L, X)" if gradient else ""
    return (
        f"{where}, this fails; in the {other} layout ({LAYOUT_MEANING[other]}) it holds: "
        f'state layout = "{other}" in the file or the claim,{fix}'
    ).rstrip(",")


def depends_note(layout: str, other: str, verdict: str) -> str:
    """A verdict that rests on the default layout (the file states none) says so."""
    return (
        f"layout: read in the {layout} layout, the default; in the {other} layout this claim {verdict} "
        f'(state layout = "{layout}" to make it explicit)'
    )


def transpose_hint(lhs: Value | None, rhs: Value | None, decider: Decider) -> str:
    """A failing claim whose sides are matrices: is the right side the transpose of the left?"""
    if lhs is None or rhs is None or not (is_matrix(lhs) and is_matrix(rhs)):
        return ""
    a, b = to_matrix(lhs, "lhs"), to_matrix(rhs, "rhs")
    if a.shape != b.shape[::-1] or a.shape == (1, 1):
        return ""
    try:
        same = decide(sp.ImmutableMatrix(a.T), b, "==", decider).holds
    except ClaimError:
        same = False
    shapes = f"{a.rows}x{a.cols} on the left, {b.rows}x{b.cols} on the right"
    if same:
        return (
            f"the right side is the transpose of the correct value ({shapes}): transpose it (^\\top, transpose(...)), "
            'or if the left side is a derivative, check the layout (layout = "numerator" | "denominator" | "mixed")'
        )
    if a.rows != a.cols:
        return (
            f"the shapes are exactly transposed ({shapes}): a transpose is missing on one side, or the layout differs"
        )
    return ""
