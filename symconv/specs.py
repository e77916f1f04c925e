"""Validated, immutable layer specs and the network that chains them.

A spec holds shapes and hyper-parameters only, no math.  Inside a ``Network`` the
input size and channel counts may be left out; the network fills them in from the
previous layer's output and checks any that were given.

Shapes are ``(c, h, w)`` for images (channel-first, like PyTorch) and ``(n,)`` for
vectors (after ``Flatten``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias

from . import validate as v
from .errors import SpecError
from .geometry import Geometry

Shape: TypeAlias = tuple[int, ...]


def _dims(shape: Shape) -> str:
    return "x".join(str(n) for n in shape)


def _describe_shape(shape: Shape) -> str:
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return f"{shape[0]} channel{'s' if shape[0] != 1 else ''} of {_dims(shape[1:])}"


class Layer:
    """Common behaviour of every layer spec."""

    kind: ClassVar[str]
    #: whether the layer has trainable parameters (it then starts a new seed layer index l)
    has_params: ClassVar[bool] = False

    @property
    def in_shape(self) -> Shape:
        raise NotImplementedError

    @property
    def out_shape(self) -> Shape:
        raise NotImplementedError

    @property
    def is_bound(self) -> bool:
        return True

    def bind(self, shape: Shape, where: str) -> Layer:
        """This spec with its input set to ``shape`` (a network's previous output)."""
        raise NotImplementedError

    def require_bound(self) -> None:
        if not self.is_bound:
            raise SpecError("input", f"is required for a {self.kind} layer outside a network")

    def derivation_size(self) -> tuple[int, int]:
        """``(symbols, nonzeros)`` its derivation makes at most, from the shapes alone (the
        budget of symconv.limits): here the input's and output's entries, and a diagonal
        Jacobian (an entrywise layer)."""
        out = math.prod(self.out_shape)
        return math.prod(self.in_shape) + out, out

    def config(self) -> dict[str, Any]:
        """The TOML ``[layer]`` table that reproduces this spec."""
        out: dict[str, Any] = {"type": self.kind}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


def _image(shape: Shape, where: str, kind: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise SpecError(
            f"{where}.input",
            f"a {kind} layer needs an image input (channels x height x width), got {_describe_shape(shape)}",
        )
    return (shape[0], shape[1], shape[2])


def _agree(where: str, name: str, given: Any, actual: Any, what: str) -> None:
    if given is not None and given != actual:
        shown = _dims(given) if isinstance(given, tuple) else given
        shown_actual = _dims(actual) if isinstance(actual, tuple) else actual
        raise SpecError(f"{where}.{name}", f"is {shown} but the previous layer gives {shown_actual} {what}")


@dataclass(frozen=True, kw_only=True)
class _Windowed(Layer):
    """Shared fields and checks of convolution and pooling."""

    input: tuple[int, int] | None = None
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    dilation: tuple[int, int] = (1, 1)
    window_name: ClassVar[str] = "kernel"

    def _window(self) -> tuple[int, int]:
        raise NotImplementedError

    def _stride(self) -> tuple[int, int]:
        raise NotImplementedError

    #: the field that holds the input's channel count
    channels_field: ClassVar[str] = "channels"

    def _normalise(self) -> None:
        set_ = object.__setattr__
        if self.input is not None:
            set_(self, "input", v.pair("input", self.input))
        set_(self, "padding", v.padding("padding", self.padding))
        set_(self, "dilation", v.pair("dilation", self.dilation))
        field_ = self.channels_field
        channels = getattr(self, field_)
        if channels is not None:
            set_(self, field_, v.positive(field_, channels))
        elif self.input is not None:
            set_(self, field_, 1)

    def _check_geometry(self) -> None:
        if self.input is not None:
            self.geometry.check(self.window_name)

    @property
    def is_bound(self) -> bool:
        return self.input is not None

    @property
    def geometry(self) -> Geometry:
        self.require_bound()
        assert self.input is not None
        return Geometry(self.input, self._window(), self.padding, self._stride(), self.dilation)

    @property
    def in_shape(self) -> Shape:
        self.require_bound()
        channels = getattr(self, self.channels_field)
        assert self.input is not None and channels is not None
        return (channels, *self.input)

    def bind(self, shape: Shape, where: str) -> _Windowed:
        c, h, w = _image(shape, where, self.kind)
        _agree(where, "input", self.input, (h, w), "as input size")
        _agree(where, self.channels_field, getattr(self, self.channels_field), c, "channels")
        changes: dict[str, Any] = {"input": (h, w), self.channels_field: c}
        try:
            return dataclasses.replace(self, **changes)
        except SpecError as err:
            raise SpecError(f"{where}.{err.parameter}", err.rule) from None


@dataclass(frozen=True, kw_only=True)
class Conv2D(_Windowed):
    """``Z_j = sum_i A_i * K_{j,i} + b_j 1`` (seed section 2), ``*`` cross-correlation."""

    kind: ClassVar[str] = "conv2d"
    has_params: ClassVar[bool] = True
    channels_field: ClassVar[str] = "in_channels"
    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    in_channels: int | None = None
    out_channels: int = 1
    bias: bool = True

    def __post_init__(self) -> None:
        self._normalise()
        set_ = object.__setattr__
        set_(self, "kernel", v.pair("kernel", self.kernel))
        set_(self, "stride", v.pair("stride", self.stride))
        set_(self, "out_channels", v.positive("out_channels", self.out_channels))
        set_(self, "bias", v.flag("bias", self.bias))
        self._check_geometry()

    def _window(self) -> tuple[int, int]:
        return self.kernel

    def _stride(self) -> tuple[int, int]:
        return self.stride

    @property
    def out_shape(self) -> Shape:
        return (self.out_channels, *self.geometry.output)

    def derivation_size(self) -> tuple[int, int]:
        """dZ/dK and dZ/dA: each output entry touches ``c_in h_k w_k`` kernel and input entries."""
        symbols, out = super().derivation_size()
        assert self.in_channels is not None
        kernel = self.out_channels * self.in_channels * math.prod(self.kernel)
        per_output = self.in_channels * math.prod(self.kernel)
        return symbols + kernel + self.out_channels, 2 * out * per_output + out


@dataclass(frozen=True, kw_only=True)
class _Pool(_Windowed):
    window_name: ClassVar[str] = "window"
    window: tuple[int, int]
    stride: tuple[int, int] | None = None
    channels: int | None = None

    def __post_init__(self) -> None:
        self._normalise()
        set_ = object.__setattr__
        set_(self, "window", v.pair("window", self.window))
        # PyTorch's default: the stride is the window (non-overlapping windows)
        set_(self, "stride", self.window if self.stride is None else v.pair("stride", self.stride))
        self._extra_checks()
        span = (self.dilation[0] * (self.window[0] - 1) + 1, self.dilation[1] * (self.window[1] - 1) + 1)
        t, b, left, right = self.padding
        if max(t, b) >= span[0] or max(left, right) >= span[1]:
            raise SpecError(
                "padding",
                f"each side must be smaller than the window {_dims(span)} so that every window "
                f"overlaps the input, got {t},{b},{left},{right}",
            )
        self._check_geometry()

    def _extra_checks(self) -> None:
        pass

    def _window(self) -> tuple[int, int]:
        return self.window

    def _stride(self) -> tuple[int, int]:
        assert self.stride is not None
        return self.stride

    @property
    def out_shape(self) -> Shape:
        assert self.channels is not None
        return (self.channels, *self.geometry.output)

    def derivation_size(self) -> tuple[int, int]:
        """Each output entry is a function of its window's ``h_l w_l`` entries."""
        symbols, out = super().derivation_size()
        return symbols, out * math.prod(self.window)


@dataclass(frozen=True, kw_only=True)
class AvgPool2D(_Pool):
    """Average pooling: convolution with ``P`` (all entries ``1/(h_l w_l)``), seed 3.1.3.

    Padded entries count as zeros in the average, as in the seed."""

    kind: ClassVar[str] = "avgpool2d"


@dataclass(frozen=True, kw_only=True)
class MaxPool2D(_Pool):
    """Max pooling (Appendix B); padded entries take part in the max as ``pad_value``."""

    kind: ClassVar[str] = "maxpool2d"
    pad_value: float = 0.0

    def _extra_checks(self) -> None:
        object.__setattr__(self, "pad_value", v.pad_value("pad_value", self.pad_value))

    def config(self) -> dict[str, Any]:
        out = super().config()
        if math.isinf(self.pad_value):
            out["pad_value"] = "-inf"
        return out


@dataclass(frozen=True, kw_only=True)
class _Elementwise(Layer):
    """A layer that keeps its input's shape (activations, softmax)."""

    input: tuple[int, int] | None = None
    channels: int | None = None
    features: int | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.input is not None and self.features is not None:
            raise SpecError("features", "give either input (an image) or features (a vector), not both")
        if self.input is not None:
            set_(self, "input", v.pair("input", self.input))
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
                raise SpecError(f"{where}.input", f"is given but the previous layer gives {_describe_shape(shape)}")
            _agree(where, "features", self.features, shape[0], "features")
            return dataclasses.replace(self, features=shape[0], channels=None)
        if self.features is not None:
            raise SpecError(f"{where}.features", f"is given but the previous layer gives {_describe_shape(shape)}")
        _agree(where, "input", self.input, shape[1:], "as input size")
        _agree(where, "channels", self.channels, shape[0], "channels")
        return dataclasses.replace(self, input=(shape[1], shape[2]), channels=shape[0])


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
class Flatten(Layer):
    """``B = [vec(A_1); ...; vec(A_c)]``, the channel vecs stacked (seed 3.1.2)."""

    kind: ClassVar[str] = "flatten"
    input: tuple[int, int] | None = None
    channels: int | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.input is not None:
            set_(self, "input", v.pair("input", self.input))
            set_(self, "channels", 1 if self.channels is None else v.positive("channels", self.channels))
        elif self.channels is not None:
            set_(self, "channels", v.positive("channels", self.channels))

    @property
    def is_bound(self) -> bool:
        return self.input is not None

    @property
    def in_shape(self) -> Shape:
        self.require_bound()
        assert self.input is not None and self.channels is not None
        return (self.channels, *self.input)

    @property
    def out_shape(self) -> Shape:
        c, h, w = self.in_shape
        return (c * h * w,)

    def bind(self, shape: Shape, where: str) -> Flatten:
        c, h, w = _image(shape, where, self.kind)
        _agree(where, "input", self.input, (h, w), "as input size")
        _agree(where, "channels", self.channels, c, "channels")
        return dataclasses.replace(self, input=(h, w), channels=c)


@dataclass(frozen=True, kw_only=True)
class Dense(Layer):
    """Fully connected: ``Z = W^T B + b`` with ``W`` of shape ``(in_features, out_features)`` (3.1.1)."""

    kind: ClassVar[str] = "dense"
    has_params: ClassVar[bool] = True
    in_features: int | None = None
    out_features: int
    bias: bool = True

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
                f"a dense layer needs a vector input, got {_describe_shape(shape)}; put a flatten layer before it",
            )
        _agree(where, "in_features", self.in_features, shape[0], "features")
        return dataclasses.replace(self, in_features=shape[0])


@dataclass(frozen=True, kw_only=True)
class SoftmaxCrossEntropy(Layer):
    """``A = softmax(Z)``, ``J = -sum_k y_k log a_k`` for a one-hot ``y`` (3.1.1); last layer only."""

    kind: ClassVar[str] = "softmax_cross_entropy"
    classes: int | None = None

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
                f"{where}.input", f"softmax cross-entropy needs a vector input, got {_describe_shape(shape)}"
            )
        _agree(where, "classes", self.classes, shape[0], "classes")
        try:
            return dataclasses.replace(self, classes=shape[0])
        except SpecError as err:
            raise SpecError(f"{where}.{err.parameter}", err.rule) from None


