"""The network of Bammey, Grompone von Gioi & Morel, "An Adaptive Neural Network for Unsupervised Mosaic
Consistency Analysis in Image Forensics" (CVPR 2020), built to load the authors' state dicts.

Layout (module and parameter names are those of the published state dicts):

- ``spatial``: two directional blocks of valid (unpadded) convolutions, each fed the input crop
  beside its own features; 3 RGB channels in, 103 per-pixel features out, 4 pixels lost per side.
- ``pixelwise``: four 1x1 convolutions with dense skips, 103 -> 30 features per pixel.
- grid split: the 30 features of the four pixels of each 2x2 cell are gathered into 120 channels,
  once for each of the four ways to say which pixel of the cell comes first (a batch of four).
- block pooling: mean over ``block/2`` x ``block/2`` cells (a ``block``-pixel square).
- ``blockwise``: 1x1 convolutions (the first three grouped per feature) to four log-probabilities:
  which pixel of the 2x2 cell, relative to the first one, is the Bayer grid's origin.

The auxiliary pixel-wise head of the published files (``auxiliary.*``, the training-time copy of
``spatial`` and ``pixelwise`` plus one 1x1 convolution) is not needed for detection.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: Pixels lost on each side by the valid convolutions of ``spatial``.
MARGIN = 4
#: Features per pixel after ``pixelwise``.
PIXEL_FEATURES = 30


def centre_crop(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The central ``height`` x ``width`` part of ``x`` (equal margins on opposite sides)."""
    top, left = (x.shape[-2] - height) // 2, (x.shape[-1] - width) // 2
    return x[..., top:top + height, left:left + width]


class DirectionalBlock(nn.Module):
    """Horizontal (1x3), vertical (3x1) and full (3x3) convolutions in two layers, beside the same
    three with dilation 2 in one layer; every branch is cropped to the input size minus 4 and stacked."""

    def __init__(self, cin: int, n_dir: int = 10, n_full: int = 5) -> None:
        super().__init__()
        mid = 2 * n_dir + n_full
        self.h1, self.v1, self.f1 = (nn.Conv2d(cin, n_dir, (1, 3)), nn.Conv2d(cin, n_dir, (3, 1)),
                                     nn.Conv2d(cin, n_full, 3))
        self.h2, self.v2, self.f2 = (nn.Conv2d(mid, n_dir, (1, 3)), nn.Conv2d(mid, n_dir, (3, 1)),
                                     nn.Conv2d(mid, n_full, 3))
        self.hd, self.vd, self.fd = (nn.Conv2d(cin, n_dir, (1, 3), dilation=2),
                                     nn.Conv2d(cin, n_dir, (3, 1), dilation=2), nn.Conv2d(cin, n_full, 3, dilation=2))
        self.channels_out = 2 * mid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        first = F.softplus(torch.cat([centre_crop(conv(x), h - 2, w - 2) for conv in (self.h1, self.v1, self.f1)], 1))
        branches = [conv(x) for conv in (self.hd, self.vd, self.fd)] + \
                   [conv(first) for conv in (self.h2, self.v2, self.f2)]
        return torch.cat([centre_crop(b, h - 4, w - 4) for b in branches], 1)


class SpatialFeatures(nn.Module):
    """Two directional blocks; each block's output is stacked with the (cropped) input it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = DirectionalBlock(3)
        self.conv2 = DirectionalBlock(3 + self.conv1.channels_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        x = torch.cat([centre_crop(x, h - 4, w - 4), self.conv1(x)], 1)
        return torch.cat([centre_crop(x, h - 8, w - 8), self.conv2(x)], 1)


class PixelFeatures(nn.Module):
    """1x1 convolutions with dense skips (leaky ReLU between them): 103 -> 30 features per pixel."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(103, 30, 1)
        self.conv2 = nn.Conv2d(30, 15, 1)
        self.conv3 = nn.Conv2d(45, 15, 1)
        self.conv4 = nn.Conv2d(60, PIXEL_FEATURES, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = F.leaky_relu(self.conv1(x))
        b = F.leaky_relu(self.conv2(a))
        c = F.leaky_relu(self.conv3(torch.cat([a, b], 1)))
        return self.conv4(torch.cat([a, b, c], 1))


def split_grid(x: torch.Tensor) -> torch.Tensor:
    """``[B, C, 2Y, 2X]`` -> ``[B, 4, 4C, Y, X]``: for each choice ``r`` of the first pixel of the 2x2
    cell, channel ``4k + i`` holds feature ``k`` of the pixel at cell position ``r XOR i``
    (positions 0..3 = (0,0), (0,1), (1,0), (1,1))."""
    b, c, h, w = x.shape
    pos = [x[:, :, q // 2::2, q % 2::2] for q in range(4)]
    orders = [torch.stack([pos[r ^ i] for i in range(4)], 2).reshape(b, 4 * c, h // 2, w // 2) for r in range(4)]
    return torch.stack(orders, 1)


class AdaptiveCFANet(nn.Module):
    """Per ``block``-pixel square, the log-probabilities ``[B, 4, 4, H', W']`` (first-pixel choice ``r``,
    class ``c``) that the Bayer grid's origin is cell position ``r XOR c``; the input (RGB in [0, 1],
    even height and width) loses ``MARGIN`` pixels per side before the blocks are laid out."""

    def __init__(self) -> None:
        super().__init__()
        self.spatial = SpatialFeatures()
        self.pixelwise = PixelFeatures()
        f = PIXEL_FEATURES
        self.blockwise = nn.Sequential(
            nn.Conv2d(4 * f, 6 * f, 1, groups=f), nn.Softplus(), nn.Conv2d(6 * f, 3 * f, 1, groups=f), nn.Softplus(),
            nn.Conv2d(3 * f, 3 * f, 1, groups=f), nn.Softplus(), nn.Conv2d(3 * f, 45, 1), nn.Softplus(),
            nn.Conv2d(45, 45, 1), nn.Softplus(), nn.Conv2d(45, 4, 1), nn.LogSoftmax(dim=1))

    def forward(self, x: torch.Tensor, block: int = 32) -> torch.Tensor:
        grids = split_grid(self.pixelwise(self.spatial(x)))
        b, r = grids.shape[:2]
        pooled = F.avg_pool2d(grids.flatten(0, 1), block // 2)
        out = self.blockwise(pooled)
        return out.view(b, r, *out.shape[1:])


def grid_probabilities(log_probs: torch.Tensor) -> torch.Tensor:
    """``[B, 4, 4, H', W']`` log-probabilities -> ``[B, 4, H', W']``: the probability of each grid origin
    ``g``, the mean over the four first-pixel choices ``r`` of the probability of class ``g XOR r``."""
    p = log_probs.exp()
    return torch.stack([sum(p[:, r, g ^ r] for r in range(4)) / 4 for g in range(4)], 1)
