"""Seconds per training step of NIX-Net with each noise-stream input, with the autoencoder trace computed
inside the forward pass on every crop (before the cache) and read from the feature cache (after).

Each timed step is one batch of the trainer's own loop: loading and cropping the images (and reading the
cached trace), forward, focal loss, backward and the Adam step. The cache is filled before the timing
(``Trainer.prepare_inputs``, reported separately). Variants are timed round by round, interleaved, so that
a change of load on a shared machine hits all of them; the median is reported.

Usage: python scripts/bench_image_inputs.py DATA_ROOT [--crop 256] [--batch 8] [--steps 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import torch

from inpaintbench.data.layout import LayoutDataset
from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.sdk import registry
from inpaintbench.training.trainer import TrainConfig, Trainer, seed_everything

VARIANTS = (("srm", True), ("aerecon", False), ("aerecon", True), ("srm+aerecon", False), ("srm+aerecon", True))


def make_trainer(residual: str, cached: bool, root: str, args: argparse.Namespace, out: str) -> Trainer:
    """A trainer of nixnet on ``root``; without ``cached`` the detector declares no image input, so its
    forward computes the trace of each crop itself (the behaviour before the cache)."""
    seed_everything(0)
    detector = registry.create("detectors", "nixnet", residual=residual)
    if not cached:
        detector.inputs = ()
    config = TrainConfig(epochs=1, batch_size=args.batch, crop=args.crop, lr=1e-3, progress=False, resume=False,
                         workers=0, image_loss_weight=0.0)
    return Trainer(detector, LayoutDataset(root), config, Protocol(None), out, name="nixnet")


def time_steps(trainer: Trainer, steps: int) -> list[float]:
    """Seconds of each of ``steps`` steps (batch loading included), after one warm-up step."""
    trainer.detector.module.train()
    batches = iter(trainer.batches)
    times = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        batch = next(batches)
        inputs = batch.get("inputs")
        trainer.step(batch["image"], batch["target"], batch["valid"],
                     torch.as_tensor(batch["manipulated"]), inputs)
        if i:
            times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data_root", help="a provided-layout set (e.g. the reference bsds-freeform set)")
    p.add_argument("--crop", type=int, default=256)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=5, help="timed steps per variant and round")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    times: dict[tuple[str, bool], list[float]] = {v: [] for v in VARIANTS}
    with tempfile.TemporaryDirectory() as out:
        trainers = {v: make_trainer(*v, args.data_root, args, os.path.join(out, f"{v[0]}-{v[1]}")) for v in VARIANTS}
        for (residual, cached), trainer in trainers.items():
            if cached and "aerecon" in residual:
                t0 = time.perf_counter()
                trainer.prepare_inputs()
                print(f"{residual}: trace of {len(trainer.data)} train images and the val images computed or read "
                      f"in {time.perf_counter() - t0:.1f} s", flush=True)
        for _ in range(args.rounds):
            for variant, trainer in trainers.items():
                times[variant] += time_steps(trainer, args.steps)
    print(f"\ntorch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}, crop {args.crop}, "
          f"batch {args.batch}, {args.rounds} x {args.steps} steps each")
    print("| residual | trace | s/step (median) | min | max |\n| --- | --- | --- | --- | --- |")
    for (residual, cached), values in times.items():
        how = "-" if "aerecon" not in residual else ("cached" if cached else "in the forward pass, per crop")
        print(f"| {residual} | {how} | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} |")


if __name__ == "__main__":
    main()
