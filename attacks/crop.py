"""``crop:fraction=F``: cut away a fraction of the width and of the height; the result keeps its new size."""

from __future__ import annotations

from dataclasses import dataclass

from inpaintbench.sdk import ImageAttack, Range
from inpaintbench.sdk.crops import CROP_POSITIONS, POSITION_ALIASES, crop_position, crop_window


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
    choices = {"position": (*CROP_POSITIONS, *POSITION_ALIASES)}

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "position", crop_position(self.position))

    @property
    def geometric(self) -> bool:
        return True

    def window(self, height: int, width: int, rng) -> tuple[int, int, int, int]:
        """``(top, left, h, w)`` of the kept region."""
        h = max(1, round(height * (1 - self.fraction)))
        w = max(1, round(width * (1 - self.fraction)))
        top, left = crop_window(height, width, h, w, self.position, rng)
        return top, left, h, w

    def apply(self, image, mask, rng):
        top, left, h, w = self.window(*image.shape[:2], rng)
        return (image[top:top + h, left:left + w].copy(), mask[top:top + h, left:left + w].copy())

    def what(self) -> str:
        return f"{self.position} crop removing {self.fraction:g} of the width and of the height"
