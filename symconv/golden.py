"""``generated/``: golden outputs, made by one command and checked for drift.

``symconv codegen --all`` writes every file below; ``symconv codegen --check``
regenerates them in memory and diffs against the folder.  Each area contributes
its files through a ``golden_files()`` function returning ``{relative path: text}``.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from .io import write_atomic

GOLDEN_COMMAND = "symconv codegen --all"


def golden_files() -> dict[str, str]:
    """Every file that belongs in ``generated/``, by relative path."""
    from .codegen import golden_files as code
    from .latex import golden_files as documents

    files = {**code(), **documents()}
    return dict(sorted(files.items()))


def default_root() -> Path:
    """The repository's ``generated/`` (beside ``symconv/`` in a checkout)."""
    return Path(__file__).resolve().parent.parent / "generated"


def write_all(root: Path) -> list[Path]:
    """Write every golden file under ``root``; remove stale ones that we made before."""
    files = golden_files()
    written = [write_atomic(root / rel, text) for rel, text in files.items()]
    for old in sorted(root.rglob("*")) if root.exists() else []:
        if old.is_file() and old.relative_to(root).as_posix() not in files and old.suffix in (".py", ".tex"):
            old.unlink()
    return written


def drift(root: Path) -> list[str]:
    """Unified diffs (one string per file) between ``root`` and what the generator makes now."""
    files = golden_files()
    out = []
    for rel, text in files.items():
        path = root / rel
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            diff = difflib.unified_diff(
                current.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"generated/{rel}" if path.exists() else "/dev/null",
                tofile=f"generated/{rel} (regenerated)",
            )
            out.append("".join(diff))
    if root.exists():
        for extra in sorted(root.rglob("*")):
            rel = extra.relative_to(root).as_posix()
            if extra.is_file() and extra.suffix in (".py", ".tex") and rel not in files:
                out.append(f"generated/{rel}: not made by the generator any more (remove it)\n")
    return out
