"""PyTorch parity of the transposed convolution (``conv_transpose2d``).

Checked against references written apart from symconv: exact SymPy Jacobians of the scatter
loop in ``tests/reference_loops.py`` (PyTorch's definition written out), the adjoint of the
conv home's own ``d vY/d vU``, the generated code against the loops, ``symconv check`` (finite
differences, the seed's route, float32), and PyTorch itself (its functional op and every
OpInfo sample of ``conv_transpose2d``) when torch is installed."""

from __future__ import annotations

import types

import numpy as np
import opinfo
import pytest
import reference_loops as ref
import sympy as sp

import symconv as sc
from symconv.cli import main
from symconv.codegen.render import generate
from symconv.layers.conv import plan as conv_plan
from symconv.symbols import vec_order


def load(spec):
    """The generated module of ``spec``, executed from its source (code we generated)."""
    module = types.ModuleType("generated_under_test")
    exec(compile(generate(spec), "<generated>", "exec"), module.__dict__)
    return module


def _objects(t) -> np.ndarray:
    """A tensor's symbols as an object array of its shape."""
    out = np.empty(t.shape, dtype=object)
    for idx in np.ndindex(*t.shape):
        out[idx] = t.entry(*idx)
    return out


# (input, kernel, padding (t, b, l, r), stride, dilation, output_padding, in, out, groups)
SHAPES = [
    pytest.param((2, 3), (2, 2), (1, 1, 0, 0), (2, 1), (1, 1), (1, 0), 2, 2, 1, id="stride2-output-padding"),
    pytest.param((3, 2), (2, 3), (0, 1, 1, 0), (2, 2), (2, 1), (1, 1), 4, 2, 2, id="groups-dilation-per-side"),
    pytest.param((2, 2), (3, 2), (0, 0, 0, 0), (1, 1), (2, 2), (1, 1), 1, 3, 1, id="output-padding-past-stride"),
    pytest.param((3, 3), (1, 1), (0, 0, 0, 0), (3, 2), (1, 1), (2, 1), 2, 4, 2, id="1x1-stride-past-kernel"),
]


@pytest.mark.parametrize(("inp", "k", "pad", "stride", "dil", "op", "cin", "cout", "groups"), SHAPES)
def test_jacobians_equal_sympys_of_the_scatter_loop(inp, k, pad, stride, dil, op, cin, cout, groups):
    """The core's forward and its three full vec Jacobians equal ``Matrix.jacobian`` of
    PyTorch's scatter written as loops, on symbols; each (j, i) block too."""
    spec = sc.ConvTranspose2D(input=inp, kernel=k, padding=pad, stride=stride, dilation=dil, output_padding=op,
                              in_channels=cin, out_channels=cout, groups=groups)  # fmt: skip
    d = sc.derive(spec)
    A, K, b = _objects(d.input), _objects(d.kernel), np.array(d.b, dtype=object)
    Z = ref.conv_transpose_forward(A[None], K, b, pad, stride, dil, op, groups)[0]
    assert Z.shape == spec.out_shape
    fwd = sp.Matrix(list(vec_order(Z)))
    assert (fwd - sp.Matrix(d.forward())).expand() == sp.zeros(fwd.rows, 1)
    for wrt, tensor in (("A", d.input), ("K", d.kernel), ("b", d.bias)):
        got = d.full_jacobian(wrt)
        want = fwd.jacobian(tensor.flat)
        assert sp.Matrix(got) == want, wrt
        assert got.nnz == sum(1 for v in want if v != 0), wrt  # sparse: exactly the nonzeros are stored
    nz = spec.out_shape[1] * spec.out_shape[2]
    na = inp[0] * inp[1]
    cout_g, cin_g = cout // groups, cin // groups
    for j in range(cout):
        rows = fwd[j * nz : (j + 1) * nz, :]
        for i in range(cin):
            block = sp.Matrix(rows).jacobian(d.input.vec(i))
            assert sp.Matrix(d.jacobian("A", j=j, i=i)) == block
            if i // cin_g == j // cout_g:
                assert sp.Matrix(d.jacobian("K", j=j, i=i)) == sp.Matrix(rows).jacobian(d.kernel.vec(i, j % cout_g))
            else:
                assert block == sp.zeros(nz, na)
                with pytest.raises(sc.SpecError, match="do not meet"):
                    d.jacobian("K", j=j, i=i)


