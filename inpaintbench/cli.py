"""Command line: argument parsing only; every command calls the functions of ``jobs`` and friends.

Each subcommand is an ``add_<name>(subparsers)`` / ``cmd_<name>(args)`` pair listed in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path

from inpaintbench.sdk import registry
from inpaintbench.sdk.crops import CROP_POSITIONS, POSITION_ALIASES
from inpaintbench.sdk.errors import ConfigError

KINDS_SHOWN = ("detectors", "datasets", "attacks", "masks", "generators")


# --- shared options ------------------------------------------------------------------------------

def _size(text: str) -> int | None:
    """``--image-size``: ``native`` (or ``none``) keeps the stored size; else a side of at least 8."""
    if text.lower() in ("native", "none"):
        return None
    return _integer(text, 8, "image size", ", or 'native' for the stored size")


def _integer(text: str, low: int, what: str = "value", hint: str = "") -> int:
    """A whole number of at least ``low``, else an argparse error naming it."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"{what} {value} must be at least {low}{hint}")
    return value


def _positive(text: str) -> int:
    """A count that must be at least 1 (``generate --limit``, ``--crops-per-image``)."""
    return _integer(text, 1, "count")


def _threshold(text: str) -> float:
    """``--threshold``: a score strictly between 0 and 1 (NaN and the ends classify nothing or everything)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:  # also false for NaN
        raise argparse.ArgumentTypeError(f"threshold {text} must be strictly between 0 and 1")
    return value


def _pixels(text: str) -> int:
    """``--max-pixels``: at least 64 pixels per detector call."""
    return _integer(text, 64, "max pixels")


def _binarization(text: str) -> str:
    from inpaintbench.evaluation.protocol import mask_threshold

    try:
        mask_threshold(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_common(p: argparse.ArgumentParser, dataset_help: str | None = None) -> None:
    """Options every job command shares; with ``dataset_help``, ``--dataset`` is optional (default provided)."""
    p.add_argument("--detector", required=True, help="detector name (see `list`)")
    if dataset_help is None:
        p.add_argument("--dataset", required=True, help="dataset name (see `list`)")
    else:
        p.add_argument("--dataset", default="provided", help=dataset_help)
    p.add_argument("--data-root", help="dataset folder (default: $INPAINTBENCH_DATA, or the dataset's own default)")
    p.add_argument("--opt", action="append", metavar="KEY=VALUE", help="detector option (repeatable)")
    p.add_argument("--data-opt", action="append", metavar="KEY=VALUE", help="dataset option (repeatable)")
    p.add_argument("--image-size", type=_size, default=None,
                   help="resize image and mask to NxN before the network (metrics at that size; recorded as a "
                        "resize); default: native, the stored resolution")
    p.add_argument("--max-pixels", type=_pixels, default=None,
                   help="most pixels one detector call sees (default 2048x2048): larger batches run in chunks, "
                        "larger images on overlapping full-resolution tiles")
    p.add_argument("--mask-binarization", type=_binarization, default="full",
                   help="soft-mask value from which a pixel is inpainted: full (=255, default), half (>=128), "
                        "any (>0), or 1..255")
    p.add_argument("--threshold", type=_threshold, default=0.5, help="score threshold for IoU/F1 (default 0.5)")
    p.add_argument("--image-threshold-from", choices=("fixed", "val"), default="fixed",
                   help="threshold of image_bacc: fixed (0.5, default) or val (the one maximising balanced accuracy "
                        "on the val split of the same kind; costs one more prediction pass over those val splits)")
    p.add_argument("--metrics-convention", metavar="NAME",
                   help="whose pixel-metric convention to report, recorded in the protocol: inpaintbench (ours, "
                        "default), imdlbenco, trufor, tgif, photoholmes, opensdi (see the README's table)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--device", default="auto", help="cpu, cuda, cuda:1 ... (default: cuda when available)")
    p.add_argument("--workers", type=int, default=None,
                   help="DataLoader worker processes per process (default: min(8, cores per process) on CUDA, "
                        "0 on the CPU; recorded)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skip-bad", action="store_true", help="skip bad files (reported with a count) instead of stopping")
    p.add_argument("--output", help="result JSON path (default: results/<detector>-<dataset>-<time>.json)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--no-overlays", action="store_true",
                   help="do not draw the gallery PNG (worst and best images) beside the result")
    p.add_argument("--gallery-k", type=int, default=4, help="the gallery's number of worst and of best images "
                                                            "(default 4 each)")
    p.add_argument("--gallery-metric", choices=("iou", "f1_best"), default="iou",
                   help="per-image metric that ranks the gallery's images (default iou)")
    p.add_argument("--slice-by", metavar="COLUMN[,COLUMN]",
                   help="also give each split's metrics per value of these columns: the dataset's own (e.g. "
                        "generator, mask_type) or derived (mask_size, image_size buckets); see the README")


def add_training(p: argparse.ArgumentParser) -> None:
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--max-steps", type=int, help="stop after this many optimizer steps in all")
    p.add_argument("--lr", type=float, default=None,
                   help="Adam learning rate (default: the detector card's recommendation, else 1e-4)")
    p.add_argument("--focal-alpha", type=float, default=None, help="focal loss alpha (default 0.75; -1 disables)")
    p.add_argument("--focal-gamma", type=float, default=None, help="focal loss gamma (default 2)")
    p.add_argument("--patience", type=int, default=5, help="epochs without validation improvement before stopping")
    p.add_argument("--train-kinds", help="comma-separated kinds to train on (default: every kind in the train "
                                         "split, authentic 'original' images included with an all-zero target)")
    p.add_argument("--crop", type=int, default=None,
                   help="side of the random training crops at the stored scale; smaller images are padded and "
                        "the padding is left out of the loss; 0 trains on whole images (default 256)")
    p.add_argument("--image-loss-weight", type=float, default=None,
                   help="weight of the image-level loss (BCE of the top-1%% pooled logit against 'manipulated'), "
                        "used when authentic images are in training (default 0: off)")
    p.add_argument("--augment", default="", help="comma-separated augmentations: flip (recorded; default none)")
    p.add_argument("--run-dir", help="checkpoint folder (default: runs/<detector>-<dataset>-<config hash>, "
                                     "resumed if present)")
    p.add_argument("--no-resume", action="store_true", help="start afresh even if the run folder has a checkpoint")
    p.add_argument("--no-amp", action="store_true", help="disable mixed precision on CUDA")


def resolve_device(name: str) -> str:
    """``auto``: cuda when available, else cpu; under torchrun a bare ``cuda`` is this rank's GPU."""
    import torch

    from inpaintbench.io.distributed import device_for_rank

    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return device_for_rank(name)


