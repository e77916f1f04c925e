"""Max unpooling's names in claims: its tensors and Jacobians only."""

from __future__ import annotations

from ..kind import ClaimKind
from .home import SPECS

CLAIMS = {spec.kind: ClaimKind() for spec in SPECS}
