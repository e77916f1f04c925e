# ruff: noqa: E741 - the seed's name I
"""PyTorch parity of pooling: ``ceil_mode``, ``tie_order``, ``count_include_pad``,
``divisor_override`` and adaptive average / max pooling.

Each is checked against references written apart from symconv: exact SymPy Jacobians of
the plain-loop forward passes in ``tests/reference_loops.py`` (PyTorch's rules written out),
the generated code against those loops and finite differences, ``symconv check``, and
PyTorch itself (its functional ops and its own OpInfo samples) when torch is installed."""

from __future__ import annotations

import functools
import math
import types

import numpy as np
import pytest
import reference_loops as ref
import sympy as sp

import symconv as sc
from symconv.cli import main
from symconv.codegen.render import generate
from symconv.layers.adaptive import plan as adaptive_plan
from symconv.layers.pool import plan as pool_plan

INF = float("-inf")


def load(spec):
    """The generated module of ``spec``, executed from its source (code we generated)."""
    module = types.ModuleType("generated_under_test")
    exec(compile(generate(spec), "<generated>", "exec"), module.__dict__)
    return module


def vec(m: np.ndarray) -> sp.Matrix:
    """Column-major stacking of a 2-D object array (the seed's vec)."""
    return sp.Matrix([m[r, c] for c in range(m.shape[1]) for r in range(m.shape[0])])


def symbols(d, j: int = 0) -> np.ndarray:
    """The input symbols of channel ``j`` as a 2-D object array."""
    m = d.input.matrix(j)
    return np.array([[m[r, c] for c in range(m.shape[1])] for r in range(m.shape[0])], dtype=object)


# (input, window, padding (t, b, l, r), stride, ceil_mode, count_include_pad, divisor_override)
AVG = [
    pytest.param((5, 5), (2, 2), (0, 0, 0, 0), (2, 2), True, True, None, id="ceil-past-the-input"),
    pytest.param((5, 6), (3, 2), (1, 1, 1, 1), (2, 2), True, False, None, id="ceil-exclude-pad"),
    pytest.param((5, 4), (3, 3), (1, 1, 1, 1), (3, 3), True, True, None, id="ceil-drops-the-last-window"),
    pytest.param((4, 5), (3, 2), (1, 0, 0, 1), (1, 2), False, False, None, id="exclude-pad-per-side"),
    pytest.param((4, 4), (2, 3), (1, 1, 1, 1), (2, 1), False, True, 5, id="divisor-override"),
    pytest.param((5, 5), (3, 3), (1, 1, 1, 1), (2, 2), True, False, 2, id="ceil-override"),
]


@pytest.mark.parametrize(("inp", "window", "pad", "stride", "ceil", "cip", "dov"), AVG)
def test_avgpool_options_jacobian_equals_sympys(inp, window, pad, stride, ceil, cip, dov):
    """The core's forward and d vA/d vI equal Matrix.jacobian of PyTorch's avg_pool2d written
    as loops (its divisors), symbolically; each column is also built literally."""
    spec = sc.AvgPool2D(
        input=inp,
        window=window,
        padding=pad,
        stride=stride,
        ceil_mode=ceil,
        count_include_pad=cip,
        divisor_override=dov,
    )
    d = sc.derive(spec)
    I = symbols(d)
    A = ref.avgpool_forward_pt(I[None, None], window, pad, stride, ceil, cip, dov)[0, 0]
    assert d.output_shape == A.shape
    assert sp.Matrix(d.A[0]) == sp.Matrix(A)
    J = vec(A).jacobian(vec(I))
    assert d.jacobian("I").to_matrix() == J
    assert d.full_jacobian("I").to_matrix() == J
    h, w = inp
    assert all(d.column(r, s) == J[:, s * h + r] for r in range(h) for s in range(w))
    assert d.jacobian("I").nnz == sum(1 for v in J if v != 0)  # sparse: one triplet per nonzero


ADAPTIVE = [((7, 7), (1, 1)), ((5, 7), (3, 2)), ((4, 4), (3, 3)), ((3, 2), (5, 4)), ((6, 6), (4, 2)), ((1, 1), (1, 1))]


@pytest.mark.parametrize(("inp", "out"), ADAPTIVE)
def test_adaptive_avgpool_jacobian_equals_sympys(inp, out):
    d = sc.derive(sc.AdaptiveAvgPool2D(input=inp, output=out, channels=2))
    for j in range(2):
        I = symbols(d, j)
        A = ref.adaptive_avg_forward(I[None, None], out)[0, 0]
        assert sp.Matrix(d.A[j]) == sp.Matrix(A)
        J = vec(A).jacobian(vec(I))
        assert d.jacobian("I", j=j).to_matrix() == J
        assert d.jacobian("I", j=j).nnz == sum(1 for v in J if v != 0)
    assert d.full_jacobian("I").shape == (2 * out[0] * out[1], 2 * inp[0] * inp[1])


