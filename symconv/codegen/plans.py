"""What goes into each generated layer: data read off the core's derivation objects.

Each layer kind's home has a planner (``symconv/layers/*/plan.py``, registered as the kind's
``plan``) that turns its derivation into a :class:`Block`: the template that lays it out, the
kernel modules whose algorithms it calls (``symconv/layers/*/*_kernel.py``, see
:mod:`symconv.codegen.embed`) and the numbers it binds, most of them as a kernel's plan record
(shapes, slice starts and steps, coefficients, printed expressions, Jacobian index tables).
Every number comes from the derivation (the window map, the vec Jacobians, the activation's
SymPy derivative) and is checked against it at generation time with
:func:`symconv.errors.require`, which raises :class:`PlanError` (also under
``python -O``).  This module holds what the planners share: the block types, the size
constants and the run algebra of the pooling backward passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from ..geometry import Geometry
from ..layers.window_kernel import Frame, Window
from .printer import identifier, literal_lines, record_lines, tuple_text

#: the largest dense vec Jacobian (entries) a generated ``jacobians`` function returns
JACOBIAN_LIMIT = 1_000_000
#: the conv passes gather the windows of this many bytes (float64) at a time, to stay in cache
CHUNK_BYTES = 1 << 21
#: a stride-1 conv takes about this many (padded) output positions per chunk, its products
#: then being wide enough for the BLAS; fewer when its windows would take more than FLAT_BYTES
#: (float64), so that a many-channel layer's work space stays near the CPU cache
FLAT_COLUMNS = 4096
FLAT_BYTES = 1 << 23
#: a grouped stride-1 conv with at most this many input channels per group (and not depthwise)
#: takes the row-wise path of ``conv_kernel.py`` (``h_k`` products per group on ``w_k`` copies of
#: the planes) instead of gathering ``h_k w_k`` copies of every window.  Measured forward +
#: backward, N=8, 3x3 (128x28x28 and 64x56x56): row-wise was 1.28 to 2.6 times faster from 2
#: to 32 channels per group, and 0.94 to 1.4 times at 64 (slower once); with one channel per
#: group and 2 or 4 kernels each (a channel multiplier), 1.7 to 2.1 times, and 0.97
ROWWISE_CHANNELS = 32
#: the pooling backward passes fill this many bytes of input planes (float64) at a time, so a
#: chunk's planes are still in the CPU cache when they are zeroed, scattered into or summed
POOL_CHUNK_BYTES = 1 << 19
#: the pooling forward passes sweep this many bytes of padded input planes (float64) at a time
POOL_FORWARD_CHUNK_BYTES = 1 << 20
#: the max-pool backward pass looks up the routes of two neighbouring outputs at once up to
#: this window size (its table has 256 (h_l w_l + 1) rows of two offsets, 68 KiB at 16)
PAIR_WINDOW_LIMIT = 16
#: tiled average pooling spreads the columns with ``np.repeat`` from this window width on
REPEAT_FROM = 4
#: arrays this large are allocated as fresh, already zeroed pages (glibc's largest mmap
#: threshold), so the max-pool backward pass takes them from ``np.zeros`` and does not zero them again
FRESH_BYTES = 1 << 25
#: index tables longer than this are not written into a module (its ``jacobians`` refuses)
TABLE_LIMIT = 20_000


@dataclass(frozen=True)
class Call:
    """One line of a network's chain: ``outs = fn(args)`` (layout data for the template)."""

    outs: tuple[str, ...]
    fn: str
    args: tuple[str, ...]


@dataclass
class Block:
    """A layer's generated code: ``template`` rendered with ``context``, plus how a
    network module calls it (``forward``, ``backward`` and, for the loss, ``loss``), the
    kernel modules whose algorithms its template calls (copied into the module, see
    :mod:`symconv.codegen.embed`) and the plan records it binds, by name (for tests that run
    the kernels without generating a module)."""

    template: str
    context: dict[str, Any]
    forward: Call
    backward: Call
    loss: Call | None = None
    params: dict[str, str] = field(default_factory=dict)  # name in the layer -> network key
    kernels: tuple[str, ...] = ()
    records: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Names:
    """How a block names its functions (``{fn}forward``) and constants (``{const}HK``),
    and, inside a network, its input, output and parameters."""

    fn: str = ""
    const: str = "_"
    x_in: str = "x"
    x_out: str = "y"
    saved: str = "saved"
    keys: dict[str, str] = field(default_factory=dict)

    def param(self, name: str) -> str:
        return f'params["{identifier(self.keys.get(name, name))}"]'

    def grad(self, name: str) -> str:
        return f'grads["{identifier(self.keys.get(name, name))}"]'


def shape_text(shape: tuple[int, ...]) -> str:
    return tuple_text(shape)


