"""The pooling layers' home (maxpool1d/2d/3d, avgpool1d/2d/3d, lppool1d/2d/3d): spec, rule,
LaTeX, code and claim names."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ...geometry import AXIS_LETTERS
from ...latex.layout import Line
from ...latex.notation import mat
from ...symbols import Tensor
from ..kind import ClaimKind, LatexKind, LayerKind, window_constants
from . import latex, latex_nd
from .plan import plan_avgpool, plan_lppool, plan_maxpool
from .rule import AvgPoolDerivation, LPPoolDerivation, MaxPoolDerivation
from .spec import (
    AvgPool,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    LPPool,
    LPPool1D,
    LPPool2D,
    LPPool3D,
    MaxPool,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
)


def _title(what: str) -> Any:
    def title(d: AvgPoolDerivation | MaxPoolDerivation | LPPoolDerivation) -> str:
        g = d.geometry
        size = " \\times ".join(str(n) for n in g.input)
        window = " \\times ".join(str(n) for n in g.kernel)
        return f"{what} pooling: ${size}$ input, ${window}$ window"

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


def _lp_forward(d: LPPoolDerivation) -> Line:
    return Line(
        mat(d.output, "j", show=True),
        f"= \\operatorname{{lppool}}_{{{sp.latex(d.n)}}}\\left({mat(d.input, 'j', show=True)}\\right), "
        f"\\quad 1 \\leq j \\leq {d.channels}",
    )


def _constants(spec: AvgPool | MaxPool | LPPool) -> dict[str, int]:
    """``lh_p, lw_p, lh_s, lw_s`` and the window ``h_l, w_l`` (Appendix B); in 1-D ``ll_p, ll_s``
    and ``l_l``, in 3-D also ``ld_p, ld_s`` and ``d_l``."""
    letters = AXIS_LETTERS[len(spec.window)]
    return {**window_constants(spec, "l"), **{f"{x}_l": k for x, k in zip(letters, spec.window, strict=True)}}


def _omega(d: MaxPoolDerivation) -> dict[str, Tensor]:
    """Appendix B's window ``Omega`` as free symbols."""
    return {"Omega": Tensor("Omega", "\\Omega", d.geometry.kernel, None, spatial=d.geometry.ndim)}


def _p(d: AvgPoolDerivation) -> dict[str, Any]:
    """3.1.3's ``P``, every entry ``1/(h_l w_l)``, and ``D``, each window's divisor (PyTorch's
    ``ceil_mode``, ``count_include_pad`` and ``divisor_override`` rules; all ``h_l w_l`` by
    default): matrices, so 2-D only (the claims language indexes matrices)."""
    if d.ndim != 2:
        return {}
    return {"P": sp.ImmutableMatrix(d.P), "D": sp.ImmutableMatrix(d.divisors.tolist())}


def _pool_kinds(spec: type[MaxPool] | type[AvgPool] | type[LPPool]) -> LayerKind:
    d = spec.ndim
    two = d == 2
    if issubclass(spec, MaxPool):
        return LayerKind(
            spec=spec,
            rule=MaxPoolDerivation,
            description=f"{d}-D max pooling: A_p = the maximum of window p of the padded input (Appendix B)",
            what="max pooling",
            backward_section="3.1.3, Appendix B",
            module="maxpool" if two else f"maxpool{d}d",
            plan=plan_maxpool,
            latex=LatexKind(
                template="maxpool.tex.j2" if two else "pool_nd.tex.j2",
                build=(
                    (lambda d, opts, position: latex.max_context(d, opts.entry, opts.values, opts.seed + position))
                    if two
                    else (lambda d, opts, position: latex_nd.max_context(d, opts.values, opts.seed + position))
                ),
                title=_title("Max"),
                forward=_max_forward,
                entry_help="P,Q or J,P,Q" if two else "",
            ),
            claims=ClaimKind(constants=_constants, leaves=_omega),
        )
    if issubclass(spec, AvgPool):
        return LayerKind(
            spec=spec,
            rule=AvgPoolDerivation,
            description=f"{d}-D average pooling: A_j = I_j * P with every entry of P 1/prod(window) (3.1.3)",
            what="average pooling",
            backward_section="3.1.3",
            module="avgpool" if two else f"avgpool{d}d",
            plan=plan_avgpool,
            latex=LatexKind(
                template="avgpool.tex.j2" if two else "pool_nd.tex.j2",
                build=(lambda d, opts, position: latex.avg_context(d, opts.entry))
                if two
                else (lambda d, opts, position: latex_nd.avg_context(d)),
                title=_title("Average"),
                forward=_avg_forward,
                entry_help="R,S" if two else "",
            ),
            claims=ClaimKind(constants=_constants, matrices=_p),
        )
    return LayerKind(
        spec=spec,
        rule=LPPoolDerivation,
        description=f"{d}-D Lp pooling: A_p = (sum of I^n over window p)^(1/n) (PyTorch's lp_pool{d}d)",
        what="Lp pooling",
        backward_section="3.1.3",
        module=f"lppool{d}d",
        plan=plan_lppool,
        latex=LatexKind(
            template="pool_nd.tex.j2",
            build=lambda d, opts, position: latex_nd.lp_context(d),
            title=_title("Lp"),
            forward=_lp_forward,
        ),
        claims=ClaimKind(constants=_constants),
    )


KINDS = tuple(
    _pool_kinds(spec)
    for spec in (
        MaxPool1D,
        MaxPool2D,
        MaxPool3D,
        AvgPool1D,
        AvgPool2D,
        AvgPool3D,
        LPPool1D,
        LPPool2D,
        LPPool3D,
    )
)