def _max_exprs(I, windows, fill):  # noqa: N803 - the seed's name
    """An independent symbolic max pooling: ``windows[p][q]`` lists the (row, col) of each
    window position, ``None`` for padding (which takes part as ``fill``)."""
    return np.array(
        [[sp.Max(*[fill if rc is None else I[rc] for rc in cell]) for cell in row] for row in windows], dtype=object
    )


def _pool_windows(inp, window, pad, stride, dilation, ceil):
    h, w = inp
    hz = ref.pool_out_size(h, window[0], pad[0], pad[1], stride[0], dilation[0], ceil)
    wz = ref.pool_out_size(w, window[1], pad[2], pad[3], stride[1], dilation[1], ceil)
    out = []
    for p in range(hz):
        row = []
        for q in range(wz):
            cell = []
            for r in range(window[0]):
                for s in range(window[1]):
                    i, k = p * stride[0] + r * dilation[0] - pad[0], q * stride[1] + s * dilation[1] - pad[2]
                    cell.append((i, k) if 0 <= i < h and 0 <= k < w else None)
            row.append(cell)
        out.append(row)
    return out


def _adaptive_windows(inp, out):
    cells = []
    for p in range(out[0]):
        r0, r1 = ref.adaptive_bounds(inp[0], out[0], p)
        row = []
        for q in range(out[1]):
            c0, c1 = ref.adaptive_bounds(inp[1], out[1], q)
            row.append([(r, c) for r in range(r0, r1) for c in range(c0, c1)])
        cells.append(row)
    return cells


MAX = [
    pytest.param((5, 5), (2, 2), (0, 0, 0, 0), (2, 2), (1, 1), 0.0, id="ceil-past-the-input"),
    pytest.param((5, 6), (3, 2), (1, 1, 1, 1), (2, 2), (1, 1), INF, id="ceil-padded"),
    pytest.param((5, 4), (3, 3), (1, 1, 1, 1), (3, 3), (1, 1), 0.0, id="ceil-drops-the-last-window"),
    pytest.param((7, 6), (2, 3), (1, 0, 1, 1), (2, 2), (2, 1), INF, id="ceil-dilated"),
]


@pytest.mark.parametrize(("inp", "window", "pad", "stride", "dil", "fill"), MAX)
def test_ceil_maxpool_mask_is_sympys_derivative_of_max(inp, window, pad, stride, dil, fill):
    """Under ceil_mode the forward is Max over PyTorch's windows, positions past the padded
    input taking part as padding; at a tie-free point the mask is SymPy's derivative of it."""
    spec = sc.MaxPool2D(
        input=inp, window=window, padding=pad, stride=stride, dilation=dil, pad_value=fill, ceil_mode=True
    )
    d = sc.derive(spec)
    I = symbols(d)
    fill_s = sp.S.NegativeInfinity if math.isinf(fill) else sp.S.Zero
    A = _max_exprs(I, _pool_windows(inp, window, pad, stride, dil, True), fill_s)
    assert sp.Matrix(d.A[0]) == sp.Matrix(A)
    rng = np.random.default_rng(3)
    values = rng.permutation(np.arange(1, inp[0] * inp[1] + 1)).reshape(inp) - inp[0] * inp[1] // 2  # no ties
    point = {I[r, c]: int(values[r, c]) for r in range(inp[0]) for c in range(inp[1])}
    J = vec(A).jacobian(vec(I)).subs(point)
    assert d.mask(values.astype(float)).to_matrix() == J


#: windows of at most 9 entries: SymPy differentiates a Max of n arguments in about n^2 Heavisides
ADAPTIVE_MAX = [((4, 4), (3, 3)), ((3, 2), (5, 4)), ((6, 6), (4, 2)), ((1, 1), (1, 1)), ((5, 4), (2, 3))]


