"""The functions of the claims language, shared by the expression and the LaTeX readers.

Each takes evaluated arguments; all math is the core's (``ops.vec``, ``ops.correlate``,
``ops.unit``, ``Geometry``, the layer's ``window``/``switches``/``mask``, the activations)
or SymPy's.  Indices are 1-based, as in the seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from .. import ops
from .. import validate as v
from ..errors import SpecError
from ..geometry import Geometry
from ..registry import KINDS, part
from ..rule import Selecting, Windowed
from . import conditions as cond
from . import operators as op
from .calculus import Calculus, derivative_kind
from .namespace import Namespace
from .options import Options
from .values import (
    ENTRY_COST,
    MAX_ENTRIES,
    MAX_MAX_ARGS,
    MAX_NUMBER_BITS,
    Array,
    Budget,
    ClaimError,
    NotDifferentiableError,
    Shape,
    TensorView,
    Value,
    array,
    charge,
    check_size,
    describe,
    is_matrix,
    is_scalar,
    is_tensor,
    matrix,
    mul,
    short,
    tensor_map,
    tensor_zip,
    to_int,
    to_matrix,
    to_scalar,
)


@dataclass(frozen=True)
class Broken:
    """A ``[define]`` that could not be evaluated: a claim that uses it is invalid."""

    message: str


@dataclass
class Trace:
    """What evaluating a claim used, for its report: entries read as zero outside a tensor
    (``g_{0,1}``), the layout-dependent derivatives taken, the defines used."""

    zero_reads: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    defines: set[str] = field(default_factory=set)

    def zero(self, text: str) -> None:
        if text not in self.zero_reads and len(self.zero_reads) < 1_000:
            self.zero_reads.append(text)


@dataclass
class Context:
    """What evaluating one claim needs: the names, derivatives, a work budget, the
    file's ``[define]`` values and options, and a trace of what was used."""

    namespace: Namespace
    calculus: Calculus
    budget: Budget = field(default_factory=Budget)
    defines: dict[str, Value | Broken] = field(default_factory=dict)
    options: Options = field(default_factory=Options)
    trace: Trace = field(default_factory=Trace)
    #: the kinds of layout-dependent derivative each define took (see :class:`Trace`)
    define_kinds: dict[str, set[str]] = field(default_factory=dict)

    def lookup(self, name: str) -> Value:
        if name in self.defines:
            value = self.defines[name]
            if isinstance(value, Broken):
                raise ClaimError(f"uses {name} from [define], which is invalid: {value.message}")
            self.trace.defines.add(name)
            self.trace.kinds |= self.define_kinds.get(name, set())
            return value
        return self.namespace.value(name)

    def derivative(self, y: Value, x: Value) -> Value:
        """``dy/dx`` in the claim's layout (``diff``, ``\\frac{\\partial y}{\\partial x}``)."""
        value = self.calculus.diff(y, x, self.budget, self.options.layout)
        kind = derivative_kind(y, x)
        if kind:
            self.trace.kinds.add(kind)
        return value

    def out_of_range(self, text: str) -> Value:
        """An entry outside its tensor, reached through index variables: zero (noted for
        the report), or an error when the file asks for one."""
        if self.options.out_of_range == "error":
            raise ClaimError(
                f"{text} lies outside its tensor (out_of_range = 'error'); "
                "limit the index ranges, or remove out_of_range to read such entries as zero"
            )
        self.trace.zero(text)
        return sp.S.Zero

    def is_bound(self, name: str) -> bool:
        return (
            name in self.defines
            or self.namespace.has(name)
            or name in self.namespace.jacobians
            or name in FUNCTIONS
            or name in LOOPS
        )


Impl = Callable[[Context, list[Value], dict[str, Value]], Value]


@dataclass(frozen=True)
class Function:
    impl: Impl
    min_args: int
    max_args: int | None
    keywords: tuple[str, ...] = ()
    usage: str = ""


FUNCTIONS: dict[str, Function] = {}
#: loop constructs, evaluated by the expression reader itself: name -> what they build
LOOPS = {"sum_for": "sum", "hstack_for": "hstack", "vstack_for": "vstack", "stack_for": "tensor"}


