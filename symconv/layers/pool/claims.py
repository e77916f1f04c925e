"""The poolings' names in claims: ``lh_p, lh_s`` and the window ``h_l, w_l`` (Appendix B), max
pooling's window ``Omega`` as free symbols, average pooling's ``P`` and divisors ``D`` (2-D)."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ...geometry import AXIS_LETTERS
from ...symbols import Tensor
from ..kind import ClaimKind, window_constants
from .home import SPECS
from .rule import AvgPoolDerivation, MaxPoolDerivation
from .spec import AvgPool, LPPool, MaxPool


def _constants(spec: AvgPool | MaxPool | LPPool) -> dict[str, int]:
    """``lh_p, lw_p, lh_s, lw_s`` and the window ``h_l, w_l`` (Appendix B); in 1-D ``ll_p, ll_s``
    and ``l_l``, in 3-D also ``ld_p, ld_s`` and ``d_l``."""
    letters = AXIS_LETTERS[len(spec.window)]
    return {**window_constants(spec, "l"), **{f"{x}_l": k for x, k in zip(letters, spec.window, strict=True)}}


def _omega(d: MaxPoolDerivation) -> dict[str, Tensor]:
    """Appendix B's window ``Omega`` as free symbols."""
    return {"Omega": Tensor("Omega", "\\Omega", d.geometry.kernel, None, spatial=d.geometry.ndim)}


def _p(d: AvgPoolDerivation) -> dict[str, Any]:
    """3.1.3's ``P``, every entry ``1/(h_l w_l)``, and ``D``, each window's divisor (PyTorch's
    ``ceil_mode``, ``count_include_pad`` and ``divisor_override`` rules; all ``h_l w_l`` by
    default): matrices, so 2-D only (the claims language indexes matrices)."""
    if d.ndim != 2:
        return {}
    return {"P": sp.ImmutableMatrix(d.P), "D": sp.ImmutableMatrix(d.divisors.tolist())}


def _claims(spec: type[MaxPool] | type[AvgPool] | type[LPPool]) -> ClaimKind:
    if issubclass(spec, MaxPool):
        return ClaimKind(constants=_constants, leaves=_omega)
    if issubclass(spec, AvgPool):
        return ClaimKind(constants=_constants, matrices=_p)
    return ClaimKind(constants=_constants)


CLAIMS = {spec.kind: _claims(spec) for spec in SPECS}
