"""The readable report printed by ``symconv verify``."""

from __future__ import annotations

import sympy as sp

from ..text import escape, plural
from .claims import ClaimResult, Report
from .values import short

_TAG = {"holds": "holds  ", "fails": "FAILS  ", "invalid": "INVALID"}
_INDENT = " " * 11


def _position(entry: tuple[int, ...], labels: tuple[str, ...] = ()) -> str:
    """``(3, 2)``, or with free indices ``m = 2, n = 1`` (and the entry after them)."""
    if labels:
        named = ", ".join(f"{n} = {v}" for n, v in zip(labels, entry, strict=False))
        rest = entry[len(labels) :]
        return named + (f", entry ({', '.join(map(str, rest))})" if rest else "")
    return "(" + ", ".join(str(i) for i in entry) + ")" if entry else ""


def difference_text(delta: sp.Expr, limit: int = 600) -> str:
    """``lhs - rhs`` term by term; when it is long, how many terms and the first ones (the
    difference itself is never cut to look like something else)."""
    terms = sp.Add.make_args(delta)
    text = short(delta, 10 * limit)
    if len(text) <= limit:
        return text
    shown = ""
    for k, t in enumerate(terms):
        piece = sp.sstr(t)
        if len(shown) + len(piece) > limit:
            return f"{shown} ... ({len(terms) - k} more of {len(terms)} terms)"
        shown += ("" if k == 0 else " + ") + piece
    return shown


def claim_lines(r: ClaimResult, *, verbose: bool = False) -> list[str]:
    """The lines for one claim: a heading, then details for failing and invalid claims."""
    claim = r.claim
    where = f"  [{claim.where}]" if claim is not None and claim.where else ""
    how = f"  ({r.method})" if r.holds and r.method else ""
    lines = [f"  {_TAG[r.status]}  {r.id}{where}{how}"]
    if claim is not None and (verbose or not r.holds):
        kind = "LaTeX" if claim.latex else "expr"
        lines.append(f"{_INDENT}claim ({kind}): {short(claim.lhs, 160)}  {claim.relation}  {short(claim.rhs, 160)}")
    lines.extend(f"{_INDENT}{note}" for note in r.notes)
    if r.invalid:
        lines.append(f"{_INDENT}error: {r.message}")
    if r.fails:
        lines.append(f"{_INDENT}{r.message}; decided by {r.method}")
        if r.hint:
            lines.append(f"{_INDENT}hint: {r.hint}")
        if r.correct is not None:
            lines.append(f"{_INDENT}correct value: {short(r.correct)}")
        for d in r.differing[:6]:
            at = _position(d.entry, r.labels)
            lines.append(
                f"{_INDENT}differs{' at ' + at if at else ''}: left {short(d.lhs, 120)}  vs  right {short(d.rhs, 120)}"
            )
            if d.delta is not None:
                lines.append(f"{_INDENT}    left - right = {difference_text(d.delta)}")
        if r.n_differing > 6:
            what = "index values" if r.labels else "entries"
            lines.append(f"{_INDENT}... and {r.n_differing - 6} more {what}")
        cx = r.counterexample
        if cx is not None and not cx.values:
            lines.append(f"{_INDENT}(no variables: the two sides are different numbers)")
        elif cx is not None:
            values = ", ".join(f"{s} = {v}" for s, v in cx.values[:24])
            more = f" (and {len(cx.values) - 24} more)" if len(cx.values) > 24 else ""
            at = _position(cx.entry, r.labels)
            lines.append(
                f"{_INDENT}counterexample: {values}{more}  ->  left {short(cx.lhs, 60)}, right {short(cx.rhs, 60)}"
                + (f" at {at}" if at else "")
            )
    if claim is not None and claim.note and (verbose or not r.holds):
        lines.append(f"{_INDENT}note: {claim.note}")
    return lines


def _layout_line(report: Report, label: str) -> str:
    """The layout of a part whose claims take layout-dependent derivatives."""
    part = next((p for p in report.parts if (p.title or p.subject) == label), None)
    if part is None or not any(r.layout_sensitive for r in report.results if r.part == label):
        return ""
    o = part.options
    return f"{_INDENT}layout: {o.layout}" + ("" if o.layout_stated else " (the default: this file states no layout)")


def format_report(report: Report, *, verbose: bool = False) -> str:
    lines = [f"symconv verify: {report.name}" + (f" -- {report.title}" if report.title else "")]
    current = None
    for r in report.results:
        if r.part != current:
            current = r.part
            part = next((p for p in report.parts if (p.title or p.subject) == r.part), None)
            lines.append("")
            lines.append(f"[{r.part}]" + (f" {part.subject}" if part is not None and part.title else ""))
            layout = _layout_line(report, r.part)
            if layout:
                lines.append(layout)
            lines.extend(f"{_INDENT}warning: {w}" for label, w in report.warnings if label == r.part)
        lines.extend(claim_lines(r, verbose=verbose))
    c = report.counts()
    total = sum(c.values())
    lines.append("")
    holds = f"{c['holds']} {'holds' if c['holds'] == 1 else 'hold'}"
    fails = f"{c['fails']} {'fails' if c['fails'] == 1 else 'fail'}"
    lines.append(f"{plural(total, 'claim')}: {holds}, {fails}, {c['invalid']} invalid")
    for group, g in report.group_counts().items():
        n = sum(g.values())
        g_holds = f"{g['holds']} {'holds' if g['holds'] == 1 else 'hold'}"
        g_fails = f"{g['fails']} {'fails' if g['fails'] == 1 else 'fail'}"
        lines.append(f"  {group}: {plural(n, 'claim')}, {g_holds}, {g_fails}, {g['invalid']} invalid")
    # text from the claims file (ids, titles, notes, claims) is echoed: one line each, escaped
    return "\n".join(escape(line) for line in lines) + "\n"
