"""The kernel modules (``symconv/layers/**/*_kernel.py``): the
one place each layer's gather/scatter/sweep algorithms live.  A generated module holds a copy
of the ones its layers use, so they import nothing but NumPy, ``typing`` and each other, their
names do not meet the names a generated module defines, and every function in them is called
from a template or another kernel.  Each family's algorithms are tested directly in
``tests/test_kernel_<family>.py``."""

from __future__ import annotations

import ast
import re

import pytest
from imports import PACKAGE, graph, modules, reachable

from symconv.codegen import embed

KERNELS = sorted(m for m in modules() if m.endswith("_kernel"))
ROOT = PACKAGE.parent
GENERATED = sorted((ROOT / "generated").glob("*/*.py"))
TEMPLATES = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "templates" / "numpy").glob("*.j2")))


def _top_names(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_there_are_kernel_modules():
    assert "symconv.layers.window_kernel" in KERNELS and "symconv.layers.pool.avg_kernel" in KERNELS


@pytest.mark.parametrize("name", KERNELS)
def test_a_kernel_module_imports_only_numpy_typing_and_kernels(name):
    k = embed.kernel(name)  # refuses any other import, or one below the top
    assert set(k.needs) <= set(KERNELS)
    assert reachable(graph(), name) <= set(KERNELS), name
    assert "import " not in "\n".join(line for line in k.body.splitlines() if not line.lstrip().startswith("#"))


def test_kernel_names_are_unique_and_not_the_generated_modules_own():
    """Copied side by side into one module, no kernel may redefine another's name, nor a name
    the module's templates define (``forward``, ``_batch``, ``SPEC``, the constants...)."""
    seen: dict[str, str] = {}
    for name in KERNELS:
        for top in _top_names(embed.kernel(name).body):
            assert top not in seen, f"{top} is defined by {seen.get(top)} and {name}"
            seen[top] = name
    for path in GENERATED:
        text = path.read_text(encoding="utf-8")
        bodies = [embed.kernel(m).body for m in KERNELS if f"#   {embed.kernel(m).relative}\n" in text]
        own = _top_names(text) - set().union(*(_top_names(b) for b in bodies))
        assert own.isdisjoint(seen), (path, sorted(own & set(seen)))


def test_every_kernel_function_is_called():
    """No dead kernel code: each function of a kernel module is called from a template or
    from another kernel function."""
    bodies = {name: embed.kernel(name).body for name in KERNELS}
    trees = {name: ast.parse(body).body for name, body in bodies.items()}  # each parsed once
    # every top-level definition of every kernel module: (its name, or None, and its source)
    parts = [
        (getattr(n, "name", None), ast.get_source_segment(bodies[m], n) or "") for m, t in trees.items() for n in t
    ]
    for name, tree in trees.items():
        for node in tree:
            if not isinstance(node, ast.FunctionDef):
                continue
            call = re.compile(rf"\b{node.name}\(")
            elsewhere = (text for other, text in parts if other != node.name)
            assert call.search(TEMPLATES) or any(map(call.search, elsewhere)), f"{name}.{node.name} is never called"


@pytest.mark.parametrize("path", GENERATED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_generated_module_holds_its_kernels_verbatim(path):
    """The header names the kernel modules copied in, each after those it imports, and each
    copy is the module's source after its imports, character for character."""
    text = path.read_text(encoding="utf-8")
    named = re.findall(r"^#   (symconv/\S+\.py)$", text, flags=re.MULTILINE)
    kernels = [embed.kernel(m) for m in KERNELS]
    listed = [k for k in kernels if k.relative in named]
    assert [k.relative for k in embed.ordered(k.name for k in listed)] == named
    for k in listed:
        assert k.body in text, k.name


def test_kernels_come_after_the_kernels_they_import():
    ordered = [k.name for k in embed.ordered(["symconv.layers.pool.avg_kernel"])]
    assert ordered == [
        "symconv.layers.window_kernel",
        "symconv.layers.pool.planes_kernel",
        "symconv.layers.pool.avg_kernel",
    ]


def test_a_kernel_module_with_another_import_is_refused(tmp_path, monkeypatch):
    """The loader of kernel sources refuses an import it could not copy (here ``os``)."""
    package = tmp_path / "kernelpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "bad_kernel.py").write_text('"""x"""\n\nimport os\n\n\ndef f():\n    return os.sep\n')
    (package / "late_kernel.py").write_text('"""x"""\n\n\ndef f():\n    return 1\n\n\nimport numpy as np\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match="imports only numpy"):
        embed.kernel("kernelpkg.bad_kernel")
    with pytest.raises(ValueError, match="at its top"):
        embed.kernel("kernelpkg.late_kernel")
