# ruff: noqa: E741 - the seed's name I
"""Generated NumPy modules against independent computations: plain loops written from the
seed (tests/reference_loops.py), central finite differences, the seed's own route through
the core's dense vec Jacobians, and PyTorch where it is installed."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest
import reference_loops as ref
from tools import kernel_plan

import symconv
from symconv.codegen.render import generate
from symconv.config import load_config
from symconv.layers.pool.max_kernel import maxpool_planes, maxpool_windows
from symconv.symbols import vec_order


def load(spec):
    """The generated module of ``spec``, executed from its source (code we generated)."""
    module = types.ModuleType("generated_under_test")
    exec(compile(generate(spec), "<generated>", "exec"), module.__dict__)
    return module


RNG = np.random.default_rng(1234)

# layer x stride x padding x channels x shape, with the edge cases of DESIGN.md
CONVS = [
    # input, kernel, padding (t,b,l,r), stride, dilation, cin, cout
    pytest.param((3, 4), (2, 2), (1, 1, 1, 1), (1, 2), (1, 1), 1, 1, id="appendix-a"),
    pytest.param((5, 5), (1, 1), (0, 0, 0, 0), (1, 1), (1, 1), 2, 3, id="1x1-kernel"),
    pytest.param((3, 3), (5, 5), (1, 1, 1, 1), (1, 1), (1, 1), 1, 2, id="kernel-as-large-as-padded-input"),
    pytest.param((7, 6), (2, 2), (0, 0, 0, 0), (3, 3), (1, 1), 2, 2, id="stride-larger-than-kernel"),
    pytest.param((6, 7), (3, 3), (2, 1, 0, 2), (2, 1), (1, 1), 3, 2, id="per-side-padding"),
    pytest.param((8, 7), (3, 2), (1, 1, 2, 0), (1, 2), (2, 3), 2, 2, id="dilation"),
    pytest.param((1, 1), (3, 3), (1, 1, 1, 1), (1, 1), (1, 1), 1, 1, id="kernel-rows-all-padding"),
]


@pytest.mark.parametrize(("inp", "kernel", "pad", "stride", "dil", "cin", "cout"), CONVS)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_matches_reference_loops(inp, kernel, pad, stride, dil, cin, cout, bias):
    spec = symconv.Conv2D(
        input=inp,
        kernel=kernel,
        padding=pad,
        stride=stride,
        dilation=dil,
        in_channels=cin,
        out_channels=cout,
        bias=bias,
    )
    m = load(spec)
    A = RNG.standard_normal((2, cin, *inp))
    K = RNG.standard_normal((cout, cin, *kernel))
    b = RNG.standard_normal(cout) if bias else None
    Z = m.forward(A, K, b) if bias else m.forward(A, K)
    Z_ref = ref.conv_forward(A, K, b, pad, stride, dil)
    np.testing.assert_allclose(Z, Z_ref, rtol=1e-12, atol=1e-12)
    dZ = RNG.standard_normal(Z.shape)
    got = m.backward(dZ, A, K)
    dA, dK, db = ref.conv_backward(dZ, A, K, pad, stride, dil)
    np.testing.assert_allclose(got[0], dA, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[1], dK, rtol=1e-12, atol=1e-12)
    if bias:
        np.testing.assert_allclose(got[2], db, rtol=1e-12, atol=1e-12)
    else:
        assert len(got) == 2


def test_appendix_a_exact_on_integers():
    """Convolution is bilinear: a central difference with step 1 on integer data is exact,
    and rep.2's z_11 = a_11 β_22 (padding 1) holds."""
    spec = load_config("appendix_a")
    m = load(spec)
    A = RNG.integers(-5, 6, size=(1, 1, 3, 4)).astype(np.float64)
    K = RNG.integers(-5, 6, size=(1, 1, 2, 2)).astype(np.float64)
    Z = m.forward(A, K)
    assert Z.shape == (1, 1, 4, 3)
    assert Z[0, 0, 0, 0] == A[0, 0, 0, 0] * K[0, 0, 1, 1]
    G = RNG.integers(-3, 4, size=Z.shape).astype(np.float64)
    dA, dK = m.backward(G, A, K)
    for target, grad, which in ((A, dA, 0), (K, dK, 1)):
        for idx in np.ndindex(*target.shape):
            plus, minus = target.copy(), target.copy()
            plus[idx] += 1.0
            minus[idx] -= 1.0
            args_p = (plus, K) if which == 0 else (A, plus)
            args_m = (minus, K) if which == 0 else (A, minus)
            exact = (np.sum(G * m.forward(*args_p)) - np.sum(G * m.forward(*args_m))) / 2.0
            assert grad[idx] == exact


