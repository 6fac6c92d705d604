"""Training crops at the stored scale: a seeded random crop per sample and epoch and optional flips.
Nothing here changes pixel values; short sides are padded by ``collate`` like evaluation batches."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from inpaintbench.data._seeds import sample_seed
from inpaintbench.evaluation._tensors import SampleTensors
from inpaintbench.sdk.crops import crop_window
from inpaintbench.sdk.errors import ConfigError

#: Augmentations that may be asked for; none changes pixel statistics.
AUGMENTS = ("flip",)


def parse_augment(text: str | None) -> tuple[str, ...]:
    """``"flip"`` -> ``("flip",)``; an unknown name is a ``ConfigError``."""
    names = tuple(a.strip() for a in (text or "").split(",") if a.strip())
    unknown = [a for a in names if a not in AUGMENTS]
    if unknown:
        raise ConfigError(f"unknown augmentation {unknown[0]!r}; choose from {', '.join(AUGMENTS)}")
    return names


def random_crop(tensors: list[torch.Tensor], size: int, rng: np.random.Generator) -> list[torch.Tensor]:
    """One random window of at most ``size x size`` cut from each of ``tensors`` (``[C, H, W]``, the same
    H and W: the image, its target and its image inputs), so that they stay aligned pixel for pixel.

    A side shorter than ``size`` is kept whole; ``collate`` pads the batch (edges replicated) and its
    validity mask keeps the padding out of the loss and of every count.
    """
    top, left = crop_window(tensors[0].shape[1], tensors[0].shape[2], size, size, "random", rng)
    return [t[:, top:top + size, left:left + size] for t in tensors]


def flip(tensors: list[torch.Tensor], rng: np.random.Generator) -> list[torch.Tensor]:
    """Flip all of ``tensors`` left-right and, independently, top-bottom, each with probability 1/2."""
    dims = [d for d, coin in ((2, rng.random() < 0.5), (1, rng.random() < 0.5)) if coin]
    return [t.flip(dims) for t in tensors] if dims else tensors


class CropTensors(Dataset):
    """The items of a ``SampleTensors`` as training crops: seeded per sample and epoch (not by order
    or workers), so crops are reproducible and change every epoch. ``size=None`` keeps whole images.
    An item's image inputs (``"inputs"``, maps of the whole image) get the same window and flips."""

    def __init__(self, data: SampleTensors, size: int | None, augment: tuple[str, ...] = (), seed: int = 0) -> None:
        if size is not None and size < 8:
            raise ConfigError(f"crop size {size} is too small; use at least 8, or 0 for whole images")
        self.data, self.size, self.augment, self.seed = data, size, tuple(augment), seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> dict[str, Any]:
        self.data.epoch = self.epoch
        item = self.data[index]
        if "bad" in item:
            return item
        rng = np.random.default_rng([sample_seed(self.seed, item["id"], item["kind"]), self.epoch])
        names = list(item.get("inputs", {}))  # the image inputs are cut with the image
        tensors = [item["image"], item["target"], *(item["inputs"][n] for n in names)]
        if self.size is not None:
            tensors = random_crop(tensors, self.size, rng)
        if "flip" in self.augment:
            tensors = flip(tensors, rng)
        out = {**item, "image": tensors[0].contiguous(), "target": tensors[1].contiguous()}
        if names:
            out["inputs"] = {n: t.contiguous() for n, t in zip(names, tensors[2:])}
        return out


def describe_crops(size: int | None, augment: tuple[str, ...]) -> dict[str, Any]:
    """How training samples were made, as recorded with a run."""
    return {"crop": size or "whole images", "augment": list(augment),
            "crop_rule": "random window at the stored scale (after the protocol's resize, if any), seeded per "
                         "sample and epoch; shorter sides kept whole and padded in the batch, padding left out "
                         "of the loss"}
