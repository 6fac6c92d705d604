"""The ``generate`` job: source photos -> crops -> masks -> an inpainting generator -> a dataset in
the provided layout, with ``manifest.csv``. Sharded, resumable and atomic.

Layout written under ``out``: ``{train,val,test}/<id>.<kind>.webp`` and ``<id>.mask.webp``
(lossless), ``generation.json`` (the settings; a resume with other settings is refused),
``manifest.d/<id>.json`` (one record per finished id, written after its images) and
``manifest.csv`` (rebuilt from all records at the end of every run, so concurrent shards each
leave a complete, consistent manifest; under torchrun rank 0 alone rebuilds it, once, after a
barrier that waits for every rank's shard). An interrupted run leaves at most image files of ids
without a record; the next run rewrites exactly those ids (same names, same pixels).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from inpaintbench.data._seeds import sample_seed
from inpaintbench.data.generation.catalog import generated_dataset
from inpaintbench.data.generation.generators import GeneratorSet, Item, autoencoder_option
from inpaintbench.data.generation.masks import MaskUnavailable, coverage
from inpaintbench.data.generation.sources import Photo, embedded_photos, fit_short_side, folder_photos
from inpaintbench.data.imageio import DataError, write_webp
from inpaintbench.io import distributed
from inpaintbench.io._atomic import atomic_write_bytes, remove_stale_temps
from inpaintbench.sdk import env, registry
from inpaintbench.sdk.crops import crop_position, crop_window
from inpaintbench.sdk.errors import ConfigError
from inpaintbench.sdk.samples import SPLITS

MANIFEST_COLUMNS = ("id", "split", "kinds", "generator", "kind_generators", "model", "recipe", "mask_type",
                    "mask_fraction", "seed", "prompt", "source", "crop", "image_size", "autoencoder",
                    "autoencoder_weights", "autoencoder_sha256")
#: Bump when the recipe changes so cached embedded datasets are rebuilt.
RECIPE_VERSION = 2
CROP_ATTEMPTS = 5


@dataclass
class GenerateConfig:
    """Everything that defines a generated dataset (``out`` and ``shard`` only say where and which part)."""

    dataset: str
    out: str
    source: str | None = None
    generator: str | None = None
    model: str | None = None
    #: The autoencoder of ``vae`` and ``latent-fill``: a named one (``taef2``, ``taesd``, ...), a TAESD-family
    #: weights folder, or a diffusers model folder or hub id.
    autoencoder: str | None = None
    limit: int | None = None
    image_size: int = 256
    seed: int = 0
    shard: tuple[int, int] = (0, 1)
    #: Where the crop sits in the photo: ``random`` (seeded per photo), ``center`` (also ``centre``), ``top_left``.
    crop: str = "random"
    crops_per_image: int | None = None
    #: Which split each id goes to: ``hash`` (the source's own split, else the hash of the id) or one
    #: split for every id (``test``: a set to evaluate on).
    split: str = "hash"
    mask_options: dict[str, Any] = field(default_factory=dict)
    generator_options: dict[str, Any] = field(default_factory=dict)
    captions: str | None = None
    prompt: str | None = None
    coco: str | None = None
    device: str | None = None
    progress: bool = True
    #: Deprecated aliases of ``autoencoder`` (one release), folded into it with a warning.
    vae: str | None = None
    vae_weights: str | None = None

    def __post_init__(self) -> None:
        self.crop = crop_position(self.crop)
        if self.split not in ("hash", *SPLITS):
            raise ConfigError(f"split {self.split!r}: choose hash or one of {', '.join(SPLITS)}")
        self.autoencoder = autoencoder_option(self.autoencoder, self.vae_weights, self.vae)
        self.vae = self.vae_weights = None


@dataclass
class GenerateReport:
    out: str
    generator: str
    reason: str
    planned: int
    already_done: int
    generated: int
    skipped: list[str]
    seconds: float


@dataclass(frozen=True)
class PlanEntry:
    id: str
    split: str
    photo: Photo
    crop_index: int


# --- choices ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class GeneratorChoice:
    """The generators that make a dataset (each writes its own kinds of every id; all write
    ``original``), the options of each and why they were chosen."""

    names: tuple[str, ...]
    options: dict[str, dict[str, Any]]
    reason: str

    @property
    def label(self) -> str:
        return "+".join(self.names)


def choose_generators(config: GenerateConfig) -> GeneratorChoice:
    """The requested generators (``--generator a,b``), else the strongest offline pair: ``sd`` for
    ``realfake`` if an inpainting model is configured, else ``latent-fill`` (a classical fill decoded
    by the latent autoencoder), with ``vae`` for ``fakefake``. The autoencoder is the configured
    one (``--autoencoder``, else ``$INPAINTBENCH_VAE_WEIGHTS`` or ``$INPAINTBENCH_VAE``), else the packaged TAEF2."""
    from inpaintbench.sdk.autoencoders import DEFAULT_AUTOENCODER

    configured = config.autoencoder or env.VAE_WEIGHTS.get() or env.VAE.get()
    autoencoder = {"autoencoder": configured or DEFAULT_AUTOENCODER}
    ae_text = f"the autoencoder {configured}" if configured else f"the packaged {DEFAULT_AUTOENCODER}"
    model = config.model or env.SD_MODEL.get()
    if config.generator:
        names, reason = tuple(n.strip() for n in config.generator.split(",") if n.strip()), "requested"
    elif model:
        names = ("sd", "vae")
        reason = (f"inpainting model configured ({'--model' if config.model else env.SD_MODEL}); "
                  f"fakefake by {ae_text}")
    else:
        names = ("latent-fill", "vae")
        reason = (f"no inpainting model configured ({env.SD_MODEL}): realfake is a classical fill decoded "
                  f"by {ae_text}, fakefake its round trip")
    offered = {"model": model, "prompt": config.prompt, "device": config.device, **autoencoder}
    return GeneratorChoice(names, _options(names, {k: v for k, v in offered.items() if v}, config.generator_options),
                           reason)


def _options(names: tuple[str, ...], offered: dict[str, Any], given: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each chosen generator's options: the job's settings (model, prompt, device, autoencoder) that
    it takes, then every ``--gen-opt`` that it takes. A ``--gen-opt`` that no chosen generator takes
    is refused, and so are two generators that write the same kind."""
    import inspect

    if not names:
        raise ConfigError("--generator: no generator named")
    classes = {name: registry.load("generators", name) for name in names}
    written: dict[str, str] = {}
    for name, cls in classes.items():
        for kind in cls.kinds:
            if kind != "original" and kind in written:
                raise ConfigError(f"generators {written[kind]!r} and {name!r} both write {kind!r}; choose one")
            written[kind] = name
    takes = {name: set(inspect.signature(cls).parameters) for name, cls in classes.items()}
    options = {name: {k: v for k, v in offered.items() if k in takes[name]} for name in names}
    for key, value in given.items():
        takers = [name for name in names if key in takes[name]]
        if not takers:
            raise registry.RegistryError(f"no chosen generator ({', '.join(names)}) takes option {key!r}")
        for name in takers:
            options[name][key] = value
    return options