def test_conv_seed_route_through_dense_vec_jacobians():
    """dJ/dvK_{j,i} = dJ/dvZ_j · dvZ_j/dvK_{j,i} with the core's VecJacobian made dense."""
    spec = symconv.Conv2D(
        input=(5, 4), kernel=(2, 3), padding=(1, 0, 1, 1), stride=(2, 1), in_channels=2, out_channels=3
    )
    d = symconv.derive(spec)
    m = load(spec)
    A = RNG.standard_normal((1, 2, 5, 4))
    K = RNG.standard_normal((3, 2, 2, 3))
    b = RNG.standard_normal(3)
    dZ = RNG.standard_normal(m.forward(A, K, b).shape)
    dA, dK, db = m.backward(dZ, A, K)
    env = d.env(vec_order(A[0]), {"K": vec_order(K), "b": b})
    for j in range(3):
        g = vec_order(dZ[0, j])  # dJ/dvZ_j, a row
        for i in range(2):
            dvk = g @ d.jacobian("K", j=j, i=i).to_numpy(env)
            np.testing.assert_allclose(vec_order(dK[j, i]), dvk, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(db[j], (g @ d.jacobian("b", j=j).to_numpy(env))[0], rtol=1e-12)
    for i in range(2):
        dva = sum(vec_order(dZ[0, j]) @ d.jacobian("A", j=j, i=i).to_numpy(env) for j in range(3))
        np.testing.assert_allclose(vec_order(dA[0, i]), dva, rtol=1e-12, atol=1e-12)


POOLS = [
    # input, window, padding, stride, dilation
    pytest.param((3, 4), (3, 2), (1, 1, 1, 1), (1, 2), (1, 1), id="appendix-b"),
    pytest.param((8, 8), (2, 2), (0, 0, 0, 0), (2, 2), (1, 1), id="non-overlapping"),
    pytest.param((7, 9), (3, 3), (1, 1, 1, 1), (2, 2), (1, 1), id="overlapping"),
    pytest.param((6, 7), (2, 3), (1, 0, 2, 1), (3, 1), (1, 1), id="per-side-padding"),
    pytest.param((9, 8), (2, 2), (1, 1, 0, 1), (1, 2), (2, 3), id="dilation"),
    pytest.param((5, 5), (1, 1), (0, 0, 0, 0), (2, 2), (1, 1), id="stride-larger-than-window"),
    pytest.param((20, 19), (17, 16), (1, 0, 2, 1), (2, 3), (1, 1), id="window-past-255-entries"),
]


@pytest.mark.parametrize(("inp", "window", "pad", "stride", "dil"), POOLS)
@pytest.mark.parametrize("pad_value", [0.0, -math.inf])
def test_maxpool_matches_reference_loops(inp, window, pad, stride, dil, pad_value):
    spec = symconv.MaxPool2D(
        input=inp, window=window, padding=pad, stride=stride, dilation=dil, channels=2, pad_value=pad_value
    )
    m = load(spec)
    # integers in a small range: many deliberate ties, and negative maxima next to zero padding
    I = RNG.integers(-3, 2, size=(3, 2, *inp)).astype(np.float64)
    A, switches = m.forward(I)
    A_ref, sw_ref = ref.maxpool_forward(I, window, pad, stride, dil, pad_value)
    np.testing.assert_array_equal(A, A_ref)
    np.testing.assert_array_equal(switches, sw_ref)
    d = symconv.derive(spec)
    np.testing.assert_array_equal(switches[1], d.switches(I[1]))
    dA = RNG.standard_normal(A.shape)
    np.testing.assert_allclose(
        m.backward(dA, switches), ref.maxpool_backward(dA, sw_ref, I.shape, window, pad, stride, dil)
    )


@pytest.mark.parametrize(("inp", "window", "pad", "stride", "dil"), POOLS)
def test_maxpool_sweeps_agree_with_argmax_over_the_windows(inp, window, pad, stride, dil):
    """The forward pass's two sweeps (rows, then columns) against ``maxpool_windows``, np.argmax
    over every window's vΩ; with NaN in the input, a window holding one takes its first NaN, as
    the core's switches (np.argmax) do."""
    spec = symconv.MaxPool2D(input=inp, window=window, padding=pad, stride=stride, dilation=dil, channels=2)
    m, d, plan = load(spec), symconv.derive(spec), kernel_plan(spec)
    I = RNG.integers(-2, 2, size=(3, 2, *inp)).astype(np.float64)
    A, switches = m.forward(I)
    A_argmax, sw_argmax = maxpool_windows(maxpool_planes(I, plan), 3, plan)
    np.testing.assert_array_equal(A, A_argmax)
    np.testing.assert_array_equal(switches, sw_argmax)
    clean = I.copy()
    for _ in range(100):  # until a NaN lands in a window (a stride above the window skips entries)
        I = clean.copy()
        I.reshape(-1)[RNG.choice(I.size, size=4, replace=False)] = np.nan
        holds_nan = np.array([np.isnan(d.window_values(I[k])).any(axis=-1) for k in range(3)])
        if holds_nan.any():
            break
    assert holds_nan.any()
    A, switches = m.forward(I)
    np.testing.assert_array_equal(np.isnan(A), holds_nan)
    for k in range(3):
        np.testing.assert_array_equal(switches[k], d.switches(I[k]))


def test_maxpool_ties_go_to_the_first_maximum_in_column_major_order():
    spec = symconv.MaxPool2D(input=(2, 2), window=(2, 2), channels=1)
    m = load(spec)
    I = np.array([[[[5.0, 5.0], [5.0, 5.0]]], [[[1.0, 7.0], [7.0, 2.0]]]])
    A, switches = m.forward(I)
    assert switches.tolist() == [[[[1]]], [[[2]]]]  # vΩ = [I11, I21, I12, I22]: I21 comes before I12
    dI = m.backward(np.ones_like(A), switches)
    assert dI[0, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]]
    assert dI[1, 0].tolist() == [[0.0, 0.0], [1.0, 0.0]]


