"""Deciding a claim: ``lhs == rhs`` entry by entry.

For each entry the difference ``D = lhs - rhs`` is tested for being identically zero:

1. exactly, by ``expand`` (and ``cancel`` for quotients) -- first as written, then after
   replacing layer outputs (``z``, ``a``, ``J``...) by their forward definitions, one
   layer at a time, until only inputs and parameters are left.  Labels ``y`` are one-hot,
   so expressions with ``y`` are checked for every class.
2. For piecewise functions (``Max``, ReLU's ``Piecewise``, the ``Heaviside`` of their
   derivatives) whose conditions compare variables with each other or with constants,
   every region: each ordering of the variables fixes every branch; the function is a
   polynomial there and is tested exactly.  The report says how many regions.
3. Otherwise (too many regions, other conditions, ``exp``/``log`` that do not cancel):
   tie-free random points, and the report says so.

A polynomial claim is never decided by samples: if it is too large to expand it is invalid.
When a claim fails, a counterexample is searched among small integers (then rationals) in
the failing region and checked by evaluating both sides exactly (or to 40 digits).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from dataclasses import dataclass

import sympy as sp
from sympy.core.sorting import default_sort_key

from .namespace import Graph
from .values import (
    Array,
    Budget,
    ClaimError,
    Shape,
    TensorView,
    Value,
    describe,
    is_matrix,
    is_tensor,
    short,
    tensor_map,
    to_matrix,
    to_scalar,
)

EXACT = "exact symbolic"
REGIONS = "every region"
POINTS = "tie-free points"
SHAPES = "shapes"

MAX_TERMS = 20_000  # expanded size above which a difference is "too large"
MAX_ORDERINGS = 6_000  # orderings of variables enumerated for piecewise claims
N_POINTS = 24
MAX_LISTED = 50
TOO_LARGE = "the claim is too large to decide exactly (its expansion is too big); split it into smaller claims"

_PIECEWISE = (sp.Max, sp.Min, sp.Piecewise, sp.Heaviside)
_OTHER_PIECEWISE = (sp.floor, sp.ceiling, sp.Abs, sp.sign)


@dataclass(frozen=True)
class Difference:
    """One entry where the two sides differ (1-based position; empty for scalars)."""

    entry: tuple[int, ...]
    lhs: sp.Expr
    rhs: sp.Expr
    #: ``lhs - rhs`` expanded (the terms that differ), when that stays small
    delta: sp.Expr | None = None


@dataclass(frozen=True)
class Counterexample:
    """Numbers for the variables at which the two sides differ, and both sides' values
    there (at ``entry``)."""

    values: tuple[tuple[sp.Symbol, sp.Expr], ...]
    entry: tuple[int, ...]
    lhs: sp.Expr
    rhs: sp.Expr


@dataclass(frozen=True)
class Decision:
    holds: bool
    method: str
    message: str
    correct: Value | None = None
    claimed: Value | None = None
    differing: tuple[Difference, ...] = ()
    n_differing: int = 0
    counterexample: Counterexample | None = None


@dataclass
class _Entry:
    zero: bool
    method: str
    regions: int = 0
    points: int = 0
    point: dict[sp.Symbol, sp.Expr] | None = None


def _terms(e: sp.Basic, cap: int = MAX_TERMS) -> int:
    """An upper bound on the number of terms of ``expand(e)`` (capped)."""
    if e.is_Atom:
        return 1
    if isinstance(e, sp.Add):
        return min(cap + 1, sum(_terms(a, cap) for a in e.args))
    if isinstance(e, sp.Mul):
        out = 1
        for a in e.args:
            out = min(cap + 1, out * _terms(a, cap))
        return out
    if isinstance(e, sp.Pow) and e.exp.is_Integer:
        t, n = _terms(e.base, cap), abs(int(e.exp))
        if t == 1:
            return 1
        return min(cap + 1, math.comb(t + n - 1, n)) if n < 64 else cap + 1
    worst = max((_terms(a, cap) for a in e.args), default=1)
    return 1 if worst <= cap else cap + 1


def size(e: sp.Basic, cap: int = 100_000) -> int:
    """Nodes in the expression tree (shared subtrees counted each time), stopping at ``cap``."""
    count = 0
    stack = [e]
    while stack and count <= cap:
        node = stack.pop()
        count += 1
        stack.extend(node.args)
    return count


MAX_SIZE = 4_000  # nodes: beyond this, no further lowering and no symbolic simplification


def _piecewise_nodes(e: sp.Basic) -> list[sp.Basic]:
    return [n for n in sp.preorder_traversal(e) if isinstance(n, _PIECEWISE)]


def _is_piecewise(e: sp.Basic) -> bool:
    return e.has(*_PIECEWISE, *_OTHER_PIECEWISE)


def _is_transcendental(e: sp.Basic) -> bool:
    if e.has(sp.exp, sp.log):
        return True
    return any(isinstance(n, sp.Pow) and not n.exp.is_Number for n in sp.preorder_traversal(e))


def _comparisons(node: sp.Basic) -> list[sp.Expr] | None:
    """The expressions whose signs choose a piecewise node's branch; ``None`` if a
    condition is not a plain comparison."""
    if isinstance(node, sp.Max | sp.Min):
        args = list(node.args)
        return [a - b for a, b in itertools.combinations(args, 2)]
    if isinstance(node, sp.Heaviside):
        return [node.args[0]]
    if isinstance(node, sp.Piecewise):
        out = []
        for _, cond in node.args:
            atoms = _relations(cond)
            if atoms is None:
                return None
            out.extend(atoms)
        return out
    return None


def _relations(cond: sp.Basic) -> list[sp.Expr] | None:
    """``lhs - rhs`` of every comparison in an and/or/not of comparisons (indicators,
    ``where``, cases); ``None`` for any other condition."""
    if cond in (sp.true, sp.false):
        return []
    if isinstance(cond, sp.core.relational.Relational):
        return [cond.lhs - cond.rhs]
    if isinstance(cond, sp.And | sp.Or | sp.Not):
        out: list[sp.Expr] = []
        for arg in cond.args:
            atoms = _relations(arg)
            if atoms is None:
                return None
            out.extend(atoms)
        return out
    return None


def open_regions(e: sp.Expr) -> sp.Expr:
    """``e`` as it is on the open regions, where no two compared values are equal: an
    equality of two different expressions is false there, and ``x = max(..., x, ...)``
    says that ``x`` is larger than each of the others (indicators of the maximum)."""

    def fix(rel: sp.Basic) -> sp.Basic:
        value = _equal_on_regions(rel.lhs, rel.rhs)  # type: ignore[attr-defined]
        if value is None:
            return rel
        return value if isinstance(rel, sp.Eq) else sp.Not(value)

    if not e.has(sp.Eq, sp.Ne):
        return e
    return e.replace(lambda x: isinstance(x, sp.Eq | sp.Ne), fix)  # type: ignore[no-any-return]


def _equal_on_regions(a: sp.Expr, b: sp.Expr) -> sp.Basic | None:
    if sp.expand(a - b) == 0:
        return sp.true
    for u, m in ((a, b), (b, a)):
        if isinstance(m, sp.Max | sp.Min) and (isinstance(u, sp.Symbol) or u.is_Number):
            if u not in m.args:
                return sp.false
            others = [x for x in m.args if x != u]
            if isinstance(m, sp.Max):
                return sp.And(*[sp.StrictGreaterThan(u, x) for x in others])
            return sp.And(*[sp.StrictLessThan(u, x) for x in others])
    if not (a - b).has(*_PIECEWISE, *_OTHER_PIECEWISE) and (a - b).free_symbols:
        return sp.false
    return None


def _tie_atoms(node: sp.Basic) -> list[sp.Expr]:
    """The comparisons of a piecewise node that are ties when zero: a max's pairs, a step's
    argument, a condition's strict comparison of variables (``z > 0``).  An equality, or a
    comparison with a max (``x = max(...)``, true where ``x`` is the maximum), is decided by
    the max's own pairs."""
    if isinstance(node, sp.Piecewise):
        out = []
        for _, cond in node.args:
            for rel in sp.preorder_traversal(cond):
                if isinstance(rel, sp.core.relational.Relational) and not isinstance(rel, sp.Eq | sp.Ne):
                    c = rel.lhs - rel.rhs
                    if not c.has(sp.Max, sp.Min):
                        out.append(c)
        return out
    return _comparisons(node) or []


