"""``symconv codegen``: write the NumPy module of a layer or network (default: the seed's
Appendix A layer), or every golden module (``--all``), or check ``generated/`` for drift
(``--check``: exit 1 and print the diff when anything drifted)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .. import golden
from ..codegen.render import write_module
from ..errors import SpecError
from .common import add_layer_flags, spec_from_args


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "codegen",
        help="write the generated NumPy module of a layer or network (default: the seed's Appendix A layer)",
    )
    add_layer_flags(p)
    p.add_argument("-o", "--output", metavar="DIR", default=".", help="folder to write into (default: here)")
    p.add_argument("--name", metavar="NAME", help="module file name (default: the layer kind, or network)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--all", action="store_true", help="write every golden file of generated/")
    mode.add_argument("--check", action="store_true", help="regenerate generated/ in memory; exit 1 on drift")
    p.add_argument(
        "--root", metavar="DIR", help="the golden folder for --all/--check (default: the repository's generated/)"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:

    if args.all or args.check:
        root = Path(args.root) if args.root else golden.default_root()
        if args.check:
            diffs = golden.drift(root)
            for diff in diffs:
                sys.stdout.write(diff if diff.endswith("\n") else diff + "\n")
            if diffs:
                print(f"symconv codegen --check: {len(diffs)} file(s) drifted; run `{golden.GOLDEN_COMMAND}`")
                return 1
            print(f"symconv codegen --check: {root} is up to date")
            return 0
        for path in golden.write_all(root):
            print(path)
        return 0
    if args.root:
        raise SpecError("--root", "applies to --all and --check only")
    spec = spec_from_args(args)
    path = write_module(spec, Path(args.output), args.name)
    print(path)
    return 0
