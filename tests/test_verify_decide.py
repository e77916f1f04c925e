"""How claims are decided: exactly for polynomials (never from samples), region by region
for piecewise functions, tie-free points when regions are too many; counterexamples are
re-checked here by plain arithmetic."""

from __future__ import annotations

import math

import sympy as sp
from test_verify_common import one


def _v(r, name: str) -> sp.Expr:  # type: ignore[no-untyped-def]
    return dict((str(s), x) for s, x in r.counterexample.values)[name]


def test_polynomial_claim_that_sampling_at_small_integers_would_miss() -> None:
    """x(x-1)(x+1)...(x-4)(x+4) vanishes at every integer in -4..4; the claim that it is 0
    is still decided exactly as false, with a point outside those roots."""
    poly = "*".join(f"(a[1,1] - {k})" for k in range(-4, 5))
    r = one(poly, "0")
    assert r.fails and r.method == "exact symbolic"
    x = _v(r, "a_{11}")
    value = 1
    for k in range(-4, 5):
        value *= x - k
    assert value == r.counterexample.lhs != 0 == r.counterexample.rhs


def test_rational_functions_are_exact_and_counterexamples_avoid_poles() -> None:
    assert one("(a[1,1]**2 - 1) / (a[1,1] - 1)", "a[1,1] + 1").holds
    r = one("1 / (a[1,1] - 1)", "1 / (a[1,1] - 2)")
    assert r.fails
    x = _v(r, "a_{11}")
    assert x not in (1, 2)
    assert r.counterexample.lhs == sp.Rational(1, 1) / (x - 1) and r.counterexample.rhs == sp.Rational(1, 1) / (x - 2)


def test_piecewise_claims_are_checked_on_every_region() -> None:
    r = one("relu(a[1,1])", "Max(0, a[1,1])")
    assert r.holds and r.method == "every region (2 regions of the piecewise functions, each exactly)"
    r = one("Max(a[1,1], a[1,2]) + Min(a[1,1], a[1,2])", "a[1,1] + a[1,2]")
    assert r.holds and r.method.startswith("every region (2 regions")
    r = one("Max(a[1,1], a[1,2], 0)", "Max(a[1,2], Max(a[1,1], 0))")
    assert r.holds


def test_piecewise_failures_come_with_a_point_in_the_failing_region() -> None:
    r = one("Max(0, a[1,1], a[2,1])", "Max(a[1,1], a[2,1])")  # Appendix B without the padded 0
    assert r.fails and "region" in r.method
    x, y = _v(r, "a_{11}"), _v(r, "a_{21}")
    assert max(0, x, y) == r.counterexample.lhs != r.counterexample.rhs == max(x, y)
    assert x < 0 and y < 0
    r = one("Max(a[1,1], a[1,2])", "a[1,1]")
    x, y = _v(r, "a_{11}"), _v(r, "a_{12}")
    assert r.fails and y > x and r.counterexample.lhs == y


def test_many_regions_fall_back_to_tie_free_points_and_say_so() -> None:
    entries = [f"a[{p},{q}]" for p in (1, 2, 3) for q in (1, 2, 3)]
    lhs = " + ".join(f"relu({e})" for e in entries)
    rhs = " + ".join(f"Max(0, {e})" for e in entries)
    r = one(lhs, rhs)
    assert r.holds
    assert r.method == "tie-free points (24 points checked; piecewise or transcendental, not every region)"
    r = one(lhs, rhs + " + 1/1000")
    assert r.fails and r.method == "tie-free points (a point where the sides differ)"


def test_transcendental_claims() -> None:
    assert one("sigmoid(a[1,1])", "1 / (1 + exp(-a[1,1]))").method == "exact symbolic"
    r = one("tanh(a[1,1])", "2*sigmoid(2*a[1,1]) - 1")
    assert r.holds and r.method.startswith("tie-free points")
    r = one("tanh(a[1,1])", "2*sigmoid(a[1,1]) - 1")
    assert r.fails
    x = float(_v(r, "a_{11}"))
    assert abs(float(r.counterexample.lhs) - math.tanh(x)) < 1e-12


def test_decisions_are_deterministic() -> None:
    a = one("Max(0, a[1,1], a[2,1])", "Max(a[1,1], a[2,1])")
    b = one("Max(0, a[1,1], a[2,1])", "Max(a[1,1], a[2,1])")
    assert a.counterexample == b.counterexample and a.work == b.work
