"""Independent re-statements of the seed's definitions, for tests only.

Written straight from the seed's text with plain loops; nothing here is imported from
symconv except the specs' plain fields, so a bug in symconv's window map or vec order
cannot hide in both places.
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp


def seed_output_size(n: int, k: int, pad: int, stride: int) -> int:
    """Section 2: h_z = floor((h_a + 2 h_p - h_k) / h_s + 1)."""
    return math.floor(Fraction(n + 2 * pad - k, stride) + 1)


def pad_matrix(a: sp.Matrix, top: int, bottom: int, left: int, right: int, fill: object = 0) -> list[list[object]]:
    rows = a.rows + top + bottom
    cols = a.cols + left + right
    out = [[fill] * cols for _ in range(rows)]
    for r in range(a.rows):
        for c in range(a.cols):
            out[r + top][c + left] = a[r, c]
    return out


def correlate(a, k, padding, stride, dilation=(1, 1)) -> sp.Matrix:
    """Appendix A rep.1/rep.2: z_pq = sum_rs Apad[(p-1)s_h + (r-1)d_h + 1, ...] k_rs (1-based)."""
    t, b, left, right = padding
    pad = pad_matrix(sp.Matrix(a), t, b, left, right)
    hk, wk = k.shape
    span_h = dilation[0] * (hk - 1) + 1
    span_w = dilation[1] * (wk - 1) + 1
    hz = (len(pad) - span_h) // stride[0] + 1
    wz = (len(pad[0]) - span_w) // stride[1] + 1
    z = sp.zeros(hz, wz)
    for p in range(hz):
        for q in range(wz):
            total = sp.S.Zero
            for r in range(hk):
                for s in range(wk):
                    total += pad[p * stride[0] + r * dilation[0]][q * stride[1] + s * dilation[1]] * k[r, s]
            z[p, q] = total
    return z


def vec(m: sp.Matrix) -> sp.Matrix:
    """Stack the columns one below the other."""
    return sp.Matrix([m[r, c] for c in range(m.cols) for r in range(m.rows)])


def max_windows(i_matrix, window, padding, stride, pad_value):
    """Appendix B rep.1: for each output (p, q), vec of its window (column-major), padded
    entries as ``pad_value``; returns {(p, q): [values]} with 0-based keys."""
    t, b, left, right = padding
    pad = pad_matrix(sp.Matrix(i_matrix), t, b, left, right, fill=None)
    hl, wl = window
    ha = (len(pad) - hl) // stride[0] + 1
    wa = (len(pad[0]) - wl) // stride[1] + 1
    out = {}
    for p in range(ha):
        for q in range(wa):
            vals = []
            for s in range(wl):
                for r in range(hl):
                    v = pad[p * stride[0] + r][q * stride[1] + s]
                    vals.append(pad_value if v is None else v)
            out[(p, q)] = vals
    return out
