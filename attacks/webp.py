"""``webp:quality=Q``: a real lossy WebP encode and decode through PIL (libwebp)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inpaintbench.sdk import ImageAttack, Range, pil_roundtrip


@dataclass(frozen=True)
class WebP(ImageAttack):
    """Lossy WebP re-compression at a quality factor (0 = worst, 100 = best) with libwebp."""

    quality: int = 80
    method: int = 4

    name = "webp"
    strength = "quality"
    neutral = 100

    ranges = {"quality": Range(0, 100, examples=(90, 80, 60)), "method": Range(0, 6)}

    def encode(self, image: np.ndarray) -> bytes:
        """The lossy WebP file this setting writes for ``image``."""
        return pil_roundtrip(image, "WEBP", **self._save_options())[0]

    def _save_options(self) -> dict:
        return {"quality": int(self.quality), "method": int(self.method), "lossless": False}

    def apply(self, image, mask, rng):
        return pil_roundtrip(image, "WEBP", **self._save_options())[1], mask

    def what(self) -> str:
        return f"lossy WebP encode/decode at quality {self.quality}, method {self.method} (PIL/libwebp)"
