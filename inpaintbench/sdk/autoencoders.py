"""Latent autoencoders, shared by plugins (``aerecon``, NIX-Net's trace, the re-encode attack) and
data generation: the tiny TAESD-family autoencoders from their two weight files, or any diffusers
``AutoencoderKL`` / ``AutoencoderTiny``.

Contract: ``load_autoencoder(weights, device) -> obj`` with ``obj.roundtrip(x)`` mapping float
``[B, 3, H, W]`` in [0, 1] to the same shape in [0, 1]. Sizes that are not a multiple of the
down-sampling factor (8) are padded by edge replication on the bottom/right and cropped back.

Named autoencoders are weights entries (``AUTOENCODERS``): TAEF2 (Ollin Boer Bohan, MIT licence,
``inpaintbench/data/weights/taef2/LICENSE``) ships inside the package and is the default wherever an
autoencoder is needed and none is configured; the TAESD family (``taesd``, ``taesdxl``, ``taesd3``,
``taef1``) is found by the weights resolver (``$INPAINTBENCH_WEIGHTS/taesd-family``, ``../shared``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from inpaintbench.sdk.autoencoder_weights import (  # noqa: F401  (the names the SDK exports from here)
    AUTOENCODERS,
    DEFAULT_AUTOENCODER,
    FAMILIES,
    PACKAGED_AUTOENCODERS,
    TAESD_SOURCE,
)
from inpaintbench.sdk.weights import PACKAGE_WEIGHTS, WeightsEntry, file_sha256, read_weights

DOWNSAMPLING = 8


def packaged_autoencoder(name: str = DEFAULT_AUTOENCODER) -> Path:
    """The folder of a packaged autoencoder's weights and licence (TAEF2 by default)."""
    if name not in PACKAGED_AUTOENCODERS:
        from inpaintbench.sdk.registry import unknown_name_error

        raise unknown_name_error("autoencoders", name, list(PACKAGED_AUTOENCODERS))
    return PACKAGE_WEIGHTS / AUTOENCODERS[name].folder


# --- the TAESD family ------------------------------------------------------------------------

def _conv(n_in: int, n_out: int, **kwargs: Any) -> nn.Conv2d:
    return nn.Conv2d(n_in, n_out, 3, padding=1, **kwargs)


