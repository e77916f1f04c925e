"""conv_transpose2d's document, kept apart until the general convolution's document
(``symconv/layers/conv/latex.py``) draws the transposed convolution: its LaTeX builder reads the
older derivation of this folder (:class:`ConvTransposeDerivation`), built from the general
rule's spec and tensors.  The conv home registers the kind with these; its rule, plan and code
are the general convolution's."""

from __future__ import annotations

from typing import Any

from ...latex.layout import Line
from ...latex.notation import frac_d, mat, ones, vname
from ..kind import ClaimKind, LatexKind, kernel_chain, window_constants
from . import latex
from .rule import ConvTransposeDerivation
from .spec import ConvTranspose2D


def older(d: Any) -> ConvTransposeDerivation:
    """The document's derivation of a transposed convolution's general derivation ``d``: the
    same spec, input, output and layer."""
    return ConvTransposeDerivation(d.spec, d.input, d.output, d.layer)


def _title(d: Any) -> str:
    (ha, wa), (hk, wk) = d.spec.input, d.spec.kernel
    return f"A transposed 2D convolution: ${ha} \\times {wa}$ input, ${hk} \\times {wk}$ kernel"


def _forward(d: Any) -> Line:
    hz, wz = d.spec.output_size
    bias = f" + {mat(d.bias, 'j', show=True)} {ones(hz * wz, 1)}" if d.bias is not None else ""
    y = frac_d("{}_v\\mathbf{Y}_{i,j}", "{}_v\\mathbf{U}")
    return Line(
        vname(d.output, "j", show=True),
        f"= \\sum_{{i}} \\left({y}\\right)^\\top {vname(d.input, 'i', show=True)}{bias}, "
        f"\\quad \\mathbf{{Y}}_{{i,j}} = \\mathbf{{U}} * {mat(d.kernel, 'i', 'j', show=True)}, "
        f"\\quad 1 \\leq j \\leq {d.cout}",
    )


def _gradients(d: Any) -> list[Line]:
    hk, wk = d.spec.kernel
    k = vname(d.kernel, "i", "j", show=True)
    lines = [
        Line(
            f"\\nabla_{{{mat(d.kernel, 'i', 'j', show=True)}}} J",
            f"= \\operatorname{{reshape}}\\left(\\left({frac_d('J', k)}\\right)^\\top\\right) "
            f"\\in \\mathbb{{R}}^{{{hk} \\times {wk}}}",
        )
    ]
    if d.bias is not None:
        b = mat(d.bias, show=False)
        lines.append(
            Line(f"\\nabla_{{{b}}} J", f"= \\left({frac_d('J', b)}\\right)^\\top \\in \\mathbb{{R}}^{{{d.cout}}}")
        )
    return lines


def _update(d: Any) -> list[Line]:
    k = mat(d.kernel, "i", "j", show=True)
    lines = [Line(k, f":= {k} - \\alpha \\nabla_{{{k}}} J", "for every $i$ and $j$ of its group")]
    if d.bias is not None:
        b = mat(d.bias, show=False)
        lines.append(Line(b, f":= {b} - \\alpha \\nabla_{{{b}}} J"))
    return lines


def _constants(spec: ConvTranspose2D) -> dict[str, int]:
    """The padding and stride names of a windowed layer, the output padding ``o_h, o_w``
    and ``groups``."""
    return {
        **window_constants(spec, ""),
        "o_h": spec.output_padding[0],
        "o_w": spec.output_padding[1],
        "groups": spec.groups,
    }


#: the document of conv_transpose2d
LATEX = LatexKind(
    template="conv_transpose.tex.j2",
    build=lambda d, opts, position: latex.context(older(d), opts.entry),
    title=_title,
    forward=_forward,
    entry_help="P,Q,R,S (input entry, kernel entry)",
    gradients=_gradients,
    update=_update,
    backward=kernel_chain,
)
#: its names in claims
CLAIMS = ClaimKind(constants=_constants, aliases={"beta": "K"})
#: its description, as before
DESCRIPTION = (
    "transposed 2D convolution (PyTorch's conv_transpose2d): vZ_j = sum_i (dvY/dvU)^T vA_i + b_j, "
    "the adjoint of Y = U * K_ij"
)
