# ruff: noqa: E741, N803 - the seed's names I, dA
"""Adaptive pooling's kernel functions (``symconv/layers/adaptive/avg_kernel.py`` and
``max_kernel.py``) run directly on the plan records generation binds, against the reference
loops: every path (global pooling over the whole plane, band weights, band sweeps with bands of
one or two lengths, overlapping windows or not, both tie orders, ties, zeros of either sign and
NaN), and chunks of one, two and three planes, so every chunk boundary is crossed."""

from __future__ import annotations

import numpy as np
import pytest
import reference_loops as ref
from tools import kernel_plan

import symconv
from symconv.layers.adaptive.avg_kernel import (
    AdaptiveAvg,
    adaptive_avg_bands_forward,
    adaptive_avg_global_forward,
    adaptive_avg_passes,
)
from symconv.layers.adaptive.max_kernel import (
    AdaptiveMax,
    adaptive_max_backward,
    adaptive_max_bands_forward,
    adaptive_max_global_forward,
    adaptive_max_pass,
)


def adaptive_avg_forward(I, plan: AdaptiveAvg):
    """The forward pass the plan's module calls (:func:`adaptive_avg_passes`)."""
    return adaptive_avg_passes(plan)[0](I, plan)


def adaptive_avg_backward(dA, plan: AdaptiveAvg):
    """The backward pass the plan's module calls."""
    return adaptive_avg_passes(plan)[1](dA, plan)


def adaptive_max_forward(I, plan: AdaptiveMax):
    """The forward pass the plan's module calls (:func:`adaptive_max_pass`)."""
    return adaptive_max_pass(plan)(I, plan)


RNG = np.random.default_rng(47)

#: (input, output, the path)
CASES = [
    ((7, 7), (1, 1), "global"),
    ((5, 8), (1, 1), "global, non-square"),
    ((8, 12), (4, 3), "sizes that divide"),
    ((13, 13), (6, 6), "sizes that do not divide"),
    ((14, 11), (6, 4), "non-square, not dividing"),
    ((9, 7), (7, 5), "output larger than half the input"),
    ((5, 6), (5, 6), "output equal to the input"),
    ((6, 9), (1, 4), "one row band"),
]
IDS = [c[-1] for c in CASES]
TIES = ["column", "row"]
CHUNKS = [None, 1, 2, 3]


def _avg(inp, out):
    return symconv.AdaptiveAvgPool2D(input=inp, output=out, channels=2)


def _max(inp, out, ties):
    return symconv.AdaptiveMaxPool2D(input=inp, output=out, channels=2, tie_order=ties)


def _chunked(plan, chunk):
    """``plan`` taking ``chunk`` planes at a time (``None``: as generated)."""
    return plan if chunk is None else plan._replace(chunk=chunk)


