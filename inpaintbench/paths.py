"""Where the benchmark keeps what it builds for itself: one cache root for every job."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "INPAINTBENCH_CACHE"


def cache_root() -> Path:
    """``$INPAINTBENCH_CACHE``, else ``$XDG_CACHE_HOME/inpaintbench``, else ``~/.cache/inpaintbench``."""
    root = os.environ.get(CACHE_ENV)
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "inpaintbench"
