"""The benchmark's jobs, shared by the CLI and scripts: build plugins by name, train, evaluate, record."""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from inpaintbench.data.imageio import pixel_limit
from inpaintbench.evaluation.harness import evaluate, required_test_splits
from inpaintbench.evaluation.image_records import ImageRecords, split_rows
from inpaintbench.evaluation.protocol import DEFAULT_EXECUTION, DEFAULT_PROTOCOL, Execution, Protocol
from inpaintbench.evaluation.slices import (
    SplitImages,
    check_columns,
    dataset_columns,
    parse_columns,
    pooled_parts,
    slice_split,
    slicing_record,
)
from inpaintbench.io import distributed
from inpaintbench.io._fingerprint import data_fingerprint
from inpaintbench.io._paths import portable, portable_path
from inpaintbench.jobs._gallery import GALLERY_METRICS, choose, gallery_png
from inpaintbench.jobs.results import Result, environment, file_sha256
from inpaintbench.sdk import registry
from inpaintbench.sdk.cards import card_of
from inpaintbench.sdk.contracts import as_detector
from inpaintbench.sdk.errors import CheckpointError, ConfigError, NotTrainable
from inpaintbench.training._checkpoints import load_weights
from inpaintbench.training.trainer import TrainConfig, TrainReport, load_checkpoint, seed_everything, train


@dataclass
class Job:
    """One detector on one dataset under one protocol, run one way: what every command starts from."""

    detector: str
    dataset: str
    detector_options: dict[str, Any] = field(default_factory=dict)
    dataset_options: dict[str, Any] = field(default_factory=dict)
    protocol: Protocol = DEFAULT_PROTOCOL
    run: Execution = DEFAULT_EXECUTION
    #: Columns whose values each split's metrics are also given for (``slices``), e.g. generator, mask_size.
    slice_by: tuple[str, ...] = ()
    #: The gallery beside a result: how many worst and best images, ranked by which per-image metric.
    gallery_k: int = 4
    gallery_metric: str = "iou"
    #: Score a detector that needs a checkpoint without one: its random initial weights, seeded by
    #: ``run.seed`` and recorded as untrained (else refused).
    allow_untrained: bool = False

    def __post_init__(self) -> None:
        self.slice_by = tuple(parse_columns(self.slice_by))
        if self.gallery_metric not in GALLERY_METRICS:
            raise registry.unknown_name_error("gallery metrics", self.gallery_metric, list(GALLERY_METRICS))


def make_dataset(job: Job):
    """The job's dataset, its files' headers read under the protocol's reading limit."""
    with pixel_limit(job.protocol.max_image_pixels):
        return registry.create("datasets", job.dataset, on_bad=job.run.on_bad, **job.dataset_options)


class UntrainedDetector(ConfigError):
    """A detector whose weights are random (at least in part) asked to be scored without a checkpoint."""


def untrained(detector, seed: int) -> str:
    """How a result names weights that no training made."""
    return f"random initial weights (seed {seed}), no checkpoint"


def scored_detector(job: Job, checkpoint: str | None = None) -> tuple[Any, dict[str, Any]]:
    """The detector an evaluation scores: ``make_detector``'s, built after seeding with ``job.run.seed``, and
    refused when it needs a checkpoint and has none, unless ``job.allow_untrained`` (then recorded)."""
    detector, info = seeded_detector(job, checkpoint, job.run.seed)
    return detector, check_trained(detector, info, job, checkpoint, job.run.seed)


