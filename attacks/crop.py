"""``crop:fraction=F``: cut away a fraction of the width and of the height; the result keeps its new size."""

from __future__ import annotations

from dataclasses import dataclass

from inpaintbench.plugins import ImageAttack, Range

POSITIONS = ("center", "random", "top_left")


@dataclass(frozen=True)
class Crop(ImageAttack):
    """Crops away ``fraction`` of the width and of the height, cropping the mask with the same window.

    The kept window is centred, random (seeded) or at the top left."""

    fraction: float = 0.1
    position: str = "center"

    name = "crop"
    strength = "fraction"
    neutral = 0.0

    ranges = {"fraction": Range(0.0, 0.9, examples=(0.1, 0.25, 0.5))}
    choices = {"position": POSITIONS}

    @property
    def geometric(self) -> bool:
        return True

    def window(self, height: int, width: int, rng) -> tuple[int, int, int, int]:
        """``(top, left, h, w)`` of the kept region."""
        h = max(1, round(height * (1 - self.fraction)))
        w = max(1, round(width * (1 - self.fraction)))
        if self.position == "center":
            return (height - h) // 2, (width - w) // 2, h, w
        if self.position == "random":
            return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w
        return 0, 0, h, w

    def apply(self, image, mask, rng):
        top, left, h, w = self.window(*image.shape[:2], rng)
        return (image[top:top + h, left:left + w].copy(), mask[top:top + h, left:left + w].copy())

    def what(self) -> str:
        return f"{self.position} crop removing {self.fraction:g} of the width and of the height"
