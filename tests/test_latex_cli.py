"""``symconv latex``: what it writes, and one-line errors with exit code 2 for bad input
(no file written).  Compiling is tested in test_latex_compile.py."""

from __future__ import annotations

import numpy as np
import pytest

from symconv.cli import main
from symconv.cli.latex import parse_values
from symconv.config import load_config
from symconv.errors import SpecError
from symconv.latex.document import document


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_default_writes_the_appendix_a_document_into_its_own_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["latex"], capsys)
    assert code == 0 and err == ""
    assert out.strip() == "symconv-out/appendix_a.tex"
    assert (tmp_path / out.strip()).read_text(encoding="utf-8") == document(load_config("appendix_a"))
    assert [p.name for p in tmp_path.iterdir()] == ["symconv-out"]
    assert [p.name for p in (tmp_path / "symconv-out").iterdir()] == ["appendix_a.tex"]


def test_layer_flags_and_entry(tmp_path, capsys):
    out = tmp_path / "conv.tex"
    argv = ["latex", "--layer", "conv2d", "--input", "3x4", "--kernel", "2x2", "--padding", "1", "--stride", "1,2"]
    code, _, err = run([*argv, "--no-bias", "--entry", "2,2,1,1", "-o", str(tmp_path), "--name", "conv"], capsys)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    # the seed's rep.2: z_22 = a12 b11 + a13 b12 + a22 b21 + a23 b22, so dz_22/db_11 = a_12
    assert "\\frac{\\partial z_{22}}{\\partial k_{11}} &=" in text
    assert "&= a_{12} \\\\" in text


def test_values_are_used_for_max_pooling(tmp_path, capsys):
    out = tmp_path / "pool.tex"
    values = "1 2 3 4; 9 1 1 1; 2 1 1 1"
    code, _, err = run(
        [
            "latex",
            "--config",
            "appendix_b",
            "--values",
            values,
            "--entry",
            "2,1",
            "-o",
            str(tmp_path),
            "--name",
            "pool",
        ],
        capsys,
    )
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert "i_{21} = 5" in text  # the seed's example: A_21 = I_21, the 5th entry of its window


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--entry", "9,1,1,1"], "--entry: P must be in 1..4"),
        (["--entry", "1,1,x,1"], "--entry: must be integers"),
        (["--entry", "1,1,1,1,1"], "--entry: takes 2 or 3 or 4 or 6 or 8 numbers"),
        (["--entry", "1,1"], "--entry: takes P,Q,R,S or J,I,P,Q,R,S"),
        (["--layer", "relu", "--input", "3x3", "--entry", "1,1"], "--entry: does not apply to a relu layer"),
        (["--config", "hand_sign", "--entry", "1,1,1,1"], "--entry: picks a worked entry of a single layer"),
        (["--seed", "3"], "--seed: sets the example input of max pooling"),
        (["--config", "appendix_b", "--seed", "-1"], "--seed: must not be negative"),
        (["--config", "appendix_b", "--values", "1 2 3"], "--values: must hold 12 numbers"),
        (["--config", "appendix_b", "--values", "__import__('os')"], "--values: must be decimal numbers"),
        (["--config", "appendix_b", "--values", "1e999 " * 12], "--values: must be finite numbers"),
        (["--config", "appendix_b", "--values", "1 " * 12, "--seed", "2"], "--values: give either --values or --seed"),
        (["--values", "1 2"], "--values: gives the input of a single max-pooling layer"),
        (["-o", "out.tex"], "--output: is the folder to write into; for the file name use --name"),
        (["--name", "../x"], "--name: must be a plain file name"),
        (["-o", "/proc/x"], "--output: cannot write into /proc/x"),
        (["--config", "no_such_config"], "config: no such file"),
        (["--layer", "conv2d", "--input", "3x4"], "--kernel: is required for conv2d"),
        (["--frobnicate"], "unrecognized arguments"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["latex", *argv], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("symconv: error:"), err
    assert message in err
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_missing_pdflatex_exits_1_after_writing_the_tex(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", "")
    code, _, err = run(["latex", "--pdf", "-o", str(tmp_path), "--name", "a"], capsys)
    assert code == 1
    assert err.count("\n") == 1 and "pdflatex is not on PATH" in err
    assert (tmp_path / "a.tex").exists() and not (tmp_path / "a.pdf").exists()


def test_values_are_parsed_strictly():
    assert parse_values(" 1, -2.5;3e2\n.5 ").tolist() == [1.0, -2.5, 300.0, 0.5]
    for bad in ("1+1", "0x10", "nan", "inf", "1_000", "(1)", "2**3", ""):
        with pytest.raises(SpecError):
            parse_values(bad)
    assert isinstance(parse_values("1"), np.ndarray)
