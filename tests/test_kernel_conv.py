# ruff: noqa: N803 - the seed's names A, K, dZ
"""The convolution's kernel functions (``symconv/layers/conv/conv_kernel.py``), one family for
every convolution, run directly on the plan records generation binds, against the plain N-d
loops of ``tests/reference_loops.py`` (written without symconv.geometry): every path (flat
windows, row-wise products, depthwise shifted planes, strided windows, the scatter), in 1, 2 and
3 axes, grouped and not, one kernel per group, padding on some sides only, cropping, dilation,
input dilation with and without a stride, every padding mode, the transposed convolution with
an output_padding within and past the stride, bias and none, empty inputs and outputs, and chunks
of one, two and three examples, so every chunk boundary is crossed."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from tools import conv_reference, kernel_plan

import symconv as sc
from symconv.layers import window_plan
from symconv.layers.conv import plan as conv_plan
from symconv.layers.conv.conv_kernel import ConvPlan, conv_passes
from symconv.layers.conv.conv_kernel import conv_backward as kernel_backward
from symconv.layers.conv.conv_kernel import conv_forward as kernel_forward

S = sc
#: (spec, the path its plan takes)
CASES = [
    (S.Conv2D(input=(5, 6), kernel=3, padding=1, in_channels=2, out_channels=3), "flat"),
    (S.Conv2D(input=(6, 5), kernel=(2, 3), padding=(1, 0, 2, 1), dilation=(2, 1), in_channels=3, out_channels=2,
              bias=False), "flat"),
    (S.Conv2D(input=(4, 5), kernel=2, padding=(0, 1, 1, 0), in_channels=66, out_channels=2, groups=2), "flat"),
    (S.Conv2D(input=(5, 6), kernel=3, padding=1, in_channels=4, out_channels=6, groups=2), "rowwise"),
    (S.Conv2D(input=(7, 8), kernel=(3, 2), padding=(2, 1, 0, 2), dilation=(2, 3), in_channels=6, out_channels=9,
              groups=3, bias=False), "rowwise"),
    (S.Conv2D(input=(5, 5), kernel=3, in_channels=3, out_channels=3, groups=3, bias=False), "shifted"),
    (S.Conv2D(input=(6, 7), kernel=(2, 3), padding=(1, 0, 2, 1), dilation=(1, 2), in_channels=3, out_channels=3,
              groups=3), "shifted"),
    (S.Conv2D(input=(7, 6), kernel=(3, 2), padding=(1, 1, 0, 1), stride=(2, 3), dilation=(2, 1), in_channels=2,
              out_channels=3), "strided"),
    (S.Conv2D(input=(7, 8), kernel=(3, 2), padding=(1, 1, 0, 1), stride=2, in_channels=4, out_channels=6, groups=2,
              bias=False), "strided"),
    (S.Conv2D(input=(7, 6), kernel=3, padding=1, stride=(2, 1), in_channels=3, out_channels=3, groups=3), "strided"),
    # 1-D and 3-D
    (S.Conv1D(input=9, kernel=3, padding=(2, 1), in_channels=2, out_channels=3), "flat"),
    (S.Conv1D(input=9, kernel=2, dilation=2, in_channels=4, out_channels=4, groups=2), "rowwise"),
    (S.Conv1D(input=8, kernel=3, padding=1, in_channels=3, out_channels=3, groups=3), "shifted"),
    (S.Conv1D(input=9, kernel=3, stride=2, padding=(1, 0), in_channels=2, out_channels=2, bias=False), "strided"),
    (S.Conv3D(input=(3, 4, 5), kernel=(2, 3, 2), padding=(1, 0, 1, 1, 0, 1), in_channels=2, out_channels=2), "flat"),
    (S.Conv3D(input=(3, 4, 4), kernel=2, padding=1, in_channels=4, out_channels=4, groups=2, bias=False), "rowwise"),
    (S.Conv3D(input=(3, 4, 4), kernel=(1, 2, 3), padding=(0, 0, 1, 0, 1, 1), in_channels=2, out_channels=2,
              groups=2), "shifted"),
    (S.Conv3D(input=(4, 5, 4), kernel=2, stride=(2, 1, 2), dilation=(1, 2, 1), in_channels=2, out_channels=3),
     "strided"),
    # cropping, input dilation, padding modes
    (S.Conv2D(input=(6, 7), kernel=3, padding=(-1, 2, 0, -2), in_channels=2, out_channels=3), "flat"),
    (S.Conv1D(input=7, kernel=3, padding=(-2, -1), stride=2, in_channels=1, out_channels=2), "strided"),
    (S.Conv2D(input=(4, 3), kernel=(2, 3), input_dilation=(2, 3), padding=(1, -1, 2, 0), in_channels=2,
              out_channels=2), "scatter"),
    (S.Conv1D(input=5, kernel=3, input_dilation=2, padding=(4, 1), in_channels=2, out_channels=4, groups=2,
              bias=False), "scatter"),
    (S.Conv2D(input=(4, 3), kernel=2, input_dilation=(2, 1), stride=(2, 3), padding=(0, 1, -1, 2), in_channels=2,
              out_channels=2), "strided"),
    (S.Conv1D(input=6, kernel=3, padding=2, padding_mode="reflect", in_channels=2, out_channels=2), "flat"),
    (S.Conv2D(input=(4, 5), kernel=3, padding=(1, 2, 2, 0), padding_mode="circular", stride=(1, 2), in_channels=2,
              out_channels=2, bias=False), "strided"),
    (S.Conv2D(input=(4, 5), kernel=3, padding=(2, 1, 0, 3), padding_mode="replicate", in_channels=4, out_channels=4,
              groups=4), "shifted"),
    (S.Conv3D(input=(3, 3, 4), kernel=2, padding=1, padding_mode="reflect", in_channels=4, out_channels=2,
              groups=2), "rowwise"),
    (S.Conv3D(input=(3, 3, 4), kernel=(2, 2, 3), padding=(1, 2, 0, 3, 4, 1), padding_mode="circular",
              in_channels=2, out_channels=2), "flat"),
    # the transposed convolution
    (S.ConvTranspose2D(input=(4, 5), kernel=3, in_channels=2, out_channels=3), "scatter"),
    (S.ConvTranspose2D(input=(4, 4), kernel=4, padding=1, stride=2, in_channels=3, out_channels=2), "scatter"),
    (S.ConvTranspose2D(input=(3, 4), kernel=(2, 3), padding=(1, 0, 2, 1), stride=(2, 3), dilation=(2, 1),
                       output_padding=(1, 2), in_channels=2, out_channels=3, bias=False), "scatter"),
    (S.ConvTranspose2D(input=(3, 3), kernel=(2, 3), padding=(0, 1), dilation=(3, 2), output_padding=(2, 1),
                       in_channels=3, out_channels=2, bias=False), "scatter"),
    (S.ConvTranspose2D(input=(4, 3), kernel=(3, 2), padding=(1, 1, 0, 2), stride=(2, 1), dilation=(1, 2),
                       output_padding=(1, 1), in_channels=4, out_channels=6, groups=2), "scatter"),
    (S.ConvTranspose2D(input=(5, 4), kernel=3, padding=1, in_channels=3, out_channels=3, groups=3), "scatter"),
    (S.ConvTranspose1D(input=4, kernel=3, stride=3, padding=(4, 1), output_padding=2, in_channels=2,
                       out_channels=4, groups=2), "scatter"),
    (S.ConvTranspose3D(input=(2, 3, 2), kernel=(2, 3, 2), stride=(2, 1, 2), padding=(0, 1, 1, 0, 1, 0),
                       output_padding=(1, 0, 1), in_channels=2, out_channels=2), "scatter"),
]  # fmt: skip
IDS = [f"{c[1]}-{k}-{c[0].kind}" for k, c in enumerate(CASES)]
N = 5


@cache
def _data(k: int):
    """The case's spec, inputs and the reference loops' ``Z`` and gradients (computed once)."""
    spec = CASES[k][0]
    rng = np.random.default_rng(40 + k)
    A = rng.standard_normal((N, *spec.in_shape))
    K = rng.standard_normal(sc.derive(spec).kernel.shape)
    b = rng.standard_normal(spec.out_channels) if spec.bias else None
    Z = conv_reference(spec, A, K, b)
    dZ = rng.standard_normal(Z.shape)
    grads = conv_reference(spec, A, K, b, dZ)
    return spec, A, K, b, Z, dZ, grads if spec.bias else grads[:2]


def _with_path(plan: ConvPlan, spec, path: str) -> ConvPlan:
    """The plan record on another path: the scatter reads its own slices and buffer, the others
    the window map's slices (as the plan builds them)."""
    m = spec.geometry
    if path == "scatter":
        offsets, buffer, lead = conv_plan._scatter(m, (0,) * m.ndim)
        return plan._replace(path=path, offsets=offsets, buffer=buffer, lead=lead)
    offsets = tuple(window_plan.offsets(m))
    steps = [int(np.prod(m.padded[a + 1 :])) for a in range(m.ndim)]
    shifts = tuple(sum(o[m.ndim + 2 * a] * steps[a] for a in range(m.ndim)) for o in offsets)
    return plan._replace(path=path, offsets=offsets, shifts=shifts, buffer=m.padded, lead=(0,) * m.ndim)


