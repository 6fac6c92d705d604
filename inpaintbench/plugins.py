"""The plugin SDK's helpers: everything a detector, dataset or attack plugin needs besides the
contracts. ``inpaintbench.baselines`` and ``inpaintbench.attacks`` import only this module and
``inpaintbench.contracts`` from the package, exactly as a third party's plugin would.

- Offline-safe pretrained weights: ``load_url_state_dict``, ``is_cached``, ``WeightsUnavailable``.
- Did-you-mean errors: ``unknown_name_error``; ``UserError``, the base of errors the CLI reports in one line.
- Latent autoencoders: ``load_autoencoder`` (TAESD-family folders, diffusers VAEs, the packaged TAEF2).
- Attacks: the ``ImageAttack`` base class with its option ``Range`` checks and encoders' round trips.
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import io
import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from PIL import Image

from .contracts import Sample
from .errors import UserError
from .registry import RegistryError, unknown_name_error

__all__ = ["UserError", "WeightsUnavailable", "cache_path", "is_cached", "load_url_state_dict", "read_weights",
           "RegistryError", "unknown_name_error", "load_autoencoder", "check_autoencoder", "AttackOptionError",
           "Range", "ImageAttack", "check_range", "check_choice", "format_value", "pil_roundtrip", "to_uint8",
           "MASK_MAPPING"]


# --- offline-safe pretrained weights --------------------------------------------------------------

class WeightsUnavailable(UserError, RuntimeError):
    """Pretrained weights were asked for but are neither cached nor downloadable."""


def cache_path(url: str) -> Path:
    """Where torch.hub keeps the file of ``url`` (``$TORCH_HOME/hub/checkpoints/<name>``)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)


def is_cached(url: str) -> bool:
    return cache_path(url).is_file()


def load_url_state_dict(url: str, *, download: bool = True) -> dict[str, torch.Tensor]:
    """The state dict behind ``url``, from the cache or downloaded into it; read with weights_only."""
    path = cache_path(url)
    if not path.is_file():
        if not download:
            raise WeightsUnavailable(f"weights {path.name} are not cached at {path}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.hub.download_url_to_file(url, str(path), progress=True)
        except Exception as exc:
            raise WeightsUnavailable(
                f"could not download pretrained weights {url} ({type(exc).__name__}: {exc}). "
                f"This machine may be offline: place the file at {path}, or choose weights=none") from exc
    return read_weights(path, "pretrained weights")


def read_weights(path: str | os.PathLike, what: str, map_location: str | torch.device = "cpu") -> Any:
    """A weights file (``.safetensors``, or a torch file read with ``weights_only``), refused in one line
    naming ``what`` and the file when it is missing, broken, or a pickle that holds more than tensors
    (whose code never runs)."""
    from .errors import CheckpointError

    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path), device=str(map_location))
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: {what} not found") from None
    except Exception as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        if isinstance(exc, pickle.UnpicklingError) and any("Unsupported global" in line for line in lines):
            raise CheckpointError(f"{path}: {what} refused: it holds Python objects other than tensors (a "
                                  "pickle that could run code); only weights-only files are read") from exc
        # torch's weights-only message is a page long: keep the line that says what was wrong
        detail = next((line for line in lines if line.startswith("Unsupported")), lines[0] if lines else "")
        raise CheckpointError(f"{path}: not a readable weights-only {what} "
                              f"({type(exc).__name__}: {detail[:200]})") from exc


# --- latent autoencoders --------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def load_autoencoder(weights: str = "taef2", device: str = "cpu"):
    """A latent autoencoder (cached per weights and device) with ``roundtrip`` and ``roundtrip_images``:
    a weights folder, a diffusers model, or ``taef2`` (the packaged default)."""
    from .data.generation.autoencoders import load_autoencoder as load

    return load(weights, device)


def check_autoencoder(weights: str) -> None:
    """Refuse (``FileNotFoundError``) autoencoder weights that name no packaged autoencoder, weights
    folder or hub id, without loading anything: options are checked before any evaluation runs."""
    from .data.generation.autoencoders import locate_autoencoder

    locate_autoencoder(weights)


# --- attacks --------------------------------------------------------------------------------------

#: How geometric attacks carry the soft mask along; recorded in ``sample.meta`` and descriptions.
MASK_MAPPING = "nearest-neighbour"


class AttackOptionError(UserError, ValueError):
    """An attack option outside its valid range or set; the message lists what is valid."""


