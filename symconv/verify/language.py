"""The claims expression language: Python syntax, read by ``ast.parse(mode="eval")`` and
evaluated by walking a whitelist of node types.  Nothing is ever ``eval``-ed, ``exec``-ed
or ``sympify``-ed; names are looked up in the layer's :class:`Namespace`.

Caps: text length, bracket nesting, AST depth and node count, integer literal size,
exponent size (``9**9**9`` is refused), matrix size, loop length, and a work budget.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from fractions import Fraction

import sympy as sp

from . import conditions as cond
from . import functions as fn
from .functions import LOOPS, Context
from .indices import Ranges
from .namespace import TensorName
from .values import (
    ENTRY_COST,
    MAX_NUMBER_BITS,
    Array,
    ClaimError,
    Shape,
    TensorView,
    Value,
    add,
    check_number,
    check_text,
    describe,
    divide,
    is_matrix,
    is_scalar,
    matmul,
    matrix,
    mul,
    negate,
    power,
    to_int,
    to_matrix,
    to_scalar,
)

MAX_CHARS = 20_000
MAX_NESTING = 40
MAX_NODES = 5_000
MAX_DEPTH = 60
MAX_DIGITS = 40
MAX_LOOP = 1_000

_ALLOWED: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Subscript,
    ast.Tuple,
    ast.List,
    ast.Slice,
    ast.keyword,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.MatMult,
    ast.Mod,
    ast.FloorDiv,
    ast.USub,
    ast.UAdd,
    ast.Compare,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.Not,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Eq,
    ast.NotEq,
)

_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed; use sum_for, hstack_for or vstack_for",
    ast.SetComp: "comprehensions are not allowed; use sum_for, hstack_for or vstack_for",
    ast.DictComp: "comprehensions are not allowed; use sum_for, hstack_for or vstack_for",
    ast.GeneratorExp: "comprehensions are not allowed; use sum_for, hstack_for or vstack_for",
    ast.IfExp: "'if ... else' is not allowed",
    ast.Starred: "'*' unpacking is not allowed",
    ast.Dict: "dictionaries are not allowed",
    ast.Set: "sets are not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.BitAnd: "bit operators are not allowed",
    ast.BitOr: "bit operators are not allowed",
    ast.BitXor: "bit operators are not allowed",
    ast.LShift: "shift operators are not allowed",
    ast.RShift: "shift operators are not allowed",
    ast.Invert: "'~' is not allowed",
    ast.Is: "'is' is not allowed; compare with == inside indicator(...)",
    ast.IsNot: "'is not' is not allowed; compare with != inside indicator(...)",
    ast.In: "'in' is not allowed",
    ast.NotIn: "'not in' is not allowed",
}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
#: the only strings of the language: a padding given by name, conv(..., padding="full")
MODES = ("full", "valid", "same")


def parse(text: object) -> ast.Expression:
    """Parse one side of a claim, refusing anything outside the whitelist or the caps."""
    text = check_text(text, MAX_CHARS)
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    if deepest > MAX_NESTING:
        raise ClaimError(f"brackets are nested {deepest} deep; the limit is {MAX_NESTING}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        where = f" at column {err.offset}" if err.offset else ""
        raise ClaimError(f"cannot be read: {err.msg}{where}") from None
    except (RecursionError, MemoryError):
        raise ClaimError("is too long or too deeply nested to read") from None
    except ValueError as err:  # e.g. a NUL character
        raise ClaimError(f"cannot be read: {err}") from None
    _check(tree, text.strip())
    return tree


def _check(tree: ast.AST, text: str) -> None:
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ClaimError(f"has more than {MAX_NODES} parts; split it into smaller claims")
        if depth > MAX_DEPTH:
            raise ClaimError(f"is nested more than {MAX_DEPTH} levels deep")
        if not isinstance(node, _ALLOWED):
            message = _REFUSED.get(type(node), f"{type(node).__name__} is not allowed in a claim")
            raise ClaimError(message)
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ClaimError(f"names starting with '_' are not allowed ({node.id!r})")
        if isinstance(node, ast.Call) and not isinstance(node.func, ast.Name):
            raise ClaimError("only named functions can be called, e.g. diff(y, x)")
        if isinstance(node, ast.keyword) and node.arg is None:
            raise ClaimError("'**' unpacking is not allowed")
        if isinstance(node, ast.Constant) and not (isinstance(node.value, str) and node.value in MODES):
            _constant(node.value, _written(text, node))
        # a chain a + b + c + ... (or * or @) nests to the left: its length is not depth
        children = list(ast.iter_child_nodes(node))
        stack.extend(
            (child, depth if _same_chain(node, child) else depth + 1) for child in reversed(children)
        )  # left to right


_CHAINS = ((ast.Add, ast.Sub), (ast.Mult, ast.Div), (ast.MatMult,))


def _same_chain(node: ast.AST, child: ast.AST) -> bool:
    """``child`` continues ``node``'s chain of one operator family on the left (plus the
    operator node itself), so a flat sum of any length within the node cap is accepted."""
    if not isinstance(node, ast.BinOp):
        return False
    family = next((f for f in _CHAINS if isinstance(node.op, f)), None)
    if family is None:
        return False
    return child is node.op or (child is node.left and isinstance(child, ast.BinOp) and isinstance(child.op, family))


def _written(text: str, node: ast.Constant) -> str | None:
    """The source of a decimal literal as written (a claim side is one line)."""
    if not isinstance(node.value, float) or "\n" in text or node.end_col_offset is None:
        return ast.get_source_segment(text, node) if isinstance(node.value, float) else None
    data = text.encode("utf-8")  # offsets are in UTF-8 bytes
    return data[node.col_offset : node.end_col_offset].decode("utf-8", "replace")


def _constant(value: object, text: str | None = None) -> sp.Expr:
    if isinstance(value, str) and value in MODES:
        raise ClaimError(f'the string "{value}" is read only as a padding: conv(X, Y, padding="{value}")')
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ClaimError(f"only numbers are allowed as constants, got {type(value).__name__} {str(value)[:30]!r}")
    if isinstance(value, int):
        if len(str(abs(value))) > MAX_DIGITS:
            raise ClaimError(f"numbers may have at most {MAX_DIGITS} digits")
        return sp.Integer(value)
    written = (text or repr(value)).replace("_", "")
    try:
        f = Fraction(written)  # the decimal as written, exactly: 0.1 is 1/10, 1e-400 is not 0
    except (ValueError, ZeroDivisionError):
        raise ClaimError(f"the number {written[:40]!r} cannot be read as a decimal") from None
    if abs(f) > 10**MAX_DIGITS or max(f.numerator.bit_length(), f.denominator.bit_length()) > MAX_NUMBER_BITS:
        raise ClaimError(f"the number {written[:40]} is not a finite number of at most {MAX_DIGITS} digits")
    return sp.Rational(f.numerator, f.denominator)


_FULL = object()  # a ':' index


class Evaluator:
    """Evaluates one parsed side in a :class:`Context`."""

    def __init__(self, ctx: Context, text: str = "") -> None:
        self.ctx = ctx
        self.text = text
        self.loops: dict[str, sp.Integer] = {}

    def run(self, tree: ast.Expression, env: dict[str, int] | None = None) -> Value:
        """The side's value, with the free indices at ``env``."""
        self.loops = {name: sp.Integer(v) for name, v in (env or {}).items()}
        value = self.eval(tree.body)
        if isinstance(value, cond.Condition | cond.ArgMax):
            raise ClaimError(f"a side is a comparison; {cond.HINT}, e.g. indicator(z[1,1] > 0)")
        return value

    def eval(self, node: ast.AST) -> Value:
        self.ctx.budget.spend()
        if isinstance(node, ast.Constant):
            return _constant(node.value, _written(self.text, node))
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.UnaryOp):
            x = self.eval(node.operand)
            if isinstance(node.op, ast.Not):
                return cond.negate(cond.as_condition(x, "'not'"))  # type: ignore[return-value]
            return negate(x) if isinstance(node.op, ast.USub) else x
        if isinstance(node, ast.Compare):
            return self.compare(node)  # type: ignore[return-value]
        if isinstance(node, ast.BoolOp):
            parts = [cond.as_condition(self.eval(v), "'and' / 'or'") for v in node.values]  # type: ignore[arg-type]
            return cond.combine("and" if isinstance(node.op, ast.And) else "or", parts)  # type: ignore[return-value]
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Tuple):
            return Shape(tuple(to_scalar(self.eval(e), "a tuple item") for e in node.elts))
        if isinstance(node, ast.List):
            return self.matrix_literal(node)
        raise ClaimError(f"{type(node).__name__} cannot be used here")

    def compare(self, node: ast.Compare) -> cond.Condition:
        """``a < b``, ``a == b``, chained ``0 < x < 1`` (each link and-ed)."""
        left = self.eval(node.left)
        links = []
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.eval(right_node)
            links.append(cond.compare(_COMPARE[type(op)], left, right))
            left = right
        return links[0] if len(links) == 1 else cond.combine("and", links)

    def name(self, name: str) -> Value:
        if name in self.loops:
            return self.loops[name]
        if name in fn.FUNCTIONS or name in LOOPS:
            usage = fn.FUNCTIONS[name].usage if name in fn.FUNCTIONS else name + "(...)"
            raise ClaimError(f"{name} is a function: call it, e.g. {usage}")
        return self.ctx.lookup(name)

    def binop(self, node: ast.BinOp) -> Value:
        # a chain a + b - c + ... nests to the left: walk its spine without recursing, so a
        # flat sum is as long as the node cap allows (not as deep as Python's stack)
        spine = [node]
        while isinstance(spine[-1].left, ast.BinOp) and _same_chain(spine[-1], spine[-1].left):
            spine.append(spine[-1].left)  # type: ignore[arg-type]
        value = self.eval(spine[-1].left)
        for link in reversed(spine):
            self.ctx.budget.spend()
            value = self.apply(link.op, value, self.eval(link.right))
        return value

    def apply(self, op: ast.operator, x: Value, y: Value) -> Value:
        if isinstance(op, ast.Add | ast.Sub):
            return add(x, y, "+" if isinstance(op, ast.Add) else "-")
        if isinstance(op, ast.Mult):
            out = mul(x, y)
            return check_number(out) if is_scalar(out) else out  # type: ignore[arg-type]
        if isinstance(op, ast.MatMult):
            return matmul(x, y)
        if isinstance(op, ast.Div):
            return divide(x, y)
        if isinstance(op, ast.Pow):
            return power(x, y)
        a, b = to_scalar(x, "the left operand"), to_scalar(y, "the right operand")
        if not (a.is_Integer and b.is_Integer):
            raise ClaimError("'//' and '%' need integers")
        if b == 0:
            raise ClaimError("division by zero")
        return sp.Integer(int(a) // int(b)) if isinstance(op, ast.FloorDiv) else sp.Integer(int(a) % int(b))

    def call(self, node: ast.Call) -> Value:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        if name in LOOPS:
            return self.loop(name, node)
        args = [self.eval(a) for a in node.args]
        kwargs = {k.arg: self.keyword(k) for k in node.keywords if k.arg is not None}
        return fn.call(self.ctx, name, args, kwargs)

    def keyword(self, k: ast.keyword) -> Value:
        if isinstance(k.value, ast.Constant) and isinstance(k.value.value, str):
            if k.arg != "padding":
                raise ClaimError(f'a string is read only as a padding, e.g. padding="full", not as {k.arg}')
            return fn.Mode(k.value.value)  # type: ignore[return-value]
        return self.eval(k.value)

    def loop(self, name: str, node: ast.Call) -> Value:
        """``sum_for(i, lo, hi, body)``, ``hstack_for``, ``vstack_for``: ``body`` for
        ``i = lo..hi`` (inclusive), added or stacked."""
        usage = f"{name}(i, first, last, expression)"
        if len(node.args) != 4 or node.keywords:
            raise ClaimError(f"{name} takes 4 arguments: {usage}")
        var = node.args[0]
        if not isinstance(var, ast.Name):
            raise ClaimError(f"the first argument of {name} must be a new variable name: {usage}")
        if var.id in self.loops or self.ctx.is_bound(var.id):
            raise ClaimError(f"the loop variable {var.id!r} is already a name; choose another one")
        lo, hi = to_int(self.eval(node.args[1]), "the first value"), to_int(self.eval(node.args[2]), "the last value")
        count = hi - lo + 1
        if count > MAX_LOOP:
            raise ClaimError(f"{name} would run {count} times; the limit is {MAX_LOOP}")
        if count < 1:
            if LOOPS[name] == "sum":
                return sp.S.Zero
            raise ClaimError(f"{name} from {lo} to {hi} has nothing to stack")
        if var.id in self.loops:
            raise ClaimError(f"the loop variable {var.id!r} is a free index of the claim; choose another one")
        items: list[Value] = []
        try:
            for i in range(lo, hi + 1):
                self.ctx.budget.spend(ENTRY_COST, f"{name} turns")
                self.loops[var.id] = sp.Integer(i)
                items.append(self.eval(node.args[3]))
        finally:
            self.loops.pop(var.id, None)
        if LOOPS[name] == "sum":
            total = items[0]
            for item in items[1:]:
                total = add(total, item)
            return total
        if LOOPS[name] == "tensor":
            return fn.stack_tensor(items)
        return fn.stack(items, LOOPS[name] == "hstack")

    def index(self, node: ast.AST) -> tuple[list[object], list[bool]]:
        """The indices, and for each whether it comes from loop or free indices (then it
        may fall outside its tensor)."""
        parts = node.elts if isinstance(node, ast.Tuple) else [node]
        out: list[object] = []
        variable: list[bool] = []
        for p in parts:
            if isinstance(p, ast.Slice):
                if p.lower is not None or p.upper is not None or p.step is not None:
                    raise ClaimError("only the full slice ':' is allowed, e.g. J_K[:, 2]")
                out.append(_FULL)
                variable.append(False)
            else:
                out.append(to_int(self.eval(p), "an index"))
                variable.append(any(isinstance(n, ast.Name) and n.id in self.loops for n in ast.walk(p)))
        return out, variable

    def subscript(self, node: ast.Subscript) -> Value:
        idx, variable = self.index(node.slice)
        base = node.value
        if isinstance(base, ast.Name) and base.id not in self.loops and base.id not in self.ctx.defines:
            tn = self.ctx.namespace.tensors.get(base.id)
            if tn is not None and _FULL not in idx:
                sizes = self.ctx.namespace.axes(tn, len(idx))
                if _outside(idx, variable, sizes):
                    return self.ctx.out_of_range(f"{base.id}[{', '.join(map(str, idx))}]")
                return self.ctx.namespace.tensor_value(tn, tuple(idx))  # type: ignore[arg-type]
        value = self.eval(base)
        if is_matrix(value) and _FULL not in idx and any(variable):
            m = to_matrix(value, "value")
            sizes = (m.rows, m.cols) if len(idx) == 2 else (max(m.rows, m.cols),)
            if _outside(idx, variable, sizes):
                shown = ast.unparse(base) if isinstance(base, ast.Name) else "a matrix"
                return self.ctx.out_of_range(f"{shown}[{', '.join(map(str, idx))}]")
        return index_value(self.ctx, value, idx)

    def matrix_literal(self, node: ast.List) -> Value:
        if not node.elts:
            raise ClaimError("an empty list is not a matrix")
        if all(isinstance(e, ast.List) for e in node.elts):
            rows = [[self.entry(e) for e in r.elts] for r in node.elts]  # type: ignore[attr-defined]
            widths = {len(r) for r in rows}
            if len(widths) != 1 or 0 in widths:
                raise ClaimError("the rows of a matrix must all have the same, non-zero length")
            return matrix(len(rows), len(rows[0]), [e for r in rows for e in r])
        if any(isinstance(e, ast.List) for e in node.elts):
            raise ClaimError("a matrix is a list of rows, each a list of entries; this one mixes rows and entries")
        items = [self.entry(e) for e in node.elts]
        return matrix(len(items), 1, items)

    def entry(self, node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.List):
            raise ClaimError("matrices are nested only two levels deep: [[row 1], [row 2], ...]")
        return to_scalar(self.eval(node), "a matrix entry")


def _outside(idx: list[object], variable: list[bool], sizes: tuple[int, ...]) -> bool:
    """Whether an index that comes from index variables lies outside its axis."""
    return any(var and isinstance(i, int) and not 1 <= i <= n for i, var, n in zip(idx, variable, sizes, strict=False))


def index_value(ctx: Context, value: Value, idx: list[object]) -> Value:
    """``value[idx]`` with 1-based indices (``_FULL`` for ``:``)."""
    if isinstance(value, Shape):
        if len(idx) != 1 or idx[0] is _FULL:
            raise ClaimError("a tuple takes one index")
        k = idx[0]
        assert isinstance(k, int)
        if not 1 <= k <= len(value.items):
            raise ClaimError(f"index {k} is out of range 1..{len(value.items)} for a tuple")
        return value.items[k - 1]
    if isinstance(value, TensorView):
        if _FULL in idx:
            raise ClaimError("a tensor takes numbers as indices")
        lead = tuple(i + 1 for i in value.lead)
        return ctx.namespace.tensor_value(TensorName(value.tensor, value.label, False), (*lead, *idx))  # type: ignore[arg-type]
    if isinstance(value, Array):
        if _FULL in idx:
            raise ClaimError("a tensor takes numbers as indices")
        k = idx[0]
        assert isinstance(k, int)
        if not 1 <= k <= len(value.items):
            raise ClaimError(f"index {k} is out of range 1..{len(value.items)} for {describe(value)}")
        block = value.items[k - 1]
        return block if len(idx) == 1 else index_value(ctx, block, idx[1:])
    if not is_matrix(value):
        raise ClaimError(f"cannot index {describe(value)}")
    m = to_matrix(value, "value")
    if len(idx) == 1 and (m.rows == 1 or m.cols == 1):
        idx = [1, idx[0]] if m.rows == 1 else [idx[0], 1]
    if len(idx) != 2:
        raise ClaimError(f"{describe(m)} takes two indices (row, column)")
    r, c = idx
    for k, n, what in ((r, m.rows, "row"), (c, m.cols, "column")):
        if k is not _FULL and not 1 <= k <= n:  # type: ignore[operator]
            raise ClaimError(f"{what} {k} is out of range 1..{n} for {describe(m)}")
    if r is _FULL and c is _FULL:
        return m
    if r is _FULL:
        return sp.ImmutableMatrix(m[:, c - 1])  # type: ignore[operator]
    if c is _FULL:
        return sp.ImmutableMatrix(m[r - 1, :])  # type: ignore[operator]
    return m[r - 1, c - 1]  # type: ignore[operator,no-any-return]


def evaluate(text: object, ctx: Context) -> Value:
    """Read and evaluate one side of a claim."""
    return prepare(text, ctx).evaluate({})


class Side:
    """One side of a claim in the expression language, read once and evaluated at each
    value of the claim's free indices."""

    def __init__(self, text: object, ctx: Context) -> None:
        self.tree = parse(text)
        self.text = str(text).strip()
        self.ctx = ctx

    def evaluate(self, env: dict[str, int], hint: tuple[int, ...] | None = None) -> Value:
        return Evaluator(self.ctx, self.text).run(self.tree, env)

    def free(self) -> set[str]:
        """One-letter names that index a tensor and are bound to nothing: free indices."""
        out: set[str] = set()
        for node, bound in _walk(self.tree.body, frozenset()):
            if isinstance(node, ast.Subscript):
                for n in ast.walk(node.slice):
                    if isinstance(n, ast.Name) and self._unbound(n.id, bound):
                        out.add(n.id)
        return out

    def _unbound(self, name: str, bound: frozenset[str]) -> bool:
        return len(name) == 1 and name not in bound and not self.ctx.is_bound(name)

    def ranges(self, names: set[str]) -> Ranges:
        """Where the free indices ``names`` index a tensor by themselves."""
        out = Ranges()
        for node, bound in _walk(self.tree.body, frozenset()):
            if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)):
                continue
            parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            sizes = self._sizes(node.value.id, len(parts))
            if sizes is None:
                continue
            for p, n in zip(parts, sizes, strict=False):
                if isinstance(p, ast.Name) and p.id in names and p.id not in bound:
                    out.add(p.id, n, node.value.id)
        return out

    def _sizes(self, name: str, count: int) -> tuple[int, ...] | None:
        if name in self.ctx.defines:
            value = self.ctx.defines[name]
            if is_matrix(value):
                m = to_matrix(value, "value")  # type: ignore[arg-type]
                return (m.rows, m.cols) if count == 2 else (max(m.rows, m.cols),) if count == 1 else None
            return None
        tn = self.ctx.namespace.tensors.get(name)
        return None if tn is None else self.ctx.namespace.axes(tn, count)

    def declared(self) -> dict[str, tuple[int, int] | None]:
        return {}


def prepare(text: object, ctx: Context) -> Side:
    return Side(text, ctx)


def _walk(node: ast.AST, bound: frozenset[str]) -> Iterator[tuple[ast.AST, frozenset[str]]]:
    """Every node with the loop variables bound where it stands (a loop binds its variable
    in its body only)."""
    yield node, bound
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in LOOPS:
        args = node.args
        if len(args) == 4 and isinstance(args[0], ast.Name):
            for a in args[1:3]:
                yield from _walk(a, bound)
            yield from _walk(args[3], bound | {args[0].id})
            return
    for child in ast.iter_child_nodes(node):
        yield from _walk(child, bound)
