"""The fenced blocks of the README and of docs/*.md, and how each runs as a test
(``tests/test_readme.py`` for the README, ``tests/test_readme_docs.py`` for docs/).

Each block in a language these tests know is one test, run in a fresh folder of its own that
holds the page's named ``toml`` blocks (a block whose first line is ``# NAME.toml`` is saved under
that name) and a link to ``examples/``:

* ``python``: executed in a fresh namespace;
* ``pycon``: a doctest (``...`` and whitespace are loose);
* ``bash``, ``sh``, ``shell``, ``console`` (``$ `` lines only): every command line in order, a
  trailing ``\\`` joining lines; ``# exit N`` says the command is meant to exit ``N``. The set-up
  steps of the two commands the README starts with (``python3 -m venv``, ``pip install``) are
  checked against ``pyproject.toml`` rather than run, and the test command against ``.ci/run``
  (it is this suite).

An HTML comment on the line before a block may say ``<!-- requires: torch -->`` (the block is
skipped, with the reason, when the module is missing) or ``<!-- slow: REASON -->``.  A command
with ``--pdf`` or ``--png`` is skipped without pdflatex, except under ``CI=true``."""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)
NOTE = re.compile(r"<!--\s*(requires|slow):\s*(.*?)\s*-->")
EXIT = re.compile(r"#\s*exit (\d)\b")
SHELLS = ("bash", "sh", "shell", "console")
RUN = ("python", "pycon", *SHELLS)
#: the languages of blocks that are not run (``toml`` blocks are saved as files)
SHOWN = ("toml", "latex", "text", "")
#: the extra that installs each module a block may require
EXTRAS = {"torch": "parity", "matplotlib": "plot", "playwright": "browser", "jax": "jax"}
#: the README's test command: the suite itself, checked against .ci/run and not run
TEST_COMMAND = ".venv/bin/python -m pytest -q"
INSTALL = re.compile(r"^(?:\.venv/bin/)?pip install -q -e (?:\.|'\.\[([\w,]+)\]')$")


@dataclass(frozen=True)
class Block:
    page: str  # the page's path from the repository's root
    line: int  # the line of its opening fence
    lang: str
    body: str
    requires: tuple[str, ...]
    slow: str | None

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}-{self.lang}"


def blocks(page: str) -> list[Block]:
    """Every fenced block of ``page`` (a path from the repository's root), in order."""
    text = (ROOT / page).read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        notes = dict(NOTE.findall(before))
        requires = tuple(n.strip() for n in notes.get("requires", "").split(",") if n.strip())
        line = text.count("\n", 0, m.start()) + 1
        out.append(Block(page, line, m.group("lang"), m.group("body"), requires, notes.get("slow")))
    return out


def params(pages: list[str], langs: tuple[str, ...]) -> list:
    """The runnable blocks of ``pages`` in ``langs``, as pytest parameters (slow ones marked)."""
    return [
        pytest.param(b, id=b.id, marks=[pytest.mark.slow(reason=b.slow)] if b.slow else [])
        for page in pages
        for b in blocks(page)
        if b.lang in langs
    ]


def files(page: str) -> dict[str, str]:
    """The page's toml blocks whose first line names a file (``# claims.toml``)."""
    out = {}
    for b in blocks(page):
        first = b.body.splitlines()[0] if b.body else ""
        if b.lang == "toml" and first.startswith("# ") and first.endswith(".toml"):
            out[first[2:].strip()] = b.body
    return out


def commands(block: Block) -> list[tuple[str, int]]:
    """``(command line, expected exit code)`` of a shell block, in order."""
    out = []
    for raw in block.body.replace("\\\n", " ").splitlines():
        line = raw.strip()
        if block.lang == "console":
            if not line.startswith("$ "):
                continue  # a console block's other lines are output
            line = line[2:]
        if not line or line.startswith("#"):
            continue
        m = EXIT.search(line)
        out.append((re.split(r"\s+#", line)[0].strip(), int(m.group(1)) if m else 0))
    return out


def enter(block: Block, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``folder`` the block's working folder (its page's files, ``examples/``), or skip the
    block when a module it requires is missing."""
    for name in block.requires:
        if importlib.util.find_spec(name) is None:
            extra = EXTRAS.get(name)
            pytest.skip(f"{block.id} needs {name}" + (f" (pip install -e '.[{extra}]')" if extra else ""))
    for name, text in files(block.page).items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MPLBACKEND", "Agg")


def setup_step(step: str) -> bool:
    """Whether ``step`` installs (checked, not run): a venv, or an install of known extras."""
    if step == "python3 -m venv .venv":
        return True
    m = INSTALL.match(step)
    if m is None:
        return False
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    for extra in (m.group(1) or "").split(","):
        assert not extra or extra in extras, f"no extra [{extra}] in pyproject.toml: {step}"
    return True


def _argv(step: str, command: Path) -> list[str]:
    argv = shlex.split(step)
    head = argv[0].removeprefix(".venv/bin/")
    if head == "symconv":
        return [str(command), *argv[1:]]
    if head in ("python", "python3"):
        return [sys.executable, *argv[1:]]
    return [str(Path(sys.executable).parent / head), *argv[1:]] if head != argv[0] else argv


def run_shell(block: Block, folder: Path, command: Path) -> None:
    todo = commands(block)
    assert todo, f"{block.id}: a shell block without a command"
    for line, code in todo:
        if ("--pdf" in line or "--png" in line) and shutil.which("pdflatex") is None:
            if os.environ.get("CI") == "true":
                pytest.fail("pdflatex is missing under CI=true")
            pytest.skip("pdflatex is not installed")
        for step in (s.strip() for s in line.split("&&")):
            if setup_step(step) or step == TEST_COMMAND:
                continue  # installs, or this very test suite (checked against .ci/run)
            done = subprocess.run(
                _argv(step, command), cwd=folder, capture_output=True, text=True, timeout=300, check=False
            )
            assert done.returncode == code, f"{step}\n{done.stderr or done.stdout[-2000:]}"
            assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr


def run_python(block: Block) -> None:
    code = compile(block.body, block.id, "exec")
    try:
        exec(code, {"__name__": "__docs__"})
    finally:
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")


def run_session(block: Block) -> None:
    test = doctest.DocTestParser().get_doctest(block.body, {}, block.id, block.page, block.line)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0, f"{runner.failures} example(s) of {block.id} differ from the program (see above)"


def run(block: Block, folder: Path, monkeypatch: pytest.MonkeyPatch, command: Path) -> None:
    """Run one block as its language says, in ``folder``."""
    enter(block, folder, monkeypatch)
    if block.lang == "python":
        run_python(block)
    elif block.lang == "pycon":
        run_session(block)
    else:
        run_shell(block, folder, command)
