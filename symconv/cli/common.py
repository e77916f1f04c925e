"""What every subcommand shares: one-line errors, the layer flags, the spec they give."""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from .. import limits
from ..config import BUILTINS, load_config
from ..errors import SpecError
from ..registry import LAYER_TYPES, layer_params, make_layer
from ..specs import Flag, Layer, Network
from ..text import escape

DEFAULT_CONFIG = "appendix_a"
#: the folder the commands that write documents write into by default, made when missing
DEFAULT_OUTPUT = "symconv-out"


class UsageError(Exception):
    """Bad command-line usage: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr and exit code 2, never usage spam."""

    def error(self, message: str) -> NoReturn:
        # the line's own "symconv: error: " names the program; a subcommand names itself
        command = self.prog.partition(" ")[2]
        raise UsageError(f"{command}: {message}" if command else message)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and examples keep their line breaks."""


def plain(doc: str | None) -> str:
    """A docstring as ``--help`` shows it: its ``literals`` quoted plainly, no markup."""
    return re.sub(r"``([^`]*)``", r"'\1'", doc or "").strip()


def help_text(doc: str | None, examples: str) -> dict[str, Any]:
    """``description`` (a module docstring, whole, with its ``backticks`` plain) and an
    ``epilog`` of examples, for ``add_parser``."""
    return {"description": plain(doc), "epilog": "example:\n" + examples, "formatter_class": HelpFormatter}


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
            fields[key] = int(ints(text, "--" + key.replace("_", "-"), (1,)))  # type: ignore[arg-type]
    limits.set_budget(**fields)


_SIZE = re.compile(r"^\d+(?:[x,]\d+)*$")
_SIGNED = re.compile(r"^[+-]?\d+(?:[x,][+-]?\d+)*$")
#: the most digits a number on the command line may have (every size and budget is far below)
MAX_DIGITS = 13


def ints(text: str, name: str, counts: tuple[int, ...], signed: bool = False) -> int | tuple[int, ...]:
    """``"3x4"``, ``"1,2"`` or ``"3"`` as integers (``"-1,2"`` where ``signed``); never evaluated."""
    if not (_SIGNED if signed else _SIZE).match(text.strip()):
        if _SIGNED.match(text.strip()):
            raise SpecError(name, f"must not be negative, got {escape(text, 40)}")
        raise SpecError(name, f"must be integers separated by 'x' or ',', got {escape(text, 40)!r}")
    tokens = re.split(r"[x,]", text.strip())
    large = next((t for t in tokens if len(t.lstrip("+-").lstrip("0")) > MAX_DIGITS), None)
    if large is not None:
        raise SpecError(name, f"has a number too large: {escape(large, 40)} (at most {MAX_DIGITS} digits)")
    values = tuple(int(t) for t in tokens)
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
    counts = _counts(o, kind)
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
            raise _without_layer(args, given)
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


def _without_layer(args: argparse.Namespace, given: list[_Option]) -> SpecError:
    """Layer flags without ``--layer``: the error their values earn (checked as each kind that
    takes them all reads them, so ``--kernel 0`` is told what is wrong with it) unless some
    kind makes a layer of them, else the error that says ``--layer`` is missing and which
    kinds take those flags (``--input 0x3``: an empty input is a layer now)."""
    for o in given:  # the syntax every kind shares: integers, not too large, a count some kind takes
        value = getattr(args, o.dest)
        if o.switch is None and value.strip() not in o.words:
            counts = {c for k in LAYER_TYPES if o.field in layer_params(k) for c in _counts(o, k)}
            if counts:
                ints(value, o.flag, tuple(sorted(counts)), any(meta.signed for meta, _ in o.helps))
    flags = {o.flag for o in given}
    takers, refused, made = [], [], False  # kinds that take the flags; the values they refuse
    for kind in LAYER_TYPES:
        if not {o.field for o in given} <= set(layer_params(kind)):
            continue
        try:
            kwargs = {o.field: _value(o, getattr(args, o.dest), kind) if o.switch is None else o.switch for o in given}
        except SpecError:
            continue  # a count of numbers that is not this kind's
        try:
            make_layer(kind, kwargs, _label)
            made = True
        except SpecError as err:
            if err.parameter in flags:
                refused.append(err)
                continue
        takers.append(kind)  # it makes a layer of these values, or lacks another flag
    shown = ", ".join(o.flag for o in given)
    if refused and not made:
        return refused[0]
    if not takers:
        return SpecError("--layer", f"is needed with {shown}, and no layer kind takes them all together")
    which = "it describes" if len(given) == 1 else "they describe"
    return SpecError("--layer", f"is needed with {shown}, to say which layer {which}: {', '.join(takers)}")


def _counts(o: _Option, kind: str) -> tuple[int, ...]:
    return _flag_of(kind, o.field).counts_for(LAYER_TYPES[kind].ndim)


def default_stem(args: argparse.Namespace) -> str:
    """The file name a document takes without ``--name``: the config's name (``hand_sign``,
    ``my_net`` for ``my_net.toml``), the layer kind, or the default config's name, so that
    the documents of different layers never share a name."""
    if args.config is not None:
        return re.sub(r"[^A-Za-z0-9_.-]", "_", Path(args.config).stem) or DEFAULT_CONFIG
    return args.layer if args.layer is not None else DEFAULT_CONFIG


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
