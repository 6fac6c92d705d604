"""The generalization matrix: one model per training set, each evaluated on every test set and split.

A set is ``DATASET[:KIND][@ROOT]``: ``provided:realfake`` trains on (or tests on) the realfake
images of the provided set only, so the published realfake / fakefake / inpainted study is
``--train provided:realfake,provided:fakefake,provided:inpainted --test`` the same three. A bare
kind (``realfake``) means that kind of ``--dataset``. Models live under
``<output>/models/<train set>/`` (resumed, not retrained), results under ``<output>/results/``;
each cell's result is taken from the clean-result cache when it holds one. Under torchrun each model
trains with DDP and each cell's images are shared out to the ranks; rank 0 writes the files. The report (``matrix.md``,
heatmap) is ``reports.write_matrix_report``'s work.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inpaintbench.io import distributed
from inpaintbench.io._fingerprint import data_fingerprint
from inpaintbench.io._paths import portable
from inpaintbench.jobs._clean_cache import CleanCache, clean_key
from inpaintbench.jobs.job import Job, evaluate_job, make_dataset, make_detector, train_job
from inpaintbench.jobs.results import Result, slug, write_result
from inpaintbench.sdk.contracts import KINDS, SplitName
from inpaintbench.sdk.errors import ConfigError
from inpaintbench.sdk.registry import unknown_name_error
from inpaintbench.training.trainer import TrainConfig


@dataclass(frozen=True)
class DataSet:
    """One training or test set: a dataset, optionally one kind of image, optionally its own folder."""

    dataset: str
    kind: str | None = None
    root: str | None = None

    @property
    def label(self) -> str:
        return self.dataset + (f":{self.kind}" if self.kind else "") + (f"@{self.root}" if self.root else "")

    def job(self, base: Job) -> Job:
        options = dict(base.dataset_options)
        if self.root:
            options["data_root"] = self.root
        return dataclasses.replace(base, dataset=self.dataset, dataset_options=options)


def parse_sets(text: str, default_dataset: str = "provided") -> list[DataSet]:
    """``"provided:realfake,provided:fakefake@/data/b"`` -> sets; a bare kind uses ``default_dataset``."""
    sets = []
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        body, _, root = item.partition("@")
        name, _, kind = body.partition(":")
        if not _ and name in KINDS:
            name, kind = default_dataset, name
        if kind and kind not in KINDS:
            raise unknown_name_error("kinds", kind, list(KINDS))
        if not name:
            raise ConfigError(f"set {item!r}: no dataset name (use DATASET[:KIND][@ROOT])")
        sets.append(DataSet(name, kind or None, root or None))
    if not sets:
        raise ConfigError(f"no sets in {text!r}; use e.g. provided:realfake,provided:fakefake")
    return sets


@dataclass
class MatrixRun:
    """What a matrix run produced: one result per (training set, test set), their files, the checkpoints."""

    results: list[Result]
    result_paths: list[Path]
    checkpoints: dict[str, str]


def train_or_load(job: Job, train: DataSet, config: TrainConfig, models_dir: Path,
                  checkpoint: str | None) -> tuple[str, dict[str, Any]]:
    """The checkpoint of the model for ``train`` (trained, resumed, or given) and its training record."""
    if checkpoint:
        return checkpoint, {"train_set": train.label, "checkpoint_given": checkpoint}
    cfg = dataclasses.replace(config, train_kinds=(train.kind,) if train.kind else config.train_kinds)
    report, folder = train_job(train.job(job), cfg, models_dir / slug(train.label))
    return report.best_checkpoint, {"train_set": train.label, "run_dir": str(folder), **report.record()}


def run_matrix(job: Job, train_sets: Sequence[DataSet], test_sets: Sequence[DataSet], config: TrainConfig,
               output_dir: str | Path, checkpoints: dict[str, str] | None = None,
               cache_dir: str | Path | None = None) -> MatrixRun:
    """Train or load one model per training set, evaluate it on every test set, write one JSON per cell."""
    out = Path(output_dir)
    checkpoints = dict(checkpoints or {})
    unknown = [k for k in checkpoints if k not in {t.label for t in train_sets}]
    if unknown:
        raise unknown_name_error("training sets", unknown[0], [t.label for t in train_sets])
    cache = CleanCache(cache_dir)
    results: list[Result] = []
    paths: list[Path] = []
    used: dict[str, str] = {}
    for train in train_sets:
        ckpt, training = train_or_load(job, train, config, out / "models", checkpoints.get(train.label))
        used[train.label] = ckpt
        detector, info = make_detector(train.job(job), ckpt)
        for test in test_sets:
            tjob = test.job(job)
            dataset = make_dataset(tjob)
            splits = [str(SplitName("test", test.kind))] if test.kind else None
            key = clean_key(tjob, ckpt, dataset.info(), splits, data_fingerprint(dataset))
            clean = distributed.on_main(cache.get, key)
            if clean is None:
                clean = evaluate_job(tjob, ckpt, splits, detector=detector, info=info, dataset=dataset)
                cache.put(key, clean)
            result = dataclasses.replace(clean, training=portable({**training, "train_set": train.label,
                                                                   "test_set": test.label}))
            paths.append(write_result(result, out / "results" / f"{slug(train.label)}--{slug(test.label)}.json"))
            results.append(result)
    return MatrixRun(results, paths, used)
