"""The ``wild`` dataset: real inpaintings that public inpainting models produced (their repositories'
example files), with pixel masks and the pre-edit originals where a pixel-aligned one exists.

It is read in place (``--data-root``, else ``$INPAINTBENCH_WILD``, else ``../shared/data/wild``) through the
``pairs`` machinery: ``manifest.csv`` lists every image with its ``generator``, ``autoencoder`` family,
``source_repo``, ``mask_method`` and ``tier``, which results can be sliced by. Every row is a test image
(the originals are the authentic images of the test split). Several sources state no licence or a
non-commercial one, so the set is for evaluation only: the trainer refuses it.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from inpaintbench.data.imageio import DataError
from inpaintbench.data.manifests import Pair, read_manifest
from inpaintbench.data.pairs import PairsDataset
from inpaintbench.sdk import env

MANIFEST = "manifest.csv"
#: Where the set lives in a development checkout, beside the project (as ``../shared/weights`` does).
SHARED_PATH = Path("..") / "shared" / "data" / "wild"
#: Why the trainer refuses it (recorded in ``info()``, said by the refusal).
EVALUATION_ONLY = ("real inpaintings from public repositories' example files, several under no stated or a "
                   "non-commercial licence")


def shared_candidates() -> list[Path]:
    """``../shared/data/wild`` beside the working directory and beside the repository, each once."""
    repository = Path(__file__).resolve().parents[2]
    out: list[Path] = []
    for base in (Path.cwd(), repository):
        candidate = Path(os.path.normpath(base / SHARED_PATH))
        if candidate not in out:
            out.append(candidate)
    return out


def locate(data_root: str | os.PathLike | None = None) -> tuple[Path, str]:
    """``(folder, how it was found)``: ``data_root`` if given, else ``$INPAINTBENCH_WILD``, else the first
    ``../shared/data/wild`` holding a manifest; a one-line ``DataError`` naming every place looked at."""
    if data_root:
        places = [("--data-root", Path(data_root))]
    elif env.WILD.get():
        places = [(str(env.WILD), Path(env.WILD.get() or ""))]
    else:
        places = [("../shared/data/wild", p) for p in shared_candidates()]
    for how, folder in places:
        if (folder / MANIFEST).is_file():
            return folder, how
    looked = "; ".join(f"{folder / MANIFEST} ({how})" for how, folder in places)
    raise DataError("<wild>", f"the wild set of real inpaintings was not found: looked for {looked}. Give its "
                              f"folder with --data-root DIR or set {env.WILD}")


def mask_origin(method: str) -> str:
    """A coarse class of a row's ``mask_method`` text, to slice by: ``provided`` (the repository's own mask
    file), ``derived-exact`` (from a lossless difference), ``derived-figure`` (cut from a figure's panel
    or grid), each with ``+resized`` when it was aligned by a resize; empty for an original."""
    text = method.strip().lower()
    if not text:
        return ""
    origin = ("provided" if text.startswith("provided") else
              "derived-exact" if text.startswith("derived exactly") else "derived-figure")
    return origin + ("+resized" if "aligned_by_resize" in text else "")


def with_mask_origin(pair: Pair) -> Pair:
    method = pair.columns.get("mask_method", "")
    return replace(pair, columns={**pair.columns, "mask_origin": mask_origin(method) or "none"})


class WildDataset(PairsDataset):
    """The wild set: a ``PairsDataset`` of one manifest, every row in the test split, evaluation only."""

    def __init__(self, root: Path, found_by: str, on_bad: str = "error") -> None:
        manifest = root / MANIFEST
        listed = [with_mask_origin(p) for p in read_manifest(manifest)]
        super().__init__(listed, root, name="wild", on_bad=on_bad, split_mode="test", source=str(manifest))
        self.found_by = found_by

    def info(self) -> dict:
        return {**super().info(), "found_by": self.found_by, "evaluation_only": EVALUATION_ONLY}


def wild(data_root: str | None = None, on_bad: str = "error") -> WildDataset:
    """Real inpaintings of public models (SD1.5, SDXL, FLUX.1, GAN), pixel masks, originals: evaluation only.

    Read in place: ``data_root``, else ``$INPAINTBENCH_WILD``, else ``../shared/data/wild``. Slice by
    generator, autoencoder, source_repo, mask_method, mask_origin, tier."""
    root, how = locate(data_root)
    return WildDataset(root, how, on_bad=on_bad)
