"""The clean-result cache: a clean result stored under a key of everything that decides it, so that a
job measuring the same model on the same data again (a stress run's clean pass, a matrix cell) reads it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from inpaintbench.io._paths import cache_root
from inpaintbench.jobs.job import Job
from inpaintbench.jobs.results import Result, file_sha256, read_result, slug, write_result


def default_cache_dir() -> Path:
    """``clean/`` under the benchmark's cache root."""
    return cache_root() / "clean"


def clean_key(job: Job, checkpoint: str | Path | None, dataset_info: dict[str, Any],
              splits: Sequence[str] | None, fingerprint: str) -> str:
    """The key of a clean result: detector, options, checkpoint hash, dataset and its data fingerprint
    (``fingerprint.data_fingerprint``), splits, protocol, seed and the slice columns (when any)."""
    record = {"data_fingerprint": fingerprint, "detector": job.detector, "options": job.detector_options,
              "checkpoint_sha256": file_sha256(checkpoint) if checkpoint else None,
              "dataset": job.dataset, "dataset_options": job.dataset_options,
              "dataset_root": dataset_info.get("root"), "dataset_splits": dataset_info.get("splits"),
              "splits": list(splits) if splits else "every test split",
              "protocol": job.protocol.base().record(),
              "image_threshold_from": job.protocol.image_threshold_from,
              "seed": job.run.seed,
              **({"slice_by": list(job.slice_by)} if job.slice_by else {})}
    digest = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()[:20]
    return f"{slug(job.detector)}-{digest}"


class CleanCache:
    """Clean results as ``<folder>/<key>.json``; ``folder`` defaults to ``default_cache_dir()``."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder else default_cache_dir()

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> Result | None:
        """The cached result, or ``None`` when there is none (an unreadable entry counts as none)."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            return read_result(path)
        except ValueError:
            return None

    def put(self, key: str, result: Result) -> Path:
        """Store a clean result (one with an attack is refused: the key does not describe it)."""
        if result.attack:
            raise ValueError(f"the clean-result cache takes clean results only, not one under {result.attack!r}")
        return write_result(result, self.path(key))
