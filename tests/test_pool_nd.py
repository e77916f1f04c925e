# ruff: noqa: E741, N803 - the seed's name I
"""Pooling in 1-D and 3-D (and 2-D) with every option, against plain N-d loops written apart from
symconv (``tests/reference_loops.py``): the core's vec Jacobians equal SymPy's ``jacobian`` of
the loops exactly (average and Lp pooling; max pooling's mask at a numeric input away from ties),
and the generated modules equal the loops, finite differences and PyTorch's flat indices."""

from __future__ import annotations

import itertools
import math
import types

import numpy as np
import pytest
import reference_loops as ref
import sympy as sp

import symconv as sc
from symconv.cli import main
from symconv.codegen.checks import check_module
from symconv.codegen.render import generate, write_module

INF = float("-inf")


def load(spec):
    module = types.ModuleType("generated_under_test")
    exec(compile(generate(spec), "<generated>", "exec"), module.__dict__)
    return module


def vec_positions(shape):
    """Positions of a block in vec order (the first axis fastest)."""
    return [tuple(reversed(p)) for p in itertools.product(*[range(n) for n in reversed(shape)])]


# (class, input, window, padding (before, after per axis), stride, dilation, input dilation, ceil, extra)
CASES = [
    pytest.param(sc.AvgPool1D, (7,), (3,), (1, 1), (2,), (1,), (1,), True, {"count_include_pad": False}, id="avg1d"),
    pytest.param(sc.AvgPool1D, (5,), (2,), (1, 1), (2,), (1,), (2,), False, {}, id="avg1d-base-dilation-big-pad"),
    pytest.param(
        sc.AvgPool3D,
        (3, 2, 3),
        (2, 1, 2),
        (1, 0, 0, 0, 1, 1),
        (1, 1, 2),
        (1, 1, 1),
        (1, 1, 1),
        True,
        {"divisor_override": 3},
        id="avg3d",
    ),
    pytest.param(
        sc.AvgPool3D,
        (2, 3, 2),
        (2, 2, 2),
        (0, 1, 1, 0, 0, 0),
        (1, 2, 1),
        (1, 1, 1),
        (1, 1, 2),
        False,
        {"count_include_pad": False},
        id="avg3d-exclude-pad",
    ),
    pytest.param(sc.LPPool1D, (6,), (3,), (0, 0), (2,), (1,), (1,), True, {"norm": 2}, id="lp1d-ceil"),
    pytest.param(sc.LPPool2D, (3, 4), (2, 2), (0, 0, 0, 0), (1, 2), (1, 1), (1, 1), False, {"norm": 1.5}, id="lp2d"),
    pytest.param(
        sc.LPPool3D,
        (2, 2, 3),
        (1, 2, 2),
        (0, 0, 0, 0, 0, 1),
        (1, 1, 2),
        (1, 1, 1),
        (1, 1, 1),
        True,
        {"norm": 3},
        id="lp3d",
    ),
]


def _spec(cls, inp, window, pad, stride, dil, idil, ceil, extra, channels=1):
    kw = dict(input=inp, window=window, padding=pad, stride=stride, input_dilation=idil, ceil_mode=ceil,
              channels=channels, **extra)  # fmt: skip
    if any(x != 1 for x in dil):
        kw["dilation"] = dil
    return cls(**kw)


def _reference(spec, I, numeric=False):
    args = (spec.window, spec.padding, spec.stride, spec.dilation, spec.input_dilation, spec.ceil_mode)
    if isinstance(spec, sc.AvgPool1D | sc.AvgPool2D | sc.AvgPool3D):
        return ref.nd_avgpool(I, *args, spec.count_include_pad, spec.divisor_override)
    norm = float(spec.norm) if numeric else sp.nsimplify(spec.norm)
    return ref.nd_lppool(I, *args, norm)


@pytest.mark.parametrize(("cls", "inp", "window", "pad", "stride", "dil", "idil", "ceil", "extra"), CASES)
def test_average_and_lp_jacobians_equal_sympys(cls, inp, window, pad, stride, dil, idil, ceil, extra):
    spec = _spec(cls, inp, window, pad, stride, dil, idil, ceil, extra)
    d = sc.derive(spec)
    symbols = d.input.vec(0)
    I = np.empty(inp, dtype=object)
    for k, p in enumerate(vec_positions(inp)):
        I[p] = symbols[k]
    outs, A = _reference(spec, I)
    assert d.output_shape == outs
    want = [A[p] for p in vec_positions(outs)]
    assert [sp.simplify(a - b) for a, b in zip(d.forward(), want, strict=True)] == [0] * len(want)
    J = sp.Matrix(want).jacobian(sp.Matrix(symbols))
    got = d.jacobian("I").to_matrix()
    assert (got - J).applyfunc(sp.simplify) == sp.zeros(*J.shape)
    assert d.jacobian("I").nnz == sum(1 for v in J if v != 0)


