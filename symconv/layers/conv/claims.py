"""The convolutions' names in claims: the seed's ``h_p, w_p`` and ``h_s, w_s`` (per axis in
1-D and 3-D), PyTorch's ``groups``, a transposed convolution's output padding, and ``beta``
(Appendix A's name) for ``K``."""

from __future__ import annotations

from ...geometry import AXIS_LETTERS
from ..kind import ClaimKind, window_constants
from .home import SPECS
from .spec import Conv, ConvTranspose


def _constants(spec: Conv | ConvTranspose) -> dict[str, int]:
    """The seed's ``h_p, w_p`` (symmetric padding only) and ``h_s, w_s`` (per axis in 1-D and
    3-D), PyTorch's ``groups``, and a transposed convolution's output padding ``o_h, o_w``."""
    out = {**window_constants(spec, ""), "groups": spec.groups}
    if isinstance(spec, ConvTranspose):
        out |= {f"o_{x}": o for x, o in zip(AXIS_LETTERS[spec.axes], spec.output_padding, strict=True)}
    return out


CLAIMS = {spec.kind: ClaimKind(constants=_constants, aliases={"beta": "K"}) for spec in SPECS}
