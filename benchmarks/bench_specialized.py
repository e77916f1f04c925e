# ruff: noqa: N803, B023 - the seed's names (A, K, dZ) for arrays; each lambda is called in the iteration that defines it
"""The generated modules of this checkout against those of another checkout (main, say): the
same results bit for bit, and the time of each (not a test).

    python benchmarks/bench_specialized.py --other DIR --other-python PY [--quick] [--reps N]
                                           [--no-speed] [--no-compare]

``DIR`` is the other checkout's folder (``git archive main | tar -x -C DIR`` gives one) and
``PY`` a Python with that checkout's dependencies; its modules are written by ``PY`` with
``PYTHONPATH=DIR``, in a process of its own.

* **Results**: every spec of ``tests/module_specs.py`` (``--quick``: its ``QUICK`` rows), each
  module of both checkouts run on the same random inputs (seeded per spec): float64 and
  float32, a batch of 3 and one example without its batch axis; every result of ``forward``,
  ``backward`` (and ``loss``, ``indices``), ``jacobians`` at one example (or both refusing), for
  a network ``init_params``, ``forward``, ``loss_and_gradients`` (the loss and every gradient).
  One comparison is one array (or one refusal): the same dtype, the same shape, the same bits
  (``np.array_equal`` with NaN equal to NaN).  The counts are printed.
* **Speed**: bench_codegen.py's conv and pooling shapes (forward + backward, float64) and the
  golden networks' ``loss_and_gradients`` on a batch of 32; each rep times the other's module
  then this one's (``--block`` runs each, the best of them), and the ratio this / other of
  the rep's pair is taken; the median of the ratios over ``--reps`` reps is printed, with the
  median times.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_codegen import CONV_SHAPES, POOL_SHAPES, conv_data, conv_spec, pool_spec  # noqa: E402

from symconv import derive  # noqa: E402
from symconv.codegen.checks import _layer_calls, load_module  # noqa: E402
from symconv.codegen.render import write_module  # noqa: E402
from symconv.config import BUILTINS, load_config  # noqa: E402
from symconv.specs import Layer, Network  # noqa: E402

#: run by the other checkout's Python: writes the module of each (name, config) read from stdin
WRITER = """
import json, sys
from pathlib import Path
from symconv.codegen.checks import spec_of
from symconv.codegen.render import write_module
for name, config in json.load(sys.stdin).items():
    write_module(spec_of(config), Path(sys.argv[1]), name)
"""


def write_other(specs: dict[str, Layer | Network], folder: Path, other: Path, python: str) -> None:
    """The other checkout's modules of ``specs``, written into ``folder`` by its own Python."""
    configs = json.dumps({name: spec.config() for name, spec in specs.items()})
    env = {**os.environ, "PYTHONPATH": str(other)}
    subprocess.run([python, "-c", WRITER, str(folder)], input=configs, text=True, env=env, check=True, cwd=other)


def write_ours(specs: dict[str, Layer | Network], folder: Path) -> None:
    for name, spec in specs.items():
        write_module(spec, folder, name)


def module_names(specs: Mapping[str, object]) -> dict[str, str]:
    """A module name for each spec (its table name made an identifier)."""
    return {name: "m_" + "".join(c if c.isalnum() else "_" for c in name) for name in specs}


# -- results -----------------------------------------------------------------------------------


def _arrays(value: Any) -> list[Any]:
    """The arrays of one call's result, in order (a dict by its sorted keys)."""
    if isinstance(value, dict):
        return [v for _, v in sorted(value.items(), key=lambda kv: repr(kv[0]))]
    if isinstance(value, tuple):
        return [a for v in value for a in _arrays(v)]
    return [value]


def _call(fn: Callable[[], Any]) -> list[Any]:
    """The arrays of ``fn()``, or its refusal (``ValueError``: its message)."""
    try:
        return _arrays(fn())
    except ValueError as err:
        return [f"ValueError: {err}"]