def seeded_detector(job: Job, checkpoint: str | None, seed: int) -> tuple[Any, dict[str, Any]]:
    """``make_detector``'s detector, its initial weights drawn from ``seed`` (a forked RNG: the caller's
    random state is left as it was), so that the same seed builds the same weights."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make_detector(job, checkpoint)


def check_trained(detector, info: dict[str, Any], job: Job, checkpoint: str | None, seed: int) -> dict[str, Any]:
    """``info``, marked untrained when the detector needs a checkpoint and has none (allowed by
    ``job.allow_untrained``, else an ``UntrainedDetector`` error); ``seed`` drew its weights."""
    if checkpoint or not as_detector(detector).needs_checkpoint:
        return info
    if not job.allow_untrained:
        raise UntrainedDetector(f"detector {job.detector!r} has random initial weights: pass --checkpoint, or use "
                                "`run` to train it first (--allow-untrained scores the random weights, seeded and "
                                "recorded)")
    note = untrained(detector, seed)
    return {**info, "weights": f"untrained: {note}", "untrained": note}


def make_detector(job: Job, checkpoint: str | None = None) -> tuple[Any, dict[str, Any]]:
    """The detector, with its checkpoint's weights and options when one is given, and its info."""
    options = dict(job.detector_options)
    ckpt = None
    if checkpoint:
        ckpt = load_checkpoint(checkpoint)
        if ckpt.get("detector") not in (None, job.detector):
            raise CheckpointError(f"{checkpoint}: checkpoint is for detector {ckpt['detector']!r}, "
                                  f"not {job.detector!r}")
        options = {**ckpt.get("options", {}), **options}
    entry = registry.get("detectors", job.detector)
    factory = entry.load()
    detector = as_detector(registry.instantiate(factory, options, f"detector {job.detector!r}"))
    info: dict[str, Any] = dict(detector.info())
    card = card_of(detector) or card_of(factory)
    if card is not None:
        info["card"] = asdict(card)
    info["distribution"] = entry.distribution
    if ckpt is not None:
        if not detector.loads_weights:
            raise NotTrainable(f"detector {job.detector!r} cannot load a checkpoint: it holds no weights")
        load_weights(detector, ckpt["state_dict"], str(checkpoint))
        info["weights_at_build"] = info.get("weights")
        info["weights"] = f"checkpoint {Path(checkpoint).name}"
    return detector, info


def skipped_at_scan(dataset) -> list[str]:
    """The files a dataset dropped while scanning (bad files under ``--skip-bad``), warned about: they
    count with the files skipped when read, so no skipped file goes unreported."""
    problems = [str(p) for p in getattr(dataset, "problems", [])]
    if problems:
        warnings.warn(f"skipped {len(problems)} bad file(s) when scanning the dataset, first: {problems[0]}",
                      stacklevel=1)  # one place: warned once when a run both trains and evaluates
    return problems