@pytest.mark.parametrize(("inp", "out"), ADAPTIVE_MAX)
def test_adaptive_maxpool_mask_is_sympys_derivative_of_max(inp, out):
    d = sc.derive(sc.AdaptiveMaxPool2D(input=inp, output=out))
    I = symbols(d)
    A = _max_exprs(I, _adaptive_windows(inp, out), sp.S.Zero)
    assert sp.Matrix(d.A[0]) == sp.Matrix(A)
    n = inp[0] * inp[1]
    values = np.random.default_rng(5).permutation(np.arange(n)).reshape(inp) - n // 2
    point = {I[r, c]: int(values[r, c]) for r in range(inp[0]) for c in range(inp[1])}
    J = vec(A).jacobian(vec(I)).subs(point)
    assert d.mask(values.astype(float)).to_matrix() == J


@pytest.mark.parametrize("tie_order", ["column", "row"])
@pytest.mark.parametrize("adaptive", [False, True], ids=["maxpool", "adaptive"])
def test_switches_on_ties_follow_the_tie_order(tie_order, adaptive):
    """Integer inputs full of ties: the core's switches and the generated module's equal the
    loop reference's, which scans vΩ (column) or rows (row)."""
    rng = np.random.default_rng(11)
    x = rng.integers(-1, 2, size=(3, 2, 6, 7)).astype(np.float64)
    if adaptive:
        spec = sc.AdaptiveMaxPool2D(input=(6, 7), output=(4, 3), channels=2, tie_order=tie_order)
        A_ref, sw_ref = ref.adaptive_max_forward(x, (4, 3), tie_order)
    else:
        spec = sc.MaxPool2D(input=(6, 7), window=(3, 3), stride=2, padding=1, channels=2, ceil_mode=True,
                            tie_order=tie_order, pad_value=INF)  # fmt: skip
        A_ref, sw_ref = ref.maxpool_forward_pt(x, (3, 3), (1, 1, 1, 1), (2, 2), (1, 1), INF, True, tie_order)
    d = sc.derive(spec)
    np.testing.assert_array_equal(np.stack([d.switches(e) for e in x]), sw_ref)
    m = load(spec)
    A, sw = m.forward(x)
    np.testing.assert_array_equal(A, A_ref)
    np.testing.assert_array_equal(sw, sw_ref)
    if not adaptive:  # the module's NaN path reads the windows in the same order
        x_nan = x.copy()
        x_nan[0, 0, 0, 0] = np.nan
        np.testing.assert_array_equal(m.forward(x_nan)[1][1:], sw_ref[1:])
    g = rng.standard_normal(A.shape)
    want = (
        ref.adaptive_max_backward(g, sw_ref, x.shape, (4, 3))
        if adaptive
        else ref.maxpool_backward(g, sw_ref, x.shape, (3, 3), (1, 1, 1, 1), (2, 2))
    )
    np.testing.assert_allclose(m.backward(g, sw), want, rtol=1e-12, atol=1e-12)
    assert (sw_ref[..., :, :] > 0).all()
    if tie_order == "row":  # the orders really differ on these inputs
        other = (
            ref.adaptive_max_forward(x, (4, 3))[1]
            if adaptive
            else ref.maxpool_forward_pt(x, (3, 3), (1, 1, 1, 1), (2, 2), (1, 1), INF, True)[1]
        )
        assert (other != sw_ref).any()


@pytest.mark.parametrize(("inp", "window", "pad", "stride", "ceil", "cip", "dov"), AVG)
def test_generated_avgpool_options_match_the_loops(inp, window, pad, stride, ceil, cip, dov):
    spec = sc.AvgPool2D(input=inp, window=window, padding=pad, stride=stride, channels=2, ceil_mode=ceil,
                        count_include_pad=cip, divisor_override=dov)  # fmt: skip
    m = load(spec)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2, *inp))
    A = m.forward(x)
    np.testing.assert_allclose(A, ref.avgpool_forward_pt(x, window, pad, stride, ceil, cip, dov), rtol=1e-12)
    g = rng.standard_normal(A.shape)
    dI = m.backward(g)
    # the backward is the adjoint of the forward: <g, A(x)> = <dI(g), x> for every x
    for _ in range(3):
        y = rng.standard_normal(x.shape)
        assert np.isclose(np.sum(g * m.forward(y)), np.sum(dI * y), rtol=1e-12)
    A32 = m.forward(x.astype(np.float32))
    assert A32.dtype == np.float32 and m.backward(g.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(A32, A, rtol=1e-5, atol=1e-6)
    J = m.jacobians()[("I", 0)]
    np.testing.assert_array_equal(J, sc.derive(spec).jacobian("I").to_numpy().astype(float))


@pytest.mark.parametrize(("inp", "out"), ADAPTIVE)
def test_generated_adaptive_pools_match_the_loops(inp, out):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, *inp))
    m = load(sc.AdaptiveAvgPool2D(input=inp, output=out, channels=3))
    A = m.forward(x)
    np.testing.assert_allclose(A, ref.adaptive_avg_forward(x, out), rtol=1e-12)
    g = rng.standard_normal(A.shape)
    np.testing.assert_allclose(m.backward(g), ref.adaptive_avg_backward(g, x.shape), rtol=1e-12)
    assert m.forward(x.astype(np.float32)).dtype == np.float32
    assert m.backward(g.astype(np.float32)).dtype == np.float32
    mx = load(sc.AdaptiveMaxPool2D(input=inp, output=out, channels=3))
    A, sw = mx.forward(x)
    A_ref, sw_ref = ref.adaptive_max_forward(x, out)
    np.testing.assert_array_equal(A, A_ref)
    np.testing.assert_array_equal(sw, sw_ref)
    np.testing.assert_allclose(mx.backward(g, sw), ref.adaptive_max_backward(g, sw, x.shape, out), rtol=1e-12)
    with pytest.raises(ValueError, match="i_pq"):
        mx.backward(g, sw + 100)


