"""The algorithms a generated module runs, copied in from the layer homes' kernel modules: the
definitions its code reaches, and only those.

Each layer family keeps its gather/scatter/sweep algorithms in ``symconv/layers/<family>/
*_kernel.py`` (shared pieces in ``symconv/layers/window_kernel.py`` and ``pad_kernel.py``): typed
NumPy functions that take their constants as a plan record, tested directly
(``tests/test_kernel_*.py``).  A kernel module imports nothing but NumPy, ``typing``,
``collections.abc`` and other kernel modules, all at its top, and after its imports holds only
definitions (functions, classes, type aliases), each a :class:`Definition`: its source, verbatim,
and the names it reads, found with :mod:`symtable`.

A generated module stays standalone and holds what its layer runs: :func:`reached` takes the
definitions its own code (the templates' constants, plan records and public functions) reads,
then those they read, and so on, each once, in the kernel modules' order (every module after the
ones it imports, definitions in source order; :func:`check_order` checks that each name read
when a definition is made is defined before it).  A choice between algorithms is made when the
module is generated: the plan record holds the chosen pass (a kernel's selector such as
``conv_passes`` picks it), so the passes of other paths are not reached.  The copies are then
made private: :func:`private` renames every copied kernel name ``x`` to ``_x``, AST-exactly (the
names' own places, nothing in strings or comments), and checks it.
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import re
import symtable
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: what a kernel module may import besides other kernel modules: ``numpy`` as ``np`` (as a
#: generated module does) and names from the standard library's ``typing`` and
#: ``collections.abc``, which a generated module then imports the same way
ALLOWED_IMPORTS = frozenset({"__future__", "numpy", "typing", "collections.abc"})
#: the statements a kernel module holds after its imports
DEFINITIONS = (ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)


@dataclass(frozen=True)
class Definition:
    """One top-level definition: its ``name``, where it comes from (``origin``, a path as a
    module's header names it), its ``source`` (the ``#:`` comment lines just above it and its
    text, character for character), the global names it reads anywhere in it (``uses``) and
    those it reads when it is made (``early``: decorators, default values, annotations, class
    bodies, an assignment's value; a function's body runs later)."""

    name: str
    origin: str
    source: str
    uses: frozenset[str]
    early: frozenset[str]


@dataclass(frozen=True)
class Kernel:
    """One kernel module: its name, the kernel modules it imports, the ``(module, name)`` pairs
    it imports from ``typing`` and ``collections.abc``, and its definitions in source order."""

    name: str
    needs: tuple[str, ...]
    names: tuple[tuple[str, str], ...]
    definitions: tuple[Definition, ...]

    @property
    def relative(self) -> str:
        """Its path as a module's header names it (``symconv/layers/pool/avg_kernel.py``)."""
        return relative(self.name)


def relative(name: str) -> str:
    """A module's path as a generated module's header names it (``symconv/layers/pad_kernel.py``)."""
    return name.replace(".", "/") + ".py"


@cache
def kernel(name: str) -> Kernel:
    """The kernel module ``name`` (``symconv.layers.pool.avg_kernel``), read from its file."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ValueError(f"no kernel module {name}")
    text = Path(spec.origin).read_text(encoding="utf-8")
    tree = ast.parse(text)
    needs: list[str] = []
    names: list[tuple[str, str]] = []
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the module's docstring
    start = len(body)
    for k, node in enumerate(body):
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
            start = k
            break
    rest = body[start:]
    if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in rest):
        raise ValueError(f"{name}: a kernel module's imports are all at its top")
    return Kernel(name, tuple(needs), tuple(names), tuple(definitions(text, relative(name), rest)))


def definitions(text: str, origin: str, nodes: Iterable[ast.stmt] | None = None) -> list[Definition]:
    """The top-level definitions of the source ``text`` (or of those of its statements given as
    ``nodes``), each with its ``#:`` comment lines; anything but a definition is refused."""
    lines = text.splitlines()
    out: list[Definition] = []
    for node in ast.parse(text).body if nodes is None else nodes:
        if not isinstance(node, DEFINITIONS) or _defined(node) is None:
            raise ValueError(f"{origin}: line {node.lineno} is not a definition (a function, class or name)")
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        while first > 1 and lines[first - 2].lstrip().startswith("#:"):
            first -= 1
        source = "\n".join(lines[first - 1 : node.end_lineno])
        uses, early = reads(source, origin)
        out.append(Definition(str(_defined(node)), origin, source, uses, early))
    return out


def _defined(node: ast.stmt) -> str | None:
    """The one name a top-level definition binds, or ``None``."""
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return node.name
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    if len(targets) == 1 and isinstance(targets[0], ast.Name):
        return targets[0].id
    return None


def reads(source: str, origin: str = "<source>") -> tuple[frozenset[str], frozenset[str]]:
    """The global names ``source`` reads anywhere, and those it reads when it runs at the top
    level (its own top-level statements and class bodies, not the bodies of its functions)."""
    top = symtable.symtable(source, origin, "exec")
    uses: set[str] = set()
    early = {s.get_name() for s in top.get_symbols() if s.is_referenced()}

    def visit(table: symtable.SymbolTable, running: bool) -> None:
        here = {s.get_name() for s in table.get_symbols() if s.is_referenced() and s.is_global()}
        uses.update(here)
        if running:
            early.update(here)
        for child in table.get_children():
            visit(child, running and child.get_type() == "class")

    for child in top.get_children():
        visit(child, child.get_type() == "class")
    return frozenset(uses | early), frozenset(early)


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


