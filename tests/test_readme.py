"""The README runs as printed: every ``symconv`` command of its ``bash`` blocks (in order,
in one folder, with the ``toml`` blocks saved under the name on their first line), and
every ``pycon`` session as a doctest.  The install lines (``python3 -m venv ...``) are what
``.ci/run`` runs on a fresh clone.  Docstring examples of the package run here as well."""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

import symconv

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
BLOCKS = [(m.group(1), m.group(2)) for m in BLOCK.finditer(README)]
EXIT = re.compile(r"#\s*exit (\d)")


def _commands() -> list[tuple[str, int]]:
    """``(command, expected exit code)`` for each symconv line of the bash blocks, in order;
    a trailing ``\\`` joins lines, and ``# exit N`` says the command is meant to exit N."""
    out = []
    for lang, text in BLOCKS:
        if lang != "bash":
            continue
        for line in text.replace("\\\n", " ").splitlines():
            if line.startswith("symconv "):
                m = EXIT.search(line)
                out.append((line.split("  #")[0].split(" #")[0].strip(), int(m.group(1)) if m else 0))
    return out


COMMANDS = _commands()
SLOW = ("hand_sign", "--pdf", "seed_audit")
SLOW_MARK = pytest.mark.slow(
    reason="a README command that derives the hand-sign network, compiles a PDF or audits the seed: 3-10 s"
)


def _files() -> dict[str, str]:
    """The toml blocks whose first line names a file (``# claims.toml``)."""
    out = {}
    for lang, text in BLOCKS:
        first = text.splitlines()[0] if text else ""
        if lang == "toml" and first.startswith("# ") and first.endswith(".toml"):
            out[first[2:].strip()] = text
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("readme")
    for name, text in _files().items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def test_readme_has_what_these_tests_run():
    langs = [lang for lang, _ in BLOCKS]
    assert "pycon" in langs and "bash" in langs
    assert len(COMMANDS) >= 6
    assert "claims.toml" in _files()
    assert any(c.startswith("symconv verify claims.toml") for c, _ in COMMANDS)


@pytest.mark.parametrize(
    ("line", "code"),
    [pytest.param(c, e, marks=[SLOW_MARK] if any(s in c for s in SLOW) else []) for c, e in COMMANDS],
    ids=[c[:60] for c, _ in COMMANDS],
)
def test_readme_command_runs_as_printed(line, code, folder, command):
    if ("--pdf" in line or "--png" in line) and shutil.which("pdflatex") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdflatex is missing under CI=true")
        pytest.skip("pdflatex is not installed")
    argv = shlex.split(line)
    done = subprocess.run(
        [str(command), *argv[1:]], cwd=folder, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == code, done.stderr or done.stdout[-2000:]
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr


def _sessions() -> list[str]:
    return [text for lang, text in BLOCKS if lang == "pycon"]


@pytest.mark.parametrize("session", _sessions(), ids=lambda s: s.splitlines()[0][:40])
def test_readme_python_session_runs_as_printed(session):
    parser = doctest.DocTestParser()
    test = parser.get_doctest(session, {}, "README.md", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0, f"{runner.failures} README example(s) differ from the program (see above)"


def _modules() -> list[str]:
    names = [symconv.__name__]
    for info in pkgutil.walk_packages(symconv.__path__, prefix="symconv."):
        if not info.name.startswith("symconv.templates") and info.name != "symconv.__main__":
            names.append(info.name)
    return sorted(names)


def test_docstring_examples_run():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    ran = 0
    for name in _modules():
        module = importlib.import_module(name)
        for test in finder.find(module, name):
            if test.examples:
                ran += len(test.examples)
                runner.run(test)
    assert ran >= 10
    assert runner.failures == 0, f"{runner.failures} docstring example(s) differ from the program (see above)"
