"""The convolutions' home (conv1d/2d/3d and the transposed ones): their spec and rule,
registered once.  Their document is ``latex.py``'s ``LATEX``, their code ``plan.py``'s
``PLANS``, their names in claims ``claims.py``'s ``CLAIMS``."""

from __future__ import annotations

from ..kind import LayerKind
from .rule import ConvDerivation
from .spec import Conv, Conv1D, Conv2D, Conv3D, ConvTranspose, ConvTranspose1D, ConvTranspose2D, ConvTranspose3D

#: every convolution kind, 1-D to 3-D, plain and transposed
SPECS: tuple[type[Conv] | type[ConvTranspose], ...] = (
    Conv1D,
    Conv2D,
    Conv3D,
    ConvTranspose1D,
    ConvTranspose2D,
    ConvTranspose3D,
)


def _conv_kind(spec: type[Conv] | type[ConvTranspose]) -> LayerKind:
    """The record of one convolution kind: the general rule serves all."""
    transposed = issubclass(spec, ConvTranspose)
    d = spec.ndim
    assert d is not None
    return LayerKind(
        spec=spec,
        rule=ConvDerivation,
        description=(
            f"transposed {d}-D convolution (PyTorch's conv_transpose{d}d), the {d}-D convolution's transpose"
            if transposed
            else f"{d}-D convolution: Z_j = sum_i A_i * K_ji + b_j (cross-correlation, no flip)"
        ),
        what="transposed convolution" if transposed else "convolution",
        backward_section="3.1.5, Appendix A (eq.a2-3 transposed)" if transposed else "3.1.5, 3.1.6, Appendix A",
        # the seed's 2-D layer keeps the plain name (``conv.py``); the others say their kind
        module=("conv_transpose" if transposed else "conv") if d == 2 else spec.kind,
    )


KINDS = tuple(_conv_kind(spec) for spec in SPECS)
