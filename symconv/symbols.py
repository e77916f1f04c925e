"""Symbols named like the seed's: 1-based entries, channel and layer indices.

``a_{32}`` is row 3, column 2 of a single-channel input; ``a_{1,32}`` is the same entry
of channel 1; inside a network the layer is a superscript, ``a_{1,32}^{[0]}``.  When a
dimension reaches 10 the row and column are separated, ``a_{10,2}``, so names stay
unambiguous.  A 1-D signal's entries have one index (``a_{3}``, ``a_{1,3}`` in channel 1), a
3-D volume's three (``a_{123}``: depth, row, column; ``a_{1,2,10}`` once an axis reaches 10).
Names are built here only, from integers; user text never becomes a name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, TypeVar, overload

import numpy as np
import sympy as sp


def entry_name(letter: str, index: tuple[int, ...], *, wide: bool, layer: int | None = None, spatial: int = 2) -> str:
    """The symbol name for 1-based ``index``; its last ``spatial`` indices (a position: row and
    column of a matrix, or one index along each axis) are joined without a comma unless
    ``wide`` (some axis reaches 10)."""
    parts = [str(i) for i in index]
    if spatial >= 2 and len(parts) >= spatial and not wide:
        parts = [*parts[: len(parts) - spatial], "".join(parts[len(parts) - spatial :])]
    name = f"{letter}_{{{','.join(parts)}}}" if parts else letter
    if layer is not None:
        name += f"^{{[{layer}]}}"
    return name


def real(name: str) -> sp.Symbol:
    """Every symbol symconv makes is real."""
    return sp.Symbol(name, real=True)


def vec_index(shape: tuple[int, ...], index: tuple[int, ...]) -> int:
    """The ``vec`` position of 0-based ``index`` in a block of ``shape``: the first axis
    fastest (the seed's column stacking in 2-D)."""
    return int(np.ravel_multi_index(index, shape, order="F")) if shape else 0


def vec_position(shape: tuple[int, ...], k: int) -> tuple[int, ...]:
    """The inverse of :func:`vec_index`."""
    return tuple(int(i) for i in np.unravel_index(k, shape, order="F")) if shape else ()


def shaped(items: Sequence[sp.Expr], shape: tuple[int, ...]) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
    """Entries in ``vec`` order as the object people read: a column for one axis, a matrix for
    two (SymPy's ``Matrix``), an N-dimensional SymPy array for three or more."""
    items = list(items)
    if len(shape) == 1:
        return sp.ImmutableMatrix(shape[0], 1, items)
    if len(shape) == 2:
        h, w = shape
        return sp.ImmutableMatrix(h, w, lambda r, c: items[c * h + r])
    return sp.ImmutableDenseNDimArray([items[vec_index(shape, idx)] for idx in np.ndindex(*shape)], shape)


@dataclass(frozen=True)
class Tensor:
    """A named tensor of symbols: ``shape`` is ``(*lead, *position)``, blocks of ``spatial``
    axes indexed by leading channel indices (``(c, h, w)`` for an image, ``(c_out, c_in, h_k,
    w_k)`` for kernels, ``(c, L)`` for a 1-D signal with ``spatial=1``, ``(c, D, H, W)`` with
    ``spatial=3``), or ``(n,)`` (a vector).  ``spatial`` defaults to the last two axes (one for
    a vector).

    ``name`` is the seed's matrix name (``A``, ``K``, ``Z``...), ``letter`` the entry letter
    (``a``, ``k``, ``z``...).  ``channel_index`` says whether the channel index is part of
    entry names (it is when there are several channels, or inside a network).
    Entries are created on first use.  ``flat`` is the seed's ``vec`` order: leading indices
    row-major, each block with its first axis fastest.
    """

    name: str
    letter: str
    shape: tuple[int, ...]
    layer: int | None = None
    channel_index: bool = False
    prefix: tuple[int, ...] = field(default=())
    #: a tensor that is another one reshaped (``B`` = stacked ``vec(A_j)``) shares its symbols
    source: Tensor | None = None
    #: how many trailing axes make one block (``None``: two, or one for a vector)
    spatial: int | None = None

    def __post_init__(self) -> None:
        if self.spatial is None:
            object.__setattr__(self, "spatial", min(2, len(self.shape)))

    @property
    def ndim(self) -> int:
        """The axes of one block (``spatial``, resolved)."""
        assert self.spatial is not None
        return self.spatial

    @property
    def block_shape(self) -> tuple[int, ...]:
        """The shape of one block: ``(h, w)`` of a matrix, ``(L,)``, ``(D, H, W)``."""
        return self.shape[len(self.shape) - self.ndim :]

    @property
    def lead_shape(self) -> tuple[int, ...]:
        return self.shape[: len(self.shape) - self.ndim]

    @property
    def block_size(self) -> int:
        return math.prod(self.block_shape)

    @property
    def wide(self) -> bool:
        return self.ndim >= 2 and max(self.block_shape, default=0) > 9

    def entry(self, *index: int) -> sp.Symbol:
        """The symbol at 0-based ``index`` (channel first for an image)."""
        return self.symbol(self.flat_index(*index))

    def symbol(self, k: int) -> sp.Symbol:
        """Entry ``k`` of :attr:`flat`, made on its own when :attr:`flat` has not been built:
        a document of a large layer names a few of its entries, not all of them."""
        if self.source is not None:
            return self.source.symbol(k)
        if "flat" in self.__dict__:
            return self.flat[k]
        if k not in self._made:
            if not 0 <= k < self.size:
                raise IndexError(f"entry {k} out of range for {self.name} of shape {self.shape}")
            block, rest = divmod(k, self.block_size)
            lead = tuple(int(n) for n in np.unravel_index(block, self.lead_shape)) if self.lead_shape else ()
            self._made[k] = self._make(*lead, *vec_position(self.block_shape, rest))
        return self._made[k]

    @cached_property
    def _made(self) -> dict[int, sp.Symbol]:
        """The entries :meth:`symbol` has made so far."""
        return {}

    def view(self, *lead: int) -> Symbols:
        """:meth:`vec` as a lazy sequence: each symbol is made when it is first read."""
        n = self.block_size
        return Symbols(self, self._block(lead) * n, n)

    def grid(self, *lead: int) -> Grid:
        """:meth:`matrix` as a lazy grid (``shape`` and ``[index]`` only), for elided printing
        and window look-ups of large layers."""
        return Grid(self.view(*lead), self.block_shape)

    def flat_index(self, *index: int) -> int:
        """Position in :attr:`flat`: leading indices in row-major order, each block in vec
        order (its first axis fastest)."""
        if len(index) != len(self.shape):
            raise IndexError(f"{self.name} takes {len(self.shape)} indices")
        index = tuple(int(i) for i in index)
        for i, n in zip(index, self.shape, strict=True):
            if not 0 <= i < n:
                raise IndexError(f"index {index} out of range for {self.name} of shape {self.shape}")
        lead, position = index[: len(self.lead_shape)], index[len(self.lead_shape) :]
        return self._block(lead) * self.block_size + vec_index(self.block_shape, position)

    @cached_property
    def flat(self) -> list[sp.Symbol]:
        """All entries in the seed's vec order: ``[vec(X_1); vec(X_2); ...]``."""
        if self.source is not None:
            return self.source.flat
        positions = [vec_position(self.block_shape, k) for k in range(self.block_size)]
        return [self._make(*lead, *pos) for lead in np.ndindex(*self.lead_shape) for pos in positions]

    def _make(self, *index: int) -> sp.Symbol:
        one_based = tuple(i + 1 for i in index)
        if self.shape == (1,) and not self.channel_index:
            one_based = ()
        elif not self.channel_index:
            one_based = one_based[len(one_based) - self.ndim :]
        return real(
            entry_name(self.letter, self.prefix + one_based, wide=self.wide, layer=self.layer, spatial=self.ndim)
        )

    def _block(self, lead: tuple[int, ...]) -> int:
        if len(lead) != len(self.lead_shape):
            raise IndexError(f"{self.name} takes {len(self.lead_shape)} channel indices, got {len(lead)}")
        return int(np.ravel_multi_index(lead, self.lead_shape)) if lead else 0

    def matrix(self, *lead: int) -> sp.ImmutableMatrix | sp.ImmutableDenseNDimArray:
        """The block at channel indices ``lead`` as SymPy reads it (:func:`shaped`): the
        ``h x w`` matrix, a column for a vector or a 1-D signal, an array in 3-D."""
        return shaped(self.vec(*lead), self.block_shape)

    def vec(self, *lead: int) -> list[sp.Symbol]:
        """``vec`` of the block at channel indices ``lead``, as a list."""
        n = self.block_size
        base = self._block(lead) * n
        return self.flat[base : base + n]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def vec_order(self, array: np.ndarray) -> np.ndarray:
        """An array shaped like the tensor flattened as :attr:`flat` is."""
        return vec_order(array, self.ndim)

    def unvec(self, v: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`vec_order`."""
        return unvec(v, self.shape, self.ndim)

    def values(self, array: np.ndarray) -> dict[sp.Symbol, object]:
        """Map each entry to the matching number of ``array`` (shaped like the tensor)."""
        arr = np.asarray(array)
        if arr.shape != self.shape:
            raise ValueError(f"{self.name} needs an array of shape {self.shape}, got {arr.shape}")
        return dict(zip(self.flat, self.vec_order(arr).tolist(), strict=True))


def vec_order(array: np.ndarray, spatial: int = 2) -> np.ndarray:
    """Flatten like :attr:`Tensor.flat`: leading axes row-major, each block of the last
    ``spatial`` axes with its first axis fastest (the last two column-major, by default)."""
    arr = np.asarray(array)
    n = min(spatial, arr.ndim)
    if n < 2:
        return arr.reshape(-1)
    lead = arr.ndim - n
    return arr.transpose(*range(lead), *reversed(range(lead, arr.ndim))).reshape(-1)


def unvec(v: np.ndarray, shape: tuple[int, ...], spatial: int = 2) -> np.ndarray:
    """Inverse of :func:`vec_order`: values in vec order back to an array of ``shape``."""
    n = min(spatial, len(shape))
    if n < 2:
        return np.asarray(v).reshape(shape)
    lead = len(shape) - n
    flipped = (*shape[:lead], *reversed(shape[lead:]))
    return np.asarray(v).reshape(flipped).transpose(*range(lead), *reversed(range(lead, len(shape))))


class Symbols(Sequence[sp.Symbol]):
    """A run of a tensor's entries in :attr:`Tensor.flat` order, made on first read."""

    def __init__(self, tensor: Tensor, start: int, length: int) -> None:
        self.tensor, self.start, self.length = tensor, start, length

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, k: int) -> sp.Symbol: ...

    @overload
    def __getitem__(self, k: slice) -> list[sp.Symbol]: ...

    def __getitem__(self, k: int | slice) -> sp.Symbol | list[sp.Symbol]:
        if isinstance(k, slice):
            return [self[n] for n in range(*k.indices(self.length))]
        if k < 0:
            k += self.length
        if not 0 <= k < self.length:
            raise IndexError(f"entry {k} out of range for {self.length} entries of {self.tensor.name}")
        return self.tensor.symbol(self.start + k)

    def __iter__(self) -> Iterator[sp.Symbol]:
        return (self[k] for k in range(self.length))


@dataclass(frozen=True)
class Grid:
    """A block of lazily made symbols, read as ``grid[index]`` (``grid[r, c]`` for a matrix;
    ``items`` in vec order, the first axis fastest); enough of a matrix for
    :func:`symconv.ops.window` and for printing."""

    items: Sequence[sp.Expr]
    shape: tuple[int, ...]

    def __getitem__(self, index: tuple[int, ...]) -> sp.Expr:
        if len(index) != len(self.shape) or not all(0 <= i < n for i, n in zip(index, self.shape, strict=True)):
            raise IndexError(f"{index} is outside a {'x'.join(map(str, self.shape))} block")
        return self.items[vec_index(self.shape, tuple(int(i) for i in index))]


T = TypeVar("T")
U = TypeVar("U")


class Mapped(Sequence[U], Generic[T, U]):
    """``[fn(x) for x in items]`` computed entry by entry when read (memoized): the symbols,
    labels and printed entries of a large layer, of which a document shows a few."""

    def __init__(self, items: Sequence[T], fn: Callable[[T], U]) -> None:
        self.items, self.fn = items, fn
        self._done: dict[int, U] = {}

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, k: int) -> U: ...

    @overload
    def __getitem__(self, k: slice) -> list[U]: ...

    def __getitem__(self, k: int | slice) -> U | list[U]:
        if isinstance(k, slice):
            return [self[n] for n in range(*k.indices(len(self)))]
        if k < 0:
            k += len(self)
        if k not in self._done:
            self._done[k] = self.fn(self.items[k])
        return self._done[k]

    def __iter__(self) -> Iterator[U]:
        return (self[k] for k in range(len(self)))
