"""A detector's declared image inputs (``ImageInput``, e.g. NIX-Net's autoencoder trace) in the data
pipeline: computed on the whole image the network sees (after the protocol's resize, before any crop,
tile or batch padding), once per stored image, kept in the feature cache under the input's key and the
image's content, and handed on beside the image so that crops, flips, padding and tiles cut both alike.

Training and evaluation therefore see the same map: a training crop of the trace is the crop of the
whole image's trace, exactly what evaluating the whole image at native resolution computes.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from inpaintbench.io._feature_cache import FeatureCache
from inpaintbench.io._paths import portable_path
from inpaintbench.sdk.contracts import IMAGE_INPUT_DTYPE, ImageInput

#: ``IMAGE_INPUT_DTYPE`` as numpy stores it.
STORED_NUMPY = np.float16


def content_key(name: str, input_key: str, image: torch.Tensor) -> str:
    """The cache key of one input of one image: sha256 of the input's name and key, the image's shape
    and its pixels (the float tensor the network sees, so a resize or any changed pixel is another key)."""
    digest = hashlib.sha256(f"{name}\0{input_key}\0{tuple(image.shape)}\0".encode())
    digest.update(image.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


class InputMaker:
    """Makes a detector's image inputs for one image ``[3, H, W]``: ``{name: [C, H, W] float32}``.

    ``device``: where ``compute`` runs (the detector's device in the main process, the CPU in loader
    workers). ``cache``: the feature cache, or ``None`` to compute every time. ``cached(image)`` says
    whether this image may be stored (a stored image: not an attacked or randomly transformed one).
    """

    def __init__(self, inputs: Sequence[ImageInput], device: str | torch.device = "cpu",
                 cache: FeatureCache | None = None) -> None:
        self.inputs = tuple(inputs)
        names = [inp.name for inp in self.inputs]
        if len(set(names)) != len(names):
            raise ValueError(f"image inputs need distinct names, got {names}")
        self.device = torch.device(device)
        #: The device type in the cache keys: the one that fills the cache (``on`` keeps it, so loader
        #: workers computing on the CPU read what the main process computed on its device).
        self.key_device = self.device.type
        self.cache = cache
        self.keys = {inp.name: inp.key() for inp in self.inputs}  # e.g. weights sha256: computed once
        self.hits = self.misses = 0

    def on(self, device: str | torch.device) -> InputMaker:
        """The same inputs and cache, computed on ``device``."""
        other = copy.copy(self)
        other.device = torch.device(device)
        return other

    def __bool__(self) -> bool:
        return bool(self.inputs)

    def __call__(self, image: torch.Tensor, store: bool = True) -> dict[str, torch.Tensor]:
        return {inp.name: self.one(inp, image, store) for inp in self.inputs}

    def one(self, inp: ImageInput, image: torch.Tensor, store: bool) -> torch.Tensor:
        key = self.keys[inp.name]
        cache = self.cache if store and key is not None else None
        shape = (inp.channels, *image.shape[-2:])
        # a map computed off the CPU has its device type in the key (an autoencoder runs in float16 on a GPU)
        device_key = key if self.key_device == "cpu" else f"{key}\0{self.key_device}"
        cache_key = content_key(inp.name, device_key, image) if cache is not None else ""
        found = cache.get(cache_key, shape, STORED_NUMPY) if cache is not None else None
        if found is not None:
            self.hits += 1
            return torch.from_numpy(found.astype(np.float32))
        self.misses += 1
        with torch.no_grad():
            out = inp.stored(image[None].to(self.device))[0].cpu()
        if tuple(out.shape) != shape:
            raise ValueError(f"image input {inp.name!r} returned {tuple(out.shape)} for a {tuple(image.shape)} "
                             f"image; expected {shape}")
        if cache is not None:
            cache.put(cache_key, out.to(IMAGE_INPUT_DTYPE).numpy())
        return out

    def record(self) -> dict[str, Any]:
        """What a run records about its image inputs: names, channels, keys and where they are cached."""
        return {"inputs": {inp.name: {"channels": inp.channels, "key": self.keys[inp.name]} for inp in self.inputs},
                "computed_on": "the whole image at the network's resolution, before crops, tiles and padding",
                "cache": portable_path(self.cache.folder) if self.cache is not None else "none",
                "precision": str(IMAGE_INPUT_DTYPE).replace("torch.", "")}