@pytest.mark.parametrize(("inp", "k", "pad", "stride", "dil", "op"), [
    ((3, 2), (3, 2), (1, 0, 0, 1), (2, 3), (1, 2), (1, 2)),
    ((2, 3), (2, 2), (0, 0, 0, 0), (1, 1), (3, 2), (2, 1)),  # output padding past the stride: one more window
])  # fmt: skip
def test_d_vZ_d_vA_is_the_transposed_d_vY_d_vU_of_the_conv_home(inp, k, pad, stride, dil, op):
    """The adjoint: ``d vZ/d vA = (d vY/d vU)^T`` of the conv2d layer ``Y = U * K`` over an
    output-sized ``U`` (the conv home's own Jacobian), its rows past the input dropped."""
    spec = sc.ConvTranspose2D(input=inp, kernel=k, padding=pad, stride=stride, dilation=dil, output_padding=op)
    d = sc.derive(spec)
    conv = sc.derive(sc.Conv2D(input=spec.out_shape[1:], kernel=k, padding=pad, stride=stride, dilation=dil))
    hy, wy = conv.output_shape
    assert (hy, wy)[0] >= inp[0] and (hy, wy)[1] >= inp[1]
    keep = [q * hy + p for q in range(inp[1]) for p in range(inp[0])]
    dy_du = sp.Matrix(conv.jacobian("A")).extract(keep, list(range(conv.jacobian("A").shape[1])))
    kernel = dict(zip(conv.kernel.flat, d.kernel.flat, strict=True))  # the same kernel, named by each home
    assert sp.Matrix(d.jacobian("A")) == dy_du.T.subs(kernel)


CODE = [
    dict(input=(4, 5), kernel=(3, 2), padding=(1, 0, 2, 1), stride=(2, 3), dilation=(1, 2), output_padding=(1, 0),
         in_channels=4, out_channels=6, groups=2),
    dict(input=(3, 3), kernel=(2, 3), padding=(0, 1), stride=(1, 1), dilation=(3, 2), output_padding=(2, 1),
         in_channels=3, out_channels=2, bias=False),
]  # fmt: skip


