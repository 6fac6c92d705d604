"""Detector calls within a pixel budget: whole images in chunks, and images above it on overlapping tiles.

A detector never sees more than ``max_pixels`` pixels in one call. A batch above the budget is
predicted in chunks of whole images; one image above it is predicted on overlapping tiles at full
resolution (never downsized), and each tile keeps only its centre: the boundary between two tiles
lies in the middle of their overlap, so every kept pixel is at least ``overlap // 2`` pixels away
from any tile edge that is not an image edge.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

#: The default pixel budget of one detector call: 2048 x 2048, a few GiB of activations for
#: the largest bundled detector, within a 2-core 24 GiB machine and a GPU alike.
DEFAULT_MAX_PIXELS = 2048 * 2048
#: The default overlap of neighbouring tiles, in pixels.
DEFAULT_TILE_OVERLAP = 128

Predict = Callable[[torch.Tensor], torch.Tensor]


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of ``tile`` pixels covering ``length``, neighbours overlapping by >= ``overlap``."""
    if length <= tile:
        return [0]
    return list(range(0, length - tile, tile - overlap)) + [length - tile]


def kept_ranges(starts: list[int], tile: int, length: int) -> list[tuple[int, int]]:
    """The half-open range each tile keeps: neighbours meet in the middle of their overlap."""
    bounds = [0] + [(b + a + tile) // 2 for a, b in zip(starts, starts[1:])] + [length]
    return list(zip(bounds[:-1], bounds[1:]))


def tile_shape(height: int, width: int, max_pixels: int, overlap: int) -> tuple[int, int]:
    """The tile height and width for an image of ``height x width`` within ``max_pixels``."""
    th = min(height, math.isqrt(max_pixels))
    tw = min(width, max_pixels // th)
    th = min(height, max_pixels // tw)
    for size, full in ((th, height), (tw, width)):
        if size < full and size <= overlap:
            raise ValueError(f"max_pixels {max_pixels} gives tiles of {th}x{tw} px for a {height}x{width} image, "
                             f"not larger than the tile overlap {overlap}; raise max_pixels or lower the overlap")
    return th, tw


def predict_tiled(predict: Predict, images: torch.Tensor, max_pixels: int, overlap: int) -> torch.Tensor:
    """Heatmaps of ``images [B,3,H,W]`` from overlapping tiles of at most ``max_pixels // B`` pixels each,
    written into one map (float32 for uint8 images, which ``predict`` makes float tile by tile)."""
    b, _, h, w = images.shape
    th, tw = tile_shape(h, w, max(1, max_pixels // b), overlap)
    heat = images.new_empty((b, 1, h, w), dtype=images.dtype if images.is_floating_point() else torch.float32)
    ys, xs = tile_starts(h, th, overlap), tile_starts(w, tw, overlap)
    for y, (y0, y1) in zip(ys, kept_ranges(ys, th, h)):
        for x, (x0, x1) in zip(xs, kept_ranges(xs, tw, w)):
            part = predict(images[:, :, y:y + th, x:x + tw])
            heat[:, :, y0:y1, x0:x1] = part[:, :, y0 - y:y1 - y, x0 - x:x1 - x]
    return heat


def predict_within(predict: Predict, images: torch.Tensor, max_pixels: int = DEFAULT_MAX_PIXELS,
                   overlap: int = DEFAULT_TILE_OVERLAP) -> torch.Tensor:
    """``predict(images)``, but no call sees more than ``max_pixels`` pixels: chunks of images, or tiles."""
    b, _, h, w = images.shape
    if b * h * w <= max_pixels:
        return predict(images)
    if h * w > max_pixels:
        return torch.cat([predict_tiled(predict, images[i:i + 1], max_pixels, overlap) for i in range(b)])
    per_call = max_pixels // (h * w)
    return torch.cat([predict(images[i:i + per_call]) for i in range(0, b, per_call)])
