# ruff: noqa: E741 - the seed's name I
"""Pooling backward works a chunk of planes at a time; force tiny chunks so that every
shape goes through several, and check against the plain-loop reference.  Switches outside
1..h_l w_l are refused."""

from __future__ import annotations

import math
import types

import numpy as np
import pytest
import reference_loops as ref

import symconv
from symconv.codegen.render import generate
from symconv.layers.conv import plan as conv_plan
from symconv.layers.pool import plan as pool_plan


def load(spec):
    module = types.ModuleType("generated_under_test")
    exec(compile(generate(spec), "<generated>", "exec"), module.__dict__)
    return module


POOLS = [
    ((6, 5), (2, 2), (0, 0, 0, 0), (2, 2)),
    ((7, 6), (3, 3), (1, 1, 1, 1), (2, 2)),
    ((5, 7), (3, 2), (2, 0, 1, 1), (1, 2)),
    # an odd number of outputs per plane: max pooling looks routes up in pairs across planes
    ((6, 6), (2, 2), (0, 0, 0, 0), (2, 2)),
    ((5, 5), (3, 3), (0, 0, 0, 0), (1, 1)),
    # a window past PAIR_WINDOW_LIMIT: one route per lookup
    ((7, 6), (5, 4), (1, 1, 0, 0), (2, 2)),
]