# the generated module's paths: output (1, 1) is one reduction over each whole plane; otherwise
# band sums (average) and sweeps (max) term by term, whose last term may leave the shorter
# bands out (two window lengths), and whose backward sums over the windows holding each entry
PATHS = [
    pytest.param((7, 7), (1, 1), id="whole-plane"),
    pytest.param((3, 5), (1, 1), id="whole-plane-oblong"),
    pytest.param((6, 8), (3, 2), id="even-tiles"),
    pytest.param((5, 7), (3, 4), id="two-lengths-overlapping"),
    pytest.param((3, 2), (5, 4), id="more-outputs-than-inputs"),
    pytest.param((7, 6), (1, 4), id="one-row-band"),
]


def _ties(rng, shape):
    """Integer entries, full of ties, and zeros of both signs (tied, yet told apart by signbit)."""
    x = rng.integers(-1, 2, size=shape).astype(np.float64)
    x[rng.random(shape) < 0.3] = -0.0
    return x


@pytest.mark.parametrize("chunked", [False, True], ids=["one-chunk", "a-plane-per-chunk"])
@pytest.mark.parametrize("tie_order", ["column", "row"])
@pytest.mark.parametrize(("inp", "out"), PATHS)
def test_adaptive_max_paths_take_the_first_maximum_in_the_tie_order(monkeypatch, inp, out, tie_order, chunked):
    """Every path of the generated adaptive max pooling, on inputs full of ties: the values
    (a zero's sign included) and switches are the loop reference's, which scans each window in
    the tie order, and the backward routes as eq.b-2.1 to eq.b-2.3 say; a chunk of one plane
    crosses every chunk boundary."""
    if chunked:
        monkeypatch.setattr(pool_plan, "POOL_FORWARD_CHUNK_BYTES", 1)
    spec = sc.AdaptiveMaxPool2D(input=inp, output=out, channels=3, tie_order=tie_order)
    m = load(spec)
    assert (m._PLAN.chunk == 1) == chunked
    rng = np.random.default_rng(12)
    x = _ties(rng, (4, 3, *inp))
    A, sw = m.forward(x)
    A_ref, sw_ref = ref.adaptive_max_forward(x, out, tie_order)
    np.testing.assert_array_equal(sw, sw_ref)
    np.testing.assert_array_equal(A, A_ref)
    np.testing.assert_array_equal(np.signbit(A), np.signbit(A_ref))
    assert sw.dtype == np.int64
    g = rng.standard_normal(A.shape)
    np.testing.assert_allclose(m.backward(g, sw), ref.adaptive_max_backward(g, sw_ref, x.shape, out), rtol=1e-12)
    A32, sw32 = m.forward(x.astype(np.float32))
    assert A32.dtype == np.float32
    np.testing.assert_array_equal(sw32, sw_ref)
    np.testing.assert_array_equal(np.signbit(A32), np.signbit(A_ref))


