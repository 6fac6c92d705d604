"""The stress job: one model evaluated clean and under every attack setting of a grid.

Writes into an output folder one result JSON per setting (``clean.json`` has ``attack: null``),
``stress.md`` (per split: rows are settings with the clean row first, columns are metrics; then the
area under each robustness curve) and one robustness-curve PNG per attack family. The clean
result is cached under a key of everything that decides it, and attacked results already in the
output folder for the same model and protocol are kept, so a repeated or interrupted run only
does what is missing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch
from tqdm.auto import tqdm

from .attack_spec import Chain
from .data.imageio import atomic_write_bytes
from .jobs import Job, evaluate_job, make_dataset, make_detector
from .paths import cache_root
from .plots import robustness_figures, slug
from .results import Result, file_sha256, read_result, write_result
from .robustness import AURC_DOC, aurc_table, base_protocol, curves, group_results, model_key, stress_tables

def default_cache_dir() -> Path:
    """The clean-result cache: ``clean/`` under the benchmark's cache root."""
    return cache_root() / "clean"


def clean_key(job: Job, checkpoint_sha: str | None, dataset_info: dict[str, Any],
              splits: Sequence[str] | None) -> str:
    """Hash of what decides a clean result: detector and options, checkpoint hash, dataset, splits, protocol."""
    record = {"detector": job.detector, "options": job.detector_options, "checkpoint_sha256": checkpoint_sha,
              "dataset": job.dataset, "dataset_options": job.dataset_options,
              "dataset_root": dataset_info.get("root"), "dataset_splits": dataset_info.get("splits"),
              "splits": list(splits) if splits else "every test split", "protocol": job.protocol_record(None),
              "seed": job.seed}
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()[:20]


def attack_record(chain: Chain) -> dict[str, Any]:
    """What a result's protocol records about its attack besides the spec: the description
    (including how the mask was mapped) and the curve coordinates."""
    return {"attack_description": chain.describe(),
            "attack_curve": {"family": chain.family, "strength": chain.strength, "value": chain.strength_value,
                             "neutral": chain.neutral, "geometric": chain.geometric}}


def reusable(path: Path, reference: Result, attack: str | None) -> Result | None:
    """The result at ``path`` if it measured the same model, data and protocol under ``attack``."""
    if not path.exists():
        return None
    try:
        old = read_result(path)
    except (ValueError, FileNotFoundError):
        return None
    return old if old.attack == attack and model_key(old) == model_key(reference) else None


@dataclass
class StressOutcome:
    clean: Result
    attacked: list[Result]
    result_paths: list[Path]
    table: Path
    figures: list[Path]
    clean_from_cache: bool
    kept: list[str] = field(default_factory=list)  # settings whose earlier result was kept


def run_stress(job: Job, chains: Sequence[Chain], output_dir: str | Path, checkpoint: str | None = None,
               splits: Sequence[str] | None = None, cache_dir: str | Path | None = None, fresh: bool = False,
               compare: Sequence[str | Path] = (), metric: str = "iou", overlays: bool = False) -> StressOutcome:
    """Evaluate clean (cached) and under each chain; write JSONs, ``stress.md`` and curve PNGs
    (and, with ``overlays``, ``clean.png``: clean predictions on a few test images)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    dataset = make_dataset(job)
    torch.manual_seed(job.seed)  # a detector built without a checkpoint starts from the same weights each run
    detector, info = make_detector(job, checkpoint)
    sha = file_sha256(checkpoint) if checkpoint else None
    cache_file = Path(cache_dir or default_cache_dir()) / f"{slug(job.detector)}-{clean_key(job, sha, dataset.info(), splits)}.json"
    common = dict(detector=detector, info=info, dataset=dataset)

    clean = None if fresh or not cache_file.exists() else read_result(cache_file)
    from_cache = clean is not None
    if clean is None:
        clean = evaluate_job(job, checkpoint, list(splits) if splits else None,
                             overlay_path=out / "clean.png" if overlays else None, **common)
        write_result(clean, cache_file)
    paths = [write_result(clean, out / "clean.json")]

    attacked, kept = [], []
    for chain in tqdm(chains, desc="attacks", disable=not job.progress, unit="setting"):
        path = out / f"{slug(chain.spec)}.json"
        result = None if fresh else reusable(path, clean, chain.spec)
        if result is not None:
            kept.append(chain.spec)
        else:
            result = evaluate_job(job, checkpoint, list(splits) if splits else None, attack=chain,
                                  attack_spec=chain.spec, **common)
            result.protocol.update(attack_record(chain))
            write_result(result, path)
        attacked.append(result)
        paths.append(path)

    others = [read_result(p) for folder in compare for p in sorted(Path(folder).glob("*.json"))]
    groups = group_results([clean, *attacked, *others])
    curve_list = curves(groups, metric)
    figures = robustness_figures(curve_list, out)
    table = out / "stress.md"
    atomic_write_bytes(table, stress_markdown(clean, attacked, curve_list, checkpoint).encode("utf-8"))
    return StressOutcome(clean, attacked, paths, table, figures, from_cache, kept)


def stress_markdown(clean: Result, attacked: list[Result], curve_list, checkpoint: str | None) -> str:
    """The stress report of one model: how it was produced, the tables, the curve areas."""
    group = next(g for g in group_results([clean, *attacked]))
    lines = [f"# Stress test: {clean.detector} on {clean.dataset}", "",
             f"Produced by `python -m inpaintbench stress`: detector `{clean.detector}` "
             f"(weights: {clean.detector_info.get('weights', '?')}; checkpoint: {checkpoint or 'none'}), "
             f"dataset `{clean.dataset}` at `{clean.dataset_info.get('root', '?')}`. Every attack is applied to "
             "the stored image (and its mask, for geometric attacks, nearest-neighbour) before the network's resize.",
             "", "Protocol:"]
    lines += [f"- **{k}**: {v}" for k, v in sorted(base_protocol(clean.protocol).items())]
    lines += ["", "Attack settings:"] + [f"- {r.protocol.get('attack_description') or r.attack}" for r in attacked]
    lines += ["", "## Metrics per attack setting", "", stress_tables(group)]
    if curve_list:
        lines += ["## Area under the robustness curve", "", AURC_DOC, "", aurc_table(curve_list), ""]
    return "\n".join(lines).rstrip() + "\n"
