"""Peak resident memory per image pixel and seconds per megapixel of evaluating one very large image
(issue 27): a synthetic photo-like pair (default 12000 x 9000 = 108 MP, PNG, a rectangular mask) is
evaluated through ``--dataset pairs`` by each detector in its own process, and the same job on a
256 x 256 pair gives the baseline (interpreter, torch, the model), so that

    bytes per pixel = (peak RSS on the large pair - peak RSS on the small pair) / pixels
    seconds per MP  = (wall time on the large pair - wall time on the small pair) / megapixels

With ``--tile-baseline``, a pair of one tile (2048 x 2048 at the default ``--max-pixels``, one
detector call) is a second baseline: bytes per pixel above it leave out one tile's activations, i.e.
they say how memory grows with the image once the tile's working memory is paid. ``--max-pixels N``
(passed to ``evaluate``) makes the tiles smaller, so that a slow detector shows that growth on a
smaller image.

Peak RSS is the child's ``ru_maxrss`` (``os.wait4``). Untrained detectors (random nixnet weights,
``--allow-untrained``) are fine here: memory and time do not depend on the weights.

Usage: python scripts/bench_memory.py [--width 12000] [--height 9000] [--detectors noise-residual,aerecon,nixnet]
       [--folder DIR (keeps the written pairs between runs)] [--opt detector:key=value ...]
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from inpaintbench.data.imageio import header

DETECTORS = ("noise-residual", "aerecon", "nixnet")


def photo_like(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth colour field with mild noise, built in bands of rows so the writer stays small."""
    rng = np.random.default_rng(seed)
    out = np.empty((height, width, 3), np.uint8)
    x = np.linspace(0, 6 * np.pi, width, dtype=np.float32)
    for y0 in range(0, height, 512):
        y = np.linspace(y0, min(height, y0 + 512) - 1, min(512, height - y0), dtype=np.float32)[:, None] / height
        for c in range(3):
            base = 128 + 80 * np.sin(x[None, :] * (1 + c / 3) + 5 * y * (c + 1))
            out[y0:y0 + len(y), :, c] = np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)
    return out


def write_pair(folder: Path, height: int, width: int) -> Path:
    """``image.png``, ``mask.png`` (a centred rectangle of a ninth of the area) and ``pairs.csv``;
    kept when already written at this size."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "pairs.csv"
    image = folder / "image.png"
    if manifest.exists() and image.exists() and header(image)[1] == (width, height):
        return manifest
    Image.fromarray(photo_like(height, width)).save(image, compress_level=1)
    mask = np.zeros((height, width), np.uint8)
    mask[height // 3: 2 * height // 3, width // 3: 2 * width // 3] = 255
    Image.fromarray(mask).save(folder / "mask.png", compress_level=1)
    manifest.write_text("image,mask,split\nimage.png,mask.png,test\n")
    return manifest


def measure(detector: str, manifest: Path, options: list[str], out: Path, max_pixels: int) -> tuple[int, float]:
    """Peak RSS in bytes and wall seconds of one ``evaluate`` of ``manifest`` by ``detector``."""
    argv = [sys.executable, "-m", "inpaintbench", "evaluate", "--detector", detector, "--dataset", "pairs",
            "--data-root", str(manifest), "--device", "cpu", "--no-overlays", "--quiet", "--output", str(out),
            "--allow-untrained", "--max-pixels", str(max_pixels)]
    for opt in options:
        argv += ["--opt", opt]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{detector} failed: {proc.stderr.read().decode()[-2000:]}")
    return usage.ru_maxrss * 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, default=12000)
    parser.add_argument("--height", type=int, default=9000)
    parser.add_argument("--detectors", default=",".join(DETECTORS))
    parser.add_argument("--folder", help="where the pairs are written (kept); default a temporary folder")
    parser.add_argument("--opt", action="append", default=[], metavar="DETECTOR:KEY=VALUE")
    parser.add_argument("--tile-baseline", action="store_true", help="also measure a pair of one tile")
    parser.add_argument("--max-pixels", type=int, default=2048 * 2048, help="evaluate's --max-pixels (tile size)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.folder) if args.folder else Path(tmp)
        t0 = time.perf_counter()
        large = write_pair(root / f"{args.width}x{args.height}", args.height, args.width)
        small = write_pair(root / "256x256", 256, 256)
        side = math.isqrt(args.max_pixels)
        tile = write_pair(root / f"{side}x{side}", side, side) if args.tile_baseline else None
        pixels = args.width * args.height
        print(f"pair {args.width}x{args.height} ({pixels / 1e6:.1f} MP) ready in {time.perf_counter() - t0:.0f} s; "
              f"load average {os.getloadavg()[0]:.2f}")
        for name in args.detectors.split(","):
            options = [o.split(":", 1)[1] for o in args.opt if o.startswith(f"{name}:")]
            rss0, t_small = measure(name, small, options, Path(tmp) / f"{name}-small.json", args.max_pixels)
            rss, t_large = measure(name, large, options, Path(tmp) / f"{name}-large.json", args.max_pixels)
            above_tile = ""
            if tile is not None:
                rss1, _ = measure(name, tile, options, Path(tmp) / f"{name}-tile.json", args.max_pixels)
                above_tile = (f"; one {side}x{side} tile peaks at {rss1 / 2**30:.2f} GiB, "
                              f"{(rss - rss1) / (pixels - side * side):.1f} bytes per pixel above it")
            print(f"{name:>15}: peak RSS {rss / 2**30:.2f} GiB (baseline {rss0 / 2**30:.2f} GiB), "
                  f"{(rss - rss0) / pixels:.1f} bytes per pixel, {(t_large - t_small) / (pixels / 1e6):.3f} s/MP "
                  f"({t_large:.0f} s in all){above_tile}", flush=True)
        print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
