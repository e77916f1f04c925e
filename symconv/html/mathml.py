"""LaTeX math to MathML, with latex2mathml.

Why latex2mathml: it is a small, pure-Python, maintained converter (no JavaScript engine, no
fonts to ship), and MathML is rendered by the browsers themselves (MathML Core: Chromium 109+,
Firefox, Safari), so a page needs no script or font to show its math, opens offline and stays
small.  SymPy's MathML printer prints SymPy expressions, not the documents' LaTeX (which
holds matrices, elisions, underbraces and tags laid out by symconv), and pre-rendered KaTeX
would need Node.js at generation time and its fonts inlined into every page.

The documents' math uses a few spacing forms latex2mathml does not read (``\\\\[10pt]``
between matrix rows); they are rewritten here before conversion.
"""

from __future__ import annotations

import re
from functools import lru_cache

from latex2mathml.converter import convert

#: ``\\[10pt]`` after a row break: the extra room is dropped (MathML tables space rows themselves)
_ROW_GAP = re.compile(r"\\\\\[[0-9.]+(?:pt|em|ex|mm)\]")
#: spacing commands latex2mathml does not know (``\\!``, ``\\>``, ``\\ `` but not a row break
#: ``\\\\`` followed by a space), as the spaces it knows
_SPACES = re.compile(r"(?<!\\)((?:\\\\)*)\\([!> ])")
_SPACE_FOR = {"!": "", ">": "\\:", " ": "\\;"}
#: a matrix environment, to be grouped so that its brackets stretch to the matrix alone
#: (latex2mathml sets them beside the table in the enclosing row, which makes them as tall
#: as the tallest thing on the line)
_MATRIX = re.compile(r"\\(begin|end)\{([pbBvV]?matrix)\}")


def _text_math(tex: str) -> str:
    """``\\text{a $x$ b}`` as ``\\text{a }x\\text{ b}``: math inside a text box (a line's note),
    which TeX reads and latex2mathml shows as dollar signs."""
    out, at = [], 0
    while (start := tex.find("\\text{", at)) >= 0:
        body, depth, end = start + len("\\text{"), 1, start + len("\\text{")
        while end < len(tex) and depth:
            depth += {"{": 1, "}": -1}.get(tex[end], 0)
            end += 1
        inner = tex[body : end - 1]
        parts = inner.split("$")
        if len(parts) % 2 == 0:  # an odd number of dollars: not math, leave the box as it is
            parts = [inner]
        pieces = [f"\\text{{{p}}}" if k % 2 == 0 else f"{{{p}}}" for k, p in enumerate(parts) if p or k % 2]
        out += [tex[at:start], *pieces]
        at = end
    return "".join(out) + tex[at:]


class MathError(ValueError):
    """A formula the converter could not read: a bug in a document builder, raised at
    generation time so that no page is written with broken math."""


def prepare(tex: str) -> str:
    """The formula with the forms latex2mathml does not read rewritten."""
    out = _ROW_GAP.sub(r"\\\\", _text_math(tex) if "$" in tex else tex)
    out = _SPACES.sub(lambda m: m.group(1) + _SPACE_FOR[m.group(2)], out)
    return _MATRIX.sub(lambda m: "{" + m.group(0) if m.group(1) == "begin" else m.group(0) + "}", out)


@lru_cache(maxsize=4096)
def mathml(tex: str, display: bool = False) -> str:
    """``<math>`` for the LaTeX formula ``tex`` (inline, or a display block)."""
    try:
        out = convert(prepare(tex), display="block" if display else "inline")
    except Exception as err:  # the converter raises many types; one clear error here
        raise MathError(f"cannot convert the formula {tex[:120]!r} to MathML: {type(err).__name__}: {err}") from err
    # the namespace is implied inside HTML; the attribute only costs bytes
    return out.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "", 1)
