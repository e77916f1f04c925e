r"""Claims written in LaTeX, as the seed, course notes and textbooks write them.

The text is whitelisted and read into a structure by :mod:`symconv.verify.latex_parse`;
everything the claims language gives a meaning to is evaluated here, through the same
functions as the expression language:

* names with subscripts and layer superscripts: ``a_{32}``, ``A_{23}``, ``\beta_{21}``,
  ``z_{1,32}^{[2]}``, ``z^{[1]}_{pq}`` (a one-channel tensor needs no channel index),
  ``\mathbf{Z}``, ``{}_v\mathbf{A}``, sizes ``h_z^{[2]}``, ``{}^l h_p``, constants
  ``p_{top}``, user names ``n_h`` and ``\mathbf{X}_{\mathrm{col}}`` (from ``[define]``);
* index notation: subscripts with index letters and arithmetic (``k_{mn}``,
  ``a_{i+m-1,j+n-1}``, ``a_{s(p-1)+m}``); letters bound by no sum are *free* and the claim
  is checked for each of their values (:mod:`symconv.verify.indices`); ``\sum_{i}``,
  ``\sum_{i,j}`` and ``\sum_{i=1}^{n}`` (a missing range is the index's range); an index
  that falls outside its tensor reads as zero (``out_of_range``); ``index_base = 0``
  counts from 0 (``k_{00}``);
* derivatives ``\frac{\partial X}{\partial Y}`` and ``\frac{dX}{dY}`` in the file's layout,
  ``\nabla_{X} y`` (the gradient), inline ``\partial y / \partial x``;
* the seed's convolution ``X * Y`` (also ``\ast``, ``\star``, ``\circledast``): the
  layer's own for its input and kernel shapes; otherwise full, valid or same padding --
  written ``\ast_{\text{full}}``, or inferred when exactly one makes the result the shape
  of the other side; ``X \odot Y``, ``X \otimes Y`` (Kronecker), ``X^\top``;
* indicators and piecewise forms (:mod:`symconv.verify.conditions`): ``\mathbb{1}[z > 0]``,
  ``\mathbb{1}\{\cdot\}``, Iverson brackets ``[z > 0]``, ``H(z)``, ``\operatorname{sign}``,
  ``(r, s) = \operatorname{argmax}(M)``, ``\begin{cases}``;
* functions by name: ``\operatorname{rot180}``, ``\operatorname{dilate}_{2}(G)``,
  ``\operatorname{pad}``, ``\operatorname{crop}``, ``\operatorname{im2col}``,
  ``\mathrm{vec}``, ``\operatorname{tr}`` ... (any function of the expression language);
* subscripts read as the tensor's shape dictates (``w_{31}`` is (3, 1) on a 40x40 tensor;
  a subscript with two readings is an error that asks for commas).

What is left -- sums, products, ``\frac``, powers, ``\max``/``\min``, ``\lfloor``,
``\lceil``, numbers -- is handed to SymPy's ``parse_latex(..., backend="lark")`` (or
:mod:`symconv.verify.arith`, which reads the same texts faster) with every evaluated piece
replaced by a placeholder symbol ``Q_{ab}`` that we generated (a matrix as a one-entry
``bmatrix`` around it, so that lark keeps the order of matrix products).  User text never
reaches lark except as whitelisted tokens, and never becomes a symbol name.  What cannot
be read is reported as such; nothing is guessed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from ..rule import Selecting, Windowed
from . import arith
from . import conditions as cond
from . import functions as fn
from . import indices as ix
from . import operators as op
from .functions import Context
from .language import MAX_LOOP
from .latex_parse import (
    COMPARE,
    Apply,
    Call,
    Cases,
    Conv,
    Deriv,
    Differential,
    Floor,
    Forall,
    Frac,
    Grad,
    Group,
    Indexed,
    Indicator,
    Mat,
    MaxMin,
    Nabla,
    Name,
    Num,
    Ones,
    Op,
    Parser,
    Power,
    Sum,
    Word,
    split,
    tokens,
)
from .values import (
    ENTRY_COST,
    ClaimError,
    Shape,
    Value,
    add,
    check_text,
    describe,
    index_of,
    is_matrix,
    is_scalar,
    is_tensor,
    matrix,
    mul,
    power,
    to_int,
    to_matrix,
    to_scalar,
)

__all__ = ["Reader", "evaluate", "prepare", "tokens"]

MAX_LATEX = 5_000
MAX_LARK_CHARS = 2_500  # one call to the lark parser (Earley: time grows with length)
MAX_LARK_TOTAL = 20_000  # all calls for one side (a \\sum reads its body once per term)

#: LaTeX operator names that are not the expression language's own names
_ALIASES = {"tr": "trace", "sgn": "sign", "rot": "rot180", "H": "heaviside", "Heaviside": "heaviside", "diag": "diag"}
#: functions whose subscript is their last argument: \operatorname{dilate}_{2}(G), \operatorname{pad}_{1}(A)
_SUBSCRIPT_ARG = frozenset({"dilate", "pad", "crop"})
_LOGIC = ("and", "or")


def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out


class IndexEnv(Mapping[str, int]):
    """The values index letters and names take in a subscript: sum and free indices, then
    ``[define]``\\ d integers and the layer's constants (``h_s``, ``p_top``)."""

    def __init__(self, loops: dict[str, int], ctx: Context) -> None:
        self.loops = loops
        self.ctx = ctx

    def __getitem__(self, name: str) -> int:
        if name in self.loops:
            return self.loops[name]
        value = self.integer(name)
        if value is None:
            raise KeyError(name)
        return value

    def integer(self, name: str) -> int | None:
        ctx = self.ctx
        if name in ctx.defines:
            v = ctx.lookup(name)
            if is_scalar(v) and v.is_Integer:  # type: ignore[union-attr]
                return int(v)  # type: ignore[arg-type]
            return None
        if name in ctx.namespace.constants:
            return ctx.namespace.constants[name]
        return None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self.loops or self.integer(name) is not None)

    def __iter__(self) -> Iterator[str]:
        return iter(self.loops)

    def __len__(self) -> int:
        return len(self.loops)


