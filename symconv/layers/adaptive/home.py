"""The adaptive pooling layers' home (adaptive_avgpool1d/2d/3d, adaptive_maxpool1d/2d/3d): their
spec and rule, registered once (the document: ``latex.py``'s ``LATEX``; the code: ``plan.py``'s
``PLANS``; the claim names: ``claims.py``'s ``CLAIMS``)."""

from __future__ import annotations

from ..kind import LayerKind
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

#: every adaptive pooling kind
SPECS: tuple[type[AdaptiveAvgPool] | type[AdaptiveMaxPool], ...] = (
    AdaptiveAvgPool1D,
    AdaptiveAvgPool2D,
    AdaptiveAvgPool3D,
    AdaptiveMaxPool1D,
    AdaptiveMaxPool2D,
    AdaptiveMaxPool3D,
)


def _kind(spec: type[AdaptiveAvgPool] | type[AdaptiveMaxPool]) -> LayerKind:
    d = spec.ndim
    suffix = "" if d == 2 else f"{d}d"
    if issubclass(spec, AdaptiveMaxPool):
        return LayerKind(
            spec=spec,
            rule=AdaptiveMaxDerivation,
            description=f"{d}-D adaptive max pooling: A_p = the maximum of PyTorch's window p (Appendix B)",
            what="adaptive max pooling",
            backward_section="3.1.3, Appendix B",
            module=f"adaptive_maxpool{suffix}",
        )
    return LayerKind(
        spec=spec,
        rule=AdaptiveAvgDerivation,
        description=f"{d}-D adaptive average pooling: A_p = the mean of PyTorch's window p (3.1.3)",
        what="adaptive average pooling",
        backward_section="3.1.3",
        module=f"adaptive_avgpool{suffix}",
    )


KINDS = tuple(_kind(spec) for spec in SPECS)