def run_dir(job: Job, config: TrainConfig, root: str | Path = "runs") -> Path:
    """A folder named by everything that decides training except its length, so reruns resume."""
    key = {"detector": job.detector, "options": job.detector_options, "dataset": job.dataset,
           "dataset_options": job.dataset_options, "protocol": job.protocol.input_record(),
           "config": {k: v for k, v in config.record().items()
                      if k not in ("epochs", "max_steps", "max_minutes", "device", "workers", "resume")}}
    digest = hashlib.sha1(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return Path(root) / f"{job.detector}-{job.dataset}-{digest}"


def train_job(job: Job, config: TrainConfig, out_dir: str | Path | None = None, detector=None,
              dataset=None) -> tuple[TrainReport, Path]:
    """Train the job's detector (or ``detector``, already built) on its dataset (or ``dataset``);
    returns the report and the folder holding best.pt / last.pt."""
    dataset = dataset if dataset is not None else make_dataset(job)
    if detector is None:
        seed_everything(config.seed)  # the initial weights are part of what the seed reproduces
        detector, _ = make_detector(job)
    folder = Path(out_dir) if out_dir else run_dir(job, config)
    skipped_at_scan(dataset)
    report = train(detector, dataset, config, job.protocol.for_validation(), folder, name=job.detector)
    return report, folder


def evaluate_job(job: Job, checkpoint: str | None = None, splits: list[str] | None = None,
                 training: dict[str, Any] | None = None, detector=None, info: dict | None = None,
                 dataset=None, overlay_path: str | Path | None = None) -> Result:
    """Evaluate on the given (default: every test) split and return a self-describing result, with its
    per-image records (written beside the JSON by ``write_result``) and the slices of ``job.slice_by``.

    Under ``job.protocol.attack`` (applied to the stored images), the result's ``attack`` is its spec.
    With ``overlay_path``, also draw the gallery of the worst and best images there.
    """
    t0 = time.perf_counter()
    dataset = dataset if dataset is not None else make_dataset(job)
    fingerprint = data_fingerprint(dataset)
    if job.slice_by:
        check_columns(job.slice_by, dataset_columns(dataset, (splits or dataset.splits())[0]))
    if detector is None:
        detector, info = scored_detector(job, checkpoint)
    t_build = time.perf_counter()
    per_image: dict[str, SplitImages] = {}
    gallery = (job.gallery_k, job.gallery_metric) if overlay_path is not None else None
    tally: Counter = Counter()
    metrics = evaluate(detector, dataset, splits, protocol=job.protocol, run=job.run, name=job.detector,
                       per_image=per_image, gallery=gallery, tally=tally)
    t_eval = time.perf_counter()
    info = {**(info or {}), **learned_info(detector, info or {})}
    attack = job.protocol.attack
    if overlay_path is not None and distributed.is_main():
        chosen = choose(per_image, job.gallery_k, job.gallery_metric, job.slice_by)
        if chosen:
            gallery_png(per_image, chosen, job.protocol.threshold, overlay_path, metric=job.gallery_metric,
                        title=f"{job.detector} on {job.dataset}{f' under {attack.spec}' if attack else ''}")
    n_images = sum(m.get("n_images", 0) + m.get("n_authentic", 0) + m.get("n_empty_mask", 0) for m in metrics.values())
    megapixels = sum(info.height * info.width for split in per_image.values() for info in split.images) / 1e6
    timing = {"build_seconds": t_build - t0, "evaluate_seconds": t_eval - t_build,
              "images_per_second": n_images / max(1e-9, t_eval - t_build), "megapixels": megapixels,
              "seconds_per_megapixel": (t_eval - t_build) / megapixels if megapixels else None,
              "workers": job.run.workers, "processes": distributed.world_size()}
    if as_detector(detector).image_inputs():  # what the seconds paid for: inputs computed, or read from the cache
        timing["image_inputs"] = {"computed": tally["computed"], "from_cache": tally["from_cache"]}
    dataset_info = {**dataset.info(), "fingerprint": fingerprint}
    at_scan = len(skipped_at_scan(dataset))
    dataset_info["n_skipped"] = at_scan + sum(m.get("n_skipped", 0) for m in metrics.values())
    dataset_info["n_skipped_at_scan"] = at_scan
    dataset_info["options"] = {k: str(v) for k, v in job.dataset_options.items()}
    protocol = portable(job.protocol.record())
    rows = [row for images in per_image.values() for row in split_rows(images, protocol["attack"])]
    convention = job.protocol.metrics_convention
    return Result(detector=job.detector, dataset=job.dataset, protocol=protocol,
                  metrics=metrics, checkpoint=portable_path(checkpoint) if checkpoint else None,
                  detector_info=portable({**(info or {}),
                                          "checkpoint_sha256": file_sha256(checkpoint) if checkpoint else None}),
                  dataset_info=portable(dataset_info), environment=environment(job.run.device), timing=timing,
                  training=portable(training), attack=protocol["attack"],
                  slices={split: slice_split(images, job.slice_by, convention)
                          for split, images in {**per_image, **pooled_parts(per_image)}.items()}
                  if job.slice_by else {},
                  slicing=slicing_record(job.slice_by) if job.slice_by else {}, image_records=ImageRecords(rows))


def learned_info(detector, built: dict[str, Any]) -> dict[str, Any]:
    """What the detector's ``info()`` gained while it evaluated (keys absent at build time, e.g. the
    models a per-file model choice used), so that the result records it too."""
    return {k: v for k, v in as_detector(detector).info().items() if k not in built}


def run_job(job: Job, config: TrainConfig, checkpoint: str | None = None,
            out_dir: str | Path | None = None, overlay_path: str | Path | None = None) -> Result:
    """Train on the train split (or load ``checkpoint``), then evaluate on every test split."""
    training = None
    dataset = make_dataset(job)
    required_test_splits(dataset)  # no test split: say so before training, not after
    if checkpoint is None:
        t0 = time.perf_counter()
        report, folder = train_job(job, config, out_dir, dataset=dataset)
        checkpoint = report.best_checkpoint
        training = {**report.record(), "run_dir": str(folder), "seconds": time.perf_counter() - t0}
    return evaluate_job(job, checkpoint, training=training, dataset=dataset, overlay_path=overlay_path)