@dataclass
class Reader:
    """Evaluates one LaTeX side in a :class:`Context`."""

    ctx: Context
    slots: dict[str, Value] = field(default_factory=dict)
    lark_chars: int = 0
    #: the indices of the sums being read and the free indices, and their current values
    loops: dict[str, int] = field(default_factory=dict)
    #: the ranges of sums written without bounds, once inferred
    _sum_ranges: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)

    @property
    def base(self) -> int:
        return self.ctx.options.index_base

    def read(self, text: object) -> Value:
        items, _ = parse(text)
        return self.value(items)

    # evaluation of the structure
    def value(self, items: list[object], hint: tuple[int, ...] | None = None) -> Value:
        """``hint``: the shape the other side of the claim has, for a ``*`` whose padding
        the shapes decide (it reaches the terms of a sum, not factors of a product)."""
        if not items:
            raise ClaimError("an empty group in the LaTeX")
        if any(isinstance(it, Op) and (it.op in COMPARE.values() or it.op in _LOGIC) for it in items):
            raise ClaimError(f"a comparison outside a condition; {cond.HINT}, e.g. \\mathbb{{1}}[z_{{11}} > 0]")
        if any(isinstance(it, Word) for it in items):
            word = next(it.text for it in items if isinstance(it, Word))
            raise ClaimError(f"the word {word!r} is read only in the conditions of a cases environment")
        if len(items) == 1 and isinstance(items[0], Num):
            return _number(items[0].text)
        if len(items) == 1 and not isinstance(items[0], Op | Frac | Floor | MaxMin | Num):
            return self.item(items[0], hint)
        if all(isinstance(it, _FACTOR) for it in items):  # a plain product (g_{pq} k_{mn}): left to right
            return functools.reduce(mul, [self.item(it) for it in items])
        return self.lark(self.render(items, hint))

    def item(self, it: object, hint: tuple[int, ...] | None = None) -> Value:
        self.ctx.budget.spend()
        if isinstance(it, Name):
            return self.resolve(it)
        if isinstance(it, Group):
            return self.group(it, hint)
        if isinstance(it, Deriv):
            return self.derivative(it)
        if isinstance(it, Mat):
            return self.matrix(it)
        if isinstance(it, Conv):
            return self.binary(it, hint)
        if isinstance(it, Sum):
            return self.sum(it, hint)
        if isinstance(it, Grad):
            return self.ctx.calculus.grad(self.item(it.y), self.value(it.wrt), self.ctx.budget)
        if isinstance(it, Nabla):
            raise ClaimError("\\nabla_{X} needs the function after it: \\nabla_{X} y")
        if isinstance(it, Apply):
            return self.apply(it, hint)
        if isinstance(it, Call):
            return self.call(it)
        if isinstance(it, Indicator):
            return cond.indicator(self.condition(it.items))
        if isinstance(it, Cases):
            return self.cases(it)
        if isinstance(it, Indexed):
            return self.indexed(self.item(it.item), it.sub, "the group")
        if isinstance(it, Ones):
            if len(it.args) != 2:
                raise ClaimError("\\mathbf{1}_{(m, n)} needs two sizes")
            return fn.ones(to_int(self.value(it.args[0]), "m"), to_int(self.value(it.args[1]), "n"))
        if isinstance(it, Power):
            if isinstance(it.base, Name) and it.base.base == "e" and it.base.sub is None and not self._bound("e"):
                return fn.entrywise(self.value(it.exp), sp.exp, "exp")  # e^{x}
            return power(self.item(it.base), self.value(it.exp))
        if isinstance(it, Differential):
            raise ClaimError("\\partial and d are read only inside \\frac{\\partial y}{\\partial x}")
        if isinstance(it, Word):
            raise ClaimError(f"the word {it.text!r} is read only in the conditions of a cases environment")
        return self.value([it])

    def _bound(self, name: str) -> bool:
        return self.ctx.is_bound(name) or name in self.loops

    def group(self, it: Group, hint: tuple[int, ...] | None) -> Value:
        comparisons = any(isinstance(x, Op) and (x.op in COMPARE.values() or x.op in _LOGIC) for x in it.items)
        if comparisons:
            if it.bracket == "[":
                return cond.indicator(self.condition(it.items))  # an Iverson bracket
            raise ClaimError(
                f"a comparison in ({'...'}); write the indicator \\mathbb{{1}}[...] or an Iverson bracket [...]"
            )
        parts = split(it.items)
        if len(parts) > 1:  # a tuple: (1, 2), (h_s, w_s), (i, j)
            return Shape(tuple(to_scalar(self.value(p), "a tuple item") for p in parts))
        return self.value(it.items, hint)

    def apply(self, it: Apply, hint: tuple[int, ...] | None = None) -> Value:
        if it.name == "transpose":  # (X * Y)^T: the '*' makes the transpose of the other side's shape
            return fn.transpose(self.item(it.item, None if hint is None else hint[::-1]))
        x = self.item(it.item)
        if it.name == "vec":
            return fn.vec(x)
        return fn.entrywise(x, sp.exp if it.name == "exp" else sp.log, it.name)

    def call(self, it: Call) -> Value:
        """``\\operatorname{name}(...)``: a function of the claims language, by its name."""
        word = it.name
        if word == "H" and self._bound("H"):
            raise ClaimError(
                "H is a name in this file, so H(...) is not the step: write \\operatorname{Heaviside}(...)"
            )
        name = _ALIASES.get(word, word)
        if name not in fn.FUNCTIONS and name.lower() in fn.FUNCTIONS:
            name = name.lower()
        if word == "rot" and it.sub is not None:
            if len(it.sub) != 1 or not isinstance(it.sub[0], Num) or it.sub[0].text != "180":
                raise ClaimError("\\operatorname{rot} takes only _{180}: \\operatorname{rot}_{180}(K)")
            it = Call("rot180", it.args)
        elif it.sub is not None and name not in _SUBSCRIPT_ARG:
            raise ClaimError(f"\\operatorname{{{word}}} takes no subscript; give every argument in parentheses")
        if name not in fn.FUNCTIONS:
            known = ", ".join(sorted({*fn.FUNCTIONS, *_ALIASES}))
            raise ClaimError(f"\\operatorname{{{word}}} is not a function claims know; write one of: {known}")
        args = [self.value(a) for a in it.args]
        if it.sub is not None:
            args.append(self.value(it.sub))
        return fn.call(self.ctx, name, args, {})

    def condition(self, items: list[object]) -> cond.Condition:
        """A condition: comparisons (chained: ``0 < z < 1``), joined by ``\\land`` /
        ``\\lor`` / ``and`` / ``or`` or commas (and)."""
        items = [x for x in items if not (isinstance(x, Word) and x.text in ("if", "for", "when", "where"))]
        if not items:
            raise ClaimError("an empty condition")
        for kind in ("or", "and"):
            parts = _split_logic(items, kind)
            if len(parts) > 1:
                return cond.combine(kind, [self.condition(p) for p in parts])
        links: list[tuple[str, list[object]]] = []
        current: list[object] = []
        for x in items:
            if isinstance(x, Op) and x.op in COMPARE.values():
                links.append((x.op, current))
                current = []
            else:
                current.append(x)
        if not links:
            raise ClaimError("a condition compares two things, e.g. z > 0 or i = j")
        operands = [part for _, part in links] + [current]
        if any(not p for p in operands):
            raise ClaimError("a comparison needs something on each side")
        values = [self.value(p) for p in operands]
        chain = [cond.compare(o, values[k], values[k + 1]) for k, (o, _) in enumerate(links)]
        return chain[0] if len(chain) == 1 else cond.combine("and", chain)

    def cases(self, it: Cases) -> Value:
        """``\\begin{cases}``: the first line whose condition holds; ``otherwise`` for the
        rest (without it, the value is undefined where no condition holds)."""
        result: Value = sp.nan
        for value_items, cond_items in reversed(it.rows):
            value = self.value(value_items)
            words = [x.text for x in cond_items if isinstance(x, Word)]
            if (
                cond_items
                and all(isinstance(x, Word) for x in cond_items)
                and words[-1]
                in (
                    "otherwise",
                    "else",
                    "elsewhere",
                )
            ):
                result = value
                continue
            result = cond.where(self.condition(cond_items), value, result)
        return result

    def sum(self, it: Sum, hint: tuple[int, ...] | None = None, depth: int = 0) -> Value:
        """``\\sum_{i=lo}^{hi} body`` (or its inferred range): the body read once for each
        ``i``, and added; ``\\sum_{i,j}`` nests, ``i`` outside."""
        names = [it.var, *it.more]
        var = names[depth]
        if var in self.loops:
            raise ClaimError(f"the sum index {var} is already the index of an outer sum or a free index")
        if it.lo is None or it.hi is None:
            lo, hi = self.sum_range(it, var)
        else:
            lo = to_int(self.value(it.lo), "the lower bound of \\sum")
            hi = to_int(self.value(it.hi), "the upper bound of \\sum")
        if hi - lo + 1 > MAX_LOOP:
            raise ClaimError(f"a \\sum from {lo} to {hi} has more than {MAX_LOOP} terms")
        if it.body is None:  # a \sum taken as an operand: \operatorname{f} \sum_{i} ...
            raise ClaimError("a \\sum needs something to add up after its bounds; write f(\\sum_{i} x_{i})")
        total: Value = sp.S.Zero
        try:
            for i in range(lo, hi + 1):
                self.ctx.budget.spend(ENTRY_COST, "\\sum terms")
                self.loops[var] = i
                term = self.sum(it, hint, depth + 1) if depth + 1 < len(names) else self.value(it.body, hint)
                total = term if i == lo else add(total, term)
        finally:
            self.loops.pop(var, None)
        return total

    def sum_range(self, it: Sum, var: str) -> tuple[int, int]:
        """The range of a sum written without bounds: the range of the index where it indexes
        a tensor by itself in the body (the parsed structure lives as long as the side, so
        its id is a key)."""
        key = (id(it), var)
        if key not in self._sum_ranges:
            ranges = self.ranges(it.body or [], {var}, frozenset(self.loops) - {var})
            how = f"write the range: \\sum_{{{var}={self.base}}}^{{n}}"
            self._sum_ranges[key] = ix.infer_range(var, ranges, self.base, how)
        return self._sum_ranges[key]

    def derivative(self, it: Deriv) -> Value:
        if not it.num:
            raise ClaimError("write the function inside the derivative: \\frac{\\partial y}{\\partial x}")
        if len(it.den) != 1:
            raise ClaimError(
                "the denominator of a derivative must be one variable or matrix, e.g. \\partial \\beta_{21}"
            )
        return self.ctx.derivative(self.value(it.num), self.item(it.den[0]))

    def matrix(self, it: Mat) -> Value:
        widths = {len(r) for r in it.rows}
        if not it.rows or len(widths) != 1:
            raise ClaimError("the rows of a bmatrix must all have the same number of entries")
        cells = [to_scalar(self.value(c), "a bmatrix entry (block matrices are not read)") for r in it.rows for c in r]
        return matrix(len(it.rows), widths.pop(), cells)

    def binary(self, it: Conv, hint: tuple[int, ...] | None) -> Value:
        x, y = self.item(it.left), self.item(it.right)
        if it.kind == "odot":
            return fn.hadamard(x, y)
        if it.kind == "kron":
            return op.kron(x, y)
        return self.convolve(x, y, it.mode, hint)

    def convolve(self, x: Value, y: Value, mode: str = "", hint: tuple[int, ...] | None = None) -> Value:
        """The seed's ``*``: with a written padding (``\\ast_{\\text{full}}``); the layer's
        convolution for input-shaped ``X`` and kernel-shaped ``Y``; the one of full, valid
        and same that makes the shape of the other side (``hint``); the window product (one
        number) for two matrices of one shape when nothing else tells."""
        xm, ym = to_matrix(x, "the left side of *"), to_matrix(y, "the right side of *")
        if mode:
            return fn.convolve(xm, ym, op.mode_padding(mode, ym.shape), (1, 1), self.ctx.budget)
        d = self.ctx.namespace.layer
        if isinstance(d, Windowed) and not isinstance(d, Selecting) and len(d.geometry.input) <= 2:
            g = d.geometry  # a weighted sum (conv, average pooling); a 1-D signal is a column
            flat = len(g.input) == 1
            if xm.shape == (*g.input, 1)[:2] and ym.shape == (*g.kernel, 1)[:2]:
                if any(n != 1 for n in g.dilation):
                    raise ClaimError("'*' with a dilated layer: write conv(X, Y, dilation=...) instead")
                padding = (*g.padding, 0, 0) if flat else g.padding
                return fn.convolve(xm, ym, padding, (*g.stride, 1)[:2], self.ctx.budget)
        if hint == op.UNKNOWN:  # a term of its side: the other side's shape decides
            raise op.AmbiguousPaddingError(f"'*' of a {xm.rows}x{xm.cols} by a {ym.rows}x{ym.cols} matrix")
        if hint is None and xm.shape == ym.shape:  # inside a derivative or a function: the seed's window product
            out = fn.convolve(xm, ym, (0, 0, 0, 0), (1, 1), self.ctx.budget)
            return to_scalar(out, "a window product")
        _, padding = op.infer_padding(xm.shape, ym.shape, hint)
        out = fn.convolve(xm, ym, padding, (1, 1), self.ctx.budget)
        return to_scalar(out, "a window product") if hint == () else out

    # names and subscripts
    def resolve(self, name: Name) -> Value:
        ns = self.ctx.namespace
        if name.sub is None and name.layer is None and not name.bold and name.base in self.loops:
            return sp.Integer(self.loops[name.base])
        layer = "" if name.layer is None else str(name.layer)
        sub = name.sub
        if sub is not None and sub.word:  # n_h, X_{col}, p_{top}, h_z^{[1]}: a name of its own
            key = ("l" if name.lpre else "") + f"{name.base}_{sub.word}{layer}"
            if key in self.ctx.defines or ns.has(key) or key in ns.jacobians:
                return self.ctx.lookup(key)
            if sub.named:
                raise ClaimError(
                    f'unknown name {key!r}: define it in the file\'s [define] table, e.g. {key} = "im2col(A, (2, 2))"'
                )
        if name.lpre or (name.base in ("h", "w", "c", "n") and not name.bold and (sub is None or sub.word)):
            key = ("l" if name.lpre else "") + name.base + (f"_{sub.word}" if sub is not None else "") + layer
            if key in ns.constants:
                return sp.Integer(ns.constants[key])
            if name.lpre or name.base + layer not in ns.tensors:
                raise ns.unknown(key)
        py = name.base + layer
        if sub is None:
            return self.ctx.lookup(py)
        if py in self.ctx.defines:
            return self.indexed(self.ctx.lookup(py), sub, py)
        tn = ns.tensors.get(py)
        if tn is None and py == "delta":
            return self.kronecker(sub)
        if tn is None and sub.word:
            key = f"{name.base}_{sub.word}{layer}"
            near = sorted(n for n in ns.known() if n.endswith(f"_{sub.word}{layer}") or n.endswith(f"_{sub.word}"))
            also = f"; names with this subscript: {', '.join(near)}" if near else ""
            raise ClaimError(f"unknown name {key!r} ({name.base} is no tensor to index){also}; or [define] {key}")
        if tn is None:
            raise ns.unknown(py) if not ns.has(py) else ClaimError(f"{py} takes no subscript")
        reading = ix.choose(sub, tn.tensor.shape, py, self.base, prefer_entry=not name.bold, collapse=tn.collapse)
        values = self.slot_values(reading, sub, py)
        index = tuple(v - self.base + 1 for v in values)
        sizes = reading.sizes
        if any(s.variable and not 1 <= i <= n for s, i, n in zip(reading.slots, index, sizes, strict=True)):
            return self.ctx.out_of_range(self.entry_text(name, values))
        return ns.tensor_value(tn, (1,) * reading.lead + index)

    def slot_values(self, reading: ix.Reading, sub: ix.Subscript, name: str) -> list[int]:
        env = IndexEnv(self.loops, self.ctx)
        unknown = (
            f"{name}_{{{sub.text}}} uses an index with no value: a letter is a sum index, a free index "
            "or a [define]d integer, and a constant such as h_s is a layer size"
        )
        return [ix.evaluate(s.expr, env, unknown) for s in reading.slots]

    def entry_text(self, name: Name, values: list[int]) -> str:
        layer = "" if name.layer is None else f"^{{[{name.layer}]}}"
        return f"{name.base}_{{{','.join(map(str, values))}}}{layer}"

    def indexed(self, value: Value, sub: ix.Subscript, label: str) -> Value:
        """An entry (or block) of a matrix or tensor that is not one of the layer's names:
        ``(M)_{ij}`` or a ``[define]``\\ d matrix."""
        if is_scalar(value):
            raise ClaimError(f"{label} is a number and takes no subscript")
        shape = value.shape if is_tensor(value) else to_matrix(value, label).shape  # type: ignore[union-attr]
        reading = ix.choose(sub, tuple(shape), label, self.base, prefer_entry=True)
        values = self.slot_values(reading, sub, label)
        index = [v - self.base + 1 for v in values]
        if any(s.variable and not 1 <= i <= n for s, i, n in zip(reading.slots, index, reading.sizes, strict=True)):
            return self.ctx.out_of_range(f"{label}_{{{','.join(map(str, values))}}}")
        return index_of(value, [1] * reading.lead + index)

    def kronecker(self, sub: ix.Subscript) -> sp.Integer:
        """``\\delta_{ij}`` (when no symbol is named delta): 1 if the two indices are equal."""
        usage = "\\delta_{ij} (the Kronecker delta) takes two indices, e.g. \\delta_{i,j} or \\delta_{12}"
        options = ix.readings(sub, 2)
        if not options:
            raise ClaimError(usage)
        env = IndexEnv(self.loops, self.ctx)
        a, b = (ix.evaluate(s.expr, env, usage) for s in options[0])
        return sp.Integer(1 if a == b else 0)

    # free indices and ranges
    def ranges(self, items: list[object], names: set[str], bound: frozenset[str]) -> ix.Ranges:
        """Where the index letters ``names`` index a tensor by themselves in ``items``."""
        out = ix.Ranges()
        for it, inner in walk(items, bound):
            if not isinstance(it, Name) or it.sub is None or (it.sub.word and it.sub.named):
                continue
            found = self._shape_of(it)
            if found is None:
                continue
            shape, label, collapse = found
            try:
                reading = ix.choose(it.sub, shape, label, self.base, prefer_entry=not it.bold, collapse=collapse)
            except ClaimError:
                continue
            for var, size in ix.bare_occurrences(reading):
                if var in names and var not in inner:
                    out.add(var, size, label)
        return out

    def _shape_of(self, name: Name) -> tuple[tuple[int, ...], str, bool] | None:
        py = name.base + ("" if name.layer is None else str(name.layer))
        if py in self.ctx.defines:
            try:
                v = self.ctx.lookup(py)
            except ClaimError:
                return None
            if is_tensor(v):
                return tuple(v.shape), py, False  # type: ignore[union-attr]
            return (tuple(to_matrix(v, py).shape), py, False) if is_matrix(v) else None
        tn = self.ctx.namespace.tensors.get(py)
        return None if tn is None else (tn.tensor.shape, py, tn.collapse)

    def free(self, items: list[object]) -> set[str]:
        """Index letters in subscripts that no sum binds and no ``[define]`` names."""
        out: set[str] = set()
        env = IndexEnv({}, self.ctx)
        for it, bound in walk(items, frozenset()):
            if isinstance(it, Name) and it.sub is not None:
                if (it.sub.word and self._compound(it)) or self._shape_of(it) is None:
                    continue  # a name such as p_{top}, or no tensor to index: resolve() says which
                for var in it.sub.variables():
                    if len(var) == 1 and var not in bound and var not in env:
                        out.add(var)
        return out

    def _compound(self, name: Name) -> bool:
        """``n_h``, ``p_{top}``, ``h_z``: the subscript is part of a name."""
        assert name.sub is not None
        layer = "" if name.layer is None else str(name.layer)
        key = ("l" if name.lpre else "") + f"{name.base}_{name.sub.word}{layer}"
        ns = self.ctx.namespace
        return name.sub.named or key in self.ctx.defines or ns.has(key) or key in ns.jacobians

    # rendering for lark
    def render(self, items: list[object], hint: tuple[int, ...] | None = None) -> str:
        parts: list[str] = []
        operand = False
        for k, it in enumerate(items):
            if isinstance(it, Op):
                if it.op == ",":
                    raise ClaimError("a comma outside \\max(...), \\min(...), a tuple (a, b) or a function's arguments")
                parts.append(" \\cdot " if it.op == "\\cdot" else f" {it.op} ")
                operand = False
                continue
            if operand:
                parts.append(" \\cdot ")
            alone = _alone(items, k)
            parts.append(self.render_item(it, hint if alone else None))
            operand = True
        return "".join(parts)

    def render_item(self, it: object, hint: tuple[int, ...] | None = None) -> str:
        if isinstance(it, Num):  # exact: the decimal as written, never a float
            return self.slot(_number(it.text))
        if isinstance(it, Group) and it.bracket != "[" and len(split(it.items)) == 1:
            if not any(isinstance(x, Op) and (x.op in COMPARE.values() or x.op in _LOGIC) for x in it.items):
                return "(" + self.render(it.items, hint) + ")"
        if isinstance(it, Floor):
            left, right = ("\\lfloor ", " \\rfloor") if it.kind == "floor" else ("\\lceil ", " \\rceil")
            return left + self.render(it.items) + right
        if isinstance(it, MaxMin):
            if len(it.args) == 1:
                return self.slot(fn.maximum([self.value(it.args[0])], it.smallest))
            return ("\\min(" if it.smallest else "\\max(") + ", ".join(self.render(a) for a in it.args) + ")"
        if isinstance(it, Frac):
            return "\\frac{" + self.render(it.num) + "}{" + self.render(it.den) + "}"
        return self.slot(self.item(it, hint))

    def slot(self, v: Value) -> str:
        if is_matrix(v) and to_matrix(v, "a value").shape == (1, 1):
            v = to_scalar(v, "a value")  # a 1x1 matrix (a one-entry vector, b^{[1]}) is a number in arithmetic
        name = "Q_{" + _letters(len(self.slots)) + "}"
        self.slots[name] = v
        if is_scalar(v):
            return name
        if is_matrix(v):
            return "\\begin{bmatrix}" + name + "\\end{bmatrix}"
        raise ClaimError(f"{describe(v)} cannot take part in LaTeX arithmetic; write it in the expression language")

    def lark(self, text: str) -> Value:
        self.lark_chars += len(text)
        if len(text) > MAX_LARK_CHARS or self.lark_chars > MAX_LARK_TOTAL:
            raise ClaimError(
                "this LaTeX is too long for the LaTeX reader; split the claim or use the expression language"
            )
        self.ctx.budget.spend(len(text))
        try:
            expr = _parsed(text)
        except _UnreadableError as err:
            raise ClaimError(
                f"cannot read this LaTeX ({err.kind}): every operator needs something on each side; "
                "add parentheses or \\cdot"
            ) from None
        return self.walk(expr)

    def walk(self, e: object) -> Value:
        """Turn lark's SymPy result back into a value, placeholders replaced."""
        if not isinstance(e, sp.Basic | sp.MatrixBase):
            raise ClaimError("the LaTeX is ambiguous; add parentheses or \\cdot")
        self.ctx.budget.spend()
        if isinstance(e, sp.Symbol):
            if str(e) not in self.slots:
                raise ClaimError(f"unexpected name {str(e)!r} in the LaTeX")
            return self.slots[str(e)]
        if e.is_Rational:
            return e  # type: ignore[return-value]
        if isinstance(e, sp.Float):
            return sp.nsimplify(e, rational=True)  # a decimal the user wrote, e.g. 0.5
        if isinstance(e, sp.MatrixBase):
            if e.shape == (1, 1) and any(is_matrix(self.slots.get(str(s), 0)) for s in e[0, 0].free_symbols):
                return self.walk(e[0, 0])
            return matrix(e.rows, e.cols, [to_scalar(self.walk(x), "a matrix entry") for x in e])
        if isinstance(e, sp.Add | sp.MatAdd):
            return functools.reduce(add, [self.walk(a) for a in e.args])
        if isinstance(e, sp.Mul | sp.MatMul):
            args = [self.walk(a) for a in e.args]
            if not isinstance(e, sp.MatMul) and sum(1 for a in args if is_matrix(a)) > 1:
                raise ClaimError(
                    "the order of this matrix product is unclear; write it with \\cdot between the matrices"
                )
            return functools.reduce(mul, args)  # MatMul keeps lark's order: mul is the matrix product
        if isinstance(e, sp.Pow):
            return power(self.walk(e.base), self.walk(e.exp))
        if isinstance(e, sp.Max | sp.Min):
            return fn.maximum([self.walk(a) for a in e.args], isinstance(e, sp.Min))
        if isinstance(e, sp.floor | sp.ceiling):
            kind = type(e)
            return fn.entrywise(self.walk(e.args[0]), lambda x: fn.rounded(x, kind), "floor")
        raise ClaimError(f"the LaTeX construct {type(e).__name__} is not supported in claims")


