"""Formatting SymPy objects and numbers as LaTeX: one printer, used by every builder.

The symbols symconv makes already carry LaTeX names (``a_{1,32}^{[2]}``, built in
:mod:`symconv.symbols` from integers only), so the printer writes them verbatim.  Sums
that the seed writes in a particular order (rep.2 of Appendix A) are not printed as
SymPy ``Add`` objects, whose terms SymPy sorts, but joined here from the ordered terms
the core gives (:meth:`ConvDerivation.terms`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter


class SeedLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the seed's conventions.

    * a symbol prints as its name, which is LaTeX already (``a_{11}``, ``k_{1,2,11}^{[1]}``);
    * products are juxtaposed (``a_{22} k_{11}``), as the seed writes them;
    * only macros MathJax knows are produced, so fragments render in notebooks.
    """

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__({"mul_symbol": None, "fold_short_frac": False, **(settings or {})})

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:  # noqa: N802 - SymPy's hook name
        return expr.name


_PRINTER = SeedLatexPrinter()


def tex(expr: object) -> str:
    """``expr`` (a SymPy object or a Python number) as LaTeX."""
    if isinstance(expr, (int, float)) and not isinstance(expr, bool):
        return number(expr)
    return str(_PRINTER.doprint(sp.sympify(expr)))


def number(x: float) -> str:
    """A number as the document shows it: integers without a point, others with at most
    six significant digits, infinities as ``\\infty``."""
    value = float(x)
    if math.isinf(value):
        return "-\\infty" if value < 0 else "\\infty"
    if value.is_integer():
        return str(int(value))
    return f"{value:.6g}"


def product(*factors: object) -> str:
    """Juxtaposed factors: ``a_{22} k_{11}``."""
    return " ".join(tex(f) for f in factors)


def join_sum(terms: Sequence[str], *, empty: str = "0") -> str:
    """``t_1 + t_2 + ...`` from already printed terms; a term printed with a leading minus
    is joined with ``-``."""
    if not terms:
        return empty
    out = terms[0]
    for t in terms[1:]:
        out += f" - {t[1:].lstrip()}" if t.startswith("-") else f" + {t}"
    return out


def short_sum(terms: Sequence[str], limit: int, *, empty: str = "0") -> str:
    """:func:`join_sum`, elided to its first ``limit - 1`` terms, ``\\cdots`` and the last
    term when it has more than ``limit`` terms."""
    if len(terms) <= limit:
        return join_sum(terms, empty=empty)
    return join_sum([*terms[: max(limit - 1, 1)], "\\cdots", terms[-1]])
