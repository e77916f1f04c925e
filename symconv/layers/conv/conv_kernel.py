"""Convolution's generated code (seed section 2, 3.1.5, Appendix A) in any number of spatial
axes: the window gathers, the products with the kernels and the scatters back of the forward
and backward passes of the general convolution, the transposed one included.

A kernel module (see :mod:`symconv.codegen.embed`): NumPy only, the definitions a generated module
reaches copied into every module with a convolution; ``plan_conv`` binds a :class:`ConvPlan`. Arrays
are ``(N, C, *sizes)``; nothing here cares how many spatial axes there are. Five paths, chosen by
the plan (:func:`conv_passes` gives a plan's two passes; a generated module calls the ones its plan
chose, named when it is generated, so it holds the passes of its own path only):

* ``flat`` (stride 1): the windows of rep.1 gathered in flat padded coordinates;
* ``rowwise`` (stride 1, few channels per group): one product per kernel position along the
  first axis, on copies of the planes shifted along the other axes;
* ``shifted`` (depthwise at stride 1): the padded planes shifted by each kernel position, used
  in place;
* ``strided`` (any stride, any input dilation: the general one): the windows as a strided view
  of the padded input, the input dilation's zeros written out;
* ``scatter`` (input dilation at stride 1, the transposed convolution's own): each input entry
  times the kernel added into the output, the backward pass the windows of ``dZ``;

and, whatever the path, the empty passes of a layer where no input entry meets an output.

The padded planes hold the input at the places of ``places`` and, under a padding mode, the
copies of ``copies`` (``pad_kernel.py``); the backward passes fold the copies' gradients back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import numpy as np

from ..pad_kernel import Copies, Places, pad_fill, pad_fold, pad_slices, pad_whole
from ..window_kernel import Frame

#: the paths of the passes (see the module's docstring)
ConvPath = Literal["flat", "rowwise", "shifted", "strided", "scatter"]
#: a path's forward pass: ``(A, K in the path's layout, dtype, plan) -> Z``
ConvForward = Callable[..., np.ndarray]
#: a path's backward pass: ``(dZ, A, K in the path's layout, dtype, plan) -> (dA, dK in that layout)``
ConvBackward = Callable[..., tuple[np.ndarray, np.ndarray]]


class ConvPlan(NamedTuple):
    """What a convolution's passes need: its geometry (``frame``: the kernel is the window), the
    channels and groups, how many examples each pass takes at a time (``chunk``), where the
    input lies in the padded planes and what the padding copies (``places``, ``copies``), the
    slices of ``offsets`` (per kernel position ``r``, in C order: ``(*r, start_1, stop_1, ...,
    start_d, stop_d)``, the strided slice of the padded input that ``r`` meets for every output,
    column ``r`` of ``d vZ / d vK``, ``vec(A * E_r)``, eq.a1-3; on the scatter path the slice of
    the output buffer ``r`` of the turned kernel meets for every input entry), the same slices'
    starts in flat padded coordinates (``shifts``), the path, ``one_kernel_per_group``
    (``C_out = GROUPS``: the backward products have an inner size of one), whether the layer has
    a bias, whether ``K`` is stored transposed (PyTorch's ``(C_in, C_out/groups, *kernel)``,
    turned), and the scatter path's output buffer (``buffer`` entries per axis, the output
    ``lead`` entries in)."""

    frame: Frame
    cin: int
    cout: int
    groups: int
    chunk: int
    places: Places
    copies: Copies
    offsets: tuple[tuple[int, ...], ...]
    shifts: tuple[int, ...]
    path: ConvPath
    one_kernel_per_group: bool
    bias: bool
    transposed: bool
    buffer: tuple[int, ...]
    lead: tuple[int, ...]


def conv_passes(plan: ConvPlan) -> tuple[ConvForward, ConvBackward]:
    """The forward and backward passes of the plan's path (see the module's docstring), or the
    empty passes when no input entry meets an output (an empty input or an empty output: then
    ``Z`` is the bias alone and every gradient but the bias's is zero, as in PyTorch and JAX).
    Called when a module is generated: the module calls the passes it returns by name."""
    if 0 in plan.frame.size or 0 in plan.frame.out:
        return conv_empty_forward, conv_empty_backward
    passes: dict[str, tuple[ConvForward, ConvBackward]] = {
        "flat": (conv_flat_forward, conv_flat_backward),
        "rowwise": (conv_rowwise_forward, conv_rowwise_backward),
        "shifted": (conv_shifted_forward, conv_shifted_backward),
        "strided": (conv_strided_forward, conv_strided_backward),
        "scatter": (conv_scatter_forward, conv_scatter_backward),
    }
    return passes[plan.path]


def conv_forward(
    A: np.ndarray, K: np.ndarray, b: np.ndarray | None, plan: ConvPlan, forward_pass: ConvForward
) -> np.ndarray:
    """``Z_j = sum_i A_i * K_{j,i} + b_j 1`` (section 2; no ``b_j 1`` when ``b`` is ``None``)
    for a batch ``A`` (``(N, C_in, *sizes)``) and the kernels ``K``.

    Every output is the window of rep.1 times the kernel (rep.2), so the outputs of a chunk of
    examples are one product of the kernels with the gathered windows, by ``forward_pass``, the
    plan's path's (:func:`conv_passes`)."""
    dtype = np.result_type(A, K) if b is None else np.result_type(A, K, b)
    Z = forward_pass(A, conv_layout(K, plan, plan.path == "scatter"), dtype, plan)
    if b is not None:
        Z += b.astype(dtype, copy=False).reshape(-1, *(1,) * len(plan.frame.size))
    return Z


def conv_backward(
    dZ: np.ndarray, A: np.ndarray, K: np.ndarray, plan: ConvPlan, backward_pass: ConvBackward
) -> tuple[np.ndarray, ...]:
    """``(dA, dK)``, and ``db`` after them with a bias, for the incoming ``dZ = dJ/dZ`` (3.1.5):

    * ``dJ/dvK_{j,i} = dJ/dvZ_j dvZ_j/dvK_{j,i}``, whose column ``r`` is ``vec(A_i * E_r)``
      (eq.a1-3): the windows of ``offsets`` times ``dZ``;
    * ``dJ/db_j = dJ/dvZ_j 1``;
    * ``dJ/dvA_i = sum_j dJ/dvZ_j dvZ_j/dvA_i``, column ``r`` being ``vec(E_r * K_{j,i})``
      (eq.a2-3): each kernel position adds ``K[:, :, r]``-weighted ``dZ`` into its slice, and
      the copies of a padding mode add into the entries they copy.

    By ``backward_pass``, the plan's path's (:func:`conv_passes`); examples are taken ``chunk`` at
    a time so that the gathered windows stay in cache."""
    dtype = np.result_type(dZ, A, K)
    scatter = plan.path == "scatter"
    dA, dKp = backward_pass(dZ, A, conv_layout(K, plan, scatter), dtype, plan)
    dK = conv_layout(dKp, plan, scatter)
    if plan.bias:
        return dA, dK, dZ.sum(axis=(0, *range(2, dZ.ndim)), dtype=dtype)
    return dA, dK


def conv_empty_forward(A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> np.ndarray:
    """No input entry meets an output: ``Z`` is zero (the bias alone once it is added)."""
    return np.zeros((A.shape[0], plan.cout, *plan.frame.out), dtype)


def conv_empty_backward(
    dZ: np.ndarray, A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan
) -> tuple[np.ndarray, np.ndarray]:
    """No input entry meets an output: zero gradients."""
    return np.zeros(A.shape, dtype), np.zeros(K.shape, dtype)


# -- layouts and work space -------------------------------------------------------------------
def conv_layout(K: np.ndarray, plan: ConvPlan, scatter: bool) -> np.ndarray:
    """``K`` (or a gradient of it) in the layout a path reads, from the stored one, or back: the
    scatter path reads the transposed layout, the others the convolution's.  Between the two,
    the kernels have their two channel axes swapped group by group and are turned by 180° along
    every spatial axis: a convolution's ``(C_out, C_in/groups, *k)`` becomes the transposed
    layout ``(C_in, C_out/groups, *k)`` of the same map, and back (the swap is its own inverse)."""
    if plan.transposed == scatter:
        return K
    groups = plan.groups
    a, b, *k = K.shape
    swapped = K.reshape(groups, a // groups, b, *k).swapaxes(1, 2).reshape(groups * b, a // groups, *k)
    return np.ascontiguousarray(swapped[(slice(None), slice(None), *(slice(None, None, -1),) * len(k))])


def conv_first(X: np.ndarray) -> np.ndarray:
    """``X`` with its first two axes swapped (examples first, or channels first)."""
    return X.swapaxes(0, 1)


def conv_spatial(extent: tuple[int, ...]) -> tuple[slice, ...]:
    """Slices of the first ``extent[a]`` entries along each spatial axis."""
    return tuple(slice(0, n) for n in extent)


def conv_size(shape: tuple[int, ...]) -> int:
    """The number of entries of an array of ``shape``."""
    total = 1
    for n in shape:
        total *= n
    return total


def conv_strides(plan: ConvPlan) -> tuple[int, ...]:
    """How far apart (in entries) neighbours along each axis of the padded planes are."""
    padded = plan.frame.padded
    out = [1] * len(padded)
    for a in range(len(padded) - 2, -1, -1):
        out[a] = out[a + 1] * padded[a + 1]
    return tuple(out)


def conv_place(A: np.ndarray, Ap: np.ndarray, plan: ConvPlan) -> None:
    """The examples ``A`` of a chunk into the padded planes ``Ap`` (channels first): the input at
    its places (the padding, and an input dilation's zeros, stay as they are), then the copies
    of a padding mode."""
    inner, outer = pad_slices(plan.places, plan.frame.input_dilation)
    Ap[(slice(None), slice(0, A.shape[0]), *outer)] = conv_first(A[(slice(None), slice(None), *inner)])
    pad_fill(Ap[:, : A.shape[0]], plan.copies)


def conv_unplace(planes: np.ndarray, dA: np.ndarray, n0: int, plan: ConvPlan) -> None:
    """The gradient of the padded planes of a chunk (channels first) into ``dA`` from example
    ``n0`` on: the copies folded back into the entries they copy, then the input's places."""
    pad_fold(planes, plan.copies)
    inner, outer = pad_slices(plan.places, plan.frame.input_dilation)
    dA[(slice(n0, n0 + planes.shape[1]), slice(None), *inner)] = conv_first(planes[(slice(None), slice(None), *outer)])


def conv_input_gradient(A: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> np.ndarray:
    """The array ``dA`` is written into: zeros where the input is cropped (no output meets those
    entries), else filled in whole by :func:`conv_unplace`."""
    if pad_whole(plan.places, plan.frame.size):
        return np.empty(A.shape, dtype)
    return np.zeros(A.shape, dtype)


def conv_work(n: int, dtype: np.dtype, plan: ConvPlan, *rows: int) -> list[np.ndarray]:
    """One array cut into blocks of ``rows[k]`` padded planes for each example of a chunk,
    ``(rows[k], chunk, *padded)`` each.  A single allocation per call: the memory allocator
    hands the same block back on the next call, where many large arrays would come as fresh,
    unmapped pages every time."""
    shape = (min(n, plan.chunk), *plan.frame.padded)
    span = conv_size(shape)
    work = np.empty(sum(rows) * span, dtype)
    starts = np.cumsum((0, *rows)) * span
    return [work[a:b].reshape(k, *shape) for a, b, k in zip(starts[:-1], starts[1:], rows, strict=True)]


def conv_leading(block: np.ndarray, length: int) -> np.ndarray:
    """The start of a work block as a contiguous ``(rows, length)`` array (a chunk of ``length``
    flat positions, one row per plane row of the block)."""
    return block.reshape(-1)[: block.shape[0] * length].reshape(block.shape[0], length)


def conv_kernel_matrix(K: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> np.ndarray:
    """The kernels as the rows of a matrix, ``(C_out, CKK)``, or with groups one matrix per
    group, ``(GROUPS, OG, GKK)`` (kernel ``j`` has ``CG`` channels and meets the ``GKK`` window
    rows of its group, input channels ``(j // OG) CG`` onwards)."""
    nk = conv_size(plan.frame.window)
    if plan.groups > 1:
        gkk = plan.cin // plan.groups * nk
        return K.reshape(plan.groups, plan.cout // plan.groups, gkk).astype(dtype, copy=False)
    return K.reshape(plan.cout, plan.cin * nk).astype(dtype, copy=False)


def conv_kernel_columns(K: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> tuple[np.ndarray, np.ndarray]:
    """The transpose of :func:`conv_kernel_matrix` (per group: its kernels' entries by its
    kernels) and the zeroed sum of ``dK`` in the same layout."""
    nk = conv_size(plan.frame.window)
    if plan.groups > 1:
        og, gkk = plan.cout // plan.groups, plan.cin // plan.groups * nk
        Kt = K.reshape(plan.groups, og, gkk).transpose(0, 2, 1).astype(dtype, copy=False)
        return Kt, np.zeros((plan.groups, gkk, og), dtype)
    ckk = plan.cin * nk
    return K.reshape(plan.cout, ckk).T.astype(dtype, copy=False), np.zeros((ckk, plan.cout), dtype)


def conv_kernel_gradient(dKt: np.ndarray, plan: ConvPlan) -> np.ndarray:
    """``dK`` (the convolution's layout) from its sum in the layout of :func:`conv_kernel_columns`."""
    shape = (plan.cout, plan.cin // plan.groups, *plan.frame.window)
    if plan.groups > 1:
        return np.ascontiguousarray(dKt.transpose(0, 2, 1)).reshape(shape)
    return np.ascontiguousarray(dKt.T).reshape(shape)


def conv_windows(
    Xp: np.ndarray, window: tuple[int, ...], dilation: tuple[int, ...], step: tuple[int, ...], out: tuple[int, ...]
) -> np.ndarray:
    """rep.1 for a chunk of examples at once: a read-only view of the padded stack ``Xp``
    (``(C, n, *padded)``, channels first) whose ``[c, *r, e, *p]`` entry is
    ``Xp[c, e, *(r d + p step)]``, tap ``r`` of window ``p``; reshaped, one column per output of
    every example (the columns of ``d vZ / d vK``, eq.a1-3)."""
    s0, s1, *s = Xp.strides
    shape = (Xp.shape[0], *window, Xp.shape[1], *out)
    strides = (
        s0,
        *(a * d for a, d in zip(s, dilation, strict=True)),
        s1,
        *(a * t for a, t in zip(s, step, strict=True)),
    )
    return np.lib.stride_tricks.as_strided(Xp, shape=shape, strides=strides, writeable=False)


def conv_slices(offset: tuple[int, ...], step: tuple[int, ...]) -> tuple[slice, ...]:
    """The strided slices of one entry of ``offsets``: ``start:stop:step`` along each axis."""
    d = len(step)
    return tuple(slice(offset[d + 2 * a], offset[d + 2 * a + 1], step[a]) for a in range(d))


# -- stride 1: flat padded coordinates --------------------------------------------------------
def conv_flat_windows(Af: np.ndarray, length: int, plan: ConvPlan) -> np.ndarray:
    """rep.1 in flat padded coordinates, for stride 1: ``Af`` holds each input channel's padded
    planes laid end to end (``(C_in, n prod(padded))``), and the view's ``[i, *r, t]`` entry is
    ``Af[i, t + sum_a r_a d_a stride_a]``.  Column ``t`` (a padded position of an example) then
    holds the window of rep.1 at that output, the slices of ``offsets``; reshaped, the columns of
    ``d vZ / d vK`` (eq.a1-3) side by side.  Columns past an output's extent along some axis
    are no output's: they are computed with the rest and dropped."""
    s0, s1 = Af.strides
    frame = plan.frame
    shape = (plan.cin, *frame.window, length)
    steps = tuple(s1 * d * w for d, w in zip(frame.dilation, conv_strides(plan), strict=True))
    return np.lib.stride_tricks.as_strided(Af, shape=(shape), strides=(s0, *steps, s1), writeable=False)


def conv_gather(A: np.ndarray, Ap: np.ndarray, Xs: np.ndarray, plan: ConvPlan) -> tuple[int, int, np.ndarray]:
    """rep.1 for the examples ``A`` of a chunk: placed in the padded planes ``Ap`` (channels
    first, :func:`conv_place`), then their windows into ``Xs`` (see ``conv_flat_windows``).
    Returns the chunk's flat size, the number of columns that hold windows (the last output is
    column ``length - 1``) and the windows ``X``, ``(CKK, length)``."""
    conv_place(A, Ap, plan)
    m = A.shape[0]
    size = m * conv_size(plan.frame.padded)
    length = size - plan.shifts[-1]
    X = conv_leading(Xs, length)
    windows = conv_flat_windows(Ap[:, :m].reshape(plan.cin, size), length, plan)
    np.copyto(X.reshape(plan.cin, *plan.frame.window, length), windows)
    return size, length, X


def conv_columns(planes: np.ndarray, span: int, out: np.ndarray, plan: ConvPlan) -> np.ndarray:
    """The shifts of flat padded ``planes`` (``(C, length)``) along every axis but the first,
    copied into ``out``: ``out[i, *s, t] = planes[i, t + sum_a s_a d_a stride_a]`` (``a >= 2``)
    for ``t < span``, as a ``(C prod(k_2..k_d), span)`` matrix.  Kernel position ``(r, *s)``'s
    slice of ``offsets`` is then columns ``r d_1 stride_1`` onwards of row ``(i, *s)``: one
    kernel row's windows of rep.1, without the ``k_1`` copies of the rows."""
    frame = plan.frame
    s0, s1 = planes.strides
    steps = tuple(s1 * d * w for d, w in zip(frame.dilation[1:], conv_strides(plan)[1:], strict=True))
    shape = (planes.shape[0], *frame.window[1:], span)
    view = np.lib.stride_tricks.as_strided(planes, shape=shape, strides=(s0, *steps, s1))
    X = out.reshape(-1)[: view.size].reshape(view.shape)
    np.copyto(X, view)
    return X.reshape(-1, span)


def conv_rows(Kr: np.ndarray, X: np.ndarray, out: np.ndarray, temp: np.ndarray, plan: ConvPlan) -> None:
    """``out = sum_r Kr[r] @ X[:, :, r step : r step + length]`` per group (``length`` is
    ``out``'s, ``step = d_1 stride_1``): kernel row ``r`` of each group times its rows of the
    shifts ``X``, added up over the ``k_1`` kernel rows in ``out`` (``temp`` holds one product)."""
    length = out.shape[-1]
    step = plan.frame.dilation[0] * conv_strides(plan)[0]  # kernel row r reads the planes r d_1 rows on
    np.matmul(Kr[0], X[:, :, :length], out=out)
    for r in range(1, plan.frame.window[0]):
        np.matmul(Kr[r], X[:, :, r * step : r * step + length], out=temp)
        out += temp


def conv_flat_forward(A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> np.ndarray:
    """Stride 1: the kernels times the windows of each chunk in flat padded coordinates
    (``conv_gather``), with groups one product per group (each group's kernels times its own
    window rows)."""
    frame = plan.frame
    cin, cout, groups, chunk = plan.cin, plan.cout, plan.groups, plan.chunk
    ckk = cin * conv_size(frame.window)
    Km = conv_kernel_matrix(K, dtype, plan)
    n = A.shape[0]
    Z = np.empty((n, cout, *frame.out), dtype)
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
        Z[n0 : n0 + m] = conv_first(out[(slice(None), slice(None), *conv_spatial(frame.out))])
    return Z


def conv_row_kernels(K: np.ndarray, dtype: np.dtype, plan: ConvPlan, turned: bool) -> np.ndarray:
    """Kernel row ``r`` (position ``r`` along the first axis) of each group, ``(k_1, GROUPS, OG,
    CG prod(k_2..k_d))`` (``Kr[r, g, o, (i, *s)] = K[g OG + o, i, r, *s]``); ``turned``: the
    kernel turned by 180° with each group's channel axes swapped, ``(k_1, GROUPS, CG, OG
    prod(k_2..k_d))``, the backward pass's."""
    frame = plan.frame
    groups, cg, og = plan.groups, plan.cin // plan.groups, plan.cout // plan.groups
    d = len(frame.size)
    rest = conv_size(frame.window[1:])
    Kg = K.reshape(groups, og, cg, *frame.window)
    if turned:
        Kg = Kg[(slice(None),) * 3 + (slice(None, None, -1),) * d]
        order = (3, 0, 2, 1, *range(4, 3 + d))
        return np.ascontiguousarray(Kg.transpose(order), dtype=dtype).reshape(frame.window[0], groups, cg, og * rest)
    order = (3, 0, 1, 2, *range(4, 3 + d))
    return np.ascontiguousarray(Kg.transpose(order), dtype=dtype).reshape(frame.window[0], groups, og, cg * rest)


def conv_rowwise_forward(A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> np.ndarray:
    """With ``GROUPS`` groups of ``CG`` channels (kernel j meets ``A_{o_j + i}``,
    ``o_j = (j // OG) CG``), stride 1: the products are per group and per kernel row (position
    along the first axis).  The padded planes are copied ``prod(k_2..k_d)`` times, shifted along
    the other axes; kernel row ``r``'s windows are those copies ``r d_1`` rows on, so ``Z`` adds
    up ``k_1`` products of the group's kernel row ``K[:, :, r]`` with them, and no window is
    gathered ``k_1`` times."""
    frame = plan.frame
    cin, cout, groups, chunk = plan.cin, plan.cout, plan.groups, plan.chunk
    cg, og = cin // groups, cout // groups
    rest = conv_size(frame.window[1:])
    last = plan.shifts[-1]
    rstep = frame.dilation[0] * conv_strides(plan)[0]  # kernel row r reads the planes r d_1 rows on
    n = A.shape[0]
    Z = np.empty((n, cout, *frame.out), dtype)
    Kr = conv_row_kernels(K, dtype, plan, False)
    # one work space per call (see conv_work): the padded input, the sums, one product, the shifts
    Ap, P, T, Xs = conv_work(n, dtype, plan, cin, cout, cout, cin * rest)
    Ap.fill(0)  # the padding stays zero
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        conv_place(A[n0 : n0 + m], Ap, plan)
        size = m * conv_size(frame.padded)
        length = size - last
        X = conv_columns(Ap[:, :m].reshape(cin, size), length + (frame.window[0] - 1) * rstep, Xs, plan)
        out = P[:, :m].reshape(groups, og, size)[:, :, :length]
        product = conv_leading(T, length).reshape(groups, og, length)
        # rep.2, eq.a1-3: each group's kernel rows times its rows of the shifts
        conv_rows(Kr, X.reshape(groups, cg * rest, -1), out, product, plan)
        Z[n0 : n0 + m] = conv_first(P[(slice(None), slice(0, m), *conv_spatial(frame.out))])
    return Z


def conv_shifted_forward(A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> np.ndarray:
    """Depthwise (``GROUPS`` groups of one channel, kernel j on input channel j alone), stride 1:
    rep.2 one kernel position at a time, ``k_r`` times the padded planes shifted by ``r``, in
    place; no windows are gathered."""
    frame = plan.frame
    cin, cout, chunk, shifts = plan.cin, plan.cout, plan.chunk, plan.shifts
    positions = conv_size(frame.window)
    n = A.shape[0]
    Z = np.empty((n, cout, *frame.out), dtype)
    # one work space per call (see conv_work): the padded input, the sums, one product
    Ap, P, T = conv_work(n, dtype, plan, cin, cout, cin)
    Ap.fill(0)  # the padding stays zero
    Kd = K.reshape(cout, positions).astype(dtype, copy=False)
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        conv_place(A[n0 : n0 + m], Ap, plan)
        size = m * conv_size(frame.padded)
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
        Z[n0 : n0 + m] = conv_first(P[(slice(None), slice(0, m), *conv_spatial(frame.out))])
    return Z


def conv_strided_forward(A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> np.ndarray:
    """Any stride and input dilation: the kernels times the windows of each chunk
    (``conv_windows``), with groups one product per group (kernel j meets the ``CG`` input
    channels of its group only, ``A_{o_j + i}``, ``o_j = (j // OG) CG``)."""
    frame = plan.frame
    cin, cout, chunk = plan.cin, plan.cout, plan.chunk
    nz = conv_size(frame.out)
    Km = conv_kernel_matrix(K, dtype, plan)
    n = A.shape[0]
    Z = np.empty((n, cout, nz), dtype)
    Ap = np.zeros((cin, min(n, chunk), *frame.padded), dtype)  # the padding stays zero
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        conv_place(A[n0 : n0 + m], Ap, plan)
        # the window rows (GKK per group, or CKK) by the outputs of the chunk
        windows = conv_windows(Ap[:, :m], frame.window, frame.dilation, frame.stride, frame.out)
        X = windows.reshape(*Km.shape[:-2], Km.shape[-1], m * nz)
        Z[n0 : n0 + m] = (Km @ X).reshape(cout, m, nz).transpose(1, 0, 2)
    return Z.reshape(n, cout, *frame.out)


def conv_flat_backward(
    dZ: np.ndarray, A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan
) -> tuple[np.ndarray, np.ndarray]:
    """Stride 1: ``dK`` is the windows of each chunk (``conv_gather``) times ``dZ`` in flat
    padded coordinates; each kernel position adds its ``K``-weighted ``dZ`` into the input
    shifted by ``r``."""
    frame = plan.frame
    cin, cout, groups, chunk = plan.cin, plan.cout, plan.groups, plan.chunk
    positions = conv_size(frame.window)
    ckk = cin * positions
    n = A.shape[0]
    Kt, dKt = conv_kernel_columns(K, dtype, plan)
    dA = conv_input_gradient(A, dtype, plan)
    # one work space per call (see conv_work): the padded input, dZ in flat padded coordinates,
    # dA's padded planes, and the windows and the K-weighted dZ of eq.a2-3 (CKK rows each)
    Ap, Gp, dAp, Xs, Ds = conv_work(n, dtype, plan, cin, cout, cin, ckk, ckk)
    Ap.fill(0)  # the padding stays zero
    Gp.fill(0)  # zero at the positions that are no output's
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        size, length, X = conv_gather(A[n0 : n0 + m], Ap, Xs, plan)
        Gp[(slice(None), slice(0, m), *conv_spatial(frame.out))] = conv_first(dZ[n0 : n0 + m])
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
        # eq.a2-3: kernel position r adds its K-weighted dZ into the input shifted by r
        for rs, shift in enumerate(plan.shifts):
            flat[:, shift : shift + length] += D[:, rs]
        conv_unplace(planes, dA, n0, plan)
    return dA, conv_kernel_gradient(dKt, plan)


def conv_rowwise_backward(
    dZ: np.ndarray, A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan
) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise, as the forward pass: both come from the shifts of ``dZ``'s padded planes (the
    closed forms of 3.1.5, ``grad_K J = Apad ⋆ G`` and ``grad_A J = full(G ⋆ rot180(K))``).
    ``dZ``'s planes sit after ``shifts[-1]`` zeros, so the window of flat input position ``u``
    at the turned kernel position is ``dZ`` at ``u - shifts[r]``, the outputs whose windows hold
    ``u`` there: ``dA`` adds up one product per kernel row of the turned kernel with them, and
    ``dK``'s row ``r`` is their product with the padded input."""
    frame = plan.frame
    cin, cout, groups, chunk = plan.cin, plan.cout, plan.groups, plan.chunk
    cg, og = cin // groups, cout // groups
    d, hk = len(frame.size), frame.window[0]
    rest = conv_size(frame.window[1:])
    last = plan.shifts[-1]
    rstep = frame.dilation[0] * conv_strides(plan)[0]  # kernel row r reads the planes r d_1 rows on
    plane = conv_size(frame.padded)
    n = A.shape[0]
    Kf = conv_row_kernels(K, dtype, plan, True)
    dKf = np.zeros((hk, groups, og * rest, cg), dtype)
    dA = conv_input_gradient(A, dtype, plan)
    # one work space per call (see conv_work): the padded input, dA's padded planes, one product
    Ap, dAp, T = conv_work(n, dtype, plan, cin, cin, cin)
    Ap.fill(0)  # the padding stays zero
    # dZ's padded planes in flat coordinates after shifts[-1] zeros (zero at the positions that
    # are no output's), and their shifts
    size = min(n, chunk) * plane
    Gb = np.zeros((cout, last + size), dtype)
    Xs = np.empty(cout * rest * (size + (hk - 1) * rstep), dtype)
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        size = m * plane
        conv_place(A[n0 : n0 + m], Ap, plan)
        G = Gb[:, last : last + size].reshape(cout, m, *frame.padded)
        G[(slice(None), slice(None), *conv_spatial(frame.out))] = conv_first(dZ[n0 : n0 + m])
        X = conv_columns(Gb, size + (hk - 1) * rstep, Xs, plan).reshape(groups, og * rest, -1)
        # eq.a1-3: dK's turned row r is dZ's windows there times the padded input
        Af = Ap[:, :m].reshape(groups, cg, size)
        for r in range(hk):
            dKf[r] += X[:, :, r * rstep : r * rstep + size] @ Af.transpose(0, 2, 1)
        # eq.a2-3: dA's padded planes, the turned kernel's rows times dZ's windows
        out = dAp[:, :m].reshape(groups, cg, size)
        conv_rows(Kf, X, out, conv_leading(T, size).reshape(groups, cg, size), plan)
        conv_unplace(dAp[:, :m], dA, n0, plan)
    # dKf[r, g, (o, *s), i] = dK[g OG + o, i, k_1 - 1 - r, *(k - 1 - s)]
    dKr = dKf.reshape(hk, groups, og, *frame.window[1:], cg).transpose(1, 2, 2 + d, 0, *range(3, 2 + d))
    turned = dKr[(slice(None),) * 3 + (slice(None, None, -1),) * d]
    return dA, np.ascontiguousarray(turned).reshape(cout, cg, *frame.window)


def conv_shifted_backward(
    dZ: np.ndarray, A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan
) -> tuple[np.ndarray, np.ndarray]:
    """Depthwise: kernel position ``r`` at a time, on the padded planes shifted by ``r``."""
    frame = plan.frame
    cin, cout, chunk, shifts = plan.cin, plan.cout, plan.chunk, plan.shifts
    positions = conv_size(frame.window)
    n = A.shape[0]
    Kd = K.reshape(cout, positions).astype(dtype, copy=False)
    dKd = np.zeros((cout, positions), dtype)
    dA = conv_input_gradient(A, dtype, plan)
    # one work space per call (see conv_work): the padded input, dZ in flat padded coordinates,
    # dA's padded planes, one product
    Ap, Gp, dAp, T = conv_work(n, dtype, plan, cin, cout, cin, cin)
    Ap.fill(0)  # the padding stays zero
    Gp.fill(0)  # zero at the positions that are no output's
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        conv_place(A[n0 : n0 + m], Ap, plan)
        Gp[(slice(None), slice(0, m), *conv_spatial(frame.out))] = conv_first(dZ[n0 : n0 + m])
        size = m * conv_size(frame.padded)
        length = size - shifts[-1]
        Af = Ap[:, :m].reshape(cin, size)
        G = Gp[:, :m].reshape(cout, size)[:, :length]
        product = conv_leading(T, length)
        flat = dAp[:, :m].reshape(cin, size)
        flat.fill(0)
        for rs, shift in enumerate(shifts):
            # eq.a1-3: dJ/dk_r is dZ times the input plane shifted by r
            dKd[:, rs] += np.einsum("ct,ct->c", Af[:, shift : shift + length], G)
            # eq.a2-3: k_r times dZ, added into the input shifted by r
            np.multiply(Kd[:, rs, None], G, out=product)
            flat[:, shift : shift + length] += product
        conv_unplace(dAp[:, :m], dA, n0, plan)
    return dA, dKd.reshape(cout, cin // plan.groups, *frame.window)


def conv_strided_backward(
    dZ: np.ndarray, A: np.ndarray, K: np.ndarray, dtype: np.dtype, plan: ConvPlan
) -> tuple[np.ndarray, np.ndarray]:
    """Any stride and input dilation: ``dK`` is the windows of each chunk (``conv_windows``)
    times ``dZ``; each kernel position adds its ``K``-weighted ``dZ`` into its strided slice of
    ``offsets``."""
    frame = plan.frame
    cin, chunk = plan.cin, plan.chunk
    nz = conv_size(frame.out)
    n = A.shape[0]
    Kt, dKt = conv_kernel_columns(K, dtype, plan)
    dA = conv_input_gradient(A, dtype, plan)
    size = (min(n, chunk), *frame.padded)
    Ap = np.zeros((cin, *size), dtype)  # channels first: the padding stays zero
    dAp = np.empty((cin, *size), dtype)
    d = len(frame.size)
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        conv_place(A[n0 : n0 + m], Ap, plan)
        # the window rows and dZ's rows (per group with groups) by the outputs of the chunk
        windows = conv_windows(Ap[:, :m], frame.window, frame.dilation, frame.stride, frame.out)
        X = windows.reshape(*dKt.shape[:-1], m * nz)
        G = conv_first(dZ[n0 : n0 + m]).astype(dtype, copy=False).reshape(*Kt.shape[:-2], -1, m * nz)
        dKt += X @ G.swapaxes(-1, -2)
        if plan.one_kernel_per_group:
            D = (Kt * G).reshape(cin, *frame.window, m, *frame.out)  # Kt @ G, inner size 1
        else:
            D = (Kt @ G).reshape(cin, *frame.window, m, *frame.out)
        planes = dAp[:, :m]
        planes[...] = 0
        for offset in plan.offsets:
            planes[(slice(None), slice(None), *conv_slices(offset, frame.stride))] += D[(slice(None), *offset[:d])]
        conv_unplace(planes, dA, n0, plan)
    return dA, conv_kernel_gradient(dKt, plan)


# -- input dilation at stride 1: the scatter ---------------------------------------------------
def conv_scatter_inputs(A: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> np.ndarray:
    """The examples ``A`` of a chunk channels first, one ``(C_in/G, m prod(sizes))`` matrix per group."""
    return conv_first(A).astype(dtype).reshape(plan.groups, plan.cin // plan.groups, -1)


def conv_phases(plan: ConvPlan) -> tuple[int, ...]:
    """The output buffer split by phase: along an axis of step ``u`` (the input dilation), buffer
    entry ``y`` is entry ``y // u`` of phase ``y % u``, so the array ``(*u, *ceil(buffer / u))``
    holds each phase's entries side by side, and the slice of ``offsets`` that position ``r``
    meets (start ``t``, step ``u``) is the contiguous run ``t // u ..`` of phase ``t % u``."""
    steps = plan.frame.input_dilation
    return (*steps, *(-(-b // u) for b, u in zip(plan.buffer, steps, strict=True)))


def conv_phase_slices(offset: tuple[int, ...], plan: ConvPlan) -> tuple[int | slice, ...]:
    """The phases and the contiguous runs (``size`` entries) of one entry of ``offsets``."""
    frame = plan.frame
    d = len(frame.size)
    starts = [offset[d + 2 * a] for a in range(d)]
    steps = frame.input_dilation
    return (
        *(t % u for t, u in zip(starts, steps, strict=True)),
        *(slice(t // u, t // u + n) for t, u, n in zip(starts, steps, frame.size, strict=True)),
    )


def conv_unphase(Ph: np.ndarray, plan: ConvPlan) -> np.ndarray:
    """The output buffer (``(C, m, *buffer)``) from its phases (``(C, m, *u, *ceil(buffer / u))``)."""
    d = len(plan.frame.size)
    order = (0, 1, *(v for a in range(d) for v in (2 + d + a, 2 + a)))
    shape = (*Ph.shape[:2], *(q * u for q, u in zip(Ph.shape[2 + d :], Ph.shape[2 : 2 + d], strict=True)))
    return Ph.transpose(order).reshape(shape)[(slice(None), slice(None), *conv_spatial(plan.buffer))]


def conv_scatter_forward(A: np.ndarray, Ks: np.ndarray, dtype: np.dtype, plan: ConvPlan) -> np.ndarray:
    """Input dilation ``u`` at stride 1 (the transposed convolution's own form,
    ``vZ_j = sum_i (dvY/dvU)^T vA_i``): each input entry ``a_{i,p}`` times the turned kernel
    (``Ks``, ``(C_in, C_out/groups, *k)``), for a chunk of examples one product of the kernels
    with the input per group, is added into the output buffer at its slice of ``offsets``
    (position ``r`` of the turned kernel, input entry ``p``: buffer entry ``r d + p u``), each
    slice a contiguous run of one phase of the buffer (:func:`conv_phases`); the output is the
    buffer from ``lead`` on."""
    frame = plan.frame
    cout, chunk, d = plan.cout, plan.chunk, len(frame.size)
    n = A.shape[0]
    cin_g, cout_g = plan.cin // plan.groups, cout // plan.groups
    # (G, C_out/G prod(k), C_in/G): row (l, *r) of group g holds Ks[g C_in/G + c, l, *r]
    rows = cout_g * conv_size(frame.window)
    Kg = Ks.reshape(plan.groups, cin_g, rows).transpose(0, 2, 1).astype(dtype)
    Z = np.empty((n, cout, *frame.out), dtype)
    # one work space per call (see conv_work): the products, then the buffer by phase
    first, na = min(n, chunk), conv_size(frame.size)
    phases = conv_phases(plan)
    work = np.empty(plan.groups * rows * first * na + cout * first * conv_size(phases), dtype)
    products = work[: plan.groups * rows * first * na].reshape(plan.groups, rows, first * na)
    Ph = work[plan.groups * rows * first * na :].reshape(cout, first, *phases)  # channels first, by phase
    inner = tuple(slice(a, a + o) for a, o in zip(plan.lead, frame.out, strict=True))
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        here = products if m == first else np.empty((plan.groups, rows, m * na), dtype)
        np.matmul(Kg, conv_scatter_inputs(A[n0 : n0 + m], dtype, plan), out=here)
        P: Any = here.reshape(cout, *frame.window, m, *frame.size)
        out = Ph[:, :m]
        out.fill(0)
        for offset in plan.offsets:
            out[(slice(None), slice(None), *conv_phase_slices(offset, plan))] += P[(slice(None), *offset[:d])]
        Z[n0 : n0 + m] = conv_first(conv_unphase(out, plan)[(slice(None), slice(None), *inner)])
    return Z


def conv_scatter_backward(
    dZ: np.ndarray, A: np.ndarray, Ks: np.ndarray, dtype: np.dtype, plan: ConvPlan
) -> tuple[np.ndarray, np.ndarray]:
    """``(dA, dKs)`` of :func:`conv_scatter_forward`: ``dJ/dvA_i = sum_j dJ/dvZ_j (dvY/dvU)^T``
    is the strided convolution of ``dZ`` (in the buffer, from ``lead`` on) by the turned kernels
    (eq.a2-3 read forward): the windows of the buffer (taps ``d`` apart, windows ``u`` apart,
    each tap's windows a contiguous run of one phase of the buffer) times the kernels, one
    product per group; ``dJ/dKs`` is the same windows times the input."""
    frame = plan.frame
    cin, cout, groups, chunk = plan.cin, plan.cout, plan.groups, plan.chunk
    cin_g, nk = cin // groups, conv_size(frame.window)
    rows_k = cout // groups * nk
    na = conv_size(frame.size)
    n = A.shape[0]
    d = len(frame.size)
    Kg = Ks.reshape(groups, cin_g, rows_k).astype(dtype, copy=False)
    dKg = np.zeros((groups, cin_g, rows_k), dtype)
    dA = np.empty(A.shape, dtype)
    phases = conv_phases(plan)
    first = min(n, chunk)
    # one work space per call (see conv_work): dZ in the buffer (zero outside the output), the
    # buffer by phase, the windows (C_out, prod(k), m, *size) and the input's gradient
    buffer = tuple(q * u for q, u in zip(phases[d:], phases[:d], strict=True))
    sizes = (
        cout * first * conv_size(buffer),
        cout * first * conv_size(phases),
        cout * nk * first * na,
        cin * first * na,
    )
    work = np.empty(sum(sizes), dtype)
    starts = np.cumsum((0, *sizes))
    Gp = work[starts[0] : starts[1]].reshape(cout, first, *buffer)
    Gp.fill(0)
    Ph = work[starts[1] : starts[2]].reshape(cout, first, *phases)
    Xs = work[starts[2] : starts[3]].reshape(cout, nk, first * na)
    Ds = work[starts[3] : starts[4]].reshape(groups, cin_g, first * na)
    inner = tuple(slice(a, a + o) for a, o in zip(plan.lead, frame.out, strict=True))
    split = (*(v for q, u in zip(phases[d:], phases[:d], strict=True) for v in (q, u)),)
    order = (0, 1, *(3 + 2 * a for a in range(d)), *(2 + 2 * a for a in range(d)))
    for n0 in range(0, n, chunk):
        m = min(chunk, n - n0)
        Gp[(slice(None), slice(0, m), *inner)] = conv_first(dZ[n0 : n0 + m])
        np.copyto(Ph[:, :m], Gp[:, :m].reshape(cout, m, *split).transpose(order))
        X = Xs[:, :, : m * na].reshape(cout, nk, m, *frame.size)
        for k, offset in enumerate(plan.offsets):
            X[:, k] = Ph[(slice(None), slice(0, m), *conv_phase_slices(offset, plan))]
        X = X.reshape(groups, rows_k, m * na)
        D = Ds if m == first else np.empty((groups, cin_g, m * na), dtype)
        np.matmul(Kg, X, out=D)
        D = D.reshape(cin, m, *frame.size)
        dA[n0 : n0 + m] = conv_first(D)
        dKg += np.matmul(conv_scatter_inputs(A[n0 : n0 + m], dtype, plan), X.transpose(0, 2, 1))
    return dA, dKg.reshape(Ks.shape)