class _Clamp(nn.Module):
    """Soft clamp of the latent to (-3, 3)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x / 3) * 3


class TinyBlock(nn.Module):
    """Residual block: optional 1x1 ``pool`` branch added first, then three 3x3 convs plus skip."""

    def __init__(self, n: int, pool: bool = False) -> None:
        super().__init__()
        self.pool = nn.Sequential(nn.Conv2d(n, 4 * n, 1, bias=False), nn.GroupNorm(4, 4 * n), nn.ReLU(),
                                  nn.Conv2d(4 * n, n, 1, bias=False)) if pool else None
        self.conv = nn.Sequential(_conv(n, n), nn.ReLU(), _conv(n, n), nn.ReLU(), _conv(n, n))
        self.fuse = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pool is not None:
            x = x + self.pool(x)
        return self.fuse(self.conv(x) + x)


def _pooled_blocks(state: dict[str, torch.Tensor]) -> set[int]:
    return {int(k.split(".")[0]) for k in state if ".pool." in k}


def tiny_encoder(latent: int, pooled: set[int], width: int = 64) -> nn.Sequential:
    """``conv, Block, (down-conv, Block x3) x3, conv`` as one ``nn.Sequential``."""
    layers: list[nn.Module] = [_conv(3, width), TinyBlock(width, 1 in pooled)]
    for _ in range(3):
        layers.append(_conv(width, width, stride=2, bias=False))
        start = len(layers)
        layers.extend([TinyBlock(width, start + i in pooled) for i in range(3)])
    layers.append(_conv(width, latent))
    return nn.Sequential(*layers)


def tiny_decoder(latent: int, pooled: set[int], width: int = 64) -> nn.Sequential:
    """``Clamp, conv, ReLU, (Block x3, Upsample, conv) x3, Block, conv`` as one ``nn.Sequential``."""
    layers: list[nn.Module] = [_Clamp(), _conv(latent, width), nn.ReLU()]
    for _ in range(3):
        start = len(layers)
        layers.extend([TinyBlock(width, start + i in pooled) for i in range(3)])
        layers.extend([nn.Upsample(scale_factor=2), _conv(width, width, bias=False)])
    layers.extend([TinyBlock(width, len(layers) in pooled), _conv(width, 3)])
    return nn.Sequential(*layers)


def _pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    return x, (h, w)


class Autoencoder:
    """Common wrapper: padding, dtype/device handling and the manifest description."""

    name = "autoencoder"

    def __init__(self, source: str, device: str | torch.device, dtype: torch.dtype) -> None:
        self.source = source
        self.device = torch.device(device)
        self.dtype = dtype
        self.packaged = any(Path(source) == packaged_autoencoder(n) for n in PACKAGED_AUTOENCODERS)

    @property
    def label(self) -> str:
        """A short name for manifests: ``taef2 (packaged)`` or the weights' folder / hub id."""
        return f"{self.name} (packaged with inpaintbench)" if self.packaged else self.source

    def _roundtrip(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def roundtrip(self, x: torch.Tensor) -> torch.Tensor:
        """Encode and decode float ``[B, 3, H, W]`` images in [0, 1]; same shape out, in [0, 1]."""
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"expected images of shape [B, 3, H, W], got {tuple(x.shape)}")
        padded, (h, w) = _pad_to_multiple(x.to(self.device, self.dtype), DOWNSAMPLING)
        out = self._roundtrip(padded)[..., :h, :w]
        return out.float().clamp_(0, 1).to(x.device)

    def roundtrip_images(self, images: np.ndarray) -> np.ndarray:
        """The round trip of uint8 RGB ``HxWx3`` or ``NxHxWx3`` arrays, rounded back to uint8.

        The one round trip that generators, universal data and the re-encode attack share.
        """
        batch = images[None] if images.ndim == 3 else images
        x = torch.from_numpy(np.array(batch))  # a writable copy (read-only views warn)
        x = x.permute(0, 3, 1, 2).float().div_(255)
        y = self.roundtrip(x).permute(0, 2, 3, 1).cpu().numpy() * 255
        out = np.clip(np.rint(y), 0, 255).astype(np.uint8)
        return out[0] if images.ndim == 3 else out

    @property
    def family(self) -> str:
        """The latent space it decodes (``FAMILIES``), else its label: what a generated manifest's
        ``autoencoder`` column holds."""
        return FAMILIES.get(self.name, self.label)

    def manifest_columns(self) -> dict[str, str]:
        """What a generated manifest records of it: the family, the weights (entry name, else where they
        came from) and each weights file's sha256 (``name=sha256`` joined by ``;``; none for diffusers)."""
        weights = self.describe().get("weights") or {}
        files = weights.get("files") or {}
        return {"autoencoder": self.family, "autoencoder_weights": weights.get("entry") or self.label,
                "autoencoder_sha256": ";".join(f"{name}={sha}" for name, sha in sorted(files.items()))}

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "packaged": self.packaged, "class": type(self).__name__,
                "dtype": str(self.dtype).replace("torch.", ""),
                "padding": f"replicate to a multiple of {DOWNSAMPLING}, cropped back"}


TINY_SUFFIXES = (".pth", ".safetensors")


