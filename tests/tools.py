"""The linters the test extra installs, run with this interpreter (``python -m ruff``), so they
are found in a virtual environment whose ``bin/`` is not on ``PATH``."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest


def require(available: bool, message: str) -> None:
    """Go on when a tool the test needs is ``available``; else skip with ``message``, except
    under ``CI=true``, where ``.ci/run`` installs every tool: there the test fails."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}, but CI=true")
    pytest.skip(message)


def python_tool(name: str) -> list[str]:
    """The command that runs ``name`` as a module of this interpreter (skips without it,
    fails under ``CI=true``: :func:`require`)."""
    require(importlib.util.find_spec(name) is not None, f"{name} is not installed (pip install -e '.[test]')")
    return [sys.executable, "-m", name]


def kernel_plan(spec, name: str = "PLAN"):
    """The plan record ``name`` that ``spec``'s code plan binds for its kernel functions
    (``symconv/layers/*/*_kernel.py``), built as generation builds it, checks included."""
    import symconv
    from symconv.codegen.plans import Names
    from symconv.registry import kind

    d = symconv.derive(spec)
    return kind(d).plan(d, Names()).records[name]


def conv_spec(inp, ker, pad, stride, dil, cin, cout, groups, bias=True):
    """A Conv2D from one row of a test table (the parity and the kernel tests share the layout)."""
    import symconv

    return symconv.Conv2D(
        input=inp,
        kernel=ker,
        padding=pad,
        stride=stride,
        dilation=dil,
        in_channels=cin,
        out_channels=cout,
        groups=groups,
        bias=bias,
    )
