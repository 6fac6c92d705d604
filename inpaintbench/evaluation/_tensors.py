"""From stored samples to network tensors: optional attack on the stored image, then the resize.

This is the one place where images are resized for a network (only when asked: the default is
the stored resolution), soft masks are binarized and batches of mixed sizes are padded, so the
protocol recorded with a result describes exactly what was done.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from inpaintbench.data._seeds import sample_seed
from inpaintbench.data.imageio import DataError, jpeg_qtables, pixel_limit
from inpaintbench.evaluation._image_inputs import InputMaker
from inpaintbench.evaluation.protocol import PADDING, Protocol, mask_threshold
from inpaintbench.io._feature_cache import FeatureCache
from inpaintbench.sdk.contracts import BaseDetector, Sample
from inpaintbench.sdk.errors import USER_ERRORS, PluginFailure


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


def stored_tensors(sample: Sample, binarization: str | int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(image [3,H,W] uint8, target [1,H,W] bool)`` at the stored size, the image held once as stored
    (a view of the decoded pixels) and the truth as one byte per pixel: what evaluation keeps of a large
    image. ``as_float`` gives exactly ``to_tensors``' image, and the target is true where ``to_tensors``'
    is 1 (``mask / 255 >= t / 255 - 1e-4`` holds for an integer mask exactly when ``mask >= t``)."""
    pixels = sample.image if sample.image.flags.writeable else sample.image.copy()
    image = torch.from_numpy(np.ascontiguousarray(pixels, dtype=np.uint8)).permute(2, 0, 1)
    target = torch.from_numpy(np.asarray(sample.mask) >= mask_threshold(binarization)).unsqueeze(0)
    return image, target


