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
from ..pictures import pattern
from ..registry import kind, part
from ..rule import Derivation, JacobianInfo
from . import pictures
from .layout import Line
from .notation import dims, frac_d, mat, vname
from .remarks import remark


def shape_text(shape: tuple[int, ...]) -> str:
    return dims(*shape)


def _settings(d: Derivation) -> str:
    """The layer's settings (``Layer.settings``) in the document's notation."""
    parts = []
    for s in d.spec.settings():
        values = [v.replace("inf", "\\infty") for v in s.values]
        if s.size:
            shown = " \\times ".join(values)
        else:
            shown = values[0] if len(values) == 1 else "(" + ", ".join(values) + ")"
        parts.append(f"{s.label} ${shown}$" if values else s.label)
    return ", ".join(parts)


def _params(d: Derivation) -> str:
    return ", ".join(f"${mat(t, show=False)} \\in \\mathbb{{R}}^{{{shape_text(t.shape)}}}$" for t in d.params.values())


def forward_line(d: Derivation) -> Line:
    """The layer's forward equation (seed section 2) with this network's names."""
    return part(d, "latex").forward(d)


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


def context(net: NetworkDerivation, layer_context: Callable[[Derivation, int], dict[str, Any]]) -> dict[str, Any]:
    """Everything the network template lays out; ``layer_context(d, position)`` builds a
    layer's own data (the same that its single-layer document uses)."""
    ctxs = [layer_context(d, pos) for pos, d in enumerate(net.layers)]
    architecture = [
        {
            "pos": str(pos + 1),
            "l": str(d.layer),
            "kind": kind(d).what.replace(" and cross-entropy loss", ", loss"),
            "input": f"${mat(d.input, show=False)} \\in \\mathbb{{R}}^{{{shape_text(d.spec.in_shape)}}}$",
            "output": f"${mat(d.output, show=False)} \\in \\mathbb{{R}}^{{{shape_text(d.spec.out_shape)}}}$",
            "settings": _settings(d),
            "params": _params(d),
        }
        for pos, d in enumerate(net.layers)
    ]
    backward = []
    remarked: set[str] = set()  # each remark once, at the first step that needs it
    for pos in range(len(net.layers) - 1, -1, -1):
        d = net.layers[pos]
        k = kind(d)
        lines = part(d, "latex").backward(ctxs[pos], pos == 0)
        if lines:
            remarks = [r for r in ctxs[pos].get("chain_remarks", []) if r.seed not in remarked]
            remarked |= {r.seed for r in remarks}
            backward.append(
                {
                    "title": f"Layer {pos + 1} ($l = {d.layer}$, {k.what}): as in the seed's {k.backward_section}",
                    "lines": lines,
                    "remarks": remarks,
                }
            )
    n_params = sum(t.size for d in net.layers for t in d.params.values())
    has_max = any(d.input_dependent for d in net.layers)
    return {
        "input": f"{mat(net.input, show=False)} \\in \\mathbb{{R}}^{{{shape_text(net.spec.in_shape)}}}",
        "layers": architecture,
        "n_params": n_params,
        "has_loss": net.loss_layer is not None,
        "has_max": has_max,
        "last": vname(net.layers[-1].output, show=False),
        "forward": [forward_line(d) for d in net.layers],
        "update": [line for d in net.layers for line in part(d, "latex").update(d)],
        "backward": backward,
        "jacobians": [row for pos, d in enumerate(net.layers) for row in jacobian_rows(pos, d)],
        "gradients": [line for d in net.layers for line in part(d, "latex").gradients(d)],
        "bias_remark": [remark("grad-b")] if any("b" in d.params for d in net.layers) else [],
        "contexts": ctxs,
        "chain_pictures": chain_pictures(net),
    }


def size_lines(net: NetworkDerivation) -> list[Line]:
    """Every Jacobian's size, one line per group of equal ones (for fragments)."""
    lines = []
    for pos, d in enumerate(net.layers):
        for info in jacobian_rows(pos, d):
            span = f", \\quad {info['span']}" if info["span"] else ""
            lines.append(Line(info["jacobian"].strip("$"), f"\\in \\mathbb{{R}}^{{{info['dims']}}}{span}"))
    return lines


#: thumbnails per row, and their size, in a network's picture of its chain rule
CHAIN_ROW = 5
CHAIN_SIDE = 70.0


def chain_pictures(net: NetworkDerivation) -> list[list[pictures.Picture]]:
    """Rows of thumbnails: the pattern of every factor of the chain rule, loss end first."""
    pics = [
        pictures.pattern_picture(
            pattern(jac, max_cells=pictures.pattern_cells(jac.shape, 32)),
            frac_d(jac.of, jac.wrt),
            side=CHAIN_SIDE,
            brief=True,
        )
        for jac in net.chain()
    ]
    return [pictures.row(pics[k : k + CHAIN_ROW], CHAIN_ROW) for k in range(0, len(pics), CHAIN_ROW)]
