"""Dataset factories registered under ``inpaintbench.datasets``: each returns a ``LayoutDataset``."""

from __future__ import annotations

import os
from pathlib import Path

from .imageio import DataError
from .layout import LayoutDataset

DATA_ENV = "INPAINTBENCH_DATA"


def resolve_root(data_root: str | None, dataset: str) -> str:
    """``data_root``, else ``$INPAINTBENCH_DATA``, else a clear error saying how to give one."""
    root = data_root or os.environ.get(DATA_ENV)
    if not root:
        raise DataError(f"<{dataset}>", f"no data folder given: pass --data-root DIR or set {DATA_ENV}")
    return root


def provided(data_root: str | None = None, on_bad: str = "error") -> LayoutDataset:
    """The provided square-mask set: <id>.realfake/fakefake/mask.webp triplets in a folder."""
    return LayoutDataset(resolve_root(data_root, "provided"), name="provided", on_bad=on_bad)


# --- generated datasets: read a folder, or build the embedded default on first use ------------

def generated(dataset: str, data_root: str | None = None, on_bad: str = "error", *,
              generator: str | None = None, model: str | None = None, vae: str | None = None,
              vae_weights: str | None = None, image_size: int = 256, seed: int = 0,
              min_coverage: float | None = None, max_coverage: float | None = None) -> LayoutDataset:
    """A generated dataset: ``data_root`` if given, else the embedded default (scikit-image photos,
    the strongest offline generator), built once in ``$INPAINTBENCH_CACHE/<dataset>-<hash>/``."""
    from .generate import GenerateConfig, cache_root, choose_generator, config_hash, fingerprint, generate

    if data_root:
        try:
            return LayoutDataset(data_root, name=dataset, on_bad=on_bad)
        except DataError as err:
            raise DataError(err.path, f"{err.problem}. Generate one with `python -m inpaintbench generate "
                                      f"{dataset} --out {data_root} [--source PHOTOS]`, or omit the data "
                                      "folder to use the embedded default") from err
    mask_options = {k: v for k, v in (("min_coverage", min_coverage), ("max_coverage", max_coverage))
                    if v is not None}
    config = GenerateConfig(dataset, out="", generator=generator, model=model, vae=vae, vae_weights=vae_weights,
                            image_size=image_size, seed=seed, mask_options=mask_options)
    name, options, _ = choose_generator(config)
    config.out = str(cache_root() / f"{dataset}-{config_hash(fingerprint(config, name, options))}")
    if not (Path(config.out) / "manifest.csv").is_file():
        print(f"dataset {dataset!r}: building the embedded default in {config.out} (first use)", flush=True)
    generate(config)
    return LayoutDataset(config.out, name=dataset, on_bad=on_bad)


def freeform(data_root: str | None = None, on_bad: str = "error", generator: str | None = None,
             model: str | None = None, vae: str | None = None, vae_weights: str | None = None,
             image_size: int = 256, seed: int = 0, min_coverage: float | None = None,
             max_coverage: float | None = None) -> LayoutDataset:
    """Free-form brush masks (DeepFill v2 strokes): a generated folder or the embedded default."""
    return generated("freeform", data_root, on_bad, generator=generator, model=model, vae=vae,
                     vae_weights=vae_weights, image_size=image_size, seed=seed,
                     min_coverage=min_coverage, max_coverage=max_coverage)


def object_masks(data_root: str | None = None, on_bad: str = "error", generator: str | None = None,
                 model: str | None = None, vae: str | None = None, vae_weights: str | None = None,
                 image_size: int = 256, seed: int = 0, min_coverage: float | None = None,
                 max_coverage: float | None = None) -> LayoutDataset:
    """Object-shaped masks from segmentations: a generated folder or the embedded default."""
    return generated("object", data_root, on_bad, generator=generator, model=model, vae=vae,
                     vae_weights=vae_weights, image_size=image_size, seed=seed,
                     min_coverage=min_coverage, max_coverage=max_coverage)


def rect(data_root: str | None = None, on_bad: str = "error", generator: str | None = None,
         model: str | None = None, vae: str | None = None, vae_weights: str | None = None,
         image_size: int = 256, seed: int = 0, min_coverage: float | None = None,
         max_coverage: float | None = None) -> LayoutDataset:
    """Blurred rectangles (the provided recipe) on new photos: a generated folder or the embedded default."""
    return generated("rect", data_root, on_bad, generator=generator, model=model, vae=vae,
                     vae_weights=vae_weights, image_size=image_size, seed=seed,
                     min_coverage=min_coverage, max_coverage=max_coverage)
