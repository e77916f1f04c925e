"""A pad layer's document data: the padded block of the first channel, each entry the input
entry it holds (so a reflected, replicated or wrapped copy shows which input entry it copies),
the vec Jacobian of 0/1 entries and the chain rule (a copied entry's gradient sums its copies').
Every entry comes from the core's :class:`PadDerivation`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...latex import common
from ...latex.layout import Line
from ...latex.notation import frac_d, mat, space, vname
from ..kind import LatexKind
from .home import SPECS
from .rule import PadDerivation

#: what each mode fills the padding with, in words
MODES = {
    "constant": "the value {value}",
    "reflect": "the input mirrored about its edge entry (the edge not repeated)",
    "replicate": "the input's edge entry repeated",
    "circular": "the input's other end (it wraps around)",
}


def context(d: PadDerivation) -> dict[str, Any]:
    spec = d.spec
    shape = tuple(spec.output_size)
    size = tuple(spec.in_shape[1:])
    n_out = int(np.prod(shape))
    items = d.forward()[:n_out]  # channel 1, vec order
    first = mat(d.output, 0, show=d.channels > 1)
    a = mat(d.input, 0, show=d.channels > 1)
    copies = int(np.sum(d.held >= 0)) - int(np.unique(d.held[d.held >= 0]).size)
    jac = d.jacobian("A", j=0, i=0)
    p_vec, a_vec = vname(d.output, 0, show=d.channels > 1), vname(d.input, 0, show=d.channels > 1)
    sides = ", ".join(str(p) for p in spec.padding)
    return {
        "mode": spec.mode,
        "fill": MODES[spec.mode].format(value=f"${spec.value or 0:g}$"),
        "sides": sides,
        "A_all": mat(d.input, show=False),
        "A_space": space(*spec.in_shape),
        "P_space": space(*spec.out_shape),
        "copies": copies,
        "cropped": min(spec.padding) < 0,
        "many": d.channels > 1,
        "forward": [
            Line(a, "= " + common.sym_block(common.unvec(d.input.vec(0), size), shape=size)),
            Line(first, "= " + common.sym_block(common.unvec(items, shape), shape=shape)),
        ],
        "jacobian": [Line(frac_d(p_vec, a_vec), "= " + common.jac_matrix(jac, rows=10))],
        "chain": [
            Line(
                frac_d("J", vname(d.input, "c", show=True)),
                "= "
                + frac_d("J", vname(d.output, "c", show=True))
                + " "
                + frac_d(vname(d.output, "c", show=True), vname(d.input, "c", show=True)),
            )
        ],
    }


def _title(d: PadDerivation) -> str:
    shape = " \\times ".join(str(n) for n in d.spec.in_shape)
    return f"Padding ({d.spec.mode}): ${shape}$ input"


def _forward(d: PadDerivation) -> Line:
    sides = ", ".join(str(p) for p in d.spec.padding)
    return Line(
        mat(d.output, show=False),
        f"= \\operatorname{{pad}}\\left({mat(d.input, show=False)}\\right)",
        f"{d.spec.mode}, padding {sides}",
    )


LATEX = {
    spec.kind: LatexKind(
        template="pad.tex.j2",
        build=lambda d, opts, position: context(d),
        title=_title,
        forward=_forward,
        backward=lambda ctx, first: [] if first else list(ctx["chain"]),
    )
    for spec in SPECS
}
