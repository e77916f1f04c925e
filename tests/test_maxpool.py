"""Max pooling (Appendix B): rep.2, the switches i_pq with the tie rule, eq.b-2.1 to
eq.b-2.3 and the mask, against SymPy's derivative of Max and a brute-force reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from seed_reference import max_windows

import symconv as sc

SEED_B = sc.MaxPool2D(input=(3, 4), window=(3, 2), padding=(1, 1), stride=(1, 2))


def test_appendix_b_rep2_is_the_seeds():
    d = sc.derive(SEED_B)
    i = d.input.entry
    expected = {  # the seed's rep.2, entry by entry (1-based names, 0-based here)
        (0, 0): {0, i(0, 0, 0), i(0, 1, 0)},
        (0, 1): {0, i(0, 0, 1), i(0, 1, 1), i(0, 0, 2), i(0, 1, 2)},
        (0, 2): {0, i(0, 0, 3), i(0, 1, 3)},
        (1, 0): {0, i(0, 0, 0), i(0, 1, 0), i(0, 2, 0)},
        (1, 1): {i(0, 0, 1), i(0, 1, 1), i(0, 2, 1), i(0, 0, 2), i(0, 1, 2), i(0, 2, 2)},
        (1, 2): {0, i(0, 0, 3), i(0, 1, 3), i(0, 2, 3)},
        (2, 0): {0, i(0, 1, 0), i(0, 2, 0)},
        (2, 1): {0, i(0, 1, 1), i(0, 1, 2), i(0, 2, 1), i(0, 2, 2)},
        (2, 2): {0, i(0, 1, 3), i(0, 2, 3)},
    }
    assert d.A[0].shape == (3, 3)
    for (p, q), members in expected.items():
        assert d.A[0][p, q] == sp.Max(*members)


def test_seed_switch_example_i21_is_5():
    """A_21 = max{0, I_11, I_21, I_31} = I_21 gives i_21 = 5 (vΩ = [0, 0, 0, I11, I21, I31])."""
    d = sc.derive(SEED_B)
    values = -np.ones((3, 4))
    values[1, 0] = 7.0  # I_21 is the largest
    sw = d.switches(values)
    assert sw[1, 0] == 5
    # eq.b-2.1..3: c_b = 2, r_b = 2; top-left (1, 0); (r_i, c_i) = (2, 1); j = (1 - 1) 3 + 2 = 2
    assert d.selected(sw)[1, 0] == 2


def brute_switches(values, spec, pad_value):
    wins = max_windows(sp.Matrix(values), spec.window, spec.padding, spec.stride, pad_value)
    out = np.zeros(spec.geometry.output, dtype=int)
    for (p, q), vals in wins.items():
        best = max(vals)
        out[p, q] = vals.index(best) + 1  # first maximum in column-major order
    return out


CASES = [
    SEED_B,
    sc.MaxPool2D(input=(4, 5), window=(2, 2), stride=(1, 1)),
    sc.MaxPool2D(input=(5, 4), window=(3, 2), padding=(2, 0, 1, 1), stride=(2, 1)),
    sc.MaxPool2D(input=(3, 3), window=(2, 3), padding=(1, 1, 2, 0), stride=(1, 3)),
    sc.MaxPool2D(input=(4, 4), window=(2, 2), padding=(1, 1, 1, 1), stride=(2, 2), pad_value=-math.inf),
]


@pytest.mark.parametrize("spec", CASES)
def test_switches_follow_the_tie_rule_on_integer_inputs_with_ties(spec):
    d = sc.derive(spec)
    rng = np.random.default_rng(1)
    for _ in range(20):
        values = rng.integers(-2, 3, size=spec.input).astype(float)  # many ties, some all-negative windows
        pad = -math.inf if math.isinf(spec.pad_value) else spec.pad_value
        assert (d.switches(values) == brute_switches(values, spec, pad)).all()


@pytest.mark.parametrize("spec", CASES)
def test_mask_is_sympys_derivative_of_max_at_tie_free_points(spec):
    d = sc.derive(spec)
    syms = d.input.flat
    vz = sp.Matrix([e for a in d.A for e in (a.T.reshape(a.rows * a.cols, 1))])
    jac = vz.jacobian(sp.Matrix(syms))
    rng = np.random.default_rng(2)
    for _ in range(5):
        values = rng.permutation(np.arange(1, spec.input[0] * spec.input[1] + 1)).reshape(spec.input) - 6.5
        point = d.input.values(values[None])
        expected = jac.xreplace({s: sp.Rational(v).limit_denominator(10) for s, v in point.items()})
        assert d.mask(values).to_matrix() == expected


def test_maximum_on_padding_gives_an_empty_mask_row():
    d = sc.derive(SEED_B)
    values = -np.arange(1, 13, dtype=float).reshape(3, 4)  # all negative: padded 0 wins where present
    mask = d.mask(values).to_numpy()
    sel = d.selected(d.switches(values))
    rows_with_padding = {(p, q) for p in range(3) for q in range(3) if (d.geometry.windows[p, q] < 0).any()}
    for p in range(3):
        for q in range(3):
            row = mask[q * 3 + p]
            if (p, q) in rows_with_padding:
                assert row.sum() == 0 and sel[p, q] == 0
            else:
                assert row.sum() == 1
    # the same input with -inf padding: every row routes to an input entry
    d_inf = sc.derive(sc.MaxPool2D(input=(3, 4), window=(3, 2), padding=(1, 1), stride=(1, 2), pad_value=-math.inf))
    assert (d_inf.mask(values).to_numpy().sum(axis=1) == 1).all()


def test_selected_by_eq_b2_agrees_with_the_window_map():
    """eq.b-2.1..3 computed from i_pq equals a direct lookup of the window entry."""
    for spec in CASES:
        d = sc.derive(spec)
        hl, wl = spec.window
        for i in range(1, hl * wl + 1):
            sw = np.full(spec.geometry.output, i)
            c_b, r_b = (i - 1) // hl, (i - 1) % hl
            direct = d.geometry.windows[:, :, r_b, c_b] + 1  # 0 where padding
            assert (d.selected(sw) == direct).all()


def test_multichannel_switches_and_masks_are_per_channel():
    spec = sc.MaxPool2D(input=(4, 4), window=2, channels=3)
    d = sc.derive(spec)
    rng = np.random.default_rng(3)
    values = rng.standard_normal((3, 4, 4))
    sw = d.switches(values)
    assert sw.shape == (3, 2, 2)
    for j in range(3):
        assert (sw[j] == d.switches(values[j])).all()
        assert (d.mask(values, j=j).to_numpy() == d.mask(values[j]).to_numpy()).all()


def test_max_pool_jacobian_needs_an_input():
    d = sc.derive(SEED_B)
    with pytest.raises(sc.SpecError, match="mask"):
        d.jacobian("I")
    with pytest.raises(sc.SpecError, match="must have shape"):
        d.switches(np.zeros((2, 2)))
