# ruff: noqa: N803 - F is torch.nn.functional, as PyTorch code names it
"""Convolution in every dimension against PyTorch CPU, float64 (not a test): 1-D, depthwise 1-D,
3-D, transposed 3-D and a reflect-padded 2-D layer, and each one's rate as a share of this
machine's float64 GEMM rate measured in the same run.

    python benchmarks/bench_conv_nd.py [--reps N] [--alone] [--only TEXT] [--blas-threads N]

Forward + backward (dA, dK, db) of each row; the harness and its two measures (interleaved in
one process, each side alone in a fresh one) are described in ``benchmarks/parity.py``.  The
share: the layer's multiply-adds of the forward pass, times 2 flops, times 3 (the forward, dA
and dK are one such product each), over the generated module's median time, divided by the
rate of ``A @ B`` on two 1024 x 1024 float64 matrices (the median of 15, after these rows).
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parity import Case, main

import symconv

CASES = [
    Case(
        "Conv1D 64→64 k3 pad 1, N=32 L=1024",
        32,
        lambda: symconv.Conv1D(input=1024, kernel=3, padding=1, in_channels=64, out_channels=64),
        lambda F, x, w, b: F.conv1d(x, w, b, padding=1),
    ),
    Case(
        "Conv1D depthwise k5 pad 2, N=32 128×512 (groups=128)",
        32,
        lambda: symconv.Conv1D(input=512, kernel=5, padding=2, in_channels=128, out_channels=128, groups=128),
        lambda F, x, w, b: F.conv1d(x, w, b, padding=2, groups=128),
    ),
    Case(
        "Conv3D 16→32 k3 pad 1, N=4 16×32×32",
        4,
        lambda: symconv.Conv3D(input=(16, 32, 32), kernel=3, padding=1, in_channels=16, out_channels=32),
        lambda F, x, w, b: F.conv3d(x, w, b, padding=1),
    ),
    Case(
        "ConvTranspose3D 32→16 k4 s2 pad 1, N=2 8×16×16 → 16×32×32",
        2,
        lambda: symconv.ConvTranspose3D(
            input=(8, 16, 16), kernel=4, stride=2, padding=1, in_channels=32, out_channels=16
        ),
        lambda F, x, w, b: F.conv_transpose3d(x, w, b, stride=2, padding=1),
    ),
    Case(
        "Conv2D reflect 3×3 pad 1, N=16 32×64×64",
        16,
        lambda: symconv.Conv2D(
            input=(64, 64), kernel=3, padding=1, padding_mode="reflect", in_channels=32, out_channels=32
        ),
        lambda F, x, w, b: F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), w, b),
    ),
]


def flops(case: Case) -> float:
    """Forward + backward flops: 3 products of the forward pass's multiply-adds, 2 flops each."""
    spec = case.spec()
    d = symconv.derive(spec)
    kernel = math.prod(d.kernel.shape)  # every entry of K meets each output position once ...
    if getattr(d, "transposed", False):
        positions = math.prod(spec.in_shape[1:])  # ... of the input, for a transposed conv
        per_entry = kernel * positions
    else:
        per_entry = kernel * math.prod(spec.out_shape[1:])
    return 3 * 2 * case.batch * per_entry


def gemm_rate(n: int = 1024, reps: int = 15) -> float:
    """float64 flop/s of ``A @ B`` on ``n x n`` matrices (median of ``reps``)."""
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    A @ B
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        A @ B
        times.append(time.perf_counter() - t0)
    return 2 * n**3 / statistics.median(times)


def shares(cases: list[Case], times: list[tuple[float, float]]) -> None:
    """Each row's forward + backward rate as a share of the GEMM rate, generated and PyTorch."""
    from symconv import limits

    rate = gemm_rate()
    print(f"\nfloat64 GEMM (1024 x 1024 @ 1024 x 1024): {rate / 1e9:.1f} GFLOP/s\n")
    print("| forward + backward, share of the GEMM rate | GFLOP | generated | PyTorch |")
    print("| --- | --- | --- | --- |")
    with limits.numeric_only():
        for case, (ours, theirs) in zip(cases, times, strict=True):
            f = flops(case)
            print(f"| {case.label} | {f / 1e9:.2f} | {f / ours / rate:.0%} | {f / theirs / rate:.0%} |")


if __name__ == "__main__":
    sys.exit(main(__file__, __doc__, CASES, shares))