def _inputs(shape):
    """Normal draws (no ties), and small integers: ties, zeros and negative zeros."""
    ints = RNG.integers(-2, 3, shape).astype(float)
    ints[RNG.random(shape) < 0.2] = -0.0
    return [RNG.standard_normal(shape), ints]


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("chunk", CHUNKS)
def test_avg_kernel_matches_the_reference_loops(case, chunk):
    inp, out, _ = case
    plan = _chunked(kernel_plan(_avg(inp, out)), chunk)
    for I in _inputs((5, 2, *inp)):
        A = adaptive_avg_forward(I, plan)
        np.testing.assert_allclose(A, ref.adaptive_avg_forward(I, out), rtol=1e-12, atol=1e-12)
        dA = RNG.standard_normal(A.shape)
        np.testing.assert_allclose(
            adaptive_avg_backward(dA, plan), ref.adaptive_avg_backward(dA, I.shape), rtol=1e-12, atol=1e-12
        )


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("ties", TIES)
@pytest.mark.parametrize("chunk", CHUNKS)
def test_max_kernel_matches_the_reference_loops(case, ties, chunk):
    inp, out, _ = case
    plan = _chunked(kernel_plan(_max(inp, out, ties)), chunk)
    for I in _inputs((5, 2, *inp)):
        A, switches = adaptive_max_forward(I, plan)
        A_ref, switches_ref = ref.adaptive_max_forward(I, out, ties)
        np.testing.assert_array_equal(switches, switches_ref)
        np.testing.assert_array_equal(A, A_ref)
        np.testing.assert_array_equal(np.signbit(A), np.signbit(A_ref))  # a tied zero keeps its entry's sign
        dA = RNG.standard_normal(A.shape)
        np.testing.assert_array_equal(
            adaptive_max_backward(dA, switches, plan), ref.adaptive_max_backward(dA, switches, I.shape, out)
        )


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("ties", TIES)
@pytest.mark.parametrize("chunk", [None, 2])
def test_max_kernel_takes_the_first_nan(case, ties, chunk):
    """A window holding NaN gives NaN, its switch the first NaN in the tie order: the reference
    loops' maximum with NaN read as infinity (the inputs hold no infinity)."""
    inp, out, _ = case
    plan = _chunked(kernel_plan(_max(inp, out, ties)), chunk)
    I = RNG.integers(-2, 3, (4, 2, *inp)).astype(float)
    I[RNG.random(I.shape) < 0.1] = np.nan
    I[0, 0, 0, 0] = I[1, 1, -1, -1] = np.nan  # NaN in some planes, every plane NaN-free in none
    I[2] = 1.0  # a plane of ties only
    A, switches = adaptive_max_forward(I, plan)
    A_inf, switches_ref = ref.adaptive_max_forward(np.where(np.isnan(I), np.inf, I), out, ties)
    np.testing.assert_array_equal(switches, switches_ref)
    np.testing.assert_array_equal(A, np.where(np.isinf(A_inf), np.nan, A_inf))


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("ties", TIES)
def test_kernels_keep_float32_and_take_an_empty_batch(case, ties):
    inp, out, _ = case
    avg, mx = kernel_plan(_avg(inp, out)), kernel_plan(_max(inp, out, ties))
    I = RNG.standard_normal((3, 2, *inp)).astype(np.float32)
    A = adaptive_avg_forward(I, avg)
    assert A.dtype == np.float32
    np.testing.assert_allclose(A, ref.adaptive_avg_forward(I.astype(np.float64), out), rtol=1e-5, atol=1e-5)
    assert adaptive_avg_backward(A, avg).dtype == np.float32
    M, switches = adaptive_max_forward(I, mx)
    assert M.dtype == np.float32 and switches.dtype == np.int64
    np.testing.assert_array_equal(switches, ref.adaptive_max_forward(I, out, ties)[1])
    assert adaptive_max_backward(M, switches, mx).dtype == np.float32
    empty = np.zeros((0, 2, *inp))
    assert adaptive_avg_forward(empty, avg).shape == (0, 2, *out)
    assert adaptive_avg_backward(np.zeros((0, 2, *out)), avg).shape == empty.shape
    M, switches = adaptive_max_forward(empty, mx)
    assert M.shape == switches.shape == (0, 2, *out)
    assert adaptive_max_backward(M, switches, mx).shape == empty.shape


def test_the_cases_take_every_path():
    """The cases above reach each path of both kernels: global pooling and the band paths,
    bands of one length and of two (a sweep term that leaves bands out, windows smaller than
    the largest), overlapping windows and not, and both tie orders."""
    avg = [kernel_plan(_avg(inp, out)) for inp, out, _ in CASES]
    assert {adaptive_avg_passes(p)[0] for p in avg} == {adaptive_avg_global_forward, adaptive_avg_bands_forward}
    mx = [kernel_plan(_max(inp, out, ties)) for inp, out, _ in CASES for ties in TIES]
    whole = [p for p in mx if adaptive_max_pass(p) is adaptive_max_global_forward]
    bands = [p for p in mx if adaptive_max_pass(p) is adaptive_max_bands_forward]
    assert whole and bands and len(whole) + len(bands) == len(mx)
    assert {p.row_ties for p in whole} == {p.row_ties for p in bands} == {False, True}
    assert any(p.overlapping for p in bands) and any(not p.overlapping for p in bands)
    sweeps = [p.sweeps for p in bands if p.sweeps is not None]
    assert len(sweeps) == len(bands)
    terms = [longer for s in sweeps for term in (s.row_terms, s.col_terms) for longer, _ in term]
    assert any(longer is None for longer in terms) and any(longer is not None for longer in terms)
    assert any((p.sizes < p.window).any() for p in bands) and any((p.sizes == p.window).all() for p in bands)
    assert any(p.window == 1 for p in bands)  # output equal to the input: one entry per window
