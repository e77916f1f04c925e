# ruff: noqa: N803 - F is torch.nn.functional, as PyTorch code names it
"""Grouped, depthwise and transposed convolution against PyTorch CPU, float64 (not a test).

    python benchmarks/bench_conv_parity.py [--reps N] [--alone] [--only TEXT] [--blas-threads N]

Forward + backward (dA, dK, db) of each row; the harness and its two measures (interleaved in
one process, each side alone in a fresh one) are described in ``benchmarks/parity.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parity import Case, main

import symconv

CASES = [
    Case(
        "depthwise 3×3 pad 1, N=8 32×56×56 (groups=32)",
        8,
        lambda: symconv.Conv2D(input=(56, 56), kernel=3, padding=1, in_channels=32, out_channels=32, groups=32),
        lambda F, x, w, b: F.conv2d(x, w, b, stride=1, padding=1, groups=32),
    ),
    Case(
        "depthwise 3×3 stride 2 pad 1, N=8 64×56×56 (groups=64)",
        8,
        lambda: symconv.Conv2D(
            input=(56, 56), kernel=3, stride=2, padding=1, in_channels=64, out_channels=64, groups=64
        ),
        lambda F, x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=64),
    ),
    Case(
        "grouped 3×3 pad 1, N=8 128×28×28 (groups=32, 4 channels each)",
        8,
        lambda: symconv.Conv2D(input=(28, 28), kernel=3, padding=1, in_channels=128, out_channels=128, groups=32),
        lambda F, x, w, b: F.conv2d(x, w, b, stride=1, padding=1, groups=32),
    ),
    Case(
        "transposed 4×4 stride 2 pad 1, N=8 64→32, 16×16 → 32×32",
        8,
        lambda: symconv.ConvTranspose2D(input=(16, 16), kernel=4, stride=2, padding=1, in_channels=64, out_channels=32),
        lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1),
    ),
]

if __name__ == "__main__":
    sys.exit(main(__file__, __doc__, CASES))
