"""The vote map of ZERO (Nikoukhah et al., CVPRW 2019; IPOL 2021): each pixel votes for the origin of
the 8x8 grid whose DCT block, among the 64 blocks that contain the pixel, has the most zeros.

A JPEG image was quantised in 8x8 DCT blocks on one grid, so the blocks on that grid have many
(near) zero coefficients and the pixels vote for its origin. Definitions (those of the IPOL paper):

- luminance ``round(0.299 R + 0.587 G + 0.114 B)`` of the 8-bit RGB values;
- an AC coefficient of the orthonormal 8x8 DCT-II counts as zero when ``|c| < 0.5`` (the midpoint
  between the finest JPEG quantisation levels 0 and 1); the DC coefficient is not counted;
- a pixel votes for ``(x0 mod 8) + 8 (y0 mod 8)`` (``x0, y0`` the column and row of the winning
  block's top-left pixel), or ``-1`` (no vote) when the maximum is tied between blocks, is 0, or its
  block is constant along rows or along columns; pixels within 7 of the border do not vote.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

#: Rec. 601 luma weights, applied to 8-bit RGB values.
LUMA = (0.299, 0.587, 0.114)
#: Rows of one band of the DCT and tie computations (bounds memory on large images).
BAND = 64
#: Margin below 0.5 under which a coefficient is zero: exact ties at 0.5 are not zeros.
ZERO_EPS = 1e-9


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """float RGB in [0, 1] -> its 8-bit values ``round(x * 255)`` (as float64)."""
    return torch.round(images.double().clamp(0, 1) * 255)


def luminance(rgb8: torch.Tensor) -> torch.Tensor:
    """``[3, H, W]`` 8-bit RGB values -> ``[H, W]`` rounded luminance (float64), halves rounded up."""
    y = LUMA[0] * rgb8[0] + LUMA[1] * rgb8[1] + LUMA[2] * rgb8[2]
    return torch.floor(y + 0.5)


def dct_matrix() -> torch.Tensor:
    """``[8, 8]`` orthonormal DCT-II: row ``k`` is frequency ``k``, so ``M @ block @ M.T`` is the 2-D DCT."""
    n = torch.arange(8, dtype=torch.float64)
    m = torch.cos((2 * n[None, :] + 1) * n[:, None] * math.pi / 16) / 2
    m[0] /= math.sqrt(2)
    return m


def zero_counts(lum: torch.Tensor) -> torch.Tensor:
    """``[H-7, W-7]``: zero AC coefficients of the 8x8 DCT of every block, indexed by its top-left pixel.

    A coefficient is zero when ``|c| < 0.5`` in exact arithmetic: the coefficients of frequencies 0
    and 4 are multiples of 1/8 for integer pixels and often exactly 0.5, which is not below 0.5
    (``ZERO_EPS`` keeps rounding noise from deciding). Separable: 1-D DCTs of all 8-pixel runs along
    rows, then along columns, in bands of ``BAND`` rows.
    """
    m = dct_matrix().to(lum.device)
    h, w = lum.shape
    out = torch.empty(h - 7, w - 7, dtype=torch.int64, device=lum.device)
    not_dc = torch.ones(8, 8, dtype=torch.bool, device=lum.device)
    not_dc[0, 0] = False
    for top in range(0, h - 7, BAND):
        rows = lum[top:min(h, top + BAND + 7)]
        along_x = rows.unfold(1, 8, 1) @ m.T                      # [rows, W-7, 8 x-frequencies]
        coeffs = along_x.unfold(0, 8, 1) @ m.T                      # [rows-7, W-7, 8 x-freq, 8 y-freq]
        zeros = (coeffs.abs() < 0.5 - ZERO_EPS) & not_dc
        out[top:top + coeffs.shape[0]] = zeros.sum((-1, -2))
    return out


def constant_blocks(lum: torch.Tensor) -> torch.Tensor:
    """``[H-7, W-7]``: whether each 8x8 block is constant along its rows or along its columns."""
    changes_x = (lum[:, 1:] != lum[:, :-1]).double()[None, None]
    changes_y = (lum[1:, :] != lum[:-1, :]).double()[None, None]
    flat_rows = F.avg_pool2d(changes_x, (8, 7), stride=1)[0, 0] == 0
    flat_cols = F.avg_pool2d(changes_y, (7, 8), stride=1)[0, 0] == 0
    return flat_rows | flat_cols


def grid_votes(lum: torch.Tensor) -> torch.Tensor:
    """``[H, W]`` int64 votes in 0..63 (``-1``: no vote) of a luminance image (float64, 8-bit values)."""
    h, w = lum.shape
    votes = torch.full((h, w), -1, dtype=torch.int64, device=lum.device)
    if h < 15 or w < 15:
        return votes
    counts, flat = zero_counts(lum), constant_blocks(lum)
    # pixel (7 + a, 7 + b) lies in the blocks with top-left pixels (a..a+7, b..b+7)
    best, where = F.max_pool2d(counts[None, None].float(), 8, stride=1, return_indices=True)
    best, where = best[0, 0].long(), where[0, 0]
    windows = counts.unfold(0, 8, 1).unfold(1, 8, 1)  # a view: [H-14, W-14, 8, 8]
    ties = torch.cat([(windows[top:top + BAND] == best[top:top + BAND, :, None, None]).sum((-1, -2))
                      for top in range(0, best.shape[0], BAND)])
    y0, x0 = where.div(counts.shape[1], rounding_mode="floor"), where % counts.shape[1]
    valid = (ties == 1) & (best > 0) & ~flat.flatten()[where]
    votes[7:h - 7, 7:w - 7] = torch.where(valid, x0 % 8 + 8 * (y0 % 8), -1)
    return votes


def votes_of_rgb8(rgb8: torch.Tensor) -> torch.Tensor:
    """Vote map of one ``[3, H, W]`` 8-bit RGB image."""
    return grid_votes(luminance(rgb8))

