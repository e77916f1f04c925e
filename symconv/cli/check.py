"""Run the numeric checks on a module written by symconv codegen or derive: its
gradients against central finite differences, the seed's own route and the core's
forward, in float64 and float32, printing the largest absolute and relative errors of each.
Any module symconv codegen writes is checked: past the derivation's size budget (the ResNet
stem), the seed's route through the dense vec Jacobians gives way to each gradient at a few
sampled entries against central differences of the core's forward, and the report says so.

Exit codes: 0 every check passed, 1 a check failed, 2 the file is not a working
generated symconv module."""

from __future__ import annotations

import argparse
from typing import Any

from ..codegen.checks import check_module
from ..errors import SpecError
from ..progress import Steps
from ..text import escape
from .common import help_text

EXAMPLES = """  symconv codegen --layer conv2d --input 8x8 --kernel 3x3 -o mylayers
  symconv check mylayers/conv.py"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check", help="run the numeric checks on a generated NumPy module", **help_text(__doc__, EXAMPLES)
    )
    p.add_argument("module", metavar="MODULE.py", help="a module written by symconv codegen or derive")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:

    try:
        with Steps("symconv check") as progress:
            report = check_module(args.module, progress)
    except (SpecError, MemoryError, RecursionError, KeyboardInterrupt):
        raise
    except Exception as err:  # the module's own code failed: an edited or damaged module
        raise SpecError(
            "MODULE",
            f"{escape(args.module, 200)} failed while being checked ({type(err).__name__}: {escape(err, 200)}); "
            "is it an edited generated module? Regenerate it with symconv codegen",
        ) from None
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1
