"""Networks: the chain of section 3.1 gives exactly SymPy's gradient of the loss on tiny
networks; numerically it matches finite differences; shapes and names follow the seed."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from exact import exactly_equal

import symconv as sc
from symconv.config import load_config


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


NETS = {
    "seed-like": sc.Network(
        input=(6, 6),
        channels=2,
        layers=[
            sc.Conv2D(kernel=3, out_channels=3, padding=(1, 0, 1, 2), stride=(1, 2)),
            sc.ReLU(),
            sc.MaxPool2D(window=2, stride=1, padding=1),
            sc.Conv2D(kernel=2, out_channels=2),
            sc.Tanh(),
            sc.AvgPool2D(window=2),
            sc.Flatten(),
            sc.Dense(out_features=4),
            sc.Sigmoid(),
            sc.Dense(out_features=3),
            sc.SoftmaxCrossEntropy(),
        ],
    ),
    "dilated-no-bias": sc.Network(
        input=(7, 5),
        channels=1,
        layers=[
            sc.Conv2D(kernel=2, out_channels=2, dilation=2, padding=1, bias=False),
            sc.Sigmoid(),
            sc.MaxPool2D(window=2, pad_value=float("-inf"), padding=(1, 0, 0, 1)),
            sc.Flatten(),
            sc.Dense(out_features=2, bias=False),
            sc.SoftmaxCrossEntropy(),
        ],
    ),
    # networks in 1-D and 3-D, as PyTorch allows: a Conv1D/Conv3D stack flattened into dense layers
    "1d-circular-stride": sc.Network(
        input=10,
        channels=2,
        layers=[
            sc.Conv1D(kernel=3, out_channels=3, padding=1, padding_mode="circular"),
            sc.ReLU(),
            sc.Conv1D(kernel=2, out_channels=2, stride=2, input_dilation=2, padding=(-1, 1)),
            sc.Tanh(),
            sc.Flatten(),
            sc.Dense(out_features=3),
            sc.SoftmaxCrossEntropy(),
        ],
    ),
    "3d-transposed": sc.Network(
        input=(2, 3, 3),
        channels=1,
        layers=[
            sc.Conv3D(kernel=2, out_channels=2, padding=(1, 0, 0, 1, 1, 0), padding_mode="replicate"),
            sc.Sigmoid(),
            sc.ConvTranspose3D(kernel=(1, 2, 2), stride=(1, 2, 1), out_channels=1, padding=(0, 1, 0)),
            sc.Flatten(),
            sc.Dense(out_features=2),
            sc.SoftmaxCrossEntropy(),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(NETS))
def test_seed_route_gradients_match_finite_differences(name):
    net = NETS[name]
    d = sc.derive(net)
    rng = np.random.default_rng(0)
    params = {p.key: rng.standard_normal(p.tensor.shape) for p in d.params}
    x = rng.standard_normal(net.in_shape)
    label = 1
    loss, grads = d.gradients(x, label, params)

    def j(ps):
        return -np.log(d.forward_numeric(x, ps)[-1][label])

    assert loss == pytest.approx(j(params), rel=1e-12)
    h = 1e-6
    for key, value in params.items():
        numeric = np.zeros_like(value)
        for idx in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in params.items()}
            minus = {k: v.copy() for k, v in params.items()}
            plus[key][idx] += h
            minus[key][idx] -= h
            numeric[idx] = (j(plus) - j(minus)) / (2 * h)
        assert grads[key].shape == value.shape
        np.testing.assert_allclose(grads[key], numeric, atol=1e-7, rtol=1e-5)


def test_layer_numbers_and_names_follow_the_seed():
    d = sc.derive(load_config("seed_cnn"))
    names = [(layer.output.name, layer.output.layer) for layer in d.layers]
    assert names == [("Z", 1), ("I", 1), ("A", 1), ("Z", 2), ("I", 2), ("A", 2), ("B", 2), ("Z", 3), ("A", 3)]
    assert d.input.name == "A" and d.input.layer == 0
    assert [p.key for p in d.params] == ["K1", "b1", "K2", "b2", "W3", "b3"]
    assert str(d.layers[3].kernel.entry(1, 2, 0, 1)) == "k_{2,3,12}^{[2]}"
    assert str(d.layers[0].input.entry(2, 9, 10)) == "a_{3,10,11}^{[0]}"
    assert str(d.layers[6].output.flat[0]) == "a_{1,11}^{[2]}"  # B^{[2]} stacks the vecs of A^{[2]}
    assert d.layers[6].output.flat == d.layers[5].output.flat


def test_two_activations_in_a_row_get_distinct_names():
    net = sc.Network(input=(3, 3), layers=[sc.Conv2D(kernel=2), sc.ReLU(), sc.Tanh()])
    d = sc.derive(net)
    assert [layer.output.name for layer in d.layers] == ["Z", "I", "I'"]
    assert len(set(d.layers[1].output.flat) & set(d.layers[2].output.flat)) == 0


def test_hand_sign_network_derives_every_jacobian():
    d = sc.derive(load_config("hand_sign"))
    infos = d.jacobian_list()
    kinds = [(d.layers[pos].kind, info.key) for pos, info in infos]
    assert kinds.count(("conv2d", "K")) == 8 * 3 + 16 * 8
    assert kinds.count(("conv2d", "A")) == 8 * 3 + 16 * 8
    first = next(info for pos, info in infos if pos == 0 and info.key == "K")
    assert first.shape == (64 * 64, 16)


def test_gradients_reject_bad_arguments():
    d = sc.derive(NETS["seed-like"])
    rng = np.random.default_rng(0)
    params = {p.key: rng.standard_normal(p.tensor.shape) for p in d.params}
    x = rng.standard_normal((2, 6, 6))
    with pytest.raises(sc.SpecError, match=r"label: must be a class index in 0\.\.2"):
        d.gradients(x, 3, params)
    with pytest.raises(sc.SpecError, match="params: missing K1"):
        d.gradients(x, 0, {k: v for k, v in params.items() if k != "K1"})
    with pytest.raises(sc.SpecError, match=r"params.W3: must have shape \(8, 4\)"):
        d.gradients(x, 0, {**params, "W3": np.zeros((3, 4))})
