"""Train FCN and NIX-Net with identical budgets on one `vae` fakefake free-form set and compare them.

The set is generated (or resumed) from ../shared/data/photos with the TAEF2 autoencoder through
`python -m inpaintbench generate freeform`. Both detectors get the same data, image size, batch
size, optimiser, learning rate, loss and number of steps; wall time and parameter counts are
reported beside the metrics. Writes one result JSON per detector, a leaderboard and a summary.

Usage (CPU, a few minutes for NIX-Net; FCN-ResNet50 costs ~10x more per step):
  python scripts/compare_fcn_nixnet.py --max-steps 60 --image-size 256 --out results/compare
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.jobs.job import Job, evaluate_job, train_job
from inpaintbench.jobs.results import Result, write_result
from inpaintbench.reports import leaderboard
from inpaintbench.reports._markdown import markdown_table
from inpaintbench.sdk.registry import parse_key_values
from inpaintbench.training.trainer import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
SHARED = (ROOT / ".." / "shared").resolve()
PHOTOS = SHARED / "data" / "photos"
TAEF2 = SHARED / "weights" / "taef2"


def build_freeform(out: Path, generator: str, *, source: Path = PHOTOS, image_size: int = 256,
                   seed: int = 0, crops_per_image: int = 2, limit: int | None = None) -> Path:
    """Generate a free-form-mask set with ``generator`` (resumes: existing ids are skipped)."""
    if not source.is_dir():
        sys.exit(f"photo folder {source} not found: pass --photos DIR")
    cmd = [sys.executable, "-m", "inpaintbench", "generate", "freeform", "--source", str(source),
           "--generator", generator, "--crop-size", str(image_size), "--seed", str(seed),
           "--crops-per-image", str(crops_per_image), "--output-dir", str(out), "--quiet"]
    if generator == "vae":
        if not TAEF2.is_dir():
            sys.exit(f"TAEF2 weights not found at {TAEF2}")
        cmd += ["--autoencoder", str(TAEF2)]
    if limit:
        cmd += ["--limit", str(limit)]
    print("+", " ".join(cmd), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(cmd, check=True, cwd=out.parent)  # not the repo root: `-m` would put it first on sys.path
    return out


def budget(args: argparse.Namespace) -> TrainConfig:
    """The one training budget every detector gets: a fixed number of steps, no early stop."""
    return TrainConfig(epochs=100_000, max_steps=args.max_steps, batch_size=args.batch_size, lr=args.lr,
                       patience=100_000, seed=args.seed, device=args.device, workers=args.workers)


def train_then_evaluate(detector: str, options: dict[str, Any], train_set: tuple[str, dict[str, Any]],
                        test_sets: dict[str, tuple[str, dict[str, Any]]], config: TrainConfig,
                        protocol: Protocol, out: Path) -> list[Result]:
    """Train once on ``train_set``, then evaluate the best checkpoint on each labelled test set."""
    dataset, data_options = train_set
    job = Job(detector, dataset, options, data_options, protocol, config.validation_run())
    report, folder = train_job(job, config, out / "runs" / f"{detector}-{dataset}")
    training = {"config": config.record(), "run_dir": str(folder), "steps": report.steps,
                "epochs_run": report.epochs_run, "best_epoch": report.best_epoch,
                "best_val": report.best_val, "seconds": report.seconds, "history": report.history,
                "train_dataset": dataset, "train_dataset_options": {k: str(v) for k, v in data_options.items()}}
    results = []
    for label, (test_dataset, test_options) in test_sets.items():
        test_job = Job(detector, test_dataset, options, test_options, protocol, config.validation_run())
        result = evaluate_job(test_job, report.best_checkpoint, training=training)
        result.dataset = label
        write_result(result, out / f"{detector}-{dataset}-on-{label}.json")
        results.append(result)
    return results


def summary_rows(results: list[Result], train_label: str | None = None) -> list[dict[str, Any]]:
    rows = []
    for res in results:
        train = res.training or {}
        for split, m in res.metrics.items():
            if m["role"] != "manipulated":
                continue
            rows.append({"detector": res.detector, "trained on": train_label or train.get("train_dataset"),
                         "tested on": f"{res.dataset} {split}", "iou": m["iou"], "f1": m["f1"],
                         "f1_best": m["f1_best"], "auc": m["auc"], "n": m["n_images"],
                         "params": res.detector_info.get("parameters"), "steps": train.get("steps"),
                         "train_s": round(train.get("seconds", float("nan")), 1),
                         "s_per_step": round(train.get("seconds", float("nan")) / max(1, train.get("steps") or 1), 2)})
    return rows


def write_tables(results: list[Result], rows: list[dict[str, Any]], out: Path, title: str,
                 with_leaderboard: bool = True) -> Path:
    """``summary.md``: the compact comparison, then (optionally) the leaderboard of the result files."""
    table = markdown_table(list(rows[0]), [list(row.values()) for row in rows])
    board = leaderboard.render(results, title=title) if with_leaderboard else ""
    text = f"# {title}: summary\n\n{table}\n\n{board}"
    path = out / "summary.md"
    from inpaintbench.io._atomic import atomic_write_bytes

    atomic_write_bytes(path, text.encode())
    print(table)
    print(f"written {path}")
    return path


def common_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-steps", type=int, default=60, help="training steps per detector (identical budget)")
    p.add_argument("--image-size", type=int, default=256, help="network input size (images are resized to it)")
    p.add_argument("--data-size", type=int, default=256, help="crop size of the generated sets")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--device", default="cpu")
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--photos", type=Path, default=PHOTOS, help="real photos the test sets are built from")
    p.add_argument("--crops-per-image", type=int, default=2, help="random crops (ids) per photo in generated sets")
    p.add_argument("--data-dir", type=Path, default=ROOT / "results" / "data",
                   help="where generated sets are kept (under the git-ignored results/)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_arguments(p)
    p.add_argument("--detectors", default="fcn,nixnet")
    p.add_argument("--opt", action="append", help="DETECTOR:key=value, e.g. nixnet:width=16")
    p.add_argument("--out", type=Path, default=ROOT / "results" / "compare-fcn-nixnet")
    args = p.parse_args()

    data = build_freeform(args.data_dir / f"freeform-vae-{args.data_size}", "vae", source=args.photos,
                          image_size=args.data_size, seed=args.seed, crops_per_image=args.crops_per_image)
    options = {d: {} for d in args.detectors.split(",")}
    for item in args.opt or []:
        name, _, kv = item.partition(":")
        options.setdefault(name, {}).update(parse_key_values([kv]))
    protocol = Protocol(args.image_size)
    sets = {"freeform-vae": ("freeform", {"data_root": str(data)})}
    results: list[Result] = []
    for detector in args.detectors.split(","):
        results += train_then_evaluate(detector, options[detector], sets["freeform-vae"], sets, budget(args),
                                       protocol, args.out)
    write_tables(results, summary_rows(results, "freeform-vae"), args.out,
                 f"FCN vs NIX-Net, {args.max_steps} steps at batch {args.batch_size}, {args.image_size} px")


if __name__ == "__main__":
    main()