def as_float(images: torch.Tensor) -> torch.Tensor:
    """Images as a detector takes them: float32 in [0, 1], contiguous ``[B,3,H,W]``; uint8 images (see
    ``stored_tensors``) are converted as ``to_tensors`` converts them, so the values are identical."""
    if images.dtype != torch.uint8:
        return images
    return images.to(torch.float32, memory_format=torch.contiguous_format).div_(255)


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

    With ``on_bad="skip"`` a bad file yields ``None`` (dropped by ``collate``) and is reported. With
    ``facts``, each item also carries its ``file_facts`` (for detectors that observe files). With
    ``inputs`` (a detector's declared image inputs) each item also holds ``"inputs"``: the maps of the
    whole image, from the feature cache when the image is a stored one (no attack, no transform).
    """

    def __init__(self, source, records: Sequence, protocol: Protocol, *, seed: int = 0, on_bad: str = "error",
                 transform: Callable[[Sample, np.random.Generator], Sample] | None = None,
                 facts: bool = False, stored: bool = False, inputs: InputMaker | None = None) -> None:
        self.facts = facts
        self.source = source
        #: At the stored size (no ``image_size``), give uint8 images and bool targets (``stored_tensors``):
        #: evaluation converts them per detector call, so a large image is never held as float.
        self.stored = stored and not protocol.image_size
        self.records = list(records)
        self.protocol = protocol
        self.attack = protocol.attack
        self.transform = transform
        self.seed = seed
        self.on_bad = on_bad
        self.inputs = inputs
        self.epoch = 0

    def with_inputs(self, inputs: InputMaker | None) -> SampleTensors:
        """The same data, its items carrying ``inputs``' maps."""
        other = copy.copy(self)
        other.inputs = inputs
        return other

    def __len__(self) -> int:
        return len(self.records)

    def prefill_inputs(self) -> None:
        """Compute and cache, here and on the input maker's device, the image inputs of every stored
        image, so that loader workers (which compute on the CPU) only read them; a no-op for attacked
        or transformed images, which are not cached."""
        if self.inputs and self.attack is None and self.transform is None:
            for index in range(len(self)):
                self[index]

    def __getitem__(self, index: int):
        record = self.records[index]
        try:
            with pixel_limit(self.protocol.max_image_pixels):
                sample = self.source.load(record)
            check_mask_scale(sample, getattr(record, "mask", None), self.protocol.binarization)
        except DataError as err:
            if self.on_bad == "skip":
                return {"bad": str(err)}
            raise
        try:
            return self.prepared(sample, index)
        except USER_ERRORS:
            raise
        except Exception as exc:  # an attack, transform or image input failed: name the file
            raise PluginFailure(f"{sample.path or sample.id}: preparing the image failed (transform, attack or image "
                                f"inputs): {type(exc).__name__}: {exc}") from exc

    def prepared(self, stored: Sample, index: int) -> dict:
        """The item of a loaded sample: transformed, attacked, made tensors, with its inputs and file facts."""
        sample = stored
        if self.transform is not None:
            rng = np.random.default_rng(sample_seed(self.seed + 7919 * self.epoch, sample.id, sample.kind))
            sample = self.transform(sample, rng)
        if self.attack is not None:
            sample = self.attack(sample, np.random.default_rng(sample_seed(self.seed, sample.id, sample.kind)))
        image, target = (stored_tensors(sample, self.protocol.binarization) if self.stored
                         else to_tensors(sample, self.protocol.image_size, self.protocol.binarization))
        columns = {k: v for k, v in sample.meta.items() if isinstance(v, (str, int, float, bool))}
        item = {"image": image, "target": target, "id": sample.id, "kind": sample.kind,
                "manipulated": sample.manipulated, "index": index, "path": sample.path or sample.id,
                "columns": columns}
        if self.inputs:
            item["inputs"] = self.inputs(as_float(image[None])[0],  # from the float pixels, as in training
                                         store=self.attack is None and self.transform is None)
        if self.facts:
            item["file"] = file_facts(stored, sample, resized=tuple(image.shape[1:]) != sample.image.shape[:2])
        return item


def pad_to(tensor: torch.Tensor, height: int, width: int, mode: str) -> torch.Tensor:
    """``[C,h,w]`` padded at the bottom and right to ``[C,height,width]``: ``constant`` with zeros (false),
    ``replicate`` with the edge pixels; any dtype (uint8 images, bool targets), by indexing."""
    c, h, w = tensor.shape
    if (h, w) == (height, width):
        return tensor
    if mode == "constant":
        out = tensor.new_zeros((c, height, width))
        out[:, :h, :w] = tensor
        return out
    rows = torch.arange(height, device=tensor.device).clamp_(max=h - 1)
    cols = torch.arange(width, device=tensor.device).clamp_(max=w - 1)
    return tensor.index_select(1, rows).index_select(2, cols)


def stack(tensors: list[torch.Tensor]) -> torch.Tensor:
    """``torch.stack``, except that one tensor becomes a view with a batch axis (no copy of a large image)."""
    return tensors[0].unsqueeze(0) if len(tensors) == 1 else torch.stack(tensors)


def collate(items: list[dict]) -> dict:
    """Stack good items, padded to the batch's largest size, with a validity mask ``"valid" [B,1,H,W]``;
    keep the messages of bad ones under ``"bad"``."""
    good = [it for it in items if "bad" not in it]
    batch: dict = {"bad": [it["bad"] for it in items if "bad" in it]}
    if good:
        h = max(it["image"].shape[1] for it in good)
        w = max(it["image"].shape[2] for it in good)
        batch["image"] = stack([pad_to(it["image"], h, w, PADDING) for it in good])
        batch["target"] = stack([pad_to(it["target"], h, w, "constant") for it in good])
        batch["valid"] = stack([pad_to(torch.ones((1, *it["target"].shape[1:]), dtype=torch.bool), h, w, "constant")
                                for it in good])
        if "inputs" in good[0]:  # the image inputs, padded like the image
            batch["inputs"] = {name: stack([pad_to(it["inputs"][name], h, w, PADDING) for it in good])
                               for name in good[0]["inputs"]}
        batch["size"] = [tuple(it["image"].shape[1:]) for it in good]
        for key in ("id", "kind", "manipulated", "index", "columns"):
            batch[key] = [it[key] for it in good]
        batch["path"] = [it.get("path", it["id"]) for it in good]
        batch["file"] = [it.get("file") for it in good]
    return batch


def with_image_inputs(data: SampleTensors, detector: BaseDetector, device: str | torch.device,
                      workers: int, cache: FeatureCache | None = None) -> SampleTensors:
    """``data`` carrying the detector's declared image inputs (unchanged when it declares none or ``data``
    has them already), kept in ``cache`` (default: the feature cache under the cache root) and computed on
    ``device``. With loader workers, every stored image's inputs are computed here first; the workers
    then read them, and compute on the CPU only what is not cached (attacked or transformed images)."""
    inputs = detector.image_inputs()
    if not inputs or data.inputs:
        return data
    maker = InputMaker(inputs, device, cache if cache is not None else FeatureCache())
    data = data.with_inputs(maker)
    if workers > 0:
        data.prefill_inputs()
        data = data.with_inputs(maker.on("cpu"))
    return data
