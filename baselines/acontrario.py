"""Noisesniffer's a-contrario test: is a cell's (or region's) share of the quietest blocks too high to be chance?

Background model H0 (no forgery): each block of V lies in S with probability ``m``, independently
up to overlap, which the authors account for by counting blocks in units of ``w^2`` (a ``w x w``
block overlaps ``w^2`` others' origins). For a region with N blocks of V and K of S the tail is

    P[X >= floor(K / w^2)],  X ~ Binomial(ceil(N / w^2), m)

and the number of false alarms is that tail times the number of tests. IPOL 2024 (region growing):
tests = 0.5 * w^2 * (H*W / W_cell^2)^2 * P(R), with P(R) = 0.316915 / R * 4.062570^R the count of
polyominoes of R cells. IWBF 2021 (single cells): tests = w^2 * (number of cells), with
X ~ Binomial(floor(N / w^2) + 1, m). A detection is NFA < 1 (IWBF: NFA <= 1).

Everything is computed as log10 NFA, exactly even where the tail underflows a float.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln, logsumexp
from scipy.stats import binom

#: Fixed polyominoes of R cells number about POLYOMINO_C / R * POLYOMINO_MU ** R (Jensen 2001).
POLYOMINO_C, POLYOMINO_MU = 0.316915, 4.062570
#: The growing rule's per-cell factor in the authors' code (the growth constant, rounded to 4).
GROWTH_FACTOR = 4.0
LN10 = math.log(10.0)


def log_binom_tail(k: int, n: int, p: float, max_terms: int | None = None) -> float:
    """``ln P[X >= k]`` for ``X ~ Binomial(n, p)``; exact (log-sum-exp of the terms) where scipy underflows.
    ``max_terms`` bounds that sum to its first terms (they fall geometrically that far in the tail)."""
    if k <= 0:
        return 0.0
    if k > n:
        return -math.inf
    direct = float(binom.logsf(k - 1, n, p))
    if direct > -690.0:  # sf above ~1e-300: scipy's own value is accurate
        return direct
    last = n if max_terms is None else min(n, k + max_terms)
    j = np.arange(k, last + 1, dtype=np.float64)
    terms = gammaln(n + 1) - gammaln(j + 1) - gammaln(n - j + 1) + j * math.log(p) + (n - j) * math.log1p(-p)
    return float(logsumexp(terms))


def units(quiet: float, kept: float, block: int) -> tuple[int, int]:
    """(successes, trials) of the IPOL test: ``floor(K / w^2)`` of ``ceil(N / w^2)``."""
    v = block * block
    return int(quiet // v), int(math.ceil(kept / v))


def region_log_tail(quiet: float, kept: float, block: int, m: float) -> float:
    k, n = units(quiet, kept, block)
    return log_binom_tail(k, n, m)


def region_log10_nfa(size: int, quiet: float, kept: float, block: int, m: float, cells_in_image: float) -> float:
    """log10 NFA of a connected region of ``size`` cells (IPOL 2024); ``cells_in_image = H*W / W_cell^2``."""
    log_tests = (math.log(0.5) + 2 * math.log(block) + 2 * math.log(cells_in_image)
                 + math.log(POLYOMINO_C / size) + size * math.log(POLYOMINO_MU))
    return (log_tests + region_log_tail(quiet, kept, block, m)) / LN10


def cell_log10_nfa(kept: np.ndarray, quiet: np.ndarray, block: int, m: float) -> np.ndarray:
    """log10 NFA of every cell on its own (IWBF 2021): ``w^2 * cells * P[Bin(N//w^2 + 1, m) >= K//w^2]``."""
    v = block * block
    log_tests = math.log(v * kept.size)
    out = np.empty(kept.shape)
    for idx in np.ndindex(kept.shape):
        tail = log_binom_tail(int(quiet[idx] // v), int(kept[idx] // v) + 1, m)
        out[idx] = (log_tests + tail) / LN10
    return out


def neighbours(cell: tuple[int, int], shape: tuple[int, int]) -> list[tuple[int, int]]:
    """4-connected neighbours inside the grid, in the authors' order (down, up, right, left)."""
    i, j = cell
    cand = [(i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)]
    return [(a, b) for a, b in cand if 0 <= a < shape[0] and 0 <= b < shape[1]]


def grow(seed: tuple[int, int], kept: np.ndarray, quiet: np.ndarray, block: int, m: float) -> list[tuple[int, int]]:
    """The region grown from ``seed``: a neighbour joins while it lowers the NFA, i.e. while
    ``tail(R) / |R| > 4 * tail(R + B) / (|R| + 1)``; passes repeat until one adds nothing."""
    region, members = [seed], {seed}
    n_r, k_r = float(kept[seed]), float(quiet[seed])
    now = region_log_tail(k_r, n_r, block, m)
    grew = True
    while grew:
        grew = False
        t = 0
        while t < len(region):  # the list grows while it is walked, as in the authors' loop
            for nb in neighbours(region[t], kept.shape):
                if nb in members:
                    continue
                size = len(region)
                after = region_log_tail(k_r + quiet[nb], n_r + kept[nb], block, m)
                if now - math.log(size) > math.log(GROWTH_FACTOR) + after - math.log(size + 1):
                    region.append(nb)
                    members.add(nb)
                    n_r, k_r, now = n_r + kept[nb], k_r + quiet[nb], after
                    grew = True
            t += 1
    return region


def grow_regions(kept: np.ndarray, quiet: np.ndarray, block: int, m: float,
                 cells_in_image: float) -> tuple[np.ndarray, np.ndarray]:
    """IPOL 2024 region growing over the cell grid: (per-cell log10 NFA, detected cells).

    Seeds are cells, in raster order, whose share of S exceeds ``m`` and that no detected region
    holds yet. A cell's log10 NFA is the smallest over the grown regions holding it, else its own
    (one-cell) value; cells outside every detection are floored at 0 (NFA 1), so that
    ``log10 NFA < 0`` marks exactly the detected cells.
    """
    detected = np.zeros(kept.shape, dtype=bool)
    best = np.full(kept.shape, math.inf)
    for seed in np.ndindex(kept.shape):
        if kept[seed] <= 0 or quiet[seed] / kept[seed] <= m or detected[seed]:
            continue
        region = grow(seed, kept, quiet, block, m)
        rows, cols = zip(*region)
        nfa = region_log10_nfa(len(region), quiet[rows, cols].sum(), kept[rows, cols].sum(), block, m,
                               cells_in_image)
        best[rows, cols] = np.minimum(best[rows, cols], nfa)
        if nfa < 0:
            detected[rows, cols] = True
    for idx in zip(*np.nonzero(np.isinf(best))):
        best[idx] = region_log10_nfa(1, quiet[idx], kept[idx], block, m, cells_in_image)
    return np.where(detected, best, np.maximum(best, 0.0)), detected
