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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self, TypeAlias, cast

from . import validate as v
from .errors import SpecError
from .geometry import Geometry, PaddingMode, dims

Shape: TypeAlias = tuple[int, ...]


def describe_shape(shape: Shape) -> str:
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return f"{shape[0]} channel{'s' if shape[0] != 1 else ''} of {dims(shape[1:])}"


def size_words(ndim: int | None) -> str:
    """``HxW``, ``L``, ``DxHxW`` (``SIZE`` for any)."""
    return v.SIZE_WORDS[ndim] if ndim else "SIZE"


#: the fields that give a layer's input size and channel counts (a network fills them in)
SHAPE_FIELDS = ("input", "in_channels", "channels", "features", "in_features", "classes")
#: the fields whose pairs are sizes, shown ``2x3``; other tuples are shown ``1,1,0,0``
SIZE_FIELDS = ("input", "kernel", "window", "output")


@dataclass(frozen=True)
class Flag:
    """How a spec's field is given on the command line, kept in the field's own ``metadata``
    (see :func:`option`): the CLI makes one flag per field name from these, over every kind.

    A field whose default is a bool is a switch: ``--ceil-mode`` sets it when its default is
    ``False``, ``--no-bias`` clears it when ``True``.  Any other flag takes a value: ``counts``
    integers (``2x3`` or ``1,1,0,0``), or one of ``words`` (conv2d's ``same``), or, with
    ``counts=()``, text that the spec validates itself (``tie_order``, ``pad_value``)."""

    help: str
    metavar: str = "N"
    counts: tuple[int, ...] = (1,)
    words: tuple[str, ...] = ()
    #: the flag's name when it is not the field's (``output`` is ``--output-size``: ``-o`` is taken)
    name: str = ""
    #: ``"size"``: one number, or one per spatial axis of the kind (``16``, ``3x4``, ``8x8x8``);
    #: ``"padding"``: one, one per axis or one per side; ``""``: ``counts`` as given
    per_axis: str = ""
    #: whether the numbers may be negative (a convolution's padding crops)
    signed: bool = False

    def counts_for(self, ndim: int | None) -> tuple[int, ...]:
        """How many numbers the flag takes for a kind with ``ndim`` spatial axes (``None``:
        a kind that takes any, 1 to 3)."""
        if self.per_axis == "size":
            return (1, 2, 3) if ndim is None else tuple(sorted({1, ndim}))
        if self.per_axis == "padding":
            return (1, 2, 3, 4, 6) if ndim is None else tuple(sorted({1, ndim, 2 * ndim}))
        return self.counts

    def metavar_for(self, ndim: int | None) -> str:
        """The metavar, with ``SIZE`` written as the kind's axes (``L``, ``HxW``, ``DxHxW``)."""
        if self.per_axis == "size" and ndim is not None:
            return self.metavar.replace("SIZE", v.SIZE_WORDS[ndim])
        return self.metavar


def option(default: Any = dataclasses.MISSING, **flag: Any) -> Any:
    """A spec field with its command-line :class:`Flag` (``help=``, ``metavar=``, ...)."""
    return field(default=default, metadata={"flag": Flag(**flag)})


#: the flags of the fields every windowed, pooling or elementwise layer shares
SIZE = {"help": "input size, one number per axis (16, 3x4 or 8x8x8)", "metavar": "SIZE", "per_axis": "size"}
CHANNELS = {"help": "input channels"}


@dataclass(frozen=True)
class Setting:
    """One hyper-parameter of a layer as it is shown: ``label`` (the field's name with spaces),
    its ``values`` as text, and whether they are a size (``2x3``) or a list (``1,1,0,0``).  A
    flag has no values: its label reads ``ceil mode`` when on and ``no bias`` when off."""

    label: str
    values: tuple[str, ...] = ()
    size: bool = False

    def text(self) -> str:
        """``kernel 2x2``, ``padding 1,1,1,1``, ``no bias``."""
        return f"{self.label} {('x' if self.size else ',').join(self.values)}" if self.values else self.label


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return "-inf" if value == -math.inf else f"{value:g}"
    return str(value)


def _is_default(value: Any, default: Any) -> bool:
    """``padding=0`` and ``dilation=1`` are stored as tuples of their scalar default."""
    if default is dataclasses.MISSING:
        return False
    return bool(value == default or (isinstance(value, tuple) and all(x == default for x in value)))