def format_value(value: Any) -> str:
    """Canonical text of an option value: ``80``, ``0.5``, ``2``, ``true``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def check_range(attack: str, option: str, value: float, low: float, high: float, *,
                low_open: bool = False, examples: Sequence[Any] = ()) -> None:
    """Raise ``AttackOptionError`` unless ``low <= value <= high`` (``low < value`` if ``low_open``)."""
    ok = (value > low if low_open else value >= low) and value <= high
    if not ok:
        bound = f"{format_value(low)} {'<' if low_open else '<='} {option} <= {format_value(high)}"
        eg = f" (e.g. {', '.join(f'{attack}:{option}={format_value(e)}' for e in examples)})" if examples else ""
        raise AttackOptionError(f"{attack}: {option}={format_value(value)} is out of range; valid: {bound}{eg}")


@dataclasses.dataclass(frozen=True)
class Range:
    """The valid range of a numeric option (``low < value`` when ``low_open``), with example values."""

    low: float
    high: float
    low_open: bool = False
    examples: tuple = ()


def check_choice(attack: str, option: str, value: str, choices: Sequence[str]) -> None:
    """Raise ``AttackOptionError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise AttackOptionError(f"{attack}: {option}={value!r} is not valid; valid: {', '.join(choices)}")


def pil_roundtrip(image: np.ndarray, fmt: str, **save_options: Any) -> tuple[bytes, np.ndarray]:
    """Encode ``image`` with PIL's real encoder for ``fmt`` and decode it back: ``(bytes, RGB uint8)``."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format=fmt, **save_options)
    data = buf.getvalue()
    with Image.open(io.BytesIO(data)) as im:
        decoded = np.array(im.convert("RGB"), dtype=np.uint8)
    return data, decoded


@dataclasses.dataclass(frozen=True)
class ImageAttack(abc.ABC):
    """Base of the attacks. Subclasses set ``name``, ``strength`` (the option that sets how strong it
    is), ``neutral`` (the strength value that leaves the image closest to untouched) and ``apply``."""

    name: ClassVar[str] = ""
    strength: ClassVar[str] = ""
    neutral: ClassVar[float | None] = None
    #: Numeric options and their valid ranges, and text options and their valid values: checked on construction.
    ranges: ClassVar[dict[str, Range]] = {}
    choices: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __post_init__(self) -> None:
        for option, valid in self.ranges.items():
            check_range(self.name, option, getattr(self, option), valid.low, valid.high,
                        low_open=valid.low_open, examples=valid.examples)
        for option, values in self.choices.items():
            check_choice(self.name, option, getattr(self, option), values)

    @property
    def geometric(self) -> bool:
        """Whether the attack moves pixels (changes size or position), so the mask is mapped too."""
        return False

    @abc.abstractmethod
    def apply(self, image: np.ndarray, mask: np.ndarray,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The transform on ``HxWx3`` uint8 image and ``HxW`` uint8 soft mask."""

    @abc.abstractmethod
    def what(self) -> str:
        """One phrase saying what this setting does to the image."""

    # -- derived -------------------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @property
    def spec(self) -> str:
        """Canonical spec: the strength option always, other options only where not default."""
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == self.strength or value != f.default:
                parts.append(f"{f.name}={format_value(value)}")
        return f"{self.name}:{','.join(parts)}" if parts else self.name

    @property
    def strength_value(self) -> float | None:
        return float(getattr(self, self.strength)) if self.strength else None

    @property
    def family(self) -> str:
        return self.name

    def mask_note(self) -> str:
        return (f"ground-truth mask mapped with the image ({MASK_MAPPING})" if self.geometric
                else "ground-truth mask unchanged")

    def describe(self) -> str:
        return f"{self.spec}: {self.what()}; {self.mask_note()}"

    def __str__(self) -> str:
        return self.spec

    def __call__(self, sample: Sample, rng: np.random.Generator) -> Sample:
        image, mask = self.apply(sample.image, sample.mask, rng)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise TypeError(f"attack {self.spec} returned {image.dtype} {image.shape}, expected uint8 HxWx3")
        if mask.shape != image.shape[:2]:
            raise ValueError(f"attack {self.spec} returned mask {mask.shape} for image {image.shape[:2]}")
        meta = dict(sample.meta)
        meta["attacks"] = [*meta.get("attacks", []), self.spec]
        if self.geometric:
            meta["mask_mapping"] = [*meta.get("mask_mapping", []),
                                    f"{self.spec}: {sample.mask.shape[1]}x{sample.mask.shape[0]} -> "
                                    f"{mask.shape[1]}x{mask.shape[0]}, {MASK_MAPPING}"]
        return dataclasses.replace(sample, image=image, mask=mask, meta=meta)


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Round and clip floating pixel values to uint8 (what storing the attacked image would do)."""
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)
