"""The stress job: one model evaluated clean and under every attack setting of a grid.

Writes into an output folder one result JSON per setting (``clean.json`` has ``attack: null``) and
returns them; the report (``stress.md``, robustness curves) is ``reports.write_stress_report``'s work.
The clean result comes from the clean-result cache when it holds one, and attacked results already
in the output folder for the same model, protocol and data fingerprint are kept, so a repeated or
interrupted run only does what is missing; one whose data changed since is redone, and says so.
Under torchrun every setting's images are shared out to the ranks (see ``harness.evaluate_split``);
rank 0 decides what is kept and writes the files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from inpaintbench.evaluation._attack_spec import Chain
from inpaintbench.io import distributed
from inpaintbench.io._fingerprint import data_change, data_fingerprint
from inpaintbench.io._paths import portable
from inpaintbench.jobs._clean_cache import CleanCache, clean_key
from inpaintbench.jobs.job import Job, evaluate_job, make_dataset, scored_detector
from inpaintbench.jobs.results import Result, model_key, read_result, slug, write_result


def reusable(path: Path, reference: Result, attack: str, fingerprint: str) -> tuple[Result | None, str | None]:
    """The result at ``path`` if it measured the same model, data and protocol as ``reference`` under
    ``attack`` on data that still has ``fingerprint``; else ``None`` and, for a result that no longer
    fits the data, why."""
    if not path.exists():
        return None, None
    try:
        old = read_result(path)
    except ValueError:
        return None, None
    if old.attack != portable(attack) or model_key(old) != model_key(reference):
        return None, None
    changed = data_change((old.dataset_info or {}).get("fingerprint"), fingerprint)
    return (None, changed) if changed else (old, None)


#: Which settings of a stress run get a gallery: the clean one (the default of ``stress``), every one, none.
GALLERIES = ("clean", "all", "none")


@dataclass
class StressRun:
    """What a stress run produced: the clean and attacked results and the files holding them."""

    clean: Result
    attacked: list[Result]
    result_paths: list[Path]
    clean_from_cache: bool
    kept: list[str] = field(default_factory=list)  # settings whose earlier result was kept
    redone: dict[str, str] = field(default_factory=dict)  # setting -> why its earlier result was not kept

    @property
    def results(self) -> list[Result]:
        return [self.clean, *self.attacked]


def run_stress(job: Job, chains: Sequence[Chain], output_dir: str | Path, checkpoint: str | None = None,
               splits: Sequence[str] | None = None, cache_dir: str | Path | None = None, fresh: bool = False,
               galleries: str = "none") -> StressRun:
    """Evaluate clean (cached) and under each chain; write one JSON per setting into ``output_dir``, each
    with its per-image records and, as ``galleries`` says (``GALLERIES``: ``clean``, ``all`` or ``none``),
    its gallery PNG of the worst and best images."""
    if galleries not in GALLERIES:
        raise ValueError(f"galleries={galleries!r}: choose one of {', '.join(GALLERIES)}")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    dataset = make_dataset(job)
    detector, info = scored_detector(job, checkpoint)
    common = dict(detector=detector, info=info, dataset=dataset)
    chosen = list(splits) if splits else None

    cache = CleanCache(cache_dir)
    fingerprint = data_fingerprint(dataset)
    key = clean_key(job, checkpoint, dataset.info(), splits, fingerprint)
    clean = None if fresh else distributed.on_main(cache.get, key)
    from_cache = clean is not None
    redone: dict[str, str] = {}
    if clean is None:
        clean = evaluate_job(job, checkpoint, chosen, overlay_path=out / "clean.png" if galleries != "none" else None,
                             **common)
        cache.put(key, clean)
        if not fresh:
            _, why = reusable(out / "clean.json", clean, None, fingerprint)
            if why:
                redone["clean"] = why
    paths = [write_result(clean, out / "clean.json")]

    attacked, kept = [], []
    for chain in tqdm(chains, desc="attacks", disable=not (job.run.progress and distributed.is_main()), unit="setting"):
        path = out / f"{slug(chain.spec)}.json"
        result, why = (None, None) if fresh else distributed.on_main(reusable, path, clean, chain.spec, fingerprint)
        if result is not None:
            kept.append(chain.spec)
        else:
            if why:
                redone[chain.spec] = why
            attacked_job = dataclasses.replace(job, protocol=job.protocol.with_attack(chain))
            result = evaluate_job(attacked_job, checkpoint, chosen,
                                  overlay_path=path.with_suffix(".png") if galleries == "all" else None, **common)
            write_result(result, path)
        attacked.append(result)
        paths.append(path)
    return StressRun(clean, attacked, paths, from_cache, kept, redone)
