"""Tiny datasets in the provided layout, built in a test's tmp folder (no files are shipped)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter

from inpaintbench.data.imageio import write_webp


def square_mask(size: int, rng: np.random.Generator) -> np.ndarray:
    """A blurred square like the provided set's: 255 inside, a soft band, 0 outside."""
    hard = np.zeros((size, size), np.float32)
    side = int(rng.integers(size // 4, size // 2))
    y, x = rng.integers(0, size - side, 2)
    hard[y:y + side, x:x + side] = 255
    return np.clip(np.round(gaussian_filter(hard, 1.5)), 0, 255).astype(np.uint8)


def photo(size: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth random 'photo' with camera-like grain."""
    base = gaussian_filter(rng.normal(128, 60, (size, size, 3)), (4, 4, 0))
    return np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


def make_layout(root: Path, n_per_split: dict[str, int] | None = None, size: int = 32, seed: int = 0,
                kinds: tuple[str, ...] = ("realfake", "fakefake", "original"), subfolders: bool = True) -> Path:
    """Write ids whose fakes are smoothed (grain removed) inside the mask: learnable, like inpainting."""
    rng = np.random.default_rng(seed)
    n_per_split = n_per_split or {"train": 6, "val": 2, "test": 3}
    for split, n in n_per_split.items():
        folder = root / split if subfolders else root
        for i in range(n):
            sid = f"{split}{i:03d}"
            image, mask = photo(size, rng), square_mask(size, rng)
            m = mask[..., None] / 255.0
            smooth = gaussian_filter(image.astype(np.float32), (1.2, 1.2, 0))
            fake = np.round(image * (1 - m) + smooth * m).astype(np.uint8)
            write_webp(folder / f"{sid}.mask.webp", mask)
            for kind in kinds:
                write_webp(folder / f"{sid}.{kind}.webp", image if kind == "original" else fake)
    return root


class InMemoryDataset:
    """A dataset held in memory: ``self.samples`` maps ``<part>/<kind>`` to its ``Sample``s."""

    name = "in-memory"

    def __init__(self) -> None:
        self.samples: dict = {}

    def splits(self) -> list[str]:
        return list(self.samples)

    def records(self, split: str) -> list:
        return self.samples[split]

    def load(self, record):
        return record

    def info(self) -> dict:
        return {"name": self.name}
