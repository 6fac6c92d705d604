"""Where image/mask pairs come from: manifests (CSV, JSON lines, IMDL-BenCo's JSON list) and folders
of images beside folders of masks matched by name. Each source gives ``Pair`` rows, unchecked."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inpaintbench.data.imageio import DataError, image_files

#: IMDL-BenCo's word for "no mask: an authentic image" in its JSON lists.
NEGATIVE = "negative"
#: Mask-name suffixes tried, in order, when none is given (``a.jpg`` -> ``a.png``, ``a_gt.png``, ``a_mask.png``).
DEFAULT_MASK_SUFFIXES = ("", "_gt", "_mask")
IMAGE_FOLDERS = ("images", "image", "imgs", "img", "Tp", "tampered", "fake", "manipulated")
MASK_FOLDERS = ("masks", "mask", "Gt", "gt", "groundtruth", "ground_truth", "labels")
AUTHENTIC_FOLDERS = ("authentic", "Au", "real", "originals", "pristine")


@dataclass(frozen=True)
class Pair:
    """One listed image, its mask (``None``: authentic), the split and kind if given, and where it was listed."""

    image: Path
    mask: Path | None
    split: str = ""
    kind: str = ""
    where: str = ""
    #: For an image that should have had a mask: what was looked for (then a missing mask is an error).
    looked_for: str = ""
    #: The manifest's other columns for this row (``generator``, ...), which results can be sliced by.
    columns: dict[str, str] = field(default_factory=dict, compare=False)


#: The columns a pairs manifest gives meaning to; any other column is carried along as the row's own.
PAIR_COLUMNS = ("image", "mask", "split", "kind")


def extra_columns(row: dict[str, Any]) -> dict[str, str]:
    """A manifest row's own columns (those that are not ``PAIR_COLUMNS``), scalar values as text."""
    return {str(k): str(v) for k, v in row.items()
            if k and k not in PAIR_COLUMNS and v is not None and not isinstance(v, (dict, list))}


# --- manifests -----------------------------------------------------------------------------------

def _resolve(base: Path, text: str | None) -> Path | None:
    """A path from a manifest cell, relative to the manifest's folder; empty or ``Negative`` is no mask."""
    text = (text or "").strip()
    if not text or text.lower() == NEGATIVE:
        return None
    return Path(text) if os.path.isabs(text) else base / text


def _pair(path: Path, where: str, image: Any, mask: Any, split: Any = "", kind: Any = "",
          columns: dict[str, str] | None = None) -> Pair:
    image_path = _resolve(path.parent, None if image is None else str(image))
    if image_path is None:
        raise DataError(path, f"{where}: no image path")
    return Pair(image_path, _resolve(path.parent, None if mask is None else str(mask)),
                str(split or "").strip(), str(kind or "").strip(), f"{path.name} {where}", columns=columns or {})


def csv_pairs(path: Path) -> list[Pair]:
    """``image,mask[,split][,kind]`` with a header row; an empty mask cell marks an authentic image."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = [c.strip() for c in reader.fieldnames or []]
        if "image" not in columns or "mask" not in columns:
            raise DataError(path, f"a pairs manifest needs the columns image,mask[,split][,kind]; found "
                                  f"{','.join(columns) or 'no header'}")
        reader.fieldnames = columns
        return [_pair(path, f"line {reader.line_num}", row.get("image"), row.get("mask"), row.get("split"),
                      row.get("kind"), extra_columns(row)) for row in reader]


def _object_pair(path: Path, where: str, item: Any) -> Pair:
    if isinstance(item, dict):
        if "image" not in item:
            raise DataError(path, f"{where}: no 'image' key (keys: {', '.join(item) or 'none'})")
        return _pair(path, where, item["image"], item.get("mask"), item.get("split"), item.get("kind"),
                     extra_columns(item))
    if isinstance(item, (list, tuple)) and len(item) in (1, 2):
        return _pair(path, where, item[0], item[1] if len(item) > 1 else None)
    raise DataError(path, f"{where}: expected [image, mask] or {{\"image\": ..., \"mask\": ...}}, found {item!r:.80}")


def jsonl_pairs(path: Path) -> list[Pair]:
    """One JSON object (``{"image", "mask", "split", "kind"}``) or ``[image, mask]`` list per line."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(path, f"line {number}: not JSON ({exc.msg})") from exc
                out.append(_object_pair(path, f"line {number}", item))
    return out


