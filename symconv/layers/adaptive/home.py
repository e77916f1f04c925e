"""The adaptive pooling layers' home (adaptive_avgpool1d/2d/3d, adaptive_maxpool1d/2d/3d): spec,
rule, LaTeX, code and claim names."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ...geometry import AXIS_LETTERS
from ...latex.layout import Line
from ...latex.notation import mat
from ..kind import ClaimKind, LatexKind, LayerKind
from . import latex
from .plan import plan_adaptive_avgpool, plan_adaptive_maxpool
from .rule import AdaptiveAvgDerivation, AdaptiveMaxDerivation
from .spec import (
    AdaptiveAvgPool,
    AdaptiveAvgPool1D,
    AdaptiveAvgPool2D,
    AdaptiveAvgPool3D,
    AdaptiveMaxPool,
    AdaptiveMaxPool1D,
    AdaptiveMaxPool2D,
    AdaptiveMaxPool3D,
)


def _title(what: str) -> Any:
    def title(d: AdaptiveAvgDerivation | AdaptiveMaxDerivation) -> str:
        size = " \\times ".join(str(n) for n in d.input_size)
        out = " \\times ".join(str(n) for n in d.spec.output_size)
        return f"Adaptive {what} pooling: ${size}$ input, ${out}$ output"

    return title


def _forward(op: str) -> Any:
    def forward(d: AdaptiveAvgDerivation | AdaptiveMaxDerivation) -> Line:
        return Line(
            mat(d.output, "j", show=True),
            f"= \\operatorname{{{op}}}\\left({mat(d.input, 'j', show=True)}\\right), "
            f"\\quad 1 \\leq j \\leq {d.channels}",
        )

    return forward


def _constants(spec: AdaptiveAvgPool | AdaptiveMaxPool) -> dict[str, int]:
    """The output size ``h_a, w_a`` of the adaptive windows (``n_a`` in 1-D, ``d_a, h_a, w_a`` in 3-D)."""
    letters = AXIS_LETTERS[len(spec.output_size)]
    return {f"{x}_a": n for x, n in zip(letters, spec.output_size, strict=True)}


def _divisors(d: AdaptiveAvgDerivation) -> dict[str, Any]:
    """``D``: window ``(p, q)``'s divisor ``h_p w_q``, a matrix, so 2-D only (the claims language
    indexes matrices)."""
    if d.ndim != 2:
        return {}
    return {"D": sp.ImmutableMatrix(d.divisors.tolist())}


def _kind(spec: type[AdaptiveAvgPool] | type[AdaptiveMaxPool]) -> LayerKind:
    d = spec.ndim
    two = d == 2
    if issubclass(spec, AdaptiveMaxPool):
        return LayerKind(
            spec=spec,
            rule=AdaptiveMaxDerivation,
            description=f"{d}-D adaptive max pooling: A_p = the maximum of PyTorch's window p (Appendix B)",
            what="adaptive max pooling",
            backward_section="3.1.3, Appendix B",
            module="adaptive_maxpool" if two else f"adaptive_maxpool{d}d",
            plan=plan_adaptive_maxpool,
            latex=LatexKind(
                template="adaptive_pool.tex.j2" if two else "adaptive_nd.tex.j2",
                build=(lambda d, opts, position: latex.max_context(d, opts.values, opts.seed + position))
                if two
                else (lambda d, opts, position: latex.nd_max_context(d, opts.values, opts.seed + position)),
                title=_title("max"),
                forward=_forward("adaptivemaxpool"),
            ),
            claims=ClaimKind(constants=_constants),
        )
    return LayerKind(
        spec=spec,
        rule=AdaptiveAvgDerivation,
        description=f"{d}-D adaptive average pooling: A_p = the mean of PyTorch's window p (3.1.3)",
        what="adaptive average pooling",
        backward_section="3.1.3",
        module="adaptive_avgpool" if two else f"adaptive_avgpool{d}d",
        plan=plan_adaptive_avgpool,
        latex=LatexKind(
            template="adaptive_pool.tex.j2" if two else "adaptive_nd.tex.j2",
            build=(lambda d, opts, position: latex.avg_context(d))
            if two
            else (lambda d, opts, position: latex.nd_avg_context(d)),
            title=_title("average"),
            forward=_forward("adaptiveavgpool"),
        ),
        claims=ClaimKind(constants=_constants, matrices=_divisors),
    )


KINDS = tuple(
    _kind(spec)
    for spec in (
        AdaptiveAvgPool1D,
        AdaptiveAvgPool2D,
        AdaptiveAvgPool3D,
        AdaptiveMaxPool1D,
        AdaptiveMaxPool2D,
        AdaptiveMaxPool3D,
    )
)
