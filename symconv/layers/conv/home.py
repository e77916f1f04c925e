"""conv2d's home: its spec, rule, LaTeX, generated code and claim names, registered once."""

from __future__ import annotations

from ...geometry import AXIS_LETTERS
from ...latex.layout import Line
from ...latex.notation import dims, frac_d, mat, ones, vname
from ..kind import ClaimKind, LatexKind, LayerKind, kernel_chain, window_constants
from . import latex
from .plan import plan_conv
from .rule import ConvDerivation
from .spec import Conv, Conv1D, Conv2D, Conv3D, ConvTranspose, ConvTranspose1D, ConvTranspose2D, ConvTranspose3D


def _title(d: ConvDerivation) -> str:
    g = d.geometry
    what = "transposed convolution" if d.transposed else "convolution"
    if g.ndim == 1:
        return f"A 1D {what}: an input of ${d.spec.in_shape[1]}$ entries, a kernel of ${g.kernel[0]}$"
    return f"A {g.ndim}D {what}: ${dims(*d.spec.in_shape[1:])}$ input, ${dims(*g.kernel)}$ kernel"


def _forward(d: ConvDerivation) -> Line:
    shape = d.geometry.output
    bias = f" + {mat(d.bias, 'j', show=True)} {ones(*shape)}" if d.bias is not None else ""
    if d.groups > 1:
        return Line(
            mat(d.output, "j", show=True),
            f"= {latex.grouped_sum(d, 'j', show=True)}{bias}, \\quad 1 \\leq j \\leq {d.cout}"
            + (f", \\ {offset}" if (offset := latex.group_offset(d)) else ""),
        )
    if d.transposed:
        kernel = f"\\operatorname{{rot180}}({mat(d.kernel, 'i', 'j', show=True)})"
    else:
        kernel = mat(d.kernel, "j", "i", show=True)
    return Line(
        mat(d.output, "j", show=True),
        f"= \\sum_{{i=1}}^{{{d.cin}}} {mat(d.input, 'i', show=True)} * {kernel}{bias}, \\quad 1 \\leq j \\leq {d.cout}",
    )


def _gradients(d: ConvDerivation) -> list[Line]:
    names = latex.kernel_index_names(d)
    k = vname(d.kernel, *names, show=True)
    each = "for every $i$ and $j$ of its group" if d.transposed else ""
    lines = [
        Line(
            f"\\nabla_{{{mat(d.kernel, *names, show=True)}}} J",
            f"= \\operatorname{{reshape}}\\left(\\left({frac_d('J', k)}\\right)^\\top\\right) "
            f"\\in \\mathbb{{R}}^{{{dims(*d.geometry.kernel)}}}"
            + ("" if d.transposed else f", \\quad 1 \\leq j \\leq {d.cout}, \\ 1 \\leq i \\leq {d.ck}"),
            each,
        )
    ]
    if d.bias is not None:
        b = mat(d.bias, show=False)
        grad = f"= \\left({frac_d('J', b)}\\right)^\\top \\in \\mathbb{{R}}^{{{d.cout}}}"
        lines.append(Line(f"\\nabla_{{{b}}} J", grad))
    return lines


def _update(d: ConvDerivation) -> list[Line]:
    k = mat(d.kernel, *latex.kernel_index_names(d), show=True)
    where = (
        "for every $i$ and $j$ of its group"
        if d.transposed
        else f"for $1 \\leq j \\leq {d.cout}$, $1 \\leq i \\leq {d.ck}$"
    )
    lines = [Line(k, f":= {k} - \\alpha \\nabla_{{{k}}} J", where)]
    if d.bias is not None:
        b = mat(d.bias, show=False)
        lines.append(Line(b, f":= {b} - \\alpha \\nabla_{{{b}}} J"))
    return lines


def _constants(spec: Conv | ConvTranspose) -> dict[str, int]:
    """The seed's ``h_p, w_p`` (symmetric padding only) and ``h_s, w_s`` (per axis in 1-D and
    3-D), PyTorch's ``groups``, and a transposed convolution's output padding ``o_h, o_w``."""
    out = {**window_constants(spec, ""), "groups": spec.groups}
    if isinstance(spec, ConvTranspose):
        out |= {f"o_{x}": o for x, o in zip(AXIS_LETTERS[spec.axes], spec.output_padding, strict=True)}
    return out


def _conv_kind(spec: type[Conv] | type[ConvTranspose]) -> LayerKind:
    """The record of one convolution kind: the general rule, plan and document serve all."""
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
        plan=plan_conv,
        latex=LatexKind(
            template="conv.tex.j2",
            build=lambda d, opts, position: latex.context(d, opts.entry),
            title=_title,
            forward=_forward,
            entry_help=latex.entry_help(d),
            gradients=_gradients,
            update=_update,
            backward=kernel_chain,
        ),
        claims=ClaimKind(constants=_constants, aliases={"beta": "K"}),
    )


KINDS = tuple(_conv_kind(spec) for spec in (Conv1D, Conv2D, Conv3D, ConvTranspose1D, ConvTranspose2D, ConvTranspose3D))
