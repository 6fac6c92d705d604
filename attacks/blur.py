"""``gaussian_blur:sigma=σ``: a true Gaussian filter (not a box approximation) per colour channel."""

from __future__ import annotations

from dataclasses import dataclass

from inpaintbench.sdk import ImageAttack, Range, to_uint8

#: Kernel support in standard deviations on each side.
TRUNCATE = 4.0


@dataclass(frozen=True)
class GaussianBlur(ImageAttack):
    """Gaussian blur with standard deviation ``sigma`` pixels (scipy.ndimage, reflected borders)."""

    sigma: float = 1.0

    name = "gaussian_blur"
    strength = "sigma"
    neutral = 0.0

    ranges = {"sigma": Range(0.0, 32.0, low_open=True, examples=(0.5, 1, 2))}

    def apply(self, image, mask, rng):
        from scipy.ndimage import gaussian_filter

        blurred = gaussian_filter(image.astype("float32"), sigma=(self.sigma, self.sigma, 0),
                                  mode="reflect", truncate=TRUNCATE)
        return to_uint8(blurred), mask

    def what(self) -> str:
        return f"Gaussian blur, sigma {self.sigma:g} px, kernel to {TRUNCATE:g} sigma, reflected borders"
