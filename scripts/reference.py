"""Reproduce every committed leaderboard at a declared budget, from ../shared photos and the packaged TAEF2.

    python scripts/reference.py --budget cpu     # 2 CPU cores, about two hours and a half (8 min of training per model)
    python scripts/reference.py --budget gpu     # one GPU, under 40 minutes (step budgets)
    python scripts/reference.py --render-only    # rebuild leaderboards/README.md from the committed JSONs

Steps, all through the package's own jobs, all at native resolution (no resize anywhere):
1. reference data with ``generate``: BSDS500 (its own train/val/test split) with free-form masks, BSDS500
   test photos with object masks, Kodak24 and CBSD68 test photos with free-form masks, each with kinds
   ``fakefake`` (TAEF2 round trip blended through the mask), ``realfake`` (the ``latent-fill``
   stand-in: the masked latent filled and decoded by TAEF2) and the ``original``s; a small Kodak set
   for the stress test. The photos are read in place through symbolic links in the work folder.
2. every trainable baseline trained on the BSDS train split (all kinds) for the budget's wall-clock minutes
   (``cpu``: the same time for every model, the steps reached recorded) or steps (``gpu``), on random
   native crops, seed 0: ``nixnet`` with its SRM noise stream, with the autoencoder trace, and with both
   (identical time or steps, batch and crop: the NIX-Net input table), ``fcn``, ``unet-r18``, and
   ``unet-effl0`` from ImageNet and from random weights (what the ImageNet start alone is worth). The
   trace is computed once per stored image and cached before the clock starts (``baselines/NIXNET.md``);
3. every detector evaluated on every test set: the trained ones, and every training-free detector of the
   package, the published zoo with its weight variants (adaptive-cfa j95, nojpeg) included;
4. the generalization matrix of ``nixnet``: trained on fakefake, on the realfake stand-in and on
   the universal data, tested on each;
5. ``stress`` over the default attack grid for the best two detectors (pixel AUC on BSDS fakefake);
6. the autoencoder-family study: ``generate`` fakefake and the latent-fill stand-in from the same BSDS500 test
   photos, crops and masks with each of taesd, taesdxl, taesd3, taef1 and taef2; ``aerecon`` with every one of
   them on every family's data (the 5 x 5 attribution matrix);
7. the wild set of real inpaintings: every detector (trained and training-free), and ``aerecon`` with the tiny
   autoencoders of the wild set's families (taesd for SD1.5, taesdxl for SDXL, taef1 for FLUX.1), sliced by
   generator and autoencoder family;
8. the cross-family matrix of ``nixnet``: trained on one family's data (BSDS500 train photos), tested on every
   family's test data, and each of those models on the wild set (``wild/nixnet-family-<autoencoder>.json``);
9. ``leaderboards/README.md`` and its figures, stating budget, machine, wall time and command.
They run in the order of ``STAGES`` (the in-distribution evaluation and the wild set first); after each the record and
the board are written, so an interrupted run leaves a board that says which stages are still to run.
Everything resumes: rerun the same command after an interruption.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
BOARD = ROOT / "leaderboards"
RESULTS = BOARD / "results"
FIGURES = BOARD / "figures"
CURVE_METRICS = ("iou", "auc")
#: The stages of a run, in the order they run; the record lists those done (a partial board says so).
STAGES = ("photos", "data", "training", "evaluation", "wild", "family data", "attribution", "other sets",
          "family matrix", "matrix", "stress")


@dataclass(frozen=True)
class Budget:
    """What one reference run spends: data sizes, training time or steps, and where the heavy detectors run."""

    name: str
    device: str
    #: Side of the square crops ``generate`` stores; every measurement is taken at this stored size.
    stored_size: int
    #: Photos per source: BSDS500 train / val / test, BSDS500 test with object masks, Kodak24, CBSD68.
    photos: dict[str, int]
    #: Optimizer steps per trained model (the three NIX-Net inputs get the same); ``None``: no step limit.
    steps: dict[str, int] | None
    matrix_steps: int | None
    crop: int
    batch_size: int
    #: Kodak photos of the stress set (fakefake and originals).
    stress_photos: int
    #: Whether detectors that run the autoencoder inside their forward pass are evaluated on the
    #: extra test sets too, or on the BSDS test set only.
    trace_everywhere: bool
    #: Wall-clock minutes of training per model (steps, validation, checkpoints), the same for every model;
    #: ``None``: no time limit. With both, training stops at whichever ends first.
    minutes: float | None = None
    #: The same per generalization-matrix model.
    matrix_minutes: float | None = None
    #: BSDS500 test photos of each autoencoder family's test data (the attribution study).
    family_photos: int = 16


BUDGETS = {
    # every model gets the same 8 minutes on 2 cores (the trace cached: a trace model steps as fast as SRM)
    "cpu": Budget("cpu", "cpu", 256, {"train": 100, "val": 8, "test": 32, "object": 24, "kodak24": 24, "cbsd68": 24},
                  None, matrix_steps=None, crop=64, batch_size=8, stress_photos=4, trace_everywhere=True,
                  minutes=8.0, matrix_minutes=3.0, family_photos=16),
    "gpu": Budget("gpu", "cuda", 320, {"train": 200, "val": 100, "test": 200, "object": 100, "kodak24": 24,
                                       "cbsd68": 68},
                  {"nixnet": 4000, "nixnet-trace": 4000, "nixnet-srm+trace": 4000, "fcn": 3000, "unet-r18": 4000,
                   "unet-effl0": 4000, "unet-effl0-random": 4000},
                  matrix_steps=2000, crop=256, batch_size=16, stress_photos=24, trace_everywhere=True,
                  family_photos=100),
    # the pipeline end to end in a few minutes, to check the script itself; its numbers mean nothing
    "smoke": Budget("smoke", "cpu", 128, {"train": 6, "val": 2, "test": 3, "object": 2, "kodak24": 2, "cbsd68": 2},
                    {"nixnet": 2, "nixnet-trace": 2, "nixnet-srm+trace": 2, "fcn": 1, "unet-r18": 2, "unet-effl0": 2,
                     "unet-effl0-random": 2},
                    matrix_steps=1, crop=64, batch_size=4, stress_photos=2, trace_everywhere=False,
                    minutes=0.5, matrix_minutes=0.5, family_photos=2),
}

#: The trained models: name -> (detector, options). The three NIX-Net inputs share every other setting.
MODELS = {
    "nixnet": ("nixnet", {"residual": "srm"}),
    "nixnet-trace": ("nixnet", {"residual": "aerecon"}),
    "nixnet-srm+trace": ("nixnet", {"residual": "srm+aerecon"}),
    "fcn": ("fcn", {}),
    "unet-r18": ("unet-r18", {}),
    # the same localizer from ImageNet and from random weights: what the ImageNet start alone is worth
    "unet-effl0": ("unet-effl0", {}),
    "unet-effl0-random": ("unet-effl0", {"pretrained": False}),
}
#: Models whose forward pass runs the autoencoder (costly on a CPU).
TRACE_MODELS = ("nixnet-trace", "nixnet-srm+trace")
#: Published weights beside a detector's default ones: label -> (detector, options), evaluated wherever it is.
VARIANTS = {"adaptive-cfa-j95": ("adaptive-cfa", {"variant": "j95"}),
            "adaptive-cfa-nojpeg": ("adaptive-cfa", {"variant": "nojpeg"})}
#: The test sets: name -> (generate recipe, photo folder under the work folder's photos/).
TEST_SETS = {"bsds-freeform": ("freeform", "bsds"), "bsds-object": ("object", "bsds-object"),
             "kodak24-freeform": ("freeform", "kodak24"), "cbsd68-freeform": ("freeform", "cbsd68")}
TRAIN_SET = "bsds-freeform"
GENERATORS = "latent-fill,vae"
#: The autoencoder-family study: the tiny autoencoders the family data is made with and aerecon runs with.
FAMILY_AUTOENCODERS = ("taesd", "taesdxl", "taesd3", "taef1", "taef2")
#: aerecon on the wild set with the tiny autoencoder of each latent family found there (SD1.5, SDXL, FLUX.1),
#: besides its default (taef2) among every detector.
WILD_AUTOENCODERS = ("taesd", "taesdxl", "taef1")
#: The columns wild results are sliced by (the Real generators section), and the family study's.
WILD_SLICES = ("generator", "autoencoder")
FAMILY_SLICES = ("autoencoder",)


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# --- photos and data -------------------------------------------------------------------------------

def link_photos(work: Path, budget: Budget) -> dict[str, Path]:
    """Folders of symbolic links to the first photos of each source, laid out so that ``generate``
    takes BSDS500's split from the folder names and finds its segmentations."""
    bsds = SHARED / "data" / "bsds500"
    photos = SHARED / "data" / "photos"
    for need in (bsds / "images", photos / "kodak24", photos / "cbsd68"):
        if not need.is_dir():
            raise SystemExit(f"the reference run needs {need} (see ../shared/README.md)")
    plan = {"bsds": [("images/train", "train"), ("images/val", "val"), ("images/test", "test")],
            "bsds-object": [("images/test", "object")]}
    out = {}
    for name, parts in plan.items():
        for folder, key in parts:
            split = folder.split("/")[1]
            chosen = sorted((bsds / folder).glob("*.jpg"))[: budget.photos[key]]
            for photo in chosen:
                _link(photo, work / "photos" / name / "images" / split / photo.name)
                label = bsds / "groundTruth" / split / (photo.stem + ".mat")
                if label.exists():
                    _link(label, work / "photos" / name / "groundTruth" / split / label.name)
        out[name] = work / "photos" / name
    used = bsds_stems_used(work)
    for name in ("kodak24", "cbsd68"):
        # CBSD68 is 68 photos of BSDS500's val split (same stems, same pixels): never one the models saw
        chosen = [p for p in sorted((photos / name).glob("*.png")) if p.stem not in used][: budget.photos[name]]
        _link_only(chosen, work / "photos" / name / "test")
        out[name] = work / "photos" / name
    for photo in sorted((photos / "kodak24").glob("*.png"))[: budget.stress_photos]:
        _link(photo, work / "photos" / "stress" / "test" / photo.name)
    out["stress"] = work / "photos" / "stress"
    for name, parts in (("families", [("test", budget.family_photos)]),
                        ("families-train", [("train", budget.photos["train"]), ("val", budget.photos["val"])])):
        for split, count in parts:  # BSDS500's own split, taken from the folder names by generate
            for photo in sorted((bsds / "images" / split).glob("*.jpg"))[:count]:
                _link(photo, work / "photos" / name / "images" / split / photo.name)
        out[name] = work / "photos" / name
    return out


