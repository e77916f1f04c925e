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

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from ...errors import SpecError
from ...geometry import vec_strides
from ...rule import check_index
from ...sparse import Summed
from ...symbols import Grid, Mapped, Symbols, entry_name, real, shaped, vec_index, vec_position
from .rule import ConvDerivation

#: a bilinear form over the entries of a matrix: rows ``(entry, g, other)`` of vec indices,
#: one row per product ``g_row * other`` in the entry (a repeated row is a coefficient 2, ...)
Triples = np.ndarray


def _sorted(entry: np.ndarray, g: np.ndarray, other: np.ndarray) -> Triples:
    out = np.stack([np.asarray(x, dtype=np.int64).ravel() for x in (entry, g, other)], axis=1)
    return out[np.lexsort((out[:, 2], out[:, 1], out[:, 0]))]


def _g_symbol(d: ConvDerivation, position: tuple[int, ...]) -> sp.Symbol:
    """``g_{pq}`` (0-based ``position``), the entry of :func:`upstream` there."""
    n = d.geometry.ndim
    wide = n >= 2 and max(d.geometry.output) > 9
    return real(entry_name("g", tuple(p + 1 for p in position), wide=wide, spatial=n))


def upstream(d: ConvDerivation, j: int = 0) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
    """``G = dJ/dZ_j`` shaped like ``Z_j`` (a matrix in 2-D), of symbols ``g_{pq}``
    (``G_pq = dJ/dz_pq``)."""
    return shaped(list(upstream_grid(d, j).items), d.geometry.output)


def upstream_grid(d: ConvDerivation, j: int = 0) -> Grid:
    """:func:`upstream` as a lazy grid: each ``g_{pq}`` is made when it is read, so a
    document of a large layer names only the entries it shows."""
    check_index("j", j, d.cout)
    shape = d.geometry.output
    return Grid(Mapped(range(math.prod(shape)), lambda n: _g_symbol(d, vec_position(shape, n))), shape)


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


# -- index maps: the tensors of the closed forms with vec indices (-1 for a zero) ------------


def _vec_grid(shape: tuple[int, ...]) -> np.ndarray:
    """``[position]``: the vec index of each position of ``shape`` (the first axis fastest)."""
    flipped = tuple(reversed(shape))
    return np.arange(math.prod(shape), dtype=np.int64).reshape(flipped).transpose(tuple(reversed(range(len(shape)))))


def _dilated_map(shape: tuple[int, ...], step: tuple[int, ...]) -> np.ndarray:
    """Vec indices of a ``shape`` tensor dilated by ``step`` (-1 at the inserted zeros)."""
    out = np.full(tuple(max(0, (n - 1) * s + 1) for n, s in zip(shape, step, strict=True)), -1, dtype=np.int64)
    out[tuple(slice(None, None, s) for s in step)] = _vec_grid(shape)
    return out


def _padded_map(d: ConvDerivation) -> np.ndarray:
    """Vec indices of ``A_i``'s entries in its padded tensor (-1 where the padded tensor holds
    zero): the input entry each padded position holds (:meth:`Axis.source`: zero padding,
    an input dilation's zeros, the copies of a padding mode, a crop)."""
    g = d.geometry
    steps = vec_strides(g.input)
    flat = np.zeros(g.padded, dtype=np.int64)
    inside = np.ones(g.padded, dtype=bool)
    for a, axis in enumerate(g.axes):
        view = [1] * g.ndim
        view[a] = axis.padded
        source = np.asarray(axis.source(np.arange(axis.padded)), dtype=np.int64).reshape(view)
        flat = flat + source * steps[a]
        inside = inside & (source >= 0)
    return np.where(inside, flat, -1)


