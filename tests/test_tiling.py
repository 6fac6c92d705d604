"""Tiled prediction: a fully-convolutional detector's tiled map equals its untiled map."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from inpaintbench.evaluation._tiling import kept_ranges, predict_tiled, predict_within, tile_shape, tile_starts


def conv_net() -> nn.Module:
    """Two 3x3 convolutions: each output pixel sees 2 pixels around it, well inside half the overlap."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 3, padding=1), nn.Sigmoid()).double()


def test_tiled_map_equals_the_untiled_map_of_a_fully_convolutional_detector():
    net = conv_net()
    images = torch.rand(1, 3, 61, 83, dtype=torch.float64)
    shapes = []

    def predict(x):
        shapes.append(tuple(x.shape[2:]))
        return net(x)

    with torch.no_grad():
        whole = net(images)
        tiled = predict_within(predict, images, max_pixels=24 * 24, overlap=8)
    assert len(shapes) > 6 and all(h * w <= 24 * 24 for h, w in shapes)  # many tiles, each within the budget
    # each tile keeps pixels >= 4 px from its inner edges; the receptive field reaches 2 px: exact
    assert torch.allclose(tiled, whole, rtol=0, atol=1e-12)
    # a tile's own border pixels are wrong (zero padding where the image goes on): the centre-keeping matters
    with torch.no_grad():
        corner = net(images[:, :, :24, :24])
    assert not torch.allclose(corner[..., 23, :], whole[..., 23, :24])


def test_tiles_cover_the_image_and_meet_in_their_overlaps():
    for length, tile, overlap in [(100, 30, 8), (30, 30, 8), (31, 30, 8), (1000, 257, 64)]:
        starts = tile_starts(length, tile, overlap)
        kept = kept_ranges(starts, tile, length)
        assert kept[0][0] == 0 and kept[-1][1] == length
        assert all(a[1] == b[0] for a, b in zip(kept, kept[1:]))
        for s, (k0, k1) in zip(starts, kept):
            assert s <= k0 < k1 <= s + tile
            assert k0 == 0 or k0 - s >= overlap // 2
            assert k1 == length or s + tile - k1 >= overlap // 2


def test_a_budget_below_the_overlap_is_a_clear_error():
    with pytest.raises(ValueError, match="overlap"):
        tile_shape(100, 100, 8 * 8, 16)
    with pytest.raises(ValueError, match="max_pixels"):
        predict_tiled(lambda x: x[:, :1], torch.rand(1, 3, 50, 50), 10 * 10, 16)
