"""The adaptive pooling layers' home (adaptive_avgpool2d, adaptive_maxpool2d): spec, rule,
LaTeX, code and claim names."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ...latex.layout import Line
from ...latex.notation import mat
from ..kind import ClaimKind, LatexKind, LayerKind
from . import latex
from .plan import plan_adaptive_avgpool, plan_adaptive_maxpool
from .rule import AdaptiveAvgDerivation, AdaptiveMaxDerivation
from .spec import AdaptiveAvgPool2D, AdaptiveMaxPool2D


def _title(what: str) -> Any:
    def title(d: AdaptiveAvgDerivation | AdaptiveMaxDerivation) -> str:
        (hi, wi), (ha, wa) = d.input_size, d.spec.output_size
        return f"Adaptive {what} pooling: ${hi} \\times {wi}$ input, ${ha} \\times {wa}$ output"

    return title


def _forward(op: str) -> Any:
    def forward(d: AdaptiveAvgDerivation | AdaptiveMaxDerivation) -> Line:
        return Line(
            mat(d.output, "j", show=True),
            f"= \\operatorname{{{op}}}\\left({mat(d.input, 'j', show=True)}\\right), "
            f"\\quad 1 \\leq j \\leq {d.channels}",
        )

    return forward


def _constants(spec: AdaptiveAvgPool2D | AdaptiveMaxPool2D) -> dict[str, int]:
    """The output size ``h_a, w_a`` of the adaptive windows."""
    return {"h_a": spec.output_size[0], "w_a": spec.output_size[1]}


def _divisors(d: AdaptiveAvgDerivation) -> dict[str, sp.ImmutableMatrix]:
    """``D``: window ``(p, q)``'s divisor ``h_p w_q``."""
    return {"D": sp.ImmutableMatrix(d.divisors.tolist())}


KINDS = (
    LayerKind(
        spec=AdaptiveAvgPool2D,
        rule=AdaptiveAvgDerivation,
        description="adaptive average pooling: A_pq = the mean of PyTorch's window (p, q) (3.1.3)",
        what="adaptive average pooling",
        backward_section="3.1.3",
        module="adaptive_avgpool",
        plan=plan_adaptive_avgpool,
        latex=LatexKind(
            template="adaptive_pool.tex.j2",
            build=lambda d, opts, position: latex.avg_context(d),
            title=_title("average"),
            forward=_forward("adaptiveavgpool"),
        ),
        claims=ClaimKind(constants=_constants, matrices=_divisors),
    ),
    LayerKind(
        spec=AdaptiveMaxPool2D,
        rule=AdaptiveMaxDerivation,
        description="adaptive max pooling: A_pq = the maximum of PyTorch's window (p, q) (Appendix B)",
        what="adaptive max pooling",
        backward_section="3.1.3, Appendix B",
        module="adaptive_maxpool",
        plan=plan_adaptive_maxpool,
        latex=LatexKind(
            template="adaptive_pool.tex.j2",
            build=lambda d, opts, position: latex.max_context(d, opts.values, opts.seed + position),
            title=_title("max"),
            forward=_forward("adaptivemaxpool"),
        ),
        claims=ClaimKind(constants=_constants),
    ),
)
