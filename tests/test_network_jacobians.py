"""A network module's ``jacobians(X, params)``: each layer's dense vec Jacobians at each
example's input to that layer, batched (batch axis first), equal to the core's
``VecJacobian.to_numpy`` at the same point."""

from __future__ import annotations

import numpy as np

import symconv
from symconv.codegen.checks import load_module
from symconv.codegen.render import write_module
from symconv.symbols import vec_order

NET = symconv.Network(
    input=(5, 5),
    channels=2,
    layers=(
        symconv.Conv2D(kernel=(2, 2), padding=(1, 1), out_channels=2),
        symconv.Tanh(),
        symconv.AvgPool2D(window=(2, 2)),
        symconv.Flatten(),
        symconv.Dense(out_features=3),
        symconv.SoftmaxCrossEntropy(),
    ),
)
LABELS = {"K": ["j", "i"], "A": ["j", "i"], "b": ["j"], "I": ["j"], "Z": ["j"]}


def test_network_module_jacobians_are_the_cores_at_each_example(tmp_path):
    module = load_module(write_module(NET, tmp_path))
    net = symconv.derive(NET)
    params = module.init_params(seed=2)
    params = {k: v + 0.1 for k, v in params.items()}  # nonzero biases
    X = np.random.default_rng(5).standard_normal((2, *NET.in_shape))
    got = module.jacobians(X, params)
    assert sorted(got) == list(range(1, len(NET.layers) + 1))
    vecs = net._param_vecs(params)
    for e in range(2):
        outputs = net.forward_numeric(X[e], params)
        for pos, d in enumerate(net.layers):
            x_in = outputs[pos]  # [input, output of layer 1, ...]
            env = d.env(x_in, vecs[pos])
            for key, value in got[pos + 1].items():
                wrt, *index = key
                assert value.shape[0] == 2
                want = d.jacobian(wrt, **dict(zip(LABELS.get(wrt, []), index, strict=False))).to_numpy(env)
                np.testing.assert_allclose(value[e], want, rtol=1e-12, atol=1e-12)
    one = module.jacobians(X[1], params, layers=[5])
    assert list(one) == [5]
    for key, value in one[5].items():
        np.testing.assert_array_equal(value, got[5][key][1])


def test_layer_module_jacobians_are_batched(tmp_path):
    """``jacobians`` of a layer module takes a batch too: each example's, stacked."""
    spec = symconv.Conv2D(input=(4, 3), kernel=(2, 2), padding=(1, 0, 0, 1), in_channels=2, out_channels=2)
    module = load_module(write_module(spec, tmp_path))
    rng = np.random.default_rng(3)
    A, K = rng.standard_normal((3, *spec.in_shape)), rng.standard_normal((2, 2, 2, 2))
    batch = module.jacobians(A, K)
    d = symconv.derive(spec)
    for e in range(3):
        one = module.jacobians(A[e], K)
        env = d.env(vec_order(A[e]), {"K": vec_order(K), "b": np.zeros(2)})
        for key, value in batch.items():
            np.testing.assert_array_equal(value[e], one[key])
            wrt, *index = key
            want = d.jacobian(wrt, **dict(zip(LABELS[wrt], index, strict=False))).to_numpy(env)
            np.testing.assert_allclose(value[e], want, rtol=1e-12, atol=1e-12)
