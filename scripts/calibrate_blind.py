"""Fit the probability map of the blind detectors (``splicebuster``, ``noiseprint``) on constructed splices.

Hosts are BSDS500 train photos; into each, an object-shaped region (a human segment covering 5-30 %
of the image) is pasted from another photo after one of four kinds of processing that change the
residual statistics: a 1.5x bicubic resampling, a Gaussian blur (sigma 1) plus Gaussian noise
(std 2), Gaussian noise alone (std 3), or a light blur (sigma 0.8) into a host given Gaussian noise
(std 2) everywhere else (a noise-level mismatch). Each detector's Mahalanobis map (invalid windows at the
image's smallest value) is read per pixel as ``x = log(d2 / dims)``; the ``center`` is the threshold
on ``x`` with the highest mean per-image F1 over the spliced images (where the probability map
crosses 0.5). The unmodified hosts give the share of authentic pixels above it and the image-level
AUC of the image score candidates.

    python scripts/calibrate_blind.py [--images 24] [--detectors splicebuster,noiseprint]

The photos are read from ``../shared`` beside the checkout (``$INPAINTBENCH_SHARED`` elsewhere), the
Noiseprint weights from where the detector finds them (``$INPAINTBENCH_WEIGHTS``).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import scipy.io as sio
import torch
from PIL import Image
from scipy.ndimage import gaussian_filter
from scipy.stats import rankdata

from inpaintbench.baselines.blind_em import fill_invalid, to_pixels
from inpaintbench.baselines.noiseprint import NoiseprintDetector
from inpaintbench.baselines.splicebuster import SplicebusterDetector

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("INPAINTBENCH_SHARED") or ROOT.parent / "shared")
BSDS = SHARED / "data" / "bsds500"
KINDS = ("resample", "blur_noise", "noise", "noisy_host")
DETECTORS = {"splicebuster": SplicebusterDetector, "noiseprint": NoiseprintDetector}


def segment_mask(name: str, shape: tuple[int, int]) -> np.ndarray:
    """The first annotator's segment whose share of the image is in [5 %, 30 %] and nearest 15 %."""
    truth = sio.loadmat(BSDS / "groundTruth" / "train" / f"{name}.mat")["groundTruth"]
    labels = truth[0, 0]["Segmentation"][0, 0]
    shares = {int(v): float((labels == v).mean()) for v in np.unique(labels)}
    fitting = {v: s for v, s in shares.items() if 0.05 <= s <= 0.30} or shares
    best = min(fitting, key=lambda v: abs(fitting[v] - 0.15))
    return (labels == best)[:shape[0], :shape[1]]


def processed_donor(donor: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """The donor photo after ``kind`` of processing, uint8, at the host's size."""
    h, w = donor.shape[:2]
    if kind == "noisy_host":  # the host gets the noise (below), the donor a light blur
        return np.clip(np.rint(gaussian_filter(donor.astype(np.float64), (0.8, 0.8, 0))), 0, 255).astype(np.uint8)
    if kind == "resample":
        big = np.asarray(Image.fromarray(donor).resize((int(w * 1.5), int(h * 1.5)), Image.BICUBIC))
        return big[:h, :w]
    out = donor.astype(np.float64)
    if kind == "blur_noise":
        out = gaussian_filter(out, (1.0, 1.0, 0)) + rng.normal(0, 2.0, (h, w, 1))
    else:
        out = out + rng.normal(0, 3.0, (h, w, 1))
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def cases(n: int):
    """``(host, spliced, mask, kind)`` for ``n`` hosts, each with the next photo as donor."""
    files = sorted((BSDS / "images" / "train").glob("*.jpg"))
    for i in range(n):
        host = np.asarray(Image.open(files[2 * i]).convert("RGB"))
        donor = np.asarray(Image.open(files[2 * i + 1]).convert("RGB"))
        if donor.shape != host.shape:
            donor = np.asarray(Image.fromarray(donor).resize(host.shape[1::-1], Image.BICUBIC))
        mask = segment_mask(files[2 * i].stem, host.shape[:2])
        kind = KINDS[i % len(KINDS)]
        rng = np.random.default_rng(i)
        if kind == "noisy_host":
            host = np.clip(np.rint(host + rng.normal(0, 2.0, (*host.shape[:2], 1))), 0, 255).astype(np.uint8)
        spliced = np.where(mask[..., None], processed_donor(donor, kind, rng), host)
        yield host, spliced, mask, kind


def log_distance(detector, image: np.ndarray) -> np.ndarray:
    """``log(d2 / dims)`` per pixel of the detector's blind map (invalid windows at the smallest value)."""
    tensor = torch.from_numpy(image.copy()).permute(2, 0, 1).float() / 255
    blind = detector.blind(tensor)
    if blind.model is None:
        return np.zeros(image.shape[:2])
    grid = fill_invalid(np.log(np.maximum(blind.mahalanobis, 1e-12) / detector.dims), blind.valid)
    return to_pixels(grid, blind.centres0, blind.centres1, image.shape[:2])


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    ranks = rankdata(scores)
    pos = int(labels.sum())
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * (len(labels) - pos)))


def f1(flagged: np.ndarray, truth: np.ndarray) -> float:
    tp = float((flagged & truth).sum())
    return 2 * tp / max(float(flagged.sum() + truth.sum()), 1.0)


def best_center(spliced: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, float]:
    """The ``x`` threshold with the highest mean per-image F1 over the spliced images, and that F1."""
    grid = np.round(np.arange(0.0, 6.01, 0.05), 2)
    scores = [np.mean([f1(x > c, m) for x, m in spliced]) for c in grid]
    best = int(np.argmax(scores))
    return float(grid[best]), float(scores[best])


def quantile_score(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q))


def calibrate(name: str, n: int) -> None:
    detector = DETECTORS[name]()
    spliced, authentic, per_kind = [], [], {k: [] for k in KINDS}
    t0 = time.perf_counter()
    for host, image, mask, kind in cases(n):
        x = log_distance(detector, image)
        per_kind[kind].append(auc(x.ravel(), mask.ravel()))
        spliced.append((x, mask))
        authentic.append(log_distance(detector, host))
    seconds = time.perf_counter() - t0
    center, score = best_center(spliced)
    print(f"## {name}: {n} spliced + {n} authentic BSDS500-train images, {seconds:.0f} s")
    for kind, values in per_kind.items():
        print(f"pixel AUC {kind}: mean {np.mean(values):.3f} (min {np.min(values):.3f}, n {len(values)})")
    print(f"center {center:.2f} (threshold d2 = {np.exp(center):.1f} x dims): mean F1 {score:.3f}")
    share = [float((x > center).mean()) for x in authentic]
    print(f"authentic share of pixels above it: median {np.median(share):.3f}, mean {np.mean(share):.3f}")
    labels = np.array([True] * len(spliced) + [False] * len(authentic))
    for q in (0.5, 0.9, 0.99, 1.0):
        scores = np.array([quantile_score(x, q) for x in [x for x, _ in spliced] + authentic])
        print(f"image AUC of the {q:g} quantile: {auc(scores, labels):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=24, help="number of hosts (each also scored unmodified)")
    parser.add_argument("--detectors", default="splicebuster,noiseprint")
    args = parser.parse_args()
    for name in args.detectors.split(","):
        calibrate(name, args.images)


if __name__ == "__main__":
    main()
