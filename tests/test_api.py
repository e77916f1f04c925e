"""The API details a SymPy or PyTorch user expects (issue 22), one row each.

``PYTHON`` holds what the Python API does when called as such a user calls it: each row
either returns a value the row's check holds, or raises the row's error type with a message
that says what to do. ``COMMAND_LINE`` holds what the command says to the same mistakes on
the command line: its exit code and its one stderr line."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import symconv
from symconv import limits, plot
from symconv.cli import main
from symconv.cli.common import DEFAULT_CONFIG
from symconv.codegen.checks import check_module, past_budget
from symconv.config import load_config, parse_config
from symconv.latex.document import document
from symconv.registry import LAYER_TYPES, layer_params
from symconv.verify.claims import read_document

APPENDIX_A = {"input": (3, 4), "kernel": (2, 2), "padding": (1, 1), "stride": (1, 2)}
#: 1.28 M symbols, more than the default budget of 500 000
BIG = symconv.Conv2D(input=(800, 800), kernel=(1, 1))


@dataclass(frozen=True)
class Row:
    """``call()`` returns a value that ``holds`` accepts, or raises ``raises`` with a
    message that ``match`` finds (``re.search``) and ``refuse`` does not."""

    call: Callable[[], Any]
    holds: Callable[[Any], bool] | None = None
    raises: type[BaseException] | None = None
    match: str = ""
    refuse: str | None = None


def _jacobian_k() -> symconv.VecJacobian:
    return symconv.derive(symconv.Conv2D(**APPENDIX_A, bias=False)).jacobian("K")


def _some_values() -> Any:
    d = symconv.derive(symconv.Conv2D(**APPENDIX_A, bias=False))
    return _jacobian_k().to_numpy({d.A[0][0, 0]: 1.0})


def _without_matplotlib(call: Callable[[], Any]) -> Any:
    """``call()`` as if matplotlib were not installed (``None`` in ``sys.modules`` makes its
    import fail)."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ("matplotlib", "matplotlib.pyplot"):
            mp.setitem(sys.modules, name, None)
        return call()


