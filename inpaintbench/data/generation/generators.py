"""Inpainting generators (entry-point group ``inpaintbench.generators``): ``sd``, ``vae``,
``latent-fill`` and ``classical``.

A generator turns a batch of ``Item`` (original crop, soft mask, seed, prompt) into, per item, a
dict ``kind -> uint8 HxWx3`` image. Every generator writes ``original``; manipulated kinds are
blended into the original through the soft mask by ``blend`` (``out = orig*(1-m) + gen*m``).
``recipes()`` says, per kind, exactly what was done (written to the manifest).

- ``sd``: diffusers inpainting -> ``inpainted`` (raw output), ``realfake`` (blended), ``original``.
- ``vae``: latent autoencoder round trip -> ``fakefake`` (blended), ``original``.
- ``latent-fill``: an OpenCV fill, encoded and decoded by a latent autoencoder -> ``realfake``
  (blended), ``original``: new content whose pixels come out of the latent decoder, an offline
  stand-in for diffusion inpainting.
- ``classical``: OpenCV Telea / Navier-Stokes -> ``realfake`` (blended), ``original``. The raw
  OpenCV output equals the original outside the filled region, so no separate ``inpainted``.

``vae`` and ``latent-fill`` use the packaged TAEF2 autoencoder unless another ``autoencoder`` is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from inpaintbench.sdk import env

DEFAULT_PROMPT = "a high quality photograph"


@dataclass
class Item:
    """One sample to generate: the original crop, its soft mask, its own seed and prompt."""

    id: str
    image: np.ndarray
    mask: np.ndarray
    seed: int
    prompt: str = ""


def blend(original: np.ndarray, generated: np.ndarray, soft: np.ndarray) -> np.ndarray:
    """``original*(1-m) + generated*m`` with ``m = soft/255``, rounded to uint8.

    Where the soft mask is 0 the result is the original, bit for bit.
    """
    if original.shape != generated.shape or original.shape[:2] != soft.shape:
        raise ValueError(f"blend: original {original.shape}, generated {generated.shape} and mask "
                         f"{soft.shape} differ in size")
    m = soft.astype(np.float32)[..., None] / 255.0
    out = original.astype(np.float32) * (1.0 - m) + generated.astype(np.float32) * m
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Float images in [0, 1] to uint8, rounded."""
    return np.clip(np.rint(np.asarray(images, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)


def group_by_size(items: list[Item]) -> dict[tuple[int, int], list[int]]:
    """Indices of the items, grouped by image height and width (one network batch per size)."""
    groups: dict[tuple[int, int], list[int]] = {}
    for i, item in enumerate(items):
        groups.setdefault(item.image.shape[:2], []).append(i)
    return groups


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class Generator:
    """Base: ``kinds`` written, ``batch_size``, ``model_id`` and ``run(items)``."""

    name = "generator"
    kinds: tuple[str, ...] = ("original",)
    batch_size = 1
    model_id = ""

    def run(self, items: list[Item]) -> list[dict[str, np.ndarray]]:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"generator": self.name, "model": self.model_id, "kinds": list(self.kinds), "recipes": self.recipes()}

    def recipes(self) -> dict[str, str]:
        """Per manipulated kind, one sentence saying exactly how it was made."""
        return {}

    def manifest_columns(self) -> dict[str, str]:
        """Columns of its own for each id's manifest row (the autoencoder's family, weights and sha256)."""
        return {}


BLEND_NOTE = "blended into the original through the soft mask (orig*(1-m) + new*m, m = mask/255)"
FILL_METHODS = ("telea", "ns")


class ClassicalFill:
    """OpenCV inpainting (Telea or Navier-Stokes) of every pixel with a non-zero soft mask."""

    def __init__(self, method: str = "telea", radius: float = 3.0) -> None:
        if method not in FILL_METHODS:
            from inpaintbench.sdk.registry import unknown_name_error

            raise unknown_name_error("methods", method, list(FILL_METHODS))
        self.method = method
        self.radius = float(radius)

    def __call__(self, item: Item) -> np.ndarray:
        import cv2

        flag = cv2.INPAINT_TELEA if self.method == "telea" else cv2.INPAINT_NS
        return cv2.inpaint(np.ascontiguousarray(item.image), (item.mask > 0).astype(np.uint8), self.radius, flag)

    def __str__(self) -> str:
        name = "Telea" if self.method == "telea" else "Navier-Stokes"
        return f"OpenCV {name} fill (radius {self.radius:g}) of every pixel with a non-zero soft mask"


#: The autoencoder option's deprecated aliases (one release): ``vae_weights`` (TAESD-family folder), ``vae``
#: (diffusers model); ``autoencoder`` takes both, and the named autoencoders.
DEPRECATED_AUTOENCODER_OPTIONS = ("vae_weights", "vae")


def autoencoder_option(autoencoder: str | None, vae_weights: str | None = None, vae: str | None = None,
                       where: str = "") -> str | None:
    """The one autoencoder setting from ``autoencoder`` and its deprecated aliases, each alias warned about
    (``FutureWarning``; ``where="--"`` words it as command-line flags); two different values are refused."""
    import warnings

    flag = where == "--"  # command-line flags: --vae-weights X, else options vae_weights=X
    aliases = {k: v for k, v in zip(DEPRECATED_AUTOENCODER_OPTIONS, (vae_weights, vae)) if v}
    for key, value in aliases.items():
        old, new = (f"--{key.replace('_', '-')}", f"--autoencoder {value}") if flag else \
            (f"{where}{key}", f"{where}autoencoder={value}")
        warnings.warn(f"{old} is deprecated and goes in the next release: use {new}", FutureWarning, stacklevel=3)
    values = list(dict.fromkeys(v for v in (autoencoder, *aliases.values()) if v))
    if len(values) > 1:
        from inpaintbench.sdk.errors import ConfigError

        raise ConfigError(f"{where}autoencoder given twice, as {' and as '.join(values)}: give one")
    return values[0] if values else None


def load_generator_autoencoder(autoencoder: str | None, device: str | None):
    """The named or located autoencoder (``sdk.load_autoencoder``), the packaged TAEF2 when none is given;
    one loaded instance per weights and device."""
    from inpaintbench.sdk import load_autoencoder
    from inpaintbench.sdk.autoencoders import DEFAULT_AUTOENCODER

    return load_autoencoder(autoencoder or DEFAULT_AUTOENCODER, device or default_device())


class ClassicalGenerator(Generator):
    """OpenCV inpainting (Telea or Navier-Stokes), blended through the soft mask: a non-deep generator.

    Every pixel with a non-zero soft mask is filled; used for cross-generator tests."""

    name = "classical"
    kinds = ("realfake", "original")

    def __init__(self, method: str = "telea", radius: float = 3.0, batch_size: int = 16) -> None:
        self.fill = ClassicalFill(method, radius)
        self.batch_size = int(batch_size)
        self.model_id = f"opencv-{method}"

    def run(self, items: list[Item]) -> list[dict[str, np.ndarray]]:
        return [{"realfake": blend(item.image, self.fill(item), item.mask), "original": item.image}
                for item in items]

    def recipes(self) -> dict[str, str]:
        return {"realfake": f"{self.fill}, {BLEND_NOTE}"}

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "radius": self.fill.radius}


