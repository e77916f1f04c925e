"""Progress of long jobs on stderr, with tqdm when it is installed (``symconv[progress]``)
and stderr is a terminal; otherwise nothing at all, so pipes, files and tests see no
progress output."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any


def enabled() -> bool:
    """Whether progress is shown: stderr is a terminal and tqdm is installed."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
    if not tty:
        return False
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


class Steps:
    """``with Steps("derive", 4) as p: p.step("document"); ...``: a bar of named steps.

    A job that learns its number of steps only once it has started (the claims of a file)
    opens the bar with ``total=None`` and calls :meth:`expect`.  Library functions take a
    ``progress: Steps = QUIET`` and call :meth:`expect` and :meth:`step` on it; the commands
    pass the bar they opened.  ``show=False`` makes a bar that never shows."""

    def __init__(self, job: str, total: int | None = None, *, show: bool = True) -> None:
        self._bar: Any = None
        self._started = False
        if show and enabled():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=job, file=sys.stderr, leave=False, unit="step", dynamic_ncols=True)

    def expect(self, total: int) -> None:
        """Set the number of steps, once it is known."""
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def step(self, name: str) -> None:
        """Start the step ``name`` (the previous one is done)."""
        if self._bar is None:
            return
        if self._started:
            self._bar.update(1)
        self._started = True
        self._bar.set_postfix_str(name, refresh=True)

    def __enter__(self) -> Steps:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.close()


#: the default of library functions that report progress: shows nothing
QUIET = Steps("", show=False)