PYTHON = {
    "symconv.__version__ is the installed distribution's": Row(
        lambda: symconv.__version__, holds=lambda v: v == metadata.version("symconv") and v[0].isdigit()
    ),
    "NumPy integers are sizes": Row(
        lambda: symconv.Conv2D(input=(np.int64(3), 4), kernel=np.int32(2), stride=(np.int64(1), 2)),
        holds=lambda s: s.in_shape == (1, 3, 4) and s.out_shape == (1, 2, 2) and type(s.input[0]) is int,
    ),
    "a NumPy bool is not a size": Row(
        lambda: symconv.Conv2D(input=(np.bool_(True), 4), kernel=1),
        raises=symconv.SpecError,
        match=r"^input: must be an integer, got",
    ),
    "a float is not a size": Row(
        lambda: symconv.Conv2D(input=(3.0, 4), kernel=1), raises=symconv.SpecError, match=r"^input: must be an integer"
    ),
    "a NumPy float is not a size": Row(
        lambda: symconv.Conv2D(input=(np.float64(3), 4), kernel=1),
        raises=symconv.SpecError,
        match=r"^input: must be an integer",
    ),
    "J.to_numpy() of a symbolic Jacobian says what to pass": Row(
        lambda: _jacobian_k().to_numpy(),
        raises=TypeError,
        match=r"has symbolic entries; use \.to_numpy\(values\) with numbers for its symbols \(a dict symbol -> float\)",
    ),
    "J.to_numpy(values) names a symbol it has no number for": Row(
        _some_values, raises=TypeError, match=r"values has no number for a_\{\d\d\}$"
    ),
    "J.to_numpy() of a numeric Jacobian needs no values": Row(
        lambda: symconv.derive(symconv.AvgPool2D(input=(2, 2), window=(2, 2))).jacobian("I").to_numpy(),
        holds=lambda j: np.array_equal(j, np.full((1, 4), 0.25)),
    ),
    "derive takes the budget as keywords": Row(
        lambda: symconv.derive(BIG, max_symbols=2 * 10**6), holds=lambda d: d.output_shape == (800, 800)
    ),
    "derive's budget error speaks Python": Row(
        lambda: symconv.derive(BIG),
        raises=symconv.SpecError,
        match=r"needs 1280002 symbols, more than the budget of 500000; raise it with "
        r"symconv\.derive\(spec, max_symbols=N\)",
        refuse="--",
    ),
    "a budget keyword holds for its call only": Row(
        lambda: (symconv.derive(BIG, max_symbols=2 * 10**6), symconv.derive(BIG)),
        raises=symconv.SpecError,
        match="more than the budget of 500000",
    ),
    "max_nonzeros is a keyword too": Row(
        lambda: symconv.derive(symconv.Conv2D(**APPENDIX_A), max_nonzeros=10),
        raises=symconv.SpecError,
        match=r"needs \d+ nonzeros, more than the budget of 10; raise it with symconv\.derive\(spec, max_nonzeros=N\)",
    ),
    "a bad budget keyword is named as the keyword": Row(
        lambda: symconv.derive(BIG, max_symbols=0),
        raises=symconv.SpecError,
        match=r"^max_symbols: must be an integer from 1 to",
    ),
    "a NumPy integer is a budget": Row(
        lambda: symconv.derive(BIG, max_symbols=np.int64(2 * 10**6)), holds=lambda d: d.output_shape == (800, 800)
    ),
    "[layr] in a config is named": Row(
        lambda: parse_config(b"[layr]\ntype = 'conv2d'\n"),
        raises=symconv.SpecError,
        match=r"^config: unknown table 'layr'; expected \[layer\] or \[network\]$",
    ),
    "a claims file's key list names [[part]]": Row(
        lambda: read_document(tomllib.loads("[[claim]]\nid = 'x'\n")),
        raises=symconv.SpecError,
        match=r"^claim: is not allowed here; expected title, layer, network, .*claims, .*part$",
    ),
    "symconv.plot without matplotlib names the extra": Row(
        lambda: _without_matplotlib(lambda: plot.jacobian(symconv.derive(symconv.Conv2D(**APPENDIX_A)), "K")),
        raises=ImportError,
        match=r"^symconv\.plot needs matplotlib: pip install 'symconv\[plot\]'$",
    ),
}


@pytest.mark.parametrize("name", list(PYTHON))
def test_python_api(name: str) -> None:
    row = PYTHON[name]
    if row.raises is None:
        assert row.holds is not None
        value = row.call()
        assert row.holds(value), value
        return
    with pytest.raises(row.raises) as info:
        row.call()
    message = str(info.value)
    assert re.search(row.match, message), message
    assert row.refuse is None or row.refuse not in message, message


