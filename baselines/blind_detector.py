"""The detector side shared by ``splicebuster`` and ``noiseprint``: one blind map per image, turned into
a pixel probability and an image score.

Probability: a logistic in the log of the Mahalanobis distance per feature dimension,
``sigmoid((log(d2 / dims) - center) / temperature)``, with ``center`` and ``temperature`` fitted
per method on constructed splices (``scripts/calibrate_blind.py``; the cards give the figures).
It ranks pixels exactly as the authors' Mahalanobis map does. Windows with too few usable pixels
take the smallest value of the image, as in the authors' display; an image with too few usable
windows for a fit gets an all-zero map (the method abstains). Image score: a high quantile of the
heatmap.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from inpaintbench.sdk.contracts import BaseDetector

from .blind_em import BlindMap, fill_invalid, to_pixels

#: BT.601 luma weights on 8-bit values; both methods divide by 256, as the authors do.
LUMA = (0.299, 0.587, 0.114)


def grey_of(image: torch.Tensor) -> np.ndarray:
    """``[3, H, W]`` RGB in [0, 1] (8-bit / 255) to the authors' float32 grey: 8-bit luma / 256."""
    rgb = image.detach().float().cpu() * 255.0
    grey = LUMA[0] * rgb[0] + LUMA[1] * rgb[1] + LUMA[2] * rgb[2]
    return (grey / 256.0).numpy().astype(np.float32)


def probability(mahalanobis: np.ndarray, dims: int, center: float, temperature: float) -> np.ndarray:
    """``sigmoid((log(d2 / dims) - center) / temperature)``, elementwise."""
    z = (np.log(np.maximum(mahalanobis, 1e-12) / dims) - center) / temperature
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def heatmap_of(blind: BlindMap, dims: int, center: float, temperature: float,
               shape: tuple[int, int]) -> np.ndarray:
    """The pixel probability map of one image's blind map (zeros when no model was fitted)."""
    if blind.model is None:
        return np.zeros(shape, dtype=np.float32)
    grid = fill_invalid(probability(blind.mahalanobis, dims, center, temperature), blind.valid)
    return to_pixels(grid, blind.centres0, blind.centres1, shape).astype(np.float32)


def check_calibration(name: str, temperature: float, image_quantile: float) -> None:
    """Refuse a non-positive temperature or a quantile outside (0, 1], naming the option."""
    if not temperature > 0:
        raise ValueError(f"{name}: temperature must be positive, not {temperature}")
    if not 0 < image_quantile <= 1:
        raise ValueError(f"{name}: image_quantile must be in (0, 1], not {image_quantile}")


class BlindDetector(BaseDetector):
    """Subclasses give ``blind(image, index) -> BlindMap`` for image ``index`` (``[3, H, W]``) of the batch
    and set ``dims``, ``center``, ``temperature`` and ``image_quantile``."""

    has_image_score = True
    dims: int = 1
    center: float = 0.0
    temperature: float = 1.0
    image_quantile: float = 0.99

    def blind(self, image: torch.Tensor, index: int = 0) -> BlindMap:
        raise NotImplementedError

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        maps = [heatmap_of(self.blind(image, i), self.dims, self.center, self.temperature, tuple(image.shape[-2:]))
                for i, image in enumerate(images)]
        return torch.from_numpy(np.stack(maps)[:, None]).to(images.device)

    def image_score(self, images: torch.Tensor, heatmap: torch.Tensor) -> torch.Tensor:
        flat = heatmap.flatten(1).float()
        k = max(1, min(flat.shape[1], math.ceil(self.image_quantile * flat.shape[1])))
        return flat.kthvalue(k, dim=1).values

    def image_score_source(self) -> str:
        return f"detector.image_score: the {self.image_quantile:g} quantile of the heatmap"