#: items whose juxtaposition is the product of their values in order (what lark's reading of
#: the rendered text gives: a matrix product in the written order, a scalar factor anywhere)
_FACTOR = (Name, Apply, Call, Sum, Deriv, Indicator, Power, Conv, Indexed, Mat, Cases, Grad)


def _alone(items: list[object], k: int) -> bool:
    """Whether ``items[k]`` is a term of its own (between ``+``/``-`` or the ends)."""
    before = items[k - 1] if k else None
    after = items[k + 1] if k + 1 < len(items) else None
    return (before is None or (isinstance(before, Op) and before.op in ("+", "-"))) and (
        after is None or (isinstance(after, Op) and after.op in ("+", "-"))
    )


def _split_logic(items: list[object], kind: str) -> list[list[object]]:
    parts: list[list[object]] = [[]]
    for x in items:
        if (isinstance(x, Op) and x.op == kind) or (isinstance(x, Word) and x.text == kind):
            parts.append([])
        elif kind == "and" and isinstance(x, Op) and x.op == ",":
            parts.append([])
        else:
            parts[-1].append(x)
    return parts


def walk(items: list[object], bound: frozenset[str]) -> Iterator[tuple[object, frozenset[str]]]:
    """Every item of the structure with the sum indices bound where it stands."""
    for it in items:
        yield it, bound
        yield from _children(it, bound)