@pytest.mark.parametrize("tie_order", ["column", "row"])
@pytest.mark.parametrize(("inp", "out"), PATHS)
def test_adaptive_max_takes_the_first_nan_in_the_tie_order(inp, out, tie_order):
    """A window holding NaN takes its first NaN in the tie order (np.argmax over the window read
    in that order, as the core's switches do); planes without NaN keep their sweeps' results."""
    spec = sc.AdaptiveMaxPool2D(input=inp, output=out, channels=3, tie_order=tie_order)
    m = load(spec)
    rng = np.random.default_rng(13)
    x = _ties(rng, (3, 3, *inp))
    clean = m.forward(x)
    x[0, 1][rng.random(inp) < 0.4] = np.nan
    x[2, 0, -1, -1] = x[2, 0, 0, 0] = np.nan
    A, sw = m.forward(x)
    d = sc.derive(spec)
    np.testing.assert_array_equal(sw, np.stack([d.switches(e) for e in x]))
    nan = np.isnan(x).reshape(9, -1).any(axis=1).reshape(3, 3)
    assert nan.sum() == 2 and np.isnan(A[nan]).any()
    np.testing.assert_array_equal(A[~nan], clean[0][~nan])
    np.testing.assert_array_equal(sw[~nan], clean[1][~nan])


@pytest.mark.parametrize("chunked", [False, True], ids=["one-chunk", "a-plane-per-chunk"])
@pytest.mark.parametrize(("inp", "out"), PATHS)
def test_adaptive_avg_paths_match_the_loops(monkeypatch, inp, out, chunked):
    """Every path of the generated adaptive average pooling against the loop reference, forward
    and backward, in float64 and float32, in one chunk and a plane per chunk."""
    if chunked:
        monkeypatch.setattr(pool_plan, "POOL_FORWARD_CHUNK_BYTES", 1)
    m = load(sc.AdaptiveAvgPool2D(input=inp, output=out, channels=3))
    assert (m._PLAN.chunk == 1 or m._PLAN.out == (1, 1)) == (chunked or out == (1, 1))
    rng = np.random.default_rng(14)
    x = rng.standard_normal((4, 3, *inp))
    A = m.forward(x)
    np.testing.assert_allclose(A, ref.adaptive_avg_forward(x, out), rtol=1e-12)
    g = rng.standard_normal(A.shape)
    np.testing.assert_allclose(m.backward(g), ref.adaptive_avg_backward(g, x.shape), rtol=1e-12)
    A32, dI32 = m.forward(x.astype(np.float32)), m.backward(g.astype(np.float32))
    assert A32.dtype == dI32.dtype == np.float32
    np.testing.assert_allclose(A32, A, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dI32, ref.adaptive_avg_backward(g, x.shape), rtol=1e-5, atol=1e-6)


def test_adaptive_plans_refuse_tables_that_disagree_with_the_derivation(monkeypatch):
    """The plans check what the modules are built from against the derivation (PlanError, not
    assert): the window tables (the bands of max pooling, the weight matrices of average
    pooling) must give d vA/d vI, and output 1 must be one window over the whole block."""
    d = sc.derive(sc.AdaptiveAvgPool2D(input=(7, 7), output=(1, 1)))
    with pytest.raises(sc.PlanError, match="output 1 is not the whole block"):
        adaptive_plan._whole(d, [[(0, 6)], [(0, 7)]])
    real = adaptive_plan._windows
    monkeypatch.setattr(adaptive_plan, "_windows", lambda d: [real(d)[0][::-1], real(d)[1]])
    with pytest.raises(sc.PlanError, match="the averaging matrices differ"):
        generate(sc.AdaptiveAvgPool2D(input=(5, 7), output=(3, 4)))


@pytest.mark.parametrize(
    "flags",
    [
        ["--layer", "avgpool2d", "--input", "7x8", "--window", "3", "--stride", "2", "--padding", "1",
         "--ceil-mode", "--no-count-include-pad", "--channels", "2"],
        ["--layer", "avgpool2d", "--input", "6x5", "--window", "2x3", "--divisor-override", "4"],
        ["--layer", "maxpool2d", "--input", "7x8", "--window", "3", "--stride", "2", "--padding", "1",
         "--ceil-mode", "--tie-order", "row", "--pad-value", "-inf"],
        ["--layer", "adaptive_avgpool2d", "--input", "7x7", "--output-size", "1", "--channels", "3"],
        ["--layer", "adaptive_maxpool2d", "--input", "5x7", "--output-size", "3x2", "--tie-order", "row"],
        ["--layer", "adaptive_maxpool2d", "--input", "6x5", "--output-size", "1", "--channels", "2"],
    ],
    ids=["avg-ceil-exclude", "avg-override", "max-ceil-row", "global-avg", "adaptive-max", "global-max"],
)  # fmt: skip
def test_symconv_check_passes_on_the_new_options(tmp_path, capsys, flags):
    """``symconv codegen`` then ``symconv check``: finite differences, the seed's route, float32."""
    assert main(["codegen", *flags, "-o", str(tmp_path)]) == 0
    (module,) = tmp_path.glob("*.py")
    capsys.readouterr()
    assert main(["check", str(module)]) == 0
    assert "all checks passed" in capsys.readouterr().out


