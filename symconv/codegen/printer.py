"""Printing for generated NumPy code: SymPy expressions and literal data.

Expressions go through :class:`CodePrinter`, a subclass of SymPy's ``NumPyPrinter`` that
writes ``np.`` (the only import of a generated module) and prints a ``Piecewise`` as
nested ``np.where``.  Literal data (index tables, shapes) is laid out by
:func:`literal_lines`, already wrapped the way the templates place it, so templates only
copy text.  Names that reach code are checked ASCII identifiers (:func:`identifier`).
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Callable, Mapping, Sequence
from types import FunctionType
from typing import Any, NamedTuple

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: generated lines stay within ruff's line length (pyproject: 120)
WIDTH = 116


def identifier(name: str) -> str:
    """``name`` if it is a plain ASCII Python identifier (not a keyword), else ``ValueError``.

    Only names that symconv builds itself reach this; the check keeps it that way."""
    if not _IDENT.match(name) or keyword.iskeyword(name):
        raise ValueError(f"not a safe identifier for generated code: {name!r}")
    return name


class CodePrinter(NumPyPrinter):
    """SymPy expression -> NumPy source using the ``np`` alias.

    * ``numpy.f`` is printed ``np.f``;
    * ``Piecewise((e1, c1), (e2, c2), ..., (en, True))`` is printed as nested
      ``np.where(c1, e1, np.where(c2, e2, ... en))``, which keeps the operand's dtype
      (``np.select`` with a NaN default would not for integer branches);
    * rationals print as Python floats (``0.25``), so a float32 array times a
      coefficient stays float32.
    """

    def __init__(self) -> None:
        super().__init__({"fully_qualified_modules": True, "inline": True})

    def _module_format(self, fqn: str, register: bool = True) -> str:
        name = super()._module_format(fqn, register)
        if name.startswith("numpy."):
            return "np." + name[len("numpy.") :]
        return name

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:  # noqa: N802 - SymPy's dispatch name
        *branches, last = expr.args
        if last.cond is not sp.true:
            raise ValueError("a Piecewise needs a final (value, True) branch to be printed as np.where")
        out = self._print(last.expr)
        for value, cond in reversed(branches):
            out = f"np.where({self._print(cond)}, {self._print(value)}, {out})"
        return out

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:  # noqa: N802
        if expr.exp == -1:
            return f"1 / ({self._print(expr.base)})"
        return super()._print_Pow(expr, rational)

    def _print_Rational(self, expr: sp.Rational) -> str:  # noqa: N802
        return repr(float(expr))

    def _print_Half(self, expr: sp.Rational) -> str:  # noqa: N802
        return "0.5"


def code(expr: sp.Expr, names: dict[sp.Symbol, str] | None = None) -> str:
    """NumPy source for ``expr``; ``names`` renames symbols to identifiers of the generated code."""
    if names:
        expr = expr.xreplace({s: sp.Symbol(identifier(n), real=True) for s, n in names.items()})
    return layout(CodePrinter().doprint(expr))


#: ``a ** b`` with simple operands (names, attribute chains, numbers, unary minus) is
#: written ``a**b`` by ruff format; other operators get one space on each side
_SIMPLE = r"-?(?:[A-Za-z_][\w.]*|\d+(?:\.\d+)?)"
_HUG = re.compile(rf"(?<![\w.)\]])({_SIMPLE}) \*\* ({_SIMPLE})(?![\w.(\[])")


def layout(source: str) -> str:
    """An expression's source re-laid out as ``ruff format`` writes it: ``ast.unparse``
    (spaces around operators, minimal parentheses), then simple powers hugged."""
    return _HUG.sub(r"\1**\2", ast.unparse(ast.parse(source, mode="eval")))


def literal_lines(values: Sequence[object], indent: int = 4, width: int = WIDTH) -> list[str]:
    """A flat tuple of numbers (or of small tuples) as source lines, each at most ``width``
    characters after ``indent`` spaces, every item followed by a comma."""
    items = [_item(v) for v in values]
    lines: list[str] = []
    current = ""
    for item in items:
        piece = item + ","
        if current and len(current) + 1 + len(piece) + indent > width:
            lines.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    if current:
        lines.append(current)
    return lines


def _item(value: object) -> str:
    if isinstance(value, tuple):
        inner = ", ".join(_item(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"only numbers and tuples of numbers are laid out as literals, got {value!r}")
    return repr(value)


def tuple_text(values: Sequence[int]) -> str:
    """``(1, 2)`` / ``(1,)`` for a short tuple of ints, as Python writes it."""
    return _item(tuple(int(v) for v in values))


def pyliteral(value: object, prefix: str = "", indent: int = 0, suffix: str = "") -> list[str]:
    """``prefix + value + suffix`` as source lines laid out the way ``ruff format`` lays out a
    literal: on one line when it fits in the line length, else one item per line with a
    trailing comma, recursively.  Values are dicts with string keys, lists, tuples, strings,
    numbers, booleans and ``None``."""
    pad = " " * indent
    flat = pad + prefix + _flat(value) + suffix
    if len(flat) <= 120 or not isinstance(value, (dict, list, tuple)) or not value:
        return [flat]
    opening, closing = {dict: ("{", "}"), list: ("[", "]"), tuple: ("(", ")")}[type(value)]
    lines = [pad + prefix + opening]
    if isinstance(value, dict):
        for k, v in value.items():
            lines += pyliteral(v, _flat(k) + ": ", indent + 4, ",")
    else:
        for v in value:
            lines += pyliteral(v, "", indent + 4, ",")
    lines.append(pad + closing + suffix)
    return lines


def _flat(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flat(k)}: {_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(_flat(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    raise TypeError(f"cannot write {type(value).__name__} as a literal")


def kernel_function(fn: Callable[..., Any]) -> str:
    """The name of a kernel module's function (a pass a plan chose), as a template writes it: a
    top-level function of ``symconv/layers/**/*_kernel.py``, which the module holds a copy of
    (:mod:`symconv.codegen.embed`)."""
    if not isinstance(fn, FunctionType) or not fn.__module__.endswith("_kernel") or fn.__qualname__ != fn.__name__:
        raise TypeError(f"only a kernel module's top-level functions are written by name, got {fn!r}")
    return identifier(fn.__name__)


def name_tuple(names: Sequence[str]) -> str:
    """``(a, b)`` / ``(a,)``: a tuple of names (checked identifiers) as Python writes it."""
    inner = ", ".join(identifier(n) for n in names)
    return f"({inner},)" if len(names) == 1 else f"({inner})"


def call_lines(prefix: str, fn: str, args: Sequence[tuple[str, str]], width: int = 120) -> list[str]:
    """``prefix + fn(name=value, ...)`` as ``ruff format`` lays out a call: on one line when it
    fits, else the arguments on one indented line, else one per line with a trailing comma.
    The values are source text."""
    body = ", ".join(f"{k}={v}" for k, v in args)
    if len(prefix) + len(fn) + len(body) + 2 <= width:
        return [f"{prefix}{fn}({body})"]
    if len(body) + 4 <= width:
        return [f"{prefix}{fn}(", f"    {body}", ")"]
    return [f"{prefix}{fn}(", *(f"    {k}={v}," for k, v in args), ")"]


def record_lines(prefix: str, record: NamedTuple, text: Mapping[str, str] | None = None) -> list[str]:
    """A kernel module's plan record (``Frame(size=(28, 28), ...)``) as source lines: each field as the
    source ``text`` gives it (the name of a constant written before it, say), else as a literal."""
    given = text or {}
    args = [(k, given[k] if k in given else _flat(v)) for k, v in record._asdict().items()]
    return call_lines(prefix, type(record).__name__, args)
