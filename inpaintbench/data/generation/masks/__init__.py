"""Mask generators (entry-point group ``inpaintbench.masks``): ``rect``, ``brush``, ``polygon``, ``object``.

Contract: a factory takes keyword options (``min_coverage``, ``max_coverage``, ``blur``,
``feather``, ...) and returns ``gen`` with ``gen(height, width, rng, labels=None) -> uint8 HxW``
soft mask 0..255, the mask used for blending (Gaussian-blurred like the provided data). The hard
ground truth is ``soft == 255`` (the ``full`` binarization); coverage bounds apply to it. The
same ``rng`` state gives the same mask. ``object`` needs ``labels`` (see ``objects``).
"""

from __future__ import annotations

from inpaintbench.data.generation.masks.base import MaskGenerator, MaskUnavailable, coverage, ground_truth, soften
from inpaintbench.data.generation.masks.objects import ObjectMasks
from inpaintbench.data.generation.masks.shapes import BrushMasks, PolygonMasks, RectMasks

__all__ = ["MaskGenerator", "MaskUnavailable", "coverage", "ground_truth", "soften", "ObjectMasks",
           "BrushMasks", "PolygonMasks", "RectMasks"]