def test_a_window_wholly_outside_the_input_is_refused_and_only_then():
    """PyTorch's ceil rule drops a last window that would start in the padding after the input;
    any window that still misses every input entry (a dilated window over a small input, a
    padding as large as JAX allows) is refused with the padding rule, and every other spec is
    accepted with the loop reference's output size.  Checked exhaustively on small shapes."""
    checked = refused = 0
    for n in range(1, 7):
        for k in range(1, 4):
            for s in range(1, 5):
                for d in (1, 2):
                    span = d * (k - 1) + 1
                    for before in range(span + 2):
                        for after in range(span + 2):
                            if n + before + after < span:
                                continue
                            for ceil in (False, True):
                                out = ref.pool_out_size(n, k, before, after, s, d, ceil)
                                meets = all(any(0 <= p * s + r * d - before < n for r in range(k)) for p in range(out))
                                make = functools.partial(
                                    sc.MaxPool2D, input=(n, 1), window=(k, 1), stride=(s, 1), dilation=(d, 1),
                                    padding=(before, after, 0, 0), ceil_mode=ceil,
                                )  # fmt: skip
                                if not meets:
                                    with pytest.raises(sc.SpecError, match="wholly outside the input"):
                                        make()
                                    refused += 1
                                    continue
                                g = make().geometry
                                assert g.output[0] == out
                                assert (g.windows >= 0).any(axis=(1, 2, 3)).all()
                                checked += 1
    assert checked > 500 and refused > 100


# -- PyTorch ------------------------------------------------------------------------------------


def _torch():
    return pytest.importorskip("torch")


def test_cross_check_every_new_option_against_torch():
    torch = _torch()
    F = torch.nn.functional
    rng = np.random.default_rng(7)
    cases = []
    for ceil in (False, True):
        for cip in (True, False):
            for dov in (None, 3):
                cases.append(("avg", dict(kernel_size=3, stride=2, padding=1, ceil_mode=ceil, count_include_pad=cip,
                                          divisor_override=dov)))  # fmt: skip
        cases.append(("max", dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), dilation=(1, 2), ceil_mode=ceil)))
    for kind, kw in cases:
        x = rng.integers(-3, 4, size=(2, 3, 8, 9)).astype(np.float64)  # ties: PyTorch's row-major order
        xt = torch.tensor(x, requires_grad=True)
        if kind == "avg":
            yt = F.avg_pool2d(xt, **kw)
            options = {k: kw[k] for k in ("ceil_mode", "count_include_pad", "divisor_override")}
            spec = sc.AvgPool2D(input=(8, 9), window=3, stride=2, padding=1, channels=3, **options)
        else:
            yt = F.max_pool2d(xt, **kw)
            spec = sc.MaxPool2D(input=(8, 9), window=(3, 2), stride=(2, 3), padding=1, dilation=(1, 2), channels=3,
                                ceil_mode=kw["ceil_mode"], tie_order="row", pad_value=INF)  # fmt: skip
        _agree(torch, load(spec), kind, x, xt, yt, rng)
    for out in [(1, 1), (3, 4), (5, 11)]:
        x = rng.integers(-3, 4, size=(2, 3, 8, 9)).astype(np.float64)
        xt = torch.tensor(x, requires_grad=True)
        _agree(torch, load(sc.AdaptiveAvgPool2D(input=(8, 9), output=out, channels=3)), "avg", x, xt,
               F.adaptive_avg_pool2d(xt, out), rng)  # fmt: skip
        xt = torch.tensor(x, requires_grad=True)
        _agree(torch, load(sc.AdaptiveMaxPool2D(input=(8, 9), output=out, channels=3, tie_order="row")), "max", x, xt,
               F.adaptive_max_pool2d(xt, out), rng)  # fmt: skip


def _agree(torch, m, kind, x, xt, yt, rng):
    """The module's forward and backward equal PyTorch's on ``x``, in float64 and float32."""
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        out = m.forward(x.astype(dtype))
        y, saved = out if kind == "max" else (out, None)
        assert y.dtype == dtype
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=tol, atol=tol)
        dI = m.backward(g.astype(dtype), saved) if kind == "max" else m.backward(g.astype(dtype))
        np.testing.assert_allclose(dI, xt.grad.numpy(), rtol=tol, atol=tol)


OPINFO = tuple(
    f"nn.functional.{op}{d}d"
    for op in ("max_pool", "avg_pool", "adaptive_avg_pool", "adaptive_max_pool", "max_unpool")
    for d in (1, 2, 3)
)


