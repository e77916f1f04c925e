"""The transposed convolution's generated code (PyTorch's ``conv_transpose2d``, the adjoint of
eq.a2-3): the forward scatter and the backward gathers, grouped or not.

A kernel module (see :mod:`symconv.codegen.embed`): NumPy only, its source copied into every
generated module with a transposed-convolution layer; ``plan_conv_transpose`` binds a
:class:`ConvTransposePlan`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..window_kernel import Window, window_view

#: ``(r, s, row start, row stop, column start, column stop)``: the strided slice of the padded
#: output that kernel position ``(r, s)`` meets for every input entry
Offset = tuple[int, int, int, int, int, int]


class ConvTransposePlan(NamedTuple):
    """What a transposed-convolution layer's passes need.  ``window`` is the geometry of the
    convolution the layer is the adjoint of, whose input is the layer's output: ``(h, w)`` is
    ``Z``'s plane, ``(hp, wp)`` the padded output (``top`` rows and ``left`` columns before
    ``Z``), ``(hl, wl)`` the kernel, with the stride and dilation, and ``(hz, wz)`` the plane of
    the layer's input ``A``: the adjoint's windows it meets, the first ones (an
    ``output_padding`` past the stride gives the adjoint more).  Then the channels and groups,
    how many examples a pass takes at a time, the checked slices of the scatter
    (:data:`Offset`), and whether there is a bias."""

    window: Window
    cin: int
    cout: int
    groups: int
    cin_g: int
    cout_g: int
    chunk: int
    offsets: tuple[Offset, ...]
    bias: bool


def convt_groups(A: np.ndarray, dtype: np.dtype, plan: ConvTransposePlan) -> np.ndarray:
    """The examples ``A`` of a chunk channels first, one ``(C_in/G, m h_a w_a)`` matrix per group."""
    m = A.shape[0]
    return A.transpose(1, 0, 2, 3).astype(dtype).reshape(plan.groups, plan.cin_g, m * plan.window.hz * plan.window.wz)


def convt_forward(A: np.ndarray, K: np.ndarray, b: np.ndarray | None, plan: ConvTransposePlan) -> np.ndarray:
    """``vZ_j = sum_i (dvY/dvU)^T vA_i (+ b_j 1)``, ``Y = U * K_{i,j}`` (PyTorch's
    ``conv_transpose2d``) for a batch ``A`` (``(N, C_in, h_a, w_a)``), the kernels ``K``
    (``(C_in, C_out/groups, h_k, w_k)``) and the bias ``b`` (``(C_out,)``, ``None`` without).

    Each input entry times the kernel, for a chunk of ``chunk`` examples one product of the
    kernels with the input per group, is added into the padded output at its slice of
    ``offsets``; the padding is then cut off."""
    win = plan.window
    hk, wk, ha, wa, sh, sw = win.hl, win.wl, win.hz, win.wz, win.sh, win.sw
    cout, chunk = plan.cout, plan.chunk
    dtype = np.result_type(A, K) if b is None else np.result_type(A, K, b)
    n = A.shape[0]
    # (G, C_out/G h_k w_k, C_in/G): row (l, r, s) of group g holds K[g C_in/G + c, l, r, s]
    Kg = K.reshape(plan.groups, plan.cin_g, plan.cout_g * hk * wk).transpose(0, 2, 1).astype(dtype)
    Z = np.empty((n, cout, win.h, win.w), dtype)
    Zp = np.empty((cout, min(n, chunk), win.hp, win.wp), dtype)  # channels first
    rows, cols = win.interior
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        P = np.matmul(Kg, convt_groups(A[n0 : n0 + m], dtype, plan))
        P = P.reshape(cout, hk, wk, m, ha, wa)
        out = Zp[:, :m]
        out.fill(0)
        for r, s, r0, r1, c0, c1 in plan.offsets:
            out[:, :, r0:r1:sh, c0:c1:sw] += P[:, r, s]
        Z[n0 : n0 + m] = out[:, :, rows, cols].transpose(1, 0, 2, 3)
    if b is not None:
        Z += b.astype(dtype, copy=False)[:, None, None]
    return Z


def convt_backward(dZ: np.ndarray, A: np.ndarray, K: np.ndarray, plan: ConvTransposePlan) -> tuple[np.ndarray, ...]:
    """``(dA, dK)``, with a bias ``(dA, dK, db)``, for the incoming ``dZ = dJ/dZ`` (``(N, C_out,
    h_z, w_z)``) at the batch ``A`` and the kernels ``K``:

    * ``dJ/dvA_i = sum_j dJ/dvZ_j (dvY/dvU)^T = (dvY/dvU (dJ/dvZ_j)^T)^T``: the convolution of
      ``dZ`` by the same kernels, padding, stride and dilation (eq.a2-3 read forward), the
      windows of the padded ``dZ`` times the kernels, one product per group;
    * ``dJ/dK_{i,j,rs} = sum_pq a_{i,pq} dJ/dz`` at the output ``a_{i,pq}`` reaches through
      ``(r, s)``: the same windows times the input;
    * ``dJ/db_j = dJ/dvZ_j 1``."""
    win = plan.window
    cin, cout, groups, chunk = plan.cin, plan.cout, plan.groups, plan.chunk
    ha, wa, rows_k = win.hz, win.wz, plan.cout_g * win.hl * win.wl
    n = A.shape[0]
    dtype = np.result_type(dZ, A, K)
    Kg = K.reshape(groups, plan.cin_g, rows_k).astype(dtype, copy=False)
    dKg = np.zeros((groups, plan.cin_g, rows_k), dtype)
    dA = np.empty(A.shape, dtype)
    Gp = np.zeros((cout, min(n, chunk), win.hp, win.wp), dtype)  # the padding stays zero
    rows, cols = win.interior
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        Gp[:, :m, rows, cols] = dZ[n0 : n0 + m].transpose(1, 0, 2, 3)
        X = window_view(Gp[:, :m], plan.window).reshape(groups, rows_k, m * ha * wa)
        D = np.matmul(Kg, X).reshape(cin, m, ha, wa)
        dA[n0 : n0 + m] = D.transpose(1, 0, 2, 3)
        dKg += np.matmul(convt_groups(A[n0 : n0 + m], dtype, plan), X.transpose(0, 2, 1))
    dK = dKg.reshape(K.shape)
    if plan.bias:
        return dA, dK, dZ.sum(axis=(0, 2, 3), dtype=dtype)
    return dA, dK
