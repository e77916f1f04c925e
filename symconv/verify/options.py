"""Options of a claims file, a part or a claim: the derivative layout, the first index and
what an index outside a tensor reads as.

``layout`` fixes what ``diff(y, X)`` and ``\\frac{\\partial y}{\\partial X}`` mean (``grad`` and
``\\nabla_X y`` are the gradient, shaped like ``X``, in every layout):

=============  ==========================  ===========================  =======================
layout         scalar by an m x n matrix   column p by column m         column p by a scalar
=============  ==========================  ===========================  =======================
numerator      n x m (the seed's, 3.2)     p x m (the Jacobian)         p x 1
denominator    m x n (the gradient)        m x p (its transpose)        1 x p
mixed          m x n (the gradient)        p x m (the Jacobian)         p x 1
=============  ==========================  ===========================  =======================

A scalar by a tensor of channels is, channel by channel, what it is by a matrix.  The seed's
own files state ``layout = "numerator"``; a file that states none is read in the mixed
layout, the way course notes and textbooks write derivatives (a gradient has the shape of
its variable, a Jacobian has one row per output), and a verdict that would differ in another
layout says so in the report.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError

LAYOUTS = ("numerator", "denominator", "mixed")
DEFAULT_LAYOUT = "mixed"
LAYOUT_MEANING = {
    "numerator": "the seed's: d(scalar)/dX is the transpose of the gradient, d(vector)/d(vector) the Jacobian",
    "denominator": "d(scalar)/dX is the gradient, shaped like X; d(vector)/d(vector) the transposed Jacobian",
    "mixed": "d(scalar)/dX is the gradient, shaped like X; d(vector)/d(vector) the Jacobian",
}
OUT_OF_RANGE = ("zero", "error")
OPTION_KEYS = ("layout", "index_base", "out_of_range")
MAX_RANGE = 1_000

#: kinds of derivative whose value depends on the layout, and the layouts that agree on each
SCALAR_BY_ARRAY = "scalar-by-array"
VECTOR_BY_VECTOR = "vector-by-vector"
VECTOR_BY_SCALAR = "vector-by-scalar"
AGREE = {
    SCALAR_BY_ARRAY: (("numerator",), ("denominator", "mixed")),
    VECTOR_BY_VECTOR: (("numerator", "mixed"), ("denominator",)),
    VECTOR_BY_SCALAR: (("numerator", "mixed"), ("denominator",)),
}


@dataclass(frozen=True)
class Options:
    """``layout_stated``: the file (or part, or claim) says which layout it uses."""

    layout: str = DEFAULT_LAYOUT
    layout_stated: bool = False
    index_base: int = 1
    out_of_range: str = "zero"
    #: the claim's ``for`` table: explicit ranges of free indices, (first, last) inclusive
    ranges: tuple[tuple[str, tuple[int, int]], ...] = ()

    def with_layout(self, layout: str) -> Options:
        return dataclasses.replace(self, layout=layout)


def read_options(table: dict[str, Any], where: str, parent: Options) -> Options:
    """``parent`` with the option keys of ``table`` (a document, a part or a claim)."""
    out = parent
    if "layout" in table:
        layout = table["layout"]
        if layout not in LAYOUTS:
            raise SpecError(f"{where}layout", f"must be one of {', '.join(map(repr, LAYOUTS))}, got {_shown(layout)}")
        out = dataclasses.replace(out, layout=layout, layout_stated=True)
    if "index_base" in table:
        base = table["index_base"]
        if base not in (0, 1) or isinstance(base, bool):
            raise SpecError(f"{where}index_base", f"must be 0 or 1 (the first index), got {_shown(base)}")
        out = dataclasses.replace(out, index_base=base)
    if "out_of_range" in table:
        rule = table["out_of_range"]
        if rule not in OUT_OF_RANGE:
            raise SpecError(
                f"{where}out_of_range",
                f"must be 'zero' (an index outside a tensor reads as 0) or 'error', got {_shown(rule)}",
            )
        out = dataclasses.replace(out, out_of_range=rule)
    return out


def read_for(value: Any, where: str) -> tuple[tuple[str, tuple[int, int]], ...]:
    """A claim's ``for = {m = [1, 3], n = 2}``: each free index's first and last value."""
    if not isinstance(value, dict) or not value:
        raise SpecError(where, "must be a table of index = [first, last], e.g. for = {m = [1, 3]}")
    out = []
    for name, rng in value.items():
        w = f"{where}.{name[:20]}"
        if not (len(name) == 1 and name.isascii() and name.isalpha()):
            raise SpecError(w, "an index is one letter, e.g. for = {m = [1, 3]}")
        if isinstance(rng, int) and not isinstance(rng, bool):
            rng = [rng, rng]
        if (
            not isinstance(rng, list)
            or len(rng) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in rng)
        ):
            raise SpecError(w, "must be [first, last] (inclusive) or one integer, e.g. m = [1, 3]")
        first, last = rng
        if last < first or last - first + 1 > MAX_RANGE or abs(first) > 10**6:
            raise SpecError(w, f"must run upwards over at most {MAX_RANGE} values, got [{first}, {last}]")
        out.append((name, (first, last)))
    return tuple(out)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."