@pytest.mark.parametrize("kw", CODE, ids=["groups-stride-per-side", "no-bias-output-padding-past-stride"])
def test_generated_code_equals_the_scatter_loop(kw):
    """forward and backward (dA, dK, db) against the loops, batched and batchless, in float64
    and float32, with integer data (exact)."""
    spec = sc.ConvTranspose2D(**kw)
    m = load(spec)
    rng = np.random.default_rng(3)
    cin, (h, w) = kw["in_channels"], kw["input"]
    A = rng.integers(-3, 4, (2, cin, h, w)).astype(float)
    K = rng.integers(-3, 4, (cin, kw["out_channels"] // kw.get("groups", 1), *kw["kernel"])).astype(float)
    bias = kw.get("bias", True)
    b = rng.integers(-3, 4, kw["out_channels"]).astype(float) if bias else None
    pad = spec.padding
    args = (spec.stride, spec.dilation, spec.output_padding, spec.groups)
    Z_ref = ref.conv_transpose_forward(A, K, b, pad, *args)
    G = rng.integers(-3, 4, Z_ref.shape).astype(float)
    dA_ref, dK_ref, db_ref = ref.conv_transpose_backward(G, A, K, pad, spec.stride, spec.dilation, spec.groups)
    for dtype in (np.float64, np.float32):
        params = (K.astype(dtype), b.astype(dtype)) if bias else (K.astype(dtype),)
        Z = m.forward(A.astype(dtype), *params)
        assert Z.dtype == dtype
        np.testing.assert_array_equal(Z, Z_ref)
        grads = m.backward(G.astype(dtype), A.astype(dtype), K.astype(dtype))
        np.testing.assert_array_equal(grads[0], dA_ref)
        np.testing.assert_array_equal(grads[1], dK_ref)
        if bias:
            np.testing.assert_array_equal(grads[2], db_ref)
    one = m.forward(A[0], *((K, b) if bias else (K,)))
    np.testing.assert_array_equal(one, Z_ref[0])
    one_grads = m.backward(G[0], A[0], K)  # one example without its batch axis: its own gradients
    one_ref = ref.conv_transpose_backward(G[:1], A[:1], K, pad, spec.stride, spec.dilation, spec.groups)
    np.testing.assert_array_equal(one_grads[0], one_ref[0][0])
    np.testing.assert_array_equal(one_grads[1], one_ref[1])


def test_generated_code_over_many_chunks_equals_the_scatter_loop(monkeypatch):
    """One example per chunk (the chunk budget forced to 1 byte): every chunk's products, padded
    output and windows start afresh, and the kernel gradient adds up over the chunks."""
    monkeypatch.setattr(conv_plan, "SCATTER_BYTES", 1)
    spec = sc.ConvTranspose2D(input=(3, 4), kernel=(3, 2), padding=(1, 0, 0, 1), stride=(2, 1), dilation=(1, 2),
                              output_padding=(1, 1), in_channels=4, out_channels=2, groups=2)  # fmt: skip
    m = load(spec)
    assert m._PLAN.chunk == 1
    rng = np.random.default_rng(11)
    A = rng.integers(-3, 4, (3, 4, 3, 4)).astype(float)
    K = rng.integers(-3, 4, (4, 1, 3, 2)).astype(float)
    b = rng.integers(-3, 4, 2).astype(float)
    args = (spec.padding, spec.stride, spec.dilation)
    Z = ref.conv_transpose_forward(A, K, b, *args, spec.output_padding, spec.groups)
    np.testing.assert_array_equal(m.forward(A, K, b), Z)
    G = rng.integers(-3, 4, Z.shape).astype(float)
    for got, want in zip(m.backward(G, A, K), ref.conv_transpose_backward(G, A, K, *args, spec.groups), strict=True):
        np.testing.assert_array_equal(got, want)


def test_symconv_check_passes(tmp_path, capsys):
    """``symconv codegen`` then ``symconv check``: finite differences, the seed's route, float32,
    the dense Jacobians against the core's."""
    flags = ["--layer", "conv_transpose2d", "--input", "3x4", "--kernel", "3x2", "--stride", "2,3"]
    flags += ["--padding", "1,0,0,1", "--output-padding", "1,2", "--in-channels", "4", "--out-channels", "6"]
    flags += ["--groups", "2"]
    assert main(["codegen", *flags, "-o", str(tmp_path)]) == 0
    (module,) = tmp_path.glob("*.py")
    capsys.readouterr()
    assert main(["check", str(module)]) == 0
    out = capsys.readouterr().out
    assert "all checks passed" in out and "central finite differences" in out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--input", "3x3", "--kernel", "3", "--stride", "2", "--output-padding", "2"],
         "--output-padding: must be smaller than the stride or the dilation along each axis (PyTorch's rule), "
         "got 2x2 with stride 2x2 and dilation 1x1"),
        (["--input", "3x3", "--kernel", "3", "--in-channels", "3", "--out-channels", "4", "--groups", "2"],
         "--groups: must divide in_channels (3), got 2"),
        (["--input", "2x2", "--kernel", "1", "--padding", "2"],
         "--padding: 2,2,2,2 trims the output to -2x-2: (n - 1) s - before - after + d (k - 1) + output_padding + 1 "
         "must be at least 0"),
        (["--input", "3x3", "--kernel", "3", "--window", "2"], "--window: does not apply to conv_transpose2d"),
    ],
)  # fmt: skip
def test_cli_refuses_bad_flags_in_one_line(tmp_path, capsys, flags, message):
    assert main(["latex", "--layer", "conv_transpose2d", *flags, "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"symconv: error: {message}\n"
    assert not list(tmp_path.iterdir())


CLAIMS = """
[layer]
type = "conv_transpose2d"
input = [3, 3]
kernel = [2, 2]
stride = [2, 2]
padding = [1, 1]
output_padding = [1, 1]

[symbols]
G = [5, 5]

[define]
L = "sum_entries(hadamard(G, Z))"

[[claims]]
id = "worked-entry"
lhs = "diff(z[3,2], beta[2,1])"
rhs = "a[2,2]"

[[claims]]
id = "output-size"
lhs = "(3 - 1) * h_s - p_top - p_bottom + (2 - 1) + o_h + 1"
rhs = "5"

[[claims]]
id = "backward-is-a-conv"
lhs = "grad(L, A)"
rhs = "conv(G, K, padding=(p_top, p_bottom, p_left, p_right), stride=(h_s, w_s))"

[[claims]]
id = "swapped-kernel-entry"
lhs = "diff(z[3,2], a[2,2])"
rhs = "k[1,2]"
"""


def test_claims_name_the_transposed_conv(tmp_path, capsys):
    """The layer's tensors, ``o_h, o_w`` and the padding and stride names in claims: the
    gradient of a transposed convolution with respect to its input is the seed's convolution
    of ``G`` by the same kernel, padding and stride; a swapped kernel entry fails."""
    path = tmp_path / "c.toml"
    path.write_text(CLAIMS)
    assert main(["verify", str(path)]) == 1
    out = capsys.readouterr().out
    for name in ("worked-entry", "output-size", "backward-is-a-conv"):
        assert f"holds    {name}" in out
    assert "FAILS    swapped-kernel-entry" in out and "correct value: k_{21}" in out


# -- PyTorch ------------------------------------------------------------------------------------


def _torch():
    return pytest.importorskip("torch")


def _spec_of(x_shape, weight_shape, bias, kwargs):
    """The symconv layer of one conv_transpose2d call (PyTorch's keyword names)."""
    pair = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v, v)  # noqa: E731
    cin, h, w = x_shape[-3:]
    groups = kwargs.get("groups", 1)
    return sc.ConvTranspose2D(input=(h, w), kernel=weight_shape[2:], stride=pair(kwargs.get("stride", 1)),
                              padding=pair(kwargs.get("padding", 0)),
                              output_padding=pair(kwargs.get("output_padding", 0)),
                              dilation=pair(kwargs.get("dilation", 1)), groups=groups, in_channels=cin,
                              out_channels=weight_shape[1] * groups, bias=bias is not None)  # fmt: skip


def _agree(torch, x, weight, bias, kwargs):
    """The generated module's forward and backward equal torch.autograd's, to 1e-10."""
    F = torch.nn.functional
    spec = _spec_of(x.shape, weight.shape, bias, kwargs)
    m = load(spec)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(weight, requires_grad=True)
    bt = torch.tensor(bias, requires_grad=True) if bias is not None else None
    yt = F.conv_transpose2d(xt, wt, bt, **kwargs)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    params = (weight, bias) if bias is not None else (weight,)
    y = m.forward(x, *params)  # a batchless sample goes in as it is
    grads = m.backward(g, x, weight)
    assert np.shape(y) == tuple(yt.shape) and np.shape(grads[0]) == x.shape
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grads[0], xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grads[1], wt.grad.numpy(), rtol=1e-10, atol=1e-10)
    if bias is not None:
        np.testing.assert_allclose(grads[2], bt.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("d", "samples", "batchless"), [(1, 10, 5), (2, 12, 6), (3, 10, 5)])