class AutoencoderGenerator(Generator):
    """Re-encode through a latent autoencoder and blend inside the soft mask (``fakefake``).

    ``autoencoder``: a named one (``taef2``, the packaged default; ``taesd``, ``taesdxl``, ``taesd3``,
    ``taef1``), a folder of TAESD-family weights, or a diffusers AutoencoderKL folder or hub id
    (``vae_weights`` and ``vae`` are its deprecated aliases). Items of one size are run as one batch.
    """

    name = "vae"
    kinds = ("fakefake", "original")

    def __init__(self, autoencoder: str | None = None, device: str | None = None, batch_size: int = 8,
                 vae_weights: str | None = None, vae: str | None = None) -> None:
        self.autoencoder = load_generator_autoencoder(autoencoder_option(autoencoder, vae_weights, vae), device)
        self.batch_size = int(batch_size)
        self.model_id = self.autoencoder.label

    def encoder_input(self, item: Item) -> np.ndarray:
        """What goes through the autoencoder: the crop itself."""
        return item.image

    def run(self, items: list[Item]) -> list[dict[str, np.ndarray]]:
        kind = self.kinds[0]
        out: list[dict[str, np.ndarray]] = [{} for _ in items]
        for indices in group_by_size(items).values():
            decoded = self.autoencoder.roundtrip_images(np.stack([self.encoder_input(items[i]) for i in indices]))
            for j, i in enumerate(indices):
                out[i] = {kind: blend(items[i].image, decoded[j], items[i].mask), "original": items[i].image}
        return out

    def recipes(self) -> dict[str, str]:
        return {"fakefake": f"the whole crop encoded and decoded by the latent autoencoder "
                            f"{self.autoencoder.label}, {BLEND_NOTE}"}

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "autoencoder": self.autoencoder.describe()}

    def manifest_columns(self) -> dict[str, str]:
        return self.autoencoder.manifest_columns()


