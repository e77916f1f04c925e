"""A network's document data: the seed's section 3 for the network's shapes.

Every layer's shapes, the forward equations (section 2), the update step (section 3),
each layer's Jacobians in the chain rule with their dimensions (3.1.1 to 3.1.6), a table
of all the Jacobians with their sizes and nonzeros (from ``jacobian_list``), the
gradients as transposes (3.2) and, layer by layer, the derivations themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..network import NetworkDerivation
from ..rules.base import Derivation, JacobianInfo
from ..rules.conv import ConvDerivation
from ..rules.elementwise import DenseDerivation, SoftmaxDerivation
from ..rules.pool import MaxPoolDerivation
from . import common, pictures
from .layout import Line, column
from .notation import dims, frac_d, mat, ones, vname

#: the seed's section for each kind's backward step
SECTIONS = {
    "softmax_cross_entropy": "3.1.1",
    "dense": "3.1.1",
    "flatten": "3.1.2",
    "maxpool2d": "3.1.3, Appendix B",
    "avgpool2d": "3.1.3",
    "relu": "3.1.4",
    "sigmoid": "3.1.4",
    "tanh": "3.1.4",
    "conv2d": "3.1.5, 3.1.6, Appendix A",
}

WHAT = {
    "conv2d": "convolution",
    "maxpool2d": "max pooling",
    "avgpool2d": "average pooling",
    "relu": "ReLU",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "flatten": "flatten",
    "dense": "fully connected",
    "softmax_cross_entropy": "softmax and cross-entropy loss",
}

_FUNCTION = {"relu": "\\operatorname{relu}", "sigmoid": "\\sigma", "tanh": "\\tanh"}


def shape_text(shape: tuple[int, ...]) -> str:
    return dims(*shape)


def _settings(d: Derivation) -> str:
    cfg = d.spec.config()
    parts = []
    for key in ("kernel", "window", "padding", "stride", "dilation"):
        value = cfg.get(key)
        if value is None or (key == "dilation" and value == [1, 1]):
            continue
        parts.append(f"{key} $({', '.join(str(v) for v in value)})$")
    if cfg.get("bias") is False:
        parts.append("no bias")
    return ", ".join(parts)


def _params(d: Derivation) -> str:
    return ", ".join(f"${mat(t, show=False)} \\in \\mathbb{{R}}^{{{shape_text(t.shape)}}}$" for t in d.params.values())


def forward_line(d: Derivation) -> Line:
    """The layer's forward equation (seed section 2) with this network's names."""
    out, inp = d.output, d.input
    if isinstance(d, ConvDerivation):
        hz, wz = d.geometry.output
        bias = f" + {mat(d.bias, 'j', show=True)} {ones(hz, wz)}" if d.bias is not None else ""
        return Line(
            mat(out, "j", show=True),
            f"= \\sum_{{i=1}}^{{{d.cin}}} {mat(inp, 'i', show=True)} * {mat(d.kernel, 'j', 'i', show=True)}{bias}, "
            f"\\quad 1 \\leq j \\leq {d.cout}",
        )
    if d.kind in _FUNCTION:
        return Line(mat(out, show=False), f"= {_FUNCTION[d.kind]}\\left({mat(inp, show=False)}\\right)", "entrywise")
    if d.kind == "maxpool2d":
        c = d.spec.in_shape[0]
        return Line(
            mat(out, "j", show=True),
            f"= \\operatorname{{maxpool}}\\left({mat(inp, 'j', show=True)}\\right), \\quad 1 \\leq j \\leq {c}",
        )
    if d.kind == "avgpool2d":
        c = d.spec.in_shape[0]
        return Line(
            mat(out, "j", show=True),
            f"= {mat(inp, 'j', show=True)} * \\mathbf{{P}}^{{[{d.layer}]}}, \\quad 1 \\leq j \\leq {c}",
        )
    if d.kind == "flatten":
        c = d.spec.in_shape[0]
        vecs = [f"\\operatorname{{vec}}\\left({mat(inp, k, show=True)}\\right)" for k in range(c)]
        return Line(mat(out, show=False), "= " + column(vecs, rows=5))
    if isinstance(d, DenseDerivation):
        bias = f" + {mat(d.bias)}" if d.bias is not None else ""
        return Line(mat(out), f"= \\left({mat(d.weights)}\\right)^\\top {mat(inp)}{bias}")
    if isinstance(d, SoftmaxDerivation):
        loss = f"J = -\\sum_{{k=1}}^{{{d.n}}} y_k \\log a_k^{{[{d.layer}]}}"
        return Line(mat(out), f"= \\operatorname{{softmax}}\\left({mat(inp)}\\right), \\quad {loss}")
    raise AssertionError(d.kind)


def _index_names(info: JacobianInfo) -> dict[str, str]:
    return {name: name for name, _ in info.index}


def jacobian_rows(pos: int, d: Derivation) -> list[dict[str, str]]:
    """The layer's Jacobians grouped by size: one row per kind of Jacobian, saying for
    which channels it holds, its size and its nonzeros (from ``jacobian_list``)."""
    groups: dict[tuple[str, tuple[int, int], int | None], list[JacobianInfo]] = {}
    for info in d.jacobian_list():
        groups.setdefault((info.key, info.shape, info.nnz), []).append(info)
    rows = []
    for (key, shape, nnz), items in groups.items():
        names = [n for n, _ in items[0].index]
        wrt_tensor = d.params.get(key, d.input)
        if key == "b":
            out_index, wrt_index = names, names
        elif key in d.params:
            out_index, wrt_index = [n for n in names if n == "j"], names
        elif "i" in names:
            out_index, wrt_index = [n for n in names if n == "j"], ["i"]
        else:
            out_index, wrt_index = names, names
        of = vname(d.output, *out_index, show=bool(out_index))
        wrt = vname(wrt_tensor, *wrt_index, show=bool(wrt_index))
        if key == "b" and not names:
            wrt = mat(wrt_tensor)
        spans = []
        for n in names:
            values = sorted({dict(i.index)[n] + 1 for i in items})
            spans.append(f"{n} = {values[0]}, \\ldots, {values[-1]}" if len(values) > 1 else f"{n} = {values[0]}")
        count = len(items)
        nonzeros = str(nnz) if nnz is not None else f"at most {items[0].max_nnz} (set by the input)"
        rows.append(
            {
                "layer": str(pos + 1),
                "jacobian": f"$\\dfrac{{d{_sp(of)}}}{{d{_sp(wrt)}}}$",
                "for": (", ".join(f"${x}$" for x in spans) + f" ({count})") if spans else "--",
                "span": ", \\ ".join(spans),
                "size": f"${shape[0]} \\times {shape[1]}$",
                "dims": f"{shape[0]} \\times {shape[1]}",
                "nonzeros": nonzeros,
            }
        )
    return rows


def _sp(name: str) -> str:
    return name if name.startswith(("{", "\\")) else " " + name


def gradient_lines(d: Derivation) -> list[Line]:
    """3.2: each parameter's gradient is the transpose of its Jacobian, reshaped."""
    s = common.sized
    lines = []
    if isinstance(d, ConvDerivation):
        hk, wk = d.geometry.kernel
        k = vname(d.kernel, "j", "i", show=True)
        lines.append(
            Line(
                f"\\nabla_{{{mat(d.kernel, 'j', 'i', show=True)}}} J",
                f"= \\operatorname{{reshape}}\\left(\\left({frac_d('J', k)}\\right)^\\top\\right) "
                f"\\in \\mathbb{{R}}^{{{hk} \\times {wk}}}, "
                f"\\quad 1 \\leq j \\leq {d.cout}, \\ 1 \\leq i \\leq {d.cin}",
            )
        )
        if d.bias is not None:
            b = mat(d.bias, show=False)
            lines.append(
                Line(f"\\nabla_{{{b}}} J", f"= \\left({frac_d('J', b)}\\right)^\\top \\in \\mathbb{{R}}^{{{d.cout}}}")
            )
    if isinstance(d, DenseDerivation):
        w, b_in, z = mat(d.weights), mat(d.input), mat(d.output)
        lines.append(
            Line(
                f"\\nabla_{{{w}}} J",
                f"= \\left({frac_d('J', w)}\\right)^\\top = "
                + s(b_in, d.n_in, 1)
                + s(frac_d("J", z), 1, d.n_out)
                + f" \\in \\mathbb{{R}}^{{{d.n_in} \\times {d.n_out}}}",
            )
        )
        if d.bias is not None:
            b = mat(d.bias)
            lines.append(
                Line(f"\\nabla_{{{b}}} J", f"= \\left({frac_d('J', b)}\\right)^\\top \\in \\mathbb{{R}}^{{{d.n_out}}}")
            )
    return lines