def _ordered(t: sp.Basic) -> bool:
    """A variable, or a max/min of variables and numbers: its order against others
    follows from an ordering of the variables among the numbers."""
    if isinstance(t, sp.Symbol):
        return True
    return isinstance(t, sp.Max | sp.Min) and all(isinstance(a, sp.Symbol) or a.is_Number for a in t.args)


def _atomic(c: sp.Expr) -> bool:
    """``u - v``, ``u - k``, ``k - u`` or ``u`` for ``u``, ``v`` variables or maxima/minima
    of variables and numbers (SymPy's ``d Max(x, y, z)/dx`` is ``Heaviside(x - Max(y, z))``):
    the sign follows from an ordering."""
    terms = sp.Add.make_args(sp.expand(c))
    syms = [t for t in terms if not t.is_Number]
    if len(syms) > 2 or len(terms) - len(syms) > 1:
        return False
    coeffs = []
    for t in syms:
        coeff, rest = t.as_coeff_Mul()
        if not _ordered(rest) or abs(coeff) != 1:
            return False
        coeffs.append(coeff)
    return len(coeffs) < 2 or coeffs[0] == -coeffs[1]


def _number(e: sp.Basic) -> sp.Expr | None:
    """``e`` as a number (exact if rational, else to 40 digits); ``None`` if undefined."""
    if e.is_Rational:
        return e  # type: ignore[return-value]
    if e.has(sp.zoo, sp.nan):
        return None
    val = e.evalf(40)
    if not val.is_Number or not val.is_finite:
        return None
    return val  # type: ignore[return-value]