def _axes(v, d):
    """PyTorch's int-or-tuple argument as one number per axis (a 1-tuple means every axis)."""
    v = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    return v * d if len(v) == 1 else v


def _spec_of(name, shape, args, kwargs):
    """The symconv layer for one OpInfo sample (PyTorch's positional order of each op)."""
    d = int(name[-2])
    c, size = shape[-d - 1], tuple(shape[-d:])
    if "adaptive" in name:
        out = args[0] if args else kwargs["output_size"]
        out = _axes(out, d)
        if "adaptive_avg" in name:
            cls = {1: sc.AdaptiveAvgPool1D, 2: sc.AdaptiveAvgPool2D, 3: sc.AdaptiveAvgPool3D}[d]
            return cls(input=size, output=out, channels=c)
        cls = {1: sc.AdaptiveMaxPool1D, 2: sc.AdaptiveMaxPool2D, 3: sc.AdaptiveMaxPool3D}[d]
        return cls(input=size, output=out, channels=c, tie_order="row")
    if "avg_pool" in name:
        names = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")
        kw = {**dict(zip(names, args, strict=False)), **kwargs}
        stride = kw.get("stride") or kw["kernel_size"]
        cls = {1: sc.AvgPool1D, 2: sc.AvgPool2D, 3: sc.AvgPool3D}[d]
        return cls(input=size, window=_axes(kw["kernel_size"], d), stride=_axes(stride, d),
                   padding=_axes(kw.get("padding", 0), d), channels=c, ceil_mode=kw.get("ceil_mode", False),
                   count_include_pad=kw.get("count_include_pad", True),
                   divisor_override=kw.get("divisor_override"))  # fmt: skip
    if "unpool" in name:
        kw = {**dict(zip(("kernel_size", "stride", "padding", "output_size"), args[1:], strict=False)), **kwargs}
        stride = kw.get("stride") or kw["kernel_size"]
        out = kw.get("output_size")
        cls = {1: sc.MaxUnpool1D, 2: sc.MaxUnpool2D, 3: sc.MaxUnpool3D}[d]
        return cls(input=size, window=_axes(kw["kernel_size"], d), stride=_axes(stride, d),
                   padding=_axes(kw.get("padding", 0), d), channels=c,
                   output=None if out is None else tuple(out)[-d:])  # fmt: skip
    kw = {**dict(zip(("kernel_size", "stride", "padding", "dilation", "ceil_mode"), args, strict=False)), **kwargs}
    stride = kw.get("stride") or kw["kernel_size"]
    cls = {1: sc.MaxPool1D, 2: sc.MaxPool2D, 3: sc.MaxPool3D}[d]
    return cls(input=size, window=_axes(kw["kernel_size"], d), stride=_axes(stride, d),
               padding=_axes(kw.get("padding", 0), d), dilation=_axes(kw.get("dilation", 1), d), channels=c,
               ceil_mode=kw.get("ceil_mode", False), tie_order="row", pad_value=INF)  # fmt: skip


