"""The Jinja environments: templates lay out data computed beforehand, nothing else.

LaTeX templates use ``\\VAR{...}``, ``\\BLOCK{...}`` and ``\\#{...}`` since ``{{`` and
``{#`` collide with TeX; NumPy and HTML templates use Jinja's usual delimiters, and HTML
templates escape what they are given unless it is marked safe.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from .registry import KINDS


def templates_dir() -> Path:
    """The templates folder: the repository's ``templates/``, shipped as ``symconv.templates``."""
    return Path(str(resources.files("symconv.templates")))


def template_dirs(kind: str) -> list[Path]:
    """Where templates of ``kind`` are found: the shared ones (``templates/<kind>/``: a document's
    frame, macros, pictures, a module's frame), then each layer family's own
    (``symconv/layers/<family>/templates/``, for LaTeX: its documents)."""
    out = [templates_dir() / kind]
    if kind == "latex":
        families = sorted({k.family for k in KINDS.values()})
        out += [Path(str(resources.files(family))) / "templates" for family in families]
    return out


@cache
def environment(kind: str) -> jinja2.Environment:
    """``kind`` is ``"latex"``, ``"numpy"`` or ``"html"`` (see :func:`template_dirs`)."""
    loader = jinja2.FileSystemLoader(template_dirs(kind))
    return jinja2.Environment(loader=loader, **options(kind))  # noqa: S701 - set by options(): on for HTML only


def options(kind: str) -> dict[str, Any]:
    """The environment settings of a kind of template (a page's reading of the LaTeX
    templates, :mod:`symconv.html.page`, builds its environment from these too)."""
    delimiters: dict[str, Any] = {}
    if kind == "latex":
        delimiters = {
            "block_start_string": r"\BLOCK{",
            "block_end_string": "}",
            "variable_start_string": r"\VAR{",
            "variable_end_string": "}",
            "comment_start_string": r"\#{",
            "comment_end_string": "}",
            "line_statement_prefix": None,
            "line_comment_prefix": None,
        }
    elif kind not in ("numpy", "html"):
        raise ValueError(f"unknown template kind {kind!r}")
    return {
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
        # LaTeX and Python source are not HTML: autoescaping would corrupt them
        "autoescape": kind == "html",
        **delimiters,
    }
