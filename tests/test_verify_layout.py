"""Gradient layouts: what ``\\frac{\\partial L}{\\partial X}`` and ``diff(L, X)`` mean under
``layout = "numerator" | "denominator" | "mixed"``, and that no claim passes or fails
silently because of the layout (a hint on a failure, a note when the verdict rests on the
default).  Each expected value is built here from the definitions (an entry at a time)."""

from __future__ import annotations

from typing import Any

import pytest

from symconv.verify import ClaimResult, verify_document
from symconv.verify.report import format_report

DENSE: dict[str, Any] = {
    "layer": {"type": "dense", "in_features": 3, "out_features": 2},
    "symbols": {"G": [2]},
    "define": {"L": "sum_entries(hadamard(G, Z))"},
}
SQUARE: dict[str, Any] = {  # the square case: 3x3 input, 3x3 kernel, padding 1
    "layer": {"type": "conv2d", "input": [3, 3], "kernel": [3, 3], "padding": [1, 1], "bias": False},
    "symbols": {"G": [3, 3]},
    "define": {"L": "sum_entries(hadamard(G, Z))"},
}
DW = (r"\frac{\partial L}{\partial \mathbf{W}}", r"\mathbf{B}\mathbf{G}^\top")
DA = (r"\frac{\partial L}{\partial \mathbf{A}}", r"\mathbf{G} \ast \operatorname{rot180}(\mathbf{K})")


def check(subject: dict[str, Any], lhs: str, rhs: str, *, latex: bool = True, **top: Any) -> ClaimResult:
    doc = {**subject, **top, "claims": [{"id": "c", "lhs": lhs, "rhs": rhs, "latex": latex}]}
    return verify_document(doc).results[0]


@pytest.mark.parametrize(("subject", "claim"), [(DENSE, DW), (SQUARE, DA)], ids=["dense B G^T", "square G*rot180(K)"])
def test_the_textbook_gradient_holds_in_the_denominator_layout_and_fails_with_a_hint_in_the_numerator(
    subject: dict[str, Any], claim: tuple[str, str]
) -> None:
    assert check(subject, *claim, layout="denominator").holds
    r = check(subject, *claim, layout="numerator")
    assert r.fails
    assert r.hint.startswith("read in the numerator layout, this fails; in the denominator layout")
    assert 'state layout = "denominator"' in r.hint and "\\nabla_{X} L" in r.hint
    assert f"hint: {r.hint}" in format_report(
        verify_document(
            {**subject, "layout": "numerator", "claims": [{"id": "c", "lhs": claim[0], "rhs": claim[1], "latex": True}]}
        )
    )
    # the same claims with \nabla hold in every layout
    for layout in ("numerator", "denominator", "mixed"):
        nabla = claim[0].replace(r"\frac{\partial L}{\partial \mathbf{W}}", r"\nabla_{\mathbf{W}} L")
        nabla = nabla.replace(r"\frac{\partial L}{\partial \mathbf{A}}", r"\nabla_{\mathbf{A}} L")
        assert check(subject, nabla, claim[1], layout=layout).holds


def test_the_square_case_fails_on_the_entries_the_transpose_moves() -> None:
    """In the numerator layout dL/dA is the transpose of G * rot180(K): the diagonal agrees,
    the 6 other entries differ -- and the report still says why."""
    r = check(SQUARE, *DA, layout="numerator")
    assert r.message == "fails (6 of 9 entries differ)"
    assert {d.entry for d in r.differing} == {(1, 2), (1, 3), (2, 1), (2, 3), (3, 1), (3, 2)}


def test_the_default_layout_is_mixed_and_a_verdict_that_rests_on_it_says_so() -> None:
    r = check(DENSE, *DW)  # no layout in the file
    assert r.holds
    assert r.notes == (
        "layout: read in the mixed layout, the default; in the numerator layout this claim fails "
        '(state layout = "mixed" to make it explicit)',
    )
    assert check(DENSE, *DW, layout="mixed").notes == ()  # stated: nothing to warn about
    out = format_report(verify_document({**DENSE, "claims": [{"id": "c", "lhs": DW[0], "rhs": DW[1], "latex": True}]}))
    assert "layout: mixed (the default: this file states no layout)" in out
    # a failure in the default layout that holds in the numerator layout names it
    r = check(DENSE, DW[0], r"\mathbf{G}\mathbf{B}^\top")
    assert r.fails and r.hint.startswith("read in the mixed layout (the default: the file states none), this fails")
    assert 'state layout = "numerator"' in r.hint


