"""What the planners of the windowed kinds (convolution, pooling, padding) share: the kernel
frame and the strided slices read off the window map, and where a padding mode's copies go."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..codegen.printer import record_lines
from ..geometry import Geometry
from .window_kernel import Frame


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


def frame_plan_lines(c: str, record: Any, text: dict[str, str]) -> list[str]:
    """The lines that bind a windowed kind's plan record read in any number of axes:
    ``{c}FRAME = Frame(...)``, then ``{c}PLAN = ...(frame={c}FRAME, ...)``, the fields of ``text``
    written as that source (the names of the tables written before them), the others as literals."""
    frame_lines = record_lines(f"{c}FRAME = ", record.frame)
    return frame_lines + record_lines(f"{c}PLAN = ", record, {"frame": f"{c}FRAME", **text})


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
