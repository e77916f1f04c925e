"""Property test of the general convolution's derivation: every Jacobian exactly SymPy's own.

Hypothesis draws convolutions of 1 to 3 axes with any mix of stride, dilation, input dilation
(JAX's lhs dilation), per-side padding that crops when negative, padding modes, channels and
groups, and transposed convolutions with output padding.  The forward pass is written here as
plain loops over NumPy object arrays, independently of symconv's geometry: the input spread
by its input dilation, padded (or cropped) by ``np.pad`` in the matching mode, correlated with
the kernel; a transposed convolution as PyTorch defines it, each input entry scattered times
the kernel.  ``sympy.Matrix.jacobian`` of that forward pass must equal the core's sparse
``d vec(Z) / d vec(A)``, ``d vec(Z) / d vec(K)`` and ``d vec(Z) / d b`` entry by entry, the
symbolic forward pass must equal the loops, and the closed-form backward must be proven.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symconv
from symconv.binding import activation
from symconv.errors import SpecError
from symconv.layers.conv import closed_form
from symconv.layers.conv.rule import ConvDerivation

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
CONVS = {1: symconv.Conv1D, 2: symconv.Conv2D, 3: symconv.Conv3D}
TRANSPOSED = {1: symconv.ConvTranspose1D, 2: symconv.ConvTranspose2D, 3: symconv.ConvTranspose3D}
NP_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _symbols(letter: str, shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        out[idx] = sp.Symbol(f"{letter}{'_'.join(map(str, idx))}", real=True)
    return out


def _vec(x: np.ndarray, lead: int) -> list[sp.Expr]:
    """Leading axes row-major, the rest with its first axis fastest (the seed's vec)."""
    axes = (*range(lead), *reversed(range(lead, x.ndim)))
    return list(np.transpose(x, axes).reshape(-1))


def conv_loops(A, K, b, stride, dilation, lhs, padding, mode, groups) -> np.ndarray:  # noqa: N803
    """``Z[j] = sum_i pad(spread(A[i])) * K[j, i] + b[j]``, JAX's general convolution in loops."""
    cin, *size = A.shape
    cout, cg, *kernel = K.shape
    d = len(size)
    spread = np.zeros((cin, *((n - 1) * u + 1 if n else 0 for n, u in zip(size, lhs, strict=True))), dtype=object)
    spread[(slice(None), *(slice(None, None, u) for u in lhs))] = A
    padded = spread
    for a in range(d):  # crop first, then pad, axis by axis
        before, after = padding[2 * a], padding[2 * a + 1]
        n = padded.shape[a + 1]
        padded = np.take(padded, range(max(0, -before), n - max(0, -after)), axis=a + 1)
        widths = [(0, 0)] * padded.ndim
        widths[a + 1] = (max(0, before), max(0, after))
        if mode == "zeros":
            padded = np.pad(padded, widths, mode="constant", constant_values=sp.S.Zero)
        else:
            padded = np.pad(padded, widths, mode=NP_MODES[mode])
    span = [dl * (k - 1) + 1 for k, dl in zip(kernel, dilation, strict=True)]
    out_size = [
        max(0, (p - s_) // st + 1) if p >= s_ else 0 for p, s_, st in zip(padded.shape[1:], span, stride, strict=True)
    ]
    Z = np.empty((cout, *out_size), dtype=object)
    per = cout // groups
    for j in range(cout):
        for o in np.ndindex(*out_size):
            total = b[j] if b is not None else sp.S.Zero
            for c in range(cg):
                i = j // per * cg + c
                for r in np.ndindex(*kernel):
                    at = tuple(o[a] * stride[a] + r[a] * dilation[a] for a in range(d))
                    total += padded[(i, *at)] * K[(j, c, *r)]
            Z[(j, *o)] = total
    return Z


def transposed_loops(A, K, b, stride, dilation, padding, output_padding, groups) -> np.ndarray:  # noqa: N803
    """PyTorch's transposed convolution: each ``A[i, q]`` adds ``A[i, q] K[i, jl, r]`` into
    ``Z[j, q s - before + r d]``."""
    cin, *size = A.shape
    _, per, *kernel = K.shape
    d = len(size)
    out_size = [
        (n - 1) * s - padding[2 * a] - padding[2 * a + 1] + dl * (k - 1) + o + 1
        for a, (n, s, dl, k, o) in enumerate(zip(size, stride, dilation, kernel, output_padding, strict=True))
    ]
    cout = per * groups
    Z = np.empty((cout, *out_size), dtype=object)
    for j in range(cout):
        for o in np.ndindex(*out_size):
            Z[(j, *o)] = b[j] if b is not None else sp.S.Zero
    cin_g = cin // groups
    for i in range(cin):
        g = i // cin_g
        for jl in range(per):
            for q in np.ndindex(*size):
                for r in np.ndindex(*kernel):
                    at = tuple(q[a] * stride[a] - padding[2 * a] + r[a] * dilation[a] for a in range(d))
                    if all(0 <= at[a] < out_size[a] for a in range(d)):
                        Z[(g * per + jl, *at)] += A[(i, *q)] * K[(i, jl, *r)]
    return Z


@st.composite
def convolutions(draw):
    d = draw(st.integers(1, 3))
    small = 3 if d == 3 else 4
    size = tuple(draw(st.integers(1, small)) for _ in range(d))
    kernel = tuple(draw(st.integers(1, 3 if d < 3 else 2)) for _ in range(d))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(d))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(d))
    groups = draw(st.sampled_from([1, 1, 2]))
    cin = groups * draw(st.integers(1, 2 if d < 3 else 1))
    cout = groups * draw(st.integers(1, 2 if d < 3 else 1))
    bias = draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:  # a transposed convolution
        padding = tuple(draw(st.integers(0, 2)) for _ in range(2 * d))
        output_padding = tuple(draw(st.integers(0, max(s, dl) - 1)) for s, dl in zip(stride, dilation, strict=True))
        kw = dict(
            input=size,
            kernel=kernel,
            stride=stride,
            dilation=dilation,
            padding=padding,
            output_padding=output_padding,
            in_channels=cin,
            out_channels=cout,
            groups=groups,
            bias=bias,
        )
        return TRANSPOSED[d], kw
    mode = draw(st.sampled_from(["zeros", "zeros", "zeros", "reflect", "replicate", "circular"]))
    if mode == "zeros":
        lhs = tuple(draw(st.integers(1, 2)) for _ in range(d))
        padding = tuple(draw(st.integers(-1, 2)) for _ in range(2 * d))
    else:
        lhs = (1,) * d
        padding = tuple(draw(st.integers(0, min(2, n - 1 if mode == "reflect" else n))) for n in size for _ in (0, 1))
    kw = dict(
        input=size,
        kernel=kernel,
        stride=stride,
        dilation=dilation,
        padding=padding,
        input_dilation=lhs,
        padding_mode=mode,
        in_channels=cin,
        out_channels=cout,
        groups=groups,
        bias=bias,
    )
    return CONVS[d], kw


