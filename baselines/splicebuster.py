"""Detector ``splicebuster``: Splicebuster (Cozzolino, Poggi & Verdoliva, WIFS 2015), a blind, training-free
splicing localizer from local co-occurrence statistics of a high-pass residual and a Gaussian-uniform
EM. ``baselines/SPLICEBUSTER.md`` documents every choice.
"""

from __future__ import annotations

from typing import Any

import torch

from . import cards
from .blind_detector import BlindDetector, check_calibration, grey_of
from .blind_em import BlindMap, blind_map
from .splicebuster_features import Settings, splicebuster_features

#: The logistic on ``log(d2 / 25)`` (see ``blind_detector``), fitted by ``scripts/calibrate_blind.py``.
CENTER, TEMPERATURE = cards.SPLICEBUSTER_CALIBRATION


class SplicebusterDetector(BlindDetector):
    card = cards.SPLICEBUSTER

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