def constants(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    for name, _ in pairs:
        identifier(name)
    return pairs


def table(name: str, values: list[object]) -> dict[str, Any]:
    return {"name": identifier(name), "lines": literal_lines(values)}


def index_tables(prefix: str, fits: bool, nnz: int, columns: dict[str, Any]) -> list[dict[str, Any]]:
    """The index tables a module's ``jacobians`` builds its dense Jacobians from, named
    ``prefix + name`` in the order given, when the Jacobians are small enough (``fits``) and
    the tables short enough (``nnz <= TABLE_LIMIT``); else none, and ``jacobians`` refuses."""
    if not fits or nnz > TABLE_LIMIT:
        return []
    return [table(f"{prefix}{name}", [int(v) for v in values]) for name, values in columns.items()]


def frame(m: Geometry) -> Frame:
    """The geometry of a conv or pooling kernel module along every axis, read off the window map."""
    return Frame(
        m.input,
        m.padded,
        m.output,
        tuple(a.before for a in m.axes),
        m.stride,
        m.dilation,
        m.kernel,
        m.input_dilation,
        m.mode,
    )


def window(m: Geometry) -> Window:
    """The window geometry of a pooling or conv kernel module, read off the checked slice model."""
    t, _b, left, _right = m.padding
    (h, w), (hp, wp), (hz, wz) = m.input, m.padded, m.output
    (sh, sw), (dh, dw), (hl, wl) = m.stride, m.dilation, m.kernel
    return Window(h, w, hp, wp, hz, wz, t, left, sh, sw, dh, dw, hl, wl)


def window_plan_lines(c: str, record: Any, text: dict[str, str]) -> list[str]:
    """The lines that bind a windowed kind's plan record: ``{c}WINDOW = Window(...)``, then
    ``{c}PLAN = ...(window={c}WINDOW, ...)``, the fields of ``text`` written as that source (the
    names of the tables written before them), the others as literals."""
    window_lines = record_lines(f"{c}WINDOW = ", record.window)
    return window_lines + record_lines(f"{c}PLAN = ", record, {"window": f"{c}WINDOW", **text})


def offsets(m: Geometry) -> list[tuple[int, ...]]:
    """``(*r, start_1, stop_1, ..., start_d, stop_d)`` of the strided slice of the padded input
    behind kernel position ``r`` (in 2-D ``(r, s, row start, row stop, column start, column
    stop)``), the positions in C order (row-major over the kernel)."""
    d = m.ndim
    starts, stops = [m.starts(a) for a in range(d)], [m.stops(a) for a in range(d)]
    return [(*r, *(v for a in range(d) for v in (starts[a][r[a]], stops[a][r[a]]))) for r in np.ndindex(*m.kernel)]


def placement(m: Geometry) -> tuple[tuple[tuple[int, int, int, int], ...], tuple[tuple[tuple[int, int], ...], ...]]:
    """Where the input lies in the padded planes and what a padding mode copies, per axis, read
    off the window map's :meth:`Axis.source`: ``(i0, i1, x0, x1)`` (input entries ``i0 .. i1 - 1``
    at padded coordinates ``x0, x0 + u, ... < x1``) and the ``(target, source)`` padded
    coordinates of the copies (``pad_kernel.py``)."""
    places, copies = [], []
    for axis in m.axes:
        x = np.arange(axis.padded)
        held = np.asarray(axis.source(x))
        # the padded coordinate of each input entry: where it is held as itself (not a copy)
        t = x - axis.before
        own = (held >= 0) & (t >= 0) & (t < axis.dilated) & (t % axis.input_dilation == 0)
        at = x[own]
        inputs = held[own]
        if at.size:
            places.append((int(inputs[0]), int(inputs[-1]) + 1, int(at[0]), int(at[-1]) + 1))
        else:
            places.append((0, 0, 0, 0))
        where = dict(zip(inputs.tolist(), at.tolist(), strict=True))
        copies.append(tuple((int(y), where[int(i)]) for y, i in zip(x, held, strict=True) if i >= 0 and not own[y]))
    return tuple(places), tuple(copies) if any(copies) else ()


def holding(
    places: tuple[tuple[int, int, int, int], ...],
    copies: tuple[tuple[tuple[int, int], ...], ...],
    padded: tuple[int, ...],
    steps: tuple[int, ...],
) -> tuple[np.ndarray, ...]:
    """Per axis, the input entry each padded coordinate holds (-1: zero) once the kernels have
    placed the input by ``places`` and made the ``copies``: what generation checks against
    the core's Jacobians."""
    out = []
    for a, ((i0, i1, x0, x1), n, u) in enumerate(zip(places, padded, steps, strict=True)):
        held = np.full(n, -1, np.int64)
        held[x0:x1:u] = np.arange(i0, i1)
        for target, source in copies[a] if copies else ():
            held[target] = held[source]
        out.append(held)
    return tuple(out)


def input_lines(m: Geometry) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """For each window row ``r``: the unpadded input row that output row ``p`` reads there, or
    -1 in the padding (and the same for columns); read off the checked slice model."""
    rows, cols = m.positions()
    t, _, left, _ = m.padding
    h, w = m.input
    r_in = rows[:, 0, :, 0].T - t  # [r, p]
    c_in = cols[0, :, 0, :].T - left  # [s, q]
    r_in = np.where((r_in >= 0) & (r_in < h), r_in, -1)
    c_in = np.where((c_in >= 0) & (c_in < w), c_in, -1)
    return [tuple(int(v) for v in row) for row in r_in], [tuple(int(v) for v in col) for col in c_in]


Run = tuple[int, int, tuple[int, ...]]


def spread_runs(lines: list[tuple[int, ...]], size: int, step: int) -> list[Run]:
    """The backward spread along one axis as write-once runs ``(i0, i1, starts)``: the input
    rows ``i0, i0 + step, ... < i1`` (``m`` of them) receive the sum, over ``p0`` in ``starts``
    (in window-row order), of the output rows ``p0 .. p0 + m - 1``; no starts: no window reads
    those rows.  ``lines[r][p]`` is the input row window row ``r`` of output row ``p`` holds
    (-1 in the padding).  Every input row is in exactly one run, so each is written once."""
    terms: list[list[tuple[int, int]]] = [[] for _ in range(size)]  # (r, p) reading input row i
    for r, line in enumerate(lines):
        for p, i in enumerate(line):
            if i >= 0:
                terms[i].append((r, p))

    def continues(head: list[tuple[int, int]], here: list[tuple[int, int]], shift: int) -> bool:
        """Whether ``here`` reads the same window rows as ``head``, each ``shift`` outputs on."""
        return [r for r, _ in here] == [r for r, _ in head] and all(
            p == p0 + shift for (_, p), (_, p0) in zip(here, head, strict=True)
        )

    runs: list[Run] = []
    for residue in range(min(step, size)):
        rows = range(residue, size, step)
        start = 0
        for k in range(1, len(rows) + 1):
            if k < len(rows) and continues(terms[rows[start]], terms[rows[k]], k - start):
                continue
            runs.append((rows[start], rows[k - 1] + 1, tuple(p for _, p in terms[rows[start]])))
            start = k
    return sorted(runs)


def whole_classes(
    runs: list[Run], size: int, step: int, source: int
) -> tuple[list[tuple[int, tuple[int, ...]]], list[Run]]:
    """When ``size == step * source`` (each row of the target holds ``step`` entries per source
    entry), a run's entries ``e, e + step, ...`` form, over all the rows of a chunk, one evenly
    spaced slice of the flattened target, and its sources shifted slices of the flattened
    source.  For each residue class ``e`` its longest run is so written over the whole class
    at once: ``(e, shifts)``, shift ``p0 - i0 // step`` per start (entries of other runs get
    wrong sums there); the runs left are written after it and overwrite those entries."""
    if size != step * source:
        return [], runs
    classes, rest = [], []
    for e in range(step):
        mine = [run for run in runs if run[0] % step == e]
        longest = max(mine, key=lambda run: len(range(run[0], run[1], step)))
        classes.append((e, tuple(p0 - longest[0] // step for p0 in longest[2])))
        rest += [run for run in mine if run is not longest]
    return classes, sorted(rest)


def run_terms(runs: list[Run], size: int, step: int) -> list[list[int]]:
    """``[i]``: the output rows the runs add into input row ``i`` (to check them against the core)."""
    out: list[list[int]] = [[] for _ in range(size)]
    for i0, i1, starts in runs:
        for k, i in enumerate(range(i0, i1, step)):
            out[i] += [p0 + k for p0 in starts]
    return out


def sorted_rows(*columns: Any) -> bytes:
    """The rows of equally long integer columns, sorted, as bytes: two sets of index tuples (a
    plan's and a Jacobian's triplets) are equal when these are, at NumPy's speed."""
    stacked = np.stack([np.asarray(x, np.int64).reshape(-1) for x in columns])
    return stacked[:, np.lexsort(stacked[::-1])].tobytes()


def unit_divisors(table: Any) -> np.ndarray:
    """For each value of a sparse Jacobian's table, ``D`` when the value is ``1/D`` for a nonzero
    integer ``D`` (an averaging weight), else 0."""
    values = [sp.Rational(v) for v in table]
    return np.array([v.p * v.q if v.p in (1, -1) else 0 for v in values], np.int64)


def jacobian_size(shapes: list[tuple[int, int]], count: int) -> tuple[int, bool]:
    entries = max(a * b for a, b in shapes) * count
    return entries, entries <= JACOBIAN_LIMIT
