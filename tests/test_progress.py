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
