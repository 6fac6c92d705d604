"""The universal training data of "Noise Doesn't Lie": real photos whose noise statistics are
changed inside a random soft mask only (noise added or removed, or the region re-encoded).

``UniversalTransform`` is a training-time transform ``(Sample, rng) -> Sample`` usable with any
detector (``SampleTensors(transform=...)``); ``universal`` is the registered dataset that applies it,
deterministically per sample, to a folder of photos or to the originals of another dataset.
The change is blended through the soft mask like real inpainting: ``out = orig*(1-m) + changed*m``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from inpaintbench.data._seeds import sample_seed
from inpaintbench.data.generation.generators import blend
from inpaintbench.data.generation.sources import Photo, folder_photos, random_crop
from inpaintbench.data.imageio import DataError
from inpaintbench.data.layout import dataset_repr
from inpaintbench.sdk.attacks import decode_own
from inpaintbench.sdk.samples import SPLITS, Sample

MaskFn = Callable[[int, int, np.random.Generator], np.ndarray]

#: Every operation and the range its strength is drawn from (uniformly, per sample).
OPERATIONS: dict[str, str] = {
    "gaussian": "add Gaussian noise, sigma 3..12 grey levels",
    "poisson": "add Poisson (shot) noise, 30..300 photons at white",
    "blur": "denoise by Gaussian blur, sigma 0.7..2.0 px",
    "median": "denoise by a median filter, 3x3 or 5x5",
    "jpeg": "re-encode as JPEG, quality 30..90 (the whole image is encoded, the mask region kept)",
    "autoencoder": "re-encode through a latent autoencoder (autoencoder=WEIGHTS, default the packaged TAEF2)",
}
DEFAULT_OPERATIONS = ("gaussian", "poisson", "blur", "median", "jpeg")


def _gaussian(img: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    sigma = float(rng.uniform(3.0, 12.0))
    return img + rng.normal(0.0, sigma, img.shape), {"sigma": round(sigma, 3)}


def _poisson(img: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    peak = float(rng.uniform(30.0, 300.0))
    return rng.poisson(img / 255.0 * peak) / peak * 255.0, {"peak": round(peak, 3)}


def _blur(img: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    import cv2

    sigma = float(rng.uniform(0.7, 2.0))
    return cv2.GaussianBlur(img, (0, 0), sigma, borderType=cv2.BORDER_REFLECT), {"sigma": round(sigma, 3)}


def _median(img: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    import cv2

    k = int(rng.choice([3, 5]))
    return cv2.medianBlur(img.astype(np.uint8), k).astype(np.float32), {"kernel": k}


def _jpeg(img: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    from PIL import Image

    quality = int(rng.integers(30, 91))
    buf = io.BytesIO()
    Image.fromarray(img.astype(np.uint8)).save(buf, format="JPEG", quality=quality)
    return decode_own(buf.getvalue()).astype(np.float32), {"quality": quality}


_CHANGES: dict[str, Callable[[np.ndarray, np.random.Generator], tuple[np.ndarray, dict]]] = {
    "gaussian": _gaussian, "poisson": _poisson, "blur": _blur, "median": _median, "jpeg": _jpeg,
}


def parse_operations(operations: str | Sequence[str]) -> tuple[str, ...]:
    """``"gaussian,blur"`` or a sequence -> a checked tuple of operation names."""
    names = tuple(o.strip() for o in (operations.split(",") if isinstance(operations, str) else operations)
                  if o.strip())
    if not names:
        raise ValueError(f"no universal operations given; choose from {', '.join(OPERATIONS)}")
    for name in names:
        if name not in OPERATIONS:
            from inpaintbench.sdk.registry import unknown_name_error

            raise unknown_name_error("operations", name, list(OPERATIONS))
    return names


class UniversalTransform:
    """``(sample, rng) -> sample`` whose noise is changed inside a new random soft mask.

    ``masks``: a mask-generator name (``registry.create("masks", name, **mask_options)``) or a
    callable ``(height, width, rng) -> uint8 HxW``. The output is ``fakefake``; its mask is the
    union (maximum) of the sample's own soft mask and the new one, so manipulated inputs stay
    correctly labelled. ``meta["universal"]`` records the operation and its drawn strength.
    """

    def __init__(self, operations: str | Sequence[str] = DEFAULT_OPERATIONS, masks: str | MaskFn = "brush",
                 mask_options: dict[str, Any] | None = None, autoencoder: str | None = None,
                 device: str = "cpu") -> None:
        from inpaintbench.sdk.autoencoders import DEFAULT_AUTOENCODER

        self.operations = parse_operations(operations)
        if autoencoder and "autoencoder" not in self.operations:
            self.operations += ("autoencoder",)
        if "autoencoder" in self.operations and not autoencoder:
            autoencoder = DEFAULT_AUTOENCODER
        self.masks = masks
        self.mask_options = dict(mask_options or {})
        self.autoencoder = autoencoder
        self.device = device
        self._mask_fn: MaskFn | None = masks if callable(masks) else None
        self._ae = None

    def mask_fn(self) -> MaskFn:
        if self._mask_fn is None:  # resolved lazily so the transform pickles into DataLoader workers
            from inpaintbench.sdk import registry

            self._mask_fn = registry.create("masks", str(self.masks), **self.mask_options)
        return self._mask_fn

    def _reencode(self, img: np.ndarray) -> np.ndarray:
        if self._ae is None:
            from inpaintbench.sdk import load_autoencoder

            self._ae = load_autoencoder(str(self.autoencoder), self.device)
        return self._ae.roundtrip_images(np.asarray(img, dtype=np.uint8)).astype(np.float32)

    def change(self, image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        """The whole image with one randomly chosen operation applied (float, unclipped)."""
        op = str(rng.choice(self.operations))
        img = image.astype(np.float32)
        if op == "autoencoder":
            return self._reencode(image), {"operation": op, "weights": str(self.autoencoder)}
        changed, params = _CHANGES[op](img, rng)
        return changed, {"operation": op, **params}

    def __call__(self, sample: Sample, rng: np.random.Generator) -> Sample:
        h, w = sample.image.shape[:2]
        soft = np.asarray(self.mask_fn()(h, w, rng), dtype=np.uint8)
        if soft.shape != (h, w):
            raise ValueError(f"mask generator {self.masks!r} returned {soft.shape}, expected {(h, w)}")
        changed, params = self.change(sample.image, rng)
        out = blend(sample.image, changed, soft)
        mask = np.maximum(sample.mask, soft) if sample.mask is not None else soft
        meta = {**sample.meta, "universal": params, "source_kind": sample.kind}
        return replace(sample, kind="fakefake", image=out, mask=mask, meta=meta)

    def describe(self) -> dict[str, Any]:
        return {"operations": {o: OPERATIONS[o] for o in self.operations},
                "masks": self.masks if isinstance(self.masks, str) else getattr(self.masks, "__name__", "callable"),
                "mask_options": self.mask_options, "autoencoder": self.autoencoder,
                "blend": "orig*(1-m) + changed*m, m = soft/255; mask = max(own mask, new mask)"}


# --- the registered dataset --------------------------------------------------------------------

@dataclass(frozen=True)
class PhotoRecord:
    """One real photo the universal dataset manipulates (or, kind ``original``, passes through):
    a ``Photo`` of a folder, or a record of another dataset (``source_record``)."""

    id: str
    split: str
    kind: str
    path: str
    photo: Photo | None = None
    source_record: Any = None


class UniversalDataset:
    """Photos -> universal ``fakefake`` samples (and optionally the unchanged ``original``s).

    Reads like a ``LayoutDataset`` (``splits``, ``records``, ``load``, ``info``). Every sample is
    deterministic: its crop and manipulation are seeded by ``(seed, id)``.
    """

    def __init__(self, photos: list[PhotoRecord], transform: UniversalTransform, *, name: str = "universal",
                 image_size: int | None = 256, seed: int = 0, originals: bool = False, source: Any = None,
                 root: str = "") -> None:
        if not photos:
            raise DataError(root or name, "no photos found for the universal dataset")
        self.name, self.transform, self.image_size, self.seed = name, transform, image_size, seed
        self.source, self.root, self.problems = source, root, []
        kinds = ("fakefake", "original") if originals else ("fakefake",)
        self._records = [replace(p, kind=k) for p in photos for k in kinds]

    def splits(self) -> list[str]:
        present = {(r.split, r.kind) for r in self._records}
        return [f"{s}/{k}" for s in SPLITS for k in ("fakefake", "original") if (s, k) in present]

    def records(self, split: str) -> list[PhotoRecord]:
        part, _, kind = split.partition("/")
        if part not in SPLITS or (kind and kind not in ("fakefake", "original")):
            from inpaintbench.sdk.registry import unknown_name_error

            raise unknown_name_error("splits", split, self.splits())
        return [r for r in self._records if r.split == part and (not kind or r.kind == kind)]

    def photo(self, record: PhotoRecord) -> np.ndarray:
        if record.photo is not None:
            return record.photo.load()
        return self.source.load(record.source_record).image

    def load(self, record: PhotoRecord) -> Sample:
        image = random_crop(self.photo(record), self.image_size,
                            np.random.default_rng(sample_seed(self.seed, record.id, "crop")))
        sample = Sample(record.id, record.split, "original", image, np.zeros(image.shape[:2], np.uint8),
                        record.path)
        if record.kind == "original":
            return sample
        return self.transform(sample, np.random.default_rng(sample_seed(self.seed, record.id, record.kind)))

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return dataset_repr(self)

    def info(self) -> dict:
        return {"name": self.name, "root": self.root, "n_records": len(self._records),
                "skipped_at_scan": [str(p) for p in self.problems],
                "splits": {s: len(self.records(s)) for s in self.splits()},
                "image_size": self.image_size, "seed": self.seed, "transform": self.transform.describe(),
                "source": getattr(self.source, "name", None)}


def photos_in_folder(root: str | os.PathLike, on_bad: str = "error",
                     problems: list[DataError] | None = None) -> list[PhotoRecord]:
    """Every readable photo under ``root`` (``sources.folder_photos``), split by its folder or by
    the hash of its id; unreadable files raise, or with ``on_bad="skip"`` go to ``problems``."""
    return [PhotoRecord(p.key, p.split_of(p.key), "fakefake", p.source, p)
            for p in folder_photos(root, on_bad=on_bad, problems=problems)]


def photos_of_dataset(dataset: Any) -> list[PhotoRecord]:
    """The ``original`` images of a layout dataset, in its own splits."""
    out = []
    for split in dataset.splits():
        if split.endswith("/original"):
            out.extend(PhotoRecord(r.id, r.split, "fakefake", str(r.image), source_record=r)
                       for r in dataset.records(split))
    if not out:
        raise DataError(getattr(dataset, "root", dataset), f"dataset {getattr(dataset, 'name', '?')!r} has no "
                                                           "'original' images to build universal data from")
    return out


def universal(data_root: str | None = None, source: str | None = None, image_size: int = 256,
              operations: str = ",".join(DEFAULT_OPERATIONS), masks: str = "brush",
              autoencoder: str | None = None, originals: bool = False, seed: int = 0,
              on_bad: str = "error") -> UniversalDataset:
    """Universal noise-discrepancy data (Li et al. 2021): real photos, noise changed in a random mask.

    Photos come from ``data_root`` (a folder, searched recursively), or from the ``original``
    images of the registered dataset ``source`` (default ``freeform`` when no folder is given).
    """
    from inpaintbench.sdk import registry

    transform = UniversalTransform(operations, masks, autoencoder=autoencoder)
    if data_root and not source:
        problems: list[DataError] = []
        dataset = UniversalDataset(photos_in_folder(data_root, on_bad, problems), transform,
                                   image_size=image_size or None, seed=seed, originals=originals, root=str(data_root))
        dataset.problems = problems
        return dataset
    name = source or "freeform"
    options = {"on_bad": on_bad} | ({"data_root": data_root} if data_root else {})
    dataset = registry.create("datasets", name, **options)
    return UniversalDataset(photos_of_dataset(dataset), transform, image_size=image_size or None, seed=seed,
                            originals=originals, source=dataset, root=str(getattr(dataset, "root", "")))
