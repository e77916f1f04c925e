"""symconv: the seed's back-propagation derivation for convolutional networks, for any shapes.

SymPy builds the forward expressions for given shapes, the vec Jacobians are derived
as the seed's appendices derive them, and LaTeX, NumPy code and a claims checker are
produced from those same objects.
"""

from types import ModuleType

from . import config
from ._version import __version__ as __version__
from .config import load_config
from .derive import derive
from .errors import PlanError, SpecError
from .geometry import Geometry, output_size
from .layers.adaptive.spec import (
    AdaptiveAvgPool1D,
    AdaptiveAvgPool2D,
    AdaptiveAvgPool3D,
    AdaptiveMaxPool1D,
    AdaptiveMaxPool2D,
    AdaptiveMaxPool3D,
)
from .layers.conv.spec import Conv1D, Conv2D, Conv3D, ConvTranspose1D, ConvTranspose2D, ConvTranspose3D
from .layers.elementwise.spec import Dense, Flatten, ReLU, Sigmoid, SoftmaxCrossEntropy, Tanh
from .layers.pad.spec import Pad1D, Pad2D, Pad3D
from .layers.pool.spec import (
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    LPPool1D,
    LPPool2D,
    LPPool3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
)
from .layers.unpool.spec import MaxUnpool1D, MaxUnpool2D, MaxUnpool3D
from .network import NetworkDerivation
from .sparse import VecJacobian
from .specs import Layer, Network

__all__ = [
    "AdaptiveAvgPool1D",
    "AdaptiveAvgPool2D",
    "AdaptiveAvgPool3D",
    "AdaptiveMaxPool1D",
    "AdaptiveMaxPool2D",
    "AdaptiveMaxPool3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "ConvTranspose1D",
    "ConvTranspose2D",
    "ConvTranspose3D",
    "Dense",
    "Flatten",
    "Geometry",
    "LPPool1D",
    "LPPool2D",
    "LPPool3D",
    "Layer",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "MaxUnpool1D",
    "MaxUnpool2D",
    "MaxUnpool3D",
    "Network",
    "NetworkDerivation",
    "Pad1D",
    "Pad2D",
    "Pad3D",
    "PlanError",
    "ReLU",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "SpecError",
    "Tanh",
    "VecJacobian",
    "config",
    "derive",
    "generate",
    "load",
    "load_config",
    "output_size",
]


def generate(spec: Layer | Network, command: str = "symconv codegen") -> str:
    """The NumPy module for a layer spec or a network (:func:`symconv.codegen.render.generate`)."""
    from .codegen.render import generate as render

    return render(spec, command)


def load(spec: Layer | Network) -> ModuleType:
    """The module of ``spec``, generated and imported in memory (:func:`symconv.codegen.render.load`)."""
    from .codegen.render import load as loaded

    return loaded(spec)
