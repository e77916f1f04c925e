"""The textbook corpus (``tests/textbook_corpus.py``): index notation, indicators, layouts,
padding-inferred convolutions and im2col, as notes write them.  Each form's expected verdict
is first decided by a NumPy oracle of its own (finite differences of a forward pass, loops
with zero outside), then symconv must give that verdict; the share of forms symconv states
(holds or fails, not refused) is measured here and must match docs/verify.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textbook_corpus import FORMS, claims_document, forms_by_subject, numeric_verdict, write_files

from symconv.cli import main
from symconv.verify import verify_document

DOCS = Path(__file__).resolve().parents[1] / "docs" / "verify.md"
STATED = [f for f in FORMS if f.stated]


@pytest.mark.parametrize("form", STATED, ids=[f"{f.subject}:{f.rhs[:40]}" for f in STATED])
def test_the_oracle_decides_each_expected_verdict(form) -> None:  # type: ignore[no-untyped-def]
    """The expected verdict is right, numerically, independently of symconv."""
    assert numeric_verdict(form) == form.expected, (form.lhs, form.rhs)


@pytest.fixture(scope="module")
def verdicts() -> dict[int, tuple[str, str]]:
    """symconv's verdict and message on every form, one claims document per subject."""
    out = {}
    for subject, items in forms_by_subject().items():
        report = verify_document(claims_document(subject))
        for (n, _), r in zip(items, report.results, strict=True):
            out[n] = (r.status, r.message)
    return out


def test_symconv_gives_every_stated_verdict_and_refuses_the_rest_in_one_line(
    verdicts: dict[int, tuple[str, str]],
) -> None:
    wrong = []
    for n, form in enumerate(FORMS):
        status, message = verdicts[n]
        if form.stated and status != form.expected:
            wrong.append((n, form.lhs, form.rhs, form.expected, status, message))
        if not form.stated:
            assert status == "invalid", (form.rhs, status)
            assert "\n" not in message and re.search(r"\bwrite\b", message), message
    assert wrong == []


def test_the_corpus_is_large_and_the_stated_share_is_documented(verdicts: dict[int, tuple[str, str]]) -> None:
    assert len(FORMS) >= 80
    assert len({(f.subject, f.lhs, f.rhs) for f in FORMS}) == len(FORMS)
    stated = sum(1 for n in verdicts if verdicts[n][0] != "invalid")
    assert stated / len(FORMS) >= 0.95
    rate = f"{stated} of {len(FORMS)}"
    assert f"states **{rate}**" in DOCS.read_text(encoding="utf-8"), f"docs/verify.md should say: states **{rate}**"


def test_the_corpus_as_files_checks_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The file set the benchmark times: every subject a claims file, all in one command."""
    files = write_files(tmp_path)
    assert len(files) == len(forms_by_subject())
    assert main(["verify", *map(str, files)]) == 2  # the refused forms are invalid claims
    out = capsys.readouterr().out
    holds = sum(1 for f in FORMS if f.expected == "holds")
    fails = sum(1 for f in FORMS if f.expected == "fails")
    refused = len(FORMS) - holds - fails
    summary = f"{len(files)} files, {len(FORMS)} claims: {holds} hold, {fails} fail, {refused} invalid"
    assert out.rstrip().endswith(summary), out[-300:]
