"""``symconv verify``: the report, exit codes 0/1/2, one-line errors, and the Python API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_verify_common import APPENDIX_A

from symconv.cli import main
from symconv.errors import SpecError
from symconv.verify import verify, verify_document, verify_file, verify_text
from symconv.verify.report import format_report

HEAD = """
[layer]
type = "conv2d"
input = [3, 4]
kernel = [2, 2]
padding = [1, 1]
stride = [1, 2]
bias = false
"""
HOLDS = """
[[claims]]
id = "rep2"
lhs = "z[3,2]"
rhs = "a[2,2]*beta[1,1] + a[2,3]*beta[1,2] + a[3,2]*beta[2,1] + a[3,3]*beta[2,2]"
"""
FAILS = """
[[claims]]
id = "eq-a2-2"
latex = true
lhs = '\\frac{\\partial(a_{22}\\beta_{11} + a_{23}A_{12} + a_{32}\\beta_{21} + a_{33}\\beta_{22})}{\\partial A_{23}}'
rhs = '\\beta_{12}'
"""
INVALID = """
[[claims]]
id = "bad"
lhs = "__import__('os')"
rhs = "1"
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "claims.toml"
    path.write_text(HEAD + text, encoding="utf-8")
    return str(path)


def test_all_hold_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", write(tmp_path, HOLDS)]) == 0
    out = capsys.readouterr().out
    assert "holds    rep2" in out
    assert out.rstrip().endswith("1 claim: 1 holds, 0 fail, 0 invalid")


def test_a_failing_claim_exit_1_with_details(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", write(tmp_path, HOLDS + FAILS)]) == 1
    out = capsys.readouterr().out
    assert "FAILS    eq-a2-2" in out
    assert "correct value: a_{12}" in out
    assert "counterexample: a_{12} = " in out


def test_an_invalid_claim_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", write(tmp_path, HOLDS + FAILS + INVALID)]) == 2
    out = capsys.readouterr().out
    assert "INVALID  bad" in out
    assert "error: lhs: names starting with '_' are not allowed ('__import__')" in out


CLAIM_FIELDS = "id, lhs, rhs, latex, relation, where, note, group, for, layout, index_base, out_of_range"


@pytest.mark.parametrize(
    ("text", "claim", "message"),
    [
        ("[[claims]]\nid = 'x'\nlhs = '1'\n", "x", "claims[1].rhs: is required"),
        (
            "[[claims]]\nid = 'x'\nlhs = '1'\nrhs = '1'\ncolour = 'red'\n",
            "x",
            f"claims[1].colour: is not a claim field; expected {CLAIM_FIELDS}",
        ),
        (
            "[[claims]]\nid = 'y'\nlhs = '1'\nrhs = '1'\n[[claims]]\nid = 'y'\nlhs = '1'\nrhs = '1'\n",
            "claims[2]",
            "claims[2].id: repeats the id 'y'",
        ),
        (
            "[[claims]]\nid = 'x y'\nlhs = '1'\nrhs = '1'\n",
            "claims[1]",
            "claims[1].id: must be 1-80 characters: letters, digits and _ . : + -, starting with a letter or digit",
        ),
        ("[[claims]]\nid = 'x'\nlhs = 1\nrhs = '1'\n", "x", "claims[1].lhs: must be a string, got int"),
        (
            "[[claims]]\nid = 'x'\nlhs = '1'\nrhs = '1'\nrelation = '!='\n",
            "x",
            "claims[1].relation: must be one of ==, <, <=, >, >=, got '!='",
        ),
        ("[[claims]]\nid = 'x'\nlhs = '1'\nrhs = '1'\nlatex = 'yes'\n", "x", "claims[1].latex: must be true or false"),
        (
            "[[claims]]\nid = 'x'\nlhs = '1'\nrhs = '1'\nlayout = 'rows'\n",
            "x",
            "claims[1].layout: must be one of 'numerator', 'denominator', 'mixed', got 'rows'",
        ),
        (
            "[[claims]]\nid = 'x'\nlhs = '1'\nrhs = '1'\nfor = {mn = [1, 2]}\n",
            "x",
            "claims[1].for.mn: an index is one letter, e.g. for = {m = [1, 3]}",
        ),
        (
            "[define]\nq = 'lambda: 1'\n[[claims]]\nid = 'x'\nlhs = 'q'\nrhs = '1'\n",
            "x",
            "lhs: uses q from [define], which is invalid: lambda is not allowed",
        ),
    ],
)
def test_an_invalid_claim_table_is_reported_and_every_other_claim_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, claim: str, message: str
) -> None:
    """A claims table (or a define) that is not valid makes its claim invalid, with one
    line; the file's other claims are still checked and reported."""
    assert main(["verify", write(tmp_path, HOLDS + text)]) == 2
    out = capsys.readouterr().out
    assert "holds    rep2" in out
    assert f"INVALID  {claim}\n" in out
    assert f"error: {message}\n" in out


