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
    from symconv.registry import part

    d = symconv.derive(spec)
    return part(d, "plan")(d, Names()).records[name]


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


def conv_reference(spec, A, K, b, dZ=None):  # noqa: N803 - the seed's names
    """``Z`` (or, given ``dZ``, ``(dA, dK, db)``) of a general or transposed convolution ``spec``
    in any number of axes, by the plain loops of ``tests/reference_loops.py``."""
    import reference_loops as ref

    if hasattr(spec, "output_padding"):  # a transposed convolution
        if dZ is None:
            return ref.transpose_forward(
                A, K, b, spec.padding, spec.stride, spec.dilation, spec.output_padding, spec.groups
            )
        return ref.transpose_backward(dZ, A, K, spec.padding, spec.stride, spec.dilation, spec.groups)
    args = (spec.padding, spec.stride, spec.dilation, spec.input_dilation, spec.padding_mode, spec.groups)
    return ref.general_conv_forward(A, K, b, *args) if dZ is None else ref.general_conv_backward(dZ, A, K, *args)
