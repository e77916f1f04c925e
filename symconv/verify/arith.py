r"""A fast reader for the arithmetic that :class:`~symconv.verify.latex.Reader` hands to
SymPy's lark LaTeX parser, which gives the same SymPy expression without the Earley parse.

After the reader has evaluated every name, derivative, matrix and number of a LaTeX side,
what is left is a text made by us, never by the user, over a small alphabet:
placeholders ``Q_{ab}`` (a matrix as ``\begin{bmatrix}Q_{ab}\end{bmatrix}``), ``+``, ``-``,
``\cdot``, ``/``, parentheses, ``\frac{x}{y}``, ``\lfloor x \rfloor``, ``\lceil x \rceil``
and ``\max(x, y, ...)``, ``\min(...)``.  SymPy reads it with an Earley parser
(``parse_latex(..., backend="lark")``), which takes 0.05-0.3 s a text; this module reads the
same texts by recursive descent in well under a millisecond.

It follows lark's grammar (``sympy/parsing/latex/lark/grammar/latex.lark``) for these
forms, and builds the result with the same SymPy calls as its transformer
(``TransformToSymPyExpr``): ``Add``/``MatAdd``, ``Mul``/``MatMul``, ``-x`` or
``MatMul(-1, x)``, ``Mul(n, Pow(d, -1))`` for ``/`` and ``\frac``, ``floor``, ``ceiling``,
``Max``, ``Min``, ``Matrix``.  It accepts only texts in which every operand is followed by an
operator, a closing delimiter or the end (so lark's ambiguous juxtapositions never arise),
and returns ``None`` for anything else -- a text it does not know, or one on which a SymPy
call raises -- so that the caller asks lark, and gets lark's answer or lark's error.
``tests/test_verify_arith.py`` checks that both readers give the same expression
(``srepr``) on every text the seed audit and the LaTeX tests produce, and on random ones.
"""

from __future__ import annotations

import re

import sympy as sp

#: one token; whitespace is dropped, as lark ignores it
_TOKEN = re.compile(
    r"\s+"
    r"|(?P<sym>Q_\{[a-z]+\})"
    r"|\\begin\{bmatrix\}(?P<mat>Q_\{[a-z]+\})\\end\{bmatrix\}"
    r"|(?P<cmd>\\(?:cdot|frac|lfloor|rfloor|lceil|rceil|max|min))(?![A-Za-z])"
    r"|(?P<op>[-+/(){},])"
)

_CLOSE = {"\\lfloor": "\\rfloor", "\\lceil": "\\rceil"}


class _UnreadError(Exception):
    """The text is outside the forms read here: the caller asks lark."""


def _tokens(text: str) -> list[tuple[str, str]] | None:
    """``(kind, text)`` pairs (kind ``sym``, ``mat`` or the token itself), or None when some
    character is not covered."""
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            return None
        pos = m.end()
        if m.group("sym"):
            out.append(("sym", m.group("sym")))
        elif m.group("mat"):
            out.append(("mat", m.group("mat")))
        elif m.group("cmd") or m.group("op"):
            tok = m.group("cmd") or m.group("op")
            out.append((tok, tok))
    return out


def _is_matrix(x: object) -> bool:
    """The transformer's ``_obj_is_sympy_Matrix``."""
    if hasattr(x, "is_Matrix"):
        return bool(x.is_Matrix)
    return isinstance(x, sp.Matrix)


def _divide(num: sp.Basic, den: sp.Basic) -> sp.Basic:
    """The transformer's ``_handle_division`` (lark refuses a matrix denominator: so do we,
    by handing the text to lark)."""
    if _is_matrix(den):
        raise _UnreadError
    if _is_matrix(num):
        return sp.MatMul(num, sp.Pow(den, -1))
    return sp.Mul(num, sp.Pow(den, -1))


class _Arith:
    """Recursive descent over lark's ``_expression``, ``_expression_mul`` and
    ``_expression_func`` for the forms above."""

    def __init__(self, toks: list[tuple[str, str]]) -> None:
        self.toks = toks
        self.pos = 0

    def peek(self) -> str | None:
        return self.toks[self.pos][0] if self.pos < len(self.toks) else None

    def take(self, kind: str) -> str:
        if self.peek() != kind:
            raise _UnreadError
        self.pos += 1
        return self.toks[self.pos - 1][1]

    def expression(self) -> sp.Basic:
        """``add: _expression ADD _expression_mul | ADD _expression_mul`` and ``sub`` alike."""
        if self.peek() in ("+", "-"):
            sign = self.take(str(self.peek()))
            x = self.product()
            if sign == "-":
                x = sp.MatMul(-1, x) if _is_matrix(x) else -x
        else:
            x = self.product()
        while self.peek() in ("+", "-"):
            sign = self.take(str(self.peek()))
            y = self.product()
            if _is_matrix(x) or _is_matrix(y):
                x = sp.MatAdd(x, y) if sign == "+" else sp.MatAdd(x, sp.MatMul(-1, y))
            else:
                x = sp.Add(x, y) if sign == "+" else sp.Add(x, -y)
        return x

    def product(self) -> sp.Basic:
        """``mul: _expression_mul MUL_SYMBOL _expression_power`` and ``div`` (left to right)."""
        x = self.operand()
        while self.peek() in ("\\cdot", "/"):
            op = self.take(str(self.peek()))
            y = self.operand()
            if op == "/":
                x = _divide(x, y)
            elif _is_matrix(x) or _is_matrix(y):
                x = sp.MatMul(x, y)
            else:
                x = sp.Mul(x, y)
        return x

    def operand(self) -> sp.Basic:
        kind = self.peek()
        if kind == "sym":
            return sp.Symbol(self.take("sym"))
        if kind == "mat":
            return sp.Matrix([[sp.Symbol(self.take("mat"))]])
        if kind == "(":
            self.take("(")
            x = self.expression()
            self.take(")")
            return x
        if kind == "\\frac":
            self.take("\\frac")
            num = self.braced()
            return _divide(num, self.braced())
        if kind in _CLOSE:
            self.take(kind)
            x = self.expression()
            self.take(_CLOSE[kind])
            return sp.floor(x) if kind == "\\lfloor" else sp.ceiling(x)
        if kind in ("\\max", "\\min"):
            self.take(kind)
            self.take("(")
            args = [self.expression()]
            while self.peek() == ",":
                self.take(",")
                args.append(self.expression())
            self.take(")")
            return sp.Max(*args) if kind == "\\max" else sp.Min(*args)
        raise _UnreadError

    def braced(self) -> sp.Basic:
        self.take("{")
        x = self.expression()
        self.take("}")
        return x


def parse(text: str) -> sp.Basic | None:
    """The SymPy expression ``parse_latex(text, backend="lark")`` gives, or None when
    ``text`` is outside the forms read here (or a SymPy call on it raises)."""
    toks = _tokens(text)
    if not toks:
        return None
    reader = _Arith(toks)
    try:
        expr = reader.expression()
    except Exception:  # outside the forms read here, or SymPy refused: lark decides
        return None
    if reader.pos != len(toks):
        return None
    return expr