@pytest.mark.parametrize(("cls", "inp", "window", "pad", "stride", "dil", "idil", "ceil", "extra"), CASES)
def test_generated_average_and_lp_match_the_loops(cls, inp, window, pad, stride, dil, idil, ceil, extra):
    spec = _spec(cls, inp, window, pad, stride, dil, idil, ceil, extra, channels=2)
    m = load(spec)
    rng = np.random.default_rng(3)
    x = np.abs(rng.standard_normal((3, 2, *inp))) + 0.2
    out = m.forward(x)
    y = out[0] if isinstance(out, tuple) else out
    for e, c in itertools.product(range(3), range(2)):
        outs, A = _reference(spec, x[e, c], numeric=True)
        want = np.array([A[p] for p in itertools.product(*[range(o) for o in outs])]).reshape(outs)
        np.testing.assert_allclose(y[e, c], want, rtol=1e-12)
    g = rng.standard_normal(y.shape)
    dI = m.backward(g, x, out[1]) if isinstance(out, tuple) else m.backward(g)
    # central differences of sum(g * forward)
    for k in rng.choice(x.size, 8, replace=False):
        h = np.zeros(x.size)
        h[k] = 1e-6
        h = h.reshape(x.shape)
        f = [np.sum(g * (lambda o: o[0] if isinstance(o, tuple) else o)(m.forward(x + s * h))) for s in (1, -1)]
        assert dI.reshape(-1)[k] == pytest.approx((f[0] - f[1]) / 2e-6, rel=1e-5, abs=1e-7)
    out32 = m.forward(x.astype(np.float32))
    assert (out32[0] if isinstance(out32, tuple) else out32).dtype == np.float32


MAX_CASES = [
    pytest.param((9,), (3,), (1, 1), (2,), (1,), (1,), False, INF, "column", id="max1d"),
    pytest.param((8,), (2,), (2, 3), (2,), (2,), (2,), True, 0.0, "row", id="max1d-base-dilation-big-pad"),
    pytest.param(
        (2, 3, 4), (2, 2, 3), (1, 0, 0, 1, 1, 1), (1, 2, 2), (1, 1, 1), (1, 1, 1), True, INF, "row", id="max3d-row"
    ),
    pytest.param(
        (3, 3, 4),
        (2, 2, 2),
        (0, 0, 1, 1, 0, 0),
        (1, 1, 2),
        (1, 2, 1),
        (2, 1, 1),
        False,
        0.0,
        "column",
        id="max3d-column",
    ),
    pytest.param((4, 5), (2, 3), (1, 1, 2, 2), (1, 2), (1, 1), (1, 2), False, INF, "row", id="max2d-new-options"),
]


def _max_spec(inp, window, pad, stride, dil, idil, ceil, fill, tie, channels=1):
    cls = {1: sc.MaxPool1D, 2: sc.MaxPool2D, 3: sc.MaxPool3D}[len(inp)]
    return cls(input=inp, window=window, padding=pad, stride=stride, dilation=dil, input_dilation=idil,
               ceil_mode=ceil, pad_value=fill, tie_order=tie, channels=channels)  # fmt: skip


