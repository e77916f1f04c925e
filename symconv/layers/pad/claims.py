"""The pad layer's names in claims: the named sides of its padding."""

from __future__ import annotations

from ..kind import ClaimKind, window_constants
from .home import SPECS
from .spec import Pad


def _constants(spec: Pad) -> dict[str, int]:
    """The named sides of the padding (``p_top, p_bottom, ...``; ``l_p`` etc. when symmetric)."""
    return window_constants(_Sides(spec), "")


class _Sides:
    """The padding as :func:`window_constants` reads it (a pad has no stride: 1 per axis)."""

    def __init__(self, spec: Pad) -> None:
        self.padding = spec.padding
        self.stride = (1,) * (spec.ndim or 0)


CLAIMS = {spec.kind: ClaimKind(constants=_constants) for spec in SPECS}