def _children(it: object, bound: frozenset[str]) -> Iterator[tuple[object, frozenset[str]]]:
    if isinstance(it, Sum):
        for part in (it.lo, it.hi):
            if part is not None:
                yield from walk(part, bound)
        yield from walk(it.body or [], bound | {it.var, *it.more})
        return
    lists: list[list[object]] = []
    singles: list[object] = []
    if isinstance(it, Group | Floor | Indicator):
        lists.append(it.items)
    elif isinstance(it, MaxMin | Ones):
        lists.extend(it.args)
    elif isinstance(it, Frac | Deriv):
        lists.extend([it.num, it.den])
    elif isinstance(it, Mat):
        lists.extend(cell for row in it.rows for cell in row)
    elif isinstance(it, Cases):
        for value, condition in it.rows:
            lists.extend([value, condition])
    elif isinstance(it, Call):
        lists.extend(it.args)
        if it.sub is not None:
            lists.append(it.sub)
    elif isinstance(it, Apply | Indexed):
        singles.append(it.item)
    elif isinstance(it, Power):
        singles.append(it.base)
        lists.append(it.exp)
    elif isinstance(it, Conv):
        singles.extend([it.left, it.right])
    elif isinstance(it, Nabla):
        lists.append(it.wrt)
    elif isinstance(it, Grad):
        singles.append(it.y)
        lists.append(it.wrt)
    for part in lists:
        yield from walk(part, bound)
    yield from walk(singles, bound)


