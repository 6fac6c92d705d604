"""Noiseprint's blind localization (Cozzolino & Verdoliva, TIFS 2020, Sec. V): the Splicebuster
machinery of ``blind_em`` run on the noiseprint instead of a hand-made residual.

The noiseprint is quantized to four levels, co-occurrences of four neighbours along rows and
along columns are counted in 8 x 8 blocks (256 + 256 bins), averaged over 64 x 64 pixel windows
at a stride of 8, square-rooted, reduced to 32 whitened principal components and fitted by the
Gaussian-uniform EM. Pixels in flat areas (low local variance of the noiseprint) or in bright
saturated areas, widened by 35 px, do not count.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter, uniform_filter

from .blind_em import BlindMap, blind_map
from .cooccurrence import (
    WindowFeatures,
    block_counts,
    block_histograms,
    cooccurrence_codes,
    disk,
    opening,
    window_features,
)

#: The four quantization levels of the noiseprint; a value takes the nearest.
LEVELS = np.array([-0.8, -0.28, 0.16, 0.7])
#: Co-occurrence order: this many consecutive quantized values make one code.
ORDER = 4
STRIDE = 8
WINDOW = 64
#: A window counts when at least this share of its pixels is usable.
MIN_WEIGHT = 0.95
#: Windows dropped on each side of the grid after averaging.
MARGIN = 2
DIMS = 32
REPLICATES = 10
#: Local variance (5 x 5) of the noiseprint below which a pixel is flat, and the side of the
#: square by which flat or saturated pixels are widened.
FLAT_VARIANCE = 0.005
VARIANCE_WINDOW = 5
WIDEN = 35
#: Grey level (of 1) above which a pixel is saturated white, and the radius of the disk that opens it.
BRIGHT = 253.0 / 256.0
BRIGHT_RADIUS = 3


def usable_pixels(residual: np.ndarray, grey: np.ndarray) -> np.ndarray:
    """Pixels whose neighbourhood is neither flat in the noiseprint nor saturated white, nor near them."""
    mean = uniform_filter(residual, VARIANCE_WINDOW)
    flat = uniform_filter(residual * residual, VARIANCE_WINDOW) - mean * mean < FLAT_VARIANCE
    flat[[0, -1], :] = True
    flat[:, [0, -1]] = True
    bad = flat | opening(grey > BRIGHT, disk(BRIGHT_RADIUS))
    return ~maximum_filter(bad, WIDEN)


def quantize(residual: np.ndarray) -> np.ndarray:
    """Index 0..3 of the nearest of ``LEVELS`` for each value."""
    thresholds = (LEVELS[1:] + LEVELS[:-1]) / 2
    return (residual[..., None] > thresholds).sum(-1)


def noiseprint_features(residual: np.ndarray, grey: np.ndarray) -> WindowFeatures:
    """Window features of a noiseprint (float32 ``H x W``) and its grey image (in [0, 1))."""
    usable = usable_pixels(residual, grey)
    q = quantize(residual)
    mid = ORDER // 2
    valid = usable[mid:mid + q.shape[0] - ORDER, mid:mid + q.shape[1] - ORDER]
    bins = len(LEVELS) ** ORDER
    counts = [block_counts(cooccurrence_codes(q, len(LEVELS), ORDER, along), valid, STRIDE, bins)
              for along in (1, 0)]
    hist, share = block_histograms(np.concatenate(counts, axis=-1), counts[0].sum(-1), STRIDE)
    win = window_features(hist, share, WINDOW // STRIDE, STRIDE, offset=mid)
    return WindowFeatures(np.sqrt(np.abs(win.features)), win.weight, win.centres0, win.centres1).crop(MARGIN)


def noiseprint_blind_map(residual: np.ndarray, grey: np.ndarray, seed: int = 0) -> BlindMap:
    """The blind map of a noiseprint: the Gaussian-uniform EM on its local co-occurrence features."""
    return blind_map(noiseprint_features(residual, grey), min_weight=MIN_WEIGHT, dims=DIMS,
                     replicates=REPLICATES, seed=seed)
