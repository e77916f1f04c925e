"""The shipped textbook examples in index notation: every true form holds, every mistake
fails with a report that says where and what to write, and docs/verify.md shows them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from symconv.verify import verify_file
from symconv.verify.report import format_report

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.mark.slow(reason="every claim of the shipped index-notation example, over its layers: 5-10 s")
def test_the_index_notation_example_holds() -> None:
    report = verify_file(EXAMPLES / "textbook_index_notation.toml")
    assert report.exit_code == 0, [(r.id, r.message) for r in report.results if not r.holds]
    ids = {r.id for r in report.results}
    for part in ("conv", "strided", "maxpool", "avgpool", "dense", "relu", "softmax"):
        assert any(i.startswith(part + ".") for i in ids), part
    assert all(r.method.startswith(("exact symbolic", "every region")) for r in report.results)
    # free indices say over which values they were checked
    r = report.result("conv.dA")
    assert r.notes[0] == "for every i = 1..5 (from a), j = 1..5 (from a)"
    out = format_report(report)
    assert out.rstrip().endswith(f"{len(ids)} claims: {len(ids)} hold, 0 fail, 0 invalid")


def test_the_index_notation_mistakes_each_fail_and_say_where() -> None:
    report = verify_file(EXAMPLES / "textbook_index_mistakes.toml")
    assert report.exit_code == 1
    assert all(r.fails for r in report.results), [(r.id, r.status, r.message) for r in report.results]
    by_id = {r.id: r for r in report.results}
    for name in ("no-rot180", "wrong-crop", "stride-not-dilated", "maxpool-spread", "one-over-k", "layout"):
        assert f"mistake.{name}" in by_id
    # index claims: the first failing index values, and numbers there
    r = by_id["mistake.no-rot180"]
    assert r.labels == ("i", "j") and r.counterexample is not None and r.counterexample.entry == (1, 1)
    # 1/k for 1/k^2: half of every share too much
    r = by_id["mistake.one-over-k"]
    assert r.message == "fails at 16 of 16 index values"
    # the layout mistake names the fix in one line
    r = by_id["mistake.layout"]
    assert r.hint.startswith("read in the numerator layout, this fails; in the denominator layout")
    r = by_id["mistake.transposed"]
    assert "the right side is the transpose of the gradient" in r.hint
    out = format_report(report)
    assert "hint: read in the numerator layout, this fails; in the denominator layout" in out


def test_the_docs_show_the_examples() -> None:
    text = (ROOT / "docs" / "verify.md").read_text(encoding="utf-8")
    for name in ("textbook_index_notation", "textbook_index_mistakes", "textbook_stride_family"):
        assert re.search(rf"^symconv verify .*examples/{name}\.toml", text, re.M)
        assert (EXAMPLES / f"{name}.toml").is_file()
    assert "docs/verify.md" in (ROOT / "README.md").read_text(encoding="utf-8")
