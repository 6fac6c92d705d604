"""``reencode:weights=DIR``: the whole image goes through a latent autoencoder (encode, decode), so
every pixel becomes "generated" while the ground truth stays the originally inpainted region."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .base import AttackOptionError, ImageAttack, check_choice, to_uint8

@functools.lru_cache(maxsize=4)
def _autoencoder(weights: str, device: str):
    from inpaintbench.data.autoencoders import load_autoencoder

    return load_autoencoder(weights, device)


@dataclass(frozen=True)
class Reencode(ImageAttack):
    """A latent autoencoder round trip of the whole image (``inpaintbench.data.autoencoders``)."""

    weights: str = ""
    device: str = "cpu"

    name = "reencode"
    strength = ""

    def __post_init__(self) -> None:
        if not self.weights:
            raise AttackOptionError("reencode: option weights=DIR is required (a folder of autoencoder "
                                    "weights, e.g. reencode:weights=path/to/taef2)")
        check_choice(self.name, "device", self.device.split(":")[0], ("cpu", "cuda", "mps"))
        super().__post_init__()

    def apply(self, image, mask, rng):
        import torch

        x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float().div(255)
        y = _autoencoder(self.weights, self.device).roundtrip(x)  # pads to its latent grid and crops back
        return to_uint8(y[0].permute(1, 2, 0).cpu().numpy() * 255), mask

    def what(self) -> str:
        return f"whole image encoded and decoded by the latent autoencoder at {self.weights}"
