"""The a-contrario decisions of ZERO (Nikoukhah et al., IPOL 2021) on a vote map: the image's main JPEG
grid, and regions that vote for another grid (or, after a JPEG round trip, for none).

Under the null hypothesis every vote is uniform over the 64 grid origins (p = 1/64). Votes come in
correlated 8x8 groups, so n and k below count pixels divided by 64. The number of tests is
``NT = 64^2 X^2 Y^2`` (grids times possible rectangles); a detection is meaningful when
``NFA = NT * P[Binomial(n, p) >= k] < 1``.

- main grid: the most voted origin, with ``n = XY/64`` and ``k`` its votes / 64;
- regions: pixels voting for one origin (other than the excluded one), joined when within Chebyshev
  distance 9 of each other; at least ``ceil(64 log10 NT / log10 64)`` pixels; ``n`` = area of
  their bounding box / 64, ``k`` = their number / 64;
- the region mask is regularised by a closing with a 19 x 19 square whose centres stay 9 pixels
  inside the image (as the authors' program does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .acontrario import log_binom_tail

P_GRID = 1 / 64
#: Chebyshev distance joining two votes of the same grid into one region.
JOIN = 9
#: Terms of the binomial tail summed in logs (the terms fall geometrically that far in the tail).
TAIL_TERMS = 4000


def log_nt(height: int, width: int) -> float:
    """log10 of the number of tests: 64 grids squared times all rectangles of a ``height`` x ``width`` image."""
    return 2 * math.log10(64) + 2 * math.log10(width) + 2 * math.log10(height)


def log_nfa(n: int, k: int, lnt: float, p: float = P_GRID) -> float:
    """``log10(NT * P[Binomial(n, p) >= k])``, exact (no underflow) far in the tail."""
    if n <= 0 or k <= 0:
        return lnt
    return lnt + log_binom_tail(min(k, n), n, p, TAIL_TERMS) / math.log(10)


def min_region_size(lnt: float) -> int:
    """The fewest votes that can make a meaningful region: ``ceil(64 log10 NT / log10 64)``."""
    return math.ceil(64 * lnt / math.log10(64))


@dataclass(frozen=True)
class GridRegion:
    """A region voting for ``grid`` (origin ``(grid % 8, grid // 8)`` as (x, y)), its bounding box (inclusive
    pixel coordinates) and log10 NFA; ``meaningful`` when ``lnfa < 0``."""

    grid: int
    lnfa: float
    x0: int
    y0: int
    x1: int
    y1: int
    size: int

    @property
    def meaningful(self) -> bool:
        return self.lnfa < 0


def main_grid(votes: np.ndarray) -> tuple[int, np.ndarray]:
    """The image's main grid (``-1`` when none is meaningful) and the log10 NFA of each of the 64 grids.
    The most voted grid is the candidate (the lowest index among equal counts)."""
    h, w = votes.shape
    counts = np.bincount(votes[votes >= 0].ravel(), minlength=64)
    lnt = log_nt(h, w)
    lnfa = np.array([log_nfa(h * w // 64, int(c) // 64, lnt) for c in counts])
    best = int(np.argmax(counts))
    return (best if counts[best] > 0 and lnfa[best] < 0 else -1), lnfa


def grid_regions(votes: np.ndarray, grids: list[int]) -> tuple[list[GridRegion], np.ndarray]:
    """Every candidate region (at least the minimal size) voting for one of ``grids``, and the mask of
    the pixels of the meaningful ones (before regularisation)."""
    h, w = votes.shape
    lnt = log_nt(h, w)
    smallest = min_region_size(lnt)
    mask = np.zeros((h, w), dtype=bool)
    found: list[GridRegion] = []
    near = np.ones((3, 3), dtype=bool)
    for grid in grids:
        own = votes == grid
        if own.sum() < smallest:
            continue
        # squares of side 9 around two votes touch (8-connected) exactly when the votes are within 9
        labels, _ = ndimage.label(ndimage.maximum_filter(own, size=JOIN), structure=near)
        labels = np.where(own, labels, 0)
        sizes = np.bincount(labels.ravel())
        for label, box in enumerate(ndimage.find_objects(labels), start=1):
            if box is None or sizes[label] < smallest:
                continue
            area = (box[0].stop - box[0].start) * (box[1].stop - box[1].start)
            region = GridRegion(grid, log_nfa(area // 64, int(sizes[label]) // 64, lnt),
                                box[1].start, box[0].start, box[1].stop - 1, box[0].stop - 1, int(sizes[label]))
            found.append(region)
            if region.meaningful:
                mask |= labels == label
    return found, mask


def regularise(mask: np.ndarray) -> np.ndarray:
    """Closing of ``mask`` by a (2*9+1)-pixel square, centres restricted to 9 pixels inside the border."""
    h, w = mask.shape
    inside = np.zeros_like(mask)
    inside[JOIN:h - JOIN, JOIN:w - JOIN] = True
    side = 2 * JOIN + 1
    dilated = ndimage.maximum_filter(mask & inside, size=side, mode="constant", cval=False)
    return dilated & ~ndimage.maximum_filter(inside & ~dilated, size=side, mode="constant", cval=False)