def bsds_stems_used(work: Path) -> set[str]:
    """The stems of the BSDS500 photos the reference sets already use (training, validation, test)."""
    return {p.stem for p in (work / "photos" / "bsds").rglob("*.jpg")}


def _link_only(chosen: list[Path], folder: Path) -> None:
    """``folder`` holding links to exactly ``chosen``: links left by an earlier choice are removed."""
    names = {p.name for p in chosen}
    for old in folder.glob("*") if folder.is_dir() else ():
        if old.is_symlink() and old.name not in names:
            old.unlink()
    for photo in chosen:
        _link(photo, folder / photo.name)


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        link.symlink_to(target.resolve())


def build_data(work: Path, budget: Budget, photos: dict[str, Path], quiet: bool) -> dict[str, tuple[str, Path]]:
    """Every reference set, written (or resumed) by the package's ``generate`` job: name -> (dataset, root)."""
    from inpaintbench.data.generation.generate import GenerateConfig, generate

    sets = {name: (recipe, photos[folder], GENERATORS) for name, (recipe, folder) in TEST_SETS.items()}
    sets["stress"] = ("freeform", photos["stress"], "vae")
    out = {}
    for name, (recipe, source, generators) in sets.items():
        root = work / "data" / name
        say(f"data: {name} ({recipe} masks, {generators}, from {source.name})")
        generate(GenerateConfig(recipe, str(root), source=str(source), generator=generators,
                                image_size=budget.stored_size, crop="random", device=budget.device,
                                progress=not quiet))
        out[name] = (recipe, root)
    return out


