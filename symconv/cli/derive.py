"""The main job.  For one layer or network (default: the seed's Appendix A layer), print
every layer's shapes and every Jacobian's size and number of nonzeros, and write into the
output folder (-o DIR, default symconv-out) the LaTeX derivation NAME.tex, its PDF when
pdflatex is installed, and the generated NumPy module NAME.py, whose numeric checks are then
run.  NAME is the config's name or the layer kind (appendix_a by default), so the files of
one job share a name and never mix with another job's.

Exit codes: 0 done and every check passed, 1 a check or the LaTeX compile failed,
2 invalid input."""

from __future__ import annotations

import argparse
import math
import re
from collections import OrderedDict
from keyword import iskeyword
from pathlib import Path
from typing import Any

from ..codegen.checks import check_module
from ..codegen.render import write_module
from ..derive import derive
from ..io import check_folder
from ..latex.compile import LatexError, have_pdflatex
from ..latex.document import write_document
from ..network import NetworkDerivation
from ..progress import Steps
from ..rule import Derivation, JacobianInfo
from ..specs import Network
from .common import DEFAULT_OUTPUT, add_layer_flags, default_stem, error_line, help_text, spec_from_args

EXAMPLES = """  symconv derive
  symconv derive --layer conv2d --input 5x6 --kernel 3x3 --padding 1 --stride 2 -o out
  symconv derive --config hand_sign --no-pdf"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "derive",
        help="derive a layer or network (default: the seed's Appendix A layer)",
        **help_text(__doc__, EXAMPLES),
    )
    add_layer_flags(p)
    g = p.add_argument_group("outputs")
    g.add_argument(
        "-o", "--output", metavar="DIR", default=DEFAULT_OUTPUT, help=f"output folder (default {DEFAULT_OUTPUT})"
    )
    g.add_argument("--no-pdf", action="store_true", help="write the .tex but do not run pdflatex")
    g.add_argument("--no-code", action="store_true", help="do not write and check the NumPy module")
    g.add_argument("--no-tex", action="store_true", help="do not write the LaTeX derivation")
    p.set_defaults(run=run)


def _dims(shape: tuple[int, ...]) -> str:
    return "x".join(str(n) for n in shape)


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
            pairs = math.prod(len(r) for r in ranges.values())
            # a kind may list only some of the index pairs (the others are zero matrices)
            some = f"{len(items)} of the {pairs} index pairs, " if len(items) < pairs else ""
            span += f" ({some}{len(items)} Jacobians)"
        # the output channel is j; the input channel of a conv is i (d vZ_j / d vA_i)
        is_input = key not in layer.params
        wrt_names = ["i"] if is_input and "i" in index else list(index)
        of = _name(layer.output.name, layer.layer, {k: v for k, v in index.items() if k == "j"})
        wrt = _name(key, layer.input.layer if is_input else layer.layer, {k: index[k] for k in wrt_names})
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
        extra = layer.spec.describe()
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
    stem = default_stem(args)
    out = Path(args.output)
    if not (args.no_tex and args.no_code):
        check_folder(out, "--output")
    with Steps("symconv derive", 5) as progress:
        progress.step("Jacobians")
        d = derive(spec)
        title = f"network of {len(spec.layers)} layers" if isinstance(spec, Network) else spec.kind
        print(f"symconv derive: {title}")
        for line in report(d):
            print(line)
        status = 0
        if not args.no_tex:
            pdf = not args.no_pdf and have_pdflatex()
            progress.step("LaTeX" + (" and PDF" if pdf else ""))
            try:
                for path in write_document(d, out, pdf=pdf, stem=stem):
                    print(f"wrote {path}")
            except LatexError as err:
                error_line(str(err))
                status = 1
            if not pdf and not args.no_pdf:
                print(
                    "pdflatex not found: wrote the .tex only (install texlive-latex-base and texlive-latex-recommended)"
                )
        if not args.no_code:
            progress.step("NumPy module")
            name = re.sub(r"\W", "_", stem)  # my-net.tex beside my_net.py
            module = write_module(
                spec, out, name if name.isidentifier() and not iskeyword(name) else None, command="symconv derive"
            )
            print(f"wrote {module}")
            progress.step("numeric checks")
            checks = check_module(module)
            for line in checks.lines():
                print(line)
            if not checks.ok:
                status = 1
    return status
