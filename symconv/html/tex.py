"""The LaTeX of a document body, read into HTML.

The document templates (``templates/latex/*.tex.j2``) write a small part of LaTeX: sections,
paragraphs of text with inline math, displays (``align*`` with tags and notes, ``\\[ \\]``),
remarks (``quote``), tables (``tabular``, ``longtable`` with booktabs rules) and pictures.
This module reads exactly that part: the same text the PDF is made from becomes the page, so
the page and the document cannot say different things.  Anything else raises
:class:`TexError` at generation time (a test builds a page for every registered kind), never
a page that shows raw LaTeX.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .mathml import mathml


class TexError(ValueError):
    """LaTeX outside the part the documents use."""


#: section commands and the heading level each becomes
HEADINGS = {"section": 2, "subsection": 3, "subsubsection": 4, "paragraph": 5}
#: text-mode commands with one argument, and the HTML element around it
TEXT_STYLES = {"emph": "em", "textit": "i", "texttt": "code", "textbf": "b", "text": "span", "mbox": "span"}
#: commands that only change the look of the PDF (size, alignment, spacing between blocks)
IGNORED = {
    "small",
    "footnotesize",
    "centering",
    "raggedright",
    "noindent",
    "hfill",
    "par",
    "medskip",
    "smallskip",
    "allowdisplaybreaks",
}
#: a comment, to the end of its line
_COMMENT = re.compile(r"(?<!\\)%[^\n]*\n?")
#: an optional argument (``\allowdisplaybreaks[1]``)
_OPTIONAL = re.compile(r"\[[^\]]*\]")
#: commands that stand for one character
SYMBOLS = {
    "%": "%",
    "&": "&amp;",
    "_": "_",
    "#": "#",
    "$": "$",
    "{": "{",
    "}": "}",
    ",": "\u2009",
    " ": " ",
    "\\": "<br>",
    "ldots": "\u2026",
    "dots": "\u2026",
    "S": "\u00a7",
}
#: commands before a table's rows that only set the PDF's spacing
_TABLE_SETUP = re.compile(r"\\renewcommand\{\\arraystretch\}\{[0-9.]+\}")
_COMMAND = re.compile(r"\\([A-Za-z]+\*?|.)")
_BLANK = re.compile(r"\n[ \t]*\n\s*")
_ROW_END = re.compile(r"\\\\(?:\[[^\]]*\])?")
_RULES = re.compile(r"\\(?:toprule|midrule|bottomrule|hline|endhead|endfirsthead)\b")
_TAG = re.compile(r"\\tag\*?\{")


def group(src: str, start: int) -> tuple[str, int]:
    """The text of the balanced ``{...}`` that opens at ``src[start]``, and the index after it."""
    if start >= len(src) or src[start] != "{":
        raise TexError(f"expected '{{' at {src[start : start + 30]!r}")
    depth = 0
    k = start
    while k < len(src):
        ch = src[k]
        if ch == "\\":
            k += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return src[start + 1 : k], k + 1
        k += 1
    raise TexError(f"unbalanced braces in {src[start : start + 60]!r}")


def environment(src: str, start: int, name: str) -> tuple[str, int]:
    """The body of ``\\begin{name}`` whose ``\\begin`` is at ``start`` (environments of the
    same name nest), and the index after its ``\\end{name}``."""
    begin, end = f"\\begin{{{name}}}", f"\\end{{{name}}}"
    depth = 0
    k = start
    while k < len(src):
        if src.startswith(begin, k):
            depth += 1
            k += len(begin)
        elif src.startswith(end, k):
            depth -= 1
            if depth == 0:
                return src[start + len(begin) : k], k + len(end)
            k += len(end)
        else:
            k += 2 if src[k] == "\\" else 1
    raise TexError(f"\\begin{{{name}}} without its \\end")


def split_top(src: str, sep: re.Pattern[str]) -> list[str]:
    """``src`` split at the matches of ``sep`` that are outside braces and environments."""
    parts, depth, last, k = [], 0, 0, 0  # depth: open environments
    while k < len(src):
        if src.startswith(("\\begin{", "\\end{"), k):
            depth += 1 if src[k + 1] == "b" else -1
            k = group(src, src.index("{", k))[1]
            continue
        if depth == 0:
            m = sep.match(src, k)
            if m and m.end() > k:
                parts.append(src[last:k])
                last = k = m.end()
                continue
        if src[k] == "{":
            k = group(src, k)[1]  # a braced group is never split
        else:
            k += 2 if src[k] == "\\" else 1
    parts.append(src[last:])
    return parts


def math_end(src: str, start: int) -> int:
    """The index of the ``$`` that closes the inline formula opened before ``start``."""
    k = start
    while k < len(src):
        if src[k] == "\\":
            k += 2
            continue
        if src[k] == "$":
            return k
        k += 1
    raise TexError(f"unclosed $ in {src[start - 1 : start + 60]!r}")


def inline(src: str) -> str:
    """Text with inline math, as HTML."""
    out: list[str] = []
    k = 0
    while k < len(src):
        ch = src[k]
        if ch == "$":
            end = math_end(src, k + 1)
            out.append(mathml(src[k + 1 : end].strip()))
            k = end + 1
        elif ch == "\\":
            m = _COMMAND.match(src, k)
            assert m is not None  # a backslash always starts a command (a letter run or one character)
            name = m.group(1)
            k = m.end()
            if name in TEXT_STYLES:
                arg, k = group(src, _skip_space(src, k))
                tag = TEXT_STYLES[name]
                out.append(f"<{tag}>{inline(arg)}</{tag}>")
            elif name == "(":
                end = src.index("\\)", k)
                out.append(mathml(src[k:end].strip()))
                k = end + 2
            elif name in SYMBOLS:
                out.append(SYMBOLS[name])
            elif name in IGNORED:
                m = _OPTIONAL.match(src, k)
                k = _skip_space(src, m.end() if m else k)
            else:
                raise TexError(f"no HTML for the text command \\{name} (in {src[max(0, k - 40) : k + 20]!r})")
        elif ch in "{}":
            k += 1
        elif ch == "~":
            out.append("\u00a0")
            k += 1
        else:
            m = re.compile(r"[^$\\{}~]+").match(src, k)
            assert m is not None
            out.append(_text(m.group(0)))
            k = m.end()
    return "".join(out)


def _skip_space(src: str, k: int) -> int:
    while k < len(src) and src[k] in " \t\n":
        k += 1
    return k


_DASHES = (("---", "\u2014"), ("--", "\u2013"), ("``", "\u201c"), ("''", "\u201d"))


def _text(s: str) -> str:
    out = html.escape(s, quote=False)
    for old, new in _DASHES:
        out = out.replace(old, new)
    return out


# -- displays -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisplayLine:
    """One line of a display: its left side, right side (after ``&``) and tag."""

    lhs: str
    rhs: str
    tag: str


def display_lines(body: str) -> list[DisplayLine]:
    """The lines of an ``align*`` body: each split at its first top-level ``&``, with its
    ``\\tag*{...}`` taken out."""
    lines = []
    for raw in split_top(body, _ROW_END):
        text = raw.strip()
        if not text:
            continue
        tag = ""
        m = _TAG.search(text)
        if m and not split_top(text[: m.start()], _TAG)[1:]:
            tag, after = group(text, m.end() - 1)
            text = (text[: m.start()] + text[after:]).strip()
        parts = split_top(text, re.compile("&"))
        lhs, rhs = (parts[0], "&".join(parts[1:])) if len(parts) > 1 else ("", parts[0])
        lines.append(DisplayLine(lhs.strip(), rhs.strip(), tag))
    return lines


def display(lines: list[DisplayLine]) -> str:
    """A display as a table of lines: the left sides right-aligned against the right sides,
    as ``align*`` sets them, and each tag at the right margin."""
    rows = []
    for line in lines:
        lhs = mathml(line.lhs, display=True) if line.lhs else ""
        rhs = mathml(line.rhs, display=True) if line.rhs else ""
        tag = f'<td class="tag">{_text(line.tag)}</td>' if line.tag else '<td class="tag"></td>'
        rows.append(f'<tr><td class="lhs">{lhs}</td><td class="rhs">{rhs}</td>{tag}</tr>')
    return '<div class="display"><table>' + "".join(rows) + "</table></div>"


# -- tables ---------------------------------------------------------------------------------


def table(body: str) -> str:
    """A ``tabular`` or ``longtable`` body (its column spec removed) as an HTML table: the
    rows before the first ``\\midrule`` are the head."""
    head_end = body.find("\\midrule")
    head, rest = (body[:head_end], body[head_end:]) if head_end >= 0 else ("", body)

    def rows(part: str, cell: str) -> list[str]:
        out = []
        for raw in split_top(_RULES.sub("", part), _ROW_END):
            if not raw.strip():
                continue
            cells = split_top(raw, re.compile("&"))
            out.append("<tr>" + "".join(f"<{cell}>{inline(c.strip())}</{cell}>" for c in cells) + "</tr>")
        return out

    thead = "<thead>" + "".join(rows(head, "th")) + "</thead>" if head.strip() else ""
    return f'<div class="table"><table>{thead}<tbody>{"".join(rows(rest, "td"))}</tbody></table></div>'


# -- blocks ---------------------------------------------------------------------------------

_BLOCK_START = re.compile(
    r"\\(?:section|subsection|subsubsection|paragraph)\*?\{|\\begin\{|\\\[|\\symconvfigure\{|\{\\small\b"
    r"|\\renewcommand\{\\arraystretch\}|\n[ \t]*\n|(?<!\\)\$"
)


@dataclass
class Blocks:
    """Reads a document body into HTML blocks; ``figure(n)`` gives the HTML of the ``n``-th
    row of pictures (the placeholder ``\\symconvfigure{n}``), ``ids`` the headings' anchors."""

    figure: Callable[[int], str]
    out: list[str] = field(default_factory=list)
    para: list[str] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)
    toc: list[tuple[int, str, str]] = field(default_factory=list)

    def flush(self) -> None:
        text = "".join(self.para).strip()
        if text:
            self.out.append(f"<p>{inline(text)}</p>")
        self.para.clear()

    def heading(self, level: int, title: str) -> None:
        inner = inline(title)
        slug = re.sub(r"[^a-z0-9]+", "-", re.sub(r"<[^>]*>", "", inner).lower()).strip("-") or "part"
        n = self.ids.get(slug, 0)
        self.ids[slug] = n + 1
        anchor = slug if n == 0 else f"{slug}-{n + 1}"
        self.toc.append((level, anchor, inner))
        self.out.append(f'<h{level} id="{anchor}">{inner}</h{level}>')

    def read(self, src: str, level_shift: int = 0) -> None:
        k = 0
        while k < len(src):
            m = _BLOCK_START.search(src, k)
            if m is None:
                self.para.append(src[k:])
                break
            self.para.append(src[k : m.start()])
            k = self._block(src, m.start(), m.group(0), level_shift)
        self.flush()

    def _block(self, src: str, at: int, start: str, level_shift: int) -> int:
        if start == "$":  # inline math stays in its paragraph, whatever it holds
            end = math_end(src, at + 1) + 1
            self.para.append(src[at:end])
            return end
        if start.startswith("\n"):
            self.flush()
            return at + len(start)
        if start.startswith("\\renewcommand"):
            m = _TABLE_SETUP.match(src, at)
            if m is None:
                raise TexError(f"no HTML for {src[at : at + 40]!r}")
            return m.end()
        if start.startswith("{\\small"):
            self.flush()
            body, end = group(src, at)
            self.read(body[len("\\small") :], level_shift)
            return end
        if start.startswith("\\symconvfigure"):
            self.flush()
            number, end = group(src, at + len("\\symconvfigure"))
            self.out.append(self.figure(int(number)))
            return end
        if start == "\\[":
            self.flush()
            end = src.index("\\]", at)
            self.out.append(display([DisplayLine("", src[at + 2 : end].strip(), "")]))
            return end + 2
        if start.startswith("\\begin{"):
            name, _ = group(src, at + len("\\begin"))
            return self._environment(src, at, name, level_shift)
        # a heading
        name = start[1:].rstrip("{").rstrip("*")
        title, end = group(src, at + len(start) - 1)
        self.flush()
        self.heading(min(HEADINGS[name] + level_shift, 6), title)
        return end

    def _environment(self, src: str, at: int, name: str, level_shift: int) -> int:
        body, end = environment(src, at, name)
        if name in ("align*", "align", "gather*", "equation*"):
            self.flush()
            self.out.append(display(display_lines(body)))
        elif name == "quote":
            self.flush()
            inner = Blocks(self.figure, ids=self.ids)
            inner.read(body)
            self.out.append('<aside class="remark">' + "".join(inner.out) + "</aside>")
        elif name == "center":
            self.flush()
            inner = Blocks(self.figure, ids=self.ids)
            inner.read(body)
            self.out.append('<div class="center">' + "".join(inner.out) + "</div>")
        elif name in ("tabular", "longtable"):
            self.flush()
            _, after_spec = group(body, _skip_space(body, 0))
            self.out.append(table(body[after_spec:]))
        else:
            raise TexError(f"no HTML for the environment {name!r}")
        return end


def blocks(src: str, figure: Callable[[int], str], level_shift: int = 0) -> tuple[str, list[tuple[int, str, str]]]:
    """The HTML of a document body and its headings ``(level, anchor, html)``."""
    reader = Blocks(figure)
    reader.read(_COMMENT.sub("", src), level_shift)
    return "\n".join(reader.out), reader.toc
