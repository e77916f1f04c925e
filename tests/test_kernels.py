"""The kernel modules (``symconv/layers/**/*_kernel.py``): the
one place each layer's gather/scatter/sweep algorithms live.  A generated module holds a copy
of the definitions its code reaches, so they import nothing but NumPy, ``typing`` and each
other, their names do not meet the names a generated module defines, every function in them is
called, and every copy equals its source.  Each family's algorithms are tested directly in
``tests/test_kernel_<family>.py``."""

from __future__ import annotations

import ast
import re

import pytest
from imports import PACKAGE, graph, modules, reachable

from symconv.codegen import embed, render
from symconv.templating import environment

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
    k = embed.kernel(name)  # refuses any other import, or one below the top, or a statement not a definition
    assert set(k.needs) <= set(KERNELS)
    assert reachable(graph(), name) <= set(KERNELS), name
    code = (line for d in k.definitions for line in d.source.splitlines() if not line.lstrip().startswith("#"))
    assert "import " not in "\n".join(code)


def test_kernel_names_are_unique_and_not_the_generated_modules_own():
    """Copied side by side into one module, no kernel may redefine another's name; a generated
    module's own names (``forward``, ``SPEC``, the constants...) are never a kernel's, whose
    copies there are private (``_name``)."""
    seen: dict[str, str] = {}
    for name in KERNELS:
        for d in embed.kernel(name).definitions:
            assert d.name not in seen, f"{d.name} is defined by {seen.get(d.name)} and {name}"
            seen[d.name] = name
    for path in GENERATED:
        own = _top_names(path.read_text(encoding="utf-8"))
        assert own.isdisjoint(seen), (path, sorted(own & set(seen)))


def test_every_kernel_function_is_called():
    """No dead kernel code: each function of a kernel module is called from a template or from a
    layer's plan module, or named in another kernel definition (called there, or a pass that a
    selector such as ``conv_passes`` returns when a module is generated, which the template then
    calls by name)."""
    sources = {name: {d.name: d.source for d in embed.kernel(name).definitions} for name in KERNELS}
    plans = "\n".join(p.read_text(encoding="utf-8") for p in sorted((PACKAGE / "layers").glob("*/plan.py")))
    for name, defs in sources.items():
        for fn, source in defs.items():
            if not re.search(rf"^def {fn}\(", source, flags=re.MULTILINE):
                continue  # a class or a type alias
            call, named = re.compile(rf"\b{fn}\("), re.compile(rf"\b{fn}\b")
            elsewhere = (text for m in sources.values() for other, text in m.items() if other != fn)
            called = call.search(TEMPLATES) or call.search(plans) or any(map(named.search, elsewhere))
            assert called, f"{name}.{fn} is never called"


def _copies(text: str, names: set[str]) -> dict[str, embed.Definition]:
    """The top-level definitions of a generated module whose names are in ``names``, with their
    ``#:`` comments, as :func:`embed.definitions` reads them."""
    tree = ast.parse(text)
    nodes = [n for n in tree.body if isinstance(n, embed.DEFINITIONS) and embed._defined(n) in names]
    return {d.name: d for d in embed.definitions(text, "<generated>", nodes)}


@pytest.mark.parametrize("path", GENERATED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_copied_definition_equals_its_source(path):
    """The header names the kernel modules the module copies from, each after those it imports;
    every kernel definition it holds is its kernel module's, character for character, but for
    its kernel names made private (``x`` to ``_x``), and every helper it holds is the helpers
    template's.  What it holds and leaves out is the generator's choice (the definitions its own
    code reaches); that each of them runs is ``tests/test_codegen_entered.py``'s check."""
    text = path.read_text(encoding="utf-8")
    named = re.findall(r"^#   (symconv/\S+\.py)$", text, flags=re.MULTILINE)
    kernels = [embed.kernel(m) for m in KERNELS]
    listed = [k for k in kernels if k.relative in named]
    assert [k.relative for k in embed.ordered(k.name for k in listed)] == named
    sources = {f"_{d.name}": d for k in listed for d in k.definitions}
    copied = _copies(text, set(sources))
    assert copied and {sources[n].origin for n in copied} == set(named), path
    for name, d in copied.items():
        assert d.source == embed.private(sources[name].source, {s.name for s in sources.values()}), name
    template = environment("numpy").get_template(render.HELPERS).render()
    helpers = {d.name: d for d in embed.definitions(template, render.HELPERS)}
    held = _copies(text, set(helpers))
    assert {"_batch", "_batchless"} <= set(held), path
    for name, d in held.items():
        assert d.source == helpers[name].source, name


def test_the_copy_check_sees_an_edited_copy():
    """A copied definition changed by one character no longer equals its source."""
    path = GENERATED[0]
    text = path.read_text(encoding="utf-8")
    sources = {f"_{d.name}": d for m in KERNELS for d in embed.kernel(m).definitions}
    name, d = next(iter(_copies(text, set(sources)).items()))
    edited = _copies(text.replace(d.source, d.source.replace(":", " :", 1)), {name})[name]
    assert edited.source != embed.private(sources[name].source, {s.name for s in sources.values()})


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
