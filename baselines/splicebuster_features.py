"""Splicebuster's local features (Cozzolino, Poggi & Verdoliva, WIFS 2015, Sec. II).

The grey image's third-order high-pass residual along rows and along columns is quantized with
step ``q`` and truncated to ``[-T, T]`` (three levels for ``T = 1``); four consecutive values along
rows and along columns form co-occurrence codes, merged by sign and reversal symmetry (81 codes ->
25 classes), and the four residual x direction histograms are summed in two pairs (residual across
the co-occurrence direction, and along it): 50 features. They are counted in 8 x 8 blocks over
pixels away from saturation and averaged over 128 x 128 pixel windows (4 x 4 blocks in 64 x 64
windows for images up to 20000 pixels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import binary_erosion

from .cooccurrence import (
    WindowFeatures,
    block_counts,
    block_histograms,
    cooccurrence_codes,
    disk,
    opening,
    window_features,
)

#: The third-order derivative taps; the residual is their correlation with four consecutive pixels.
RESIDUAL_TAPS = np.array([1.0, -3.0, 3.0, -1.0])
#: The filter's largest coefficient: the quantization step is ``q * RESIDUAL_SCALE / 256``.
RESIDUAL_SCALE = 3.0
ORDER = 4
#: Grey levels (of 1) below / above which a pixel is saturated, with the disk radii that open them.
DARK, DARK_RADIUS = 6.0 / 256.0, 3
BRIGHT, BRIGHT_RADIUS = 252.0 / 256.0, 2
#: Codes reach this far from their pixel (residual taps 2 + co-occurrence 2): pixels within it of a
#: saturated one do not count.
RADIUS = 4


@dataclass(frozen=True)
class Settings:
    """The feature and model settings; ``for_size`` gives the authors' two presets."""

    q: float = 2.0
    t: int = 1
    stride: int = 8
    window: int = 128
    min_weight: float = 0.85
    dims: int = 25
    replicates: int = 30

    @staticmethod
    def for_size(pixels: int, **overrides) -> Settings:
        """8 px blocks in 128 px windows, or 4 px blocks in 64 px windows up to 20000 pixels."""
        small = {"stride": 4, "window": 64} if pixels <= 20000 else {}
        return Settings(**{**small, **overrides})


def residuals(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Third-order residuals along rows and along columns, both ``(H - 4) x (W - 4)``; entry ``(i, j)``
    belongs to pixel ``(i + 2, j + 2)``."""
    h, w = grey.shape[0] - 4, grey.shape[1] - 4
    rows = sum(tap * grey[2:2 + h, 1 + k:1 + k + w] for k, tap in enumerate(RESIDUAL_TAPS))
    cols = sum(tap * grey[1 + k:1 + k + h, 2:2 + w] for k, tap in enumerate(RESIDUAL_TAPS))
    return rows, cols


def quantize(residual: np.ndarray, q: float, t: int) -> np.ndarray:
    """Index ``0..2t`` of ``residual / step`` rounded half away from zero and truncated to ``[-t, t]``."""
    x = residual / (q * RESIDUAL_SCALE / 256.0)
    rounded = np.sign(x) * np.floor(np.abs(x) + 0.5)
    return (np.clip(rounded, -t, t) + t).astype(np.int64)


def symmetry_classes(levels: int, order: int) -> np.ndarray:
    """For every code, its class under negation (``v -> levels - 1 - v``) and reversal, numbered 0..n-1."""
    codes = np.arange(levels ** order)
    digits = (codes[:, None] // levels ** np.arange(order)) % levels
    weights = levels ** np.arange(order)
    variants = [digits, levels - 1 - digits, digits[:, ::-1], levels - 1 - digits[:, ::-1]]
    representative = np.min([v @ weights for v in variants], axis=0)
    return np.unique(representative, return_inverse=True)[1]


def usable_pixels(grey: np.ndarray) -> np.ndarray:
    """Pixels farther than ``RADIUS`` from opened saturated-dark or saturated-bright areas."""
    saturated = opening(grey < DARK, disk(DARK_RADIUS)) | opening(grey > BRIGHT, disk(BRIGHT_RADIUS))
    return binary_erosion(~saturated, np.ones((2 * RADIUS + 1,) * 2, dtype=bool), border_value=1)


def splicebuster_features(grey: np.ndarray, settings: Settings) -> WindowFeatures:
    """The square-rooted windowed co-occurrence histograms of a grey image in [0, 1) (8-bit / 256)."""
    levels = 2 * settings.t + 1
    classes = symmetry_classes(levels, ORDER)
    bins = int(classes.max()) + 1
    valid = usable_pixels(grey)[RADIUS:-RADIUS, RADIUS:-RADIUS]
    along_rows, along_cols = (quantize(r, settings.q, settings.t) for r in residuals(grey))

    def counts(q: np.ndarray, along: int) -> np.ndarray:
        return block_counts(classes[cooccurrence_codes(q, levels, ORDER, along)], valid, settings.stride, bins)

    across = counts(along_cols, 1) + counts(along_rows, 0)
    aligned = counts(along_rows, 1) + counts(along_cols, 0)
    hist, share = block_histograms(np.concatenate([across, aligned], axis=-1), across.sum(-1) / 2, settings.stride)
    win = window_features(hist, share, settings.window // settings.stride, settings.stride, offset=RADIUS)
    return WindowFeatures(np.sqrt(win.features), win.weight, win.centres0, win.centres1)
