"""vec Jacobians stored sparsely: one triplet per structural nonzero.

A :class:`VecJacobian` is ``d vec(Y) / d vec(X)`` in numerator layout (``m x n`` for
``Y`` with ``m`` entries and ``X`` with ``n``, seed 3.2).  Entry values are not stored
one SymPy object per nonzero: each triplet carries an id into a small value table
(the input's symbols for ``dZ/dK``, the kernel's for ``dZ/dA``, one constant for
average pooling, ``f'(z_pq)`` for an activation), so building a Jacobian costs a few
NumPy operations on index arrays, proportional to the number of nonzeros.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

import numpy as np
import sympy as sp

Env = Mapping[sp.Symbol, float]


class Table(Protocol):
    """Values of a Jacobian's entries, looked up by id."""

    def __len__(self) -> int: ...

    def __getitem__(self, k: int) -> sp.Expr: ...

    def numeric(self, env: Env) -> np.ndarray: ...


@dataclass(frozen=True)
class Exprs:
    """A table of given SymPy expressions (symbols, numbers, or small formulas)."""

    items: Sequence[sp.Expr]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, k: int) -> sp.Expr:
        return self.items[k]

    def numeric(self, env: Env) -> np.ndarray:
        out = np.empty(len(self.items))
        for k, e in enumerate(self.items):
            out[k] = env[e] if isinstance(e, sp.Symbol) else float(sp.sympify(e).xreplace(dict(env)))
        return out


def _substituter(expr: sp.Basic, x: sp.Symbol) -> Callable[[sp.Expr], sp.Expr]:
    """``z -> expr.xreplace({x: z})`` for a symbol ``z`` like ``x``, without SymPy's
    re-evaluation of every node (``x`` and ``z`` are both real symbols, so the
    evaluated form of ``expr`` stays evaluated; the tests compare entries with SymPy's
    own derivative).  About ten times faster than ``xreplace``."""
    if expr == x:
        return lambda z: z
    if not expr.args or x not in expr.free_symbols:
        return lambda z: expr
    parts = [_substituter(a, x) for a in expr.args]
    func = expr.func
    try:
        func(*expr.args, evaluate=False)
        takes_evaluate = True
    except TypeError:
        takes_evaluate = False
    if takes_evaluate:
        return lambda z: func(*[p(z) for p in parts], evaluate=False)
    return lambda z: func(*[p(z) for p in parts])


@dataclass(frozen=True)
class Applied:
    """Entry ``k`` is ``rule(args[k])``: one derivative rule applied entrywise (3.1.4).

    Entries are built when first asked for; numeric values come from the rule
    evaluated on all arguments at once."""

    rule: sp.Lambda
    args: Sequence[sp.Symbol]

    def __len__(self) -> int:
        return len(self.args)

    def __getitem__(self, k: int) -> sp.Expr:
        if k not in self._cache:
            self._cache[k] = self._builder(self.args[k])
        return self._cache[k]

    @cached_property
    def _builder(self) -> Callable[[sp.Expr], sp.Expr]:
        (x,) = self.rule.variables
        return _substituter(self.rule.expr, x)

    @cached_property
    def _cache(self) -> dict[int, sp.Expr]:
        return {}

    @cached_property
    def _fn(self):  # type: ignore[no-untyped-def]
        (x,) = self.rule.variables
        # lambdify prints our own rule (never user text) to NumPy code
        return sp.lambdify(x, self.rule.expr, modules="numpy")

    def numeric(self, env: Env) -> np.ndarray:
        x = np.array([env[a] for a in self.args], dtype=float)
        return np.broadcast_to(np.asarray(self._fn(x), dtype=float), x.shape).copy()


@dataclass(frozen=True)
class Summed:
    """Entry ``g`` is the sum of the entries ``members[starts[g]:starts[g + 1]]`` of ``base``:
    a Jacobian entry that several terms reach (a padding mode copies an input entry into
    several places of one window, and their kernel entries add up)."""

    base: Table
    starts: np.ndarray
    members: np.ndarray

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, k: int) -> sp.Expr:
        return sp.Add(*[self.base[int(m)] for m in self.members[self.starts[k] : self.starts[k + 1]]])

    def numeric(self, env: Env) -> np.ndarray:
        if not self.members.size:
            return np.zeros(0)
        return np.add.reduceat(self.base.numeric(env)[self.members], self.starts[:-1])

    def rebase(self, base: Table) -> Summed:
        """The same sums over another table."""
        return Summed(base, self.starts, self.members)


