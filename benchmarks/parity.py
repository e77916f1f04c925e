"""The harness of the PyTorch-parity benchmarks (``bench_conv_parity.py``, ``bench_pool_parity.py``).

Each row is one :class:`Case`: a label, a batch size, the symconv spec and the PyTorch call
``torch(F, x, *params)``.  Both sides run forward + backward on the same arrays: the generated
module's ``forward`` then ``backward`` (``backward(dZ, A, K)`` for a layer with a kernel,
``backward(dA, switches)`` or ``backward(dA)`` for pooling), PyTorch's call then ``.backward``.

Interleaved (default): both sides in one process, in rounds of blocks of 9 calls, every call
timed; a row's figure is the median over rounds of the ratio of the two sides' median block
times.  ``--alone``: each side in its own fresh process, a warm-up, then the median of
``--reps`` calls; the ratio of those medians.  PyTorch on 2 threads; ``--blas-threads N``
holds NumPy's BLAS to N threads (OpenBLAS's spinning threads lose whole time slices on a loaded
machine).  ``--only TEXT`` runs the rows whose label holds TEXT.  The goal: a median ratio of
at most 1.0, none above 1.5.
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
from collections.abc import Callable, Sequence
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
    """One benchmark row: ``spec()`` in symconv, ``torch(F, x, *params)`` in PyTorch."""

    label: str
    batch: int
    spec: Callable[[], symconv.Layer]
    torch: Callable[..., object]


def job(case: Case, side: str, folder: Path) -> Callable[[], object]:
    """One forward + backward of ``case`` by ``side`` (``generated`` or ``torch``)."""
    spec = case.spec()
    with limits.numeric_only():  # only the parameters' shapes are read, no Jacobian is built
        shapes = [t.shape for t in symconv.derive(spec).params.values()]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((case.batch, *spec.in_shape))
    params = [rng.standard_normal(s) / math.sqrt(math.prod(s[1:]) or 1) for s in shapes]
    g = rng.standard_normal((case.batch, *spec.out_shape))
    if side == "torch":
        import torch

        torch.set_num_threads(2)
        F = torch.nn.functional
        xt, *pt = (torch.tensor(a, requires_grad=True) for a in (x, *params))
        gt = torch.tensor(g)

        def run():
            for t in (xt, *pt):
                t.grad = None
            case.torch(F, xt, *pt).backward(gt)
            return xt.grad

        return run
    m = module_for(spec, folder)
    if params:
        return lambda: (m.forward(x, *params), m.backward(g, x, params[0]))
    if isinstance(m.forward(x), tuple):  # max pooling: the switches go to the backward
        return lambda: m.backward(g, m.forward(x)[1])
    return lambda: (m.forward(x), m.backward(g))


def summary(ratios: list[float]) -> None:
    """The median, geometric mean and largest of the rows' ratios."""
    geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    for name, value in (("median", statistics.median(ratios)), ("geometric mean", geo), ("largest", max(ratios))):
        print(f"| {name} | | | **{value:.2f}** |")


def head(title: str) -> None:
    print(f"| {title} | generated | PyTorch | ratio |")
    print("| --- | --- | --- | --- |")


def row(label: str, ours: float, theirs: float, ratio: float) -> None:
    print(f"| {label} | {ours * 1e3:.3g} ms | {theirs * 1e3:.3g} ms | {ratio:.2f} |")


def interleaved(cases: Sequence[Case], reps: int, block: int = 9) -> list[tuple[float, float]]:
    """The rows' figures; returns each row's median times ``(generated, PyTorch)``."""
    head("forward + backward, float64, interleaved")
    figures = []
    pairs: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            fns = [job(case, "generated", Path(tmp)), job(case, "torch", Path(tmp))]
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
            figures.append(statistics.median(ratios))
            pairs.append((statistics.median(medians[0]), statistics.median(medians[1])))
            row(case.label, *pairs[-1], figures[-1])
    summary(figures)
    return pairs


def child(case: Case, side: str, reps: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run = job(case, side, Path(tmp))
        run()
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
    print(json.dumps(statistics.median(times)))


def alone(
    script: str, cases: Sequence[Case], chosen: list[int], reps: int, blas_threads: int | None
) -> list[tuple[float, float]]:
    """The rows' figures; returns each row's median times ``(generated, PyTorch)``."""
    head("forward + backward, float64, each alone")
    ratios = []
    pairs: list[tuple[float, float]] = []
    for index in chosen:
        times = []
        for side in ("generated", "torch"):
            command = [sys.executable, script, "--reps", str(reps), "--child", str(index), side]
            command += ["--blas-threads", str(blas_threads)] if blas_threads else []
            times.append(json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout))
        ratios.append(times[0] / times[1])
        pairs.append((times[0], times[1]))
        row(cases[index].label, times[0], times[1], ratios[-1])
    summary(ratios)
    return pairs


def main(
    script: str,
    doc: str,
    cases: Sequence[Case],
    after: Callable[[list[Case], list[tuple[float, float]]], None] | None = None,
) -> int:
    """The command line of a parity benchmark whose rows are ``cases``; ``after(rows, times)``
    reports more on the rows run (their median times, generated and PyTorch)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--alone", action="store_true", help="each side alone in a fresh process")
    parser.add_argument("--only", default="", metavar="TEXT", help="only the rows whose label contains TEXT")
    parser.add_argument("--blas-threads", type=int, help="limit NumPy's BLAS to this many threads (PyTorch keeps 2)")
    parser.add_argument("--child", nargs=2, metavar=("INDEX", "SIDE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.blas_threads, user_api="blas")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    if args.child:
        child(cases[int(args.child[0])], args.child[1], args.reps)
        return 0
    print(f"load average {load} on {os.cpu_count()} cores; NumPy's BLAS threads: {args.blas_threads or 'default'}\n")
    chosen = [index for index, case in enumerate(cases) if args.only in case.label]
    if args.alone:
        times = alone(script, cases, chosen, args.reps, args.blas_threads)
    else:
        times = interleaved([cases[i] for i in chosen], args.reps)
    if after is not None:
        after([cases[i] for i in chosen], times)
    return 0
