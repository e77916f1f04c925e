"""Bounds on work, checked before the work starts (DESIGN.md, "Safety and limits").

One place holds every limit that is not part of the claims language:

- the size budget of a derivation: the symbols it makes (entries of every layer's input,
  output and parameters) and the nonzeros its vec Jacobians store, both computed from
  the shapes alone by :meth:`symconv.specs.Layer.derivation_size`, so a derivation too
  large to finish is refused at once with a message that names its size and says how
  to raise the budget in the caller's terms: ``derive(spec, max_symbols=N, max_nonzeros=N)``
  or ``with raised(...)`` from Python, ``--max-symbols`` / ``--max-nonzeros`` on the command
  line (inside :func:`command_line`), ``max_symbols`` / ``max_nonzeros`` in a ``[limits]``
  table of a config or claims file;
- reading files: only regular files (a FIFO or a device is refused), and never more
  than the cap (the size is checked before reading, then at most cap + 1 bytes are read);
- TOML: nesting depth and dotted-key depth, checked by a linear scan before the parser
  sees the text (``tomllib`` recurses on nesting and is quadratic on long dotted keys).

>>> from symconv import Conv2D
>>> check(Conv2D(input=(3000, 3000), kernel=(1, 1)))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symconv.errors.SpecError: size: the derivation of conv2d needs 18000002 symbols, ...derive(spec, max_symbols=N) ...
>>> with raised(max_symbols=20_000_000, max_nonzeros=10**8):
...     check(Conv2D(input=(3000, 3000), kernel=(1, 1)))
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import SpecError
from .specs import Layer, Network


@dataclass(frozen=True)
class Budget:
    """The most a derivation may make: ``max_symbols`` SymPy symbols and ``max_nonzeros``
    stored Jacobian nonzeros (the hand-sign network needs 0.15 M and 3.3 M)."""

    max_symbols: int = 500_000
    max_nonzeros: int = 10_000_000


#: what each budget field is called on the command line and in a [limits] table
_HOW = {
    "max_symbols": ("symbols", "--max-symbols"),
    "max_nonzeros": ("nonzeros", "--max-nonzeros"),
}
#: the largest value a budget may be raised to (beyond it, memory runs out anyway)
MAX_BUDGET = 10**12

_DEFAULT = Budget()
_BUDGET: ContextVar[Budget | None] = ContextVar("symconv_budget", default=None)
_NUMERIC_ONLY: ContextVar[bool] = ContextVar("symconv_numeric_only", default=False)
_COMMAND_LINE: ContextVar[bool] = ContextVar("symconv_command_line", default=False)

#: a derivation used only for its numbers (generated code) may still not pass this many
#: entries in one tensor: index maps of that size take gigabytes
MAX_NUMERIC_ENTRIES = 200_000_000
#: ... nor this many entries in its window map (``h_z w_z h_k w_k``, the size of one block's
#: Jacobian pattern: int64 index arrays, a few of them at once)
MAX_WINDOW_ENTRIES = 50_000_000


def budget() -> Budget:
    """The budget in force."""
    return _BUDGET.get() or _DEFAULT


def set_budget(**fields: int | None) -> None:
    """Set budget fields (``max_symbols=``, ``max_nonzeros=``) for what follows in this
    context; ``None`` leaves a field as it is."""
    given = {k: _positive(k, v, _named(k)) for k, v in fields.items() if v is not None}
    _BUDGET.set(replace(budget(), **given))


@contextlib.contextmanager
def command_line() -> Iterator[None]:
    """Inside, budget errors speak the command line's terms (``--max-symbols N``); outside,
    a Python caller's (``derive(spec, max_symbols=N)``)."""
    token = _COMMAND_LINE.set(True)
    try:
        yield
    finally:
        _COMMAND_LINE.reset(token)


def _named(key: str) -> str:
    """A budget field as the caller names it: ``--max-symbols`` on the command line,
    ``max_symbols`` (the keyword) from Python."""
    if key in _HOW and _COMMAND_LINE.get():
        return _HOW[key][1]
    return key


