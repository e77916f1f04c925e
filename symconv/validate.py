"""Coercion of user-given parameters, each rule stated once.

Every function takes the parameter's name so that the error it raises names it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import SpecError


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:40]) + "..."
    text = repr(tuple(value)) if isinstance(value, list) else repr(value)
    return text if len(text) <= 60 else text[:60] + "..."


def integer(name: str, value: Any, *, minimum: int) -> int:
    """An int (not a bool, not a float; NumPy's integers too) no smaller than ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise SpecError(name, f"must be an integer, got {_show(value)}")
    if value < minimum:
        rule = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise SpecError(name, f"must be {rule}, got {value}")
    return int(value)


def positive(name: str, value: Any) -> int:
    return integer(name, value, minimum=1)


#: the axes' names, first to last, by the number of spatial axes
AXIS_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
#: how the command line and the errors write a size with so many axes
SIZE_WORDS = {1: "L", 2: "HxW", 3: "DxHxW"}


def _is_sequence(value: Any) -> bool:
    return (isinstance(value, Sequence) and not isinstance(value, str)) or isinstance(value, np.ndarray)


def sizes(name: str, value: Any, ndim: int, *, minimum: int = 1) -> tuple[int, ...]:
    """An int (used for every axis) or one int per axis (``ndim`` of them)."""
    named = {1: "a list of one", 2: "a pair (height, width)", 3: "a triple (depth, height, width)"}[ndim]
    if _is_sequence(value):
        if len(value) != ndim:
            raise SpecError(name, f"must be an integer or {named}, got {_show(value)}")
        return tuple(integer(name, x, minimum=minimum) for x in value)
    if isinstance(value, (str, float)):
        raise SpecError(name, f"must be an integer or {named}, got {_show(value)}")
    n = integer(name, value, minimum=minimum)
    return (n,) * ndim


def pair(name: str, value: Any, *, minimum: int = 1) -> tuple[int, int]:
    """An int (used for both directions) or a pair ``(height, width)``."""
    h, w = sizes(name, value, 2, minimum=minimum)
    return (h, w)


def any_size(name: str, value: Any, *, default: int = 2, minimum: int = 1) -> tuple[int, ...]:
    """A size of 1, 2 or 3 axes (a layer that works on any: activations, flatten, a network's
    input); a single integer is that size along ``default`` axes."""
    if _is_sequence(value):
        if not 1 <= len(value) <= 3:
            raise SpecError(name, f"must have 1, 2 or 3 entries (L, HxW or DxHxW), got {_show(value)}")
        return sizes(name, value, len(value), minimum=minimum)
    return sizes(name, value, default, minimum=minimum)


def padding(name: str, value: Any, ndim: int = 2, *, crop: bool = False) -> tuple[int, ...]:
    """``P``, one per axis (``PH,PW``: both sides of each), or one per side in axis order
    (``TOP,BOTTOM,LEFT,RIGHT`` in 2-D; ``BEFORE,AFTER`` in 1-D), as ``2 ndim`` per-side amounts.
    All >= 0, or any integer where ``crop`` (a negative side crops that many entries)."""
    forms = {1: "P or BEFORE,AFTER", 2: "P, PH,PW or TOP,BOTTOM,LEFT,RIGHT", 3: "P, PD,PH,PW or six per side"}[ndim]
    counts = sorted({1, ndim, 2 * ndim})
    low = -(2**62) if crop else 0
    if isinstance(value, str):
        raise SpecError(name, f"must be integers ({forms}), got {_show(value)}")
    if _is_sequence(value):
        items = [integer(name, x, minimum=low) for x in value]
        if len(items) == 1:
            return (items[0],) * (2 * ndim)
        if len(items) == ndim and ndim > 1:
            return tuple(n for x in items for n in (x, x))
        if len(items) == 2 * ndim:
            return tuple(items)
        shown = ", ".join(str(c) for c in counts[:-1]) + f" or {counts[-1]}"
        raise SpecError(name, f"must have {shown} entries ({forms}), got {len(items)}")
    p = integer(name, value, minimum=low)
    return (p,) * (2 * ndim)


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SpecError(name, f"must be true or false, got {_show(value)}")
    return value


def choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """One of ``choices`` (strings)."""
    if not isinstance(value, str) or value not in choices:
        raise SpecError(name, f"must be one of {', '.join(repr(c) for c in choices)}, got {_show(value)}")
    return value


def pad_value(name: str, value: Any) -> float:
    """0 (the seed's ``max{0, ...}``) or -inf (PyTorch's): the value padded entries take
    inside a max.  Also as text, ``"0"`` or ``"-inf"``: TOML has no -inf literal, and the
    command line gives text (read here, never evaluated)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("-inf", "-infinity"):
            return -math.inf
        if re.fullmatch(r"-?0{1,12}(\.0{0,12})?", text):
            return 0.0
        raise SpecError(name, f"must be 0 (the seed's) or -inf (PyTorch's), got {_show(value)}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(name, f"must be 0 or -inf, got {_show(value)}")
    v = float(value)
    if v != 0 and v != -math.inf:
        raise SpecError(name, f"must be 0 (the seed's) or -inf (PyTorch's), got {value}")
    return 0.0 if v == 0 else v


def real(name: str, value: Any) -> float:
    """A real number (``inf``, ``-inf`` and ``nan`` too, as PyTorch's pad value takes them), or
    its text as the command line and TOML give it (read with a pattern, never evaluated)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if re.fullmatch(r"[+-]?(inf|infinity|nan|(\d{1,30}(\.\d{0,30})?|\.\d{1,30})(e[+-]?\d{1,3})?)", text):
            return float(text)
        raise SpecError(name, f"must be a number, got {_show(value)}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(name, f"must be a number, got {_show(value)}")
    return float(value)


def divides(name: str, value: int, counts: Sequence[tuple[str, int | None]]) -> int:
    """``value`` (already a positive integer) divides each known count: PyTorch's rule for
    ``groups``, which splits ``in_channels`` and ``out_channels`` into equal groups.  A count
    that is ``None`` (not known yet, inside a network) is checked once it is."""
    for what, count in counts:
        if count is not None and count % value:
            raise SpecError(name, f"must divide {what} ({count}), got {value}")
    return value