def layer_results(m: ModuleType, spec: Layer, seed: int) -> list[Any]:
    """Every result a layer module gives on the seeded inputs, in a fixed order."""
    d = derive(spec)
    rng = np.random.default_rng(seed)
    out: list[Any] = []
    if spec.loss:
        z = rng.standard_normal((3, *spec.in_shape))
        labels = rng.integers(0, spec.in_shape[0], size=3)
        for dtype in (np.float64, np.float32):
            x = z.astype(dtype)
            out += _call(lambda: m.forward(x)) + _call(lambda: m.loss(x, labels))
            out += _call(lambda: m.backward(m.forward(x), labels)) + _call(lambda: m.forward(x[0]))
            out += _call(lambda: m.loss(x[0], labels[0])) + _call(lambda: m.jacobians(x[0]))
        return out
    params = {name: rng.standard_normal(t.shape) for name, t in d.params.items()}
    x = rng.standard_normal((3, *spec.in_shape))
    if d.positive_input:
        x = np.abs(x) + 0.1
    side = d.side_inputs(x, rng)
    for dtype in (np.float64, np.float32):
        forward, backward = _layer_calls(m, d, {k: v.astype(dtype) for k, v in params.items()}, side)
        for at in (x.astype(dtype), x[0].astype(dtype)):  # a batch, one example without its batch axis
            y, saved = forward(at)
            g = rng.standard_normal(np.shape(y)).astype(dtype)
            out += _arrays(y) + ([] if saved is None else _arrays(saved))
            out += _call(lambda: backward(g, at, saved))
            if hasattr(m, "indices"):
                out += _call(lambda: m.indices(saved))
        first = [params[name].astype(dtype) for name in d.params][:1]
        out += _call(lambda: m.jacobians(x[0].astype(dtype), *first, *(v[0] for v in side.values())))
    return out


def network_results(m: ModuleType, spec: Network, seed: int) -> list[Any]:
    rng = np.random.default_rng(seed)
    params = m.init_params(seed=1)
    out = _arrays(params)
    x = rng.standard_normal((3, *spec.in_shape))
    for dtype in (np.float64, np.float32):
        p = {k: v.astype(dtype) for k, v in params.items()}
        out += _call(lambda: m.forward(x.astype(dtype), p)) + _call(lambda: m.forward(x[0].astype(dtype), p))
        if spec.has_loss:
            labels = rng.integers(0, spec.out_shape[0], size=3)
            out += _call(lambda: m.loss_and_gradients(x.astype(dtype), labels, p))
            out += _call(lambda: m.loss_and_gradients(x[0].astype(dtype), labels[0], p))
    return out


