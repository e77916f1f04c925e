r"""Operators textbooks use around convolutions: full / valid / same padding (and which one
``\ast`` means when the shapes tell), ``im2col`` and ``col2im``, the Kronecker product and
cropping a padding off.

Conventions (the seed's: 1-based, ``vec`` stacks columns):

* ``im2col(X, (h_k, w_k), stride, padding)`` has one column per output position, in
  ``vec`` order of the output (down its first column first); column ``(p, q)`` is ``vec``
  of the window behind output ``(p, q)`` (rep.1), channel after channel for a tensor.  So
  for one channel ``vec(Z)^T = vec(K)^T im2col(A, ...)``, and with channels
  ``dW = dY X_col^T`` where row ``j`` of ``dY`` is ``vec(G_j)^T``.
* ``col2im(C, (h, w), (h_k, w_k), stride, padding)`` (``(c, h, w)`` for channels) is its
  adjoint: every entry of ``C`` is added back to the input entry it was read from.
"""

from __future__ import annotations

import sympy as sp

from ..errors import SpecError
from ..geometry import Geometry
from .values import (
    ENTRY_COST,
    MAX_ENTRIES,
    Array,
    ClaimError,
    Value,
    array,
    as_array,
    charge,
    check_size,
    describe,
    is_tensor,
    matrix,
    to_matrix,
)

MODES = ("full", "valid", "same")


def mode_padding(mode: str, kernel: tuple[int, int], dilation: tuple[int, int] = (1, 1)) -> tuple[int, ...]:
    """The padding ``(top, bottom, left, right)`` of a named mode for a kernel: full
    ``k - 1`` on each side, valid none, same ``k - 1`` in all (the extra one after, as in
    PyTorch)."""
    if mode not in MODES:
        raise ClaimError(f"the padding mode {mode!r} is not known; write full, valid or same")
    spans = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    if mode == "valid":
        return (0, 0, 0, 0)
    if mode == "full":
        return (spans[0], spans[0], spans[1], spans[1])
    return (spans[0] // 2, spans[0] - spans[0] // 2, spans[1] // 2, spans[1] - spans[1] // 2)


#: the shape hint of a side read before the other one: a '*' there waits for the other side
UNKNOWN: tuple[int, ...] = (-1,)


class AmbiguousPaddingError(ClaimError):
    """``\\ast`` without a padding, where the shapes do not say which one: the reader may
    try again once the other side's shape is known."""


def infer_padding(
    x: tuple[int, int], y: tuple[int, int], target: tuple[int, ...] | None
) -> tuple[str, tuple[int, ...]]:
    """The one padding among full, valid and same (stride 1) whose output has ``target``'s
    shape; a one-line refusal naming the candidates otherwise."""
    outputs = {mode: _output(x, y, mode_padding(mode, y)) for mode in MODES}
    shown = ", ".join(f"{m} gives {o[0]}x{o[1]}" for m, o in outputs.items() if o is not None)
    if target is None:
        raise AmbiguousPaddingError(
            f"cannot tell which padding '*' uses for a {x[0]}x{x[1]} by a {y[0]}x{y[1]} matrix ({shown}); "
            "write \\ast_{\\text{full}}, \\ast_{\\text{valid}} or \\ast_{\\text{same}}, "
            "or conv(X, Y, padding=...) in the expression language"
        )
    shape = tuple(target) if len(target) == 2 else (1, 1) if len(target) == 0 else tuple(target)
    fits: dict[tuple[int, ...], str] = {}
    for mode, out in outputs.items():
        if out is not None and out == shape:
            fits.setdefault(mode_padding(mode, y), mode)
    if len(fits) == 1:
        ((padding, mode),) = fits.items()
        return mode, padding
    want = "x".join(map(str, shape)) if shape else "a scalar"
    if not fits:
        raise ClaimError(
            f"no padding gives '*' of a {x[0]}x{x[1]} by a {y[0]}x{y[1]} matrix the other side's shape, {want} "
            f"({shown}); write the padding: \\ast_{{\\text{{full}}}} or conv(X, Y, padding=...), "
            "with crop(...) or pad(...) for the rest"
        )
    names = " and ".join(sorted(fits.values()))
    raise ClaimError(
        f"both {names} padding make '*' of a {x[0]}x{x[1]} by a {y[0]}x{y[1]} matrix {want}; "
        "write which: \\ast_{\\text{same}}, \\ast_{\\text{full}} or \\ast_{\\text{valid}}"
    )


def _output(x: tuple[int, int], y: tuple[int, int], padding: tuple[int, ...]) -> tuple[int, ...] | None:
    geom = Geometry.make(x, y, padding, (1, 1))
    try:
        geom.check("kernel")
    except SpecError:
        return None
    return geom.output


def geometry(
    shape: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, ...]
) -> Geometry:
    geom = Geometry.make(shape, kernel, padding, stride)
    try:
        geom.check("im2col's kernel")
    except SpecError as err:
        raise ClaimError(str(err)) from None
    return geom


