"""Real photos to generate from, for both ``generate`` and ``universal``: a folder (recursive;
BSDS500 segmentations and COCO annotations picked up when present) or the photos bundled with the
installed dependencies (the offline default); reading, splitting and cropping them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inpaintbench.data.conventions import read_any_rgb
from inpaintbench.data.generation.masks.labels import CocoLabels, read_bsds_segmentations
from inpaintbench.data.imageio import IMAGE_SUFFIXES, DataError, header, image_files
from inpaintbench.data.layout import hash_split
from inpaintbench.sdk.crops import crop_window
from inpaintbench.sdk.samples import SPLITS


@dataclass(frozen=True)
class BundledPhoto:
    """A photograph that an installed dependency ships (no download): the library, its name there,
    the split it feeds in the embedded default and how many crops it gives."""

    library: str
    name: str
    split: str
    crops: int

    @property
    def key(self) -> str:
        return Path(self.name).stem


#: The embedded default's photos: every RGB photograph that scikit-image, matplotlib and
#: scikit-learn (when installed) bundle, checked to load offline. Splits are by photo, so no test
#: crop shares a scene with a training crop (the stereo motorcycle pair stays in train): train 38
#: crops (+12 with scikit-learn), val 10, test 24 from 3 photos; sized so that the main job, which
#: builds it first (two TAEF2 round trips per id), stays under 5 minutes on 2 CPU cores.
#: Left out: scikit-image's grey photographs (camera, coins, moon, brick, grass, gravel, text,
#: clock, cell, page, microaneurysms: a colour generator's chroma inside a grey photo would give
#: every fake away), its synthetic images (colorwheel, logo, phantom, checkerboard, horse), ``cat``
#: (the same photo as ``chelsea``), the 25 px ``lfw_subset`` faces and the images it only
#: downloads; matplotlib's icon ``Minduka_Present_Blue_Pack.png``. imageio bundles no images.
BUNDLED_PHOTOS = (
    BundledPhoto("skimage", "astronaut", "train", 8),
    BundledPhoto("skimage", "motorcycle_left", "train", 6),
    BundledPhoto("skimage", "motorcycle_right", "train", 6),
    BundledPhoto("skimage", "hubble_deep_field", "train", 6),
    BundledPhoto("skimage", "immunohistochemistry", "train", 6),
    BundledPhoto("skimage", "retina", "train", 6),
    BundledPhoto("sklearn", "china.jpg", "train", 6),
    BundledPhoto("sklearn", "flower.jpg", "train", 6),
    BundledPhoto("skimage", "coffee", "val", 10),
    BundledPhoto("skimage", "chelsea", "test", 8),
    BundledPhoto("matplotlib", "grace_hopper.jpg", "test", 8),
    BundledPhoto("skimage", "rocket", "test", 8),
)


@dataclass(frozen=True)
class Photo:
    """One source photo: a stable ``key`` (used in ids), where it comes from, its split if the
    source fixes one, and how to read it and its label maps."""

    key: str
    source: str
    split: str | None
    crops: int = 1
    max_short_side: int | None = None
    loader: Callable[[], np.ndarray] | None = field(default=None, compare=False, repr=False)
    label_file: str | None = None
    coco: CocoLabels | None = field(default=None, compare=False, repr=False)

    def load(self) -> np.ndarray:
        """The photo as uint8 RGB (grey is repeated to three channels, alpha is dropped)."""
        image = np.asarray(self.loader()) if self.loader is not None else read_any_rgb(self.source)
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        return np.ascontiguousarray(image[..., :3].astype(np.uint8))

    def split_of(self, sample_id: str) -> str:
        """The split the source fixes, else the hash split of ``sample_id`` (the provided rule)."""
        return self.split or hash_split(sample_id)

    def labels(self) -> list[np.ndarray] | None:
        """Human label maps at the photo's size, if the source has any."""
        if self.label_file:
            return read_bsds_segmentations(self.label_file)
        if self.coco is not None and Path(self.source).name in self.coco:
            return [self.coco.label_map(Path(self.source).name)]
        return None


def _key(relative: Path) -> str:
    text = "_".join(relative.with_suffix("").parts)
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text)


