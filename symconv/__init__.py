"""symconv: the seed's back-propagation derivation for convolutional networks, for any shapes.

SymPy builds the forward expressions for given shapes, the vec Jacobians are derived
as the seed's appendices derive them, and LaTeX, NumPy code and a claims checker are
produced from those same objects.
"""

from . import config
from .config import load_config
from .derive import derive
from .errors import SpecError
from .geometry import Geometry, output_size
from .network import NetworkDerivation
from .sparse import VecJacobian
from .specs import (
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    Layer,
    MaxPool2D,
    Network,
    ReLU,
    Sigmoid,
    SoftmaxCrossEntropy,
    Tanh,
)

__all__ = [
    "AvgPool2D",
    "Conv2D",
    "Dense",
    "Flatten",
    "Geometry",
    "Layer",
    "MaxPool2D",
    "Network",
    "NetworkDerivation",
    "ReLU",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "SpecError",
    "Tanh",
    "VecJacobian",
    "config",
    "derive",
    "load_config",
    "output_size",
]
