"""Output paths checked before a job starts: a file or folder that cannot be written fails in one line
at once, not after the work; a file that will be replaced is said to be."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from inpaintbench.sdk.errors import UserError


class OutputError(UserError, OSError):
    """An output path that cannot be written."""


def _existing_ancestor(path: Path) -> Path:
    """The nearest existing path at or above ``path`` (a parent that is a file stops the climb)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def _folder_problem(folder: Path) -> str | None:
    """What stops files being written in ``folder`` (created if missing), or ``None``."""
    base = _existing_ancestor(folder)
    if not base.is_dir():
        return f"{base} is a file, not a folder"
    if not os.access(base, os.W_OK | os.X_OK):
        return f"{base} is not writable"
    return None


def check_output_dir(path: str | os.PathLike, what: str = "output folder") -> Path:
    """``path`` as a folder that exists or can be created, and is writable."""
    path = Path(path)
    problem = _folder_problem(path)
    if problem:
        raise OutputError(f"{what} {path}: {problem}")
    return path


def check_output_file(path: str | os.PathLike, what: str = "--output") -> Path:
    """``path`` as a file that can be written: not an existing folder, not below a file, in a writable
    folder (created if missing)."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{what} {path}: is an existing folder; give a file name")
    problem = _folder_problem(path.parent)
    if problem is None and path.exists() and not os.access(path, os.W_OK):
        problem = "the existing file is not writable"
    if problem:
        raise OutputError(f"{what} {path}: {problem}")
    return path


def check_not_an_input(output: str | os.PathLike, inputs: Iterable[str | os.PathLike], what: str = "--output") -> None:
    """Refuse an output that is one of the job's own input files."""
    target = Path(output).resolve()
    for item in inputs:
        if Path(item).resolve() == target:
            raise OutputError(f"{what} {output}: is one of the input files; writing it would destroy that input")


def replaced_note(path: str | os.PathLike) -> str:
    """`` (replaced the existing file)`` when ``path`` exists now, else an empty string; call it before writing."""
    return " (replaced the existing file)" if Path(path).exists() else ""
