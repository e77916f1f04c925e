"""What the average- and max-pooling kernels share: the padded input planes, a chunk at a time.

A kernel module (see :mod:`symconv.codegen.embed`): its source is copied into every generated
module with a pooling layer.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..window_kernel import Window


def chunk_of(chunk: int, planes: int) -> int:
    """How many planes a pass takes at a time: at most ``chunk``, at least one."""
    return min(chunk, max(planes, 1))


def padded_chunks(planes_in: np.ndarray, win: Window, chunk: int, fill: float) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(a, b, Ip)`` for the planes ``a .. b - 1`` of ``planes_in`` (``(planes, h, w)``), ``chunk``
    at a time: ``Ip`` is those planes padded (``(b - a, hp, wp)``), the padding holding ``fill``.
    With padding, each chunk is copied into the middle of one buffer whose border keeps ``fill``;
    without, ``Ip`` is a view of ``planes_in``."""
    planes = planes_in.shape[0]
    if not win.padded:
        for a in range(0, planes, chunk):
            yield a, min(a + chunk, planes), planes_in[a : a + chunk]
        return
    padded = np.full((chunk, win.hp, win.wp), fill, planes_in.dtype)
    rows, cols = win.interior
    for a in range(0, planes, chunk):
        b = min(a + chunk, planes)
        Ip = padded[: b - a]
        Ip[:, rows, cols] = planes_in[a:b]
        yield a, b, Ip
