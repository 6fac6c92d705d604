"""Detector ``adaptive-cfa``: demosaicing (Bayer grid) consistency with the adaptive network of Bammey,
Grompone von Gioi & Morel (CVPR 2020), run on the authors' published weights.

Every 32-pixel block gets a probability for each of the four positions of the 2x2 Bayer grid's
origin; the image's grid is the position with the highest mean probability, and a block whose own
most likely position differs from it is a forgery candidate, scored by its confidence in that
position (the authors' forgery map). ``baselines/ADAPTIVE_CFA.md`` documents every choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from inpaintbench.sdk.contracts import BaseDetector, Card
from inpaintbench.sdk.errors import UserError
from inpaintbench.sdk.weights import WeightsEntry, WeightsFile, read_weights, register_weights

from .adaptive_cfa_net import MARGIN, AdaptiveCFANet, grid_probabilities

WEIGHTS_SOURCE = "https://github.com/qbammey/adaptive_cfa_forensics (folder src/models/)"
MAPS = ("paper", "soft")
#: The state dicts' training-time copy of ``spatial`` and ``pixelwise`` (with its own pixel head).
AUXILIARY = {"auxiliary.0.": "spatial.", "auxiliary.1.": "pixelwise."}


def weights_entry(variant: str, file: str, sha256: str, what: str) -> WeightsEntry:
    """The published state dict of one variant, as a weights entry (folder ``adaptive-cfa``)."""
    return register_weights(WeightsEntry(
        name=f"adaptive-cfa-{variant}", folder="adaptive-cfa", files=(WeightsFile(file, sha256),),
        licence="none: the authors' repository has no licence file (all rights reserved)",
        restriction="research evaluation only, never redistribute", source=WEIGHTS_SOURCE,
        paper="Q. Bammey, R. Grompone von Gioi, J.-M. Morel, 'An Adaptive Neural Network for Unsupervised "
              f"Mosaic Consistency Analysis in Image Forensics', CVPR 2020 ({what})",
        inputs="RGB in [0, 1], even height and width; camera photos with demosaicing traces"))


#: variant -> the authors' state dict (qbammey/adaptive_cfa_forensics, src/models/).
VARIANTS = {
    "pretrained": weights_entry("pretrained", "pretrained.pt",
                                "992dade71b8682a617f63e5a92e46292cd34e391f8b46dd050ce4c0f86e7745d",
                                "trained on synthetic mosaics"),
    "j95": weights_entry("j95", "adapted_to_j95_database.pt",
                         "4705e72f88c8c770cbfa763ae6c6866f316249ced456e2b8d1d1e91a273fafd2",
                         "adapted without labels to the authors' JPEG-95 database"),
    "nojpeg": weights_entry("nojpeg", "adapted_to_nojpeg_database.pt",
                            "5cf541e11c0d6b06f860b9021f2e1ac144929cccbf0e0f1a634680c60c232bd3",
                            "adapted without labels to the authors' uncompressed database"),
}


def load_network(path: Path) -> AdaptiveCFANet:
    """The network with the state dict of ``path``; the auxiliary copies, when present, must equal the
    layers they copy (else the file is not one of this network's state dicts)."""
    state = read_weights(path, "adaptive-cfa weights")
    if not isinstance(state, dict):
        raise UserError(f"{path}: not a state dict of the adaptive CFA network")
    main = {k: v for k, v in state.items() if not k.startswith("auxiliary.")}
    for key, value in state.items():
        prefix = next((p for p in AUXILIARY if key.startswith(p)), None)
        twin = key.replace(prefix, AUXILIARY[prefix], 1) if prefix else None
        if twin is not None and (twin not in main or not torch.equal(main[twin], value)):
            raise UserError(f"{path}: {key} differs from {twin}; not a state dict of the adaptive CFA network")
    net = AdaptiveCFANet()
    try:
        net.load_state_dict(main)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{path}: not a state dict of the adaptive CFA network ({first[:160]})") from None
    return net.eval()


def block_grid_probabilities(net: AdaptiveCFANet, images: torch.Tensor, block: int, tile: int) -> torch.Tensor:
    """``[B, 4, H', W']`` grid-origin probabilities of the full blocks of even-sized ``images``, computed
    on tiles of ``tile`` x ``tile`` blocks (exact: the tiles overlap by the network's margins)."""
    rows, cols = block_rows(images.shape[-2], block), block_rows(images.shape[-1], block)
    out = images.new_zeros(images.shape[0], 4, rows, cols)
    for r0 in range(0, rows, tile):
        r1 = min(rows, r0 + tile)
        for c0 in range(0, cols, tile):
            c1 = min(cols, c0 + tile)
            part = images[..., block * r0:block * r1 + 2 * MARGIN, block * c0:block * c1 + 2 * MARGIN]
            out[..., r0:r1, c0:c1] = grid_probabilities(net(part, block))
    return out


def block_rows(size: int, block: int) -> int:
    """Full blocks along an axis of ``size`` pixels (odd sizes lose their last pixel first)."""
    return max(0, (size - size % 2 - 2 * MARGIN) // block)


@dataclass(frozen=True)
class GridAnalysis:
    """One image's blocks: grid-origin probabilities ``[4, H', W']``, the image's grid (0..3, as
    (row, column) parity of the origin relative to pixel (4, 4): 0=(0,0) 1=(0,1) 2=(1,0) 3=(1,1)),
    and the block forgery map ``[H', W']``."""

    probabilities: torch.Tensor
    grid: int
    blocks: torch.Tensor


def analyse_blocks(probabilities: torch.Tensor, mode: str) -> GridAnalysis:
    """The image's grid and block map from ``[4, H', W']`` probabilities. ``paper``: a block whose most
    likely origin is not the image's scores that origin's probability, others 0; ``soft``: 1 minus
    the probability of the image's origin."""
    grid = int(probabilities.mean((1, 2)).argmax())
    if mode == "paper":
        confidence, vote = probabilities.max(0)
        blocks = torch.where(vote == grid, torch.zeros_like(confidence), confidence)
    else:
        blocks = 1 - probabilities[grid]
    return GridAnalysis(probabilities, grid, blocks.clamp(0, 1))


def blocks_to_pixels(blocks: torch.Tensor, height: int, width: int, block: int) -> torch.Tensor:
    """``[H', W']`` block values -> ``[height, width]``: block ``(i, j)`` covers pixels
    ``4 + block*i .. 4 + block*(i+1) - 1`` (rows; columns alike); pixels outside every block take the
    nearest block's value. No block at all: zeros."""
    if blocks.numel() == 0:
        return blocks.new_zeros(height, width)
    ys = ((torch.arange(height, device=blocks.device) - MARGIN).div(block, rounding_mode="floor")
          .clamp(0, blocks.shape[0] - 1))
    xs = ((torch.arange(width, device=blocks.device) - MARGIN).div(block, rounding_mode="floor")
          .clamp(0, blocks.shape[1] - 1))
    return blocks[ys][:, xs]


class AdaptiveCFADetector(BaseDetector):
    card = Card(
        description="Adaptive CFA Net (Bammey, Grompone von Gioi & Morel, CVPR 2020): per 32-px block, which of the "
                    "four Bayer grid origins the demosaicing traces point to; blocks whose origin differs from the "
                    "image's are flagged with their confidence. Designed for camera photos with demosaicing traces, "
                    "not generator traces. Authors' weights: no licence, research evaluation only.",
        reference="Q. Bammey, R. Grompone von Gioi, J.-M. Morel, 'An Adaptive Neural Network for Unsupervised Mosaic "
                  "Consistency Analysis in Image Forensics', CVPR 2020; code and weights "
                  "https://github.com/qbammey/adaptive_cfa_forensics",
        trainable=False,
        params={"variant": "authors' weights: pretrained (default; synthetic-mosaic pretraining), j95 (adapted to "
                           "their JPEG-95 database) or nojpeg (adapted to their uncompressed database)",
                "weights": "a state dict file of this network to use instead of the variant's published file",
                "map": "paper (default): a block whose most likely origin differs from the image's scores that "
                       "origin's probability, others 0; soft: 1 - probability of the image's origin",
                "block": "block side in pixels (even; default 32, as trained)",
                "tile": "blocks per tile side, bounding memory (default 8; the result does not depend on it)"},
        licence="code: MIT (our implementation from the paper); weights: none upstream (all rights reserved), "
                "research evaluation only, never redistributed",
        designed_for="camera photos with demosaicing (Bayer CFA) traces, uncompressed or mildly compressed; not "
                     "generator traces",
        weights=tuple(entry.name for entry in VARIANTS.values()),
        parameters=31_504,
        published=True,
    )

    def __init__(self, variant: str = "pretrained", weights: str | None = None, map: str = "paper",
                 block: int = 32, tile: int = 8) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"adaptive-cfa: variant={variant!r}: choose one of {', '.join(VARIANTS)}")
        if map not in MAPS:
            raise ValueError(f"adaptive-cfa: map={map!r}: choose one of {', '.join(MAPS)}")
        if block < 2 or block % 2:
            raise ValueError(f"adaptive-cfa: block must be an even number >= 2, not {block}")
        if tile < 1:
            raise ValueError(f"adaptive-cfa: tile must be >= 1, not {tile}")
        entry = VARIANTS[variant]
        self.path = entry.path(explicit=weights)
        self.weights_record: dict[str, Any] = {**entry.record(self.path), "explicit": weights is not None}
        self.net = load_network(self.path)
        self.map, self.block, self.tile = map, block, tile
        self.options = {"variant": variant, "weights": weights, "map": map, "block": block, "tile": tile}
        self.device = torch.device("cpu")

    def to(self, device: str | torch.device) -> AdaptiveCFADetector:
        self.device = torch.device(device)
        self.net.to(self.device)
        return self

    @torch.no_grad()
    def analyse(self, images: torch.Tensor) -> list[GridAnalysis]:
        """Each image's block probabilities, grid and block map (RGB in [0, 1]; odd sizes lose a row/column)."""
        h, w = images.shape[-2:]
        even = images[..., :h - h % 2, :w - w % 2].float()
        probs = block_grid_probabilities(self.net, even, self.block, self.tile)
        return [analyse_blocks(p, self.map) for p in probs]

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        h, w = images.shape[-2:]
        maps = [blocks_to_pixels(a.blocks, h, w, self.block) for a in self.analyse(images)]
        return torch.stack(maps)[:, None].float()

    def info(self) -> dict:
        return {"options": self.options, "weights": self.weights_record, "weights_entry": self.weights_record,
                "parameters": sum(p.numel() for p in self.net.parameters())}