def mask_choice(config: GenerateConfig) -> tuple[str, dict[str, Any]]:
    """The dataset's mask generator and its options (the catalogue's defaults, then the config's)."""
    dataset = generated_dataset(config.dataset)
    return dataset.masks, {**dataset.mask_options, **config.mask_options}


def parse_shard(text: str | None) -> tuple[int, int]:
    """``"i/n"`` -> ``(i, n)`` with ``0 <= i < n``; ``None``: ``RANK/WORLD_SIZE`` under torchrun, else 0/1."""
    if text is None:
        return distributed.rank(), distributed.world_size()
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ConfigError(f"--shard {text!r}: expected i/n, e.g. 0/4") from None
    if not 0 <= i < n:
        raise ConfigError(f"--shard {text!r}: need 0 <= i < n")
    return i, n


# --- the plan --------------------------------------------------------------------------------

def make_plan(config: GenerateConfig) -> list[PlanEntry]:
    """Every id of the dataset, in a fixed order (before sharding), with its split."""
    if config.source:
        photos = folder_photos(config.source, config.coco)
    else:
        photos = embedded_photos(config.image_size)
    if config.crops_per_image is not None or config.source:
        photos = [replace(p, crops=config.crops_per_image or 1) for p in photos]
    plan = []
    for photo in photos:
        for k in range(photo.crops):
            sample_id = photo.key if photo.crops == 1 else f"{photo.key}-{k:02d}"
            split = photo.split_of(sample_id) if config.split == "hash" else config.split
            plan.append(PlanEntry(sample_id, split, photo, k))
    return plan[: config.limit] if config.limit is not None else plan


