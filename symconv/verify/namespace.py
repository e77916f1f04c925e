"""The names a claim may use, bound to the core's symbols for one layer or network.

Names map to the derivation's :class:`~symconv.symbols.Tensor` objects; an entry is
reached through ``Tensor.flat_index`` with the claim's 1-based indices made 0-based, so
user text never becomes a symbol name.

Single layer (the seed's appendices)::

    conv2d      A / a (input), K / k / beta (kernel), b (bias), Z / z (output),
                J_K, J_A, J_b (Jacobians), window(p, q)
    maxpool2d   I (input), A / a (output), Omega (the window), window(p, q),
                switches(X), selected(X), mask(X)
    avgpool2d   I, A / a, P (the averaging matrix), J_I
    relu, ...   Z / z (input), I (output), J_Z
    flatten     A / a, B;  dense: B, W / w, b, Z / z, J_W, J_B, J_b
    softmax_cross_entropy: Z / z, A / a, y (labels), J (the loss), J_Z

Network (section 3): the same names with the layer number appended, ``A0`` the input,
``Z1, I1, A1, K1, b1, ..., B2, W3, b3, Z3, A3``, entries ``a0[i,p,q]``, ``k2[j,i,r,s]``,
Jacobians ``J_K2(j, i)``; ``y`` and ``J`` for the loss.  ``A1`` is layer 1's output even
when no pooling layer follows (then it is ``I1`` or ``Z1``), and every Jacobian also has
an explicit name ``J_<output>_<input>`` (``J_Z1_A0``, ``J_B1_I1``) beside the short one.

Sizes: ``h_x, w_x`` for every image tensor with entry letter ``x`` (``h_a, w_z, h_k``...),
``n_x`` for vectors, ``c1, c2`` for the channels of ``A1, A2``; convolution padding and
stride ``h_p, w_p, h_s, w_s``, the padding's sides ``p_top, p_bottom, p_left, p_right``
and PyTorch's ``groups``;
pooling window ``h_l, w_l`` and the pool's padding and stride ``lh_p, lw_p, lh_s, lw_s``,
``lp_top, ...`` (the seed's left superscript ``l``).

Free tensors declared in a claims file's ``[symbols]`` table (:meth:`Namespace.declare`).  In a network each
carries the layer number: ``h_z2``, ``lh_s1``, ``c1``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from ..derive import derive
from ..geometry import AXIS_LETTERS
from ..network import NetworkDerivation
from ..registry import part
from ..rule import Derivation, Loss
from ..specs import Layer, Network
from ..symbols import Tensor, real
from .values import MAX_ENTRIES, ClaimError, TensorView, Value, check_size

MAX_SYMBOL_ENTRIES = MAX_ENTRIES


@dataclass(frozen=True)
class TensorName:
    """A name bound to a symbol tensor.  ``collapse``: the leading indices are all of size
    one and are not part of the symbol names (a single-channel layer), so ``a[p,q]`` and
    ``A`` (a matrix) work as well as the full ``a[1,p,q]``."""

    tensor: Tensor
    label: str
    collapse: bool


@dataclass(frozen=True)
class JacobianFamily:
    """``J_K(j, i)`` and friends: the core's sparse vec Jacobian of one layer."""

    derivation: Derivation
    key: str
    indices: tuple[str, ...]
    counts: tuple[int, ...]


class Definitions(Mapping[sp.Symbol, sp.Expr]):
    """Symbol -> forward expression, built one layer at a time when first asked for (a
    large layer's forward pass is only computed if a claim reaches into it)."""

    def __init__(self) -> None:
        self._owner: dict[sp.Symbol, int] = {}
        self._layers: list[tuple[list[sp.Symbol], Callable[[], list[sp.Expr]]]] = []
        self._done: dict[sp.Symbol, sp.Expr] = {}

    def add_layer(self, symbols: list[sp.Symbol], forward: Callable[[], list[sp.Expr]]) -> None:
        k = len(self._layers)
        self._layers.append((symbols, forward))
        for sym in symbols:
            self._owner[sym] = k

    def add(self, sym: sp.Symbol, expr: sp.Expr) -> None:
        self.add_layer([sym], lambda: [expr])

    def __contains__(self, key: object) -> bool:
        return key in self._owner

    def __getitem__(self, key: sp.Symbol) -> sp.Expr:
        if key not in self._done:
            symbols, forward = self._layers[self._owner[key]]
            for sym, expr in zip(symbols, forward(), strict=True):
                self._done[sym] = expr if isinstance(expr, sp.Basic) else sp.Integer(expr)
        return self._done[key]

    def __iter__(self) -> Iterator[sp.Symbol]:
        return iter(self._owner)

    def __len__(self) -> int:
        return len(self._owner)


