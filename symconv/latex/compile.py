"""Running pdflatex and pdftoppm safely and reproducibly.

pdflatex runs as ``openin_any=p pdflatex -no-shell-escape -interaction=nonstopmode
-halt-on-error`` in a fresh temporary folder (so it can neither read nor write outside
it), always on a file named ``derivation.tex`` (the PDF's ID then does not depend on the
user's file name), with ``SOURCE_DATE_EPOCH=0 FORCE_SOURCE_DATE=1`` so that the same
``.tex`` gives a byte-identical PDF.  The result is moved into place atomically.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..io import write_atomic

PDFLATEX = ("pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error")
#: seconds a compile may take before it is stopped
TIMEOUT = 300
#: resolution of ``--png`` pages
PNG_DPI = 100
_JOB = "derivation"


class LatexError(Exception):
    """pdflatex (or pdftoppm) failed; the message is one line, with the log's first error."""


def have_pdflatex() -> bool:
    """Whether ``pdflatex`` is on ``PATH``."""
    return shutil.which("pdflatex") is not None


def have_pdftoppm() -> bool:
    return shutil.which("pdftoppm") is not None


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"openin_any": "p", "openout_any": "p", "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"})
    return env


def first_error(log: str) -> str:
    """The log's first error (a line starting with ``!``), with the source line number
    TeX reports after it, as one line."""
    lines = log.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("!"):
            message = line[1:].strip()
            for after in lines[n + 1 : n + 12]:
                m = re.match(r"l\.(\d+)\s?(.*)", after)
                if m:
                    context = m.group(2).strip()
                    where = f" at line {m.group(1)}" + (f" ({context[-40:]})" if context else "")
                    return message + where
            return message
    tail = [line.strip() for line in lines if line.strip()]
    return tail[-1] if tail else "no log was written"


def _run(
    command: list[str], cwd: Path, timeout: float, name: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run a fixed command (no shell, no user text in it) with a time limit."""
    try:
        return subprocess.run(  # noqa: S603
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise LatexError(f"{command[0]} took longer than {timeout:g} s on {name}") from None


def run_pdflatex(source: bytes, *, name: str = "document.tex", timeout: float = TIMEOUT) -> tuple[bytes, str]:
    """Compile LaTeX ``source`` in a fresh temporary folder; return the PDF and the log.
    ``name`` only appears in error messages."""
    if not have_pdflatex():
        raise LatexError("pdflatex is not on PATH (install texlive-latex-base and texlive-latex-recommended)")
    with tempfile.TemporaryDirectory(prefix="symconv-latex-") as tmp:
        work = Path(tmp)
        (work / f"{_JOB}.tex").write_bytes(source)
        proc = _run([*PDFLATEX, f"{_JOB}.tex"], work, timeout, name, env=_environment())
        log_path = work / f"{_JOB}.log"
        log = log_path.read_text(encoding="latin-1") if log_path.exists() else proc.stdout.decode("latin-1")
        pdf = work / f"{_JOB}.pdf"
        if proc.returncode != 0 or not pdf.exists():
            raise LatexError(f"pdflatex failed on {name}: {first_error(log)}")
        return pdf.read_bytes(), log


def compile_pdf(tex_path: str | Path, *, timeout: float = TIMEOUT) -> Path:
    """Compile ``tex_path`` to the PDF beside it (moved into place atomically); raise
    :class:`LatexError`, one line with the log's first error, on failure."""
    tex_path = Path(tex_path)
    pdf, _ = run_pdflatex(tex_path.read_bytes(), name=tex_path.name, timeout=timeout)
    return write_atomic(tex_path.with_suffix(".pdf"), pdf)


def page_images(pdf_path: str | Path) -> list[Path]:
    """The pages :func:`render_png` wrote of ``pdf_path``: ``<stem>-<n>.png`` beside it."""
    pdf_path = Path(pdf_path)
    page = re.compile(re.escape(pdf_path.stem) + r"-\d+\.png")
    return [p for p in pdf_path.parent.glob(f"{pdf_path.stem}-*.png") if page.fullmatch(p.name)]


def render_png(pdf_path: str | Path, *, dpi: int = PNG_DPI, timeout: float = TIMEOUT) -> list[Path]:
    """Render every page of ``pdf_path`` to ``<stem>-<page>.png`` beside it."""
    pdf_path = Path(pdf_path)
    if shutil.which("pdftoppm") is None:
        raise LatexError("pdftoppm is not on PATH (install poppler-utils)")
    with tempfile.TemporaryDirectory(prefix="symconv-png-") as tmp:
        work = Path(tmp)
        command = ["pdftoppm", "-png", "-r", str(dpi), str(pdf_path.resolve()), str(work / "page")]
        proc = _run(command, work, timeout, pdf_path.name)
        if proc.returncode != 0:
            message = " ".join(proc.stderr.decode("utf-8", "replace").split()) or f"exit code {proc.returncode}"
            raise LatexError(f"pdftoppm failed on {pdf_path.name}: {message}")
        pages = sorted(work.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        for old in page_images(pdf_path):
            old.unlink()
        return [
            write_atomic(pdf_path.with_name(f"{pdf_path.stem}-{n}.png"), page.read_bytes())
            for n, page in enumerate(pages, start=1)
        ]
