"""The documents' pictures as inline SVG, drawn from the same :class:`~symconv.latex.pictures.Picture`
data as the PDF's, and made live from the data each picture carries.

* Every picture is first drawn as the PDF draws it (filled boxes, grid lines, frames), so it
  shows without a script.
* A window map (a picture with a geometry: rep.1 over the padded input) becomes live: the
  page's script draws the padded input cell by cell and the output grid beside it, one
  element per output entry with a ``data-entry="z_32"`` attribute (the seed's 1-based name,
  ``z_10,2`` when a size reaches 10), and hovering or focusing an entry gives the cells of its
  window the ``highlight`` class.  The windows come from :attr:`Geometry.cells`, the same
  window map rep.1 and the Jacobians are read from.
* A Jacobian pattern (a picture with a :class:`~symconv.pictures.Pattern`) tells, under the
  pointer, which entry a cell is: its row and column and, when each cell is one entry, the
  entry itself (read from the Jacobian's triplets); a block cell tells its rows, columns and
  nonzeros.

The data goes into ``data-*`` attributes as JSON (numbers and plain names only); the script
that reads them is ``templates/html/page.js``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence

from ..latex.pictures import Box, Picture
from ..pictures import Pattern, plane_axes, window_map
from ..sparse import VecJacobian, plain
from .mathml import mathml
from .tex import inline

#: the longer side of a picture on the page, in CSS pixels (a row of pictures shares the width)
SIDE_PX = 300
#: xcolor's named colours the pictures use, as RGB
COLORS = {
    "black": (0, 0, 0),
    "blue": (0, 0, 255),
    "red": (255, 0, 0),
    "white": (255, 255, 255),
    "orange": (255, 128, 0),
}
#: the most nonzero entries of an exact pattern whose values the page carries
MAX_VALUES = 2304
_MIX = re.compile(r"([a-z]+)(?:!(\d+))?")


def color(spec: str) -> str:
    """An xcolor colour (``blue!55``: 55 % blue, the rest white) as CSS ``#rrggbb``."""
    m = _MIX.fullmatch(spec)
    if m is None or m.group(1) not in COLORS:
        raise ValueError(f"no CSS for the colour {spec!r}")
    share = int(m.group(2) or 100) / 100
    rgb = [round(share * c + (1 - share) * 255) for c in COLORS[m.group(1)]]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def _attr(value: object) -> str:
    """A ``data-*`` attribute value: JSON, escaped for a double-quoted attribute."""
    return html.escape(json.dumps(value, separators=(",", ":")), quote=True)


def _rect(b: Box, height: int, **extra: str) -> str:
    attrs = "".join(f' {k}="{v}"' for k, v in extra.items())
    return f'<rect x="{b.x}" y="{height - b.y - b.h}" width="{b.w}" height="{b.h}"{attrs}/>'


def static_svg(pic: Picture, px: float) -> str:
    """The picture as the PDF draws it, ``px`` CSS pixels on its longer side."""
    w, h = pic.width, pic.height
    scale = px / max(w, h, 1)
    parts = [_rect(b, h, fill=color(b.color)) for b in pic.boxes]
    if pic.grid:
        lines = "".join(f"M{x} 0V{h}" for x in range(w + 1)) + "".join(f"M0 {y}H{w}" for y in range(h + 1))
        parts.append(f'<path class="grid" d="{lines}"/>')
    parts += [_rect(f, h, fill="none", stroke=color(f.color), **{"class": "frame"}) for f in pic.frames]
    return (
        f'<svg class="static" viewBox="0 0 {w} {h}" width="{w * scale:.1f}" height="{h * scale:.1f}" '
        f'role="img" aria-label="{html.escape(plain_caption(pic.caption), quote=True)}">' + "".join(parts) + "</svg>"
    )


def plain_caption(caption: str) -> str:
    """A caption without its LaTeX, for screen readers."""
    return re.sub(r"\s+", " ", plain(caption.replace("$", "").replace("\\\\", " "))).strip()


