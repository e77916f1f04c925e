"""One self-contained HTML page per derivation: the LaTeX document's title, sections, worked
entries and remarks, math as MathML, pictures as inline SVG, and nothing from outside (no
script, style, font or image is fetched), so the page opens offline and can be mailed.

The page is made from the document itself: the layer's (or network's) LaTeX body is built by
:func:`symconv.latex.document.content` from the same builders and templates as the PDF, with
one difference, a template environment in which ``figures(...)`` sets each row of pictures
aside and leaves a placeholder; :mod:`.tex` reads the body into HTML and :mod:`.svg` draws
the pictures set aside.  No kind is named here, so a new kind's page needs no code.
"""

from __future__ import annotations

import contextvars
import html as htmllib
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
from markupsafe import Markup

from ..errors import SpecError
from ..io import write_atomic
from ..latex.document import ABSTRACT, Options, as_derivation, content, tensors, valid_stem
from ..latex.notation import index_style
from ..latex.pictures import Picture
from ..network import NetworkDerivation
from ..rule import Derivation
from ..specs import Layer, Network
from ..templating import environment, options, template_dirs, templates_dir
from . import svg
from .tex import blocks, inline

PAGE_TEMPLATE = "page.html.j2"
#: the pictures macro a page's LaTeX environment uses instead of ``pictures.tex.j2``'s
_FIGURES = "\\BLOCK{macro figures(pictures)}\n\\symconvfigure{\\VAR{set_aside(pictures)}}\n\n\\BLOCK{endmacro}\n"
_ASIDE: contextvars.ContextVar[list[Sequence[Picture]]] = contextvars.ContextVar("pictures")


def _set_aside(pictures: Sequence[Picture]) -> int:
    """Keep a row of pictures for the page and return its number for the placeholder."""
    rows = _ASIDE.get()
    rows.append(pictures)
    return len(rows) - 1


@cache
def latex_environment() -> jinja2.Environment:
    """The LaTeX templates as the documents use them, except ``figures``."""
    loader = jinja2.ChoiceLoader(
        [jinja2.DictLoader({"pictures.tex.j2": _FIGURES}), jinja2.FileSystemLoader(template_dirs("latex"))]
    )
    env = jinja2.Environment(loader=loader, **options("latex"))  # noqa: S701 - LaTeX, not HTML
    env.globals["set_aside"] = _set_aside
    return env


def body(d: Derivation | NetworkDerivation, opts: Options) -> tuple[str, str, list[tuple[int, str, str]]]:
    """The page's title, body and table of contents (level, anchor, HTML) for ``d``."""
    rows: list[Sequence[Picture]] = []
    token = _ASIDE.set(rows)
    try:
        title, tex = content(d, opts, latex_environment())
    finally:
        _ASIDE.reset(token)
    style = index_style(tensors(d))
    html, toc = blocks(tex, lambda n: svg.figures(rows[n], style))
    return inline(title), html, toc


@cache
def _asset(name: str) -> str:
    return (templates_dir() / "html" / name).read_text(encoding="utf-8")


def page(
    obj: Layer | Network | Derivation | NetworkDerivation,
    *,
    entry: Sequence[int] | None = None,
    seed: int = 0,
    values: np.ndarray | None = None,
) -> str:
    """The self-contained HTML page of a layer or network (deterministic)."""
    d = as_derivation(obj)
    title, html, toc = body(d, Options(tuple(entry) if entry is not None else None, seed, values))
    return _render(title, html, toc, standalone=True)


def _safe(text: str) -> Markup:
    """HTML this package built itself: text escaped by :mod:`.tex`, MathML from
    latex2mathml, SVG of numbers, or the shipped style sheet and script."""
    return Markup(text)  # noqa: S704 - built from escaped pieces, never from raw input


def _render(title: str, html: str, toc: list[tuple[int, str, str]], *, standalone: bool) -> str:
    context: dict[str, Any] = {
        "title": _safe(title),
        "plain_title": svg.plain_caption(title_text(title)),
        "abstract": _safe(inline(ABSTRACT)),
        "toc": [(level, anchor, _safe(text)) for level, anchor, text in toc if level <= 3],
        "body": _safe(html),
        "css": _safe(_asset("page.css")),
        "js": _safe(_asset("page.js")),
        "standalone": standalone,
    }
    return environment("html").get_template(PAGE_TEMPLATE).render(**context)


def title_text(title_html: str) -> str:
    """The title as plain text for ``<title>`` (the MathML's characters, no tags)."""
    return htmllib.unescape(re.sub(r"<[^>]+>", "", title_html))


def notebook(obj: Layer | Network | Derivation | NetworkDerivation) -> str:
    """The page for a notebook cell (``_repr_html_``): the same content, without the
    ``<html>`` frame; its styles are scoped to the page's own container."""
    d = as_derivation(obj)
    title, html, toc = body(d, Options())
    return _render(title, html, toc, standalone=False)


def write_page(
    spec: Layer | Network | Derivation | NetworkDerivation,
    out_dir: Path,
    *,
    stem: str = "derivation",
    entry: Sequence[int] | None = None,
    seed: int = 0,
    values: np.ndarray | None = None,
) -> Path:
    """Write ``<out_dir>/<stem>.html`` atomically; the page is built before anything is
    written, so invalid input (``SpecError``) leaves no file behind."""
    if not valid_stem(stem):
        raise SpecError("stem", f"must be a plain file name (letters, digits, '_', '.', '-'), got {stem!r}")
    text = page(spec, entry=entry, seed=seed, values=values)
    return write_atomic(Path(out_dir) / f"{stem}.html", text)