def job_from_args(args: argparse.Namespace):
    from inpaintbench.evaluation.harness import default_workers
    from inpaintbench.evaluation.metric_presets import DEFAULT_CONVENTION
    from inpaintbench.evaluation.protocol import Execution, Protocol
    from inpaintbench.evaluation.slices import parse_columns
    from inpaintbench.evaluation.tiling import DEFAULT_MAX_PIXELS
    from inpaintbench.jobs.job import Job

    data_options = registry.parse_key_values(args.data_opt)
    if args.data_root:
        data_options["data_root"] = args.data_root
    protocol = Protocol(args.image_size, args.mask_binarization, args.max_pixels or DEFAULT_MAX_PIXELS,
                        threshold=args.threshold, metrics_convention=args.metrics_convention or DEFAULT_CONVENTION,
                        image_threshold_from=args.image_threshold_from)
    device = resolve_device(args.device)
    run = Execution(batch_size=args.batch_size, device=device,
                    workers=args.workers if args.workers is not None else default_workers(device), seed=args.seed,
                    on_bad="skip" if args.skip_bad else "error", progress=not args.quiet)
    return Job(detector=args.detector, dataset=args.dataset, detector_options=registry.parse_key_values(args.opt),
               dataset_options=data_options, protocol=protocol, run=run, slice_by=parse_columns(args.slice_by),
               gallery_k=args.gallery_k, gallery_metric=args.gallery_metric)


def train_config_from_args(args: argparse.Namespace, job):
    """The options as given; settings left unset are resolved by the trainer (card, then fallback)."""
    from inpaintbench.training.crops import parse_augment
    from inpaintbench.training.trainer import TrainConfig

    kinds = tuple(k.strip() for k in args.train_kinds.split(",")) if args.train_kinds else None
    run = job.run
    return TrainConfig(epochs=args.epochs, batch_size=run.batch_size, lr=args.lr, focal_alpha=args.focal_alpha,
                       focal_gamma=args.focal_gamma, crop=args.crop, augment=parse_augment(args.augment),
                       patience=args.patience, seed=run.seed, device=run.device, workers=run.workers,
                       max_steps=args.max_steps, train_kinds=kinds, amp=not args.no_amp, on_bad=run.on_bad,
                       resume=not args.no_resume, progress=run.progress,
                       **({} if args.image_loss_weight is None else {"image_loss_weight": args.image_loss_weight}))