def update_lines(d: Derivation) -> list[Line]:
    """Section 3: one gradient-descent step for each parameter."""
    lines = []
    if isinstance(d, ConvDerivation):
        k = mat(d.kernel, "j", "i", show=True)
        lines.append(
            Line(k, f":= {k} - \\alpha \\nabla_{{{k}}} J", f"for $1 \\leq j \\leq {d.cout}$, $1 \\leq i \\leq {d.cin}$")
        )
    if isinstance(d, DenseDerivation):
        w = mat(d.weights)
        lines.append(Line(w, f":= {w} - \\alpha \\nabla_{{{w}}} J"))
    bias = getattr(d, "bias", None)
    if bias is not None:
        b = mat(bias, show=False)
        lines.append(Line(b, f":= {b} - \\alpha \\nabla_{{{b}}} J"))
    return lines


def backward_lines(d: Derivation, ctx: dict[str, Any], first: bool) -> list[Line]:
    """The layer's step of the chain rule, taken from its own document data."""
    chain = ctx.get("chain")
    if isinstance(d, ConvDerivation):
        assert isinstance(chain, dict)
        return [*chain["K"], *chain["b"], *([] if first else chain["A"])]
    if d.kind == "flatten":
        return list(ctx["reshape"])
    if isinstance(d, SoftmaxDerivation):
        return [*ctx["dJ_dA"], *ctx["dA_dZ"], *ctx["dJ_dZ"]]
    assert isinstance(chain, list)
    return list(chain)


