"""``gaussian_noise:std=σ``: additive, seeded Gaussian noise on the 0..255 pixel scale."""

from __future__ import annotations

from dataclasses import dataclass

from inpaintbench.sdk import ImageAttack, Range, to_uint8


@dataclass(frozen=True)
class GaussianNoise(ImageAttack):
    """Adds i.i.d. Gaussian noise of standard deviation ``std`` (0..255 scale), then rounds and clips."""

    std: float = 5.0

    name = "gaussian_noise"
    strength = "std"
    neutral = 0.0

    ranges = {"std": Range(0.0, 128.0, examples=(2, 5, 10))}

    def apply(self, image, mask, rng):
        noise = rng.standard_normal(image.shape) * float(self.std)
        return to_uint8(image + noise), mask

    def what(self) -> str:
        return f"additive Gaussian noise, std {self.std:g} on the 0..255 scale, seeded per image; rounded and clipped"
