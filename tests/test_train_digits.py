"""The training example (examples/train_digits.py): the seed's CNN trained on the bundled
8x8 digits with the generated module only.

Without PyTorch: the loss falls and the test accuracy is far above chance.  With PyTorch:
50 SGD steps from the same start give the same parameters as a PyTorch model of the same
network, to 1e-10 in float64."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import symconv

pytest.importorskip("sklearn", reason="the examples extra (scikit-learn) is not installed")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "train_digits.py"


def _example():
    spec = importlib.util.spec_from_file_location("train_digits", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("train_digits", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def td():
    return _example()


@pytest.fixture(scope="module")
def setup(td):
    module = symconv.load(td.network())
    return module, td.digits()


@pytest.mark.slow(reason="150 SGD steps of the seed's CNN on the digits: 5-8 s")
def test_training_lowers_the_loss_and_beats_chance_by_far(td, setup):
    module, (x, y, x_test, y_test) = setup
    params = module.init_params(0)
    before = td.accuracy(module, params, x_test, y_test)
    losses = td.train(module, params, x, y, td.batches(len(y), 32, 0), steps=150, lr=0.2)
    after = td.accuracy(module, params, x_test, y_test)
    assert len(losses) == 150 and all(np.isfinite(losses))
    assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:20])
    # ten classes: chance is 0.1; an untrained network is about there
    assert before < 0.3
    assert after > 0.6


def test_batches_are_epochs_of_distinct_indices(td):
    stream = td.batches(10, 3, seed=1)
    epoch = [next(stream) for _ in range(3)]
    seen = np.concatenate(epoch)
    assert len(set(seen.tolist())) == 9 and seen.max() < 10  # one index of ten dropped per epoch
    assert all(len(b) == 3 for b in epoch)


def test_digits_are_scaled_and_split_without_overlap(td):
    x, y, x_test, y_test = td.digits()
    assert x.shape[1:] == (1, 8, 8) and x.dtype == np.float64
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert len(y) + len(y_test) == 1797 and len(y_test) == 359
    train_rows = {row.tobytes() for row in x}
    assert sum(row.tobytes() in train_rows for row in x_test) < 20  # the digits have a few exact duplicates
    assert set(np.unique(y)) == set(range(10))


def _torch_model(torch, params):
    """The same network in PyTorch, started from symconv's parameters.  symconv flattens
    each channel column by column (vec, seed 3.1.2), PyTorch row by row, so the PyTorch
    model transposes each channel before flattening; its dense weight is ``W^T``
    (``Z = W^T B + b``)."""
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
            self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
            self.dense = nn.Linear(64, 10)
            self.pool = nn.AvgPool2d(2, 2)

        def forward(self, x):
            x = self.pool(torch.relu(self.conv1(x)))
            x = self.pool(torch.relu(self.conv2(x)))
            return self.dense(x.transpose(2, 3).flatten(1))

    net = Net().double()
    with torch.no_grad():
        for name, key in (("conv1", "1"), ("conv2", "2")):
            getattr(net, name).weight.copy_(torch.from_numpy(params[f"K{key}"]))
            getattr(net, name).bias.copy_(torch.from_numpy(params[f"b{key}"]))
        net.dense.weight.copy_(torch.from_numpy(params["W3"].T.copy()))
        net.dense.bias.copy_(torch.from_numpy(params["b3"]))
    return net


def _torch_params(net):
    return {
        "K1": net.conv1.weight,
        "b1": net.conv1.bias,
        "K2": net.conv2.weight,
        "b2": net.conv2.bias,
        "W3": net.dense.weight.T,
        "b3": net.dense.bias,
    }


@pytest.mark.slow(reason="fifty SGD steps in symconv's module and in PyTorch (with torch installed): 3-6 s")
def test_fifty_sgd_steps_equal_pytorch_to_1e_10(td, setup):
    torch = pytest.importorskip("torch")
    module, (x, y, _, _) = setup
    params = module.init_params(3)
    assert set(params) == {"K1", "b1", "K2", "b2", "W3", "b3"}
    net = _torch_model(torch, params)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    # the same start: the PyTorch model's forward equals the generated one
    x0 = torch.from_numpy(x[:5])
    probs = torch.softmax(net(x0), dim=1).detach().numpy()
    np.testing.assert_allclose(probs, module.forward(x[:5], params), rtol=0, atol=1e-13)

    stream = td.batches(len(y), 16, 5)
    batches = [next(stream) for _ in range(50)]
    ours = td.train(module, params, x, y, iter(batches), steps=50, lr=0.1)
    theirs = []
    for idx in batches:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(x[idx])), torch.from_numpy(y[idx]))
        loss.backward()
        opt.step()
        theirs.append(loss.item())
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    moved = 0.0
    for key, value in _torch_params(net).items():
        np.testing.assert_allclose(params[key], value.detach().numpy(), rtol=0, atol=1e-10, err_msg=key)
        moved = max(moved, float(np.abs(params[key] - module.init_params(3)[key]).max()))
    assert moved > 0.05  # the parameters did move: the equality is not that of two starts
