"""generated/ is golden output: what the generator makes now, byte for byte.

The files are generated once for the test run (conftest's ``golden``); the tests of writing
and of drift then read that result instead of generating all four configs again each time."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from symconv import golden as golden_module
from symconv.golden import default_root, drift, write_all

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def files(golden: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """conftest's ``golden``, also as what ``write_all`` and ``drift`` generate in this test."""
    monkeypatch.setattr(golden_module, "golden_files", lambda progress=golden_module.QUIET: golden)
    return golden


def test_generated_folder_has_not_drifted(files):
    assert default_root() == ROOT / "generated"
    problems = drift(default_root())
    assert not problems, "generated/ drifted; run `symconv codegen --all`:\n" + "\n".join(problems)[:5000]


def test_regenerating_into_a_fresh_folder_gives_the_same_bytes(tmp_path, files):
    written = write_all(tmp_path)
    assert {p.relative_to(tmp_path).as_posix() for p in written} == set(files)
    for rel in files:
        assert (tmp_path / rel).read_bytes() == (ROOT / "generated" / rel).read_bytes()
    assert drift(tmp_path) == []


def test_drift_reports_edits_and_stale_files(tmp_path, files):
    write_all(tmp_path)
    target = tmp_path / "appendix_a" / "conv.py"
    target.write_text(target.read_text() + "# edited\n")
    (tmp_path / "old.py").write_text("x = 1\n")
    problems = drift(tmp_path)
    assert any("appendix_a/conv.py" in p and "-# edited" in p for p in problems)
    assert any("generated/old.py: not made by the generator" in p for p in problems)


def test_every_golden_file_names_its_command_and_forbids_editing(golden):
    for rel, text in golden.items():
        head = "\n".join(itertools.takewhile(lambda line: line.startswith(("#", "%")), text.splitlines()))
        assert "symconv codegen --all" in head, rel
        assert "not edit" in head.lower() or "do not edit" in head.lower(), rel