@pytest.mark.parametrize("layout", ["numerator", "denominator", "mixed"])
def test_diff_and_frac_mean_what_the_layout_says_in_both_languages(layout: str) -> None:
    """dL/dW for L = G^T (W^T B + b), entry by entry: dL/dw_ij = B_i g_j (W is 3x2); the
    numerator layout gives its 2x3 transpose."""
    rows = [[(i, j) for j in (1, 2)] for i in (1, 2, 3)]
    if layout == "numerator":
        rows = [list(col) for col in zip(*rows, strict=True)]
    expr = "[" + ", ".join("[" + ", ".join(f"B[{i}]*g[{j}]" for i, j in row) + "]" for row in rows) + "]"
    tex = r"\begin{bmatrix} " + r" \\ ".join(" & ".join(f"B_{{{i}}} g_{{{j}}}" for i, j in row) for row in rows)
    tex += r" \end{bmatrix}"
    assert check(DENSE, "diff(L, W)", expr, latex=False, layout=layout).holds
    r = check(DENSE, r"\frac{\partial L}{\partial \mathbf{W}}", tex, layout=layout)
    assert r.holds, r.message
    assert check(DENSE, "grad(L, W)", "B @ transpose(G)", latex=False, layout=layout).holds


def test_vectors_by_vectors_and_by_scalars() -> None:
    """d vZ / d vK is the Jacobian (p x m) in the numerator and mixed layouts and its
    transpose in the denominator layout; a column by a scalar is a row in the denominator."""
    conv = {"layer": {"type": "conv2d", "input": [3, 4], "kernel": [2, 2], "padding": [1, 1], "stride": [1, 2]}}
    for layout, rhs in (("numerator", "J_K"), ("mixed", "J_K"), ("denominator", "transpose(J_K)")):
        assert check(conv, "diff(vec(Z), vec(K))", rhs, latex=False, layout=layout).holds, layout
    assert check(conv, "diff(vec(Z), k[2,1])", "J_K[:, 2]", latex=False, layout="mixed").holds
    assert check(conv, "diff(vec(Z), k[2,1])", "transpose(J_K[:, 2])", latex=False, layout="denominator").holds
    assert check(
        conv,
        "diff(Z, k[2,1])",
        "conv(A, unit(2, 2, 2, 1), padding=1, stride=(1, 2))",
        latex=False,
        layout="denominator",
    ).holds  # a matrix by a scalar keeps its shape in every layout
    r = check(conv, "diff(vec(Z), vec(K))", "J_K", latex=False, layout="denominator")
    assert r.fails and 'state layout = "numerator"' in r.hint


def test_a_scalar_by_a_tensor() -> None:
    """grad(L, K) of a 2 -> 2 channel kernel is a 2x2x2x2 tensor; diff in the numerator layout
    transposes each kernel, in the other layouts it is the gradient."""
    doc = {
        "layer": {"type": "conv2d", "input": [3, 3], "kernel": [2, 2], "in_channels": 2, "out_channels": 2},
        "symbols": {"G": [2, 2, 2]},
        "define": {"L": "sum_for(j, 1, 2, sum_entries(hadamard(G[j], Z[j])))"},
    }
    each = "stack_for(j, 1, 2, stack_for(i, 1, 2, conv(A[i], G[j])))"
    assert check(doc, "grad(L, K)", each, latex=False).holds
    assert check(doc, "diff(L, K)", each, latex=False, layout="denominator").holds
    assert check(
        doc,
        "diff(L, K)",
        each.replace("conv(A[i], G[j])", "transpose(conv(A[i], G[j]))"),
        latex=False,
        layout="numerator",
    ).holds
    assert check(doc, r"\frac{\partial L}{\partial \mathbf{K}}", "Q", latex=True, layout="mixed").invalid  # no Q
    r = check(doc, "diff(L, K)", each, latex=False, layout="numerator")
    assert r.fails and 'state layout = "denominator"' in r.hint


def test_a_transposed_right_side_is_named_even_without_a_layout_derivative() -> None:
    r = check(DENSE, "grad(L, W)", "transpose(B @ transpose(G))", latex=False)
    assert r.fails and r.hint.startswith("the right side is the transpose of the correct value (3x2 on the left, 2x3")
    r = check(SQUARE, "grad(L, A)", 'transpose(conv(G, rot180(K), padding="same"))', latex=False)
    assert r.fails and r.hint.startswith("the right side is the transpose of the correct value (3x3 on the left")
    r = check(DENSE, "grad(L, W)", "ones(2, 3)", latex=False)
    assert r.fails and r.hint.startswith("the shapes are exactly transposed (3x2 on the left, 2x3 on the right)")


def test_the_seed_audit_keeps_the_seeds_layout() -> None:
    """The audit's file states the seed's numerator layout for every part (its verdicts are
    held by tests/test_verify_audit.py)."""
    from symconv.config import read_file, read_toml
    from symconv.verify import builtin_path
    from symconv.verify.claims import read_document

    path = builtin_path("seed_audit")
    _, parts = read_document(read_toml(read_file(path, "claims", ""), str(path)))
    assert parts and all(p.options.layout == "numerator" and p.options.layout_stated for p in parts)
