"""``diff`` and ``grad``: SymPy's own derivative carried through the forward pass.

A claim may name a layer's output (``z[3,2]``, ``Z2``) or the loss ``J``; those symbols are
defined by the layer's forward expressions (:class:`~symconv.verify.namespace.Graph`).
``diff(y, x)`` is the total derivative: ``sympy.diff`` of each definition with respect to
each symbol it uses, chained in reverse order of the layers (reverse-mode accumulation),
so ``diff(J, W3)`` is the derivative of the loss itself, not a formula of the seed's.

In the seed's numerator layout (3.1 and 3.2; other layouts: :mod:`~symconv.verify.options`):

* ``x`` a scalar: the result has the shape of ``y`` (eq.a1-2: ``dZ / d beta_21``);
* ``y`` a scalar, ``x`` an ``m x n`` matrix: ``n x m`` with entry ``(j, i) = dy/dx_ij``
  (the seed's ``dy = tr(A dX)  =>  dy/dX = A``); a column ``x`` gives a row ``1 x m``;
* ``y`` a column ``p x 1``, ``x`` a column ``m x 1``: the ``p x m`` Jacobian.

``grad(y, X)`` is the gradient: shaped like ``X``, entry ``(i, j) = dy/dX_ij``.
"""

from __future__ import annotations

import heapq

import sympy as sp

from .namespace import Graph
from .options import SCALAR_BY_ARRAY, VECTOR_BY_SCALAR, VECTOR_BY_VECTOR
from .values import (
    Budget,
    ClaimError,
    Value,
    describe,
    is_matrix,
    is_scalar,
    is_tensor,
    matrix,
    tensor_map,
    to_matrix,
)

_ZERO = sp.S.Zero


