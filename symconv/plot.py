"""The derivation's pictures as matplotlib figures (the ``plot`` extra:
``pip install 'symconv[plot]'``).

The same data as the documents' pictures (:mod:`symconv.pictures`)::

    import symconv
    from symconv import plot
    d = symconv.derive(symconv.load_config("appendix_a"))
    plot.jacobian(d, "K")          # the pattern of d vZ / d vK (exact, or in blocks when large)
    plot.windows(d, 2, 1)          # rep.1: the padded input, padding shaded, window of z_32
    plot.mask(p, I)                # a max-pool mask at the input I
    plot.chain(symconv.derive(symconv.load_config("seed_cnn")))   # every factor of the chain rule

Each function draws into ``ax`` (a new figure when ``None``) and returns the axes (or,
for :func:`chain`, the figure).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import pictures
from .errors import SpecError
from .network import NetworkDerivation
from .rule import Derivation
from .sparse import VecJacobian

#: the most cells a pattern figure has along a side (one per entry below it)
MAX_CELLS = 256


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # an optional extra: say which (a missing package, not invalid input)
        raise ImportError("symconv.plot needs matplotlib: pip install 'symconv[plot]'") from None
    return plt


def _axes(ax: Any) -> Any:
    return _pyplot().subplots(figsize=(4.5, 4.5))[1] if ax is None else ax


def _math(label: str) -> str:
    """A symconv LaTeX label (``{}_v\\mathbf{Z}^{[1]}``) as matplotlib mathtext."""
    return label.replace("{}_v", "v")


def pattern(jac: VecJacobian, *, ax: Any = None, max_cells: int = MAX_CELLS, title: str | None = None) -> Any:
    """The sparsity pattern of a vec Jacobian: black cells for nonzeros, or, past
    ``max_cells`` entries a side, blocks shaded by how many nonzeros they hold."""
    pat = pictures.pattern(jac, max_cells=max_cells)
    ax = _axes(ax)
    (m, n), (br, bc) = pat.shape, pat.block
    dense = pat.density()
    data = dense / max(float(dense.max()), 1e-300)
    aspect = "equal" if pat.exact else "auto"
    ax.imshow(data, cmap="Greys", vmin=0, vmax=1, interpolation="nearest", extent=(0, n, m, 0), aspect=aspect)
    name = f"$d{_math(jac.of)} / d{_math(jac.wrt)}$"
    how = "" if pat.exact else f"; {br}×{bc} blocks, darker = more nonzeros"
    ax.set_title(title if title is not None else f"{name}\n{m}×{n}, {pat.nnz} nonzeros{how}", fontsize=9)
    ax.set_xlabel("column (entry of the vec it is taken with respect to)", fontsize=8)
    ax.set_ylabel("row (entry of the vec output)", fontsize=8)
    return ax


def jacobian(d: Derivation, wrt: str, *, ax: Any = None, max_cells: int = MAX_CELLS, **index: int) -> Any:
    """:func:`pattern` of ``d.jacobian(wrt, **index)``, e.g. ``jacobian(d, "K", j=0, i=0)``."""
    return pattern(d.jacobian(wrt, **index), ax=ax, max_cells=max_cells)


def mask(d: Derivation, values: np.ndarray, *, j: int = 0, ax: Any = None, max_cells: int = MAX_CELLS) -> Any:
    """:func:`pattern` of a max-pool mask ``d.mask(values, j)`` (eq.b-1) at the input ``values``."""
    if not hasattr(d, "mask"):
        raise SpecError("d", f"a {d.kind} layer has no mask: use jacobian()")
    return pattern(d.mask(values, j), ax=ax, max_cells=max_cells)


def windows(d: Derivation, p: int | None = None, q: int | None = None, *, ax: Any = None) -> Any:
    """rep.1 over the padded input: padding shaded, the input white, the window behind
    output ``(p, q)`` (0-based; the middle output by default) in blue."""
    geom = getattr(d, "geometry", None)
    if geom is None:
        raise SpecError("d", f"a {d.kind} layer has no windows")
    hz, wz = geom.output
    p = hz // 2 if p is None else p
    q = wz // 2 if q is None else q
    if not (0 <= p < hz and 0 <= q < wz):
        raise SpecError("p, q", f"must pick an output in 0..{hz - 1} x 0..{wz - 1}, got ({p}, {q})")
    wm = pictures.window_map(geom, p, q)
    # padding (or another zero), input, the window on a zero (light), the window on the input (dark), a
    # padding mode's copy of an input entry, -, the window on a copy: as the documents draw them
    colors = np.array(
        [
            [0.85, 0.85, 0.85],
            [1.0, 1.0, 1.0],
            [0.65, 0.75, 0.95],
            [0.25, 0.45, 0.85],
            [1.0, 0.88, 0.72],
            [1.0, 1.0, 1.0],
            [1.0, 0.6, 0.2],
        ]
    )
    ax = _axes(ax)
    height, width = wm.padded
    ax.imshow(colors[wm.grid()], interpolation="nearest", extent=(0, width, height, 0))
    top, left, h, w = wm.input_box
    ax.add_patch(_pyplot().Rectangle((left, top), w, h, fill=False, lw=1.2, ec="black"))
    if max(height, width) <= 40:  # cell borders while they can be seen
        ax.set_xticks(np.arange(width + 1), minor=True)
        ax.set_yticks(np.arange(height + 1), minor=True)
        ax.grid(which="minor", color="0.6", lw=0.4)
        ax.tick_params(which="minor", length=0)
    ax.set_title(
        f"rep.1: the {height}×{width} padded input, the window behind $z_{{{p + 1},{q + 1}}}$",
        fontsize=9,
    )
    return ax


def chain(net: NetworkDerivation, *, max_cells: int = 64, columns: int = 5) -> Any:
    """A figure with the pattern of every factor of the chain rule (section 3.1), from the
    loss back to the input; a max-pooling mask is taken at a random input."""
    plt = _pyplot()
    jacs: Sequence[VecJacobian] = net.chain()
    rows = -(-len(jacs) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(2.6 * columns, 2.6 * rows), squeeze=False, layout="constrained")
    for ax in axes.flat[len(jacs) :]:
        ax.set_axis_off()
    for ax, jac in zip(axes.flat, jacs, strict=False):
        m, n = jac.shape
        pattern(jac, ax=ax, max_cells=max_cells, title=f"$d{_math(jac.of)} / d{_math(jac.wrt)}$\n{m}×{n}")
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("The chain rule's factors, loss end first", fontsize=10)
    return fig
