# ruff: noqa: N803 - F is torch.nn.functional, as PyTorch code names it
"""Transposed convolution (conv_transpose2d) against PyTorch CPU, float64 (not a test).

    python benchmarks/bench_convt_parity.py [--reps N] [--alone]

Forward + backward (dA, dK, db) of the rows of ``CASES``.  Interleaved (default): both sides
in one process, in rounds of blocks of 9 calls, every call timed; the figure is the median over
rounds of the ratio of the two sides' median block times.  ``--alone``: each side in its own
fresh process, a warm-up, then the median of ``--reps`` calls; the ratio of those medians.
PyTorch on 2 threads; ``--blas-threads N`` limits NumPy's BLAS (OpenBLAS) to N threads, on a
loaded machine (OpenBLAS's spinning threads lose whole time slices at every call there, as
``bench_codegen.py`` notes).  Each row is one entry of ``CASES`` (the same shape of row as
``bench_pool_parity.py``), so the rows can join another benchmark's list.
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

#: (label, batch, in channels, (h, w), symconv spec without in_channels/input, PyTorch call)
CASES: list[tuple[str, int, int, tuple[int, int], dict, Callable]] = [
    ("transposed 4x4/2 pad 1 N=8 64->32 16x16 -> 32x32", 8, 64, (16, 16),
     {"kind": "conv_transpose", "kernel": 4, "stride": 2, "padding": 1, "out_channels": 32},
     lambda F, x, k, b: F.conv_transpose2d(x, k, b, stride=2, padding=1)),
]  # fmt: skip


def spec_of(case) -> symconv.Layer:
    _, _, c, size, kw, _ = case
    kw = dict(kw)
    kind = kw.pop("kind")
    cls = {"conv_transpose": symconv.ConvTranspose2D}[kind]
    return cls(input=size, in_channels=c, **kw)


def job(index: int, side: str, folder: Path) -> Callable[[], object]:
    """One forward + backward of case ``index`` by ``side`` (``generated`` or ``torch``)."""
    case = CASES[index]
    _, n, c, (h, w), _, call = case
    spec = spec_of(case)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, w))
    k_shape = (c, spec.out_channels // spec.groups, *spec.kernel)
    K = rng.standard_normal(k_shape) / math.sqrt(c * spec.kernel[0] * spec.kernel[1])
    b = rng.standard_normal(spec.out_channels)
    g = rng.standard_normal((n, *spec.out_shape))
    if side == "torch":
        import torch

        torch.set_num_threads(2)
        F = torch.nn.functional
        xt, kt, bt = (torch.tensor(v, requires_grad=True) for v in (x, K, b))
        gt = torch.tensor(g)

        def run():
            for t in (xt, kt, bt):
                t.grad = None
            call(F, xt, kt, bt).backward(gt)
            return xt.grad

        return run
    m = module_for(spec, folder)
    return lambda: (m.forward(x, K, b), m.backward(g, x, K))


def interleaved(reps: int, block: int = 9) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'forward + backward, float64, interleaved':52} {'ms generated':>13} {'ms torch':>10} {'ratio':>7}")
        logs = []
        for index, case in enumerate(CASES):
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
            logs.append(math.log(ratio))
            ms = [statistics.median(m) * 1e3 for m in medians]
            print(f"{case[0]:52} {ms[0]:13.3f} {ms[1]:10.3f} {ratio:7.2f}")
        print(f"{'geometric mean':52} {'':13} {'':10} {math.exp(sum(logs) / len(logs)):7.2f}")


def limit_blas(threads: int | None) -> None:
    """NumPy's BLAS on ``threads`` threads (``None``: as it starts)."""
    if threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads, user_api="blas")


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


def alone(reps: int, blas_threads: int | None) -> None:
    print(f"{'forward + backward, float64, each alone':52} {'ms generated':>13} {'ms torch':>10} {'ratio':>7}")
    logs = []
    for index, case in enumerate(CASES):
        times = []
        for side in ("generated", "torch"):
            command = [sys.executable, __file__, "--reps", str(reps), "--child", str(index), side]
            command += ["--blas-threads", str(blas_threads)] if blas_threads else []
            times.append(json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout))
        logs.append(math.log(times[0] / times[1]))
        print(f"{case[0]:52} {times[0] * 1e3:13.3f} {times[1] * 1e3:10.3f} {times[0] / times[1]:7.2f}")
    print(f"{'geometric mean':52} {'':13} {'':10} {math.exp(sum(logs) / len(logs)):7.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--alone", action="store_true", help="each side alone in a fresh process")
    parser.add_argument("--blas-threads", type=int, help="limit NumPy's BLAS to this many threads (PyTorch keeps 2)")
    parser.add_argument("--child", nargs=2, metavar=("INDEX", "SIDE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    limit_blas(args.blas_threads)
    if args.child:
        child(int(args.child[0]), args.child[1], args.reps)
        return 0
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"# load average {load} on {os.cpu_count()} cores; NumPy's BLAS threads: {args.blas_threads or 'default'}")
    if args.alone:
        alone(args.reps, args.blas_threads)
    else:
        interleaved(args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