# --- models and results ----------------------------------------------------------------------------

def job_for(detector: str, options: dict, dataset: tuple[str, Path], budget: Budget, quiet: bool,
            image_threshold_from: str = "fixed"):
    """The job of one detector on one reference set, at native resolution."""
    from inpaintbench.evaluation.protocol import Execution, Protocol
    from inpaintbench.jobs.job import Job

    name, root = dataset
    return Job(detector, name, dict(options), {"data_root": str(root)},
               Protocol(None, image_threshold_from=image_threshold_from),
               Execution(batch_size=budget.batch_size, device=budget.device, seed=0, progress=not quiet))


def train_models(work: Path, budget: Budget, data: dict, quiet: bool) -> dict[str, tuple[str, dict]]:
    """Train (or resume) every model on the BSDS training split: name -> (best checkpoint, training record)."""
    from inpaintbench.jobs.job import train_job
    from inpaintbench.training.trainer import TrainConfig

    trained = {}
    for model, (detector, options) in MODELS.items():
        steps = budget.steps[model] if budget.steps else None
        say(f"train: {model} for {length_text(steps, budget.minutes)}")
        config = TrainConfig(epochs=100_000, max_steps=steps, max_minutes=budget.minutes, batch_size=budget.batch_size,
                             crop=budget.crop, patience=100_000, device=budget.device, seed=0, progress=not quiet)
        t0 = time.perf_counter()
        report, folder = train_job(job_for(detector, options, data[TRAIN_SET], budget, quiet), config,
                                   work / "models" / model)
        trained[model] = (report.best_checkpoint,
                          {**report.record(), "run_dir": str(folder), "seconds": time.perf_counter() - t0})
    return trained


def evaluate_all(budget: Budget, data: dict, trained: dict, quiet: bool, sets: list[str] | None = None) -> list[Path]:
    """Every model and training-free detector on every test set (or ``sets``); a result already written is kept."""
    from inpaintbench.jobs.job import evaluate_job
    from inpaintbench.jobs.results import write_result

    entries = detector_entries(trained)
    paths = []
    for set_name in sets or list(TEST_SETS):
        for label, detector, options, (checkpoint, training) in entries:
            if label in TRACE_MODELS and set_name != TRAIN_SET and not budget.trace_everywhere:
                continue
            path = RESULTS / "clean" / f"{set_name}--{label}.json"
            if not path.exists():
                say(f"evaluate: {label} on {set_name}")
                # bAcc's threshold is chosen on the BSDS val split; the extra sets have none, so 0.5
                job = job_for(detector, options, data[set_name], budget, quiet,
                              "val" if set_name == TRAIN_SET else "fixed")
                result = evaluate_job(job, checkpoint, training=training)
                result = dataclasses.replace(result, dataset=set_name)
                write_result(result, path)
            paths.append(path)
    return paths


