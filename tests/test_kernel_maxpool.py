# ruff: noqa: N803, E741 - the seed's names I and dA
"""Max pooling's kernel functions (``symconv/layers/pool/max_kernel.py``) run directly on the
plan records generation binds, against the reference loops: both sweeps (ties to the first
maximum in ``vΩ`` or in row-major order), padding with 0 and with -inf, dilation, ceil mode,
switches of 8 and 16 bits, every backward route (pairs of outputs per lookup, with an odd
count of outputs per plane or not, one output per lookup; overlapping windows adding up or
not; the output zeroed a chunk at a time or fresh), chunks of one, two and three planes, so
every chunk boundary is crossed, and windows holding NaN (``np.argmax`` over ``vΩ``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference_loops as ref
from tools import kernel_plan

import symconv
from symconv.layers.pool.max_kernel import maxpool_backward, maxpool_forward, maxpool_planes, maxpool_windows

RNG = np.random.default_rng(47)
INF = -math.inf

#: (input, window, padding, stride, dilation, ceil_mode, pad_value, tie_order, the path)
CASES = [
    ((8, 8), (2, 2), 0, (2, 2), 1, False, 0.0, "column", "tiles, pairs"),
    ((9, 9), (3, 3), 1, (2, 2), 1, False, 0.0, "column", "overlapping, odd plane, zero padding"),
    ((9, 9), (3, 3), 1, (2, 2), 1, False, INF, "row", "overlapping, odd plane, -inf padding, row ties"),
    ((10, 9), (2, 3), (1, 1, 1, 1), (2, 1), (2, 2), False, INF, "column", "dilation"),
    ((9, 8), (2, 2), (1, 1, 0, 1), (1, 2), (2, 3), False, 0.0, "row", "dilation, row ties"),
    ((11, 10), (5, 4), (1, 1, 0, 0), (2, 2), 1, False, 0.0, "column", "no pairs"),
    ((9, 9), (5, 4), 0, (1, 1), 1, False, 0.0, "row", "no pairs, row ties"),
    ((10, 11), (2, 2), 0, (3, 4), 1, False, 0.0, "row", "gaps between the windows, odd plane"),
    ((13, 13), (3, 3), 0, (2, 2), 1, True, INF, "row", "ceil mode"),
    ((12, 11), (3, 2), (1, 0, 1, 0), (2, 3), 1, True, 0.0, "column", "ceil mode, zero padding"),
    ((20, 19), (17, 16), (1, 0, 2, 1), (2, 3), 1, False, 0.0, "column", "16-bit switches"),
]
IDS = [c[-1] for c in CASES]


def _spec(inp, window, pad, stride, dil, ceil, pad_value, tie_order):
    return symconv.MaxPool2D(
        input=inp,
        window=window,
        padding=pad,
        stride=stride,
        dilation=dil,
        channels=2,
        ceil_mode=ceil,
        pad_value=pad_value,
        tie_order=tie_order,
    )


def _reference(spec, I):
    """The forward pass of the reference loops: the seed's, or with PyTorch's ceil mode and tie order."""
    if not spec.ceil_mode and spec.tie_order == "column":
        return ref.maxpool_forward(I, spec.window, spec.padding, spec.stride, spec.dilation, spec.pad_value)
    return ref.maxpool_forward_pt(
        I, spec.window, spec.padding, spec.stride, spec.dilation, spec.pad_value, spec.ceil_mode, spec.tie_order
    )


def _reference_backward(spec, dA, switches, in_shape):
    return ref.maxpool_backward(dA, switches, in_shape, spec.window, spec.padding, spec.stride, spec.dilation)


def _small(plan, chunk):
    """``plan`` taking ``chunk`` planes at a time in both passes (the corners of the first ``chunk``
    planes of its chunk are those of a chunk of ``chunk`` planes)."""
    per_plane = math.prod(plan.frame.out)
    return plan._replace(forward_chunk=chunk, chunk=chunk, corners=plan.corners[: chunk * per_plane])


def _ties(shape):
    """Integers in a small range, many windows holding their maximum more than once, zeros of
    both signs, and negative maxima next to zero padding."""
    I = RNG.integers(-3, 2, size=shape).astype(np.float64)
    I[RNG.random(shape) < 0.2] = -0.0
    return I


def _has_ties(spec, I):
    """Whether some window of ``I`` holds its maximum more than once."""
    d = symconv.derive(spec)
    for example in I:
        values = d.window_values(example)
        if ((values == values.max(axis=-1, keepdims=True)).sum(axis=-1) > 1).any():
            return True
    return False


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("chunk", [None, 1, 2, 3])
@pytest.mark.parametrize("fresh", [False, True], ids=["zeroed-per-chunk", "fresh"])
def test_kernel_matches_the_reference_loops(case, chunk, fresh):
    spec = _spec(*case[:-1])
    plan = kernel_plan(spec)
    if chunk is not None:  # small chunks: every chunk boundary of the passes is crossed
        plan = _small(plan, chunk)
    if fresh:  # the output taken from np.zeros, not zeroed a chunk at a time
        plan = plan._replace(fresh_bytes=0)
    I = _ties((5, 2, *spec.input))
    assert _has_ties(spec, I)
    A, switches = maxpool_forward(I, plan)
    A_ref, sw_ref = _reference(spec, I)
    np.testing.assert_array_equal(A, A_ref)
    np.testing.assert_array_equal(switches, sw_ref)
    assert switches.dtype == plan.switch_type
    dA = RNG.standard_normal(A.shape)
    np.testing.assert_allclose(
        maxpool_backward(dA, switches, plan), _reference_backward(spec, dA, sw_ref, I.shape), rtol=1e-15, atol=0
    )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_sweeps_agree_with_argmax_over_the_windows(case):
    """Both sweeps against :func:`maxpool_windows` (``np.argmax`` over every window's ``vΩ``, or
    over its rows for row ties) on inputs full of ties and on inputs without."""
    spec = _spec(*case[:-1])
    plan = kernel_plan(spec)
    for I in (_ties((3, 2, *spec.input)), RNG.standard_normal((3, 2, *spec.input))):
        A, switches = maxpool_forward(I, plan)
        A_argmax, sw_argmax = maxpool_windows(maxpool_planes(I, plan), 3, plan)
        np.testing.assert_array_equal(A, A_argmax)
        np.testing.assert_array_equal(np.signbit(A), np.signbit(A_argmax))
        np.testing.assert_array_equal(switches, sw_argmax)
        assert sw_argmax.dtype == plan.switch_type


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_window_holding_nan_takes_its_first_nan(case):
    """A window holding NaN is read off ``vΩ`` with ``np.argmax`` (the core's switches): its
    maximum is NaN and its switch the first NaN in the tie order; other windows are unchanged."""
    spec = _spec(*case[:-1])
    plan, d = kernel_plan(spec), symconv.derive(spec)
    clean = _ties((3, 2, *spec.input))
    I = clean.copy()
    I[1, 0, 0, 0] = I[2, 1, -1, -1] = I[2, 1, 0, -1] = np.nan  # the first entry is in a window in every case
    holds_nan = np.array([np.isnan(d.window_values(I[k])).any(axis=-1) for k in range(3)])
    assert holds_nan.any()
    A, switches = maxpool_forward(I, plan)
    np.testing.assert_array_equal(np.isnan(A), holds_nan)
    for k in range(3):
        np.testing.assert_array_equal(switches[k], d.switches(I[k]))
    A_clean, sw_clean = maxpool_forward(clean, plan)
    np.testing.assert_array_equal(A[~holds_nan], A_clean[~holds_nan])
    np.testing.assert_array_equal(switches[~holds_nan], sw_clean[~holds_nan])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_kernel_keeps_float32_and_takes_an_empty_batch(case):
    spec = _spec(*case[:-1])
    plan = kernel_plan(spec)
    I = RNG.standard_normal((2, 2, *spec.input)).astype(np.float32)
    A, switches = maxpool_forward(I, plan)
    assert A.dtype == np.float32
    A_ref, sw_ref = _reference(spec, I.astype(np.float64))
    np.testing.assert_array_equal(A, A_ref.astype(np.float32))
    np.testing.assert_array_equal(switches, sw_ref)
    dA = RNG.standard_normal(A.shape).astype(np.float32)
    dI = maxpool_backward(dA, switches, plan)
    assert dI.dtype == np.float32
    want = _reference_backward(spec, dA.astype(np.float64), sw_ref, I.shape)
    np.testing.assert_allclose(dI, want, rtol=1e-6, atol=1e-6)
    empty, empty_switches = maxpool_forward(np.zeros((0, 2, *spec.input)), plan)
    assert empty.shape == empty_switches.shape == (0, *A.shape[1:])
    assert maxpool_backward(empty, empty_switches, plan).shape == (0, 2, *spec.input)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("chunk", [1, 2])
def test_float32_takes_twice_the_planes_of_a_float64_chunk(case, chunk):
    """The backward pass takes a chunk's float64 bytes of a narrower type, up to the planes the
    corners cover (twice ``chunk``): float32 chunks of 2 and 4 planes over 10 planes cross chunk
    boundaries, and give bit for bit what chunks of ``chunk`` planes give (each input entry's
    routed values are added in the same order), and the reference loops' values."""
    spec = _spec(*case[:-1])
    plan = kernel_plan(spec)
    per_plane = math.prod(plan.frame.out)
    assert plan.corners.size == 2 * plan.chunk * per_plane  # the corners cover a float32 chunk
    wide = plan._replace(chunk=chunk, corners=plan.corners[: 2 * chunk * per_plane])
    narrow = plan._replace(chunk=chunk, corners=plan.corners[: chunk * per_plane])
    I = _ties((5, 2, *spec.input)).astype(np.float32)
    A, switches = maxpool_forward(I, plan)
    dA = RNG.standard_normal(A.shape).astype(np.float32)
    dA.reshape(-1)[::7] = -0.0
    got = maxpool_backward(dA, switches, wide)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.view(np.uint32), maxpool_backward(dA, switches, narrow).view(np.uint32))
    want = _reference_backward(spec, dA.astype(np.float64), switches, I.shape)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_switches_outside_the_window_are_refused():
    plan = kernel_plan(_spec(*CASES[0][:-1]))
    I = RNG.standard_normal((1, 2, 8, 8))
    A, switches = maxpool_forward(I, plan)
    with pytest.raises(ValueError, match="switches must have shape"):
        maxpool_backward(A, switches[:, :1], plan)
    with pytest.raises(ValueError, match="switches must hold integers"):
        maxpool_backward(A, switches.astype(np.float64), plan)
    for bad in (0, 5):
        wrong = switches.copy()
        wrong[0, 1, 2, 3] = bad
        with pytest.raises(ValueError, match=r"switches are the seed's i_pq, 1 \.\. 4"):
            maxpool_backward(A, wrong, plan)


