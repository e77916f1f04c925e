"""The home of the layers after the convolutions (3.1.1 to 3.1.4): the activations
(relu, sigmoid, tanh), flatten, dense and softmax cross-entropy."""

from __future__ import annotations

from typing import Any

from ...latex import common
from ...latex.layout import Line, column
from ...latex.notation import frac_d, mat
from ...specs import Layer
from ..kind import ClaimKind, LatexKind, LayerKind
from . import latex
from .plan import plan_activation, plan_dense, plan_flatten, plan_softmax
from .rule import ACTIVATIONS, ActivationDerivation, DenseDerivation, FlattenDerivation, SoftmaxDerivation
from .spec import Dense, Flatten, ReLU, Sigmoid, SoftmaxCrossEntropy, Tanh


def _title(name: str) -> Any:
    def title(d: Any) -> str:
        shape = " \\times ".join(str(n) for n in d.spec.in_shape)
        return f"{name}: ${shape}$ input"

    return title


def _activation_forward(function: str) -> Any:
    def forward(d: ActivationDerivation) -> Line:
        return Line(mat(d.output, show=False), f"= {function}\\left({mat(d.input, show=False)}\\right)", "entrywise")

    return forward


def _flatten_forward(d: FlattenDerivation) -> Line:
    vecs = [f"\\operatorname{{vec}}\\left({mat(d.input, k, show=True)}\\right)" for k in range(d.channels)]
    return Line(mat(d.output, show=False), "= " + column(vecs, rows=5))


def _dense_forward(d: DenseDerivation) -> Line:
    bias = f" + {mat(d.bias)}" if d.bias is not None else ""
    return Line(mat(d.output), f"= \\left({mat(d.weights)}\\right)^\\top {mat(d.input)}{bias}")


def _dense_gradients(d: DenseDerivation) -> list[Line]:
    w, b_in, z = mat(d.weights), mat(d.input), mat(d.output)
    lines = [
        Line(
            f"\\nabla_{{{w}}} J",
            f"= \\left({frac_d('J', w)}\\right)^\\top = "
            + common.sized(b_in, d.n_in, 1)
            + common.sized(frac_d("J", z), 1, d.n_out)
            + f" \\in \\mathbb{{R}}^{{{d.n_in} \\times {d.n_out}}}",
        )
    ]
    if d.bias is not None:
        b = mat(d.bias)
        grad = f"= \\left({frac_d('J', b)}\\right)^\\top \\in \\mathbb{{R}}^{{{d.n_out}}}"
        lines.append(Line(f"\\nabla_{{{b}}} J", grad))
    return lines


def _dense_update(d: DenseDerivation) -> list[Line]:
    w = mat(d.weights)
    lines = [Line(w, f":= {w} - \\alpha \\nabla_{{{w}}} J")]
    if d.bias is not None:
        b = mat(d.bias, show=False)
        lines.append(Line(b, f":= {b} - \\alpha \\nabla_{{{b}}} J"))
    return lines


def _softmax_forward(d: SoftmaxDerivation) -> Line:
    loss = f"J = -\\sum_{{k=1}}^{{{d.n}}} y_k \\log a_k^{{[{d.layer}]}}"
    return Line(mat(d.output), f"= \\operatorname{{softmax}}\\left({mat(d.input)}\\right), \\quad {loss}")


def _activation(spec: type[Layer], what: str, title: str, function: str, description: str) -> LayerKind:
    return LayerKind(
        spec=spec,
        rule=ActivationDerivation,
        description=description,
        what=what,
        backward_section="3.1.4",
        module=spec.kind,
        plan=plan_activation,
        latex=LatexKind(
            template="activation.tex.j2",
            build=lambda d, opts, position: latex.activation_context(d),
            title=_title(title),
            forward=_activation_forward(function),
        ),
        claims=ClaimKind(functions={spec.kind: ACTIVATIONS[spec.kind]}),
    )


KINDS = (
    _activation(ReLU, "ReLU", "A ReLU activation", "\\operatorname{relu}", "ReLU: I = max(0, Z) entrywise (3.1.4)"),
    _activation(Sigmoid, "sigmoid", "A sigmoid activation", "\\sigma", "sigmoid: I = 1/(1 + e^-Z) entrywise (3.1.4)"),
    _activation(Tanh, "tanh", "A tanh activation", "\\tanh", "tanh: I = tanh(Z) entrywise (3.1.4)"),
    LayerKind(
        spec=Flatten,
        rule=FlattenDerivation,
        description="flatten: B = the channel vecs of A stacked (3.1.2)",
        what="flatten",
        backward_section="3.1.2",
        module="flatten",
        plan=plan_flatten,
        latex=LatexKind(
            template="flatten.tex.j2",
            build=lambda d, opts, position: latex.flatten_context(d),
            title=_title("Flattening"),
            forward=_flatten_forward,
            backward=lambda ctx, first: list(ctx["reshape"]),
        ),
    ),
    LayerKind(
        spec=Dense,
        rule=DenseDerivation,
        description="fully connected: Z = W^T B + b (3.1.1)",
        what="fully connected",
        backward_section="3.1.1",
        module="dense",
        plan=plan_dense,
        latex=LatexKind(
            template="dense.tex.j2",
            build=lambda d, opts, position: latex.dense_context(d),
            title=_title("A fully-connected layer"),
            forward=_dense_forward,
            gradients=_dense_gradients,
            update=_dense_update,
        ),
    ),
    LayerKind(
        spec=SoftmaxCrossEntropy,
        rule=SoftmaxDerivation,
        description="softmax with cross-entropy: A = softmax(Z), J = -sum_k y_k log a_k (3.1.1)",
        what="softmax and cross-entropy loss",
        backward_section="3.1.1",
        module="softmax",
        plan=plan_softmax,
        latex=LatexKind(
            template="softmax.tex.j2",
            build=lambda d, opts, position: latex.softmax_context(d),
            title=_title("Softmax with cross-entropy"),
            forward=_softmax_forward,
            backward=lambda ctx, first: [*ctx["dJ_dA"], *ctx["dA_dZ"], *ctx["dJ_dZ"]],
        ),
    ),
)
