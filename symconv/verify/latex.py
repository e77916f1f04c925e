r"""Claims written in LaTeX, as the seed writes them.

The text is first checked against a whitelist (characters and commands; ``\input``,
``\def``, ``\catcode`` and friends are refused before anything else happens), then read
into a small structure.  Everything the claims language gives a meaning to is evaluated
here, through the same functions as the expression language:

* names with subscripts and layer superscripts: ``a_{32}``, ``A_{23}``, ``\beta_{21}``,
  ``z_{1,32}^{[2]}``, ``\mathbf{Z}``, ``{}_v\mathbf{A}``, sizes ``h_z^{[2]}``, ``{}^l h_p``;
* derivatives ``\frac{\partial X}{\partial Y}`` and ``\frac{dX}{dY}``;
* the seed's convolution ``X * Y`` (also ``\ast``, ``\star``; with the layer's padding and
  stride when ``X`` has the layer's input shape and ``Y`` its kernel's; a plain window
  product when the two have one shape), ``X \odot Y``, ``X^\top``, ``\text{vec}(X)``,
  ``\operatorname{rot180}(X)``, ``\mathbf{1}_{(m, n)}``, ``\begin{bmatrix}``;
* ``\sum_{i=1}^{n}`` (the body runs to the next ``+`` or ``-``; ``i`` may appear in
  subscripts), ``\nabla_{X} y``, inline ``\partial y / \partial x``;
* subscripts read as the tensor's shape dictates (``w_{31}`` is (3, 1) on a 40x40 tensor;
  a subscript with two readings is an error that asks for commas).

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
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from ..rule import Selecting, Windowed
from . import arith
from . import functions as fn
from .functions import Context
from .language import MAX_LOOP
from .namespace import TensorName
from .values import (
    ENTRY_COST,
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
MAX_LARK_TOTAL = 20_000  # all calls for one side (a \\sum reads its body once per term)
MAX_SUBSCRIPT_DIGITS = 12
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
    rceil max min cdot times top intercal exp log ln ast star circledast odot circ sum nabla mathsf""".split()
)
#: Greek letters read as names: the seed's beta and Omega, and letters people give to
#: upstream gradients and other declared symbols (``[symbols] delta = [3, 3]``)
_GREEK = {
    f"\\{g}": g
    for g in "beta Omega alpha gamma delta Delta epsilon theta mu nu xi rho tau phi psi omega Gamma Theta Phi".split()
}
_COMMANDS = _COMMANDS | {g[1:] for g in _GREEK}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\[^A-Za-z]|\d+(?:\.\d+)?|[A-Za-z]|\s+|.", re.S)
_ALLOWED_CHARS = set("{}()[]+-*/,&_^.=") | {"\\"}


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
    #: ``*`` (the seed's convolution) or ``odot`` (the entrywise product)
    kind: str = "*"


@dataclass
class Nabla:
    """``\\nabla_{X}``: the gradient with respect to ``X`` of what follows."""

    wrt: list[object]


@dataclass
class Grad:
    y: object
    wrt: list[object]


@dataclass
class Sum:
    """``\\sum_{i=lo}^{hi} body``: ``body`` is what follows, up to the next ``+`` or ``-``."""

    var: str
    lo: list[object]
    hi: list[object]
    body: list[object] | None = None


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
        return _bind(items)

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
            if not (tok.isalpha() or tok.isdigit()):
                raise ClaimError(f"expected a word inside {{...}}, found {tok!r}")
            letters.append(tok)
        self.expect("}")
        return "".join(letters)

    def sum(self) -> Sum:
        """``\\sum_{i=1}^{n}`` (numbers or sizes as bounds); the body is bound in :func:`_bind`."""
        usage = "a sum is written \\sum_{i=1}^{n} with a one-letter index"
        if self.peek() != "_" or self.peek(1) != "{":
            raise ClaimError(usage)
        self.pos += 2
        var = self.next()
        if not (var.isalpha() and len(var) == 1) or self.peek() != "=":
            raise ClaimError(usage)
        self.next()
        lo = self.seq(frozenset({"}"}))
        self.expect("}")
        if self.peek() != "^":
            raise ClaimError(usage)
        self.next()
        return Sum(var, lo, self.arg())

    def superscript(self, base: object) -> object:
        self.expect("^")
        if self.peek() in ("\\top", "\\intercal", "T"):
            self.next()
            return Apply("transpose", base)
        if self.peek() == "{" and self.peek(1) in ("\\top", "\\intercal", "T") and self.peek(2) == "}":
            self.pos += 3
            return Apply("transpose", base)
        sans = [self.peek(k) for k in range(6)]
        if sans == ["{", "\\mathsf", "{", "T", "}", "}"] or sans[:4] == ["\\mathsf", "{", "T", "}"]:
            self.pos += 6 if sans[0] == "{" else 4
            return Apply("transpose", base)
        return Power(base, self.arg())

    def atom(self) -> object:
        tok = self.next()
        if tok[0].isdigit():
            return Num(tok)
        if tok in ("+", "-", "/", ","):
            return Op(tok)
        if tok in ("*", "\\ast", "\\star", "\\circledast"):
            return Op("*")
        if tok in ("\\odot", "\\circ"):
            return Op("odot")
        if tok == "\\nabla":
            if self.peek() != "_":
                raise ClaimError("a gradient is written \\nabla_{X} y")
            self.next()
            return Nabla(self.arg())
        if tok == "=":
            raise ClaimError("the character '=' is not allowed in a LaTeX claim")
        if tok == "\\sum":
            return self.sum()
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
            if len(num) == 1 and isinstance(num[0], Differential) and den and isinstance(den[0], Differential):
                return Deriv([], _after_d(den))  # the operator d/dx: it applies to what follows
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
            if word in _NAMED:
                return Apply(_NAMED[word], self.operand())
            raise ClaimError(f"{tok}{{{word}}} is not supported in claims (only d, {', '.join(sorted(_NAMED))})")
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