def run_matrix_part(work: Path, budget: Budget, data: dict, photos: dict, quiet: bool) -> None:
    """NIX-Net trained on fakefake, on the realfake stand-in and on universal data, tested on each."""
    from inpaintbench.jobs.matrix import parse_sets, run_matrix
    from inpaintbench.reports.job_reports import write_matrix_report
    from inpaintbench.training.trainer import TrainConfig

    root = data[TRAIN_SET][1]
    sets = parse_sets(f"freeform:fakefake@{root},freeform:realfake@{root},universal@{photos['bsds']}")
    config = TrainConfig(epochs=100_000, max_steps=budget.matrix_steps, max_minutes=budget.matrix_minutes,
                         batch_size=budget.batch_size, crop=budget.crop, patience=100_000, device=budget.device,
                         seed=0, progress=not quiet)
    say(f"matrix: nixnet on {len(sets)} training sets, {length_text(budget.matrix_steps, budget.matrix_minutes)} each")
    job = job_for("nixnet", {"residual": "srm"}, data[TRAIN_SET], budget, quiet)
    run = run_matrix(job, sets, sets, config, work / "matrix", cache_dir=work / "cache")
    folder = RESULTS / "matrix"
    folder.mkdir(parents=True, exist_ok=True)
    for path in run.result_paths:
        shutil.copy2(path, folder / path.name)
    write_matrix_report(run.results, folder)


def best_two(paths: list[Path]) -> list[str]:
    """The two result labels with the highest pixel AUC on the BSDS free-form fakefake test split."""
    from inpaintbench.jobs.results import read_result

    scored = []
    for path in paths:
        if path.name.startswith(f"{TRAIN_SET}--"):
            auc = read_result(path).metrics.get("test/fakefake", {}).get("auc")
            scored.append((-(auc if auc is not None else -1.0), path.stem.split("--", 1)[1]))
    return [label for _, label in sorted(scored)[:2]]


def stress_part(budget: Budget, data: dict, trained: dict, labels: list[str], quiet: bool) -> None:
    """The default attack grid (with re-encoding through TAEF2) on the stress set, for ``labels``."""
    from inpaintbench.evaluation._attack_spec import parse_attacks
    from inpaintbench.jobs.stress import run_stress
    from inpaintbench.reports.job_reports import write_stress_report

    chains = parse_attacks("default", "taef2")
    for label in labels:
        _, detector, options, (checkpoint, _) = next(e for e in detector_entries(trained) if e[0] == label)
        say(f"stress: {label} over {len(chains)} settings on the stress set")
        folder = RESULTS / f"stress-{label}"
        run = run_stress(job_for(detector, options, data["stress"], budget, quiet), chains, folder, checkpoint)
        write_stress_report(run.results, folder)


# --- the autoencoder-family study and the wild set ---------------------------------------------------

def build_family_data(work: Path, budget: Budget, photos: dict[str, Path], quiet: bool, part: str = "families",
                      ) -> dict[str, tuple[str, Path]]:
    """One free-form set per tiny autoencoder (fakefake, the latent-fill realfake, originals), every one from
    the same photos with the same seed, so the same crops and masks: autoencoder -> (dataset, root)."""
    from inpaintbench.data.generation.generate import GenerateConfig, generate

    out = {}
    for autoencoder in FAMILY_AUTOENCODERS:
        root = work / "data" / f"{part}-{autoencoder}"
        say(f"data: {part} made with {autoencoder} ({GENERATORS}, from {photos[part].name})")
        generate(GenerateConfig("freeform", str(root), source=str(photos[part]), generator=GENERATORS,
                                autoencoder=autoencoder, image_size=budget.stored_size, crop="random", seed=0,
                                device=budget.device, progress=not quiet))
        out[autoencoder] = ("freeform", root)
    return out


def attribution_part(budget: Budget, family_data: dict, quiet: bool, results: Path = RESULTS) -> list[Path]:
    """aerecon with every tiny autoencoder on every family's manipulated test images, sliced by the data's
    autoencoder family: the 5 x 5 attribution matrix; a result already written is kept."""
    from inpaintbench.jobs.job import evaluate_job
    from inpaintbench.jobs.results import write_result

    paths = []
    for data_ae, dataset in family_data.items():
        for detector_ae in FAMILY_AUTOENCODERS:
            path = results / "families" / f"{data_ae}-data--aerecon-{detector_ae}.json"
            if not path.exists():
                say(f"attribution: aerecon with {detector_ae} on the {data_ae} data")
                job = dataclasses.replace(job_for("aerecon", {"autoencoder": detector_ae}, dataset, budget, quiet),
                                          slice_by=FAMILY_SLICES)
                result = evaluate_job(job, splits=["test/fakefake", "test/realfake"])
                write_result(dataclasses.replace(result, dataset="bsds-families"), path)
            paths.append(path)
    return paths


