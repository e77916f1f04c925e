"""The seed's notation for whole tensors and derivatives, built from core tensors.

``{}_v\\mathbf{Z}`` is ``vec(Z)`` (seed 3.1); a layer's tensors carry ``[l]`` as a
superscript; channel indices are subscripts (``\\mathbf{K}_{j,i}^{[2]}``).  Entry
symbols are printed by :mod:`.printer`; this module names whole matrices.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from ..symbols import Tensor

Index = int | str


def _sub(index: Sequence[Index]) -> str:
    return ",".join(str(i + 1) if isinstance(i, int) else i for i in index)


def mat(t: Tensor, *index: Index, show: bool | None = None) -> str:
    """``\\mathbf{A}_{i}^{[l]}``: ``index`` entries are 0-based integers (printed 1-based)
    or index names such as ``"j"``; they are shown when the tensor's entry names carry a
    channel index, or when ``show`` says so."""
    visible = t.channel_index if show is None else show
    sub = _sub(index) if index and visible else ""
    sup = f"^{{[{t.layer}]}}" if t.layer is not None else ""
    # matrices are bold (A, K, Z, ...); the bias is b_j entry by entry and bold as a vector
    bold = t.name[:1].isupper() or (t.name == "b" and not sub)
    base = f"\\mathbf{{{t.name}}}" if bold else t.name
    return base + (f"_{{{sub}}}" if sub else "") + sup


def is_vector(t: Tensor) -> bool:
    return len(t.shape) == 1


def vname(t: Tensor, *index: Index, show: bool | None = None) -> str:
    """``{}_v\\mathbf{Z}_{j}^{[l]}``; a vector is its own vec and is written without ``{}_v``."""
    name = mat(t, *index, show=show)
    return name if is_vector(t) else "{}_v" + name


def frac_d(of: str, wrt: str, *, display: bool = False) -> str:
    """``\\frac{d of}{d wrt}`` (a total derivative of whole matrices); ``display`` makes it
    ``\\dfrac``, full size inside a matrix."""
    return f"\\{'d' if display else ''}frac{{d{_space(of)}}}{{d{_space(wrt)}}}"


def frac_partial(of: str, wrt: str) -> str:
    """``\\frac{\\partial of}{\\partial wrt}``."""
    return f"\\frac{{\\partial {of}}}{{\\partial {wrt}}}"


def dfrac_partial(of: str, wrt: str) -> str:
    """``\\dfrac{\\partial of}{\\partial wrt}``: a derivative inside a matrix, at full size
    (``\\frac`` there would shrink its indices to script size); ``of`` may be empty, for
    the operator ``\\partial / \\partial wrt``."""
    return f"\\dfrac{{\\partial{' ' + of if of else ''}}}{{\\partial {wrt}}}"


def _space(name: str) -> str:
    """``d`` followed by a name: a space keeps ``d`` apart from a letter (``d b``)."""
    return name if name.startswith(("{", "\\")) else " " + name


def dims(*n: int) -> str:
    """``3 \\times 4``."""
    return " \\times ".join(str(k) for k in n)


def space(*n: int) -> str:
    """``\\mathbb{R}^{3 \\times 4}``."""
    return f"\\mathbb{{R}}^{{{dims(*n)}}}"


def pair(values: Sequence[int]) -> str:
    """``(1, 2)``."""
    return "(" + ", ".join(str(v) for v in values) + ")"


def ones(*n: int) -> str:
    """``\\mathbf{1}_{(12, 1)}``, the seed's matrix of ones."""
    return f"\\mathbf{{1}}_{{{pair(n)}}}"


def index_style(tensors: Iterable[Tensor]) -> Callable[[str], str]:
    """One index style per document.  An entry's indices are joined without commas while the
    matrix is small (``a_{55}``) and with commas once a size reaches 10 (``a_{9,10}``); when
    one matrix of a document needs commas, this rewrites the compact names of the others
    (``a_{1,55}^{[1]}`` -> ``a_{1,5,5}^{[1]}``) in the document's text, so that names side by
    side read alike.  A compact name's last two indices are single digits, so the rewrite is
    exact; a letter (and layer) that also names a vector or a wide matrix is left alone."""
    tensors = list(tensors)
    matrices = [t for t in tensors if len(t.shape) >= 2]
    if not any(t.wide for t in matrices):
        return _same

    def keys(t: Tensor) -> set[tuple[str, int | None]]:
        letters = {t.letter} | ({t.name} if t.name == t.letter.upper() else set())
        return {(letter, t.layer) for letter in letters}

    compact = set().union(*(keys(t) for t in matrices if not t.wide))
    compact -= set().union(*(keys(t) for t in tensors if len(t.shape) < 2 or t.wide))
    if not compact:
        return _same
    letters = "|".join(re.escape(letter) for letter in sorted({k[0] for k in compact}, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\\A-Za-z])({letters})_\{{((?:\d+,)*)([1-9])([1-9])\}}(\^\{{\[(\d+)\]\}})?")

    def rewrite(m: re.Match[str]) -> str:
        layer = int(m.group(6)) if m.group(6) else None
        if (m.group(1), layer) not in compact:
            return m.group(0)
        return f"{m.group(1)}_{{{m.group(2)}{m.group(3)},{m.group(4)}}}{m.group(5) or ''}"

    return lambda text: pattern.sub(rewrite, text)


def _same(text: str) -> str:
    return text
