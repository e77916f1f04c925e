# ruff: noqa: N803 - the seed's names A, K and dZ
"""The transposed convolution's kernel functions (``symconv/layers/convt/convt_kernel.py``) run
directly on the plan records generation binds, against the scatter loops of
``tests/reference_loops.py``: stride, dilation, per-side padding, an output_padding within and
past the stride, one group, several and depthwise, with and without bias, and chunks of one, two
and three examples, so every chunk boundary is crossed and the kernel gradient adds up over them."""

from __future__ import annotations

import numpy as np
import pytest
import reference_loops as ref
from tools import kernel_plan

import symconv
from symconv.codegen import plans as cg
from symconv.errors import PlanError
from symconv.layers.convt.convt_kernel import convt_backward, convt_forward

RNG = np.random.default_rng(47)

#: (input, kernel, padding, stride, dilation, output_padding, in, out, groups, bias, the path)
CASES = [
    ((4, 5), (3, 3), 0, 1, 1, 0, 2, 3, 1, True, "stride 1, no padding"),
    ((4, 4), (4, 4), 1, 2, 1, 0, 3, 2, 1, True, "stride 2, padding 1"),
    ((3, 4), (2, 3), (1, 0, 2, 1), (2, 3), (2, 1), (1, 2), 2, 3, 1, False, "per-side padding, dilation, no bias"),
    ((3, 3), (2, 3), (0, 1), 1, (3, 2), (2, 1), 3, 2, 1, False, "output_padding past the stride"),
    ((4, 3), (3, 2), (1, 1, 0, 2), (2, 1), (1, 2), (1, 1), 4, 6, 2, True, "groups"),
    ((5, 4), (3, 3), 1, 1, 1, 0, 3, 3, 3, True, "depthwise"),
    ((3, 4), (2, 2), 0, (3, 2), 2, (2, 1), 2, 4, 2, False, "depthwise, two outputs each, no bias"),
]
IDS = [c[-1] for c in CASES]


def _spec(inp, kernel, pad, stride, dil, op, cin, cout, groups, bias):
    return symconv.ConvTranspose2D(
        input=inp,
        kernel=kernel,
        padding=pad,
        stride=stride,
        dilation=dil,
        output_padding=op,
        in_channels=cin,
        out_channels=cout,
        groups=groups,
        bias=bias,
    )