def test_every_opinfo_sample_of_conv_transpose_passes(d, samples, batchless):
    """PyTorch's own OpInfo sample_inputs (float64) of ``nn.functional.conv_transpose{1,2,3}d``,
    every sample run through the generated module of its layer directly (batchless samples as
    they are): forward and the gradients of the input, the weight and the bias equal
    torch.autograd's to 1e-10.  None is skipped; the counts are asserted."""
    assert opinfo.run_samples(f"nn.functional.conv_transpose{d}d", d, transposed=True) == (samples, batchless)


def test_cross_check_against_torch_on_more_shapes():
    """A few more layers against torch: groups with output padding past the stride, per-side
    symmetric padding, many channels."""
    torch = _torch()
    rng = np.random.default_rng(5)
    for shape, wshape, kwargs in [
        ((2, 6, 5, 4), (6, 2, 3, 2), dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=3)),
        ((3, 4, 6, 6), (4, 3, 4, 4), dict(stride=2, padding=1)),
        ((1, 2, 3, 5), (2, 4, 2, 3), dict(stride=1, dilation=(3, 2), output_padding=(2, 1), padding=(2, 1))),
    ]:
        x = rng.standard_normal(shape)
        weight = rng.standard_normal(wshape)
        b = rng.standard_normal(wshape[1] * kwargs.get("groups", 1))
        _agree(torch, x, weight, b, kwargs)
