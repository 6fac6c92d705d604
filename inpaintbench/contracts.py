"""The small, stable contracts that detectors, datasets and the harness share.

Third parties code against these: a detector is anything with ``predict(images) -> heatmap``;
a sample is one stored image with its soft mask; cards describe what a plugin is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn

#: The kinds of image a dataset may hold for one id.
MANIPULATED_KINDS = ("realfake", "fakefake", "inpainted")
AUTHENTIC_KINDS = ("original",)
KINDS = MANIPULATED_KINDS + AUTHENTIC_KINDS
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Sample:
    """One stored image as read from disk: uint8 RGB ``HxWx3`` and its soft mask ``HxW`` (0..255).

    Authentic images (kind ``original``) carry an all-zero mask.
    """

    id: str
    split: str
    kind: str
    image: np.ndarray
    mask: np.ndarray
    path: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def manipulated(self) -> bool:
        return self.kind not in AUTHENTIC_KINDS


@dataclass(frozen=True)
class Card:
    """What a plugin says about itself; ``list -v`` prints it and the leaderboard links to it."""

    description: str
    reference: str = ""
    trainable: bool = False
    params: dict[str, str] = field(default_factory=dict)
    input_range: str = "float32 RGB in [0, 1], shape [B, 3, H, W]"
    #: Training settings the detector's authors recommend (e.g. ``{"lr": 1e-3}``); used only where
    #: the user gives none, and the values used are recorded with the result.
    training: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        return self.description.strip().splitlines()[0] if self.description.strip() else ""


@runtime_checkable
class Detector(Protocol):
    """The detector contract.

    ``predict`` takes float32 ``[B, 3, H, W]`` RGB in [0, 1] on the detector's device and returns
    float32 ``[B, 1, H, W]``: the probability that each pixel was inpainted, at the same H and W.
    """

    def predict(self, images: torch.Tensor) -> torch.Tensor: ...


@runtime_checkable
class Trainable(Protocol):
    """A detector the common trainer can train: ``module`` maps images to per-pixel logits."""

    module: nn.Module

    def predict(self, images: torch.Tensor) -> torch.Tensor: ...


class ModuleDetector:
    """Base for detectors built on one ``nn.Module`` whose forward gives ``[B, 1, H, W]`` logits.

    Subclasses set ``card`` and call ``super().__init__(module, options=..., weights=...)``.
    """

    card: ClassVar[Card] = Card(description="")

    def __init__(self, module: nn.Module, *, options: dict[str, Any] | None = None,
                 weights: str = "none") -> None:
        self.module = module
        self.options = dict(options or {})
        self.weights = weights
        self.device = torch.device("cpu")

    def to(self, device: str | torch.device) -> "ModuleDetector":
        self.device = torch.device(device)
        self.module.to(self.device)
        return self

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        return self.module(images)

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        was_training = self.module.training
        self.module.eval()
        try:
            return torch.sigmoid(self.logits(images).float())
        finally:
            self.module.train(was_training)

    def info(self) -> dict[str, Any]:
        """What a result records about this detector: options, weights used, parameter count."""
        return {"options": self.options, "weights": self.weights,
                "parameters": count_parameters(self.module)}

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.module.load_state_dict(state)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