def _number(text: str) -> sp.Rational:
    """A decimal as written, exactly (``0.1`` is 1/10; the tokenizer allows digits and one point)."""
    f = Fraction(text)
    return sp.Rational(f.numerator, f.denominator)


def parse(text: object) -> tuple[list[object], Forall | None]:
    toks = tokens(check_text(text, MAX_LATEX, " for LaTeX"))
    if not toks:
        raise ClaimError("has no content")
    return Parser(toks).document()


def evaluate(text: object, ctx: Context) -> Value:
    """Read and evaluate one LaTeX side of a claim."""
    return prepare(text, ctx).evaluate({})


class Side:
    """One LaTeX side of a claim, read once and evaluated at each value of the claim's free
    indices (:mod:`symconv.verify.quantify`)."""

    def __init__(self, text: object, ctx: Context) -> None:
        self.items, self.forall = parse(text)
        self.ctx = ctx
        self._sum_ranges: dict[tuple[int, str], tuple[int, int]] = {}

    def reader(self, env: dict[str, int] | None = None) -> Reader:
        return Reader(self.ctx, loops=dict(env or {}), _sum_ranges=self._sum_ranges)

    def evaluate(self, env: dict[str, int], hint: tuple[int, ...] | None = None) -> Value:
        return self.reader(env).value(self.items, hint)

    def free(self) -> set[str]:
        return self.reader().free(self.items) | {n for n, _, _ in (self.forall.names if self.forall else [])}

    def ranges(self, names: set[str]) -> ix.Ranges:
        return self.reader().ranges(self.items, names, frozenset())

    def declared(self) -> dict[str, tuple[int, int] | None]:
        """The ``\\forall`` clause: each index and its range, if written."""
        out: dict[str, tuple[int, int] | None] = {}
        for n, lo, hi in self.forall.names if self.forall else []:
            if lo is None or hi is None:
                out[n] = None
            else:
                r = self.reader()
                out[n] = (to_int(r.value(lo), f"the first value of {n}"), to_int(r.value(hi), f"the last value of {n}"))
        return out


def prepare(text: object, ctx: Context) -> Side:
    return Side(text, ctx)


class _UnreadableError(Exception):
    """Lark could not read a rewritten text; ``kind`` names its error."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@functools.lru_cache(maxsize=512)
def _parsed(text: str) -> object:
    """SymPy's lark parse of a rewritten text (placeholders only, never user names), kept:
    the same shapes recur across claims.  The forms the reader writes are read by
    :func:`symconv.verify.arith.parse`, which gives lark's expression without its Earley
    parse (0.05-0.3 s a text); anything else goes to lark itself, which is imported only
    then (importing it builds its Earley parser, 0.4 s)."""
    fast = arith.parse(text)
    if fast is not None:
        return fast
    from lark.exceptions import LarkError
    from sympy.parsing.latex import parse_latex
    from sympy.parsing.latex.errors import LaTeXParsingError

    try:
        return parse_latex(text, backend="lark")
    except (LarkError, LaTeXParsingError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise _UnreadableError(type(err).__name__) from None
