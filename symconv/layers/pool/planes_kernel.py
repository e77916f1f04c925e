"""What the pooling kernels share: the padded input planes, a chunk at a time, in any number of axes.

A kernel module (see :mod:`symconv.codegen.embed`): the definitions a generated module reaches are
copied into every module with a pooling layer.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..window_kernel import Frame


def chunk_of(chunk: int, planes: int) -> int:
    """How many planes a pass takes at a time: at most ``chunk``, at least one."""
    return min(chunk, max(planes, 1))


def frame_padded(frame: Frame) -> bool:
    """Whether the input has any padding or input dilation (its padded planes are not the input's)."""
    return frame.padded != frame.size


def frame_interior(frame: Frame) -> tuple[slice, ...]:
    """Where the input entries lie in a padded plane, per axis: from ``before`` on, ``input_dilation``
    apart (pooling pads, it never crops)."""
    return tuple(
        slice(b, b + u * (n - 1) + 1, u) for b, u, n in zip(frame.before, frame.input_dilation, frame.size, strict=True)
    )


def padded_chunks(
    planes_in: np.ndarray, frame: Frame, chunk: int, fill: float
) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(a, b, Ip)`` for the planes ``a .. b - 1`` of ``planes_in`` (``(planes, *size)``), ``chunk``
    at a time: ``Ip`` is those planes padded (``(b - a, *padded)``), the padding (and an input
    dilation's zeros) holding ``fill``.  With padding, each chunk is copied into one buffer whose
    other entries keep ``fill``; without, ``Ip`` is a view of ``planes_in``."""
    planes = planes_in.shape[0]
    inside = (slice(None), *frame_interior(frame))
    if not frame_padded(frame):
        for a in range(0, planes, chunk):
            yield a, min(a + chunk, planes), planes_in[a : a + chunk]
        return
    padded = np.full((chunk, *frame.padded), fill, planes_in.dtype)
    for a in range(0, planes, chunk):
        b = min(a + chunk, planes)
        Ip = padded[: b - a]
        Ip[inside] = planes_in[a:b]
        yield a, b, Ip


def tap_slice(frame: Frame, axis: int, r: int) -> slice:
    """Along ``axis`` of a padded plane: tap ``r`` of every window, padded entries
    ``r d, r d + s, ...`` (``out`` of them)."""
    d, s, n = frame.dilation[axis], frame.stride[axis], frame.out[axis]
    return slice(r * d, r * d + (n - 1) * s + 1, s)


def along(ndim: int, axis: int, part: slice) -> tuple[slice, ...]:
    """``part`` on ``axis`` of a chunk of planes (the planes first), everything elsewhere."""
    out = [slice(None)] * (ndim + 1)
    out[axis + 1] = part
    return tuple(out)
