"""Offline-safe pretrained weights: use the local cache, try a download, or fail with a clear message."""

from __future__ import annotations

import os

from pathlib import Path

import torch


class WeightsUnavailable(RuntimeError):
    """Pretrained weights were asked for but are neither cached nor downloadable."""


def cache_path(url: str) -> Path:
    """Where torch.hub keeps the file of ``url`` (``$TORCH_HOME/hub/checkpoints/<name>``)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)


def is_cached(url: str) -> bool:
    return cache_path(url).is_file()


def load_state_dict(url: str, *, download: bool = True) -> dict[str, torch.Tensor]:
    """The state dict behind ``url``, from the cache or downloaded into it; read with weights_only."""
    path = cache_path(url)
    if not path.is_file():
        if not download:
            raise WeightsUnavailable(f"weights {path.name} are not cached at {path}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.hub.download_url_to_file(url, str(path), progress=True)
        except Exception as exc:
            raise WeightsUnavailable(
                f"could not download pretrained weights {url} ({type(exc).__name__}: {exc}). "
                f"This machine may be offline: place the file at {path}, or choose weights=none") from exc
    return torch.load(path, map_location="cpu", weights_only=True)
