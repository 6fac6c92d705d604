"""Arrays computed once and kept on disk under a content key (a detector's fixed image inputs, such as
NIX-Net's autoencoder trace): one ``.npy`` per key under the cache root, written atomically, read back
without pickle, and held within a disk budget with the least recently used entries removed first.

The key is the whole identity of an entry (the caller hashes the image's content and everything else
that decides the array into it), so a changed image or autoencoder is a different key: the old entry
is never read again and ages out of the budget.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from inpaintbench.io._atomic import atomic_write_bytes, remove_stale_temps
from inpaintbench.io._paths import cache_root
from inpaintbench.sdk import env

#: The disk budget when ``$INPAINTBENCH_FEATURE_CACHE_GB`` is unset.
DEFAULT_MAX_GB = 4.0
#: An eviction removes entries until the cache holds at most this share of its budget, so that it
#: does not run again at the next write.
EVICT_TO = 0.8
SUFFIX = ".npy"


def default_feature_dir() -> Path:
    """``features/`` under the benchmark's cache root."""
    return cache_root() / "features"


def budget_bytes() -> int:
    """The disk budget in bytes: ``$INPAINTBENCH_FEATURE_CACHE_GB`` (GiB), else ``DEFAULT_MAX_GB``."""
    text = env.FEATURE_CACHE_GB.get()
    try:
        gib = float(text) if text else DEFAULT_MAX_GB
    except ValueError:
        raise ValueError(f"{env.FEATURE_CACHE_GB} must be a number of GiB, not {text!r}") from None
    if not gib >= 0:
        raise ValueError(f"{env.FEATURE_CACHE_GB} must be >= 0 GiB, not {text!r}")
    return int(gib * 2**30)


class FeatureCache:
    """``<folder>/<key[:2]>/<key>.npy`` files within ``max_bytes`` (default: ``budget_bytes()``).

    ``get`` returns ``None`` for a missing, unreadable or misshapen entry (then the caller computes and
    ``put``s it again); a hit marks the entry as recently used. Several processes may share a folder:
    writes are atomic and an entry removed under a reader is only a miss.
    """

    def __init__(self, folder: str | Path | None = None, max_bytes: int | None = None) -> None:
        self.folder = Path(folder) if folder else default_feature_dir()
        self.max_bytes = budget_bytes() if max_bytes is None else int(max_bytes)
        self._total: int | None = None  # bytes in the folder: scanned once, then kept up to date

    def path(self, key: str) -> Path:
        if not key or not all(c.isalnum() or c in "-_" for c in key):
            raise ValueError(f"feature cache keys are letters, digits, - and _, not {key!r}")
        return self.folder / key[:2] / f"{key}{SUFFIX}"

    def get(self, key: str, shape: tuple[int, ...], dtype: np.dtype | str) -> np.ndarray | None:
        """The entry of ``key`` if it holds an array of this shape and dtype, else ``None``."""
        path = self.path(key)
        try:
            array = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, EOFError):  # a damaged file counts as missing and is rewritten
            return None
        if array.shape != tuple(shape) or array.dtype != np.dtype(dtype):
            return None
        try:
            os.utime(path)  # recently used: evicted last
        except OSError:
            pass
        return array

    def put(self, key: str, array: np.ndarray) -> bool:
        """Store ``array`` under ``key``; returns whether it was stored (an array larger than the whole
        budget is not). Evicts the least recently used entries when the budget is exceeded."""
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
        data = buffer.getvalue()
        if len(data) > self.max_bytes:
            return False
        path = self.path(key)
        try:
            replaced = path.stat().st_size
        except FileNotFoundError:
            replaced = 0
        atomic_write_bytes(path, data)
        self._total = self.disk_usage() if self._total is None else self._total + len(data) - replaced
        if self._total > self.max_bytes:
            self.evict()
        return True

    def entries(self) -> list[tuple[float, int, Path]]:
        """``(last use, size, path)`` of every entry, oldest first."""
        found = []
        for sub in self.folder.iterdir() if self.folder.is_dir() else ():
            for entry in sub.iterdir() if sub.is_dir() else ():
                if entry.suffix == SUFFIX and not entry.name.startswith("."):
                    try:
                        stat = entry.stat()
                    except FileNotFoundError:
                        continue
                    found.append((stat.st_mtime, stat.st_size, entry))
        return sorted(found)

    def disk_usage(self) -> int:
        return sum(size for _, size, _ in self.entries())

    def evict(self) -> list[Path]:
        """Remove the least recently used entries (and temporary files killed writes left) until the
        cache holds at most ``EVICT_TO`` of its budget; returns the entries removed."""
        for sub in self.folder.iterdir() if self.folder.is_dir() else ():
            remove_stale_temps(sub)
        entries = self.entries()
        total = sum(size for _, size, _ in entries)
        removed = []
        for _, size, path in entries:
            if total <= EVICT_TO * self.max_bytes:
                break
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            total -= size
            removed.append(path)
        self._total = total
        return removed
