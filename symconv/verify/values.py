"""Values of the claims language and the operations on them.

A claim side evaluates to one of:

* a scalar (a SymPy expression),
* a matrix (``sympy.ImmutableMatrix``; a vector is an ``n x 1`` column),
* a :class:`TensorView`: a symbol tensor with three or more indices (channels first, as
  in the seed's section 3: ``A^{[1]}`` is ``c x h x w``, ``K^{[2]}`` is ``c_out x c_in x h x w``),
* an :class:`Array`: a tensor of expressions with three or more indices, e.g. the
  gradient of a scalar by a multi-channel tensor (``grad(L, K)``) or ``stack_for(...)``,
* a :class:`Shape`: a tuple of integers, from ``shape(...)`` or a literal ``(4, 3)``.

Every operation here checks its operands' kinds and shapes and raises
:class:`ClaimError` with a sentence a person can act on.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import sympy as sp

from ..symbols import Tensor


class ClaimError(Exception):
    """A claim that cannot be read or evaluated; it is reported as invalid with this message."""


class NotDifferentiableError(ClaimError):
    """A derivative taken where it does not exist (at a tie of a max): the claim that gives
    it a value fails, with this message."""


def check_text(text: object, limit: int, kind: str = "") -> str:
    """One side of a claim: a non-empty string of at most ``limit`` characters."""
    if not isinstance(text, str):
        raise ClaimError(f"must be a string, got {type(text).__name__}")
    if len(text) > limit:
        raise ClaimError(f"is {len(text)} characters long; the limit{kind} is {limit}")
    if not text.strip():
        raise ClaimError("is empty")
    return text


@dataclass(frozen=True)
class TensorView:
    """A symbol tensor with ``lead`` (0-based) leading indices already fixed and at least
    three indices left, e.g. all channels of ``A^{[1]}``, kernel ``j`` of ``K^{[2]}``, or one
    channel of a 3-D input."""

    tensor: Tensor
    lead: tuple[int, ...]
    label: str

    @property
    def shape(self) -> tuple[int, ...]:
        return self.tensor.shape[len(self.lead) :]

    def positions(self) -> list[tuple[int, ...]]:
        """0-based positions below ``lead``: leading ones row-major, each trailing matrix in
        vec order (the seed's stacked ``[vec(X_1); vec(X_2); ...]``)."""
        *front, h, w = self.shape
        return [
            (*head, r, c) for head in itertools.product(*(range(n) for n in front)) for c in range(w) for r in range(h)
        ]

    def entries(self) -> list[sp.Expr]:
        """Every entry, in :meth:`positions` order."""
        return [self.tensor.entry(*self.lead, *p) for p in self.positions()]

    def blocks(self) -> list[sp.ImmutableMatrix | TensorView]:
        """The values along the first remaining index: matrices, or views one index shorter."""
        first = self.shape[0]
        if len(self.shape) == 3:
            _, h, w = self.shape
            return [
                sp.ImmutableMatrix(h, w, lambda r, c, k=k: self.tensor.entry(*self.lead, k, int(r), int(c)))
                for k in range(first)
            ]
        return [TensorView(self.tensor, (*self.lead, k), self.label) for k in range(first)]


@dataclass(frozen=True)
class Array:
    """A tensor of expressions with three or more indices: one block (a matrix, or an
    :class:`Array` one index shorter) per value of the first index."""

    items: tuple[sp.ImmutableMatrix | Array, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        first = self.items[0]
        inner = first.shape if isinstance(first, Array) else (first.rows, first.cols)
        return (len(self.items), *inner)

    def blocks(self) -> list[sp.ImmutableMatrix | Array]:
        return list(self.items)

    def entries(self) -> list[sp.Expr]:
        """Every entry in :meth:`TensorView.entries`' order (each matrix in vec order)."""
        out: list[sp.Expr] = []
        for item in self.items:
            if isinstance(item, Array):
                out.extend(item.entries())
            else:
                out.extend(item[r, c] for c in range(item.cols) for r in range(item.rows))
        return out


@dataclass(frozen=True)
class Shape:
    """A tuple of integers (a dimension)."""

    items: tuple[sp.Expr, ...]


Value: TypeAlias = sp.Expr | sp.ImmutableMatrix | TensorView | Array | Shape


def is_tensor(v: object) -> bool:
    """A tensor of three or more indices (a symbol view or an array of expressions)."""
    return isinstance(v, TensorView | Array)


def as_array(v: Value) -> Array:
    """A tensor as an :class:`Array` (its blocks evaluated)."""
    if isinstance(v, Array):
        return v
    if isinstance(v, TensorView):
        return Array(tuple(b if isinstance(b, sp.MatrixBase) else as_array(b) for b in v.blocks()))
    raise ClaimError(f"expected a tensor, got {describe(v)}")


def array(items: Sequence[Value]) -> Array:
    """Blocks of one shape (matrices or tensors) stacked along a new first index."""
    blocks: list[sp.ImmutableMatrix | Array] = []
    for item in items:
        if isinstance(item, sp.MatrixBase):
            blocks.append(sp.ImmutableMatrix(item))
        elif is_tensor(item):
            blocks.append(as_array(item))
        else:
            raise ClaimError(f"a tensor is stacked from matrices or tensors, got {describe(item)}")
    if not blocks:
        raise ClaimError("nothing to stack")
    shapes = {_block_shape(b) for b in blocks}
    if len(shapes) != 1:
        raise ClaimError(
            "cannot stack blocks of different shapes into a tensor: " + ", ".join(sorted(map(str, shapes)))
        )
    out = Array(tuple(blocks))
    size = 1
    for n in out.shape:
        size *= n
    if size > MAX_ENTRIES:
        raise ClaimError(f"a tensor of {size} entries is larger than the limit of {MAX_ENTRIES} entries")
    charge(ENTRY_COST * size, f"a {'x'.join(map(str, out.shape))} tensor")
    return out


def index_of(v: Value, idx: Sequence[int]) -> Value:
    """``v`` at 1-based ``idx``: an entry, or a block when fewer indices than ``v`` has."""
    if is_tensor(v):
        blocks = v.blocks()  # type: ignore[union-attr]
        k = idx[0]
        if not 1 <= k <= len(blocks):
            raise ClaimError(f"index {k} is out of range 1..{len(blocks)} for {describe(v)}")
        block = blocks[k - 1]
        return block if len(idx) == 1 else index_of(block, idx[1:])
    m = to_matrix(v, "an indexed value")
    if len(idx) == 1 and (m.rows == 1 or m.cols == 1):
        idx = [1, idx[0]] if m.rows == 1 else [idx[0], 1]
    if len(idx) == 1:
        r = idx[0]
        if not 1 <= r <= m.rows:
            raise ClaimError(f"row {r} is out of range 1..{m.rows} for {describe(m)}")
        return sp.ImmutableMatrix(m[r - 1, :])
    if len(idx) != 2:
        raise ClaimError(f"{describe(m)} takes two indices (row, column)")
    r, c = idx
    for k, n, what in ((r, m.rows, "row"), (c, m.cols, "column")):
        if not 1 <= k <= n:
            raise ClaimError(f"{what} {k} is out of range 1..{n} for {describe(m)}")
    return m[r - 1, c - 1]  # type: ignore[no-any-return]


def _block_shape(b: sp.ImmutableMatrix | Array) -> tuple[int, ...]:
    return b.shape if isinstance(b, Array) else (b.rows, b.cols)


def tensor_map(v: Value, f: Callable[[Value], Value]) -> Array:
    """``f`` applied to every matrix of a tensor."""
    return array([f(b) if isinstance(b, sp.MatrixBase) else tensor_map(b, f) for b in as_array(v).items])


def tensor_zip(x: Value, y: Value, f: Callable[[Value, Value], Value], what: str) -> Array:
    """``f`` applied to matching matrices of two tensors of one shape."""
    a, b = as_array(x), as_array(y)
    if a.shape != b.shape:
        raise ClaimError(f"cannot {what} {describe(a)} and {describe(b)}")
    return array(
        [
            f(p, q) if isinstance(p, sp.MatrixBase) else tensor_zip(p, q, f, what)
            for p, q in zip(a.items, b.items, strict=True)
        ]
    )


#: caps that keep every claim small enough to decide quickly
MAX_ENTRIES = 10_000
MAX_DIM = 2_000
MAX_MAX_ARGS = 256
#: per-claim work (steps) and wall-clock limits, and the wall-clock limit of a whole file
MAX_WORK = 2_000_000
#: steps charged for each matrix entry an operation builds (a SymPy entry costs about as
#: much as ten steps of the derivative passes)
ENTRY_COST = 10
CLAIM_SECONDS = 30.0
FILE_SECONDS = 300.0


def describe(v: Value) -> str:
    """``a 4x3 matrix``, ``a scalar``, ``a 2x3x3 tensor``, ``the tuple (4, 3)``."""
    if isinstance(v, sp.MatrixBase):
        return f"a {v.rows}x{v.cols} matrix"
    if isinstance(v, TensorView):
        return f"a {'x'.join(str(n) for n in v.shape)} tensor ({v.label})"
    if isinstance(v, Array):
        return f"a {'x'.join(str(n) for n in v.shape)} tensor"
    if getattr(v, "is_condition", False):
        return "a comparison (read only inside indicator(...) or where(...); LaTeX \\mathbb{1}[...])"
    if isinstance(v, Shape):
        return f"the tuple {show_shape(v)}"
    return "a scalar"


def show_shape(s: Shape) -> str:
    return "(" + ", ".join(str(i) for i in s.items) + ("," if len(s.items) == 1 else "") + ")"


def matrix(rows: int, cols: int, entries: Sequence[sp.Expr] | None = None) -> sp.ImmutableMatrix:
    """A matrix within the size caps; ``entries`` row by row (zeros if omitted)."""
    check_size(rows, cols)
    charge(ENTRY_COST * rows * cols, f"a {rows}x{cols} matrix")
    if entries is None:
        return sp.ImmutableMatrix.zeros(rows, cols)
    return sp.ImmutableMatrix(rows, cols, list(entries))


def check_size(rows: int, cols: int) -> None:
    if rows < 1 or cols < 1:
        raise ClaimError(f"a matrix needs at least one row and one column, got {rows}x{cols}")
    if rows > MAX_DIM or cols > MAX_DIM or rows * cols > MAX_ENTRIES:
        raise ClaimError(f"a {rows}x{cols} matrix is larger than the limit of {MAX_ENTRIES} entries")


def to_matrix(v: Value, what: str) -> sp.ImmutableMatrix:
    """``v`` as a matrix (it must already be one); reading it is charged by its size."""
    if isinstance(v, sp.MatrixBase):
        charge(v.rows * v.cols, f"reading {describe(v)}")
        return sp.ImmutableMatrix(v)
    raise ClaimError(f"{what} must be a matrix, got {describe(v)}")


def to_scalar(v: Value, what: str) -> sp.Expr:
    """``v`` as a scalar; a 1x1 matrix counts as its entry."""
    if isinstance(v, sp.MatrixBase) and v.shape == (1, 1):
        return v[0, 0]  # type: ignore[no-any-return]
    if isinstance(v, sp.Basic) and not isinstance(v, sp.MatrixBase):
        return v  # type: ignore[return-value]
    raise ClaimError(f"{what} must be a scalar, got {describe(v)}")


def to_int(v: Value, what: str) -> int:
    """``v`` as a Python integer (it must evaluate to one)."""
    s = to_scalar(v, what)
    if not (isinstance(s, sp.Integer) or (s.is_Number and s.is_integer)):
        raise ClaimError(f"{what} must be an integer, got {short(s)}")
    return int(s)


def _nodes(e: sp.Basic, cap: int) -> int:
    count, stack = 0, [e]
    while stack and count <= cap:
        count += 1
        stack.extend(stack.pop().args)
    return count


def short(e: object, limit: int = 300) -> str:
    """A one-line rendering of a value, cut at ``limit`` characters (very large
    expressions are not printed at all)."""
    if isinstance(e, sp.Basic) and _nodes(e, 20 * limit) > 20 * limit:
        return f"(an expression of more than {20 * limit} nodes)"
    if isinstance(e, Shape):
        text = show_shape(e)
    elif isinstance(e, TensorView):
        text = f"{e.label} ({'x'.join(str(n) for n in e.shape)})"
    elif isinstance(e, Array):
        text = "[" + ", ".join(short(b, limit) for b in e.items) + "]"
    elif isinstance(e, sp.MatrixBase):
        text = "[" + ", ".join("[" + ", ".join(sp.sstr(x) for x in e.row(r)) + "]" for r in range(e.rows)) + "]"
    else:
        text = sp.sstr(e)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_matrix(v: Value) -> bool:
    return isinstance(v, sp.MatrixBase)


def is_scalar(v: Value) -> bool:
    return isinstance(v, sp.Basic) and not isinstance(v, sp.MatrixBase)


# -- arithmetic ---------------------------------------------------------------------------
def add(x: Value, y: Value, op: str = "+") -> Value:
    """``x + y`` (or ``x - y``): scalars with scalars, matrices of one shape."""
    sign = 1 if op == "+" else -1
    if is_tensor(x) and is_tensor(y):
        return tensor_zip(x, y, lambda p, q: add(p, q, op), "add" if op == "+" else "subtract")
    if is_scalar(x) and is_scalar(y):
        return x + sign * y  # type: ignore[operator]
    if is_matrix(x) and is_matrix(y):
        a, b = to_matrix(x, "left"), to_matrix(y, "right")
        if a.shape != b.shape:
            raise ClaimError(f"cannot add {describe(a)} and {describe(b)}")
        charge(ENTRY_COST * a.rows * a.cols, f"adding two {a.rows}x{a.cols} matrices")
        return sp.ImmutableMatrix(a + sign * b)
    if is_matrix(x) and to_scalar_or_none(x) is not None and is_scalar(y):
        return to_scalar(x, "left") + sign * y  # type: ignore[operator]
    if is_scalar(x) and is_matrix(y) and to_scalar_or_none(y) is not None:
        return x + sign * to_scalar(y, "right")  # type: ignore[operator]
    raise ClaimError(
        f"cannot {'add' if op == '+' else 'subtract'} {describe(y)} {'to' if op == '+' else 'from'} {describe(x)}"
    )


def to_scalar_or_none(v: Value) -> sp.Expr | None:
    if is_scalar(v):
        return v  # type: ignore[return-value]
    if isinstance(v, sp.MatrixBase) and v.shape == (1, 1):
        return v[0, 0]  # type: ignore[no-any-return]
    return None


def mul(x: Value, y: Value) -> Value:
    """``x * y``: scalar products, a scalar times a matrix, or the matrix product."""
    if is_scalar(x) and is_scalar(y):
        return x * y  # type: ignore[operator]
    if is_scalar(x) and is_matrix(y):
        charge(ENTRY_COST * len(to_matrix(y, "right")), "a scalar times a matrix")
        return sp.ImmutableMatrix(to_matrix(y, "right") * x)
    if is_matrix(x) and is_scalar(y):
        charge(ENTRY_COST * len(to_matrix(x, "left")), "a matrix times a scalar")
        return sp.ImmutableMatrix(to_matrix(x, "left") * y)
    if is_matrix(x) and is_matrix(y):
        return matmul(x, y)
    if is_tensor(y) and is_scalar(x):
        return tensor_map(y, lambda b: mul(x, b))
    if is_tensor(x) and is_scalar(y):
        return tensor_map(x, lambda b: mul(b, y))
    raise ClaimError(f"cannot multiply {describe(x)} by {describe(y)}")


def matmul(x: Value, y: Value) -> sp.ImmutableMatrix:
    """The matrix product ``x @ y``."""
    a, b = to_matrix(x, "the left factor"), to_matrix(y, "the right factor")
    if a.cols != b.rows:
        raise ClaimError(f"cannot multiply {describe(a)} by {describe(b)}: {a.cols} columns against {b.rows} rows")
    check_size(a.rows, b.cols)
    charge(product_cost(a, b), f"the product of {describe(a)} and {describe(b)}")
    return sp.ImmutableMatrix(a * b)


def product_cost(a: sp.MatrixBase, b: sp.MatrixBase) -> int:
    """Steps charged for ``a @ b``: every output entry sums ``inner`` products, whose
    size follows the average size of the factors' entries (products of sums grow)."""
    wa, wb = weight(a) / len(a), weight(b) / len(b)
    return int(a.rows * b.cols * a.cols * (wa + wb))


def divide(x: Value, y: Value) -> Value:
    d = to_scalar_or_none(y)
    if d is None:
        raise ClaimError(f"cannot divide by {describe(y)}")
    if d == 0:
        raise ClaimError("division by zero")
    if is_tensor(x):
        return tensor_map(x, lambda b: divide(b, d))
    if is_matrix(x):
        charge(ENTRY_COST * len(to_matrix(x, "the numerator")), "dividing a matrix")
        return sp.ImmutableMatrix(to_matrix(x, "the numerator") / d)
    return to_scalar(x, "the numerator") / d


def negate(x: Value) -> Value:
    if is_tensor(x):
        return tensor_map(x, negate)
    if is_matrix(x):
        charge(ENTRY_COST * len(to_matrix(x, "the operand")), "negating a matrix")
        return sp.ImmutableMatrix(-to_matrix(x, "the operand"))
    return -to_scalar(x, "the operand")


MAX_EXPONENT_NUMBER = 64
MAX_EXPONENT_SYMBOLIC = 16
MAX_NUMBER_BITS = 4096


def power(x: Value, e: Value) -> Value:
    """``x ** e`` for an integer ``e``: small for symbols, a little larger for numbers;
    a square matrix to a power from 0 to 16."""
    n = to_scalar(e, "an exponent")
    if not n.is_Integer:
        raise ClaimError(f"an exponent must be an integer, got {short(n)}")
    k = int(n)
    if is_matrix(x):
        m = to_matrix(x, "the base")
        if m.rows != m.cols or not 0 <= k <= MAX_EXPONENT_SYMBOLIC:
            raise ClaimError(f"a matrix power needs a square matrix and an exponent in 0..{MAX_EXPONENT_SYMBOLIC}")
        out = sp.ImmutableMatrix.eye(m.rows)
        for _ in range(k):  # one charged product at a time: the cost grows with the entries
            out = matmul(out, m)
        return out
    base = to_scalar(x, "the base")
    cap = MAX_EXPONENT_NUMBER if base.is_Number else MAX_EXPONENT_SYMBOLIC
    if abs(k) > cap:
        shown = str(k) if abs(k) < 10**12 else f"with {len(str(abs(k)))} digits"
        raise ClaimError(f"exponent {shown} is larger than {cap} in absolute value")
    if base == 0 and k < 0:
        raise ClaimError("division by zero")
    out = base**k
    if out.is_Rational and max(abs(out.p).bit_length(), abs(out.q).bit_length()) > MAX_NUMBER_BITS:  # type: ignore[attr-defined]
        raise ClaimError(f"the number is larger than {MAX_NUMBER_BITS} bits")
    return out


def check_number(x: sp.Expr) -> sp.Expr:
    """Refuse numbers larger than the cap (they would make every later step slow)."""
    if x.is_Rational and max(abs(x.p).bit_length(), abs(x.q).bit_length()) > MAX_NUMBER_BITS:  # type: ignore[attr-defined]
        raise ClaimError(f"the number is larger than {MAX_NUMBER_BITS} bits")
    return x


def mat_entries(v: Value) -> list[sp.Expr]:
    """Entries in row-major order (a scalar is one entry)."""
    if is_matrix(v):
        return list(to_matrix(v, "value"))
    return [to_scalar(v, "value")]


class Budget:
    """A per-claim allowance of work and time.

    Work is counted in steps: AST nodes visited, matrix entries built, products formed
    (an operation is charged by its cost *before* it runs, see :func:`charge`), loop
    turns, adjoint steps.  A claim that needs more than ``limit`` steps, or runs past
    ``seconds`` of wall-clock time (:data:`CLAIM_SECONDS` by default), or past the file's
    deadline (``file_limit``: a ``time.monotonic()`` value and the file's limit in
    seconds), is invalid with a message naming the limit, so every claim ends in bounded
    time whatever its text."""

    def __init__(
        self, limit: int = MAX_WORK, seconds: float | None = None, file_limit: tuple[float, float] | None = None
    ) -> None:
        self.limit = limit
        self.used = 0
        self.seconds = CLAIM_SECONDS if seconds is None else seconds
        self.start = time.monotonic()
        until = self.start + self.seconds
        #: the file's deadline (a ``time.monotonic()`` value) and its limit in seconds
        self.file_limit = file_limit
        self.deadline = until if file_limit is None else min(until, file_limit[0])

    def spend(self, n: int = 1, what: str = "") -> None:
        """Charge ``n`` steps, or refuse (charging nothing) if that would pass the limit."""
        if self.used + n > self.limit:
            shown = f" ({what})" if what else ""
            raise ClaimError(
                f"the claim needs more than {self.limit} steps of work{shown}; split it into smaller claims"
            )
        self.used += n
        if time.monotonic() > self.deadline:
            raise ClaimError(self.timeout_message())

    def timeout_message(self) -> str:
        if self.file_limit is not None and self.file_limit[0] <= self.start + self.seconds:
            return f"not checked: the file's time limit of {self.file_limit[1]:g} s was reached"
        return f"the claim took longer than its time limit of {self.seconds:g} s; split it into smaller claims"

    @contextlib.contextmanager
    def active(self) -> Iterator[Budget]:
        """Make this the budget that :func:`charge` draws on while the block runs."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)


_ACTIVE: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("symconv_claim_budget", default=None)


def charge(n: int, what: str) -> None:
    """Charge ``n`` steps for operation ``what`` to the claim being checked (before doing
    it).  Outside a claim (the library's own use of these helpers) nothing is charged."""
    budget = _ACTIVE.get()
    if budget is not None:
        budget.spend(max(int(n), 1), what)


def weight(v: Value, cap: int = 50_000) -> int:
    """The size of a value for charging: the number of expression nodes of its entries
    (stopping at ``cap``)."""
    if isinstance(v, sp.MatrixBase):
        total = 0
        for e in v:
            total += _nodes(e, cap)
            if total > cap:
                return cap
        return max(total, 1)
    if isinstance(v, sp.Basic):
        return _nodes(v, cap)
    return 1
