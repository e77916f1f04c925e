# ruff: noqa: E741, N803 - the seed's name I
"""Property test of pooling in 1, 2 and 3 axes: random valid layers of every pooling kind with
every option (window, stride, per-side padding as large as a window may meet the input, dilation,
input dilation, ceil_mode, count_include_pad, divisor_override, pad value, tie order, norm,
adaptive output sizes, unpooling output sizes).

The core's vec Jacobians equal SymPy's ``jacobian`` of the plain N-d loops of
``tests/reference_loops.py`` (written apart from symconv.geometry) exactly, on small shapes; max
pooling's mask equals SymPy's derivative of the loops' ``Max`` at an input without ties.  The
generated modules equal the loops (float64, and float32 close) and central differences (max
pooling away from ties: inputs of distinct values)."""

from __future__ import annotations

import itertools
import math
import types

import numpy as np
import pytest
import reference_loops as ref
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symconv as sc
from symconv.codegen.render import generate
from symconv.errors import SpecError

SETTINGS = dict(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
CLASSES = {
    "max": (sc.MaxPool1D, sc.MaxPool2D, sc.MaxPool3D),
    "avg": (sc.AvgPool1D, sc.AvgPool2D, sc.AvgPool3D),
    "lp": (sc.LPPool1D, sc.LPPool2D, sc.LPPool3D),
    "adaptive_avg": (sc.AdaptiveAvgPool1D, sc.AdaptiveAvgPool2D, sc.AdaptiveAvgPool3D),
    "adaptive_max": (sc.AdaptiveMaxPool1D, sc.AdaptiveMaxPool2D, sc.AdaptiveMaxPool3D),
    "unpool": (sc.MaxUnpool1D, sc.MaxUnpool2D, sc.MaxUnpool3D),
}


def load(spec):
    module = types.ModuleType("generated_under_test")
    exec(compile(generate(spec), "<generated>", "exec"), module.__dict__)
    return module


def family(spec):
    return next(name for name, classes in CLASSES.items() if isinstance(spec, classes))


@st.composite
def pools(draw, small=False):
    """A valid pooling layer (redrawn until the spec is valid)."""
    d = draw(st.sampled_from([1, 2, 3]))
    name = draw(st.sampled_from(sorted(CLASSES)))
    cls = CLASSES[name][d - 1]
    top = (4 if d == 3 else 5) if small else (5 if d == 3 else 8)
    size = tuple(draw(st.integers(1, top)) for _ in range(d))
    channels = draw(st.integers(1, 1 if small else 2))
    if name.startswith("adaptive"):
        output = tuple(draw(st.integers(1, n + 2)) for n in size)
        extra = {"tie_order": draw(st.sampled_from(["column", "row"]))} if name == "adaptive_max" else {}
        return cls(input=size, output=output, channels=channels, **extra)
    window = tuple(draw(st.integers(1, 3)) for _ in range(d))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(d))
    if name == "unpool":
        padding = tuple(draw(st.integers(0, (k - 1) // 2)) for k in window for _ in range(2))
        try:
            return cls(input=size, window=window, stride=stride, padding=padding, channels=channels)
        except SpecError:
            return cls(input=size, window=window, stride=window, channels=channels)
    kw = {
        "input": size,
        "window": window,
        "stride": stride,
        "padding": tuple(draw(st.integers(0, 3)) for _ in range(2 * d)),
        "input_dilation": tuple(draw(st.sampled_from([1, 1, 2])) for _ in range(d)),
        "ceil_mode": draw(st.booleans()),
        "channels": channels,
    }
    if name == "max":
        kw |= {
            "dilation": tuple(draw(st.sampled_from([1, 1, 2])) for _ in range(d)),
            "pad_value": draw(st.sampled_from([0.0, -math.inf])),
            "tie_order": draw(st.sampled_from(["column", "row"])),
        }
    elif name == "avg":
        kw |= {
            "count_include_pad": draw(st.booleans()),
            "divisor_override": draw(st.sampled_from([None, None, 2, -3])),
        }
    else:
        kw["norm"] = draw(st.sampled_from([1, 2, 3, 1.5]))
    try:
        return cls(**kw)
    except SpecError:  # a window misses the input: no padding, no input dilation
        kw |= {"padding": 0, "input_dilation": 1}
        try:
            return cls(**kw)
        except SpecError:  # no window fits: windows of one
            return cls(**(kw | {"window": 1}))


def block_positions(shape):
    """Positions of a block in vec order (the first axis fastest)."""
    return [tuple(reversed(p)) for p in itertools.product(*[range(n) for n in reversed(shape)])]


def reference(spec, I, indices=None):
    """The loops' output of one channel ``I`` (``A`` by position) and the output size."""
    name = family(spec)
    if name == "adaptive_max" and isinstance(I.flat[0], sp.Basic):  # symbolic: the window's Max
        cells = ref.nd_adaptive_cells(I.shape, spec.output_size)
        return {p: sp.Max(*[I[at] for at in cell]) for p, cell in cells.items()}, spec.output_size
    if name.startswith("adaptive"):
        A, _ = ref.nd_adaptive(I, spec.output_size, name.split("_")[1], getattr(spec, "tie_order", "column"))
        return A, spec.output_size
    if name == "unpool":
        U = ref.nd_unpool(I, indices, spec.output_size)
        return {p: U[p] for p in itertools.product(*[range(n) for n in spec.output_size])}, spec.output_size
    args = (spec.window, spec.padding, spec.stride, spec.dilation, spec.input_dilation, spec.ceil_mode)
    if name == "max":
        fill = spec.pad_value
        if isinstance(I.flat[0], sp.Basic):  # symbolic: the window's Max
            outs, cells = ref.nd_pool_windows(I.shape, *args[:-1], spec.ceil_mode)
            pad = sp.S.Zero if fill == 0 else sp.S.NegativeInfinity
            return {p: sp.Max(*[pad if at is None else I[at] for at in cell]) for p, cell in cells.items()}, outs
        outs, _, A, _ = ref.nd_maxpool(I, *args[:-1], fill, spec.ceil_mode, spec.tie_order)
        return A, outs
    if name == "avg":
        outs, A = ref.nd_avgpool(I, *args, spec.count_include_pad, spec.divisor_override)
        return A, outs
    norm = sp.nsimplify(spec.norm) if isinstance(I.flat[0], sp.Basic) else float(spec.norm)
    outs, A = ref.nd_lppool(I, *args, norm)
    return A, outs


def draw_indices(spec, rng, n):
    """Distinct places of each output plane for a batch of ``n`` (some repeat where the output has
    fewer places than the input has entries)."""
    places, count = math.prod(spec.output_size), math.prod(spec.in_shape[1:])
    rows = [rng.choice(places, count, replace=count > places) for _ in range(n * spec.in_shape[0])]
    return np.array(rows, np.int64).reshape(n, *spec.in_shape)


@pytest.mark.slow(reason="100 drawn pooling layers, each SymPy's jacobian of the loop reference, simplified: 5-15 s")
@settings(max_examples=100, **SETTINGS)
@given(spec=pools(small=True), seed=st.integers(0, 2**16))
def test_pooling_jacobians_equal_sympys(spec, seed):
    rng = np.random.default_rng(seed)
    d = sc.derive(spec)
    size = spec.in_shape[1:]
    symbols = d.input.vec(0)
    I = np.empty(size, dtype=object)
    for k, p in enumerate(block_positions(size)):
        I[p] = symbols[k]
    name = family(spec)
    indices = draw_indices(spec, rng, 1)[0] if name == "unpool" else None
    A, outs = reference(spec, I, None if indices is None else indices[0])
    rows = sp.Matrix([A[p] for p in block_positions(outs)])
    J = rows.jacobian(sp.Matrix(symbols))
    if name in ("max", "adaptive_max"):
        # no ties: distinct entries, none equal to a padding value (0 or -inf)
        x = 2 * rng.permutation(math.prod(size)).astype(float).reshape(size) - 5  # odd: never 0
        env = {symbols[k]: x[p] for k, p in enumerate(block_positions(size))}
        want = np.array(J.subs(env), dtype=float)
        np.testing.assert_array_equal(d.mask(x).to_numpy(), want)
        return
    if name == "unpool":
        got = d.at({"indices": indices}).jacobian("A").to_matrix()
    else:
        got = d.jacobian("I").to_matrix()
    assert all(_zero_where_defined(e) for e in got - J), (got, J)


def _zero_where_defined(e: sp.Expr) -> bool:
    """``e`` is 0 wherever both sides are defined: Lp pooling's exact entries (``I_r |I_r|^(n-2)
    S^(1/n - 1)``, ``I_1/|I_1|`` for one entry and ``n = 2``) are undefined where the window's sum
    ``S`` is 0, where SymPy's derivative may take a value (``sign(0) = 0``); the difference is
    then ``nan`` on that set and 0 elsewhere."""
    if e == 0 or sp.simplify(e) == 0:
        return True
    s = sp.simplify(sp.piecewise_fold(e))
    return isinstance(s, sp.Piecewise) and all(value == 0 or value is sp.nan for value, _ in s.args)


@pytest.mark.slow(reason="250 drawn pooling layers, each a generated module, loops and central differences: 10-15 s")
@settings(max_examples=250, **SETTINGS)
@given(spec=pools(), n=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_generated_pooling_matches_the_loops_and_central_differences(spec, n, seed):
    rng = np.random.default_rng(seed)
    m = load(spec)
    name = family(spec)
    spec.in_shape[1:]
    if name in ("max", "adaptive_max"):
        x = rng.integers(-2, 2, size=(n, *spec.in_shape)).astype(np.float64)  # ties on purpose
    else:
        x = rng.standard_normal((n, *spec.in_shape))
    if name == "lp" and spec.norm not in (1, 2):
        x = np.abs(x) + 0.1  # a real root
    indices = draw_indices(spec, rng, n) if name == "unpool" else None
    args = (indices,) if indices is not None else ()
    out = m.forward(x, *args)
    y, saved = out if isinstance(out, tuple) else (out, None)
    for e, c in itertools.product(range(n), range(spec.in_shape[0])):
        A, outs = reference(spec, x[e, c], None if indices is None else indices[e, c])
        want = np.array([A[p] for p in itertools.product(*[range(o) for o in outs])]).reshape(outs)
        np.testing.assert_allclose(y[e, c], want, rtol=1e-10, atol=1e-12)
    # float32 in, float32 out, close
    out32 = m.forward(x.astype(np.float32), *args)
    y32 = out32[0] if isinstance(out32, tuple) else out32
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, y, rtol=1e-5, atol=1e-5 * max(1.0, float(np.abs(y).max(initial=0))))
    # the backward pass against central differences of J = sum(G * forward(x)); max pooling away
    # from ties (distinct nonzero values, at least the step apart from each other and from a padded 0)
    if name in ("max", "adaptive_max"):
        signs = rng.choice([-1.0, 1.0], size=x.shape)
        x = (rng.permutation(x.size).reshape(x.shape) + 1) * 0.01 * signs
        y, saved = m.forward(x)
    G = rng.standard_normal(np.shape(y))
    if name == "unpool":
        dx = m.backward(G, indices)
    elif name == "lp":
        dx = m.backward(G, x, saved)
    elif saved is not None:
        dx = m.backward(G, saved)
    else:
        dx = m.backward(G)

    def J(v):
        o = m.forward(v, *args)
        return float(np.sum(G * (o[0] if isinstance(o, tuple) else o)))

    h = 1e-6
    if name == "unpool" and len(set(indices.reshape(-1).tolist())) < indices.size:
        return  # repeated indices: the forward keeps the last entry, PyTorch's backward gathers for all
    for idx in list(np.ndindex(*x.shape))[:: max(1, x.size // 8)]:
        plus, minus = x.copy(), x.copy()
        plus[idx] += h
        minus[idx] -= h
        fd = (J(plus) - J(minus)) / (2 * h)
        assert abs(fd - dx[idx]) <= 1e-6 * max(1.0, abs(fd)), (idx, fd, dx[idx])