def _correlate(x: np.ndarray, y: np.ndarray, size: tuple[int, ...], step: tuple[int, ...]) -> Triples:
    """``(x ⋆ y)_r = sum_u x[r step + u] y[u]`` for positions ``r`` below ``size``: triples
    (vec index of ``r``, y's index, x's index), one position ``u`` of ``y`` at a time."""
    entry = _vec_grid(size)
    parts = []
    if math.prod(size):
        for u in np.ndindex(*y.shape):
            if y[u] < 0:
                continue
            window = tuple(slice(b, b + (n - 1) * s + 1, s) for b, n, s in zip(u, size, step, strict=True))
            block = x[window]
            keep = block >= 0
            parts.append((entry[keep], np.full(int(keep.sum()), y[u]), block[keep]))
    if not parts:
        return _sorted(np.zeros(0), np.zeros(0), np.zeros(0))
    return _sorted(*(np.concatenate(p) for p in zip(*parts, strict=True)))


def _kernel_closed(d: ConvDerivation) -> Triples:
    """``Apad ⋆ G_s`` at every ``d``-th offset, kernel-sized: triples (K entry, g, a); the
    kernel entry is the stored kernel's (turned back for a transposed convolution)."""
    g = d.geometry
    out = _correlate(_padded_map(d), _dilated_map(g.output, g.stride), g.kernel, g.dilation)
    return _sorted(d._turn(out[:, 0]), out[:, 1], out[:, 2])


def _input_closed(d: ConvDerivation) -> Triples:
    """``P^T(full(G_s ⋆ rot180(K_d)))``: triples (A entry, g, k).  The full correlation holds
    the gradient of the padded input where the windows reach; ``P^T`` takes each padded
    position back to the input entry it holds (the crop of zero padding, every ``u``-th entry
    of an input dilation, a padding mode's copies added to their source)."""
    g = d.geometry
    gs = _dilated_map(g.output, g.stride)
    rot = _dilated_map(g.kernel, g.dilation)[tuple(slice(None, None, -1) for _ in g.kernel)]
    full = np.full(tuple(n + 2 * (k - 1) for n, k in zip(gs.shape, rot.shape, strict=True)), -1, dtype=np.int64)
    full[tuple(slice(k - 1, k - 1 + n) for n, k in zip(gs.shape, rot.shape, strict=True))] = gs
    size = tuple(n + k - 1 for n, k in zip(gs.shape, rot.shape, strict=True))
    corr = _correlate(full, rot, size, (1,) * g.ndim)  # (position, k, g)
    if not corr.size:
        return corr
    # the full correlation's positions are the padded input's first ones
    padded = _padded_map(d)
    at = np.stack(np.unravel_index(corr[:, 0], size, order="F"))
    reach = np.all(at < np.asarray(g.padded)[:, None], axis=0)
    source = np.full(corr.shape[0], -1, dtype=np.int64)
    source[reach] = padded[tuple(at[:, reach])]
    inside = source >= 0
    return _sorted(source[inside], corr[inside, 2], d._turn(corr[inside, 1]))


def _vec_route(d: ConvDerivation, wrt: str, j: int, c: int) -> Triples:
    """``(dJ/dvZ_j dvZ_j/dv X)ᵀ`` from the core's sparse Jacobian: its column ``col`` is the
    entry ``col``, and each nonzero ``(row, value)`` adds the product ``g_row * value``.
    ``c`` is a channel of ``j``'s group; ``X`` is the kernel block (``K``) or the input
    channel (``A``) that meet there.  A value that sums kernel entries (a padding mode's
    copies) adds one product per term.

    A value is matched to the entry of ``vec(A_i)`` (or of the kernel block) it is.  When the
    Jacobian's value table is that very run of the tensor's entries (the core's lazy view),
    value ``k`` is entry ``k`` and no symbol is made; otherwise each value is looked up."""
    channel = d.input_channel(j, c)
    api_i = (channel if d.transposed else c) if wrt == "K" else channel
    jac = d.jacobian(wrt, j=j, i=api_i)
    view = d.input.view(channel) if wrt == "K" else d.kernel.view(*d.block(j, c))
    rows, cols, ids, table = jac.rows, jac.cols, jac.ids, jac.table
    if isinstance(table, Summed):  # one row per term of each sum
        counts = np.diff(table.starts)[ids]
        rows, cols = np.repeat(rows, counts), np.repeat(cols, counts)
        runs = [table.members[table.starts[k] : table.starts[k + 1]] for k in ids.tolist()]
        ids = np.concatenate(runs) if runs else np.zeros(0, dtype=np.int64)
        table = table.base
    items = getattr(table, "items", None)
    same = isinstance(items, Symbols) and (items.tensor, items.start, items.length) == (
        view.tensor,
        view.start,
        view.length,
    )
    if same:
        return _sorted(cols, rows, ids)
    position = {s: n for n, s in enumerate(view)}
    unique = np.unique(ids)
    lookup = np.zeros(int(unique.max()) + 1 if unique.size else 0, dtype=np.int64)
    for k in unique.tolist():
        value = table[k]
        if value not in position:
            raise SpecError("closed_form", f"d vZ/d v{wrt} holds {value}, not an entry of the layer")
        lookup[k] = position[value]
    return _sorted(cols, rows, lookup[np.asarray(ids, dtype=np.int64)])


