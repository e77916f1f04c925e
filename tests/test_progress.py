"""Progress bars: on stderr with tqdm, only when stderr is a terminal; nothing otherwise."""

from __future__ import annotations

import io
import sys

import pytest

from symconv.progress import Steps, enabled


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_steps_show_on_a_terminal(monkeypatch):
    pytest.importorskip("tqdm")
    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    assert enabled()
    with Steps("symconv derive", 3) as p:
        p.step("Jacobians")
        p.step("LaTeX")
    text = err.getvalue()
    assert "symconv derive" in text and "LaTeX" in text and "1/3" in text


def test_steps_are_silent_off_a_terminal(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    assert not enabled()
    with Steps("symconv derive", 3) as p:
        p.step("Jacobians")
    assert err.getvalue() == ""


def test_steps_are_silent_without_tqdm(monkeypatch):
    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    assert not enabled()
    with Steps("job", 2) as p:
        p.step("a")
    assert sys.stderr.getvalue() == ""


# -- the long commands, each on a terminal (a bar on stderr) and off one (nothing) -----------
CLAIMS = """
[layer]
type = "conv2d"
input = [3, 3]
kernel = [2, 2]
[[claims]]
id = "shape-Z"
lhs = "shape(Z)"
rhs = "(2, 2)"
[[claims]]
id = "eq.a1-2"
lhs = "diff(z[2,2], beta[2,1])"
rhs = "a[3,2]"
"""


def _run(monkeypatch, capsys, err: io.StringIO, *argv: str) -> tuple[int, str, str]:
    from symconv.cli import main

    monkeypatch.setattr(sys, "stderr", err)
    code = main(list(argv))
    return code, capsys.readouterr().out, err.getvalue()


def _both(monkeypatch, capsys, *argv: str) -> tuple[str, str]:
    """Run ``argv`` off a terminal, then on one: the same exit code and stdout, no stderr
    off the terminal; returns stdout and the terminal's stderr."""
    pytest.importorskip("tqdm")
    code, out, err = _run(monkeypatch, capsys, io.StringIO(), *argv)
    assert err == ""
    code_tty, out_tty, err_tty = _run(monkeypatch, capsys, Terminal(), *argv)
    assert (code_tty, out_tty) == (code, out)
    return out, err_tty


def test_verify_shows_one_step_per_claim(monkeypatch, capsys, tmp_path):
    path = tmp_path / "claims.toml"
    path.write_text(CLAIMS, encoding="utf-8")
    out, err = _both(monkeypatch, capsys, "verify", str(path))
    assert "2 claims" in out
    assert "symconv verify" in err and "eq.a1-2" in err and "1/2" in err


def test_check_shows_its_groups_of_checks(monkeypatch, capsys, tmp_path):
    from symconv.cli import main

    assert main(["codegen", "--layer", "conv2d", "--input", "4x4", "--kernel", "2x2", "-o", str(tmp_path)]) == 0
    capsys.readouterr()
    out, err = _both(monkeypatch, capsys, "check", str(tmp_path / "conv.py"))
    assert "all checks passed" in out
    assert "symconv check" in err and "finite differences" in err and "5/6" in err


def test_codegen_check_shows_each_golden_file(monkeypatch, capsys, tmp_path):
    from symconv import golden

    monkeypatch.setattr(golden, "GOLDEN_CONFIGS", ("appendix_a",))  # one config keeps it quick
    out, err = _both(monkeypatch, capsys, "codegen", "--check", "--root", str(tmp_path))
    assert "drifted" in out  # the empty folder has none of the files
    assert "symconv codegen --check" in err and "appendix_a/derivation.tex" in err and "1/2" in err