def result_path(args: argparse.Namespace) -> Path:
    """The result file (``--output``, else a new default name), checked writable before any work."""
    from inpaintbench.io.outputs import check_output_file
    from inpaintbench.jobs.results import default_result_path

    return check_output_file(Path(args.output) if args.output else default_result_path(args.detector, args.dataset))


def overlay_path(args: argparse.Namespace, path: Path) -> Path | None:
    return None if args.no_overlays else path.with_suffix(".png")


def main_process() -> bool:
    """Rank 0 under torchrun (the one that writes reports), or a plain single process."""
    return int(os.environ.get("RANK", "0")) == 0


def write_and_report(result, path: Path) -> Path:
    from inpaintbench.io.outputs import replaced_note
    from inpaintbench.jobs.results import write_result
    from inpaintbench.reports import summary

    if not main_process():  # under torchrun rank 0 writes and reports
        return path
    note = replaced_note(path)
    write_result(result, path)
    print(summary.metrics_lines(result.metrics))
    skipped = result.dataset_info.get("n_skipped", 0)
    if skipped:
        print(f"skipped {skipped} bad file(s): {result.dataset_info['n_skipped_at_scan']} when scanning the "
              f"dataset, {skipped - result.dataset_info['n_skipped_at_scan']} when reading (--skip-bad)")
    for split, columns in result.slices.items():
        print(summary.slice_lines(split, columns))
    overlay = path.with_suffix(".png")
    print(f"result written to {path}{note}; per-image records: {path.parent / result.records}"
          + (f"; gallery: {overlay}" if overlay.exists() else ""))
    return path


# --- commands ------------------------------------------------------------------------------------

def add_list(sub) -> None:
    p = sub.add_parser("list", help="list detectors, datasets and attacks with their distributions")
    for kind in KINDS_SHOWN:
        p.add_argument(f"--{kind}", action="store_true", help=f"only {kind}")
    p.add_argument("-v", "--verbose", action="store_true", help="print each plugin's card")


def cmd_list(args: argparse.Namespace) -> int:
    from inpaintbench.reports.plugins import listing

    chosen = [kind for kind in KINDS_SHOWN if vars(args)[kind]] or list(KINDS_SHOWN)
    print(listing(chosen, verbose=args.verbose))
    return 0


def add_train(sub) -> None:
    p = sub.add_parser("train", help="train a detector on a dataset's train split (resumable)")
    add_common(p)
    add_training(p)


def cmd_train(args: argparse.Namespace) -> int:
    from inpaintbench.io.outputs import check_output_dir
    from inpaintbench.jobs.job import train_job

    if args.run_dir:
        check_output_dir(args.run_dir, "--run-dir")
    job = job_from_args(args)
    report, folder = train_job(job, train_config_from_args(args, job), args.run_dir)
    print(f"trained {report.epochs_run} epoch(s), {report.steps} steps; best epoch {report.best_epoch + 1}: "
          + ", ".join(f"{k} {v:.3f}" for k, v in report.best_val.items() if k in ("iou", "f1_best", "auc")))
    print(f"checkpoints: {report.best_checkpoint} (best), {report.last_checkpoint} (last)")
    return 0


def add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="evaluate a detector (optionally from a checkpoint) on test splits")
    add_common(p)
    p.add_argument("--checkpoint", help="weights to load (inpaintbench checkpoint or state dict)")
    p.add_argument("--split", action="append", help="split to evaluate, e.g. test/realfake (default: every test split)")


def cmd_evaluate(args: argparse.Namespace) -> int:
    from inpaintbench.jobs.job import evaluate_job

    job = job_from_args(args)
    path = result_path(args)
    write_and_report(evaluate_job(job, args.checkpoint, args.split, overlay_path=overlay_path(args, path)), path)
    return 0


def add_run(sub) -> None:
    p = sub.add_parser("run", help="train on the train split (or load --checkpoint), then evaluate every test split")
    add_common(p)
    add_training(p)
    p.add_argument("--checkpoint", help="skip training and evaluate these weights")


