"""The autoencoder reconstruction trace as input channels for a trainable detector.

Pixels decoded by a latent autoencoder survive another round trip through it almost unchanged; real
pixels do not (the idea of ``aerecon``). ``AutoencoderTrace`` turns an image into six channels: the
image minus its round trip, and that round trip minus the second one, per colour. The autoencoder
is frozen and outside the module: it runs without gradients, never appears in ``parameters()`` or
the state dict, and is loaded once per device.

``TraceInput`` declares the trace as a detector's image input: the data pipeline computes it once per
stored image on the whole image and caches it under the autoencoder's weights sha256 and the image's
pixels, so that training crops see the crop of the whole image's trace, as evaluation does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from inpaintbench.sdk import IMAGE_INPUT_DTYPE, ImageInput, file_sha256, load_autoencoder

from .cards import TRACE_CLIP

#: The name of the trace among a detector's image inputs.
TRACE_INPUT = "aetrace"
#: The formula's version, part of the cache key: change it whenever the trace's definition changes.
TRACE_VERSION = "x-r1,r1-r2;clip;v1"
#: Files of a local diffusers autoencoder folder whose sha256 decide its round trip.
DIFFUSERS_FILES = ("*.safetensors", "*.bin", "*.json")


class AutoencoderTrace(nn.Module):
    """Images ``[B, 3, H, W]`` in [0, 1] -> ``[B, 6, H, W]``: ``x - r1`` and ``r1 - r2`` (``r1``, ``r2``
    the first and second round trips), in grey levels truncated at ``+-clip`` and divided by ``clip``,
    rounded to the SDK's image-input precision (so that it equals the cached trace)."""

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

    def raw(self, images: torch.Tensor) -> torch.Tensor:
        """The trace in float32, before rounding."""
        ae = self.autoencoder(images.device)
        with torch.no_grad():
            x = images.detach().float()
            first = ae.roundtrip(x)
            second = ae.roundtrip(first)
            trace = torch.cat([x - first, first - second], 1)
        return (trace * 255.0).clamp(-self.clip, self.clip) / self.clip

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.raw(images).to(IMAGE_INPUT_DTYPE).to(images.dtype)

    def fingerprint(self) -> str | None:
        """What decides the trace besides the image: the autoencoder's weights (sha256 of each file), the
        clip and the formula's version; ``None`` for a hub autoencoder, whose files are not known here."""
        ae = self.autoencoder(torch.device("cpu"))
        weights = ae.describe().get("weights")
        if weights:
            files = dict(weights["files"])
        elif Path(ae.source).is_dir():
            folder = Path(ae.source)
            files = {p.relative_to(folder).as_posix(): file_sha256(p)
                     for pattern in DIFFUSERS_FILES for p in sorted(folder.rglob(pattern))}
        else:
            return None
        return json.dumps({"trace": TRACE_VERSION, "clip": self.clip, "autoencoder": type(ae).__name__,
                           "weights_sha256": files}, sort_keys=True)


class TraceInput(ImageInput):
    """The trace as a detector's declared image input: computed once per stored image on the whole image,
    cached under the autoencoder's weights sha256 and the image's content, cropped with the image."""

    name = TRACE_INPUT
    channels = AutoencoderTrace.out_channels

    def __init__(self, trace: AutoencoderTrace) -> None:
        self.trace = trace
        self._key: str | None = None

    def key(self) -> str | None:
        if self._key is None:
            self._key = self.trace.fingerprint()
        return self._key

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        return self.trace.raw(images)