def training_free_detectors() -> list[str]:
    """Every registered detector of this package whose card says it needs no training (the zoo included)."""
    from inpaintbench.sdk import registry
    from inpaintbench.sdk.cards import card_of

    own = [n for n, e in registry.entries("detectors").items() if e.distribution == registry.OWN_DISTRIBUTION]
    return sorted(n for n in own if getattr(card_of(registry.load("detectors", n)), "trainable", True) is False)


def detector_entries(trained: dict, free: list[str] | None = None) -> list[tuple[str, str, dict, tuple]]:
    """Every row of the reference run: ``(label, detector, options, (checkpoint, training record))`` for the
    trained models, then every training-free detector of the package (the zoo) and the zoo's weight variants."""
    free = training_free_detectors() if free is None else free
    entries = [(m, *MODELS[m], trained[m]) for m in MODELS if m in trained]
    entries += [(d, d, {}, (None, None)) for d in free]
    entries += [(label, d, dict(o), (None, None)) for label, (d, o) in VARIANTS.items() if d in free]
    return entries


def wild_part(budget: Budget, trained: dict, quiet: bool, results: Path = RESULTS,
              detectors: list[str] | None = None) -> list[Path]:
    """Every trained model and training-free detector on the wild set (read in place: $INPAINTBENCH_WILD or
    ../shared/data/wild), plus aerecon with each family's tiny autoencoder; sliced by generator and family."""
    from inpaintbench.data.imageio import DataError
    from inpaintbench.data.wild import locate

    try:
        locate()
    except DataError as err:
        raise SystemExit(f"the reference run needs the wild set (see ../shared/README.md): {err}") from None
    entries = detector_entries(trained, detectors)
    entries += [(f"aerecon-{ae}", "aerecon", {"autoencoder": ae}, (None, None)) for ae in WILD_AUTOENCODERS]
    return on_wild([e for e in entries if e[0] not in TRACE_MODELS or budget.trace_everywhere], budget, quiet,
                   results)


def on_wild(entries: list, budget: Budget, quiet: bool, results: Path = RESULTS) -> list[Path]:
    """Each ``(label, detector, options, (checkpoint, training))`` on the wild set, written to
    ``wild/<label>.json``; a result already written is kept."""
    from inpaintbench.jobs.job import evaluate_job
    from inpaintbench.jobs.results import write_result

    paths = []
    for label, detector, options, (checkpoint, training) in entries:
        path = results / "wild" / f"{label}.json"
        if not path.exists():
            say(f"wild: {label}")
            job = wild_job(detector, options, budget, quiet)
            write_result(evaluate_job(job, checkpoint, training=training), path)
        paths.append(path)
    return paths


def wild_job(detector: str, options: dict, budget: Budget, quiet: bool):
    """The job of one detector on the wild set, found where the dataset looks for it, sliced for the section."""
    from inpaintbench.evaluation.protocol import Execution, Protocol
    from inpaintbench.jobs.job import Job

    return Job(detector, "wild", dict(options), {}, Protocol(None), slice_by=WILD_SLICES,
               run=Execution(batch_size=budget.batch_size, device=budget.device, seed=0, progress=not quiet))


def family_matrix_part(work: Path, budget: Budget, photos: dict, family_data: dict, quiet: bool,
                       results: Path = RESULTS) -> None:
    """nixnet trained on each family's data (BSDS500 train photos) and tested on every family's test data:
    the cross-family generalization of a trained model; its results carry the study's name."""
    from inpaintbench.jobs.matrix import DataSet, run_matrix
    from inpaintbench.jobs.results import write_result
    from inpaintbench.sdk.autoencoders import FAMILIES
    from inpaintbench.training.trainer import TrainConfig

    train_data = build_family_data(work, budget, photos, quiet, part="families-train")
    names = {ae: f"{ae} ({FAMILIES[ae]})" for ae in FAMILY_AUTOENCODERS}
    train_sets = [DataSet("freeform", None, str(train_data[ae][1])) for ae in FAMILY_AUTOENCODERS]
    test_sets = [DataSet("freeform", None, str(family_data[ae][1])) for ae in FAMILY_AUTOENCODERS]
    config = TrainConfig(epochs=100_000, max_steps=budget.matrix_steps, max_minutes=budget.matrix_minutes,
                         batch_size=budget.batch_size, crop=budget.crop, patience=100_000, device=budget.device,
                         seed=0, progress=not quiet)
    say(f"family matrix: nixnet on {len(train_sets)} families, "
        f"{length_text(budget.matrix_steps, budget.matrix_minutes)} each")
    job = job_for("nixnet", {"residual": "srm"}, family_data["taef2"], budget, quiet)
    run = run_matrix(job, train_sets, test_sets, config, work / "family-matrix", cache_dir=work / "cache")
    folder = results / "family-matrix"
    # run_matrix evaluates every test set for one training set, then the next: the pairs in that order
    order = {ae: i for i, ae in enumerate(FAMILY_AUTOENCODERS, 1)}
    pairs = [(train, test) for train in FAMILY_AUTOENCODERS for test in FAMILY_AUTOENCODERS]
    for (train_ae, test_ae), result in zip(pairs, run.results):
        training = family_training(result, names[train_ae], names[test_ae])
        # named so that the files, read in name order, give the rows and columns in the study's order
        name = f"{order[train_ae]}-{train_ae}-trained--{order[test_ae]}-{test_ae}-data.json"
        write_result(dataclasses.replace(result, training=training), folder / name)
    family_models_on_wild(trained_per_family(run.results, names), budget, quiet, results)