def cmd_run(args: argparse.Namespace) -> int:
    from inpaintbench.io.outputs import check_output_dir
    from inpaintbench.jobs.job import run_job

    if args.run_dir:
        check_output_dir(args.run_dir, "--run-dir")
    job = job_from_args(args)
    path = result_path(args)
    result = run_job(job, train_config_from_args(args, job), args.checkpoint, args.run_dir,
                     overlay_path(args, path))
    write_and_report(result, path)
    return 0


def add_leaderboard(sub) -> None:
    p = sub.add_parser("leaderboard", help="markdown leaderboard from result JSON files")
    p.add_argument("results", nargs="+", help="result JSON files or folders of them")
    p.add_argument("-o", "--output", help="markdown file to write (default: print)")
    p.add_argument("--conventions", metavar="DETECTOR",
                   help="also show this detector under every metrics convention it was evaluated with, side by side")
    p.add_argument("--slice-by", metavar="COLUMN[,COLUMN]",
                   help="add a table per column the results were sliced by: detectors as rows, values as columns")


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from inpaintbench.evaluation.slices import parse_columns
    from inpaintbench.io.outputs import check_not_an_input, check_output_file
    from inpaintbench.jobs.results import result_files
    from inpaintbench.reports.leaderboard import build

    paths = result_files(args.results)
    if args.output:
        check_output_file(args.output, "-o")
        check_not_an_input(args.output, paths, "-o")
    text = build(paths, args.output, args.conventions, parse_columns(args.slice_by))
    if args.output:
        print(f"leaderboard of {len(paths)} result(s) written to {args.output}")
    else:
        print(text)
    return 0


CACHE_DIR_HELP = "clean-result cache (default: $INPAINTBENCH_CACHE/clean or ~/.cache/inpaintbench/clean)"


def add_stress(sub) -> None:
    p = sub.add_parser("stress", help="evaluate one model clean and under a grid of attacks: JSONs, table, curves")
    add_common(p)
    p.add_argument("--checkpoint", help="weights to load (inpaintbench checkpoint or state dict)")
    p.add_argument("--attacks", default="default",
                   help="a named grid (default, quick) or comma-separated specs, e.g. jpeg:quality=90,"
                        "resize:scale=0.5; chains with '+', e.g. jpeg:quality=80+resize:scale=0.5")
    p.add_argument("--output-dir", required=True, help="folder for the result JSONs, stress.md and the curve PNGs")
    p.add_argument("--autoencoder", metavar="NAME|PATH",
                   help="adds reencode through this autoencoder to the default grid: a named one (taef2, taesd, "
                        "taesdxl, taesd3, taef1), a TAESD-family weights folder, or a diffusers model folder or hub "
                        "id (default: $INPAINTBENCH_AUTOENCODER)")
    p.add_argument("--split", action="append", help="split to evaluate (default: every test split)")
    p.add_argument("--cache-dir", help=CACHE_DIR_HELP)
    p.add_argument("--fresh", action="store_true",
                   help="recompute everything: ignore the clean cache and earlier results")
    p.add_argument("--compare", action="append", default=[], metavar="DIR",
                   help="another stress output folder whose results join the curves (repeatable)")
    p.add_argument("--metric", default="iou", help="metric of the robustness curves (default iou)")


def cmd_stress(args: argparse.Namespace) -> int:
    from inpaintbench.evaluation.attack_spec import parse_attacks
    from inpaintbench.io.outputs import check_output_dir
    from inpaintbench.jobs.results import read_result, result_files
    from inpaintbench.jobs.stress import run_stress
    from inpaintbench.reports.job_reports import write_stress_report

    if args.output:
        raise ConfigError("stress writes one JSON per setting into --output-dir; --output is not used")
    check_output_dir(args.output_dir, "--output-dir")
    chains = parse_attacks(args.attacks, args.autoencoder)
    job = job_from_args(args)
    done = run_stress(job, chains, args.output_dir, args.checkpoint, args.split, args.cache_dir, args.fresh,
                      overlays=not args.no_overlays)
    if not main_process():
        return 0
    others = [read_result(p) for p in result_files(args.compare)]
    report = write_stress_report(done.results, args.output_dir, args.metric, others)
    print(f"clean pass: {'from cache' if done.clean_from_cache else 'computed'}; "
          f"{len(done.attacked)} attack setting(s), {len(done.kept)} kept from an earlier run")
    for setting, why in done.redone.items():
        print(f"redone {setting}: its earlier result no longer fits: {why}")
    print(f"results: {len(done.result_paths)} JSON file(s) in {args.output_dir}")
    print(f"table: {report.table}")
    for fig in report.figures:
        print(f"curve: {fig}")
    return 0


