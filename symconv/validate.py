"""Coercion of user-given parameters, each rule stated once.

Every function takes the parameter's name so that the error it raises names it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from .errors import SpecError


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:40]) + "..."
    text = repr(tuple(value)) if isinstance(value, list) else repr(value)
    return text if len(text) <= 60 else text[:60] + "..."


def integer(name: str, value: Any, *, minimum: int) -> int:
    """An int (not a bool, not a float) no smaller than ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(name, f"must be an integer, got {_show(value)}")
    if value < minimum:
        rule = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise SpecError(name, f"must be {rule}, got {value}")
    return int(value)


def positive(name: str, value: Any) -> int:
    return integer(name, value, minimum=1)


def pair(name: str, value: Any, *, minimum: int = 1) -> tuple[int, int]:
    """An int (used for both directions) or a pair ``(height, width)``."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 2:
            raise SpecError(name, f"must be an integer or a pair (height, width), got {_show(value)}")
        return (integer(name, value[0], minimum=minimum), integer(name, value[1], minimum=minimum))
    if isinstance(value, (int, bool)) or not isinstance(value, (str, float)):
        n = integer(name, value, minimum=minimum)
        return (n, n)
    raise SpecError(name, f"must be an integer or a pair (height, width), got {_show(value)}")


def padding(name: str, value: Any) -> tuple[int, int, int, int]:
    """``P``, ``(PH, PW)`` or ``(TOP, BOTTOM, LEFT, RIGHT)``, all >= 0, as a 4-tuple.  (Only
    conv2d also takes PyTorch's words ``"same"``/``"valid"``, which its spec reads first.)"""
    if isinstance(value, str):
        raise SpecError(name, f"must be integers (P, PH,PW or TOP,BOTTOM,LEFT,RIGHT), got {_show(value)}")
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = [integer(name, v, minimum=0) for v in value]
        if len(items) == 2:
            return (items[0], items[0], items[1], items[1])
        if len(items) == 4:
            return (items[0], items[1], items[2], items[3])
        raise SpecError(name, f"must have 1, 2 or 4 entries (P, PH,PW or TOP,BOTTOM,LEFT,RIGHT), got {len(items)}")
    p = integer(name, value, minimum=0)
    return (p, p, p, p)


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


def divides(name: str, value: int, counts: Sequence[tuple[str, int | None]]) -> int:
    """``value`` (already a positive integer) divides each known count: PyTorch's rule for
    ``groups``, which splits ``in_channels`` and ``out_channels`` into equal groups.  A count
    that is ``None`` (not known yet, inside a network) is checked once it is."""
    for what, count in counts:
        if count is not None and count % value:
            raise SpecError(name, f"must divide {what} ({count}), got {value}")
    return value