def family_training(result, train_name: str, test_name: str | None = None) -> dict:
    """A family-matrix result's training record under the study's names (its test set too, when given)."""
    training = {**(result.training or {}), "train_set": f"{train_name} data"}
    if test_name:
        training["test_set"] = f"{test_name} data"
    else:
        training.pop("test_set", None)
    return {**training, "study": "families"}


def trained_per_family(matrix_results: list, names: dict[str, str]) -> dict[str, tuple[str, dict]]:
    """Per training family, its model's best checkpoint and training record, from the family matrix's results
    (one block of ``len(names)`` test results per training family, in ``names``' order)."""
    blocks = {ae: matrix_results[i * len(names)] for i, ae in enumerate(names)}
    return {ae: (result.training["best_checkpoint"], family_training(result, names[ae]))
            for ae, result in blocks.items()}


def family_models_on_wild(trained: dict[str, tuple[str, dict]], budget: Budget, quiet: bool,
                          results: Path = RESULTS) -> list[Path]:
    """Each family-trained nixnet on the wild set, sliced by generator and family: whether what a model
    learnt from one tiny autoencoder's data finds that family's real tools; a result already written is kept."""
    return on_wild([(f"nixnet-family-{ae}", "nixnet", {"residual": "srm"}, model) for ae, model in trained.items()],
                   budget, quiet, results)


# --- the README ------------------------------------------------------------------------------------

def draw_figures(results: list) -> list[Path]:
    from inpaintbench.jobs.results import slug
    from inpaintbench.reports._plots import heatmap, robustness_figures
    from inpaintbench.reports.attribution import attribution_matrices
    from inpaintbench.reports.generalization import is_matrix_result, matrix_cells
    from inpaintbench.reports.robustness import curves, group_results

    if FIGURES.exists():
        shutil.rmtree(FIGURES)
    figures = []
    groups = group_results([r for r in results if not is_matrix_result(r)])
    for metric in CURVE_METRICS:
        figures += robustness_figures(curves(groups, metric), FIGURES, prefix=f"robustness-{metric}")
    studies: dict[str, list] = {}
    for res in results:
        if is_matrix_result(res):
            studies.setdefault((res.training or {}).get("study", ""), []).append(res)
    for study, matrix in sorted(studies.items()):
        for metric in ("auc", "iou"):
            rows, cols, values = matrix_cells(matrix, metric)
            title = f"nixnet{f' ({study})' if study else ''}: {metric}, trained on (rows) × tested on (columns)"
            name = f"matrix-{study}-{metric}.png" if study else f"matrix-{metric}.png"
            figures.append(heatmap(values, rows, cols, FIGURES / name, title, "test set", "training set"))
    for matrix in attribution_matrices(results):
        title = f"{matrix.detector}: pixel AUC on {matrix.dataset} {matrix.split}, autoencoder (rows) × data (columns)"
        name = f"attribution-{slug(matrix.dataset)}-{slug(matrix.split)}.png"
        figures.append(heatmap(matrix.values(), matrix.rows, matrix.columns, FIGURES / name, title,
                               "data made with (family)", "aerecon autoencoder"))
    return figures


