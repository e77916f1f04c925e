"""A generated module holds the path its plan chose and what that path reaches, nothing more:
every function it defines (the kernels' definitions it copied, the helpers, its own public
functions and the functions inside them) is entered when the module is used the ways its users
use it.  Checked for each module of ``generated/`` and of the table of ``module_specs.py``
(every kind and every path), with a profile hook that records each code object a call enters.

The driver calls every public function: a batch (float64 and float32) and an empty batch, one
example without its batch axis, ``jacobians`` at one example and at a batch (or its refusal
when the Jacobians are too large), max pooling's ``indices``, the loss; inputs with NaN and
with zeros (max pooling's own code for windows holding NaN, the entries themselves for tied
zeros); a network's ``init_params``, ``forward``, ``loss_and_gradients``, ``sgd_step`` and
each layer's ``jacobians``, and each parameterless layer's own forward function on inputs with
NaN (the one path a network's input may not reach: ReLU maps NaN to 0)."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from module_specs import QUICK, SPECS

from symconv import derive
from symconv.codegen.checks import _layer_calls, read_spec, spec_of
from symconv.codegen.render import generate
from symconv.specs import Layer, Network

ROOT = Path(__file__).resolve().parent.parent
GENERATED = sorted((ROOT / "generated").glob("*/*.py"))


def functions(code: types.CodeType) -> list[types.CodeType]:
    """The code objects of every function defined in ``code`` (a module's), nested ones included:
    ``def`` and ``lambda`` (comprehensions and generator expressions are parts of a function)."""
    out = []
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if not const.co_name.startswith("<") or const.co_name == "<lambda>":
                out.append(const)
            out += functions(const)
    return out


def not_entered(source: str, label: str, drive: Callable[[types.ModuleType], None]) -> list[str]:
    """The functions of the module ``source`` that importing it and ``drive(module)`` never enter,
    as ``name (line n)``."""
    filename = f"<entered {label}>"
    code = compile(source, filename, "exec")
    entered: set[types.CodeType] = set()

    def profile(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_filename == filename:
            entered.add(frame.f_code)

    module = types.ModuleType(f"entered_{label}")
    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        exec(code, module.__dict__)
        with np.errstate(all="ignore"):
            drive(module)
    finally:
        sys.setprofile(previous)
    return [f"{c.co_qualname} (line {c.co_firstlineno})" for c in functions(code) if c not in entered]


def _jacobians_or_refusal(jacobians: Callable[..., object], *args: object, **kwargs: object) -> None:
    """``jacobians(...)``, or its refusal when the Jacobians are too large to return (documented)."""
    try:
        jacobians(*args, **kwargs)
    except ValueError as err:
        if "JACOBIAN_LIMIT" not in str(err):
            raise


def drive_layer(m: types.ModuleType, spec: Layer) -> None:
    """Every public function of a layer module, as its users call it."""
    d = derive(spec)
    rng = np.random.default_rng(5)
    if spec.loss:
        z = rng.standard_normal((3, *spec.in_shape))
        labels = rng.integers(0, spec.in_shape[0], size=3)
        a = m.forward(z)
        m.loss(z, labels), m.backward(a, labels), m.jacobians(z), m.jacobians(z[0])
        m.forward(z[0]), m.loss(z[0], labels[0]), m.backward(a[0], labels[0])
        return
    params = {name: rng.standard_normal(t.shape) for name, t in d.params.items()}
    for n in (3, 0):
        x = rng.standard_normal((n, *spec.in_shape))
        if d.positive_input:
            x = np.abs(x) + 0.1
        side = d.side_inputs(x, rng)
        for dtype in (np.float64, np.float32):
            forward, backward = _layer_calls(m, d, {k: v.astype(dtype) for k, v in params.items()}, side)
            y, saved = forward(x.astype(dtype))
            backward(rng.standard_normal(y.shape).astype(dtype), x.astype(dtype), saved)
        if n:
            y1, saved1 = forward(x[0].astype(dtype))  # one example without its batch axis
            backward(rng.standard_normal(np.shape(y1)).astype(dtype), x[0].astype(dtype), saved1)
            for special in (np.where(rng.random(x.shape) < 0.3, np.nan, x), np.zeros_like(x), -np.zeros_like(x)):
                forward(special)  # windows holding NaN, tied zeros of either sign
            if hasattr(m, "indices"):
                m.indices(saved), m.indices(np.asarray(saved)[0])
            first = [params[name] for name in d.params][:1]
            for args in ([x[0], *first, *(v[0] for v in side.values())], [x, *first, *side.values()]):
                _jacobians_or_refusal(m.jacobians, *args)


def drive_network(m: types.ModuleType, spec: Network) -> None:
    """Every public function of a network module, as its users call it."""
    rng = np.random.default_rng(5)
    params = m.init_params(seed=1)
    x = rng.standard_normal((2, *spec.in_shape))
    m.forward(x, params), m.forward(x[0], params), m.forward(x[:0], params)
    m.forward(np.where(rng.random(x.shape) < 0.3, np.nan, x), params)
    if spec.has_loss:
        labels = rng.integers(0, spec.out_shape[0], size=2)
        _, grads = m.loss_and_gradients(x, labels, params)
        m.loss_and_gradients(x[0], labels[0], params)
        m.sgd_step(params, grads, 0.01)
    for pos, d in enumerate(derive(spec).layers, 1):
        if not d.params and not spec.layers[pos - 1].loss:
            # windows holding NaN at the layer itself: a ReLU before it maps NaN to 0, so a
            # network's input cannot bring NaN there (max pooling's own code for them)
            z = rng.standard_normal((2, *d.spec.in_shape))
            getattr(m, f"_l{pos}_{d.kind}_forward")(np.where(rng.random(z.shape) < 0.3, np.nan, z))
    for layer in range(1, len(spec.layers) + 1):
        for at in (x, x[0]):
            _jacobians_or_refusal(m.jacobians, at, params, layers=[layer])


def drive(spec: Layer | Network) -> Callable[[types.ModuleType], None]:
    if isinstance(spec, Network):
        return lambda m: drive_network(m, spec)
    return lambda m: drive_layer(m, spec)


@pytest.mark.parametrize("path", GENERATED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_function_of_a_golden_module_is_entered(path):
    source = path.read_text(encoding="utf-8")
    spec = spec_of(read_spec(__import__("ast").parse(source), path))
    assert not_entered(source, path.parent.name, drive(spec)) == []


@pytest.mark.parametrize("name", QUICK)
def test_every_function_of_a_generated_module_is_entered(name):
    spec = SPECS[name]
    assert not_entered(generate(spec), name, drive(spec)) == []


@pytest.mark.slow(reason="the whole table of module_specs.py: the quick rows take every path already")
@pytest.mark.parametrize("name", [n for n in SPECS if n not in QUICK])
def test_every_function_of_the_other_modules_is_entered(name):
    spec = SPECS[name]
    assert not_entered(generate(spec), name, drive(spec)) == []


def test_the_check_sees_a_function_never_entered():
    """The profile hook is what it claims: a module with a function nobody calls is caught."""
    spec = SPECS["relu"]
    source = generate(spec) + "\n\ndef never(x):\n    return x\n"
    assert not_entered(source, "relu-never", drive(spec)) == [f"never (line {source.count(chr(10)) - 1})"]
