"""Train the seed's 3-layer CNN on scikit-learn's bundled 8x8 digits with symconv's
generated NumPy module.

The network is the seed's figure 1: conv -> ReLU -> average pooling -> conv -> ReLU ->
average pooling -> flatten -> dense -> softmax with cross-entropy.  symconv generates
its module (``forward``, ``loss_and_gradients``, ``sgd_step``) from the derivation, and
this script uses that module, and nothing else, for the forward and backward passes.
The digits ship inside scikit-learn, so nothing is downloaded.

    python examples/train_digits.py                       # train, print the test accuracy
    python examples/train_digits.py --plot docs/train_digits.png   # also save the curves

Needs the ``examples`` extra: ``pip install -e '.[examples]'`` (scikit-learn, matplotlib,
tqdm).  ``tests/test_train_digits.py`` checks that 50 SGD steps of this script equal
PyTorch's to 1e-10 in float64 from the same start.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np

import symconv

#: 8x8 digits, ten classes
CLASSES = 10


def network(c1: int = 8, c2: int = 16) -> symconv.Network:
    """The seed's CNN for a 1x8x8 input: two conv (3x3, padding 1) + ReLU + 2x2 average
    pooling blocks, then a dense layer to the ten classes and softmax cross-entropy."""
    return symconv.Network(
        input=(8, 8),
        channels=1,
        layers=(
            symconv.Conv2D(kernel=(3, 3), padding=(1, 1), out_channels=c1),
            symconv.ReLU(),
            symconv.AvgPool2D(window=(2, 2), stride=(2, 2)),
            symconv.Conv2D(kernel=(3, 3), padding=(1, 1), out_channels=c2),
            symconv.ReLU(),
            symconv.AvgPool2D(window=(2, 2), stride=(2, 2)),
            symconv.Flatten(),
            symconv.Dense(out_features=CLASSES),
            symconv.SoftmaxCrossEntropy(),
        ),
    )


def digits(test_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's bundled digits, scaled to [0, 1] as ``(N, 1, 8, 8)`` float64, split
    into train and test sets by a seeded permutation: ``X_train, y_train, X_test, y_test``."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.images / 16.0).astype(np.float64)[:, None, :, :]
    y = data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = round(test_fraction * len(y))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def batches(n: int, size: int, seed: int) -> Iterator[np.ndarray]:
    """Index batches without end: a fresh seeded permutation every epoch, the last partial
    batch of an epoch dropped (so that PyTorch and symconv see the very same batches)."""
    if not 1 <= size <= n:
        raise ValueError(f"a batch must hold 1 to {n} examples, got {size}")
    rng = np.random.default_rng(seed)

    def draw() -> Iterator[np.ndarray]:
        while True:
            order = rng.permutation(n)
            for start in range(0, n - size + 1, size):
                yield order[start : start + size]

    return draw()


def accuracy(module: ModuleType, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Share of ``x`` whose most probable class (the module's ``forward``) is ``y``."""
    probs = module.forward(x, params)
    return float(np.mean(np.argmax(probs, axis=1) == y))


@dataclass
class History:
    """What a run records: the loss of every step, and the test accuracy after each epoch."""

    loss: list[float] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)


