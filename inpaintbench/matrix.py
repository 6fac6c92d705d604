"""The generalization matrix: one model per training set, each evaluated on every test set and split.

A set is ``DATASET[:KIND][@ROOT]``: ``provided:realfake`` trains on (or tests on) the realfake
images of the provided set only, so the published realfake / fakefake / inpainted study is
``--train provided:realfake,provided:fakefake,provided:inpainted --test`` the same three. A bare
kind (``realfake``) means that kind of ``--dataset``. Models live under
``<output>/models/<train set>/`` (resumed, not retrained), results under ``<output>/results/``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from .contracts import KINDS
from .data.imageio import atomic_write_bytes
from .jobs import Job, evaluate_job, make_dataset, make_detector, train_job
from .plots import heatmap, slug
from .registry import unknown_name_error
from .results import Result, write_result
from .generalization import matrix_cells, matrix_tables
from .robustness import base_protocol
from .stress import reusable
from .training import TrainConfig


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
            raise ValueError(f"set {item!r}: no dataset name (use DATASET[:KIND][@ROOT])")
        sets.append(DataSet(name, kind or None, root or None))
    if not sets:
        raise ValueError(f"no sets in {text!r}; use e.g. provided:realfake,provided:fakefake")
    return sets


@dataclass
class MatrixOutcome:
    results: list[Result]
    markdown: Path
    figure: Path
    checkpoints: dict[str, str]


def train_or_load(job: Job, train: DataSet, config: TrainConfig, models_dir: Path,
                  checkpoint: str | None) -> tuple[str, dict[str, Any]]:
    """The checkpoint of the model for ``train`` (trained, resumed, or given) and its training record."""
    if checkpoint:
        return checkpoint, {"train_set": train.label, "checkpoint_given": checkpoint}
    cfg = dataclasses.replace(config, train_kinds=(train.kind,) if train.kind else config.train_kinds)
    report, folder = train_job(train.job(job), cfg, models_dir / slug(train.label))
    return report.best_checkpoint, {"train_set": train.label, "config": cfg.record(), "run_dir": str(folder),
                                    "epochs_run": report.epochs_run, "steps": report.steps,
                                    "best_epoch": report.best_epoch, "best_val": report.best_val}


def run_matrix(job: Job, train_sets: Sequence[DataSet], test_sets: Sequence[DataSet], config: TrainConfig,
               output_dir: str | Path, checkpoints: dict[str, str] | None = None,
               metric: str = "iou") -> MatrixOutcome:
    """Train or load one model per training set, evaluate it on every test set, write md + PNG."""
    out = Path(output_dir)
    checkpoints = dict(checkpoints or {})
    unknown = [k for k in checkpoints if k not in {t.label for t in train_sets}]
    if unknown:
        raise unknown_name_error("training sets", unknown[0], [t.label for t in train_sets])
    results: list[Result] = []
    used: dict[str, str] = {}
    for train in train_sets:
        ckpt, training = train_or_load(job, train, config, out / "models", checkpoints.get(train.label))
        used[train.label] = ckpt
        detector, info = make_detector(train.job(job), ckpt)
        for test in test_sets:
            tjob = test.job(job)
            dataset = make_dataset(tjob)
            splits = [f"test/{test.kind}"] if test.kind else None
            path = out / "results" / f"{slug(train.label)}--{slug(test.label)}.json"
            old = reusable(path, _probe(tjob, ckpt, info, dataset), None) if path.exists() else None
            if old is not None and (old.training or {}).get("train_set") == train.label:
                result = old
            else:
                result = evaluate_job(tjob, ckpt, splits, training=training, detector=detector, info=info,
                                      dataset=dataset)
            result.training = {**(result.training or {}), "train_set": train.label, "test_set": test.label}
            write_result(result, path)
            results.append(result)
    rows, columns, values = matrix_cells(results, metric)
    figure = heatmap(values, rows, columns, out / f"matrix-{metric}.png",
                     title=f"{job.detector}: {metric}, trained on (rows) × tested on (columns)",
                     xlabel="test set · split", ylabel="training set")
    md = out / "matrix.md"
    atomic_write_bytes(md, matrix_markdown(results, job, used).encode("utf-8"))
    return MatrixOutcome(results, md, figure, used)


def _probe(job: Job, ckpt: str, info: dict, dataset) -> Result:
    """A result shell with the identity an evaluation of ``ckpt`` on ``dataset`` would record."""
    from .results import file_sha256

    return Result(detector=job.detector, dataset=job.dataset, protocol=job.protocol_record(None), metrics={},
                  checkpoint=ckpt, detector_info={**info, "checkpoint_sha256": file_sha256(ckpt)},
                  dataset_info=dataset.info())


def matrix_markdown(results: Sequence[Result], job: Job, checkpoints: dict[str, str]) -> str:
    first = results[0]
    lines = [f"# Generalization matrix: {job.detector}", "",
             "Produced by `python -m inpaintbench matrix`: one model per training set (trained with the common "
             "trainer, or loaded), each evaluated on every test set and split.", "", "Models:"]
    seen = set()
    for res in results:
        train = res.training or {}
        label = train.get("train_set")
        if label in checkpoints and label not in seen:
            seen.add(label)
            how = f"trained: {train['steps']} steps, {train['epochs_run']} epoch(s)" if "steps" in train else "given"
            lines.append(f"- `{label}`: `{checkpoints[label]}` ({how})")
    lines += ["", "Protocol:"] + [f"- **{k}**: {v}" for k, v in sorted(base_protocol(first.protocol).items())]
    lines += [""] + matrix_tables(results)
    return "\n".join(lines).rstrip() + "\n"