class LatentFillGenerator(AutoencoderGenerator):
    """A classical fill passed through a latent autoencoder (``realfake``): new content inside the
    mask whose pixels come out of the latent decoder, as in latent-diffusion inpainting.

    An offline stand-in for diffusion inpainting: the fill is OpenCV's (``method``, ``radius``),
    the decoder traces are the autoencoder's (``autoencoder``, default the packaged TAEF2).
    """

    name = "latent-fill"
    kinds = ("realfake", "original")

    def __init__(self, method: str = "telea", radius: float = 3.0, autoencoder: str | None = None,
                 device: str | None = None, batch_size: int = 8, vae_weights: str | None = None,
                 vae: str | None = None) -> None:
        self.fill = ClassicalFill(method, radius)
        super().__init__(autoencoder_option(autoencoder, vae_weights, vae), device, batch_size)
        self.model_id = f"opencv-{method} + {self.autoencoder.label}"

    def encoder_input(self, item: Item) -> np.ndarray:
        """The crop with its mask region filled by OpenCV."""
        return self.fill(item)

    def recipes(self) -> dict[str, str]:
        return {"realfake": f"{self.fill}, the filled crop encoded and decoded by the latent autoencoder "
                            f"{self.autoencoder.label}, {BLEND_NOTE}"}

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "fill": str(self.fill)}


class GeneratorSet(Generator):
    """Several generators run on the same items, each writing its own kinds (e.g. ``latent-fill+vae``:
    ``realfake`` and ``fakefake`` of one crop and one mask), with one ``original``."""

    def __init__(self, generators: list[Generator]) -> None:
        self.parts = list(generators)
        self.name = "+".join(g.name for g in self.parts)
        manipulated = [k for g in self.parts for k in g.kinds if k != "original"]
        self.kinds = (*dict.fromkeys(manipulated), "original")
        self.batch_size = min(g.batch_size for g in self.parts)
        self.model_id = "; ".join(g.model_id for g in self.parts)

    def run(self, items: list[Item]) -> list[dict[str, np.ndarray]]:
        out: list[dict[str, np.ndarray]] = [{} for _ in items]
        for generator in self.parts:
            for merged, images in zip(out, generator.run(items)):
                merged.update(images)
        return out

    def recipes(self) -> dict[str, str]:
        return {k: v for g in self.parts for k, v in g.recipes().items()}

    def manifest_columns(self) -> dict[str, str]:
        """The parts' columns; the first part that has a column gives it (the parts share one autoencoder
        unless ``--gen-opt`` sets another, which the per-id ``generator_info`` record keeps)."""
        out: dict[str, str] = {}
        for generator in self.parts:
            for key, value in generator.manifest_columns().items():
                out.setdefault(key, value)
        return out

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "parts": [g.describe() for g in self.parts]}


