"""The shape of the package: one home per layer kind, imports one way, and code
generation that refuses (never asserts) when it would disagree with the derivation."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

import pytest
from imports import PACKAGE, cycles, graph, modules, reachable

from symconv.registry import KINDS, part

#: the core: shapes, symbols, Jacobians and every kind's spec and rule
CORE = {
    "symconv.errors",
    "symconv.validate",
    "symconv.geometry",
    "symconv.symbols",
    "symconv.sparse",
    "symconv.ops",
    "symconv.specs",
    "symconv.rule",
    "symconv.registry",
    "symconv.binding",
    "symconv.derive",
    "symconv.network",
    "symconv.layers.kind",
    *(
        f"symconv.layers.{family}.{part}"
        for family in ("conv", "pad", "pool", "adaptive", "unpool", "elementwise")
        for part in ("spec", "rule", "home")
    ),
}
#: presentation: printing, LaTeX and generated code
PRESENTATION_PREFIXES = (
    "symconv.latex",
    "symconv.html",
    "symconv.codegen",
    "symconv.templating",
    "symconv.cli",
    "symconv.verify",
)
#: a family's output parts: its document, its code, its names in claims
PRESENTATION_PARTS = (".latex", ".latex_nd", ".backward", ".plan", ".claims")


def _is_home(name: str) -> bool:
    return name.startswith("symconv.layers.")


def test_the_import_graph_has_no_cycle():
    assert cycles(graph()) == []


def test_the_core_never_imports_presentation():
    g = graph()
    mods = modules()
    assert CORE <= set(mods), sorted(CORE - set(mods))
    for core in sorted(CORE):
        pulled = reachable(g, core)
        bad = sorted(m for m in pulled if m.startswith(PRESENTATION_PREFIXES) or m.endswith(PRESENTATION_PARTS))
        assert bad == [], f"{core} imports presentation: {bad}"


def test_homes_never_import_the_machinery():
    """A home may use the printing and planning modules, never what asks the registry."""
    g = graph()
    machinery = {"symconv.registry", "symconv.derive", "symconv.network", "symconv.binding", "symconv.golden"}
    machinery |= {m for m in modules() if m.startswith(("symconv.cli", "symconv.verify"))}
    machinery |= {"symconv.latex.document", "symconv.latex.network", "symconv.codegen.render", "symconv.codegen.checks"}
    machinery |= {m for m in modules() if m.startswith("symconv.html")}
    for name in sorted(m for m in modules() if _is_home(m)):
        assert sorted(reachable(g, name) & machinery) == [], name


def test_the_machinery_imports_no_family():
    """The shared output machinery (latex/, codegen/, html/, templating) holds no kind's
    knowledge: it imports no layer family's module (only the kind record type); a family's
    settings and helpers live in its home (``symconv/layers/<family>/``)."""
    g = graph()
    shared = ("symconv.latex", "symconv.codegen", "symconv.html", "symconv.templating")
    family = re.compile(r"symconv\.layers\.(?!kind$)")
    for name in sorted(m for m in modules() if m.startswith(shared)):
        assert sorted(m for m in g.get(name, ()) if family.match(m)) == [], name


def test_no_function_is_longer_than_a_screen_and_a_half():
    """Builders are split into section-sized functions: none in ``symconv/`` over 100 lines."""
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > 100:
                    long.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []


def _kind_words() -> tuple[set[str], set[str]]:
    names = set(KINDS)
    classes = {k.spec.__name__ for k in KINDS.values()} | {k.rule.__name__ for k in KINDS.values()}
    return names, classes


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of a module and its classes and functions."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def test_outside_a_home_no_code_names_a_layer_kind():
    """No string that holds a kind's name (as a word, inside a longer text too: docstrings
    aside) and no reference to a kind's spec or rule class in the machinery (the registry,
    derive, network, latex/, codegen/, verify/, cli/, config)."""
    names, classes = _kind_words()
    # a kind's name inside a text: those made of code (a digit or an underscore: conv2d,
    # softmax_cross_entropy) anywhere, the plain words (dense, relu) when a string is one
    coded = sorted((n for n in names if re.search(r"[\d_]", n)), key=len, reverse=True)
    word = re.compile(r"\b(" + "|".join(map(re.escape, coded)) + r")\b")
    example = re.compile(r"\bsymconv (derive|latex|html|codegen|check|verify)\b")  # a command's examples
    found = []
    for name, path in sorted(modules().items()):
        if _is_home(name) or name == "symconv":  # the facade re-exports the spec classes
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                if node.value in names or (word.search(node.value) and not example.search(node.value)):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value[:60]!r}")
            elif isinstance(node, ast.Name) and node.id in classes:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.id}")
            elif isinstance(node, ast.alias) and node.name.split(".")[-1] in classes:
                found.append(f"{path.relative_to(PACKAGE.parent)}: imports {node.name}")
    assert found == []


def test_the_detector_sees_a_kind_name():
    """The check above is not vacuous: it finds a kind's name and class in a snippet."""
    names, classes = _kind_words()
    tree = ast.parse('if d.kind == "maxpool2d" or isinstance(d, ConvDerivation): pass')
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    refs = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert strings & names == {"maxpool2d"} and refs & classes == {"ConvDerivation"}


