"""``jpeg:quality=Q``: a real JPEG encode and decode through PIL (libjpeg), as a re-save would do."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from inpaintbench.sdk import ImageAttack, Range, pil_roundtrip
from inpaintbench.sdk.attacks import opened_own

SUBSAMPLING = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}


@functools.cache
def written_tables(quality: int, subsampling: int) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """The quantization tables PIL's encoder writes at ``quality``: ``((table id, 64 entries), ...)``."""
    data = pil_roundtrip(np.zeros((16, 16, 3), np.uint8), "JPEG", quality=quality, subsampling=subsampling)[0]
    with opened_own(data) as im:
        return tuple((int(k), tuple(int(v) for v in t)) for k, t in im.quantization.items())


@dataclass(frozen=True)
class JPEG(ImageAttack):
    """JPEG re-compression at a quality factor (1 = worst, 100 = best) with PIL's libjpeg encoder."""

    quality: int = 90
    chroma_subsampling: str = "4:2:0"

    name = "jpeg"
    strength = "quality"
    neutral = 100

    ranges = {"quality": Range(1, 100, examples=(90, 70, 50))}
    choices = {"chroma_subsampling": tuple(SUBSAMPLING)}

    def encode(self, image: np.ndarray) -> bytes:
        """The JPEG file this setting writes for ``image``."""
        return pil_roundtrip(image, "JPEG", **self._save_options())[0]

    def _save_options(self) -> dict:
        return {"quality": int(self.quality), "subsampling": SUBSAMPLING[self.chroma_subsampling]}

    def file_meta(self) -> dict:
        """The quantization tables this setting writes (``FILE_FACTS``), read back from a tiny encode."""
        tables = written_tables(int(self.quality), SUBSAMPLING[self.chroma_subsampling])
        return {"jpeg_qtables": {k: list(t) for k, t in tables}}

    def apply(self, image, mask, rng):
        return pil_roundtrip(image, "JPEG", **self._save_options())[1], mask

    def what(self) -> str:
        return f"JPEG encode/decode at quality {self.quality}, chroma {self.chroma_subsampling} (PIL/libjpeg)"