def same(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def compare(specs: dict[str, Layer | Network], ours: Path, theirs: Path) -> tuple[int, int]:
    """(comparisons, differences) over every module of ``specs``."""
    names = module_names(specs)
    total = differ = 0
    for seed, (name, spec) in enumerate(specs.items()):
        results = []
        for folder in (theirs, ours):
            m = load_module(folder / f"{names[name]}.py")
            with np.errstate(all="ignore"):
                run = network_results if isinstance(spec, Network) else layer_results
                results.append(run(m, spec, seed))  # type: ignore[arg-type]
        old, new = results
        if len(old) != len(new):
            print(f"{name}: {len(old)} results before, {len(new)} after")
            differ += 1
            continue
        bad = sum(not same(a, b) for a, b in zip(old, new, strict=True))
        total += len(old)
        differ += bad
        if bad:
            print(f"{name}: {bad} of {len(old)} results differ")
    return total, differ


# -- speed -------------------------------------------------------------------------------------


def speed_cases() -> dict[str, tuple[Layer | Network, Callable[[ModuleType], Callable[[], object]]]]:
    """name -> (spec, a function of the module giving the timed call)."""
    cases: dict[str, tuple[Layer | Network, Callable[[ModuleType], Callable[[], object]]]] = {}
    for shape in CONV_SHAPES:
        A, K, b, dZ = conv_data(shape, np.random.default_rng(0), np.float64)

        def conv(m: ModuleType, A=A, K=K, b=b, dZ=dZ) -> Callable[[], object]:
            return lambda: (m.forward(A, K, b), m.backward(dZ, A, K))

        cases[f"conv {'x'.join(map(str, shape))}"] = (conv_spec(shape), conv)
    rng = np.random.default_rng(1)
    for kind in ("max", "avg"):
        for shape in POOL_SHAPES:
            spec = pool_spec(kind, shape)
            x = rng.standard_normal((shape[0], *spec.in_shape))

            def pool(m: ModuleType, x=x, kind=kind) -> Callable[[], object]:
                y = m.forward(x)
                if kind == "max":
                    A, switches = y
                    return lambda: (m.forward(x), m.backward(A, switches))
                return lambda: (m.forward(x), m.backward(y))

            cases[f"{kind}pool {'x'.join(map(str, shape))}"] = (spec, pool)
    for name in ("hand_sign", "seed_cnn"):
        net = load_config(name)
        assert isinstance(net, Network)
        x = rng.standard_normal((32, *net.in_shape))
        labels = rng.integers(0, net.out_shape[0], size=32)

        def train(m: ModuleType, x=x, labels=labels) -> Callable[[], object]:
            params = m.init_params(seed=1)
            return lambda: m.loss_and_gradients(x, labels, params)

        cases[f"{name} loss_and_gradients N=32"] = (net, train)
    return cases


def timed(fn: Callable[[], object], block: int) -> float:
    best = math.inf
    for _ in range(block):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def speed(cases: dict[str, Any], ours: Path, theirs: Path, reps: int, block: int) -> list[float]:
    names = module_names(cases)
    print(f"{'case':44} {'other ms':>10} {'this ms':>10} {'median this/other':>18}")
    medians = []
    for name, (_, make) in cases.items():
        old = make(load_module(theirs / f"{names[name]}.py"))
        new = make(load_module(ours / f"{names[name]}.py"))
        old(), new()  # warm-up
        pairs = [(timed(old, block), timed(new, block)) for _ in range(reps)]
        ratio = statistics.median(n / o for o, n in pairs)
        medians.append(ratio)
        t_old, t_new = (statistics.median(p[k] for p in pairs) * 1e3 for k in (0, 1))
        print(f"{name:44} {t_old:10.2f} {t_new:10.2f} {ratio:18.3f}")
    geo = math.exp(sum(map(math.log, medians)) / len(medians))
    print(f"{'geometric mean of the median ratios':44} {'':10} {'':10} {geo:18.3f}")
    return medians


def job(folder: Path, name: str, reps: int, block: int) -> float:
    """The median over ``reps`` of the best of ``block`` runs of one case, in this process alone."""
    cases = speed_cases()
    make = cases[name][1]
    fn = make(load_module(folder / f"{module_names(cases)[name]}.py"))
    fn()
    return statistics.median(timed(fn, block) for _ in range(reps))


def alone(cases: dict[str, Any], ours: Path, theirs: Path, reps: int, block: int, rounds: int) -> None:
    print(f"{'case (each side alone in fresh processes)':44} {'other ms':>10} {'this ms':>10} {'this/other':>18}")
    ratios = []
    for name in cases:
        times: dict[Path, list[float]] = {theirs: [], ours: []}
        for _ in range(rounds):
            for folder in (theirs, ours):
                args = ["--job", str(folder), name, "--reps", str(reps), "--block", str(block)]
                out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
                times[folder].append(float(out.stdout.split()[-1]))
        t_old, t_new = statistics.median(times[theirs]), statistics.median(times[ours])
        ratios.append(t_new / t_old)
        print(f"{name:44} {t_old * 1e3:10.2f} {t_new * 1e3:10.2f} {t_new / t_old:18.3f}")
    geo = math.exp(sum(map(math.log, ratios)) / len(ratios))
    print(f"{'geometric mean of the ratios':44} {'':10} {'':10} {geo:18.3f}")


def main() -> int:
    if sys.argv[1:2] == ["--job"]:
        folder, name = Path(sys.argv[2]), sys.argv[3]
        rest = argparse.ArgumentParser()
        rest.add_argument("--reps", type=int)
        rest.add_argument("--block", type=int)
        opts = rest.parse_args(sys.argv[4:])
        print(job(folder, name, opts.reps, opts.block))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other", type=Path, required=True, help="the other checkout's folder")
    parser.add_argument("--other-python", required=True, help="a Python with the other checkout's dependencies")
    parser.add_argument("--quick", action="store_true", help="module_specs.QUICK only")
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--block", type=int, default=5)
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--no-compare", action="store_true")
    parser.add_argument("--alone", action="store_true", help="also time each module alone in fresh processes")
    parser.add_argument("--rounds", type=int, default=2, help="fresh processes per side with --alone")
    args = parser.parse_args()
    from module_specs import QUICK, SPECS

    with tempfile.TemporaryDirectory() as tmp:
        ours, theirs = Path(tmp, "ours"), Path(tmp, "theirs")
        ours.mkdir(), theirs.mkdir()
        if not args.no_compare:
            specs = {n: SPECS[n] for n in (QUICK if args.quick else SPECS)}
            specs.update({n: load_config(n) for n in BUILTINS})
            named = dict(zip(module_names(specs).values(), specs.values(), strict=True))
            write_other(named, theirs, args.other, args.other_python)
            write_ours(named, ours)
            total, differ = compare(specs, ours, theirs)
            print(f"# {len(specs)} modules, {total} comparisons (arrays or refusals), {differ} differ")
        if not args.no_speed:
            cases = speed_cases()
            named = dict(zip(module_names(cases).values(), (spec for spec, _ in cases.values()), strict=True))
            write_other(named, theirs, args.other, args.other_python)
            write_ours(named, ours)
            load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
            print(f"# load average {load}; each rep: the other's module, then this one's, best of {args.block} runs")
            speed(cases, ours, theirs, args.reps, args.block)
            if args.alone:
                alone(cases, ours, theirs, args.reps, args.block, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
