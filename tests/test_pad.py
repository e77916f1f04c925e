"""The pad layer (PyTorch's ``F.pad`` on the spatial axes, 1 to 3 of them): its spec's rules
(PyTorch's), its Jacobian against SymPy's ``jacobian`` of the plain-loop pad of
``tests/reference_loops.py`` (written without symconv.geometry), the generated code against
those loops in both dtypes, batched and batchless, and against ``torch.nn.functional.pad`` when
torch is installed (its OpInfo samples run in tests/test_conv_parity.py)."""

from __future__ import annotations

import numpy as np
import pytest
import reference_loops as ref
import sympy as sp
from opinfo import load

import symconv as sc
from symconv.cli import main

#: (d, input, padding per side in axis order, mode)
CASES = [
    (1, (5,), (2, 1), "constant"),
    (1, (5,), (3, -2), "reflect"),
    (1, (4,), (-1, 3), "replicate"),
    (1, (5,), (3, -2), "circular"),
    (2, (3, 4), (1, 2, -1, 2), "reflect"),
    (2, (3, 4), (2, 0, 1, 3), "replicate"),
    (2, (3, 4), (0, 3, 2, -1), "circular"),
    (2, (3, 3), (-1, -1, 2, 0), "constant"),
    (3, (2, 3, 3), (1, 0, 2, 1, -1, 2), "reflect"),
    (3, (2, 2, 3), (1, 1, 0, 2, 3, 0), "circular"),
]
IDS = [f"{d}d-{mode}-{k}" for k, (d, _, _, mode) in enumerate(CASES)]


def _spec(d, inp, pad, mode, channels=2, value=None):
    return getattr(sc, f"Pad{d}D")(input=inp, padding=pad, mode=mode, channels=channels, value=value)


@pytest.mark.parametrize(("d", "inp", "pad", "mode"), CASES, ids=IDS)
def test_jacobian_equals_sympys_of_the_plain_loop_pad(d, inp, pad, mode):
    """The core's forward and its full vec Jacobian equal ``Matrix.jacobian`` of the plain-loop
    pad run on the layer's symbols; every entry is 0 or 1, and a copied input entry's column
    holds a 1 for each output entry holding it."""
    d_ = sc.derive(_spec(d, inp, pad, mode, value=None))
    A = np.empty(d_.input.shape, dtype=object)
    for idx in np.ndindex(*A.shape):
        A[idx] = d_.input.entry(*idx)
    P = ref.pad_forward(A[None], pad, mode, value=0)[0]
    want = sp.Matrix(list(d_.output.vec_order(P)))
    assert sp.Matrix(d_.forward()) == want
    J = d_.full_jacobian("A")
    assert sp.Matrix(J) == want.jacobian(d_.input.flat)
    assert set(np.asarray(sp.Matrix(J)).reshape(-1).tolist()) <= {0, 1}


