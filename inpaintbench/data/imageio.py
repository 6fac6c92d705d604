"""Reading images and masks with checks that name the file, and atomic lossless writing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from inpaintbench.io._atomic import atomic_write_bytes
from inpaintbench.sdk.attacks import pil_bomb_check_off
from inpaintbench.sdk.errors import UserError

#: The suffixes of the image files the benchmark reads (any case).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp")


def image_files(folder: str | os.PathLike, recursive: bool = False) -> list[Path]:
    """The image files in ``folder`` (and below it when ``recursive``), by suffix in any case, sorted;
    hidden files (``.name``, e.g. macOS ``._`` companions) are left out. The one listing of images."""
    folder = Path(folder)
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
                  and p.is_file())


class DataError(UserError, ValueError):
    """A bad input file: the message names the file and what is wrong with it."""

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


#: The most pixels (width x height, read from the header) an image may have to be read: above it a file
#: is a bad file like a corrupt one, refused before any pixel is decoded. 16384 x 16384 (268 MP): a
#: 108 MP camera photo reads (about 24 bytes a pixel to evaluate), a 400 MP decompression bomb does not.
#: ``--max-image-pixels N`` (``Protocol.max_image_pixels``) raises it, through ``pixel_limit``.
DEFAULT_MAX_IMAGE_PIXELS = 16384 * 16384
_PIXEL_LIMIT: ContextVar[int] = ContextVar("max_image_pixels", default=DEFAULT_MAX_IMAGE_PIXELS)


@contextmanager
def pixel_limit(limit: int) -> Iterator[None]:
    """Read images under ``limit`` pixels (instead of ``DEFAULT_MAX_IMAGE_PIXELS``) inside the block."""
    token = _PIXEL_LIMIT.set(int(limit))
    try:
        yield
    finally:
        _PIXEL_LIMIT.reset(token)


def max_image_pixels() -> int:
    """The reading limit in force (``pixel_limit``), in pixels."""
    return _PIXEL_LIMIT.get()


@contextmanager
def opened(path: str | os.PathLike) -> Iterator[Image.Image]:
    """The image at ``path`` opened (header read, no pixel decoded) and checked against the reading limit:
    ours replaces PIL's own decompression-bomb check, which would refuse (or warn about) large photos
    below our limit and name no file. A missing, unreadable or too large file raises ``DataError``."""
    try:
        with pil_bomb_check_off():
            im = Image.open(path)
    except FileNotFoundError as exc:
        raise DataError(path, "file not found") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DataError(path, f"not a readable image ({exc})") from exc
    with im:
        (width, height), limit = im.size, max_image_pixels()
        if width * height > limit:
            raise DataError(path, f"{width}x{height} = {width * height:,} pixels, above the reading limit of "
                                  f"{limit:,} pixels (a decompression bomb, or a very large image: raise the "
                                  "limit with --max-image-pixels N); refused from its header, nothing decoded")
        yield im


def header(path: str | os.PathLike) -> tuple[str, tuple[int, int]]:
    """``(mode, (width, height))`` from the file header, without decoding the pixels; a file above the
    reading limit is refused here already (``opened``)."""
    with opened(path) as im:
        return im.mode, im.size


def decode(path: str | os.PathLike) -> Image.Image:
    """The decoded image, as stored (any mode); a missing, corrupt or too large file (checked from its
    header first) raises ``DataError`` naming it."""
    with opened(path) as im:
        try:
            im.load()
            return im.copy()
        except (OSError, SyntaxError, ValueError) as exc:
            raise DataError(path, f"corrupt or truncated image ({exc})") from exc


def jpeg_qtables(path: str | os.PathLike) -> dict[int, list[int]] | None:
    """A JPEG file's quantization tables from its header (``{table id: 64 entries in natural order}``, as
    PIL reads them); ``None`` for any other format, or a file that cannot be read."""
    try:
        with opened(path) as im:
            tables = getattr(im, "quantization", None) if im.format in ("JPEG", "MPO") else None
    except DataError:
        return None
    return {int(k): [int(v) for v in t] for k, t in tables.items()} if tables else None


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """An RGB image as ``HxWx3`` uint8. Grey and RGBA files are refused, not silently converted."""
    im = decode(path)
    if im.mode != "RGB":
        raise DataError(path, f"expected an RGB image, found mode {im.mode} "
                              "(grey or alpha images are not part of the layout; convert them first)")
    return np.asarray(im, dtype=np.uint8)


def read_mask(path: str | os.PathLike) -> np.ndarray:
    """A soft mask as ``HxW`` uint8 (0..255). An RGB mask is accepted only if its channels agree."""
    im = decode(path)
    if im.mode == "L":
        return np.asarray(im, dtype=np.uint8)
    if im.mode == "RGB":
        arr = np.asarray(im, dtype=np.uint8)
        if (arr == arr[..., :1]).all():
            return arr[..., 0].copy()
        raise DataError(path, "mask is RGB with differing channels; expected a single-channel mask")
    raise DataError(path, f"expected a single-channel (L) mask, found mode {im.mode}")


#: In lossless mode WebP's quality and method set only the encoder's effort, never the pixels:
#: quality 25 / method 0 encoded a 256 px photo about 50x faster than quality 100 / method 4,
#: for files about 15 % larger.
WEBP_LOSSLESS_EFFORT = {"quality": 25, "method": 0}


def encode_webp_lossless(array: np.ndarray) -> bytes:
    """Lossless WebP bytes of an ``HxWx3`` or ``HxW`` uint8 array (pixels decode back exactly)."""
    import io

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array)).save(buf, format="WEBP", lossless=True, **WEBP_LOSSLESS_EFFORT)
    return buf.getvalue()


def write_webp(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write an image or mask as lossless WebP, atomically."""
    atomic_write_bytes(path, encode_webp_lossless(array))
