"""Measure what the originals in training and the image-level loss do for NIX-Net (SRM) at a small budget.

Trains ``nixnet`` (residual=srm, the card's learning rate) on the train split of a reference set (e.g.
``runs/reference/cpu/data/bsds-freeform``, made by ``scripts/reference.py``) once per setting, with the same
seed, crop, batch and number of steps, then evaluates each on the test splits at native resolution
(image threshold chosen on val, as the reference run does). Settings:

- ``no-originals``: ``--train-kinds realfake,fakefake`` (the image loss cannot run without authentic images);
- ``originals``: every kind, the originals with an all-zero target, image loss off;
- ``originals+il<W>``: the same with ``--image-loss-weight W`` for each W of ``--weights``.

A fixed number of steps, not minutes, makes the settings comparable on a shared machine whose load
changes; the minutes each run took are printed too. Results and models go under ``--work``.

Usage: python scripts/training_defaults_study.py DATA_ROOT [--steps 400] [--weights 0.1,1] [--seeds 0]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

COLUMNS = (("test/fakefake", "iou"), ("test/fakefake", "auc"), ("test/realfake", "iou"), ("test/realfake", "auc"),
           ("test/original", "fpr"), ("test/fakefake", "image_auc"), ("test/realfake", "image_auc"))


def settings(weights: list[float]) -> dict[str, dict]:
    """Setting name -> TrainConfig overrides."""
    out = {"no-originals": {"train_kinds": ("realfake", "fakefake")}, "originals": {}}
    out.update({f"originals+il{w:g}": {"image_loss_weight": w} for w in weights})
    return out


def run_one(name: str, overrides: dict, seed: int, root: Path, work: Path, args: argparse.Namespace) -> dict:
    """Train and evaluate one setting (both resumed or read back when already done); its metrics row."""
    from inpaintbench.evaluation.protocol import Execution, Protocol
    from inpaintbench.jobs.job import Job, evaluate_job, train_job
    from inpaintbench.jobs.results import read_result, write_result
    from inpaintbench.training.trainer import TrainConfig

    label = f"{name}-seed{seed}"
    path = work / "results" / f"{label}.json"
    if not path.exists():
        job = Job("nixnet", "freeform", {"residual": "srm"}, {"data_root": str(root)},
                  Protocol(None, image_threshold_from="val"),
                  Execution(batch_size=args.batch, device="cpu", seed=seed, progress=False))
        config = TrainConfig(epochs=100_000, max_steps=args.steps, batch_size=args.batch, crop=args.crop,
                             patience=100_000, seed=seed, progress=False, **overrides)
        t0 = time.perf_counter()
        report, folder = train_job(job, config, work / "models" / label)
        training = {**report.record(), "run_dir": str(folder), "seconds": time.perf_counter() - t0}
        write_result(evaluate_job(job, report.best_checkpoint, training=training), path)
    result = read_result(path)
    row = {"setting": name, "seed": seed, "steps": result.training["steps"],
           "train_minutes": round(result.training.get("minutes") or result.training["seconds"] / 60, 1),
           "best_epoch": result.training["best_epoch"]}
    row.update({f"{split.split('/')[1]} {metric}": result.metrics.get(split, {}).get(metric)
                for split, metric in COLUMNS})
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data_root")
    p.add_argument("--work", default="runs/training-defaults")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--crop", type=int, default=64)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--weights", default="0.1,1", help="image-loss weights to try with the originals")
    p.add_argument("--seeds", default="0")
    args = p.parse_args()
    work = Path(args.work)
    rows = []
    for seed in (int(s) for s in args.seeds.split(",")):
        for name, overrides in settings([float(w) for w in args.weights.split(",")]).items():
            print(f"[{time.strftime('%H:%M:%S')}] {name}, seed {seed}", flush=True)
            rows.append(run_one(name, overrides, seed, Path(args.data_root), work, args))
    (work / "rows.json").write_text(json.dumps(rows, indent=2) + "\n")
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |\n|" + " --- |" * len(keys))
    for row in rows:
        print("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) and k not in ("train_minutes",) else str(v)
                                for k, v in row.items()) + " |")


if __name__ == "__main__":
    main()
