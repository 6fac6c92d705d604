"""What every mask generator shares: softening a drawn shape, coverage, and seeded retries.

A generator draws a binary shape, softens it into the uint8 mask used for blending (0..255) and
keeps it only if its coverage lies in ``[min_coverage, max_coverage]``. Coverage is always the
fraction of pixels in the hard ground truth, ``soft == 255`` (the project's ``full`` binarization).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from inpaintbench.sdk.errors import UserError

#: How the blur is placed around the drawn shape.
#: ``centred``: the shape itself is blurred (the provided set's recipe; the ground truth shrinks
#: by the blur's reach). ``outside``: the shape is first grown by that reach, so the ground truth
#: is the drawn shape and the feathering lies outside it.
FEATHERS = ("centred", "outside")


class MaskUnavailable(UserError, ValueError):
    """No mask meeting the coverage bounds could be drawn (e.g. no segment of a suitable size)."""


def ground_truth(soft: np.ndarray) -> np.ndarray:
    """The hard ground truth of a soft mask: pixels still fully set (``== 255``)."""
    return soft == 255


def coverage(soft: np.ndarray) -> float:
    """Fraction of the image in the hard ground truth."""
    return float(ground_truth(soft).mean()) if soft.size else 0.0


def blur(mask: np.ndarray, radius: float) -> np.ndarray:
    """Gaussian blur of a uint8 mask as in the provided data (Pillow's ``GaussianBlur(radius)``)."""
    from PIL import Image, ImageFilter

    if radius <= 0:
        return mask.astype(np.uint8)
    return np.array(Image.fromarray(mask.astype(np.uint8)).filter(ImageFilter.GaussianBlur(radius)))


@lru_cache(maxsize=16)
def blur_reach(radius: float) -> int:
    """How many pixels inside a straight edge the blurred mask first reaches 255 again."""
    if radius <= 0:
        return 0
    size = int(12 * radius) + 8
    step = np.zeros((size, 8), np.uint8)
    step[size // 2:] = 255
    column = blur(step, radius)[:, 4]
    return int(np.argmax(column == 255)) - size // 2


def dilate(shape: np.ndarray, pixels: int) -> np.ndarray:
    """Grow a binary shape by a disc of radius ``pixels``."""
    import cv2

    if pixels <= 0:
        return shape.astype(bool)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return cv2.dilate(shape.astype(np.uint8), kernel) > 0


def soften(shape: np.ndarray, radius: float = 3.0, feather: str = "centred") -> np.ndarray:
    """The uint8 soft mask (0..255) of a binary shape, blurred as ``feather`` says."""
    if feather not in FEATHERS:
        raise ValueError(f"feather must be one of {', '.join(FEATHERS)}, not {feather!r}")
    shape = shape.astype(bool)
    if feather == "centred":
        return blur(shape.astype(np.uint8) * 255, radius)
    grown = dilate(shape, blur_reach(radius))
    soft = blur(grown.astype(np.uint8) * 255, radius)
    soft[shape] = 255
    return soft


def check_bounds(min_coverage: float, max_coverage: float) -> None:
    if not 0.0 <= min_coverage <= max_coverage <= 1.0:
        raise ValueError(f"coverage bounds must satisfy 0 <= min_coverage <= max_coverage <= 1, "
                         f"got min_coverage={min_coverage}, max_coverage={max_coverage}")


class MaskGenerator:
    """Base of the registered generators: ``gen(height, width, rng) -> uint8 HxW soft mask``.

    Subclasses implement ``draw`` (a boolean shape, or ``None`` to retry); the base softens it
    and retries, with the same ``rng``, until the coverage is within bounds.
    """

    name = "mask"

    def __init__(self, *, min_coverage: float, max_coverage: float, blur: float = 3.0,
                 feather: str = "centred", max_tries: int = 200) -> None:
        check_bounds(min_coverage, max_coverage)
        if feather not in FEATHERS:
            raise ValueError(f"feather must be one of {', '.join(FEATHERS)}, not {feather!r}")
        if blur < 0:
            raise ValueError(f"blur radius must be >= 0, got {blur}")
        self.min_coverage = float(min_coverage)
        self.max_coverage = float(max_coverage)
        self.blur = float(blur)
        self.feather = feather
        self.max_tries = int(max_tries)

    def draw(self, height: int, width: int, rng: np.random.Generator,
             labels: Sequence[np.ndarray] | None) -> np.ndarray | None:
        raise NotImplementedError

    def __call__(self, height: int, width: int, rng: np.random.Generator,
                 labels: Sequence[np.ndarray] | None = None) -> np.ndarray:
        if height <= 0 or width <= 0:
            raise ValueError(f"mask size must be positive, got {height}x{width}")
        for _ in range(self.max_tries):
            shape = self.draw(height, width, rng, labels)
            if shape is None:
                continue
            soft = soften(shape, self.blur, self.feather)
            if self.min_coverage <= coverage(soft) <= self.max_coverage:
                return soft
        raise MaskUnavailable(f"{self.name} masks: no mask of {height}x{width} with coverage in "
                              f"[{self.min_coverage}, {self.max_coverage}] after {self.max_tries} tries")

    def options(self) -> dict[str, Any]:
        """The options that define the generator (recorded in manifests and cache keys)."""
        return {"min_coverage": self.min_coverage, "max_coverage": self.max_coverage,
                "blur": self.blur, "feather": self.feather}

    def describe(self) -> str:
        opts = ",".join(f"{k}={v}" for k, v in self.options().items())
        return f"{self.name}({opts})"
