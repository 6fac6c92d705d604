"""Native resolution against a resize to N before the detector: the same detectors, the same images.

Builds (or reuses) a TAEF2 fakefake set of Kodak photos at 512 px with the package's ``generate``
job, trains NIX-Net on a TAEF2 free-form set of BSDS500 photos at the stored scale (crops) unless a
checkpoint is given, then evaluates ``nixnet``, ``noise-residual`` and ``aerecon`` on every Kodak
image twice: at the stored 512 px and resized to ``--size`` (default 256). Prints a markdown table
and writes the result JSONs under ``--out``.

    python scripts/resolution_study.py --out runs/resolution [--checkpoint best.pt] [--steps 300]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import inpaintbench as ib
from inpaintbench.jobs.results import read_result, write_result
from inpaintbench.reports._markdown import markdown_table

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
TAEF2 = SHARED / "weights" / "taef2"
DETECTORS = ("nixnet", "noise-residual", "aerecon")
METRICS = ("iou", "f1", "f1_best", "auc")


def generate(dataset: str, source: Path, out: Path, size: int, crop: str) -> Path:
    """The package's own generate job (resumable: a finished folder is kept as it is)."""
    subprocess.run([sys.executable, "-m", "inpaintbench", "generate", dataset, "--source", str(source),
                    "--generator", "vae", "--autoencoder", str(TAEF2), "--crop-size", str(size),
                    "--crop", crop, "--output-dir", str(out), "--quiet"], check=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/resolution", help="folder for data, runs and results")
    parser.add_argument("--checkpoint", help="NIX-Net weights (default: train them here)")
    parser.add_argument("--steps", type=int, default=300, help="NIX-Net training steps (batch 8, 256 px crops)")
    parser.add_argument("--size", type=int, default=256, help="the resized protocol's network size")
    parser.add_argument("--markdown", help="also write the table, with how it was made, to this file")
    parser.add_argument("--report-only", action="store_true", help="only rebuild the table from the result JSONs")
    args = parser.parse_args()
    out = Path(args.out)
    test = out / "kodak512-taef2"
    if not args.report_only:
        generate("rect", SHARED / "data" / "photos" / "kodak24", test, 512, "centre")
    checkpoint = args.checkpoint
    if checkpoint is None and not args.report_only:
        train_set = generate("freeform", SHARED / "data" / "bsds500" / "images", out / "bsds256-taef2", 256, "random")
        trained = ib.train("nixnet", ib.load_dataset("freeform", data_root=str(train_set)), run_dir=str(out / "nixnet"),
                          max_steps=args.steps, epochs=1000, patience=1000, crop=256, batch_size=8)
        checkpoint = trained.best_checkpoint
    dataset = ib.load_dataset("rect", data_root=str(test))
    splits = [s for s in dataset.splits() if s.endswith("/fakefake")]
    if not args.report_only:
        for name in DETECTORS:
            detector = ib.load_detector(name, checkpoint) if name == "nixnet" else ib.load_detector(name)
            for size in (None, args.size):
                result = ib.evaluate(detector, dataset, splits=splits, image_size=size, batch_size=4)
                write_result(result, result_path(out, name, size))
    report(out, splits, args)


def result_path(out: Path, detector: str, size: int | None) -> Path:
    return out / "results" / f"{detector}-{'native' if size is None else size}.json"


def report(out: Path, splits: list[str], args: argparse.Namespace) -> None:
    """The table, from the result JSONs alone."""
    rows = []
    for name in DETECTORS:
        for size in (None, args.size):
            result = read_result(result_path(out, name, size))
            pooled = _pooled(result.metrics, splits)
            label = "native 512" if size is None else f"resized to {size}"
            rows.append([name, label, pooled["n"], *(f"{pooled[k]:.3f}" for k in METRICS)])
    table = markdown_table(["detector", "resolution", "n", *METRICS], rows)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(
            "# Native resolution against a resize before the detector\n\n"
            "TAEF2 fakefake (rect masks) of the 24 Kodak photos at 512 px, every image; NIX-Net trained "
            f"{args.steps} steps on TAEF2 free-form BSDS500 crops (256 px, originals included); "
            "`noise-residual` and `aerecon` training-free with their defaults. Per-image means over "
            "manipulated images at threshold 0.5; ground truth `mask == 255`. Made by "
            f"`python scripts/resolution_study.py --steps {args.steps} --size {args.size}`.\n\n"
            + table + "\n", encoding="utf-8")


def _pooled(metrics: dict, splits: list[str]) -> dict:
    """Per-image means over several splits, weighted by their image counts."""
    n = sum(metrics[s]["n_images"] for s in splits)
    out = {"n": n}
    for key in METRICS:
        out[key] = sum(metrics[s][key] * metrics[s]["n_images"] for s in splits) / max(1, n)
    return out


if __name__ == "__main__":
    main()
