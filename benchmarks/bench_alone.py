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

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_codegen import CONV_SHAPES, POOL_SHAPES

KINDS = {"conv": CONV_SHAPES, "max": POOL_SHAPES, "avg": POOL_SHAPES}


def conv_job(shape: tuple[int, ...], side: str, folder: Path):
    import numpy as np

    n, cin, h, w, cout, k, pad, stride = shape
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, cin, h, w))
    K = rng.standard_normal((cout, cin, k, k)) / math.sqrt(cin * k * k)
    b = rng.standard_normal(cout)
    hz, wz = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    dZ = rng.standard_normal((n, cout, hz, wz))
    if side == "generated":
        import symconv
        from symconv.codegen import write_module
        from symconv.codegen.checks import load_module

        spec = symconv.Conv2D(
            input=(h, w), kernel=(k, k), padding=(pad, pad), stride=(stride, stride), in_channels=cin, out_channels=cout
        )
        m = load_module(write_module(spec, folder, "alone"))

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
    import numpy as np

    n, c, h, w, win, pad, stride = shape
    x = np.random.default_rng(1).standard_normal((n, c, h, w))
    if side == "generated":
        import symconv
        from symconv.codegen import write_module
        from symconv.codegen.checks import load_module

        cls = symconv.MaxPool2D if kind == "max" else symconv.AvgPool2D
        extra = {"pad_value": -math.inf} if kind == "max" else {}
        spec = cls(input=(h, w), window=(win, win), padding=(pad, pad), stride=(stride, stride), channels=c, **extra)
        m = load_module(write_module(spec, folder, "alone"))
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
