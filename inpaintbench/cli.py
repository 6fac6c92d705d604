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

KINDS_SHOWN = ("detectors", "datasets", "attacks", "masks", "generators")
#: ``stress --gallery``: which settings get a gallery (``jobs.stress.GALLERIES``; kept here so --help stays light).
GALLERY_CHOICES = ("clean", "all", "none")


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


def _minutes(text: str) -> float:
    """``--max-minutes``: a number of minutes above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:  # NaN too
        raise argparse.ArgumentTypeError(f"minutes {text} must be above 0")
    return value


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


def add_job(p: argparse.ArgumentParser, dataset_help: str | None = None) -> None:
    """What every job command reads: detector and dataset, how samples reach the detector, how it runs;
    with ``dataset_help``, ``--dataset`` is optional (default provided)."""
    p.add_argument("--detector", required=True, help="detector name (see `list`)")
    if dataset_help is None:
        p.add_argument("--dataset", required=True, help="dataset name (see `list`)")
    else:
        p.add_argument("--dataset", default="provided", help=dataset_help)
    p.add_argument("--data-root", help="dataset folder or manifest (default: $INPAINTBENCH_DATA, or the dataset's own "
                                       "default)")
    p.add_argument("--opt", action="append", metavar="KEY=VALUE",
                   help="detector option, one per flag (repeatable; default: the detector's own, see `list -v`)")
    p.add_argument("--data-opt", action="append", metavar="KEY=VALUE",
                   help="dataset option, one per flag, e.g. --data-opt split=test --data-opt mask=invert "
                        "(repeatable; default: the dataset's own)")
    p.add_argument("--image-size", type=_size, default=None,
                   help="resize image and mask to NxN before the network (metrics at that size; recorded as a "
                        "resize); default: native, the stored resolution")
    p.add_argument("--max-pixels", type=_pixels, default=None,
                   help="most pixels one detector call sees (default 2048x2048): larger batches run in chunks, "
                        "larger images on overlapping full-resolution tiles")
    p.add_argument("--max-image-pixels", type=_pixels, default=None,
                   help="most pixels (width x height, read from the header) an image may have to be read "
                        "(default 16384x16384 = 268,435,456); larger files are bad files (named; --skip-bad "
                        "skips them), so a decompression bomb is never decoded; recorded when not the default")
    p.add_argument("--mask-binarization", type=_binarization, default="full",
                   help="soft-mask value from which a pixel is inpainted: full (=255, default), half (>=128), "
                        "any (>0), or 1..255")
    p.add_argument("--batch-size", type=_positive, default=8, help="images per detector call")
    p.add_argument("--device", default="auto", help="cpu, cuda, cuda:1 ... (default: cuda when available)")
    p.add_argument("--workers", type=int, default=None,
                   help="DataLoader worker processes per process (default: min(8, cores per process) on CUDA, "
                        "0 on the CPU; recorded)")
    p.add_argument("--seed", type=int, default=0, help="seed of per-image randomness (attacks, crops) and of "
                                                       "initial weights")
    p.add_argument("--skip-bad", action="store_true", help="skip bad files (reported with a count) instead of stopping")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def add_measure(p: argparse.ArgumentParser) -> None:
    """What an evaluation measures beyond its inputs: threshold, conventions, slices."""
    p.add_argument("--threshold", type=_threshold, default=0.5, help="score threshold for IoU/F1 (default 0.5)")
    p.add_argument("--image-threshold-from", choices=("fixed", "val"), default="fixed",
                   help="threshold of image_bacc: fixed (0.5, default) or val (the one maximising balanced accuracy "
                        "on the val split of the same kind; costs one more prediction pass over those val splits)")
    p.add_argument("--metrics-convention", metavar="NAME",
                   help="whose pixel-metric convention to report, recorded in the protocol: inpaintbench (ours, "
                        "default), imdlbenco, trufor, tgif, photoholmes, opensdi (see the README's table)")
    p.add_argument("--slice-by", metavar="COLUMN[,COLUMN]",
                   help="also give each split's metrics per value of these columns: the dataset's own (e.g. "
                        "generator, mask_type) or derived (mask_size, image_size buckets); default: none")


def add_gallery(p: argparse.ArgumentParser) -> None:
    """The gallery PNG beside each result."""
    p.add_argument("--no-overlays", action="store_true",
                   help="do not draw the gallery PNG (worst and best images) beside the result")
    p.add_argument("--gallery-k", type=_positive, default=4, help="the gallery's number of worst and of best images "
                                                                  "(default 4 each)")
    p.add_argument("--gallery-metric", choices=("iou", "f1_best"), default="iou",
                   help="per-image metric that ranks the gallery's images (default iou)")


def add_evaluation(p: argparse.ArgumentParser, output_file: bool = True) -> None:
    """An evaluating command's options: what it measures, the gallery, and (``output_file``) ``--output``."""
    add_measure(p)
    add_gallery(p)
    if output_file:
        p.add_argument("--output", metavar="FILE.json",
                       help="result JSON path (default: results/<detector>-<dataset>-<time>.json)")


