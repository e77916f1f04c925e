"""The Jinja environments: templates lay out data computed beforehand, nothing else.

LaTeX templates use ``\\VAR{...}``, ``\\BLOCK{...}`` and ``\\#{...}`` since ``{{`` and
``{#`` collide with TeX; NumPy templates use Jinja's usual delimiters.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import jinja2


def templates_dir() -> Path:
    """The templates folder: the repository's ``templates/``, shipped as ``symconv.templates``."""
    return Path(str(resources.files("symconv.templates")))


@cache
def environment(kind: str) -> jinja2.Environment:
    """``kind`` is ``"latex"`` or ``"numpy"`` (a subfolder of ``templates/``)."""
    options: dict[str, object] = {}
    if kind == "latex":
        options = {
            "block_start_string": r"\BLOCK{",
            "block_end_string": "}",
            "variable_start_string": r"\VAR{",
            "variable_end_string": "}",
            "comment_start_string": r"\#{",
            "comment_end_string": "}",
            "line_statement_prefix": None,
            "line_comment_prefix": None,
        }
    elif kind != "numpy":
        raise ValueError(f"unknown template kind {kind!r}")
    # LaTeX and Python source, not HTML: autoescaping would corrupt them
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir() / kind),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701
        **options,  # type: ignore[arg-type]
    )
