"""Print the cost of metric accumulation as a fraction of an FCN-ResNet50 forward pass on one batch.

Usage: python scripts/bench_metrics.py [--batch 8] [--size 256] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from inpaintbench.baselines.fcn import FCNDetector
from inpaintbench.evaluation.metrics import MetricState


def timed(fn, repeats: int, device: str) -> float:
    times = []
    for _ in range(repeats):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    images = torch.rand(args.batch, 3, args.size, args.size, device=args.device)
    target = (torch.rand(args.batch, 1, args.size, args.size, device=args.device) > 0.8).float()
    det = FCNDetector(weights="none").to(args.device)
    heat = det.predict(images)  # warm-up
    forward = timed(lambda: det.predict(images), args.repeats, args.device)
    metric = timed(lambda: MetricState().update(heat, target), args.repeats * 4, args.device)
    print(f"device {args.device}, batch {args.batch} x {args.size}px, torch threads {torch.get_num_threads()}")
    print(f"FCN-ResNet50 forward: {forward * 1e3:9.2f} ms (median of {args.repeats})")
    print(f"metric update:        {metric * 1e3:9.2f} ms (median of {args.repeats * 4})")
    print(f"ratio metric/forward: {metric / forward:.4f} ({100 * metric / forward:.2f} %)")


if __name__ == "__main__":
    main()
