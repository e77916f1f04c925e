"""Check hand-derived claims about a layer or network, written in a TOML file (see the
language summary in symconv/verify/__init__.py).  Prints one line per claim, with details
for those that fail or are invalid.  The name seed_audit runs the shipped audit of the
seed's own equations.

Exit codes: 0 all claims hold, 1 some fail, 2 the file or a claim is invalid."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..progress import Steps
from ..verify import BUILTINS, verify_file
from ..verify.claims import Report
from ..verify.report import format_report
from ..verify.values import short
from .common import help_text

EXAMPLES = """  symconv verify seed_audit
  symconv verify examples/verify_conv_channels.toml --verbose"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "verify",
        help="check hand-derived claims (a claims TOML file, or the built-in seed_audit)",
        **help_text(__doc__, EXAMPLES),
    )
    p.add_argument("claims", metavar="CLAIMS", help=f"claims file (TOML) or a built-in name: {', '.join(BUILTINS)}")
    p.add_argument("--verbose", "-v", action="store_true", help="show every claim's text, not only failing ones")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(run=run)


def as_json(report: Report) -> str:
    out = []
    for r in report.results:
        item: dict[str, Any] = {
            "id": r.id,
            "status": r.status,
            "method": r.method,
            "message": r.message,
            "part": r.part,
        }
        if r.claim is not None and r.claim.where:
            item["where"] = r.claim.where
        if r.correct is not None:
            item["correct"] = short(r.correct, 2000)
        if r.differing:
            item["differing"] = [
                {
                    "entry": list(d.entry),
                    "lhs": short(d.lhs, 500),
                    "rhs": short(d.rhs, 500),
                    "difference": None if d.delta is None else short(d.delta, 2000),
                }
                for d in r.differing
            ]
        if r.counterexample is not None:
            cx = r.counterexample
            item["counterexample"] = {
                "values": {str(s): str(v) for s, v in cx.values},
                "entry": list(cx.entry),
                "lhs": str(cx.lhs),
                "rhs": str(cx.rhs),
            }
        out.append(item)
    return json.dumps({"name": report.name, "exit_code": report.exit_code, "results": out}, indent=2)


def run(args: argparse.Namespace) -> int:
    with Steps("symconv verify") as progress:
        report = verify_file(args.claims, progress=progress)
    if args.json:
        print(as_json(report))
    else:
        print(format_report(report, verbose=args.verbose), end="")
    return report.exit_code
