"""The provided layout: ``<id>.<kind>.webp`` files beside ``<id>.mask.webp`` (PNG and JPEG files are
read too), optionally under ``train/ val/ test/``. Every generated dataset is read through here; the
``RecordIndex`` base also serves the pairs dataset (``pairs.py``).
"""

from __future__ import annotations

import csv
import hashlib
import os
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inpaintbench.data.imageio import DataError, header, image_files, read_mask, read_rgb
from inpaintbench.sdk.samples import AUTHENTIC_KINDS, KINDS, MANIPULATED_KINDS, SPLITS, Sample

#: Fractions used when a folder has no split subfolders: the split is a hash of the id.
HASH_SPLIT_FRACTIONS = {"train": 0.8, "val": 0.1, "test": 0.1}
EXTENSION = ".webp"
#: What the layout reads for each kind and mask; ``generate`` writes lossless WebP.
EXTENSIONS = (EXTENSION, ".png", ".jpg", ".jpeg")
#: The optional per-id manifest of a layout folder (``generate`` writes one); its columns become each
#: record's ``columns``, except the layout's own facts below.
MANIFEST = "manifest.csv"
LAYOUT_COLUMNS = ("id", "split", "kinds", "kind_generators")


def hash_split(sample_id: str, fractions: dict[str, float] = HASH_SPLIT_FRACTIONS) -> str:
    """Deterministic split of an id: the first 8 hex digits of its SHA-1, as a fraction of 2**32."""
    u = int(hashlib.sha1(sample_id.encode("utf-8")).hexdigest()[:8], 16) / 2**32
    edge = 0.0
    for split in SPLITS:
        edge += fractions.get(split, 0.0)
        if u < edge:
            return split
    return SPLITS[-1]


def parse_name(filename: str) -> tuple[str, str] | None:
    """``"abc.realfake.webp"`` (or ``.png``, ``.jpg``) -> ``("abc", "realfake")``; ``None`` for files
    outside the layout."""
    stem, ext = os.path.splitext(filename)
    if ext.lower() not in EXTENSIONS:
        return None
    sample_id, dot, kind = stem.rpartition(".")
    if not dot or not sample_id or kind not in KINDS + ("mask",):
        return None
    return sample_id, kind


@dataclass(frozen=True)
class Record:
    """A reference to one image on disk and its mask (``None`` for authentic images)."""

    id: str
    split: str
    kind: str
    image: Path
    mask: Path | None
    #: The record's manifest columns (``generator``, ``mask_type``, ...), which results can be sliced by.
    columns: dict[str, str] = field(default_factory=dict, compare=False)


class RecordIndex:
    """Splits and records of a dataset that holds its ``Record`` list in ``self._records``."""

    _records: list[Record]
    on_bad: str = "error"
    problems: list[DataError]

    def _problem(self, err: DataError) -> None:
        """Raise ``err``, or with ``on_bad="skip"`` keep it for the report."""
        if self.on_bad == "error":
            raise err
        self.problems.append(err)

    def splits(self) -> list[str]:
        """Non-empty ``<split>/<kind>`` names, in split then kind order."""
        present = {(r.split, r.kind) for r in self._records}
        return [f"{s}/{k}" for s in SPLITS for k in KINDS if (s, k) in present]

    def records(self, split: str) -> list[Record]:
        """Records of ``"<split>/<kind>"``, or of every kind with ``"<split>"`` alone."""
        part, _, kind = split.partition("/")
        if part not in SPLITS or (kind and kind not in KINDS):
            from inpaintbench.sdk.registry import unknown_name_error

            raise unknown_name_error("splits", split, self.splits())
        return [r for r in self._records if r.split == part and (not kind or r.kind == kind)]

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return dataset_repr(self)


def dataset_repr(dataset) -> str:
    """``PairsDataset('pairs', root='mine', 15 records: test/manipulated 12, test/original 3)``."""
    splits = ", ".join(f"{s} {len(dataset.records(s))}" for s in dataset.splits())
    root = getattr(dataset, "root", "")
    where = f", root={str(root)!r}" if root else ""
    return f"{type(dataset).__name__}({getattr(dataset, 'name', '')!r}{where}, {len(dataset)} records: {splits})"


def sample_of(record: Record, image: np.ndarray, mask: np.ndarray | None) -> Sample:
    """The ``Sample`` of a decoded record: an all-zero mask when it has none; sizes must agree."""
    if mask is None:
        mask = np.zeros(image.shape[:2], dtype=np.uint8)
    elif mask.shape != image.shape[:2]:
        raise DataError(record.image, f"image {image.shape[1]}x{image.shape[0]} and mask "
                                      f"{record.mask} {mask.shape[1]}x{mask.shape[0]} differ in size")
    return Sample(record.id, record.split, record.kind, image, mask, str(record.image), dict(record.columns))


def manifest_rows(root: Path) -> dict[str, dict[str, str]]:
    """The rows of ``root/manifest.csv`` by id (none without one); a manifest without ``id`` is an error."""
    path = root / MANIFEST
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if "id" not in (reader.fieldnames or []):
            raise DataError(path, f"a layout manifest needs an id column; found {','.join(reader.fieldnames or [])}")
        return {row["id"]: row for row in reader}


def record_columns(row: dict[str, str], kind: str) -> dict[str, str]:
    """A record's columns from its id's manifest row: every column but the layout's own facts, and
    ``generator`` narrowed to the one that wrote this kind when the row says (``kind_generators``)."""
    columns = {k: v for k, v in row.items() if k and k not in LAYOUT_COLUMNS and v is not None}
    by_kind = dict(part.split(":", 1) for part in (row.get("kind_generators") or "").split(";") if ":" in part)
    if kind in by_kind:
        columns["generator"] = by_kind[kind]
    return columns