def entry_letter(what: str) -> str:
    """The entry letter of a worked output's LaTeX name (``z`` of ``z_{32}``, ``A`` of ``A_{21}``)."""
    m = re.match(r"\s*([A-Za-z]+)", what)
    return m.group(1) if m else "z"


def window_data(pic: Picture) -> dict[str, object]:
    """What the script needs to draw the window map of ``pic`` live: the padded size, where
    the input lies, the padded rows and columns of every window (``rows[p]``, ``cols[q]``),
    the worked output and the output entries' letter."""
    geom = pic.geometry
    assert geom is not None and pic.entry is not None
    first, second = plane_axes(geom)
    wm = window_map(geom, *pic.entry)
    hz, wz = first.output, second.output
    return {
        "padded": list(wm.padded),
        "input": list(wm.input_box),
        "codes": wm.codes.reshape(-1).tolist(),
        "output": [hz, wz],
        "rows": first.positions.tolist(),
        "cols": second.positions.tolist(),
        "worked": list(pic.entry),
        "letter": entry_letter(pic.what),
        "wide": max(hz, wz) > 9,
    }


def _values(jac: VecJacobian | None, pat: Pattern) -> list[list[object]] | None:
    """The nonzero entries of an exact pattern as ``[row, column, printed value]``."""
    if jac is None or not pat.exact or jac.nnz > MAX_VALUES:
        return None
    return [[int(r), int(c), plain(str(jac[int(r), int(c)]))] for r, c in zip(jac.rows, jac.cols, strict=True)]


def pattern_data(pic: Picture) -> dict[str, object]:
    """What the script needs to tell which entry a cell of a pattern is: the Jacobian's size
    and name, the block a cell stands for, each cell's count of nonzeros and, for an exact
    pattern, the entries' values."""
    pat = pic.pattern
    assert pat is not None
    return {
        "shape": list(pat.shape),
        "block": list(pat.block),
        "grid": list(pat.counts.shape),
        "counts": pat.counts.reshape(-1).tolist(),
        "values": _values(pic.jacobian, pat),
        "mark": list(pat.mark) if pat.mark is not None else None,
        # units per cell across and down (a very tall or wide pattern is drawn stretched)
        "stretch": [pic.width // pat.counts.shape[1], pic.height // pat.counts.shape[0]],
    }


def figure(pic: Picture, px: float, style: Callable[[str], str] = str) -> str:
    """One picture with its caption; live when it carries a window map or a pattern.
    ``style`` is the document's index style (:func:`symconv.latex.notation.index_style`)."""
    caption = f"<figcaption>{inline(style(pic.caption))}</figcaption>"
    if pic.geometry is not None and pic.entry is not None:
        data = _attr(window_data(pic))
        return (
            f'<figure class="windowmap" data-map="{data}"><div class="panels">{static_svg(pic, px)}</div>'
            f'<p class="readout" aria-live="polite"></p>{caption}</figure>'
        )
    if pic.pattern is not None:
        data = _attr(pattern_data(pic))
        name = mathml(style(pic.what)) if pic.what else ""
        return (
            f'<figure class="pattern" data-pattern="{data}"><div class="panels">{static_svg(pic, px)}</div>'
            f'<p class="readout"><span class="name">{name}</span> <span class="where" aria-live="polite"></span></p>'
            f"{caption}</figure>"
        )
    return f'<figure class="picture">{static_svg(pic, px)}{caption}</figure>'


def figures(pictures: Sequence[Picture], style: Callable[[str], str] = str) -> str:
    """A row of pictures, as the PDF sets them side by side: each takes its share of the row."""
    out = []
    for pic in pictures:
        px = SIDE_PX * min(1.0, float(pic.share) / 0.45)
        out.append(figure(pic, px, style))
    return '<div class="figures">' + "".join(out) + "</div>"