def test_deriving_imports_no_output():
    """``import symconv; symconv.derive(spec)`` loads no LaTeX, code generation, claims, HTML,
    command line or jinja2, and no family's output part (a fresh interpreter)."""
    code = (
        "import sys, symconv\n"
        "symconv.derive(symconv.Conv2D(input=(3, 4), kernel=2))\n"
        "symconv.derive(symconv.Network(input=(6, 6), layers=[symconv.Conv2D(kernel=3), symconv.ReLU(),"
        " symconv.MaxPool2D(window=2), symconv.Flatten(), symconv.Dense(out_features=2),"
        " symconv.SoftmaxCrossEntropy()]))\n"
        "outputs = ('symconv.latex', 'symconv.codegen', 'symconv.verify', 'symconv.html', 'symconv.cli', 'jinja2')\n"
        "parts = ('.latex', '.latex_nd', '.backward', '.plan', '.claims')\n"
        "ours = [m for m in sys.modules if m.startswith('symconv.')]\n"
        "print(sorted(m for m in sys.modules if m.startswith(outputs)) + sorted(m for m in ours if m.endswith(parts)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_every_kind_is_complete():
    """Every kind has its core, its document (a template in its home), its planner and its claims part."""
    for name, k in KINDS.items():
        assert k.spec.kind == k.rule.kind if hasattr(k.rule, "kind") and isinstance(k.rule.kind, str) else True
        home_templates = PACKAGE / "layers" / k.family.rsplit(".", 1)[1] / "templates"
        assert (home_templates / part(name, "latex").template).is_file(), name
        assert callable(part(name, "plan")) and part(name, "claims") is not None, name
        assert k.module.isidentifier() and k.what and k.description and k.backward_section, name
        assert k.rule.input_name and k.rule.output_name, name
    assert len({k.module for k in KINDS.values()}) == len(KINDS)


# -- generation refuses a corrupted derivation, also under python -O -------------------------

_CORRUPT = {
    "conv dZ/dK": """
        from symconv.layers.conv.rule import ConvDerivation as R
        spec = symconv.Conv2D(input=(4, 5), kernel=(2, 3), padding=(1, 0, 1, 1), stride=(1, 2))
        real = R.jacobian
        def jacobian(self, wrt, **index):
            jac = real(self, wrt, **index)
            if wrt != "K":
                return jac
            cols = (jac.cols + 1) % jac.shape[1]
            return type(jac).build(jac.shape, jac.rows, cols, jac.ids, jac.table, jac.of, jac.wrt)
        R.jacobian = jacobian
    """,
    "conv dZ/dA": """
        from symconv.layers.conv.rule import ConvDerivation as R
        spec = symconv.Conv2D(input=(4, 5), kernel=(2, 2), padding=1)
        real = R.jacobian
        def jacobian(self, wrt, **index):
            jac = real(self, wrt, **index)
            if wrt != "A":
                return jac
            return type(jac).build(jac.shape, jac.rows, jac.cols, jac.ids[::-1].copy(), jac.table, jac.of, jac.wrt)
        R.jacobian = jacobian
    """,
    "conv row-wise steps": """
        from symconv.layers import window_plan
        spec = symconv.Conv2D(input=(6, 6), kernel=3, padding=1, in_channels=8, out_channels=8, groups=2)
        real = window_plan.offsets
        def offsets(m):
            (r, s, r0, r1, c0, c1), *rest = real(m)
            return [(r, s, r0, r1, c0 + 1, c1 + 1), *rest]
        window_plan.offsets = offsets
    """,
    "conv_transpose dZ/dA": """
        from symconv.layers.conv.rule import ConvDerivation as R
        spec = symconv.ConvTranspose2D(input=(3, 3), kernel=(2, 2), stride=(2, 1), dilation=(1, 2))
        real = R.jacobian
        def jacobian(self, wrt, **index):
            jac = real(self, wrt, **index)
            if wrt != "A":
                return jac
            return type(jac).build(jac.shape, jac.rows, jac.cols, jac.ids[::-1].copy(), jac.table, jac.of, jac.wrt)
        R.jacobian = jacobian
    """,
    "max-pool switches": """
        import numpy as np
        from symconv.layers.pool.rule import MaxPoolDerivation as R
        spec = symconv.MaxPool2D(input=(4, 4), window=(2, 2), stride=(1, 1))
        real = R.selected
        R.selected = lambda self, sw: np.where(real(self, sw) > 1, real(self, sw) - 1, real(self, sw))
    """,
    "average-pool coefficient": """
        import sympy as sp
        from symconv.layers.pool.rule import AvgPoolDerivation as R
        spec = symconv.AvgPool2D(input=(4, 4), window=(2, 2))
        real = R.__init__
        def init(self, *a):
            real(self, *a)
            self.coefficient = sp.Rational(1, 5)
        R.__init__ = init
    """,
    "activation derivative": """
        import sympy as sp
        from symconv.layers.elementwise.rule import ActivationDerivation as R
        spec = symconv.Sigmoid(features=3)
        real = R.__init__
        def init(self, *a):
            real(self, *a)
            (x,) = self.derivative.variables
            self.derivative = sp.Lambda(x, 2 * self.derivative.expr)
        R.__init__ = init
    """,
}


#: one ``python -O`` process imports symconv once, then each case runs in a fork of it (so that
#: one case's patch never reaches another) and prints one line: "CASE: refused: ..." or "CASE: generated"
_UNDER_O = """
import os, sys, textwrap
import symconv

for case, code in CASES.items():
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            exec(textwrap.dedent(code))
            try:
                symconv.generate(spec)
            except symconv.PlanError as err:
                print(f"{case}: refused:", " ".join(str(err).split()))
            else:
                print(f"{case}: generated")
        except BaseException as err:
            print(f"{case}: crashed: {type(err).__name__}: {err}")
        sys.stdout.flush()
        os._exit(0)
    os.waitpid(pid, 0)
"""


@pytest.fixture(scope="module")
def under_python_o() -> dict[str, str]:
    """What each corrupted derivation gave under ``python -O``, case by case (one process)."""
    script = f"CASES = {_CORRUPT!r}\n" + _UNDER_O
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}  # no BLAS threads across the forks
    out = subprocess.run([sys.executable, "-O", "-c", script], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(": ", 1) for line in out.stdout.splitlines())
    assert sorted(lines) == sorted(_CORRUPT), out.stdout + out.stderr
    return lines


@pytest.mark.slow(reason="its fixture: one python -O process imports symconv and generates 7 layers, 4-10 s in all")
@pytest.mark.parametrize("case", sorted(_CORRUPT))
def test_generation_refuses_a_corrupted_derivation_under_python_O(case, under_python_o):
    assert under_python_o[case].startswith("refused:"), under_python_o[case]


def test_python_O_really_removes_asserts():
    """The test above would pass vacuously if -O kept asserts: it does not."""
    out = subprocess.run([sys.executable, "-O", "-c", "assert False; print('ran')"], capture_output=True, text=True)
    assert out.stdout.strip() == "ran"


def test_no_assert_in_code_generation():
    """Generation's checks raise named errors; an ``assert`` (removed by -O) would guard nothing,
    in generation or in the kernels that generated modules run."""
    found = []
    for name, path in sorted(modules().items()):
        if not (name.startswith("symconv.codegen") or name.endswith((".plan", "_kernel"))):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assert):
                found.append(f"{name}:{node.lineno}")
    assert found == []
