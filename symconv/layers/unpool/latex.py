"""Max unpooling's document: ``U`` written out for the indices of a worked max pooling, and its
Jacobian shown as that max pooling's mask (Appendix B, eq.b-1) transposed."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...errors import SpecError
from ...latex import common
from ...latex.layout import LINE, Line
from ...latex.notation import frac_d, mat, space, vname
from ...symbols import Tensor
from ..kind import LatexKind
from ..pool.latex_nd import chain_lines, vec_words
from ..pool.rule import MaxPoolDerivation
from ..pool.spec import MaxPool1D, MaxPool2D, MaxPool3D
from .home import SPECS
from .rule import MaxUnpoolDerivation


def _example_indices(d: MaxUnpoolDerivation, seed: int) -> tuple[np.ndarray, str]:
    """Indices for channel 1: those a max pooling (the unpooling's window, stride and padding, over
    distinct random integers of the output's size) selects, or, where that pooling's output is not
    the unpooling's input, distinct random places."""
    spec = d.spec
    size, out = spec.in_shape[1:], spec.output_size
    rng = np.random.default_rng(seed)
    pool_cls = {1: MaxPool1D, 2: MaxPool2D, 3: MaxPool3D}[len(out)]
    try:
        pool = pool_cls(input=out, window=spec.window, stride=spec.stride, padding=spec.padding, pad_value=-math.inf,
                        tie_order="row")  # fmt: skip
    except SpecError:
        pool = None
    if pool is not None and pool.geometry.output == size:
        x = rng.permutation(math.prod(out)).astype(float).reshape(out)
        symbols = (
            Tensor("I", "I", pool.in_shape, spatial=len(out)),
            Tensor("A", "a", pool.out_shape, spatial=len(out)),
        )
        core = MaxPoolDerivation(pool, *symbols, None)
        chosen = core.selected(core.switches(x)) - 1  # vec index in the output plane
        flat = np.ravel_multi_index(np.unravel_index(chosen, out, order="F"), out)
        return np.asarray(flat, np.int64), "the indices a max pooling of distinct random integers returns"
    count = math.prod(size)
    flat = rng.choice(math.prod(out), count, replace=count > math.prod(out)).reshape(size)
    return np.asarray(flat, np.int64), "random places"


def _size_lines(d: MaxUnpoolDerivation) -> list[Line]:
    """PyTorch's default output size with the numbers put in, ``(n - 1) s - before - after + k``."""
    spec = d.spec
    axes = common.axis_names(len(spec.window), "a", "l", "u")
    strides = spec.stride or spec.window
    rows = zip(axes, spec.in_shape[1:], strides, spec.padding[::2], spec.padding[1::2], spec.window, strict=True)
    return [
        Line(axis.out, f"= ({n} - 1) \\cdot {s} - {b} - {a} + {k} = {(n - 1) * s - b - a + k}")
        for axis, n, s, b, a, k in rows
    ]


def context(d: MaxUnpoolDerivation, seed: int) -> dict[str, Any]:
    """Everything the max-unpooling template lays out."""
    spec = d.spec
    size, out = spec.in_shape[1:], spec.output_size
    indices, source = _example_indices(d, seed)
    bound = d.at({"indices": np.broadcast_to(indices, spec.in_shape)})
    mask = bound.pool_mask(indices, 0)
    jac = bound.input_jacobian(None, j=0)
    nz, n = d._sizes
    return {
        "ndim": len(out),
        "A": mat(d.input, 0),
        "U": mat(d.output, 0),
        "many": d.channels > 1,
        "c": d.channels,
        "A_space": space(*size),
        "U_space": space(*out),
        "window": " \\times ".join(str(k) for k in spec.window),
        "stride": ", ".join(str(s) for s in (spec.stride or spec.window)),
        "padding": ", ".join(str(p) for p in spec.padding),
        "default": " \\times ".join(str(x) for x in spec.default_size),
        "given": spec.output is not None,
        "sizes": _size_lines(d),
        "vec_order": vec_words(len(out), d.input.letter),
        "source": source,
        "indices": common.sym_block(indices, rows=8),
        "forward": [Line(mat(d.output, 0), "= " + common.sym_block(bound.U[0], rows=8, budget=LINE - 40))],
        "mask": [Line("\\mathbf{M}", "= " + common.jac_matrix(mask, rows=10, budget=LINE - 40))],
        "jacobian": [
            Line(
                frac_d(vname(d.output, 0), vname(d.input, 0)),
                "= \\mathbf{M}^\\top = " + common.jac_matrix(jac, rows=12, budget=LINE - 80),
            )
        ],
        "mask_dims": f"{n} \\times {nz}",
        "dims": f"{nz} \\times {n}",
        "chain": chain_lines(d, nz, n, "\\mathbf{M}_j^\\top"),
    }


def _title(d: MaxUnpoolDerivation) -> str:
    size = " \\times ".join(str(n) for n in d.spec.in_shape[1:])
    out = " \\times ".join(str(n) for n in d.spec.output_size)
    return f"Max unpooling: ${size}$ input, ${out}$ output"


def _forward(d: MaxUnpoolDerivation) -> Line:
    return Line(
        mat(d.output, "j", show=True),
        f"= \\operatorname{{maxunpool}}\\left({mat(d.input, 'j', show=True)}\\right), "
        f"\\quad 1 \\leq j \\leq {d.channels}",
    )


LATEX = {
    spec.kind: LatexKind(
        template="maxunpool.tex.j2",
        build=lambda d, opts, position: context(d, opts.seed + position),
        title=_title,
        forward=_forward,
    )
    for spec in SPECS
}
