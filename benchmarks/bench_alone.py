"""The generated code and PyTorch each alone in a fresh process, as a user would time one of
them (not a test).

    python benchmarks/bench_alone.py [--reps N]

bench_codegen.py times both in one process, as the issue asks. There, each side runs in the
other's wake: the other's allocations move glibc's heap and mmap thresholds, and this changes
how many fresh pages the next call touches. Here every (shape, side) pair gets its own
process, with a warm-up and then the best of ``--reps`` runs, on the shapes of bench_codegen.py:
conv forward+backward, and max-pool and avg-pool backward, all in float64, PyTorch on 2 threads.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_codegen import CONV_SHAPES, POOL_SHAPES, conv_data, conv_spec, module_for, pool_spec

KINDS = {"conv": CONV_SHAPES, "max": POOL_SHAPES, "avg": POOL_SHAPES}


def conv_job(shape: tuple[int, ...], side: str, folder: Path):
    *_, pad, stride = shape
    A, K, b, dZ = conv_data(shape, np.random.default_rng(0), np.float64)
    if side == "generated":
        m = module_for(conv_spec(shape), folder)

        def run() -> None:
            m.forward(A, K, b)
            m.backward(dZ, A, K)

        return run
    import torch

    torch.set_num_threads(2)
    At, Kt, bt = (torch.tensor(v, requires_grad=True) for v in (A, K, b))
    dZt = torch.tensor(dZ)

    def run_torch() -> None:
        At.grad = Kt.grad = bt.grad = None
        torch.nn.functional.conv2d(At, Kt, bt, stride=stride, padding=pad).backward(dZt)

    return run_torch


def pool_job(kind: str, shape: tuple[int, ...], side: str, folder: Path):
    n, c, h, w, win, pad, stride = shape
    x = np.random.default_rng(1).standard_normal((n, c, h, w))
    if side == "generated":
        m = module_for(pool_spec(kind, shape), folder)
        if kind == "max":
            A, switches = m.forward(x)
            g = np.random.default_rng(2).standard_normal(A.shape)
            return lambda: m.backward(g, switches)
        g = np.random.default_rng(2).standard_normal(m.forward(x).shape)
        return lambda: m.backward(g)
    import torch

    torch.set_num_threads(2)
    F = torch.nn.functional
    xt = torch.tensor(x, requires_grad=True)
    y = F.max_pool2d(xt, win, stride, padding=pad) if kind == "max" else F.avg_pool2d(xt, win, stride, padding=pad)
    gt = torch.tensor(np.random.default_rng(2).standard_normal(tuple(y.shape)))

    def run_torch() -> None:
        xt.grad = None
        y.backward(gt, retain_graph=True)

    return run_torch


def child(kind: str, index: int, side: str, reps: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shape = KINDS[kind][index]
        run = conv_job(shape, side, Path(tmp)) if kind == "conv" else pool_job(kind, shape, side, Path(tmp))
        run()
        t = math.inf
        for _ in range(reps):
            t0 = time.perf_counter()
            run()
            t = min(t, time.perf_counter() - t0)
    print(json.dumps(t))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=27)
    parser.add_argument("--child", nargs=3, metavar=("KIND", "INDEX", "SIDE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2], args.reps)
        return 0
    titles = {"conv": "conv2d forward+backward", "max": "max-pool backward", "avg": "avg-pool backward"}
    for kind, shapes in KINDS.items():
        print(f"\n{titles[kind]}, float64, each alone in a fresh process")
        print(f"{'shape':58} {'ms generated':>13} {'ms torch':>10} {'ratio':>7}")
        logs = []
        for index, shape in enumerate(shapes):
            times = []
            for side in ("generated", "torch"):
                command = [sys.executable, __file__, "--reps", str(args.reps), "--child", kind, str(index), side]
                done = subprocess.run(command, capture_output=True, text=True, check=True)
                times.append(json.loads(done.stdout))
            logs.append(math.log(times[0] / times[1]))
            print(f"{shape!s:58} {times[0] * 1e3:13.2f} {times[1] * 1e3:10.2f} {times[0] / times[1]:7.2f}")
        geo = math.exp(sum(logs) / len(logs))
        print(f"{'geometric mean of time(generated) / time(torch)':58} {'':13} {'':10} {geo:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
