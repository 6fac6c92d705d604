"""The ``pairs`` dataset: image and mask files a user already has (PNG, JPEG, TIFF, WebP, BMP), listed
by a manifest, matched in folders, or found by a public benchmark's layout, checked from file headers
and read through an explicit mask convention that the result records."""

from __future__ import annotations

import os
from pathlib import Path

from inpaintbench.data.conventions import MaskConvention, raw_mask, read_any_rgb
from inpaintbench.data.imageio import DataError, header
from inpaintbench.data.layout import Record, RecordIndex, hash_split, sample_of
from inpaintbench.data.manifests import Pair, folder_pairs, manifests_in, read_manifest
from inpaintbench.sdk.samples import AUTHENTIC_KINDS, KINDS, MANIPULATED_KINDS, SPLITS, Sample

#: ``split=`` values: ``auto`` (the default) puts every row in ``test`` when no row lists a split, else
#: acts as ``hash``; ``hash`` keeps listed splits and splits other rows by the hash of their id; a split
#: name puts every row there.
SPLIT_MODES = ("auto", "hash") + SPLITS


def split_rule(split_mode: str, listed: bool) -> str:
    """How rows get their split under ``split_mode``, in words (recorded, and shown when a split is missing)."""
    if split_mode == "auto" and not listed:
        return ("auto: every row in test, as no row lists a split (--data-opt split=hash splits the rows into "
                "train/val/test by the hash of their id)")
    if split_mode in ("auto", "hash"):
        return f"{split_mode}: the listed splits, other rows by the hash of their id"
    return f"every row in {split_mode} (--data-opt split={split_mode})"


class PairsDataset(RecordIndex):
    """Listed image/mask pairs, checked at construction from file headers.

    Without a kind, an image with a mask is ``manipulated`` and one without is ``original``.
    ``split_mode="auto"`` evaluates your own data as it is: every row in ``test`` when no row lists a
    split, else as ``hash``; ``"hash"`` keeps a row's own split, else hashes its id; a split name takes
    every row. Bad rows raise a
    ``DataError`` naming the file, or with ``on_bad="skip"`` are dropped and kept in ``problems``.
    """

    def __init__(self, listed: list[Pair], root: str | os.PathLike, *, name: str = "pairs", on_bad: str = "error",
                 convention: MaskConvention | None = None, split_mode: str = "auto", source: str = "",
                 layout: str = "") -> None:
        if on_bad not in ("error", "skip"):
            raise ValueError(f"on_bad must be 'error' or 'skip', not {on_bad!r}")
        if split_mode not in SPLIT_MODES:
            raise ValueError(f"split={split_mode!r} is not one of {', '.join(SPLIT_MODES)}")
        self.root, self.name, self.on_bad = Path(root), name, on_bad
        self.convention = convention if convention is not None else MaskConvention()
        self.split_rule = split_rule(split_mode, any(pair.split for pair in listed))
        if split_mode == "auto":
            split_mode = "hash" if any(pair.split for pair in listed) else "test"
        self.split_mode, self.source, self.layout = split_mode, source, layout
        self.problems: list[DataError] = []
        self._records: list[Record] = []
        seen: dict[Path, str] = {}
        for pair in listed:
            try:
                if pair.image in seen:
                    raise DataError(pair.image, f"{pair.where}: listed twice (first in {seen[pair.image]})")
                self._records.append(self._check(pair))
                seen[pair.image] = pair.where
            except DataError as err:
                self._problem(err)
        if not self._records:
            skipped = f" ({len(self.problems)} skipped, first: {self.problems[0]})" if self.problems else ""
            raise DataError(source or self.root, f"no usable image/mask pairs{skipped}")

    def _id(self, image: Path) -> str:
        try:
            rel = image.relative_to(self.root)
        except ValueError:
            rel = image
        return rel.with_suffix("").as_posix()

    def _check(self, pair: Pair) -> Record:
        where = f" (listed in {pair.where})" if pair.where else ""
        if pair.mask is None and pair.looked_for:
            raise DataError(pair.image, f"missing mask: looked for {pair.looked_for}")
        kind = pair.kind or ("manipulated" if pair.mask is not None else "original")
        if kind not in KINDS:
            raise DataError(pair.image, f"kind {kind!r}{where} is not one of {', '.join(KINDS)}")
        if kind in MANIPULATED_KINDS and pair.mask is None:
            raise DataError(pair.image, f"missing mask{where}: kind {kind!r} needs one (an empty mask means "
                                        "an authentic image, kind 'original')")
        if kind in AUTHENTIC_KINDS and pair.mask is not None:
            raise DataError(pair.mask, f"an authentic ('original') image has no mask{where}; leave it empty")
        sample_id = self._id(pair.image)
        split = (pair.split or hash_split(sample_id)) if self.split_mode == "hash" else self.split_mode
        if split not in SPLITS:
            raise DataError(pair.image, f"split {split!r}{where} is not one of {', '.join(SPLITS)}")
        size = self._size(pair.image, where)
        if pair.mask is not None:
            mask_size = self._size(pair.mask, where)
            if mask_size != size:
                raise DataError(pair.image, f"size {size[0]}x{size[1]} does not match its mask {pair.mask} "
                                            f"({mask_size[0]}x{mask_size[1]})")
        folder = Path(sample_id).parent.as_posix()
        return Record(sample_id, split, kind, pair.image, pair.mask, {"folder": folder, **pair.columns})

    @staticmethod
    def _size(path: Path, where: str) -> tuple[int, int]:
        try:
            return header(path)[1]
        except DataError as err:
            raise DataError(path, err.problem + where) from err

    def load(self, record: Record) -> Sample:
        """Decode one record: the image as RGB, the mask through the dataset's convention."""
        mask = None if record.mask is None else self.convention.apply(raw_mask(record.mask))
        return sample_of(record, read_any_rgb(record.image), mask)

    def info(self) -> dict:
        return {"name": self.name, "root": str(self.root), "source": self.source, "layout": self.layout or None,
                "mask_convention": self.convention.describe(), "split_mode": self.split_mode,
                "split_rule": self.split_rule,
                "n_records": len(self._records), "splits": {s: len(self.records(s)) for s in self.splits()},
                "skipped_at_scan": [str(p) for p in self.problems]}


def discover(root: Path, manifest: str | None = None, images: str | None = None, masks: str | None = None,
             authentic: str | None = None, mask_suffix: str | None = None) -> tuple[list[Pair], Path, str]:
    """``(pairs, root, source)`` from a manifest file, the one manifest in a folder, or a folder's
    image and mask subfolders; the root is the folder that ids are relative to."""
    if manifest:
        path = Path(manifest) if os.path.isabs(manifest) else root / manifest
        return read_manifest(path), path.parent, str(path)
    if root.is_file():
        return read_manifest(root), root.parent, str(root)
    if not root.is_dir():
        raise DataError(root, "data root not found (give a manifest file or a folder)")
    found = manifests_in(root)
    if len(found) > 1:
        raise DataError(root, f"{len(found)} manifests here ({', '.join(p.name for p in found)}): choose one "
                              "with --data-opt manifest=NAME")
    if found:
        return read_manifest(found[0]), root, str(found[0])
    return folder_pairs(root, images, masks, authentic, mask_suffix), root, f"folder {root}"

