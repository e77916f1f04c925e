"""The max-unpooling layers' home (maxunpool1d/2d/3d): their spec and rule, registered once (the
document: ``latex.py``'s ``LATEX``; the code: ``plan.py``'s ``PLANS``; no claim names of their
own: ``claims.py``)."""

from __future__ import annotations

from ..kind import LayerKind
from .rule import MaxUnpoolDerivation
from .spec import MaxUnpool, MaxUnpool1D, MaxUnpool2D, MaxUnpool3D

#: every max-unpooling kind
SPECS: tuple[type[MaxUnpool], ...] = (MaxUnpool1D, MaxUnpool2D, MaxUnpool3D)


def _kind(spec: type[MaxUnpool]) -> LayerKind:
    d = spec.ndim
    return LayerKind(
        spec=spec,
        rule=MaxUnpoolDerivation,
        description=f"{d}-D max unpooling: U = A put where a max pooling's indices say (PyTorch's max_unpool{d}d)",
        what="max unpooling",
        backward_section="Appendix B",
        module=f"maxunpool{d}d",
    )


KINDS = tuple(_kind(spec) for spec in SPECS)