def tiny_files(folder: Path) -> tuple[Path, Path, str]:
    """``(encoder, decoder, name)`` of the one ``<name>_encoder.{pth,safetensors}`` in ``folder``."""
    encoders = sorted(p for p in folder.glob("*_encoder.*") if p.suffix in TINY_SUFFIXES)
    if len(encoders) != 1:
        raise FileNotFoundError(f"{folder}: expected exactly one <name>_encoder.pth (or .safetensors) beside a "
                                f"<name>_decoder file, found {[p.name for p in encoders]}")
    prefix = encoders[0].name[: -len("_encoder" + encoders[0].suffix)]
    decoder = folder / f"{prefix}_decoder{encoders[0].suffix}"
    if not decoder.is_file():
        raise FileNotFoundError(f"{decoder}: decoder weights missing beside {encoders[0].name}")
    return encoders[0], decoder, prefix


class TinyAutoencoder(Autoencoder):
    """A TAESD-family tiny autoencoder (e.g. TAEF2) from ``<prefix>_encoder``/``_decoder`` files
    (``.pth`` or ``.safetensors``): a folder holding one pair, or the two ``files`` of a weights entry.

    The architecture (latent channels, which blocks have the ``pool`` branch) is read off the
    state dicts, so the TAESD, TAESDXL, TAESD3, TAEF1 and TAEF2 files all load.
    """

    def __init__(self, folder: str | Path, device: str | torch.device = "cpu", *,
                 files: tuple[Path, Path] | None = None, entry: WeightsEntry | None = None) -> None:
        folder = Path(folder)
        encoder_path, decoder_path, prefix = tiny_files(folder) if files is None else (*files, entry.name)
        device = torch.device(device)
        super().__init__(str(folder), device, torch.float16 if device.type == "cuda" else torch.float32)
        self.name, self.entry = prefix, entry
        self.files = {encoder_path.name: encoder_path, decoder_path.name: decoder_path}
        enc_state = read_weights(encoder_path, "autoencoder encoder weights")
        dec_state = read_weights(decoder_path, "autoencoder decoder weights")
        self.latent_channels = int(dec_state["1.weight"].shape[1])
        self.encoder = tiny_encoder(self.latent_channels, _pooled_blocks(enc_state))
        self.decoder = tiny_decoder(self.latent_channels, _pooled_blocks(dec_state))
        for module, state, path in ((self.encoder, enc_state, encoder_path), (self.decoder, dec_state, decoder_path)):
            try:
                module.load_state_dict(state)
            except RuntimeError as exc:
                raise ValueError(f"{path}: not a TAESD-family state dict ({str(exc).splitlines()[0]})") from exc
            # channels-last convolutions ran about 25 % faster on CPU here, with the same results
            module.to(self.device, self.dtype, memory_format=torch.channels_last).eval()

    def _roundtrip(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x.contiguous(memory_format=torch.channels_last)))

    def describe(self) -> dict[str, Any]:
        weights = (self.entry.record(self.files) if self.entry is not None
                   else {"files": {name: file_sha256(path) for name, path in self.files.items()}})
        return {**super().describe(), "latent_channels": self.latent_channels, "downsampling": DOWNSAMPLING,
                "weights": weights}


def dtype_kwargs(dtype: torch.dtype) -> dict[str, torch.dtype]:
    """``from_pretrained``'s dtype keyword: ``dtype`` in recent diffusers, ``torch_dtype`` before."""
    from diffusers.utils import deprecation_utils

    return {"dtype" if hasattr(deprecation_utils, "_resolve_dtype") else "torch_dtype": dtype}