def add_weights_choice(p: argparse.ArgumentParser, what: str) -> None:
    """``--checkpoint`` and ``--allow-untrained``: a trainable detector is scored only with weights."""
    p.add_argument("--checkpoint", help=f"{what} (default: none; a trainable detector then needs --allow-untrained)")
    p.add_argument("--allow-untrained", action="store_true",
                   help="score a trainable detector without --checkpoint: random initial weights from --seed, "
                        "recorded as untrained")


def add_training(p: argparse.ArgumentParser) -> None:
    p.add_argument("--epochs", type=_positive, default=10, help="most passes over the train split")
    p.add_argument("--max-steps", type=_positive,
                   help="stop after this many optimizer steps in all (default: no limit)")
    p.add_argument("--max-minutes", type=_minutes,
                   help="stop at this wall-clock budget in minutes (steps, validation and checkpoints; resumed runs "
                        "add up; default: no limit); the steps reached and the minutes used are recorded")
    p.add_argument("--lr", type=float, default=None,
                   help="Adam learning rate (default: the detector card's recommendation, else 1e-4)")
    p.add_argument("--focal-alpha", type=float, default=None, help="focal loss alpha (default 0.75; -1 disables)")
    p.add_argument("--focal-gamma", type=float, default=None, help="focal loss gamma (default 2)")
    p.add_argument("--patience", type=int, default=5, help="epochs without validation improvement before stopping "
                                                           "(default 5)")
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
    p.add_argument("--no-amp", action="store_true", help="disable mixed precision on CUDA (default: on with CUDA)")


def resolve_device(name: str) -> str:
    """``auto``: cuda when available, else cpu; under torchrun a bare ``cuda`` is this rank's GPU."""
    import torch

    from inpaintbench.io.distributed import device_for_rank

    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return device_for_rank(name)


def job_from_args(args: argparse.Namespace):
    """The ``Job`` of a command's options; options a command does not offer (``train`` measures with the
    defaults) keep the protocol's and job's defaults."""
    from inpaintbench.evaluation._tiling import DEFAULT_MAX_PIXELS
    from inpaintbench.evaluation.harness import default_workers
    from inpaintbench.evaluation.metric_presets import DEFAULT_CONVENTION
    from inpaintbench.evaluation.protocol import Execution, Protocol
    from inpaintbench.evaluation.slices import parse_columns
    from inpaintbench.jobs.job import Job

    given = vars(args)
    data_options = registry.parse_key_values(args.data_opt)
    if args.data_root:
        data_options["data_root"] = args.data_root
    measured = {k: given[k] for k in ("threshold", "image_threshold_from") if k in given}
    protocol = Protocol(args.image_size, args.mask_binarization, args.max_pixels or DEFAULT_MAX_PIXELS,
                        metrics_convention=given.get("metrics_convention") or DEFAULT_CONVENTION, **measured,
                        **({"max_image_pixels": args.max_image_pixels} if args.max_image_pixels else {}))
    device = resolve_device(args.device)
    run = Execution(batch_size=args.batch_size, device=device,
                    workers=args.workers if args.workers is not None else default_workers(device), seed=args.seed,
                    on_bad="skip" if args.skip_bad else "error", progress=not args.quiet)
    job_options = {k: given[k] for k in ("gallery_k", "gallery_metric", "allow_untrained") if k in given}
    return Job(detector=args.detector, dataset=args.dataset, detector_options=registry.parse_key_values(args.opt),
               dataset_options=data_options, protocol=protocol, run=run,
               slice_by=parse_columns(given.get("slice_by")), **job_options)


