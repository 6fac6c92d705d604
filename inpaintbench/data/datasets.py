"""Dataset factories registered under ``inpaintbench.datasets``: each returns a ``LayoutDataset``."""

from __future__ import annotations

import os

from .imageio import DataError
from .layout import LayoutDataset

DATA_ENV = "INPAINTBENCH_DATA"


def resolve_root(data_root: str | None, dataset: str) -> str:
    """``data_root``, else ``$INPAINTBENCH_DATA``, else a clear error saying how to give one."""
    root = data_root or os.environ.get(DATA_ENV)
    if not root:
        raise DataError(f"<{dataset}>", f"no data folder given: pass --data-root DIR or set {DATA_ENV}")
    return root


def provided(data_root: str | None = None, on_bad: str = "error") -> LayoutDataset:
    """The provided square-mask set: <id>.realfake/fakefake/mask.webp triplets in a folder."""
    return LayoutDataset(resolve_root(data_root, "provided"), name="provided", on_bad=on_bad)
