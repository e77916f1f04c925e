"""The pooling layers' home (maxpool1d/2d/3d, avgpool1d/2d/3d, lppool1d/2d/3d): their spec and
rule, registered once (the documents: ``latex.py``'s ``LATEX``; the code: ``plan.py``'s
``PLANS``; the claim names: ``claims.py``'s ``CLAIMS``)."""

from __future__ import annotations

from ..kind import LayerKind
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

#: every pooling kind
SPECS: tuple[type[MaxPool] | type[AvgPool] | type[LPPool], ...] = (
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


def _pool_kind(spec: type[MaxPool] | type[AvgPool] | type[LPPool]) -> LayerKind:
    d = spec.ndim
    suffix = "" if d == 2 else f"{d}d"
    if issubclass(spec, MaxPool):
        return LayerKind(
            spec=spec,
            rule=MaxPoolDerivation,
            description=f"{d}-D max pooling: A_p = the maximum of window p of the padded input (Appendix B)",
            what="max pooling",
            backward_section="3.1.3, Appendix B",
            module=f"maxpool{suffix}",
        )
    if issubclass(spec, AvgPool):
        return LayerKind(
            spec=spec,
            rule=AvgPoolDerivation,
            description=f"{d}-D average pooling: A_j = I_j * P with every entry of P 1/prod(window) (3.1.3)",
            what="average pooling",
            backward_section="3.1.3",
            module=f"avgpool{suffix}",
        )
    return LayerKind(
        spec=spec,
        rule=LPPoolDerivation,
        description=f"{d}-D Lp pooling: A_p = (sum of I^n over window p)^(1/n) (PyTorch's lp_pool{d}d)",
        what="Lp pooling",
        backward_section="3.1.3",
        module=f"lppool{d}d",
    )


KINDS = tuple(_pool_kind(spec) for spec in SPECS)