def by_suffix(paths: list[Path]) -> str:
    """``"12 .png files, 1 .jpg file"``: how many of each suffix, most first."""
    from collections import Counter

    found = Counter(p.suffix.lower() for p in paths)
    return ", ".join(f"{n} {ext} file{'s' if n > 1 else ''}" for ext, n in found.most_common())


def foreign_files_hint(root: Path) -> str:
    """What a folder holds instead of the layout, and how to read it: ``; found 12 .png files ...``."""
    found = image_files(root, recursive=True)
    if not found:
        return ""
    return (f"; found {by_suffix(found)} in other names: for image and mask files of your own (a manifest, or "
            f"images/ beside masks/) use --dataset pairs --data-root {root}")


def ignored_files_warning(root: Path, ignored: list[Path]) -> str:
    """The warning for image files under a layout folder that are not part of it (misnamed, in other
    folders): they are not read, and saying so is better than leaving them out in silence."""
    return (f"{root}: {by_suffix(ignored)} ignored (e.g. {ignored[0].relative_to(root)}): not named "
            f"<id>.<kind>.<ext> with kind one of {', '.join(KINDS)} or mask, in the folder or its "
            f"{'/ '.join(SPLITS)}/ subfolders; for image and mask files of your own use --dataset pairs")


class LayoutDataset(RecordIndex):
    """A folder in the provided layout, scanned and checked from file headers.

    ``on_bad="error"`` stops at the first bad file with a message naming it; ``"skip"`` drops
    the affected records and keeps the problems in ``self.problems`` for the report.
    """

    def __init__(self, root: str | os.PathLike, *, name: str = "provided", on_bad: str = "error") -> None:
        if on_bad not in ("error", "skip"):
            raise ValueError(f"on_bad must be 'error' or 'skip', not {on_bad!r}")
        self.root = Path(root)
        self.name = name
        self.on_bad = on_bad
        self.problems: list[DataError] = []
        if not self.root.is_dir():
            raise DataError(self.root, "dataset folder not found")
        self._manifest = manifest_rows(self.root)
        self._records = self._scan()
        if not self._records:
            raise DataError(self.root, "no images in the provided layout (<id>.<kind>.webp with "
                                       f"<id>.mask.webp) were found here{foreign_files_hint(self.root)}")
        scanned = {folder for folder, _ in self._folders()}
        self.ignored = [p for p in image_files(self.root, recursive=True)
                        if p.parent not in scanned or parse_name(p.name) is None]
        if self.ignored:
            warnings.warn(ignored_files_warning(self.root, self.ignored), stacklevel=2)

    # -- scanning -------------------------------------------------------------------------------
    def _folders(self) -> list[tuple[Path, str | None]]:
        subs = [(self.root / s, s) for s in SPLITS if (self.root / s).is_dir()]
        return subs if subs else [(self.root, None)]

    def _scan(self) -> list[Record]:
        records: list[Record] = []
        for folder, split in self._folders():
            groups: dict[str, dict[str, Path]] = defaultdict(dict)
            for entry in sorted(os.listdir(folder)):
                parsed = parse_name(entry)
                if parsed and parsed[1] in groups[parsed[0]]:
                    self._problem(DataError(folder / entry, f"a second {parsed[1]} file for id {parsed[0]!r} "
                                                            f"beside {groups[parsed[0]][parsed[1]].name}: keep one"))
                elif parsed:
                    groups[parsed[0]][parsed[1]] = folder / entry
            for sample_id, files in sorted(groups.items()):
                records.extend(self._check_group(sample_id, split or hash_split(sample_id), files))
        return records

    def _check_group(self, sample_id: str, split: str, files: dict[str, Path]) -> list[Record]:
        mask = files.get("mask")
        kinds = [k for k in KINDS if k in files]
        if mask is None and any(k in MANIPULATED_KINDS for k in kinds):
            first = files[next(k for k in kinds if k in MANIPULATED_KINDS)]
            self._problem(DataError(first, f"missing mask: expected {first.parent / (sample_id + '.mask' + EXTENSION)} "
                                            f"(or .png/.jpg)"))
            kinds = [k for k in kinds if k in AUTHENTIC_KINDS]
        size = None
        if mask is not None:
            try:
                mode, size = header(mask)
                if mode not in ("L", "RGB"):
                    raise DataError(mask, f"expected a single-channel (L) mask, found mode {mode}")
            except DataError as err:
                self._problem(err)
                kinds = [k for k in kinds if k in AUTHENTIC_KINDS]
                size = None
        out = []
        for kind in kinds:
            path = files[kind]
            try:
                mode, im_size = header(path)
                if mode != "RGB":
                    raise DataError(path, f"expected an RGB image, found mode {mode} "
                                          "(grey or alpha images are not part of the layout)")
                if size is not None and im_size != size:
                    raise DataError(path, f"size {im_size[0]}x{im_size[1]} does not match its mask "
                                          f"{mask} ({size[0]}x{size[1]})")
            except DataError as err:
                self._problem(err)
                continue
            out.append(Record(sample_id, split, kind, path, None if kind in AUTHENTIC_KINDS else mask,
                              record_columns(self._manifest.get(sample_id, {}), kind)))
        return out

    # -- access ---------------------------------------------------------------------------------
    def load(self, record: Record) -> Sample:
        """Decode one record; a corrupt file or a size disagreement raises ``DataError``."""
        return sample_of(record, read_rgb(record.image), None if record.mask is None else read_mask(record.mask))

    def info(self) -> dict:
        return {"name": self.name, "root": str(self.root), "n_records": len(self._records),
                "splits": {s: len(self.records(s)) for s in self.splits()},
                "skipped_at_scan": [str(p) for p in self.problems],
                "ignored_files": by_suffix(self.ignored)}
