# ruff: noqa: N803, E741 - the seed's names I and dA
"""Average pooling's kernel functions (``symconv/layers/pool/avg_kernel.py``) run directly on the
plan records generation binds, against the reference loops: every path of the backward pass
(tiles spread by ``np.repeat``, tiles, column classes, runs only, gaps between windows),
padding with each divisor rule, dilation, and chunks of one, two and three planes, so every
chunk boundary is crossed."""

from __future__ import annotations

import numpy as np
import pytest
import reference_loops as ref
from tools import kernel_plan

import symconv
from symconv.layers.pool.avg_kernel import avgpool_backward, avgpool_forward, avgpool_spreads

RNG = np.random.default_rng(31)

#: (input, window, padding, stride, dilation, ceil_mode, count_include_pad, divisor_override, the path)
CASES = [
    ((8, 12), (2, 4), 0, (2, 4), 1, False, True, None, "tiles, columns by np.repeat"),
    ((6, 6), (3, 3), 0, (3, 3), 1, False, True, None, "tiles"),
    ((9, 10), (3, 3), 1, (2, 2), 1, False, True, None, "overlapping, column classes and runs"),
    ((7, 9), (3, 3), 1, (1, 1), 1, False, True, None, "stride 1"),
    ((9, 8), (2, 3), (1, 0, 2, 1), (1, 2), 1, False, True, None, "per-side padding"),
    ((10, 11), (2, 2), 0, (3, 4), 1, False, True, None, "gaps between the windows"),
    ((9, 10), (2, 3), (1, 1, 2, 2), (2, 1), (2, 3), False, True, None, "dilation"),
    ((7, 9), (3, 2), 1, (2, 2), 1, True, False, None, "ceil mode, padding not counted"),
    ((8, 7), (3, 3), (1, 1, 0, 0), (2, 3), 1, True, True, 5, "divisor override"),
]
IDS = [c[-1] for c in CASES]


def _spec(inp, window, pad, stride, dil, ceil, include, divisor):
    return symconv.AvgPool2D(
        input=inp,
        window=window,
        padding=pad,
        stride=stride,
        dilation=dil,
        channels=2,
        ceil_mode=ceil,
        count_include_pad=include,
        divisor_override=divisor,
    )


def _reference(spec, I):
    """The forward pass of the reference loops: the seed's (with dilation) or PyTorch's rules."""
    if spec.dilation != (1, 1):
        return ref.avgpool_forward(I, spec.window, spec.padding, spec.stride, spec.dilation)
    return ref.avgpool_forward_pt(
        I, spec.window, spec.padding, spec.stride, spec.ceil_mode, spec.count_include_pad, spec.divisor_override
    )


def _reference_backward(spec, dA, in_shape):
    """The transpose of the reference forward pass (a linear map), applied to ``dA``: column
    ``e`` of its matrix is the forward pass of the ``e``-th unit input."""
    n, c = in_shape[:2]
    plane = in_shape[2:]
    units = np.eye(plane[0] * plane[1]).reshape(-1, 1, *plane)
    columns = _reference(spec, units).reshape(units.shape[0], -1)  # [input entry, output entry]
    return np.einsum("eo,nco->nce", columns, dA.reshape(n, c, -1)).reshape(in_shape)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("chunk", [None, 1, 2, 3])
def test_kernel_matches_the_reference_loops(case, chunk):
    spec = _spec(*case[:-1])
    plan = kernel_plan(spec)
    if chunk is not None:  # small chunks: every chunk boundary of the passes is crossed
        plan = plan._replace(forward_chunk=chunk, chunk=chunk)
    I = RNG.standard_normal((3, 2, *spec.input))
    A = avgpool_forward(I, plan)
    np.testing.assert_allclose(A, _reference(spec, I), rtol=1e-12, atol=1e-12)
    dA = RNG.standard_normal(A.shape)
    dI = avgpool_backward(dA, plan, avgpool_spreads(plan))
    np.testing.assert_allclose(dI, _reference_backward(spec, dA, I.shape), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_kernel_keeps_float32_and_takes_an_empty_batch(case):
    spec = _spec(*case[:-1])
    plan = kernel_plan(spec)
    I = RNG.standard_normal((2, 2, *spec.input)).astype(np.float32)
    A = avgpool_forward(I, plan)
    assert A.dtype == np.float32
    np.testing.assert_allclose(A, _reference(spec, I.astype(np.float64)), rtol=1e-5, atol=1e-5)
    assert avgpool_backward(A, plan, avgpool_spreads(plan)).dtype == np.float32
    empty = avgpool_forward(np.zeros((0, 2, *spec.input)), plan)
    assert empty.shape == (0, *A.shape[1:])
    assert avgpool_backward(empty, plan, avgpool_spreads(plan)).shape == (0, 2, *spec.input)


def test_the_cases_take_every_path():
    """The cases above reach each branch of ``avgpool_backward``: tiles with and without
    ``np.repeat``, classes along the last axis and runs after them, and runs alone."""
    plans = [kernel_plan(_spec(*case[:-1])) for case in CASES]
    assert any(p.repeat_last for p in plans)
    assert any(p.tiles and not p.repeat_last for p in plans)
    assert any(p.classes and p.runs[-1] for p in plans)
    assert any(not p.classes and p.runs[-1] for p in plans)
    assert any(not p.tiles for p in plans)
    assert any(isinstance(p.coef, np.ndarray) for p in plans)
    assert any(p.frame.padded == p.frame.size for p in plans) and any(p.frame.padded != p.frame.size for p in plans)
