"""Detector ``smp``: any segmentation-models-pytorch architecture and encoder, one-channel head.

Pretrained encoder weights are offline-safe: ``auto`` loads them only when already in the local
Hugging Face cache; an explicit request that cannot be met says where the file belongs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from inpaintbench.sdk import WeightsUnavailable, read_weights, unknown_name_error
from inpaintbench.sdk.contracts import Card, ModuleDetector

from . import cards
from .fcn import Normalized

WEIGHTS_FILE = "model.safetensors"


class PadToMultiple(nn.Module):
    """Pads the input (replicate, bottom/right) to a multiple of ``multiple``, runs ``net``, crops back."""

    def __init__(self, net: nn.Module, multiple: int) -> None:
        super().__init__()
        self.net = net
        self.multiple = multiple

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        h, w = images.shape[-2:]
        ph, pw = -h % self.multiple, -w % self.multiple
        if ph or pw:
            images = F.pad(images, (0, pw, 0, ph), mode="replicate")
        return self.net(images)[..., :h, :w]


def _smp():
    import segmentation_models_pytorch as smp

    return smp


def architectures() -> list[str]:
    return sorted(_smp().MODEL_ARCHITECTURES_MAPPING)


def pretrained_settings(encoder: str) -> dict[str, dict[str, str]]:
    """smp's table of named weights for ``encoder`` (``{"imagenet": {"repo_id", "revision"}, ...}``)."""
    table = _smp().encoders.encoders
    return dict(table[encoder].get("pretrained_settings", {})) if encoder in table else {}


def weights_cache_path(repo_id: str, revision: str) -> Path:
    """Where huggingface_hub keeps smp's weights file for one repository and pinned revision."""
    from huggingface_hub import constants

    folder = "models--" + repo_id.replace("/", "--")
    return Path(constants.HF_HUB_CACHE) / folder / "snapshots" / revision / WEIGHTS_FILE


def cached_weights(repo_id: str, revision: str) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, WEIGHTS_FILE, revision=revision)
    return Path(found) if isinstance(found, str) else None


def _download(repo_id: str, revision: str) -> Path:
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(repo_id, filename=WEIGHTS_FILE, revision=revision))
    except Exception as exc:  # offline, hub down, no access: one clear message
        raise WeightsUnavailable(
            f"could not download encoder weights {repo_id}@{revision[:8]} ({type(exc).__name__}: {exc}). "
            f"This machine may be offline: place the file at {weights_cache_path(repo_id, revision)}, "
            f"pass encoder_weights=PATH to a local .safetensors/.pth file, or choose encoder_weights=none") from exc


def resolve_weights(encoder: str, encoder_weights: str) -> tuple[str, Path | None]:
    """The weights to use (name, file); ``auto`` means the first cached named set, else ``none``."""
    if encoder_weights == "none":
        return "none", None
    if encoder.startswith("tu-"):
        if encoder_weights == "auto":
            return "none", None
        raise ValueError(f"smp encoder {encoder!r}: pretrained timm ('tu-') encoders are not supported "
                         "offline-safely; use encoder_weights=none or an smp encoder such as resnet34")
    settings = pretrained_settings(encoder)
    if encoder_weights == "auto":
        for name in sorted(settings, key=lambda n: n != "imagenet"):  # imagenet first
            path = cached_weights(settings[name]["repo_id"], settings[name]["revision"])
            if path is not None:
                return name, path
        return "none", None
    if encoder_weights in settings:
        repo, rev = settings[encoder_weights]["repo_id"], settings[encoder_weights]["revision"]
        return encoder_weights, cached_weights(repo, rev) or _download(repo, rev)
    path = Path(encoder_weights).expanduser()
    if path.suffix in (".safetensors", ".pth", ".pt", ".bin"):
        if not path.is_file():
            raise WeightsUnavailable(f"encoder weights file {path} does not exist")
        return f"file {path.name}", path
    choices = ["auto", "none", *settings, "PATH.safetensors"]
    raise ValueError(f"smp encoder {encoder!r} has no weights {encoder_weights!r}; choose one of {', '.join(choices)}")


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    state = read_weights(path, "smp encoder_weights")
    return state.get("state_dict", state) if isinstance(state, dict) else state


def build_smp(arch: str = "unet", encoder: str = "resnet34", encoder_weights: str = "auto") -> tuple[nn.Module, str]:
    """The smp model (one class, ImageNet-normalised input, any size) and the weights actually loaded."""
    smp = _smp()
    if arch.lower() not in smp.MODEL_ARCHITECTURES_MAPPING:
        raise unknown_name_error("architectures", arch, architectures())
    if not encoder.startswith("tu-") and encoder not in smp.encoders.encoders:
        raise unknown_name_error("encoders", encoder, sorted(smp.encoders.encoders))
    used, path = resolve_weights(encoder, encoder_weights)
    try:
        net = smp.create_model(arch, encoder_name=encoder, encoder_weights=None, in_channels=3, classes=1)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"smp cannot build arch={arch} with encoder={encoder}: {exc}") from exc
    if path is not None:
        try:
            net.encoder.load_state_dict(read_state_dict(path))
        except RuntimeError as exc:
            raise WeightsUnavailable(f"{path}: does not fit encoder {encoder} ({str(exc)[:300]})") from exc
        used = f"{used} ({path.name})" if not used.startswith("file") else used
    divisible = getattr(net, "requires_divisible_input_shape", True)
    stride = int(getattr(net.encoder, "output_stride", 32)) if divisible else 1
    return Normalized(PadToMultiple(net, stride)), used


class SMPDetector(ModuleDetector):
    card = cards.SMP

    def __init__(self, arch: str = "unet", encoder: str = "resnet34", encoder_weights: str = "auto") -> None:
        module, used = build_smp(arch, encoder, encoder_weights)
        super().__init__(module, options={"arch": arch, "encoder": encoder, "encoder_weights": encoder_weights},
                         weights=used)

    @property
    def net(self) -> nn.Module:
        """The underlying smp model (inside normalisation and padding)."""
        return self.module.net.net


def alias(arch: str, encoder: str, card: Card) -> Callable[..., SMPDetector]:
    """A registered short name for one smp setting (its card declared in ``cards``); only
    ``encoder_weights`` stays an option."""

    def factory(encoder_weights: str = "auto", arch: str = arch, encoder: str = encoder) -> SMPDetector:
        # ``arch`` and ``encoder`` are accepted only as recorded by this name's own checkpoints
        if (arch, encoder) != (factory.setting["arch"], factory.setting["encoder"]):
            raise ValueError(f"this name is arch={factory.setting['arch']} encoder={factory.setting['encoder']}, "
                             f"not arch={arch} encoder={encoder}: use the detector `smp` for other settings")
        detector = SMPDetector(arch, encoder, encoder_weights)
        detector.card = factory.card
        return detector

    factory.card = card
    factory.__doc__ = card.description
    factory.setting = {"arch": arch, "encoder": encoder}
    return factory


unet_r34 = alias("unet", "resnet34", cards.UNET_R34)
unet_r18 = alias("unet", "resnet18", cards.UNET_R18)
segformer_b0 = alias("segformer", "mit_b0", cards.SEGFORMER_B0)