def test_maxpool_padding_maximum_routes_nowhere():
    """Appendix B with all inputs negative: the zero padding wins, so that gradient is dropped."""
    m = load(load_config("appendix_b"))
    I = -1.0 - RNG.random((1, 1, 3, 4))
    A, switches = m.forward(I)
    assert A[0, 0, 0, 0] == 0.0 and switches[0, 0, 0, 0] == 1  # max{0, 0, 0, 0, I11, I21}: first zero
    dI = m.backward(np.ones_like(A), switches)
    np.testing.assert_array_equal(
        dI, ref.maxpool_backward(np.ones_like(A), switches, I.shape, (3, 2), (1, 1, 1, 1), (1, 2))
    )


@pytest.mark.parametrize(("inp", "window", "pad", "stride", "dil"), POOLS)
def test_avgpool_matches_reference_loops(inp, window, pad, stride, dil):
    spec = symconv.AvgPool2D(input=inp, window=window, padding=pad, stride=stride, dilation=dil, channels=2)
    m = load(spec)
    I = RNG.standard_normal((2, 2, *inp))
    A = m.forward(I)
    np.testing.assert_allclose(A, ref.avgpool_forward(I, window, pad, stride, dil), rtol=1e-12, atol=1e-14)
    dA = RNG.standard_normal(A.shape)
    np.testing.assert_allclose(
        m.backward(dA), ref.avgpool_backward(dA, I.shape, window, pad, stride, dil), rtol=1e-12, atol=1e-14
    )


