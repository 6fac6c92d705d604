"""Presets of the ``pairs`` dataset for public forensics benchmarks (``--data-opt layout=NAME``): where
each keeps its images and masks, and what its masks mean. Each entry names where the facts came from;
the README's table is made from the same facts."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inpaintbench.data.conventions import MaskConvention
from inpaintbench.data.imageio import IMAGE_SUFFIXES, DataError, image_files
from inpaintbench.data.manifests import Pair, first_folder


@dataclass(frozen=True)
class PublicLayout:
    """A benchmark's file layout (``find``: root -> pairs), its mask convention, and the sources."""

    name: str
    description: str
    convention: MaskConvention
    source: str
    find: Callable[[Path], list[Pair]]

    def pairs(self, root: Path) -> list[Pair]:
        """The pairs of this layout under ``root``."""
        if not root.is_dir():
            raise DataError(root, f"layout {self.name}: dataset folder not found")
        return self.find(root)


def _folder(root: Path, *names: str) -> Path:
    found = first_folder(root, names)
    if found is None:
        raise DataError(root, f"expected a subfolder {' or '.join(repr(n) for n in names)} here")
    return found


def _with_masks(images: list[Path], mask_of: Callable[[Path], Path]) -> list[Pair]:
    """Manipulated images with the mask ``mask_of`` names; a missing one is reported by the dataset."""
    out = []
    for image in images:
        mask = mask_of(image)
        out.append(Pair(image, mask if mask.is_file() else None, where=str(image.parent), looked_for=str(mask)))
    return out


def _originals(folder: Path | None) -> list[Pair]:
    return [Pair(p, None, kind="original", where=str(folder)) for p in image_files(folder)] if folder else []


def manidataset(root: Path) -> list[Pair]:
    """``Tp/`` images and ``Gt/`` masks, paired in sorted-name order as IMDL-BenCo's ManiDataset does."""
    tp, gt = _folder(root, "Tp"), _folder(root, "Gt")
    images, masks = image_files(tp), image_files(gt)
    if len(images) != len(masks):
        raise DataError(root, f"Tp/ holds {len(images)} images and Gt/ {len(masks)} masks: ManiDataset pairs "
                              "them in sorted-name order, so the counts must agree")
    return [Pair(i, m, where=f"{tp.name}/ and {gt.name}/ in sorted order") for i, m in zip(images, masks)]


def casia1(root: Path) -> list[Pair]:
    """``Au/``; ``Tp/Sp``, ``Tp/CM`` with ``CASIA 1.0 groundtruth/{Sp,CM}/<stem>_gt.png``."""
    gt = _folder(root, "CASIA 1.0 groundtruth")
    out = _originals(first_folder(root, ("Au",)))
    for sub in ("Sp", "CM"):
        if (root / "Tp" / sub).is_dir():
            out += _with_masks(image_files(root / "Tp" / sub), lambda i, s=sub: gt / s / f"{i.stem}_gt.png")
    return out


def casia2(root: Path) -> list[Pair]:
    """``Au/``; ``Tp/`` with ``Gt/`` (or ``CASIA 2 Groundtruth/``) ``<stem>_gt.png``."""
    gt = _folder(root, "Gt", "CASIA 2 Groundtruth")
    return _originals(first_folder(root, ("Au",))) + _with_masks(image_files(_folder(root, "Tp")),
                                                                 lambda i: gt / f"{i.stem}_gt.png")


def columbia(root: Path) -> list[Pair]:
    """``4cam_auth/*.tif``; ``4cam_splc/*.tif`` with ``4cam_splc/edgemask/<stem>_edgemask.jpg``."""
    splc = _folder(root, "4cam_splc")
    return _originals(first_folder(root, ("4cam_auth",))) + _with_masks(
        image_files(splc), lambda i: splc / "edgemask" / f"{i.stem}_edgemask.jpg")