class Calculus:
    """Derivatives over one namespace's definitions; adjoint passes are cached."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._rank = {s: k for k, s in enumerate(graph.level)}  # the namespace's deterministic order
        self._partials: dict[tuple[sp.Symbol, sp.Symbol], sp.Expr] = {}
        self._parents: dict[sp.Symbol, list[sp.Symbol]] = {}
        self._by_symbol: dict[sp.Symbol, dict[sp.Basic, list[sp.Expr]]] = {}
        self._passes: dict[tuple[sp.Expr, int], dict[sp.Symbol, sp.Expr]] = {}

    def parents(self, s: sp.Symbol) -> list[sp.Symbol]:
        if s not in self._parents:
            self._parents[s] = sorted(self.graph.defs[s].free_symbols, key=self._rank.__getitem__)  # type: ignore[arg-type]
        return self._parents[s]

    def partial(self, s: sp.Symbol, t: sp.Symbol) -> sp.Expr:
        """``d def(s) / d t`` by ``sympy.diff``, once.  A sum is differentiated term by
        term, over the terms that contain ``t`` only (the others have derivative 0), so a
        long sum such as a dense layer's output costs one pass, not one per variable."""
        key = (s, t)
        if key not in self._partials:
            expr = self.graph.defs[s]
            if isinstance(expr, sp.Add):
                terms = self._terms_with(s, expr).get(t, [])
                self._partials[key] = sp.Add(*[sp.diff(term, t) for term in terms])
            else:
                self._partials[key] = sp.diff(expr, t)
        return self._partials[key]

    def _terms_with(self, s: sp.Symbol, expr: sp.Add) -> dict[sp.Basic, list[sp.Expr]]:
        if s not in self._by_symbol:
            index: dict[sp.Basic, list[sp.Expr]] = {}
            for term in expr.args:
                for sym in term.free_symbols:
                    index.setdefault(sym, []).append(term)  # type: ignore[arg-type]
            self._by_symbol[s] = index
        return self._by_symbol[s]

    def adjoints(self, y: sp.Expr, stop: int, budget: Budget) -> dict[sp.Symbol, sp.Expr]:
        """``dy/ds`` for every symbol ``s`` reached from ``y`` through definitions of level
        above ``stop`` (reverse mode: a symbol is expanded only once all its uses are in)."""
        key = (y, stop)
        if key in self._passes:
            return self._passes[key]
        level, defs = self.graph.level, self.graph.defs
        terms: dict[sp.Symbol, list[sp.Expr]] = {}
        heap: list[tuple[int, int, sp.Symbol]] = []

        def push(s: sp.Symbol, term: sp.Expr) -> None:
            if s not in terms:
                terms[s] = []
                if s in defs and level[s] > stop:
                    heapq.heappush(heap, (-level[s], self._rank[s], s))
            terms[s].append(term)

        for s in sorted((s for s in y.free_symbols if s in level), key=self._rank.__getitem__):  # type: ignore[arg-type]
            d = sp.diff(y, s)
            if d != 0:
                push(s, d)  # type: ignore[arg-type]
        adj: dict[sp.Symbol, sp.Expr] = {}
        while heap:
            _, _, s = heapq.heappop(heap)
            a = sp.Add(*terms[s])
            adj[s] = a
            if a == 0:
                continue
            for t in self.parents(s):
                budget.spend()
                p = self.partial(s, t)
                if p != 0:
                    push(t, a * p)
        for s, ts in terms.items():
            if s not in adj:
                adj[s] = sp.Add(*ts)
        self._passes[key] = adj
        return adj

    def derivative(self, y: sp.Expr, x: sp.Symbol, budget: Budget) -> sp.Expr:
        """The total derivative ``dy/dx`` of a scalar ``y``."""
        if not y.free_symbols:
            return _ZERO
        return self.adjoints(y, self.graph.level[x], budget).get(x, _ZERO)

    def express(self, y: sp.Expr, level: int, budget: Budget, cap: int = 20_000) -> sp.Expr:
        """``y`` with every defined symbol above ``level`` replaced by its definition (top
        layer first), so that ``y`` is written in the symbols of ``level`` and below."""
        defs, lv = self.graph.defs, self.graph.level
        while True:
            above = [s for s in y.free_symbols if s in defs and lv[s] > level]  # type: ignore[index]
            if not above:
                return y
            top = max(lv[s] for s in above)  # type: ignore[index]
            budget.spend(len(above))
            y = y.xreplace({s: defs[s] for s in above if lv[s] == top})  # type: ignore[index]
            if sp.count_ops(y, visual=False) > cap:
                raise ClaimError("this expression is too large once written in the variables it is substituted for")

    # -- the claims language's diff and grad -----------------------------------------
    def variables(self, x: Value, what: str) -> sp.ImmutableMatrix | sp.Symbol:
        """``x`` as a variable or a matrix of distinct variables, else an error."""
        if is_tensor(x):
            raise ClaimError(f"{what} is {describe(x)}: use vec(...) or flat(...), or pick a channel")
        if is_scalar(x):
            if not isinstance(x, sp.Symbol) or x not in self.graph.level:
                raise ClaimError(f"{what} must be a variable (an entry such as a[2,3]), got {sp.sstr(x)}")
            return x
        m = to_matrix(x, what)
        seen = set()
        for e in m:
            if not isinstance(e, sp.Symbol) or e not in self.graph.level:
                raise ClaimError(f"{what} must be a matrix of variables, but it has the entry {sp.sstr(e)}")
            if e in seen:
                raise ClaimError(f"{what} repeats the variable {sp.sstr(e)}")
            seen.add(e)
        return m

    def diff(self, y: Value, x: Value, budget: Budget, layout: str = "numerator") -> Value:
        """``diff(y, x)`` in ``layout`` (:mod:`~symconv.verify.options`; the module docstring
        gives the seed's numerator layout)."""
        if is_tensor(x):
            if not is_scalar(y):
                raise ClaimError(f"diff of {describe(y)} by {describe(x)}: take a channel, or vectorise both sides")
            grad = self.grad(y, x, budget)
            return grad if layout != "numerator" else tensor_map(grad, transpose_matrix)
        xs = self.variables(x, "the second argument of diff")
        if is_tensor(y):
            raise ClaimError(f"diff of {describe(y)}: use vec(...) or flat(...), or pick a channel")
        if isinstance(xs, sp.Symbol):
            if is_matrix(y):
                ym = to_matrix(y, "y")
                budget.spend(ym.rows * ym.cols)
                out = matrix(ym.rows, ym.cols, [self.derivative(e, xs, budget) for e in ym])
                if layout == "denominator" and ym.cols == 1 and ym.rows > 1:
                    return transpose_matrix(out)  # a column by a scalar is a row in the denominator layout
                return out
            return self.derivative(y, xs, budget)  # type: ignore[arg-type]
        m, n = xs.shape
        if is_scalar(y) or (is_matrix(y) and to_matrix(y, "y").shape == (1, 1)):
            ys = y if is_scalar(y) else to_matrix(y, "y")[0, 0]
            budget.spend(m * n)
            grad = matrix(m, n, [self.derivative(ys, xs[i, j], budget) for i in range(m) for j in range(n)])
            return transpose_matrix(grad) if layout == "numerator" else grad
        ym = to_matrix(y, "the first argument of diff")
        if ym.cols == 1 and n == 1:
            budget.spend(ym.rows * m)
            jac = matrix(
                ym.rows, m, [self.derivative(ym[r, 0], xs[c, 0], budget) for r in range(ym.rows) for c in range(m)]
            )
            return transpose_matrix(jac) if layout == "denominator" else jac
        raise ClaimError(
            f"diff of {describe(ym)} by {describe(xs)} is not defined (a matrix by a matrix); "
            "vectorise both sides: diff(vec(Y), vec(X))"
        )

    def grad(self, y: Value, x: Value, budget: Budget) -> Value:
        """``grad(y, X)``: the gradient, shaped like ``X`` (3.2); a tensor for a tensor."""
        if not is_scalar(y):
            raise ClaimError(f"grad needs a scalar function, got {describe(y)}")
        if is_tensor(x):
            return tensor_map(x, lambda block: self.grad(y, block, budget))
        xs = self.variables(x, "the second argument of grad")
        if isinstance(xs, sp.Symbol):
            return self.derivative(y, xs, budget)  # type: ignore[arg-type]
        budget.spend(xs.rows * xs.cols)
        return matrix(xs.rows, xs.cols, [self.derivative(y, e, budget) for e in xs])  # type: ignore[arg-type]

    def uses(self, y: Value, x: Value) -> sp.Integer:
        """1 if ``y`` contains any entry of ``x``, else 0 (as written, nothing substituted)."""
        wanted = _symbols(x)
        return sp.Integer(1) if _symbols(y) & wanted else sp.Integer(0)


