"""The names in claims of the layers after the convolutions: each activation is a function of
the claims language (``relu(x)``, ``sigmoid(x)``, ``tanh(x)``)."""

from __future__ import annotations

from ..kind import ClaimKind
from .home import ACTIVATION_SPECS
from .rule import ACTIVATIONS
from .spec import Dense, Flatten, SoftmaxCrossEntropy

CLAIMS = {
    **{spec.kind: ClaimKind(functions={spec.kind: ACTIVATIONS[spec.kind]}) for spec in ACTIVATION_SPECS},
    **{spec.kind: ClaimKind() for spec in (Flatten, Dense, SoftmaxCrossEntropy)},
}
