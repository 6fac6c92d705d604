"""An example third-party detector for inpaintbench, installed as its own distribution.

Inpainted regions are often smoother than camera content. The score of a pixel falls with the local
energy of the image minus its 3x3 box blur: low energy (smooth) -> high probability of inpainting.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from inpaintbench.sdk import Card


class BlurDiffDetector:
    card = Card(description="Example plugin: smoothness map from the local energy of a high-pass residual "
                            "(training-free).", reference="examples/plugin-detector in inpaintbench",
                trainable=False, params={"window": "odd size of the averaging window",
                                         "scale": "energy (in 8-bit units squared) at which the score is 0.5"})

    def __init__(self, window: int = 7, scale: float = 4.0) -> None:
        if window < 1 or window % 2 == 0:
            raise ValueError(f"window must be a positive odd number, not {window}")
        self.window, self.scale = window, scale
        self.options = {"window": window, "scale": scale}

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        grey = images.mean(1, keepdim=True) * 255
        residual = grey - F.avg_pool2d(F.pad(grey, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
        pad = self.window // 2
        energy = F.avg_pool2d(F.pad(residual ** 2, (pad,) * 4, mode="replicate"), self.window, stride=1)
        return self.scale / (self.scale + energy)

    def info(self) -> dict:
        return {"options": self.options, "weights": "none (training-free)", "parameters": 0}