def train_config_from_args(args: argparse.Namespace, job):
    """The options as given; settings left unset are resolved by the trainer (card, then fallback)."""
    from inpaintbench.training._crops import parse_augment
    from inpaintbench.training.trainer import TrainConfig

    kinds = tuple(k.strip() for k in args.train_kinds.split(",")) if args.train_kinds else None
    run = job.run
    return TrainConfig(epochs=args.epochs, batch_size=run.batch_size, lr=args.lr, focal_alpha=args.focal_alpha,
                       focal_gamma=args.focal_gamma, crop=args.crop, augment=parse_augment(args.augment),
                       patience=args.patience, seed=run.seed, device=run.device, workers=run.workers,
                       max_steps=args.max_steps, max_minutes=args.max_minutes, train_kinds=kinds, amp=not args.no_amp,
                       on_bad=run.on_bad, resume=not args.no_resume, progress=run.progress,
                       **({} if args.image_loss_weight is None else {"image_loss_weight": args.image_loss_weight}))


def result_path(args: argparse.Namespace) -> Path:
    """The result file (``--output``, else a new default name), checked writable before any work."""
    from inpaintbench.io._outputs import check_output_file
    from inpaintbench.jobs.results import default_result_path

    return check_output_file(Path(args.output) if args.output else default_result_path(args.detector, args.dataset))


def overlay_path(args: argparse.Namespace, path: Path) -> Path | None:
    return None if args.no_overlays else path.with_suffix(".png")


def main_process() -> bool:
    """Rank 0 under torchrun (the one that writes reports), or a plain single process."""
    return int(os.environ.get("RANK", "0")) == 0


def write_and_report(result, path: Path) -> Path:
    from inpaintbench.io._outputs import replaced_note
    from inpaintbench.jobs.results import write_result
    from inpaintbench.reports import summary

    if not main_process():  # under torchrun rank 0 writes and reports
        return path
    note = replaced_note(path)
    write_result(result, path)
    print(summary.result_report(result, path, note))
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
    add_job(p)
    add_training(p)


def cmd_train(args: argparse.Namespace) -> int:
    from inpaintbench.io._outputs import check_output_dir
    from inpaintbench.jobs.job import train_job
    from inpaintbench.reports.summary import training_lines

    if args.run_dir:
        check_output_dir(args.run_dir, "--run-dir")
    job = job_from_args(args)
    report, folder = train_job(job, train_config_from_args(args, job), args.run_dir)
    print(training_lines(report.record(), folder))
    return 0


SPLIT_HELP = "split to evaluate, e.g. test/realfake; repeat for several (default: every test split)"


def add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="evaluate a detector (optionally from a checkpoint) on test splits")
    add_job(p)
    add_evaluation(p)
    add_weights_choice(p, "weights to load (inpaintbench checkpoint or state dict)")
    p.add_argument("--split", action="append", metavar="SPLIT", help=SPLIT_HELP)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from inpaintbench.jobs.job import evaluate_job

    job = job_from_args(args)
    path = result_path(args)
    write_and_report(evaluate_job(job, args.checkpoint, args.split, overlay_path=overlay_path(args, path)), path)
    return 0


def add_run(sub) -> None:
    p = sub.add_parser("run", help="train on the train split (or load --checkpoint), then evaluate every test split")
    add_job(p)
    add_training(p)
    add_evaluation(p)
    p.add_argument("--checkpoint", help="skip training and evaluate these weights (default: train first)")


