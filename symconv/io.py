"""Writing files: output paths checked before any work, files written atomically (so a
failure never leaves a half-written file) with the permissions the umask gives."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from .errors import SpecError
from .text import escape


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    """An existing file keeps its mode; a new one gets ``0666 & ~umask`` (0644 under 022)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def write_atomic(path: str | Path, data: str | bytes, parameter: str = "output") -> Path:
    """Write ``data`` to a temporary file beside ``path`` and move it into place.  An error
    is a :class:`SpecError` naming ``path`` (never the temporary file)."""
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except OSError as err:
        raise SpecError(parameter, f"cannot write {escape(path, 200)}: {err.strerror or err}") from None
    finally:
        if tmp is not None and os.path.lexists(tmp):
            Path(tmp).unlink(missing_ok=True)
    return path


def check_folder(folder: str | Path, parameter: str) -> Path:
    """Make sure files can be written into ``folder`` before any work starts: the folder, or
    the nearest part of its path that exists, must be a folder where a probe file can be
    written (and is removed).  Nothing is created.  Errors name the user's path."""
    folder = Path(folder)
    shown = escape(folder, 200)
    existing = folder
    while not existing.exists():
        if existing.is_symlink():  # a dangling link: the folder cannot be made
            raise SpecError(parameter, f"cannot write into {shown}: {escape(existing, 200)} is a broken link")
        parent = existing.parent
        if parent == existing:
            break
        existing = parent
    if not existing.is_dir():
        what = "exists and is not a folder" if existing == folder else f"is inside {escape(existing, 200)}, a file"
        raise SpecError(parameter, f"{shown} {what}")
    try:
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".symconv-probe.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        where = "it" if existing == folder else escape(existing, 200)
        raise SpecError(parameter, f"cannot write into {shown}: {where} {_refusal(err)}") from None
    return folder


def _refusal(err: OSError) -> str:
    """Why a folder takes no new file, in words (a folder that exists said "No such file or
    directory" when its file system, /proc, refuses new files)."""
    if err.errno in (errno.EACCES, errno.EPERM):
        return "is a folder you may not write into (permission denied)"
    if err.errno == errno.EROFS:
        return "is on a read-only file system"
    if err.errno == errno.ENOSPC:
        return "is on a full disk"
    if err.errno == errno.ENOENT:  # the folder is there: its file system makes no new file
        return "is a folder where files cannot be created"
    return f"is a folder where files cannot be created ({err.strerror or err})"


def check_file(path: str | Path, parameter: str) -> Path:
    """Make sure ``path`` can be written (its folder is checked as :func:`check_folder`
    does; an existing folder of that name is refused)."""
    path = Path(path)
    if path.is_dir():
        raise SpecError(parameter, f"{escape(path, 200)} is a folder, not a file")
    check_folder(path.parent, parameter)
    return path
