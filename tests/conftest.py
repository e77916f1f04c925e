"""What the test files share: the golden files (generated/ as the generator makes it now),
made once per test run, and the report of slow tests that give no reason."""

from __future__ import annotations

import fcntl
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from symconv.golden import golden_files

#: a test that takes longer (its setup included) says why in its marker: ``@pytest.mark.slow(reason="...")``
SLOW_SECONDS = 10.0
_SPENT = pytest.StashKey[float]()


@pytest.fixture(scope="session")
def golden(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every file of generated/ as the generator makes it now, by path relative to generated/
    (``appendix_a/conv.py``, ``appendix_a/derivation.tex``, ...).

    Made once per test run: the xdist workers share one copy through a file in the run's
    temporary folder, made by the first worker that asks while the others wait."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, which holds every worker's
    made = root / "golden.json"
    with open(root / "golden.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not made.exists():
            made.write_text(json.dumps(golden_files()), encoding="utf-8")
    return json.loads(made.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def command() -> Path:
    """The installed ``symconv`` command (the entry point a user runs), beside this Python."""
    exe = Path(sys.executable).parent / "symconv"
    if not exe.exists():  # pragma: no cover - a venv always has the entry point
        pytest.skip("the symconv entry point is not installed")
    return exe


def slow_reason(item: pytest.Item) -> str | None:
    """The reason a test's ``slow`` marker gives, or ``None``."""
    marker = item.get_closest_marker("slow")
    return None if marker is None else marker.kwargs.get("reason")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when in ("setup", "call"):  # a module fixture's setup counts for the test that made it
        item.stash[_SPENT] = item.stash.get(_SPENT, 0.0) + report.duration
    if report.when == "call" and item.stash[_SPENT] > SLOW_SECONDS and not slow_reason(item):
        report.user_properties.append(("slow_without_reason", round(item.stash[_SPENT], 1)))
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the tests that took more than ``SLOW_SECONDS`` and give no reason in a
    ``slow(reason=...)`` marker (information: a loaded machine slows every test)."""
    found = [
        (dict(r.user_properties)["slow_without_reason"], r.nodeid)
        for r in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
        if "slow_without_reason" in dict(r.user_properties)
    ]
    if found:
        terminalreporter.section(f"tests over {SLOW_SECONDS:g} s without a slow(reason=...) marker")
        for seconds, nodeid in sorted(found, reverse=True):
            terminalreporter.write_line(f"{seconds:7.1f} s  {nodeid}")
