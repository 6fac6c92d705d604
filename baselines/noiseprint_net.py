"""The Noiseprint extractor (Cozzolino & Verdoliva, IEEE TIFS 2020): a 17-layer DnCNN-style network
from a grey-level image to its camera-model residual, and the way the authors feed it.

The layout follows the published PyTorch state dicts (``conv_layers.<i>.<j>``): layer 0 is a 3x3
convolution with bias and a ReLU; layers 1-15 are a 3x3 convolution without bias, a batch
normalisation with frozen statistics and no shift, a separate bias and a ReLU; layer 16 is a 3x3
convolution with bias to one channel, no activation. All convolutions pad by one pixel with zeros
(TensorFlow's ``SAME``).
"""

from __future__ import annotations

import torch
from torch import nn

LEVELS = 17
WIDTH = 64
#: The batch normalisation's epsilon in the authors' network.
BN_EPSILON = 1e-5
#: Luma weights of the authors' grey conversion (ITU-R BT.601), applied to 8-bit values.
LUMA = (0.299, 0.587, 0.114)
#: The authors scale 8-bit values by 1/256, not 1/255.
PIXEL_SCALE = 256.0
#: Images above this many pixels go through the network in slices (the authors' ``largeLimit``) ...
SLICE_ABOVE_PIXELS = 1_050_000
#: ... of this side (``slide``) ...
SLICE = 1024
#: ... each read with this margin on its inner sides (``overlap``), then cut off: twice the network's
#: receptive radius (17 px), so a slice's kept pixels equal those of a whole-image pass.
SLICE_MARGIN = 34


class FrozenNorm(nn.Module):
    """Batch normalisation at inference: ``gamma * (x - mean) / sqrt(var + eps)``, no shift."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.register_buffer("gamma", torch.ones(channels))
        self.register_buffer("moving_mean", torch.zeros(channels))
        self.register_buffer("moving_variance", torch.ones(channels))

    def scale_shift(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The per-channel ``(scale, shift)`` this normalisation applies: ``x * scale + shift``."""
        scale = self.gamma / torch.sqrt(self.moving_variance + BN_EPSILON)
        return scale, -self.moving_mean * scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale, shift = self.scale_shift()
        return x * scale[None, :, None, None] + shift[None, :, None, None]


class AddBias(nn.Module):
    """A learned per-channel bias added after the normalisation."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bias[None, :, None, None]


def level(index: int) -> nn.Sequential:
    """Layer ``index`` of the network, its sub-module numbering as in the state dicts."""
    cin = 1 if index == 0 else WIDTH
    if index in (0, LEVELS - 1):
        cout = WIDTH if index == 0 else 1
        conv = nn.Conv2d(cin, cout, 3, padding=1, bias=True)
        return nn.Sequential(conv, nn.ReLU()) if index == 0 else nn.Sequential(conv)
    return nn.Sequential(nn.Conv2d(cin, WIDTH, 3, padding=1, bias=False), FrozenNorm(WIDTH), AddBias(WIDTH),
                         nn.ReLU())


class NoiseprintNet(nn.Module):
    """Grey image ``[B, 1, H, W]`` (8-bit luma / 256) to its noiseprint ``[B, 1, H, W]``."""

    def __init__(self) -> None:
        super().__init__()
        self.conv_layers = nn.ModuleList(level(i) for i in range(LEVELS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.conv_layers:
            x = layer(x)
        return x


def luma(images: torch.Tensor) -> torch.Tensor:
    """``[B, 3, H, W]`` RGB in [0, 1] (8-bit values / 255) to the authors' grey input ``[B, 1, H, W]``:
    BT.601 luma of the 8-bit values, divided by 256."""
    weights = images.new_tensor(LUMA)[None, :, None, None]
    return (images * weights).sum(1, keepdim=True) * (255.0 / PIXEL_SCALE)


def slice_starts(length: int) -> list[int]:
    """Where the authors' slices start along one side: every ``SLICE`` pixels."""
    return list(range(0, length, SLICE))


@torch.no_grad()
def extract(net: nn.Module, grey: torch.Tensor) -> torch.Tensor:
    """The noiseprint of one grey image ``[1, 1, H, W]``: in one pass up to ``SLICE_ABOVE_PIXELS``,
    else in ``SLICE`` x ``SLICE`` slices, each read with ``SLICE_MARGIN`` more pixels on every side
    that has a neighbour and cut back to its own area (the authors' scheme)."""
    h, w = grey.shape[-2:]
    if h * w <= SLICE_ABOVE_PIXELS:
        return net(grey)
    out = grey.new_empty(grey.shape)
    for y in slice_starts(h):
        for x in slice_starts(w):
            y0, x0 = max(y - SLICE_MARGIN, 0), max(x - SLICE_MARGIN, 0)
            part = net(grey[..., y0:min(y + SLICE + SLICE_MARGIN, h), x0:min(x + SLICE + SLICE_MARGIN, w)])
            y1, x1 = min(y + SLICE, h), min(x + SLICE, w)
            out[..., y:y1, x:x1] = part[..., y - y0:y1 - y0, x - x0:x1 - x0]
    return out


def load_net(state: dict[str, torch.Tensor]) -> NoiseprintNet:
    """A ``NoiseprintNet`` holding ``state`` (every key must match), in eval mode, its weights stored
    channels-last (the convolutions then run about a fifth faster on the CPU)."""
    net = NoiseprintNet()
    net.load_state_dict(state, strict=True)
    return net.eval().to(memory_format=torch.channels_last)
