r"""Claims written in LaTeX, as the seed writes them.

The text is first checked against a whitelist (characters and commands; ``\input``,
``\def``, ``\catcode`` and friends are refused before anything else happens), then read
into a small structure.  Everything the claims language gives a meaning to is evaluated
here, through the same functions as the expression language:

* names with subscripts and layer superscripts: ``a_{32}``, ``A_{23}``, ``\beta_{21}``,
  ``z_{1,32}^{[2]}``, ``\mathbf{Z}``, ``{}_v\mathbf{A}``, sizes ``h_z^{[2]}``, ``{}^l h_p``;
* derivatives ``\frac{\partial X}{\partial Y}`` and ``\frac{dX}{dY}``;
* the seed's convolution ``X * Y`` (with the layer's padding and stride when ``X`` has the
  layer's input shape and ``Y`` its kernel's; a plain window product when the two have one
  shape), ``X^\top``, ``\text{vec}(X)``, ``\mathbf{1}_{(m, n)}``, ``\begin{bmatrix}``.

What is left -- sums, products, ``\frac``, powers, ``\max``/``\min``, ``\lfloor``,
``\lceil``, numbers -- is handed to SymPy's ``parse_latex(..., backend="lark")`` with every
evaluated piece replaced by a placeholder symbol ``Q_{ab}`` that we generated (a matrix as a
one-entry ``bmatrix`` around it, so that lark keeps the order of matrix products).  User
text never reaches lark except as whitelisted tokens, and never becomes a symbol name.
What cannot be read is reported as such; nothing is guessed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from ..rules.conv import ConvDerivation
from ..rules.pool import AvgPoolDerivation
from . import functions as fn
from .functions import Context
from .values import (
    ClaimError,
    Value,
    add,
    check_text,
    describe,
    is_matrix,
    is_scalar,
    matrix,
    mul,
    power,
    to_int,
    to_matrix,
    to_scalar,
)

MAX_LATEX = 5_000
MAX_TOKENS = 3_000
MAX_LARK_CHARS = 2_500  # one call to the lark parser (Earley: time grows with length)
MAX_LARK_TOTAL = 6_000  # all calls for one side
MAX_NESTING = 30

#: commands refused outright: they read or write files, or redefine TeX
FORBIDDEN = frozenset(
    """input include includeonly InputIfFileExists def edef gdef xdef let futurelet catcode lccode uccode
    mathcode sfcode delcode csname endcsname string write immediate openin openout closein closeout read
    readline newcommand renewcommand providecommand newenvironment renewenvironment usepackage
    RequirePackage documentclass special directlua luaexec lowercase uppercase expandafter noexpand
    jobname makeatletter makeatother loop repeat afterassignment aftergroup everymath everypar
    shipout write18 ShellEscape pdfshellescape""".split()
)

_SPACING = frozenset({"\\,", "\\;", "\\:", "\\!", "\\ ", "\\quad", "\\qquad", "\\left", "\\right", "\\displaystyle"})
_COMMANDS = frozenset(
    """frac dfrac tfrac partial begin end mathbf boldsymbol mathrm text operatorname lfloor rfloor lceil
    rceil max min cdot times top intercal beta Omega exp log ln""".split()
)
_GREEK = {"\\beta": "beta", "\\Omega": "Omega"}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\[^A-Za-z]|\d+(?:\.\d+)?|[A-Za-z]|\s+|.", re.S)
_ALLOWED_CHARS = set("{}()[]+-*/,&_^.") | {"\\"}


# -- structure ---------------------------------------------------------------------------
@dataclass
class Op:
    op: str


@dataclass
class Num:
    text: str


@dataclass
class Group:
    items: list[object]


@dataclass
class Floor:
    kind: str
    items: list[object]


@dataclass
class MaxMin:
    smallest: bool
    args: list[list[object]]


@dataclass
class Frac:
    num: list[object]
    den: list[object]


@dataclass
class Deriv:
    num: list[object]
    den: list[object]


@dataclass
class Mat:
    rows: list[list[list[object]]]


@dataclass
class Name:
    base: str
    bold: bool = False
    lpre: bool = False
    sub: list[str] | None = None
    layer: int | None = None


@dataclass
class Ones:
    args: list[list[object]]


@dataclass
class Apply:
    """``vec``, ``transpose``, ``exp``, ``log`` of one item."""

    name: str
    item: object


@dataclass
class Power:
    base: object
    exp: list[object]


@dataclass
class Conv:
    left: object
    right: object


@dataclass
class Differential:
    """``\\partial`` or ``d`` at the start of a ``\\frac``'s numerator or denominator;
    ``d_v`` (the seed's ``d{}_v``) differentiates a vec."""

    vec: bool = False


def tokens(text: str) -> list[str]:
    """Whitelisted tokens of ``text`` (spacing dropped), or a ClaimError naming the first
    thing that is not allowed."""
    for cmd in re.findall(r"\\([A-Za-z@]+)", text):
        if cmd in FORBIDDEN or "@" in cmd:
            raise ClaimError(
                f"the LaTeX command \\{cmd} is not allowed in claims (it could read files or redefine TeX)"
            )
    out = []
    after_delimiter_command = False
    for tok in _TOKEN.findall(text):
        if tok.isspace():
            continue
        if after_delimiter_command and tok == ".":  # \right. (an invisible delimiter)
            after_delimiter_command = False
            continue
        after_delimiter_command = tok in ("\\left", "\\right")
        if tok.startswith("\\"):
            if tok in _SPACING:
                continue
            if len(tok) > 2 or tok[1].isalpha():
                if tok[1:] not in _COMMANDS:
                    raise ClaimError(f"the LaTeX command {tok} is not supported in claims")
            elif tok not in ("\\\\", "\\{", "\\}"):
                raise ClaimError(f"the LaTeX command {tok} is not supported in claims")
        elif not (tok[0].isalnum() and tok.isascii()) and tok not in _ALLOWED_CHARS:
            raise ClaimError(f"the character {tok!r} is not allowed in a LaTeX claim")
        out.append(tok)
    if len(out) > MAX_TOKENS:
        raise ClaimError(f"has {len(out)} LaTeX tokens; the limit is {MAX_TOKENS}")
    return out


class _Parser:
    """Reads the token list into the structure above."""

    def __init__(self, toks: list[str]) -> None:
        self.toks = toks
        self.pos = 0
        self.depth = 0

    def peek(self, k: int = 0) -> str | None:
        i = self.pos + k
        return self.toks[i] if i < len(self.toks) else None

    def next(self) -> str:
        tok = self.peek()
        if tok is None:
            raise ClaimError("the LaTeX ends too early (an unclosed group?)")
        self.pos += 1
        return tok

    def expect(self, tok: str) -> None:
        got = self.peek()
        if got != tok:
            raise ClaimError(
                f"expected {tok!r} in the LaTeX, found {got!r}"
                if got
                else f"expected {tok!r} before the end of the LaTeX"
            )
        self.pos += 1

    def document(self) -> list[object]:
        items = self.seq(frozenset())
        if self.peek() is not None:
            raise ClaimError(f"unexpected {self.peek()!r} in the LaTeX")
        return items

    def seq(self, stops: frozenset[str]) -> list[object]:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ClaimError(f"the LaTeX is nested more than {MAX_NESTING} levels deep")
        items: list[object] = []
        while self.peek() is not None and self.peek() not in stops:
            item = self.atom()
            while self.peek() == "^" and not isinstance(item, Op):
                item = self.superscript(item)
            items.append(item)
        self.depth -= 1
        return _convolutions(items)

    def arg(self) -> list[object]:
        """A ``{...}`` group or a single token."""
        if self.peek() == "{":
            self.next()
            items = self.seq(frozenset({"}"}))
            self.expect("}")
            return items
        return [self.atom()]

    def raw(self) -> list[str]:
        """The tokens of a subscript: ``{...}`` (no nesting) or one token."""
        if self.peek() != "{":
            return [self.next()]
        self.next()
        out = []
        while self.peek() != "}":
            out.append(self.next())
        self.next()
        return out

    def word(self) -> str:
        self.expect("{")
        letters = []
        while self.peek() is not None and self.peek() != "}":
            tok = self.next()
            if not tok.isalpha():
                raise ClaimError(f"expected a word inside {{...}}, found {tok!r}")
            letters.append(tok)
        self.expect("}")
        return "".join(letters)

    def superscript(self, base: object) -> object:
        self.expect("^")
        if self.peek() in ("\\top", "\\intercal", "T"):
            self.next()
            return Apply("transpose", base)
        if self.peek() == "{" and self.peek(1) in ("\\top", "\\intercal", "T") and self.peek(2) == "}":
            self.pos += 3
            return Apply("transpose", base)
        return Power(base, self.arg())

    def atom(self) -> object:
        tok = self.next()
        if tok[0].isdigit():
            return Num(tok)
        if tok in ("+", "-", "/", ","):
            return Op(tok)
        if tok == "*":
            return Op("*")
        if tok in ("\\cdot", "\\times"):
            return Op("\\cdot")
        if tok in ("(", "["):
            close = ")" if tok == "(" else "]"
            items = self.seq(frozenset({close}))
            self.expect(close)
            return Group(items)
        if tok == "{":
            if self.peek() == "}":  # {}_v X or {}^l h_p
                self.next()
                return self.prefixed()
            items = self.seq(frozenset({"}"}))
            self.expect("}")
            return Group(items)
        if tok in ("\\lfloor", "\\lceil"):
            close = "\\rfloor" if tok == "\\lfloor" else "\\rceil"
            items = self.seq(frozenset({close}))
            self.expect(close)
            return Floor("floor" if tok == "\\lfloor" else "ceil", items)
        if tok in ("\\max", "\\min"):
            return self.maxmin(tok == "\\min")
        if tok in ("\\frac", "\\dfrac", "\\tfrac"):
            num, den = self.arg(), self.arg()
            if num and den and isinstance(num[0], Differential) and isinstance(den[0], Differential):
                return Deriv(_after_d(num), _after_d(den))
            if any(isinstance(x, Differential) for x in (*num, *den)):
                raise ClaimError("a derivative is written \\frac{\\partial y}{\\partial x} (or with d on both lines)")
            return Frac(num, den)
        if tok == "\\begin":
            return self.matrix()
        if tok in ("\\mathbf", "\\boldsymbol"):
            return self.bold()
        if tok in ("\\mathrm", "\\text", "\\operatorname"):
            word = self.word()
            if word == "d":
                return Differential()
            if word == "vec":
                return Apply("vec", self.operand())
            raise ClaimError(f"{tok}{{{word}}} is not supported in claims (only vec and d)")
        if tok == "\\partial":
            return Differential()
        if tok in _GREEK:
            return self.name(Name(_GREEK[tok]))
        if tok in ("\\exp", "\\log", "\\ln"):
            return Apply("exp" if tok == "\\exp" else "log", self.operand())
        if tok.isalpha() and len(tok) == 1:
            if tok == "d" and self.peek() == "_" and self.peek(1) == "v":
                self.pos += 2
                return Differential(vec=True)
            after = self.peek() or ""
            if tok == "d" and (after.isalpha() or after in ("\\beta", "\\Omega", "\\mathbf", "\\boldsymbol", "{")):
                return Differential()
            return self.name(Name(tok))
        if tok in ("&", "\\\\"):
            raise ClaimError(f"{tok!r} belongs inside a \\begin{{bmatrix}} ... \\end{{bmatrix}}")
        if tok in ("\\{", "\\}"):
            raise ClaimError("\\{ ... \\} is only read after \\max or \\min")
        raise ClaimError(f"unexpected {tok!r} in the LaTeX")

    def operand(self) -> object:
        item = self.atom()
        if isinstance(item, Op):
            raise ClaimError(f"expected something to apply to, found {item.op!r}")
        return item

    def prefixed(self) -> object:
        """After ``{}``: ``_v X`` (vec) or ``^l h_p`` (the pool's padding and stride)."""
        tok = self.next()
        if tok == "_" and self.peek() == "v":
            self.next()
            return Apply("vec", self.operand())
        if tok == "^" and self.peek() == "l":
            self.next()
            item = self.operand()
            if not isinstance(item, Name):
                raise ClaimError("{}^l is read only before a size such as h_p")
            item.lpre = True
            return item
        raise ClaimError("{} is read only as {}_v (vec) or {}^l (the pooling padding and stride)")

    def name(self, name: Name) -> Name:
        for _ in range(2):
            if self.peek() == "_" and name.sub is None:
                self.next()
                name.sub = self.raw()
            elif self.peek() == "^" and self.peek(1) == "{" and self.peek(2) == "[" and name.layer is None:
                self.pos += 3
                digits = self.next()
                if not digits.isdigit():
                    raise ClaimError(f"a layer superscript is a number, e.g. ^{{[2]}}, found {digits!r}")
                self.expect("]")
                self.expect("}")
                name.layer = int(digits)
        return name

    def bold(self) -> object:
        self.expect("{")
        tok = self.next()
        self.expect("}")
        if tok == "1":
            if self.peek() != "_":
                raise ClaimError("\\mathbf{1} needs its size: \\mathbf{1}_{(m, n)}")
            self.next()
            sub = self.arg()
            if len(sub) != 1 or not isinstance(sub[0], Group):
                raise ClaimError("\\mathbf{1} needs its size: \\mathbf{1}_{(m, n)}")
            return Ones(_split(sub[0].items))
        if tok in _GREEK:
            return self.name(Name(_GREEK[tok], bold=True))
        if tok.isalpha() and len(tok) == 1:
            return self.name(Name(tok, bold=True))
        raise ClaimError(f"\\mathbf{{{tok}}} is not a name")

    def maxmin(self, smallest: bool) -> MaxMin:
        tok = self.peek()
        if tok in ("(", "\\{"):
            self.next()
            close = ")" if tok == "(" else "\\}"
            items = self.seq(frozenset({close}))
            self.expect(close)
            return MaxMin(smallest, _split(items))
        return MaxMin(smallest, [[self.operand()]])

    def matrix(self) -> Mat:
        env = self.word()
        if env not in ("bmatrix", "pmatrix", "matrix", "array"):
            raise ClaimError(f"the environment {env!r} is not supported (use bmatrix)")
        if env == "array":  # \begin{array}{ccc}: the column alignments
            spec = self.word()
            if not spec or set(spec) - set("lcr"):
                raise ClaimError("\\begin{array} needs its column alignments, e.g. {ccc}")
        rows: list[list[list[object]]] = [[]]
        stops = frozenset({"&", "\\\\", "\\end"})
        while True:
            rows[-1].append(self.seq(stops))
            tok = self.next()
            if tok == "&":
                continue
            if tok == "\\\\":
                rows.append([])
                continue
            break
        if self.word() != env:
            raise ClaimError(f"\\begin{{{env}}} is closed by a different \\end")
        if rows and rows[-1] == [[]]:
            rows.pop()
        return Mat(rows)


def _after_d(items: list[object]) -> list[object]:
    """What follows a differential; ``d_v X`` is ``d vec(X)``."""
    d = items[0]
    assert isinstance(d, Differential)
    rest = items[1:]
    if d.vec:
        if len(rest) != 1:
            raise ClaimError("d_v is read before a single name: d_v \\mathbf{Z}")
        return [Apply("vec", rest[0])]
    return rest


def _split(items: list[object]) -> list[list[object]]:
    """Split at top-level commas."""
    parts: list[list[object]] = [[]]
    for it in items:
        if isinstance(it, Op) and it.op == ",":
            parts.append([])
        else:
            parts[-1].append(it)
    return parts


def _convolutions(items: list[object]) -> list[object]:
    """``X * Y`` binds its two neighbours (left to right)."""
    out: list[object] = []
    k = 0
    while k < len(items):
        it = items[k]
        if isinstance(it, Op) and it.op == "*":
            if not out or isinstance(out[-1], Op) or k + 1 >= len(items) or isinstance(items[k + 1], Op):
                raise ClaimError("'*' (the seed's convolution) needs a matrix on each side")
            out[-1] = Conv(out[-1], items[k + 1])
            k += 2
            continue
        out.append(it)
        k += 1
    return out


# -- evaluation -----------------------------------------------------------------------------
def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out


@dataclass
class Reader:
    """Evaluates one LaTeX side in a :class:`Context`."""

    ctx: Context
    slots: dict[str, Value] = field(default_factory=dict)
    lark_chars: int = 0

    def read(self, text: object) -> Value:
        toks = tokens(check_text(text, MAX_LATEX, " for LaTeX"))
        if not toks:
            raise ClaimError("has no content")
        return self.value(_Parser(toks).document())

    # evaluation of the structure
    def value(self, items: list[object]) -> Value:
        if not items:
            raise ClaimError("an empty group in the LaTeX")
        if len(items) == 1 and isinstance(items[0], Num):
            f = Fraction(items[0].text)  # digits checked by the tokenizer
            return sp.Rational(f.numerator, f.denominator)
        if len(items) == 1 and not isinstance(items[0], Op | Frac | Floor | MaxMin):
            return self.item(items[0])
        return self.lark(self.render(items))

    def item(self, it: object) -> Value:
        self.ctx.budget.spend()
        if isinstance(it, Name):
            return self.resolve(it)
        if isinstance(it, Group):
            return self.value(it.items)
        if isinstance(it, Deriv):
            return self.derivative(it)
        if isinstance(it, Mat):
            return self.matrix(it)
        if isinstance(it, Conv):
            return self.convolve(self.item(it.left), self.item(it.right))
        if isinstance(it, Apply):
            x = self.item(it.item)
            if it.name == "vec":
                return fn.vec(x)
            if it.name == "transpose":
                return fn.transpose(x)
            return fn.entrywise(x, sp.exp if it.name == "exp" else sp.log, it.name)
        if isinstance(it, Ones):
            if len(it.args) != 2:
                raise ClaimError("\\mathbf{1}_{(m, n)} needs two sizes")
            return fn.ones(to_int(self.value(it.args[0]), "m"), to_int(self.value(it.args[1]), "n"))
        if isinstance(it, Power):
            return power(self.item(it.base), self.value(it.exp))
        if isinstance(it, Differential):
            raise ClaimError("\\partial and d are read only inside \\frac{\\partial y}{\\partial x}")
        return self.value([it])

    def derivative(self, it: Deriv) -> Value:
        if not it.num:
            raise ClaimError("write the function inside the derivative: \\frac{\\partial y}{\\partial x}")
        if len(it.den) != 1:
            raise ClaimError(
                "the denominator of a derivative must be one variable or matrix, e.g. \\partial \\beta_{21}"
            )
        return self.ctx.calculus.diff(self.value(it.num), self.item(it.den[0]), self.ctx.budget)

    def matrix(self, it: Mat) -> Value:
        widths = {len(r) for r in it.rows}
        if not it.rows or len(widths) != 1:
            raise ClaimError("the rows of a bmatrix must all have the same number of entries")
        cells = [to_scalar(self.value(c), "a bmatrix entry (block matrices are not read)") for r in it.rows for c in r]
        return matrix(len(it.rows), widths.pop(), cells)

    def convolve(self, x: Value, y: Value) -> Value:
        """The seed's ``*``: the layer's convolution for input-shaped ``X`` and
        kernel-shaped ``Y``, the window product (one number) for two matrices of one shape."""
        xm, ym = to_matrix(x, "the left side of *"), to_matrix(y, "the right side of *")
        d = self.ctx.namespace.layer
        if isinstance(d, ConvDerivation | AvgPoolDerivation):
            g = d.geometry
            if xm.shape == g.input and ym.shape == g.kernel:
                if g.dilation != (1, 1):
                    raise ClaimError("'*' with a dilated layer: write conv(...) in the expression language")
                return fn.convolve(xm, ym, g.padding, g.stride, self.ctx.budget)
        if xm.shape == ym.shape:
            out = fn.convolve(xm, ym, (0, 0, 0, 0), (1, 1), self.ctx.budget)
            return to_scalar(out, "a window product")
        raise ClaimError(
            f"cannot tell which padding and stride '*' uses for {describe(xm)} * {describe(ym)}; "
            "use the layer's input and kernel shapes, two blocks of one shape, or conv(...) in the expression language"
        )

    def resolve(self, name: Name) -> Value:
        ns = self.ctx.namespace
        layer = "" if name.layer is None else str(name.layer)
        sub = "".join(name.sub) if name.sub else ""
        if name.lpre or (name.base in ("h", "w", "c", "n") and not name.bold):
            key = ("l" if name.lpre else "") + name.base + (f"_{sub}" if sub else "") + layer
            if key in ns.constants:
                return sp.Integer(ns.constants[key])
            if name.lpre or name.base + layer not in ns.tensors:
                raise ns.unknown(key)
        py = name.base + layer
        if name.sub is None:
            return self.ctx.lookup(py)
        tn = ns.tensors.get(py)
        if tn is None:
            raise ns.unknown(py) if not ns.has(py) else ClaimError(f"{py} takes no subscript")
        return ns.tensor_value(tn, _indices(name.sub, tn.tensor.wide, len(tn.tensor.shape) == 1, py))

    # rendering for lark
    def render(self, items: list[object]) -> str:
        parts: list[str] = []
        operand = False
        for it in items:
            if isinstance(it, Op):
                if it.op == ",":
                    raise ClaimError("a comma outside \\max(...), \\min(...) or a size")
                parts.append(" \\cdot " if it.op == "\\cdot" else f" {it.op} ")
                operand = False
                continue
            if operand:
                parts.append(" \\cdot ")
            parts.append(self.render_item(it))
            operand = True
        return "".join(parts)

    def render_item(self, it: object) -> str:
        if isinstance(it, Num):
            return it.text
        if isinstance(it, Group):
            return "(" + self.render(it.items) + ")"
        if isinstance(it, Floor):
            left, right = ("\\lfloor ", " \\rfloor") if it.kind == "floor" else ("\\lceil ", " \\rceil")
            return left + self.render(it.items) + right
        if isinstance(it, MaxMin):
            if len(it.args) == 1:
                return self.slot(fn.maximum([self.value(it.args[0])], it.smallest))
            return ("\\min(" if it.smallest else "\\max(") + ", ".join(self.render(a) for a in it.args) + ")"
        if isinstance(it, Frac):
            return "\\frac{" + self.render(it.num) + "}{" + self.render(it.den) + "}"
        return self.slot(self.item(it))

    def slot(self, v: Value) -> str:
        name = "Q_{" + _letters(len(self.slots)) + "}"
        self.slots[name] = v
        if is_scalar(v):
            return name
        if is_matrix(v):
            return "\\begin{bmatrix}" + name + "\\end{bmatrix}"
        raise ClaimError(f"{describe(v)} cannot take part in LaTeX arithmetic")

    def lark(self, text: str) -> Value:
        from lark.exceptions import LarkError
        from sympy.parsing.latex.errors import LaTeXParsingError

        self.lark_chars += len(text)
        if len(text) > MAX_LARK_CHARS or self.lark_chars > MAX_LARK_TOTAL:
            raise ClaimError(
                "this LaTeX is too long for the LaTeX reader; split the claim or use the expression language"
            )
        self.ctx.budget.spend(len(text))
        try:
            expr = _parsed(text)
        except (LarkError, LaTeXParsingError, ValueError, TypeError, AttributeError, IndexError) as err:
            raise ClaimError(f"cannot read this LaTeX ({type(err).__name__})") from None
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
            if isinstance(e, sp.Mul) and sum(1 for a in args if is_matrix(a)) > 1:
                raise ClaimError(
                    "the order of this matrix product is unclear; write it with \\cdot between the matrices"
                )
            return functools.reduce(mul, args)  # MatMul keeps lark's order: mul is the matrix product
        if isinstance(e, sp.Pow):
            return power(self.walk(e.base), self.walk(e.exp))
        if isinstance(e, sp.Max | sp.Min):
            return fn.maximum([self.walk(a) for a in e.args], isinstance(e, sp.Min))
        if isinstance(e, sp.floor | sp.ceiling):
            return fn.entrywise(self.walk(e.args[0]), type(e), "floor")
        raise ClaimError(f"the LaTeX construct {type(e).__name__} is not supported in claims")


def _indices(sub: list[str], wide: bool, vector: bool, name: str) -> tuple[int, ...]:
    """``32`` -> (3, 2); ``1,32`` -> (1, 3, 2); ``10,2`` -> (10, 2) for wide tensors."""
    text = "".join(sub)
    if not re.fullmatch(r"\d+(,\d+)*", text):
        raise ClaimError(f"the subscript {{{text}}} of {name} must be numbers (1-based indices), e.g. {name}_{{32}}")
    parts = text.split(",")
    if vector:
        return tuple(int(p) for p in parts)
    if not wide and len(parts[-1]) == 2:
        return (*(int(p) for p in parts[:-1]), int(parts[-1][0]), int(parts[-1][1]))
    return tuple(int(p) for p in parts)


def evaluate(text: object, ctx: Context) -> Value:
    """Read and evaluate one LaTeX side of a claim."""
    return Reader(ctx).read(text)


@functools.lru_cache(maxsize=512)
def _parsed(text: str) -> object:
    """SymPy's lark parse of a rewritten text (placeholders only, never user names), kept:
    the same shapes recur across claims, and an Earley parse costs 0.1-0.3 s."""
    from sympy.parsing.latex import parse_latex

    return parse_latex(text, backend="lark")