class DiffusersAutoencoder(Autoencoder):
    """A diffusers ``AutoencoderKL`` (latent mode, no sampling) or ``AutoencoderTiny``, from a
    local folder (the VAE itself or a pipeline with a ``vae/`` subfolder) or a hub id."""

    def __init__(self, model: str, device: str | torch.device = "cpu") -> None:
        import diffusers

        device = torch.device(device)
        super().__init__(model, device, torch.float16 if device.type == "cuda" else torch.float32)
        self.name = model
        path = Path(model)
        subfolder = "vae" if (path / "vae" / "config.json").is_file() else None
        cls = diffusers.AutoencoderKL
        config = path / (subfolder or "") / "config.json"
        if config.is_file() and json.loads(config.read_text()).get("_class_name") == "AutoencoderTiny":
            cls = diffusers.AutoencoderTiny
        try:
            self.vae = cls.from_pretrained(model, subfolder=subfolder, **dtype_kwargs(self.dtype))
        except (OSError, ValueError) as exc:
            where = "local folder" if path.exists() else "hub id (not cached here; offline?)"
            raise RuntimeError(f"could not load autoencoder {model!r} as a {where}: "
                               f"{str(exc).splitlines()[0]}") from exc
        self.vae.to(self.device).eval()
        self.tiny = cls is diffusers.AutoencoderTiny

    def _roundtrip(self, x: torch.Tensor) -> torch.Tensor:
        if self.tiny:
            return self.vae.decode(self.vae.encode(x).latents).sample
        latent = self.vae.encode(x * 2 - 1).latent_dist.mode()
        return (self.vae.decode(latent).sample + 1) / 2

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "latent_channels": int(self.vae.config.latent_channels),
                "downsampling": 2 ** (len(self.vae.config.block_out_channels) - 1)}


def is_tiny_folder(path: str | Path) -> bool:
    folder = Path(path)
    return folder.is_dir() and any(p.suffix in TINY_SUFFIXES for p in folder.glob("*_encoder.*"))


@functools.lru_cache(maxsize=8)
def load_autoencoder(weights: str | None = None, device: str | torch.device = "cpu") -> Autoencoder:
    """The autoencoder ``weights`` names, loaded once per weights and device: a named one of
    ``AUTOENCODERS`` (``taef2``, the default when empty; ``taesd``, ``taesdxl``, ``taesd3``, ``taef1``), a
    folder of TAESD-family encoder/decoder files, a diffusers VAE folder or a hub id; errors say which it
    was taken for and why it failed."""
    kind, where = locate_autoencoder(weights)
    if kind == "entry":
        entry = AUTOENCODERS[where]
        paths = entry.resolve()
        encoder, decoder = (paths[f.name] for f in entry.files)
        return TinyAutoencoder(encoder.parent, device, files=(encoder, decoder), entry=entry)
    if kind == "tiny":
        return TinyAutoencoder(where, device)
    return DiffusersAutoencoder(where, device)


def check_autoencoder(weights: str) -> None:
    """Refuse (``FileNotFoundError``, or the resolver's one line) autoencoder weights that name no known
    autoencoder, weights folder or hub id, without loading anything: options are checked before any work."""
    kind, where = locate_autoencoder(weights)
    if kind == "entry":
        AUTOENCODERS[where].resolve()


def locate_autoencoder(weights: str | None = None) -> tuple[str, str]:
    """``("entry", name)``, ``("tiny", folder)`` or ``("diffusers", folder or hub id)`` for ``weights``,
    loading nothing, so that a wrong location is refused before any work; ``FileNotFoundError`` says what
    was looked for."""
    weights = weights or DEFAULT_AUTOENCODER
    path = Path(weights)
    if weights in AUTOENCODERS and not path.exists():
        return "entry", weights
    if is_tiny_folder(path):
        return "tiny", str(path)
    if path.is_dir():
        if not ((path / "config.json").is_file() or (path / "vae" / "config.json").is_file()):
            raise FileNotFoundError(f"{path}: neither TAESD-family weights (<name>_encoder and <name>_decoder "
                                    ".pth or .safetensors) nor a diffusers autoencoder (config.json or "
                                    "vae/config.json)")
        return "diffusers", str(path)
    if path.exists() or weights.count("/") != 1 or weights.startswith((".", "/")):
        raise FileNotFoundError(f"{weights}: not a named autoencoder ({', '.join(AUTOENCODERS)}), not an "
                                "autoencoder folder and not a hub id of the form org/name")
    return "diffusers", weights