def derivative_kind(y: Value, x: Value) -> str:
    """Which layout-dependent kind of derivative ``diff(y, x)`` is (empty: the same in
    every layout): :data:`~symconv.verify.options.SCALAR_BY_ARRAY` and friends."""
    scalar_y = is_scalar(y) or (is_matrix(y) and to_matrix(y, "y").shape == (1, 1))
    if is_tensor(x):
        return SCALAR_BY_ARRAY
    if is_matrix(x) and to_matrix(x, "x").shape != (1, 1):
        if scalar_y:
            return SCALAR_BY_ARRAY
        if is_matrix(y) and to_matrix(y, "y").cols == 1:
            return VECTOR_BY_VECTOR
        return ""
    if is_matrix(y) and to_matrix(y, "y").cols == 1 and to_matrix(y, "y").rows > 1:
        return VECTOR_BY_SCALAR
    return ""


def transpose_matrix(m: Value) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(to_matrix(m, "a matrix").T)


def _symbols(v: Value) -> set[sp.Basic]:
    if is_tensor(v):
        return set(v.entries())  # type: ignore[union-attr]
    if is_matrix(v):
        out: set[sp.Basic] = set()
        for e in to_matrix(v, "value"):
            out |= e.free_symbols
        return out
    if is_scalar(v):
        return set(v.free_symbols)  # type: ignore[union-attr]
    return set()