def add_matrix(sub) -> None:
    p = sub.add_parser("matrix", help="train one model per training set, test each on every test set: md + heatmap")
    # sets name their own datasets; --dataset only supplies the dataset of a bare kind
    add_common(p, dataset_help="dataset of sets given as a bare kind, e.g. --train realfake (default: provided)")
    add_training(p)
    p.add_argument("--train", required=True, help="training sets DATASET[:KIND][@ROOT], comma-separated")
    p.add_argument("--test", required=True, help="test sets DATASET[:KIND][@ROOT], comma-separated")
    p.add_argument("--output-dir", required=True, help="folder for models/, results/, matrix.md and the heatmap")
    p.add_argument("--checkpoint", action="append", metavar="TRAINSET=PATH",
                   help="use these weights for a training set instead of training (repeatable)")
    p.add_argument("--metric", default="iou", help="metric of the heatmap (default iou)")
    p.add_argument("--cache-dir", help=CACHE_DIR_HELP)


def cmd_matrix(args: argparse.Namespace) -> int:
    from inpaintbench.io.outputs import check_output_dir
    from inpaintbench.jobs.matrix import parse_sets, run_matrix
    from inpaintbench.reports.job_reports import write_matrix_report

    if args.output:
        raise ConfigError("matrix writes its results into --output-dir; --output is not used")
    check_output_dir(args.output_dir, "--output-dir")
    train_sets, test_sets = parse_sets(args.train, args.dataset), parse_sets(args.test, args.dataset)
    job = job_from_args(args)
    given = {parse_sets(k, args.dataset)[0].label: v for k, v in registry.parse_key_values(args.checkpoint).items()}
    done = run_matrix(job, train_sets, test_sets, train_config_from_args(args, job), args.output_dir, given,
                      args.cache_dir)
    if not main_process():
        return 0
    report = write_matrix_report(done.results, args.output_dir, args.metric)
    print(report.markdown.read_text(encoding="utf-8"))
    print(f"matrix: {report.markdown}; heatmap: {report.figure}; {len(done.results)} result(s)")
    return 0


