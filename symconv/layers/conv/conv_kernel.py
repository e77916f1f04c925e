"""Convolution's generated code (seed section 2, 3.1.5, Appendix A): the window gathers, the
products with the kernels and the scatters back of the forward and backward passes.

A kernel module (see :mod:`symconv.codegen.embed`): NumPy only, its source copied into every
generated module with a conv2d layer; ``plan_conv`` binds a :class:`ConvPlan`.  Four paths,
chosen by the plan: ``flat`` (stride 1: the windows of rep.1 gathered in flat padded
coordinates), ``rowwise`` (stride 1, few channels per group: one product per kernel row on
``w_k`` column shifts of the planes), ``shifted`` (depthwise at stride 1: the padded planes
shifted by each kernel position, used in place) and ``strided`` (any stride: the windows as a
6-D view of the padded input).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np

from ..window_kernel import Window, window_view

#: the paths of the passes (see the module's docstring)
ConvPath = Literal["flat", "rowwise", "shifted", "strided"]


class ConvPlan(NamedTuple):
    """What a conv2d layer's passes need: its geometry (``window``: the kernel is the window,
    ``(hl, wl) = (h_k, w_k)``), the channels and groups, how many examples each pass takes at
    a time (``chunk``), the slices of ``offsets`` (``(r, s, row start, row stop, column start,
    column stop)`` of the strided slice of the padded input that kernel position ``(r, s)``
    meets: column ``(r, s)`` of ``d vZ / d vK``, ``vec(A * E_rs)``, eq.a1-3), the same slices'
    starts in flat padded coordinates (``shifts``: ``r d_h w_p + s d_w``), the path,
    ``one_kernel_per_group`` (``C_out = GROUPS``: the backward products have an inner size of
    one) and whether the layer has a bias."""

    window: Window
    cin: int
    cout: int
    groups: int
    chunk: int
    offsets: tuple[tuple[int, ...], ...]
    shifts: tuple[int, ...]
    path: ConvPath
    one_kernel_per_group: bool
    bias: bool


def conv_forward(A: np.ndarray, K: np.ndarray, b: np.ndarray | None, plan: ConvPlan) -> np.ndarray:
    """``Z_j = sum_i A_i * K_{j,i} + b_j 1`` (section 2; no ``b_j 1`` when ``b`` is ``None``)
    for a batch ``A`` (``(N, C_in, h, w)``) and the kernels ``K`` (``(C_out, CG, h_k, w_k)``).

    Every output is the window of rep.1 times the kernel (rep.2), so the outputs of a chunk of
    examples are one product of the kernels with the gathered windows, along the plan's path."""
    dtype = np.result_type(A, K) if b is None else np.result_type(A, K, b)
    if plan.path == "shifted":
        Z = conv_shifted_forward(A, K, dtype, plan)
    elif plan.path == "rowwise":
        Z = conv_rowwise_forward(A, K, dtype, plan)
    elif plan.path == "flat":
        Z = conv_flat_forward(A, K, dtype, plan)
    else:
        Z = conv_strided_forward(A, K, dtype, plan)
    if b is not None:
        Z += b.astype(dtype, copy=False)[:, None, None]
    return Z


def conv_backward(dZ: np.ndarray, A: np.ndarray, K: np.ndarray, plan: ConvPlan) -> tuple[np.ndarray, ...]:
    """``(dA, dK)``, and ``db`` after them with a bias, for the incoming ``dZ = dJ/dZ`` (3.1.5):

    * ``dJ/dvK_{j,i} = dJ/dvZ_j dvZ_j/dvK_{j,i}``, whose column ``(r, s)`` is ``vec(A_i * E_rs)``
      (eq.a1-3): the windows of ``offsets`` times ``dZ``;
    * ``dJ/db_j = dJ/dvZ_j 1``;
    * ``dJ/dvA_i = sum_j dJ/dvZ_j dvZ_j/dvA_i``, column ``(r, s)`` being ``vec(E_rs * K_{j,i})``
      (eq.a2-3): each kernel position adds ``K[:, :, r, s]``-weighted ``dZ`` into its slice.

    Examples are taken ``chunk`` at a time so that the gathered windows stay in cache."""
    dtype = np.result_type(dZ, A, K)
    if plan.path == "shifted":
        dA, dK = conv_shifted_backward(dZ, A, K, dtype, plan)
    elif plan.path == "rowwise":
        dA, dK = conv_rowwise_backward(dZ, A, K, dtype, plan)
    elif plan.path == "flat":
        dA, dK = conv_flat_backward(dZ, A, K, dtype, plan)
    else:
        dA, dK = conv_strided_backward(dZ, A, K, dtype, plan)
    if plan.bias:
        return dA, dK, dZ.sum(axis=(0, 2, 3), dtype=dtype)
    return dA, dK