#: argv, exit code, the one line on stderr (exactly, or a pattern it matches whole)
COMMAND_LINE: dict[str, tuple[list[str], int, str | re.Pattern[str]]] = {
    "one prefix for an unknown flag": (["derive", "--bogus"], 2, "symconv: error: unrecognized arguments: --bogus"),
    "a subcommand names itself once": (
        ["codegen", "--layer", "conv9d"],
        2,
        "symconv: error: codegen: argument --layer: invalid choice: 'conv9d' (choose from "
        + ", ".join(repr(k) for k in LAYER_TYPES)
        + ")",
    ),
    "a bad value is checked without --layer": (
        ["derive", "--kernel", "0"],
        2,
        "symconv: error: --kernel: must be a positive integer, got 0",
    ),
    "values that no kind takes together are checked without --layer": (
        ["derive", "--input", "3x4", "--window", "0"],
        2,
        "symconv: error: --window: must be a positive integer, got 0",
    ),
    "values some kinds take ask for --layer, naming them": (
        ["derive", "--input", "3x4", "--window", "9"],
        2,
        "symconv: error: --layer: is needed with --input, --window, to say which layer they describe: "
        "lppool2d, maxunpool2d",
    ),
    "an empty input without --layer is told what is missing": (
        ["derive", "--input", "0x3"],
        2,
        re.compile(r"symconv: error: --layer: is needed with --input, to say which layer it describes: .*\bconv2d\b.*"),
    ),
    "without --layer, the flags' kinds are named": (
        ["derive", "--kernel", "2"],
        2,
        "symconv: error: --layer: is needed with --kernel, to say which layer it describes: "
        + ", ".join(k for k in LAYER_TYPES if "kernel" in layer_params(k)),
    ),
    "a number too large says so": (
        ["derive", "--layer", "conv2d", "--input", "99999999999999999999x3", "--kernel", "2"],
        2,
        "symconv: error: --input: has a number too large: 99999999999999999999 (at most 13 digits)",
    ),
    "a number too large says so without --layer": (
        ["derive", "--input", "99999999999999999999x3"],
        2,
        "symconv: error: --input: has a number too large: 99999999999999999999 (at most 13 digits)",
    ),
    "a budget too large says so": (
        ["derive", "--max-symbols", "99999999999999999999"],
        2,
        "symconv: error: --max-symbols: has a number too large: 99999999999999999999 (at most 13 digits)",
    ),
    "a budget error names the flag": (
        ["derive", "--layer", "conv2d", "--input", "800x800", "--kernel", "1"],
        2,
        "symconv: error: size: the derivation of conv2d needs 1280002 symbols, more than the budget of 500000; "
        "raise it with --max-symbols N (or max_symbols = N in a [limits] table)",
    ),
    "a folder that takes no file says so": (
        ["codegen", "-o", "/proc"],
        2,
        "symconv: error: --output: cannot write into /proc: it is a folder where files cannot be created",
    ),
    "a folder inside one that takes no file says so": (
        ["latex", "-o", "/proc/new"],
        2,
        "symconv: error: --output: cannot write into /proc/new: /proc is a folder where files cannot be created",
    ),
}


