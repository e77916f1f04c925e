"""The ``symconv`` command's entry point.  It lies outside the package, so it runs before
``import symconv`` (SymPy, NumPy and the rest: about a second): Ctrl-C at any moment, during
those imports too, ends the command with ``symconv: error: interrupted`` and exit code 130,
never a traceback and never a death by signal.  The command itself is
:func:`symconv.cli.main`, which says "interrupted" when Ctrl-C comes while it runs."""

from __future__ import annotations

import signal
import sys
from types import FrameType

INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command ended by Ctrl-C


def _interrupt(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # one interruption: a second Ctrl-C while unwinding is ignored
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGINT, _interrupt)
    try:
        from symconv.cli import main as command

        code = command()
    except KeyboardInterrupt:  # before the command's own handler was reached (the imports)
        sys.stderr.write("symconv: error: interrupted\n")
        code = INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # from here the process only exits
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