@dataclass(frozen=True)
class ClosedFormCheck:
    """The two closed forms for one ``(j, c)`` pair (output channel ``j`` and the ``c``-th
    input channel of its group, :attr:`channel`; ``c`` is a channel of kernel ``j`` for a
    convolution), with the vec route's beside them, as triples (entry, g, other) of vec
    indices.  Kernel positions are the stored kernel's."""

    d: ConvDerivation
    j: int
    i: int
    kernel_closed: Triples
    kernel_vec: Triples
    input_closed: Triples
    input_vec: Triples

    @property
    def channel(self) -> int:
        """The input channel that meets (``i`` itself without groups)."""
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

    def kernel_terms(
        self, position: Sequence[int], limit: int | None = None
    ) -> tuple[list[tuple[sp.Expr, sp.Expr]], int]:
        """The products ``(g, a)`` of the kernel gradient's entry at ``position`` (0-based, of
        the stored kernel), in vec order of ``g``, and how many there are; with ``limit``,
        only the first ``limit - 1`` and the last of a longer sum (the ones a document shows)."""
        entry = vec_index(self.d.geometry.kernel, tuple(position))
        return self._terms(self.kernel_closed, entry, self.d.input.view(self.channel), limit)

    def input_terms(
        self, position: Sequence[int], limit: int | None = None
    ) -> tuple[list[tuple[sp.Expr, sp.Expr]], int]:
        """The products ``(g, k)`` of the input gradient's entry at ``position``, as :meth:`kernel_terms`."""
        entry = vec_index(self.d.geometry.input, tuple(position))
        return self._terms(self.input_closed, entry, self.d.kernel.view(*self.d.block(self.j, self.i)), limit)

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

    def kernel_entry(self, *position: int) -> sp.Expr:
        """The kernel gradient's entry at ``position`` by the closed form, as a SymPy sum."""
        return sp.Add(*[a * b for a, b in self.kernel_terms(position)[0]])

    def input_entry(self, *position: int) -> sp.Expr:
        """The input gradient's entry at ``position`` by the closed form, as a SymPy sum."""
        return sp.Add(*[a * b for a, b in self.input_terms(position)[0]])


def check(d: ConvDerivation, j: int = 0, i: int = 0) -> ClosedFormCheck:
    """Both closed forms of output channel ``j`` and its ``i``-th channel (a channel of
    kernel ``j``; an input channel without groups), and the vec route's, built
    independently; :attr:`ClosedFormCheck.equal` says whether they agree entry by entry.
    With groups each pair is an ungrouped convolution with the input channel it meets, so
    the same forms hold channel by channel."""
    j, c = check_index("j", j, d.cout), check_index("i", i, d.ck)
    return ClosedFormCheck(
        d, j, c, _kernel_closed(d), _vec_route(d, "K", j, c), _input_closed(d), _vec_route(d, "A", j, c)
    )


def proven(d: ConvDerivation, j: int = 0, i: int = 0) -> ClosedFormCheck:
    """:func:`check`, raising :class:`SpecError` if a closed form differs from the vec route
    (it never should: a document states the equality only after this)."""
    c = check(d, j, i)
    if not c.equal:
        which = "kernel" if not c.kernel_equal else "input"
        raise SpecError("closed_form", f"the {which} closed form differs from the vec route for these shapes")
    return c
