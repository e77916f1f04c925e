r"""Reading LaTeX claims into a small structure (nothing is evaluated here).

The text is first checked against a whitelist (characters and commands; ``\input``,
``\def``, ``\catcode`` and friends are refused before anything else happens), then read
by recursive descent into the dataclasses below, which :mod:`symconv.verify.latex`
evaluates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .indices import Subscript, parse_subscript
from .values import ClaimError

MAX_TOKENS = 3_000
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

_SPACING = frozenset(
    {
        "\\,",
        "\\;",
        "\\:",
        "\\!",
        "\\ ",
        "\\quad",
        "\\qquad",
        "\\left",
        "\\right",
        "\\big",
        "\\Big",
        "\\bigg",
        "\\Bigg",
        "\\displaystyle",
        "\\limits",
    }
)
_COMMANDS = frozenset(
    """frac dfrac tfrac partial begin end mathbf boldsymbol mathrm text textrm mathit operatorname lfloor rfloor
    lceil rceil max min cdot times top intercal exp log ln ast star circledast odot circ otimes sum nabla mathsf
    mathbb mathds forall le leq ge geq lt gt ne neq land wedge lor vee arg in""".split()
)
#: Greek letters read as names: the seed's beta and Omega, and letters people give to
#: upstream gradients and other declared symbols (``[symbols] delta = [3, 3]``)
GREEK = {
    f"\\{g}": g
    for g in "beta Omega alpha gamma delta Delta epsilon theta mu nu xi rho tau phi psi omega Gamma Theta Phi".split()
}
_COMMANDS = _COMMANDS | {g[1:] for g in GREEK}
#: what to write instead of a command that is not read
_INSTEAD = {
    "sigma": "write the sigmoid as \\operatorname{sigmoid}(x) (sigmoid(x) in the expression language)",
    "prod": "write the product out, or use the expression language",
    "sqrt": "exponents are integers in claims: write the claim squared instead",
    "mathcal": "write a plain or bold letter (\\mathbf{X}) for a name",
    "dots": "write ranges as \\sum_{i=1}^{n} or for = {i = [1, n]}",
    "ldots": "write ranges as \\sum_{i=1}^{n} or for = {i = [1, n]}",
    "cdots": "write ranges as \\sum_{i=1}^{n} or for = {i = [1, n]}",
    "vec": "write a bold name, \\mathbf{x}",
    "hat": "write a plain name; derivatives are \\frac{\\partial y}{\\partial x}",
    "tilde": "write a plain name",
    "bar": "write a plain name",
    "prime": "write the derivative as \\frac{\\partial y}{\\partial x}",
}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\[^A-Za-z]|\d+(?:\.\d+)?|[A-Za-z]|\s+|.", re.S)
_ALLOWED_CHARS = set("{}()[]+-*/,&_^.=<>") | {"\\"}

#: comparison tokens and their operators
COMPARE = {
    "<": "<",
    "\\lt": "<",
    ">": ">",
    "\\gt": ">",
    "\\le": "<=",
    "\\leq": "<=",
    "\\ge": ">=",
    "\\geq": ">=",
    "=": "==",
    "\\ne": "!=",
    "\\neq": "!=",
}
LOGIC = {"\\land": "and", "\\wedge": "and", "\\lor": "or", "\\vee": "or"}
#: words of conditions in cases environments (\text{if}, \text{otherwise})
CONDITION_WORDS = frozenset({"if", "for", "when", "otherwise", "else", "elsewhere", "and", "or", "where"})


# -- structure ---------------------------------------------------------------------------
@dataclass
class Op:
    #: + - / , \cdot * odot kron, a comparison (< <= > >= == !=) or and / or
    op: str
    #: the padding of a '*' written as a subscript: \ast_{\text{full}}
    mode: str = ""


@dataclass
class Num:
    text: str


@dataclass
class Group:
    items: list[object]
    #: "(", "[" or "{"
    bracket: str = "("


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
class Cases:
    """``\\begin{cases} value & condition \\\\ ... \\end{cases}``."""

    rows: list[tuple[list[object], list[object]]]


@dataclass
class Name:
    base: str
    bold: bool = False
    lpre: bool = False
    sub: Subscript | None = None
    layer: int | None = None


@dataclass
class Ones:
    args: list[list[object]]


@dataclass
class Apply:
    """``transpose``, ``exp``, ``log``, ``vec`` of one item."""

    name: str
    item: object


@dataclass
class Call:
    """``\\operatorname{name}_{sub}(arg, arg, ...)``: a function of the claims language."""

    name: str
    args: list[list[object]]
    sub: list[object] | None = None


@dataclass
class Indicator:
    """``\\mathbb{1}[condition]``, ``\\mathbb{1}\\{condition\\}``, ``\\mathbb{1}_{condition}``."""

    items: list[object]


@dataclass
class Word:
    """A word of a condition: if, otherwise, and, ..."""

    text: str


@dataclass
class Indexed:
    """``(X)_{ij}`` or ``[X]_{ij}``: an entry of what the group evaluates to."""

    item: object
    sub: Subscript


@dataclass
class Power:
    base: object
    exp: list[object]


@dataclass
class Conv:
    left: object
    right: object
    #: ``*`` (the seed's convolution), ``odot`` (entrywise) or ``kron`` (Kronecker)
    kind: str = "*"
    mode: str = ""


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
    """``\\sum_{i=lo}^{hi} body``, ``\\sum_{i} body`` or ``\\sum_{i,j} body``: ``body`` is
    what follows, up to the next ``+`` or ``-``; ``lo``/``hi`` are None when the range is
    to be inferred from the tensors the index reads."""

    var: str
    lo: list[object] | None
    hi: list[object] | None
    body: list[object] | None = None
    #: the indices of \\sum_{i,j}: one sum per index, nested
    more: list[str] = field(default_factory=list)


@dataclass
class Differential:
    """``\\partial`` or ``d`` at the start of a ``\\frac``'s numerator or denominator;
    ``d_v`` (the seed's ``d{}_v``) differentiates a vec."""

    vec: bool = False


@dataclass
class Forall:
    """``\\forall m, n`` or ``\\forall 1 \\le m \\le 3``: free indices, ranges optional."""

    names: list[tuple[str, list[object] | None, list[object] | None]]


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
        if after_delimiter_command and tok in (".", "|"):  # \right. (an invisible delimiter)
            after_delimiter_command = False
            continue
        after_delimiter_command = tok in ("\\left", "\\right")
        if tok.startswith("\\"):
            if tok in _SPACING:
                continue
            if len(tok) > 2 or tok[1].isalpha():
                if tok[1:] not in _COMMANDS:
                    instead = _INSTEAD.get(tok[1:], "write it with the commands docs/verify.md lists")
                    raise ClaimError(f"the LaTeX command {tok} is not supported in claims; {instead}")
            elif tok not in ("\\\\", "\\{", "\\}"):
                raise ClaimError(f"the LaTeX command {tok} is not supported in claims; write the claim without it")
        elif not (tok[0].isalnum() and tok.isascii()) and tok not in _ALLOWED_CHARS:
            raise ClaimError(f"the character {tok!r} is not allowed in a LaTeX claim; write the claim without it")
        out.append(tok)
    if len(out) > MAX_TOKENS:
        raise ClaimError(f"has {len(out)} LaTeX tokens; the limit is {MAX_TOKENS}")
    return out


_STAR = ("*", "\\ast", "\\star", "\\circledast")


class Parser:
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
            raise ClaimError("the LaTeX ends too early: close every { ( [ that is opened")
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

    def document(self) -> tuple[list[object], Forall | None]:
        """The side, and its ``\\forall`` clause (at the top level, at the start or the end)."""
        cut = _top_level(self.toks, "\\forall")
        forall = None
        if cut is not None:
            head, tail = self.toks[:cut], self.toks[cut + 1 :]
            while head and head[-1] in (",", ";", "."):
                head = head[:-1]
            forall = _forall(tail)
            if not head:  # \forall m, n: <side> is not read; the quantifier goes after the side
                raise ClaimError("write \\forall after the side, e.g. ... g_{ij}, \\quad \\forall m, n")
            self.toks = head
        items = self.seq(frozenset())
        if self.peek() is not None:
            raise ClaimError(
                f"unexpected {self.peek()!r} in the LaTeX; check that the groups are closed where they open"
            )
        return items, forall

    def seq(self, stops: frozenset[str]) -> list[object]:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ClaimError(f"the LaTeX is nested more than {MAX_NESTING} levels deep")
        items: list[object] = []
        while self.peek() is not None and self.peek() not in stops:
            item = self.atom()
            while self.peek() == "^" and not isinstance(item, Op):
                item = self.superscript(item)
            if isinstance(item, Group) and self.peek() == "_":
                self.next()
                item = Indexed(item, parse_subscript(self.raw()))
            items.append(item)
        self.depth -= 1
        return bind(items)

    def arg(self) -> list[object]:
        """A ``{...}`` group or a single token."""
        if self.peek() == "{":
            self.next()
            items = self.seq(frozenset({"}"}))
            self.expect("}")
            return items
        return [self.atom()]

    def raw(self) -> list[str]:
        """The tokens of a subscript: ``{...}`` (braces inside kept) or one token."""
        if self.peek() != "{":
            return [self.next()]
        self.next()
        out: list[str] = []
        depth = 0
        while True:
            tok = self.next()
            if tok == "}" and depth == 0:
                return out
            depth += {"{": 1, "}": -1}.get(tok, 0)
            out.append(tok)

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
        r"""``\sum_{i=1}^{n}``, ``\sum_{i}``, ``\sum_{i,j}`` (bounds inferred when left out);
        the body is bound in :func:`bind`."""
        usage = "a sum is written \\sum_{i=1}^{n}, \\sum_{i} or \\sum_{i,j} with one-letter indices"
        if self.peek() != "_":
            raise ClaimError(usage)
        self.next()
        sub = self.raw()
        if "=" in sub:
            cut = sub.index("=")
            var = sub[:cut]
            if len(var) != 1 or not (var[0].isalpha() and len(var[0]) == 1):
                raise ClaimError(usage)
            lo = Parser(sub[cut + 1 :]).seq(frozenset())
            if self.peek() != "^":
                raise ClaimError(f"{usage}; a sum that starts at {''.join(sub[cut + 1 :])} needs its end: ^{{n}}")
            self.next()
            return Sum(var[0], lo, self.arg())
        names = [t for t in sub if t != ","]
        if not names or any(not (t.isalpha() and len(t) == 1) for t in names) or sub[1::2] != [","] * (len(sub) // 2):
            raise ClaimError(usage)
        if self.peek() == "^":
            raise ClaimError(f"{usage}; with an end ^{{n}}, give the start as well: \\sum_{{i=1}}^{{n}}")
        return Sum(names[0], None, None, more=names[1:])

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
        if tok in COMPARE:
            return Op(COMPARE[tok])
        if tok in LOGIC:
            return Op(LOGIC[tok])
        if tok in _STAR:
            return Op("*", self.mode())
        if tok in ("\\odot", "\\circ"):
            return Op("odot")
        if tok == "\\otimes":
            return Op("kron")
        if tok == "\\nabla":
            if self.peek() != "_":
                raise ClaimError("a gradient is written \\nabla_{X} y")
            self.next()
            return Nabla(self.arg())
        if tok == "\\sum":
            return self.sum()
        if tok in ("\\cdot", "\\times"):
            return Op("\\cdot")
        if tok in ("(", "["):
            close = ")" if tok == "(" else "]"
            items = self.seq(frozenset({close}))
            self.expect(close)
            return Group(items, tok)
        if tok == "{":
            if self.peek() == "}":  # {}_v X or {}^l h_p
                self.next()
                return self.prefixed()
            items = self.seq(frozenset({"}"}))
            self.expect("}")
            return Group(items, "{")
        if tok in ("\\lfloor", "\\lceil"):
            close = "\\rfloor" if tok == "\\lfloor" else "\\rceil"
            items = self.seq(frozenset({close}))
            self.expect(close)
            return Floor("floor" if tok == "\\lfloor" else "ceil", items)
        if tok in ("\\max", "\\min"):
            return self.maxmin(tok == "\\min")
        if tok == "\\arg":
            if self.peek() != "\\max":
                raise ClaimError("\\arg is read only as \\arg\\max (argmax); write \\operatorname{argmax}(M)")
            self.next()
            return self.call("argmax")
        if tok in ("\\frac", "\\dfrac", "\\tfrac"):
            return self.frac()
        if tok == "\\begin":
            return self.environment()
        if tok in ("\\mathbf", "\\boldsymbol"):
            return self.bold()
        if tok in ("\\mathbb", "\\mathds"):
            letter = self.word()
            if letter not in ("1", "I"):
                raise ClaimError(f"\\mathbb{{{letter}}} is not read; the indicator is \\mathbb{{1}}[z > 0]")
            return self.indicator()
        if tok in ("\\mathrm", "\\text", "\\textrm", "\\operatorname", "\\mathit"):
            word = self.word()
            if word == "d":
                return Differential()
            if word in CONDITION_WORDS:
                return Word(word)
            return self.call(word)
        if tok == "\\partial":
            return Differential()
        if tok in GREEK:
            return self.name(Name(GREEK[tok]))
        if tok in ("\\exp", "\\log", "\\ln"):
            return Apply("exp" if tok == "\\exp" else "log", self.operand())
        if tok == "\\forall":
            raise ClaimError("\\forall is read once, at the end of a side: ..., \\forall m, n")
        if tok == "\\in":
            raise ClaimError("\\in is read only in \\forall m \\in [1, 3]")
        if tok.isalpha() and len(tok) == 1:
            if tok == "d" and self.peek() == "_" and self.peek(1) == "v":
                self.pos += 2
                return Differential(vec=True)
            after = self.peek() or ""
            if tok == "H" and after == "(":  # the step H(z); a name H times (...) is written H \cdot (...)
                return self.call("H")
            if tok == "d" and (after.isalpha() or after in ("\\beta", "\\Omega", "\\mathbf", "\\boldsymbol", "{")):
                return Differential()
            return self.name(Name(tok))
        if tok in ("&", "\\\\"):
            raise ClaimError(f"{tok!r} belongs inside a \\begin{{bmatrix}} ... \\end{{bmatrix}} or cases")
        if tok in ("\\{", "\\}"):
            raise ClaimError("\\{ ... \\} is read only after \\max, \\min or \\mathbb{1}")
        raise ClaimError(f"unexpected {tok!r} in the LaTeX; check that the groups are closed where they open")

    def mode(self) -> str:
        r"""The padding written under a ``*``: ``\ast_{\text{full}}``, ``\ast_{valid}``."""
        if self.peek() != "_":
            return ""
        self.next()
        toks = self.raw()
        word = "".join(t for t in toks if (t.isalpha() and len(t) == 1) or (t.isalpha() and not t.startswith("\\")))
        if word not in ("full", "valid", "same"):
            raise ClaimError(
                "a '*' takes its padding as \\ast_{\\text{full}}, \\ast_{\\text{valid}} or \\ast_{\\text{same}}"
            )
        return word

    def frac(self) -> object:
        num, den = self.arg(), self.arg()
        if len(num) == 1 and isinstance(num[0], Differential) and den and isinstance(den[0], Differential):
            return Deriv([], _after_d(den))  # the operator d/dx: it applies to what follows
        if num and den and isinstance(num[0], Differential) and isinstance(den[0], Differential):
            return Deriv(_after_d(num), _after_d(den))
        if any(isinstance(x, Differential) for x in (*num, *den)):
            raise ClaimError("a derivative is written \\frac{\\partial y}{\\partial x} (or with d on both lines)")
        return Frac(num, den)

    def call(self, word: str) -> object:
        """``\\operatorname{word}_{sub}(args)``: arguments in parentheses (split at commas),
        in braces, or the one operand that follows."""
        sub = None
        if self.peek() == "_":
            self.next()
            sub = self.arg()
        if self.peek() == "(":
            self.next()
            items = self.seq(frozenset({")"}))
            self.expect(")")
            args = split(items)
        elif self.peek() == "{":
            args = [self.arg()]
        elif self.peek() is None:
            raise ClaimError(f"{word} needs an argument, e.g. \\operatorname{{{word}}}(\\mathbf{{X}})")
        else:
            args = [[self.operand()]]
        return Call(word, args, sub)

    def indicator(self) -> Indicator:
        r"""After ``\mathbb{1}``: ``[c]``, ``\{c\}``, ``(c)`` or ``_{c}``."""
        tok = self.peek()
        close = {"[": "]", "\\{": "\\}", "(": ")"}.get(tok or "")
        if close is not None:
            self.next()
            items = self.seq(frozenset({close}))
            self.expect(close)
            return Indicator(items)
        if tok == "_":
            self.next()
            return Indicator(self.arg())
        raise ClaimError("the indicator is written \\mathbb{1}[z > 0], \\mathbb{1}\\{z > 0\\} or \\mathbb{1}_{z > 0}")

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
                name.sub = parse_subscript(self.raw())
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
        first = self.peek(1) or ""
        if self.peek(2) != "}" and first.isascii() and first.isalpha() and len(first) == 1:
            return self.name(Name(self.word(), bold=True))  # \mathbf{dY}: a name of the file's own
        self.expect("{")
        tok = self.next()
        self.expect("}")
        if tok == "1":
            if self.peek() in ("[", "\\{"):
                return self.indicator()
            if self.peek() != "_":
                raise ClaimError(
                    "\\mathbf{1} needs its size: \\mathbf{1}_{(m, n)} (the indicator is \\mathbb{1}[z > 0])"
                )
            self.next()
            sub = self.arg()
            if len(sub) != 1 or not isinstance(sub[0], Group):
                raise ClaimError("\\mathbf{1} needs its size: \\mathbf{1}_{(m, n)}")
            return Ones(split(sub[0].items))
        if tok in GREEK:
            return self.name(Name(GREEK[tok], bold=True))
        if tok.isalpha() and len(tok) == 1:
            return self.name(Name(tok, bold=True))
        raise ClaimError(f"\\mathbf{{{tok}}} is not a name; write \\mathbf{{X}} with a letter")

    def maxmin(self, smallest: bool) -> MaxMin:
        tok = self.peek()
        if tok in ("(", "\\{"):
            self.next()
            close = ")" if tok == "(" else "\\}"
            items = self.seq(frozenset({close}))
            self.expect(close)
            return MaxMin(smallest, split(items))
        return MaxMin(smallest, [[self.operand()]])

    def environment(self) -> object:
        env = self.word()
        if env == "cases":
            return self.cases()
        if env not in ("bmatrix", "pmatrix", "matrix", "array"):
            raise ClaimError(f"the environment {env!r} is not supported (use bmatrix, or cases for a piecewise value)")
        if env == "array":  # \begin{array}{ccc}: the column alignments
            spec = self.word()
            if not spec or set(spec) - set("lcr"):
                raise ClaimError("\\begin{array} needs its column alignments, e.g. {ccc}")
        rows = self.rows(env)
        return Mat(rows)

    def rows(self, env: str) -> list[list[list[object]]]:
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
        return rows

    def cases(self) -> Cases:
        out = []
        for row in self.rows("cases"):
            if len(row) != 2:
                raise ClaimError("each line of a cases environment is 'value & condition'")
            out.append((row[0], row[1]))
        if not out:
            raise ClaimError("a cases environment needs at least one line")
        return Cases(out)


def _top_level(toks: list[str], wanted: str) -> int | None:
    depth = 0
    for k, tok in enumerate(toks):
        if tok in ("{", "(", "["):
            depth += 1
        elif tok in ("}", ")", "]"):
            depth -= 1
        elif tok == wanted and depth == 0:
            return k
    return None


def _forall(toks: list[str]) -> Forall:
    r"""``m, n``; ``1 \le m \le 3``; ``m \in [1, 3]``; several, separated by commas."""
    usage = "write \\forall m, n (ranges inferred), \\forall 1 \\le m \\le 3 or \\forall m \\in [1, 3]"
    parts: list[list[str]] = [[]]
    depth = 0
    for tok in toks:
        depth += {"[": 1, "(": 1, "{": 1, "]": -1, ")": -1, "}": -1}.get(tok, 0)
        if tok == "," and depth == 0:
            parts.append([])
        else:
            parts[-1].append(tok)
    names: list[tuple[str, list[object] | None, list[object] | None]] = []
    for part in parts:
        if len(part) == 1 and part[0].isalpha() and len(part[0]) == 1:
            names.append((part[0], None, None))
            continue
        if len(part) >= 3 and part[1] == "\\in" and part[2] == "[" and part[-1] == "]":
            inside = split(Parser(part[3:-1]).seq(frozenset()))
            if len(inside) != 2 or not (part[0].isalpha() and len(part[0]) == 1):
                raise ClaimError(usage)
            names.append((part[0], inside[0], inside[1]))
            continue
        ops = [k for k, t in enumerate(part) if t in ("\\le", "\\leq")]
        if len(ops) == 2 and ops[1] == ops[0] + 2 and part[ops[0] + 1].isalpha() and len(part[ops[0] + 1]) == 1:
            lo = Parser(part[: ops[0]]).seq(frozenset())
            hi = Parser(part[ops[1] + 1 :]).seq(frozenset())
            names.append((part[ops[0] + 1], lo, hi))
            continue
        raise ClaimError(usage)
    return Forall(names)


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


def split(items: list[object], at: str = ",") -> list[list[object]]:
    """Split at top-level commas (or another operator)."""
    parts: list[list[object]] = [[]]
    for it in items:
        if isinstance(it, Op) and it.op == at:
            parts.append([])
        else:
            parts[-1].append(it)
    return parts


def bind(items: list[object]) -> list[object]:
    """Inline derivatives ``\\partial y / \\partial x``, then ``X * Y``, ``X \\odot Y`` and
    ``X \\otimes Y`` (each binds its two neighbours, left to right), then sums (each takes
    what follows it, up to the next ``+`` or ``-``; inner sums first)."""
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


_BINARY = {"*": "'*' (the seed's convolution)", "odot": "\\odot (the entrywise product)", "kron": "\\otimes"}


def _convolutions(items: list[object]) -> list[object]:
    out: list[object] = []
    k = 0
    while k < len(items):
        it = items[k]
        if isinstance(it, Op) and it.op in _BINARY:
            if not out or isinstance(out[-1], Op) or k + 1 >= len(items) or isinstance(items[k + 1], Op):
                raise ClaimError(f"{_BINARY[it.op]} needs a matrix on each side")
            out[-1] = Conv(out[-1], items[k + 1], it.op, it.mode)
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
            while end < len(out) and not (
                isinstance(out[end], Op) and out[end].op in ("+", "-", *COMPARE.values(), "and", "or", ",")  # type: ignore[attr-defined]
            ):
                end += 1
            if end == k + 1:
                raise ClaimError("a \\sum needs something to add up after its bounds")
            it.body = out[k + 1 : end]
            del out[k + 1 : end]
    return out
