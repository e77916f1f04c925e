"""The textbook corpus (``tests/textbook_corpus.py``): index notation, indicators, layouts,
padding-inferred convolutions and im2col, as notes write them.  Each form's expected verdict
is first decided by a NumPy oracle of its own (finite differences of a forward pass, loops
with zero outside), then symconv must give that verdict; the share of forms symconv states
(holds or fails, not refused) is measured here and must match docs/verify.md."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
from textbook_corpus import FORMS, forms_by_subject, numeric_verdict, write_files

from symconv.cli import main

DOCS = Path(__file__).resolve().parents[1] / "docs" / "verify.md"
STATED = [f for f in FORMS if f.stated]


@pytest.mark.parametrize("form", STATED, ids=[f"{f.subject}:{f.rhs[:40]}" for f in STATED])
def test_the_oracle_decides_each_expected_verdict(form) -> None:  # type: ignore[no-untyped-def]
    """The expected verdict is right, numerically, independently of symconv."""
    assert numeric_verdict(form) == form.expected, (form.lhs, form.rhs)


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[str, str]]:
    """symconv's verdict and message on every form: the corpus written as claims files, one
    per subject, and checked in one run of the command (the file set the benchmark times)."""
    folder = tmp_path_factory.mktemp("corpus")
    files = write_files(folder)
    assert len(files) == len(forms_by_subject())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["verify", *map(str, files), "--json"])
    assert code == 2  # the refused forms are invalid claims
    data = json.loads(out.getvalue())
    assert [f["name"] for f in data["files"]] == [p.name for p in files]
    return {int(r["id"][4:]): (r["status"], r["message"]) for f in data["files"] for r in f["results"]}


@pytest.mark.slow(reason="its fixture checks the whole textbook corpus (120 forms) in one run of the command: 5-10 s")
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