def coverage(root: Path) -> list[Pair]:
    """``image/<N>.tif`` pristine, ``image/<N>t.tif`` forged with ``mask/<N>forged.tif``."""
    folder, masks = _folder(root, "image"), root / "mask"
    forged = [p for p in image_files(folder) if p.stem.endswith("t")]
    pristine = [Pair(p, None, kind="original", where=str(folder)) for p in image_files(folder) if p not in forged]
    return pristine + _with_masks(forged, lambda i: masks / f"{i.stem[:-1]}forged.tif")


def imd2020(root: Path) -> list[Pair]:
    """One folder per photo: ``<x>_orig.<ext>`` authentic, ``<name>.<ext>`` with ``<name>_mask.png``."""
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = image_files(folder)
        stems = {p.stem: p for p in files}
        for path in files:
            if path.stem.endswith("_orig"):
                out.append(Pair(path, None, kind="original", where=str(folder)))
            elif path.stem.endswith("_mask"):
                image = stems.get(path.stem[: -len("_mask")])
                if image is None:
                    tried = ", ".join(path.stem[: -len("_mask")] + e for e in IMAGE_SUFFIXES)
                    raise DataError(path, f"mask without its image: looked for {tried} in {folder}")
                out.append(Pair(image, path, where=str(folder)))
    if not out:
        raise DataError(root, "no IMD2020 files found: expected folders holding <x>_orig.* and <name>_mask.png")
    return out


def cocoglide(root: Path) -> list[Pair]:
    """``real/``, ``fake/glide_inpainting_val2017_<id>_up.png``, ``mask/<class>_<id>_mask.png`` paired
    by ``table.csv`` (columns real, fake, mask), else by the COCO id in the names."""
    table = root / "table.csv"
    if table.is_file():
        with open(table, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        if rows and not {"real", "fake", "mask"} <= set(rows[0]):
            raise DataError(table, f"expected the columns real, fake, mask; found {', '.join(rows[0])}")
        return ([Pair(root / r["real"], None, kind="original", where=f"{table.name} line {n + 2}")
                 for n, r in enumerate(rows)]
                + [Pair(root / r["fake"], root / r["mask"], where=f"{table.name} line {n + 2}")
                   for n, r in enumerate(rows)])
    masks = {_coco_id(m.stem): m for m in image_files(_folder(root, "mask"))}
    return _originals(first_folder(root, ("real",))) + _with_masks(
        image_files(_folder(root, "fake")),
        lambda i: masks.get(_coco_id(i.stem), root / "mask" / f"<class>_{_coco_id(i.stem)}_mask.png"))


def _coco_id(stem: str) -> str:
    """The COCO image id in a CocoGlide name: ``glide_inpainting_val2017_114871_up`` and
    ``dining table_114871_mask`` -> ``114871``."""
    digits = [part for part in stem.split("_") if part.isdigit()]
    return digits[-1] if digits else stem


#: TGIF's split folders (the README says only "training, validation, and testing").
TGIF_SPLITS = {"training": "train", "train": "train", "validation": "val", "val": "val", "testing": "test",
               "test": "test"}


def _split_dirs(folder: Path) -> list[tuple[Path, str]]:
    """A TGIF folder's split subfolders with their split, or the folder itself with none."""
    found = [(folder / name, split) for name, split in TGIF_SPLITS.items() if (folder / name).is_dir()]
    return found or [(folder, "")]


def _tgif_mask(name: str, masks: dict[str, Path]) -> tuple[Path | None, str]:
    """The mask a TGIF file name starts with (the longest ``....png`` prefix that is a mask), and the
    shortest such prefix, for the message when none is found."""
    prefixes = [name[: i + 4] for i in range(len(name)) if name.startswith(".png", i)][:-1]
    found = [masks[p] for p in prefixes if p in masks]
    return (found[-1] if found else None), (prefixes[0] if prefixes else name)


def tgif(root: Path) -> list[Pair]:
    """``masks/``, ``original/`` and one folder per sub-dataset (``SD2-sp``, ``PS-sp``, ``SD2-fr``,
    ``SDXL-fr``, ...), each split in training/validation/testing; a manipulated file's name begins
    with the name of its mask (``<coco>_mask_<type>.png[_ps_mask.png]_<model>_<var>.png``)."""
    masks = {m.name: m for folder, _ in _split_dirs(_folder(root, "masks")) for m in image_files(folder)}
    out = []
    original = first_folder(root, ("original",))
    if original is not None:
        out += [Pair(p, None, split, "original", str(folder))
                for folder, split in _split_dirs(original) for p in image_files(folder)]
    subsets = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("masks", "original")))
    for subset in subsets:
        for folder, split in _split_dirs(subset):
            for image in image_files(folder):
                mask, first = _tgif_mask(image.name, masks)
                out.append(Pair(image, mask, split, where=str(folder), looked_for=f"masks/{first}"))
    return out


