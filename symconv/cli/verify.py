"""Check hand-derived claims about a layer or network, written in a TOML file (see
docs/verify.md, and the language summary in symconv/verify/__init__.py).  Prints one line
per claim, with details for those that fail or are invalid.  The name seed_audit runs the
shipped audit of the seed's own equations.  Several files are checked in one run (one
start-up), each reported in turn.

Exit codes: 0 all claims hold, 1 some fail, 2 a file or a claim is invalid (with several
files, the largest)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..errors import SpecError
from ..progress import Steps
from ..text import plural
from ..verify import BUILTINS, verify_file
from ..verify.claims import Report
from ..verify.report import format_report
from ..verify.values import short
from .common import error_line, help_text

EXAMPLES = """  symconv verify seed_audit
  symconv verify examples/textbook_index_notation.toml examples/textbook_index_mistakes.toml
  symconv verify examples/verify_conv_channels.toml --verbose"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "verify",
        help="check hand-derived claims (claims TOML files, or the built-in seed_audit)",
        **help_text(__doc__, EXAMPLES),
    )
    p.add_argument(
        "claims", metavar="CLAIMS", nargs="+", help=f"claims files (TOML) or a built-in name: {', '.join(BUILTINS)}"
    )
    p.add_argument("--verbose", "-v", action="store_true", help="show every claim's text, not only failing ones")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(run=run)


def report_json(report: Report) -> dict[str, Any]:
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
        if r.notes:
            item["notes"] = list(r.notes)
        if r.hint:
            item["hint"] = r.hint
        if r.labels:
            item["indices"] = list(r.labels)
        if r.outcomes:
            item["configurations"] = [{"configuration": c, "status": s} for c, s in r.outcomes]
            if r.smallest:
                item["smallest"] = r.smallest
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
    data: dict[str, Any] = {"name": report.name, "exit_code": report.exit_code, "results": out}
    if report.warnings:
        data["warnings"] = [f"{part}: {w}" for part, w in report.warnings]
    return data


def as_json(report: Report) -> str:
    return json.dumps(report_json(report), indent=2)


def run(args: argparse.Namespace) -> int:
    if len(args.claims) == 1:  # one file: a file that is not valid is the command's one error line
        with Steps("symconv verify") as progress:
            report = verify_file(args.claims[0], progress=progress)
        if args.json:
            print(as_json(report))
        else:
            print(format_report(report, verbose=args.verbose), end="")
        return report.exit_code
    codes: list[int] = []
    broken = 0
    reports: list[dict[str, Any]] = []
    counts = {"holds": 0, "fails": 0, "invalid": 0}
    for k, source in enumerate(args.claims):
        try:
            with Steps("symconv verify") as progress:
                report = verify_file(source, progress=progress)
        except SpecError as err:
            error_line(f"{source}: {err}")
            codes.append(2)
            broken += 1
            reports.append({"name": source, "exit_code": 2, "error": str(err)})
            continue
        codes.append(report.exit_code)
        for status, n in report.counts().items():
            counts[status] += n
        if args.json:
            reports.append(report_json(report))
        else:
            print(("\n" if k else "") + format_report(report, verbose=args.verbose), end="")
    code = max(codes)
    if args.json:
        print(json.dumps({"exit_code": code, "files": reports}, indent=2))
    else:
        total = sum(counts.values())
        holds = f"{counts['holds']} {'holds' if counts['holds'] == 1 else 'hold'}"
        fails = f"{counts['fails']} {'fails' if counts['fails'] == 1 else 'fail'}"
        files = plural(len(codes), "file")
        print(f"\n{files}, {plural(total, 'claim')}: {holds}, {fails}, {counts['invalid']} invalid", end="")
        print(f" ({plural(broken, 'file')} not valid)" if broken else "")
    return code