class Layer:
    """Common behaviour of every layer spec."""

    kind: ClassVar[str]
    #: whether the layer has trainable parameters (it then starts a new seed layer index l)
    has_params: ClassVar[bool] = False
    #: whether the layer computes the loss ``J`` (then it may only come last in a network)
    loss: ClassVar[bool] = False
    #: the argument that sets the input's size outside a network
    size_field: ClassVar[str] = "input"
    #: how many spatial axes its input has (1, 2 or 3); ``None``: any (activations, flatten)
    ndim: ClassVar[int | None] = None

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

    def window_entries(self) -> int:
        """How many entries its window map has (outputs times the entries of each one's window),
        which generated code and documents walk: none for a layer without windows."""
        return 0

    def settings(self) -> list[Setting]:
        """The hyper-parameters that describe this layer beside its shapes, the window first:
        every field but the input's size and channels (``SHAPE_FIELDS``), left out where it
        has its default.  The one description of a layer's settings: the CLI, the claims
        report, the generated modules and the documents all show these."""
        out = []
        fields = dataclasses.fields(self)  # type: ignore[arg-type]
        for f in sorted(fields, key=lambda f: f.name not in SIZE_FIELDS):  # the window first
            value = getattr(self, f.name)
            if f.name in SHAPE_FIELDS or value is None or _is_default(value, f.default):
                continue
            label = f.name.replace("_", " ")
            if isinstance(value, bool):
                out.append(Setting(label if value else f"no {label}"))
            elif isinstance(value, tuple):
                out.append(Setting(label, tuple(_shown(x) for x in value), f.name in SIZE_FIELDS))
            else:
                out.append(Setting(label, (_shown(value),)))
        return out

    def describe(self) -> str:
        """``kernel 2x2, padding 1,1,1,1, stride 1,2``: the settings as one phrase."""
        return ", ".join(s.text() for s in self.settings())

    def config(self) -> dict[str, Any]:
        """The TOML ``[layer]`` table that reproduces this spec."""
        out: dict[str, Any] = {"type": self.kind}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


class PlaneInput(Layer):
    """A layer whose input is ``channels`` blocks of ``input = (h, w)`` (or of any number of
    axes), both its own fields (flatten, adaptive pooling): bound once ``input`` is known,
    ``in_shape`` the two together."""

    input: tuple[int, ...] | None
    channels: int | None

    @property
    def is_bound(self) -> bool:
        return self.input is not None

    @property
    def in_shape(self) -> Shape:
        self.require_bound()
        assert self.input is not None and self.channels is not None
        return (self.channels, *self.input)

    def bind(self, shape: Shape, where: str) -> Self:
        """Take ``input`` and ``channels`` from the previous layer's output ``(c, *sizes)``
        (``ndim`` spatial axes; any number when ``None``); a given one must agree."""
        c, size = image(shape, where, self.kind, self.ndim)
        agree(where, "input", self.input, size, "as input size")
        agree(where, "channels", self.channels, c, "channels")
        try:
            bound: Self = dataclasses.replace(cast(Any, self), input=size, channels=c)  # the kinds are dataclasses
        except SpecError as err:
            raise SpecError(f"{where}.{err.parameter}", err.rule) from None
        return bound


#: what a kind's input is called, by its number of spatial axes
INPUT_WORDS = {
    1: "a 1-D input (channels x length)",
    2: "an image input (channels x height x width)",
    3: "a 3-D input (channels x depth x height x width)",
}


def image(shape: Shape, where: str, kind: str, ndim: int | None = 2) -> tuple[int, tuple[int, ...]]:
    """``(channels, size)`` of a layer's input of ``ndim`` spatial axes (``None``: any)."""
    if (ndim is None and not 2 <= len(shape) <= 4) or (ndim is not None and len(shape) != ndim + 1):
        wanted = INPUT_WORDS[ndim] if ndim is not None else "an input with channels (1-D, 2-D or 3-D)"
        raise SpecError(f"{where}.input", f"a {kind} layer needs {wanted}, got {describe_shape(shape)}")
    return shape[0], tuple(shape[1:])


def agree(where: str, name: str, given: Any, actual: Any, what: str) -> None:
    if given is not None and given != actual:
        shown = dims(given) if isinstance(given, tuple) else given
        shown_actual = dims(actual) if isinstance(actual, tuple) else actual
        raise SpecError(f"{where}.{name}", f"is {shown} but the previous layer gives {shown_actual} {what}")


