"""The pad layer's home (PyTorch's ``F.pad`` on the spatial axes): its spec, rule, LaTeX,
generated code and claim names, registered once."""

from __future__ import annotations

from ...latex.layout import Line
from ...latex.notation import mat
from ..kind import ClaimKind, LatexKind, LayerKind, window_constants
from . import latex
from .plan import plan_pad
from .rule import PadDerivation
from .spec import Pad, Pad1D, Pad2D, Pad3D


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


def _constants(spec: Pad) -> dict[str, int]:
    """The named sides of the padding (``p_top, p_bottom, ...``; ``l_p`` etc. when symmetric)."""
    return window_constants(_Sides(spec), "")


class _Sides:
    """The padding as :func:`window_constants` reads it (a pad has no stride: 1 per axis)."""

    def __init__(self, spec: Pad) -> None:
        self.padding = spec.padding
        self.stride = (1,) * (spec.ndim or 0)


def _kind(spec: type[Pad]) -> LayerKind:
    return LayerKind(
        spec=spec,
        rule=PadDerivation,
        description=f"{spec.ndim}-D padding (PyTorch's F.pad): P = pad(A) per channel, constant, reflect, "
        "replicate or circular, negative sides crop",
        what="padding",
        backward_section="3.1.5 (the padding of Appendix A)",
        module=spec.kind,
        plan=plan_pad,
        latex=LatexKind(
            template="pad.tex.j2",
            build=lambda d, opts, position: latex.context(d),
            title=_title,
            forward=_forward,
            backward=lambda ctx, first: [] if first else list(ctx["chain"]),
        ),
        claims=ClaimKind(constants=_constants),
    )


KINDS = tuple(_kind(spec) for spec in (Pad1D, Pad2D, Pad3D))