def _channels(x: Value, what: str) -> list[sp.ImmutableMatrix]:
    if is_tensor(x):
        items = as_array(x).items
        if any(isinstance(b, Array) for b in items):
            raise ClaimError(f"{what} takes a matrix or a c x h x w tensor, got {describe(x)}")
        return [sp.ImmutableMatrix(b) for b in items]
    return [to_matrix(x, what)]


def im2col(x: Value, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, ...]) -> sp.ImmutableMatrix:
    """The windows of ``x`` as columns (module docstring)."""
    chans = _channels(x, "im2col's first argument")
    geom = geometry(chans[0].shape, kernel, stride, padding)
    hz, wz = geom.output
    hk, wk = kernel
    rows, cols = len(chans) * hk * wk, hz * wz
    check_size(rows, cols)
    charge(ENTRY_COST * rows * cols, f"im2col into a {rows}x{cols} matrix")
    h = chans[0].rows
    out: list[list[sp.Expr]] = [[sp.S.Zero] * cols for _ in range(rows)]
    for q in range(wz):
        for p in range(hz):
            col = q * hz + p
            win = geom.windows[p, q]
            for c, m in enumerate(chans):
                for s in range(wk):
                    for r in range(hk):
                        i = int(win[r, s])
                        if i >= 0:
                            out[c * hk * wk + s * hk + r][col] = m[i % h, i // h]
    return matrix(rows, cols, [e for row in out for e in row])


def col2im(
    c: Value,
    shape: tuple[int, ...],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, ...],
) -> Value:
    """The adjoint of :func:`im2col`: each column's entries added back where they were read."""
    cols_m = to_matrix(c, "col2im's first argument")
    if len(shape) not in (2, 3):
        raise ClaimError("col2im's shape is (h, w) or (c, h, w)")
    channels, (h, w) = (1, shape) if len(shape) == 2 else (shape[0], shape[1:])
    if channels * h * w > MAX_ENTRIES:
        raise ClaimError(f"col2im would build more than {MAX_ENTRIES} entries; write the claim for a smaller input")
    geom = geometry((h, w), kernel, stride, padding)
    hz, wz = geom.output
    hk, wk = kernel
    if cols_m.shape != (channels * hk * wk, hz * wz):
        raise ClaimError(
            f"col2im needs a {channels * hk * wk}x{hz * wz} matrix for this shape, kernel, stride and padding, "
            f"got {describe(cols_m)}"
        )
    charge(ENTRY_COST * cols_m.rows * cols_m.cols, "col2im")
    out = [[[sp.S.Zero] * w for _ in range(h)] for _ in range(channels)]
    for q in range(wz):
        for p in range(hz):
            win = geom.windows[p, q]
            for ch in range(channels):
                for s in range(wk):
                    for r in range(hk):
                        i = int(win[r, s])
                        if i >= 0:
                            out[ch][i % h][i // h] += cols_m[ch * hk * wk + s * hk + r, q * hz + p]
    mats = [matrix(h, w, [e for row in plane for e in row]) for plane in out]
    return mats[0] if len(shape) == 2 else array(mats)


def kron(x: Value, y: Value) -> sp.ImmutableMatrix:
    """The Kronecker product (``\\otimes``): block ``(i, j)`` is ``x_ij y``."""
    a, b = to_matrix(x, "the left factor of kron"), to_matrix(y, "the right factor of kron")
    rows, cols = a.rows * b.rows, a.cols * b.cols
    check_size(rows, cols)
    charge(ENTRY_COST * rows * cols, f"a {rows}x{cols} Kronecker product")
    return matrix(
        rows, cols, [a[i // b.rows, j // b.cols] * b[i % b.rows, j % b.cols] for i in range(rows) for j in range(cols)]
    )


def unpad(x: Value, padding: tuple[int, ...]) -> sp.ImmutableMatrix:
    """``x`` without a border of ``padding`` (top, bottom, left, right): ``pad``'s inverse."""
    m = to_matrix(x, "crop's argument")
    t, b, left, right = padding
    if t + b >= m.rows or left + right >= m.cols:
        raise ClaimError(f"crop: removing {padding} leaves nothing of {describe(m)}")
    return matrix(
        m.rows - t - b,
        m.cols - left - right,
        [m[r, c] for r in range(t, m.rows - b) for c in range(left, m.cols - right)],
    )