@pytest.mark.parametrize("kind", ["maxpool2d", "avgpool2d"])
@pytest.mark.parametrize(("inp", "window", "padding", "stride"), POOLS)
def test_backward_over_many_chunks_matches_the_loops(monkeypatch, kind, inp, window, padding, stride):
    monkeypatch.setattr(pool_plan, "POOL_CHUNK_BYTES", 1)  # one plane per chunk
    monkeypatch.setattr(pool_plan, "POOL_FORWARD_CHUNK_BYTES", 1)
    cls = symconv.MaxPool2D if kind == "maxpool2d" else symconv.AvgPool2D
    extra = {"pad_value": -math.inf} if kind == "maxpool2d" and padding[0] else {}
    spec = cls(input=inp, window=window, padding=padding, stride=stride, channels=3, **extra)
    module = load(spec)
    rng = np.random.default_rng(7)
    I = rng.integers(-3, 4, size=(5, 3, *inp)).astype(np.float64)  # ties included
    if kind == "maxpool2d":
        A, switches = module.forward(I)
        ref_A, ref_switches = ref.maxpool_forward(I, window, padding, stride, pad_value=extra.get("pad_value", 0.0))
        np.testing.assert_array_equal(switches, ref_switches)
        dA = rng.standard_normal(A.shape)
        got = module.backward(dA, switches)
        want = ref.maxpool_backward(dA, ref_switches, I.shape, window, padding, stride)
    else:
        A = module.forward(I)
        ref_A = ref.avgpool_forward(I, window, padding, stride)
        dA = rng.standard_normal(A.shape)
        got = module.backward(dA)
        want = ref.avgpool_backward(dA, I.shape, window, padding, stride)
    np.testing.assert_allclose(A, ref_A, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


CONVS = [
    # input, kernel, padding (t, b, l, r), stride, dilation: stride 1 reads the windows in flat
    # padded coordinates, the others gather them
    ((5, 6), (2, 3), (1, 0, 2, 1), (1, 1), (1, 1)),
    ((6, 7), (3, 2), (1, 1, 0, 2), (1, 1), (2, 1)),
    ((7, 6), (3, 3), (1, 1, 1, 1), (2, 1), (1, 1)),
]


@pytest.mark.parametrize(("inp", "kernel", "padding", "stride", "dilation"), CONVS)
@pytest.mark.parametrize("per_chunk", [1, 2])  # examples per chunk: with 5, the last chunk has one
def test_conv_over_many_chunks_matches_the_loops(monkeypatch, inp, kernel, padding, stride, dilation, per_chunk):
    spec = symconv.Conv2D(
        input=inp, kernel=kernel, padding=padding, stride=stride, dilation=dilation, in_channels=2, out_channels=3
    )
    hz, wz = symconv.derive(spec).geometry.output
    hp, wp = inp[0] + padding[0] + padding[1], inp[1] + padding[2] + padding[3]
    monkeypatch.setattr(conv_plan, "FLAT_COLUMNS", per_chunk * hp * wp)
    monkeypatch.setattr(conv_plan, "CHUNK_BYTES", per_chunk * 2 * kernel[0] * kernel[1] * hz * wz * 8)
    module = load(spec)
    assert module._PLAN.chunk == per_chunk
    rng = np.random.default_rng(11)
    A = rng.standard_normal((5, 2, *inp))
    K = rng.standard_normal((3, 2, *kernel))
    b = rng.standard_normal(3)
    Z = module.forward(A, K, b)
    np.testing.assert_allclose(Z, ref.conv_forward(A, K, b, padding, stride, dilation), rtol=1e-12, atol=1e-12)
    dZ = rng.standard_normal(Z.shape)
    want = ref.conv_backward(dZ, A, K, padding, stride, dilation)
    for got, expected in zip(module.backward(dZ, A, K), want, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("channels", [1, 16, 64, 512])
def test_a_stride_1_conv_chunk_keeps_its_windows_near_flat_bytes(channels):
    """About FLAT_COLUMNS positions per chunk, fewer when the windows would pass FLAT_BYTES
    (never fewer than one example)."""
    spec = symconv.Conv2D(input=(32, 32), kernel=(3, 3), padding=(1, 1), in_channels=channels, out_channels=4)
    chunk = load(spec)._PLAN.chunk
    plane = 34 * 34
    windows = chunk * plane * channels * 9 * 8
    assert chunk == 1 or windows <= 1.5 * conv_plan.FLAT_BYTES
    assert chunk * plane <= 1.5 * conv_plan.FLAT_COLUMNS
    assert (chunk + 1) * plane * channels * 9 * 8 > conv_plan.FLAT_BYTES or (chunk + 1) * plane > conv_plan.FLAT_COLUMNS


def test_pairs_cover_small_windows_only():
    assert 2 * 2 <= pool_plan.PAIR_WINDOW_LIMIT < 5 * 4
    assert "PAIR_OFFSETS" in generate(symconv.MaxPool2D(input=(6, 6), window=2))
    assert "PAIR_OFFSETS" not in generate(symconv.MaxPool2D(input=(7, 6), window=(5, 4)))


def test_switches_that_are_not_integers_are_refused():
    module = load(symconv.MaxPool2D(input=(4, 4), window=2))
    A, switches = module.forward(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="switches must hold integers"):
        module.backward(np.ones_like(A), switches.astype(np.float64))


def test_switches_out_of_range_are_refused():
    module = load(symconv.MaxPool2D(input=(4, 4), window=2))
    A, switches = module.forward(np.zeros((1, 1, 4, 4)))
    for bad in (0, 5):
        wrong = switches.copy()
        wrong[0, 0, 0, 0] = bad
        with pytest.raises(ValueError, match=r"switches are the seed's i_pq, 1 \.\. 4"):
            module.backward(np.ones_like(A), wrong)


@pytest.mark.parametrize("kind", ["maxpool2d", "avgpool2d"])
def test_an_empty_batch_passes_through(kind):
    cls = symconv.MaxPool2D if kind == "maxpool2d" else symconv.AvgPool2D
    module = load(cls(input=(5, 6), window=3, padding=1, stride=2, channels=2))
    I = np.zeros((0, 2, 5, 6))
    if kind == "maxpool2d":
        A, switches = module.forward(I)
        dI = module.backward(np.zeros_like(A), switches)
    else:
        A = module.forward(I)
        dI = module.backward(np.zeros_like(A))
    assert A.shape == (0, 2, 3, 3) and dI.shape == (0, 2, 5, 6)