def cmd_run(args: argparse.Namespace) -> int:
    from inpaintbench.io._outputs import check_output_dir
    from inpaintbench.jobs.job import run_dir, run_job
    from inpaintbench.reports.summary import training_lines

    if args.run_dir:
        check_output_dir(args.run_dir, "--run-dir")
    job = job_from_args(args)
    path = result_path(args)
    config = train_config_from_args(args, job)
    result = run_job(job, config, args.checkpoint, args.run_dir, overlay_path(args, path))
    if result.training and main_process():
        print(training_lines(result.training, args.run_dir or run_dir(job, config)))
    write_and_report(result, path)
    return 0


def add_leaderboard(sub) -> None:
    p = sub.add_parser("leaderboard", help="markdown leaderboard from result JSON files")
    p.add_argument("results", nargs="+", help="result JSON files or folders of them")
    p.add_argument("-o", "--output", metavar="FILE.md", help="markdown file to write (default: print)")
    p.add_argument("--conventions", metavar="DETECTOR",
                   help="also show this detector under every metrics convention it was evaluated with, side by side "
                        "(default: none)")
    p.add_argument("--slice-by", metavar="COLUMN[,COLUMN]",
                   help="add a table per column the results were sliced by: detectors as rows, values as columns "
                        "(default: none)")


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from inpaintbench.evaluation.slices import parse_columns
    from inpaintbench.io._outputs import check_not_an_input, check_output_file
    from inpaintbench.jobs.results import result_files
    from inpaintbench.reports.leaderboard import build

    paths = result_files(args.results)
    if args.output:
        check_output_file(args.output, "-o")
        check_not_an_input(args.output, paths, "-o")
    text = build(args.results, args.output, args.conventions, parse_columns(args.slice_by))
    if args.output:
        print(f"leaderboard written to {args.output} from {len(paths)} JSON file(s)")
    else:
        print(text)
    return 0


CACHE_DIR_HELP = "clean-result cache (default: $INPAINTBENCH_CACHE/clean or ~/.cache/inpaintbench/clean)"


def add_stress(sub) -> None:
    p = sub.add_parser("stress", help="evaluate one model clean and under a grid of attacks: JSONs, table, curves")
    add_job(p)
    add_evaluation(p, output_file=False)
    add_weights_choice(p, "weights to load (inpaintbench checkpoint or state dict)")
    p.add_argument("--attacks", default="default",
                   help="a named grid (default, quick) or comma-separated specs, e.g. jpeg:quality=90,"
                        "resize:scale=0.5; chains with '+', e.g. jpeg:quality=80+resize:scale=0.5 (default: default)")
    p.add_argument("--output-dir", required=True, help="folder for the result JSONs, stress.md and the curve PNGs")
    p.add_argument("--autoencoder", metavar="NAME|PATH",
                   help="adds reencode through this autoencoder to the default grid: a named one (taef2, taesd, "
                        "taesdxl, taesd3, taef1), a TAESD-family weights folder, or a diffusers model folder or hub "
                        "id (default: $INPAINTBENCH_AUTOENCODER)")
    p.add_argument("--split", action="append", metavar="SPLIT", help=SPLIT_HELP)
    p.add_argument("--cache-dir", help=CACHE_DIR_HELP)
    p.add_argument("--fresh", action="store_true",
                   help="recompute everything: ignore the clean cache and earlier results")
    p.add_argument("--compare", action="append", default=[], metavar="DIR",
                   help="another stress output folder whose results join the curves (repeatable; default: none)")
    p.add_argument("--metric", default="iou", help="metric of the robustness curves (default iou)")
    p.add_argument("--gallery", choices=GALLERY_CHOICES, default="clean",
                   help="which settings get a gallery PNG: clean (default: the clean result only), all (every "
                        "attacked setting too), none (same as --no-overlays)")


