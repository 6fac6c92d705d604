"""Reading images and masks of any common file kind: any image mode to RGB, and a mask through an
explicit, recorded convention (which pixels mean "manipulated") to the benchmark's soft 0..255 mask."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from inpaintbench.data.imageio import DataError, decode

#: What a mask pixel's value means; ``nonzero`` reads any non-zero channel as manipulated.
POLARITIES = ("white", "invert", "nonzero")
CHANNELS = ("all", "0", "1", "2")
#: File kinds the pairs dataset reads (PIL decodes each by content, these pick files in folders).


@dataclass(frozen=True)
class MaskConvention:
    """How a stored mask becomes the benchmark's mask (255 = manipulated).

    ``polarity``: ``white`` (bright is manipulated, soft values kept), ``invert`` (dark is
    manipulated), ``nonzero`` (any non-zero value is manipulated). ``channel``: ``all`` (a colour
    mask's brightest channel) or one channel index. ``threshold``: when set, values above it become
    255 and the rest 0 (on the 0..255 scale, after the polarity).
    """

    polarity: str = "white"
    channel: str = "all"
    threshold: int | None = None

    def __post_init__(self) -> None:
        if self.polarity not in POLARITIES:
            raise ValueError(f"mask convention {self.polarity!r} is not one of {', '.join(POLARITIES)}")
        if str(self.channel) not in CHANNELS:
            raise ValueError(f"mask_channel {self.channel!r} is not one of {', '.join(CHANNELS)}")
        if self.threshold is not None and not 0 <= int(self.threshold) <= 254:
            raise ValueError(f"mask_threshold {self.threshold} is outside 0..254")

    def overridden(self, polarity: str | None = None, channel: str | None = None,
                   threshold: int | None = None) -> MaskConvention:
        """This convention with the options the user gave (``None``: keep this one's)."""
        return MaskConvention(polarity or self.polarity, channel or self.channel,
                              self.threshold if threshold is None else threshold)

    def describe(self) -> str:
        """One line for results and the README: ``white, brightest channel, > 0``."""
        channel = "brightest channel" if self.channel == "all" else f"channel {self.channel}"
        text = f"{self.polarity}, {channel}"
        return text + (f", values > {self.threshold} manipulated" if self.threshold is not None else ", soft")

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """``HxW`` uint8 (0..255) from a raw ``HxW`` or ``HxWxC`` mask array of any integer depth."""
        planes = raw[..., None] if raw.ndim == 2 else raw[..., :3] if raw.shape[2] in (3, 4) else raw[..., :1]
        if self.channel == "all":
            plane = planes.max(axis=2)
        else:
            plane = planes[..., min(int(self.channel), planes.shape[2] - 1)]
        if self.polarity == "nonzero":
            return np.where(plane > 0, 255, 0).astype(np.uint8)
        scaled = to_8bit(plane)
        value = 255 - scaled if self.polarity == "invert" else scaled
        if self.threshold is not None:
            value = np.where(value > int(self.threshold), 255, 0).astype(np.uint8)
        return value


def raw_mask(path: str | os.PathLike) -> np.ndarray:
    """A mask file's pixels as stored: grey, colour or palette (expanded), 1-, 8- or 16-bit."""
    im = decode(path)
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode == "1":
        return np.asarray(im, dtype=np.uint8) * 255
    if im.mode in ("L", "LA", "RGB", "RGBA", "I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im)
        return arr[..., 0] if im.mode == "LA" else arr
    raise DataError(path, f"mask mode {im.mode} is not a grey or colour image")


def read_any_rgb(path: str | os.PathLike) -> np.ndarray:
    """An image of any mode as ``HxWx3`` uint8 RGB: grey is repeated, alpha dropped, 16-bit scaled."""
    im = decode(path)
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        return np.repeat(to_8bit(np.asarray(im))[..., None], 3, axis=2)
    return np.asarray(im if im.mode == "RGB" else im.convert("RGB"), dtype=np.uint8)


def to_8bit(plane: np.ndarray) -> np.ndarray:
    """uint8 as is; a deeper integer plane (16-bit files) scaled from 0..65535 to 0..255."""
    if plane.dtype == np.uint8:
        return plane
    return np.rint(plane.astype(np.float64) * (255.0 / 65535)).clip(0, 255).astype(np.uint8)

