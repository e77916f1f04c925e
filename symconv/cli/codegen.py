"""Write the NumPy module of a layer or network (default: the seed's Appendix A layer)
into the folder -o DIR (default: here) as NAME.py (--name, default: the kind's module
name, printed when written, or network); or rewrite every golden file of generated/
(--all); or check generated/ for drift (--check: exit 1 and print the diff when anything
drifted).

Exit codes: 0 written (or no drift), 1 drift found, 2 invalid input."""

from __future__ import annotations

import argparse
import keyword
import sys
from pathlib import Path
from typing import Any

from .. import golden
from ..codegen.render import write_module
from ..errors import SpecError
from ..io import check_folder
from ..progress import Steps
from ..text import escape
from .common import add_layer_flags, help_text, reject_layer_flags, spec_from_args

EXAMPLES = """  symconv codegen --layer conv2d --input 28x28 --kernel 3x3 --in-channels 3 --out-channels 16 -o mylayers
  symconv codegen --config seed_cnn --name seed_cnn -o mylayers
  symconv codegen --check"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "codegen",
        help="write the generated NumPy module of a layer or network (default: the seed's Appendix A layer)",
        **help_text(__doc__, EXAMPLES),
    )
    add_layer_flags(p)
    p.add_argument("-o", "--output", metavar="DIR", help="folder to write into (default: here)")
    p.add_argument(
        "--name",
        metavar="NAME",
        help="module file name (default: the kind's module name, which the command prints; network for a network)",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--all", action="store_true", help="write every golden file of generated/")
    mode.add_argument("--check", action="store_true", help="regenerate generated/ in memory; exit 1 on drift")
    p.add_argument(
        "--root", metavar="DIR", help="the golden folder for --all/--check (default: the repository's generated/)"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:

    if args.all or args.check:
        mode = "--all" if args.all else "--check"
        reject_layer_flags(args, f"{mode}, which makes the built-in configs' files")
        for flag, value in (("--output", args.output), ("--name", args.name)):
            if value is not None:
                raise SpecError(flag, f"does not apply to {mode}; the folder is --root")
        root = Path(args.root) if args.root else golden.default_root()
        if args.check and not root.is_dir():
            raise SpecError("--root", f"no such folder: {escape(root, 200)}")
        if args.all:
            check_folder(root, "--root")
        if args.check:
            with Steps("symconv codegen --check") as progress:
                diffs = golden.drift(root, progress)
            for diff in diffs:
                sys.stdout.write(diff if diff.endswith("\n") else diff + "\n")
            if diffs:
                print(f"symconv codegen --check: {len(diffs)} file(s) drifted; run `{golden.GOLDEN_COMMAND}`")
                return 1
            print(f"symconv codegen --check: {root} is up to date")
            return 0
        with Steps("symconv codegen --all") as progress:
            written = golden.write_all(root, progress)
        for path in written:
            print(path)
        return 0
    if args.root:
        raise SpecError("--root", "applies to --all and --check only")
    spec = spec_from_args(args)
    name = args.name
    if name is not None:
        stem = name[: -len(".py")] if name.endswith(".py") else name
        if not stem.isidentifier() or not stem.isascii() or keyword.iskeyword(stem):
            raise SpecError("--name", f"must be a Python module name (letters, digits and _), got {escape(name, 40)!r}")
    out = check_folder(args.output or ".", "--output")
    path = write_module(spec, out, name)
    print(path)
    return 0