HOW_TO_READ = """\
How to read this. Every number is measured at the stored resolution of the images (protocol P1:
no resize anywhere; a resize is an attack that erases forensic traces, see `resolution.md`). The
kinds are: `fakefake`, a real photo whose masked region went through the TAEF2 latent autoencoder
(encode, decode, blend back through the mask); `realfake`, the offline stand-in for a diffusion
inpainting: the masked part of the latent is filled from its surroundings and decoded by TAEF2, so
its pixels carry the same decoder's traces; `original`, the untouched photos, which give the
false-positive table and the authentic side of the detection table. Trained models saw only the
BSDS500 training split (both kinds and the originals; 8 val photos chose the checkpoint), so
`bsds-freeform` is in distribution. `bsds-object` puts object masks on the same BSDS500 test photos
(other mask shapes); Kodak24 are other photos; CBSD68 are photos of BSDS500's val split (same source,
none of them used for training or validation here). All are made by the same autoencoder; no row here
measures a different generator (the generalization matrix and `baselines/AERECON.md` do). The budget
column states the training each model had: CPU runs are short, so read a trained model's row as what
that budget buys, not as the architecture's ceiling. The `all-positive` row is a floor, not a method:
every pixel marked, so its IoU is the mask fraction and its F1 2p/(1+p) at threshold 0.5; an IoU or F1
that does not beat it means nothing, whatever the ranking.

Two sections leave our TAEF2 data. "Real generators" measures every detector on `wild`, real outputs of
public inpainting models (SD1.5, SDXL and FLUX.1 latent diffusion; GAN and pixel-space inpainters) from
their repositories' example files, per generator and per autoencoder family; cells of fewer than 5 images
are in italics and never bolded. Read it with the set's own caveats (`../shared/data/wild/README.md`): most
SD and FLUX outputs were not pasted back, so every pixel went through the generator's VAE while the mask
marks only the edit (a detector of the VAE trace is counted wrong outside the mask); several originals are
themselves generated images, so part of the "false positives" on them may not be false; and images
repeat inputs (CoModGAN's 20 are 4 photos with 5 masks each, 7 BrushEdit edits share one poster), so a
cell's n overstates its independent evidence. "Autoencoder attribution" runs `aerecon` with each tiny autoencoder of the
TAESD family on data made with each (the same photos, crops and masks for every family) and on the wild set:
whether the matching autoencoder lights up, and how far a mismatched one falls. The cross-family
generalization matrix of `nixnet` (trained on one family's data, tested on each) is under the
generalization matrix, marked `families`; its five models are also on the wild set, as
`nixnet residual=srm · <family> data`."""


def render_readme(record: dict) -> str:
    from inpaintbench.jobs.results import read_result
    from inpaintbench.reports.generalization import is_matrix_result
    from inpaintbench.reports.leaderboard import render_all, robustness_section

    results = []
    for path in sorted(RESULTS.rglob("*.json")):
        if path.name != "reference.json":
            result = read_result(path)
            stressed = path.parent.name.startswith("stress-")
            results.append(dataclasses.replace(result, dataset="kodak-stress") if stressed else result)
    figures = draw_figures(results)
    env = record["environment"]
    machine = env.get("gpu") or f"{env.get('cpus')} CPU cores ({env.get('cpu_threads')} torch threads)"
    seconds = ", ".join(f"{k} {v / 60:.1f}" for k, v in record["seconds"].items())
    intro = [
        "# Leaderboards", "",
        "Reference results, regenerated by one command from the photos in `../shared` and the packaged "
        "TAEF2 autoencoder; do not edit by hand.", "",
        f"- Command: `{record['command']}`",
        f"- Budget `{record['budget']['name']}`: {record['budget_text']}",
        f"- Machine: {machine}, {env.get('platform')}, torch {env.get('torch')}.",
        f"- Wall time: {record['total_seconds'] / 60:.1f} min in all (minutes per step: {seconds}).",
        *[f"- Note: {note}" for note in record.get("notes", [])],
        "- Stressed (best two by pixel AUC on bsds-freeform test/fakefake): "
        f"{', '.join(record['stressed']) or 'not yet'}.",
        *([] if record.get("complete", True) else
          [f"- Partial run: stages done {', '.join(record['stages_done'])}; still to run: "
           f"{', '.join(s for s in STAGES if s not in record['stages_done'])} (rerun the command: it resumes)."]),
        "", HOW_TO_READ, "",
        "Figures: robustness curves (metric against attack strength, one line per model and split) and "
        "the generalization matrix, drawn from the JSONs under `results/`.", ""]
    intro += [f"![{p.stem}](figures/{p.name})" for p in figures]
    board = render_all(results, title="Tables").replace("# Tables", "## Tables", 1)
    auc = robustness_section([r for r in results if not is_matrix_result(r)], "auc")
    return "\n".join(intro) + "\n\n" + board + "\n" + "\n".join(auc).rstrip() + "\n"


def length_text(steps: int | None, minutes: float | None) -> str:
    """``15 min``, ``80 steps`` or ``80 steps or 15 min, whichever ends first``."""
    parts = ([f"{steps} steps"] if steps is not None else []) + ([f"{minutes:g} min"] if minutes is not None else [])
    if not parts:
        return "no limit"
    return " or ".join(parts) + (", whichever ends first" if len(parts) == 2 else "")