def _bsds_labels(path: Path) -> str | None:
    """``.../images/<split>/<name>.jpg`` -> ``.../groundTruth/<split>/<name>.mat`` if it exists."""
    parts = list(path.parts)
    if "images" not in parts:
        return None
    i = len(parts) - 1 - parts[::-1].index("images")
    candidate = Path(*parts[:i], "groundTruth", *parts[i + 1:]).with_suffix(".mat")
    return str(candidate) if candidate.is_file() else None


def folder_photos(root: str | os.PathLike, coco_annotations: str | None = None, on_bad: str = "error",
                  problems: list[DataError] | None = None) -> list[Photo]:
    """Every photo under ``root`` (recursive, sorted, hidden files left out). A ``train``/``val``/
    ``test`` folder in the path fixes the split; BSDS500 ``groundTruth`` files and COCO annotations
    give label maps. A file whose header does not read raises ``DataError``, or with
    ``on_bad="skip"`` is left out and appended to ``problems``."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(root, "source folder not found")
    coco = CocoLabels(coco_annotations) if coco_annotations else None
    photos = []
    for path in image_files(root, recursive=True):
        try:
            header(path)
        except DataError as err:
            if on_bad != "skip":
                raise
            if problems is not None:
                problems.append(err)
            continue
        relative = path.relative_to(root)
        split = next((part for part in relative.parts[:-1] if part in SPLITS), None)
        photos.append(Photo(_key(relative), str(path), split, label_file=_bsds_labels(path), coco=coco))
    if not photos:
        raise DataError(root, f"no photos ({', '.join(IMAGE_SUFFIXES)}) found in this folder or below")
    keys = [p.key for p in photos]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise DataError(root, f"two photos map to the same id {dup!r}; rename one")
    return photos


def _skimage(name: str) -> np.ndarray:
    from skimage import data

    if name.startswith("motorcycle_"):
        left, right, _ = data.stereo_motorcycle()
        return left if name == "motorcycle_left" else right
    return getattr(data, name)()


def _matplotlib(name: str) -> np.ndarray:
    from matplotlib import cbook

    return read_any_rgb(cbook.get_sample_data(name, asfileobj=False))


def _sklearn(name: str) -> np.ndarray:
    from sklearn.datasets import load_sample_image

    return load_sample_image(name)


#: Library -> (the module that must be importable, how it reads one of its photos, how a source is named).
BUNDLE_READERS: dict[str, tuple[str, Callable[[str], np.ndarray], str]] = {
    "skimage": ("skimage", _skimage, "skimage.data.{name}"),
    "matplotlib": ("matplotlib", _matplotlib, "matplotlib sample_data/{name}"),
    "sklearn": ("sklearn", _sklearn, "sklearn.datasets.load_sample_image({name!r})"),
}


def embedded_photos(image_size: int) -> list[Photo]:
    """The ``BUNDLED_PHOTOS`` whose library is installed; larger ones are first shrunk so their
    shorter side is at most twice the crop size, so a crop shows a scene, not a detail."""
    import functools
    import importlib.util

    photos = []
    for bundled in BUNDLED_PHOTOS:
        module, read, source = BUNDLE_READERS[bundled.library]
        if importlib.util.find_spec(module) is None:
            continue
        photos.append(Photo(bundled.key, source.format(name=bundled.name), bundled.split, bundled.crops,
                            2 * image_size, loader=functools.partial(read, bundled.name)))
    return photos


def fit_short_side(image: np.ndarray, labels: list[np.ndarray] | None, low: int,
                   high: int | None) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """Resize so the shorter side is at least ``low`` (and at most ``high``); labels by nearest."""
    from PIL import Image

    short = min(image.shape[:2])
    target = max(low, min(short, high)) if high else max(low, short)
    if target == short:
        return image, labels
    scale = target / short
    size = (max(target, round(image.shape[1] * scale)), max(target, round(image.shape[0] * scale)))
    resized = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))
    if labels is not None:
        labels = [np.asarray(Image.fromarray(m.astype(np.int32)).resize(size, Image.Resampling.NEAREST))
                  for m in labels]
    return resized, labels


def random_crop(image: np.ndarray, size: int | None, rng: np.random.Generator) -> np.ndarray:
    """A ``size`` square at a random place; a photo whose shorter side is below ``size`` is first
    upscaled to it. ``size`` 0 or ``None`` keeps the whole photo."""
    if not size:
        return image
    image, _ = fit_short_side(image, None, size, None)
    top, left = crop_window(image.shape[0], image.shape[1], size, size, "random", rng)
    return np.ascontiguousarray(image[top:top + size, left:left + size])