@pytest.mark.parametrize(("d", "inp", "pad", "mode"), CASES, ids=IDS)
def test_generated_code_equals_the_loops(d, inp, pad, mode):
    value = 1.5 if mode == "constant" else None
    spec = _spec(d, inp, pad, mode, value=value)
    m = load(spec)
    rng = np.random.default_rng(d)
    A = rng.standard_normal((3, 2, *inp))
    P = ref.pad_forward(A, pad, mode, value=value or 0.0)
    dP = rng.standard_normal(P.shape)
    dA = ref.pad_backward(dP, A.shape, pad, mode)
    for dtype in (np.float64, np.float32):
        got = m.forward(A.astype(dtype))
        assert got.dtype == dtype
        np.testing.assert_allclose(got, P, rtol=1e-6, atol=1e-6)
        back = m.backward(dP.astype(dtype))
        assert back.dtype == dtype
        np.testing.assert_allclose(back, dA, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(m.forward(A[0]), P[0])  # batchless
    np.testing.assert_allclose(m.backward(dP[0]), dA[0], atol=1e-12)
    J = m.jacobians()[("A", 0, 0)]
    np.testing.assert_array_equal(J, sc.derive(spec).jacobian("A", j=0, i=0).to_numpy())


INVALID = [
    ({"input": (3, 4), "padding": 1, "mode": "wrap"},
     "mode: must be one of 'constant', 'reflect', 'replicate', 'circular', got 'wrap'"),
    ({"input": (3, 4), "padding": 1, "mode": "reflect", "value": 1.0},
     "value: applies to mode 'constant' only, not 'reflect' (PyTorch's rule)"),
    ({"input": (3, 4), "padding": (0, 0, 4, 0), "mode": "reflect"},
     "padding: reflect padding must be smaller than the input along axis 2 (PyTorch's rule), got 4 for 4 entries"),
    ({"input": (3, 4), "padding": (-2, -2, 0, 0)},
     "padding: crops 4 entries along axis 1, more than the 3 the input has"),
    ({"input": (3, 4), "padding": (0, 0, -1, 4), "mode": "circular"},
     "padding: circular padding must be at most the (cropped) input's size along axis 2 (PyTorch's rule), "
     "got 4 for 3 entries"),
    ({"input": (0, 4), "padding": 1, "mode": "replicate"},
     "input: replicate padding needs an input entry along axis 1 (PyTorch's rule)"),
    ({"input": (3, 4), "padding": (1, 1, 1)},
     "padding: must have 1, 2 or 4 entries (P, PH,PW or TOP,BOTTOM,LEFT,RIGHT), got 3"),
    ({"input": (3, 4), "padding": 1, "value": "two"}, "value: must be a number, got 'two'"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "message"), INVALID)
def test_invalid_pad_specs_name_the_parameter_and_the_rule(kwargs, message):
    with pytest.raises(sc.SpecError) as info:
        sc.Pad2D(**kwargs)
    assert str(info.value) == message


def test_cli_pad_layer_and_its_errors(tmp_path, capsys):
    flags = ["--input", "3x4", "--padding", "1,2,-1,2", "--mode", "circular", "--channels", "2"]
    assert main(["codegen", "--layer", "pad2d", *flags, "-o", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["check", str(tmp_path / "pad2d.py")]) == 0
    assert "all checks passed" in capsys.readouterr().out
    bad = ["codegen", "--layer", "pad1d", "--input", "4", "--padding", "4", "--mode", "reflect", "-o", str(tmp_path)]
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert err == (
        "symconv: error: --padding: reflect padding must be smaller than the input along axis 1 (PyTorch's rule), "
        "got 4 for 4 entries\n"
    )


def test_a_pad_chains_into_a_convolution_in_a_network():
    """In a network a reflect pad binds to the previous layer's shape and feeds a convolution: the
    padded size is the convolution's input size."""
    net = sc.Network(
        input=(5, 6),
        channels=2,
        layers=[sc.Pad2D(padding=(1, 1, 2, 0), mode="reflect"), sc.Conv2D(kernel=3, out_channels=2), sc.Flatten()],
    )
    pad, conv, _ = net.layers
    assert pad.out_shape == (2, 7, 8) == conv.in_shape
    assert conv.out_shape == (2, 5, 6)


def test_against_torch_pad():
    """Every case against ``torch.nn.functional.pad`` (float64, forward and the input's gradient)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    for d, inp, pad, mode in CASES:
        value = 0.5 if mode == "constant" else None
        m = load(_spec(d, inp, pad, mode, value=value))
        x = rng.standard_normal((2, 2, *inp))
        xt = torch.tensor(x, requires_grad=True)
        tp = [p for a in reversed(range(d)) for p in (pad[2 * a], pad[2 * a + 1])]
        yt = torch.nn.functional.pad(xt, tp, mode=mode, **({"value": value} if value is not None else {}))
        g = rng.standard_normal(tuple(yt.shape))
        yt.backward(torch.tensor(g))
        np.testing.assert_array_equal(m.forward(x), yt.detach().numpy())
        np.testing.assert_allclose(m.backward(g), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
