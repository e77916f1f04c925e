"""The ``symconv`` command: derive, latex, html, codegen, check, verify.

Exit codes: 0 success, 1 a check or claim failed or drift was found, 2 invalid input.
Errors are one line on stderr, never a traceback (set ``SYMCONV_DEBUG=1`` to see one).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence

from .. import limits
from .._version import __version__
from ..errors import SpecError
from . import check, codegen, derive, html, latex, verify
from .common import HelpFormatter, Parser, UsageError, add_budget_flags, apply_budget, error_line, plain
from .output import surviving_pipe

SUBCOMMANDS = (derive, latex, html, codegen, check, verify)

EPILOG = """examples:
  symconv derive                                  the seed's Appendix A layer: shapes, Jacobians, .tex/.pdf, module
  symconv derive --config hand_sign -o out        a built-in network
  symconv latex --layer conv2d --input 5x6 --kernel 3x2 --pdf
  symconv html --config hand_sign                 one self-contained page: MathML, live SVG
  symconv codegen --layer maxpool2d --input 28x28 --window 2x2 -o mylayers
  symconv check mylayers/maxpool.py
  symconv verify seed_audit

'symconv COMMAND --help' describes each command."""


def build_parser() -> Parser:
    parser = Parser(
        prog="symconv",
        description=plain(__doc__).splitlines()[0],
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"symconv {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    for command in sub.choices.values():
        add_budget_flags(command)
    return parser


_NEGATIVE = re.compile(r"-(?:\d|inf|infinity\b)", re.IGNORECASE)


def _join_negative_values(argv: Sequence[str]) -> list[str]:
    """``--pad-value -inf`` as ``--pad-value=-inf``, ``--input -3x4`` as ``--input=-3x4``:
    argparse takes a value that starts with ``-`` for a flag, and the value then gets the
    flag's own message (a number must be positive) instead of "expected one argument"."""
    out: list[str] = []
    for arg in argv:
        prev = out[-1] if out else ""
        if prev.startswith("--") and "=" not in prev and _NEGATIVE.match(arg):
            out[-1] = f"{prev}={arg}"
        else:
            out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    with surviving_pipe():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(_join_negative_values(sys.argv[1:] if argv is None else argv))
        if args.command is None:
            parser.print_help()
            return 2
        with limits.scope(), limits.command_line():  # flags and [limits] tables hold for this command only
            apply_budget(args)
            return int(args.run(args))
    except (SpecError, UsageError) as err:
        error_line(str(err))
        return 2
    except KeyboardInterrupt:
        error_line("interrupted")
        return 130
    except MemoryError:
        error_line("out of memory: the job is too large for this machine; try smaller shapes")
        return 2
    except RecursionError:
        error_line("input nested too deeply (recursion limit reached); simplify it")
        return 2
    except Exception as err:  # never a traceback for a user
        if os.environ.get("SYMCONV_DEBUG"):
            raise
        error_line(f"internal error: {type(err).__name__}: {err} (set SYMCONV_DEBUG=1 for details)")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
