"""The adaptive poolings' names in claims: the output size ``h_a, w_a`` and, in 2-D, average
pooling's divisors ``D``."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ...geometry import AXIS_LETTERS
from ..kind import ClaimKind
from .home import SPECS
from .rule import AdaptiveAvgDerivation
from .spec import AdaptiveAvgPool, AdaptiveMaxPool


def _constants(spec: AdaptiveAvgPool | AdaptiveMaxPool) -> dict[str, int]:
    """The output size ``h_a, w_a`` of the adaptive windows (``n_a`` in 1-D, ``d_a, h_a, w_a`` in 3-D)."""
    letters = AXIS_LETTERS[len(spec.output_size)]
    return {f"{x}_a": n for x, n in zip(letters, spec.output_size, strict=True)}


def _divisors(d: AdaptiveAvgDerivation) -> dict[str, Any]:
    """``D``: window ``(p, q)``'s divisor ``h_p w_q``, a matrix, so 2-D only (the claims language
    indexes matrices)."""
    if d.ndim != 2:
        return {}
    return {"D": sp.ImmutableMatrix(d.divisors.tolist())}


CLAIMS = {
    spec.kind: ClaimKind(constants=_constants, matrices=_divisors)
    if issubclass(spec, AdaptiveAvgPool)
    else ClaimKind(constants=_constants)
    for spec in SPECS
}
