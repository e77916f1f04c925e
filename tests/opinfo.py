"""PyTorch's own OpInfo samples of the convolutions and of ``F.pad``, run through symconv's
generated modules (a test helper; torch and its test internals are optional)."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import symconv as sc
from symconv.codegen.render import generate

#: positional parameters after the input, in PyTorch's order
CONV_ARGS = ("weight", "bias", "stride", "padding", "dilation", "groups")
TRANSPOSE_ARGS = ("weight", "bias", "stride", "padding", "output_padding", "groups", "dilation")


def load(spec: Any) -> types.ModuleType:
    """The generated module of ``spec``, executed from its source (code we generated)."""
    module = types.ModuleType("generated_under_test")
    exec(compile(generate(spec), "<generated>", "exec"), module.__dict__)
    return module


def ops(name: str) -> list[Any]:
    """PyTorch's OpInfo entries ``name`` (one per variant; skips without torch or its test internals)."""
    pytest.importorskip("torch")
    try:
        from torch.testing._internal.common_methods_invocations import op_db
    except Exception as err:  # PyTorch's test internals need extra packages (expecttest)
        pytest.skip(f"torch.testing._internal does not import: {err}")
    return [o for o in op_db if o.name == name]


def op(name: str) -> Any:
    """PyTorch's one OpInfo entry ``name``."""
    (found,) = ops(name)
    return found


def per_axis(value: Any, d: int) -> tuple[int, ...]:
    v = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    return v * d if len(v) == 1 else v


def conv_spec(x: np.ndarray, kw: dict[str, Any], d: int, transposed: bool) -> Any:
    """The symconv layer of one sample: PyTorch's arguments as the spec's, one for one."""
    weight = kw["weight"]
    padding = kw.get("padding", 0)
    common = {
        "input": tuple(x.shape[-d:]),
        "kernel": tuple(weight.shape[-d:]),
        "stride": per_axis(kw.get("stride", 1), d),
        "dilation": per_axis(kw.get("dilation", 1), d),
        "in_channels": x.shape[-d - 1],
        "groups": kw.get("groups", 1),
        "bias": kw.get("bias") is not None,
    }
    if transposed:
        cls = getattr(sc, f"ConvTranspose{d}D")
        return cls(
            **common,
            padding=per_axis(padding, d),
            output_padding=per_axis(kw.get("output_padding", 0), d),
            out_channels=weight.shape[1] * common["groups"],
        )
    cls = getattr(sc, f"Conv{d}D")
    return cls(
        **common, padding=padding if isinstance(padding, str) else per_axis(padding, d), out_channels=weight.shape[0]
    )


def run_samples(name: str, d: int, transposed: bool = False) -> tuple[int, int]:
    """Every OpInfo sample of conv{d}d or conv_transpose{d}d (float64) through the generated
    module of its layer, batchless samples as they are: forward and every gradient equal
    torch.autograd's to 1e-10.  Returns (samples, batchless samples)."""
    torch = pytest.importorskip("torch")

    info = op(name)
    names = TRANSPOSE_ARGS if transposed else CONV_ARGS
    counts = [0, 0]
    modules: dict[Any, types.ModuleType] = {}
    for sample in info.sample_inputs("cpu", torch.float64, requires_grad=True):
        kw = {**dict(zip(names, sample.args, strict=False)), **sample.kwargs}
        x = sample.input.detach().numpy()
        spec = conv_spec(x, kw, d, transposed)
        m = modules.get(spec) or modules.setdefault(spec, load(spec))
        xt = sample.input.detach().clone().requires_grad_(True)
        wt = kw["weight"].detach().clone().requires_grad_(True)
        bt = kw["bias"].detach().clone().requires_grad_(True) if kw.get("bias") is not None else None
        yt = info.op(xt, wt, bt, **{k: v for k, v in kw.items() if k not in ("weight", "bias")})
        g = np.random.default_rng(0).standard_normal(tuple(yt.shape))
        yt.backward(torch.tensor(g))
        w = wt.detach().numpy()
        args = (x, w) if bt is None else (x, w, bt.detach().numpy())
        compare(m.forward(*args), m.backward(g, x, w), yt, [xt, wt, *([bt] if bt is not None else [])])
        counts[x.ndim == d + 1] += 1
    return counts[0] + counts[1], counts[1]


