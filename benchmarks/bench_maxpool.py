"""Max pooling's generated forward and backward against PyTorch's CPU kernels, float32 and float64,
on the four max-pool shapes of ``bench_codegen.py`` (not a test).

    python benchmarks/bench_maxpool.py [--reps N] [--alone] [--torch-threads N] [--dtype float32|float64]

Interleaved (default): every function of a row in one process, in rounds of blocks of 9 calls,
every call timed; a ratio is the median over the rounds of the ratio of the two sides' median
block times (paired medians).  ``--alone``: each (row, pass, side) in a fresh process, a warm-up,
then the median of ``--reps * 9`` calls; the ratio of those medians.  The backward rows also give
NumPy's floor (interleaved only): ``dI`` zeroed and scattered into a chunk of planes at a time with
PyTorch's own flat indices (``np.add.at`` where windows overlap), so no switch is looked up.
"""

from __future__ import annotations

import argparse
import json
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
from bench_codegen import POOL_SHAPES, maxpool_floor, module_for, pool_spec

Jobs = dict[str, Callable[[], object]]


def jobs(shape: tuple[int, ...], dtype: type, folder: Path, torch_threads: int) -> Jobs:
    """The timed functions of one row: ``gen``/``torch`` ``fwd``/``bwd`` and the backward's ``floor``."""
    import torch

    torch.set_num_threads(torch_threads)
    F = torch.nn.functional
    n, c, h, w, win, pad, stride = shape
    m = module_for(pool_spec("max", shape), folder)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    out, switches = m.forward(x)
    g = rng.standard_normal(out.shape).astype(dtype)
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g)
    yt, ind = F.max_pool2d(xt, win, stride, padding=pad, return_indices=True)
    yt.backward(gt, retain_graph=True)
    got = m.backward(g, switches)
    assert got.dtype == dtype and np.array_equal(out, yt.detach().numpy()), "forward differs from PyTorch"
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert np.abs(got - xt.grad.numpy()).max() <= tol * max(1.0, np.abs(got).max()), "backward differs from PyTorch"

    def torch_fwd() -> None:
        with torch.no_grad():
            F.max_pool2d(xt, win, stride, padding=pad)

    def torch_bwd() -> None:
        xt.grad = None
        yt.backward(gt, retain_graph=True)

    return {
        "gen fwd": lambda: m.forward(x),
        "torch fwd": torch_fwd,
        "gen bwd": lambda: m.backward(g, switches),
        "torch bwd": torch_bwd,
        "floor bwd": maxpool_floor(ind.numpy(), g, h * w, overlapping=win > stride),
    }


def interleaved(fns: Jobs, reps: int, block: int = 9) -> dict[str, list[float]]:
    """Each function's median block time in each of ``reps`` rounds (after one warm-up each)."""
    for f in fns.values():
        f()
    medians: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(reps):
        for k, f in fns.items():
            times = []
            for _ in range(block):
                t0 = time.perf_counter()
                f()
                times.append(time.perf_counter() - t0)
            medians[k].append(statistics.median(times))
    return medians


def paired(medians: dict[str, list[float]], ours: str, theirs: str) -> float:
    return statistics.median(a / b for a, b in zip(medians[ours], medians[theirs], strict=True))


def label(shape: tuple[int, ...]) -> str:
    n, c, h, w, win, pad, stride = shape
    return f"N={n} {c}x{h}x{w} {win}x{win}/{stride} pad {pad}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--alone", action="store_true", help="each (row, pass, side) alone in a fresh process")
    parser.add_argument("--torch-threads", type=int, default=2)
    parser.add_argument("--dtype", choices=["float32", "float64"], help="one dtype only")
    parser.add_argument("--child", nargs=3, metavar=("ROW", "DTYPE", "JOB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    dtypes = [args.dtype] if args.dtype else ["float32", "float64"]
    with tempfile.TemporaryDirectory() as tmp:
        if args.child:
            row, dtype, name = args.child
            run = jobs(POOL_SHAPES[int(row)], np.dtype(dtype).type, Path(tmp), args.torch_threads)[name]
            run()
            times = []
            for _ in range(args.reps * 9):
                t0 = time.perf_counter()
                run()
                times.append(time.perf_counter() - t0)
            print(json.dumps(statistics.median(times)))
            return 0
        load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
        mode = "each alone" if args.alone else "interleaved, paired medians"
        print(f"# load average {load}; torch threads {args.torch_threads}; {mode}; reps {args.reps}")
        print(f"{'row':34} {'dtype':8} {'pass':4} {'ms gen':>8} {'ms torch':>9} {'ratio':>6} {'floor':>6}")
        for dtype in dtypes:
            for row, shape in enumerate(POOL_SHAPES):
                if args.alone:
                    t = {}
                    for name in ("gen fwd", "torch fwd", "gen bwd", "torch bwd"):
                        command = [sys.executable, __file__, "--reps", str(args.reps), "--child", str(row), dtype, name]
                        command += ["--torch-threads", str(args.torch_threads)]
                        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
                        t[name] = json.loads(out)
                    for p in ("fwd", "bwd"):
                        ratio = t[f"gen {p}"] / t[f"torch {p}"]
                        ms = f"{t[f'gen {p}'] * 1e3:8.3f} {t[f'torch {p}'] * 1e3:9.3f}"
                        print(f"{label(shape):34} {dtype:8} {p:4} {ms} {ratio:6.2f}")
                    continue
                med = interleaved(jobs(shape, np.dtype(dtype).type, Path(tmp), args.torch_threads), args.reps)
                for p in ("fwd", "bwd"):
                    gen, torch = (statistics.median(med[f"{side} {p}"]) * 1e3 for side in ("gen", "torch"))
                    floor = f"{paired(med, 'floor bwd', 'torch bwd'):6.2f}" if p == "bwd" else ""
                    ratio = paired(med, f"gen {p}", f"torch {p}")
                    print(f"{label(shape):34} {dtype:8} {p:4} {gen:8.3f} {torch:9.3f} {ratio:6.2f} {floor}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
