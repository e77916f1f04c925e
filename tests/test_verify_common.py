"""Helpers shared by the verify tests: one-claim checks and an independent convolution.

The reference convolution is written straight from the seed's Appendix A (zero padding,
cross-correlation, stride), with plain Python loops, so that it shares no code with
symconv's core.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import sympy as sp

from symconv.verify import ClaimResult, verify_document

APPENDIX_A: dict[str, Any] = {
    "type": "conv2d",
    "input": [3, 4],
    "kernel": [2, 2],
    "padding": [1, 1],
    "stride": [1, 2],
    "bias": False,
}
APPENDIX_B: dict[str, Any] = {
    "type": "maxpool2d",
    "input": [3, 4],
    "window": [3, 2],
    "padding": [1, 1],
    "stride": [1, 2],
}
SMALL_NET: dict[str, Any] = {
    "input": [4, 4],
    "channels": 2,
    "layers": [
        {"type": "conv2d", "kernel": [2, 2], "out_channels": 2},
        {"type": "sigmoid"},
        {"type": "avgpool2d", "window": [3, 3], "stride": [1, 1]},
        {"type": "flatten"},
        {"type": "dense", "out_features": 2},
        {"type": "softmax_cross_entropy"},
    ],
}


def one(
    lhs: str, rhs: str, *, layer: dict[str, Any] | None = None, network: dict[str, Any] | None = None, **extra: Any
) -> ClaimResult:
    """Check a single claim about a layer (Appendix A's by default) or a network."""
    doc: dict[str, Any] = {"network": network} if network is not None else {"layer": layer or APPENDIX_A}
    defines = extra.pop("define", None)
    if defines:
        doc["define"] = defines
    doc["claims"] = [{"id": "c", "lhs": lhs, "rhs": rhs, **extra}]
    return verify_document(doc).results[0]


def reference_conv(a: np.ndarray, k: np.ndarray, padding: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """``A * K`` as Appendix A computes it: pad with zeros, slide, multiply, add."""
    ph, pw = padding
    padded = np.zeros((a.shape[0] + 2 * ph, a.shape[1] + 2 * pw), dtype=object)
    padded[ph : ph + a.shape[0], pw : pw + a.shape[1]] = a
    hk, wk = k.shape
    hz = (a.shape[0] + 2 * ph - hk) // stride[0] + 1
    wz = (a.shape[1] + 2 * pw - wk) // stride[1] + 1
    out = np.zeros((hz, wz), dtype=object)
    for p in range(hz):
        for q in range(wz):
            total = 0
            for r in range(hk):
                for s in range(wk):
                    total += padded[p * stride[0] + r, q * stride[1] + s] * k[r, s]
            out[p, q] = total
    return out


_ENTRY = re.compile(r"^([A-Za-z]+)_\{(\d)(\d)\}$")


def arrays_from(
    values: tuple[tuple[sp.Symbol, sp.Expr], ...], shapes: dict[str, tuple[int, int]]
) -> dict[str, np.ndarray]:
    """Numbers for single-channel entries named like ``a_{32}`` as arrays (zeros elsewhere)."""
    out = {name: np.zeros(shape, dtype=object) for name, shape in shapes.items()}
    for sym, val in values:
        m = _ENTRY.match(str(sym))
        assert m, f"unexpected symbol {sym}"
        out[m.group(1)][int(m.group(2)) - 1, int(m.group(3)) - 1] = val
    return out