def conv_forward(A, K, b, plan: ConvPlan):
    """The kernel's forward pass by the plan's path (the pass a generated module names)."""
    return kernel_forward(A, K, b, plan, conv_passes(plan)[0])


def conv_backward(dZ, A, K, plan: ConvPlan):
    """The kernel's backward pass by the plan's path."""
    return kernel_backward(dZ, A, K, plan, conv_passes(plan)[1])


def _paths(plan: ConvPlan) -> list[str]:
    """The paths whose kernels can run this layer: the strided windows any, the flat windows and
    the row-wise products stride 1, the shifted planes depthwise at stride 1, the scatter stride 1
    without a padding mode."""
    if plan.frame.stride != (1,) * len(plan.frame.size):
        return ["strided"]
    depthwise = plan.cin == plan.cout == plan.groups
    return [
        "flat",
        "rowwise",
        "strided",
        *(["shifted"] if depthwise else []),
        *(["scatter"] if not plan.copies else []),
    ]


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
    layer through the flat windows, an ungrouped one row by row, a transposed convolution
    through the strided windows, a plain one through the scatter...)."""
    spec = _data(k)[0]
    plan = kernel_plan(spec)._replace(chunk=chunk)
    for path in _paths(plan):
        _check(_with_path(plan, spec, path), k)


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
    """The plans of the cases above take each path, with and without bias, grouped and not, in
    every number of axes, with one kernel per group on the flat and the strided path, with every
    padding mode, cropping and input dilation."""
    plans = [kernel_plan(_data(k)[0]) for k in range(len(CASES))]
    specs = [c[0] for c in CASES]
    assert [p.path for p in plans] == [c[1] for c in CASES]
    paths = ("flat", "rowwise", "shifted", "strided", "scatter")
    for path in paths:
        assert {p.bias for p in plans if p.path == path} == {True, False}, path
        assert {len(p.frame.size) for p in plans if p.path == path} == {1, 2, 3}, path
    assert {p.groups > 1 for p in plans if p.path in ("flat", "strided", "scatter")} == {True, False}
    assert {p.path for p in plans if p.one_kernel_per_group} >= {"flat", "shifted", "strided", "scatter"}
    assert {p.frame.mode for p in plans} == {"zeros", "reflect", "replicate", "circular"}
    assert any(min(s.padding) < 0 for s in specs) and any(max(p.frame.input_dilation) > 1 for p in plans)
    assert any(p.transposed for p in plans) and any(not p.transposed and p.path == "scatter" for p in plans)
    assert any(max(p.frame.dilation) > 1 for p in plans)


@pytest.mark.parametrize(
    "make",
    [
        lambda: S.Conv2D(input=(0, 4), kernel=2, padding=1, in_channels=2, out_channels=3),  # empty input, outputs
        lambda: S.Conv1D(input=3, kernel=5, in_channels=2, out_channels=2),  # no window fits: an empty output
        lambda: S.Conv3D(input=(2, 0, 3), kernel=2, in_channels=1, out_channels=2, bias=False),
        lambda: S.Conv1D(input=4, kernel=2, padding=(-3, 0), in_channels=1, out_channels=1),  # cropped to one entry
        lambda: S.ConvTranspose1D(input=0, kernel=3, padding=1, in_channels=2, out_channels=2),
        lambda: S.ConvTranspose2D(input=(2, 2), kernel=2, padding=(2, 0), stride=2, in_channels=1, out_channels=1),
    ],
    ids=["empty-input", "empty-output", "3d-empty-both", "crop-to-one", "transposed-empty-input",
         "transposed-empty-output"],
)  # fmt: skip
def test_empty_inputs_and_outputs_give_empty_results_and_zero_gradients(make):
    """As PyTorch and JAX: ``Z`` is the bias wherever it has entries, and every gradient but the
    bias's is zero where no input entry meets an output."""
    spec = make()
    plan = kernel_plan(spec)
    rng = np.random.default_rng(7)
    A = rng.standard_normal((3, *spec.in_shape))
    K = rng.standard_normal(sc.derive(spec).kernel.shape)
    b = rng.standard_normal(spec.out_channels) if spec.bias else None
    Z = conv_forward(A, K, b, plan)
    want = conv_reference(spec, A, K, b)
    assert Z.shape == want.shape == (3, *spec.out_shape)
    np.testing.assert_allclose(Z, want, atol=1e-12)
    dZ = rng.standard_normal(Z.shape)
    for got, expected in zip(conv_backward(dZ, A, K, plan), conv_reference(spec, A, K, b, dZ), strict=False):
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-12)
