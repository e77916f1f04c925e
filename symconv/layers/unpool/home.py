"""The max-unpooling layers' home (maxunpool1d/2d/3d): spec, rule, LaTeX, code and claim names."""

from __future__ import annotations

from ...latex.layout import Line
from ...latex.notation import mat
from ..kind import ClaimKind, LatexKind, LayerKind
from . import latex
from .plan import plan_maxunpool
from .rule import MaxUnpoolDerivation
from .spec import MaxUnpool, MaxUnpool1D, MaxUnpool2D, MaxUnpool3D


def _title(d: MaxUnpoolDerivation) -> str:
    size = " \\times ".join(str(n) for n in d.spec.in_shape[1:])
    out = " \\times ".join(str(n) for n in d.spec.output_size)
    return f"Max unpooling: ${size}$ input, ${out}$ output"


def _forward(d: MaxUnpoolDerivation) -> Line:
    return Line(
        mat(d.output, "j", show=True),
        f"= \\operatorname{{maxunpool}}\\left({mat(d.input, 'j', show=True)}\\right), "
        f"\\quad 1 \\leq j \\leq {d.channels}",
    )


def _kind(spec: type[MaxUnpool]) -> LayerKind:
    d = spec.ndim
    return LayerKind(
        spec=spec,
        rule=MaxUnpoolDerivation,
        description=f"{d}-D max unpooling: U = A put where a max pooling's indices say (PyTorch's max_unpool{d}d)",
        what="max unpooling",
        backward_section="Appendix B",
        module=f"maxunpool{d}d",
        plan=plan_maxunpool,
        latex=LatexKind(
            template="maxunpool.tex.j2",
            build=lambda d, opts, position: latex.context(d, opts.seed + position),
            title=_title,
            forward=_forward,
        ),
        claims=ClaimKind(),
    )


KINDS = tuple(_kind(spec) for spec in (MaxUnpool1D, MaxUnpool2D, MaxUnpool3D))
