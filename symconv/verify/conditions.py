r"""Comparisons, indicators and piecewise forms: ``indicator(z > 0)``, ``where(c, a, b)``,
``\mathbb{1}[z > 0]``, Iverson brackets, ``H(z)``, ``sign``, ``argmax`` routing and cases.

A comparison is a :class:`Condition` (entrywise for matrices); it is read only inside an
indicator, a ``where`` or a cases environment, and becomes a SymPy ``Piecewise`` whose
conditions compare the claim's variables -- the decider checks such claims exactly on
every region of the variables' orderings.  At a tie (where the regions meet) a derivative
does not exist; the step is ``H(x) = 1[x > 0]`` (so ``H(0) = 0``) and ``argmax`` is the
position of the strict maximum (no position at a tie).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from .values import ClaimError, Shape, Value, describe, is_matrix, is_scalar, matrix, to_int, to_matrix, to_scalar

COMPARISONS: dict[str, Callable[[sp.Expr, sp.Expr], sp.Basic]] = {
    "<": sp.StrictLessThan,
    "<=": sp.LessThan,
    ">": sp.StrictGreaterThan,
    ">=": sp.GreaterThan,
    "==": sp.Eq,
    "!=": sp.Ne,
}
HINT = "comparisons are read inside indicator(...) and where(...) (LaTeX: \\mathbb{1}[...], [...], cases)"


@dataclass(frozen=True)
class Condition:
    """A truth value, or a matrix of them (``rows``, ``cols``; ``None`` for one)."""

    items: tuple[sp.Basic, ...]
    rows: int | None = None
    cols: int | None = None
    is_condition = True

    @property
    def shape(self) -> tuple[int, int] | None:
        return None if self.rows is None else (self.rows, self.cols)  # type: ignore[return-value]


@dataclass(frozen=True)
class ArgMax:
    """``argmax(M)``: compared with a position, ``(r, s) == argmax(M)`` is true where entry
    ``(r, s)`` is larger than every other entry of ``M``."""

    matrix: sp.ImmutableMatrix
    is_condition = True


def _broadcast(values: list[Value], what: str) -> tuple[tuple[int, int] | None, list[list[sp.Expr]]]:
    """Scalars and matrices of one shape as lists of entries (scalars repeated)."""
    shapes = {to_matrix(v, what).shape for v in values if is_matrix(v) and to_matrix(v, what).shape != (1, 1)}
    if len(shapes) > 1:
        raise ClaimError(f"{what}: the matrices have different shapes ({', '.join(sorted(map(str, shapes)))})")
    shape = shapes.pop() if shapes else None
    size = 1 if shape is None else shape[0] * shape[1]
    out: list[list[sp.Expr]] = []
    for v in values:
        if is_matrix(v) and to_matrix(v, what).shape != (1, 1):
            out.append(list(to_matrix(v, what)))
        else:
            out.append([to_scalar(v, what)] * size)
    return shape, out


def compare(op: str, x: Value, y: Value) -> Condition:
    """``x op y``, entrywise when either side is a matrix; ``(r, s) == argmax(M)`` for positions."""
    if isinstance(x, ArgMax):
        return _argmax_condition(op, y, x)
    if isinstance(y, ArgMax):
        return _argmax_condition(op, x, y)
    for v in (x, y):
        if isinstance(v, Condition):
            raise ClaimError("a comparison is not compared again: write a < b < c, or join two with and")
        if not (is_scalar(v) or is_matrix(v)):
            raise ClaimError(f"a comparison takes numbers or matrices, got {describe(v)}")
    shape, (xs, ys) = _broadcast([x, y], "a comparison")
    f = COMPARISONS[op]
    return _condition(shape, [f(a, b) for a, b in zip(xs, ys, strict=True)])


def _condition(shape: tuple[int, int] | None, items: list[sp.Basic]) -> Condition:
    if shape is None:
        return Condition(tuple(items))
    return Condition(tuple(items), shape[0], shape[1])


def combine(kind: str, parts: list[Condition]) -> Condition:
    """``and`` / ``or`` of conditions of one shape (a single truth value broadcasts)."""
    shapes = {p.shape for p in parts if p.shape is not None}
    if len(shapes) > 1:
        raise ClaimError("'and' / 'or' of conditions on matrices of different shapes")
    shape = shapes.pop() if shapes else None
    size = 1 if shape is None else shape[0] * shape[1]
    columns = [list(p.items) * (size if p.shape is None else 1) for p in parts]
    f = sp.And if kind == "and" else sp.Or
    return _condition(shape, [f(*row) for row in zip(*columns, strict=True)])


def negate(c: Condition) -> Condition:
    return _condition(c.shape, [sp.Not(b) for b in c.items])


def as_condition(v: object, what: str) -> Condition:
    if isinstance(v, Condition):
        return v
    raise ClaimError(f"{what} must be a comparison such as z > 0 or a == b, got {describe(v)}")  # type: ignore[arg-type]


def indicator(c: Condition) -> Value:
    """1 where the condition holds, 0 elsewhere."""
    return where(c, sp.S.One, sp.S.Zero)


def where(c: Condition, a: Value, b: Value) -> Value:
    """``a`` where the condition holds, ``b`` elsewhere (entrywise)."""
    shape, (xs, ys) = _broadcast([a, b], "where's values")
    if c.shape is not None and shape is not None and c.shape != shape:
        raise ClaimError(f"where: a condition on a {c.rows}x{c.cols} matrix with values of shape {shape}")
    shape = c.shape or shape
    size = 1 if shape is None else shape[0] * shape[1]
    conds = list(c.items) * (size if c.shape is None else 1)
    if c.shape is not None and shape is not None and len(xs) == 1:
        xs, ys = xs * size, ys * size
    entries = [piecewise(cond, x, y) for cond, x, y in zip(conds, xs, ys, strict=True)]
    return entries[0] if shape is None else matrix(shape[0], shape[1], entries)


def piecewise(cond: sp.Basic, a: sp.Expr, b: sp.Expr) -> sp.Expr:
    if cond is sp.true:
        return a
    if cond is sp.false:
        return b
    return sp.Piecewise((a, cond), (b, True))


def heaviside(x: Value) -> Value:
    """The step ``H(x) = 1[x > 0]``, entrywise."""
    return indicator(compare(">", x, sp.S.Zero))


def sign(x: Value) -> Value:
    """``sign(x)``: 1, -1 or 0, as a piecewise function of ``x`` (entrywise)."""

    def one(e: sp.Expr) -> sp.Expr:
        if e.is_number:
            return sp.sign(e)  # type: ignore[no-any-return]
        return sp.Piecewise((1, e > 0), (-1, e < 0), (0, True))

    if is_matrix(x):
        m = to_matrix(x, "sign's argument")
        return matrix(m.rows, m.cols, [one(e) for e in m])
    return one(to_scalar(x, "sign's argument"))


def argmax(x: Value) -> ArgMax:
    return ArgMax(to_matrix(x, "argmax's argument"))


def _argmax_condition(op: str, position: Value, am: ArgMax) -> Condition:
    if op not in ("==", "!="):
        raise ClaimError("argmax is compared with a position: (r, s) == argmax(M) or r == argmax(v)")
    m = am.matrix
    if isinstance(position, Shape):
        idx = [to_int(i, "a position") for i in position.items]
    else:
        idx = [to_int(position, "a position")]
    if len(idx) == 1 and (m.rows == 1 or m.cols == 1):
        idx = [1, idx[0]] if m.rows == 1 else [idx[0], 1]
    if len(idx) != 2:
        raise ClaimError(f"a position in {describe(m)} is (row, column)")
    r, s = idx
    if not (1 <= r <= m.rows and 1 <= s <= m.cols):
        cond: sp.Basic = sp.false
    else:
        top = m[r - 1, s - 1]
        others = [e for k, e in enumerate(m) if k != (r - 1) * m.cols + (s - 1)]
        cond = sp.And(*[sp.StrictGreaterThan(top, e) for e in others]) if others else sp.true
    return Condition((sp.Not(cond) if op == "!=" else cond,))
