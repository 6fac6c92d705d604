"""Detector ``zero``: JPEG grid analysis after ZERO (Nikoukhah, Anger, Ehret, Colom, Morel, Grompone von
Gioi; CVPRW 2019 and IPOL 2021). Training-free, no weights; ``baselines/ZERO.md`` documents every choice.

Each pixel votes for the 8x8 grid origin with the most DCT zeros (``zero_votes``); the image's main
grid and the regions voting for another grid are decided a contrario (``zero_regions``). When a main
grid other than (0, 0) is found, the image is also re-saved as JPEG at quality 99, whose grid has
origin (0, 0): regions of the original that did not vote for the main grid but vote for (0, 0) after
the round trip had no JPEG grid (e.g. pasted or re-synthesised pixels). The heatmap is 1 on the
(regularised) meaningful regions of both kinds, 0 elsewhere; without a main grid (not a JPEG) it is 0.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import torch

from inpaintbench.sdk.attacks import pil_roundtrip
from inpaintbench.sdk.contracts import BaseDetector, Card

from .zero_regions import GridRegion, grid_regions, main_grid, regularise
from .zero_votes import to_uint8, votes_of_rgb8

NO_GRID = ("zeros", "search")
#: When the missing-grid analysis runs: ``auto`` with a main grid other than (0, 0) (the round trip's own
#: grid), ``always`` with any main grid (the authors' program), ``never``.
MISSING = ("auto", "always", "never")
#: Quality of the JPEG round trip that reveals regions without a grid (the authors' choice).
RESAVE_QUALITY = 99
#: Analyses kept for ``image_score`` (keyed by image content).
CACHE = 16


@dataclass(frozen=True)
class ZeroAnalysis:
    """One image: votes ``[H, W]`` (-1 = none), main grid (-1 = none; origin ``(g % 8, g // 8)`` as (x, y)),
    log10 NFA of the 64 grids, candidate regions with another grid (``foreign``) and without a grid
    (``missing``), and the regularised mask of the meaningful ones."""

    votes: np.ndarray
    main_grid: int
    lnfa_grids: np.ndarray
    mask: np.ndarray
    foreign: list[GridRegion] = field(default_factory=list)
    missing: list[GridRegion] = field(default_factory=list)

    @property
    def regions(self) -> list[GridRegion]:
        return self.foreign + self.missing

    @property
    def score(self) -> float:
        """``sigmoid(-log10 NFA)`` of the most meaningful candidate region (> 0.5 iff one is meaningful);
        0 when there is no candidate region."""
        if not self.regions:
            return 0.0
        best = min(r.lnfa for r in self.regions)
        return 1 / (1 + math.exp(min(best, 700.0)))


def analyse_rgb8(rgb8: torch.Tensor, missing: str = "auto", no_grid: str = "zeros") -> ZeroAnalysis:
    """ZERO on one ``[3, H, W]`` image of 8-bit values. ``no_grid=zeros``: without a meaningful main grid the
    image is taken for non-JPEG and nothing is searched; ``search``: look for regions of any grid.
    ``missing``: when to look for regions without a grid (``MISSING``)."""
    votes = votes_of_rgb8(rgb8).cpu().numpy()
    grid, lnfa = main_grid(votes)
    if grid < 0 and no_grid == "zeros":
        return ZeroAnalysis(votes, grid, lnfa, np.zeros(votes.shape, dtype=bool))
    foreign, mask = grid_regions(votes, [g for g in range(64) if g != grid])
    mask = regularise(mask)
    absent: list[GridRegion] = []
    if missing == "always" and grid >= 0 or missing == "auto" and grid > 0:
        absent, missing_mask = grid_regions(resaved_votes(rgb8, votes, grid), [0])
        mask |= regularise(missing_mask)
    return ZeroAnalysis(votes, grid, lnfa, mask, foreign, absent)


def resaved_votes(rgb8: torch.Tensor, votes: np.ndarray, grid: int) -> np.ndarray:
    """Votes of the image re-saved as JPEG at quality 99 without chroma subsampling (a grey image as a
    one-channel JPEG), as the authors' reference files are; pixels that voted for the main grid before
    the round trip are removed."""
    hwc = rgb8.permute(1, 2, 0).cpu().numpy().astype(np.uint8)
    grey = bool((hwc[..., :1] == hwc).all())
    _, decoded = pil_roundtrip(hwc[..., 0] if grey else hwc, "JPEG", quality=RESAVE_QUALITY, subsampling=0)
    resaved = votes_of_rgb8(torch.from_numpy(decoded).permute(2, 0, 1).double()).cpu().numpy()
    resaved[votes == grid] = -1
    return resaved


def content_key(rgb8: torch.Tensor) -> str:
    """A key for an image's analysis: a hash of its 8-bit values and its shape."""
    digest = hashlib.blake2b(rgb8.to(torch.uint8).cpu().numpy().tobytes(), digest_size=16).hexdigest()
    return f"{digest}{tuple(rgb8.shape)}"


class ZeroDetector(BaseDetector):
    card = Card(
        description="ZERO (Nikoukhah et al., CVPRW 2019 / IPOL 2021): per-pixel votes for the 8x8 JPEG grid origin "
                    "with the most DCT zeros; a-contrario (NFA) detection of the main grid and of regions with "
                    "another grid or, after a quality-99 round trip, none. Binary map of the meaningful regions. "
                    "JPEG inputs only: without a main grid the map is all zeros. Designed for JPEG traces, not "
                    "generator traces. Training-free, no weights.",
        reference="T. Nikoukhah, J. Anger, T. Ehret, M. Colom, J.-M. Morel, R. Grompone von Gioi, 'JPEG grid "
                  "detection based on the number of DCT zeros and its application to automatic and localized "
                  "forgery detection', CVPR Workshops 2019; IPOL 11 (2021) 396-433, doi:10.5201/ipol.2021.390",
        trainable=False,
        params={"missing": "regions without a JPEG grid, via a quality-99 round trip (grid (0, 0)): auto (default; "
                           "only when the main grid is not (0, 0), where the round trip cannot tell them apart), "
                           "always (with any main grid, as the authors' program), never",
                "no_grid": "zeros (default): no meaningful main grid means not JPEG, all-zero map and score 0; "
                           "search: look for meaningful regions of any grid anyway (the authors' program)"},
        input_range="float32 RGB in [0, 1], shape [B, 3, H, W]; analysed as 8-bit values round(x * 255); "
                    "meant for JPEG-compressed images at their original grid",
        licence="MIT (our implementation from the papers; the authors' reference code is AGPL, none copied); "
                "no weights",
        designed_for="JPEG-compressed images at their original 8x8 grid: regions pasted from another grid or "
                     "without one; not generator traces",
        parameters=0,
        published=True,
    )
    has_image_score = True

    def __init__(self, missing: str = "auto", no_grid: str = "zeros") -> None:
        if missing not in MISSING:
            raise ValueError(f"zero: missing={missing!r}: choose one of {', '.join(MISSING)}")
        if no_grid not in NO_GRID:
            raise ValueError(f"zero: no_grid={no_grid!r}: choose one of {', '.join(NO_GRID)}")
        self.missing, self.no_grid = missing, no_grid
        self.options = {"missing": missing, "no_grid": no_grid}
        self.device = torch.device("cpu")
        self._cache: OrderedDict[str, ZeroAnalysis] = OrderedDict()

    def analyse(self, image: torch.Tensor) -> ZeroAnalysis:
        """The analysis of one ``[3, H, W]`` image in [0, 1] (cached by content)."""
        rgb8 = to_uint8(image)
        key = content_key(rgb8)
        if key not in self._cache:
            self._cache[key] = analyse_rgb8(rgb8, self.missing, self.no_grid)
            while len(self._cache) > CACHE:
                self._cache.popitem(last=False)
        return self._cache[key]

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        maps = [torch.from_numpy(self.analyse(image).mask) for image in images]
        return torch.stack(maps)[:, None].to(device=images.device, dtype=torch.float32)

    def image_score(self, images: torch.Tensor, heatmap: torch.Tensor) -> torch.Tensor:
        scores = [self.analyse(image).score for image in images]
        return torch.tensor(scores, dtype=torch.float32, device=images.device)

    def info(self) -> dict:
        return {"options": self.options, "weights": "none (training-free)", "parameters": 0}