@contextlib.contextmanager
def raised(**fields: int) -> Iterator[Budget]:
    """``with raised(max_nonzeros=10**8): derive(big)`` -- a budget for a block of code."""
    with scope():
        _BUDGET.set(replace(budget(), **{k: _positive(k, v, k) for k, v in fields.items()}))
        yield budget()


@contextlib.contextmanager
def scope() -> Iterator[Budget]:
    """Budget changes made inside (flags, ``[limits]`` tables) end with the block."""
    token = _BUDGET.set(budget())
    try:
        yield budget()
    finally:
        _BUDGET.reset(token)


@contextlib.contextmanager
def numeric_only() -> Iterator[None]:
    """Derivations made inside are used for numbers, names and a bounded part of their
    Jacobians only (generated code; a single layer's document, which makes only the symbols
    it shows): the symbolic budget does not apply, only the caps on a tensor's entries and
    on a window map's."""
    token = _NUMERIC_ONLY.set(True)
    try:
        yield
    finally:
        _NUMERIC_ONLY.reset(token)


def apply_table(table: Any, where: str = "limits") -> None:
    """A config's or claims file's ``[limits]`` table: ``max_symbols`` and ``max_nonzeros``
    raise the budget for what this process derives next (they never lower it)."""
    if table is None:
        return
    if not isinstance(table, Mapping):
        raise SpecError(where, "must be a table with max_symbols and/or max_nonzeros")
    for key in table:
        if key not in _HOW:
            raise SpecError(f"{where}.{key}", f"is not a limit; expected one of {', '.join(_HOW)}")
    current = budget()
    given = {k: max(_positive(k, v, f"{where}.{k}"), getattr(current, k)) for k, v in table.items()}
    _BUDGET.set(replace(current, **given))


