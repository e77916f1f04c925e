"""What every subcommand shares: one-line errors, the layer flags, the spec they give."""

from __future__ import annotations

import argparse
import math
import re
import sys
from typing import Any, NoReturn

from .. import limits
from ..config import BUILTINS, load_config
from ..errors import SpecError
from ..registry import LAYER_TYPES, layer_params, make_layer
from ..specs import Layer, Network
from ..text import escape

DEFAULT_CONFIG = "appendix_a"


class UsageError(Exception):
    """Bad command-line usage: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr and exit code 2, never usage spam."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and examples keep their line breaks."""


def version() -> str:
    """The installed symconv's version."""
    from importlib import metadata

    try:
        return metadata.version("symconv")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "unknown"


def help_text(doc: str | None, examples: str) -> dict[str, Any]:
    """``description`` (a module docstring, whole, with its ``backticks`` plain) and an
    ``epilog`` of examples, for ``add_parser``."""
    text = (doc or "").replace("``", "'")
    return {"description": text.strip(), "epilog": "example:\n" + examples, "formatter_class": HelpFormatter}


def add_budget_flags(parser: argparse.ArgumentParser) -> None:
    """The size budget of symconv.limits, for every subcommand."""
    g = parser.add_argument_group("limits (see symconv.limits)")
    b = limits.budget()
    g.add_argument("--max-symbols", metavar="N", help=f"largest derivation in symbols (default {b.max_symbols})")
    g.add_argument(
        "--max-nonzeros", metavar="N", help=f"largest derivation in Jacobian nonzeros (default {b.max_nonzeros})"
    )


def apply_budget(args: argparse.Namespace) -> None:
    fields = {}
    for key in ("max_symbols", "max_nonzeros"):
        text = getattr(args, key, None)
        if text is not None:
            if not re.fullmatch(r"\d{1,13}", text.strip()):
                raise SpecError(_flag(key), f"must be a whole number, got {escape(text, 40)!r}")
            fields[key] = int(text)
    limits.set_budget(**fields)


_SIZE = re.compile(r"^\d{1,13}(?:[x,]\d{1,13})*$")
_SIGNED = re.compile(r"^[+-]?\d{1,13}(?:[x,][+-]?\d{1,13})*$")


def ints(text: str, name: str, counts: tuple[int, ...]) -> int | tuple[int, ...]:
    """``"3x4"``, ``"1,2"`` or ``"3"`` as integers; never evaluated."""
    if not _SIZE.match(text.strip()):
        if _SIGNED.match(text.strip()):
            raise SpecError(name, f"must not be negative, got {escape(text, 40)}")
        raise SpecError(name, f"must be integers separated by 'x' or ',', got {escape(text, 40)!r}")
    values = tuple(int(t) for t in re.split(r"[x,]", text.strip()))
    if len(values) not in counts:
        shown = " or ".join(str(c) for c in counts)
        raise SpecError(name, f"takes {shown} numbers, got {len(values)} in {escape(text, 40)!r}")
    return values[0] if len(values) == 1 else values


