"""The pooling layers' home (maxpool2d, avgpool2d): spec, rule, LaTeX, code and claim names."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ...latex.layout import Line
from ...latex.notation import mat
from ...symbols import Tensor
from ..kind import ClaimKind, LatexKind, LayerKind, window_constants
from . import latex
from .plan import plan_avgpool, plan_maxpool
from .rule import AvgPoolDerivation, MaxPoolDerivation
from .spec import AvgPool2D, MaxPool2D


def _title(what: str) -> Any:
    def title(d: AvgPoolDerivation | MaxPoolDerivation) -> str:
        g = d.geometry
        window = f"${g.kernel[0]} \\times {g.kernel[1]}$ window"
        return f"{what} pooling: ${g.input[0]} \\times {g.input[1]}$ input, {window}"

    return title


def _max_forward(d: MaxPoolDerivation) -> Line:
    return Line(
        mat(d.output, "j", show=True),
        f"= \\operatorname{{maxpool}}\\left({mat(d.input, 'j', show=True)}\\right), "
        f"\\quad 1 \\leq j \\leq {d.channels}",
    )


def _avg_forward(d: AvgPoolDerivation) -> Line:
    return Line(
        mat(d.output, "j", show=True),
        f"= {mat(d.input, 'j', show=True)} * \\mathbf{{P}}^{{[{d.layer}]}}, \\quad 1 \\leq j \\leq {d.channels}",
    )


def _constants(spec: AvgPool2D | MaxPool2D) -> dict[str, int]:
    """``lh_p, lw_p, lh_s, lw_s`` and the window ``h_l, w_l`` (Appendix B)."""
    return {**window_constants(spec, "l"), "h_l": spec.window[0], "w_l": spec.window[1]}


def _omega(d: MaxPoolDerivation) -> dict[str, Tensor]:
    """Appendix B's window ``Omega`` as free symbols."""
    return {"Omega": Tensor("Omega", "\\Omega", d.geometry.kernel, None)}


def _p(d: AvgPoolDerivation) -> dict[str, sp.ImmutableMatrix]:
    """3.1.3's ``P``, every entry ``1/(h_l w_l)``, and ``D``, each window's divisor (PyTorch's
    ``ceil_mode``, ``count_include_pad`` and ``divisor_override`` rules; all ``h_l w_l`` by default)."""
    return {"P": sp.ImmutableMatrix(d.P), "D": sp.ImmutableMatrix(d.divisors.tolist())}


KINDS = (
    LayerKind(
        spec=MaxPool2D,
        rule=MaxPoolDerivation,
        description="max pooling: A_pq = the maximum of window (p, q) of the padded input (Appendix B)",
        what="max pooling",
        backward_section="3.1.3, Appendix B",
        module="maxpool",
        plan=plan_maxpool,
        latex=LatexKind(
            template="maxpool.tex.j2",
            build=lambda d, opts, position: latex.max_context(d, opts.entry, opts.values, opts.seed + position),
            title=_title("Max"),
            forward=_max_forward,
            entry_help="P,Q or J,P,Q",
        ),
        claims=ClaimKind(constants=_constants, leaves=_omega),
    ),
    LayerKind(
        spec=AvgPool2D,
        rule=AvgPoolDerivation,
        description="average pooling: A_j = I_j * P with every entry of P 1/(h_l w_l) (3.1.3)",
        what="average pooling",
        backward_section="3.1.3",
        module="avgpool",
        plan=plan_avgpool,
        latex=LatexKind(
            template="avgpool.tex.j2",
            build=lambda d, opts, position: latex.avg_context(d, opts.entry),
            title=_title("Average"),
            forward=_avg_forward,
            entry_help="R,S",
        ),
        claims=ClaimKind(constants=_constants, matrices=_p),
    ),
)