def context(net: NetworkDerivation, layer_context: Callable[[Derivation, int], dict[str, Any]]) -> dict[str, Any]:
    """Everything the network template lays out; ``layer_context(d, position)`` builds a
    layer's own data (the same that its single-layer document uses)."""
    ctxs = [layer_context(d, pos) for pos, d in enumerate(net.layers)]
    architecture = [
        {
            "pos": str(pos + 1),
            "l": str(d.layer),
            "kind": WHAT[d.kind].replace(" and cross-entropy loss", ", loss"),
            "input": f"${mat(d.input, show=False)} \\in \\mathbb{{R}}^{{{shape_text(d.spec.in_shape)}}}$",
            "output": f"${mat(d.output, show=False)} \\in \\mathbb{{R}}^{{{shape_text(d.spec.out_shape)}}}$",
            "settings": _settings(d),
            "params": _params(d),
        }
        for pos, d in enumerate(net.layers)
    ]
    backward = []
    for pos in range(len(net.layers) - 1, -1, -1):
        d = net.layers[pos]
        lines = backward_lines(d, ctxs[pos], first=pos == 0)
        if lines:
            backward.append(
                {
                    "title": f"Layer {pos + 1} ($l = {d.layer}$, {WHAT[d.kind]}): as in the seed's {SECTIONS[d.kind]}",
                    "lines": lines,
                }
            )
    n_params = sum(t.size for d in net.layers for t in d.params.values())
    has_max = any(isinstance(d, MaxPoolDerivation) for d in net.layers)
    return {
        "input": f"{mat(net.input, show=False)} \\in \\mathbb{{R}}^{{{shape_text(net.spec.in_shape)}}}",
        "layers": architecture,
        "n_params": n_params,
        "has_loss": net.loss_layer is not None,
        "has_max": has_max,
        "last": vname(net.layers[-1].output, show=False),
        "forward": [forward_line(d) for d in net.layers],
        "update": [line for d in net.layers for line in update_lines(d)],
        "backward": backward,
        "jacobians": [row for pos, d in enumerate(net.layers) for row in jacobian_rows(pos, d)],
        "gradients": [line for d in net.layers for line in gradient_lines(d)],
        "contexts": ctxs,
        "chain_pictures": pictures.chain_pictures(net),
    }


def size_lines(net: NetworkDerivation) -> list[Line]:
    """Every Jacobian's size, one line per group of equal ones (for fragments)."""
    lines = []
    for pos, d in enumerate(net.layers):
        for info in jacobian_rows(pos, d):
            span = f", \\quad {info['span']}" if info["span"] else ""
            lines.append(Line(info["jacobian"].strip("$"), f"\\in \\mathbb{{R}}^{{{info['dims']}}}{span}"))
    return lines
