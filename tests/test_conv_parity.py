"""PyTorch parity of convolution: ``groups`` (and, through PyTorch's own samples,
``padding="same"/"valid"`` and batchless inputs).

Each is checked against references written apart from symconv: exact SymPy Jacobians of
the plain-loop grouped forward pass in ``tests/reference_loops.py`` (PyTorch's rule written
out), the generated code against those loops in both dtypes and over chunk boundaries,
``symconv check``, and PyTorch itself (its functional conv2d and its own OpInfo samples)
when torch is installed."""

from __future__ import annotations

import types

import numpy as np
import opinfo
import pytest
import reference_loops as ref
import sympy as sp
from tools import conv_spec

import symconv as sc
from symconv.cli import main
from symconv.codegen.render import generate
from symconv.latex.document import document
from symconv.layers import window_plan
from symconv.layers.conv import closed_form
from symconv.layers.conv import plan as conv_plan
from symconv.verify import verify


def load(spec):
    """The generated module of ``spec``, executed from its source (code we generated)."""
    module = types.ModuleType("generated_under_test")
    exec(compile(generate(spec), "<generated>", "exec"), module.__dict__)
    return module


def vec(m) -> list:
    """Column-major stacking of a 2-D array (the seed's vec)."""
    return [m[r, c] for c in range(m.shape[1]) for r in range(m.shape[0])]


# input, kernel, padding (t, b, l, r), stride, dilation, in, out, groups
GROUPED = [
    pytest.param((3, 3), (2, 2), (1, 0, 1, 0), (1, 1), (1, 1), 4, 6, 2, id="groups-2-of-4-to-6"),
    pytest.param((4, 4), (3, 3), (1, 1, 1, 1), (1, 1), (1, 1), 3, 3, 3, id="depthwise-stride-1"),
    pytest.param((5, 4), (2, 2), (1, 1, 0, 1), (2, 1), (1, 2), 3, 3, 3, id="depthwise-strided-dilated"),
    pytest.param((3, 3), (2, 1), (0, 1, 0, 0), (1, 1), (1, 1), 2, 4, 2, id="channel-multiplier-2"),
    pytest.param((4, 3), (1, 2), (0, 0, 1, 1), (1, 2), (1, 1), 6, 3, 3, id="two-channels-per-kernel-strided"),
]


def loops_z(d) -> list:
    """vec of every Z_j, by the plain-loop grouped forward pass run on the layer's symbols."""
    spec = d.spec
    A = np.array(d.input.flat, dtype=object).reshape(1, spec.in_channels, *spec.input[::-1]).transpose(0, 1, 3, 2)
    hk, wk = spec.kernel
    K = np.array(d.kernel.flat, dtype=object).reshape(spec.out_channels, -1, wk, hk).transpose(0, 1, 3, 2)
    b = np.array(d.bias.flat, dtype=object)
    Z = ref.grouped_conv_forward(A, K, b, spec.padding, spec.stride, spec.dilation, spec.groups)[0]
    return [vec(Z[j]) for j in range(spec.out_channels)]


@pytest.mark.parametrize(("inp", "ker", "pad", "stride", "dil", "cin", "cout", "groups"), GROUPED)
def test_grouped_jacobians_equal_sympys_of_pytorchs_rule(inp, ker, pad, stride, dil, cin, cout, groups):
    """The core's Z and its full vec Jacobians equal Matrix.jacobian of PyTorch's grouped conv
    written as loops, symbolically; the block of an input channel outside kernel j's group is
    the zero matrix."""
    d = sc.derive(conv_spec(inp, ker, pad, stride, dil, cin, cout, groups))
    zs = loops_z(d)
    assert [sp.Matrix(vec(z)) for z in d.Z] == [sp.Matrix(z) for z in zs]
    vz = sp.Matrix([e for z in zs for e in z])
    assert d.full_jacobian("K").to_matrix() == vz.jacobian(sp.Matrix(d.kernel.flat))
    assert d.full_jacobian("A").to_matrix() == vz.jacobian(sp.Matrix(d.input.flat))
    assert d.full_jacobian("b").to_matrix() == vz.jacobian(sp.Matrix(d.bias.flat))
    for j in range(cout):
        for i in range(cin):
            want = sp.Matrix(zs[j]).jacobian(sp.Matrix(d.input.vec(i)))
            assert d.jacobian("A", j=j, i=i).to_matrix() == want


