"""Stating real back-propagation: free symbols (an upstream gradient G), rot180, dilate,
pad, crop, conv with dilation, named padding sides, ties of a max, and the two example
files (the textbook results hold; the common mistakes each fail with a helpful report).

The new functions are checked against plain NumPy loops written here from their
definitions, never against symconv's own output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp
from test_verify_common import APPENDIX_A, one

from symconv.errors import SpecError
from symconv.verify import verify_document, verify_file, verify_text
from symconv.verify.report import format_report

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
POOL2 = {"type": "maxpool2d", "input": [2, 2], "window": [2, 2], "stride": [2, 2]}


def _literal(m: np.ndarray) -> str:
    return "[" + ", ".join("[" + ", ".join(str(int(x)) for x in row) + "]" for row in m) + "]"


M = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])


def _dilate(m: np.ndarray, sh: int, sw: int) -> np.ndarray:
    out = np.zeros(((m.shape[0] - 1) * sh + 1, (m.shape[1] - 1) * sw + 1), dtype=int)
    for r in range(m.shape[0]):
        for c in range(m.shape[1]):
            out[r * sh, c * sw] = m[r, c]
    return out


def _correlate(
    x: np.ndarray, k: np.ndarray, pad: tuple[int, int, int, int], stride: tuple[int, int], dil: tuple[int, int]
) -> np.ndarray:
    t, b, left, right = pad
    xp = np.zeros((x.shape[0] + t + b, x.shape[1] + left + right), dtype=int)
    xp[t : t + x.shape[0], left : left + x.shape[1]] = x
    span = (dil[0] * (k.shape[0] - 1) + 1, dil[1] * (k.shape[1] - 1) + 1)
    hz, wz = (xp.shape[0] - span[0]) // stride[0] + 1, (xp.shape[1] - span[1]) // stride[1] + 1
    out = np.zeros((hz, wz), dtype=int)
    for p in range(hz):
        for q in range(wz):
            for r in range(k.shape[0]):
                for s in range(k.shape[1]):
                    out[p, q] += xp[p * stride[0] + r * dil[0], q * stride[1] + s * dil[1]] * k[r, s]
    return out


FUNCTION_CASES = [
    (f"rot180({_literal(M)})", M[::-1, ::-1]),
    (f"dilate({_literal(M)}, (2, 3))", _dilate(M, 2, 3)),
    (f"dilate({_literal(M)}, 1)", M),
    (f"pad({_literal(M)}, (1, 0, 2, 1))", np.pad(M, ((1, 0), (2, 1)))),
    (f"pad({_literal(M)}, 1)", np.pad(M, 1)),
    (f"crop({_literal(M)}, (2, 3), (1, 3))", M[1:3, 0:3]),
    (f"crop({_literal(M)}, (1, 1), (4, 4))", M[0:1, 3:4]),
    (f"hadamard({_literal(M)}, {_literal(M)})", M * M),
    (f"sum_entries({_literal(M)})", np.array([[M.sum()]])),
    (
        f"conv({_literal(M)}, [[1, -1], [2, 3]], dilation=(2, 1))",
        _correlate(M, np.array([[1, -1], [2, 3]]), (0, 0, 0, 0), (1, 1), (2, 1)),
    ),
    (
        f"conv({_literal(M)}, [[1, 2], [3, 4]], padding=(2, 0, 1, 3), stride=(2, 3), dilation=(1, 2))",
        _correlate(M, np.array([[1, 2], [3, 4]]), (2, 0, 1, 3), (2, 3), (1, 2)),
    ),
]


@pytest.mark.parametrize(("text", "expected"), FUNCTION_CASES)
def test_new_functions_match_their_definitions(text: str, expected: np.ndarray) -> None:
    r = one(text, _literal(np.atleast_2d(expected)) if expected.size > 1 else str(int(expected.item())))
    assert r.holds, (r.message, r.correct)


def test_named_padding_sides_and_pooling_sides() -> None:
    layer = {**APPENDIX_A, "padding": [2, 0, 1, 3]}
    assert one("(p_top, p_bottom, p_left, p_right)", "(2, 0, 1, 3)", layer=layer).holds
    pool = {"type": "avgpool2d", "input": [4, 4], "window": [2, 2], "padding": [1, 0, 0, 1]}
    assert one("(lp_top, lp_bottom, lp_left, lp_right)", "(1, 0, 0, 1)", layer=pool).holds
    # symmetric padding keeps the seed's h_p and w_p, and has the sides as well
    assert one("(h_p, w_p, p_top, p_right)", "(1, 1, 1, 1)").holds


def test_function_errors_name_the_rule() -> None:
    cases = {
        "crop(A, (0, 2), (1, 1))": "lhs: crop: rows 0..2 are not inside 1..3 of a 3x4 matrix",
        "crop(A, (1, 1), (2, 5))": "lhs: crop: columns 2..5 are not inside 1..4 of a 3x4 matrix",
        "crop(A, 1, (1, 1))": "lhs: crop's rows are a pair (first, last), 1-based and inclusive",
        "dilate(A, 0)": "lhs: dilate's step: must be a positive integer, got 0",
        "pad(A, -1)": "lhs: padding: must be an integer >= 0, got -1",
        "hadamard(A, beta)": "lhs: the entrywise product needs one shape: a 3x4 matrix and a 2x2 matrix",
        "conv(A, beta, dilation=0)": "lhs: dilation: must be a positive integer, got 0",
    }
    for text, message in cases.items():
        r = one(text, "1")
        assert r.invalid and r.message == message, (text, r.message)


# -- [symbols] ----------------------------------------------------------------------------
def _with_symbols(symbols: dict[str, Any], lhs: str, rhs: str, layer: dict[str, Any] | None = None) -> Any:
    doc = {"layer": layer or APPENDIX_A, "symbols": symbols, "claims": [{"id": "c", "lhs": lhs, "rhs": rhs}]}
    return verify_document(doc).results[0]


def test_symbols_are_free_tensors_in_expressions_and_latex() -> None:
    g = sp.Symbol("g_{12}", real=True)
    r = _with_symbols({"G": [4, 3]}, "G[1,2] + g[1,2]", "2*g[1,2]")
    assert r.holds
    r = _with_symbols({"G": [4, 3]}, "G[1,2]", "0")
    assert r.fails and r.correct == g
    doc = {
        "layer": APPENDIX_A,
        "symbols": {"G": [4, 3], "delta": [2, 2, 2]},
        "claims": [
            {"id": "tex", "latex": True, "lhs": "G_{12}", "rhs": "g_{12}"},
            {"id": "channels", "lhs": "shape(delta)", "rhs": "(2, 2, 2)"},
            {"id": "entry", "lhs": "delta[2,1,2]", "rhs": "delta[2][1,2]"},
            {"id": "greek", "latex": True, "lhs": r"\delta_{2,12}", "rhs": r"\delta_{2,1,2}"},
        ],
    }
    report = verify_document(doc)
    assert [x.status for x in report.results] == ["holds"] * 4, [x.message for x in report.results]


def test_gradient_of_a_loss_with_an_upstream_gradient() -> None:
    """grad(<G, Z>, K) for Appendix A's layer, against the sum written out from rep.2."""
    r = _with_symbols({"G": [4, 3]}, "grad(sum_entries(hadamard(G, Z)), K)[2, 1]", "0")
    expected = sum(
        sp.Symbol(f"g_{{{p}{q}}}", real=True) * sp.Symbol(f"a_{{{p}{2 * q - 2}}}", real=True)
        for p in range(1, 5)
        for q in range(1, 4)
        if 1 <= p <= 3 and 1 <= 2 * q - 2 <= 4
    )
    assert r.fails and sp.expand(r.correct - expected) == 0


