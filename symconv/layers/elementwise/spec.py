"""The specs of activations, flatten, dense and softmax cross-entropy (3.1.1 to 3.1.4)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

from ... import validate as v
from ...errors import SpecError
from ...specs import CHANNELS, SIZE, Layer, PlaneInput, Shape, agree, describe_shape, image, option


@dataclass(frozen=True, kw_only=True)
class _Elementwise(Layer):
    """A layer that keeps its input's shape (activations, softmax)."""

    input: tuple[int, ...] | None = option(None, **SIZE)
    channels: int | None = option(None, **CHANNELS)
    features: int | None = option(None, help="vector length, for a layer on a vector")

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.input is not None and self.features is not None:
            raise SpecError("features", "give either input (an image) or features (a vector), not both")
        if self.input is not None:
            set_(self, "input", v.any_size("input", self.input))
            set_(self, "channels", 1 if self.channels is None else v.positive("channels", self.channels))
        elif self.channels is not None:
            set_(self, "channels", v.positive("channels", self.channels))
        if self.features is not None:
            set_(self, "features", v.positive("features", self.features))

    @property
    def is_bound(self) -> bool:
        return self.input is not None or self.features is not None

    @property
    def in_shape(self) -> Shape:
        self.require_bound()
        if self.features is not None:
            return (self.features,)
        assert self.input is not None and self.channels is not None
        return (self.channels, *self.input)

    @property
    def out_shape(self) -> Shape:
        return self.in_shape

    def bind(self, shape: Shape, where: str) -> _Elementwise:
        if len(shape) == 1:
            if self.input is not None:
                raise SpecError(f"{where}.input", f"is given but the previous layer gives {describe_shape(shape)}")
            agree(where, "features", self.features, shape[0], "features")
            return dataclasses.replace(self, features=shape[0], channels=None)
        if self.features is not None:
            raise SpecError(f"{where}.features", f"is given but the previous layer gives {describe_shape(shape)}")
        c, size = image(shape, where, self.kind, None)
        agree(where, "input", self.input, size, "as input size")
        agree(where, "channels", self.channels, c, "channels")
        return dataclasses.replace(self, input=size, channels=c)


@dataclass(frozen=True, kw_only=True)
class ReLU(_Elementwise):
    """``f(z) = max(0, z)``; its derivative is taken as 0 at ``z = 0`` (as PyTorch does)."""

    kind: ClassVar[str] = "relu"


@dataclass(frozen=True, kw_only=True)
class Sigmoid(_Elementwise):
    """``f(z) = 1 / (1 + exp(-z))``."""

    kind: ClassVar[str] = "sigmoid"


@dataclass(frozen=True, kw_only=True)
class Tanh(_Elementwise):
    """``f(z) = tanh(z)``."""

    kind: ClassVar[str] = "tanh"


@dataclass(frozen=True, kw_only=True)
class Flatten(PlaneInput):
    """``B = [vec(A_1); ...; vec(A_c)]``, the channel vecs stacked (seed 3.1.2)."""

    kind: ClassVar[str] = "flatten"
    input: tuple[int, ...] | None = option(None, **SIZE)
    channels: int | None = option(None, **CHANNELS)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.input is not None:
            set_(self, "input", v.any_size("input", self.input))
            set_(self, "channels", 1 if self.channels is None else v.positive("channels", self.channels))
        elif self.channels is not None:
            set_(self, "channels", v.positive("channels", self.channels))

    @property
    def out_shape(self) -> Shape:
        return (math.prod(self.in_shape),)


@dataclass(frozen=True, kw_only=True)
class Dense(Layer):
    """Fully connected: ``Z = W^T B + b`` with ``W`` of shape ``(in_features, out_features)`` (3.1.1)."""

    kind: ClassVar[str] = "dense"
    has_params: ClassVar[bool] = True
    size_field: ClassVar[str] = "in_features"
    in_features: int | None = option(None, help="input size")
    out_features: int = option(help="output size")
    bias: bool = option(True, help="without bias")

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.in_features is not None:
            set_(self, "in_features", v.positive("in_features", self.in_features))
        set_(self, "out_features", v.positive("out_features", self.out_features))
        set_(self, "bias", v.flag("bias", self.bias))

    @property
    def is_bound(self) -> bool:
        return self.in_features is not None

    @property
    def in_shape(self) -> Shape:
        self.require_bound()
        assert self.in_features is not None
        return (self.in_features,)

    @property
    def out_shape(self) -> Shape:
        return (self.out_features,)

    def derivation_size(self) -> tuple[int, int]:
        """dZ/dW and dZ/dB: ``n_in n_out`` nonzeros each, plus the weights' symbols."""
        symbols, out = super().derivation_size()
        weights = math.prod(self.in_shape) * out
        return symbols + weights + out, 2 * weights + out

    def bind(self, shape: Shape, where: str) -> Dense:
        if len(shape) != 1:
            raise SpecError(
                f"{where}.input",
                f"a dense layer needs a vector input, got {describe_shape(shape)}; put a flatten layer before it",
            )
        agree(where, "in_features", self.in_features, shape[0], "features")
        return dataclasses.replace(self, in_features=shape[0])


@dataclass(frozen=True, kw_only=True)
class SoftmaxCrossEntropy(Layer):
    """``A = softmax(Z)``, ``J = -sum_k y_k log a_k`` for a one-hot ``y`` (3.1.1); last layer only."""

    kind: ClassVar[str] = "softmax_cross_entropy"
    loss: ClassVar[bool] = True
    size_field: ClassVar[str] = "classes"
    classes: int | None = option(None, help="classes")

    def __post_init__(self) -> None:
        if self.classes is not None:
            object.__setattr__(self, "classes", v.integer("classes", self.classes, minimum=2))

    @property
    def is_bound(self) -> bool:
        return self.classes is not None

    @property
    def in_shape(self) -> Shape:
        self.require_bound()
        assert self.classes is not None
        return (self.classes,)

    @property
    def out_shape(self) -> Shape:
        return self.in_shape

    def derivation_size(self) -> tuple[int, int]:
        """The softmax Jacobian is dense: ``n^2`` nonzeros."""
        symbols, out = super().derivation_size()
        return symbols, out * out

    def bind(self, shape: Shape, where: str) -> SoftmaxCrossEntropy:
        if len(shape) != 1:
            raise SpecError(
                f"{where}.input", f"softmax cross-entropy needs a vector input, got {describe_shape(shape)}"
            )
        agree(where, "classes", self.classes, shape[0], "classes")
        try:
            return dataclasses.replace(self, classes=shape[0])
        except SpecError as err:
            raise SpecError(f"{where}.{err.parameter}", err.rule) from None
