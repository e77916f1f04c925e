"""What every layer's derivation provides: symbols, forward, vec Jacobians.

Each layer kind's rule (``symconv/layers/<family>/rule.py``) subclasses :class:`Derivation`
and honours one interface: the seed's names for its input and output, ``jacobian`` and
``full_jacobian`` for the input and every parameter, and ``input_jacobian`` /
``full_input_jacobian``, which take the input's values where the Jacobian depends on them
(max pooling) and ignore them elsewhere.  Nothing here knows a layer kind, and nothing
here imports presentation (LaTeX, code generation)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import import_module
from typing import Any, ClassVar

import numpy as np
import sympy as sp

from . import ops
from .errors import SpecError
from .geometry import Geometry
from .sparse import Env, Exprs, VecJacobian, plain
from .specs import Layer
from .symbols import Tensor

ONE = Exprs((sp.S.One,))


@dataclass(frozen=True)
class JacobianInfo:
    """One Jacobian of a layer, for listings: its key, channel indices, size and nonzeros.

    ``nnz`` is ``None`` where the pattern depends on the input (max-pooling);
    ``max_nnz`` bounds it."""

    key: str
    index: tuple[tuple[str, int], ...]
    shape: tuple[int, int]
    nnz: int | None
    max_nnz: int
    of: str
    wrt: str

    def __repr__(self) -> str:
        index = "".join(f", {n}={v}" for n, v in self.index)
        count = self.nnz if self.nnz is not None else f"<={self.max_nnz}"
        return f"JacobianInfo(d {plain(self.of)}/d {plain(self.wrt)}{index}, shape={self.shape}, nnz={count})"


class JacobianList(list):  # type: ignore[type-arg]
    """A list of Jacobians that prints as a short table in a REPL."""

    SHOWN = 12

    def __repr__(self) -> str:
        rows = [repr(item) for item in self[: self.SHOWN]]
        if len(self) > self.SHOWN:
            rows.append(f"... {len(self) - self.SHOWN} more")
        body = "".join(f"\n  {row}," for row in rows)
        return f"JacobianList({len(self)} Jacobians:{body}\n)" if self else "JacobianList([])"


def label(t: Tensor, *lead: int, vec: bool = True) -> str:
    """LaTeX for ``vec`` of one channel of ``t`` (1-based indices shown): ``{}_v\\mathbf{Z}_{1}^{[2]}``."""
    sub = ",".join(str(i + 1) for i in lead) if t.channel_index and lead else ""
    sup = f"^{{[{t.layer}]}}" if t.layer is not None else ""
    base = f"\\mathbf{{{t.name}}}" if t.name != "b" else "\\mathbf{b}"
    return ("{}_v" if vec else "") + base + (f"_{{{sub}}}" if sub else "") + sup


def stacked_selections(parts: list[VecJacobian], shape: tuple[int, int], of: str, wrt: str) -> VecJacobian:
    """Per-channel 0/1 Jacobians (max pooling's masks, max unpooling's scatter), each ``shape``,
    over all channels at once: block-diagonal, the channel vecs stacked."""
    nz, n = shape
    rows = np.concatenate([m.rows + j * nz for j, m in enumerate(parts)])
    cols = np.concatenate([m.cols + j * n for j, m in enumerate(parts)])
    return VecJacobian.build((len(parts) * nz, len(parts) * n), rows, cols, np.zeros_like(rows), ONE, of, wrt)


def identity(n: int, of: str, wrt: str) -> VecJacobian:
    idx = np.arange(n)
    return VecJacobian.build((n, n), idx, idx, np.zeros(n, dtype=np.int64), ONE, of, wrt)


class Derivation:
    """Base class: a layer spec bound to symbol tensors.

    ``input`` holds the symbols of the layer's input, ``output`` the names of its
    output entries (rep.3), ``params`` the trainable tensors.  Jacobians are
    ``d vec(output) / d vec(x)`` for ``x`` the input or a parameter.
    """

    kind: ClassVar[str]
    #: the seed section the layer's rule comes from
    section: ClassVar[str]
    #: the seed's names for the layer's input and output: (matrix name, entry letter)
    input_name: ClassVar[tuple[str, str]]
    output_name: ClassVar[tuple[str, str]]
    #: whether ``d vec(output) / d vec(input)`` depends on the input's values (max pooling)
    input_dependent: ClassVar[bool] = False
    #: whether the output tensor is the input's symbols rearranged (flatten, 3.1.2)
    shares_input: ClassVar[bool] = False

    @property
    def positive_input(self) -> bool:
        """Whether the layer has real values only for positive inputs (Lp pooling with a norm
        other than 1 or an even integer): numeric checks then draw positive inputs."""
        return False

    def __init__(self, spec: Layer, input: Tensor, output: Tensor, layer: int | None) -> None:
        self.spec = spec
        self.input = input
        self.output = output
        self.layer = layer

    # -- symbols -------------------------------------------------------------
    @property
    def params(self) -> dict[str, Tensor]:
        return {}

    @property
    def output_shape(self) -> tuple[int, ...]:
        """The size of each output channel (``(h, w)``, ``(L,)``, ``(D, H, W)``), or ``(n,)``
        for a vector."""
        shape = self.spec.out_shape
        return shape[1:] if len(shape) >= 2 else shape

    @classmethod
    def output_name_for(cls, spec: Layer) -> tuple[str, str]:
        """The seed's name for this layer's output (an activation of a vector gives ``A``, 3.1.1)."""
        return cls.output_name

    @property
    def input_key(self) -> str:
        """The ``wrt`` key of the input: ``A`` for a conv layer, ``I`` for pooling, ..."""
        return self.input_name[0]

    @property
    def channels(self) -> int:
        """Channels of the input (1 for a vector)."""
        shape = self.spec.in_shape
        return shape[0] if len(shape) >= 2 else 1

    # -- Jacobians -----------------------------------------------------------
    def input_jacobian(self, values: np.ndarray | None = None, **index: int) -> VecJacobian:
        """``d vec(output channel) / d vec(input channel)``.  ``values`` (the input in vec
        order) is needed only where the Jacobian depends on it (``input_dependent``)."""
        return self.jacobian(self.input_key, **index)

    def full_input_jacobian(self, values: np.ndarray | None = None) -> VecJacobian:
        """``d vec(output) / d vec(input)`` over all channels (the channel vecs stacked)."""
        return self.full_jacobian(self.input_key)

    def jacobian(self, wrt: str, **index: int) -> VecJacobian:
        """``d vec(output channel) / d vec(wrt channel)``; indices are 0-based."""
        raise NotImplementedError

    def jacobian_list(self) -> list[JacobianInfo]:
        """Every Jacobian of the layer with its size and number of nonzeros."""
        raise NotImplementedError

    def full_jacobian(self, wrt: str) -> VecJacobian:
        """``d vec(output) / d vec(wrt)`` over all channels at once (the channel vecs stacked)."""
        raise NotImplementedError

    def _info(self, key: str, jac: VecJacobian, **index: int) -> JacobianInfo:
        return JacobianInfo(key, tuple(index.items()), jac.shape, jac.nnz, jac.nnz, jac.of, jac.wrt)

    # -- LaTeX -------------------------------------------------------------------------
    def latex(self) -> str:
        """This layer's derivation as a LaTeX fragment (MathJax-safe macros only)."""
        return present(self)

    def _repr_latex_(self) -> str:
        return self.latex()

    def _repr_html_(self) -> str:
        """This layer's derivation as an HTML page for a notebook: MathML and live SVG."""
        return present(self, "html")

    def __repr__(self) -> str:
        dims = "x".join
        return (
            f"<{self.kind} derivation: {self.input.name} {dims(map(str, self.spec.in_shape))} -> "
            f"{self.output.name} {dims(map(str, self.spec.out_shape))}, {len(self.jacobian_list())} Jacobians; "
            ".jacobian(...), .jacobian_list(), .latex()>"
        )

    # -- forward ---------------------------------------------------------------
    def forward(self) -> list[sp.Expr]:
        """The output entries as expressions of the input and parameters, in vec order."""
        raise NotImplementedError

    def numeric_forward(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
        """Output values in vec order for input values ``x`` in vec order."""
        raise NotImplementedError

    def saved(self, x: np.ndarray) -> np.ndarray | None:
        """What the forward pass keeps for the backward pass at input ``x`` (``(c, h, w)``),
        beyond the input itself: max pooling's switches; nothing elsewhere."""
        return None

    def side_inputs(self, x: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Arrays the layer's passes take besides its input and parameters, drawn for a batch ``x``
        (numeric checks): none here; max unpooling's indices."""
        return {}

    def at(self, side: Mapping[str, np.ndarray]) -> Derivation:
        """This derivation bound to one example's side inputs (:meth:`side_inputs`): itself here."""
        return self

    def env(self, x: np.ndarray, params: Mapping[str, np.ndarray]) -> Env:
        """Numbers for every symbol a Jacobian of this layer may use, at input ``x``:
        the input's, the parameters' and the output's."""
        out: dict[sp.Symbol, float] = dict(zip(self.input.flat, np.asarray(x, dtype=float).tolist(), strict=True))
        y = self.numeric_forward(x, params)
        out.update(zip(self.output.flat, y.tolist(), strict=True))
        for name, tensor in self.params.items():
            out.update(zip(tensor.flat, np.asarray(params[name], dtype=float).reshape(-1).tolist(), strict=True))
        return out


class Windowed(Derivation):
    """A layer whose outputs read windows of its padded input (convolution, pooling): its
    :class:`Geometry` is the window map of rep.1."""

    geometry: Geometry

    def window(self, p: int, q: int, i: int = 0) -> sp.ImmutableMatrix:
        """rep.1: the block of padded input channel ``i`` behind output ``(p, q)`` (0-based)."""
        raise NotImplementedError


class Kernelled(Derivation):
    """A layer with a kernel ``K`` and, unless ``bias=False``, a bias ``b`` (conv2d,
    conv_transpose2d), from ``A`` to ``Z`` in the seed's names: its parameters, its channel
    counts and its groups (the spec's ``out_channels`` and ``groups``)."""

    input_name = ("A", "a")
    output_name = ("Z", "z")
    kernel: Tensor
    bias: Tensor | None

    def _bias(self, layer: int | None) -> Tensor | None:
        """``b``, one entry per output channel, or None without bias."""
        spec: Any = self.spec
        cout = spec.out_channels
        return Tensor("b", "b", (cout,), layer, channel_index=cout > 1 or layer is not None) if spec.bias else None

    @property
    def params(self) -> dict[str, Tensor]:
        out = {"K": self.kernel}
        if self.bias is not None:
            out["b"] = self.bias
        return out

    @property
    def cin(self) -> int:
        return self.spec.in_shape[0]

    @property
    def cout(self) -> int:
        spec: Any = self.spec  # every kernelled spec has out_channels and groups
        return int(spec.out_channels)

    @property
    def groups(self) -> int:
        spec: Any = self.spec
        return int(spec.groups)


class Pooling(Derivation):
    """A layer that pools each input channel ``I_j`` into one output channel ``A_j``
    (3.1.3, Appendix B): the seed's names, the symbol matrices ``I_j``, and the forward pass
    as the vec of each ``A_j``."""

    input_name = ("I", "I")
    output_name = ("A", "a")

    @cached_property
    def I(self) -> list[sp.ImmutableMatrix]:  # noqa: N802, E743 - the seed's name
        """``I_j``: one symbol matrix per channel."""
        return [self.input.matrix(j) for j in range(self.channels)]

    @property
    def A(self) -> list[sp.ImmutableMatrix]:  # noqa: N802
        """``A_j``: one expression matrix per channel."""
        raise NotImplementedError

    @property
    def _sizes(self) -> tuple[int, int]:
        """Entries of one output channel and of one input channel."""
        return math.prod(self.spec.out_shape[1:]), math.prod(self.spec.in_shape[1:])

    def forward(self) -> list[sp.Expr]:
        return [e for aj in self.A for e in ops.vec(aj)]

    def _averages(self, x: np.ndarray, out: np.ndarray, inp: np.ndarray, divisors: np.ndarray) -> np.ndarray:
        """Average pooling on numbers: for each channel, output ``out[k]`` sums input entry
        ``inp[k]`` (the window map's pairs, vec indices), then each window's sum is divided by
        its divisor (``divisors``, ``h_z x w_z``)."""
        nz, _ = self._sizes
        xi = np.asarray(x, dtype=float).reshape(self.channels, -1)
        scale = 1.0 / divisors.reshape(-1, order="F")
        return np.stack(
            [np.bincount(out, weights=xi[j, inp], minlength=nz) * scale for j in range(self.channels)]
        ).reshape(-1)


class Selecting(Windowed):
    """A windowed layer whose outputs each select one input entry, found by a switch that
    depends on the input (max pooling, Appendix B): ``d vec(output) / d vec(input)`` is a
    mask built for numeric input values."""

    input_dependent = True

    def switches(self, values: np.ndarray) -> np.ndarray:
        """The seed's ``i_pq`` (1-based) for an input ``(h, w)`` or ``(c, h, w)``."""
        raise NotImplementedError

    def mask(self, values: np.ndarray, j: int = 0) -> VecJacobian:
        """``d vA_j / d vI_j`` at the input ``values``."""
        raise NotImplementedError


class Loss(Derivation):
    """A last layer that computes the loss ``J`` from its ``n`` inputs and one-hot labels
    ``y`` (softmax cross-entropy, 3.1.1)."""

    n: int
    labels: Tensor

    def loss(self, a: list[sp.Expr] | None = None) -> sp.Expr:
        """``J`` in the layer's outputs (or in ``a``) and the labels."""
        raise NotImplementedError

    def loss_gradient(self) -> list[sp.Expr]:
        """``dJ/dA``, the start of the chain (3.1.1)."""
        raise NotImplementedError


#: where each form of output of a derivation is built, by name: the function ``name`` of module
#: ``module``, imported when first asked for (so deriving imports no presentation, and nothing is
#: installed by importing it): a LaTeX fragment (``latex()``, ``_repr_latex_``) or an HTML page
#: (``_repr_html_``)
PRESENTERS = {"latex": ("symconv.latex.document", "fragment"), "html": ("symconv.html.page", "notebook")}


def present(obj: object, form: str = "latex") -> str:
    """``obj`` (a layer's or a network's derivation) as the output ``form`` of :data:`PRESENTERS`."""
    module, name = PRESENTERS[form]
    text: str = getattr(import_module(module), name)(obj)
    return text


def check_index(name: str, value: int, count: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < count:
        raise SpecError(name, f"must be an integer in 0..{count - 1} (0-based), got {value!r}")
    return int(value)


def unknown(wrt: str, choices: str) -> SpecError:
    return SpecError("wrt", f"must be one of {choices}, got {wrt!r}")
