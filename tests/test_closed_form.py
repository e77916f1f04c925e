"""The closed-form backward of a convolution (symconv.layers.conv.closed_form) against SymPy's own
derivative of ``J = sum_pq g_pq z_pq``, with the forward pass written here as plain loops,
and against the core's vec route."""

from __future__ import annotations

import pytest
import sympy as sp

import symconv
from symconv.errors import SpecError
from symconv.layers.conv import closed_form

LAYERS = [
    # the seed's Appendix A
    dict(input=(3, 4), kernel=(2, 2), padding=(1, 1), stride=(1, 2)),
    # asymmetric padding, stride in rows
    dict(input=(5, 6), kernel=(3, 2), padding=(0, 1, 1, 0), stride=(2, 1)),
    # a stride larger than the kernel, rows left over at the bottom (no window reaches them)
    dict(input=(7, 5), kernel=(2, 2), padding=(0, 0), stride=(3, 2)),
    # dilation, and channels: kernel j = 2 of 3, input channel i = 2 of 2
    dict(
        input=(6, 6), kernel=(2, 3), padding=(2, 0, 1, 1), stride=(2, 2), dilation=(2, 1), in_channels=2, out_channels=3
    ),
    # a 1x1 kernel; a kernel as large as the padded input
    dict(input=(3, 3), kernel=(1, 1), padding=(0, 0), stride=(2, 2)),
    dict(input=(2, 3), kernel=(4, 3), padding=(1, 1, 0, 0), stride=(1, 1)),
]


def _loops_forward(d, j: int, i: int) -> sp.Matrix:
    """``Z_j``'s dependence on ``A_i`` and ``K_{j,i}``: rep.2 as loops over the padded input."""
    (h, w), (hk, wk), (hz, wz) = d.geometry.input, d.geometry.kernel, d.geometry.output
    t, _, left, _ = d.geometry.padding
    (sh, sw), (dh, dw) = d.geometry.stride, d.geometry.dilation
    A, K = d.A[i], d.K[j][i]
    Z = sp.zeros(hz, wz)
    for p in range(hz):
        for q in range(wz):
            for r in range(hk):
                for s in range(wk):
                    x, y = p * sh + r * dh - t, q * sw + s * dw - left
                    if 0 <= x < h and 0 <= y < w:
                        Z[p, q] += A[x, y] * K[r, s]
    return Z


@pytest.mark.parametrize("kw", LAYERS, ids=range(len(LAYERS)))
def test_closed_forms_equal_sympys_derivative_and_the_vec_route(kw: dict) -> None:
    d = symconv.derive(symconv.Conv2D(**kw))
    j, i = d.cout - 1, d.cin - 1
    c = closed_form.check(d, j, i)
    assert c.kernel_equal and c.input_equal and c.equal
    G = closed_form.upstream(d, j)
    Z = _loops_forward(d, j, i)
    J = sum((G[p, q] * Z[p, q] for p in range(Z.rows) for q in range(Z.cols)), sp.S.Zero)
    K, A = d.K[j][i], d.A[i]
    for r in range(K.rows):
        for s in range(K.cols):
            assert sp.expand(c.kernel_entry(r, s) - sp.diff(J, K[r, s])) == 0, (r, s)
    for x in range(A.rows):
        for y in range(A.cols):
            assert sp.expand(c.input_entry(x, y) - sp.diff(J, A[x, y])) == 0, (x, y)


def test_the_seeds_example_by_hand() -> None:
    d = symconv.derive(symconv.Conv2D(input=(3, 4), kernel=(2, 2), padding=(1, 1), stride=(1, 2)))
    c = closed_form.proven(d)
    a, k, g = d.A[0], d.K[0][0], closed_form.upstream(d)
    # rep.2: beta_21 multiplies a_12 (z_12), a_14 (z_13), a_22 (z_22), a_24 (z_23), a_32 (z_32), a_34 (z_33)
    expected = sum(
        g[p, q] * a[x, y]
        for (p, q), (x, y) in zip(
            [(0, 1), (0, 2), (1, 1), (1, 2), (2, 1), (2, 2)],
            [(0, 1), (0, 3), (1, 1), (1, 3), (2, 1), (2, 3)],
            strict=True,
        )
    )
    assert sp.expand(c.kernel_entry(1, 0) - expected) == 0
    # a_23 meets beta_22 in z_22 and beta_12 in z_32 (eq.a2-2)
    assert sp.expand(c.input_entry(1, 2) - (g[1, 1] * k[1, 1] + g[2, 1] * k[0, 1])) == 0


def test_helpers() -> None:
    x = sp.Matrix([[1, 2], [3, 4]])
    assert closed_form.dilate(x, (2, 3)) == sp.Matrix([[1, 0, 0, 2], [0, 0, 0, 0], [3, 0, 0, 4]])
    assert closed_form.rot180(x) == sp.Matrix([[4, 3], [2, 1]])


def test_a_wrong_closed_form_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the stride's dilation of dJ/dZ the kernel form is wrong, and the check says so."""
    d = symconv.derive(symconv.Conv2D(input=(5, 6), kernel=(3, 2), padding=(0, 1, 1, 0), stride=(2, 1)))
    g = d.geometry
    monkeypatch.setattr(
        closed_form,
        "_kernel_closed",
        lambda d: closed_form._correlate(
            closed_form._padded_map(d), closed_form._dilated_map(g.output, (1, 1)), g.kernel, (1, 1)
        ),
    )
    c = closed_form.check(d)
    assert not c.kernel_equal and c.input_equal
    with pytest.raises(SpecError, match="kernel closed form differs"):
        closed_form.proven(d)
