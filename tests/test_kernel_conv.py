"""Convolution's kernel functions (``symconv/layers/conv/conv_kernel.py``) run directly on the
plan records generation binds, against the reference loops: every path (flat windows, row-wise
products, depthwise shifted planes, strided windows), grouped and ungrouped, one kernel per
group, padding on some sides only, dilation, bias and none, and chunks of one, two and three
examples, so every chunk boundary is crossed (the flat path sizes its work space from the
chunk)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
import reference_loops as ref
from tools import conv_spec, kernel_plan

from symconv.layers.conv.conv_kernel import ConvPlan, conv_backward, conv_forward

#: (input, kernel, padding (t, b, l, r), stride, dilation, in, out, groups, bias, the path the plan takes)
CASES = [
    ((5, 6), (3, 3), (1, 1, 1, 1), (1, 1), (1, 1), 2, 3, 1, True, "flat"),
    ((6, 5), (2, 3), (1, 0, 2, 1), (1, 1), (2, 1), 3, 2, 1, False, "flat"),
    ((4, 5), (2, 2), (0, 1, 1, 0), (1, 1), (1, 1), 66, 2, 2, True, "flat"),  # 33 channels per group, one kernel each
    ((5, 6), (3, 3), (1, 1, 1, 1), (1, 1), (1, 1), 4, 6, 2, True, "rowwise"),
    ((7, 8), (3, 2), (2, 1, 0, 2), (1, 1), (2, 3), 6, 9, 3, False, "rowwise"),
    ((5, 5), (3, 3), (0, 0, 0, 0), (1, 1), (1, 1), 3, 3, 3, False, "shifted"),
    ((6, 7), (2, 3), (1, 0, 2, 1), (1, 1), (1, 2), 3, 3, 3, True, "shifted"),
    ((7, 6), (3, 2), (1, 1, 0, 1), (2, 3), (2, 1), 2, 3, 1, True, "strided"),
    ((7, 8), (3, 2), (1, 1, 0, 1), (2, 2), (1, 1), 4, 6, 2, False, "strided"),
    ((7, 6), (3, 3), (1, 1, 1, 1), (2, 1), (1, 1), 3, 3, 3, True, "strided"),  # depthwise, one kernel per group
]
IDS = [f"{c[-1]}-{k}" for k, c in enumerate(CASES)]
N = 5


@cache
def _data(k: int):
    """The case's spec, inputs and the reference loops' ``Z`` and ``(dA, dK, db)`` (computed once)."""
    inp, ker, pad, stride, dil, cin, cout, groups, bias, _ = CASES[k]
    spec = conv_spec(inp, ker, pad, stride, dil, cin, cout, groups, bias)
    rng = np.random.default_rng(40 + k)
    A = rng.standard_normal((N, cin, *inp))
    K = rng.standard_normal((cout, cin // groups, *ker))
    b = rng.standard_normal(cout) if bias else None
    if groups == 1:
        Z = ref.conv_forward(A, K, b, pad, stride, dil)
        dZ = rng.standard_normal(Z.shape)
        grads = ref.conv_backward(dZ, A, K, pad, stride, dil)
    else:
        Z = ref.grouped_conv_forward(A, K, b, pad, stride, dil, groups)
        dZ = rng.standard_normal(Z.shape)
        grads = ref.grouped_conv_backward(dZ, A, K, pad, stride, dil, groups)
    return spec, A, K, b, Z, dZ, grads if bias else grads[:2]


def _paths(plan: ConvPlan) -> list[str]:
    """The paths whose kernels can run this layer: the strided windows any, the flat windows and
    the row-wise products stride 1, the shifted planes depthwise at stride 1."""
    win = plan.window
    if (win.sh, win.sw) != (1, 1):
        return ["strided"]
    depthwise = plan.cin == plan.cout == plan.groups
    return ["flat", "rowwise", "strided", *(["shifted"] if depthwise else [])]


def _check(plan: ConvPlan, k: int, dtype=np.float64, tol=1e-12) -> None:
    _, A, K, b, Z, dZ, grads = _data(k)
    got = conv_forward(A.astype(dtype), K.astype(dtype), None if b is None else b.astype(dtype), plan)
    assert got.dtype == dtype and got.shape == Z.shape
    np.testing.assert_allclose(got, Z, rtol=tol, atol=tol)
    back = conv_backward(dZ.astype(dtype), A.astype(dtype), K.astype(dtype), plan)
    assert len(back) == len(grads)
    for g, w in zip(back, grads, strict=True):
        assert g.dtype == dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


@pytest.mark.parametrize("k", range(len(CASES)), ids=IDS)
@pytest.mark.parametrize("chunk", [None, 1, 2, 3])
def test_kernel_matches_the_reference_loops(k, chunk):
    """The plan's own path, with its chunk or with chunks of 1 to 3 of the 5 examples."""
    plan = kernel_plan(_data(k)[0])
    if chunk is not None:  # small chunks: every chunk boundary of the passes is crossed
        plan = plan._replace(chunk=chunk)
    _check(plan, k)


@pytest.mark.parametrize("k", range(len(CASES)), ids=IDS)
@pytest.mark.parametrize("chunk", [2, 5])
def test_every_path_that_can_run_a_layer_matches_the_loops(k, chunk):
    """Each path the layer's geometry admits, not only the one its plan picks (a grouped
    layer through the flat windows, an ungrouped one row by row...)."""
    plan = kernel_plan(_data(k)[0])._replace(chunk=chunk)
    for path in _paths(plan):
        _check(plan._replace(path=path), k)


@pytest.mark.parametrize("k", range(len(CASES)), ids=IDS)
def test_kernel_keeps_float32_and_takes_an_empty_batch(k):
    spec, A, K, b, Z, *_ = _data(k)
    plan = kernel_plan(spec)._replace(chunk=2)
    _check(plan, k, np.float32, 1e-4)
    empty = conv_forward(A[:0], K, b, plan)
    assert empty.shape == (0, *Z.shape[1:])
    back = conv_backward(empty, A[:0], K, plan)
    assert back[0].shape == A[:0].shape
    np.testing.assert_array_equal(back[1], np.zeros_like(K))
    if b is not None:
        np.testing.assert_array_equal(back[2], np.zeros_like(b))


def test_the_cases_take_every_path():
    """The plans of the cases above take each path, with and without bias, grouped and not,
    and with one kernel per group on the flat and the strided path."""
    plans = [kernel_plan(_data(k)[0]) for k in range(len(CASES))]
    assert [p.path for p in plans] == [c[-1] for c in CASES]
    assert {p.path for p in plans} == {"flat", "rowwise", "shifted", "strided"}
    for path in ("flat", "rowwise", "shifted", "strided"):
        assert {p.bias for p in plans if p.path == path} == {True, False}, path
    assert {p.groups > 1 for p in plans if p.path == "flat"} == {True, False}
    assert {p.groups > 1 for p in plans if p.path == "strided"} == {True, False}
    assert {p.path for p in plans if p.one_kernel_per_group} >= {"flat", "shifted", "strided"}
    assert any(p.window.padded for p in plans) and any(not p.window.padded for p in plans)
    assert any((p.window.dh, p.window.dw) != (1, 1) for p in plans)