def cmd_stress(args: argparse.Namespace) -> int:
    from inpaintbench.evaluation._attack_spec import parse_attacks
    from inpaintbench.io._outputs import check_output_dir
    from inpaintbench.jobs.results import read_result, result_files
    from inpaintbench.jobs.stress import run_stress
    from inpaintbench.reports.job_reports import write_stress_report
    from inpaintbench.reports.summary import stress_report

    check_output_dir(args.output_dir, "--output-dir")
    chains = parse_attacks(args.attacks, args.autoencoder)
    job = job_from_args(args)
    done = run_stress(job, chains, args.output_dir, args.checkpoint, args.split, args.cache_dir, args.fresh,
                      galleries="none" if args.no_overlays else args.gallery)
    if not main_process():
        return 0
    others = [read_result(p) for p in result_files(args.compare)]
    report = write_stress_report(done.results, args.output_dir, args.metric, others)
    print(stress_report(done, report, args.output_dir, args.metric))
    return 0


def add_matrix(sub) -> None:
    p = sub.add_parser("matrix", help="train one model per training set, test each on every test set: md + heatmap")
    # sets name their own datasets; --dataset only supplies the dataset of a bare kind
    add_job(p, dataset_help="dataset of sets given as a bare kind, e.g. --train realfake (default: provided)")
    add_training(p)
    add_measure(p)
    p.add_argument("--train", required=True, help="training sets DATASET[:KIND][@ROOT], comma-separated")
    p.add_argument("--test", required=True, help="test sets DATASET[:KIND][@ROOT], comma-separated")
    p.add_argument("--output-dir", required=True, help="folder for models/, results/, matrix.md and the heatmap")
    p.add_argument("--checkpoint", action="append", metavar="TRAINSET=PATH",
                   help="use these weights for a training set instead of training (repeatable; default: train "
                        "every set)")
    p.add_argument("--metric", default="iou", help="metric of the heatmap (default iou)")
    p.add_argument("--cache-dir", help=CACHE_DIR_HELP)


def cmd_matrix(args: argparse.Namespace) -> int:
    from inpaintbench.io._outputs import check_output_dir
    from inpaintbench.jobs.matrix import parse_sets, run_matrix
    from inpaintbench.reports.job_reports import write_matrix_report

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


#: ``generate --split``: the hash rule, or one split for every id (the split names, without importing torch).
GENERATE_SPLITS = ("hash", "train", "val", "test")


def add_generate(sub) -> None:
    from inpaintbench.data.generation.catalog import GENERATED_DATASETS

    names = ", ".join(GENERATED_DATASETS)
    p = sub.add_parser("generate", help=f"generate a dataset ({names}) from real photos (sharded, resumable)")
    p.add_argument("dataset", help="; ".join(f"{d.name}: {d.description}" for d in GENERATED_DATASETS.values()))
    p.add_argument("--output-dir", required=True,
                   help="output folder (train/ val/ test/ + manifest.csv); rerun to resume")
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
    p.add_argument("--vae", help=argparse.SUPPRESS)  # deprecated alias of --autoencoder (a diffusers model)
    p.add_argument("--vae-weights", help=argparse.SUPPRESS)  # deprecated alias (a TAESD-family folder)
    p.add_argument("--limit", type=_positive, help="generate only the first N ids (default: every id)")
    p.add_argument("--crop-size", type=_positive, default=256,
                   help="side of the square crop taken from each photo at its stored scale (default 256)")
    p.add_argument("--split", choices=GENERATE_SPLITS, default="hash",
                   help="which split each id goes to: hash (the source's own split, else the hash of the id; "
                        "default) or one split for every id, e.g. test for a set to evaluate on")
    p.add_argument("--seed", type=int, default=0, help="seed of crops, masks and generators")
    p.add_argument("--shard", help="i/n: this process generates ids i, i+n, i+2n, ... (default: RANK/WORLD_SIZE "
                                   "under torchrun, else 0/1)")
    p.add_argument("--crop", choices=(*CROP_POSITIONS, *POSITION_ALIASES), default="random",
                   help="crop placement: center (or centre), random (seeded per photo), top_left (default random)")
    p.add_argument("--crops-per-image", type=_positive,
                   help="crops (ids) per source photo (default 1 per photo of --source; "
                        "the embedded default's own counts)")
    p.add_argument("--mask-opt", action="append", metavar="KEY=VALUE",
                   help="mask generator option, e.g. min_coverage=0.05, segmenter=maskrcnn (repeatable; default: "
                        "the mask generator's own)")
    p.add_argument("--gen-opt", action="append", metavar="KEY=VALUE",
                   help="generator option, e.g. steps=20, method=ns, batch_size=4 (repeatable; default: the "
                        "generator's own)")
    p.add_argument("--captions", help="sd: captions file (JSON {name: caption}, or name<TAB>caption lines; "
                                      ".csv: name,caption; default: none, every photo takes --prompt)")
    p.add_argument("--prompt", help="sd: prompt for photos without a caption (default: a generic one)")
    p.add_argument("--coco", help="object: COCO annotation JSON for the source photos (default: none)")
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
        dataset=args.dataset, out=args.output_dir, source=args.source, generator=args.generator, model=args.model,
        autoencoder=autoencoder_flag(args), limit=args.limit, image_size=args.crop_size, seed=args.seed,
        shard=parse_shard(args.shard), crop=args.crop, crops_per_image=args.crops_per_image, split=args.split,
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

