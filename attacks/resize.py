"""``resize:scale=S``: resample to ``scale`` times the size and, by default, back to the original size."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from inpaintbench.sdk import ImageAttack, Range

FILTERS = {"nearest": Image.Resampling.NEAREST, "box": Image.Resampling.BOX,
           "bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC,
           "lanczos": Image.Resampling.LANCZOS}


def scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """``(h, w)`` of an image scaled by ``scale``, rounded, at least 1 pixel."""
    return max(1, round(height * scale)), max(1, round(width * scale))


def resample(array: np.ndarray, size_hw: tuple[int, int], filt: Image.Resampling) -> np.ndarray:
    """PIL resize of a uint8 ``HxW`` or ``HxWx3`` array to ``(h, w)`` (antialiased when shrinking)."""
    return np.array(Image.fromarray(np.ascontiguousarray(array)).resize(size_hw[::-1], filt), dtype=np.uint8)


@dataclass(frozen=True)
class Resize(ImageAttack):
    """Rescaling by ``scale`` with PIL; back to the original size unless ``keep_new_size``."""

    scale: float = 0.5
    keep_new_size: bool = False
    filter: str = "bilinear"

    name = "resize"
    strength = "scale"
    neutral = 1.0

    ranges = {"scale": Range(0.0, 4.0, low_open=True, examples=(0.75, 0.5, 0.25))}
    choices = {"filter": tuple(FILTERS)}

    @property
    def geometric(self) -> bool:
        return bool(self.keep_new_size)

    def apply(self, image, mask, rng):
        h, w = image.shape[:2]
        filt = FILTERS[self.filter]
        small = resample(image, scaled_size(h, w, self.scale), filt)
        if self.keep_new_size:
            return small, resample(mask, small.shape[:2], Image.Resampling.NEAREST)
        return resample(small, (h, w), filt), mask

    def what(self) -> str:
        back = "kept at the new size" if self.keep_new_size else "then back to the original size"
        return f"{self.filter} resize to {self.scale:g}x, {back} (PIL)"
