"""Benchmark of the symbolic core (issue 2), ratios measured in one run.

1. Derive every Jacobian of the hand-sign network and materialise every entry as a
   SymPy object; report seconds and peak memory (run in a child process so the peak
   is this job's alone).
2. One 24x24 input, 3x3 kernel, padding 1: symconv's sparse d vZ/d vK and d vZ/d vA
   (materialised as SymPy matrices) against ``sympy.Matrix.jacobian`` of the vec of the
   same forward expression, in the same process, with the ratio.

Run: python benchmarks/bench_core.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import sympy as sp

import symconv as sc
from symconv.config import load_config


def hand_sign_child() -> None:
    t0 = time.perf_counter()
    d = sc.derive(load_config("hand_sign"))
    infos = d.jacobian_list()
    t_structure = time.perf_counter() - t0
    entries = 0
    for layer in d.layers:
        if layer.kind == "maxpool2d":
            continue  # its Jacobian is the 0/1 mask of a given input (counted below)
        keys = ["Z"] if layer.kind in ("relu", "sigmoid", "tanh") else None
        for info in layer.jacobian_list():
            if keys is not None and info.key not in keys:
                continue
            jac = layer.jacobian(info.key, **dict(info.index))
            table = [jac.table[k] for k in range(len(jac.table))]  # every distinct value as SymPy
            entries += sum(1 for _ in (table[int(i)] for i in jac.ids))
    t_total = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "jacobians": len(infos),
                "structure_s": t_structure,
                "total_s": t_total,
                "entries": entries,
                "peak_mb": peak_mb,
            }
        )
    )


def vs_matrix_jacobian(n: int = 24, k: int = 3) -> dict[str, float]:
    spec = sc.Conv2D(input=(n, n), kernel=k, padding=1)
    d = sc.derive(spec)
    vz = sp.Matrix([e for e in d.forward()])  # the same forward expressions for both
    t0 = time.perf_counter()
    ours_k = d.jacobian("K").to_matrix()
    ours_a = d.jacobian("A").to_matrix()
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs_k = vz.jacobian(sp.Matrix(d.kernel.flat))
    theirs_a = vz.jacobian(sp.Matrix(d.input.flat))
    t_sympy = time.perf_counter() - t0
    assert ours_k == theirs_k and ours_a == theirs_a, "results differ"
    return {"symconv_s": t_ours, "sympy_s": t_sympy, "ratio": t_sympy / t_ours}


def main() -> None:
    if sys.argv[1:] == ["--child"]:
        hand_sign_child()
        return
    out = subprocess.run([sys.executable, __file__, "--child"], capture_output=True, text=True, check=True)
    hs = json.loads(out.stdout)
    print("hand-sign network (64x64x3 -> conv 8@4x4 -> relu -> maxpool 8 -> conv 16@2x2 -> relu -> maxpool 4 -> fc 6)")
    print(f"  {hs['jacobians']} Jacobians, {hs['entries']} entries materialised as SymPy objects")
    print(f"  structure {hs['structure_s']:.2f} s, with every entry {hs['total_s']:.2f} s, peak {hs['peak_mb']:.0f} MB")
    r = vs_matrix_jacobian()
    print("24x24 input, 3x3 kernel, padding 1: d vZ/d vK and d vZ/d vA as SymPy matrices")
    print(f"  symconv {r['symconv_s']:.3f} s, sympy Matrix.jacobian {r['sympy_s']:.2f} s, ratio {r['ratio']:.0f}x")


if __name__ == "__main__":
    main()
