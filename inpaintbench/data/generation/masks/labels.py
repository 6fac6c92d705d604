"""Segmentation label maps for object-shaped masks: BSDS500 human segmentations (.mat) and
COCO-style annotation JSON (polygons or RLE, decoded here without pycocotools).

A label map is an ``HxW`` integer array; label 0 means "no segment" and is never picked.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from inpaintbench.data.imageio import DataError


def read_bsds_segmentations(path: str | os.PathLike) -> list[np.ndarray]:
    """Every human segmentation in a BSDS500 ``groundTruth/*.mat`` file (labels start at 1)."""
    import scipy.io

    try:
        gt = scipy.io.loadmat(str(path))["groundTruth"]
        maps = [np.asarray(gt[0, k]["Segmentation"][0, 0], dtype=np.int32) for k in range(gt.shape[1])]
    except FileNotFoundError as exc:
        raise DataError(path, "segmentation file not found") from exc
    except (KeyError, IndexError, ValueError, TypeError, OSError) as exc:
        raise DataError(path, f"not a BSDS500 groundTruth file ({type(exc).__name__}: {exc})") from exc
    if not maps:
        raise DataError(path, "holds no segmentations")
    return maps


def rle_counts_from_string(text: str) -> list[int]:
    """Decode COCO's compressed RLE string (6-bit chunks from ``'0'``, delta-coded after 2 runs)."""
    counts: list[int] = []
    pos = 0
    while pos < len(text):
        value, shift, more = 0, 0, True
        while more:
            if pos >= len(text):
                raise ValueError("truncated compressed RLE string")
            chunk = ord(text[pos]) - 48
            value |= (chunk & 0x1F) << shift
            more = bool(chunk & 0x20)
            pos += 1
            shift += 5
            if not more and chunk & 0x10:
                value |= -1 << shift
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def decode_rle(rle: dict[str, Any]) -> np.ndarray:
    """A COCO RLE (``{"size": [h, w], "counts": list or str}``) as a boolean ``HxW`` mask.

    Runs alternate 0s and 1s, starting with 0s, over the pixels in column-major order.
    """
    height, width = (int(v) for v in rle["size"])
    counts = rle["counts"]
    if isinstance(counts, (bytes, str)):
        counts = rle_counts_from_string(counts.decode("ascii") if isinstance(counts, bytes) else counts)
    counts = np.asarray(counts, dtype=np.int64)
    if (counts < 0).any() or counts.sum() != height * width:
        raise ValueError(f"RLE runs sum to {int(counts.sum())}, expected {height}x{width}={height * width}")
    values = np.zeros(len(counts), bool)
    values[1::2] = True
    flat = np.repeat(values, counts)
    return flat.reshape(width, height).T


def fill_polygons(polygons: list[list[float]], height: int, width: int) -> np.ndarray:
    """COCO polygons (flat ``[x1, y1, x2, y2, ...]`` in pixel coordinates) filled into a mask."""
    import cv2

    canvas = np.zeros((height, width), np.uint8)
    shapes = [np.round(np.asarray(p, dtype=np.float64).reshape(-1, 2) * 16).astype(np.int32)
              for p in polygons if len(p) >= 6]
    if shapes:
        cv2.fillPoly(canvas, shapes, 1, lineType=cv2.LINE_8, shift=4)
    return canvas > 0


def annotation_mask(segmentation: Any, height: int, width: int) -> np.ndarray:
    """One COCO ``segmentation`` field (polygon list, RLE or uncompressed RLE) as a mask."""
    if isinstance(segmentation, list):
        return fill_polygons(segmentation, height, width)
    if isinstance(segmentation, dict):
        mask = decode_rle(segmentation)
        if mask.shape != (height, width):
            raise ValueError(f"RLE size {mask.shape} differs from the image's {height}x{width}")
        return mask
    raise ValueError(f"unsupported segmentation of type {type(segmentation).__name__}")


class CocoLabels:
    """Per-image label maps from a COCO annotation file, looked up by image file name.

    Each instance becomes one label; larger instances are painted first so smaller ones on top
    of them stay visible.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        try:
            data = json.loads(self.path.read_text())
            self.images = {Path(im["file_name"]).name: im for im in data["images"]}
            self.by_image: dict[Any, list[dict]] = {}
            for ann in data.get("annotations", []):
                self.by_image.setdefault(ann["image_id"], []).append(ann)
        except FileNotFoundError as exc:
            raise DataError(path, "COCO annotation file not found") from exc
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DataError(path, f"not a COCO annotation file ({type(exc).__name__}: {exc})") from exc

    def __contains__(self, file_name: str) -> bool:
        return Path(file_name).name in self.images

    def label_map(self, file_name: str) -> np.ndarray:
        """The instance label map of one image (0 = unannotated)."""
        info = self.images.get(Path(file_name).name)
        if info is None:
            raise DataError(self.path, f"has no image named {Path(file_name).name!r}")
        height, width = int(info["height"]), int(info["width"])
        labels = np.zeros((height, width), np.int32)
        anns = sorted(self.by_image.get(info["id"], []), key=lambda a: -float(a.get("area", 0)))
        for index, ann in enumerate(anns, start=1):
            try:
                labels[annotation_mask(ann["segmentation"], height, width)] = index
            except (KeyError, ValueError) as exc:
                raise DataError(self.path, f"annotation {ann.get('id', index)} of {info['file_name']}: {exc}") from exc
        return labels
