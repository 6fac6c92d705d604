"""``reencode:weights=DIR``: the whole image goes through a latent autoencoder (encode, decode), so
every pixel becomes "generated" while the ground truth stays the originally inpainted region."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .base import AttackOptionError, ImageAttack, check_choice, to_uint8

#: Images are reflect-padded to a multiple of this (the latent down-sampling) and cropped back.
MULTIPLE = 8


@functools.lru_cache(maxsize=4)
def _autoencoder(weights: str, device: str):
    from inpaintbench.data.autoencoders import load_autoencoder

    model = load_autoencoder(weights)
    return model.to(device) if hasattr(model, "to") else model


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
        import torch.nn.functional as F

        model = _autoencoder(self.weights, self.device)
        h, w = image.shape[:2]
        x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float().div(255)
        pad_h, pad_w = -h % MULTIPLE, -w % MULTIPLE
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="reflect" if min(h, w) > max(pad_h, pad_w) else "replicate")
        with torch.no_grad():
            y = model.roundtrip(x.to(self.device)).float().cpu()
        y = y[0, :, :h, :w].clamp(0, 1).permute(1, 2, 0).numpy() * 255
        return to_uint8(y), mask

    def what(self) -> str:
        return f"whole image encoded and decoded by the latent autoencoder at {self.weights}"
