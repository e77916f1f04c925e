"""What a conv layer's LaTeX document costs against the layer's size (not a test).

    python benchmarks/bench_latex.py [--reps N] [--sizes 8,32,128,224] [--no-alone]

A document shows a bounded part of a layer (elided matrices, a few worked entries,
pictures of at most 48 cells a side), so its cost should follow what it shows, not the
layer's size.  For 3 -> 16 channels, a 3x3 kernel and padding 1 on square inputs of
growing size, and for the ResNet stem layer (224x224, 3 -> 64, 7x7, stride 2, padding 3):

* in one process, the document of each size is built in turn with the smallest layer's,
  interleaved, each from a fresh ``derive``; the table gives the median time and the
  median of the ratios time(size) / time(smallest);
* alone, ``symconv latex ... -o DIR --name NAME`` runs end to end in a fresh process (import,
  derivation, document, writing the file): the median wall time and the peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import symconv
from symconv.latex.document import document

#: the size budgets of these runs: the large layers' whole Jacobians pass the default ones, and a
#: document reads only a bounded part of them
BUDGET = 10**9

#: (label, input side, kernel, stride, padding, in channels, out channels)
STEM = ("stem", 224, 7, 2, 3, 3, 64)


def layers(sizes: list[int]) -> list[tuple[str, int, int, int, int, int, int]]:
    return [(f"{n}x{n}", n, 3, 1, 1, 3, 16) for n in sizes] + [STEM]


def spec(layer: tuple[str, int, int, int, int, int, int]) -> symconv.Conv2D:
    _, n, k, s, p, cin, cout = layer
    return symconv.Conv2D(
        input=(n, n), kernel=(k, k), stride=(s, s), padding=(p, p), in_channels=cin, out_channels=cout
    )


def flags(layer: tuple[str, int, int, int, int, int, int]) -> list[str]:
    _, n, k, s, p, cin, cout = layer
    return [
        *("--layer conv2d --input".split()),
        f"{n}x{n}",
        "--kernel",
        f"{k}x{k}",
        "--stride",
        str(s),
        "--padding",
        str(p),
        "--in-channels",
        str(cin),
        "--out-channels",
        str(cout),
        "--max-symbols",
        str(BUDGET),
        "--max-nonzeros",
        str(BUDGET),
    ]


def timed_document(layer: tuple[str, int, int, int, int, int, int]) -> tuple[float, int]:
    d = symconv.derive(spec(layer), max_symbols=BUDGET, max_nonzeros=BUDGET)
    start = time.perf_counter()
    text = document(d)
    return time.perf_counter() - start, len(text.encode())


#: runs a command and prints its peak RSS in KB and its CPU seconds.  Linux gives a child the peak RSS of the
#: process that forked it as a floor, so a small process does the forking, not this one.
_PEAK = (
    "import os, sys\n"
    "pid = os.posix_spawn(sys.argv[1], sys.argv[1:], dict(os.environ),"
    " file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "print(usage.ru_maxrss if status == 0 else -1, usage.ru_utime + usage.ru_stime)\n"
)


def alone(layer: tuple[str, int, int, int, int, int, int], folder: Path) -> tuple[float, float, float]:
    """``symconv latex`` end to end in a fresh process: wall seconds, CPU seconds and peak
    RSS in MB."""
    command = [sys.executable, "-m", "symconv", "latex", *flags(layer), "-o", str(folder), "--name", str(layer[0])]
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _PEAK, *command], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    peak_kb, cpu = proc.stdout.split()
    if int(peak_kb) < 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return wall, float(cpu), int(peak_kb) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--sizes", default="8,16,32,64,128,224")
    ap.add_argument("--no-alone", action="store_true", help="skip the fresh-process runs")
    args = ap.parse_args()
    table = layers([int(n) for n in args.sizes.split(",")])
    base = table[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="symconv-bench-latex-") as tmp:
        for layer in table:
            times, ratios, size = [], [], 0
            for _ in range(args.reps):
                t_base, _ = timed_document(base)
                t, size = timed_document(layer)
                times.append(t)
                ratios.append(t / t_base)
            walls, cpus, rss = [], [], 0.0
            if not args.no_alone:
                for _ in range(max(1, args.reps // 2)):
                    wall, cpu, peak = alone(layer, Path(tmp))
                    walls.append(wall)
                    cpus.append(cpu)
                    rss = max(rss, peak)
            g = spec(layer).geometry
            nnz = g.output[0] * g.output[1] * g.kernel[0] * g.kernel[1]
            rows.append((layer, nnz, size, statistics.median(times), statistics.median(ratios), walls, cpus, rss))
            print(f"done {layer[0]}", file=sys.stderr)
    print(
        f"| layer | dvZ/dvK nonzeros per block | .tex | document (in process) | ratio to {base[0]} |"
        " symconv latex alone: wall | CPU | peak RSS |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for layer, nnz, size, t, ratio, walls, cpus, rss in rows:
        name = "stem 224×224 3→64 7×7/2 pad 3" if layer is STEM else f"{layer[0].replace('x', '×')} 3→16 3×3 pad 1"
        alone_text = f"{statistics.median(walls):.2f} s | {statistics.median(cpus):.2f} s" if walls else "- | -"
        rss_text = f"{rss:.0f} MB" if walls else "-"
        print(f"| {name} | {nnz:,} | {size / 1024:.0f} KB | {t:.3f} s | {ratio:.2f} | {alone_text} | {rss_text} |")
    print(
        f"\n(python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"max RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
    )


if __name__ == "__main__":
    main()
