"""Benchmarks of ``symconv verify``, end to end, each run a fresh process (imports included),
as a user runs the command.

1. ``seed_audit`` (issue 11: at most 5 s on 2 cores), with the LaTeX reader's fast path
   against SymPy's Earley parser alone: "fast" is the command as shipped; "lark" the same
   command with ``symconv.verify.arith.parse`` switched off, so that every rewritten LaTeX
   text goes to ``parse_latex(..., backend="lark")``.  The two reports (text and JSON) must
   be byte-identical; the benchmark stops if they are not.
2. The textbook corpus as a file set (issue 19: checked in under 60 s on 2 cores):
   ``tests/textbook_corpus.py`` written as claims files, one per subject, checked (a) in
   one run, ``symconv verify *.toml``, and (b) one run per file; and the start-up of one run
   (a claims file with a single claim ``1 == 1``), which (b) pays once per file.

Printed: medians over the runs, the sides alternating.

Run: python benchmarks/bench_verify.py [--reps 5] [--only audit|corpus]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from textbook_corpus import FORMS, write_files

CHILD = """
import sys
import symconv.verify.arith as arith
if sys.argv[1] == "lark":
    arith.parse = lambda text: None
from symconv.cli import main
sys.exit(main(sys.argv[2:]))
"""
TRIVIAL = '[layer]\ntype = "relu"\ninput = [1, 1]\n[[claims]]\nid = "one"\nlhs = "1"\nrhs = "1"\n'


def run(side: str, *args: str, expect: int) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, side, "verify", *args], capture_output=True)
    seconds = time.perf_counter() - t0
    if out.returncode != expect:
        raise SystemExit(f"{side} {' '.join(args)[:80]}: exit code {out.returncode}\n{out.stderr.decode()}")
    return seconds, out.stdout


def audit(reps: int) -> None:
    for extra in ([], ["--json"]):
        (_, fast), (_, lark) = run("fast", "seed_audit", *extra, expect=1), run("lark", "seed_audit", *extra, expect=1)
        if fast != lark:
            raise SystemExit(f"the reports differ ({' '.join(['verify', 'seed_audit', *extra])})")
    print("seed_audit reports: byte-identical (text and --json)")
    times: dict[str, list[float]] = {"fast": [], "lark": []}
    for _ in range(reps):
        for side in times:
            times[side].append(run(side, "seed_audit", expect=1)[0])
    fast, lark = (statistics.median(times[s]) for s in ("fast", "lark"))
    print(f"symconv verify seed_audit, median of {reps} runs (wall, imports included):")
    print(f"  fast path: {fast:.2f} s")
    print(f"  lark only: {lark:.2f} s")
    print(f"  ratio lark / fast: {lark / fast:.2f}")


def corpus(reps: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = [str(p) for p in write_files(folder)]
        trivial = folder / "trivial.toml"
        trivial.write_text(TRIVIAL, encoding="utf-8")
        times: dict[str, list[float]] = {"one run": [], "a run per file": [], "start-up": []}
        for _ in range(reps):
            times["one run"].append(run("fast", *files, expect=2)[0])  # the refused forms are invalid claims
            per_file = 0.0
            for f in files:
                per_file += run("fast", f, expect=_expected(f))[0]
            times["a run per file"].append(per_file)
            times["start-up"].append(run("fast", str(trivial), expect=0)[0])
        one, each, start = (statistics.median(times[k]) for k in times)
        print(f"the textbook corpus: {len(FORMS)} claims in {len(files)} files, median of {reps} runs (wall):")
        print(f"  one run, symconv verify *.toml:      {one:.2f} s")
        print(f"  a run per file, all {len(files)} files:      {each:.2f} s ({each / len(files):.2f} s a file)")
        print(f"  start-up of one run (a 1-claim file): {start:.2f} s")


def _expected(path: str) -> int:
    """The exit code of one corpus file: 2 if it holds a refused form, 1 if a failing one."""
    name = Path(path).stem
    forms = [f for f in FORMS if f.subject == name]
    if any(not f.stated for f in forms):
        return 2
    return 1 if any(f.expected == "fails" for f in forms) else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", choices=("audit", "corpus"))
    args = ap.parse_args()
    if args.only != "corpus":
        audit(args.reps)
    if args.only != "audit":
        corpus(args.reps)


if __name__ == "__main__":
    main()
