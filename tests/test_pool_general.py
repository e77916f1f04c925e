"""Pooling against JAX's ``lax.reduce_window`` (when JAX is installed): a grid modelled on JAX's own
reduce-window tests — 1-D to 3-D, window dilation, base (input) dilation with a stride, paddings
past PyTorch's half-window limit (as large as leaves every window meeting the input), uneven per-
side padding — through the generated modules of ``MaxPool{d}D`` (``pad_value=-inf``: padding and the
holes of base dilation take part as ``reduce_window``'s ``-inf`` init) and ``AvgPool{d}D`` with
``divisor_override=1`` (a window sum, ``reduce_window`` with ``add``): the outputs and the VJPs
equal JAX's in float64 (with window dilation, where JAX has no VJP of ``reduce_window``'s max, the
VJP of the same pooling written as JAX's max over stacked slices). Paddings that leave a window on
padding alone are refused with the rule, exactly where JAX's max of that window is its ``-inf``
init."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from opinfo import load

import symconv as sc


def _grid() -> list[tuple[str, int, tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple, tuple, tuple]]:
    """(op, d, input sizes, window, strides, padding pairs, base dilation, window dilation)."""
    sizes = {1: (11,), 2: (7, 6), 3: (5, 4, 5)}
    windows = {1: [(3,)], 2: [(3, 2)], 3: [(2, 1, 2)]}
    cases = []
    for d in (1, 2, 3):
        for window, (strides, base, wdil) in itertools.product(
            windows[d],
            [
                ((1,) * d, (1,) * d, (1,) * d),
                ((2,) * d, (1,) * d, (1,) * d),
                ((2,) + (1,) * (d - 1), (2,) * d, (1,) * d),  # base dilation with a stride
                ((1,) * d, (1,) + (2,) * (d - 1), (2,) + (1,) * (d - 1)),  # both dilations
            ],
        ):
            for pads in (
                tuple((0, 0) for _ in range(d)),
                tuple((k - 1, 0) for k in window),  # a side as large as the window leaves (past k // 2)
                tuple((1, k - 1) if k > 1 else (0, 1) for k in window),
            ):
                for op in ("max", "add"):
                    if op == "add" and wdil != (1,) * d:
                        continue  # average pooling has no window dilation (PyTorch's neither)
                    cases.append((op, d, sizes[d], window, strides, pads, base, wdil))
    return cases


GRID = _grid()


def _spec(op, d, size, window, strides, pads, base, wdil, channels=3):
    padding = tuple(p for pair in pads for p in pair)
    common = dict(input=size, window=window, stride=strides, padding=padding, input_dilation=base, channels=channels)
    if op == "max":
        return getattr(sc, f"MaxPool{d}D")(**common, dilation=wdil, pad_value=-math.inf)
    return getattr(sc, f"AvgPool{d}D")(**common, divisor_override=1)


@pytest.mark.slow(reason="63 JAX cases (50 pooled, 13 refused), each a generated module and a jax.vjp, about 35 s")
def test_jax_reduce_window_grid():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax import lax

    rng = np.random.default_rng(3)
    seen = 0
    refused = 0
    for op, d, size, window, strides, pads, base, wdil in GRID:
        case = (op, d, size, window, strides, pads, base, wdil)
        # a window on padding (and base dilation's holes) alone: JAX's max there is its -inf init
        inside = lax.reduce_window(
            jnp.zeros((1, 1, *size)), -jnp.inf, lax.max, (1, 1, *window), (1, 1, *strides),
            ((0, 0), (0, 0), *pads), (1, 1, *base), (1, 1, *wdil),
        )  # fmt: skip
        if bool(jnp.isinf(inside).any()):  # refused, naming the padding and the rule
            with pytest.raises(sc.SpecError, match=r"padding: .*every window must meet"):
                _spec(op, d, size, window, strides, pads, base, wdil)
            refused += 1
            continue
        spec = _spec(op, d, size, window, strides, pads, base, wdil)
        m = load(spec)
        x = rng.standard_normal((2, 3, *size))
        init, reducer = (-jnp.inf, lax.max) if op == "max" else (0.0, lax.add)

        def pool(x, window=window, strides=strides, pads=pads, base=base, wdil=wdil, init=init, reducer=reducer):
            return lax.reduce_window(
                x,
                init,
                reducer,
                (1, 1, *window),
                (1, 1, *strides),
                ((0, 0), (0, 0), *pads),
                (1, 1, *base),
                (1, 1, *wdil),
            )

        def stacked(x, window=window, strides=strides, pads=pads, base=base, wdil=wdil, init=init, op=op):
            """The same pooling as the reduction of the stacked strided slices of the padded,
            base-dilated input (JAX has no VJP of a window-dilated max reduce_window)."""
            xp = lax.pad(
                x, init, ((0, 0, 0), (0, 0, 0), *((lo, hi, b - 1) for (lo, hi), b in zip(pads, base, strict=True)))
            )
            out = [(xp.shape[2 + a] - wdil[a] * (window[a] - 1) - 1) // strides[a] + 1 for a in range(len(window))]
            parts = [
                xp[(..., *(slice(r[a] * wdil[a], r[a] * wdil[a] + strides[a] * (out[a] - 1) + 1, strides[a])
                           for a in range(len(window))))]
                for r in np.ndindex(*window)
            ]  # fmt: skip
            return jnp.max(jnp.stack(parts), axis=0) if op == "max" else jnp.sum(jnp.stack(parts), axis=0)

        Aj = pool(x)
        Aj_stacked, vjp = jax.vjp(stacked, x)
        np.testing.assert_allclose(np.asarray(Aj_stacked), np.asarray(Aj), rtol=1e-12, atol=1e-12)
        if wdil == (1,) * d:
            _, vjp = jax.vjp(pool, x)
        out = m.forward(x)
        A, switches = out if op == "max" else (out, None)
        assert A.shape == Aj.shape, case
        np.testing.assert_allclose(A, np.asarray(Aj), rtol=1e-12, atol=1e-12, err_msg=str(case))
        G = rng.standard_normal(A.shape)
        (dIj,) = vjp(G)
        dI = m.backward(G, switches) if op == "max" else m.backward(G)
        np.testing.assert_allclose(dI, np.asarray(dIj), rtol=1e-12, atol=1e-12, err_msg=str(case))
        seen += 1
    assert seen + refused == len(GRID) and seen > 40, (seen, refused)


def test_a_window_on_padding_alone_is_refused_with_the_rule():
    """JAX pools windows that hold padding (its init value) alone; symconv refuses them,
    naming the padding and the rule, for max and average pooling in every dimension."""
    for d in (1, 2, 3):
        size, window = (4,) * d, (2,) * d
        pads = ((2, 0),) + ((0, 0),) * (d - 1)  # the first window along axis 1 lies in the padding
        for op in ("max", "add"):
            with pytest.raises(sc.SpecError, match="padding") as err:
                _spec(op, d, size, window, (1,) * d, pads, (1,) * d, (1,) * d)
            assert "input entry" in str(err.value)
