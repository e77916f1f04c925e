# ruff: noqa: N803 - F is torch.nn.functional, as PyTorch code names it
"""The convolution options of PyTorch parity against PyTorch CPU, float64 (not a test).

    python benchmarks/bench_conv_parity.py [--reps N] [--alone]

Forward + backward (``dA``, ``dK``, ``db``) of each row of ``CASES``: the generated module's
``forward`` then ``backward``, against ``torch.nn.functional``'s call and ``.backward`` with
the same arrays.  Interleaved (default): both sides in one process, in rounds of blocks of 9
calls, every call timed; the figure is the median over rounds of the ratio of the two sides'
median block times.  ``--alone``: each side in its own fresh process, a warm-up, then the
median of ``--reps`` calls; the ratio of those medians.  PyTorch on 2 threads.  The output is
a markdown table.

A row is one :class:`Case`: a label, a batch size, the symconv spec (any layer whose module
has ``forward(A, K, b)`` and ``backward(dZ, A, K) -> (dA, dK, db)``, the kernel in PyTorch's
layout) and the PyTorch call ``torch(F, x, w, b)``.  Add a layer by adding a row.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_codegen import module_for

import symconv
from symconv import limits


@dataclass(frozen=True)
class Case:
    """One benchmark row: ``spec`` in symconv, ``torch(F, x, w, b)`` in PyTorch."""

    label: str
    batch: int
    spec: Callable[[], symconv.Layer]
    torch: Callable[..., object]


CASES: list[Case] = [
    Case(
        "depthwise 3x3 pad 1, N=8 32x56x56 (groups=32)",
        8,
        lambda: symconv.Conv2D(input=(56, 56), kernel=3, padding=1, in_channels=32, out_channels=32, groups=32),
        lambda F, x, w, b: F.conv2d(x, w, b, stride=1, padding=1, groups=32),
    ),
    Case(
        "depthwise 3x3 stride 2 pad 1, N=8 64x56x56 (groups=64)",
        8,
        lambda: symconv.Conv2D(
            input=(56, 56), kernel=3, stride=2, padding=1, in_channels=64, out_channels=64, groups=64
        ),
        lambda F, x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=64),
    ),
    Case(
        "grouped 3x3 pad 1, N=8 128x28x28 (groups=32, 4 channels each)",
        8,
        lambda: symconv.Conv2D(input=(28, 28), kernel=3, padding=1, in_channels=128, out_channels=128, groups=32),
        lambda F, x, w, b: F.conv2d(x, w, b, stride=1, padding=1, groups=32),
    ),
]


def job(index: int, side: str, folder: Path) -> Callable[[], object]:
    """One forward + backward of case ``index`` by ``side`` (``generated`` or ``torch``)."""
    case = CASES[index]
    spec = case.spec()
    with limits.numeric_only():  # only the parameters' shapes are read, no Jacobian is built
        shapes = {name: t.shape for name, t in symconv.derive(spec).params.items()}
    rng = np.random.default_rng(0)
    x = rng.standard_normal((case.batch, *spec.in_shape))
    w = rng.standard_normal(shapes["K"]) / math.sqrt(math.prod(shapes["K"][1:]))
    b = rng.standard_normal(shapes["b"])
    g = rng.standard_normal((case.batch, *spec.out_shape))
    if side == "torch":
        import torch

        torch.set_num_threads(2)
        F = torch.nn.functional
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        gt = torch.tensor(g)

        def run():
            xt.grad = wt.grad = bt.grad = None
            case.torch(F, xt, wt, bt).backward(gt)
            return xt.grad, wt.grad, bt.grad

        return run
    m = module_for(spec, folder)
    return lambda: (m.forward(x, w, b), m.backward(g, x, w))


def table_head(title: str) -> None:
    print(f"| {title} | generated | PyTorch | ratio |")
    print("| --- | --- | --- | --- |")


def row(label: str, ours: float, theirs: float, ratio: float) -> None:
    print(f"| {label} | {ours * 1e3:.3g} ms | {theirs * 1e3:.3g} ms | {ratio:.2f} |")


def interleaved(reps: int, block: int = 9) -> None:
    table_head("forward + backward, float64, interleaved")
    logs = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, case in enumerate(CASES):
            fns = [job(index, "generated", Path(tmp)), job(index, "torch", Path(tmp))]
            for f in fns:
                f()
            ratios: list[float] = []
            medians: list[list[float]] = [[], []]
            for _ in range(reps):
                round_ = []
                for k, f in enumerate(fns):
                    times = []
                    for _ in range(block):
                        t0 = time.perf_counter()
                        f()
                        times.append(time.perf_counter() - t0)
                    round_.append(statistics.median(times))
                    medians[k].append(round_[-1])
                ratios.append(round_[0] / round_[1])
            ratio = statistics.median(ratios)
            logs.append(math.log(ratio))
            row(case.label, statistics.median(medians[0]), statistics.median(medians[1]), ratio)
    print(f"| geometric mean | | | **{math.exp(sum(logs) / len(logs)):.2f}** |")


def child(index: int, side: str, reps: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run = job(index, side, Path(tmp))
        run()
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
    print(json.dumps(statistics.median(times)))


def alone(reps: int) -> None:
    table_head("forward + backward, float64, each alone")
    logs = []
    for index, case in enumerate(CASES):
        times = []
        for side in ("generated", "torch"):
            command = [sys.executable, __file__, "--reps", str(reps), "--child", str(index), side]
            times.append(json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout))
        logs.append(math.log(times[0] / times[1]))
        row(case.label, times[0], times[1], times[0] / times[1])
    print(f"| geometric mean | | | **{math.exp(sum(logs) / len(logs)):.2f}** |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--alone", action="store_true", help="each side alone in a fresh process")
    parser.add_argument("--child", nargs=2, metavar=("INDEX", "SIDE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), args.child[1], args.reps)
    elif args.alone:
        alone(args.reps)
    else:
        interleaved(args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
