"""What every subcommand shares: one-line errors, the layer flags, the spec they give."""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from dataclasses import dataclass
from typing import Any, NoReturn

from .. import limits
from ..config import BUILTINS, load_config
from ..errors import SpecError
from ..registry import LAYER_TYPES, layer_params, make_layer
from ..specs import Flag, Layer, Network
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
                raise SpecError("--" + key.replace("_", "-"), f"must be a whole number, got {escape(text, 40)!r}")
            fields[key] = int(text)
    limits.set_budget(**fields)


_SIZE = re.compile(r"^\d{1,13}(?:[x,]\d{1,13})*$")
_SIGNED = re.compile(r"^[+-]?\d{1,13}(?:[x,][+-]?\d{1,13})*$")


def ints(text: str, name: str, counts: tuple[int, ...], signed: bool = False) -> int | tuple[int, ...]:
    """``"3x4"``, ``"1,2"`` or ``"3"`` as integers (``"-1,2"`` where ``signed``); never evaluated."""
    if not (_SIGNED if signed else _SIZE).match(text.strip()):
        if _SIGNED.match(text.strip()):
            raise SpecError(name, f"must not be negative, got {escape(text, 40)}")
        raise SpecError(name, f"must be integers separated by 'x' or ',', got {escape(text, 40)!r}")
    values = tuple(int(t) for t in re.split(r"[x,]", text.strip()))
    if len(values) not in counts:
        shown = " or ".join(str(c) for c in counts)
        raise SpecError(name, f"takes {shown} numbers, got {len(values)} in {escape(text, 40)!r}")
    return values[0] if len(values) == 1 else values


@dataclass(frozen=True)
class _Option:
    """One layer flag, gathered over every kind with a spec field of that name: each distinct
    :class:`~symconv.specs.Flag` with the kinds that declare it (``helps``)."""

    field: str
    flag: str
    helps: tuple[tuple[Flag, tuple[str, ...]], ...]
    #: the value a switch sets (``--ceil-mode``: True, ``--no-bias``: False); None: takes a value
    switch: bool | None

    @property
    def dest(self) -> str:
        return "layer_" + self.field  # never the same as another argument's (``-o/--output``)

    @property
    def meta(self) -> Flag:
        return self.helps[0][0]

    @property
    def words(self) -> tuple[str, ...]:
        """Words taken instead of integers by some kind (conv2d's padding ``same``/``valid``)."""
        return tuple(w for meta, _ in self.helps for w in meta.words)

    def help(self) -> str:
        parts = []
        for meta, kinds in self.helps:
            words = f", or {' or '.join(meta.words)}" if meta.words else ""
            named = "" if len(kinds) == len(LAYER_TYPES) else ", ".join(kinds) + ": "
            parts.append(f"{named}{meta.help}{words}")
        return "; ".join(parts)


def _options() -> dict[str, _Option]:
    """The layer flags, one per spec field name, from the fields of every registered kind."""
    out: dict[str, _Option] = {}
    for name, cls in LAYER_TYPES.items():
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            meta = f.metadata.get("flag")
            if meta is None:
                continue
            if f.name in out:
                o = out[f.name]
                metas = [m for m, _ in o.helps]
                helps = [(m, (*k, name) if m == meta else k) for m, k in o.helps]
                out[f.name] = dataclasses.replace(
                    o, helps=tuple(helps) if meta in metas else (*o.helps, (meta, (name,)))
                )
                continue
            stem = (meta.name or f.name).replace("_", "-")
            switch = (not f.default) if isinstance(f.default, bool) else None
            flag = f"--{'no-' if switch is False else ''}{stem}"
            out[f.name] = _Option(f.name, flag, ((meta, (name,)),), switch)
    return out


OPTIONS = _options()


def add_layer_flags(parser: argparse.ArgumentParser) -> None:
    """``--config``, ``--layer`` and one flag per spec field (help from the fields' own :class:`Flag`)."""
    g = parser.add_argument_group("the layer (or give --config)")
    g.add_argument("--config", metavar="FILE", help=f"TOML config, or a built-in name: {', '.join(BUILTINS)}")
    g.add_argument("--layer", choices=list(LAYER_TYPES), help="layer type")
    for o in OPTIONS.values():
        if o.switch is None:
            g.add_argument(o.flag, dest=o.dest, metavar=o.meta.metavar, help=o.help())
        else:
            g.add_argument(o.flag, dest=o.dest, action="store_const", const=o.switch, help=o.help())


def _given(args: argparse.Namespace) -> list[_Option]:
    return [o for o in OPTIONS.values() if getattr(args, o.dest, None) is not None]


def _flag_of(kind: str, field: str) -> Flag:
    """The :class:`Flag` that kind ``kind`` declares for its field ``field``."""
    cls = LAYER_TYPES[kind]
    return next(f.metadata["flag"] for f in dataclasses.fields(cls) if f.name == field)  # type: ignore[arg-type]


def _value(o: _Option, text: str, kind: str) -> Any:
    """A flag's value: integers (as many as ``kind`` takes there), one of its words, or text
    the spec validates itself."""
    meta = _flag_of(kind, o.field)
    counts = meta.counts_for(LAYER_TYPES[kind].ndim)
    if not counts or text.strip() in meta.words:
        return text.strip()
    return ints(text, o.flag, counts, meta.signed)


def _label(param: str) -> str:
    """How the command line names a spec's parameter in an error: its flag."""
    o = OPTIONS.get(param)
    return o.flag if o is not None else "--" + param.replace("_", "-")


def spec_from_args(args: argparse.Namespace, default: str | None = DEFAULT_CONFIG) -> Layer | Network:
    """The spec the flags describe: ``--config``, else ``--layer`` and its flags, else ``default``."""
    given = _given(args)
    if args.config is not None:
        if args.layer is not None or given:
            raise SpecError("--config", "give either --config or layer flags, not both")
        return load_config(args.config)
    if args.layer is None:
        if given:
            raise SpecError("--layer", "is required with layer flags")
        if default is None:
            raise SpecError("--layer", "give --layer with its flags, or --config")
        return load_config(default)
    accepted = set(layer_params(args.layer))
    kwargs: dict[str, Any] = {}
    for o in given:
        if o.field not in accepted:
            raise SpecError(o.flag, f"does not apply to {args.layer}")
        value = getattr(args, o.dest)
        kwargs[o.field] = value if o.switch is not None else _value(o, value, args.layer)
    spec = make_layer(args.layer, kwargs, _label)
    if not spec.is_bound:
        raise SpecError(_label(spec.size_field), f"is required for {args.layer}")
    return spec


def reject_layer_flags(args: argparse.Namespace, why: str) -> None:
    """Refuse ``--config``, ``--layer`` and every layer flag (``why``: what takes their place)."""
    for name in ("config", "layer"):
        if getattr(args, name, None) is not None:
            raise SpecError(f"--{name}", f"does not apply to {why}")
    given = _given(args)
    if given:
        raise SpecError(given[0].flag, f"does not apply to {why}")


def error_line(message: str) -> None:
    """Print one line on stderr (newlines folded, control characters escaped)."""
    print("symconv: error: " + escape(" ".join(str(message).split())), file=sys.stderr)
