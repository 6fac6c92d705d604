"""Cross-generator test in one command: train on the universal data, test on unseen generators.

Trains the detector (default NIX-Net) on `universal` data made from BSDS500 photos (disjoint from
the Kodak / CBSD68 photos the test sets are built from), and, as the in-domain reference, on the
`vae` free-form set's train split; then tests both on the free-form test splits made by the
`vae` (TAEF2) and `classical` (OpenCV) generators. Same budget for every training run.

Usage:
  python scripts/cross_generator.py --detector nixnet --max-steps 150 --out results/cross-generator
"""

from __future__ import annotations

import argparse
from pathlib import Path

from compare_fcn_nixnet import (
    ROOT,
    SHARED,
    budget,
    build_freeform,
    common_arguments,
    summary_rows,
    train_then_evaluate,
    write_tables,
)

from inpaintbench.evaluation.protocol import Protocol
from inpaintbench.sdk.registry import parse_key_values

BSDS = SHARED / "data" / "bsds500" / "images"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_arguments(p)
    p.add_argument("--detector", default="nixnet")
    p.add_argument("--opt", action="append", help="detector option key=value")
    p.add_argument("--universal-photos", type=Path, default=BSDS,
                   help="photo folder for the universal data (train/ val/ test/ subfolders give the splits)")
    p.add_argument("--operations", default="gaussian,poisson,blur,median,jpeg",
                   help="universal operations (add ',autoencoder' with --universal-autoencoder)")
    p.add_argument("--universal-autoencoder", help="autoencoder weights for the universal 'autoencoder' operation")
    p.add_argument("--test-generators", default="vae,classical")
    p.add_argument("--no-reference", action="store_true", help="skip the in-domain (vae-trained) reference run")
    p.add_argument("--out", type=Path, default=ROOT / "results" / "cross-generator")
    args = p.parse_args()

    tests = {}
    for gen in args.test_generators.split(","):
        folder = build_freeform(args.data_dir / f"freeform-{gen}-{args.data_size}", gen, source=args.photos,
                                image_size=args.data_size, seed=args.seed,
                                crops_per_image=args.crops_per_image)
        tests[f"freeform-{gen}"] = ("freeform", {"data_root": str(folder)})
    universal = {"data_root": str(args.universal_photos), "image_size": args.data_size,
                 "operations": args.operations, "seed": args.seed}
    if args.universal_autoencoder:
        universal["autoencoder"] = args.universal_autoencoder
    trains = {"universal": ("universal", universal)}
    if not args.no_reference and "freeform-vae" in tests:
        trains["freeform-vae"] = tests["freeform-vae"]
    options = parse_key_values(args.opt)
    protocol = Protocol(args.image_size)
    results, rows = [], []
    for label, train_set in trains.items():
        got = train_then_evaluate(args.detector, options, train_set, tests, budget(args), protocol,
                                  args.out / label)
        results += got
        rows += summary_rows(got, label)
    write_tables(results, rows, args.out,
                 f"{args.detector} across generators, {args.max_steps} steps at batch {args.batch_size}, "
                 f"{args.image_size} px", with_leaderboard=False)


if __name__ == "__main__":
    main()
