"""Noisesniffer (Gardella, Musé, Morel, Colom, 2021; refined in IPOL 2024): training-free detection of
regions whose noise is anomalously low, by an a-contrario test on the spatial spread of the quietest blocks.

In every intensity bin of every colour channel, the blocks whose low/medium-frequency DCT energy is
smallest (V) are the ones whose variance is noise; the lowest-variance share ``m`` of them (S)
should be spread over the image like V itself. A cell, or a connected region of cells, holding too
many of S is detected when its number of false alarms is below 1. Block statistics:
``noisesniffer_blocks.py``; the test and the region growing: ``acontrario.py``; choices: NOISESNIFFER.md.

Heatmap: each cell's NFA as ``p = 1 / (1 + NFA^(1/temperature))`` = ``sigmoid(-ln(NFA) / temperature)``
(0.5 at NFA = 1, so ``p > 0.5`` is exactly the method's detection), painted over the cell's pixels.
Image score: the largest ``p``, i.e. the image's smallest NFA.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import expit

from inpaintbench.sdk.contracts import BaseDetector, Card

from .acontrario import cell_log10_nfa, grow_regions
from .noisesniffer_blocks import LOW_FREQ_LIMIT, Selection, block_counts

#: Each variant's published parameters: block side w, cell side W, shares n and m.
VARIANTS = {
    "ipol": {"block": 3, "cell": 100, "n": 0.1, "m": 0.5},  # IPOL 2024 refinement, region growing
    "iwbf": {"block": 5, "cell": 256, "n": 0.05, "m": 0.3},  # IWBF 2021 original, one test per cell
}
MAX_SCALES = 4


@dataclass(frozen=True)
class Analysis:
    """One image's result on the cell grid: per-cell log10 NFA, detected cells, |V| and |S| counts."""

    log10_nfa: np.ndarray
    detected: np.ndarray
    kept: np.ndarray
    quiet: np.ndarray
    cell: int

    def to_pixels(self, values: np.ndarray, height: int, width: int) -> np.ndarray:
        """Paint a per-cell array over each cell's pixels, cropped to ``height x width``."""
        return np.repeat(np.repeat(values, self.cell, 0), self.cell, 1)[:height, :width]

    @property
    def min_log10_nfa(self) -> float:
        return float(self.log10_nfa.min())


def to_8bit(images: torch.Tensor) -> np.ndarray:
    """float ``[B, 3, H, W]`` in [0, 1] -> integer ``[B, H, W, 3]`` 8-bit values ``round(x * 255)``."""
    q = torch.round(images.detach().float().clamp(0, 1) * 255).to(torch.int64)
    return q.permute(0, 2, 3, 1).cpu().numpy()


def check_options(variant: str, block: int, cell: int, n: float, m: float, bin_size: int, scales: int,
                  temperature: float) -> None:
    """One-line ``ValueError`` naming the first bad option."""
    if variant not in VARIANTS:
        raise ValueError(f"variant {variant!r}: choose one of {', '.join(VARIANTS)}")
    if block not in LOW_FREQ_LIMIT:
        raise ValueError(f"block must be one of {sorted(LOW_FREQ_LIMIT)} (sides with a published "
                         f"low-frequency limit), not {block}")
    if cell < block:
        raise ValueError(f"cell must be at least block ({block}), not {cell}")
    if not 0 < n <= 1:
        raise ValueError(f"n must be in (0, 1], not {n}")
    if not 0 < m < 1:
        raise ValueError(f"m must be in (0, 1), not {m}")
    if bin_size < 1:
        raise ValueError(f"bin_size must be at least 1, not {bin_size}")
    if not 1 <= scales <= MAX_SCALES:
        raise ValueError(f"scales must be between 1 and {MAX_SCALES}, not {scales}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, not {temperature}")