def _data(spec, n, dtype=np.float64):
    cin, cout = spec.in_channels, spec.out_channels
    A = RNG.standard_normal((n, cin, *spec.input)).astype(dtype)
    K = RNG.standard_normal((cin, cout // spec.groups, *spec.kernel)).astype(dtype)
    b = RNG.standard_normal(cout).astype(dtype) if spec.bias else None
    return A, K, b


def _reference(spec, A, K, b, dZ):
    Z = ref.conv_transpose_forward(A, K, b, spec.padding, spec.stride, spec.dilation, spec.output_padding, spec.groups)
    grads = ref.conv_transpose_backward(dZ, A, K, spec.padding, spec.stride, spec.dilation, spec.groups)
    return Z, grads if spec.bias else grads[:2]


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("chunk", [None, 1, 2, 3])
def test_kernel_matches_the_reference_loops(case, chunk):
    spec = _spec(*case[:-1])
    plan = kernel_plan(spec)
    if chunk is not None:  # small chunks: every chunk boundary of the passes is crossed
        plan = plan._replace(chunk=chunk)
    A, K, b = _data(spec, 4)
    Z = convt_forward(A, K, b, plan)
    dZ = RNG.standard_normal(Z.shape)
    Z_ref, grads_ref = _reference(spec, A, K, b, dZ)
    np.testing.assert_allclose(Z, Z_ref, rtol=1e-12, atol=1e-12)
    grads = convt_backward(dZ, A, K, plan)
    assert len(grads) == len(grads_ref)
    for got, want in zip(grads, grads_ref, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_kernel_keeps_float32_and_takes_one_example_and_an_empty_batch(case):
    spec = _spec(*case[:-1])
    plan = kernel_plan(spec)._replace(chunk=2)
    A, K, b = _data(spec, 3, np.float32)
    Z = convt_forward(A, K, b, plan)
    assert Z.dtype == np.float32
    dZ = RNG.standard_normal(Z.shape).astype(np.float32)
    wide = [x.astype(np.float64) if x is not None else None for x in (A, K, b, dZ)]
    Z_ref, grads_ref = _reference(spec, *wide)
    wide_one = [wide[0][:1], wide[1], wide[2], wide[3][:1]]
    np.testing.assert_allclose(Z, Z_ref, rtol=1e-5, atol=1e-5)
    grads = convt_backward(dZ, A, K, plan)
    for got, want in zip(grads, grads_ref, strict=True):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    one = convt_forward(A[:1], K, b, plan)  # a batch of one
    np.testing.assert_allclose(one, Z_ref[:1], rtol=1e-5, atol=1e-5)
    for got, want in zip(convt_backward(dZ[:1], A[:1], K, plan), _reference(spec, *wide_one)[1], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    empty = convt_forward(A[:0], K, b, plan)
    assert empty.shape == (0, *Z.shape[1:]) and empty.dtype == np.float32
    grads = convt_backward(empty, A[:0], K, plan)
    assert grads[0].shape == A[:0].shape
    assert not grads[1].any() and grads[1].shape == K.shape
    if spec.bias:
        assert not grads[2].any() and grads[2].shape == (spec.out_channels,)


def test_the_cases_take_every_path():
    """The cases above reach each path of the passes: stride 1 and past 1, dilation, padding
    equal and per side, none, an output_padding within and past the stride (the input meeting
    only the adjoint's first windows), one group, several, depthwise, bias and none."""
    specs = [_spec(*case[:-1]) for case in CASES]
    plans = [kernel_plan(s) for s in specs]
    assert any(s.stride == (1, 1) for s in specs) and any(s.stride[0] > 1 and s.stride[1] > 1 for s in specs)
    assert any(s.dilation[0] > 1 for s in specs) and any(s.dilation[1] > 1 for s in specs)
    assert any(not any(s.padding) for s in specs) and any(len(set(s.padding)) > 2 for s in specs)
    assert any(0 < o < st for s in specs for o, st in zip(s.output_padding, s.stride, strict=True))
    assert any(o >= st for s in specs for o, st in zip(s.output_padding, s.stride, strict=True))
    assert any(p.groups == 1 for p in plans) and any(p.groups > 1 and p.cin_g > 1 for p in plans)
    assert any(p.groups > 1 and p.cin_g == 1 and p.cout_g == 1 for p in plans)  # depthwise
    assert any(p.groups > 1 and p.cin_g == 1 and p.cout_g > 1 for p in plans)
    assert any(p.bias for p in plans) and any(not p.bias for p in plans)
    assert any((p.window.hp, p.window.wp) != (p.window.h, p.window.w) for p in plans)
    assert any(_unreached(p) for p in plans) and any(not _unreached(p) for p in plans)


def _unreached(plan) -> bool:
    """Whether some rows or columns of ``Z`` take no product (output_padding past the reach of
    the input): only the bias, or zero, lands there."""
    win = plan.window
    rows = {y - win.top for _, _, r0, r1, _, _ in plan.offsets for y in range(r0, r1, win.sh)}
    cols = {x - win.left for _, _, _, _, c0, c1 in plan.offsets for x in range(c0, c1, win.sw)}
    return not (set(range(win.h)) <= rows and set(range(win.w)) <= cols)


def test_a_window_that_misses_the_checked_slices_is_refused(monkeypatch):
    """The backward pass's strided view reads the record's window: generation refuses one that
    does not give the checked scatter slices (a wrong dilation here)."""
    window = cg.window
    monkeypatch.setattr(cg, "window", lambda m: window(m)._replace(dh=window(m).dh + 1))
    with pytest.raises(PlanError, match="checked scatter slices"):
        kernel_plan(_spec(*CASES[1][:-1]))
