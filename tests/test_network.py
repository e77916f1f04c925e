"""Networks: numerically the chain of section 3.1 matches finite differences; shapes and
names follow the seed (test_network_chain.py holds it to SymPy's own gradient, exactly)."""

from __future__ import annotations

import numpy as np
import pytest

import symconv as sc
from symconv.config import load_config

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
    # 1-D and 3-D pooling after Conv1D/Conv3D (max, Lp, average with ceil_mode, adaptive max)
    "1d-pooling": sc.Network(
        input=12,
        channels=2,
        layers=[
            sc.Conv1D(kernel=3, out_channels=3, padding=1),
            sc.ReLU(),
            sc.MaxPool1D(window=2, pad_value=float("-inf"), padding=(1, 0), tie_order="row"),
            sc.LPPool1D(window=2, norm=2),
            sc.Flatten(),
            sc.Dense(out_features=3),
            sc.SoftmaxCrossEntropy(),
        ],
    ),
    "3d-pooling": sc.Network(
        input=(3, 4, 4),
        channels=1,
        layers=[
            sc.Conv3D(kernel=2, out_channels=2, padding=1),
            sc.Tanh(),
            sc.AvgPool3D(window=2, stride=(1, 2, 2), ceil_mode=True),
            sc.AdaptiveMaxPool3D(output=(2, 1, 2)),
            sc.Flatten(),
            sc.Dense(out_features=2),
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