def _spec(cls, kw):
    try:
        spec = cls(**kw)
    except SpecError:
        assume(False)
        raise
    # an empty layer (no input or no output entry) has no Jacobian entries to compare
    assume(0 < np.prod(spec.out_shape) * np.prod(spec.in_shape) <= 400)
    return spec


def _check(spec) -> None:
    """The general rule (which every convolution kind derives with) against the loops."""
    cls = type(spec)
    d = ConvDerivation(
        spec, activation(spec.in_shape, ("A", "a"), None), activation(spec.out_shape, ("Z", "z"), None), None
    )
    A = np.empty(d.input.shape, dtype=object)
    for idx in np.ndindex(*A.shape):
        A[idx] = d.input.entry(*idx)
    K = np.empty(d.kernel.shape, dtype=object)
    for idx in np.ndindex(*K.shape):
        K[idx] = d.kernel.entry(*idx)
    b = list(d.bias.flat) if d.bias is not None else None
    if cls in TRANSPOSED.values():
        Z = transposed_loops(A, K, b, spec.stride, spec.dilation, spec.padding, spec.output_padding, spec.groups)
    else:
        Z = conv_loops(
            A, K, b, spec.stride, spec.dilation, spec.input_dilation, spec.padding, spec.padding_mode, spec.groups
        )
    assert Z.shape == spec.out_shape
    zs = _vec(Z, 1)
    forward = d.forward()
    assert len(forward) == len(zs)
    assert all(sp.expand(x - y) == 0 for x, y in zip(forward, zs, strict=True))
    Zm = sp.Matrix(zs)
    assert sp.Matrix(d.full_jacobian("A").to_matrix()) == Zm.jacobian(sp.Matrix(d.input.flat))
    assert sp.Matrix(d.full_jacobian("K").to_matrix()) == Zm.jacobian(sp.Matrix(d.kernel.flat))
    if d.bias is not None:
        assert sp.Matrix(d.full_jacobian("b").to_matrix()) == Zm.jacobian(sp.Matrix(d.bias.flat))
    for j, c in itertools.product(range(d.cout), range(d.ck)):
        assert closed_form.check(d, j, c).equal


@SETTINGS
@given(convolutions())
def test_general_convolution_jacobians_are_sympys(case) -> None:
    _check(_spec(*case))


@pytest.mark.parametrize(
    ("cls", "kw"),
    [
        # JAX's lhs dilation with a window stride and cropping, in 1-D and 2-D
        (symconv.Conv1D, dict(input=5, kernel=2, input_dilation=2, stride=2, padding=(-1, 1), dilation=2)),
        (symconv.Conv2D, dict(input=(3, 3), kernel=2, input_dilation=(2, 1), stride=(2, 1), padding=(0, -1, 1, 0))),
        # every padding mode copies input entries: their kernel entries add up in d vZ/d vA
        (symconv.Conv1D, dict(input=4, kernel=3, padding=(2, 1), padding_mode="replicate")),
        (symconv.Conv1D, dict(input=5, kernel=4, padding=(3, 2), padding_mode="reflect")),
        (symconv.Conv2D, dict(input=(2, 3), kernel=(3, 2), padding=(2, 2, 3, 1), padding_mode="circular")),
        (symconv.Conv3D, dict(input=(2, 2, 3), kernel=2, padding=1, padding_mode="circular", bias=False)),
        # 3-D with groups; transposed with crop beyond what PyTorch's padding allows
        (
            symconv.Conv3D,
            dict(input=(2, 3, 2), kernel=(2, 2, 1), stride=(1, 2, 1), in_channels=2, out_channels=2, groups=2),
        ),
        (symconv.ConvTranspose2D, dict(input=(2, 2), kernel=2, stride=2, padding=(2, 0, 0, 0))),
        (symconv.ConvTranspose3D, dict(input=(2, 1, 2), kernel=2, stride=(1, 2, 2), out_channels=2)),
    ],
)
def test_named_general_convolutions_are_sympys(cls, kw) -> None:
    _check(cls(**kw))