@dataclass(frozen=True, kw_only=True)
class Windowed(Layer):
    """Shared fields and checks of convolution and pooling, in ``ndim`` spatial axes."""

    ndim: ClassVar[int | None] = 2
    input: tuple[int, ...] | None = option(None, **SIZE)
    padding: tuple[int, ...] = option(
        0,
        help="P, one per axis, or one per side in axis order (2-D: TOP,BOTTOM,LEFT,RIGHT)",
        metavar="P",
        per_axis="padding",
    )
    dilation: tuple[int, ...] = option(1, help="dilation (default 1)", metavar="D", per_axis="size")
    window_name: ClassVar[str] = "kernel"
    #: whether a negative padding side crops the input (JAX's negative padding)
    crops: ClassVar[bool] = False

    def _window(self) -> tuple[int, ...]:
        raise NotImplementedError

    def _stride(self) -> tuple[int, ...]:
        raise NotImplementedError

    def _input_dilation(self) -> tuple[int, ...] | None:
        """Zeros between input entries, per axis (JAX's ``lhs_dilation``); none by default."""
        return None

    def _mode(self) -> PaddingMode:
        """What padded entries hold (zeros by default)."""
        return "zeros"

    #: the field that holds the input's channel count
    channels_field: ClassVar[str] = "channels"

    @property
    def axes(self) -> int:
        """The number of spatial axes."""
        assert self.ndim is not None
        return self.ndim

    def _sizes(self, name: str, minimum: int = 1) -> None:
        """Read field ``name`` as one integer per axis, in place."""
        object.__setattr__(self, name, v.sizes(name, getattr(self, name), self.axes, minimum=minimum))

    def _normalise(self) -> None:
        set_ = object.__setattr__
        if self.input is not None:
            self._sizes("input", minimum=0)
        set_(self, "padding", v.padding("padding", self.padding, self.axes, crop=self.crops))
        self._sizes("dilation")
        field_ = self.channels_field
        channels = getattr(self, field_)
        if channels is not None:
            set_(self, field_, v.positive(field_, channels))
        elif self.input is not None:
            set_(self, field_, 1)

    def _check_geometry(self) -> None:
        if self.input is not None:
            if 0 in self.input:
                raise SpecError("input", f"must have at least one entry along each axis, got {dims(self.input)}")
            self.geometry.check(self.window_name)

    @property
    def is_bound(self) -> bool:
        return self.input is not None

    @property
    def geometry(self) -> Geometry:
        self.require_bound()
        assert self.input is not None
        return Geometry.make(
            self.input,
            self._window(),
            self.padding,
            self._stride(),
            self.dilation,
            self._input_dilation(),
            self._mode(),
        )

    def window_entries(self) -> int:
        g = self.geometry
        return math.prod((*g.output, *g.kernel))

    @property
    def in_shape(self) -> Shape:
        self.require_bound()
        channels = getattr(self, self.channels_field)
        assert self.input is not None and channels is not None
        return (channels, *self.input)

    def bind(self, shape: Shape, where: str) -> Windowed:
        c, size = image(shape, where, self.kind, self.ndim)
        agree(where, "input", self.input, size, "as input size")
        agree(where, self.channels_field, getattr(self, self.channels_field), c, "channels")
        changes: dict[str, Any] = {"input": size, self.channels_field: c}
        try:
            return dataclasses.replace(self, **changes)
        except SpecError as err:
            raise SpecError(f"{where}.{err.parameter}", err.rule) from None


@dataclass(frozen=True, kw_only=True)
class Network:
    """A sequence of layers whose shapes chain, starting from a ``(channels, h, w)`` input.

    ``layers`` are given without their input sizes (or with sizes that must agree);
    the stored layers are bound.  A loss layer (``SoftmaxCrossEntropy``) may only come last;
    a network that ends in one has a loss ``J`` and gradients.
    """

    input: tuple[int, ...]
    channels: int = 1
    layers: tuple[Layer, ...] = field(default=())

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        # a single number is a size along each axis of the first layer that has axes (2-D
        # when none has: an activation first)
        first = (
            next((layer.ndim for layer in self.layers if isinstance(layer, Layer) and layer.ndim), None)
            if (isinstance(self.layers, Sequence) and not isinstance(self.layers, str))
            else None
        )
        set_(self, "input", v.any_size("input", self.input, default=first or 2))
        set_(self, "channels", v.positive("channels", self.channels))
        if not isinstance(self.layers, Sequence) or isinstance(self.layers, str) or not self.layers:
            raise SpecError("layers", "must be a non-empty list of layers")
        shape: Shape = (self.channels, *self.input)
        bound: list[Layer] = []
        for n, layer in enumerate(self.layers):
            where = f"layers[{n}]"
            if not isinstance(layer, Layer):
                raise SpecError(where, f"must be a layer spec, got {type(layer).__name__}")
            if layer.loss and n != len(self.layers) - 1:
                raise SpecError(where, f"{layer.kind} must be the last layer")
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
        return self.layers[-1].loss

    def config(self) -> dict[str, Any]:
        layers = []
        for layer in self.layers:
            table = layer.config()
            for key in SHAPE_FIELDS:
                table.pop(key, None)
            layers.append(table)
        return {"input": list(self.input), "channels": self.channels, "layers": layers}


Spec: TypeAlias = Layer | Network
