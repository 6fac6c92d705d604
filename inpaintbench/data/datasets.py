"""Dataset factories registered under ``inpaintbench.datasets``: a ``LayoutDataset`` for the provided and
generated sets, a ``PairsDataset`` for image/mask files a user already has."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from inpaintbench.data.generation.catalog import GENERATED_DATASETS, GeneratedDataset
from inpaintbench.data.imageio import DataError
from inpaintbench.data.layout import LayoutDataset
from inpaintbench.data.pairs import PairsDataset
from inpaintbench.sdk import env


def resolve_root(data_root: str | None, dataset: str) -> str:
    """``data_root``, else ``$INPAINTBENCH_DATA``, else a clear error saying how to give one."""
    root = data_root or env.DATA.get()
    if not root:
        raise DataError(f"<{dataset}>", f"no data folder given: pass --data-root DIR or set {env.DATA}")
    return root


def provided(data_root: str | None = None, on_bad: str = "error") -> LayoutDataset:
    """The provided square-mask set: <id>.realfake/fakefake/mask.webp triplets in a folder."""
    return LayoutDataset(resolve_root(data_root, "provided"), name="provided", on_bad=on_bad)


def pairs(data_root: str | None = None, on_bad: str = "error", layout: str | None = None,
          manifest: str | None = None, images: str | None = None, masks: str | None = None,
          authentic: str | None = None, mask_suffix: str | None = None, split: str = "auto",
          mask: str | None = None, mask_channel: str | None = None,
          mask_threshold: int | None = None) -> PairsDataset:
    """Image/mask files you already have: a manifest, image and mask folders, or a public layout.

    ``data_root``: a manifest (CSV ``image,mask[,split][,kind]``, JSON lines, IMDL-BenCo's JSON list)
    or a folder holding one, or a folder of ``images/`` beside ``masks/`` (matched by name plus
    ``mask_suffix``, e.g. ``_gt``; ``authentic/`` for unmasked images). ``layout`` reads a public
    benchmark's own layout (``casia1``, ``columbia``, ...). ``split``: ``auto`` (every row in test when no
    row lists a split, else as ``hash``), ``hash`` (listed splits kept, the rest hashed by id) or one split
    for every row. ``mask`` (white, invert, nonzero), ``mask_channel``
    and ``mask_threshold`` override the layout's (default: white, brightest channel, soft); the result
    records the convention used.
    """
    from inpaintbench.data.conventions import MaskConvention
    from inpaintbench.data.pairs import discover
    from inpaintbench.data.public_layouts import public_layout

    root = Path(resolve_root(data_root, "pairs"))
    preset = public_layout(layout) if layout else None
    convention = (preset.convention if preset else MaskConvention()).overridden(mask, mask_channel, mask_threshold)
    if preset is not None:
        listed, base, source = preset.pairs(root), root, f"layout {layout} in {root}"
    else:
        listed, base, source = discover(root, manifest, images, masks, authentic, mask_suffix)
    return PairsDataset(listed, base, on_bad=on_bad, convention=convention, split_mode=split, source=source,
                        layout=layout or "")


# --- generated datasets: read a folder, or build the embedded default on first use ------------

def generated_factory(entry: GeneratedDataset) -> Callable[..., LayoutDataset]:
    """The factory of a generated dataset: ``data_root`` if given, else the embedded default
    (bundled photos, the strongest offline generators), built once in
    ``$INPAINTBENCH_CACHE/<dataset>-<hash of the generation settings>/`` and reused after.
    ``crops_per_photo`` replaces each bundled photo's own crop count (a smaller or larger default);
    ``autoencoder`` is the one of ``vae`` and ``latent-fill`` (``vae``, ``vae_weights``: deprecated aliases)."""
    dataset = entry.name

    def factory(data_root: str | None = None, on_bad: str = "error", generator: str | None = None,
                model: str | None = None, autoencoder: str | None = None, image_size: int = 256, seed: int = 0,
                min_coverage: float | None = None, max_coverage: float | None = None,
                crops_per_photo: int | None = None, vae: str | None = None,
                vae_weights: str | None = None) -> LayoutDataset:
        from inpaintbench.data.generation.generate import (
            GenerateConfig,
            choose_generators,
            config_hash,
            fingerprint,
            generate,
        )
        from inpaintbench.io._paths import cache_root

        if data_root:
            try:
                return LayoutDataset(data_root, name=dataset, on_bad=on_bad)
            except DataError as err:
                raise DataError(err.path, f"{err.problem}. Generate one with `python -m inpaintbench generate "
                                          f"{dataset} --output-dir {data_root} [--source PHOTOS]`, or omit the data "
                                          "folder to use the embedded default") from err
        mask_options = {k: v for k, v in (("min_coverage", min_coverage), ("max_coverage", max_coverage))
                        if v is not None}
        config = GenerateConfig(dataset, out="", generator=generator, model=model, autoencoder=autoencoder,
                                vae=vae, vae_weights=vae_weights, image_size=image_size, seed=seed,
                                crops_per_image=crops_per_photo, mask_options=mask_options)
        config.out = str(cache_root() / f"{dataset}-{config_hash(fingerprint(config, choose_generators(config)))}")
        if not (Path(config.out) / "manifest.csv").is_file():
            print(f"dataset {dataset!r}: building the embedded default in {config.out} (first use)", flush=True)
        generate(config)
        return LayoutDataset(config.out, name=dataset, on_bad=on_bad)

    factory.__name__ = factory.__qualname__ = dataset
    factory.__doc__ = f"{entry.description}: a generated folder, or the embedded default built on first use."
    return factory


GENERATED_FACTORIES = {name: generated_factory(entry) for name, entry in GENERATED_DATASETS.items()}
freeform = GENERATED_FACTORIES["freeform"]
object_masks = GENERATED_FACTORIES["object"]
rect = GENERATED_FACTORIES["rect"]