def json_pairs(path: Path) -> list[Pair]:
    """IMDL-BenCo's ``[[image, mask_or_"Negative"], ...]``, or a list of JSON-lines objects."""
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(path, f"not JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(items, list):
        raise DataError(path, "expected a JSON list of [image, mask] pairs (IMDL-BenCo's JsonDataset format)")
    return [_object_pair(path, f"entry {i}", item) for i, item in enumerate(items)]


MANIFEST_READERS: dict[str, Callable[[Path], list[Pair]]] = {".csv": csv_pairs, ".jsonl": jsonl_pairs,
                                                              ".json": json_pairs}


def read_manifest(path: str | os.PathLike) -> list[Pair]:
    """The pairs listed in a manifest file, chosen by its suffix (.csv, .jsonl, .json)."""
    path = Path(path)
    reader = MANIFEST_READERS.get(path.suffix.lower())
    if reader is None:
        raise DataError(path, f"not a manifest: expected one of {', '.join(MANIFEST_READERS)}")
    if not path.is_file():
        raise DataError(path, "manifest not found")
    return reader(path)


def manifests_in(folder: Path) -> list[Path]:
    """The manifest files directly in ``folder``."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in MANIFEST_READERS)


# --- folders -------------------------------------------------------------------------------------

def first_folder(root: Path, names: Iterable[str]) -> Path | None:
    """The first of ``names`` that is a subfolder of ``root``."""
    return next((root / n for n in names if (root / n).is_dir()), None)


def suffix_list(mask_suffix: str | None) -> tuple[str, ...]:
    """``"_gt"`` -> ``("_gt",)``; ``"_gt|_mask"`` -> both; ``None`` -> the defaults."""
    return DEFAULT_MASK_SUFFIXES if mask_suffix is None else tuple(mask_suffix.split("|"))


def match_masks(images: list[Path], masks: list[Path], suffixes: tuple[str, ...]) -> dict[Path, Path]:
    """Each image's mask: the mask whose stem is the image's stem plus the first suffix that matches."""
    by_stem = {m.stem: m for m in masks}
    found = {}
    for image in images:
        for suffix in suffixes:
            mask = by_stem.get(image.stem + suffix)
            if mask is not None and mask != image:
                found[image] = mask
                break
    return found


def folder_pairs(root: Path, images: str | None = None, masks: str | None = None, authentic: str | None = None,
                 mask_suffix: str | None = None) -> list[Pair]:
    """Images in ``images/`` (default: the first of ``IMAGE_FOLDERS``) paired with ``masks/`` by name,
    plus the authentic images in ``authentic/``; with neither subfolder, images and ``<stem><suffix>``
    masks side by side in ``root``. An image without a mask is an error naming what was looked for."""
    suffixes = suffix_list(mask_suffix)
    image_dir = root / images if images else first_folder(root, IMAGE_FOLDERS)
    mask_dir = root / masks if masks else first_folder(root, MASK_FOLDERS)
    auth_dir = root / authentic if authentic else first_folder(root, AUTHENTIC_FOLDERS)
    for given, folder in ((images, image_dir), (masks, mask_dir), (authentic, auth_dir)):
        if given and not folder.is_dir():
            raise DataError(folder, "folder not found")
    if image_dir is None and mask_dir is None:
        files = image_files(root)
        mask_set = {m for m in files if any(s and m.stem.endswith(s) for s in suffixes)}
        candidates, mask_files = [f for f in files if f not in mask_set], sorted(mask_set)
        image_dir = mask_dir = root
    else:
        image_dir, mask_dir = image_dir or root, mask_dir or root
        candidates, mask_files = image_files(image_dir), image_files(mask_dir)
    matched = match_masks(candidates, mask_files, suffixes)
    shown = [s for s in suffixes if s or mask_dir != image_dir]
    originals = image_files(auth_dir) if auth_dir is not None else []
    if not matched and not originals:
        prefix = "" if mask_dir == root else f"{Path(os.path.relpath(mask_dir, root)).as_posix()}/"
        looked = " or ".join(f"{prefix}<image stem>{s}.*" for s in shown)
        raise DataError(root, f"no image/mask pairs found: looked for {looked} for the "
                              f"{len(candidates)} image file(s) in {image_dir}, found {len(mask_files)} "
                              f"mask candidate(s) and no match{hint_for(candidates, mask_files)}. Give the "
                              "subfolders and suffix with one --data-opt per key, e.g. --data-opt images=DIR "
                              "--data-opt masks=DIR --data-opt mask_suffix=_gt, or a manifest "
                              "(CSV image,mask[,split][,kind])")
    listed = [Pair(i, matched.get(i), where=str(image_dir),
                   looked_for=" or ".join(f"{mask_dir / (i.stem + s)}.*" for s in shown)) for i in candidates]
    return listed + [Pair(p, None, kind="original", where=f"{auth_dir}") for p in originals]


def hint_for(images: list[Path], masks: list[Path]) -> str:
    """What the names look like when nothing matched: the first image and mask stems."""
    if images and masks:
        return f" (e.g. image {images[0].name!r}, mask {masks[0].name!r})"
    return ""
