"""The attack SDK: the ``ImageAttack`` base that every attack plugin subclasses, its option checks
(``Range``, ``check_range``, ``check_choice``) and the encoders' round trips attacks share."""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import io
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from inpaintbench.sdk.errors import UserError
from inpaintbench.sdk.samples import Sample

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


@contextlib.contextmanager
def pil_bomb_check_off() -> Iterator[None]:
    """PIL's own decompression-bomb check switched off inside the block: the one place that does it. Files
    are checked against the package's reading limit instead (``data.imageio.opened``)."""
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


@contextlib.contextmanager
def opened_own(data: bytes) -> Iterator[Image.Image]:
    """Image bytes this process encoded itself, opened without PIL's bomb check: the image passed the
    reading limit when it was read, so a large photo must not fail on re-decoding."""
    with pil_bomb_check_off(), Image.open(io.BytesIO(data)) as im:
        yield im


def decode_own(data: bytes) -> np.ndarray:
    """RGB uint8 pixels of image bytes this process encoded itself (``opened_own``)."""
    with opened_own(data) as im:
        return np.array(im.convert("RGB"), dtype=np.uint8)


def pil_roundtrip(image: np.ndarray, fmt: str, **save_options: Any) -> tuple[bytes, np.ndarray]:
    """Encode ``image`` with PIL's real encoder for ``fmt`` and decode it back: ``(bytes, RGB uint8)``."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format=fmt, **save_options)
    data = buf.getvalue()
    return data, decode_own(data)


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

    def file_meta(self) -> dict[str, Any]:
        """Facts about the file this attack writes, for ``sample.meta``: ``jpeg_qtables`` for a JPEG
        encode (see ``FILE_FACTS``); none by default."""
        return {}

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
        meta.pop("jpeg_qtables", None)  # the pixels are no longer those of an earlier JPEG (see FILE_FACTS)
        meta.update(self.file_meta())
        meta["attacks"] = [*meta.get("attacks", []), self.spec]
        if self.geometric:
            meta["mask_mapping"] = [*meta.get("mask_mapping", []),
                                    f"{self.spec}: {sample.mask.shape[1]}x{sample.mask.shape[0]} -> "
                                    f"{mask.shape[1]}x{mask.shape[0]}, {MASK_MAPPING}"]
        return dataclasses.replace(sample, image=image, mask=mask, meta=meta)


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Round and clip floating pixel values to uint8 (what storing the attacked image would do)."""
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)
