"""Throughput of the ``vae`` generator's autoencoder round trip, in images/s, at 256 and 512 px:
one batch of N images against N images one at a time. Prints the figures and the ratios.

    python scripts/bench_vae.py [--weights ../shared/weights/taef2] [--batch 8] [--device cpu]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from inpaintbench.sdk.autoencoders import load_autoencoder

DEFAULT_WEIGHTS = Path(__file__).resolve().parents[1] / ".." / "shared" / "weights" / "taef2"


def images_per_second(fn, n_images: int, repeats: int, device: str) -> float:
    """Best-of-``repeats`` rate of ``fn`` (which processes ``n_images``), after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return n_images / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="autoencoder folder or hub id")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    ae = load_autoencoder(args.weights, args.device)
    print(f"autoencoder {ae.name} on {args.device} ({torch.get_num_threads()} threads), batch {args.batch}")
    print(f"{'size':>6} {'one at a time (img/s)':>22} {'batched (img/s)':>16} {'ratio':>7}")
    for size in (int(s) for s in args.sizes.split(",")):
        x = torch.rand(args.batch, 3, size, size, generator=torch.Generator().manual_seed(0))
        single = images_per_second(lambda x=x: [ae.roundtrip(x[i:i + 1]) for i in range(len(x))],
                                   len(x), args.repeats, args.device)
        batched = images_per_second(lambda x=x: ae.roundtrip(x), len(x), args.repeats, args.device)
        print(f"{size:>6} {single:>22.2f} {batched:>16.2f} {batched / single:>6.2f}x")


if __name__ == "__main__":
    main()