@pytest.mark.slow(reason="3,574 OpInfo samples through their generated modules, about 30 s")
def test_every_opinfo_sample_of_the_pooling_ops_passes():
    """PyTorch's own OpInfo sample_inputs (float64) of the pooling ops in 1, 2 and 3 axes (and their
    "grad" variants), every sample run through the generated module of its layer: forward and
    gradient equal PyTorch's, and where PyTorch returns indices they name the entries symconv's
    switches select (max pooling's ``indices``).  Max unpooling takes the sample's indices.
    Samples without a batch axis are counted apart; the generated modules take them as they are
    and give batchless results.  No sample is skipped."""
    torch = _torch()
    try:
        from torch.testing._internal.common_methods_invocations import op_db
    except Exception as err:  # PyTorch's test internals need extra packages (expecttest)
        pytest.skip(f"torch.testing._internal does not import: {err}")
    counts: dict[str, list[int]] = {}
    modules: dict[object, types.ModuleType] = {}
    for op in (o for o in op_db if o.name in OPINFO):
        label = op.name + (f" {op.variant_test_name}" if op.variant_test_name else "")
        for sample in op.sample_inputs("cpu", torch.float64, requires_grad=True):
            x = sample.input.detach().numpy()
            d = int(op.name[-2])
            batchless = x.ndim == d + 1
            spec = _spec_of(op.name, x.shape, sample.args, sample.kwargs)
            m = modules.get(spec) or modules.setdefault(spec, load(spec))
            xt = sample.input.detach().clone().requires_grad_(True)
            out = op.op(xt, *sample.args, **sample.kwargs)
            yt, idx = out if isinstance(out, tuple) else (out, None)
            g = np.random.default_rng(0).standard_normal(tuple(yt.shape))
            yt.backward(torch.tensor(g))
            if "unpool" in op.name:
                indices = sample.args[0].numpy()
                y, sw = m.forward(x, indices), None
                dI = m.backward(g, indices)
            else:
                res = m.forward(x)  # a batchless sample goes in as it is, and comes back batchless
                y, sw = res if isinstance(res, tuple) else (res, None)
                dI = m.backward(g, sw) if sw is not None else m.backward(g)
            assert np.shape(y) == tuple(yt.shape) and np.shape(dI) == x.shape, label
            np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=label)
            np.testing.assert_allclose(dI, xt.grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=label)
            if idx is not None:  # PyTorch's flat row-major index of each selected entry
                if hasattr(m, "indices"):
                    picked = m.indices(sw)
                else:
                    core = sc.derive(spec)
                    size = x.shape[-d:]
                    sel = np.stack([core.selected(s) for s in sw.reshape(-1, *sw.shape[-d:])]) - 1  # vec index
                    picked = np.ravel_multi_index(np.unravel_index(sel, size, order="F"), size)
                np.testing.assert_array_equal(np.reshape(picked, idx.shape), idx.numpy(), err_msg=label)
            counts.setdefault(label, [0, 0])[batchless] += 1
    summary = {name: (a + b, b) for name, (a, b) in counts.items()}
    print("OpInfo samples (all, of them batchless):", summary)
    assert {name.split()[0] for name in summary} == set(OPINFO)
    assert sum(a for a, _ in summary.values()) >= 3574


CLAIMS = """
[layer]
type = "avgpool2d"
input = [5, 5]
window = [2, 2]
stride = [2, 2]
ceil_mode = true
count_include_pad = false

[[claims]]
id = "last-window"
lhs = "a[3,3]"
rhs = "I[5,5] / D[3,3]"

[[claims]]
id = "its-divisor"
lhs = "D[3,3]"
rhs = "1"

[[claims]]
id = "wrong-divisor"
lhs = "diff(a[1,1], I[1,1])"
rhs = "1/2"
"""

ADAPTIVE_CLAIMS = """
[layer]
type = "adaptive_maxpool2d"
input = [5, 7]
output = [3, 2]
tie_order = "row"

[[claims]]
id = "output-size"
lhs = "h_a * w_a"
rhs = "6"
"""


def test_claims_name_the_divisors_and_the_adaptive_output(tmp_path, capsys):
    """``D`` (each window's divisor) and ``h_a, w_a`` in claims; the ceil window past the input
    divides by the one entry it covers, and a wrong divisor fails with the right value."""
    path = tmp_path / "c.toml"
    path.write_text(CLAIMS)
    assert main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "holds    last-window" in out and "holds    its-divisor" in out
    assert "FAILS    wrong-divisor" in out and "correct value: 1/4" in out
    path.write_text(ADAPTIVE_CLAIMS)
    assert main(["verify", str(path)]) == 0


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--layer", "maxpool2d", "--input", "5x6", "--window", "3x2", "--tie-order", "diag"],
         "--tie-order: must be one of 'column', 'row', got 'diag'"),
        (["--layer", "avgpool2d", "--input", "5x6", "--window", "3x2", "--tie-order", "row"],
         "--tie-order: does not apply to avgpool2d"),
        (["--layer", "avgpool2d", "--input", "5x6", "--window", "3x2", "--divisor-override", "0"],
         "--divisor-override: must be a nonzero integer, got 0"),
        (["--layer", "maxpool2d", "--input", "5x6", "--window", "3x2", "--no-count-include-pad"],
         "--no-count-include-pad: does not apply to maxpool2d"),
        (["--layer", "adaptive_avgpool2d", "--input", "5x6"], "--output-size: is required for adaptive_avgpool2d"),
        (["--layer", "adaptive_avgpool2d", "--input", "5x6", "--output-size", "0x2"],
         "--output-size: must be a positive integer, got 0"),
    ],
)  # fmt: skip
def test_cli_refuses_bad_pooling_flags_in_one_line(tmp_path, capsys, flags, message):
    assert main(["latex", *flags, "-o", str(tmp_path / "x.tex")]) == 2
    err = capsys.readouterr().err
    assert err == f"symconv: error: {message}\n"
    assert not list(tmp_path.iterdir())
