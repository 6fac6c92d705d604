"""The autoencoder reconstruction trace as input channels for a trainable detector.

Pixels decoded by a latent autoencoder survive another round trip through it almost unchanged; real
pixels do not (the idea of ``aerecon``). ``AutoencoderTrace`` turns an image into six channels: the
image minus its round trip, and that round trip minus the second one, per colour. The autoencoder
is frozen and outside the module: it runs without gradients, never appears in ``parameters()`` or
the state dict, and is loaded once per device.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from inpaintbench.sdk import load_autoencoder

from .cards import TRACE_CLIP


class AutoencoderTrace(nn.Module):
    """Images ``[B, 3, H, W]`` in [0, 1] -> ``[B, 6, H, W]``: ``x - r1`` and ``r1 - r2`` (``r1``, ``r2``
    the first and second round trips), in grey levels truncated at ``+-clip`` and divided by ``clip``."""

    out_channels = 6

    def __init__(self, autoencoder: str = "taef2", clip: float = TRACE_CLIP) -> None:
        super().__init__()
        if not clip > 0:
            raise ValueError(f"autoencoder trace clip must be > 0 grey levels, not {clip}")
        self.autoencoder_name, self.clip = autoencoder, float(clip)
        self.autoencoder(torch.device("cpu"))  # fail early, at construction, on bad weights

    def autoencoder(self, device: torch.device) -> Any:
        """The frozen autoencoder on ``device``: ``load_autoencoder`` caches it, and it is no submodule."""
        return load_autoencoder(self.autoencoder_name, str(device))

    @property
    def source(self) -> str:
        return self.autoencoder(torch.device("cpu")).source

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        ae = self.autoencoder(images.device)
        with torch.no_grad():
            x = images.detach().float()
            first = ae.roundtrip(x)
            second = ae.roundtrip(first)
            trace = torch.cat([x - first, first - second], 1)
        return ((trace * 255.0).clamp(-self.clip, self.clip) / self.clip).to(images.dtype)
