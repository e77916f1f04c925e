# ruff: noqa: N803 - the seed's names A, K, Z and dZ
"""The general convolution in every dimension (JAX's ``conv_general_dilated`` with PyTorch's
padding modes and groups, and its transpose): a property test that draws any mix of stride,
dilation, input dilation, negative padding, groups and padding modes in 1 to 3 axes and checks
the generated code against the plain loops of ``tests/reference_loops.py`` (written without
symconv.geometry) and against exact central differences; and, when JAX is installed, a grid
modelled on JAX's own convolution tests (input dilation with a stride, negative padding,
zero-size inputs, empty outputs) through the generated modules against
``lax.conv_general_dilated`` and its VJP."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from opinfo import load
from tools import conv_reference

import symconv as sc

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@st.composite
def general_convs(draw):
    """A convolution of 1 to 3 axes with any mix of the options; a transposed one now and then."""
    d = draw(st.integers(1, 3))
    small = st.integers(1, 2) if d == 3 else st.integers(1, 3)
    groups = draw(st.sampled_from([1, 1, 2]))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    sizes = tuple(draw(st.integers(0 if d < 3 else 1, 5 if d < 3 else 3)) for _ in range(d))
    kernel = tuple(draw(small) for _ in range(d))
    dilation = tuple(draw(st.sampled_from([1, 1, 2])) for _ in range(d))
    stride = tuple(draw(st.sampled_from([1, 1, 2, 3])) for _ in range(d))
    bias = draw(st.booleans())
    try:
        return _draw_spec(draw, d, groups, cin, cout, sizes, kernel, dilation, stride, bias)
    except sc.SpecError:  # a crop past the input, a transposed output below zero: no layer
        reject()


def _draw_spec(draw, d, groups, cin, cout, sizes, kernel, dilation, stride, bias):
    if draw(st.integers(0, 4)) == 0:
        spec = getattr(sc, f"ConvTranspose{d}D")(
            input=tuple(max(n, 1) for n in sizes), kernel=kernel, stride=stride, dilation=dilation,
            padding=tuple(draw(st.integers(0, 2)) for _ in range(2 * d)),
            output_padding=tuple(draw(st.integers(0, max(s, t) - 1)) for s, t in zip(stride, dilation, strict=True)),
            in_channels=cin, out_channels=cout, groups=groups, bias=bias,
        )  # fmt: skip
        return spec
    mode = draw(st.sampled_from(["zeros", "zeros", "zeros", "reflect", "replicate", "circular"]))
    if mode == "zeros":
        lhs = tuple(draw(st.sampled_from([1, 1, 2, 3])) for _ in range(d))
        padding = tuple(draw(st.integers(-2, 3)) for _ in range(2 * d))
    else:
        lhs = (1,) * d
        sizes = tuple(max(n, 2) for n in sizes)
        padding = tuple(draw(st.integers(0, n - 1)) for n in sizes for _ in range(2))
    return getattr(sc, f"Conv{d}D")(
        input=sizes, kernel=kernel, stride=stride, dilation=dilation, input_dilation=lhs, padding=padding,
        padding_mode=mode, in_channels=cin, out_channels=cout, groups=groups, bias=bias,
    )  # fmt: skip


def _generated(spec):
    try:
        return load(spec)
    except sc.SpecError:  # a draw past the derivation budget
        pytest.skip("too large")


@SETTINGS
@given(spec=general_convs(), n=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_generated_general_convolution_matches_the_loops_and_central_differences(spec, n, seed):
    """Forward and every gradient against the plain loops; ``dA`` and ``dK`` also against central
    differences of ``J = sum(dZ Z)`` with step 1 on integer data (exact: ``Z`` is bilinear), in
    float64; float32 keeps its dtype."""
    m = _generated(spec)
    rng = np.random.default_rng(seed)
    kshape = sc.derive(spec).kernel.shape
    A = rng.integers(-3, 4, (n, *spec.in_shape)).astype(float)
    K = rng.integers(-3, 4, kshape).astype(float)
    b = rng.integers(-3, 4, spec.out_channels).astype(float) if spec.bias else None
    args = (A, K) if b is None else (A, K, b)
    Z = m.forward(*args)
    want = conv_reference(spec, A, K, b)
    assert Z.shape == want.shape == (n, *spec.out_shape)
    np.testing.assert_allclose(Z, want, atol=1e-9)
    dZ = rng.integers(-3, 4, Z.shape).astype(float)
    grads = m.backward(dZ, A, K)
    for got, expected in zip(grads, conv_reference(spec, A, K, b, dZ), strict=False):
        np.testing.assert_allclose(got, expected, atol=1e-9)

    def J(A_, K_):
        return float(np.sum(dZ * m.forward(A_, K_, *([b] if b is not None else []))))

    for name, x, g in (("A", A, grads[0]), ("K", K, grads[1])):
        flat = x.reshape(-1)
        for k in rng.choice(flat.size, size=min(flat.size, 6), replace=False) if flat.size else []:
            up, down = flat.copy(), flat.copy()
            up[k] += 1
            down[k] -= 1
            pair = (up.reshape(x.shape), K) if name == "A" else (A, up.reshape(x.shape))
            low = (down.reshape(x.shape), K) if name == "A" else (A, down.reshape(x.shape))
            assert (J(*pair) - J(*low)) / 2 == pytest.approx(g.reshape(-1)[k], abs=1e-9), name
    single = m.forward(*(a.astype(np.float32) for a in args))
    assert single.dtype == np.float32


# -- JAX --------------------------------------------------------------------------------------------


def _jax_grid():
    """(d, lhs shape, rhs shape, strides, padding pairs, lhs dilation, rhs dilation, groups): JAX's
    own conv tests' kinds of cases (its testConvGeneralDilated grid), 1-D to 3-D."""
    cases = []
    shapes = {
        1: [((2, 4, 9), (6, 2, 3))],
        2: [((2, 4, 6, 7), (6, 4, 3, 2)), ((1, 2, 5, 4), (4, 1, 2, 3))],
        3: [((1, 2, 4, 3, 5), (2, 2, 2, 2, 3))],
    }
    paddings = {
        1: [((0, 0),), ((1, 2),), ((-1, 0),), ((2, -2),)],
        2: [((1, 2), (2, 0)), ((-1, 0), (0, -2)), ((3, 1), (-1, 2))],
        3: [((0, 0), (0, 0), (0, 0)), ((1, -1), (0, 2), (-1, 1))],
    }
    for d in (1, 2, 3):
        for (lhs, rhs), pads in itertools.product(shapes[d], paddings[d]):
            groups = lhs[1] // rhs[1]
            for strides, lhs_dil, rhs_dil in [
                ((1,) * d, (1,) * d, (1,) * d),
                ((2,) * d, (1,) * d, (2,) * d),
                ((1,) * d, (2,) * d, (1,) * d),
                ((2,) + (1,) * (d - 1), (2,) * d, (1,) + (2,) * (d - 1)),  # input dilation with a stride
            ]:
                cases.append((d, lhs, rhs, strides, pads, lhs_dil, rhs_dil, groups))
    # zero-size inputs and empty outputs
    cases += [
        (2, (2, 2, 0, 4), (3, 2, 2, 2), (1, 1), ((1, 1), (0, 0)), (1, 1), (1, 1), 1),
        (1, (2, 2, 3), (2, 2, 5), (1,), ((0, 0),), (1,), (1,), 1),
        (2, (1, 2, 3, 3), (2, 2, 2, 2), (2, 2), ((-2, -1), (0, 0)), (1, 1), (1, 1), 1),
        (3, (1, 1, 2, 0, 2), (1, 1, 1, 1, 1), (1, 1, 1), ((0, 0), (1, 0), (0, 0)), (1, 1, 1), (1, 1, 1), 1),
        (1, (3, 2, 0), (2, 2, 3), (1,), ((2, 2),), (2,), (1,), 1),
    ]
    return cases