SIZES = (
    "symbols.G: must be a list of 1 to 4 sizes, e.g. [3, 6] for a matrix or [2, 3, 6] for 2 channels; "
    'a size may be the layer\'s, by name: ["h_z", "w_z"]'
)


@pytest.mark.parametrize(
    ("symbols", "message"),
    [
        ({"G": [10**6, 10**6]}, "symbols.G: has more than 10000 entries; the limit for one symbol is 10000"),
        ({"G": [10, 10, 10, 11]}, "symbols.G: has more than 10000 entries; the limit for one symbol is 10000"),
        ({"G": [0, 3]}, "symbols.G: sizes must be integers >= 1, got [0, 3]"),
        (
            {"G": [1, 2, 3, 4, 5]},
            SIZES,
        ),
        (
            {"G": "3x6"},
            SIZES,
        ),
        (
            {"G": [True, 2]},
            SIZES,
        ),
        (
            {"g_": [2, 2]},
            "symbols.g_: a symbol is a letter, up to 11 letters or digits and one _subscript at most (X_col)",
        ),
        (
            {"__class__": [2, 2]},
            "symbols.__class__: a symbol is a letter, up to 11 letters or digits and one _subscript at most (X_col)",
        ),
        ({"beta": [2, 2]}, "symbols.beta: 'beta' is already a name of this conv2d layer or a function; choose another"),
        ({"Beta": [2, 2]}, "symbols.Beta: 'beta' is already a name of this conv2d layer or a function; choose another"),
        ({"conv": [2, 2]}, "symbols.conv: 'conv' is the name of a function; choose another"),
        (
            {"G\x1b[2J": [2, 2]},
            "symbols.'G\\x1b[2J': a symbol is a letter, up to 11 letters or digits and one _subscript at most (X_col)",
        ),
        ({f"G{n}": [2, 2] for n in range(21)}, "symbols: declares more than 20 names"),
    ],
)
def test_invalid_symbols_tables(symbols: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as err:
        verify_document({"layer": APPENDIX_A, "symbols": symbols, "claims": [{"id": "c", "lhs": "1", "rhs": "1"}]})
    assert str(err.value) == message


# -- ties of a max ---------------------------------------------------------------------------
def test_a_derivative_at_a_tie_does_not_hold() -> None:
    """The 2x2 window of equal values: Heaviside(0) = 1/2 used to make this hold, so the
    'gradient' summed to 2G.  It now fails, and says why."""
    r = one("subs(diff(A[1,1], I[1,1]), I, [[1, 1], [1, 1]])", "1/2", layer=POOL2)
    assert r.fails and not r.holds
    assert r.method == "no derivative at a tie of a max"
    assert "not differentiable at these values: a max (or min) has a tie there" in r.message
    # the same values without a tie: the derivative exists and is checked
    assert one("subs(diff(A[1,1], I[1,1]), I, [[2, 1], [1, 1]])", "1", layer=POOL2).holds
    assert one("subs(diff(A[1,1], I[1,2]), I, [[2, 1], [1, 1]])", "0", layer=POOL2).holds
    # the core's mask keeps the seed's first-maximum rule at the same tie
    assert one("mask([[1, 1], [1, 1]])", "[[1, 0, 0, 0]]", layer=POOL2).holds


def test_piecewise_claims_are_still_checked_region_by_region() -> None:
    total = " + ".join(f"diff(A[1,1], I[{r},{c}])" for r in (1, 2) for c in (1, 2))
    r = one(total, "1", layer=POOL2)
    assert r.holds and r.method == "every region (24 regions of the piecewise functions, each exactly)"
    r = one("diff(A[1,1], I[1,1])", "1/2", layer=POOL2)
    assert r.fails and "region" in r.method


# -- the example files ---------------------------------------------------------------------
def test_textbook_example_holds() -> None:
    report = verify_file(EXAMPLES / "textbook_backprop.toml")
    assert report.exit_code == 0
    ids = [r.id for r in report.results]
    for wanted in ("conv.dK", "conv.dA", "conv.db", "avgpool.spread", "maxpool.route-to-argmax", "maxpool.mask"):
        assert wanted in ids
    assert all(r.holds for r in report.results), [(r.id, r.message) for r in report.results if not r.holds]
    assert all(r.method.startswith(("exact symbolic", "every region", "shapes")) for r in report.results)
    assert format_report(report).rstrip().endswith(f"{len(ids)} claims: {len(ids)} hold, 0 fail, 0 invalid")


def test_textbook_mistakes_each_fail_with_a_helpful_report() -> None:
    report = verify_file(EXAMPLES / "textbook_mistakes.toml")
    assert report.exit_code == 1
    assert all(r.fails for r in report.results), [(r.id, r.status, r.message) for r in report.results]
    by_id = {r.id: r for r in report.results}
    for name in ("no-rotation", "no-dilation", "transposed-kernel", "window-divisor", "maxpool-spread"):
        r = by_id[f"mistake.{name}"]
        assert r.method.startswith("exact symbolic") and r.differing and r.counterexample is not None
        assert all(d.delta is not None and d.delta != 0 for d in r.differing)
    assert by_id["mistake.transposed-layout"].message == (
        "the sides have different shapes: 1x9 on the left, 9x1 on the right"
    )
    # the divisor mistake: the report shows the exact difference, 1/9 - 1/4 of each share
    d = by_id["mistake.window-divisor"].differing[0]
    g = [sp.Symbol(f"g_{{{n}}}", real=True) for n in ("11", "12", "21", "22")]
    assert sp.expand(d.delta - sum(g) * (sp.Rational(1, 9) - sp.Rational(1, 4))) == 0
    out = format_report(report)
    assert "left - right = -5*g_{11}/36 - 5*g_{12}/36 - 5*g_{21}/36 - 5*g_{22}/36" in out
    assert "not differentiable at these values" in out


# -- numbers, long sums, reports, network names ---------------------------------------------
def test_decimals_are_exact_as_written() -> None:
    assert one("1.0000000000000000001", "1").fails
    assert one("1e-400", "0").fails
    assert one("1e-400", "0", relation=">").holds
    assert one("1e-40 * 10**40", "1").holds
    assert one("0.1 + 0.2", "3/10").holds
    assert one("2.5e-3", "1/400").holds
    assert one("1_000.5", "2001/2").holds


def test_flat_sums_of_any_length_within_the_node_cap() -> None:
    terms = [f"a[{1 + n % 3},{1 + n // 3 % 4}]" for n in range(360)]
    r = one(" + ".join(terms), " + ".join(f"30*a[{p},{q}]" for p in (1, 2, 3) for q in (1, 2, 3, 4)))
    assert r.holds, r.message
    assert one(" - ".join(["a[1,1]"] * 301), "-299*a[1,1]").holds
    assert one(" * ".join(["2"] * 300), "(2**50)**6").holds
    assert (
        one(" + ".join(["a[1,1]"] * 1000), "1").message == "lhs: has more than 5000 parts; split it into smaller claims"
    )


def test_a_failing_report_shows_the_difference_even_when_both_sides_print_alike() -> None:
    """Two long sides that agree on their first 120 characters: the cut sides look the
    same, the difference line shows the term that differs."""
    common = " + ".join(f"{n}*a[1,1]*a[2,2]*beta[1,1]" for n in range(1, 30))
    r = one(common + " + a[3,4]", common + " + a[3,3]")
    assert r.fails
    (d,) = r.differing
    a33, a34 = sp.Symbol("a_{33}", real=True), sp.Symbol("a_{34}", real=True)
    assert d.delta == a34 - a33
    from symconv.verify.report import claim_lines, difference_text

    lines = claim_lines(r)
    assert any(line.strip() == "left - right = -a_{33} + a_{34}" for line in lines)
    long = sp.Add(*[sp.Symbol(f"x{n}") for n in range(400)])
    text = difference_text(long, limit=100)
    assert text.endswith("of 400 terms)") and len(text) < 160


NET_FLATTEN = {
    "input": [4, 4],
    "channels": 1,
    "layers": [
        {"type": "conv2d", "kernel": [2, 2], "out_channels": 2},
        {"type": "relu"},
        {"type": "flatten"},
        {"type": "dense", "out_features": 2},
    ],
}


def test_conv_flatten_network_names() -> None:
    """J_A1 is the conv's dZ1/dA0 (not 'ambiguous'); the flatten's is J_B1_I1; A1 is the
    output of layer 1 although no pooling layer follows."""
    net = NET_FLATTEN
    assert one("J_A1(1, 1)", "diff(vec(Z1[1]), vec(A0[1]))", network=net).holds
    assert one("J_Z1_A0(2, 1)", "J_A1(2, 1)", network=net).holds
    assert one("J_B1_I1", "eye(18)", network=net).holds
    assert one("A1", "I1", network=net).holds
    assert one("a1[2,3,3]", "relu(z1[2,3,3])", network=net).holds
    assert one("c1", "2", network=net).holds


def test_the_docs_textbook_block_holds() -> None:
    """The claims file printed in docs/verify.md's worked example, run as printed."""
    text = (EXAMPLES.parent / "docs" / "verify.md").read_text(encoding="utf-8")
    block = text.split("```toml\n# textbook_conv.toml\n", 1)[1].split("```\n")[0]
    report = verify_text(block)
    assert [r.status for r in report.results] == ["holds"] * 3
