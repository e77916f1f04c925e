"""The pad layer's home (PyTorch's ``F.pad`` on the spatial axes; pad1d/2d/3d): its spec and rule,
registered once (the document: ``latex.py``'s ``LATEX``; the code: ``plan.py``'s ``PLANS``; the
claim names: ``claims.py``'s ``CLAIMS``)."""

from __future__ import annotations

from ..kind import LayerKind
from .rule import PadDerivation
from .spec import Pad, Pad1D, Pad2D, Pad3D

#: every pad kind
SPECS: tuple[type[Pad], ...] = (Pad1D, Pad2D, Pad3D)


def _kind(spec: type[Pad]) -> LayerKind:
    return LayerKind(
        spec=spec,
        rule=PadDerivation,
        description=f"{spec.ndim}-D padding (PyTorch's F.pad): P = pad(A) per channel, constant, reflect, "
        "replicate or circular, negative sides crop",
        what="padding",
        backward_section="3.1.5 (the padding of Appendix A)",
        module=spec.kind,
    )


KINDS = tuple(_kind(spec) for spec in SPECS)