def _positive(key: str, value: Any, name: str) -> int:
    if key not in _HOW:
        raise SpecError(name, f"is not a limit; expected one of {', '.join(_HOW)}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or not 1 <= value <= MAX_BUDGET:
        raise SpecError(name, f"must be an integer from 1 to {MAX_BUDGET}, got {str(value)[:40]}")
    return int(value)


def check(spec: Layer | Network) -> None:
    """Refuse a derivation of ``spec`` larger than the budget (or, inside
    :func:`numeric_only`, a tensor of more than ``MAX_NUMERIC_ENTRIES`` entries)."""
    layers: tuple[Layer, ...] = spec.layers if isinstance(spec, Network) else (spec,)
    many = len(layers) > 1
    if _NUMERIC_ONLY.get():
        for pos, layer in enumerate(layers, start=1):
            entries = max(_count(layer.in_shape), _count(layer.out_shape))
            if entries > MAX_NUMERIC_ENTRIES:
                raise SpecError(
                    "size",
                    f"{_which(layer, pos, many)} has a tensor of {entries} entries, "
                    f"more than the {MAX_NUMERIC_ENTRIES} generated code is made for",
                )
            windows = layer.window_entries()
            if windows > MAX_WINDOW_ENTRIES:
                raise SpecError(
                    "size",
                    f"{_which(layer, pos, many)} has a window map of {windows} entries, "
                    f"more than the {MAX_WINDOW_ENTRIES} generated code and documents are made for",
                )
        return
    limit = budget()
    totals = {"max_symbols": 0, "max_nonzeros": 0}
    for layer in layers:
        symbols, nonzeros = layer.derivation_size()
        totals["max_symbols"] += symbols
        totals["max_nonzeros"] += nonzeros
    for key, total in totals.items():
        cap = getattr(limit, key)
        if total > cap:
            what = _HOW[key][0]
            subject = f"network of {len(layers)} layers" if many else layers[0].kind
            how = f"{_named(key)} N" if _COMMAND_LINE.get() else f"symconv.derive(spec, {key}=N)"
            raise SpecError(
                "size",
                f"the derivation of {subject} needs {total} {what}, more than the budget of {cap}; "
                f"raise it with {how} (or {key} = N in a [limits] table)",
            )


def _which(layer: Layer, pos: int, many: bool) -> str:
    return f"layer [{pos}] {layer.kind}" if many else layer.kind


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


# -- files ------------------------------------------------------------------------------------


def read_capped(path: Path, cap: int, parameter: str, builtins: str = "") -> bytes:
    """The bytes of the regular file ``path``, refused when it is not a regular file (a FIFO
    or a device would block or never end) or is larger than ``cap`` bytes; never reads more
    than ``cap + 1`` bytes, whatever the file claims its size is."""
    shown = _shown(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SpecError(parameter, f"no such file: {shown}" + (f" ({builtins})" if builtins else "")) from None
    except OSError as err:
        raise SpecError(parameter, f"cannot read {shown}: {err.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise SpecError(parameter, f"{shown} is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise SpecError(parameter, f"{shown} is not a regular file (a pipe or a device is not read)")
    if info.st_size > cap:
        raise SpecError(parameter, f"{shown} is larger than {cap} bytes")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as err:
        raise SpecError(parameter, f"cannot read {shown}: {err.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # replaced since the check
            raise SpecError(parameter, f"{shown} is not a regular file (a pipe or a device is not read)")
        try:
            data = fh.read(cap + 1)
        except OSError as err:
            raise SpecError(parameter, f"cannot read {shown}: {err.strerror}") from None
    if len(data) > cap:
        raise SpecError(parameter, f"{shown} is larger than {cap} bytes")
    return data


def _shown(path: Path) -> str:
    from .text import escape

    return escape(str(path), 200)


# -- TOML -------------------------------------------------------------------------------------

#: deepest nesting of arrays and inline tables, and most parts in one dotted key or header
MAX_TOML_DEPTH = 32
MAX_TOML_KEY_PARTS = 32
_PLAIN = re.compile(r"[^\"'#\[\]{}.=,\n]+")


def check_toml_shape(text: str, name: str, parameter: str = "config") -> None:
    """Refuse TOML nested deeper than ``MAX_TOML_DEPTH`` (arrays, inline tables) or with a
    key of more than ``MAX_TOML_KEY_PARTS`` dotted parts, in one linear pass that skips
    strings and comments, before ``tomllib`` sees it."""
    stack: list[str] = []  # the open brackets of arrays and inline tables
    parts = 1  # parts of the key being read
    in_key = True  # at the start of a line (outside brackets) or after { or , in an inline table
    i, n = 0, len(text)
    while i < n:
        plain = _PLAIN.match(text, i)
        if plain:
            i = plain.end()
            continue
        ch = text[i]
        if ch in "\"'":
            i = _string_end(text, i, ch, text.startswith(ch * 3, i))
            continue
        if ch == "#":
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
            continue
        if ch == "[" and not stack and in_key:
            parts = 1  # a table header, [a.b] or [[a.b]]: its dots count as key parts
        elif ch in "[{":
            stack.append(ch)
            if len(stack) > MAX_TOML_DEPTH:
                raise SpecError(parameter, f"{name} nests arrays or tables deeper than {MAX_TOML_DEPTH} levels")
            in_key, parts = ch == "{", 1
        elif ch in "]}":
            if stack:
                stack.pop()
        elif ch == "." and in_key:
            parts += 1
            if parts > MAX_TOML_KEY_PARTS:
                raise SpecError(parameter, f"{name} has a key of more than {MAX_TOML_KEY_PARTS} dotted parts")
        elif ch == "=":
            in_key = False
        elif ch == "," and stack:
            in_key, parts = stack[-1] == "{", 1
        elif ch == "\n" and not stack:
            in_key, parts = True, 1
        i += 1


def _string_end(text: str, start: int, quote: str, triple: bool) -> int:
    """The index just past the string that opens at ``start``."""
    if triple:
        end = text.find(quote * 3, start + 3)
        if end < 0:
            return len(text)
        end += 3
        while end < len(text) and text[end] == quote:  # up to two quotes may close it
            end += 1
        return end
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == "\\" and quote == '"':
            i += 2
            continue
        if c == quote or c == "\n":
            return i + 1
        i += 1
    return i
