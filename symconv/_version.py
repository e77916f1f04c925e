"""The installed distribution's version: ``symconv.__version__`` and ``symconv --version``."""

from __future__ import annotations

from importlib import metadata


def installed() -> str:
    """The version pip installed (``pyproject.toml``'s), or ``"unknown"`` from a bare checkout."""
    try:
        return metadata.version("symconv")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "unknown"


__version__ = installed()