class NoisesnifferDetector(BaseDetector):
    card = Card(
        description="Noisesniffer (training-free, a-contrario): in each intensity bin the lowest-variance share of "
                    "the blocks that look like pure noise should be spread like those blocks; cells or grown "
                    "regions holding too many of them (NFA < 1) are detected. Designed for camera-noise "
                    "inconsistencies (noise deficits), not generator traces. Heatmap 1 / (1 + NFA).",
        reference="M. Gardella, P. Musé, J.-M. Morel, M. Colom, 'Noisesniffer: a Fully Automatic Image Forgery "
                  "Detector Based on Noise Analysis', IWBF 2021, doi:10.1109/IWBF50991.2021.9465095; refined in "
                  "'Image Forgery Detection Based on Noise Inspection: Analysis and Refinement of the Noisesniffer "
                  "Method', IPOL 2024 (article 462). Multi-scale idea: J. Imaging 7(7):119, 2021",
        trainable=False,
        params={"variant": "ipol (default: IPOL 2024, region growing) or iwbf (IWBF 2021, one test per cell)",
                "block": "block side w: 3, 5, 7, 8, 11, 16 or 21 (default: the variant's, 3 / 5)",
                "cell": "side W of the grid's cells in pixels (default: the variant's, 100 / 256)",
                "n": "share of each bin's blocks kept by least low-frequency DCT energy (default 0.1 / 0.05)",
                "m": "share of those kept by least variance; H0 success probability (default 0.5 / 0.3)",
                "bin_size": "blocks per intensity bin (default 20000)",
                "scales": "1 (default: the published single scale) or up to 4: also count blocks of the image "
                          "averaged over 2x2, 4x4, ... pixels (our extension, see NOISESNIFFER.md)",
                "temperature": "heatmap p = 1 / (1 + NFA^(1/temperature)) = sigmoid(-ln(NFA)/temperature); "
                               "0.5 at NFA = 1 (default 1)"},
        input_range="float32 RGB in [0, 1], shape [B, 3, H, W]; analysed as 8-bit values round(x * 255)",
        licence="MIT (our implementation from the papers); no weights",
        designed_for="camera-noise deficits in photos with measurable sensor noise, not generator traces",
        parameters=0,
        published=True,
    )
    has_image_score = True

    def __init__(self, variant: str = "ipol", block: int | None = None, cell: int | None = None,
                 n: float | None = None, m: float | None = None, bin_size: int = 20000, scales: int = 1,
                 temperature: float = 1.0) -> None:
        base = VARIANTS.get(variant, VARIANTS["ipol"])
        block = base["block"] if block is None else block
        cell = base["cell"] if cell is None else cell
        n = base["n"] if n is None else n
        m = base["m"] if m is None else m
        check_options(variant, block, cell, n, m, bin_size, scales, temperature)
        self.variant, self.block, self.cell, self.n, self.m = variant, block, cell, n, m
        self.scales, self.temperature = scales, temperature
        self.selection = Selection(block, n, m, bin_size, per_bin_counts=variant == "ipol")
        self.options = {"variant": variant, "block": block, "cell": cell, "n": n, "m": m,
                        "bin_size": bin_size, "scales": scales, "temperature": temperature}

    def analyse(self, image: np.ndarray) -> Analysis:
        """Run the method on one ``H x W x C`` integer (8-bit) image."""
        kept, quiet = block_counts(image, self.selection, self.cell, self.scales)
        if self.variant == "iwbf":
            log10_nfa = cell_log10_nfa(kept, quiet, self.block, self.m)
            detected = log10_nfa <= 0
        else:
            cells_in_image = image.shape[0] * image.shape[1] / self.cell ** 2
            log10_nfa, detected = grow_regions(kept, quiet, self.block, self.m, cells_in_image)
        return Analysis(log10_nfa, detected, kept, quiet, self.cell)

    def probability(self, log10_nfa: np.ndarray) -> np.ndarray:
        """``1 / (1 + NFA^(1/temperature))``: 0.5 at NFA = 1, towards 1 as the NFA falls (no overflow)."""
        return expit(-np.asarray(log10_nfa, dtype=np.float64) * math.log(10.0) / self.temperature)

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        height, width = images.shape[-2:]
        maps = []
        for image in to_8bit(images):
            result = self.analyse(image)
            maps.append(result.to_pixels(self.probability(result.log10_nfa), height, width))
        out = torch.from_numpy(np.stack(maps)[:, None].astype(np.float32))
        return out.to(images.device)

    def image_score(self, images: torch.Tensor, heatmap: torch.Tensor) -> torch.Tensor:
        """``1 / (1 + NFA_min^(1/temperature))`` with the image's smallest NFA: the heatmap's maximum."""
        return heatmap.flatten(1).amax(1)

    def image_score_source(self) -> str:
        return "1 / (1 + NFA) of the image's most significant cell or region (the heatmap's maximum)"

    def info(self) -> dict:
        return {"options": dict(self.options), "weights": "none (training-free)", "parameters": 0}