def fingerprint(config: GenerateConfig, choice: GeneratorChoice) -> dict[str, Any]:
    """The settings that decide the pixels; two runs into one folder must agree on them."""
    mask, mask_options = mask_choice(config)
    split = {} if config.split == "hash" else {"split": config.split}  # folders made before the option still fit
    return {**split, "recipe": RECIPE_VERSION, "dataset": config.dataset, "mask": mask, "mask_options": mask_options,
            "generator": choice.label,
            "generator_options": {name: {k: v for k, v in opts.items() if k not in ("device", "batch_size")}
                                  for name, opts in choice.options.items()},
            "source": str(Path(config.source).resolve()) if config.source else
            "embedded:" + ",".join(f"{p.source}x{p.crops}" for p in embedded_photos(config.image_size)),
            "image_size": config.image_size, "seed": config.seed, "crop": config.crop,
            "crops_per_image": config.crops_per_image or (1 if config.source else None), "captions": config.captions,
            "coco": config.coco}


def config_hash(settings: dict[str, Any]) -> str:
    return hashlib.sha1(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:10]


def upgraded_settings(old: dict[str, Any]) -> dict[str, Any]:
    """Settings recorded before ``autoencoder`` replaced ``vae_weights``/``vae`` as a generator option, in
    today's words, so that such a folder still resumes."""
    options = old.get("generator_options")
    if not isinstance(options, dict):
        return old
    renamed = {}
    for name, opts in options.items():
        opts = dict(opts)
        legacy = [opts.pop(k) for k in ("vae_weights", "vae") if opts.get(k)]
        if legacy and "autoencoder" not in opts:
            opts["autoencoder"] = legacy[0]
        renamed[name] = opts
    return {**old, "generator_options": renamed}


def _check_settings(out: Path, settings: dict[str, Any], write: bool = True) -> None:
    """Refuse a folder generated with other settings; with ``write``, record them when it has none."""
    path = out / "generation.json"
    settings = json.loads(json.dumps(settings, default=str))
    if path.is_file():
        old = upgraded_settings(json.loads(path.read_text()))
        differ = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
        if differ:
            raise DataError(out, f"was generated with other settings ({', '.join(differ)} differ: "
                                 f"{ {k: old.get(k) for k in differ} }); use a new --output-dir folder")
        return
    if write:
        atomic_write_bytes(path, json.dumps(settings, indent=2, sort_keys=True, default=str).encode())


# --- records and manifest --------------------------------------------------------------------

def _record_path(out: Path, sample_id: str) -> Path:
    return out / "manifest.d" / f"{sample_id}.json"


def _is_done(out: Path, entry: PlanEntry) -> bool:
    path = _record_path(out, entry.id)
    if not path.is_file():
        return False
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError:
        return False
    if record.get("status") == "skipped":
        return True
    folder = out / record["split"]
    names = [f"{entry.id}.mask.webp"] + [f"{entry.id}.{k}.webp" for k in record["kinds"].split(";")]
    return all((folder / n).is_file() for n in names)


def read_records(out: str | os.PathLike) -> list[dict[str, Any]]:
    folder = Path(out) / "manifest.d"
    records = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    return [r for r in records if r.get("status") == "ok"]


def write_manifest(out: str | os.PathLike) -> Path:
    """Rebuild ``manifest.csv`` from every finished id's record, atomically."""
    rows = sorted(read_records(out), key=lambda r: (SPLITS.index(r["split"]), r["id"]))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = Path(out) / "manifest.csv"
    atomic_write_bytes(path, buf.getvalue().encode("utf-8"))
    return path


