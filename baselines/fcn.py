"""Detector ``fcn``: torchvision's FCN with a ResNet backbone and a one-channel inpainting head."""

from __future__ import annotations

import torch
from torch import nn

from inpaintbench.sdk import WeightsUnavailable, is_cached, load_url_state_dict
from inpaintbench.sdk.contracts import ModuleDetector

from . import cards

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
BACKBONES = ("resnet50", "resnet101")
WEIGHTS = ("auto", "none", "imagenet", "coco")


class Normalized(nn.Module):
    """Applies ImageNet normalisation, then the network; returns its ``out`` logits ``[B, 1, H, W]``."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        out = self.net((images - self.mean) / self.std)
        return out["out"] if isinstance(out, dict) else out


def _weight_enums(backbone: str):
    from torchvision.models import ResNet50_Weights, ResNet101_Weights
    from torchvision.models.segmentation import FCN_ResNet50_Weights, FCN_ResNet101_Weights

    if backbone == "resnet50":
        return ResNet50_Weights.IMAGENET1K_V1, FCN_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1
    return ResNet101_Weights.IMAGENET1K_V1, FCN_ResNet101_Weights.COCO_WITH_VOC_LABELS_V1


def resolve_weights(backbone: str, weights: str) -> str:
    """``auto`` becomes the best cached choice (coco, then imagenet), else ``none``: never a download."""
    if weights != "auto":
        return weights
    imagenet, coco = _weight_enums(backbone)
    if is_cached(coco.url):
        return "coco"
    if is_cached(imagenet.url):
        return "imagenet"
    return "none"


def build_fcn(backbone: str = "resnet50", weights: str = "auto") -> tuple[nn.Module, str]:
    """An FCN whose classifier ends in one channel, and the name of the weights actually loaded."""
    from torchvision.models.segmentation import fcn_resnet50, fcn_resnet101

    if backbone not in BACKBONES:
        raise ValueError(f"fcn backbone {backbone!r}: choose one of {', '.join(BACKBONES)}")
    if weights not in WEIGHTS:
        raise ValueError(f"fcn weights {weights!r}: choose one of {', '.join(WEIGHTS)}")
    used = resolve_weights(backbone, weights)
    builder = fcn_resnet50 if backbone == "resnet50" else fcn_resnet101
    net = builder(weights=None, weights_backbone=None, num_classes=1, aux_loss=False)
    imagenet, coco = _weight_enums(backbone)
    if used == "imagenet":
        state = load_url_state_dict(imagenet.url)
        missing, unexpected = net.backbone.load_state_dict(
            {k: v for k, v in state.items() if not k.startswith("fc.")}, strict=False)
        if missing or unexpected:
            raise WeightsUnavailable(f"{imagenet.url}: does not fit the {backbone} backbone "
                                     f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
        used = f"imagenet ({imagenet})"
    elif used == "coco":
        state = load_url_state_dict(coco.url)
        keep = {k: v for k, v in state.items() if not k.startswith(("aux_classifier.", "classifier.4."))}
        missing, _ = net.load_state_dict(keep, strict=False)
        if [k for k in missing if not k.startswith("classifier.4.")]:
            raise WeightsUnavailable(f"{coco.url}: does not fit fcn_{backbone} (missing {missing[:3]})")
        used = f"coco ({coco}), new one-channel head"
    return Normalized(net), used


class FCNDetector(ModuleDetector):
    card = cards.FCN

    def __init__(self, backbone: str = "resnet50", weights: str = "auto") -> None:
        module, used = build_fcn(backbone, weights)
        super().__init__(module, options={"backbone": backbone, "weights": weights}, weights=used)