def _differs(a: sp.Expr, b: sp.Expr) -> bool:
    if a.is_Rational and b.is_Rational:
        return a != b
    return bool(abs(a - b) > sp.Float("1e-25") * (1 + abs(a) + abs(b)))


class Decider:
    """Decides entries over one namespace's definitions (see the module docstring)."""

    def __init__(self, graph: Graph, budget: Budget, seed: int = 0) -> None:
        self.graph = graph
        self.budget = budget
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test points, not secrets
        self._labels = set(graph.labels)

    # -- levels -------------------------------------------------------------------
    def intermediates(self, e: sp.Basic) -> list[sp.Symbol]:
        return [s for s in e.free_symbols if s in self.graph.defs]  # type: ignore[misc]

    def lower(self, e: sp.Basic) -> sp.Expr:
        """Replace the defined symbols of the highest level present by their definitions."""
        inter = self.intermediates(e)
        top = max(self.graph.level[s] for s in inter)
        self.budget.spend(len(inter))
        return e.xreplace({s: self.graph.defs[s] for s in inter if self.graph.level[s] == top})  # type: ignore[return-value]

    def lower_all(self, e: sp.Basic, cap: int = 400) -> sp.Expr:
        """``e`` in inputs and parameters only, if that stays small (else as far as it does)."""
        while self.intermediates(e) and size(e, cap) <= cap:
            nxt = self.lower(e)
            if size(nxt, cap) > cap:
                break
            e = nxt
        return e  # type: ignore[return-value]

    # -- exact tests -------------------------------------------------------------
    def one_hot(self, e: sp.Expr) -> list[sp.Expr]:
        labels = [y for y in self.graph.labels if e.has(y)]
        if not labels:
            return [e]
        ys = self.graph.labels
        return [e.xreplace({y: sp.Integer(1 if k == c else 0) for k, y in enumerate(ys)}) for c in range(len(ys))]

    def exact_zero(self, e: sp.Expr) -> bool | None:
        """``True``: identically zero; ``False``: not (a polynomial or rational function
        that is nonzero); ``None``: cannot tell exactly (piecewise, transcendental, too large)."""
        verdicts = []
        for case in self.one_hot(e):
            verdicts.append(self._exact_zero(case))
        if all(v is True for v in verdicts):
            return True
        if any(v is False for v in verdicts):
            return False
        return None

    def _exact_zero(self, e: sp.Expr) -> bool | None:
        if e == 0:
            return True
        if _terms(e) > MAX_TERMS or size(e, MAX_SIZE) > MAX_SIZE:
            return None
        self.budget.spend(_terms(e))
        ex = sp.expand(e)
        if ex == 0:
            return True
        if _is_piecewise(ex):
            return None
        if any(isinstance(n, sp.Pow) and n.exp.is_negative for n in sp.preorder_traversal(ex)):
            # a quotient: zero exactly when the numerator over a common denominator is
            # (no gcd computations, which can take very long)
            if size(ex, MAX_SIZE // 2) > MAX_SIZE // 2:
                return None
            num, _ = sp.fraction(sp.together(ex))
            if _terms(num) > MAX_TERMS:
                return None
            if sp.expand(num) == 0:
                return True
        if _is_transcendental(ex):
            return None
        return False

    # -- one entry ------------------------------------------------------------------
    def entry(self, lhs: sp.Expr, rhs: sp.Expr) -> _Entry:
        d = lhs - rhs
        if d == 0:
            return _Entry(True, EXACT)
        cur: sp.Expr = d
        verdict = self.exact_zero(cur)
        while verdict is not True and self.intermediates(cur):
            nxt = self.lower(cur)
            if _terms(nxt) > MAX_TERMS * 10 or size(nxt, MAX_SIZE) > MAX_SIZE:
                break
            cur = nxt
            verdict = self.exact_zero(cur)
        if verdict is True:
            return _Entry(True, EXACT)
        leaf = not self.intermediates(cur)
        if leaf and _is_piecewise(cur):
            found = self.regions(cur)
            if found is not None:
                return found
        elif leaf and not _is_transcendental(cur):
            if verdict is None:
                raise ClaimError(TOO_LARGE)
            point = self.nonzero_point(cur)
            if point is None:
                raise ClaimError("no counterexample found although the difference is not zero (poles everywhere?)")
            return _Entry(False, EXACT, point=point)
        elif not leaf and self._polynomial_below(cur):
            raise ClaimError(TOO_LARGE)
        return self.sample(d)

    def _polynomial_below(self, e: sp.Basic) -> bool:
        """Whether ``e`` stays a polynomial (or rational function) once fully lowered."""
        if _is_piecewise(e) or _is_transcendental(e):
            return False
        stack, seen = [s for s in e.free_symbols if s in self.graph.defs], set()
        while stack:
            s = stack.pop()
            if s in seen:
                continue
            seen.add(s)
            d = self.graph.defs[s]  # type: ignore[index]
            if _is_piecewise(d) or _is_transcendental(d):
                return False
            stack.extend(t for t in d.free_symbols if t in self.graph.defs)
        return True

    # -- regions ---------------------------------------------------------------------
    def regions(self, e: sp.Expr) -> _Entry | None:
        """Every ordering of the variables the piecewise conditions compare; ``None`` if
        the conditions are not plain comparisons or there are too many orderings."""
        if e.has(*_OTHER_PIECEWISE):
            return None
        e = open_regions(e)
        if not e.has(*_PIECEWISE):  # only equalities, which no open region meets: decided as it stands
            verdict = self._exact_zero(e)
            if verdict is True:
                return _Entry(True, REGIONS, regions=1)
            point = self.nonzero_point(e) if verdict is False else None
            return None if point is None else _Entry(False, REGIONS, regions=1, point=point)
        comps: list[sp.Expr] = []
        for node in _piecewise_nodes(e):
            c = _comparisons(node)
            if c is None:
                return None
            comps.extend(c)
        if not comps or not all(_atomic(c) for c in comps):
            return None
        syms = sorted({s for c in comps for s in c.free_symbols}, key=default_sort_key)
        consts = sorted({k for c in comps for k in self._thresholds(c)})
        n, m = len(syms), len(consts)
        if math.factorial(n + m) // math.factorial(m) > MAX_ORDERINGS:
            return None
        others = sorted(e.free_symbols - set(syms), key=default_sort_key)  # type: ignore[operator]
        seen: set[tuple[int, ...]] = set()
        for order in self._orderings(syms, consts):
            self.budget.spend(len(comps))
            point = self._place(order)
            point.update({s: sp.Integer(self.rng.randint(-5, 5)) for s in others})
            sign = tuple(int(sp.sign(c.xreplace(point))) for c in comps)
            if sign in seen:
                continue
            seen.add(sign)
            reduced = self.reduce(e, point)
            for case in self.one_hot(reduced):
                verdict = self._exact_zero(case)
                if verdict is None:
                    return None
                if verdict is False:
                    found = self._point_in_region(e, order, others)
                    if found is None:
                        return None
                    return _Entry(False, REGIONS, regions=len(seen), point=found)
        return _Entry(True, REGIONS, regions=len(seen))

    @staticmethod
    def _thresholds(c: sp.Expr) -> list[sp.Expr]:
        """The constants a comparison compares variables with: ``k`` in ``+-u + k``, and
        the numbers inside a max or min."""
        terms = sp.Add.make_args(sp.expand(c))
        syms = [t for t in terms if not t.is_Number]
        inside = [a for t in syms for n in sp.preorder_traversal(t) if isinstance(n, sp.Max | sp.Min) for a in n.args]
        out = [a for a in inside if a.is_Number]
        if len(syms) == 1:
            k0 = sp.Add(*[t for t in terms if t.is_Number])
            coeff, _ = syms[0].as_coeff_Mul()
            out.append(-k0 / coeff)
        return out

    @staticmethod
    def _orderings(syms: list[sp.Symbol], consts: list[sp.Rational]):  # type: ignore[no-untyped-def]
        """Every strict ordering of the variables among the (sorted) constants."""
        items: list[object] = [*syms, *consts]
        for perm in itertools.permutations(items):
            ks = [x for x in perm if not isinstance(x, sp.Symbol)]
            if ks == consts:
                yield perm

    def _place(self, order: tuple[object, ...], jitter: bool = False) -> dict[sp.Symbol, sp.Expr]:
        """Values increasing along ``order`` (constants keep their own values)."""
        point: dict[sp.Symbol, sp.Expr] = {}
        prev: sp.Expr | None = None
        k, n = 0, len(order)
        while k < n:
            if not isinstance(order[k], sp.Symbol):
                prev = order[k]  # type: ignore[assignment]
                k += 1
                continue
            j = k
            while j < n and isinstance(order[j], sp.Symbol):
                j += 1
            run = order[k:j]
            nxt: sp.Expr | None = order[j] if j < n else None  # type: ignore[assignment]
            gaps = [sp.Integer(self.rng.randint(1, 4) if jitter else 1) for _ in range(len(run) + 1)]
            cum = list(itertools.accumulate(gaps))
            total = cum[-1]
            if prev is None and nxt is None:
                vals = [cum[i] - total // 2 for i in range(len(run))]
            elif prev is None:
                vals = [nxt - (total - cum[i]) for i in range(len(run))]  # type: ignore[operator]
            elif nxt is None:
                vals = [prev + cum[i] for i in range(len(run))]
            else:
                vals = [prev + (nxt - prev) * cum[i] / total for i in range(len(run))]
            for sym, val in zip(run, vals, strict=True):
                point[sym] = val  # type: ignore[index]
            k = j
        return point

    def _point_in_region(
        self, e: sp.Expr, order: tuple[object, ...], others: list[sp.Symbol]
    ) -> dict[sp.Symbol, sp.Expr] | None:
        for attempt in range(60):
            self.budget.spend(len(order))
            point = self._place(order, jitter=attempt > 0)
            point.update({s: sp.Integer(self.rng.randint(-5, 5)) for s in others})
            for case in self.one_hot(e):
                val = _number(case.xreplace(point))
                if val is not None and val != 0:
                    return self._with_labels(point, e, case)
        return None

    def reduce(self, e: sp.Expr, point: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
        """``e`` with every piecewise node replaced by the branch active at ``point``."""
        while True:
            inner = [
                n
                for n in _piecewise_nodes(e)
                if not any(isinstance(a, _PIECEWISE) for a in sp.preorder_traversal(n) if a is not n)
            ]
            if not inner:
                return e
            repl: dict[sp.Basic, sp.Basic] = {}
            for node in inner:
                repl[node] = self._branch(node, point)
            e = e.xreplace(repl)  # type: ignore[assignment]

    @staticmethod
    def _branch(node: sp.Basic, point: dict[sp.Symbol, sp.Expr]) -> sp.Basic:
        if isinstance(node, sp.Max | sp.Min):
            vals = [(a.xreplace(point), k) for k, a in enumerate(node.args)]
            pick = max(vals, key=lambda t: t[0]) if isinstance(node, sp.Max) else min(vals, key=lambda t: t[0])
            return node.args[pick[1]]
        if isinstance(node, sp.Heaviside):
            v = node.args[0].xreplace(point)
            return sp.Integer(1) if v > 0 else sp.Integer(0)
        for expr, cond in node.args:
            if cond is sp.true or bool(cond.xreplace(point)):
                return expr
        return sp.nan

    # -- counterexamples -----------------------------------------------------------
    def _values(self, k: int, distinct: bool) -> list[sp.Expr]:
        if distinct and k <= 18:
            return [sp.Integer(v) for v in self.rng.sample([*range(-9, 0), *range(1, 10)], k)]
        if distinct:  # distinct nonzero values in [-9, 9], on a grid fine enough for k of them
            n = 2 * k
            picks = self.rng.sample([*range(-n, 0), *range(1, n + 1)], k)
            return [sp.Rational(9 * p, n) for p in picks]
        return [sp.Integer(self.rng.randint(-4, 4)) for _ in range(k)]

    def nonzero_point(self, d: sp.Expr) -> dict[sp.Symbol, sp.Expr] | None:
        """A point where the (polynomial or rational) ``d`` is defined and nonzero."""
        syms = sorted(d.free_symbols, key=default_sort_key)  # type: ignore[arg-type]
        plain = [s for s in syms if s not in self._labels]
        for attempt in range(200):
            self.budget.spend(len(syms))
            vals = self._values(len(plain), distinct=attempt >= 20)
            point = dict(zip(plain, vals, strict=True))
            for case in self.one_hot(d):
                val = _number(case.xreplace(point))
                if val is not None and val != 0:
                    return self._with_labels(point, d, case)
        return None

    def _with_labels(self, point: dict[sp.Symbol, sp.Expr], e: sp.Expr, case: sp.Expr) -> dict[sp.Symbol, sp.Expr]:
        """Add the one-hot labels of ``case`` (the class for which ``e`` became ``case``)."""
        if not self._labels or case is e:
            return point
        for c in range(len(self.graph.labels)):
            onehot = {y: sp.Integer(1 if k == c else 0) for k, y in enumerate(self.graph.labels)}
            if e.xreplace(onehot) == case:
                return {**point, **onehot}
        return point

    def forward(self, leaves: dict[sp.Symbol, sp.Expr], symbols: set[sp.Symbol]) -> dict[sp.Symbol, sp.Expr] | None:
        """Values of ``symbols`` and everything they are defined from, at ``leaves``
        (``None`` at a tie of a max or a ReLU, or an undefined value)."""
        need = self._ancestors(symbols)
        values = dict(leaves)
        for s in self.graph.order:
            if s not in need:
                continue
            expr = self.graph.defs[s]
            self.budget.spend(len(expr.free_symbols))
            if self._tie(expr, values):
                return None
            val = _number(expr.xreplace(values))
            if val is None:
                return None
            values[s] = val
        return values

    def _ancestors(self, symbols: set[sp.Symbol]) -> set[sp.Symbol]:
        """The defined symbols among ``symbols`` and everything they are defined from."""
        need: set[sp.Symbol] = set()
        stack = [s for s in symbols if s in self.graph.defs]
        while stack:
            s = stack.pop()
            if s in need:
                continue
            need.add(s)
            stack.extend(t for t in self.graph.defs[s].free_symbols if t in self.graph.defs)  # type: ignore[misc]
        return need

    def _tie(self, e: sp.Basic, values: dict[sp.Symbol, sp.Expr]) -> bool:
        for node in _piecewise_nodes(e):
            comps = _tie_atoms(node)
            self.budget.spend(len(comps))
            for c in comps:
                v = _number(c.xreplace(values))
                if v is None or v == 0:
                    return True
        return False

    def sample(self, d: sp.Expr) -> _Entry:
        """Tie-free random points, consistent through the forward pass."""
        leaves = self._leaves_of(d)
        plain = [s for s in leaves if s not in self._labels]
        tried = 0
        for attempt in range(N_POINTS * 6):
            self.budget.spend(len(plain))
            if tried >= N_POINTS:
                break
            vals = self._values(len(plain), distinct=True)  # no ties, so no equality holds by chance
            point = dict(zip(plain, vals, strict=True))
            if self._labels & set(leaves):
                c = attempt % len(self.graph.labels)
                point.update({y: sp.Integer(1 if k == c else 0) for k, y in enumerate(self.graph.labels)})
            values = self.forward(point, set(d.free_symbols))  # type: ignore[arg-type]
            if values is None or self._tie(d, values):
                continue
            val = _number(d.xreplace(values))
            if val is None:
                continue
            tried += 1
            if _differs(val, sp.Integer(0)):
                return _Entry(False, POINTS, points=tried, point=point)
        if tried == 0:
            raise ClaimError("could not find points without ties to check the claim at")
        return _Entry(True, POINTS, points=tried)

    def _leaves_of(self, e: sp.Basic) -> list[sp.Symbol]:
        out: set[sp.Symbol] = set()
        stack = list(e.free_symbols)
        seen: set[sp.Basic] = set()
        while stack:
            s = stack.pop()
            if s in seen:
                continue
            seen.add(s)
            if s in self.graph.defs:
                stack.extend(self.graph.defs[s].free_symbols)  # type: ignore[arg-type]
            else:
                out.add(s)  # type: ignore[arg-type]
        return sorted(out, key=default_sort_key)

    def complete(self, point: dict[sp.Symbol, sp.Expr], *exprs: sp.Expr) -> dict[sp.Symbol, sp.Expr]:
        """``point`` with values for every other input or parameter the expressions use
        (they cancel in the difference, so any value keeps the sides apart)."""
        out = dict(point)
        for e in exprs:
            for s in self._leaves_of(e):
                if s not in out:
                    if s in self._labels:
                        out.update(
                            {y: sp.Integer(1 if k == 0 else 0) for k, y in enumerate(self.graph.labels) if y not in out}
                        )
                    else:
                        out[s] = sp.Integer(self.rng.randint(1, 5))
        return out

    def evaluate(self, e: sp.Expr, point: dict[sp.Symbol, sp.Expr]) -> sp.Expr | None:
        values = self.forward(point, set(e.free_symbols)) if self.intermediates(e) else dict(point)  # type: ignore[arg-type]
        if values is None:
            values = self._forward_with_ties(point, e)
        return _number(e.xreplace(values)) if values is not None else None

    def _forward_with_ties(self, point: dict[sp.Symbol, sp.Expr], e: sp.Expr) -> dict[sp.Symbol, sp.Expr] | None:
        values = dict(point)
        need = self._ancestors(set(e.free_symbols))  # type: ignore[arg-type]
        for s in self.graph.order:
            if s not in need:
                continue
            val = _number(self.graph.defs[s].xreplace(values))
            if val is None:
                return None
            values[s] = val
        return values


# -- whole claims ---------------------------------------------------------------------
def entries(v: Value) -> tuple[tuple[int, ...], list[sp.Expr], list[tuple[int, ...]]]:
    """Shape, entries and their 1-based positions."""
    if is_tensor(v):
        shape = v.shape  # type: ignore[union-attr]
        entries = v.entries()  # type: ignore[union-attr]
        h, w = shape[-2:]
        positions = []
        for lead in itertools.product(*[range(1, n + 1) for n in shape[:-2]]):
            for c in range(1, w + 1):
                for r in range(1, h + 1):
                    positions.append((*lead, r, c))
        return shape, entries, positions
    if is_matrix(v):
        m = to_matrix(v, "value")
        return (m.rows, m.cols), list(m), [(r, c) for r in range(1, m.rows + 1) for c in range(1, m.cols + 1)]
    return (), [to_scalar(v, "value")], [()]


def _shape_text(shape: tuple[int, ...]) -> str:
    return "scalar" if not shape else "x".join(str(n) for n in shape)


RELATIONS = ("==", "<", "<=", ">", ">=")


def decide(lhs: Value, rhs: Value, relation: str, decider: Decider) -> Decision:
    """The verdict of ``lhs relation rhs`` (the left side is the quantity, computed from
    the core; the right side is the value claimed for it)."""
    if relation != "==":
        return _ordering(lhs, rhs, relation, decider)
    if isinstance(lhs, Shape) or isinstance(rhs, Shape):
        if not (isinstance(lhs, Shape) and isinstance(rhs, Shape)):
            other = describe(rhs if isinstance(lhs, Shape) else lhs)
            raise ClaimError(f"a tuple (a dimension) can only be compared with a tuple, not with {other}")
        return _shapes(lhs, rhs)
    lshape, lents, positions = entries(lhs)
    rshape, rents, _ = entries(rhs)
    if lshape == (1, 1) and rshape == ():
        lshape = ()
    if rshape == (1, 1) and lshape == ():
        rshape = ()
    if lshape != rshape:
        return Decision(
            False,
            SHAPES,
            f"the sides have different shapes: {_shape_text(lshape)} on the left, {_shape_text(rshape)} on the right",
            correct=_lowered(lhs, decider),
            claimed=rhs,
        )
    decision = decide_entries(positions if lshape else [()], lents, rents, decider)
    if decision.holds:
        return decision
    where = "" if not lshape else f" ({decision.n_differing} of {len(lents)} entries differ)"
    return dataclasses.replace(decision, message=f"fails{where}", correct=_lowered(lhs, decider), claimed=rhs)


def decide_entries(
    positions: list[tuple[int, ...]], lents: list[sp.Expr], rents: list[sp.Expr], decider: Decider
) -> Decision:
    """Entry by entry: holds when every ``lents[k] - rents[k]`` is zero; else the entries that
    differ (the first :data:`MAX_LISTED`) and a counterexample at the first."""
    verdicts: list[_Entry] = []
    differing: list[Difference] = []
    n_diff = 0
    first: tuple[tuple[int, ...], _Entry, sp.Expr, sp.Expr] | None = None
    for pos, a, b in zip(positions, lents, rents, strict=True):
        decider.budget.spend()
        res = decider.entry(a, b)
        verdicts.append(res)
        if not res.zero:
            n_diff += 1
            if len(differing) < MAX_LISTED:
                la, lb = decider.lower_all(a), decider.lower_all(b)
                differing.append(Difference(pos, la, lb, difference(la, lb)))
            if first is None:
                first = (pos, res, a, b)
    method = _method(verdicts)
    if first is None:
        return Decision(True, method, f"holds ({method})")
    pos, res, a, b = first
    cx = None
    if res.point is not None:
        point = decider.complete(res.point, a, b)
        la, rb = decider.evaluate(a, point), decider.evaluate(b, point)
        if la is not None and rb is not None and _differs(la, rb):
            used = set(decider._leaves_of(a)) | set(decider._leaves_of(b))
            shown = tuple(sorted(((s, v) for s, v in point.items() if s in used), key=lambda t: default_sort_key(t[0])))
            cx = Counterexample(shown, pos, la, rb)
    return Decision(
        False,
        method,
        "fails",
        differing=tuple(differing),
        n_differing=n_diff,
        counterexample=cx,
    )


def difference(a: sp.Expr, b: sp.Expr) -> sp.Expr | None:
    """``a - b`` expanded and its terms collected, or ``None`` if that would be large."""
    d = a - b
    if _terms(d) > 2_000 or size(d, MAX_SIZE) > MAX_SIZE:
        return None
    return sp.expand(d)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _method(verdicts: list[_Entry]) -> str:
    """How the claim was decided, the weakest way used by any entry."""
    if any(v.method == POINTS for v in verdicts):
        points = sum(v.points for v in verdicts if v.method == POINTS)
        if all(v.zero for v in verdicts):
            return f"{POINTS} ({_plural(points, 'point')} checked; piecewise or transcendental, not every region)"
        return f"{POINTS} (a point where the sides differ)"
    regions = [v for v in verdicts if v.method == REGIONS]
    if regions:
        if all(v.zero for v in verdicts):
            count = _plural(sum(v.regions for v in regions), "region")
            return f"{REGIONS} ({count} of the piecewise functions, each exactly)"
        return f"{EXACT}, in a region of the piecewise functions where the sides differ"
    return EXACT


def _lowered(v: Value, decider: Decider) -> Value:
    if isinstance(v, TensorView | Shape):
        return v
    if isinstance(v, Array):
        return tensor_map(v, lambda m: _lowered(m, decider))
    if is_matrix(v):
        m = to_matrix(v, "value")
        return sp.ImmutableMatrix(m.rows, m.cols, [decider.lower_all(e) for e in m])
    return decider.lower_all(to_scalar(v, "value"))


def _shapes(lhs: Shape, rhs: Shape) -> Decision:
    same = len(lhs.items) == len(rhs.items) and all(
        sp.expand(a - b) == 0 for a, b in zip(lhs.items, rhs.items, strict=True)
    )
    if same:
        return Decision(True, SHAPES, f"holds ({SHAPES})")
    diffs = tuple(
        Difference((k + 1,), a, b, sp.expand(a - b))
        for k, (a, b) in enumerate(zip(lhs.items, rhs.items, strict=False))
        if sp.expand(a - b) != 0
    )
    return Decision(
        False, SHAPES, "fails: the dimensions differ", correct=lhs, claimed=rhs, differing=diffs, n_differing=len(diffs)
    )


def _ordering(lhs: Value, rhs: Value, relation: str, decider: Decider) -> Decision:
    a = decider.lower_all(to_scalar(lhs, "the left side of an ordering claim"))
    b = decider.lower_all(to_scalar(rhs, "the right side of an ordering claim"))
    if not (a.is_Rational and b.is_Rational):
        raise ClaimError(f"'{relation}' claims compare numbers; got {short(a)} and {short(b)}")
    ok = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[relation]
    if ok:
        return Decision(True, "numbers", f"holds ({a} {relation} {b})")
    return Decision(False, "numbers", f"fails: {a} {relation} {b} is false", correct=a, claimed=b)
