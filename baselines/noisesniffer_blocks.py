"""Noisesniffer's block statistics: which small blocks are pure noise, and which of those are the quietest.

For every colour channel the valid ``w x w`` blocks (every pixel strictly between the channel's
minimum and maximum: no saturation) are sorted by mean intensity and cut into bins of about
``bin_size`` blocks. In each bin the ``n`` share with the least low- and medium-frequency DCT
energy are kept (the set V: blocks whose variance is explained by noise alone), and of those the
``m`` share with the smallest variance (the set S). Counted per cell of a ``W x W`` grid, |V| and
|S| feed the a-contrario test of ``acontrario.py``: where noise is missing, S gathers.

Everything runs on integer 8-bit values (sums of them at coarser scales), so block sums and
variance numerators are exact and "zero variance" is an exact test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: The DCT coefficients (u, v) with 0 < u + v < T are "low and medium frequencies" for w x w blocks
#: (values of the authors' code; the paper fixes them per block size).
LOW_FREQ_LIMIT = {3: 3, 5: 5, 7: 8, 8: 9, 11: 13, 16: 18, 21: 24}


@dataclass(frozen=True)
class Selection:
    """How many blocks each intensity bin keeps.

    ``per_bin_counts`` is the IPOL 2024 rule (counts from the actual bin size); otherwise the
    IWBF 2021 rule (counts from the nominal ``bin_size``, whatever the actual bin holds).
    """

    block: int
    n: float
    m: float
    bin_size: int
    per_bin_counts: bool = True

    def counts(self, actual: int) -> tuple[int, int]:
        """(|V| kept by low-frequency energy, |S| kept by variance) for a bin of ``actual`` blocks."""
        if self.per_bin_counts:
            return int(actual * self.n), int(actual * self.n * self.m)
        keep = int(self.bin_size * self.n)
        return keep, int(keep * self.m)


def box_sums(x: np.ndarray, w: int) -> np.ndarray:
    """Sum of every ``w x w`` window, indexed by its top-left pixel: ``(H-w+1, W-w+1)``."""
    acc = np.zeros((x.shape[0] + 1, x.shape[1] + 1), dtype=x.dtype)
    acc[1:, 1:] = x.cumsum(0).cumsum(1)
    return acc[w:, w:] - acc[:-w, w:] - acc[w:, :-w] + acc[:-w, :-w]


def valid_origins(img: np.ndarray, w: int) -> np.ndarray:
    """Blocks with no pixel at any channel's extreme value: ``(H-w+1, W-w+1)`` bool."""
    inner = np.ones(img.shape[:2], dtype=bool)
    for c in range(img.shape[2]):
        ch = img[..., c]
        inner &= (ch > ch.min()) & (ch < ch.max())
    return box_sums(inner.astype(np.int64), w) == w * w


def dct_matrix(w: int) -> np.ndarray:
    """The orthonormal DCT-II matrix ``[frequency, position]``."""
    pos = np.arange(w)
    mat = np.cos(math.pi * (2 * pos[None, :] + 1) * pos[:, None] / (2 * w)) * math.sqrt(2.0 / w)
    mat[0] /= math.sqrt(2.0)
    return mat


def low_freq_mask(w: int) -> np.ndarray:
    """``(w, w)`` bool: the DCT coefficients counted as low and medium frequencies (DC excluded)."""
    if w not in LOW_FREQ_LIMIT:
        raise ValueError(f"block must be one of {sorted(LOW_FREQ_LIMIT)}, not {w}")
    s = np.add.outer(np.arange(w), np.arange(w))
    return (s > 0) & (s < LOW_FREQ_LIMIT[w])


def low_freq_energy(channel: np.ndarray, w: int) -> np.ndarray:
    """Sum of the squared low/medium-frequency DCT-II coefficients of every ``w x w`` block.

    Separable: a vertical 1-D transform of every column window, then a horizontal one per kept pair.
    """
    d = dct_matrix(w)
    h, wd = channel.shape[0] - w + 1, channel.shape[1] - w + 1
    x = channel.astype(np.float64)
    vertical = [sum(d[u, k] * x[k:k + h, :] for k in range(w)) for u in range(w)]
    energy = np.zeros((h, wd))
    for u, v in zip(*np.nonzero(low_freq_mask(w))):
        coef = sum(d[v, k] * vertical[u][:, k:k + wd] for k in range(w))
        energy += coef * coef
    return energy


