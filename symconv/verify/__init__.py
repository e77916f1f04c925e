"""Verify hand derivations: a safe claims language, exact answers with counterexamples.

Someone who derived a gradient by hand (as the seed's author did) writes each step as a
claim about concrete shapes; symconv checks it against the core's forward pass, its vec
Jacobians and SymPy's own ``diff``, and says which steps hold and which do not.
``verify`` takes a built-in claims file (``"seed_audit"``), a path, TOML text or a dict:

>>> from symconv.verify import verify
>>> report = verify('''
... [layer]
... type = "conv2d"
... input = [3, 4]
... kernel = [2, 2]
... padding = [1, 1]
... stride = [1, 2]
... [[claims]]
... id = "eq.a1-2"
... lhs = "diff(z[3,2], beta[2,1])"
... rhs = "a[2,2]"
... ''')
>>> report.exit_code  # 0 all hold, 1 some fail, 2 invalid
1
>>> r = report.result("eq.a1-2")
>>> r.status, r.correct
('fails', a_{32})

The expression language (Python syntax, never evaluated by Python)
------------------------------------------------------------------
* names of the layer's tensors with 1-based indices: ``a[p,q]``, ``beta[r,s]`` or
  ``k[r,s]``, ``z[p,q]``, ``b``; with channels ``a[i,p,q]``, ``k[j,i,r,s]``, ``z[j,p,q]``,
  ``b[j]``; whole matrices ``A``, ``K``, ``Z``; in a network the layer number follows the
  name: ``A0``, ``K1``, ``z2[j,p,q]``, ``W3``, ``B2``, ``J``, ``y``
  (:mod:`symconv.verify.namespace` lists them all, with the size constants ``h_a``, ``w_z2``,
  ``c1``, ``lh_s``..., the sides of a padding ``p_top, p_bottom, p_left, p_right`` and a
  convolution's ``groups``);
* free tensors from a ``[symbols]`` table, e.g. an upstream gradient ``G = [2, 3, 3]``
  (``G[j]``, ``g[j,p,q]``);
* ``diff(y, x)`` in the file's ``layout`` (``numerator``, ``denominator`` or ``mixed``, the
  default; :mod:`~symconv.verify.options`) and ``grad(y, X)``, the gradient shaped like ``X``,
  the layer's Jacobians ``J_K``, ``J_A``, ``J_b`` (``J_K(j, i)`` with channels, ``J_K2(j, i)``
  in a network), ``vec``, ``flat``, ``transpose``, ``reshape``, ``@`` and ``*`` (matrix
  product), ``ones(m, n)``, ``zeros``, ``eye``, ``unit(m, n, r, s)``, ``diag``, ``trace``,
  ``hstack``, ``vstack``, ``conv(X, Y, padding=..., stride=..., dilation=...)``,
  ``rot180(X)``, ``dilate(X, (sh, sw))``, ``pad(X, P)``, ``crop(X, (r1, r2), (c1, c2))``
  (1-based, inclusive), ``hadamard(X, Y)``, ``sum_entries(X)``, ``window(p, q)``,
  ``shape(X)``, ``Max``, ``Min``, ``relu``, ``sigmoid``, ``tanh``, ``exp``, ``log``,
  ``floor``, ``ceil``, ``switches(X)``, ``selected(X)``, ``mask(X)`` (max-pooling),
  ``subs(y, X, values)``, ``uses(y, X)``, ``kron``, ``im2col``, ``col2im``,
  ``indicator(z > 0)``, ``where(c, a, b)``, ``heaviside``, ``sign``, ``argmax`` (comparisons
  ``< <= > >= == !=``, ``and``, ``or``, ``not`` inside them), ``conv(..., padding="full")``,
  loops ``sum_for(i, 1, n, ...)``, ``hstack_for``, ``vstack_for``, ``stack_for``; numbers,
  ``+ - * / ** // %``, matrices as nested lists ``[[1, 2], [3, 4]]`` (a flat list is a
  column), tuples ``(4, 3)`` for dimensions;
* free indices: ``diff(L, k[m, n])`` is checked for every ``m`` and ``n`` in their ranges
  (:mod:`~symconv.verify.quantify`); a ``[family]`` table checks every claim on every
  combination of the layer's sizes (:mod:`~symconv.verify.family`);
* the same claims in LaTeX (``latex = true``), with index notation, indicators, cases and
  padding-inferred convolutions, see :mod:`symconv.verify.latex` and docs/verify.md.

Decisions (:mod:`symconv.verify.decide`): exact for polynomials, every region for
piecewise functions (or tie-free points, and the report says so), shapes for dimensions.
A derivative of a max taken at a tie does not exist: a claim that gives it a value fails.
Every operation is charged to a per-claim work budget before it runs, and claims and files
have wall-clock limits (:class:`~symconv.verify.values.Budget`).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ..config import MAX_CONFIG_BYTES, read_file, read_toml
from ..errors import SpecError
from ..progress import QUIET, Steps
from .claims import Claim, ClaimResult, Part, Report, check_document
from .decide import Counterexample, Difference
from .values import ClaimError

BUILTINS = ("seed_audit",)

__all__ = [
    "BUILTINS",
    "Claim",
    "ClaimError",
    "ClaimResult",
    "Counterexample",
    "Difference",
    "Part",
    "Report",
    "builtin_path",
    "verify",
    "verify_document",
    "verify_file",
    "verify_text",
]


def builtin_path(name: str) -> Path:
    """The shipped claims file ``symconv/claims/<name>.toml``."""
    return Path(str(resources.files("symconv.claims").joinpath(f"{name}.toml")))


def verify_document(doc: Mapping[str, Any], name: str = "claims") -> Report:
    """Check a parsed claims document (raises :class:`SpecError` if it is malformed)."""
    return check_document(doc, name)


def verify_text(text: str, name: str = "claims") -> Report:
    """Check claims given as TOML text."""
    data = text.encode("utf-8")
    if len(data) > MAX_CONFIG_BYTES:
        raise SpecError("claims", f"{name} is larger than {MAX_CONFIG_BYTES} bytes")
    return check_document(read_toml(data, name), name)


def verify_file(source: str | Path, *, progress: Steps = QUIET) -> Report:
    """Check a claims file, or a built-in one by name (``"seed_audit"``); ``progress``
    steps once per claim."""
    if isinstance(source, str) and source in BUILTINS:
        path = builtin_path(source)
    else:
        path = Path(source)
    data = read_file(path, "claims", f"built-in claims: {', '.join(BUILTINS)}")
    return check_document(read_toml(data, str(path)), path.name, progress=progress)


def verify(source: str | Path | Mapping[str, Any]) -> Report:
    """Check claims from a parsed document, a path, a built-in name, or TOML text (a string
    with a newline or starting with ``[``)."""
    if isinstance(source, Mapping):
        return verify_document(source)
    if isinstance(source, str) and source not in BUILTINS and ("\n" in source or source.lstrip().startswith("[")):
        return verify_text(source)
    return verify_file(source)
