"""``symconv derive``: the main job.  For one layer or network (default: the seed's
Appendix A layer) print every layer's shapes and every Jacobian's size and number of
nonzeros, and write the derivation's outputs into a folder."""

from __future__ import annotations

import argparse
from collections import OrderedDict
from typing import Any

from ..derive import derive
from ..network import NetworkDerivation
from ..rules.base import Derivation, JacobianInfo
from ..specs import Layer, Network
from .common import add_layer_flags, spec_from_args


def add_parser(sub: Any) -> None:
    p = sub.add_parser("derive", help="derive a layer or network (default: the seed's Appendix A layer)")
    add_layer_flags(p)
    p.set_defaults(run=run)


def _dims(shape: tuple[int, ...]) -> str:
    return "x".join(str(n) for n in shape)


def describe(spec: Layer) -> str:
    """The hyper-parameters of a layer, one short phrase."""
    cfg = spec.config()
    parts = []
    for key in ("kernel", "window", "padding", "stride", "dilation"):
        if key in cfg and not (key == "dilation" and cfg[key] == [1, 1]):
            parts.append(f"{key} {','.join(str(v) for v in cfg[key])}")
    if cfg.get("bias") is False:
        parts.append("no bias")
    if "pad_value" in cfg and cfg["pad_value"] not in (0, 0.0):
        parts.append(f"pad value {cfg['pad_value']}")
    return ", ".join(parts)


def _name(base: str, layer: int | None, index: dict[str, str]) -> str:
    sub = ",".join(index.values())
    sup = f"^[{layer}]" if layer is not None else ""
    return f"{base}{sup}" + (f"_{sub}" if sub else "")


def _jacobian_lines(layer: Derivation) -> list[str]:
    """Jacobians that differ only in their channel indices share a line."""
    groups: OrderedDict[tuple[str, tuple[int, int], int | None], list[JacobianInfo]] = OrderedDict()
    for info in layer.jacobian_list():
        groups.setdefault((info.key, info.shape, info.nnz), []).append(info)
    lines = []
    for (key, shape, nnz), items in groups.items():
        names = [n for n, _ in items[0].index]
        if len(items) == 1:
            index = {n: str(v + 1) for n, v in items[0].index}
            span = ""
        else:
            index = {n: n for n in names}
            ranges = {n: sorted({dict(i.index)[n] + 1 for i in items}) for n in names}
            span = " for " + ", ".join(
                f"{n}={r[0]}..{r[-1]}" if len(r) > 1 else f"{n}={r[0]}" for n, r in ranges.items()
            )
            span += f" ({len(items)} Jacobians)"
        out_index = {"j": index["j"]} if "j" in index else {}
        wrt_layer = layer.layer if key in layer.params else layer.input.layer
        wrt_index = {k: v for k, v in index.items() if k in ("j", "i")} if key != "b" else out_index
        if key not in layer.params and key != "b":
            wrt_index = (
                {"j": index["j"]} if "j" in index and "i" not in index else {"i": index["i"]} if "i" in index else {}
            )
        of = _name(layer.output.name, layer.layer, out_index)
        wrt = _name(key, wrt_layer, wrt_index)
        count = f"{nnz} nonzeros" if nnz is not None else f"at most {items[0].max_nnz} nonzeros (set by the input)"
        each = " each" if len(items) > 1 else ""
        lines.append(f"    d vec({of}) / d vec({wrt}){span}: {shape[0]} x {shape[1]}, {count}{each}")
    return lines


def report(d: Derivation | NetworkDerivation) -> list[str]:
    layers = d.layers if isinstance(d, NetworkDerivation) else [d]
    lines = []
    total = 0
    count = 0
    for pos, layer in enumerate(layers):
        tag = f" (layer {layer.layer})" if layer.layer is not None else ""
        extra = describe(layer.spec)
        lines.append(
            f"[{pos + 1}] {layer.kind}{tag}: {layer.input.name} {_dims(layer.spec.in_shape)}"
            f" -> {layer.output.name} {_dims(layer.spec.out_shape)}" + (f"; {extra}" if extra else "")
        )
        lines.extend(_jacobian_lines(layer))
        infos = layer.jacobian_list()
        total += sum(i.max_nnz for i in infos)
        count += len(infos)
    lines.append(f"{count} Jacobians, {total} stored nonzeros at most")
    return lines


def run(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    d = derive(spec)
    title = f"network of {len(spec.layers)} layers" if isinstance(spec, Network) else spec.kind
    print(f"symconv derive: {title}")
    for line in report(d):
        print(line)
    return 0