def _bind(items: list[object]) -> list[object]:
    """Inline derivatives ``\\partial y / \\partial x``, then ``X * Y`` and ``X \\odot Y``
    (each binds its two neighbours, left to right), then sums (each takes what follows it,
    up to the next ``+`` or ``-``; inner sums first)."""
    return _sums(_convolutions(_inline_derivatives(items)))


def _inline_derivatives(items: list[object]) -> list[object]:
    out: list[object] = []
    k = 0
    while k < len(items):
        it = items[k]
        window = items[k : k + 5]
        if (
            isinstance(it, Differential)
            and not it.vec
            and len(window) == 5
            and isinstance(window[2], Op)
            and window[2].op == "/"  # type: ignore[attr-defined]
            and isinstance(window[3], Differential)
            and not isinstance(window[1], Op | Differential)
            and not isinstance(window[4], Op | Differential)
        ):
            out.append(Deriv([window[1]], [window[4]]))
            k += 5
            continue
        if isinstance(it, Nabla) and k + 1 < len(items) and not isinstance(items[k + 1], Op):
            out.append(Grad(items[k + 1], it.wrt))
            k += 2
            continue
        if isinstance(it, Deriv) and not it.num and k + 1 < len(items) and not isinstance(items[k + 1], Op):
            out.append(Deriv([items[k + 1]], it.den))  # \\frac{\\partial}{\\partial x} y
            k += 2
            continue
        out.append(it)
        k += 1
    return out


def _convolutions(items: list[object]) -> list[object]:
    out: list[object] = []
    k = 0
    while k < len(items):
        it = items[k]
        if isinstance(it, Op) and it.op in ("*", "odot"):
            if not out or isinstance(out[-1], Op) or k + 1 >= len(items) or isinstance(items[k + 1], Op):
                shown = "'*' (the seed's convolution)" if it.op == "*" else "\\odot (the entrywise product)"
                raise ClaimError(f"{shown} needs a matrix on each side")
            out[-1] = Conv(out[-1], items[k + 1], it.op)
            k += 2
            continue
        out.append(it)
        k += 1
    return out


