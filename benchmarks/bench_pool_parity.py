# ruff: noqa: N803 - F is torch.nn.functional, as PyTorch code names it
"""The pooling options of PyTorch parity against PyTorch CPU, float64 (not a test).

    python benchmarks/bench_pool_parity.py [--reps N] [--alone] [--only TEXT]

Forward + backward of: global average pooling of 512x7x7 (adaptive_avg_pool2d to 1x1), a
ResNet-style adaptive average pooling, adaptive max pooling (overlapping windows), global max
pooling of 512x7x7, average pooling with ceil_mode and count_include_pad=False, with
divisor_override, and max pooling with ceil_mode and PyTorch's row-major tie order.

Interleaved (default): both sides in one process, in rounds of blocks of 9 calls, every call
timed; the figure is the median over rounds of the ratio of the two sides' median block times.
``--alone``: each side in its own fresh process, a warm-up, then the median of ``--reps``
calls; the ratio of those medians.  PyTorch on 2 threads.  ``--only`` runs the cases whose
label contains TEXT.  The goal: a median ratio of at most 1.0, none above 1.5.
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
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_codegen import module_for

import symconv

INF = float("-inf")
#: (label, batch, channels, (h, w), symconv spec without channels/input, PyTorch call)
CASES: list[tuple[str, int, int, tuple[int, int], dict, Callable]] = [
    ("global avg N=32 512x7x7 -> 1x1", 32, 512, (7, 7), {"kind": "adaptive_avg", "output": (1, 1)},
     lambda F, x: F.adaptive_avg_pool2d(x, (1, 1))),
    ("adaptive avg N=16 256x14x14 -> 6x6", 16, 256, (14, 14), {"kind": "adaptive_avg", "output": (6, 6)},
     lambda F, x: F.adaptive_avg_pool2d(x, (6, 6))),
    ("adaptive max N=16 256x13x13 -> 6x6", 16, 256, (13, 13), {"kind": "adaptive_max", "output": (6, 6)},
     lambda F, x: F.adaptive_max_pool2d(x, (6, 6))),
    ("global max N=32 512x7x7 -> 1x1", 32, 512, (7, 7), {"kind": "adaptive_max", "output": (1, 1)},
     lambda F, x: F.adaptive_max_pool2d(x, (1, 1))),
    ("avg 3x3/2 pad 1 ceil, no pad count N=32 64x56x56", 32, 64, (56, 56),
     {"kind": "avg", "window": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
     lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)),
    ("avg 2x2/2 divisor_override=3 N=32 64x56x56", 32, 64, (56, 56),
     {"kind": "avg", "window": 2, "stride": 2, "divisor_override": 3},
     lambda F, x: F.avg_pool2d(x, 2, 2, divisor_override=3)),
    ("max 3x3/2 ceil, row ties N=32 64x55x55", 32, 64, (55, 55),
     {"kind": "max", "window": 3, "stride": 2, "ceil_mode": True, "tie_order": "row", "pad_value": INF},
     lambda F, x: F.max_pool2d(x, 3, 2, ceil_mode=True)),
]  # fmt: skip


def spec_of(case) -> symconv.Layer:
    _, _, c, size, kw, _ = case
    kw = dict(kw)
    kind = kw.pop("kind")
    cls = {"adaptive_avg": symconv.AdaptiveAvgPool2D, "adaptive_max": symconv.AdaptiveMaxPool2D,
           "avg": symconv.AvgPool2D, "max": symconv.MaxPool2D}[kind]  # fmt: skip
    return cls(input=size, channels=c, **kw)


def job(index: int, side: str, folder: Path) -> Callable[[], object]:
    """One forward + backward of case ``index`` by ``side`` (``generated`` or ``torch``)."""
    case = CASES[index]
    _, n, c, (h, w), _, call = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, w))
    if side == "torch":
        import torch

        torch.set_num_threads(2)
        F = torch.nn.functional
        xt = torch.tensor(x, requires_grad=True)
        g = torch.tensor(rng.standard_normal(tuple(call(F, xt).shape)))

        def run():
            xt.grad = None
            call(F, xt).backward(g)
            return xt.grad

        return run
    m = module_for(spec_of(case), folder)
    out = m.forward(x)
    g = rng.standard_normal((out[0] if isinstance(out, tuple) else out).shape)
    if isinstance(out, tuple):
        return lambda: m.backward(g, m.forward(x)[1])
    return lambda: (m.forward(x), m.backward(g))


def summary(ratios: list[float]) -> None:
    """The median, geometric mean and largest of the cases' ratios (goal: median <= 1.0, none above 1.5)."""
    geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    for name, value in (("median", statistics.median(ratios)), ("geometric mean", geo), ("largest", max(ratios))):
        print(f"{name:52} {'':13} {'':10} {value:7.2f}")


def interleaved(reps: int, chosen: list[int], block: int = 9) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'forward + backward, float64, interleaved':52} {'ms generated':>13} {'ms torch':>10} {'ratio':>7}")
        figures = []
        for index in chosen:
            case = CASES[index]
            fns = [job(index, "generated", Path(tmp)), job(index, "torch", Path(tmp))]
            for f in fns:
                f()
            ratios, medians = [], [[], []]
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
            figures.append(ratio)
            ms = [statistics.median(m) * 1e3 for m in medians]
            print(f"{case[0]:52} {ms[0]:13.3f} {ms[1]:10.3f} {ratio:7.2f}")
        summary(figures)


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


def alone(reps: int, chosen: list[int]) -> None:
    print(f"{'forward + backward, float64, each alone':52} {'ms generated':>13} {'ms torch':>10} {'ratio':>7}")
    ratios = []
    for index in chosen:
        case = CASES[index]
        times = []
        for side in ("generated", "torch"):
            command = [sys.executable, __file__, "--reps", str(reps), "--child", str(index), side]
            times.append(json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout))
        ratios.append(times[0] / times[1])
        print(f"{case[0]:52} {times[0] * 1e3:13.3f} {times[1] * 1e3:10.3f} {times[0] / times[1]:7.2f}")
    summary(ratios)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--alone", action="store_true", help="each side alone in a fresh process")
    parser.add_argument("--only", default="", metavar="TEXT", help="only the cases whose label contains TEXT")
    parser.add_argument("--child", nargs=2, metavar=("INDEX", "SIDE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    chosen = [index for index, case in enumerate(CASES) if args.only in case[0]]
    if args.child:
        child(int(args.child[0]), args.child[1], args.reps)
    elif args.alone:
        alone(args.reps, chosen)
    else:
        interleaved(args.reps, chosen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