class StableDiffusionGenerator(Generator):
    """Stable Diffusion inpainting through diffusers, from a local folder or hub id (fp16 on CUDA).

    ``AutoPipelineForInpainting``; one seed per sample; the region repainted is every pixel with a
    non-zero soft mask."""

    name = "sd"
    kinds = ("inpainted", "realfake", "original")

    def __init__(self, model: str | None = None, prompt: str = DEFAULT_PROMPT, negative_prompt: str = "",
                 steps: int = 30, guidance: float = 7.5, device: str | None = None, batch_size: int = 4,
                 fp16: bool | None = None) -> None:
        import torch

        self.model_id = model or env.SD_MODEL.get() or ""
        if not self.model_id:
            raise ValueError(f"generator 'sd' needs --model (a diffusers inpainting folder or hub id) "
                             f"or {env.SD_MODEL}")
        self.device = torch.device(device or default_device())
        self.fp16 = self.device.type == "cuda" if fp16 is None else bool(fp16)
        self.prompt = prompt
        self.negative_prompt = negative_prompt
        self.steps = int(steps)
        self.guidance = float(guidance)
        self.batch_size = int(batch_size)
        self.pipe = load_inpainting_pipeline(self.model_id, torch.float16 if self.fp16 else torch.float32)
        self.pipe.to(self.device)
        self.pipe.set_progress_bar_config(disable=True)

    def run(self, items: list[Item]) -> list[dict[str, np.ndarray]]:
        import torch
        from PIL import Image

        out: list[dict[str, np.ndarray]] = [{} for _ in items]
        for (h, w), indices in group_by_size(items).items():
            ph, pw = h + (-h) % 8, w + (-w) % 8
            images = [Image.fromarray(np.pad(items[i].image, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge"))
                      for i in indices]
            masks = [Image.fromarray(np.pad((items[i].mask > 0).astype(np.uint8) * 255, ((0, ph - h), (0, pw - w))))
                     for i in indices]
            generators = [torch.Generator(self.device).manual_seed(items[i].seed % 2**63) for i in indices]
            result = self.pipe(prompt=[items[i].prompt or self.prompt for i in indices],
                               negative_prompt=[self.negative_prompt] * len(indices) if self.negative_prompt else None,
                               image=images, mask_image=masks, height=ph, width=pw,
                               num_inference_steps=self.steps, guidance_scale=self.guidance,
                               generator=generators, output_type="np")
            raw = to_uint8(result.images)[:, :h, :w]
            for j, i in enumerate(indices):
                item = items[i]
                out[i] = {"inpainted": raw[j], "realfake": blend(item.image, raw[j], item.mask),
                          "original": item.image}
        return out

    def recipes(self) -> dict[str, str]:
        raw = (f"diffusers {type(self.pipe).__name__} {self.model_id} ({self.steps} steps, guidance "
               f"{self.guidance:g}, one seed per sample), every pixel with a non-zero soft mask repainted")
        return {"inpainted": f"raw output of {raw}", "realfake": f"{raw}, {BLEND_NOTE}"}

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "pipeline": type(self.pipe).__name__, "steps": self.steps,
                "guidance": self.guidance, "dtype": "float16" if self.fp16 else "float32"}


def load_inpainting_pipeline(model: str, dtype: Any):
    """``AutoPipelineForInpainting`` from a folder or hub id, with a clear error when offline."""
    from pathlib import Path

    from diffusers import AutoPipelineForInpainting

    from inpaintbench.sdk.autoencoders import dtype_kwargs

    try:
        return AutoPipelineForInpainting.from_pretrained(model, **dtype_kwargs(dtype), safety_checker=None,
                                                         requires_safety_checker=False)
    except (OSError, ValueError) as exc:
        where = "local folder" if Path(model).exists() else "hub id (not cached here; offline?)"
        raise RuntimeError(f"could not load inpainting model {model!r} as a {where}: "
                           f"{str(exc).splitlines()[0]}") from exc
