"""Local co-occurrence histograms of a quantized residual (the features of Splicebuster, Cozzolino,
Poggi & Verdoliva, WIFS 2015), shared by ``splicebuster`` and ``noiseprint``'s blind map.

A residual quantized to a few levels is read as integer codes of ``order`` consecutive values
along rows or columns; the codes are counted in non-overlapping blocks over usable pixels, and
the block histograms are averaged over sliding windows of whole blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import binary_dilation, binary_erosion, uniform_filter1d


def disk(radius: int) -> np.ndarray:
    """A boolean disk footprint of the given radius (``x^2 + y^2 <= r^2``)."""
    y, x = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    return x * x + y * y <= radius * radius


def opening(mask: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """Binary opening where the outside counts as set for the erosion and unset for the dilation."""
    return binary_dilation(binary_erosion(mask, footprint, border_value=1), footprint, border_value=0)


def cooccurrence_codes(q: np.ndarray, levels: int, order: int, along: int) -> np.ndarray:
    """Codes ``sum_p q[.. + p ..] * levels**p`` of ``order`` neighbours along axis ``along`` (0: down a
    column, 1: along a row), on the middle line of the ``order + 1`` wide neighbourhood; both sides lose
    ``order`` (code ``(i, j)`` sits at ``q[i + order // 2, j + order // 2]``)."""
    h, w = q.shape[0] - order, q.shape[1] - order
    mid = order // 2
    codes = np.zeros((h, w), dtype=np.int64)
    for p in range(order):
        part = q[p:p + h, mid:mid + w] if along == 0 else q[mid:mid + h, p:p + w]
        codes += part.astype(np.int64) * levels ** p
    return codes


def block_counts(codes: np.ndarray, valid: np.ndarray, stride: int, bins: int) -> np.ndarray:
    """Counts ``[n0, n1, bins]`` of integer ``codes`` (0..bins-1) over the non-overlapping
    ``stride`` x ``stride`` blocks from the top-left corner (a ragged edge is dropped), valid pixels only."""
    n0, n1 = codes.shape[0] // stride, codes.shape[1] // stride
    c = codes[:n0 * stride, :n1 * stride].astype(np.int64)
    keep = valid[:n0 * stride, :n1 * stride]
    rows = np.arange(n0 * stride) // stride
    cols = np.arange(n1 * stride) // stride
    block = rows[:, None] * n1 + cols[None, :]
    flat = (block * bins + c)[keep]
    return np.bincount(flat, minlength=n0 * n1 * bins).reshape(n0, n1, bins)


def block_histograms(counts: np.ndarray, valid_count: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Each block's counts divided by its number of valid pixels (zeros where it has none), float32,
    and the valid share of each block."""
    hist = counts / np.maximum(valid_count, 1e-20)[..., None]
    return hist.astype(np.float32), (valid_count / float(stride * stride)).astype(np.float32)


def box_mean_valid(a: np.ndarray, k: int) -> np.ndarray:
    """Means over every ``k`` x ``k`` window of blocks that lies wholly inside the grid (axes 0 and 1)."""
    for axis in (0, 1):
        n = a.shape[axis]
        a = uniform_filter1d(a, k, axis=axis, mode="constant")
        a = np.take(a, np.arange(k // 2, n - k + k // 2 + 1), axis=axis)
    return a


@dataclass(frozen=True)
class WindowFeatures:
    """Local features on a grid of sliding windows: ``features [n0, n1, F]``, the valid share of each
    window's pixels ``weight [n0, n1]``, and the image row and column of each window's centre."""

    features: np.ndarray
    weight: np.ndarray
    centres0: np.ndarray
    centres1: np.ndarray

    def crop(self, margin: int) -> WindowFeatures:
        """The grid without ``margin`` windows on each side."""
        if margin == 0:
            return self
        cut = slice(margin, -margin)
        return WindowFeatures(self.features[cut, cut], self.weight[cut, cut], self.centres0[cut], self.centres1[cut])


def window_features(hist: np.ndarray, share: np.ndarray, window_blocks: int, stride: int,
                    offset: int) -> WindowFeatures:
    """Average block histograms over ``window_blocks`` x ``window_blocks`` blocks (windows wholly inside),
    normalised by the windows' mean valid share. ``offset`` is the image row/column of the codes' (0, 0)."""
    weight = np.maximum(box_mean_valid(share, window_blocks), 0.0)
    feats = np.maximum(box_mean_valid(hist, window_blocks), 0.0) / np.maximum(weight, 1e-20)[..., None]
    span = stride * window_blocks

    def centres(n: int) -> np.ndarray:
        return offset + stride * np.arange(n) + (span - 1) / 2.0

    return WindowFeatures(feats, weight, centres(feats.shape[0]), centres(feats.shape[1]))