def _sums(items: list[object]) -> list[object]:
    out = list(items)
    for k in range(len(out) - 1, -1, -1):
        it = out[k]
        if isinstance(it, Sum) and it.body is None:
            end = k + 1
            while end < len(out) and not (isinstance(out[end], Op) and out[end].op in ("+", "-")):  # type: ignore[attr-defined]
                end += 1
            if end == k + 1:
                raise ClaimError("a \\sum needs something to add up after its bounds")
            it.body = out[k + 1 : end]
            del out[k + 1 : end]
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
    #: the indices of the sums being read, and their current values
    loops: dict[str, int] = field(default_factory=dict)

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
            return _number(items[0].text)
        if len(items) == 1 and not isinstance(items[0], Op | Frac | Floor | MaxMin | Num):
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
            if it.kind == "odot":
                return fn.hadamard(self.item(it.left), self.item(it.right))
            return self.convolve(self.item(it.left), self.item(it.right))
        if isinstance(it, Sum):
            return self.sum(it)
        if isinstance(it, Grad):
            return self.ctx.calculus.grad(self.item(it.y), self.value(it.wrt), self.ctx.budget)
        if isinstance(it, Nabla):
            raise ClaimError("\\nabla_{X} needs the function after it: \\nabla_{X} y")
        if isinstance(it, Apply):
            x = self.item(it.item)
            if it.name in _APPLY:
                return _APPLY[it.name](x)
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

    def sum(self, it: Sum) -> Value:
        """``\\sum_{i=lo}^{hi} body``: the body read once for each ``i``, and added."""
        if it.var in self.loops:
            raise ClaimError(f"the sum index {it.var} is already the index of an outer sum")
        lo = to_int(self.value(it.lo), "the lower bound of \\sum")
        hi = to_int(self.value(it.hi), "the upper bound of \\sum")
        if hi - lo + 1 > MAX_LOOP:
            raise ClaimError(f"a \\sum from {lo} to {hi} has more than {MAX_LOOP} terms")
        assert it.body is not None
        total: Value = sp.S.Zero
        try:
            for i in range(lo, hi + 1):
                self.ctx.budget.spend(ENTRY_COST, "\\sum terms")
                self.loops[it.var] = i
                term = self.value(it.body)
                total = term if i == lo else add(total, term)
        finally:
            self.loops.pop(it.var, None)
        return total

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
        if isinstance(d, Windowed) and not isinstance(d, Selecting):  # a weighted sum: conv, average pooling
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
        if name.sub is None and name.layer is None and not name.bold and name.base in self.loops:
            return sp.Integer(self.loops[name.base])
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
        if tn is None and py == "delta" and py not in self.ctx.defines:
            return _kronecker(name.sub, self.loops)
        if tn is None:
            raise ns.unknown(py) if not ns.has(py) else ClaimError(f"{py} takes no subscript")
        return ns.tensor_value(tn, _indices(name.sub, tn, py, self.loops))

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
        if isinstance(it, Num):  # exact: the decimal as written, never a float
            return self.slot(_number(it.text))
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
        self.lark_chars += len(text)
        if len(text) > MAX_LARK_CHARS or self.lark_chars > MAX_LARK_TOTAL:
            raise ClaimError(
                "this LaTeX is too long for the LaTeX reader; split the claim or use the expression language"
            )
        self.ctx.budget.spend(len(text))
        try:
            expr = _parsed(text)
        except _UnreadableError as err:
            raise ClaimError(f"cannot read this LaTeX ({err.kind})") from None
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


def _number(text: str) -> sp.Rational:
    """A decimal as written, exactly (``0.1`` is 1/10; the tokenizer allows digits and one point)."""
    f = Fraction(text)
    return sp.Rational(f.numerator, f.denominator)


def _splits(digits: str, parts: int) -> list[tuple[int, ...]]:
    """Every way to cut ``digits`` into ``parts`` positive numbers (no leading zeros)."""
    if parts == 1:
        return [(int(digits),)] if digits and digits[0] != "0" else []
    out: list[tuple[int, ...]] = []
    for cut in range(1, len(digits) - parts + 2):
        head = digits[:cut]
        if head[0] == "0":
            continue
        out.extend((int(head), *rest) for rest in _splits(digits[cut:], parts - 1))
    return out


