"""Symbols named like the seed's: 1-based entries, channel and layer indices.

``a_{32}`` is row 3, column 2 of a single-channel input; ``a_{1,32}`` is the same entry
of channel 1; inside a network the layer is a superscript, ``a_{1,32}^{[0]}``.  When a
dimension reaches 10 the row and column are separated, ``a_{10,2}``, so names stay
unambiguous.  Names are built here only, from integers; user text never becomes a name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, TypeVar, overload

import numpy as np
import sympy as sp


def entry_name(letter: str, index: tuple[int, ...], *, wide: bool, layer: int | None = None) -> str:
    """The symbol name for 1-based ``index``; the last two indices are (row, col) of a
    matrix when ``len(index) >= 2`` and are joined without a comma unless ``wide``."""
    parts = [str(i) for i in index]
    if len(parts) >= 2 and not wide:
        parts = [*parts[:-2], parts[-2] + parts[-1]]
    name = f"{letter}_{{{','.join(parts)}}}" if parts else letter
    if layer is not None:
        name += f"^{{[{layer}]}}"
    return name


def real(name: str) -> sp.Symbol:
    """Every symbol symconv makes is real."""
    return sp.Symbol(name, real=True)


@dataclass(frozen=True)
class Tensor:
    """A named tensor of symbols: ``shape`` is ``(*lead, h, w)`` (matrices indexed by
    leading channel indices, e.g. ``(c, h, w)`` for an image or ``(c_out, c_in, h_k, w_k)``
    for kernels), or ``(n,)`` (a vector).

    ``name`` is the seed's matrix name (``A``, ``K``, ``Z``...), ``letter`` the entry letter
    (``a``, ``k``, ``z``...).  ``channel_index`` says whether the channel index is part of
    entry names (it is when there are several channels, or inside a network).
    Entries are created on first use.
    """

    name: str
    letter: str
    shape: tuple[int, ...]
    layer: int | None = None
    channel_index: bool = False
    prefix: tuple[int, ...] = field(default=())
    #: a tensor that is another one reshaped (``B`` = stacked ``vec(A_j)``) shares its symbols
    source: Tensor | None = None

    @property
    def wide(self) -> bool:
        return max(self.shape[-2:]) > 9 if len(self.shape) >= 2 else False

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
            if len(self.shape) == 1:
                self._made[k] = self._make(k)
            else:
                h, w = self.shape[-2:]
                block, rest = divmod(k, h * w)
                c, r = divmod(rest, h)
                lead = tuple(int(n) for n in np.unravel_index(block, self.shape[:-2])) if len(self.shape) > 2 else ()
                self._made[k] = self._make(*lead, r, c)
        return self._made[k]

    @cached_property
    def _made(self) -> dict[int, sp.Symbol]:
        """The entries :meth:`symbol` has made so far."""
        return {}

    def view(self, *lead: int) -> Symbols:
        """:meth:`vec` as a lazy sequence: each symbol is made when it is first read."""
        if len(self.shape) == 1:
            return Symbols(self, 0, self.size)
        n = self.shape[-1] * self.shape[-2]
        return Symbols(self, self._block(lead) * n, n)

    def grid(self, *lead: int) -> Grid:
        """:meth:`matrix` as a lazy grid (``shape`` and ``[r, c]`` only), for elided printing
        and window look-ups of large layers."""
        h, w = self.shape[-2:]
        return Grid(self.view(*lead), (h, w))

    def flat_index(self, *index: int) -> int:
        """Position in :attr:`flat`: leading indices in row-major order, each matrix in vec
        (column-major) order."""
        if len(index) != len(self.shape):
            raise IndexError(f"{self.name} takes {len(self.shape)} indices")
        for i, n in zip(index, self.shape, strict=True):
            if not 0 <= i < n:
                raise IndexError(f"index {index} out of range for {self.name} of shape {self.shape}")
        if len(self.shape) == 1:
            return index[0]
        *lead, r, c = index
        h, w = self.shape[-2:]
        block = int(np.ravel_multi_index(lead, self.shape[:-2])) if lead else 0
        return block * h * w + c * h + r

    @cached_property
    def flat(self) -> list[sp.Symbol]:
        """All entries in the seed's vec order: ``[vec(X_1); vec(X_2); ...]``."""
        if self.source is not None:
            return self.source.flat
        if len(self.shape) == 1:
            return [self._make(i) for i in range(self.shape[0])]
        h, w = self.shape[-2:]
        leads = list(np.ndindex(*self.shape[:-2]))
        return [self._make(*lead, r, c) for lead in leads for c in range(w) for r in range(h)]

    def _make(self, *index: int) -> sp.Symbol:
        one_based = tuple(i + 1 for i in index)
        if len(index) == 1 and self.shape == (1,) and not self.channel_index:
            one_based = ()
        if len(index) > 2 and not self.channel_index:
            one_based = one_based[-2:]
        return real(entry_name(self.letter, self.prefix + one_based, wide=self.wide, layer=self.layer))

    def _block(self, lead: tuple[int, ...]) -> int:
        if len(lead) != len(self.shape) - 2:
            raise IndexError(f"{self.name} takes {len(self.shape) - 2} channel indices, got {len(lead)}")
        return int(np.ravel_multi_index(lead, self.shape[:-2])) if lead else 0

    def matrix(self, *lead: int) -> sp.ImmutableMatrix:
        """The ``h x w`` SymPy matrix at channel indices ``lead`` (a column for a vector)."""
        if len(self.shape) == 1:
            return sp.ImmutableMatrix(self.flat)
        h, w = self.shape[-2:]
        base = self._block(lead) * h * w
        return sp.ImmutableMatrix(h, w, lambda r, c: self.flat[base + c * h + r])

    def vec(self, *lead: int) -> list[sp.Symbol]:
        """``vec`` of the matrix at channel indices ``lead``, as a list."""
        if len(self.shape) == 1:
            return self.flat
        n = self.shape[-1] * self.shape[-2]
        base = self._block(lead) * n
        return self.flat[base : base + n]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def values(self, array: np.ndarray) -> dict[sp.Symbol, object]:
        """Map each entry to the matching number of ``array`` (shaped like the tensor)."""
        arr = np.asarray(array)
        if arr.shape != self.shape:
            raise ValueError(f"{self.name} needs an array of shape {self.shape}, got {arr.shape}")
        return dict(zip(self.flat, vec_order(arr).tolist(), strict=True))


def vec_order(array: np.ndarray) -> np.ndarray:
    """Flatten like :attr:`Tensor.flat`: leading axes row-major, the last two column-major."""
    arr = np.asarray(array)
    if arr.ndim < 2:
        return arr.reshape(-1)
    return np.swapaxes(arr, -1, -2).reshape(-1)


def unvec(v: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`vec_order`: values in vec order back to an array of ``shape``."""
    if len(shape) == 1:
        return np.asarray(v).reshape(shape)
    swapped = (*shape[:-2], shape[-1], shape[-2])
    return np.swapaxes(np.asarray(v).reshape(swapped), -1, -2)


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
    """An ``h x w`` matrix of lazily made symbols, read as ``grid[r, c]`` (column-major
    over ``items``); enough of a matrix for :func:`symconv.ops.window` and for printing."""

    items: Sequence[sp.Expr]
    shape: tuple[int, int]

    def __getitem__(self, rc: tuple[int, int]) -> sp.Expr:
        r, c = rc
        h, w = self.shape
        if not (0 <= r < h and 0 <= c < w):
            raise IndexError(f"({r}, {c}) is outside a {h}x{w} matrix")
        return self.items[c * h + r]


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
