"""The algorithms a generated module runs, copied in from the layer homes' kernel modules.

Each layer family keeps its gather/scatter/sweep algorithms in ``symconv/layers/<family>/
*_kernel.py`` (shared pieces in ``symconv/layers/window_kernel.py``): typed NumPy functions that take
their constants as a plan record, tested directly (``tests/test_kernels.py``).  A generated
module stays standalone: it holds a copy of the source of the kernel modules its layers use,
each once, after the modules they import, and the templates only bind the constants (the
plan records) and lay out the public functions.  A kernel module imports nothing but NumPy,
``typing`` and other kernel modules, all at its top; everything after those imports is copied.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: what a kernel module may import besides other kernel modules: ``numpy`` as ``np`` (as a
#: generated module does) and names from the standard library's ``typing`` and
#: ``collections.abc``, which a generated module then imports the same way
ALLOWED_IMPORTS = frozenset({"__future__", "numpy", "typing", "collections.abc"})


@dataclass(frozen=True)
class Kernel:
    """One kernel module: its name, the kernel modules it imports, the ``(module, name)``
    pairs it imports from ``typing`` and ``collections.abc``, and its source after the imports."""

    name: str
    needs: tuple[str, ...]
    names: tuple[tuple[str, str], ...]
    body: str

    @property
    def relative(self) -> str:
        """Its path as a module's header names it (``symconv/layers/pool/avg_kernel.py``)."""
        return self.name.replace(".", "/") + ".py"


@cache
def kernel(name: str) -> Kernel:
    """The kernel module ``name`` (``symconv.layers.pool.avg_kernel``), read from its file."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ValueError(f"no kernel module {name}")
    text = Path(spec.origin).read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text)
    needs: list[str] = []
    names: list[tuple[str, str]] = []
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the module's docstring
    start = len(lines) + 1
    for node in body:
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            needs.append(importlib.util.resolve_name("." * node.level + (node.module or ""), spec.parent or ""))
        elif isinstance(node, ast.ImportFrom) and node.module in ALLOWED_IMPORTS:
            if node.module not in ("__future__", "numpy"):
                names += [(node.module, a.name) for a in node.names if a.asname is None]
        elif isinstance(node, ast.Import) and [(a.name, a.asname) for a in node.names] == [("numpy", "np")]:
            pass
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            raise ValueError(f"{name}: a kernel module imports only numpy, typing and kernel modules")
        else:
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            start = _comment_start(lines, first)
            break
    rest = [n for n in body if getattr(n, "lineno", 0) >= start]
    if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in rest):
        raise ValueError(f"{name}: a kernel module's imports are all at its top")
    source = "\n".join(lines[start - 1 :]).strip("\n")
    return Kernel(name, tuple(needs), tuple(names), source)


def _comment_start(lines: list[str], first: int) -> int:
    """The 1-based line where the comment block just above line ``first`` starts."""
    while first > 1 and lines[first - 2].lstrip().startswith("#"):
        first -= 1
    return first


def ordered(names: Iterable[str]) -> list[Kernel]:
    """The kernel modules ``names`` and those they import, each once, every module after
    the ones it imports (in the order first asked for)."""
    out: list[Kernel] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise ValueError(f"kernel modules import each other: {' -> '.join((*path, name))}")
        if name in seen:
            return
        k = kernel(name)
        for need in k.needs:
            visit(need, (*path, name))
        seen.add(name)
        out.append(k)

    for name in names:
        visit(name, ())
    return out


def imports(kernels: Iterable[Kernel]) -> list[str]:
    """The ``from typing import ...`` lines (and the like) a module holding ``kernels`` needs."""
    by_module: dict[str, set[str]] = {}
    for k in kernels:
        for module, name in k.names:
            by_module.setdefault(module, set()).add(name)
    return [f"from {m} import {', '.join(sorted(by_module[m]))}" for m in sorted(by_module)]