@pytest.mark.parametrize("kind", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("image", [True, False])
def test_activation_matches_reference_loops(kind, image):
    cls = {"relu": symconv.ReLU, "sigmoid": symconv.Sigmoid, "tanh": symconv.Tanh}[kind]
    spec = cls(input=(3, 4), channels=2) if image else cls(features=7)
    m = load(spec)
    Z = RNG.standard_normal((3, *spec.in_shape)) * 3
    np.testing.assert_allclose(m.forward(Z), ref.activation_forward(kind, Z), rtol=1e-13, atol=1e-15)
    dI = RNG.standard_normal(Z.shape)
    np.testing.assert_allclose(m.backward(dI, Z), ref.activation_backward(kind, dI, Z), rtol=1e-12, atol=1e-15)
    jac = m.jacobians(Z[0])
    d = symconv.derive(spec)
    env = d.env(vec_order(Z[0]), {})
    for (wrt, j), value in jac.items():
        np.testing.assert_allclose(value, d.jacobian(wrt, j=j).to_numpy(env), rtol=1e-12, atol=1e-15)


def test_activation_extremes_stay_finite():
    m = load(symconv.Sigmoid(features=4))
    Z = np.array([[-1000.0, -50.0, 50.0, 1000.0]])
    assert np.all(np.isfinite(m.forward(Z))) and np.all(np.isfinite(m.backward(np.ones_like(Z), Z)))


def test_flatten_and_dense_match_reference_loops():
    flat = load(symconv.Flatten(input=(3, 2), channels=2))
    A = RNG.standard_normal((2, 2, 3, 2))
    B = flat.forward(A)
    np.testing.assert_array_equal(B, ref.flatten_forward(A))
    np.testing.assert_array_equal(flat.backward(B), A)
    dense = load(symconv.Dense(in_features=12, out_features=5))
    W = RNG.standard_normal((12, 5))
    b = RNG.standard_normal(5)
    np.testing.assert_allclose(dense.forward(B, W, b), ref.dense_forward(B, W, b), rtol=1e-12)
    dZ = RNG.standard_normal((2, 5))
    for got, want in zip(dense.backward(dZ, B, W), ref.dense_backward(dZ, B, W), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_softmax_cross_entropy_matches_reference_loops():
    m = load(symconv.SoftmaxCrossEntropy(classes=5))
    Z = RNG.standard_normal((4, 5)) * 4
    labels = np.array([0, 4, 2, 2])
    A_ref, J_ref, dZ_ref = ref.softmax_ce(Z, labels)
    A = m.forward(Z)
    np.testing.assert_allclose(A, A_ref, rtol=1e-13)
    np.testing.assert_allclose(m.loss(Z, labels), J_ref, rtol=1e-13)
    np.testing.assert_allclose(m.backward(A, labels), dZ_ref, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="class indices"):
        m.loss(Z, np.array([0, 5, 1, 1]))


@pytest.mark.parametrize("kind", ["conv", "maxpool", "avgpool", "dense"])
def test_float32_kept_and_close(kind):
    specs = {
        "conv": symconv.Conv2D(
            input=(6, 5), kernel=(3, 2), padding=(1, 1), stride=(1, 2), in_channels=2, out_channels=3
        ),
        "maxpool": symconv.MaxPool2D(input=(6, 5), window=(2, 2), padding=(1, 1), stride=(2, 2), channels=2),
        "avgpool": symconv.AvgPool2D(input=(6, 5), window=(3, 2), stride=(1, 1), channels=2),
        "dense": symconv.Dense(in_features=6, out_features=4),
    }
    spec = specs[kind]
    m = load(spec)
    x = RNG.standard_normal((3, *spec.in_shape))
    params = [RNG.standard_normal(t.shape) for t in symconv.derive(spec).params.values()]
    out64 = m.forward(x, *params)
    out32 = m.forward(x.astype(np.float32), *[p.astype(np.float32) for p in params])
    y64, y32 = (out64[0], out32[0]) if kind == "maxpool" else (out64, out32)
    assert y32.dtype == np.float32
    # float32 tolerance: 1e-5 relative to the largest entry (measured errors are ~1e-7)
    np.testing.assert_allclose(y32, y64, rtol=0, atol=1e-5 * np.abs(y64).max())
    g = RNG.standard_normal(y64.shape)
    if kind == "maxpool":
        back64, back32 = (m.backward(g, out64[1]),), (m.backward(g.astype(np.float32), out32[1]),)
    elif kind == "avgpool":
        back64, back32 = (m.backward(g),), (m.backward(g.astype(np.float32)),)
    else:
        back64 = m.backward(g, x, params[0])
        back32 = m.backward(g.astype(np.float32), x.astype(np.float32), params[0].astype(np.float32))
    for a32, a64 in zip(back32, back64, strict=True):
        assert a32.dtype == np.float32
        np.testing.assert_allclose(a32, a64, rtol=0, atol=1e-5 * np.abs(a64).max())


def test_jacobians_refuse_beyond_the_limit():
    m = load(symconv.Conv2D(input=(64, 64), kernel=(4, 4), padding=(1, 1), in_channels=1, out_channels=1))
    with pytest.raises(ValueError, match="JACOBIAN_LIMIT"):
        m.jacobians(np.zeros((1, 64, 64)), np.zeros((1, 1, 4, 4)))


# -- networks ---------------------------------------------------------------------------------

SMALL_NET = symconv.Network(
    input=(6, 5),
    channels=2,
    layers=(
        symconv.Conv2D(kernel=(3, 3), padding=(1, 1), out_channels=3),
        symconv.Tanh(),
        symconv.MaxPool2D(window=(2, 2), padding=(1, 0, 1, 0), stride=(2, 2), pad_value=-math.inf),
        symconv.Conv2D(kernel=(2, 2), stride=(1, 1), out_channels=2, bias=False),
        symconv.Sigmoid(),
        symconv.AvgPool2D(window=(2, 1), stride=(1, 1)),
        symconv.Flatten(),
        symconv.Dense(out_features=4),
        symconv.ReLU(),
        symconv.Dense(out_features=3),
        symconv.SoftmaxCrossEntropy(),
    ),
)


def test_network_matches_reference_loops():
    m = load(SMALL_NET)
    params = m.init_params(seed=1)
    params = {k: v + 0.05 * RNG.standard_normal(v.shape) for k, v in params.items()}
    X = RNG.standard_normal((3, 2, 6, 5))
    labels = np.array([0, 2, 1])
    J, grads = m.loss_and_gradients(X, labels, params)
    layers = SMALL_NET.config()["layers"]
    J_ref, grads_ref = ref.network_loss_and_gradients(layers, X, labels, params)
    np.testing.assert_allclose(J, J_ref, rtol=1e-12)
    assert sorted(grads) == sorted(grads_ref) == sorted(params)
    for key in params:
        np.testing.assert_allclose(grads[key], grads_ref[key], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("net", ["seed_cnn", "small"])
def test_loss_falls_over_sgd_steps(net):
    spec = load_config("seed_cnn") if net == "seed_cnn" else SMALL_NET
    m = load(spec)
    rng = np.random.default_rng(5)
    X = rng.standard_normal((16, *spec.in_shape))
    labels = rng.integers(0, spec.out_shape[0], size=16)
    params = m.init_params(seed=0)
    losses = []
    for _ in range(8):
        J, grads = m.loss_and_gradients(X, labels, params)
        losses.append(float(J))
        m.sgd_step(params, grads, 0.1)
    assert losses[-1] < losses[0] * 0.9, losses
    assert all(np.isfinite(losses))


def test_network_gradients_match_the_core_seed_route():
    spec = load_config("seed_cnn")
    net = symconv.derive(spec)
    m = load(spec)
    params = m.init_params(seed=2)
    params = {k: v + 0.1 * RNG.standard_normal(v.shape) for k, v in params.items()}
    X = RNG.standard_normal((1, *spec.in_shape))
    J, grads = m.loss_and_gradients(X, np.array([3]), params)
    J_core, grads_core = net.gradients(X[0], 3, params)
    np.testing.assert_allclose(J, J_core, rtol=1e-12)
    for key, value in grads_core.items():
        np.testing.assert_allclose(grads[key], value, rtol=1e-10, atol=1e-14)


# -- PyTorch, where installed -----------------------------------------------------------------


def test_cross_check_against_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    spec = symconv.Conv2D(
        input=(9, 8), kernel=(3, 2), padding=(1, 2, 0, 1), stride=(2, 1), dilation=(1, 2), in_channels=3, out_channels=4
    )
    m = load(spec)
    A, K, b = RNG.standard_normal((2, 3, 9, 8)), RNG.standard_normal((4, 3, 3, 2)), RNG.standard_normal(4)
    At, Kt, bt = (torch.tensor(v, requires_grad=True) for v in (A, K, b))
    Zt = F.conv2d(F.pad(At, (0, 1, 1, 2)), Kt, bt, stride=(2, 1), dilation=(1, 2))
    dZ = RNG.standard_normal(tuple(Zt.shape))
    Zt.backward(torch.tensor(dZ))
    np.testing.assert_allclose(m.forward(A, K, b), Zt.detach().numpy(), rtol=1e-12, atol=1e-12)
    for got, want in zip(m.backward(dZ, A, K), (At.grad, Kt.grad, bt.grad), strict=True):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)
    pool = load(
        symconv.MaxPool2D(input=(9, 8), window=(3, 3), padding=(1, 1), stride=(2, 2), channels=3, pad_value=-math.inf)
    )
    It = torch.tensor(A, requires_grad=True)
    Pt = F.max_pool2d(It, 3, 2, padding=1)
    Pt.backward(torch.ones_like(Pt))
    P, sw = pool.forward(A)
    np.testing.assert_array_equal(P, Pt.detach().numpy())
    np.testing.assert_array_equal(pool.backward(np.ones_like(P), sw), It.grad.numpy())
    avg = load(symconv.AvgPool2D(input=(9, 8), window=(3, 3), padding=(1, 1), stride=(2, 2), channels=3))
    It = torch.tensor(A, requires_grad=True)
    Pt = F.avg_pool2d(It, 3, 2, padding=1)  # count_include_pad: P is 1/9 everywhere, as in the seed
    Pt.backward(torch.ones_like(Pt))
    np.testing.assert_allclose(avg.forward(A), Pt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(avg.backward(np.ones_like(P)), It.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("n", [0, 1, 5])
def test_any_batch_size(n):
    """Chunked passes (conv), sink slots (padded max-pool) and tiling (avg-pool) for any N."""
    conv = load(symconv.Conv2D(input=(5, 6), kernel=(3, 2), padding=(1, 1), in_channels=2, out_channels=3))
    A, K, b = RNG.standard_normal((n, 2, 5, 6)), RNG.standard_normal((3, 2, 3, 2)), RNG.standard_normal(3)
    Z = conv.forward(A, K, b)
    assert Z.shape == (n, 3, 5, 7)
    dA, dK, db = conv.backward(np.ones_like(Z), A, K)
    assert dA.shape == A.shape and dK.shape == K.shape and db.shape == (3,)
    if n:
        np.testing.assert_allclose(Z, ref.conv_forward(A, K, b, (1, 1, 1, 1), (1, 1)), rtol=1e-12, atol=1e-12)
    for spec in (
        symconv.MaxPool2D(input=(6, 6), window=(3, 3), padding=(1, 1), stride=(2, 2)),
        symconv.AvgPool2D(input=(6, 6), window=(2, 2)),
    ):
        m = load(spec)
        x = RNG.standard_normal((n, 1, 6, 6))
        out = m.forward(x)
        y, sw = out if isinstance(out, tuple) else (out, None)
        dx = m.backward(np.ones_like(y), sw) if sw is not None else m.backward(np.ones_like(y))
        assert dx.shape == x.shape