def test_jacobian_list_leaves_out_the_zero_blocks_across_groups():
    """3.1.5's list holds d vZ_j/d vA_i for the input channels of kernel j's group only (the
    others are zero: they drop out of dJ/dvA_i = sum_j ...); K has C_in/groups channels."""
    d = sc.derive(sc.Conv2D(input=(3, 3), kernel=2, in_channels=4, out_channels=6, groups=2))
    listed = {(info.key, *(v for _, v in info.index)) for _, info in enumerate(d.jacobian_list())}
    for j in range(6):
        group = range(0, 2) if j < 3 else range(2, 4)  # written out: kernels 0-2 see channels 0, 1
        for i in range(4):
            assert (("A", j, i) in listed) == (i in group)
            assert (d.jacobian("A", j=j, i=i).nnz > 0) == (i in group)
        assert {("K", j, 0), ("K", j, 1), ("b", j)} <= listed
    assert len(listed) == 6 * (2 + 1 + 2)
    with pytest.raises(sc.SpecError, match="i"):
        d.jacobian("K", j=0, i=2)  # a kernel has 2 channels


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_derivation_size_counts_each_group_once(groups):
    """Without padding every window lies in the input: the nonzeros are exactly 2 x outputs
    x (C_in/groups) h_k w_k plus the bias column, which is what the budget charges."""
    spec = sc.Conv2D(input=(5, 4), kernel=(2, 3), in_channels=4, out_channels=8, groups=groups)
    d = sc.derive(spec)
    nnz = sum(d.full_jacobian(w).nnz for w in ("K", "A", "b"))
    symbols = d.input.size + d.output.size + d.kernel.size + d.bias.size
    assert spec.derivation_size() == (symbols, nnz)
    assert d.kernel.shape == (8, 4 // groups, 2, 3)


@pytest.mark.parametrize(("inp", "ker", "pad", "stride", "dil", "cin", "cout", "groups"), GROUPED)
def test_closed_forms_hold_channel_by_channel(inp, ker, pad, stride, dil, cin, cout, groups):
    """Channel i of kernel j meets one input channel: its closed forms equal SymPy's derivative
    of J_j = sum g_pq z_{j,pq}, the grouped loops' Z_j."""
    d = sc.derive(conv_spec(inp, ker, pad, stride, dil, cin, cout, groups))
    zs = loops_z(d)
    for j in (0, cout - 1):
        G = closed_form.upstream(d, j)
        J = sum((g * z for g, z in zip(vec(G), zs[j], strict=True)), sp.S.Zero)
        for i in range(cin // groups):
            c = closed_form.proven(d, j, i)
            assert c.channel == (j // (cout // groups)) * (cin // groups) + i
            K, A = d.K[j][i], d.A[c.channel]
            for r in range(K.rows):
                for s in range(K.cols):
                    assert sp.expand(c.kernel_entry(r, s) - sp.diff(J, K[r, s])) == 0
            for x in range(A.rows):  # kernel j meets input channel c through channel i alone
                for y in range(A.cols):
                    assert sp.expand(c.input_entry(x, y) - sp.diff(J, A[x, y])) == 0


# -- generated code ---------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(("inp", "ker", "pad", "stride", "dil", "cin", "cout", "groups"), GROUPED)
def test_generated_grouped_code_matches_the_loops(inp, ker, pad, stride, dil, cin, cout, groups, bias):
    """forward and backward against the grouped loops, float64 and float32, batched and batchless."""
    spec = conv_spec(inp, ker, pad, stride, dil, cin, cout, groups, bias)
    m = load(spec)
    rng = np.random.default_rng(3)
    A = rng.standard_normal((3, cin, *inp))
    K = rng.standard_normal((cout, cin // groups, *ker))
    b = rng.standard_normal(cout)
    args = (b,) if bias else ()
    Z = ref.grouped_conv_forward(A, K, b if bias else None, pad, stride, dil, groups)
    dZ = rng.standard_normal(Z.shape)
    dA, dK, db = ref.grouped_conv_backward(dZ, A, K, pad, stride, dil, groups)
    want = (dA, dK, db) if bias else (dA, dK)
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-4)):
        cast = [x.astype(dtype) for x in (A, K, *args)]
        got = m.forward(*cast)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, Z, rtol=tol, atol=tol)
        grads = m.backward(dZ.astype(dtype), cast[0], cast[1])
        for g, w in zip(grads, want, strict=True):
            assert g.dtype == dtype
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol)
    one = m.forward(A[0], K, *args)
    np.testing.assert_allclose(one, Z[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(m.backward(dZ[0], A[0], K)[0], dA[0], rtol=1e-12, atol=1e-12)
    jac = m.jacobians(A[0], K)
    assert {key for key in jac if key[0] == "A"} == {
        ("A", j, (j // (cout // groups)) * (cin // groups) + c) for j in range(cout) for c in range(cin // groups)
    }


@pytest.mark.parametrize("per_chunk", [1, 2])  # examples per chunk: with 5, the last chunk has one
@pytest.mark.parametrize(
    ("inp", "ker", "pad", "stride", "cin", "cout", "groups"),
    [
        ((5, 6), (2, 3), (1, 0, 2, 1), (1, 1), 4, 6, 2),  # grouped GEMMs on flat windows
        ((5, 6), (3, 3), (1, 1, 1, 1), (1, 1), 3, 3, 3),  # depthwise: the shifted planes
        ((7, 6), (3, 3), (1, 1, 1, 1), (2, 1), 4, 4, 4),  # gathered windows
        ((7, 8), (3, 2), (1, 1, 0, 1), (2, 2), 8, 6, 2),  # few channels per group, strided: gathered
    ],
)
def test_grouped_code_over_many_chunks_matches_the_loops(
    monkeypatch, inp, ker, pad, stride, cin, cout, groups, per_chunk
):
    """The window-gather and depthwise paths (the row-wise path is turned off here: it has
    its own test below)."""
    spec = sc.Conv2D(
        input=inp, kernel=ker, padding=pad, stride=stride, in_channels=cin, out_channels=cout, groups=groups
    )
    hz, wz = spec.geometry.output
    hp, wp = inp[0] + pad[0] + pad[1], inp[1] + pad[2] + pad[3]
    monkeypatch.setattr(conv_plan, "ROWWISE_CHANNELS", 0)
    monkeypatch.setattr(conv_plan, "FLAT_COLUMNS", per_chunk * hp * wp)
    monkeypatch.setattr(conv_plan, "CHUNK_BYTES", per_chunk * cin * ker[0] * ker[1] * hz * wz * 8)
    m = load(spec)
    assert m._PLAN.chunk == per_chunk
    rng = np.random.default_rng(11)
    A = rng.standard_normal((5, cin, *inp))
    K = rng.standard_normal((cout, cin // groups, *ker))
    b = rng.standard_normal(cout)
    Z = m.forward(A, K, b)
    np.testing.assert_allclose(
        Z, ref.grouped_conv_forward(A, K, b, pad, stride, (1, 1), groups), rtol=1e-12, atol=1e-12
    )
    dZ = rng.standard_normal(Z.shape)
    want = ref.grouped_conv_backward(dZ, A, K, pad, stride, (1, 1), groups)
    for got, expected in zip(m.backward(dZ, A, K), want, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


# input, kernel, padding (t, b, l, r), dilation, in, out, groups: stride 1, a few channels per
# group, not depthwise, so the row-wise path
ROWWISE = [
    pytest.param((5, 6), (3, 3), (1, 1, 1, 1), (1, 1), 8, 8, 2, id="4-channels-per-group"),
    pytest.param((7, 6), (2, 3), (1, 0, 2, 1), (1, 1), 4, 6, 2, id="asymmetric-padding-2-to-3"),
    pytest.param((7, 8), (3, 2), (2, 1, 0, 2), (2, 3), 6, 9, 3, id="dilated"),
    pytest.param((5, 5), (3, 3), (0, 0, 0, 0), (1, 1), 2, 4, 2, id="channel-multiplier-unpadded"),
    pytest.param((4, 6), (1, 3), (0, 0, 1, 1), (1, 1), 6, 3, 3, id="two-channels-to-one"),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("per_chunk", [1, 2, 5])  # examples per chunk, of 5: a short last chunk, or one
@pytest.mark.parametrize(("inp", "ker", "pad", "dil", "cin", "cout", "groups"), ROWWISE)
def test_rowwise_code_matches_the_loops(monkeypatch, inp, ker, pad, dil, cin, cout, groups, per_chunk, dtype):
    """The row-wise path (``h_k`` products per group on ``w_k`` column shifts; dA and dK from
    dZ's column shifts) against the plain loops, batched and batchless, in both dtypes."""
    spec = conv_spec(inp, ker, pad, (1, 1), dil, cin, cout, groups)
    hp, wp = spec.geometry.padded
    monkeypatch.setattr(conv_plan, "CHUNK_BYTES", per_chunk * max(cin, cout) * ker[1] * hp * wp * 8)
    m = load(spec)
    assert m._PLAN.chunk == per_chunk
    assert m._PLAN.path == "rowwise"
    rng = np.random.default_rng(13)
    A = rng.standard_normal((5, cin, *inp))
    K = rng.standard_normal((cout, cin // groups, *ker))
    b = rng.standard_normal(cout)
    tol = 1e-12 if dtype == np.float64 else 1e-4
    Z = m.forward(A.astype(dtype), K.astype(dtype), b.astype(dtype))
    assert Z.dtype == dtype
    np.testing.assert_allclose(Z, ref.grouped_conv_forward(A, K, b, pad, (1, 1), dil, groups), rtol=tol, atol=tol)
    dZ = rng.standard_normal(Z.shape)
    got = m.backward(dZ.astype(dtype), A.astype(dtype), K.astype(dtype))
    want = ref.grouped_conv_backward(dZ, A, K, pad, (1, 1), dil, groups)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)
    one = m.forward(A[0].astype(dtype), K.astype(dtype), b.astype(dtype))
    np.testing.assert_allclose(one, Z[0], rtol=tol, atol=tol)
    dA1, dK1, db1 = m.backward(dZ[0].astype(dtype), A[0].astype(dtype), K.astype(dtype))
    want1 = ref.grouped_conv_backward(dZ[:1], A[:1], K, pad, (1, 1), dil, groups)
    for g, w in zip((dA1, dK1, db1), (want1[0][0], *want1[1:]), strict=True):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def test_the_plan_takes_the_row_wise_path_for_few_channels_per_group(monkeypatch):
    """The rule of ``conv_plan.ROWWISE_CHANNELS``: grouped, stride 1, not depthwise, at most that
    many input channels per group."""

    def rowwise(cin, cout, groups, stride=(1, 1)):
        return load(conv_spec((6, 6), (3, 3), (1, 1, 1, 1), stride, (1, 1), cin, cout, groups))._PLAN.path == "rowwise"

    assert rowwise(8, 8, 2)
    assert rowwise(4, 8, 4)  # a channel multiplier
    assert not rowwise(8, 8, 2, stride=(2, 2))
    assert not rowwise(4, 4, 4)  # depthwise: the shifted planes
    assert not rowwise(4, 4, 1)
    monkeypatch.setattr(conv_plan, "ROWWISE_CHANNELS", 3)
    assert not rowwise(8, 8, 2)  # 4 channels per group, more than 3
    assert rowwise(6, 6, 2)


def test_the_plan_refuses_row_wise_steps_that_are_not_the_window_map(monkeypatch):
    """``_check_rows``: a kernel position read one column off is refused (a PlanError)."""
    real = window_plan.offsets

    def moved(m):
        (r, s, r0, r1, c0, c1), *rest = real(m)
        return [(r, s, r0, r1, c0 + 1, c1 + 1), *rest]  # still inside the padded planes

    monkeypatch.setattr(window_plan, "offsets", moved)
    with pytest.raises(sc.PlanError, match=r"kernel position \(0, 0\) starts elsewhere"):
        generate(conv_spec((6, 6), (3, 3), (1, 1, 1, 1), (1, 1), (1, 1), 8, 8, 2))


def test_config_names_groups_only_when_grouped_and_round_trips():
    """An ungrouped layer's table is the seed's convolution's (so its modules and documents,
    the golden ones included, read as before: tests/test_golden.py); a grouped one names
    groups, and the table rebuilds the same layer."""
    plain = sc.Conv2D(input=(4, 5), kernel=3, padding=1, in_channels=2, out_channels=3)
    assert "groups" not in plain.config()
    grouped = sc.Conv2D(input=(4, 5), kernel=3, in_channels=2, out_channels=4, groups=2)
    table = grouped.config()
    assert table["groups"] == 2
    assert sc.Conv2D(**{k: v for k, v in table.items() if k != "type"}) == grouped
    net = sc.Network(input=(5, 5), channels=4, layers=[sc.Conv2D(kernel=2, out_channels=2, groups=2)])
    assert net.config()["layers"][0]["groups"] == 2


@pytest.mark.parametrize(
    "flags",
    [
        ["--input", "5x6", "--kernel", "3x2", "--padding", "1", "--in-channels", "4", "--out-channels", "6",
         "--groups", "2"],
        ["--input", "6x5", "--kernel", "3", "--padding", "same", "--in-channels", "3", "--out-channels", "3",
         "--groups", "3"],
        ["--input", "7x6", "--kernel", "3x2", "--stride", "2,1", "--dilation", "1,2", "--in-channels", "2",
         "--out-channels", "4", "--groups", "2", "--no-bias"],
    ],
    ids=["groups-2", "depthwise-same", "multiplier-strided-dilated"],
)  # fmt: skip
def test_symconv_check_passes_with_groups(tmp_path, capsys, flags):
    """``symconv codegen`` then ``symconv check``: the seed's route, finite differences, float32,
    batchless inputs and the dense Jacobians."""
    assert main(["codegen", "--layer", "conv2d", *flags, "-o", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["check", str(tmp_path / "conv.py")]) == 0
    assert "all checks passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--in-channels", "4", "--out-channels", "6", "--groups", "4"],
         "--groups: must divide out_channels (6), got 4"),
        (["--in-channels", "3", "--groups", "2"], "--groups: must divide in_channels (3), got 2"),
        (["--groups", "-1"], "--groups: must not be negative, got -1"),
        (["--groups", "0"], "--groups: must be a positive integer, got 0"),
    ],
)  # fmt: skip
def test_cli_refuses_bad_groups_in_one_line(tmp_path, capsys, flags, message):
    code = main(["codegen", "--layer", "conv2d", "--input", "4x4", "--kernel", "2", *flags, "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"symconv: error: {message}\n"


def test_claims_name_groups_and_the_zero_blocks(tmp_path):
    report = verify(
        """
[layer]
type = "conv2d"
input = [3, 3]
kernel = [2, 2]
in_channels = 4
out_channels = 2
groups = 2

[[claims]]
id = "groups"
lhs = "groups"
rhs = "2"

[[claims]]
id = "kernel-2-meets-channels-3-and-4"
lhs = "diff(z[2,1,1], a[3,1,1])"
rhs = "k[2,1,1,1]"

[[claims]]
id = "no-path-across-groups"
lhs = "J_A(1, 3)"
rhs = "zeros(4, 9)"

[[claims]]
id = "wrong-group"
lhs = "diff(z[2,1,1], a[1,1,1])"
rhs = "k[2,1,1,1]"
"""
    )
    status = {r.id: r.status for r in report.results}
    assert status == {
        "groups": "holds",
        "kernel-2-meets-channels-3-and-4": "holds",
        "no-path-across-groups": "holds",
        "wrong-group": "fails",
    }


# -- PyTorch ------------------------------------------------------------------------------------


def _torch():
    return pytest.importorskip("torch")


def test_groups_against_torch_conv2d():
    """Grouped layers (depthwise, a channel multiplier, groups with strides and dilation) agree
    with torch.nn.functional.conv2d in float64 and float32, forward and every gradient."""
    torch = _torch()
    F = torch.nn.functional
    rng = np.random.default_rng(5)
    cases = [
        dict(input=(9, 8), kernel=3, padding=1, in_channels=6, out_channels=6, groups=6),
        dict(input=(9, 8), kernel=(3, 2), stride=(2, 1), in_channels=4, out_channels=8, groups=4),
        dict(input=(9, 8), kernel=2, stride=2, dilation=(1, 2), padding=(1, 1), in_channels=6, out_channels=4,
             groups=2, bias=False),
        dict(input=(7, 7), kernel=3, padding="same", dilation=2, in_channels=4, out_channels=6, groups=2),
    ]  # fmt: skip
    for kw in cases:
        spec = sc.Conv2D(**kw)
        m = load(spec)
        x = rng.standard_normal((2, *spec.in_shape))
        w = rng.standard_normal((spec.out_channels, spec.kernel_channels, *spec.kernel))
        b = rng.standard_normal(spec.out_channels) if spec.bias else None
        xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        bt = torch.tensor(b, requires_grad=True) if b is not None else None
        yt = F.conv2d(xt, wt, bt, stride=spec.stride, padding=kw.get("padding", 0), dilation=spec.dilation,
                      groups=spec.groups)  # fmt: skip
        g = rng.standard_normal(tuple(yt.shape))
        yt.backward(torch.tensor(g))
        want = [xt.grad.numpy(), wt.grad.numpy(), *([bt.grad.numpy()] if bt is not None else [])]
        for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-4)):
            args = [a.astype(dtype) for a in (x, w, *([b] if b is not None else []))]
            np.testing.assert_allclose(m.forward(*args), yt.detach().numpy(), rtol=tol, atol=tol)
            for got, expected in zip(m.backward(g.astype(dtype), args[0], args[1]), want, strict=True):
                np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")  # PyTorch's own note
@pytest.mark.parametrize(("d", "samples", "batchless"), [(1, 10, 5), (2, 30, 15), (3, 20, 10)])
def test_every_opinfo_sample_of_conv_passes(d, samples, batchless):
    """PyTorch's own OpInfo sample_inputs of conv{1,2,3}d (float64), every sample run through the
    generated module of its layer, directly: a batchless ``(C, *sizes)`` sample goes in as it is.
    Forward and the gradients of the input, the kernel and the bias equal torch.autograd's to
    1e-10.  None is skipped; the counts are asserted."""
    assert opinfo.run_samples(f"nn.functional.conv{d}d", d) == (samples, batchless)


def test_every_opinfo_sample_of_pad_that_fits_passes():
    """PyTorch's OpInfo samples of ``nn.functional.pad`` in all four modes (float64): each that
    fits ``(N, C, *sizes)`` or ``(C, *sizes)`` (1 to 3 spatial axes, the padding on them only, at
    least one channel) runs through the generated module of its pad layer: the output and the
    input's gradient equal torch.autograd's.  The counts are asserted."""
    total, fitting = opinfo.run_pad_samples()
    assert total == 89
    assert fitting == {"constant": 39, "reflect": 12, "replicate": 18, "circular": 8}


def test_the_document_shows_the_groups_and_the_grouped_sum():
    """The conv document names which channels form each group and sums over the group only:
    kernels 4-6 of a 4 -> 6 layer in 2 groups meet input channels 3 and 4."""
    text = document(sc.Conv2D(input=(3, 4), kernel=2, in_channels=4, out_channels=6, groups=2))
    assert (
        "group 1: input channels $1, 2$, kernels $1, 2, 3$; group 2: input channels $3, 4$, kernels $4, 5, 6$" in text
    )
    assert r"\mathbf{Z}_j = \sum_{i=1}^{2} \mathbf{A}_{o_j + i} * \mathbf{K}_{j,i}" in text
    assert r"o_j = \left\lfloor \frac{j - 1}{3} \right\rfloor \cdot 2" in text
    assert r"\sum_{j \,:\, i \in \mathcal{G}_j}" in text  # the chain rule's sum over the group's kernels
    depthwise = document(sc.Conv2D(input=(3, 3), kernel=2, in_channels=3, out_channels=3, groups=3))
    assert r"\mathbf{Z}_j = \mathbf{A}_{j} * \mathbf{K}_{j,1}" in depthwise
    assert "o_j" not in depthwise


def test_derive_reports_the_listed_pairs(capsys, tmp_path):
    """``symconv derive`` says the grouped layer lists only some (j, i) pairs of dvZ_j/dvA_i."""
    flags = ["--input", "4x4", "--kernel", "2", "--in-channels", "4", "--out-channels", "2", "--groups", "2"]
    assert main(["derive", "--layer", "conv2d", *flags, "--no-tex", "--no-code", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "groups 2" in out
    assert "d vec(Z_j) / d vec(A_i) for j=1..2, i=1..4 (4 of the 8 index pairs, 4 Jacobians): 9 x 16" in out


# -- every dimension and every padding mode ------------------------------------------------------

#: (d, input, kernel, padding, stride, dilation, in, out, groups, padding_mode)
MODES = [
    (1, (9,), 3, 1, 1, 1, 2, 3, 1, "reflect"),
    (1, (10,), 5, 2, 2, 1, 4, 4, 4, "replicate"),
    (1, (8,), 3, "same", 1, 2, 2, 4, 2, "circular"),
    (2, (6, 7), 3, (1, 2), 1, 1, 3, 3, 3, "reflect"),
    (2, (7, 6), (3, 2), 1, (2, 1), (1, 2), 4, 6, 2, "replicate"),
    (2, (6, 6), 4, "same", 1, 1, 2, 2, 1, "circular"),
    (2, (6, 5), 3, 2, 2, 1, 2, 4, 1, "zeros"),
    (3, (4, 5, 4), 3, 1, 1, 1, 2, 2, 1, "reflect"),
    (3, (4, 4, 5), (2, 3, 2), (1, 0, 1), (1, 2, 1), 1, 4, 4, 2, "replicate"),
    (3, (5, 4, 4), 3, "same", 1, (2, 1, 1), 3, 3, 3, "circular"),
]


@pytest.mark.parametrize(("d", "inp", "k", "pad", "stride", "dil", "cin", "cout", "groups", "mode"), MODES)
def test_padding_modes_equal_torch_conv_modules(d, inp, k, pad, stride, dil, cin, cout, groups, mode):
    """``Conv{1,2,3}D(padding_mode=...)`` equals ``torch.nn.Conv{1,2,3}d(padding_mode=...)``
    (float64, forward and every gradient) with stride, dilation, groups and ``"same"``."""
    torch = _torch()
    spec = getattr(sc, f"Conv{d}D")(input=inp, kernel=k, padding=pad, stride=stride, dilation=dil, in_channels=cin,
                                    out_channels=cout, groups=groups, padding_mode=mode)  # fmt: skip
    layer = getattr(torch.nn, f"Conv{d}d")(cin, cout, k, stride=stride, padding=pad, dilation=dil, groups=groups,
                                           padding_mode=mode, dtype=torch.float64)  # fmt: skip
    m = load(spec)
    rng = np.random.default_rng(d)
    x = rng.standard_normal((3, cin, *inp))
    xt = torch.tensor(x, requires_grad=True)
    yt = layer(xt)
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    np.testing.assert_allclose(m.forward(x, w, b), yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    want = (xt.grad.numpy(), layer.weight.grad.numpy(), layer.bias.grad.numpy())
    for got, expected in zip(m.backward(g, x, w), want, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "flags",
    [
        ["--layer", "conv1d", "--input", "9", "--kernel", "3", "--padding", "2,1", "--padding-mode", "reflect",
         "--in-channels", "2", "--out-channels", "4", "--groups", "2"],
        ["--layer", "conv3d", "--input", "3x4x5", "--kernel", "2", "--stride", "2,1,2", "--padding", "1",
         "--padding-mode", "circular", "--in-channels", "2", "--out-channels", "2"],
        ["--layer", "conv2d", "--input", "4x5", "--kernel", "3", "--input-dilation", "2,1", "--stride", "2",
         "--padding", "1,-1,2,0", "--in-channels", "2", "--out-channels", "2"],
        ["--layer", "conv_transpose3d", "--input", "2x3x2", "--kernel", "2", "--stride", "2", "--output-padding",
         "1", "--in-channels", "2", "--out-channels", "2"],
        ["--layer", "conv2d", "--input", "0x4", "--kernel", "2", "--padding", "1", "--in-channels", "2",
         "--out-channels", "3"],
        ["--layer", "pad3d", "--input", "2x3x4", "--padding", "1,0,2,1,-1,2", "--mode", "reflect", "--channels", "2"],
    ],
    ids=["conv1d-reflect-grouped", "conv3d-circular-strided", "conv2d-input-dilation-crop", "conv_transpose3d",
         "conv2d-empty-input", "pad3d-reflect-crop"],
)  # fmt: skip
def test_symconv_check_passes_on_modules_of_every_dimension(tmp_path, capsys, flags):
    """``symconv codegen`` then ``symconv check`` on generated N-d modules: the seed's route, finite
    differences, float32, batchless inputs and the dense Jacobians."""
    assert main(["codegen", *flags, "-o", str(tmp_path)]) == 0
    capsys.readouterr()
    (path,) = tmp_path.glob("*.py")
    assert main(["check", str(path)]) == 0
    assert "all checks passed" in capsys.readouterr().out
