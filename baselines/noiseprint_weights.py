"""Where the Noiseprint extractors' weights are found: one ``model_qf<Q>.pth`` per JPEG quality
(51..100) and ``model_qf101.pth`` for never-compressed images, PyTorch state dicts converted from
the authors' TensorFlow checkpoints. GRIP-UNINA licence: non-commercial research use only.

Looked for in order: the ``weights=`` option (one file, or a folder of them), then
``$INPAINTBENCH_WEIGHTS/noiseprint/``, then ``../shared/weights/noiseprint/`` beside the working
directory and beside this checkout. Files with a published name are checked against their sha256.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from inpaintbench.plugins import WeightsUnavailable

FOLDER = "noiseprint"
PUBLISHED = ("github.com/grip-unina/noiseprint (TensorFlow checkpoints) and "
             "github.com/RonyAbecidan/noiseprint-pytorch (PyTorch state dicts, every quality 51..101)")
LICENCE = "GRIP-UNINA licence: non-commercial research use only (see the LICENSE.txt shipped with the weights)"
PATTERN = re.compile(r"^model_qf(\d+)\.pth$")
#: sha256 of the published files (the subset in the shared weights folder).
SHA256 = {
    51: "67a08926ba2eae34010e809b89383c108b0ac3f161dab8a69ae525d265b6385a",
    55: "a70a679b3046685db088762ca96dcc2f129a7200f4d8df7fde7f18bc1bdca014",
    60: "0466cafdbddd1059c8376225fa969acb2b9179be3e658994761ebea494f9147f",
    65: "d0e931db9fed548f6ca00d4f0709531fd534e89e81857491f1d1dfc326eec1cd",
    70: "4bd8e6e30dcaa4ef18e53f7e6953f5870068495717374611bbe20c3155d5c6ce",
    75: "47046e6ac7285bbdd89aae6474a1ce46523f9bfa7b261712c3c2964382223372",
    80: "8237b961e22bc45720ecc74778059584eb25be50689beae3e034c49c4861e1a3",
    85: "0702947f75ca2f90f3d96cb02c7d8ae47d9bab79fff6c760a1df085bae498a18",
    90: "e7a5f3f443861ce4dbef695294bca510f12ac0ec34261d723a588690ad77756a",
    95: "ede5104729dca10b1d5d6105c17f5e44cf6e58a03c36e92459205e2a39ff1c57",
    100: "12369602ab0397c9f42242960940518e4e1f2d5e92c6e7feb3acf965da76603e",
    101: "61ae852fca4a26821851f673dd1e2ba28c37bd6a274aaaead6041718088e2c93",
}


def search_folders() -> list[Path]:
    """The default folders, in order, without repeats."""
    folders = []
    if os.environ.get("INPAINTBENCH_WEIGHTS"):
        folders.append(Path(os.environ["INPAINTBENCH_WEIGHTS"]) / FOLDER)
    folders.append(Path.cwd().parent / "shared" / "weights" / FOLDER)
    folders.append(Path(__file__).resolve().parents[1].parent / "shared" / "weights" / FOLDER)
    unique: list[Path] = []
    for folder in folders:
        if folder.resolve() not in [f.resolve() for f in unique]:
            unique.append(folder)
    return unique


def models_in(folder: Path) -> dict[int, Path]:
    """``{quality: file}`` of the ``model_qf<Q>.pth`` files in ``folder``."""
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.iterdir():
        match = PATTERN.match(path.name)
        if match and path.is_file():
            found[int(match.group(1))] = path
    return found


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class NoiseprintWeights:
    """The model files available (``{quality: file}``), or one ``single`` file used for every image."""

    models: dict[int, Path]
    source: str
    single: Path | None = None
    checked: dict[int, str] = field(default_factory=dict)

    def path(self, quality: int) -> Path:
        return self.single if self.single is not None else self.models[quality]

    def sha256(self, quality: int) -> str:
        """The file's sha256; a file with a published name must match the published hash."""
        if quality not in self.checked:
            path = self.path(quality)
            digest = sha256_of(path)
            if self.single is None and quality in SHA256 and digest != SHA256[quality]:
                raise WeightsUnavailable(f"noiseprint: {path} does not match the published file "
                                         f"(sha256 {digest[:12]}..., expected {SHA256[quality][:12]}...)")
            self.checked[quality] = digest
        return self.checked[quality]


def locate(explicit: str | None = None) -> NoiseprintWeights:
    """The weights from ``explicit`` (a file or a folder), else from the first default folder that has
    any; a one-line ``WeightsUnavailable`` naming where it looked and where they are published."""
    if explicit:
        path = Path(explicit).expanduser()
        if path.is_file():
            match = PATTERN.match(path.name)
            quality = int(match.group(1)) if match else 101
            return NoiseprintWeights({quality: path}, str(path), single=path)
        if models_in(path):
            return NoiseprintWeights(models_in(path), str(path))
        raise WeightsUnavailable(f"noiseprint: weights={explicit}: no such file, nor a folder holding "
                                 f"model_qf<Q>.pth files; they are published at {PUBLISHED}")
    folders = search_folders()
    for folder in folders:
        if models_in(folder):
            return NoiseprintWeights(models_in(folder), str(folder))
    raise WeightsUnavailable(f"noiseprint: no model_qf<Q>.pth weights in {', '.join(map(str, folders))}; they are "
                             f"published at {PUBLISHED} ({LICENCE}): put them in one of these folders, or pass "
                             "--opt weights=FILE_OR_FOLDER")
