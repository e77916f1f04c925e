# ruff: noqa: N803 - F is torch.nn.functional, as PyTorch code names it
"""The pooling options of PyTorch parity against PyTorch CPU, float64 (not a test).

    python benchmarks/bench_pool_parity.py [--reps N] [--alone] [--only TEXT] [--blas-threads N]

Forward + backward of: global average pooling of 512x7x7 (adaptive_avg_pool2d to 1x1), a
ResNet-style adaptive average pooling, adaptive max pooling (overlapping windows), global max
pooling of 512x7x7, average pooling with ceil_mode and count_include_pad=False, with
divisor_override, and max pooling with ceil_mode and PyTorch's row-major tie order; then the
pooling of other dimensions: 1-D max pooling, 3-D max and average pooling, 3-D global average
pooling and 2-D max unpooling (its indices those of a max pooling of a random input).  The
harness and its two measures are described in ``benchmarks/parity.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parity import Case, main

import symconv

INF = float("-inf")
CASES = [
    Case("global avg N=32 512×7×7 → 1×1", 32,
         lambda: symconv.AdaptiveAvgPool2D(input=(7, 7), channels=512, output=(1, 1)),
         lambda F, x: F.adaptive_avg_pool2d(x, (1, 1))),
    Case("adaptive avg N=16 256×14×14 → 6×6", 16,
         lambda: symconv.AdaptiveAvgPool2D(input=(14, 14), channels=256, output=(6, 6)),
         lambda F, x: F.adaptive_avg_pool2d(x, (6, 6))),
    Case("adaptive max N=16 256×13×13 → 6×6", 16,
         lambda: symconv.AdaptiveMaxPool2D(input=(13, 13), channels=256, output=(6, 6)),
         lambda F, x: F.adaptive_max_pool2d(x, (6, 6))),
    Case("global max N=32 512×7×7 → 1×1", 32,
         lambda: symconv.AdaptiveMaxPool2D(input=(7, 7), channels=512, output=(1, 1)),
         lambda F, x: F.adaptive_max_pool2d(x, (1, 1))),
    Case("avg 3×3/2 pad 1, ceil_mode, count_include_pad=False, N=32 64×56×56", 32,
         lambda: symconv.AvgPool2D(input=(56, 56), channels=64, window=3, stride=2, padding=1, ceil_mode=True,
                                   count_include_pad=False),
         lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)),
    Case("avg 2×2/2 divisor_override=3, N=32 64×56×56", 32,
         lambda: symconv.AvgPool2D(input=(56, 56), channels=64, window=2, stride=2, divisor_override=3),
         lambda F, x: F.avg_pool2d(x, 2, 2, divisor_override=3)),
    Case("max 3×3/2 ceil_mode, tie_order=\"row\", N=32 64×55×55", 32,
         lambda: symconv.MaxPool2D(input=(55, 55), channels=64, window=3, stride=2, ceil_mode=True, tie_order="row",
                                   pad_value=INF),
         lambda F, x: F.max_pool2d(x, 3, 2, ceil_mode=True)),
    Case("max1d k3 s2, N=32 64×1024", 32,
         lambda: symconv.MaxPool1D(input=1024, channels=64, window=3, stride=2, tie_order="row", pad_value=INF),
         lambda F, x: F.max_pool1d(x, 3, 2)),
    Case("max3d 2×2×2, N=4 32×16×32×32", 4,
         lambda: symconv.MaxPool3D(input=(16, 32, 32), channels=32, window=2, tie_order="row", pad_value=INF),
         lambda F, x: F.max_pool3d(x, 2)),
    Case("avg3d 3×3×3/2 pad 1, N=4 16×16×32×32", 4,
         lambda: symconv.AvgPool3D(input=(16, 32, 32), channels=16, window=3, stride=2, padding=1),
         lambda F, x: F.avg_pool3d(x, 3, 2, 1)),
    Case("adaptive avg3d → 1, N=8 256×4×7×7", 8,
         lambda: symconv.AdaptiveAvgPool3D(input=(4, 7, 7), channels=256, output=1),
         lambda F, x: F.adaptive_avg_pool3d(x, 1)),
    Case("max unpool2d 2×2, N=32 64×28×28", 32,
         lambda: symconv.MaxUnpool2D(input=(28, 28), channels=64, window=2),
         lambda F, x, indices: F.max_unpool2d(x, indices, 2),
         side=lambda rng, x: (pooled_indices(rng, x.shape, 2),)),
]  # fmt: skip


def pooled_indices(rng: np.random.Generator, shape: tuple[int, ...], k: int) -> np.ndarray:
    """The flat indices a k x k max pooling of a random input selects, for pooled values of ``shape``
    (each window's maximum at a random place of it, as a max pooling of random data gives)."""
    h, w = shape[-2:]
    r, s = rng.integers(0, k, size=shape), rng.integers(0, k, size=shape)
    rows = np.arange(h)[:, None] * k + r
    cols = np.arange(w)[None, :] * k + s
    return (rows * (w * k) + cols).astype(np.int64)


if __name__ == "__main__":
    sys.exit(main(__file__, __doc__, CASES))
