"""Write the derivation of a layer or network as a standalone LaTeX document (default:
the seed's Appendix A layer) into the folder -o DIR (default: symconv-out, made when
missing) as NAME.tex (--name; default: the config's name or the layer kind, so documents
of different layers never share a name); --pdf compiles it to NAME.pdf, --png renders its
pages too (NAME-1.png, ...).  An older NAME.pdf or NAME-N.png that this command did not
make again is removed, so no file beside NAME.tex is of another document.

Exit codes: 0 written, 1 pdflatex or pdftoppm failed, 2 invalid input.
"""

from __future__ import annotations

import argparse
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import SpecError
from ..io import check_folder
from ..latex.compile import LatexError
from ..latex.document import valid_stem, write_document
from ..registry import KINDS, kind, part
from ..specs import Layer, Network
from .common import DEFAULT_OUTPUT, add_layer_flags, default_stem, error_line, help_text, ints, spec_from_args

EXAMPLES = """  symconv latex --layer conv2d --input 5x6 --kernel 3x2 --padding 0,1,1,0 --stride 2,1 --pdf
  symconv latex --config hand_sign --pdf -o docs --name hand_sign"""

#: longest ``--values`` text accepted
MAX_VALUES_CHARS = 1_000_000
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
_SEPARATORS = re.compile(r"[\s,;]+")
_FLAGS = {"entry": "--entry", "values": "--values", "seed": "--seed", "stem": "--name"}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "latex",
        help="write the derivation as a LaTeX document (default: the seed's Appendix A layer)",
        **help_text(__doc__, EXAMPLES),
    )
    add_layer_flags(p)
    g = p.add_argument_group("the document")
    add_file_flags(g)
    g.add_argument("--pdf", action="store_true", help="compile it with pdflatex (FILE.pdf beside it)")
    g.add_argument("--png", action="store_true", help="also render the pages with pdftoppm (FILE-1.png, ...)")
    add_choice_flags(g)
    p.set_defaults(run=run)


def add_file_flags(g: Any) -> None:
    """``-o DIR`` and ``--name NAME``: where a document (or page) goes."""
    g.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        default=DEFAULT_OUTPUT,
        help=f"folder to write into (default: {DEFAULT_OUTPUT})",
    )
    g.add_argument("--name", metavar="NAME", help="file name stem (default: the config's name, or the layer kind)")


def entry_forms() -> str:
    """How ``--entry`` is written for each kind that has a worked entry (its document's
    ``entry_help``), kinds of the same form together."""
    forms: dict[str, list[str]] = {}
    for name in KINDS:
        text = part(name, "latex").entry_help
        if text:
            forms.setdefault(text, []).append(name)
    return "; ".join(f"{', '.join(names)}: {text}" for text, names in forms.items())


def add_choice_flags(g: Any) -> None:
    """The flags that choose what a document (or page) works out: ``--entry``, ``--seed``, ``--values``."""
    g.add_argument(
        "--entry",
        metavar="P,Q,R,S",
        help="the worked entry, 1-based: " + entry_forms(),
    )
    g.add_argument("--seed", metavar="N", help="max pooling: seed of the random example input (default 0)")
    g.add_argument(
        "--values",
        metavar="NUMBERS",
        help="max pooling: the example input, row by row, numbers separated by commas or spaces",
    )


def parse_values(text: str) -> np.ndarray:
    """Numbers separated by commas, semicolons or spaces, parsed strictly as decimal
    numbers (never evaluated)."""
    if len(text) > MAX_VALUES_CHARS:
        raise SpecError("--values", f"is longer than {MAX_VALUES_CHARS} characters")
    tokens = [t for t in _SEPARATORS.split(text.strip()) if t]
    if not tokens:
        raise SpecError("--values", "must hold at least one number")
    out = []
    for t in tokens:
        if not _NUMBER.fullmatch(t):
            raise SpecError("--values", f"must be decimal numbers separated by commas or spaces, got {t[:20]!r}")
        value = float(t)
        if not math.isfinite(value):
            raise SpecError("--values", f"must be finite numbers, got {t[:20]!r}")
        out.append(value)
    return np.array(out)


def _takes_example(layer: Layer) -> bool:
    """Whether the layer's document works an example input (max pooling's switches)."""
    return kind(layer).rule.input_dependent


def _has_max_pool(spec: Layer | Network) -> bool:
    layers = spec.layers if isinstance(spec, Network) else (spec,)
    return any(_takes_example(layer) for layer in layers)


@dataclass(frozen=True)
class Choices:
    """What the command line chose for a document or page: the file stem and the worked entry,
    seed and example input."""

    stem: str
    entry: tuple[int, ...] | None
    seed: int
    values: np.ndarray | None


def choices(args: argparse.Namespace, spec: Layer | Network, suffix: str) -> Choices:
    """``--name`` (without ``suffix``), ``--entry``, ``--seed`` and ``--values`` checked against ``spec``."""
    if args.output.endswith(suffix):
        raise SpecError("--output", f"is the folder to write into; for the file name use --name, got {args.output!r}")
    name = default_stem(args) if args.name is None else args.name
    stem = name[: -len(suffix)] if name.endswith(suffix) else name
    if not valid_stem(stem):
        raise SpecError("--name", f"must be a plain file name (letters, digits, '_', '.', '-'), got {stem!r}")
    entry = None
    if args.entry is not None:
        parsed = ints(args.entry, "--entry", (2, 3, 4, 6, 8))
        entry = parsed if isinstance(parsed, tuple) else (parsed,)
    seed = 0
    if args.seed is not None:
        if not _has_max_pool(spec):
            raise SpecError("--seed", "sets the example input of max pooling; this spec has no max-pooling layer")
        seed = int(ints(args.seed, "--seed", (1,)))  # type: ignore[arg-type]
    values = None
    if args.values is not None:
        if not isinstance(spec, Layer) or not _takes_example(spec):
            raise SpecError("--values", "gives the input of a single max-pooling layer")
        if args.seed is not None:
            raise SpecError("--values", "give either --values or --seed, not both")
        values = parse_values(args.values)
    return Choices(stem, entry, seed, values)


def flag_error(err: SpecError) -> SpecError:
    """An error about a document option, named by its flag."""
    return SpecError(_FLAGS.get(err.parameter, err.parameter), err.rule)


def run(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    chosen = choices(args, spec, ".tex")
    out = check_folder(args.output, "--output")
    try:
        paths = write_document(
            spec,
            out,
            pdf=args.pdf or args.png,
            png=args.png,
            stem=chosen.stem,
            entry=chosen.entry,
            seed=chosen.seed,
            values=chosen.values,
        )
    except SpecError as err:
        raise flag_error(err) from None
    except LatexError as err:
        error_line(str(err))
        return 1
    for path in paths:
        print(path)
    return 0