def block_moments(channel: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """(sum, ``w^2 * sum(x^2) - sum(x)^2``) of every block: ordering keys for the mean and the
    variance (the second is ``w^4`` times the block's population variance), exact on integers."""
    x = channel.astype(np.int64)
    s1 = box_sums(x, w)
    return s1, w * w * box_sums(x * x, w) - s1 * s1


def quiet_weights(spread: np.ndarray, n_quiet: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (in ``spread``, sorted ascending) of the ``n_quiet`` smallest and their weights.

    Blocks tied with the last one taken share the remaining places: each counts for the fraction
    (places left / blocks tied), the expected count under a random tie-break, so that the many
    ties of 8-bit variances put no spatial bias (such as raster order) into S.
    """
    if n_quiet <= 0:
        return np.zeros(0, np.int64), np.zeros(0)
    edge = spread[n_quiet - 1]
    below = int(np.searchsorted(spread, edge, side="left"))
    tied = int(np.searchsorted(spread, edge, side="right")) - below
    weights = np.ones(below + tied)
    weights[below:] = (n_quiet - below) / tied
    return np.arange(below + tied), weights


def stable_order(keys: np.ndarray) -> np.ndarray:
    """``argsort(keys, kind="stable")``; small non-negative integers go as uint16 (numpy's radix sort)."""
    if keys.size and keys.min() >= 0 and keys.max() < 2 ** 16:
        keys = keys.astype(np.uint16)
    return np.argsort(keys, kind="stable")


def smallest(keys: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` smallest keys, the same set as ``argsort(keys, kind="stable")[:k]``
    (ties at the edge taken in order), in position order, without sorting everything."""
    if k <= 0:
        return np.zeros(0, np.int64)
    if k >= keys.size:
        return np.arange(keys.size)
    edge = np.partition(keys, k - 1)[k - 1]
    below = np.flatnonzero(keys < edge)
    return np.sort(np.concatenate([below, np.flatnonzero(keys == edge)[:k - below.size]]))


def select_channel(channel: np.ndarray, valid: np.ndarray,
                   sel: Selection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat block indices of V, of S, and the weights of S's blocks (1, or a share at a tie) for one channel.

    Equal means and equal low-frequency energies are taken in raster order (a stable sort).
    """
    w = sel.block
    sums, spread = (a.ravel() for a in block_moments(channel, w))
    energy = low_freq_energy(channel, w).ravel()
    candidates = np.flatnonzero(valid.ravel())
    total = candidates.size
    kept, quiet, weights = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
    if total == 0:
        return kept[0], quiet[0], weights[0]
    order = candidates[stable_order(sums[candidates])]
    bins = max(1, round(total / sel.bin_size))
    per_bin = max(1, total // bins)
    for b in range(bins):
        members = order[b * per_bin:(b + 1) * per_bin if b < bins - 1 else total]
        n_keep, n_quiet = sel.counts(per_bin)
        flat = members[smallest(energy[members], n_keep)]
        flat = flat[np.argsort(spread[flat], kind="stable")]
        if np.count_nonzero(spread[flat] == 0) < n_quiet:  # too many flat blocks: the bin says nothing
            pos, share = quiet_weights(spread[flat], min(n_quiet, flat.size))
            kept.append(flat)
            quiet.append(flat[pos])
            weights.append(share)
    return np.concatenate(kept), np.concatenate(quiet), np.concatenate(weights)


def downscale(img: np.ndarray, scale: int) -> np.ndarray:
    """Sum of disjoint ``2^s x 2^s`` pixel groups (odd last rows/columns dropped): the authors'
    multi-scale sub-sampling by averaging, kept in integers."""
    for _ in range(scale):
        h, w = img.shape[0] // 2 * 2, img.shape[1] // 2 * 2
        img = img[:h:2, :w:2] + img[1:h:2, :w:2] + img[:h:2, 1:w:2] + img[1:h:2, 1:w:2]
    return img


def grid_shape(height: int, width: int, cell: int) -> tuple[int, int]:
    """Cells of side ``cell`` covering the image (the last row/column may be partial)."""
    return -(-height // cell), -(-width // cell)


def count_cells(flat: np.ndarray, row_width: int, shift: int, cell: int, grid: tuple[int, int],
                weights: np.ndarray | None = None) -> np.ndarray:
    """(Weighted) blocks per cell, each block counted in the cell of its top-left pixel in
    full-resolution coordinates (``shift``: the scale's power of two)."""
    rows, cols = np.divmod(flat, row_width)
    index = ((rows << shift) // cell) * grid[1] + (cols << shift) // cell
    return np.bincount(index, weights=weights, minlength=grid[0] * grid[1]).reshape(grid).astype(np.float64)


def block_counts(img: np.ndarray, sel: Selection, cell: int, scales: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(|V|, |S|) per cell over every channel and scale of ``img`` (``H x W x C`` integers)."""
    grid = grid_shape(img.shape[0], img.shape[1], cell)
    total_v, total_s = np.zeros(grid), np.zeros(grid)
    for s in range(scales):
        small = downscale(img.astype(np.int64), s)
        if min(small.shape[:2]) < sel.block:
            break
        valid = valid_origins(small, sel.block)
        row_width = small.shape[1] - sel.block + 1
        for c in range(small.shape[2]):
            v, q, share = select_channel(small[..., c], valid, sel)
            total_v += count_cells(v, row_width, s, cell, grid)
            total_s += count_cells(q, row_width, s, cell, grid, share)
    return total_v, total_s
