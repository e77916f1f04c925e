"""How full the pages of a compiled document are, read off the pages themselves (pdftoppm):
a test that no page but the last is nearly empty, which a display pushed to the next page or
a page holding one equation would leave."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

#: the documents' page (A4) and margins (2 cm), in millimetres
PAGE_MM = 297.0
MARGIN_MM = 20.0
#: resolution of the rendering, dots per inch: enough to see a line of text
DPI = 30
#: darker than this (0 black .. 255 white) is ink
INK = 200


def _read_pgm(path: Path) -> np.ndarray:
    data = path.read_bytes()
    parts = data.split(maxsplit=4)  # P5, width, height, maxval, pixels
    width, height = int(parts[1]), int(parts[2])
    return np.frombuffer(parts[4][: width * height], dtype=np.uint8).reshape(height, width)


def page_fill(pdf: Path) -> list[float]:
    """For each page, how far down its text area the ink reaches (0 empty, 1 full); the page
    number below the text area is not counted."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["pdftoppm", "-r", str(DPI), "-gray", str(pdf), str(Path(tmp) / "p")], check=True, capture_output=True
        )
        out = []
        for path in sorted(Path(tmp).glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[-1])):
            pixels = _read_pgm(path)
            mm = pixels.shape[0] / PAGE_MM
            top, bottom = int(MARGIN_MM * mm), int((PAGE_MM - MARGIN_MM) * mm)
            rows = np.nonzero((pixels[top:bottom] < INK).any(axis=1))[0]
            out.append(0.0 if rows.size == 0 else float(rows[-1] + 1) / (bottom - top))
        return out