@pytest.mark.parametrize("name", list(COMMAND_LINE))
def test_command_line(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, code, line = COMMAND_LINE[name]
    monkeypatch.chdir(tmp_path)
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert line.fullmatch(err[:-1]) if isinstance(line, re.Pattern) else err[:-1] == line, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "argv", [["--help"], *([c, "--help"] for c in ("derive", "latex", "html", "codegen", "check", "verify"))]
)
def test_help_is_plain_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out = capsys.readouterr().out
    assert info.value.code == 0 and out.startswith("usage: symconv")
    assert "``" not in out and not re.search(r":(func|mod|class|meth|attr):`", out), out


ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def _example(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_example_help_is_whole_sentences(capsys: pytest.CaptureFixture[str]) -> None:
    example = _example("train_digits")
    with pytest.raises(SystemExit) as info:
        example.main(["--help"])
    assert info.value.code == 0
    description = capsys.readouterr().out.split("\n\n")[1]
    first_paragraph = example.__doc__.split("\n\n")[0]
    assert " ".join(description.split()) == " ".join(first_paragraph.split())
    assert description.rstrip().endswith(".")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_the_examples_use_the_public_api_only(path: Path) -> None:
    """No ``from symconv.x import ...`` and no ``symconv.x`` outside ``symconv.__all__``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("symconv."):
            found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name.startswith("symconv.")]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "symconv":
            if node.attr not in symconv.__all__:
                found.append(f"line {node.lineno}: symconv.{node.attr}")
    assert found == []


def test_the_public_api_check_sees_a_private_import() -> None:
    """The check above is not vacuous: the example as it was (issue 22) fails it."""
    tree = ast.parse("from symconv.codegen.render import write_module\nsymconv.codegen.checks.load_module(p)\n")
    private = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module.startswith("symconv.")]
    attrs = [
        n.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "symconv"
    ]
    assert len(private) == 1 and attrs == ["codegen"] and "codegen" not in symconv.__all__


def test_the_example_draws_no_bar_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sklearn", reason="the examples extra (scikit-learn) is not installed")
    pytest.importorskip("tqdm", reason="the examples extra (tqdm) is not installed")
    example = _example("train_digits")
    _, history = example.run(epochs=1, batch=512, lr=0.05, seed=0, progress=True)
    assert len(history.loss) == 2  # 1437 training digits: two batches of 512
    assert capsys.readouterr().err == ""


def test_the_default_layer_and_the_readme_session_are_the_seeds_appendix_a() -> None:
    """The seed's Appendix A convolves A by beta with no bias (Z = A * beta, rep.2): the layer
    ``symconv derive`` works on by default and the README's Python session are both that."""
    assert load_config(DEFAULT_CONFIG) == symconv.Conv2D(**APPENDIX_A, bias=False)
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    sessions = [m for page in pages for m in re.findall(r">>> d = symconv\.derive\((.*)\)\n", page.read_text())]
    assert sessions and set(sessions) == {
        "symconv.Conv2D(input=(3, 4), kernel=(2, 2), padding=(1, 1), stride=(1, 2), bias=False)"
    }


CONV = ["--layer", "conv2d", "--input", "5x6", "--kernel", "3x2", "--padding", "0,1,1,0", "--stride", "2,1"]
POOL = ["--layer", "maxpool2d", "--input", "3x4", "--window", "3x2", "--padding", "1,1", "--stride", "1,2"]


def test_latex_without_o_writes_into_a_folder_of_its_own_a_name_per_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's latex commands in a row leave each layer's document under its own name in
    symconv-out/, and nothing loose in the working folder."""
    monkeypatch.chdir(tmp_path)
    for argv in (["latex", *CONV], ["latex", *POOL], ["latex"], ["html", *POOL]):
        assert main(argv) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [
        f"symconv-out/{name}" for name in ("conv2d.tex", "maxpool2d.tex", "appendix_a.tex", "maxpool2d.html")
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["symconv-out"]
    out = tmp_path / "symconv-out"
    assert sorted(p.name for p in out.iterdir()) == ["appendix_a.tex", "conv2d.tex", "maxpool2d.html", "maxpool2d.tex"]
    conv = symconv.Conv2D(input=(5, 6), kernel=(3, 2), padding=(0, 1, 1, 0), stride=(2, 1))
    pool = symconv.MaxPool2D(input=(3, 4), window=(3, 2), padding=(1, 1), stride=(1, 2))
    assert (out / "conv2d.tex").read_text() == document(conv)
    assert (out / "maxpool2d.tex").read_text() == document(pool)


def test_latex_removes_the_pdf_and_pages_of_an_earlier_document_of_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A .tex written without --pdf never stands beside a PDF or pages of another document."""
    for name in ("conv2d.pdf", "conv2d-1.png", "conv2d-12.png", "conv2d-x.png", "conv2d_b.pdf"):
        (tmp_path / name).write_bytes(b"an earlier document")
    assert main(["latex", *CONV, "-o", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conv2d-x.png", "conv2d.tex", "conv2d_b.pdf"]


def test_derive_names_a_jobs_files_after_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two jobs into one folder leave two sets of files, each under its job's name."""
    for argv in (["derive"], ["derive", "--config", "appendix_b"]):
        assert main([*argv, "--no-pdf", "-o", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "appendix_a.py",
        "appendix_a.tex",
        "appendix_b.py",
        "appendix_b.tex",
    ]
    assert (tmp_path / "appendix_b.py").read_text() == symconv.generate(load_config("appendix_b"), "symconv derive")


def _maps(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return ""


#: moments to press Ctrl-C in a long job: what has happened by then (read off the process)
MOMENTS = {
    "during the imports (NumPy's C code loading)": lambda p: "_multiarray_umath" in _maps(p.pid),
    "during the imports, a little later": lambda p: "_multiarray_umath" in _maps(p.pid) and time.sleep(0.3) is None,
    "during the work (its first line printed)": lambda p: p.stdout.readline().startswith("symconv derive:"),
}


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc to see where the command is")
def test_ctrl_c_at_any_moment_is_interrupted_and_exit_130(tmp_path: Path, command: Path) -> None:
    """The installed command, interrupted while it imports and while it works: one line
    "interrupted", exit code 130 (never a traceback, never a death by SIGINT)."""
    argv = [str(command), "derive", "--config", "hand_sign", "--no-pdf", "-o", str(tmp_path)]
    # unbuffered, so that the first line arrives when it is printed, not when a pipe's buffer
    # fills or the process ends (which made "during the work" race with the end of the work)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    runs = {}
    for name in MOMENTS:
        runs[name] = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    for name, moment in MOMENTS.items():
        p = runs[name]
        deadline = time.monotonic() + 60
        while not moment(p):
            assert p.poll() is None and time.monotonic() < deadline, f"{name}: never reached"
            time.sleep(0.001)
        p.send_signal(signal.SIGINT)
    for name, p in runs.items():
        out, err = p.communicate(timeout=60)
        assert (p.returncode, err) == (130, "symconv: error: interrupted\n"), f"{name}: {p.returncode} {err[-500:]}"
        assert "Traceback" not in out


#: past the default budget of 500 000 symbols (2 x 512^2 + 10), yet quick: one channel
PAST_BUDGET = symconv.Conv2D(input=(512, 512), kernel=(3, 3), padding=1)


@pytest.mark.slow(reason="the smallest square layer past the default budget (512x512), generated and checked: 5-10 s")
def test_check_takes_a_module_past_the_budget_and_says_it_samples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``symconv check`` on a module ``symconv codegen`` wrote for a layer whose derivation is past
    the budget: every check runs, the route at sampled entries, and the report says so."""
    assert past_budget(PAST_BUDGET) is not None
    argv = ["--layer", "conv2d", "--input", "512x512", "--kernel", "3", "--padding", "1"]
    assert main(["codegen", *argv, "-o", str(tmp_path)]) == 0
    path = capsys.readouterr().out.strip()
    assert main(["check", path]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("  sampled: the derivation of conv2d needs 524298 symbols, more than the budget")
    assert "each gradient is checked at 3 sampled entries against central differences of the core's forward" in lines[1]
    sampled = [line for line in lines if "sampled entries vs central differences of the core's forward" in line]
    assert [line.split()[1] for line in sampled] == ["dA", "dK", "db"] and all(
        line.startswith("  ok") for line in sampled
    )
    assert not any("seed's route" in line for line in lines[2:]) and lines[-1] == "all checks passed"


WRONG_DA = """
_right_backward = backward


def backward(*args):  # dA 0.1 % too large
    dA, *rest = _right_backward(*args)
    return (1.001 * dA, *rest)
"""


@pytest.mark.parametrize("wrong", [False, True])
def test_the_sampled_checks_see_a_wrong_gradient(tmp_path: Path, wrong: bool) -> None:
    spec = symconv.Conv2D(input=(9, 8), kernel=(3, 2), stride=(2, 1), in_channels=2, out_channels=3)
    path = tmp_path / "conv.py"
    path.write_text(symconv.generate(spec) + (WRONG_DA if wrong else ""))
    with limits.raised(max_symbols=100):  # this small layer past a small budget: the sampled checks
        report = check_module(path)
    assert report.notes and report.notes[0].startswith("sampled: the derivation of conv2d needs")
    failed = {r.name.split()[0] for r in report.results if not r.ok}
    assert failed == ({"dA"} if wrong else set()), report.lines()
    assert any(r.name.startswith("dA at 3 sampled entries") and r.ok != wrong for r in report.results)


def test_a_network_past_the_budget_is_checked_at_sampled_entries(tmp_path: Path) -> None:
    path = tmp_path / "net.py"
    path.write_text(symconv.generate(load_config("seed_cnn")))
    with limits.raised(max_symbols=100):
        report = check_module(path)
    assert report.ok, report.lines()
    assert report.notes[0].startswith("sampled: the derivation of network of 9 layers needs")
    sampled = [r.name for r in report.results if "sampled entries vs central differences of the core's J" in r.name]
    assert len(sampled) == 6  # K1, b1, K2, b2, W3, b3