def compare(y: np.ndarray, grads: tuple[np.ndarray, ...], yt: Any, leaves: list[Any]) -> None:
    assert np.shape(y) == tuple(yt.shape)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    want = [t.grad.numpy() for t in leaves]
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert len(grads) == len(want)
    for got, expected in zip(grads, want, strict=True):
        assert np.shape(got) == np.shape(expected)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def pad_layout(shape: tuple[int, ...], pad: tuple[int, ...]) -> tuple[int, int] | None:
    """How a sample of ``F.pad`` fits a pad layer: ``(d, lead)``, ``d`` spatial axes after
    ``lead`` leading axes (2: ``(N, C, *sizes)``, 1: ``(C, *sizes)``), the padding reaching no
    leading axis and ``C`` at least 1; ``None`` when it fits neither."""
    k = len(pad) // 2
    for lead in (2, 1):
        d = len(shape) - lead
        if 1 <= d <= 3 and k <= d and shape[lead - 1] >= 1:  # a layer has at least one channel
            return d, lead
    return None


def pad_samples() -> Iterator[tuple[Any, dict[str, Any], Callable[..., Any]]]:
    torch = pytest.importorskip("torch")

    for info in ops("nn.functional.pad"):
        for sample in info.sample_inputs("cpu", torch.float64, requires_grad=True):
            kw = {**dict(zip(("pad", "mode", "value"), sample.args, strict=False)), **sample.kwargs}
            yield sample, kw, info.op


def pad_spec(shape: tuple[int, ...], kw: dict[str, Any]) -> Any:
    """The pad layer of one ``F.pad`` sample: PyTorch's pad (last axis first, possibly fewer
    axes than the input's spatial ones) as per-side padding in axis order."""
    fits = pad_layout(shape, tuple(kw["pad"]))
    assert fits is not None
    d, lead = fits
    pad, k = tuple(kw["pad"]), len(kw["pad"]) // 2
    sides: list[int] = []
    for a in range(d):
        back = d - 1 - a  # PyTorch's pair index of axis a
        sides += [pad[2 * back], pad[2 * back + 1]] if back < k else [0, 0]
    mode = kw.get("mode", "constant")
    value = kw.get("value") if mode == "constant" else None
    return getattr(sc, f"Pad{d}D")(
        input=shape[lead:], channels=shape[lead - 1], padding=tuple(sides), mode=mode, value=value
    )


def run_pad_samples() -> tuple[int, dict[str, int]]:
    """Every OpInfo sample of ``F.pad`` (every mode, float64) that fits a pad layer through its
    generated module: forward and the input's gradient equal torch.autograd's.  Returns (samples,
    those that fit by mode)."""
    torch = pytest.importorskip("torch")

    total, fitting = 0, {}
    for sample, kw, fn in pad_samples():
        total += 1
        shape = tuple(sample.input.shape)
        if pad_layout(shape, tuple(kw["pad"])) is None:
            continue
        spec = pad_spec(shape, kw)
        m = load(spec)
        x = sample.input.detach().numpy()
        xt = sample.input.detach().clone().requires_grad_(True)
        yt = fn(xt, **kw)
        g = np.random.default_rng(0).standard_normal(tuple(yt.shape))
        yt.backward(torch.tensor(g))
        compare(m.forward(x), m.backward(g), yt, [xt])
        mode = kw.get("mode", "constant")
        fitting[mode] = fitting.get(mode, 0) + 1
    return total, fitting
