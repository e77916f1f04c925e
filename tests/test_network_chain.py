"""The chain of section 3.1 gives exactly SymPy's gradient of the loss on tiny networks: for
every parameter entry, the seed's chain of vec Jacobians against SymPy's ``diff`` of the loss
with that entry left symbolic (test_network.py has the numeric checks, shapes and names)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from exact import exactly_equal

import symconv as sc


def tiny(activation: sc.Layer, pool: sc.Layer, size: int = 5, channels: int = 2) -> sc.Network:
    """A whole 3-layer CNN on a tiny input (5x5 with 2 channels by default)."""
    padding = (0, 1, 1, 0) if size == 5 else 0
    return sc.Network(
        input=(size, size),
        channels=channels,
        layers=[
            sc.Conv2D(kernel=2, out_channels=2, padding=padding, stride=(1, 1)),
            activation,
            pool,
            sc.Flatten(),
            sc.Dense(out_features=3),
            sc.SoftmaxCrossEntropy(),
        ],
    )


def rational_point(d: sc.NetworkDerivation, seed: int, label: int) -> dict[sp.Symbol, sp.Expr]:
    rng = np.random.default_rng(seed)
    point: dict[sp.Symbol, sp.Expr] = {}
    for s in d.input.flat:
        point[s] = sp.Rational(int(rng.integers(-12, 13)), 4)
    for p in d.params:
        for s in p.tensor.flat:
            point[s] = sp.Rational(int(rng.integers(-9, 10)), 7)
    for k, y in enumerate(d.loss_layer.labels.flat):
        point[y] = sp.Integer(1 if k == label else 0)
    return point


def evaluate(d: sc.NetworkDerivation, values: dict[sp.Symbol, sp.Expr], start: int = 0) -> dict[sp.Symbol, sp.Expr]:
    """Every layer's output at ``values``, layer by layer from its forward expressions, from
    layer ``start`` on (the outputs of the layers before it are taken from ``values``)."""
    out = dict(values)
    for layer in d.layers[start:]:
        if layer.output.source is None:
            for sym, expr in zip(layer.output.flat, layer.forward(), strict=True):
                out[sym] = sp.sympify(expr).xreplace(out)
    return out


def differentiable_at(d: sc.NetworkDerivation, values: dict[sp.Symbol, sp.Expr]) -> bool:
    """No ReLU input is 0 and every max-pool window has a single maximum: the loss is
    differentiable there, so SymPy's Heaviside(0) never enters."""
    for layer in d.layers:
        if layer.kind == "relu" and any(values[z] == 0 for z in layer.input.flat):
            return False
        if layer.kind == "maxpool2d":
            for a in layer.A:
                for m in a:
                    vals = [sp.sympify(v).xreplace(values) for v in (m.args if isinstance(m, sp.Max) else [m])]
                    vals = [sp.N(v, 50) for v in vals]
                    top = max(vals)
                    if sum(1 for v in vals if abs(v - top) < sp.Float(1e-40)) > 1:
                        return False
    return True


def chain_and_sympy(net: sc.Network, digits: int | None = None):
    """For every parameter entry: (ours, SymPy's) dJ/dP at a rational point where J is
    differentiable.  Ours is the seed's chain of vec Jacobians with the intermediate
    symbols given their values; SymPy's is ``diff`` of J built with that entry left
    symbolic and everything else fixed.

    Values are exact; with ``digits``, the point's numbers are Floats of that many
    digits, so that sigmoid and tanh values are numbers of that precision instead of
    closed forms that grow layer by layer."""
    d = sc.derive(net)
    seed = 5
    while True:
        point = rational_point(d, seed=seed, label=2)
        values = evaluate(d, point)
        if differentiable_at(d, values):
            break
        seed += 1
    if digits is not None:
        labels = set(d.loss_layer.labels.flat)
        point = {s: v if s in labels else sp.Float(v, digits) for s, v in point.items()}
        values = evaluate(d, point)
    x = np.array([float(point[s]) for s in d.input.flat]).reshape(net.in_shape[0], net.input[1], net.input[0])
    numeric = d.forward_numeric(x.swapaxes(1, 2), {p.key: _unvec_params(p, point) for p in d.params})
    grads = d.symbolic_gradients(numeric)
    assert set(grads) == {p.key for p in d.params}
    loss_layer = d.loss_layer
    for p in d.params:
        for k, sym in enumerate(p.tensor.flat):
            theta = sp.Symbol("theta", real=True)
            partial = evaluate(d, {**values, sym: theta}, start=p.position)  # the layers before P keep their values
            loss = loss_layer.loss([partial[a] for a in loss_layer.output.flat]).xreplace(point)
            expected = sp.diff(loss, theta).xreplace({theta: point[sym]})
            ours = sp.sympify(grads[p.key][k]).xreplace(values)
            yield (p.key, k), ours, expected


@pytest.mark.slow(reason="the reference, SymPy's diff of a loss through Max, takes 5-20 s a network")
@pytest.mark.parametrize(
    "net",
    [
        tiny(sc.ReLU(), sc.AvgPool2D(window=2, stride=2)),
        tiny(sc.ReLU(), sc.MaxPool2D(window=2, stride=1), size=4),
        tiny(sc.ReLU(), sc.MaxPool2D(window=2, stride=2, padding=(1, 0, 1, 0), pad_value=float("-inf")), size=4),
    ],
    ids=["relu-avg-5x5x2", "relu-max-4x4x2", "relu-max-padded-4x4x2"],
)
def test_chain_equals_sympy_diff_of_the_loss_exactly(net):
    """Piecewise-linear hidden layers: every value is rational at a rational point, the
    softmax gives powers of exp(1/D), and the two gradients are compared exactly.  (SymPy
    differentiates Max slowly, so the max-pool networks are 4x4.)"""
    for where, ours, expected in chain_and_sympy(net):
        assert exactly_equal(ours, expected), where


@pytest.mark.slow(reason="SymPy's diff of exp of exp to 100 digits, the reference: 3-10 s a network")
@pytest.mark.parametrize("activation", [sc.Sigmoid(), sc.Tanh()], ids=["sigmoid", "tanh"])
def test_chain_equals_sympy_diff_of_the_loss_to_60_digits(activation):
    """Sigmoid and tanh put exp of exp in the loss, beyond what exact cancellation does in
    reasonable time; their layer Jacobians are checked exactly in test_jacobians, and the
    composed gradient here agrees with SymPy's to 60 significant digits.  Both sides are
    computed from the point's numbers as 100-digit Floats, which leaves 40 digits of
    margin for rounding (an error in the chain is off in the first digits)."""
    net = tiny(activation, sc.AvgPool2D(window=2, stride=1), size=4, channels=1)
    for where, ours, expected in chain_and_sympy(net, digits=100):
        a, b = sp.N(ours, 70), sp.N(expected, 70)
        assert abs(a - b) <= sp.Float("1e-60", 70) * max(1, abs(b)), where


def _unvec_params(p, point):
    from symconv.symbols import unvec as _unvec

    return _unvec(np.array([float(point[s]) for s in p.tensor.flat]), p.tensor.shape)


def test_input_values_helper_round_trip():
    d = sc.derive(tiny(sc.ReLU(), sc.AvgPool2D(window=2)))
    x = np.arange(50.0).reshape(2, 5, 5)
    values = d.input.values(x)
    assert values[d.input.entry(1, 3, 2)] == x[1, 3, 2]
