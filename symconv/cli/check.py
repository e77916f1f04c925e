"""``symconv check MODULE.py``: run the numeric checks on a generated module and print
the largest absolute and relative errors of each; exit 1 if a check fails, 2 if the file
is not a generated symconv module."""

from __future__ import annotations

import argparse
from typing import Any

from ..codegen.checks import check_module


def add_parser(sub: Any) -> None:
    p = sub.add_parser("check", help="run the numeric checks on a generated NumPy module")
    p.add_argument("module", metavar="MODULE.py", help="a module written by symconv codegen or derive")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:

    report = check_module(args.module)
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1
