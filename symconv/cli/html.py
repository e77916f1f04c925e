"""Write the derivation of a layer or network as one self-contained HTML page (default: the
seed's Appendix A layer) into the folder -o DIR (default: symconv-out, made when missing)
as NAME.html (--name; default: the config's name or the layer kind).  The page has the
LaTeX document's sections and worked entries, math as MathML and live SVG pictures, and
loads nothing from outside: open it in any browser, offline.

Exit codes: 0 written, 2 invalid input.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import SpecError
from ..html.page import write_page
from ..io import check_folder
from .common import add_layer_flags, help_text, spec_from_args
from .latex import add_choice_flags, add_file_flags, choices, flag_error

EXAMPLES = """  symconv html                                   the seed's Appendix A layer: derivation.html
  symconv html --config hand_sign -o docs --name hand_sign
  symconv html --layer maxpool2d --input 3x4 --window 3x2 --padding 1,1 --stride 1,2"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "html",
        help="write the derivation as one self-contained HTML page (default: the seed's Appendix A layer)",
        **help_text(__doc__, EXAMPLES),
    )
    add_layer_flags(p)
    g = p.add_argument_group("the page")
    add_file_flags(g)
    add_choice_flags(g)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    spec = spec_from_args(args)
    chosen = choices(args, spec, ".html")
    out = check_folder(args.output, "--output")
    try:
        path = write_page(spec, out, stem=chosen.stem, entry=chosen.entry, seed=chosen.seed, values=chosen.values)
    except SpecError as err:
        raise flag_error(err) from None
    print(path)
    return 0
