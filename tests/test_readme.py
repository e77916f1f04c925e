"""The README runs as printed: every ``python`` block, ``pycon`` session and shell command of it,
each block in a fresh folder (``tests/docblocks.py`` says how; the pages of docs/ run in
``tests/test_readme_docs.py``).  The README starts with the two commands of a fresh machine, and
``.ci/run`` runs its test command.  Benchmark commands named in the README and docs/ exist, and
docstring examples of the package run here as well."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from docblocks import ROOT, RUN, SHOWN, TEST_COMMAND, Block, blocks, commands, files, params, run

import symconv

README = "README.md"


def test_the_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    first, second = blocks(README)[:2]
    assert (first.lang, second.lang) == ("bash", "bash")
    text = (ROOT / README).read_text(encoding="utf-8")
    assert text.split("```")[0].strip() == "# symconv"  # nothing but the title before them
    (setup, _), (test, _) = (*commands(first), *commands(second))
    assert setup == "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/symconv derive"
    assert test == f"python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && {TEST_COMMAND}"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in ci, ".ci/run must run the README's test command as printed"


def test_the_readme_has_what_these_tests_run():
    langs = {b.lang for b in blocks(README)}
    assert {"python", "pycon", "bash", "toml"} <= langs
    assert "claims.toml" in files(README)
    assert all(b.lang in (*RUN, *SHOWN) for b in blocks(README))
    assert len((ROOT / README).read_text(encoding="utf-8").splitlines()) <= 300


@pytest.mark.parametrize("block", params([README], RUN))
def test_readme_block_runs_as_printed(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: Path):
    run(block, tmp_path, monkeypatch, command)


BENCH = re.compile(r"`(?:env [^`]*?)?python3? (benchmarks/\w+\.py)([^`]*)`")


def test_every_benchmark_command_in_the_docs_names_a_script_and_its_flags():
    """The speed tables name the command that produced them; each script exists and takes each
    flag given (its own or the shared harness's, benchmarks/parity.py)."""
    harness = (ROOT / "benchmarks" / "parity.py").read_text(encoding="utf-8")
    found = 0
    for page in [ROOT / README, *sorted((ROOT / "docs").glob("*.md"))]:
        for script, args in BENCH.findall(page.read_text(encoding="utf-8")):
            path = ROOT / script
            assert path.exists(), f"{page.name}: {script} does not exist"
            source = path.read_text(encoding="utf-8") + harness
            for flag in re.findall(r"--[\w-]+", args):
                assert f'"{flag}"' in source, f"{page.name}: {script} has no flag {flag}"
            found += 1
    assert found >= 8


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


def _anchors(text: str) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces as ``-``."""
    heads = re.findall(r"^#+ (.+)$", re.sub(r"^```.*?^```", "", text, flags=re.S | re.M), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


def test_every_link_between_the_pages_finds_its_file_and_heading():
    pages = [ROOT / README, *sorted((ROOT / "docs").glob("*.md"))]
    links = 0
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            path, _, anchor = target.partition("#")
            found = (page.parent / path).resolve() if path else page
            assert found.exists(), f"{page.name}: {target} names no file"
            if anchor:
                assert anchor in _anchors(found.read_text(encoding="utf-8")), f"{page.name}: {target} names no heading"
            links += 1
    assert links >= 20
