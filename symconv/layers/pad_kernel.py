"""Padding's generated code: where the input lies inside the padded (or cropped) planes, and the
copies a padding mode makes (PyTorch's ``reflect``, ``replicate`` and ``circular``), forward
(filled in) and backward (folded back: the gradient of a copy adds into the entry it copies).

A kernel module (see :mod:`symconv.codegen.embed`): NumPy only, the definitions a generated module
reaches copied into every module with a padded convolution or a pad layer. Its two records are read
off the checked window map by ``symconv.layers.window_plan.placement``:

* ``places``, per spatial axis ``(i0, i1, x0, x1)``: input entries ``i0 .. i1 - 1`` sit at
  padded coordinates ``x0, x0 + u, ... < x1`` (``u`` the input dilation; a cropped input has
  ``i0 > 0`` or ``i1 < n``);
* ``copies``, per spatial axis, ``(target, source)`` pairs of padded coordinates: the padded
  entry ``target`` holds a copy of the entry at ``source`` (one that holds an input entry).

The pad layer (``F.pad``) places its whole input in planes that also hold its output (a crop
takes the output from inside them), fills them, and returns the output's window of them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: per axis: input entries ``i0 .. i1 - 1`` at padded coordinates ``x0, x0 + u, ... < x1``
Places = tuple[tuple[int, int, int, int], ...]
#: per axis: ``(target, source)`` padded coordinates of the copies
Copies = tuple[tuple[tuple[int, int], ...], ...]


def pad_slices(places: Places, steps: tuple[int, ...]) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """The slices of the input and of the padded planes (their last ``d`` axes) that hold the
    same entries: ``input[inner] `` lies at ``padded[outer]``."""
    inner = tuple(slice(i0, i1) for i0, i1, _, _ in places)
    outer = tuple(slice(x0, x1, u) for (_, _, x0, x1), u in zip(places, steps, strict=True))
    return inner, outer


def pad_whole(places: Places, size: tuple[int, ...]) -> bool:
    """Whether every input entry lies in the padded planes (nothing cropped)."""
    return all((i0, i1) == (0, n) for (i0, i1, _, _), n in zip(places, size, strict=True))


def pad_fill(X: np.ndarray, copies: Copies) -> None:
    """Fill the padded entries of ``X`` (its last ``d = len(copies)`` axes are the padded planes)
    with the copies, axis by axis: the copies along an axis run over the whole extent of the axes
    before it, so a corner holds the copy of a copy, as PyTorch's padding does."""
    d = len(copies)
    for a, pairs in enumerate(copies):
        lead: tuple[slice | int, ...] = (slice(None),) * (X.ndim - d + a)
        for target, source in pairs:
            X[(*lead, target)] = X[(*lead, source)]


def pad_fold(G: np.ndarray, copies: Copies) -> None:
    """The transpose of :func:`pad_fill`, in place on a gradient ``G`` over the padded planes:
    axis by axis in reverse order, each copy's gradient is added into the entry it copies
    (that entry's Jacobian column sums the copies)."""
    d = len(copies)
    for a in reversed(range(d)):
        lead: tuple[slice | int, ...] = (slice(None),) * (G.ndim - d + a)
        for target, source in copies[a]:
            G[(*lead, source)] += G[(*lead, target)]


class PadPlan(NamedTuple):
    """What a pad layer's passes need: the input's ``size`` and the output's ``out`` per axis,
    the ``planes`` (per axis) that hold both, the input at ``places`` and the output from
    ``start`` on, the ``copies`` of a padding mode and the constant ``value`` the other
    padded entries hold."""

    size: tuple[int, ...]
    out: tuple[int, ...]
    planes: tuple[int, ...]
    start: tuple[int, ...]
    places: Places
    copies: Copies
    value: float


def pad_window(plan: PadPlan) -> tuple[slice, ...]:
    """The output's slices of the planes."""
    return tuple(slice(a, a + n) for a, n in zip(plan.start, plan.out, strict=True))


def pad_forward(A: np.ndarray, plan: PadPlan) -> np.ndarray:
    """``Z = pad(A)`` for a batch ``(N, C, *size)``: the planes filled with ``value``, the input
    at its places, the copies made axis by axis (:func:`pad_fill`), the output's window copied out."""
    steps = (1,) * len(plan.size)
    inner, outer = pad_slices(plan.places, steps)
    X = np.full((*A.shape[:2], *plan.planes), plan.value, A.dtype)
    X[(slice(None), slice(None), *outer)] = A[(slice(None), slice(None), *inner)]
    pad_fill(X, plan.copies)
    return np.ascontiguousarray(X[(slice(None), slice(None), *pad_window(plan))])


def pad_backward(dZ: np.ndarray, plan: PadPlan) -> np.ndarray:
    """``dJ/dA``: ``dZ`` in the output's window of zeroed planes, each copy's gradient folded
    back into the entry it copies (:func:`pad_fold`), the input's places read out."""
    steps = (1,) * len(plan.size)
    inner, outer = pad_slices(plan.places, steps)
    G = np.zeros((*dZ.shape[:2], *plan.planes), dZ.dtype)
    G[(slice(None), slice(None), *pad_window(plan))] = dZ
    pad_fold(G, plan.copies)
    dA = np.zeros((*dZ.shape[:2], *plan.size), dZ.dtype)
    dA[(slice(None), slice(None), *inner)] = G[(slice(None), slice(None), *outer)]
    return dA
