"""Print images per second of the project's trainer against a plain torch loop, and of evaluation
against the bare forward pass, for nixnet and fcn, with their ratios (1.0: no overhead).

Both sides of a pair read the same files through the same ``SampleTensors`` with the same worker
count, batch, model, focal loss and Adam; the plain sides have no validity masks, metrics, progress
or checks. A tiny provided-layout set of random images is written to a temporary folder.

Usage: python scripts/bench_train.py [--size 64] [--images 32] [--batch 8] [--device cpu] [--workers 0]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from torchvision.ops import sigmoid_focal_loss

from inpaintbench.data.imageio import write_webp
from inpaintbench.data.layout import LayoutDataset
from inpaintbench.evaluation._tensors import SampleTensors
from inpaintbench.evaluation.harness import evaluate_split, loader
from inpaintbench.evaluation.protocol import Execution, Protocol
from inpaintbench.sdk import registry
from inpaintbench.training.trainer import Progress, TrainConfig, Trainer, seed_everything

DETECTORS = {"nixnet": {}, "fcn": {"weights": "none"}}


def write_set(root: Path, n: int, size: int) -> None:
    """``n`` ids per split of random images with a square mask, in the provided layout."""
    rng = np.random.default_rng(0)
    for split in ("train", "val", "test"):
        for i in range(n):
            mask = np.zeros((size, size), np.uint8)
            mask[size // 4: size // 2, size // 4: 3 * size // 4] = 255
            write_webp(root / split / f"{split}{i:03d}.realfake.webp", rng.integers(0, 256, (size, size, 3), np.uint8))
            write_webp(root / split / f"{split}{i:03d}.mask.webp", mask)


def plain_batches(data: SampleTensors, batch: int, workers: int, device: str) -> DataLoader:
    def stack(items):
        return torch.stack([it["image"] for it in items]), torch.stack([it["target"] for it in items])

    return DataLoader(data, batch_size=batch, shuffle=True, num_workers=workers, collate_fn=stack,
                      pin_memory=device.startswith("cuda"))


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def rate(fn, n_images: int, device: str) -> float:
    """Images per second of one call of ``fn`` over ``n_images`` images."""
    sync(device)
    t0 = time.perf_counter()
    fn()
    sync(device)
    return n_images / (time.perf_counter() - t0)


def bench(name: str, root: Path, args: argparse.Namespace,
          which: tuple[str, ...] = ("trainer", "evaluation")) -> dict[str, list[float]]:
    """Images per second of each side of the pairs named in ``which`` (``trainer``: trainer against the
    plain loop; ``evaluation``: evaluation against the bare forward pass), one list per side."""
    dataset = LayoutDataset(root)
    protocol = Protocol()
    seed_everything(0)
    detector = registry.create("detectors", name, **DETECTORS[name])
    config = TrainConfig(epochs=1, batch_size=args.batch, crop=0, device=args.device, workers=args.workers,
                         progress=False, resume=False, lr=1e-4)
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(detector, dataset, config, protocol, out, name=name)
    module, device = trainer.detector.module, trainer.device
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-4)
    train_data = SampleTensors(dataset, dataset.records("train/realfake"), protocol)
    test_data = SampleTensors(dataset, dataset.records("test/realfake"), protocol)
    n_train, n_test = len(train_data), len(test_data)

    def plain_train() -> None:
        module.train()
        for images, target in plain_batches(train_data, args.batch, args.workers, args.device):
            images, target = images.to(device, non_blocking=True), target.to(device, non_blocking=True)
            loss = sigmoid_focal_loss(module(images), target, alpha=0.75, gamma=2.0, reduction="mean")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    @torch.no_grad()
    def bare_forward() -> None:
        module.eval()
        for batch in loader(test_data, args.workers, args.device, batch_size=args.batch):
            torch.sigmoid(module(batch["image"].to(device, non_blocking=True)))

    def evaluation() -> None:
        evaluate_split(trainer.detector, dataset, "test/realfake", protocol=protocol, name=name,
                       run=Execution(batch_size=args.batch, device=args.device, workers=args.workers, progress=False))

    pairs = {"trainer": (lambda: trainer.train_epoch(0, Progress()), n_train),
             "plain loop": (plain_train, n_train),
             "evaluation": (evaluation, n_test), "bare forward": (bare_forward, n_test)}
    chosen = [pair for pair in (("trainer", "plain loop"), ("evaluation", "bare forward")) if pair[0] in which]
    rates: dict[str, list[float]] = {key: [] for pair in chosen for key in pair}
    # pair by pair (a switch between training and evaluation re-primes the kernels), each side warmed up,
    # then interleaved, so that a change of load on a shared machine hits both sides of a pair
    for pair in chosen:
        for key in pair:
            pairs[key][0]()
        for _ in range(args.repeats):
            for key in pair:
                rates[key].append(rate(*pairs[key], args.device))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=64, help="image side (native resolution, no resize)")
    parser.add_argument("--images", type=int, default=32, help="images per split")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--detectors", default="nixnet,fcn")
    args = parser.parse_args()
    print(f"device {args.device}, {args.images} images of {args.size} px per split, batch {args.batch}, "
          f"workers {args.workers}, torch threads {torch.get_num_threads()}, median of {args.repeats}")
    with tempfile.TemporaryDirectory() as tmp:
        write_set(Path(tmp), args.images, args.size)
        for name in args.detectors.split(","):
            r = {k: statistics.median(v) for k, v in bench(name, Path(tmp), args).items()}
            print(f"{name:>7}: trainer {r['trainer']:8.1f} img/s, plain loop {r['plain loop']:8.1f} img/s, "
                  f"ratio {r['trainer'] / r['plain loop']:.3f} | evaluation {r['evaluation']:8.1f} img/s, "
                  f"bare forward {r['bare forward']:8.1f} img/s, ratio {r['evaluation'] / r['bare forward']:.3f}")


if __name__ == "__main__":
    main()
