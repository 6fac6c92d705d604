"""Object-shaped masks: one segment, of an area within the coverage bounds, from the source
image's label maps (BSDS500 human segmentations, COCO annotations or a segmentation model).

The image's label maps are passed per call: ``gen(height, width, rng, labels=[map, ...])``
(each map ``HxW`` int, 0 = no segment). Without human labels, ``gen.labels_for(image)`` runs the
configured segmenter on a uint8 RGB image: ``felzenszwalb`` (scikit-image graph segmentation,
offline, region-shaped rather than object-shaped), ``maskrcnn`` (torchvision) or ``yolo``
(ultralytics).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inpaintbench.data.generation.masks.base import MaskGenerator, MaskUnavailable, coverage, soften

SEGMENTERS = ("none", "felzenszwalb", "maskrcnn", "yolo")
#: Felzenszwalb scales at 256 px (scaled with the image): three granularities, three label maps.
FELZENSZWALB_SCALES = (150, 400, 1000)


class ObjectMasks(MaskGenerator):
    """A segment whose area is within the coverage bounds, from the image's label maps.

    Candidates are every non-zero label of every map whose area fraction lies in the bounds;
    they are tried in a seeded random order and the first whose softened ground truth also
    meets the bounds is returned.
    """

    name = "object"

    def __init__(self, *, min_coverage: float = 0.03, max_coverage: float = 0.30, blur: float = 3.0,
                 feather: str = "outside", segmenter: str = "none", segmenter_weights: str | None = None,
                 score_threshold: float = 0.5, max_tries: int = 200) -> None:
        super().__init__(min_coverage=min_coverage, max_coverage=max_coverage, blur=blur,
                         feather=feather, max_tries=max_tries)
        if segmenter not in SEGMENTERS:
            from inpaintbench.sdk.registry import unknown_name_error

            raise unknown_name_error("segmenters", segmenter, list(SEGMENTERS))
        self.segmenter = segmenter
        self.segmenter_weights = segmenter_weights
        self.score_threshold = float(score_threshold)
        self._model: Any = None

    def __call__(self, height: int, width: int, rng: np.random.Generator,
                 labels: Sequence[np.ndarray] | np.ndarray | None = None) -> np.ndarray:
        if labels is None:
            raise ValueError("object masks need the source image's segmentation: call "
                             "gen(height, width, rng, labels=[label maps]) (BSDS500 groundTruth, COCO "
                             "annotations) or get them with gen.labels_for(image) and a segmenter")
        maps = [np.asarray(labels)] if isinstance(labels, np.ndarray) and labels.ndim == 2 \
            else [np.asarray(m) for m in labels]
        for m in maps:
            if m.shape != (height, width):
                raise ValueError(f"label map of shape {m.shape} does not match the mask size {height}x{width}")
        candidates = []
        for index, m in enumerate(maps):
            values, counts = np.unique(m, return_counts=True)
            fractions = counts / m.size
            keep = (values != 0) & (fractions >= self.min_coverage) & (fractions <= self.max_coverage)
            candidates.extend((index, int(v)) for v in values[keep])
        for pick in rng.permutation(len(candidates))[: self.max_tries]:
            index, value = candidates[pick]
            soft = soften(maps[index] == value, self.blur, self.feather)
            if self.min_coverage <= coverage(soft) <= self.max_coverage:
                return soft
        raise MaskUnavailable(f"object masks: none of {len(maps)} label map(s) has a segment covering "
                              f"{self.min_coverage:.0%}..{self.max_coverage:.0%} of the image")

    # -- model-based segmentation ------------------------------------------------------------
    def labels_for(self, image: np.ndarray) -> list[np.ndarray]:
        """Instance label maps of a uint8 RGB ``HxWx3`` image from the configured segmenter."""
        if self.segmenter == "none":
            raise ValueError("object masks: this image has no human segmentation and no segmenter is "
                             "configured (pass segmenter='felzenszwalb', 'maskrcnn' or 'yolo', or use a source with "
                             "BSDS500 groundTruth or COCO annotations)")
        if self.segmenter == "felzenszwalb":
            return felzenszwalb_labels(image)
        masks, scores = (self._maskrcnn if self.segmenter == "maskrcnn" else self._yolo)(image)
        labels = np.zeros(image.shape[:2], np.int32)
        keep = [i for i in np.argsort([-m.sum() for m in masks]) if scores[i] >= self.score_threshold]
        for value, i in enumerate(keep, start=1):
            labels[masks[i]] = value
        return [labels]

    def _maskrcnn(self, image: np.ndarray) -> tuple[list[np.ndarray], list[float]]:
        import torch

        if self._model is None:
            self._model = load_maskrcnn(self.segmenter_weights)
        x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div(255)
        with torch.no_grad():
            out = self._model([x])[0]
        masks = [m[0].numpy() > 0.5 for m in out["masks"]]
        return masks, [float(s) for s in out["scores"]]

    def _yolo(self, image: np.ndarray) -> tuple[list[np.ndarray], list[float]]:
        try:
            from ultralytics import YOLO
        except ImportError as exc:
            raise RuntimeError("segmenter 'yolo' needs the ultralytics package (pip install ultralytics)") from exc
        if not self.segmenter_weights or not Path(self.segmenter_weights).is_file():
            raise RuntimeError(f"segmenter 'yolo' needs local segmentation weights: segmenter_weights="
                               f"{self.segmenter_weights!r} is not a file (e.g. yolov8n-seg.pt)")
        if self._model is None:
            self._model = YOLO(self.segmenter_weights)
        result = self._model(image[..., ::-1], verbose=False)[0]
        if result.masks is None:
            return [], []
        import cv2

        h, w = image.shape[:2]
        masks = [cv2.resize(m.cpu().numpy().astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
                 for m in result.masks.data]
        return masks, [float(s) for s in result.boxes.conf]

    def options(self) -> dict[str, Any]:
        extra = {"segmenter": self.segmenter} if self.segmenter != "none" else {}
        return {**super().options(), **extra}


def felzenszwalb_labels(image: np.ndarray) -> list[np.ndarray]:
    """Label maps (from 1) of Felzenszwalb-Huttenlocher segmentations at three scales."""
    from skimage.segmentation import felzenszwalb

    factor = float(np.sqrt(image.shape[0] * image.shape[1])) / 256
    return [felzenszwalb(image, scale=s * factor, sigma=0.8, min_size=int(64 * factor ** 2)).astype(np.int32) + 1
            for s in FELZENSZWALB_SCALES]


def load_maskrcnn(weights: str | None = None):
    """torchvision Mask R-CNN (ResNet-50 FPN v2) from a local state dict or the torchvision cache."""
    import torch
    from torchvision.models.detection import MaskRCNN_ResNet50_FPN_V2_Weights, maskrcnn_resnet50_fpn_v2

    from inpaintbench.sdk import read_weights

    if weights:
        if not Path(weights).is_file():
            raise FileNotFoundError(f"Mask R-CNN weights {weights!r}: file not found")
        state = read_weights(weights, "Mask R-CNN segmenter_weights")
    else:
        url = MaskRCNN_ResNet50_FPN_V2_Weights.DEFAULT.url
        try:
            state = torch.hub.load_state_dict_from_url(url, map_location="cpu", progress=False,
                                                       check_hash=True, weights_only=True)
        except (OSError, RuntimeError, ValueError) as exc:
            raise RuntimeError(f"Mask R-CNN weights are not in the torch hub cache ({torch.hub.get_dir()}) "
                               f"and could not be downloaded from {url} (offline?): {exc}. Pass "
                               "segmenter_weights=FILE with a local state dict instead.") from exc
    model = maskrcnn_resnet50_fpn_v2(weights=None, weights_backbone=None)
    model.load_state_dict(state)
    return model.eval()
