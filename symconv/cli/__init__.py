"""The ``symconv`` command: derive, latex, codegen, check, verify.

Exit codes: 0 success, 1 a check or claim failed or drift was found, 2 invalid input.
Errors are one line on stderr, never a traceback (set ``SYMCONV_DEBUG=1`` to see one).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ..errors import SpecError
from . import check, codegen, derive, latex, verify
from .common import Parser, UsageError, error_line

SUBCOMMANDS = (derive, latex, codegen, check, verify)


def build_parser() -> Parser:
    parser = Parser(prog="symconv", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    return parser


def _join_negative_values(argv: Sequence[str]) -> list[str]:
    """``--pad-value -inf`` as ``--pad-value=-inf``: argparse takes ``-inf`` for a flag."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] == "--pad-value" and arg.startswith("-"):
            out[-1] = f"--pad-value={arg}"
        else:
            out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(_join_negative_values(sys.argv[1:] if argv is None else argv))
        if args.command is None:
            parser.print_help()
            return 2
        return int(args.run(args))
    except (SpecError, UsageError) as err:
        error_line(str(err))
        return 2
    except KeyboardInterrupt:
        error_line("interrupted")
        return 130
    except Exception as err:  # never a traceback for a user
        if os.environ.get("SYMCONV_DEBUG"):
            raise
        error_line(f"internal error: {type(err).__name__}: {err} (set SYMCONV_DEBUG=1 for details)")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