def add_layer_flags(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("the layer (or give --config)")
    g.add_argument("--config", metavar="FILE", help=f"TOML config, or a built-in name: {', '.join(BUILTINS)}")
    g.add_argument("--layer", choices=list(LAYER_TYPES), help="layer type")
    g.add_argument("--input", metavar="HxW", help="input size, e.g. 3x4")
    g.add_argument("--kernel", metavar="HxW", help="conv2d, conv_transpose2d kernel size")
    g.add_argument("--window", metavar="HxW", help="pooling window size")
    g.add_argument("--padding", metavar="P", help="P, PH,PW or TOP,BOTTOM,LEFT,RIGHT; conv2d also same or valid")
    g.add_argument("--stride", metavar="SH,SW", help="stride (pooling default: the window)")
    g.add_argument("--dilation", metavar="DH,DW", help="dilation (default 1,1)")
    g.add_argument(
        "--output-padding", metavar="OH,OW", help="conv_transpose2d: rows and columns added at the bottom and right"
    )
    g.add_argument("--groups", metavar="N", help="conv2d, conv_transpose2d: channel groups (default 1)")
    g.add_argument("--in-channels", metavar="N", help="conv2d, conv_transpose2d input channels")
    g.add_argument("--out-channels", metavar="N", help="conv2d, conv_transpose2d output channels")
    g.add_argument("--channels", metavar="N", help="channels of a pooling, activation or flatten layer")
    g.add_argument("--features", metavar="N", help="vector length for an activation on a vector")
    g.add_argument("--in-features", metavar="N", help="dense input size")
    g.add_argument("--out-features", metavar="N", help="dense output size")
    g.add_argument("--classes", metavar="N", help="softmax_cross_entropy classes")
    g.add_argument("--no-bias", action="store_true", help="conv2d/dense without bias")
    g.add_argument("--pad-value", metavar="V", help="maxpool2d: value of padded entries, 0 or -inf (default 0)")
    g.add_argument("--output-size", metavar="HxW", help="adaptive pooling: output size")
    g.add_argument("--ceil-mode", action="store_true", help="pooling: round the output size up (PyTorch's ceil_mode)")
    g.add_argument(
        "--no-count-include-pad", action="store_true", help="avgpool2d: padded entries do not count in the divisor"
    )
    g.add_argument("--divisor-override", metavar="N", help="avgpool2d: one divisor for every window")
    g.add_argument(
        "--tie-order",
        metavar="ORDER",
        help="max pooling: ties go to the first maximum in 'column' (vΩ, default) or 'row' order",
    )


_FLAG_PARAMS: dict[str, tuple[str, tuple[int, ...]]] = {
    "input": ("input", (1, 2)),
    "kernel": ("kernel", (1, 2)),
    "window": ("window", (1, 2)),
    "padding": ("padding", (1, 2, 4)),
    "stride": ("stride", (1, 2)),
    "dilation": ("dilation", (1, 2)),
    "output_padding": ("output_padding", (1, 2)),
    "groups": ("groups", (1,)),
    "in_channels": ("in_channels", (1,)),
    "out_channels": ("out_channels", (1,)),
    "channels": ("channels", (1,)),
    "features": ("features", (1,)),
    "in_features": ("in_features", (1,)),
    "out_features": ("out_features", (1,)),
    "classes": ("classes", (1,)),
    "output_size": ("output", (1, 2)),
    "divisor_override": ("divisor_override", (1,)),
}

#: on/off flags: the parameter each sets and the value it sets it to
_SWITCHES: dict[str, tuple[str, bool]] = {
    "ceil_mode": ("ceil_mode", True),
    "no_count_include_pad": ("count_include_pad", False),
}


#: parameters whose flag has another name (``-o/--output`` is the output path)
_RENAMED = {"output": "output_size"}


def _flag(name: str) -> str:
    return "--" + _RENAMED.get(name, name).replace("_", "-")


def spec_from_args(args: argparse.Namespace, default: str | None = DEFAULT_CONFIG) -> Layer | Network:
    """The spec the flags describe: ``--config``, else ``--layer`` and its flags, else ``default``."""
    given = {k: getattr(args, k) for k in _FLAG_PARAMS if getattr(args, k, None) is not None}
    switches = [k for k in _SWITCHES if getattr(args, k, False)]
    extras = bool(given) or args.no_bias or args.pad_value is not None or bool(switches) or args.tie_order is not None
    if args.config is not None:
        if args.layer is not None or extras:
            raise SpecError("--config", "give either --config or layer flags, not both")
        return load_config(args.config)
    if args.layer is None:
        if extras:
            raise SpecError("--layer", "is required with layer flags")
        if default is None:
            raise SpecError("--layer", "give --layer with its flags, or --config")
        return load_config(default)
    accepted = set(layer_params(args.layer))
    kwargs: dict[str, Any] = {}
    for key, text in given.items():
        param, counts = _FLAG_PARAMS[key]
        if param not in accepted:
            raise SpecError(_flag(key), f"does not apply to {args.layer}")
        named = param == "padding" and text.strip() in ("same", "valid")  # conv2d: PyTorch's names
        kwargs[param] = text.strip() if named else ints(text, _flag(key), counts)
    if args.no_bias:
        if "bias" not in accepted:
            raise SpecError("--no-bias", f"does not apply to {args.layer}")
        kwargs["bias"] = False
    if args.pad_value is not None:
        if "pad_value" not in accepted:
            raise SpecError("--pad-value", f"does not apply to {args.layer}")
        kwargs["pad_value"] = _pad_value(args.pad_value)
    for key in switches:
        param, value = _SWITCHES[key]
        if param not in accepted:
            raise SpecError(_flag(key), f"does not apply to {args.layer}")
        kwargs[param] = value
    if args.tie_order is not None:
        if "tie_order" not in accepted:
            raise SpecError("--tie-order", f"does not apply to {args.layer}")
        kwargs["tie_order"] = args.tie_order
    spec = make_layer(args.layer, kwargs, _flag)
    if not spec.is_bound:
        raise SpecError(_flag(spec.size_field), f"is required for {args.layer}")
    return spec


def _pad_value(text: str) -> float:
    t = text.strip().lower()
    if t in ("-inf", "-infinity"):
        return -math.inf
    if re.fullmatch(r"-?0{1,12}(\.0{0,12})?", t):
        return 0.0
    raise SpecError("--pad-value", f"must be 0 (the seed's) or -inf (PyTorch's), got {escape(text, 40)!r}")


def reject_layer_flags(args: argparse.Namespace, why: str) -> None:
    """Refuse ``--config``, ``--layer`` and every layer flag (``why``: what takes their place)."""
    given = [k for k in ("config", "layer", *_FLAG_PARAMS, "pad_value") if getattr(args, k, None) is not None]
    if getattr(args, "no_bias", False):
        given.append("no_bias")
    if given:
        raise SpecError(_flag(given[0]), f"does not apply to {why}")


def error_line(message: str) -> None:
    """Print one line on stderr (newlines folded, control characters escaped)."""
    print("symconv: error: " + escape(" ".join(str(message).split())), file=sys.stderr)