@pytest.mark.parametrize(("inp", "window", "pad", "stride", "dil", "idil", "ceil", "fill", "tie"), MAX_CASES)
def test_max_mask_is_sympys_derivative_and_the_module_matches_the_loops(
    inp, window, pad, stride, dil, idil, ceil, fill, tie
):
    spec = _max_spec(inp, window, pad, stride, dil, idil, ceil, fill, tie, channels=2)
    d = sc.derive(spec)
    m = load(spec)
    rng = np.random.default_rng(5)
    # distinct values: no ties, so the max is differentiable everywhere
    x = rng.permutation(np.arange(3 * 2 * math.prod(inp), dtype=float)).reshape(3, 2, *inp) - 20
    A, sw = m.forward(x)
    flat = m.indices(sw)
    g = rng.standard_normal(A.shape)
    dI = m.backward(g, sw)
    for e, c in itertools.product(range(3), range(2)):
        outs, cells, Aref, swref = ref.nd_maxpool(x[e, c], window, spec.padding, stride, dil, idil, fill, ceil, tie)
        order = list(itertools.product(*[range(o) for o in outs]))
        np.testing.assert_array_equal(A[e, c], np.array([Aref[p] for p in order]).reshape(outs))
        np.testing.assert_array_equal(sw[e, c], np.array([swref[p] for p in order]).reshape(outs))
        # PyTorch's flat row-major index of the selected entry (-1 for a padded maximum)
        positions = list(itertools.product(*[range(k) for k in window]))
        picked = []
        for p in order:
            at = cells[p][positions.index(next(r for r in positions if ref.vomega_index(window, r) == swref[p]))]
            picked.append(-1 if at is None else int(np.ravel_multi_index(at, inp)))
        np.testing.assert_array_equal(flat[e, c], np.array(picked).reshape(outs))
        want = np.zeros(inp)
        for p, k in zip(order, picked, strict=True):
            if k >= 0:
                want[np.unravel_index(k, inp)] += g[(e, c, *p)]
        np.testing.assert_allclose(dI[e, c], want, rtol=1e-12, atol=1e-12)
    # the mask is SymPy's derivative of the loops' Max at this input (no ties)
    symbols = d.input.vec(0)
    I = np.empty(inp, dtype=object)
    for k, p in enumerate(vec_positions(inp)):
        I[p] = symbols[k]
    outs, cells = ref.nd_pool_windows(inp, window, spec.padding, stride, dil, idil, ceil)
    pad = sp.S.Zero if fill == 0 else sp.S.NegativeInfinity
    rows = sp.Matrix([sp.Max(*[pad if at is None else I[at] for at in cells[p]]) for p in vec_positions(outs)])
    env = dict(zip(symbols, [x[0, 0][p] for p in vec_positions(inp)], strict=True))
    J = np.array(rows.jacobian(sp.Matrix(symbols)).subs(env), dtype=float)
    np.testing.assert_array_equal(d.mask(x[0, 0]).to_numpy(), J)
    np.testing.assert_array_equal(m.jacobians(x[0])["I", 0], J)


def test_lp_pooling_jacobian_is_zero_at_a_zero_window_sum():
    """The core's Lp Jacobian entries are the exact expressions (SymPy's derivative); at a number
    where the window's sum is 0 their value is 0, PyTorch's convention, as in the generated code."""
    d = sc.derive(sc.LPPool1D(input=4, window=2, norm=2))
    x = np.array([0.0, 0.0, 3.0, 4.0])
    J = d.input_jacobian(x).to_numpy(d.env(x, {}))
    np.testing.assert_allclose(J, [[0, 0, 0, 0], [0, 0, 0.6, 0.8]])
    m = load(d.spec)
    A, S = m.forward(x[None, None])
    np.testing.assert_allclose(m.backward(np.ones_like(A), x[None, None], S)[0, 0], J.sum(axis=0))


def test_lp_pooling_passes_no_gradient_where_a_window_sums_to_zero():
    """PyTorch's lp_pool: ``(avg_pool(I^n) k)^(1/n)``, its ``relu`` of the sum masking the root's
    infinite slope: a window whose sum of ``I^n`` is 0 gives 0 and passes no gradient, for n = 1
    (where the true derivative is 1) as for n = 2; a negative sum with an odd n is NaN."""
    for norm in (1, 2, 3):
        m = load(sc.LPPool1D(input=6, window=2, norm=norm))
        x = np.array([[[0.0, 0.0, 1.0, -1.0, 2.0, 1.0]]])
        A, S = m.forward(x)
        dI = m.backward(np.ones_like(A), x, S)
        assert A[0, 0, 0] == 0 and (dI[0, 0, :2] == 0).all()
        if norm == 1:
            assert A[0, 0, 1] == 0 and (dI[0, 0, 2:4] == 0).all()  # 1 + (-1) = 0: PyTorch passes nothing
        if norm == 3:
            neg = np.array([[[-1.0, -1.0, 1.0, 1.0, 1.0, 1.0]]])
            assert np.isnan(m.forward(neg)[0][0, 0, 0])


LP_TABLE = [
    pytest.param(d, norm, window, stride, ceil, id=f"{d}d-n{norm}-k{window}-s{stride}{'-ceil' if ceil else ''}")
    for d, window, stride, ceil in [(1, 3, 2, False), (1, 2, 2, True), (2, 2, 1, False), (2, 3, 2, True),
                                    (3, 2, 2, False), (3, 2, 1, True)]
    for norm in (1, 2, 3, 1.5)
]  # fmt: skip


