"""Benchmark of ``symconv verify seed_audit`` end to end (issue 11's goal: at most 5 s on
2 cores), with the LaTeX reader's fast path against SymPy's Earley parser alone.

Each run is a fresh process (imports included), as a user runs the command.  "fast" is
the command as shipped; "lark" is the same command with ``symconv.verify.arith.parse``
switched off, so that every rewritten LaTeX text goes to ``parse_latex(...,
backend="lark")``, as before the fast path.  The two reports (text and JSON) must be
byte-identical; the benchmark stops if they are not.  Printed: the median wall time of
each side over the runs, alternating the sides, and the ratio lark / fast.

Run: python benchmarks/bench_verify.py [--reps 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CHILD = """
import sys
import symconv.verify.arith as arith
if sys.argv[1] == "lark":
    arith.parse = lambda text: None
from symconv.cli import main
sys.exit(main(sys.argv[2:]))
"""


def run(side: str, *args: str) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, side, "verify", "seed_audit", *args], capture_output=True)
    seconds = time.perf_counter() - t0
    if out.returncode != 1:  # the audit's exit code: the seed's errors fail
        raise SystemExit(f"{side}: exit code {out.returncode}\n{out.stderr.decode()}")
    return seconds, out.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    for extra in ([], ["--json"]):
        (_, fast), (_, lark) = run("fast", *extra), run("lark", *extra)
        if fast != lark:
            raise SystemExit(f"the reports differ ({' '.join(['verify', 'seed_audit', *extra])})")
    print("reports: byte-identical (text and --json)")
    times: dict[str, list[float]] = {"fast": [], "lark": []}
    for _ in range(args.reps):
        for side in times:
            times[side].append(run(side)[0])
    fast, lark = (statistics.median(times[s]) for s in ("fast", "lark"))
    print(f"symconv verify seed_audit, median of {args.reps} runs (wall, imports included):")
    print(f"  fast path: {fast:.2f} s")
    print(f"  lark only: {lark:.2f} s")
    print(f"  ratio lark / fast: {lark / fast:.2f}")


if __name__ == "__main__":
    main()
