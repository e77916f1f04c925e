"""Property test: random valid layers, generated code against the plain-loop reference.

Every example draws stride, per-side padding, dilation, channels, kernel/window and input
sizes (and the max-pool pad value, 0 or -inf); the module generated for that layer must
agree with tests/reference_loops.py in float64 (1e-10 relative) and in float32 (relative
to the largest float64 entry: 1e-5; float32 carries 24 bits, ~6e-8 per rounding, and the
sums here have at most a few hundred terms).  Max-pool inputs are small integers, so ties
are common and must go to the first maximum in the tie order drawn (column-major or row-major).
PyTorch's pooling options (ceil_mode, count_include_pad, divisor_override), adaptive
pooling, conv2d's groups (depthwise among them) and the transposed convolution
(output_padding, groups) are drawn too.
"""

from __future__ import annotations

import math
import types

import numpy as np
import pytest
import reference_loops as ref
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tools import conv_spec

import symconv
from symconv.codegen.render import generate
from symconv.errors import SpecError

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TOL64 = 1e-10
TOL32 = 1e-5


def load(spec):
    """The generated module of ``spec``, executed from its source (code we generated)."""
    module = types.ModuleType("generated_under_test")
    exec(compile(generate(spec), "<generated>", "exec"), module.__dict__)
    return module