# --- per-sample preparation ------------------------------------------------------------------

def load_captions(path: str | None) -> dict[str, str]:
    """Captions by photo key, file name or stem: a JSON object, or lines ``name<TAB>caption``
    (``name,caption`` in a ``.csv``)."""
    if not path:
        return {}
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith(".json"):
        data = json.loads(text)
        if not isinstance(data, dict):
            raise DataError(path, "captions JSON must be an object {name: caption}")
        return {str(k): str(v) for k, v in data.items()}
    sep = "," if path.endswith(".csv") else "\t"
    captions = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            name, found, caption = line.partition(sep)
            if not found:
                raise DataError(path, f"line {number}: expected name{sep!r}caption")
            captions[name.strip()] = caption.strip()
    return captions


class Preparer:
    """Crops and masks for plan entries; keeps the last photo (and its labels) decoded."""

    def __init__(self, config: GenerateConfig, mask_gen: Any, mask_name: str) -> None:
        self.config = config
        self.mask_gen = mask_gen
        self.mask_name = mask_name
        self.captions = load_captions(config.captions)
        self._photo: tuple[str, np.ndarray, list[np.ndarray] | None] | None = None

    def _load(self, photo: Photo) -> tuple[np.ndarray, list[np.ndarray] | None]:
        if self._photo is None or self._photo[0] != photo.source:
            image = photo.load()
            labels = photo.labels() if self.mask_name == "object" else None
            if labels is not None and any(m.shape != image.shape[:2] for m in labels):
                raise DataError(photo.source, "its label maps and the photo differ in size")
            image, labels = fit_short_side(image, labels, self.config.image_size, photo.max_short_side)
            if self.mask_name == "object" and labels is None:
                labels = self.mask_gen.labels_for(image)  # segmenter on the whole (fitted) photo
            self._photo = (photo.source, image, labels)
        return self._photo[1], self._photo[2]

    def prompt(self, photo: Photo) -> str:
        for key in (photo.key, Path(photo.source).name, Path(photo.source).stem):
            if key in self.captions:
                return self.captions[key]
        return ""

    def __call__(self, entry: PlanEntry) -> tuple[Item, dict[str, Any]] | None:
        """The item to generate and its record fields, or ``None`` when no mask fits any crop."""
        image, labels = self._load(entry.photo)
        size = self.config.image_size
        for attempt in range(CROP_ATTEMPTS):
            rng = np.random.default_rng(sample_seed(self.config.seed, entry.id, f"crop{attempt}"))
            top, left = crop_window(image.shape[0], image.shape[1], size, size, self.config.crop, rng)
            crop = image[top:top + size, left:left + size]
            crop_labels = [m[top:top + size, left:left + size] for m in labels] if labels is not None else None
            try:
                mask = self.mask_gen(size, size, rng, labels=crop_labels) if crop_labels is not None \
                    else self.mask_gen(size, size, rng)
            except MaskUnavailable:
                if self.config.crop != "random":
                    break
                continue
            seed = sample_seed(self.config.seed, entry.id, "generate")
            item = Item(entry.id, np.ascontiguousarray(crop), mask, seed, self.prompt(entry.photo))
            return item, {"crop": f"{top},{left},{size}", "mask_fraction": round(coverage(mask), 6), "seed": seed}
        return None


def _batches(entries: list[PlanEntry], size: int) -> Iterator[list[PlanEntry]]:
    for i in range(0, len(entries), max(1, size)):
        yield entries[i:i + size]


# --- the job ---------------------------------------------------------------------------------

