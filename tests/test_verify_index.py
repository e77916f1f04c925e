"""Index notation: free indices checked over their ranges (the counterexample is the first
failing index values, held here to a point-by-point check), index arithmetic, 0-based
indices, entries outside a tensor, sums with inferred ranges, indicators and piecewise
forms, names, and the refusals (one line, saying what to write)."""

from __future__ import annotations

import itertools
from typing import Any

from test_verify_common import APPENDIX_B

from symconv.verify import ClaimResult, verify_document
from symconv.verify.report import format_report

CONV: dict[str, Any] = {
    "layer": {"type": "conv2d", "input": [4, 6], "kernel": [2, 3], "bias": True},
    "symbols": {"G": ["h_z", "w_z"]},  # 3x4
    "define": {"L": "sum_entries(hadamard(G, Z))"},
}


def check(
    lhs: str,
    rhs: str,
    *,
    subject: dict[str, Any] | None = None,
    latex: bool = True,
    claim: dict[str, Any] | None = None,
    **top: Any,
) -> ClaimResult:
    """One claim; ``top`` are file options (index_base, out_of_range, layout), ``claim`` the claim's own."""
    claim = {"id": "c", "lhs": lhs, "rhs": rhs, "latex": latex, **(claim or {})}
    return verify_document({**(subject or CONV), **top, "claims": [claim]}).results[0]


def test_free_indices_hold_for_every_value_and_say_over_which() -> None:
    r = check(r"\frac{\partial L}{\partial k_{mn}}", r"\sum_{i}\sum_{j} g_{ij}\, a_{i+m-1,\,j+n-1}")
    assert r.holds and r.notes == ("for every m = 1..2 (from k), n = 1..3 (from k)",)
    r = check(r"\frac{\partial L}{\partial a_{ij}}", r"\sum_{m,n} g_{i-m+1,\,j-n+1}\, k_{mn}")
    assert r.holds and r.notes[0] == "for every i = 1..4 (from a), j = 1..6 (from a)"
    assert r.notes[1].startswith("read as zero outside their tensors: g_{") and "(28 entries)" in r.notes[1]


def test_sums_over_ranges_of_different_lengths() -> None:
    """\\sum_{p,q} over a 3x4 gradient: each index its own range (not the other's)."""
    assert check(r"\frac{\partial L}{\partial b}", r"\sum_{p,q} g_{pq}").holds
    assert check(r"\frac{\partial L}{\partial b}", r"\sum_{p}\sum_{q} g_{pq}").holds
    assert check(r"\frac{\partial L}{\partial b}", r"\sum_{q}\sum_{p} g_{pq}").holds
    assert check(r"\frac{\partial L}{\partial b}", r"\sum_{p=1}^{h_z}\sum_{q=1}^{w_z} g_{pq}").holds
    assert check(r"\frac{\partial L}{\partial b}", r"\sum_{p=1}^{3}\sum_{q=1}^{3} g_{pq}").fails


def test_the_counterexample_is_the_first_failing_index_values() -> None:
    """A formula that is wrong only where the kernel index is 2 (a_{i+m-1} replaced by
    a_{i+2m-2}): the failing (m, n) are exactly those found by checking each (m, n) as a
    claim of its own, and the counterexample is the first of them (m slowest)."""
    wrong = r"\sum_{i}\sum_{j} g_{ij}\, a_{i+2m-2,\,j+n-1}"
    r = check(r"\frac{\partial L}{\partial k_{mn}}", wrong)
    assert r.fails and r.labels == ("m", "n")
    failing = set()
    for m, n in itertools.product((1, 2), (1, 2, 3)):
        one = check(
            rf"\frac{{\partial L}}{{\partial k_{{{m},{n}}}}}",
            rf"\sum_{{i}}\sum_{{j}} g_{{ij}}\, a_{{i+{2 * m - 2},\,j+{n - 1}}}",
        )
        if one.fails:
            failing.add((m, n))
        assert one.status in ("holds", "fails")
    assert failing == {(2, 1), (2, 2), (2, 3)}
    assert {d.entry for d in r.differing} == failing
    assert r.counterexample is not None and r.counterexample.entry == min(failing)
    assert r.message == "fails at 3 of 6 index values"
    out = format_report(
        verify_document(
            {**CONV, "claims": [{"id": "c", "latex": True, "lhs": r"\frac{\partial L}{\partial k_{mn}}", "rhs": wrong}]}
        )
    )
    assert "differs at m = 2, n = 1: " in out and " at m = 2, n = 1\n" in out


def test_ranges_given_explicitly() -> None:
    lhs, rhs = r"\frac{\partial L}{\partial k_{mn}}", r"\sum_{i}\sum_{j} g_{ij}\, a_{i+m-1,\,j+n-1}"
    r = check(lhs, rhs, claim={"for": {"m": [2, 2], "n": [1, 3]}})
    assert r.holds and r.notes == ("for every m = 2..2 (for), n = 1..3 (for)",)
    r = check(lhs, rhs + r", \quad \forall 1 \le m \le 2, n \in [2, 3]")
    assert r.holds and r.notes == ("for every m = 1..2 (\\forall), n = 2..3 (\\forall)",)
    r = check(lhs, rhs, claim={"for": {"x": [1, 2]}})
    assert r.invalid and r.message == "for = {x = ...} names an index the claim does not use"


