"""The home of the layers after the convolutions (3.1.1 to 3.1.4): the activations (relu, sigmoid,
tanh), flatten, dense and softmax cross-entropy; their spec and rule, registered once (the
documents: ``latex.py``'s ``LATEX``; the code: ``plan.py``'s ``PLANS``; the claim names:
``claims.py``'s ``CLAIMS``)."""

from __future__ import annotations

from ...specs import Layer
from ..kind import LayerKind
from .rule import ActivationDerivation, DenseDerivation, FlattenDerivation, SoftmaxDerivation
from .spec import Dense, Flatten, ReLU, Sigmoid, SoftmaxCrossEntropy, Tanh

#: the activations (3.1.4)
ACTIVATION_SPECS: tuple[type[Layer], ...] = (ReLU, Sigmoid, Tanh)


def _activation(spec: type[Layer], what: str, description: str) -> LayerKind:
    return LayerKind(
        spec=spec,
        rule=ActivationDerivation,
        description=description,
        what=what,
        backward_section="3.1.4",
        module=spec.kind,
    )


KINDS = (
    _activation(ReLU, "ReLU", "ReLU: I = max(0, Z) entrywise (3.1.4)"),
    _activation(Sigmoid, "sigmoid", "sigmoid: I = 1/(1 + e^-Z) entrywise (3.1.4)"),
    _activation(Tanh, "tanh", "tanh: I = tanh(Z) entrywise (3.1.4)"),
    LayerKind(
        spec=Flatten,
        rule=FlattenDerivation,
        description="flatten: B = the channel vecs of A stacked (3.1.2)",
        what="flatten",
        backward_section="3.1.2",
        module="flatten",
    ),
    LayerKind(
        spec=Dense,
        rule=DenseDerivation,
        description="fully connected: Z = W^T B + b (3.1.1)",
        what="fully connected",
        backward_section="3.1.1",
        module="dense",
    ),
    LayerKind(
        spec=SoftmaxCrossEntropy,
        rule=SoftmaxDerivation,
        description="softmax with cross-entropy: A = softmax(Z), J = -sum_k y_k log a_k (3.1.1)",
        what="softmax and cross-entropy loss",
        backward_section="3.1.1",
        module="softmax",
    ),
)
