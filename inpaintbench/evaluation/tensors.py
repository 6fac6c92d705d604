"""From stored samples to network tensors: optional attack on the stored image, then the resize.

This is the one place where images are resized for a network (only when asked: the default is
the stored resolution), soft masks are binarized and batches of mixed sizes are padded, so the
protocol recorded with a result describes exactly what was done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from inpaintbench.data.imageio import DataError, jpeg_qtables
from inpaintbench.data.seeds import sample_seed
from inpaintbench.evaluation.protocol import PADDING, Protocol, mask_threshold
from inpaintbench.sdk.contracts import Sample


def to_tensors(sample: Sample, image_size: int | None, binarization: str | int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(image [3,H,W] float in [0,1], target [1,H,W] float 0/1)`` at the stored size, or resized to
    ``image_size`` squared (bilinear with antialias, image and soft mask alike) before binarizing."""
    image = torch.from_numpy(np.array(sample.image, dtype=np.uint8, copy=True)).permute(2, 0, 1).float().div_(255)
    soft = torch.from_numpy(np.array(sample.mask, dtype=np.uint8, copy=True)).float().div_(255).unsqueeze(0)
    if image_size:
        size = (image_size, image_size)
        if image.shape[1:] != size:
            image = F.interpolate(image[None], size=size, mode="bilinear", antialias=True,
                                  align_corners=False)[0].clamp_(0, 1)
            soft = F.interpolate(soft[None], size=size, mode="bilinear", antialias=True,
                                 align_corners=False)[0]
    target = (soft >= mask_threshold(binarization) / 255 - 1e-4).float()
    return image, target


def check_mask_scale(sample: Sample, mask_file: object, binarization: str | int) -> None:
    """Refuse a manipulated image whose mask is stored as 0/1 (maximum 1) when the binarization needs
    more: every pixel would count as authentic, and IoU would be empty, in silence."""
    threshold = mask_threshold(binarization)
    if threshold > 1 and sample.manipulated and sample.mask.size and int(sample.mask.max()) == 1:
        raise DataError(mask_file or sample.path or sample.id,
                        f"mask values are 0 and 1 (maximum 1), not 0..255: under mask binarization "
                        f"{binarization} (>= {threshold}) no pixel is inpainted; pass --mask-binarization 1 "
                        "to read 1 as inpainted, or store the masks as 0/255")


def file_facts(stored: Sample, shown: Sample, resized: bool = False) -> dict[str, Any]:
    """The ``FILE_FACTS`` of a sample: its file's path, and the JPEG tables of the file while the pixels
    are still the file's (``shown is stored``), else those an attack says it wrote; none after a resize."""
    tables = jpeg_qtables(stored.path) if shown is stored and stored.path else shown.meta.get("jpeg_qtables")
    return {"path": stored.path or stored.id, "jpeg_qtables": None if resized else tables}


class SampleTensors(Dataset):
    """A torch dataset over layout records: load, optionally attack (``protocol.attack``), resize, binarize.

    With ``on_bad="skip"`` a bad file yields ``None`` (dropped by ``collate``) and is reported.
    With ``facts``, each item also carries its ``file_facts`` (for detectors that observe files).
    """

    def __init__(self, source, records: Sequence, protocol: Protocol, *, seed: int = 0, on_bad: str = "error",
                 transform: Callable[[Sample, np.random.Generator], Sample] | None = None,
                 facts: bool = False) -> None:
        self.facts = facts
        self.source = source
        self.records = list(records)
        self.protocol = protocol
        self.attack = protocol.attack
        self.transform = transform
        self.seed = seed
        self.on_bad = on_bad
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int):
        record = self.records[index]
        try:
            sample = self.source.load(record)
            check_mask_scale(sample, getattr(record, "mask", None), self.protocol.binarization)
        except DataError as err:
            if self.on_bad == "skip":
                return {"bad": str(err)}
            raise
        stored = sample
        if self.transform is not None:
            rng = np.random.default_rng(sample_seed(self.seed + 7919 * self.epoch, sample.id, sample.kind))
            sample = self.transform(sample, rng)
        if self.attack is not None:
            sample = self.attack(sample, np.random.default_rng(sample_seed(self.seed, sample.id, sample.kind)))
        image, target = to_tensors(sample, self.protocol.image_size, self.protocol.binarization)
        columns = {k: v for k, v in sample.meta.items() if isinstance(v, (str, int, float, bool))}
        item = {"image": image, "target": target, "id": sample.id, "kind": sample.kind,
                "manipulated": sample.manipulated, "index": index, "path": sample.path or sample.id,
                "columns": columns}
        if self.facts:
            item["file"] = file_facts(stored, sample, resized=tuple(image.shape[1:]) != sample.image.shape[:2])
        return item


def pad_to(tensor: torch.Tensor, height: int, width: int, mode: str) -> torch.Tensor:
    """``[C,h,w]`` padded at the bottom and right to ``[C,height,width]`` (``F.pad`` mode)."""
    dh, dw = height - tensor.shape[1], width - tensor.shape[2]
    if not (dh or dw):
        return tensor
    if mode == "constant":
        return F.pad(tensor, (0, dw, 0, dh))
    return F.pad(tensor[None], (0, dw, 0, dh), mode=mode)[0]


def collate(items: list[dict]) -> dict:
    """Stack good items, padded to the batch's largest size, with a validity mask ``"valid" [B,1,H,W]``;
    keep the messages of bad ones under ``"bad"``."""
    good = [it for it in items if "bad" not in it]
    batch: dict = {"bad": [it["bad"] for it in items if "bad" in it]}
    if good:
        h = max(it["image"].shape[1] for it in good)
        w = max(it["image"].shape[2] for it in good)
        batch["image"] = torch.stack([pad_to(it["image"], h, w, PADDING) for it in good])
        batch["target"] = torch.stack([pad_to(it["target"], h, w, "constant") for it in good])
        batch["valid"] = torch.stack([pad_to(torch.ones_like(it["target"], dtype=torch.bool), h, w, "constant")
                                      for it in good])
        batch["size"] = [tuple(it["image"].shape[1:]) for it in good]
        for key in ("id", "kind", "manipulated", "index", "columns"):
            batch[key] = [it[key] for it in good]
        batch["path"] = [it.get("path", it["id"]) for it in good]
        batch["file"] = [it.get("file") for it in good]
    return batch