def train(
    module: ModuleType,
    params: dict[str, np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    stream: Iterator[np.ndarray],
    *,
    steps: int,
    lr: float,
    on_step: Callable[[float], None] | None = None,
) -> list[float]:
    """``steps`` SGD steps on the batches ``stream`` draws from ``(x, y)``, with the
    generated ``loss_and_gradients`` and ``sgd_step`` only; ``params`` is updated in
    place.  Returns the loss of each step (before its update)."""
    losses = []
    for _, idx in zip(range(steps), stream, strict=False):
        loss, grads = module.loss_and_gradients(x[idx], y[idx], params)
        module.sgd_step(params, grads, lr)
        losses.append(float(loss))
        if on_step is not None:
            on_step(float(loss))
    return losses


def run(epochs: int, batch: int, lr: float, seed: int, progress: bool = True) -> tuple[dict[str, np.ndarray], History]:
    """Train from the module's ``init_params(seed)`` for ``epochs`` epochs; record the curves."""
    from tqdm import tqdm

    x_train, y_train, x_test, y_test = digits(seed=seed)
    stream = batches(len(y_train), batch, seed)
    module = symconv.load(network())  # generated and imported in memory
    params = module.init_params(seed)
    per_epoch = len(y_train) // batch
    history = History()
    # disable=None: tqdm draws the bar only when stderr is a terminal (never into a file or pipe)
    with tqdm(total=epochs * per_epoch, disable=None if progress else True, unit="step", file=sys.stderr) as bar:
        for epoch in range(1, epochs + 1):
            history.loss += train(
                module, params, x_train, y_train, stream, steps=per_epoch, lr=lr, on_step=lambda _: bar.update()
            )
            history.epochs.append(epoch)
            history.test_accuracy.append(accuracy(module, params, x_test, y_test))
            history.train_accuracy.append(accuracy(module, params, x_train, y_train))
            mean = np.mean(history.loss[-per_epoch:])
            bar.set_postfix(loss=f"{mean:.3f}", test=f"{history.test_accuracy[-1]:.3f}")
    return params, history


def plot(history: History, steps_per_epoch: int, path: Path) -> Path:
    """The loss of every step (and its epoch mean) and the accuracies per epoch, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    steps = np.arange(1, len(history.loss) + 1)
    left.plot(steps / steps_per_epoch, history.loss, lw=0.6, alpha=0.45, label="each step")
    means = np.asarray(history.loss).reshape(len(history.epochs), -1).mean(axis=1)
    left.plot(history.epochs, means, "o-", ms=3, label="epoch mean")
    left.set(xlabel="epoch", ylabel="cross-entropy J", yscale="log", title="training loss")
    left.legend()
    right.plot(history.epochs, history.train_accuracy, "o-", ms=3, label="train")
    right.plot(history.epochs, history.test_accuracy, "o-", ms=3, label="test")
    right.axhline(1 / CLASSES, color="grey", ls=":", label="chance")
    right.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02), title="accuracy")
    right.legend(loc="lower right")
    fig.suptitle("The seed's CNN on the 8x8 digits, trained with symconv's generated NumPy module")
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    summary = " ".join((__doc__ or "").split("\n\n")[0].split())  # the first paragraph, whole
    p = argparse.ArgumentParser(description=summary)
    p.add_argument("--epochs", type=int, default=40, help="passes over the training set (default 40)")
    p.add_argument("--batch", type=int, default=32, help="examples per SGD step (default 32)")
    p.add_argument("--lr", type=float, default=0.05, help="SGD learning rate (default 0.05)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split, the batches and the start (default 0)")
    p.add_argument("--plot", type=Path, metavar="FILE.png", help="save the loss and accuracy curves")
    p.add_argument("--quiet", action="store_true", help="no progress bar (there is none when stderr is not a terminal)")
    args = p.parse_args(argv)
    for name in ("epochs", "batch"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    if not args.lr > 0:
        p.error("--lr must be positive")
    missing = [name for name in ("sklearn", "matplotlib", "tqdm") if importlib.util.find_spec(name) is None]
    if missing:
        p.error(f"needs {', '.join(missing)}: pip install -e '.[examples]'")
    if args.plot is not None:
        if args.plot.suffix != ".png":
            p.error(f"--plot must name a .png file, got {str(args.plot)!r}")
        try:  # fail before training, not after it
            args.plot.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=args.plot.parent):
                pass
        except OSError as err:
            p.error(f"--plot: cannot write to {str(args.plot.parent)!r} ({err.strerror})")
    try:
        _, history = run(args.epochs, args.batch, args.lr, args.seed, progress=not args.quiet)
    except ValueError as err:
        p.error(f"--batch: {err}")
    print(f"test accuracy after {args.epochs} epochs: {history.test_accuracy[-1]:.4f}")
    print(f"final epoch mean loss: {np.mean(history.loss[-(len(history.loss) // args.epochs) :]):.4f}")
    if args.plot is not None:
        print(plot(history, len(history.loss) // args.epochs, args.plot))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
