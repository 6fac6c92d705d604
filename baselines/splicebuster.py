"""Detector ``splicebuster``: Splicebuster (Cozzolino, Poggi & Verdoliva, WIFS 2015), a blind, training-free
splicing localizer from local co-occurrence statistics of a high-pass residual and a Gaussian-uniform
EM. ``baselines/SPLICEBUSTER.md`` documents every choice.
"""

from __future__ import annotations

from typing import Any

import torch

from inpaintbench.sdk.contracts import Card

from .blind_detector import BlindDetector, check_calibration, grey_of
from .blind_em import BlindMap, blind_map
from .splicebuster_features import Settings, splicebuster_features

#: The logistic on ``log(d2 / 25)`` (see ``blind_detector``), fitted by ``scripts/calibrate_blind.py``.
CENTER = 4.1
TEMPERATURE = 1.0


class SplicebusterDetector(BlindDetector):
    card = Card(
        description="Splicebuster (training-free, blind): co-occurrences of the quantized third-order residual "
                    "in sliding windows, whitened PCA and a Gaussian-uniform EM; logistic map of each window's "
                    "Mahalanobis distance to the host model; image score = a high quantile.",
        reference="D. Cozzolino, G. Poggi, L. Verdoliva, 'Splicebuster: a new blind image splicing detector', "
                  "IEEE WIFS 2015",
        trainable=False,
        params={"center": f"log(d2 / 25) at which the probability is 0.5 (default {CENTER}, calibrated)",
                "temperature": f"logistic temperature (default {TEMPERATURE}, calibrated)",
                "image_quantile": "quantile of the heatmap used as the image score (default 0.99)"},
        input_range="float32 RGB in [0, 1], shape [B, 3, H, W]; read as the BT.601 luma of 8-bit values / 256",
        licence="project licence (our implementation from the paper; the authors' code is GRIP-UNINA "
                "non-commercial, none copied); no weights",
        designed_for="splices whose local residual statistics differ from the host's (another camera, noise "
                     "level, resampling), in images several 128 px windows wide; not generator traces",
        parameters=0,
        published=True,
    )

    def __init__(self, center: float = CENTER, temperature: float = TEMPERATURE, image_quantile: float = 0.99) -> None:
        check_calibration("splicebuster", temperature, image_quantile)
        self.center, self.temperature, self.image_quantile = center, temperature, image_quantile
        self.dims = Settings().dims
        self.options = {"center": center, "temperature": temperature, "image_quantile": image_quantile}
        self.device = torch.device("cpu")

    def blind(self, image: torch.Tensor, index: int = 0) -> BlindMap:
        grey = grey_of(image)
        settings = Settings.for_size(grey.size)
        return blind_map(splicebuster_features(grey, settings), min_weight=settings.min_weight, dims=settings.dims,
                         replicates=settings.replicates)

    def info(self) -> dict[str, Any]:
        return {"options": self.options, "weights": "none (training-free)", "parameters": 0}
