"""Standard output that survives a closed pipe (``symconv derive | head``).

When the reader goes away, the rest of the output is dropped quietly and the command goes
on: every file it was asked to write is still written, and no error is printed.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import TextIO


class _PipeSafe(io.TextIOBase):
    """A text stream that forwards to ``stream`` until the reader has closed the pipe."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.closed_pipe = False

    def write(self, text: str) -> int:
        if not self.closed_pipe:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._closed()
        return len(text)

    def flush(self) -> None:
        if not self.closed_pipe:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._closed()

    def _closed(self) -> None:
        self.closed_pipe = True
        # Python flushes stdout again at exit; point the descriptor at /dev/null so that
        # this last flush cannot fail either
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._stream.encoding


@contextlib.contextmanager
def surviving_pipe() -> Iterator[None]:
    """Within the block, ``print`` to stdout never raises ``BrokenPipeError``."""
    real = sys.stdout
    if isinstance(real, _PipeSafe):
        yield
        return
    safe = _PipeSafe(real)
    sys.stdout = safe
    try:
        yield
        safe.flush()
    finally:
        sys.stdout = real