def test_the_cases_take_every_path():
    """The cases above reach each branch of the kernel: both sweeps, pairs of routes with and
    without an odd count of outputs per plane, one route per lookup, overlapping windows and
    not, padding with 0 and with -inf and none, dilation, ceil mode, 8- and 16-bit switches."""
    specs = [_spec(*case[:-1]) for case in CASES]
    plans = [kernel_plan(s) for s in specs]

    def odd(p):
        return math.prod(p.frame.out) % 2 == 1

    assert any(p.row_ties for p in plans) and any(not p.row_ties for p in plans)
    assert any(p.pair_offsets is not None and odd(p) for p in plans)
    assert any(p.pair_offsets is not None and not odd(p) for p in plans)
    assert any(p.pair_offsets is None for p in plans)
    assert any(p.overlapping for p in plans) and any(not p.overlapping for p in plans)
    assert any(p.frame.padded == p.frame.size for p in plans)
    assert any(p.frame.padded != p.frame.size and p.pad_value == 0 for p in plans)
    assert any(p.frame.padded != p.frame.size and p.pad_value == INF for p in plans)
    assert any(p.frame.dilation != (1, 1) for p in plans)
    assert any(s.ceil_mode for s in specs)
    assert {p.switch_type for p in plans} == {np.uint8, np.int16}
    # a plan's chunk of routes starts on a pair when a plane's count is odd
    assert all(p.chunk % 2 == 0 for p in plans if p.pair_offsets is not None and odd(p))
