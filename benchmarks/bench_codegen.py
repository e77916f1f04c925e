# ruff: noqa: B023 - each timed closure runs in the loop iteration that defines it
"""Generated NumPy code against PyTorch's CPU kernels, in one process (not a test).

    python benchmarks/bench_codegen.py [--reps N] [--only conv|pool|loops] [--torch-threads N]

* conv forward+backward against ``torch.nn.functional.conv2d`` forward+backward (the
  issue's five shapes), float64 then float32;
* max-pool and avg-pool backward against PyTorch's, float64 (and forward, and float32
  backward, for information);
* the generated conv against the plain-loop reference of tests/reference_loops.py, on a
  small shape (the loops are far too slow for the large ones).

Each timing is the best of ``--reps`` runs, generated and PyTorch runs interleaved, so
both see the same machine.  PyTorch runs with ``torch.set_num_threads(2)`` (``--torch-threads``); NumPy's BLAS
with its 2 threads.  ``OMP_WAIT_POLICY=PASSIVE`` is set before PyTorch is imported:
on this 2-core machine libgomp's spinning worker threads otherwise starve the other
threads of the process (PyTorch's own MKL calls and NumPy's OpenBLAS alike), which made
PyTorch itself several times slower and its timings erratic.

For a fair BLAS, run it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset together
(``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_codegen.py``);
the kernel OpenBLAS picked is printed (threadpoolctl).  PyTorch is a benchmark-only tool
(``pip install torch==2.13.0``); symconv never depends on it.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np

import symconv
from symconv.codegen.checks import load_module
from symconv.codegen.render import write_module
from symconv.geometry import output_size
from symconv.layers.pool.plan import POOL_CHUNK_BYTES

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

CONV_SHAPES = [
    # N, C_in, H, W, C_out, kernel, padding, stride
    (64, 3, 64, 64, 8, 4, 1, 1),
    (64, 8, 8, 8, 16, 2, 1, 1),
    (32, 1, 28, 28, 16, 3, 1, 1),
    (16, 16, 32, 32, 32, 3, 1, 1),
    (8, 3, 224, 224, 64, 7, 3, 2),
]
POOL_SHAPES = [
    # N, C, H, W, window, padding, stride
    (64, 16, 32, 32, 2, 0, 2),
    (32, 16, 28, 28, 3, 1, 2),
    (16, 8, 64, 64, 8, 0, 8),
    (8, 64, 112, 112, 3, 1, 2),
]


def best(fns: list[Callable[[], object]], reps: int, block: int = 9) -> list[float]:
    """Best time of each function over ``reps`` interleaved rounds of ``block`` runs each
    (after one warm-up each): a round runs every function, so all see the same machine.

    The blocks are long because a function's first runs after another's are slow: the other's
    allocations and cache contents are in the way (glibc's heap and mmap thresholds move with
    what was freed last).  PyTorch's 16x32x32 conv takes about 19 ms in blocks of 3 after the
    generated code, and 7 ms in blocks of 9, as it does alone; the generated code gains in
    the same way from running after PyTorch.  Nine runs in a row let each reach its own pace."""
    for f in fns:
        f()
    times = [math.inf] * len(fns)
    for _ in range(reps):
        for k, f in enumerate(fns):
            for _ in range(block):
                t0 = time.perf_counter()
                f()
                times[k] = min(times[k], time.perf_counter() - t0)
    return times


def module_for(spec: symconv.Layer, folder: Path):
    return load_module(write_module(spec, folder, f"m{abs(hash(repr(spec)))}"))


def conv_spec(shape: tuple[int, ...]) -> symconv.Conv2D:
    """The layer of a CONV_SHAPES row."""
    _, cin, h, w, cout, k, pad, stride = shape
    return symconv.Conv2D(
        input=(h, w), kernel=(k, k), padding=(pad, pad), stride=(stride, stride), in_channels=cin, out_channels=cout
    )


def conv_data(shape: tuple[int, ...], rng: np.random.Generator, dtype) -> tuple[np.ndarray, ...]:
    """``A, K, b, dZ`` for a CONV_SHAPES row: normal entries, ``K`` scaled by its fan-in."""
    n, cin, h, w, cout, k, pad, stride = shape
    A = rng.standard_normal((n, cin, h, w)).astype(dtype)
    K = (rng.standard_normal((cout, cin, k, k)) / math.sqrt(cin * k * k)).astype(dtype)
    b = rng.standard_normal(cout).astype(dtype)
    hz, wz = (output_size(size, k, pad, pad, stride) for size in (h, w))
    dZ = rng.standard_normal((n, cout, hz, wz)).astype(dtype)
    return A, K, b, dZ


def pool_spec(kind: str, shape: tuple[int, ...]) -> symconv.Layer:
    """The max (padded with -inf, as PyTorch pads) or avg layer of a POOL_SHAPES row."""
    _, c, h, w, win, pad, stride = shape
    cls = symconv.MaxPool2D if kind == "max" else symconv.AvgPool2D
    extra = {"pad_value": -math.inf} if kind == "max" else {}
    return cls(input=(h, w), window=(win, win), padding=(pad, pad), stride=(stride, stride), channels=c, **extra)


def conv_rows(torch, dtype, reps: int, folder: Path) -> list[tuple[str, float, float]]:
    F = torch.nn.functional
    rows = []
    rng = np.random.default_rng(0)
    for shape in CONV_SHAPES:
        n, cin, h, w, cout, k, pad, stride = shape
        m = module_for(conv_spec(shape), folder)
        A, K, b, dZ = conv_data(shape, rng, dtype)
        Z = m.forward(A, K, b)
        At, Kt, bt = (torch.tensor(v, requires_grad=True) for v in (A, K, b))
        dZt = torch.tensor(dZ)

        def generated() -> None:
            m.forward(A, K, b)
            m.backward(dZ, A, K)

        def reference() -> None:
            At.grad = Kt.grad = bt.grad = None
            F.conv2d(At, Kt, bt, stride=stride, padding=pad).backward(dZt)

        reference()
        dA, dK, _ = m.backward(dZ, A, K)
        tol = 1e-9 if dtype == np.float64 else 1e-3
        for got, want in ((Z, F.conv2d(At, Kt, bt, stride=stride, padding=pad)), (dA, At.grad), (dK, Kt.grad)):
            want = want.detach().numpy()
            assert np.abs(got - want).max() <= tol * max(1.0, np.abs(want).max()), "results differ from PyTorch"
        tg, tt = best([generated, reference], reps)
        rows.append((f"N={n} {cin}x{h}x{w} -> {cout} filters {k}x{k} pad {pad} stride {stride}", tg, tt))
    return rows


def pool_rows(torch, kind: str, dtype, reps: int, folder: Path) -> list[tuple]:
    F = torch.nn.functional
    rows = []
    rng = np.random.default_rng(1)
    for shape in POOL_SHAPES:
        n, c, h, w, win, pad, stride = shape
        m = module_for(pool_spec(kind, shape), folder)
        x = rng.standard_normal((n, c, h, w)).astype(dtype)
        xt = torch.tensor(x, requires_grad=True)
        if kind == "max":
            out, switches = m.forward(x)
            yt = F.max_pool2d(xt, win, stride, padding=pad)
        else:
            out, switches = m.forward(x), None
            yt = F.avg_pool2d(xt, win, stride, padding=pad)
        g = rng.standard_normal(out.shape).astype(dtype)
        gt = torch.tensor(g)
        yt.backward(gt)
        got = m.backward(g, switches) if kind == "max" else m.backward(g)
        tol = 1e-12 if dtype == np.float64 else 1e-5
        assert got.dtype == dtype, f"{kind}-pool backward returned {got.dtype} for {np.dtype(dtype)}"
        assert np.abs(got - xt.grad.numpy()).max() <= tol * max(1.0, np.abs(got).max()), "differs from PyTorch"

        def gen_fwd() -> None:
            m.forward(x)

        def gen_bwd() -> None:
            m.backward(g, switches) if kind == "max" else m.backward(g)

        # PyTorch's backward alone: re-run the graph's backward with retain_graph
        yt2 = (
            F.max_pool2d(xt, win, stride, padding=pad) if kind == "max" else F.avg_pool2d(xt, win, stride, padding=pad)
        )

        def torch_fwd() -> None:
            with torch.no_grad():
                F.max_pool2d(xt, win, stride, padding=pad) if kind == "max" else F.avg_pool2d(
                    xt, win, stride, padding=pad
                )

        def torch_bwd() -> None:
            xt.grad = None
            yt2.backward(gt, retain_graph=True)

        timed = [gen_fwd, torch_fwd, gen_bwd, torch_bwd]
        if kind == "max":
            _, ind = F.max_pool2d(xt, win, stride, padding=pad, return_indices=True)
            timed.append(maxpool_floor(ind.numpy(), g, h * w, overlapping=win > stride))
        tgf, ttf, tgb, ttb, *rest = best(timed, reps)
        name = f"N={n} {c}x{h}x{w} window {win}x{win} pad {pad} stride {stride}"
        rows.append((name, tgb, ttb, tgf, ttf, *rest))
    return rows


def maxpool_floor(indices: np.ndarray, g: np.ndarray, per_in: int, overlapping: bool) -> Callable[[], None]:
    """NumPy's floor for a max-pool backward: ``dI`` (planes of ``per_in`` entries) zeroed and
    scattered into a chunk of planes (``POOL_CHUNK_BYTES`` of ``g``'s type) at a time (in cache, as
    the generated code does), with PyTorch's own flat ``indices`` (``(N, C, *out)``), so no switch
    is looked up at all; adding up where windows overlap."""
    planes, per_out = indices.shape[0] * indices.shape[1], math.prod(indices.shape[2:])
    local = indices.reshape(planes, per_out)
    step = max(1, POOL_CHUNK_BYTES // (per_in * g.itemsize))
    chunks = [
        (slice(a * per_in, (a + k) * per_in), slice(a * per_out, (a + k) * per_out), routes)
        for a in range(0, planes, step)
        for k in [min(step, planes - a)]
        for routes in [(local[a : a + k] + np.arange(k)[:, None] * per_in).reshape(-1)]
    ]
    flat_g = g.reshape(-1)

    def floor() -> None:
        dI = np.empty(planes * per_in, g.dtype)
        for into, outputs, routes in chunks:
            target = dI[into]
            target.fill(0)
            if overlapping:
                np.add.at(target, routes, flat_g[outputs])
            else:
                target[routes] = flat_g[outputs]

    return floor


def loops_row(folder: Path) -> tuple[str, float, float]:
    import reference_loops as ref

    n, cin, h, w, cout, k, pad = 2, 3, 16, 16, 4, 3, 1
    spec = symconv.Conv2D(input=(h, w), kernel=(k, k), padding=(pad, pad), in_channels=cin, out_channels=cout)
    m = module_for(spec, folder)
    rng = np.random.default_rng(2)
    A, K, b = rng.standard_normal((n, cin, h, w)), rng.standard_normal((cout, cin, k, k)), rng.standard_normal(cout)
    dZ = rng.standard_normal((n, cout, h, w))
    pads = (pad, pad, pad, pad)

    def generated() -> None:
        m.forward(A, K, b)
        m.backward(dZ, A, K)

    def loops() -> None:
        ref.conv_forward(A, K, b, pads, (1, 1))
        ref.conv_backward(dZ, A, K, pads, (1, 1))

    tg, tl = best([generated, loops], 3)
    return (f"N={n} {cin}x{h}x{w} -> {cout} filters {k}x{k} pad {pad}", tg, tl)


def table(title: str, rows: list[tuple[str, float, float]], other: str = "torch") -> float:
    print(f"\n{title}")
    print(f"{'shape':58} {'ms generated':>13} {'ms ' + other:>10} {'ratio':>7}")
    for name, tg, tt in rows:
        print(f"{name:58} {tg * 1e3:13.2f} {tt * 1e3:10.2f} {tg / tt:7.2f}")
    geo = math.exp(sum(math.log(tg / tt) for _, tg, tt in rows) / len(rows))
    print(f"{'geometric mean of time(generated) / time(' + other + ')':58} {'':13} {'':10} {geo:7.2f}")
    return geo


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--only", choices=["conv", "pool", "loops"], help="run one part only")
    parser.add_argument(
        "--blas-threads",
        type=int,
        help="limit NumPy's BLAS (OpenBLAS) to this many threads; PyTorch keeps 2 (useful on a loaded machine, "
        "where OpenBLAS's spinning threads lose whole time slices at every call)",
    )
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=2,
        help="PyTorch's thread count (the goals are set against 2; 1 shows PyTorch's kernels on one core, "
        "as the generated pooling code runs)",
    )
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.torch_threads)
    from threadpoolctl import threadpool_info, threadpool_limits

    if args.blas_threads:
        threadpool_limits(limits=args.blas_threads, user_api="blas")
        torch.set_num_threads(args.torch_threads)

    for info in threadpool_info():
        print(
            f"# {info['user_api']}: {info['internal_api']} {info.get('version')} "
            f"{info.get('architecture', '')} threads={info['num_threads']} ({Path(info['filepath']).name})"
        )
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"# load average {load} on {os.cpu_count()} cores (other work on the machine skews every timing)")
    print(
        f"# numpy {np.__version__}, torch {torch.__version__}, torch threads {torch.get_num_threads()}, "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.only in (None, "conv"):
            table(
                "conv2d forward+backward, float64 (goal: geometric mean <= 1.0, none above 1.5)",
                conv_rows(torch, np.float64, args.reps, folder),
            )
            table(
                "conv2d forward+backward, float32 (PyTorch uses oneDNN here)",
                conv_rows(torch, np.float32, args.reps, folder),
            )
        if args.only in (None, "pool"):
            for kind in ("max", "avg"):
                rows = pool_rows(torch, kind, np.float64, args.reps, folder)
                table(f"{kind}-pool backward, float64 (goal: ratio <= 1.0)", [(r[0], r[1], r[2]) for r in rows])
                table(f"{kind}-pool forward, float64 (for information)", [(r[0], r[3], r[4]) for r in rows])
                if kind == "max":
                    table(
                        "max-pool backward, float64: NumPy's floor, zero + scatter a chunk at a time with "
                        "PyTorch's own indices (for information)",
                        [(r[0], r[5], r[2]) for r in rows],
                    )
            for kind in ("max", "avg"):
                rows = pool_rows(torch, kind, np.float32, args.reps, folder)
                table(f"{kind}-pool backward, float32 (for information)", [(r[0], r[1], r[2]) for r in rows])
        if args.only in (None, "loops"):
            name, tg, tl = loops_row(folder)
            print("\nconv2d forward+backward against the plain-loop reference (tests/reference_loops.py), float64")
            print(f"{name:58} {tg * 1e3:13.3f} ms generated {tl * 1e3:10.1f} ms loops: {tl / tg:,.0f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
