"""The JPEG quality factor behind a file's quantization tables, and the Noiseprint model for it.

Noiseprint has one extractor per JPEG quality (51..100) and one for images never JPEG-compressed
(101). The authors estimate the quality from the luminance table by inverting the IJG (libjpeg)
scaling of the standard table, and use the model of that quality; here only a subset of the
models may be present, so the nearest available one is used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

#: The standard luminance quantization table of ITU-T T.81 Annex K (row-major, natural order),
#: which IJG libjpeg scales by the quality factor.
STANDARD_LUMA = (
    16, 11, 10, 16, 24, 40, 51, 61,
    12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77,
    24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103, 99,
)
#: The model for images that were never JPEG-compressed (PNG, lossless WebP, raw).
LOSSLESS = 101
#: The largest value a 16-bit table entry can take (entries there may have been clipped).
TABLE_MAX = 32767


def ijg_table(quality: int, *, baseline: bool = True) -> tuple[int, ...]:
    """The luminance table IJG libjpeg writes at ``quality`` (1..100), with its integer arithmetic:
    scale ``5000 // Q`` below 50, ``200 - 2Q`` from 50 up; entries clipped to ``[1, 255]`` (baseline)
    or ``[1, 32767]``."""
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    top = 255 if baseline else TABLE_MAX
    return tuple(min(max((t * scale + 50) // 100, 1), top) for t in STANDARD_LUMA)


#: Every IJG luminance table and its quality (baseline and extended), for an exact lookup.
IJG_QUALITIES = {ijg_table(q, baseline=b): q for b in (False, True) for q in range(100, 0, -1)}


def estimate_quality(luma_table: Sequence[int]) -> int:
    """The IJG quality factor (1..100) of a luminance table (64 entries, natural order).

    A table IJG libjpeg writes (PIL, most software) gives its quality exactly. Any other table
    (cameras' own) gets the authors' estimate (``inverse_scaling``); the two agree on IJG tables from
    quality 50 up, where the Noiseprint models are.
    """
    if len(luma_table) != 64:
        raise ValueError(f"a JPEG quantization table has 64 entries, not {len(luma_table)}")
    return IJG_QUALITIES.get(tuple(int(h) for h in luma_table)) or inverse_scaling(luma_table)


def inverse_scaling(luma_table: Sequence[int]) -> int:
    """The authors' estimate of the quality behind any luminance table.

    IJG writes ``round(t * s)`` for each standard entry ``t`` and a scale ``s`` of ``50 / Q`` below
    quality 50 and ``2 - Q / 50`` from 50 up, so each entry ``h`` confines ``s`` to
    ``[(2h - 1) / 2t, (2h + 1) / 2t]``; entries at 1 (maybe clipped up) do not bound it from below,
    entries at 32767 (maybe clipped down) not from above. ``s`` is taken as the smallest upper
    bound and the quality rounded up from it; an all-ones table is quality 100.
    """
    if all(h == 1 for h in luma_table):
        return 100
    lows = [(2 * h - 1) / (2 * t) for h, t in zip(luma_table, STANDARD_LUMA) if h > 1]
    highs = [(2 * h + 1) / (2 * t) for h, t in zip(luma_table, STANDARD_LUMA) if h < TABLE_MAX]
    if not highs:
        return 1
    low, high = max(lows), min(highs)
    if low > 1 and high > 1:
        quality = math.ceil(50 / high)
    elif high < 1:
        quality = math.ceil(50 * (2 - high))
    else:
        quality = 50
    return int(min(max(quality, 1), 100))


def quality_of_tables(tables: Mapping[int, Sequence[int]] | None) -> int | None:
    """The quality factor of a file's tables (``{table id: 64 entries}`` as PIL's ``quantization``
    gives them), from table 0 (luminance); ``None`` when there are none (not a JPEG)."""
    if not tables:
        return None
    luma = tables.get(0, next(iter(tables.values())))
    return estimate_quality(list(luma))


def nearest_model(quality: int | None, available: Iterable[int]) -> int:
    """The available model nearest to ``quality`` (``None``: never compressed, i.e. ``LOSSLESS``);
    a tie goes to the higher quality."""
    models = sorted(set(available))
    if not models:
        raise ValueError("no Noiseprint model is available")
    wanted = LOSSLESS if quality is None else quality
    return min(models, key=lambda m: (abs(m - wanted), -m))