@dataclass(frozen=True)
class VecJacobian:
    """``d vec(Y) / d vec(X)``: triplets ``(rows[k], cols[k], table[ids[k]])``, sorted
    column by column (each column is the derivative w.r.t. one entry of ``X``).

    ``of`` and ``wrt`` are the LaTeX names of ``vec(Y)`` and ``vec(X)``.
    """

    shape: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    ids: np.ndarray
    table: Table
    of: str = "Y"
    wrt: str = "X"

    @staticmethod
    def build(
        shape: tuple[int, int],
        rows: np.ndarray,
        cols: np.ndarray,
        ids: np.ndarray,
        table: Table,
        of: str,
        wrt: str,
    ) -> VecJacobian:
        """Broadcast the three index arrays together, sort the triplets column by column
        and freeze them."""
        flat = [a.reshape(-1) for a in np.broadcast_arrays(*(np.asarray(a, dtype=np.int64) for a in (rows, cols, ids)))]
        order = np.lexsort((flat[0], flat[1]))
        rows, cols, ids = (a[order] for a in flat)
        for a in (rows, cols, ids):
            a.setflags(write=False)
        return VecJacobian(shape, rows, cols, ids, table, of, wrt)

    @staticmethod
    def build_summed(
        shape: tuple[int, int],
        rows: np.ndarray,
        cols: np.ndarray,
        ids: np.ndarray,
        table: Table,
        of: str,
        wrt: str,
    ) -> VecJacobian:
        """:meth:`build` where a ``(row, column)`` pair may come more than once: its values
        add up into one entry (a :class:`Summed` table over ``table``)."""
        jac = VecJacobian.build(shape, rows, cols, ids, table, of, wrt)
        if jac.nnz < 2:
            return jac
        new = np.flatnonzero((np.diff(jac.rows) != 0) | (np.diff(jac.cols) != 0)) + 1
        if new.size == jac.nnz - 1:
            return jac
        starts = np.concatenate([[0], new, [jac.nnz]]).astype(np.int64)
        keep = starts[:-1]
        summed = Summed(table, starts, np.array(jac.ids))
        out = [np.array(a[keep]) for a in (jac.rows, jac.cols)] + [np.arange(keep.size, dtype=np.int64)]
        for a in out:
            a.setflags(write=False)
        return VecJacobian(shape, out[0], out[1], out[2], summed, of, wrt)

    def with_values(self, table: Table, of: str, wrt: str) -> VecJacobian:
        """The same sparsity pattern and ids with another value table and names (sums of
        entries stay sums, of the new table's entries)."""
        if isinstance(self.table, Summed):
            table = self.table.rebase(table)
        return VecJacobian(self.shape, self.rows, self.cols, self.ids, table, of, wrt)

    @property
    def nnz(self) -> int:
        return int(self.rows.size)

    @property
    def T(self) -> VecJacobian:  # noqa: N802 - matrix transpose, as in NumPy and SymPy
        """The transpose: a gradient is the transpose of a Jacobian (seed 3.2)."""
        return VecJacobian.build(
            (self.shape[1], self.shape[0]), self.cols, self.rows, self.ids, self.table, self.wrt, self.of
        )

    def _position(self, r: int, c: int) -> int | None:
        """Where ``(r, c)`` is among the triplets (sorted by column, then row), by binary
        search: no index of every nonzero is built to read a few entries."""
        lo, hi = (int(k) for k in np.searchsorted(self.cols, [c, c + 1]))
        k = lo + int(np.searchsorted(self.rows[lo:hi], r))
        return k if k < hi and int(self.rows[k]) == r else None

    def __getitem__(self, rc: tuple[int, int]) -> sp.Expr:
        r, c = rc
        if not (0 <= r < self.shape[0] and 0 <= c < self.shape[1]):
            raise IndexError(f"({r}, {c}) is outside a {self.shape[0]}x{self.shape[1]} Jacobian")
        k = self._position(r, c)
        return sp.S.Zero if k is None else self.table[int(self.ids[k])]

    def column(self, c: int) -> list[tuple[int, sp.Expr]]:
        """The nonzeros of column ``c``: ``(row, value)`` pairs."""
        lo, hi = np.searchsorted(self.cols, [c, c + 1])
        return [(int(self.rows[k]), self.table[int(self.ids[k])]) for k in range(lo, hi)]

    def to_matrix(self) -> sp.SparseMatrix:
        """The Jacobian as a SymPy sparse matrix, every entry materialised.

        (A mutable ``SparseMatrix``: SymPy's immutable one sorts its entries on
        construction, which costs twenty times more.)"""
        values = [self.table[k] for k in range(len(self.table))]
        entries = {
            (r, c): values[i] for r, c, i in zip(self.rows.tolist(), self.cols.tolist(), self.ids.tolist(), strict=True)
        }
        return sp.SparseMatrix(self.shape[0], self.shape[1], entries)

    def numeric_values(self, env: Env | None = None) -> np.ndarray:
        """The value of every stored entry, in triplet order (``env`` as for :meth:`to_numpy`).

        A symbol without a number is a ``TypeError`` that says what to pass."""
        if not self.nnz:
            return np.zeros(0)
        try:
            return self.table.numeric(env or {})[self.ids]
        except (KeyError, TypeError):  # a symbol without a number (TypeError: SymPy's float())
            raise self._needs_values(env) from None

    def _needs_values(self, env: Env | None) -> TypeError:
        message = (
            f"{self!r} has symbolic entries; use .to_numpy(values) with numbers for its symbols "
            "(a dict symbol -> float), or sp.Matrix(J) / .to_matrix() for the symbolic matrix"
        )
        if env:
            entries = (sp.sympify(self.table[k]) for k in range(len(self.table)))
            missing = next((x for e in entries for x in sorted(e.free_symbols, key=str) if x not in env), None)
            if missing is not None:
                message += f"; values has no number for {missing}"
        return TypeError(message)

    def to_numpy(self, env: Env | None = None) -> np.ndarray:
        """A dense float array; ``env`` gives numbers for the symbols the entries use (a dict
        symbol -> float; a Jacobian whose entries are numbers needs none)."""
        out = np.zeros(self.shape)
        np.add.at(out, (self.rows, self.cols), self.numeric_values(env))
        return out

    def __array__(self, dtype: np.typing.DTypeLike | None = None, copy: bool | None = None) -> np.ndarray:
        """NumPy gets the numbers of a Jacobian whose entries are numbers (average pooling,
        an identity) and a ``TypeError`` for a symbolic one.  SymPy's ``Matrix(J)`` asks
        through this same method, with the same arguments, so the caller's module tells
        the two apart: SymPy gets the entries as SymPy objects."""
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller.startswith("sympy."):
            out = np.empty(self.shape, dtype=object)
            out[...] = sp.S.Zero
            for r, c, i in zip(self.rows.tolist(), self.cols.tolist(), self.ids.tolist(), strict=True):
                out[r, c] = self.table[i]
            return out
        values = self.to_numpy()
        return values if dtype is None else values.astype(dtype)

    def to_scipy(self, env: Env | None = None) -> Any:
        """A ``scipy.sparse.csc_array`` of the values (``env`` as for :meth:`to_numpy`);
        needs SciPy (``pip install 'symconv[scipy]'``)."""
        try:
            from scipy import sparse
        except ImportError:
            raise ImportError("to_scipy needs SciPy: pip install 'symconv[scipy]'") from None
        return sparse.csc_array((self.numeric_values(env), (self.rows, self.cols)), shape=self.shape)

    def rmatvec(self, g: np.ndarray, env: Env | None = None) -> np.ndarray:
        """``g @ J`` for a row vector (or rows) ``g``: the chain rule's step, numerically."""
        g = np.asarray(g, dtype=float)
        vals = self.numeric_values(env)
        contrib = g[..., self.rows] * vals
        out = np.zeros((*g.shape[:-1], self.shape[1]))
        for idx in np.ndindex(*g.shape[:-1]):
            out[idx] = np.bincount(self.cols, weights=contrib[idx], minlength=self.shape[1])
        return out

    def rmul_symbolic(self, g: Sequence[sp.Expr]) -> list[sp.Expr]:
        """``g J`` for a symbolic row vector ``g`` (small shapes)."""
        out: list[list[sp.Expr]] = [[] for _ in range(self.shape[1])]
        for r, c, i in zip(self.rows, self.cols, self.ids, strict=True):
            out[int(c)].append(g[int(r)] * self.table[int(i)])
        return [sp.Add(*terms) for terms in out]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, VecJacobian):
            return self.shape == other.shape and self.to_matrix() == other.to_matrix()
        if isinstance(other, sp.MatrixBase):
            return self.to_matrix() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"VecJacobian(d {plain(self.of)}/d {plain(self.wrt)}, shape={self.shape}, nnz={self.nnz})"


def plain(name: str) -> str:
    """A LaTeX name as plain text: ``{}_v\\mathbf{Z}_{1}^{[2]}`` -> ``vZ_1^[2]``."""
    text = name.replace("{}_v", "v").replace("\\operatorname", "")
    text = re.sub(r"\\mathbf\{([^{}]*)\}", r"\1", text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    return text.replace("{", "").replace("}", "")
