"""A run-folder lock: one job at a time writes into a folder; a lock left by a dead process is taken over."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from types import TracebackType

from inpaintbench.sdk.errors import UserError

LOCK_NAME = ".lock"
#: A lock file without a readable pid younger than this is being written by its taker, not stale.
FRESH_SECONDS = 5.0


class FolderLocked(UserError, RuntimeError):
    """The folder is in use by another live process."""


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (one we may not signal counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _age(path: Path) -> float:
    """Seconds since ``path`` was last modified (infinite when it is gone)."""
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")


class RunLock:
    """``<folder>/.lock`` holding ``pid host``, created exclusively on enter and removed on exit.

    A lock whose process is alive refuses with ``FolderLocked``; one whose process is gone (a kill, a
    crash) is stale and taken over. A lock written on another host is honoured as live: its pid
    cannot be checked from here.
    """

    def __init__(self, folder: str | os.PathLike, purpose: str = "a run") -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.purpose = purpose
        self.token = f"{os.getpid()} {socket.gethostname()}"

    def _holder(self) -> tuple[int, str] | None:
        """The ``(pid, host)`` in the lock file, or ``None`` when it is gone or unreadable."""
        try:
            pid, _, host = self.path.read_text(encoding="utf-8").strip().partition(" ")
            return int(pid), host
        except (FileNotFoundError, ValueError):
            return None

    def acquire(self) -> RunLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
            except FileExistsError:
                holder = self._holder()
                if holder is None and _age(self.path) < FRESH_SECONDS:
                    holder = (0, "another process, still writing it")  # created an instant ago: not stale
                if holder is not None and (holder[1] != socket.gethostname() or pid_alive(holder[0])):
                    raise FolderLocked(f"{self.folder}: in use by {self.purpose} (pid {holder[0]} on {holder[1]}, "
                                       f"lock file {self.path}); wait for it to finish or use another folder") from None
                self.path.unlink(missing_ok=True)  # stale (dead process) or unreadable: take it over
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.token + "\n")
            return self
        raise FolderLocked(f"{self.folder}: could not take the lock file {self.path}; another process keeps taking it")

    def release(self) -> None:
        """Remove the lock file if it is still ours."""
        try:
            if self.path.read_text(encoding="utf-8").strip() == self.token:
                self.path.unlink()
        except FileNotFoundError:
            pass

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