def reached(roots: Iterable[str], pool: Iterable[Definition]) -> list[Definition]:
    """The definitions of ``pool`` that the names ``roots`` reach: those named, then the ones
    they read, and so on, each once, in the pool's order.  Two definitions of one name in the
    pool are refused."""
    by_name: dict[str, Definition] = {}
    order: list[Definition] = []
    for d in pool:
        if d.name in by_name:
            raise ValueError(f"{d.name} is defined in {by_name[d.name].origin} and in {d.origin}")
        by_name[d.name] = d
        order.append(d)
    wanted: set[str] = set()
    todo = [n for n in roots if n in by_name]
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo += [n for n in by_name[name].uses if n in by_name]
    return [d for d in order if d.name in wanted]


def check_order(parts: Iterable[Definition], known: Iterable[str]) -> None:
    """Every name a definition reads when it is made (:attr:`Definition.early`) is a builtin,
    ``known`` (the module's imports and constants) or a definition before it."""
    defined = set(known) | set(dir(builtins))
    for d in parts:
        missing = sorted(d.early - defined - {d.name})
        if missing:
            raise ValueError(f"{d.origin}: {d.name} reads {', '.join(missing)} before they are defined")
        defined.add(d.name)


def imports(kernels: Iterable[Kernel], parts: Iterable[Definition]) -> list[str]:
    """The ``from typing import ...`` lines (and the like) that the copied definitions ``parts``
    need: the names their kernel modules import which they read."""
    used = set().union(*(d.uses for d in parts))
    by_module: dict[str, set[str]] = {}
    for k in kernels:
        for module, name in k.names:
            if name in used:
                by_module.setdefault(module, set()).add(name)
    return [f"from {m} import {', '.join(sorted(by_module[m]))}" for m in sorted(by_module)]


def private(text: str, names: Iterable[str]) -> str:
    """``text`` (a module's source) with each of ``names`` renamed ``_name`` wherever it is the
    module-level name: its definition and every reference, found in the AST, nothing else
    (attributes, keyword arguments, strings and comments keep theirs).  Refused when a function
    or class uses one of ``names`` for a name of its own, or ``_name`` is already taken; the result
    is checked to parse to the same AST with the names replaced."""
    mapping = {n: f"_{n}" for n in names}
    tree = ast.parse(text)
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | _top_names(tree)
    clash = sorted(v for v in mapping.values() if v in taken)
    if clash:
        raise ValueError(f"cannot make kernel names private: {', '.join(clash)} already exist")
    _refuse_shadows(symtable.symtable(text, "<module>", "exec"), set(mapping))
    lines = text.splitlines(keepends=True)
    edits: dict[int, list[tuple[int, int, str]]] = {}  # line -> (start, end, new) in characters
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in mapping:
            start = _column(lines[node.lineno - 1], node.col_offset)
            edits.setdefault(node.lineno, []).append((start, start + len(node.id), mapping[node.id]))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in mapping:
            line = lines[node.lineno - 1]
            at = re.compile(rf"(?:def|class)\s+({node.name})\b").match(line, _column(line, node.col_offset))
            if at is None:
                raise ValueError(f"cannot find the name of {node.name} at line {node.lineno}")
            edits.setdefault(node.lineno, []).append((at.start(1), at.end(1), mapping[node.name]))
    for lineno, spans in edits.items():
        line = lines[lineno - 1]
        for start, end, new in sorted(spans, reverse=True):
            line = line[:start] + new + line[end:]
        lines[lineno - 1] = line
    out = "".join(lines)
    if ast.dump(ast.parse(out)) != ast.dump(_Renamer(mapping).visit(tree)):
        raise ValueError("renaming the kernel names changed more than the names")
    return out


def _top_names(tree: ast.Module) -> set[str]:
    return {name for node in tree.body if (name := _defined(node)) is not None}


def _column(line: str, offset: int) -> int:
    """The character column of the UTF-8 byte ``offset`` of ``line`` (the AST's columns are bytes)."""
    return len(line.encode("utf-8")[:offset].decode("utf-8"))


def _refuse_shadows(table: symtable.SymbolTable, names: set[str]) -> None:
    for child in table.get_children():
        own = sorted(s.get_name() for s in child.get_symbols() if s.get_name() in names and not s.is_global())
        if own:
            raise ValueError(f"{child.get_name()} has a name of its own that a kernel defines: {', '.join(own)}")
        _refuse_shadows(child, names)


class _Renamer(ast.NodeTransformer):
    """The AST of a module with some of its global names replaced (what :func:`private` must give)."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.name = self.mapping.get(node.name, node.name)
        self.generic_visit(node)
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        node.name = self.mapping.get(node.name, node.name)
        self.generic_visit(node)
        return node