@st.composite
def layers(draw):
    kind = draw(
        st.sampled_from(
            [
                "conv2d",
                "conv2d",
                "maxpool2d",
                "avgpool2d",
                "adaptive_avgpool2d",
                "adaptive_maxpool2d",
                "conv_transpose2d",
            ]
        )
    )
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dil = (draw(st.sampled_from([1, 1, 2])), draw(st.sampled_from([1, 1, 2])))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    span = (dil[0] * (k[0] - 1) + 1, dil[1] * (k[1] - 1) + 1)
    conv = kind in ("conv2d", "conv_transpose2d")
    limit = (span[0] - 1, span[1] - 1) if not conv else (3, 3)  # pooling: each side < window
    pad: tuple[int, ...] | str = tuple(draw(st.integers(0, min(2, limit[a // 2]))) for a in range(4))
    if kind == "conv2d" and draw(st.integers(0, 4)) == 0:  # PyTorch's named paddings
        pad = draw(st.sampled_from(["valid", "same"]))
        stride = (1, 1) if pad == "same" else stride
    channels = draw(st.integers(1, 3))
    try:
        if kind == "conv2d":
            # PyTorch's groups: each group draws its own input channels and kernels; "depthwise" is
            # one channel each (at stride 1 it takes the generated code's shifted-plane path)
            groups = draw(st.sampled_from([1, 1, 2, 3, "depthwise"]))
            if groups == "depthwise":
                groups = cin = cout = channels + 1
                stride = (1, 1) if draw(st.booleans()) else stride
            elif groups == 1:
                cin, cout = channels, draw(st.integers(1, 3))
            else:
                cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
            spec = conv_spec((h, w), k, pad, stride, dil, cin, cout, groups, draw(st.booleans()))
        elif kind == "conv_transpose2d":
            groups = draw(st.sampled_from([1, 1, 2]))
            spec = symconv.ConvTranspose2D(
                input=(h, w),
                kernel=k,
                padding=pad,
                stride=stride,
                dilation=dil,
                output_padding=tuple(draw(st.integers(0, max(stride[a], dil[a]) - 1)) for a in range(2)),
                groups=groups,
                in_channels=channels * groups,
                out_channels=draw(st.integers(1, 2)) * groups,
                bias=draw(st.booleans()),
            )
        elif kind == "maxpool2d":
            spec = symconv.MaxPool2D(
                input=(h, w),
                window=k,
                padding=pad,
                stride=stride,
                dilation=dil,
                channels=channels,
                pad_value=draw(st.sampled_from([0.0, -math.inf])),
                ceil_mode=draw(st.booleans()),
                tie_order=draw(st.sampled_from(["column", "row"])),
            )
        elif kind == "avgpool2d":
            # PyTorch's divisor options (its avg_pool2d has no dilation, nor has the loop reference of them)
            options = (
                {
                    "ceil_mode": draw(st.booleans()),
                    "count_include_pad": draw(st.booleans()),
                    "divisor_override": draw(st.sampled_from([None, None, 1, 4])),
                }
                if dil == (1, 1)
                else {}
            )
            spec = symconv.AvgPool2D(
                input=(h, w), window=k, padding=pad, stride=stride, dilation=dil, channels=channels, **options
            )
        else:
            cls = symconv.AdaptiveMaxPool2D if kind == "adaptive_maxpool2d" else symconv.AdaptiveAvgPool2D
            extra = {"tie_order": draw(st.sampled_from(["column", "row"]))} if kind == "adaptive_maxpool2d" else {}
            out = (draw(st.integers(1, h + 2)), draw(st.integers(1, w + 2)))
            spec = cls(input=(h, w), output=out, channels=channels, **extra)
        if 0 in spec.out_shape:  # an empty output (a convolution takes it: tests/test_conv_general.py)
            raise SpecError("kernel", "no window fits")
    except SpecError:  # no window fits (or a transposed conv's padding trims it all): not a valid layer
        spec = symconv.Conv2D(input=(h + span[0], w + span[1]), kernel=k, dilation=dil, in_channels=channels)
    return spec


def _close(got, want, tol):
    scale = max(float(np.abs(want).max()) if want.size else 0.0, 1.0)
    assert got.shape == want.shape
    assert float(np.abs(got - want).max() if want.size else 0.0) <= tol * scale


@pytest.mark.slow(reason="200 drawn layers, each generated, loaded and compared with the reference loops: 10-20 s")
@SETTINGS
@given(spec=layers(), n=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_generated_layer_matches_reference_loops(spec, n, seed):
    rng = np.random.default_rng(seed)
    m = load(spec)
    cfg = spec.config()
    pad, stride, dil = (
        tuple(cfg.get(k, d)) for k, d in (("padding", (0,) * 4), ("stride", (1, 1)), ("dilation", (1, 1)))
    )
    if spec.kind in ("conv2d", "conv_transpose2d"):
        x = rng.standard_normal((n, *spec.in_shape))
        transposed = spec.kind == "conv_transpose2d"
        cin = spec.in_shape[0]
        k_shape = (cin, spec.out_channels // spec.groups) if transposed else (spec.out_channels, cin // spec.groups)
        K = rng.standard_normal((*k_shape, *spec.kernel))
        b = rng.standard_normal(spec.out_channels) if spec.bias else None
        params = (K, b) if spec.bias else (K,)
        Z = m.forward(x, *params)
        if transposed:
            Z_ref = ref.conv_transpose_forward(x, K, b, pad, stride, dil, spec.output_padding, spec.groups)
        elif spec.groups == 1:
            Z_ref = ref.conv_forward(x, K, b, pad, stride, dil)
        else:
            Z_ref = ref.grouped_conv_forward(x, K, b, pad, stride, dil, spec.groups)
        _close(Z, Z_ref, TOL64)
        g = rng.standard_normal(Z.shape)
        got = m.backward(g, x, K)
        if transposed:
            want = ref.conv_transpose_backward(g, x, K, pad, stride, dil, spec.groups)
        elif spec.groups == 1:
            want = ref.conv_backward(g, x, K, pad, stride, dil)
        else:
            want = ref.grouped_conv_backward(g, x, K, pad, stride, dil, spec.groups)
        for a, e in zip(got, want[: len(got)], strict=True):
            _close(a, e, TOL64)
        # float32 in, float32 out
        Z32 = m.forward(x.astype(np.float32), *[p.astype(np.float32) for p in params])
        assert Z32.dtype == np.float32
        _close(Z32.astype(np.float64), Z, TOL32)
        for a, e in zip(m.backward(g.astype(np.float32), x.astype(np.float32), K.astype(np.float32)), got, strict=True):
            assert a.dtype == np.float32
            _close(a.astype(np.float64), e, TOL32)
    elif spec.kind in ("maxpool2d", "adaptive_maxpool2d"):
        x = rng.integers(-2, 2, size=(n, *spec.in_shape)).astype(np.float64)  # ties on purpose
        A, switches = m.forward(x)
        if spec.kind == "maxpool2d":
            A_ref, sw_ref = ref.maxpool_forward_pt(
                x, spec.window, pad, stride, dil, spec.pad_value, spec.ceil_mode, spec.tie_order
            )
        else:
            A_ref, sw_ref = ref.adaptive_max_forward(x, spec.output, spec.tie_order)
        np.testing.assert_array_equal(A, A_ref)
        np.testing.assert_array_equal(switches, sw_ref)
        g = rng.standard_normal(A.shape)
        if spec.kind == "maxpool2d":
            want = ref.maxpool_backward(g, sw_ref, x.shape, spec.window, pad, stride, dil)
        else:
            want = ref.adaptive_max_backward(g, sw_ref, x.shape, spec.output)
        _close(m.backward(g, switches), want, TOL64)
        A32, sw32 = m.forward(x.astype(np.float32))
        assert A32.dtype == np.float32
        np.testing.assert_array_equal(sw32, switches)
        assert m.backward(g.astype(np.float32), sw32).dtype == np.float32
    else:
        x = rng.standard_normal((n, *spec.in_shape))
        A = m.forward(x)
        g = rng.standard_normal(A.shape)
        dI = m.backward(g)
        if spec.kind == "adaptive_avgpool2d":
            _close(A, ref.adaptive_avg_forward(x, spec.output), TOL64)
            _close(dI, ref.adaptive_avg_backward(g, x.shape), TOL64)
        elif dil == (1, 1):
            options = (spec.ceil_mode, spec.count_include_pad, spec.divisor_override)
            _close(A, ref.avgpool_forward_pt(x, spec.window, pad, stride, *options), TOL64)
            # the backward is the forward's adjoint: <g, A(y)> = <dI(g), y>
            y = rng.standard_normal(x.shape)
            assert abs(np.sum(g * m.forward(y)) - np.sum(dI * y)) <= 1e-10 * max(1.0, float(np.abs(dI).sum()))
        else:
            _close(A, ref.avgpool_forward(x, spec.window, pad, stride, dil), TOL64)
            _close(dI, ref.avgpool_backward(g, x.shape, spec.window, pad, stride, dil), TOL64)
        assert m.forward(x.astype(np.float32)).dtype == np.float32
        _close(m.backward(g.astype(np.float32)).astype(np.float64), dI, TOL32)


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(spec=layers().filter(lambda s: "maxpool" not in s.kind), seed=st.integers(0, 2**16))
def test_generated_backward_matches_central_differences(spec, seed):
    """J = sum(G * forward(x)): the generated dJ/dx against central differences in float64.
    Max pooling is left out of this strategy (piecewise linear, its ties make differences
    meaningless there); the exact loop references above cover it."""
    rng = np.random.default_rng(seed)
    m = load(spec)
    x = rng.standard_normal((2, *spec.in_shape))
    params = [rng.standard_normal(t.shape) for t in symconv.derive(spec).params.values()]
    y = m.forward(x, *params)
    G = rng.standard_normal(y.shape)
    dx = m.backward(G, x, params[0])[0] if spec.kind in ("conv2d", "conv_transpose2d") else m.backward(G)
    h = 1e-6
    for idx in list(np.ndindex(*x.shape))[:: max(1, x.size // 10)]:
        plus, minus = x.copy(), x.copy()
        plus[idx] += h
        minus[idx] -= h
        fd = (np.sum(G * m.forward(plus, *params)) - np.sum(G * m.forward(minus, *params))) / (2 * h)
        assert abs(fd - dx[idx]) <= 1e-6 * max(1.0, abs(fd))