PHOTOHOLMES = "photoholmes (github.com/photoholmes/photoholmes), src/photoholmes/datasets/{}.py"
LAYOUTS: dict[str, PublicLayout] = {layout.name: layout for layout in (
    PublicLayout("manidataset", "IMDL-BenCo ManiDataset: Tp/ and Gt/ paired in sorted order (CASIA-style)",
                 MaskConvention(), "IMDL-BenCo documentation, guide/quickstart/0_dataprepare "
                 "(github.com/scu-zjz/IMDLBenCo-doc)", manidataset),
    PublicLayout("casia1", "CASIA 1.0 with the namtpham ground truth: Au/, Tp/{Sp,CM}, masks <stem>_gt.png",
                 MaskConvention("white", "0", 0), PHOTOHOLMES.format("casia1") + "; github.com/namtpham/"
                 "casia1groundtruth", casia1),
    PublicLayout("casia2", "CASIA 2.0: Au/, Tp/, masks Gt/<stem>_gt.png (namtpham ground truth)",
                 MaskConvention("white", "0", 0), "IMDL-BenCo documentation (JsonDataset example: CASIAv2/Tp, "
                 "CASIAv2/Gt/<stem>_gt.png, CASIAv2/Au); github.com/namtpham/casia2groundtruth; convention "
                 "as for the same author's CASIA 1.0 masks", casia2),
    PublicLayout("columbia", "Columbia uncompressed splicing: 4cam_auth/, 4cam_splc/ with edgemask/ JPEG masks",
                 MaskConvention("white", "1", 127), PHOTOHOLMES.format("columbia") + " (green channel > 0; "
                 "thresholded at 127 here, since the masks are JPEG and carry compression noise)", columbia),
    PublicLayout("coverage", "COVERAGE copy-move: image/<N>.tif, image/<N>t.tif, mask/<N>forged.tif",
                 MaskConvention("white", "0", 125), PHOTOHOLMES.format("coverage"), coverage),
    PublicLayout("cocoglide", "CocoGlide (TruFor): real/, fake/, mask/ paired by table.csv or by COCO id",
                 MaskConvention("white", "all", 127), "grip-unina/TruFor README (download), mapo80/TruFor README "
                 "(real/ and fake/ folders); public CocoGlide loaders: table.csv columns real,fake,mask,prompt, "
                 "masks named after the real image, 256x256 binary L masks read as > 127", cocoglide),
    PublicLayout("tgif", "TGIF: masks/, original/ and sub-dataset folders, split in training/validation/testing",
                 MaskConvention(), "IDLabMedia/tgif-dataset README (folders, split folders, file naming); the "
                 "masks are the inpainting masks given to SD2/SDXL/Firefly, white = inpainted", tgif),
    PublicLayout("imd2020", "IMD2020: per-photo folders with <x>_orig, <name> and <name>_mask.png",
                 MaskConvention(), "imds (image manipulation datasets) IMD2020 class and the dataset's "
                 "description (staff.utia.cas.cz/novozada/db): binary masks of the manipulated area", imd2020),
)}


def public_layout(name: str) -> PublicLayout:
    """The layout registered as ``name``, or an error listing the known ones."""
    if name not in LAYOUTS:
        from inpaintbench.sdk.registry import unknown_name_error

        raise unknown_name_error("layouts", name, list(LAYOUTS))
    return LAYOUTS[name]