def add_generate(sub) -> None:
    from inpaintbench.data.generation.catalog import GENERATED_DATASETS

    names = ", ".join(GENERATED_DATASETS)
    p = sub.add_parser("generate", help=f"generate a dataset ({names}) from real photos (sharded, resumable)")
    p.add_argument("dataset", help="; ".join(f"{d.name}: {d.description}" for d in GENERATED_DATASETS.values()))
    p.add_argument("--out", required=True, help="output folder (train/ val/ test/ + manifest.csv); rerun to resume")
    p.add_argument("--source", help="folder of photos, searched recursively (default: the photos that "
                                    "scikit-image, matplotlib and scikit-learn bundle)")
    p.add_argument("--generator", help="one or more of sd, vae, latent-fill, classical, comma-separated (default: "
                                       "sd,vae if an inpainting model is configured, else latent-fill,vae)")
    p.add_argument("--model", help="sd: diffusers inpainting model folder or hub id (default $INPAINTBENCH_SD_MODEL)")
    p.add_argument("--autoencoder", metavar="NAME|PATH",
                   help="vae, latent-fill: a named autoencoder (taef2, the packaged default; taesd, taesdxl, taesd3, "
                        "taef1), a folder of TAESD-family encoder/decoder weights, or a diffusers AutoencoderKL "
                        "folder or hub id (default $INPAINTBENCH_VAE_WEIGHTS or $INPAINTBENCH_VAE, else taef2); the "
                        "manifest records its family, weights and sha256")
    p.add_argument("--vae", help="deprecated alias of --autoencoder (a diffusers model)")
    p.add_argument("--vae-weights", help="deprecated alias of --autoencoder (a TAESD-family folder)")
    p.add_argument("--limit", type=_positive, help="generate only the first N ids")
    p.add_argument("--image-size", type=int, default=256, help="square crop size N (default 256)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--shard", help="i/n: this process generates ids i, i+n, i+2n, ... (default: RANK/WORLD_SIZE "
                                   "under torchrun, else 0/1)")
    p.add_argument("--crop", choices=(*CROP_POSITIONS, *POSITION_ALIASES), default="random",
                   help="crop placement (default random)")
    p.add_argument("--crops-per-image", type=_positive,
                   help="crops (ids) per source photo (default 1 per photo of --source; "
                        "the embedded default's own counts)")
    p.add_argument("--mask-opt", action="append", metavar="KEY=VALUE",
                   help="mask generator option, e.g. min_coverage=0.05, segmenter=maskrcnn (repeatable)")
    p.add_argument("--gen-opt", action="append", metavar="KEY=VALUE",
                   help="generator option, e.g. steps=20, method=ns, batch_size=4 (repeatable)")
    p.add_argument("--captions", help="sd: captions file (JSON {name: caption}, or name<TAB>caption lines; "
                                      ".csv: name,caption)")
    p.add_argument("--prompt", help="sd: prompt for photos without a caption (default: a generic one)")
    p.add_argument("--coco", help="object: COCO annotation JSON for the source photos")
    p.add_argument("--device", default="auto", help="cpu, cuda, ... (default: cuda when available)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def autoencoder_flag(args: argparse.Namespace) -> str | None:
    """``--autoencoder``, or its deprecated aliases ``--vae-weights``/``--vae`` with a one-line warning each."""
    from inpaintbench.data.generation.generators import autoencoder_option

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chosen = autoencoder_option(args.autoencoder, args.vae_weights, args.vae, where="--")
    for warning in caught:
        print(f"inpaintbench {args.command}: warning: {warning.message}", file=sys.stderr)
    return chosen


def cmd_generate(args: argparse.Namespace) -> int:
    from inpaintbench.data.generation.generate import GenerateConfig, generate, parse_shard

    config = GenerateConfig(
        dataset=args.dataset, out=args.out, source=args.source, generator=args.generator, model=args.model,
        autoencoder=autoencoder_flag(args), limit=args.limit, image_size=args.image_size, seed=args.seed,
        shard=parse_shard(args.shard), crop=args.crop, crops_per_image=args.crops_per_image,
        mask_options=registry.parse_key_values(args.mask_opt),
        generator_options=registry.parse_key_values(args.gen_opt), captions=args.captions, prompt=args.prompt,
        coco=args.coco, device=resolve_device(args.device), progress=not args.quiet)
    report = generate(config)
    print(f"{report.generated} id(s) generated, {report.already_done} already done, {len(report.skipped)} skipped "
          f"in {report.seconds:.1f} s; manifest: {Path(report.out) / 'manifest.csv'}")
    return 0


COMMANDS = {
    "list": (add_list, cmd_list),
    "train": (add_train, cmd_train),
    "evaluate": (add_evaluate, cmd_evaluate),
    "run": (add_run, cmd_run),
    "leaderboard": (add_leaderboard, cmd_leaderboard),
    "stress": (add_stress, cmd_stress),
    "matrix": (add_matrix, cmd_matrix),
    "generate": (add_generate, cmd_generate),
}


@contextlib.contextmanager
def distributed_run(args: argparse.Namespace) -> Iterator[None]:
    """Under torchrun, join the process group for the command's device and leave it afterwards; ranks
    other than 0 print no output and no warnings (errors still reach stderr)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not hasattr(args, "device"):
        yield
        return
    from inpaintbench.io import distributed

    distributed.init(resolve_device(args.device))
    try:
        if distributed.is_main():
            yield
        else:
            with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
    finally:
        distributed.shutdown()


DEBUG_HELP = "show the traceback of expected errors too (bugs always show theirs)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inpaintbench", description="Benchmark for inpainting localization.")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", required=True)
    for add, _ in COMMANDS.values():
        add(sub)
    for command in sub.choices.values():  # also accepted after the command; SUPPRESS keeps the main flag
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command. Expected user errors print one line and exit 2; anything else is a bug and
    keeps its traceback."""
    from inpaintbench.sdk.errors import USER_ERRORS

    args = build_parser().parse_args(argv)
    warnings.simplefilter("default")
    try:
        with distributed_run(args):
            return COMMANDS[args.command][1](args)
    except USER_ERRORS as exc:
        if args.debug:
            traceback.print_exc()
        print(f"inpaintbench {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to resume from the last checkpoint", file=sys.stderr)
        return 130