def generate(config: GenerateConfig) -> GenerateReport:
    """Generate (this shard of) a dataset into ``config.out``, skipping ids already finished."""
    from tqdm import tqdm

    start = time.perf_counter()
    out = Path(config.out)
    if config.image_size < 16:
        raise ConfigError(f"--image-size {config.image_size}: must be at least 16")
    choice = choose_generators(config)
    mask_name, mask_options = mask_choice(config)
    plan = make_plan(config)
    index, count = config.shard
    mine = plan[index::count]
    settings = fingerprint(config, choice)
    _check_settings(out, settings, write=False)
    for folder in (out, out / "manifest.d", *(out / split for split in SPLITS)):
        remove_stale_temps(folder)  # left by a run killed mid-write
    pending = [e for e in mine if not _is_done(out, e)]
    skipped: list[str] = []
    if pending:
        # build (and so validate) everything before the first file: a typo must not claim the folder
        parts = [registry.create("generators", name, **choice.options[name]) for name in choice.names]
        generator = parts[0] if len(parts) == 1 else GeneratorSet(parts)
        sd = next((g for g in parts if g.name == "sd"), None)
        recipe = " | ".join(f"{kind}: {text}" for kind, text in generator.recipes().items())
        mask_gen = registry.create("masks", mask_name, **mask_options)
        prepare = Preparer(config, mask_gen, mask_name)
        print(f"generate {config.dataset}: generator {choice.label!r} ({choice.reason}); masks {mask_name!r}; "
              f"{len(pending)} of {len(mine)} id(s) to do", flush=True)
        out.mkdir(parents=True, exist_ok=True)
        claimed = False
        bar = tqdm(total=len(pending), desc=f"generate {config.dataset} [{index}/{count}]", unit="img",
                   disable=not config.progress)
        for batch in _batches(pending, generator.batch_size):
            prepared = [(entry, prepare(entry)) for entry in batch]
            ready = [(entry, p) for entry, p in prepared if p is not None]
            outputs = generator.run([p[0] for _, p in ready]) if ready else []
            if not claimed:  # the settings file is written with the first id, and checked again for a shard
                _check_settings(out, settings)
                claimed = True
            for entry, p in prepared:
                if p is None:
                    skipped.append(entry.id)
                    _write_record(out, {"id": entry.id, "split": entry.split, "status": "skipped",
                                        "reason": f"no {mask_name} mask within the coverage bounds in "
                                                  f"{CROP_ATTEMPTS} crops", "source": entry.photo.source})
            for (entry, (item, fields)), images in zip(ready, outputs):
                folder = out / entry.split
                write_webp(folder / f"{entry.id}.mask.webp", item.mask)
                for kind in generator.kinds:
                    write_webp(folder / f"{entry.id}.{kind}.webp", images[kind])
                _write_record(out, {
                    "id": entry.id, "split": entry.split, "status": "ok", "kinds": ";".join(generator.kinds),
                    "generator": choice.label, "kind_generators": kind_generators(parts),
                    "model": generator.model_id, "recipe": recipe,
                    "mask_type": mask_name, "prompt": (item.prompt or sd.prompt) if sd is not None else "",
                    "source": entry.photo.source, "image_size": config.image_size, **fields,
                    **generator.manifest_columns(),
                    "generator_info": generator.describe(), "mask_generator": mask_gen.describe()})
            bar.update(len(batch))
        bar.close()
    distributed.barrier()  # under torchrun: every rank's records are written before rank 0 merges them
    if distributed.is_main():
        write_manifest(out)
    report = GenerateReport(str(out), choice.label, choice.reason, len(mine), len(mine) - len(pending),
                            len(pending) - len(skipped), skipped, round(time.perf_counter() - start, 2))
    if skipped:
        print(f"generate {config.dataset}: skipped {len(skipped)} photo crop(s) with no suitable mask: "
              f"{', '.join(skipped[:10])}{' ...' if len(skipped) > 10 else ''}", flush=True)
    return report


def kind_generators(parts: list[Any]) -> str:
    """Which generator wrote each manipulated kind, ``realfake:classical;fakefake:vae``: the manifest's
    per-kind answer to "made by", as the layout reads it for each record's ``generator``."""
    return ";".join(f"{kind}:{g.name}" for g in parts for kind in g.kinds if kind != "original")


def _write_record(out: Path, record: dict[str, Any]) -> None:
    atomic_write_bytes(_record_path(out, record["id"]), json.dumps(record, sort_keys=True, default=str).encode())
