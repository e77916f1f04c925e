"""The tree stays ruff-clean and mypy-clean (checked in CI with the tools the test extra
installs)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tools import python_tool

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_check_and_format_are_clean():
    ruff = python_tool("ruff")
    for args in (["check", "."], ["format", "--check", "."]):
        done = subprocess.run([*ruff, *args], cwd=ROOT, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow(reason="mypy over the whole package: 10-40 s on a loaded machine")
def test_mypy_is_clean():
    done = subprocess.run([*python_tool("mypy")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
