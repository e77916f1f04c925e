"""Exact equality of expressions built from rationals, exp and log, for tests.

At a rational point every ``exp(q)`` with rational ``q`` is ``t**(q D)`` for
``t = exp(1/D)``, a transcendental number, so two rational functions of ``t`` are equal as
numbers exactly when they are equal as rational functions.  Any other ``exp(x)`` becomes
a fresh symbol (keyed by ``x``): if the difference then cancels to 0 the two sides are
equal; the converse is not claimed, so a failure may only be a missed identity, never
a false pass.
"""

from __future__ import annotations

import math

import sympy as sp


def _exp_arguments(expr: sp.Expr) -> list[sp.Expr]:
    return [e.args[0] for e in expr.atoms(sp.exp)]


def exactly_equal(a: sp.Expr, b: sp.Expr) -> bool:
    a = sp.sympify(a).rewrite(sp.exp)
    b = sp.sympify(b).rewrite(sp.exp)
    args = _exp_arguments(a) + _exp_arguments(b)
    dens = [arg.q for arg in args if arg.is_Rational]
    d = math.lcm(*dens) if dens else 1
    t = sp.Symbol("t", positive=True)
    fresh: dict[sp.Expr, sp.Symbol] = {}
    memo: dict[sp.Expr, sp.Expr] = {}

    def rewrite(e: sp.Expr) -> sp.Expr:
        if e in memo:
            return memo[e]
        if not e.args:
            out = e
        else:
            new_args = [rewrite(x) for x in e.args]
            if isinstance(e, sp.exp):
                (x,) = new_args
                if x.is_Rational:
                    out = t ** int(x * d)
                else:
                    out = fresh.setdefault(x, sp.Symbol(f"u{len(fresh)}", positive=True))
            elif isinstance(e, sp.log):
                (x,) = new_args
                out = sp.log(x)
            else:
                out = e.func(*new_args)
        memo[e] = out
        return out

    diff = rewrite(a) - rewrite(b)
    # log(x) terms: both sides come from the same formulas, so logs must cancel structurally
    return sp.cancel(sp.expand_log(diff, force=True)) == 0