@pytest.mark.parametrize(("d", "norm", "window", "stride", "ceil"), LP_TABLE)
def test_lp_pooling_equals_torchs_lp_pool(d, norm, window, stride, ceil):
    """``LPPool{1,2,3}D`` equals ``torch.nn.functional.lp_pool{1,2,3}d``, forward and gradient,
    norms 1, 2, 3 and 1.5: windows of zeros (no gradient passes), windows whose sum of ``I^n`` is 0
    by cancellation (n = 1, 3), negative sums with an odd or a non-integer norm (NaN in both)."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    size = {1: (9,), 2: (6, 7), 3: (4, 5, 5)}[d]
    rng = np.random.default_rng(11)
    x = rng.integers(-2, 3, size=(2, 3, *size)).astype(np.float64)
    x[0, 0] = 0.0  # every window of this plane is zeros
    x[0, 1].reshape(-1)[:2] = (1.0, -1.0)  # sums that cancel
    if norm == 1.5:
        x[1] = np.abs(x[1])  # real where the input is not negative
    spec = {1: sc.LPPool1D, 2: sc.LPPool2D, 3: sc.LPPool3D}[d](
        input=size, window=window, stride=stride, norm=norm, ceil_mode=ceil, channels=3
    )
    m = load(spec)
    xt = torch.tensor(x, requires_grad=True)
    yt = getattr(F, f"lp_pool{d}d")(xt, norm, window, stride, ceil)
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    A, S = m.forward(x)
    dI = m.backward(g, x, S)
    np.testing.assert_allclose(A, yt.detach().numpy(), rtol=1e-12, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(dI, xt.grad.numpy(), rtol=1e-10, atol=1e-12, equal_nan=True)
    assert (A[0, 0] == 0).all() and (dI[0, 0] == 0).all()  # zero windows: 0, and no gradient


def test_generated_networks_of_1d_and_3d_pooling_pass_symconv_check(tmp_path):
    """Generated network modules of 1-D and 3-D pooling (max, Lp, average, adaptive) flattened into
    a dense layer: ``symconv check`` passes every check (forward, J, gradients against the core and
    finite differences, float32, the SGD step)."""
    nets = [
        sc.Network(
            input=12,
            channels=2,
            layers=[sc.Conv1D(kernel=3, out_channels=3, padding=1), sc.ReLU(), sc.MaxPool1D(window=2, pad_value=INF),
                    sc.LPPool1D(window=2, norm=2), sc.Flatten(), sc.Dense(out_features=3), sc.SoftmaxCrossEntropy()],
        ),
        sc.Network(
            input=16,
            channels=2,
            layers=[sc.MaxPool1D(window=2, pad_value=INF), sc.ReLU(), sc.LPPool1D(window=2, norm=2), sc.Flatten(),
                    sc.Dense(out_features=3), sc.SoftmaxCrossEntropy()],
        ),
        sc.Network(
            input=(4, 6, 6),
            channels=1,
            layers=[sc.Tanh(), sc.AvgPool3D(window=2), sc.MaxPool3D(window=(1, 2, 2)), sc.AdaptiveAvgPool3D(output=1),
                    sc.Flatten(), sc.Dense(out_features=3), sc.SoftmaxCrossEntropy()],
        ),
    ]  # fmt: skip
    for k, net in enumerate(nets):
        path = write_module(net, tmp_path, name=f"net{k}")
        report = check_module(path)
        assert report.ok, "\n".join(report.lines())


INVALID = [
    (sc.MaxPool1D, {"input": 8, "window": (2, 2)}, "window: must be an integer or a list of one, got (2, 2)"),
    (
        sc.MaxPool3D,
        {"input": (2, 3, 4), "window": 2, "padding": (2, 0, 0, 0, 0, 0)},
        "padding: leaves window 1 along axis 1 wholly outside the input (every window must meet at least one input "
        "entry), got 2,0,0,0,0,0",
    ),
    (
        sc.AvgPool1D,
        {"input": 5, "window": 2, "stride": 2, "padding": (1, 2), "input_dilation": 2},
        "padding: leaves window 6 wholly outside the input (every window must meet at least one input entry), got 1,2",
    ),
    (sc.AvgPool3D, {"input": (2, 3, 4), "window": 2, "input_dilation": 0},
     "input_dilation: must be a positive integer, got 0"),
    (sc.LPPool2D, {"input": (4, 4), "window": 2, "norm": 0}, "norm: must be a positive finite number, got 0"),
    (sc.LPPool1D, {"input": 4, "window": 2, "norm": "2x"},
     "norm: must be a positive number such as 2 or 1.5, got '2x'"),
    (sc.LPPool1D, {"input": 4, "window": 2, "norm": float("inf")}, "norm: must be a positive finite number, got inf"),
    (sc.LPPool1D, {"input": 4, "window": 2, "norm": True}, "norm: must be a positive number, got True"),
    (
        sc.MaxUnpool2D,
        {"input": (2, 3), "window": 2, "output": (6, 6)},
        "output: must lie strictly between 2 and 6 along axis 1 (PyTorch's default 4 plus or minus the stride 2), "
        "got 6x6",
    ),
    (
        sc.MaxUnpool1D,
        {"input": 1, "window": 1, "padding": 1},
        "padding: gives PyTorch's default output size -1, (n - 1) s - before - after + k along each axis, which has "
        "no entries",
    ),
    (
        sc.AdaptiveMaxPool3D,
        {"input": (2, 3, 4), "output": 2, "tie_order": "diagonal"},
        "tie_order: must be one of 'column', 'row', got 'diagonal'",
    ),
    (sc.AdaptiveAvgPool1D, {"input": 5, "output": (2, 2)}, "output: must be an integer or a list of one, got (2, 2)"),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "kwargs", "message"), INVALID)
def test_invalid_pooling_specs_name_the_parameter_and_the_rule(cls, kwargs, message):
    with pytest.raises(sc.SpecError) as info:
        cls(**kwargs)
    assert str(info.value) == message


def test_max_unpooling_cannot_stand_in_a_network():
    with pytest.raises(sc.SpecError) as info:
        sc.Network(input=4, channels=1, layers=[sc.MaxPool1D(window=2), sc.MaxUnpool1D(window=2)])
    assert str(info.value) == (
        "layers[1]: maxunpool1d takes the indices of a max pooling beside its input, so it cannot stand in a network"
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--layer", "lppool1d", "--input", "8", "--window", "2", "--norm", "__import__('os')"],
         "symconv: error: --norm: must be a positive number such as 2 or 1.5, got \"__import__('os')\""),
        (["--layer", "maxpool3d", "--input", "4x4", "--window", "2"],
         "symconv: error: --input: takes 1 or 3 numbers, got 2 in '4x4'"),
        (["--layer", "maxunpool1d", "--input", "3", "--window", "2", "--output-size", "9"],
         "symconv: error: --output-size: must lie strictly between 4 and 8 along axis 1 (PyTorch's default 6 plus or "
         "minus the stride 2), got 9"),
    ],
)  # fmt: skip
def test_cli_refuses_bad_pooling_flags_in_one_line(capsys, flags, message):
    assert main(["derive", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert err == message


CLAIMS = """
[layer]
type = "lppool1d"
input = 6
window = 3
stride = 3
norm = 2

