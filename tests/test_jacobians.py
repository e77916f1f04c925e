"""Every vec Jacobian equals SymPy's own ``Matrix.jacobian`` of the column-major vec of an
independently written forward pass, exactly, over a table of shapes."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from seed_reference import correlate, vec
from tools import conv_spec

import symconv as sc
from symconv.registry import LAYER_TYPES

# input, kernel, padding (t, b, l, r), stride, dilation, in, out[, groups]
CONV_TABLE: dict[str, tuple] = {
    "seed-appendix-a": ((3, 4), (2, 2), (1, 1, 1, 1), (1, 2), (1, 1), 1, 1),
    "stride1-nopad": ((4, 4), (3, 3), (0, 0, 0, 0), (1, 1), (1, 1), 1, 1),
    "stride2-sym-pad": ((5, 5), (3, 3), (1, 1, 1, 1), (2, 2), (1, 1), 1, 1),
    "asymmetric-pad": ((4, 3), (2, 3), (0, 2, 1, 0), (1, 1), (1, 1), 1, 1),
    "1x1-kernel": ((3, 4), (1, 1), (0, 0, 0, 0), (1, 1), (1, 1), 1, 1),
    "1x1-kernel-padded-strided": ((3, 3), (1, 1), (1, 0, 0, 1), (2, 1), (1, 1), 1, 1),
    "kernel-as-large-as-padded-input": ((2, 3), (4, 3), (1, 1, 0, 0), (1, 1), (1, 1), 1, 1),
    "stride-larger-than-kernel": ((7, 6), (2, 2), (0, 0, 0, 0), (3, 4), (1, 1), 1, 1),
    "overlapping-windows": ((5, 4), (3, 3), (1, 1, 1, 1), (1, 1), (1, 1), 1, 1),
    "dilation": ((6, 5), (2, 2), (1, 0, 0, 1), (1, 2), (2, 2), 1, 1),
    "channels-2-to-3": ((3, 3), (2, 2), (1, 0, 1, 0), (1, 1), (1, 1), 2, 3),
    "channels-3-to-2-strided": ((4, 5), (3, 2), (1, 1, 0, 2), (2, 3), (1, 1), 3, 2),
    "groups-2-of-4-to-6": ((3, 3), (2, 2), (1, 0, 1, 0), (1, 1), (1, 1), 4, 6, 2),
    "depthwise-3-strided-dilated": ((4, 5), (2, 2), (1, 1, 0, 1), (2, 1), (1, 2), 3, 3, 3),
    "groups-2-channel-multiplier": ((3, 2), (2, 1), (0, 1, 0, 0), (1, 1), (1, 1), 2, 4, 2),
}


def groups_of(name: str) -> int:
    return CONV_TABLE[name][7] if len(CONV_TABLE[name]) > 7 else 1


def conv_case(name: str) -> sc.Conv2D:
    return conv_spec(*CONV_TABLE[name][:7], groups_of(name))


@pytest.fixture(params=sorted(CONV_TABLE))
def conv(request) -> tuple[sc.Conv2D, object]:
    spec = conv_case(request.param)
    return spec, sc.derive(spec)


def kernel_channels(spec: sc.Conv2D) -> list[list[int]]:
    """For each kernel j, the input channel each of its channels meets (PyTorch's groups:
    kernel j is in group j // (C_out / groups), which holds C_in / groups input channels)."""
    cg, per = spec.in_channels // spec.groups, spec.out_channels // spec.groups
    return [[(j // per) * cg + c for c in range(cg)] for j in range(spec.out_channels)]


def independent_z(spec: sc.Conv2D, d) -> list[sp.Matrix]:
    """Z_j = sum_i A_i * K_{j,i} + b_j 1, with the test's own loops (seed_reference); with
    groups, the sum runs over kernel j's channels, each meeting its group's input channel."""
    out = []
    for j, channels in enumerate(kernel_channels(spec)):
        z = sp.zeros(*spec.geometry.output)
        for c, i in enumerate(channels):
            z += correlate(d.input.matrix(i), d.kernel.matrix(j, c), spec.padding, spec.stride, spec.dilation)
        out.append(z + sp.ones(*z.shape) * d.bias.flat[j])
    return out


def test_forward_matches_independent_loops(conv):
    spec, d = conv
    assert [sp.Matrix(z) for z in d.Z] == independent_z(spec, d)


def test_kernel_input_and_bias_jacobians_are_sympys(conv):
    spec, d = conv
    zs = independent_z(spec, d)
    for j in range(spec.out_channels):
        vz = vec(zs[j])
        for c in range(spec.in_channels // spec.groups):
            k_vec = sp.Matrix(d.kernel.vec(j, c))
            assert d.jacobian("K", j=j, i=c).to_matrix() == vz.jacobian(k_vec)
        for i in range(spec.in_channels):  # with groups, zero outside kernel j's group
            a_vec = sp.Matrix(d.input.vec(i))
            assert d.jacobian("A", j=j, i=i).to_matrix() == vz.jacobian(a_vec)
        assert d.jacobian("b", j=j).to_matrix() == vz.jacobian(sp.Matrix([d.bias.flat[j]]))


def test_full_jacobians_stack_the_channel_blocks(conv):
    spec, d = conv
    vz = sp.Matrix([e for z in independent_z(spec, d) for e in vec(z)])
    assert d.full_jacobian("K").to_matrix() == vz.jacobian(sp.Matrix(d.kernel.flat))
    assert d.full_jacobian("A").to_matrix() == vz.jacobian(sp.Matrix(d.input.flat))
    assert d.full_jacobian("b").to_matrix() == vz.jacobian(sp.Matrix(d.bias.flat))


def test_columns_built_as_the_appendix_builds_them(conv):
    """eq.a1-3: column (r, s) of dvZ/dvK is vec(A * dK/dK_rs); eq.a2-3 likewise for A."""
    spec, d = conv
    hk, wk = spec.kernel
    h, w = spec.input
    for j in range(spec.out_channels):
        for c in range(spec.in_channels // spec.groups):
            jk = d.jacobian("K", j=j, i=c).to_matrix()
            for s in range(wk):
                for r in range(hk):
                    assert d.column("K", r, s, j=j, i=c) == jk[:, s * hk + r]
        for i in range(spec.in_channels):
            ja = d.jacobian("A", j=j, i=i).to_matrix()
            for s in range(w):
                for r in range(h):
                    assert d.column("A", r, s, j=j, i=i) == ja[:, s * h + r]


def test_nonzero_count_is_the_number_of_window_entries_inside_the_input(conv):
    """Counted independently: for every output and kernel position, whether the entry the
    (dilated, strided) window puts there lies inside the unpadded input."""
    spec, d = conv
    (h, w), (hk, wk) = spec.input, spec.kernel
    t, _, left, _ = spec.padding
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    hz, wz = spec.geometry.output
    inside = sum(
        1
        for p in range(hz)
        for q in range(wz)
        for r in range(hk)
        for s in range(wk)
        if 0 <= p * sh + r * dh - t < h and 0 <= q * sw + s * dw - left < w
    )
    jk, ja = d.jacobian("K"), d.jacobian("A")
    assert jk.nnz == inside
    assert ja.nnz == inside
    assert sum(1 for e in jk.to_matrix() if e != 0) == inside


def test_kernel_jacobian_does_not_depend_on_j():
    """3.1.5: dvZ_j/dvK_{j,i} depends on A_i only."""
    d = sc.derive(conv_case("channels-2-to-3"))
    for i in range(2):
        first = d.jacobian("K", j=0, i=i).to_matrix()
        assert all(d.jacobian("K", j=j, i=i).to_matrix() == first for j in range(3))


def test_no_bias_layer_has_no_bias_jacobian():
    d = sc.derive(sc.Conv2D(input=(3, 3), kernel=2, bias=False))
    assert d.b == [0]
    with pytest.raises(sc.SpecError, match="no bias"):
        d.jacobian("b")


@pytest.mark.parametrize(
    ("inp", "window", "padding", "stride", "channels"),
    [
        ((3, 4), (3, 2), (1, 1, 1, 1), (1, 2), 1),
        ((4, 4), (2, 2), (0, 0, 0, 0), (2, 2), 2),
        ((5, 3), (3, 2), (1, 0, 0, 1), (1, 1), 1),
        ((3, 3), (1, 1), (0, 0, 0, 0), (2, 1), 1),
    ],
)
def test_avgpool_jacobian_is_convolution_with_p(inp, window, padding, stride, channels):
    """3.1.3: A_j = I_j * P with P all 1/(h_l w_l), padded entries counted as zeros."""
    spec = sc.AvgPool2D(input=inp, window=window, padding=padding, stride=stride, channels=channels)
    d = sc.derive(spec)
    p = sp.ones(*window) / (window[0] * window[1])
    for j in range(channels):
        a = correlate(d.input.matrix(j), p, padding, stride)
        assert sp.Matrix(d.A[j]) == a
        assert d.jacobian("I", j=j).to_matrix() == vec(a).jacobian(sp.Matrix(d.input.vec(j)))
    h, w = inp
    ji = d.jacobian("I").to_matrix()
    for s in range(w):
        for r in range(h):
            assert d.column(r, s) == ji[:, s * h + r]


@pytest.mark.parametrize("kind", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("shape", [{"input": (2, 3), "channels": 2}, {"features": 4}])
def test_activation_jacobian_is_the_diagonal_of_sympys(kind, shape):
    """3.1.4: d vI_j / d vZ_j = diag(f'(z)) channel by channel."""
    spec = LAYER_TYPES[kind](**shape)
    d = sc.derive(spec)
    f = {
        "relu": lambda x: sp.Piecewise((x, x > 0), (0, True)),
        "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
        "tanh": sp.tanh,
    }[kind]
    channels = shape.get("channels", 1)
    n = d.input.size // channels
    for j in range(channels):
        z = d.input.flat[j * n : (j + 1) * n]
        expected = sp.Matrix([f(x) for x in z]).jacobian(sp.Matrix(z))
        assert d.jacobian("Z", j=j).to_matrix() == expected


def test_relu_derivative_is_zero_at_zero_like_pytorch():
    d = sc.derive(sc.ReLU(features=3))
    env = {z: v for z, v in zip(d.input.flat, [-1.0, 0.0, 2.0], strict=True)}
    assert np.diag(d.jacobian("Z").to_numpy(env)).tolist() == [0.0, 0.0, 1.0]


def test_dense_jacobians_are_sympys():
    """3.1.1: Z = W^T B + b."""
    d = sc.derive(sc.Dense(in_features=3, out_features=2))
    w = sp.Matrix(3, 2, lambda i, k: d.weights.entry(i, k))
    b = sp.Matrix(d.bias.flat)
    z = w.T * sp.Matrix(d.input.flat) + b
    assert sp.Matrix(d.Z) == z
    assert d.jacobian("B").to_matrix() == z.jacobian(sp.Matrix(d.input.flat)) == w.T
    assert d.jacobian("W").to_matrix() == z.jacobian(vec(w))
    assert d.jacobian("b").to_matrix() == sp.eye(2)


def test_softmax_jacobian_and_loss_gradient():
    """3.1.1: dJ/dZ = dJ/dA dA/dZ = (a - y)^T for a one-hot y."""
    d = sc.derive(sc.SoftmaxCrossEntropy(classes=3))
    softmax = sp.Matrix(d.softmax)
    expected = softmax.jacobian(sp.Matrix(d.input.flat))
    subs = dict(zip(d.output.flat, d.softmax, strict=True))
    ours = d.jacobian("Z").to_matrix().xreplace(subs)
    assert sp.simplify(ours - expected) == sp.zeros(3, 3)
    loss = d.loss(d.softmax)
    grad = sp.Matrix([[sp.diff(loss, z) for z in d.input.flat]])
    chain = sp.Matrix([d.loss_gradient()]).xreplace(subs) * expected
    assert sp.simplify(grad - chain) == sp.zeros(1, 3)
    onehot = {d.labels.flat[0]: 0, d.labels.flat[1]: 1, d.labels.flat[2]: 0}
    assert sp.simplify(chain.xreplace(onehot) - (softmax - sp.Matrix([0, 1, 0])).T) == sp.zeros(1, 3)


def test_flatten_stacks_channel_vecs():
    """3.1.2: B = [vec(A_1); vec(A_2)]."""
    d = sc.derive(sc.Flatten(input=(2, 3), channels=2))
    expected = [e for j in range(2) for e in vec(d.input.matrix(j))]
    assert d.output.flat == expected
    assert d.jacobian("A").to_matrix() == sp.eye(12)


def test_large_layer_is_stored_by_nonzeros_only():
    """A 64x64 input with 4x4 kernels: the Jacobians hold h_z w_z h_k w_k entries,
    not h_z w_z x h_a w_a."""
    d = sc.derive(sc.Conv2D(input=(64, 64), kernel=4, padding=(1, 2, 1, 2)))
    jk, ja = d.jacobian("K"), d.jacobian("A")
    assert ja.shape == (4096, 4096)
    inside = sum((min(p + 2, 63) - max(p - 1, 0) + 1) for p in range(64)) ** 2
    assert jk.nnz == ja.nnz == inside
    assert ja.rows.nbytes < 1_000_000


def test_appendix_a_comes_out_as_printed_in_the_seed():
    """Appendix A's rep.2, written here from the seed's text (β_rs is our k_rs), and
    eq.a1-2 / eq.a2-2: dz_32/dβ_21 = a_32, dz_32/dA_23 = β_12."""
    from symconv.config import load_config

    d = sc.derive(load_config("appendix_a"))
    a = {f"{r}{c}": d.input.entry(0, r - 1, c - 1) for r in range(1, 4) for c in range(1, 5)}
    k = {f"{r}{s}": d.kernel.entry(0, 0, r - 1, s - 1) for r in (1, 2) for s in (1, 2)}
    seed_rep2 = [
        [a["11"] * k["22"], a["12"] * k["21"] + a["13"] * k["22"], a["14"] * k["21"]],
        [
            a["11"] * k["12"] + a["21"] * k["22"],
            a["12"] * k["11"] + a["13"] * k["12"] + a["22"] * k["21"] + a["23"] * k["22"],
            a["14"] * k["11"] + a["24"] * k["21"],
        ],
        [
            a["21"] * k["12"] + a["31"] * k["22"],
            a["22"] * k["11"] + a["23"] * k["12"] + a["32"] * k["21"] + a["33"] * k["22"],
            a["24"] * k["11"] + a["34"] * k["21"],
        ],
        [a["31"] * k["12"], a["32"] * k["11"] + a["33"] * k["12"], a["34"] * k["11"]],
    ]
    assert d.output_shape == (4, 3)
    assert sp.Matrix(d.Z[0]) == sp.Matrix(seed_rep2)
    # row of z_32 in vec(Z) is (2 - 1) * 4 + 3 = 7th (0-based 6); column of k_21 in vec(K) is 2nd
    assert d.jacobian("K")[6, 1] == a["32"]
    # column of A_23 in vec(A) is (3 - 1) * 3 + 2 = 8th (0-based 7)
    assert d.jacobian("A")[6, 7] == k["12"]
    # dZ/dβ_21 = A * [[0, 0], [1, 0]] (after eq.a1-2)
    assert d.column("K", 1, 0) == vec(sp.Matrix(4, 3, lambda p, q: seed_rep2[p][q].diff(k["21"])))
