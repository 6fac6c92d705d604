"""``all-positive``: the floor of every localization table, a map that marks every pixel as inpainted.

Not a method. At threshold 0.5 its IoU is each image's mask fraction and its F1 is 2p / (1 + p); its
pixel and image AUC are 0.5 (every score tied) and its false-positive rate is 1. A detector whose IoU or
F1 is not above this row has learnt nothing that marking everything would not give."""

from __future__ import annotations

import torch

from inpaintbench.sdk import BaseDetector

from . import cards


class AllPositiveDetector(BaseDetector):
    card = cards.ALL_POSITIVE

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        return torch.ones(images.shape[0], 1, *images.shape[-2:], device=images.device)

    def info(self) -> dict:
        return {"options": {}, "weights": "none (a reference floor)", "parameters": 0}