def conv_kernel_shape(plan: ConvPlan) -> tuple[int, int, int, int]:
    """``K``'s shape, ``(C_out, CG, h_k, w_k)``."""
    return (plan.cout, plan.cin // plan.groups, plan.window.hl, plan.window.wl)


def conv_kernel_matrix(K: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> np.ndarray:
    """The kernels as the rows of a matrix, ``(C_out, CKK)``, or with groups one matrix per
    group, ``(GROUPS, OG, GKK)`` (kernel ``j`` has ``CG`` channels and meets the ``GKK`` window
    rows of its group, input channels ``(j // OG) CG`` onwards)."""
    win = plan.window
    if plan.groups > 1:
        gkk = plan.cin // plan.groups * win.hl * win.wl
        return K.reshape(plan.groups, plan.cout // plan.groups, gkk).astype(dtype, copy=False)
    return K.reshape(plan.cout, plan.cin * win.hl * win.wl).astype(dtype, copy=False)


def conv_kernel_columns(K: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> tuple[np.ndarray, np.ndarray]:
    """The transpose of :func:`conv_kernel_matrix` (per group: its kernels' entries by its
    kernels) and the zeroed sum of ``dK`` in the same layout."""
    win = plan.window
    if plan.groups > 1:
        og, gkk = plan.cout // plan.groups, plan.cin // plan.groups * win.hl * win.wl
        Kt = K.reshape(plan.groups, og, gkk).transpose(0, 2, 1).astype(dtype, copy=False)
        return Kt, np.zeros((plan.groups, gkk, og), dtype)
    ckk = plan.cin * win.hl * win.wl
    return K.reshape(plan.cout, ckk).T.astype(dtype, copy=False), np.zeros((ckk, plan.cout), dtype)


def conv_kernel_gradient(dKt: np.ndarray, plan: ConvPlan) -> np.ndarray:
    """``dK`` from its sum in the layout of :func:`conv_kernel_columns`."""
    if plan.groups > 1:
        return np.ascontiguousarray(dKt.transpose(0, 2, 1)).reshape(conv_kernel_shape(plan))
    return np.ascontiguousarray(dKt.T).reshape(conv_kernel_shape(plan))


def conv_work(n: int, dtype: np.dtype, plan: ConvPlan, *rows: int) -> list[np.ndarray]:
    """One array cut into blocks of ``rows[k]`` padded planes for each example of a chunk,
    ``(rows[k], chunk, h_p, w_p)`` each.  A single allocation per call: the memory allocator
    hands the same block back on the next call, where many large arrays would come as fresh,
    unmapped pages every time."""
    win = plan.window
    shape = (min(n, plan.chunk), win.hp, win.wp)
    span = shape[0] * win.hp * win.wp
    work = np.empty(sum(rows) * span, dtype)
    starts = np.cumsum((0, *rows)) * span
    return [work[a:b].reshape(k, *shape) for a, b, k in zip(starts[:-1], starts[1:], rows, strict=True)]


def conv_leading(block: np.ndarray, length: int) -> np.ndarray:
    """The start of a work block as a contiguous ``(rows, length)`` array (a chunk of ``length``
    flat positions, one row per plane row of the block)."""
    return block.reshape(-1)[: block.shape[0] * length].reshape(block.shape[0], length)


def conv_flat_windows(Af: np.ndarray, length: int, plan: ConvPlan) -> np.ndarray:
    """rep.1 in flat padded coordinates, for stride 1: ``Af`` holds each input channel's padded
    planes laid end to end (``(C_in, n h_p w_p)``), and the view's ``[i, r, s, t]`` entry is
    ``Af[i, t + r d_h w_p + s d_w]``.  Column ``t = (e, y, x)`` (a padded position of example
    ``e``) then holds the window of rep.1 at output ``(y, x)``, the slices of ``offsets``;
    reshaped, the columns of ``d vZ / d vK`` (eq.a1-3) side by side.  Columns with ``y >= h_z``
    or ``x >= w_z`` are no output's: they are computed with the rest and dropped."""
    win = plan.window
    s0, s1 = Af.strides
    shape = (plan.cin, win.hl, win.wl, length)
    strides = (s0, s1 * win.dh * win.wp, s1 * win.dw, s1)
    return np.lib.stride_tricks.as_strided(Af, shape=shape, strides=strides, writeable=False)


def conv_gather(A: np.ndarray, Ap: np.ndarray, Xs: np.ndarray, plan: ConvPlan) -> tuple[int, int, np.ndarray]:
    """rep.1 for the examples ``A`` of a chunk: copied into the padded planes ``Ap`` (channels
    first; the padding stays as it is), then their windows into ``Xs`` (see
    ``conv_flat_windows``).  Returns the chunk's flat size, the number of columns that hold
    windows (the last output is column ``length - 1``) and the windows ``X``, ``(CKK, length)``."""
    win = plan.window
    rows, cols = win.interior
    m = A.shape[0]
    Ap[:, :m, rows, cols] = A.transpose(1, 0, 2, 3)
    size = m * win.hp * win.wp
    length = size - plan.shifts[-1]
    X = conv_leading(Xs, length)
    windows = conv_flat_windows(Ap[:, :m].reshape(plan.cin, size), length, plan)
    np.copyto(X.reshape(plan.cin, win.hl, win.wl, length), windows)
    return size, length, X


def conv_columns(planes: np.ndarray, span: int, out: np.ndarray, plan: ConvPlan) -> np.ndarray:
    """The ``w_k`` column shifts of flat padded ``planes`` (``(C, length)``), copied into
    ``out``: ``out[i, s, t] = planes[i, t + s d_w]`` for ``t < span``, as a
    ``(C w_k, span)`` matrix.  Kernel position ``(r, s)``'s slice of ``offsets`` is then
    columns ``r d_h w_p`` onwards of row ``(i, s)``: one kernel row's windows of rep.1,
    without the ``h_k`` copies of the rows."""
    win = plan.window
    s0, s1 = planes.strides
    view = np.lib.stride_tricks.as_strided(planes, shape=(planes.shape[0], win.wl, span), strides=(s0, s1 * win.dw, s1))
    X = out.reshape(-1)[: view.size].reshape(view.shape)
    np.copyto(X, view)
    return X.reshape(-1, span)


def conv_rows(Kr: np.ndarray, X: np.ndarray, out: np.ndarray, temp: np.ndarray, plan: ConvPlan) -> None:
    """``out = sum_r Kr[r] @ X[:, :, r d_h w_p : r d_h w_p + length]`` per group (``length`` is
    ``out``'s): kernel row ``r`` of each group times its rows of the column shifts ``X``,
    added up over the ``h_k`` kernel rows in ``out`` (``temp`` holds one product)."""
    length = out.shape[-1]
    step = plan.window.dh * plan.window.wp  # kernel row r reads the planes r d_h rows on
    np.matmul(Kr[0], X[:, :, :length], out=out)
    for r in range(1, plan.window.hl):
        np.matmul(Kr[r], X[:, :, r * step : r * step + length], out=temp)
        out += temp


def conv_flat_forward(A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> np.ndarray:
    """Stride 1: the kernels times the windows of each chunk in flat padded coordinates
    (``conv_gather``), with groups one product per group (each group's kernels times its own
    window rows)."""
    win = plan.window
    cin, cout, groups, chunk = plan.cin, plan.cout, plan.groups, plan.chunk
    hz, wz = win.hz, win.wz
    ckk = cin * win.hl * win.wl
    Km = conv_kernel_matrix(K, dtype, plan)
    n = A.shape[0]
    Z = np.empty((n, cout, hz, wz), dtype)
    # one work space per call (see conv_work): the padded input, the products, the windows
    Ap, P, Xs = conv_work(n, dtype, plan, cin, cout, ckk)
    Ap.fill(0)  # the padding stays zero
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        size, length, X = conv_gather(A[n0 : n0 + m], Ap, Xs, plan)
        out = P[:, :m]
        if groups > 1:
            Xg = X.reshape(groups, ckk // groups, length)
            np.matmul(Km, Xg, out=out.reshape(groups, cout // groups, size)[:, :, :length])
        else:
            np.matmul(Km, X, out=out.reshape(cout, size)[:, :length])
        Z[n0 : n0 + m] = out[:, :, :hz, :wz].transpose(1, 0, 2, 3)
    return Z


def conv_rowwise_forward(A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> np.ndarray:
    """With ``GROUPS`` groups of ``CG`` channels (kernel j meets ``A_{o_j + i}``,
    ``o_j = (j // OG) CG``), stride 1: the products are per group and per kernel row.  The
    padded planes are copied ``w_k`` times, shifted by ``s d_w`` columns; kernel row ``r``'s
    windows are those copies ``r d_h`` rows on, so ``Z`` adds up ``h_k`` products of the
    group's kernel row ``K[:, :, r, :]`` with them, and no window is gathered ``h_k`` times."""
    win = plan.window
    cin, cout, groups, chunk = plan.cin, plan.cout, plan.groups, plan.chunk
    hk, wk, hp, wp, hz, wz = win.hl, win.wl, win.hp, win.wp, win.hz, win.wz
    cg, og = cin // groups, cout // groups
    rows, cols = win.interior
    last = plan.shifts[-1]
    rstep = win.dh * wp  # kernel row r reads the planes r d_h rows on, r d_h w_p flat positions
    n = A.shape[0]
    Z = np.empty((n, cout, hz, wz), dtype)
    # kernel row r of each group: Kr[r, g, o, (i, s)] = K[g OG + o, i, r, s]
    Kr = np.ascontiguousarray(K.reshape(groups, og, cg, hk, wk).transpose(3, 0, 1, 2, 4), dtype=dtype).reshape(
        hk, groups, og, cg * wk
    )
    # one work space per call (see conv_work): the padded input, the sums, one product, the column shifts
    Ap, P, T, Xs = conv_work(n, dtype, plan, cin, cout, cout, cin * wk)
    Ap.fill(0)  # the padding stays zero
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        Ap[:, :m, rows, cols] = A[n0 : n0 + m].transpose(1, 0, 2, 3)
        size = m * hp * wp
        length = size - last
        X = conv_columns(Ap[:, :m].reshape(cin, size), length + (hk - 1) * rstep, Xs, plan)
        out = P[:, :m].reshape(groups, og, size)[:, :, :length]
        product = conv_leading(T, length).reshape(groups, og, length)
        # rep.2, eq.a1-3: each group's kernel rows times its rows of the column shifts
        conv_rows(Kr, X.reshape(groups, cg * wk, -1), out, product, plan)
        Z[n0 : n0 + m] = P[:, :m, :hz, :wz].transpose(1, 0, 2, 3)
    return Z


def conv_shifted_forward(A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> np.ndarray:
    """Depthwise (``GROUPS`` groups of one channel, kernel j on input channel j alone), stride 1:
    rep.2 one kernel position at a time, ``k_rs`` times the padded planes shifted by ``(r, s)``,
    in place; no windows are gathered."""
    win = plan.window
    cin, cout, chunk, shifts = plan.cin, plan.cout, plan.chunk, plan.shifts
    hp, wp, hz, wz = win.hp, win.wp, win.hz, win.wz
    positions = win.hl * win.wl
    rows, cols = win.interior
    n = A.shape[0]
    Z = np.empty((n, cout, hz, wz), dtype)
    # one work space per call (see conv_work): the padded input, the sums, one product
    Ap, P, T = conv_work(n, dtype, plan, cin, cout, cin)
    Ap.fill(0)  # the padding stays zero
    Kd = K.reshape(cout, positions).astype(dtype, copy=False)
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        Ap[:, :m, rows, cols] = A[n0 : n0 + m].transpose(1, 0, 2, 3)
        size = m * hp * wp
        length = size - shifts[-1]
        Af = Ap[:, :m].reshape(cin, size)
        out = P[:, :m].reshape(cout, size)[:, :length]
        product = conv_leading(T, length)
        first = shifts[0]  # the first kernel position starts the sum
        np.multiply(Kd[:, :1], Af[:, first : first + length], out=out)
        for rs in range(1, positions):
            shift = shifts[rs]
            np.multiply(Kd[:, rs, None], Af[:, shift : shift + length], out=product)
            out += product
        Z[n0 : n0 + m] = P[:, :m, :hz, :wz].transpose(1, 0, 2, 3)
    return Z


def conv_strided_forward(A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> np.ndarray:
    """Any stride: the kernels times the windows of each chunk (``window_view``), with
    groups one product per group (kernel j meets the ``CG`` input channels of its group only,
    ``A_{o_j + i}``, ``o_j = (j // OG) CG``)."""
    win = plan.window
    cin, cout, chunk = plan.cin, plan.cout, plan.chunk
    nz = win.hz * win.wz
    rows, cols = win.interior
    Km = conv_kernel_matrix(K, dtype, plan)
    n = A.shape[0]
    Z = np.empty((n, cout, nz), dtype)
    Ap = np.zeros((cin, min(n, chunk), win.hp, win.wp), dtype)  # the padding stays zero
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        Ap[:, :m, rows, cols] = A[n0 : n0 + m].transpose(1, 0, 2, 3)
        # the window rows (GKK per group, or CKK) by the outputs of the chunk
        X = window_view(Ap[:, :m], plan.window).reshape(*Km.shape[:-2], Km.shape[-1], m * nz)
        Z[n0 : n0 + m] = (Km @ X).reshape(cout, m, nz).transpose(1, 0, 2)
    return Z.reshape(n, cout, win.hz, win.wz)


def conv_flat_backward(
    dZ: np.ndarray, A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan
) -> tuple[np.ndarray, np.ndarray]:
    """Stride 1: ``dK`` is the windows of each chunk (``conv_gather``) times ``dZ`` in flat
    padded coordinates; each kernel position adds its ``K``-weighted ``dZ`` into the input
    shifted by ``(r, s)``."""
    win = plan.window
    cin, cout, groups, chunk = plan.cin, plan.cout, plan.groups, plan.chunk
    positions, hz, wz = win.hl * win.wl, win.hz, win.wz
    ckk = cin * positions
    rows, cols = win.interior
    n = A.shape[0]
    Kt, dKt = conv_kernel_columns(K, dtype, plan)
    dA = np.empty(A.shape, dtype)
    # one work space per call (see conv_work): the padded input, dZ in flat padded coordinates,
    # dA's padded planes, and the windows and the K-weighted dZ of eq.a2-3 (CKK rows each)
    Ap, Gp, dAp, Xs, Ds = conv_work(n, dtype, plan, cin, cout, cin, ckk, ckk)
    Ap.fill(0)  # the padding stays zero
    Gp.fill(0)  # zero at the positions that are no output's
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        size, length, X = conv_gather(A[n0 : n0 + m], Ap, Xs, plan)
        Gp[:, :m, :hz, :wz] = dZ[n0 : n0 + m].transpose(1, 0, 2, 3)
        if groups > 1:
            G = Gp[:, :m].reshape(groups, cout // groups, size)[:, :, :length]
            dKt += X.reshape(groups, ckk // groups, length) @ G.transpose(0, 2, 1)
            Dg = conv_leading(Ds, length).reshape(groups, ckk // groups, length)
            if plan.one_kernel_per_group:
                # one kernel per group: the product Kt @ G has an inner size of 1, a broadcast product
                D = np.multiply(Kt, G, out=Dg).reshape(cin, positions, length)
            else:
                D = np.matmul(Kt, G, out=Dg).reshape(cin, positions, length)
        else:
            G = Gp[:, :m].reshape(cout, size)[:, :length]
            dKt += X @ G.T
            D = np.matmul(Kt, G, out=conv_leading(Ds, length)).reshape(cin, positions, length)
        planes = dAp[:, :m]
        flat = planes.reshape(cin, size)
        flat.fill(0)
        # eq.a2-3: kernel position (r, s) adds its K-weighted dZ into the input shifted by (r, s)
        for rs, shift in enumerate(plan.shifts):
            flat[:, shift : shift + length] += D[:, rs]
        dA[n0 : n0 + m] = planes[:, :, rows, cols].transpose(1, 0, 2, 3)
    return dA, conv_kernel_gradient(dKt, plan)


def conv_rowwise_backward(
    dZ: np.ndarray, A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan
) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise, as the forward pass: both come from the column shifts of ``dZ``'s padded planes
    (the closed forms of 3.1.5, ``grad_K J = Apad ⋆ G`` and
    ``grad_A J = full(G ⋆ rot180(K))``).  ``dZ``'s planes sit after ``shifts[-1]`` zeros, so
    the window of flat input position ``u`` at the turned kernel position
    ``(h_k - 1 - r, w_k - 1 - s)`` is ``dZ`` at ``u - shifts[(r, s)]``, the outputs whose
    windows hold ``u`` there: ``dA`` adds up one product per kernel row of the turned kernel
    with them, and ``dK``'s row ``r`` is their product with the padded input."""
    win = plan.window
    cin, cout, groups, chunk = plan.cin, plan.cout, plan.groups, plan.chunk
    hk, wk, hp, wp, hz, wz = win.hl, win.wl, win.hp, win.wp, win.hz, win.wz
    cg, og = cin // groups, cout // groups
    rows, cols = win.interior
    last = plan.shifts[-1]
    rstep = win.dh * wp  # kernel row r reads the planes r d_h rows on, r d_h w_p flat positions
    n = A.shape[0]
    # the kernel turned by 180°, row r of each group: Kf[r, g, i, (o, s)] = K[g OG + o, i, h_k - 1 - r, w_k - 1 - s]
    Kf = np.ascontiguousarray(
        K[:, :, ::-1, ::-1].reshape(groups, og, cg, hk, wk).transpose(3, 0, 2, 1, 4),
        dtype=dtype,
    ).reshape(hk, groups, cg, og * wk)
    dKf = np.zeros((hk, groups, og * wk, cg), dtype)
    dA = np.empty(A.shape, dtype)
    # one work space per call (see conv_work): the padded input, dA's padded planes, one product
    Ap, dAp, T = conv_work(n, dtype, plan, cin, cin, cin)
    Ap.fill(0)  # the padding stays zero
    # dZ's padded planes in flat coordinates after shifts[-1] zeros (zero at the positions that
    # are no output's), and their column shifts
    size = min(n, chunk) * hp * wp
    Gb = np.zeros((cout, last + size), dtype)
    Xs = np.empty(cout * wk * (size + (hk - 1) * rstep), dtype)
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        size = m * hp * wp
        Ap[:, :m, rows, cols] = A[n0 : n0 + m].transpose(1, 0, 2, 3)
        G = Gb[:, last : last + size].reshape(cout, m, hp, wp)
        G[:, :, :hz, :wz] = dZ[n0 : n0 + m].transpose(1, 0, 2, 3)
        X = conv_columns(Gb, size + (hk - 1) * rstep, Xs, plan).reshape(groups, og * wk, -1)
        # eq.a1-3: dK's turned row r is dZ's windows there times the padded input
        Af = Ap[:, :m].reshape(groups, cg, size)
        for r in range(hk):
            dKf[r] += X[:, :, r * rstep : r * rstep + size] @ Af.transpose(0, 2, 1)
        # eq.a2-3: dA's padded planes, the turned kernel's rows times dZ's windows
        out = dAp[:, :m].reshape(groups, cg, size)
        conv_rows(Kf, X, out, conv_leading(T, size).reshape(groups, cg, size), plan)
        dA[n0 : n0 + m] = dAp[:, :m, rows, cols].transpose(1, 0, 2, 3)
    # dKf[r, g, (o, s), i] = dK[g OG + o, i, h_k - 1 - r, w_k - 1 - s]
    dKr = dKf.reshape(hk, groups, og, wk, cg).transpose(1, 2, 4, 0, 3)
    return dA, np.ascontiguousarray(dKr[:, :, :, ::-1, ::-1]).reshape(conv_kernel_shape(plan))


def conv_shifted_backward(
    dZ: np.ndarray, A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan
) -> tuple[np.ndarray, np.ndarray]:
    """Depthwise: kernel position ``(r, s)`` at a time, on the padded planes shifted by ``(r, s)``."""
    win = plan.window
    cin, cout, chunk, shifts = plan.cin, plan.cout, plan.chunk, plan.shifts
    hp, wp, hz, wz = win.hp, win.wp, win.hz, win.wz
    positions = win.hl * win.wl
    rows, cols = win.interior
    n = A.shape[0]
    Kd = K.reshape(cout, positions).astype(dtype, copy=False)
    dKd = np.zeros((cout, positions), dtype)
    dA = np.empty(A.shape, dtype)
    # one work space per call (see conv_work): the padded input, dZ in flat padded coordinates,
    # dA's padded planes, one product
    Ap, Gp, dAp, T = conv_work(n, dtype, plan, cin, cout, cin, cin)
    Ap.fill(0)  # the padding stays zero
    Gp.fill(0)  # zero at the positions that are no output's
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        Ap[:, :m, rows, cols] = A[n0 : n0 + m].transpose(1, 0, 2, 3)
        Gp[:, :m, :hz, :wz] = dZ[n0 : n0 + m].transpose(1, 0, 2, 3)
        size = m * hp * wp
        length = size - shifts[-1]
        Af = Ap[:, :m].reshape(cin, size)
        G = Gp[:, :m].reshape(cout, size)[:, :length]
        product = conv_leading(T, length)
        flat = dAp[:, :m].reshape(cin, size)
        flat.fill(0)
        for rs, shift in enumerate(shifts):
            # eq.a1-3: dJ/dk_rs is dZ times the input plane shifted by (r, s)
            dKd[:, rs] += np.einsum("ct,ct->c", Af[:, shift : shift + length], G)
            # eq.a2-3: k_rs times dZ, added into the input shifted by (r, s)
            np.multiply(Kd[:, rs, None], G, out=product)
            flat[:, shift : shift + length] += product
        dA[n0 : n0 + m] = dAp[:, :m, rows, cols].transpose(1, 0, 2, 3)
    return dA, dKd.reshape(conv_kernel_shape(plan))


def conv_strided_backward(
    dZ: np.ndarray, A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan
) -> tuple[np.ndarray, np.ndarray]:
    """Any stride: ``dK`` is the windows of each chunk (``window_view``) times ``dZ``;
    each kernel position adds its ``K``-weighted ``dZ`` into its strided slice of ``offsets``."""
    win = plan.window
    cin, chunk = plan.cin, plan.chunk
    hk, wk, hz, wz, sh, sw = win.hl, win.wl, win.hz, win.wz, win.sh, win.sw
    nz = hz * wz
    rows, cols = win.interior
    n = A.shape[0]
    Kt, dKt = conv_kernel_columns(K, dtype, plan)
    dA = np.empty(A.shape, dtype)
    size = (min(n, chunk), win.hp, win.wp)
    Ap = np.zeros((cin, *size), dtype)  # channels first: the padding stays zero
    dAp = np.empty((cin, *size), dtype)
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        Ap[:, :m, rows, cols] = A[n0 : n0 + m].transpose(1, 0, 2, 3)
        # the window rows and dZ's rows (per group with groups) by the outputs of the chunk
        X = window_view(Ap[:, :m], plan.window).reshape(*dKt.shape[:-1], m * nz)
        G = dZ[n0 : n0 + m].transpose(1, 0, 2, 3).astype(dtype, copy=False).reshape(*Kt.shape[:-2], -1, m * nz)
        dKt += X @ G.swapaxes(-1, -2)
        if plan.one_kernel_per_group:
            D = (Kt * G).reshape(cin, hk, wk, m, hz, wz)  # Kt @ G, inner size 1
        else:
            D = (Kt @ G).reshape(cin, hk, wk, m, hz, wz)
        planes = dAp[:, :m]
        planes[...] = 0
        for r, s, r0, r1, c0, c1 in plan.offsets:
            planes[:, :, r0:r1:sh, c0:c1:sw] += D[:, r, s]
        dA[n0 : n0 + m] = planes[:, :, rows, cols].transpose(1, 0, 2, 3)
    return dA, conv_kernel_gradient(dKt, plan)
