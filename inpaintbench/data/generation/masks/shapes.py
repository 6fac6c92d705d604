"""Geometric mask generators: ``rect`` (the provided set's recipe), ``brush`` (DeepFill v2
free-form strokes) and ``polygon`` (random star-shaped polygons)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from inpaintbench.data.generation.masks.base import MaskGenerator


class RectMasks(MaskGenerator):
    """Random rectangles, sides in [min_side, side/2], Gaussian-blurred (the provided recipe).

    The rectangle's centre is uniform over the image and the rectangle is clipped to it; with
    ``feather="centred"`` the ground truth is the part still fully set after the blur.
    """

    name = "rect"

    def __init__(self, *, min_side: int = 64, max_fraction: float = 0.5, min_coverage: float = 0.0,
                 max_coverage: float = 1.0, blur: float = 3.0, feather: str = "centred",
                 max_tries: int = 200) -> None:
        super().__init__(min_coverage=min_coverage, max_coverage=max_coverage, blur=blur,
                         feather=feather, max_tries=max_tries)
        if min_side < 1 or not 0 < max_fraction <= 1:
            raise ValueError(f"rect masks: need min_side >= 1 and 0 < max_fraction <= 1, "
                             f"got {min_side}, {max_fraction}")
        self.min_side = int(min_side)
        self.max_fraction = float(max_fraction)

    def draw(self, height: int, width: int, rng: np.random.Generator,
             labels: Sequence[np.ndarray] | None) -> np.ndarray:
        def side(extent: int) -> int:
            hi = max(1, int(extent * self.max_fraction))
            return int(rng.integers(min(self.min_side, hi), hi + 1))

        h, w = side(height), side(width)
        cy, cx = rng.uniform(0, height), rng.uniform(0, width)
        top, left = int(round(cy - h / 2)), int(round(cx - w / 2))
        shape = np.zeros((height, width), bool)
        shape[max(0, top):max(0, top + h), max(0, left):max(0, left + w)] = True
        return shape

    def options(self) -> dict[str, Any]:
        return {"min_side": self.min_side, "max_fraction": self.max_fraction, **super().options()}


class BrushMasks(MaskGenerator):
    """Free-form brush strokes after DeepFill v2 (Yu et al., Free-Form Image Inpainting with Gated Convolution).

    1-3 strokes of 4-11 vertices, alternating angles around 2*pi/5
    (range 2*pi/15), segment length ~ N(diag/8, diag/16) clipped to [0, diag/4], width 12-39 px
    at 256 px scaled by sqrt(H*W)/256, a disc at every vertex."""

    name = "brush"

    def __init__(self, *, min_strokes: int = 1, max_strokes: int = 3, min_vertices: int = 4,
                 max_vertices: int = 11, min_width: float = 12, max_width: float = 39,
                 mean_angle: float = 2 * math.pi / 5, angle_range: float = 2 * math.pi / 15,
                 min_coverage: float = 0.02, max_coverage: float = 0.5, blur: float = 3.0,
                 feather: str = "outside", max_tries: int = 200) -> None:
        super().__init__(min_coverage=min_coverage, max_coverage=max_coverage, blur=blur,
                         feather=feather, max_tries=max_tries)
        if not (1 <= min_strokes <= max_strokes and 2 <= min_vertices <= max_vertices
                and 0 < min_width <= max_width):
            raise ValueError("brush masks: need 1 <= min_strokes <= max_strokes, "
                             "2 <= min_vertices <= max_vertices and 0 < min_width <= max_width")
        self.strokes = (int(min_strokes), int(max_strokes))
        self.vertices = (int(min_vertices), int(max_vertices))
        self.widths = (float(min_width), float(max_width))
        self.mean_angle = float(mean_angle)
        self.angle_range = float(angle_range)

    def draw(self, height: int, width: int, rng: np.random.Generator,
             labels: Sequence[np.ndarray] | None) -> np.ndarray:
        import cv2

        canvas = np.zeros((height, width), np.uint8)
        diag = math.hypot(height, width)
        scale = math.sqrt(height * width) / 256.0
        mean_len = diag / 8
        for _ in range(int(rng.integers(self.strokes[0], self.strokes[1] + 1))):
            n = int(rng.integers(self.vertices[0], self.vertices[1] + 1))
            lo = self.mean_angle - rng.uniform(0, self.angle_range)
            hi = self.mean_angle + rng.uniform(0, self.angle_range)
            thickness = max(1, int(round(rng.uniform(self.widths[0], self.widths[1] + 1) * scale)))
            x, y = rng.uniform(0, width), rng.uniform(0, height)
            points = [(x, y)]
            for i in range(n - 1):
                angle = rng.uniform(lo, hi)
                if i % 2 == 0:
                    angle = 2 * math.pi - angle
                length = float(np.clip(rng.normal(mean_len, mean_len / 2), 0, 2 * mean_len))
                x = float(np.clip(x + length * math.cos(angle), 0, width - 1))
                y = float(np.clip(y + length * math.sin(angle), 0, height - 1))
                points.append((x, y))
            pts = [(int(round(px)), int(round(py))) for px, py in points]
            for a, b in zip(pts[:-1], pts[1:]):
                cv2.line(canvas, a, b, 1, thickness)
            for p in pts:
                cv2.circle(canvas, p, thickness // 2, 1, -1)
        return canvas > 0

    def options(self) -> dict[str, Any]:
        return {"strokes": list(self.strokes), "vertices": list(self.vertices), "widths": list(self.widths),
                "mean_angle": round(self.mean_angle, 6), "angle_range": round(self.angle_range, 6),
                **super().options()}


class PolygonMasks(MaskGenerator):
    """Random simple polygons, star-shaped around a centre, sized to the coverage bounds.

    Vertices lie at sorted, jittered angles with random radii; the polygon is scaled to a
    coverage drawn uniformly from the bounds."""

    name = "polygon"

    def __init__(self, *, min_vertices: int = 5, max_vertices: int = 12, irregularity: float = 0.5,
                 min_coverage: float = 0.05, max_coverage: float = 0.35, blur: float = 3.0,
                 feather: str = "outside", max_tries: int = 200) -> None:
        super().__init__(min_coverage=min_coverage, max_coverage=max_coverage, blur=blur,
                         feather=feather, max_tries=max_tries)
        if not 3 <= min_vertices <= max_vertices or not 0 <= irregularity < 1:
            raise ValueError("polygon masks: need 3 <= min_vertices <= max_vertices and 0 <= irregularity < 1")
        self.vertices = (int(min_vertices), int(max_vertices))
        self.irregularity = float(irregularity)

    def draw(self, height: int, width: int, rng: np.random.Generator,
             labels: Sequence[np.ndarray] | None) -> np.ndarray:
        import cv2

        n = int(rng.integers(self.vertices[0], self.vertices[1] + 1))
        target = rng.uniform(max(self.min_coverage, 1e-3), max(self.max_coverage, 1e-3)) * height * width
        # angles: evenly spaced with jitter, so the star stays simple (sorted, distinct)
        angles = np.sort((np.arange(n) + rng.uniform(-0.4, 0.4, n)) * 2 * math.pi / n + rng.uniform(0, 2 * math.pi))
        radii = rng.uniform(1 - self.irregularity, 1.0, n)
        gaps = np.diff(np.append(angles, angles[0] + 2 * math.pi))
        unit_area = 0.5 * float(np.sum(radii * np.roll(radii, -1) * np.sin(gaps)))
        size = math.sqrt(target / max(unit_area, 1e-6))
        reach = size * radii.max()
        cy = rng.uniform(min(reach, height / 2), max(height - reach, height / 2))
        cx = rng.uniform(min(reach, width / 2), max(width - reach, width / 2))
        pts = np.stack([cx + size * radii * np.cos(angles), cy + size * radii * np.sin(angles)], 1)
        canvas = np.zeros((height, width), np.uint8)
        cv2.fillPoly(canvas, [np.round(pts * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
        return canvas > 0

    def options(self) -> dict[str, Any]:
        return {"vertices": list(self.vertices), "irregularity": self.irregularity, **super().options()}
