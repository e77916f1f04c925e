"""Matrices that stay readable at any size, and the lines of a display.

A matrix past a size limit is elided the way the seed elides its general matrices,
with ``\\cdots``, ``\\vdots`` and ``\\ddots``, while the rows and columns of the worked
entries stay visible.  How many columns fit is judged from an estimate of each printed
entry's width, so a matrix of long sums shows fewer columns than a matrix of zeros, and
no matrix ever has more than :data:`MAX_COLUMNS` columns (the preamble raises amsmath's
``MaxMatrixCols`` to :data:`MAX_MATRIX_COLS`, above it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

#: amsmath's ``MaxMatrixCols`` as the document preamble sets it
MAX_MATRIX_COLS = 20
#: the most columns (entries and elision marks) a printed matrix has
MAX_COLUMNS = 16
#: the most rows a printed matrix has unless a builder asks for fewer
MAX_ROWS = 16
#: extra room between the rows of a matrix of (display-size) fractions
FRACTIONS = "8pt"
#: estimated width, in points, available to a display line (A4, 2 cm margins, 10 pt)
LINE = 440.0
#: room a display line keeps for a tag at the right margin (``(rep.3)``, ``eq.a1-1``), so that
#: the tag stays beside its matrix instead of dropping below it
TAG_ROOM = 50.0
#: the room of a tagged display line
TAGGED = LINE - TAG_ROOM

Slots = list[int | None]
#: a row of labels set above a matrix, showing the same columns: its items and its room
Above = tuple[Sequence[str], float]


@dataclass(frozen=True)
class Line:
    """One line of a display: ``lhs & rhs``, an optional remark (``using rep.2``) and an
    optional tag (``eq.a1-2``) printed at the right margin."""

    lhs: str
    rhs: str
    note: str = ""
    tag: str = ""


# -- which rows and columns to show ---------------------------------------------------------


def slots(chosen: Iterable[int], n: int | None = None, *, fill: bool = True) -> Slots:
    """Sorted indices with ``None`` marking each gap (also before the first and after the
    last when ``n``, the number of indices, says some are hidden there); with ``fill`` a
    gap of one index is filled instead, since the entry takes about as much room as the mark."""
    out: Slots = []
    prev: int | None = None
    ordered = sorted(set(chosen))
    if ordered and ordered[0] > 0 and n is not None:
        out.append(None)
    for k in ordered:
        if fill and prev is not None and k == prev + 2:
            out.append(prev + 1)
        elif prev is not None and k > prev + 1:
            out.append(None)
        out.append(k)
        prev = k
    if n is not None and ordered and ordered[-1] < n - 1:
        out.append(None)
    return out


def pick(n: int, keep: Iterable[int] = (), limit: int = MAX_ROWS, fits: Callable[[Slots], bool] | None = None) -> Slots:
    """Which of ``n`` indices to show: all if they fit, else the first, the last, the
    ``keep`` ones (never dropped) and as many more as fit, nearest the ends and the kept
    ones first.  ``limit`` counts shown indices and gaps; ``fits`` may add a width test.
    When even the first, last and kept ones do not fit, the last (then the first) is
    left out and a gap marks the hidden end."""
    if n <= 0:
        return []

    def layout(cand: set[int]) -> Slots:
        filled = slots(cand, n)
        return filled if _fits(filled, limit, fits) else slots(cand, n, fill=False)

    def ok(cand: set[int]) -> bool:
        return _fits(layout(cand), limit, fits)

    if n <= limit and ok(set(range(n))):  # more than ``limit`` indices never fit
        return slots(range(n), n)
    kept = sorted({k for k in keep if 0 <= k < n})
    options = [{0, n - 1, *kept}, {0, *kept}, set(kept) or {0}]
    chosen = next((c for c in options if ok(c)), options[-1])
    order = [1]
    for k in kept:
        order += [k - 1, k + 1]
    # each step offers two candidates, and all but the 3 + 3 len(kept) already chosen or
    # skipped ones are added or end the loop, so later steps are never reached
    for step in range(1, min(n, limit + 3 * len(kept) + 4)):
        order += [n - 1 - step, step + 1]
    for c in order:
        if not 0 <= c < n or c in chosen:
            continue
        if not ok(chosen | {c}):
            break  # candidates come nearest-first: the next ones would not fit either
        chosen.add(c)
    return layout(chosen)


def _fits(s: Slots, limit: int, fits: Callable[[Slots], bool] | None) -> bool:
    return len(s) <= limit and (fits is None or fits(s))


# -- width estimate ------------------------------------------------------------------------------

_TOKEN = re.compile(r"\\[a-zA-Z]+\*?|\\.|[{}_^&]|\s+|.", re.S)
_WIDE_OPS = set("+-=<>")
_FIXED = {
    "\\cdots": 14.0,
    "\\ldots": 14.0,
    "\\dots": 14.0,
    "\\vdots": 6.0,
    "\\ddots": 12.0,
    "\\partial": 6.0,
    "\\max": 18.0,
    "\\min": 16.0,
    "\\infty": 10.0,
    "\\quad": 10.0,
    "\\qquad": 20.0,
    "\\sum": 12.0,
    "\\top": 7.0,
    "\\otimes": 13.0,
    "\\times": 11.0,
    "\\implies": 24.0,
    "\\to": 14.0,
    "\\in": 11.0,
    "\\leq": 12.0,
    "\\neq": 12.0,
    "\\lceil": 4.0,
    "\\rceil": 4.0,
    "\\lfloor": 4.0,
    "\\rfloor": 4.0,
    "\\\\": 0.0,
    "\\,": 2.0,
    "\\;": 3.0,
    "\\!": -2.0,
    "\\{": 5.0,
    "\\}": 5.0,
}
_TEXTLIKE = {"\\text", "\\operatorname", "\\mathrm"}
_WRAPPERS = {"\\mathbf", "\\mathbb", "\\mathcal", "\\boldsymbol", "\\bigl", "\\bigr", "\\Bigl", "\\Bigr"}


class _Measure:
    """A rough width (points at 10 pt) of a LaTeX math string: enough to decide how many
    matrix columns fit on a line, not typesetting."""

    def __init__(self, text: str) -> None:
        self.tokens = [t for t in _TOKEN.findall(text) if not t.isspace()]
        self.pos = 0

    def _next(self) -> str | None:
        if self.pos >= len(self.tokens):
            return None
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def _atom(self) -> float:
        tok = self._next()
        if tok is None or tok == "}":
            return 0.0
        return self._group() if tok == "{" else self._token(tok)

    def _raw_group(self) -> str:
        """The text of a ``{...}`` argument (for environment names and text)."""
        if self._next() != "{":
            return ""
        depth, out = 1, []
        while (tok := self._next()) is not None:
            if tok == "{":
                depth += 1
            elif tok == "}":
                depth -= 1
                if depth == 0:
                    break
            out.append(tok)
        return "".join(out)

    def _environment(self) -> float:
        """A matrix (or array, cases): the widest row of cells, each measured on its own."""
        name = self._raw_group()
        if name == "array":
            self._raw_group()
        rows: list[list[list[str]]] = [[[]]]
        depth = 0
        while (tok := self._next()) is not None:
            if tok == "\\end" and depth == 0:
                self._raw_group()
                break
            if tok in ("\\begin", "{"):
                depth += 1
            elif tok in ("\\end", "}"):
                depth -= 1
            if depth == 0 and tok == "\\\\":
                rows.append([[]])
            elif depth == 0 and tok == "&":
                rows[-1].append([])
            else:
                rows[-1][-1].append(tok)
        widths = [[_Measure(" ".join(cell)).run() for cell in row] for row in rows]
        return max(sum(r) + 10.0 * (len(r) - 1) for r in widths) + 12.0

    def _group(self) -> float:
        total = 0.0
        last_script = 0.0
        while (tok := self._next()) is not None and tok != "}":
            if tok in ("_", "^"):
                w = 0.7 * self._atom()
                if last_script:
                    total += max(0.0, w - last_script)
                    last_script = 0.0
                else:
                    total += w
                    last_script = w
                continue
            last_script = 0.0
            total += self._group() if tok == "{" else self._token(tok)
        return total

    def _token(self, tok: str) -> float:
        if tok in ("\\frac", "\\dfrac", "\\tfrac"):
            num, den = self._atom(), self._atom()
            return max(num, den) * (1.3 if tok == "\\dfrac" else 0.8) + 2.0  # \\dfrac: full-size indices
        if tok == "\\begin":
            return self._environment()
        if tok in ("\\left", "\\right"):
            self._next()
            return 4.0
        if tok in _TEXTLIKE:
            return 5.0 * len(self._raw_group())
        if tok in _WRAPPERS:
            return 1.1 * self._atom() if tok == "\\mathbf" else self._atom()
        if tok in _FIXED:
            return _FIXED[tok]
        if tok.startswith("\\"):
            return 7.0
        if tok in _WIDE_OPS:
            return 12.0
        if tok in ",;":
            return 4.0
        if tok in "()[]|":
            return 4.0
        if tok in "*":
            return 10.0
        if tok == "'":
            return 2.0
        return 5.5

    def run(self) -> float:
        return self._group()


def width(text: str) -> float:
    """Estimated width in points of a LaTeX math string."""
    return _Measure(text).run()


# -- matrices --------------------------------------------------------------------------


def matrix(
    cell: Callable[[int, int], str],
    shape: tuple[int, int],
    *,
    keep_rows: Iterable[int] = (),
    keep_cols: Iterable[int] = (),
    rows: int = MAX_ROWS,
    cols: int = MAX_COLUMNS,
    budget: float = LINE,
    inline: bool = False,
    gap: str = "",
    shown: list[int | None] | None = None,
    above: Sequence[Above] = (),
) -> str:
    """A ``bmatrix`` of ``cell(r, c)`` (0-based), elided past ``rows`` rows, past
    ``cols`` columns and past ``budget`` points of estimated width; the ``keep`` rows and
    columns are always shown.  ``inline`` writes it on one source line (for matrices
    inside matrix entries); ``gap`` adds room between rows (``"3pt"``) for tall entries.
    ``shown``, when given, receives the columns shown (``None`` for an elision), so that
    a row of labels above the matrix can show the same ones (:func:`aligned_row`); the
    ``above`` rows (labels and the room their line has, :func:`row_room`) must fit on one
    line each with the same columns, so a matrix under wide labels shows fewer columns."""
    cols = min(cols, MAX_COLUMNS)
    shown_rows = pick(shape[0], keep_rows, rows)
    cache: dict[tuple[int, int], str] = {}

    def get(r: int, c: int) -> str:
        if (r, c) not in cache:
            cache[(r, c)] = cell(r, c)
        return cache[(r, c)]

    col_width: dict[int, float] = {}

    def cw(c: int | None) -> float:
        if c is None:
            return _FIXED["\\cdots"]
        if c not in col_width:
            col_width[c] = max(width(get(r, c)) for r in shown_rows if r is not None)
        return col_width[c]

    def fits(s: Slots) -> bool:
        return sum(cw(c) for c in s) + 10.0 * (len(s) - 1) + 12.0 <= budget and all(
            row_width(items, s) <= room for items, room in above
        )

    shown_cols = pick(shape[1], keep_cols, cols, fits)
    if shown is not None:
        shown[:] = shown_cols
    if not gap:  # tall entries get room between rows
        texts = [get(r, c) for r in shown_rows if r is not None for c in shown_cols if c is not None]
        if any("frac{" in t for t in texts):
            gap = FRACTIONS
        elif any("^{" in t and "_{" in t for t in texts):
            gap = "2pt"
    lines = []
    for r in shown_rows:
        if r is None:
            lines.append(" & ".join("\\ddots" if c is None else "\\vdots" for c in shown_cols))
        else:
            lines.append(" & ".join("\\cdots" if c is None else get(r, c) for c in shown_cols))
    sep = f" \\\\[{gap}]" if gap else " \\\\"
    if inline:
        return "\\begin{bmatrix} " + f"{sep} ".join(lines) + " \\end{bmatrix}"
    return "\\begin{bmatrix}\n" + f"{sep}\n".join(lines) + "\n\\end{bmatrix}"


def column(items: Sequence[str], *, keep: Iterable[int] = (), rows: int = MAX_ROWS) -> str:
    """A column vector of printed entries, elided past ``rows``."""
    return matrix(lambda r, c: items[r], (len(items), 1), keep_rows=keep, rows=rows)


def row(items: Sequence[str], *, keep: Iterable[int] = (), budget: float = LINE, cols: int = MAX_COLUMNS) -> str:
    """A row vector of printed entries, elided to fit ``budget``."""
    return matrix(lambda r, c: items[c], (1, len(items)), keep_cols=keep, budget=budget, cols=cols, inline=True)


def row_room(lhs: str, suffix: str = "", budget: float = LINE) -> float:
    """The room for the cells of a bracketed row ``lhs = [...] suffix`` on one line."""
    return budget - width(lhs) - width(suffix) - 40


def row_width(items: Sequence[str], columns: Slots) -> float:
    """The width of the cells of a bracketed row showing ``columns`` of ``items``."""
    return sum(width("\\cdots" if c is None else items[c]) + 12.0 for c in columns)


def aligned_row(
    lhs: str, items: Sequence[str], columns: Slots, *, prefix: str = "= ", suffix: str = "", budget: float = LINE
) -> list[Line]:
    """``lhs = [items...] suffix`` on one line, showing the ``columns`` of ``items`` a matrix
    below shows (its ``shown``; ``None`` is an elision): the matrix is built to leave the row
    its room (its ``above``).  Should the columns still not fit, fewer of them are shown (the
    first and last, then the nearest): a bracketed row is never broken over lines."""
    room = row_room(lhs, suffix, budget)
    if row_width(items, columns) > room:
        real = [c for c in columns if c is not None]

        def as_columns(chosen: Slots) -> Slots:
            out: Slots = []
            for k in chosen:
                c = None if k is None else real[k]
                if c is not None and out and out[-1] is not None and c != out[-1] + 1:
                    out.append(None)
                if c is not None or not out or out[-1] is not None:
                    out.append(c)
            return out

        fits = lambda ks: row_width(items, as_columns(ks)) <= room  # noqa: E731
        columns = as_columns(pick(len(real), limit=len(columns), fits=fits))
    cells = ["\\cdots" if c is None else items[c] for c in columns]
    return [Line(lhs, prefix + "\\begin{bmatrix} " + " & ".join(cells) + " \\end{bmatrix}" + suffix)]


def chunks(terms: Sequence[str], budget: float) -> list[list[str]]:
    """Split printed terms of a long sum into lines that fit ``budget``."""
    lines: list[list[str]] = [[]]
    used = 0.0
    for t in terms:
        w = width(t) + 12.0
        if lines[-1] and used + w > budget:
            lines.append([])
            used = 0.0
        lines[-1].append(t)
        used += w
    return lines


def fit(lhs: str, pieces: Sequence[str], *, note: str = "", tag: str = "") -> list[Line]:
    """Lines of a display holding ``lhs`` and the ``pieces`` of its right side (each
    starting with its own ``=``), as many pieces on a line as fit in :data:`LINE`; the
    note and the tag go on the last line."""
    lines: list[list[str]] = [[]]
    used = width(lhs)
    for piece in pieces:
        w = width(piece)
        if lines[-1] and used + w > LINE:
            lines.append([])
            used = width(lhs) * 0.5
        lines[-1].append(piece)
        used += w
    out = [Line(lhs if n == 0 else "", " ".join(parts)) for n, parts in enumerate(lines)]
    last = out[-1]
    out[-1] = Line(last.lhs, last.rhs, note, tag)
    return out


# -- page breaks ---------------------------------------------------------------------------------

#: the height of a page's text (A4, 2 cm margins, the article class's header and footer), points
TEXT_HEIGHT = 720.0
#: the height of one row of a matrix, and of a line of a display, in points
ROW = 13.0
_ROWS = re.compile(r"\\begin\{[a-z*]+\}|\\end\{[a-z*]+\}|\\\\(?:\[([0-9.]+)pt\])?|\\[dt]?frac\b")


def height(text: str) -> float:
    """Estimated height in points of one display line: its tallest matrix, each row as tall
    as the tallest matrix inside it (rep.1's blocks), fractions and row gaps counted."""
    stack: list[list[float]] = [[0.0]]  # per open environment: the heights of its rows so far
    tall: list[float] = [0.0]  # per open environment: the tallest thing in its current row
    for m in _ROWS.finditer(text):
        token = m.group(0)
        if token.startswith("\\begin"):
            stack.append([0.0])
            tall.append(0.0)
        elif token.startswith("\\end") and len(stack) > 1:
            rows = stack.pop()
            rows[-1] = max(rows[-1], tall.pop(), ROW)
            tall[-1] = max(tall[-1], sum(rows))
        elif token.startswith("\\\\"):
            stack[-1][-1] = max(stack[-1][-1], tall[-1], ROW) + float(m.group(1) or 0.0)
            stack[-1].append(0.0)
            tall[-1] = 0.0
        else:  # a fraction makes its row about twice as tall
            tall[-1] = max(tall[-1], 2 * ROW)
    return max(sum(stack[0]), tall[0], ROW) + 6.0


def breakable(lines: Sequence[Line]) -> bool:
    """Whether a display is too tall for a page, so that it may break between its lines
    (``\\allowdisplaybreaks`` for this display only); a display that fits is kept whole."""
    return sum(max(height(line.lhs), height(line.rhs)) for line in lines) > 0.9 * TEXT_HEIGHT
