"""The ``pairs`` dataset: manifests, folders, mask conventions, bad files named, public-layout replicas."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import inpaintbench as ib
from inpaintbench.cli import main
from inpaintbench.data.conventions import MaskConvention, raw_mask, read_any_rgb
from inpaintbench.data.datasets import pairs
from inpaintbench.data.imageio import DataError, write_webp
from inpaintbench.data.layout import LayoutDataset
from inpaintbench.data.public_layouts import LAYOUTS
from inpaintbench.sdk.errors import ConfigError
from inpaintbench.sdk.registry import RegistryError

SIZE = 24


def photo(seed: int, size: int = SIZE) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def square(size: int = SIZE, value: int = 255) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    mask[4:12, 6:16] = value
    return mask


def save(path: Path, array: np.ndarray, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, **kwargs)
    return path


def csv_set(root: Path, n_fake: int = 3, n_real: int = 2, split: str = "test") -> Path:
    """PNG images and masks listed in ``root/pairs.csv`` (``image,mask,split``; empty mask = authentic)."""
    lines = ["image,mask,split"]
    for i in range(n_fake):
        save(root / "img" / f"f{i}.png", photo(i))
        save(root / "gt" / f"f{i}.png", square())
        lines.append(f"img/f{i}.png,gt/f{i}.png,{split}")
    for i in range(n_real):
        save(root / "img" / f"r{i}.png", photo(100 + i))
        lines.append(f"img/r{i}.png,,{split}")
    (root / "pairs.csv").write_text("\n".join(lines) + "\n")
    return root / "pairs.csv"


def evaluate_cli(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / f"result-{len(list(tmp_path.glob('result-*.json')))}.json"
    assert main(["evaluate", "--detector", "noise-residual", "--dataset", "pairs", *args, "--output", str(out),
                 "--quiet", "--no-overlays"]) == 0
    return json.loads(out.read_text())


def test_a_manifest_s_own_columns_and_the_image_folder_become_record_columns(tmp_path):
    manifest = csv_set(tmp_path, n_fake=2, n_real=1)
    lines = manifest.read_text().splitlines()
    lines = [lines[0] + ",generator"] + [line + f",g{i}" for i, line in enumerate(lines[1:])]
    manifest.write_text("\n".join(lines) + "\n")
    ds = pairs(data_root=str(manifest))
    columns = {r.id: r.columns for s in ds.splits() for r in ds.records(s)}
    assert columns == {"img/f0": {"folder": "img", "generator": "g0"}, "img/f1": {"folder": "img", "generator": "g1"},
                       "img/r0": {"folder": "img", "generator": "g2"}}
    assert ds.load(ds.records("test/manipulated")[1]).meta == {"folder": "img", "generator": "g1"}


# --- the manifest the issue asks for, evaluated exactly ------------------------------------------

def test_csv_manifest_evaluates_like_the_same_pixels_in_the_provided_layout(tmp_path):
    manifest = csv_set(tmp_path / "mine")
    by_file = evaluate_cli(tmp_path, "--data-root", str(manifest))
    by_folder = evaluate_cli(tmp_path, "--data-root", str(manifest.parent))
    assert set(by_file["metrics"]) == {"test/manipulated", "test/original"}
    assert by_file["metrics"]["test/manipulated"]["n_images"] == 3
    assert by_file["metrics"]["test/original"]["n_authentic"] == 2
    assert by_file["metrics"]["test/manipulated"]["role"] == "manipulated"
    assert by_file["metrics"] == by_folder["metrics"]
    assert by_file["dataset_info"]["mask_convention"] == "white, brightest channel, soft"
    # the same pixels in the provided layout give the same numbers
    provided = tmp_path / "provided" / "test"
    for i in range(3):
        write_webp(provided / f"f{i}.fakefake.webp", photo(i))
        write_webp(provided / f"f{i}.mask.webp", square())
    for i in range(2):
        write_webp(provided / f"r{i}.original.webp", photo(100 + i))
    out = tmp_path / "provided.json"
    assert main(["evaluate", "--detector", "noise-residual", "--dataset", "provided", "--data-root",
                 str(provided.parent), "--output", str(out), "--quiet", "--no-overlays"]) == 0
    reference = json.loads(out.read_text())["metrics"]
    for key, value in reference["test/fakefake"].items():
        assert by_file["metrics"]["test/manipulated"][key] == pytest.approx(value, nan_ok=True), key
    for key, value in reference["test/original"].items():
        assert by_file["metrics"]["test/original"][key] == pytest.approx(value, nan_ok=True), key


def test_without_a_split_the_hash_split_applies_or_one_split_takes_all(tmp_path):
    manifest = csv_set(tmp_path, n_fake=12, n_real=0, split="")
    spread = ib.load_dataset("pairs", data_root=str(manifest), split="hash")
    assert len({r.split for s in spread.splits() for r in spread.records(s)}) > 1
    one = ib.load_dataset("pairs", data_root=str(manifest), split="test")
    assert one.splits() == ["test/manipulated"] and len(one.records("test")) == 12
    listed = csv_set(tmp_path / "listed", n_fake=2, n_real=0, split="val")
    assert ib.load_dataset("pairs", data_root=str(listed)).splits() == ["val/manipulated"]
    assert ib.load_dataset("pairs", data_root=str(listed), split="test").splits() == ["test/manipulated"]
    with pytest.raises(RegistryError, match="split='tests' is not one of auto, hash, train, val, test"):
        ib.load_dataset("pairs", data_root=str(manifest), split="tests")


def test_json_lines_kinds_and_imdl_benco_json_lists(tmp_path):
    save(tmp_path / "a.jpg", photo(1), quality=95)
    save(tmp_path / "b.tif", photo(2))
    save(tmp_path / "c.bmp", photo(3))
    save(tmp_path / "m" / "a_gt.png", square())
    save(tmp_path / "m" / "b.webp", square(), lossless=True)
    rows = [{"image": "a.jpg", "mask": "m/a_gt.png", "split": "val", "kind": "realfake"},
            {"image": "b.tif", "mask": "m/b.webp", "split": "test"},
            {"image": "c.bmp", "mask": None, "split": "test"}]
    (tmp_path / "list.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    ds = ib.load_dataset("pairs", data_root=str(tmp_path / "list.jsonl"))
    assert ds.splits() == ["val/realfake", "test/manipulated", "test/original"]
    sample = ds.load(ds.records("val/realfake")[0])
    assert sample.image.shape == (SIZE, SIZE, 3) and sample.mask.max() == 255 and sample.manipulated
    benco = [[str(tmp_path / "a.jpg"), "m/a_gt.png"], ["b.tif", "m/b.webp"], ["c.bmp", "Negative"]]
    (tmp_path / "benco.json").write_text(json.dumps(benco))
    ds = ib.load_dataset("pairs", data_root=str(tmp_path / "benco.json"), split="test")
    assert ds.splits() == ["test/manipulated", "test/original"] and len(ds.records("test/manipulated")) == 2
    assert ds.load(ds.records("test/original")[0]).mask.max() == 0
    result = ib.evaluate("noise-residual", ds)
    assert result.metrics["test/manipulated"]["n_images"] == 2 and result.metrics["test/original"]["n_authentic"] == 1


# --- mask conventions ----------------------------------------------------------------------------

def test_mask_conventions_on_arrays():
    grey = np.array([[0, 100, 255]], np.uint8)
    assert MaskConvention().apply(grey).tolist() == [[0, 100, 255]]
    assert MaskConvention("invert").apply(grey).tolist() == [[255, 155, 0]]
    assert MaskConvention("white", threshold=127).apply(grey).tolist() == [[0, 0, 255]]
    assert MaskConvention("nonzero").apply(grey).tolist() == [[0, 255, 255]]
    colour = np.array([[[0, 0, 0], [200, 0, 0], [0, 30, 0]]], np.uint8)
    assert MaskConvention().apply(colour).tolist() == [[0, 200, 30]]
    assert MaskConvention("nonzero").apply(colour).tolist() == [[0, 255, 255]]
    assert MaskConvention("white", "1", 0).apply(colour).tolist() == [[0, 0, 255]]
    deep = np.array([[0, 32768, 65535]], np.uint16)
    assert MaskConvention().apply(deep).tolist() == [[0, 128, 255]]
    with pytest.raises(ValueError, match="is not one of white, invert, nonzero"):
        MaskConvention("black")


def test_grey_colour_palette_and_16_bit_mask_files_and_images(tmp_path):
    assert raw_mask(save(tmp_path / "grey.png", square(value=200))).max() == 200
    assert raw_mask(save(tmp_path / "deep.png", square().astype(np.uint16) * 257)).max() == 65535
    assert MaskConvention().apply(raw_mask(tmp_path / "deep.png")).max() == 255
    colour = np.zeros((SIZE, SIZE, 3), np.uint8)
    colour[square() > 0] = (255, 0, 0)
    assert MaskConvention("nonzero").apply(raw_mask(save(tmp_path / "red.png", colour))).sum() == square().sum()
    palette = Image.fromarray(colour).convert("P", palette=Image.Palette.ADAPTIVE, colors=2)
    palette.save(tmp_path / "pal.png")
    assert (MaskConvention("nonzero").apply(raw_mask(tmp_path / "pal.png")) == square()).all()
    Image.fromarray(square() > 0).save(tmp_path / "bits.png")
    assert (raw_mask(tmp_path / "bits.png") == square()).all()
    save(tmp_path / "grey_photo.png", photo(0)[..., 0])
    assert read_any_rgb(tmp_path / "grey_photo.png").shape == (SIZE, SIZE, 3)
    save(tmp_path / "rgba.png", np.dstack([photo(0), np.full((SIZE, SIZE), 9, np.uint8)]))
    assert (read_any_rgb(tmp_path / "rgba.png") == photo(0)).all()


def test_the_convention_is_an_option_recorded_with_the_result(tmp_path):
    manifest = csv_set(tmp_path, n_fake=2, n_real=1)
    for i in range(2):  # black-on-white masks: manipulated is dark
        save(tmp_path / "gt" / f"f{i}.png", 255 - square())
    result = evaluate_cli(tmp_path, "--data-root", str(manifest), "--data-opt", "mask=invert",
                          "--data-opt", "mask_threshold=127")
    assert result["dataset_info"]["mask_convention"] == "invert, brightest channel, values > 127 manipulated"
    assert result["dataset_info"]["options"]["mask"] == "invert"
    ds = ib.load_dataset("pairs", data_root=str(manifest), mask="invert")
    assert (ds.load(ds.records("test/manipulated")[0]).mask == square()).all()


# --- folders -------------------------------------------------------------------------------------

def test_image_and_mask_folders_matched_by_suffix(tmp_path):
    for i in range(3):
        save(tmp_path / "images" / f"p{i}.png", photo(i))
        save(tmp_path / "masks" / f"p{i}_gt.png", square())
    save(tmp_path / "authentic" / "real.jpg", photo(9))
    ds = ib.load_dataset("pairs", data_root=str(tmp_path), split="test")
    assert ds.splits() == ["test/manipulated", "test/original"] and len(ds.records("test/manipulated")) == 3
    assert ib.load_dataset("pairs", data_root=str(tmp_path), mask_suffix="_gt").info()["n_records"] == 4
    (tmp_path / "authentic" / "real.jpg").unlink()
    (tmp_path / "authentic").rmdir()
    with pytest.raises(DataError, match=r"no image/mask pairs found: looked for masks/<image stem>_mask\.\* "
                                        r"for the 3 image file\(s\).*found 3 mask candidate\(s\) and no match "
                                        r"\(e\.g\. image 'p0\.png', mask 'p0_gt\.png'\)"):
        ib.load_dataset("pairs", data_root=str(tmp_path), mask_suffix="_mask")


def test_a_folder_of_png_images_and_png_masks_side_by_side(tmp_path):
    for i in range(2):
        save(tmp_path / f"shot{i}.png", photo(i))
        save(tmp_path / f"shot{i}_mask.png", square())
    ds = ib.load_dataset("pairs", data_root=str(tmp_path), split="test")
    assert [r.image.name for r in ds.records("test/manipulated")] == ["shot0.png", "shot1.png"]
    with pytest.raises(DataError, match=r"found 4 \.png files in other names: .* use --dataset pairs"):
        LayoutDataset(tmp_path)
    save(tmp_path / "lonely.png", photo(5))
    expected = r"lonely\.png: missing mask: looked for \S*lonely_gt\.\* or \S*lonely_mask\.\*$"
    with pytest.raises(DataError, match=expected):
        ib.load_dataset("pairs", data_root=str(tmp_path))


def test_the_provided_layout_reads_png_and_jpeg_kinds(tmp_path):
    save(tmp_path / "a.fakefake.png", photo(0))
    save(tmp_path / "a.mask.png", square())
    save(tmp_path / "b.original.jpg", photo(1), quality=95)
    ds = LayoutDataset(tmp_path)
    assert {r.kind for s in ds.splits() for r in ds.records(s)} == {"fakefake", "original"}
    write_webp(tmp_path / "a.fakefake.webp", photo(0))
    with pytest.raises(DataError, match="a second fakefake file for id 'a'"):
        LayoutDataset(tmp_path)


# --- bad input is named ---------------------------------------------------------------------------

@pytest.mark.parametrize("problem, match", [
    ("missing_mask", r"gt/f1\.png: file not found \(listed in pairs\.csv line 3\)"),
    ("missing_image", r"img/f1\.png: file not found \(listed in pairs\.csv line 3\)"),
    ("size", r"f1\.png: size 24x24 does not match its mask .*gt/f1\.png \(20x24\)"),
    ("unreadable", r"img/f1\.png: not a readable image"),
    ("no_path", r"pairs\.csv: line 3: no image path"),
])
def test_bad_rows_name_the_file_and_skip_bad_counts_them(tmp_path, problem, match):
    manifest = csv_set(tmp_path)
    if problem == "missing_mask":
        (tmp_path / "gt" / "f1.png").unlink()
    elif problem == "missing_image":
        (tmp_path / "img" / "f1.png").unlink()
    elif problem == "size":
        save(tmp_path / "gt" / "f1.png", np.zeros((24, 20), np.uint8))
    elif problem == "unreadable":
        (tmp_path / "img" / "f1.png").write_bytes(b"not a png")
    else:
        lines = manifest.read_text().splitlines()
        lines[2] = ",gt/f1.png,test"
        manifest.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=match):
        ib.load_dataset("pairs", data_root=str(manifest))
    if problem == "no_path":
        return
    ds = ib.load_dataset("pairs", data_root=str(manifest), on_bad="skip")
    assert len(ds.problems) == 1 and len(ds.records("test/manipulated")) == 2
    assert ds.info()["skipped_at_scan"] == [str(ds.problems[0])]


def test_a_corrupt_file_found_at_load_is_skipped_and_counted(tmp_path):
    manifest = csv_set(tmp_path)
    data = (tmp_path / "img" / "f2.png").read_bytes()
    (tmp_path / "img" / "f2.png").write_bytes(data[: len(data) // 2])  # header intact, pixels cut off
    with pytest.warns(UserWarning, match=r"skipped 1 bad file\(s\), first: .*f2\.png: corrupt or truncated"):
        result = evaluate_cli(tmp_path, "--data-root", str(manifest), "--skip-bad")
    assert result["metrics"]["test/manipulated"]["n_skipped"] == 1
    assert result["metrics"]["test/manipulated"]["n_images"] == 2


def test_manifest_and_option_errors_are_one_line_and_say_what_to_do(tmp_path):
    (tmp_path / "bad.csv").write_text("file,label\na.png,1\n")
    with pytest.raises(DataError, match="needs the columns image,mask.*found file,label"):
        ib.load_dataset("pairs", data_root=str(tmp_path / "bad.csv"))
    (tmp_path / "other.jsonl").write_text("")
    with pytest.raises(DataError, match=r"2 manifests here \(bad.csv, other.jsonl\).*manifest=NAME"):
        ib.load_dataset("pairs", data_root=str(tmp_path))
    with pytest.raises(DataError, match=r"other\.jsonl: no usable image/mask pairs"):
        ib.load_dataset("pairs", data_root=str(tmp_path), manifest="other.jsonl")
    with pytest.raises(RegistryError, match="unknown layout 'casia'. Did you mean 'casia2', 'casia1'"):
        ib.load_dataset("pairs", data_root=str(tmp_path), layout="casia")
    rows = "image,mask,split,kind\na.png,,test,realfake\n"
    save(tmp_path / "a.png", photo(0))
    (tmp_path / "kinds.csv").write_text(rows)
    with pytest.raises(DataError, match=r"a\.png: missing mask \(listed in kinds\.csv line 2\): kind 'realfake'"):
        ib.load_dataset("pairs", data_root=str(tmp_path / "kinds.csv"))


# --- public layouts: a tiny replica of each ------------------------------------------------------

def _mask_rgb(channel: int) -> np.ndarray:
    """A colour mask whose ``channel`` marks the square; another channel marks a decoy band."""
    rgb = np.zeros((SIZE, SIZE, 3), np.uint8)
    rgb[..., channel][square() > 0] = 255
    rgb[18:20, :, (channel + 1) % 3] = 255
    return rgb


def replica(name: str, root: Path) -> tuple[int, int]:
    """Write a tiny replica of layout ``name``; returns (manipulated, authentic) counts."""
    if name == "manidataset":
        for i, stem in enumerate(("b", "a")):
            save(root / "Tp" / f"{stem}.jpg", photo(i), quality=95)
            save(root / "Gt" / f"{stem}_gt.png", square())
        return 2, 0
    if name == "casia1":
        save(root / "Au" / "Au_ani_0001.jpg", photo(0), quality=95)
        for sub, stem in (("Sp", "Sp_D_CND_A_pla0005_pla0023_0281"), ("CM", "Sp_S_CND_A_pla0016_pla0016_0196")):
            save(root / "Tp" / sub / f"{stem}.jpg", photo(1), quality=95)
            save(root / "CASIA 1.0 groundtruth" / sub / f"{stem}_gt.png", square(value=1))
        return 2, 1
    if name == "casia2":
        save(root / "Au" / "Au_ani_00001.jpg", photo(0), quality=95)
        save(root / "Tp" / "Tp_D_NRN_S_N_arc00013_sec00045_11700.jpg", photo(1), quality=95)
        save(root / "Tp" / "Tp_S_NRN_S_N_arc00013_arc00013_11701.tif", photo(2))
        for stem in ("Tp_D_NRN_S_N_arc00013_sec00045_11700", "Tp_S_NRN_S_N_arc00013_arc00013_11701"):
            save(root / "Gt" / f"{stem}_gt.png", square(value=1))
        return 2, 1
    if name == "columbia":
        save(root / "4cam_auth" / "canong3_02_sub_01.tif", photo(0))
        save(root / "4cam_splc" / "canong3_canonxt_sub_01.tif", photo(1))
        save(root / "4cam_splc" / "edgemask" / "canong3_canonxt_sub_01_edgemask.jpg", _mask_rgb(1), quality=90)
        return 1, 1
    if name == "coverage":
        save(root / "image" / "1.tif", photo(0))
        save(root / "image" / "1t.tif", photo(1))
        save(root / "mask" / "1forged.tif", np.where(square() > 0, 200, 90).astype(np.uint8))
        save(root / "mask" / "1copy.tif", square())
        return 1, 1
    if name == "cocoglide":
        rows = ["real,fake,mask,prompt"]
        for i, (cls, coco) in enumerate((("dining table", 114871), ("airplane", 44652))):
            save(root / "real" / f"{cls}_{coco}.png", photo(i))
            save(root / "fake" / f"glide_inpainting_val2017_{coco}_up.png", photo(10 + i))
            save(root / "mask" / f"{cls}_{coco}_mask.png", np.where(square() > 0, 250, 3).astype(np.uint8))
            rows.append(f"real/{cls}_{coco}.png,fake/glide_inpainting_val2017_{coco}_up.png,"
                        f"mask/{cls}_{coco}_mask.png,{cls}")
        (root / "table.csv").write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
        return 2, 2
    if name == "tgif":
        save(root / "original" / "training" / "139_orig.png", photo(0))
        save(root / "masks" / "training" / "139_mask_segm.png", square())
        save(root / "masks" / "training" / "139_mask_segm.png_ps_mask.png", square())
        save(root / "SD2-sp" / "training" / "139_mask_segm.png_ps_mask.png_sd2_0.png", photo(1))
        save(root / "PS-sp" / "training" / "139_mask_segm.png_ps_2.png", photo(2))
        save(root / "original" / "testing" / "285_orig.png", photo(3))
        save(root / "masks" / "testing" / "285_mask_bbox.png", square())
        save(root / "SDXL-fr" / "testing" / "285_mask_bbox.png_sdxl-1024_1.png", photo(4))
        return 3, 2
    if name == "imd2020":
        save(root / "1a1ogs" / "1a1ogs_orig.jpg", photo(0), quality=95)
        save(root / "1a1ogs" / "c8tf5mq_0.png", photo(1))
        save(root / "1a1ogs" / "c8tf5mq_0_mask.png", square())
        save(root / "z41" / "00109_fake.jpg", photo(2), quality=95)
        save(root / "z41" / "00109_fake_mask.png", square())
        save(root / "z41" / "00109_orig.jpg", photo(3), quality=95)
        return 2, 2
    raise AssertionError(f"no replica for {name}")


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_public_layout_replica_evaluates(tmp_path, name):
    n_fake, n_real = replica(name, tmp_path / name)
    ds = ib.load_dataset("pairs", data_root=str(tmp_path / name), layout=name, split="test")
    assert len(ds.records("test/manipulated")) == n_fake
    assert len(ds.records("test/original")) == n_real if n_real else "test/original" not in ds.splits()
    for record in ds.records("test/manipulated"):
        assert (ds.load(record).mask == square()).all(), (name, record.mask)
    result = ib.evaluate("noise-residual", ds)
    assert result.metrics["test/manipulated"]["n_images"] == n_fake
    assert result.dataset_info["layout"] == name
    assert result.dataset_info["mask_convention"] == LAYOUTS[name].convention.describe()


def test_layout_pairing_rules_and_a_missing_mask_is_named(tmp_path):
    replica("manidataset", tmp_path / "m")
    ds = ib.load_dataset("pairs", data_root=str(tmp_path / "m"), layout="manidataset")
    assert [(r.image.name, r.mask.name) for s in ds.splits() for r in ds.records(s)] in (
        [("a.jpg", "a_gt.png"), ("b.jpg", "b_gt.png")], [("b.jpg", "b_gt.png"), ("a.jpg", "a_gt.png")])
    replica("cocoglide", tmp_path / "g")
    by_table = ib.load_dataset("pairs", data_root=str(tmp_path / "g"), layout="cocoglide", split="test")
    (tmp_path / "g" / "table.csv").unlink()
    by_id = ib.load_dataset("pairs", data_root=str(tmp_path / "g"), layout="cocoglide", split="test")
    assert sorted((r.image.name, r.mask.name) for r in by_id.records("test/manipulated")) == sorted(
        (r.image.name, r.mask.name) for r in by_table.records("test/manipulated")) == [
        ("glide_inpainting_val2017_114871_up.png", "dining table_114871_mask.png"),
        ("glide_inpainting_val2017_44652_up.png", "airplane_44652_mask.png")]
    replica("tgif", tmp_path / "t")
    tgif = ib.load_dataset("pairs", data_root=str(tmp_path / "t"), layout="tgif")
    assert tgif.splits() == ["train/manipulated", "train/original", "test/manipulated", "test/original"]
    assert sorted((r.image.parent.parent.name, r.mask.name) for r in tgif.records("train/manipulated")) == [
        ("PS-sp", "139_mask_segm.png"), ("SD2-sp", "139_mask_segm.png_ps_mask.png")]
    replica("casia2", tmp_path / "c")
    (tmp_path / "c" / "Gt" / "Tp_D_NRN_S_N_arc00013_sec00045_11700_gt.png").unlink()
    with pytest.raises(DataError, match=r"Tp_D_NRN_S_N_arc00013_sec00045_11700\.jpg: missing mask: looked for "
                                        r".*Gt/Tp_D_NRN_S_N_arc00013_sec00045_11700_gt\.png"):
        ib.load_dataset("pairs", data_root=str(tmp_path / "c"), layout="casia2")


# --- the rest of the harness works on pairs ------------------------------------------------------

def test_stress_and_training_run_on_pairs(tmp_path, tiny_detector):
    manifest = csv_set(tmp_path / "d", n_fake=4, n_real=1)
    out = tmp_path / "stress"
    assert main(["stress", "--detector", "noise-residual", "--dataset", "pairs", "--data-root", str(manifest),
                 "--attacks", "jpeg:quality=90", "--output-dir", str(out), "--quiet", "--no-overlays",
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    assert len(list(out.glob("*.json"))) == 2
    dataset = ib.load_dataset("pairs", data_root=str(manifest), split="train")
    report = ib.train("tiny", dataset, str(tmp_path / "run"), max_steps=1, batch_size=2, crop=16)
    assert report.best_checkpoint


# --- your own data as it is ------------------------------------------------------------------------

def test_own_data_without_a_split_column_evaluates_every_row(tmp_path):
    """A CSV without a split column and an image/mask folder both go wholly to test by default, and
    `evaluate` measures every row; listed splits are kept; training says how to split the rows."""
    manifest = csv_set(tmp_path / "csv", n_fake=12, n_real=3, split="")
    manifest.write_text("\n".join(line.rsplit(",", 1)[0] for line in manifest.read_text().splitlines()) + "\n")
    assert manifest.read_text().startswith("image,mask\n")
    result = evaluate_cli(tmp_path, "--data-root", str(manifest))
    assert result["metrics"]["test/manipulated"]["n_images"] == 12
    assert result["metrics"]["test/original"]["n_authentic"] == 3
    assert result["dataset_info"]["split_rule"].startswith("auto: every row in test")
    for i in range(5):
        save(tmp_path / "folder" / "images" / f"p{i}.png", photo(i))
        save(tmp_path / "folder" / "masks" / f"p{i}.png", square())
    by_folder = evaluate_cli(tmp_path, "--data-root", str(tmp_path / "folder"))
    assert by_folder["metrics"]["test/manipulated"]["n_images"] == 5
    listed = csv_set(tmp_path / "listed", n_fake=2, n_real=0, split="val")
    assert ib.load_dataset("pairs", data_root=str(listed)).splits() == ["val/manipulated"]
    from inpaintbench.training.trainer import train_kinds

    with pytest.raises(ConfigError, match=r"has no train split; splits: test/manipulated \(split rule: auto: every "
                                          r"row in test.*--data-opt split=hash"):
        train_kinds(ib.load_dataset("pairs", data_root=str(tmp_path / "folder")), None)


def test_no_test_split_names_the_split_rule_and_the_split_option(tmp_path, capsys):
    listed = csv_set(tmp_path, n_fake=2, n_real=0, split="val")
    assert main(["evaluate", "--detector", "noise-residual", "--dataset", "pairs", "--data-root", str(listed),
                 "--quiet", "--no-overlays"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "has no test split; splits: val/manipulated" in err
    assert "`evaluate --split NAME` (repeatable), e.g. --split val/manipulated" in err
    result = evaluate_cli(tmp_path, "--data-root", str(listed), "--split", "val/manipulated")
    assert list(result["metrics"]) == ["val/manipulated"]


def test_the_empty_folder_hint_gives_options_that_work(tmp_path):
    """The hint's --data-opt syntax, with its placeholders filled in, parses and finds the pairs."""
    import re
    import shlex

    from inpaintbench.cli import build_parser
    from inpaintbench.sdk.registry import parse_key_values

    for i in range(3):
        save(tmp_path / "pics" / f"p{i}.png", photo(i))
        save(tmp_path / "truth" / f"p{i}_gt.png", square())
    with pytest.raises(DataError, match="no image/mask pairs found") as caught:
        ib.load_dataset("pairs", data_root=str(tmp_path), mask_suffix="_mask")
    hint = re.search(r"e\.g\. (--data-opt .*?), or a manifest", str(caught.value)).group(1)
    filled = hint.replace("images=DIR", "images=pics").replace("masks=DIR", "masks=truth")
    args = build_parser().parse_args(["evaluate", "--detector", "noise-residual", "--dataset", "pairs",
                                      "--data-root", str(tmp_path), *shlex.split(filled)])
    options = parse_key_values(args.data_opt)
    assert options == {"images": "pics", "masks": "truth", "mask_suffix": "_gt"}
    assert len(ib.load_dataset("pairs", data_root=str(tmp_path), **options).records("test")) == 3