def function(name: str, min_args: int, max_args: int | None, usage: str, keywords: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    def register(impl: Impl) -> Impl:
        FUNCTIONS[name] = Function(impl, min_args, max_args, keywords, usage)
        return impl

    return register


def call(ctx: Context, name: str, args: list[Value], kwargs: dict[str, Value]) -> Value:
    """Apply function ``name`` (or a Jacobian family ``J_...``) after checking its arity."""
    if name in ctx.namespace.jacobians:
        if kwargs:
            raise ClaimError(f"{name} takes no keyword arguments")
        return ctx.namespace.jacobian(name, tuple(to_int(a, f"a channel index of {name}") for a in args))
    fn = FUNCTIONS.get(name)
    if fn is None:
        raise ClaimError(f"unknown function {name!r}; functions: {', '.join(sorted([*FUNCTIONS, *LOOPS]))}")
    if len(args) < fn.min_args or (fn.max_args is not None and len(args) > fn.max_args):
        raise ClaimError(f"{name} takes {_arity(fn)}: {fn.usage}")
    for k in kwargs:
        if k not in fn.keywords:
            raise ClaimError(f"{name} has no keyword {k!r}: {fn.usage}")
    ctx.budget.spend()
    return fn.impl(ctx, args, kwargs)


def _arity(fn: Function) -> str:
    if fn.max_args == fn.min_args:
        return f"{fn.min_args} argument{'s' if fn.min_args != 1 else ''}"
    if fn.max_args is None:
        return f"at least {fn.min_args} arguments"
    return f"{fn.min_args} to {fn.max_args} arguments"


# -- calculus ----------------------------------------------------------------------------
@function("diff", 2, 2, "diff(y, x): dy/dx in the file's layout (layout = numerator, denominator or mixed)")
def _diff(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return ctx.derivative(a[0], a[1])


@function("grad", 2, 2, "grad(y, X): the gradient of a scalar y, shaped like X")
def _grad(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return ctx.calculus.grad(a[0], a[1], ctx.budget)


@function("uses", 2, 2, "uses(y, X): 1 if y contains an entry of X, else 0")
def _uses(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return ctx.calculus.uses(a[0], a[1])


@function("subs", 3, 3, "subs(y, X, values): y as a function of X, at X = values (same shape)")
def _subs(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    xs = ctx.calculus.variables(a[1], "the second argument of subs")
    old = [xs] if isinstance(xs, sp.Symbol) else list(xs)
    new_v = a[2]
    new = [to_scalar(new_v, "the replacement")] if is_scalar(new_v) else list(to_matrix(new_v, "the replacement"))
    if len(new) != len(old) or (
        is_matrix(new_v) and not isinstance(xs, sp.Symbol) and to_matrix(new_v, "v").shape != xs.shape
    ):
        raise ClaimError(f"subs needs replacements shaped like the variables: {describe(a[1])} and {describe(new_v)}")
    mapping = dict(zip(old, new, strict=True))
    level = max(ctx.namespace.graph.level[s] for s in old)
    y = a[0]
    ctx.budget.spend(len(mapping))

    def put(e: sp.Expr) -> sp.Expr:
        e = ctx.calculus.express(e, level, ctx.budget)
        check_differentiable(e, mapping)
        return e.xreplace(mapping)

    if is_tensor(y):
        raise ClaimError("subs of a tensor: pick a channel or use flat(...)")
    if is_matrix(y):
        m = to_matrix(y, "y")
        return matrix(m.rows, m.cols, [put(e) for e in m])
    return put(to_scalar(y, "y"))


def check_differentiable(e: sp.Expr, mapping: dict[sp.Symbol, sp.Expr]) -> None:
    """Refuse to evaluate a derivative of ``Max``/``Min`` where the maximum is not unique.

    SymPy writes ``d Max(x, y)/dx`` as ``Heaviside(x - y)``, and ``Heaviside(0) = 1/2``;
    at a tie the derivative does not exist (the one-sided derivatives differ), so a value
    there is reported as not differentiable, never as a half."""
    for node in sp.preorder_traversal(e):
        if isinstance(node, sp.Heaviside):
            arg = node.args[0]
            if arg.xreplace(mapping) == 0:
                raise NotDifferentiableError(
                    f"is not differentiable at these values: a max (or min) has a tie there ({short(arg, 80)} = 0), "
                    "so its derivative does not exist; use values without ties, or mask(X) for the seed's "
                    "first-maximum rule"
                )


# -- shapes and building matrices -----------------------------------------------------------
def vec(x: Value) -> sp.ImmutableMatrix:
    """The seed's ``{}_v``: a matrix's columns stacked; a ``c``-channel tensor gives the
    ``hw x c`` matrix whose column ``j`` is ``vec`` of channel ``j`` (3.1)."""
    if is_tensor(x):
        if len(x.shape) != 3:  # type: ignore[union-attr]
            raise ClaimError(f"vec of {describe(x)} is not defined; pick a kernel first, e.g. vec(K2[j, i])")
        c, h, w = x.shape  # type: ignore[union-attr]
        entries = x.entries()  # type: ignore[union-attr]
        return matrix(h * w, c, [entries[j * h * w + k] for k in range(h * w) for j in range(c)])
    if is_matrix(x):
        return sp.ImmutableMatrix(ops.vec(to_matrix(x, "vec's argument")))
    if isinstance(x, Shape):
        raise ClaimError("vec of a tuple is not defined")
    return matrix(1, 1, [to_scalar(x, "vec's argument")])


@function("vec", 1, 1, "vec(X): the columns of X stacked (a c-channel tensor gives hw x c)")
def _vec(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return vec(a[0])


@function("flat", 1, 1, "flat(X): the channel vecs of X stacked into one column (3.1.2)")
def _flat(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    x = a[0]
    if is_tensor(x):
        e = x.entries()  # type: ignore[union-attr]
        return matrix(len(e), 1, e)
    return vec(x)


def transpose(x: Value) -> Value:
    if is_tensor(x):
        return tensor_map(x, transpose)
    if is_matrix(x):
        return sp.ImmutableMatrix(to_matrix(x, "transpose's argument").T)
    return to_scalar(x, "transpose's argument")


@function("transpose", 1, 1, "transpose(X)")
def _transpose(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return transpose(a[0])


@function("reshape", 3, 3, "reshape(X, m, n): the entries of X, read and written row by row")
def _reshape(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    m = to_matrix(a[0], "reshape's argument")
    rows, cols = to_int(a[1], "rows"), to_int(a[2], "columns")
    check_size(rows, cols)
    if rows * cols != m.rows * m.cols:
        raise ClaimError(f"cannot reshape {describe(m)} into {rows}x{cols}")
    return matrix(rows, cols, list(m))


def shape_of(x: Value) -> Shape:
    if isinstance(x, TensorView | Array):
        return Shape(tuple(sp.Integer(n) for n in x.shape))
    if is_matrix(x):
        m = to_matrix(x, "value")
        return Shape((sp.Integer(m.rows), sp.Integer(m.cols)))
    if isinstance(x, Shape):
        return Shape((sp.Integer(len(x.items)),))
    return Shape(())


@function("shape", 1, 1, "shape(X): its dimensions, e.g. (4, 3)")
def _shape(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return shape_of(a[0])


def ones(rows: int, cols: int) -> sp.ImmutableMatrix:
    return matrix(rows, cols, [sp.S.One] * (rows * cols) if rows * cols <= MAX_ENTRIES else None)


@function("ones", 2, 2, "ones(m, n): the seed's 1_(m, n)")
def _ones(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return ones(to_int(a[0], "rows"), to_int(a[1], "columns"))


@function("zeros", 2, 2, "zeros(m, n)")
def _zeros(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return matrix(to_int(a[0], "rows"), to_int(a[1], "columns"))


@function("eye", 1, 1, "eye(n): the identity")
def _eye(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    n = to_int(a[0], "n")
    check_size(n, n)
    return matrix(n, n, [sp.S.One if r == c else sp.S.Zero for r in range(n) for c in range(n)])


@function("unit", 4, 4, "unit(m, n, r, s): the m x n matrix with a single 1 at (r, s), e.g. d beta / d beta_21")
def _unit(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    m, n, r, s = (to_int(x, name) for x, name in zip(a, ("rows", "columns", "r", "s"), strict=True))
    check_size(m, n)
    ctx.budget.spend(ENTRY_COST * m * n, "unit")
    if not (1 <= r <= m and 1 <= s <= n):
        raise ClaimError(f"unit({m}, {n}, {r}, {s}): the position must lie inside the matrix")
    return sp.ImmutableMatrix(ops.unit((m, n), r - 1, s - 1))


@function("diag", 1, 1, "diag(v): the diagonal matrix of a vector")
def _diag(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    m = to_matrix(a[0], "diag's argument")
    if m.rows != 1 and m.cols != 1:
        raise ClaimError(f"diag needs a vector, got {describe(m)}")
    n = len(m)
    check_size(n, n)
    ctx.budget.spend(ENTRY_COST * n * n, "diag")
    return sp.ImmutableMatrix(sp.diag(*list(m)))


@function("trace", 1, 1, "trace(M)")
def _trace(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    m = to_matrix(a[0], "trace's argument")
    if m.rows != m.cols:
        raise ClaimError(f"trace needs a square matrix, got {describe(m)}")
    return m.trace()


def stack(values: list[Value], horizontal: bool) -> sp.ImmutableMatrix:
    """Matrices (scalars count as 1x1) side by side or one below the other."""
    mats = [to_matrix(x, "a block") if is_matrix(x) else matrix(1, 1, [to_scalar(x, "a block")]) for x in values]
    if not mats:
        raise ClaimError("nothing to stack")
    key = 0 if horizontal else 1
    if len({m.shape[key] for m in mats}) != 1:
        shown = ", ".join(describe(m) for m in mats[:6])
        kind, what = ("h", "heights") if horizontal else ("v", "widths")
        raise ClaimError(f"cannot {kind}stack blocks of different {what}: {shown}")
    rows = mats[0].rows if horizontal else sum(m.rows for m in mats)
    cols = sum(m.cols for m in mats) if horizontal else mats[0].cols
    check_size(rows, cols)
    charge(ENTRY_COST * rows * cols, f"stacking into a {rows}x{cols} matrix")
    return sp.ImmutableMatrix(sp.Matrix.hstack(*mats) if horizontal else sp.Matrix.vstack(*mats))


@function("hstack", 1, None, "hstack(X, Y, ...): blocks side by side")
def _hstack(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return stack(a, True)


@function("vstack", 1, None, "vstack(X, Y, ...): blocks one below the other")
def _vstack(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return stack(a, False)


# -- convolution and the layer's own forms ------------------------------------------------
def convolve(
    x: Value,
    y: Value,
    padding: tuple[int, ...],
    stride: tuple[int, ...],
    budget: Budget,
    dilation: tuple[int, ...] = (1, 1),
) -> sp.ImmutableMatrix:
    """The seed's ``*`` (cross-correlation over the zero-padded input, Appendix A), with
    the kernel's taps ``dilation`` apart."""
    xm, ym = to_matrix(x, "conv's first argument"), to_matrix(y, "conv's second argument")
    try:
        geom = Geometry.make((xm.rows, xm.cols), (ym.rows, ym.cols), padding, stride, dilation)
        geom.check("conv")
    except SpecError as err:
        raise ClaimError(str(err)) from None
    hz, wz = geom.output
    check_size(hz, wz)
    budget.spend(ENTRY_COST * hz * wz * ym.rows * ym.cols, f"conv with a {hz}x{wz} output")
    return sp.ImmutableMatrix(ops.correlate(xm, ym, geom))


@dataclass(frozen=True)
class Mode:
    """A padding given by name: ``"full"``, ``"valid"`` or ``"same"`` (``conv(..., padding="full")``)."""

    name: str


def _ints(x: Value, what: str) -> list[int]:
    if isinstance(x, Shape):
        return [to_int(i, what) for i in x.items]
    return [to_int(x, what)]


def _padding(x: Value, what: str = "padding") -> tuple[int, ...]:
    """``p``, ``(ph, pw)`` or ``(top, bottom, left, right)``."""
    items = _ints(x, what)
    try:
        return v.padding(what, items[0] if len(items) == 1 else items)
    except SpecError as err:
        raise ClaimError(str(err)) from None


def _pair(x: Value, what: str, minimum: int = 1) -> tuple[int, int]:
    """``s`` or ``(sh, sw)``."""
    items = _ints(x, what)
    try:
        return v.pair(what, items[0] if len(items) == 1 else items, minimum=minimum)
    except SpecError as err:
        raise ClaimError(str(err)) from None


@function(
    "conv",
    2,
    2,
    "conv(X, Y, padding=P, stride=S, dilation=D): the seed's X * Y; P is p, (ph, pw), (top, bottom, left, right), "
    '"full", "valid" or "same"; S and D are s or (sh, sw)',
    ("padding", "stride", "dilation"),
)
def _conv(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    stride = _pair(kw["stride"], "stride") if "stride" in kw else (1, 1)
    dilation = _pair(kw["dilation"], "dilation") if "dilation" in kw else (1, 1)
    mode = kw.get("padding")
    if isinstance(mode, Mode):
        if mode.name == "same" and stride != (1, 1):
            raise ClaimError('padding="same" needs stride 1 (as in PyTorch); give the padding as numbers')
        kernel = to_matrix(a[1], "conv's second argument").shape
        pad = op.mode_padding(mode.name, kernel, dilation)
    else:
        pad = _padding(mode) if mode is not None else (0, 0, 0, 0)
    return convolve(a[0], a[1], pad, stride, ctx.budget, dilation)


def rot180(x: Value) -> sp.ImmutableMatrix:
    """``X`` turned by 180 degrees: entry ``(r, s)`` is ``X[h + 1 - r, w + 1 - s]``."""
    m = to_matrix(x, "rot180's argument")
    h, w = m.shape
    return matrix(h, w, [m[h - 1 - r, w - 1 - c] for r in range(h) for c in range(w)])


@function("rot180", 1, 1, "rot180(X): X turned by 180 degrees (the kernel flip)")
def _rot180(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return rot180(a[0])


@function("dilate", 2, 2, "dilate(X, (sh, sw)): sh - 1 zero rows between rows, sw - 1 zero columns between columns")
def _dilate(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    m = to_matrix(a[0], "dilate's argument")
    sh, sw = _pair(a[1], "dilate's step")
    h, w = (m.rows - 1) * sh + 1, (m.cols - 1) * sw + 1
    check_size(h, w)
    out = [[sp.S.Zero] * w for _ in range(h)]
    for r in range(m.rows):
        for c in range(m.cols):
            out[r * sh][c * sw] = m[r, c]
    return matrix(h, w, [e for row in out for e in row])


@function("pad", 2, 2, "pad(X, P): X inside a border of zeros; P is p, (ph, pw) or (top, bottom, left, right)")
def _pad(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    m = to_matrix(a[0], "pad's argument")
    t, b, left, right = _padding(a[1])
    check_size(m.rows + t + b, m.cols + left + right)
    geom = Geometry.make((m.rows, m.cols), (1, 1), (t, b, left, right), (1, 1))
    ctx.budget.spend(ENTRY_COST * (m.rows + t + b) * (m.cols + left + right), "pad")
    return ops.padded(m, geom)


@function(
    "crop",
    2,
    3,
    "crop(X, (r1, r2), (c1, c2)): rows r1..r2 and columns c1..c2 of X (1-based, inclusive); "
    "crop(X, P): X without a border P (pad's inverse)",
)
def _crop(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    if len(a) == 2:
        return op.unpad(a[0], _padding(a[1], "crop's border"))
    m = to_matrix(a[0], "crop's argument")
    bounds = []
    for arg, what, n in ((a[1], "rows", m.rows), (a[2], "columns", m.cols)):
        items = _ints(arg, f"crop's {what}")
        if len(items) != 2:
            raise ClaimError(f"crop's {what} are a pair (first, last), 1-based and inclusive")
        first, last = items
        if not 1 <= first <= last <= n:
            raise ClaimError(f"crop: {what} {first}..{last} are not inside 1..{n} of {describe(m)}")
        bounds.append((first, last))
    (r1, r2), (c1, c2) = bounds
    return matrix(r2 - r1 + 1, c2 - c1 + 1, [m[r, c] for r in range(r1 - 1, r2) for c in range(c1 - 1, c2)])


def hadamard(x: Value, y: Value) -> Value:
    """The entrywise product of two matrices of one shape (``\\odot``)."""
    if is_scalar(x) or is_scalar(y):
        return mul(x, y)
    if is_tensor(x) or is_tensor(y):
        return tensor_zip(x, y, hadamard, "multiply entrywise")
    a, b = to_matrix(x, "the left factor"), to_matrix(y, "the right factor")
    if a.shape != b.shape:
        raise ClaimError(f"the entrywise product needs one shape: {describe(a)} and {describe(b)}")
    return matrix(a.rows, a.cols, [p * q for p, q in zip(a, b, strict=True)])


@function("hadamard", 2, 2, "hadamard(X, Y): the entrywise product of X and Y (LaTeX \\odot)")
def _hadamard(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return hadamard(a[0], a[1])


@function("sum_entries", 1, 1, "sum_entries(X): the sum of every entry of X")
def _sum_entries(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    x = a[0]
    entries = x.entries() if is_tensor(x) else list(to_matrix(x, "sum_entries' argument"))  # type: ignore[union-attr]
    ctx.budget.spend(len(entries), "sum_entries")
    return sp.Add(*entries)


@function("window", 2, 3, "window(p, q) or window(i, p, q): the block of the padded input behind output (p, q) (rep.1)")
def _window(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    d = ctx.namespace.layer
    if not isinstance(d, Windowed):
        raise ClaimError("window(...) needs a single convolution or pooling layer")
    idx = [to_int(x, "an index of window") for x in a]
    channel, p, q = (1, *idx) if len(idx) == 2 else idx
    hz, wz = d.geometry.output
    channels = d.channels
    if not (1 <= p <= hz and 1 <= q <= wz and 1 <= channel <= channels):
        raise ClaimError(f"window({', '.join(map(str, idx))}) is outside the {hz}x{wz} output ({channels} channels)")
    return sp.ImmutableMatrix(d.window(p - 1, q - 1, channel - 1))


def _maxpool(ctx: Context, what: str) -> Selecting:
    d = ctx.namespace.layer
    if not isinstance(d, Selecting):
        raise ClaimError(f"{what}(X) needs a single max-pooling layer")
    return d


def _numbers(ctx: Context, x: Value, d: Selecting, what: str) -> np.ndarray:
    m = to_matrix(x, f"{what}'s argument")
    if tuple(m.shape) != d.geometry.input:
        raise ClaimError(f"{what}(X) needs X of the input's shape {d.geometry.input}, got {describe(m)}")
    out = np.empty(m.shape)
    for (r, c), e in np.ndenumerate(np.array(m.tolist(), dtype=object)):
        if not isinstance(e, sp.Basic) or not e.is_Rational:
            raise ClaimError(f"{what}(X) needs numbers, got {short(e)} at ({r + 1}, {c + 1})")
        out[r, c] = float(e)
    return out


@function("switches", 1, 1, "switches(X): the seed's i_pq for input values X (Appendix B)")
def _switches(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    d = _maxpool(ctx, "switches")
    sw = d.switches(_numbers(ctx, a[0], d, "switches"))
    return sp.ImmutableMatrix(sw.tolist())


@function("selected", 1, 1, "selected(X): the 1-based vec index of the input entry each A_pq takes (0: padding)")
def _selected(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    d = _maxpool(ctx, "selected")
    sw = d.switches(_numbers(ctx, a[0], d, "selected"))
    win = np.swapaxes(d.geometry.windows, 2, 3).reshape(*d.geometry.output, -1)  # each window in vec order
    picked = np.take_along_axis(win, (sw - 1)[..., None], axis=-1)[..., 0]
    return sp.ImmutableMatrix((picked + 1).tolist())  # -1 (padding) becomes 0


@function("mask", 1, 1, "mask(X): d vA / d vI at input values X (eq.b-1), from the core")
def _mask(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    d = _maxpool(ctx, "mask")
    jac = d.mask(_numbers(ctx, a[0], d, "mask"))
    return sp.ImmutableMatrix(jac.to_matrix())


# -- scalar functions -----------------------------------------------------------------
def entrywise(x: Value, f: Callable[[sp.Expr], sp.Expr], name: str) -> Value:
    if is_matrix(x):
        m = to_matrix(x, f"{name}'s argument")
        return matrix(m.rows, m.cols, [f(e) for e in m])
    return f(to_scalar(x, f"{name}'s argument"))


#: steps charged per pair of symbolic arguments of Max/Min (SymPy compares them pairwise)
MAX_PAIR_COST = 500


def maximum(args: list[Value], smallest: bool) -> sp.Expr:
    """``Max`` of scalars, or of the entries of one matrix (``max`` of a window, Appendix B)."""
    if len(args) == 1 and is_matrix(args[0]):
        items = list(to_matrix(args[0], "the argument"))
    else:
        items = [to_scalar(x, "an argument of Max") for x in args]
    if len(items) > MAX_MAX_ARGS:
        raise ClaimError(f"Max/Min take at most {MAX_MAX_ARGS} arguments")
    symbolic = sum(1 for e in items if not e.is_Number)
    charge(MAX_PAIR_COST * symbolic * symbolic, f"Max/Min of {len(items)} entries")  # SymPy compares pairs
    return sp.Min(*items) if smallest else sp.Max(*items)


for _name, _small in (("Max", False), ("max", False), ("Min", True), ("min", True)):
    function(_name, 1, None, f"{_name}(x, y, ...) or {_name}(M) for the entries of a matrix")(
        lambda ctx, a, kw, _s=_small: maximum(a, _s)
    )

for _act, _fn in ((name, f) for k in KINDS for name, f in part(k, "claims").functions.items()):
    function(_act, 1, 1, f"{_act}(x): the core's {_act}, entrywise on a matrix")(
        lambda ctx, a, kw, _f=_fn, _n=_act: entrywise(a[0], _f, _n)
    )


def rounded(x: sp.Expr, f: Callable[[sp.Expr], sp.Expr]) -> sp.Expr:
    """``floor``/``ceil``, refusing a number too large to round exactly (``floor(exp(10**39))``
    would need every one of its digits)."""
    if x.is_number and not x.is_Rational:
        value = x.evalf(20)
        if not value.is_finite or (value.is_Number and abs(value) > sp.Integer(2) ** MAX_NUMBER_BITS):
            raise ClaimError(f"floor and ceil take numbers below 2**{MAX_NUMBER_BITS} in absolute value")
    return f(x)


for _name, _f in (("exp", sp.exp), ("log", sp.log)):
    function(_name, 1, 1, f"{_name}(x), entrywise on a matrix")(
        lambda ctx, a, kw, _g=_f, _n=_name: entrywise(a[0], _g, _n)
    )


def _rounding(f: Callable[[sp.Expr], sp.Expr], name: str) -> Impl:
    def impl(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
        return entrywise(a[0], lambda e: rounded(e, f), name)

    return impl


for _name, _f in (("floor", sp.floor), ("ceil", sp.ceiling)):
    function(_name, 1, 1, f"{_name}(x), entrywise on a matrix")(_rounding(_f, _name))


# -- indicators and piecewise forms (conditions.py) -------------------------------------
@function("indicator", 1, 1, "indicator(z > 0): 1 where the comparison holds, else 0 (entrywise on matrices)")
def _indicator(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return cond.indicator(cond.as_condition(a[0], "indicator's argument"))


@function("where", 3, 3, "where(z > 0, a, b): a where the comparison holds, else b (entrywise)")
def _where(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return cond.where(cond.as_condition(a[0], "where's first argument"), a[1], a[2])


@function("heaviside", 1, 1, "heaviside(x): the step 1[x > 0] (0 at x = 0), entrywise")
def _heaviside(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return cond.heaviside(a[0])


@function("sign", 1, 1, "sign(x): 1, -1 or 0, entrywise")
def _sign(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return cond.sign(a[0])


@function("argmax", 1, 1, "argmax(M): compared with a position, (r, s) == argmax(M) inside indicator(...)")
def _argmax(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return cond.argmax(a[0])  # type: ignore[return-value]


# -- im2col, col2im, Kronecker (operators.py) ------------------------------------------------
@function("kron", 2, 2, "kron(X, Y): the Kronecker product (LaTeX \\otimes)")
def _kron(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return op.kron(a[0], a[1])


def _kernel_stride_padding(
    a: list[Value], first: int, what: str
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, ...]]:
    kernel = _pair(a[first], f"{what}'s kernel")
    stride = _pair(a[first + 1], f"{what}'s stride") if len(a) > first + 1 else (1, 1)
    padding = _padding(a[first + 2], f"{what}'s padding") if len(a) > first + 2 else (0, 0, 0, 0)
    return kernel, stride, padding


@function(
    "im2col",
    2,
    4,
    "im2col(X, (h_k, w_k), stride, padding): one column per output position, vec of its window (channels stacked)",
)
def _im2col(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    return op.im2col(a[0], *_kernel_stride_padding(a, 1, "im2col"))


@function(
    "col2im",
    3,
    5,
    "col2im(C, (h, w) or (c, h, w), (h_k, w_k), stride, padding): im2col's adjoint, the columns added back",
)
def _col2im(ctx: Context, a: list[Value], kw: dict[str, Value]) -> Value:
    shape = tuple(_ints(a[1], "col2im's shape"))
    return op.col2im(a[0], shape, *_kernel_stride_padding(a, 2, "col2im"))


def stack_tensor(items: list[Value]) -> Value:
    """``stack_for``: blocks along a new first index (a tensor)."""
    return array(items)