GRID = _jax_grid()


@pytest.mark.slow(reason="53 JAX cases, each a generated module and a jax.vjp, about 20 s")
def test_jax_conv_general_dilated_grid():
    """Every case of the grid through the generated module of its ``Conv{d}D`` (``input_dilation``
    = lhs_dilation, ``dilation`` = rhs_dilation, ``padding`` the (low, high) pairs, negative
    ones cropping, ``groups`` = feature_group_count): the output and the VJP with respect to the
    input and the kernel equal JAX's in float64."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    from jax import lax

    rng = np.random.default_rng(1)
    seen = 0
    for d, lhs, rhs, strides, pads, lhs_dil, rhs_dil, groups in GRID:
        cls = getattr(sc, f"Conv{d}D")
        spec = cls(input=lhs[2:], kernel=rhs[2:], stride=strides, dilation=rhs_dil, input_dilation=lhs_dil,
                   padding=tuple(p for pair in pads for p in pair), in_channels=lhs[1], out_channels=rhs[0],
                   groups=groups, bias=False)  # fmt: skip
        m = load(spec)
        A, K = rng.standard_normal(lhs), rng.standard_normal(rhs)
        spatial = "DHW"[3 - d :]
        numbers = (f"NC{spatial}", f"OI{spatial}", f"NC{spatial}")

        def conv(a, k, strides=strides, pads=pads, lhs_dil=lhs_dil, rhs_dil=rhs_dil, numbers=numbers, groups=groups):
            return lax.conv_general_dilated(a, k, strides, pads, lhs_dil, rhs_dil, numbers, groups)

        Zj, vjp = jax.vjp(conv, A, K)
        Z = m.forward(A, K)
        assert Z.shape == Zj.shape, (d, lhs, rhs, strides, pads, lhs_dil, rhs_dil)
        np.testing.assert_allclose(Z, np.asarray(Zj), rtol=1e-10, atol=1e-10)
        G = rng.standard_normal(Z.shape)
        dA, dK = vjp(G)
        got = m.backward(G, A, K)
        np.testing.assert_allclose(got[0], np.asarray(dA), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(got[1], np.asarray(dK), rtol=1e-10, atol=1e-10)
        seen += 1
    assert seen == len(GRID) == 53
