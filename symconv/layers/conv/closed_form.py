"""The closed-form backward of a convolution, proven equal to the seed's vec route.

The seed computes ``dJ/dvK_{j,i} = dJ/dvZ_j dvZ_j/dvK_{j,i}`` and
``dJ/dvA_i = sum_j dJ/dvZ_j dvZ_j/dvA_i`` (3.1.5) from the vec Jacobians of Appendix A.
Transposed and reshaped (3.2), with ``G`` the upstream ``dJ/dZ_j`` as an ``h_z x w_z``
matrix (``G_pq = dJ/dz_pq``) and ``G_s`` the same matrix dilated by the stride
(``s_h - 1`` zero rows between its rows, ``s_w - 1`` zero columns between its columns),
they are the forms people use:

* ``grad_K J = Apad ⋆ G_s``: the padded input correlated with ``G_s`` (no flip), taken at
  every ``d``-th offset for a dilation ``d`` and cut to ``h_k x w_k``;
* ``grad_A J = crop(full(G_s ⋆ rot180(K_d)))``: ``G_s`` padded with ``span - 1`` zeros on
  every side, correlated with the 180°-rotated (dilated) kernel, and cropped to ``A``'s
  place in the padded input (zero where no window reached).

Both sides are bilinear (in ``G`` and ``A``, in ``G`` and ``K``), so each entry is a sum of
products of two symbols with integer coefficients.  :func:`check` builds every entry's
coefficients both ways — the closed form by index arithmetic on the padded, dilated and
rotated matrices, the vec route from the core's sparse Jacobians — and compares them:
equal tables are equal polynomials, an exact proof for the layer's shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from ...errors import SpecError
from ...rule import check_index
from ...symbols import Grid, Mapped, Symbols, entry_name, real
from .rule import ConvDerivation

#: a bilinear form over the entries of a matrix: rows ``(entry, g, other)`` of vec indices,
#: one row per product ``g_row * other`` in the entry (a repeated row is a coefficient 2, ...)
Triples = np.ndarray


def _sorted(entry: np.ndarray, g: np.ndarray, other: np.ndarray) -> Triples:
    out = np.stack([np.asarray(x, dtype=np.int64).ravel() for x in (entry, g, other)], axis=1)
    return out[np.lexsort((out[:, 2], out[:, 1], out[:, 0]))]


def upstream(d: ConvDerivation, j: int = 0) -> sp.ImmutableMatrix:
    """``G = dJ/dZ_j`` as an ``h_z x w_z`` matrix of symbols ``g_{pq}`` (``G_pq = dJ/dz_pq``)."""
    check_index("j", j, d.cout)
    hz, wz = d.geometry.output
    return sp.ImmutableMatrix(hz, wz, lambda p, q: _g_symbol(d, p, q))


def _g_symbol(d: ConvDerivation, p: int, q: int) -> sp.Symbol:
    """``g_{pq}`` (0-based ``p, q``), the entry ``(p, q)`` of :func:`upstream`."""
    return real(entry_name("g", (p + 1, q + 1), wide=max(d.geometry.output) > 9))


def upstream_grid(d: ConvDerivation, j: int = 0) -> Grid:
    """:func:`upstream` as a lazy grid: each ``g_{pq}`` is made when it is read, so a
    document of a large layer names only the entries it shows."""
    check_index("j", j, d.cout)
    hz, wz = d.geometry.output
    return Grid(Mapped(range(hz * wz), lambda n: _g_symbol(d, n % hz, n // hz)), (hz, wz))


def dilate(x: sp.MatrixBase, step: tuple[int, ...]) -> sp.ImmutableMatrix:
    """``x`` with ``step - 1`` zero rows (columns) between its rows (columns)."""
    sh, sw = step
    h, w = x.shape
    return sp.ImmutableMatrix(
        (h - 1) * sh + 1, (w - 1) * sw + 1, lambda r, c: x[r // sh, c // sw] if r % sh == 0 and c % sw == 0 else 0
    )


def rot180(x: sp.MatrixBase) -> sp.ImmutableMatrix:
    """``x`` turned by 180°: ``rot180(x)_rs = x_{h-1-r, w-1-s}`` (0-based)."""
    h, w = x.shape
    return sp.ImmutableMatrix(h, w, lambda r, c: x[h - 1 - r, w - 1 - c])


# -- index maps: the matrices of the closed forms with vec indices (-1 for a zero) -----------


def _dilated_map(shape: tuple[int, ...], step: tuple[int, ...]) -> np.ndarray:
    """Vec indices of a ``shape`` matrix dilated by ``step`` (-1 at the inserted zeros)."""
    h, w = shape
    out = np.full(((h - 1) * step[0] + 1, (w - 1) * step[1] + 1), -1, dtype=np.int64)
    out[:: step[0], :: step[1]] = np.arange(h * w).reshape(w, h).T
    return out


def _padded_map(d: ConvDerivation) -> np.ndarray:
    """Vec indices of ``A_i`` inside its padded matrix (-1 on the padding)."""
    g = d.geometry
    (h, w), (hp, wp) = g.input, g.padded
    t, left = g.padding[0], g.padding[2]
    out = np.full((hp, wp), -1, dtype=np.int64)
    out[t : t + h, left : left + w] = np.arange(h * w).reshape(w, h).T
    return out


def _correlate(x: np.ndarray, y: np.ndarray, size: tuple[int, ...], step: tuple[int, ...]) -> Triples:
    """``(x ⋆ y)_{rs} = sum_uv x[r step_h + u, s step_w + v] y[u, v]`` for ``r, s`` below
    ``size``: triples (vec index of ``(r, s)``, y's index, x's index), one kernel position
    ``(u, v)`` of ``y`` at a time."""
    h, w = size
    entry = np.arange(h * w).reshape(w, h).T
    parts = []
    for u in range(y.shape[0]):
        for v in range(y.shape[1]):
            if y[u, v] < 0:
                continue
            block = x[u : u + (h - 1) * step[0] + 1 : step[0], v : v + (w - 1) * step[1] + 1 : step[1]]
            keep = block >= 0
            parts.append((entry[keep], np.full(int(keep.sum()), y[u, v]), block[keep]))
    if not parts:
        return _sorted(np.zeros(0), np.zeros(0), np.zeros(0))
    return _sorted(*(np.concatenate(p) for p in zip(*parts, strict=True)))


def _kernel_closed(d: ConvDerivation) -> Triples:
    """``Apad ⋆ G_s`` at every ``d``-th offset, ``h_k x w_k`` of it: triples (K entry, g, a)."""
    g = d.geometry
    return _correlate(_padded_map(d), _dilated_map(g.output, g.stride), g.kernel, g.dilation)


def _input_closed(d: ConvDerivation) -> Triples:
    """``crop(full(G_s ⋆ rot180(K_d)))``: triples (A entry, g, k)."""
    g = d.geometry
    gs = _dilated_map(g.output, g.stride)
    rot = _dilated_map(g.kernel, g.dilation)[::-1, ::-1]
    kh, kw = rot.shape
    full = np.full((gs.shape[0] + 2 * (kh - 1), gs.shape[1] + 2 * (kw - 1)), -1, dtype=np.int64)
    full[kh - 1 : kh - 1 + gs.shape[0], kw - 1 : kw - 1 + gs.shape[1]] = gs
    # the full correlation holds the padded input's rows 0 .. rows - 1 (the rest get no
    # gradient); A's entry (x, y) sits at (t + x, left + y) of it
    rows, cols = gs.shape[0] + kh - 1, gs.shape[1] + kw - 1
    corr = _correlate(full, rot, (rows, cols), (1, 1))  # (position, k, g)
    (h, w), t, left = g.input, g.padding[0], g.padding[2]
    x, y = corr[:, 0] % rows - t, corr[:, 0] // rows - left
    inside = (x >= 0) & (x < h) & (y >= 0) & (y < w)
    return _sorted((y * h + x)[inside], corr[inside, 2], corr[inside, 1])


def _vec_route(d: ConvDerivation, wrt: str, j: int, i: int) -> Triples:
    """``(dJ/dvZ_j dvZ_j/dv X)ᵀ`` from the core's sparse Jacobian: its column ``c`` is the
    entry ``c``, and each nonzero ``(row, value)`` adds the product ``g_row * value``.
    ``i`` is a channel of kernel ``j``; ``X`` is that channel (``K``) or the input channel it
    meets (``A``, the same channel without groups).

    A value is matched to the entry of ``vec(A_i)`` (or ``vec(K_{j,i})``) it is.  When the
    Jacobian's value table is that very run of the tensor's entries (the core's lazy view),
    value ``k`` is entry ``k`` and no symbol is made; otherwise each value is looked up."""
    channel = d.input_channel(j, i)
    jac = d.jacobian(wrt, j=j, i=i if wrt == "K" else channel)
    view = d.input.view(channel) if wrt == "K" else d.kernel.view(j, i)
    items = getattr(jac.table, "items", None)
    same = isinstance(items, Symbols) and (items.tensor, items.start, items.length) == (
        view.tensor,
        view.start,
        view.length,
    )
    if same:
        return _sorted(jac.cols, jac.rows, jac.ids)
    position = {s: n for n, s in enumerate(view)}
    ids = np.unique(jac.ids)
    lookup = np.zeros(int(ids.max()) + 1 if ids.size else 0, dtype=np.int64)
    for k in ids.tolist():
        value = jac.table[k]
        if value not in position:
            raise SpecError("closed_form", f"d vZ/d v{wrt} holds {value}, not an entry of the layer")
        lookup[k] = position[value]
    return _sorted(jac.cols, jac.rows, lookup[jac.ids])


@dataclass(frozen=True)
class ClosedFormCheck:
    """The two closed forms for one ``(j, i)`` pair (channel ``i`` of kernel ``j``, which meets
    input channel :attr:`channel`), with the vec route's beside them, as triples (entry, g,
    other) of vec indices."""

    d: ConvDerivation
    j: int
    i: int
    kernel_closed: Triples
    kernel_vec: Triples
    input_closed: Triples
    input_vec: Triples

    @property
    def channel(self) -> int:
        """The input channel that channel ``i`` of kernel ``j`` meets (``i`` without groups)."""
        return self.d.input_channel(self.j, self.i)

    @property
    def kernel_equal(self) -> bool:
        return bool(np.array_equal(self.kernel_closed, self.kernel_vec))

    @property
    def input_equal(self) -> bool:
        return bool(np.array_equal(self.input_closed, self.input_vec))

    @property
    def equal(self) -> bool:
        return self.kernel_equal and self.input_equal

    def kernel_terms(self, r: int, s: int, limit: int | None = None) -> tuple[list[tuple[sp.Expr, sp.Expr]], int]:
        """The products ``(g, a)`` of ``(grad_K J)_rs`` (0-based), in vec order of ``g``, and
        how many there are; with ``limit``, only the first ``limit - 1`` and the last of a
        longer sum (the ones a document shows)."""
        entry = s * self.d.geometry.kernel[0] + r
        return self._terms(self.kernel_closed, entry, self.d.input.view(self.channel), limit)

    def input_terms(self, x: int, y: int, limit: int | None = None) -> tuple[list[tuple[sp.Expr, sp.Expr]], int]:
        """The products ``(g, k)`` of ``(grad_A J)_xy`` (0-based), as :meth:`kernel_terms`."""
        h = self.d.geometry.input[0]
        return self._terms(self.input_closed, y * h + x, self.d.kernel.view(self.j, self.i), limit)

    @cached_property
    def G(self) -> Grid:  # noqa: N802 - the matrix's name in the document
        """:func:`upstream` for this kernel, as a lazy grid."""
        return upstream_grid(self.d, self.j)

    @property
    def _g(self) -> Sequence[sp.Expr]:
        return self.G.items  # vec order

    def _terms(
        self, triples: Triples, entry: int, other: Sequence[sp.Symbol], limit: int | None
    ) -> tuple[list[tuple[sp.Expr, sp.Expr]], int]:
        lo, hi = np.searchsorted(triples[:, 0], [entry, entry + 1])  # triples are sorted by entry
        rows = triples[lo:hi]
        if limit is not None and len(rows) > limit:
            rows = np.concatenate([rows[: limit - 1], rows[-1:]])
        return [(self._g[int(gi)], other[int(oi)]) for _, gi, oi in rows], int(hi - lo)

    def kernel_entry(self, r: int, s: int) -> sp.Expr:
        """``(grad_K J)_rs`` by the closed form, as a SymPy sum."""
        return sp.Add(*[a * b for a, b in self.kernel_terms(r, s)[0]])

    def input_entry(self, x: int, y: int) -> sp.Expr:
        """``(grad_A J)_xy`` by the closed form, as a SymPy sum."""
        return sp.Add(*[a * b for a, b in self.input_terms(x, y)[0]])


def check(d: ConvDerivation, j: int = 0, i: int = 0) -> ClosedFormCheck:
    """Both closed forms of kernel ``j``, its channel ``i`` (an input channel without groups),
    and the vec route's, built independently; :attr:`ClosedFormCheck.equal` says whether they
    agree entry by entry.  With groups each channel of a kernel is an ungrouped 2D convolution
    with the input channel it meets, so the same forms hold channel by channel."""
    j, i = check_index("j", j, d.cout), check_index("i", i, d.ck)
    return ClosedFormCheck(
        d, j, i, _kernel_closed(d), _vec_route(d, "K", j, i), _input_closed(d), _vec_route(d, "A", j, i)
    )


def proven(d: ConvDerivation, j: int = 0, i: int = 0) -> ClosedFormCheck:
    """:func:`check`, raising :class:`SpecError` if a closed form differs from the vec route
    (it never should: a document states the equality only after this)."""
    c = check(d, j, i)
    if not c.equal:
        which = "kernel" if not c.kernel_equal else "input"
        raise SpecError("closed_form", f"the {which} closed form differs from the vec route for these shapes")
    return c