@dataclass
class Graph:
    """Which symbols are defined by others: the forward pass as substitutions.

    ``defs`` maps each layer output symbol (and ``J``) to its expression in the layer's
    input and parameters; ``level`` orders every symbol so that a definition only uses
    symbols of lower level; ``labels`` are the one-hot labels ``y``."""

    defs: Definitions = field(default_factory=Definitions)
    level: dict[sp.Symbol, int] = field(default_factory=dict)
    labels: tuple[sp.Symbol, ...] = ()

    def leaf(self, s: sp.Symbol, level: int) -> None:
        self.level.setdefault(s, level)

    def define_layer(self, symbols: list[sp.Symbol], forward: Callable[[], list[sp.Expr]], level: int) -> None:
        self.defs.add_layer(symbols, forward)
        for sym in symbols:
            self.level[sym] = level

    @cached_property
    def order(self) -> tuple[sp.Symbol, ...]:
        """Defined symbols by increasing level (stable within a level)."""
        return tuple(sorted(self.defs, key=lambda s: self.level[s]))


def _one_based(index: tuple[int, ...]) -> str:
    return ",".join(str(i + 1) for i in index)


class Namespace:
    """Every name a claim about ``spec`` may use (see the module docstring)."""

    def __init__(self, spec: Layer | Network) -> None:
        self.spec = spec
        self.tensors: dict[str, TensorName] = {}
        self.constants: dict[str, int] = {}
        self.jacobians: dict[str, JacobianFamily] = {}
        self.scalars: dict[str, sp.Expr] = {}
        self.matrices: dict[str, sp.ImmutableMatrix] = {}
        self.graph = Graph()
        self.layer: Derivation | None = None
        self.network: NetworkDerivation | None = None

        if isinstance(spec, Network):
            self.network = derive(spec)
            self._build_network(self.network)
        else:
            self.layer = derive(spec)
            self._build_layer(self.layer)

    # -- building ----------------------------------------------------------------------
    def _tensor(self, names: tuple[str, ...], tensor: Tensor, label: str, collapse: bool, sizes: bool = True) -> None:
        for name in names:
            if name.isidentifier() and name not in self.tensors:
                self.tensors[name] = TensorName(tensor, label, collapse)
        if sizes and names[-1].isidentifier():
            self._sizes(tensor, names[-1], collapse)

    def _sizes(self, tensor: Tensor, letter: str, collapse: bool) -> None:
        """The sizes of entry letter ``x``'s blocks, one name per axis as the layer kinds name
        their axes: ``h_x, w_x`` (images, matrices), ``n_x`` (a 1-D signal or a vector),
        ``d_x, h_x, w_x`` (3-D)."""
        suffix = "" if tensor.layer is None or self.network is None else str(tensor.layer)
        x = letter.rstrip("0123456789").lower()
        rank, nd = len(tensor.shape), tensor.ndim
        if rank > nd or (rank == 2 and collapse):
            for axis, n in zip(AXIS_LETTERS[nd], tensor.block_shape, strict=True):
                self.constants.setdefault(f"{axis}_{x}{suffix}", n)
        elif rank == 1:
            self.constants.setdefault(f"n_{x}{suffix}", tensor.shape[0])

    def _hyper(self, spec: Layer, suffix: str) -> None:
        """Padding, stride and pooling window, named as the seed names them (the kind's claim names)."""
        for name, value in part(spec, "claims").constants(spec).items():
            self.constants[f"{name}{suffix}"] = value

    def _jacobians(self, d: Derivation, suffix: str) -> None:
        if d.input_dependent:  # max pooling: no symbolic Jacobian, its masks are functions
            return
        found: dict[str, JacobianFamily] = {}
        counts: dict[str, dict[str, int]] = {}
        for info in d.jacobian_list():
            seen = counts.setdefault(info.key, {})
            for name, value in info.index:
                seen[name] = max(seen.get(name, 0), value + 1)
        for key, seen in counts.items():
            found[f"J_{key}{suffix}"] = JacobianFamily(d, key, tuple(seen), tuple(seen.values()))
        for name, fam in found.items():
            # two layers of one number with the same key (conv -> flatten: both J_A1): the
            # short name stays the layer's that starts the number; every family also has
            # its explicit name, J_<output>_<input> (see _explicit_jacobians)
            self.jacobians.setdefault(name, fam)
        if self.network is not None:
            self._explicit_jacobians(d, found)

    def _explicit_jacobians(self, d: Derivation, found: dict[str, JacobianFamily]) -> None:
        """``J_Z1_A0`` (d vZ^[1] / d vA^[0]), ``J_Z1_K1``, ``J_B1_I1``...: a network's
        Jacobians named by the two tensors, never ambiguous."""
        out = d.output
        for fam in found.values():
            wrt = d.params.get(fam.key, d.input)
            name = f"J_{out.name}{out.layer}_{wrt.name}{'' if wrt.layer is None else wrt.layer}"
            if name.isidentifier():
                self.jacobians.setdefault(name, fam)

    def _alias_activations(self, nd: NetworkDerivation) -> None:
        """``A1`` for layer 1's output when no pooling layer names it: the seed's A^[l] is
        what layer l hands on, here the last image output of that number (an activation's
        ``I1`` or the conv's ``Z1``)."""
        last: dict[int, Tensor] = {}
        for d, number in zip(nd.layers, nd.numbers, strict=True):
            if d.output.source is None and len(d.output.shape) == 3:
                last[number] = d.output
        for number, tensor in last.items():
            n = str(number)
            if "A" + n not in self.tensors:
                self._tensor(("A" + n, "a" + n), tensor, "A" + n, False, sizes=False)
                self.constants.setdefault(f"c{n}", tensor.shape[0])

    def _build_layer(self, d: Derivation) -> None:
        g = self.graph
        single = not d.input.channel_index
        inp = d.input
        self._tensor(_names(inp), inp, inp.name, single and len(inp.shape) > inp.ndim)
        for s in inp.flat:
            g.leaf(s, 0)
        for key, tensor in d.params.items():
            collapse = not tensor.channel_index
            self._tensor(_names(tensor), tensor, key, collapse)
            for s in tensor.flat:
                g.leaf(s, 0)
        out = d.output
        self._tensor(_names(out), out, out.name, not out.channel_index and len(out.shape) > out.ndim)
        if out.source is None:
            g.define_layer(list(out.flat), d.forward, 1)
        names = part(d, "claims")
        for alias, key in names.aliases.items():
            self.tensors.setdefault(alias, self.tensors[key])
        for name, leaf in names.leaves(d).items():
            self._tensor((name,), leaf, name, True, sizes=False)
            for s in leaf.flat:
                g.leaf(s, 0)
        self.matrices.update(names.matrices(d))
        if isinstance(d, Loss):
            self._loss(d, 1)
        self._hyper(d.spec, "")
        self._jacobians(d, "")

    def _build_network(self, nd: NetworkDerivation) -> None:
        g = self.graph
        self._tensor(("A0", "a0"), nd.input, "A0", False)
        for s in nd.input.flat:
            g.leaf(s, 0)
        if len(nd.input.shape) == 3:
            self.constants["c0"] = nd.input.shape[0]
        for pos, (d, number) in enumerate(zip(nd.layers, nd.numbers, strict=True)):
            n = str(number)
            for key, tensor in d.params.items():
                self._tensor((key + n, tensor.letter + n), tensor, key + n, False)
                for s in tensor.flat:
                    g.leaf(s, pos)
            out = d.output
            self._tensor((out.name + n, out.letter + n), out, out.name + n, False)
            if out.source is None:
                g.define_layer(list(out.flat), d.forward, pos + 1)
            if out.name == "A" and len(out.shape) == 3:
                self.constants[f"c{n}"] = out.shape[0]
            for name, matrix in part(d, "claims").matrices(d).items():
                self.matrices.setdefault(name + n, matrix)
            if isinstance(d, Loss):
                self._loss(d, len(nd.layers))
            self._hyper(d.spec, n)
            self._jacobians(d, n)
        self._alias_activations(nd)

    def _loss(self, d: Loss, level: int) -> None:
        labels = d.labels
        self._tensor(("y",), labels, "y", False)
        for s in labels.flat:
            self.graph.leaf(s, level)
        self.graph.labels = tuple(labels.flat)
        j = real("J")
        self.graph.define_layer([j], lambda: [d.loss()], level + 1)
        self.scalars["J"] = j

    def declare(self, name: str, shape: tuple[int, ...]) -> None:
        """A free tensor from a claims file's ``[symbols]`` table: ``G`` (the tensor) and its
        entry letter ``g``, each a checked ASCII identifier; its entries are symbols named
        from integers (``g_{pq}``), leaves of the graph like the layer's inputs."""
        letter = name.lower()
        for n in {name, letter}:
            if self.has(n) or n in self.jacobians:
                raise ClaimError(f"{n!r} is already a name of this {self.subject_kind()} or a function; choose another")
        count = 1
        for size in shape:
            count *= size
        if count > MAX_SYMBOL_ENTRIES:
            raise ClaimError(f"has {count} entries; the limit for one symbol is {MAX_SYMBOL_ENTRIES}")
        tensor = Tensor(name, letter, shape, None, channel_index=len(shape) >= 3)
        self._tensor(_names(tensor), tensor, name, False, sizes=False)
        for s in tensor.flat:
            self.graph.leaf(s, 0)

    # -- lookups -----------------------------------------------------------------------
    def known(self) -> list[str]:
        """Every name, sorted, for error messages and the documentation."""
        return sorted({*self.tensors, *self.constants, *self.jacobians, *self.scalars, *self.matrices})

    def has(self, name: str) -> bool:
        return name in self.tensors or name in self.constants or name in self.scalars or name in self.matrices

    def value(self, name: str) -> Value:
        """The value of a bare name."""
        if name in self.tensors:
            return self.tensor_value(self.tensors[name], ())
        if name in self.constants:
            return sp.Integer(self.constants[name])
        if name in self.scalars:
            return self.scalars[name]
        if name in self.matrices:
            return self.matrices[name]
        if name in self.jacobians:
            return self.jacobian(name, ())
        raise self.unknown(name)

    def unknown(self, name: str) -> ClaimError:
        names = self.known()
        shown = ", ".join(names[:60]) + (", ..." if len(names) > 60 else "")
        return ClaimError(f"unknown name {name!r}; this {self.subject_kind()} knows: {shown}")

    def subject_kind(self) -> str:
        return f"{self.spec.kind} layer" if isinstance(self.spec, Layer) else "network"

    @staticmethod
    def axes(tn: TensorName, count: int) -> tuple[int, ...]:
        """The sizes of the axes that ``count`` indices of ``tn`` address (a one-channel
        tensor's ``a[p, q]`` addresses its rows and columns)."""
        shape, nd = tn.tensor.shape, tn.tensor.ndim
        if tn.collapse and len(shape) > nd and count == nd:
            return shape[-nd:]
        return shape[:count]

    def tensor_value(self, tn: TensorName, index: tuple[int, ...]) -> Value:
        """``tn`` with 1-based ``index`` applied: an entry, a channel's block or a view.

        A collapsed (single-channel) tensor also takes the short form ``a[p, q]`` (``a[p]``
        in 1-D, ``a[d, p, q]`` in 3-D); a block is a column (1-D), a matrix (2-D) or a view
        (3-D), as :func:`symconv.symbols.shaped` reads it."""
        t = tn.tensor
        rank, nd = len(t.shape), t.ndim
        if tn.collapse and rank > nd and len(index) == nd:
            index = (1,) * (rank - nd) + tuple(index)
        if len(index) > rank:
            raise ClaimError(f"{tn.label} takes at most {rank} indices, got {len(index)}")
        zero = []
        for pos, (i, n) in enumerate(zip(index, t.shape, strict=False)):
            if not 1 <= i <= n:
                raise ClaimError(f"index {i} is out of range 1..{n} for index {pos + 1} of {tn.label}")
            zero.append(i - 1)
        rest = rank - len(zero)
        if rest == 0:
            return t.entry(*zero)
        if rank == 1:
            return t.flat[0] if tn.collapse and t.shape == (1,) else sp.ImmutableMatrix(t.flat)
        if tn.collapse and rest > nd:  # the channels of a one-channel tensor left out
            zero, rest = zero + [0] * (rest - nd), nd
        if rest == nd and nd <= 2:
            return sp.ImmutableMatrix(t.matrix(*zero))
        if rest == 2:  # a slice of a 3-D block
            h, w = t.shape[-2:]
            return sp.ImmutableMatrix(h, w, lambda r, c: t.entry(*zero, int(r), int(c)))
        if rest < nd:
            raise ClaimError(f"{tn.label}[{_one_based(tuple(zero))}] leaves one index open; give row and column")
        return TensorView(t, tuple(zero), tn.label)

    def jacobian(self, name: str, args: tuple[int, ...]) -> sp.ImmutableMatrix:
        """``J_K(j, i)`` (1-based channel indices; none needed when there is one channel)."""
        fam = self.jacobians[name]
        if not args and any(c > 1 for c in fam.counts):
            raise ClaimError(f"{name} takes channel indices: {name}({', '.join(fam.indices)})")
        if args and len(args) != len(fam.indices):
            shown = ", ".join(fam.indices) if fam.indices else "no indices"
            raise ClaimError(f"{name} takes {len(fam.indices)} channel indices ({shown}), got {len(args)}")
        index: dict[str, int] = {}
        for name_i, n, value in zip(fam.indices, fam.counts, args or (1,) * len(fam.indices), strict=True):
            if not 1 <= value <= n:
                raise ClaimError(f"{name}: {name_i} = {value} is out of range 1..{n}")
            index[name_i] = value - 1
        jac = fam.derivation.jacobian(fam.key, **index)
        check_size(*jac.shape)
        return sp.ImmutableMatrix(jac.to_matrix())


def _names(t: Tensor) -> tuple[str, ...]:
    """The matrix name and the entry letter (the letter last: it names the sizes)."""
    return (t.name, t.letter) if t.letter != t.name else (t.name,)