def test_a_define_may_shadow_a_layer_name_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "[define]\nk = '3'\nn_h = 'h_a'\n[[claims]]\nid = 'k'\nlhs = 'k + n_h'\nrhs = '6'\n"
    text += "[[claims]]\nid = 'k.latex'\nlatex = true\nlhs = 'k \\cdot n_h'\nrhs = '9'\n"
    assert main(["verify", write(tmp_path, HOLDS + text)]) == 0
    out = capsys.readouterr().out
    assert "warning: define.k shadows the conv2d layer's name k in this file" in out
    assert "holds    k  " in out and "holds    k.latex  " in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "claims: must be a non-empty list of claim tables ([[claims]])"),
        (
            "[[claims]]\nid = 'x'\nlhs = '1'\nrhs = '1'\n[network]\ninput = [3, 3]\n",
            "config: must have exactly one of a [layer] table and a [network] table",
        ),
        (
            "layout = 'rows'\n[[claims]]\nid = 'x'\nlhs = '1'\nrhs = '1'\n",
            "layout: must be one of 'numerator', 'denominator', 'mixed', got 'rows'",
        ),
        (
            "index_base = 2\n[[claims]]\nid = 'x'\nlhs = '1'\nrhs = '1'\n",
            "index_base: must be 0 or 1 (the first index), got 2",
        ),
    ],
)
def test_an_invalid_file_is_one_line_on_stderr_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(text + HEAD, encoding="utf-8")
    assert main(["verify", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"symconv: error: {message}\n"


def test_bad_toml_and_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[layer\n", encoding="utf-8")
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symconv: error: config: ") and "is not valid TOML" in err and err.count("\n") == 1
    assert main(["verify", str(tmp_path / "nope.toml")]) == 2
    err = capsys.readouterr().err
    assert err == f"symconv: error: claims: no such file: {tmp_path / 'nope.toml'} (built-in claims: seed_audit)\n"


@pytest.mark.slow(reason="the whole seed audit (105 claims) through the command: 3-6 s")
def test_builtin_seed_audit_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "seed_audit", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["exit_code"] == 1
    statuses = {r["id"]: r["status"] for r in data["results"]}
    assert statuses["A.eq-a2-2.step1-to-2"] == "fails"
    assert statuses["A.rep2"] == "holds"
    failing = next(r for r in data["results"] if r["id"] == "A.eq-a2-2.step1-to-2")
    assert failing["correct"] == "a_{12}"
    assert set(failing["counterexample"]["values"]) == {"a_{12}", "k_{12}"}


def test_python_api_entry_points(tmp_path: Path) -> None:
    path = write(tmp_path, HOLDS + FAILS)
    by_file = verify_file(path)
    by_text = verify_text(HEAD + HOLDS + FAILS)
    by_doc = verify_document(
        {
            "layer": APPENDIX_A,
            "claims": [{"id": "rep2", "lhs": "z[3,2]", "rhs": "conv(window(3, 2), beta)"}],
        }
    )
    assert [r.status for r in by_file.results] == [r.status for r in by_text.results] == ["holds", "fails"]
    assert by_file.exit_code == by_text.exit_code == 1
    assert by_doc.exit_code == 0 and by_doc.result("rep2").holds
    assert verify(path).exit_code == 1 and verify(HEAD + HOLDS).exit_code == 0
    with pytest.raises(SpecError, match="claims: no such file"):
        verify_file(tmp_path / "missing.toml")


def test_parts_form(tmp_path: Path) -> None:
    text = """
title = "two subjects"
[[part]]
title = "conv"
[part.layer]
type = "conv2d"
input = [2, 2]
kernel = [1, 1]
[[part.claims]]
id = "one"
lhs = "z[1,1]"
rhs = "a[1,1]*k[1,1] + b"
[[part]]
[part.layer]
type = "relu"
input = [1, 2]
[[part.claims]]
id = "two"
lhs = "I[1,2]"
rhs = "Max(0, z[1,2])"
"""
    report = verify_text(text)
    assert [r.status for r in report.results] == ["holds", "holds"]
    assert report.result("two").method.startswith("every region")
    assert "[conv]" in format_report(report)


def test_the_example_claims_file_holds(capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).resolve().parents[1] / "examples" / "verify_conv_channels.toml"
    assert main(["verify", str(example)]) == 0
    assert "8 claims: 8 hold, 0 fail, 0 invalid" in capsys.readouterr().out


def test_several_files_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each file reported in turn, one summary, the largest exit code; a file that is not
    valid is one error line (naming the file) and the others still run."""
    good = tmp_path / "good.toml"
    good.write_text(HEAD + HOLDS, encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(HEAD + FAILS, encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text("[layer]\ntype = 'conv9d'\n" + HOLDS, encoding="utf-8")
    assert main(["verify", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert out.count("symconv verify: ") == 2 and "holds    rep2" in out and "FAILS    eq-a2-2" in out
    assert out.rstrip().endswith("2 files, 2 claims: 1 holds, 1 fails, 0 invalid")
    assert main(["verify", str(good), str(broken), str(good)]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith(f"symconv: error: {broken}: layer.type: ")
    assert captured.out.rstrip().endswith("3 files, 2 claims: 2 hold, 0 fail, 0 invalid (1 file not valid)")
    assert main(["verify", str(good), str(bad), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["exit_code"] == 1 and [f["exit_code"] for f in data["files"]] == [0, 1]