#: Option spellings kept for one release: ``{command: {old: new}}``; the old one is rewritten, with a warning.
DEPRECATED_OPTIONS = {
    "generate": {"--out": "--output-dir", "--image-size": "--crop-size"},
}


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help shows its default: the text's own words where it names one, else the value."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        quiet = action.default is None or action.default is False or action.default in ([], argparse.SUPPRESS)
        if "default" in text or action.required or not action.option_strings or quiet:
            return text
        return f"{text} (default: %(default)s)"


def build_parser() -> argparse.ArgumentParser:
    from inpaintbench import __version__

    parser = argparse.ArgumentParser(prog="inpaintbench", description="Benchmark for inpainting localization.",
                                     formatter_class=HelpFormatter, allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"inpaintbench {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", required=True)
    for add, _ in COMMANDS.values():
        add(sub)
    for command in sub.choices.values():  # also accepted after the command; SUPPRESS keeps the main flag
        command.formatter_class = HelpFormatter
        command.allow_abbrev = False  # `stress --output` must not quietly mean --output-dir
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    return parser


def renamed_options(argv: list[str]) -> list[str]:
    """``argv`` with the deprecated spellings of its command's options replaced by the current ones,
    each replacement warned about once."""
    command = next((a for a in argv if not a.startswith("-")), None)
    renames = DEPRECATED_OPTIONS.get(command or "", {})
    out = []
    for arg in argv:
        name, eq, value = arg.partition("=")
        if name in renames:
            warnings.warn(f"{command} {name} is deprecated (kept for one release): use {renames[name]}",
                          FutureWarning, stacklevel=2)
            arg = renames[name] + eq + value
        out.append(arg)
    return out


def one_line_warning(message, category, filename, lineno, line=None) -> str:
    """A warning as the CLI prints it: one line, its category and text, no source path."""
    text = " ".join(str(message).split())
    kind = "deprecated" if issubclass(category, (FutureWarning, DeprecationWarning)) else "warning"
    return f"inpaintbench: {kind}: {text}\n"


def main(argv: list[str] | None = None) -> int:
    """Run one command. Expected user errors print one line and exit 2; anything else is a bug and
    keeps its traceback. Warnings print as one line each."""
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.formatwarning = one_line_warning
        try:
            return _main(renamed_options(list(sys.argv[1:] if argv is None else argv)))
        finally:
            warnings.formatwarning = ORIGINAL_FORMATWARNING


ORIGINAL_FORMATWARNING = warnings.formatwarning


def _main(argv: list[str]) -> int:
    from inpaintbench.sdk.errors import USER_ERRORS

    args = build_parser().parse_args(argv)
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
    except BrokenPipeError:  # the reader went away (``... | head``): nothing left to say
        sys.stderr.close()
        return 0
