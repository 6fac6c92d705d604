"""Atomic writes: a reader never sees half a file, and a killed write leaves nothing that lasts."""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path

from inpaintbench.io._runlock import pid_alive

#: Temporary files of ``atomic_write_bytes``: ``.<name>.<pid>-<random>.tmp`` beside the target.
TEMP_PATTERN = re.compile(r"^\.(?P<name>.+)\.(?:(?P<pid>\d+)-)?[A-Za-z0-9_]+\.tmp$")
#: A temporary file whose name holds no writer pid (older versions) is stale after this long.
STALE_TEMP_SECONDS = 600.0


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it over, so no reader sees half a file.

    The file gets the ordinary permissions (0666 less the umask), and its temporary name holds the
    writer's pid so that ``remove_stale_temps`` can tell an abandoned one from a write in progress.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def remove_stale_temps(folder: str | os.PathLike) -> list[Path]:
    """Delete the abandoned temporary files of ``atomic_write_bytes`` in ``folder`` (a killed write
    leaves one); returns them. Stale: its writer pid is dead, or it names none and is old."""
    folder = Path(folder)
    removed = []
    for entry in folder.iterdir() if folder.is_dir() else ():
        match = TEMP_PATTERN.match(entry.name)
        if match is None or not entry.is_file():
            continue
        pid = match.group("pid")
        try:
            stale = not pid_alive(int(pid)) if pid else time.time() - entry.stat().st_mtime > STALE_TEMP_SECONDS
            if stale:
                entry.unlink()
                removed.append(entry)
        except FileNotFoundError:
            continue
    return removed
