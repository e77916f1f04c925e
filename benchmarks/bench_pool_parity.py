# ruff: noqa: N803 - F is torch.nn.functional, as PyTorch code names it
"""The pooling options of PyTorch parity against PyTorch CPU, float64 (not a test).

    python benchmarks/bench_pool_parity.py [--reps N] [--alone] [--only TEXT] [--blas-threads N]

Forward + backward of: global average pooling of 512x7x7 (adaptive_avg_pool2d to 1x1), a
ResNet-style adaptive average pooling, adaptive max pooling (overlapping windows), global max
pooling of 512x7x7, average pooling with ceil_mode and count_include_pad=False, with
divisor_override, and max pooling with ceil_mode and PyTorch's row-major tie order.  The
harness and its two measures are described in ``benchmarks/parity.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

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
]  # fmt: skip

if __name__ == "__main__":
    sys.exit(main(__file__, __doc__, CASES))