def test_a_range_that_cannot_be_told_is_refused_with_what_to_write() -> None:
    r = check("g_{11}", r"\sum_{i} g_{i+1,1}")
    assert r.invalid and "cannot tell the range of the index i" in r.message
    assert r.message.endswith(r"write the range: \sum_{i=1}^{n}")
    r = check(r"g_{m1}", r"a_{m1}")  # m indexes 3 rows on the left: that range wins, a_{41} is never read
    assert r.fails and r.notes == ("for every m = 1..3 (from g)",)
    r = check(r"a_{2m,1} + g_{m+1,1}", "0")  # m only inside arithmetic
    assert r.invalid and r.message.endswith("give it with for = {m = [1, 3]} or \\forall 1 \\le m \\le 3")


def test_index_arithmetic_and_rounding() -> None:
    strided = {
        "layer": {"type": "conv2d", "input": [5, 5], "kernel": [3, 3], "stride": [2, 2], "bias": False},
        "define": {"s": "h_s"},
    }
    for rhs in (
        r"\sum_{m,n} a_{s(p-1)+m,\, s(q-1)+n}\, k_{mn}",
        r"\sum_{m,n} a_{h_s(p-1)+m,\, w_s(q-1)+n}\, k_{mn}",
        r"\sum_{m,n} a_{2p-2+m,\, 2q-2+n}\, k_{mn}",
        r"\sum_{m,n} a_{2 \cdot (p-1)+m,\, 2 \times (q-1)+n}\, k_{mn}",
    ):
        assert check("z_{pq}", rhs, subject=strided).holds, rhs
    r = check("z_{pq}", r"\sum_{m,n} a_{p/2+m,\, q+n}\, k_{mn}", subject=strided)
    assert r.invalid and "the index p/2+m is 3/2 here, not an integer; round it: \\lceil p/2+m \\rceil" in r.message
    assert check("z_{pq}", r"\sum_{m,n} a_{2\lceil p/2 \rceil - 2 + m,\, 2q-2+n}\, k_{mn}", subject=strided).fails


def test_zero_based_indices() -> None:
    assert check(r"k_{00}", r"k_{0,0}", index_base=0).holds
    assert check(r"k_{00}", r"k_{11}", index_base=0).fails  # (1, 1) and (2, 2)
    r = check(r"\frac{\partial L}{\partial k_{mn}}", r"\sum_{i}\sum_{j} g_{ij}\, a_{i+m,\,j+n}", index_base=0)
    assert r.holds and r.notes == ("for every m = 0..1 (from k), n = 0..2 (from k)",)
    assert check(r"k_{11}", r"k_{00}", index_base=0, claim={"index_base": 1}).invalid  # the claim's option wins
    assert check(r"k_{11}", r"k_{11}", index_base=0, claim={"index_base": 1}).holds


def test_entries_outside_a_tensor() -> None:
    rhs = r"\sum_{m,n} g_{i-m+1,\,j-n+1}\, k_{mn}"
    r = check(r"\frac{\partial L}{\partial a_{ij}}", rhs, out_of_range="error")
    assert r.invalid
    assert r.message == (
        "rhs: g_{1,0} lies outside its tensor (out_of_range = 'error'); limit the index ranges, or remove "
        "out_of_range to read such entries as zero"
    )
    r = check("a_{52}", "0")  # a number written out of range is a mistake, never a zero
    assert r.invalid and r.message == "lhs: index 5 is out of range 1..4 for index 2 of A"
    r = check("diff(L, a[i, j])", "sum_for(m, 1, 2, sum_for(n, 1, 3, g[i-m+1, j-n+1]*k[m, n]))", latex=False)
    assert r.holds and r.notes[1].startswith("read as zero outside their tensors: g[1, 0], ")


def test_the_seeds_layer_superscript_without_the_channel_of_a_one_channel_layer() -> None:
    net = {
        "network": {
            "input": [4, 4],
            "layers": [
                {"type": "conv2d", "kernel": [2, 2], "out_channels": 1},
                {"type": "conv2d", "kernel": [2, 2], "out_channels": 2},
            ],
        }
    }
    assert check(r"z^{[1]}_{11}", r"z_{1,11}^{[1]}", subject=net).holds
    assert check(r"z^{[1]}_{pq}", r"\sum_{m,n} a^{[0]}_{p+m-1,q+n-1}\, k^{[1]}_{mn} + b^{[1]}", subject=net).holds
    r = check(r"z^{[2]}_{11}", "0", subject=net)  # two channels: the channel must be given
    assert r.invalid