[[claims]]
id = "constants"
lhs = "n_l * ln_s"
rhs = "9"

[[claims]]
id = "slope"
lhs = "diff(a[1], I[2])"
rhs = "I[2] / a[1]"

[[claims]]
id = "wrong-slope"
lhs = "diff(a[1], I[2])"
rhs = "2 * I[2] / a[1]"
"""

CLAIMS_3D = """
[layer]
type = "adaptive_avgpool3d"
input = [2, 4, 4]
output = [1, 2, 2]

[[claims]]
id = "output-size"
lhs = "d_a * h_a * w_a"
rhs = "4"

[[claims]]
id = "mean"
lhs = "diff(a[1,1,1], I[1,1,1])"
rhs = "1/8"
"""


def test_claims_name_the_constants_of_1d_and_3d_pooling(tmp_path, capsys):
    """Lp pooling's slope (the root differentiated) holds and a wrong one fails; the per-axis
    constants (``n_l``, ``ln_s``; ``d_a, h_a, w_a``) are named, and a 3-D entry's derivative holds."""
    for name, text in (("lp.toml", CLAIMS), ("adaptive.toml", CLAIMS_3D)):
        (tmp_path / name).write_text(text)
    assert main(["verify", str(tmp_path / "lp.toml")]) == 1
    out = capsys.readouterr().out
    assert "holds    constants" in out and "holds    slope" in out and "FAILS    wrong-slope" in out
    assert main(["verify", str(tmp_path / "adaptive.toml")]) == 0
    out = capsys.readouterr().out
    assert "holds    output-size" in out and "holds    mean" in out