def _indices(sub: list[str], tn: TensorName, name: str, loops: dict[str, int]) -> tuple[int, ...]:
    """The 1-based indices a subscript names, read as the tensor's shape dictates.

    Commas separate indices; digits between commas are cut where the sizes allow only one
    reading: ``w_{31}`` on a 40x40 tensor is row 3, column 1 (31 is no entry), ``z_{121}``
    on two channels is channel 1, row 2, column 1, ``a_{1,32}`` is (1, 3, 2).  A subscript
    with two readings (``w_{311}``: (3, 11) or (31, 1)) is an error asking for commas.  The
    index of a ``\\sum`` stands for one index (``a_{i1}``, ``g_{j,pq}``)."""
    text = "".join(sub)
    groups: list[list[str]] = [[]]
    for tok in sub:
        if tok == ",":
            groups.append([])
        elif tok.isdigit() or tok in loops or tok in ("+", "-"):
            groups[-1].append(tok)
        else:
            raise _bad_subscript(text, name)
    if any(not g for g in groups) or len(text) > MAX_SUBSCRIPT_DIGITS + len(groups):
        raise _bad_subscript(text, name)
    shape = tn.tensor.shape
    rank = len(shape)
    wanted = [2, rank] if tn.collapse and rank > 2 else [rank]

    def fits(index: tuple[int, ...]) -> bool:
        dims = shape[-2:] if tn.collapse and rank > 2 and len(index) == 2 else shape[: len(index)]
        return len(index) <= rank and all(1 <= i <= n for i, n in zip(index, dims, strict=False))

    def readings(k: int, count: int) -> list[tuple[int, ...]]:
        """Ways to read groups[k:] as ``count`` indices."""
        if k == len(groups):
            return [()] if count == 0 else []
        group = groups[k]
        out: list[tuple[int, ...]] = []
        if "+" in group or "-" in group:  # arithmetic such as a_{i+r-1, j+s-1}: one index
            if count < 1:
                return []
            return [(_arithmetic(group, loops, name, text), *rest) for rest in readings(k + 1, count - 1)]
        if any(tok in loops for tok in group):  # an index of a sum is one index; digits one each
            fixed: list[int] = []
            for tok in group:
                fixed.extend([loops[tok]] if tok in loops else [int(d) for d in tok])
            if count < len(fixed):
                return []
            return [(*fixed, *rest) for rest in readings(k + 1, count - len(fixed))]
        digits = "".join(group)
        for n in range(1, min(len(digits), count) + 1):
            for head in _splits(digits, n):
                out.extend((*head, *rest) for rest in readings(k + 1, count - n))
        return out

    for count in [*wanted, *[c for c in range(rank, 0, -1) if c not in wanted]]:
        found = [r for r in readings(0, count) if fits(r)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            shown = " or ".join(f"{name}_{{{','.join(map(str, r))}}}" for r in found[:3])
            dims = "x".join(map(str, shape))
            raise ClaimError(f"{name}_{{{text}}} is ambiguous for a {dims} tensor: write {shown}")
    # nothing fits: read one digit per index (the seed's a_{32}) so the range error names the index
    parts = text.split(",")
    if rank == 1 or any(not p.isdigit() for p in parts):
        return tuple(int(p) if p.isdigit() else loops.get(p, 0) for p in parts)
    if len(parts[-1]) == 2:
        return (*(int(p) for p in parts[:-1]), int(parts[-1][0]), int(parts[-1][1]))
    return tuple(int(p) for p in parts)


def _kronecker(sub: list[str], loops: dict[str, int]) -> sp.Integer:
    """``\\delta_{ij}`` (when no symbol is named delta): 1 if the two indices are equal."""
    parts = [t for t in sub if t != ","]
    values = [loops[t] if t in loops else t for t in parts]
    if len(values) == 1 and isinstance(values[0], str) and len(values[0]) == 2:  # \\delta_{12}
        values = [int(values[0][0]), int(values[0][1])]
    if len(values) != 2 or not all(isinstance(v, int) or str(v).isdigit() for v in values):
        raise ClaimError("\\delta_{ij} (the Kronecker delta) takes two indices, e.g. \\delta_{i,j} or \\delta_{12}")
    return sp.Integer(1 if int(values[0]) == int(values[1]) else 0)


def _bad_subscript(text: str, name: str) -> ClaimError:
    return ClaimError(f"the subscript {{{text}}} of {name} must be numbers (1-based indices), e.g. {name}_{{32}}")


def _arithmetic(group: list[str], loops: dict[str, int], name: str, text: str) -> int:
    """``1+r`` or ``i+r-1`` in a subscript: numbers and sum indices added and subtracted."""
    total, sign, expect_term = 0, 1, True
    for tok in group:
        if tok in ("+", "-") and not expect_term:
            sign, expect_term = (1 if tok == "+" else -1), True
        elif expect_term and (tok.isdigit() or tok in loops):
            total += sign * (loops[tok] if tok in loops else int(tok))
            expect_term = False
        else:
            raise _bad_subscript(text, name)
    if expect_term:
        raise _bad_subscript(text, name)
    return total


_NAMED = {"vec": "vec", "rot180": "rot180", "rot": "rot180", "tr": "trace", "diag": "diag"}
_APPLY: dict[str, Callable[[Value], Value]] = {
    "vec": fn.vec,
    "transpose": fn.transpose,
    "rot180": fn.rot180,
    "trace": lambda x: to_matrix(x, "the argument of tr").trace(),
    "diag": lambda x: sp.ImmutableMatrix(sp.diag(*list(to_matrix(x, "the argument of diag")))),
}


def evaluate(text: object, ctx: Context) -> Value:
    """Read and evaluate one LaTeX side of a claim."""
    return Reader(ctx).read(text)


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
