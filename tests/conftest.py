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

#: a test that takes longer says why in its marker: ``@pytest.mark.slow(reason="...")``
SLOW_SECONDS = 10.0


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
    if report.duration > SLOW_SECONDS and report.when in ("setup", "call") and not slow_reason(item):
        report.user_properties.append((f"slow_{report.when}", round(report.duration, 1)))
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the tests that took more than ``SLOW_SECONDS`` and give no reason in a
    ``slow(reason=...)`` marker, and the module fixtures that took as long to set up for such
    a test (information: a loaded machine slows every test)."""
    reports = [r for key in ("passed", "failed", "error", "") for r in terminalreporter.stats.get(key, [])]
    for when, what in (("call", "tests"), ("setup", "fixture set-ups")):
        found = sorted(
            (
                (dict(r.user_properties)[f"slow_{when}"], r.nodeid)
                for r in reports
                if f"slow_{when}" in dict(getattr(r, "user_properties", ()))
            ),
            reverse=True,
        )
        if found:
            terminalreporter.section(f"{what} over {SLOW_SECONDS:g} s without a slow(reason=...) marker")
            for seconds, nodeid in found:
                terminalreporter.write_line(f"{seconds:7.1f} s  {nodeid}")
