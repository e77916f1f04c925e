"""The LaTeX corpus (``tests/latex_corpus.py``): forms people write, each read and checked
against the same statement in the expression language.  The acceptance rate is measured
here and must match the one docs/verify.md states."""

from __future__ import annotations

import re
from pathlib import Path

from latex_corpus import FORMS, REFUSED, SUBJECTS

from symconv.verify import language
from symconv.verify.claims import Claim, check_claim, prepare, read_document
from symconv.verify.values import Budget

VERIFY_DOC = Path(__file__).resolve().parents[1] / "docs" / "verify.md"


def _results() -> dict[str, tuple[str, str]]:
    """LaTeX -> (status, message) for every form, one namespace per subject."""
    out: dict[str, tuple[str, str]] = {}
    for key, subject in SUBJECTS.items():
        _, (part,) = read_document({**subject, "claims": [{"id": "x", "lhs": "1", "rhs": "1"}]})
        prepared = prepare(part)
        for n, (where, tex, meaning) in enumerate(FORMS):
            if where != key:
                continue
            budget = Budget()
            with budget.active():
                truth = language.evaluate(meaning, prepared.context(prepared.options, budget))
            claim = Claim(f"form{n}", tex, "Q", latex=True)  # Q: the meaning, bound below
            r = check_claim(claim, prepared, extra={"Q": truth})
            out[tex] = (r.status, r.message)
    return out


def test_corpus_acceptance_rate_and_refusals() -> None:
    assert len(FORMS) >= 60 and len({tex for _, tex, _ in FORMS}) == len(FORMS)
    results = _results()
    accepted = [tex for tex, (status, _) in results.items() if status == "holds"]
    refused = {tex: message for tex, (status, message) in results.items() if status != "holds"}
    assert set(refused) == set(REFUSED), refused
    # a form that is not accepted is refused with a message, never read as something else
    assert all(results[tex][0] == "invalid" for tex in refused), refused
    assert "is ambiguous for a 1x12x12 tensor: write a_{1,11} or a_{11,1}" in refused[r"a_{111}"]
    rate = f"{len(accepted)} of {len(FORMS)}"
    text = VERIFY_DOC.read_text(encoding="utf-8")
    assert re.search(rf"accepts \*\*{rate}\*\* forms", text), f"docs/verify.md should state: accepts **{rate}** forms"
