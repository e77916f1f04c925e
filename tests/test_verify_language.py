"""The claims expression language: names, indices, functions, layouts; true claims hold,
false ones fail, and every counterexample is checked with an independent computation."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp
from test_verify_common import APPENDIX_B, SMALL_NET, arrays_from, one, reference_conv

# -- claims that hold, each against an independent statement of the truth ---------------
HOLDS = [
    # entries (rep.2 written out by hand from the seed's picture)
    ("z[1,1]", "a[1,1]*beta[2,2]"),
    ("z[2,2]", "a[1,2]*beta[1,1] + a[1,3]*beta[1,2] + a[2,2]*beta[2,1] + a[2,3]*beta[2,2]"),
    ("z[4,3]", "a[3,4]*k[1,1]"),
    ("z[3,2]", "A[2,2]*K[1,1] + A[2,3]*K[1,2] + A[3,2]*K[2,1] + A[3,3]*K[2,2]"),
    ("a[1,3,2]", "a[3,2]"),  # the full (channel) index of a single-channel layer
    ("k[1,1,2,1]", "beta[2,1]"),
    # whole matrices and dimensions
    ("shape(Z)", "(4, 3)"),
    ("shape(A)", "(h_a, w_a)"),
    ("shape(J_K)", "(h_z*w_z, h_k*w_k)"),
    ("shape(J_A)", "(12, 12)"),
    ("shape(vec(Z))", "(12, 1)"),
    ("shape(Z)[1]", "4"),
    ("Z[3, :]", "[[z[3,1], z[3,2], z[3,3]]]"),
    ("Z[:, 2]", "[z[1,2], z[2,2], z[3,2], z[4,2]]"),
    ("vec(beta)", "[beta[1,1], beta[2,1], beta[1,2], beta[2,2]]"),
    ("transpose(beta)", "[[k[1,1], k[2,1]], [k[1,2], k[2,2]]]"),
    ("reshape(vec(beta), 1, 4)", "transpose(vec(beta))"),
    ("ones(2, 3) @ ones(3, 1)", "[3, 3]"),
    ("trace(eye(4))", "4"),
    ("diag([1, 2])", "[[1, 0], [0, 2]]"),
    ("unit(2, 2, 2, 1)", "[[0, 0], [1, 0]]"),
    ("hstack(ones(2, 1), zeros(2, 1))", "[[1, 0], [1, 0]]"),
    ("vstack(1, 2)", "[1, 2]"),
    ("sum_for(i, 1, 4, i**2)", "30"),
    ("7 // 2 + 7 % 2", "4"),
    ("0.5 + 1/2", "1"),
    # diff, Jacobians, conv
    ("diff(z[3,2], beta[2,1])", "a[3,2]"),
    ("diff(Z, beta[2,1])", "conv(A, unit(2, 2, 2, 1), padding=1, stride=(1, 2))"),
    ("diff(vec(Z), vec(beta))", "J_K"),
    ("diff(vec(Z), vec(A))", "J_A"),
    ("J_K[7, 2]", "a[3,2]"),
    ("J_A[7, 8]", "beta[1,2]"),
    ("diff(beta, beta[2,1])", "unit(2, 2, 2, 1)"),
    ("window(3, 2)", "[[a[2,2], a[2,3]], [a[3,2], a[3,3]]]"),
    ("conv(window(3, 2), beta)", "[[z[3,2]]]"),
    ("z[3,2]", "conv(window(3, 2), beta)"),  # a 1x1 matrix compares with a scalar
    ("conv(A, beta, padding=(1, 1), stride=(1, 2))", "Z"),
    ("conv(A, beta, padding=(1, 1, 1, 1), stride=(h_s, w_s))", "Z"),
    ("grad(z[3,2]**2, beta)", "2*z[3,2]*[[a[2,2], a[2,3]], [a[3,2], a[3,3]]]"),
    ("diff(z[3,2]**2, beta)", "transpose(grad(z[3,2]**2, beta))"),
    ("diff(z[3,2], vec(beta))", "[[a[2,2], a[3,2], a[2,3], a[3,3]]]"),
    ("uses(J_K, A)", "1"),
    ("uses(J_K, beta)", "0"),
    ("subs(z[1,1], A, ones(3, 4))", "beta[2,2]"),
]


@pytest.mark.parametrize(("lhs", "rhs"), HOLDS)
def test_true_claims_hold(lhs: str, rhs: str) -> None:
    r = one(lhs, rhs, layout="numerator")  # the seed's layout
    assert r.status == "holds", r.message
    assert r.method in ("exact symbolic", "shapes")


def test_rep2_whole_matrix_matches_an_independent_convolution() -> None:
    """Every entry of Z against the reference loop on symbols."""
    a = np.array([[sp.Symbol(f"a_{{{i}{j}}}", real=True) for j in range(1, 5)] for i in range(1, 4)], dtype=object)
    k = np.array([[sp.Symbol(f"k_{{{i}{j}}}", real=True) for j in range(1, 3)] for i in range(1, 3)], dtype=object)
    ref = reference_conv(a, k, (1, 1), (1, 2))
    text = "[" + ", ".join("[" + ", ".join(_expr_text(e) for e in row) + "]" for row in ref) + "]"
    r = one("Z", text)
    assert r.holds, r.message


def _expr_text(e: sp.Expr) -> str:
    """A reference expression in the claims language (entries a_{pq} -> a[p,q])."""
    return re.sub(r"([a-z])_\{(\d)(\d)\}", r"\1[\2,\3]", sp.sstr(e))


# -- claims that fail, with counterexamples checked independently ------------------------
def _values_for_counterexample(r) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    assert r.counterexample is not None
    return arrays_from(r.counterexample.values, {"a": (3, 4), "k": (2, 2)})


def test_failing_entry_claim_counterexample_is_real() -> None:
    r = one("z[4,1]", "a[3,1]*beta[2,2]")
    assert r.fails and r.method == "exact symbolic"
    assert r.correct == sp.Symbol("a_{31}", real=True) * sp.Symbol("k_{12}", real=True)
    v = _values_for_counterexample(r)
    z = reference_conv(v["a"], v["k"], (1, 1), (1, 2))
    claimed = v["a"][2, 0] * v["k"][1, 1]
    assert z[3, 0] == r.counterexample.lhs
    assert claimed == r.counterexample.rhs
    assert z[3, 0] != claimed


def test_failing_matrix_claim_lists_differing_entries() -> None:
    # the seed's rep.1 with block (4, 1) as drawn: only that entry differs
    rows = [
        "[conv([[0,0],[0,a[1,1]]], beta), conv([[0,0],[a[1,2],a[1,3]]], beta), conv([[0,0],[a[1,4],0]], beta)]",
        "[conv([[0,a[1,1]],[0,a[2,1]]], beta), conv([[a[1,2],a[1,3]],[a[2,2],a[2,3]]], beta), "
        "conv([[a[1,4],0],[a[2,4],0]], beta)]",
        "[conv([[0,a[2,1]],[0,a[3,1]]], beta), conv([[a[2,2],a[2,3]],[a[3,2],a[3,3]]], beta), "
        "conv([[a[2,4],0],[a[3,4],0]], beta)]",
        "[conv([[0,0],[0,a[3,1]]], beta), conv([[a[3,2],a[3,3]],[0,0]], beta), conv([[a[3,4],0],[0,0]], beta)]",
    ]
    r = one("Z", "[" + ", ".join(rows) + "]")
    assert r.fails
    assert r.n_differing == 1
    assert [d.entry for d in r.differing] == [(4, 1)]
    assert r.counterexample is not None and r.counterexample.entry == (4, 1)
    v = _values_for_counterexample(r)
    z = reference_conv(v["a"], v["k"], (1, 1), (1, 2))
    assert z[3, 0] == r.counterexample.lhs != r.counterexample.rhs == v["a"][2, 0] * v["k"][1, 1]


def test_failing_diff_claim() -> None:
    r = one("diff(a[2,2]*beta[1,1] + a[2,3]*A[1,2] + a[3,2]*beta[2,1] + a[3,3]*beta[2,2], A[2,3])", "beta[1,2]")
    assert r.fails
    assert r.correct == sp.Symbol("a_{12}", real=True)
    v = _values_for_counterexample(r)
    assert r.counterexample.lhs == v["a"][0, 1] != v["k"][0, 1] == r.counterexample.rhs


def test_shape_mismatch_fails_with_the_true_value() -> None:
    r = one("shape(Z)", "(3, 4)")
    assert r.fails and r.method == "shapes"
    assert tuple(r.correct.items) == (4, 3)
    r = one("Z", "ones(3, 4)")
    assert r.fails and "different shapes: 4x3 on the left, 3x4 on the right" in r.message


def test_wrong_padding_fails() -> None:
    r = one("Z", "conv(A, beta, padding=(1, 0), stride=(1, 2))")
    assert r.fails and r.method == "shapes"


# -- channels and networks ---------------------------------------------------------------
CHANNELS = {"type": "conv2d", "input": [3, 3], "kernel": [2, 2], "in_channels": 2, "out_channels": 3}


def test_channels_entries_and_jacobians() -> None:
    assert one(
        "z[2,1,1]",
        "sum_for(i, 1, 2, a[i,1,1]*k[2,i,1,1] + a[i,2,1]*k[2,i,2,1] + a[i,1,2]*k[2,i,1,2] + a[i,2,2]*k[2,i,2,2])"
        " + b[2]",
        layer=CHANNELS,
    ).holds
    assert one("Z[3]", "conv(A[1], K[3,1]) + conv(A[2], K[3,2]) + b[3]*ones(2, 2)", layer=CHANNELS).holds
    assert one("J_K(2, 1)", "diff(vec(Z[2]), vec(K[2,1]))", layer=CHANNELS).holds
    assert one("J_A(3, 2)", "diff(vec(Z[3]), vec(A[2]))", layer=CHANNELS).holds
    assert one("J_b(1)", "ones(4, 1)", layer=CHANNELS).holds
    assert one("shape(vec(A))", "(9, 2)", layer=CHANNELS).holds  # the seed's vec of an m x n x c tensor
    assert one("shape(flat(Z))", "(12, 1)", layer=CHANNELS).holds
    assert one("shape(K)", "(3, 2, 2, 2)", layer=CHANNELS).holds
    r = one("J_K", "1", layer=CHANNELS)
    assert r.invalid and r.message == "lhs: J_K takes channel indices: J_K(j, i)"
    r = one("a[1,1]", "1", layer=CHANNELS)
    assert r.invalid and r.message == "lhs: A[1,1] leaves one index open; give row and column"


@pytest.mark.slow(reason="claims over a whole network's derivation, loss gradients included: 4-6 s")
def test_network_names_and_loss_gradients() -> None:
    net, seed = SMALL_NET, "numerator"  # the seed's layout (3.2)
    assert one("shape(A0)", "(2, 4, 4)", network=net).holds
    assert one("shape(Z1[1])", "(h_z1, w_z1)", network=net).holds
    assert one("c1", "2", network=net).holds
    assert one("diff(J, W2)", "transpose(diff(J, Z2)) * transpose(B1)", network=net, layout=seed).holds
    assert one("diff(J, b2)", "diff(J, Z2)", network=net, layout=seed).holds
    assert one("diff(J, vec(A1))", "reshape(diff(J, B1), c1, h_a1*w_a1)", network=net, layout=seed).holds
    # one-hot labels: checked for each class
    assert one("diff(J, Z2)", "transpose(A2 - y)", network=net, layout=seed).holds
    assert one("J_B2", "transpose(W2)", network=net).holds
    assert one("grad(J, K1[1, 2])", "transpose(diff(J, K1[1, 2]))", network=net, layout=seed).holds
    assert one("grad(J, K1[1, 2])", "diff(J, K1[1, 2])", network=net, layout="denominator").holds
    r = one("diff(J, Z2)", "transpose(A2 + y)", network=net, layout=seed)
    assert r.fails and r.counterexample is not None


@pytest.mark.slow(reason="a network claim's counterexample, replayed by a NumPy forward pass: 3-5 s")
def test_network_failing_claim_counterexample_is_consistent() -> None:
    """The counterexample gives every input and parameter; a NumPy forward pass written
    here from the seed's section 2 reproduces the left side's value."""
    r = one("A2[1]", "sigmoid(z2[1])", network=SMALL_NET)
    assert r.fails  # softmax, not sigmoid
    cx = r.counterexample
    assert cx is not None
    values = {str(s): float(v) for s, v in cx.values}
    z = _small_net_logits(values)
    soft = np.exp(z) / np.exp(z).sum()
    assert float(cx.lhs) == pytest.approx(soft[0], rel=1e-12)
    assert float(cx.rhs) == pytest.approx(1 / (1 + np.exp(-z[0])), rel=1e-12)


def _small_net_logits(v: dict[str, float]) -> np.ndarray:
    a0 = np.array([[[v[f"a_{{{c},{p}{q}}}^{{[0]}}"] for q in range(1, 5)] for p in range(1, 5)] for c in (1, 2)])
    k1 = np.array(
        [[[[v[f"k_{{{j},{i},{r}{s}}}^{{[1]}}"] for s in (1, 2)] for r in (1, 2)] for i in (1, 2)] for j in (1, 2)]
    )
    b1 = np.array([v[f"b_{{{j}}}^{{[1]}}"] for j in (1, 2)])
    z1 = np.array(
        [sum(reference_conv(a0[i], k1[j, i], (0, 0), (1, 1)) for i in range(2)).astype(float) + b1[j] for j in range(2)]
    )
    i1 = 1 / (1 + np.exp(-z1))
    a1 = np.array([reference_conv(i1[j], np.full((3, 3), 1 / 9), (0, 0), (1, 1)).astype(float) for j in range(2)])
    b_flat = np.concatenate([a1[j].reshape(-1, order="F") for j in range(2)])
    w2 = np.array([[v[f"w_{{{i}{k}}}^{{[2]}}"] for k in (1, 2)] for i in (1, 2)])
    b2 = np.array([v[f"b_{{{k}}}^{{[2]}}"] for k in (1, 2)])
    return w2.T @ b_flat + b2


def test_maxpool_functions() -> None:
    x = "[[1, 2, 3, 4], [9, 5, 6, 7], [2, 3, 4, 5]]"
    assert one(f"switches({x})[2, 1]", "5", layer=APPENDIX_B).holds
    assert one(f"selected({x})[2, 1]", "2", layer=APPENDIX_B).holds  # I_21 is entry 2 of vec(I)
    assert one(f"mask({x})", f"subs(diff(vec(A), vec(I)), I, {x})", layer=APPENDIX_B).holds
    assert one("shape(Omega)", "(h_l, w_l)", layer=APPENDIX_B).holds
    assert one("vec(window(2, 1))", "[0, 0, 0, I[1,1], I[2,1], I[3,1]]", layer=APPENDIX_B).holds


def test_defines_and_relations() -> None:
    r = one("n + 1", "4", define={"n": "h_a"})
    assert r.holds
    assert one("h_a", "w_a", relation="<").holds
    r = one("w_a", "h_a", relation="<=")
    assert r.fails and r.method == "numbers" and r.correct == 4
    r = one("a[1,1]", "1", relation="<=")
    assert r.invalid and r.message.startswith("'<=' claims compare numbers")


def test_forward_definitions_are_built_only_for_the_layers_a_claim_reaches() -> None:
    """A claim about the last layers of a 16x16x3 network does not expand the convolutions."""
    from symconv.config import load_config
    from symconv.verify.claims import Claim, Part, Subject, check_claim
    from symconv.verify.options import Options

    claim = Claim("c", "diff(J, W3)", "transpose(diff(J, Z3)) * transpose(B2)")
    subject = Subject(Part("", load_config("seed_cnn"), (), (claim,), options=Options(layout="numerator")))
    r = check_claim(claim, subject)
    assert r.holds
    ns = subject.ns
    built = set(ns.graph.defs._done)
    assert built and all(ns.graph.level[s] >= len(ns.network.layers) - 1 for s in built)
