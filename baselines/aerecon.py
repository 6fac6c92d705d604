"""Detector ``aerecon``: pixels decoded by a latent autoencoder survive another round trip through it
almost unchanged, real pixels do not (the AEROBLADE idea, Ricker, Lukovnikov & Fischer, CVPR 2024,
applied per pixel). Training-free; ``baselines/AERECON.md`` documents every choice."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from inpaintbench.sdk import load_autoencoder
from inpaintbench.sdk.contracts import BaseDetector

from . import cards

DISTANCES = ("l2", "l1")
EPS = 1e-6


def local_mean(x: torch.Tensor, window: int) -> torch.Tensor:
    """Mean over a ``window`` x ``window`` neighbourhood, edges replicated, same size out: a mean down the
    columns then along the rows (separable), ``2 * window`` additions a pixel instead of ``window**2``."""
    pad = window // 2
    padded = F.pad(x, (pad, pad, pad, pad), mode="replicate")
    return F.avg_pool2d(F.avg_pool2d(padded, (window, 1), stride=1), (1, window), stride=1)


def pixel_error(a: torch.Tensor, b: torch.Tensor, distance: str) -> torch.Tensor:
    """Per-pixel distance ``[B, 1, H, W]`` between two RGB batches, averaged over channels."""
    diff = a - b
    return (diff.pow(2) if distance == "l2" else diff.abs()).mean(1, keepdim=True)


class AEReconDetector(BaseDetector):
    card = cards.AERECON
    has_image_score = True
    image_score_reads_images = False  # a quantile of the heatmap

    def __init__(self, autoencoder: str = "taef2", window: int = 33, normalise: bool = True,
                 distance: str = "l2", center: float = 0.38, temperature: float = 0.2,
                 image_quantile: float = 0.99) -> None:
        if window < 1 or window % 2 == 0:
            raise ValueError(f"aerecon: window must be a positive odd number, not {window}")
        if distance not in DISTANCES:
            raise ValueError(f"aerecon: distance {distance!r}: choose one of {', '.join(DISTANCES)}")
        if temperature <= 0:
            raise ValueError(f"aerecon: temperature must be positive, not {temperature}")
        if not 0 < image_quantile <= 1:
            raise ValueError(f"aerecon: image_quantile must be in (0, 1], not {image_quantile}")
        self.autoencoder_name = autoencoder
        self.window, self.normalise, self.distance = window, normalise, distance
        self.center, self.temperature, self.image_quantile = center, temperature, image_quantile
        self.options = {"autoencoder": autoencoder, "window": window, "normalise": normalise,
                        "distance": distance, "center": center, "temperature": temperature,
                        "image_quantile": image_quantile}
        self.device = torch.device("cpu")
        self.autoencoder = load_autoencoder(autoencoder, "cpu")

    def to(self, device: str | torch.device) -> AEReconDetector:
        self.device = torch.device(device)
        self.autoencoder = load_autoencoder(self.autoencoder_name, str(self.device))
        return self

    @torch.inference_mode()
    def log_ratio(self, images: torch.Tensor) -> torch.Tensor:
        """``log`` of the local first-trip error over the local second-trip error, ``[B, 1, H, W]``.

        With ``normalise=false`` it is the log of the first-trip error alone. Besides the two round trips
        (the bound, ``scripts/bench_eval.py``) it costs two error maps and one separable local mean of both.
        """
        first = self.autoencoder.roundtrip(images).contiguous()
        if not self.normalise:
            return torch.log(local_mean(pixel_error(images, first, self.distance), self.window) + EPS)
        second = self.autoencoder.roundtrip(first)
        errors = local_mean(torch.cat([pixel_error(images, first, self.distance),
                                       pixel_error(first, second, self.distance)], 1), self.window)
        return torch.log(errors[:, :1] + EPS) - torch.log(errors[:, 1:] + EPS)

    @torch.inference_mode()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid((self.center - self.log_ratio(images.float())) / self.temperature)

    def image_score(self, images: torch.Tensor, heatmap: torch.Tensor) -> torch.Tensor:
        flat = heatmap.flatten(1).float()
        k = max(1, min(flat.shape[1], round(self.image_quantile * flat.shape[1])))
        return flat.kthvalue(k, dim=1).values  # torch.quantile refuses inputs above 2**24 pixels

    def info(self) -> dict:
        return {"options": self.options, "weights": f"autoencoder {self.autoencoder.source} (training-free)",
                "weights_entry": self.autoencoder.describe().get("weights"), "parameters": 0}