LAYER_TYPES: dict[str, type[Layer]] = {
    cls.kind: cls for cls in (Conv2D, MaxPool2D, AvgPool2D, ReLU, Sigmoid, Tanh, Flatten, Dense, SoftmaxCrossEntropy)
}


@dataclass(frozen=True, kw_only=True)
class Network:
    """A sequence of layers whose shapes chain, starting from a ``(channels, h, w)`` input.

    ``layers`` are given without their input sizes (or with sizes that must agree);
    the stored layers are bound.  A ``SoftmaxCrossEntropy`` may only come last; a network
    that ends in one has a loss ``J`` and gradients.
    """

    input: tuple[int, int]
    channels: int = 1
    layers: tuple[Layer, ...] = field(default=())

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "input", v.pair("input", self.input))
        set_(self, "channels", v.positive("channels", self.channels))
        if not isinstance(self.layers, Sequence) or isinstance(self.layers, str) or not self.layers:
            raise SpecError("layers", "must be a non-empty list of layers")
        shape: Shape = (self.channels, *self.input)
        bound: list[Layer] = []
        for n, layer in enumerate(self.layers):
            where = f"layers[{n}]"
            if not isinstance(layer, Layer):
                raise SpecError(where, f"must be a layer spec, got {type(layer).__name__}")
            if isinstance(layer, SoftmaxCrossEntropy) and n != len(self.layers) - 1:
                raise SpecError(where, "softmax_cross_entropy must be the last layer")
            layer = layer.bind(shape, where)
            bound.append(layer)
            shape = layer.out_shape
        set_(self, "layers", tuple(bound))

    @property
    def in_shape(self) -> Shape:
        return (self.channels, *self.input)

    @property
    def out_shape(self) -> Shape:
        return self.layers[-1].out_shape

    @property
    def has_loss(self) -> bool:
        return isinstance(self.layers[-1], SoftmaxCrossEntropy)

    def config(self) -> dict[str, Any]:
        layers = []
        for layer in self.layers:
            table = layer.config()
            for key in ("input", "in_channels", "channels", "features", "in_features", "classes"):
                table.pop(key, None)
            layers.append(table)
        return {"input": list(self.input), "channels": self.channels, "layers": layers}


Spec: TypeAlias = Layer | Network


def layer_params(kind: str) -> list[str]:
    """The argument names a layer kind takes (config keys, less ``type``)."""
    return [f.name for f in dataclasses.fields(LAYER_TYPES[kind]) if f.init]  # type: ignore[arg-type]


def make_layer(kind: str, kwargs: dict[str, Any], name: Callable[[str], str]) -> Layer:
    """``LAYER_TYPES[kind](**kwargs)``, with every error naming its parameter as the caller
    shows it (``name("kernel")`` is ``layer.kernel`` in a config, ``--kernel`` on the
    command line), a missing required argument included."""
    cls = LAYER_TYPES[kind]
    try:
        return cls(**kwargs)
    except SpecError as err:
        raise SpecError(name(err.parameter), err.rule) from None
    except TypeError:  # a required argument is missing
        required = [
            f.name
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        missing = next((r for r in required if r not in kwargs), kind)
        raise SpecError(name(missing), f"is required for {kind}") from None
