"""What a gallery needs, kept while the evaluation runs: the pixels of the images that may turn out to be
a split's k worst or k best, so that drawing the gallery needs no second prediction.

Images are ranked as ``jobs._gallery.choose`` ranks them: scored manipulated images (non-empty truth,
a defined metric) by ``(metric, the other gallery metric, position in the split)``. A split keeps at
most its k lowest and its k highest candidates at any time; every image of the final gallery is among
them, since an image among the k lowest (highest) of all splits is among the k lowest (highest) of its
own split. Kept pixels are shrunk for display (``DISPLAY_SIDE``), so a 100-megapixel photo costs the
gallery a few hundred kilobytes, not gigabytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from inpaintbench.evaluation.metrics import per_image_metrics
from inpaintbench.io import distributed

#: The per-image metrics a gallery can rank by.
GALLERY_METRICS = ("iou", "f1_best")
#: Longest side of the kept pixels: about twice what a gallery panel shows. Larger images are shrunk
#: by area averaging (the image, the heatmap, and the truth as the covered share of each display pixel).
DISPLAY_SIDE = 512


@dataclass(frozen=True)
class KeptImage:
    """One candidate: its rank key, position in the split's records, id, and display pixels (image
    ``HxWx3`` uint8, truth ``HxW`` float32 share in [0, 1], heatmap ``HxW`` float32)."""

    key: tuple[float, float, int]
    index: int
    id: str
    image: np.ndarray
    truth: np.ndarray
    heat: np.ndarray


def tie_break(metric: str) -> str:
    """The gallery metric that breaks ties of ``metric``."""
    return next(m for m in GALLERY_METRICS if m != metric)


def display(x: torch.Tensor, band: int = 64) -> torch.Tensor:
    """``[C,H,W]`` (any dtype) as float32 shrunk by an integer factor, averaging each factor x factor block
    (the last ones clipped at the edge), so that its longer side is at most ``DISPLAY_SIDE``; converted
    ``band`` display rows at a time, so a very large image is never held as float."""
    h, w = x.shape[-2:]
    factor = max(1, math.ceil(max(h, w) / DISPLAY_SIDE))
    if factor == 1:
        return x.float()
    rows = band * factor
    return torch.cat([F.avg_pool2d(x[None, :, r:r + rows].float(), factor, ceil_mode=True)[0]
                      for r in range(0, h, rows)], 1)


class Extremes:
    """The k lowest and k highest scored manipulated images of one split seen so far, with their pixels."""

    def __init__(self, k: int, metric: str = "iou") -> None:
        if metric not in GALLERY_METRICS:
            raise ValueError(f"gallery metric {metric!r}: choose one of {', '.join(GALLERY_METRICS)}")
        self.k, self.metric = k, metric
        self.kept: list[KeptImage] = []

    def offer(self, batch: dict, heat: torch.Tensor, counts: torch.Tensor, hists: torch.Tensor) -> None:
        """Consider a batch's images: ``counts [B,4]`` and ``hists [B,2,bins]`` are the ones ``MetricState``
        stored for them; only images that may still be among the k lowest or highest are copied."""
        if self.k < 1:
            return
        per = per_image_metrics(counts.cpu(), hists.cpu())
        values, ties = per[self.metric].tolist(), per[tie_break(self.metric)].tolist()
        for i, index in enumerate(batch["index"]):
            scored = batch["manipulated"][i] and int(counts[i, 0] + counts[i, 2]) > 0 and not math.isnan(values[i])
            key = (values[i], ties[i], index)
            if scored and self._may_keep(key):
                h, w = batch["size"][i]
                self.kept.append(self._copy(key, index, batch["id"][i], batch["image"][i, :, :h, :w],
                                            batch["target"][i, :, :h, :w], heat[i, :, :h, :w]))
                self._prune()

    def _may_keep(self, key: tuple[float, float, int]) -> bool:
        keys = sorted(c.key for c in self.kept)
        return len(keys) < 2 * self.k or key < keys[self.k - 1] or key > keys[-self.k]

    def _prune(self) -> None:
        ordered = sorted(self.kept, key=lambda c: c.key)
        self.kept = ordered if len(ordered) <= 2 * self.k else ordered[:self.k] + ordered[-self.k:]

    @staticmethod
    def _copy(key: tuple[float, float, int], index: int, sample_id: str, image: torch.Tensor, target: torch.Tensor,
              heat: torch.Tensor) -> KeptImage:
        rgb = display(image.cpu()) / (255 if image.dtype == torch.uint8 else 1)
        rgb = (rgb.permute(1, 2, 0).clamp(0, 1) * 255).round().to(torch.uint8).numpy()
        return KeptImage(key, index, sample_id, rgb, display(target.cpu())[0].numpy(), display(heat.cpu())[0].numpy())

    def merged(self) -> Extremes:
        """The candidates of every rank (under torchrun), pruned again: the whole split's extremes."""
        out = Extremes(self.k, self.metric)
        out.kept = [c for part in distributed.all_gather(self.kept) for c in part]
        out._prune()
        return out

    def get(self, index: int) -> KeptImage:
        """The kept image at ``index`` in the split's records (``KeyError`` if it was not kept)."""
        for c in self.kept:
            if c.index == index:
                return c
        raise KeyError(index)