def test_names_with_subscripts() -> None:
    doc = {
        **CONV,
        "symbols": {"G": ["h_z", "w_z"], "X_col": [2, 2]},
        "define": {"L": "sum_entries(hadamard(G, Z))", "n_h": "h_a", "W_row": "transpose(vec(K))"},
    }
    assert check(r"n_h", "4", subject=doc).holds
    assert check(r"\mathbf{W}_{\mathrm{row}}", r"\mathrm{vec}(\mathbf{K})^\top", subject=doc).holds
    assert check(
        r"\mathbf{X}_{\mathrm{col}}", "[[x_col[1,1], x_col[1,2]], [x_col[2,1], x_col[2,2]]]", subject=doc
    ).invalid
    assert check("X_col[1, 2]", "X_col[1, 2]", subject=doc, latex=False).holds
    r = check(r"\mathbf{Y}_{\mathrm{col}}", "1", subject=doc)
    assert r.invalid and r.message.startswith("lhs: unknown name 'Y_col': define it in the file's [define] table")
    r = check(r"p_{top} + p_{bottom}", "0", subject=doc)
    assert r.holds
    r = check(r"p_{tp}", "0", subject=doc)
    assert r.invalid and "unknown name 'p_tp'" in r.message


def test_indicators_and_piecewise_forms_are_decided_on_every_region() -> None:
    relu = {
        "layer": {"type": "relu", "input": [2, 2]},
        "symbols": {"G": [2, 2]},
        "define": {"L": "sum_entries(hadamard(G, I))"},
    }
    lhs = r"\frac{\partial L}{\partial z_{ij}}"
    for rhs in (
        r"g_{ij}\, \mathbb{1}[z_{ij} > 0]",
        r"g_{ij}\, \mathbb{1}\{z_{ij} > 0\}",
        r"g_{ij}\, \mathbb{1}_{z_{ij} > 0}",
        r"g_{ij}\, [z_{ij} > 0]",
        r"g_{ij}\, H(z_{ij})",
        r"\begin{cases} g_{ij} & z_{ij} > 0 \\ 0 & z_{ij} \le 0 \end{cases}",
        r"\begin{cases} g_{ij} & \text{if } z_{ij} > 0 \\ 0 & \text{otherwise} \end{cases}",
        r"\frac{1}{2} g_{ij} (\operatorname{sgn}(z_{ij}) + 1)",
    ):
        r = check(lhs, rhs, subject=relu)
        assert r.holds, (rhs, r.message)
        assert r.method.startswith(("exact symbolic", "every region"))
    r = check(lhs, r"g_{ij}\, \mathbb{1}[z_{ij} \ge 1]", subject=relu)
    assert r.fails and r.method == "exact symbolic, in a region of the piecewise functions where the sides differ"
    r = check("grad(L, Z)", "where(Z > 0 and Z < 100, G, 0)", subject=relu, latex=False)
    assert r.fails  # a region with z > 100 exists
    # overlapping windows (stride 1 down the rows): an input entry can be the maximum of two
    pool = {"layer": {"type": "maxpool2d", "input": [3, 4], "window": [2, 2], "stride": [1, 2]}}
    r = check(r"\frac{\partial A_{pq}}{\partial I_{ij}}", r"\mathbb{1}[I_{ij} = A_{pq}]", subject=pool)
    assert r.holds and r.method.startswith("every region") and r.message == "holds (" + r.method + ")"
    r = check(r"\frac{\partial A_{pq}}{\partial I_{ij}}", r"\mathbb{1}[I_{ij} \ge A_{pq}]", subject=pool)
    assert r.fails  # I_ij beats the maximum of a window it is not in, somewhere
    r = check(
        r"\frac{\partial A_{pq}}{\partial I_{ij}}",
        r"\mathbb{1}[I_{ij} = A_{pq}]",
        subject={"layer": APPENDIX_B},
        claim={"for": {"p": [2, 2], "q": [1, 1], "i": [1, 3], "j": [1, 1]}},
    )  # a window with padding in it
    assert r.holds and r.method.startswith("every region")


def test_refusals_are_one_line_and_say_what_to_write() -> None:
    relu = {"layer": {"type": "relu", "input": [2, 2]}}
    cases = [
        ("z_{11} > 0", "1", "a comparison outside a condition"),
        (r"(z_{11} > 0)", "1", "write the indicator"),
        (r"\mathbb{2}[z_{11} > 0]", "1", "the indicator is \\mathbb{1}"),
        (r"\sigma(z_{11})", "1", "write the sigmoid"),
        (r"\operatorname{flip}(\mathbf{Z})", "1", "write one of"),
        (r"\operatorname{vec}_{2}(\mathbf{Z})", "1", "give every argument in parentheses"),
        (r"\sum_{i}^{3} z_{i1}", "1", "give the start as well"),
        (r"\forall m", "1", "write \\forall after the side"),
        (r"\mathbf{Z} \ast \mathbf{Z}", r"\mathbf{I} \ast \mathbf{Z}", "write it on one of them: \\ast_{\\text{full}}"),
        (r"\mathbf{Z} \ast \mathbf{1}_{(1,1)}", r"\mathbf{1}_{(3,3)}", "no padding gives '*'"),
    ]
    for lhs, rhs, part in cases:
        r = check(lhs, rhs, subject=relu)
        assert r.invalid and part in r.message and "\n" not in r.message, (lhs, r.message)