def budget_text(budget: Budget) -> str:
    p = budget.photos
    if budget.steps and budget.minutes is None:
        training = "training steps " + ", ".join(f"{k} {v}" for k, v in budget.steps.items())
    elif budget.steps:
        training = (f"training {budget.minutes:g} min of wall-clock time per model or its steps ("
                    + ", ".join(f"{k} {v}" for k, v in budget.steps.items()) + "), whichever ends first")
    else:
        training = (f"training {budget.minutes:g} min of wall-clock time per model, the same for every model "
                    "(steps, validation and checkpoints; the steps reached are in the budget column)")
    return (f"stored size {budget.stored_size} px; BSDS500 photos train {p['train']} / val {p['val']} / test "
            f"{p['test']}, object-mask test {p['object']}, Kodak24 {p['kodak24']}, CBSD68 {p['cbsd68']}; "
            f"{training} (batch {budget.batch_size}, random {budget.crop} px crops, seed 0); "
            f"matrix {length_text(budget.matrix_steps, budget.matrix_minutes)} per set; "
            f"stress set {budget.stress_photos} Kodak photos; "
            + ("autoencoder-trace models on every test set (the trace computed once per image and cached)."
               if budget.trace_everywhere else
               "autoencoder-trace models on bsds-freeform only (the trace of each test image costs two round trips)."))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--budget", choices=sorted(BUDGETS), default="cpu")
    p.add_argument("--minutes", type=float,
                   help="wall-clock minutes of training per model instead of the budget's (cpu: 8); recorded")
    p.add_argument("--work", default=str(ROOT / "runs" / "reference"),
                   help="photo links, data, models and caches (not committed)")
    p.add_argument("--render-only", action="store_true", help="only rebuild the README from the committed results")
    p.add_argument("--fresh", action="store_true", help="discard earlier results of this budget first")
    p.add_argument("--note", action="append", default=[],
                   help="a sentence recorded with the run and shown in the README (e.g. how the machine was shared)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    args = p.parse_args()
    from inpaintbench.io._atomic import atomic_write_bytes

    record_path = RESULTS / "reference.json"
    if not args.render_only:
        import torch

        from inpaintbench.jobs.results import environment

        budget = BUDGETS[args.budget]
        if args.minutes is not None:
            budget = dataclasses.replace(budget, minutes=args.minutes)
        work = Path(args.work) / budget.name
        os.chdir(ROOT)  # results record paths relative to the repository
        previous = json.loads(record_path.read_text()) if record_path.exists() else {}
        if (args.fresh or previous.get("budget", {}).get("name") != budget.name) and RESULTS.exists():
            shutil.rmtree(RESULTS)  # results of another budget never mix with these
        RESULTS.mkdir(parents=True, exist_ok=True)
        # a resumed run adds its time to the earlier invocations' (the record is written after every stage)
        same = previous.get("budget", {}).get("name") == budget.name and not args.fresh
        seconds = dict(previous.get("seconds", {})) if same else {}
        earlier = sum(seconds.values())
        t_all = time.perf_counter()
        env = environment(budget.device)
        env["cpus"] = os.cpu_count()
        env.pop("platform", None)
        env["platform"] = platform.system() + " " + platform.machine()
        record = {"command": " ".join(["python", "scripts/reference.py", *sys.argv[1:]]),
                  "budget": dataclasses.asdict(budget), "budget_text": budget_text(budget), "seconds": seconds,
                  "stressed": previous.get("stressed", []) if same else [], "environment": env,
                  "torch_threads": torch.get_num_threads(), "notes": args.note, "stages_done": []}

        def timed(step: str, fn, *a):
            t0 = time.perf_counter()
            out = fn(*a)
            seconds[step] = round(seconds.get(step, 0.0) + time.perf_counter() - t0, 1)
            record["stages_done"].append(step)
            record["total_seconds"] = round(earlier + time.perf_counter() - t_all, 1)
            record["complete"] = len(record["stages_done"]) == len(STAGES)
            atomic_write_bytes(record_path, (json.dumps(record, indent=2) + "\n").encode("utf-8"))
            atomic_write_bytes(BOARD / "README.md", render_readme(record).encode("utf-8"))  # partial boards too
            return out

        # the most telling stages first: every detector on the in-distribution set and on real inpaintings
        photos = timed("photos", link_photos, work, budget)
        data = timed("data", build_data, work, budget, photos, args.quiet)
        trained = timed("training", train_models, work, budget, data, args.quiet)
        paths = timed("evaluation", evaluate_all, budget, data, trained, args.quiet, [TRAIN_SET])
        timed("wild", wild_part, budget, trained, args.quiet)
        family = timed("family data", build_family_data, work, budget, photos, args.quiet)
        timed("attribution", attribution_part, budget, family, args.quiet)
        paths += timed("other sets", evaluate_all, budget, data, trained, args.quiet,
                       [s for s in TEST_SETS if s != TRAIN_SET])
        timed("family matrix", family_matrix_part, work, budget, photos, family, args.quiet)
        timed("matrix", run_matrix_part, work, budget, data, photos, args.quiet)
        record["stressed"] = best_two(paths)
        timed("stress", stress_part, budget, data, trained, record["stressed"], args.quiet)
    if not record_path.exists():
        raise SystemExit(f"{record_path} is missing: run without --render-only first")
    atomic_write_bytes(BOARD / "README.md", render_readme(json.loads(record_path.read_text())).encode("utf-8"))
    say(f"wrote {BOARD / 'README.md'}")


if __name__ == "__main__":
    main()
